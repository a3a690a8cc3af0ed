#!/usr/bin/env bash
# connect_timeout: an upstream that never answers the SYN (a listener of
# ours with backlog 0 and a full accept queue, so traffic stays on
# loopback) makes the client be closed after about the timeout, with 504
# in the access log; with a second server the client is served by it.
. "$(dirname "$0")/lib.sh"

read -r P_GW P_GW6 P_FO P_FOE P_PAT P_HOLE P_HOLE6 P_UP P_ECHO < <(ports 9)
spawn hole "$TC" blackhole "127.0.0.1:$P_HOLE"
spawn hole6 "$TC" blackhole "[::1]:$P_HOLE6"
wait_log "$T/hole.out" '^ready' 3000 || bail "blackhole listener" "$(cat "$T/hole.out")"
wait_log "$T/hole6.out" '^ready' 3000 || bail "blackhole listener on [::1]" "$(cat "$T/hole6.out")"
backend up id "127.0.0.1:$P_UP"
backend echo echo "127.0.0.1:$P_ECHO"

# sanity: the blackhole really does not answer
if "$TC" -t 300 connect "127.0.0.1:$P_HOLE" 2>/dev/null; then
    bail "the blackhole drops SYNs" "a connect to it succeeded"
fi

write_conf <<EOF
$MAIN
upstream fo { server 127.0.0.1:$P_HOLE weight=10; server 127.0.0.1:$P_UP; }
upstream foe { server 127.0.0.1:$P_HOLE weight=10; server 127.0.0.1:$P_ECHO; }
listener slow {
    listen 127.0.0.1:$P_GW;
    handler tcp;
    proxy_pass 127.0.0.1:$P_HOLE;
    connect_timeout 500ms;
    access_log $T/access.log;
}
listener slow6 {
    listen [::1]:$P_GW6;
    handler tcp;
    proxy_pass [::1]:$P_HOLE6;
    connect_timeout 500ms;
    access_log $T/access6.log;
}
listener foe {
    listen 127.0.0.1:$P_FOE;
    handler tcp;
    proxy_pass foe;
    connect_timeout 300ms;
}
listener patient {
    listen 127.0.0.1:$P_PAT;
    handler tcp;
    proxy_pass 127.0.0.1:$P_HOLE;
    connect_timeout 1s;
    access_log $T/patient.log;
}
listener fo {
    listen 127.0.0.1:$P_FO;
    handler tcp;
    proxy_pass fo;
    connect_timeout 300ms;
    access_log $T/fo.log;
}
EOF
gw_start "$P_GW" "$P_GW6" "$P_FO" "$P_PAT" "$P_FOE"

# $1 name, $2 address, $3 access log
timeout_case() {
    local t0 out rc ms line
    t0=$(now_ms)
    out=$("$TC" -t 5000 read "$2" 2>/dev/null); rc=$?
    ms=$(($(now_ms) - t0))
    if [ -z "$out" ] && { [ $rc -eq 0 ] || [ $rc -eq 3 ]; } \
        && [ $ms -ge 400 ] && [ $ms -le 2000 ]; then
        ok "$1: client closed without data after connect_timeout"
        echo "# closed after $ms ms"
    else
        not_ok "$1: client closed without data after connect_timeout" \
            "rc $rc after $ms ms (wanted 400..2000), got '$out'"
    fi
    wait_log "$3" . 2000
    line=$(last_line "$3")
    if [[ "$line" =~ \ 504\ 0\ 0\  ]]; then
        ok "$1: access log 504"
    else
        not_ok "$1: access log 504" "line: '$line'"
    fi
}
timeout_case "IPv4" "127.0.0.1:$P_GW" "$T/access.log"
timeout_case "IPv6" "[::1]:$P_GW6" "$T/access6.log"
check "the error log says the upstream timed out" \
    has_line "$T/error.log" "timed out.*listener: slow, upstream: 127\.0\.0\.1:$P_HOLE"

out=$("$TC" -t 5000 read "127.0.0.1:$P_FO" 2>&1)
expect_eq "a timed-out server is passed over for the next one" "up" "$out"

# bytes (and a FIN) the client sends while the connect is pending wait for
# the upstream and are all delivered
out=$("$TC" -t 5000 -s "sent early" read "127.0.0.1:$P_FOE" 2>&1)
expect_eq "data sent during a slow connect arrives after the failover" "sent early" "$out"

# a client that closes while the connect is pending cannot be told from
# one that only half-closed (both send a FIN), and a half-close must be
# passed on: as nginx, the session waits for the upstream, bounded by
# connect_timeout, and then ends with 504
t0=$(now_ms)
"$TC" -t 300 read "127.0.0.1:$P_PAT" >/dev/null 2>&1
if wait_log "$T/patient.log" . 3000; then
    ms=$(($(now_ms) - t0))
    line=$(last_line "$T/patient.log")
    if [ "$ms" -ge 900 ] && [[ "$line" =~ \ 504\  ]]; then
        ok "a client leaving during the connect is held no longer than connect_timeout"
    else
        not_ok "a client leaving during the connect is held no longer than connect_timeout" \
            "logged after $ms ms: '$line'"
    fi
else
    not_ok "a client leaving during the connect is held no longer than connect_timeout" \
        "no access log line within 3 s"
fi
