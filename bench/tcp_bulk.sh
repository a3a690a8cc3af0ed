#!/usr/bin/env bash
# bench/tcp_bulk.sh: bulk throughput of the tcp handler.
# needs: iperf3 nginx-stream haproxy
#
# Origin: `iperf3 -s` on 127.0.0.1. Client: `iperf3 -c 127.0.0.1 -p P -t
# DURATION -J`, straight to the origin (direct), through gateway (handler
# tcp) and through nginx (stream proxy_pass); the number is the bits/s the
# receiving end counted (end.sum_received.bits_per_second).
# Target: gateway >= 1.5x nginx.
# shellcheck source=bench/lib.sh
. "$(dirname "$0")/lib.sh"
bench_init tcp_bulk
bench_need iperf3 nginx-stream haproxy

LABEL="tcp bulk"
BENCH_SCALE=1e9         # shown in Gbit/s

# PATH PORT SECONDS -> REPLY bits/s
measure() {
    local out=$BENCH_TMP/iperf3-$1-$BENCH_ROUND.json rc err
    for _ in 1 2 3 4 5 6; do
        bench_client "$out" $(($3 + 20)) iperf3 -c 127.0.0.1 -p "$2" -t "$3" -J
        rc=$?
        # the server takes a moment to be ready for the next test
        grep -q 'server is busy' "$out" || break
        sleep 0.5
    done
    # "sum_received": { ..., "bits_per_second": 4.1e+10, ... }
    REPLY=$(awk '/"sum_received"/ { f = 1 }
                 f && /"bits_per_second"/ { v = $2; gsub(/[^0-9.eE+-]/, "", v); print v; exit }' "$out")
    if [ $rc -eq 0 ] && [ -n "$REPLY" ] &&
       awk -v v="$REPLY" 'BEGIN { exit !(v > 0) }'; then
        return 0
    fi
    err=$(sed -n 's/^[[:space:]]*"error":[[:space:]]*"\(.*\)",\{0,1\}[[:space:]]*$/\1/p' "$out" | head -1)
    [ $rc -eq 124 ] && err="timed out after $(($3 + 20)) s${err:+: $err}"
    [ -z "$err" ] && err="exit $rc, $(tr '\n' ' ' < "$out" | cut -c1-200)"
    BENCH_ERR="iperf3: $err"
    return 1
}

bench_free_port
ORIGIN_PORT=$FREE_PORT
bench_start "$BENCH_TMP/iperf3-server.log" iperf3 -s -B 127.0.0.1 -p "$ORIGIN_PORT"
bench_wait_listen "$ORIGIN_PORT" "$REPLY" 10 ||
    bench_die "iperf3 -s did not start on 127.0.0.1:$ORIGIN_PORT: $(tail -3 "$BENCH_TMP/iperf3-server.log")"
bench_gateway "handler tcp; proxy_pass 127.0.0.1:$ORIGIN_PORT;"
bench_nginx stream "proxy_pass 127.0.0.1:$ORIGIN_PORT;"
bench_haproxy "    mode tcp
    option splice-request
    option splice-response
    server origin 127.0.0.1:$ORIGIN_PORT"

echo "== $LABEL: iperf3 -t $DURATION, $ROUNDS rounds (origin :$ORIGIN_PORT, gateway :$GW_PORT, nginx :$NGX_PORT)"
bench_rounds "$LABEL" measure "$ORIGIN_PORT"
bench_report "$LABEL" Gbit/s
bench_target "$LABEL" 1.5
bench_finish
