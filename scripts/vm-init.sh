#!/bin/sh
# /init of the WireCAP test VM (busybox ash, PID 1). Packed by
# scripts/mkinitramfs.sh, booted by scripts/vm.sh.
#
# Contract with vm.sh:
#   - two virtio-blk disks, told apart by their serial numbers (vm.sh sets
#     them; /sys/block/vdX/serial), falling back to probe order = order on
#     the QEMU command line (input first):
#       wirecap-in   read-only tar archive: cmd.sh (the command), env
#                    (QUEUES=, NICS=1|2, SPEED=, TRACE=0|1, NIC=softnic|virtio|
#                    virtio-stock|e1000e|e1000e-stock; e1000e modes also
#                    HOST_IP=, GUEST_IP=), trace.pcap if TRACE=1,
#                    extra/ (copied to /extra)
#       wirecap-out  zeroed disk; we write `tar -c -C /results .` onto it
#   - console on ttyS0: the command's output, the line
#     "### WIRECAP EXIT <rc>", and kernel messages of level warning or worse
#   - /results/exit-code holds the command's exit status
#   - with TRACE=1: once a WireCAP queue is attached (or the command asks by
#     creating /run/wirecap/start-replay) and the attaching has settled,
#     the line "### WIRECAP ATTACHED" on the console; or, after 60 s or
#     when the command ended first, "### WIRECAP NOT ATTACHED". Then the
#     trace is replayed: by us into the software NIC (NIC=softnic), or by
#     the host into the tap behind the virtio-net NIC. When the replay has
#     ended, /run/wirecap/replay-done appears, holding one line
#     "REPLAY DONE <exit status of the replayer> <packets sent>".
#   - virtio and e1000e modes: a second serial port, ttyS1, carries lines
#     from the host: "REPLAY DONE <rc> <packets>" when its replay has ended.
#   - /results/guest-nic.txt: "<interface> <driver>" of $WIRECAP_IF, then
#     the driver module's "build-id=<hex>" and "taint=<flags>" if it has them
#   - e1000e modes: /etc/wirecap/kmods.e1000e lists the e1000e module (ours
#     in e1000e mode, the kernel's in e1000e-stock mode: mkinitramfs.sh -n
#     or -e) after what it needs; only then is it loaded. Our e1000e.ko is
#     never among the modules loaded at boot (ixgbe.ko not in the image).
#
# PID 1 must never exit (the kernel would panic): every path ends in
# finish(), which powers the machine off.

export PATH=/usr/lib/wirecap/bin:/sbin:/usr/sbin:/bin:/usr/bin
export HOME=/tmp

log() { echo "vm-init: $*"; }

# Save what we have onto the output disk and power off. $1: exit status.
finish() {
	rc=$1
	dmesg >/results/dmesg.txt 2>/dev/null
	echo "$rc" >/results/exit-code
	echo "### WIRECAP EXIT $rc"
	if [ -n "${outdev:-}" ]; then
		tar -c -f "$outdev" -C /results . ||
			log "writing /results to $outdev failed (larger than the output disk?)"
	else
		log "no output disk: results are lost"
	fi
	sync
	poweroff -f
	# Only reached if poweroff failed.
	echo o >/proc/sysrq-trigger
	while :; do sleep 60; done
}

# --- file systems -------------------------------------------------------------
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
exec </dev/null >/dev/console 2>&1
mount -t debugfs debugfs /sys/kernel/debug
mount -t bpf bpf /sys/fs/bpf	# libxdp pins its XDP dispatcher here
mount -t tmpfs tmpfs /tmp
mount -t tmpfs tmpfs /results
mkdir -p /dev/shm /dev/pts
mount -t tmpfs tmpfs /dev/shm
mount -t devpts devpts /dev/pts
hostname wirecap-vm
ip link set lo up 2>/dev/null
# "quiet" keeps the boot silent; from now on let warnings (WARN(), lockups,
# our pr_warn) reach the console, where vm.sh looks for them.
dmesg -n 5
# A task stuck in the kernel for 10 s is reported (and so fails the run).
echo 10 > /proc/sys/kernel/hung_task_timeout_secs 2>/dev/null

