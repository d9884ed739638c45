#!/bin/sh
# Peers on the same NIC, same traffic, same run (issue 6, items 4 and 5,
# and experiment 3). One program, bench/pcap_handler.c, runs the paper's
# handler (a BPF filter x times per packet) on each engine, on the
# virtio-net NIC of the test VM (4 queues, one thread; skew: 2 and 2):
#   afpacket      the stock virtio_net driver, libpcap on AF_PACKET
#                 (TPACKET_V3), libpcap's default buffer (2 MiB)
#   afpacket-mem  the same with a buffer of WireCAP's pool memory
#                 (R.M.2 KiB = 8 MiB)
#   afxdp         the stock virtio_net driver, AF_XDP sockets through
#                 libxdp with its usual ring sizes (copy mode)
#   wirecap       wirecap_virtio.ko + libwirecap-pcap.so, B(64,64)
#   wirecap-cN    the same memory in N-byte cells (WIRECAP_CELL_SIZE=N,
#                 the shim sizes the pool by bytes, spill areas included):
#                 many more small packets per MiB (c128; c256 not --quick)
#   wirecap-ring  the same, ring-only: R.M = the NIC's ring, B(64,16) for
#                 virtio's 1024 entries (B(64,4) for e1000e's 256), the
#                 stand-in for netmap/DNA's buffering
#   wirecap-aT    (skews only) WireCAP-A(64,64,T): advanced mode, the
#                 queues one buddy group (WIRECAP_MODE=advanced,
#                 WIRECAP_OFFLOAD_PCT=T, read by the libpcap shim)
#   wirecap-fT    (skews only) WireCAP-F(64,64,T): flow mode, the same
#                 group (WIRECAP_MODE=flow): flows move, not chunks
#                 (the skewed trace: only its reverse direction can)
# The traffic: 64-byte packets of one flow (RSS puts them on one queue),
# sent into the host tap (txqueuelen 1000: the NIC's FIFO) by
# wirecap-tap-gen (bench/tap_gen.c) at a steady pace, on host CPU 1;
# QEMU may run on both host CPUs (it has 2 vCPUs and its I/O thread).
#
#   rate   x=0, P_RATE packets at each rate of RATES: loss, the guest's
#          CPU time per processed packet, and so the highest rate each
#          engine takes without loss (item 5)
#   burst  x=300, bursts of P packets at PACE pps (item 4)
#   iburst the same with IMIX bursts (bench/gen_burst.py --imix: 64, 594
#          and 1518 bytes as 7:4:1), not in --quick
#   skew   x=300, the skewed real trace of scripts/e2e-offload.sh (an
#          SMB2 read, one TCP connection) 8 times back to back
#          (bench/loop_pcap.py; --quick: 2 times) at SKEW_PPS on average
#          (its recorded timing, scaled), into 2 queues, the handler with
#          one thread per queue (-q 2): afpacket-mem (a fanout group by
#          queue, 8 MiB per handle), wirecap (WireCAP-B, B(64,64) per
#          queue), wirecap-aT for each T of SKEW_T, afxdp (a socket per
#          queue). The stock driver gets WireCAP's RSS key (its own is
#          random per boot), so RSS is the same for all: with 2 queues
#          both directions of the connection land on queue 0, queue 1
#          idles; only WireCAP-A lets the second thread help. And GRO
#          off, or AF_PACKET would see merged TCP segments.
# Loss is end to end: 1 - processed / sent, so what the tap, the NIC ring
# and the engine drop all counts; the tap's share is shown apart. A run
# counts only if what it reports lost was offered to the engine: the
# packets QEMU read from the tap all reached the engine (its own kernel
# counters: AF_PACKET's and the shim's ps_recv, the AF_XDP sockets' RX
# and XDP_STATISTICS), none went into the guest's stack past an engine
# that should have taken them first (bench/report.py validity()). An
# invalid run enters no table: it is listed as INVALID and peers.sh
# exits 1.
#
#   gskew  x=300, generated skews (issue 19): scripts/gen-traffic.py traces
#          of 300 flows, GSKEW_PACKETS (30000) packets over GSKEW_SECONDS
#          (3) s, played twice back to back (bench/loop_pcap.py), for each
#          of the first GSKEW_SEEDS (3) seeds from 1 whose
#          busiest queue gets 50-70 % of the packets under wirecap_virtio's
#          RSS with 4 queues, computed by QEMU (build/host/wirecap-rss
#          --model qemu split: a seed is
#          chosen by that share alone, never by a result), at each rate of
#          GSKEW_RATES; 4 queues, the handler with a thread per queue
#          (-q 4), GSKEW_MEM bytes per queue for every engine (2 MiB: 1024
#          2 KiB cells, 4 times the NIC ring); GSKEW_ENGINES (wirecap and
#          wirecap-aT for each T of SKEW_T). Skew and gskew run each point
#          SKEW_REPEAT times: REPEAT, 5 at least (--quick: REPEAT).
#   profile  x=0, the rate experiment's run at each rate of PROFILE_RATES
#          (25000 50000) for each engine of PROFILE_ENGINES (afpacket
#          afpacket-mem wirecap), with perf sampling both vCPUs in the
#          guest (cpu-clock at PROFILE_FREQ, 499 Hz, call chains) for
#          PROFILE_SECONDS (4) from 1 s after the first frame
#          (bench/profile.sh); the trace lasts 15 s at the rate. The guest
#          CPU time per packet by component, the top symbols and a flame
#          graph per engine and rate (bench/flame.py). Not in --quick:
#          18 VM runs, about 12 minutes. PROFILE_COUNTS=1: also calls per
#          packet of a few kernel functions (kprobes, after the window),
#          off by default: it oopsed the TCG guest in 4 runs of 18.
#   check  (virtio; BENCH_PEER_CHECK=0: not run) that this check catches
#          a broken run: AF_XDP with a socket on queue 0 only
#          (xsk:$WIRECAP_IF@0) and 16 flows spread over the 4 queues, the
#          others' packets going to the stack; it must come out INVALID,
#          or peers.sh exits 1. Not in the tables.
# Writes results/bench/peers/<kernel>/<exp>-<engine>-<n>-<rep>.{res,log}
# (exp: gskew<seed> for a generated skew; n: rate, P, or the skew's
# rate), profile-<engine>-<rate>.svg (the flame
# graphs, every run of a point together) and the report's Markdown
# section on stdout (bench/report.py peers).
#
# --nic e1000e: the same on the 82574L (QEMU's e1000e, 2 RX queues, a
# 256-descriptor ring): afpacket and afpacket-mem on the stock e1000e.ko,
# wirecap and wirecap-ring on ours (scripts/intel-src.sh); rate and burst
# only (no AF_XDP: e1000e has no XDP; no skew: the stock e1000e's RSS key
# is random per boot and cannot be set, so the two would not see the same
# queues). Results under results/bench/peers-e1000e/<kernel>/.
#
#   bench/peers.sh [--quick] [--nic virtio|e1000e] [kernel]   default: 6.1
# Environment: BENCH_PEER_EXPS (default "rate burst iburst skew gskew
# profile"; --quick: "rate burst skew"; e1000e: "rate burst"),
# BENCH_PEER_RATES, BENCH_PEER_P_RATE, BENCH_PEER_PACE, BENCH_PEER_SIZES,
# BENCH_PEER_REPEAT, BENCH_PEER_ENGINES, BENCH_PEER_SKEW_PPS,
# BENCH_PEER_SKEW_T (default "60"), BENCH_PEER_SKEW_ENGINES,
# BENCH_PEER_SKEW_REPEAT, BENCH_PEER_GSKEW_SEEDS, BENCH_PEER_GSKEW_RATES,
# BENCH_PEER_GSKEW_MEM,
# BENCH_PEER_GSKEW_PACKETS, BENCH_PEER_GSKEW_SECONDS,
# BENCH_PEER_GSKEW_ENGINES, BENCH_PEER_CHECK (default 1 on virtio),
# BENCH_PEER_PROFILE_RATES,
# BENCH_PEER_PROFILE_ENGINES, BENCH_PEER_PROFILE_FREQ,
# BENCH_PEER_PROFILE_SECONDS, BENCH_PEER_PROFILE_COUNTS (default 0).
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
quick=0
nic=virtio
while [ $# -gt 0 ]; do
	case $1 in
	--quick) quick=1 ;;
	--nic) nic=${2:-}; shift ;;
	*) break ;;
	esac
	shift
