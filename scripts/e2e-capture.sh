#!/bin/sh
# `wirecap capture` end to end: in the VM on the software NIC (4 queues,
# RSS: Toeplitz, default key, 128 entries round robin), while a real trace
# (ppp_tls2.pcap: 7451 frames) is replayed into it. Checked on the host:
#   pcapng   `wirecap capture -w all.pcapng` (pcapng by the name): the
#            frames are the trace's, byte for byte; tcpdump -r and tshark
#            -r read them all; every frame's interface, epb_queue and
#            epb_hash agree with the host's own Toeplitz
#            (wirecap-rss hashes, tools/host/toeplitz.c); a statistics
#            block per queue with the kernel's counts; the JSON's
#            "accepted" and "given_up" (0)
#   filter   `wirecap capture -w filter.pcapng ip6 and tcp and greater
#            1000` (the words joined, as tcpdump joins them): exactly the
#            trace's frames that tcpdump -r keeps with that filter, a
#            part of them
#   rotate   `-w rot.pcap -C 300k`: several files, none over 300 KiB,
#            named as tcpdump names them, together the trace
#   devices  `wirecap capture -D` lists the NIC and its queues
# Prints TAP.
#
#   scripts/e2e-capture.sh [kernel ...]        default: 6.1 6.12
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
kernels=${*:-6.1 6.12}
shared=${WIRECAP_SHARED:-$top/../shared}
trace=ppp_tls2.pcap
filter='ip6 and tcp and greater 1000'
blocks=$top/selftests/host/pcapng_blocks.py
py=/usr/bin/python3
out=$top/results/e2e-capture
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

# count FILE: frames tcpdump -r reads
count() { tcpdump -n -r "$1" 2>/dev/null | wc -l | tr -d ' '; }

# the guest: one capture at a time, the trace replayed meanwhile; -M 64
# -R 128: 8192 cells a queue hold the whole trace, so a slow machine
# loses nothing however it schedules. No fixed waits: the replay once
# every queue has its pool attached, SIGINT once every packet received
# was delivered and every chunk given back (as scripts/e2e-apps.sh), up
# to 20 s each
cmd='attached() {
	for a in /sys/class/wirecap/$WIRECAP_IF-q*/attached; do
		read -r v <$a
		[ "$v" = 1 ] || return 1
	done
}
drained() {
	for q in /sys/class/wirecap/$WIRECAP_IF-q*; do
		read -r r <$q/stats/received; read -r d <$q/stats/delivered
		read -r c <$q/stats/chunks_captured
		read -r g <$q/stats/chunks_recycled
		[ "$d" -ge "$r" ] && [ "$g" -ge "$c" ] || return 1
	done
}
cap() { # name, capture arguments...
	name=$1
	shift
	wirecap capture -M 64 -R 128 --json /results/$name.json "$@" \
		>/results/$name.out 2>/results/$name.err &
	pid=$!
	i=0
	until attached || [ $i -ge 200 ]; do
		sleep 0.1
		i=$((i + 1))
	done
	wirecap-softnic-replay --if $WIRECAP_IF /extra/trace.pcap
	i=0
	until drained || [ $i -ge 200 ]; do
		sleep 0.1
		i=$((i + 1))
	done
	echo "drained: $(drained && echo yes || echo NO) after ${i}00 ms" \
		>/results/$name.drained
	kill -INT $pid
	wait $pid
	echo $? >/results/$name.rc
}
cap all -w /results/all.pcapng
cap filter -w /results/filter.pcapng $FILTER
mkdir /results/rot
cap rot -w /results/rot/rot.pcap -C 300k
wirecap capture -D >/results/devices.txt 2>&1'

# the expected: the filtered trace; the split of the trace by RSS
exp=$out/expected
mkdir -p "$exp"
cp "$shared/traces/$trace" "$out/extra/trace.pcap"
tcpdump -r "$shared/traces/$trace" -w "$exp/filter.pcap" "$filter" 2>/dev/null
build/host/wirecap-rss split "$shared/traces/$trace" >"$exp/split.txt" 2>&1
all_n=$(count "$shared/traces/$trace")
filter_n=$(count "$exp/filter.pcap")

# per_frame FILE.pcapng: EPB by EPB, the interface's name, the queue and
# hash as written, and the queue and hash of the host's Toeplitz
per_frame() {
	"$py" "$blocks" "$1" >"$1.blocks" || return 1
	build/host/wirecap-rss hashes "$1" >"$1.rss" || return 1
	"$py" - "$1.blocks" "$1.rss" <<'EOF'
import sys
lines = open(sys.argv[1]).read().split("\n")
names = {}
for l in lines:
    if l.startswith("IDB"):
        f = l.split()
        names[f[1]] = f[2][len("name="):]
epb = [l.split() for l in lines if l.startswith("EPB")]
rss = [l.split() for l in open(sys.argv[2]).read().split("\n") if l]
assert len(epb) == len(rss) and epb, (len(epb), len(rss))
bad = 0
for k, (e, r) in enumerate(zip(epb, rss)):
    q = e[5][len("queue="):]
    algo, h = e[6][len("hash="):].split(":")
    want_h = ("5", r[1]) if r[1] != "-" else ("-", "-")
    name_q = names[e[1]].rsplit("@", 1)[1]
    if q != r[0] or (algo, h) != want_h or name_q != q:
        bad += 1
        if bad <= 5:
            print("frame %d: interface %s queue %s hash %s:%s; Toeplitz: queue %s hash %s"
                  % (k, names[e[1]], q, algo, h, r[0], r[1]))
print("%d frames, %d disagree with the host's Toeplitz" % (len(epb), bad))
sys.exit(1 if bad else 0)
EOF
}

