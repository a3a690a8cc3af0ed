# test/integration/lib.sh: sourced by every integration test.
#
#   . "$(dirname "$0")/lib.sh"
#
# Gives the test:
#   $T            a temp dir of its own, removed at exit (kept if KEEP_T=1)
#   $GW $BK $TC   the gateway, the backends dir under $BUILD, tcp_client
#   $MAIN         main-context lines: 1 worker, error log and pid in $T
#   $CONF         $T/gw.conf, the default configuration file
#   ports N       N free TCP ports on one line
#   write_conf [FILE]       stdin into FILE (default $T/gw.conf)
#   spawn NAME CMD...       run CMD in the background, output in $T/NAME.out,
#                           pid in ${PID[NAME]}; stopped at exit
#   backend NAME MODE ADDR:PORT     a tcp_backend (echo|id|count|hello),
#                           waited for
#   gw_start [CONF] [PORT...]      gateway in the foreground; GW_PID is the
#                           master; waits for its worker and the ports
#   wait_until MS CMD...    poll CMD every 20 ms for at most MS
#   wait_listen PORT, wait_closed PORT, wait_log FILE REGEX [MS],
#   wait_gone PID [MS], wait_workers MASTER N [MS]
#   workers_of MASTER       pids of its worker processes
#   ok NAME, not_ok NAME WHY, check NAME CMD..., check_not NAME CMD...,
#   expect_eq NAME WANT GOT,
#   bail WHY
#
# A test that sets PRIVATE_NET=1 before sourcing this file runs in network
# and mount namespaces of its own (unshare -mn, as root): a loopback
# nobody else uses (IPv4 and IPv6), /etc/resolv.conf naming 127.0.0.1:53,
# where the test may start a dns_stub (dns_stub RULE...), and /etc/hosts
# bind-mounted from $T/hosts (a copy of the real one, the test's to edit).
#
# VALGRIND=1 (make valgrind) runs the gateway under valgrind's memcheck,
# its workers too; the exit trap turns any error or definite leak it
# reports into a failure. Timings then stretch by an order of magnitude.
#
# Every process a test starts is stopped at exit by pid (TERM, then KILL
# after a bound), with its descendants (the gateway's workers), even when
# the test fails half-way. Nothing is killed by name.

# test/run runs every *.sh here: run on its own, this file is no test
[ "${BASH_SOURCE[0]}" = "$0" ] && exit 0

if [ "${PRIVATE_NET:-}" = 1 ] && [ -z "${GW_IN_PRIVATE_NET:-}" ]; then
    # the same process (no fork): test/run's timeout and pid still hold
    GW_IN_PRIVATE_NET=1 exec unshare -mn -- bash "$0" "$@"
    echo "not ok - $(basename "$0" .sh): unshare -mn (util-linux, as root) runs it"
    exit 1
fi

