# SPDX-License-Identifier: GPL-2.0
# Counting TAP for the scripts that run many test programs and end with
# "N passed, N failed" (scripts/test.sh, make test-debug); source it.
#
#   count FILE.tap      add its ok / not ok / skip lines to the totals; a
#                       plan (1..N) that is missing or does not match the
#                       results is one more failure (a script that died
#                       early prints too few, or none at all)
#   verdict NAME STATUS one test of our own (0: passed)
#   tap_summary         print "N passed, N failed[, N skipped]" and exit 0
#                       iff none failed
pass=0 fail=0 skip=0

count() {
	p=$(grep -Ec '^ok [0-9]+' "$1" | tr -d ' ')
	s=$(grep -Ec '^ok [0-9]+.*# SKIP' "$1" | tr -d ' ')
	f=$(grep -Ec '^not ok [0-9]+' "$1" | tr -d ' ')
	plan=$(sed -n 's/^1\.\.\([0-9]*\).*/\1/p' "$1" | head -1)
	pass=$((pass + p - s))
	skip=$((skip + s))
	fail=$((fail + f))
	# each failure with the diagnostics printed around it: the kselftest
	# harness writes them before "not ok", our scripts after (CI keeps
	# only this summary; the TAP files stay in results/test)
	awk -v name="$(basename "$1" .tap)" '
		/^ok/ { n = 0; after = 0 }
		/^#[ \t]+RUN/ { after = 0 }
		/^#/ && !/^#[ \t]+(FAIL|OK|RUN|PASSED|FAILED|SKIP|Totals|Starting)/ &&
		    !/^#[ \t]+[^ ]+: Test (failed|terminated)/ {
			if (after > 0) {
				print "      " substr($0, 1, 300)
				after--
			} else {
				why[n % 6] = $0; n++
			}
		}
		/^not ok/ {
			print "  FAIL " name ": " $0
			for (i = (n > 6 ? n - 6 : 0); i < n; i++)
				print "      " substr(why[i % 6], 1, 300)
			n = 0
			after = 6
		}' "$1"
	if [ "${plan:-x}" != $((p + f)) ]; then
		fail=$((fail + 1))
		echo "  FAIL $(basename "$1" .tap): plan ${plan:-missing}," \
			"$((p + f)) results"
		grep -v '^ok' "$1" | tail -3 | sed 's/^/    /'
	fi
}

verdict() {
	if [ "$2" = 0 ]; then
		pass=$((pass + 1))
	else
		fail=$((fail + 1))
		echo "  FAIL $1"
	fi
}

tap_summary() {
	line="$pass passed, $fail failed"
	[ "$skip" -gt 0 ] && line="$line, $skip skipped"
	echo "$line"
	[ "$fail" -eq 0 ]
	exit $?
}
