#!/usr/bin/env bash
# http_forward against hostile clients: smuggling attempts (both
# Content-Length and Transfer-Encoding, two lengths), an oversized head,
# a huge Proxy-Authorization, garbage, a head that never ends, a CONNECT
# with a body, truncated requests and clients that vanish mid-exchange:
# each gets its error status or a clean close, nothing bad reaches an
# origin, the worker never dies and a client meanwhile is served
# throughout.
. "$(dirname "$0")/lib.sh"

read -r P_GW P_O P_E < <(ports 3)
origin o "127.0.0.1:$P_O"
backend echo echo "127.0.0.1:$P_E"
write_conf <<EOF
$MAIN
listener fwd {
    listen 127.0.0.1:$P_GW;
    handler http_forward;
    header_timeout 1s;
    max_header_size 4k;
    auth u:p;
    access_log $T/access.log;
}
EOF
gw_start "$P_GW"
W0=$(gw_pid_worker)
A="127.0.0.1:$P_GW"
O="http://127.0.0.1:$P_O"
CRED="Proxy-Authorization: Basic $(printf 'u:p' | base64)"

# a tunnel opened before it all, used again after it all
spawn steady "$HC" -t 15000 "$A" "send=CONNECT 127.0.0.1:$P_E HTTP/1.1\r\n$CRED\r\n\r\n" \
    'expect=established\r\n\r\n' sleep=6000 send=still-here expect=still-here

# answer RAW_REQUEST: the first line the client gets
answer() {
    "$HC" -w -t 3000 "$A" "send=$1" read 2>/dev/null | head -n 1 | tr -d '\r'
}
before=$(origin_reqs o)
expect_eq "Content-Length and Transfer-Encoding: 400" "HTTP/1.1 400 Bad Request" \
    "$(answer "POST $O/x HTTP/1.1\r\n$CRED\r\nContent-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n")"
expect_eq "two different Content-Lengths: 400" "HTTP/1.1 400 Bad Request" \
    "$(answer "POST $O/x HTTP/1.1\r\n$CRED\r\nContent-Length: 4\r\nContent-Length: 5\r\n\r\nabcde")"
expect_eq "a bad chunk size: 400" "HTTP/1.1 400 Bad Request" \
    "$(answer "POST $O/x HTTP/1.1\r\n$CRED\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n")"
expect_eq "obsolete line folding: 400" "HTTP/1.1 400 Bad Request" \
    "$(answer "GET $O/x HTTP/1.1\r\n$CRED\r\nX: a\r\n b\r\n\r\n")"
expect_eq "a bare LF inside a field: 400" "HTTP/1.1 400 Bad Request" \
    "$(answer "GET $O/x HTTP/1.1\r\n$CRED\r\nX: a\rb\r\n\r\n")"
expect_eq "garbage: 400" "HTTP/1.1 400 Bad Request" "$(answer '\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03\r\n\r\n')"
big=$(head -c 6000 /dev/zero | tr '\0' 'a')
expect_eq "a head past max_header_size: 431" "HTTP/1.1 431 Request Header Fields Too Large" \
    "$(answer "GET $O/$big HTTP/1.1\r\n$CRED\r\n\r\n")"
expect_eq "a Proxy-Authorization of 3 kB: 407" "HTTP/1.1 407 Proxy Authentication Required" \
    "$(answer "GET $O/x HTTP/1.1\r\nProxy-Authorization: Basic $(head -c 2200 /dev/zero | base64 -w0)\r\n\r\n")"
expect_eq "nothing of that reached the origin" "$before" "$(origin_reqs o)"

# a head that never ends: closed by header_timeout
t0=$(now_ms)
"$HC" -t 4000 "$A" "send=GET $O/slow HTTP/1.1\r\n" 'slow=200:X-A: 1\r\nX-B: 2\r\n' idle=4000 >/dev/null 2>&1
ms=$(($(now_ms) - t0))
check "a head trickled forever: closed by header_timeout" test $ms -lt 3500

# a CONNECT with a body: the bytes go into the tunnel, nothing breaks
out=$("$HC" -t 3000 "$A" "send=CONNECT 127.0.0.1:$P_E HTTP/1.1\r\n$CRED\r\nContent-Length: 5\r\n\r\nhello" 'expect=hello' 2>&1)
check "CONNECT with a Content-Length: its bytes are tunnel bytes" test $? -eq 0

# truncated requests and vanishing clients, many of them
for i in $(seq 20); do
    "$HC" -t 300 "$A" "send=GET $O/len/1000000 HTTP/1.1\r\n$CRED\r\n\r\n" sleep=10 >/dev/null 2>&1
    "$HC" -t 300 "$A" "send=POST $O/echo HTTP/1.1\r\n$CRED\r\nContent-Length: 100000\r\n\r\npartial" >/dev/null 2>&1
    "$HC" -t 300 "$A" "send=CONNECT 127.0.0.1:$P_E HTTP/1.1\r\n$CRED\r\n\r\nbye" >/dev/null 2>&1
    "$HC" -t 300 "$A" "send=GET $O/x HTTP/1.1\r\nHost" >/dev/null 2>&1
done
ok "80 truncated or abandoned exchanges sent"

out=$(hget -x "http://$A" --proxy-user u:p "$O/after")
expect_eq "a new client is served after all that" "o /after" "$out"
wait_gone "${PID[steady]}" 12000
wait "${PID[steady]}"
rc=$?
if [ $rc -eq 0 ] && grep -q 'still-here' "$T/steady.out"; then
    ok "a tunnel opened before it all still carries bytes after it"
else
    not_ok "a tunnel opened before it all still carries bytes after it" "rc $rc: $(cat "$T/steady.out")"
fi
expect_eq "the worker never died" "$W0" "$(gw_pid_worker)"
