#!/bin/sh
# Peers on the same NIC, same traffic, same run (issue 6, items 4 and 5).
# One program, bench/pcap_handler.c (one thread), runs the paper's handler
# (a BPF filter x times per packet) on each engine, on the 4-queue
# virtio-net NIC of the test VM:
#   afpacket      the stock virtio_net driver, libpcap on AF_PACKET
#                 (TPACKET_V3), libpcap's default buffer (2 MiB)
#   afpacket-mem  the same with a buffer of WireCAP's pool memory
#                 (R.M.2 KiB = 8 MiB)
#   afxdp         the stock virtio_net driver, AF_XDP sockets through
#                 libxdp with its usual ring sizes (copy mode)
#   wirecap       wirecap_virtio.ko + libwirecap-pcap.so, B(64,64)
#   wirecap-ring  the same, ring-only: B(64,4), R.M = the 256-entry ring,
#                 the stand-in for netmap/DNA's buffering
# The traffic: 64-byte packets of one flow (RSS puts them on one queue),
# sent into the host tap (txqueuelen 1000: the NIC's FIFO) by
# wirecap-tap-gen (bench/tap_gen.c) at a steady pace, on host CPU 1;
# QEMU may run on both host CPUs (it has 2 vCPUs and its I/O thread).
#
#   rate   x=0, P_RATE packets at each rate of RATES: loss, the guest's
#          CPU time per processed packet, and so the highest rate each
#          engine takes without loss (item 5)
#   burst  x=300, bursts of P packets at PACE pps (item 4)
# Loss is end to end: 1 - processed / sent, so what the tap, the NIC ring
# and the engine drop all counts; the tap's share is shown apart.
# Writes results/bench/peers/<kernel>/<exp>-<engine>-<n>-<rep>.{res,log}
# and the report's Markdown section on stdout (bench/report.py peers).
#
#   bench/peers.sh [--quick] [kernel]                  default: 6.1
# Environment: BENCH_PEER_RATES, BENCH_PEER_P_RATE, BENCH_PEER_PACE,
# BENCH_PEER_SIZES, BENCH_PEER_REPEAT, BENCH_PEER_ENGINES.
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
quick=0
if [ "${1:-}" = --quick ]; then
	quick=1
	shift
fi
k=${1:-6.1}
out=$top/results/bench/peers/$k
rm -rf "$out"
mkdir -p "$out"
m=64 r=64			# WireCAP's pool: 4096 cells (8 MiB)
ring_m=64 ring_r=4		# virtio ring 256: 4 chunks of 64
mem=$((m * r * 2048))
if [ $quick = 1 ]; then
	rates=${BENCH_PEER_RATES:-20000} p_rate=${BENCH_PEER_P_RATE:-5000}
	sizes=${BENCH_PEER_SIZES:-2000} reps=${BENCH_PEER_REPEAT:-1}
else
	rates=${BENCH_PEER_RATES:-10000 25000 50000 75000}
	p_rate=${BENCH_PEER_P_RATE:-20000}
	sizes=${BENCH_PEER_SIZES:-2000 10000 50000}
	reps=${BENCH_PEER_REPEAT:-3}
fi
pace=${BENCH_PEER_PACE:-20000}
engines=${BENCH_PEER_ENGINES:-afpacket afpacket-mem afxdp wirecap wirecap-ring}

run() { # exp engine n(rate or P) rep trace speed x
	exp=$1 engine=$2 n=$3 rep=$4 trace=$5 speed=$6 x=$7
	name=$out/$exp-$engine-$n-$rep
	h="wirecap-pcap-handler -x $x --until-file /run/wirecap/replay-done"
	h="$h --idle-ms 1000 --json /results/h.json"
	# The stock driver has no WireCAP queue to attach: the command asks
	# for the replay once the handler listens. WireCAP: attaching does.
	case $engine in
	afpacket) nic=virtio-stock dev='$WIRECAP_IF' buf=0 ;;
	afpacket-mem) nic=virtio-stock dev='$WIRECAP_IF' buf=$mem ;;
	afxdp) nic=virtio-stock dev='xsk:$WIRECAP_IF' buf=0 ;;
	wirecap) nic=virtio dev='wirecap:$WIRECAP_IF' buf=$mem ;;
	wirecap-ring) nic=virtio dev='wirecap:$WIRECAP_IF'
		buf=$((ring_m * ring_r * 2048)) ;;
	*) echo "peers: unknown engine $engine" >&2; return 1 ;;
	esac
	if [ $nic = virtio ]; then
		cmd="wirecap exec $h -B $buf -i $dev"
	else
		cmd="($h -B $buf -i $dev) & sleep 2;
			touch /run/wirecap/start-replay; wait"
	fi
	mkdir -p "$name.res"
	scripts/vm.sh --nic $nic --kernel "$k" --queues 4 --timeout 600 \
		--trace "$trace" --speed "$speed" --gen tapgen --pin-gen 1 \
		--pin-qemu 0-1 --txqueuelen 1000 \
		--results "$name.res" -- "$cmd" >"$name.log" 2>&1
}

for n in $p_rate $sizes; do
	[ -f "$out/burst-$n.pcap" ] ||
		python3 bench/gen_burst.py "$n" "$out/burst-$n.pcap"
done
i=1
while [ $i -le $reps ]; do
	# Interleaved: a slow spell of the machine hits every engine alike.
	for rate in $rates; do
		speed=$(awk -v r="$rate" 'BEGIN { printf "%g", r / 1000000 }')
		for e in $engines; do
			run rate "$e" "$rate" $i "$out/burst-$p_rate.pcap" \
				"$speed" 0
		done
	done
	speed=$(awk -v r="$pace" 'BEGIN { printf "%g", r / 1000000 }')
	for p in $sizes; do
		for e in $engines; do
			run burst "$e" "$p" $i "$out/burst-$p.pcap" "$speed" 300
		done
	done
	i=$((i + 1))
done
rm -f "$out"/burst-*.pcap
python3 bench/report.py peers "$out" "$k" "$pace"
