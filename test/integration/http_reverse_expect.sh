#!/usr/bin/env bash
# http_reverse and Expect: 100-continue never deadlock: the origin's
# "100 Continue" reaches the client (curl then sends at once instead of
# after its expect timeout) and the body arrives whole; an origin that
# answers 417, 413 or 403 without reading the body: that status reaches
# the client, which never sent the body, quickly (curl answers a 417 by
# trying again without Expect, so curl checks 413 and 403, a raw client
# 417); a client that sends its body without waiting gets the final
# answer too; an origin that sends
# no 100 still gets the body the client sends after its own wait.
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
    read_timeout 5s;
    access_log $T/access.log;
}
EOF
gw_start "$P_GW"
U="http://127.0.0.1:$P_GW"
A="127.0.0.1:$P_GW"
w=$(gw_pid_worker)

head -c 300000 /dev/urandom >"$T/body.bin"
want=$(sha256sum <"$T/body.bin" | cut -d' ' -f1)

# curl waits --expect100-timeout (5 s here) for a 100 that does not come
# ecurl PATH: "CODE SECONDS" in $res, curl -v lines in $T/v.txt
ecurl() {
    res=$(curl -sv -m 15 -H 'Expect: 100-continue' --expect100-timeout 5 \
        --data-binary @"$T/body.bin" -o "$T/resp.bin" \
        -w '%{http_code} %{time_total}' "$U$1" 2>"$T/v.txt")
}
fast() { awk -v t="$1" 'BEGIN { exit !(t < 2.0) }'; }

ecurl /upload
code=${res% *}
secs=${res#* }
expect_eq "100-continue: 200" 200 "$code"
check "100-continue: the origin's 100 Continue reaches the client" \
    grep -q '^< HTTP/1.1 100 Continue' "$T/v.txt"
check "100-continue: the body went at once (${secs}s, not after the 5 s wait)" fast "$secs"
r=$(last_req o)
check "100-continue: Expect passed to the origin" grep -q 'expect=\[100-continue\]' <<<"$r"
check "100-continue: the body intact at the origin" grep -q "body=300000 sha256=$want" <<<"$r"

# ---- the origin answers without reading the body ---------------------------------------
for code in 413 403; do
    before=$(origin_reqs o)
    ecurl /reject/$code
    got=${res% *}
    secs=${res#* }
    expect_eq "origin answers $code before the body: the client gets $code" "$code" "$got"
    check "origin answers $code before the body: no deadlock (${secs}s)" fast "$secs"
    if grep -q '^< HTTP/1.1 100' "$T/v.txt"; then
        not_ok "origin answers $code before the body: no 100 Continue reaches the client"
    else
        ok "origin answers $code before the body: no 100 Continue reaches the client"
    fi
    expect_eq "origin answers $code before the body: one request at the origin" \
        "$((before + 1))" "$(origin_reqs o)"
done
check "access log: the origin's 413" has_line "$T/access.log" '"POST /reject/413 HTTP/1.1" 413 '

# raw: head with Expect, then wait: the final status comes without a body
t0=$(now_ms)
out=$("$HC" -t 3000 "$A" \
    'send=POST /reject/417 HTTP/1.1\r\nHost: x\r\nContent-Length: 100000\r\nExpect: 100-continue\r\n\r\n' \
    'expect=HTTP/1.1 417' 'expect=rejected 417' 2>&1)
rc=$?
ms=$(($(now_ms) - t0))
if [ $rc -eq 0 ] && [ $ms -lt 2000 ]; then
    ok "raw client waiting for 100: gets the 417 instead"
else
    not_ok "raw client waiting for 100: gets the 417 instead" "rc $rc after $ms ms: $(tr '\r\n' '||' <<<"$out")"
fi

# a client that does not wait: head and 1 MiB of body at once to a rejecting origin
head -c 1048576 /dev/zero >"$T/mb.bin"
{ printf 'POST /reject/413 HTTP/1.1\r\nHost: x\r\nContent-Length: 1048576\r\nExpect: 100-continue\r\n\r\n'
  cat "$T/mb.bin"; } >"$T/req.bin"
t0=$(now_ms)
out=$("$HC" -w -t 3000 "$A" "file=$T/req.bin" "expect=HTTP/1.1 413" "expect=rejected 413" 2>&1)
rc=$?
ms=$(($(now_ms) - t0))
if [ $rc -eq 0 ] && [ $ms -lt 3000 ]; then
    ok "a client sending its body without waiting: gets the 413"
else
    not_ok "a client sending its body without waiting: gets the 413" \
        "rc $rc after $ms ms: $(head -c 300 <<<"$out" | tr '\r\n' '||')"
fi

# ---- the 100 by hand -------------------------------------------------------------------------
out=$("$HC" -t 3000 "$A" \
    'send=POST /manual HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nExpect: 100-continue\r\n\r\n' \
    'expect=HTTP/1.1 100 Continue\r\n\r\n' 'send=hello' 'expect=o /manual' 2>&1)
rc=$?
expect_eq "raw client: 100 Continue, then the body, then 200" 0 "$rc"
check "raw client: the body arrived" grep -q '"POST /manual HTTP/1.1".* body=5 ' "$T/o.out"
# a 100 goes only to a client that asked
out=$("$HC" -t 3000 "$A" \
    'send=POST /100 HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nConnection: close\r\n\r\nhello' read 2>&1)
if grep -q '^HTTP/1.1 100' <<<"$out"; then
    not_ok "an unasked 100 Continue from the origin is not passed on" "$(tr '\r\n' '||' <<<"$out")"
else
    ok "an unasked 100 Continue from the origin is not passed on"
fi
check "... and the final answer is" grep -q '^o /100' <<<"$out"

# ---- an origin that never sends 100 -----------------------------------------------------------
res=$(curl -s -m 15 -H 'Expect: 100-continue' --expect100-timeout 1 \
    --data-binary @"$T/body.bin" -o /dev/null -w '%{http_code}' "$U/quiet?no100")
expect_eq "origin without 100: the client sends after its own wait, 200" 200 "$res"
check "origin without 100: the body intact" grep -q "/quiet?no100 .* body=300000 sha256=$want" "$T/o.out"

check "the worker survived (same pid)" test "$(gw_pid_worker)" = "$w"
