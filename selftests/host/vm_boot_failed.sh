#!/bin/bash
# scripts/vm.sh boots a guest once more when its kernel failed before any
# module was loaded (Debian's code, not ours; TCG makes 6.12 oops at boot
# now and then), and only then, and only once:
#
#   - its classifier (vm.sh --boot-failed CONSOLE) on made-up consoles: an
#     oops whose "Modules linked in:" is empty (CRLF too) is such a boot;
#     one with our modules loaded is not, nor one of two reports where
#     the second lists modules, nor a console with no report;
#   - vm.sh itself with a stand-in QEMU (WIRECAP_VM_QEMU) whose first boot
#     oopses that way: booted twice, the second run's status, the first
#     console kept; one that fails every time: exit 125 after two boots;
#     one that fails with a module loaded: exit 125 after one boot;
#   - vm-setup.txt's replay line names the host's generator (virtio,
#     --gen tapgen and the default, tcpreplay).
#
#   selftests/host/vm_boot_failed.sh        prints TAP; exit 0 iff all passed
# Needs root (vm.sh makes a network namespace and a tap) and the build
# (`make`: a kernel, our modules and binaries for the initramfs).
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
# shellcheck source=selftests/lib/tap.sh
. "$top/selftests/lib/tap.sh"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
vm=$top/scripts/vm.sh

tap_plan 13

oops='[    2.894496] Oops: int3: 0000 [#1] PREEMPT SMP NOPTI'
panic='[    2.898202] Kernel panic - not syncing: Fatal exception in interrupt'
printf '%s\n[    2.897546] Modules linked in:\n%s\n' "$oops" "$panic" >"$tmp/none"
printf '%s\r\n[    2.897546] Modules linked in: \r\n%s\r\n' "$oops" "$panic" >"$tmp/crlf"
printf '%s\n[   12.1] Modules linked in: wirecap_softnic(OE) wirecap(OE)\n%s\n' \
	"$oops" "$panic" >"$tmp/ours"
printf '%s\n[    2.8] Modules linked in:\n%s\n[   12.1] Modules linked in: wirecap(OE)\n' \
	"$oops" "$oops" >"$tmp/two"
printf '[   12.1] WARNING: CPU: 0 PID: 1 at somewhere\n' >"$tmp/noreport"
"$vm" --boot-failed "$tmp/none"
tap_ok "classifier: an oops with no module loaded is a failed boot" $?
"$vm" --boot-failed "$tmp/crlf"
tap_ok "classifier: the same with CRLF line ends" $?
! "$vm" --boot-failed "$tmp/ours"
tap_ok "classifier: an oops with our modules loaded is not" $?
! "$vm" --boot-failed "$tmp/two"
tap_ok "classifier: a second report with modules loaded is not" $?
! "$vm" --boot-failed "$tmp/noreport"
tap_ok "classifier: a console without a report is not" $?

# The stand-in QEMU: boot N (counted in $tmp/boots) writes to the console
# what FQ_BOOTS says for it (F: a failed boot, M: an oops with a module
# loaded, anything else: a good run whose command exits 3).
cat >"$tmp/qemu" <<'EOF'
#!/bin/bash
if [ "${1:-}" = --version ]; then echo "QEMU emulator version 7.2.0 (stand-in)"; exit 0; fi
con="" out=""
for a in "$@"; do
	case $a in
	file,id=con0,path=*) con=${a#file,id=con0,path=} ;;
	if=none,id=wcout,format=raw,file=*) out=${a#*file=} ;;
	esac
done
n=$(( $(cat "$FQ_DIR/boots" 2>/dev/null || echo 0) + 1 ))
echo $n >"$FQ_DIR/boots"
what=$(echo "$FQ_BOOTS" | cut -c$n)
case $what in
F|M)
	mods=""
	[ "$what" = M ] && mods=" wirecap(OE)"
	printf '[    2.894496] Oops: int3: 0000 [#1] PREEMPT SMP NOPTI\r\n[    2.897546] Modules linked in:%s\r\n[    2.898202] Kernel panic - not syncing: Fatal exception\r\n' "$mods" >>"$con"
	;;
