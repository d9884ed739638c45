/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * wc_lanes: a many-producer, one-consumer queue made of single-producer
 * lanes, one per possible producer. It is what a capture queue and a
 * recycle queue are once buddy offloading lets several threads write
 * into one (paper Fig. 7b):
 *
 *   capture queue of queue b   lane t: capture thread t (the thread of b
 *                              itself, and of every queue that may
 *                              offload to b)
 *   recycle queue of pool q    lane b: the application thread reading
 *                              queue b (q itself, and every buddy q
 *                              offloads to), releasing q's chunks
 *
 * Each lane is a wc_ring (ring.h), so every push and pop is lock-free and
 * wait-free: no producer ever waits for another, which a single shared
 * MPSC ring with ordered publication cannot promise when a producer is
 * preempted between reserving and publishing. Lanes a producer can never
 * use are not allocated (slots NULL). The consumer visits the lanes round
 * robin, so one busy producer cannot starve the others; order is kept
 * within a lane only, which is all anyone relies on (chunks of one pool
 * reach one capture queue through one lane, in capture order).
 *
 * A producer that found its lane full sets the lane's "stalled" word and
 * goes to sleep; the consumer, after making room in a stalled lane, wakes
 * that producer (capture.c, chunk.c). The word sits on the lane's own
 * cache line.
 *
 * struct wc_lanes itself is read-only once made (both sides read it per
 * entry); the consumer's round-robin cursor is the consumer's own and
 * lives with its other private fields (on its own cache line), passed in
 * to wc_lanes_peek().
 */
#ifndef WIRECAP_LIB_LANES_H
#define WIRECAP_LIB_LANES_H

#include <stdbool.h>
#include <stdlib.h>

#include "ring.h"

struct wc_lane {
	struct wc_ring r;			/* r.slots NULL: unused lane */
	_Alignas(WC_CACHELINE) uint32_t stalled; /* (producer) waits for room */
};

struct wc_lanes {
	struct wc_lane *lane;	/* nlanes of them */
	uint32_t nlanes;
	uint32_t size;		/* slots per lane */
};

static inline bool wc_lane_used(const struct wc_lanes *l, uint32_t i)
{
	return i < l->nlanes && l->lane[i].r.slots;
}

/*
 * Consumer: the oldest entry of some lane, round robin from *next (the
 * consumer's cursor, < nlanes). Returns its lane (the entry is at
 * wc_ring_slot(&lane->r, *idx); release it with wc_ring_release(&lane->r,
 * 1)), or NULL when every lane is empty.
 */
static inline struct wc_lane *wc_lanes_peek(struct wc_lanes *l,
					    uint32_t *next, uint32_t *idx)
{
	uint32_t k, i;

	for (k = 0; k < l->nlanes; k++) {
		i = *next + k;
		if (i >= l->nlanes)
			i -= l->nlanes;
		if (!l->lane[i].r.slots)
			continue;
		if (wc_ring_peek(&l->lane[i].r, 1, idx)) {
			*next = i + 1 == l->nlanes ? 0 : i + 1;
			return &l->lane[i];
		}
	}
	return NULL;
}

/* Consumer: is every lane empty? (Refreshes the cached indices.) */
static inline bool wc_lanes_empty(struct wc_lanes *l)
{
	uint32_t i;

	for (i = 0; i < l->nlanes; i++)
		if (l->lane[i].r.slots && !wc_ring_empty(&l->lane[i].r))
			return false;
	return true;
}

/* Any thread: entries in all lanes, a hint (see wc_ring_count). */
static inline uint32_t wc_lanes_count(const struct wc_lanes *l)
{
	uint32_t i, n = 0;

	for (i = 0; i < l->nlanes; i++)
		if (l->lane[i].r.slots)
			n += wc_ring_count(&l->lane[i].r);
	return n;
}

#endif /* WIRECAP_LIB_LANES_H */
