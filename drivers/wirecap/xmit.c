// SPDX-License-Identifier: GPL-2.0
/*
 * XMIT: cells of captured views go out of a NIC, zero copy (the uapi
 * header says what user space sees). A view named by XMIT is the kernel's
 * from then on; it returns to the pool, as RECYCLE would return it, once
 * the NIC is done with every cell of it that was sent.
 *
 * The reference count of such a view is p->view_tx[its first cell]: one
 * for the run of records that names it while an XMIT reads them, one per
 * cell at a NIC. Each of those references is also counted in
 * p->tx_inflight. A DETACH does not wait for them: the pool leaves the
 * queue (an orphan, see pool_unset() in queue.c) and the last reference
 * frees it.
 *
 * Nothing in a record is trusted: the view is checked as RECYCLE checks
 * it (wirecap_view_out()), then the cell and the length; each check
 * refuses a kind of bad record, and each has a test in selftests/xmit.c.
 * No WireCAP lock is held while the NIC's ->xmit runs, so the source and
 * the transmitting queue may be the same one, and two programs may
 * forward A to B and B to A.
 *
 * A transmit queue without room makes the ioctl XMIT wait (xmit_out()),
 * holding its cells' references and no lock: back-pressure, so that a
 * forwarder goes at the output's pace and its pool, not the output,
 * absorbs the difference. A transmit queue that takes nothing for
 * WIRECAP_XMIT_STALL_MS, a signal, a DETACH of the source, and
 * WIRECAP_XMIT_NOWAIT (always set through io_uring) make it drop.
 */
#include <linux/dma-mapping.h>
#include <linux/file.h>
#include <linux/if_vlan.h>
#include <linux/uaccess.h>

#include "wirecap.h"

#define XMIT_BATCH	8	/* records copied in at a time */

/* The run of consecutive records that name one view. */
struct xmit_run {
	struct wirecap_desc view;	/* as the records name it */
	struct wirecap_pool *pool;	/* while held */
	u32 cell;			/* its first cell, pool-wide */
	bool started;			/* view is set */
	bool held;			/* the view was out: the run holds it */
};

/*
 * Drop one reference to the view starting at @cell of @p (the queue's
 * pool, or an orphan). Returns true when the view went back and freed its
 * chunk. The last reference to an orphan sets *@gone instead: the caller
 * then frees it with wirecap_pool_free_later() once it has dropped the
 * queue's lock, and touches neither @p nor the queue after that (the pool
 * may hold the queue's last reference).
 */
static bool xmit_put(struct wirecap_queue *q, struct wirecap_pool *p,
		     u32 cell, bool *gone)
{
	lockdep_assert_held(&q->lock);
	if (WARN_ON_ONCE(!p->view_tx[cell] || !p->tx_inflight))
		return false;
	if (!--p->tx_inflight && p->orphan) {
		*gone = true;
		return false;
	}
	if (--p->view_tx[cell])
		return false;
	return wirecap_view_back(q, p, cell);
}

/* The run ends: its hold on the view goes. True when a chunk went FREE. */
static bool run_end(struct wirecap_queue *q, struct xmit_run *run,
		    bool *gone)
{
	lockdep_assert_held(&q->lock);
	if (!run->held)
		return false;
	run->held = false;
	return xmit_put(q, run->pool, run->cell, gone);
}

/*
 * Check one record. A record that starts a run (another view than the
 * run before) ends that run and takes its own view if user space holds
 * it. Returns true and fills @tx when the record's cell is to be sent;
 * sets *@freed when a chunk went FREE.
 */
