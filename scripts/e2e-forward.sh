#!/bin/sh
# `wirecap forward` end to end, the paper's middlebox: two virtio NICs
# (scripts/vm.sh --nics 2), a real trace replayed by the host into the
# first, forwarded by the guest out of the second through a BPF filter,
# zero copy (XMIT), and recorded by the host as it leaves. Prints TAP.
#
# Per kernel:
#   paced     (tcpreplay --pps $pps, below what the transmit virtqueue
#             drains under TCG): the frames the host recorded are the
#             trace's frames that pass the filter, as a multiset of bytes
#             (wirecap-pcapcmp against the trace filtered by the host's
#             tcpdump), and the counters add up: received = capture drops
#             + filtered + forwarded + TX-dropped + refused, and forwarded
#             = frames recorded;
#   overload  (top speed): the counters still add up, the host recorded
#             exactly what the NIC took, and no frame is corrupted or
#             repeated (every recorded frame is one of the trace's, none
#             more often than sent);
#   edit      (paced, --dec-ttl, no filter, a trace with VLAN tags and
#             frames at TTL 1): every frame arrives as a router would
#             have edited it in place, IPv4 TTL and IPv6 hop limit minus
#             one and the IPv4 header checksum right, the expired ones
#             not at all (scripts/pcap-dec-ttl.py writes what is due
#             without our C code), and the counters add up;
#   inject    Debian's bittwist, unmodified, under `wirecap exec`, sends
#             the trace out of wirecap:$WIRECAP_IF2 with pcap_sendpacket
#             (the shim's copy path): the host records the trace's
#             frames, byte for byte.
#
#   scripts/e2e-forward.sh [kernel ...]        default: 6.1 6.12
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top" || exit 1
kernels=${*:-6.1 6.12}
shared=${WIRECAP_SHARED:-$top/../shared}
trace=ppp_tls2.pcap		# 7,451 frames, 60 % IPv6
filter=ip6
etrace=ppp_many-protocols.pcap	# 4,709 frames, 802.1Q in the mix, 16 at TTL 1
pps=2000
n=0
ok() { n=$((n + 1)); echo "ok $n $*"; }
notok() { n=$((n + 1)); echo "not ok $n $*"; }

# fwd_cmd OPTION...: the guest's command
fwd_cmd() {
	echo "wirecap forward -i \$WIRECAP_IF -o \$WIRECAP_IF2 -M 64 -R 64 \
	--until-file /run/wirecap/replay-done --idle-ms 1500 \
	--json /results/forward.json $* >/results/forward.txt 2>&1"
}

# pcap_count FILE: its frames (tcpdump prints some on several lines)
pcap_count() {
	python3 -c '
import struct, sys
d = open(sys.argv[1], "rb").read()
e = "<" if d[:4] in (b"\xd4\xc3\xb2\xa1", b"\x4d\x3c\xb2\xa1") else ">"
pos, n = min(len(d), 24), 0
while pos + 16 <= len(d):
    pos += 16 + struct.unpack(e + "I", d[pos + 8:pos + 12])[0]
    n += 1
print(n)' "$1" 2>/dev/null
}

# adds.py RESULTS RECORDED: the forwarder's counters, as TAP-ish lines
adds_py='
import json, sys
res, recorded = sys.argv[1], int(sys.argv[2] or -1)
try:
    t = json.load(open(f"{res}/forward.json"))["total"]
except (OSError, ValueError, KeyError) as e:
    print("notok counters add up: no result", e)
    print("notok forwarded = frames the host recorded: no result")
    sys.exit(0)
print("ok" if t["received"] == t["capture_drops"] + t["filtered"] +
      t["forwarded"] + t["tx_dropped"] + t["tx_refused"] and
      t["received"] > 0 else "notok",
      "counters add up: received = capture drops + filtered + forwarded"
      " + TX-dropped + refused", t)
print("ok" if t["forwarded"] == recorded else "notok",
      "forwarded = frames the host recorded", t["forwarded"], recorded)
print("TXDROP", t["tx_dropped"])
print("EXPIRED", t["expired"])
'

echo "1..$(($(echo $kernels | wc -w) * 15))"
mkdir -p "$top/results" "$top/results/e2e-forward/extra"
cp "$shared/traces/$trace" "$top/results/e2e-forward/extra/inject.pcap"
tcpdump -r "$shared/traces/$trace" -w "$top/results/e2e-forward-want.pcap" \
	"$filter" 2>/dev/null
edited=$top/results/e2e-forward-edited.pcap
eexp=$(scripts/pcap-dec-ttl.py "$shared/traces/$etrace" "$edited" |
	sed -n 's/^expired //p')
