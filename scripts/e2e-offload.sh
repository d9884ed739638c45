#!/bin/sh
# Buddy-group offloading end to end, in the VM on the software NIC (exact
# counts): a skewed real trace (one SMB2 read: one flow carries 70 % of
# the packets; with 4 queues two are busy, two idle) played 16 times,
# each copy paced, into 4 queues, processed by `wirecap handler -x 300`
# (M=64, R=32: a pool 2x the NIC ring). The pace: 2.0 times the Pp of one
# thread, measured first in the same VM, best of 3 (a long-term imbalance
# one thread cannot absorb, which the four can). 2.0, because that
# calibration (queue 0 alone, at top speed, the replayer competing for the
# 2 vCPUs) reads below the Pp a thread reaches at the real pace: queue 0
# then gets about 1.2x what its thread does, for longer than its pool lasts.
# Then a basic run must drop 1 % at least (else 1.25x faster), and if the
# median of the 5 basic runs drops nothing, the 5 pairs run again 1.25x
# faster, once: the load must be one basic mode cannot take.
#   basic      counters add up, nothing offloaded, the busy queue drops
#   advanced   (T=50) counters add up, offloaded out = in (chunks and
#              packets), drops at most 3/4 of basic's (medians of 5)
#   groups     one application, --group 0,1 --group 2,3: offloading stays
#              inside each group
#   two apps   two handlers, queues 0-1 and 2-3: each one's offloading
#              adds up inside itself
#   flow       (T=50) flow mode, 5 runs beside those pairs, and 3 runs of
#              each mode on a generated trace with an elephant flow
#              (scripts/gen-traffic.py --elephant 0.25: one TCP transfer
#              carries a quarter of the packets, 400 other flows) played
#              into queue 0 alone at 1.4 times one thread's Pp: counters
#              add up, no packet of a flow processed before an earlier
#              one, a flow processed by a second thread only after a
#              migration (handoffs of one flow <= migrations); on the
#              generated trace flows migrate. On the real trace flow
#              mode can do nothing, by design: queue 0 carries one flow
#              alone (one direction of the connection, 70 % of the
#              packets; its reverse direction hashes to queue 2, which is
#              not overloaded), and moving a queue's only flow would
#              move its overload with it; so there it makes no migration
#              and loses what basic mode loses. Drop rates of the three
#              modes and what the flow barriers held back are printed,
#              not judged (issue 16's note).
# Prints TAP. Numbers for the note: scripts/e2e-offload.sh --sweep.
#
#   scripts/e2e-offload.sh [--sweep] [kernel ...]     default: 6.1 6.12
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
sweep=0
if [ "${1:-}" = --sweep ]; then
	sweep=1
	shift
fi
kernels=${*:-6.1 6.12}
shared=${WIRECAP_SHARED:-$top/../shared}
trace=sv_smb2-async-read_input.pcap
recorded_pps=69733	# its 3,138 packets in 45 ms
# TAP lines are numbered at the end (awk)
notok() { echo "not ok - $*"; }

