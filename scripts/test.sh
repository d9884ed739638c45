#!/bin/sh
# `make test`: install what is missing, build, run every test, and end with
# "N passed, N failed" (", N skipped" when some were). Exit 0 iff none
# failed. Each step's TAP is kept under results/test/.
#
#   host:  the Intel drivers (e1000e, ixgbe with our hooks and glue) built
#          for 6.1 and 6.12 with W=1, no warning allowed, and sparse on
#          our glue (scripts/check-intel.sh)
#   host:  unit tests of user-space code (TAP from each program); the
#          summary `make run` ends with, on made-up results with losses at
#          every place, checked against their files
#          (selftests/host/run_summary.sh)
#   host:  the savefile writer of `wirecap capture` fed a real trace as
#          from 4 queues: pcap and pcapng read by tcpdump and tshark and
#          equal to the trace, pcapng's queue, hash and statistics blocks,
#          -C/-G/-W rotation as tcpdump's, frames given up and counted when
#          the output stalls (selftests/host/savefile.sh)
#   host:  the timestamp checker of e2e-tstamp.sh against made-up
#          captures (selftests/host/tstamp_check.sh)
#   host:  the bench's validity check on made-up runs: a run whose
#          packets did not reach its engine, or whose guest took none, is
#          invalid (selftests/host/bench_validity.sh); its verdicts on
#          its targets (selftests/host/bench_targets.sh)
#   host:  vm.sh boots a guest once more when its kernel failed before
#          any module was loaded, and only then, with a stand-in QEMU
#          (selftests/host/vm_boot_failed.sh)
#   host:  the modules built by `make modules KDIR=` from each kernel's
#          headers alone, as DKMS will, and the feature probes checked
#          (selftests/host/kdir_build.sh)
#   host:  `make install` into a scratch DESTDIR as a package build does:
#          the files, the soname, the .pc, a program built against the
#          installed tree (shared and static), the man pages, dkms.conf and
#          the DKMS source tree building the modules, uninstall
#          (selftests/host/install.sh)
#   VM:    the kernel selftests, on Debian's 6.1 and 6.12 kernels, each run
#          also checked for kernel trouble on the console (BUG, WARNING...)
#   VM:    end to end from the virtio-net NIC: real traces replayed by
#          tcpreplay on the host, checked byte for byte and against an
#          independent Toeplitz RSS (scripts/e2e-virtio.sh)
#   VM:    virtio with a full pool: every frame the tap handed QEMU is
#          received or in capture_drops in the guest; the handler's drop
#          rate is the end-to-end loss; ethtool -A tx on holds frames back
#          instead (scripts/e2e-drops.sh)
#   VM:    `make run` itself (scripts/run.sh, its defaults): the summary
#          it ends with adds up and agrees with its files (capinfos and
#          tcpdump on the capture, capture.json, host-replay.txt)
#          (scripts/e2e-run.sh)
#   VM:    per-frame timestamps from the virtio-net NIC: frames the host
#          sends 1 ms apart are stamped about 1 ms apart (median), and no
#          two frames share a timestamp, also when sent back to back and
#          harvested in one NAPI poll (scripts/e2e-tstamp.sh)
#   VM:    end to end from QEMU's e1000e (82574L, 2 RX queues) driven by
#          our e1000e.ko: real traces checked byte for byte and against
#          the NIC's RSS, and the NIC's life around a capture (ethtool -r,
#          link down/up, MTU, VLAN stripping, MPC, the stack's queue 0)
#          (scripts/e2e-e1000e.sh)
#   VM:    the VM's second NIC (virtio-stock, e1000e, softnic): found in
#          the guest, and what it sends recorded by the host
#          (scripts/e2e-nics.sh)
#   VM:    zero-copy forwarding end to end: a real trace into one virtio
#          NIC, `wirecap forward` with a filter out of the other, what
#          the host records checked byte for byte; and under overload,
#          the counters (scripts/e2e-forward.sh)
#   VM:    buddy-group offloading end to end on a skewed real trace,
#          basic vs advanced mode, groups, two applications
#          (scripts/e2e-offload.sh)
#   VM:    libpcap compatibility: Debian's tcpdump through
#          libwirecap-pcap.so, checked byte for byte (scripts/e2e-pcap.sh)
#   VM:    `wirecap capture` as tcpdump users expect it: pcapng whose
#          frames are the trace's and whose per-frame queue and hash agree
#          with the host's Toeplitz, a filter keeping exactly the matching
#          frames, -C rotation, -D (scripts/e2e-capture.sh)
#   VM:    more libpcap programs, unmodified, through the shim: softflowd's
#          flows, tcpflow's streams and p0f's log from the NIC equal to
#          what they report from the trace file (scripts/e2e-apps.sh)
#   VM:    frames longer than a cell on virtio and e1000e: real traces
#          with frames up to 5 KiB (MTU 9000), generated ones up to 64 KiB
#          (virtio, MTU 65521) and 9 KiB (e1000e, MTU 9000) captured
#          byte for byte with 256-byte and 2 KiB cells, every queue's
#          counters adding up (scripts/e2e-frames.sh)
#   VM:    the recycle mutation test (scripts/mutate-recycle.sh)
#   VM:    the hardening mutation test (scripts/mutate-hardening.sh):
#          each defect the kernel's hardening fixed, put back in turn,
#          must be caught by its selftest
#   VM:    the bench's quick variant (bench/run.sh --quick), so it does not
#          rot: it ran and wrote its report; nothing about speed
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
out=$top/results/test
rm -rf "$out"
mkdir -p "$out"
. "$top/scripts/tap-count.sh"
summary() { tap_summary; }

