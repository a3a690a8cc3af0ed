/*
 * worker/loop.c: epoll wait and dispatch (see loop.h).
 *
 * An event names its slot by (index, generation); a slot closed earlier in
 * the batch has a new generation and its stale events are dropped. After
 * on_read, on_write runs only if the callback left the slot open.
 */
#include <errno.h>
#include <stdlib.h>
#include <sys/epoll.h>

#include "common/clock.h"
#include "common/log.h"
#include "worker/loop.h"

static int                 ep = -1;
static struct epoll_event *events;
static unsigned            n_events;

/* posted connections as (index, generation), run after the batch */
static uint64_t           *posted, *running;
static unsigned            n_posted, posted_cap;

int
gw_loop_init(unsigned max_events)
{
    ep = epoll_create1(EPOLL_CLOEXEC);
    if (ep == -1) {
        return -1;
    }
    events = calloc(max_events, sizeof(*events));
    posted_cap = 1024;
    posted = calloc(posted_cap, sizeof(*posted));
    running = calloc(posted_cap, sizeof(*running));
    if (events == NULL || posted == NULL || running == NULL) {
        return -1;
    }
    n_events = max_events;
    return 0;
}

void
gw_loop_del(gw_conn_t *c)
{
    epoll_ctl(ep, EPOLL_CTL_DEL, c->fd, NULL);
}

void
gw_loop_post(gw_conn_t *c)
{
    if (n_posted == posted_cap) {
        unsigned  cap = posted_cap * 2;
        uint64_t *p = realloc(posted, cap * sizeof(*p));
        uint64_t *r = p ? realloc(running, cap * sizeof(*r)) : NULL;

        if (p) {
            posted = p;
        }
        if (r == NULL) {
            return;     /* out of memory: the next event resumes it */
        }
        running = r;
        posted_cap = cap;
    }
    posted[n_posted++] = (uint64_t) c->gen << 32 | c->index;
}

static void
run_posted(void)
{
    unsigned n = n_posted;
    uint64_t *swap = running;

    /* what runs now may post again: that waits for the next turn */
    running = posted;
    posted = swap;
    n_posted = 0;
    for (unsigned i = 0; i < n; i++) {
        gw_conn_t *c = gw_conn_by_index((uint32_t) running[i]);

        if (c && c->gen == (uint32_t) (running[i] >> 32) && c->fd != -1) {
            c->on_read(c);
        }
    }
}

int
gw_loop_add(gw_conn_t *c)
{
    struct epoll_event ev;

    ev.events = EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET;
    ev.data.u64 = (uint64_t) c->gen << 32 | c->index;
    return epoll_ctl(ep, EPOLL_CTL_ADD, c->fd, &ev);
}

static void
dispatch(const struct epoll_event *ev)
{
    gw_conn_t *c = gw_conn_by_index((uint32_t) ev->data.u64);
    uint32_t   gen = (uint32_t) (ev->data.u64 >> 32);
    uint32_t   e = ev->events;
    int        readable, writable;

    if (c == NULL || c->gen != gen || c->fd == -1) {
        return;                 /* stale: closed earlier in this batch */
    }
    /* EPOLLHUP and EPOLLERR can come alone: report both directions, so
     * the armed callback meets the error in its own recv/send */
    if (e & (EPOLLERR | EPOLLHUP)) {
        e |= EPOLLIN | EPOLLOUT;
    }
    if (e & (EPOLLRDHUP | EPOLLHUP | EPOLLERR)) {
        c->hup = 1;
    }
    readable = (e & (EPOLLIN | EPOLLRDHUP)) != 0;
    writable = (e & EPOLLOUT) != 0;
    if (readable) {
        c->read_ready = 1;
    }
    if (writable) {
        c->write_ready = 1;
    }
    if (readable && writable && c->on_read == c->on_write) {
        c->on_read(c);          /* one callback serves both: a relay */
        return;
    }
    if (readable) {
        c->on_read(c);
        if (c->gen != gen) {
            return;
        }
    }
    if (writable) {
        c->on_write(c);
    }
}

void
gw_loop_once(void)
{
    int n = epoll_wait(ep, events, (int) n_events,
                       n_posted ? 0 : gw_timers_wait_ms());

    gw_clock_update();
    if (n == -1) {
        if (errno != EINTR) {
            gw_log(GW_LOG_CRIT, errno, "epoll_wait() failed");
        }
        n = 0;
    }
    for (int i = 0; i < n; i++) {
        dispatch(&events[i]);
    }
    run_posted();
    gw_timers_run();
}
