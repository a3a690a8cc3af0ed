#!/usr/bin/env bash
# http_reverse client keep-alive: 100 requests on one connection (one
# client port in the access log, one connect for curl, one upstream
# connection from the pool); a client idle past keepalive_timeout is
# closed; Connection: close is honoured; HTTP/1.0 clients: closed after
# the answer unless they ask for keep-alive, chunked and close-delimited
# answers reach them close-delimited (no chunks), a Content-Length answer
# keeps a keep-alive 1.0 connection open; a close-delimited answer to a
# 1.1 client becomes chunked and the connection stays.
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
    keepalive_timeout 1s;
    access_log $T/access.log;
}
EOF
gw_start "$P_GW"
U="http://127.0.0.1:$P_GW"
A="127.0.0.1:$P_GW"

# ---- 100 requests, one connection ----------------------------------------------------
urls=()
for i in $(seq 100); do urls+=("$U/r$i"); done
out=$(curl -s -m 20 -w '%{http_code} %{num_connects} %{local_port}\n' "${urls[@]}")
codes=$(grep -cE '^o /r[0-9]+$' <<<"$out")
expect_eq "100 requests on one connection: 100 answers" 100 "$codes"
stats=$(grep -E '^[0-9]{3} ' <<<"$out")
expect_eq "curl: 100 times 200" 100 "$(grep -c '^200 ' <<<"$stats")"
expect_eq "curl: one connect in all" 1 "$(awk '{ s += $2 } END { print s }' <<<"$stats")"
expect_eq "curl: one local port" 1 "$(awk '{ print $3 }' <<<"$stats" | sort -u | wc -l)"
wait_until 3000 lines_over "$T/access.log" 99
expect_eq "access log: 100 lines" 100 "$(count_lines "$T/access.log")"
expect_eq "access log: all from one client port" 1 \
    "$(awk '{ print $1 }' "$T/access.log" | sort -u | wc -l)"
expect_eq "access log: requests in order" "GET /r1 HTTP/1.1|GET /r100 HTTP/1.1" \
    "$(sed -n '1p;$p' "$T/access.log" | cut -d'"' -f2 | paste -sd'|')"
expect_eq "the origin: one connection for the 100 (the pool)" 1 "$(origin_ports o)"

# ---- keepalive_timeout -------------------------------------------------------------------
t0=$(now_ms)
out=$("$HC" -t 5000 "$A" 'send=GET /idle HTTP/1.1\r\nHost: x\r\n\r\n' 'expect=o /idle' idle=4000 2>&1)
rc=$?
ms=$(($(now_ms) - t0))
if [ $rc -eq 0 ] && [ $ms -ge 900 ] && [ $ms -le 2500 ]; then
    ok "an idle keep-alive client is closed after keepalive_timeout"
else
    not_ok "an idle keep-alive client is closed after keepalive_timeout" \
        "rc $rc after $ms ms (wanted 900..2500): $(tail -n 1 <<<"$out")"
fi
# an idle connection that sends its next request in time is served
out=$("$HC" -t 5000 "$A" 'send=GET /a HTTP/1.1\r\nHost: x\r\n\r\n' 'expect=o /a' sleep=600 \
    'send=GET /b HTTP/1.1\r\nHost: x\r\n\r\n' 'expect=o /b' sleep=600 \
    'send=GET /c HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n' read 2>&1)
rc=$?
if [ $rc -eq 0 ] && [[ "$out" == *"o /c"* ]]; then
    ok "requests 600 ms apart keep the connection (the timer restarts)"
else
    not_ok "requests 600 ms apart keep the connection (the timer restarts)" "rc $rc: $(tail -n 2 <<<"$out")"
fi

# ---- Connection: close -----------------------------------------------------------------------
t0=$(now_ms)
out=$("$HC" -t 3000 "$A" 'send=GET /bye HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n' read 2>&1)
rc=$?
ms=$(($(now_ms) - t0))
if [ $rc -eq 0 ] && [ $ms -lt 900 ] && grep -q '^Connection: close' <<<"$(tr -d '\r' <<<"$out")"; then
    ok "Connection: close: answered with Connection: close, then closed"
