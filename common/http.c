/*
 * common/http.c: parsing HTTP/1.x heads in place (see http.h).
 *
 * Two passes over a head: find where it ends (resumable: last_len), then
 * parse the complete head line by line. The second pass runs once per
 * message, on at most max_size bytes.
 */
#include <string.h>

#include "common/http.h"

#define MAX_LEADING_EMPTY   8       /* empty lines tolerated before a request */

typedef struct cursor {
    const char *p;
    const char *end;            /* one past the head's empty line */
} cursor_t;

static const unsigned char is_tchar[256] = {
    ['!'] = 1, ['#'] = 1, ['$'] = 1, ['%'] = 1, ['&'] = 1, ['\''] = 1,
    ['*'] = 1, ['+'] = 1, ['-'] = 1, ['.'] = 1, ['^'] = 1, ['_'] = 1,
    ['`'] = 1, ['|'] = 1, ['~'] = 1,
    ['0'] = 1, ['1'] = 1, ['2'] = 1, ['3'] = 1, ['4'] = 1, ['5'] = 1,
    ['6'] = 1, ['7'] = 1, ['8'] = 1, ['9'] = 1,
    ['A'] = 1, ['B'] = 1, ['C'] = 1, ['D'] = 1, ['E'] = 1, ['F'] = 1,
    ['G'] = 1, ['H'] = 1, ['I'] = 1, ['J'] = 1, ['K'] = 1, ['L'] = 1,
    ['M'] = 1, ['N'] = 1, ['O'] = 1, ['P'] = 1, ['Q'] = 1, ['R'] = 1,
    ['S'] = 1, ['T'] = 1, ['U'] = 1, ['V'] = 1, ['W'] = 1, ['X'] = 1,
    ['Y'] = 1, ['Z'] = 1,
    ['a'] = 1, ['b'] = 1, ['c'] = 1, ['d'] = 1, ['e'] = 1, ['f'] = 1,
    ['g'] = 1, ['h'] = 1, ['i'] = 1, ['j'] = 1, ['k'] = 1, ['l'] = 1,
    ['m'] = 1, ['n'] = 1, ['o'] = 1, ['p'] = 1, ['q'] = 1, ['r'] = 1,
    ['s'] = 1, ['t'] = 1, ['u'] = 1, ['v'] = 1, ['w'] = 1, ['x'] = 1,
    ['y'] = 1, ['z'] = 1,
};

static int
fail(gw_http_msg_t *msg, int status, const char *why)
{
    msg->error = status;
    msg->why = why;
    return GW_PARSE_ERROR;
}

/* ---- finding the end ---------------------------------------------------- */

/*
 * Index one past the empty line that ends the head starting at START, or
 * 0. Lines end in LF (CRLF or bare LF), so the head ends at "\n\n" or
 * "\n\r\n"; the scan resumes a few bytes before what was seen last time.
 */
static size_t
find_end(const char *buf, size_t start, size_t len, size_t last_len)
{
    size_t i = last_len > start + 3 ? last_len - 3 : start;

    for ( ; i < len; i++) {
        const char *nl = memchr(buf + i, '\n', len - i);

        if (nl == NULL) {
            return 0;
        }
        i = (size_t) (nl - buf);
        if (i + 1 < len && buf[i + 1] == '\n') {
            return i + 2;
        }
        if (i + 2 < len && buf[i + 1] == '\r' && buf[i + 2] == '\n') {
            return i + 3;
        }
    }
    return 0;
}

/* Empty lines before a request line (RFC 9112 2.2): how many bytes. */
static size_t
skip_leading_eols(const char *buf, size_t len)
{
    size_t i = 0;

    for (int lines = 0; lines < MAX_LEADING_EMPTY; lines++) {
        if (i + 1 < len && buf[i] == '\r' && buf[i + 1] == '\n') {
            i += 2;
        } else if (i < len && buf[i] == '\n') {
            i += 1;
        } else {
            break;
        }
    }
    return i;
}

/* ---- lines ------------------------------------------------------------------ */

/*
 * The next line as [*start, *eol); the cursor moves past its end. A CR
 * anywhere but before the LF is a bare CR: -1.
 */
static int
next_line(cursor_t *c, const char **start, const char **eol)
{
    const char *nl = memchr(c->p, '\n', (size_t) (c->end - c->p));
    const char *e;

    if (nl == NULL) {
        return -1;
    }
    e = nl > c->p && nl[-1] == '\r' ? nl - 1 : nl;
    if (memchr(c->p, '\r', (size_t) (e - c->p)) != NULL) {
        return -1;
    }
    *start = c->p;
    *eol = e;
    c->p = nl + 1;
    return 0;
}

