#!/usr/bin/env bash
# Balancers over three backends, one worker (one balancer state):
# round_robin follows the weights exactly and smoothly; least_conn avoids
# a busy server; random uses every server; ip_hash and consistent_hash pick
# one live server and always the same one for 127.0.0.1.
. "$(dirname "$0")/lib.sh"

read -r P_RR1 P_RR2 P_LC P_RND P_IPH P_CH P_A P_B P_C P_E1 P_E2 P_E3 < <(ports 12)
for n in a b c; do
    eval "port=\$P_${n^^}"
    backend "$n" id "127.0.0.1:$port"
done
backend e1 echo "127.0.0.1:$P_E1"
backend e2 echo "127.0.0.1:$P_E2"
backend e3 echo "127.0.0.1:$P_E3"

# $1 name, $2 port, $3 upstream
lsn() {
    printf 'listener %s { listen 127.0.0.1:%s; handler tcp; proxy_pass %s; access_log %s; }\n' \
        "$1" "$2" "$3" "$T/$1.log"
}
abc() {
    echo "server 127.0.0.1:$P_A $1; server 127.0.0.1:$P_B $2; server 127.0.0.1:$P_C $3;"
}
write_conf <<EOF
$MAIN
upstream rr511 { $(abc weight=5 weight=1 weight=1) balance round_robin; }
upstream rr321 { $(abc weight=3 weight=2 weight=1) }
upstream lc { server 127.0.0.1:$P_E1; server 127.0.0.1:$P_E2; server 127.0.0.1:$P_E3; balance least_conn; }
upstream rnd { $(abc "" "" "") balance random; }
upstream iph { $(abc "" "" "") balance ip_hash; }
upstream ch { $(abc "" "" "") balance consistent_hash; }
$(lsn rr1 "$P_RR1" rr511)
$(lsn rr2 "$P_RR2" rr321)
$(lsn lc "$P_LC" lc)
$(lsn rnd "$P_RND" rnd)
$(lsn iph "$P_IPH" iph)
$(lsn ch "$P_CH" ch)
EOF
gw_start "$P_RR1" "$P_RR2" "$P_LC" "$P_RND" "$P_IPH" "$P_CH"

# counts PORT N: "a=NA b=NB c=NC other=NO" over N connections
counts() {
    local out na nb nc total
    out=$("$TC" -t 3000 -n "$2" read "127.0.0.1:$1" 2>&1)
    na=$(grep -cx a <<<"$out")
    nb=$(grep -cx b <<<"$out")
    nc=$(grep -cx c <<<"$out")
    total=$(wc -l <<<"$out")
    echo "a=$na b=$nb c=$nc other=$((total - na - nb - nc))"
}

expect_eq "round_robin 5:1:1 over 70 connections" \
    "a=50 b=10 c=10 other=0" "$(counts "$P_RR1" 70)"
# default balance is round_robin
expect_eq "round_robin (default) 3:2:1 over 60 connections" \
    "a=30 b=20 c=10 other=0" "$(counts "$P_RR2" 60)"

# smooth: the 5:1:1 cycle interleaves (nginx gives a a b a c a a), never
# a a a a a b c
seq7=$("$TC" -t 3000 -n 7 read "127.0.0.1:$P_RR1" 2>&1 | tr -d '\n')
if [[ "$seq7" =~ ^[abc]{7}$ ]] && [[ "$seq7" != *aaa* ]] \
    && [ "$(tr -cd a <<<"$seq7" | wc -c)" -eq 5 ]; then
    ok "round_robin is smooth"
    echo "# order over 7 connections: $seq7"
else
    not_ok "round_robin is smooth" "order over 7 connections: $seq7"
fi

# least_conn: while one session is open on some server, six short ones
# go to the two idle servers only (round robin would use all three)
spawn long "$TC" -t 5000 pingpong "127.0.0.1:$P_LC" 50 600
wait_log "$T/long.out" '^ready' 3000 || not_ok "least_conn: long session starts"
for i in 1 2 3 4 5 6; do
    "$TC" -t 3000 echo "127.0.0.1:$P_LC" 1000 >/dev/null 2>&1
done
wait_gone "${PID[long]}" 5000
wait_until 2000 lines_over "$T/lc.log" 6
# fields: client [time zone] listener tcp "target" status sent received secs upstream
busy=$(awk '$7 == 200 && $8 != 1000 { print $11 }' "$T/lc.log")
short=$(awk '$7 == 200 && $8 == 1000 { print $11 }' "$T/lc.log" | sort -u | tr '\n' ' ')
if [ -n "$busy" ] && [ "$(wc -w <<<"$short")" -eq 2 ] && [[ " $short" != *" $busy "* ]]; then
    ok "least_conn avoids the busy server"
else
    not_ok "least_conn avoids the busy server" "busy: '$busy', short sessions went to: $short"
fi

r=$(counts "$P_RND" 60)
if [[ "$r" =~ ^a=[1-9][0-9]*\ b=[1-9][0-9]*\ c=[1-9][0-9]*\ other=0$ ]]; then
    ok "random uses every server, nothing else"
    echo "# random over 60: $r"
else
    not_ok "random uses every server, nothing else" "$r over 60"
fi

for h in iph:ip_hash ch:consistent_hash; do
    port_var=P_${h%%:*}
    port_var=${port_var^^}
    out=$("$TC" -t 3000 -n 20 read "127.0.0.1:${!port_var}" 2>&1 | sort | uniq -c)
    if [ "$(wc -l <<<"$out")" -eq 1 ] && [[ "$out" =~ ^\ *20\ [abc]$ ]]; then
        ok "${h#*:}: 20 connections from 127.0.0.1 all to one live server"
    else
        not_ok "${h#*:}: 20 connections from 127.0.0.1 all to one live server" "$out"
    fi
done
