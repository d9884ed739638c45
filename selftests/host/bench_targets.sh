#!/bin/sh
# The bench's verdicts on its targets (bench/report.py) on made-up runs,
# 5 per point, as bench/peers.sh leaves them. Generated skews (issue 19):
#
#   - seed 2, 12000 pps: WireCAP-B loses about 21 %, WireCAP-A 1 %: the
#     first target is met there;
#   - seed 2, 13500 pps: WireCAP-A's median is above every WireCAP-B run:
#     the second target is not met there, and only there;
#   - seed 5, 10500 pps: WireCAP-B loses 8 % (under 10 %), WireCAP-A
#     nothing: not a point of the first target;
#   - seed 5 alone: the first target is not met;
#   - seed 7, 9000 pps, 2 runs of each mode: left out of the targets.
#   - seed 2, 13500 pps, the guest's CPUs 100 % busy (BUSY=20 of 2 CPUs
#     over a 10 s window, PEAK=1 in its busiest second) under WireCAP-A:
#     the first target's miss there is put down to saturation; seed 3,
#     9000 pps, busy 60 % (70 % at the peak), the threads waiting for a
#     CPU 20 % of their runnable time: to neither saturation nor
#     contention; seed 4, the same but waiting 50 % (WAIT=8): to
#     contention; seed 6, no wait recorded (WAIT=null): to nothing;
#     seed 8, saturated and waiting 50 %: to saturation; seed 9, no
#     busiest second (PEAK=null, a window under a second): to nothing.
#   - seed 5's runs in $b have no CPU figures (older runs): "-".
# IMIX bursts (issue 15): wirecap loses more than afpacket-mem at
# P=50000 only (by 3 points), wirecap-c128 never: one "not met" naming
# that P, one "met".
#
#   selftests/host/bench_targets.sh      prints TAP; exit 0 iff all passed
set -eu
top=$(cd "$(dirname "$0")/../.." && pwd)
# shellcheck source=selftests/lib/tap.sh
. "$top/selftests/lib/tap.sh"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# runs DIR EXP ENGINE N LOSS-PERCENT... : one run per loss, 10000 sent;
# the guest's busy CPU seconds over a 10 s window on 2 CPUs from $BUSY,
# its busy share in the busiest second from $PEAK, none recorded if BUSY
# is empty
runs() {
	dir=$1 exp=$2 engine=$3 rate=$4
	shift 4
	i=0
	for loss in "$@"; do
		i=$((i + 1))
		d=$dir/$exp-$engine-$rate-$i.res
		mkdir -p "$d"
		p=$((10000 - loss * 100))
		printf 'packets_sent=10000\ntap_tx_packets=10000\ntap_tx_dropped=0\ntap_tx_pending=0\nrate_pps=%s\n' \
			"$rate" >"$d/host-replay.txt"
		if [ -n "${BUSY-}" ]; then
			printf '{"engine": "wirecap", "seen": 10000, "processed": %s, "stack_packets": 0, "pp": 9000, "cpu_s": 1, "guest_busy_s": %s, "guest_peak_busy": %s, "window_s": 10, "ncpu": 2, "lib_cpu_s": 1, "lib_wait_s": %s, "threads": [{"processed": %s, "pp": 9000, "busy_s": 9, "cpu_s": 8, "wait_s": %s}]}\n' \
				"$p" "$BUSY" "$PEAK" "${LWAIT:-0.5}" "$p" "${WAIT:-2}" \
				>"$d/h.json"
		else
			printf '{"engine": "wirecap", "seen": 10000, "processed": %s, "stack_packets": 0, "pp": 9000, "cpu_s": 1, "threads": [{"processed": %s, "pp": 9000}]}\n' \
				"$p" "$p" >"$d/h.json"
		fi
	done
}

# point DIR SEED RATE ENGINE LOSS-PERCENT... : a generated skew's runs
point() {
	dir=$1 seed=$2 rate=$3 engine=$4
	shift 4
	runs "$dir" "gskew$seed" "$engine" "$rate" "$@"
	if [ ! -f "$dir/gskew-setup.txt" ] ||
		! grep -q "^seed=$seed " "$dir/gskew-setup.txt"; then
		echo "seed=$seed recorded_pps=10000 split=10 64 13 13" \
			>>"$dir/gskew-setup.txt"
	fi
}

a=$tmp/a
BUSY=20 PEAK=1
point "$a" 2 12000 wirecap 20 22 18 25 21
point "$a" 2 12000 wirecap-a60 1 0 2 3 0
point "$a" 2 13500 wirecap 30 31 29 32 30
point "$a" 2 13500 wirecap-a60 40 41 39 38 42
point "$a" 5 10500 wirecap 8 7 9 8 8
point "$a" 5 10500 wirecap-a60 0 0 0 0 0
point "$a" 7 9000 wirecap 30 31
point "$a" 7 9000 wirecap-a60 0 0
BUSY=12 PEAK=0.7
point "$a" 3 9000 wirecap 15 16 14 15 15
point "$a" 3 9000 wirecap-a60 6 5 7 6 6
WAIT=8
point "$a" 4 9000 wirecap 15 16 14 15 15
point "$a" 4 9000 wirecap-a60 6 5 7 6 6
WAIT=null LWAIT=null
point "$a" 6 9000 wirecap 15 16 14 15 15
point "$a" 6 9000 wirecap-a60 6 5 7 6 6
BUSY=20 PEAK=1 WAIT=8 LWAIT=
point "$a" 8 9000 wirecap 15 16 14 15 15
point "$a" 8 9000 wirecap-a60 6 5 7 6 6
PEAK=null
point "$a" 9 9000 wirecap 15 16 14 15 15
point "$a" 9 9000 wirecap-a60 6 5 7 6 6
BUSY= WAIT= PEAK=
b=$tmp/b
point "$b" 5 10500 wirecap 8 7 9 8 8
point "$b" 5 10500 wirecap-a60 0 0 0 0 0

