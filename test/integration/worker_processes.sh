#!/usr/bin/env bash
# worker_processes N and auto (online CPUs), worker_rlimit_nofile applied
# to the workers, and a reload that changes the number of workers; with
# several workers every client is still served.
. "$(dirname "$0")/lib.sh"

read -r P_GW P_UP < <(ports 2)
backend echo echo "127.0.0.1:$P_UP"
cpus=$(getconf _NPROCESSORS_ONLN 2>/dev/null || nproc)

# conf_n N [MORE MAIN DIRECTIVES]
conf_n() {
    write_conf <<EOF
worker_processes $1;
error_log $T/error.log info;
pid $T/gw.pid;
${2:-}
listener echo {
    listen 127.0.0.1:$P_GW;
    handler tcp;
    proxy_pass 127.0.0.1:$P_UP;
}
EOF
}
served_all() {
    local out
    out=$("$TC" -t 3000 parallel "127.0.0.1:$P_GW" "$1" 0 2>&1 | tail -n 1)
    [ "$out" = "parallel: $1/$1 ok" ]
}

conf_n auto "worker_rlimit_nofile 1234;"
"$GW" -c "$CONF" -g 'daemon off;' >>"$T/gw.out" 2>&1 &
GW_PID=$!
track "$GW_PID"
if wait_workers "$GW_PID" "$cpus" 3000 && wait_listen "$P_GW"; then
    ok "worker_processes auto starts one worker per online CPU ($cpus)"
else
    not_ok "worker_processes auto starts one worker per online CPU" \
        "$cpus CPUs, $(count_workers "$GW_PID") workers"
fi
nofile=""
for w in $(workers_of "$GW_PID"); do
    nofile="$nofile $(sed -n 's/^Max open files *\([0-9]*\) *\([0-9]*\).*/\1\/\2/p' "/proc/$w/limits")"
done
if [ -n "$nofile" ] && [ -z "$(tr ' ' '\n' <<<"$nofile" | grep -v '^$' | grep -v '^1234/1234$')" ]; then
    ok "worker_rlimit_nofile 1234 is the workers' open file limit"
else
    not_ok "worker_rlimit_nofile 1234 is the workers' open file limit" "limits (soft/hard):$nofile"
fi
check "auto: 40 clients at once all served" served_all 40

conf_n 3
old=$(workers_of "$GW_PID" | tr '\n' ' ')
kill -HUP "$GW_PID"
only_new() {
    local w
    has_workers "$GW_PID" 3 || return 1
    for w in $(workers_of "$GW_PID"); do [[ " $old " == *" $w "* ]] && return 1; done
    return 0
}
if wait_until 5000 only_new; then
    ok "reload to worker_processes 3: three new workers, the old ones gone"
else
    not_ok "reload to worker_processes 3: three new workers, the old ones gone" \
        "workers now: $(workers_of "$GW_PID" | tr '\n' ' '), before: $old"
fi
check "3 workers: 40 clients at once all served" served_all 40

conf_n 1
kill -HUP "$GW_PID"
if wait_workers "$GW_PID" 1 5000; then
    ok "reload to worker_processes 1: one worker left"
else
    not_ok "reload to worker_processes 1: one worker left" "$(count_workers "$GW_PID") workers"
fi
check "1 worker: 40 clients at once all served" served_all 40