# the guest's side: handler runs, each while the trace is replayed
cmd='h() { # name, handler options...
	name=$1
	shift
	wirecap handler -x 300 -M 64 -R 32 --until-file /tmp/done \
		--idle-ms 300 --json /results/$name.json "$@" \
		>/results/$name.txt 2>&1
	echo $? >/results/$name.rc
}
play() { # replayer options...
	sleep 1
	wirecap-softnic-replay --if $WIRECAP_IF --loop 16 "$@" \
		/extra/trace.pcap >/dev/null
	touch /tmp/done
}
run() { # name, replay speed, handler options...
	name=$1 speed=$2
	shift 2
	h $name "$@" &
	play --speed $speed
	wait
	rm -f /tmp/done
}
calibrate() { # sets $speed: 2.0 x the Pp of queue 0 alone (best of 3:
	# a run that the machine slowed down reads low, never high)
	pp=0
	for c in 1 2 3; do
		run cal$c top --mode basic
		p=$(sed -n "s/.*\"queue\": 0, [^}]*\"pp\": \([0-9]*\).*/\1/p" \
			/results/cal$c.json)
		[ "${p:-0}" -gt "$pp" ] && pp=$p
	done
	speed=$(awk -v pp="${pp:-0}" "BEGIN { s = 2.0 * pp / $RECORDED_PPS;
		if (s < 0.02) s = 0.02; printf \"%.3f\", s }")
	# The calibration can still read low (seen: 6.12 at half its usual
	# Pp). The test is about a load basic mode cannot take: while one
	# basic run at this pace drops nothing, go 1.25x faster (3 times at
	# most).
	# A handful of drops is the edge, where the 5 runs that follow can
	# all come out clean: ask for 1 % at least.
	for c in 1 2 3; do
		run probe$c $speed --mode basic
		[ $(dropped probe$c) -ge 500 ] && break
		faster
	done
	echo "Pp $pp speed $speed" >/results/speed.txt
}
dropped() { # name: the total drops of that run (0 if no result)
	d=$(sed -n "s/.*\"total\": {[^}]*\"dropped\": \([0-9]*\).*/\1/p" \
		/results/$1.json)
	echo ${d:-0}
}
faster() {
	speed=$(awk -v s="$speed" "BEGIN { printf \"%.3f\", s * 1.25 }")
}
pairs() { # the 5 runs of each mode, interleaved
	for i in 1 2 3 4 5; do
		run basic$i $speed --mode basic
		run advanced$i $speed --mode advanced -T 50
		run flow$i $speed --mode flow -T 50
	done
}
elephant() { # the generated trace into queue 0, 1.4 x one thread s Pp
	gspeed=$(awk -v pp="${pp:-0}" "BEGIN { s = 1.4 * pp / $GEN_PPS;
		if (s < 0.02) s = 0.02; printf \"%.3f\", s }")
	for i in 1 2 3; do
		for m in basic advanced flow; do
			h gen-$m$i --mode $m -T 50 &
			sleep 1
			wirecap-softnic-replay --if $WIRECAP_IF --queue 0 \
				--speed $gspeed /extra/gen.pcap >/dev/null
			touch /tmp/done
			wait
			rm -f /tmp/done
		done
	done
	echo "generated: speed $gspeed" >>/results/speed.txt
}
if [ "$SWEEP" = 1 ]; then
	calibrate
	for i in 1 2 3; do
		run basic-$i $speed --mode basic
		for t in 50 60 70 80 90; do
			run adv$t-$i $speed --mode advanced -T $t
		done
		for t in 50 60; do
			run flow$t-$i $speed --mode flow -T $t
		done
	done
	exit 0
fi
# the offered load: 2.0 times what one thread processes (its Pp,
# measured here: queue 0 alone, basic mode, top speed); queue 0 gets 70 %
# of it, more than its thread can do, while the four threads together
# can do more than all of it (paper §4: "replays at the speed recorded",
# scaled to what this VM sustains)
calibrate
pairs
# The median basic run clean: the machine sped up after the probe and
# the load is no longer one basic mode cannot take (seen in CI on 6.12,
# and on 6.1 once after one retry). Twice at most, 1.25x faster each.
for c in 1 2; do
	[ $(for i in 1 2 3 4 5; do dropped basic$i; done | sort -n |
		sed -n 3p) -eq 0 ] || break
	faster
	echo "median basic run clean: again at speed $speed" >>/results/speed.txt
	pairs
done
elephant
run groups $speed --mode advanced -T 50 --group 0,1 --group 2,3
h app-a --queues 0,1 --mode advanced -T 50 &
h app-b --queues 2,3 --mode advanced -T 50 &
play --speed $speed
wait'

# check.py name... : the checks of one kernel's results, as TAP lines
check_py='
import json, sys
res, kern = sys.argv[1], sys.argv[2]
out = []
def load(name):
    try:
        with open(f"{res}/{name}.rc") as f:
            rc = int(f.read().strip() or 1)
        with open(f"{res}/{name}.json") as f:
            return rc, json.load(f)
    except (OSError, ValueError) as e:
        return 1, {"error": str(e)}
def check(name, cond, why):
    out.append((bool(cond), f"{kern} {name}", why))
def adds_up(j):
    qs = j.get("queues", [])
    return bool(qs) and all(q["received"] == q["delivered"] + q["dropped"]
                            for q in qs + [j["total"]])
def dr(j):
    return j.get("total", {}).get("drop_rate")
