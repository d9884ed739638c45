#!/bin/sh
# Build wirecap.ko and the NIC drivers out of tree for one kernel.
#
#   scripts/build-modules.sh <kernel release> <source root> <output dir>
#
# The source root holds drivers/ and uapi/ (the repo, or a patched copy).
# Objects go to a copy per kernel, since two kernels' objects must not
# meet; compat_gen.h is probed from that kernel's headers by compiling
# drivers/wirecap/probes/ with its kbuild (drivers/wirecap/gen-compat.sh).
#
# The Intel drivers (e1000e, ixgbe) are laid out in the copy by
# scripts/intel-src.sh when their hooks and glue exist (drivers/intel/),
# built in the same kbuild run, and copied to <output dir>/intel/: apart
# from the modules the test VM loads at boot (scripts/vm-init.sh loads
# <output dir>/*.ko), since e1000e.ko is for its e1000e mode only and
# ixgbe.ko for no VM at all.
#
# Environment: WIRECAP_SPARSE=FILE also runs sparse on our Intel glue (and
# only on it: scripts/sparse-glue.sh), appending what it says to FILE;
# WIRECAP_INTEL_DIR (see scripts/intel-src.sh); MAKEFLAGS' -j as given, or
# -j<number of CPUs>.
#
# The kernel's build directory: $WIRECAP_KDIR if set (make modules KDIR=); else the "build" link of the
# kernel under build/kernels/<release> (the debug kernel's points at its
# full build tree: scripts/debug-kernel.sh); else Debian's headers package,
# /usr/src/linux-headers-<release> (the unpacked Debian images have no link).
set -eu
krel=$1 root=$2 out=$3
top=$(cd "$(dirname "$0")/.." && pwd)
kdir=${WIRECAP_KDIR:-}
if [ -z "$kdir" ]; then
	kdir=$top/build/kernels/$krel/lib/modules/$krel/build
	[ -f "$kdir/Makefile" ] || kdir=/usr/src/linux-headers-$krel
fi
src=$top/build/$krel/src$(echo "$out" | cksum | cut -d' ' -f1)

[ -f "$kdir/Makefile" ] || { echo "build-modules: no kernel build directory for $krel ($kdir)" >&2; exit 1; }
rm -rf "$src"
mkdir -p "$src" "$out"
cp -r "$root/drivers" "$root/uapi" "$src/"
# compiles a probe per feature with this kernel's kbuild (a few seconds);
# why a feature is missing is in compat_probe.log beside compat_gen.h
WIRECAP_PROBE_LOG=$src/drivers/compat_probe.log \
	"$src/drivers/wirecap/gen-compat.sh" "$kdir" >"$src/drivers/compat_gen.h"
"$top/scripts/intel-src.sh" "$krel" "$src/drivers" "$kdir"
check=""
if [ -n "${WIRECAP_SPARSE:-}" ]; then
	command -v sparse >/dev/null || { echo "build-modules: sparse not found (scripts/setup.sh)" >&2; exit 1; }
	export WIRECAP_SPARSE
	check="C=1 CHECK=$top/scripts/sparse-glue.sh"
fi
jobs=""
case " ${MAKEFLAGS:-} " in *" -j"* | *" --jobs"*) ;; *) jobs=-j$(nproc) ;; esac
# shellcheck disable=SC2086  # ($check: two words or none)
make -s $jobs -C "$kdir" M="$src/drivers" W=1 $check modules
cp "$src"/drivers/*.ko "$out/"
rm -rf "$out/intel"
for ko in "$src"/drivers/intel/*/*.ko; do
	[ -f "$ko" ] || continue
	mkdir -p "$out/intel"
	cp "$ko" "$out/intel/"
done
