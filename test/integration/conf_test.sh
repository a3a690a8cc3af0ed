#!/usr/bin/env bash
# -t and -T: a good file passes (exit 0, the "test is successful" line);
# each class of mistake exits 1 with "gateway: [emerg] MESSAGE in
# FILE:LINE" naming the exact line, including inside an included file and
# for -g; -T prints the parsed configuration; -t starts nothing.
. "$(dirname "$0")/lib.sh"

read -r P1 P2 P3 < <(ports 3)
LSN="listener a {
    listen 127.0.0.1:$P1;
    handler tcp;
    proxy_pass 127.0.0.1:$P2;
}"

# good NAME [GW ARGS...] < CONF: -t exits 0 with the success line
good() {
    local name=$1 f="$T/good.conf" err rc
    shift
    cat >"$f"
    err=$("$GW" -t -c "$f" "$@" 2>&1 >/dev/null); rc=$?
    if [ $rc -eq 0 ] && [[ "$err" == *"gateway: configuration file $f test is successful"* ]]; then
        ok "$name"
    else
        not_ok "$name" "rc $rc, stderr: $err"
    fi
}

# bad NAME WHERE LINE REGEX [GW ARGS...] < CONF: -t on CONF (written to
# a fresh $T/badN.conf) exits 1 with "[emerg] ...REGEX... in WHERE:LINE";
# WHERE "-" stands for the file itself, else it names an included file
n_bad=0
bad() {
    local name=$1 where=$2 line=$3 re=$4 f err rc
    shift 4
    n_bad=$((n_bad + 1))
    f="$T/bad$n_bad.conf"
    [ "$where" = - ] && where=$f
    cat >"$f"
    err=$("$GW" -t -c "$f" "$@" 2>&1 >/dev/null); rc=$?
    if [ $rc -eq 1 ] && grep -qE -- "^gateway: \[emerg\] .*$re.* in ${where//./\\.}:$line\$" <<<"$err"; then
        ok "$name"
    else
        not_ok "$name" "rc $rc, wanted /$re/ at $where:$line, stderr: $(head -n 2 <<<"$err")"
    fi
}

good "-t on a good file" <<EOF
# comments and quoting
worker_processes 1;     # one
worker_connections 64;
pid "$T/gw.pid";
error_log '$T/error.log' info;
upstream "back" {
    server 127.0.0.1:$P2 weight=5 max_fails=2 fail_timeout=5s;
    server [::1]:$P2 backup;
    server 127.0.0.1:$P3 down;
    balance least_conn;
}
listener 'a' {
    listen 127.0.0.1:$P1 backlog=64;
    listen [::1]:$P1;
    handler tcp;
    proxy_pass back;
    connect_timeout 500ms;
    idle_timeout 1m;
    next_upstream_tries 2;
    access_log $T/access.log;
    allow 127.0.0.0/8;
    allow ::1;
    deny all;
}
EOF

bad "unknown directive" - 3 'unknown directive "frobnicate"' <<EOF
worker_processes 1;

frobnicate on;
$LSN
EOF

bad "unknown directive inside a block" - 5 'unknown directive "hanlder"' <<EOF
worker_processes 1;
listener a {
    listen 127.0.0.1:$P1;
    proxy_pass 127.0.0.1:$P2;
    hanlder tcp;
}
EOF

bad "directive in the wrong block: server in main" - 7 '"server" directive is not allowed here' <<EOF
worker_processes 1;
$LSN
server 127.0.0.1:$P2;
EOF

bad "directive in the wrong block: listen in upstream" - 4 '"listen" directive is not allowed here' <<EOF
worker_processes 1;
upstream u {
    server 127.0.0.1:$P2;
    listen 127.0.0.1:$P1;
}
EOF

bad "directive in the wrong block: worker_processes in listener" - 3 '"worker_processes" directive is not allowed here' <<EOF
listener a {
    listen 127.0.0.1:$P1;
    worker_processes 2;
    handler tcp;
    proxy_pass 127.0.0.1:$P2;
}
EOF

bad "wrong number of arguments: too many" - 1 'invalid number of arguments in "worker_processes"' <<EOF
worker_processes 1 2;
$LSN
EOF

bad "wrong number of arguments: none" - 4 'invalid number of arguments in "handler"' <<EOF
worker_processes 1;
listener a {
    listen 127.0.0.1:$P1;
    handler;
    proxy_pass 127.0.0.1:$P2;
}
EOF

bad "bad value: worker_processes abc" - 2 '"worker_processes" directive has invalid value "abc"' <<EOF
pid $T/gw.pid;
worker_processes abc;
$LSN
EOF

