#!/usr/bin/env bash
# make install and make uninstall, into DESTDIR=$T/...: every file at its
# path with its mode and nothing else; the installed binary runs (-v, -t
# on the installed example, and serves); the man page renders without a
# warning and documents every flag of -h; the systemd unit names the
# installed paths, reloads with -t then HUP and stops with QUIT; the
# logrotate file rotates a live gateway's log and makes it reopen; uninstall
# removes it all and keeps a gateway.conf; PREFIX=/usr puts the
# configuration in /etc. The binary already built is used (make -o): this
# test compiles nothing and writes only under $T.
. "$(dirname "$0")/lib.sh"

# inst DESTDIR TARGET [VAR=VALUE...]: make TARGET, output in $T/make.out
inst() {
    local dest=$1 target=$2
    shift 2
    make -s --no-print-directory -o "$BUILD/gateway" BUILD="$BUILD" \
        DESTDIR="$dest" "$@" "$target" >"$T/make.out" 2>&1
}
# files DIR: "MODE PATH" of every file under DIR, sorted
files() { (cd "$1" && find . -type f -printf '%m %P\n' | sort); }
DOC=share/doc/gateway

# ---- PREFIX=/usr/local (the default layout)
R=$T/root
if inst "$R" install PREFIX=/usr/local; then
    ok "make install DESTDIR=... PREFIX=/usr/local exits 0"
else
    not_ok "make install DESTDIR=... PREFIX=/usr/local exits 0" "$(tail -n 5 "$T/make.out")"
fi
want="644 usr/local/etc/gateway/gateway.conf.example
755 usr/local/sbin/gateway
644 usr/local/$DOC/README.md
644 usr/local/$DOC/architecture.md
644 usr/local/$DOC/configuration.md
644 usr/local/$DOC/gateway.service
644 usr/local/$DOC/logrotate
644 usr/local/$DOC/operations.md
644 usr/local/share/man/man8/gateway.8"
expect_eq "every file at its path with its mode, nothing else" \
    "$(sort <<<"$want")" "$(files "$R" 2>/dev/null)"
check "nothing installed names the staging root (DESTDIR)" \
    test -d "$R" -a -z "$(grep -rl --exclude=gateway -- "$T" "$R" 2>/dev/null)"

P=$R/usr/local
IGW=$P/sbin/gateway
check "the installed binary is the one built" cmp -s "$GW" "$IGW"
expect_eq "the installed binary runs: -v" "$("$GW" -v 2>&1)" "$("$IGW" -v 2>&1)"
out=$("$IGW" -t -c "$P/etc/gateway/gateway.conf.example" 2>&1); rc=$?
if [ $rc -eq 0 ] && [[ "$out" == *"gateway.conf.example test is successful"* ]]; then
    ok "-t on the installed example configuration"
else
    not_ok "-t on the installed example configuration" "rc $rc: $out"
fi

# ---- the man page
MAN=$P/share/man/man8/gateway.8
if command -v groff >/dev/null 2>&1; then
    warn=$(groff -man -Tutf8 -ww -z "$MAN" 2>&1)
    check "groff -man -ww renders the man page without a warning" test -z "$warn"
    [ -n "$warn" ] && echo "# $warn" | head -n 5
    text=$(groff -man -Tascii -P-cbou "$MAN" 2>/dev/null)
    missing=""
    for s in NAME SYNOPSIS DESCRIPTION OPTIONS SIGNALS FILES "EXIT STATUS" \
             EXAMPLES "SEE ALSO"; do
        grep -qx "$s" <<<"$text" || missing="$missing [$s]"
    done
    expect_eq "the man page has every section" "" "$missing"
    # the flags of -h, each in SYNOPSIS and with an entry under OPTIONS
    opts=$(sed -n '/^OPTIONS$/,/^SIGNALS$/p' <<<"$text")
    synopsis=$(sed -n '/^SYNOPSIS$/,/^DESCRIPTION$/p' <<<"$text")
    missing=""
    for f in $("$GW" -h | sed -n 's/^  \(-[A-Za-z]\) .*/\1/p'); do
        grep -qE "^       $f( |$)" <<<"$opts" || missing="$missing $f(OPTIONS)"
        grep -qE "(\[| )$f( |\]|$)" <<<"$synopsis" || missing="$missing $f(SYNOPSIS)"
    done
    expect_eq "every flag of -h is in the man page's SYNOPSIS and OPTIONS" "" "$missing"
    missing=""
    for s in TERM INT QUIT HUP USR1 USR2 WINCH; do
        sed -n '/^SIGNALS$/,/^FILES$/p' <<<"$text" | grep -qE "^       ([A-Z0-9, ]*[ ,])?$s(,|$| )" \
            || missing="$missing $s"
    done
    expect_eq "every signal has an entry under SIGNALS" "" "$missing"
else
    not_ok "groff renders the man page" "groff is not installed (make test-deps: groff-base)"
fi
if command -v man >/dev/null 2>&1; then
    check "man -l renders the installed page" \
        eval 'MANWIDTH=80 man -l "$MAN" 2>/dev/null | grep -q "^GATEWAY(8)"'
