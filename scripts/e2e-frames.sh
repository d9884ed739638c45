#!/bin/sh
# Frames across cells on the virtio-net NIC (issue 15 §2): real traces with
# frames longer than a cell (merc_emix.pcap up to 5,018 bytes,
# merc_capture2.pcap up to 4,162) replayed by tcpreplay into the VM's tap
# at MTU 9000, captured by `wirecap capture` with a given cell size, one
# process per queue, then checked on the host:
#   - the captured frames equal the trace's, byte for byte, none left out
#     (wirecap-pcapcmp with a 9,018-byte link);
#   - every queue's counters: no oversize drop, no rx error, no capture
#     drop, received = delivered = the frames in its file;
#   - frames longer than a cell were captured (they spanned cells).
# And GRO-size frames: a generated trace of UDP frames up to 65,535 bytes
# at MTU 65521, with 2 KiB cells.
# Prints TAP.
#
#   scripts/e2e-frames.sh [kernel ...]        default: 6.1 6.12
#
# Environment: WIRECAP_E2E_TIMEOUT (seconds per VM run [240]).
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
kernels=${*:-6.1 6.12}
# trace:cell size:MTU (gro: generated, below)
runs="merc_emix.pcap:256:9000 merc_capture2.pcap:2048:9000 gro:2048:65521"
vmtimeout=${WIRECAP_E2E_TIMEOUT:-240}
shared=${WIRECAP_SHARED:-$top/../shared}
queues=4
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
guest_cmd() { # cell size
	cat <<EOF
for q in \$(seq 0 \$((WIRECAP_QUEUES - 1))); do
	wirecap capture -q \$q --cell-size $1 -w /results/q\$q.pcap \\
		--json /results/q\$q.json --until-file /run/wirecap/replay-done \\
		--idle-ms 1000 > /results/q\$q.txt 2>&1 &
done
wait
for q in \$(seq 0 \$((WIRECAP_QUEUES - 1))); do
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

# 240 IPv4/UDP frames of 60 bytes to 64 KiB, on 16 flows
gen_gro() { # file
	python3 - "$1" <<'EOF'
import struct, sys
lens = [60, 1514, 9014, 16384, 32768, 48000, 65000, 65535]
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
gen_gro "$top/results/e2e-frames/gro.pcap" || exit 1
for k in $kernels; do
	for r in $runs; do
		t=${r%%:*} cell=${r#*:} mtu=${r##*:}
		cell=${cell%:*}
		trace=$shared/traces/$t
		[ "$t" != gro ] || trace=$top/results/e2e-frames/gro.pcap
		res=$top/results/e2e-frames/$k/${t%.*}-c$cell
		log=$res.log
		rm -rf "$res"
		mkdir -p "$res"
		files=""
		for q in $(seq 0 $((queues - 1))); do files="$files $res/q$q.pcap"; done
		scripts/vm.sh --nic virtio --kernel "$k" --queues $queues \
			--txqueuelen $txqueuelen --mtu $mtu --flow-control \
			--timeout "$vmtimeout" \
			--trace "$trace" --results "$res" \
			-- "$(guest_cmd "$cell")" >"$log" 2>&1
		rc=$?
		if [ $rc -ne 0 ]; then
			notok "$k $t cells $cell: VM run (exit $rc, see ${log#$top/})"
			tail -5 "$log" | sed 's/^/# /'
			for c in "captured = sent" counters "frames spanned cells"; do
				notok "$k $t cells $cell: $c (skipped: no capture)"
			done
			continue
		fi
		ok "$k $t cells $cell: VM run, MTU $mtu, $(sed -n 's/.*tcpreplay sent \([0-9]*\) packets.*/\1/p' "$log") packets replayed"
		check "$k $t cells $cell: captured = sent, byte for byte, none left out" \
			build/host/wirecap-pcapcmp "$trace" $files \
			--max-len 65535
		check "$k $t cells $cell: received = delivered = frames, no drop, no error" \
			counters_ok "$res"
		check "$k $t cells $cell: frames longer than a cell spanned cells" \
			spanned "$res" "$cell"
	done
done