static const char *
token(const char *p, const char *end)
{
    while (p < end && is_tchar[(unsigned char) *p]) {
        p++;
    }
    return p;
}

/* "HTTP/1.x" at p; sets minor; returns the end, or NULL. 505: not 1.x */
static const char *
version(const char *p, const char *end, gw_http_msg_t *msg, int *major_ok)
{
    *major_ok = 1;
    if (end - p < 8 || memcmp(p, "HTTP/", 5) != 0 || p[6] != '.'
        || p[5] < '0' || p[5] > '9' || p[7] < '0' || p[7] > '9') {
        return NULL;
    }
    if (p[5] != '1') {
        *major_ok = 0;
        return NULL;
    }
    msg->minor = p[7] == '0' ? 0 : 1;   /* 1.2 and up are treated as 1.1 */
    return p + 8;
}

static int
parse_request_line(cursor_t *c, gw_http_msg_t *msg)
{
    const char *s, *e, *p, *t;
    int         major_ok;

    if (next_line(c, &s, &e) != 0) {
        return fail(msg, 400, "bare CR in the request line");
    }
    p = token(s, e);
    if (p == s || p == e || *p != ' ') {
        return fail(msg, 400, "invalid method");
    }
    msg->method.data = s;
    msg->method.len = (size_t) (p - s);
    t = ++p;
    while (p < e && (unsigned char) *p > 0x20 && *p != 0x7f) {
        p++;
    }
    if (p == t || p == e || *p != ' ') {
        return fail(msg, 400, "invalid request target");
    }
    msg->target.data = t;
    msg->target.len = (size_t) (p - t);
    p = version(p + 1, e, msg, &major_ok);
    if (p == NULL || p != e) {
        return major_ok ? fail(msg, 400, "invalid HTTP version")
                        : fail(msg, 505, "HTTP version not supported");
    }
    return 0;
}

static int
parse_status_line(cursor_t *c, gw_http_msg_t *msg)
{
    const char *s, *e, *p;
    int         major_ok;

    if (next_line(c, &s, &e) != 0) {
        return fail(msg, 502, "bare CR in the status line");
    }
    p = version(s, e, msg, &major_ok);
    if (p == NULL || e - p < 4 || *p != ' ' || p[1] < '1' || p[1] > '9'
        || p[2] < '0' || p[2] > '9' || p[3] < '0' || p[3] > '9'
        || (e - p > 4 && p[4] != ' ')) {
        return fail(msg, 502, "invalid status line");
    }
    msg->status = (p[1] - '0') * 100 + (p[2] - '0') * 10 + (p[3] - '0');
    msg->reason.data = p + 4 < e ? p + 5 : e;
    msg->reason.len = (size_t) (e - msg->reason.data);
    for (const char *r = msg->reason.data; r < e; r++) {
        if ((unsigned char) *r < 0x20 && *r != '\t') {
            return fail(msg, 502, "control byte in the reason phrase");
        }
    }
    return 0;
}

/* ---- header fields --------------------------------------------------------- */

static int
is_ows(char ch)
{
    return ch == ' ' || ch == '\t';
}

/* A field value: HTAB, SP, VCHAR and obs-text; no other control byte. */
static int
valid_value(const char *p, const char *e)
{
    for ( ; p < e; p++) {
        unsigned char ch = (unsigned char) *p;

        if ((ch < 0x20 && ch != '\t') || ch == 0x7f) {
            return 0;
        }
    }
    return 1;
}

static int
add_header(gw_http_msg_t *msg, const char *s, const char *e, int bad)
{
    const char *colon = token(s, e), *v, *ve;

    if (colon == s || colon == e || *colon != ':') {
        return fail(msg, bad, colon < e && is_ows(*colon)
                              ? "whitespace before the colon"
                              : "invalid header name");
    }
    for (v = colon + 1; v < e && is_ows(*v); v++) {
        /* leading OWS */
    }
    for (ve = e; ve > v && is_ows(ve[-1]); ve--) {
        /* trailing OWS */
    }
    if (!valid_value(v, ve)) {
        return fail(msg, bad, "control byte in a header value");
    }
    if (msg->n_headers == GW_HTTP_MAX_HEADERS) {
        return fail(msg, bad == 400 ? 431 : bad, "too many header fields");
    }
    msg->headers[msg->n_headers].name.data = s;
    msg->headers[msg->n_headers].name.len = (size_t) (colon - s);
    msg->headers[msg->n_headers].value.data = v;
    msg->headers[msg->n_headers].value.len = (size_t) (ve - v);
    msg->n_headers++;
    return 0;
}

