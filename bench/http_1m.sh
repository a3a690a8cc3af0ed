#!/usr/bin/env bash
# bench/http_1m.sh: 1 MiB responses through the http_reverse handler, in
# MB/s (requests/s x 1 MiB), wrk -c8 on keep-alive connections.
# needs: wrk nginx haproxy
# Target: gateway >= 1.2x nginx, and at least HAProxy's.
HTTP_BENCH_NAME=http_1m HTTP_BENCH_BODY=1048576 HTTP_BENCH_WRK="-c8" \
HTTP_BENCH_LABEL="http 1MiB" HTTP_BENCH_UNIT=MB/s HTTP_BENCH_SCALE=1048576 \
HTTP_BENCH_TARGET=1.2 exec bash "$(dirname "$0")/http_keepalive.sh"
