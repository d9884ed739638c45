#!/usr/bin/env python3
"""fwd_count.py SENT.pcap OUT.pcap: what of SENT came out in OUT (the
forwarding bench: SENT replayed into the guest's first NIC, OUT the frames
the host recorded from its second, scripts/vm.sh's nic2.pcap). Prints
key=value lines:

    sent       frames in SENT
    frames     frames in OUT
    forwarded  distinct frames of SENT found in OUT, byte for byte but
               for the Ethernet addresses (a forwarder may rewrite them:
               xdp-bench redirect swaps them)
    rewritten  those of them whose Ethernet addresses differ
    duplicates frames of SENT found in OUT again
    other      frames in OUT that are not in SENT (the guest's own, or
               forwarded frames changed beyond the Ethernet addresses)
    reordered  frames of SENT that came after a later one of SENT

Classic pcap files, either byte order, micro- or nanosecond stamps; the
frames compared are the captured bytes."""
import struct
import sys


def frames(path):
    with open(path, "rb") as f:
        data = f.read()
    if len(data) < 24:
        return
    magic = data[:4]
    if magic in (b"\xd4\xc3\xb2\xa1", b"\x4d\x3c\xb2\xa1"):
        order = "<"
    elif magic in (b"\xa1\xb2\xc3\xd4", b"\xa1\xb2\x3c\x4d"):
        order = ">"
    else:
        raise ValueError(f"{path}: not a pcap file")
    pos = 24
    rec = struct.Struct(order + "IIII")
    while pos + 16 <= len(data):
        _, _, caplen, _ = rec.unpack_from(data, pos)
        pos += 16
        yield data[pos:pos + caplen]
        pos += caplen


def main():
    if len(sys.argv) != 3:
        print(__doc__, file=sys.stderr)
        return 2
    index = {}
    macs = []
    for fr in frames(sys.argv[1]):
        if fr[12:] not in index:
            index[fr[12:]] = len(macs)
            macs.append(fr[:12])
    seen = set()
    n = dups = other = reordered = rewritten = 0
    last = -1
    for fr in frames(sys.argv[2]):
        n += 1
        i = index.get(fr[12:])
        if i is None:
            other += 1
            continue
        if i in seen:
            dups += 1
            continue
        seen.add(i)
        rewritten += fr[:12] != macs[i]
        if i < last:
            reordered += 1
        last = max(last, i)
    print(f"sent={len(index)}\nframes={n}\nforwarded={len(seen)}\n"
          f"rewritten={rewritten}\n"
          f"duplicates={dups}\nother={other}\nreordered={reordered}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