done
k=${1:-6.1}
case $nic in
virtio) out=$top/results/bench/peers/$k ;;
e1000e) out=$top/results/bench/peers-e1000e/$k ;;
*) echo "peers: --nic: expected virtio or e1000e, got: $nic" >&2; exit 2 ;;
esac
rm -rf "$out"
mkdir -p "$out"
m=64 r=64			# WireCAP's pool: 4096 cells (8 MiB)
# ring-only: R.M = the NIC's ring: 1024 entries on virtio (scripts/vm.sh's
# rx_queue_size), 256 on e1000e (wirecap_ring_size)
ring_m=64 ring_r=16
[ $nic = e1000e ] && ring_r=4
mem=$((m * r * 2048))
if [ $quick = 1 ]; then
	rates=${BENCH_PEER_RATES:-20000} p_rate=${BENCH_PEER_P_RATE:-5000}
	sizes=${BENCH_PEER_SIZES:-2000} reps=${BENCH_PEER_REPEAT:-1}
	skew_loops=2
else
	rates=${BENCH_PEER_RATES:-10000 25000 50000 75000}
	p_rate=${BENCH_PEER_P_RATE:-20000}
	sizes=${BENCH_PEER_SIZES:-2000 10000 50000}
	reps=${BENCH_PEER_REPEAT:-3}
	skew_loops=8
