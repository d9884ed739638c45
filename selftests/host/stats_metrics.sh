#!/bin/sh
# `wirecap stats` for other programs, on the host, from a sysfs tree made
# here ($WIRECAP_SYSFS): --openmetrics and --listen's /metrics parse with
# a real OpenMetrics parser (Debian's python3-prometheus-client) into
# exactly the counters of the tree, labels included, for interface names
# with quotes, backslashes and bytes that are not UTF-8 (each series
# once: a node label tells queues of equal names apart); --json is valid
# JSON for the same names; --listen answers 404 elsewhere and stops on
# SIGTERM. The in-VM selftest stats_tool checks the numbers against the
# kernel's. Needs `make userbins`. Prints TAP; exit 0 iff all passed.
#
#   selftests/host/stats_metrics.sh [WIRECAP_BINARY]
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
wc=${1:-$top/build/bin/wirecap}
py=/usr/bin/python3	# Debian's, with its python3-prometheus-client
tmp=$(mktemp -d)
srv=""
trap '[ -n "$srv" ] && kill "$srv" 2>/dev/null; rm -rf "$tmp"' EXIT
n=0 fail=0

ok() {		# ok DESCRIPTION STATUS
	n=$((n + 1))
	if [ "$2" = 0 ]; then
		echo "ok $n - $1"
	else
		echo "not ok $n - $1"
		sed 's/^/# /' "$tmp/err" 2>/dev/null | tail -8
		fail=1
	fi
}

echo "1..8"
[ -x "$wc" ] || { echo "Bail out! no $wc (make userbins)"; exit 1; }
"$py" -c 'import prometheus_client' 2>/dev/null ||
	{ echo "Bail out! no python3-prometheus-client (scripts/setup.sh)"; exit 1; }

# The tree: three queues, one not attached, odd names, values by position.
fs=$tmp/sys
"$py" - "$fs" <<'EOF'
import os, sys
fs = os.fsencode(sys.argv[1])
names = [b"eth0", b'we"i\\rd', b"bad\xffutf8\xc3\xa9"]
stats = [b"received", b"capture_drops", b"delivered", b"pool_high_water",
         b"xmit_dropped", b"future_counter"]
for i, name in enumerate(names):
    d = os.path.join(fs, name + b"-q%d" % (i + 1))
    os.makedirs(os.path.join(d, b"stats"))
    for f, v in ((b"attached", i != 2), (b"chunks_free", 10 + i),
                 (b"ifname", name)):
        with open(os.path.join(d, f), "wb") as o:
            o.write(b"%s\n" % (v if isinstance(v, bytes) else b"%d" % v))
    for k, s in enumerate(stats):
        with open(os.path.join(d, b"stats", s), "wb") as o:
            o.write(b"%d\n" % (1000 * (i + 1) + k))
EOF

# check.py FILE ALL: parse FILE as OpenMetrics, compare with the tree
cat >"$tmp/check.py" <<'EOF'
import os, sys
from prometheus_client.openmetrics.parser import text_string_to_metric_families
fs, path, every = os.fsencode(sys.argv[1]), sys.argv[2], sys.argv[3] == "1"
text = open(path, encoding="utf-8").read()
got = {}
for fam in text_string_to_metric_families(text):
    for s in fam.samples:
        k = (s.name, s.labels["ifname"], s.labels["queue"], s.labels["node"])
        if k in got:
            sys.exit("a series twice: %s" % (k,))
        got[k] = s.value
want = {}
for node in os.listdir(fs):
    d = os.path.join(fs, node)
    if not every and open(os.path.join(d, b"attached")).read().strip() != "1":
        continue
    ifname = open(os.path.join(d, b"ifname"), "rb").read().rstrip(b"\n")
    ifname = ifname.decode("utf-8", "replace")
    queue = node.rsplit(b"-q", 1)[1].decode()
    nd = node.decode("utf-8", "replace")
    for f in os.listdir(os.path.join(d, b"stats")):
        v = int(open(os.path.join(d, b"stats", f)).read())
        gauge = f == b"pool_high_water"
        want[("wirecap_" + f.decode() + ("" if gauge else "_total"),
              ifname, queue, nd)] = v
    for f in (b"attached", b"chunks_free"):
        want[("wirecap_" + f.decode(), ifname, queue, nd)] = \
            int(open(os.path.join(d, f)).read())
