#!/usr/bin/env python3
"""gen_burst.py [--imix] P OUT.pcap [FLOWS]: a burst of P 64-byte
Ethernet/IPv4/UDP frames (60 bytes on the wire before the FCS), FLOWS
source ports (default 1: one flow, so RSS puts the whole burst on one
queue), timestamps 1 us apart. The bench's input for bursts through the
virtio NIC. --imix: the simple IMIX instead, 64, 594 and 1518 bytes on
the wire (FCS included) as 7:4:1, interleaved in a fixed pattern of 12
(IMIX_CYCLE): mean 361.8 bytes on the wire, 357.8 without the FCS."""
import struct
import sys


def csum(b):
    s = sum(struct.unpack("!%dH" % (len(b) // 2), b))
    s = (s >> 16) + (s & 0xffff)
    return ~(s + (s >> 16)) & 0xffff


# frame lengths before the FCS: 7 x 60, 4 x 590, 1 x 1514 in each 12
IMIX_CYCLE = (60, 590, 60, 60, 590, 60, 1514, 60, 590, 60, 60, 590)


def frame(i, flows, length=60):
    """Frame i: its sequence number first in the payload, length bytes."""
    payload = struct.pack("!Q", i) + bytes(length - 50)
    udp = struct.pack("!HHHH", 10000 + i % flows, 9, 8 + len(payload), 0)
    ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(udp) + len(payload),
                     i & 0xffff, 0, 64, 17, 0, bytes([10, 0, 0, 1]),
                     bytes([10, 0, 0, 2]))
    ip = ip[:10] + struct.pack("!H", csum(ip)) + ip[12:]
    eth = bytes.fromhex("020000000002020000000001") + b"\x08\x00"
    return eth + ip + udp + payload


def main():
    args = sys.argv[1:]
    imix = bool(args) and args[0] == "--imix"
    if imix:
        args = args[1:]
    if len(args) not in (2, 3):
        print(__doc__, file=sys.stderr)
        return 2
    p, out = int(args[0]), args[1]
    flows = int(args[2]) if len(args) == 3 else 1
    with open(out, "wb") as f:
        f.write(struct.pack("<IHHiIII", 0xa1b2c3d4, 2, 4, 0, 0, 65535, 1))
        for i in range(p):
            fr = frame(i, flows,
                       IMIX_CYCLE[i % len(IMIX_CYCLE)] if imix else 60)
            f.write(struct.pack("<IIII", i // 1000000, i % 1000000,
                                len(fr), len(fr)))
            f.write(fr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
