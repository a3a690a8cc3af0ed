/*
 * worker/tunnel.c: a relayed pair under idle_timeout and send_timeout
 * (see tunnel.h).
 */
#include <errno.h>

#include "common/clock.h"
#include "common/log.h"
#include "worker/listener.h"
#include "worker/loop.h"
#include "worker/tunnel.h"

static void on_relay(gw_conn_t *c);
static void on_idle_timer(gw_timer_t *t);
static void on_send_timer(gw_timer_t *t);

static const gw_conf_listener_t *
conf_of(const gw_tunnel_t *t)
{
    return t->relay.side[0]->ls->conf;
}

void
gw_tunnel_start(gw_tunnel_t *t, gw_conn_t *client, gw_conn_t *upstream,
                gw_buf_t *early)
{
    uint64_t idle = client->ls->conf->idle_timeout_ms;

    gw_relay_init(&t->relay, client, upstream);
    t->relay.dir[0].buf = early;
    /* the timers change hands: whatever they bounded before is over */
    gw_timer_del(&client->timer);
    gw_timer_del(&upstream->timer);
    client->peer = upstream;
    upstream->peer = client;
    client->ctx = upstream->ctx = t;
    client->on_read = client->on_write = on_relay;
    upstream->on_read = upstream->on_write = on_relay;
    client->action = upstream->action = "proxying";
    gw_timer_init(&client->timer, on_idle_timer);
    gw_timer_init(&upstream->timer, on_send_timer);
    t->idle_deadline_ms = gw_now_ms + idle;
    if (idle) {
        gw_timer_set_at(&client->timer, t->idle_deadline_ms);
    }
    on_relay(client);
}

void
gw_tunnel_fini(gw_tunnel_t *t)
{
    gw_relay_fini(&t->relay);
}

/* Keep send_timeout armed exactly while bytes wait for a slow reader. */
static void
update_send_timer(gw_tunnel_t *t, uint64_t send_timeout_ms)
{
    gw_timer_t *timer = &t->relay.side[1]->timer;

    if (!gw_relay_is_blocked(&t->relay) || send_timeout_ms == 0) {
        gw_timer_del(timer);
        return;
    }
    if (t->relay.progress || !gw_timer_is_armed(timer)) {
        t->send_deadline_ms = gw_now_ms + send_timeout_ms;
        if (!gw_timer_is_armed(timer)) {
            gw_timer_set_at(timer, t->send_deadline_ms);
        }
    }
}

static void
on_relay(gw_conn_t *c)
{
    gw_tunnel_t              *t = c->ctx;
    const gw_conf_listener_t *conf = conf_of(t);
    int                       rc = gw_relay_pump(&t->relay);

    if (rc == GW_RELAY_ERROR) {
        gw_conn_t *side = t->relay.side[t->relay.error_side];

        gw_conn_log(GW_LOG_INFO, side, t->relay.error, "%s",
                    side == t->relay.side[1] ? "upstream connection failed"
                                              : "client connection failed");
        t->end(t);
        return;
    }
    if (rc == GW_RELAY_DONE) {
        t->end(t);
        return;
    }
    if (t->relay.progress) {
        /* lazy: the idle timer keeps its slot and is pushed when it fires */
        t->idle_deadline_ms = gw_now_ms + conf->idle_timeout_ms;
    }
    update_send_timer(t, conf->send_timeout_ms);
    if (t->relay.more) {
        gw_loop_post(t->relay.side[0]);
    }
}

static void
expire(gw_timer_t *timer, uint64_t deadline_ms, const char *what)
{
    gw_conn_t   *c = gw_container_of(timer, gw_conn_t, timer);
    gw_tunnel_t *t = c->ctx;

    if (gw_timer_lazy_expired(timer, deadline_ms)) {
        gw_conn_log(GW_LOG_INFO, c, ETIMEDOUT, "%s", what);
        t->end(t);
    }
}

static void
on_idle_timer(gw_timer_t *timer)
{
    gw_tunnel_t *t = gw_container_of(timer, gw_conn_t, timer)->ctx;

    expire(timer, t->idle_deadline_ms, "idle timeout");
}

static void
on_send_timer(gw_timer_t *timer)
{
    gw_tunnel_t *t = gw_container_of(timer, gw_conn_t, timer)->ctx;

    if (gw_timer_lazy_expired(timer, t->send_deadline_ms)) {
        /* a side that takes nothing: what it holds is dropped, now */
        gw_conn_reset_on_close(t->relay.side[0]);
        gw_conn_reset_on_close(t->relay.side[1]);
        gw_conn_log(GW_LOG_INFO, t->relay.side[1], ETIMEDOUT, "send timeout");
        t->end(t);
    }
}
