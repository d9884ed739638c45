#!/bin/sh
# The profile experiment's guest side (bench/peers.sh profile), inside
# the test VM: runs the handler command as the rate experiment does and,
# over the steady part of the traffic, samples both vCPUs with perf
# (cpu-clock, the hrtimer event, which works under TCG; kernel and user
# call chains, frame pointers). Leaves, under /results:
#   perf.script    `perf script` of the window, symbols resolved here (the
#                  guest's /proc/kallsyms, our modules' symbols included,
#                  and the binaries and libraries at their guest paths);
#                  bench/flame.py folds and classifies it on the host
#   rx.log         "uptime rx_packets done" every 0.1 s while perf runs
#                  (done: 1 once the guest knows the replay ended): the
#                  NIC's netdev counter (both the stock virtio_net and
#                  wirecap_virtio count every frame they take) against
#                  /proc/uptime, the clock the samples are stamped with
#                  (CLOCK_MONOTONIC); the host interpolates it at the
#                  first and last sample to count the frames of the window
#   profile.txt    freq, cpus, skip_s, seconds, rx_packets and uptime
#                  before perf started and after it ended (rx_start,
#                  rx_end, uptime_start, uptime_end), replay_done_in_perf
#                  (1: the replay had ended before perf did; the window
#                  may then hold a quiet tail, rx.log says when),
#                  perf_exit, handler_exit
#   modules.txt    /proc/modules with their addresses: perf names our
#                  modules' symbols but files them under the kernel
#                  ([kernel.kallsyms]); bench/flame.py tells them apart by
#                  address
#   counts.txt     (COUNT=1 only) calls per packet, counted apart from
#                  the profile: in a second window of count_s (2) seconds
#                  after perf's, kprobes on the functions of count_funcs
#                  (those the kernel has and lets us probe), their hits
#                  read from the tracing kprobe_profile at both ends with
#                  the NIC's rx_packets: lines "rx_packets N", "seconds S",
#                  "replay_done 0|1" (1: the replay ended before the
#                  counts did; they are then not of steady traffic), then
#                  "function hits"
#   perf-record.log, perf-script.log   perf's messages
#
#   sh /extra/profile.sh FREQ SKIP SECONDS COUNT COMMAND...
#
# FREQ: samples per second per CPU; SKIP: seconds from the first frame
# the NIC receives to the start of the window (ramp-up: the handler's
# first rounds, the pool filling); SECONDS: the window. The trace must
# last longer than SKIP + SECONDS + perf's start-up and end (2-4 s
# under TCG) + count_s. COUNT: 1 to count calls (counts.txt), 0 not to;
# off by default (bench/peers.sh): registering and removing the kprobes
# oopsed the TCG guest (a jump to address 0 in whatever ran the probed
# code) in 4 runs of 18 on 6.1, and such a run is lost. Exit status: the
# handler's, or 1 if there was no window (no traffic, perf failed).
set -u
freq=$1 skip=$2 secs=$3 count=$4
shift 4
count_s=2
# Calls worth counting per packet: doorbells (each an exit to QEMU),
# system calls by kind, wake-ups, the drivers' and the engines' own entry
# points. Not the clocksource's read_hpet, where a kprobe oopsed the guest
# in every run tried (its callers' counts stand in: clock_gettime, and
# tpacket_rcv and wcv_harvest, which stamp each packet).
count_funcs="vp_notify vring_interrupt __x64_sys_io_uring_enter
io_uring_cmd __x64_sys_write eventfd_write eventfd_signal __x64_sys_poll
__x64_sys_ppoll __x64_sys_clock_gettime __x64_sys_recvfrom
__x64_sys_nanosleep __x64_sys_clock_nanosleep schedule try_to_wake_up
net_rx_action virtnet_poll try_fill_recv tpacket_rcv clear_page_erms
wcv_poll wcv_harvest wcv_post_cells wirecap_rx_complete wirecap_rx_refill"
tr=/sys/kernel/tracing
[ -d $tr/events ] || tr=/sys/kernel/debug/tracing
dev=/sys/class/net/$WIRECAP_IF/statistics/rx_packets
rx() { cat "$dev"; }
up() { cut -d' ' -f1 /proc/uptime; }
# The counts' window: kprobes registered (enabled, with the trace buffer
# off: only their hit counts are wanted).
count_calls() {
	echo 0 >$tr/tracing_on 2>/dev/null
	for f in $count_funcs; do
		echo "p:wcprof/$f $f" >>$tr/kprobe_events 2>/dev/null
	done
	echo 1 >$tr/events/wcprof/enable 2>/dev/null
	c0=$(rx) u0=$(up) k0=$(cat $tr/kprobe_profile 2>/dev/null)
	sleep $count_s
	c1=$(rx) u1=$(up) k1=$(cat $tr/kprobe_profile 2>/dev/null)
	echo 0 >$tr/events/wcprof/enable 2>/dev/null
	cdone=0
	[ ! -e /run/wirecap/replay-done ] || cdone=1
	{
		echo "rx_packets $((c1 - c0))"
		echo "seconds $(awk -v a="$u0" -v b="$u1" 'BEGIN { print b - a }')"
		echo "replay_done $cdone"
		echo "$k1" | while read -r f n _; do
			[ -n "$f" ] || continue
			was=$(echo "$k0" | awk -v f="$f" '$1 == f { print $2 }')
			echo "${f#wcprof/} $((n - ${was:-0}))"
		done
	} >/results/counts.txt
	echo >$tr/kprobe_events 2>/dev/null
}

