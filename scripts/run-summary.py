#!/usr/bin/env python3
# The one-screen summary at the end of `make run` (scripts/run.sh): what
# was sent, what each queue captured, what was lost where, where the
# capture went and what to look at next. Written for someone who has never
# seen the project: every number says what it counts.
#
#   scripts/run-summary.py RESULTS_DIR --trace FILE [--generated]
#                          [--out FILE] [--exit N]
#
# Reads, in RESULTS_DIR, what scripts/vm.sh and run.sh's guest command
# left there: vm-setup.txt, host-replay.txt (tcpreplay's and the tap's
# counts; virtio and e1000e modes) or replay.log (softnic), capture.json
# (`wirecap capture --json`: per queue packets, received, capture_drops,
# oversize_drops; extra keys are ignored), queue-stats.json (`wirecap
# stats --all --json` after the capture: rx_errors), nic-stats.txt (the
# guest NIC's /sys/class/net/IF/statistics, NAME=VALUE) and captured.pcap,
# which it counts itself (pcap or pcapng). A file that is missing makes
# its numbers "?" and the balance says what could not be checked.
#
# The balance, in packets (cells, in the guest):
#   sent by the replayer = taken by the guest NIC's queues (received)
#                        + tap drops + still in the tap at the end (host)
#                        + capture_drops + oversize_drops (guest NIC)
#                        + unexplained
#   received = in the capture file (frames) + cells with no frame
#              (rx_errors) + received but not in the file
# and "unexplained" is printed whatever its sign. With a stock driver
# (no capture) the guest side is the NIC's rx_packets and rx_dropped.
# Exit 0; 1 if RESULTS_DIR is not a directory.
import argparse
import json
import os
import struct
import sys
import textwrap


def kv_file(path, sep="="):
    """NAME=VALUE lines of a file as a dict (empty if it is missing)."""
    d = {}
    try:
        with open(path) as f:
            for line in f:
                if sep in line:
                    k, v = line.split(sep, 1)
                    d[k.strip()] = v.strip()
    except OSError:
        pass
    return d


def num(v):
    """An int from a string, or None."""
    try:
        return int(str(v).strip())
    except (TypeError, ValueError):
        return None


def pcap_count(path):
    """(records, empty records, first ts, last ts) of a pcap or pcapng
    file, None if it cannot be read."""
    try:
        with open(path, "rb") as f:
            data = f.read()
    except OSError:
        return None
    if len(data) < 24:
        return None
    magic = data[:4]
    recs = empty = 0
    first = last = None
    pcap_magics = {
        b"\xd4\xc3\xb2\xa1": ("<", 1e-6), b"\xa1\xb2\xc3\xd4": (">", 1e-6),
        b"\x4d\x3c\xb2\xa1": ("<", 1e-9), b"\xa1\xb2\x3c\x4d": (">", 1e-9),
    }
    if magic in pcap_magics:
        e, unit = pcap_magics[magic]
        off = 24
        while off + 16 <= len(data):
            sec, frac, caplen, length = struct.unpack_from(e + "IIII", data, off)
            off += 16 + caplen
            if off > len(data):
                break		# a cut last record is not a packet
            recs += 1
            empty += length == 0
            t = sec + frac * unit
            first = t if first is None else first
            last = t
        return recs, empty, first, last
    if magic == b"\x0a\x0d\x0d\x0a":	# pcapng: count packet blocks
        e = "<" if data[8:12] == b"\x4d\x3c\x2b\x1a" else ">"
        off = 0
        while off + 12 <= len(data):
            btype, blen = struct.unpack_from(e + "II", data, off)
            if blen < 12 or off + blen > len(data):
                break
            if btype in (2, 3, 6):
                recs += 1
                if btype == 6:
                    hi, lo, caplen, length = struct.unpack_from(
                        e + "IIII", data, off + 12)
                    empty += length == 0
                    t = ((hi << 32) | lo) * 1e-6	# default resolution
                    first = t if first is None else first
                    last = t
            off += blen
        return recs, empty, first, last
    return None


def load_json(path):
    try:
        with open(path) as f:
            return json.load(f)
    except (OSError, ValueError):
        return None


def speed_words(speed):
    if speed in ("", None):
        return "?"
    if speed == "top":
        return "top speed (as fast as it could)"
    if speed == "recorded":
        return "the trace's pace"
    if speed.startswith("pps:"):
        return "%s packets/s" % speed[4:]
    if speed in ("1", "1.0"):
        return "speed 1 (the trace's pace)"
    return "%sx the trace's pace" % speed


def fmt(n):
    return "?" if n is None else str(n)


