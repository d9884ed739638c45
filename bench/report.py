#!/usr/bin/env python3
"""The bench report's sections, as Markdown on stdout (and PNG plots).

    report.py burst RESULTS_DIR KERNEL

burst: the burst experiments (bench/burst.sh): per x and WireCAP-B(M,R),
the drop rate against the burst length P (median and min-max of the
runs), the rates Pm (generator) and Pp (handler) measured in the same
runs, and the lossless burst length: the model's Pm.R.M/(Pm-Pp) (paper
Section 4) beside the one implied by the measured drops of a burst that
overflowed, R.M.P/(drops + R.M) (the same balance, solved with the
measured count). Plots drop rate against P with gnuplot, if installed.
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


def plot(series, png, title):
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
        "set logscale x", "set xlabel 'burst length P (packets)'",
        "set ylabel 'drop rate (%)'", "set key left top", "set grid",
        "plot " + ", ".join(
            f"'{dat}' index {i} with linespoints title '{n}'"
            for i, n in enumerate(names)),
    ]
    subprocess.run(["gnuplot"], input="\n".join(cmds), text=True,
                   check=False)


def main():
    if len(sys.argv) != 4 or sys.argv[1] != "burst":
        print(__doc__, file=sys.stderr)
        return 2
    return burst(sys.argv[2], sys.argv[3])


if __name__ == "__main__":
    sys.exit(main())
