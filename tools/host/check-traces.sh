#!/bin/bash
# Run both host tools over a folder of real traces and check what must hold
# for each readable one, printing TAP:
#   - pcapcmp of the trace against itself: equal (exit 0);
#   - rss split --write, then rss check of those files: all placed (exit 0),
#     once with the NIC model and once with the QEMU model;
#   - pcapcmp of the trace against the split files: equal (what pcapcmp
#     leaves out, snapped or too long, it leaves out on both sides);
#   - pcapcmp against the split files less the smallest queue: exactly the
#     compared records of that queue missing;
#   - with editcap at hand, pcapcmp against the trace less its first packet:
#     that packet missing (unless it is one pcapcmp leaves out).
# Files libpcap cannot read must make both tools exit 2 with a message;
# a crash (exit >= 128, or a sanitizer report) fails.
#
#   tools/host/check-traces.sh DIR [BINDIR]   (BINDIR: build/host, or
#                                              build/host-asan)
# *.gz traces are decompressed to a scratch folder first.
set -u
dir=${1:?usage: check-traces.sh DIR [BINDIR]}
bin=${2:-build/host}
rss=$bin/wirecap-rss
cmp=$bin/wirecap-pcapcmp
tmp=$(mktemp -d "${TMPDIR:-/tmp}/wirecap-traces-XXXXXX")
trap 'rm -rf "$tmp"' EXIT
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1}
n=0 failed=0

ok() {	# ok COND-EXIT-STATUS DESCRIPTION
	n=$((n + 1))
	if [ "$1" = 0 ]; then
		echo "ok $n - $2"
	else
		echo "not ok $n - $2"
		failed=$((failed + 1))
	fi
}

# run OUT CMD...: run, output to OUT, echo the exit status; a sanitizer
# report counts as a crash (99)
run() {
	local out=$1 rc
	shift
	"$@" >"$out" 2>&1
	rc=$?
	if grep -q "ERROR: AddressSanitizer\|runtime error:\|ERROR: LeakSanitizer" "$out"; then
		rc=99
	fi
	echo $rc
}

field() {	# field FILE NAME: the number after "NAME:" in a pcapcmp report
	sed -n "s/^$2: *\([0-9]*\).*/\1/p" "$1" | head -1
}

for f in "$dir"/*; do
	case $f in
	*.gz) base=$(basename "$f" .gz); gunzip -c "$f" >"$tmp/$base"; t=$tmp/$base ;;
	*.pcap | *.pcapng | *.cap) base=$(basename "$f"); t=$f ;;
	*) continue ;;
	esac
	rc=$(run "$tmp/self.out" "$cmp" "$t" "$t")
	if [ "$rc" = 2 ]; then
		rc2=$(run "$tmp/rss.out" "$rss" split "$t")
		msg=$(head -1 "$tmp/self.out")
		[ "$rc2" = 2 ] && [ -s "$tmp/self.out" ] && [ -s "$tmp/rss.out" ]
		ok $? "$base: unreadable, both tools exit 2 ($msg)"
		continue
	fi
	ok "$rc" "$base: pcapcmp against itself: equal"
	for model in nic qemu; do
		rm -f "$tmp"/q-q*.pcap
		rc=$(run "$tmp/split.out" "$rss" --model $model split "$t" --write "$tmp/q")
		rc2=$(run "$tmp/check.out" "$rss" --model $model check "$tmp"/q-q0.pcap \
			"$tmp"/q-q1.pcap "$tmp"/q-q2.pcap "$tmp"/q-q3.pcap)
		if [ "$rc" = 2 ] && grep -q "link type" "$tmp/split.out"; then
			ok 0 "$base: $model: $(tail -1 "$tmp/split.out")"
			continue 2
		fi
		[ "$rc" = 0 ] && [ "$rc2" = 0 ]
		ok $? "$base: $model: split, check of the split files: all placed ($(grep -o 'busiest/mean.*' "$tmp/split.out" || echo 'no hashed packets'))"
	done
	rc=$(run "$tmp/union.out" "$cmp" "$t" "$tmp"/q-q*.pcap)
	ok "$rc" "$base: pcapcmp against the split files: equal"
	# minus one packet (needs editcap): that one missing, if compared
	if command -v editcap >/dev/null && editcap "$t" "$tmp/minus1" 1 2>/dev/null &&
	   [ "$(run "$tmp/m1.out" "$cmp" "$tmp/minus1" "$tmp/minus1")" = 0 ]; then
		run "$tmp/all.out" "$cmp" "$t" "$t" >/dev/null
		want=$(( $(field "$tmp/all.out" "  compared") - $(field "$tmp/m1.out" "  compared") ))
		rc=$(run "$tmp/less.out" "$cmp" "$t" "$tmp/minus1")
		[ "$rc" -lt 3 ] && [ "$(field "$tmp/less.out" missing)" = "$want" ] &&
			[ "$(field "$tmp/less.out" extra)" = 0 ] && [ "$want" -le 1 ]
		ok $? "$base: pcapcmp against itself minus the first packet: $want missing (exit $rc)"
	fi
	# drop the queue with the fewest packets (but at least one)
	small= smallest=
	for q in "$tmp"/q-q*.pcap; do
		c=$(sed -n 's/^captured: *\([0-9]*\).*/\1/p' <("$cmp" "$q" "$q" 2>/dev/null))
		[ "${c:-0}" -gt 0 ] || continue
		if [ -z "$smallest" ] || [ "$c" -lt "$smallest" ]; then
			smallest=$c small=$q
		fi
	done
	[ -n "$small" ] || continue
	rest=()
	for q in "$tmp"/q-q*.pcap; do [ "$q" = "$small" ] || rest+=("$q"); done
	rc=$(run "$tmp/one.out" "$cmp" "$small" "$small")
	want=$(field "$tmp/one.out" "  compared")
	rc=$(run "$tmp/less.out" "$cmp" "$t" "${rest[@]}")
	[ "$rc" -lt 3 ] && [ "$(field "$tmp/less.out" missing)" = "$want" ]
	ok $? "$base: pcapcmp without $(basename "$small"): $want missing"
done
echo "1..$n"
[ $failed = 0 ]
