#!/bin/sh
# Build wirecap.ko and the NIC drivers out of tree for one kernel.
#
#   scripts/build-modules.sh <kernel release> <source root> <output dir>
#
# The source root holds drivers/ and uapi/ (the repo, or a patched copy).
# Objects go to a copy per kernel, since two kernels' objects must not
# meet; compat_gen.h is probed from that kernel's headers.
#
# The kernel's build directory: $KDIR if set; else the "build" link of the
# kernel under build/kernels/<release> (the debug kernel's points at its
# full build tree: scripts/debug-kernel.sh); else Debian's headers package,
# /usr/src/linux-headers-<release> (the unpacked Debian images have no link).
set -eu
krel=$1 root=$2 out=$3
top=$(cd "$(dirname "$0")/.." && pwd)
kdir=${KDIR:-}
if [ -z "$kdir" ]; then
	kdir=$top/build/kernels/$krel/lib/modules/$krel/build
	[ -f "$kdir/Makefile" ] || kdir=/usr/src/linux-headers-$krel
fi
src=$top/build/$krel/src$(echo "$out" | cksum | cut -d' ' -f1)

[ -f "$kdir/Makefile" ] || { echo "build-modules: no kernel build directory for $krel ($kdir)" >&2; exit 1; }
rm -rf "$src"
mkdir -p "$src" "$out"
cp -r "$root/drivers" "$root/uapi" "$src/"
"$src/drivers/wirecap/gen-compat.sh" "$kdir" > "$src/drivers/compat_gen.h"
make -s -C "$kdir" M="$src/drivers" W=1 modules
cp "$src"/drivers/*.ko "$out/"
