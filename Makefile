# libuebpf — the one build entry.
#   make            library, tools, pkg-config file under build/
#   make check      every test (installs missing build deps first, as root)
#   make demo       a bundled program run through the library
#   make bench      side-by-side benchmarks
#   make bench-verify OBJS=...   load/verify cost beside the kernel's
#   make bench-xdp  XDP per-packet time beside the kernel's, batch throughput
#   make bench-jit  JIT compile time (2,300 instructions), plain and blinded
#   make fuzz       a long fuzzing campaign
#   make install    PREFIX=/usr/local DESTDIR=
#   make deps       apt-get the Debian build dependencies (or print the line)

VERSION_MAJOR := 0
VERSION := 0.1.0
SONAME := libuebpf.so.$(VERSION_MAJOR)

PREFIX ?= /usr/local
LIBDIR ?= $(PREFIX)/lib
INCLUDEDIR ?= $(PREFIX)/include
BINDIR ?= $(PREFIX)/bin
MANDIR ?= $(PREFIX)/share/man
PKGCONFIGDIR ?= $(LIBDIR)/pkgconfig

CC ?= cc
FUZZ_CC ?= clang
B := build

# Debian packages the build and the tests need; `make deps` installs them.
DEB_DEPS := build-essential pkg-config clang llvm libclang-rt-14-dev libc6-dev-i386 \
	libcmocka-dev libelf-dev libbpf-dev zlib1g-dev linux-libc-dev \
	mandoc abigail-tools libpcap-dev bpftool tcpdump
# What must be present, checked before `make check`; missing -> make deps.
PC_DEPS := cmocka libelf libbpf libpcap
CMD_DEPS := mandoc abidw abidiff clang llc bpftool tcpdump

CFLAGS_BASE := -std=gnu11 -O2 -g -Wall -Wextra -Werror -fPIC \
	-fvisibility=hidden -Iinclude -D_GNU_SOURCE \
	$(shell pkg-config --cflags libelf libbpf 2>/dev/null)
CFLAGS ?=
ALL_CFLAGS := $(CFLAGS_BASE) $(CFLAGS)
LDLIBS_LIB := -lpthread \
	$(shell pkg-config --libs libelf libbpf 2>/dev/null || echo -lelf -lbpf)

