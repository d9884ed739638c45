#!/bin/sh
# The bench's profile folding and classifier (bench/flame.py) on a made-up
# `perf script` of 7 samples, as bench/profile.sh leaves it:
#
#   - a halted idle vCPU is idle; the idle loop woken by an interrupt
#     that runs our driver is the driver (a module told by its address in
#     modules.txt, though perf filed it under [kernel.kallsyms]);
#   - a lock released inside our core module goes to the module (the
#     caller a rule claims), not to the lock;
#   - a clock read under AF_PACKET's receive goes to the clock, one under
#     tpacket_rcv with an unclaimed leaf to AF_PACKET;
#   - perf's own process is measurement, but an interrupt it took is not;
#   - user code goes by its file (the shim);
#   - the folded stacks: root first, the comm at the root, a module's
#     frame named "sym [mod]", user ones "sym (file)";
#   - the SVG parses as XML and leaves idle out.
#
#   selftests/host/flame_classify.sh        prints TAP; exit 0 iff all passed
set -eu
top=$(cd "$(dirname "$0")/../.." && pwd)
# shellcheck source=selftests/lib/tap.sh
. "$top/selftests/lib/tap.sh"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

cat >"$tmp/modules.txt" <<'EOF'
wirecap_virtio 40960 0 - Live 0xffffffffc0a00000 (O)
wirecap 155648 1 wirecap_virtio, Live 0xffffffffc0900000 (O)
EOF
cat >"$tmp/perf.script" <<'EOF'
swapper     0 [000]    10.000100: 
	ffffffff9b8592eb native_safe_halt ([kernel.kallsyms])
	ffffffff9ae3ed0d amd_e400_idle ([kernel.kallsyms])
	ffffffff9aefbb86 do_idle ([kernel.kallsyms])

swapper     0 [001]    10.000200: 
	ffffffff92c59b99 _raw_spin_unlock_irqrestore ([kernel.kallsyms])
	ffffffffc0a01234 wcv_poll ([kernel.kallsyms])
	ffffffff92c00000 __napi_poll ([kernel.kallsyms])
	ffffffff92c00010 net_rx_action ([kernel.kallsyms])
	ffffffff92c00020 handle_softirqs ([kernel.kallsyms])
	ffffffff92c00030 __irq_exit_rcu ([kernel.kallsyms])
	ffffffff92c00040 asm_common_interrupt ([kernel.kallsyms])
	ffffffff9b8592eb native_safe_halt ([kernel.kallsyms])
	ffffffff9aefbb86 do_idle ([kernel.kallsyms])

wirecap-pcap-ha   178 [000]    10.002000: 
	ffffffff92c5a0d1 _raw_spin_unlock_irq ([kernel.kallsyms])
	ffffffffc0901000 wirecap_capture_uring ([kernel.kallsyms])
	ffffffff927221c6 io_uring_cmd ([kernel.kallsyms])
	ffffffff92c43e1d do_syscall_64 ([kernel.kallsyms])

ksoftirqd/1    21 [001]    10.003000: 
	ffffffff9227c441 read_hpet ([kernel.kallsyms])
	ffffffff923585e0 ktime_get_real_ts64 ([kernel.kallsyms])
	ffffffff92300000 tpacket_rcv ([kernel.kallsyms])

ksoftirqd/1    21 [001]    10.004000: 
	ffffffff92c00050 memcpy_erms ([kernel.kallsyms])
	ffffffff92300000 tpacket_rcv ([kernel.kallsyms])
	ffffffff92300100 __netif_receive_skb_core ([kernel.kallsyms])

perf   200 [000]    10.005000: 
	ffffffff92c00060 vfs_write ([kernel.kallsyms])
	           12345 [unknown] (/usr/bin/perf)

perf   200 [000]    10.006000: 
	ffffffff92c00070 tpacket_rcv ([kernel.kallsyms])
	ffffffff92c00020 handle_softirqs ([kernel.kallsyms])
	ffffffff92c00040 asm_common_interrupt ([kernel.kallsyms])
	           12345 [unknown] (/usr/bin/perf)

wirecap-pcap-ha   179 [001]    10.007000: 
	            4321 deliver (/usr/lib/wirecap/bin/libwirecap-pcap.so)
	            5432 pcap_dispatch (/usr/lib/wirecap/bin/libwirecap-pcap.so)

EOF

flame=$top/bench/flame.py
# classes of the samples, in order, one a line
classes=$(python3 - "$top/bench" "$tmp/perf.script" <<'EOF'
import sys
sys.dont_write_bytecode = True
sys.path.insert(0, sys.argv[1])
import flame
for s in flame.parse_run(sys.argv[2]):
    print(flame.classify(s))
EOF
)
want="idle (halted)
NIC driver RX (wirecap_virtio / virtio_net)
wirecap core (wirecap.ko)
clock reads (ktime_get*, read_hpet)
AF_PACKET (tpacket_rcv, ring)
measurement (perf, sampler, /init)
AF_PACKET (tpacket_rcv, ring)
libwirecap + pcap shim (libwirecap-pcap.so)"

tap_plan 5
rc=0
[ "$classes" = "$want" ] || rc=1
[ $rc = 0 ] || tap_diag "classes: $(echo "$classes" | tr '\n' '|')"
tap_ok "every sample in its component" $rc

folded=$(python3 "$flame" fold "$tmp/perf.script")
rc=0
echo "$folded" | grep -qx 'swapper;do_idle;native_safe_halt;asm_common_interrupt;__irq_exit_rcu;handle_softirqs;net_rx_action;__napi_poll;wcv_poll \[wirecap_virtio\];_raw_spin_unlock_irqrestore 1' ||
	rc=1
echo "$folded" | grep -qx 'wirecap-pcap-ha;pcap_dispatch (libwirecap-pcap.so);deliver (libwirecap-pcap.so) 1' ||
	rc=1
echo "$folded" | grep -qx 'ksoftirqd;__netif_receive_skb_core;tpacket_rcv;memcpy_erms 1' ||
	rc=1
[ $rc = 0 ] || tap_diag "folded: $folded"
tap_ok "folded stacks root first, modules and files named" $rc

total=$(echo "$folded" | awk '{ n += $NF } END { print n }')
rc=0
[ "$total" = 8 ] || rc=1
tap_ok "folding keeps every sample ($total of 8)" $rc

rc=0
python3 "$flame" svg "$tmp/perf.script" "$tmp/f.svg" "made up" &&
	python3 -c 'import sys, xml.etree.ElementTree as E; E.parse(sys.argv[1])' \
		"$tmp/f.svg" || rc=1
tap_ok "the flame graph is well-formed SVG" $rc

# busy samples only: 8 less the halted one and perf's own
rc=0
grep -q '>6 samples;' "$tmp/f.svg" || rc=1
# amd_e400_idle: only in the halted sample
! grep -q 'amd_e400_idle' "$tmp/f.svg" || rc=1
grep -q 'wirecap_capture_uring \[wirecap\]' "$tmp/f.svg" || rc=1
tap_ok "the flame graph holds the 6 busy samples" $rc
tap_done
