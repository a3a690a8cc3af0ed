#!/usr/bin/env bash
# bench/memory_idle.sh: memory per idle connection, gateway against nginx
# and HAProxy (one worker each), in bytes per connection.
# needs: nginx nginx-stream haproxy
#
# Two measurements, each path on fresh processes, MEM_RUNS runs (3):
#   keep-alive  MEM_CONNS (9000) client connections, each sends one
#               `GET / HTTP/1.1` (Host) that the proxy forwards to
#               bench/origin (an upstream pool of 16), then stays open, idle
#               (gateway `handler http_reverse; proxy_pass origin;`, nginx
#               http proxy, HAProxy mode http; 5 min keep-alive everywhere)
#   tunnels     MEM_TUNNELS (4000) TCP tunnels to bench/tcp_echo, each
#               carries one 32-byte message both ways, then idle (gateway
#               `handler tcp;`, nginx stream, HAProxy mode tcp)
# Client: bench/idle_conns (MEM_WINDOW, 64, connections under way at once).
# The worker's memory is read after one warm-up connection (before), with
# half the connections idle (mid) and with all of them (after): the
# number is (Private_Dirty after - before) / N from
# /proc/PID/smaps_rollup; RSS (VmRSS), Pss and Anonymous, and the
# marginal cost (after - mid) / (N - N/2), are shown under the table.
# Targets (lower is better): keep-alive gateway <= nginx; tunnels gateway
# <= HAProxy. ROUNDS and DURATION do not apply.
# shellcheck source=bench/lib.sh
. "$(dirname "$0")/lib.sh"
bench_init memory_idle
bench_need nginx nginx-stream haproxy

CONNS=${MEM_CONNS:-9000}
TUNNELS=${MEM_TUNNELS:-4000}
RUNS=${MEM_RUNS:-3}
WINDOW=${MEM_WINDOW:-64}
OPEN_TIMEOUT=${MEM_TIMEOUT:-60}     # s for N connections to be idle
MSG=32                              # bytes each tunnel carries each way
CLIENT=$BUILD/bench/idle_conns
ECHO=$BUILD/bench/tcp_echo
for v in CONNS TUNNELS RUNS WINDOW OPEN_TIMEOUT; do
    bench_check_int "MEM_$v" "${!v}"
done
if [ "$CONNS" -lt 2 ] || [ "$TUNNELS" -lt 2 ]; then
    bench_die "MEM_CONNS and MEM_TUNNELS must be at least 2"
fi
for b in "$CLIENT" "$ECHO" "$ORIGIN"; do
    [ -x "$b" ] || bench_die "$b is missing: run make bench (or make $b)"
done

bench_paths gateway nginx haproxy
bench_optional gateway nginx haproxy

# ------------------------------------------------------------ descriptors

# Everything here inherits the soft limit: raise it to the hard one, and
# check that each process has room (with margins) for what it holds:
# the client N, the backend N (tunnels), gateway and nginx N + the
# upstream side, HAProxy 2 x maxconn (it sizes its limit by it).
HARD=$(ulimit -Hn)
[ "$HARD" = unlimited ] && HARD=$(cat /proc/sys/fs/nr_open 2>/dev/null || echo 1048576)
ulimit -n "$HARD" 2>/dev/null ||
    bench_die "cannot raise the soft descriptor limit to the hard limit $HARD"
need_fds() {            # WHAT COUNT
    [ "$2" -le "$HARD" ] ||
        bench_die "$1 needs $2 descriptors, the hard limit (ulimit -Hn) is $HARD: lower MEM_CONNS / MEM_TUNNELS"
}
need_fds "idle_conns with MEM_CONNS=$CONNS" $((CONNS + 64))
need_fds "a proxy with MEM_CONNS=$CONNS (clients, upstream, HAProxy's 2 x maxconn)" $((2 * (CONNS + 256) + 64))
need_fds "idle_conns with MEM_TUNNELS=$TUNNELS" $((TUNNELS + 64))
need_fds "tcp_echo with MEM_TUNNELS=$TUNNELS" $((TUNNELS + 64))
need_fds "a proxy with MEM_TUNNELS=$TUNNELS (2 descriptors a tunnel)" $((2 * (TUNNELS + 256) + 64))

