#!/usr/bin/env bash
# bench/tcp_connect.sh: new connections per second through the tcp handler.
# needs: wrk nginx-stream haproxy
#
# Origin: bench/origin (one-thread epoll HTTP/1.1 server, tiny 200
# response, closes on "Connection: close"). Client: `wrk -t1 -c32
# -dDURATIONs -H 'Connection: close' http://127.0.0.1:P/`, so every request
# is a new TCP connection (two through a proxy); the number is wrk's
# Requests/sec. Target: gateway >= 1.2x nginx.
# shellcheck source=bench/lib.sh
. "$(dirname "$0")/lib.sh"
bench_init tcp_connect
bench_need wrk nginx-stream haproxy

LABEL="tcp connect"
BENCH_SCALE=1           # shown in connections/s

# PATH PORT SECONDS -> REPLY requests/s
measure() {
    local out=$BENCH_TMP/wrk-$1-$BENCH_ROUND.txt rc errs non2xx
    bench_client "$out" $(($3 + 20)) \
        wrk -t1 -c32 -d"$3"s -H 'Connection: close' "http://127.0.0.1:$2/"
    rc=$?
    REPLY=$(awk '/^Requests\/sec:/ { print $2; exit }' "$out")
    # "Socket errors: connect 0, read 3, write 0, timeout 0"
    errs=$(sed -n 's/^[[:space:]]*Socket errors:[[:space:]]*//p' "$out")
    non2xx=$(sed -n 's/^[[:space:]]*Non-2xx or 3xx responses:[[:space:]]*//p' "$out")
    if [ "$BENCH_ROUND" != warmup ]; then
        [ -n "$errs" ] && bench_note "$1 round $BENCH_ROUND: wrk socket errors: $errs"
        [ -n "$non2xx" ] && bench_note "$1 round $BENCH_ROUND: wrk non-2xx responses: $non2xx"
    fi
    if [ $rc -eq 0 ] && [ -n "$REPLY" ] &&
       awk -v v="$REPLY" 'BEGIN { exit !(v > 0) }'; then
        return 0
    fi
    if [ $rc -eq 124 ]; then
        BENCH_ERR="wrk timed out after $(($3 + 20)) s"
    else
        BENCH_ERR="wrk: exit $rc, ${REPLY:-no} requests/s${errs:+, socket errors: $errs}${non2xx:+, non-2xx: $non2xx}"
        [ -z "$REPLY" ] && BENCH_ERR="$BENCH_ERR: $(tail -3 "$out" | tr '\n' ' ' | cut -c1-200)"
    fi
    return 1
}

[ -x "$ORIGIN" ] || bench_die "$ORIGIN is missing: run make bench (or make $ORIGIN)"
bench_free_port
ORIGIN_PORT=$FREE_PORT
bench_start "$BENCH_TMP/origin.log" "$ORIGIN" "$ORIGIN_PORT"
bench_wait_listen "$ORIGIN_PORT" "$REPLY" 10 ||
    bench_die "bench/origin did not start on 127.0.0.1:$ORIGIN_PORT: $(tail -3 "$BENCH_TMP/origin.log")"
bench_gateway "handler tcp; proxy_pass 127.0.0.1:$ORIGIN_PORT;"
bench_nginx stream "proxy_pass 127.0.0.1:$ORIGIN_PORT;"
bench_haproxy "    mode tcp
    option splice-request
    option splice-response
    server origin 127.0.0.1:$ORIGIN_PORT"

echo "== $LABEL: wrk -t1 -c32 -d${DURATION}s, Connection: close, $ROUNDS rounds (origin :$ORIGIN_PORT, gateway :$GW_PORT, nginx :$NGX_PORT)"
bench_rounds "$LABEL" measure "$ORIGIN_PORT"
bench_report "$LABEL" conn/s
bench_target "$LABEL" 1.2
bench_finish
