// SPDX-License-Identifier: BSD-2-Clause
/*
 * Buddy-group offloading (paper §3.2.1, §3.2.2a, Fig. 7b): where a chunk
 * a capture thread has just captured goes, and the buddy lists and groups
 * that bound it.
 *
 *   (1.b) the thread looks at the length of the queue's own capture
 *         queue; up to T% of the queue's R chunks, the chunk stays there;
 *   (1.c) above it, the thread looks at the queue's buddies and
 *   (1.d) puts the chunk into the capture queue of the least busy one
 *         (length relative to its own R), if that one is less busy than
 *         the queue itself.
 *
 * And only to a buddy with spare capacity: whose readers spent at least
 * WC_SPARE_MIN_PERMILLE of the last window (WC_SPARE_WINDOW_NS or more,
 * between two looks of q's capture thread) on something else than their
 * own queue's packets: idle (they had found its capture queue empty and
 * not taken a chunk since: chunk.c), or reading chunks other queues
 * offloaded to it, unless the buddy was over T or offloaded itself
 * (over_t). A queue's length says how far its reader is behind, not
 * whether it could take more: a buddy whose reader is busy all the time
 * with its own queue gains nothing from our chunks but falls behind on its
 * own, and its pool overflows instead of ours; with more threads than
 * cores, that is every buddy. A buddy busy with offloaded chunks and
 * keeping up with its own queue is not: that time is the group's to share,
 * and the paper's rule (lengths) shares it. A queue whose buddies have no
 * spare time offloads nothing and loses what basic mode loses. Until a
 * buddy's first window has passed it counts as having spare time (the
 * paper's rule alone).
 *
 * A capture queue that has no room in the thread's lane is never chosen;
 * when neither the queue nor any buddy has room the chunk waits in the
 * kernel's descriptor ring (the queue is "stalled", capture.c). Lengths
 * are read without locks (wc_lanes_count): a hint that can be a chunk or
 * two stale, which the threshold does not care about.
 *
 * Everything here runs in the capture thread of the chunk's queue, and
 * the lane it writes is that thread's own.
 */
#include <errno.h>
#include <stdlib.h>

#include "internal.h"

/* Free slots of queue b's capture queue in the lane of q's thread. */
static uint32_t lane_room(struct wirecap_queue *q, struct wirecap_queue *b)
{
	struct wc_lane *l = &b->capq.lane[q->thread->index];

	return l->r.slots ? wc_ring_free(&l->r) : 0;
}

/*
 * Is buddy b over T itself (offload.c's rule 1.b), or has it offloaded
 * since q's last look (its out count, out_now, is not out)? Then the
 * time its readers spend on other queues' chunks is no spare time: its
 * own queue needs more than they give it. The length counts every
 * lane, ours too: chunks q offloaded can put b over T and close q's own
 * gate until b's readers caught up, which is the point (b has no time).
 */
static bool over_t(const struct wirecap_queue *b, uint64_t out,
		   uint64_t out_now)
{
	return out_now != out ||
	       (uint64_t)wc_lanes_count(&b->capq) * 100 >
	       (uint64_t)b->w->opts.offload_pct * b->info.nr_chunks;
}

/*
 * Measure q's buddies' spare time at now. Over the window since q's
 * last look at buddy b: its readers' idle time (the total, the spell
 * going on now included), and of the rest, busy, the share of the
 * packets they read that were other queues' (offloaded in), unless b is
 * over T or offloads itself (over_t). Each packet costs its reader
 * about the same whosever it is (one application), so that share of
 * busy was spent on other queues. The two are b's spare permille; a new
 * figure once a window has passed since the last, over however long it
 * was (a capture thread that slept through several windows, its queue
 * stalled, sees what its buddies did meanwhile). Called by q's capture
 * thread once a round, before it asks for room (capture.c), and only
 * there: room and pick, which read the figures, agree between two
 * calls. Readers update their totals without a lock: the spell first
 * (acquire: pairs with idle_end); a spell that ends between the two
 * loads is counted twice in this window and taken back from the next.
 * The packet counts are a chunk or so stale, a hint. The coarse clock's
 * tick (4 ms at HZ=250) is 4 % of a window: one spell's figure is rough,
 * the average over many is not.
 */
