// SPDX-License-Identifier: BSD-2-Clause
/*
 * The capture thread (paper §3.2.2a, Fig. 7a, basic mode): one per core,
 * many queues, one io_uring.
 *
 * Per queue it keeps one CAPTURE parked (timeout opts.timeout_us, so a
 * quiet queue still hands over its partial chunks in time). When one
 * completes, the descriptors the kernel published are moved from the
 * queue's descriptor ring into its capture queue (metadata only), and the
 * consumed head goes to the kernel with the next CAPTURE. Each round also
 * drains every recycle queue into a RECYCLE command; recycles, then
 * captures, leave in one submit. A CAPTURE never asks for more
 * descriptors than the capture queue has room for; when it has none, the
 * queue is "stalled": no CAPTURE until the application makes room (the
 * kernel's pool absorbs the burst meanwhile; what it cannot hold is the
 * kernel's capture_drops).
 *
 * Sleeping: with nothing completed and nothing to do, the thread waits in
 * io_uring_enter(). Completed CAPTUREs wake it; so does the application,
 * through an eventfd whose read is kept in the ring, when it releases a
 * chunk or makes room in a stalled capture queue while the thread sleeps
 * (wc_kick, wait.h). Nothing else polls.
 *
 * Views out: a queue never has more views of its pool out (in capture
 * queues, held by readers, in recycle queues) than a recycle lane holds
 * (views_max, queue.c); at that many, capture waits for a release, which
 * kicks this thread. A view a reader gave to XMIT (wirecap_xmit) is back
 * as far as this count goes when its record (pkt_count 0) comes through
 * the recycle queue, though the kernel has it until the NIC sent it.
 *
 * Stopping (wirecap_close): paused, the thread arms and moves nothing,
 * while the closer empties the capture queues into the recycle queues;
 * finishing, it sends every chunk back and DETACHes the queues whose
 * CAPTURE is parked, which completes it at once with -ECANCELED on every
 * kernel (close never waits for a CAPTURE timeout). A detached queue
 * (wirecap_queue_detach) is given back the same way, by detach_step().
 *
 * Why the eventfd (measured in the TCG test VM, selftests/lib_basic.c
 * recycle_prompt: release -> the kernel has the chunk back): with it,
 * 1.2-2.1 ms mean; with a 1 ms timed wait instead, 1.2-2.0 ms, but 1000
 * wake-ups a second per idle capture thread; with neither, until the
 * parked CAPTURE's timeout (480 ms mean with a 500 ms timeout). The floor
 * is the guest's own thread wake-up latency (a plain blocking eventfd
 * read: 2-5 ms there).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "internal.h"

#define WC_OP_WAKE	0x80	/* user_data op of the eventfd read */
#define WC_REAP_MAX	64
#define WC_SLEEP_US	1000000	/* safety net only: wakes are explicit */

static uint32_t roundup_pow2(uint32_t v)
{
	uint32_t p = 1;

	while (p < v)
		p <<= 1;
	return p;
}

static void queue_fail(struct wirecap_queue *q, int err)
{
	if (__atomic_load_n(&q->err, __ATOMIC_RELAXED))
		return;
	wc_log(q->w, WIRECAP_LOG_ERR, "%s-q%u: %s", q->nic->ifname,
	       q->info.ring_id, strerror(-err));
	/* release: the chunks pushed before are seen before the error */
	__atomic_store_n(&q->err, err, __ATOMIC_RELEASE);
	/* the error before the loads below; pairs with wirecap_event_fd() */
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	wc_wake_nofence(&q->waiter);
	wc_wake_nofence(&q->w->waiter);
	/* news for poll/epoll users too: they read the error next */
	wc_event_notify(q->w);
}

/*
 * How many more views of q's pool may go out: views_max (the size of a
 * recycle lane, queue.c) less those moved into capture queues and not
 * yet back from its recycle queue. Both counts are this thread's own.
 * When it is 0, capture waits for a release, which kicks this thread.
 */
static uint32_t views_left(const struct wirecap_queue *q)
{
	uint64_t out = q->ts.captured - q->ts.returned;

	return out >= q->views_max ? 0 : (uint32_t)(q->views_max - out);
}