set -u
: "${BUILD:=build}"
GW_ROOT=${GW_ROOT:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}
cd "$GW_ROOT" || exit 2
case "$BUILD" in
/*) ;;
*) BUILD="$GW_ROOT/$BUILD" ;;
esac
GW="$BUILD/gateway"
BK="$BUILD/test/backends"
TC="$BK/tcp_client"
TEST_NAME=$(basename "$0" .sh)
T=$(mktemp -d "${TMPDIR:-/tmp}/gw-$TEST_NAME.XXXXXX") || exit 2
# workers run as nobody under a root master: they reopen logs in here
chmod 755 "$T"
MAIN="worker_processes 1;
error_log $T/error.log info;
pid $T/gw.pid;"
CONF="$T/gw.conf"
# with SANITIZE=1 every process of this test reports into $T/asan.PID,
# and the exit trap turns any report into a failure
if [[ "${ASAN_OPTIONS:-}" == *log_path=* ]]; then
    ASAN_OPTIONS=$(sed "s|log_path=[^:]*|log_path=$T/asan|" <<<"$ASAN_OPTIONS")
    export ASAN_OPTIONS
    export UBSAN_OPTIONS="${UBSAN_OPTIONS:-}${UBSAN_OPTIONS:+:}log_path=$T/asan"
fi
GW_PID=""
VALGRIND_RUN=()
[ "${VALGRIND:-}" = 1 ] && VALGRIND_RUN=(valgrind -q --leak-check=full
    --show-leak-kinds=definite --errors-for-leak-kinds=definite
    --track-fds=no --suppressions="$GW_ROOT/test/valgrind.supp"
    --log-file="$T/valgrind.%p")
declare -A PID=()
STARTED=()                  # "pid:starttime" of everything we started
N_FAILED=0

for bin in "$GW" "$TC" "$BK/tcp_backend" "$BK/freeport"; do
    [ -x "$bin" ] || { echo "not ok - $bin is built"; exit 1; }
done

# Inside the namespaces: loopback up, our resolv.conf and hosts in place.
private_net_init() {
    ip link set lo up || return 1
    # one try, 3 s: no retry muddles what a slow answer means
    printf 'nameserver 127.0.0.1\noptions timeout:3 attempts:1\n' >"$T/resolv.conf"
    cp /etc/hosts "$T/hosts"
    mount --bind "$T/resolv.conf" /etc/resolv.conf &&
        mount --bind "$T/hosts" /etc/hosts
}
if [ -n "${GW_IN_PRIVATE_NET:-}" ] && ! private_net_init; then
    echo "not ok - $TEST_NAME: a private network (ip link, mount --bind) is set up"
    rm -rf "$T"
    exit 1
fi

# ---- time and waiting -------------------------------------------------------

now_ms() {
    local t=${EPOCHREALTIME//[.,]/}
    echo $((t / 1000))
}

# wait_until MS CMD...: 0 as soon as CMD succeeds, 1 after MS without.
wait_until() {
    local limit=$(($(now_ms) + $1))
    shift
    while :; do
        "$@" && return 0
        [ "$(now_ms)" -ge "$limit" ] && return 1
        sleep 0.02
    done
}

# ---- processes --------------------------------------------------------------

# Start time of PID in clock ticks (field 22 of stat), empty when gone.
proc_start() {
    local line
    read -r line 2>/dev/null <"/proc/$1/stat" || return 1
    line=${line##*) }
    set -- $line
    echo "${20}"
}

alive() {
    local line
    read -r line 2>/dev/null <"/proc/$1/stat" || return 1
    line=${line##*) }
    [ "${line%% *}" != Z ]
}

dead() { ! alive "$1"; }

wait_gone() { wait_until "${2:-5000}" dead "$1"; }

# Remember PID as ours, so the exit trap stops it.
track() {
    local st
    st=$(proc_start "$1") && STARTED+=("$1:$st")
}

children_of() {
    cat /proc/"$1"/task/*/children 2>/dev/null
}

descendants() {
    local c
    for c in $(children_of "$1"); do
        echo "$c"
        descendants "$c"
    done
}

# Worker processes of MASTER (by their process title).
workers_of() {
    local c
    for c in $(children_of "$1"); do
        # under valgrind the title cannot reach /proc: every child is one
        [ "${VALGRIND:-}" = 1 ] && { echo "$c"; continue; }
        tr '\0' ' ' <"/proc/$c/cmdline" 2>/dev/null | grep -q 'worker process' \
            && echo "$c"
    done
}

count_workers() {
    workers_of "$1" | wc -l
}

has_workers() { [ "$(count_workers "$1")" -eq "$2" ]; }

wait_workers() { wait_until "${3:-5000}" has_workers "$1" "$2"; }

# spawn NAME CMD...: background CMD, stdout and stderr in $T/NAME.out.
spawn() {
    local name=$1
    shift
    "$@" >"$T/$name.out" 2>&1 &
    PID[$name]=$!
    track $!
}

