# Host-side tools (run on the host, never in the VM), dynamically linked
# with the system's libpcap: they read pcap and pcapng.
#
#   make host-tools        build/host/wirecap-rss, build/host/wirecap-pcapcmp,
#                          build/host/wirecap-savefile-feed (drives the
#                          writer of `wirecap capture`, tools/savefile.c,
#                          for selftests/host/savefile.sh)
#   make host-tests-tools  their unit tests, one TAP program each, into
#                          build/host-tests/ (make test runs every program
#                          there); also ring_test, the segment engine
#                          (drivers/wirecap/ring.c) on a model NIC
#   make host-tools-asan   tools and tests again with ASan + UBSan into
#                          build/host-asan/, then run the tests
#
# Included from the top-level Makefile.

HOST_CC ?= gcc
HOST_CFLAGS ?= -O2 -g
HOST_WARN := -Wall -Wextra
HOST_SAN := -fsanitize=address,undefined -fno-sanitize-recover=all \
	-fno-omit-frame-pointer

HT_SRC := tools/host
HT_BIN := build/host
HT_TESTS := build/host-tests
HT_ASAN := build/host-asan

HT_HDRS := $(wildcard $(HT_SRC)/*.h) selftests/host/tap.h
HT_RSS_LIB := $(HT_SRC)/toeplitz.c $(HT_SRC)/rss_input.c \
	$(HT_SRC)/rss_check.c $(HT_SRC)/pcapio.c
HT_CMP_LIB := $(HT_SRC)/pcapcmp.c $(HT_SRC)/framebag.c $(HT_SRC)/pcapio.c

HT_RSS_T := $(patsubst selftests/host/%.c,%,$(wildcard selftests/host/rss_*.c))
HT_CMP_T := $(patsubst selftests/host/%.c,%,$(wildcard selftests/host/pcapcmp_*.c))

# ht_cc(out, sources, extra flags)
ht_cc = @mkdir -p $(dir $(1)) && \
	echo "  HOSTCC  $(1)" && \
	$(HOST_CC) $(HOST_CFLAGS) $(HOST_WARN) $(3) -I$(HT_SRC) -o $(1) \
		$(2) -lpcap

.PHONY: host-tools host-tests-tools host-tools-asan

host-tools: $(HT_BIN)/wirecap-rss $(HT_BIN)/wirecap-pcapcmp \
	$(HT_BIN)/wirecap-savefile-feed

host-tests-tools: host-tools $(addprefix $(HT_TESTS)/,$(HT_RSS_T) $(HT_CMP_T) \
	ring_test)

$(HT_BIN)/wirecap-rss: $(HT_SRC)/wirecap_rss.c $(HT_RSS_LIB) $(HT_HDRS)
	$(call ht_cc,$@,$(filter %.c,$^))

$(HT_BIN)/wirecap-pcapcmp: $(HT_SRC)/wirecap_pcapcmp.c $(HT_CMP_LIB) $(HT_HDRS)
	$(call ht_cc,$@,$(filter %.c,$^))

$(HT_BIN)/wirecap-savefile-feed: selftests/host/savefile_feed.c \
		tools/savefile.c tools/savefile.h
	@mkdir -p $(HT_BIN)
	@echo "  HOSTCC  $@"
	@$(HOST_CC) $(HOST_CFLAGS) $(HOST_WARN) -Itools -o $@ \
		$(filter %.c,$^) -lpcap -luring

# The tests that run a tool find it through WC_HOST_BIN (baked in here).
$(HT_TESTS)/rss_%: selftests/host/rss_%.c $(HT_RSS_LIB) $(HT_HDRS) \
		$(HT_BIN)/wirecap-rss
	$(call ht_cc,$@,$(filter %.c,$^),-DWC_HOST_BIN='"$(abspath $(HT_BIN))"')

$(HT_TESTS)/pcapcmp_%: selftests/host/pcapcmp_%.c $(HT_CMP_LIB) $(HT_HDRS) \
		$(HT_BIN)/wirecap-pcapcmp
	$(call ht_cc,$@,$(filter %.c,$^),-DWC_HOST_BIN='"$(abspath $(HT_BIN))"')

# Sanitized copies; not under build/host-tests, so make test does not run
# them twice.
$(HT_ASAN)/wirecap-rss: $(HT_SRC)/wirecap_rss.c $(HT_RSS_LIB) $(HT_HDRS)
	$(call ht_cc,$@,$(filter %.c,$^),$(HOST_SAN))

$(HT_ASAN)/wirecap-pcapcmp: $(HT_SRC)/wirecap_pcapcmp.c $(HT_CMP_LIB) $(HT_HDRS)
	$(call ht_cc,$@,$(filter %.c,$^),$(HOST_SAN))

$(HT_ASAN)/tests/rss_%: selftests/host/rss_%.c $(HT_RSS_LIB) $(HT_HDRS) \
		$(HT_ASAN)/wirecap-rss
	$(call ht_cc,$@,$(filter %.c,$^),$(HOST_SAN) -DWC_HOST_BIN='"$(abspath $(HT_ASAN))"')

$(HT_ASAN)/tests/pcapcmp_%: selftests/host/pcapcmp_%.c $(HT_CMP_LIB) \
		$(HT_HDRS) $(HT_ASAN)/wirecap-pcapcmp
	$(call ht_cc,$@,$(filter %.c,$^),$(HOST_SAN) -DWC_HOST_BIN='"$(abspath $(HT_ASAN))"')

host-tools-asan: $(HT_ASAN)/wirecap-rss $(HT_ASAN)/wirecap-pcapcmp \
		$(addprefix $(HT_ASAN)/tests/,$(HT_RSS_T) $(HT_CMP_T) ring_test)
	@fail=0; for t in $(addprefix $(HT_ASAN)/tests/,$(HT_RSS_T) $(HT_CMP_T) \
			ring_test); do \
		$$t >$$t.tap 2>&1 || { fail=1; echo "FAIL $$t (see $$t.tap)"; }; \
	done; [ $$fail = 0 ] && echo "host tools: all sanitized tests passed"

# The segment engine, drivers/wirecap/ring.c, built for the host
# (-DWIRECAP_RING_HOST: selftests/host/ring_host.h stands in for the
# kernel) against a model core and NIC, selftests/host/ring_test.c. The
# shim copies the WIRECAP_RX_* flags of drivers/include/wirecap_nic.h; the
# test checks them against that header's values, passed in as
# NIC_WIRECAP_RX_*. No libpcap.
HT_RING_SRC := selftests/host/ring_test.c drivers/wirecap/ring.c
HT_RING_DEPS := $(HT_RING_SRC) selftests/host/ring_host.h selftests/host/tap.h \
	drivers/include/wirecap_ring.h drivers/include/wirecap_nic.h
HT_RING_FLAGS := -DWIRECAP_RING_HOST -Idrivers/include -Iselftests/host \
	${shell sed -n 's/^.define \(WIRECAP_RX_[A-Z]*\)[[:space:]]*\(([^)]*)\).*/-DNIC_\1="\2"/p' \
		drivers/include/wirecap_nic.h}

# ht_ring_cc(out, extra flags)
ht_ring_cc = @mkdir -p $(dir $(1)) && \
	echo "  HOSTCC  $(1)" && \
	$(HOST_CC) $(HOST_CFLAGS) $(HOST_WARN) $(2) $(HT_RING_FLAGS) -o $(1) \
		$(HT_RING_SRC)

$(HT_TESTS)/ring_test: $(HT_RING_DEPS)
	$(call ht_ring_cc,$@)

$(HT_ASAN)/tests/ring_test: $(HT_RING_DEPS)
	$(call ht_ring_cc,$@,$(HOST_SAN))