/* A descriptor of this queue's pool, within its geometry. */
static bool desc_ok(const struct wirecap_queue *q, const struct wirecap_desc *d)
{
	return wc_owner(q->w, d) == q && d->chunk_id < q->info.nr_chunks &&
	       d->pkt_count && (uint32_t)d->first_cell + d->pkt_count <=
				       q->info.cells_per_chunk;
}

/*
 * Descriptor ring -> capture queues, as many as fit: each chunk to the
 * capture queue offload.c picks (its own, in basic mode), through this
 * thread's lane. The acquire load of desc_tail pairs with the kernel's
 * store-release after it wrote the descriptors (and, before them, the
 * cells' metadata).
 */
void wc_capture_move(struct wirecap_queue *q)
{
	uint32_t tail = __atomic_load_n(&q->hdr->desc_tail, __ATOMIC_ACQUIRE);
	uint32_t mask = q->info.desc_ring_size - 1;
	uint32_t n = tail - q->head, got, idx;
	unsigned int lane = q->thread->index;

	if (!n)
		return;
	if (n > q->info.desc_ring_size) {
		queue_fail(q, -EPROTO);
		return;
	}
	/* never more out than a recycle lane holds */
	n = wc_min_u32(n, views_left(q));
	for (got = 0; got < n; got++) {
		const struct wirecap_desc *d = &q->descs[(q->head + got) & mask];
		struct wirecap_queue *b;
		struct wc_ring *r;
		int pkts = d->pkt_count;

		if (!desc_ok(q, d)) {
			queue_fail(q, -EPROTO);
			break;
		}
		if (q->ft) {
			/* flow mode: to each reader of its packets */
			pkts = wc_flow_publish(q, d);
			if (pkts < 0)
				queue_fail(q, pkts);
			if (pkts <= 0)
				break;
			continue;
		}
		b = wc_offload_pick(q);
		if (!b)
			break;
		r = &b->capq.lane[lane].r;
		if (!wc_ring_reserve(r, 1, &idx))
			break;		/* not after pick said there is room */
		/*
		 * Frames across cells: which cells are packets, written
		 * before the submit below publishes the view (release) to
		 * its reader, ours or a buddy's.
		 */
		if (q->view_cell)
			pkts = wc_view_index(q, d);
		if (pkts < 0) {
			wc_ring_cancel(r, 1);
			queue_fail(q, pkts);
			break;
		}
		*(struct wirecap_desc *)wc_ring_slot(r, idx) = *d;
		wc_ring_submit(r, 1);
		if (b != q) {
			wc_add(&q->ts.offl_out, 1);
			wc_add(&q->ts.offl_out_pkts, pkts);
		}
		/* whoever waits for that queue */
		wc_wake(&b->waiter);
	}
	if (!got)
		return;
	q->head += got;
	wc_add(&q->ts.captured, got);
	/* whoever waits for any queue of the session, or polls for it */
	wc_wake_nofence(&q->w->waiter);
	wc_event_notify(q->w);
}

/* The lanes of this thread that q's chunks may go to. */
#define for_each_target(q, i, b)					\
	for ((i) = 0, (b) = (q); (b);					\
	     (b) = wc_grouped((q)->w) && (i) < (q)->nbuddies ?		\
		   (q)->w->queues[(q)->buddies[(i)++]] : NULL)

/*
 * Mark this thread's lanes in q's targets stalled (v = 1), or clear the
 * mark on those that have room again (v = 0): a full lane stays marked,
 * as another queue of this thread may be waiting for it. A buddy that may
 * not take chunks now (no spare time, failed) is not marked: its reader
 * would kick us on every chunk it takes, for room we would not use.
 */
static void set_stalled(struct wirecap_queue *q, uint32_t v)
{
	unsigned int lane = q->thread->index, i;
	struct wirecap_queue *b;

	for_each_target(q, i, b) {
		struct wc_lane *l = &b->capq.lane[lane];

		if (v && b != q && !wc_offload_target_ok(q, i - 1, b))
			continue;
		if (__atomic_load_n(&l->stalled, __ATOMIC_RELAXED) == v)
			continue;
		if (!v && !wc_ring_free(&l->r))
			continue;
		__atomic_store_n(&l->stalled, v, __ATOMIC_RELAXED);
	}
}

