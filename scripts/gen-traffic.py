#!/usr/bin/python3
"""Write a deterministic, realistic-looking multi-flow Ethernet trace (pcap).

    scripts/gen-traffic.py -o FILE.pcap [--packets N] [--flows N]
                           [--duration SECS] [--ipv6 FRACTION] [--seed N]
                           [--elephant FRACTION]

A few hundred TCP and UDP flows, IPv4 and some IPv6, between a set of
clients (10.0.0.0/16, fd00::/64) and servers (documentation prefixes):
  TCP   handshake, request, response segments (MSS-sized with a partial
        last one), delayed ACKs, FIN exchange; a few bulk "elephant" flows,
        some interactive (ssh-like) ones
  UDP   DNS query/response, QUIC-like bursts, RTP-like constant-rate
        streams, NTP
Flow sizes are heavy-tailed; packets of all flows interleave over about
--duration seconds. Frames are 64..1514 bytes (no FCS) with correct IPv4,
TCP and UDP checksums. The same options give the same file, byte for byte.
Written with the standard library only; pcap format: 24-byte file header,
16-byte record headers, microsecond time stamps, LINKTYPE_ETHERNET.
"""
import argparse
import random
import struct
import sys

MIN_FRAME = 64      # shortest frame written (padded with zeroes)
MAX_FRAME = 1514    # Ethernet MTU 1500 + 14-byte header
BASE_TIME = 1700000000  # first time stamp, seconds since the epoch
TCP_OPT_TS = 12     # NOP NOP + timestamp option, on every segment
ETH_IP4, ETH_IP6 = 0x0800, 0x86DD
PROTO_TCP, PROTO_UDP = 6, 17
FIN, SYN, RST, PSH, ACK = 0x01, 0x02, 0x04, 0x08, 0x10


def csum(data):
    """Internet checksum (RFC 1071) of bytes."""
    if len(data) % 2:
        data += b"\0"
    s = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return ~s & 0xFFFF


class Endpoint:
    def __init__(self, mac, ip, v6):
        self.mac, self.ip, self.v6 = mac, ip, v6


class Builder:
    """Builds frames; payload bytes come from one seeded random block."""

    def __init__(self, rng):
        self.block = bytes(rng.getrandbits(8) for _ in range(1 << 16))
        self.rng = rng
        self.ip_id = rng.randrange(1 << 16)

    def payload(self, n):
        off = self.rng.randrange(len(self.block) - n) if n < len(self.block) else 0
        return self.block[off:off + n]

    def ip(self, src, dst, proto, l4):
        if src.v6:
            hdr = struct.pack("!IHBB16s16s", 6 << 28, len(l4), proto, 64,
                              src.ip, dst.ip)
            pseudo = struct.pack("!16s16sIxxxB", src.ip, dst.ip, len(l4), proto)
        else:
            self.ip_id = (self.ip_id + 1) & 0xFFFF
            hdr = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(l4),
                              self.ip_id, 0x4000, 64, proto, 0, src.ip, dst.ip)
            hdr = hdr[:10] + struct.pack("!H", csum(hdr)) + hdr[12:]
            pseudo = struct.pack("!4s4sxBH", src.ip, dst.ip, proto, len(l4))
        return hdr, pseudo

    def frame(self, src, dst, ip_hdr, l4):
        eth = dst.mac + src.mac + struct.pack("!H", ETH_IP6 if src.v6 else ETH_IP4)
        f = eth + ip_hdr + l4
        if len(f) < MIN_FRAME:
            f += b"\0" * (MIN_FRAME - len(f))
        assert len(f) <= MAX_FRAME, len(f)
        return f

    def tcp(self, src, dst, sport, dport, seq, ack, flags, n, ts):
        opts = b"\x01\x01" + struct.pack("!BBII", 8, 10, ts & 0xFFFFFFFF,
                                        (ts * 7) & 0xFFFFFFFF)
        if flags & SYN:
            # MSS, SACK permitted, window scale (+ the timestamp above)
            opts = struct.pack("!BBH", 2, 4, 1460 if not src.v6 else 1440) + \
                b"\x04\x02" + b"\x01\x03\x03\x07" + opts[2:]
        off = (20 + len(opts)) // 4
        l4 = struct.pack("!HHIIBBHHH", sport, dport, seq & 0xFFFFFFFF,
                         ack & 0xFFFFFFFF, off << 4, flags, 502, 0, 0)
        l4 += opts + self.payload(n)
        hdr, pseudo = self.ip(src, dst, PROTO_TCP, l4)
        l4 = l4[:16] + struct.pack("!H", csum(pseudo + l4)) + l4[18:]
        return self.frame(src, dst, hdr, l4)

    def udp(self, src, dst, sport, dport, n, head=b""):
        """n: payload bytes after the 8-byte header, or the payload itself."""
        data = n if isinstance(n, bytes) else head + self.payload(n)
        l4 = struct.pack("!HHHH", sport, dport, 8 + len(data), 0) + data
        hdr, pseudo = self.ip(src, dst, PROTO_UDP, l4)
        c = csum(pseudo + l4) or 0xFFFF
        l4 = l4[:6] + struct.pack("!H", c) + l4[8:]
        return self.frame(src, dst, hdr, l4)