c=$tmp/c
runs "$c" iburst afpacket-mem 10000 0 0 1 0 0
runs "$c" iburst wirecap 10000 0 0 0 0 0
runs "$c" iburst wirecap-c128 10000 0 0 0 0 0
runs "$c" iburst afpacket-mem 50000 20 22 21 19 20
runs "$c" iburst wirecap 50000 23 24 22 25 23
runs "$c" iburst wirecap-c128 50000 10 11 12 10 9

tap_plan 10
out=$(python3 "$top/bench/report.py" peers "$a" 6.1 20000 2>&1) && rc=0 || rc=$?
tap_ok "the report ran (exit $rc)" $rc
first=$(echo "$out" | grep '^Target (issue 19), a point' || true)
second=$(echo "$out" | grep '^Target (issue 19), at no point' || true)
ok=1
case $first in *"met at seed 2 at 12000 pps"*) ok=0 ;; esac
case $first in *13500* | *10500* | *"seed 7"*) ok=1 ;; esac
[ $ok = 0 ] || tap_diag "$first"
tap_ok "first target: met at seed 2, 12000 pps, and only there" $ok
ok=1
case $second in *"not met at seed 2 at 13500 pps"*) ok=0 ;; esac
case $second in *12000* | *10500*) ok=1 ;; esac
[ $ok = 0 ] || tap_diag "$second"
tap_ok "second target: not met at seed 2, 13500 pps, and only there" $ok
rows=$(echo "$out" | grep -c '^| [0-9]* (10/64/13/13 %) |' || true)
[ "$rows" = 18 ] && rc=0 || rc=1
echo "$out" | grep -q '^1 points with fewer than 3 runs' || rc=1
[ $rc = 0 ] || tap_diag "rows: $rows; $(echo "$out" | grep fewer)"
tap_ok "the table: a row per seed, rate and engine; short points left out" $rc
why=$(echo "$out" | grep '^Where WireCAP-B lost 10 % or more' || true)
rc=1
case $why in *"seed 2 at 13500 pps"*"busy 100 % in the busiest second under wirecap-a60 (5 of 5 runs) and 100 % under wirecap, the handler's threads waiting for a CPU 20 % of their runnable time under wirecap-a60 and 20 % under wirecap: the guest's CPUs were saturated"*"seed 3 at 9000 pps"*"(0.40 of it)"*"busy 70 % in the busiest second under wirecap-a60"*"neither saturated nor contended"*"seed 4 at 9000 pps"*"waiting for a CPU 50 %"*"the CPUs were contended"*"seed 6 at 9000 pps"*"70 % under wirecap: the threads' wait for a CPU not recorded"*"seed 8 at 9000 pps"*"50 % under wirecap: the guest's CPUs were saturated"*"seed 9 at 9000 pps"*"(0.40 of it), the guest's CPU use not recorded"*) rc=0 ;; esac
case $why in *12000* | *"seed 5"*) rc=1 ;; esac
[ $rc = 0 ] || tap_diag "$why"
tap_ok "the first target's misses: saturated at 2 and 8, neither at 3, contended at 4, unrecorded at 6 and 9" $rc
echo "$out" | grep -q '^| 6 (10/64/13/13 %) | 9000 | wirecap-a60 | .* | 60%, 70% | 80%; 10%; - |' &&
	rc=0 || rc=1
echo "$out" | grep -q '^| 9 (10/64/13/13 %) | 9000 | wirecap-a60 | .* | 100%, - | 80%; 10% (waited 5%); 50% |' ||
	rc=1
[ $rc = 0 ] || tap_diag "$(echo "$out" | grep '^| [69] (10/64/13/13 %) | 9000 | wirecap-a60')"
tap_ok "the table's CPU columns: null waits and a null busiest second as -" $rc
echo "$out" | grep -q '^| 2 (10/64/13/13 %) | 12000 | wirecap-a60 | .* | 100%, 100% | 80%; 10% (waited 5%); 20% |' &&
	rc=0 || rc=1
[ $rc = 0 ] || tap_diag "$(echo "$out" | grep '^| 2 (10/64/13/13 %) | 12000 | wirecap-a60')"
tap_ok "the table's CPU columns: guest busy, thread's and capture CPU" $rc
out=$(python3 "$top/bench/report.py" peers "$b" 6.1 20000 2>&1) || true
first=$(echo "$out" | grep '^Target (issue 19), a point' || true)
case $first in *"not met."*) rc=0 ;; *) rc=1 ;; esac
echo "$out" | grep -q '^| 5 (10/64/13/13 %) | 10500 | wirecap | .* | - | - |' ||
	rc=1
[ $rc = 0 ] || tap_diag "$first"
tap_ok "first target: not met where WireCAP-B loses under 10 %; no CPU figures: -" $rc
out=$(python3 "$top/bench/report.py" peers "$c" 6.1 20000 2>&1) || true
t=$(echo "$out" | grep "^Target (issue 15), wirecap's loss" || true)
case $t in *"not met: P=50000 by 3.00 points."*) rc=0 ;; *) rc=1 ;; esac
[ $rc = 0 ] || tap_diag "$t"
tap_ok "IMIX bursts: wirecap not met at P=50000, by 3 points" $rc
t=$(echo "$out" | grep "^Target (issue 15), wirecap-c128's loss" || true)
case $t in *": met."*) rc=0 ;; *) rc=1 ;; esac
[ $rc = 0 ] || tap_diag "$t"
tap_ok "IMIX bursts: wirecap-c128 met" $rc
tap_done
