#!/usr/bin/env bash
# worker_connections and udp: a session takes 2 slots (the client side and
# its upstream socket), so worker_connections 4 with one worker holds 2
# sessions. A third client's datagrams are then dropped (no reply, nothing
# reaches the server) and counted in the error log (warn, at most once a
# second, every drop eventually counted) while the two sessions keep
# working; once a session ends, a new client is served. A tcp listener
# sharing the budget and paused by it is resumed without the datagram
# socket being taken for a stream one (no accept4 on it).
. "$(dirname "$0")/lib.sh"

read -r P_GW P_UP P_MU P_MT P_TE P_CLI P_CLI2 < <(udp_ports 7)
udp_backend up -m echo "127.0.0.1:$P_UP"
write_conf <<EOF
worker_processes 1;
worker_connections 4;
error_log $T/error.log info;
pid $T/gw.pid;
listener budget {
    listen 127.0.0.1:$P_GW;
    handler udp;
    proxy_pass 127.0.0.1:$P_UP;
    idle_timeout 700ms;
    access_log $T/access.log;
}
EOF
gw_start_udp "127.0.0.1:$P_GW"
wait_log "$T/access.log" . 2000 || bail "the probe session ends"
base=$(udp_sources up)

# two sessions, alive for 2 s with a datagram every 200 ms
spawn c1 "$UC" -t 1000 hold "127.0.0.1:$P_GW" 200 2000 one
spawn c2 "$UC" -t 1000 hold "127.0.0.1:$P_GW" 200 2000 two
wait_log "$T/c1.out" '^ready' 2000 && wait_log "$T/c2.out" '^ready' 2000 \
    || bail "two clients hold sessions" "$(cat "$T/c1.out" "$T/c2.out")"

out=$("$UC" silent "127.0.0.1:$P_GW" 300 x y z 2>&1)
expect_eq "a third client (budget full): no reply to its 3 datagrams" "no reply" "$out"
expect_eq "... nothing of it reached the server (2 sessions only)" \
    $((base + 2)) "$(udp_sources up)"
re='\[warn\] .*udp: dropped [0-9]+ datagrams of new clients \(worker_connections reached\)'
check "... its drops are in the error log at warn" wait_log "$T/error.log" "$re" 1000

# every drop is counted, if at most once a second: the 3 datagrams show
# up in the sum of the reported counts within ~2 s
sum_budget_drops() {
    sed -n 's/.*udp: dropped \([0-9]*\) datagrams of new clients.*/\1/p' "$T/error.log" \
        | awk '{ s += $1 } END { print s + 0 }'
}
three_counted() { [ "$(sum_budget_drops)" -ge 3 ]; }
if wait_until 2500 three_counted; then
    ok "... all 3 dropped datagrams are counted in the error log"
else
    not_ok "... all 3 dropped datagrams are counted in the error log" \
        "reported in total: $(sum_budget_drops) (the rest stays pending until a later drop)"
fi

for c in c1 c2; do
    wait_gone "${PID[$c]}" 3000
    out=$(tail -n 1 "$T/$c.out")
    if [[ "$out" =~ ^hold:\ ([0-9]+)/([0-9]+)\ ok$ ]] && [ "${BASH_REMATCH[1]}" = "${BASH_REMATCH[2]}" ]; then
        ok "session $c kept working while the third client was dropped ($out)"
    else
        not_ok "session $c kept working while the third client was dropped" "$(cat "$T/$c.out")"
    fi
done

# their sessions end (idle_timeout 700ms): a new client is served
n_lines() { [ "$(count_lines "$T/access.log")" -ge 3 ]; }
wait_until 3000 n_lines || not_ok "the two sessions end" "$(cat "$T/access.log")"
out=$("$UC" send "127.0.0.1:$P_GW" later 2>&1)
expect_eq "once the sessions ended, a new client is served" "later" "$out"
out=$("$UC" send "127.0.0.1:$P_GW" also 2>&1)
expect_eq "... and a second one (2 sessions fit again)" "also" "$out"
out=$("$UC" silent "127.0.0.1:$P_GW" 300 nope 2>&1)
expect_eq "... and a third is dropped again" "no reply" "$out"

