# shellcheck shell=bash disable=SC2034  # variables shared with the scenarios
# bench/lib.sh: helpers shared by bench/run and the scenario scripts
# (bench/*.sh). Sourced, never run. A scenario script does:
#
#   . "$(dirname "$0")/lib.sh"
#   bench_init tcp_bulk                       temp dir, cleanup trap
#   bench_need iperf3 nginx-stream            tools (apt-get if missing)
#   bench_free_port                           a port in FREE_PORT, then
#   bench_start NAME CMD...                   (pid in REPLY), and
#   bench_wait_listen PORT PID                bounded polling, no sleeps
#   bench_gateway 'handler tcp; proxy_pass 127.0.0.1:A;'      -> GW_PORT
#   bench_nginx stream 'proxy_pass 127.0.0.1:A;'              -> NGX_PORT
#   bench_haproxy 'LINES'  bench_tinyproxy 'LINES'    more reference paths
#   bench_danted 'LINES'   bench_microsocks [ARGS]    (SOCKS5 peers)
#   bench_paths direct gateway tinyproxy      the paths, in order (default:
#   bench_ref tinyproxy                       direct gateway nginx), and the
#                                             one the ratios are against
#                                             (default: nginx)
#   bench_optional gateway                    a path that may not start:
#                                             skipped then, not fatal
#   bench_rounds "tcp bulk" measure_fn ORIGIN_PORT    interleaved rounds
#   bench_report "tcp bulk" UNIT SCALE                table rows
#   bench_target "tcp bulk" 1.5                       gateway/REF target
#   bench_target "socks5 connect" 2 microsocks:1.3    and more targets
#
# measure_fn PATH PORT SECONDS sets REPLY to the number (higher is better)
# and returns 0, or sets BENCH_ERR and returns 1; it may call bench_note.
# It runs its client with bench_client, so a signal stops it at once.
#
# Sizes of the servers' configs (defaults in parentheses), for a scenario
# that holds many connections: GW_WORKER_CONNECTIONS (4096), GW_EXTRA
# (main-level lines: upstream blocks, worker_rlimit_nofile ...);
# NGX_WORKER_CONNECTIONS (4096), NGX_MAIN (main-level lines), NGX_HTTP
# (http-level lines); HAP_MAXCONN (4096, global maxconn), HAP_GLOBAL
# (more global lines).
#
# Environment: ROUNDS (5), DURATION (5 s), BUILD (build), KEEP_TMP=1 keeps
# the temp dir (configs, logs, raw client output); BENCH_SUMMARY and
# BENCH_RESULTS are files bench/run collects target lines and rows in.

set -u