# --- kernel modules -------------------------------------------------------------
while read -r m; do
	insmod "$m" || log "insmod $m failed"
done </etc/wirecap/kmods

# --- disks ----------------------------------------------------------------------
# Wait (up to 10 s) for two virtio disks, then pick them by serial number.
indev="" outdev=""
i=0
while [ $i -lt 200 ]; do
	set -- /sys/block/vd*
	[ -e "$2" ] && [ -b "/dev/${2##*/}" ] && break
	sleep 0.05
	i=$((i + 1))
done
for d in /sys/block/vd*; do
	[ -e "$d" ] || continue
	serial=""
	[ -r "$d/serial" ] && read -r serial <"$d/serial"
	case $serial in
	wirecap-in) indev=/dev/${d##*/} ;;
	wirecap-out) outdev=/dev/${d##*/} ;;
	esac
done
if [ -z "$indev" ] || [ -z "$outdev" ]; then
	log "disk serial numbers not found; assuming vda=input, vdb=output"
	[ -b /dev/vda ] && indev=/dev/vda
	[ -b /dev/vdb ] && outdev=/dev/vdb
fi
if [ -z "$indev" ]; then
	log "no input disk (virtio_blk missing?); ls /sys/block: $(ls /sys/block)"
	finish 126
fi
mkdir -p /in
if ! tar -x -f "$indev" -C /in; then
	log "cannot read the input archive from $indev"
	finish 126
fi
[ -d /in/extra ] && mv /in/extra /extra

QUEUES=4 NICS=1 MTU=1500 FLOW_CONTROL=0 SPEED=top TRACE=0 NIC=softnic HOST_IP="" GUEST_IP=""
# shellcheck source=/dev/null
[ -f /in/env ] && . /in/env
if [ ! -f /in/cmd.sh ]; then
	log "no command in the input archive"
	finish 126
fi

# --- our modules ------------------------------------------------------------------
krel=$(uname -r)
export WIRECAP_MODDIR=/lib/modules/$krel/extra
load_ours() {
	# $1: module file; the rest: parameters
	insmod "$@" || log "insmod ${1##*/} failed (status $?)"
}
# wirecap.ko first; wirecap_softnic.ko makes its NIC only in softnic mode;
# wirecap_virtio.ko is loaded in virtio mode only (in softnic mode it would
# pin wirecap.ko, which module_unload expects to be able to unload).
[ -f "$WIRECAP_MODDIR/wirecap.ko" ] && load_ours "$WIRECAP_MODDIR/wirecap.ko"
for ko in "$WIRECAP_MODDIR"/*.ko; do
	[ -f "$ko" ] || continue
	case ${ko##*/} in
	wirecap.ko | wirecap_virtio.ko) ;;
	wirecap_softnic.ko)
		if [ "$NIC" = softnic ]; then
			load_ours "$ko" "nr_queues=$QUEUES" "nr_devices=$NICS"
		else
			load_ours "$ko" nr_devices=0
		fi
		;;
	*) load_ours "$ko" ;;
	esac
done

# The netdev bound to driver $1 (its device/driver link: a virtio or PCI
# driver) with MAC address $2, if any (vm.sh: the first NIC ends in :56,
# the second in :57).
driver_netdev() {
	for n in /sys/class/net/*; do
		d=$(readlink "$n/device/driver" 2>/dev/null) || continue
		[ "${d##*/}" = "$1" ] || continue
		read -r a <"$n/address" 2>/dev/null || continue
		[ "$a" = "$2" ] && { echo "${n##*/}"; return 0; }
	done
	return 1
}

