# WireCAP — see README.md.
#
#   make test                 everything: host tests, then the VM selftests
#                             on both kernels; ends with "N passed, N failed"
#   make bench [QUICK=1]      the bench suite: results/bench/report.md
#   make vm CMD='...'         run a command in the test VM (mk/vm.mk)
#   make modules [KERNEL=6.1|6.12]   build the kernel modules
#   make modules KDIR=dir [KREL=release]
#                             build them for any kernel with headers (DKMS:
#                             KDIR=${kernel_source_dir} KREL=${kernelver}):
#                             no setup, no apt, no build/kernels.mk, no
#                             network, no python. The release is KREL, or
#                             the one dir's modules carry (scripts/krel.sh
#                             --kdir); output in build/<release>/modules/.
#                             The Intel drivers only with INTEL=1 (they
#                             need Debian's linux-source-X.Y of that very
#                             kernel; DKMS installs none of them), with
#                             their pristine cache in build/cache/ (or
#                             $WIRECAP_CACHE). KDIR wins over KERNEL.
#   make userbins             build the static user programs for the VM
#   make install [PREFIX=/usr/local] [DESTDIR=]   the tool, the library,
#                             its headers, .pc and man pages, the libpcap
#                             shim, the udev rule (mk/install.mk); also
#                             make uninstall, make dkms-src (DKMS's sources)
#   make check-intel          the Intel drivers (e1000e, ixgbe + our glue)
#                             built for 6.1 and 6.12 with W=1, sparse on
#                             the glue; fails on any warning

KERNEL ?= 6.1

CC ?= gcc
CFLAGS ?= -O2 -g
WARN := -Wall -Wextra -Wno-unused-parameter -Wno-sign-compare
CPPFLAGS += -Iuapi -Iliburing-glue -Ibuild/ksft
STATIC := -static