def dns_pair(r):
    """A DNS query for a random name and its answer (1-6 A records)."""
    labels = [bytes(r.choice(b"abcdefghijklmnopqrstuvwxyz0123456789")
                    for _ in range(r.randint(2, 12))) for _ in range(r.randint(2, 4))]
    qname = b"".join(bytes([len(x)]) + x for x in labels) + b"\0"
    qid = r.getrandbits(16)
    question = qname + struct.pack("!HH", 1, 1)
    query = struct.pack("!HHHHHH", qid, 0x0100, 1, 0, 0, 0) + question
    n = r.randint(1, 6)
    answer = struct.pack("!HHHHHH", qid, 0x8180, 1, n, 0, 0) + question
    for _ in range(n):
        answer += struct.pack("!HHHIH4s", 0xC00C, 1, 1, r.randint(30, 3600), 4,
                              bytes(r.getrandbits(8) for _ in range(4)))
    return query, answer


def l3_overhead(v6):
    return 14 + (40 if v6 else 20)


class Flow:
    """One flow's packets as (relative time, frame) pairs."""

    def __init__(self, gen, rng, cli, srv, sport, dport):
        self.gen, self.rng = gen, rng
        self.cli, self.srv, self.sport, self.dport = cli, srv, sport, dport
        self.rtt = rng.choice([0.0004, 0.002, 0.008, 0.02, 0.045]) * \
            rng.uniform(0.7, 1.3)
        self.t = 0.0
        self.pkts = []

    def at(self, dt, frame):
        self.t += dt
        self.pkts.append((self.t, frame))

    def gap(self):
        """Spacing of back-to-back packets of one burst (s)."""
        return self.rng.expovariate(1 / 0.00012)


