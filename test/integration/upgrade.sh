#!/usr/bin/env bash
# USR2, binary upgrade (SPEC "Signals to the master"): the master starts
# the executable again with the listen sockets inherited; the old pid file
# becomes PIDFILE.oldbin and the new master writes PIDFILE; both serve, no
# client is refused meanwhile; QUIT to the old master leaves the new one
# serving alone.
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
gw_start "$P_GW"
old=$GW_PID

upgraded() {
    local new
    [ "$(cat "$T/gw.pid.oldbin" 2>/dev/null)" = "$old" ] || return 1
    new=$(cat "$T/gw.pid" 2>/dev/null)
    [[ "$new" =~ ^[0-9]+$ ]] && [ "$new" != "$old" ] && alive "$new"
}

spawn loop "$TC" -t 3000 loop "127.0.0.1:$P_GW" 2000
kill -USR2 "$old"
if ! wait_until 3000 upgraded; then
    not_ok "USR2: a new master starts, the old pid file becomes gw.pid.oldbin" \
        "pid file: '$(cat "$T/gw.pid" 2>/dev/null)', oldbin: '$(cat "$T/gw.pid.oldbin" 2>/dev/null)'; error log: $(grep -i 'usr2\|upgrade' "$T/error.log" | tail -n 1)"
    exit 0
fi
ok "USR2: a new master starts, the old pid file becomes gw.pid.oldbin"
new=$(cat "$T/gw.pid")
track "$new"
case "$(tr '\0' ' ' <"/proc/$new/cmdline")" in
"gateway: master process "*) ok "USR2: the new master has the master title" ;;
*) not_ok "USR2: the new master has the master title" "'$(tr '\0' ' ' <"/proc/$new/cmdline")'" ;;
esac
check "USR2: the new master starts its workers" wait_workers "$new" 1 3000
check "USR2: the old master keeps its workers" has_workers "$old" 1

kill -QUIT "$old"
check "QUIT to the old master: it exits" wait_gone "$old" 5000
check "QUIT to the old master: gw.pid.oldbin is removed" wait_until 2000 test ! -e "$T/gw.pid.oldbin"
wait_gone "${PID[loop]}" 5000
res=$(grep '^loop:' "$T/loop.out")
if [[ "$res" =~ ^loop:\ [1-9][0-9]*\ ok,\ 0\ failed$ ]]; then
    ok "no client refused during the upgrade"
else
    not_ok "no client refused during the upgrade" "$(tail -n 2 "$T/loop.out")"
fi
out=$("$TC" -t 3000 -s "new" read "127.0.0.1:$P_GW" 2>&1)
expect_eq "the new master serves alone" "new" "$out"
"$GW" -c "$CONF" -s stop 2>/dev/null
check "-s stop stops the new master" wait_gone "$new" 3000