/*
 * Room for q's chunks (its own capture queue's lane and, in advanced
 * mode, its buddies'), announcing "stalled" on those lanes when there is
 * none: whoever makes room in one then wakes us.
 */
static uint32_t capq_room(struct wirecap_queue *q)
{
	uint32_t left = views_left(q), room;

	q->gated = false;
	if (!left) {
		/* as many views out as can come back: a release kicks us */
		wc_add(&q->ts.capq_full, 1);
		return 0;
	}
	/* the buddies' spare time for this round's room and picks */
	wc_offload_measure(q);
	room = wc_min_u32(wc_offload_room(q), left);
	if (room) {
		set_stalled(q, 0);
		return room;
	}
	set_stalled(q, 1);
	/* stalled before the re-check; pairs with the fence in take() */
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	room = wc_min_u32(wc_offload_room(q), left);
	if (room) {
		set_stalled(q, 0);
		return room;
	}
	wc_add(&q->ts.capq_full, 1);
	q->gated = wc_offload_gated(q);
	return 0;
}

static void capture_prep(struct wc_thread *t, struct wirecap_queue *q,
			 unsigned int tag)
{
	struct wirecap_capture_cmd cc = {
		.timeout_us = t->w->opts.timeout_us,
	};
	uint32_t room;

	if (q->armed || !wc_queue_live(q))
		return;
	wc_capture_move(q);		/* normally nothing is left over */
	room = capq_room(q);
	if (!room)
		return;
	cc.desc_head = q->head;
	cc.max_descs = wc_min_u32(wc_min_u32(t->w->opts.batch, room),
				  q->info.desc_ring_size);
	if (wirecap_uring_capture(&t->wu, q->slot, &cc, tag) == 0)
		q->armed = true;
}

/*
 * q was DETACHed: its chunks died with the pool, and what readers release
 * of them now only counts as back (views_left, and detach_step() waits
 * for all of them before it unmaps the pool they point into).
 */
static void drop_returns(struct wirecap_queue *q)
{
	uint32_t idx, n, k;

	for (k = 0; k < q->recq.nlanes; k++) {
		struct wc_ring *r = &q->recq.lane[k].r;

		if (!r->slots)
			continue;
		while ((n = wc_ring_peek(r, WC_RECYCLE_BATCH, &idx))) {
			wc_ring_release(r, n);
			wc_add(&q->ts.returned, n);
		}
	}
}

/*
 * Released chunks of q's pool, from every lane of its recycle queue (its
 * own readers' and, with offloading, its buddies'), go back in one
 * RECYCLE. A batch that found no SQE stays in rec_buf for the next round.
 * Views given to XMIT come through the same lanes, one record each
 * (wc_rec_xmitted): counted back like the others, never RECYCLEd.
 */
static void recycle_prep(struct wc_thread *t, struct wirecap_queue *q,
			 unsigned int tag)
{
	struct wirecap_recycle_cmd rc = { .descs = (uintptr_t)q->rec_buf };
	uint32_t idx, n, i, k;

	if (q->rec_busy || q->closed)
		return;
	if (q->k_detached) {
		drop_returns(q);
		return;
	}
	for (k = 0; k < q->recq.nlanes && q->rec_n < WC_RECYCLE_BATCH; k++) {
		struct wc_ring *r = &q->recq.lane[k].r;

		if (!r->slots)
			continue;
		n = wc_ring_peek(r, WC_RECYCLE_BATCH - q->rec_n, &idx);
		for (i = 0; i < n; i++) {
			const struct wirecap_desc *d = wc_ring_slot(r, idx + i);

			/* XMIT has it: back by itself, only counted */
			if (wc_rec_xmitted(d))
				wc_add(&q->ts.xmitted, 1);
			else
				q->rec_buf[q->rec_n++] = *d;
		}
		if (n) {
			wc_ring_release(r, n);
			wc_add(&q->ts.returned, n);
		}
	}
	if (!q->rec_n)
		return;
	rc.count = q->rec_n;
	if (wirecap_uring_recycle(&t->wu, q->slot, &rc, tag))
		return;			/* next round */
	q->rec_busy = true;
}

static int arm_wake(struct wc_thread *t)
{
	struct io_uring_sqe *sqe = wirecap_uring_sqe(&t->wu);

	if (!sqe)
		return -EBUSY;
	io_uring_prep_read(sqe, t->kick.efd, &t->efd_buf, sizeof(t->efd_buf),
			   0);
	sqe->user_data = WCU_UD(0, 0, WC_OP_WAKE);
	t->wake_armed = true;
	return 0;
}

