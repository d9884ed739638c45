#!/bin/bash
# `make run`: capture a trace replayed into the test VM's NIC with WireCAP.
#
#   scripts/run.sh [options]
#
#   --trace FILE.pcap    the trace to replay; without it one is generated on
#                        the host (scripts/gen-traffic.py: 400 TCP/UDP flows,
#                        IPv4 and IPv6, ~20000 packets over 2 s, seed 1)
#   --queues N           NIC queues                                  [4]
#   --out FILE.pcap      copy the captured packets there too
#   --speed top|recorded|MULT   replay speed [generated trace: 1;
#                        --trace: top, into a tap of txqueuelen 10000]
#   --kernel 6.1|6.12    guest kernel                                [6.1]
#   --nic virtio|softnic|virtio-stock|e1000e|e1000e-stock           [virtio]
#                        (e1000e: QEMU's 82574L with our e1000e.ko, 2 RX
#                        queues, --queues ignored; see scripts/vm.sh)
#   --txqueuelen N  --pin-qemu CPUS  --pin-gen CPU  --gen-timer T
#                        passed to scripts/vm.sh (virtio; see its --help);
#                        the replay timer here defaults to gtod, which
#                        keeps the recorded pace (nano runs ~2x slow here)
#   --results DIR        where results go                       [results/run]
#   --timeout SECS       kill the guest after SECS seconds           [600]
#   -h, --help           this text
#
# In the VM: `wirecap capture -i $WIRECAP_IF -w /results/captured.pcap
# --until-file /run/wirecap/replay-done --idle-ms 1000 --json
# /results/capture.json`. Its attaching starts the replay (scripts/vm.sh),
# and it ends 1 s after the last packet once the replay is over; then
# `wirecap stats --all --json` (queue-stats.json) and the NIC's
# /sys/class/net counters (nic-stats.txt). With a stock driver (--nic
# virtio-stock or e1000e-stock, or virtio / e1000e while our driver is not
# built) or without the `wirecap` program, a stand-in asks for the replay
# itself, waits for its end, and shows the NIC's counters instead (no
# captured.pcap).
#
# Speed 1 (the recorded pace) is the default: the generated trace averages
# ~10 kpps; the stock virtio_net guest took it without loss up to 8x
# (~45 kpps) and lost packets at 16x, measured here with QEMU and
# tcpreplay pinned to one CPU each.
#
# At the end, on one screen (scripts/run-summary.py; also summary.txt):
# what was sent (the trace, its packets, the speed, tcpreplay's and the
# tap's counts), what each queue captured and its share, what was lost
# where (tap drops on the host; capture_drops, oversize_drops, rx_errors
# in the guest NIC), the balance sent = in the file + lost + unexplained
# ("no packet lost" when so), the capture file's absolute path and packets,
# and what to do next. The details (the VM's setup, the command's table,
# every counter of queues, NIC and host) go to details.txt.
#
# Exit status: scripts/vm.sh's (the command's; 124 timeout, 125 kernel
# trouble).
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
prog=run.sh
usage() { sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; }
die() { echo "$prog: $*" >&2; exit 2; }

trace="" out="" speed="" nic=virtio results=$top/results/run txq_set=""
vmargs=() gen_timer=gtod
while [ $# -gt 0 ]; do
	opt=$1
	case $opt in
	--*=*) val=${opt#*=}; opt=${opt%%=*}; shift ;;
	-h | --help) usage; exit 0 ;;
	--*)
		[ $# -ge 2 ] || die "$opt needs a value"
		val=$2; shift 2 ;;
	*) die "unexpected argument '$opt' (see --help)" ;;
	esac
	case $opt in
	--trace) trace=$val ;;
	--out) out=$val ;;
	--speed) speed=$val ;;
	--nic) nic=$val ;;
	--results) results=$val ;;
	--gen-timer) gen_timer=$val ;;
	--queues | --kernel | --txqueuelen | --pin-qemu | --pin-gen | --timeout)
		[ "$opt" = --txqueuelen ] && txq_set=1
		vmargs+=("$opt" "$val") ;;
	*) die "unknown option $opt (see --help)" ;;
	esac
