#!/bin/sh
# The savefile writer of `wirecap capture` (tools/savefile.c) on the host,
# driven by wirecap-savefile-feed (selftests/host/savefile_feed.c) with
# the frames of a real trace as if from 4 queues (frame k: queue k % 4,
# hash k * 2654435761 mod 2^32, none when k % 5 == 4). Checked:
#   pcap      tcpdump -r and tshark -r read it; tcpdump's -tt --nano -xx
#             text of it equals the trace's
#   pcapng    the same; one interface per queue (name, if_tsresol 9); per
#             frame its interface, epb_queue and epb_hash (our reader,
#             pcapng_blocks.py) and epb_queue as tshark reads it; the
#             statistics blocks close the file with the counters given
#   -C        no file bigger than the size (million bytes, k suffix);
#             tcpdump's names FILE, FILE1, ...; each pcapng file complete
#             (header and statistics blocks); together, the trace
#   -W        with -C a ring of exactly N files FILE0..FILE<N-1>, padded
#             to the width of N-1, holding the end of the trace
#   -G        strftime names, a file per -G seconds of the (trace's) clock,
#             together the trace; with -W, stops after N files
#   -G -C     -C rotations do not restart the -G period: the names are the
#             -G files' names, numbered; with -W, a ring within a period
#   ring      -C -W 1 into a pipe nobody reads for 2 s: the ring's next
#             file is the one still being written; frames are given up
#             meanwhile (capture does not wait on it), written + given up
#             = sent; -C -W 1 into a regular file: one file, the trace's
#             last frames (a new file replaces the one in flight)
#   full disk a tmpfs of 1 MiB or of 3 files: -C whose next file cannot be
#             created, and a write that fails, both exit 1 with "No space
#             left on device" and no "maximum file limit"; nothing counted
#             as written that is not in the files
#   pipe      into `head -c 1000`: no SIGPIPE death; exit 0, the report
#   snaplen   near 2^32 refused (it overflowed the record length)
#   names     a -w path longer than PATH_MAX refused (not cut short)
#   stall     into a pipe nobody reads for 2 s, with a small buffer pool:
#             frames are given up, written + given up = sent, and the
#             file holds exactly the frames written
#   tool      `wirecap capture`: --version, a bad filter refused before
#             any device is opened, -W without -C or -G refused
# Needs `make host-tools userbins`. Prints TAP; exit 0 iff all passed.
#
#   selftests/host/savefile.sh [TRACE]
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
trace=${1:-${WIRECAP_SHARED:-$top/../shared}/traces/ppp_tls2.pcap}
feed=$top/build/host/wirecap-savefile-feed
wc=$top/build/bin/wirecap
blocks=$top/selftests/host/pcapng_blocks.py
py=/usr/bin/python3
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
n=0 fail=0

ok() {		# ok DESCRIPTION STATUS
	n=$((n + 1))
	if [ "$2" = 0 ]; then
		echo "ok $n - $1"
	else
		echo "not ok $n - $1"
		sed 's/^/# /' "$tmp/err" 2>/dev/null | tail -8
		fail=1
	fi
}

# check DESCRIPTION command...: ok iff the command exits 0
check() {
	d=$1
	shift
	"$@" >"$tmp/err" 2>&1
	ok "$d" $?
}

# text FILE...: what tcpdump prints of the files, one after the other
text() {
	for f in "$@"; do
		tcpdump -r "$f" -n -S -tt --nano -xx 2>/dev/null || return 1
	done
}

# same_text WANT_FILE FILE...: tcpdump's text of the files is WANT's
same_text() {
	want=$1
	shift
	text "$@" >"$tmp/got.txt" || { echo "tcpdump failed"; return 1; }
	[ -s "$tmp/got.txt" ] || { echo "no frames"; return 1; }
	cmp "$tmp/want.txt" "$tmp/got.txt" >/dev/null 2>&1 && return 0
	echo "differs from $want:"
	diff "$tmp/want.txt" "$tmp/got.txt" | head -5
	return 1
}

