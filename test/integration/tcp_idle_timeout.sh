#!/usr/bin/env bash
# idle_timeout: a tunnel with no traffic either way is closed after about
# the timeout (not before); a tunnel with traffic more often than the
# timeout stays open, even when the traffic goes one way only.
. "$(dirname "$0")/lib.sh"

read -r P_GW P_CNT_GW P_UP P_CNT < <(ports 4)
backend echo echo "127.0.0.1:$P_UP"
backend count count "127.0.0.1:$P_CNT"
write_conf <<EOF
$MAIN
listener idle {
    listen 127.0.0.1:$P_GW;
    handler tcp;
    proxy_pass 127.0.0.1:$P_UP;
    idle_timeout 1s;
    access_log $T/access.log;
}
listener oneway {
    listen 127.0.0.1:$P_CNT_GW;
    handler tcp;
    proxy_pass 127.0.0.1:$P_CNT;
    idle_timeout 1s;
}
EOF
gw_start "$P_GW" "$P_CNT_GW"

# the active ones run meanwhile: 2.5 s, a message each 300 ms
spawn active "$TC" -t 3000 pingpong "127.0.0.1:$P_GW" 300 2500
spawn oneway "$TC" -t 3000 trickle "127.0.0.1:$P_CNT_GW" 300 2500

out=$("$TC" -t 3000 idle "127.0.0.1:$P_GW" 4000 2>&1)
ms=${out#closed }
if [[ "$out" =~ ^closed\ [0-9]+$ ]] && [ "$ms" -ge 900 ] && [ "$ms" -le 1800 ]; then
    ok "an idle tunnel is closed after idle_timeout 1s"
    echo "# closed after $ms ms"
else
    not_ok "an idle tunnel is closed after idle_timeout 1s" "client saw: $out (wanted closed after 900..1800 ms)"
fi

# after 1.2 s of traffic, then silence: closed about 1 s after the last
# traffic (the timer that traffic pushed later is not lost or stale)
out=$("$TC" -t 3000 -n 5 idle "127.0.0.1:$P_GW" 4000 2>&1)
ms=${out#closed }
if [[ "$out" =~ ^closed\ [0-9]+$ ]] && [ "$ms" -ge 900 ] && [ "$ms" -le 1800 ]; then
    ok "after traffic stops, closed idle_timeout after the last of it"
    echo "# closed $ms ms after the last traffic"
else
    not_ok "after traffic stops, closed idle_timeout after the last of it" \
        "client saw: $out (wanted closed after 900..1800 ms)"
fi

wait_gone "${PID[active]}" 6000
check "a tunnel with traffic every 300 ms outlives idle_timeout (2.5 s)" \
    grep -q "^pingpong: [0-9]* round trips ok" "$T/active.out"
wait_gone "${PID[oneway]}" 6000
# about 9 bytes, counted by the upstream after our FIN
check "traffic one way only also keeps the tunnel open" \
    grep -qE "^[6-9]|^1[0-9]" "$T/oneway.out"
[ -s "$T/oneway.out" ] && echo "# one-way session: upstream counted $(head -c 40 "$T/oneway.out")"

# an idle session's access log line is still written, with its duration
line=$(grep -E ' [0-9]{3} 1 1 ' "$T/access.log")  # the first idle session
secs=$(awk '{ print $10 }' <<<"$line")
if [ "$(grep -c . <<<"$line")" -eq 1 ] && [[ "$secs" =~ ^[0-9]+\.[0-9]{3}$ ]] \
    && [ $((10#${secs/./})) -ge 900 ] && [ $((10#${secs/./})) -le 2500 ]; then
    ok "the timed-out session is logged with its duration"
else
    not_ok "the timed-out session is logged with its duration" "line: '$line'"
fi
