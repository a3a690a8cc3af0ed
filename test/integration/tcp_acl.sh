#!/usr/bin/env bash
# allow/deny: a denied client is closed without data, the upstream never
# sees it, and the access log says 403; allow lets it through; rules are
# checked in order and the first match wins; IPv4 rules do not match IPv6
# clients.
. "$(dirname "$0")/lib.sh"

read -r P_DENY P_ALLOW P_FIRST P_FIRST2 P_OTHER P_V6OK P_V6DENY P_V6V4 P_UP \
    < <(ports 9)
backend up hello "127.0.0.1:$P_UP"

# $1 name, $2 listen address, $3 rules
lsn() {
    printf 'listener %s { listen %s; handler tcp; proxy_pass 127.0.0.1:%s; access_log %s; %s }\n' \
        "$1" "$2" "$P_UP" "$T/$1.log" "$3"
}
write_conf <<EOF
$MAIN
$(lsn deny "127.0.0.1:$P_DENY" "deny all;")
$(lsn allow "127.0.0.1:$P_ALLOW" "allow 127.0.0.1; deny all;")
$(lsn first "127.0.0.1:$P_FIRST" "deny 127.0.0.1; allow all;")
$(lsn first2 "127.0.0.1:$P_FIRST2" "allow 127.0.0.0/8; deny 127.0.0.1;")
$(lsn other "127.0.0.1:$P_OTHER" "deny 10.0.0.0/8; deny 192.168.0.0/16;")
$(lsn v6ok "[::1]:$P_V6OK" "allow ::1; deny all;")
$(lsn v6deny "[::1]:$P_V6DENY" "deny ::1/128; allow all;")
$(lsn v6v4 "[::1]:$P_V6V4" "allow 127.0.0.1; deny all;")
EOF
gw_start "$P_DENY" "$P_ALLOW" "$P_FIRST" "$P_FIRST2" "$P_OTHER" "$P_V6OK" \
    "$P_V6DENY" "$P_V6V4"

# denied NAME ADDR WHAT
denied() {
    local out rc line before
    before=$(count_lines "$T/up.out")
    out=$("$TC" -t 3000 -s "let me in" read "$2" 2>/dev/null); rc=$?
    if [ -z "$out" ] && { [ $rc -eq 0 ] || [ $rc -eq 3 ]; }; then
        ok "$3: closed without data"
    else
        not_ok "$3: closed without data" "rc $rc, got '$out'"
    fi
    wait_log "$T/$1.log" . 2000
    line=$(last_line "$T/$1.log")
    if [[ "$line" =~ \ 403\ 0\ [0-9]+\ [0-9.]+\ -$ ]]; then
        ok "$3: access log 403, no upstream"
    else
        not_ok "$3: access log 403, no upstream" "line: '$line'"
    fi
    check "$3: the upstream never saw it" test "$(count_lines "$T/up.out")" -eq "$before"
}

# allowed NAME ADDR WHAT
allowed() {
    local out rc before
    before=$(count_lines "$T/up.out")
    out=$("$TC" -t 3000 readsend "$2" 3 2>&1); rc=$?
    expect_eq "$3: served" "up/0" "$out/$rc"
    # the backend logs after the client is done: wait, so a later count
    # does not see this client's line arrive
    wait_until 2000 lines_over "$T/up.out" "$before"
}

denied deny "127.0.0.1:$P_DENY" "deny all"
allowed allow "127.0.0.1:$P_ALLOW" "allow 127.0.0.1; deny all"
denied first "127.0.0.1:$P_FIRST" "deny 127.0.0.1; allow all (first match)"
allowed first2 "127.0.0.1:$P_FIRST2" "allow 127.0.0.0/8; deny 127.0.0.1 (first match)"
allowed other "127.0.0.1:$P_OTHER" "only non-matching deny rules (default allow)"
allowed v6ok "[::1]:$P_V6OK" "IPv6: allow ::1; deny all"
denied v6deny "[::1]:$P_V6DENY" "IPv6: deny ::1/128; allow all"
denied v6v4 "[::1]:$P_V6V4" "IPv6 client, allow 127.0.0.1; deny all"

wait_until 2000 lines_over "$T/up.out" 3
expect_eq "the upstream saw exactly the four allowed clients" "4 4" \
    "$(count_lines "$T/up.out") $(grep -c '^up got 3$' "$T/up.out")"

# a burst of denied clients does not hurt the worker
w=$(workers_of "$GW_PID")
"$TC" burst "127.0.0.1:$P_DENY" 200 >/dev/null 2>&1
allowed allow "127.0.0.1:$P_ALLOW" "after 200 denied connections"
expect_eq "the worker survives 200 denied connections" "$w" "$(workers_of "$GW_PID")"
