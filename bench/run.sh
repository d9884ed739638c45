#!/bin/sh
# `make bench`: the bench suite's experiments in the test VM, then the
# report (Markdown tables and gnuplot PNGs) under results/bench/.
#
#   bench/run.sh [--quick] [kernel ...]          default: 6.1
#
# Experiments:
#   burst      paper Fig. 8 (x=0) and Fig. 9/10 (x=300): bursts of P
#              64-byte packets into one queue of the software NIC, for
#              several WireCAP-B(M,R), including ring-only (R.M = the NIC
#              ring, the stand-in for netmap/DNA's buffering), against
#              the model Pm.R.M/(Pm-Pp) with Pm and Pp measured in the run
#   skew       paper Table 1, Fig. 11/12: a skewed real trace into 4
#              queues, x=300, WireCAP-B against WireCAP-A for T = 50..90
#              (scripts/e2e-offload.sh --sweep)
#   peers      the virtio NIC, one handler program on AF_PACKET (libpcap's
#              default buffer, and WireCAP's pool memory), AF_XDP, WireCAP
#              and ring-only WireCAP: at x=0 loss and guest CPU per packet
#              against the rate (the highest lossless rate), at x=300
#              bursts (and, not with --quick, IMIX bursts), and the
#              skewed trace into 2 queues with a thread per queue,
#              WireCAP-A against the others; and (not with --quick)
#              generated skews into 4 queues, WireCAP-A against
#              WireCAP-B over a sweep of rates, and perf in the guest at
#              25 and 50 kpps: CPU per packet by component, top
#              symbols, flame graphs (bench/peers.sh, bench/profile.sh,
#              bench/flame.py)
#   peers e1000e  the same rate and burst experiments on the e1000e NIC:
#              AF_PACKET on the stock e1000e.ko against WireCAP on ours
#              (bench/peers.sh --nic e1000e)
#   forward    forwarding from one virtio NIC to another: a copying
#              AF_PACKET forwarder against XDP_REDIRECT (xdp-bench), loss
#              and guest CPU per forwarded frame against the rate
#              (bench/forward.sh), and `wirecap forward` (zero copy)
# --quick: one configuration, short bursts, one run each, no skew sweep:
# keeps the suite from rotting (make test); asserts nothing about speed.
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
quick=0
if [ "${1:-}" = --quick ]; then
	quick=1
	shift
fi
kernels=${*:-6.1}
out=$top/results/bench
rm -rf "$out"
mkdir -p "$out"

if [ $quick = 1 ]; then
	env="BENCH_X='0 300' BENCH_CONFIGS='256:4 256:16' BENCH_P='1000 20000'"
	env="$env BENCH_REPEAT=1"
else
	# 1024-cell ring: 256:4 is ring-only; 64:256, 128:128, 256:64 trade
	# R and M at one R.M
	env="BENCH_X='0 300' BENCH_CONFIGS='256:4 256:16 64:256 128:128 256:64'"
	env="$env BENCH_P='1000 10000 100000 1000000' BENCH_REPEAT=3"
fi

{
	echo "# WireCAP bench"
	echo
	echo "$(date -u '+%Y-%m-%d %H:%M UTC'), $(nproc) host CPUs"
	echo "($(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1));"
	echo "guest: QEMU TCG, 2 vCPUs, unpinned; software NIC, 1 queue,"
	echo "1024-entry ring. A noisy machine: compare ratios within a run,"
	echo "not absolute rates."
	echo
} >"$out/report.md"

rc=0
for k in $kernels; do
	res=$out/$k
	mkdir -p "$res/extra"
	cp bench/burst.sh "$res/extra/"
	echo "== burst experiments, kernel $k"
	scripts/vm.sh --nic softnic --kernel "$k" --queues 1 --timeout 3000 \
		--extra "$res/extra" --results "$res" \
		-- "$env sh /extra/burst.sh" >"$res/vm.log" 2>&1 || {
		echo "bench: the VM run on $k failed ($?), see $res/vm.log"
		rc=1
	}
	python3 bench/report.py burst "$res" "$k" >>"$out/report.md" || rc=1
	if [ $quick = 0 ]; then
		echo "== skewed trace, basic, advanced and flow mode, kernel $k"
		scripts/e2e-offload.sh --sweep "$k" >"$res/skew.md" 2>&1 || rc=1
		{
			echo "## Skewed trace, x=300: WireCAP-B, WireCAP-A and WireCAP-F ($k)"
			echo
			echo "SMB2 read (one flow carries 70 % of the packets), 16 times"
			echo "into 4 queues at 2.0 x the Pp measured first; M=64, R=32;"
			echo "3 runs per row (scripts/e2e-offload.sh --sweep); the last column is"
			echo "the fraction of flows processed by more than one thread."
			echo
			grep '^|' "$res/skew.md"
			echo
		} >>"$out/report.md"
	fi
	echo "== peers on the virtio NIC, kernel $k"
	bench/peers.sh $([ $quick = 1 ] && echo --quick) "$k" \
		>>"$out/report.md" 2>"$res/peers.err" || rc=1
	echo "== peers on the e1000e NIC (stock against ours), kernel $k"
	bench/peers.sh $([ $quick = 1 ] && echo --quick) --nic e1000e "$k" \
		>>"$out/report.md" 2>"$res/peers-e1000e.err" || rc=1
	echo "== forwarding between two virtio NICs, kernel $k"
	bench/forward.sh $([ $quick = 1 ] && echo --quick) "$k" \
		>>"$out/report.md" 2>"$res/forward.err" || rc=1
done
echo "bench: report in ${out#$top/}/report.md"
exit $rc
