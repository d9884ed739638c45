#!/bin/sh
# Forwarding on the virtio NIC (issue 13): every frame that arrives on the
# guest's first NIC (A, $WIRECAP_IF) sent out of its second (B,
# $WIRECAP_IF2), both QEMU virtio-net NICs on the kernel's own virtio_net
# (scripts/vm.sh --nic virtio-stock --nics 2), 4 queue pairs each:
#   afpacket-fwd  the copying peer, bench/afp_forward.c: a TPACKET_V3 RX
#                 ring on A (2 MiB, libpcap's default), each frame sent out
#                 of B with sendmmsg() on an AF_PACKET socket, one thread
#   xdp-redirect  XDP_REDIRECT in the driver: xdp-tools' `xdp-bench
#                 redirect A B` (Debian's xdp-tools, its program in native
#                 mode on A, libxdp's no-op program on B, which virtio_net
#                 needs before it transmits redirected frames); with 4
#                 queue pairs and 2 vCPUs virtio_net has a TX queue of its
#                 own per CPU for XDP (2 + 2 <= 4), not the locked shared
#                 mode it falls back to with fewer (its dmesg warning
#                 "XDP request ... locked tx mode" is looked for)
#   wirecap-fwd   `wirecap forward -i A -o B` on our wirecap_virtio.ko
#                 (--nic virtio): zero copy, each captured cell sent out
#                 of B's transmit virtqueue by XMIT, one thread per queue,
#                 B(64,64); CPU measured by wirecap-afp-forward --monitor
#                 over the same window, as for xdp-redirect
# The traffic: 64-byte frames of one flow (bench/gen_burst.py), SECONDS
# worth at each rate of RATES, sent into A's host tap (txqueuelen 1000)
# by wirecap-tap-gen on host CPU 1, QEMU on CPUs 0-1, as bench/peers.sh
# does; the host records what B sends (vm.sh: nic2.pcap) and
# bench/fwd_count.py matches it against what was sent, frame by frame
# (Ethernet addresses aside: xdp-bench swaps them). The runs (not
# --quick's) are long enough that buffering cannot hide a forwarder
# slower than the rate: the tap, the NIC ring and a 2 MiB ring hold some
# 20000 frames.
#
# Loss = 1 - (frames of the trace that came out of B) / sent, end to end
# (frames the host's recorder saw come but could not keep count as out).
# Guest CPU per forwarded frame: the time both vCPUs were not idle
# (/proc/stat: 2 x the window - idle - iowait) from the first frame to
# the last (wirecap-afp-forward's json; for xdp-redirect the same program
# watching A's and B's counters every 10 ms, --monitor, the same window),
# over the frames that came out of B; the report also has the same from
# the tick-sampled busy fields, which miss most of XDP's work.
# Writes results/bench/forward/<kernel>/<engine>-<rate>-<rep>.{res,log}
# and the report's Markdown section on stdout (bench/report.py forward).
#
#   bench/forward.sh [--quick] [kernel]           default: 6.1
# Environment: BENCH_FWD_RATES (default "10000 25000 50000 75000"; --quick:
# 20000), BENCH_FWD_SECONDS (2; --quick: 0.5), BENCH_FWD_REPEAT (3;
# --quick: 1), BENCH_FWD_ENGINES (afpacket-fwd xdp-redirect wirecap-fwd),
# BENCH_FWD_KEEP=1 keeps each run's nic2.pcap.
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top" || exit 1
quick=0
if [ "${1:-}" = --quick ]; then
	quick=1
	shift
fi
k=${1:-6.1}
out=$top/results/bench/forward/$k
rm -rf "$out"
mkdir -p "$out"
if [ $quick = 1 ]; then
	rates=${BENCH_FWD_RATES:-20000} secs=${BENCH_FWD_SECONDS:-0.5}
	reps=${BENCH_FWD_REPEAT:-1}
else
	rates=${BENCH_FWD_RATES:-10000 25000 50000 75000}
	secs=${BENCH_FWD_SECONDS:-2} reps=${BENCH_FWD_REPEAT:-3}
fi
engines=${BENCH_FWD_ENGINES:-afpacket-fwd xdp-redirect wirecap-fwd}
queues=4
wait_done="--until-file /run/wirecap/replay-done --idle-ms 1000"

