#!/bin/sh
# The summary at the end of `make run` (scripts/run-summary.py), on the
# host, from results directories made here, for the cases a real run in
# the test VM does not show (it loses nothing): packets lost on the host
# (tap drops), in the guest NIC (capture_drops, oversize_drops), received
# but not in the file, and some not counted anywhere (unexplained); the
# same without loss ("no packet lost"); no capture.json (the balance
# cannot be checked); a stock driver (no capture, the NIC's counters).
# Each summary is checked by scripts/check-run-summary.py (capinfos,
# tcpdump, the JSON), and that checker must reject a summary whose
# numbers were changed. scripts/e2e-run.sh checks a real `make run`.
# Prints TAP; exit 0 iff all passed.
#
#   selftests/host/run_summary.sh
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
n=0 fail=0

tap() {		# tap DESCRIPTION STATUS [FILE to show on failure]
	n=$((n + 1))
	if [ "$2" = 0 ]; then
		echo "ok $n - $1"
	else
		echo "not ok $n - $1"
		[ -z "${3:-}" ] || sed 's/^/# /' "$3" | tail -30
		fail=1
	fi
}
# checked DESCRIPTION DIR: scripts/check-run-summary.py on DIR, one TAP
# line per check
checked() {
	"$top/scripts/check-run-summary.py" "$2" "$2/summary.txt" \
		--trace "$2/trace.pcap" >"$tmp/check.out" 2>&1
	while IFS= read -r line; do
		case $line in
		"ok - "*) n=$((n + 1)); echo "ok $n - $1: ${line#ok - }" ;;
		"not ok - "*) n=$((n + 1)); fail=1; echo "not ok $n - $1: ${line#not ok - }" ;;
		*) echo "$line" ;;
		esac
	done <"$tmp/check.out"
}
has() { grep -q -- "$2" "$1/summary.txt"; }
summary() {	# summary DIR: run-summary.py on DIR into DIR/summary.txt
	"$top/scripts/run-summary.py" "$1" --trace "$1/trace.pcap" --exit 0 \
		>"$1/summary.txt" 2>&1
}

# mkres DIR TRACE_PKTS CAPTURED_PKTS: a trace and a capture file of that
# many packets (60-byte frames, pcap, microseconds; the capture in
# nanoseconds as `wirecap capture` writes it) and vm-setup.txt
mkres() {
	mkdir -p "$1"
	python3 - "$1" "$2" "$3" <<'EOF'
import struct, sys
d, tn, cn = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
def write(path, n, magic):
    with open(path, "wb") as f:
        f.write(struct.pack("<IHHiIII", magic, 2, 4, 0, 0, 65535, 1))
        for i in range(n):
            frame = bytes(12) + b"\x08\x00" + bytes(46)
            f.write(struct.pack("<IIII", 1700000000 + i // 10,
                                (i % 10) * 100000, 60, 60) + frame)
write(d + "/trace.pcap", tn, 0xa1b2c3d4)
if cn >= 0:
    write(d + "/captured.pcap", cn, 0xa1b23c4d)
with open(d + "/vm-setup.txt", "w") as f:
    f.write("kernel:        6.1.0-test (--kernel 6.1)\n"
            "nic:           virtio (wirecap_virtio.ko on QEMU virtio-net-pci)\n"
            "queues:        2\n")
with open(d + "/guest-nic.txt", "w") as f:
    f.write("eth0 wirecap_virtio build-id=00\n")
EOF
}
host() {	# host DIR SENT TAP_TX TAP_DROPPED PENDING
	cat >"$1/host-replay.txt" <<EOF
tap=wctap1
txqueuelen=1000
speed=1
tcpreplay_exit=0
ended=normally
packets_sent=$2
failed_packets=0
generator=tcpreplay
replay_seconds=1.00
rate_pps=40.00
tap_tx_packets=$3
tap_tx_dropped=$4
tap_tx_pending=$5
EOF
}
# capture DIR "Q PACKETS RECEIVED CAPTURE_DROPS OVERSIZE RX_ERRORS" ...:
# capture.json as `wirecap capture --json` writes it (with two keys it
# may add), queue-stats.json as `wirecap stats --all --json`
capture() {
	d=$1
	shift
	python3 - "$d" "$@" <<'EOF'
import json, sys
d, rows = sys.argv[1], [list(map(int, a.split())) for a in sys.argv[2:]]
qs = [{"ifname": "eth0", "queue": q, "packets": p, "chunks": 1,
       "capture_drops": c, "partial_views": 0, "oversize_drops": o,
       "received": r, "accepted": p, "given_up": 0}
      for q, p, r, c, o, e in rows]
tot = {k: sum(q[k] for q in qs) for k in ("packets", "chunks",
       "capture_drops", "partial_views", "oversize_drops", "received")}
json.dump({"interface": "eth0", "seconds": 1.0, "queues": qs,
           "total": tot, "max_frame": 2028}, open(d + "/capture.json", "w"))
json.dump({"eth0-q%d" % q: {"capture_drops": c, "oversize_drops": o,
                           "received": r, "rx_errors": e}
           for q, p, r, c, o, e in rows}, open(d + "/queue-stats.json", "w"))
EOF
}

for t in capinfos tcpdump python3; do
	command -v $t >/dev/null ||
		{ echo "1..0"; echo "Bail out! no $t (scripts/setup.sh)"; exit 1; }
