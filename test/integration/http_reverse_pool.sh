#!/usr/bin/env bash
# http_reverse upstream pool (upstream { keepalive N; }): 50 sequential
# requests from 50 clients ride at most 4 origin connections (distinct
# peer ports at the origin), with no Connection: close; after 8 clients
# at once, at most 4 idle connections stay; without keepalive every
# request has its own connection with Connection: close; an origin that
# closes idle connections (before or as the next request goes out) costs
# nothing (a fresh connection carries it); idle pooled connections are
# closed after the upstream's keepalive_timeout; and the worker outlives
# read_timeout while connections go through the pool (taken, given back,
# closed when it is full).
. "$(dirname "$0")/lib.sh"

read -r P_GW P_NOKA P_IDLE P_SHORT P_RT P_O P_O2 P_O3 P_O4 P_O5 < <(ports 10)
origin o "127.0.0.1:$P_O"
origin o2 "127.0.0.1:$P_O2"
origin o3 -k 200 "127.0.0.1:$P_O3"
origin o4 "127.0.0.1:$P_O4"
origin o5 "127.0.0.1:$P_O5"
write_conf <<EOF
$MAIN
upstream app { server 127.0.0.1:$P_O; keepalive 4; }
upstream idleo { server 127.0.0.1:$P_O3; keepalive 4; }
upstream short { server 127.0.0.1:$P_O4; keepalive 4; keepalive_timeout 300ms; }
upstream rt { server 127.0.0.1:$P_O5; keepalive 4; }
listener web {
    listen 127.0.0.1:$P_GW;
    handler http_reverse;
    proxy_pass app;
    read_timeout 1s;
    access_log $T/access.log;
}
listener noka {
    listen 127.0.0.1:$P_NOKA;
    handler http_reverse;
    proxy_pass 127.0.0.1:$P_O2;
}
listener idle {
    listen 127.0.0.1:$P_IDLE;
    handler http_reverse;
    proxy_pass idleo;
    read_timeout 1s;
}
listener short {
    listen 127.0.0.1:$P_SHORT;
    handler http_reverse;
    proxy_pass short;
}
listener rt {
    listen 127.0.0.1:$P_RT;
    handler http_reverse;
    proxy_pass rt;
    read_timeout 300ms;
}
EOF
gw_start "$P_GW" "$P_NOKA" "$P_IDLE" "$P_SHORT" "$P_RT"
U="http://127.0.0.1:$P_GW"
w=$(gw_pid_worker)

# ---- 50 sequential clients ------------------------------------------------------------------
fails=0
for i in $(seq 50); do
    [ "$(hget "$U/s$i")" = "o /s$i" ] || fails=$((fails + 1))
done
expect_eq "50 sequential requests: all answered" 0 "$fails"
n=$(origin_ports o)
if [ "$n" -ge 1 ] && [ "$n" -le 4 ]; then
    ok "50 sequential requests: at most 4 origin connections ($n)"
else
    not_ok "50 sequential requests: at most 4 origin connections" "$n distinct ports at the origin"
fi
check "pooled requests do not ask the origin to close" \
    test "$(grep -c 'connection=\[close\]' "$T/o.out")" -eq 0

# ---- 8 at once, then at most 4 stay idle --------------------------------------------------------
pids=()
for i in $(seq 8); do
    urls=()
    for j in $(seq 10); do urls+=("$U/delay/20?p=$i.$j"); done
    curl -s -m 10 "${urls[@]}" >/dev/null &
    pids+=($!)
done
wait "${pids[@]}"
open_le_4() { [ "$(origin_open o)" -le 4 ]; }
if wait_until 2000 open_le_4; then
    ok "after 8 clients at once: at most 4 idle connections kept ($(origin_open o) open, $(origin_ports o) used)"
else
    not_ok "after 8 clients at once: at most 4 idle connections kept" "$(origin_open o) open at the origin"
fi
expect_eq "after 8 clients at once: every request reached the origin" 130 "$(origin_reqs o)"

