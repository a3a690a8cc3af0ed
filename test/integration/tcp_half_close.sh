#!/usr/bin/env bash
# tcp handler: half-close is passed on in both directions. A client that
# shuts down its write side still receives everything the upstream sends
# afterwards, then EOF; an upstream that shuts down its write side still
# receives what the client sends afterwards.
. "$(dirname "$0")/lib.sh"

read -r P_ECHO P_COUNT P_HELLO P_SLOW P_UE P_UC P_UH P_HOLE < <(ports 8)
backend echo echo "127.0.0.1:$P_UE"
backend count count "127.0.0.1:$P_UC"
backend hello hello "127.0.0.1:$P_UH"
# a listener that never answers SYNs: connecting to it first holds the
# session in "connecting" for connect_timeout before it fails over
spawn hole "$TC" blackhole "127.0.0.1:$P_HOLE"
wait_log "$T/hole.out" '^ready' 3000 || bail "blackhole listener" "$(cat "$T/hole.out")"
write_conf <<EOF
$MAIN
listener echo {
    listen 127.0.0.1:$P_ECHO;
    handler tcp;
    proxy_pass 127.0.0.1:$P_UE;
}
listener count {
    listen 127.0.0.1:$P_COUNT;
    handler tcp;
    proxy_pass 127.0.0.1:$P_UC;
    access_log $T/count.log;
}
upstream slow { server 127.0.0.1:$P_HOLE weight=10; server 127.0.0.1:$P_UC; }
listener slow {
    listen 127.0.0.1:$P_SLOW;
    handler tcp;
    proxy_pass slow;
    connect_timeout 300ms;
    access_log $T/slow.log;
}
listener hello {
    listen 127.0.0.1:$P_HELLO;
    handler tcp;
    proxy_pass 127.0.0.1:$P_UH;
}
EOF
gw_start "$P_ECHO" "$P_COUNT" "$P_HELLO" "$P_SLOW"

# The count backend answers only once it has seen the client's FIN: the
# answer proves the FIN went upstream and the way back stayed open.
out=$("$TC" -t 5000 send "127.0.0.1:$P_COUNT" 100000 2>&1); rc=$?
expect_eq "client FIN reaches the upstream; its later answer still arrives" \
    "100000/0" "$out/$rc"

# a FIN with no data before it, sent while the upstream is still being
# connected: it waits for the upstream instead of ending the session
out=$("$TC" -t 5000 send "127.0.0.1:$P_SLOW" 0 2>&1); rc=$?
expect_eq "FIN while the upstream connect is pending is passed on too" "0/0" "$out/$rc"
[ "$out/$rc" = "0/0" ] || echo "# access log: $(last_line "$T/slow.log")"

wait_log "$T/count.log" ' 200 7 100000 ' 2000
check "access log: 100000 bytes received, 7 sent" has_line "$T/count.log" ' 200 7 100000 '

# echo: send, shut down, get the echo, then EOF (read exits 0 only on EOF)
text="half-close through an echo server"
out=$("$TC" -t 5000 -s "$text" read "127.0.0.1:$P_ECHO" 2>&1); rc=$?
expect_eq "echo after our FIN, then EOF" "$text/0" "$out/$rc"

out=$("$TC" -t 5000 echo "127.0.0.1:$P_ECHO" 1048576 2>&1)
expect_eq "1 MiB then FIN: all of it comes back, then EOF" \
    "echo: 1048576 bytes ok" "$out"

# The hello backend says its name and shuts down its side at once: the
# client sees EOF, then sends 5000 bytes, which must still reach it.
out=$("$TC" -t 5000 readsend "127.0.0.1:$P_HELLO" 5000 2>&1); rc=$?
expect_eq "upstream FIN reaches the client after its data" "hello/0" "$out/$rc"
wait_log "$T/hello.out" 'hello got' 3000
expect_eq "the client's bytes after the upstream's FIN still reach it" \
    "hello got 5000" "$(cat "$T/hello.out")"
