// SPDX-License-Identifier: BSD-2-Clause
/*
 * The application's side of the work-queue pair: take chunks from the
 * capture queue, read their packets in place, put them on the recycle
 * queue. Runs in the application's thread; never a system call on the
 * fast path (only to sleep when there is nothing, and to wake a capture
 * thread that sleeps).
 *
 * Waiting: spin WC_SPIN_NS re-checking the capture queue, then sleep on
 * the queue's futex; the capture thread wakes sleepers after it pushes,
 * wirecap_shutdown() and wirecap_interrupt() wake them too (wait.h).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <sched.h>
#include <time.h>
#include <unistd.h>

#include "internal.h"

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

/*
 * The readers' idle time, which buddies' capture threads read as this
 * queue's spare capacity (offload.c): from a look that found the capture
 * queue empty to the next chunk taken, however the reader spent it
 * (sleeping in wait_chunk, polling with a zero timeout, reading other
 * queues). idle_since: when the idle spell began, 0: none. The first
 * reader of a shared queue to find it empty begins the spell (the CAS),
 * the one that takes the next chunk ends it, under the reader lock.
 */
static void idle_begin(struct wirecap_queue *q)
{
	uint64_t none = 0;

	if (__atomic_load_n(&q->idle_since, __ATOMIC_RELAXED))
		return;
	__atomic_compare_exchange_n(&q->idle_since, &none, wc_coarse_ns(),
				    false, __ATOMIC_RELAXED, __ATOMIC_RELAXED);
}

/*
 * The spell's time into the total first, then the spell gone (release):
 * a capture thread that sees no spell (acquire) sees it in the total,
 * and one that reads both in between counts it twice, never not at all.
 * Inside the reader lock: idle_begin() cannot start a spell before this
 * one is gone (idle_since is not 0), and two ends never meet.
 */
static void idle_end(struct wirecap_queue *q)
{
	uint64_t t0 = __atomic_load_n(&q->idle_since, __ATOMIC_RELAXED);
	uint64_t now;

	if (!t0)
		return;
	now = wc_coarse_ns();
	if (now > t0)
		__atomic_store_n(&q->idle_ns, now - t0 +
				 __atomic_load_n(&q->idle_ns, __ATOMIC_RELAXED),
				 __ATOMIC_RELAXED);
	__atomic_store_n(&q->idle_since, 0, __ATOMIC_RELEASE);
}

static inline void reader_lock(struct wirecap_queue *q)
{
	if (q->shared)
		pthread_spin_lock(&q->lock);
}

static inline void reader_unlock(struct wirecap_queue *q)
{
	if (q->shared)
		pthread_spin_unlock(&q->lock);
}

/* The views[] word of c's view: its first cell (capture.c checked it). */
static inline size_t view_index(const struct wirecap_chunk *c)
{
	return (size_t)c->desc.chunk_id * c->owner->info.cells_per_chunk +
	       c->desc.first_cell;
}

/*
 * The packets of chunk c its reader reads: the view's, or in flow mode
 * the reader's share of them (flow.c).
 */
static inline unsigned int chunk_count(const struct wirecap_chunk *c)
{
	if (c->owner->ft)
		return wc_flow_count(c->owner, &c->desc,
				     wc_flow_pos(c->owner, c->queue));
	return wc_view_count(c->owner, &c->desc);
}

/* The view's packet index of c's packet i < chunk_count(c). */
static inline unsigned int chunk_index(const struct wirecap_chunk *c,
				       unsigned int i)
{
	if (c->owner->ft)
		return wc_flow_pkt(c->owner, &c->desc,
				   wc_flow_pos(c->owner, c->queue), i);
	return i;
}

/* One chunk from the capture queue (any lane) into *c, or 0. */
static int take(struct wirecap_queue *q, struct wirecap_chunk *c)
{
	struct wc_lane *lane;
	uint32_t idx, n;

	reader_lock(q);
	lane = wc_lanes_peek(&q->capq, &q->capq_next, &idx);
	if (!lane) {
		reader_unlock(q);
		return 0;
	}
	c->desc = *(const struct wirecap_desc *)wc_ring_slot(&lane->r, idx);
	/* its descriptor says whose chunk it is (capture.c checked it) */
	c->owner = wc_owner(q->w, &c->desc);
	c->queue = q;
	/* before the slot goes: a migration splits no view under us */
	if (c->owner->ft)
		wc_flow_took(c->owner, q, &c->desc);
	wc_ring_release(&lane->r, 1);
	/*
	 * Out with us now, with this stamp (see views in internal.h); in
	 * flow mode the capture thread stamped it with all its holders.
	 */
	if (!c->owner->ft)
		__atomic_store_n(&c->owner->views[view_index(c)],
				 c->desc.seq, __ATOMIC_RELAXED);
	n = chunk_count(c);
	wc_add(&q->as.delivered, 1);
	wc_add(&q->as.pkts, n);
	if (c->owner != q) {
		wc_add(&q->as.offl_in, 1);
		wc_add(&q->as.offl_in_pkts, n);
	}
	idle_end(q);
	reader_unlock(q);
	/*
	 * The capture thread of the lane stops capturing while the lane is
	 * full (stalled) and sleeps: room again is work for it. The fence
	 * orders our release before the load of stalled; pairs with the
	 * fence after the thread sets stalled (capture.c).
	 */
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	if (__atomic_load_n(&lane->stalled, __ATOMIC_RELAXED))
		wc_kick(&q->w->threads[lane - q->capq.lane].kick);
	return 1;
}