*)
	printf '[    1.000000] boot %s\r\n' $n >>"$con"
	d=$(mktemp -d)
	echo 3 >"$d/exit-code"
	tar -C "$d" -cf "$out" . && rm -rf "$d"
	;;
esac
exit 0
EOF
chmod +x "$tmp/qemu"

# run FQ_BOOTS [keep: the last run's results stay] [vm.sh options...]:
# sets rc, boots
run() {
	rm -f "$tmp/boots"
	if [ -z "${2:-}" ]; then
		rm -rf "$tmp/res"
		mkdir "$tmp/res"
	fi
	FQ_DIR=$tmp FQ_BOOTS=$1 WIRECAP_VM_QEMU=$tmp/qemu \
		"$vm" --kernel 6.1 --results "$tmp/res" --timeout 60 "${@:3}" \
		-- true >"$tmp/log" 2>&1
	rc=$?
	boots=$(cat "$tmp/boots" 2>/dev/null || echo 0)
	tap_diag "boots $1: exit $rc after $boots boot(s)"
	[ "$rc" = 0 ] || [ "$rc" = 3 ] || [ "$rc" = 125 ] ||
		sed 's/^/# /' "$tmp/log" | tail -5
}
run FG
[ "$rc" = 3 ] && [ "$boots" = 2 ]
tap_ok "vm.sh: a failed boot, then a good one: booted twice, the command's status" $?
grep -q 'Modules linked in:' "$tmp/res/console-boot-failed.log" 2>/dev/null &&
	! grep -q 'Modules linked in:' "$tmp/res/console.log"
tap_ok "vm.sh: the failed boot's console kept apart" $?
run G keep
[ "$rc" = 3 ] && [ "$boots" = 1 ] && [ ! -e "$tmp/res/console-boot-failed.log" ]
tap_ok "vm.sh: a good boot: once, an earlier run's failed-boot console gone" $?
run FF
[ "$rc" = 125 ] && [ "$boots" = 2 ]
tap_ok "vm.sh: two failed boots: exit 125, no third" $?
run MG
[ "$rc" = 125 ] && [ "$boots" = 1 ]
tap_ok "vm.sh: an oops with a module loaded: exit 125, not booted again" $?
# a one-frame trace for the host's generator (never replayed: the
# stand-in guest never asks for it)
python3 -c 'import struct, sys
f = bytes(60)
sys.stdout.buffer.write(struct.pack("<IHHiIII", 0xa1b2c3d4, 2, 4, 0, 0, 65535, 1)
                        + struct.pack("<IIII", 0, 0, len(f), len(f)) + f)' \
	>"$tmp/one.pcap"
# setup GEN-OPTIONS... LINE-PATTERN: a virtio run whose vm-setup.txt has
# that replay line; its status (3: the stand-in guest's) and its network
# namespace (named in vm-setup.txt) gone
setup() {
	pat=${*: -1}
	run G "" --nic virtio --pin-gen 0 --trace "$tmp/one.pcap" "${@:1:$#-1}"
	ns=$(sed -n 's/.*network namespace \(wcns[0-9]*\).*/\1/p' \
		"$tmp/res/vm-setup.txt" 2>/dev/null | head -n 1)
	[ "$rc" = 3 ] && [ -n "$ns" ] &&
		! ip netns list | grep -q "^$ns\( \|$\)" &&
		grep -q "$pat" "$tmp/res/vm-setup.txt"
	rc=$?
	[ $rc = 0 ] || tap_diag "$(grep '^replay' "$tmp/res/vm-setup.txt" 2>&1); namespace ${ns:-none named}"
}
setup --gen tapgen '^replay: *on the host, wirecap-tap-gen into '
tap_ok "vm-setup.txt: --gen tapgen, the replay line names wirecap-tap-gen" $rc
setup '^replay: *on the host, tcpreplay into .* timer nano'
tap_ok "vm-setup.txt: by default the replay line names tcpreplay" $rc
# (no pgrep: procps is not among what the project installs)
left=0
for c in /proc/[0-9]*/cmdline; do
	tr '\0' ' ' <"$c" 2>/dev/null | grep -q "$tmp/[q]emu" && left=1
done
[ "$left" = 0 ]
tap_ok "no stand-in QEMU left behind" $?
tap_done
