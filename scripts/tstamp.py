#!/usr/bin/env python3
# Per-frame timestamps, end to end (scripts/e2e-tstamp.sh).
#
#   scripts/tstamp.py gen OUT.pcap [--paced N] [--bursts B] [--burst-len L]
#       A trace for wirecap-tap-gen (speed "recorded"): N frames 1 ms
#       apart (the paced part), then, 100 ms later, B bursts of L frames
#       with one and the same time stamp each (tap-gen sends a burst in
#       one sendmmsg()), 10 ms apart. Each frame (60 bytes, EtherType
#       0x88b5, to the guest's MAC) carries "WCTS", its part (P or B) and
#       its sequence number.
#
#   scripts/tstamp.py check SENT.pcap CAPTURED.pcap [--median-lo MS]
#       [--median-hi MS] [--max-equal-paced N]
#       Prints TAP: every frame sent was captured once; in the paced part
#       the median gap between consecutive frames' timestamps is within
#       [median-lo, median-hi] ms and at most N pairs of consecutive
#       frames share a timestamp; in the bursts, no two frames share one
#       and the timestamps rise with the sequence numbers. Comments give
#       the distributions. Exit 0 iff every test passed.
#
# Standard library only. Timestamps of CAPTURED.pcap are read in ns
# (micro-second files are scaled).
import argparse
import struct
import sys

MAGIC_US, MAGIC_NS = 0xA1B2C3D4, 0xA1B23C4D
ETHERTYPE = 0x88B5          # IEEE local experimental
GUEST_MAC = bytes.fromhex("525400123456")
HOST_MAC = bytes.fromhex("020000000001")
BASE_NS = 1700000000 * 10**9
PACED_GAP_NS = 1000000      # 1 ms
BURST_START_NS = 100000000  # after the paced part
BURST_GAP_NS = 10000000     # between bursts


def frame(part, seq):
    f = GUEST_MAC + HOST_MAC + struct.pack("!H", ETHERTYPE)
    f += b"WCTS" + part + struct.pack("!I", seq)
    return f + bytes(60 - len(f))


def gen(a):
    recs = []
    for i in range(a.paced):
        recs.append((BASE_NS + i * PACED_GAP_NS, frame(b"P", i)))
    t = BASE_NS + a.paced * PACED_GAP_NS + BURST_START_NS
    seq = 0
    for b in range(a.bursts):
        for _ in range(a.burst_len):
            recs.append((t + b * BURST_GAP_NS, frame(b"B", seq)))
            seq += 1
    with open(a.out, "wb") as f:
        f.write(struct.pack("<IHHiIII", MAGIC_NS, 2, 4, 0, 0, 65535, 1))
        for ts, fr in recs:
            f.write(struct.pack("<IIII", ts // 10**9, ts % 10**9,
                                len(fr), len(fr)))
            f.write(fr)


def read_pcap(path):
    """[(ts_ns, bytes)] of a classic pcap file."""
    with open(path, "rb") as f:
        d = f.read()
    if len(d) < 24:
        raise ValueError("%s: not a pcap file" % path)
    magic = struct.unpack("<I", d[:4])[0]
    end = "<"
    if magic not in (MAGIC_US, MAGIC_NS):
        end = ">"
        magic = struct.unpack(">I", d[:4])[0]
        if magic not in (MAGIC_US, MAGIC_NS):
            raise ValueError("%s: not a pcap file" % path)
    scale = 1 if magic == MAGIC_NS else 1000
    out, pos = [], 24
    while pos + 16 <= len(d):
        sec, frac, caplen, _ = struct.unpack(end + "IIII", d[pos:pos + 16])
        out.append((sec * 10**9 + frac * scale, d[pos + 16:pos + 16 + caplen]))
        pos += 16 + caplen
    return out


def key(fr):
    """(part, seq) of one of our frames, or None."""
    if len(fr) < 23 or fr[12:14] != struct.pack("!H", ETHERTYPE) or \
            fr[14:18] != b"WCTS":
        return None
    return fr[18:19].decode(), struct.unpack("!I", fr[19:23])[0]


def pct(v, p):
    s = sorted(v)
    return s[min(len(s) - 1, int(p * (len(s) - 1) + 0.5))] if s else 0


def dist(name, gaps):
    """A comment line: the distribution of gaps (ns) in ms."""
    if not gaps:
        return "# %s: none" % name
    return ("# %s (ms, %d gaps): min %.3f p1 %.3f p10 %.3f median %.3f "
            "p90 %.3f p99 %.3f max %.3f; %d equal (0 ns)" %
            (name, len(gaps), min(gaps) / 1e6, pct(gaps, .01) / 1e6,
             pct(gaps, .1) / 1e6, pct(gaps, .5) / 1e6, pct(gaps, .9) / 1e6,
             pct(gaps, .99) / 1e6, max(gaps) / 1e6,
             sum(1 for g in gaps if g == 0)))


