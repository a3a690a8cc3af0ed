#!/usr/bin/env bash
# udp idle_timeout: a session with no traffic either way ends after about
# the timeout (its access log line comes then, not before); a session with
# traffic more often than the timeout stays one session (one upstream
# socket, one line); traffic from the server alone keeps it too; after the
# end, the same client address opens a new session.
. "$(dirname "$0")/lib.sh"

read -r P_GW P_SLOW P_UP P_UPD P_CLI < <(udp_ports 5)
udp_backend up -m echo "127.0.0.1:$P_UP"
# replies 3 times, 700 ms late: only the server talks for 1.4 s
udp_backend slow -m echo -r 3 -d 700 "127.0.0.1:$P_UPD"
write_conf <<EOF
$MAIN
listener idle {
    listen 127.0.0.1:$P_GW;
    handler udp;
    proxy_pass 127.0.0.1:$P_UP;
    idle_timeout 1s;
    access_log $T/access.log;
}
listener slow {
    listen 127.0.0.1:$P_SLOW;
    handler udp;
    proxy_pass 127.0.0.1:$P_UPD;
    idle_timeout 1s;
    access_log $T/slow.log;
}
EOF
gw_start_udp "127.0.0.1:$P_GW"
base=$(udp_sources up)

# replies alone keep a session: 3 replies 0.7 s late, at 0.7 s each
# (the server's timer queue sends them together), then 1 s idle
spawn late "$UC" -t 2000 collect "127.0.0.1:$P_SLOW" 1500 late
# the active one runs meanwhile: 2.5 s, a datagram every 300 ms
spawn active "$UC" -t 1000 hold "127.0.0.1:$P_GW" 300 2500 ping
wait_log "$T/active.out" '^ready' 2000 || not_ok "the active client starts" "$(cat "$T/active.out")"

# an idle session: one datagram, then silence
out=$("$UC" -p "$P_CLI" send "127.0.0.1:$P_GW" once 2>&1)
t0=$(now_ms)
expect_eq "the idle client is answered" "once" "$out"
wait_log "$T/access.log" "^127\.0\.0\.1:$P_CLI " 3000
ms=$(($(now_ms) - t0))
if [ "$ms" -ge 900 ] && [ "$ms" -le 1800 ]; then
    ok "an idle session ends after idle_timeout 1s ($ms ms)"
else
    not_ok "an idle session ends after idle_timeout 1s" "its access log line came after $ms ms (wanted 900..1800)"
fi
line=$(grep "^127\.0\.0\.1:$P_CLI " "$T/access.log")
re=" idle udp \"127\.0\.0\.1:$P_UP\" 200 4 4 1\.[0-9]{3} 127\.0\.0\.1:$P_UP 1 1\$"
[[ "$line" =~ $re ]] && ok "its access log line: 200, 1 datagram each way, about 1 s" \
    || not_ok "its access log line: 200, 1 datagram each way, about 1 s" "line: $line"

# the same address after the end: a new session, a new upstream socket
n_before=$(udp_sources up)
out=$("$UC" -p "$P_CLI" send "127.0.0.1:$P_GW" again 2>&1)
expect_eq "after its end, the same client address is answered" "again" "$out"
expect_eq "... through a new session (a new upstream socket)" \
    $((n_before + 1)) "$(udp_sources up)"

# the active session: all answered, one upstream socket, one line
if wait_gone "${PID[active]}" 4000; then
    out=$(tail -n 1 "$T/active.out")
    if [[ "$out" =~ ^hold:\ ([0-9]+)/([0-9]+)\ ok$ ]] && [ "${BASH_REMATCH[1]}" = "${BASH_REMATCH[2]}" ]; then
        ok "a session with traffic every 300 ms lives through 2.5 s ($out)"
    else
        not_ok "a session with traffic every 300 ms lives through 2.5 s" "$(cat "$T/active.out")"
    fi
    n=${BASH_REMATCH[1]:-0}
else
    not_ok "the active client ends" "still running"
    n=0
fi
aport=$(sed -n 's/^ready //p' "$T/active.out")
wait_log "$T/access.log" "^127\.0\.0\.1:$aport " 3000
lines=$(grep -c "^127\.0\.0\.1:$aport " "$T/access.log")
line=$(grep "^127\.0\.0\.1:$aport " "$T/access.log")
re=" 200 $((n * 4)) $((n * 4)) [3-4]\.[0-9]{3} 127\.0\.0\.1:$P_UP $n $n\$"
if [ "$lines" -eq 1 ] && [[ "$line" =~ $re ]]; then
    ok "... one session: one access log line with its $n datagrams, about 3.5 s"
else
    not_ok "... one session: one access log line with its $n datagrams, about 3.5 s" \
        "$lines line(s): $line"
fi
# the idle client twice, the active one
expect_eq "... and one upstream socket" $((base + 3)) "$(udp_sources up)"

# replies alone keep a session (started above)
wait_gone "${PID[late]}" 3000
expect_eq "late replies reach the client (sent 700 ms after the datagram)" "late
late
late
replies 3" "$(cat "$T/late.out")"
wait_log "$T/slow.log" . 2000
line=$(last_line "$T/slow.log")
re=" 200 12 4 1\.[6-9][0-9]{2} 127\.0\.0\.1:$P_UPD 3 1\$"
[[ "$line" =~ $re ]] && ok "a reply is traffic: the idle time counts from the last reply (1.7 s)" \
    || not_ok "a reply is traffic: the idle time counts from the last reply (1.7 s)" "line: $line"
