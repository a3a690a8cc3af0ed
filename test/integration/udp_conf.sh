#!/usr/bin/env bash
# udp listeners in the configuration: -t accepts one and refuses the
# mistakes with FILE:LINE (no proxy_pass, udp_responses outside udp, the
# same udp address twice); a udp and a tcp listener may share an address
# and port, each serving its own protocol; one gateway runs both.
. "$(dirname "$0")/lib.sh"

read -r P_SHARED P_UP P_TUP < <(udp_ports 3)

# t_rc FILE: -t's exit status and stderr in $err
t_rc() { err=$("$GW" -t -c "$1" 2>&1 >/dev/null); }

write_conf "$T/good.conf" <<EOF
$MAIN
listener u {
    listen 127.0.0.1:$P_SHARED;
    listen [::1]:$P_SHARED;
    handler udp;
    proxy_pass 127.0.0.1:$P_UP;
    idle_timeout 30s;
    udp_responses 1;
    allow 127.0.0.0/8;
    deny all;
}
EOF
t_rc "$T/good.conf"
check "-t accepts a udp listener with idle_timeout, udp_responses, allow/deny" \
    test $? -eq 0

# bad NAME LINE REGEX < CONF
n=0
bad() {
    local f
    n=$((n + 1))
    f="$T/bad$n.conf"
    cat >"$f"
    if t_rc "$f"; then
        not_ok "$1" "-t accepted it"
    elif grep -qE -- "\[emerg\] .*$3.* in ${f//./\\.}:$2\$" <<<"$err"; then
        ok "$1"
    else
        not_ok "$1" "stderr: $err (wanted /$3/ at line $2)"
    fi
}
bad "udp without proxy_pass: refused" '[0-9]+' 'proxy_pass' <<EOF
listener u {
    listen 127.0.0.1:$P_SHARED;
    handler udp;
}
EOF
bad "udp_responses in a tcp listener: refused at its line" 5 'udp_responses' <<EOF
listener t {
    listen 127.0.0.1:$P_SHARED;
    handler tcp;
    proxy_pass 127.0.0.1:$P_UP;
    udp_responses 1;
}
EOF
bad "udp_responses with a bad value: refused at its line" 5 'udp_responses|invalid|value' <<EOF
listener u {
    listen 127.0.0.1:$P_SHARED;
    handler udp;
    proxy_pass 127.0.0.1:$P_UP;
    udp_responses many;
}
EOF
bad "the same udp address in two listeners: refused" '[0-9]+' 'duplicate|already|twice' <<EOF
listener u1 { listen 127.0.0.1:$P_SHARED; handler udp; proxy_pass 127.0.0.1:$P_UP; }
listener u2 { listen 127.0.0.1:$P_SHARED; handler udp; proxy_pass 127.0.0.1:$P_UP; }
EOF

# a tcp and a udp listener on one address and port
udp_backend uup -m id "127.0.0.1:$P_UP"
backend tup id "127.0.0.1:$P_TUP"
write_conf <<EOF
$MAIN
listener u { listen 127.0.0.1:$P_SHARED; handler udp; proxy_pass 127.0.0.1:$P_UP; }
listener t { listen 127.0.0.1:$P_SHARED; handler tcp; proxy_pass 127.0.0.1:$P_TUP; }
EOF
t_rc "$CONF"
check "-t accepts a udp and a tcp listener on the same address" test $? -eq 0
gw_start "$P_SHARED"
out=$("$UC" send "127.0.0.1:$P_SHARED" who 2>&1)
expect_eq "same address and port: udp goes to the udp listener" "uup" "$out"
out=$("$TC" -t 2000 read "127.0.0.1:$P_SHARED" 2>&1)
expect_eq "same address and port: tcp goes to the tcp listener" "tup" "$out"
