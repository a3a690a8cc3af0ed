#!/usr/bin/env bash
# The command line: -s stop and -s quit through the pid file; a second
# master on the pid file of a live one is refused; a stale pid file is
# not; process titles; daemon on (the default) detaches, writes the pid
# file and is stopped with -s stop; -v, -h, bad flags, -s with no master.
. "$(dirname "$0")/lib.sh"

read -r P_UP P1 P2 P3 P4 P5 < <(ports 6)
backend echo echo "127.0.0.1:$P_UP"

# conf_on FILE PORT: a configuration on PORT with the pid file in $T
conf_on() {
    write_conf "$1" <<EOF
$MAIN
listener echo {
    listen 127.0.0.1:$2;
    handler tcp;
    proxy_pass 127.0.0.1:$P_UP;
}
EOF
}
served() { [ "$("$TC" -t 2000 -s "$2" read "127.0.0.1:$1" 2>/dev/null)" = "$2" ]; }
title() { tr '\0' ' ' <"/proc/$1/cmdline" 2>/dev/null; }
pidfile_names() { [ "$(cat "$T/gw.pid" 2>/dev/null)" = "$1" ]; }

# ---- foreground master: titles, pid file, -s stop
conf_on "$CONF" "$P1"
gw_start "$P1"
w=$(workers_of "$GW_PID")
check "the pid file names the master" pidfile_names "$GW_PID"
case "$(title "$GW_PID")" in
"gateway: master process "*) ok "ps shows 'gateway: master process ...'" ;;
*) not_ok "ps shows 'gateway: master process ...'" "title: '$(title "$GW_PID")'" ;;
esac
case "$(ps -o args= -p "$w")" in
"gateway: worker process"*) ok "ps shows 'gateway: worker process'" ;;
*) not_ok "ps shows 'gateway: worker process'" "title: '$(ps -o args= -p "$w")'" ;;
esac

# a second master on the same pid file is refused, the first one untouched
conf_on "$T/second.conf" "$P2"
err=$(timeout 5 "$GW" -c "$T/second.conf" -g 'daemon off;' 2>&1); rc=$?
if [ $rc -ne 0 ] && [ $rc -ne 124 ] && [[ "$err" == *"[emerg]"*"pid"* ]]; then
    ok "a second master on the pid file of a live one is refused"
    echo "# $err"
else
    not_ok "a second master on the pid file of a live one is refused" "rc $rc: $err"
fi
check "the second master opened no port" not_listening "$P2"
check "the first master is untouched" pidfile_names "$GW_PID"
check "and still serves" served "$P1" first

out=$("$GW" -c "$CONF" -s stop 2>&1); rc=$?
if [ $rc -eq 0 ] && wait_gone "$GW_PID" 2000 && wait_gone "$w" 1000; then
    ok "-s stop stops master and worker"
else
    not_ok "-s stop stops master and worker" "rc $rc: $out"
fi
check "-s stop: the pid file is removed" test ! -e "$T/gw.pid"

# ---- -s quit
conf_on "$CONF" "$P3"
gw_start "$P3"
w=$(workers_of "$GW_PID")
out=$("$GW" -c "$CONF" -s quit 2>&1); rc=$?
if [ $rc -eq 0 ] && wait_gone "$GW_PID" 3000 && wait_gone "$w" 1000; then
    ok "-s quit stops master and worker"
else
    not_ok "-s quit stops master and worker" "rc $rc: $out"
fi
check "-s quit: the error log says graceful" has_line "$T/error.log" "graceful"

# ---- -s with no master
out=$("$GW" -c "$CONF" -s stop 2>&1); rc=$?
if [ $rc -ne 0 ] && [[ "$out" == *"[emerg]"* ]]; then
    ok "-s stop with no pid file fails with a message"
else
    not_ok "-s stop with no pid file fails with a message" "rc $rc: $out"
fi

# ---- a stale pid file (its process is gone) does not block a start
sleep 0 & stale=$!
wait "$stale"
echo "$stale" >"$T/gw.pid"
conf_on "$CONF" "$P4"
"$GW" -c "$CONF" -g 'daemon off;' >>"$T/gw.out" 2>&1 &
GW_PID=$!
track "$GW_PID"
if wait_workers "$GW_PID" 1 3000 && wait_listen "$P4" 2000 && served "$P4" stale; then
    ok "a stale pid file does not block a start"