else
    echo "# man (man-db) not installed: man -l not tried (groff was)"
fi
if command -v lexgrog >/dev/null 2>&1; then
    check "lexgrog (whatis) reads the NAME line" \
        eval 'lexgrog "$MAN" | grep -q "\"gateway - "'
fi

# ---- the systemd unit
U=$P/$DOC/gateway.service
unit() { grep -E "^$1=" "$U" 2>/dev/null; }
expect_eq "unit: ExecStart is the installed binary on SYSCONFDIR's gateway.conf" \
    "ExecStart=/usr/local/sbin/gateway -c /usr/local/etc/gateway/gateway.conf" "$(unit ExecStart)"
expect_eq "unit: ExecStartPre tests the configuration" \
    "ExecStartPre=/usr/local/sbin/gateway -t -c /usr/local/etc/gateway/gateway.conf" "$(unit ExecStartPre)"
expect_eq "unit: ExecReload tests, then sends HUP to the master" \
    "ExecReload=/usr/local/sbin/gateway -t -c /usr/local/etc/gateway/gateway.conf
ExecReload=/bin/kill -HUP \$MAINPID" "$(unit ExecReload)"
# graceful: ExecStop sends QUIT and waits (it is run on a live gateway
# below); KillSignal QUIT for the stops systemd makes without it
expect_eq "unit: KillSignal QUIT, to the master alone" \
    "KillSignal=SIGQUIT KillMode=mixed" "$(echo $(unit KillSignal) $(unit KillMode))"
check "unit: one ExecStop= sending QUIT to \${MAINPID}" \
    eval '[ "$(unit ExecStop | wc -l)" -eq 1 ] && unit ExecStop | grep -q "kill -QUIT \${MAINPID}"'
expect_eq "unit: Type=forking with the pid file the logrotate file uses" \
    "Type=forking PIDFile=/run/gateway.pid" "$(echo $(unit Type) $(unit PIDFile))"
check "unit: Restart=on-failure, LimitNOFILE, TimeoutStopSec" \
    eval 'unit Restart | grep -qx Restart=on-failure && unit LimitNOFILE >/dev/null && unit TimeoutStopSec >/dev/null'

# ---- the logrotate file, run on a live gateway (the installed binary)
L=$P/$DOC/logrotate
check "logrotate: /var/log/gateway/*.log, daily, USR1 through /run/gateway.pid" \
    eval 'grep -q "^/var/log/gateway/\*\.log {" "$L" && grep -qw daily "$L" &&
          grep -q "kill -USR1 \$(cat /run/gateway.pid)" "$L"'
if command -v logrotate >/dev/null 2>&1; then
    read -r P_GW P_UP < <(ports 2)
    backend echo echo "127.0.0.1:$P_UP"
    mkdir -p "$T/log" && chmod 755 "$T/log"
    write_conf <<EOF
worker_processes 1;
error_log $T/log/error.log info;
pid $T/gw.pid;
listener echo {
    listen 127.0.0.1:$P_GW;
    handler tcp;
    proxy_pass 127.0.0.1:$P_UP;
    access_log $T/log/access.log;
}
EOF
    sed -e "s|/var/log/gateway/|$T/log/|g" -e "s|/run/gateway.pid|$T/gw.pid|g" \
        "$L" >"$T/logrotate.conf"
    chmod 644 "$T/logrotate.conf"
    GW=$IGW gw_start "$P_GW"
    session() { "$TC" -t 3000 -s "$1" read "127.0.0.1:$P_GW" >/dev/null 2>&1; }
    session one
    wait_log "$T/log/access.log" ' 200 3 3 ' 2000
    wait_until 2000 test -e "$T/gw.pid"
    if logrotate -f -s "$T/logrotate.state" "$T/logrotate.conf" >"$T/logrotate.out" 2>&1; then
        ok "logrotate -f on the installed file exits 0"
    else
        not_ok "logrotate -f on the installed file exits 0" "$(head -n 5 "$T/logrotate.out")"
    fi
    check "logrotate: the logs are moved to .1 (delaycompress: not yet compressed)" \
        test -s "$T/log/access.log.1" -a -s "$T/log/error.log.1"
    check "logrotate: USR1 makes the gateway create its logs again" \
        wait_until 3000 test -e "$T/log/access.log" -a -e "$T/log/error.log"
    session two
    check "logrotate: the next session is logged in the new access.log" \
        wait_log "$T/log/access.log" ' 200 3 3 ' 2000
    check "logrotate: the rotated access.log.1 got nothing more" \
        test "$(count_lines "$T/log/access.log.1")" -eq 1
    gw_stop QUIT
else
    not_ok "logrotate runs contrib/logrotate" "logrotate is not installed (make test-deps)"
fi

