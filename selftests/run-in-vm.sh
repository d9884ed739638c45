#!/bin/sh
# Runs inside the test VM: every selftest binary, each one's TAP output
# saved as /results/<name>.tap. The host counts the results.
#
#   wirecap-selftests [name ...]      default: all
bindir=$(dirname "$0")
mkdir -p /results
if [ $# -eq 0 ]; then
	set -- $(cd "$bindir" && ls wctest-* | sed 's/^wctest-//')
fi
rc=0
for t in "$@"; do
	echo "### selftest $t"
	"$bindir/wctest-$t" > "/results/$t.tap" 2>&1
	r=$?
	cat "/results/$t.tap"
	echo "### selftest $t exit $r"
	[ $r -eq 0 ] || rc=1
done
exit $rc