void wc_offload_measure_at(struct wirecap_queue *q, uint64_t now)
{
	unsigned int i;

	for (i = 0; i < q->nspare; i++) {
		const struct wirecap_queue *b = q->w->queues[q->buddies[i]];
		uint64_t since = __atomic_load_n(&b->idle_since,
						 __ATOMIC_ACQUIRE);
		uint64_t idle = __atomic_load_n(&b->idle_ns, __ATOMIC_RELAXED);
		uint64_t pkts = wc_read(&b->as.pkts);
		uint64_t offl = wc_read(&b->as.offl_in_pkts);
		uint64_t out = wc_read(&b->ts.offl_out);
		struct wc_spare *s = &q->spare[i];
		uint64_t span = now - s->t, d, dp, dof;

		if (since && since < now)
			idle += now - since;
		if (s->t && span < WC_SPARE_WINDOW_NS)
			continue;
		/*
		 * The first look keeps the figure of wc_offload_plan. In
		 * microseconds (a window is 100,000 of them): no product
		 * below overflows, whatever the span.
		 */
		if (s->t) {
			span /= 1000;
			d = idle > s->idle ? (idle - s->idle) / 1000 : 0;
			d = d < span ? d : span;
			dp = pkts > s->pkts ? pkts - s->pkts : 0;
			dof = offl > s->offl ? offl - s->offl : 0;
			if (dp && !over_t(b, s->out, out))
				d += (span - d) *
				     ((dof < dp ? dof : dp) * 1000 / dp) / 1000;
			s->permille = (uint32_t)(d * 1000 / span);
		}
		s->t = now;
		s->idle = idle;
		s->pkts = pkts;
		s->offl = offl;
		s->out = out;
	}
}

/*
 * Does q wait for a buddy's spare time: one that is live but has no spare
 * time as last measured (its lane full or not)? Its lane is not marked
 * stalled (capture.c, set_stalled), so its reader's takes do not wake
 * q's thread, which looks again within a window instead (capture.c:
 * sleep_us).
 */
bool wc_offload_gated(const struct wirecap_queue *q)
{
	unsigned int i;

	for (i = 0; i < q->nspare; i++) {
		const struct wirecap_queue *b = q->w->queues[q->buddies[i]];

		if (wc_queue_live(b) && !wc_offload_target_ok(q, i, b))
			return true;
	}
	return false;
}

void wc_offload_measure(struct wirecap_queue *q)
{
	if (q->nspare)
		wc_offload_measure_at(q, wc_coarse_ns());
}

/*
 * May chunks go to buddy i of q (b) now? Not once b failed (its NIC went
 * away: nobody reads what follows its error), nor once it was detached
 * (nobody reads it), nor while it has no spare time (as last measured:
 * wc_offload_measure). pick and room ask the same question, so "no
 * room" is exactly "pick finds nothing", and a queue with nowhere to go
 * announces its stall (capture.c) instead of arming CAPTUREs whose
 * descriptors cannot move; its own reader, which has chunks to read,
 * wakes it (a buddy that gets spare time does not: the thread looks again
 * within a window, wc_offload_gated). Buddy i: the i-th of q->buddies.
 */
bool wc_offload_target_ok(const struct wirecap_queue *q, unsigned int i,
			  const struct wirecap_queue *b)
{
	return wc_queue_live(b) &&
	       (i >= q->nspare ||
		q->spare[i].permille >= WC_SPARE_MIN_PERMILLE);
}

/* a's load < b's, as fractions of each one's R. */
static bool less_busy(uint32_t la, const struct wirecap_queue *a,
		      uint32_t lb, const struct wirecap_queue *b)
{
	return (uint64_t)la * b->info.nr_chunks <
	       (uint64_t)lb * a->info.nr_chunks;
}

struct wirecap_queue *wc_offload_pick(struct wirecap_queue *q)
{
	struct wirecap *w = q->w;
	uint32_t len = wc_lanes_count(&q->capq), blen = 0;
	bool own_room = lane_room(q, q) > 0;
	struct wirecap_queue *best = NULL;
	bool busy = false;
	unsigned int i;