static bool xmit_take(struct wirecap_queue *q, struct wirecap_pool *p,
		      struct xmit_run *run, const struct wirecap_xmit_rec *rec,
		      u32 max_len, struct wirecap_tx_cell *tx, bool *freed)
{
	const struct wirecap_desc *d = &rec->view;
	struct wirecap_cell *cell;
	u32 c, off;

	lockdep_assert_held(&q->lock);
	if (!run->started || memcmp(&run->view, d, sizeof(*d))) {
		bool gone = false;

		/* the file pins the queue, and its pool is q->pool: not gone */
		*freed |= run_end(q, run, &gone);
		WARN_ON_ONCE(gone);
		run->view = *d;
		run->started = true;
		if (wirecap_view_out(q, p, d)) {
			run->pool = p;
			run->cell = d->chunk_id * p->m + d->first_cell;
			p->view_tx[run->cell] = 1;
			p->tx_inflight++;
			run->held = true;
		}
	}
	/* the view is not user space's (the run's first record said so) */
	if (!run->held)
		goto refuse;
	/* unknown flags */
	if (rec->flags)
		goto refuse;
	/* a cell outside the view */
	if (rec->cell >= d->pkt_count)
		goto refuse;
	c = run->cell + rec->cell;
	cell = &p->cells[c];
	/* part of a frame longer than the cell: not a frame of its own */
	if (p->meta[c].flags & (WIRECAP_CELL_MORE | WIRECAP_CELL_CONT))
		goto refuse;
	/*
	 * shorter than an Ethernet header, more than the cell holds, or more
	 * than the output's MTU allows (with a VLAN tag)
	 */
	if (rec->len < WIRECAP_XMIT_MIN_LEN ||
	    rec->len > cell->size - q->frame_offset || rec->len > max_len)
		goto refuse;

	p->view_tx[run->cell]++;
	p->tx_inflight++;
	tx->page = wirecap_cell_page(p, c, &off);
	off += q->frame_offset;
	tx->ref.src = q;
	tx->ref.pool = p;
	tx->ref.token = run->cell;
	tx->len = rec->len;
	tx->addr = cell->addr + q->frame_offset;
	tx->offset = off;
	tx->dma = p->page_dma ? cell->dma + q->frame_offset : 0;
	tx->dma_dev = p->dma_dev;
	return true;

refuse:
	q->stats.xmit_refused++;
	return false;
}

/*
 * The transmitting queue's NIC, if it still has one and @twf (its file)
 * is still that queue's. Under RCU: wirecap_nic_unregister() waits for
 * its readers before it frees the NIC.
 */
static struct wirecap_nic *xmit_nic(struct wirecap_queue *txq,
				    const struct wirecap_file *twf)
{
	struct wirecap_nic *nic = NULL;

	spin_lock(&txq->lock);
	if (!txq->dead && !wirecap_file_check(twf))
		nic = txq->nic;
	spin_unlock(&txq->lock);
	return nic;
}

/*
 * One try: hand @n cells to the transmitting queue's NIC. Returns how
 * many it took (a prefix), or -ENODEV when it is gone.
 */
static int xmit_try(struct wirecap_queue *txq, const struct wirecap_file *twf,
		    const struct wirecap_tx_cell *tx, unsigned int n)
{
	struct wirecap_nic *nic;
	unsigned int k = 0;

	rcu_read_lock();
	local_bh_disable();
	nic = xmit_nic(txq, twf);
	if (nic)
		k = nic->cfg.ops->xmit(nic, txq->ring_id, tx, n);
	local_bh_enable();
	rcu_read_unlock();
	if (!nic)
		return -ENODEV;
	return WARN_ON_ONCE(k > n) ? n : k;
}

/* Naps without progress, at least, before a transmit queue is stuck. */
#define XMIT_STALL_NAPS	10

/*
 * Hand @n cells to the transmitting queue's NIC, waiting for room while
 * *@wait (back-pressure, see the uapi header): between tries, until one
 * of @q's cells at a NIC comes back (wirecap_tx_done() wakes q->tx_wait)
 * or a jiffy passes, as the transmit queue may be full of others' frames.
 * The transmit queue is stuck once it took nothing for
 * WIRECAP_XMIT_STALL_MS and XMIT_STALL_NAPS naps (time alone may jump
 * when a virtual machine's CPU was not run). That, a signal, or the
 * pool's DETACH clear *@wait for the rest of the call. What is not taken
 * is dropped (counted: xmit_dropped, also when the NIC went away
 * meanwhile) and its views' references go. Returns how many it took.
 */
