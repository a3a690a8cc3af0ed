#!/usr/bin/env bash
# log_format and `access_log PATH NAME`: every variable renders what the
# exchange was (http_reverse, http_forward with auth, tcp, socks5 with
# auth); values are escaped (default: \xHH; escape=json: JSON strings, so
# each line parses as JSON); a listener without a format keeps the default
# line; -t refuses an unknown variable or format.
. "$(dirname "$0")/lib.sh"

read -r P_REV P_FWD P_TCP P_SOCKS P_ORIG P_ECHO P_DEF < <(ports 7)
origin orig "127.0.0.1:$P_ORIG"
backend echo echo "127.0.0.1:$P_ECHO"
CONF="$T/gw.conf"
ALL='a=$remote_addr p=$remote_port u=$remote_user tl=[$time_local] ti=$time_iso8601 ms=$msec r="$request" m=$request_method uri=$request_uri s=$status out=$bytes_sent in=$bytes_received rt=$request_time ua=$upstream_addr uct=$upstream_connect_time urt=$upstream_response_time h=$handler l=${listener} pid=$pid'
write_conf <<EOF
worker_processes 1;
pid $T/gw.pid;
error_log $T/error.log info;
log_format all '$ALL';
log_format json escape=json '{"addr":"\$remote_addr","user":"\$remote_user",'
                            '"request":"\$request","status":\$status,'
                            '"uri":"\$request_uri","time":"\$time_iso8601"}';
upstream orig { server 127.0.0.1:$P_ORIG; keepalive 4; }
listener rev {
    listen 127.0.0.1:$P_REV;
    handler http_reverse;
    proxy_pass orig;
    access_log $T/rev.log all;
}
listener fwd {
    listen 127.0.0.1:$P_FWD;
    handler http_forward;
    auth alice:secret;
    access_log $T/fwd.log json;
}
listener tun {
    listen 127.0.0.1:$P_TCP;
    handler tcp;
    proxy_pass 127.0.0.1:$P_ECHO;
    access_log $T/tcp.log all;
}
listener socks {
    listen 127.0.0.1:$P_SOCKS;
    handler socks5;
    auth bob:pw;
    access_log $T/socks.log all;
}
listener plain {
    listen 127.0.0.1:$P_DEF;
    handler http_reverse;
    proxy_pass orig;
    access_log $T/def.log;
}
EOF
check "-t accepts formats with every variable" "$GW" -t -c "$CONF"
gw_start "$P_REV" "$P_FWD" "$P_TCP" "$P_SOCKS" "$P_DEF"

# field NAME LINE: the value after " NAME=" (up to the next space)
field() { sed -nE "s/^(.* )?$1=([^ ]*).*/\2/p" <<<"$2"; }

# ---- http_reverse: every variable -------------------------------------------
hget -o /dev/null "http://127.0.0.1:$P_REV/delay/120?q=1"
wait_until 3000 lines_over "$T/rev.log" 0
L=$(last_line "$T/rev.log")
wpid=$(gw_pid_worker "$GW_PID")
expect_eq "remote_addr" "$(field a "$L")" 127.0.0.1
check "remote_port is the client's port" test "$(field p "$L")" -gt 1023
expect_eq "remote_user without auth" "$(field u "$L")" "-"
check "time_local like the default line" has_line "$T/rev.log" \
    'tl=\[[0-9]{2}/[A-Z][a-z]{2}/[0-9]{4}:[0-9]{2}:[0-9]{2}:[0-9]{2} [+-][0-9]{4}\]'
check "time_iso8601 is YYYY-MM-DDTHH:MM:SS+HH:MM" has_line "$T/rev.log" \
    'ti=[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}[+-][0-9]{2}:[0-9]{2} '
now=$(date +%s)
msec=$(field ms "$L")
check "msec is the epoch time in seconds.milliseconds" \
    test "${msec%.*}" -ge $((now - 5)) -a "${msec%.*}" -le "$now" -a "${#msec}" -gt 11
check "request is the request line" has_line "$T/rev.log" "r=\"GET /delay/120\\?q=1 HTTP/1.1\""
expect_eq "request_method" "$(field m "$L")" GET
expect_eq "request_uri keeps the query" "$(field uri "$L")" "/delay/120?q=1"
expect_eq "status" "$(field s "$L")" 200
expect_eq "bytes_sent: the response head and its 8-byte body" \
    "$(field out "$L")" "$(curl -s -D - -o /dev/null "http://127.0.0.1:$P_REV/delay/0" | wc -c | awk '{print $1 + 8}')"
check "bytes_received counts the request head" test "$(field in "$L")" -gt 50
rt=$(field rt "$L")
check "request_time covers the 120 ms delay" awk -v t="$rt" 'BEGIN { exit !(t >= 0.12 && t < 5) }'
expect_eq "upstream_addr" "$(field ua "$L")" "127.0.0.1:$P_ORIG"
check "upstream_connect_time is seconds.ms" has_line "$T/rev.log" 'uct=[0-9]+\.[0-9]{3} '
urt=$(field urt "$L")
check "upstream_response_time covers the delay" awk -v t="$urt" 'BEGIN { exit !(t >= 0.12 && t <= '"$rt"') }'
expect_eq "handler" "$(field h "$L")" http_reverse
expect_eq "listener (\${listener})" "$(field l "$L")" rev
expect_eq "pid is the worker's" "$(field pid "$L")" "$wpid"

# a reused upstream connection connects in no time; a 502 has no upstream
wait_until 3000 lines_over "$T/rev.log" 1
hget -o /dev/null "http://127.0.0.1:$P_REV/len/1"
wait_until 3000 lines_over "$T/rev.log" 2
expect_eq "upstream_connect_time of a pooled connection" \
    "$(field uct "$(last_line "$T/rev.log")")" 0.000

