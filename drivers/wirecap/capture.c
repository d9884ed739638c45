// SPDX-License-Identifier: GPL-2.0
/*
 * CAPTURE: hand views to user space, now or later.
 *
 * A CAPTURE that finds FULL chunks completes at once. Otherwise it is
 * parked on queue->parked, kept in deadline order, with at most
 * WIRECAP_MAX_PARKED commands per queue (-EBUSY beyond: each parked
 * command holds an io_uring request, and the timer serves the expired
 * ones under the queue's lock, in softirq). The NIC's RX path completes the
 * earliest when a chunk fills (wirecap_capture_wake), the hrtimer each
 * one whose deadline passed (with partial views of whatever cells are
 * filled). Views are published into the descriptor ring, which lives in
 * kernel memory, so publishing works from any context; io_uring_cmd_done()
 * itself is only ever called from the submitter's task work, from the
 * issue path, or from io_uring's cancel call.
 *
 * A parked command is claimed exactly once: whoever moves it off
 * queue->parked under queue->lock (RX path, timer, cancel, detach) owns its
 * completion; pdu->res == WC_PARKED means nobody has yet. The pdu is
 * initialised before the command can be seen by anyone (io_uring's cancel
 * call included), so no path ever reads what an earlier request left in
 * that memory.
 */
#include <linux/hrtimer.h>
#include <linux/ktime.h>
#include <linux/poll.h>
#include <linux/sched/signal.h>

#include "wirecap.h"

#define WC_PARKED	S32_MIN		/* on queue->parked, unclaimed */
#define WC_ISSUING	(S32_MIN + 1)	/* not parked (yet): not cancelable */

struct wirecap_cmd_pdu {
	struct list_head node;	/* on queue->parked, then a done list */
	ktime_t deadline;
	u32 max;
	s32 res;		/* WC_PARKED while on queue->parked */
};

static struct wirecap_cmd_pdu *cmd_pdu(struct io_uring_cmd *cmd)
{
	BUILD_BUG_ON(sizeof(struct wirecap_cmd_pdu) > sizeof(cmd->pdu));
	return (struct wirecap_cmd_pdu *)cmd->pdu;
}

static struct io_uring_cmd *pdu_cmd(struct wirecap_cmd_pdu *pdu)
{
	return (struct io_uring_cmd *)((u8 *)pdu -
				       offsetof(struct io_uring_cmd, pdu));
}

WC_TW_FN(capture_tw)
{
	wc_cmd_done(cmd, cmd_pdu(cmd)->res, issue_flags);
}

/* Take a parked command off queue->parked: its completion is ours. */
static void unpark(struct wirecap_queue *q, struct wirecap_cmd_pdu *pdu,
		   s32 res)
{
	lockdep_assert_held(&q->lock);
	list_del_init(&pdu->node);
	q->nr_parked--;
	pdu->res = res;
}

/* Claim a parked command, to complete it with the others on @done. */
static void claim(struct wirecap_queue *q, struct wirecap_cmd_pdu *pdu,
		  s32 res, struct list_head *done)
{
	unpark(q, pdu, res);
	list_add_tail(&pdu->node, done);
}

static void complete_claimed(struct list_head *done)
{
	struct wirecap_cmd_pdu *pdu, *tmp;

	list_for_each_entry_safe(pdu, tmp, done, node) {
		list_del_init(&pdu->node);
		io_uring_cmd_complete_in_task(pdu_cmd(pdu), capture_tw);
	}
}

/* Park a command in deadline order; arm the timer for the earliest. */
static void park(struct wirecap_queue *q, struct wirecap_cmd_pdu *pdu)
{
	struct wirecap_cmd_pdu *pos;

	lockdep_assert_held(&q->lock);
	/* from the back: with equal timeouts that is where it goes */
	list_for_each_entry_reverse(pos, &q->parked, node)
		if (!ktime_before(pdu->deadline, pos->deadline))
			break;
	list_add(&pdu->node, &pos->node);
	q->nr_parked++;
	pdu->res = WC_PARKED;
	q->stats.captures_parked++;
	if (!hrtimer_is_queued(&q->timer) ||
	    ktime_before(pdu->deadline, hrtimer_get_expires(&q->timer)))
		hrtimer_start(&q->timer, pdu->deadline, HRTIMER_MODE_ABS_SOFT);
}

static enum hrtimer_restart capture_timer(struct hrtimer *t)
{
	struct wirecap_queue *q = container_of(t, struct wirecap_queue, timer);
	struct wirecap_cmd_pdu *pdu, *tmp;
	ktime_t now = ktime_get();
	bool more = true;
	LIST_HEAD(done);

