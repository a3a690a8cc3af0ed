#!/usr/bin/env bash
# udp datagram sizes: a datagram passes intact both ways, never split or
# merged, from 0 bytes to 65,507 (the IPv4 maximum; 65,527 over IPv6);
# 100 datagrams of mixed sizes in a row, several in flight, come back each
# whole and in order; the access log counts every byte and datagram.
. "$(dirname "$0")/lib.sh"

read -r P_GW P_GW6 P_UP P_UP6 < <(udp_ports 4)
udp_backend up -m echo "127.0.0.1:$P_UP"
udp_backend up6 -m echo "[::1]:$P_UP6"
write_conf <<EOF
$MAIN
listener sizes {
    listen 127.0.0.1:$P_GW;
    handler udp;
    proxy_pass 127.0.0.1:$P_UP;
    idle_timeout 300ms;
    access_log $T/access.log;
}
listener sizes6 {
    listen [::1]:$P_GW6;
    handler udp;
    proxy_pass [::1]:$P_UP6;
}
EOF
gw_start_udp "127.0.0.1:$P_GW" "[::1]:$P_GW6"
wait_log "$T/access.log" . 3000 || bail "the probe session ends" "no access log line"

# $1 name, $2.. udp_client arguments: expects "echo: N ok"
echo_ok() {
    local name=$1 out
    shift
    out=$("$UC" -t 3000 "$@" 2>&1)
    if [[ "$out" =~ ^echo:\ [0-9]+\ ok$ ]]; then
        ok "$name"
    else
        not_ok "$name" "$out"
    fi
}

echo_ok "a 1,400-byte datagram comes back intact" echo "127.0.0.1:$P_GW" 1400
echo_ok "a 65,507-byte datagram comes back intact" echo "127.0.0.1:$P_GW" 65507
echo_ok "zero-length and one-byte datagrams come back as such" \
    echo "127.0.0.1:$P_GW" 0 1 0 1
echo_ok "over IPv6: 1,400, 65,507 and 65,527 bytes intact" \
    echo "[::1]:$P_GW6" 1400 65507 65527

# 100 mixed sizes, 8 in flight: each reply must be the next datagram
# whole (a merge or a split changes a length; a reorder, the pattern)
RANDOM=7
sizes=()
for i in $(seq 1 100); do
    case $((i % 10)) in
        0) sizes+=(0) ;;
        1) sizes+=(1400) ;;
        *) sizes+=($((RANDOM % 16000))) ;;
    esac
done
total=0
for s in "${sizes[@]}"; do total=$((total + s)); done
echo_ok "100 datagrams of mixed sizes, 8 in flight: none merged, split or reordered" \
    -w 8 echo "127.0.0.1:$P_GW" "${sizes[@]}"
echo_ok "big datagrams in a row, 2 in flight" -w 2 echo "127.0.0.1:$P_GW" 65507x10

has_100() { grep -q ' 100 100$' "$T/access.log"; }
wait_until 2000 has_100
line=$(grep ' 100 100$' "$T/access.log")
re=" udp \"127\.0\.0\.1:$P_UP\" 200 $total $total [0-9.]+ 127\.0\.0\.1:$P_UP 100 100\$"
if [[ "$line" =~ $re ]]; then
    ok "the access log counts the $total bytes and 100 datagrams each way"
else
    not_ok "the access log counts the $total bytes and 100 datagrams each way" "line: $line"
fi
stats=$(udp_stats "127.0.0.1:$P_UP")
# the probe's 5 bytes, then the IPv4 cases
want=$((5 + 1400 + 65507 + 2 + total + 655070))
expect_eq "the backend got every datagram whole (count and bytes)" \
    "dgrams 117 bytes $want" "${stats% sources*}"