else
    not_ok "a stale pid file does not block a start" "$(tail -n 3 "$T/gw.out")"
fi
check "the stale pid file is rewritten" wait_until 2000 pidfile_names "$GW_PID"
gw_stop TERM

# ---- daemon on (the default): detaches, pid file, -s stop
conf_on "$CONF" "$P5"
rm -f "$T/gw.pid"
t0=$(now_ms)
timeout 5 "$GW" -c "$CONF" >"$T/daemon.out" 2>&1; rc=$?
ms=$(($(now_ms) - t0))
check "daemon on: the command returns at once with 0" test $rc -eq 0 -a $ms -lt 3000
wait_until 3000 test -s "$T/gw.pid"
dpid=$(cat "$T/gw.pid" 2>/dev/null)
if [[ "$dpid" =~ ^[0-9]+$ ]] && alive "$dpid"; then
    track "$dpid"
    ok "daemon on: the pid file names a running master"
    ppid=$(ps -o ppid= -p "$dpid" | tr -d ' ')
    sid=$(ps -o sid= -p "$dpid" | tr -d ' ')
    if [ "$ppid" != "$$" ] && [ "$sid" != "$(ps -o sid= -p $$ | tr -d ' ')" ]; then
        ok "daemon on: detached (not our child, own session)"
    else
        not_ok "daemon on: detached (not our child, own session)" "ppid $ppid, sid $sid"
    fi
    case "$(title "$dpid")" in
    "gateway: master process "*) ok "daemon on: master title" ;;
    *) not_ok "daemon on: master title" "'$(title "$dpid")'" ;;
    esac
    wait_workers "$dpid" 1 3000
    dw=$(workers_of "$dpid")
    [ -n "$dw" ] && track "$dw"
    if wait_listen "$P5" 2000 && served "$P5" daemon; then
        ok "daemon on: serves"
    else
        not_ok "daemon on: serves"
    fi
    out=$("$GW" -c "$CONF" -s stop 2>&1); rc=$?
    if [ $rc -eq 0 ] && wait_gone "$dpid" 3000 && { [ -z "$dw" ] || wait_gone "$dw" 1000; }; then
        ok "daemon on: -s stop stops it"
    else
        not_ok "daemon on: -s stop stops it" "rc $rc: $out"
    fi
    check "daemon on: the pid file is removed" test ! -e "$T/gw.pid"
else
    not_ok "daemon on: the pid file names a running master" "pid file: '$dpid', $(cat "$T/daemon.out")"
fi

# ---- -v, -h, a bad flag
out=$("$GW" -v 2>&1); rc=$?
if [ $rc -eq 0 ] && [[ "$out" =~ gateway\ version\ [0-9]+\.[0-9]+ ]]; then
    ok "-v prints the version"
else
    not_ok "-v prints the version" "rc $rc: $out"
fi
out=$("$GW" -h 2>&1); rc=$?
if [ $rc -eq 0 ] && [[ "$out" == *"-c FILE"* ]] && [[ "$out" == *"-s SIGNAL"* ]]; then
    ok "-h prints the usage"
else
    not_ok "-h prints the usage" "rc $rc: $out"
fi
out=$("$GW" -Z 2>&1); rc=$?
if [ $rc -ne 0 ] && [[ "$out" == *"Usage"* ]]; then
    ok "an unknown flag fails with the usage"
else
    not_ok "an unknown flag fails with the usage" "rc $rc: $out"
fi
out=$("$GW" -c "$CONF" -s bogus 2>&1); rc=$?
check "-s with an unknown signal name fails" test $rc -ne 0

# -c defaults to gateway.conf in the current directory
mkdir -p "$T/cwd"
conf_on "$T/cwd/gateway.conf" "$P5"
out=$(cd "$T/cwd" && "$GW" -t 2>&1); rc=$?
if [ $rc -eq 0 ] && [[ "$out" == *"gateway.conf test is successful"* ]]; then
    ok "without -c, gateway.conf in the current directory"
else
    not_ok "without -c, gateway.conf in the current directory" "rc $rc: $out"
fi
