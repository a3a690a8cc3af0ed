#!/usr/bin/env bash
# udp handler: datagrams go to the upstream and the replies come back, over
# IPv4 and IPv6, to an upstream block or a literal address, from one family
# to the other; each session leaves one access log line (after its
# idle_timeout here) with status 200, bytes and datagrams each way and the
# upstream's address.
. "$(dirname "$0")/lib.sh"

read -r P_GW4 P_GW6 P_MIX P_UP4 P_UP6 < <(udp_ports 5)
udp_backend up4 -m echo "127.0.0.1:$P_UP4"
udp_backend up6 -m echo "[::1]:$P_UP6"
write_conf <<EOF
$MAIN
upstream v4 { server 127.0.0.1:$P_UP4; }
listener echo4 {
    listen 127.0.0.1:$P_GW4;
    handler udp;
    proxy_pass v4;
    idle_timeout 300ms;
    access_log $T/access4.log;
}
listener echo6 {
    listen [::1]:$P_GW6;
    handler udp;
    proxy_pass [::1]:$P_UP6;
    idle_timeout 300ms;
    access_log $T/access6.log;
}
listener mixed {
    listen 127.0.0.1:$P_MIX;
    handler udp;
    proxy_pass [::1]:$P_UP6;
    idle_timeout 300ms;
}
EOF
gw_start_udp "127.0.0.1:$P_GW4" "[::1]:$P_GW6"
# the probes' sessions end (300 ms) before the cases start
wait_log "$T/access4.log" . 3000 && wait_log "$T/access6.log" . 3000 \
    || bail "probe sessions end" "no access log line after idle_timeout 300ms"

# $1 listener address, $2 access log, $3 listener name, $4 upstream
# (pattern), $5 client (pattern), $6 proxy_pass text (pattern)
echo_case() {
    local out line re n0
    n0=$(count_lines "$2")
    out=$("$UC" send "$1" "hello gateway" "second" 2>&1)
    expect_eq "echo through $3 (reply from the address we sent to)" \
        "hello gateway
second" "$out"
    wait_until 2000 lines_over "$2" "$n0"
    line=$(last_line "$2")
    re="^$5 \[[^]]+\] $3 udp \"$6\" 200 19 19 [0-9]+\.[0-9]{3} $4 2 2\$"
    if [[ "$line" =~ $re ]]; then
        ok "access log line for $3: 200, 19 bytes and 2 datagrams each way, upstream"
    else
        not_ok "access log line for $3: 200, 19 bytes and 2 datagrams each way, upstream" \
            "line: '$line', wanted /$re/"
    fi
}

echo_case "127.0.0.1:$P_GW4" "$T/access4.log" echo4 \
    "127\.0\.0\.1:$P_UP4" "127\.0\.0\.1:[0-9]+" v4
echo_case "[::1]:$P_GW6" "$T/access6.log" echo6 \
    "\[::1\]:$P_UP6" "\[::1\]:[0-9]+" "\[::1\]:$P_UP6"

out=$("$UC" send "127.0.0.1:$P_MIX" "v4 to v6" 2>&1)
expect_eq "an IPv4 listener to an IPv6 upstream" "v4 to v6" "$out"

# one line per session, not per datagram: 3 sessions of 10 datagrams
n0=$(count_lines "$T/access4.log")
for i in 1 2 3; do "$UC" echo "127.0.0.1:$P_GW4" 100x10 >/dev/null 2>&1; done
wait_until 2000 lines_over "$T/access4.log" $((n0 + 2))
n=$(($(count_lines "$T/access4.log") - n0))
n10=$(tail -n 3 "$T/access4.log" | grep -c ' 200 1000 1000 [0-9.]* [0-9.:]* 10 10$')
if [ "$n" -eq 3 ] && [ "$n10" -eq 3 ]; then
    ok "one access log line per session with byte and datagram counts"
else
    not_ok "one access log line per session with byte and datagram counts" \
        "$n lines, $n10 with 1000 bytes and 10 datagrams each way: $(tail -n 3 "$T/access4.log")"
fi

# the access log line's duration is the session's: about idle_timeout
line=$(last_line "$T/access4.log")
secs=$(awk '{print $10}' <<<"$line")
if [[ "$secs" =~ ^0\.([3-9][0-9]{2})$ ]]; then
    ok "a session's duration counts until its idle end (300..999 ms)"
else
    not_ok "a session's duration counts until its idle end (300..999 ms)" "line: $line"
fi
