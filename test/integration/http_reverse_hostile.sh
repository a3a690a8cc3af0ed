#!/usr/bin/env bash
# http_reverse against hostile clients, next to the happy path. Requests
# that could be smuggled or split (Content-Length with Transfer-Encoding,
# differing or malformed Content-Lengths, Transfer-Encoding not ending in
# chunked or chunked twice, obsolete line folding, whitespace before the
# colon, bare CR, NUL, bad or overflowing chunk sizes ...) get 400 and the
# connection closes: a request pipelined behind them is never answered
# nor forwarded, and the origin sees nothing (a broken chunk here comes
# in the same write as its head). An unknown transfer coding is 501, a
# head past max_header_size 431, a body past max_body_size 413 (declared
# or chunked, and the origin never gets such a body whole), a head never
# finished (slowloris) is cut at header_timeout. Afterwards the worker is
# the same process, holds no extra socket, and serves a normal request.
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
    max_header_size 4k;
    max_body_size 1k;
    header_timeout 1s;
    access_log $T/access.log;
}
EOF
gw_start "$P_GW"
A="127.0.0.1:$P_GW"
U="http://$A"
w=$(gw_pid_worker)
check "a normal request first" http_served "$U/first" "o /first"

sockets() {
    local f n=0
    for f in /proc/"$w"/fd/*; do
        [[ "$(readlink "$f" 2>/dev/null)" == socket:* ]] && n=$((n + 1))
    done
    echo $n
}
fds0=$(sockets)

complete_reqs() { grep -cE '^req .* body=[0-9]+ ' "$T/o.out"; }
AFTER='GET /smuggled HTTP/1.1\r\nHost: x\r\n\r\n'

# hostile NAME STATUS TEXT [head|chunk|body]
#   TEXT goes in one write, followed by a pipelined GET /smuggled; the
#   answer must be STATUS alone, with Connection: close, then the close.
#   head: the origin gets no connection and no request; body: no complete
#   request (the head may have gone before the body crossed a limit);
#   chunk: both (a broken chunk that came in the same write as its head
#   is known before anything goes upstream).
hostile() {
    local name=$1 want=$2 text=$3 scope=${4:-head} c0 q0 b0 out rc first n
    c0=$(origin_conns o)
    q0=$(origin_reqs o)
    b0=$(complete_reqs)
    out=$("$HC" -w -t 2000 "$A" "send=$text$AFTER" read 2>/dev/null | tr -d '\r')
    rc=${PIPESTATUS[0]}
    first=$(head -n 1 <<<"$out")
    n=$(grep -c '^HTTP/1.1 ' <<<"$out")
    if [[ "$first" == "HTTP/1.1 $want "* ]] && [ "$n" -eq 1 ] \
        && grep -qi '^connection: close' <<<"$out" && { [ $rc -eq 0 ] || [ $rc -eq 3 ]; }; then
        ok "$name: $want and the connection closed"
    else
        not_ok "$name: $want and the connection closed" \
            "client rc $rc (0 closed, 3 reset, 4 left open), $n answer(s): $(head -c 300 <<<"$out" | tr '\n' '|')"
    fi
    if [ "$scope" != body ]; then
        if [ "$(origin_conns o)" = "$c0" ] && [ "$(origin_reqs o)" = "$q0" ]; then
            ok "$name: the origin saw nothing"
        else
            not_ok "$name: the origin saw nothing" "origin: $(tail -n 2 "$T/o.out" | cut -c1-200 | tr '\n' '|')"
        fi
    fi
    if [ "$scope" != head ]; then
        expect_eq "$name: the origin got no complete request" "$b0" "$(complete_reqs)"
    fi
}

P='POST /s HTTP/1.1\r\nHost: x\r\n'
# ---- framing smuggles -------------------------------------------------------------------
hostile "Content-Length and Transfer-Encoding" 400 \
    "${P}Content-Length: 6\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n"
hostile "Transfer-Encoding and Content-Length" 400 \
    "${P}Transfer-Encoding: chunked\r\nContent-Length: 6\r\n\r\n0\r\n\r\n"
hostile "two differing Content-Lengths" 400 \
    "${P}Content-Length: 5\r\nContent-Length: 6\r\n\r\nhello!"
hostile "a Content-Length list that differs" 400 "${P}Content-Length: 5, 6\r\n\r\nhello!"
hostile "Content-Length with a sign" 400 "${P}Content-Length: +5\r\n\r\nhello"
hostile "negative Content-Length" 400 "${P}Content-Length: -1\r\n\r\n"
hostile "Content-Length in hex" 400 "${P}Content-Length: 0x5\r\n\r\nhello"
hostile "Content-Length overflowing 64 bits" 400 "${P}Content-Length: 99999999999999999999999\r\n\r\n"
hostile "Transfer-Encoding not ending in chunked" 400 \
    "${P}Transfer-Encoding: chunked, gzip\r\n\r\n0\r\n\r\n"
hostile "Transfer-Encoding: chunked, chunked" 400 \
    "${P}Transfer-Encoding: chunked, chunked\r\n\r\n0\r\n\r\n"
hostile "Transfer-Encoding: chunked on two lines" 400 \
    "${P}Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n"
hostile "Transfer-Encoding in HTTP/1.0" 400 \
    'POST /s HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n'

# ---- malformed heads ---------------------------------------------------------------------------
hostile "obsolete line folding" 400 'GET /s HTTP/1.1\r\nHost: x\r\nX-Fold: a\r\n  b\r\n\r\n'
hostile "Transfer-Encoding folded onto a second line" 400 \
    "${P}Transfer-Encoding:\r\n chunked\r\n\r\n0\r\n\r\n"
hostile "space before the colon" 400 "${P}Transfer-Encoding : chunked\r\n\r\n0\r\n\r\n"
hostile "tab before the colon" 400 "${P}Content-Length\t: 5\r\n\r\nhello"
hostile "bare CR inside a value" 400 'GET /s HTTP/1.1\r\nHost: x\r\nX-A: a\rb\r\n\r\n'
hostile "bare CR ending a line" 400 'GET /s HTTP/1.1\r\nHost: x\rX-A: b\r\n\r\n'
hostile "NUL in a value" 400 'GET /s HTTP/1.1\r\nHost: x\r\nX-A: a\0b\r\n\r\n'
hostile "NUL in a name" 400 'GET /s HTTP/1.1\r\nHost: x\r\nX-\0A: b\r\n\r\n'
hostile "NUL in the target" 400 'GET /s\0x HTTP/1.1\r\nHost: x\r\n\r\n'
hostile "two Host fields" 400 'GET /s HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n'
hostile "HTTP/1.1 without Host" 400 'GET /s HTTP/1.1\r\nX-A: b\r\n\r\n'
hostile "a space inside the target" 400 'GET /a b HTTP/1.1\r\nHost: x\r\n\r\n'
hostile "dot segments in the path" 400 'GET /a/../etc/passwd HTTP/1.1\r\nHost: x\r\n\r\n'
hostile "percent-encoded dot segments" 400 'GET /a/%2e%2E/etc/passwd HTTP/1.1\r\nHost: x\r\n\r\n'
hostile "a lone dot segment" 400 'GET /a/./b HTTP/1.1\r\nHost: x\r\n\r\n'
hostile "absolute-form target" 400 'GET http://x/ HTTP/1.1\r\nHost: x\r\n\r\n'
hostile "HTTP/2.0 in the request line" 505 'GET /s HTTP/2.0\r\nHost: x\r\n\r\n'

# ---- broken chunked bodies (after a valid head) -----------------------------------------------------
C="${P}Transfer-Encoding: chunked\r\n\r\n"
hostile "bad chunk size" 400 "${C}zz\r\nhello\r\n0\r\n\r\n" chunk
hostile "chunk size overflow" 400 "${C}ffffffffffffffffffff\r\nhello\r\n0\r\n\r\n" chunk
hostile "negative chunk size" 400 "${C}-5\r\nhello\r\n0\r\n\r\n" chunk
hostile "chunk data longer than its size" 400 "${C}5\r\nhelloEXTRA\r\n0\r\n\r\n" chunk
hostile "bare CR in a chunk size line" 400 "${C}5\rX\r\nhello\r\n0\r\n\r\n" chunk

# ---- unknown transfer coding: 501 ------------------------------------------------------------------
hostile "unknown transfer coding" 501 "${P}Transfer-Encoding: foo, chunked\r\n\r\n0\r\n\r\n"
hostile "identity is no transfer coding" 501 "${P}Transfer-Encoding: identity\r\n\r\n"

# ---- sizes: 431, 413 ----------------------------------------------------------------------------------
big=$(head -c 5000 /dev/zero | tr '\0' a)
hostile "a header past max_header_size" 431 "GET /s HTTP/1.1\r\nHost: x\r\nX-Big: $big\r\n\r\n"
many=""
for i in $(seq 101); do many="${many}X-H$i: v\r\n"; done
hostile "101 header fields" 431 "GET /s HTTP/1.1\r\nHost: x\r\n$many\r\n"
out=$("$HC" -w -t 2000 "$A" "send=GET /s HTTP/1.1\r\nHost: x\r\nX-Big: $big" read 2>/dev/null | tr -d '\r')
check "a head growing past max_header_size without an end: 431" grep -q '^HTTP/1.1 431' <<<"$out"
check "a head just under max_header_size passes" \
    http_served "$U/fits" "o /fits" -H "X-Big: $(head -c 3800 /dev/zero | tr '\0' b)"

hostile "a declared body past max_body_size" 413 "${P}Content-Length: 2000\r\n\r\n"
body=$(head -c 2000 /dev/zero | tr '\0' c)
hostile "a chunked body past max_body_size" 413 "${C}7d0\r\n$body\r\n0\r\n\r\n" body
b=$(head -c 600 /dev/zero | tr '\0' d)
hostile "chunks adding up past max_body_size" 413 "${C}258\r\n$b\r\n258\r\n$b\r\n0\r\n\r\n" body
code=$(hget -o /dev/null -w '%{http_code}' -H 'Expect:' --data-binary "$(head -c 1024 /dev/zero | tr '\0' e)" "$U/limit")
expect_eq "a body of exactly max_body_size passes" 200 "$code"
code=$(hget -o /dev/null -w '%{http_code}' -H 'Expect:' --data-binary "$(head -c 3000 /dev/zero | tr '\0' e)" "$U/toolong")
expect_eq "curl: a body past max_body_size gets 413" 413 "$code"
check "access log: 413" has_line "$T/access.log" '"POST /toolong HTTP/1.1" 413 '

# ---- slowloris ------------------------------------------------------------------------------------------
t0=$(now_ms)
out=$("$HC" -t 4000 "$A" 'send=GET /slow HTTP/1.1\r\nHost: x\r\n' idle=4000 2>&1)
ms=$(($(now_ms) - t0))
if [[ "$out" == *"closed after"* ]] && [ $ms -ge 900 ] && [ $ms -le 2500 ]; then
    ok "a head never finished is closed after header_timeout ($ms ms)"
else
    not_ok "a head never finished is closed after header_timeout" "after $ms ms: $out"
fi
# a byte every 150 ms keeps arriving, but header_timeout is for the whole head
t0=$(now_ms)
out=$("$HC" -w -t 4000 "$A" "slow=150:GET /slow HTTP/1.1\r\nHost: x\r\nX-Slow: $(head -c 40 /dev/zero | tr '\0' s)\r\n\r\n" idle=4000 2>&1)
ms=$(($(now_ms) - t0))
if [ $ms -ge 900 ] && [ $ms -le 2500 ] && ! grep -q 'HTTP/1.1 200' <<<"$out"; then
    ok "a head trickled in byte by byte is cut at header_timeout too ($ms ms)"
else
    not_ok "a head trickled in byte by byte is cut at header_timeout too" "after $ms ms: $(tr '\r\n' '||' <<<"$out")"
fi
# a client that connects and says nothing
t0=$(now_ms)
out=$("$HC" -t 4000 "$A" idle=4000 2>&1)
ms=$(($(now_ms) - t0))
if [[ "$out" == *"closed after"* ]] && [ $ms -ge 900 ] && [ $ms -le 2500 ]; then
    ok "a silent client is closed after header_timeout ($ms ms)"
else
    not_ok "a silent client is closed after header_timeout" "after $ms ms: $out"
fi

# ---- afterwards ------------------------------------------------------------------------------------------
check "nothing smuggled ever reached the origin" test "$(grep -c '/smuggled' "$T/o.out")" -eq 0
check "the worker survived all of it (same pid)" test "$(gw_pid_worker)" = "$w"
check "a normal request still works" http_served "$U/last" "o /last"
fds_back() { [ "$(sockets)" -le "$fds0" ]; }
if wait_until 3000 fds_back; then
    ok "no socket leaked"
else
    not_ok "no socket leaked" "the worker had $fds0 sockets at the start, now $(sockets)"
fi
