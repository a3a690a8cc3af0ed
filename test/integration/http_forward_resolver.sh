#!/usr/bin/env bash
# http_forward names, in a private network whose DNS server is a
# dns_stub the test controls: a name resolves (DNS and /etc/hosts), an
# unknown one is 502 at once, a server failure 502, an answer that never
# comes 504 after connect_timeout; while a slow look-up is in flight the
# worker goes on serving other clients; concurrent look-ups of one name
# share one query; answers are cached for resolver_cache, then asked
# again; a name's addresses are tried in order (IPv6 refused, then IPv4);
# a client that leaves during its look-up is logged 499 at once, and the
# answer that comes later harms nobody; CONNECT by name.
PRIVATE_NET=1
. "$(dirname "$0")/lib.sh"

read -r P_GW P_SHORT P_O P_O6 P_O2 < <(ports 5)
origin o "127.0.0.1:$P_O"
origin o6 "[::1]:$P_O6"
origin o2 "127.0.0.1:$P_O2"
dns_stub fast.test=127.0.0.1 slow.test=127.0.0.1@1200 shared.test=127.0.0.1@800 \
    left.test=127.0.0.1@800 cached.test=127.0.0.1 both.test=::1,127.0.0.1 \
    v6.test=::1 gone.test=nxdomain broken.test=servfail hang.test=drop \
    tunnel.test=127.0.0.1 hosts.test=10.9.9.9
echo "127.0.0.1 hosts.test" >>"$T/hosts"
write_conf <<EOF
$MAIN
resolver_threads 2;
resolver_cache 2s;
listener fwd {
    listen 127.0.0.1:$P_GW;
    handler http_forward;
    connect_timeout 3s;
    access_log $T/access.log;
}
listener short {
    listen 127.0.0.1:$P_SHORT;
    handler http_forward;
    connect_timeout 500ms;
    access_log $T/short.log;
}
EOF
gw_start "$P_GW" "$P_SHORT"
W0=$(gw_pid_worker)
X="http://127.0.0.1:$P_GW"
A="127.0.0.1:$P_GW"

# status NAME[:PORT]/PATH [PROXY]: the status curl gets through the proxy
status() {
    curl -s -m 8 -o /dev/null -w '%{http_code}' -x "${2:-$X}" "http://$1"
}

# ---- names that resolve ---------------------------------------------------------------------
out=$(hget -x "$X" "http://fast.test:$P_O/dns")
expect_eq "a name from DNS" "o /dns" "$out"
expect_eq "... Host as the URI wrote it" "host=[fast.test:$P_O]" \
    "$(grep -oE 'host=\[[^]]*\]' <<<"$(last_req o)")"
out=$(hget -x "$X" "http://hosts.test:$P_O/hosts")
expect_eq "a name from /etc/hosts (files before dns)" "o /hosts" "$out"
expect_eq "... DNS was never asked for it" 0 "$(dns_queries hosts.test)"
out=$(hget -x "$X" "http://v6.test:$P_O6/six")
expect_eq "an IPv6-only name" "o6 /six" "$out"

# ---- addresses in order (o2: no pooled connection to it yet) --------------------------------------
out=$(hget -x "$X" "http://both.test:$P_O2/both")
expect_eq "IPv6 then IPv4: the v4 address answers after the v6 one refused" "o2 /both" "$out"
check "... the refusal of [::1] is in the error log" \
    has_line "$T/error.log" "connect\(\) failed \(111: .*upstream: \[::1\]:$P_O2"
check "... the access log names the address that served" \
    has_line "$T/access.log" "both HTTP/1.1\" 200 .* 127\.0\.0\.1:$P_O2"
out=$(hget -x "$X" "http://both.test:$P_O2/again")
expect_eq "... the next request finds the pooled IPv4 connection" "o2 /again 1" "$out $(origin_conns o2)"

# ---- names that do not ------------------------------------------------------------------------------
t0=$(now_ms)
expect_eq "an unknown name (NXDOMAIN): 502" 502 "$(status "gone.test:$P_O/")"
check "... at once" test $(($(now_ms) - t0)) -lt 1000
check "... logged as a resolving failure" has_line "$T/error.log" "cannot resolve the origin"
expect_eq "a DNS server failure: 502" 502 "$(status "broken.test:$P_O/")"
expect_eq "name.invalid (RFC 6761: never resolves): 502" 502 "$(status "name.invalid/")"
n=$(dns_queries gone.test)
status "gone.test:$P_O/" >/dev/null
expect_eq "an unknown name is remembered a while (no second query)" "$n" "$(dns_queries gone.test)"
t0=$(now_ms)
code=$(status "hang.test:$P_O/" "http://127.0.0.1:$P_SHORT")
ms=$(($(now_ms) - t0))
if [ "$code" = 504 ] && [ $ms -ge 450 ] && [ $ms -lt 2000 ]; then
    ok "an answer that never comes: 504 after connect_timeout"