BIN := build/bin
GLUE_SRC := liburing-glue/wirecap_uring.c
SELFTESTS := $(patsubst selftests/%.c,%,$(filter-out selftests/wctest.c selftests/lib_%.c selftests/pcap_%.c,$(wildcard selftests/*.c)))
TOOLS := wirecap-softnic-replay wirecap-bench-softnic wirecap-softnic-gen \
	wirecap-pcap-handler wirecap-tap-gen wirecap-afp-forward

.PHONY: all setup modules userbins test bench vm clean check-intel

all: modules userbins

setup:
	@scripts/setup.sh

# KDIR from the command line only: an exported KDIR (kernel developers
# keep one) must not turn `make modules KERNEL=6.12` into another build.
ifeq ($(origin KDIR),command line)
# Any kernel's build directory, as DKMS gives it: nothing is installed and
# nothing outside the tree is written (unless $WIRECAP_CACHE says where).
KDIR_ABS := $(abspath $(KDIR))
$(if $(word 2,$(KDIR_ABS)),$(error KDIR must not contain blanks))
# +: the recipe's kbuild joins this make's jobserver (make -j8 modules)
modules:
	+@krel='$(KREL)' && \
	if [ -z "$$krel" ]; then krel=$$(scripts/krel.sh --kdir '$(KDIR_ABS)') || exit 1; fi && \
	case "$$krel" in *[!A-Za-z0-9._+~-]* | .* ) echo "bad KREL: $$krel" >&2; exit 1;; esac && \
	WIRECAP_KDIR='$(KDIR_ABS)' WIRECAP_CACHE="$${WIRECAP_CACHE:-$(CURDIR)/build/cache}" \
	WIRECAP_INTEL_OPTIONAL=1 WIRECAP_INTEL_DRIVERS='$(if $(filter 1,$(INTEL)),e1000e ixgbe,none)' \
	scripts/build-modules.sh "$$krel" $(CURDIR) "$(CURDIR)/build/$$krel/modules"
else
# The release behind KERNEL is known once setup has run (scripts/krel.sh),
# so it is looked up in the recipe, never when this file is parsed.
modules: setup
	@krel=$$(scripts/krel.sh $(KERNEL)) && \
	scripts/build-modules.sh $$krel $(CURDIR) $(CURDIR)/build/$$krel/modules
endif

# W=1 and sparse (on our glue only) for the Intel drivers; TAP
INTEL_KERNELS ?= 6.1 6.12
check-intel: setup
	@scripts/check-intel.sh $(INTEL_KERNELS)

userbins: setup $(addprefix $(BIN)/wctest-,$(SELFTESTS)) \
	$(addprefix $(BIN)/,$(TOOLS)) $(BIN)/wirecap-selftests

$(BIN)/wctest-%: selftests/%.c selftests/wctest.c selftests/wctest.h $(GLUE_SRC) \
		uapi/linux/wirecap.h
	@mkdir -p $(BIN)
	$(CC) $(CFLAGS) $(WARN) $(CPPFLAGS) $(STATIC) -o $@ $< \
		selftests/wctest.c $(GLUE_SRC) -luring -lpthread

$(BIN)/wirecap-bench-softnic: bench/softnic_rate.c selftests/wctest.c $(GLUE_SRC)
	@mkdir -p $(BIN)
	$(CC) $(CFLAGS) $(WARN) $(CPPFLAGS) $(STATIC) -o $@ $< \
		selftests/wctest.c $(GLUE_SRC) -luring -lpthread

$(BIN)/wirecap-softnic-gen: bench/softnic_gen.c selftests/wctest.c $(GLUE_SRC)
	@mkdir -p $(BIN)
	$(CC) $(CFLAGS) $(WARN) $(CPPFLAGS) $(STATIC) -o $@ $< \
		selftests/wctest.c $(GLUE_SRC) -luring -lpthread

# dynamic, like libpcap; libxdp for the xsk engine (its BPF objects go into
# the guest with it: scripts/mkinitramfs.sh)
XDP_LIBS := $(shell pkg-config --libs libxdp libbpf 2>/dev/null || echo -lxdp -lbpf)
$(BIN)/wirecap-pcap-handler: bench/pcap_handler.c
	@mkdir -p $(BIN)
	$(CC) $(CFLAGS) $(WARN) $(CPPFLAGS) -o $@ $< -lpcap $(XDP_LIBS) -lpthread

# the forwarding bench's copying peer (bench/forward.sh); no libraries
$(BIN)/wirecap-afp-forward: bench/afp_forward.c
	@mkdir -p $(BIN)
	$(CC) $(CFLAGS) $(WARN) $(STATIC) -o $@ $<

# runs on the host: the virtio bench's paced replayer (scripts/vm.sh --gen tapgen)
$(BIN)/wirecap-tap-gen: bench/tap_gen.c
	@mkdir -p $(BIN)
	$(CC) $(CFLAGS) $(WARN) -o $@ $<

$(BIN)/wirecap-softnic-replay: tools/softnic_replay.c uapi/linux/wirecap_softnic.h
	@mkdir -p $(BIN)
	$(CC) $(CFLAGS) $(WARN) $(CPPFLAGS) -o $@ $< -lpcap

$(BIN)/wirecap-selftests: selftests/run-in-vm.sh
	@mkdir -p $(BIN)
	install -m 755 $< $@

test:
	@scripts/test.sh

# the bench suite: results/bench/report.md (QUICK=1: the short variant)
BENCH_KERNELS ?= 6.1
bench: userbins host-tools
	@for k in $(BENCH_KERNELS); do \
		$(MAKE) --no-print-directory modules KERNEL=$$k || exit 1; \
	done
	@bench/run.sh $(if $(QUICK),--quick) $(BENCH_KERNELS)

clean:
	rm -rf build/bin build/*/src* build/*/modules build/*/check-intel* build/mutants build/lib build/host-tests build/host results

-include mk/lib.mk
-include mk/pcap.mk
-include mk/install.mk

VM_DEPS := modules userbins
-include mk/vm.mk
-include mk/run.mk
-include mk/hosttools.mk
-include mk/debug.mk