BENCH_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BUILD=${BUILD:-build}
case $BUILD in
    /*) ;;
    *) BUILD=$BENCH_ROOT/$BUILD ;;
esac
GATEWAY=$BUILD/gateway
ORIGIN=$BUILD/bench/origin
ROUNDS=${ROUNDS:-5}
DURATION=${DURATION:-5}
NGINX_STREAM_MODULE=${NGINX_STREAM_MODULE:-/usr/lib/nginx/modules/ngx_stream_module.so}
BENCH_PATHS=(direct gateway nginx)     # bench_paths; in this order
BENCH_REF=nginx                        # bench_ref: the "vs" column, targets

BENCH_TMP=
BENCH_PIDS=()           # every process we started, stopped at exit
BENCH_CLIENT=           # the client running now (bench_client)
BENCH_NAME=
BENCH_ERR=
BENCH_NOTES=()
declare -A BENCH_VALS   # path -> "v1 v2 fail v4 ..."
declare -A BENCH_BROKEN # path -> why it is skipped
declare -A BENCH_PORT   # path -> port its clients use
declare -A BENCH_MEDIAN # path -> median (raw units) or empty
declare -A BENCH_SRV    # path -> pid of the server behind it
declare -A BENCH_SRV_WHAT # path -> what that pid is ("master process")
declare -A BENCH_OPTIONAL # path -> 1: failing to start skips it (bench_optional)
DANTED=${DANTED:-$(command -v danted 2>/dev/null || echo /usr/sbin/danted)}

bench_die() {
    echo "bench: ${BENCH_NAME:+$BENCH_NAME: }$*" >&2
    exit 1
}

bench_check_int() {     # NAME VALUE: a positive integer or die
    case $2 in
        ''|*[!0-9]*|0) bench_die "$1 must be a positive integer (got '$2')" ;;
    esac
}

# ---------------------------------------------------------------- processes

bench_init() {          # NAME: temp dir and the cleanup trap
    BENCH_NAME=$1
    bench_check_int ROUNDS "$ROUNDS"
    bench_check_int DURATION "$DURATION"
    BENCH_TMP=$(mktemp -d "${TMPDIR:-/tmp}/gw-bench-$1.XXXXXX") ||
        bench_die "mktemp failed"
    trap bench_cleanup EXIT
    trap 'exit 130' INT
    trap 'exit 143' TERM
}

bench_children() {      # PID: its direct children, one a line
    local parent=$1 f line
    for f in /proc/[0-9]*/stat; do
        { read -r line < "$f"; } 2>/dev/null || continue
        # "pid (comm) state ppid ...": comm may hold spaces and parens
        line=${line##*") "}
        set -- $line
        if [ "${2:-}" = "$parent" ]; then
            f=${f#/proc/}
            echo "${f%/stat}"
        fi
    done
}

bench_alive() {         # PID: running and not a zombie
    local st
    kill -0 "$1" 2>/dev/null || return 1
    st=$(sed -n 's/^State:[[:space:]]*\([A-Z]\).*/\1/p' "/proc/$1/status" 2>/dev/null)
    [ "$st" != Z ]
}

bench_stop() {          # PID: TERM, up to 5 s, then KILL; its children too
    local pid=$1 kids i
    bench_alive "$pid" || { wait "$pid" 2>/dev/null; return 0; }
    kids=$(bench_children "$pid")
    kill -TERM "$pid" 2>/dev/null
    for i in $(seq 50); do
        bench_alive "$pid" || break
        sleep 0.1
    done
    bench_alive "$pid" && kill -KILL "$pid" 2>/dev/null
    wait "$pid" 2>/dev/null
    # children a master left behind (a worker of a crashed master)
    for pid in $kids; do
        bench_alive "$pid" || continue
        kill -TERM "$pid" 2>/dev/null
        for i in $(seq 30); do
            bench_alive "$pid" || break
            sleep 0.1
        done
        bench_alive "$pid" && kill -KILL "$pid" 2>/dev/null
    done
    return 0
}

bench_cleanup() {
    local rc=$? i
    trap - EXIT INT TERM
    [ -n "$BENCH_CLIENT" ] && bench_stop "$BENCH_CLIENT"
    for ((i = ${#BENCH_PIDS[@]} - 1; i >= 0; i--)); do
        bench_stop "${BENCH_PIDS[i]}"
    done
    if [ -n "$BENCH_TMP" ] && [ -d "$BENCH_TMP" ]; then
        if [ "${KEEP_TMP:-0}" = 1 ]; then
            echo "bench: $BENCH_NAME: kept $BENCH_TMP" >&2
        else
            rm -rf "$BENCH_TMP"
        fi
    fi
    exit "$rc"
}

bench_start() {         # LOG CMD...: start in the background, pid in REPLY
    local log=$1
    shift
    "$@" >"$log" 2>&1 </dev/null &
    REPLY=$!
    BENCH_PIDS+=("$REPLY")
}

# Run a client, bounded by SECONDS, output to OUT; returns its status
# (124 when it timed out). Waiting with `wait` lets a TERM in at once.
bench_client() {        # OUT SECONDS CMD...
    local out=$1 secs=$2 rc
    shift 2
    timeout -k 5 "$secs" "$@" >"$out" 2>&1 </dev/null &
    BENCH_CLIENT=$!
    wait "$BENCH_CLIENT"
    rc=$?
    BENCH_CLIENT=
    return $rc
}

# --------------------------------------------------------------------- ports

# Ports in use (any state, TCP and UDP, both families), one a line.
bench_used_ports() {
    awk 'function hex(s,   i, n) {
             n = 0
             for (i = 1; i <= length(s); i++)
                 n = n * 16 + index("0123456789ABCDEF", toupper(substr(s, i, 1))) - 1
             return n
         }
         FNR > 1 { n = split($2, a, ":"); print hex(a[n]) }' \
        /proc/net/tcp /proc/net/tcp6 /proc/net/udp /proc/net/udp6 2>/dev/null
}

BENCH_TAKEN=" "
# A port nobody uses, below the ephemeral range (so clients' own ports
# never collide with it), not handed out before in this run: in FREE_PORT
# (not printed: a $(...) subshell would forget the ports handed out).
bench_free_port() {
    local lo hi base span p try used
    read -r lo hi < /proc/sys/net/ipv4/ip_local_port_range 2>/dev/null || { lo=32768; hi=60999; }
    if [ "$lo" -gt 12000 ]; then
        base=10000 span=$((lo - 10000))
    else
        base=$((hi + 1)) span=$((65535 - hi))
    fi
    used=" $(bench_used_ports | tr '\n' ' ') "
    for try in $(seq 200); do
        p=$((base + (RANDOM * 32768 + RANDOM) % span))
        case "$used$BENCH_TAKEN" in
            *" $p "*) continue ;;
        esac
        BENCH_TAKEN="$BENCH_TAKEN$p "
        FREE_PORT=$p
        return 0
    done
    bench_die "no free port found"
}

bench_listening() {     # PORT [tcp|udp]: someone listens (tcp) / is bound (udp)
    local port=$1 proto=${2:-tcp}
    awk -v port="$port" -v proto="$proto" '
        function hex(s,   i, n) {
            n = 0
            for (i = 1; i <= length(s); i++)
                n = n * 16 + index("0123456789ABCDEF", toupper(substr(s, i, 1))) - 1
            return n
        }
        FNR > 1 { n = split($2, a, ":")
                  if (hex(a[n]) == port && (proto == "udp" || $4 == "0A")) found = 1 }
        END { exit !found }' "/proc/net/$proto" "/proc/net/${proto}6" 2>/dev/null
}

# Poll until PORT listens; fail at once if PID exits, or after SECONDS.
bench_wait_listen() {   # PORT PID [SECONDS=10] [tcp|udp]
    local port=$1 pid=$2 secs=${3:-10} proto=${4:-tcp} i
    for i in $(seq $((secs * 20))); do
        bench_alive "$pid" || return 1
        bench_listening "$port" "$proto" && return 0
        sleep 0.05
    done
    return 1
}

# ---------------------------------------------------------------- the tools

bench_can_install() {
    if [ "$(id -u)" -eq 0 ]; then
        BENCH_SUDO=
    elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
        BENCH_SUDO="sudo -n"
    else
        return 1
    fi
    command -v apt-get >/dev/null 2>&1
}

# bench_need TOOL...: each of nginx, nginx-stream (the stream module),
# danted (Debian package dante-server), iperf3, wrk, microsocks (or any
# command named as its Debian package) is there, or installed with
# apt-get (saying so), or we die saying what to install.
bench_need() {
    local t pkgs=() missing=()
    for t in "$@"; do
        case $t in
            nginx)        command -v nginx >/dev/null 2>&1 || pkgs+=(nginx) ;;
            nginx-stream)
                command -v nginx >/dev/null 2>&1 || pkgs+=(nginx)
                [ -e "$NGINX_STREAM_MODULE" ] || bench_nginx_static stream ||
                    pkgs+=(libnginx-mod-stream) ;;
            danted|dante-server)
                [ -x "$DANTED" ] || command -v danted >/dev/null 2>&1 ||
                    pkgs+=(dante-server) ;;
            *)            command -v "$t" >/dev/null 2>&1 || pkgs+=("$t") ;;
        esac
    done
    [ ${#pkgs[@]} -eq 0 ] && return 0
    # unique, order kept
    for t in "${pkgs[@]}"; do
        case " ${missing[*]} " in *" $t "*) ;; *) missing+=("$t") ;; esac
    done
    echo "bench: missing: ${missing[*]}"
    bench_can_install ||
        bench_die "cannot install (not root, no sudo, or no apt-get): run apt-get install -y ${missing[*]}"
    echo "bench: installing with apt-get: ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    if ! $BENCH_SUDO apt-get install -y -q "${missing[@]}" >/dev/null 2>&1; then
        { $BENCH_SUDO apt-get update -q >/dev/null 2>&1 &&
          $BENCH_SUDO apt-get install -y -q "${missing[@]}" >/dev/null 2>&1; } ||
            bench_die "apt-get install -y ${missing[*]} failed: install them by hand"
    fi
    echo "bench: installed ${missing[*]}"
    [ -x "$DANTED" ] || DANTED=$(command -v danted 2>/dev/null || echo /usr/sbin/danted)
}

