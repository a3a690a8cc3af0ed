#!/usr/bin/env bash
# Reload (HUP and -s reload): new connections follow the new configuration
# while a tunnel opened before keeps working until it ends, and then the
# old worker exits; a broken configuration keeps the old one running and
# logs why with FILE:LINE; listen addresses can be added and removed; no
# client is refused or reset by a reload.
. "$(dirname "$0")/lib.sh"

read -r P_WHO P_TUN P_NEW P_A P_B P_E1 P_E2 < <(ports 7)
backend a id "127.0.0.1:$P_A"
backend b id "127.0.0.1:$P_B"
backend e1 echo "127.0.0.1:$P_E1"
backend e2 echo "127.0.0.1:$P_E2"

# conf ID_PORT ECHO_PORT [FLAGS]: FLAGS has "new" to add the listener on
# P_NEW, "nowho" to leave out the one on P_WHO
conf() {
    local who="listener who { listen 127.0.0.1:$P_WHO; handler tcp; proxy_pass ids; }"
    local new=""
    [[ " ${3:-} " == *" new "* ]] && new="listener new { listen 127.0.0.1:$P_NEW; handler tcp; proxy_pass ids; }"
    [[ " ${3:-} " == *" nowho "* ]] && who=""
    write_conf <<EOF
$MAIN
${EXTRA:-}
upstream ids { server 127.0.0.1:$1; }
upstream echo { server 127.0.0.1:$2; }
$who
$new
listener tun {
    listen 127.0.0.1:$P_TUN;
    handler tcp;
    proxy_pass echo;
    access_log $T/tun.log;
}
EOF
}

who() { "$TC" -t 2000 read "127.0.0.1:${1:-$P_WHO}" 2>/dev/null; }
is_who() { [ "$(who "${2:-}")" = "$1" ]; }
n_reloads() { grep -c 'reloaded' "$T/error.log"; }
reloads_are() { [ "$(n_reloads)" -eq "$1" ]; }

conf "$P_A" "$P_E1"
gw_start "$P_WHO" "$P_TUN"
expect_eq "before the reload: upstream a" "a" "$(who)"
w1=$(workers_of "$GW_PID")

# a session opened before the reload, running across it
spawn tunnel "$TC" -t 3000 pingpong "127.0.0.1:$P_TUN" 100 2500
wait_log "$T/tunnel.out" '^ready' 3000 || not_ok "the tunnel opens" "$(cat "$T/tunnel.out")"

conf "$P_B" "$P_E2"
kill -HUP "$GW_PID"
wait_until 3000 reloads_are 1 || not_ok "HUP: reload logged" "no 'reloaded' in the error log"
if wait_until 3000 is_who b; then
    ok "HUP: new connections go to the new upstream"
else
    not_ok "HUP: new connections go to the new upstream" "still: $(who)"
fi
got=$(for i in 1 2 3 4 5; do who; done | tr '\n' ' ')
expect_eq "HUP: and keep doing so" "b b b b b " "$got"
"$TC" -t 2000 echo "127.0.0.1:$P_TUN" 1000 >/dev/null 2>&1
wait_log "$T/tun.log" "127\.0\.0\.1:$P_E2\$" 2000
check "HUP: a new tunnel goes to the new echo server" \
    has_line "$T/tun.log" " 200 1000 1000 .* 127\.0\.0\.1:$P_E2\$"
w2=$(workers_of "$GW_PID" | grep -vxF "$w1" | tr '\n' ' ')
check "HUP: a new worker was started" test -n "$w2"
check "HUP: the old worker stays while its tunnel is open" alive "$w1"

wait_gone "${PID[tunnel]}" 6000
if grep -q '^pingpong: [0-9]* round trips ok' "$T/tunnel.out"; then
    ok "HUP: the tunnel opened before the reload keeps working to its end"
else
    not_ok "HUP: the tunnel opened before the reload keeps working to its end" \
        "$(tail -n 3 "$T/tunnel.out")"
fi
check "HUP: the tunnel stayed on the old echo server" \
    has_line "$T/tun.log" " 200 [0-9]+ [0-9]+ .* 127\.0\.0\.1:$P_E1\$"
if wait_gone "$w1" 3000; then
    ok "HUP: the old worker exits once its tunnel is done"
else
    not_ok "HUP: the old worker exits once its tunnel is done" "pid $w1 still there"
fi
check "HUP: one worker left" has_workers "$GW_PID" 1

# -s reload through the pid file
conf "$P_A" "$P_E1"
out=$("$GW" -c "$CONF" -s reload 2>&1); rc=$?
check "-s reload exits 0" test $rc -eq 0
if wait_until 3000 is_who a; then
    ok "-s reload: new connections go to the new upstream"
else
    not_ok "-s reload: new connections go to the new upstream" "rc $rc, $out; still: $(who)"