	spin_lock(&q->lock);
	/* in deadline order: stop at the first that has time left */
	list_for_each_entry_safe(pdu, tmp, &q->parked, node) {
		s32 n = 0;

		if (ktime_after(pdu->deadline, now)) {
			hrtimer_start(t, pdu->deadline, HRTIMER_MODE_ABS_SOFT);
			break;
		}
		if (q->dead)
			n = -ENODEV;
		/* once one got nothing, nothing fills while we hold the lock */
		else if (more && q->pool)
			n = wirecap_publish(q, q->pool, pdu->max, true);
		more = n > 0;
		q->stats.capture_timeouts++;
		claim(q, pdu, n, &done);
	}
	spin_unlock(&q->lock);

	complete_claimed(&done);
	return HRTIMER_NORESTART;
}

void wirecap_capture_init(struct wirecap_queue *q)
{
	INIT_LIST_HEAD(&q->parked);
	init_waitqueue_head(&q->wait);
	init_waitqueue_head(&q->tx_wait);
	wc_hrtimer_setup(&q->timer, capture_timer, CLOCK_MONOTONIC,
			 HRTIMER_MODE_ABS_SOFT);
}

/* The NIC filled cells (and maybe chunks): serve parked commands, waiters. */
void wirecap_capture_wake(struct wirecap_queue *q, bool filled)
{
	struct wirecap_cmd_pdu *pdu;
	LIST_HEAD(done);

	if (filled) {
		spin_lock(&q->lock);
		while (!q->dead && q->pool && wirecap_has_full(q->pool) &&
		       !list_empty(&q->parked)) {
			u32 n;

			pdu = list_first_entry(&q->parked,
					       struct wirecap_cmd_pdu, node);
			n = wirecap_publish(q, q->pool, pdu->max, false);
			if (!n)		/* descriptor ring full */
				break;
			claim(q, pdu, n, &done);
		}
		spin_unlock(&q->lock);
		complete_claimed(&done);
	}
	if (wq_has_sleeper(&q->wait))
		wake_up_interruptible_poll(&q->wait, EPOLLIN | EPOLLRDNORM);
}

/*
 * Complete every parked command with @res and stop the timer (detach, a
 * failed ATTACH, NIC removal), once the pool (if any) was marked stopping
 * or the queue dead: nothing parks again.
 */
void wirecap_capture_flush(struct wirecap_queue *q, int res)
{
	struct wirecap_cmd_pdu *pdu, *tmp;
	LIST_HEAD(done);

	lockdep_assert_held(&q->ctl_lock);
	spin_lock_bh(&q->lock);
	list_for_each_entry_safe(pdu, tmp, &q->parked, node)
		claim(q, pdu, res, &done);
	spin_unlock_bh(&q->lock);
	hrtimer_cancel(&q->timer);
	complete_claimed(&done);
	wake_up_interruptible_all(&q->wait);
}

static int capture_check(const struct wirecap_capture_cmd *cc)
{
	if (cc->flags || !cc->max_descs)
		return -EINVAL;
	return 0;
}

/* The pool a CAPTURE through @wf may use now, or why not. */
static int capture_pool(const struct wirecap_file *wf,
			struct wirecap_pool **pp)
{
	struct wirecap_queue *q = wf->q;
	int ret;

	lockdep_assert_held(&q->lock);
	ret = wirecap_file_check(wf);
	if (ret)
		return ret;
	if (!q->pool)
		return -ENXIO;
	/* being detached: answered as the parked ones are */
	if (q->pool->stopping)
		return -ECANCELED;
	*pp = q->pool;
	return 0;
}

/*
 * What a CAPTURE gets without waiting: FULL chunks; with timeout 0 and no
 * full chunk, the filled cells of attached chunks.
 */
static int capture_now(const struct wirecap_file *wf,
		       const struct wirecap_capture_cmd *cc)
{
	struct wirecap_queue *q = wf->q;
	struct wirecap_pool *p;
	int ret;

	lockdep_assert_held(&q->lock);
	ret = capture_pool(wf, &p);
	if (ret)
		return ret;
	ret = wirecap_set_desc_head(q, p, cc->desc_head);
	if (ret)
		return ret;
	ret = wirecap_publish(q, p, cc->max_descs, false);
	if (!ret && !cc->timeout_us)
		ret = wirecap_publish(q, p, cc->max_descs, true);
	return ret;
}

/*
 * Before parking: nothing to publish now, and room among the parked.
 * 0: park it; else the command's result.
 */
static int capture_may_park(const struct wirecap_file *wf,
			    const struct wirecap_capture_cmd *cc)
{
	struct wirecap_queue *q = wf->q;
	struct wirecap_pool *p;
	int ret;

	lockdep_assert_held(&q->lock);
	ret = capture_pool(wf, &p);
	if (ret)
		return ret;
	ret = wirecap_publish(q, p, cc->max_descs, false);
	if (ret)
		return ret;
	return q->nr_parked < WIRECAP_MAX_PARKED ? 0 : -EBUSY;
}