/* Nothing there: the queue's error, once everything before it is read. */
static int queue_error(struct wirecap_queue *q, struct wirecap_chunk *c)
{
	/* acquire: pairs with the thread's release after its last push */
	int err = __atomic_load_n(&q->err, __ATOMIC_ACQUIRE);

	if (!err)
		return 0;
	return take(q, c) ? 1 : err;
}

/*
 * Sleep until a chunk comes (1, into *c), the queue fails (its error,
 * once everything before it is read), the session is shut down
 * (-ESHUTDOWN), wirecap_interrupt() or a signal handler runs (-EINTR),
 * or timeout_ms (< 0: never) passes (0).
 */
static int wait_chunk(struct wirecap_queue *q, struct wirecap_chunk *c,
		      int timeout_ms)
{
	struct timespec deadline;
	uint64_t spin_end;
	uint32_t gen;
	int ret;

	ret = queue_error(q, c);
	if (ret || !timeout_ms)
		return ret;
	/* interrupts from here on end this wait (also while it spins) */
	gen = wc_intr_gen(&q->waiter);
	/* a chunk often arrives within microseconds: spin first */
	spin_end = now_ns() + WC_SPIN_NS;
	do {
		ret = wc_session_state(q->w);
		if (ret)
			return ret;
		for (int i = 0; i < 64; i++) {
			if (take(q, c))
				return 1;
			wc_cpu_relax();
		}
	} while (now_ns() < spin_end);

	/* forever is a far deadline: then any signal handler ends the wait */
	wc_deadline(&deadline, timeout_ms);
	wc_wait_enter(&q->waiter);
	for (;;) {
		uint32_t seq = wc_wait_seq(&q->waiter);

		ret = wc_session_state(q->w);
		if (!ret)
			ret = take(q, c);
		if (!ret)
			ret = queue_error(q, c);
		if (!ret && wc_wait_interrupted(&q->waiter, gen))
			ret = -EINTR;
		if (ret)
			break;
		/* several readers of a shared queue sleep outside its lock */
		if (q->shared)
			__atomic_fetch_add(&q->as.sleeps, 1, __ATOMIC_RELAXED);
		else
			wc_add(&q->as.sleeps, 1);
		ret = wc_wait_sleep(&q->waiter, seq, &deadline);
		if (ret == -ETIMEDOUT && timeout_ms > 0) {
			ret = take(q, c);
			break;
		}
		if (ret == -ETIMEDOUT)		/* forever: another year */
			wc_deadline(&deadline, timeout_ms);
		if (ret == -EINTR) {
			/* the handler may have shut the session down */
			ret = wc_session_state(q->w) ?: -EINTR;
			break;
		}
	}
	wc_wait_leave(&q->waiter);
	return ret;
}

/* wirecap_next_chunk(), counted in q's in_call by the caller */
static int next_chunk(struct wirecap_queue *q, struct wirecap_chunk *c,
		      int timeout_ms)
{
	int ret = wc_session_state(q->w);

	if (ret)
		return ret;
	if (__atomic_load_n(&q->detached, __ATOMIC_RELAXED))
		return -ESHUTDOWN;
	if (q->cur.owner)
		return -EBUSY;
	if (take(q, c))
		return 1;
	idle_begin(q);
	if (!timeout_ms)
		return queue_error(q, c);
	return wait_chunk(q, c, timeout_ms);
}

WC_EXPORT
int wirecap_next_chunk(struct wirecap_queue *q, struct wirecap_chunk *c,
		       int timeout_ms)
{
	int ret;

	if (!q || !c)
		return -EINVAL;
	/*
	 * From before our first look at the session to after our last,
	 * wirecap_close() waits for us: either we see its shutdown, or it
	 * sees us (wait.h), and it frees nothing before we left.
	 */
	wc_call_enter(&q->in_call);
	ret = next_chunk(q, c, timeout_ms);
	wc_call_leave(&q->in_call);
	return ret;
}