done

# A given trace's own pace can be anything (merc_capture2.pcap spans 17
# years): unless told otherwise, replay it at tcpreplay's top speed into a
# tap queue deep enough to hold it, so what is checked is capture, not the
# tap's FIFO. The generated trace plays at its recorded pace (~10 kpps).
if [ -z "$speed" ]; then
	if [ -n "$trace" ]; then
		speed=top
		[ -n "$txq_set" ] || vmargs+=(--txqueuelen 10000)
	else
		speed=1
	fi
fi
[ -z "$trace" ] || [ -f "$trace" ] || die "--trace: no such file: $trace"
if [ -n "$out" ]; then
	[ -d "$(dirname "$out")" ] || die "--out: no such directory: $(dirname "$out")"
	out=$(cd "$(dirname "$out")" && pwd)/$(basename "$out")
fi
mkdir -p "$results"
results=$(cd "$results" && pwd)
rm -f "$results"/{captured.pcap,capture.json,queue-stats.json,nic-stats.txt} \
	"$results"/{summary.txt,details.txt}

if [ -z "$trace" ]; then
	trace=$results/generated.pcap
	rm -f "$trace"
	"$top/scripts/gen-traffic.py" -o "$trace" || die "generating a trace failed"
fi

# The command in the guest (busy box sh). WIRECAP_NIC is the mode the VM
# really has (virtio falls back to virtio-stock, e1000e to e1000e-stock,
# while our driver is not built).
# shellcheck disable=SC2016  # (expanded in the guest)
cmd='
nic_stats() {	# the counters of the NIC, NAME=VALUE
	for f in /sys/class/net/"$WIRECAP_IF"/statistics/*; do
		[ -f "$f" ] && echo "${f##*/}=$(cat "$f")"
	done >/results/nic-stats.txt
}
case $WIRECAP_NIC in
*-stock) ;;
*)
	if command -v wirecap >/dev/null 2>&1; then
		rc=0
		wirecap capture -i "$WIRECAP_IF" -w /results/captured.pcap \
			--until-file /run/wirecap/replay-done --idle-ms 1000 \
			--json /results/capture.json || rc=$?
		wirecap stats -i "$WIRECAP_IF" --all --json \
			>/results/queue-stats.json || rm -f /results/queue-stats.json
		nic_stats
		exit $rc
	fi
	;;
esac
if [ "${WIRECAP_NIC%-stock}" != "$WIRECAP_NIC" ]; then
	echo "run: stock driver ($WIRECAP_NIC): counting packets instead of capturing"
else
	echo "run: no wirecap program yet: counting packets instead of capturing"
fi
[ -n "$WIRECAP_IF" ] || { echo "run: no NIC"; exit 1; }
touch /run/wirecap/start-replay
while [ ! -f /run/wirecap/replay-done ]; do sleep 0.1; done
read -r line </run/wirecap/replay-done
echo "run: $line"
# then until the NIC has been idle for 1 s
s=/sys/class/net/$WIRECAP_IF/statistics
last=-1
while :; do
	read -r n <$s/rx_packets
	[ "$n" = "$last" ] && break
	last=$n
	sleep 1
done
printf "%-12s %12s %12s %12s\n" queue received capture_drops pool_high_water
for q in /sys/class/wirecap/"$WIRECAP_IF"-q*; do
	[ -d "$q" ] || continue
	printf "%-12s %12s %12s %12s\n" "${q##*/}" "$(cat $q/stats/received)" \
		"$(cat $q/stats/capture_drops)" "$(cat $q/stats/pool_high_water)"
done
printf "%-12s %12s %12s %12s\n" "$WIRECAP_IF" "$(cat $s/rx_packets)" \
	"$(cat $s/rx_dropped)" "(rx_packets, rx_dropped)"
nic_stats
'