static ktime_t capture_deadline(u32 timeout_us)
{
	u64 us = min_t(u64, timeout_us,
		       READ_ONCE(wirecap_max_timeout_ms) * 1000ULL);

	return ktime_add_us(ktime_get(), us);
}

int wirecap_capture_uring(struct wirecap_file *wf, struct io_uring_cmd *cmd,
			  unsigned int issue_flags)
{
	const struct wirecap_capture_cmd *ucc = wc_cmd_payload(cmd);
	struct wirecap_queue *q = wf->q;
	struct wirecap_cmd_pdu *pdu = cmd_pdu(cmd);
	struct wirecap_capture_cmd cc;
	int ret;

	/* the payload may sit in the user-writable SQ ring: read it once */
	cc.desc_head = READ_ONCE(ucc->desc_head);
	cc.max_descs = READ_ONCE(ucc->max_descs);
	cc.timeout_us = READ_ONCE(ucc->timeout_us);
	cc.flags = READ_ONCE(ucc->flags);
	ret = capture_check(&cc);
	if (ret)
		return ret;
	/* before anything, io_uring's cancel call included, can look at it */
	INIT_LIST_HEAD(&pdu->node);
	pdu->res = WC_ISSUING;
	pdu->max = cc.max_descs;
	pdu->deadline = capture_deadline(cc.timeout_us);

	spin_lock_bh(&q->lock);
	ret = capture_now(wf, &cc);
	if (!ret && cc.timeout_us)
		ret = capture_may_park(wf, &cc);
	if (ret || !cc.timeout_us)
		goto out_unlock;

	if (WC_CAN_CANCEL) {
		/* marking may take the ring's lock: not under ours */
		spin_unlock_bh(&q->lock);
		wc_cmd_mark_cancelable(cmd, issue_flags);
		spin_lock_bh(&q->lock);
		ret = capture_may_park(wf, &cc);
		if (ret) {
			/* once marked, the result goes through done */
			spin_unlock_bh(&q->lock);
			wc_cmd_done(cmd, ret, issue_flags);
			return -EIOCBQUEUED;
		}
	}
	park(q, pdu);
	ret = -EIOCBQUEUED;
out_unlock:
	spin_unlock_bh(&q->lock);
	return ret;
}

/* io_uring is tearing down the ring or the task (6.7+). */
void wirecap_capture_cancel(struct wirecap_queue *q, struct io_uring_cmd *cmd,
			    unsigned int issue_flags)
{
	struct wirecap_cmd_pdu *pdu = cmd_pdu(cmd);
	bool mine = false;

	spin_lock_bh(&q->lock);
	if (pdu->res == WC_PARKED) {
		unpark(q, pdu, -ECANCELED);
		mine = true;
	}
	spin_unlock_bh(&q->lock);
	/*
	 * Not parked: either still being issued (io_uring calls again until
	 * it completes) or claimed by someone whose task work completes it.
	 */
	if (mine)
		wc_cmd_done(cmd, -ECANCELED, issue_flags);
}

static bool capture_ready(const struct wirecap_file *wf)
{
	struct wirecap_queue *q = wf->q;
	bool ready;

	spin_lock_bh(&q->lock);
	ready = wirecap_file_check(wf) || !q->pool || q->pool->stopping ||
		wirecap_has_full(q->pool);
	spin_unlock_bh(&q->lock);
	return ready;
}

/* The same operation for programs without io_uring: sleeps. */
long wirecap_capture_ioctl(struct wirecap_file *wf,
			   const struct wirecap_capture_cmd *cc)
{
	struct wirecap_queue *q = wf->q;
	struct wirecap_pool *p;
	bool timed_out;
	u64 us;
	long ret;

	ret = capture_check(cc);
	if (ret)
		return ret;
	spin_lock_bh(&q->lock);
	ret = capture_now(wf, cc);
	if (!ret && cc->timeout_us)
		q->stats.captures_parked++;
	spin_unlock_bh(&q->lock);
	if (ret || !cc->timeout_us)
		return ret;

	us = min_t(u64, cc->timeout_us,
		   READ_ONCE(wirecap_max_timeout_ms) * 1000ULL);
	ret = wait_event_interruptible_hrtimeout(q->wait, capture_ready(wf),
						 ns_to_ktime(us * NSEC_PER_USEC));
	if (ret == -ERESTARTSYS)
		return ret;
	timed_out = ret == -ETIME;

	spin_lock_bh(&q->lock);
	ret = capture_pool(wf, &p);
	if (!ret) {
		if (timed_out)
			q->stats.capture_timeouts++;
		ret = wirecap_publish(q, p, cc->max_descs, timed_out);
	}
	spin_unlock_bh(&q->lock);
	return ret;
}