def moved(j, key):
    return sum(q[key] for q in j["queues"])
def median_run(prefix):
    runs = sorted((load(f"{prefix}{i}") for i in (1, 2, 3, 4, 5)),
                  key=lambda r: r[1].get("total", {}).get("drop_rate", 9))
    return runs[2]
rb, b = median_run("basic")
ra, a = median_run("advanced")
rg, g = load("groups")
rx, x = load("app-a")
ry, y = load("app-b")
ok = rb == 0 and "total" in b
check("basic: ran, counters add up, nothing offloaded",
      ok and adds_up(b) and moved(b, "chunks_offloaded_out") == 0,
      b.get("total", b))
check("basic: the skewed load drops packets", ok and b["total"]["dropped"] > 0,
      b.get("total"))
ok = ra == 0 and "total" in a
check("advanced: ran, counters add up, offloaded out = in",
      ok and adds_up(a) and moved(a, "chunks_offloaded_out") > 0 and
      moved(a, "chunks_offloaded_out") == moved(a, "chunks_offloaded_in") and
      moved(a, "offloaded_out") == moved(a, "offloaded_in"),
      a.get("total", a))
# At most 3/4: with 2 vCPUs the four threads of advanced mode share the
# CPUs that the two busy threads of basic mode already use, so the gain is bounded
# by the idle time of the less loaded one (medians measured: 6.1 0 % vs
# 22 %, 6.12 0-12 % vs 30 %); offloading that does nothing fails it.
check("advanced: drops at most 3/4 of basic mode (medians of 5)",
      ok and "total" in b and
      a["total"]["drop_rate"] <= 0.75 * b["total"]["drop_rate"],
      f"advanced {dr(a)} basic {dr(b)}")
ok = rg == 0 and "groups" in g
grp = {q["index"]: q["group"] for q in g.get("queues", [])}
check("groups: 0,1 and 2,3 are two buddy groups, out = in inside each",
      ok and adds_up(g) and grp == {0: 0, 1: 0, 2: 2, 3: 2} and
      len(g["groups"]) == 2 and
      all(gr["chunks_offloaded_out"] == gr["chunks_offloaded_in"]
          for gr in g["groups"]),
      g.get("groups", g))
ok = rx == 0 and ry == 0 and "total" in x and "total" in y
check("two applications: each one adds up, out = in inside each",
      ok and adds_up(x) and adds_up(y) and
      all(moved(j, "chunks_offloaded_out") == moved(j, "chunks_offloaded_in")
          for j in (x, y)) and
      x["total"]["received"] + y["total"]["received"] > 0,
      [x.get("total", x), y.get("total", y)])
# flow mode: every run of it, on both traces
def flow_ok(j):
    f, t = j.get("flows", {}), j.get("total", {})
    mig = t.get("flow_migrations", 0)
    return (adds_up(j) and f.get("reordered") == 0 and
            f.get("multi_thread", 1) <= f.get("handoffs", 0) and
            f.get("max_handoffs", 1) <= mig and
            (mig > 0 or f.get("multi_thread") == 0))
fl = [load(f"flow{i}") for i in (1, 2, 3, 4, 5)] + \
     [load(f"gen-flow{i}") for i in (1, 2, 3)]
check("flow: counters add up, flows in order, in one thread but after "
      "a migration",
      all(r == 0 and flow_ok(j) for r, j in fl),
      [(j.get("flows", j), j.get("total", {}).get("flow_migrations"))
       for r, j in fl])
gf = [j for r, j in fl[5:] if r == 0 and "total" in j]
check("flow: the elephant trace into one queue: flows migrate",
      len(gf) == 3 and all(j["total"]["buckets_migrated"] > 0 and
                           moved(j, "offloaded_out") > 0 for j in gf),
      [j.get("total") for j in gf])