fi
pace=${BENCH_PEER_PACE:-20000}
if [ $nic = e1000e ]; then
	engines=${BENCH_PEER_ENGINES:-afpacket afpacket-mem wirecap wirecap-ring}
	exps=${BENCH_PEER_EXPS:-rate burst}
else
	engines=${BENCH_PEER_ENGINES:-afpacket afpacket-mem afxdp wirecap wirecap-c128 $(
		[ $quick = 1 ] || echo wirecap-c256) wirecap-ring}
	exps=${BENCH_PEER_EXPS:-rate burst$(
		[ $quick = 1 ] || echo ' iburst') skew$(
		[ $quick = 1 ] || echo ' gskew profile')}
fi
profile_rates=${BENCH_PEER_PROFILE_RATES:-25000 50000}
profile_engines=${BENCH_PEER_PROFILE_ENGINES:-afpacket afpacket-mem wirecap}
profile_freq=${BENCH_PEER_PROFILE_FREQ:-499}
profile_secs=${BENCH_PEER_PROFILE_SECONDS:-4}
profile_counts=${BENCH_PEER_PROFILE_COUNTS:-0}
profile_skip=1
# the trace: the window, the ramp-up before it, 6 s for perf's start-up
# and end and the margin, 2 s of counts (bench/profile.sh)
profile_len=$((profile_skip + profile_secs + 10))
# skew: about 1.4 x the Pp of one thread at x=300 (13-16 kpps here):
# WireCAP-B loses some 15-20 %, two threads take it (at 20000 WireCAP-A
# lost too: two busy threads leave the 2 host CPUs no room for QEMU's I/O)
skew_pps=${BENCH_PEER_SKEW_PPS:-18000}
skew_t=${BENCH_PEER_SKEW_T:-60}
skew_engines=${BENCH_PEER_SKEW_ENGINES:-afpacket-mem wirecap $(
	for t in $skew_t; do printf 'wirecap-a%s wirecap-f%s ' "$t" "$t"
	done) afxdp}
skew_trace=${WIRECAP_SHARED:-$top/../shared}/traces/sv_smb2-async-read_input.pcap
# the skews' points run 5 times at least: one run of one mode says nothing
skew_reps=${BENCH_PEER_SKEW_REPEAT:-$(
	[ $quick = 1 ] && echo "$reps" || echo $((reps > 5 ? reps : 5)))}