else
    not_ok "Connection: close: answered with Connection: close, then closed" \
        "rc $rc after $ms ms: $(tr '\r\n' '||' <<<"$out")"
fi

# ---- HTTP/1.0 ---------------------------------------------------------------------------------
# http10 NAME REQUEST_TEXT: the raw answer in $out, rc in $rc, ms in $ms
http10() {
    local t0
    t0=$(now_ms)
    out=$("$HC" -t 3000 "$A" "send=$1" read 2>/dev/null)
    rc=$?
    ms=$(($(now_ms) - t0))
    head10=$(sed -n '1,/^\r$/p' <<<"$out" | tr -d '\r')
}

http10 'GET /len/3000 HTTP/1.0\r\n\r\n'
if [ $rc -eq 0 ] && [ $ms -lt 900 ] && grep -q '^Content-Length: 3000' <<<"$head10"; then
    ok "HTTP/1.0 without keep-alive: closed after the answer"
else
    not_ok "HTTP/1.0 without keep-alive: closed after the answer" "rc $rc after $ms ms: $(tr '\n' '|' <<<"$head10")"
fi

for kind in chunked close; do
    want=$(pattern_sha 100000)
    got=$(hget --http1.0 -D "$T/h.txt" "$U/$kind/100000" | sha256sum | cut -d' ' -f1)
    expect_eq "HTTP/1.0 client, $kind answer: body intact" "$want" "$got"
    if grep -qi '^transfer-encoding' "$T/h.txt"; then
        not_ok "HTTP/1.0 client, $kind answer: no Transfer-Encoding" "$(tr -d '\r' <"$T/h.txt" | tr '\n' '|')"
    else
        ok "HTTP/1.0 client, $kind answer: no Transfer-Encoding"
    fi
    # asked for keep-alive: a close-delimited answer cannot keep it
    http10 "GET /$kind/2000 HTTP/1.0\r\nConnection: keep-alive\r\n\r\n"
    if [ $rc -eq 0 ] && [ $ms -lt 900 ] && ! grep -qi '^transfer-encoding' <<<"$head10" \
        && ! grep -qi '^connection: keep-alive' <<<"$head10"; then
        ok "HTTP/1.0 keep-alive client, $kind answer: close-delimited, then closed"
    else
        not_ok "HTTP/1.0 keep-alive client, $kind answer: close-delimited, then closed" \
            "rc $rc after $ms ms: $(tr '\n' '|' <<<"$head10")"
    fi
done

out=$("$HC" -t 3000 "$A" 'send=GET /len/10 HTTP/1.0\r\nConnection: keep-alive\r\n\r\n' \
    'expect=\r\n\r\n' 'send=GET /second HTTP/1.0\r\n\r\n' read 2>&1)
rc=$?
out=$(tr -d '\r' <<<"$out")
if [ $rc -eq 0 ] && grep -qi '^Connection: keep-alive' <<<"$out" && [[ "$out" == *"o /second"* ]]; then
    ok "HTTP/1.0 keep-alive client, Content-Length answer: Connection: keep-alive, the connection serves another"
else
    not_ok "HTTP/1.0 keep-alive client, Content-Length answer: Connection: keep-alive, the connection serves another" \
        "rc $rc: $(tr '\n' '|' <<<"$out")"
fi

# ---- a close-delimited answer to HTTP/1.1: chunked, the connection stays ---------------------
want=$(pattern_sha 50000)
out=$(curl -s -m 10 -D "$T/h.txt" -o "$T/body.bin" -w '%{num_connects}\n' \
    "$U/close/50000" -o /dev/null "$U/after")
expect_eq "HTTP/1.1 client, close-delimited answer: body intact" "$want" \
    "$(sha256sum <"$T/body.bin" | cut -d' ' -f1)"
check "HTTP/1.1 client, close-delimited answer: sent chunked" \
    grep -qi '^transfer-encoding: chunked' "$T/h.txt"
expect_eq "HTTP/1.1 client, close-delimited answer: the connection is reused" "1 0" \
    "$(tr '\n' ' ' <<<"$out" | sed 's/ $//')"