# readable N FILE: tcpdump -r and tshark -r read N frames
readable() {
	a=$(tcpdump -r "$2" -n 2>/dev/null | wc -l)
	b=$(tshark -r "$2" 2>/dev/null | wc -l)
	echo "tcpdump $a tshark $b, want $1"
	[ "$a" = "$1" ] && [ "$b" = "$1" ]
}

# ls_files PREFIX: the files whose names start with PREFIX, sorted
ls_files() { ls -1 "$1"* 2>/dev/null | sort; }

echo "1..36"
for f in "$feed" "$wc" "$trace"; do
	[ -e "$f" ] || { echo "Bail out! no $f (make host-tools userbins)"; exit 1; }
done
text "$trace" >"$tmp/want.txt"
sent=$(tcpdump -r "$trace" -n 2>/dev/null | wc -l)

# --- pcap, pcapng -----------------------------------------------------------
cd "$tmp"
"$feed" -r "$trace" -w a.pcap >a.out 2>&1
check "pcap: tcpdump -r and tshark -r read all $sent frames" readable "$sent" a.pcap
check "pcap: nanosecond magic" \
	sh -c "od -An -tx1 -N4 a.pcap | tr -d ' ' | grep -qx 4d3cb2a1"
ok "pcap: frames and timestamps equal the trace's" \
	"$(same_text trace a.pcap >"$tmp/err" 2>&1; echo $?)"

"$feed" -r "$trace" -w b.pcapng --pcapng >b.out 2>&1
check "pcapng: tcpdump -r and tshark -r read all $sent frames" readable "$sent" b.pcapng
ok "pcapng: frames and timestamps equal the trace's" \
	"$(same_text trace b.pcapng >"$tmp/err" 2>&1; echo $?)"
"$py" "$blocks" b.pcapng >b.blocks 2>"$tmp/err"
check "pcapng: one interface per queue, tsresol 9; every EPB's interface, queue and hash; frames by MD5" \
	"$py" - "$trace" b.blocks <<'EOF'
import hashlib, struct, sys
raw = open(sys.argv[1], "rb").read()
bo = "<" if struct.unpack("<I", raw[:4])[0] in (0xa1b2c3d4, 0xa1b23c4d) else ">"
off, md5s = 24, []
while off < len(raw):
    _, _, cap, _ = struct.unpack_from(bo + "IIII", raw, off)
    md5s.append(hashlib.md5(raw[off + 16:off + 16 + cap]).hexdigest())
    off += 16 + cap
lines = open(sys.argv[2]).read().split("\n")
idb = [l for l in lines if l.startswith("IDB")]
want = ["IDB %d name=wirecap:feed0@%d tsresol=9 snaplen=262144 linktype=1" % (i, i)
        for i in range(4)]
assert idb == want, idb
epb = [l.split() for l in lines if l.startswith("EPB")]
assert len(epb) == len(md5s), (len(epb), len(md5s))
for k, (e, m) in enumerate(zip(epb, md5s)):
    h = "5:%08x" % (k * 2654435761 % 2**32) if k % 5 != 4 else "-:-"
    got = (e[1], e[5], e[6], e[7])
    exp = (str(k % 4), "queue=%d" % (k % 4), "hash=" + h, "md5=" + m)
    assert got == exp, (k, got, exp)
print("%d EPBs as expected" % len(epb))
EOF
check "pcapng: tshark reads epb_queue (frame.interface_queue) of every frame" \
	sh -c "tshark -r b.pcapng -T fields -e frame.interface_queue 2>/dev/null |
	       awk '\$1 != (NR - 1) % 4 { bad++ } END { print NR, bad + 0; exit !(NR == $sent && !bad) }'"
check "pcapng: a statistics block per queue ends the file, with the counters" \
	"$py" - b.blocks <<'EOF'
