#!/usr/bin/env bash
# The PROXY protocol both ways. Sending: `proxy_protocol on` (v1) and
# `v2` on tcp listeners put the header before the first byte (an echo
# upstream shows it back), IPv6 too; on http_reverse each upstream
# connection carries its client's header and is never pooled. Accepting:
# `listen ... proxy_protocol` takes v1 and v2 (LOCAL keeps the peer's
# address); the header's client is the one the origin sees in
# X-Forwarded-For, the access log writes and allow/deny judge; split one
# byte at a time it still works; a malformed header, none, or one that
# never ends (header_timeout) closes the connection, and other clients
# are served meanwhile. Chained: a tcp listener sending v1 into a
# listener accepting it, the origin sees the first client's address.
. "$(dirname "$0")/lib.sh"

read -r P_V1 P_V2 P_IN P_ACL P_CHAIN P_HTTP P_O P_E P_V6 < <(ports 9)
origin o "127.0.0.1:$P_O"
backend echo echo "127.0.0.1:$P_E"
EL="$T/error.log"
write_conf <<EOF
worker_processes 2;
error_log $EL info;
pid $T/gw.pid;
upstream o { server 127.0.0.1:$P_O; keepalive 8; }
listener v1 { listen 127.0.0.1:$P_V1; listen [::1]:$P_V6; handler tcp; proxy_pass 127.0.0.1:$P_E; proxy_protocol on; }
listener v2 { listen 127.0.0.1:$P_V2; handler tcp; proxy_pass 127.0.0.1:$P_E; proxy_protocol v2; }
listener in {
    listen 127.0.0.1:$P_IN proxy_protocol;
    handler http_reverse;
    proxy_pass o;
    header_timeout 1s;
    access_log $T/in.log;
}
listener acl {
    listen 127.0.0.1:$P_ACL proxy_protocol;
    handler tcp;
    proxy_pass 127.0.0.1:$P_E;
    deny 203.0.113.0/24;
    access_log $T/acl.log;
}
listener chain { listen 127.0.0.1:$P_CHAIN; handler tcp; proxy_pass 127.0.0.1:$P_IN; proxy_protocol on; }
listener web { listen 127.0.0.1:$P_HTTP; handler http_reverse; proxy_pass 127.0.0.1:$P_IN; proxy_protocol v2; }
EOF
gw_start "$P_V1" "$P_V2" "$P_IN" "$P_ACL" "$P_CHAIN" "$P_HTTP"
A="127.0.0.1"
GET='GET /who HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n'

# ---- sending ------------------------------------------------------------------------------
out=$("$TC" -t 3000 -s "hello" read "$A:$P_V1" 2>/dev/null | tr -d '\r')
check "v1 before the first byte: PROXY TCP4 client gateway ports" \
    grep -qE "^PROXY TCP4 127\.0\.0\.1 127\.0\.0\.1 [0-9]+ $P_V1\$" <<<"$(head -1 <<<"$out")"
expect_eq "... then the client's bytes" "$(tail -1 <<<"$out")" hello
out=$("$TC" -t 3000 -s "hello" read "[::1]:$P_V6" 2>/dev/null | head -1 | tr -d '\r')
check "v1 over IPv6: PROXY TCP6 ::1 ::1" grep -qE "^PROXY TCP6 ::1 ::1 [0-9]+ $P_V6\$" <<<"$out"
hex=$("$TC" -t 3000 -s "hi" read "$A:$P_V2" 2>/dev/null | od -An -tx1 | tr -d ' \n')
sig=0d0a0d0a000d0a515549540a
check "v2: signature, PROXY over TCP/IPv4, 12 bytes of addresses" \
    test "${hex:0:32}" = "${sig}2111000c"
expect_eq "v2: source and destination 127.0.0.1" "${hex:32:16}" 7f0000017f000001
expect_eq "v2: destination port" "$((16#${hex:52:4}))" "$P_V2"
expect_eq "v2: then the client's bytes" "${hex:56}" 6869

# ---- accepting --------------------------------------------------------------------------------
out=$("$HC" -t 3000 "$A:$P_IN" "send=PROXY TCP4 203.0.113.7 127.0.0.1 5555 80\r\n$GET" read 2>/dev/null | tr -d '\r')
check "v1 accepted: answered" grep -q '^HTTP/1.1 200' <<<"$out"
check "... the origin sees the header's client in X-Forwarded-For" has_line "$T/o.out" 'xff=\[203\.0\.113\.7\]'
check "... and the access log writes it with its port" wait_log "$T/in.log" '^203\.0\.113\.7:5555 ' 2000
V2='\r\n\r\n\x00\r\nQUIT\n\x21\x11\x00\x0c\xcb\x00\x71\x08\x7f\x00\x00\x01\x15\xb3\x00\x50'
out=$("$HC" -t 3000 "$A:$P_IN" "send=$V2$GET" read 2>/dev/null | tr -d '\r')
check "v2 accepted" grep -q '^HTTP/1.1 200' <<<"$out"
check "... client 203.0.113.8:5555" wait_log "$T/in.log" '^203\.0\.113\.8:5555 ' 2000
V2T='\r\n\r\n\x00\r\nQUIT\n\x21\x11\x00\x13\xcb\x00\x71\x09\x7f\x00\x00\x01\x15\xb3\x00\x50\x04\x00\x04test'
out=$("$HC" -t 3000 "$A:$P_IN" "send=$V2T$GET" read 2>/dev/null | tr -d '\r')
check "v2 with a TLV: skipped" wait_log "$T/in.log" '^203\.0\.113\.9:5555 ' 2000
LOCAL='\r\n\r\n\x00\r\nQUIT\n\x20\x00\x00\x00'
"$HC" -t 3000 "$A:$P_IN" "send=$LOCAL$GET" read >/dev/null 2>&1
check "v2 LOCAL: the balancer's own address" wait_log "$T/in.log" '^127\.0\.0\.1:[0-9]+ .*"GET /who' 2000
out=$("$HC" -t 5000 "$A:$P_IN" "slow=20:PROXY TCP4 198.51.100.4 127.0.0.1 4444 80\r\n$GET" read 2>/dev/null | tr -d '\r')
check "one byte at a time" grep -q '^HTTP/1.1 200' <<<"$out"
check "... client 198.51.100.4" wait_log "$T/in.log" '^198\.51\.100\.4:4444 ' 2000