if got != want:
    for k in sorted(set(got) | set(want)):
        if got.get(k) != want.get(k):
            print("sample", k, "got", got.get(k), "want", want.get(k))
    sys.exit(1)
print(len(got), "samples")
EOF

WIRECAP_SYSFS=$fs "$wc" stats --openmetrics >"$tmp/om.txt" 2>"$tmp/err"
rc=$?
[ $rc = 0 ] && "$py" "$tmp/check.py" "$fs" "$tmp/om.txt" 0 >"$tmp/err" 2>&1
ok "--openmetrics parses into the attached queues' counters" $?

WIRECAP_SYSFS=$fs "$wc" stats --openmetrics --all >"$tmp/om.txt" 2>"$tmp/err" &&
	"$py" "$tmp/check.py" "$fs" "$tmp/om.txt" 1 >"$tmp/err" 2>&1
ok "--openmetrics --all: every queue" $?

WIRECAP_SYSFS=$fs "$wc" stats --json --all >"$tmp/j.json" 2>"$tmp/err" &&
	"$py" -c '
import json, sys
j = json.load(open(sys.argv[1], encoding="utf-8"))
assert len(j) == 3, j
assert j["we\"i\\rd-q2"]["capture_drops"] == 2001, j
assert j["bad\ufffdutf8\u00e9-q3"]["future_counter"] == 3005, j
' "$tmp/j.json" >"$tmp/err" 2>&1
ok "--json is valid JSON for any interface name" $?

# --listen on a port the kernel picks; the address comes on stderr
WIRECAP_SYSFS=$fs "$wc" stats --listen 127.0.0.1:0 2>"$tmp/srv.err" &
srv=$!
addr=""
for i in $(seq 50); do
	addr=$(sed -n 's|.*serving http://\([^/]*\)/metrics.*|\1|p' "$tmp/srv.err")
	[ -n "$addr" ] && break
	sleep 0.1
done
cp "$tmp/srv.err" "$tmp/err"
[ -n "$addr" ]
ok "--listen 127.0.0.1:0 says where it serves" $?

"$py" - "$addr" "$tmp/scrape.txt" >"$tmp/err" 2>&1 <<'EOF'
import sys, urllib.request
r = urllib.request.urlopen("http://%s/metrics" % sys.argv[1], timeout=10)
assert r.status == 200, r.status
ct = r.headers["Content-Type"]
assert ct.startswith("application/openmetrics-text; version=1.0.0"), ct
open(sys.argv[2], "wb").write(r.read())
EOF
[ $? = 0 ] && "$py" "$tmp/check.py" "$fs" "$tmp/scrape.txt" 0 >>"$tmp/err" 2>&1
ok "/metrics over HTTP parses into the same counters" $?

# a counter moves: the next scrape reads it afresh
echo 777 >"$fs/eth0-q1/stats/received"
"$py" - "$addr" >"$tmp/err" 2>&1 <<'EOF'
import sys, urllib.request, urllib.error
u = "http://%s" % sys.argv[1]
text = urllib.request.urlopen(u + "/metrics", timeout=10).read().decode()
assert 'wirecap_received_total{ifname="eth0",queue="1",node="eth0-q1"} 777' \
    in text, text
try:
    urllib.request.urlopen(u + "/other", timeout=10)
    raise SystemExit("/other: not a 404")
except urllib.error.HTTPError as e:
    assert e.code == 404, e.code
EOF
ok "each scrape reads afresh; other paths are 404" $?

# a client that connects and says nothing holds the server 5 s at most
"$py" - "$addr" >"$tmp/err" 2>&1 <<'EOF'
import socket, sys, time, urllib.request
h, p = sys.argv[1].rsplit(":", 1)
idle = socket.create_connection((h, int(p)))
idle.send(b"GET /metr")
t = time.time()
r = urllib.request.urlopen("http://%s/metrics" % sys.argv[1], timeout=30)
assert r.status == 200 and time.time() - t < 20, time.time() - t
EOF
ok "a silent client does not stop the scrapes" $?

kill -TERM "$srv"
rc=124
for i in $(seq 30); do
	if ! kill -0 "$srv" 2>/dev/null; then
		wait "$srv"
		rc=$?
		break
	fi
	sleep 0.1
done
srv=""
echo "exit $rc" >"$tmp/err"
[ $rc = 0 ]
ok "--listen stops on SIGTERM, exit 0" $?
exit $fail