	if (!wc_advanced(w) || !q->nbuddies)
		return own_room ? q : NULL;
	/* (1.b) at or below T: keep it (core affinity) */
	if (own_room && (uint64_t)len * 100 <=
			(uint64_t)w->opts.offload_pct * q->info.nr_chunks)
		return q;
	/* (1.c) the least busy buddy with room; ties rotate */
	q->offl_next = q->offl_next + 1 < q->nbuddies ? q->offl_next + 1 : 0;
	for (i = 0; i < q->nbuddies; i++) {
		unsigned int k = q->offl_next + i;
		struct wirecap_queue *b;
		uint32_t l;

		k = k < q->nbuddies ? k : k - q->nbuddies;
		b = w->queues[q->buddies[k]];
		if (!lane_room(q, b))
			continue;
		if (!wc_offload_target_ok(q, k, b)) {
			busy = busy || wc_queue_live(b);
			continue;
		}
		l = wc_lanes_count(&b->capq);
		if (!best || less_busy(l, b, blen, best)) {
			best = b;
			blen = l;
		}
	}
	/* (1.d) only to a buddy less busy than q, unless q has no room */
	if (best && (!own_room || less_busy(blen, best, len, q)))
		return best;
	if (!best && busy && own_room)
		wc_add(&q->ts.offl_no_spare, 1);
	return own_room ? q : best;
}

/*
 * Room for q's chunks: its own lane, and in advanced mode the lanes of its
 * buddies that may take chunks (the ones wc_offload_pick() considers).
 */
uint32_t wc_offload_room(struct wirecap_queue *q)
{
	uint32_t room = lane_room(q, q);
	unsigned int i;

	if (q->ft)
		return wc_flow_room(q);	/* a view may go to every member */
	if (!wc_advanced(q->w))
		return room;
	for (i = 0; i < q->nbuddies; i++) {
		struct wirecap_queue *b = q->w->queues[q->buddies[i]];

		if (wc_offload_target_ok(q, i, b))
			room += lane_room(q, b);
	}
	return room;
}

/* May q's chunks go to b's capture queue? */
bool wc_offload_may(const struct wirecap_queue *q, const struct wirecap_queue *b)
{
	unsigned int i;

	if (q == b)
		return true;
	if (!wc_grouped(q->w))
		return false;
	for (i = 0; i < q->nbuddies; i++)
		if (q->buddies[i] == b->index)
			return true;
	return false;
}

static unsigned int find(unsigned int *parent, unsigned int i)
{
	while (parent[i] != i)
		i = parent[i] = parent[parent[i]];
	return i;
}

/*
 * At start: default buddy lists (every other queue whose list was not
 * set), then groups: queues joined by buddy lists, either direction, each
 * group named by its lowest index. 0 or -ENOMEM.
 */
int wc_offload_plan(struct wirecap *w)
{
	unsigned int *parent, i, j, n;

	for (i = 0; i < w->nq; i++) {
		struct wirecap_queue *q = w->queues[i];

		if (q->buddies_set || !wc_grouped(w))
			continue;
		free(q->buddies);
		q->buddies = calloc(w->nq, sizeof(*q->buddies));
		if (!q->buddies)
			return -ENOMEM;
		for (n = 0, j = 0; j < w->nq; j++)
			if (j != i && !w->queues[j]->buddies_set)
				q->buddies[n++] = j;
		q->nbuddies = n;
	}
	parent = calloc(w->nq, sizeof(*parent));
	if (!parent)
		return -ENOMEM;
	for (i = 0; i < w->nq; i++)
		parent[i] = i;
	for (i = 0; wc_grouped(w) && i < w->nq; i++)
		for (j = 0; j < w->queues[i]->nbuddies; j++) {
			unsigned int a = find(parent, i);
			unsigned int b = find(parent, w->queues[i]->buddies[j]);

			parent[a > b ? a : b] = a < b ? a : b;
		}
	for (i = 0; i < w->nq; i++)
		w->queues[i]->group = find(parent, i);
	free(parent);
	/* what each queue's thread knows of its buddies' spare time */
	for (i = 0; wc_advanced(w) && i < w->nq; i++) {
		struct wirecap_queue *q = w->queues[i];

		free(q->spare);
		q->spare = NULL;
		q->nspare = 0;
		if (!q->nbuddies)
			continue;
		q->spare = calloc(q->nbuddies, sizeof(*q->spare));
		if (!q->spare)
			return -ENOMEM;
		q->nspare = q->nbuddies;
		/* not measured yet: assume spare time (the paper's rule) */
		for (j = 0; j < q->nspare; j++)
			q->spare[j].permille = 1000;
	}
	return 0;
}
