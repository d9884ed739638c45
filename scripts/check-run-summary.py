#!/usr/bin/env python3
# Check the summary `make run` printed (scripts/run-summary.py) against
# the files of its results directory, counted here another way: the
# capture file and the trace by capinfos and tcpdump, the queues by
# capture.json, rx_errors by queue-stats.json, the host by
# host-replay.txt. And that its numbers add up: the queue rows to the
# total, the lost lines to "lost", sent = in the file + lost + unexplained,
# unexplained = what the counters leave over, "no packet lost" exactly
# when nothing was lost. Used by scripts/e2e-run.sh (a real run) and
# selftests/host/run_summary.sh (made-up results with losses).
#
#   scripts/check-run-summary.py RESULTS_DIR SUMMARY_FILE --trace FILE
#
# Prints TAP lines without numbers ("ok - ...", "not ok - ..."), for the
# caller to number; exit 0 iff all passed.
import json
import os
import re
import subprocess
import sys

fails = 0


def check(cond, what, why=""):
    global fails
    print("%s - %s" % ("ok" if cond else "not ok", what))
    if not cond:
        fails += 1
        if why:
            for line in str(why).splitlines()[:8]:
                print("# " + line)
    return cond


def capinfos_count(path):
    out = subprocess.run(["capinfos", "-M", "-c", path], capture_output=True,
                         text=True).stdout
    m = re.search(r"Number of packets:\s*(\d+)", out)
    return int(m.group(1)) if m else None


def tcpdump_count(path, expr=None):
    r = subprocess.run(["tcpdump", "-nn", "-r", path] +
                       ([expr] if expr else []), capture_output=True,
                       text=True)
    return len(r.stdout.splitlines()) if r.returncode == 0 else None


def kv(path):
    d = {}
    try:
        for line in open(path):
            if "=" in line:
                k, v = line.rstrip("\n").split("=", 1)
                d[k] = v
    except OSError:
        pass
    return d


