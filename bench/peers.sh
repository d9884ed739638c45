#!/bin/sh
# Peers on the same NIC, same traffic, same run (issue 6, item 4a and c):
# bursts of P 64-byte packets of one flow, replayed by tcpreplay into the
# host tap at BENCH_PEER_PPS (default 50000: what QEMU's virtio-net
# passes here without filling the tap; txqueuelen 1000, the default, is
# the NIC's FIFO)
# of the 4-queue virtio-net NIC, processed x=300 by one libpcap program
# (bench/pcap_handler.c, one handle, one thread) on each engine:
#   afpacket      the stock virtio_net driver, libpcap on AF_PACKET
#                 (TPACKET_V3), libpcap's default buffer
#   afpacket-mem  the same with a buffer of WireCAP's pool memory
#                 (R.M.2 KiB)
#   wirecap       wirecap_virtio.ko + libwirecap-pcap.so, B(M,R)
#   wirecap-ring  the same, ring-only (R.M = the NIC ring): the stand-in
#                 for netmap/DNA's buffering
# Loss is counted end to end: 1 - processed / sent (sent: tcpreplay's
# count), so drops in the tap, the NIC ring and the engine all count.
# Writes results/bench/peers/<kernel>/<peer>-P<P>-<rep>.{json,log} and a
# Markdown table on stdout.
#
#   bench/peers.sh [--quick] [kernel]                  default: 6.1
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
	sizes="20000" reps=1
else
	sizes="2000 20000 100000" reps=3
fi
pps=${BENCH_PEER_PPS:-50000}
speed=$(awk -v r="$pps" 'BEGIN { printf "%g", r / 1000000 }')  # 1 Mpps recorded

for p in $sizes; do
	python3 bench/gen_burst.py "$p" "$out/burst-$p.pcap"
done

run() { # peer nic P rep guest-command
	peer=$1 nic=$2 p=$3 rep=$4 cmd=$5
	name=$out/$peer-P$p-$rep
	mkdir -p "$name.res"
	scripts/vm.sh --nic "$nic" --kernel "$k" --queues 4 --timeout 600 \
		--trace "$out/burst-$p.pcap" --speed "$speed" --gen-timer gtod \
		--txqueuelen 1000 \
		--results "$name.res" -- "$cmd" >"$name.log" 2>&1
	sent=$(sed -n 's/.*tcpreplay sent \([0-9]*\) packets.*/\1/p' \
		"$name.log" | tail -1)
	tapdrop=$(sed -n 's/.*tap TX [0-9]* packets, \([0-9]*\) dropped.*/\1/p' \
		"$name.log" | tail -1)
	echo "${sent:-0} ${tapdrop:-0}" >"$name.sent"
}

hcmd='wirecap-pcap-handler -x 300 --until-file /run/wirecap/replay-done'
hcmd="$hcmd --idle-ms 1000 --json /results/h.json"
for p in $sizes; do
	i=1
	while [ $i -le $reps ]; do
		# AF_PACKET: the command asks for the replay once it listens
		run afpacket virtio-stock $p $i "($hcmd -i \$WIRECAP_IF) &
			sleep 2; touch /run/wirecap/start-replay; wait"
		run afpacket-mem virtio-stock $p $i "($hcmd -B $mem \
			-i \$WIRECAP_IF) & sleep 2;
			touch /run/wirecap/start-replay; wait"
		# WireCAP: attaching starts the replay
		run wirecap virtio $p $i "wirecap exec $hcmd -B $mem \
			-i wirecap:\$WIRECAP_IF"
		run wirecap-ring virtio $p $i "wirecap exec $hcmd \
			-B $((ring_m * ring_r * 2048)) -i wirecap:\$WIRECAP_IF"
		i=$((i + 1))
	done
done

python3 - "$out" $sizes <<'EOF'
import glob, json, os, statistics as st, sys
out, sizes = sys.argv[1], [int(v) for v in sys.argv[2:]]
peers = ["afpacket", "afpacket-mem", "wirecap", "wirecap-ring"]
print("| P | engine | loss, median (min-max) | lost in the tap | "
      "Pp | CPU s per 1000 processed | runs |")
print("|---|---|---|---|---|---|---|")
for p in sizes:
    for peer in peers:
        rows = []
        for res in glob.glob(f"{out}/{peer}-P{p}-*.res"):
            base = res[:-4]
            try:
                j = json.load(open(f"{res}/h.json"))
                sent, tap = (int(v) for v in open(base + ".sent").read().split())
            except (OSError, ValueError):
                continue
            if not sent:
                continue
            rows.append((1 - j["processed"] / sent, tap / sent, j["pp"],
                         1000 * j["cpu_s"] / max(j["processed"], 1)))
        if not rows:
            print(f"| {p} | {peer} | no result | | | | 0 |")
            continue
        loss = [r[0] for r in rows]
        print(f"| {p} | {peer} | {100*st.median(loss):.2f}% "
              f"({100*min(loss):.2f}-{100*max(loss):.2f}%) | "
              f"{100*st.median(r[1] for r in rows):.2f}% | "
              f"{st.median(r[2] for r in rows):.0f} | "
              f"{st.median(r[3] for r in rows):.3f} | {len(rows)} |")
EOF
