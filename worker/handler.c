/*
 * worker/handler.c: the handler registry. A later issue adds its handler
 * here and nowhere else.
 */
#include "conf/conf.h"
#include "worker/handler.h"

static const gw_handler_t *const handlers[GW_HANDLER_COUNT] = {
    [GW_HANDLER_TCP] = &gw_tcp_handler,
    [GW_HANDLER_UDP] = &gw_udp_handler,
    [GW_HANDLER_HTTP_REVERSE] = &gw_http_reverse_handler,
    [GW_HANDLER_HTTP_FORWARD] = &gw_http_forward_handler,
    [GW_HANDLER_SOCKS5] = &gw_socks5_handler,
    [GW_HANDLER_STATUS] = &gw_status_handler,
};

const gw_handler_t *
gw_handler_find(int kind)
{
    if (kind <= GW_HANDLER_NONE || kind >= GW_HANDLER_COUNT) {
        return NULL;
    }
    return handlers[kind];
}
