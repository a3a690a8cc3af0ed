#!/usr/bin/env bash
# bench/http_connect.sh: a new client connection per request (wrk with
# "Connection: close"), 64-byte bodies; upstream connections stay pooled.
# needs: wrk nginx haproxy
# Target: gateway >= 1.1x nginx.
HTTP_BENCH_NAME=http_connect HTTP_BENCH_WRK="-c32" \
HTTP_BENCH_HEADER="Connection: close" \
HTTP_BENCH_LABEL="http new conn" HTTP_BENCH_TARGET=1.1 \
exec bash "$(dirname "$0")/http_keepalive.sh"
