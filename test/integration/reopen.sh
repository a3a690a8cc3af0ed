#!/usr/bin/env bash
# USR1 and -s reopen (logrotate): after the access and error logs are
# renamed, a reopen makes master and workers write to freshly created
# files; until then they keep writing to the renamed ones.
. "$(dirname "$0")/lib.sh"

read -r P_GW P_DEADGW P_UP P_DEAD < <(ports 4)
backend echo echo "127.0.0.1:$P_UP"
write_conf <<EOF
$MAIN
listener echo {
    listen 127.0.0.1:$P_GW;
    handler tcp;
    proxy_pass 127.0.0.1:$P_UP;
    access_log $T/access.log;
}
listener dead {
    listen 127.0.0.1:$P_DEADGW;
    handler tcp;
    proxy_pass 127.0.0.1:$P_DEAD;
}
EOF
gw_start "$P_GW" "$P_DEADGW"

session() { "$TC" -t 3000 -s "$1" read "127.0.0.1:$P_GW" >/dev/null 2>&1; }
# a worker-side error log line: connect() to a port nobody listens on
worker_error() { "$TC" -t 3000 read "127.0.0.1:$P_DEADGW" >/dev/null 2>&1; }
worker_error_logged() {
    worker_error
    has_line "$T/error.log" "connect\(\) failed.*127\.0\.0\.1:$P_DEAD"
}

session one
wait_log "$T/access.log" ' 200 3 3 ' 2000
mv "$T/access.log" "$T/access.log.1"
mv "$T/error.log" "$T/error.log.1"
session two
wait_until 2000 lines_over "$T/access.log.1" 1
check "before the reopen, lines go to the renamed access log" \
    test "$(count_lines "$T/access.log.1")" -eq 2 -a ! -e "$T/access.log"

# $1 how (USR1 or -s), $2 suffix for the rotated files
reopen_case() {
    if [ "$1" = USR1 ]; then
        kill -USR1 "$GW_PID"
    else
        "$GW" -c "$CONF" -s reopen 2>/dev/null || not_ok "-s reopen exits 0"
    fi
    if wait_until 3000 test -e "$T/error.log" -a -e "$T/access.log"; then
        ok "$1: the logs are created again"
    else
        not_ok "$1: the logs are created again" "$(ls "$T")"
    fi
    check "$1: the master logs the reopen in the new error log" \
        wait_log "$T/error.log" 'reopen' 2000
    # the worker reopens when its USR1 comes, maybe a moment after the
    # master: its next error line in the fresh file says it did
    check "$1: the worker's errors go to the fresh error log" \
        wait_until 3000 worker_error_logged
    session new
    wait_log "$T/access.log" ' 200 3 3 ' 2000
    check "$1: a new connection is logged into the fresh access log" \
        test "$(count_lines "$T/access.log")" -eq 1
    check "$1: and not into the renamed one" \
        test "$(count_lines "$T/access.log.$2")" -eq "$3"
}
reopen_case USR1 1 2

mv "$T/access.log" "$T/access.log.2"
mv "$T/error.log" "$T/error.log.2"
reopen_case "-s reopen" 2 1