import sys
lines = [l for l in open(sys.argv[1]).read().split("\n") if l]
isb = lines[-4:]
per = [0] * 4
for l in lines:
    if l.startswith("EPB"):
        per[int(l.split()[1])] += 1
for i, l in enumerate(isb):
    f = l.split()
    assert f[0] == "ISB" and f[1] == str(i), l
    kv = dict(x.split("=") for x in f[2:])
    assert kv["recv"] == str(1000 + i) and kv["drop"] == str(10 + i), l
    assert kv["accept"] == str(500 + i) and kv["deliv"] == str(per[i]), (l, per)
    assert 0 < int(kv["start"]) <= int(kv["end"]), l
print(isb)
EOF

# --- -C, -W -----------------------------------------------------------------
mkdir c && "$feed" -r "$trace" -w c/f.pcapng --pcapng -C 1 >c.out 2>&1
nc=$(ls c | wc -l)
cfiles=$(i=1; printf 'c/f.pcapng'; while [ $i -lt "$nc" ]; do printf ' c/f.pcapng%d' $i; i=$((i + 1)); done)
check "-C 1 (pcapng): $nc files, none over 1000000 bytes" \
	sh -c "[ $nc -ge 2 ] && ! find c -type f -size +1000000c | grep -q ."
check "-C: tcpdump's names f.pcapng, f.pcapng1, ...; each file complete, with its own header and statistics" \
	sh -c "[ \"\$(ls c | sort -V | tr '\n' ' ')\" = \"\$(echo $cfiles | sed 's|c/||g') \" ] &&
	       for f in $cfiles; do $py $blocks \$f >\$f.b || exit 1;
	         head -1 \$f.b | grep -q ^SHB && sed -n 2p \$f.b | grep -q '^IDB 0' &&
	         tail -1 \$f.b | grep -q '^ISB 3' || exit 1; done"
ok "-C: the files in order are the trace" \
	"$(same_text trace $cfiles >"$tmp/err" 2>&1; echo $?)"
check "-C: mergecap -a joins them; tshark reads all $sent" \
	sh -c "mergecap -a -w c.all.pcapng $cfiles &&
	       [ \$(tshark -r c.all.pcapng 2>/dev/null | wc -l) = $sent ]"

mkdir d && "$feed" -r "$trace" -w d/f.pcap -C 300k >d.out 2>&1
nd=$(ls d | wc -l)
names=$(i=1; printf 'f.pcap'; while [ $i -lt "$nd" ]; do printf ' f.pcap%d' $i; i=$((i + 1)); done)
check "-C 300k (pcap): $nd files of at most 307200 bytes" \
	sh -c "[ $nd -ge 5 ] && ! find d -type f -size +307200c | grep -q ."
ok "-C 300k: the files in order are the trace" \
	"$(same_text trace $(for f in $names; do echo d/$f; done) >"$tmp/err" 2>&1; echo $?)"

mkdir r && "$feed" -r "$trace" -w r/f.pcap -C 300k -W 3 >r.out 2>&1
check "-C 300k -W 3: a ring of exactly f.pcap0, f.pcap1, f.pcap2" \
	sh -c "[ \"\$(ls r | tr '\n' ' ')\" = 'f.pcap0 f.pcap1 f.pcap2 ' ]"
# the ring's last lap: file (nd-1) % 3 was written last
last=$(( (nd - 1) % 3 ))
order=$(i=0; while [ $i -lt 3 ]; do echo r/f.pcap$(( (last + 1 + i) % 3 )); i=$((i + 1)); done)
[ "$nd" -lt 3 ] && order="r/f.pcap0 r/f.pcap1 r/f.pcap2"
text $order >"$tmp/ring.txt" 2>/dev/null
ok "-W 3: the ring holds the end of the trace (its last $(grep -c '^[0-9]' "$tmp/ring.txt") frames)" \
	"$(tail -n "$(wc -l <"$tmp/ring.txt")" "$tmp/want.txt" | cmp -s - "$tmp/ring.txt"; echo $?)"
