#!/usr/bin/env bash
# http_reverse passive health: in a group with a dead server (max_fails=1)
# the first request finds it dead and is carried by the live one; the
# following requests go straight to the live one (no second connect to
# the dead one within fail_timeout); once fail_timeout passed, the dead
# one is tried again; next_upstream_tries 1 answers 502 instead of trying
# on; a group with every server dead answers 502; a backup server takes
# over when every primary is down; a POST is carried over too (nothing
# was sent on a refused connect).
. "$(dirname "$0")/lib.sh"

read -r P_GW P_ONE P_ALL P_BK P_POST P_DEAD P_DEAD2 P_LIVE P_BACKUP < <(ports 9)
origin live "127.0.0.1:$P_LIVE"
origin backup "127.0.0.1:$P_BACKUP"
write_conf <<EOF
$MAIN
upstream pair {
    server 127.0.0.1:$P_DEAD max_fails=1 fail_timeout=1s;
    server 127.0.0.1:$P_LIVE;
}
upstream pair1 {
    server 127.0.0.1:$P_DEAD2 max_fails=1 fail_timeout=10s;
    server 127.0.0.1:$P_LIVE;
}
upstream pairpost { server 127.0.0.1:$P_DEAD2; server 127.0.0.1:$P_LIVE; }
upstream dead { server 127.0.0.1:$P_DEAD; server 127.0.0.1:$P_DEAD2; }
upstream withbackup {
    server 127.0.0.1:$P_DEAD2;
    server 127.0.0.1:$P_BACKUP backup;
}
listener web {
    listen 127.0.0.1:$P_GW;
    handler http_reverse;
    proxy_pass pair;
    access_log $T/access.log;
}
listener one {
    listen 127.0.0.1:$P_ONE;
    handler http_reverse;
    proxy_pass pair1;
    next_upstream_tries 1;
}
listener postl {
    listen 127.0.0.1:$P_POST;
    handler http_reverse;
    proxy_pass pairpost;
}
listener all {
    listen 127.0.0.1:$P_ALL;
    handler http_reverse;
    proxy_pass dead;
}
listener bk {
    listen 127.0.0.1:$P_BK;
    handler http_reverse;
    proxy_pass withbackup;
}
EOF
gw_start "$P_GW" "$P_ONE" "$P_ALL" "$P_BK" "$P_POST"
U="http://127.0.0.1:$P_GW"

refused() {
    grep -c "connect() failed.*upstream: 127\.0\.0\.1:$1" "$T/error.log" 2>/dev/null
}

out=$(hget "$U/first")
expect_eq "first request: the dead server fails, the live one answers" "live /first" "$out"
expect_eq "first request: one failed connect to the dead server" 1 "$(refused "$P_DEAD")"
for i in 2 3 4 5 6; do
    out=$(hget "$U/r$i")
    [ "$out" = "live /r$i" ] || break
done
expect_eq "requests 2..6: answered by the live server" "live /r6" "$out"
expect_eq "requests 2..6: the dead server is not tried again within fail_timeout" 1 "$(refused "$P_DEAD")"
check "access log: the live server named as upstream" has_line "$T/access.log" "\"GET /r2 HTTP/1.1\" 200 .* 127\.0\.0\.1:$P_LIVE"

# after fail_timeout (1s) the dead server gets one more try
tried_again() { hget -o /dev/null "$U/later"; [ "$(refused "$P_DEAD")" -ge 2 ]; }
check "after fail_timeout the dead server is tried again" wait_until 3000 tried_again
check "... and the request is still served" http_served "$U/still" "live /still"

# a POST is carried to the live server when the connect was refused
out=$(hget -d 'field=1' "http://127.0.0.1:$P_POST/post")
expect_eq "a POST goes on to the live server after a refused connect" "live /post" "$out"
check "... the dead server was tried first" has_line "$T/error.log" "connect\(\) failed.*listener: postl"
check "... the body arrived" grep -q '"POST /post HTTP/1.1".* body=7 ' "$T/live.out"

# next_upstream_tries 1: a refused connect is the answer (round robin
# starts with the first server, the dead one); then it is marked down
code=$(hget -o /dev/null -w '%{http_code}' "http://127.0.0.1:$P_ONE/x")
expect_eq "next_upstream_tries 1: 502 without trying the next server" 502 "$code"
out=$(hget "http://127.0.0.1:$P_ONE/y")
expect_eq "next_upstream_tries 1: the next request skips the server marked down" "live /y" "$out"

code=$(hget -o /dev/null -w '%{http_code}' "http://127.0.0.1:$P_ALL/x")
expect_eq "every server dead: 502" 502 "$code"
out=$(hget "http://127.0.0.1:$P_BK/b")
expect_eq "every primary dead: the backup answers" "backup /b" "$out"