# ------------------------------------------------------------ the servers

# start_proxy KIND PATH BACKEND_PORT COUNT: the path's server, sized for
# COUNT connections (tunnels: 2 sockets each); 0, or 1 when it did not
# start (noted). Sets PROXY_PORT PROXY_PID.
start_proxy() {
    local kind=$1 path=$2 bport=$3 n=$4 slots=$((2 * $4 + 256))
    unset "BENCH_BROKEN[$path]"
    case $path in
    gateway)
        if [ "$kind" = http ]; then
            GW_WORKER_CONNECTIONS=$slots GW_EXTRA="worker_rlimit_nofile $HARD;
upstream origin { server 127.0.0.1:$bport; keepalive 16; }" \
                bench_gateway "handler http_reverse; proxy_pass origin; keepalive_timeout 5m;" || return 1
        else
            GW_WORKER_CONNECTIONS=$slots GW_EXTRA="worker_rlimit_nofile $HARD;" \
                bench_gateway "handler tcp; proxy_pass 127.0.0.1:$bport; idle_timeout 5m;" || return 1
        fi
        PROXY_PORT=$GW_PORT PROXY_PID=$GW_PID ;;
    nginx)
        if [ "$kind" = http ]; then
            NGX_WORKER_CONNECTIONS=$slots NGX_MAIN="worker_rlimit_nofile $HARD;" \
            NGX_HTTP="keepalive_timeout 5m;
    upstream origin { server 127.0.0.1:$bport; keepalive 16; }" \
                bench_nginx http "location / { proxy_pass http://origin; proxy_http_version 1.1; proxy_set_header Connection \"\"; }" || return 1
        else
            NGX_WORKER_CONNECTIONS=$slots NGX_MAIN="worker_rlimit_nofile $HARD;" \
                bench_nginx stream "proxy_pass 127.0.0.1:$bport; proxy_timeout 5m;" || return 1
        fi
        PROXY_PORT=$NGX_PORT PROXY_PID=$NGX_PID ;;
    haproxy)
        if [ "$kind" = http ]; then
            HAP_MAXCONN=$((n + 256)) bench_haproxy "    mode http
    maxconn $((n + 256))
    timeout client 5m
    timeout http-keep-alive 5m
    http-reuse always
    server origin 127.0.0.1:$bport" || return 1
        else
            HAP_MAXCONN=$((n + 256)) bench_haproxy "    mode tcp
    maxconn $((n + 256))
    timeout client 5m
    timeout server 5m
    server echo 127.0.0.1:$bport" || return 1
        fi
        PROXY_PORT=$HAP_PORT PROXY_PID=$HAP_PID ;;
    esac
}

# The process that holds the connections: the worker (the master's one
# child) for gateway and nginx, HAProxy itself (-db: no master). Waits up
# to 5 s for the worker; sets REPLY.
worker_of() {           # PATH PID
    local i kids
    if [ "$1" = haproxy ]; then
        REPLY=$2
        return 0
    fi
    for i in $(seq 50); do
        kids=$(bench_children "$2")
        if [ -n "$kids" ] && [ "$(echo "$kids" | wc -l)" -eq 1 ]; then
            REPLY=$kids
            return 0
        fi
        sleep 0.1
    done
    return 1
}

# ------------------------------------------------------------ memory

