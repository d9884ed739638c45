#!/bin/sh
# The kernel release behind a short name, as scripts/setup.sh recorded it
# in build/kernels.mk (the Debian ABI name moves: never hard-code it), or,
# for "debug", as scripts/debug-kernel.sh recorded it in
# build/kernels-debug.mk once it has built or found the debug kernel.
#
#   scripts/krel.sh 6.1|6.12|debug   prints e.g. 6.1.0-57-amd64; exit 1 if unknown
#
#   scripts/krel.sh --kdir DIR       the release of any kernel's build
#                                    directory (make modules KDIR=DIR)
#
# Run it in recipes and scripts, after setup: the Makefile itself must not
# read build/kernels.mk when it is parsed, because on a fresh clone setup
# has not written it yet.
#
# --kdir reads UTS_RELEASE of DIR/include/generated/utsrelease.h, the
# string modules built there carry as their vermagic, before
# include/config/kernel.release and `make -s -C DIR kernelrelease`: Debian's
# 6.1 headers say 6.1.192 in both of those, not 6.1.0-57-amd64.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
name=${1:?usage: krel.sh KERNEL | --kdir DIR}
if [ "$name" = --kdir ]; then
	kdir=${2:?usage: krel.sh --kdir DIR}
	rel=$(sed -n 's/^#define UTS_RELEASE "\(.*\)"$/\1/p' \
		"$kdir/include/generated/utsrelease.h" 2>/dev/null || true)
	[ -n "$rel" ] || rel=$(cat "$kdir/include/config/kernel.release" 2>/dev/null || true)
	[ -n "$rel" ] || rel=$(MAKEFLAGS='' make -s -C "$kdir" kernelrelease 2>/dev/null || true)
	if [ -z "$rel" ]; then
		echo "krel.sh: cannot tell the release of $kdir (give KREL=)" >&2
		exit 1
	fi
	echo "$rel"
	exit 0
fi
kmks=""
for f in "$top/build/kernels.mk" "$top/build/kernels-debug.mk"; do
	[ -f "$f" ] && kmks="$kmks $f"
done
if [ -z "$kmks" ]; then
	echo "krel.sh: no $top/build/kernels.mk (run scripts/setup.sh)" >&2
	exit 1
fi
# shellcheck disable=SC2086  # (a list of paths without blanks)
rel=$(sed -n "s/^KREL_$(echo "$name" | sed 's/\./\\./g')[[:space:]]*:=[[:space:]]*//p" $kmks | head -1)
if [ -z "$rel" ]; then
	if [ "$name" = debug ]; then
		echo "krel.sh: the debug kernel is not built yet (scripts/debug-kernel.sh or make debug-kernel)" >&2
	else
		# shellcheck disable=SC2086
		echo "krel.sh: unknown KERNEL=$name (known: $(sed -n 's/^KREL_\([^ ]*\).*/\1/p' $kmks | tr '\n' ' '))" >&2
	fi
	exit 1
fi
echo "$rel"