static int
parse_fields(cursor_t *c, gw_http_msg_t *msg, int bad)
{
    for ( ;; ) {
        const char *s, *e;

        if (next_line(c, &s, &e) != 0) {
            return fail(msg, bad, "bare CR in a header");
        }
        if (s == e) {
            return 0;
        }
        if (is_ows(*s)) {
            return fail(msg, bad, "obsolete line folding");
        }
        if (add_header(msg, s, e, bad) != 0) {
            return GW_PARSE_ERROR;
        }
    }
}

/* ---- what the fields mean ----------------------------------------------------- */

int
gw_http_str_ieq(gw_str_t s, const char *lower)
{
    size_t n = strlen(lower);

    if (s.len != n) {
        return 0;
    }
    for (size_t i = 0; i < n; i++) {
        char ch = s.data[i];

        if (ch >= 'A' && ch <= 'Z') {
            ch = (char) (ch - 'A' + 'a');
        }
        if (ch != lower[i]) {
            return 0;
        }
    }
    return 1;
}

/*
 * Walk the comma-separated elements of a list value, OWS trimmed, empty
 * elements skipped (RFC 9110 5.6.1). Returns 0 at the end.
 */
int
gw_http_next_element(gw_str_t *list, gw_str_t *elt)
{
    const char *p = list->data, *end = list->data + list->len, *s, *e;

    while (p < end && (*p == ',' || is_ows(*p))) {
        p++;
    }
    if (p == end) {
        return 0;
    }
    s = p;
    while (p < end && *p != ',') {
        p++;
    }
    for (e = p; e > s && is_ows(e[-1]); e--) {
        /* trailing OWS */
    }
    elt->data = s;
    elt->len = (size_t) (e - s);
    list->data = p;
    list->len = (size_t) (end - p);
    return 1;
}

/* Every element of a Content-Length value, which must all agree. */
static int
content_length(gw_http_msg_t *msg, gw_str_t value, int *seen)
{
    gw_str_t elt;
    int      any = 0;

    while (gw_http_next_element(&value, &elt)) {
        uint64_t n = 0;

        if (elt.len == 0 || elt.len > 18) {
            return -1;
        }
        for (size_t i = 0; i < elt.len; i++) {
            if (elt.data[i] < '0' || elt.data[i] > '9') {
                return -1;
            }
            n = n * 10 + (uint64_t) (elt.data[i] - '0');
        }
        if (*seen && n != msg->content_length) {
            return -1;
        }
        msg->content_length = n;
        *seen = 1;
        any = 1;
    }
    return any ? 0 : -1;
}

typedef struct codings {
    unsigned count;             /* codings listed */
    unsigned chunked;           /* how many times "chunked" */
    unsigned unknown;
    unsigned last_chunked:1;
} codings_t;

static void
transfer_codings(gw_str_t value, codings_t *cd)
{
    static const char *const known[] = {
        "gzip", "x-gzip", "deflate", "compress", "x-compress",
    };
    gw_str_t elt;

    while (gw_http_next_element(&value, &elt)) {
        const char *semi = memchr(elt.data, ';', elt.len);
        int         found = 0;

        if (semi) {                     /* parameters are not ours */
            elt.len = (size_t) (semi - elt.data);
            while (elt.len && is_ows(elt.data[elt.len - 1])) {
                elt.len--;
            }
        }
        cd->count++;
        cd->last_chunked = gw_http_str_ieq(elt, "chunked");
        if (cd->last_chunked) {
            cd->chunked++;
            continue;
        }
        for (size_t i = 0; i < sizeof(known) / sizeof(known[0]); i++) {
            found |= gw_http_str_ieq(elt, known[i]);
        }
        cd->unknown += !found;
    }
}

static void
connection_tokens(gw_http_msg_t *msg, gw_str_t value)
{
    gw_str_t elt;

    while (gw_http_next_element(&value, &elt)) {
        if (gw_http_str_ieq(elt, "close")) {
            msg->connection |= GW_HTTP_CONN_CLOSE;
        } else if (gw_http_str_ieq(elt, "keep-alive")) {
            msg->connection |= GW_HTTP_CONN_KEEP_ALIVE;
        } else if (gw_http_str_ieq(elt, "upgrade")) {
            msg->connection |= GW_HTTP_CONN_UPGRADE;
        }
    }
}