/**
 * wc_view_index() - index the packets of a view of q's pool
 * @q: the view's queue (its pool's), with frames across cells
 *     (view_cell and view_pkts allocated)
 * @d: the view, as the kernel published it, within q's geometry
 *     (capture.c's desc_ok)
 *
 * Frames across cells (uapi FRAMES ACROSS CELLS): a cell that is not
 * WIRECAP_CELL_CONT starts a packet (an ERROR cell too: one packet of
 * len 0); CONT cells, the ones a frame of this view fills after its
 * first and the ones at a view's start that hold the rest of another
 * chunk's frame (hash 0), are skipped. Writes the view's packets into
 * q->view_cell and q->view_pkts (see internal.h). Called by q's capture
 * thread before it publishes the view to a reader; the host tests call
 * it directly.
 *
 * Return: the number of packets, or -EPROTO when a frame would run past
 * its chunk (its cells and spill area: a kernel that broke the contract;
 * nothing of the view may be read).
 */
int wc_view_index(struct wirecap_queue *q, const struct wirecap_desc *d)
{
	size_t v = (size_t)d->chunk_id * q->info.cells_per_chunk +
		   d->first_cell;
	const struct wirecap_cell_meta *m = &q->meta[v];
	uint64_t room = q->chunk_bytes - q->info.frame_offset;
	unsigned int i, n = 0;

	for (i = 0; i < d->pkt_count; i++) {
		if (m[i].flags & WIRECAP_CELL_CONT)
			continue;
		/* the frame from this cell on, into the spill area at most */
		if ((uint64_t)(d->first_cell + i) * q->info.cell_size +
		    m[i].len > room)
			return -EPROTO;
		q->view_cell[v + n++] = (uint16_t)i;
	}
	q->view_pkts[v] = (uint16_t)n;
	return (int)n;
}

WC_EXPORT
unsigned int wirecap_chunk_count(const struct wirecap_chunk *c)
{
	return c && c->owner ? chunk_count(c) : 0;
}

static inline void fill_pkt(const struct wirecap_queue *q,
			    const struct wirecap_desc *d, unsigned int i,
			    struct wirecap_pkt *p)
{
	unsigned int c = wc_view_cell(q, d, i);
	const struct wirecap_cell_meta *m =
		&q->meta[(size_t)d->chunk_id * q->info.cells_per_chunk + c];

	/* a frame across cells goes on in place after its first cell */
	p->data = q->pool + d->chunk_id * q->chunk_bytes +
		  (size_t)c * q->info.cell_size + q->info.frame_offset;
	p->len = m->len;
	p->queue = q->info.ring_id;
	p->ts_ns = m->ts_ns;
	p->hash = m->hash;
	p->flags = (m->flags & WIRECAP_CELL_HASH) ? WIRECAP_PKT_HASH : 0;
}

WC_EXPORT
int wirecap_chunk_pkt(const struct wirecap_chunk *c, unsigned int i,
		      struct wirecap_pkt *p)
{
	if (!c || !c->owner || !p || i >= chunk_count(c))
		return -EINVAL;
	fill_pkt(c->owner, &c->desc, chunk_index(c, i), p);
	return 0;
}

/*
 * Take c from its reader for good: c is released (owner NULL) whatever
 * happens, and its view is the caller's to give back, once. Returns the
 * view's owner, or NULL when there is nothing to give back: c was not
 * held, or its view went back already (a copy released after the chunk,
 * or an old copy of a view handed out again since, finds no stamp of its
 * own in views[]: counted in dup_releases of the queue it was read from).
 */
struct wirecap_queue *wc_chunk_claim(struct wirecap_chunk *c)
{
	struct wirecap_queue *q = c ? c->owner : NULL;
	uint32_t seq;
	size_t v;

	if (!q)
		return NULL;
	v = view_index(c);
	c->owner = NULL;
	if (q->ft) {
		bool dup;

		/*
		 * Flow mode: the last of the view's holders gives it back
		 * (counted there); the others' releases are counted here.
		 */
		if (wc_flow_put(q, c->queue, &c->desc, &dup))
			return q;
		reader_lock(c->queue);
		wc_add(dup ? &c->queue->as.dup_releases :
			     &c->queue->as.released, 1);
		reader_unlock(c->queue);
		return NULL;
	}
	seq = c->desc.seq;
	/*
	 * Relaxed: the word only decides who gives the view back; the
	 * record itself is ordered by the ring.
	 */
	if (v < (size_t)q->info.nr_chunks * q->info.cells_per_chunk &&
	    __atomic_compare_exchange_n(&q->views[v], &seq, seq ^ WC_VIEW_DEAD,
					false, __ATOMIC_RELAXED,
					__ATOMIC_RELAXED))
		return q;
	reader_lock(c->queue);
	wc_add(&c->queue->as.dup_releases, 1);
	reader_unlock(c->queue);
	return NULL;
}