bench_nginx_static() {  # MODULE: nginx was built with it (not dynamic)
    nginx -V 2>&1 | grep -q -- "--with-$1\( \|$\)"
}

# bench_versions [TOOL...]: one line per tool that is installed; tinyproxy,
# danted and microsocks only when named (the scenarios' needs), so other
# runs print as before.
bench_versions() {
    local v
    [ -x "$GATEWAY" ] && echo "gateway: $("$GATEWAY" -v 2>&1 | head -1)"
    command -v nginx >/dev/null 2>&1 && {
        v=$(nginx -v 2>&1 | head -1)
        if [ -e "$NGINX_STREAM_MODULE" ]; then
            v="$v, stream module $NGINX_STREAM_MODULE"
        fi
        echo "nginx:   $v"
    }
    command -v iperf3 >/dev/null 2>&1 && echo "iperf3:  $(iperf3 --version 2>&1 | head -1)"
    command -v wrk >/dev/null 2>&1 && echo "wrk:     $(wrk -v 2>&1 | head -1)"
    case " $* " in
        *" tinyproxy "*)
            command -v tinyproxy >/dev/null 2>&1 &&
                echo "tinyproxy: $(tinyproxy -v 2>&1 | head -1)" ;;
    esac
    case " $* " in
        *" danted "*|*" dante-server "*)
            [ -x "$DANTED" ] &&
                echo "danted:  $("$DANTED" -v 2>&1 | head -1 | sed 's/ *Copyright.*//')" ;;
    esac
    case " $* " in
        *" microsocks "*)
            # it has no version option
            command -v microsocks >/dev/null 2>&1 &&
                echo "microsocks: $(dpkg-query -W -f '${Version}' microsocks 2>/dev/null || echo '?') (Debian package; no version option)" ;;
    esac
    return 0
}

# ------------------------------------------------------ gateway and nginx

# Start a process whose config names its port; retry with another port
# when the port was taken between picking it and binding it.
#   bench_start_server LABEL WRITE_CONF_FN LOG CMD...
# WRITE_CONF_FN PORT writes the config (":" for none); the port ends in
# REPLY_PORT and the pid in REPLY. An argument @PORT@ in CMD is replaced
# by the port (for a server without a config file). LABEL is the path's
# name: when it does not start, the scenario ends, unless the path is
# optional (bench_optional): then it is skipped and this returns 1.
bench_start_server() {
    local label=$1 write=$2 log=$3 port a cmd
    shift 3
    for _ in 1 2 3; do
        bench_free_port
        port=$FREE_PORT
        [ -n "${BENCH_EXTRA_LOG:-}" ] && : > "$BENCH_EXTRA_LOG"
        "$write" "$port" || bench_die "$label: cannot write its configuration"
        cmd=()
        for a in "$@"; do
            [ "$a" = @PORT@ ] && a=$port
            cmd+=("$a")
        done
        bench_start "$log" "${cmd[@]}"
        if bench_wait_listen "$port" "$REPLY" 10 "${BENCH_PROTO:-tcp}"; then
            REPLY_PORT=$port
            return 0
        fi
        bench_stop "$REPLY"
        # tinyproxy only says "Could not create listening sockets."
        grep -qi -e 'address already in use' -e 'could not create listening sockets' \
            "$log" "${BENCH_EXTRA_LOG:-/dev/null}" 2>/dev/null &&
            continue
        break
    done
    if [ -n "${BENCH_OPTIONAL[$label]:-}" ]; then
        bench_start_failed "$label" "it did not start listening on 127.0.0.1:$port: $(
            cat "$log" "${BENCH_EXTRA_LOG:-/dev/null}" 2>/dev/null | tail -3)"
        return 1
    fi
    echo "bench: $BENCH_NAME: $label did not start listening on 127.0.0.1:$port; its output:" >&2
    sed 's/^/  | /' "$log" "${BENCH_EXTRA_LOG:-/dev/null}" 2>/dev/null | tail -20 >&2
    exit 1
}