static int xmit_out(struct wirecap_queue *q, struct wirecap_queue *txq,
		    const struct wirecap_file *twf,
		    const struct wirecap_tx_cell *tx, unsigned int n,
		    bool *wait)
{
	struct wirecap_pool *p = tx[0].ref.pool;	/* the same for all */
	const unsigned long grace = msecs_to_jiffies(WIRECAP_XMIT_STALL_MS);
	unsigned long stall = jiffies + grace;
	bool freed = false, gone = false;
	unsigned int k = 0, counted = 0, naps = 0, i;
	int t = 0;

	if (p->page_dma)
		for (i = 0; i < n; i++)
			dma_sync_single_for_device(p->dma_dev, tx[i].dma,
						   tx[i].len,
						   DMA_BIDIRECTIONAL);
	for (;;) {
		/* before the try: a completion after it is not missed */
		u64 back = READ_ONCE(q->stats.xmit_completed);

		t = xmit_try(txq, twf, tx + k, n - k);
		if (t < 0)
			break;
		if (t) {
			stall = jiffies + grace;
			naps = 0;
		}
		k += t;
		if (k == n || !*wait)
			break;
		/*
		 * Stop waiting: the output is stuck, a signal came (a real
		 * one: io_uring's task work, TIF_NOTIFY_SIGNAL, is not), or
		 * the pool is leaving its queue (a DETACH, the NIC's removal:
		 * nothing more of it goes out).
		 */
		if ((time_after(jiffies, stall) && naps >= XMIT_STALL_NAPS) ||
		    task_sigpending(current) || READ_ONCE(p->stopping)) {
			*wait = false;
			break;
		}
		if (k > counted) {
			/* counted before the wait: they may come back in it */
			spin_lock_bh(&q->lock);
			q->stats.xmit_sent += k - counted;
			spin_unlock_bh(&q->lock);
			counted = k;
		}
		/* not interruptible (a pending task work would make it spin),
		 * not counted as load: a signal is seen a jiffy later at most
		 */
		wait_event_idle_timeout(q->tx_wait,
				READ_ONCE(q->stats.xmit_completed) != back, 1);
		naps++;
	}

	spin_lock_bh(&q->lock);
	q->stats.xmit_sent += k - counted;
	q->stats.xmit_dropped += n - k;
	for (i = k; i < n; i++)
		freed |= xmit_put(q, p, tx[i].ref.token, &gone);
	if (freed && !gone && q->pool == p)
		wirecap_chunks_freed(q, p);
	spin_unlock_bh(&q->lock);
	if (gone)		/* the file pins the queue */
		wirecap_pool_free_later(p);
	return t < 0 && !k ? t : (int)k;
}

/* The output's largest frame, or 0 when its NIC is gone. */
static u32 xmit_max_len(struct wirecap_queue *txq,
			const struct wirecap_file *twf)
{
	struct wirecap_nic *nic;
	u32 max = 0;

	rcu_read_lock();
	local_bh_disable();
	nic = xmit_nic(txq, twf);
	if (nic)
		max = READ_ONCE(nic->cfg.netdev->mtu) + VLAN_ETH_HLEN;
	local_bh_enable();
	rcu_read_unlock();
	return max;
}

/*
 * The queue to send out of: @fd's (an open WireCAP queue, held in *@txf
 * until the caller puts it), or with -1 the source queue itself. Its
 * file, *@twf, must stay that queue's (no move to another namespace).
 */
static int xmit_target(struct wirecap_file *wf, int fd, struct file **txf,
		       struct wirecap_queue **txq,
		       const struct wirecap_file **twf)
{
	struct file *f;

	*txf = NULL;
	*twf = wf;
	*txq = wf->q;
	if (fd != -1) {
		f = fget(fd);
		if (!f)
			return -EBADF;
		*txf = f;
		if (f->f_op != &wirecap_fops)
			return -ENOTTY;
		*twf = f->private_data;
		*txq = (*twf)->q;
	}
	if (!((*txq)->features & WIRECAP_F_XMIT))
		return -EOPNOTSUPP;
	return 0;
}

/**
 * wirecap_xmit() - WIRECAP_CMD_XMIT, from an ioctl or io_uring
 * @wf: the file of the queue whose views are sent
 * @xc: the command, copied in
 *
 * Sleeps while the transmit queue has no room, unless @xc says
 * WIRECAP_XMIT_NOWAIT (io_uring's commands always do): process context.
 *
 * Return: the number of records sent, or -errno when none was. On an
 * error met after records were read (-EFAULT, -ECANCELED, -ENXIO), the
 * views they named are the kernel's, as when they are sent.
 */
