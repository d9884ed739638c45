#!/bin/sh
# `make check-intel`: build the modules (wirecap.ko and the Intel drivers
# e1000e.ko, ixgbe.ko from Debian's source with our hooks and glue:
# scripts/intel-src.sh) against each kernel's headers with W=1, running
# sparse on our glue files only (scripts/sparse-glue.sh); prints TAP and
# exits 0 iff the build is warning-free and sparse says nothing.
#
#   scripts/check-intel.sh [KERNEL...]        [6.1 6.12]
#
# Per kernel: the build succeeds; its output has no warning (compiler,
# modpost, intel-src.sh's SUBLEVEL check); sparse is silent on each glue
# file; each Intel module built carries the wirecap modinfo tag and the
# kernel's vermagic. A driver without hooks or glue (drivers/intel/
# patches/DRV.diff, drivers/intel/DRV_wirecap.c) is skipped. Builds go to
# build/<release>/check-intel/ (the modules `make modules` builds are left
# alone); logs beside them (check-intel.log, check-intel.sparse); paths
# in messages are the build copy's (drivers/intel/DRV/FILE: upstream file
# or glue as built). Environment: WIRECAP_INTEL_DIR (as for
# scripts/intel-src.sh).
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
# shellcheck source=selftests/lib/tap.sh
. "$top/selftests/lib/tap.sh"
[ $# -gt 0 ] || set -- 6.1 6.12
intel=${WIRECAP_INTEL_DIR:-$top/drivers/intel}

drvs="" ndrv=0
for d in e1000e ixgbe; do
	if [ -f "$intel/${d}_wirecap.c" ] && [ -f "$intel/patches/$d.diff" ]; then
		drvs="$drvs $d"
		ndrv=$((ndrv + 1))
	fi
done
# per kernel: build, warnings, sparse, and two per driver slot (built+tag)
tap_plan $(($# * 5))
tap_diag "Intel drivers with hooks and glue:${drvs:- none}"

for k in "$@"; do
	krel=$("$top/scripts/krel.sh" "$k") || {
		for _ in 1 2 3 4 5; do tap_ok "kernel $k: no such kernel (scripts/setup.sh)" 1; done
		continue
	}
	out=$top/build/$krel/check-intel
	log=$out.log slog=$out.sparse
	rm -f "$log" "$slog"
	mkdir -p "$out"
	: >"$slog"
	t0=$(date +%s)
	WIRECAP_SPARSE=$slog "$top/scripts/build-modules.sh" "$krel" "$top" "$out" >"$log" 2>&1
	rc=$?
	tap_diag "kernel $k ($krel): build took $(($(date +%s) - t0)) s; log $log"
	[ $rc = 0 ] || tail -n 20 "$log" | sed 's/^/#   /'
	tap_ok "kernel $k: modules build with W=1 (exit $rc)" $rc

	# Any warning at all: gcc's "warning:", modpost's "WARNING:", ours;
	# sparse's are the next test's. (kbuild's "Skipping BTF generation"
	# for want of a vmlinux is not one.) Paths shown from drivers/ on.
	warn=$(grep -i 'warning' "$log" | grep -v -F -x -f "$slog" |
		grep -v '^Skipping BTF generation' |
		sed "s|$top/build/$krel/src[0-9]*/drivers/|drivers/|g" || true)
	n=0
	[ -z "$warn" ] || n=$(printf '%s\n' "$warn" | wc -l)
	[ "$n" = 0 ] || printf '%s\n' "$warn" | head -n 30 | sed 's/^/#   /'
	tap_ok "kernel $k: no warnings in the build ($n)" "$([ "$n" = 0 ]; echo $?)"

	if [ -z "$drvs" ]; then
		tap_skip "kernel $k: sparse on the Intel glue: no Intel driver has hooks and glue"
	else
		checked=$(grep -c '^sparse: checked ' "$slog")
		said=$(grep -v '^sparse: checked ' "$slog" || true)
		[ -z "$said" ] || printf '%s\n' "$said" | head -n 30 |
			sed "s|$top/build/$krel/src[0-9]*/drivers/|drivers/|g; s/^/#   /"
		ok=1
		[ $rc = 0 ] && [ -z "$said" ] && [ "$checked" -ge "$ndrv" ] && ok=0
		tap_ok "kernel $k: sparse silent on the Intel glue ($checked files checked)" $ok
	fi

	for d in e1000e ixgbe; do
		case " $drvs " in
		*" $d "*) ;;
		*)
			tap_skip "kernel $k: $d not built (no hooks or glue in drivers/intel)"
			continue
			;;
		esac
		ko=$out/intel/$d.ko
		if [ ! -f "$ko" ]; then
			tap_ok "kernel $k: intel/$d.ko built" 1
			continue
		fi
		tag=$(modinfo -F wirecap "$ko" 2>/dev/null)
		vm=$(modinfo -F vermagic "$ko" 2>/dev/null)
		ok=1
		[ -n "$tag" ] && [ "${vm%% *}" = "$krel" ] && ok=0
		tap_ok "kernel $k: intel/$d.ko built, vermagic ${vm%% *}, wirecap tag '$tag'" $ok
	done
done
tap_done
