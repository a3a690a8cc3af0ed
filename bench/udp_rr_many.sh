#!/usr/bin/env bash
# bench/udp_rr_many.sh: the udp_rr scenario with 8 client sockets (8
# sessions), each keeping 16 datagrams in flight: where recvmmsg() and
# sendmmsg() batches fill up (nginx reaches about 0.28 of the direct rate
# here, the figure the udp issue quotes). Target: gateway >= 1.3x nginx.
# needs: nginx-stream
UDP_RR_SOCKETS=8 UDP_RR_NAME=udp_rr_many exec bash "$(dirname "$0")/udp_rr.sh"
