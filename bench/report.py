#!/usr/bin/env python3
"""The bench report's sections, as Markdown on stdout (and PNG plots).

    report.py burst RESULTS_DIR KERNEL
    report.py peers RESULTS_DIR KERNEL PACE

burst: the burst experiments (bench/burst.sh): per x and WireCAP-B(M,R),
the drop rate against the burst length P (median and min-max of the
runs), the rates Pm (generator) and Pp (handler) measured in the same
runs, and the lossless burst length: the model's Pm.R.M/(Pm-Pp) (paper
Section 4) beside the one implied by the measured drops of a burst that
overflowed, R.M.P/(drops + R.M) (the same balance, solved with the
measured count). Plots drop rate against P with gnuplot, if installed.

peers: the peers on the virtio NIC (bench/peers.sh): at x=0, loss and the
guest's CPU time per processed packet against the offered rate, and the
highest rate each engine took without loss in every run; at x=300, loss
against the burst length at PACE pps. Ratios are against the peers of
the same run. Loss is end to end: 1 - processed / sent.
"""
import glob
import json
import os
import re
import shutil
import statistics as st
import subprocess
import sys

NAME = re.compile(r"burst-x(\d+)-M(\d+)-R(\d+)-P(\d+)-(\d+)\.json$")
RING = 1024


def load_runs(res):
    runs = {}
    for path in glob.glob(os.path.join(res, "burst-*.json")):
        m = NAME.search(path)
        if not m:
            continue
        x, mm, r, p, _ = (int(v) for v in m.groups())
        try:
            with open(path) as f:
                j = json.load(f)
            with open(path[:-5] + ".gen") as f:
                gen = f.read()
        except (OSError, ValueError):
            continue
        pm = re.search(r"sent \d+ in [\d.]+ s: (\d+) pps", gen)
        t = j["total"]
        runs.setdefault((x, mm, r, p), []).append({
            "drop": t["drop_rate"], "drops": t["dropped"],
            "received": t["received"],
            "pp": j["queues"][0]["pp"],
            "pm": int(pm.group(1)) if pm else 0,
        })
    return runs


def fmt_pct(v):
    return f"{100 * v:.2f}%"


