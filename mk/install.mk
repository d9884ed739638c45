# Installing WireCAP's user side like a package, and the module sources
# for DKMS. Included from the top-level Makefile after mk/lib.mk and
# mk/pcap.mk (it installs what they build, and builds it first: no
# `make userbins`, no setup, no apt).
#
#   make install   [PREFIX=/usr/local] [DESTDIR=]
#   make uninstall [PREFIX=/usr/local] [DESTDIR=]   removes what install put
#                  there (the same list), and our own directories
#   make dkms-src  [DESTDIR=]   the module sources DKMS builds from, into
#                  /usr/src/wirecap-$(cat VERSION) (with dkms.conf); then
#                  `dkms install wirecap/VERSION`
#   make uninstall-dkms-src [DESTDIR=]
#
# PREFIX/lib/wirecap/ holds the libpcap shim, a library to preload, not to
# link with: `wirecap exec` looks for it there, beside PREFIX/bin/wirecap
# (tools/exec.c). The udev rule goes to PREFIX/lib/udev/rules.d, which
# udev reads for PREFIX /usr and /usr/local alike; the group it names is
# declared for systemd-sysusers in PREFIX/lib/sysusers.d/wirecap.conf
# (udev/wirecap.sysusers). After installing into the live system (no
# DESTDIR) as root, `ldconfig` runs, so that programs linked with
# -lwirecap find libwirecap.so.0 in PREFIX/lib at once, and
# systemd-sysusers creates the group (groupadd --system where there is no
# systemd-sysusers); a failure there is reported, not fatal (the files
# are in place). Not root: it says what is left to do as root.
# Libraries are 0644, as Debian's policy has them (nothing executes them).

PREFIX ?= /usr/local
BINDIR ?= $(PREFIX)/bin
LIBDIR ?= $(PREFIX)/lib
INCLUDEDIR ?= $(PREFIX)/include
MANDIR ?= $(PREFIX)/share/man
PKGCONFIGDIR ?= $(LIBDIR)/pkgconfig
UDEVRULESDIR ?= $(PREFIX)/lib/udev/rules.d
SYSUSERSDIR ?= $(PREFIX)/lib/sysusers.d
# the shim's own directory, not under LIBDIR: a package's LIBDIR
# (/usr/lib/x86_64-linux-gnu) is not where `wirecap exec` looks for it.
# Not a setting: exec finds it as ../lib/wirecap from BINDIR's wirecap
# (tools/exec.c), so it follows PREFIX, and a BINDIR other than
# PREFIX/bin needs WIRECAP_PCAP_SO.
override PKGLIBDIR := $(PREFIX)/lib/wirecap
DKMSDIR ?= /usr/src

# The release: WC_VERSION (mk/lib.mk), the top-level file VERSION;
# dkms.conf says the same (selftests/host/install.sh checks it).
WC_PC := $(LIB_DIR)/libwirecap.pc

# What install copies, SOURCE:DESTINATION:MODE, and uninstall removes: one
# list, so that the two cannot disagree. Headers: the library's in a
# folder of its own (#include <wirecap/wirecap.h>), the kernel ABI where
# it includes it from (<linux/wirecap.h>, beside the kernel's own uapi
# headers, which it includes in turn).
WC_INSTALL := \
	$(BIN)/wirecap:$(BINDIR)/wirecap:755 \
	$(LIB_DIR)/libwirecap.so.0:$(LIBDIR)/libwirecap.so.0:644 \
	$(LIB_A):$(LIBDIR)/libwirecap.a:644 \
	$(PCAP_SO):$(PKGLIBDIR)/libwirecap-pcap.so:644 \
	lib/wirecap.h:$(INCLUDEDIR)/wirecap/wirecap.h:644 \
	uapi/linux/wirecap.h:$(INCLUDEDIR)/linux/wirecap.h:644 \
	$(WC_PC):$(PKGCONFIGDIR)/libwirecap.pc:644 \
	docs/man/wirecap.8:$(MANDIR)/man8/wirecap.8:644 \
	docs/man/libwirecap.3:$(MANDIR)/man3/libwirecap.3:644 \
	docs/man/wirecap-pcap.7:$(MANDIR)/man7/wirecap-pcap.7:644 \
	udev/60-wirecap.rules:$(UDEVRULESDIR)/60-wirecap.rules:644 \
	udev/wirecap.sysusers:$(SYSUSERSDIR)/wirecap.conf:644
# symbolic links, LINK:TARGET (the name a linker looks for -lwirecap by)
WC_INSTALL_LINKS := $(LIBDIR)/libwirecap.so:libwirecap.so.0
# directories that are ours alone: removed by uninstall once empty
WC_INSTALL_OWN_DIRS := $(INCLUDEDIR)/wirecap $(PKGLIBDIR)

.PHONY: install uninstall dkms-src uninstall-dkms-src FORCE
FORCE:

