#!/bin/sh
# The checker of scripts/e2e-tstamp.sh (scripts/tstamp.py check) against
# captures made up on the host: per-frame stamps pass; the trace itself as
# the capture (each burst's frames with one stamp, as a driver that stamps
# a batch at once gives them), a frame missing, frames stamped 2 ms apart,
# two paced frames with one stamp, a burst's stamps going back, and a file
# that is not a pcap each fail, on the check that should catch them. Prints
# TAP; exit 0 iff all passed.
#
#   selftests/host/tstamp_check.sh
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
# shellcheck source=selftests/lib/tap.sh
. "$top/selftests/lib/tap.sh"
ts="$top/scripts/tstamp.py"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# mkcap MODE OUT: the trace's frames, as a capture stamped per MODE
mkcap() {
	python3 - "$ts" "$tmp/sent.pcap" "$2" "$1" <<'EOF'
import importlib.util
import struct
import sys

spec = importlib.util.spec_from_file_location("tstamp", sys.argv[1])
t = importlib.util.module_from_spec(spec)
spec.loader.exec_module(t)
recs = t.read_pcap(sys.argv[2])
mode = sys.argv[4]
out = []
for i, (ts, fr) in enumerate(recs):
    part, seq = t.key(fr)
    if mode != "asis":
        # per frame: the schedule, a deterministic jitter of up to
        # +-300 us on paced frames, 400 ns between frames of a burst
        if part == "P":
            ts += (seq * 7919 % 601 - 300) * 1000
            if mode == "slow":
                ts += seq * 1000000
            if mode == "equal" and seq == 11:
                ts = out[-1][0]
        else:
            ts += seq % 16 * 400
            if mode == "back" and seq == 37:
                ts -= 1000
    if mode == "missing" and part == "B" and seq == 5:
        continue
    out.append((ts, fr))
with open(sys.argv[3], "wb") as f:
    f.write(struct.pack("<IHHiIII", t.MAGIC_NS, 2, 4, 0, 0, 65535, 1))
    for ts, fr in out:
        f.write(struct.pack("<IIII", ts // 10**9, ts % 10**9, len(fr),
                            len(fr)))
        f.write(fr)
EOF
}

# verdict NAME FILE WANT_EXIT FAILING: check FILE against the trace; the
# exit is WANT_EXIT and exactly the checks numbered FAILING (a space-
# separated list, "" for none) fail
verdict() {
	python3 "$ts" check "$tmp/sent.pcap" "$2" >"$tmp/out" 2>&1
	rc=$?
	bad=$(sed -n 's/^not ok \([0-9]*\) .*/\1/p' "$tmp/out" | tr '\n' ' ' |
		sed 's/ $//')
	[ "$rc" = "$3" ] && [ "$bad" = "$4" ]
	r=$?
	[ $r = 0 ] || sed 's/^/#   /' "$tmp/out"
	tap_ok "$1 (exit $rc, failed: ${bad:-none})" $r
}

tap_plan 8
python3 "$ts" gen "$tmp/sent.pcap" --paced 200 --bursts 20 --burst-len 16
tap_ok "the trace written" $?

mkcap per-frame "$tmp/good.pcap"
verdict "per-frame stamps, paced frames jittered by up to 0.3 ms: all pass" \
	"$tmp/good.pcap" 0 ""
mkcap asis "$tmp/batch.pcap"
verdict "each burst stamped once, as per-batch stamps are: fails" \
	"$tmp/batch.pcap" 1 "4"
mkcap missing "$tmp/missing.pcap"
verdict "a frame missing: fails" "$tmp/missing.pcap" 1 "1"
mkcap slow "$tmp/slow.pcap"
verdict "paced frames stamped 2 ms apart: the median fails" \
	"$tmp/slow.pcap" 1 "2"
mkcap equal "$tmp/equal.pcap"
verdict "two paced frames with one stamp: fails" "$tmp/equal.pcap" 1 "3"
mkcap back "$tmp/back.pcap"
verdict "a burst's stamp going back: fails" "$tmp/back.pcap" 1 "5"
echo "not a pcap" >"$tmp/junk.pcap"
verdict "not a pcap file: fails" "$tmp/junk.pcap" 1 "1"
tap_done
