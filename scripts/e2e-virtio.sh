#!/bin/sh
# End-to-end capture from the virtio-net NIC: real traces replayed by
# tcpreplay on the host into the VM's tap, captured by `wirecap capture`
# (one process per queue), then checked on the host:
#   - the multiset of captured frames equals the trace's frames that fit
#     the link, byte for byte (wirecap-pcapcmp);
#   - every packet is on the queue an independent Toeplitz RSS says
#     (wirecap-rss, QEMU's model, the driver's key and table);
# Prints TAP.
#
#   scripts/e2e-virtio.sh [kernel ...]        default: 6.1 6.12
#
# Kernels are names as scripts/krel.sh knows them (6.1, 6.12, debug).
# Environment: WIRECAP_E2E_TRACES (the traces, names under shared/traces;
# the debug kernel's run takes one, `make test-debug`), WIRECAP_E2E_TIMEOUT
# (seconds per VM run [240]).
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
kernels=${*:-6.1 6.12}
traces=${WIRECAP_E2E_TRACES:-"merc_capture2.pcap ppp_tls2.pcap tcpd_802.1ad_QinQ.pcap
ndpi_alexa-app.pcapng merc_emix.pcap"}
vmtimeout=${WIRECAP_E2E_TIMEOUT:-240}
shared=${WIRECAP_SHARED:-$top/../shared}
queues=4
# The host tap's queue is the NIC's FIFO: these runs check correctness at
# tcpreplay's top speed, so it is deep enough to hold a whole trace, and
# the NIC's flow control is on (vm.sh --flow-control): a full pool
# holds frames back instead of dropping them. Loss at realistic depths
# is the benchmark's subject, and drops scripts/e2e-drops.sh's.
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

# the guest command: one `wirecap capture` per queue, each with its JSON
cmd='for q in $(seq 0 $((WIRECAP_QUEUES - 1))); do
	wirecap capture -q $q -w /results/q$q.pcap --json /results/q$q.json \
		--until-file /run/wirecap/replay-done --idle-ms 1000 \
		> /results/q$q.txt 2>&1 &
done
wait'

echo "1..$(( $(echo $kernels | wc -w) * $(echo $traces | wc -w) * 3 ))"
for k in $kernels; do
	for t in $traces; do
		res=$top/results/e2e/$k/${t%.*}
		log=$res.log
		rm -rf "$res"
		mkdir -p "$res"
		files=""
		for q in $(seq 0 $((queues - 1))); do files="$files $res/q$q.pcap"; done
		scripts/vm.sh --nic virtio --kernel "$k" --queues $queues \
			--txqueuelen $txqueuelen --flow-control --timeout "$vmtimeout" \
			--trace "$shared/traces/$t" --results "$res" -- "$cmd" \
			>"$log" 2>&1
		rc=$?
		if [ $rc -ne 0 ]; then
			notok "$k $t: VM run (exit $rc, see ${log#$top/})"
			tail -5 "$log" | sed 's/^/# /'
			notok "$k $t: captured = sent (skipped: no capture)"
			notok "$k $t: RSS queues (skipped: no capture)"
			continue
		fi
		ok "$k $t: VM run, $(sed -n 's/.*tcpreplay sent \([0-9]*\) packets.*/\1/p' "$log") packets replayed"
		check "$k $t: captured = sent, byte for byte" \
			build/host/wirecap-pcapcmp "$shared/traces/$t" $files
		check "$k $t: every packet on its RSS queue" \
			build/host/wirecap-rss --model qemu check $files
	done
done
