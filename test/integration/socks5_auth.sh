#!/usr/bin/env bash
# socks5 methods and RFC 1929: without auth lines method 00 (a client
# offering only 02 gets ff); with them method 02, the right user and
# password (of either line, a password with colons) succeed, a wrong
# password, an unknown user, one user's password for another, or no 02
# offered fail and close, nothing reaches the destination; curl's
# user:password works; the user is in the access log; allow/deny answers
# reply 02 after the handshake; pipelined and byte-at-a-time handshakes.
. "$(dirname "$0")/lib.sh"

read -r P_OPEN P_AUTH P_DENY P_E < <(ports 4)
backend echo echo "127.0.0.1:$P_E"
write_conf <<EOF2
$MAIN
listener open {
    listen 127.0.0.1:$P_OPEN;
    handler socks5;
    access_log $T/access.log;
}
listener locked {
    listen 127.0.0.1:$P_AUTH;
    handler socks5;
    auth alice:s3cret;
    auth "bob:pass:with:colons";
    access_log $T/access.log;
}
listener closed {
    listen 127.0.0.1:$P_DENY;
    handler socks5;
    deny 127.0.0.1;
    access_log $T/access.log;
}
EOF2
gw_start "$P_OPEN" "$P_AUTH" "$P_DENY"
W0=$(gw_pid_worker)
S5="$BK/socks5_client"

# s5 LISTENER_PORT ARGS...: the client's stdout and exit status, "out|rc"
s5() {
    local port=$1 out rc
    shift
    out=$("$S5" -t 3000 "$@" "127.0.0.1:$port" connect 127.0.0.1 "$P_E" echo=1000 2>&1)
    rc=$?
    echo "$(grep -E '^(method|auth|reply)' <<<"$out" | paste -sd' ')|$rc"
}

expect_eq "no auth lines: method 00, reply 00" "method 00 reply 00 127.0.0.1:PORT|0" \
    "$(s5 "$P_OPEN" | sed -E 's/127\.0\.0\.1:[0-9]+/127.0.0.1:PORT/')"
expect_eq "no auth lines, only 02 offered: ff" "method ff|5" "$(s5 "$P_OPEN" -M 02)"
expect_eq "auth: the right credentials" "method 02 auth 00 reply 00 127.0.0.1:PORT|0" \
    "$(s5 "$P_AUTH" -u alice:s3cret | sed -E 's/127\.0\.0\.1:[0-9]+/127.0.0.1:PORT/')"
expect_eq "auth: the second line, a password with colons" "method 02 auth 00 reply 00|0" \
    "$(s5 "$P_AUTH" -u 'bob:pass:with:colons' | sed -E 's/ 127\.0\.0\.1:[0-9]+//')"
expect_eq "auth: a wrong password" "method 02 auth 01|5" "$(s5 "$P_AUTH" -u alice:wrong)"
expect_eq "auth: the password one byte short" "method 02 auth 01|5" "$(s5 "$P_AUTH" -u alice:s3cre)"
expect_eq "auth: an unknown user" "method 02 auth 01|5" "$(s5 "$P_AUTH" -u mallory:s3cret)"
expect_eq "auth: another user's password" "method 02 auth 01|5" "$(s5 "$P_AUTH" -u bob:s3cret)"
expect_eq "auth: an empty password" "method 02 auth 01|5" "$(s5 "$P_AUTH" -u alice:)"
expect_eq "auth required, only 00 offered: ff" "method ff|5" "$(s5 "$P_AUTH" -M 00)"
expect_eq "auth: pipelined greeting, auth and request" "method 02 auth 00 reply 00|0" \
    "$(s5 "$P_AUTH" -p -u alice:s3cret | sed -E 's/ 127\.0\.0\.1:[0-9]+//')"
expect_eq "auth: one byte at a time" "method 02 auth 00 reply 00|0" \
    "$(s5 "$P_AUTH" -s 1 -u alice:s3cret | sed -E 's/ 127\.0\.0\.1:[0-9]+//')"
check "refused logins reach no destination (only the logged-in ones did)" \
    test "$(grep -c ' 200 ' "$T/access.log")" -eq 5
out=$(curl -s -m 5 --socks5 "127.0.0.1:$P_AUTH" --proxy-user alice:s3cret \
    -o /dev/null -w '%{http_code}' "http://127.0.0.1:$P_E/" 2>&1)
# the echo backend answers the request with itself: curl reads it as HTTP/0.9 or fails,
# what counts is the handshake in the log
check "curl user:password: logged with the user" \
    grep -qE "\"CONNECT 127\.0\.0\.1:$P_E\" 200 .* alice 00$" "$T/access.log"
check "a failed login: logged 403 with the user, no reply" \
    grep -qE '" 403 [0-9]+ [0-9]+ [0-9.]+ - mallory -$' "$T/access.log"
check "no acceptable method: logged 403, reply ff" grep -qE '" 403 .* - ff$' "$T/access.log"

# ---- allow / deny ---------------------------------------------------------------------------
expect_eq "a denied client: the handshake, then reply 02" "method 00 reply 02 0.0.0.0:0|5" "$(s5 "$P_DENY")"
check "... logged 403 with reply 02" grep -qE "listener: closed|access forbidden" "$T/error.log"

expect_eq "the worker never died" "$W0" "$(gw_pid_worker)"
