#!/usr/bin/env bash
# test/fuzz/seeds.sh: writes the seed corpora of test/fuzz/corpus/ (they
# are committed; run this again after changing it). The HTTP and SOCKS5
# seeds start with the two control bytes the targets take (split, options:
# test/fuzz/README.md); the configuration seeds are plain files.
set -eu
cd "$(dirname "$0")"
C=corpus

# seed DIR NAME PREFIX-BYTES TEXT (printf %b escapes in both)
seed() {
    mkdir -p "$C/$1"
    printf '%b%b' "$3" "$4" >"$C/$1/$2"
}

# ---- conf: plain configuration files -----------------------------------
mkdir -p "$C/conf"
cp ../../gateway.conf.example "$C/conf/gateway.conf.example"

cat >"$C/conf/quoting.conf" <<'EOF'
# comments and quoting
worker_processes 1;     # one
worker_connections 64;
pid "run/gw.pid";
error_log 'logs/error.log' info;
upstream "back" {
    server 127.0.0.1:9000 weight=5 max_fails=2 fail_timeout=5s;
    server [::1]:9000 backup;
    server 127.0.0.1:9001 down;
    balance least_conn;
    keepalive 4;
    keepalive_timeout 1m30s;
}
listener 'a' {
    listen 127.0.0.1:8000 backlog=64;
    listen [::1]:8000;
    handler tcp;
    proxy_pass back;
    connect_timeout 500ms;
    idle_timeout 1m;
    next_upstream_tries 2;
    send_timeout 1h;
    access_log "logs/a \"quoted\" \\ name.log";
    allow 127.0.0.0/8;
    allow ::1;
    deny all;
}
EOF

cat >"$C/conf/http.conf" <<'EOF'
worker_processes auto;
daemon off;
shutdown_timeout 1d;
resolver_threads 4;
resolver_cache 0;
upstream api { server 127.0.0.1:9100; server localhost:9101; balance consistent_hash; }
listener web {
    listen *:8081;
    handler http_reverse;
    location /api/ { proxy_pass api; }
    location api.local/ { proxy_pass api; }
    location /health { proxy_pass 127.0.0.1:9000; }
    header_timeout 10s;
    keepalive_timeout 5s;
    read_timeout 30s;
    max_header_size 8k;
    max_body_size 1m;
}
listener {
    listen 3128;
    handler http_forward;
    auth user:secret;
    auth "other:pa ss";
    allow_to 10.0.0.0/8;
    deny_to all;
    max_body_size 1G;
}
EOF

cat >"$C/conf/udp_socks.conf" <<'EOF'
user root;
listener dns {
    listen 127.0.0.1:5353;
    handler udp;
    proxy_pass 127.0.0.1:53;
    udp_responses 1;
    idle_timeout 10s;
}
listener tcp_dns {
    listen 127.0.0.1:5353;
    handler tcp;
    proxy_pass [::1]:53;
}
listener socks {
    listen [::]:1080;
    handler socks5;
    auth u:p;
    header_timeout 10s;
    deny_to 169.254.0.0/16;
    deny_to fe80::/10;
    allow_to all;
}
EOF

