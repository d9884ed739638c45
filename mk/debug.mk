# The debug kernel (KASAN, lockdep, debug objects; docs/debug-kernel.md)
# and the tests that run on it. Included from the top-level Makefile.
#
#   make debug-kernel     build it: once per machine, then it is cached
#                         (scripts/debug-kernel.sh); afterwards KERNEL=debug
#                         works for `make modules` and `make vm`
#   make test-debug       the debug kernel if not cached, our modules for it,
#                         and on it: every selftest (the software NIC's, and
#                         virtio_reset_fail on the virtio NIC), the recycle
#                         mutation test, the virtio end-to-end traces; ends
#                         with "N passed, N failed" and the time of each part
#       [TEST_DEBUG_TRACES="a.pcap ..."]   end-to-end traces (names under
#                         shared/traces) [scripts/e2e-virtio.sh's five]
#       [TEST_DEBUG_TIMEOUT=secs]   limit of the selftests' VM runs [1200]
#
# Any kernel report on the guest console (KASAN, lockdep, ODEBUG, WARN,
# BUG) makes scripts/vm.sh exit 125, which fails the part it happened in;
# the selftests' reports are also written with file:line
# (console-decoded.log, by the kernel's decode_stacktrace.sh). Results go
# to results/test-debug/.

DEBUG_MK_TOP := $(abspath $(dir $(lastword $(MAKEFILE_LIST)))..)
TEST_DEBUG_TRACES ?=
TEST_DEBUG_TIMEOUT ?= 1200

.PHONY: debug-kernel test-debug
debug-kernel:
	@$(DEBUG_MK_TOP)/scripts/debug-kernel.sh

# The recipe, as a shell script: it reaches the shell through the
# environment unexpanded (as mk/vm.mk passes CMD), so it is written in
# plain sh, without make's $$. It counts TAP as scripts/test.sh does.
define TEST_DEBUG_SH
set -u
cd "$WIRECAP_TOP" || exit 1
out=results/test-debug
rm -rf "$out"
mkdir -p "$out"
. scripts/tap-count.sh
times=""

# part NAME: start timing a part; done_part: print and record its time
part() { pname=$1; t0=$(date +%s); echo "== $1"; }
done_part() {
	t=$(($(date +%s) - t0))
	echo "   ($t s)"
	times="$times$(printf '%6d s  %s' "$t" "$pname")
"
}
# decode RESULTS MODDIR: the console's stack traces with file:line, from the
# debug info of the kernel's build tree and of our modules
decode() {
	rel=$(scripts/krel.sh debug) || return
	kb=build/kernels/$rel/lib/modules/$rel/build
	"$kb/source/scripts/decode_stacktrace.sh" "$kb/vmlinux" "$kb/source" "$2" \
		<"$1/console.log" >"$1/console-decoded.log" 2>&1 &&
		echo "  decoded: $1/console-decoded.log"
}
summary() {
	echo "== time of each part"
	printf '%s' "$times"
	tap_summary
}

part "debug kernel (scripts/debug-kernel.sh; cached after the first build)"
scripts/debug-kernel.sh >"$out/debug-kernel.log" 2>&1
rc=$?
verdict "debug kernel (see $out/debug-kernel.log)" $rc
done_part
[ $rc = 0 ] || { tail -20 "$out/debug-kernel.log"; summary; }

part "build: our modules for the debug kernel, user programs, host tools"
rc=0
make -s userbins host-tools >"$out/build.log" 2>&1 || rc=1
make -s modules KERNEL=debug >>"$out/build.log" 2>&1 || rc=1
verdict "build (see $out/build.log)" $rc
done_part
[ $rc = 0 ] || { tail -30 "$out/build.log"; summary; }

part "selftests in the VM, debug kernel"
res=$out/vm-debug
# fuzz_abi longer here; without the one case 6.12's io_uring exit work
# trips lockdep on by itself (docs/debug-kernel.md)
scripts/vm.sh --kernel debug --timeout "$TEST_DEBUG_TIMEOUT" --results "$res" \
	-- 'WCT_FUZZ_SECONDS=150 WCT_FUZZ_AVOID=defer-exit wirecap-selftests' \
	>"$out/vm-debug.log" 2>&1
rc=$?
for tap in "$res"/*.tap; do
	[ -f "$tap" ] && count "$tap"
done
case $rc in
124) verdict "debug kernel: VM run timed out" 1 ;;
125) verdict "debug kernel: kernel trouble on the console (see $out/vm-debug.log)" 1
	sed -n '/KERNEL TROUBLE/,/exit 125/p' "$out/vm-debug.log" | head -20
	decode "$res" "build/$(scripts/krel.sh debug)/modules" ;;
*) verdict "debug kernel: VM run" 0 ;;
esac
# the one selftest that needs the virtio NIC (as scripts/test.sh runs it)
res=$out/virtio-reset-debug
scripts/vm.sh --nic virtio --kernel debug --timeout "$TEST_DEBUG_TIMEOUT" \
	--results "$res" -- 'wirecap-selftests virtio_reset_fail' >"$res.log" 2>&1
rc=$?
if [ -f "$res/virtio_reset_fail.tap" ]; then
	count "$res/virtio_reset_fail.tap"
else
	verdict "debug kernel: virtio_reset_fail left no TAP (vm exit $rc)" 1
fi
if [ $rc = 125 ]; then
	verdict "debug kernel: kernel trouble on the console (virtio_reset_fail, see $res.log)" 1
	sed -n '/KERNEL TROUBLE/,/exit 125/p' "$res.log" | head -20
	decode "$res" "build/$(scripts/krel.sh debug)/modules"
fi
done_part

part "recycle mutation test, debug kernel"
scripts/mutate-recycle.sh debug >"$out/mutate-recycle.tap" 2>&1
count "$out/mutate-recycle.tap"
done_part

part "end to end from the virtio-net NIC, debug kernel"
WIRECAP_E2E_TRACES=$TEST_DEBUG_TRACES WIRECAP_E2E_TIMEOUT=600 \
	scripts/e2e-virtio.sh debug >"$out/e2e-virtio.tap" 2>&1
count "$out/e2e-virtio.tap"
done_part

summary
endef

test-debug: export WIRECAP_TEST_DEBUG_SH = $(value TEST_DEBUG_SH)
test-debug: export WIRECAP_TOP = $(DEBUG_MK_TOP)
test-debug: export TEST_DEBUG_TRACES := $(TEST_DEBUG_TRACES)
test-debug: export TEST_DEBUG_TIMEOUT := $(TEST_DEBUG_TIMEOUT)
test-debug:
	@sh -c "$$WIRECAP_TEST_DEBUG_SH"