WIRECAP_IF="" WIRECAP_IF2="" nicdrv=""
case $NIC in
softnic)
	# The software NIC's interface: the first directory under its debugfs root.
	nicdrv=wirecap_softnic
	for e in /sys/kernel/debug/wirecap_softnic/*; do
		[ -d "$e" ] || continue
		case ${e##*/} in
		new_device | del_device) continue ;;
		esac
		if [ -z "$WIRECAP_IF" ]; then
			WIRECAP_IF=${e##*/}
		elif [ "$NICS" = 2 ]; then
			WIRECAP_IF2=${e##*/}
			break
		fi
	done
	if [ -n "$WIRECAP_IF" ]; then
		[ -e "/sys/class/net/$WIRECAP_IF" ] ||
			log "warning: $WIRECAP_IF (from debugfs) is not a network interface"
	fi
	;;
virtio)
	nicdrv=wirecap_virtio
	if [ -f "$WIRECAP_MODDIR/wirecap_virtio.ko" ]; then
		load_ours "$WIRECAP_MODDIR/wirecap_virtio.ko"
	else
		log "no wirecap_virtio.ko in the image"
	fi
	# Should the kernel have bound virtio_net to the NIC (built in, or
	# loaded by someone), take each virtio-net device (device id 0x0001)
	# over: unbind from virtio_net, bind to ours. The virtio bus has no
	# driver_override; our id_table matches, so a manual bind works.
	if [ -d /sys/bus/virtio/drivers/wirecap_virtio ]; then
		for d in /sys/bus/virtio/devices/*; do
			id=""
			read -r id <"$d/device" 2>/dev/null
			[ "$id" = 0x0001 ] || continue
			drv=$(readlink "$d/driver" 2>/dev/null) || continue
			[ "${drv##*/}" = virtio_net ] || continue
			log "${d##*/}: moving from virtio_net to wirecap_virtio"
			echo "${d##*/}" >/sys/bus/virtio/drivers/virtio_net/unbind ||
				log "unbinding ${d##*/} from virtio_net failed"
			echo "${d##*/}" >/sys/bus/virtio/drivers/wirecap_virtio/bind ||
				log "binding ${d##*/} to wirecap_virtio failed"
		done
	fi
	;;
virtio-stock)
	# The peer baseline: the kernel's own virtio_net (with the guest's
	# network stack behind it), not our driver.
	nicdrv=virtio_net
	log "NIC: the STOCK virtio_net driver (not wirecap_virtio)"
	if [ -f /etc/wirecap/kmods.virtio_net ]; then
		while read -r m; do
			insmod "$m" || log "insmod $m failed"
		done </etc/wirecap/kmods.virtio_net
	else
		log "no virtio_net modules in the image"
	fi
	;;
e1000e | e1000e-stock)
	# QEMU's 82574L: our e1000e.ko (Debian's e1000e with our hooks and
	# glue, after wirecap.ko) or the kernel's own; the image holds one of
	# them, listed in kmods.e1000e after what it needs.
	nicdrv=e1000e
	if [ "$NIC" = e1000e ]; then
		log "NIC: e1000e, OUR e1000e.ko"
	else
		log "NIC: e1000e, the STOCK e1000e driver"
	fi
	if [ -f /etc/wirecap/kmods.e1000e ]; then
		while read -r m; do
			insmod "$m" || log "insmod $m failed"
		done </etc/wirecap/kmods.e1000e
	else
		log "no e1000e module in the image"
	fi
	;;
*)
	log "unknown NIC mode '$NIC'"
	;;
esac
if [ "$NIC" != softnic ]; then
	# The netdev appears during the driver's probe; allow it 5 s.
	i=0
	while [ $i -lt 100 ]; do
		WIRECAP_IF=$(driver_netdev "$nicdrv" 52:54:00:12:34:56) &&
		{ [ "$NICS" = 1 ] ||
		  WIRECAP_IF2=$(driver_netdev "$nicdrv" 52:54:00:12:34:57); } &&
			break
		sleep 0.05
		i=$((i + 1))
	done
	[ "$NICS" = 1 ] || [ -n "$WIRECAP_IF2" ] ||
		log "no second network interface driven by $nicdrv"
	if [ -n "$WIRECAP_IF" ]; then
		# A capture port: all frames (QEMU filters by MAC unless promiscuous),
		# and no IPv6 chatter of our own.
		echo 1 >"/proc/sys/net/ipv6/conf/$WIRECAP_IF/disable_ipv6" 2>/dev/null
		ip link set dev "$WIRECAP_IF" promisc on ||
			log "ip link set $WIRECAP_IF promisc on failed"
	else
		log "no network interface driven by $nicdrv"
	fi
