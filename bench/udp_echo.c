/*
 * bench/udp_echo.c: the UDP origin of the udp bench, as fast as one thread
 * can be: recvmmsg() a batch, sendmmsg() it back to each sender.
 *
 *   udp_echo [-a ADDR] PORT
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define BATCH 64
#define SIZE  2048

int
main(int argc, char **argv)
{
    static char             bufs[BATCH][SIZE];
    static struct mmsghdr   msgs[BATCH];
    static struct iovec     iov[BATCH];
    static struct sockaddr_in6 names[BATCH];
    const char             *addr = "127.0.0.1";
    struct sockaddr_in      sin;
    int                     opt, fd;

    while ((opt = getopt(argc, argv, "a:")) != -1) {
        if (opt == 'a') {
            addr = optarg;
        }
    }
    if (optind >= argc) {
        fprintf(stderr, "usage: udp_echo [-a ADDR] PORT\n");
        return 2;
    }
    memset(&sin, 0, sizeof(sin));
    sin.sin_family = AF_INET;
    sin.sin_port = htons((uint16_t) atoi(argv[optind]));
    inet_pton(AF_INET, addr, &sin.sin_addr);
    fd = socket(AF_INET, SOCK_DGRAM, 0);
    if (fd == -1 || bind(fd, (struct sockaddr *) &sin, sizeof(sin)) != 0) {
        perror("udp_echo: bind");
        return 1;
    }
    for ( ;; ) {
        int n;

        for (int i = 0; i < BATCH; i++) {
            iov[i].iov_base = bufs[i];
            iov[i].iov_len = SIZE;
            memset(&msgs[i].msg_hdr, 0, sizeof(msgs[i].msg_hdr));
            msgs[i].msg_hdr.msg_iov = &iov[i];
            msgs[i].msg_hdr.msg_iovlen = 1;
            msgs[i].msg_hdr.msg_name = &names[i];
            msgs[i].msg_hdr.msg_namelen = sizeof(names[i]);
        }
        n = recvmmsg(fd, msgs, BATCH, MSG_WAITFORONE, NULL);
        if (n <= 0) {
            continue;
        }
        for (int i = 0; i < n; i++) {
            iov[i].iov_len = msgs[i].msg_len;
        }
        sendmmsg(fd, msgs, (unsigned) n, 0);
    }
}
