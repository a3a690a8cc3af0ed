# gateway: `make` builds build/gateway; `make test` builds and runs every
# test; `make run` runs gateway.conf.example in the foreground.
# SANITIZE=1 builds with AddressSanitizer and UBSan into build/sanitize/.

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

.PHONY: all run test test-deps unit integration bench check-layers clean

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

bench: all $(BACKEND_BIN) $(BENCH_BIN)
	@BUILD=$(BUILD) bench/run

# Includes point one way: common <- conf <- worker <- master.
check-layers:
	@! grep -n '#include "\(conf\|worker\|master\)/' common/*.[ch] || exit 1
	@! grep -n '#include "\(worker\|master\)/' conf/*.[ch] || exit 1
	@! grep -n '#include "master/' worker/*.[ch] || exit 1
	@echo "layers: ok"

clean:
	rm -rf build

-include $(shell find $(BUILD) -name '*.d' 2>/dev/null)
