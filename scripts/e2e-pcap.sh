#!/bin/sh
# libpcap compatibility end to end: Debian's unmodified tcpdump captures
# through libwirecap-pcap.so (`wirecap exec`), in the VM on the software
# NIC, while a real trace (ppp_tls2.pcap: 7451 frames, 60 % IPv6) is
# replayed into it. Checked on the host:
#   all      `tcpdump -i wirecap:IF -w`: the file holds exactly the trace,
#            byte for byte; tcpdump -r and tshark -r read it; tcpdump's
#            "captured / received by filter / dropped by kernel" are true
#   filter   `tcpdump -i wirecap:IF@1-2 --nano -w ... 'ip6 and tcp'`:
#            exactly the trace's packets that RSS puts on queues 1 and 2
#            and that match, in a nanosecond pcap; the counts are true
#   devices  tcpdump -D lists wirecap:IF; a missing device fails as
#            libpcap says ("No such device exists")
#   files    on the host, `tcpdump -r` of every trace in ../shared/traces
#            prints the same, and exits the same, with the library
#            preloaded as without it
# Prints TAP.
#
#   scripts/e2e-pcap.sh [kernel ...]        default: 6.1 6.12
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
kernels=${*:-6.1 6.12}
shared=${WIRECAP_SHARED:-$top/../shared}
trace=ppp_tls2.pcap
filter='ip6 and tcp'
shim=$top/build/lib/libwirecap-pcap.so
out=$top/results/e2e-pcap
rm -rf "$out"
mkdir -p "$out/extra"

n=0
ok() { n=$((n + 1)); echo "ok $n - $*"; }
notok() { n=$((n + 1)); echo "not ok $n - $*"; }
check() { # check "name" command...
	name=$1
	shift
	if "$@" >"$out/check.log" 2>&1; then
		ok "$name"
	else
		notok "$name"
		sed 's/^/# /' "$out/check.log" | tail -15
	fi
}

# stats LOG WHAT: the number before WHAT in tcpdump's last lines
stat_of() { sed -n "s/^\([0-9]*\) packets $2\$/\1/p" "$1"; }
# pcap_count FILE: packets tcpdump -r reads
pcap_count() { tcpdump -n -r "$1" 2>/dev/null | wc -l | tr -d ' '; }

# tcpdump_stats LOG CAPTURED RECEIVED DROPPED
tcpdump_stats() {
	c=$(stat_of "$1" captured)
	r=$(stat_of "$1" "received by filter")
	d=$(stat_of "$1" "dropped by kernel")
	echo "captured $c received $r dropped $d; want $2 $3 $4"
	[ "$c" = "$2" ] && [ "$r" = "$3" ] && [ "$d" = "$4" ]
}

# nsec_pcap FILE: a pcap file with nanosecond time stamps
nsec_pcap() {
	m=$(od -An -tx1 -N4 "$1" | tr -d ' ')
	echo "magic $m"
	[ "$m" = 4d3cb2a1 ] || [ "$m" = a1b23c4d ]
}

# the guest: tcpdump under `wirecap exec`, the trace replayed meanwhile
# -B 16384: 16 MiB of pool per queue (R=128 chunks of 64 cells) holds the
# whole trace, so a slow machine loses nothing however it schedules
cmd='cap() { # name, tcpdump arguments...
	name=$1
	shift
	wirecap exec tcpdump -Z root -n -B 16384 "$@" 2>/results/$name.err &
	pid=$!
	sleep 2		# attached, listening
	wirecap-softnic-replay --if $WIRECAP_IF /extra/trace.pcap
	sleep 1		# the last partial chunks are delivered
	kill -INT $pid
	wait $pid
	echo $? >/results/$name.rc
}
cap all -i wirecap:$WIRECAP_IF -w /results/all.pcap
cap filter -i wirecap:$WIRECAP_IF@1-2 --time-stamp-precision=nano \
	-w /results/filter.pcap "$FILTER"
wirecap exec tcpdump -D >/results/devices.txt 2>&1
wirecap exec tcpdump -Z root -i wirecap:nonic0 -c 1 \
	>/results/nodev.err 2>&1
