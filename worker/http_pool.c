/*
 * worker/http_pool.c: the per-worker pool of idle upstream connections
 * (see http_pool.h).
 *
 * Entries live in one list, most recently used first; a lookup walks it
 * for the address. Pools are small (keepalive N per server), so the walk
 * is short; an entry is allocated when a connection goes idle and freed
 * when it leaves, which is once per request at most.
 */
#include <stdlib.h>

#include "common/clock.h"
#include "common/log.h"
#include "worker/http_pool.h"

typedef struct entry {
    struct entry *prev, *next;
    gw_conn_t    *conn;
} entry_t;

static entry_t  *head;
static unsigned  count;
static int       hooked;
static int       stopped;           /* a graceful stop: keep nothing */
static entry_t  *spare;             /* entries recycled, not freed */

static entry_t *
entry_get(void)
{
    entry_t *e = spare;

    if (e == NULL) {
        return malloc(sizeof(*e));
    }
    spare = e->next;
    return e;
}

/* Entries are few (keepalive N per server): keep them all. */
static void
entry_put(entry_t *e)
{
    e->next = spare;
    spare = e;
}

static void
unlink_entry(entry_t *e)
{
    if (e->prev) {
        e->prev->next = e->next;
    } else {
        head = e->next;
    }
    if (e->next) {
        e->next->prev = e->prev;
    }
    count--;
}

/* Take C out of the pool and close it. */
static void
drop(entry_t *e)
{
    gw_conn_t *c = e->conn;

    unlink_entry(e);
    entry_put(e);
    c->ctx = NULL;
    gw_conn_close(c);
}

/* An idle connection became readable: closed by the origin, or it spoke
 * out of turn. Either way it cannot carry a request any more. */
static void
on_idle_event(gw_conn_t *c)
{
    drop(c->ctx);
}

static void
on_idle_timeout(gw_timer_t *t)
{
    drop(gw_container_of(t, gw_conn_t, timer)->ctx);
}

static void
noop(gw_conn_t *c)
{
    (void) c;
}

/* The oldest idle connections go first when slots run short. */
static unsigned
reclaim(unsigned want)
{
    unsigned closed = 0;
    entry_t *e = head;

    while (e && e->next) {
        e = e->next;
    }
    while (e && closed < want) {
        entry_t *prev = e->prev;

        drop(e);
        closed++;
        e = prev;
    }
    return closed;
}

static int
same_addr(const gw_conn_t *c, const gw_sockaddr_t *addr)
{
    return gw_sockaddr_eq(&c->addr, addr);
}

gw_conn_t *
gw_http_pool_get(const gw_sockaddr_t *addr)
{
    for (entry_t *e = head; e; e = e->next) {
        gw_conn_t *c = e->conn;

        if (!same_addr(c, addr)) {
            continue;
        }
        unlink_entry(e);
        entry_put(e);
        gw_timer_del(&c->timer);
        c->ctx = NULL;
        return c;
    }
    return NULL;
}

void
gw_http_pool_put(gw_conn_t *c, unsigned max, uint64_t timeout_ms)
{
    entry_t *e;
    unsigned same = 0;

    if (!hooked) {
        gw_conns_on_pressure(reclaim);
        hooked = 1;
    }
    if (stopped) {
        gw_conn_close(c);
        return;
    }
    for (e = head; e; e = e->next) {
        same += same_addr(e->conn, &c->addr);
    }
    e = same < max ? entry_get() : NULL;
    if (e == NULL) {
        gw_conn_close(c);
        return;
    }
    e->conn = c;
    e->prev = NULL;
    e->next = head;
    if (head) {
        head->prev = e;
    }
    head = e;
    count++;
    c->ctx = e;
    c->peer = NULL;
    c->action = "keeping an idle upstream connection";
    c->on_read = on_idle_event;
    c->on_write = noop;
    gw_timer_del(&c->timer);            /* the exchange's read_timeout */
    gw_timer_init(&c->timer, on_idle_timeout);
    gw_timer_set(&c->timer, timeout_ms);
}

void
gw_http_pool_stop(void)
{
    stopped = 1;
    reclaim(count);
}

unsigned
gw_http_pool_count(void)
{
    return count;
}