# hostile bytes in the request are escaped, not written raw (a request
# line with a control byte is refused, and still logged)
"$HC" -t 3000 "127.0.0.1:$P_REV" 'send=GET /a"b\\c\xff HTTP/1.1\r\nHost: x\r\n\r\n' read >/dev/null 2>&1
"$HC" -t 3000 "127.0.0.1:$P_REV" 'send=GET /\x01 HTTP/1.1\r\nHost: x\r\n\r\n' read >/dev/null 2>&1
wait_until 3000 lines_over "$T/rev.log" 4
check "quote, backslash and bytes over 0x7e are \\xHH" \
    has_line "$T/rev.log" 'r="GET /a\\x22b\\x5Cc\\xFF HTTP/1.1"'
check_not "no raw control byte reaches the log" grep -qP '[\x00-\x09\x0b-\x1f]' "$T/rev.log"

# ---- http_forward: the authenticated user, as JSON ---------------------------
curl -s -o /dev/null -m 5 -x "http://127.0.0.1:$P_FWD" -U alice:secret \
    "http://127.0.0.1:$P_ORIG/len/3"
curl -s -o /dev/null -m 5 -x "http://127.0.0.1:$P_FWD" \
    "http://127.0.0.1:$P_ORIG/len/3"
curl -s -o /dev/null -m 5 -x "http://127.0.0.1:$P_FWD" -U alice:secret \
    "http://127.0.0.1:$P_ORIG/len/3?\"q\"=\\"
wait_until 3000 lines_over "$T/fwd.log" 2
check "escape=json: the user who authenticated" \
    has_line "$T/fwd.log" '^\{"addr":"127\.0\.0\.1","user":"alice","request":"GET http://127\.0\.0\.1:[0-9]+/len/3 HTTP/1\.1","status":200,'
check "escape=json: no user on a 407" has_line "$T/fwd.log" '"user":"-",.*"status":407'
check "escape=json: quote and backslash as \\\" and \\\\" \
    has_line "$T/fwd.log" '"uri":"http://127\.0\.0\.1:[0-9]+/len/3\?\\"q\\"=\\\\"'
if command -v python3 >/dev/null 2>&1; then
    check "escape=json: every line parses as JSON" python3 -c '
import json, sys
for l in open(sys.argv[1]):
    json.loads(l)
' "$T/fwd.log"
fi

# ---- tcp and socks5 -----------------------------------------------------------
"$TC" -t 3000 -s "hello" read "127.0.0.1:$P_TCP" >/dev/null 2>&1
wait_until 3000 lines_over "$T/tcp.log" 0
L=$(last_line "$T/tcp.log")
expect_eq "tcp: request is the proxy_pass target" "$(sed -nE 's/.* r="([^"]*)".*/\1/p' <<<"$L")" "127.0.0.1:$P_ECHO"
expect_eq "tcp: no request_method" "$(field m "$L")" "-"
expect_eq "tcp: bytes each way" "$(field out "$L") $(field in "$L")" "5 5"
check "tcp: upstream_connect_time is known" has_line "$T/tcp.log" 'uct=[0-9]+\.[0-9]{3} '
expect_eq "tcp: no upstream_response_time" "$(field urt "$L")" "-"
expect_eq "tcp: handler" "$(field h "$L")" tcp

curl -s -o /dev/null -m 5 --socks5 "bob:pw@127.0.0.1:$P_SOCKS" "http://127.0.0.1:$P_ORIG/len/2"
wait_until 3000 lines_over "$T/socks.log" 0
L=$(last_line "$T/socks.log")
expect_eq "socks5: remote_user" "$(field u "$L")" bob
expect_eq "socks5: upstream_addr" "$(field ua "$L")" "127.0.0.1:$P_ORIG"
check "socks5: upstream_connect_time is known" has_line "$T/socks.log" 'uct=[0-9]+\.[0-9]{3} '

# ---- the default line stays ---------------------------------------------------
hget -o /dev/null "http://127.0.0.1:$P_DEF/len/1"
wait_until 3000 lines_over "$T/def.log" 0
check "a listener without a format writes the default line" has_line "$T/def.log" \
    '^127\.0\.0\.1:[0-9]+ \[[^]]+\] plain http_reverse "GET /len/1 HTTP/1\.1" 200 [0-9]+ [0-9]+ [0-9.]+ 127\.0\.0\.1:[0-9]+ [0-9.]+$'

# ---- -t refuses what cannot render ------------------------------------------
bad() {
    sed "s|^log_format all .*|$1|" "$CONF" >"$T/bad.conf"
    "$GW" -t -c "$T/bad.conf" >"$T/bad.out" 2>&1 && return 1
    grep -qE -- "$2" "$T/bad.out"
}
check "-t: an unknown variable, with FILE:LINE" bad "log_format all 'x \$nope';" \
    'unknown variable "\$nope".*bad\.conf:4|bad\.conf:4.*unknown variable "\$nope"'
check "-t: an unclosed \${...}" bad "log_format all 'x \${status';" 'unknown variable'
check "-t: a bad escape= option" bad "log_format all escape=xml 'x';" 'invalid escape'
check "-t: a duplicate format" bad "log_format json 'x';" 'duplicates format'
check "-t: access_log naming no format" bad "log_format other '\$status';" 'unknown log_format "all"'
check "-t: the dump prints the format back" bash -c \
    "'$GW' -T -c '$CONF' 2>/dev/null | grep -qF 'log_format json escape=json'"
gw_stop QUIT