# isb FILE.pcapng SPLIT: per queue a statistics block: received = the
# frames RSS sends there, no drop, accepted and delivered = its frames
isb() {
	"$py" - "$1.blocks" "$2" <<'EOF'
import sys
lines = [l for l in open(sys.argv[1]).read().split("\n") if l]
split = {}
for l in open(sys.argv[2]):
    f = l.split()
    if len(f) == 4 and f[0].isdigit():
        split[int(f[0])] = int(f[1])
per = {}
for l in lines:
    if l.startswith("EPB"):
        i = int(l.split()[1])
        per[i] = per.get(i, 0) + 1
isb = [l.split() for l in lines if l.startswith("ISB")]
assert len(isb) == 4 and lines[-4:] == [" ".join(x) for x in isb], isb
for f in isb:
    i = int(f[1])
    kv = dict(x.split("=") for x in f[2:])
    want = {"recv": split[i], "drop": 0, "accept": per.get(i, 0),
            "deliv": per.get(i, 0)}
    got = {k: int(kv[k]) for k in want}
    assert got == want, (i, got, want)
    print("queue", i, got)
EOF
}

# totals FILE KEY...: the total's values of KEY... in the JSON report
totals() {
	"$py" -c 'import json, sys
t = json.load(open(sys.argv[1]))["total"]
print(" ".join(str(t[k]) for k in sys.argv[2:]))' "$@"
}

# want_totals FILE "VALUES" KEY...
want_totals() {
	f=$1 want=$2
	shift 2
	got=$(totals "$f" "$@" 2>&1)
	echo "$*: $got, want $want"
	[ "$got" = "$want" ]
}

echo "1..$(( $(echo $kernels | wc -w) * 12 ))"
for k in $kernels; do
	res=$out/$k
	mkdir -p "$res"
	scripts/vm.sh --nic softnic --kernel "$k" \
		--queues 4 --timeout 300 --extra "$out/extra" --results "$res" \
		-- "FILTER='$filter'; $cmd" >"$res/vm.log" 2>&1
	rc=$?
	if [ $rc -eq 0 ]; then
		ok "$k VM run: finished, console clean"
	else
		notok "$k VM run: exit $rc (124 timeout, 125 kernel trouble)"
		tail -10 "$res/vm.log" | sed 's/^/# /'
	fi
	check "$k pcapng: capture exited 0; the file is pcapng, the trace byte for byte" \
		sh -c "grep -qx 0 '$res/all.rc' &&
		       od -An -tx1 -N4 '$res/all.pcapng' | tr -d ' ' | grep -qx 0a0d0d0a &&
		       build/host/wirecap-pcapcmp '$shared/traces/$trace' '$res/all.pcapng'"
	check "$k pcapng: tcpdump -r and tshark -r read all $all_n" \
		sh -c "[ \$(tcpdump -n -r '$res/all.pcapng' 2>/dev/null | wc -l) = $all_n ] &&
		       [ \$(tshark -r '$res/all.pcapng' 2>/dev/null | wc -l) = $all_n ]"
	check "$k pcapng: every frame's interface, queue and hash agree with the host's Toeplitz" \
		per_frame "$res/all.pcapng"
	check "$k pcapng: a statistics block per queue: received, drops, accepted, delivered" \
		isb "$res/all.pcapng" "$exp/split.txt"
	check "$k pcapng: JSON: accepted = written = $all_n, given_up 0" \
		want_totals "$res/all.json" "$all_n $all_n 0" accepted written given_up
	check "$k filter '$filter': exactly the $filter_n matching frames" \
		sh -c "grep -qx 0 '$res/filter.rc' &&
		       [ $filter_n -gt 0 ] && [ $filter_n -lt $all_n ] &&
		       build/host/wirecap-pcapcmp '$exp/filter.pcap' '$res/filter.pcapng'"
	check "$k filter: JSON: $all_n read, $filter_n accepted and written" \
		want_totals "$res/filter.json" "$all_n $filter_n $filter_n 0" \
		packets accepted written given_up
	nr=$(ls "$res/rot" 2>/dev/null | wc -l)
	rfiles=$(i=1; printf '%s' "$res/rot/rot.pcap"; while [ $i -lt "$nr" ]; do printf ' %s/rot/rot.pcap%d' "$res" $i; i=$((i + 1)); done)
	check "$k rotate -C 300k: $nr files rot.pcap, rot.pcap1, ..., none over 307200 bytes" \
		sh -c "grep -qx 0 '$res/rot.rc' && [ $nr -ge 5 ] &&
		       [ \"\$(ls '$res/rot' | sort -V | tr '\n' ' ')\" = \"\$(for f in $rfiles; do basename \$f; done | tr '\n' ' ')\" ] &&
		       ! find '$res/rot' -type f -size +307200c | grep -q ."
	check "$k rotate: the files together are the trace" \
		build/host/wirecap-pcapcmp "$shared/traces/$trace" $rfiles
	check "$k devices: capture -D lists wirecap:wcsim0 and its 4 queues" \
		grep -qx '1.wirecap:wcsim0 (queues 0,1,2,3)' "$res/devices.txt"
	check "$k the report has the accepted and given_up columns, no warning" \
		sh -c "head -1 '$res/filter.out' | grep -q 'accepted *given_up' &&
		       ! grep -q 'GIVEN UP' '$res/all.out' '$res/filter.out' '$res/rot.out'"
done
