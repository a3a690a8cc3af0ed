#!/usr/bin/env bash
# udp failover: a server with nothing on its port answers with ICMP port
# unreachable; the session's connected socket gets ECONNREFUSED, the session
# ends with status 502 and the server counts a failure, so with max_fails=1
# the next sessions all go to the live server. A server that goes away in
# the middle of a session ends that session the same way.
. "$(dirname "$0")/lib.sh"

read -r P_GW P_GONE P_DEAD P_LIVE P_LATE P_CLI < <(udp_ports 6)
udp_backend live -m id "127.0.0.1:$P_LIVE"
udp_backend late -m echo "127.0.0.1:$P_LATE"
write_conf <<EOF
$MAIN
upstream pair {
    server 127.0.0.1:$P_DEAD max_fails=1 fail_timeout=30s;
    server 127.0.0.1:$P_LIVE max_fails=1 fail_timeout=30s;
}
listener fo {
    listen 127.0.0.1:$P_GW;
    handler udp;
    proxy_pass pair;
    access_log $T/access.log;
}
listener gone {
    listen 127.0.0.1:$P_GONE;
    handler udp;
    proxy_pass 127.0.0.1:$P_LATE;
    access_log $T/gone.log;
}
EOF
# no probe here: it would take the first round_robin pick
gw_start

# two clients: round_robin gives one to each server
out=$("$UC" -t 500 sockets "127.0.0.1:$P_GW" 2 x 2>&1)
expect_eq "two sessions: the live server answers one, the dead one nobody" \
    "live sockets: 1/2 ok" "$(grep -v udp_client <<<"$out" | tr '\n' ' ' | sed 's/ $//')"
if wait_log "$T/access.log" "\" 502 " 2000; then
    line=$(grep '" 502 ' "$T/access.log")
    re="^127\.0\.0\.1:[0-9]+ \[[^]]+\] fo udp \"pair\" 502 0 1 [0-9.]+ 127\.0\.0\.1:$P_DEAD 0 1\$"
    [[ "$line" =~ $re ]] && ok "the dead server's session ends with 502 at once (ICMP refused)" \
        || not_ok "the dead server's session ends with 502 at once (ICMP refused)" "line: $line"
else
    not_ok "the dead server's session ends with 502 at once (ICMP refused)" \
        "no 502 line: $(cat "$T/access.log")"
fi
check "the refusal is in the error log with the server" \
    has_line "$T/error.log" "refused.*127\.0\.0\.1:$P_DEAD|127\.0\.0\.1:$P_DEAD.*refused"

out=$("$UC" -t 1000 sockets "127.0.0.1:$P_GW" 6 x 2>&1)
expect_eq "max_fails=1: the next 6 sessions all go to the live server" \
    "live live live live live live sockets: 6/6 ok" "$(echo $out)"
expect_eq "... and nothing more to the dead one (one 502 line)" 1 \
    "$(grep -c '" 502 ' "$T/access.log")"

# a server that goes away during a session
out=$("$UC" -p "$P_CLI" send "127.0.0.1:$P_GONE" before 2>&1)
expect_eq "a session to a live server" "before" "$out"
stop_pids "${PID[late]}"
out=$("$UC" -p "$P_CLI" -t 300 silent "127.0.0.1:$P_GONE" 300 after 2>&1)
expect_eq "the server goes away: no reply" "no reply" "$out"
if wait_log "$T/gone.log" . 2000; then
    line=$(last_line "$T/gone.log")
    re=" gone udp \"127\.0\.0\.1:$P_LATE\" 502 6 11 [0-9.]+ 127\.0\.0\.1:$P_LATE 1 2\$"
    [[ "$line" =~ $re ]] && ok "... and the session ends with 502 and both datagrams counted" \
        || not_ok "... and the session ends with 502 and both datagrams counted" "line: $line"
else
    not_ok "... and the session ends with 502" "no access log line"
fi
