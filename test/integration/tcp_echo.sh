#!/usr/bin/env bash
# tcp handler: bytes go to the upstream and back, over IPv4 and IPv6, to an
# upstream block or a literal address; each session leaves one access log
# line with status 200, the byte counts and the upstream's address.
# Upstream servers may be names (resolved at load) and of the other family.
. "$(dirname "$0")/lib.sh"

read -r P_GW4 P_GW6 P_LIT P_NAME P_MIX P_UP4 P_UP6 < <(ports 7)
backend up4 echo "127.0.0.1:$P_UP4"
backend up6 echo "[::1]:$P_UP6"
write_conf <<EOF
$MAIN
upstream v4 { server 127.0.0.1:$P_UP4; }
upstream v6 { server [::1]:$P_UP6; }
listener echo4 {
    listen 127.0.0.1:$P_GW4;
    handler tcp;
    proxy_pass v4;
    access_log $T/access4.log;
}
listener echo6 {
    listen [::1]:$P_GW6;
    handler tcp;
    proxy_pass v6;
    access_log $T/access6.log;
}
upstream named { server localhost:$P_UP4; }
listener named {
    listen 127.0.0.1:$P_NAME;
    handler tcp;
    proxy_pass named;
}
listener mixed {
    listen 127.0.0.1:$P_MIX;
    handler tcp;
    proxy_pass [::1]:$P_UP6;
}
listener literal {
    listen 127.0.0.1:$P_LIT;
    handler tcp;
    proxy_pass 127.0.0.1:$P_UP4;
    access_log $T/access_lit.log;
}
EOF
gw_start "$P_GW4" "$P_GW6" "$P_LIT" "$P_NAME" "$P_MIX"

# $1 listener address, $2 access log, $3 listener name, $4 upstream
# (pattern), $5 client address (pattern), $6 proxy_pass text (pattern)
echo_case() {
    local out line re
    out=$("$TC" -s "hello gateway" read "$1" 2>&1)
    if [ "$out" = "hello gateway" ]; then
        ok "echo through $3"
    else
        not_ok "echo through $3" "got: $out"
    fi
    wait_log "$2" . 2000
    line=$(last_line "$2")
    re="^$5 \[[^]]+\] $3 tcp \"$6\" 200 13 13 [0-9]+\.[0-9]{3} $4\$"
    if [[ "$line" =~ $re ]]; then
        ok "access log line for $3: status 200, 13 bytes each way, upstream address"
    else
        not_ok "access log line for $3: status 200, 13 bytes each way, upstream address" \
            "line: '$line', wanted /$re/"
    fi
}

echo_case "127.0.0.1:$P_GW4" "$T/access4.log" echo4 \
    "127\.0\.0\.1:$P_UP4" "127\.0\.0\.1(:[0-9]+)?" v4
echo_case "[::1]:$P_GW6" "$T/access6.log" echo6 \
    "\[::1\]:$P_UP6" "\[?::1\]?(:[0-9]+)?" v6
echo_case "127.0.0.1:$P_LIT" "$T/access_lit.log" literal \
    "127\.0\.0\.1:$P_UP4" "127\.0\.0\.1(:[0-9]+)?" "127\.0\.0\.1:$P_UP4"

out=$("$TC" -t 3000 -s "by name" read "127.0.0.1:$P_NAME" 2>&1)
expect_eq "an upstream server given by name (localhost)" "by name" "$out"
out=$("$TC" -t 3000 -s "v4 to v6" read "127.0.0.1:$P_MIX" 2>&1)
expect_eq "an IPv4 listener to an IPv6 upstream" "v4 to v6" "$out"

# one line per session, not per read
for i in 1 2 3; do "$TC" echo "127.0.0.1:$P_GW4" 100000 >/dev/null 2>&1; done
wait_until 2000 lines_over "$T/access4.log" 3
n=$(count_lines "$T/access4.log")
n100k=$(grep -c ' 200 100000 100000 ' "$T/access4.log")
if [ "$n" -eq 4 ] && [ "$n100k" -eq 3 ]; then
    ok "one access log line per session with the byte counts"
else
    not_ok "one access log line per session with the byte counts" \
        "$n lines, $n100k with 100000 bytes each way"
fi