# Stop PIDS: TERM, wait up to 3 s, then KILL and wait up to 2 s more.
stop_pids() {
    local p left=()
    [ $# -eq 0 ] && return 0
    kill -TERM "$@" 2>/dev/null
    wait_until 3000 all_dead "$@" && return 0
    for p in "$@"; do alive "$p" && left+=("$p"); done
    echo "# cleanup: ${#left[@]} process(es) ignored TERM, sending KILL: ${left[*]}"
    kill -KILL "${left[@]}" 2>/dev/null
    wait_until 2000 all_dead "${left[@]}"
}

all_dead() {
    local p
    for p in "$@"; do alive "$p" && return 1; done
    return 0
}

cleanup() {
    local e pid st f all=()
    trap - EXIT INT TERM
    # a daemonized master is not our child: its pid file names it
    for f in "$T"/*.pid; do
        [ -f "$f" ] || continue
        read -r pid <"$f" 2>/dev/null || continue
        [[ "$pid" =~ ^[0-9]+$ ]] || continue
        tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -q "gateway: master" \
            && track "$pid"
    done
    for e in "${STARTED[@]}"; do
        pid=${e%%:*} st=${e#*:}
        [ "$(proc_start "$pid" 2>/dev/null)" = "$st" ] || continue
        all+=("$pid" $(descendants "$pid"))
    done
    stop_pids "${all[@]}"
    sanitizer_reports
    [ -n "${KEEP_T:-}" ] || rm -rf "$T"
}
# Reports the sanitizers wrote for this test's processes, as one failure.
sanitizer_reports() {
    local f found=""
    for f in "$T"/asan.*; do
        [ -s "$f" ] && found="$found $f"
    done
    # memcheck's: errors, or memory definitely lost (quiet mode: a log
    # that holds anything is a report)
    for f in "$T"/valgrind.*; do
        [ -s "$f" ] && grep -qE '^==[0-9]+== ' "$f" && found="$found $f"
    done
    # a report can also land on a process's stderr (a backend's $T/NAME.out)
    for f in "$T"/*.out; do
        [ -f "$f" ] && grep -qE 'runtime error:|ERROR: [A-Za-z]+Sanitizer' "$f" \
            && found="$found $f"
    done
    [ -z "$found" ] && return 0
    echo "not ok - $TEST_NAME: no sanitizer or valgrind reports"
    for f in $found; do
        echo "# $(basename "$f"):"
        grep -E 'ERROR|SUMMARY|runtime error|#[0-9] |==[0-9]+== +(at|by|Invalid|Conditional|[0-9,]+ bytes)' "$f" \
            | head -n 16 | sed 's/^/    /'
    done
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# ---- reporting ----------------------------------------------------------------

ok() { echo "ok - $1"; }

not_ok() {
    local name=$1
    shift
    N_FAILED=$((N_FAILED + 1))
    echo "not ok - $name"
    [ $# -gt 0 ] && echo "# $*"
    if [ -s "$T/error.log" ]; then
        echo "$name: error.log ends with:"
        tail -n 5 "$T/error.log" | sed 's/^/    /'
    fi
    return 0
}

# check NAME CMD...: ok when CMD succeeds.
check() {
    local name=$1
    shift
    if "$@"; then ok "$name"; else not_ok "$name" "failed: $*"; fi
}

# check_not NAME CMD...: ok when CMD fails.
check_not() {
    local name=$1
    shift
    if "$@"; then not_ok "$name" "succeeded: $*"; else ok "$name"; fi
}

# expect_eq NAME WANT GOT
expect_eq() {
    if [ "$2" = "$3" ]; then
        ok "$1"
    else
        not_ok "$1" "wanted '$2', got '$3'"
    fi
}

# A test that cannot go on: report and exit (the trap cleans up).
bail() {
    echo "not ok - $1"
    shift
    [ $# -gt 0 ] && echo "# $*"
    [ -s "$T/error.log" ] && tail -n 10 "$T/error.log" | sed 's/^/    /'
    [ -s "$T/gw.out" ] && tail -n 10 "$T/gw.out" | sed 's/^/    /'
    exit 1
}

# ---- ports, configs, servers --------------------------------------------------

ports() {
    "$BK/freeport" "$1" | tr '\n' ' '
}

# stdin into FILE (default $CONF)
write_conf() {
    cat >"${1:-$CONF}"
}

# Is PORT in LISTEN state (state 0A in /proc/net/tcp or tcp6)?
is_listening() {
    local hex
    hex=$(printf '%04X' "$1")
    grep -qE "^ *[0-9]+: [0-9A-F]+:$hex [0-9A-F]+:[0-9A-F]+ 0A " \
        /proc/net/tcp /proc/net/tcp6 2>/dev/null
}

not_listening() { ! is_listening "$1"; }

wait_listen() { wait_until "${2:-5000}" is_listening "$1"; }

wait_closed() { wait_until "${2:-5000}" not_listening "$1"; }

has_line() { grep -qE -- "$2" "$1" 2>/dev/null; }

# wait_log FILE REGEX [MS]
wait_log() { wait_until "${3:-5000}" has_line "$1" "$2"; }

count_lines() {
    if [ -f "$1" ]; then wc -l <"$1"; else echo 0; fi
}

# backend NAME MODE ADDR:PORT
backend() {
    spawn "$1" "$BK/tcp_backend" -i "$1" -m "$2" "$3"
    wait_listen "${3##*:}" || bail "backend $1 listens on $3" "$(cat "$T/$1.out")"
}

# gw_start [CONF] [PORT...]: start the gateway in the foreground (in the
# background of this shell), wait for one worker per worker_processes and
# for every PORT to listen. Sets GW_PID. Bails out when it does not start.
gw_start() {
    local conf=$CONF n p
    if [ $# -gt 0 ] && [ -f "$1" ]; then conf=$1; shift; fi
    n=$(sed -n 's/^ *worker_processes *\([0-9]*\) *;.*/\1/p' "$conf" | head -1)
    ${VALGRIND_RUN[@]+"${VALGRIND_RUN[@]}"} "$GW" -c "$conf" -g 'daemon off;' >>"$T/gw.out" 2>&1 &
    GW_PID=$!
    PID[gw]=$GW_PID
    track "$GW_PID"
    wait_workers "$GW_PID" "${n:-1}" \
        || bail "gateway starts" "no ${n:-1} worker(s) for $conf"
    for p in "$@"; do
        wait_listen "$p" || bail "gateway starts" "port $p does not listen"
    done
}

# Stop the foreground gateway with SIG (default TERM) and wait for it.
gw_stop() {
    [ -n "$GW_PID" ] || return 0
    kill -"${1:-TERM}" "$GW_PID" 2>/dev/null
    wait_gone "$GW_PID" 5000
}

# Last line of an access log (empty when none).
last_line() {
    tail -n 1 "$1" 2>/dev/null
}

# ---- udp ----------------------------------------------------------------------
#
#   $UC                     the udp_client
#   udp_ports N             N ports free for TCP and for UDP on every address
#                           (wildcards included; a "dead" port has nothing)
#   udp_backend NAME [OPTS] ADDR:PORT
#                           a udp_backend (-m echo|id, -r N, -d MS), waited
#                           for; its "src" lines are in $T/NAME.out
#   udp_sources NAME        how many source addresses NAME has seen
#                           (through the gateway: upstream sockets, sessions)
#   udp_stats ADDR:PORT     the backend's "dgrams N bytes B sources S"
#   wait_udp ADDR:PORT [MS] until a datagram there gets a reply (on a
#                           gateway listener this opens one session: the
#                           probe's)
#   gw_start_udp [CONF] ADDR:PORT...
#                           gw_start, then wait_udp on each address
#   gw_pid_worker           the pid of the only worker of $GW_PID
#   lines_over FILE N       FILE has more than N lines (for wait_until)
#
# Each probe of wait_udp is a session of its own on the gateway (an
# access log line, a source at the backend): tests that count take their
# baseline after it.

UC="$BK/udp_client"
UB="$BK/udp_backend"

udp_ports() {
    [ -x "$UC" ] && [ -x "$UB" ] || bail "udp test binaries are built" "$UC $UB"
    "$BK/freeport" -u "$1" | tr '\n' ' '
}

udp_backend() {
    local name=$1
    shift
    spawn "$name" "$UB" -i "$name" "$@"
    wait_log "$T/$name.out" '^ready' 3000 \
        || bail "udp backend $name starts" "$(cat "$T/$name.out")"
}

udp_sources() {
    grep -c '^src ' "$T/$1.out" 2>/dev/null
}

udp_stats() {
    "$UC" -t 1000 send "$1" stats 2>&1
}

udp_answers() {
    [ -n "$("$UC" -t 200 send "$1" probe 2>/dev/null)" ]
}

wait_udp() { wait_until "${2:-5000}" udp_answers "$1"; }

gw_pid_worker() {
    workers_of "$GW_PID" | head -n 1
}

gw_start_udp() {
    local a conf=()
    if [ $# -gt 0 ] && [ -f "$1" ]; then conf=("$1"); shift; fi
    gw_start "${conf[@]}"
    for a in "$@"; do
        wait_udp "$a" || bail "gateway starts" "no reply through udp $a"
    done
}

lines_over() { [ "$(count_lines "$1")" -gt "$2" ]; }

# ---- http -----------------------------------------------------------------------
#
#   $HO $HC                 the http_origin and the http_client
#   origin NAME [OPTS] ADDR:PORT...
#                           an http_origin (-k IDLE_MS), waited for; what it
#                           received is in $T/NAME.out (see http_origin.c)
#   origin_reqs NAME        requests it has seen (whole or not)
#   origin_conns NAME       connections it has accepted
#   origin_open NAME        connections accepted and not closed yet
#   origin_ports NAME       distinct peer ports its requests came from
#   last_req NAME           its last "req" line
#   pattern_sha N           sha256 of the first N bytes of the origin's
#                           body pattern
#   hget [CURL ARGS] URL    curl -s, bounded, body on stdout
#   log_status FILE         the status of the last access log line
#   http_served URL [WANT [CURL ARGS...]]
#                           a GET answers 200 (and its body holds WANT)

HO="$BK/http_origin"
HC="$BK/http_client"

origin() {
    local name=$1
    shift
    [ -x "$HO" ] && [ -x "$HC" ] || bail "http test binaries are built" "$HO $HC"
    spawn "$name" "$HO" -i "$name" "$@"
    wait_log "$T/$name.out" '^ready' 3000 \
        || bail "http origin $name starts" "$(cat "$T/$name.out")"
}

origin_reqs() {
    grep -cE '^(req|drop) ' "$T/$1.out" 2>/dev/null
}

origin_conns() {
    grep -c '^conn ' "$T/$1.out" 2>/dev/null
}

origin_open() {
    echo $(($(origin_conns "$1") - $(grep -c '^close ' "$T/$1.out" 2>/dev/null)))
}

origin_ports() {
    awk '$1 == "req" { print $2 }' "$T/$1.out" 2>/dev/null | sort -u | wc -l
}

last_req() {
    grep '^req ' "$T/$1.out" 2>/dev/null | tail -n 1
}

pattern_sha() {
    "$HO" -g "$1" | sha256sum | cut -d' ' -f1
}

hget() {
    curl -s -m 10 "$@"
}

# metric NAME{LABELS}: its value in a fresh scrape of $M (a status
# listener's /metrics URL), the first sample of that name and labels
metric() {
    hget "$M" | awk -v k="$1" 'index($0, k " ") == 1 { print $2; exit }'
}

log_status() {
    last_line "$1" | sed -nE 's/.*" ([0-9]{3}) .*/\1/p'
}

http_served() {
    local url=$1 want=${2:-} out
    shift $(($# < 2 ? $# : 2))
    out=$(curl -s -m 5 -w '\n%{http_code}' "$@" "$url") || return 1
    [ "${out##*$'\n'}" = 200 ] || return 1
    [ -z "$want" ] || [[ "$out" == *"$want"* ]]
}

# ---- names (PRIVATE_NET=1 tests) ----------------------------------------------------
#
#   dns_stub RULE...        the DNS server of the private network on
#                           127.0.0.1:53 (rules: see test/backends/dns_stub.c),
#                           waited for; its log is $T/dns.out
#   dns_queries NAME [TYPE] queries it got for NAME (of TYPE, default A)

dns_stub() {
    [ -n "${GW_IN_PRIVATE_NET:-}" ] || bail "dns_stub runs in a private network (PRIVATE_NET=1)"
    spawn dns "$BK/dns_stub" "$@"
    wait_log "$T/dns.out" '^ready' 3000 || bail "dns_stub starts" "$(cat "$T/dns.out")"
}

dns_queries() {
    grep -c "^query $1 ${2:-A}\$" "$T/dns.out" 2>/dev/null
}
