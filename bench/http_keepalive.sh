#!/usr/bin/env bash
# bench/http_keepalive.sh: small requests on keep-alive connections through
# the http_reverse handler.
# needs: wrk nginx haproxy
#
# Origin: bench/origin -s 64 (64-byte bodies, keep-alive). Client: `wrk -t1
# -c50 -dDURATIONs --latency http://127.0.0.1:P/`; the number is wrk's
# Requests/sec, and each path's median p99 latency is printed under the
# table. Every proxy keeps a pool of idle upstream connections: gateway
# `keepalive 64`, nginx `proxy_http_version 1.1` with `keepalive 64`,
# HAProxy `http-reuse always`.
# Targets: gateway >= 1.3x nginx, p99 no worse than nginx's.
# HTTP_BENCH_GW_MAIN and HTTP_BENCH_GW_LISTENER add directives to gateway's
# main context and listener (a log_format, then an access_log using it,
# limit_req, limit_conn): their cost shows as the change of the
# gateway/nginx ratio against a run without them.
# shellcheck source=bench/lib.sh
. "$(dirname "$0")/lib.sh"
bench_init "${HTTP_BENCH_NAME:-http_keepalive}"
bench_need wrk nginx haproxy

BODY=${HTTP_BENCH_BODY:-64}
CLIENT_OPTS=${HTTP_BENCH_WRK:-"-c50"}
LABEL=${HTTP_BENCH_LABEL:-"http keepalive"}
UNIT=${HTTP_BENCH_UNIT:-req/s}
BENCH_SCALE=${HTTP_BENCH_SCALE:-1}
declare -A P99

# PATH PORT SECONDS -> REPLY requests/s (or MB/s when the scale says so)
measure() {
    local out=$BENCH_TMP/wrk-$1-$BENCH_ROUND.txt rc errs p99
    local hdr=()
    [ -n "${HTTP_BENCH_HEADER:-}" ] && hdr=(-H "$HTTP_BENCH_HEADER")
    # shellcheck disable=SC2086
    bench_client "$out" $(($3 + 20)) \
        wrk -t1 $CLIENT_OPTS "${hdr[@]}" -d"$3"s --latency "http://127.0.0.1:$2/"
    rc=$?
    REPLY=$(awk '/^Requests\/sec:/ { print $2; exit }' "$out")
    if [ "$BENCH_SCALE" != 1 ] && [ -n "$REPLY" ]; then
        REPLY=$(awk -v r="$REPLY" -v b="$BODY" 'BEGIN { printf "%.0f", r * b }')
    fi
    p99=$(awk '$1 == "99%" { print $2; exit }' "$out")
    [ "$BENCH_ROUND" != warmup ] && [ -n "$p99" ] && P99[$1]="${P99[$1]:-} $p99"
    errs=$(sed -n 's/^[[:space:]]*Socket errors:[[:space:]]*//p' "$out")
    [ -n "$errs" ] && [ "$BENCH_ROUND" != warmup ] &&
        bench_note "$1 round $BENCH_ROUND: wrk socket errors: $errs"
    if [ $rc -eq 0 ] && [ -n "$REPLY" ] &&
       awk -v v="$REPLY" 'BEGIN { exit !(v > 0) }'; then
        return 0
    fi
    BENCH_ERR="wrk: exit $rc: $(tail -3 "$out" | tr '\n' ' ' | cut -c1-200)"
    return 1
}

# wrk prints 1.23ms / 456.00us / 1.02s: all in ms, then the median.
p99_median() {
    local v
    for v in $1; do
        awk -v v="$v" 'BEGIN { n = v + 0
            if (v ~ /us$/) n /= 1000; else if (v ~ /[^m]s$/) n *= 1000
            printf "%.3f\n", n }'
    done | sort -g | awk '{ a[NR] = $1 } END {
        if (NR) printf "%.2f ms", NR % 2 ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2 }'
}

[ -x "$ORIGIN" ] || bench_die "$ORIGIN is missing: run make bench"
bench_free_port
ORIGIN_PORT=$FREE_PORT
bench_start "$BENCH_TMP/origin.log" "$ORIGIN" -s "$BODY" "$ORIGIN_PORT"
bench_wait_listen "$ORIGIN_PORT" "$REPLY" 10 ||
    bench_die "bench/origin did not start: $(tail -3 "$BENCH_TMP/origin.log")"
GW_EXTRA="upstream origin { server 127.0.0.1:$ORIGIN_PORT; keepalive 64; } ${HTTP_BENCH_GW_MAIN:-}" \
    bench_gateway "handler http_reverse; proxy_pass origin; ${HTTP_BENCH_GW_LISTENER:-}"
NGX_HTTP="upstream origin { server 127.0.0.1:$ORIGIN_PORT; keepalive 64; }" \
    bench_nginx http "location / { proxy_pass http://origin; proxy_http_version 1.1; proxy_set_header Connection \"\"; }"
bench_haproxy "    mode http
    http-reuse always
    server origin 127.0.0.1:$ORIGIN_PORT"

echo "== $LABEL: wrk -t1 $CLIENT_OPTS ${HTTP_BENCH_HEADER:+-H '$HTTP_BENCH_HEADER' }-d${DURATION}s, ${BODY}-byte bodies, $ROUNDS rounds"
bench_rounds "$LABEL" measure "$ORIGIN_PORT"
bench_report "$LABEL" "$UNIT"
for path in "${BENCH_PATHS[@]}"; do
    [ -n "${P99[$path]:-}" ] && echo "p99 $path: $(p99_median "${P99[$path]}")  (rounds:${P99[$path]})"
done
bench_target "$LABEL" "${HTTP_BENCH_TARGET:-1.3}"
bench_finish
