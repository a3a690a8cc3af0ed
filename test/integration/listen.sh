#!/usr/bin/env bash
# listen forms: PORT, *:PORT, IP:PORT, [::1]:PORT, several in one listener,
# backlog=N; an address already in use makes the start fail with a
# message (exit 1), and a reload onto one keeps the old configuration.
. "$(dirname "$0")/lib.sh"

read -r P_BARE P_STAR P_MULTI P_BUSY P_UP < <(ports 5)
backend echo echo "127.0.0.1:$P_UP"
write_conf <<EOF
$MAIN
listener bare { listen $P_BARE; handler tcp; proxy_pass 127.0.0.1:$P_UP; }
listener star { listen *:$P_STAR backlog=16; handler tcp; proxy_pass 127.0.0.1:$P_UP; }
listener multi {
    listen 127.0.0.1:$P_MULTI;
    listen [::1]:$P_MULTI;
    handler tcp;
    proxy_pass 127.0.0.1:$P_UP;
}
EOF
gw_start "$P_BARE" "$P_STAR" "$P_MULTI"

served() { [ "$("$TC" -t 3000 -s "$2" read "$1" 2>/dev/null)" = "$2" ]; }
check "listen PORT serves 127.0.0.1" served "127.0.0.1:$P_BARE" bare
check "listen *:PORT backlog=16 serves 127.0.0.1" served "127.0.0.1:$P_STAR" star
check "two listen lines: the IPv4 one serves" served "127.0.0.1:$P_MULTI" multi4
check "two listen lines: the IPv6 one serves" served "[::1]:$P_MULTI" multi6

# a port someone else holds
spawn busy "$BK/tcp_backend" "127.0.0.1:$P_BUSY"
wait_listen "$P_BUSY"
cat >"$T/busy.conf" <<EOF
worker_processes 1;
error_log $T/busy-error.log info;
pid $T/busy.pid;
listener x { listen 127.0.0.1:$P_BUSY; handler tcp; proxy_pass 127.0.0.1:$P_UP; }
EOF
err=$(timeout 5 "$GW" -c "$T/busy.conf" -g 'daemon off;' 2>&1); rc=$?
if [ $rc -eq 1 ] && [[ "$err" == *"[emerg]"*"127.0.0.1:$P_BUSY"*"in use"* ]]; then
    ok "an address in use: the start fails with a message"
else
    not_ok "an address in use: the start fails with a message" "rc $rc: $err"
fi
check "an address in use: no pid file left" test ! -e "$T/busy.pid"

printf 'listener y { listen 127.0.0.1:%s; handler tcp; proxy_pass 127.0.0.1:%s; }\n' \
    "$P_BUSY" "$P_UP" >>"$CONF"
kill -HUP "$GW_PID"
check "reload onto an address in use: the failure is logged" \
    wait_log "$T/error.log" "reload failed.*127\.0\.0\.1:$P_BUSY" 3000
check "reload onto an address in use: the old configuration still serves" \
    served "127.0.0.1:$P_BARE" still
check "reload onto an address in use: the master survives" alive "$GW_PID"
