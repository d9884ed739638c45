#!/bin/bash
# Run one shell command inside a throw-away QEMU (TCG) guest with the WireCAP
# modules loaded.
#
#   scripts/vm.sh [options] -- '<shell command>'
#
#   --kernel 6.1|6.12|debug   guest kernel (names from build/kernels.mk;
#                        debug: scripts/debug-kernel.sh's KASAN/lockdep
#                        kernel, which gets 3072 MiB instead of 1536) [6.1]
#   --nic softnic|virtio|virtio-stock|e1000e|e1000e-stock          [softnic]
#                        softnic: the software NIC (wirecap_softnic.ko);
#                        virtio: a QEMU virtio-net NIC driven by
#                        wirecap_virtio.ko, fed by a tap on the host;
#                        virtio-stock: the same NIC driven by the kernel's
#                        own virtio_net (the peer baseline; also used, with
#                        a warning, for virtio while wirecap_virtio.ko is
#                        not built);
#                        e1000e: a QEMU e1000e NIC (Intel 82574L, 2 RX
#                        queues) driven by our e1000e.ko (<modules>/intel/,
#                        Debian's e1000e with our hooks: scripts/intel-
#                        src.sh), fed by a single-queue tap on the host;
#                        e1000e-stock: the same NIC driven by the kernel's
#                        own e1000e.ko (also used, with a warning, for
#                        e1000e while ours is not built)
#   --nics 1|2           NICs of that kind the guest gets             [1]
#                        (the second: $WIRECAP_IF2 in the guest; softnic:
#                        nr_devices=2; tap modes: a second tap, and every
#                        frame the guest sends out of that NIC is recorded
#                        on the host into <results>/nic2.pcap)
#   --queues N           NIC queues (softnic nr_queues=N; virtio queue
#                        pairs and tap queues; e1000e: ignored, the 82574
#                        has 2 RX queues and its tap one queue)      [4]
#   --trace FILE.pcap    replay FILE into the NIC once a capture has
#                        attached: softnic, in the guest (wirecap-softnic-
#                        replay); virtio, on the host (tcpreplay into the tap)
#   --speed top|recorded|MULT|pps:N   replay speed                   [top]
#                        (pps:N, N packets a second: tap modes, tcpreplay)
#   --txqueuelen N       virtio: the tap's txqueuelen                [1000]
#   --mtu N              the MTU of the taps and of the guest's NICs
#                        (frames longer than 1514 bytes need it)     [1500]
#   --flow-control       virtio: flow control on the guest's NICs (ethtool
#                        -A tx on: a NIC that "sends PAUSE" when full): a
#                        full pool holds the host's frames back in the tap
#                        instead of the NIC dropping them (capture_drops);
#                        for replays at top speed that compare every frame.
#                        Default: off, as on a NIC
#   --pin-qemu CPUS      taskset CPU list for QEMU and all its threads
#                        [virtio: 0; softnic: not pinned]
#   --pin-gen CPU        virtio: the CPU tcpreplay runs on           [1]
#   --gen-timer T        virtio: tcpreplay --timer (nano, gtod, select) [nano]
#                        (recorded/MULT speeds only; here nano sleeps late
#                        and stretches a trace about 2x, gtod busy-waits on
#                        the pinned CPU and keeps the pace)
#   --gen tcpreplay|tapgen  virtio: the host's replayer             [tcpreplay]
#                        tapgen: build/bin/wirecap-tap-gen (bench/tap_gen.c),
#                        which keeps the pace by sending what is due in
#                        batches and sleeping in between (no busy-wait)
#   --results DIR        where results go                            [results]
#   --timeout SECS       kill the guest after SECS seconds           [600]
#   --modules DIR        our .ko files for that kernel  [build/<krel>/modules]
#   --bin DIR            our static binaries (guest PATH) [build/bin]
#   --extra DIR          extra files, at /extra in the guest
#   -h, --help           this text
#
# The command runs under busybox sh in /tmp, with PATH starting with
# /usr/lib/wirecap/bin and WIRECAP_IF, WIRECAP_QUEUES, WIRECAP_KERNEL,
# WIRECAP_MODDIR, WIRECAP_RESULTS (=/results), WIRECAP_TRACE, WIRECAP_EXTRA
# set, and WIRECAP_NIC (the mode). Files it writes to /results come back
# into the results directory, together with console.log (the whole serial
# console), cmd.log (the command's output), dmesg.txt, exit-code,
# vm-setup.txt (kernel, NIC, queues, tap, pinning) and qemu.log.
#
# Replay (with --trace): the guest prints "### WIRECAP ATTACHED" once a
# WireCAP queue is attached (or the command created /run/wirecap/start-
# replay; the stock driver has no WireCAP queues), then the trace is
# replayed; when that has ended, the file /run/wirecap/replay-done appears
# in the guest, holding "REPLAY DONE <replayer's exit status> <packets
# sent>". No attach within 60 s: no replay, no file. Results: replay.log,
# replay-exit-code; with virtio also host-replay.txt (the numbers) and
# tap-stats.json (`ip -s -j link show` of the tap after the replay; packets
# the tap could not hand to QEMU are its TX drops). Before signalling the
# guest, the host waits (up to 15 s, or 2 s without progress) until QEMU
# has read or the tap has dropped every packet tcpreplay sent; what is
# left is reported as tap_tx_pending. And QEMU's CPU time from the
# replay's start until then (/proc): its vCPU threads' and the others'
# (qemu_vcpu_seconds, qemu_other_seconds; the main loop is where frames
# go from the tap into the guest's buffers).
#
# Virtio: the tap (wctap<pid>, multi_queue) lives in a network namespace of
# its own (wcns<pid>), where QEMU and tcpreplay run; both are removed on
# every exit. Needs root. The e1000e modes are fed the same way, from a
# single-queue tap; its host end there has the address 169.254.77.1/24,
# and the guest exports WIRECAP_HOST_IP=169.254.77.1 and
# WIRECAP_GUEST_IP=169.254.77.2/24 for a command that wants to reach the
# host (`ip addr add $WIRECAP_GUEST_IP dev $WIRECAP_IF; ping
# $WIRECAP_HOST_IP`); the guest itself sets no address, as in virtio mode.
#
# Exit status: the command's, or 125 if the kernel reported trouble (BUG,
# WARNING, Oops, panic, ...) whatever the command returned, or 124 if the
# guest gave no exit status (timeout, hang, early crash of /init).
#
# One exception: a guest kernel that oopses before any module is loaded
# (every "Modules linked in:" of the console empty) and before the command
# ended failed in Debian's own code, not ours: under TCG the 6.12 kernel
# does, now and then, at boot (an int3 in sched_clock_cpu while a text
# patch was in flight, 2 boots in 50 on a loaded host). Then the guest is
# booted once more, from scratch, and that run's status counts; the first
# console is kept as console-boot-failed.log.
#   scripts/vm.sh --boot-failed CONSOLE   exit 0 iff CONSOLE is such a boot
#
# Default paths are relative to the repository; given paths to the current
# directory. The results directory is not emptied, but the files named above
# are replaced. Environment: WIRECAP_VM_OUT_MB (output disk size, MiB, [256]),
# WIRECAP_VM_MEM_MB (guest memory, MiB [1536; 3072 for a KASAN kernel]),
# WIRECAP_VM_QEMU (QEMU binary).
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
prog=vm.sh
orig_pwd=$PWD orig_args=("$@")