# mem_read PID: "RSS PSS PRIVATE_DIRTY ANONYMOUS ANONHUGE" in kB in REPLY
mem_read() {
    local rss rest
    rss=$(awk '$1 == "VmRSS:" { print $2 }' "/proc/$1/status" 2>/dev/null)
    rest=$(awk '$1 == "Pss:" { p = $2 } $1 == "Private_Dirty:" { d = $2 }
                $1 == "Anonymous:" { a = $2 } $1 == "AnonHugePages:" { h = $2 }
                END { if (p != "") print p, d, a, h + 0 }' "/proc/$1/smaps_rollup" 2>/dev/null)
    [ -n "$rss" ] && [ -n "$rest" ] || return 1
    REPLY="$rss $rest"
}

# mem_settle PID: mem_read once two reads 100 ms apart agree (up to 3 s:
# the last exchanges end, closes are processed); the last read otherwise.
mem_settle() {
    local prev='' i
    for i in $(seq 30); do
        sleep 0.1
        mem_read "$1" || return 1
        [ "$REPLY" = "$prev" ] && return 0
        prev=$REPLY
    done
    return 0
}

# ------------------------------------------------------------ the client

CL_OUT='' CL_IN='' CL_PID=''
client_start() {        # ERRFILE ARGS...
    local err=$1
    shift
    coproc IDLE { exec timeout -k 5 $((3 * OPEN_TIMEOUT + 60)) "$CLIENT" "$@" 2>"$err"; }
    CL_OUT=${IDLE[0]} CL_IN=${IDLE[1]} CL_PID=$IDLE_PID
    BENCH_CLIENT=$CL_PID
}

client_expect() {       # PREFIX SECONDS: the next line starts with PREFIX
    local line=''
    if ! read -r -t "$2" -u "$CL_OUT" line; then
        BENCH_ERR="idle_conns: no '$1' line within $2 s"
        return 1
    fi
    REPLY=$line
    case $line in
        "$1"*) return 0 ;;
    esac
    BENCH_ERR="idle_conns said '$line', wanted '$1...'"
    return 1
}

client_send() {         # LINE
    { printf '%s\n' "$1" >&"$CL_IN"; } 2>/dev/null
}

# EOF on its stdin: it closes everything and exits (or is stopped).
client_end() {
    local i
    [ -n "$CL_PID" ] || return 0
    eval "exec $CL_IN>&-" 2>/dev/null
    for i in $(seq 100); do
        bench_alive "$CL_PID" || break
        sleep 0.1
    done
    bench_stop "$CL_PID"
    eval "exec $CL_OUT<&-" 2>/dev/null
    CL_PID='' BENCH_CLIENT=''
}

# ------------------------------------------------------------ one run

declare -A RES          # KIND,PATH -> the runs' numbers ("fail" or B/conn)
declare -A DETAIL       # KIND,PATH,FIGURE -> the runs' numbers

kb_per_conn() {         # AFTER_KB BEFORE_KB N: bytes a connection
    awk -v a="$1" -v b="$2" -v n="$3" 'BEGIN { printf "%.0f", (a - b) * 1024 / n }'
}

