#!/usr/bin/env bash
# A reload applies every kind of setting to new connections: the ACL, the
# access log and error log paths, timeouts; a storm of HUPs in a row ends
# with one generation of workers and the last configuration.
. "$(dirname "$0")/lib.sh"

read -r P_GW P_UP < <(ports 2)
backend echo echo "127.0.0.1:$P_UP"

# conf_with ERROR_LOG ACCESS_LOG "LISTENER DIRECTIVES"
conf_with() {
    write_conf <<EOF
worker_processes 1;
pid $T/gw.pid;
error_log $1 info;
listener echo {
    listen 127.0.0.1:$P_GW;
    handler tcp;
    proxy_pass 127.0.0.1:$P_UP;
    access_log $2;
    $3
}
EOF
}
served() { [ "$("$TC" -t 2000 -s "$1" read "127.0.0.1:$P_GW" 2>/dev/null)" = "$1" ]; }
denied() { ! served "${1:-x}"; }
# reload_to ERROR_LOG: HUP, then wait for the new generation to be the only one
reload_to() {
    local old
    old=$(workers_of "$GW_PID")
    kill -HUP "$GW_PID"
    wait_log "$1" "reloaded" 3000 || return 1
    wait_until 3000 dead "$old"
}

conf_with "$T/error1.log" "$T/access1.log" ""
gw_start "$P_GW"
check "first configuration: served" served one
wait_log "$T/access1.log" . 2000

conf_with "$T/error2.log" "$T/access2.log" "deny 127.0.0.1; idle_timeout 1s;"
reload_to "$T/error2.log" || not_ok "reload with a new error_log path: 'reloaded' in the new file"
check "reload: the new ACL denies" denied two
check "reload: the new access log gets the new sessions" wait_log "$T/access2.log" ' 403 ' 2000
check "reload: the old access log gets nothing more" test "$(count_lines "$T/access1.log")" -eq 1
check "reload: the new worker logs into the new error log" \
    wait_log "$T/error2.log" "\[info\] [0-9]+#[0-9]+: access forbidden.*listener: echo" 2000

conf_with "$T/error2.log" "$T/access2.log" "allow 127.0.0.1; deny all; idle_timeout 1s;"
reload_to "$T/error2.log"
check "reload: the ACL allows again" served three
out=$("$TC" -t 3000 idle "127.0.0.1:$P_GW" 4000 2>&1)
ms=${out#closed }
if [[ "$out" =~ ^closed\ [0-9]+$ ]] && [ "$ms" -ge 900 ] && [ "$ms" -le 1800 ]; then
    ok "reload: the new idle_timeout applies"
else
    not_ok "reload: the new idle_timeout applies" "client saw: $out"
fi

# ten HUPs back to back, the configuration changing each time
for i in $(seq 10); do
    conf_with "$T/error2.log" "$T/access$((i + 2)).log" ""
    kill -HUP "$GW_PID"
done
if wait_until 8000 has_workers "$GW_PID" 1; then
    ok "ten HUPs in a row: one worker left"
else
    not_ok "ten HUPs in a row: one worker left" "$(count_workers "$GW_PID") workers"
fi
check "ten HUPs in a row: the master is fine" alive "$GW_PID"
is_last() { served "last-$1" && has_line "$T/access12.log" "200"; }
check "ten HUPs in a row: the last configuration serves" wait_until 3000 is_last 1