class TcpFlow(Flow):
    def build(self, budget, kind):
        r, g = self.rng, self.gen
        c, s, cp, sp = self.cli, self.srv, self.sport, self.dport
        mss = MAX_FRAME - l3_overhead(c.v6) - 20 - TCP_OPT_TS
        cseq, sseq = r.getrandbits(32), r.getrandbits(32)
        ts = r.getrandbits(24)
        # handshake
        self.at(0, g.tcp(c, s, cp, sp, cseq, 0, SYN, 0, ts))
        self.at(self.rtt / 2, g.tcp(s, c, sp, cp, sseq, cseq + 1, SYN | ACK, 0, ts + 1))
        cseq += 1
        sseq += 1
        self.at(self.rtt / 2, g.tcp(c, s, cp, sp, cseq, sseq, ACK, 0, ts + 2))
        left = max(budget - 7, 1)
        while left > 0:
            if kind == "interactive":
                n = r.randint(36, 160)
                self.at(r.uniform(0.005, 0.08), g.tcp(c, s, cp, sp, cseq, sseq, PSH | ACK, n, ts))
                cseq += n
                m = r.randint(36, 400)
                self.at(self.rtt, g.tcp(s, c, sp, cp, sseq, cseq, PSH | ACK, m, ts))
                sseq += m
                left -= 2
                continue
            # request, then a response of `segs` segments with an ACK every two
            n = r.randint(180, 720)
            self.at(r.uniform(0.0005, 0.01), g.tcp(c, s, cp, sp, cseq, sseq, PSH | ACK, n, ts))
            cseq += n
            segs = max(1, min(left - 1, int(r.paretovariate(1.2)) if kind == "web"
                              else left * 2 // 3))
            self.t += self.rtt / 2
            for i in range(segs):
                last = i == segs - 1
                m = r.randint(100, mss) if last else mss
                self.at(self.gap(), g.tcp(s, c, sp, cp, sseq, cseq,
                                          (PSH | ACK) if last else ACK, m, ts))
                sseq += m
                if i % 2 == 1 or last:
                    self.at(self.gap(), g.tcp(c, s, cp, sp, cseq, sseq, ACK, 0, ts))
                    left -= 1
            left -= 1 + segs
            ts += 1
        # close: FIN from the client, FIN from the server, last ACK
        self.at(0.001, g.tcp(c, s, cp, sp, cseq, sseq, FIN | ACK, 0, ts))
        self.at(self.rtt / 2, g.tcp(s, c, sp, cp, sseq, cseq + 1, FIN | ACK, 0, ts))
        self.at(self.rtt / 2, g.tcp(c, s, cp, sp, cseq + 1, sseq + 1, ACK, 0, ts))


class UdpFlow(Flow):
    def build(self, budget, kind):
        r, g = self.rng, self.gen
        c, s, cp, sp = self.cli, self.srv, self.sport, self.dport
        maxpay = MAX_FRAME - l3_overhead(c.v6) - 8
        if kind == "dns":
            for _ in range(max(1, budget // 2)):
                q, a = dns_pair(r)
                self.at(r.uniform(0.001, 0.2), g.udp(c, s, cp, sp, q))
                self.at(self.rtt, g.udp(s, c, sp, cp, a))
        elif kind == "ntp":
            self.at(0, g.udp(c, s, cp, sp, 47, b"\x23"))     # v4, client
            self.at(self.rtt, g.udp(s, c, sp, cp, 47, b"\x24"))  # v4, server
        elif kind == "rtp":
            size = r.choice([160, 200, 320])
            seq, ts, ssrc = r.getrandbits(16), r.getrandbits(32), r.getrandbits(32)
            for i in range(budget):
                rtp = struct.pack("!BBHII", 0x80, 0, (seq + i) & 0xFFFF,
                                  (ts + 160 * i) & 0xFFFFFFFF, ssrc)
                self.at(0.02 * r.uniform(0.97, 1.03), g.udp(c, s, cp, sp, size, rtp))
        else:  # quic-like: client hello, server bursts, small client acks
            self.at(0, g.udp(c, s, cp, sp, min(1252, maxpay)))
            left = budget - 1
            while left > 0:
                burst = min(left, r.randint(2, 12))
                self.t += self.rtt / 2
                for _ in range(burst):
                    self.at(self.gap(), g.udp(s, c, sp, cp, r.randint(1200, min(1350, maxpay))))
                left -= burst
                if left > 0:
                    self.at(self.gap(), g.udp(c, s, cp, sp, r.randint(30, 60)))
                    left -= 1


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("-o", "--out", required=True, help="pcap file to write")
    ap.add_argument("--packets", type=int, default=20000, help="about this many packets [20000]")
    ap.add_argument("--flows", type=int, default=400, help="number of flows [400]")
    ap.add_argument("--duration", type=float, default=2.0, help="trace length, seconds [2]")
    ap.add_argument("--ipv6", type=float, default=0.2, help="fraction of IPv6 flows [0.2]")
    ap.add_argument("--seed", type=int, default=1, help="random seed [1]")
    ap.add_argument("--elephant", type=float, default=0,
                    help="add one bulk TCP flow with this fraction of the packets, "
                         "over the whole trace [0: none]")
    a = ap.parse_args()
    if a.packets < 1 or a.flows < 1 or a.packets < a.flows or a.duration <= 0 \
            or not 0 <= a.ipv6 <= 1 or not 0 <= a.elephant < 1:
        ap.error("need packets >= flows >= 1, duration > 0, 0 <= ipv6 <= 1, "
                 "0 <= elephant < 1")

    rng = random.Random(a.seed)
    gen = Builder(rng)
    gw_mac = bytes.fromhex("020000000001")

    def client(i, v6):
        mac = bytes.fromhex("0200000a%04x" % (i % 64))
        i = (i * 2654435761) % 4000      # spread flows over the address range
        if v6:
            return Endpoint(mac, bytes.fromhex("fd000000000000000000000000%06x" % (0x10000 + i)), True)
        return Endpoint(mac, bytes([10, 0, (i >> 8) & 0xFF, i & 0xFF or 1]), False)

    def server(i, v6):
        if v6:
            return Endpoint(gw_mac, bytes.fromhex("20010db8000000000000000000%06x" % (0x100 + i)), True)
        net = [(192, 0, 2), (198, 51, 100), (203, 0, 113)][i % 3]
        return Endpoint(gw_mac, bytes(net + (1 + i % 250,)), False)

    # Kinds with their share of flows and server ports.
    kinds = [  # (proto, kind, weight, ports)
        ("tcp", "web", 46, [443, 443, 443, 80, 8080]),
        ("tcp", "bulk", 4, [443, 873, 445, 2049]),
        ("tcp", "interactive", 6, [22]),
        ("udp", "dns", 22, [53]),
        ("udp", "quic", 12, [443]),
        ("udp", "rtp", 6, [5004, 16384]),
        ("udp", "ntp", 4, [123]),
    ]
    weights = [k[2] for k in kinds]
    # Heavy-tailed packet budgets, scaled to about --packets in total.
    # Bulk flows get 20 times the weight; NTP flows are one exchange.
    picks = [rng.choices(kinds, weights)[0] for _ in range(a.flows)]
    raw = [0 if k[1] == "ntp" else rng.paretovariate(1.1) * (20 if k[1] == "bulk" else 1)
           for k in picks]
    scale = (a.packets - 4 * a.flows) / sum(raw) if a.packets > 4 * a.flows else 0
    frames = []
    nflows = {"tcp4": 0, "tcp6": 0, "udp4": 0, "udp6": 0}
    for i in range(a.flows):
        proto, kind, _, ports = picks[i]
        v6 = rng.random() < a.ipv6
        cli, srv = client(i, v6), server(rng.randrange(600), v6)
        budget = 2 if kind == "ntp" else 4 + int(raw[i] * scale)
        sport = rng.randint(32768, 60999)
        f = (TcpFlow if proto == "tcp" else UdpFlow)(gen, rng, cli, srv, sport, rng.choice(ports))
        f.build(budget, kind)
        nflows[proto + ("6" if v6 else "4")] += 1
        # Start somewhere in the trace; squeeze flows that would run past
        # its end into the time left.
        start = rng.uniform(0, a.duration * 0.85)
        span = f.pkts[-1][0] or 1e-6
        k = min(1.0, (a.duration - start) / span)
        frames += [(start + t * k, i, j, fr) for j, (t, fr) in enumerate(f.pkts)]
    if a.elephant:
        # one more flow, after the others (their bytes stay the same):
        # a bulk transfer carrying the fraction asked, start to end
        cli, srv = client(a.flows, False), server(rng.randrange(600), False)
        f = TcpFlow(gen, rng, cli, srv, rng.randint(32768, 60999), 445)
        f.build(int(len(frames) * a.elephant / (1 - a.elephant)), "bulk")
        nflows["tcp4"] += 1
        k = a.duration / (f.pkts[-1][0] or 1e-6)
        frames += [(t * k, a.flows, j, fr) for j, (t, fr) in enumerate(f.pkts)]
    frames.sort(key=lambda x: (x[0], x[1], x[2]))

    sizes = {"64-127": 0, "128-511": 0, "512-1023": 0, "1024-1513": 0, "1514": 0}
    with open(a.out, "wb") as out:
        out.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1))
        for t, _, _, fr in frames:
            us = int(round(t * 1e6))
            out.write(struct.pack("<IIII", BASE_TIME + us // 1000000, us % 1000000,
                                  len(fr), len(fr)))
            out.write(fr)
            n = len(fr)
            key = ("64-127" if n < 128 else "128-511" if n < 512 else
                   "512-1023" if n < 1024 else "1024-1513" if n < 1514 else "1514")
            sizes[key] += 1
    total = sum(len(x[3]) for x in frames)
    print("gen-traffic: %s: %d packets, %d bytes, %d flows (%s), %.3f s; sizes %s"
          % (a.out, len(frames), total, sum(nflows.values()),
             " ".join("%s=%d" % kv for kv in nflows.items()),
             frames[-1][0] - frames[0][0] if frames else 0.0,
             " ".join("%s:%d" % kv for kv in sizes.items())), file=sys.stderr)


if __name__ == "__main__":
    main()
