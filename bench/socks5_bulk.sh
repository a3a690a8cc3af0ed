#!/usr/bin/env bash
# bench/socks5_bulk.sh: bulk throughput of one SOCKS5 tunnel through the
# socks5 handler, against Dante and microsocks.
# needs: danted microsocks
#
# Origin: `bench/connect_bulk -l ORIGIN` (a source: every connection gets
# an endless stream of 64 KiB writes). Client: `bench/connect_bulk -S -t
# DURATION 127.0.0.1 P 127.0.0.1 ORIGIN`: one connection to the proxy,
# the greeting (method 00), CONNECT to 127.0.0.1:ORIGIN by IPv4 address,
# the reply 00, then it reads the stream for DURATION s; direct is the
# same client without -S, straight to the origin. The number is the
# bytes/s the client received (counted from the end of the SOCKS reply),
# shown in Gbit/s. Paths: direct, gateway (`handler socks5;`), dante
# (`danted -N 1`, the reference) and microsocks (a thread per client).
# Target: gateway >= 1.5x dante (gateway/microsocks is shown too).
# Until gateway has the socks5 handler it refuses the configuration: its
# path is skipped (rounds `fail`, the reason in the notes).
# shellcheck source=bench/lib.sh
. "$(dirname "$0")/lib.sh"
bench_init socks5_bulk
bench_need danted microsocks
bench_paths direct gateway dante microsocks
bench_ref dante
bench_optional gateway

LABEL="socks5 bulk"
BENCH_SCALE=1e9         # shown in Gbit/s
CONNECT_BULK=$BUILD/bench/connect_bulk

# PATH PORT SECONDS -> REPLY bits/s
measure() {
    local out=$BENCH_TMP/connect_bulk-$1-$BENCH_ROUND.txt rc via=()
    [ "$1" != direct ] && via=(-S)
    bench_client "$out" $(($3 + 20)) \
        "$CONNECT_BULK" "${via[@]}" -t "$3" 127.0.0.1 "${2:-0}" 127.0.0.1 "$ORIGIN_PORT"
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
bench_gateway "handler socks5;"
bench_danted ""
bench_microsocks

echo "== $LABEL: connect_bulk -S -t $DURATION (direct: without -S), one stream, $ROUNDS rounds, paths ${BENCH_PATHS[*]} (origin :$ORIGIN_PORT, gateway :${GW_PORT:-none}, dante :$DANTE_PORT, microsocks :$MS_PORT)"
bench_rounds "$LABEL" measure "$ORIGIN_PORT"
bench_report "$LABEL" Gbit/s
bench_target "$LABEL" 1.5
bench_finish
