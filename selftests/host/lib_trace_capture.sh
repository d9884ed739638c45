#!/bin/bash
# `wirecap capture` of a real trace, checked from the host: the test VM
# replays TRACE into the software NIC (RSS over its queues) while
# `wirecap capture` writes every queue into one pcap; then the multiset of
# captured frames must equal the trace's (wirecap-pcapcmp: records with
# caplen < len and frames longer than a cell are left out of the
# comparison), nothing may be dropped, and the counts must add up:
# captured + oversize_drops = replayed.
#
#   selftests/host/lib_trace_capture.sh [--kernel 6.1|6.12] [--queues N]
#                                       [--results DIR] [TRACE]
#
# TRACE defaults to /work/shared/traces/merc_capture2.pcap. Needs
# `make modules userbins host-tools`. Prints TAP; exit 0 iff all passed.
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
kernel=6.1 queues=4 results="" trace=/work/shared/traces/merc_capture2.pcap
while [ $# -gt 0 ]; do
	case $1 in
	--kernel) kernel=$2; shift 2 ;;
	--queues) queues=$2; shift 2 ;;
	--results) results=$2; shift 2 ;;
	-*) echo "usage: $0 [--kernel K] [--queues N] [--results DIR] [TRACE]" >&2
	    exit 2 ;;
	*) trace=$1; shift ;;
	esac
done
[ -n "$results" ] || results=$top/results/lib-trace-$kernel
cmp=$top/build/host/wirecap-pcapcmp
max_frame=2048		# the software NIC's cell: 2048 bytes, frame_offset 0

n=0 failed=0
ok() {	# ok <0|1> <name>
	n=$((n + 1))
	if [ "$1" = 0 ]; then echo "ok $n $2"; else echo "not ok $n $2"; failed=1; fi
}

echo "1..4"
rm -rf "$results"
"$top/scripts/vm.sh" --kernel "$kernel" --queues "$queues" --trace "$trace" \
	--results "$results" -- \
	'wirecap capture -w /results/capture.pcap --json /results/capture.json \
	 --until-file /results/replay-exit-code --idle-ms 1000' \
	>"$results.vm.log" 2>&1
rc=$?
sed 's/^/# /' "$results/cmd.log" 2>/dev/null
ok $rc "wirecap capture of $(basename "$trace") in the VM ($kernel), exit $rc"

replayed=$(sed -n 's/^replayed \([0-9]*\) packets.*/\1/p' "$results/replay.log" 2>/dev/null)
json=$(cat "$results/capture.json" 2>/dev/null)
total=${json#*\"total\": }
num() { echo "$total" | sed -n "s/.*\"$1\": \([0-9]*\).*/\1/p"; }
captured=$(num packets) oversize=$(num oversize_drops) drops=$(num capture_drops)
echo "# replayed ${replayed:-?}, captured ${captured:-?}, oversize ${oversize:-?}, capture_drops ${drops:-?}"
[ -n "$replayed" ] && [ -n "$captured" ] && [ -n "$oversize" ] &&
	[ $((captured + oversize)) -eq "$replayed" ]
ok $? "captured + oversize_drops = replayed"
[ "${drops:-x}" = 0 ]
ok $? "no capture drops"

"$cmp" "$trace" "$results/capture.pcap" --max-len $max_frame 2>&1 | sed 's/^/# /'
ok "${PIPESTATUS[0]}" "captured frames = the trace's frames (multiset, bytes)"
exit $failed