cat >"$C/conf/include.conf" <<'EOF'
include conf.d/*.conf;
include /etc/gateway/*.conf;
error_log stderr debug;
listener a { listen 9; handler tcp; proxy_pass 127.0.0.1:10; include conf.d/*.conf; }
EOF

printf 'include gateway.conf;\n' >"$C/conf/include-self.conf"

cat >"$C/conf/bad.conf" <<'EOF'
worker_processes 1 2;
listener a {
    listen 127.0.0.1:99999;
    handler bogus;
    hanlder tcp;
    idle_timeout 5x;
    allow 300.1.1.1;
}
upstream u:1 { server 127.0.0.1:80 weight=0; balance bogus; }
"unterminated
EOF

cat >"$C/conf/rlimit-user.conf" <<'EOF'
worker_rlimit_nofile 4096;
user root root;
error_log "logs/err.log";
listener a { listen 1.2.3.4:1 backlog=1; handler udp; proxy_pass 5.6.7.8:9; access_log off; }
EOF

cat >"$C/conf/duplicates.conf" <<'EOF'
listener a { listen 1; handler socks5; }
listener a { listen 2; handler http_forward; }
EOF

printf 'listener { listen 1; handler http_reverse; location /x { } }\n' \
    >"$C/conf/location-no-proxy-pass.conf"

# GW_MAX_PEERS (256) addresses in one upstream, and one more
{
    echo 'upstream big {'
    for i in $(seq 0 256); do echo "server 10.0.$((i / 250)).$((i % 250)):1;"; done
    echo '}'
    echo 'listener { listen 1; handler tcp; proxy_pass big; }'
} >"$C/conf/many-servers.conf"

# before the NUL: the -g directives; after it: the file
seed conf with-g '' 'daemon off; worker_processes 2;\0listener a { listen 1; handler tcp; proxy_pass 127.0.0.1:2; }\n'

# ---- http_request: split, options, then requests on one connection ------
# options: bit 0 HEAD (responses), bits 1-2 max_size 16k/128/1k/1M,
# bits 3-5 spans per chunked call - 1
seed http_request get-keepalive '\x00\x00' 'GET /index.html?q=1 HTTP/1.1\r\nHost: example.com\r\nUser-Agent: curl/8.0\r\nAccept: */*\r\nConnection: keep-alive\r\n\r\nGET /second HTTP/1.1\r\nHost: example.com\r\nConnection: close\r\n\r\n'
seed http_request post-length '\x0b\x00' 'POST /form HTTP/1.1\r\nHost: a\r\nContent-Length: 11\r\nContent-Type: text/plain\r\n\r\nhello worldDELETE /x HTTP/1.1\r\nHost: a\r\nContent-Length: 0, 0\r\n\r\n'
seed http_request post-chunked '\x1a\x08' 'POST /up HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip, chunked\r\nExpect: 100-continue\r\n\r\n5;name=value\r\nhello\r\nA\r\n0123456789\r\n0\r\nX-Checksum: abc\r\nX-More: 1\r\n\r\nGET / HTTP/1.1\r\nHost: a\r\n\r\n'
seed http_request absolute-form '\x01\x00' 'GET http://example.com:8080/path?x=y HTTP/1.1\r\nProxy-Authorization: Basic dXNlcjpzZWNyZXQ=\r\nProxy-Connection: keep-alive\r\n\r\n'
seed http_request connect '\x05\x00' 'CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\nProxy-Authorization: Basic dXNlcjpzZWNyZXQ=\r\n\r\n\x16\x03\x01\x00\xa5'
seed http_request http10-bare-lf '\x13\x02' '\r\n\nGET / HTTP/1.0\nConnection: keep-alive\nX-Long-Header-Name: a value with\ttabs and \xe9 obs-text\n\nHEAD /h HTTP/1.0\n\n'
seed http_request upgrade '\x00\x00' 'GET /chat HTTP/1.1\r\nHost: ws\r\nUpgrade: websocket\r\nConnection: keep-alive, Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n\x81\x05hello'
seed http_request smuggle '\x02\x00' 'POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\nGET /admin HTTP/1.1\r\nHost: a\r\n\r\n'
seed http_request space-before-colon '\x00\x04' 'GET / HTTP/1.1\r\nHost : a\r\n\r\n'
seed http_request folded '\x00\x04' 'GET / HTTP/1.1\r\nHost: a\r\nX: a\r\n  folded\r\n\r\n'
seed http_request options-star '\x0c\x38' 'OPTIONS * HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\nffffffff;x\r\nabc'

# GW_HTTP_MAX_HEADERS (100) fields, and one more
many=$(for i in $(seq 0 100); do printf 'h%d:v\\r\\n' "$i"; done)
seed http_request many-headers '\x00\x00' "GET / HTTP/1.1\\r\\nHost: a\\r\\n$many\\r\\n"