def main():
    res, summ = sys.argv[1], sys.argv[2]
    trace = sys.argv[sys.argv.index("--trace") + 1]
    text = open(summ).read()
    lines = text.splitlines()
    host = kv(os.path.join(res, "host-replay.txt"))
    try:
        cap = json.load(open(os.path.join(res, "capture.json")))
    except (OSError, ValueError):
        cap = None
    try:
        qst = json.load(open(os.path.join(res, "queue-stats.json")))
    except (OSError, ValueError):
        qst = None

    check(0 < len(lines) <= 25, "the summary fits on one screen (%d lines)"
          % len(lines), text)

    # what was sent
    m = re.search(r"^sent +(\S+).*: (\d+) packets", text, re.M)
    tn = capinfos_count(trace)
    check(m and m.group(1) == os.path.basename(trace) and
          int(m.group(2)) == tn,
          "the trace's name and packets (%s by capinfos)" % tn,
          m.group(0) if m else "no 'sent' line")
    m = re.search(r"(\d+)\s+sent\s+in\s", text)
    sent = int(m.group(1)) if m else None
    check(sent is not None and str(sent) == host.get("packets_sent"),
          "packets sent = host-replay.txt packets_sent (%s)"
          % host.get("packets_sent"), m.group(0) if m else "no 'sent N'")
    m = re.search(r"(\d+)\s+taken\s+by\s+QEMU,\s+(\d+)\s+dropped\s+by\s+the"
                  r"\s+tap", text)
    check(m and m.group(1) == host.get("tap_tx_packets") and
          m.group(2) == host.get("tap_tx_dropped"),
          "tap TX packets and drops = host-replay.txt (%s, %s)"
          % (host.get("tap_tx_packets"), host.get("tap_tx_dropped")),
          m.group(0) if m else "no tap line")

    # what each queue captured
    rows = {}
    total_row = None
    for line in lines:
        m = re.match(r"^\s+(\d+|total)\s+(\d+)\s+([\d.]+)%\s+(\d+)$", line)
        if m:
            r = (int(m.group(2)), float(m.group(3)), int(m.group(4)))
            if m.group(1) == "total":
                total_row = r
            else:
                rows[int(m.group(1))] = r
    qs = cap["queues"] if cap else []
    check(cap is not None and len(rows) == len(qs) and all(
        rows.get(q["queue"], (None,))[0] == q["packets"] and
        rows[q["queue"]][2] == q["capture_drops"] + q["oversize_drops"]
        for q in qs),
        "each queue's packets and loss = capture.json's", json.dumps(qs))
    tot = sum(r[0] for r in rows.values())
    check(total_row is not None and total_row[0] == tot and
          tot == cap["total"]["packets"] and
          abs(sum(r[1] for r in rows.values()) - 100.0) < 0.5 * len(rows) and
          all(abs(r[1] - 100.0 * r[0] / tot) < 0.051 for r in rows.values()),
          "the queue rows add up to the total (%d) and their shares to 100%%"
          % tot, str(total_row))

    # lost where
    lost_lines = {}
    in_lost = False
    for line in lines:
        if line.startswith("lost "):
            in_lost = True
        elif not line.startswith(" "):
            in_lost = False
        if in_lost:
            m = re.match(r"^(?:lost)?\s+(.*?)\s+(-?\d+)$", line)
            if m:
                lost_lines[m.group(1)] = int(m.group(2))
    cdrop = sum(q["capture_drops"] for q in qs)
    odrop = sum(q["oversize_drops"] for q in qs)
    rxerr = sum(v.get("rx_errors", 0) for v in (qst or {}).values())

    def lost(label):
        return next((v for k, v in lost_lines.items() if label in k), 0)
    gaveup = sum(q.get("given_up", 0) for q in qs)
    check(lost("tap drops") == int(host.get("tap_tx_dropped", -1)) and
          lost("capture_drops") == cdrop and lost("oversize_drops") == odrop
          and lost("rx_errors") == rxerr and lost("writer gave up") == gaveup,
          "the lost lines = the files' counters (tap %s, capture_drops %d, "
          "oversize_drops %d, rx_errors %d, given_up %d)"
          % (host.get("tap_tx_dropped"), cdrop, odrop, rxerr, gaveup),
          json.dumps(lost_lines))

    # the balance
    m = re.search(r"^balance +sent (\d+) = (\d+) in the file \+ (\d+) lost "
                  r"\+ (-?\d+) unexplained", text, re.M)
    fm = re.search(r"^file +(/\S+) \((\d+) packets", text, re.M)
    fc = capinfos_count(os.path.join(res, "captured.pcap"))
    ft = tcpdump_count(os.path.join(res, "captured.pcap"))
    # records with no frame (cells counted in rx_errors) are no packets
    fe = tcpdump_count(os.path.join(res, "captured.pcap"), "len = 0")
    check(fm and os.path.isabs(fm.group(1)) and
          os.path.samefile(fm.group(1), os.path.join(res, "captured.pcap"))
          and int(fm.group(2)) == fc == ft,
          "the capture file: its absolute path, its packets (capinfos %s, "
          "tcpdump %s)" % (fc, ft), fm.group(0) if fm else "no 'file' line")
    ok = check(m is not None, "a balance line", text)
    if ok:
        s, f, l, u = (int(x) for x in m.groups())
        check(s == sent and f == fc - fe and l == sum(lost_lines.values()) and
              s == f + l + u,
              "the balance adds up: %d = %d + %d + %d; its lost = the lost "
              "lines; its file = the file's records with a frame (%s - %s, "
              "tcpdump)" % (s, f, l, u, fc, fe),
              m.group(0))
        recv = sum(q["received"] for q in qs)
        pend = int(host.get("tap_tx_pending", 0))
        want = sent - recv - int(host["tap_tx_dropped"]) - pend - cdrop - odrop
        check(u == want, "unexplained = sent - received - tap drops - still "
              "in the tap - capture_drops - oversize_drops (%d)" % want,
              m.group(0))
        nolost = "no packet lost" in text
        check(nolost == (l == 0 and u == 0 and tn == s),
              "'no packet lost' is said iff nothing was (lost %d, "
              "unexplained %d)" % (l, u), text)
        if not nolost:
            # (wrapped over lines: compare with the spaces squeezed)
            where = " ".join(text.split("packets lost:", 1)[-1].split())
            # each place as "N place": the lost lines summed by what
            # precedes their colon (on the host, in the guest NIC, ...)
            groups = {}
            for k, v in lost_lines.items():
                g = k.split(":")[0]
                groups[g] = groups.get(g, 0) + v
            named = ["%d %s" % (v, g) for g, v in groups.items() if v]
            check(all(k in where for k in named) and
                  (u == 0 or "%d unexplained" % u in where),
                  "'packets lost:' names every place that lost some",
                  where)
    return 1 if fails else 0


if __name__ == "__main__":
    sys.exit(main())