def check(a):
    n = 0
    failed = 0

    def tap(ok, what):
        nonlocal n, failed
        n += 1
        failed += not ok
        print("%sok %d %s" % ("" if ok else "not ", n, what))

    sent = [key(fr) for _, fr in read_pcap(a.sent)]
    got = {}
    dup = other = 0
    for ts, fr in read_pcap(a.captured):
        k = key(fr)
        if k is None:
            other += 1
        elif k in got:
            dup += 1
        else:
            got[k] = ts
    missing = sum(1 for k in sent if k not in got)
    print("1..5")
    print("# sent %d frames, captured %d of them, %d missing, %d twice, "
          "%d other frames" % (len(sent), len(got), missing, dup, other))
    tap(missing == 0 and dup == 0,
        "every frame sent captured once (%d of %d)" % (len(got), len(sent)))

    # the paced part: consecutive sequence numbers, both captured
    paced = sorted(s for p, s in sent if p == "P")
    gaps = [got[("P", s + 1)] - got[("P", s)] for s in paced
            if ("P", s) in got and ("P", s + 1) in got]
    print(dist("paced part, gaps", gaps))
    if gaps:
        def share(lo, hi):
            return 100.0 * sum(1 for g in gaps if lo <= g < hi) / len(gaps)
        print("# paced part: %.1f%% of gaps within 0.9..1.1 ms, %.1f%% "
              "within 0.5..1.5 ms, %.1f%% under 0.1 ms (the frame came "
              "in one poll with the one before)" %
              (share(900000, 1100001), share(500000, 1500001),
               share(0, 100000)))
    med = pct(gaps, .5) / 1e6
    tap(bool(gaps) and a.median_lo <= med <= a.median_hi,
        "paced 1 ms apart: median gap %.3f ms within [%.2f, %.2f]" %
        (med, a.median_lo, a.median_hi))
    eq = sum(1 for g in gaps if g == 0)
    tap(bool(gaps) and eq <= a.max_equal_paced,
        "paced 1 ms apart: %d consecutive frames share a timestamp "
        "(at most %d)" % (eq, a.max_equal_paced))

    # the bursts: frames of one burst, in sequence order
    bseq = sorted(s for p, s in sent if p == "B")
    bgaps = [got[("B", s + 1)] - got[("B", s)] for s in bseq
             if ("B", s) in got and ("B", s + 1) in got and
             s // a.burst_len == (s + 1) // a.burst_len]
    print(dist("bursts, gaps inside a burst", bgaps))
    spans = []
    for b in range(len(bseq) // a.burst_len if a.burst_len else 0):
        ts = [got[("B", b * a.burst_len + i)] for i in range(a.burst_len)
              if ("B", b * a.burst_len + i) in got]
        if len(ts) > 1:
            spans.append(max(ts) - min(ts))
    print(dist("bursts, first to last frame of a burst", spans))
    eq = sum(1 for g in bgaps if g == 0)
    tap(bool(bgaps) and eq == 0,
        "bursts: no two frames share a timestamp (%d of %d pairs do)" %
        (eq, len(bgaps)))
    back = sum(1 for g in bgaps if g < 0)
    tap(bool(bgaps) and back == 0,
        "bursts: timestamps rise in arrival order (%d go back)" % back)
    return 1 if failed else 0


def main():
    ap = argparse.ArgumentParser()
    sub = ap.add_subparsers(dest="cmd", required=True)
    g = sub.add_parser("gen")
    g.add_argument("out")
    g.add_argument("--paced", type=int, default=2000)
    g.add_argument("--bursts", type=int, default=100)
    g.add_argument("--burst-len", type=int, default=16)
    c = sub.add_parser("check")
    c.add_argument("sent")
    c.add_argument("captured")
    c.add_argument("--burst-len", type=int, default=16)
    c.add_argument("--median-lo", type=float, default=0.8)
    c.add_argument("--median-hi", type=float, default=1.2)
    c.add_argument("--max-equal-paced", type=int, default=0)
    a = ap.parse_args()
    if a.cmd == "gen":
        gen(a)
        return 0
    try:
        return check(a)
    except (OSError, ValueError) as e:
        print("1..1\nnot ok 1 reading the files: %s" % e)
        return 1


if __name__ == "__main__":
    sys.exit(main())
