#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Probe a kernel for the APIs wirecap.ko and the Intel glue (drivers/intel/)
# use differently across 6.1 .. 6.19 and print compat_gen.h. Feature probes,
# not version numbers: distributions backport (Debian 6.1 has the 6.3
# io_uring_cmd_done()), and stable kernels change signatures (6.12.y's
# virtqueue_reset() gained an argument).
#
#   gen-compat.sh <kernel build dir> [<probe dir>] > compat_gen.h
#
# A probe is a small C file, <probe dir>/NAME.c [probes/ beside this
# script], that compiles iff the kernel has the feature WC_HAVE_<NAME> in
# the form compat.h uses it: it calls the function with compat.h's
# arguments, or takes it into a pointer of the exact type, or takes a
# struct member's address with the member's type. Each file's comment says
# what it tests and why kernels differ. Compiling, not grepping the
# headers' text, is what the modules themselves will meet: the kernel's
# own kbuild, compiler, flags, configuration and include paths, and
# -Werror=incompatible-pointer-types and =int-conversion, so that a wrong
# signature is a failure, not a warning (and no other warning is).
#
# All probes are compiled in one kbuild run (make -k -j, object files only,
# no modpost) in a scratch directory; WC_HAVE_<NAME> is defined iff NAME.o
# was built. A baseline probe that includes <linux/module.h> and nothing
# else must build, or the kernel build directory (compiler, kbuild) is
# broken and this fails rather than report every feature missing.
#
# Environment: WIRECAP_PROBE_LOG=FILE keeps what kbuild printed (why each
# missing feature failed to compile); TMPDIR for the scratch directory;
# ARCH, CROSS_COMPILE, LLVM, LLVM_IAS, CC, LD, HOSTCC, KCFLAGS are passed
# to kbuild. Prints the features not available on stderr.
set -eu
prog=gen-compat.sh
[ $# -ge 1 ] || { echo "usage: $0 <kernel build dir> [<probe dir>]" >&2; exit 2; }
kdir=$1
probes=${2:-$(dirname "$0")/probes}
[ -f "$kdir/Makefile" ] || { echo "$prog: no kernel build directory: $kdir" >&2; exit 1; }
[ -d "$probes" ] || { echo "$prog: no probe directory: $probes" >&2; exit 1; }

tmp=$(mktemp -d "${TMPDIR:-/tmp}/wirecap-probe.XXXXXX")
tmp=$(cd "$tmp" && pwd -P)
# dash runs no EXIT trap when a signal kills it: exit, so that it does
trap 'rm -rf "$tmp"' EXIT
trap 'exit 129' HUP
trap 'exit 130' INT
trap 'exit 143' TERM
case $tmp in
*[[:space:]:#]*)
	echo "$prog: kbuild cannot build in $tmp (blank, ':' or '#'): set TMPDIR" >&2
	exit 1 ;;
esac
cp "$probes"/*.c "$tmp/"
# shared includes of the probes (io_uring_cmd.h), if any
for h in "$probes"/*.h; do
	[ -f "$h" ] && cp "$h" "$tmp/"
done
[ ! -e "$tmp/wc_probe_baseline.c" ] ||
	{ echo "$prog: $probes/wc_probe_baseline.c: name reserved" >&2; exit 1; }
cat >"$tmp/wc_probe_baseline.c" <<'EOF'
// SPDX-License-Identifier: GPL-2.0
#include <linux/module.h>
EOF
# Only the errors a probe of a signature relies on, so that an unrelated
# warning (another compiler's, in a kernel header) cannot turn a feature
# off; the kernels already make incompatible-pointer-types an error, this
# says so for any. obj-m: compiled as module code (-DMODULE and the
# module flags), like the drivers; only the objects are built, no modpost.
cat >"$tmp/Kbuild" <<'EOF'
ccflags-y += -Werror=incompatible-pointer-types -Werror=int-conversion
obj-m := $(patsubst $(src)/%.c,%.o,$(wildcard $(src)/*.c))
EOF

targets=""
for c in "$tmp"/*.c; do
	b=${c##*/}
	targets="$targets ${b%.c}.o"
done
# A clean environment for this make: a MAKEFLAGS inherited from the caller
# (make modules ...) carries its command-line variables and jobserver,
# neither meant for this run. But the toolchain the modules are built with
# must be the probes' too: of the caller's command-line variables (after
# " -- " in MAKEFLAGS; DKMS adds LLVM=1 for a kernel built with clang),
# ARCH, CROSS_COMPILE, LLVM, LLVM_IAS, CC, LD, HOSTCC and KCFLAGS are passed
# on, as the make that builds the modules inherits them (a value with a
# blank is not). The environment's CC is not: kbuild ignores it. -k: a
# probe that fails must not stop the others.
set --
case " ${MAKEFLAGS:-}" in
*" -- "*)
	for a in ${MAKEFLAGS#*" -- "}; do
		case $a in
		ARCH=* | CROSS_COMPILE=* | LLVM=* | LLVM_IAS=* | CC=* | LD=* | \
		HOSTCC=* | KCFLAGS=*)
			set -- "$@" "$a" ;;
		esac
	done ;;
esac
# shellcheck disable=SC2086  # ($targets: one word per probe)
MAKEFLAGS='' MAKELEVEL='' make -k -j"$(nproc)" -C "$kdir" M="$tmp" "$@" \
	$targets >"$tmp/log" 2>&1 || true
[ -z "${WIRECAP_PROBE_LOG:-}" ] || cp "$tmp/log" "$WIRECAP_PROBE_LOG"
if [ ! -f "$tmp/wc_probe_baseline.o" ]; then
	echo "$prog: the baseline probe did not compile against $kdir:" >&2
	tail -20 "$tmp/log" >&2
	exit 1
fi

# A probe without its object must have failed to compile, not been left
# out (a compiler killed, a disk full, make stopped): kbuild names the
# file it compiles in what it says about it. Otherwise a feature would be
# silently off.
for c in "$probes"/*.c; do
	name=${c##*/}
	name=${name%.c}
	if [ ! -f "$tmp/$name.o" ] && ! grep -q "$name\.c" "$tmp/log"; then
		echo "$prog: probe $name neither compiled nor failed to (kbuild said nothing of it):" >&2
		tail -20 "$tmp/log" >&2
		exit 1
	fi
done

echo "/* generated by gen-compat.sh from $kdir; do not edit */"
missing=""
for c in "$probes"/*.c; do
	name=${c##*/}
	name=${name%.c}
	macro=WC_HAVE_$(echo "$name" | tr '[:lower:]' '[:upper:]')
	if [ -f "$tmp/$name.o" ]; then
		echo "#define $macro 1"
	else
		echo "/* $macro not available */"
		missing="$missing $name"
	fi
done
# where a DKMS build log shows it
echo "$prog: $kdir: not available:${missing:- none}" >&2