# measure KIND PATH RUN BACKEND_PORT: REPLY the bytes a connection, or 1
# with BENCH_ERR.
measure() {
    local kind=$1 path=$2 run=$3 bport=$4 n half mode wpid before mid after
    local err=$BENCH_TMP/client-$kind-$path-$run.err k
    if [ "$kind" = http ]; then n=$CONNS mode=http; else n=$TUNNELS mode=echo; fi
    half=$((n / 2))
    start_proxy "$kind" "$path" "$bport" "$n" ||
        { BENCH_ERR="${BENCH_BROKEN[$path]:-did not start}"; return 1; }
    # warm-up: one connection, its exchange, closed
    if ! bench_client "$err.warmup" $((OPEN_TIMEOUT + 10)) \
            "$CLIENT" -m "$mode" -s "$MSG" -n 1 -t "$OPEN_TIMEOUT" 127.0.0.1 "$PROXY_PORT"; then
        BENCH_ERR="warm-up failed: $(tail -1 "$err.warmup")"
        return 1
    fi
    worker_of "$path" "$PROXY_PID" || { BENCH_ERR="no single worker process under pid $PROXY_PID"; return 1; }
    wpid=$REPLY
    mem_settle "$wpid" || { BENCH_ERR="cannot read /proc/$wpid memory"; return 1; }
    before=$REPLY
    client_start "$err" -m "$mode" -s "$MSG" -n "$half" -w "$WINDOW" \
        -t "$OPEN_TIMEOUT" 127.0.0.1 "$PROXY_PORT"
    if ! client_expect "ready $half" $((OPEN_TIMEOUT + 5)); then
        BENCH_ERR="$BENCH_ERR: $(tail -1 "$err" 2>/dev/null)"
        client_end
        return 1
    fi
    mem_settle "$wpid" || { BENCH_ERR="the worker (pid $wpid) is gone"; client_end; return 1; }
    mid=$REPLY
    client_send "open $n"
    if ! client_expect "ready $n" $((OPEN_TIMEOUT + 5)); then
        BENCH_ERR="$BENCH_ERR: $(tail -1 "$err" 2>/dev/null)"
        client_end
        return 1
    fi
    mem_settle "$wpid" || { BENCH_ERR="the worker (pid $wpid) is gone"; client_end; return 1; }
    after=$REPLY
    # every connection still open while the memory was read
    client_send check
    if ! client_expect "open $n closed 0" 10; then
        client_end
        return 1
    fi
    case $REPLY in
        *unexpected*) bench_note "$kind $path run $run: idle connections got bytes: $REPLY" ;;
    esac
    client_end
    bench_check_path "$path" || { BENCH_ERR="its master exited"; return 1; }
    [ "$(worker_of "$path" "$PROXY_PID"; echo "$REPLY")" = "$wpid" ] ||
        { BENCH_ERR="the worker changed during the run"; return 1; }
    # shellcheck disable=SC2086
    set -- $before; local b_rss=$1 b_pss=$2 b_pd=$3 b_an=$4
    # shellcheck disable=SC2086
    set -- $mid;    local m_pd=$3
    # shellcheck disable=SC2086
    set -- $after;  local a_rss=$1 a_pss=$2 a_pd=$3 a_an=$4 a_huge=$5
    [ "$a_huge" -gt 0 ] && bench_note "$kind $path run $run: ${a_huge} kB of transparent huge pages (AnonHugePages): RSS moves by 2 MiB steps"
    DETAIL[$kind,$path,rss]+=" $(kb_per_conn "$a_rss" "$b_rss" "$n")"
    DETAIL[$kind,$path,pss]+=" $(kb_per_conn "$a_pss" "$b_pss" "$n")"
    DETAIL[$kind,$path,anon]+=" $(kb_per_conn "$a_an" "$b_an" "$n")"
    DETAIL[$kind,$path,marginal]+=" $(kb_per_conn "$a_pd" "$m_pd" $((n - half)))"
    DETAIL[$kind,$path,base_rss]+=" $b_rss"
    DETAIL[$kind,$path,base_pd]+=" $b_pd"
    DETAIL[$kind,$path,after_pd]+=" $a_pd"
    # how long the client took (for the notes)
    k=$(sed -n 's/^idle_conns: \([0-9]*\) idle after \([0-9.]*\) s$/\2/p' "$err" | tail -1)
    [ -n "$k" ] && DETAIL[$kind,$path,secs]+=" $k"
    REPLY=$(kb_per_conn "$a_pd" "$b_pd" "$n")
    return 0
}

# stop_run PATH KIND RUN: stop the path's server, keep its logs apart
stop_run() {
    local path=$1 dir
    bench_stop "$PROXY_PID"
    case $path in
        gateway) dir=$GW_DIR ;;
        nginx)   dir=$NGX_DIR ;;
        haproxy) dir=$HAP_DIR ;;
    esac
    PROXY_PID=''
    if [ -n "$dir" ] && [ -d "$dir" ]; then
        mkdir -p "$BENCH_TMP/runs"
        mv "$dir" "$BENCH_TMP/runs/$2-$path-$3"
    fi
}

PROXY_PID='' PROXY_PORT=''
ORIGIN_PID=''
run_kind() {            # KIND
    local kind=$1 r path v line bport epid
    for r in $(seq "$RUNS"); do
        line="  run $r/$RUNS:"
        for path in "${BENCH_PATHS[@]}"; do
            if [ "$kind" = http ]; then
                bport=$ORIGIN_PORT
            else
                # a fresh echo server per run: no TIME_WAIT from the last
                bench_free_port
                bport=$FREE_PORT
                bench_start "$BENCH_TMP/echo-$path-$r.log" "$ECHO" "$bport"
                epid=$REPLY
                bench_wait_listen "$bport" "$epid" 10 ||
                    bench_die "bench/tcp_echo did not start: $(tail -3 "$BENCH_TMP/echo-$path-$r.log")"
            fi
            BENCH_ERR=
            if measure "$kind" "$path" "$r" "$bport"; then
                v=$REPLY
            else
                v=fail
                bench_note "$kind $path run $r failed: $BENCH_ERR"
            fi
            [ -n "$PROXY_PID" ] && stop_run "$path" "$kind" "$r"
            [ "$kind" = tcp ] && bench_stop "$epid"
            RES[$kind,$path]+=" $v"
            line="$line  $path $v"
        done
        echo "$line"
    done
}

