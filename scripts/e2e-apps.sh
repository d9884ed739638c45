#!/bin/sh
# More libpcap programs through the shim: Debian's softflowd, tcpflow and
# p0f, unmodified, each run under `wirecap exec` in the VM on the software
# NIC while a real trace is replayed into it, then stopped as a user stops
# them (softflowd in the foreground has no signal handlers: `softflowctl
# shutdown` on its control socket; tcpflow and p0f: SIGINT); and each run
# again on the host reading the same trace as a file (-r). What they
# report must be the same:
#   softflowd  the flows (ppp_tls2.pcap, 334 TCP flows, 60 % IPv6), spread
#              by RSS over 4 queues: every flow with its packet, byte and
#              TCP flag counts in each direction, from its -D log of the
#              flows it expires (all of them, at the end)
#   tcpflow    the reassembled TCP streams (ppp_tls2.pcap, over 4 queues):
#              the same files, by name and content
#   p0f        its log (ppp_example.pcap, HTTP with handshakes, all into
#              queue 0): the same lines, time stamps left out
# and each must have stopped when told, as it does, having captured through
# WireCAP (the NIC's queues were attached while it ran). One boot per
# kernel runs all three. Prints TAP.
#
# Live and from a file, the packets are the same; what may differ, and is
# left out of the comparison, is only what depends on the clock or on the
# order in which packets of different queues arrive (the application
# reads the queues' chunks in turn, not in the trace's global order):
#   softflowd  start/finish times; its sequence numbers (the order flows
#              were seen); the IPv6 flow label, which it takes from the
#              packet that creates the flow only (so from one direction or
#              the other). It expires flows on wall-clock timeouts live
#              (the shortest, tcp.rst, is 120 s, checked every 60 s) and by
#              none from a file: within a run of a few seconds, none
#              expires early, and all are flushed at shutdown.
#   tcpflow    report.xml (times, command line, rusage)
#   p0f        the time stamp of each line; what it derives from packet
#              times, which live are the replay's (top speed), not the
#              trace's (15 s): the "uptime" lines (TCP time stamp ticks
#              divided by the time between packets), and the "host change"
#              lines whose reasons include "tstamp" (the same, checked for
#              consistency) or "date" (an HTTP Date header against the
#              packet's time); those for other reasons are kept. p0f follows a
#              connection only from its SYN, SYN+ACK, data, in that order,
#              so it is given the trace on one queue, in the file's order.
#
#   scripts/e2e-apps.sh [kernel ...]        default: 6.1 6.12
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
kernels=${*:-6.1 6.12}
shared=${WIRECAP_SHARED:-$top/../shared}
flows_trace=ppp_tls2.pcap	# softflowd, tcpflow
p0f_trace=ppp_example.pcap	# p0f
p0f_fp=/etc/p0f/p0f.fp
out=$top/results/e2e-apps
rm -rf "$out"
mkdir -p "$out/extra" "$out/file"

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

# softflowd -D's expired flows (stderr): one line per flow, without what
# depends on time or order (see above), sorted
sf_flows() {
	sed -n 's/^EXPIRED: seq:[0-9]* \(.*\) start:[^ ]* finish:[^ ]* \(.*\) (0x[0-9a-f]*)$/\1 \2/p' "$1" |
		sed 's/ flowlabel>:[0-9a-f]* flowlabel<:[0-9a-f]*//' | sort
}
# p0f's log without time stamps and what depends on packet times, sorted
p0f_lines() {
	sed 's/^\[[^]]*\] //' "$1" | grep -v '^mod=uptime|' |
		grep -Ev '^mod=host change\|.*\|reason=[^|]*(tstamp|date)' | sort
}