fi
if [ -n "$WIRECAP_IF2" ]; then
	echo 1 >"/proc/sys/net/ipv6/conf/$WIRECAP_IF2/disable_ipv6" 2>/dev/null
	ip link set dev "$WIRECAP_IF2" mtu "$MTU" ||
		log "ip link set $WIRECAP_IF2 mtu $MTU failed"
	ip link set dev "$WIRECAP_IF2" up || log "ip link set $WIRECAP_IF2 up failed"
	log "WIRECAP_IF2=$WIRECAP_IF2 (driver $nicdrv, the second NIC)"
fi
if [ -n "$WIRECAP_IF" ]; then
	ip link set dev "$WIRECAP_IF" mtu "$MTU" ||
		log "ip link set $WIRECAP_IF mtu $MTU failed"
	ip link set dev "$WIRECAP_IF" up || log "ip link set $WIRECAP_IF up failed"
	log "WIRECAP_IF=$WIRECAP_IF (driver $nicdrv, NIC mode $NIC)"
	# flow control (scripts/vm.sh --flow-control): our virtio driver
	# holds frames back instead of dropping them when the pool is full
	if [ "$FLOW_CONTROL" = 1 ] && [ "$NIC" = virtio ]; then
		for i in $WIRECAP_IF $WIRECAP_IF2; do
			ethtool -A "$i" tx on || log "ethtool -A $i tx on failed"
		done
	fi
	# Which module file it is (its GNU build ID: the note's 16-byte
	# header skipped), and the kernel's taint by it (O: out of tree).
	more=""
	n=/sys/module/$nicdrv/notes/.note.gnu.build-id
	v=$(od -An -tx1 -v -j 16 "$n" 2>/dev/null | tr -d ' \n')
	[ -z "$v" ] || more=" build-id=$v"
	v=""
	[ -r "/sys/module/$nicdrv/taint" ] && read -r v <"/sys/module/$nicdrv/taint"
	[ -z "$v" ] || more="$more taint=$v"
	echo "$WIRECAP_IF $nicdrv$more" >/results/guest-nic.txt
fi

# Replay handshake files (see the top of this file).
mkdir -p /run/wirecap
# replay_done RC PACKETS: publish the end of the replay, atomically.
replay_done() {
	echo "REPLAY DONE $1 $2" >/run/wirecap/.replay-done.tmp
	mv /run/wirecap/.replay-done.tmp /run/wirecap/replay-done
}
# In tap modes the host says when its replay has ended, on ttyS1.
if [ "$NIC" != softnic ] && [ "$TRACE" = 1 ]; then
	if [ -c /dev/ttyS1 ] && stty -F /dev/ttyS1 raw -echo 2>/dev/null; then
		(
			while IFS= read -r line; do
				case $line in
				"REPLAY DONE "*)
					set -- $line
					replay_done "${3:-255}" "${4:-0}"
					log "host: $line"
					;;
				esac
			done </dev/ttyS1
		) &
	else
		log "no /dev/ttyS1: the end of the host's replay will not be seen"
	fi
fi

export WIRECAP_IF WIRECAP_IF2 WIRECAP_QUEUES=$QUEUES WIRECAP_KERNEL=$krel WIRECAP_NIC=$NIC
# e1000e modes: the host's end of the tap, and an address for the guest's
# (not set: the NIC carries only what the command sends or the host replays)
[ -z "$HOST_IP" ] || export WIRECAP_HOST_IP="$HOST_IP" WIRECAP_GUEST_IP="$GUEST_IP"
export WIRECAP_RESULTS=/results
[ "$TRACE" = 1 ] && [ -f /in/trace.pcap ] && export WIRECAP_TRACE=/in/trace.pcap
[ -d /extra ] && export WIRECAP_EXTRA=/extra

# --- the command --------------------------------------------------------------------
# Runs in /tmp with stdin from /dev/null; output to the console and cmd.log.
# The status goes through a file because of the pipe into tee.
run_cmd() {
	(cd /tmp && sh -c "$(cat /in/cmd.sh)" </dev/null 2>&1
		echo $? >/tmp/.cmd-rc) | tee /results/cmd.log
}

