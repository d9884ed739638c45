#!/bin/sh
# Mutation test of RECYCLE's validation: for each check in wirecap_view_out()
# (an `if (...)` followed by `return false;`), build wirecap.ko without it
# and run the recycle selftests in the VM. Each mutant must be caught: a
# selftest fails, or the kernel complains. Prints TAP.
#
#   scripts/mutate-recycle.sh [kernel: 6.1|6.12|debug]   default: 6.1
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
kernel=${1:-6.1}
krel=$(scripts/krel.sh "$kernel") || exit 1
file=drivers/wirecap/recycle.c

# line numbers of the checks inside wirecap_view_out()
checks=$(awk '/^bool wirecap_view_out/ { on = 1 }
	on && /^}/ { on = 0 }
	on && /^\tif \(/ { iff = NR; next }
	on && iff == NR - 1 && /^\t\treturn false;/ { print iff }
	{ }' "$file")
n=$(echo "$checks" | wc -w)
echo "1..$n"
i=0
for line in $checks; do
	i=$((i + 1))
	what=$(sed -n "${line}p" "$file" | sed 's/^[[:space:]]*//')
	dir=$top/build/mutants/$i
	rm -rf "$dir"
	mkdir -p "$dir/root"
	cp -r drivers uapi "$dir/root/"
	sed -i "${line},$((line + 1))d" "$dir/root/$file"
	# no Intel driver: no mutant touches them and no mutant VM loads
	# them (40 of the 58 seconds a build takes here)
	if ! WIRECAP_INTEL_DRIVERS=none scripts/build-modules.sh "$krel" \
		"$dir/root" "$dir/modules" >"$dir/build.log" 2>&1; then
		echo "not ok $i mutant without '$what' does not build"
		continue
	fi
	scripts/vm.sh --kernel "$kernel" --modules "$dir/modules" \
		--results "$dir/results" -- 'wirecap-selftests recycle_refused xmit' \
		>"$dir/vm.log" 2>&1
	rc=$?
	if [ $rc -eq 0 ]; then
		echo "not ok $i mutant without '$what' survives the selftests"
	else
		echo "ok $i mutant without '$what' is caught (vm exit $rc)"
	fi
done