# bench_optional PATH...: these paths may fail to start (e.g. gateway
# with a handler not there yet): such a path is skipped, its rounds shown
# as `fail` with the reason in the notes, as when its warm-up fails,
# instead of ending the scenario. Call it before starting servers.
bench_optional() {
    local p
    for p in "$@"; do
        BENCH_OPTIONAL[$p]=1
    done
}

# bench_start_failed PATH WHY: PATH's server could not be started. Dies,
# unless PATH is optional: then it is skipped (returns 1 all the same).
bench_start_failed() {
    local why
    [ -n "${BENCH_OPTIONAL[$1]:-}" ] || bench_die "$2"
    why=$(printf '%s' "$2" | tr -s '\n' ' ' | cut -c1-300)
    BENCH_BROKEN[$1]="did not start: $why"
    bench_note "$1: did not start, path skipped: $why"
    echo "bench: $BENCH_NAME: $1 did not start, path skipped: $why" >&2
    return 1
}

GW_DIR='' GW_PORT='' GW_PID='' GW_LISTENER=''
bench_gateway_conf() {
    local user=""
    # as nginx here ("user root" when run as root): the same privileges,
    # the same pipe limits for every path
    [ "$(id -u)" = 0 ] && user="user root;"
    cat > "$GW_DIR/gateway.conf" <<EOF
# written by bench/lib.sh for the $BENCH_NAME scenario
$user
worker_processes   1;
worker_connections ${GW_WORKER_CONNECTIONS:-4096};
daemon             off;
pid                $GW_DIR/gateway.pid;
error_log          $GW_DIR/error.log warn;
${GW_EXTRA:-}

listener bench {
    listen 127.0.0.1:$1;
    $GW_LISTENER
}
EOF
}

# bench_gateway 'DIRECTIVES': one worker, one listener with DIRECTIVES
# (handler, proxy_pass, ...) on a free port. Sets GW_PORT GW_PID GW_DIR.
bench_gateway() {
    local out
    GW_LISTENER=$1
    GW_DIR=$BENCH_TMP/gateway
    mkdir -p "$GW_DIR"
    [ -x "$GATEWAY" ] || bench_die "$GATEWAY is missing: run make (or make bench)"
    bench_gateway_conf 1
    if ! out=$("$GATEWAY" -t -c "$GW_DIR/gateway.conf" 2>&1); then
        bench_start_failed gateway "gateway rejects its configuration: $out"
        return 1
    fi
    BENCH_EXTRA_LOG=$GW_DIR/error.log \
        bench_start_server gateway bench_gateway_conf "$GW_DIR/stderr.log" \
        "$GATEWAY" -c "$GW_DIR/gateway.conf" || return 1
    GW_PORT=$REPLY_PORT GW_PID=$REPLY
    bench_register gateway "$GW_PORT" "$GW_PID"
}

NGX_DIR='' NGX_PORT='' NGX_PID='' NGX_MODULE='' NGX_SERVER=''
bench_nginx_conf() {
    {
        echo "# written by bench/lib.sh for the $BENCH_NAME scenario"
        if [ "$NGX_MODULE" = stream ] && [ -e "$NGINX_STREAM_MODULE" ]; then
            echo "load_module $NGINX_STREAM_MODULE;"
        fi
        [ "$(id -u)" -eq 0 ] && echo "user root;"
        cat <<EOF
daemon           off;
master_process   on;
worker_processes 1;
pid              $NGX_DIR/nginx.pid;
error_log        $NGX_DIR/error.log warn;
${NGX_MAIN:-}
events { worker_connections ${NGX_WORKER_CONNECTIONS:-4096}; }
EOF
        if [ "$NGX_MODULE" = stream ]; then
            cat <<EOF
stream {
    server {
        listen 127.0.0.1:$1${NGX_LISTEN_OPTS:+ $NGX_LISTEN_OPTS};
        $NGX_SERVER
    }
}
EOF
        else
            cat <<EOF
http {
    access_log off;
    ${NGX_HTTP:-}
    client_body_temp_path $NGX_DIR/client_body;
    proxy_temp_path       $NGX_DIR/proxy;
    fastcgi_temp_path     $NGX_DIR/fastcgi;
    uwsgi_temp_path       $NGX_DIR/uwsgi;
    scgi_temp_path        $NGX_DIR/scgi;
    server {
        listen 127.0.0.1:$1;
        $NGX_SERVER
    }
}
EOF
        fi
    } > "$NGX_DIR/nginx.conf"
}

