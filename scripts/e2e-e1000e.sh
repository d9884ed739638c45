#!/bin/sh
# End-to-end capture from QEMU's e1000e NIC (82574L, 2 RX queues) driven by
# our e1000e.ko (drivers/intel/, scripts/intel-src.sh). Prints TAP.
#
# Per kernel:
#   - real traces replayed by tcpreplay on the host into the VM's tap,
#     captured by `wirecap capture` (one process per queue), then checked
#     on the host: the captured frames equal the trace's byte for byte
#     (wirecap-pcapcmp; the NIC pads frames shorter than 60 bytes with
#     zeroes), and every packet is on the queue RSS says (wirecap-rss: the
#     driver programs Microsoft's key, the tool's default, and a 128-entry
#     table alternating 0/1; QEMU 7.2's e1000e hashes IPv4/IPv6 on the
#     addresses and TCP on the ports too, UDP on the addresses only);
#   - one "tools" run: `wirecap handler` (x=300) on queue 0 beside `wirecap
#     profile` on queue 1 and `wirecap stats` while both are attached: the
#     handler's counters add up, handler + profile = the tap's TX packets,
#     stats shows both queues with the handler's and the profile's counts;
#   - one "ops" run: the NIC's life around a capture, checked in the guest
#     (the script below): the stack keeps queue 0 while queue 1 is
#     captured (a ping whose replies hash to queue 0), ethtool -r and a
#     link down/up keep the captured queue attached and receiving, a jumbo
#     MTU is refused while attached, VLAN stripping is off while attached,
#     injected MPC (debugfs inject_mpc) becomes queue 0's capture_drops,
#     and the stack gets its queue back after DETACH.
#
#   scripts/e2e-e1000e.sh [kernel ...]        default: 6.1 6.12
#
# Kernels are names as scripts/krel.sh knows them. Environment:
# WIRECAP_E2E_TRACES (names under shared/traces), WIRECAP_E2E_TIMEOUT
# (seconds per VM run [240]).
# (That each e1000e.ko carries the wirecap modinfo tag: scripts/check-intel.sh.)
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top" || exit 1
kernels=${*:-6.1 6.12}
traces=${WIRECAP_E2E_TRACES-"merc_capture2.pcap ppp_tls2.pcap"}
vmtimeout=${WIRECAP_E2E_TIMEOUT:-240}
shared=${WIRECAP_SHARED:-$top/../shared}
# QEMU 7.2's e1000e stops taking frames from the tap while a ring has no
# descriptors (the whole NIC, both queues): the tap's queue must hold what
# arrives meanwhile, as in e2e-virtio.sh.
txqueuelen=10000
ovtrace=ppp_tls2.pcap
# tcpdump under `wirecap exec` until the replay is done
tdcmd='wirecap exec tcpdump -Z root -n -B 16384 -i wirecap:$WIRECAP_IF \
	-w /results/all.pcap 2>/results/tcpdump.err &
pid=$!
while [ ! -e /run/wirecap/replay-done ]; do sleep 0.5; done
sleep 3
kill -INT $pid
wait $pid'
ovcmd='for q in 0 1; do
	wirecap capture -q $q -M 64 -R 4 -w /results/q$q.pcap \
		--until-file /run/wirecap/replay-done --idle-ms 1000 \
		> /results/q$q.txt 2>&1 &
done
wait'
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

# the tools run: handler on queue 0, profile on queue 1, stats while both
# are attached (the handler waits 2 s idle, the profile 4 s)
toolscmd='wirecap handler -q 0 -x 300 --json /results/handler.json \
	--until-file /run/wirecap/replay-done --idle-ms 2000 \
	>/results/handler.txt 2>&1 &
wirecap profile -q 1 --bin-ms 10 -o /results/profile.csv \
	--until-file /run/wirecap/replay-done --idle-ms 4000 \
	>/results/profile.txt 2>&1 &
while [ ! -e /run/wirecap/replay-done ]; do sleep 0.2; done
sleep 1
wirecap stats --json >/results/stats.json 2>/results/stats.err
wirecap stats >/results/stats.txt 2>&1
wait'
# tools.py RESULTS TAP_TX_PACKETS VM_EXIT: the tools run's checks, TAP
tools_py='
import csv, json, sys
res, sent, rc = sys.argv[1], int(sys.argv[2] or 0), sys.argv[3]
def check(cond, name, *why):
    print(("ok - " if cond and rc == "0" else "not ok - ") + name)
    if not (cond and rc == "0"):
        print("# VM exit", rc, *(str(w)[:300] for w in why))
def load(f):
    try:
        return json.load(open(f"{res}/{f}"))
    except (OSError, ValueError):
        return None
h, st = load("handler.json"), load("stats.json")
prof = 0
try:
    rows = list(csv.DictReader(open(f"{res}/profile.csv")))
    prof = sum(int(r["q1"]) for r in rows)
