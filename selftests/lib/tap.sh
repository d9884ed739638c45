# SPDX-License-Identifier: GPL-2.0
# The one TAP helper of WireCAP's shell tests; source it:
#
#   . "$top/selftests/lib/tap.sh"
#   tap_plan 3
#   tap_ok "what was checked" $status      # 0: ok, anything else: not ok
#   tap_skip "why"
#   tap_done                               # exit 0 iff nothing failed
#
# Each test prints "ok N - text" or "not ok N - text"; the plan comes
# first, so a script that dies early is caught by its plan (scripts/test.sh
# counts a missing result as a failure).
tap_n=0
tap_failed=0

tap_plan() { echo "1..$1"; }

tap_ok() {
	tap_n=$((tap_n + 1))
	if [ "$2" = 0 ]; then
		echo "ok $tap_n - $1"
	else
		echo "not ok $tap_n - $1"
		tap_failed=1
	fi
}

tap_skip() {
	tap_n=$((tap_n + 1))
	echo "ok $tap_n # SKIP $1"
}

tap_diag() { echo "# $*"; }

tap_done() { exit "$tap_failed"; }
