/*
 * worker/http_proxy.c: writing rewritten heads (see http_proxy.h).
 */
#include <string.h>

#include "worker/http_proxy.h"

/* A forward proxy's own entry, after any the message carried: a second
 * field line is the same list appended to (RFC 9110 5.3, 7.6.3) */
#define VIA "Via: 1.1 gateway\r\n"

static const char *const hop_by_hop[] = {
    "connection", "keep-alive", "proxy-connection", "te", "trailer",
    "transfer-encoding", "content-length", "proxy-authorization",
    "proxy-authenticate",
};

int
gw_http_is_hop_by_hop(const gw_http_msg_t *msg, gw_str_t name, int upgrade)
{
    for (size_t i = 0; i < sizeof(hop_by_hop) / sizeof(hop_by_hop[0]); i++) {
        if (gw_http_str_ieq(name, hop_by_hop[i])) {
            return 1;
        }
    }
    if (gw_http_str_ieq(name, "upgrade")) {
        return !upgrade;
    }
    return gw_http_connection_names(msg, name);
}

/* ---- appending -------------------------------------------------------------- */

static int
put(gw_buf_t *out, const char *p, size_t len)
{
    if (gw_buf_room(out) < len) {
        return -1;
    }
    memcpy(out->data + out->last, p, len);
    out->last += len;
    return 0;
}

static int
put_str(gw_buf_t *out, gw_str_t s)
{
    return put(out, s.data, s.len);
}

static int
put_cstr(gw_buf_t *out, const char *s)
{
    return put(out, s, strlen(s));
}

/* A number in decimal: no printf on the path of every request. */
static int
put_uint(gw_buf_t *out, uint64_t v)
{
    char  digits[24];
    char *p = digits + sizeof(digits);

    do {
        *--p = (char) ('0' + v % 10);
        v /= 10;
    } while (v);
    return put(out, p, (size_t) (digits + sizeof(digits) - p));
}

static int
put_status_line(gw_buf_t *out, int status)
{
    char code[4] = {
        (char) ('0' + status / 100 % 10), (char) ('0' + status / 10 % 10),
        (char) ('0' + status % 10), ' '
    };

    return put_cstr(out, "HTTP/1.1 ") || put(out, code, 4);
}

static int
put_field(gw_buf_t *out, const gw_http_header_t *h)
{
    return put_str(out, h->name) || put(out, ": ", 2)
           || put_str(out, h->value) || put(out, "\r\n", 2) ? -1 : 0;
}

/*
 * Transfer-Encoding for a body we send chunked: the message's own codings
 * (gzip ...), from every Transfer-Encoding line, in order, then chunked.
 */
static int
put_codings(gw_buf_t *out, const gw_http_msg_t *msg)
{
    if (put_cstr(out, "Transfer-Encoding: ") != 0) {
        return -1;
    }
    for (unsigned i = 0; msg->te_other && i < msg->n_headers; i++) {
        gw_str_t list = msg->headers[i].value, elt;

        if (!gw_http_str_ieq(msg->headers[i].name, "transfer-encoding")) {
            continue;
        }
        while (gw_http_next_element(&list, &elt)) {
            if (!gw_http_str_ieq(elt, "chunked")
                && (put_str(out, elt) || put(out, ", ", 2))) {
                return -1;
            }
        }
    }
    return put_cstr(out, "chunked\r\n");
}

static int
put_framing(gw_buf_t *out, const gw_http_msg_t *msg, int body,
            uint64_t length)
{
    switch (body) {
    case GW_HTTP_BODY_LENGTH:
        return put_cstr(out, "Content-Length: ") || put_uint(out, length)
               || put(out, "\r\n", 2) ? -1 : 0;
    case GW_HTTP_BODY_CHUNKED:
        return put_codings(out, msg);
    default:
        return 0;
    }
}

/* ---- requests ------------------------------------------------------------------ */

/* X-Forwarded-For: what the client sent, then the client. */
static int
put_forwarded_for(gw_buf_t *out, const gw_http_msg_t *req, gw_str_t ip)
{
    int first = 1;

    if (put_cstr(out, "X-Forwarded-For: ") != 0) {
        return -1;
    }
    for (unsigned i = 0; i < req->n_headers; i++) {
        if (gw_http_str_ieq(req->headers[i].name, "x-forwarded-for")
            && req->headers[i].value.len) {
            if ((!first && put(out, ", ", 2)) || put_str(out, req->headers[i].value)) {
                return -1;
            }
            first = 0;
        }
    }
    return (!first && put(out, ", ", 2)) || put_str(out, ip)
           || put(out, "\r\n", 2) ? -1 : 0;
}

