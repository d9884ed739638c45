#!/bin/sh
# `wirecap profile --plot` on the host: a CSV as the VM writes it becomes a
# PNG through gnuplot; a missing or foreign CSV, --plot without --png, and
# no gnuplot on $PATH fail with a message. Needs `make userbins`
# (build/bin/wirecap runs on the host: plotting opens no queue). Prints
# TAP; exit 0 iff all passed.
#
#   selftests/host/profile_plot.sh [WIRECAP_BINARY]
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
wc=${1:-$top/build/bin/wirecap}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
n=0 fail=0

ok() {		# ok DESCRIPTION STATUS
	n=$((n + 1))
	if [ "$2" = 0 ]; then
		echo "ok $n - $1"
	else
		echo "not ok $n - $1"
		fail=1
	fi
}

echo "1..7"
if ! command -v gnuplot >/dev/null; then
	for i in 1 2 3 4 5 6 7; do echo "ok $i # SKIP no gnuplot"; done
	exit 0
fi
[ -x "$wc" ] || { echo "Bail out! no $wc (make userbins)"; exit 1; }

csv=$tmp/p.csv
{
	echo "time_ms,q0,q1,q3"
	echo "0,120,3,0"
	echo "10,80,0,7"
	echo "20,0,0,0"
	echo "30,0,0,0"
	echo "40,5,260,1"
} >"$csv"

# 1. a PNG, and gnuplot said nothing
"$wc" profile --plot "$csv" --png "$tmp/p.png" >"$tmp/out" 2>&1
rc=$?
magic=$(od -An -c -N4 "$tmp/p.png" 2>/dev/null | tr -d ' ')
[ $rc = 0 ] && [ "$magic" = "211PNG" ] && [ ! -s "$tmp/out" ]
ok "plot: exit 0, a PNG, no output" $?
[ -s "$tmp/out" ] && sed 's/^/# /' "$tmp/out"

# 2. file names gnuplot must quote
cp "$csv" "$tmp/it's a.csv"
"$wc" profile --plot "$tmp/it's a.csv" --png "$tmp/it's a.png" >/dev/null 2>&1 &&
	[ -s "$tmp/it's a.png" ]
ok "plot: file names with a quote and a space" $?

# 3. no such CSV
"$wc" profile --plot "$tmp/none.csv" --png "$tmp/n.png" >"$tmp/out" 2>&1
[ $? = 1 ] && grep -q "none.csv" "$tmp/out" && [ ! -e "$tmp/n.png" ]
ok "missing CSV: exit 1, named" $?

# 4. not a profile CSV; a header without bins
echo "a,b,c" >"$tmp/x.csv"
echo "time_ms,q0" >"$tmp/e.csv"
"$wc" profile --plot "$tmp/x.csv" --png "$tmp/x.png" >/dev/null 2>&1
r1=$?
"$wc" profile --plot "$tmp/e.csv" --png "$tmp/e.png" >"$tmp/out" 2>&1
r2=$?
[ $r1 = 1 ] && [ $r2 = 1 ] && grep -q "no bins" "$tmp/out"
ok "foreign CSV and empty CSV: exit 1" $?

# 5. usage
"$wc" profile --plot "$csv" >/dev/null 2>&1
r1=$?
"$wc" profile --plot "$csv" --png "$tmp/u.png" -c 5 >/dev/null 2>&1
r2=$?
[ $r1 = 2 ] && [ $r2 = 2 ]
ok "--plot without --png, or with capture options: exit 2" $?

# 6. no gnuplot: a clear error, no PNG
PATH=$tmp/empty "$wc" profile --plot "$csv" --png "$tmp/g.png" >"$tmp/out" 2>&1
[ $? = 1 ] && grep -q "gnuplot-nox" "$tmp/out" && [ ! -e "$tmp/g.png" ]
ok "no gnuplot on PATH: exit 1, says so" $?

# 7. gnuplot failing (an unwritable PNG) is an error
"$wc" profile --plot "$csv" --png "$tmp/no/such/dir/p.png" >/dev/null 2>&1
[ $? = 1 ]
ok "gnuplot cannot write the PNG: exit 1" $?

exit $fail
