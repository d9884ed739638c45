# libwirecap, the `wirecap` tool, and their tests. Included from the
# top-level Makefile (which defines CC, CFLAGS, WARN, CPPFLAGS, STATIC, BIN).
#
#   make lib          build/lib/libwirecap.a and build/lib/libwirecap.so
#   make userbins     also builds build/bin/wirecap and build/bin/wctest-lib_*
#                     (static, for the VM)
#   make host-tests   build/host-tests/*: host unit tests (TAP), under
#                     ASan+UBSan and TSan
#   make check-host-tests   build and run them

LIB_DIR := build/lib
LIB_A := $(LIB_DIR)/libwirecap.a
LIB_SO := $(LIB_DIR)/libwirecap.so
LIB_SRC := $(wildcard lib/*.c)
LIB_HDR := $(wildcard lib/*.h) uapi/linux/wirecap.h liburing-glue/wirecap_uring.h
LIB_CPPFLAGS := -Iuapi -Iliburing-glue -Ilib
LIB_CFLAGS = $(CFLAGS) $(WARN) -fvisibility=hidden -pthread
LIB_LIBS := -luring -lnuma -lpthread
LIB_OBJ := $(patsubst lib/%.c,$(LIB_DIR)/obj/%.o,$(LIB_SRC)) \
	$(LIB_DIR)/obj/wirecap_uring.o
LIB_PIC := $(LIB_OBJ:$(LIB_DIR)/obj/%=$(LIB_DIR)/pic/%)

.PHONY: lib host-tests check-host-tests

lib: $(LIB_A) $(LIB_SO)

$(LIB_DIR)/obj/%.o: lib/%.c $(LIB_HDR)
	@mkdir -p $(@D)
	$(CC) $(LIB_CFLAGS) $(LIB_CPPFLAGS) -c -o $@ $<

$(LIB_DIR)/obj/wirecap_uring.o: liburing-glue/wirecap_uring.c $(LIB_HDR)
	@mkdir -p $(@D)
	$(CC) $(LIB_CFLAGS) $(LIB_CPPFLAGS) -c -o $@ $<

$(LIB_DIR)/pic/%.o: lib/%.c $(LIB_HDR)
	@mkdir -p $(@D)
	$(CC) $(LIB_CFLAGS) -fPIC $(LIB_CPPFLAGS) -c -o $@ $<

$(LIB_DIR)/pic/wirecap_uring.o: liburing-glue/wirecap_uring.c $(LIB_HDR)
	@mkdir -p $(@D)
	$(CC) $(LIB_CFLAGS) -fPIC $(LIB_CPPFLAGS) -c -o $@ $<

$(LIB_A): $(LIB_OBJ)
	@rm -f $@
	$(AR) rcs $@ $^

# libwirecap.so -> libwirecap.so.0 (the soname), exports from the map only
$(LIB_SO): $(LIB_PIC) lib/libwirecap.map
	$(CC) -shared -Wl,--version-script=lib/libwirecap.map \
		-Wl,-soname,libwirecap.so.0 -Wl,--no-undefined -o $@.0 \
		$(LIB_PIC) $(LIB_LIBS)
	ln -sf libwirecap.so.0 $@

# --- programs for the VM (static) ------------------------------------------

LIB_SELFTESTS := $(patsubst selftests/%.c,%,$(wildcard selftests/lib_*.c))

# More specific than the Makefile's $(BIN)/wctest-%: make prefers it.
$(BIN)/wctest-lib_%: selftests/lib_%.c selftests/wctest.c selftests/wctest.h \
		$(LIB_A) lib/wirecap.h
	@mkdir -p $(BIN)
	$(CC) $(CFLAGS) $(WARN) $(CPPFLAGS) -Ilib -pthread $(STATIC) -o $@ $< \
		selftests/wctest.c $(LIB_A) $(LIB_LIBS)

# The wirecap tool: every tools/*.c is a subcommand (tools.h). Dynamic:
# `handler` compiles filters with libpcap (the VM's initramfs takes the
# shared libraries along, scripts/mkinitramfs.sh).
WC_TOOL_SRC := tools/wirecap.c $(filter-out tools/softnic_replay.c \
	tools/wirecap.c,$(wildcard tools/*.c))

# The release, one line in the top-level file VERSION: `wirecap --version`
# prints it, the .pc and the DKMS tree carry it (mk/install.mk).
WC_VERSION := $(shell cat VERSION 2>/dev/null)

$(BIN)/wirecap: $(WC_TOOL_SRC) tools/tools.h tools/savefile.h $(LIB_A) \
		lib/wirecap.h VERSION
	@mkdir -p $(BIN)
	$(CC) $(CFLAGS) $(WARN) $(CPPFLAGS) -Ilib -pthread \
		-DWIRECAP_VERSION='"$(WC_VERSION)"' -o $@ \
		$(WC_TOOL_SRC) $(LIB_A) $(LIB_LIBS) -lpcap -lm

userbins: $(BIN)/wirecap $(addprefix $(BIN)/wctest-,$(LIB_SELFTESTS))

# --- host unit tests ---------------------------------------------------------
# selftests/host/lib_*.c (the directory is shared: only ours here), each
# built twice with the library's sources: -asan (ASan+UBSan), -tsan.

LIBT_DIR := build/host-tests
# what the tests need that is not a test (build/host-tests/* all run;
# under build/lib, which make clean removes)
LIBT_AUX := build/lib/host-tests.aux
LIBT_ASAN := -fsanitize=address,undefined -fno-sanitize-recover=all \
	-fno-omit-frame-pointer
LIBT_TSAN := -fsanitize=thread -Wno-tsan
LIBT_CFLAGS = -O1 -g $(WARN) -pthread $(LIB_CPPFLAGS)
LIBT_HDR := $(wildcard selftests/host/lib_*.h) selftests/host/tap.h $(LIB_HDR)
LIBT_SRC := $(LIB_SRC) liburing-glue/wirecap_uring.c
LIBT_NAMES := $(patsubst selftests/host/%.c,%,$(filter-out \
	selftests/host/lib_exec_fixture.c,$(wildcard selftests/host/lib_*.c)))
LIBT_TESTS := $(foreach t,$(LIBT_NAMES),$(LIBT_DIR)/$(t)-asan $(LIBT_DIR)/$(t)-tsan)

host-tests: $(LIBT_TESTS)

$(LIBT_DIR)/lib_%-asan: selftests/host/lib_%.c $(LIBT_HDR) $(LIBT_SRC)
	@mkdir -p $(LIBT_DIR)
	$(CC) $(LIBT_CFLAGS) $(LIBT_ASAN) -o $@ $< $(LIBT_SRC) $(LIB_LIBS)

$(LIBT_DIR)/lib_%-tsan: selftests/host/lib_%.c $(LIBT_HDR) $(LIBT_SRC)
	@mkdir -p $(LIBT_DIR)
	$(CC) $(LIBT_CFLAGS) $(LIBT_TSAN) -o $@ $< $(LIBT_SRC) $(LIB_LIBS)

# lib_attach: open, ioctl and mmap go to the test's stand-in for a device
# (selftests/host/lib_attach.c).
$(LIBT_DIR)/lib_attach-asan $(LIBT_DIR)/lib_attach-tsan: LIBT_CFLAGS += \
	-Wl,--wrap=open,--wrap=ioctl,--wrap=mmap

# lib_abi: the test compiled twice into one program, the second time
# against a copy of the uapi header whose struct wirecap_stats has grown
# (selftests/host/lib_abi.c).
LIBT_GROWN := $(LIBT_AUX)/grown/linux/wirecap.h

$(LIBT_GROWN): uapi/linux/wirecap.h
	@mkdir -p $(@D)
	awk '/^struct wirecap_stats \{/ { s = 1 } \
	     s && /^\};/ { print "\t__u64 grown_by_test[5];"; s = 0 } \
	     { print }' $< > $@

$(LIBT_DIR)/lib_abi-asan: selftests/host/lib_abi.c $(LIBT_GROWN) $(LIBT_HDR)
	@mkdir -p $(@D)
	$(CC) -I$(LIBT_AUX)/grown $(LIBT_CFLAGS) $(LIBT_ASAN) -DABI_GROWN \
		-c -o $(LIBT_AUX)/lib_abi-asan-grown.o $<
	$(CC) $(LIBT_CFLAGS) $(LIBT_ASAN) -o $@ $< \
		$(LIBT_AUX)/lib_abi-asan-grown.o

$(LIBT_DIR)/lib_abi-tsan: selftests/host/lib_abi.c $(LIBT_GROWN) $(LIBT_HDR)
	@mkdir -p $(@D)
	$(CC) -I$(LIBT_AUX)/grown $(LIBT_CFLAGS) $(LIBT_TSAN) -DABI_GROWN \
		-c -o $(LIBT_AUX)/lib_abi-tsan-grown.o $<
	$(CC) $(LIBT_CFLAGS) $(LIBT_TSAN) -o $@ $< \
		$(LIBT_AUX)/lib_abi-tsan-grown.o

# lib_exec runs `wirecap exec` on fixture programs: one on the shared
# libpcap, and two with a pcap_create of their own standing for a libpcap
# linked in (dynamic and static).
LIBT_FIXTURES := $(LIBT_AUX)/exec-fixture-dyn $(LIBT_AUX)/exec-fixture-own \
	$(LIBT_AUX)/exec-fixture-own-static

$(LIBT_AUX)/exec-fixture-dyn: selftests/host/lib_exec_fixture.c
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(WARN) -o $@ $< -lpcap -ldl

$(LIBT_AUX)/exec-fixture-own: selftests/host/lib_exec_fixture.c
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(WARN) -DOWN_PCAP -o $@ $<

$(LIBT_AUX)/exec-fixture-own-static: selftests/host/lib_exec_fixture.c
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(WARN) -DOWN_PCAP $(STATIC) -o $@ $<

$(LIBT_DIR)/lib_exec-asan $(LIBT_DIR)/lib_exec-tsan: $(LIBT_FIXTURES) \
	$(BIN)/wirecap $(BIN)/libwirecap-pcap.so

check-host-tests: host-tests
	@fail=0; for t in $(LIBT_TESTS); do \
		echo "# $$t"; $$t || fail=1; \
	done; exit $$fail