bad "bad value: time 5x" - 6 '"idle_timeout" directive has invalid value "5x"' <<EOF
listener a {
    listen 127.0.0.1:$P1;
    handler tcp;
    proxy_pass 127.0.0.1:$P2;

    idle_timeout 5x;
}
EOF

bad "bad value: port 99999" - 2 '"listen" directive has invalid address "127\.0\.0\.1:99999"' <<EOF
listener a {
    listen 127.0.0.1:99999;
    handler tcp;
    proxy_pass 127.0.0.1:$P2;
}
EOF

bad "bad value: handler bogus" - 3 '"handler" directive has invalid value "bogus"' <<EOF
listener a {
    listen 127.0.0.1:$P1;
    handler bogus;
    proxy_pass 127.0.0.1:$P2;
}
EOF

bad "bad value: CIDR 300.1.1.1" - 5 '"allow" directive has invalid value "300\.1\.1\.1"' <<EOF
listener a {
    listen 127.0.0.1:$P1;
    handler tcp;
    proxy_pass 127.0.0.1:$P2;
    allow 300.1.1.1;
}
EOF

bad "bad value: balance bogus" - 3 '"balance" directive has invalid value "bogus"' <<EOF
upstream u {
    server 127.0.0.1:$P2;
    balance bogus;
}
$LSN
EOF

bad "bad value: server weight=0" - 3 '"server" directive has invalid parameter "weight=0"' <<EOF
worker_processes 1;
upstream u {
    server 127.0.0.1:$P2 weight=0;
}
$LSN
EOF

bad "bad value: error_log level" - 1 '"error_log" directive has invalid level "loud"' <<EOF
error_log $T/error.log loud;
$LSN
EOF

bad "duplicate listen address in another listener" - 10 "duplicate listen address \"127\\.0\\.0\\.1:$P1\"" <<EOF
$LSN
listener b {
    listen 127.0.0.1:$P3;
    handler tcp;
    proxy_pass 127.0.0.1:$P2;
    listen 127.0.0.1:$P1;
}
EOF

bad "duplicate listen address in one listener" - 4 "duplicate listen address \"\\[::1\\]:$P1\"" <<EOF
listener a {
    listen [::1]:$P1;
    handler tcp;
    listen [::1]:$P1;
    proxy_pass 127.0.0.1:$P2;
}
EOF

bad "undefined upstream" - 5 'upstream "nosuch" is not defined' <<EOF
upstream other { server 127.0.0.1:$P2; }
listener a {
    listen 127.0.0.1:$P1;
    handler tcp;
    proxy_pass nosuch;
}
EOF

bad "unterminated block" - 7 'unexpected end of file, expecting "}"' <<EOF
worker_processes 1;
listener a {
    listen 127.0.0.1:$P1;
    handler tcp;
    proxy_pass 127.0.0.1:$P2;

EOF

bad "unterminated quote" - 7 "unexpected end of file, expecting '\"'" <<EOF
worker_processes 1;
listener a {
    listen 127.0.0.1:$P1;
    handler tcp;
    proxy_pass "127.0.0.1:$P2;
}
EOF

bad "unexpected }" - 2 'unexpected "}"' <<EOF
worker_processes 1;
}
$LSN
EOF

bad "missing ;" - 1 '"worker_processes" is not terminated by ";"' <<EOF
worker_processes 1
$LSN
EOF

bad "listener without listen" - 2 'no "listen" directive' <<EOF
worker_processes 1;
listener a {
    handler tcp;
    proxy_pass 127.0.0.1:$P2;
}
EOF

bad "tcp listener without proxy_pass" - 1 'no "proxy_pass" directive' <<EOF
listener a {
    listen 127.0.0.1:$P1;
    handler tcp;
}
EOF

bad "directive given twice" - 3 '"idle_timeout" directive is duplicate' <<EOF
listener a {
    idle_timeout 1s;
    idle_timeout 2s;
    listen 127.0.0.1:$P1;
    handler tcp;
    proxy_pass 127.0.0.1:$P2;
}
EOF

# include GLOB, relative to the configuration's directory: a mistake in an
# included file is reported with that file and its line
mkdir -p "$T/conf.d"
cat >"$T/conf.d/10-good.conf" <<EOF
$LSN
EOF
cat >"$T/conf.d/20-bad.conf" <<EOF
# second included file

listener b {
    listen 127.0.0.1:$P3;
    handler tcp;
    proxy_pass nowhere;
}
EOF
bad "include of a glob: error in the included file" "$T/conf.d/20-bad.conf" 6 \
    'upstream "nowhere" is not defined' <<EOF