# the counter against the clock, with shell builtins only (no fork)
rx_log() {
	while [ ! -e /tmp/profile-stop ]; do
		read -r u _ </proc/uptime
		read -r n <"$dev"
		d=0
		[ ! -e /run/wirecap/replay-done ] || d=1
		echo "$u $n $d"
		sleep 0.1
	done
}

# every address in the call chains and in /proc/kallsyms, for root
echo 0 >/proc/sys/kernel/kptr_restrict
echo -1 >/proc/sys/kernel/perf_event_paranoid

rx_before=$(rx)
sh -c "$*" &
hp=$!
# the traffic has started once the NIC received a frame (up to 120 s)
i=0
while [ "$(rx)" -le "$rx_before" ]; do
	if ! kill -0 $hp 2>/dev/null || [ $i -ge 2400 ]; then
		echo "profile: no traffic came; no profile" >&2
		wait $hp
		exit 1
	fi
	sleep 0.05
	i=$((i + 1))
done
sleep "$skip"
rx_log >/results/rx.log &
lp=$!
r0=$(rx) t0=$(up)
# -k: the samples' clock is /proc/uptime's; -B: no build-id pass over
# the binaries after the window (minutes under TCG)
perf record -a -g -e cpu-clock -F "$freq" -k CLOCK_MONOTONIC -B \
	-o /tmp/perf.data -- sleep "$secs" >/results/perf-record.log 2>&1
prc=$?
r1=$(rx) t1=$(up)
touch /tmp/profile-stop
wait $lp
done_in=0
[ ! -e /run/wirecap/replay-done ] || done_in=1
[ "$count" != 1 ] || count_calls
wait $hp
hrc=$?
cat /proc/modules >/results/modules.txt
# resolved after the run, so that it does not weigh on it
perf script -i /tmp/perf.data -F comm,tid,cpu,time,ip,sym,dso \
	>/results/perf.script 2>/results/perf-script.log || prc=1
cat >/results/profile.txt <<EOF
freq=$freq
cpus=$(nproc)
skip_s=$skip
seconds=$secs
rx_start=$r0
rx_end=$r1
uptime_start=$t0
uptime_end=$t1
replay_done_in_perf=$done_in
perf_exit=$prc
handler_exit=$hrc
EOF
rm -f /tmp/perf.data
[ $prc = 0 ] || exit 1
exit $hrc