echo $? >/results/nodev.rc'

# the expected captures, from the trace: RSS split (the software NIC's
# Toeplitz: default key, 128 entries round robin over 4 queues)
exp=$out/expected
mkdir -p "$exp"
cp "$shared/traces/$trace" "$out/extra/trace.pcap"
build/host/wirecap-rss split "$shared/traces/$trace" --write "$exp/split" \
	>"$exp/split.txt" 2>&1
mergecap -F pcap -w "$exp/q12.pcap" "$exp/split-q1.pcap" "$exp/split-q2.pcap"
tcpdump -r "$exp/q12.pcap" -w "$exp/filter.pcap" "$filter" 2>/dev/null
all_n=$(pcap_count "$shared/traces/$trace")
q12_n=$(pcap_count "$exp/q12.pcap")
filter_n=$(pcap_count "$exp/filter.pcap")

echo "1..$(( $(echo $kernels | wc -w) * 9 + 1 ))"
for k in $kernels; do
	res=$out/$k
	mkdir -p "$res"
	scripts/vm.sh --nic softnic --kernel "$k" --queues 4 --timeout 300 \
		--extra "$out/extra" --results "$res" \
		-- "FILTER='$filter'; $cmd" >"$res/vm.log" 2>&1
	rc=$?
	if [ $rc -eq 0 ]; then
		ok "$k VM run: finished, console clean"
	else
		notok "$k VM run: exit $rc (124 timeout, 125 kernel trouble)"
		tail -10 "$res/vm.log" | sed 's/^/# /'
	fi
	check "$k all: tcpdump ran and exited 0" \
		grep -qx 0 "$res/all.rc"
	check "$k all: the file is the trace, byte for byte" \
		build/host/wirecap-pcapcmp "$shared/traces/$trace" "$res/all.pcap"
	check "$k all: tcpdump -r and tshark -r read all $all_n" \
		sh -c "[ \$(tcpdump -n -r '$res/all.pcap' 2>/dev/null | wc -l) = $all_n ] &&
		       [ \$(tshark -r '$res/all.pcap' 2>/dev/null | wc -l) = $all_n ]"
	check "$k all: tcpdump's counts are true" \
		tcpdump_stats "$res/all.err" "$all_n" "$all_n" 0
	check "$k filter: exactly the matching packets of queues 1-2" \
		build/host/wirecap-pcapcmp "$exp/filter.pcap" "$res/filter.pcap"
	check "$k filter: nanosecond pcap; counts true" \
		sh -c "grep -qx 0 '$res/filter.rc' &&
		       $(command -v od) -An -tx1 -N4 '$res/filter.pcap' |
		       tr -d ' ' | grep -Eqx '4d3cb2a1|a1b23c4d' &&
		       grep -qx '$filter_n packets captured' '$res/filter.err' &&
		       grep -qx '$q12_n packets received by filter' '$res/filter.err' &&
		       grep -qx '0 packets dropped by kernel' '$res/filter.err'"
	check "$k devices: tcpdump -D lists wirecap:wcsim0" \
		grep -q '^[0-9]*\.wirecap:wcsim0 ' "$res/devices.txt"
	check "$k devices: a missing device fails as libpcap says" \
		sh -c "! grep -qx 0 '$res/nodev.rc' &&
		       grep -q 'No such device exists' '$res/nodev.err'"
done

# savefiles: the same with and without the preload
same=0 differ=""
for t in "$shared"/traces/*; do
	case $t in *.md) continue ;; esac
	a=$(tcpdump -n -r "$t" 2>&1; echo "rc $?")
	b=$(LD_PRELOAD=$shim tcpdump -n -r "$t" 2>&1; echo "rc $?")
	if [ "$a" = "$b" ]; then
		same=$((same + 1))
	else
		differ="$differ $(basename "$t")"
	fi
done
if [ -z "$differ" ] && [ $same -gt 0 ] && [ -f "$shim" ]; then
	ok "files: tcpdump -r prints the same on all $same traces, preloaded"
else
	notok "files: tcpdump -r differs with the preload on:$differ"
fi