# 2. udp and tcp listeners sharing worker_connections 8: two udp sessions
# (4), a held tcp tunnel (2) and three tcp clients connecting one after the
# other (2, the others wait: the tcp listener pauses and resumes again and
# again) while the udp sessions' clients flood the listen socket (which
# stays readable). Resuming the paused listeners must leave the datagram
# socket alone: accept4() on it fails (EOPNOTSUPP) and is logged as an
# error. (The socket is left readable only while a callback finds it full
# to the end, so a run catches a wrong resume often, not always.)
gw_stop
backend te echo "127.0.0.1:$P_TE"
write_conf "$T/mixed.conf" <<EOF
worker_processes 1;
worker_connections 8;
error_log $T/mixed.log info;
pid $T/mixed.pid;
listener u {
    listen 127.0.0.1:$P_MU;
    handler udp;
    proxy_pass 127.0.0.1:$P_UP;
    idle_timeout 5s;
}
listener t {
    listen 127.0.0.1:$P_MT;
    handler tcp;
    proxy_pass 127.0.0.1:$P_TE;
}
EOF
gw_start "$T/mixed.conf" "$P_MT"
for c in "$P_CLI" "$P_CLI2"; do
    out=$("$UC" -p "$c" send "127.0.0.1:$P_MU" hi 2>&1)
    expect_eq "mixed: a udp session opens" "hi" "$out"
done
spawn hold "$TC" -t 5000 pingpong "127.0.0.1:$P_MT" 100 2500
wait_log "$T/hold.out" '^ready' 2000 || not_ok "mixed: the tcp tunnel opens" "$(cat "$T/hold.out")"
spawn flood1 "$UC" -p "$P_CLI" flood "127.0.0.1:$P_MU" 1 2000 0
spawn flood2 "$UC" -p "$P_CLI2" flood "127.0.0.1:$P_MU" 1 2000 0
for l in la lb lc; do spawn "$l" "$TC" -t 5000 loop "127.0.0.1:$P_MT" 1800; done
for p in flood1 flood2 la lb lc hold; do wait_gone "${PID[$p]}" 5000; done
echo "# $(cat "$T/flood1.out"); $(cat "$T/la.out"); $(cat "$T/lb.out"); $(cat "$T/lc.out")"
if grep -q '^loop: [1-9][0-9]* ok, 0 failed$' "$T/la.out" \
    && grep -q '^loop: [1-9][0-9]* ok, 0 failed$' "$T/lb.out" \
    && grep -q '^loop: [1-9][0-9]* ok, 0 failed$' "$T/lc.out"; then
    ok "mixed: the tcp clients waiting for budget are all served"
else
    not_ok "mixed: the tcp clients waiting for budget are all served" "$(cat "$T/la.out" "$T/lb.out" "$T/lc.out")"
fi
if [[ "$(cat "$T/flood1.out")" =~ received\ [1-9] ]] \
    && [[ "$(cat "$T/flood2.out")" =~ received\ [1-9] ]]; then
    ok "mixed: the udp sessions are served meanwhile"
else
    not_ok "mixed: the udp sessions are served meanwhile" "$(cat "$T/flood1.out" "$T/flood2.out")"
fi
n=$(grep -c 'accept4() failed on listener u' "$T/mixed.log")
if [ "$n" -eq 0 ]; then
    ok "mixed: resuming paused listeners never calls accept4 on the udp socket"
else
    not_ok "mixed: resuming paused listeners never calls accept4 on the udp socket" \
        "$n x: $(grep -m1 'accept4() failed on listener u' "$T/mixed.log")"
fi