LIB_SRCS := $(wildcard lib/*.c vm/*.c maps/*.c xdp/*.c)
LIB_OBJS := $(LIB_SRCS:%.c=$(B)/obj/%.o)
SO := $(B)/libuebpf.so.$(VERSION)
A := $(B)/libuebpf.a
PC := $(B)/libuebpf.pc
MAP := lib/libuebpf.map
ABI_BASELINE := lib/libuebpf.abi

PLUGIN := $(B)/uebpf-conformance-plugin
TOOL := $(B)/uebpf
TOOL_SRCS := $(wildcard tools/uebpf_*.c)
RUNNER := $(B)/uebpf-conformance-runner
UNIT_SRCS := $(wildcard tests/unit/test_*.c)
UNIT_BINS := $(UNIT_SRCS:tests/unit/%.c=$(B)/tests/%)
BENCH := $(B)/bench/bench_interp
FUZZ_BINS := $(B)/fuzz/fuzz_prog $(B)/fuzz/fuzz_object $(B)/fuzz/fuzz_verifier
FUZZ_SECONDS ?= 30
FUZZ_OBJECT_SECONDS ?= 60
FUZZ_VERIFIER_SECONDS ?= 30
FUZZ_LONG_SECONDS ?= 1800

# BPF test objects, built as users build them for the kernel.
BPF_CLANG ?= clang
LLC ?= llc
BPF_CFLAGS := -O2 -g -target bpf -I/usr/include/x86_64-linux-gnu
PROG_SRCS := $(wildcard tests/progs/*.bpf.c)
PROG_OBJS := $(PROG_SRCS:tests/progs/%.bpf.c=$(B)/progs/%.o)
BENCH_LOAD := $(B)/bench/bench_load

# Tools link the shared library found next to them.
TOOL_LDFLAGS := -L$(B) -Wl,-rpath,'$$ORIGIN' -Wl,-rpath,'$$ORIGIN/..'

.PHONY: all check deps check-deps demo demo-lb bench bench-verify bench-xdp bench-jit fuzz install uninstall clean \
	check-unit check-conformance check-verifier check-fuzz check-abi check-symbols \
	check-man check-install check-sanitize check-stress check-tsan \
	check-soundness soundness-kernel abi-baseline format check-tools check-kernel \
	check-jit

all: $(SO) $(B)/libuebpf.so $(A) $(PC) $(PLUGIN) $(RUNNER) $(B)/examples/checksum \
	$(PROG_OBJS) $(TOOL) $(B)/examples/xdp_lb $(B)/examples/xdp_lb_traffic

$(B)/progs/%.o: tests/progs/%.bpf.c
	@mkdir -p $(dir $@)
	$(BPF_CLANG) $(BPF_CFLAGS) -c $< -o $@

# Katran's way: host IR through llc, which leaves .eh_frame and LBB* symbols.
$(B)/progs/llc_pipeline.o: tests/progs/llc_pipeline.bpf.c
	@mkdir -p $(dir $@)
	$(BPF_CLANG) -O2 -g -I/usr/include/x86_64-linux-gnu -D__KERNEL__ \
		-emit-llvm -c $< -o - | $(LLC) -march=bpf -filetype=obj -o $@

$(B)/obj/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -MMD -MP -c $< -o $@

-include $(LIB_OBJS:.o=.d)

$(SO): $(LIB_OBJS) $(MAP)
	$(CC) -shared -Wl,-soname,$(SONAME) -Wl,--version-script=$(MAP) \
		-Wl,--no-undefined -o $@ $(LIB_OBJS) $(LDLIBS_LIB)

$(B)/libuebpf.so: $(SO)
	ln -sf libuebpf.so.$(VERSION) $(B)/$(SONAME)
	ln -sf $(SONAME) $@

$(A): $(LIB_OBJS)
	@rm -f $@
	ar rcs $@ $^

$(PC): pkgconfig/libuebpf.pc.in Makefile
	@mkdir -p $(B)
	sed -e 's|@PREFIX@|$(PREFIX)|g' -e 's|@LIBDIR@|$(LIBDIR)|g' \
		-e 's|@INCLUDEDIR@|$(INCLUDEDIR)|g' -e 's|@VERSION@|$(VERSION)|g' \
		-e 's|@LIBS_PRIVATE@|$(LDLIBS_LIB)|g' $< > $@

$(PLUGIN): tools/conformance_plugin.c $(B)/libuebpf.so include/uebpf.h
	$(CC) $(ALL_CFLAGS) -o $@ $< $(TOOL_LDFLAGS) -luebpf

# The uebpf command (tools/uebpf_*.c): the public API only, libpcap, and
# libbpf's BTF API with libelf to read an object's types (uebpf_btf.c).
$(TOOL): $(TOOL_SRCS) tools/uebpf_tool.h tools/uebpf_pcapio.h $(B)/libuebpf.so include/uebpf.h \
		$(wildcard include/uebpf/*.h)
	$(CC) $(ALL_CFLAGS) $$(pkg-config --cflags libpcap libbpf libelf 2>/dev/null) -o $@ \
		$(TOOL_SRCS) $(TOOL_LDFLAGS) -luebpf \
		$$(pkg-config --libs libpcap 2>/dev/null || echo -lpcap) \
		$$(pkg-config --libs libbpf libelf 2>/dev/null || echo -lbpf -lelf) -lm

$(RUNNER): tests/conformance/runner.c tests/conformance/asm.c tests/conformance/asm.h
	@mkdir -p $(B)
	$(CC) $(ALL_CFLAGS) -o $@ tests/conformance/runner.c tests/conformance/asm.c

# The verifier corpus (tests/verifier/{reject,accept}/*.s), checked in
# libuebpf and, where bpf(2) is allowed, against the kernel.  The runner
# sets the expected attach type once uebpf_prog_load_opts has the field.
VERIFIER_RUNNER := $(B)/tests/verifier_runner
VERIFIER_RUNNER_DEFS := $(if $(shell grep -s expected_attach_type include/uebpf.h),\
	-DRUNNER_HAVE_ATTACH_TYPE=1)
$(VERIFIER_RUNNER): tests/verifier/runner.c tests/conformance/asm.c tests/conformance/asm.h \
		$(A) include/uebpf.h $(wildcard include/uebpf/*.h)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) $(VERIFIER_RUNNER_DEFS) -o $@ tests/verifier/runner.c \
		tests/conformance/asm.c $(A) $(LDLIBS_LIB)

# Unit tests link the static library: some reach hidden internals (the
# thread's CPU slot, program-side map operations) besides the public API.
$(B)/tests/%: tests/unit/%.c $(A) include/uebpf.h $(wildcard tests/unit/*.h)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -Ilib -o $@ $< $(A) $(LDLIBS_LIB) \
		$$(pkg-config --cflags --libs cmocka libbpf) -lpthread

# xdp_lb (tests/progs/xdp_lb*): the load balancer, its control plane, the
# example hosts and `make demo`.
XDP_LB_CP := tests/progs/xdp_lb_cp.c
XDP_LB_HDRS := tests/progs/xdp_lb.h tests/progs/xdp_lb_cp.h
$(B)/progs/xdp_lb.o: tests/progs/xdp_lb.h
$(B)/tests/test_xdp_lb: tests/unit/test_xdp_lb.c $(XDP_LB_CP) $(XDP_LB_HDRS) $(A) \
		include/uebpf.h
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -Ilib -o $@ $< $(XDP_LB_CP) $(A) $(LDLIBS_LIB) \
		$$(pkg-config --cflags --libs cmocka libbpf) -lpthread

# ---- dependencies -------------------------------------------------------

deps:
	@if [ "$$(id -u)" = 0 ]; then \
		echo "installing: $(DEB_DEPS)"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive \
			apt-get install -y -qq --no-install-recommends $(DEB_DEPS); \
	else \
		echo "run as root:"; \
		echo "  apt-get install -y $(DEB_DEPS)"; \
		exit 1; \
	fi

check-deps:
	@missing=; \
	for p in $(PC_DEPS); do pkg-config --exists $$p || missing="$$missing $$p"; done; \
	for c in $(CMD_DEPS); do command -v $$c >/dev/null || missing="$$missing $$c"; done; \
	if [ -n "$$missing" ]; then \
		echo "missing:$$missing; running make deps"; \
		$(MAKE) --no-print-directory deps; \
	fi

# ---- tests --------------------------------------------------------------

CHECK_SUITES := check-symbols check-man check-abi check-install check-unit \
	check-tools check-conformance check-verifier check-sanitize check-stress \
	check-soundness check-jit check-kernel check-fuzz

# Every suite runs even when one fails; the last line counts them.
check: check-deps
	@$(MAKE) --no-print-directory all
	@pass=0; fail=0; failed=; \
	for t in $(CHECK_SUITES); do \
		echo "==== $$t"; \
		if $(MAKE) --no-print-directory $$t; then pass=$$((pass+1)); \
		else fail=$$((fail+1)); failed="$$failed $$t"; fi; \
	done; \
	[ $$fail = 0 ] || echo "failed suites:$$failed"; \
	echo "suites: $$pass passed, $$fail failed"; \
	[ $$fail = 0 ]

# Two passes: the library's default engine (the JIT where there is one),
# then UEBPF_ENGINE=interp, so every program a test loads without naming an
# engine runs on both.  Each pass prints the engine `uebpf version` reports
# for it; the second is skipped, saying so, when the first was already the
# interpreter (a build without a JIT).
check-unit: $(UNIT_BINS) $(PROG_OBJS) $(TOOL)
	@pass=0; fail=0; \
	d=$$(env -u UEBPF_ENGINE $(TOOL) version | sed -n 's/^default engine: //p'); \
	for e in default interp; do \
		if [ $$e = default ]; then \
			echo "==== unit pass 1: default engine ($$d)"; \
			set -- env -u UEBPF_ENGINE; \
		elif [ "$$d" = interp ]; then \
			echo "==== unit pass 2: SKIP: the default engine of pass 1 was already the interpreter (this build has no JIT)"; \
			continue; \
		else \
			echo "==== unit pass 2: UEBPF_ENGINE=interp ($$(UEBPF_ENGINE=interp $(TOOL) version | sed -n 's/^default engine: //p'))"; \
			set -- env UEBPF_ENGINE=interp; \
		fi; \
		for t in $(UNIT_BINS); do \
			echo "== $$t ($$e engine)"; \
			if "$$@" UEBPF_PROGS_DIR=$(B)/progs $$t; then pass=$$((pass+1)); \
			else fail=$$((fail+1)); echo "FAILED: $$t ($$e engine)"; fi; \
		done; \
	done; \
	echo "unit test programs: $$pass passed, $$fail failed (default engine: $$d)"; \
	[ $$fail = 0 ]

# The conformance files on each engine.  The JIT passes are skipped, with
# the library's reason, only when the plugin's probe (r0 = 7) says this
# build has no JIT; any other probe failure fails the suite.
JIT_PROBE = out=$$(printf 'b7 00 00 00 07 00 00 00 95 00 00 00 00 00 00 00\n' | $(1) --jit 2>&1); \
	if [ "$$out" != 7 ]; then \
		case "$$out" in *"has no JIT"*) \
			echo "SKIP: $(2) with --jit: $$out"; exit 0;; esac; \
		echo "FAIL: $(2): the JIT probe printed '$$out', expected 7"; exit 1; \
	fi

check-conformance: $(PLUGIN) $(RUNNER)
	$(RUNNER) --plugin $(PLUGIN) --plugin-opt --interpret tests/conformance
	$(RUNNER) --plugin $(PLUGIN) --plugin-opt --interpret --elf tests/conformance
	@$(call JIT_PROBE,$(PLUGIN),check-conformance); \
	echo "$(RUNNER) --plugin $(PLUGIN) --plugin-opt --jit tests/conformance"; \
	$(RUNNER) --plugin $(PLUGIN) --plugin-opt --jit tests/conformance || exit 1; \
	echo "$(RUNNER) --plugin $(PLUGIN) --plugin-opt --jit --elf tests/conformance"; \
	$(RUNNER) --plugin $(PLUGIN) --plugin-opt --jit --elf tests/conformance

check-verifier: $(VERIFIER_RUNNER)
	$(VERIFIER_RUNNER) tests/verifier

# The uebpf command against the project's objects: every command, every
# documented error, JSON, batch, pcap, and bpftool prog run where bpf(2)
# is allowed.
TOOL_PCAPGEN := $(B)/tests/tool_pcapgen
$(TOOL_PCAPGEN): tests/tools/pcapgen.c
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -o $@ $< $$(pkg-config --libs libpcap 2>/dev/null || echo -lpcap)

$(B)/tests/tool_jsoncheck: tests/tools/jsoncheck.c
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -o $@ $<

check-tools: $(TOOL) $(TOOL_PCAPGEN) $(B)/tests/tool_jsoncheck $(PROG_OBJS) \
		$(B)/examples/xdp_lb_traffic $(PLUGIN)
	B=$(B) bash tests/tools/test_uebpf.sh

# The conformance files again, through a plugin built with ASan and UBSan.
ASAN_PLUGIN := $(B)/asan/uebpf-conformance-plugin
$(ASAN_PLUGIN): tools/conformance_plugin.c $(LIB_SRCS) $(wildcard lib/*.h vm/*.h include/*.h)
	@mkdir -p $(dir $@)
	$(CC) -std=gnu11 -O1 -g -Wall -Wextra -Werror -Iinclude -D_GNU_SOURCE \
		-fsanitize=address,undefined -fno-sanitize-recover=all \
		-fno-omit-frame-pointer -o $@ tools/conformance_plugin.c $(LIB_SRCS) \
		$(LDLIBS_LIB)

check-sanitize: $(ASAN_PLUGIN) $(RUNNER)
	$(RUNNER) --plugin $(ASAN_PLUGIN) --plugin-opt --interpret tests/conformance
	@$(call JIT_PROBE,$(ASAN_PLUGIN),check-sanitize); \
	echo "$(RUNNER) --plugin $(ASAN_PLUGIN) --plugin-opt --jit tests/conformance"; \
	$(RUNNER) --plugin $(ASAN_PLUGIN) --plugin-opt --jit tests/conformance

# Install into a staging tree and build the README's example against it
# through pkg-config, as a user would.
STAGE := $(CURDIR)/$(B)/stage
STAGE_PC := PKG_CONFIG_SYSROOT_DIR=$(STAGE) PKG_CONFIG_LIBDIR=$(STAGE)$(PKGCONFIGDIR)
check-install: all
	@rm -rf $(STAGE)
	@$(MAKE) --no-print-directory install DESTDIR=$(STAGE) >/dev/null
	@sed -n '/^```c$$/,/^```$$/p' README.md | sed '1d;$$d' > $(STAGE)/readme_example.c
	@$(CC) -Wall -Wextra -Werror $(STAGE)/readme_example.c -o $(STAGE)/readme_example \
		$$($(STAGE_PC) pkg-config --cflags --libs libuebpf)
	@out=$$(LD_LIBRARY_PATH=$(STAGE)$(LIBDIR) $(STAGE)/readme_example); \
	[ "$$out" = "r0 = 44" ] || { echo "README example printed '$$out'"; exit 1; }
	@test -e $(STAGE)$(MANDIR)/man7/uebpf.7
	@test -e $(STAGE)$(MANDIR)/man1/uebpf.1
	@out=$$(LD_LIBRARY_PATH=$(STAGE)$(LIBDIR) $(STAGE)$(BINDIR)/uebpf version | head -n 1); \
	[ "$$out" = "uebpf v$(VERSION)" ] || { echo "installed uebpf version printed '$$out'"; exit 1; }
	@test -L $(STAGE)$(LIBDIR)/libuebpf.so.0
	@echo "install: staged under $(B)/stage, README example built with pkg-config and ran"

# Map stress: workers and a control plane on the same maps, under ASan and
# UBSan in `make check`, under ThreadSanitizer in `make check-tsan` (with
# clang: gcc 12 refuses atomic_thread_fence under -fsanitize=thread).
STRESS_SRC := tests/stress/map_stress.c
STRESS_DEPS := $(STRESS_SRC) $(LIB_SRCS) $(wildcard lib/*.h vm/*.h maps/*.h include/*.h)
$(B)/stress/map_stress_asan: $(STRESS_DEPS)
	@mkdir -p $(dir $@)
	$(CC) -std=gnu11 -O1 -g -Wall -Wextra -Werror -Iinclude -Ilib -D_GNU_SOURCE \
		-fsanitize=address,undefined -fno-sanitize-recover=all \
		-fno-omit-frame-pointer -o $@ $(STRESS_SRC) $(LIB_SRCS) $(LDLIBS_LIB)
$(B)/stress/map_stress_tsan: $(STRESS_DEPS)
	@mkdir -p $(dir $@)
	$(FUZZ_CC) -std=gnu11 -O1 -g -Wall -Wextra -Werror -Iinclude -Ilib -D_GNU_SOURCE \
		-fsanitize=thread -fno-omit-frame-pointer -o $@ $(STRESS_SRC) $(LIB_SRCS) \
		$(LDLIBS_LIB)

# The XDP hook: workers run packets while the control plane swaps programs.
HOOK_STRESS_SRC := tests/stress/hook_stress.c
HOOK_STRESS_DEPS := $(HOOK_STRESS_SRC) tests/unit/insn.h $(LIB_SRCS) \
	$(wildcard lib/*.h vm/*.h maps/*.h xdp/*.h include/*.h include/uebpf/*.h)
$(B)/stress/hook_stress_asan: $(HOOK_STRESS_DEPS)
	@mkdir -p $(dir $@)
	$(CC) -std=gnu11 -O1 -g -Wall -Wextra -Werror -Iinclude -Ilib -D_GNU_SOURCE \
		-fsanitize=address,undefined -fno-sanitize-recover=all \
		-fno-omit-frame-pointer -o $@ $(HOOK_STRESS_SRC) $(LIB_SRCS) $(LDLIBS_LIB)
$(B)/stress/hook_stress_tsan: $(HOOK_STRESS_DEPS)
	@mkdir -p $(dir $@)
	$(FUZZ_CC) -std=gnu11 -O1 -g -Wall -Wextra -Werror -Iinclude -Ilib -D_GNU_SOURCE \
		-fsanitize=thread -fno-omit-frame-pointer -o $@ $(HOOK_STRESS_SRC) \
		$(LIB_SRCS) $(LDLIBS_LIB)

check-stress: $(B)/stress/map_stress_asan $(B)/stress/hook_stress_asan
	$(B)/stress/map_stress_asan 3
	$(B)/stress/hook_stress_asan 3

check-tsan: $(B)/stress/map_stress_tsan $(B)/stress/hook_stress_tsan
	TSAN_OPTIONS=halt_on_error=1 $(B)/stress/map_stress_tsan 3
	TSAN_OPTIONS=halt_on_error=1 $(B)/stress/hook_stress_tsan 3

# The verifier's soundness: random XDP programs (tests/verifier/gen.c), the
# accepted ones run in the interpreter's debug mode, where any access
# outside the stack frames, packet, context and map values is a failure.
# First the generator's own test (no verifier involved: clean programs
# never fault, mutated ones do) and, where bpf(2) is allowed, the debug
# mode's (what the running kernel's verifier accepts never faults); then a
# fixed seed and a time-derived one (printed, for --seed), each
# SOUND_COUNT programs or SOUND_SECONDS, whichever comes first.  Fails
# when nothing is accepted.
SOUND := $(B)/tests/verifier_soundness
SOUND_SRCS := tests/verifier/gen.c tests/verifier/harness.c
SOUND_HDRS := $(wildcard tests/verifier/*.h)
SOUND_COUNT ?= 10000
SOUND_SECONDS ?= 22
$(SOUND): tests/verifier/soundness.c tests/verifier/kernel.c $(SOUND_SRCS) \
		$(SOUND_HDRS) $(A) include/uebpf.h
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -Ilib -o $@ tests/verifier/soundness.c \
		tests/verifier/kernel.c $(SOUND_SRCS) $(A) $(LDLIBS_LIB)

check-soundness: $(SOUND)
	$(SOUND) --unverified --seed 1 --count 3000
	$(SOUND) --unverified --kernel --seed 2 --count 1000
	$(SOUND) --seed 1 --count $(SOUND_COUNT) --seconds $(SOUND_SECONDS)
	@seed=$$(date +%s); echo "time-derived seed: $$seed"; \
	$(SOUND) --seed $$seed --count $(SOUND_COUNT) --seconds $(SOUND_SECONDS)

# The running kernel's verifier beside ours on the same programs (root).
soundness-kernel: $(SOUND)
	$(SOUND) --kernel --seed 1 --count 5000

# The JIT against the interpreter on random programs (tests/jit/jit_diff.c):
# XDP programs of the verifier's generator in two runtimes (verdicts,
# packets, maps after every packet) and raw straight-line programs
# (registers, errors).  A fixed seed and a time-derived one (printed, for
# --seed), each JIT_COUNT programs or JIT_SECONDS, whichever comes first;
# fails on any difference and when nothing was compared.  Skips, saying
# so, in a build without a JIT.
JIT_DIFF := $(B)/tests/jit_diff
JIT_COUNT ?= 20000
JIT_SECONDS ?= 25
JIT_FUZZ_SECONDS ?= 1800
$(JIT_DIFF): tests/jit/jit_diff.c tests/unit/log_mask.h $(SOUND_SRCS) $(SOUND_HDRS) $(A) include/uebpf.h
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -Ilib -o $@ tests/jit/jit_diff.c $(SOUND_SRCS) \
		$(A) $(LDLIBS_LIB)

check-jit: $(JIT_DIFF)
	$(JIT_DIFF) --seed 1 --count $(JIT_COUNT) --seconds $(JIT_SECONDS)
	@seed=$$(date +%s); echo "time-derived seed: $$seed"; \
	$(JIT_DIFF) --seed $$seed --count $(JIT_COUNT) --seconds $(JIT_SECONDS)

# The fuzzers' full output goes to a log; the recipe shows its end and
# fails with the fuzzer (a pipe into tail would hide a crash).  Each first
# replays its seeds, including the inputs of past crashes.
check-fuzz: $(FUZZ_BINS) $(PROG_OBJS) $(JIT_DIFF)
	@mkdir -p $(B)/fuzz/corpus $(B)/fuzz/corpus_object
	@echo "fuzz_prog, $(FUZZ_SECONDS) s"; \
	$(B)/fuzz/fuzz_prog -max_total_time=$(FUZZ_SECONDS) -print_final_stats=1 \
		$(B)/fuzz/corpus tests/fuzz/seeds > $(B)/fuzz/prog.log 2>&1; rc=$$?; \
	grep -v '^libbpf: ' $(B)/fuzz/prog.log | tail -n 12; exit $$rc
	@echo "fuzz_object, $(FUZZ_OBJECT_SECONDS) s"; \
	$(B)/fuzz/fuzz_object -max_total_time=$(FUZZ_OBJECT_SECONDS) -print_final_stats=1 \
		$(B)/fuzz/corpus_object $(B)/progs tests/fuzz/regressions_object \
		> $(B)/fuzz/object.log 2>&1; rc=$$?; \
	grep -v '^libbpf: ' $(B)/fuzz/object.log | tail -n 12; exit $$rc
	@mkdir -p $(B)/fuzz/corpus_verifier
	@echo "fuzz_verifier, $(FUZZ_VERIFIER_SECONDS) s"; \
	$(B)/fuzz/fuzz_verifier -max_total_time=$(FUZZ_VERIFIER_SECONDS) -print_final_stats=1 \
		$(B)/fuzz/corpus_verifier tests/fuzz/seeds_verifier \
		> $(B)/fuzz/verifier.log 2>&1; rc=$$?; \
	tail -n 12 $(B)/fuzz/verifier.log; exit $$rc

fuzz: $(FUZZ_BINS) $(PROG_OBJS)
	@mkdir -p $(B)/fuzz/corpus $(B)/fuzz/corpus_object
	$(B)/fuzz/fuzz_prog -max_total_time=$(FUZZ_LONG_SECONDS) $(B)/fuzz/corpus tests/fuzz/seeds
	$(B)/fuzz/fuzz_object -max_total_time=$(FUZZ_LONG_SECONDS) $(B)/fuzz/corpus_object $(B)/progs \
		tests/fuzz/regressions_object
	@mkdir -p $(B)/fuzz/corpus_verifier
	$(B)/fuzz/fuzz_verifier -max_total_time=$(FUZZ_LONG_SECONDS) $(B)/fuzz/corpus_verifier \
		tests/fuzz/seeds_verifier
	@seed=$$(date +%s); echo "jit_diff, $(JIT_FUZZ_SECONDS) s, seed $$seed"; \
	$(JIT_DIFF) --seed $$seed --count 1000000000 --seconds $(JIT_FUZZ_SECONDS)

$(B)/fuzz/%: tests/fuzz/%.c $(LIB_SRCS) $(wildcard lib/*.h vm/*.h include/*.h)
	@mkdir -p $(dir $@)
	$(FUZZ_CC) -std=gnu11 -g -O1 -Iinclude -Ilib -D_GNU_SOURCE \
		-fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined \
		-o $@ $< $(LIB_SRCS) $(LDLIBS_LIB)

# The soundness property from fuzzer bytes: the generator and harness too.
$(B)/fuzz/fuzz_verifier: tests/fuzz/fuzz_verifier.c $(SOUND_SRCS) $(SOUND_HDRS) \
		$(LIB_SRCS) $(wildcard lib/*.h vm/*.h maps/*.h xdp/*.h include/*.h)
	@mkdir -p $(dir $@)
	$(FUZZ_CC) -std=gnu11 -g -O1 -Iinclude -Ilib -D_GNU_SOURCE \
		-fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined \
		-o $@ $< $(SOUND_SRCS) $(LIB_SRCS) $(LDLIBS_LIB)

# Exported symbols: only uebpf_*, every one versioned, every one documented.
check-symbols: $(SO)
	@bad=$$(nm -D --defined-only $(SO) | awk '$$2 ~ /[TDBRW]/ {print $$3}' | \
		grep -v '^LIBUEBPF_' | grep -v '^uebpf_.*@@*LIBUEBPF_[0-9.]*$$' || true); \
	if [ -n "$$bad" ]; then echo "unversioned or foreign exports:"; echo "$$bad"; exit 1; fi; \
	soname=$$(readelf -d $(SO) | sed -n 's/.*SONAME.*\[\(.*\)\]/\1/p'); \
	[ "$$soname" = "$(SONAME)" ] || { echo "SONAME is '$$soname'"; exit 1; }; \
	missing=; for s in $$(nm -D --defined-only $(SO) | awk '$$2 == "T" {sub(/@.*/, "", $$3); print $$3}'); do \
		grep -qs "^\.Nm $$s\$$" man/man3/*.3 || missing="$$missing $$s"; \
	done; \
	if [ -n "$$missing" ]; then echo "exported without a man page:$$missing"; exit 1; fi; \
	echo "symbols: $$(nm -D --defined-only $(SO) | grep -c ' T ') exported functions, all uebpf_*, versioned, documented"

