# pinetboot - network boot server for Raspberry Pi fleets.
# Targets: all (default), check, lint, demo, bench, fuzz, install, format-check, clean.

PREFIX  ?= /usr/local
DESTDIR ?=
CC      ?= cc
CLANG   ?= clang

WARN    := -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes -Wmissing-prototypes \
           -Wpointer-arith -Wcast-qual -Wformat=2 -Wno-unused-parameter
BASEFLAGS := -std=c11 -D_GNU_SOURCE -Isrc $(WARN) -g
CFLAGS  ?= -O2
LDLIBS  := -linih -lsodium -lmicrohttpd -lseccomp -lcap -pthread
ASANFLAGS := -O1 -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined

LIB_SRC  := $(sort $(filter-out src/main.c,$(shell find src -name '*.c')))
# Unit tests mirror src/: tests/unit/<folder>/test_*.c tests src/<folder>/.
TEST_SRC := $(sort $(wildcard tests/unit/*/test_*.c))
FUZZ_SRC := $(sort $(wildcard tests/fuzz/fuzz_*.c))
BENCH_SRC := $(sort $(wildcard bench/*.c))
HDRS     := $(shell find src -name '*.h')

OBJ      := $(LIB_SRC:%.c=build/obj/%.o)
ASAN_OBJ := $(LIB_SRC:%.c=build/asan/%.o)
TESTS    := $(foreach t,$(TEST_SRC),build/asan/tests/$(basename $(notdir $(t))))
vpath test_%.c $(sort $(dir $(TEST_SRC)))
FUZZERS  := $(FUZZ_SRC:tests/fuzz/%.c=build/fuzz/%)
BENCHES  := $(BENCH_SRC:bench/%.c=build/bench/%)

.PHONY: all check lint unit integ demo bench fuzz install format-check clean deps asan
all: pinetboot

# ---- version: `git describe` in a checkout, else the VERSION file (tarballs) ----
PINETBOOT_VERSION := $(shell { test -e .git && git describe --always --dirty 2>/dev/null; } || cat VERSION 2>/dev/null || echo unknown)
PINETBOOT_VERSION := $(shell printf '%s' '$(PINETBOOT_VERSION)' | tr -cd 'A-Za-z0-9._+-')
build/obj/src/main.o build/asan/src/main.o: BASEFLAGS += -DPINETBOOT_VERSION='"$(PINETBOOT_VERSION)"'
build/obj/src/main.o build/asan/src/main.o: build/version.txt
build/version.txt: FORCE
	@mkdir -p build; echo '$(PINETBOOT_VERSION)' | cmp -s - $@ || echo '$(PINETBOOT_VERSION)' >$@
.PHONY: FORCE
FORCE:
# ---- end version ----

pinetboot: build/obj/src/main.o build/libpinetboot.a
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $^ $(LDLIBS)

build/libpinetboot.a: $(OBJ)
	@rm -f $@
	ar rcs $@ $^

build/obj/%.o: %.c $(HDRS)
	@mkdir -p $(dir $@)
	@echo "  CC      $<"
	@$(CC) $(BASEFLAGS) $(CFLAGS) -c -o $@ $<

# The dashboard files are embedded by .incbin in fleet_www.c: rebuild it
# when they change.
WWW := $(wildcard src/fleet/www/*)
build/obj/src/fleet/fleet_www.o build/asan/src/fleet/fleet_www.o build/fuzzobj/src/fleet/fleet_www.o: $(WWW)

# Sanitizer build: the same sources under ASan + UBSan, used by unit tests
# and by the integration tests (build/asan/pinetboot).
build/asan/%.o: %.c $(HDRS)
	@mkdir -p $(dir $@)
	@echo "  CC+SAN  $<"
	@$(CC) $(BASEFLAGS) $(ASANFLAGS) -c -o $@ $<

build/asan/libpinetboot.a: $(ASAN_OBJ)
	@rm -f $@
	ar rcs $@ $^

build/asan/pinetboot: build/asan/src/main.o build/asan/libpinetboot.a
	$(CC) $(ASANFLAGS) -o $@ $^ $(LDLIBS)

build/asan/tests/%: %.c build/asan/libpinetboot.a $(HDRS)
	@mkdir -p $(dir $@)
	$(CC) $(BASEFLAGS) $(ASANFLAGS) -o $@ $< build/asan/libpinetboot.a $(LDLIBS) -lcmocka

# libFuzzer targets (clang), linked against a clang-built, sanitized
# archive of the library so each pulls in only the objects it uses.
FUZZFLAGS := -O1 -fsanitize=fuzzer-no-link,address,undefined
FUZZ_OBJ := $(LIB_SRC:%.c=build/fuzzobj/%.o)

build/fuzzobj/%.o: %.c $(HDRS)
	@mkdir -p $(dir $@)
	@echo "  CLANG   $<"
	@$(CLANG) $(BASEFLAGS) $(FUZZFLAGS) -c -o $@ $<

build/fuzzobj/libpinetboot.a: $(FUZZ_OBJ)
	@rm -f $@
	@ar rcs $@ $^

build/fuzz/%: tests/fuzz/%.c build/fuzzobj/libpinetboot.a $(HDRS)
	@mkdir -p $(dir $@)
	@echo "  FUZZ    $@"
	@$(CLANG) $(BASEFLAGS) -O1 -fsanitize=fuzzer,address,undefined -o $@ $< build/fuzzobj/libpinetboot.a $(LDLIBS)
# fuzz_fleet_replay.c is fuzz_events_log.c built with FUZZ_FLEET.
build/fuzz/fuzz_fleet_replay: tests/fuzz/fuzz_events_log.c

build/bench/%: bench/%.c build/libpinetboot.a $(HDRS)
	@mkdir -p $(dir $@)
	$(CC) $(BASEFLAGS) $(CFLAGS) -o $@ $< build/libpinetboot.a $(LDLIBS) -lm

# ---- NFS benchmark client (bench/nfs_bench.c, libnfs; bench/nfs-bench.sh) ----
# An explicit rule: it links libnfs, not libpinetboot.
build/bench/nfs_bench: bench/nfs_bench.c bench/nfs_client.h
	@mkdir -p $(dir $@)
	$(CC) $(BASEFLAGS) $(CFLAGS) -o $@ $< -lnfs

bench-nfs: deps pinetboot build/bench/nfs_bench
	bench/nfs-bench.sh
.PHONY: bench-nfs
# ---- end NFS benchmark ----

# ---- NFS boot storm replayer (bench/nfs_storm.c, libnfs; bench/nfs-storm.sh) ----
build/bench/nfs_storm: bench/nfs_storm.c bench/nfs_client.h
	@mkdir -p $(dir $@)
	$(CC) $(BASEFLAGS) $(CFLAGS) -o $@ $< -lnfs
# ---- end NFS boot storm ----

# ---- NFS protocol test client (tests/nfs/nfs_proto_test.c, libnfs; run by tests/integ/t_nfs_proto.sh) ----
build/tests/nfs_proto_test: tests/nfs/nfs_proto_test.c
	@mkdir -p $(dir $@)
	$(CC) -std=gnu11 -D_GNU_SOURCE -Wall -Wextra -Wno-unused-parameter -Werror -g -O1 -o $@ $< -lnfs
# ---- end NFS protocol test client ----

asan: build/asan/pinetboot $(TESTS)

deps:
	@tests/deps.sh

# make check: install what the tests need (Debian), build everything with
# warnings as errors, run unit tests, fuzz-corpus replays and integration
# tests (ASan + UBSan), then print "N passed, N failed".
check: deps lint
	$(MAKE) pinetboot build/asan/pinetboot $(TESTS) $(FUZZERS) $(BENCHES) build/tests/nfs_proto_test
	tests/run.sh

# make lint: the include rules between src/ folders (tools/lint-layers.sh
# lists them at its top); fails with file:line on a forbidden edge.
lint:
	@tools/lint-layers.sh src

fuzz: $(FUZZERS)
	@for f in $(FUZZERS); do n=$$(basename $$f); mkdir -p build/corpus/$$n; \
	  $$f -max_total_time=$${FUZZ_SECONDS:-60} build/corpus/$$n tests/fuzz/corpus/$$n || exit 1; done

demo: deps pinetboot
	tests/demo.sh

bench: deps pinetboot $(BENCHES)
	bench/tftp-storm.sh

install: pinetboot
	install -d $(DESTDIR)$(PREFIX)/sbin
	install -m 0755 pinetboot $(DESTDIR)$(PREFIX)/sbin/pinetboot

# ---- man pages and the example config, generated from the tables that
# --help prints (src/main.c subcommands, src/daemon/config.c keys) ----
MANS := build/man/pinetboot.8 build/man/pinetboot.conf.5 build/man/pinetboot.conf.example
man: $(MANS)
build/man/pinetboot.8: pinetboot
	@mkdir -p $(dir $@)
	./pinetboot man 8 >$@.tmp && mv $@.tmp $@
build/man/pinetboot.conf.5: pinetboot
	@mkdir -p $(dir $@)
	./pinetboot man 5 >$@.tmp && mv $@.tmp $@
build/man/pinetboot.conf.example: pinetboot
	@mkdir -p $(dir $@)
	./pinetboot man conf >$@.tmp && mv $@.tmp $@

# ---- Debian package: dpkg-buildpackage in a copy of the tracked files
# (no .git: the version is the VERSION file's), output in build/deb/ ----
deb:
	@command -v dpkg-buildpackage >/dev/null || { echo "make deb needs dpkg-dev and debhelper (tests/deps.sh installs them)"; exit 1; }
	rm -rf build/deb && mkdir -p build/deb/src
	git ls-files -z | xargs -0 tar -cf - | tar -xf - -C build/deb/src
	cd build/deb/src && dpkg-buildpackage -b -us -uc
	@ls build/deb/*.deb
.PHONY: man deb

format-check:
	clang-format --dry-run --Werror $(LIB_SRC) $(HDRS)

clean:
	rm -rf build pinetboot