# Frames longer than a standard link carries (merc_emix.pcap: 5,018
# bytes) need a larger MTU on the tap and the guest's NIC: the trace's
# longest frame less its Ethernet header (the tap takes a frame of MTU +
# 14 bytes, + 4 when it has a VLAN tag).
# (e1000e: queue 1 takes only 2 KiB cells, at MTU 1500: the longer
# frames are left out, and said so)
maxlen=$(tshark -r "$trace" -T fields -e frame.len 2>/dev/null | sort -n |
	tail -1) || maxlen=''
if [ -z "$maxlen" ]; then
	echo "run: warning: tshark could not read $trace for its longest frame: MTU 1500" >&2
elif [ "$maxlen" -gt 1514 ]; then
	mtu=$((maxlen - 14))
	[ "$mtu" -le 65521 ] || mtu=65521
	case $nic in
	e1000e) echo "run: warning: frames of up to $maxlen bytes, but e1000e's queue 1 captures at MTU 1500 only: longer frames are not sent" >&2 ;;
	*) vmargs+=(--mtu "$mtu") ;;
	esac
fi

rc=0
"$top/scripts/vm.sh" --nic "$nic" --speed "$speed" --trace "$trace" \
	--results "$results" ${vmargs[@]+"${vmargs[@]}"} \
	--gen-timer "$gen_timer" -- "$cmd" || rc=$?

# --- details (a file) and the summary (the screen) ------------------------------
get() { sed -n "s/^$1=//p" "$results/host-replay.txt" 2>/dev/null | head -1; }
[ -z "$out" ] || [ ! -f "$results/captured.pcap" ] || cp "$results/captured.pcap" "$out"
{
	echo "== run details ($results)"
	sed 's/^/   /' "$results/vm-setup.txt" 2>/dev/null || true
	echo "-- guest: the command's table"
	if [ -f "$results/cmd.log" ]; then
		# The last block that starts with a header line naming "queue".
		awk 'tolower($0) ~ /^[[:space:]]*queue([[:space:]]|$)/ { n = 0; delete b; f = 1 }
			f { b[n++] = $0 } END { for (i = 0; i < n; i++) print b[i] }' \
			"$results/cmd.log" | sed 's/^/   /'
		grep -q -i '^[[:space:]]*queue' "$results/cmd.log" ||
			tail -n 10 "$results/cmd.log" | sed 's/^/   /'
	fi
	echo "-- guest: the queues' counters after the capture (wirecap stats --all --json)"
	sed 's/^/   /' "$results/queue-stats.json" 2>/dev/null || echo "   (none)"
	echo "-- guest: the NIC's counters (/sys/class/net/IF/statistics)"
	if [ -f "$results/nic-stats.txt" ]; then
		tr '\n' ' ' <"$results/nic-stats.txt" | fold -s -w 76 | sed 's/^/   /'
		echo
	else
		echo "   (none)"
	fi
	echo "-- host"
	if [ -f "$results/host-replay.txt" ]; then
		echo "   tcpreplay:  sent $(get packets_sent) packets ($(get failed_packets) failed) in $(get replay_seconds) s, $(get rate_pps) pps; exit $(get tcpreplay_exit); $(get ended)"
		echo "   tap:        TX $(get tap_tx_packets) packets, $(get tap_tx_dropped) dropped (not taken by QEMU), $(get tap_tx_pending) still queued; txqueuelen $(get txqueuelen)"
		echo "   pinning:    qemu on CPUs $(get pin_qemu), tcpreplay on CPU $(get pin_gen) (timer $(get timer), speed $(get speed))"
	elif [ -f "$results/replay.log" ]; then
		echo "   replay in the guest: $(tail -n 1 "$results/replay.log")"
	else
		echo "   no replay (the command never attached a queue)"
	fi
	echo "-- exit status $rc"
} >"$results/details.txt"
gen=""
[ "$trace" != "$results/generated.pcap" ] || gen=--generated
echo
"$top/scripts/run-summary.py" "$results" --trace "$trace" $gen \
	${out:+--out "$out"} --exit "$rc" | tee "$results/summary.txt" ||
	echo "$prog: no summary (scripts/run-summary.py failed); see $results/details.txt"
exit "$rc"