check-man:
	@mandoc -Tlint -W warning man/man1/*.1 man/man3/*.3 man/man7/*.7 2>&1 | \
		{ if read -r l; then echo "$$l"; cat; exit 1; fi; }
	@for f in man/man3/*.3; do grep -q 'THREAD SAFETY' $$f || \
		{ echo "$$f: no THREAD SAFETY section"; exit 1; }; done
	@echo "man pages: $$(ls man/man*/* | wc -l) pages lint-clean"

# The ABI baseline is abidw's view of the library; a change that breaks
# existing users fails here.  `make abi-baseline` records a new release.
check-abi: $(SO)
	@abidw --no-corpus-path --headers-dir include $(SO) > $(B)/libuebpf.abi
	@abidiff --headers-dir2 include $(ABI_BASELINE) $(B)/libuebpf.abi > $(B)/abidiff.txt; rc=$$?; \
	if [ $$((rc & 8)) != 0 ] || [ $$((rc & 1)) != 0 ]; then \
		cat $(B)/abidiff.txt; echo "ABI: incompatible change against $(ABI_BASELINE)"; exit 1; \
	elif [ $$((rc & 4)) != 0 ]; then \
		cat $(B)/abidiff.txt; echo "ABI: compatible additions; run 'make abi-baseline' to record them"; \
	else echo "ABI: unchanged against $(ABI_BASELINE)"; fi

