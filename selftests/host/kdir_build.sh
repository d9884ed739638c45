#!/bin/sh
# `make modules KDIR=<a kernel's build directory>` builds the modules for
# that kernel alone, as DKMS will (KDIR=${kernel_source_dir}): no setup,
# no build/kernels.mk, the release taken from the headers. For each test
# kernel, in a copy of the tree without build/ (so the normal build is not
# touched, and nothing of setup's is there to lean on):
#
#   - make modules KDIR=... succeeds and writes build/<release>/modules/,
#     <release> being the one setup recorded for that kernel (never
#     hard-coded: Debian moves the 6.1 ABI name);
#   - every module there carries that release as its vermagic;
#   - the compile probes (drivers/wirecap/probes/) found what is expected
#     of that kernel line: the table below, per major kernel, since the
#     ABI name changes but the API does not;
#   - probes can fail: in a run of gen-compat.sh with three made-up probes,
#     a symbol that does not exist and a real function taken with the
#     wrong signature are "not available", the same function with its
#     right signature is available;
#   - the toolchain variables of make's command line (MAKEFLAGS) reach
#     the probes, those of the environment do not (kbuild ignores them).
#
# Needs scripts/setup.sh to have run (the kernels' headers, and
# build/kernels.mk to find them). About a minute per kernel on two CPUs.
#
#   selftests/host/kdir_build.sh        prints TAP; exit 0 iff all passed
set -eu
top=$(cd "$(dirname "$0")/../.." && pwd)
# shellcheck source=selftests/lib/tap.sh
. "$top/selftests/lib/tap.sh"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
# The default, in-tree cache is part of what is tested (DKMS must not need
# /var/cache); a caller's WIRECAP_CACHE would hide it.
unset WIRECAP_CACHE KDIR KREL

kernels="6.1 6.12"

# What the probes must find, per kernel line: "MACRO yes|no", sorted.
# A new probe must be added here, for both lines.
expect() {
	case $1 in
	6.1) cat <<'EOF' ;;
WC_HAVE_CMD_CANCELABLE no
WC_HAVE_CMD_DONE_RES2 yes
WC_HAVE_CMD_SQE no
WC_HAVE_CMD_TW_REQ no
WC_HAVE_CONST_DEVNODE no
WC_HAVE_HRTIMER_SETUP no
WC_HAVE_IO_URING_CMD_H no
WC_HAVE_MQPRIO_EXTACK no
WC_HAVE_VM_FLAGS_SET no
WC_HAVE_VQ_INFO no
WC_HAVE_VQ_RESET no
EOF
	6.12) cat <<'EOF' ;;
WC_HAVE_CMD_CANCELABLE yes
WC_HAVE_CMD_DONE_RES2 yes
WC_HAVE_CMD_SQE yes
WC_HAVE_CMD_TW_REQ no
WC_HAVE_CONST_DEVNODE yes
WC_HAVE_HRTIMER_SETUP no
WC_HAVE_IO_URING_CMD_H yes
WC_HAVE_MQPRIO_EXTACK yes
WC_HAVE_VM_FLAGS_SET yes
WC_HAVE_VQ_INFO yes
WC_HAVE_VQ_RESET yes
EOF
	esac
}

# compat_gen.h as "MACRO yes|no" lines, sorted
verdicts() {
	sed -n -e 's|^#define \(WC_HAVE_[A-Z0-9_]*\) 1$|\1 yes|p' \
		-e 's|^/\* \(WC_HAVE_[A-Z0-9_]*\) not available \*/$|\1 no|p' "$1" |
		LC_ALL=C sort
}

# Made-up probes for the negative check. kfree() has had the signature
# void kfree(const void *) in every kernel this builds for.
mkdir -p "$tmp/probes"
cat >"$tmp/probes/test_missing.c" <<'EOF'
// SPDX-License-Identifier: GPL-2.0
/* A function no kernel has: must be "not available". */
#include <linux/slab.h>

static void (*const wc_probe)(const void *) __maybe_unused =
	wirecap_no_such_function;
EOF
cat >"$tmp/probes/test_bad_signature.c" <<'EOF'
// SPDX-License-Identifier: GPL-2.0
/*
 * kfree() exists, but not with this type: -Werror=incompatible-pointer-types
 * (the kernel's and the probes') makes it a failure: "not available".
 */
#include <linux/slab.h>

static void (*const wc_probe)(void *, int) __maybe_unused = kfree;
EOF
cat >"$tmp/probes/test_good_signature.c" <<'EOF'
// SPDX-License-Identifier: GPL-2.0
/* kfree() with its own type: the control, must be available. */
#include <linux/slab.h>

static void (*const wc_probe)(const void *) __maybe_unused = kfree;
EOF

# The tree as a clone has it, once: tracked and new files, nothing ignored
# (no build/, so no kernels.mk either).
tree=$tmp/tree
mkdir "$tree"
(cd "$top" && git ls-files -z -co --exclude-standard |
	xargs -0 cp --parents -t "$tree" 2>/dev/null) || true