def burst(res, kernel):
    runs = load_runs(res)
    if not runs:
        print(f"## Bursts ({kernel}): no results (see {res}/vm.log)\n")
        return 1
    print(f"## Bursts into one queue ({kernel})\n")
    print("Software NIC, 64-byte packets injected as fast as the kernel "
          "takes them (Pm), `wirecap handler` in basic mode processing "
          "each x times (Pp: its measured rate). Model: lossless up to "
          "L = Pm.R.M/(Pm-Pp) packets. Implied: R.M.P/(drops+R.M), from "
          "a burst that overflowed. B(256,4) is ring-only (R.M = the "
          "1024-entry ring).\n")
    print("| x | B(M,R) | P | drop rate, median (min-max) | runs | Pm | Pp "
          "| model L | implied L | implied/model |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    plots = {}
    for key in sorted(runs):
        x, m, r, p = key
        rs = runs[key]
        d = [v["drop"] for v in rs]
        pm = st.median(v["pm"] for v in rs)
        pp = st.median(v["pp"] for v in rs)
        cells = m * r
        model = cells * pm / (pm - pp) if pm > pp else float("inf")
        over = [v for v in rs if v["drops"] > 0]
        if over:
            impl = st.median(cells * p / (v["drops"] + cells) for v in over)
            impl_s = f"{impl:.0f}"
            ratio = (f"{impl / model:.2f}" if model != float("inf")
                     else "-")
        else:
            impl_s, ratio = f">= {p}", "-"
        model_s = f"{model:.0f}" if model != float("inf") else "inf (Pp >= Pm)"
        ring = " ring-only" if cells == RING else ""
        print(f"| {x} | B({m},{r}){ring} | {p} | {fmt_pct(st.median(d))} "
              f"({fmt_pct(min(d))}-{fmt_pct(max(d))}) | {len(rs)} | "
              f"{pm:.0f} | {pp:.0f} | {model_s} | {impl_s} | {ratio} |")
        plots.setdefault(x, {}).setdefault(f"B({m},{r})", []).append(
            (p, 100 * st.median(d)))
    print()
    if shutil.which("gnuplot"):
        for x, series in sorted(plots.items()):
            png = os.path.join(res, f"burst-x{x}.png")
            plot(series, png, f"Bursts into one queue, x={x} ({kernel})")
            print(f"![drop rate against burst length, x={x}]"
                  f"({kernel}/{os.path.basename(png)})\n")
    return 0


PEER = re.compile(r"(rate|burst)-([a-z-]+)-(\d+)-(\d+)\.res$")
ENGINES = ["afpacket", "afpacket-mem", "afxdp", "wirecap", "wirecap-ring"]


def kv(path):
    out = {}
    try:
        with open(path) as f:
            for line in f:
                k, _, v = line.strip().partition("=")
                out[k] = v
    except OSError:
        pass
    return out


def load_peers(res):
    runs = {}
    for path in glob.glob(os.path.join(res, "*.res")):
        m = PEER.search(path)
        if not m:
            continue
        exp, engine, n, _ = m.groups()
        rep = kv(os.path.join(path, "host-replay.txt"))
        try:
            with open(os.path.join(path, "h.json")) as f:
                j = json.load(f)
            sent = int(rep["packets_sent"])
            tap = int(rep.get("tap_tx_dropped") or 0)
        except (OSError, ValueError, KeyError):
            continue
        if not sent:
            continue
        busy = j.get("guest_busy_s", j["cpu_s"])
        runs.setdefault((exp, int(n), engine), []).append({
            "loss": max(0.0, 1 - j["processed"] / sent),
            "tap": tap / sent, "pp": j["pp"],
            "us": 1e6 * busy / max(j["processed"], 1),
            "pace": float(rep.get("rate_pps") or 0)})
    return runs


def med(rs, k):
    return st.median(v[k] for v in rs)


def span(rs, k):
    vals = [v[k] for v in rs]
    return (f"{fmt_pct(st.median(vals))} "
            f"({fmt_pct(min(vals))}-{fmt_pct(max(vals))})")


def ratio(a, b):
    if b == 0:
        return "-" if a == 0 else "inf"
    return f"{a / b:.2f}"


def peers(res, kernel, pace):
    runs = load_peers(res)
    if not runs:
        print(f"## Peers on the virtio NIC ({kernel}): no results "
              f"(see {res})\n")
        return 1
    engines = [e for e in ENGINES if any(k[2] == e for k in runs)]
    print(f"## Peers on the virtio NIC ({kernel})\n")
    print("QEMU virtio-net, 4 queues, RSS; 64-byte packets of one flow "
          "sent into the host tap (txqueuelen 1000) by wirecap-tap-gen "
          "(bench/tap_gen.c) on host CPU 1 at a steady pace; QEMU on "
          "CPUs 0-1. One libpcap-style handler program, one thread, on "
          "each engine (bench/pcap_handler.c). Loss = 1 - processed / "
          "sent, end to end; \"in the tap\": the share the tap dropped "
          "because the guest did not take it. B(64,64) = 8 MiB of pool; "
          "afpacket-mem has an 8 MiB buffer; afxdp uses libxdp's default "
          "rings (2048); wirecap-ring is B(64,4), R.M = the NIC ring.\n")
    # x=0: the rate ladder
    rates = sorted({k[1] for k in runs if k[0] == "rate"})
    if rates:
        print("### x=0: loss and guest CPU per packet against the rate\n")
        print("Guest CPU: busy time of both vCPUs (/proc/stat: user, "
              "system, irq, softirq) while the packets came, per "
              "processed packet; it includes the driver and the kernel's "
              "stack, not only the handler.\n")
        print("| rate (pps) | engine | loss, median (min-max) | in the tap "
              "| guest CPU per packet (us) | pace reached | runs |")
        print("|---|---|---|---|---|---|---|")
        plots = {}
        for rate in rates:
            for e in engines:
                rs = runs.get(("rate", rate, e))
                if not rs:
                    print(f"| {rate} | {e} | no result | | | | 0 |")
                    continue
                print(f"| {rate} | {e} | {span(rs, 'loss')} | "
                      f"{fmt_pct(med(rs, 'tap'))} | {med(rs, 'us'):.1f} | "
                      f"{med(rs, 'pace'):.0f} | {len(rs)} |")
                plots.setdefault(e, []).append((rate,
                                                100 * med(rs, "loss")))
        print()
        low = rates[0]
        base = runs.get(("rate", low, "afpacket"))
        top_ok = {}
        for e in engines:
            ok = [r for r in rates if runs.get(("rate", r, e)) and
                  all(v["loss"] == 0 for v in runs[("rate", r, e)])]
            top_ok[e] = max(ok) if ok else 0
        print("| engine | highest lossless rate (pps) | against afpacket "
              f"| guest CPU per packet at {low} pps (us) | against "
              "afpacket |")
        print("|---|---|---|---|---|")
        for e in engines:
            rs = runs.get(("rate", low, e))
            us = med(rs, "us") if rs else float("nan")
            hl = top_ok[e]
            hl_s = f"{hl}" if hl else f"< {low}"
            if hl == rates[-1]:
                hl_s = f">= {hl}"
            print(f"| {e} | {hl_s} | "
                  f"{ratio(hl, top_ok.get('afpacket', 0))} | {us:.1f} | "
                  f"{ratio(us, med(base, 'us')) if base else '-'} |")
        print(f"\nLossless: every run at that rate lost nothing. The "
              f"rates tried: {', '.join(str(r) for r in rates)}.\n")
        if shutil.which("gnuplot"):
            png = os.path.join(res, "peers-rate.png")
            plot(plots, png, f"Peers, x=0 ({kernel})", "offered rate (pps)")
            print(f"![loss against the rate, x=0](peers/{kernel}/"
                  f"{os.path.basename(png)})\n")
    sizes = sorted({k[1] for k in runs if k[0] == "burst"})
    if sizes:
        print(f"### x=300: bursts of P packets at {pace} pps\n")
        print("| P | engine | loss, median (min-max) | in the tap | Pp "
              "| wirecap's loss against it | runs |")
        print("|---|---|---|---|---|---|---|")
        plots = {}
        for p in sizes:
            wc = runs.get(("burst", p, "wirecap"))
            for e in engines:
                rs = runs.get(("burst", p, e))
                if not rs:
                    print(f"| {p} | {e} | no result | | | | 0 |")
                    continue
                rel = (ratio(med(wc, "loss"), med(rs, "loss"))
                       if wc and e != "wirecap" else "")
                print(f"| {p} | {e} | {span(rs, 'loss')} | "
                      f"{fmt_pct(med(rs, 'tap'))} | {med(rs, 'pp'):.0f} | "
                      f"{rel} | {len(rs)} |")
                plots.setdefault(e, []).append((p, 100 * med(rs, "loss")))
        print()
        if shutil.which("gnuplot"):
            png = os.path.join(res, "peers-burst.png")
            plot(plots, png, f"Peers, x=300, {pace} pps ({kernel})",
                 "burst length P (packets)")
            print(f"![loss against the burst length, x=300](peers/{kernel}/"
                  f"{os.path.basename(png)})\n")
    return 0


def plot(series, png, title, xlabel="burst length P (packets)"):
    dat = png[:-4] + ".dat"
    names = sorted(series)
    with open(dat, "w") as f:
        for n in names:
            f.write(f"# {n}\n")
            for p, d in sorted(series[n]):
                f.write(f"{p} {d}\n")
            f.write("\n\n")
    cmds = [
        "set terminal png size 800,500",
        f"set output '{png}'",
        f"set title '{title}'",
        "set logscale x", f"set xlabel '{xlabel}'",
        "set ylabel 'drop rate (%)'", "set key left top", "set grid",
        "plot " + ", ".join(
            f"'{dat}' index {i} with linespoints title '{n}'"
            for i, n in enumerate(names)),
    ]
    subprocess.run(["gnuplot"], input="\n".join(cmds), text=True,
                   check=False)


def main():
    if len(sys.argv) == 4 and sys.argv[1] == "burst":
        return burst(sys.argv[2], sys.argv[3])
    if len(sys.argv) == 5 and sys.argv[1] == "peers":
        return peers(sys.argv[2], sys.argv[3], sys.argv[4])
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main())