/*
 * A view claimed from a chunk read through queue via goes to its owner's
 * recycle queue, in via's lane (whose single producer is via's reader,
 * the caller): d as the kernel published it (released: counted in
 * via's chunks_released), or with pkt_count 0 when XMIT took the view
 * (wc_rec_xmitted: only counted back).
 */
void wc_chunk_return(struct wirecap_queue *owner, struct wirecap_queue *via,
		     const struct wirecap_desc *d, bool released)
{
	struct wc_ring *r = &owner->recq.lane[via->index].r;
	uint32_t idx;

	reader_lock(via);
	/*
	 * Never full: the owner's capture thread lets no more views out
	 * than a lane holds (views_max, capture.c), and each comes back
	 * once (wc_chunk_claim). Should it be, wait for the thread to
	 * drain it.
	 */
	while (!wc_ring_reserve(r, 1, &idx)) {
		if (!__atomic_load_n(&owner->w->started, __ATOMIC_ACQUIRE)) {
			reader_unlock(via);
			return;		/* no thread: close will DETACH */
		}
		wc_kick(&owner->thread->kick);
		sched_yield();
	}
	*(struct wirecap_desc *)wc_ring_slot(r, idx) = *d;
	wc_ring_submit(r, 1);
	if (released)
		wc_add(&via->as.released, 1);
	reader_unlock(via);
	/* work for the owner's capture thread: wake it if it sleeps */
	wc_kick(&owner->thread->kick);
}

/*
 * To the owner's recycle queue, in the lane of the queue it was read from
 * (whose single reader is the caller). Once per view (wc_chunk_claim).
 */
WC_EXPORT
void wirecap_chunk_release(struct wirecap_chunk *c)
{
	struct wirecap_queue *owner = wc_chunk_claim(c);

	if (owner)
		wc_chunk_return(owner, c->queue, &c->desc, true);
}

/* wirecap_dispatch(), counted in q's in_call by the caller */
static int dispatch(struct wirecap_queue *q, int max_pkts,
		    void (*cb)(void *user, const struct wirecap_pkt *pkt),
		    void *user, int timeout_ms)
{
	struct wirecap_pkt p;
	uint32_t chunks;
	int done = 0, ret;

	ret = wc_session_state(q->w);
	if (ret)
		return ret;
	if (__atomic_load_n(&q->detached, __ATOMIC_RELAXED))
		return -ESHUTDOWN;
	if (!q->cur.owner) {
		ret = take(q, &q->cur);
		if (!ret) {
			idle_begin(q);
			ret = wait_chunk(q, &q->cur, timeout_ms);
		}
		if (ret <= 0)
			return ret;
		q->cur_next = 0;
	}
	/* max_pkts <= 0: what is there now, not what keeps coming */
	chunks = wc_lanes_count(&q->capq);
	for (;;) {
		unsigned int n = chunk_count(&q->cur);

		while (q->cur_next < n && (max_pkts <= 0 || done < max_pkts)) {
			fill_pkt(q->cur.owner, &q->cur.desc,
				 chunk_index(&q->cur, q->cur_next++), &p);
			cb(user, &p);
			done++;
		}
		if (q->cur_next == n)
			wirecap_chunk_release(&q->cur);
		if (max_pkts > 0 ? done >= max_pkts : !chunks--)
			break;
		/* shut down: no more chunks (wirecap_close waits for us) */
		if (!q->cur.owner &&
		    (wc_session_state(q->w) || !take(q, &q->cur)))
			break;
		q->cur_next = 0;
	}
	return done;
}

WC_EXPORT
int wirecap_dispatch(struct wirecap_queue *q, int max_pkts,
		     void (*cb)(void *user, const struct wirecap_pkt *pkt),
		     void *user, int timeout_ms)
{
	int ret;

	if (!q || !cb || q->shared)
		return -EINVAL;
	/*
	 * As in wirecap_next_chunk(), callbacks included: the packets are
	 * in the pool wirecap_close() unmaps.
	 */
	wc_call_enter(&q->in_call);
	ret = dispatch(q, max_pkts, cb, user, timeout_ms);
	wc_call_leave(&q->in_call);
	return ret;
}