typedef struct summary {
    codings_t te;
    int       has_te;
    int       has_cl;
    int       bad_cl;
    int       hosts;
} summary_t;

static void
summarize(gw_http_msg_t *msg, summary_t *sum)
{
    memset(sum, 0, sizeof(*sum));
    msg->host = -1;
    for (unsigned i = 0; i < msg->n_headers; i++) {
        gw_str_t name = msg->headers[i].name, value = msg->headers[i].value;

        if (gw_http_str_ieq(name, "content-length")) {
            sum->bad_cl |= content_length(msg, value, &sum->has_cl) != 0;
        } else if (gw_http_str_ieq(name, "transfer-encoding")) {
            sum->has_te = 1;
            transfer_codings(value, &sum->te);
        } else if (gw_http_str_ieq(name, "connection")) {
            connection_tokens(msg, value);
        } else if (gw_http_str_ieq(name, "host")) {
            sum->hosts++;
            msg->host = (int) i;
        } else if (gw_http_str_ieq(name, "expect")) {
            msg->expect_continue |= gw_http_str_ieq(value, "100-continue");
        } else if (gw_http_str_ieq(name, "upgrade")) {
            msg->has_upgrade = 1;
        }
    }
}

/* Request framing (RFC 9112 6.1-6.3), strict: anything ambiguous is 400. */
static int
request_framing(gw_http_msg_t *msg, const summary_t *sum)
{
    /* a target with its own authority (absolute form, CONNECT's) decides
     * and Host is ignored (RFC 9112 3.2.2): its absence is no ambiguity */
    int own_authority = msg->target.data[0] != '/' && msg->target.data[0] != '*';

    if (sum->hosts > 1 || (msg->minor == 1 && sum->hosts == 0 && !own_authority)) {
        return fail(msg, 400, sum->hosts ? "more than one Host" : "no Host");
    }
    if (sum->has_te) {
        if (sum->has_cl || sum->bad_cl) {
            return fail(msg, 400, "both Content-Length and Transfer-Encoding");
        }
        if (msg->minor == 0) {
            return fail(msg, 400, "Transfer-Encoding in HTTP/1.0");
        }
        if (sum->te.unknown) {
            return fail(msg, 501, "unknown transfer coding");
        }
        if (!sum->te.last_chunked || sum->te.chunked != 1) {
            return fail(msg, 400, "final transfer coding is not chunked");
        }
        msg->body = GW_HTTP_BODY_CHUNKED;
        msg->te_other = sum->te.count > sum->te.chunked;
        return 0;
    }
    if (sum->bad_cl) {
        return fail(msg, 400, "invalid Content-Length");
    }
    msg->body = sum->has_cl ? GW_HTTP_BODY_LENGTH : GW_HTTP_BODY_NONE;
    return 0;
}

/* Response framing (RFC 9112 6.3): lenient where only we are at stake. */
static int
response_framing(gw_http_msg_t *msg, const summary_t *sum, int head)
{
    if (head || msg->status < 200 || msg->status == 204
        || msg->status == 304) {
        msg->body = GW_HTTP_BODY_NONE;
        return 0;
    }
    if (sum->has_te) {
        /* a Transfer-Encoding overrides any Content-Length */
        msg->body = sum->te.last_chunked && sum->te.chunked == 1
                    ? GW_HTTP_BODY_CHUNKED : GW_HTTP_BODY_CLOSE;
        msg->te_other = sum->te.count > sum->te.chunked;
        return 0;
    }
    if (sum->bad_cl) {
        return fail(msg, 502, "invalid Content-Length from upstream");
    }
    msg->body = sum->has_cl ? GW_HTTP_BODY_LENGTH : GW_HTTP_BODY_CLOSE;
    return 0;
}

/* ---- entry points ---------------------------------------------------------------- */

static void
reset(gw_http_msg_t *msg)
{
    msg->method.data = msg->target.data = msg->reason.data = NULL;
    msg->method.len = msg->target.len = msg->reason.len = 0;
    msg->status = 0;
    msg->minor = 1;
    msg->n_headers = 0;
    msg->body = GW_HTTP_BODY_NONE;
    msg->content_length = 0;
    msg->connection = 0;
    msg->host = -1;
    msg->expect_continue = 0;
    msg->has_upgrade = 0;
    msg->te_other = 0;
    msg->error = 0;
    msg->why = NULL;
}

