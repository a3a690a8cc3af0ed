#!/usr/bin/env bash
# server NAME:PORT resolve: in a private network and mount namespace whose
# /etc/hosts the test rewrites, the name is looked up again every
# resolver_cache by every worker: new requests follow the new addresses
# (one moved, one added, one removed); a request in flight to an address
# that left finishes; a name that stops resolving keeps its addresses; a
# server without `resolve` keeps the addresses of the load.
PRIVATE_NET=1
. "$(dirname "$0")/lib.sh"

read -r P_GW P_FIX P < <(ports 3)
hosts() { printf '127.0.0.1 localhost\n%s\n' "$@" >"$T/hosts"; }  # same inode
hosts "127.0.0.2 pool.test" "127.0.0.2 fixed.test"
origin o2 "127.0.0.2:$P"
origin o3 "127.0.0.3:$P"
EL="$T/error.log"
write_conf <<EOF
worker_processes 2;
error_log $EL info;
pid $T/gw.pid;
resolver_cache 1s;
upstream pool { server pool.test:$P resolve max_fails=0; }
upstream fixed { server fixed.test:$P; }
listener web { listen 127.0.0.1:$P_GW; handler http_reverse; proxy_pass pool; }
listener fix { listen 127.0.0.1:$P_FIX; handler http_reverse; proxy_pass fixed; }
EOF
gw_start "$P_GW" "$P_FIX"
check "-T prints resolve" bash -c "'$GW' -T -c '$CONF' 2>/dev/null | grep -q 'server pool.test:$P .*resolve;'"

served_by() {   # served_by PORT N: which origins answered N fresh requests
    for _ in $(seq "$2"); do
        curl -s -m 5 -o /dev/null -D - "http://127.0.0.1:$1/x" | tr -d '\r' \
            | sed -n 's/^X-Origin: //p'
    done | sort | uniq -c | awk '{ printf "%s=%s ", $2, $1 }'
}
# logged by both workers (each resolves on its own)
both_logged() { [ "$(grep -c -- "$1" "$EL")" -ge "$2" ]; }

expect_eq "the name's address at load" "$(served_by "$P_GW" 6)" "o2=6 "
curl -s -m 10 -o "$T/slow.out" -w '%{http_code}' "http://127.0.0.1:$P_GW/delay/2500" >"$T/slow.code" &
slow=$!
track "$slow"
wait_until 3000 has_line "$T/o2.out" '"GET /delay/2500'

hosts "127.0.0.3 pool.test" "127.0.0.3 fixed.test"
check "moved: every worker learns the new address" \
    wait_until 5000 both_logged "upstream \"pool\": server pool.test:$P has address 127\.0\.0\.3:$P" 2
check "... and drops the old one" \
    has_line "$EL" "\[notice\] .*upstream \"pool\": server pool.test:$P no longer has address 127\.0\.0\.2:$P"
expect_eq "new requests go to the new address" "$(served_by "$P_GW" 6)" "o3=6 "
wait_until 5000 dead "$slow"
expect_eq "a request in flight to the old address finishes" "$(cat "$T/slow.code")" 200
check "... from the old address" has_line "$T/o2.out" '"GET /delay/2500'
expect_eq "a server without resolve keeps its address" "$(served_by "$P_FIX" 4)" "o2=4 "

hosts "127.0.0.2 pool.test" "127.0.0.3 pool.test"
check "added: both addresses" \
    wait_until 5000 both_logged "server pool.test:$P has address 127\.0\.0\.2:$P" 2
both() { [[ "$(served_by "$P_GW" 10)" =~ ^o2=[0-9]+\ o3=[0-9]+\ $ ]]; }
check "requests reach both" both

hosts "127.0.0.9 other.test"
check "a name that stops resolving is a warning" \
    wait_until 5000 both_logged "cannot resolve server pool.test:$P .*keeping its addresses" 2
check "... and its addresses stay" both

hosts "127.0.0.3 pool.test"
check "removed: one address leaves" \
    wait_until 5000 both_logged "no longer has address 127\.0\.0\.2:$P" 4
expect_eq "only the remaining one serves" "$(served_by "$P_GW" 6)" "o3=6 "
gw_stop QUIT
