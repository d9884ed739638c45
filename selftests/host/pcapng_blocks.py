#!/usr/bin/python3
# SPDX-License-Identifier: BSD-2-Clause
"""pcapng_blocks.py FILE...: the blocks of pcapng files, one line each, for
the tests (tshark 4.0 shows neither epb_hash nor the statistics blocks).
Written from the pcapng specification (draft-ietf-opsawg-pcapng), not from
any reader's code. Every block's two lengths must agree, options must end
inside their block; anything else is an error (exit 1).

  SHB appl=TEXT
  IDB <id> name=TEXT tsresol=<n> snaplen=<n> linktype=<n>
  EPB <if> ts=<ns> caplen=<n> len=<n> queue=<q|-> hash=<algo>:<hex|-> md5=<hex>
  ISB <if> recv=<n> drop=<n> accept=<n> deliv=<n> start=<ns> end=<ns>
"""
import hashlib
import struct
import sys


def options(buf, off, end, bo):
    """(code, value) pairs from off to end; stops at opt_endofopt."""
    out = []
    while off + 4 <= end:
        code, length = struct.unpack_from(bo + "HH", buf, off)
        off += 4
        if code == 0:
            return out
        if off + length > end:
            raise ValueError("option %d runs past its block" % code)
        out.append((code, bytes(buf[off:off + length])))
        off += (length + 3) // 4 * 4
    if off != end:
        raise ValueError("options not 4-aligned")
    return out


def read(path):
    data = open(path, "rb").read()
    off, bo, ifs = 0, "<", []
    lines = []
    while off < len(data):
        if off + 12 > len(data):
            raise ValueError("%s: truncated block at %d" % (path, off))
        btype = struct.unpack_from("<I", data, off)[0]
        if btype == 0x0A0D0D0A:
            magic = struct.unpack_from("<I", data, off + 8)[0]
            bo = "<" if magic == 0x1A2B3C4D else ">"
            ifs = []
        btype, blen = struct.unpack_from(bo + "II", data, off)
        if blen % 4 or blen < 12 or off + blen > len(data):
            raise ValueError("%s: bad block length %d at %d" % (path, blen, off))
        if struct.unpack_from(bo + "I", data, off + blen - 4)[0] != blen:
            raise ValueError("%s: trailing length differs at %d" % (path, off))
        body, end = off + 8, off + blen - 4
        if btype == 0x0A0D0D0A:
            opts = dict(options(data, body + 16, end, bo))
            lines.append("SHB appl=%s" % opts.get(4, b"").decode())
        elif btype == 1:
            linktype, _, snaplen = struct.unpack_from(bo + "HHI", data, body)
            opts = dict(options(data, body + 8, end, bo))
            tsresol = opts.get(9, b"\x06")[0]
            ifs.append(tsresol)
            lines.append("IDB %d name=%s tsresol=%d snaplen=%d linktype=%d" %
                         (len(ifs) - 1, opts.get(2, b"").decode(), tsresol,
                          snaplen, linktype))
        elif btype == 6:
            ifid, hi, lo, cap, olen = struct.unpack_from(bo + "IIIII", data, body)
            if ifid >= len(ifs):
                raise ValueError("%s: EPB of undeclared interface %d" % (path, ifid))
            if ifs[ifid] != 9:
                raise ValueError("%s: interface %d: tsresol %d, not 9" %
                                 (path, ifid, ifs[ifid]))
            frame = data[body + 20:body + 20 + cap]
            opts = dict(options(data, body + 20 + (cap + 3) // 4 * 4, end, bo))
            q = opts.get(6)
            h = opts.get(3)
            queue = str(struct.unpack(bo + "I", q)[0]) if q else "-"
            if h:
                hv = ("%08x" % struct.unpack(bo + "I", h[1:5])[0]
                      if len(h) == 5 else h[1:].hex())
                hash_s = "%d:%s" % (h[0], hv)
            else:
                hash_s = "-:-"
            lines.append("EPB %d ts=%d caplen=%d len=%d queue=%s hash=%s md5=%s" %
                         (ifid, hi << 32 | lo, cap, olen, queue, hash_s,
                          hashlib.md5(frame).hexdigest()))
        elif btype == 5:
            ifid = struct.unpack_from(bo + "I", data, body)[0]
            opts = dict(options(data, body + 12, end, bo))

            def u64(code):
                v = opts.get(code)
                return struct.unpack(bo + "Q", v)[0] if v else -1

            def ts(code):
                v = opts.get(code)
                if not v:
                    return -1
                hi, lo = struct.unpack(bo + "II", v)
                return hi << 32 | lo

            lines.append("ISB %d recv=%d drop=%d accept=%d deliv=%d start=%d end=%d" %
                         (ifid, u64(4), u64(5), u64(6), u64(8), ts(2), ts(3)))
        else:
            lines.append("BLOCK type=%#x len=%d" % (btype, blen))
        off += blen
    return lines


def main():
    try:
        for path in sys.argv[1:]:
            for line in read(path):
                print(line)
    except (ValueError, struct.error, OSError) as e:
        print("pcapng_blocks: %s" % e, file=sys.stderr)
        sys.exit(1)


if __name__ == "__main__":
    main()
