#!/bin/sh
# Frames across cells (issue 15 §2), on the virtio-net NIC (mergeable
# receive buffers) and on the e1000e NIC (multi-descriptor frames): real
# traces with frames longer than a cell (merc_emix.pcap up to 5,018
# bytes, merc_capture2.pcap up to 4,162) replayed by tcpreplay into the
# VM's tap at MTU 9000, captured by `wirecap capture` with a given cell
# size, one process per queue, then checked on the host:
#   - the captured frames equal the trace's, byte for byte, none left out
#     (wirecap-pcapcmp with a 9,018-byte link);
#   - every queue's counters: no oversize drop, no rx error, no capture
#     drop, received = delivered = the frames in its file;
#   - frames longer than a cell were captured (they spanned cells).
# And generated traces: on virtio GRO-size UDP frames up to 65,535 bytes
# at MTU 65521, on e1000e jumbo frames up to 9,014 bytes at MTU 9000
# (the 82574's largest), both with 2 KiB cells. e1000e captures queue 0
# only: its queue 1 takes an MTU of 1500 at most (the port has one
# receive buffer size, see drivers/intel/e1000e_wirecap.c), and with
# queue 1 the stack's, RSS is off and every frame goes to queue 0. Its
# flow control is the tap's queue ($txqueuelen frames, below): a trace
# longer than that may lose frames in the tap, so it would not compare.
# Prints TAP.
#
#   scripts/e2e-frames.sh [kernel ...]        default: 6.1 6.12
#
# Environment: WIRECAP_E2E_TIMEOUT (seconds per VM run [240]),
# WIRECAP_FRAMES_RUNS (the runs, as $runs below).
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
kernels=${*:-6.1 6.12}
# NIC:trace:cell size:MTU (gro, jumbo: generated, below)
runs=${WIRECAP_FRAMES_RUNS:-"virtio:merc_emix.pcap:256:9000
virtio:merc_capture2.pcap:2048:9000 virtio:gro:2048:65521
e1000e:merc_emix.pcap:256:9000 e1000e:jumbo:2048:9000"}
vmtimeout=${WIRECAP_E2E_TIMEOUT:-240}
shared=${WIRECAP_SHARED:-$top/../shared}
# deep enough for a whole trace, and flow control on (vm.sh
# --flow-control): correctness at tcpreplay's top speed
txqueuelen=10000
n=0

ok() { n=$((n + 1)); echo "ok $n $*"; }
notok() { n=$((n + 1)); echo "not ok $n $*"; }
check() { # check "name" command...
	name=$1
	shift
	if "$@" >"$log.check" 2>&1; then
		ok "$name"
	else
		notok "$name"
		sed 's/^/# /' "$log.check" | tail -15
	fi
}

# The guest: one capture per queue with the cell size, then each queue's
# counters and geometry.
guest_cmd() { # cell size, queues captured
	cat <<EOF
for q in \$(seq 0 \$(($2 - 1))); do
	wirecap capture -q \$q --cell-size $1 -w /results/q\$q.pcap \\
		--json /results/q\$q.json --until-file /run/wirecap/replay-done \\
		--idle-ms 1000 > /results/q\$q.txt 2>&1 &
done
wait
for q in \$(seq 0 \$(($2 - 1))); do
	d=/sys/class/wirecap/\$WIRECAP_IF-q\$q/stats
	echo "\$q \$(cat \$d/received) \$(cat \$d/delivered)" \\
		"\$(cat \$d/oversize_drops) \$(cat \$d/rx_errors)" \\
		"\$(cat \$d/capture_drops)"
done > /results/stats.txt
EOF
}

# Each queue's counters against its file: tcpdump counts the frames.
counters_ok() { # results dir
	[ -s "$1/stats.txt" ] || { echo "no stats.txt"; return 1; }
	bad=0
	while read -r q rec del over err drop; do
		f=$(tcpdump -nr "$1/q$q.pcap" 2>/dev/null | wc -l)
		echo "q$q: received $rec delivered $del oversize $over" \
			"rx_errors $err capture_drops $drop; $f frames in q$q.pcap"
		[ "$rec" = "$f" ] && [ "$del" = "$f" ] && [ "$over" = 0 ] &&
			[ "$err" = 0 ] && [ "$drop" = 0 ] || bad=1
	done <"$1/stats.txt"
	return $bad
}

# Frames longer than a cell's room were captured (they spanned cells).
spanned() { # results dir, cell size
	big=0
	for f in "$1"/q*.pcap; do
		b=$(tcpdump -nr "$f" "greater $(($2 + 1))" 2>/dev/null | wc -l)
		big=$((big + b))
	done
	echo "$big frames longer than $2 bytes captured"
	[ "$big" -gt 0 ]
}

# 240 IPv4/UDP frames on 16 flows, their lengths in turn from a list
gen_udp() { # file, lengths (comma-separated)
	python3 - "$1" "$2" <<'EOF'
import struct, sys
lens = [int(x) for x in sys.argv[2].split(',')]
out = open(sys.argv[1], 'wb')
out.write(struct.pack('<IHHiIII', 0xa1b2c3d4, 2, 4, 0, 0, 65535, 1))
for i in range(240):
    n = lens[i % len(lens)]
    ip = struct.pack('!BBHHHBBH4s4s', 0x45, 0, n - 14, i, 0, 64, 17, 0,
                     bytes([10, 0, 0, 1]), bytes([10, 0, 1, 1 + i % 16]))
    udp = struct.pack('!HHHH', 1024 + i % 16, 9, n - 34, 0)
    pay = bytes((i + k) & 0xff for k in range(n - 42))
    eth = bytes([2, 0, 0, 0, 0, 2, 2, 0, 0, 0, 0, 1, 8, 0])
    f = eth + ip + udp + pay
    out.write(struct.pack('<IIII', i, 0, len(f), len(f)) + f)
EOF
}

echo "1..$(( $(echo $kernels | wc -w) * $(echo $runs | wc -w) * 4 ))"
mkdir -p "$top/results/e2e-frames"
gen_udp "$top/results/e2e-frames/gro.pcap" \
	60,1514,9014,16384,32768,48000,65000,65535 || exit 1
gen_udp "$top/results/e2e-frames/jumbo.pcap" 60,1514,2048,4000,8192,9014 ||
	exit 1
for k in $kernels; do
	for r in $runs; do
		IFS=: read -r nic t cell mtu <<-EOF
		$r
		EOF
		trace=$shared/traces/$t
		case $t in
		gro | jumbo) trace=$top/results/e2e-frames/$t.pcap ;;
		esac
		case $nic:${mtu:-} in
		virtio:?*)
			queues=4 opts="--queues 4 --flow-control" minlen="" ;;
		# e1000e: queue 0 alone; QEMU's model stops taking frames while
		# its ring is empty, so the deep tap is its flow control; the
		# NIC pads frames shorter than 60 bytes
		e1000e:?*)
			queues=1 opts="" minlen="--min-len 60" ;;
		*)
			for c in "VM run" "captured = sent" counters \
				 "frames spanned cells"; do
				notok "$r: $c (not a run: NIC:trace:cell size:MTU, NIC virtio or e1000e)"
			done
			continue ;;
		esac
		res=$top/results/e2e-frames/$k/$nic-${t%.*}-c$cell
		log=$res.log
		rm -rf "$res"
		mkdir -p "$res"
		files=""
		for q in $(seq 0 $((queues - 1))); do files="$files $res/q$q.pcap"; done
		scripts/vm.sh --nic "$nic" --kernel "$k" $opts \
			--txqueuelen $txqueuelen --mtu $mtu \
			--timeout "$vmtimeout" \
			--trace "$trace" --results "$res" \
			-- "$(guest_cmd "$cell" $queues)" >"$log" 2>&1
		rc=$?
		if [ $rc -ne 0 ]; then
			notok "$k $nic $t cells $cell: VM run (exit $rc, see ${log#$top/})"
			tail -5 "$log" | sed 's/^/# /'
			for c in "captured = sent" counters "frames spanned cells"; do
				notok "$k $nic $t cells $cell: $c (skipped: no capture)"
			done
			continue
		fi
		ok "$k $nic $t cells $cell: VM run, MTU $mtu, $(sed -n 's/.*tcpreplay sent \([0-9]*\) packets.*/\1/p' "$log") packets replayed"
		check "$k $nic $t cells $cell: captured = sent, byte for byte, none left out" \
			build/host/wirecap-pcapcmp "$trace" $files \
			--max-len 65535 $minlen
		check "$k $nic $t cells $cell: received = delivered = frames, no drop, no error" \
			counters_ok "$res"
		check "$k $nic $t cells $cell: frames longer than a cell spanned cells" \
			spanned "$res" "$cell"
	done
done
