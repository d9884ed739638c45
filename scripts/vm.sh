#!/bin/bash
# Run one shell command inside a throw-away QEMU (TCG) guest with the WireCAP
# modules loaded.
#
#   scripts/vm.sh [options] -- '<shell command>'
#
#   --kernel 6.1|6.12    guest kernel (names from build/kernels.mk)  [6.1]
#   --queues N           queues of the software NIC (nr_queues=N)    [4]
#   --trace FILE.pcap    replay FILE into the software NIC once a capture
#                        has attached (wirecap-softnic-replay)
#   --speed top|recorded|MULT   replay speed                         [top]
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
# set. Files it writes to /results come back into the results directory,
# together with console.log (the whole serial console), cmd.log (the
# command's output), dmesg.txt and exit-code.
#
# Exit status: the command's, or 125 if the kernel reported trouble (BUG,
# WARNING, Oops, panic, ...) whatever the command returned, or 124 if the
# guest gave no exit status (timeout, hang, early crash of /init).
#
# Default paths are relative to the repository; given paths to the current
# directory. The results directory is not emptied, but the files named above
# are replaced. Environment: WIRECAP_VM_OUT_MB (output disk size, MiB, [256]),
# WIRECAP_VM_QEMU (QEMU binary).
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
prog=vm.sh

usage() { sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; }
die() { echo "$prog: $*" >&2; exit 2; }

kernel=6.1 queues=4 trace="" speed=top results="$top/results" timeout=600
moddir="" bindir="" extra="" cmd=""
while [ $# -gt 0 ]; do
	opt=$1
	# Accept both "--opt VALUE" and "--opt=VALUE".
	case $opt in
	--*=*) val=${opt#*=}; opt=${opt%%=*}; shift ;;
	--) shift; cmd="$*"; break ;;
	-h | --help) usage; exit 0 ;;
	--*)
		[ $# -ge 2 ] || die "$opt needs a value"
		val=$2; shift 2 ;;
	*) die "unexpected argument '$opt' (the command goes after --)" ;;
	esac
	case $opt in
	--kernel) kernel=$val ;;
	--queues) queues=$val ;;
	--trace) trace=$val ;;
	--speed) speed=$val ;;
	--results) results=$val ;;
	--timeout) timeout=$val ;;
	--modules) moddir=$val ;;
	--bin) bindir=$val ;;
	--extra) extra=$val ;;
	*) die "unknown option $opt (see --help)" ;;
	esac
done
[ -n "$cmd" ] || die "no command; usage: $prog [options] -- '<shell command>'"

# --- check the options -------------------------------------------------------
[[ $queues =~ ^[1-9][0-9]*$ ]] || die "--queues: not a positive integer: $queues"
[[ $timeout =~ ^[1-9][0-9]*$ ]] || die "--timeout: not a positive integer: $timeout"
[[ $speed =~ ^(top|recorded|[0-9]+(\.[0-9]+)?|\.[0-9]+)$ ]] ||
	die "--speed: expected top, recorded or a multiplier, got: $speed"
[ -z "$trace" ] || [ -f "$trace" ] || die "--trace: no such file: $trace"
[ -z "$extra" ] || [ -d "$extra" ] || die "--extra: no such directory: $extra"

kmk=$top/build/kernels.mk
[ -f "$kmk" ] || die "no $kmk; run scripts/setup.sh first"
krel=$(sed -n "s/^KREL_${kernel//./\\.}[[:space:]]*:=[[:space:]]*//p" "$kmk")
[ -n "$krel" ] || die "--kernel: unknown kernel '$kernel' (known: $(sed -n 's/^KREL_\([^ ]*\).*/\1/p' "$kmk" | tr '\n' ' '))"
kroot=$top/build/kernels/$krel
vmlinuz=$kroot/boot/vmlinuz-$krel
[ -f "$vmlinuz" ] || die "no kernel image $vmlinuz; run scripts/setup.sh"

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
out_mb=${WIRECAP_VM_OUT_MB:-256}
[[ $out_mb =~ ^[1-9][0-9]*$ ]] || die "WIRECAP_VM_OUT_MB: not a positive integer: $out_mb"

mkdir -p "$results"
results=$(cd "$results" && pwd)
# Results of an earlier run must not pass for this one's.
rm -f "$results"/{console.log,cmd.log,dmesg.txt,exit-code,replay.log,replay-exit-code}

