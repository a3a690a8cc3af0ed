#!/usr/bin/env bash
# http_forward requests: absolute-form GET, HEAD and POST (Content-Length
# and chunked) reach their origin in origin form, with Host from the URI
# (whatever Host the client sent), X-Forwarded-For appended, Via: 1.1
# gateway both ways, no hop-by-hop field (Proxy-Connection and
# Proxy-Authorization included) and no X-Real-IP; bodies intact both
# ways; localhost through /etc/hosts; an IPv6 literal; origin form, https
# and userinfo answered 400; allow/deny answered 403; an access log line
# per request.
. "$(dirname "$0")/lib.sh"

read -r P_GW P_DENY P_O P_O6 P_FENCE < <(ports 5)
origin o "127.0.0.1:$P_O"
origin o6 "[::1]:$P_O6"
write_conf <<EOF
$MAIN
listener fwd {
    listen 127.0.0.1:$P_GW;
    handler http_forward;
    access_log $T/access.log;
}
listener closed {
    listen 127.0.0.1:$P_DENY;
    handler http_forward;
    deny 127.0.0.0/8;
    allow all;
    access_log $T/deny.log;
}
listener fenced {
    listen 127.0.0.1:$P_FENCE;
    handler http_forward;
    allow_to ::1;
    deny_to 127.0.0.0/8;
    access_log $T/fence.log;
}
EOF
gw_start "$P_GW" "$P_DENY" "$P_FENCE"
W0=$(gw_pid_worker)
X="http://127.0.0.1:$P_GW"
O="http://127.0.0.1:$P_O"
A="127.0.0.1:$P_GW"

# field KEY LINE: the [value] of KEY in an origin log line (a value may
# hold brackets: "[::1]:80")
field() {
    sed -nE "s/.* $1=\[(([^]]|\][^ ])*)\]( .*)?$/\1/p" <<<"$2"
}

