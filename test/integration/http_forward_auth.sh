#!/usr/bin/env bash
# http_forward auth: without credentials, with wrong ones, a wrong user, a
# malformed header or another scheme: 407 with Proxy-Authenticate: Basic
# realm="gateway", and nothing reaches an origin; the right ones (either
# of two auth lines) are served, for GET (curl --proxy-user) and CONNECT
# (curl -p), and Proxy-Authorization never reaches the origin; a 407
# keeps the connection, so the retry with credentials uses it.
. "$(dirname "$0")/lib.sh"

read -r P_GW P_O < <(ports 2)
origin o "127.0.0.1:$P_O"
write_conf <<EOF
$MAIN
listener fwd {
    listen 127.0.0.1:$P_GW;
    handler http_forward;
    auth alice:s3cret;
    auth "bob:pass:with:colons";
    access_log $T/access.log;
}
EOF
gw_start "$P_GW"
W0=$(gw_pid_worker)
X="http://127.0.0.1:$P_GW"
A="127.0.0.1:$P_GW"
O="http://127.0.0.1:$P_O"

# code [CURL ARGS]: the status curl got for $O/auth through the proxy
code() {
    curl -s -m 5 -o /dev/null -w '%{http_code}' -x "$X" "$@" "$O/auth"
}

# ---- refused ------------------------------------------------------------------------------
curl -s -m 5 -D "$T/h.txt" -o /dev/null -x "$X" "$O/auth"
expect_eq "no credentials: 407" 407 "$(head -n 1 "$T/h.txt" | awk '{print $2}')"
check "407 says Proxy-Authenticate: Basic realm=\"gateway\"" \
    grep -q '^Proxy-Authenticate: Basic realm="gateway"' "$T/h.txt"
expect_eq "a wrong password: 407" 407 "$(code --proxy-user alice:wrong)"
expect_eq "a password one character short: 407" 407 "$(code --proxy-user alice:s3cre)"
expect_eq "a password one character long: 407" 407 "$(code --proxy-user alice:s3crett)"
expect_eq "an unknown user: 407" 407 "$(code --proxy-user mallory:s3cret)"
expect_eq "one user's password for another: 407" 407 "$(code --proxy-user bob:s3cret)"
expect_eq "user and password swapped: 407" 407 "$(code --proxy-user s3cret:alice)"
expect_eq "no colon in the credentials: 407" 407 \
    "$(code -H "Proxy-Authorization: Basic $(printf 'alices3cret' | base64)")"
expect_eq "malformed base64: 407" 407 "$(code -H 'Proxy-Authorization: Basic !!!!')"
expect_eq "another scheme: 407" 407 "$(code -H 'Proxy-Authorization: Bearer abc')"
expect_eq "an empty header: 407" 407 "$(code -H 'Proxy-Authorization;')"
expect_eq "credentials in Authorization (not for the proxy): 407" 407 \
    "$(code -H "Authorization: Basic $(printf 'alice:s3cret' | base64)")"
expect_eq "nothing reached the origin" 0 "$(origin_reqs o)"
expect_eq "CONNECT without credentials: 407 (curl fails the tunnel)" 000 \
    "$(curl -s -m 5 -o /dev/null -w '%{http_code}' -p -x "$X" "$O/auth")"
check "CONNECT without credentials: 407 in the log" \
    grep -q "\"CONNECT 127.0.0.1:$P_O HTTP/1.1\" 407 " "$T/access.log"

# ---- accepted -------------------------------------------------------------------------------
expect_eq "the right credentials: 200" 200 "$(code --proxy-user alice:s3cret)"
names=$(sed -nE 's/.* names=\[([^]]*)\].*/\1/p' <<<"$(last_req o)")
if [[ ",$names," == *",proxy-authorization,"* ]]; then
    not_ok "Proxy-Authorization does not reach the origin" "$names"
else
    ok "Proxy-Authorization does not reach the origin"
fi
expect_eq "the second auth line (a password with colons): 200" 200 \
    "$(code --proxy-user 'bob:pass:with:colons')"
expect_eq "the scheme in any case: 200" 200 \
    "$(code -H "Proxy-Authorization: bAsIc $(printf 'alice:s3cret' | base64)")"
out=$(hget -p -x "$X" --proxy-user alice:s3cret "$O/tunnel")
expect_eq "CONNECT with the right credentials: the tunnel" "o /tunnel" "$out"
out=$(hget -p -x "http://alice:s3cret@127.0.0.1:$P_GW" "$O/tunnel2")
expect_eq "credentials in the proxy URL (curl sends them): the tunnel" "o /tunnel2" "$out"

# ---- the 407 keeps the connection ---------------------------------------------------------------
GOOD=$(printf 'alice:s3cret' | base64)
out=$("$HC" -t 3000 "$A" "send=GET $O/first HTTP/1.1\r\nHost: x\r\n\r\n" 'expect=407 ' 'expect=\r\n\r\n' \
    "send=GET $O/second HTTP/1.1\r\nHost: x\r\nProxy-Authorization: Basic $GOOD\r\nConnection: close\r\n\r\n" \
    read 2>&1)
if [[ "$out" == *"407 Proxy Authentication Required"*"o /second"* ]]; then
    ok "after a 407 the same connection carries the request with credentials"
else
    not_ok "after a 407 the same connection carries the request with credentials" "$(tr '\r\n' '||' <<<"$out" | head -c 400)"
fi
# a refused body is not read as a request: the connection closes after the 407
out=$("$HC" -t 3000 "$A" "send=POST $O/echo HTTP/1.1\r\nHost: x\r\nContent-Length: 40\r\n\r\nGET /smuggled HTTP/1.1\r\nHost: x\r\n\r\n" read 2>&1)
if [[ "$out" == *"407 "* && "$out" != *"smuggled"* ]] && ! grep -q smuggled "$T/o.out"; then
    ok "a refused request's body is never taken for a request"
else
    not_ok "a refused request's body is never taken for a request" "$(tr '\r\n' '||' <<<"$out" | head -c 400)"
fi

expect_eq "the worker never died" "$W0" "$(gw_pid_worker)"