mkdir r1 && "$feed" -r "$trace" -w r1/f.pcap -C 300k -W 1 >r1.out 2>&1
text r1/f.pcap >"$tmp/ring1.txt" 2>/dev/null
ok "-C 300k -W 1: one file f.pcap, the end of the trace (its last $(grep -c '^[0-9]' "$tmp/ring1.txt") frames)" \
	"$([ "$(ls r1)" = f.pcap ] && [ -s "$tmp/ring1.txt" ] &&
	   tail -n "$(wc -l <"$tmp/ring1.txt")" "$tmp/want.txt" | cmp -s - "$tmp/ring1.txt"; echo $?)"
mkdir r11 && "$feed" -r "$trace" -w r11/f -C 300k -W 11 >/dev/null 2>&1
check "-W 11: numbers padded to two digits, f00 .. f$(printf %02d $((nd - 1)))" \
	sh -c "[ \"\$(ls r11 | tr '\n' ' ')\" = '$(i=0; while [ $i -lt "$nd" ]; do printf 'f%02d ' $i; i=$((i + 1)); done)' ]"

# --- -G ---------------------------------------------------------------------
# the expected names: a file starts at the first frame, and again at the
# first frame -G seconds or more after the start of the current one
"$py" - "$trace" 50 >g.want <<'EOF'
import struct, sys, time
raw = open(sys.argv[1], "rb").read()
bo = "<" if struct.unpack("<I", raw[:4])[0] in (0xa1b2c3d4, 0xa1b23c4d) else ">"
off, start, G = 24, None, int(sys.argv[2])
while off < len(raw):
    sec, _, cap, _ = struct.unpack_from(bo + "IIII", raw, off)
    if start is None or sec - start >= G:
        start = sec
        print(time.strftime("g-%H%M%S.pcapng", time.gmtime(sec)))
    off += 16 + cap
EOF
mkdir g && (cd g && TZ=UTC "$feed" -r "$trace" -w 'g-%H%M%S.pcapng' --pcapng \
	-G 50 --trace-clock >../g.out 2>&1)
check "-G 50: strftime names, a file per 50 s of the clock ($(wc -l <g.want | tr -d ' ') files)" \
	sh -c "[ \"\$(ls g)\" = \"\$(cat g.want)\" ] && [ \$(wc -l <g.want) -ge 3 ]"
ok "-G 50: the files in order are the trace" \
	"$(same_text trace $(sed 's|^|g/|' g.want) >"$tmp/err" 2>&1; echo $?)"
mkdir gw && (cd gw && TZ=UTC "$feed" -r "$trace" -w 'g-%H%M%S.pcapng' --pcapng \
	-G 50 -W 2 --trace-clock >../gw.out 2>&1)
text $(head -2 g.want | sed 's|^|g/|') >"$tmp/g2.txt" 2>/dev/null
check "-G 50 -W 2: stops after 2 files, the first two of -G 50 alone" \
	sh -c "[ \"\$(ls gw)\" = \"\$(head -2 g.want)\" ] &&
	       for f in \$(head -2 g.want); do
	         tcpdump -r gw/\$f -n -S -tt --nano -xx 2>/dev/null || exit 1
	       done | cmp -s - '$tmp/g2.txt'"

# -G and -C: the -G period is not restarted by a -C rotation, and the -C
# files take the name of the -G period they are in
mkdir gc && (cd gc && TZ=UTC "$feed" -r "$trace" -w 'g-%H%M%S.pcapng' --pcapng \
	-G 50 -C 300k --trace-clock >../gc.out 2>&1)
check "-G 50 -C 300k: the -G files of -G 50 alone, each cut by -C ($(ls gc | wc -l) files)" \
	sh -c "[ \"\$(ls gc | sed 's/pcapng[0-9]*\$/pcapng/' | sort -u)\" = \"\$(cat g.want)\" ] &&
	       [ \$(ls gc | wc -l) -gt \$(wc -l <g.want) ]"