gskew_seeds=${BENCH_PEER_GSKEW_SEEDS:-3}
gskew_rates=${BENCH_PEER_GSKEW_RATES:-10500 12000 13500}
gskew_mem=${BENCH_PEER_GSKEW_MEM:-$((2 << 20))}
gskew_packets=${BENCH_PEER_GSKEW_PACKETS:-30000}
gskew_secs=${BENCH_PEER_GSKEW_SECONDS:-3}
gskew_engines=${BENCH_PEER_GSKEW_ENGINES:-wirecap $(
	for t in $skew_t; do printf 'wirecap-a%s wirecap-f%s ' "$t" "$t"
	done)}
# Microsoft's Toeplitz key, wirecap_rss_default_key: wirecap_virtio's
rss_key=6d5a56da255b0ec24167253d43a38fb0d0ca2bcbae7b30b477cb2da38030f20c6a42b73bbeac01fa
has() { case " $exps " in *" $1 "*) return 0 ;; esac; return 1; }

run() { # exp engine n(rate, P or skew's rate) rep trace speed x [threads]
	exp=$1 engine=$2 n=$3 rep=$4 trace=$5 speed=$6 x=$7 nt=${8:-1}
	name=$out/$exp-$engine-$n-$rep
	h="wirecap-pcap-handler -x $x --until-file /run/wirecap/replay-done"
	h="$h --idle-ms 1000 --json /results/h.json"
	env=""
	# one thread on 4 queues, or one thread per queue
	nq=4
	if [ "$nt" != 1 ]; then
		nq=$nt h="$h -q $nt"
	fi
	# The stock driver has no WireCAP queue to attach: the command asks
	# for the replay once the handler listens. WireCAP: attaching does.
	# vm: the VM's NIC mode (ours or the stock driver)
	case $engine in
	afpacket) vm=$nic-stock dev='$WIRECAP_IF' buf=0 ;;
	afpacket-mem) vm=$nic-stock dev='$WIRECAP_IF' buf=$mem ;;
	afxdp) vm=$nic-stock dev='xsk:$WIRECAP_IF' buf=0 ;;
	afxdp-q0) vm=$nic-stock dev='xsk:$WIRECAP_IF@0' buf=0 ;;
	wirecap) vm=$nic dev='wirecap:$WIRECAP_IF' buf=$mem ;;
	wirecap-c[0-9]*) vm=$nic dev='wirecap:$WIRECAP_IF' buf=$mem
		env="WIRECAP_CELL_SIZE=${engine#wirecap-c}" ;;
	wirecap-ring) vm=$nic dev='wirecap:$WIRECAP_IF'
		buf=$((ring_m * ring_r * 2048)) ;;
	wirecap-a[0-9]*) vm=$nic dev='wirecap:$WIRECAP_IF' buf=$mem
		env="WIRECAP_MODE=advanced WIRECAP_OFFLOAD_PCT=${engine#wirecap-a}"
		;;
	wirecap-f[0-9]*) vm=$nic dev='wirecap:$WIRECAP_IF' buf=$mem
		env="WIRECAP_MODE=flow WIRECAP_OFFLOAD_PCT=${engine#wirecap-f}"
		;;
	*) echo "peers: unknown engine $engine" >&2; return 1 ;;
	esac
	# generated skews: the same memory for every engine, smaller pools
	case $exp in gskew*) buf=$gskew_mem ;; esac
	# e1000e: 2 queues, whatever is asked
	[ $nic = virtio ] || nq=2
	if [ $vm = $nic ]; then
		cmd="$env wirecap exec $h -B $buf -i $dev"
	else
		# where the queue matters: the same RSS as wirecap_virtio's,
		# and every frame seen (the trace is TCP: no GRO merging)
		[ "$nt" = 1 ] || h="$h --rss-key $rss_key --no-gro"
		# the replay starts once every socket is bound (AF_XDP: on
		# every RX queue the NIC has with the program attached)
		cmd="$h -B $buf -i $dev --ready-file /run/wirecap/start-replay"
	fi
	# profile: the same run, perf sampling the guest meanwhile
	xa=""
	if [ "$exp" = profile ]; then
		pa="$profile_freq $profile_skip $profile_secs $profile_counts"
		cmd="sh /extra/profile.sh $pa $cmd"
		xa="--extra $out/extra"
	fi
	mkdir -p "$name.res"
	# shellcheck disable=SC2086  # ($xa: two words or none)
	WIRECAP_VM_PERF=$([ "$exp" = profile ] && echo 1 || echo 0) \
	scripts/vm.sh --nic $vm --kernel "$k" --queues "$nq" --timeout 600 \
		--trace "$trace" --speed "$speed" --gen tapgen --pin-gen 1 \
		--pin-qemu 0-1 --txqueuelen 1000 $xa \
		--results "$name.res" -- "$cmd" >"$name.log" 2>&1
}