closed_at_once() {    # closed_at_once TEXT: the connection closes, no answer
    local o
    o=$("$HC" -t 3000 "$A:$P_IN" "send=$1" read 2>/dev/null)
    [ -z "$o" ]
}
check "no header (a plain request) closes" closed_at_once "$GET"
check "a bad v1 header closes" closed_at_once "PROXY TCP4 1.2.3.4 5.6.7.8 99999 1\r\n$GET"
check "v1 without CR closes" closed_at_once "PROXY TCP4 1.2.3.4 5.6.7.8 1 2\n$GET"
check "a v2 header of version 1 closes" closed_at_once '\r\n\r\n\x00\r\nQUIT\n\x11\x11\x00\x0c'"$GET"
check "a v2 length short for its family closes" closed_at_once '\r\n\r\n\x00\r\nQUIT\n\x21\x21\x00\x0c\x01\x02\x03\x04\x05\x06\x07\x08\x09\x0a\x0b\x0c'"$GET"
check "... logged at info" has_line "$EL" '\[info\] .*broken PROXY protocol header'
start=$(now_ms)
out=$("$HC" -t 5000 "$A:$P_IN" "send=PROXY TCP4 1.2" idle=4000 2>&1)
took=$(($(now_ms) - start))
check "a header that never ends is closed at header_timeout (${took} ms)" test "$took" -ge 900 -a "$took" -lt 3500
check "... logged" has_line "$EL" 'client timed out sending the PROXY protocol header'
# garbage from many clients does not disturb a good one
bad_pids=()
for i in $(seq 30); do
    "$HC" -t 1000 "$A:$P_IN" "send=\x16\x03\x01garbage$i" read >/dev/null 2>&1 &
    bad_pids+=($!)
done
out=$("$HC" -t 3000 "$A:$P_IN" "send=PROXY TCP4 198.51.100.5 127.0.0.1 4445 80\r\n$GET" read 2>/dev/null | tr -d '\r')
wait "${bad_pids[@]}"
check "a good client is served among 30 bad ones" grep -q '^HTTP/1.1 200' <<<"$out"

# ---- allow/deny on the header's address ------------------------------------------------------
out=$("$HC" -t 3000 "$A:$P_ACL" "send=PROXY TCP4 203.0.113.9 127.0.0.1 1000 80\r\nping" read 2>/dev/null)
check "deny judges the header's client: closed" test -z "$out"
check "... logged 403 with it" wait_log "$T/acl.log" '^203\.0\.113\.9:1000 .* 403 ' 2000
out=$("$HC" -t 3000 "$A:$P_ACL" "send=PROXY TCP4 198.51.100.9 127.0.0.1 1000 80\r\nping" read 2>/dev/null)
expect_eq "another client passes (and the bytes after the header reach the upstream)" "$out" ping

# ---- chained: our own v1 into our own listener ------------------------------------------------
out=$(curl -s -m 5 --interface 127.0.0.2 "http://$A:$P_CHAIN/chain")
check "tcp proxy_protocol into a proxy_protocol listener: answered" grep -q 'o /chain' <<<"$out"
check "... the origin sees the first client, 127.0.0.2" has_line "$T/o.out" '"GET /chain HTTP/1.1" .*xff=\[127\.0\.0\.2\]'

# ---- http_reverse sending v2: a connection per client, never pooled --------------------------
n0=$(grep -c '^127\.0\.0\.2:' "$T/in.log")
for i in 1 2 3; do curl -s -m 5 -o /dev/null --interface 127.0.0.2 "http://$A:$P_HTTP/h$i"; done
check "http_reverse v2: each request's client reaches the next hop" \
    wait_until 2000 eval '[ "$(grep -c "^127\.0\.0\.2:.*GET /h[123]" "$T/in.log")" -eq 3 ]'
check "... whose X-Forwarded-For names it twice (our hop, then the header's)" \
    has_line "$T/o.out" '"GET /h1 HTTP/1.1" .*xff=\[127\.0\.0\.2, 127\.0\.0\.2\]'
ports=$(sed -nE 's/^127\.0\.0\.2:([0-9]+) .*GET \/h[123].*/\1/p' "$T/in.log" | sort -u | wc -l)
check "... and no upstream connection was reused (3 source ports) [n0=$n0]" test "$ports" -eq 3
gw_stop QUIT
printf 'listener u {\n    listen 127.0.0.1:%s proxy_protocol;\n    handler udp;\n    proxy_pass 127.0.0.1:%s;\n}\n' "$P_V1" "$P_E" >"$T/udp.conf"
check "-t: udp cannot take PROXY headers (FILE:LINE)" bash -c \
    "! '$GW' -t -c '$T/udp.conf' 2>&1 | grep -q 'successful' && '$GW' -t -c '$T/udp.conf' 2>&1 | grep -q 'cannot take PROXY protocol headers in .*udp.conf:2'"
printf 'listener t {\n    listen 127.0.0.1:%s;\n    handler socks5;\n    proxy_protocol on;\n}\n' "$P_V1" >"$T/s.conf"
check_not "-t: proxy_protocol is for tcp and http_reverse" "$GW" -t -c "$T/s.conf"
