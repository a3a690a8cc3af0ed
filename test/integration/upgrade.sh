#!/usr/bin/env bash
# USR2, binary upgrade (SPEC "Signals to the master", docs/operations.md):
# the master runs the binary at its path again (here replaced meanwhile by
# a wrapper that records it ran) with the listen sockets inherited (the
# very same sockets: no bind); the old pid file becomes PIDFILE.oldbin and
# the new master writes PIDFILE; both serve, no client is refused; WINCH
# stops the old master's workers, QUIT ends it and PIDFILE.oldbin goes.
# The other way back: the new master told TERM, the old one takes the pid
# file again and HUP starts its workers again.
. "$(dirname "$0")/lib.sh"

read -r P_GW P_UP < <(ports 2)
backend echo echo "127.0.0.1:$P_UP"
write_conf <<EOF
$MAIN
listener echo {
    listen 127.0.0.1:$P_GW;
    handler tcp;
    proxy_pass 127.0.0.1:$P_UP;
}
EOF
# run from a copy, so the test may put a "new version" at its path
cp "$GW" "$T/gateway"
GW="$T/gateway"
gw_start "$P_GW"
old=$GW_PID
# the "new binary": a wrapper that says it ran, then runs the real one
rm "$T/gateway"
cat >"$T/gateway" <<EOF
#!/bin/sh
echo "new binary ran: \$*" >>"$T/upgrades.log"
exec "$BUILD/gateway" "\$@"
EOF
chmod +x "$T/gateway"

# listen socket inodes of PID
sockets_of() {
    ls -l /proc/"$1"/fd 2>/dev/null | sed -n 's/.*socket:\[\([0-9]*\)\].*/\1/p' | sort -u
}

upgraded() {
    local new
    [ "$(cat "$T/gw.pid.oldbin" 2>/dev/null)" = "$old" ] || return 1
    new=$(cat "$T/gw.pid" 2>/dev/null)
    [[ "$new" =~ ^[0-9]+$ ]] && [ "$new" != "$old" ] && alive "$new"
}

new_master() {
    local new
    kill -USR2 "$old"
    if ! wait_until 3000 upgraded; then
        bail "USR2: a new master starts, the old pid file becomes gw.pid.oldbin" \
            "pid file: '$(cat "$T/gw.pid" 2>/dev/null)', oldbin: '$(cat "$T/gw.pid.oldbin" 2>/dev/null)'"
    fi
    new=$(cat "$T/gw.pid")
    track "$new"
    echo "$new"
}

spawn loop "$TC" -t 3000 loop "127.0.0.1:$P_GW" 2500
new=$(new_master)
ok "USR2: a new master starts, the old pid file becomes gw.pid.oldbin"
check "USR2: the binary at the master's path ran, with the same arguments" \
    grep -q "new binary ran: -c $CONF -g daemon off;" "$T/upgrades.log"
case "$(tr '\0' ' ' <"/proc/$new/cmdline")" in
"gateway: master process "*) ok "USR2: the new master has the master title" ;;
*) not_ok "USR2: the new master has the master title" "'$(tr '\0' ' ' <"/proc/$new/cmdline")'" ;;
esac
check "USR2: the new master starts its workers" wait_workers "$new" 1 3000
check "USR2: the old master keeps its workers" has_workers "$old" 1
check "USR2: the new master says it inherited the socket" \
    has_line "$T/error.log" "binary upgrade: 1 listen sockets inherited"
shared=$(comm -12 <(sockets_of "$old") <(sockets_of "$new") | wc -l)
check "USR2: the new master holds the old master's listen socket (no new bind)" test "$shared" -ge 1

kill -WINCH "$old"
check "WINCH to the old master: its workers stop, it stays" wait_workers "$old" 0 5000
check "... and the new master serves" test "$("$TC" -t 3000 -s "winch" read "127.0.0.1:$P_GW" 2>&1)" = winch
kill -QUIT "$old"
check "QUIT to the old master: it exits" wait_gone "$old" 5000
check "QUIT to the old master: gw.pid.oldbin is removed" wait_until 2000 test ! -e "$T/gw.pid.oldbin"
wait_gone "${PID[loop]}" 8000
res=$(grep '^loop:' "$T/loop.out")
if [[ "$res" =~ ^loop:\ [1-9][0-9]*\ ok,\ 0\ failed$ ]]; then
    ok "no client refused during the upgrade ($res)"
else
    not_ok "no client refused during the upgrade" "$(tail -n 2 "$T/loop.out")"
fi
out=$("$TC" -t 3000 -s "new" read "127.0.0.1:$P_GW" 2>&1)
expect_eq "the new master serves alone" "new" "$out"

# ---- back out: the new master fails, the old one takes over -------------------------
old=$new
spawn loop2 "$TC" -t 3000 loop "127.0.0.1:$P_GW" 2500
new=$(new_master)
wait_workers "$new" 1 3000
kill -WINCH "$old"
wait_workers "$old" 0 5000
kill -TERM "$new"
check "the new master told TERM exits" wait_gone "$new" 5000
pid_file_is_old() { [ "$(cat "$T/gw.pid" 2>/dev/null)" = "$old" ]; }
check "... and the old master has its pid file back" wait_until 3000 pid_file_is_old
check "... gw.pid.oldbin is gone" test ! -e "$T/gw.pid.oldbin"
kill -HUP "$old"
check "HUP to the old master starts its workers again" wait_workers "$old" 1 5000
out=$("$TC" -t 3000 -s "back" read "127.0.0.1:$P_GW" 2>&1)
expect_eq "the old master serves again" "back" "$out"
wait_gone "${PID[loop2]}" 8000
# TERM is a fast stop: the one session the loop may have had open in the
# new master's worker may fail; no other client is refused (queued ones
# wait for HUP)
res=$(grep '^loop:' "$T/loop2.out")
if [[ "$res" =~ ^loop:\ [1-9][0-9]*\ ok,\ [01]\ failed$ ]]; then
    ok "the backed-out upgrade: no client refused but the one TERM cut ($res)"
else
    not_ok "the backed-out upgrade: no client refused but the one TERM cut" "$(tail -n 2 "$T/loop2.out")"
fi

"$GW" -c "$CONF" -s stop 2>/dev/null
check "-s stop stops the master" wait_gone "$old" 3000