for n in $(has rate && echo $p_rate) $(has burst && echo $sizes); do
	[ -f "$out/burst-$n.pcap" ] ||
		python3 bench/gen_burst.py "$n" "$out/burst-$n.pcap"
done
for n in $(has iburst && echo $sizes); do
	python3 bench/gen_burst.py --imix "$n" "$out/iburst-$n.pcap"
done
if has profile; then
	for n in $profile_rates; do
		python3 bench/gen_burst.py $((n * profile_len)) \
			"$out/profile-$n.pcap"
	done
	mkdir -p "$out/extra"
	cp bench/profile.sh "$out/extra/"
fi
check=${BENCH_PEER_CHECK:-1}
[ $nic = virtio ] || check=0
check_p=2000
[ "$check" = 0 ] ||
	python3 bench/gen_burst.py $check_p "$out/flows-$check_p.pcap" 16
if has skew; then
	# the multiplier that makes the recorded pace skew_pps on average
	rec=$(python3 bench/loop_pcap.py $skew_loops "$skew_trace" \
		"$out/skew.pcap") || exps=$(echo " $exps " | sed 's/ skew / /')
	skew_speed=$(awk -v r="$skew_pps" -v c="${rec:-1}" \
		'BEGIN { printf "%.4f", r / c }')
	printf 'loops=%s\nrecorded_pps=%s\nspeed=%s\n' $skew_loops \
		"$rec" "$skew_speed" >"$out/skew-setup.txt"
fi
gskew_list=""
if has gskew; then
	# the first gskew_seeds seeds from 1 whose busiest queue gets 50-70 %
	# under wirecap_virtio's RSS as QEMU computes it (wirecap-rss's
	# defaults: its key, 128 entries over 4 queues)
	: >"$out/gskew-setup.txt"
	found=0 seed=0
	[ -x build/host/wirecap-rss ] ||
		echo "peers: gskew: no build/host/wirecap-rss (make host-tools)" >&2
	while [ -x build/host/wirecap-rss ] && [ $found -lt "$gskew_seeds" ] &&
		[ $seed -lt 200 ]; do
		seed=$((seed + 1))
		f=$out/gskew-$seed.pcap
		if ! python3 scripts/gen-traffic.py -o "$f" \
			--packets "$gskew_packets" --flows 300 \
			--duration "$gskew_secs" --seed $seed 2>"$out/gskew-gen.log"
		then
			echo "peers: gskew: gen-traffic.py failed:" \
				"$(tail -1 "$out/gskew-gen.log")" >&2
			break
		fi
		split=$(build/host/wirecap-rss --model qemu split "$f" |
			awk '$1 ~ /^[0-3]$/ { sub(/%/, "", $3); printf "%s ", $3 }')
		if echo "$split" | awk '{ m = 0; for (i = 1; i <= NF; i++)
			if ($i + 0 > m) m = $i + 0; exit !(NF == 4 && m >= 50 && m <= 70) }'
		then
			rec=$(python3 bench/loop_pcap.py 2 "$f" "$f.1") &&
				mv "$f.1" "$f" || break
			echo "seed=$seed recorded_pps=$rec split=$split" \
				>>"$out/gskew-setup.txt"
			gskew_list="$gskew_list $seed"
			found=$((found + 1))
		else
			rm -f "$f"
		fi
	done
	rm -f "$out/gskew-gen.log"
	[ -n "$gskew_list" ] || [ ! -x build/host/wirecap-rss ] ||
		echo "peers: gskew: no seed up to $seed fits" >&2