done

# A: 40 sent; the tap dropped 5; queue 0 got 15 of which 3 found the
# pool full, queue 1 got 19, 1 too big, 1 received but not read: 29 in
# the file, 39 accounted for, 1 unexplained.
a=$tmp/loss
mkres "$a" 40 29
host "$a" 40 35 5 0
capture "$a" "0 12 12 3 0 0" "1 17 18 0 1 0"
summary "$a"
checked "losses" "$a"
has "$a" "balance   sent 40 = 29 in the file + 10 lost + 1 unexplained"
tap "losses: the balance line" $? "$a/summary.txt"
! has "$a" "no packet lost"
tap "losses: no 'no packet lost'" $? "$a/summary.txt"
tr '\n' ' ' <"$a/summary.txt" | tr -s ' ' >"$tmp/flat"
for w in "5 on the host" "4 in the guest NIC" "1 in the guest," "1 unexplained"; do
	sed 's/.*packets lost://' "$tmp/flat" | grep -qF "$w"
	tap "losses: 'packets lost:' names $w" $? "$a/summary.txt"
done
grep -Eq '^ +1 +17 +58\.6% +1$' "$a/summary.txt"
tap "losses: queue 1's row (17 packets, 58.6%, 1 lost)" $? "$a/summary.txt"

# the checker fails on a summary whose numbers do not hold
sed 's/^\( *0 *\)12 /\113 /' "$a/summary.txt" >"$tmp/bad.txt"
! "$top/scripts/check-run-summary.py" "$a" "$tmp/bad.txt" --trace "$a/trace.pcap" \
	>"$tmp/bad.out" 2>&1 && grep -q "^not ok - each queue" "$tmp/bad.out"
tap "the checker rejects a queue row changed by one" $? "$tmp/bad.out"
sed 's/+ 1 unexplained/+ 0 unexplained/' "$a/summary.txt" >"$tmp/bad.txt"
! "$top/scripts/check-run-summary.py" "$a" "$tmp/bad.txt" --trace "$a/trace.pcap" \
	>"$tmp/bad.out" 2>&1
tap "the checker rejects a balance that hides an unexplained packet" $? "$tmp/bad.out"

# B: nothing lost
b=$tmp/clean
mkres "$b" 30 30
host "$b" 30 30 0 0
capture "$b" "0 10 10 0 0 0" "1 20 20 0 0 0"
summary "$b"
checked "no loss" "$b"
has "$b" "no packet lost: every packet sent is in the capture file"
tap "no loss: says 'no packet lost'" $? "$b/summary.txt"

# C: the capture left no capture.json: nothing claimed
c=$tmp/nojson
mkres "$c" 30 30
host "$c" 30 30 0 0
summary "$c"
has "$c" "^balance   cannot be checked" && ! has "$c" "no packet lost"
tap "no capture.json: the balance cannot be checked, no claim" $? "$c/summary.txt"

# D: a stock driver: no capture, the NIC's counters
d=$tmp/stock
mkres "$d" 30 -1
host "$d" 30 30 0 0
printf 'rx_packets=28\nrx_dropped=2\nrx_errors=0\n' >"$d/nic-stats.txt"
summary "$d"
has "$d" "^captured  nothing" &&
	has "$d" "sent 30 = 28 counted by the guest NIC + 2 lost + 0 unexplained" &&
	! has "$d" "no packet lost"
tap "stock driver: the NIC's counts in the balance, no claim" $? "$d/summary.txt"

# E: rx_errors: 2 cells with no frame, written as empty records
e=$tmp/rxerr
mkres "$e" 22 20
python3 - "$e/captured.pcap" <<'EOF'
import struct, sys
with open(sys.argv[1], "ab") as f:	# 2 more records, no frame
    for i in range(2):
        f.write(struct.pack("<IIII", 1700000009, 0, 0, 0))
EOF
host "$e" 22 22 0 0
capture "$e" "0 22 22 0 0 2"
summary "$e"
has "$e" "(22 packets; 2 empty: no frame)" &&
	has "$e" "sent 22 = 20 in the file + 2 lost + 0 unexplained"
tap "rx_errors: empty records are not packets, the cells are lost" $? "$e/summary.txt"

# F: 4 queues, loss at every place at once (the longest summary)
f=$tmp/worst
mkres "$f" 100 80
python3 - "$f/captured.pcap" <<'EOF2'
import struct, sys
with open(sys.argv[1], "ab") as f:	# 1 record with no frame
    f.write(struct.pack("<IIII", 1700000009, 0, 0, 0))
EOF2
host "$f" 100 90 6 2
capture "$f" "0 20 20 1 0 0" "1 20 21 0 1 0" "2 20 20 0 0 1" "3 21 21 0 0 0"
summary "$f"
checked "4 queues, every loss" "$f"
has "$f" "sent 100 = 80 in the file + 12 lost + 8 unexplained"
tap "4 queues, every loss: the balance line" $? "$f/summary.txt"

long=0
for s in "$a" "$b" "$c" "$d" "$e" "$f"; do
	l=$(wc -l <"$s/summary.txt")
	[ "$l" -le 25 ] || { echo "# ${s##*/}: $l lines"; long=1; }
done
tap "every summary fits on one screen (25 lines)" $long
echo "1..$n"	# (the checker's lines vary in number)
exit $fail