abi-baseline: $(SO)
	abidw --no-corpus-path --headers-dir include $(SO) > $(ABI_BASELINE)

# ---- demo and bench -------------------------------------------------------

demo: check-deps
	@$(MAKE) --no-print-directory all $(B)/examples/checksum
	@echo "== examples/checksum: a host running a BPF checksum loop through libuebpf"
	$(B)/examples/checksum
	@$(MAKE) --no-print-directory demo-lb

# The load balancer (tests/progs/xdp_lb.bpf.c) over generated traffic, in
# one `uebpf batch` so the configuration, the run and the statistics share
# the maps: the configuration lines (xdp_lb_traffic -b), `uebpf pcap` (the
# verdict counts and the time per packet, DEMO_OUT written), the
# statistics maps BTF-formatted with their per-CPU values summed, each
# labelled by a "#!" comment (xdp_lb_traffic -S), and `prog show` with the
# run statistics.  DEMO_OUT: out.pcap in the directory make runs in.
LB_DEMO := $(B)/demo
LB_OBJ := $(B)/progs/xdp_lb.o
LB_FRAMES ?= 10000
DEMO_OUT ?= out.pcap
demo-lb: $(TOOL) $(B)/examples/xdp_lb_traffic $(LB_OBJ)
	@mkdir -p $(LB_DEMO)
	@echo "== xdp_lb: a load balancer (IPIP, IPv6, GUE encapsulation; per-CPU LRU flows; Maglev ring)"
	$(B)/examples/xdp_lb_traffic -n $(LB_FRAMES) -s 1 $(LB_DEMO)/in.pcap
	@$(B)/examples/xdp_lb_traffic -b $(LB_OBJ) > $(LB_DEMO)/xdp_lb.batch
	@{ echo "#! $(LB_FRAMES) frames through xdp_lb (uebpf pcap): verdicts, time per packet"; \
	   echo "pcap $(LB_OBJ) name xdp_lb $(LB_DEMO)/in.pcap $(DEMO_OUT)"; \
	   $(B)/examples/xdp_lb_traffic -S $(LB_OBJ); \
	   echo "#!"; \
	   echo "#! the program's run statistics (run_time_ns, run_cnt)"; \
	   echo "prog show $(LB_OBJ) name xdp_lb"; } >> $(LB_DEMO)/xdp_lb.batch
	@echo "$(B)/uebpf --percpu sum --oneline batch file $(LB_DEMO)/xdp_lb.batch  ($$(wc -l < $(LB_DEMO)/xdp_lb.batch) lines, mostly the Maglev rings)"
	@$(B)/uebpf --percpu sum --oneline batch file $(LB_DEMO)/xdp_lb.batch
	@if command -v tcpdump >/dev/null; then \
		echo "== tcpdump -r $(DEMO_OUT) (the first frames out)"; \
		tcpdump -nn -r $(DEMO_OUT) -c 4 2>/dev/null; \
	else echo "== $(DEMO_OUT) written (tcpdump -r reads it)"; fi

