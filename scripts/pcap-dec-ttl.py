#!/usr/bin/env python3
# What a router's TTL edit makes of a trace: the frames `wirecap forward
# --dec-ttl` must send, written without its code. For each frame of
# IN.pcap (Ethernet, up to two VLAN tags): IPv4 TTL and IPv6 hop limit
# minus one; an IPv4 header checksum that was right is computed anew over
# the edited header (one that was wrong gets the same one's-complement
# adjustment, so it stays as wrong); a frame whose TTL or hop limit is 1
# or 0 is left out (a router drops it). Frames that are not IP pass as they
# are. Writes OUT.pcap and prints "expired N" on stdout.
#
#   scripts/pcap-dec-ttl.py IN.pcap OUT.pcap
import struct
import sys


def csum(hdr):
    """The Internet checksum of hdr (its checksum field as it is)."""
    s = 0
    for i in range(0, len(hdr), 2):
        s += hdr[i] << 8 | (hdr[i + 1] if i + 1 < len(hdr) else 0)
    while s >> 16:
        s = (s & 0xffff) + (s >> 16)
    return ~s & 0xffff


def edit(f):
    """The edited frame (bytearray), or None when it expired."""
    off = 12
    etype = None
    for tags in range(3):
        if off + 2 > len(f):
            return f
        etype = f[off] << 8 | f[off + 1]
        if etype not in (0x8100, 0x88a8) or tags == 2:
            break
        off += 4
    off += 2
    if etype == 0x0800 and off + 20 <= len(f) and f[off] >> 4 == 4:
        ihl = (f[off] & 0xf) * 4
        if f[off + 8] <= 1:
            return None
        whole = ihl >= 20 and off + ihl <= len(f)
        right = whole and csum(f[off:off + ihl]) == 0
        f[off + 8] -= 1
        if right:
            f[off + 10:off + 12] = b"\0\0"
            f[off + 10:off + 12] = struct.pack(">H",
                                               csum(f[off:off + ihl]))
        else:
            s = (f[off + 10] << 8 | f[off + 11]) + 0x100
            s = (s & 0xffff) + (s >> 16)
            f[off + 10:off + 12] = struct.pack(">H", 0 if s == 0xffff
                                               else s)
    elif etype == 0x86dd and off + 40 <= len(f) and f[off] >> 4 == 6:
        if f[off + 7] <= 1:
            return None
        f[off + 7] -= 1
    return f


def main(src, dst):
    data = open(src, "rb").read()
    magic = struct.unpack("<I", data[:4])[0]
    if magic in (0xa1b2c3d4, 0xa1b23c4d):
        e = "<"
    elif magic in (0xd4c3b2a1, 0x4d3cb2a1):
        e = ">"
    else:
        sys.exit(f"{src}: not a pcap file")
    if struct.unpack(e + "I", data[20:24])[0] != 1:
        sys.exit(f"{src}: not Ethernet")
    out = [data[:24]]
    pos, expired = 24, 0
    while pos + 16 <= len(data):
        sec, frac, caplen, wirelen = struct.unpack(e + "IIII",
                                                   data[pos:pos + 16])
        frame = edit(bytearray(data[pos + 16:pos + 16 + caplen]))
        pos += 16 + caplen
        if frame is None:
            expired += 1
            continue
        out.append(struct.pack(e + "IIII", sec, frac, caplen, wirelen))
        out.append(bytes(frame))
    open(dst, "wb").write(b"".join(out))
    print("expired", expired)


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit("usage: pcap-dec-ttl.py IN.pcap OUT.pcap")
    main(sys.argv[1], sys.argv[2])