# ---- the worker outlives read_timeout with pooled connections ----------------------------------
# connections cycle through the pool (taken, given back, closed when it
# is full) while their read_timeout timers are still armed: 3 rounds of
# 12 clients at once, each round followed by more than read_timeout
worker_changed() { [ "$(gw_pid_worker)" != "$w" ]; }
for round in 1 2 3; do
    pids=()
    for i in $(seq 12); do
        urls=()
        for j in $(seq 10); do urls+=("http://127.0.0.1:$P_RT/delay/10?r=$round.$i.$j"); done
        curl -s -m 10 "${urls[@]}" >/dev/null &
        pids+=($!)
    done
    wait "${pids[@]}"
    wait_until 500 worker_changed && break      # past read_timeout (300ms)
done
if worker_changed; then
    not_ok "the worker outlives read_timeout with connections going through the pool" \
        "worker $w died: $(grep -E 'signal|keeps dying' "$T/error.log" | head -n 2)"
    w=$(gw_pid_worker)
else
    ok "the worker outlives read_timeout with connections going through the pool"
fi
expect_eq "... every one of those 360 requests reached the origin" 360 "$(grep -c '/delay/10?r=' "$T/o5.out")"
check "a pooled connection serves after read_timeout passed" http_served "$U/after-rt" "o /after-rt"

# ---- a stale pooled connection: the origin closes as the request comes -----------------------------
hget -o /dev/null "$U/warm"
out=$(hget -w ' %{http_code}' "$U/len/10?once")
expect_eq "origin closes a reused connection unanswered: the request still succeeds" "200" "${out##* }"
check "... the origin dropped it on the pooled connection" \
    test "$(grep -c '^drop ' "$T/o.out")" -ge 1
check "... and answered it on a fresh one" \
    grep -q '^req [0-9]* 1 "GET /len/10?once' "$T/o.out"

# ---- no keepalive: one connection per request, Connection: close -----------------------------------
for i in 1 2 3 4 5; do hget -o /dev/null "http://127.0.0.1:$P_NOKA/n$i"; done
expect_eq "no keepalive: 5 requests, 5 origin connections" 5 "$(origin_ports o2)"
expect_eq "no keepalive: Connection: close on each" 5 "$(grep -c 'connection=\[close\]' "$T/o2.out")"

# ---- the origin closes idle connections (-k 200) ------------------------------------------------------
check "origin closing idle connections: first request" http_served "http://127.0.0.1:$P_IDLE/k1" "o3 /k1"
closes_over() { [ "$(grep -c '^close ' "$T/o3.out")" -gt "$1" ]; }
wait_until 2000 closes_over 0
check "origin closing idle connections: the next request succeeds" \
    http_served "http://127.0.0.1:$P_IDLE/k2" "o3 /k2"
fails=0
for i in 3 4 5 6; do
    c=$(grep -c '^close ' "$T/o3.out")
    http_served "http://127.0.0.1:$P_IDLE/k$i" "o3 /k$i" || fails=$((fails + 1))
    wait_until 2000 closes_over "$c"      # the origin closed it again
done
expect_eq "origin closing idle connections: 4 more requests, each after the close, all 200" 0 "$fails"
expect_eq "origin closing idle connections: the origin answered all 6" 6 "$(origin_reqs o3)"

# ---- keepalive_timeout of the upstream --------------------------------------------------------------
check "keepalive_timeout 300ms: served" http_served "http://127.0.0.1:$P_SHORT/s1" "o4 /s1"
t0=$(now_ms)
nothing_open() { [ "$(origin_open o4)" -eq 0 ]; }
if wait_until 3000 nothing_open; then
    ms=$(($(now_ms) - t0))
    if [ $ms -ge 200 ] && [ $ms -le 1500 ]; then
        ok "keepalive_timeout 300ms: the idle upstream connection is closed after it ($ms ms)"
    else
        not_ok "keepalive_timeout 300ms: the idle upstream connection is closed after it" "after $ms ms"
    fi
else
    not_ok "keepalive_timeout 300ms: the idle upstream connection is closed after it" "still open after 3 s"
fi
check "keepalive_timeout 300ms: the next request opens a new one" \
    http_served "http://127.0.0.1:$P_SHORT/s2" "o4 /s2"

check "the worker survived (same pid)" test "$(gw_pid_worker)" = "$w"
