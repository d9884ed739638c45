// SPDX-License-Identifier: GPL-2.0
/*
 * RECYCLE: views come back from user space. Nothing in a record is
 * trusted: each check below refuses a kind of bad record, and each has a
 * selftest in selftests/recycle_refused.c.
 */
#include <linux/uaccess.h>

#include "wirecap.h"

#define RECYCLE_BATCH	32	/* records copied in at a time */

/**
 * wirecap_view_out() - does user space hold this view now?
 * @q: the queue the record came to
 * @p: its pool
 * @d: the record, as user space gave it
 *
 * True when CAPTURE published a view with exactly these fields and it was
 * neither recycled nor given to XMIT since. RECYCLE and XMIT both take a
 * view only if this says so.
 */
bool wirecap_view_out(const struct wirecap_queue *q,
		      const struct wirecap_pool *p, const struct wirecap_desc *d)
{
	u32 cell;

	lockdep_assert_held(&q->lock);
	/* a view of another queue */
	if (d->nic_id != q->nic_id || d->ring_id != q->ring_id)
		return false;
	/* no such chunk */
	if (d->chunk_id >= p->r)
		return false;
	/* no such cell, or an empty view */
	if (d->first_cell >= p->m || !d->pkt_count)
		return false;
	cell = d->chunk_id * p->m + d->first_cell;
	/* no view of that length starts there: never captured, or recycled */
	if (p->view_len[cell] != d->pkt_count)
		return false;
	/* a stamp of an earlier handover of the same cells */
	if (p->view_seq[cell] != d->seq)
		return false;
	/* given to XMIT: the kernel's until the NIC has sent it */
	if (p->view_tx[cell])
		return false;
	return true;
}

/**
 * wirecap_view_back() - a view returns to the pool
 * @q: its queue
 * @p: its pool
 * @cell: the view's first cell, pool-wide
 *
 * Returns true when that freed its chunk: the caller then calls
 * wirecap_chunks_freed() once for all it gave back.
 */
bool wirecap_view_back(struct wirecap_queue *q, struct wirecap_pool *p,
		       u32 cell)
{
	lockdep_assert_held(&q->lock);
	return wirecap_chunk_put_view(q, p, &p->chunks[cell / p->m], cell);
}

/**
 * wirecap_chunks_freed() - chunks went FREE: tell user space and the NIC
 * @q: the queue
 * @p: its pool
 *
 * Segments waiting for a chunk get one (the NIC is kicked), unless the
 * pool is being detached.
 */
void wirecap_chunks_freed(struct wirecap_queue *q, struct wirecap_pool *p)
{
	lockdep_assert_held(&q->lock);
	wirecap_ctrl_sync(p);
	if (wirecap_chunk_wanted(p) && !p->stopping)
		q->nic->cfg.ops->refill_kick(q);
}

int wirecap_recycle(struct wirecap_file *wf,
		    const struct wirecap_recycle_cmd *rc)
{
	const struct wirecap_desc __user *ud = u64_to_user_ptr(rc->descs);
	struct wirecap_queue *q = wf->q;
	struct wirecap_desc batch[RECYCLE_BATCH];
	u32 done = 0, taken = 0;
	int ret;

	if (rc->flags || rc->count > WIRECAP_RECYCLE_MAX)
		return -EINVAL;

	while (done < rc->count) {
		u32 n = min_t(u32, rc->count - done, RECYCLE_BATCH);
		struct wirecap_pool *p;
		bool freed = false;
		u32 i;

		if (copy_from_user(batch, ud + done, n * sizeof(*batch)))
			return taken ? taken : -EFAULT;

		spin_lock_bh(&q->lock);
		p = q->pool;
		ret = wirecap_file_check(wf) ?: p ? 0 : -ENXIO;
		if (ret) {
			spin_unlock_bh(&q->lock);
			return taken ? taken : ret;
		}
		for (i = 0; i < n; i++) {
			const struct wirecap_desc *d = &batch[i];

			if (!wirecap_view_out(q, p, d)) {
				q->stats.recycle_refused++;
				continue;
			}
			freed |= wirecap_view_back(q, p, d->chunk_id * p->m +
						   d->first_cell);
			taken++;
		}
		if (freed)
			wirecap_chunks_freed(q, p);
		spin_unlock_bh(&q->lock);
		done += n;
	}
	return taken;
}