ok "-G 50 -C 300k: the files in order are the trace" \
	"$(same_text trace $(for f in $(cat g.want); do ls gc | grep "^$f" | sort -V; done | sed 's|^|gc/|') >"$tmp/err" 2>&1; echo $?)"
mkdir gcw && (cd gcw && TZ=UTC "$feed" -r "$trace" -w 'g-%H%M%S.pcap' \
	-G 1000 -C 100k -W 2 --trace-clock >../gcw.out 2>&1)
check "-G 1000 -C 100k -W 2: one -G period, a ring of 2 files" \
	sh -c "[ \"\$(ls gcw | tr '\n' ' ')\" = \"\$(head -1 g.want | sed 's/pcapng\$/pcap/')0 \$(head -1 g.want | sed 's/pcapng\$/pcap/')1 \" ]"

# --- the disk falls behind --------------------------------------------------
# 2 buffers of 128 KiB, into a pipe nobody reads for 2 s: the 64 KiB pipe
# fills, both buffers wait on it, and what comes meanwhile is given up
# (a writer that never finishes fails here after 60 s instead of hanging)
timeout 60 "$feed" -r "$trace" -w - -s 65535 --write-buffers 2 \
	--write-buffer-size 131072 --kept kept.pcap 2>stall.out |
	(sleep 2; cat >stall.pcap)
read _ s _ w _ g _ _ <stall.out
echo "# stall: $(cat stall.out)"
check "stall: frames given up, and written + given up = sent" \
	sh -c "[ '$s' = $sent ] && [ '${g:-0}' -gt 0 ] && [ \$(( ${w:-0} + ${g:-0} )) = $sent ]"
check "stall: the file holds exactly the $w frames written, byte for byte" \
	sh -c "[ \$(tcpdump -r stall.pcap -n 2>/dev/null | wc -l) = '$w' ] &&
	       $top/build/host/wirecap-pcapcmp kept.pcap stall.pcap"

# a ring of one file: its next file is the one still being written (the
# pipe, reopened by name); frames are given up until it has been written
timeout 60 "$feed" -r "$trace" -w /dev/fd/3 -C 300k -W 1 3>&1 >ring.out 2>&1 |
	(sleep 2; cat >/dev/null)
read _ s _ w _ g _ _ <ring.out 2>/dev/null
echo "# ring: $(cat ring.out)"
check "ring of one file: frames given up while the old one is written, written + given up = sent" \
	sh -c "[ '$s' = $sent ] && [ '${g:-0}' -gt 0 ] && [ \$(( ${w:-0} + ${g:-0} )) = $sent ]"

# a full disk: a private tmpfs of 1 MiB (a write fails) or of 3 inodes (the
# 3rd -C file cannot be created)
full() {	# full SIZE INODES FEED_ARGS...: rc, then the feed's output
	sz=$1 ino=$2
	shift 2
	mkdir -p "$tmp/full"
	unshare -m sh -c 'mount -t tmpfs -o size=$0,nr_inodes=$1 none "$2" &&
		cd "$2" && shift 3 && "$@"; echo "rc=$?"; ls -l
		for f in *; do echo "frames $f $(tcpdump -r $f -n 2>/dev/null | wc -l)"; done' \
		"$sz" "$ino" "$tmp/full" x "$feed" -r "$trace" "$@" 2>&1
}
full 4m 3 -w f.pcap -C 300k >full1.out
echo "# full (inodes): $(grep -v '^[-f]' full1.out | tr '\n' ' ')"
check "full disk (no inode for the next -C file): exit 1, f.pcap2: No space left on device" \
	sh -c "grep -qx rc=1 full1.out && grep -q '^f.pcap2: No space left on device' full1.out &&
	       ! grep -q 'maximum file limit' full1.out"