/*
 * Complete the eventfd read before wirecap_uring_exit() unregisters the
 * queue files (on 6.1 a request in flight keeps that waiting).
 */
static void quiesce(struct wc_thread *t)
{
	struct io_uring_cqe cqe;
	uint64_t one = 1;
	int tries = 100;

	wirecap_uring_submit(&t->wu);
	while (t->wake_armed && tries--) {
		if (write(t->kick.efd, &one, sizeof(one)) < 0)
			break;
		while (wirecap_uring_reap(&t->wu, &cqe, 1, 10000) == 1)
			if (WCU_UD_OP(cqe.user_data) == WC_OP_WAKE)
				t->wake_armed = false;
	}
}

static void handle(struct wc_thread *t, const struct io_uring_cqe *cqe,
		   uint32_t stop)
{
	unsigned int op = WCU_UD_OP(cqe->user_data);
	unsigned int tag = (unsigned int)WCU_UD_TAG(cqe->user_data);
	struct wirecap_queue *q;

	if (op == WC_OP_WAKE) {
		t->wake_armed = false;
		if (stop != WC_FINISH && stop != WC_ABORT && arm_wake(t))
			wc_log(t->w, WIRECAP_LOG_ERR, "capture thread %u: "
			       "cannot re-arm its wake-up", t->index);
		return;
	}
	if (tag >= t->nq)
		return;
	q = t->queues[tag];
	if (op == WCU_OP_RECYCLE) {
		q->rec_busy = false;
		if (cqe->res >= 0) {
			wc_add(&q->ts.recycled, cqe->res);
			wc_add(&q->ts.refused, q->rec_n - cqe->res);
		} else {
			wc_add(&q->ts.refused, q->rec_n);
			queue_fail(q, cqe->res);
		}
		q->rec_n = 0;
		return;
	}
	if (op != WCU_OP_CAPTURE)
		return;
	q->armed = false;
	wc_add(&q->ts.captures, 1);
	if (cqe->res < 0) {
		/*
		 * Not a failure: cancelled by our own DETACH (closing), or
		 * anything after the application detached the queue, which
		 * nobody reads any more (detach_step() gives it back).
		 */
		if (__atomic_load_n(&q->detached, __ATOMIC_RELAXED) ||
		    q->k_detached || (stop && cqe->res == -ECANCELED))
			return;
		queue_fail(q, cqe->res);
		return;
	}
	if (__atomic_load_n(&q->detached, __ATOMIC_RELAXED))
		return;		/* left in the ring: detach_step() has it */
	/*
	 * Stopping: what it published stays in the descriptor ring, where
	 * finish() (or wirecap_close()) gives it back; the capture queues
	 * are being emptied.
	 */
	if (stop == WC_RUN)
		wc_capture_move(q);
}

/*
 * q was detached (wirecap_queue_detach): no capture thread moves chunks
 * into or out of it any more. Its own thread gives it back to the kernel:
 * once its RECYCLE in flight is done, what waits in its recycle queue and
 * in the descriptor ring goes back, and a DETACH cancels its parked
 * CAPTURE; the reader waiting in wirecap_queue_detach() is released
 * (k_detached). Readers of its buddies may still hold chunks of its
 * pool, which stays mapped until every one is back; then the device is
 * closed and the queue is free for others.
 */
static void detach_step(struct wc_thread *t, struct wirecap_queue *q)
{
	if (q->closed)
		return;
	if (!q->k_detached) {
		if (q->rec_busy)
			return;		/* its completion comes back here */
		wc_queue_recycle_all(q);
		ioctl(q->fd, WIRECAP_CMD_DETACH);
		/* release: pairs with the acquire in wirecap_queue_detach() */
		__atomic_store_n(&q->k_detached, 1, __ATOMIC_RELEASE);
	}
	drop_returns(q);
	if (q->armed || q->rec_busy || q->ts.captured != q->ts.returned)
		return;
	/* nothing of it in flight, nothing points into its pool */
	wirecap_uring_remove(&t->wu, q->slot);
	wc_queue_release_dev(q);
}

