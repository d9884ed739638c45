#!/bin/sh
# A newcomer's first command works: in a copy of the source tree with no
# build/ (what `git clone` gives), `make modules` must set the machine up
# and build the modules, as `make run` does before it boots the VM. The
# kernel releases are only known once setup has run, so nothing may read
# them when the Makefile is parsed.
#
#   selftests/host/fresh_tree.sh        prints TAP; exit 0 iff all passed
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
. "$top/selftests/lib/tap.sh"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

tap_plan 3
# the tree as a clone has it: tracked and new files, nothing ignored
(cd "$top" && git ls-files -z -co --exclude-standard |
	xargs -0 cp --parents -t "$tmp" 2>/dev/null)
[ -f "$tmp/Makefile" ] && [ ! -e "$tmp/build" ]
tap_ok "a copy of the tree without build/" $?

make -C "$tmp" modules KERNEL=6.1 >"$tmp/make.log" 2>&1
rc=$?
[ $rc = 0 ] || tail -5 "$tmp/make.log" | sed 's/^/# /'
tap_ok "make modules KERNEL=6.1 in it (exit $rc)" $rc

n=$(ls "$tmp"/build/*/modules/wirecap.ko 2>/dev/null | wc -l)
[ "$n" = 1 ]
tap_ok "it built wirecap.ko ($n)" $?
tap_done
