#!/bin/sh
# Per-frame timestamps end to end, from the virtio-net NIC: the host sends
# frames into the VM's tap 1 ms apart, then in bursts (wirecap-tap-gen at
# the trace's recorded pace; the trace is scripts/tstamp.py's), the guest
# captures them with `wirecap capture -w` (nanosecond pcap), and the host
# checks the captured timestamps (scripts/tstamp.py check):
#   - every frame sent was captured once;
#   - frames sent 1 ms apart: the median gap between consecutive frames'
#     timestamps is within 0.8..1.2 ms, and no two share a timestamp;
#   - frames sent back to back (bursts of 16, which the NIC hands over in
#     one NAPI poll): no two share a timestamp, and they rise in order.
#     A driver that stamps a whole poll's batch at once fails this.
# Prints TAP.
#
#   scripts/e2e-tstamp.sh [kernel ...]        default: 6.1 6.12
#
# Environment: WIRECAP_TSTAMP_RUNS (runs per kernel [1]),
# WIRECAP_TSTAMP_NIC (virtio, or e1000e: our e1000e.ko on QEMU's 82574L,
# the segment engine's stamps [virtio]),
# WIRECAP_TSTAMP_BUILD (a build directory whose <release>/modules are
# booted instead of build/'s, e.g. a copy of an older build, to see what
# the test says of it), WIRECAP_E2E_TIMEOUT (seconds per VM run [180]).
#
# The thresholds come from measurements under QEMU TCG (see the comments
# at the check below and docs/man/wirecap.8, "Packet timestamps").
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top" || exit 1
kernels=${*:-6.1 6.12}
runs=${WIRECAP_TSTAMP_RUNS:-1}
vmtimeout=${WIRECAP_E2E_TIMEOUT:-180}
build=${WIRECAP_TSTAMP_BUILD:-}
nic=${WIRECAP_TSTAMP_NIC:-virtio}
case $nic in
virtio | e1000e) ;;
*) echo "e2e-tstamp.sh: WIRECAP_TSTAMP_NIC: virtio or e1000e, not $nic" >&2; exit 2 ;;
esac
n=0

ok() { n=$((n + 1)); echo "ok $n $*"; }
notok() { n=$((n + 1)); echo "not ok $n $*"; }

out=$top/results/e2e-tstamp
mkdir -p "$out"
trace=$out/tstamp.pcap
# 2000 frames 1 ms apart, then 100 bursts of 16 frames 10 ms apart: 3.1 s
if ! python3 scripts/tstamp.py gen "$trace" --paced 2000 --bursts 100 \
	--burst-len 16; then
	echo "1..1"
	notok "writing the trace (scripts/tstamp.py gen)"
	exit 1
fi

# the guest: one queue, captured until the host's replay has ended
cmd='cat /sys/devices/system/clocksource/clocksource0/current_clocksource \
	> /results/clocksource.txt 2>/dev/null
wirecap capture -q 0 -w /results/ts.pcap \
	--until-file /run/wirecap/replay-done --idle-ms 1000 \
	> /results/capture.txt 2>&1'

nk=$(echo "$kernels" | wc -w)
echo "1..$((nk * runs * 6))"
for k in $kernels; do
	mods=""
	if [ -n "$build" ]; then
		mods="--modules $build/$(scripts/krel.sh "$k")/modules"
	fi
	for r in $(seq 1 "$runs"); do
		res=$out/$nic/$k/run$r
		log=$res.log
		rm -rf "$res"
		mkdir -p "$res"
		# shellcheck disable=SC2086  # ($mods: two words or none)
		scripts/vm.sh --nic "$nic" --kernel "$k" --queues 1 $mods \
			--gen tapgen --speed recorded --timeout "$vmtimeout" \
			--trace "$trace" --results "$res" -- "$cmd" >"$log" 2>&1
		rc=$?
		if [ $rc -ne 0 ] || [ ! -s "$res/ts.pcap" ]; then
			notok "$k run $r: $nic VM run (exit $rc, see ${log#"$top"/})"
			tail -5 "$log" | sed 's/^/# /'
			for _ in 1 2 3 4 5; do
				notok "$k run $r: timestamps (skipped: no capture)"
			done
			continue
		fi
		ok "$k run $r: $nic VM run, $(sed -n 's/^packets_sent=//p' \
			"$res/host-replay.txt") frames sent, guest clocksource" \
			"$(cat "$res/clocksource.txt" 2>/dev/null || echo ?)"
		# Thresholds, from 6 runs of this test on 6.1 and 6.12 (TCG):
		# the median paced gap was 0.992..0.999 ms (single gaps
		# spread from 0 to 13 ms: 8-15% of the frames came in one
		# poll with the one before, a few us apart), so 0.8..1.2 ms,
		# the issue's, holds with room. No two frames ever shared a
		# stamp (the closest: 150 ns on tsc, 290 ns on hpet); with
		# one stamp per batch 10-16% of the paced pairs and every
		# burst pair did (3 runs of the old driver), so none may.
		# Our e1000e (WIRECAP_TSTAMP_NIC=e1000e, one run per kernel)
		# measured the same: medians 0.991 and 0.996 ms.
		python3 scripts/tstamp.py check "$trace" "$res/ts.pcap" \
			--burst-len 16 --median-lo 0.8 --median-hi 1.2 \
			--max-equal-paced 0 >"$res/check.tap" 2>&1
		# renumber the checker's TAP into ours, keep its comments
		seen=0
		while IFS= read -r line; do
			case $line in
			"ok "*) ok "$k run $r: $(echo "$line" | cut -d' ' -f3-)" ;;
			"not ok "*) notok "$k run $r: $(echo "$line" | cut -d' ' -f4-)" ;;
			"#"*) echo "$line"; continue ;;
			*) continue ;;
			esac
			seen=$((seen + 1))
		done <"$res/check.tap"
		while [ $seen -lt 5 ]; do
			notok "$k run $r: timestamps (the check stopped early)"
			seen=$((seen + 1))
		done
	done
done