# same A B: the two files are equal, and not nearly empty (a diff's head
# when not)
same() {
	echo "$(wc -l <"$1") lines, $(wc -l <"$2") lines"
	diff "$1" "$2" | head -20 | cut -c1-200
	[ "$(wc -l <"$1")" -ge 100 ] && cmp -s "$1" "$2"
}
# same_dir A B: the same files in both but report.xml, byte for byte
same_dir() {
	echo "$(ls "$1" | wc -l) files, $(ls "$2" 2>/dev/null | wc -l) files"
	diff -r -x report.xml "$1" "$2" | head -20
	[ "$(ls "$1" | wc -l)" -ge 100 ] &&
		diff -rq -x report.xml "$1" "$2" >/dev/null
}
# ran NAME DIR N [RC]: the program captured through WireCAP (the NIC's
# queues were attached while it ran), N packets were replayed into the
# NIC, and it exited RC (0) when stopped
ran() {
	echo "exit $(cat "$2/$1.rc" 2>/dev/null)," \
		"attached $(cat "$2/$1.attached" 2>/dev/null)," \
		"$(cat "$2/$1.replay" 2>/dev/null)"
	tail -5 "$2/$1.err" 2>/dev/null
	grep -qx yes "$2/$1.attached" && grep -qx "${4:-0}" "$2/$1.rc" &&
		grep -qx "replayed $3 packets" "$2/$1.replay"
}

# From the files, on the host: the reference.
cp "$shared/traces/$flows_trace" "$out/extra/flows.pcap"
cp "$shared/traces/$p0f_trace" "$out/extra/p0f.pcap"
cp "$p0f_fp" "$out/extra/p0f.fp"
flows_n=$(tcpdump -n -r "$out/extra/flows.pcap" 2>/dev/null | wc -l)
p0f_n=$(tcpdump -n -r "$out/extra/p0f.pcap" 2>/dev/null | wc -l)
p0f_tcp=$(tcpdump -n -r "$out/extra/p0f.pcap" tcp 2>/dev/null | wc -l)
f=$out/file
# -c none: no control socket (from a file, softflowd would wait on it)
softflowd -D -r "$out/extra/flows.pcap" -c none -p "$f/sf.pid" \
	>"$f/softflowd.err" 2>&1
sf_flows "$f/softflowd.err" >"$f/softflowd.flows"
tcpflow -r "$out/extra/flows.pcap" -o "$f/tcpflow" >"$f/tcpflow.err" 2>&1
p0f -r "$out/extra/p0f.pcap" -f "$out/extra/p0f.fp" -o "$f/p0f.log" \
	>"$f/p0f.err" 2>&1
p0f_lines "$f/p0f.log" >"$f/p0f.lines"
sf_n=$(wc -l <"$f/softflowd.flows")
tf_n=$(ls "$f/tcpflow" | grep -vcx report.xml)
p0f_l=$(wc -l <"$f/p0f.lines")

# The guest: each program under `wirecap exec`, the trace replayed while
# it runs, then what stops it. softflowd -B 16777216: a pool
# of 16 MiB per queue (R=128 chunks of 64 cells), tcpflow and p0f the
# driver's default (16384 cells per queue): either holds a whole trace,
# so a slow machine loses nothing however it schedules. softflowd's -i is
# [index:]interface, so a name with a colon takes an index before it.
cmd='attached() {
	for a in /sys/class/wirecap/$WIRECAP_IF-q*/attached; do
		read -r v <$a
		[ "$v" = 1 ] || return 1
	done
}
# every packet the NIC received delivered, every chunk delivered given back
drained() {
	for q in /sys/class/wirecap/$WIRECAP_IF-q*; do
		read -r r <$q/stats/received; read -r d <$q/stats/delivered
		read -r c <$q/stats/chunks_captured
		read -r g <$q/stats/chunks_recycled
		[ "$d" -ge "$r" ] && [ "$g" -ge "$c" ] || return 1
	done
}
live() { # name, stop command, trace, replay options, program and arguments...
	name=$1 stop=$2 trace=$3 ropts=$4
	shift 4
	wirecap exec "$@" >/results/$name.out 2>/results/$name.err &
	pid=$!
	i=0
	until attached || [ $i -ge 200 ]; do
		sleep 0.1
		i=$((i + 1))
	done
	attached && echo yes >/results/$name.attached
	sleep 1		# activated; now reading
	wirecap-softnic-replay --if $WIRECAP_IF $ropts /extra/$trace \
		>/results/$name.replay 2>&1
	# the last partial chunks delivered, and read: up to 20 s on a slow
	# machine, not a fixed wait
	i=0
	until drained || [ $i -ge 200 ]; do
		sleep 0.1
		i=$((i + 1))
	done
	{ echo "drained: $(drained && echo yes || echo NO) after ${i}00 ms"
	  for q in /sys/class/wirecap/$WIRECAP_IF-q*; do
		echo "${q##*/} received, delivered, chunks captured, recycled:" \
			$(cat $q/stats/received $q/stats/delivered \
			$q/stats/chunks_captured $q/stats/chunks_recycled)
	  done; } >/results/$name.drained
	# one that does not stop when told is killed after 20 s (before
	# telling it: softflowctl waits for softflowd to answer)
	(sleep 20; kill -KILL $pid) 2>/dev/null &
	dog=$!
	eval "$stop"
	wait $pid
	echo $? >/results/$name.rc
	kill $dog 2>/dev/null || true
}
live softflowd "softflowctl -c /tmp/sf.ctl shutdown" flows.pcap "" \
	softflowd -D -i 0:wirecap:$WIRECAP_IF -B 16777216 -c /tmp/sf.ctl \
	-p /tmp/sf.pid
