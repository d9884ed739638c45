#!/bin/sh
# /init of the WireCAP test VM (busybox ash, PID 1). Packed by
# scripts/mkinitramfs.sh, booted by scripts/vm.sh.
#
# Contract with vm.sh:
#   - two virtio-blk disks, told apart by their serial numbers (vm.sh sets
#     them; /sys/block/vdX/serial), falling back to probe order = order on
#     the QEMU command line (input first):
#       wirecap-in   read-only tar archive: cmd.sh (the command), env
#                    (QUEUES=, SPEED=, TRACE=0|1), trace.pcap if TRACE=1,
#                    extra/ (copied to /extra)
#       wirecap-out  zeroed disk; we write `tar -c -C /results .` onto it
#   - console on ttyS0: the command's output, the line
#     "### WIRECAP EXIT <rc>", and kernel messages of level warning or worse
#   - /results/exit-code holds the command's exit status
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

QUEUES=4 SPEED=top TRACE=0
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
[ -f "$WIRECAP_MODDIR/wirecap.ko" ] && load_ours "$WIRECAP_MODDIR/wirecap.ko"
for ko in "$WIRECAP_MODDIR"/*.ko; do
	[ -f "$ko" ] || continue
	case ${ko##*/} in
	wirecap.ko) ;;
	wirecap_softnic.ko) load_ours "$ko" "nr_queues=$QUEUES" ;;
	*) load_ours "$ko" ;;
	esac
done

# The software NIC's interface: the first directory under its debugfs root.
WIRECAP_IF=""
for e in /sys/kernel/debug/wirecap_softnic/*; do
	[ -d "$e" ] || continue
	case ${e##*/} in
	new_device | del_device) continue ;;
	esac
	WIRECAP_IF=${e##*/}
	break
done
if [ -n "$WIRECAP_IF" ]; then
	[ -e "/sys/class/net/$WIRECAP_IF" ] ||
		log "warning: $WIRECAP_IF (from debugfs) is not a network interface"
	ip link set "$WIRECAP_IF" up || log "ip link set $WIRECAP_IF up failed"
fi

export WIRECAP_IF WIRECAP_QUEUES=$QUEUES WIRECAP_KERNEL=$krel
export WIRECAP_RESULTS=/results
[ "$TRACE" = 1 ] && export WIRECAP_TRACE=/in/trace.pcap
[ -d /extra ] && export WIRECAP_EXTRA=/extra

# --- the command --------------------------------------------------------------------
# Runs in /tmp with stdin from /dev/null; output to the console and cmd.log.
# The status goes through a file because of the pipe into tee.
run_cmd() {
	(cd /tmp && sh -c "$(cat /in/cmd.sh)" </dev/null 2>&1
		echo $? >/tmp/.cmd-rc) | tee /results/cmd.log
}

# Is some WireCAP queue attached (a capture user bound to it)?
attached() {
	for f in /sys/class/wirecap/*/attached; do
		[ -r "$f" ] || continue
		v=""
		read -r v <"$f" 2>/dev/null
		[ "$v" = 1 ] && return 0
	done
	return 1
}

uptime_s() { read -r up _ </proc/uptime; echo "${up%.*}"; }

if [ "$TRACE" = 1 ]; then
	run_cmd &
	cmdpid=$!
	# Wait up to 60 s for a capture to attach, checking every 50 ms; give up
	# early if the command has already finished.
	deadline=$(($(uptime_s) + 60))
	ok=0
	while [ ! -f /tmp/.cmd-rc ] && [ "$(uptime_s)" -lt "$deadline" ]; do
		if attached; then
			ok=1
			break
		fi
		sleep 0.05
	done
	if [ $ok = 0 ] && [ -f /tmp/.cmd-rc ]; then
		log "the command ended before any WireCAP queue was attached: trace NOT replayed"
	elif [ $ok = 0 ]; then
		log "no WireCAP queue attached within 60 s: trace NOT replayed"
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
	fi
	wait "$cmdpid"
else
	run_cmd
fi

rc=255
[ -f /tmp/.cmd-rc ] && read -r rc </tmp/.cmd-rc
finish "$rc"