tap_plan $((8 * $(echo "$kernels" | wc -w)))
for k in $kernels; do
	# Where build-modules.sh finds the kernel's build directory.
	if ! rel=$("$top/scripts/krel.sh" "$k" 2>/dev/null); then
		for _ in 1 2 3 4 5 6 7; do
			tap_skip "kernel $k unknown (scripts/setup.sh has not run)"
		done
		continue
	fi
	kdir=$top/build/kernels/$rel/lib/modules/$rel/build
	[ -f "$kdir/Makefile" ] || kdir=/usr/src/linux-headers-$rel

	log=$tmp/make-$k.log
	t0=$(date +%s)
	rc=0
	make -C "$tree" modules KDIR="$kdir" >"$log" 2>&1 || rc=$?
	t1=$(date +%s)
	[ $rc = 0 ] || tail -8 "$log" | sed 's/^/# /'
	tap_ok "$k: make modules KDIR=$kdir (exit $rc, $((t1 - t0)) s)" $rc

	# No setup ran: it would have written build/kernels.mk.
	mods=$tree/build/$rel/modules
	rc=0
	[ ! -e "$tree/build/kernels.mk" ] && [ -d "$mods" ] || rc=1
	[ $rc = 0 ] || tap_diag "in build/:" "$tree"/build/*
	tap_ok "$k: output in build/$rel/modules, without setup" $rc

	rc=0
	for m in wirecap wirecap_softnic wirecap_virtio; do
		[ -f "$mods/$m.ko" ] || { tap_diag "no $m.ko"; rc=1; }
	done
	tap_ok "$k: wirecap.ko, wirecap_softnic.ko, wirecap_virtio.ko built" $rc

	# Every module, the Intel ones included when they were built.
	rc=0 n=0
	for ko in "$mods"/*.ko "$mods"/intel/*.ko; do
		[ -f "$ko" ] || continue
		n=$((n + 1))
		vm=$(modinfo -F vermagic "$ko" 2>/dev/null | cut -d' ' -f1)
		[ "$vm" = "$rel" ] || { tap_diag "${ko##*/}: vermagic '$vm'"; rc=1; }
	done
	[ $n -gt 0 ] || rc=1
	tap_ok "$k: vermagic of the $n modules is $rel" $rc

	# The build copy build-modules.sh made: one, in this fresh tree.
	gen=""
	for f in "$tree/build/$rel"/src*/drivers/compat_gen.h; do
		if [ -f "$f" ]; then gen=$f; fi
	done
	rc=0
	if [ -n "$gen" ]; then
		verdicts "$gen" >"$tmp/got-$k"
		expect "$k" >"$tmp/want-$k"
		diff -u "$tmp/want-$k" "$tmp/got-$k" >"$tmp/diff-$k" || rc=1
		[ $rc = 0 ] || sed 's/^/# /' "$tmp/diff-$k"
	else
		tap_diag "no compat_gen.h under build/$rel"
		rc=1
	fi
	tap_ok "$k: probes found what $k has (compat_gen.h)" $rc

	# The negative check, made-up probes only.
	rc=0
	WIRECAP_PROBE_LOG=$tmp/neg-$k.log \
		"$tree/drivers/wirecap/gen-compat.sh" "$kdir" "$tmp/probes" \
		>"$tmp/neg-$k.h" 2>"$tmp/neg-$k.err" || rc=$?
	[ $rc = 0 ] || sed 's/^/# /' "$tmp/neg-$k.err"
	verdicts "$tmp/neg-$k.h" >"$tmp/neg-$k"
	sed 's/^/# got: /' "$tmp/neg-$k"
	# (set -e: a test's status is taken with if, never left to stop us)
	rc=1
	if grep -qx 'WC_HAVE_TEST_MISSING no' "$tmp/neg-$k"; then rc=0; fi
	tap_ok "$k: the probe of a symbol that does not exist: not available" $rc
	# ... and the wrong signature for the reason meant: the compiler's
	# incompatible pointer, an error under -Werror=incompatible-pointer-types.
	rc=1
	if grep -qx 'WC_HAVE_TEST_BAD_SIGNATURE no' "$tmp/neg-$k" &&
		grep -qx 'WC_HAVE_TEST_GOOD_SIGNATURE yes' "$tmp/neg-$k" &&
		grep -q 'test_bad_signature\.c:.*incompatible-pointer-types' "$tmp/neg-$k.log"; then
		rc=0
	else
		grep 'error' "$tmp/neg-$k.log" 2>/dev/null | sed 's/^/# /'
	fi
	tap_ok "$k: kfree() with a wrong signature not available, with its own available" $rc

	# The toolchain of make's command line is the probes' too (DKMS
	# adds LLVM=1 for a kernel built with clang): a CC that compiles
	# nothing fails the run, and one in the environment, which kbuild
	# ignores, does not.
	rc=0
	if MAKEFLAGS=" -- KDIR=$kdir CC=/bin/false" \
		"$tree/drivers/wirecap/gen-compat.sh" "$kdir" "$tmp/probes" \
		>/dev/null 2>"$tmp/cc-$k.err"; then
		tap_diag "CC=/bin/false in MAKEFLAGS: the probes compiled anyway"
		rc=1
	fi
	if ! CC=/bin/false "$tree/drivers/wirecap/gen-compat.sh" "$kdir" \
		"$tmp/probes" >/dev/null 2>"$tmp/cc-$k.err"; then
		tap_diag "CC=/bin/false in the environment: the probes failed"
		rc=1
	fi
	tap_ok "$k: the probes use the CC of make's command line, not the environment's" $rc
done
tap_done