fi
wait_until 3000 has_workers "$GW_PID" 1
w3=$(workers_of "$GW_PID")

# a broken configuration: logged with FILE:LINE, the old one keeps running
conf "$P_B" "$P_E2"
printf 'listener broken {\n    listen 127.0.0.1:%s;\n    handler tcp;\n    proxy_pass nosuch;\n}\n' \
    "$P_NEW" >>"$CONF"
line=$(grep -n 'proxy_pass nosuch' "$CONF" | cut -d: -f1)
before=$(n_reloads)
kill -HUP "$GW_PID"
if wait_log "$T/error.log" "upstream \"nosuch\" is not defined in ${CONF//./\\.}:$line" 3000; then
    ok "broken reload: the reason is logged with FILE:LINE"
else
    not_ok "broken reload: the reason is logged with FILE:LINE" \
        "no 'nosuch ... $CONF:$line' in the error log"
fi
got=$(for i in 1 2 3; do who; done | tr '\n' ' ')
expect_eq "broken reload: still served by the old configuration" "a a a " "$got"
expect_eq "broken reload: the worker is untouched" "$w3" "$(workers_of "$GW_PID")"
check "broken reload: the new listen address was not opened" not_listening "$P_NEW"
check "broken reload: not counted as a reload" test "$(n_reloads)" -eq "$before"

# adding a listen address and removing one
conf "$P_A" "$P_E1" "new nowho"
kill -HUP "$GW_PID"
if wait_until 3000 is_who a "$P_NEW"; then
    ok "reload: an added listen address accepts"
else
    not_ok "reload: an added listen address accepts" "got '$(who "$P_NEW")'"
fi
refused() { ! "$TC" -t 500 connect "127.0.0.1:$P_WHO" 2>/dev/null; }
if wait_until 3000 refused; then
    ok "reload: a removed listen address refuses"
else
    not_ok "reload: a removed listen address refuses" "127.0.0.1:$P_WHO still accepts"
fi
conf "$P_A" "$P_E1" new
kill -HUP "$GW_PID"
if wait_until 3000 is_who a "$P_WHO"; then
    ok "reload: a removed address can be added back"
else
    not_ok "reload: a removed address can be added back" "got '$(who)'"
fi

# no client refused or reset: one session after another, and a few held
# open, while the configuration is reloaded five times
wait_until 3000 has_workers "$GW_PID" 1
spawn loop "$TC" -t 3000 loop "127.0.0.1:$P_TUN" 2500
spawn held "$TC" -t 5000 parallel "127.0.0.1:$P_TUN" 20 1500
for i in 1 2 3 4 5; do
    sleep 0.4
    if [ $((i % 2)) -eq 1 ]; then conf "$P_B" "$P_E2"; else conf "$P_A" "$P_E1"; fi
    kill -HUP "$GW_PID"
done
wait_gone "${PID[loop]}" 6000
wait_gone "${PID[held]}" 6000
res=$(grep '^loop:' "$T/loop.out")
if [[ "$res" =~ ^loop:\ [1-9][0-9]*\ ok,\ 0\ failed$ ]]; then
    ok "reloads refuse or reset no new connection"
    echo "# $res"
else
    not_ok "reloads refuse or reset no new connection" "$(tail -n 3 "$T/loop.out")"
fi
expect_eq "reloads keep 20 open tunnels working" "parallel: 20/20 ok" \
    "$(grep '^parallel:' "$T/held.out")"
if wait_until 5000 has_workers "$GW_PID" 1; then
    ok "after five reloads one worker is left"
else
    not_ok "after five reloads one worker is left" "workers: $(workers_of "$GW_PID" | tr '\n' ' ')"
fi
check "the master survived it all" alive "$GW_PID"

# shutdown_timeout bounds how long an old worker waits for its tunnels
EXTRA="shutdown_timeout 1s;"
conf "$P_A" "$P_E1"
want=$(($(n_reloads) + 1))
kill -HUP "$GW_PID"
wait_until 3000 reloads_are "$want"
wait_until 5000 has_workers "$GW_PID" 1
spawn cut "$TC" -t 3000 pingpong "127.0.0.1:$P_TUN" 100 5000
wait_log "$T/cut.out" '^ready' 3000
w=$(workers_of "$GW_PID")
t0=$(now_ms)
kill -HUP "$GW_PID"
if wait_gone "$w" 4000; then
    ms=$(($(now_ms) - t0))
    if [ $ms -ge 800 ]; then
        ok "reload: shutdown_timeout 1s ends the old worker's long tunnel"
    else
        not_ok "reload: shutdown_timeout 1s ends the old worker's long tunnel" "old worker gone after only $ms ms"
    fi
    echo "# old worker gone $ms ms after HUP"
else
    not_ok "reload: shutdown_timeout 1s ends the old worker's long tunnel" "old worker $w still there 4 s after HUP"
fi
