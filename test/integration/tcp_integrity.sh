#!/usr/bin/env bash
# tcp handler: 4 MiB of pseudo-random bytes arrive intact in both
# directions (client -> upstream -> client through an echo backend, checked
# byte for byte while sending), over IPv4 and IPv6, and with four such
# sessions at once; the upstream receives exactly what was sent.
. "$(dirname "$0")/lib.sh"

MIB4=4194304
read -r P_GW4 P_GW6 P_CNT_GW P_UP4 P_UP6 P_CNT < <(ports 6)
backend up4 echo "127.0.0.1:$P_UP4"
backend up6 echo "[::1]:$P_UP6"
backend count count "127.0.0.1:$P_CNT"
write_conf <<EOF
$MAIN
listener v4 {
    listen 127.0.0.1:$P_GW4;
    handler tcp;
    proxy_pass 127.0.0.1:$P_UP4;
    access_log $T/access.log;
}
listener v6 {
    listen [::1]:$P_GW6;
    handler tcp;
    proxy_pass [::1]:$P_UP6;
}
listener count {
    listen 127.0.0.1:$P_CNT_GW;
    handler tcp;
    proxy_pass 127.0.0.1:$P_CNT;
}
EOF
gw_start "$P_GW4" "$P_GW6" "$P_CNT_GW"

out=$("$TC" echo "127.0.0.1:$P_GW4" $MIB4 2>&1)
expect_eq "4 MiB echoed intact over IPv4" "echo: $MIB4 bytes ok" "$out"

out=$("$TC" echo "[::1]:$P_GW6" $MIB4 2>&1)
expect_eq "4 MiB echoed intact over IPv6" "echo: $MIB4 bytes ok" "$out"

out=$("$TC" send "127.0.0.1:$P_CNT_GW" $MIB4 2>&1)
expect_eq "the upstream receives exactly the 4 MiB sent" "$MIB4" "$out"

# four sessions at once: no bytes cross between tunnels
for i in 1 2 3 4; do
    spawn "par$i" "$TC" echo "127.0.0.1:$P_GW4" $MIB4
done
good=0
for i in 1 2 3 4; do
    wait_gone "${PID[par$i]}" 20000
    grep -q "echo: $MIB4 bytes ok" "$T/par$i.out" && good=$((good + 1))
done
if [ $good -eq 4 ]; then
    ok "four concurrent 4 MiB sessions intact"
else
    not_ok "four concurrent 4 MiB sessions intact" "$good of 4: $(cat "$T"/par*.out)"
fi

wait_until 2000 lines_over "$T/access.log" 4
check "access log counts 4 MiB each way" \
    test "$(grep -c " 200 $MIB4 $MIB4 " "$T/access.log")" -eq 5