# bench_nginx stream|http 'DIRECTIVES': one worker, one server block with
# DIRECTIVES on a free port. Sets NGX_PORT NGX_PID NGX_DIR.
bench_nginx() {
    local out
    NGX_MODULE=$1 NGX_SERVER=$2
    NGX_DIR=$BENCH_TMP/nginx
    mkdir -p "$NGX_DIR"
    bench_nginx_conf 1
    if ! out=$(nginx -t -p "$NGX_DIR" -c "$NGX_DIR/nginx.conf" -e "$NGX_DIR/error.log" 2>&1); then
        bench_start_failed nginx "nginx rejects its configuration: $out"
        return 1
    fi
    : > "$NGX_DIR/error.log"
    BENCH_EXTRA_LOG=$NGX_DIR/error.log \
        bench_start_server nginx bench_nginx_conf "$NGX_DIR/stderr.log" \
        nginx -p "$NGX_DIR" -c "$NGX_DIR/nginx.conf" -e "$NGX_DIR/error.log" || return 1
    NGX_PORT=$REPLY_PORT NGX_PID=$REPLY
    bench_register nginx "$NGX_PORT" "$NGX_PID"
}

HAP_DIR='' HAP_PORT='' HAP_PID='' HAP_LISTEN=''
bench_haproxy_conf() {
    cat > "$HAP_DIR/haproxy.cfg" <<EOF
# written by bench/lib.sh for the $BENCH_NAME scenario
global
    nbthread 1
    maxconn  ${HAP_MAXCONN:-4096}
${HAP_GLOBAL:-}
defaults
    timeout connect 10s
    timeout client  60s
    timeout server  60s
listen bench
    bind 127.0.0.1:$1
$HAP_LISTEN
EOF
}

# bench_haproxy 'LINES': a third reference path (one thread), the `listen`
# section's LINES (mode, options, server) on a free port. Sets HAP_PORT
# HAP_PID and adds "haproxy" to the paths measured (last) unless
# bench_paths named it already.
bench_haproxy() {
    local out
    HAP_LISTEN=$1
    HAP_DIR=$BENCH_TMP/haproxy
    mkdir -p "$HAP_DIR"
    bench_haproxy_conf 1
    bench_add_path haproxy
    if ! out=$(haproxy -c -f "$HAP_DIR/haproxy.cfg" 2>&1); then
        bench_start_failed haproxy "haproxy rejects its configuration: $out"
        return 1
    fi
    bench_start_server haproxy bench_haproxy_conf "$HAP_DIR/stderr.log" \
        haproxy -db -f "$HAP_DIR/haproxy.cfg" || return 1
    HAP_PORT=$REPLY_PORT HAP_PID=$REPLY
    bench_register haproxy "$HAP_PORT" "$HAP_PID"
}

TP_DIR='' TP_PORT='' TP_PID='' TP_LINES=''
bench_tinyproxy_conf() {
    {
        echo "# written by bench/lib.sh for the $BENCH_NAME scenario"
        # as root it wants a user to switch to; root keeps the files ours
        [ "$(id -u)" -eq 0 ] && printf 'User root\nGroup root\n'
        cat <<EOF
Port       $1
Listen     127.0.0.1
Timeout    60
MaxClients 1024
LogFile    "$TP_DIR/tinyproxy.log"
LogLevel   Critical
PidFile    "$TP_DIR/tinyproxy.pid"
EOF
        if [ -n "$TP_LINES" ]; then
            printf '%s\n' "$TP_LINES"
        fi
    } > "$TP_DIR/tinyproxy.conf"
}

# bench_tinyproxy 'LINES': tinyproxy (Debian package; one process, a thread
# per client) in the foreground on a free port, its log in TP_DIR at level
# Critical, LINES added to its configuration (e.g. ConnectPort; none
# allows CONNECT to every port). Sets TP_PORT TP_PID TP_DIR and adds
# "tinyproxy" to the paths measured (last) unless bench_paths named it.
bench_tinyproxy() {
    TP_LINES=$1
    TP_DIR=$BENCH_TMP/tinyproxy
    mkdir -p "$TP_DIR"
    command -v tinyproxy >/dev/null 2>&1 || bench_die "tinyproxy is missing"
    bench_add_path tinyproxy
    # no config check mode: a bad line shows in its output when it exits
    BENCH_EXTRA_LOG=$TP_DIR/tinyproxy.log \
        bench_start_server tinyproxy bench_tinyproxy_conf "$TP_DIR/stderr.log" \
        tinyproxy -d -c "$TP_DIR/tinyproxy.conf" || return 1
    TP_PORT=$REPLY_PORT TP_PID=$REPLY
    bench_register tinyproxy "$TP_PORT" "$TP_PID" process
}

DANTE_DIR='' DANTE_PORT='' DANTE_PID='' DANTE_LINES=''
bench_danted_conf() {
    {
        echo "# written by bench/lib.sh for the $BENCH_NAME scenario"
        printf 'logoutput:    %s\n' "$DANTE_DIR/danted.log"
        printf 'internal:     127.0.0.1 port = %s\n' "$1"
        printf 'external:     127.0.0.1\n'
        printf 'socksmethod:  none\n'
        printf 'clientmethod: none\n'
        # as root it does most of its work as user.unprivileged
        [ "$(id -u)" -eq 0 ] &&
            printf 'user.privileged:   root\nuser.unprivileged: nobody\n'
        if [ -n "$DANTE_LINES" ]; then
            printf '%s\n' "$DANTE_LINES"
        fi
        printf 'client pass { from: 127.0.0.0/8 to: 0/0 }\n'
        printf 'socks pass  { from: 127.0.0.0/8 to: 0/0 command: connect }\n'
    } > "$DANTE_DIR/danted.conf"
}