echo "== setup"
if ! scripts/setup.sh; then
	verdict "setup (scripts/setup.sh)" 1
	summary
fi

echo "== build"
build_ok=0
make -s userbins host-tools host-tests host-tests-tools >"$out/build.log" 2>&1 ||
	build_ok=1
for k in 6.1 6.12; do
	make -s modules KERNEL=$k >>"$out/build.log" 2>&1 || build_ok=1
done
verdict "build (see results/test/build.log)" $build_ok
[ $build_ok -eq 0 ] || { tail -30 "$out/build.log"; summary; }

echo "== Intel drivers: W=1 without warnings on 6.1 and 6.12, sparse on the glue"
scripts/check-intel.sh 6.1 6.12 >"$out/check-intel.tap" 2>&1
count "$out/check-intel.tap"

echo "== host unit tests"
for t in build/host-tests/*; do
	[ -x "$t" ] || continue
	"$t" >"$out/host-$(basename "$t").tap" 2>&1
	count "$out/host-$(basename "$t").tap"
done
# `wirecap profile --plot` draws on the host (the VM has no gnuplot)
selftests/host/profile_plot.sh >"$out/host-profile_plot.tap" 2>&1
count "$out/host-profile_plot.tap"
# `wirecap stats --openmetrics/--listen/--json` through a real parser
selftests/host/stats_metrics.sh >"$out/host-stats_metrics.tap" 2>&1
count "$out/host-stats_metrics.tap"
# the summary at the end of `make run`, from made-up results with losses
selftests/host/run_summary.sh >"$out/host-run_summary.tap" 2>&1
count "$out/host-run_summary.tap"
# the savefile writer of `wirecap capture`: formats, rotation, stalls
selftests/host/savefile.sh >"$out/host-savefile.tap" 2>&1
count "$out/host-savefile.tap"
# the bench's validity check on made-up runs (bench/report.py validity)
selftests/host/bench_validity.sh >"$out/host-bench_validity.tap" 2>&1
count "$out/host-bench_validity.tap"
# the bench's targets on made-up runs (bench/report.py)
selftests/host/bench_targets.sh >"$out/host-bench_targets.tap" 2>&1
count "$out/host-bench_targets.tap"
# vm.sh's second boot after a kernel failure before any module loaded
selftests/host/vm_boot_failed.sh >"$out/host-vm_boot_failed.tap" 2>&1
count "$out/host-vm_boot_failed.tap"
# the bench profile's folding, classifier and flame graph (bench/flame.py)
selftests/host/flame_classify.sh >"$out/host-flame_classify.tap" 2>&1
count "$out/host-flame_classify.tap"
# the timestamp checker of e2e-tstamp.sh against made-up captures
selftests/host/tstamp_check.sh >"$out/host-tstamp_check.tap" 2>&1
count "$out/host-tstamp_check.tap"
# a fresh clone's first `make` (nothing under build/ yet)
selftests/host/fresh_tree.sh >"$out/host-fresh_tree.tap" 2>&1
count "$out/host-fresh_tree.tap"
# `make modules KDIR=` for each kernel's headers alone, as DKMS builds,
# and the compile probes of gen-compat.sh (they find what each kernel has;
# they can fail)
selftests/host/kdir_build.sh >"$out/host-kdir_build.tap" 2>&1
count "$out/host-kdir_build.tap"
# `make install` / `make dkms-src` into a scratch DESTDIR, and uninstall
selftests/host/install.sh >"$out/host-install.tap" 2>&1
count "$out/host-install.tap"

for k in 6.1 6.12; do
	echo "== selftests in the VM, kernel $k"
	res=$out/vm-$k
	scripts/vm.sh --kernel $k --results "$res" -- wirecap-selftests \
		>"$out/vm-$k.log" 2>&1
	rc=$?
	for tap in "$res"/*.tap; do
		[ -f "$tap" ] && count "$tap"
	done
	# the run itself: booted, finished, console clean
	case $rc in
	124) verdict "kernel $k: VM run timed out" 1 ;;
	125) verdict "kernel $k: kernel trouble on the console" 1 ;;
	*) verdict "kernel $k: VM run" 0 ;;
	esac
done

echo "== virtio: a queue reset that fails (the NIC breaks, the pool is kept)"
for k in 6.1 6.12; do
	res=$out/virtio-reset-$k
	scripts/vm.sh --nic virtio --kernel $k --results "$res" -- \
		'wirecap-selftests virtio_reset_fail' >"$res.log" 2>&1
	rc=$?
	if [ -f "$res/virtio_reset_fail.tap" ]; then
		count "$res/virtio_reset_fail.tap"
	else
		verdict "kernel $k: virtio_reset_fail left no TAP (vm exit $rc)" 1
	fi
	[ $rc = 125 ] && verdict "kernel $k: kernel trouble on the console (virtio_reset_fail)" 1
done

echo "== end to end from the virtio-net NIC"
scripts/e2e-virtio.sh 6.1 6.12 >"$out/e2e-virtio.tap" 2>&1
count "$out/e2e-virtio.tap"

echo "== virtio drops like a NIC: a full pool's loss counted in the guest"
scripts/e2e-drops.sh 6.1 6.12 >"$out/e2e-drops.tap" 2>&1
count "$out/e2e-drops.tap"

echo "== make run: the summary it ends with, checked against its files"
scripts/e2e-run.sh 6.1 >"$out/e2e-run.tap" 2>&1
count "$out/e2e-run.tap"

echo "== per-frame timestamps from the virtio-net NIC"
scripts/e2e-tstamp.sh 6.1 6.12 >"$out/e2e-tstamp.tap" 2>&1
count "$out/e2e-tstamp.tap"

echo "== end to end from the e1000e NIC (82574L, our e1000e.ko)"
scripts/e2e-e1000e.sh 6.1 6.12 >"$out/e2e-e1000e.tap" 2>&1
count "$out/e2e-e1000e.tap"

echo "== the test VM's second NIC (--nics 2), kernel 6.1"
scripts/e2e-nics.sh 6.1 >"$out/e2e-nics.tap" 2>&1
count "$out/e2e-nics.tap"

echo "== forwarding end to end: wirecap forward between two virtio NICs"
scripts/e2e-forward.sh 6.1 6.12 >"$out/e2e-forward.tap" 2>&1
count "$out/e2e-forward.tap"

echo "== buddy-group offloading end to end (software NIC)"
scripts/e2e-offload.sh 6.1 6.12 >"$out/e2e-offload.tap" 2>&1
count "$out/e2e-offload.tap"

echo "== libpcap compatibility: tcpdump through libwirecap-pcap.so"
scripts/e2e-pcap.sh 6.1 6.12 >"$out/e2e-pcap.tap" 2>&1
count "$out/e2e-pcap.tap"

echo "== wirecap capture: pcapng, filter, rotation (software NIC)"
scripts/e2e-capture.sh 6.1 6.12 >"$out/e2e-capture.tap" 2>&1
count "$out/e2e-capture.tap"

echo "== libpcap compatibility: softflowd, tcpflow, p0f through the shim"
scripts/e2e-apps.sh 6.1 6.12 >"$out/e2e-apps.tap" 2>&1
count "$out/e2e-apps.tap"

echo "== frames across cells: jumbo traces on virtio and e1000e, cells of 256 B and 2 KiB"
scripts/e2e-frames.sh 6.1 6.12 >"$out/e2e-frames.tap" 2>&1
count "$out/e2e-frames.tap"

echo "== recycle mutation test, kernel 6.1"
scripts/mutate-recycle.sh 6.1 >"$out/mutate-recycle.tap" 2>&1
count "$out/mutate-recycle.tap"

echo "== hardening mutation test, kernel 6.1 (each fixed defect put back)"
scripts/mutate-hardening.sh 6.1 >"$out/mutate-hardening.tap" 2>&1
count "$out/mutate-hardening.tap"

echo "== bench, quick variant (nothing about speed is asserted)"
bench/run.sh --quick 6.1 >"$out/bench-quick.log" 2>&1
rc=$?
# 8 burst rows; peers on virtio: 6 engines at one rate and at one burst
# length, 5 on the skewed trace (with WireCAP-F); on e1000e: 4 engines at
# one rate and at one burst length; forwarding: 3 engines at one rate
rows=$(grep '^| [0-9]' results/bench/report.md 2>/dev/null | grep -vc 'no result')
verdict "bench --quick: ran (exit $rc), report with ${rows:-0} of 36 rows with results" \
	$([ $rc = 0 ] && [ "${rows:-0}" = 36 ]; echo $?)

summary
