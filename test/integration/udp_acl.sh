#!/usr/bin/env bash
# udp allow/deny (first match wins): a denied client's datagrams are
# dropped without a reply, nothing reaches the server, and the drops are
# counted in the error log (info); "allow 127.0.0.1; deny all;" serves
# 127.0.0.1 and drops 127.0.0.2; IPv6 clients match IPv6 rules.
. "$(dirname "$0")/lib.sh"

read -r P_DENY P_ALLOW P_V6 P_UPD P_UPA P_UP6 < <(udp_ports 6)
udp_backend upd -m echo "127.0.0.1:$P_UPD"
udp_backend upa -m echo "127.0.0.1:$P_UPA"
udp_backend up6 -m echo "[::1]:$P_UP6"
write_conf <<EOF
$MAIN
listener deny {
    listen *:$P_DENY;
    handler udp;
    proxy_pass 127.0.0.1:$P_UPD;
    deny 127.0.0.1;
}
listener allow {
    listen *:$P_ALLOW;
    handler udp;
    proxy_pass 127.0.0.1:$P_UPA;
    allow 127.0.0.1;
    deny all;
}
listener v6 {
    listen [::1]:$P_V6;
    handler udp;
    proxy_pass [::1]:$P_UP6;
    allow 127.0.0.0/8;
    deny ::1;
}
EOF
# readiness through the listeners that serve someone
gw_start
wait_udp "127.0.0.1:$P_ALLOW" || bail "gateway answers on $P_ALLOW"
from2_answers() { [ -n "$("$UC" -b 127.0.0.2 -t 200 send "127.0.0.1:$P_DENY" probe 2>/dev/null)" ]; }
wait_until 3000 from2_answers \
    || bail "gateway answers 127.0.0.2 on $P_DENY (not denied there)"
n_upd=$(udp_stats "127.0.0.1:$P_UPD")
n_upa=$(udp_stats "127.0.0.1:$P_UPA")

out=$("$UC" silent "127.0.0.1:$P_DENY" 300 a b c 2>&1)
expect_eq "deny 127.0.0.1: no reply to 3 datagrams" "no reply" "$out"
expect_eq "deny 127.0.0.1: nothing reached the server" "$n_upd" "$(udp_stats "127.0.0.1:$P_UPD")"
check "deny: the drop is counted in the error log (info)" \
    wait_log "$T/error.log" '\[info\] .*udp: dropped [0-9]+ datagrams denied by rule' 2000
out=$("$UC" -b 127.0.0.2 send "127.0.0.1:$P_DENY" other 2>&1)
expect_eq "deny 127.0.0.1: a client from 127.0.0.2 is served" "other" "$out"

out=$("$UC" send "127.0.0.1:$P_ALLOW" let-in 2>&1)
expect_eq "allow 127.0.0.1; deny all: 127.0.0.1 is served" "let-in" "$out"
out=$("$UC" -b 127.0.0.2 silent "127.0.0.1:$P_ALLOW" 300 x y 2>&1)
expect_eq "allow 127.0.0.1; deny all: 127.0.0.2 gets no reply" "no reply" "$out"
got=$(udp_stats "127.0.0.1:$P_UPA")
expect_eq "allow 127.0.0.1; deny all: only 127.0.0.1's datagram reached the server" \
    "dgrams $(( $(cut -d' ' -f2 <<<"$n_upa") + 1 ))" "$(cut -d' ' -f1-2 <<<"$got")"

out=$("$UC" silent "[::1]:$P_V6" 300 v6 2>&1)
expect_eq "deny ::1 on an IPv6 listener: no reply" "no reply" "$out"
expect_eq "deny ::1: nothing reached the server" "dgrams 0" \
    "$(cut -d' ' -f1-2 <<<"$(udp_stats "[::1]:$P_UP6")")"

# drops of denied clients do not hurt the others or the worker
w=$(gw_pid_worker)
"$UC" burst "127.0.0.1:$P_DENY" 50 500 100 >/dev/null 2>&1
out=$("$UC" send "127.0.0.1:$P_ALLOW" still 2>&1)
expect_eq "after 500 denied datagrams from 50 ports: the allowed client is served" "still" "$out"
expect_eq "... by the same worker" "$w" "$(gw_pid_worker)"