# bench_danted 'LINES': Dante's SOCKS server (Debian package dante-server)
# in the foreground on a free port, `danted -f FILE -N 1 -p PIDFILE` (its
# pid file in DANTE_DIR, not /var/run/danted.pid): one mother
# process, which forks its negotiate, request and io children as the load
# asks (Dante has no one-process mode). No authentication, CONNECT from
# 127.0.0.0/8 to anywhere, its log in DANTE_DIR; LINES are server settings
# added before the rules. Sets DANTE_PORT DANTE_PID DANTE_DIR and adds
# "dante" to the paths measured (last) unless bench_paths named it.
bench_danted() {
    local out
    DANTE_LINES=$1
    DANTE_DIR=$BENCH_TMP/dante
    mkdir -p "$DANTE_DIR"
    bench_add_path dante
    [ -x "$DANTED" ] || { bench_start_failed dante "danted is missing"; return 1; }
    bench_danted_conf 1
    if ! out=$("$DANTED" -V -f "$DANTE_DIR/danted.conf" 2>&1); then
        bench_start_failed dante "danted rejects its configuration: $out"
        return 1
    fi
    BENCH_EXTRA_LOG=$DANTE_DIR/danted.log \
        bench_start_server dante bench_danted_conf "$DANTE_DIR/stderr.log" \
        "$DANTED" -f "$DANTE_DIR/danted.conf" -N 1 -p "$DANTE_DIR/danted.pid" || return 1
    DANTE_PORT=$REPLY_PORT DANTE_PID=$REPLY
    bench_register dante "$DANTE_PORT" "$DANTE_PID" "mother process"
}

MS_DIR='' MS_PORT='' MS_PID=''
# bench_microsocks [ARGS...]: microsocks (Debian package; one process, a
# thread per client) on a free port, `microsocks -i 127.0.0.1 -p PORT
# ARGS...` (e.g. -u USER -P PASS; no config file), its output in MS_DIR.
# Sets MS_PORT MS_PID and adds "microsocks" to the paths measured (last)
# unless bench_paths named it.
bench_microsocks() {
    MS_DIR=$BENCH_TMP/microsocks
    mkdir -p "$MS_DIR"
    bench_add_path microsocks
    command -v microsocks >/dev/null 2>&1 ||
        { bench_start_failed microsocks "microsocks is missing"; return 1; }
    bench_start_server microsocks : "$MS_DIR/stderr.log" \
        microsocks -i 127.0.0.1 -p @PORT@ "$@" || return 1
    MS_PORT=$REPLY_PORT MS_PID=$REPLY
    bench_register microsocks "$MS_PORT" "$MS_PID" process
}

# ------------------------------------------------------------ the paths

# bench_register PATH PORT PID [WHAT]: PATH's clients use PORT; PID is
# the server behind it (WHAT it is: "master process" unless told), and a
# path whose server exits is failed from then on.
bench_register() {
    BENCH_PORT[$1]=$2
    BENCH_SRV[$1]=$3
    BENCH_SRV_WHAT[$1]=${4:-master process}
}

bench_add_path() {      # PATH: measured last, unless measured already
    case " ${BENCH_PATHS[*]} " in
        *" $1 "*) ;;
        *) BENCH_PATHS+=("$1") ;;
    esac
}

# bench_paths PATH...: the paths a scenario measures, in this order, each
# round (default: direct gateway nginx). Call it before starting servers.
bench_paths() {
    [ $# -gt 0 ] || bench_die "bench_paths: no paths"
    BENCH_PATHS=("$@")
}

# bench_ref PATH: the path the last column and the targets compare
# gateway with (default: nginx).
bench_ref() {
    case " ${BENCH_PATHS[*]} " in
        *" $1 "*) BENCH_REF=$1 ;;
        *) bench_die "bench_ref: $1 is not one of the paths (${BENCH_PATHS[*]})" ;;
    esac
}

# ------------------------------------------------------------ measuring

bench_note() {          # TEXT: printed under the table
    BENCH_NOTES+=("$*")
}

bench_fmt() {           # VALUE SCALE: about three significant digits
    awk -v v="$1" -v s="$2" 'BEGIN {
        v /= s
        if (v >= 100) printf "%.0f", v
        else if (v >= 10) printf "%.1f", v
        else printf "%.2f", v }'
}

bench_median() {        # VALUES...: median of the numbers ("fail" skipped)
    printf '%s\n' "$@" | grep -E '^[0-9.eE+-]+$' | sort -g |
        awk '{ a[NR] = $1 } END {
            if (NR == 0) exit
            if (NR % 2) printf "%.6g\n", a[(NR + 1) / 2]
            else printf "%.6g\n", (a[NR / 2] + a[NR / 2 + 1]) / 2 }'
}

bench_ratio() {         # A B: "0.62x", or "-" when either is missing
    [ -n "$1" ] && [ -n "$2" ] || { echo "-"; return; }
    awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2fx", a / b; else printf "-" }'
}

# The server behind a path is still up? Sets BENCH_BROKEN when not.
bench_check_path() {    # PATH
    local pid=${BENCH_SRV[$1]:-} what=${BENCH_SRV_WHAT[$1]:-master process}
    [ -z "$pid" ] && return 0
    bench_alive "$pid" && return 0
    BENCH_BROKEN[$1]="$1 ${what% process} (pid $pid) exited"
    bench_note "$1: the $what (pid $pid) exited during the run"
    return 1
}