# ---- http_response ---------------------------------------------------------
seed http_response keepalive '\x00\x00' 'HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 5\r\n\r\nhelloHTTP/1.1 204 No Content\r\n\r\nHTTP/1.1 304 Not Modified\r\nETag: "x"\r\nContent-Length: 99\r\n\r\nHTTP/1.0 404 \r\nContent-Length: 0\r\n\r\n'
seed http_response continue-chunked '\x0a\x10' 'HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 103 Early Hints\r\nLink: </s.css>; rel=preload\r\n\r\nHTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nConnection: keep-alive\r\n\r\n4\r\nWiki\r\n5;ext="q"\r\npedia\r\nE\r\n in\r\n\r\nchunks.\r\n0\r\nExpires: never\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok'
seed http_response until-close '\x03\x00' 'HTTP/1.1 200 OK\r\nServer: test\r\nConnection: close\r\n\r\nthe body runs until the connection closes'
seed http_response head '\x00\x01' 'HTTP/1.1 200 OK\r\nContent-Length: 10\r\nTransfer-Encoding: chunked\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\n'
seed http_response switching '\x11\x00' 'HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n\x81\x02hi'
seed http_response chunked-lf '\x27\x00' 'HTTP/1.1 500 Internal Server Error\nTransfer-Encoding: deflate, chunked\n\n1A \t;a=b;c\n abcdefghijklmnopqrstuvwxy\n0\n\nHTTP/1.1 502 Bad\r\nContent-Length: 1, 2\r\n\r\n'
seed http_response te-not-chunked '\x00\x02' 'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked, gzip\r\n\r\nraw body'

seed http_response many-headers '\x00\x00' "HTTP/1.1 200 OK\\r\\n$many\\r\\n"

# ---- socks5: split, options (bit 0: the listener has auth lines), stream --
# After the handshake, the rest: UDP datagrams, each a 2-byte length first.
seed socks5 connect-ipv4 '\x00\x00' '\x05\x01\x00\x05\x01\x00\x01\x7f\x00\x00\x01\x00\x50GET / HTTP/1.0\r\n\r\n'
seed socks5 auth-domain '\x09\x01' '\x05\x02\x00\x02\x01\x04user\x06secret\x05\x01\x00\x03\x0bexample.com\x01\xbb'
seed socks5 bind-ipv6 '\x02\x00' '\x05\x03\x00\x01\x02\x05\x02\x00\x04\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x01\x1f\x90'
seed socks5 udp-associate '\x0b\x00' '\x05\x01\x00\x05\x03\x00\x01\x00\x00\x00\x00\x00\x00\x00\x0e\x00\x00\x00\x01\x7f\x00\x00\x01\x00\x35ping\x00\x15\x00\x00\x00\x03\x0bexample.com\x00\x35dns\x00\x17\x00\x00\x00\x04\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\xff\xff\x0a\x00\x00\x01\x12\x34x\x00\x0c\x00\x00\x01\x01\x01\x02\x03\x04\x00\x07fr'
seed socks5 refused-method '\x00\x01' '\x05\x01\x00\x05\x01\x00\x01\x01\x01\x01\x01\x00\x01'
seed socks5 bad-request '\x01\x00' '\x05\x01\x00\x05\x01\x00\x03\x00\x00\x50'
seed socks5 datagrams-only '\x00\x00' '\x00\x0a\x00\x00\x00\x01\x08\x08\x08\x08\x00\x35\x00\x03\x00\x00\x00'

# ---- proxy: a connection's first bytes (no control bytes) -----------------------------
seed proxy v1_tcp4 '' 'PROXY TCP4 192.0.2.1 198.51.100.7 56324 443\r\nGET / HTTP/1.1\r\n\r\n'
seed proxy v1_tcp6 '' 'PROXY TCP6 2001:db8::1 ::1 1 65535\r\n'
seed proxy v1_unknown '' 'PROXY UNKNOWN ffff::1 ::1 1 2\r\n'
seed proxy v2_inet '' '\r\n\r\n\0\r\nQUIT\n\x21\x11\x00\x0c\xc0\x00\x02\x01\xc6\x33\x64\x07\xdc\x04\x01\xbb'
seed proxy v2_inet6_tlv '' '\r\n\r\n\0\r\nQUIT\n\x21\x21\x00\x2b\x20\x01\x0d\xb8\0\0\0\0\0\0\0\0\0\0\0\x01\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\x01\x00\x01\x00\x02\x04\x00\x04test'
seed proxy v2_local '' '\r\n\r\n\0\r\nQUIT\n\x20\x00\x00\x00'
seed proxy not_proxy '' 'GET / HTTP/1.1\r\n\r\n'
