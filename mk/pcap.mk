# libwirecap-pcap.so: the libpcap API on WireCAP devices, to LD_PRELOAD
# (lib/pcap/wirecap_pcap.c). Included from the top-level Makefile after
# mk/lib.mk (it links libwirecap's position-independent objects in).
#
#   make pcap-shim    build/lib/libwirecap-pcap.so (also copied into
#                     $(BIN), where `wirecap exec` and the VM find it)

PCAP_SO := $(LIB_DIR)/libwirecap-pcap.so

.PHONY: pcap-shim

pcap-shim: $(PCAP_SO) $(BIN)/libwirecap-pcap.so

# Exports the pcap_* functions it takes over (lib/pcap/pcap.map) and
# nothing of libwirecap. -lpcap: the system libpcap is loaded after us,
# where dlsym(RTLD_NEXT) finds what we hand on.
$(PCAP_SO): lib/pcap/wirecap_pcap.c lib/pcap/pcap.map $(LIB_PIC) $(LIB_HDR)
	@mkdir -p $(@D)
	$(CC) $(LIB_CFLAGS) -fPIC $(LIB_CPPFLAGS) -shared \
		-Wl,--version-script=lib/pcap/pcap.map -Wl,--no-undefined \
		-o $@ lib/pcap/wirecap_pcap.c $(LIB_PIC) -ldl -lpcap $(LIB_LIBS)

$(BIN)/libwirecap-pcap.so: $(PCAP_SO)
	@mkdir -p $(@D)
	cp $< $@

userbins: pcap-shim

# Debian's tcpdump, unmodified, for the compatibility tests in the VM
# (scripts/e2e-pcap.sh); the VM image takes its shared libraries along.
TCPDUMP_BIN := $(shell command -v tcpdump 2>/dev/null || echo /usr/bin/tcpdump)

$(BIN)/tcpdump: $(TCPDUMP_BIN)
	@mkdir -p $(@D)
	cp $< $@

userbins: $(BIN)/tcpdump

# Debian's bittwist, unmodified: a program that only sends, with
# pcap_sendpacket (scripts/e2e-forward.sh, its inject run)
BITTWIST_BIN := $(shell command -v bittwist 2>/dev/null || echo /usr/bin/bittwist)

$(BIN)/bittwist: $(BITTWIST_BIN)
	@mkdir -p $(@D)
	cp $< $@

userbins: $(BIN)/bittwist

# Debian's softflowd, tcpflow and p0f, unmodified: more libpcap programs
# run under `wirecap exec` in the VM, their output from the NIC compared
# with their output from the trace file (scripts/e2e-apps.sh); softflowctl
# stops softflowd (in the foreground it has no signal handlers)
APP_BINS := $(BIN)/softflowd $(BIN)/softflowctl $(BIN)/tcpflow $(BIN)/p0f

$(BIN)/softflowd: $(shell command -v softflowd 2>/dev/null || echo /usr/sbin/softflowd)
$(BIN)/softflowctl: $(shell command -v softflowctl 2>/dev/null || echo /usr/sbin/softflowctl)
$(BIN)/tcpflow: $(shell command -v tcpflow 2>/dev/null || echo /usr/bin/tcpflow)
$(BIN)/p0f: $(shell command -v p0f 2>/dev/null || echo /usr/sbin/p0f)

$(APP_BINS):
	@mkdir -p $(@D)
	cp $< $@

userbins: $(APP_BINS)

# selftests/pcap_*.c: libpcap programs (dynamic, linked with the system
# libpcap) that preload the shim themselves; run in the VM with the rest.
PCAP_SELFTESTS := $(patsubst selftests/%.c,%,$(wildcard selftests/pcap_*.c))

$(BIN)/wctest-pcap_%: selftests/pcap_%.c selftests/wctest.c selftests/wctest.h \
		$(GLUE_SRC) uapi/linux/wirecap.h
	@mkdir -p $(BIN)
	$(CC) $(CFLAGS) $(WARN) $(CPPFLAGS) -o $@ $< selftests/wctest.c \
		$(GLUE_SRC) -lpcap -luring -lpthread -Wno-clobbered

userbins: $(addprefix $(BIN)/wctest-,$(PCAP_SELFTESTS))

# selftests/host/lib_pcap.c: host tests of the shim, which it includes,
# on libwirecap's fake session (selftests/host/lib_fake.h); linked with
# the system libpcap, where the shim finds what it hands on. Built by
# mk/lib.mk's host-tests, these rules take over its pattern for it.
LIBT_PCAP_DEPS := selftests/host/lib_pcap.c lib/pcap/wirecap_pcap.c \
	$(LIBT_HDR) $(LIBT_SRC)

$(LIBT_DIR)/lib_pcap-asan: $(LIBT_PCAP_DEPS)
	@mkdir -p $(@D)
	$(CC) $(LIBT_CFLAGS) $(LIBT_ASAN) -Ilib/pcap -o $@ $< $(LIBT_SRC) \
		$(LIB_LIBS) -lpcap -ldl

$(LIBT_DIR)/lib_pcap-tsan: $(LIBT_PCAP_DEPS)
	@mkdir -p $(@D)
	$(CC) $(LIBT_CFLAGS) $(LIBT_TSAN) -Ilib/pcap -o $@ $< $(LIBT_SRC) \
		$(LIB_LIBS) -lpcap -ldl