$(B)/examples/%: examples/%.c $(B)/libuebpf.so include/uebpf.h
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -o $@ $< $(TOOL_LDFLAGS) -luebpf

# The load balancer's host and traffic generator: the control plane
# library beside them, libpcap for the files.
$(B)/examples/xdp_lb: examples/xdp_lb.c $(XDP_LB_CP) $(XDP_LB_HDRS) $(B)/libuebpf.so \
		include/uebpf.h
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -Itests/progs -o $@ $< $(XDP_LB_CP) $(TOOL_LDFLAGS) -luebpf \
		$$(pkg-config --libs libpcap 2>/dev/null || echo -lpcap)
$(B)/examples/xdp_lb_traffic: examples/xdp_lb_traffic.c $(XDP_LB_CP) $(XDP_LB_HDRS)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -Itests/progs -o $@ $< $(XDP_LB_CP) \
		$$(pkg-config --libs libpcap 2>/dev/null || echo -lpcap)

$(BENCH): bench/bench_interp.c $(B)/libuebpf.so include/uebpf.h
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -o $@ $< $(TOOL_LDFLAGS) -luebpf

BENCH_MAPS := $(B)/bench/bench_maps
$(BENCH_MAPS): bench/bench_maps.c $(A) include/uebpf.h
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -o $@ $< $(A) $(LDLIBS_LIB)