long wirecap_xmit(struct wirecap_file *wf, const struct wirecap_xmit_cmd *xc)
{
	const struct wirecap_xmit_rec __user *ur = u64_to_user_ptr(xc->recs);
	struct wirecap_queue *q = wf->q, *txq;
	struct wirecap_xmit_rec batch[XMIT_BATCH];
	struct wirecap_tx_cell tx[XMIT_BATCH];
	const struct wirecap_file *twf;
	bool wait = !(xc->flags & WIRECAP_XMIT_NOWAIT);
	struct xmit_run run = {};
	u32 done = 0, sent = 0, max_len = 0;
	struct file *txf;
	int ret;

	if (xc->flags & ~WIRECAP_XMIT_NOWAIT || xc->count > WIRECAP_XMIT_MAX)
		return -EINVAL;
	ret = xmit_target(wf, xc->tx_fd, &txf, &txq, &twf);
	if (!ret) {
		/* gone already: no view is taken */
		max_len = xmit_max_len(txq, twf);
		if (!max_len)
			ret = -ENODEV;
	}

	while (!ret && done < xc->count) {
		u32 n = min_t(u32, xc->count - done, XMIT_BATCH);
		struct wirecap_pool *p;
		bool freed = false;
		u32 i, k = 0;

		if (copy_from_user(batch, ur + done, n * sizeof(*batch))) {
			ret = -EFAULT;
			break;
		}
		spin_lock_bh(&q->lock);
		p = q->pool;
		/* a run goes on in the pool it started in, or not at all */
		ret = wirecap_file_check(wf) ?: !p ? -ENXIO :
			p->stopping || (run.held && run.pool != p) ?
			-ECANCELED : 0;
		if (!ret) {
			for (i = 0; i < n; i++)
				if (xmit_take(q, p, &run, &batch[i], max_len,
					      &tx[k], &freed))
					k++;
			if (freed)
				wirecap_chunks_freed(q, p);
		}
		spin_unlock_bh(&q->lock);
		if (ret)
			break;
		if (k) {
			int s = xmit_out(q, txq, twf, tx, k, &wait);

			if (s < 0)
				ret = s;	/* the output went away */
			else
				sent += s;
		}
		done += n;
	}

	if (run.held) {
		bool gone = false;

		spin_lock_bh(&q->lock);
		if (run_end(q, &run, &gone) && !gone && q->pool == run.pool)
			wirecap_chunks_freed(q, run.pool);
		spin_unlock_bh(&q->lock);
		if (gone)	/* a DETACH came meanwhile; the file pins q */
			wirecap_pool_free_later(run.pool);
	}
	if (txf)
		fput(txf);
	return sent ? (long)sent : ret;
}

/**
 * wirecap_tx_done() - a NIC is done with a cell XMIT gave it
 * @ref: wirecap_tx_cell.ref, as the NIC kept it
 *
 * Sent or not, the cell goes back; its view returns to the pool with the
 * last of its cells, and a pool detached meanwhile is freed with it. In
 * process or softirq context, interrupts enabled.
 */
void wirecap_tx_done(const struct wirecap_tx_ref *ref)
{
	struct wirecap_queue *q = ref->src;
	struct wirecap_pool *p = ref->pool;
	bool gone = false;

	spin_lock_bh(&q->lock);
	if (!WARN_ON_ONCE(ref->token >= p->r * p->m)) {
		q->stats.xmit_completed++;
		if (xmit_put(q, p, ref->token, &gone) && !gone &&
		    q->pool == p)
			wirecap_chunks_freed(q, p);
	}
	/*
	 * An XMIT may wait for room (xmit_out()). Under the lock: once it
	 * is dropped, nothing here holds q (the pool, which does, may go).
	 */
	if (wq_has_sleeper(&q->tx_wait))
		wake_up(&q->tx_wait);
	spin_unlock_bh(&q->lock);
	/* last: the pool may hold the queue's last reference */
	if (gone)
		wirecap_pool_free_later(p);
}
EXPORT_SYMBOL_GPL(wirecap_tx_done);