# How many WireCAP queues are attached (a capture user bound to them); $1:
# a glob of /sys/class/wirecap entries.
nattached() {
	n=0
	for f in /sys/class/wirecap/$1/attached; do
		[ -r "$f" ] || continue
		v=""
		read -r v <"$f" 2>/dev/null
		[ "$v" = 1 ] && n=$((n + 1))
	done
	echo $n
}

uptime_s() { read -r up _ </proc/uptime; echo "${up%.*}"; }

if [ "$TRACE" = 1 ]; then
	run_cmd &
	cmdpid=$!
	# Wait up to 60 s for a capture to attach (or for the command to ask),
	# checking every 50 ms; give up early if the command has already
	# finished.
	deadline=$(($(uptime_s) + 60))
	ok=0
	while [ ! -f /tmp/.cmd-rc ] && [ "$(uptime_s)" -lt "$deadline" ]; do
		if [ -e /run/wirecap/start-replay ]; then
			ok=1
			log "the command asked for the replay (/run/wirecap/start-replay)"
			break
		fi
		if [ "$(nattached '*')" -gt 0 ]; then
			ok=1
			# A capture attaches its queues one after another: wait until
			# all of $WIRECAP_IF's are, or none more came for 0.5 s (at
			# most 3 s).
			all=$(ls -d /sys/class/wirecap/"$WIRECAP_IF"-q* 2>/dev/null | wc -l)
			last=-1 still=0 i=0
			while [ $i -lt 60 ] && [ $still -lt 10 ]; do
				n=$(nattached "$WIRECAP_IF-q*")
				[ "$n" -ge "$all" ] && [ "$all" -gt 0 ] && break
				if [ "$n" = "$last" ]; then still=$((still + 1)); else still=0; fi
				last=$n
				sleep 0.05
				i=$((i + 1))
			done
			log "$(nattached "$WIRECAP_IF-q*") of $all queues of ${WIRECAP_IF:-?} attached"
			break
		fi
		sleep 0.05
	done
	# Our e1000e resets the port on ATTACH (a link renegotiation), and
	# QEMU takes no frame from the tap while the link is down: replay
	# once the carrier is back (up to 10 s), or the tap's queue would
	# be measured, not the capture.
	if [ $ok = 1 ] && [ "$NIC" != softnic ] && [ -n "$WIRECAP_IF" ]; then
		i=0 c=0
		while [ $i -lt 200 ]; do
			read -r c </sys/class/net/"$WIRECAP_IF"/carrier 2>/dev/null
			[ "$c" = 1 ] && break
			sleep 0.05
			i=$((i + 1))
		done
		[ $i = 0 ] || log "waited $((i * 50)) ms for ${WIRECAP_IF}'s carrier (now ${c:-?})"
	fi
	if [ $ok = 1 ]; then
		echo "### WIRECAP ATTACHED"
	else
		echo "### WIRECAP NOT ATTACHED"
	fi
	if [ $ok = 0 ] && [ -f /tmp/.cmd-rc ]; then
		log "the command ended before any WireCAP queue was attached: trace NOT replayed"
	elif [ $ok = 0 ]; then
		log "no WireCAP queue attached within 60 s: trace NOT replayed"
	elif [ "$NIC" != softnic ]; then
		log "the host replays the trace into ${WIRECAP_IF:-the NIC} at speed $SPEED"
	elif [ -z "$WIRECAP_IF" ]; then
		log "no WireCAP interface (no wirecap_softnic device): trace NOT replayed"
	else
		log "replaying /in/trace.pcap on $WIRECAP_IF at speed $SPEED"
		(wirecap-softnic-replay --if "$WIRECAP_IF" --speed "$SPEED" \
			/in/trace.pcap </dev/null 2>&1
			echo $? >/tmp/.replay-rc) | tee /results/replay.log
		read -r rrc </tmp/.replay-rc
		echo "$rrc" >/results/replay-exit-code
		log "wirecap-softnic-replay exited with status $rrc"
		sent=$(sed -n 's/^replayed \([0-9][0-9]*\) packets.*/\1/p' /results/replay.log)
		replay_done "$rrc" "${sent:-0}"
	fi
	wait "$cmdpid"
else
	run_cmd
fi

rc=255
[ -f /tmp/.cmd-rc ] && read -r rc </tmp/.cmd-rc
finish "$rc"