live tcpflow "kill -INT \$pid" flows.pcap "" tcpflow -i wirecap:$WIRECAP_IF \
	-o /results/tcpflow
live p0f "kill -INT \$pid" p0f.pcap "--queue 0" p0f -i wirecap:$WIRECAP_IF \
	-f /extra/p0f.fp -o /results/p0f.log'

echo "1..$(($(echo $kernels | wc -w) * 10))"
for k in $kernels; do
	res=$out/$k
	mkdir -p "$res"
	start=$(date +%s)
	scripts/vm.sh --nic softnic --kernel "$k" --queues 4 --timeout 400 \
		--extra "$out/extra" --results "$res" -- "$cmd" \
		>"$res/vm.log" 2>&1
	rc=$?
	if [ $rc -eq 0 ]; then
		ok "$k VM run: finished, console clean ($(($(date +%s) - start)) s)"
	else
		notok "$k VM run: exit $rc (124 timeout, 125 kernel trouble)"
		tail -10 "$res/vm.log" | sed 's/^/# /'
	fi
	sf_flows "$res/softflowd.err" >"$res/softflowd.flows" 2>/dev/null
	p0f_lines "$res/p0f.log" >"$res/p0f.lines" 2>/dev/null
	# softflowd exits 1 when shut down through its control socket (the
	# poll() count it leaves the loop with), on libpcap's devices too
	check "$k softflowd: through WireCAP, all $flows_n packets, exit 1 on softflowctl shutdown" \
		ran softflowd "$res" "$flows_n" 1
	check "$k softflowd: shut down as asked, flows flushed" \
		grep -q "Shutting down on user request" "$res/softflowd.err"
	check "$k softflowd: the same $sf_n flows as from the file (packets, bytes, flags)" \
		same "$f/softflowd.flows" "$res/softflowd.flows"
	check "$k tcpflow: through WireCAP, all $flows_n packets, exit 0 on SIGINT" \
		ran tcpflow "$res" "$flows_n"
	check "$k tcpflow: the same $tf_n stream files as from the file, byte for byte" \
		same_dir "$f/tcpflow" "$res/tcpflow"
	check "$k tcpflow: wrote its report.xml on the way out" \
		test -s "$res/tcpflow/report.xml"
	check "$k p0f: through WireCAP, all $p0f_n packets, exit 0 on SIGINT" \
		ran p0f "$res" "$p0f_n"
	check "$k p0f: says it processed all $p0f_tcp TCP packets (its filter)" \
		grep -q "Processed $p0f_tcp packets" "$res/p0f.out" "$res/p0f.err"
	check "$k p0f: the same $p0f_l log lines as from the file" \
		same "$f/p0f.lines" "$res/p0f.lines"
done