bench_free_port
ORIGIN_PORT=$FREE_PORT
bench_start "$BENCH_TMP/origin.log" "$ORIGIN" "$ORIGIN_PORT"
ORIGIN_PID=$REPLY
bench_wait_listen "$ORIGIN_PORT" "$ORIGIN_PID" 10 ||
    bench_die "bench/origin did not start: $(tail -3 "$BENCH_TMP/origin.log")"

echo "== memory idle: bytes of the worker's private memory (Private_Dirty) per idle connection; runs: $RUNS, on fresh processes each"
echo "   descriptors: hard limit $HARD (soft raised to it); client window $WINDOW connections under way at once"
echo "== keep-alive: $CONNS HTTP/1.1 client connections, one GET each via bench/origin, then idle (bytes/conn)"
run_kind http
bench_stop "$ORIGIN_PID"
echo "== tunnels: $TUNNELS TCP tunnels to bench/tcp_echo, $MSG bytes each way, then idle (bytes/conn)"
run_kind tcp

# ------------------------------------------------------------ the report

med() {                 # VALUES...: the median, empty when none
    # shellcheck disable=SC2068
    bench_median $@ | awk '{ printf "%.0f", $1 }'
}

declare -A MED
for kind in http tcp; do
    for path in "${BENCH_PATHS[@]}"; do
        # shellcheck disable=SC2086
        MED[$kind,$path]=$(med ${RES[$kind,$path]:-})
    done
done

ratio() {               # KIND PATH REF
    bench_ratio "${MED[$1,$2]:-}" "${MED[$1,$3]:-}"
}

echo
printf '%-8s  %-17s %-17s  %-17s %-17s  %-17s %s\n' path "keep-alive B/conn" runs \
    "tunnels B/conn" runs "vs nginx (ka tun)" "vs haproxy (ka tun)"
for path in "${BENCH_PATHS[@]}"; do
    vn='' vh=''
    [ "$path" != nginx ] && vn="$(ratio http "$path" nginx) $(ratio tcp "$path" nginx)"
    [ "$path" != haproxy ] && vh="$(ratio http "$path" haproxy) $(ratio tcp "$path" haproxy)"
    printf '%-8s  %-17s %-17s  %-17s %-17s  %-17s %s\n' "$path" \
        "${MED[http,$path]:-n/a}" "${RES[http,$path]# }" \
        "${MED[tcp,$path]:-n/a}" "${RES[tcp,$path]# }" "$vn" "$vh" | sed 's/ *$//'
done

echo
echo "details (medians over the runs; bytes per connection unless said):"
printf '  %-10s %-8s %8s %8s %8s %8s %9s   %-12s %-12s %s\n' measure path private rss pss anon marginal \
    "base rss" "base priv" "after priv"
for kind in http tcp; do
    for path in "${BENCH_PATHS[@]}"; do
        [ -n "${MED[$kind,$path]:-}" ] || continue
        # shellcheck disable=SC2086  # the runs' numbers, one word each
        d() { med ${DETAIL[$kind,$path,$1]:-}; }
        printf '  %-10s %-8s %8s %8s %8s %8s %9s   %-12s %-12s %s\n' \
            "$([ $kind = http ] && echo keep-alive || echo tunnels)" "$path" \
            "${MED[$kind,$path]}" "$(d rss)" "$(d pss)" "$(d anon)" "$(d marginal)" \
            "$(d base_rss) kB" "$(d base_pd) kB" "$(d after_pd) kB"
    done
