#!/usr/bin/env bash
# send_timeout: a client that sends but never reads the echo blocks the
# gateway's writes; after send_timeout without a successful write the
# session is closed (long before idle_timeout), the worker carries on.
. "$(dirname "$0")/lib.sh"

read -r P_GW P_UP < <(ports 2)
backend echo echo "127.0.0.1:$P_UP"
write_conf <<EOF
$MAIN
listener echo {
    listen 127.0.0.1:$P_GW;
    handler tcp;
    proxy_pass 127.0.0.1:$P_UP;
    send_timeout 1s;
    idle_timeout 30s;
    access_log $T/access.log;
}
EOF
gw_start "$P_GW"

out=$("$TC" -t 3000 stuff "127.0.0.1:$P_GW" 268435456 5000 2>&1)
echo "# $(tr '\n' ' ' <<<"$out")"
ms=$(sed -n 's/^closed after \([0-9]*\)$/\1/p' <<<"$out")
if [ -n "$ms" ] && [ "$ms" -ge 500 ] && [ "$ms" -le 3000 ]; then
    ok "a never-reading client is closed after send_timeout 1s"
else
    not_ok "a never-reading client is closed after send_timeout 1s" \
        "client saw: $(tr '\n' ' ' <<<"$out") (wanted closed 500..3000 ms after its stall: the gateway blocks before the client sees its own writes block)"
fi
check "the session is logged" wait_log "$T/access.log" "echo tcp" 2000
check "the timeout is in the error log" has_line "$T/error.log" "timed out"
out=$("$TC" -t 3000 -s "next" read "127.0.0.1:$P_GW" 2>&1)
expect_eq "the next client is served" "next" "$out"
