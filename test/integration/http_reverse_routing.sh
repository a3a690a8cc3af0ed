#!/usr/bin/env bash
# http_reverse routing (Go ServeMux rules): an exact pattern matches only
# its path, a pattern ending in / its whole subtree, the longest match
# wins, a pattern with a host beats host-less ones (the Host's port and
# case do not matter), the query is no part of the path; the listener's
# proxy_pass takes the rest; with no proxy_pass, nothing matching is a 404
# of our own and the connection stays usable. The target reaches the
# origin unchanged.
. "$(dirname "$0")/lib.sh"

read -r P_GW P_NOFB P_A P_B P_C P_D P_E P_FB < <(ports 8)
origin a "127.0.0.1:$P_A"
origin b "127.0.0.1:$P_B"
origin c "127.0.0.1:$P_C"
origin d "127.0.0.1:$P_D"
origin e "127.0.0.1:$P_E"
origin fb "127.0.0.1:$P_FB"
write_conf <<EOF
$MAIN
upstream tree { server 127.0.0.1:$P_B; }
listener web {
    listen 127.0.0.1:$P_GW;
    handler http_reverse;
    proxy_pass 127.0.0.1:$P_FB;
    access_log $T/access.log;
    location /exact { proxy_pass 127.0.0.1:$P_A; }
    location /tree/ { proxy_pass tree; }
    location /tree/deeper/ { proxy_pass 127.0.0.1:$P_C; }
    location api.example.com/ { proxy_pass 127.0.0.1:$P_D; }
    location api.example.com/v2/ { proxy_pass 127.0.0.1:$P_E; }
}
listener nofb {
    listen 127.0.0.1:$P_NOFB;
    handler http_reverse;
    access_log $T/nofb.log;
    location /only/ { proxy_pass 127.0.0.1:$P_A; }
}
EOF
gw_start "$P_GW" "$P_NOFB"

# route NAME PATH WANT_ORIGIN [HOST]
route() {
    local out host=()
    [ -n "${4:-}" ] && host=(-H "Host: $4")
    out=$(hget "${host[@]}" "http://127.0.0.1:$P_GW$2")
    expect_eq "$1" "$3 $2" "$out"
}

route "exact pattern: its path" /exact a
route "exact pattern: the query is not part of the path" "/exact?q=/tree/" a
route "exact pattern: not a path below it" /exact/more fb
route "exact pattern: not a longer name" /exactly fb
route "subtree pattern: its root" /tree/ b
route "subtree pattern: a path below it" /tree/x/y.html b
route "longest match wins: deeper subtree" /tree/deeper/z c
route "longest match: a sibling name stays with the shorter" /tree/deeperx b
route "no pattern matches: the listener's proxy_pass" /elsewhere fb
route "no pattern matches: / goes to the listener's proxy_pass" / fb
route "host pattern beats a longer host-less one" /tree/deeper/z d api.example.com
route "host pattern: the port of Host is ignored" /exact d api.example.com:8080
route "host pattern: Host compares without case" /x d API.Example.COM
route "host patterns: the longest wins among them" /v2/users e api.example.com
route "another host: host-less patterns" /tree/q b other.example.com

# no fallback: 404 from us, the origins see nothing, the connection stays
before=$(origin_reqs a)
out=$("$HC" -t 3000 "127.0.0.1:$P_NOFB" \
    'send=GET /other HTTP/1.1\r\nHost: x\r\n\r\n' 'expect=\r\n\r\n' \
    'send=GET /only/yes HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n' read 2>&1)
rc=$?
out=$(tr -d '\r' <<<"$out")
check "nothing matches, no proxy_pass: 404" grep -q '^HTTP/1.1 404' <<<"$out"
if [ $rc -eq 0 ] && [ "$(tail -n 1 <<<"$out")" = "a /only/yes" ]; then
    ok "after a 404 the same connection serves the next request"
else
    not_ok "after a 404 the same connection serves the next request" \
        "rc $rc, got: $(tr '\n' '|' <<<"$out")"
fi
expect_eq "the 404 reached no origin" "$((before + 1))" "$(origin_reqs a)"
wait_log "$T/nofb.log" '" 404 ' 2000
check "access log: 404 with no upstream" has_line "$T/nofb.log" '"GET /other HTTP/1.1" 404 [0-9]+ [0-9]+ [0-9.]+ -'
