# gateway: `make` builds build/gateway; `make test` builds and runs every
# test; `make run` runs gateway.conf.example in the foreground.
# SANITIZE=1 builds with AddressSanitizer and UBSan into build/sanitize/.
# `make fuzz` builds the libFuzzer targets of test/fuzz/ with clang into
# build/fuzz/ and runs each FUZZ_SECONDS; `make fuzz-regress` only replays
# their seed corpora and saved crashes (test/fuzz/README.md).
# `make install` copies the binary, the man page, the example configuration
# and contrib/ (systemd unit, logrotate) under $(DESTDIR)$(PREFIX) (PREFIX
# /usr/local; SYSCONFDIR $(PREFIX)/etc, or /etc when PREFIX=/usr);
# `make uninstall` removes them.

CC      ?= cc
CFLAGS  ?= -O2 -g
CFLAGS  += -std=gnu11 -Wall -Wextra -Werror -I. -MMD -MP -pthread
LDFLAGS += -pthread

BUILD   := build
ifeq ($(SANITIZE),1)
BUILD   := build/sanitize
CFLAGS  += -fsanitize=address,undefined -fno-omit-frame-pointer \
           -fno-sanitize-recover=undefined
LDFLAGS += -fsanitize=address,undefined
endif

COMMON_SRC := $(wildcard common/*.c)
CONF_SRC   := $(wildcard conf/*.c)
WORKER_SRC := $(wildcard worker/*.c)
MASTER_SRC := $(wildcard master/*.c)
LIB_SRC    := $(COMMON_SRC) $(CONF_SRC) $(WORKER_SRC)

LIB_OBJ    := $(LIB_SRC:%.c=$(BUILD)/%.o)
MASTER_OBJ := $(MASTER_SRC:%.c=$(BUILD)/%.o)

UNIT_SRC   := $(wildcard test/unit/*.c)
UNIT_BIN   := $(BUILD)/test/unit/run_unit
BACKEND_SRC := $(wildcard test/backends/*.c)
BACKEND_BIN := $(BACKEND_SRC:test/backends/%.c=$(BUILD)/test/backends/%)
BENCH_SRC  := $(wildcard bench/*.c)
BENCH_BIN  := $(BENCH_SRC:bench/%.c=$(BUILD)/bench/%)

CHECK_LIBS  = $(shell pkg-config --libs check 2>/dev/null || echo -lcheck -lsubunit -lrt -lm)

# Integration tests whose gateway runs under valgrind's memcheck (each
# process's errors and definite leaks fail its test); slow, not in CI.
VALGRIND_TESTS ?= tcp_echo tcp_half_close udp_echo udp_sessions \
                  http_reverse_headers http_reverse_bodies http_reverse_keepalive \
                  http_reverse_pipelining http_reverse_hostile \
                  http_forward_requests http_forward_connect http_forward_auth \
                  http_forward_keepalive http_forward_hostile \
                  socks5_connect socks5_auth socks5_bind socks5_udp socks5_hostile \
                  reload reopen shutdown

.PHONY: all run test test-deps unit integration bench check-layers clean valgrind \
        fuzz fuzz-regress fuzz-build fuzz-bins fuzz-deps install uninstall

all: $(BUILD)/gateway

$(BUILD)/gateway: $(MASTER_OBJ) $(BUILD)/libgateway.a
	$(CC) $(LDFLAGS) -o $@ $^

$(BUILD)/libgateway.a: $(LIB_OBJ)
	@rm -f $@
	$(AR) rcs $@ $^

$(BUILD)/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -c -o $@ $<

$(UNIT_BIN): $(UNIT_SRC) $(BUILD)/libgateway.a
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -o $@ $(UNIT_SRC) $(BUILD)/libgateway.a $(LDFLAGS) $(CHECK_LIBS)

$(BUILD)/test/backends/%: test/backends/%.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -o $@ $< $(LDFLAGS)

$(BUILD)/bench/%: bench/%.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -o $@ $< $(LDFLAGS)

run: $(BUILD)/gateway
	$(BUILD)/gateway -c gateway.conf.example -g 'daemon off;'

test-deps:
	@test/deps.sh

test: test-deps
	@$(MAKE) --no-print-directory all $(UNIT_BIN) $(BACKEND_BIN)
	@BUILD=$(BUILD) SANITIZE=$(SANITIZE) test/run

valgrind: test-deps
	@command -v valgrind >/dev/null || { echo "valgrind: apt-get install -y valgrind"; exit 1; }
	@$(MAKE) --no-print-directory all $(BACKEND_BIN)
	@BUILD=$(BUILD) VALGRIND=1 test/run $(VALGRIND_TESTS:%=integration/%)

bench: all $(BACKEND_BIN) $(BENCH_BIN)
	@BUILD=$(BUILD) bench/run

# Includes point one way: common <- conf <- worker <- master.
check-layers:
	@! grep -n '#include "\(conf\|worker\|master\)/' common/*.[ch] || exit 1
	@! grep -n '#include "\(worker\|master\)/' conf/*.[ch] || exit 1
	@! grep -n '#include "master/' worker/*.[ch] || exit 1
	@echo "layers: ok"

# ---- fuzzing: clang + libFuzzer, in build/fuzz/ (the normal build untouched)
# Only the pure parsers: common/ and conf/ objects, instrumented for
# coverage, ASan and UBSan. fuzz_conf links test/fuzz/fuzz_pool.c instead
# of common/pool.c and wraps glob() and getaddrinfo() (test/fuzz/fuzz_conf.c).
FUZZ_CC      ?= clang
FUZZ_SECONDS ?= 30
FUZZ_NAMES   ?= conf http_request http_response socks5 proxy
FUZZ_BUILD   := build/fuzz
FUZZ_CFLAGS  := -std=gnu11 -Wall -Wextra -Werror -I. -MMD -MP -pthread -g -O1 \
                -fno-omit-frame-pointer -fno-sanitize-recover=undefined \
                -fsanitize=fuzzer-no-link,address,undefined
FUZZ_LDFLAGS := -fsanitize=fuzzer,address,undefined -pthread
FUZZ_LIB     := $(FUZZ_BUILD)/libgateway-fuzz.a
FUZZ_LIB_OBJ := $(patsubst %.c,$(FUZZ_BUILD)/%.o,$(COMMON_SRC) $(CONF_SRC))
FUZZ_UTIL    := $(FUZZ_BUILD)/test/fuzz/fuzz_util.o
FUZZ_BINS    := $(FUZZ_NAMES:%=$(FUZZ_BUILD)/fuzz_%)

$(FUZZ_BUILD)/%.o: %.c
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -c -o $@ $<

$(FUZZ_LIB): $(FUZZ_LIB_OBJ)
	@rm -f $@
	$(AR) rcs $@ $^

$(FUZZ_BUILD)/fuzz_conf: $(FUZZ_BUILD)/test/fuzz/fuzz_conf.o \
                         $(FUZZ_BUILD)/test/fuzz/fuzz_pool.o $(FUZZ_UTIL) $(FUZZ_LIB)
	$(FUZZ_CC) $(FUZZ_LDFLAGS) -Wl,--wrap=glob,--wrap=getaddrinfo -o $@ $^

$(FUZZ_BUILD)/fuzz_http_request $(FUZZ_BUILD)/fuzz_http_response: \
$(FUZZ_BUILD)/fuzz_%: $(FUZZ_BUILD)/test/fuzz/fuzz_%.o \
                      $(FUZZ_BUILD)/test/fuzz/fuzz_http.o $(FUZZ_UTIL) $(FUZZ_LIB)
	$(FUZZ_CC) $(FUZZ_LDFLAGS) -o $@ $^

$(FUZZ_BUILD)/fuzz_socks5: $(FUZZ_BUILD)/test/fuzz/fuzz_socks5.o $(FUZZ_UTIL) \
                           $(FUZZ_LIB)
	$(FUZZ_CC) $(FUZZ_LDFLAGS) -o $@ $^

$(FUZZ_BUILD)/fuzz_proxy: $(FUZZ_BUILD)/test/fuzz/fuzz_proxy.o $(FUZZ_LIB)
	$(FUZZ_CC) $(FUZZ_LDFLAGS) -o $@ $^

fuzz-deps:
	@test/fuzz/deps.sh

fuzz-build: fuzz-deps
	@$(MAKE) --no-print-directory fuzz-bins

fuzz-bins: $(FUZZ_BINS)

# Every target over its seeds and saved crashes, then FUZZ_SECONDS of
# fuzzing each; fails when anything crashes (new crashes are saved in
# test/fuzz/regress/NAME/).
fuzz: fuzz-build
	@FUZZ_BUILD=$(FUZZ_BUILD) test/fuzz/run regress $(FUZZ_NAMES)
	@FUZZ_BUILD=$(FUZZ_BUILD) FUZZ_SECONDS=$(FUZZ_SECONDS) \
	    test/fuzz/run fuzz $(FUZZ_NAMES)

fuzz-regress: fuzz-build
	@FUZZ_BUILD=$(FUZZ_BUILD) test/fuzz/run regress $(FUZZ_NAMES)

# ---- install: make install [PREFIX=/usr/local] [DESTDIR=] [SYSCONFDIR=]
# contrib/gateway.service names the PREFIX=/usr paths (/usr/sbin/gateway,
# /etc/gateway/); the copy installed names $(SBINDIR) and
# $(SYSCONFDIR)/gateway instead (never $(DESTDIR), a staging root).
PREFIX     ?= /usr/local
SYSCONFDIR ?= $(if $(filter /usr,$(PREFIX)),/etc,$(PREFIX)/etc)
SBINDIR    ?= $(PREFIX)/sbin
MANDIR     ?= $(PREFIX)/share/man
DOCDIR     ?= $(PREFIX)/share/doc/gateway
CONTRIB    := gateway.service logrotate
DOCS       := README.md docs/configuration.md docs/operations.md \
              docs/architecture.md
INSTALLED  := $(SBINDIR)/gateway $(MANDIR)/man8/gateway.8 \
              $(SYSCONFDIR)/gateway/gateway.conf.example \
              $(CONTRIB:%=$(DOCDIR)/%) $(addprefix $(DOCDIR)/,$(notdir $(DOCS)))

install: $(BUILD)/gateway
	install -D -m 755 $(BUILD)/gateway $(DESTDIR)$(SBINDIR)/gateway
	install -D -m 644 docs/gateway.8 $(DESTDIR)$(MANDIR)/man8/gateway.8
	install -D -m 644 gateway.conf.example \
	    $(DESTDIR)$(SYSCONFDIR)/gateway/gateway.conf.example
	install -d -m 755 $(DESTDIR)$(DOCDIR)
	install -m 644 $(DOCS) $(DESTDIR)$(DOCDIR)/
	for f in $(CONTRIB); do \
	    sed -e 's|/usr/sbin/gateway|$(SBINDIR)/gateway|g' \
	        -e 's|/etc/gateway/|$(SYSCONFDIR)/gateway/|g' \
	        contrib/$$f >$(DESTDIR)$(DOCDIR)/$$f && \
	    chmod 644 $(DESTDIR)$(DOCDIR)/$$f || exit 1; \
	done

# The directories go only when empty: a gateway.conf beside the example stays.
uninstall:
	rm -f $(INSTALLED:%=$(DESTDIR)%)
	@rmdir $(DESTDIR)$(SYSCONFDIR)/gateway $(DESTDIR)$(DOCDIR) 2>/dev/null || true

clean:
	rm -rf build

-include $(shell find $(sort $(BUILD) $(FUZZ_BUILD)) -name '*.d' 2>/dev/null | sort -u)
