#!/bin/sh
# Build wirecap.ko and the NIC drivers out of tree for one kernel.
#
#   scripts/build-modules.sh <kernel release> <source root> <output dir>
#
# The source root holds drivers/ and uapi/ (the repo, or a patched copy).
# Objects go to a copy per kernel, since two kernels' objects must not
# meet; compat_gen.h is probed from that kernel's headers.
set -eu
krel=$1 root=$2 out=$3
top=$(cd "$(dirname "$0")/.." && pwd)
kdir=/usr/src/linux-headers-$krel
src=$top/build/$krel/src$(echo "$out" | cksum | cut -d' ' -f1)

[ -d "$kdir" ] || { echo "build-modules: no headers for $krel" >&2; exit 1; }
rm -rf "$src"
mkdir -p "$src" "$out"
cp -r "$root/drivers" "$root/uapi" "$src/"
"$src/drivers/wirecap/gen-compat.sh" "$kdir" > "$src/drivers/compat_gen.h"
make -s -C "$kdir" M="$src/drivers" W=1 modules
cp "$src"/drivers/*.ko "$out/"