fi
# the rounds: every experiment reps times, the skews skew_reps times
rounds=$reps
{ has skew || has gskew; } && [ $skew_reps -gt $rounds ] && rounds=$skew_reps
i=1
while [ $i -le $rounds ]; do
	# Interleaved: a slow spell of the machine hits every engine alike.
	[ $i -le $reps ] && has rate && for rate in $rates; do
		speed=$(awk -v r="$rate" 'BEGIN { printf "%g", r / 1000000 }')
		for e in $engines; do
			run rate "$e" "$rate" $i "$out/burst-$p_rate.pcap" \
				"$speed" 0
		done
	done
	speed=$(awk -v r="$pace" 'BEGIN { printf "%g", r / 1000000 }')
	[ $i -le $reps ] && has burst && for p in $sizes; do
		for e in $engines; do
			run burst "$e" "$p" $i "$out/burst-$p.pcap" "$speed" 300
		done
	done
	[ $i -le $reps ] && has iburst && for p in $sizes; do
		for e in $engines; do
			run iburst "$e" "$p" $i "$out/iburst-$p.pcap" "$speed" 300
		done
	done
	[ $i -le $skew_reps ] && has skew && for e in $skew_engines; do
		run skew "$e" "$skew_pps" $i "$out/skew.pcap" "$skew_speed" \
			300 2
	done
	[ $i -le $skew_reps ] && for seed in $gskew_list; do
		rec=$(sed -n "s/^seed=$seed recorded_pps=\([0-9.]*\) .*/\1/p" \
			"$out/gskew-setup.txt")
		for rate in $gskew_rates; do
			speed=$(awk -v r="$rate" -v c="$rec" \
				'BEGIN { printf "%.4f", r / c }')
			for e in $gskew_engines; do
				run gskew$seed "$e" "$rate" $i \
					"$out/gskew-$seed.pcap" "$speed" 300 4
			done
		done
	done
	[ $i -le $reps ] && has profile && for rate in $profile_rates; do
		speed=$(awk -v r="$rate" 'BEGIN { printf "%g", r / 1000000 }')
		for e in $profile_engines; do
			run profile "$e" "$rate" $i "$out/profile-$rate.pcap" \
				"$speed" 0
		done
	done
	i=$((i + 1))
done
rc=0
if [ "$check" != 0 ]; then
	speed=$(awk -v r="$pace" 'BEGIN { printf "%g", r / 1000000 }')
	run check afxdp-q0 $check_p 1 "$out/flows-$check_p.pcap" "$speed" 0
fi
rm -f "$out"/burst-*.pcap "$out"/iburst-*.pcap "$out/skew.pcap" \
	"$out"/flows-*.pcap "$out"/gskew-*.pcap "$out"/profile-*.pcap
rm -rf "$out/extra"
python3 bench/report.py peers "$out" "$k" "$pace" "$nic" || rc=1
# asked for, and not run: the bench fails
if has gskew && [ -z "$gskew_list" ]; then
	echo "peers: gskew was asked for and did not run" >&2
	rc=1
fi
if [ "$check" != 0 ]; then
	c=$out/check-afxdp-q0-$check_p-1.res
	v=$(python3 bench/report.py validity "$c")
	echo "### The validity check, checked"
	echo
	echo "A broken run on purpose: AF_XDP with a socket on queue 0 only"
	echo "(\`xsk:eth0@0\`), $check_p packets of 16 flows at $pace pps over the"
	echo "4 queues, so the other queues' packets go to the stack."
	# INVALID for the reason it was broken for, not any other
	case $v in
	"INVALID: "*"never reached the engine"* | "INVALID: "*"into the stack"*)
		echo "Found out as it must be: $v"
		;;
	*)
		echo "It must come out INVALID, its packets not reaching the"
		echo "engine; it came out: $v. The check FAILED."
		echo "peers: the validity check missed a broken run: $v" >&2
		rc=1
		;;
	esac
	echo
fi
exit $rc
