#!/usr/bin/env bash
# socks5 destinations by name, in a private network with a dns_stub: a
# name resolves (curl --socks5-hostname), an unknown one gets reply 04, an
# answer that never comes reply 06 after connect_timeout, a name's IPv6
# address refused then its IPv4 one connected; the loop serves other
# clients while a slow look-up is in flight; a client that leaves during
# its look-up harms nobody (its answer serves the next); UDP ASSOCIATE
# datagrams to a name.
PRIVATE_NET=1
. "$(dirname "$0")/lib.sh"

read -r P_S P_O P_U < <(udp_ports 3)
origin o "127.0.0.1:$P_O"
udp_backend echo -m echo "127.0.0.1:$P_U"
dns_stub fast.test=127.0.0.1 slow.test=127.0.0.1@1000 left.test=127.0.0.1@800 \
    both.test=::1,127.0.0.1 gone.test=nxdomain hang.test=drop udp.test=127.0.0.1
write_conf <<EOF2
$MAIN
listener socks {
    listen 127.0.0.1:$P_S;
    handler socks5;
    connect_timeout 2s;
    access_log $T/access.log;
}
EOF2
gw_start "$P_S"
W0=$(gw_pid_worker)
S5="$BK/socks5_client"
A="127.0.0.1:$P_S"

rep_of() {
    grep -E "$1" "$T/access.log" | tail -n 1 | awk '{ print $NF }'
}

out=$(hget --socks5-hostname "$A" "http://fast.test:$P_O/dns")
expect_eq "a name from DNS" "o /dns" "$out"
out=$(hget --socks5-hostname "$A" "http://both.test:$P_O/both")
expect_eq "IPv6 refused, then IPv4" "o /both" "$out"
check "... the [::1] refusal logged" has_line "$T/error.log" "connect\(\) failed \(111: .*upstream: \[::1\]:$P_O"
out=$("$S5" -t 3000 "$A" connect gone.test 80 2>&1)
expect_eq "an unknown name: reply 04" "reply 04 0.0.0.0:0" "$(grep '^reply' <<<"$out")"
t0=$(now_ms)
out=$("$S5" -t 5000 "$A" connect hang.test 80 2>&1)
ms=$(($(now_ms) - t0))
if [[ "$out" == *"reply 06"* ]] && [ $ms -ge 1900 ] && [ $ms -lt 4000 ]; then
    ok "an answer that never comes: reply 06 after connect_timeout"
else
    not_ok "an answer that never comes: reply 06 after connect_timeout" "after $ms ms: $(tr '\n' '|' <<<"$out")"
fi

# a slow look-up does not stop the loop
curl -s -m 8 -o "$T/slow.body" --socks5-hostname "$A" "http://slow.test:$P_O/slow" &
slow=$!
slow_asked() { [ "$(dns_queries slow.test)" -ge 1 ]; }
wait_until 2000 slow_asked || not_ok "the slow query is asked"
served=0
for i in $(seq 10); do
    [ "$(hget --socks5 "$A" "http://127.0.0.1:$P_O/m$i")" = "o /m$i" ] && served=$((served + 1))
done
still=$(kill -0 $slow 2>/dev/null && echo running || echo done)
expect_eq "10 clients served while a look-up was in flight" "10 running" "$served $still"
wait $slow
expect_eq "... and the slow one once its answer came" "o /slow" "$(cat "$T/slow.body")"

# a client that leaves during its look-up
"$S5" -t 100 "$A" connect left.test "$P_O" >/dev/null 2>&1
wait_until 3000 has_line "$T/dns.out" '^answer left.test A'
out=$(hget --socks5-hostname "$A" "http://left.test:$P_O/after")
expect_eq "after a client left mid look-up, its name serves the next one" "o /after" "$out"

# the private network has no route out: a connect fails at once
out=$("$S5" -t 3000 "$A" connect 10.1.2.3 80 2>&1)
expect_eq "no route to the network: reply 03" "reply 03 0.0.0.0:0" "$(grep '^reply' <<<"$out")"
check "... logged 502 with reply 03" grep -qE '"CONNECT 10\.1\.2\.3:80" 502 .* 03$' "$T/access.log"

out=$("$S5" -t 3000 "$A" udp udp.test "$P_U" named 3 2>&1)
expect_eq "UDP ASSOCIATE datagrams to a name" "0 3" "$? $(grep -c '^udp-reply 127.0.0.1' <<<"$out")"
expect_eq "the worker never died" "$W0" "$(gw_pid_worker)"