# bench_rounds LABEL MEASURE_FN DIRECT_PORT: one warm-up per path (1 s,
# not counted; a path whose warm-up fails, or whose server did not start,
# is skipped), then ROUNDS rounds
# of every path in BENCH_PATHS order (direct, gateway, nginx, ...), each
# DURATION seconds. A path's port is the one its starter registered.
bench_rounds() {
    local label=$1 fn=$2 path r line v
    BENCH_PORT[direct]=$3
    for path in "${BENCH_PATHS[@]}"; do
        BENCH_VALS[$path]=
        BENCH_ROUND=warmup
        BENCH_ERR=
        if [ -n "${BENCH_BROKEN[$path]:-}" ] || ! bench_check_path "$path"; then
            continue
        fi
        if ! "$fn" "$path" "${BENCH_PORT[$path]:-}" 1; then
            BENCH_BROKEN[$path]="warm-up failed: $BENCH_ERR"
            bench_note "$path: warm-up failed, path skipped: $BENCH_ERR"
        fi
    done
    for r in $(seq "$ROUNDS"); do
        BENCH_ROUND=$r
        line="  round $r/$ROUNDS:"
        for path in "${BENCH_PATHS[@]}"; do
            if [ -n "${BENCH_BROKEN[$path]:-}" ] || ! bench_check_path "$path"; then
                v=fail
            else
                BENCH_ERR=
                if "$fn" "$path" "${BENCH_PORT[$path]:-}" "$DURATION"; then
                    v=$REPLY
                    bench_check_path "$path" || v=fail
                else
                    v=fail
                    bench_note "$path round $r failed: $BENCH_ERR"
                fi
            fi
            BENCH_VALS[$path]="${BENCH_VALS[$path]} $v"
            line="$line  $path $( [ "$v" = fail ] && echo fail || bench_fmt "$v" "$BENCH_SCALE")"
        done
        echo "$line"
    done
}

BENCH_HEADER_FMT='%-15s %-*s %-14s %-*s  %-10s %s\n'

