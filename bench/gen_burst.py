#!/usr/bin/env python3
"""gen_burst.py P OUT.pcap [FLOWS]: a burst of P 64-byte Ethernet/IPv4/UDP
frames (60 bytes on the wire before the FCS), FLOWS source ports (default
1: one flow, so RSS puts the whole burst on one queue), timestamps 1 us
apart. The bench's input for bursts through the virtio NIC."""
import struct
import sys


def csum(b):
    s = sum(struct.unpack("!%dH" % (len(b) // 2), b))
    s = (s >> 16) + (s & 0xffff)
    return ~(s + (s >> 16)) & 0xffff


def frame(i, flows):
    payload = struct.pack("!Q", i) + bytes(10)
    udp = struct.pack("!HHHH", 10000 + i % flows, 9, 8 + len(payload), 0)
    ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(udp) + len(payload),
                     i & 0xffff, 0, 64, 17, 0, bytes([10, 0, 0, 1]),
                     bytes([10, 0, 0, 2]))
    ip = ip[:10] + struct.pack("!H", csum(ip)) + ip[12:]
    eth = bytes.fromhex("020000000002020000000001") + b"\x08\x00"
    return eth + ip + udp + payload


def main():
    if len(sys.argv) not in (3, 4):
        print(__doc__, file=sys.stderr)
        return 2
    p, out = int(sys.argv[1]), sys.argv[2]
    flows = int(sys.argv[3]) if len(sys.argv) == 4 else 1
    with open(out, "wb") as f:
        f.write(struct.pack("<IHHiIII", 0xa1b2c3d4, 2, 4, 0, 0, 65535, 1))
        for i in range(p):
            fr = frame(i, flows)
            f.write(struct.pack("<IIII", i // 1000000, i % 1000000,
                                len(fr), len(fr)))
            f.write(fr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