int
gw_http_parse_request(const char *buf, size_t len, size_t last_len,
                      size_t max_size, gw_http_msg_t *msg)
{
    size_t    skip = skip_leading_eols(buf, len);
    size_t    end = find_end(buf, skip, len, last_len);
    cursor_t  c;
    summary_t sum;

    reset(msg);
    if (end == 0) {
        return len > max_size ? fail(msg, 431, "request header too large")
                              : GW_PARSE_AGAIN;
    }
    if (end > max_size) {
        return fail(msg, 431, "request header too large");
    }
    c.p = buf + skip;
    c.end = buf + end;
    if (parse_request_line(&c, msg) != 0 || parse_fields(&c, msg, 400) != 0) {
        return GW_PARSE_ERROR;
    }
    summarize(msg, &sum);
    if (request_framing(msg, &sum) != 0) {
        return GW_PARSE_ERROR;
    }
    return (int) end;
}

int
gw_http_parse_response(const char *buf, size_t len, size_t last_len,
                       size_t max_size, int head, gw_http_msg_t *msg)
{
    size_t    end = find_end(buf, 0, len, last_len);
    cursor_t  c;
    summary_t sum;

    reset(msg);
    if (end == 0) {
        return len > max_size ? fail(msg, 502, "response header too large")
                              : GW_PARSE_AGAIN;
    }
    if (end > max_size) {
        return fail(msg, 502, "response header too large");
    }
    c.p = buf;
    c.end = buf + end;
    if (parse_status_line(&c, msg) != 0 || parse_fields(&c, msg, 502) != 0) {
        return GW_PARSE_ERROR;
    }
    summarize(msg, &sum);
    if (response_framing(msg, &sum, head) != 0) {
        return GW_PARSE_ERROR;
    }
    return (int) end;
}

/* ---- helpers for proxies ------------------------------------------------------------ */

const gw_http_header_t *
gw_http_find(const gw_http_msg_t *msg, const char *name)
{
    for (unsigned i = 0; i < msg->n_headers; i++) {
        if (gw_http_str_ieq(msg->headers[i].name, name)) {
            return &msg->headers[i];
        }
    }
    return NULL;
}

static int
str_ieq_str(gw_str_t a, gw_str_t b)
{
    if (a.len != b.len) {
        return 0;
    }
    for (size_t i = 0; i < a.len; i++) {
        char x = a.data[i], y = b.data[i];

        x = (char) (x >= 'A' && x <= 'Z' ? x - 'A' + 'a' : x);
        y = (char) (y >= 'A' && y <= 'Z' ? y - 'A' + 'a' : y);
        if (x != y) {
            return 0;
        }
    }
    return 1;
}

int
gw_http_connection_names(const gw_http_msg_t *msg, gw_str_t name)
{
    for (unsigned i = 0; i < msg->n_headers; i++) {
        gw_str_t list = msg->headers[i].value, elt;

        if (!gw_http_str_ieq(msg->headers[i].name, "connection")) {
            continue;
        }
        while (gw_http_next_element(&list, &elt)) {
            if (str_ieq_str(elt, name)) {
                return 1;
            }
        }
    }
    return 0;
}

int
gw_http_is_idempotent(gw_str_t m)
{
    static const char *const safe[] = {
        "GET", "HEAD", "OPTIONS", "TRACE", "PUT", "DELETE",
    };

    for (size_t i = 0; i < sizeof(safe) / sizeof(safe[0]); i++) {
        if (gw_str_eq(m, safe[i])) {
            return 1;
        }
    }
    return 0;
}

const char *
gw_http_reason(int status)
{
    switch (status) {
    case 100: return "Continue";
    case 101: return "Switching Protocols";
    case 200: return "OK";
    case 400: return "Bad Request";
    case 403: return "Forbidden";
    case 404: return "Not Found";
    case 407: return "Proxy Authentication Required";
    case 408: return "Request Timeout";
    case 413: return "Content Too Large";
    case 417: return "Expectation Failed";
    case 429: return "Too Many Requests";
    case 431: return "Request Header Fields Too Large";
    case 500: return "Internal Server Error";
    case 501: return "Not Implemented";
    case 502: return "Bad Gateway";
    case 503: return "Service Unavailable";
    case 504: return "Gateway Timeout";
    case 505: return "HTTP Version Not Supported";
    default:  return "Unknown";
    }
}
