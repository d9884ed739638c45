// SPDX-License-Identifier: GPL-2.0
/*
 * RECYCLE: views come back from user space. Nothing in a record is
 * trusted: each check below refuses a kind of bad record, and each has a
 * selftest in selftests/recycle_refused.c.
 */
#include <linux/uaccess.h>

#include "wirecap.h"

#define RECYCLE_BATCH	32	/* records copied in at a time */

/* Validate one record and take the view back. */
static bool recycle_one(struct wirecap_queue *q, struct wirecap_pool *p,
			const struct wirecap_desc *d, bool *freed)
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

	if (wirecap_chunk_put_view(q, p, &p->chunks[d->chunk_id], cell))
		*freed = true;
	return true;
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
			if (recycle_one(q, p, &batch[i], &freed))
				taken++;
			else
				q->stats.recycle_refused++;
		}
		if (freed) {
			wirecap_ctrl_sync(p);
			if (wirecap_chunk_wanted(p) && !p->stopping)
				q->nic->cfg.ops->refill_kick(q);
		}
		spin_unlock_bh(&q->lock);
		done += n;
	}
	return taken;
}
