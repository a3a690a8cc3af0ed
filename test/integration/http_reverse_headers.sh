#!/usr/bin/env bash
# http_reverse heads on the way through: GET, HEAD and POST reach the
# origin with the client's Host, X-Forwarded-For appended (IPv4 and IPv6
# clients), X-Real-IP set when absent, X-Forwarded-Proto: http, and
# without hop-by-hop fields (Connection and what it names, Keep-Alive, TE,
# Trailer, Proxy-Connection, Proxy-Authorization, Upgrade outside an
# upgrade); responses lose theirs too. Bodiless answers (HEAD, 204, 304
# with a Content-Length) do not hold the connection up. Access log lines.
. "$(dirname "$0")/lib.sh"

read -r P_GW P_GW6 P_O P_O6 < <(ports 4)
origin o "127.0.0.1:$P_O"
origin o6 "[::1]:$P_O6"
write_conf <<EOF
$MAIN
upstream app { server 127.0.0.1:$P_O; keepalive 4; }
listener web {
    listen 127.0.0.1:$P_GW;
    listen [::1]:$P_GW6;
    handler http_reverse;
    proxy_pass app;
    access_log $T/access.log;
    location /v6/ { proxy_pass [::1]:$P_O6; }
}
EOF
gw_start "$P_GW" "$P_GW6"
U="http://127.0.0.1:$P_GW"

# field KEY LINE: the [value] of KEY in an origin log line
field() {
    sed -nE "s/.* $1=\[([^]]*)\].*/\1/p" <<<"$2"
}

