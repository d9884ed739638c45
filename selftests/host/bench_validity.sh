#!/bin/sh
# The bench's validity check (bench/report.py validity) on made-up runs:
# a run enters the bench's tables only if every packet sent was offered
# to its engine and the engine accounted for it. Each case is a results
# directory as bench/peers.sh leaves it (host-replay.txt, h.json):
#
#   - a run where all was read by QEMU and seen by the engine: valid;
#   - the engine saw fewer than QEMU read (its packets went elsewhere);
#   - QEMU read nothing at all (the guest took no packet: every one
#     dropped by the tap), which the other checks alone let through;
#   - packets left in the tap (the host did not account for them);
#   - AF_XDP in native mode whose packets went into the stack.
#
#   selftests/host/bench_validity.sh        prints TAP; exit 0 iff all passed
set -eu
top=$(cd "$(dirname "$0")/../.." && pwd)
# shellcheck source=selftests/lib/tap.sh
. "$top/selftests/lib/tap.sh"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# run NAME SENT QEMU TAPDROP PENDING ENGINE SEEN PROCESSED STACK
run() {
	d=$tmp/$1.res
	mkdir -p "$d"
	printf 'packets_sent=%s\ntap_tx_packets=%s\ntap_tx_dropped=%s\ntap_tx_pending=%s\n' \
		"$2" "$3" "$4" "$5" >"$d/host-replay.txt"
	printf '{"engine": "%s", "xdp_mode": "native", "seen": %s, "processed": %s, "stack_packets": %s, "pp": 0, "cpu_s": 0}\n' \
		"$6" "$7" "$8" "$9" >"$d/h.json"
	python3 "$top/bench/report.py" validity "$d" 2>&1
}

# expect NAME valid|invalid WORDS-OF-THE-REASON -- run arguments
expect() {
	name=$1 want=$2 why=$3
	shift 4
	out=$(run "$name" "$@") && st=valid || st=invalid
	rc=0
	[ "$st" = "$want" ] || rc=1
	[ "$want" = valid ] || echo "$out" | grep -q "$why" || rc=1
	[ $rc = 0 ] || tap_diag "$name: $st: $out"
	tap_ok "$name: $want${why:+ ($why)}" $rc
}

tap_plan 5
expect all-seen valid "" -- 5000 5000 0 0 afpacket 5000 4900 5000
expect went-elsewhere invalid "never reached the engine" -- \
	5000 5000 0 0 xsk 2000 2000 0
expect guest-took-nothing invalid "QEMU read nothing" -- \
	5000 0 5000 0 afpacket 0 0 0
expect tap-pending invalid "unaccounted on the host" -- \
	5000 4000 0 1000 afpacket 4000 4000 4000
expect into-the-stack invalid "went into the stack" -- \
	5000 5000 0 0 xsk 5000 5000 5000
tap_done
