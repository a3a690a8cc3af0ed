#!/usr/bin/env bash
# udp balancing, one worker (one balancer state): each session is bound to
# the server the balancer picks for it; round_robin alternates over new
# clients (and follows weights), while all datagrams of one session go to
# the same server; ip_hash sends every 127.0.0.1 client to one server.
. "$(dirname "$0")/lib.sh"

read -r P_RR P_W P_IPH P_A P_B < <(udp_ports 5)
udp_backend a -m id "127.0.0.1:$P_A"
udp_backend b -m id "127.0.0.1:$P_B"
write_conf <<EOF
$MAIN
upstream rr { server 127.0.0.1:$P_A; server 127.0.0.1:$P_B; }
upstream w31 { server 127.0.0.1:$P_A weight=3; server 127.0.0.1:$P_B; balance round_robin; }
upstream iph { server 127.0.0.1:$P_A; server 127.0.0.1:$P_B; balance ip_hash; }
listener rr { listen 127.0.0.1:$P_RR; handler udp; proxy_pass rr; }
listener w { listen 127.0.0.1:$P_W; handler udp; proxy_pass w31; }
listener iph { listen 127.0.0.1:$P_IPH; handler udp; proxy_pass iph; }
EOF
gw_start_udp "127.0.0.1:$P_RR" "127.0.0.1:$P_W" "127.0.0.1:$P_IPH"

# sessions PORT N: N clients (sockets) one after the other; sets $res to
# "a=NA b=NB sockets: OK/N ok" and $seq to the servers in order
sessions() {
    local out
    out=$("$UC" sockets "127.0.0.1:$1" "$2" x 2>&1)
    seq=$(grep -x '[ab]' <<<"$out" | tr -d '\n')
    res="a=$(grep -cx a <<<"$out") b=$(grep -cx b <<<"$out") $(tail -n 1 <<<"$out")"
}

sessions "$P_RR" 10
expect_eq "round_robin: 10 clients, 5 sessions on each server" \
    "a=5 b=5 sockets: 10/10 ok" "$res"
if [[ "$seq" =~ ^(ab)+$|^(ba)+$ ]]; then
    ok "round_robin: new clients alternate ($seq)"
else
    not_ok "round_robin: new clients alternate" "sequence: $seq"
fi
before_a=$(udp_sources a) before_b=$(udp_sources b)
out=$("$UC" send "127.0.0.1:$P_RR" 1 2 3 4 5 6 2>&1)
if [[ "$(echo $out)" =~ ^(a a a a a a|b b b b b b)$ ]]; then
    ok "round_robin: one client's 6 datagrams all go to its session's server"
else
    not_ok "round_robin: one client's 6 datagrams all go to its session's server" "replies: $(echo $out)"
fi
expect_eq "... through one upstream socket" 1 \
    $(($(udp_sources a) + $(udp_sources b) - before_a - before_b))

sessions "$P_W" 8
expect_eq "round_robin weight=3 and 1: 8 clients, 6 and 2" \
    "a=6 b=2 sockets: 8/8 ok" "$res"
if [[ "$seq" != *bb* ]] && [[ "$seq" != *aaaa* ]]; then
    ok "round_robin weight=3 and 1: smooth ($seq)"
else
    not_ok "round_robin weight=3 and 1: smooth" "sequence: $seq"
fi

sessions "$P_IPH" 6
out=$res
if [ "$out" = "a=6 b=0 sockets: 6/6 ok" ] || [ "$out" = "a=0 b=6 sockets: 6/6 ok" ]; then
    ok "ip_hash: 6 clients of 127.0.0.1, all on one server"
else
    not_ok "ip_hash: 6 clients of 127.0.0.1, all on one server" "$out"
fi
