#!/usr/bin/env bash
# user USER [GROUP]: a master started as root keeps root and its workers
# run as the user (nobody when the configuration names none; root only
# with "user root"), with the group given or the user's own, and the
# user's groups only; logs opened by the master belong to that user, so a
# reopen after a rotation works; an unknown user or group is refused with
# FILE:LINE; a master that is not root ignores the directive and says so.
. "$(dirname "$0")/lib.sh"

[ "$(id -u)" = 0 ] || bail "user: the test runs as root (CI does)"
read -r P_GW P_UP < <(ports 2)
backend echo echo "127.0.0.1:$P_UP"

# conf USER_LINE: a configuration with that main line
conf() {
    write_conf <<EOF2
$MAIN
$1
listener echo {
    listen 127.0.0.1:$P_GW;
    handler tcp;
    proxy_pass 127.0.0.1:$P_UP;
    access_log $T/access.log;
}
EOF2
}
# who PID: "user group groups" of a process
who() {
    ps -o user=,group=,supgrp= -p "$1" | tr -s ' '
}

conf ""
gw_start "$P_GW"
w=$(gw_pid_worker)
expect_eq "no user directive: the master stays root" root "$(ps -o user= -p "$GW_PID")"
expect_eq "no user directive: the worker runs as nobody" "nobody nogroup nogroup" "$(who "$w")"
expect_eq "... and serves" hello "$("$TC" -t 3000 -s hello read "127.0.0.1:$P_GW" 2>&1)"
expect_eq "the access log belongs to the workers' user" "nobody nogroup" "$(stat -c '%U %G' "$T/access.log")"
mv "$T/access.log" "$T/access.log.1"
kill -USR1 "$GW_PID"
wait_until 3000 test -e "$T/access.log"
"$TC" -t 3000 -s again read "127.0.0.1:$P_GW" >/dev/null 2>&1
check "after a rotation and USR1 the worker writes the new file" wait_until 3000 test -s "$T/access.log"
check "... which the master made for it" test "$(stat -c %U "$T/access.log")" = nobody
no_reopen_failure() { ! grep -qi "reopen.*fail\|fail.*reopen" "$T/error.log"; }
check "... and no reopen failed" no_reopen_failure
gw_stop

conf "user root;"
gw_start "$P_GW"
expect_eq "user root: the worker runs as root" root "$(ps -o user= -p "$(gw_pid_worker)")"
gw_stop

conf "user daemon;"
gw_start "$P_GW"
expect_eq "user daemon: the user's own group" "daemon daemon daemon" "$(who "$(gw_pid_worker)")"
expect_eq "... and serves" ok "$("$TC" -t 3000 -s ok read "127.0.0.1:$P_GW" 2>&1)"
gw_stop

conf "user nobody daemon;"
gw_start "$P_GW"
w=$(gw_pid_worker)
expect_eq "user nobody daemon: the group given" "nobody daemon" "$(ps -o user=,group= -p "$w" | tr -s ' ')"
gw_stop

conf "user no-such-user-here;"
out=$("$GW" -t -c "$CONF" 2>&1)
check "an unknown user: refused with its line" grep -q "no such user \"no-such-user-here\" in $CONF:4" <<<"$out"
conf "user nobody no-such-group-here;"
out=$("$GW" -t -c "$CONF" 2>&1)
check "an unknown group: refused with its line" grep -q "no such group \"no-such-group-here\" in $CONF:4" <<<"$out"

# a master that is not root: the directive is ignored, and it says so
if command -v setpriv >/dev/null; then
    conf "user daemon;"
    cp "$GW" "$T/gateway" && chmod 755 "$T/gateway"
    chown nobody "$T"
    setpriv --reuid=nobody --regid=nogroup --clear-groups \
        "$T/gateway" -c "$CONF" -g 'daemon off;' >>"$T/gw.out" 2>&1 &
    GW_PID=$!
    track "$GW_PID"
    wait_workers "$GW_PID" 1 5000
    expect_eq "a master that is not root: its worker runs as itself" nobody \
        "$(ps -o user= -p "$(gw_pid_worker)")"
    check "... and the directive is said to be ignored" \
        has_line "$T/error.log" '"user" directive needs a master running as root: ignored'
    gw_stop
else
    not_ok "setpriv (util-linux) runs the unprivileged master"
fi