except (OSError, KeyError, ValueError):
    rows = None
t = h["total"] if h else None
check(t and t["received"] > 0 and
      t["received"] == t["delivered"] + t["dropped"] and
      t["processed"] == t["delivered"],
      "handler x=300 on queue 0: received = delivered + dropped", t)
check(t and rows and prof > 0 and t["received"] + prof == sent,
      "handler (queue 0) + profile (queue 1) = tap TX packets",
      "handler", t and t["received"], "profile", prof, "tap TX", sent)
qs = {k.rsplit("-q", 1)[1]: v for k, v in (st or {}).items()}
check(t and set(qs) == {"0", "1"} and
      qs["0"].get("received") == t["received"] and
      qs["1"].get("received") == prof,
      "stats beside them: both queues, their counts", st)
'
# the trace runs' guest command: one `wirecap capture` per queue
cmd='for q in 0 1; do
	wirecap capture -q $q -w /results/q$q.pcap --json /results/q$q.json \
		--until-file /run/wirecap/replay-done --idle-ms 1000 \
		> /results/q$q.txt 2>&1 &
done
wait'

# The ops run's guest command. Each check prints "CHECK ok|notok <name>";
# the host numbers them. The names are listed in $opsnames (the plan).
opscmd='
IF=$WIRECAP_IF H=$WIRECAP_HOST_IP G=${WIRECAP_GUEST_IP%/*} G2=169.254.77.6
S=/sys/class/wirecap/$IF
res() { if [ "$2" = 0 ]; then echo "CHECK ok $1"; else echo "CHECK notok $1"; fi; }
t() { n=$1; shift; "$@"; res "$n" $?; }
rd() { v=""; read -r v <"$1" 2>/dev/null; echo "${v:-}"; }
carrier() { # up to 10 s
	i=0
	while [ $i -lt 100 ]; do
		[ "$(rd /sys/class/net/$IF/carrier)" = 1 ] && return 0
		sleep 0.1; i=$((i + 1))
	done
	echo "# no carrier on $IF after 10 s"; return 1
}
waitatt() { # queue value: up to 10 s
	i=0
	while [ $i -lt 100 ]; do
		[ "$(rd $S-q$1/attached)" = "$2" ] && return 0
		sleep 0.1; i=$((i + 1))
	done
	echo "# $IF-q$1 attached is $(rd $S-q$1/attached), not $2"; return 1
}
pingfrom() { carrier; ping -c 3 -W 3 -I "$1" "$H"; }
recv() { rd $S-q$1/stats/received; }
grows() { # queue: traffic from $G, whose replies hash to queue 1
	a=$(recv $1)
	carrier
	ping -c 3 -W 1 -I "$G" "$H" >/dev/null 2>&1
	sleep 0.5
	b=$(recv $1)
	echo "# $IF-q$1 received $a -> $b"
	[ -n "$a" ] && [ -n "$b" ] && [ "$b" -gt "$a" ]
}
vlan() { # expected state of rx-vlan-offload
	s=$(ethtool -k "$IF" | sed -n "s/^rx-vlan-offload: \([a-z]*\).*/\1/p")
	echo "# rx-vlan-offload: $s"
	[ "$s" = "$1" ]
}
mtu_refused() {
	if ip link set "$IF" mtu 9000; then
		echo "# mtu 9000 accepted"; ip link set "$IF" mtu 1500; return 1
	fi
	[ "$(rd /sys/class/net/$IF/mtu)" = 1500 ]
}
mpc() {
	d=""
	for x in /sys/kernel/debug/wirecap_e1000e/*; do [ -d "$x" ] && d=$x; done
	[ -n "$d" ] || { echo "# no /sys/kernel/debug/wirecap_e1000e/<pci>"; return 1; }
	b=$(rd $S-q0/stats/capture_drops)
	echo 500 >"$d/inject_mpc" || return 1
	a=$(rd $S-q0/stats/capture_drops)
	echo "# $IF-q0 capture_drops $b -> $a"
	[ "$a" = $((b + 500)) ] && [ "$b" = 0 ]
}
mountpoint -q /sys/kernel/debug 2>/dev/null || mount -t debugfs debugfs /sys/kernel/debug
ip addr add "$WIRECAP_GUEST_IP" dev "$IF"
ip addr add "$G2/24" dev "$IF"
t "ping before any capture" pingfrom "$G"

wirecap capture -q 1 -w /results/ops-q1.pcap --json /results/ops-q1.json \
	--until-file /tmp/stop1 --idle-ms 300 >/results/ops-q1.txt 2>&1 &
p1=$!
t "queue 1 attached" waitatt 1 1
t "queue 1 captured: ping whose replies hash to queue 0" pingfrom "$G2"
t "queue 1 captured: its capture receives" grows 1
t "attached: rx-vlan-offload off" vlan off
t "attached: mtu 9000 refused" mtu_refused
ethtool -r "$IF"; sleep 1
t "ethtool -r: queue 1 still attached" waitatt 1 1
t "ethtool -r: the capture still receives" grows 1
t "ethtool -r: ping whose replies hash to queue 0" pingfrom "$G2"
ip link set "$IF" down; sleep 0.5; ip link set "$IF" up
t "link down/up: queue 1 still attached" waitatt 1 1
t "link down/up: the capture still receives" grows 1
t "link down/up: ping whose replies hash to queue 0" pingfrom "$G2"
touch /tmp/stop1; wait $p1
res "queue 1 capture exited 0" $?
t "queue 1 detached" waitatt 1 0
t "detached: rx-vlan-offload on" vlan on
t "after DETACH of queue 1: ping (replies would hash to queue 1)" pingfrom "$G"

wirecap capture -q 0 -w /results/ops-q0.pcap --json /results/ops-q0.json \
	--until-file /tmp/stop0 --idle-ms 300 >/results/ops-q0.txt 2>&1 &
p0=$!
t "queue 0 attached" waitatt 0 1
carrier
t "inject_mpc 500: queue 0 capture_drops 500" mpc
touch /tmp/stop0; wait $p0
res "queue 0 capture exited 0" $?
t "queue 0 detached" waitatt 0 0
t "after DETACH: ping" pingfrom "$G"
t "after DETACH: ping from the second address" pingfrom "$G2"
'
opsnames=$(printf '%s\n' "$opscmd" | sed -n 's/^\(t\|res\) "\([^"]*\)".*/\2/p')
nops=$(printf '%s\n' "$opsnames" | wc -l)

nk=$(echo $kernels | wc -w)
echo "1..$((nk * ($(echo $traces | wc -w) * 3 + 6 + nops)))"
for k in $kernels; do
	for t in $traces; do
		res=$top/results/e2e-e1000e/$k/${t%.*}
		log=$res.log
		rm -rf "$res"
		mkdir -p "$res"
		start=$(date +%s)
		scripts/vm.sh --nic e1000e --kernel "$k" --queues 2 \
			--txqueuelen $txqueuelen --timeout "$vmtimeout" \
			--trace "$shared/traces/$t" --results "$res" -- "$cmd" \
			>"$log" 2>&1
		rc=$?
		echo "# $k $t: VM run $(($(date +%s) - start)) s"
		if [ $rc -ne 0 ]; then
			notok "$k $t: VM run (exit $rc, see ${log#"$top"/})"
			tail -5 "$log" | sed 's/^/# /'
			notok "$k $t: captured = sent (skipped: no capture)"
			notok "$k $t: RSS queues (skipped: no capture)"
			continue
		fi
		ok "$k $t: VM run, $(sed -n 's/.*tcpreplay sent \([0-9]*\) packets.*/\1/p' "$log") packets replayed"
		check "$k $t: captured = sent, byte for byte" \
			build/host/wirecap-pcapcmp --min-len 60 "$shared/traces/$t" \
			"$res/q0.pcap" "$res/q1.pcap"
		check "$k $t: every packet on its RSS queue" \
			build/host/wirecap-rss --types ipv4,tcp4,ipv6,tcp6 \
			--table 128:2 check "$res/q0.pcap" "$res/q1.pcap"
	done

	# Overflow: a shallow tap, a tiny pool, the trace at top speed. QEMU's
	# model never counts MPC: it stops taking frames while a ring has no
	# descriptor, so the loss is the tap's. Every frame is accounted for:
	# captured (each exactly once, byte for byte) + tap drops = sent.
	res=$top/results/e2e-e1000e/$k/overflow
	log=$res.log
	rm -rf "$res"
	mkdir -p "$res"
	start=$(date +%s)
	scripts/vm.sh --nic e1000e --kernel "$k" --queues 2 --txqueuelen 200 \
		--timeout "$vmtimeout" --trace "$shared/traces/$ovtrace" \
		--results "$res" -- "$ovcmd" >"$log" 2>&1
	rc=$?
	echo "# $k overflow: VM run $(($(date +%s) - start)) s"
	sent=$(sed -n 's/.*tcpreplay sent \([0-9]*\) packets; tap TX [0-9]* packets, \([0-9]*\) dropped.*/\1/p' "$log")
	tdrop=$(sed -n 's/.*tcpreplay sent \([0-9]*\) packets; tap TX [0-9]* packets, \([0-9]*\) dropped.*/\2/p' "$log")
	build/host/wirecap-pcapcmp --min-len 60 "$shared/traces/$ovtrace" \
		"$res/q0.pcap" "$res/q1.pcap" >"$res/pcapcmp.txt" 2>&1
	miss=$(sed -n 's/^missing: *\([0-9]*\).*/\1/p' "$res/pcapcmp.txt")
	dup=$(sed -n 's/^duplicated: *\([0-9]*\).*/\1/p' "$res/pcapcmp.txt")
	extra=$(sed -n 's/^extra: *\([0-9]*\).*/\1/p' "$res/pcapcmp.txt")
	echo "# $k overflow: sent ${sent:-?}, tap dropped ${tdrop:-?}, not captured ${miss:-?}, duplicated ${dup:-?}, extra ${extra:-?}"
	if [ $rc -eq 0 ] && [ -n "$tdrop" ] && [ "${tdrop:-0}" -gt 0 ] &&
	   [ "$miss" = "$tdrop" ] && [ "$dup" = 0 ] && [ "$extra" = 0 ]; then
		ok "$k overflow: captured + tap drops = sent, none twice or corrupted"
	else
		notok "$k overflow: captured + tap drops = sent, none twice or corrupted"
		tail -5 "$log" | sed 's/^/# /'
	fi

	# Debian's tcpdump, unchanged, through the libpcap shim on both queues
	res=$top/results/e2e-e1000e/$k/tcpdump
	log=$res.log
	rm -rf "$res"
	mkdir -p "$res"
	start=$(date +%s)
	scripts/vm.sh --nic e1000e --kernel "$k" --queues 2 \
		--txqueuelen $txqueuelen --timeout "$vmtimeout" \
		--trace "$shared/traces/$ovtrace" --results "$res" -- "$tdcmd" \
		>"$log" 2>&1
	rc=$?
	echo "# $k tcpdump: VM run $(($(date +%s) - start)) s"
	if [ $rc -eq 0 ] && [ -s "$res/all.pcap" ]; then
		check "$k tcpdump through libwirecap-pcap: captured = sent, byte for byte" \
			build/host/wirecap-pcapcmp --min-len 60 \
			"$shared/traces/$ovtrace" "$res/all.pcap"
	else
		notok "$k tcpdump through libwirecap-pcap (VM exit $rc, see ${log#"$top"/})"
		tail -5 "$log" | sed 's/^/# /'
	fi

	# the tools, unchanged, on e1000e
	res=$top/results/e2e-e1000e/$k/tools
	log=$res.log
	rm -rf "$res"
	mkdir -p "$res"
	start=$(date +%s)
	scripts/vm.sh --nic e1000e --kernel "$k" --queues 2 \
		--txqueuelen $txqueuelen --timeout "$vmtimeout" \
		--trace "$shared/traces/$ovtrace" --results "$res" -- \
		"$toolscmd" >"$log" 2>&1
	rc=$?
	echo "# $k tools: VM run $(($(date +%s) - start)) s"
	tx=$(sed -n 's/^tap_tx_packets=//p' "$res/host-replay.txt" 2>/dev/null)
	python3 -c "$tools_py" "$res" "${tx:-0}" $rc >"$res.tap" 2>&1
	while IFS= read -r line; do
		case $line in
		"ok - "*) ok "$k tools: ${line#ok - }" ;;
		"not ok - "*) notok "$k tools: ${line#not ok - }" ;;
		*) echo "$line" ;;
		esac
	done <"$res.tap"

	res=$top/results/e2e-e1000e/$k/ops
	log=$res.log
	rm -rf "$res"
	mkdir -p "$res"
	start=$(date +%s)
	scripts/vm.sh --nic e1000e --kernel "$k" --timeout "$vmtimeout" \
		--results "$res" -- "$opscmd" >"$log" 2>&1
	rc=$?
	echo "# $k ops: VM run $(($(date +%s) - start)) s"
	if [ $rc -eq 0 ]; then
		ok "$k ops: VM run"
	else
		notok "$k ops: VM run (exit $rc, see ${log#"$top"/})"
		tail -5 "$log" | sed 's/^/# /'
	fi
	printf '%s\n' "$opsnames" | while IFS= read -r name; do
		r=$(grep -F " $name" "$res/cmd.log" 2>/dev/null |
			sed -n "s/^CHECK \(ok\|notok\) $(printf '%s' "$name" |
				sed 's/[]\/$*.^[]/\\&/g')\$/\1/p" | head -1)
		case $r in
		ok) echo "ok - $k ops: $name" ;;
		notok) echo "not ok - $k ops: $name" ;;
		*) echo "not ok - $k ops: $name (no result)" ;;
		esac
	done >"$res.tap"
	while IFS= read -r line; do
		case $line in
		"ok - "*) ok "${line#ok - }" ;;
		*) notok "${line#not ok - }" ;;
		esac
	done <"$res.tap"
	grep '^# ' "$res/cmd.log" 2>/dev/null | sed 's/^/#   /' | head -40
done
