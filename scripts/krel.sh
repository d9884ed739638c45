#!/bin/sh
# The kernel release behind a short name, as scripts/setup.sh recorded it
# in build/kernels.mk (the Debian ABI name moves: never hard-code it).
#
#   scripts/krel.sh 6.1|6.12      prints e.g. 6.1.0-57-amd64; exit 1 if unknown
#
# Run it in recipes and scripts, after setup: the Makefile itself must not
# read build/kernels.mk when it is parsed, because on a fresh clone setup
# has not written it yet.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
kmk=$top/build/kernels.mk
name=${1:?usage: krel.sh KERNEL}
[ -f "$kmk" ] || { echo "krel.sh: no $kmk (run scripts/setup.sh)" >&2; exit 1; }
rel=$(sed -n "s/^KREL_$(echo "$name" | sed 's/\./\\./g')[[:space:]]*:=[[:space:]]*//p" "$kmk")
if [ -z "$rel" ]; then
	echo "krel.sh: unknown KERNEL=$name (known: $(sed -n 's/^KREL_\([^ ]*\).*/\1/p' "$kmk" | tr '\n' ' '))" >&2
	exit 1
fi
echo "$rel"