/* Does detach_step() have something to do for q? */
static bool detach_work(const struct wirecap_queue *q)
{
	if (!__atomic_load_n(&q->detached, __ATOMIC_RELAXED) || q->closed)
		return false;
	if (!q->k_detached)
		return !q->rec_busy;
	return !q->armed && !q->rec_busy && q->ts.captured == q->ts.returned;
}

/*
 * How long to sleep when nothing is to do: until a wake (the safety net
 * aside), unless a queue that captures waits for a buddy's spare time,
 * which nothing announces: then a window and a tick of the coarse clock
 * (10 ms at HZ=100: a window's span measured on it can come out a tick
 * short), and a new look (offload.c). A gated mark left on a queue that
 * no longer captures (failed, detached, paused) does not count.
 */
static unsigned int sleep_us(const struct wc_thread *t, uint32_t stop)
{
	unsigned int i;

	for (i = 0; stop == WC_RUN && i < t->nq; i++) {
		const struct wirecap_queue *q = t->queues[i];

		if (q->gated && !q->armed && wc_queue_live(q))
			return WC_SPARE_WINDOW_NS / 1000 + 10000;
	}
	return WC_SLEEP_US;
}

/* Anything to do before sleeping? (After wc_kick_prepare.) */
static bool has_work(struct wc_thread *t, uint32_t stop)
{
	unsigned int i;

	for (i = 0; i < t->nq; i++) {
		struct wirecap_queue *q = t->queues[i];

		if (q->closed)
			continue;
		if (!q->rec_busy && (q->rec_n || !wc_lanes_empty(&q->recq)))
			return true;
		if (stop == WC_RUN && !q->armed && wc_queue_live(q) &&
		    views_left(q) && wc_offload_room(q))
			return true;
		if (stop == WC_RUN && q->ft && wc_queue_live(q) &&
		    wc_flow_due(q))
			return true;
		if (stop == WC_RUN && detach_work(q))
			return true;
	}
	return false;
}

/* Reap and handle whatever completes within timeout_us. */
static int reap_some(struct wc_thread *t, unsigned int timeout_us,
		     uint32_t stop)
{
	struct io_uring_cqe cqes[WC_REAP_MAX];
	int n, i;

	n = wirecap_uring_reap(&t->wu, cqes, WC_REAP_MAX, timeout_us);
	for (i = 0; i < n; i++)
		handle(t, &cqes[i], stop);
	return n;
}

/*
 * WC_FINISH: everything of ours back to the kernel, then our parked
 * CAPTUREs cancelled at once instead of waiting for their timeouts: a
 * DETACH completes a queue's parked CAPTUREs with -ECANCELED on every
 * kernel (wirecap_close() DETACHes anyway, right after). The capture
 * queues were emptied into the recycle queues by wirecap_close() while
 * every thread was paused.
 */
static void finish(struct wc_thread *t)
{
	bool busy;
	unsigned int i;

	do {	/* RECYCLEs in flight use rec_buf: let them complete */
		wirecap_uring_submit(&t->wu);
		busy = false;
		for (i = 0; i < t->nq; i++)
			busy |= t->queues[i]->rec_busy;
		if (busy)
			reap_some(t, 10000, WC_FINISH);
	} while (busy);
	for (i = 0; i < t->nq; i++) {
		struct wirecap_queue *q = t->queues[i];

		if (q->closed || q->k_detached)
			continue;	/* given back when it was detached */
		/* what readers released and what was never moved */
		wc_queue_recycle_all(q);
		if (q->armed) {
			ioctl(q->fd, WIRECAP_CMD_DETACH);
			q->k_detached = 1;
		}
	}
	do {
		busy = false;
		for (i = 0; i < t->nq; i++)
			busy |= t->queues[i]->armed;
		if (busy)
			reap_some(t, 10000, WC_FINISH);
	} while (busy);
}