# ---- the unit's ExecStop= on a live gateway: graceful, and it returns
# only once the master is gone (systemd signals again when it returns).
# systemd puts the master's pid for ${MAINPID}; the inner sh, given it in
# its environment, expands it the same way.
read -r P_GW P_UP < <(ports 2)
backend echo2 echo "127.0.0.1:$P_UP"
write_conf <<EOF
worker_processes 1;
error_log $T/stop-error.log info;
listener echo {
    listen 127.0.0.1:$P_GW;
    handler tcp;
    proxy_pass 127.0.0.1:$P_UP;
}
EOF
GW=$IGW gw_start "$P_GW"
spawn tunnel "$TC" -t 3000 pingpong "127.0.0.1:$P_GW" 100 1500
wait_log "$T/tunnel.out" '^ready' 3000 || not_ok "ExecStop: the tunnel opens" "$(cat "$T/tunnel.out")"
STOP=$(unit ExecStop); STOP=${STOP#ExecStop=}
MAINPID=$GW_PID spawn execstop bash -c 'eval "$0"' "$STOP"
check "ExecStop: the gateway stops accepting (QUIT was sent)" wait_closed "$P_GW" 3000
if alive "${PID[tunnel]}" && alive "${PID[execstop]}" && alive "$GW_PID"; then
    ok "ExecStop: waits while a connection is open, the master with it"
else
    not_ok "ExecStop: waits while a connection is open, the master with it" \
        "tunnel $(alive "${PID[tunnel]}" && echo up || echo gone), ExecStop $(alive "${PID[execstop]}" && echo up || echo gone), master $(alive "$GW_PID" && echo up || echo gone)"
fi
wait_gone "${PID[tunnel]}" 5000
check "ExecStop: the open connection completes (a graceful stop)" \
    grep -q '^pingpong: [0-9]* round trips ok' "$T/tunnel.out"
check "ExecStop: returns once the master is gone" wait_gone "${PID[execstop]}" 3000
check "ExecStop: the master is gone when it returns" dead "$GW_PID"
stop_pids "${PID[echo2]}"

# ---- systemd-analyze verify, on an install whose paths exist (PREFIX in $T)
if command -v systemd-analyze >/dev/null 2>&1; then
    if inst "" install PREFIX="$T/p"; then
        out=$(MANPATH="$T/p/share/man" systemd-analyze verify "$T/p/$DOC/gateway.service" 2>&1); rc=$?
        if [ $rc -eq 0 ] && [ -z "$out" ]; then
            ok "systemd-analyze verify accepts the unit, without a warning"
        else
            not_ok "systemd-analyze verify accepts the unit, without a warning" "rc $rc: $out"
        fi
    else
        not_ok "make install PREFIX=\$T/p" "$(tail -n 5 "$T/make.out")"
    fi
else
    echo "# systemd-analyze not installed: the unit is not verified"
fi

# ---- uninstall: everything goes; a gateway.conf next to the example stays
echo "# mine" >"$P/etc/gateway/gateway.conf"
if inst "$R" uninstall PREFIX=/usr/local; then
    ok "make uninstall exits 0"
else
    not_ok "make uninstall exits 0" "$(tail -n 5 "$T/make.out")"
fi
expect_eq "make uninstall removes every installed file, not gateway.conf" \
    "644 usr/local/etc/gateway/gateway.conf" "$(files "$R" 2>/dev/null)"
check "make uninstall removes the emptied doc directory" test ! -e "$P/$DOC"
rm -f "$P/etc/gateway/gateway.conf"
inst "$R" uninstall PREFIX=/usr/local
check "a second make uninstall exits 0 and removes the emptied etc/gateway" \
    test $? -eq 0 -a ! -e "$P/etc/gateway"

# ---- PREFIX=/usr: the configuration in /etc, the unit as in contrib/
R=$T/root2
inst "$R" install PREFIX=/usr
check "make install DESTDIR=... PREFIX=/usr exits 0" test $? -eq 0
want="644 etc/gateway/gateway.conf.example
755 usr/sbin/gateway
644 usr/$DOC/README.md
644 usr/$DOC/architecture.md
644 usr/$DOC/configuration.md
644 usr/$DOC/gateway.service
644 usr/$DOC/logrotate
644 usr/$DOC/operations.md
644 usr/share/man/man8/gateway.8"
expect_eq "PREFIX=/usr: /usr/sbin, /usr/share and /etc/gateway" \
    "$(sort <<<"$want")" "$(files "$R" 2>/dev/null)"
check "PREFIX=/usr: the unit installed is contrib/gateway.service as is" \
    cmp -s contrib/gateway.service "$R/usr/$DOC/gateway.service"
inst "$R" uninstall PREFIX=/usr
expect_eq "PREFIX=/usr: make uninstall leaves no file" "" "$(files "$R" 2>/dev/null)"

# ---- SYSCONFDIR overrides the default
R=$T/root3
inst "$R" install PREFIX=/opt/gateway SYSCONFDIR=/etc/opt/gateway
check "SYSCONFDIR=/etc/opt/gateway: the example and the unit follow it" \
    eval 'test -f "$R/etc/opt/gateway/gateway/gateway.conf.example" &&
          grep -qx "ExecStart=/opt/gateway/sbin/gateway -c /etc/opt/gateway/gateway/gateway.conf" \
              "$R/opt/gateway/$DOC/gateway.service"'
