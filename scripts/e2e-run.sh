#!/bin/sh
# `make run` as a newcomer sees it: scripts/run.sh with its defaults (the
# generated trace, 4 virtio queues, speed 1) into a results directory of
# its own, and the summary it ends with checked against its files by
# scripts/check-run-summary.py: the trace's and the capture file's packets
# counted by capinfos and tcpdump, each queue's packets and drops as
# capture.json has them, rx_errors as queue-stats.json, tcpreplay's and
# the tap's counts as host-replay.txt; the queue rows adding up to the
# total, sent = in the file + lost + unexplained, "no packet lost" said
# exactly when nothing was lost; and on one screen. Also: run.sh exited
# 0, what it printed last is the summary it saved (summary.txt), and
# details.txt holds the command's table and the host's counts. A second
# run replays merc_emix.pcap, whose frames go up to 5 KiB, with no option:
# every frame must be captured, byte for byte. Prints TAP. (selftests/host/run_summary.sh covers the summary's loss cases.)
#
#   scripts/e2e-run.sh [kernel ...]        default: 6.1 (as `make run`)
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top" || exit 1
kernels=${*:-6.1}
n=0
ok() { n=$((n + 1)); echo "ok $n - $*"; }
notok() { n=$((n + 1)); echo "not ok $n - $*"; }
tap() {		# tap STATUS DESCRIPTION [FILE to show on failure]
	if [ "$1" = 0 ]; then
		ok "$2"
	else
		notok "$2"
		[ -z "${3:-}" ] || tail -n 25 "$3" | sed 's/^/# /'
	fi
}

for k in $kernels; do
	res=$top/results/e2e-run/$k
	rm -rf "$res" "$res-jumbo"
	mkdir -p "$res"
	log=$res.log
	scripts/run.sh --kernel "$k" --results "$res" --timeout 300 >"$log" 2>&1
	rc=$?
	tap $rc "$k: scripts/run.sh exits 0 (exit $rc; ${log#"$top"/})" "$log"

	# the end of what it printed: the summary, as saved
	sed -n '/^== what `make run` did/,$p' "$log" >"$res.printed"
	[ -s "$res.printed" ] && cmp -s "$res.printed" "$res/summary.txt"
	tap $? "$k: it ends with the summary, as saved in summary.txt" "$log"

	grep -q '^-- guest: the command.s table' "$res/details.txt" 2>/dev/null &&
		grep -q '^   tcpreplay:  sent [0-9]' "$res/details.txt" &&
		grep -q '^   total ' "$res/details.txt"
	tap $? "$k: details.txt has the command's table and the host's counts" \
		"$res/details.txt"

	scripts/check-run-summary.py "$res" "$res/summary.txt" \
		--trace "$res/generated.pcap" >"$res.check" 2>&1
	while IFS= read -r line; do
		case $line in
		"ok - "*) ok "$k: ${line#ok - }" ;;
		"not ok - "*) notok "$k: ${line#not ok - }" ;;
		*) echo "$line" ;;
		esac
	done <"$res.check"
	grep -q -- '- a balance line' "$res.check"
	tap $? "$k: the checker ran (${res#"$top"/}.check)" "$res.check"
	echo "# $k: $(grep -E '^balance|no packet lost|packets lost' "$res/summary.txt" | tr -s ' ' | tr '\n' ' ')"

	# a trace with frames of up to 5,018 bytes needs no option: the run
	# sets the MTU, and every frame is captured
	t=${WIRECAP_SHARED:-$top/../shared}/traces/merc_emix.pcap
	scripts/run.sh --kernel "$k" --trace "$t" --results "$res-jumbo" \
		--timeout 300 >"$res-jumbo.log" 2>&1 &&
		grep -q 'no packet lost' "$res-jumbo/summary.txt" &&
		build/host/wirecap-pcapcmp "$t" "$res-jumbo/captured.pcap" \
			--max-len 65535 >"$res-jumbo.cmp" 2>&1
	tap $? "$k: make run TRACE=merc_emix.pcap (5 KiB frames) captures every frame, byte for byte" \
		"$res-jumbo.log"
done
echo "1..$n"	# (the checker's lines vary in number)
