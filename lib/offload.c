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
 * May chunks go to buddy b's capture queue at all? Not once b failed (its
 * NIC went away: nobody reads what follows its error), nor once it was
 * detached (nobody reads it). pick and room ask the same question, so "no
 * room" is exactly "pick finds nothing", and a queue with nowhere to go
 * announces its stall (capture.c) instead of arming CAPTUREs whose
 * descriptors cannot move.
 */
static bool target_ok(const struct wirecap_queue *b)
{
	return wc_queue_live(b);
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

		b = w->queues[q->buddies[k < q->nbuddies ? k : k - q->nbuddies]];

		if (!target_ok(b) || !lane_room(q, b))
			continue;
		l = wc_lanes_count(&b->capq);
		if (!best || less_busy(l, b, blen, best)) {
			best = b;
			blen = l;
		}
	}
	/* (1.d) only to a buddy less busy than q, unless q has no room */
	if (best && (!own_room || less_busy(blen, best, len, q)))
		return best;
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

		if (target_ok(b))
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
	return 0;
}