# Generated at every make, rewritten only when its text changes: it
# carries PREFIX, which a command line may change without any file doing.
$(WC_PC): lib/libwirecap.pc.in VERSION FORCE
	@mkdir -p $(@D)
	@sed -e 's|@PREFIX@|$(PREFIX)|g' -e 's|@LIBDIR@|$(LIBDIR)|g' \
		-e 's|@INCLUDEDIR@|$(INCLUDEDIR)|g' \
		-e 's|@VERSION@|$(WC_VERSION)|g' $< >$@.tmp
	@if cmp -s $@.tmp $@; then rm -f $@.tmp; else mv $@.tmp $@; fi

# (mk/lib.mk makes the real file along with its link)
$(LIB_DIR)/libwirecap.so.0: $(LIB_SO) ;

# every SOURCE of the list: built first, or said to be missing
install: $(foreach f,$(WC_INSTALL),$(firstword $(subst :, ,$(f)))) $(LIB_SO)
	@set -e; for f in $(WC_INSTALL); do \
		src=$${f%%:*}; rest=$${f#*:}; dst='$(DESTDIR)'$${rest%:*}; \
		echo "  INSTALL $${rest%:*}"; \
		install -D -m $${rest##*:} "$$src" "$$dst"; \
	done; \
	for l in $(WC_INSTALL_LINKS); do \
		echo "  LINK    $${l%%:*} -> $${l#*:}"; \
		ln -sfn "$${l#*:}" '$(DESTDIR)'"$${l%%:*}"; \
	done
	@if [ -z '$(DESTDIR)' ] && [ "$$(id -u)" = 0 ]; then \
		if command -v ldconfig >/dev/null; then ldconfig || true; fi; \
		if command -v systemd-sysusers >/dev/null; then \
			systemd-sysusers '$(SYSUSERSDIR)/wirecap.conf' || ok=no; \
		elif ! getent group wirecap >/dev/null; then \
			groupadd --system wirecap || ok=no; \
		fi; \
		[ -z "$${ok:-}" ] || echo "install: could not create group wirecap: create it, or the devices stay root's" >&2; \
	elif [ -z '$(DESTDIR)' ]; then \
		echo "install: not root: run ldconfig, and create group wirecap (systemd-sysusers $(SYSUSERSDIR)/wirecap.conf), as root"; \
	fi

# Only what install put there: a file of the same name from elsewhere
# would be removed too, as any package manager's uninstall does. The
# standard directories (bin, lib, share/man/man8, ...) stay.
# Every path is tried; the exit status says whether one was left. The
# group stays: files elsewhere may still belong to it.
uninstall:
	@st=0; for f in $(WC_INSTALL); do \
		rest=$${f#*:}; dst=$${rest%:*}; \
		if [ -e '$(DESTDIR)'"$$dst" ] || [ -L '$(DESTDIR)'"$$dst" ]; then \
			echo "  RM      $$dst"; \
			rm -f '$(DESTDIR)'"$$dst" || st=1; fi; \
	done; \
	for l in $(WC_INSTALL_LINKS); do \
		if [ -L '$(DESTDIR)'"$${l%%:*}" ]; then \
			echo "  RM      $${l%%:*}"; \
			rm -f '$(DESTDIR)'"$${l%%:*}" || st=1; fi; \
	done; \
	for d in $(WC_INSTALL_OWN_DIRS); do \
		[ ! -d '$(DESTDIR)'"$$d" ] || \
			rmdir --ignore-fail-on-non-empty '$(DESTDIR)'"$$d" || st=1; \
	done; \
	exit $$st

# --- DKMS ---------------------------------------------------------------------
# The module build needs the top-level Makefile (make modules KDIR= KREL=,
# which reads nothing of mk/), drivers/, uapi/ and the scripts it runs.
# Generated or built files are never in drivers/ (scripts/build-modules.sh
# builds in a copy under build/), so the folders go as they are.
WC_DKMS_DIR = $(DESTDIR)$(DKMSDIR)/wirecap-$(WC_VERSION)
WC_DKMS_SRC := Makefile VERSION dkms.conf drivers uapi \
	scripts/build-modules.sh scripts/krel.sh scripts/intel-src.sh \
	scripts/sparse-glue.sh

# DKMS keeps a version it added; its tree must not go from under it
WC_DKMS_BUSY = [ -n '$(DESTDIR)' ] || ! command -v dkms >/dev/null || \
	[ -z "$$(dkms status wirecap/$(WC_VERSION) 2>/dev/null)" ] || \
	{ echo "$@: DKMS has wirecap/$(WC_VERSION): dkms remove wirecap/$(WC_VERSION) --all first" >&2; exit 1; }

dkms-src:
	@$(WC_DKMS_BUSY)
	@test -n '$(WC_VERSION)' || { echo "dkms-src: no VERSION" >&2; exit 1; }
	@grep -qx 'PACKAGE_VERSION="$(WC_VERSION)"' dkms.conf || \
		{ echo "dkms-src: dkms.conf is not for version $(WC_VERSION)" >&2; exit 1; }
	rm -rf '$(WC_DKMS_DIR)'
	mkdir -p '$(WC_DKMS_DIR)'
	cp -R --parents $(WC_DKMS_SRC) '$(WC_DKMS_DIR)/'

uninstall-dkms-src:
	@$(WC_DKMS_BUSY)
	rm -rf '$(WC_DKMS_DIR)'
