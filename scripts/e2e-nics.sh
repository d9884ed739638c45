#!/bin/sh
# The test VM's second NIC (scripts/vm.sh --nics 2, make vm NICS=2): the
# guest finds it as $WIRECAP_IF2, and in the tap modes the host records
# every frame the guest sends out of it into <results>/nic2.pcap. Prints
# TAP.
#
# Per kernel, one run per NIC mode:
#   virtio-stock  the guest sends 3 ARP requests out of $WIRECAP_IF2
#                 (busybox arping); nic2.pcap holds exactly those 3, from
#                 the second NIC's MAC, and nothing else
#   virtio        the same through wirecap_virtio.ko (the stack's frames
#                 go out of its transmit virtqueue 0); each NIC has its
#                 WireCAP queues
#   e1000e        the same through our e1000e.ko (2 adapters registered
#                 with WireCAP); each NIC has its 2 WireCAP queues
#   softnic       nr_devices=2: $WIRECAP_IF2 is the second software NIC
#                 and has its WireCAP queues
#
#   scripts/e2e-nics.sh [kernel ...]        default: 6.1
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top" || exit 1
kernels=${*:-6.1}
n=0
ok() { n=$((n + 1)); echo "ok $n $*"; }
notok() { n=$((n + 1)); echo "not ok $n $*"; }

# the guest: each WireCAP queue of both NICs, then 3 ARP requests out of
# the second (which has an address of its own, so arping has a source)
cmd='echo "IF=$WIRECAP_IF IF2=$WIRECAP_IF2"
[ -n "$WIRECAP_IF2" ] || exit 3
ls -d /sys/class/wirecap/* 2>/dev/null | sed "s,.*/,WQ ,"
if [ "$WIRECAP_NIC" != softnic ]; then
	ip addr add 10.77.0.2/24 dev "$WIRECAP_IF2" || exit 4
	# a link comes up a while after the interface does (e1000e: ~2 s)
	i=0
	while [ $i -lt 100 ]; do
		read -r c </sys/class/net/$WIRECAP_IF2/carrier
		[ "$c" = 1 ] && break
		sleep 0.1
		i=$((i + 1))
	done
	echo "carrier $c after $i tenths of a second"
	arping -c 3 -w 5 -I "$WIRECAP_IF2" 10.77.0.1
	echo "arping exit $?"
	echo "tx_packets $(cat /sys/class/net/$WIRECAP_IF2/statistics/tx_packets)"
fi
exit 0'

echo "1..$(($(echo $kernels | wc -w) * 10))"
for k in $kernels; do
	for nic in virtio-stock virtio e1000e softnic; do
		res=$top/results/e2e-nics/$k/$nic
		rm -rf "$res"
		mkdir -p "$res"
		scripts/vm.sh --nic $nic --kernel "$k" --nics 2 --queues 2 \
			--timeout 120 --results "$res" -- "$cmd" \
			>"$res.log" 2>&1
		rc=$?
		if [ $rc = 0 ] && grep -q '^IF=[^ ]* IF2=[^ ]' "$res/cmd.log"; then
			ok "$k $nic: the guest has \$WIRECAP_IF2 ($(sed -n 's/^IF=\([^ ]*\) IF2=\(.*\)/\1, \2/p' "$res/cmd.log"))"
		else
			notok "$k $nic: the guest has \$WIRECAP_IF2 (VM exit $rc, see ${res#"$top"/}.log)"
			tail -5 "$res.log" | sed 's/^/# /'
		fi
		if2=$(sed -n 's/^IF=[^ ]* IF2=//p' "$res/cmd.log" 2>/dev/null)
		case $nic in
		virtio-stock)
			continue ;;	# the stock driver has no WireCAP queues
		esac
		# the second NIC's WireCAP queues: --queues 2 (the e1000e
		# has 2)
		if [ -n "$if2" ] && grep -qx "WQ $if2-q1" "$res/cmd.log" &&
		   [ "$(grep -c '^WQ ' "$res/cmd.log")" = 4 ]; then
			ok "$k $nic: both NICs have their WireCAP queues"
		else
			notok "$k $nic: both NICs have their WireCAP queues"
			grep '^WQ ' "$res/cmd.log" 2>/dev/null | sed 's/^/# /'
		fi
	done
	for nic in virtio-stock virtio e1000e; do
		res=$top/results/e2e-nics/$k/$nic
		# the frames recorded: source MAC, type, ARP target
		frames=$(tcpdump -r "$res/nic2.pcap" -n -e 2>/dev/null)
		arp=$(printf '%s\n' "$frames" |
			grep -c '^[0-9:.]* 52:54:00:12:34:57 > ff:ff:ff:ff:ff:ff, ethertype ARP.*Request who-has 10\.77\.0\.1 .*tell 10\.77\.0\.2,')
		all=$(printf '%s\n' "$frames" | grep -c .)
		if [ "$arp" = 3 ] && [ "$all" = 3 ]; then
			ok "$k $nic: the host recorded the 3 ARP requests sent out of the second NIC, nothing else"
		else
			notok "$k $nic: the host recorded the 3 ARP requests sent out of the second NIC, nothing else ($arp ARP of $all)"
			printf '%s\n' "$frames" | head -5 | sed 's/^/# /'
		fi
	done
done