# bench_print_rows FILE: a header and the rows of FILE (separated by |:
# scenario, path, median, rounds, vs direct, vs REF, and REF, the path of
# that column: nginx when missing), aligned. The header is printed again
# where REF changes from one row to the next.
bench_print_rows() {
    local width=25 pw=8 l p m r d n ref shown=
    while IFS='|' read -r l p m r d n ref; do
        [ ${#r} -gt $width ] && width=${#r}
        [ ${#p} -gt $pw ] && pw=${#p}
    done < "$1"
    while IFS='|' read -r l p m r d n ref; do
        ref=${ref:-nginx}
        if [ "$ref" != "$shown" ]; then
            # shellcheck disable=SC2059
            printf "$BENCH_HEADER_FMT" scenario "$pw" path median "$width" rounds "vs direct" "vs $ref"
            shown=$ref
        fi
        # shellcheck disable=SC2059
        printf "$BENCH_HEADER_FMT" "$l" "$pw" "$p" "$m" "$width" "$r" "$d" "$n" | sed 's/ *$//'
    done < "$1"
}

# bench_report LABEL UNIT: the table; rows also go to BENCH_RESULTS.
# Uses BENCH_SCALE (values are divided by it for display).
bench_report() {
    local label=$1 unit=$2 path v rounds med shown vsd vsn rows=$BENCH_TMP/rows
    declare -A rstr
    for path in "${BENCH_PATHS[@]}"; do
        rounds=
        for v in ${BENCH_VALS[$path]}; do
            if [ "$v" = fail ]; then
                rounds="$rounds fail"
            else
                rounds="$rounds $(bench_fmt "$v" "$BENCH_SCALE")"
            fi
        done
        rstr[$path]=${rounds# }
        # shellcheck disable=SC2086
        BENCH_MEDIAN[$path]=$(bench_median ${BENCH_VALS[$path]})
    done
    : > "$rows"
    for path in "${BENCH_PATHS[@]}"; do
        med=${BENCH_MEDIAN[$path]}
        if [ -n "$med" ]; then
            shown="$(bench_fmt "$med" "$BENCH_SCALE") $unit"
        else
            shown="n/a"
        fi
        # every proxy against direct, and all but the reference against it
        vsd='' vsn=''
        if [ "$path" != direct ]; then
            vsd=$(bench_ratio "$med" "${BENCH_MEDIAN[direct]:-}")
            [ "$path" != "$BENCH_REF" ] &&
                vsn=$(bench_ratio "$med" "${BENCH_MEDIAN[$BENCH_REF]:-}")
        fi
        echo "$label|$path|$shown|${rstr[$path]}|$vsd|$vsn|$BENCH_REF" >> "$rows"
    done
    echo
    bench_print_rows "$rows"
    [ -n "${BENCH_RESULTS:-}" ] && cat "$rows" >> "$BENCH_RESULTS"
    bench_print_notes
    bench_log_summary gateway "$GW_DIR/error.log"
    bench_log_summary nginx "$NGX_DIR/error.log"
    [ -n "$TP_DIR" ] && bench_log_summary tinyproxy "$TP_DIR/tinyproxy.log" tinyproxy
    [ -n "$DANTE_DIR" ] && bench_log_summary dante "$DANTE_DIR/danted.log" dante
    [ -n "$MS_DIR" ] && bench_log_summary microsocks "$MS_DIR/stderr.log" microsocks
    return 0
}

bench_print_notes() {
    local n
    [ ${#BENCH_NOTES[@]} -eq 0 ] && return 0
    echo "notes:"
    for n in "${BENCH_NOTES[@]}"; do
        echo "  $n"
    done
}

# Warnings and worse in an error log (it is opened at level warn). FORMAT
# nginx (gateway's too: "DATE TIME [level] PID#TID: ..."), tinyproxy
# ("LEVEL   Mon DD HH:MM:SS.mmm [PID]: ..."), dante ("Mon DD HH:MM:SS
# (EPOCH) danted[PID]: level: ...") or microsocks (its stderr: a line
# "client[FD] ADDR: connected to ADDR:PORT" for every connection, which
# is not counted, and perror()'s messages, which are), the last three
# turned into the first.
bench_log_summary() {   # NAME FILE [FORMAT]
    local name=$1 file=$2 n
    [ -s "$file" ] || return 0
    case ${3:-nginx} in
        tinyproxy)
            sed -E 's/^WARNING +/[warn] /; s/^ERROR +/[error] /; s/^CRITICAL +/[crit] /
                    s/^(\[[a-z]+\] )[A-Z][a-z]{2} +[0-9]+ [0-9:.]+ \[[0-9]+\]: /\1/' \
                "$file" > "$file.summary"
            file=$file.summary ;;
        dante)
            sed -E 's/^[A-Z][a-z]{2} +[0-9]+ [0-9:]+ \([0-9.]+\) danted\[[0-9]+\]: //
                    s/^warning: /[warn] /; s/^error: /[error] /; s/^alert: /[alert] /
                    s/^(crit|emerg): /[\1] /' "$file" > "$file.summary"
            file=$file.summary ;;
        microsocks)
            grep -v -E '^client\[[0-9]+\] [^ ]+: connected to ' "$file" |
                sed 's/^/[error] /' > "$file.summary"
            file=$file.summary ;;
    esac
    n=$(grep -c -E '\[(warn|error|crit|alert|emerg)\]' "$file")
    [ "$n" -gt 0 ] || return 0
    echo "$name error log: $n lines at warn or worse, most frequent:"
    # drop the time stamp and pid, count alike messages
    sed -E 's/^[0-9\/]+ [0-9:]+ //; s/[0-9]+#[0-9]+: (\*[0-9]+ )?//' "$file" |
        grep -E '^\[(warn|error|crit|alert|emerg)\]' |
        sed -E 's/127\.0\.0\.1:[0-9]+/127.0.0.1:N/g; s/[0-9]{4,}/N/g; s/(client|pid|process|fd) [0-9]+/\1 N/g' |
        cut -c1-200 | sort | uniq -c | sort -rn | head -8 | sed 's/^/  /'
    if [ "${KEEP_TMP:-0}" = 1 ]; then
        echo "  (whole log: $2)"
    else
        echo "  (KEEP_TMP=1 keeps the whole log)"
    fi
}

bench_verdict() {        # RATIO TARGET: PASS, MISS, or n/a (no ratio)
    if [ "$1" = - ]; then
        echo n/a
    elif awk -v r="${1%x}" -v t="$2" 'BEGIN { exit !(r >= t) }'; then
        echo PASS
    else
        echo MISS
    fi
}

# bench_target LABEL TARGET [PATH:TARGET...]: gateway/REF (bench_ref,
# nginx by default) against TARGET, a line for the summary (printed here
# when run without bench/run); gateway against the other proxies follows
# in parentheses, with its own target and verdict for each PATH:TARGET
# given, e.g. `bench_target "socks5 connect" 2 microsocks:1.3`:
#   socks5 connect  gateway/dante 2.10x  target 2x  PASS   (gateway/microsocks 1.41x  target 1.3x  PASS)
bench_target() {
    local label=$1 target=$2 ratio verdict path extra t
    declare -A more
    shift 2
    for extra in "$@"; do
        path=${extra%%:*} t=${extra#*:}
        case " ${BENCH_PATHS[*]} " in
            *" $path "*) ;;
            *) bench_die "bench_target: $path is not one of the paths (${BENCH_PATHS[*]})" ;;
        esac
        if [ "$path" = "$extra" ] || [ -z "$t" ]; then
            bench_die "bench_target: want PATH:TARGET, got '$extra'"
        fi
        more[$path]=$t
    done
    ratio=$(bench_ratio "${BENCH_MEDIAN[gateway]:-}" "${BENCH_MEDIAN[$BENCH_REF]:-}")
    verdict=$(bench_verdict "$ratio" "$target")
    line=$(printf '%-15s gateway/%s %-6s target %sx  %s' "$label" "$BENCH_REF" "$ratio" "$target" "$verdict")
    for path in "${BENCH_PATHS[@]}"; do
        case $path in direct|gateway|"$BENCH_REF") continue ;; esac
        ratio=$(bench_ratio "${BENCH_MEDIAN[gateway]:-}" "${BENCH_MEDIAN[$path]:-}")
        if [ -n "${more[$path]:-}" ]; then
            # a target is shown even when a median is missing (n/a)
            line="$line   (gateway/$path $ratio  target ${more[$path]}x  $(bench_verdict "$ratio" "${more[$path]}"))"
        elif [ -n "${BENCH_MEDIAN[$path]:-}" ]; then
            line="$line   (gateway/$path $ratio)"
        fi
    done
    if [ -n "${BENCH_SUMMARY:-}" ]; then
        echo "$line" >> "$BENCH_SUMMARY"
    else
        echo
        echo "target: $line"
    fi
}

# A scenario ends: non-zero when a path produced no number at all.
bench_finish() {
    local path bad=0
    for path in "${BENCH_PATHS[@]}"; do
        [ -n "${BENCH_MEDIAN[$path]:-}" ] || bad=1
    done
    return $bad
}