full 1m 100 -w f.pcap >full2.out
echo "# full (a write): $(grep -v '^[-f]' full2.out | tr '\n' ' ')"
fr=$(awk '/^frames/ { print $3 }' full2.out)
read _ _ _ w _ _ _ _ <<EOF
$(grep '^sent' full2.out)
EOF
check "full disk (a write): exit 1, No space left on device; no frame counted as written that is not in the file" \
	sh -c "grep -qx rc=1 full2.out && grep -q 'No space left on device' full2.out &&
	       ! grep -q 'maximum file limit' full2.out &&
	       [ ${w:-0} -gt 0 ] && [ ${w:-0} -le ${fr:-0} ]"
full 1m 100 -w f.pcap -C 300k >full3.out 2>&1
check "full disk (-C 300k, files until the disk is full): exit 1, no empty file after it" \
	sh -c "grep -qx rc=1 full3.out && grep -q 'No space left on device' full3.out &&
	       [ \$(awk '/^-/ && \$5 == 0' full3.out | wc -l) = 0 ]"

# A full disk (filled first) behind a symbolic link: the empty file may
# go, never the user's link (a name is removed only while it is the file
# written)
mkdir -p "$tmp/full4"
unshare -m sh -c 'mount -t tmpfs -o size=64k none "$0" && cd "$0" &&
	ln -s target.pcap link.pcap &&
	{ dd if=/dev/zero of=fill bs=4k 2>/dev/null; "$1" -r "$2" -w link.pcap; }
	echo "rc=$?"; [ -L link.pcap ] && echo link-kept' \
	"$tmp/full4" "$feed" "$trace" >full4.out 2>&1
check "full disk through a symbolic link: exit 1, the link left in place" \
	sh -c "grep -qx rc=1 full4.out && grep -qx link-kept full4.out"

# the pipe closed by its reader
sh -c '"$0" -r "$1" -w - 2>pipe.err; echo $? >pipe.rc' "$feed" "$trace" | head -c 1000 >/dev/null
check "pipe closed by its reader: exit 0 (not SIGPIPE), the report" \
	sh -c "[ \$(cat pipe.rc) = 0 ] && grep -q '^sent [0-9]* written' pipe.err"

check "snaplen 2^32-1 refused (exit 2), not a heap overflow" \
	sh -c "\"$feed\" -r \"$trace\" -w big.pcap -s 4294967295 --write-buffer-size 1024 2>big.err;
	       [ \$? = 2 ]"

long=$(i=0; while [ $i -lt 2100 ]; do printf ./; i=$((i + 1)); done)x.pcap
"$feed" -r "$trace" -w "$long" >long.out 2>&1
echo "# long: $(head -c 60 long.out) ..."
check "a -w path longer than PATH_MAX: File name too long (not cut short)" \
	sh -c "grep -q 'File name too long' long.out && ! grep -q 'Is a directory' long.out"

# --- the tool's options -----------------------------------------------------
check "wirecap --version, version, capture --version: VERSION" \
	sh -c "v=\$(cat $top/VERSION); [ \"\$($wc --version)\" = \"wirecap \$v\" ] &&
	       [ \"\$($wc version)\" = \"wirecap \$v\" ] &&
	       [ \"\$($wc capture --version)\" = \"wirecap \$v\" ]"
check "capture: a bad filter is refused (exit 2) before a device is opened; a good one is not" \
	sh -c "$wc capture -i nonic0 'tcp port' 2>bad.err; [ \$? = 2 ] &&
	       grep -q 'filter' bad.err &&
	       { $wc capture -i nonic0 tcp port 443 2>good.err; [ \$? = 1 ]; } &&
	       ! grep -q filter good.err && grep -q nonic0 good.err &&
	       { $wc capture -i nonic0 -w x -W 3 2>w.err; [ \$? = 2 ]; }"
exit $fail