def med_dr(prefix, n):
    d = sorted(load(f"{prefix}{i}")[1].get("total", {}).get("drop_rate", 9)
               for i in range(1, n + 1))
    return d[n // 2]
diag = "drop rates, medians: " + "; ".join(
    f"{what} " + " ".join(f"{m} {med_dr(pre + m, n):.4f}"
                          for m in ("basic", "advanced", "flow"))
    for what, pre, n in (("trace", "", 5), ("generated", "gen-", 3)))
def barriers(j):
    t = j.get("total", {})
    return "%s/%s/%s/%s/%s" % tuple(t.get(k, "?") for k in (
        "flow_migrations", "flow_views_held", "flow_views_split",
        "flow_views_held_max", "flow_barrier_views"))
for good, name, why in out:
    print(("ok" if good else "not ok") + " - " + name)
    if not good:
        print("# " + str(why)[:600])
print(f"# {kern} {diag}")
print(f"# {kern} flow runs, migrations/views held/of them split/most "
      "held at once/views published in barriers: trace " +
      " ".join(barriers(j) for r, j in fl[:5]) + "; generated " +
      " ".join(barriers(j) for r, j in fl[5:]))
'

# sweep_py dir: the sweep's table (Markdown): medians of 3, min-max
sweep_py='
import json, sys, statistics as st
res = sys.argv[1]
print("| mode | T | drop rate, median (min-max) | per queue (medians) | chunks offloaded | flows in 2+ threads |")
print("|---|---|---|---|---|---|")
for name, t in [("basic", "-")] + [(f"adv{t}", t) for t in (50, 60, 70, 80, 90)] + \
               [(f"flow{t}", t) for t in (50, 60)]:
    runs = []
    for i in (1, 2, 3):
        try:
            runs.append(json.load(open(f"{res}/{name}-{i}.json")))
        except (OSError, ValueError):
            pass
    if not runs:
        print(f"| {name} | {t} | no result | | | |")
        continue
    d = [r["total"]["drop_rate"] for r in runs]
    o = [r["total"]["chunks_offloaded_out"] for r in runs]
    f = [r["flows"]["fraction"] for r in runs]
    mode = ("basic" if name == "basic" else
            "flow" if name.startswith("flow") else "advanced")
    # paper Table 1: each queue s drop rate (dropped / received there)
    pq = {}
    for r in runs:
        for q in r["queues"]:
            pq.setdefault(q["index"], []).append(
                q["dropped"] / q["received"] if q["received"] else 0)
    per = " / ".join(f"q{i} {100*st.median(v):.1f}%" for i, v in sorted(pq.items()))
    print(f"| {mode} | {t} | {100*st.median(d):.2f}% ({100*min(d):.2f}-{100*max(d):.2f}%) | {per} | {st.median(o):.0f} | {100*st.median(f):.0f}% |")
'

[ $sweep = 1 ] || echo "1..$(( $(echo $kernels | wc -w) * 9 ))"
for k in $kernels; do
	res=$top/results/e2e-offload/$k
	rm -rf "$res"
	mkdir -p "$res/extra"
	if ! cp "$shared/traces/$trace" "$res/extra/trace.pcap" ||
	   ! python3 scripts/gen-traffic.py -o "$res/extra/gen.pcap" \
		--elephant 0.25 2>"$res/gen.txt"; then
		for i in 1 2 3 4 5 6 7 8 9; do notok "$k: no traces"; done
		continue
	fi
	# its average rate (packets per second of trace)
	gen_pps=$(sed -n 's/.*: \([0-9]*\) packets, .*, \([0-9.]*\) s;.*/\1 \2/p' \
		"$res/gen.txt" | awk '{ printf "%d", $1 / $2 }')
	scripts/vm.sh --nic softnic --kernel "$k" --queues 4 --timeout 420 \
		--extra "$res/extra" --results "$res" \
		-- "SWEEP=$sweep RECORDED_PPS=$recorded_pps GEN_PPS=${gen_pps:-1}; $cmd" \
		>"$res/vm.log" 2>&1
	rc=$?
	if [ $sweep = 1 ]; then
		echo "### kernel $k (VM exit $rc; $(cat "$res/speed.txt" 2>/dev/null))"
		python3 -c "$sweep_py" "$res"
		continue
	fi
	if [ $rc -eq 0 ]; then
		echo "ok - $k VM run: finished, console clean"
	else
		notok "$k VM run: exit $rc (124 timeout, 125 kernel trouble)"
		tail -20 "$res/vm.log" | sed 's/^/# /'
	fi
	python3 -c "$check_py" "$res" "$k"
done | awk '/^(ok|not ok) - / { sub(/ - /, " " ++i " "); } { print }'
