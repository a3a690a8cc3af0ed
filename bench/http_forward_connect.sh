#!/usr/bin/env bash
# bench/http_forward_connect.sh: bulk throughput of one CONNECT tunnel
# through the http_forward handler, against tinyproxy.
# needs: tinyproxy
#
# Origin: `bench/connect_bulk -l ORIGIN` (a source: every connection gets
# an endless stream of 64 KiB writes). Client: `bench/connect_bulk -c -t
# DURATION 127.0.0.1 P 127.0.0.1 ORIGIN`: one connection to the proxy,
# `CONNECT 127.0.0.1:ORIGIN HTTP/1.1`, a 2xx answer, then it reads the
# stream for DURATION s; direct is the same client without -c, straight to
# the origin. The number is the bytes/s the client received (counted from
# the end of the proxy's answer), shown in Gbit/s. Paths: direct, gateway
# (`handler http_forward;`) and tinyproxy (`ConnectPort ORIGIN`).
# Target: gateway >= 4x tinyproxy.
# shellcheck source=bench/lib.sh
. "$(dirname "$0")/lib.sh"
bench_init http_forward_connect
bench_need tinyproxy
bench_paths direct gateway tinyproxy
bench_ref tinyproxy

LABEL="forward CONNECT"
BENCH_SCALE=1e9         # shown in Gbit/s
CONNECT_BULK=$BUILD/bench/connect_bulk

# PATH PORT SECONDS -> REPLY bits/s
measure() {
    local out=$BENCH_TMP/connect_bulk-$1-$BENCH_ROUND.txt rc via=()
    [ "$1" != direct ] && via=(-c)
    bench_client "$out" $(($3 + 20)) \
        "$CONNECT_BULK" "${via[@]}" -t "$3" 127.0.0.1 "$2" 127.0.0.1 "$ORIGIN_PORT"
    rc=$?
    # "bytes 123 seconds 5.000 bytes_per_sec 24.6"
    REPLY=$(awk '$1 == "bytes" && $5 == "bytes_per_sec" { printf "%.0f", $6 * 8; exit }' "$out")
    if [ $rc -eq 0 ] && [ -n "$REPLY" ] &&
       awk -v v="$REPLY" 'BEGIN { exit !(v > 0) }'; then
        return 0
    fi
    if [ $rc -eq 124 ]; then
        BENCH_ERR="connect_bulk timed out after $(($3 + 20)) s"
    else
        BENCH_ERR="connect_bulk: exit $rc: $(tail -3 "$out" | tr '\n' ' ' | cut -c1-200)"
    fi
    return 1
}

[ -x "$CONNECT_BULK" ] ||
    bench_die "$CONNECT_BULK is missing: run make bench (or make $CONNECT_BULK)"
bench_free_port
ORIGIN_PORT=$FREE_PORT
bench_start "$BENCH_TMP/source.log" "$CONNECT_BULK" -l "$ORIGIN_PORT"
bench_wait_listen "$ORIGIN_PORT" "$REPLY" 10 ||
    bench_die "connect_bulk -l did not start on 127.0.0.1:$ORIGIN_PORT: $(tail -3 "$BENCH_TMP/source.log")"
bench_gateway "handler http_forward;"
bench_tinyproxy "ConnectPort $ORIGIN_PORT"

echo "== $LABEL: connect_bulk -c -t $DURATION (direct: without -c), one stream, $ROUNDS rounds, paths ${BENCH_PATHS[*]} (origin :$ORIGIN_PORT, gateway :$GW_PORT, tinyproxy :$TP_PORT)"
bench_rounds "$LABEL" measure "$ORIGIN_PORT"
bench_report "$LABEL" Gbit/s
bench_target "$LABEL" 4
bench_finish
