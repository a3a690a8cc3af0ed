#!/usr/bin/env bash
# bench/http_forward.sh: absolute-form requests on keep-alive connections
# through the http_forward handler (a forward proxy), against tinyproxy.
# needs: wrk tinyproxy
#
# Origin: bench/origin -s 64 (64-byte bodies, keep-alive). Client: `wrk -t1
# -c50 -dDURATIONs -s forward.lua http://127.0.0.1:P/`, the script (written
# into the temp dir) making every request `GET http://127.0.0.1:ORIGIN/
# HTTP/1.1` with `Host: 127.0.0.1:ORIGIN`; direct sends the same requests
# in origin form (`GET /`, no script) to the origin. The number is wrk's
# Requests/sec. Paths: direct, gateway (`handler http_forward;`: the client
# connection stays open, upstream connections are pooled per origin) and
# tinyproxy (one response per client connection, then it closes: wrk
# reconnects, and counts a read error each time; noted, expected).
# Target: gateway >= 4x tinyproxy.
# shellcheck source=bench/lib.sh
. "$(dirname "$0")/lib.sh"
bench_init http_forward
bench_need wrk tinyproxy
bench_paths direct gateway tinyproxy
bench_ref tinyproxy

LABEL="forward http"
BENCH_SCALE=1           # shown in requests/s
LUA=$BENCH_TMP/forward.lua

# PATH PORT SECONDS -> REPLY requests/s
measure() {
    local out=$BENCH_TMP/wrk-$1-$BENCH_ROUND.txt rc errs non2xx script=()
    [ "$1" != direct ] && script=(-s "$LUA")
    bench_client "$out" $(($3 + 20)) \
        wrk -t1 -c50 -d"$3"s "${script[@]}" "http://127.0.0.1:$2/"
    rc=$?
    REPLY=$(awk '/^Requests\/sec:/ { print $2; exit }' "$out")
    # "Socket errors: connect 0, read 3, write 0, timeout 0"
    errs=$(sed -n 's/^[[:space:]]*Socket errors:[[:space:]]*//p' "$out")
    non2xx=$(sed -n 's/^[[:space:]]*Non-2xx or 3xx responses:[[:space:]]*//p' "$out")
    if [ "$BENCH_ROUND" != warmup ]; then
        if [ -n "$errs" ]; then
            if [ "$1" = tinyproxy ]; then
                bench_note "$1 round $BENCH_ROUND: wrk socket errors: $errs (expected: it closes after every response)"
            else
                bench_note "$1 round $BENCH_ROUND: wrk socket errors: $errs"
            fi
        fi
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
bench_start "$BENCH_TMP/origin.log" "$ORIGIN" -s 64 "$ORIGIN_PORT"
bench_wait_listen "$ORIGIN_PORT" "$REPLY" 10 ||
    bench_die "bench/origin did not start on 127.0.0.1:$ORIGIN_PORT: $(tail -3 "$BENCH_TMP/origin.log")"
cat > "$LUA" <<EOF
-- written by bench/http_forward.sh: absolute-form requests for a proxy
wrk.path = "http://127.0.0.1:$ORIGIN_PORT/"
wrk.headers["Host"] = "127.0.0.1:$ORIGIN_PORT"
EOF
bench_gateway "handler http_forward;"
bench_tinyproxy ""

echo "== $LABEL: wrk -t1 -c50 -d${DURATION}s, GET http://127.0.0.1:$ORIGIN_PORT/ (direct: GET /), 64-byte bodies, $ROUNDS rounds, paths ${BENCH_PATHS[*]} (origin :$ORIGIN_PORT, gateway :$GW_PORT, tinyproxy :$TP_PORT)"
bench_rounds "$LABEL" measure "$ORIGIN_PORT"
bench_report "$LABEL" req/s
bench_target "$LABEL" 4
bench_finish