def main():
    ap = argparse.ArgumentParser(add_help=True)
    ap.add_argument("results")
    ap.add_argument("--trace", default="")
    ap.add_argument("--generated", action="store_true")
    ap.add_argument("--out", default="")
    ap.add_argument("--exit", type=int, default=None)
    a = ap.parse_args()
    res = os.path.abspath(a.results)
    if not os.path.isdir(res):
        print("run-summary: %s: not a directory" % res, file=sys.stderr)
        return 1
    p = lambda name: os.path.join(res, name)
    setup = kv_file(p("vm-setup.txt"), ":")
    host = kv_file(p("host-replay.txt"))
    nicst = kv_file(p("nic-stats.txt"))
    cap = load_json(p("capture.json"))
    qst = load_json(p("queue-stats.json")) or {}
    out = []
    say = out.append

    def para(text):
        # "\0": a space not to break at
        out.extend(l.replace("\0", " ") for l in textwrap.wrap(
            text, 78, initial_indent=" " * 10, subsequent_indent=" " * 10))

    # --- what was sent ---------------------------------------------------
    tr = pcap_count(a.trace) if a.trace else None
    trace_pkts = tr[0] if tr else None
    name = os.path.basename(a.trace) if a.trace else "?"
    how = " (by scripts/gen-traffic.py)" if a.generated else ""
    dur = ""
    if tr and tr[2] is not None:
        dur = " over %.3f s" % (tr[3] - tr[2])
    say("== what `make run` did (all its files: %s/)" % res)
    say("sent      %s%s: %s packets%s" % (name, how, fmt(trace_pkts), dur))
    nic_line = setup.get("nic", "?").split(" ")[0]
    gnic = drv = ""
    try:
        with open(p("guest-nic.txt")) as f:
            w = f.read().split()
            gnic = w[0] if w else ""
            drv = w[1] if len(w) >= 2 else ""
    except OSError:
        pass
    queues = setup.get("queues", "?")
    kern = setup.get("kernel", "?").split(" ")[0]
    sent = None
    tap_drop = tap_pend = tap_tx = None
    if host:
        sent = num(host.get("packets_sent"))
        gen = host.get("generator", "tcpreplay")
        tap_drop = num(host.get("tap_tx_dropped"))
        tap_pend = num(host.get("tap_tx_pending"))
        tap_tx = num(host.get("tap_tx_packets"))
        failed = num(host.get("failed_packets")) or 0
        rexit = host.get("tcpreplay_exit", "?")
        ended = host.get("ended", "normally")
        para("by %s at %s, host tap %s (txqueuelen %s) -> the guest's %s"
             " (%s, %s queues,%s kernel %s): %s sent in %s\0s (%s\0pps)%s%s%s,"
             " %s taken by QEMU, %s dropped by the tap."
             % (gen, speed_words(host.get("speed")), host.get("tap", "?"),
                host.get("txqueuelen", "?"), gnic or "NIC", nic_line,
                queues, " %s," % drv if drv else "", kern,
                fmt(sent), host.get("replay_seconds", "?"),
                host.get("rate_pps", "?").split(".")[0],
                ", %d failed" % failed if failed else "",
                "" if rexit == "0" else ", exit %s" % rexit,
                "" if ended == "normally" else " (%s)" % ended,
                fmt(tap_tx), fmt(tap_drop)))
    else:
        try:
            with open(p("replay.log")) as f:
                for line in f:
                    w = line.split()
                    if len(w) > 1 and w[0] == "replayed" and w[1].isdigit():
                        sent = int(w[1])
        except OSError:
            pass
        para("by wirecap-softnic-replay in the guest into %s (%s, %s queues,"
             " kernel %s): %s sent." % (gnic or "the NIC", nic_line, queues,
                                        kern, fmt(sent)))

    # --- what each queue captured ------------------------------------------
    fc = pcap_count(p("captured.pcap"))
    recs = fc[0] if fc else None
    empty = fc[1] if fc else 0
    frames = recs - empty if fc else None
    places = []		# (label, count) of loss
    # the host's tap (none with softnic: the replay runs in the guest)
    host_places = [("on the host: tap drops" +
                    (" (VM too slow: try a lower SPEED=)" if tap_drop
                     else ""), tap_drop),
                   ("on the host: still in the tap", tap_pend)] if host else []
    recv = None
    if cap and isinstance(cap.get("queues"), list):
        qs = cap["queues"]
        total = sum(num(q.get("packets")) or 0 for q in qs)
        recv = sum(num(q.get("received")) or 0 for q in qs)
        cdrop = sum(num(q.get("capture_drops")) or 0 for q in qs)
        odrop = sum(num(q.get("oversize_drops")) or 0 for q in qs)
        # frames the capture's writer gave up (the disk behind); older
        # captures do not say
        gaveup = sum(num(q.get("given_up")) or 0 for q in qs)
        rxerr = 0		# None: queue-stats.json does not say
        for q in qs:
            node = "%s-q%s" % (q.get("ifname", "?"), q.get("queue", "?"))
            v = num(qst.get(node, {}).get("rx_errors"))
            rxerr = None if v is None or rxerr is None else rxerr + v
        say("captured  by `wirecap capture` in the guest, per NIC queue (RSS "
            "spreads flows):")
        say("%15s %10s %7s %17s" % ("queue", "packets", "share",
                                    "lost in the NIC"))
        for q in qs:
            n = num(q.get("packets")) or 0
            lost = (num(q.get("capture_drops")) or 0) + \
                (num(q.get("oversize_drops")) or 0)
            say("%15s %10d %6.1f%% %17d" % (q.get("queue", "?"), n,
                                           100.0 * n / total if total else 0,
                                           lost))
        say("%15s %10d %6.1f%% %17d" % ("total", total, 100.0 if total else 0,
                                       cdrop + odrop))
        places += host_places + [
                   ("in the guest NIC: pool full (capture_drops)", cdrop),
                   ("in the guest NIC: too big for a cell (oversize_drops)", odrop),
                   ("in the guest NIC: bad frames (rx_errors)", rxerr),
                   ("in the guest: the writer gave up (disk too slow)",
                    gaveup)]
        places.append(("in the guest: received, not in the file",
                       None if frames is None or rxerr is None
                       else recv - rxerr - gaveup - frames))
    elif nicst:
        rxp = num(nicst.get("rx_packets"))
        rxd = num(nicst.get("rx_dropped"))
        out.extend(textwrap.wrap(
            "nothing (the stock driver: no WireCAP queues); the guest NIC "
            "counted rx_packets %s, rx_dropped %s" % (fmt(rxp), fmt(rxd)),
            78, initial_indent="captured  ", subsequent_indent=" " * 10))
        recv = rxp
        places += host_places + [
                   ("in the guest NIC: rx_dropped", rxd)]
    else:
        say("captured  ? (no capture.json: did `wirecap capture` run? "
            "see cmd.log)")
        places += host_places

    # --- what was lost where; the balance ----------------------------------
    known = [(l, n) for l, n in places if n is not None]
    unknown = [l for l, n in places if n is None]
    first = True
    for l, n in known:
        # the zero lines that always matter; others only when not zero
        if n or l.startswith(("on the host: tap drops",
                              "in the guest NIC: pool full",
                              "in the guest NIC: too big",
                              "in the guest NIC: bad frames",
                              "in the guest NIC: rx_dropped")):
            say("%-9s %-59s %8d" % ("lost" if first else "", l, n))
            first = False
    got = frames if cap else recv
    lost = sum(n for _, n in known)
    if sent is not None and got is not None:
        unexp = sent - got - lost
        what = "in the file" if cap else "counted by the guest NIC"
        say("balance   sent %d = %d %s + %d lost + %d unexplained"
            % (sent, got, what, lost, unexp))
        if unknown:
            para("not known, so not in the sum: %s" % "; ".join(unknown))
        if trace_pkts is not None and trace_pkts > sent:
            say("          and %d of the trace's %d packets were never sent"
                % (trace_pkts - sent, trace_pkts))
        notsent = max(trace_pkts - sent, 0) if trace_pkts is not None else 0
        if not lost and not unexp and not unknown and not notsent and cap:
            say("          no packet lost: every packet sent is in the "
                "capture file")
        elif not lost and not unexp and not unknown and not notsent:
            say("          no packet lost on the way in (but none captured)")
        else:
            # by place: on the host, in the guest NIC, in the guest
            groups = {}
            for l, n in known:
                if n:
                    g = l.split(":")[0]
                    groups[g] = groups.get(g, 0) + n
            where = ["%d %s" % (n, g) for g, n in groups.items()] + \
                (["%d unexplained" % unexp] if unexp else []) + \
                (["%d never sent by the replayer" % notsent]
                 if notsent else [])
            para("packets lost: %s" % (", ".join(where) or "none counted, "
                                       "but not every counter is known"))
    else:
        say("balance   cannot be checked: sent %s, captured %s"
            % (fmt(sent), fmt(got)))

    # --- where the capture went; what next -----------------------------------
    cp = p("captured.pcap")
    if fc:
        extra = "; %d empty: no frame" % empty if empty else ""
        say("file      %s (%d packets%s)" % (cp, recs, extra))
        if a.out:
            say("          copied to %s" % a.out)
        say("next      tcpdump -nn -r %s | head" % cp)
    else:
        say("file      none (no captured.pcap)%s" %
            ("; %s not written" % a.out if a.out else ""))
        say("next      %s" % ("capture with our driver: make run (NIC=virtio)"
                               if nicst and not cap else
                               "see why in cmd.log and console.log"))
    say("          every counter: details.txt there; logs: cmd.log, console.log")
    if a.exit:
        say("exit status %d%s" % (a.exit, {
            0: "", 124: " (the guest timed out)",
            125: " (the kernel reported trouble: see console.log)"}.get(
                a.exit, " (the command failed: see cmd.log)")))
    print("\n".join(out))
    return 0


if __name__ == "__main__":
    sys.exit(main())
