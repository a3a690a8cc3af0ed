#!/usr/bin/env bash
# Log formats and levels: error log lines are "YYYY/MM/DD HH:MM:SS [level]
# PID#TID: message", connection messages end with client, listener and
# upstream; the level filters; error_log stderr writes to stderr; access
# log lines have the documented fields; access_log off writes nothing;
# relative log paths resolve against the configuration's directory.
. "$(dirname "$0")/lib.sh"

read -r P_GW P_DEADGW P_OFF P_UP P_DEAD < <(ports 5)
backend echo echo "127.0.0.1:$P_UP"
mkdir -p "$T/etc/logs"
CONF="$T/etc/gw.conf"

# conf_level LEVEL
conf_level() {
    write_conf <<EOF
worker_processes 1;
pid $T/gw.pid;
error_log logs/error.log $1;
listener echo {
    listen 127.0.0.1:$P_GW;
    handler tcp;
    proxy_pass 127.0.0.1:$P_UP;
    access_log logs/access.log;
}
listener dead {
    listen 127.0.0.1:$P_DEADGW;
    handler tcp;
    proxy_pass 127.0.0.1:$P_DEAD;
}
listener off {
    listen 127.0.0.1:$P_OFF;
    handler tcp;
    proxy_pass 127.0.0.1:$P_UP;
    access_log off;
}
EOF
}
EL="$T/etc/logs/error.log"
AL="$T/etc/logs/access.log"

conf_level warn
gw_start "$P_GW" "$P_DEADGW" "$P_OFF"

check "relative error_log path: created next to the configuration" test -e "$EL"
"$TC" -t 3000 -s "hello" read "127.0.0.1:$P_GW" >/dev/null 2>&1
check "relative access_log path: created next to the configuration" wait_log "$AL" . 2000

line=$(head -n 1 "$AL")
re='^127\.0\.0\.1:[0-9]+ \[[0-9]{2}/[A-Z][a-z]{2}/[0-9]{4}:[0-9]{2}:[0-9]{2}:[0-9]{2} [+-][0-9]{4}\] echo tcp "127\.0\.0\.1:'"$P_UP"'" 200 5 5 [0-9]+\.[0-9]{3} 127\.0\.0\.1:'"$P_UP"'$'
if [[ "$line" =~ $re ]]; then
    ok "access log line: client [time] listener handler \"target\" status sent received secs upstream"
else
    not_ok "access log line: client [time] listener handler \"target\" status sent received secs upstream" "line: '$line'"
fi
"$TC" -t 3000 -s "x" read "127.0.0.1:$P_OFF" >/dev/null 2>&1
check "access_log off: nothing written" test "$(ls "$T/etc/logs" | wc -l)" -eq 2

# at warn: a refused upstream (error) is logged, a client reset (info) not
"$TC" -t 3000 read "127.0.0.1:$P_DEADGW" >/dev/null 2>&1
"$TC" reset "127.0.0.1:$P_GW" 100000 >/dev/null 2>&1
check "error_log warn: an error is logged" \
    wait_log "$EL" "\[error\] .*connect\(\) failed" 2000
"$TC" -t 3000 -s "sync" read "127.0.0.1:$P_GW" >/dev/null 2>&1
wait_until 2000 lines_over "$AL" 3
check "error_log warn: info messages are not" test "$(grep -c '\[info\]' "$EL")" -eq 0

ctx="client: 127\.0\.0\.1:[0-9]+, listener: dead, upstream: 127\.0\.0\.1:$P_DEAD\$"
check "a connection message ends with client, listener and upstream" \
    has_line "$EL" "connect\(\) failed .*while connecting to upstream, $ctx"

conf_level info
kill -HUP "$GW_PID"
wait_log "$EL" "reloaded" 3000
wait_until 3000 has_workers "$GW_PID" 1
"$TC" reset "127.0.0.1:$P_GW" 100000 >/dev/null 2>&1
check "error_log info: a client reset is logged at info" \
    wait_log "$EL" "\[info\] .*client: 127\.0\.0\.1:[0-9]+, listener: echo" 3000

bad=$(grep -vE '^[0-9]{4}/[0-9]{2}/[0-9]{2} [0-9]{2}:[0-9]{2}:[0-9]{2} \[(debug|info|notice|warn|error|crit|alert|emerg)\] [0-9]+#[0-9]+: .+' "$EL" | head -n 3)
if [ -z "$bad" ] && [ -s "$EL" ]; then
    ok "every error log line is 'YYYY/MM/DD HH:MM:SS [level] PID#TID: message'"
else
    not_ok "every error log line is 'YYYY/MM/DD HH:MM:SS [level] PID#TID: message'" "e.g. '$bad'"
fi
check "the master's lines carry its pid" has_line "$EL" "\[notice\] $GW_PID#[0-9]+: "
gw_stop TERM

# error_log stderr: the foreground gateway writes its log to stderr
sed -i "s|^error_log .*|error_log stderr info;|" "$CONF"
: >"$T/gw.out"
gw_start "$P_GW" "$P_DEADGW" "$P_OFF"
"$TC" -t 3000 read "127.0.0.1:$P_DEADGW" >/dev/null 2>&1
check "error_log stderr: messages go to stderr" \
    wait_log "$T/gw.out" '\[error\] .*connect\(\) failed' 2000