static int
put_request_fields(gw_buf_t *out, const gw_http_msg_t *req,
                   const gw_http_upstream_req_t *u)
{
    for (unsigned i = 0; i < req->n_headers; i++) {
        const gw_http_header_t *h = &req->headers[i];

        if (gw_http_is_hop_by_hop(req, h->name, u->upgrade)
            || gw_http_str_ieq(h->name, "x-forwarded-for")
            || (!u->forward && gw_http_str_ieq(h->name, "x-forwarded-proto"))
            || (u->host.data && gw_http_str_ieq(h->name, "host"))) {
            continue;
        }
        if (put_field(out, h) != 0) {
            return -1;
        }
    }
    return 0;
}

/* What a reverse proxy tells its origin about the front end. */
static int
put_front_end(gw_buf_t *out, const gw_http_msg_t *req, gw_str_t ip)
{
    if (!gw_http_find(req, "x-real-ip")
        && (put_cstr(out, "X-Real-IP: ") || put_str(out, ip)
            || put(out, "\r\n", 2))) {
        return -1;
    }
    return put_cstr(out, "X-Forwarded-Proto: http\r\n");
}

int
gw_http_write_request(gw_buf_t *out, const gw_http_msg_t *req,
                      const gw_http_upstream_req_t *u)
{
    gw_str_t ip = u->client_ip;

    if (put_str(out, req->method) || put(out, " ", 1)
        || put_str(out, u->target) || put_cstr(out, " HTTP/1.1\r\n")) {
        return -1;
    }
    if (u->host.data && (put_cstr(out, "Host: ") || put_str(out, u->host)
                         || put(out, "\r\n", 2))) {
        return -1;
    }
    /* HTTP/1.1 needs a Host: an HTTP/1.0 request without one, and no name
     * from the caller, gets the empty one RFC 9112 3.2 prescribes */
    if (u->host.data == NULL && req->host < 0 && put_cstr(out, "Host: \r\n")) {
        return -1;
    }
    if (put_request_fields(out, req, u) != 0
        || put_forwarded_for(out, req, ip) != 0
        || (u->forward ? put_cstr(out, VIA)
                       : put_front_end(out, req, ip))
        || put_framing(out, req, u->body, req->content_length)) {
        return -1;
    }
    if (u->upgrade) {
        return put_cstr(out, "Connection: upgrade\r\n\r\n");
    }
    return put_cstr(out, u->keepalive ? "\r\n" : "Connection: close\r\n\r\n");
}

/* ---- responses -------------------------------------------------------------------- */

int
gw_http_write_response(gw_buf_t *out, const gw_http_msg_t *resp,
                       const gw_http_client_resp_t *c)
{
    if (put_status_line(out, resp->status) || put_str(out, resp->reason)
        || put(out, "\r\n", 2)) {
        return -1;
    }
    for (unsigned i = 0; i < resp->n_headers; i++) {
        const gw_http_header_t *h = &resp->headers[i];

        /* a response without a body keeps the length it describes (HEAD) */
        if (c->body == GW_HTTP_BODY_NONE
            && gw_http_str_ieq(h->name, "content-length")) {
            if (put_field(out, h) != 0) {
                return -1;
            }
            continue;
        }
        if (gw_http_is_hop_by_hop(resp, h->name, c->upgrade)) {
            continue;
        }
        if (put_field(out, h) != 0) {
            return -1;
        }
    }
    if ((c->via && put_cstr(out, VIA))
        || put_framing(out, resp, c->body, c->content_length) != 0) {
        return -1;
    }
    if (c->upgrade) {
        return put_cstr(out, "Connection: upgrade\r\n\r\n");
    }
    if (!c->keepalive) {
        return put_cstr(out, "Connection: close\r\n\r\n");
    }
    return put_cstr(out, c->client_minor == 0 ? "Connection: keep-alive\r\n\r\n"
                                              : "\r\n");
}

int
gw_http_write_error(gw_buf_t *out, int status, int close, const char *extra)
{
    const char *reason = gw_http_reason(status);
    char        code[3] = {
        (char) ('0' + status / 100 % 10), (char) ('0' + status / 10 % 10),
        (char) ('0' + status % 10)
    };

    /* the body: "502 Bad Gateway\n" */
    return put_status_line(out, status) || put_cstr(out, reason)
           || put_cstr(out, "\r\nServer: gateway\r\nContent-Type: text/plain\r\n"
                            "Content-Length: ")
           || put_uint(out, strlen(reason) + 5) || put(out, "\r\n", 2)
           || (close && put_cstr(out, "Connection: close\r\n"))
           || (extra && put_cstr(out, extra)) || put(out, "\r\n", 2)
           || put(out, code, 3) || put(out, " ", 1) || put_cstr(out, reason)
           || put(out, "\n", 1) ? -1 : 0;
}
