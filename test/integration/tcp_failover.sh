#!/usr/bin/env bash
# Failover: a server that refuses connections is passed over and every
# client is still served; next_upstream_tries 1 stops after the first
# failure (client closed without data, access log 502); backup servers are
# used only when every primary is down; a "down" server is never used; no
# live server at all gives 502.
. "$(dirname "$0")/lib.sh"

read -r P_FO P_TRY P_BK1 P_BK2 P_DOWN P_NONE P_HASH P_REC P_TRY2 P_TRY3 P_A P_B \
    P_C P_DEAD P_DEAD2 P_X < <(ports 16)
backend a id "127.0.0.1:$P_A"
backend b id "127.0.0.1:$P_B"
backend c id "127.0.0.1:$P_C"
# P_DEAD and P_DEAD2: nothing listens there (connect is refused); P_X:
# nothing at first, a backend later

lsn() {
    printf 'listener %s { listen 127.0.0.1:%s; handler tcp; proxy_pass %s; access_log %s; %s }\n' \
        "$1" "$2" "$3" "$T/$1.log" "${4:-}"
}
write_conf <<EOF
$MAIN
upstream fo { server 127.0.0.1:$P_DEAD weight=10; server 127.0.0.1:$P_A; server 127.0.0.1:$P_B; }
upstream try1 { server 127.0.0.1:$P_DEAD weight=10; server 127.0.0.1:$P_A; }
upstream bk1 { server 127.0.0.1:$P_A; server 127.0.0.1:$P_C backup; }
upstream bk2 { server 127.0.0.1:$P_DEAD; server 127.0.0.1:$P_DEAD2; server 127.0.0.1:$P_C backup; }
upstream dn { server 127.0.0.1:$P_A down; server 127.0.0.1:$P_B; server 127.0.0.1:$P_C; }
upstream none { server 127.0.0.1:$P_DEAD; server 127.0.0.1:$P_DEAD2; }
upstream rec { server 127.0.0.1:$P_X weight=10 fail_timeout=1s; server 127.0.0.1:$P_A; }
upstream try2 { server 127.0.0.1:$P_DEAD weight=10; server 127.0.0.1:$P_DEAD2 weight=5; server 127.0.0.1:$P_A; }
upstream try3 { server 127.0.0.1:$P_DEAD weight=10; server 127.0.0.1:$P_DEAD2 weight=5; server 127.0.0.1:$P_A; }
upstream hash { server 127.0.0.1:$P_DEAD; server 127.0.0.1:$P_DEAD2; server 127.0.0.1:$P_B; balance ip_hash; }
$(lsn fo "$P_FO" fo)
$(lsn try1 "$P_TRY" try1 "next_upstream_tries 1;")
$(lsn bk1 "$P_BK1" bk1)
$(lsn bk2 "$P_BK2" bk2)
$(lsn down "$P_DOWN" dn)
$(lsn none "$P_NONE" none)
$(lsn hash "$P_HASH" hash)
$(lsn rec "$P_REC" rec)
$(lsn try2 "$P_TRY2" try2 "next_upstream_tries 2;")
$(lsn try3 "$P_TRY3" try3 "next_upstream_tries 3;")
EOF
gw_start "$P_FO" "$P_TRY" "$P_BK1" "$P_BK2" "$P_DOWN" "$P_NONE" "$P_HASH" "$P_REC" "$P_TRY2" "$P_TRY3"

# served PORT N: the N answers, sorted and counted, on one line
served() {
    "$TC" -t 3000 -n "$2" read "127.0.0.1:$1" 2>&1 | sort | uniq -c \
        | awk '{ printf "%s%s=%s", (NR > 1 ? " " : ""), $2, $1 }'
}

# the dead server (weight 10) is picked first; the connection fails over
got=$(served "$P_FO" 20)
if [[ "$got" =~ ^a=[0-9]+\ b=[0-9]+$ ]] && [ "$(awk -F'[ =]' '{ print $2 + $4 }' <<<"$got")" -eq 20 ]; then
    ok "failover: every client served past a refusing server"
else
    not_ok "failover: every client served past a refusing server" "20 clients got: $got"
fi
wait_until 2000 lines_over "$T/fo.log" 19
check "failover: access log has 20 lines, all 200 from a live server" \
    test "$(awk -v a="127.0.0.1:$P_A" -v b="127.0.0.1:$P_B" \
        '$7 == 200 && ($11 == a || $11 == b)' "$T/fo.log" | wc -l)" -eq 20

