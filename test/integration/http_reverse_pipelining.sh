#!/usr/bin/env bash
# http_reverse pipelining and fragmentation: requests sent in one write
# are answered in order (a slow first one holds the others back, bodies
# in between are not mixed up); a request sent one byte at a time, a head
# split at awkward places and a chunked body trickled in all arrive whole.
. "$(dirname "$0")/lib.sh"

read -r P_GW P_O < <(ports 2)
origin o "127.0.0.1:$P_O"
write_conf <<EOF
$MAIN
upstream app { server 127.0.0.1:$P_O; keepalive 4; }
listener web {
    listen 127.0.0.1:$P_GW;
    handler http_reverse;
    proxy_pass app;
    access_log $T/access.log;
}
EOF
gw_start "$P_GW"
A="127.0.0.1:$P_GW"
R='Host: x\r\n'

# ---- three in one write -------------------------------------------------------------
out=$("$HC" -t 5000 "$A" \
    "send=GET /p1 HTTP/1.1\r\n$R\r\nGET /p2 HTTP/1.1\r\n$R\r\nGET /p3 HTTP/1.1\r\n${R}Connection: close\r\n\r\n" \
    read 2>&1)
rc=$?
expect_eq "3 pipelined requests: answered in order, then closed" "0 o /p1|o /p2|o /p3" \
    "$rc $(grep -E '^o /p' <<<"$out" | paste -sd'|')"
expect_eq "3 pipelined requests: 3 status lines" 3 "$(grep -c '^HTTP/1.1 200' <<<"$out")"

# the first is slow: the second and third wait for it
out=$("$HC" -t 5000 "$A" \
    "send=GET /delay/300 HTTP/1.1\r\n$R\r\nGET /q2 HTTP/1.1\r\n$R\r\nGET /q3 HTTP/1.1\r\n${R}Connection: close\r\n\r\n" \
    read 2>&1)
rc=$?
expect_eq "pipelined behind a slow answer: still in order" "0 delayed|o /q2|o /q3" \
    "$rc $(grep -E '^(delayed|o /q)' <<<"$out" | paste -sd'|')"

# bodies between pipelined requests
out=$("$HC" -t 5000 "$A" \
    "send=POST /echo HTTP/1.1\r\n${R}Content-Length: 5\r\n\r\nhelloGET /mid HTTP/1.1\r\n$R\r\nPOST /echo HTTP/1.1\r\n${R}Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n3\r\nabc\r\n4\r\ndefg\r\n0\r\n\r\n" \
    read 2>&1)
rc=$?
flat=$(tr -d "\r\n" <<<"$out")
if [ $rc -eq 0 ] && [[ "$flat" == *"Content-Length: 5hello"*"o /mid"*"Transfer-Encoding: chunked"* ]]; then
    ok "pipelined requests with bodies (length, chunked): each body to its request"
else
    not_ok "pipelined requests with bodies (length, chunked): each body to its request" \
        "rc $rc, got: $(tr '\r\n' '||' <<<"$out")"
fi
check "pipelined requests with bodies: the origin got them in order" \
    test "$(grep -oE '"(GET|POST) /[a-z]+' "$T/o.out" | tail -n 3 | paste -sd'|')" = \
    '"POST /echo|"GET /mid|"POST /echo'
sha_hello=$(printf hello | sha256sum | cut -d" " -f1)
sha_abcdefg=$(printf abcdefg | sha256sum | cut -d" " -f1)
check "pipelined requests with bodies: the origin got each body whole" \
    test "$(grep -oE "body=[0-9]+ sha256=[0-9a-f]+" "$T/o.out" | tail -n 3 | paste -sd"|")" = \
    "body=5 sha256=$sha_hello|body=0 sha256=$(printf "" | sha256sum | cut -d" " -f1)|body=7 sha256=$sha_abcdefg"

# ---- one byte at a time ------------------------------------------------------------------
before=$(origin_reqs o)
out=$("$HC" -t 5000 "$A" \
    "slow=2:GET /bytewise?x=1 HTTP/1.1\r\nHost: bytes.example\r\nX-Long: $(printf 'v%.0s' $(seq 60))\r\nConnection: close\r\n\r\n" \
    read 2>&1)
rc=$?
expect_eq "a request one byte at a time: answered" "0 o /bytewise?x=1" "$rc $(tail -n 1 <<<"$out")"
check "a request one byte at a time: Host arrived whole" \
    grep -q 'host=\[bytes.example\]' <<<"$(last_req o)"
expect_eq "a request one byte at a time: one request upstream" "$((before + 1))" "$(origin_reqs o)"

# a chunked body one byte at a time (size lines, data, trailer)
printf 'abcdefghijklmnopqrstuvwxyz0123456789' >"$T/b36"
want=$(sha256sum <"$T/b36" | cut -d' ' -f1)
out=$("$HC" -t 5000 "$A" \
    "send=POST /trickle HTTP/1.1\r\n${R}Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n" \
    "slow=2:a\r\nabcdefghij\r\n1a;ext=1\r\nklmnopqrstuvwxyz0123456789\r\n0\r\nX-Trail: t\r\n\r\n" read 2>&1)
rc=$?
r=$(last_req o)
expect_eq "a chunked body one byte at a time: answered" "0 o /trickle" "$rc $(tail -n 1 <<<"$out")"
check "a chunked body one byte at a time: intact at the origin" grep -q "body=36 sha256=$want" <<<"$r"
check "a chunked body one byte at a time: its trailer passed" grep -q 'trailers=\[X-Trail: t\]' <<<"$r"

# a head in pieces split inside the line ends
out=$("$HC" -t 5000 "$A" \
    "chunks=7:20:GET /pieces HTTP/1.1\r\nHost: x\r\nX-A: 1\r\nConnection: close\r\n\r\n" read 2>&1)
rc=$?
expect_eq "a head in 7-byte pieces: answered" "0 o /pieces" "$rc $(tail -n 1 <<<"$out")"