# boot_failed CONSOLE: the kernel oopsed or panicked with no module loaded
# (each "Modules linked in:" line, one per report, lists none).
boot_failed() {
	local mods
	mods=$(tr -d '\r' <"$1" | grep -a 'Modules linked in:' || true)
	[ -n "$mods" ] &&
		! printf '%s\n' "$mods" | grep -q 'Modules linked in:.*[^[:space:]]'
}
if [ "${1:-}" = --boot-failed ]; then
	[ $# -eq 2 ] || { echo "usage: $prog --boot-failed CONSOLE" >&2; exit 2; }
	boot_failed "$2"
	exit
fi

usage() { sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; }
die() { echo "$prog: $*" >&2; exit 2; }
# stop_pid PID SIGNAL TENTHS: send SIGNAL, give PID TENTHS tenths of a
# second to end, then SIGKILL it.
stop_pid() {
	kill -"$2" "$1" 2>/dev/null || true
	for _ in $(seq "$3"); do
		kill -0 "$1" 2>/dev/null || break
		sleep 0.1
	done
	kill -KILL "$1" 2>/dev/null || true
}

kernel=6.1 nics=1 queues=4 queues_set="" trace="""" speed=top results="$top/results" timeout=600
moddir="" bindir="" extra="" cmd="" nic=softnic txqlen=1000 mtu=1500 flow_control=0 pin_qemu="" pin_gen=1 gen_timer=nano gen=tcpreplay
while [ $# -gt 0 ]; do
	opt=$1
	# Accept both "--opt VALUE" and "--opt=VALUE".
	case $opt in
	--*=*) val=${opt#*=}; opt=${opt%%=*}; shift ;;
	--) shift; cmd="$*"; break ;;
	-h | --help) usage; exit 0 ;;
	--flow-control) flow_control=1; shift; continue ;;	# no value
	--*)
		[ $# -ge 2 ] || die "$opt needs a value"
		val=$2; shift 2 ;;
	*) die "unexpected argument '$opt' (the command goes after --)" ;;
	esac
	case $opt in
	--kernel) kernel=$val ;;
	--nics) nics=$val ;;
	--queues) queues=$val queues_set=1 ;;
	--trace) trace=$val ;;
	--speed) speed=$val ;;
	--results) results=$val ;;
	--timeout) timeout=$val ;;
	--modules) moddir=$val ;;
	--bin) bindir=$val ;;
	--extra) extra=$val ;;
	--nic) nic=$val ;;
	--txqueuelen) txqlen=$val ;;
	--mtu) mtu=$val ;;
	--pin-qemu) pin_qemu=$val ;;
	--pin-gen) pin_gen=$val ;;
	--gen-timer) gen_timer=$val ;;
	--gen) gen=$val ;;
	*) die "unknown option $opt (see --help)" ;;
	esac
done
[ -n "$cmd" ] || die "no command; usage: $prog [options] -- '<shell command>'"

# --- check the options -------------------------------------------------------
[[ $nics =~ ^[12]$ ]] || die "--nics: expected 1 or 2, got: $nics"
[[ $queues =~ ^[1-9][0-9]*$ ]] || die "--queues: not a positive integer: $queues"
[[ $timeout =~ ^[1-9][0-9]*$ ]] || die "--timeout: not a positive integer: $timeout"
[[ $speed =~ ^(top|recorded|[0-9]+(\.[0-9]+)?|\.[0-9]+|pps:[1-9][0-9]*)$ ]] ||
	die "--speed: expected top, recorded, a multiplier or pps:N, got: $speed"
[ -z "$trace" ] || [ -f "$trace" ] || die "--trace: no such file: $trace"
[ -z "$extra" ] || [ -d "$extra" ] || die "--extra: no such directory: $extra"
case $nic in
softnic | virtio | virtio-stock | e1000e | e1000e-stock) ;;
*) die "--nic: expected softnic, virtio, virtio-stock, e1000e or e1000e-stock, got: $nic" ;;
esac
[[ $txqlen =~ ^[1-9][0-9]*$ ]] || die "--txqueuelen: not a positive integer: $txqlen"
# (a tap carries frames of MTU + 14 bytes, at most 65535)
[[ $mtu =~ ^[1-9][0-9]*$ ]] && [ "$mtu" -ge 68 ] && [ "$mtu" -le 65521 ] ||
	die "--mtu: expected 68 to 65521, got: $mtu"
[ "$nic" = softnic ] || [ -n "$pin_qemu" ] || pin_qemu=0
if [ -n "$pin_qemu" ]; then
	[[ $pin_qemu =~ ^[0-9]+(-[0-9]+)?(,[0-9]+(-[0-9]+)?)*$ ]] &&
		taskset -c "$pin_qemu" true 2>/dev/null ||
		die "--pin-qemu: not a usable CPU list here: $pin_qemu"
fi
[[ $pin_gen =~ ^[0-9]+$ ]] && taskset -c "$pin_gen" true 2>/dev/null ||
	die "--pin-gen: not a usable CPU here: $pin_gen"
[[ $gen_timer =~ ^(nano|gtod|select|ioport)$ ]] ||
	die "--gen-timer: expected nano, gtod, select or ioport, got: $gen_timer"
[[ $gen =~ ^(tcpreplay|tapgen)$ ]] || die "--gen: expected tcpreplay or tapgen, got: $gen"
case $speed in
pps:*) [ "$nic" != softnic ] && [ "$gen" = tcpreplay ] ||
	die "--speed pps:N: only for tcpreplay into a tap (not softnic, not tapgen)" ;;
esac

krel=$("$top/scripts/krel.sh" "$kernel") || die "--kernel: no kernel '$kernel'"
kroot=$top/build/kernels/$krel
vmlinuz=$kroot/boot/vmlinuz-$krel
[ -f "$vmlinuz" ] || die "no kernel image $vmlinuz; run scripts/setup.sh (debug: scripts/debug-kernel.sh)"
# A KASAN kernel keeps a shadow of 1/8 of the memory, a quarantine of freed
# objects and, with lockdep and debug objects, large tables of its own:
# more memory, so that our pools still fit as they do on Debian's kernels.
mem=1536
! grep -qx 'CONFIG_KASAN=y' "$kroot/boot/config-$krel" 2>/dev/null || mem=3072
mem=${WIRECAP_VM_MEM_MB:-$mem}
[[ $mem =~ ^[1-9][0-9]*$ ]] || die "WIRECAP_VM_MEM_MB: not a positive integer: $mem"

# Module and binary directories: a given one must exist; a missing default
# one just means "nothing of ours yet".
if [ -z "$moddir" ]; then
	moddir=$top/build/$krel/modules
	[ -d "$moddir" ] || { echo "$prog: note: no $moddir, booting without our modules" >&2; moddir=""; }
else
	[ -d "$moddir" ] || die "--modules: no such directory: $moddir"
fi
if [ -z "$bindir" ]; then
	bindir=$top/build/bin
	[ -d "$bindir" ] || { echo "$prog: note: no $bindir, booting without our binaries" >&2; bindir=""; }
else
	[ -d "$bindir" ] || die "--bin: no such directory: $bindir"
fi

qemu=${WIRECAP_VM_QEMU:-qemu-system-x86_64}
command -v "$qemu" >/dev/null || die "$qemu not found (run scripts/setup.sh)"

# The virtio NIC: our driver, or the stock one while ours is not built.
nic_note=""
if [ "$nic" = virtio ] && [ ! -f "${moddir:-/nonexistent}/wirecap_virtio.ko" ]; then
	nic_note="FALLBACK: no wirecap_virtio.ko in ${moddir:-(no module directory)}; using the STOCK virtio_net"
	echo "$prog: WARNING: --nic virtio: $nic_note (as --nic virtio-stock)" >&2
	nic=virtio-stock
fi
# The e1000e NIC: our e1000e.ko (built only for the kernel it is for), or
# the stock one while ours is not built.
e1000e_ko=""
if [ "$nic" = e1000e ]; then
	e1000e_ko=${moddir:-/nonexistent}/intel/e1000e.ko
	if [ ! -f "$e1000e_ko" ]; then
		nic_note="FALLBACK: no intel/e1000e.ko in ${moddir:-(no module directory)}; using the STOCK e1000e"
		echo "$prog: WARNING: --nic e1000e: $nic_note (as --nic e1000e-stock)" >&2
		nic=e1000e-stock e1000e_ko=""
	fi
fi
case $nic in
e1000e*)
	if [ -n "$queues_set" ] && [ "$queues" != 2 ]; then
		echo "$prog: note: --queues $queues ignored: the e1000e NIC has 2 RX queues" >&2
	fi
	queues=2
	;;
esac
if [ "$nic" != softnic ]; then
	[ "$(id -u)" = 0 ] || die "--nic $nic needs root (tap, network namespace)"
	command -v ip >/dev/null || die "ip (iproute2) not found (run scripts/setup.sh)"
	[ -c /dev/net/tun ] || die "no /dev/net/tun"
	[ -z "$trace" ] || [ "$gen" != tcpreplay ] ||
		command -v tcpreplay >/dev/null ||
		die "tcpreplay not found (run scripts/setup.sh)"
	[ -z "$trace" ] || [ "$gen" != tapgen ] ||
		[ -x "$top/build/bin/wirecap-tap-gen" ] ||
		die "build/bin/wirecap-tap-gen not found (make userbins)"
	[ "$nics" = 1 ] || command -v tcpdump >/dev/null ||
		die "tcpdump not found (run scripts/setup.sh)"
fi
# e1000e modes: the host's end of the tap, and the address the guest may take.
host_ip=169.254.77.1 guest_ip=169.254.77.2/24
out_mb=${WIRECAP_VM_OUT_MB:-256}
[[ $out_mb =~ ^[1-9][0-9]*$ ]] || die "WIRECAP_VM_OUT_MB: not a positive integer: $out_mb"

mkdir -p "$results"
results=$(cd "$results" && pwd)
# Results of an earlier run must not pass for this one's.
rm -f "$results"/{console.log,cmd.log,dmesg.txt,exit-code,replay.log,replay-exit-code} \
	"$results"/{vm-setup.txt,qemu.log,host-replay.txt,tap-stats.json,guest-nic.txt} \
	"$results"/{nic2.pcap,nic2.txt}
# an earlier run's failed boot, unless this run is its second boot
[ -n "${WIRECAP_VM_BOOT_RETRIED:-}" ] || rm -f "$results/console-boot-failed.log"

# --- temporary files, and cleaning up on every exit --------------------------
tmp=$(mktemp -d "${TMPDIR:-/tmp}/wirecap-vm.XXXXXX")
qpid="" tailpid="" trpid="" rppid="" netns="" tap="" tap2="" recpid="" rticks=""
# shellcheck disable=SC2317  # (called from the EXIT trap)
cleanup() {
	# The replayer and QEMU first (by pid), then the console followers,
	# then the tap and its namespace, then the files.
	if [ -n "$rppid" ]; then
		kill -TERM "$rppid" 2>/dev/null || true
		wait "$rppid" 2>/dev/null || true
	fi
	if [ -n "$qpid" ] && kill -0 "$qpid" 2>/dev/null; then
		stop_pid "$qpid" TERM 20
		wait "$qpid" 2>/dev/null || true
	fi
	for p in $tailpid $trpid $recpid; do
		kill "$p" 2>/dev/null || true
		wait "$p" 2>/dev/null || true
	done
	if [ -n "$netns" ]; then
		[ -z "$tap" ] || ip -n "$netns" link del dev "$tap" 2>/dev/null || true
		[ -z "$tap2" ] || ip -n "$netns" link del dev "$tap2" 2>/dev/null || true
		ip netns del "$netns" 2>/dev/null ||
			echo "$prog: could not remove network namespace $netns" >&2
	fi
	rm -rf "$tmp"
}
trap cleanup EXIT
# shellcheck disable=SC2064  # (expanded now on purpose)
for sig in HUP:129 INT:130 TERM:143; do
	trap "echo '$prog: killed by SIG${sig%:*}' >&2; exit ${sig#*:}" "${sig%:*}"
done

# --- initramfs ------------------------------------------------------------------
# virtio-stock, e1000e-stock: the kernel's virtio_net or e1000e goes into
# the image too, loaded by /init on demand only; e1000e: ours, the same way.
xkmods=()
case $nic in
virtio-stock) xkmods=(-e virtio_net) ;;
e1000e-stock) xkmods=(-e e1000e) ;;
e1000e) xkmods=(-n "$e1000e_ko") ;;
esac
# The e1000e module file the guest gets (the stock one decompressed), to
# tell by its build ID which one the guest ran.
nic_ko="" nic_ko_what="" nic_ko_name=""
build_id() { readelf -n "$1" 2>/dev/null | sed -n 's/^[[:space:]]*Build ID: //p' | head -1; }
if [ -n "$e1000e_ko" ]; then
	nic_ko=$e1000e_ko nic_ko_what=ours nic_ko_name=$e1000e_ko
elif [ "$nic" = e1000e-stock ]; then
	m=$(sed -n 's,^\(kernel/drivers/net/ethernet/intel/e1000e/e1000e\.ko[^:]*\):.*,\1,p' \
		"$kroot/lib/modules/$krel/modules.dep" | head -1)
	if [ -n "$m" ]; then
		nic_ko=$tmp/e1000e-stock.ko nic_ko_what=stock nic_ko_name=$m
		case $m in
		*.xz) xz -dc "$kroot/lib/modules/$krel/$m" >"$nic_ko" ;;
		*.zst) zstd -qdc "$kroot/lib/modules/$krel/$m" >"$nic_ko" ;;
		*) cp "$kroot/lib/modules/$krel/$m" "$nic_ko" ;;
		esac
	fi
fi
initrd=$("$top/scripts/mkinitramfs.sh" -k "$krel" -K "$kroot" \
	${moddir:+-m "$moddir"} ${bindir:+-b "$bindir"} "${xkmods[@]}" \
	-c "$top/build/vm-cache") ||
	die "building the initramfs failed"

# --- input disk: a tar archive ----------------------------------------------------
mkdir "$tmp/in"
printf '%s\n' "$cmd" >"$tmp/in/cmd.sh"
{
	echo "QUEUES=$queues"
	echo "NICS=$nics"
	echo "MTU=$mtu"
	echo "FLOW_CONTROL=$flow_control"
	echo "SPEED=$speed"
	echo "TRACE=$([ -n "$trace" ] && echo 1 || echo 0)"
	echo "NIC=$nic"
	case $nic in
	e1000e*)
		echo "HOST_IP=$host_ip"
		echo "GUEST_IP=$guest_ip"
		;;
	esac
} >"$tmp/in/env"
[ -z "$trace" ] || cp "$trace" "$tmp/in/trace.pcap"
if [ -n "$extra" ]; then
	mkdir "$tmp/in/extra"
	cp -R "$extra/." "$tmp/in/extra/"
fi
tar -c -f "$tmp/in.tar" -C "$tmp/in" --owner=0 --group=0 --numeric-owner .
# Pad with zeroes to whole MiB (tar stops at its end-of-archive blocks): a
# disk of a few KiB makes the guest's partition scan read past its end and
# warn "partition table beyond EOD".
truncate -s %1M "$tmp/in.tar"

# --- output disk: zeroes (sparse) ---------------------------------------------
truncate -s "${out_mb}M" "$tmp/out.img"

# --- boot -------------------------------------------------------------------------
# QEMU parses "," in option values as a separator; a literal one is ",,".
qesc() { printf '%s' "${1//,/,,}"; }
console=$results/console.log
# The two disks are virtio-blk-pci devices that the guest /init tells apart
# by serial number (/sys/block/vdX/serial); their command-line order (input
# first, so vda) is the fallback. -nodefaults: no default NIC, VGA, floppy,
# CD-ROM, parallel port or monitor; the only serial port is the console log.
# debug-threads: QEMU names its threads ("CPU 0/TCG", ...): qemu_ticks().
# shellcheck disable=SC2054  # (commas belong to QEMU's syntax)
qargs=(
	-accel tcg,thread=multi -cpu max -smp 2 -m "$mem"
	-name wirecap,debug-threads=on
	-nodefaults -display none -no-reboot
	-kernel "$vmlinuz" -initrd "$initrd"
	-append "console=ttyS0 panic=-1 oops=panic panic_on_warn=1 quiet printk.time=1"
	-chardev "file,id=con0,path=$(qesc "$console")" -serial chardev:con0
	-drive "if=none,id=wcin,format=raw,readonly=on,file=$(qesc "$tmp/in.tar")"
	-device virtio-blk-pci,drive=wcin,serial=wirecap-in
	-drive "if=none,id=wcout,format=raw,file=$(qesc "$tmp/out.img")"
	-device virtio-blk-pci,drive=wcout,serial=wirecap-out
)

# --- the virtio NIC: a multiqueue tap in a namespace of its own ----------------
# QEMU (and tcpreplay) run in the namespace. ttyS1, a pipe chardev, tells
# the guest when the host's replay has ended: we write into ctl.in, the
# guest's output on that port goes to ctl.out. The e1000e NIC: the same
# with a single-queue tap (QEMU's e1000e reads one), which has an address.
launch=()
if [ "$nic" != softnic ]; then
	# Namespaces of earlier runs killed with SIGKILL: their vm.sh is gone
	# and nothing runs in them any more.
	for n in $(ip netns list 2>/dev/null | sed -n 's/^\(wcns[0-9][0-9]*\)\( .*\)\{0,1\}$/\1/p'); do
		[ -d "/proc/${n#wcns}" ] && continue
		[ -z "$(ip netns pids "$n" 2>/dev/null)" ] || continue
		ip netns del "$n" 2>/dev/null && echo "$prog: removed stale network namespace $n" >&2
	done
	netns=wcns$$ tap=wctap$$
	ip netns add "$netns" || { netns=""; die "cannot create network namespace wcns$$"; }
	tapmq=multi_queue
	# QEMU opens a multi_queue tap with queues=1 as a single-queue one
	# (EINVAL); the e1000e reads one queue
	case $nic in e1000e*) tapmq="" ;; esac
	[ "$queues" != 1 ] || tapmq=""
	# shellcheck disable=SC2086  # ($tapmq: one word or none)
	ip -n "$netns" tuntap add dev "$tap" mode tap $tapmq ||
		die "cannot create tap $tap (ip tuntap add ... ${tapmq:-single queue})"
	# Only the replayed frames may reach the guest: no IPv6 chatter from
	# the host side of the tap.
	ip netns exec "$netns" sh -c "echo 1 >/proc/sys/net/ipv6/conf/$tap/disable_ipv6" 2>/dev/null ||
		echo "$prog: note: could not disable IPv6 on $tap" >&2
	ip -n "$netns" link set dev "$tap" txqueuelen "$txqlen" mtu "$mtu" up ||
		die "cannot set up $tap (txqueuelen $txqlen, mtu $mtu)"
	launch=(ip netns exec "$netns")
	mkfifo "$tmp/ctl.in"
	: >"$tmp/ctl.out"
	# shellcheck disable=SC2054
	qargs+=(-chardev "pipe,id=ctl,path=$(qesc "$tmp/ctl")" -serial chardev:ctl)
	case $nic in
	e1000e*)
		ip -n "$netns" addr add "$host_ip/24" dev "$tap" ||
			die "cannot give $tap the address $host_ip/24"
		;;
	esac
	# The second NIC (--nics 2): its own tap, no address, nothing sent
	# into it by the host; what the guest sends out of it is recorded.
	if [ "$nics" = 2 ]; then
		tap2=wctap2$$
		# shellcheck disable=SC2086
		ip -n "$netns" tuntap add dev "$tap2" mode tap $tapmq ||
			die "cannot create tap $tap2"
		ip netns exec "$netns" sh -c "echo 1 >/proc/sys/net/ipv6/conf/$tap2/disable_ipv6" 2>/dev/null ||
			echo "$prog: note: could not disable IPv6 on $tap2" >&2
		ip -n "$netns" link set dev "$tap2" txqueuelen "$txqlen" mtu "$mtu" up ||
			die "cannot set up $tap2"
	fi
	for i in $(seq 0 $((nics - 1))); do
		t=$tap
		[ "$i" = 0 ] || t=$tap2
		mac=52:54:00:12:34:5$((6 + i))
		case $nic in
		e1000e*)
			# shellcheck disable=SC2054
			qargs+=(
				-netdev "tap,id=n$i,ifname=$t,script=no,downscript=no,vhost=off"
				-device "e1000e,netdev=n$i,mac=$mac"
			)
			;;
		*)
			# shellcheck disable=SC2054
			qargs+=(
				-netdev "tap,id=n$i,ifname=$t,script=no,downscript=no,vhost=off,queues=$queues"
				-device "virtio-net-pci,netdev=n$i,mq=on,rss=on,hash=on,disable-legacy=on,vectors=$((2 * queues + 2)),rx_queue_size=1024,mac=$mac"
			)
			;;
		esac
	done
fi
[ -z "$pin_qemu" ] || launch+=(taskset -c "$pin_qemu")

# --- what this run is -----------------------------------------------------------
setup=$results/vm-setup.txt
{
	echo "kernel:        $krel (--kernel $kernel)"
	case $nic in
	softnic) echo "nic:           softnic (wirecap_softnic.ko)" ;;
	virtio) echo "nic:           virtio (wirecap_virtio.ko on QEMU virtio-net-pci)" ;;
	virtio-stock) echo "nic:           virtio-stock (the kernel's virtio_net on QEMU virtio-net-pci)" ;;
	e1000e) echo "nic:           e1000e (our e1000e.ko on QEMU e1000e, 82574L)" ;;
	e1000e-stock) echo "nic:           e1000e-stock (the kernel's own e1000e on QEMU e1000e, 82574L)" ;;
	esac
	if [ -n "$nic_ko" ]; then
		tag=$(modinfo -F wirecap "$nic_ko" 2>/dev/null || true)
		[ -z "$tag" ] || tag="'$tag'"
		echo "driver:        $nic_ko_what: $nic_ko_name, build ID $(build_id "$nic_ko"), wirecap tag ${tag:-none}"
	fi
	[ -z "$nic_note" ] || echo "nic note:      $nic_note"
	echo "queues:        $queues"
	[ "$nics" = 1 ] || echo "nics:          2 (the second: ${tap2:-nr_devices=2}${tap2:+, mac 52:54:00:12:34:57, frames it sends recorded into nic2.pcap})"
	echo "qemu:          $("$qemu" --version | head -1); TCG, 2 vCPUs, $mem MiB"
	echo "qemu cpus:     ${pin_qemu:-not pinned}"
	case $nic in
	softnic) ;;
	e1000e*)
		echo "tap:           $tap in network namespace $netns, single queue, txqueuelen $txqlen, host address $host_ip/24"
		echo "e1000e:        -device e1000e,mac=52:54:00:12:34:56; vhost=off; guest may take $guest_ip"
		;;
	*)
		echo "tap:           $tap in network namespace $netns, multi_queue, $queues queues, txqueuelen $txqlen"
		[ "$nic" != virtio ] ||
			echo "flow control:  $([ "$flow_control" = 1 ] && echo "on (a full pool holds frames in the tap)" || echo "off (a full pool drops: capture_drops)")"
		echo "virtio-net:    mq=on,rss=on,hash=on,disable-legacy=on,vectors=$((2 * queues + 2)),rx_queue_size=1024,vhost=off"
		;;
	esac
	if [ -z "$trace" ]; then
		echo "replay:        none"
	elif [ "$nic" = softnic ]; then
		echo "replay:        in the guest, wirecap-softnic-replay, speed $speed"
	elif [ "$gen" = tapgen ]; then
		echo "replay:        on the host, wirecap-tap-gen into $tap, speed $speed, on cpu $pin_gen"
	else
		echo "replay:        on the host, tcpreplay into $tap, speed $speed, timer $gen_timer, on cpu $pin_gen"
	fi
	[ -z "$trace" ] || echo "trace:         $trace ($(stat -c %s "$trace") bytes)"
} >"$setup"

# --- the host's replay (virtio) ---------------------------------------------------
# States: none (no host replay), wait (for the guest's marker), run, done.
rstate=none
[ "$nic" = softnic ] || [ -z "$trace" ] || rstate=wait
tap_tx() {	# "packets dropped" of the tap's TX side
	ip -n "$netns" -s -j link show dev "$tap" 2>/dev/null |
		sed -n 's/.*"tx":{[^}]*"packets":\([0-9]*\)[^}]*"dropped":\([0-9]*\).*/\1 \2/p' || true
}
# utime + stime of a /proc stat file, in clock ticks: fields 14 and 15,
# 12 and 13 after the comm (which may hold spaces and parentheses)
stat_ticks() {
	sed 's/^.*) //' "$1" 2>/dev/null | awk '{ print $12 + $13 }'
}
# CPU time of QEMU so far, in clock ticks: "vcpus other", its vCPU threads
# ("CPU n/TCG") and the rest: the main loop, where QEMU's virtio-net takes
# frames from the tap into the guest's buffers (no vhost), and its helpers.
# The process's total counts threads that have exited too (QEMU's worker
# threads come and go). Nothing when QEMU is gone or names no vCPU thread.
qemu_ticks() {
	local t comm all v=0 n=0
	[ -n "$qpid" ] || return 0
	all=$(stat_ticks "/proc/$qpid/stat") || return 0
	[ -n "$all" ] || return 0
	for t in /proc/"$qpid"/task/*; do
		read -r comm <"$t/comm" 2>/dev/null || continue
		case $comm in
		"CPU "*)
			v=$((v + $(stat_ticks "$t/stat" || echo 0)))
			n=$((n + 1))
			;;
		esac
	done
	[ $n -eq 0 ] || echo "$v $((all - v))"
}
start_replay() {
	local rate=()
	case $speed in
	top) rate=(--topspeed) ;;
	pps:*) rate=("--pps=${speed#pps:}") ;;
	recorded) ;;
	*) rate=("--multiplier=$speed") ;;
	esac
	# QEMU was started pinned; make sure of every thread, and record them.
	if [ -n "$pin_qemu" ]; then
		taskset -a -p -c "$pin_qemu" "$qpid" >/dev/null 2>&1 || true
		echo "qemu threads:  $(ls /proc/"$qpid"/task | wc -l), allowed CPUs: $(for t in /proc/"$qpid"/task/*; do taskset -c -p "${t##*/}" 2>/dev/null | sed 's/.*: //'; done | sort -u | tr '\n' ' ')" >>"$setup"
	fi
	echo "$prog: the guest attached; replaying $trace into $tap ($gen, speed $speed, cpu $pin_gen)" >&2
	rticks=$(qemu_ticks)
	rstart=$(date +%s.%N)
	if [ "$gen" = tapgen ]; then
		ip netns exec "$netns" taskset -c "$pin_gen" \
			"$top/build/bin/wirecap-tap-gen" -i "$tap" -s "$speed" "$trace" \
			</dev/null >"$results/replay.log" 2>&1 &
	else
		ip netns exec "$netns" taskset -c "$pin_gen" \
			tcpreplay --timer="$gen_timer" --preload-pcap -i "$tap" "${rate[@]}" "$trace" \
			</dev/null >"$results/replay.log" 2>&1 &
	fi
	rppid=$!
}
finish_replay() {	# $1: how it ended (text), when not by itself
	local rrc=0 sent tx0 tx i=0 still=0 ticks hz
	wait "$rppid" || rrc=$?
	rppid=""
	relapsed=$(awk -v s="$rstart" -v e="$(date +%s.%N)" 'BEGIN { printf "%.3f", e - s }')
	echo "$rrc" >"$results/replay-exit-code"
	sent=$(sed -n 's/^[[:space:]]*Successful packets:[[:space:]]*\([0-9]*\).*/\1/p; s/^sent \([0-9]*\) packets in .*/\1/p' "$results/replay.log")
	sent=${sent:-0}
	# Let the tap drain into QEMU: every packet tcpreplay handed over ends
	# up read by QEMU (TX packets) or dropped (TX dropped). Up to 15 s, and
	# not longer than 2 s without progress.
	tx0=$(tap_tx)
	while [ $i -lt 150 ] && [ $still -lt 20 ]; do
		tx=$(tap_tx)
		[ -n "$tx" ] || break
		[ $((${tx% *} + ${tx#* })) -ge "$sent" ] && break
		if [ "$tx" = "$tx0" ]; then still=$((still + 1)); else still=0; fi
		tx0=$tx
		sleep 0.1
		i=$((i + 1))
	done
	ip -n "$netns" -s -j link show dev "$tap" >"$results/tap-stats.json" 2>/dev/null || true
	ticks=$(qemu_ticks)
	hz=$(getconf CLK_TCK)
	tx=$(tap_tx)
	[ -n "$tx" ] || tx="? ?"
	# Still in the tap (neither read by QEMU nor dropped) when we looked.
	pending=?
	[ "$tx" = "? ?" ] || pending=$((sent - ${tx% *} - ${tx#* }))
	[ "$pending" = ? ] || [ "$pending" -ge 0 ] || pending=0
	{
		echo "tap=$tap"
		echo "txqueuelen=$txqlen"
		echo "flow_control=$flow_control"
		echo "speed=$speed"
		echo "timer=$gen_timer"
		echo "pin_gen=$pin_gen"
		echo "pin_qemu=$pin_qemu"
		echo "tcpreplay_exit=$rrc"
		echo "ended=${1:-normally}"
		echo "packets_sent=$sent"
		for k in "Failed packets" "Truncated packets" "Retried packets (ENOBUFS)" "Retried packets (EAGAIN)"; do
			v=$(sed -n "s/^[[:space:]]*$k:[[:space:]]*//p" "$results/replay.log" | head -1)
			kk=$(echo "$k" | tr 'A-Z' 'a-z' | tr -c 'a-z\n' '_' | sed 's/__*/_/g; s/_$//')
			echo "${kk#packets_}=${v:-}"
		done
		echo "generator=$gen"
		sed -n 's/^Actual: .* sent in \([0-9.]*\) seconds.*/replay_seconds=\1/p; s/^Rated: .*, \([0-9.]*\) pps.*/rate_pps=\1/p' "$results/replay.log"
		sed -n 's/^sent [0-9]* packets in \([0-9.]*\) s (\([0-9]*\) pps), \([0-9]*\) errors, \([0-9]*\) late/replay_seconds=\1\nrate_pps=\2\nsend_errors=\3\nlate_batches=\4/p' "$results/replay.log"
		echo "tap_tx_packets=${tx% *}"
		echo "tap_tx_dropped=${tx#* }"
		echo "tap_tx_pending=$pending"
		echo "wall_seconds=$relapsed"
		# QEMU's CPU time from the replay's start until the tap drained
		# (not when QEMU was gone, or unnamed threads: no figures)
		echo "$rticks $ticks" | awk -v hz="$hz" 'NF == 4 {
			printf "qemu_vcpu_seconds=%.2f\nqemu_other_seconds=%.2f\n",
				($3 - $1) / hz, ($4 - $2) / hz }'
	} >"$tmp/host-replay.txt"
	mv "$tmp/host-replay.txt" "$results/host-replay.txt"
	# Tell the guest (O_RDWR: never blocks, even if QEMU is gone).
	printf 'REPLAY DONE %s %s\n' "$rrc" "$sent" 1<>"$tmp/ctl.in"
	echo "$prog: replay ended (${1:-exit $rrc}): $gen sent $sent packets; tap TX ${tx% *} packets, ${tx#* } dropped, $pending still queued (txqueuelen $txqlen)" >&2
}

# Every frame the guest sends out of its second NIC: what QEMU writes into
# tap2 is, to the host, received there (-Q in).
if [ -n "$tap2" ]; then
	ip netns exec "$netns" tcpdump -Z root -U -n -s 0 -B 32768 -Q in -i "$tap2" \
		-w "$results/nic2.pcap" </dev/null >"$tmp/nic2.log" 2>&1 &
	recpid=$!
	# tcpdump has started when it says it listens (up to 5 s)
	for _ in $(seq 50); do
		grep -q 'listening on' "$tmp/nic2.log" 2>/dev/null && break
		kill -0 "$recpid" 2>/dev/null || die "tcpdump on $tap2 failed: $(cat "$tmp/nic2.log")"
		sleep 0.1
	done
fi

: >"$console"
start=$(date +%s.%N)
"${launch[@]}" "$qemu" "${qargs[@]}" </dev/null >"$tmp/qemu.log" 2>&1 &
qpid=$!

# Show the console as it is written, without the serial line's CRs.
mkfifo "$tmp/fifo"
sed -u 's/\r//g' <"$tmp/fifo" &
trpid=$!
tail -n +1 -s 0.2 -f --pid="$qpid" "$console" >"$tmp/fifo" &
tailpid=$!

# Wait for QEMU, killing it (by pid) at the deadline.
timed_out=0
deadline=$(($(date +%s) + timeout))
while kill -0 "$qpid" 2>/dev/null; do
	case $rstate in
	wait)
		if grep -aq '### WIRECAP ATTACHED' "$console"; then
			start_replay
			rstate=run
		elif grep -aq '### WIRECAP NOT ATTACHED' "$console"; then
			echo "$prog: the guest never attached a queue: trace NOT replayed" >&2
			rstate=done
		fi
		;;
	run)
		if ! kill -0 "$rppid" 2>/dev/null; then
			finish_replay
			rstate=done
		fi
		;;
	esac
	if [ "$(date +%s)" -ge "$deadline" ]; then
		timed_out=1
		stop_pid "$qpid" TERM 50
		break
	fi
	sleep 0.2
done
qrc=0
wait "$qpid" || qrc=$?
qpid=""
elapsed=$(awk -v s="$start" -v e="$(date +%s.%N)" 'BEGIN { printf "%.1f", e - s }')
# tail notices QEMU's end within 0.2 s, prints the rest and exits.
wait "$tailpid" 2>/dev/null || true
wait "$trpid" 2>/dev/null || true
tailpid="" trpid=""

if [ "$timed_out" = 0 ] && [ "$qrc" != 0 ]; then
	echo "$prog: QEMU exited with status $qrc:" >&2
	cat "$tmp/qemu.log" >&2
fi
cp "$tmp/qemu.log" "$results/qemu.log"
case $rstate in
wait) echo "$prog: the guest never attached a queue: trace NOT replayed" >&2 ;;
run)
	# The guest ended (or was killed) during the replay. SIGINT makes
	# tcpreplay stop and still print its counts.
	stop_pid "$rppid" INT 30
	if [ "$timed_out" = 1 ]; then
		finish_replay "interrupted: the guest was killed at the timeout"
	else
		finish_replay "interrupted: the guest ended first"
	fi
	;;
esac

# The recorder: SIGINT makes tcpdump write out and print its counts, but
# frames still in its socket's ring then go unread. So first, until it
# has taken as many as the tap received (up to 10 s): SIGUSR1 makes it
# print its counts. (Seen in CI: the last 231 of 7,451 frames lost, on a
# host busy enough that tcpdump lagged past a fixed 0.3 s.)
if [ -n "$recpid" ]; then
	# (on SIGUSR1 it prints "tcpdump: N packets captured, M packets
	# received by filter, ..."; "1 packet captured" when N is 1)
	rx2=$(ip netns exec "$netns" cat "/sys/class/net/$tap2/statistics/rx_packets" 2>/dev/null)
	got="" i=0
	while [ $i -lt 100 ]; do
		kill -USR1 "$recpid" 2>/dev/null || break
		sleep 0.1
		got=$(sed -n 's/^tcpdump: \([0-9]*\) packets\{0,1\} captured,.*/\1/p' "$tmp/nic2.log" | tail -1)
		[ "${got:-0}" -ge "${rx2:-0}" ] && break
		i=$((i + 1))
	done
	[ $i -lt 100 ] ||
		echo "$prog: warning: the recorder took ${got:-?} of the $rx2 frames $tap2 received within 10 s; stopping it anyway" >&2
	stop_pid "$recpid" INT 50
	wait "$recpid" 2>/dev/null || true
	recpid=""
	cp "$tmp/nic2.log" "$results/nic2.txt"
	echo "nic2:          $(sed -n 's/^\([0-9]* packets captured\)$/\1/p' "$tmp/nic2.log" | tail -1) from $tap2 into nic2.pcap" >>"$setup"
fi

# --- results ------------------------------------------------------------------------
mkdir "$tmp/out"
if ! tar -x -f "$tmp/out.img" -C "$tmp/out" --no-same-owner 2>"$tmp/tar.err"; then
	echo "$prog: could not read the output disk:" >&2
	cat "$tmp/tar.err" >&2
fi
cp -R "$tmp/out/." "$results/"
if [ -f "$results/guest-nic.txt" ]; then
	gmore=""
	read -r gif gdrv gmore <"$results/guest-nic.txt" || true
	echo "guest nic:     ${gif:-?} (driver ${gdrv:-?}${gmore:+; $gmore})" >>"$setup"
	# Which e1000e the guest really ran: the one whose file has the
	# build ID the guest's module reports.
	if [ -n "$nic_ko" ]; then
		want=$(build_id "$nic_ko")
		case " $gmore " in
		*" build-id=$want "*) echo "guest driver:  $nic_ko_what (build ID $want, as loaded)" >>"$setup" ;;
		*) echo "guest driver:  NOT $nic_ko_what: build ID ${want:-?} expected" >>"$setup" ;;
		esac
	fi
else
	echo "guest nic:     none found" >>"$setup"
fi

# Kernel trouble. Kernel lines carry a "[  12.345678]" time stamp; requiring it
# keeps the command's own output (also on the console) from matching.
# Lockdep's reports begin "WARNING: possible circular locking dependency",
# "WARNING: inconsistent lock state", "BUG: sleeping function called from
# invalid context" (DEBUG_ATOMIC_SLEEP), ...; KASAN's "BUG: KASAN: ...".
# Debug objects' reports ("ODEBUG: free active ... object type: hrtimer")
# come with a WARNING, but "ODEBUG: Out of memory. ODEBUG disabled" alone
# (the rest of the run went unchecked). A failed BUG_ON() prints "kernel
# BUG at file:line!" (no colon); a netdev reference never dropped,
# "unregister_netdevice: waiting for ..."; a CPU or task holding up RCU,
# "rcu: INFO: ... detected stalls".
bad='BUG:|WARNING:|Oops|general protection|refcount_t:|list_add corruption|list_del corruption|INFO: task .* blocked|Kernel panic|UBSAN|KASAN|ODEBUG:|kernel BUG at|unregister_netdevice: waiting for|rcu: INFO: .*detected stall'
trouble=$( { tr -d '\r' <"$console" |
	grep -aE "\[ *[0-9]+\.[0-9]+\].*($bad)" || true
	# dmesg.txt exists only if the guest got to the end.
	[ ! -f "$results/dmesg.txt" ] || grep -aE "$bad" "$results/dmesg.txt" || true
} | awk '!seen[$0]++')

status=""
[ -f "$results/exit-code" ] && status=$(tr -dc '0-9' <"$results/exit-code")

echo "$prog: guest ran ${elapsed}s on $krel; results in $results" >&2
if [ -n "$trouble" ]; then
	echo "$prog: KERNEL TROUBLE in the console log:" >&2
	printf '%s\n' "$trouble" | sed 's/^/    /' >&2
	if [ -z "$status" ] && [ -z "${WIRECAP_VM_BOOT_RETRIED:-}" ] &&
	   boot_failed "$console"; then
		echo "$prog: the kernel failed before any module was loaded: booting once more" >&2
		cp "$console" "$results/console-boot-failed.log"
		cleanup
		trap - EXIT
		cd "$orig_pwd"
		exec env WIRECAP_VM_BOOT_RETRIED=1 "$top/scripts/vm.sh" \
			"${orig_args[@]}"
	fi
	echo "$prog: exit 125 (command status: ${status:-none})" >&2
	exit 125
fi
if [ "$timed_out" = 1 ]; then
	echo "$prog: TIMEOUT: the guest was killed after ${timeout}s; exit 124" >&2
	exit 124
fi
if [ -z "$status" ]; then
	echo "$prog: the guest left no exit code (hung or crashed early?); exit 124" >&2
	exit 124
fi
exit "$status"