static void run(struct wc_thread *t)
{
	struct io_uring_cqe cqes[WC_REAP_MAX];

	for (;;) {
		/* acquire: pairs with the release in wirecap_close() */
		uint32_t stop = __atomic_load_n(&t->stop, __ATOMIC_ACQUIRE);
		unsigned int i, inflight = 0;
		int n, ret;

		/*
		 * A new round; the fence orders it before this round's looks
		 * at the queues' detached flags. Pairs with the fence in
		 * wirecap_queue_detach(): a detacher that saw the round before
		 * this one may rely on this one seeing its flag.
		 */
		__atomic_store_n(&t->epoch, t->epoch + 1, __ATOMIC_RELAXED);
		__atomic_thread_fence(__ATOMIC_SEQ_CST);
		if (stop == WC_FINISH) {
			finish(t);
			return;
		}
		/*
		 * Release: every descriptor this thread moved is in its
		 * capture queue before the closer, which waits for this,
		 * empties them; no move follows.
		 */
		if (stop == WC_PAUSE && !t->paused)
			__atomic_store_n(&t->paused, 1, __ATOMIC_RELEASE);
		/* recycles first: the chunks they free can be captured */
		for (i = 0; i < t->nq; i++)
			recycle_prep(t, t->queues[i], i);
		for (i = 0; i < t->nq; i++) {
			/*
			 * Flow mode: a migration goes on, or begins; or, the
			 * queue detached, what it held back is let go.
			 */
			if (stop == WC_RUN && t->queues[i]->ft &&
			    !t->queues[i]->closed &&
			    (wc_queue_live(t->queues[i]) ||
			     __atomic_load_n(&t->queues[i]->detached,
					     __ATOMIC_RELAXED)))
				wc_flow_tick(t->queues[i]);
			if (stop == WC_RUN)
				capture_prep(t, t->queues[i], i);
			inflight += t->queues[i]->armed + t->queues[i]->rec_busy;
		}
		for (i = 0; stop == WC_RUN && i < t->nq; i++)
			if (detach_work(t->queues[i]))
				detach_step(t, t->queues[i]);
		if (stop == WC_ABORT && !inflight)
			return;
		/* this round's commands out, and what completed in, at once */
		n = wirecap_uring_submit_reap(&t->wu, cqes, WC_REAP_MAX, &ret);
		if (ret) {
			wc_log(t->w, WIRECAP_LOG_ERR, "capture thread %u: "
			       "submit: %s", t->index, strerror(-ret));
			/* not a state the ring gets into; do not spin on it */
			if (n == 0) {
				usleep(1000);
				continue;
			}
		}
		if (n == 0) {
			wc_kick_prepare(&t->kick);
			if (!has_work(t, stop))
				n = wirecap_uring_reap(&t->wu, cqes,
						       WC_REAP_MAX,
						       sleep_us(t, stop));
			wc_kick_finish(&t->kick);
		}
		if (n < 0) {
			/* not a state the ring gets into; do not spin on it */
			wc_log(t->w, WIRECAP_LOG_ERR, "capture thread %u: "
			       "reap: %s", t->index, strerror(-n));
			usleep(1000);
			continue;
		}
		for (i = 0; i < (unsigned int)n; i++)
			handle(t, &cqes[i], stop);
	}
}

static void report(struct wc_thread *t, int ret)
{
	pthread_mutex_lock(&t->w->lock);
	t->init_ret = ret;
	pthread_cond_broadcast(&t->w->cond);
	pthread_mutex_unlock(&t->w->lock);
}

void *wc_capture_thread(void *arg)
{
	struct wc_thread *t = arg;
	unsigned int i;
	int ret;

	wc_numa_run_on(t->w->node);
	/* the ring belongs to this thread (SINGLE_ISSUER, DEFER_TASKRUN) */
	ret = wirecap_uring_init(&t->wu, roundup_pow2(2 * t->nq + 2), t->nq);
	if (ret) {
		report(t, ret);
		return NULL;
	}
	/* no other thread enters it: skip the fd lookup (5.18; else as is) */
	wirecap_uring_own(&t->wu);
	for (i = 0; i < t->nq && !ret; i++) {
		ret = wirecap_uring_add(&t->wu, t->queues[i]->fd);
		if (ret >= 0) {
			t->queues[i]->slot = ret;
			ret = 0;
		}
	}
	if (!ret)
		ret = arm_wake(t);
	if (!ret) {
		ret = wirecap_uring_submit(&t->wu);
		ret = ret < 0 ? ret : 0;
	}
	report(t, ret);
	if (!ret)
		run(t);
	quiesce(t);
	wirecap_uring_exit(&t->wu);
	return NULL;
}
