#!/usr/bin/env bash
# bench/udp_rr.sh: UDP request/response round trips per second through the
# udp handler.
# needs: nginx-stream
#
# Origin: bench/udp_echo (one thread, recvmmsg/sendmmsg). Client:
# bench/udp_rr: one socket (UDP_RR_SOCKETS sockets, each a session of its
# own) keeping 16 datagrams of 64 bytes in flight, a new one sent for every
# reply; the number is replies per second. Paths: direct, gateway (handler
# udp), nginx (stream, listen ... udp).
# Target: gateway >= 1.3x nginx.
# shellcheck source=bench/lib.sh
. "$(dirname "$0")/lib.sh"
SOCKETS=${UDP_RR_SOCKETS:-1}
bench_init "${UDP_RR_NAME:-udp_rr}"
bench_need nginx-stream

if [ "$SOCKETS" = 1 ]; then
    LABEL="udp rr"
else
    LABEL="udp rr ${SOCKETS}x16"
fi
BENCH_SCALE=1           # shown in round trips/s
UDP_ECHO=$BUILD/bench/udp_echo
UDP_RR=$BUILD/bench/udp_rr

# PATH PORT SECONDS -> REPLY round trips/s
measure() {
    local out=$BENCH_TMP/udp_rr-$1-$BENCH_ROUND.txt rc lost
    bench_client "$out" $(($3 + 10)) "$UDP_RR" -c "$SOCKETS" -n 16 -s 64 -t "$3" 127.0.0.1 "$2"
    rc=$?
    REPLY=$(awk '/^round trips\/s:/ { print $3; exit }' "$out")
    lost=$(awk '/^lost:/ { print $2; exit }' "$out")
    if [ "$BENCH_ROUND" != warmup ] && [ "${lost:-0}" != 0 ]; then
        bench_note "$1 round $BENCH_ROUND: $lost datagrams lost (window topped up)"
    fi
    if [ $rc -eq 0 ] && [ -n "$REPLY" ] &&
       awk -v v="$REPLY" 'BEGIN { exit !(v > 0) }'; then
        return 0
    fi
    BENCH_ERR="udp_rr: exit $rc: $(tr '\n' ' ' < "$out" | cut -c1-200)"
    return 1
}

for t in "$UDP_ECHO" "$UDP_RR"; do
    [ -x "$t" ] || bench_die "$t is missing: run make bench"
done
BENCH_PROTO=udp
bench_free_port
ORIGIN_PORT=$FREE_PORT
bench_start "$BENCH_TMP/udp_echo.log" "$UDP_ECHO" "$ORIGIN_PORT"
bench_wait_listen "$ORIGIN_PORT" "$REPLY" 10 udp ||
    bench_die "udp_echo did not start on 127.0.0.1:$ORIGIN_PORT: $(tail -3 "$BENCH_TMP/udp_echo.log")"
bench_gateway "handler udp; proxy_pass 127.0.0.1:$ORIGIN_PORT;"
NGX_LISTEN_OPTS=udp bench_nginx stream "proxy_pass 127.0.0.1:$ORIGIN_PORT;"

echo "== $LABEL: udp_rr -c $SOCKETS -n 16 -s 64 -t $DURATION, $ROUNDS rounds (origin :$ORIGIN_PORT, gateway :$GW_PORT, nginx :$NGX_PORT)"
bench_rounds "$LABEL" measure "$ORIGIN_PORT"
bench_report "$LABEL" rt/s
bench_target "$LABEL" 1.3
bench_finish