# ---- GET ---------------------------------------------------------------------------
out=$(hget -x "$X" -D "$T/h.txt" "$O/get?a=1")
expect_eq "GET: the origin answers through the proxy" "o /get?a=1" "$out"
r=$(last_req o)
expect_eq "GET: origin form upstream" '"GET /get?a=1 HTTP/1.1"' "$(awk '{print $4, $5, $6}' <<<"$r")"
expect_eq "GET: Host from the URI" "127.0.0.1:$P_O" "$(field host "$r")"
expect_eq "GET: X-Forwarded-For is the client" "127.0.0.1" "$(field xff "$r")"
expect_eq "GET: Via: 1.1 gateway to the origin" "1.1 gateway" "$(field via "$r")"
expect_eq "GET: no X-Real-IP from a forward proxy" "-" "$(field xri "$r")"
expect_eq "GET: no X-Forwarded-Proto added" "-" "$(field xfp "$r")"
check "GET: Via: 1.1 gateway to the client" grep -qi '^via: 1.1 gateway' "$T/h.txt"
line=$(last_line "$T/access.log")
if [[ "$line" =~ ^127\.0\.0\.1:[0-9]+\ \[.*\]\ fwd\ http_forward\ \"GET\ http://127\.0\.0\.1:$P_O/get\?a=1\ HTTP/1\.1\"\ 200\ [0-9]+\ [0-9]+\ [0-9.]+\ 127\.0\.0\.1:$P_O\  ]]; then
    ok "GET: access log line with the absolute URI and the origin"
else
    not_ok "GET: access log line with the absolute URI and the origin" "line: '$line'"
fi

# the client's own Host does not decide where the request goes
out=$(hget -x "$X" -H "Host: elsewhere.example" -H "X-Forwarded-For: 10.1.1.1" \
    -H "X-Forwarded-Proto: https" -H "Via: 1.0 first" "$O/host")
r=$(last_req o)
expect_eq "Host: the URI's, not the client's" "127.0.0.1:$P_O" "$(field host "$r")"
expect_eq "X-Forwarded-For: the client appended" "10.1.1.1, 127.0.0.1" "$(field xff "$r")"
expect_eq "X-Forwarded-Proto: the client's passes" "https" "$(field xfp "$r")"
expect_eq "Via: ours after the client's" "1.0 first | 1.1 gateway" "$(field via "$r")"

# ---- hop-by-hop ----------------------------------------------------------------------
hget -x "$X" -H "Proxy-Connection: keep-alive" -H "Proxy-Authorization: Basic dTpw" \
    -H "Connection: X-Hop" -H "X-Hop: 1" -H "Keep-Alive: timeout=5" -H "TE: trailers" \
    -H "X-End: yes" "$O/hop" >/dev/null
names=$(field names "$(last_req o)")
echo "# fields the origin got: $names"
for h in proxy-connection proxy-authorization connection x-hop keep-alive te; do
    if [[ ",$names," == *",$h,"* ]]; then
        not_ok "request: hop-by-hop $h removed" "the origin got: $names"
    else
        ok "request: hop-by-hop $h removed"
    fi
done
check "request: an end-to-end field passes" grep -q ',x-end,' <<<",$names,"
hget -x "$X" -D "$T/h.txt" "$O/hop" >/dev/null
if grep -qiE '^(x-hop|keep-alive|proxy-authenticate|trailer|upgrade):' "$T/h.txt" \
    || ! grep -qi '^x-end-to-end: yes' "$T/h.txt"; then
    not_ok "response: hop-by-hop fields removed, end-to-end kept" "$(tr -d '\r' <"$T/h.txt" | tr '\n' '|')"
else
    ok "response: hop-by-hop fields removed, end-to-end kept"
fi

# ---- HEAD, bodies ---------------------------------------------------------------------
out=$(curl -s -m 10 -x "$X" -I "$O/len/5000" | tr -d '\r')
check "HEAD: the head with its Content-Length, no body" grep -q '^Content-Length: 5000' <<<"$out"
expect_eq "HEAD: the origin got HEAD" '"HEAD /len/5000 HTTP/1.1"' "$(awk '{print $4, $5, $6}' <<<"$(last_req o)")"

want=$(pattern_sha 1000000)
got=$(hget -x "$X" "$O/len/1000000" | sha256sum | cut -d' ' -f1)
expect_eq "GET 1 MB (Content-Length): body intact" "$want" "$got"
got=$(hget -x "$X" "$O/chunked/300000" | sha256sum | cut -d' ' -f1)
expect_eq "GET 300 kB chunked: body intact" "$(pattern_sha 300000)" "$got"

head -c 200000 /dev/urandom >"$T/up.bin"
want=$(sha256sum <"$T/up.bin" | cut -d' ' -f1)
got=$(hget -x "$X" --data-binary @"$T/up.bin" "$O/echo" | sha256sum | cut -d' ' -f1)
expect_eq "POST 200 kB (Content-Length): echoed intact" "$want" "$got"
r=$(last_req o)
expect_eq "POST: the origin read the whole body" "body=200000 sha256=$want" \
    "$(grep -oE 'body=[^ ]+ sha256=[0-9a-f]+' <<<"$r")"
got=$(hget -x "$X" -H 'Transfer-Encoding: chunked' --data-binary @"$T/up.bin" "$O/echo" \
    | sha256sum | cut -d' ' -f1)
expect_eq "POST chunked: echoed intact" "$want" "$got"

# ---- names and literals ------------------------------------------------------------------
out=$(hget -x "$X" "http://localhost:$P_O/named")
expect_eq "localhost through /etc/hosts" "o /named" "$out"
expect_eq "localhost: Host as the URI wrote it" "localhost:$P_O" "$(field host "$(last_req o)")"
out=$(hget -x "$X" "http://[::1]:$P_O6/six")
expect_eq "an IPv6 literal origin" "o6 /six" "$out"
expect_eq "IPv6: Host keeps the brackets" "[::1]:$P_O6" "$(field host "$(last_req o6)")"
out=$(hget -x "$X" "http://LOCALHOST:$P_O")
expect_eq "no path: \"/\" upstream, the scheme and name in any case" "o /" "$out"

# ---- refused targets -----------------------------------------------------------------------
# raw RAW_REQUEST: status of the answer (the first line's code)
raw_status() {
    "$HC" -t 3000 "$A" "send=$1" read 2>/dev/null | head -n 1 | awk '{print $2}'
}
before=$(origin_reqs o)
expect_eq "origin form: 400" 400 "$(raw_status 'GET /x HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n')"
expect_eq "an https:// target: 400 (CONNECT is the way)" 400 \
    "$(raw_status "GET https://127.0.0.1:$P_O/ HTTP/1.1\r\nHost: x\r\n\r\n")"
expect_eq "userinfo in the URI: 400" 400 \
    "$(raw_status "GET http://u:p@127.0.0.1:$P_O/ HTTP/1.1\r\nHost: x\r\n\r\n")"
expect_eq "an ftp:// target: 400" 400 \
    "$(raw_status "GET ftp://127.0.0.1:$P_O/ HTTP/1.1\r\nHost: x\r\n\r\n")"
expect_eq "a bad port: 400" 400 \
    "$(raw_status "GET http://127.0.0.1:99999/ HTTP/1.1\r\nHost: x\r\n\r\n")"
expect_eq "asterisk form: 400" 400 "$(raw_status 'OPTIONS * HTTP/1.1\r\nHost: x\r\n\r\n')"
expect_eq "refused targets never reach an origin" "$before" "$(origin_reqs o)"
if [[ "$(last_line "$T/access.log")" =~ \"OPTIONS\ \*\ HTTP/1\.1\"\ 400\ [0-9]+\ [1-9][0-9]*\  ]]; then
    ok "a refused request is logged with its bytes"
else
    not_ok "a refused request is logged with its bytes" "$(last_line "$T/access.log")"
fi

# ---- allow / deny ------------------------------------------------------------------------------
code=$(curl -s -m 5 -o /dev/null -w '%{http_code}' -x "http://127.0.0.1:$P_DENY" "$O/denied")
expect_eq "deny: 403" 403 "$code"
code=$(curl -s -m 5 -o /dev/null -w '%{http_code}' -p -x "http://127.0.0.1:$P_DENY" "$O/denied")
expect_eq "deny: CONNECT 403 too (curl fails the tunnel)" 000 "$code"
check "deny: 403 lines in its access log" grep -q '" 403 ' "$T/deny.log"
expect_eq "deny: nothing reached the origin" 0 "$(grep -c '/denied' "$T/o.out")"

# ---- allow_to / deny_to ---------------------------------------------------------------------------
before=$(origin_reqs o)
code=$(curl -s -m 5 -o /dev/null -w '%{http_code}' -x "http://127.0.0.1:$P_FENCE" "$O/fenced")
expect_eq "deny_to: a refused destination: 403" 403 "$code"
code=$(curl -s -m 5 -o /dev/null -w '%{http_code}' -x "http://127.0.0.1:$P_FENCE" "http://localhost:$P_O/fenced")
expect_eq "deny_to: a name whose addresses are all refused: 403" 403 "$code"
expect_eq "deny_to: nothing reached the origin" "$before" "$(origin_reqs o)"
check "deny_to: CONNECT refused with 403 too" \
    test "$("$HC" -t 3000 "127.0.0.1:$P_FENCE" "send=CONNECT 127.0.0.1:$P_O HTTP/1.1\r\n\r\n" read 2>/dev/null | head -c 12)" = "HTTP/1.1 403"
out=$(hget -x "http://127.0.0.1:$P_FENCE" "http://[::1]:$P_O6/allowed")
expect_eq "allow_to: an allowed destination is served" "o6 /allowed" "$out"

# ---- the worker served it all -------------------------------------------------------------------
expect_eq "the worker never died" "$W0" "$(gw_pid_worker)"