# the guest's commands: the forwarder (or, for XDP, the watcher) writes
# /results/f.json, then asks for the replay
afp_cmd="(wirecap-afp-forward -i \$WIRECAP_IF -o \$WIRECAP_IF2 $wait_done \
	--json /results/f.json) & sleep 2; touch /run/wirecap/start-replay; wait"
# xdp-bench runs until SIGINT and prints its totals then; it is up once
# it says so (both programs attached)
xdp_cmd="xdp-bench redirect -i 1 \$WIRECAP_IF \$WIRECAP_IF2 \
	>/results/xdp-bench.txt 2>&1 & xb=\$!
i=0
until grep -qs '^Redirecting from' /results/xdp-bench.txt; do
	kill -0 \$xb 2>/dev/null || { cat /results/xdp-bench.txt; exit 3; }
	[ \$i -lt 100 ] || { echo 'xdp-bench: not up after 10 s'; exit 3; }
	sleep 0.1; i=\$((i + 1))
done
(wirecap-afp-forward --monitor -i \$WIRECAP_IF -o \$WIRECAP_IF2 \
	$wait_done --json /results/f.json) & m=\$!
sleep 2; touch /run/wirecap/start-replay; wait \$m; rc=\$?
kill -INT \$xb; wait \$xb; echo \"xdp-bench exit \$?\"
exit \$rc"

# wirecap forward attaches A's queues, which starts the replay: the
# watcher is up before it
wc_cmd="(wirecap-afp-forward --monitor -i \$WIRECAP_IF -o \$WIRECAP_IF2 \
	$wait_done --json /results/f.json) & m=\$!
sleep 1
wirecap forward -i \$WIRECAP_IF -o \$WIRECAP_IF2 -M 64 -R 64 $wait_done \
	--json /results/fw.json >/results/fw.txt 2>&1; rc=\$?
wait \$m
exit \$rc"

run() { # engine rate rep trace speed
	engine=$1 rate=$2 rep=$3 trace=$4 speed=$5
	name=$out/$engine-$rate-$rep
	nic=virtio-stock
	case $engine in
	afpacket-fwd) cmd=$afp_cmd ;;
	xdp-redirect) cmd=$xdp_cmd ;;
	wirecap-fwd) cmd=$wc_cmd nic=virtio ;;
	*) echo "forward: unknown engine $engine" >&2; return 1 ;;
	esac
	mkdir -p "$name.res"
	scripts/vm.sh --nic $nic --nics 2 --kernel "$k" \
		--queues $queues --timeout 600 --trace "$trace" \
		--speed "$speed" --gen tapgen --pin-gen 1 --pin-qemu 0-1 \
		--txqueuelen 1000 --results "$name.res" -- "$cmd" \
		>"$name.log" 2>&1
	echo "vm_exit=$?" >"$name.res/fwd.txt"
	if [ -f "$name.res/nic2.pcap" ]; then
		python3 bench/fwd_count.py "$trace" "$name.res/nic2.pcap" \
			>>"$name.res/fwd.txt"
		[ "${BENCH_FWD_KEEP:-0}" = 1 ] || rm -f "$name.res/nic2.pcap"
	fi
}

{
	echo "seconds=$secs"
	echo "queues=$queues"
	echo "xdp_tools=$(dpkg-query -W -f='${Version}' xdp-tools 2>/dev/null)"
} >"$out/setup.txt"
for rate in $rates; do
	n=$(awk -v r="$rate" -v s="$secs" 'BEGIN { printf "%d", r * s }')
	python3 bench/gen_burst.py "$n" "$out/burst-$rate.pcap"
done
i=1
while [ $i -le "$reps" ]; do
	# Interleaved: a slow spell of the machine hits every engine alike.
	for rate in $rates; do
		speed=$(awk -v r="$rate" 'BEGIN { printf "%g", r / 1000000 }')
		for e in $engines; do
			run "$e" "$rate" $i "$out/burst-$rate.pcap" "$speed"
		done
	done
	i=$((i + 1))
done
rm -f "$out"/burst-*.pcap
python3 bench/report.py forward "$out" "$k"
