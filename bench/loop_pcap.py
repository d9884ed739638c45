#!/usr/bin/env python3
"""A trace played N times back to back, as one pcap file.

    loop_pcap.py N IN.pcap OUT.pcap

Copy k (0..N-1) is IN with every timestamp moved k * (span + gap) later,
where span is IN's first-to-last time and gap its mean gap between
packets, so the copies follow each other at IN's own pace (a replayer
that keeps the recorded timing plays them without a pause or a pile-up).
Prints the rate the timestamps record, in packets per second: (n - 1) /
span for IN's n packets, the same for OUT; a replay multiplier is the
wanted rate over it. Classic pcap only (either byte order, micro- or
nanosecond stamps).
"""
import struct
import sys


def main():
    if len(sys.argv) != 4 or not sys.argv[1].isdigit() or \
            int(sys.argv[1]) < 1:
        print(__doc__, file=sys.stderr)
        return 2
    loops, src, dst = int(sys.argv[1]), sys.argv[2], sys.argv[3]
    with open(src, "rb") as f:
        data = f.read()
    magic = data[:4]
    order = {b"\xd4\xc3\xb2\xa1": "<", b"\x4d\x3c\xb2\xa1": "<",
             b"\xa1\xb2\xc3\xd4": ">", b"\xa1\xb2\x3c\x4d": ">"}.get(magic)
    if len(data) < 24 or not order:
        print(f"loop_pcap: {src}: not a classic pcap file", file=sys.stderr)
        return 1
    unit = 10 ** 9 if magic in (b"\x4d\x3c\xb2\xa1", b"\xa1\xb2\x3c\x4d") \
        else 10 ** 6
    rec = struct.Struct(order + "IIII")
    pkts, pos = [], 24
    while pos + 16 <= len(data):
        sec, frac, caplen, length = rec.unpack_from(data, pos)
        if pos + 16 + caplen > len(data):
            break
        pkts.append((sec * unit + frac, caplen, length,
                     data[pos + 16:pos + 16 + caplen]))
        pos += 16 + caplen
    if len(pkts) < 2 or pkts[-1][0] <= pkts[0][0]:
        print(f"loop_pcap: {src}: needs two packets and a time span",
              file=sys.stderr)
        return 1
    span = pkts[-1][0] - pkts[0][0]
    period = span + span // (len(pkts) - 1)
    with open(dst, "wb") as f:
        f.write(data[:24])
        for k in range(loops):
            for ts, caplen, length, frame in pkts:
                t = ts + k * period
                f.write(rec.pack(t // unit, t % unit, caplen, length))
                f.write(frame)
    print(f"{(len(pkts) - 1) * unit / span:.0f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
