#!/bin/sh
# Mutation test of the kernel's hardening: each mutant below takes one
# fix out of the driver (it puts back the defect the fix removed), builds
# the modules, and runs the selftests named for that fix in the VM. Every
# mutant must be caught: a selftest fails, or the kernel complains. This
# is how "a test that fails without its fix" stays true after the fix has
# landed. Prints TAP.
#
#   scripts/mutate-hardening.sh [kernel: 6.1|6.12] [mutant name ...]
#
# A mutant whose text is no longer in the source is a failure too: the
# table must follow the code. The table is at the end of this file: a
# line "=== NAME FILE NIC TESTS... [only=KERNEL]" (NIC: softnic or virtio;
# only=6.1: a defect only that kernel shows, skipped on others), then the
# text to find, a line "+++", the text to put instead, and a line "---".
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
kernel=${1:-6.1}
[ $# -gt 0 ] && shift
krel=$(scripts/krel.sh "$kernel") || exit 1
table=$(mktemp)
trap 'rm -f "$table"' EXIT
sed -n '/^### MUTANTS$/,$p' "$0" | sed 1d >"$table"

names=$(sed -n 's/^=== \([^ ]*\) .*/\1/p' "$table")
[ $# -gt 0 ] && names=$*
echo "1..$(echo $names | wc -w)"
i=0
for name in $names; do
	i=$((i + 1))
	set -- $(sed -n "s/^=== $name //p" "$table")
	file=$1 nic=$2
	shift 2
	tests="" only=""
	for w in "$@"; do
		case $w in
		only=*) only=${w#only=} ;;
		*) tests="$tests $w" ;;
		esac
	done
	# a defect only one kernel has (say, how 6.1's io_uring treats results)
	if [ -n "$only" ] && [ "$only" != "$kernel" ]; then
		echo "ok $i $name # SKIP only $only shows this defect"
		continue
	fi
	dir=$top/build/mutants-hardening/$name
	rm -rf "$dir"
	mkdir -p "$dir/root"
	cp -r drivers uapi "$dir/root/"
	# apply: exactly one occurrence of the text must be there
	if ! python3 - "$table" "$name" "$dir/root/$file" <<'PY'
import sys
table, name, path = sys.argv[1:4]
lines = open(table).read().split('\n')
start = next(k for k, l in enumerate(lines) if l.startswith('=== %s ' % name))
body = []
for l in lines[start + 1:]:
    if l == '---':
        break
    body.append(l)
sep = body.index('+++')
old = '\n'.join(body[:sep]).replace('\\t', '\t')
new = '\n'.join(body[sep + 1:]).replace('\\t', '\t')
src = open(path).read()
if src.count(old) != 1:
    sys.exit('the text of mutant %s is in %s %d times' % (name, path, src.count(old)))
open(path, 'w').write(src.replace(old, new))
PY
	then
		echo "not ok $i $name: its text is not in $file (update the table)"
		continue
	fi
	# no Intel driver: no mutant touches them and no mutant VM loads
	# them (40 of the 58 seconds a build takes here)
	if ! WIRECAP_INTEL_DRIVERS=none scripts/build-modules.sh "$krel" \
		"$dir/root" "$dir/modules" >"$dir/build.log" 2>&1; then
		echo "not ok $i $name: the mutant does not build"
		continue
	fi
	scripts/vm.sh --kernel "$kernel" --nic "$nic" --modules "$dir/modules" \
		--results "$dir/results" -- "wirecap-selftests $tests" \
		>"$dir/vm.log" 2>&1
	rc=$?
	if [ $rc -eq 0 ]; then
		echo "not ok $i $name survives: $tests"
	else
		echo "ok $i $name is caught by $tests (vm exit $rc)"
	fi
done
exit 0

# Text: tabs as \t; the lines as they are in the file.
### MUTANTS
=== park_while_stopping drivers/wirecap/capture.c softnic detach_races
\t/* being detached: answered as the parked ones are */
\tif (q->pool->stopping)
\t\treturn -ECANCELED;
+++
---
=== attach_error_leaves_parked drivers/wirecap/queue.c softnic detach_races
\t\tpool_unset(q, p, false, -ENXIO, &kept);
+++
\t\tWRITE_ONCE(q->pool, NULL); kept = false;
---
=== dead_after_detach drivers/wirecap/queue.c softnic detach_races
\t/* first: from here on every operation answers -ENODEV */
\tspin_lock_bh(&q->lock);
\tq->dead = true;
\tspin_unlock_bh(&q->lock);
\tdetach_locked(q, -ENODEV);
\tspin_lock_bh(&q->lock);
\tq->nic = NULL;
+++
\tdetach_locked(q, -ENODEV);
\tspin_lock_bh(&q->lock);
\tq->dead = true;
\tq->nic = NULL;
---
=== parked_unbounded drivers/wirecap/capture.c softnic parked_limit
\treturn q->nr_parked < WIRECAP_MAX_PARKED ? 0 : -EBUSY;
+++
\treturn 0;
---
=== parked_fifo drivers/wirecap/capture.c softnic parked_limit
\tlist_for_each_entry_reverse(pos, &q->parked, node)
\t\tif (!ktime_before(pdu->deadline, pos->deadline))
\t\t\tbreak;
\tlist_add(&pdu->node, &pos->node);
+++
\tpos = NULL;
\tlist_add_tail(&pdu->node, &q->parked);
---
=== stop_failure_frees drivers/wirecap/queue.c softnic nic_broken
\tret = pool_unset(q, p, true, res, &kept);
\tif (ret) {
+++
\tret = pool_unset(q, p, true, res, &kept);
\tif (0) {
---
=== virtio_reset_failure_ignored drivers/virtio/wirecap_virtio.c virtio virtio_reset_fail
\tnapi_enable(&rq->napi);
\treturn ret;
+++
\tnapi_enable(&rq->napi);
\treturn 0;
---
=== rx_length_trusted drivers/wirecap/chunk.c softnic rx_length
\t} else if (unlikely(d->len < q->frame_offset ||
\t\t\t    d->len > p->cells[d->cell].size)) {
+++
\t} else if (unlikely(0)) {
---
=== capabilities_ignored drivers/wirecap/queue.c softnic privilege
\telse if (!ns_capable(net->user_ns, cap))
\t\tret = -EPERM;
+++
---
=== netns_ignored drivers/wirecap/queue.c softnic privilege
\tif (!net_eq(current->nsproxy->net_ns, net))
+++
\tif (0)
---
=== memlock_not_charged drivers/wirecap/pool.c softnic pool_charge
\tif (capable(CAP_IPC_LOCK))
\t\treturn 0;
+++
\treturn 0;
---
=== memcg_not_charged drivers/wirecap/pool.c softnic pool_charge
#define WC_GFP\t(GFP_KERNEL_ACCOUNT | __GFP_RETRY_MAYFAIL | __GFP_NOWARN)
+++
#define WC_GFP\t(GFP_KERNEL | __GFP_RETRY_MAYFAIL | __GFP_NOWARN)
---
=== names_fixed drivers/wirecap/main.c softnic rename
\t\tif (event != NETDEV_UNREGISTER)
\t\t\tnic_rename(nic, netdev_name(dev));
+++
\t\tif (0)
\t\t\tnic_rename(nic, netdev_name(dev));
---
=== seq_restarts drivers/wirecap/queue.c softnic recycle_refused
\tspin_lock_bh(&q->lock);
\tq->pool = p;
+++
\tspin_lock_bh(&q->lock);
\tq->seq = 0;
\tq->pool = p;
---
=== ioctl_by_size drivers/wirecap/queue.c softnic abi_growth
\tif (_IOC_TYPE(op) != WIRECAP_IOC_MAGIC)
\t\treturn -ENOTTY;
\tswitch (_IOC_NR(op)) {
\tcase _IOC_NR(WIRECAP_CMD_INFO):
+++
\tif (op != WIRECAP_CMD_INFO && op != WIRECAP_CMD_STATS &&
\t    op != WIRECAP_CMD_ATTACH && op != WIRECAP_CMD_DETACH &&
\t    op != WIRECAP_CMD_CAPTURE && op != WIRECAP_CMD_RECYCLE)
\t\treturn -ENOTTY;
\tswitch (_IOC_NR(op)) {
\tcase _IOC_NR(WIRECAP_CMD_INFO):
---
=== attach_size_uncapped drivers/wirecap/queue.c softnic abi_growth
\tif (usize > PAGE_SIZE)
\t\treturn -E2BIG;
+++
---
=== attach_size_no_minimum drivers/wirecap/queue.c softnic abi_growth
\tif (usize < offsetofend(struct wirecap_attach, nr_chunks))
\t\treturn -EINVAL;
+++
---
=== sqe_fields_ignored drivers/wirecap/queue.c softnic abi_growth
\tif (wc_cmd_sqe_extra(cmd))
\t\treturn -EINVAL;
+++
---
=== pool_mapped_private drivers/wirecap/pool.c softnic abi_growth
\tif (!(vma->vm_flags & VM_MAYSHARE))
\t\treturn -EINVAL;
+++
---
=== max_timeout_wraps drivers/wirecap/queue.c softnic abi_growth
\tinfo.max_timeout_us = min_t(u64, READ_ONCE(wirecap_max_timeout_ms) *
\t\t\t\t    1000ULL, U32_MAX);
+++
\tinfo.max_timeout_us = wirecap_max_timeout_ms * 1000;
---
=== softnic_frames_unchecked drivers/softnic/inject.c softnic abi_growth
\tif (!h->nr_frames || len > INJECT_MAX_PAYLOAD ||
\t    h->nr_frames > len / sizeof(u32))
+++
\tif (!h->nr_frames || len > INJECT_MAX_PAYLOAD)
---
=== netns_move_keeps_file drivers/wirecap/main.c softnic privilege
\t\telse if (dev->reg_state == NETREG_REGISTERED)
+++
\t\telse if (0)
---
=== node_names_collide drivers/wirecap/main.c softnic rename
\tif (node_name_taken(name)) {
+++
\tif (0) {
---
=== charge_dropped_with_pool drivers/wirecap/pool.c softnic pool_charge
\t\tvma->vm_private_data = p->charge;
+++
\t\tvma->vm_private_data = NULL;
---
=== read_only_file_unmappable drivers/wirecap/pool.c softnic abi_growth
\tif (!(vma->vm_flags & VM_MAYSHARE))
+++
\tif (!(vma->vm_flags & VM_SHARED))
---
=== uring_count_as_failure drivers/wirecap/queue.c softnic uring_results only=6.1
\tif (ret <= 0)
\t\treturn ret;
\twc_cmd_done(cmd, ret, issue_flags);
+++
\tif (1)
\t\treturn ret;
\twc_cmd_done(cmd, ret, issue_flags);
---