# bench_load calls the hidden link step, so it takes the static library.
$(BENCH_LOAD): bench/bench_load.c $(A) include/uebpf.h $(wildcard include/uebpf/*.h lib/*.h)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -Ilib -o $@ $< $(A) $(LDLIBS_LIB)

# bench_verify reaches the runtime's helper table and the internal load:
# static library too.
BENCH_VERIFY := $(B)/bench/bench_verify
$(BENCH_VERIFY): bench/bench_verify.c $(A) include/uebpf.h $(wildcard include/uebpf/*.h lib/*.h vm/*.h)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -Ilib -o $@ $< $(A) $(LDLIBS_LIB)

# bench_jit times the hidden uebpf_jit_compile(): static library too.
BENCH_JIT := $(B)/bench/bench_jit
$(BENCH_JIT): bench/bench_jit.c $(A) include/uebpf.h $(wildcard include/uebpf/*.h lib/*.h vm/*.h)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -Ilib -o $@ $< $(A) $(LDLIBS_LIB)

bench: $(BENCH) $(BENCH_MAPS) $(BENCH_LOAD) $(BENCH_VERIFY) $(BENCH_JIT) $(PROG_OBJS) $(BENCH_XDP) $(TOOL)
	$(BENCH)
	$(BENCH_MAPS)
	$(BENCH_LOAD) $(B)/progs/big.o
	UEBPF_PROGS_DIR=$(B)/progs $(BENCH_VERIFY)
	UEBPF_PROGS_DIR=$(B)/progs $(BENCH_JIT)
	UEBPF_PROGS_DIR=$(B)/progs $(BENCH_XDP) $(BENCH_XDP_ARGS)

# XDP per-packet time beside the kernel's (`uebpf prog run` and `bpftool
# prog run ... repeat N`, fresh packets, the load balancer configured on
# both sides) and uebpf_xdp_run_batch throughput:
#   make bench-xdp [BENCH_XDP_ARGS='-r 3 -n 100000 --no-cli']
BENCH_XDP := $(B)/bench/bench_xdp
BENCH_XDP_ARGS ?=
$(BENCH_XDP): bench/bench_xdp.c $(XDP_LB_CP) $(XDP_LB_HDRS) $(B)/libuebpf.so include/uebpf.h
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -Itests/progs -o $@ $< $(XDP_LB_CP) $(TOOL_LDFLAGS) -luebpf \
		$(LDLIBS_LIB)
bench-xdp: $(BENCH_XDP) $(TOOL) $(PROG_OBJS)
	UEBPF_PROGS_DIR=$(B)/progs $(BENCH_XDP) $(BENCH_XDP_ARGS)

# JIT compile time of a 2,300-instruction program, big.o and xdp_lb.o,
# plain and blinded, and the JIT's share of a whole load:
#   make bench-jit
bench-jit: $(BENCH_JIT) $(PROG_OBJS)
	UEBPF_PROGS_DIR=$(B)/progs $(BENCH_JIT)

# Verification cost beside the kernel's on any objects:
#   make bench-verify OBJS='dir/*.o' [BENCH_VERIFY_ARGS='--verify-only -v']
# Without OBJS: build/progs/big.o and the project's objects over 500 insns.
OBJS ?=
BENCH_VERIFY_ARGS ?=
bench-verify: $(BENCH_VERIFY) $(PROG_OBJS)
	UEBPF_PROGS_DIR=$(B)/progs $(BENCH_VERIFY) $(BENCH_VERIFY_ARGS) $(OBJS)

# ---- install --------------------------------------------------------------

install: all
	install -d $(DESTDIR)$(LIBDIR) $(DESTDIR)$(INCLUDEDIR) \
		$(DESTDIR)$(PKGCONFIGDIR) $(DESTDIR)$(MANDIR)/man3 \
		$(DESTDIR)$(MANDIR)/man7 $(DESTDIR)$(MANDIR)/man1
	install -m 644 include/uebpf.h $(DESTDIR)$(INCLUDEDIR)/
	if [ -d include/uebpf ] && ls include/uebpf/*.h >/dev/null 2>&1; then \
		install -d $(DESTDIR)$(INCLUDEDIR)/uebpf; \
		install -m 644 include/uebpf/*.h $(DESTDIR)$(INCLUDEDIR)/uebpf/; fi
	install -m 755 $(SO) $(DESTDIR)$(LIBDIR)/
	ln -sf libuebpf.so.$(VERSION) $(DESTDIR)$(LIBDIR)/$(SONAME)
	ln -sf $(SONAME) $(DESTDIR)$(LIBDIR)/libuebpf.so
	install -m 644 $(A) $(DESTDIR)$(LIBDIR)/
	install -m 644 $(PC) $(DESTDIR)$(PKGCONFIGDIR)/
	install -m 644 man/man3/*.3 $(DESTDIR)$(MANDIR)/man3/
	install -m 644 man/man7/*.7 $(DESTDIR)$(MANDIR)/man7/
	if ls man/man1/*.1 >/dev/null 2>&1; then \
		install -m 644 man/man1/*.1 $(DESTDIR)$(MANDIR)/man1/; fi
	install -d $(DESTDIR)$(BINDIR)
	install -m 755 $(TOOL) $(DESTDIR)$(BINDIR)/uebpf

uninstall:
	rm -f $(DESTDIR)$(LIBDIR)/libuebpf.* $(DESTDIR)$(INCLUDEDIR)/uebpf.h \
		$(DESTDIR)$(PKGCONFIGDIR)/libuebpf.pc $(DESTDIR)$(BINDIR)/uebpf \
		$(DESTDIR)$(MANDIR)/man1/uebpf.1
	rm -rf $(DESTDIR)$(INCLUDEDIR)/uebpf

format:
	clang-format -i $$(git ls-files '*.c' '*.h')

clean:
	rm -rf $(B)

# ---- kernel differential tests ----------------------------------------------

# Every XDP program of every object in $(B)/progs through BPF_PROG_TEST_RUN
# and through libuebpf, packet by packet (tests/kernel/README.md).  Skips
# with a reason without root/CAP_BPF.
KDIFF := $(B)/tests/kdiff
KDIFF_ARGS ?=
$(KDIFF): tests/kernel/kdiff.c tests/kernel/packets.c tests/kernel/packets.h \
		$(XDP_LB_CP) $(XDP_LB_HDRS) $(A) include/uebpf.h $(wildcard include/uebpf/*.h)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -Itests/progs -o $@ tests/kernel/kdiff.c \
		tests/kernel/packets.c $(XDP_LB_CP) $(A) $(LDLIBS_LIB)

check-kernel: $(KDIFF) $(PROG_OBJS)
	@$(KDIFF) $(KDIFF_ARGS) $(PROG_OBJS); rc=$$?; \
	if [ $$rc = 77 ]; then rc=0; fi; exit $$rc