# next_upstream_tries 1: the first (dead) server fails, nothing else tried
out=$("$TC" -t 3000 read "127.0.0.1:$P_TRY" 2>/dev/null); rc=$?
if [ -z "$out" ] && { [ $rc -eq 0 ] || [ $rc -eq 3 ]; }; then
    ok "next_upstream_tries 1: client closed without data"
else
    not_ok "next_upstream_tries 1: client closed without data" "rc $rc, got '$out'"
fi
wait_log "$T/try1.log" . 2000
line=$(head -n 1 "$T/try1.log")
if [[ "$line" =~ \ 502\ 0\ 0\  ]]; then
    ok "next_upstream_tries 1: access log 502"
else
    not_ok "next_upstream_tries 1: access log 502" "line: '$line'"
fi
check "next_upstream_tries 1: the error log names the refused connect" \
    has_line "$T/error.log" "connect\(\) failed.*127\.0\.0\.1:$P_DEAD"

# two dead servers first (weights 10 and 5), the live one third
out=$("$TC" -t 3000 read "127.0.0.1:$P_TRY2" 2>/dev/null)
expect_eq "next_upstream_tries 2: both dead servers tried, then 502" "" "$out"
wait_log "$T/try2.log" . 2000
check "next_upstream_tries 2: access log 502" has_line "$T/try2.log" ' 502 0 0 '
expect_eq "next_upstream_tries 2: two connects were tried" 2 \
    "$(grep -c 'connect() failed.*listener: try2,' "$T/error.log")"
out=$("$TC" -t 3000 read "127.0.0.1:$P_TRY3" 2>/dev/null)
expect_eq "next_upstream_tries 3: the third try reaches the live server" "a" "$out"

expect_eq "backup unused while the primary is up" "a=12" "$(served "$P_BK1" 12)"
expect_eq "backup used when every primary is down" "c=12" "$(served "$P_BK2" 12)"
expect_eq "a \"down\" server is never used" "b=10 c=10" "$(served "$P_DOWN" 20)"
expect_eq "ip_hash fails over to the live server" "b=10" "$(served "$P_HASH" 10)"

out=$("$TC" -t 3000 read "127.0.0.1:$P_NONE" 2>/dev/null); rc=$?
if [ -z "$out" ] && { [ $rc -eq 0 ] || [ $rc -eq 3 ]; }; then
    ok "no live server: client closed without data"
else
    not_ok "no live server: client closed without data" "rc $rc, got '$out'"
fi
wait_log "$T/none.log" . 2000
check "no live server: access log 502" has_line "$T/none.log" ' 502 0 0 '

# max_fails=1 fail_timeout=10s (defaults): after its failure the dead
# server of "fo" is skipped, not tried again by each of the 20 clients
n=$(grep -c "connect() failed.*listener: fo, upstream: 127\.0\.0\.1:$P_DEAD\$" "$T/error.log")
if [ "$n" -eq 1 ]; then
    ok "a failed server is skipped for fail_timeout"
else
    not_ok "a failed server is skipped for fail_timeout" "$n connect failures logged for it"
fi

# fail_timeout=1s: the failed server is skipped for a second, then tried
# again, and used once it is back
t_fail=$(now_ms)
first=$("$TC" -t 3000 read "127.0.0.1:$P_REC" 2>&1)
backend x id "127.0.0.1:$P_X"
soon=$(served "$P_REC" 4)
soon_ms=$(($(now_ms) - t_fail))
if [ "$first" = a ] && [ "$soon" = "a=4" ] && [ $soon_ms -lt 900 ]; then
    ok "fail_timeout 1s: the failed server is skipped at first"
else
    not_ok "fail_timeout 1s: the failed server is skipped at first" \
        "first '$first', then within $soon_ms ms: $soon"
fi
is_x() { [ "$("$TC" -t 2000 read "127.0.0.1:$P_REC" 2>/dev/null)" = x ]; }
if wait_until 3000 is_x; then
    back_ms=$(($(now_ms) - t_fail))
    if [ $back_ms -ge 900 ]; then
        ok "fail_timeout 1s: the server is used again after it"
    else
        not_ok "fail_timeout 1s: the server is used again after it" "already after $back_ms ms"
    fi
    echo "# used again after $back_ms ms"
else
    not_ok "fail_timeout 1s: the server is used again after it" "not within 3 s"
fi
