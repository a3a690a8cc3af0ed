#!/usr/bin/env bash
# http_reverse bodies stream whole both ways: a 2 MiB upload chunked and
# with Content-Length (hash at the origin), echoed back (hash at the
# client), 20 MiB downloads framed by Content-Length, chunks and the close
# (hash at the client), response trailers reach a 1.1 client, request
# trailers reach the origin, an empty chunked body; the worker does not
# hold a body whole (its RSS stays low).
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
U="http://127.0.0.1:$P_GW"
w=$(gw_pid_worker)

head -c $((2 * 1024 * 1024)) /dev/urandom >"$T/up.bin"
want=$(sha256sum <"$T/up.bin" | cut -d' ' -f1)

# ---- uploads -----------------------------------------------------------------------------
out=$(hget -m 20 -T "$T/up.bin" -H 'Transfer-Encoding: chunked' "$U/up/chunked")
r=$(last_req o)
expect_eq "2 MiB chunked upload: answered" "o /up/chunked" "$out"
check "2 MiB chunked upload: chunked to the origin" grep -q 'te=\[chunked\] cl=\[-\]' <<<"$r"
check "2 MiB chunked upload: intact at the origin" grep -q "body=2097152 sha256=$want" <<<"$r"

out=$(hget -m 20 --data-binary @"$T/up.bin" "$U/up/length")
r=$(last_req o)
expect_eq "2 MiB Content-Length upload: answered" "o /up/length" "$out"
check "2 MiB Content-Length upload: Content-Length to the origin" grep -q 'te=\[-\] cl=\[2097152\]' <<<"$r"
check "2 MiB Content-Length upload: intact at the origin" grep -q "body=2097152 sha256=$want" <<<"$r"

got=$(hget -m 20 -T "$T/up.bin" -H 'Transfer-Encoding: chunked' "$U/echo" | sha256sum | cut -d' ' -f1)
expect_eq "2 MiB chunked upload echoed back chunked: intact" "$want" "$got"
got=$(hget -m 20 --data-binary @"$T/up.bin" "$U/echo" | sha256sum | cut -d' ' -f1)
expect_eq "2 MiB upload echoed back with Content-Length: intact" "$want" "$got"

# ---- downloads ---------------------------------------------------------------------------------
N=$((20 * 1024 * 1024))
want=$(pattern_sha $N)
for kind in len chunked close; do
    got=$(hget -m 30 -D "$T/h.txt" "$U/$kind/$N" | sha256sum | cut -d' ' -f1)
    expect_eq "20 MiB download ($kind): intact" "$want" "$got"
done
check "20 MiB download (close): reaches a 1.1 client chunked" \
    grep -qi '^transfer-encoding: chunked' "$T/h.txt"
rss=$(sed -n 's/^VmRSS:[[:space:]]*\([0-9]*\) kB/\1/p' "/proc/$w/status" 2>/dev/null)
echo "# worker RSS after 20 MiB bodies: ${rss:-?} kB"
# valgrind's own memory counts in the worker's RSS: not judged there
if [ "${VALGRIND:-}" = 1 ]; then
    ok "the worker holds no body whole: not judged under valgrind"
else
    check "the worker holds no body whole (RSS under 16 MB)" test "${rss:-999999}" -lt 16384
fi

# a slow reader: 4 MiB through a client reading 64 KiB at a time
want=$(pattern_sha 4194304)
got=$(hget -m 30 --limit-rate 8M "$U/chunked/4194304" | sha256sum | cut -d' ' -f1)
expect_eq "4 MiB chunked download to a rate-limited client: intact" "$want" "$got"

# ---- trailers ------------------------------------------------------------------------------------
out=$(hget --raw "$U/chunked/100" | tr -d '\r')
check "response trailers reach a 1.1 client" grep -q '^X-Checksum: done$' <<<"$out"
out=$("$HC" -t 3000 "127.0.0.1:$P_GW" \
    'send=POST /trail HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n5\r\nhello\r\n0\r\nX-Req-Trailer: yes\r\n\r\n' \
    read 2>&1)
r=$(last_req o)
check "request trailers reach the origin" grep -q 'body=5 .*trailers=\[X-Req-Trailer: yes\]' <<<"$r"

# ---- an empty chunked body ------------------------------------------------------------------------
out=$("$HC" -t 3000 "127.0.0.1:$P_GW" \
    'send=POST /empty HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\nGET /next HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n' \
    read 2>&1)
rc=$?
expect_eq "an empty chunked body, then the next request" "0 o /empty|o /next" \
    "$rc $(grep -E '^o /' <<<"$out" | paste -sd'|')"
check "an empty chunked body: the origin got body=0" grep -q '"POST /empty HTTP/1.1".* body=0 ' "$T/o.out"

# ---- the access log counts bytes -------------------------------------------------------------------
hget -o /dev/null "$U/len/123456"
wait_log "$T/access.log" '/len/123456' 2000
line=$(grep '/len/123456' "$T/access.log" | tail -n 1)
sent=$(sed -nE 's/.*" 200 ([0-9]+) .*/\1/p' <<<"$line")
if [ -n "$sent" ] && [ "$sent" -gt 123456 ] && [ "$sent" -lt 124000 ]; then
    ok "access log: bytes sent count the body and the head"
else
    not_ok "access log: bytes sent count the body and the head" "line: $line"
fi