worker_processes 1;
include conf.d/*.conf;
EOF
rm "$T/conf.d/20-bad.conf"
good "include of a glob, relative to the configuration file" <<EOF
worker_processes 1;
include conf.d/*.conf;
EOF
bad "include of a missing file" - 7 'include.*missing\.conf' <<EOF
worker_processes 1;
$LSN
include missing.conf;
EOF

# -g: its directives count as if first in the main context
bad "-g 'daemon off;' plus daemon off; in the file is a duplicate" - 2 \
    '"daemon" directive is duplicate' -g 'daemon off;' <<EOF
worker_processes 1;
daemon off;
$LSN
EOF
good "-g 'daemon off;' alone is fine" -g 'daemon off;' <<EOF
$LSN
EOF
err=$("$GW" -t -c "$T/good.conf" -g 'bogus on;' 2>&1); rc=$?
if [ $rc -eq 1 ] && [[ "$err" == *'[emerg] unknown directive "bogus"'* ]]; then
    ok "-g with an unknown directive"
else
    not_ok "-g with an unknown directive" "rc $rc, stderr: $err"
fi

err=$("$GW" -t -c "$T/nonexistent.conf" 2>&1); rc=$?
if [ $rc -eq 1 ] && [[ "$err" == *"[emerg]"*"$T/nonexistent.conf"* ]]; then
    ok "-t on a missing file"
else
    not_ok "-t on a missing file" "rc $rc, stderr: $err"
fi

# -T prints the parsed configuration (with the defaults filled in) on
# stdout; relative paths are resolved against the file's directory
mkdir -p "$T/sub"
cat >"$T/sub/gw.conf" <<EOF
worker_processes 3;
pid run/gw.pid;
upstream back { server 127.0.0.1:$P2 weight=4; }
listener dumped {
    listen 127.0.0.1:$P1;
    handler tcp;
    proxy_pass back;
    access_log logs/access.log;
}
EOF
out=$("$GW" -T -c "$T/sub/gw.conf" 2>"$T/T.err"); rc=$?
missing=""
for want in "worker_processes 3;" "pid $T/sub/run/gw.pid;" "upstream back {" \
    "server 127.0.0.1:$P2 weight=4" "listener dumped {" "listen 127.0.0.1:$P1" \
    "handler tcp;" "proxy_pass back;" "access_log $T/sub/logs/access.log;" \
    "idle_timeout 10m;" "connect_timeout 10s;" "worker_connections 1024;"; do
    grep -qF -- "$want" <<<"$out" || missing="$missing [$want]"
done
if [ $rc -eq 0 ] && [ -z "$missing" ] && grep -q "test is successful" "$T/T.err"; then
    ok "-T prints the parsed configuration with defaults"
else
    not_ok "-T prints the parsed configuration with defaults" "rc $rc, missing:$missing"
fi
# what -T prints is itself a valid configuration that prints the same
printf '%s\n' "$out" >"$T/sub/again.conf"
out2=$("$GW" -T -c "$T/sub/again.conf" 2>/dev/null)
if [ "$(grep -v '^#' <<<"$out")" = "$(grep -v '^#' <<<"$out2")" ]; then
    ok "-T output parses back to the same configuration"
else
    not_ok "-T output parses back to the same configuration" \
        "$(diff <(echo "$out") <(echo "$out2") | head -5)"
fi

# names and paths that need quotes survive -T too
cat >"$T/sub/quoted.conf" <<EOF
upstream "my back" { server 127.0.0.1:$P2; }
listener "front end" {
    listen 127.0.0.1:$P1;
    handler tcp;
    proxy_pass "my back";
    access_log "$T/sub/access log#1.log";
}
EOF
out=$("$GW" -T -c "$T/sub/quoted.conf" 2>/dev/null)
printf '%s\n' "$out" >"$T/sub/quoted-again.conf"
err=$("$GW" -T -c "$T/sub/quoted-again.conf" 2>&1 >"$T/sub/quoted-again.out"); rc=$?
if [ $rc -eq 0 ] && [ "$(grep -v '^#' <<<"$out")" = "$(grep -v '^#' "$T/sub/quoted-again.out")" ]; then
    ok "-T output with quoted names and paths parses back"
else
    not_ok "-T output with quoted names and paths parses back" \
        "rc $rc: $err; -T printed: $(grep -E 'upstream|listener|access_log|proxy_pass' <<<"$out" | tr '\n' '|')"
fi

# -t starts nothing: no pid file, no listening socket
cat >"$CONF" <<EOF
pid $T/t.pid;
$LSN
EOF
"$GW" -t -c "$CONF" 2>/dev/null
if [ ! -e "$T/t.pid" ] && not_listening "$P1"; then
    ok "-t starts nothing"
else
    not_ok "-t starts nothing" "pid file or port $P1 exists"
fi
