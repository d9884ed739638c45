#!/bin/sh
# The virtio NIC drops like a NIC: a pool that is full loses frames in the
# guest, where they are counted (capture_drops), not on the host's tap.
#
# The host sends 20,000 64-byte frames (16 flows over the 4 queues) at
# 20,000 a second with wirecap-tap-gen (which keeps its pace and counts
# what it could not send) into a tap of txqueuelen 1000. In the guest
# `wirecap handler` attaches pools of 17 chunks of 64 cells (just over
# the 1024-entry virtqueue QEMU is given here) to the 4 queues and is
# stopped (SIGSTOP) as soon as they are attached, until the replay has
# ended: the pools fill and stay full, about 4,350 frames in all, and
# the guest's CPUs are free to drop the rest as fast as they come (a
# handler that keeps them busy is the bench's case: there the guest may
# not even get to drop frames in time). Then it reads what the pools
# hold and ends. Checked, per kernel:
#   overflow      the guest dropped frames (capture_drops > 0)
#   nothing lost on the host: the tap dropped nothing and handed QEMU
#                 every frame sent
#   accounted     the tap's TX packets = received + capture_drops in the
#                 guest (every queue's sysfs counters)
#   handler       its drop rate = the end-to-end loss (sent - delivered)
#                 / sent, and its received = the tap's TX packets
#   flow control  the same run with flow control on (ethtool -A tx on,
#                 vm.sh --flow-control): ethtool reports it, the NIC
#                 drops nothing (capture_drops 0) but received frames,
#                 and the tap held frames back until it overflowed
# Prints TAP.
#
#   scripts/e2e-drops.sh [kernel ...]        default: 6.1 6.12
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top" || exit 1
kernels=${*:-6.1 6.12}
out=$top/results/e2e-drops
frames=20000 rate=20000
n=0
ok() { n=$((n + 1)); echo "ok $n $*"; }
notok() { n=$((n + 1)); echo "not ok $n $*"; }

mkdir -p "$out"
python3 bench/gen_burst.py $frames "$out/flows.pcap" 16 || exit 1
# the trace's frames are 1 us apart: this multiplier makes $rate a second
speed=$(awk -v r=$rate 'BEGIN { printf "%g", r / 1000000 }')

# the guest: the handler, then every queue's counters (name received drops)
cmd='ethtool -a $WIRECAP_IF >/results/pause.txt 2>&1
attached() {
	for a in /sys/class/wirecap/$WIRECAP_IF-q*/attached; do
		read -r v <$a
		[ "$v" = 1 ] || return 1
	done
}
wirecap handler -M 64 -R 17 --until-file /run/wirecap/replay-done \
	--idle-ms 1000 --json /results/h.json >/results/h.txt 2>&1 &
pid=$!
i=0
until attached || [ $i -ge 200 ]; do sleep 0.05; i=$((i + 1)); done
kill -STOP $pid
i=0
until [ -f /run/wirecap/replay-done ] || [ $i -ge 1200 ]; do
	sleep 0.1; i=$((i + 1))
done
kill -CONT $pid
wait $pid
echo $? >/results/h.rc
for d in /sys/class/wirecap/$WIRECAP_IF-q*; do
	echo "${d##*/} $(cat $d/stats/received) $(cat $d/stats/capture_drops)"
done >/results/qstats.txt'

# check.py RES PAUSE: the checks of one run, as "ok|notok text" lines
check_py='
import json, sys
res, pause, vmrc = sys.argv[1], sys.argv[2] == "1", int(sys.argv[3])
def kv(path):
    d = {}
    try:
        for line in open(path):
            k, _, v = line.strip().partition("=")
            d[k] = v
    except OSError:
        pass
    return d
def num(v):
    try:
        return int(v)
    except (TypeError, ValueError):
        return None
host = kv(f"{res}/host-replay.txt")
sent, tx, txdrop = (num(host.get(k)) for k in
                    ("packets_sent", "tap_tx_packets", "tap_tx_dropped"))
recv = drops = 0
nq = 0
try:
    for line in open(f"{res}/qstats.txt"):
        _, r, d = line.split()
        recv += int(r)
        drops += int(d)
        nq += 1
except (OSError, ValueError):
    nq = 0
try:
    h = json.load(open(f"{res}/h.json"))["total"]
    hrc = int(open(f"{res}/h.rc").read())
except (OSError, ValueError, KeyError):
    h, hrc = {}, 1
counts = (f"sent {sent}, tap TX {tx} dropped {txdrop}; guest received "
          f"{recv} + capture_drops {drops} over {nq} queues")
def out(good, text):
    print(("ok " if good else "notok ") + text)
if pause:
    try:
        on = any(l.split()[:2] == ["TX:", "on"] for l in open(f"{res}/pause.txt"))
    except OSError:
        on = False
    out(vmrc == 0 and on and nq == 4 and drops == 0 and hrc == 0 and
        recv > 0 and txdrop is not None and txdrop > 0,
        f"flow control: ethtool reports TX on, the NIC dropped nothing, "
        f"the tap did ({counts})")
    sys.exit(0)
out(nq == 4 and drops > 0, f"overflow: the guest counted drops ({counts})")
out(sent is not None and sent > 0 and txdrop == 0 and tx == sent,
    f"nothing lost on the host: the tap handed QEMU every frame ({counts})")
out(tx is not None and tx == recv + drops,
    f"accounted: tap TX packets = received + capture_drops ({counts})")
if h and sent:
    loss = (sent - h.get("delivered", 0)) / sent
    rate, hrecv = h.get("drop_rate", -1), h.get("received")
    out(vmrc == 0 and hrc == 0 and hrecv == tx and abs(rate - loss) < 1e-5,
        f"handler: drop rate {rate} = end-to-end loss {loss:.6f}, "
        f"received {hrecv} = tap TX {tx} (VM exit {vmrc})")
else:
    out(False, f"handler: ran (exit {hrc}, VM exit {vmrc}, {res}/h.txt)")
'

echo "1..$(($(echo $kernels | wc -w) * 5))"
for k in $kernels; do
	for mode in drop flow-control; do
		res=$out/$k-$mode
		rm -rf "$res"
		mkdir -p "$res"
		pause=0 opt=""
		[ $mode = flow-control ] && pause=1 opt=--flow-control
		# shellcheck disable=SC2086  # ($opt: one word or none)
		scripts/vm.sh --nic virtio --kernel "$k" --queues 4 $opt \
			--trace "$out/flows.pcap" --speed "$speed" --gen tapgen \
			--txqueuelen 1000 --timeout 300 --results "$res" \
			-- "$cmd" >"$res.log" 2>&1
		rc=$?
		if [ $rc != 0 ]; then
			echo "# $k $mode: VM exit $rc (${res#"$top"/}.log)"
			tail -5 "$res.log" | sed 's/^/# /'
		fi
		python3 -c "$check_py" "$res" $pause $rc >"$res.check" 2>&1
		while read -r r rest; do
			case $r in
			ok) ok "$k $mode $rest" ;;
			notok) notok "$k $mode $rest" ;;
			*) echo "# $r $rest" ;;
			esac
		done <"$res.check"
		if [ $rc = 125 ]; then
			echo "# $k $mode: kernel trouble on the console"
		fi
	done
done
exit 0
