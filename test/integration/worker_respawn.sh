#!/usr/bin/env bash
# A worker that dies (kill -9) is replaced by a new one and service goes
# on; one that keeps dying right after its start is restarted with a
# growing delay (back-off) and a log line saying so.
. "$(dirname "$0")/lib.sh"

read -r P_GW P_UP < <(ports 2)
backend echo echo "127.0.0.1:$P_UP"
write_conf <<EOF
worker_processes 2;
error_log $T/error.log info;
pid $T/gw.pid;
listener echo {
    listen 127.0.0.1:$P_GW;
    handler tcp;
    proxy_pass 127.0.0.1:$P_UP;
}
EOF
gw_start "$P_GW"

# new_worker OLD...: a worker pid not among OLD, once there are 2 again
new_worker() {
    local w
    has_workers "$GW_PID" 2 || return 1
    for w in $(workers_of "$GW_PID"); do
        [[ " $* " == *" $w "* ]] || { echo "$w"; return 0; }
    done
    return 1
}
has_new_worker() { new_worker "$@" >/dev/null; }

before=$(workers_of "$GW_PID" | tr '\n' ' ')
victim=${before%% *}
kill -KILL "$victim"
if wait_until 3000 has_new_worker $before; then
    ok "kill -9 of a worker: a new worker replaces it"
else
    not_ok "kill -9 of a worker: a new worker replaces it" \
        "workers before: $before, now: $(workers_of "$GW_PID" | tr '\n' ' ')"
fi
check "the killed worker is gone" dead "$victim"
check "the death is logged" wait_log "$T/error.log" "worker process $victim exited on signal 9" 2000
out=$("$TC" -t 3000 parallel "127.0.0.1:$P_GW" 20 0 2>&1 | tail -n 1)
expect_eq "service goes on after the respawn" "parallel: 20/20 ok" "$out"
check "the respawned worker has the worker title" \
    grep -q 'gateway: worker process' "/proc/$(new_worker $before)/cmdline"

# back-off: kill each replacement of the same slot as soon as it appears
known=$(workers_of "$GW_PID" | tr '\n' ' ')
target=$(new_worker $before)
gaps=""
for round in 1 2 3 4; do
    t0=$(now_ms)
    kill -KILL "$target"
    if ! wait_until 5000 has_new_worker $known; then
        not_ok "a worker that keeps dying is restarted" "round $round: no new worker"
        break
    fi
    gaps="$gaps $(($(now_ms) - t0))"
    target=$(new_worker $known)
    known="$known $target"
done
echo "# respawn delays (ms):$gaps"
read -r g1 g2 g3 g4 <<<"$gaps"
if [ -n "${g4:-}" ] && [ "$g4" -ge 300 ] && [ "$g4" -gt "$g2" ]; then
    ok "a worker that keeps dying is restarted with growing delays"
else
    not_ok "a worker that keeps dying is restarted with growing delays" \
        "delays after each quick death:$gaps ms"
fi
check "the back-off is logged" has_line "$T/error.log" "keeps dying"
wait_until 3000 has_workers "$GW_PID" 2
out=$("$TC" -t 3000 parallel "127.0.0.1:$P_GW" 20 0 2>&1 | tail -n 1)
expect_eq "service goes on after the back-off" "parallel: 20/20 ok" "$out"