for k in $kernels; do
	for run in paced overload edit; do
		res=$top/results/e2e-forward/$k/$run
		rm -rf "$res"
		mkdir -p "$res"
		want=$top/results/e2e-forward-want.pcap
		tr=$trace
		cmd=$(fwd_cmd "'$filter'")
		speed=pps:$pps
		case $run in
		overload) speed=top ;;
		edit)
			want=$edited
			tr=$etrace
			cmd=$(fwd_cmd --dec-ttl)
			;;
		esac
		scripts/vm.sh --nic virtio --nics 2 --queues 2 --kernel "$k" \
			--trace "$shared/traces/$tr" --speed "$speed" --flow-control \
			--txqueuelen 10000 --timeout 300 --results "$res" \
			-- "$cmd" >"$res.log" 2>&1
		rc=$?
		if [ $rc = 0 ]; then
			ok "$k $run: VM run, forward exited 0"
		else
			notok "$k $run: VM run (exit $rc, see ${res#"$top"/}.log)"
			tail -5 "$res.log" | sed 's/^/# /'
			tail -5 "$res/forward.txt" 2>/dev/null | sed 's/^/# /'
		fi
		rec=$(pcap_count "$res/nic2.pcap")
		python3 -c "$adds_py" "$res" "$rec" >"$res.adds" 2>&1
		while read -r r rest; do
			case $r in
			ok) ok "$k $run: ${rest%% \{*}" ;;
			notok) notok "$k $run: $rest" ;;
			esac
		done <"$res.adds"
		txdrop=$(sed -n 's/^TXDROP //p' "$res.adds")
		expired=$(sed -n 's/^EXPIRED //p' "$res.adds")
		build/host/wirecap-pcapcmp "$want" "$res/nic2.pcap" \
			>"$res.cmp" 2>&1
		cmprc=$?
		if [ $run = edit ]; then
			if [ $cmprc = 0 ] && [ "$txdrop" = 0 ]; then
				ok "$k edit: the host got every frame edited as a router would, byte for byte"
			else
				notok "$k edit: the host got every frame edited as a router would, byte for byte (TX drops ${txdrop:-?})"
				tail -6 "$res.cmp" | sed 's/^/# /'
			fi
			if [ "$expired" = "$eexp" ] && [ "${eexp:-0}" -gt 0 ]; then
				ok "$k edit: the $eexp frames at TTL 1 or 0 dropped, counted as expired"
			else
				notok "$k edit: the $eexp frames at TTL 1 or 0 dropped, counted as expired (expired ${expired:-?})"
			fi
		elif [ $run = paced ]; then
			if [ $cmprc = 0 ] && [ "$txdrop" = 0 ]; then
				ok "$k paced: the host got the filtered trace, byte for byte"
			else
				notok "$k paced: the host got the filtered trace, byte for byte (TX drops ${txdrop:-?})"
				tail -6 "$res.cmp" | sed 's/^/# /'
			fi
		else
			extra=$(sed -n 's/^extra: *\([0-9]*\).*/\1/p' "$res.cmp")
			dup=$(sed -n 's/^duplicated: *\([0-9]*\).*/\1/p' "$res.cmp")
			if [ "$extra" = 0 ] && [ "$dup" = 0 ]; then
				ok "$k overload: no frame corrupted or repeated (TX drops $txdrop)"
			else
				notok "$k overload: no frame corrupted or repeated (extra ${extra:-?}, duplicated ${dup:-?})"
				tail -6 "$res.cmp" | sed 's/^/# /'
			fi
		fi
	done
	# pcap_sendpacket from a program we did not write; -r 8: 8 Mbit/s,
	# about what the transmit virtqueue drains under TCG
	res=$top/results/e2e-forward/$k/inject
	rm -rf "$res"
	mkdir -p "$res"
	scripts/vm.sh --nic virtio --nics 2 --queues 2 --kernel "$k" \
		--txqueuelen 10000 --timeout 300 --results "$res" \
		--extra "$top/results/e2e-forward/extra" -- \
		't=/sys/class/net/$WIRECAP_IF2/statistics/tx_packets
		t0=$(cat $t)
		wirecap exec bittwist -i "wirecap:$WIRECAP_IF2" -m 0 -r 8 \
		/extra/inject.pcap >/results/bittwist.txt 2>&1; rc=$?
		# bittwist ends when its last frame is queued in the guest
		# (up to the qdisc and the virtqueue, ~1250 frames), not sent:
		# power off only once the NIC has sent as many as it says
		sent=$(sed -n "s/^\([0-9]*\) packets .* sent$/\1/p" /results/bittwist.txt)
		n=0
		while [ $(($(cat $t) - t0)) -lt "${sent:-0}" ] && [ $n -lt 1200 ]; do
			n=$((n + 1)); sleep 0.1
		done
		echo "tx_packets +$(($(cat $t) - t0)) of ${sent:-?} sent, after ${n}00 ms" \
			>>/results/bittwist.txt
		exit $rc' \
		>"$res.log" 2>&1
	rc=$?
	if [ $rc = 0 ]; then
		ok "$k inject: bittwist under wirecap exec exited 0"
	else
		notok "$k inject: bittwist under wirecap exec exited 0 (vm exit $rc)"
		tail -5 "$res/bittwist.txt" 2>/dev/null | sed 's/^/# /'
	fi
	if build/host/wirecap-pcapcmp "$shared/traces/$trace" \
		"$res/nic2.pcap" >"$res.cmp" 2>&1; then
		ok "$k inject: the host got the trace bittwist sent, byte for byte"
	else
		notok "$k inject: the host got the trace bittwist sent, byte for byte"
		tail -6 "$res.cmp" | sed 's/^/# /'
		tail -3 "$res/bittwist.txt" 2>/dev/null | sed 's/^/# /'
	fi
done
