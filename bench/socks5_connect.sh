#!/usr/bin/env bash
# bench/socks5_connect.sh: new SOCKS5 connections per second through the
# socks5 handler, against Dante and microsocks.
# needs: danted microsocks
#
# Origin: bench/origin (3-byte bodies, closes on "Connection: close").
# Client: `bench/socks_rr -c 32 -t DURATION 127.0.0.1 P 127.0.0.1 ORIGIN`
# (bench/socks_rr.c): 32 connections at a time, each a TCP connect to the
# proxy, the greeting (method 00), CONNECT to 127.0.0.1:ORIGIN by IPv4
# address, the reply, then `GET / HTTP/1.1` with `Connection: close`
# through the tunnel, the answer read to EOF, close; direct is the same
# client with -d, the HTTP request straight to the origin. The number is
# the connections completed per second. Paths: direct, gateway (`handler
# socks5;`), dante (`danted -N 1`, the reference) and microsocks (a thread
# per client). Targets: gateway >= 2x dante, and >= 1.3x microsocks.
# Until gateway has the socks5 handler it refuses the configuration: its
# path is skipped (rounds `fail`, the reason in the notes).
# shellcheck source=bench/lib.sh
. "$(dirname "$0")/lib.sh"
bench_init socks5_connect
bench_need danted microsocks
bench_paths direct gateway dante microsocks
bench_ref dante
bench_optional gateway

LABEL="socks5 connect"
BENCH_SCALE=1           # shown in connections/s
SOCKS_RR=$BUILD/bench/socks_rr
CONNS=32

# PATH PORT SECONDS -> REPLY connections/s
measure() {
    local out=$BENCH_TMP/socks_rr-$1-$BENCH_ROUND.txt rc mode=() errs first
    [ "$1" = direct ] && mode=(-d)
    bench_client "$out" $(($3 + 20)) \
        "$SOCKS_RR" "${mode[@]}" -c "$CONNS" -t "$3" \
        127.0.0.1 "${2:-0}" 127.0.0.1 "$ORIGIN_PORT"
    rc=$?
    # "conns 123 seconds 3.000 conns_per_sec 41.0 errors 0"
    REPLY=$(awk '$1 == "conns" && $5 == "conns_per_sec" { print $6; exit }' "$out")
    # "errors connect 0 socks 2 closed 0 http 0 timeout 0": the kinds seen
    errs=$(awk '$1 == "errors" { s = ""
               for (i = 2; i < NF; i += 2) if ($(i + 1) > 0) s = s (s ? ", " : "") $i " " $(i + 1)
               print s; exit }' "$out")
    first=$(sed -n 's/^socks_rr: first error: //p' "$out" | cut -c1-160)
    if [ "$BENCH_ROUND" != warmup ] && [ -n "$errs" ]; then
        bench_note "$1 round $BENCH_ROUND: socks_rr errors: $errs (first: $first)"
    fi
    if [ $rc -eq 0 ] && [ -n "$REPLY" ] &&
       awk -v v="$REPLY" 'BEGIN { exit !(v > 0) }'; then
        return 0
    fi
    if [ $rc -eq 124 ]; then
        BENCH_ERR="socks_rr timed out after $(($3 + 20)) s"
    elif [ -n "$errs" ]; then
        BENCH_ERR="socks_rr: exit $rc, ${REPLY:-no} conns/s, errors: $errs (first: $first)"
    else
        BENCH_ERR="socks_rr: exit $rc: $(tail -3 "$out" | tr '\n' ' ' | cut -c1-200)"
    fi
    return 1
}

[ -x "$ORIGIN" ] || bench_die "$ORIGIN is missing: run make bench (or make $ORIGIN)"
[ -x "$SOCKS_RR" ] || bench_die "$SOCKS_RR is missing: run make bench (or make $SOCKS_RR)"
bench_free_port
ORIGIN_PORT=$FREE_PORT
bench_start "$BENCH_TMP/origin.log" "$ORIGIN" "$ORIGIN_PORT"
bench_wait_listen "$ORIGIN_PORT" "$REPLY" 10 ||
    bench_die "bench/origin did not start on 127.0.0.1:$ORIGIN_PORT: $(tail -3 "$BENCH_TMP/origin.log")"
bench_gateway "handler socks5;"
bench_danted ""
bench_microsocks

echo "== $LABEL: socks_rr -c $CONNS -t $DURATION (direct: -d), a SOCKS5 CONNECT and one HTTP request per connection, $ROUNDS rounds, paths ${BENCH_PATHS[*]} (origin :$ORIGIN_PORT, gateway :${GW_PORT:-none}, dante :$DANTE_PORT, microsocks :$MS_PORT)"
bench_rounds "$LABEL" measure "$ORIGIN_PORT"
bench_report "$LABEL" conn/s
bench_target "$LABEL" 2 microsocks:1.3
bench_finish