else
    not_ok "an answer that never comes: 504 after connect_timeout" "$code after $ms ms"
fi
long=$(printf 'a%.0s' $(seq 300)).test
expect_eq "a name over 255 bytes: 502, no query" "502 0" \
    "$(status "$long:$P_O/") $(grep -c "^query a" "$T/dns.out")"

# ---- a slow look-up does not stop the loop ---------------------------------------------------------------
curl -s -m 8 -o "$T/slow.body" -w '%{http_code} %{time_total}\n' -x "$X" \
    "http://slow.test:$P_O/slow" >"$T/slow.out" 2>&1 &
slow=$!
slow_asked() { [ "$(dns_queries slow.test)" -ge 1 ]; }
wait_until 2000 slow_asked || not_ok "the slow query is asked"
t0=$(now_ms)
served=0
for i in $(seq 20); do
    [ "$(hget -x "$X" "http://127.0.0.1:$P_O/meanwhile$i")" = "o /meanwhile$i" ] && served=$((served + 1))
done
[ "$(hget -x "$X" "http://fast.test:$P_O/cached")" = "o /cached" ] && served=$((served + 1))
ms=$(($(now_ms) - t0))
still=$(kill -0 $slow 2>/dev/null && echo running || echo done)
if [ $served -eq 21 ] && [ "$still" = running ]; then
    ok "21 clients served in $ms ms while a look-up was in flight"
else
    not_ok "21 clients served while a look-up was in flight" "$served served in $ms ms; slow client $still"
fi
wait $slow
read -r code secs <"$T/slow.out"
if [ "$code" = 200 ] && awk -v s="$secs" 'BEGIN { exit !(s >= 1.0) }' \
    && [ "$(cat "$T/slow.body")" = "o /slow" ]; then
    ok "the slow look-up's client is served once the answer comes (${secs}s)"
else
    not_ok "the slow look-up's client is served once the answer comes" "$code after ${secs}s"
fi

# ---- one query for concurrent look-ups ------------------------------------------------------------------
pids=()
for i in 1 2 3 4 5; do
    curl -s -m 8 -o /dev/null -w '%{http_code}\n' -x "$X" "http://shared.test:$P_O/s$i" >"$T/shared$i.out" &
    pids+=($!)
done
wait "${pids[@]}"
expect_eq "five clients at once for one name: all served" "200 200 200 200 200" \
    "$(cat "$T"/shared[1-5].out | paste -sd' ')"
expect_eq "... by one query" 1 "$(dns_queries shared.test)"

# ---- the cache ---------------------------------------------------------------------------------------------
status "cached.test:$P_O/c1" >/dev/null
status "cached.test:$P_O/c2" >/dev/null
expect_eq "a second request within resolver_cache: no second query" 1 "$(dns_queries cached.test)"
asked_again() {
    status "cached.test:$P_O/again" >/dev/null
    [ "$(dns_queries cached.test)" -ge 2 ]
}
t0=$(now_ms)
if wait_until 5000 asked_again && [ $(($(now_ms) - t0)) -ge 1000 ]; then
    ok "after resolver_cache the name is asked again"
else
    not_ok "after resolver_cache the name is asked again" "$(dns_queries cached.test) queries after $(($(now_ms) - t0)) ms"
fi

# ---- a client that leaves during its look-up ------------------------------------------------------------------
t0=$(now_ms)
"$HC" -t 200 "$A" "send=GET http://left.test:$P_O/left HTTP/1.1\r\n\r\n" read >/dev/null 2>&1
wait_log "$T/access.log" 'left HTTP/1\.1" 499 ' 2000
ms=$(($(now_ms) - t0))
if has_line "$T/access.log" 'left HTTP/1\.1" 499 ' && [ $ms -lt 700 ]; then
    ok "a client that leaves during its look-up: 499 before the answer"
else
    not_ok "a client that leaves during its look-up: 499 before the answer" "after $ms ms"
fi
# the answer comes after the client is gone; the next client gets it cached
wait_until 3000 has_line "$T/dns.out" '^answer left.test A' || not_ok "the left query is answered"
out=$(hget -x "$X" "http://left.test:$P_O/after")
expect_eq "the answer nobody waited for: cached for the next client" "o /after 1" \
    "$out $(dns_queries left.test)"

# ---- CONNECT by name ------------------------------------------------------------------------------------------
out=$(hget -p -x "$X" "http://tunnel.test:$P_O/tunnel")
expect_eq "CONNECT to a name" "o /tunnel" "$out"
expect_eq "CONNECT to an unknown name: 502 (curl fails the tunnel)" 000 \
    "$(curl -s -m 5 -o /dev/null -w '%{http_code}' -p -x "$X" "http://gone.test:$P_O/")"
check "... logged 502" has_line "$T/access.log" "\"CONNECT gone.test:$P_O HTTP/1.1\" 502 "

expect_eq "the worker never died" "$W0" "$(gw_pid_worker)"