# ---- GET ------------------------------------------------------------------------
out=$(hget "$U/get?a=1")
expect_eq "GET: the origin answers through the gateway" "o /get?a=1" "$out"
r=$(last_req o)
expect_eq "GET: request line as sent" '"GET /get?a=1 HTTP/1.1"' "$(awk '{print $4, $5, $6}' <<<"$r")"
expect_eq "GET: Host kept" "127.0.0.1:$P_GW" "$(field host "$r")"
expect_eq "GET: X-Forwarded-For is the client" "127.0.0.1" "$(field xff "$r")"
expect_eq "GET: X-Real-IP set" "127.0.0.1" "$(field xri "$r")"
expect_eq "GET: X-Forwarded-Proto: http" "http" "$(field xfp "$r")"
line=$(last_line "$T/access.log")
if [[ "$line" =~ ^127\.0\.0\.1:[0-9]+\ \[.*\]\ web\ http_reverse\ \"GET\ /get\?a=1\ HTTP/1\.1\"\ 200\ [0-9]+\ [0-9]+\ [0-9.]+\ 127\.0\.0\.1:$P_O ]]; then
    ok "GET: access log line"
else
    not_ok "GET: access log line" "line: '$line'"
fi

# ---- headers the client sent ---------------------------------------------------------
out=$(hget -H "Host: www.example.com" -H "X-Forwarded-For: 10.1.1.1, 10.2.2.2" \
    -H "X-Real-IP: 10.9.9.9" -H "X-Forwarded-Proto: https" "$U/fwd")
r=$(last_req o)
expect_eq "Host: the client's kept" "www.example.com" "$(field host "$r")"
expect_eq "X-Forwarded-For: the client appended to the chain" \
    "10.1.1.1, 10.2.2.2, 127.0.0.1" "$(field xff "$r")"
expect_eq "X-Real-IP: the client's kept when present" "10.9.9.9" "$(field xri "$r")"
expect_eq "X-Forwarded-Proto: replaced by http" "http" "$(field xfp "$r")"

# two X-Forwarded-For lines fold into one
hget -H "X-Forwarded-For: 10.1.1.1" -H "X-Forwarded-For: 10.2.2.2" "$U/fwd2" >/dev/null
expect_eq "X-Forwarded-For: two lines fold into one list" \
    "10.1.1.1, 10.2.2.2, 127.0.0.1" "$(field xff "$(last_req o)")"

# ---- hop-by-hop fields of the request ----------------------------------------------
hget -H "Connection: X-Hop-A, x-hop-b, keep-alive" -H "X-Hop-A: 1" -H "X-Hop-B: 2" \
    -H "Keep-Alive: timeout=5" -H "TE: trailers" -H "Trailer: X-Later" \
    -H "Proxy-Connection: keep-alive" -H "Proxy-Authorization: Basic dTpw" \
    -H "Upgrade: websocket" -H "X-End: yes" "$U/hop" >/dev/null
r=$(last_req o)
names=$(field names "$r")
echo "# fields the origin got: $names"
for h in connection x-hop-a x-hop-b keep-alive te trailer proxy-connection \
    proxy-authorization upgrade; do
    if [[ ",$names," == *",$h,"* ]]; then
        not_ok "request: hop-by-hop $h removed" "the origin got: $names"
    else
        ok "request: hop-by-hop $h removed"
    fi
done
check "request: end-to-end fields kept (X-End)" grep -q 'x-end' <<<"$names"

# ---- hop-by-hop fields of the response -----------------------------------------------
hdrs=$(hget -D - -o /dev/null "$U/hop" | tr -d '\r')
for h in X-Hop Keep-Alive Proxy-Authenticate Trailer Upgrade; do
    if grep -qi "^$h:" <<<"$hdrs"; then
        not_ok "response: hop-by-hop $h removed" "the client got: $(tr '\n' '|' <<<"$hdrs")"
    else
        ok "response: hop-by-hop $h removed"
    fi
done
check "response: end-to-end fields kept (X-End-To-End)" grep -qi '^X-End-To-End: yes' <<<"$hdrs"

# ---- IPv6 client ------------------------------------------------------------------------
out=$(hget "http://[::1]:$P_GW6/six")
expect_eq "IPv6 client: served" "o /six" "$out"
r=$(last_req o)
expect_eq "IPv6 client: X-Forwarded-For ::1" "::1" "$(field xff "$r")"
expect_eq "IPv6 client: X-Real-IP ::1" "::1" "$(field xri "$r")"
out=$(hget "$U/v6/x")
expect_eq "an IPv6 upstream" "o6 /v6/x" "$out"
expect_eq "an IPv6 upstream: X-Forwarded-For is the IPv4 client" "127.0.0.1" "$(field xff "$(last_req o6)")"

# HTTP/1.0 without Host: HTTP/1.1 upstream needs one: the upstream's name
"$HC" -t 3000 "127.0.0.1:$P_GW" 'send=GET /old HTTP/1.0\r\n\r\n' read >/dev/null 2>&1
r=$(last_req o)
expect_eq "HTTP/1.0 without Host: goes upstream as HTTP/1.1" '"GET /old HTTP/1.1"' "$(awk '{print $4, $5, $6}' <<<"$r")"
expect_eq "HTTP/1.0 without Host: Host is the upstream's name" "app" "$(field host "$r")"

# ---- POST ------------------------------------------------------------------------------
head -c 5000 /dev/urandom >"$T/post.bin"
want=$(sha256sum <"$T/post.bin" | cut -d' ' -f1)
out=$(hget -H 'Expect:' --data-binary @"$T/post.bin" "$U/post")
expect_eq "POST: answered" "o /post" "$out"
r=$(last_req o)
expect_eq "POST: method" '"POST' "$(awk '{print $4}' <<<"$r")"
expect_eq "POST: Content-Length passed" "5000" "$(field cl "$r")"
check "POST: body intact at the origin" grep -q "body=5000 sha256=$want" <<<"$r"

# ---- HEAD, 204, 304: no body, the connection goes on -------------------------------------
# each: the bodiless answer, then a GET on the same connection
bodiless() {
    local name=$1 req=$2 want=$3 out rc
    out=$("$HC" -t 3000 "127.0.0.1:$P_GW" \
        "send=${req}GET /after HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n" read 2>&1)
    rc=$?
    out=$(tr -d '\r' <<<"$out")
    if [ $rc -eq 0 ] && grep -q "$want" <<<"$out" \
        && [ "$(grep -c '^HTTP/1.1 ' <<<"$out")" -eq 2 ] \
        && [ "$(tail -n 1 <<<"$out")" = "o /after" ]; then
        ok "$name"
    else
        not_ok "$name" "rc $rc, got: $(head -c 600 <<<"$out" | tr '\n' '|')"
    fi
}
bodiless "HEAD with Content-Length: no body, next request answered" \
    'HEAD /len/1000 HTTP/1.1\r\nHost: x\r\n\r\n' '^Content-Length: 1000$'
bodiless "HEAD of a chunked answer: no body, next request answered" \
    'HEAD /chunked/1000 HTTP/1.1\r\nHost: x\r\n\r\n' '^HTTP/1.1 200'
bodiless "204: no body, next request answered" \
    'GET /status/204 HTTP/1.1\r\nHost: x\r\n\r\n' '^HTTP/1.1 204'
bodiless "304 with Content-Length: no body, next request answered" \
    'GET /status/304 HTTP/1.1\r\nHost: x\r\n\r\n' '^HTTP/1.1 304'

code=$(hget -o /dev/null -w '%{http_code} %{size_download}' -I "$U/len/777")
expect_eq "curl -I: 200, no body" "200 0" "$code"
code=$(hget -o /dev/null -w '%{http_code}' "$U/status/404")
expect_eq "an origin's 404 passes" "404" "$code"
code=$(hget -o /dev/null -w '%{http_code}' "$U/status/503")
expect_eq "an origin's 503 passes" "503" "$code"
expect_eq "access log: the origin's status" "503" "$(log_status "$T/access.log")"