done
echo "  private: (Private_Dirty after - before) / N, the main figure; rss: VmRSS; pss: Pss;"
echo "  anon: Anonymous; marginal: Private_Dirty (after - mid) / (N - N/2), the second half only;"
echo "  base: the worker after the warm-up (preallocated slots, pools, code); after: with N idle"
for kind in http tcp; do
    s=''
    for path in "${BENCH_PATHS[@]}"; do
        t=${DETAIL[$kind,$path,secs]:-}
        t=${t# }
        [ -n "$t" ] && s="$s${s:+; }$path $t"
    done
    [ -n "$s" ] && bench_note "$([ $kind = http ] && echo keep-alive || echo tunnels): seconds idle_conns took for the second half, per run: $s"
done
if cat "$BENCH_TMP"/runs/*-gateway-*/error.log 2>/dev/null | grep -q 'may need [0-9]* descriptors'; then
    bench_note "gateway: its warning 'worker_connections N may need 3N descriptors' is expected: it counts 3 descriptors a slot (tunnel pipes), worker_rlimit_nofile $HARD covers what is held here"
fi
bench_print_notes

# logs of every run, one summary per server
for path in "${BENCH_PATHS[@]}"; do
    f=$BENCH_TMP/$path-all.log
    : > "$f"
    for d in "$BENCH_TMP"/runs/*-"$path"-*; do
        [ -d "$d" ] || continue
        cat "$d"/error.log "$d"/stderr.log 2>/dev/null >> "$f"
    done
    if [ "$path" = haproxy ]; then
        # its stderr: "[WARNING]  (PID) : ...", "[ALERT] ..."
        sed -E 's/^\[WARNING\] +\([0-9]+\) *: */[warn] /; s/^\[ALERT\] +\([0-9]+\) *: */[alert] /' \
            "$f" > "$f.nginx-style"
        bench_log_summary haproxy "$f.nginx-style"
    else
        bench_log_summary "$path" "$f"
    fi
done

# rows for bench/run's table and the targets (lower is better: <=)
verdict_le() {          # RATIO TARGET
    if [ "$1" = - ]; then
        echo n/a
    elif awk -v r="${1%x}" -v t="$2" 'BEGIN { exit !(r <= t) }'; then
        echo PASS
    else
        echo MISS
    fi
}

rows=$BENCH_TMP/rows
: > "$rows"
for kind in http tcp; do
    if [ $kind = http ]; then label="mem idle http" ref=nginx; else label="mem idle tcp" ref=haproxy; fi
    for path in "${BENCH_PATHS[@]}"; do
        m=${MED[$kind,$path]:-}
        vs=''
        [ "$path" != "$ref" ] && vs=$(ratio "$kind" "$path" "$ref")
        if [ -n "$m" ]; then m="$m B/conn"; else m=n/a; fi
        echo "$label|$path|$m|${RES[$kind,$path]# }||$vs|$ref" >> "$rows"
    done
done
[ -n "${BENCH_RESULTS:-}" ] && cat "$rows" >> "$BENCH_RESULTS"

target_line() {         # KIND LABEL REF OTHER
    local r o
    r=$(ratio "$1" gateway "$3")
    o=$(ratio "$1" gateway "$4")
    printf '%-15s gateway/%s %-6s target <=1x  %s   (gateway/%s %s; B/conn: gateway %s, nginx %s, haproxy %s)' \
        "$2" "$3" "$r" "$(verdict_le "$r" 1)" "$4" "$o" \
        "${MED[$1,gateway]:-n/a}" "${MED[$1,nginx]:-n/a}" "${MED[$1,haproxy]:-n/a}"
}
t1=$(target_line http "mem idle http" nginx haproxy)
t2=$(target_line tcp "mem idle tcp" haproxy nginx)
if [ -n "${BENCH_SUMMARY:-}" ]; then
    printf '%s\n%s\n' "$t1" "$t2" >> "$BENCH_SUMMARY"
else
    echo
    echo "target: $t1"
    echo "target: $t2"
fi

# every path produced both numbers
bad=0
for kind in http tcp; do
    for path in "${BENCH_PATHS[@]}"; do
        [ -n "${MED[$kind,$path]:-}" ] || bad=1
    done
done
exit $bad