# --- temporary files, and cleaning up on every exit --------------------------
tmp=$(mktemp -d "${TMPDIR:-/tmp}/wirecap-vm.XXXXXX")
qpid="" tailpid="" trpid=""
# shellcheck disable=SC2317  # (called from the EXIT trap)
cleanup() {
	# QEMU first (by pid), then the console followers, then the files.
	if [ -n "$qpid" ] && kill -0 "$qpid" 2>/dev/null; then
		kill -TERM "$qpid" 2>/dev/null || true
		for _ in 1 2 3 4 5 6 7 8 9 10; do
			kill -0 "$qpid" 2>/dev/null || break
			sleep 0.2
		done
		kill -KILL "$qpid" 2>/dev/null || true
		wait "$qpid" 2>/dev/null || true
	fi
	for p in $tailpid $trpid; do
		kill "$p" 2>/dev/null || true
		wait "$p" 2>/dev/null || true
	done
	rm -rf "$tmp"
}
trap cleanup EXIT
# shellcheck disable=SC2064  # (expanded now on purpose)
for sig in HUP:129 INT:130 TERM:143; do
	trap "echo '$prog: killed by SIG${sig%:*}' >&2; exit ${sig#*:}" "${sig%:*}"
done

# --- initramfs ------------------------------------------------------------------
initrd=$("$top/scripts/mkinitramfs.sh" -k "$krel" -K "$kroot" \
	${moddir:+-m "$moddir"} ${bindir:+-b "$bindir"} -c "$top/build/vm-cache") ||
	die "building the initramfs failed"

# --- input disk: a tar archive ----------------------------------------------------
mkdir "$tmp/in"
printf '%s\n' "$cmd" >"$tmp/in/cmd.sh"
{
	echo "QUEUES=$queues"
	echo "SPEED=$speed"
	echo "TRACE=$([ -n "$trace" ] && echo 1 || echo 0)"
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
# shellcheck disable=SC2054  # (commas belong to QEMU's syntax)
qargs=(
	-accel tcg,thread=multi -cpu max -smp 2 -m 1536
	-nodefaults -display none -no-reboot
	-kernel "$vmlinuz" -initrd "$initrd"
	-append "console=ttyS0 panic=-1 oops=panic panic_on_warn=1 quiet printk.time=1"
	-chardev "file,id=con0,path=$(qesc "$console")" -serial chardev:con0
	-drive "if=none,id=wcin,format=raw,readonly=on,file=$(qesc "$tmp/in.tar")"
	-device virtio-blk-pci,drive=wcin,serial=wirecap-in
	-drive "if=none,id=wcout,format=raw,file=$(qesc "$tmp/out.img")"
	-device virtio-blk-pci,drive=wcout,serial=wirecap-out
)
# No NIC for now. TODO(virtio path, WIRECAP_VIRTIO=1): create a multiqueue
# tap and add "-netdev tap,id=n0,ifname=...,script=no,downscript=no,vhost=off,
# queues=N -device virtio-net-pci,netdev=n0,mq=on,rss=on,disable-legacy=on,
# vectors=2N+2".

: >"$console"
start=$(date +%s.%N)
"$qemu" "${qargs[@]}" </dev/null >"$tmp/qemu.log" 2>&1 &
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
	if [ "$(date +%s)" -ge "$deadline" ]; then
		timed_out=1
		kill -TERM "$qpid" 2>/dev/null || true
		for _ in $(seq 50); do
			kill -0 "$qpid" 2>/dev/null || break
			sleep 0.1
		done
		kill -KILL "$qpid" 2>/dev/null || true
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

# --- results ------------------------------------------------------------------------
mkdir "$tmp/out"
if ! tar -x -f "$tmp/out.img" -C "$tmp/out" --no-same-owner 2>"$tmp/tar.err"; then
	echo "$prog: could not read the output disk:" >&2
	cat "$tmp/tar.err" >&2
fi
cp -R "$tmp/out/." "$results/"

# Kernel trouble. Kernel lines carry a "[  12.345678]" time stamp; requiring it
# keeps the command's own output (also on the console) from matching.
bad='BUG:|WARNING:|Oops|general protection|refcount_t:|list_add corruption|list_del corruption|INFO: task .* blocked|Kernel panic|UBSAN|KASAN'
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
