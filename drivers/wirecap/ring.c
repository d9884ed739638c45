// SPDX-License-Identifier: GPL-2.0
/*
 * The segment engine on a descriptor ring: see wirecap_ring.h.
 *
 * Built into wirecap.ko and exported to the Intel drivers, and built on the
 * host against a model NIC (selftests/host/ring_test.c), so it uses nothing
 * but the core's RX calls and kcalloc().
 */
#ifdef WIRECAP_RING_HOST
#include "ring_host.h"
#else
#include <linux/export.h>
#include <linux/slab.h>
#include "wirecap_nic.h"
#endif
#include "wirecap_ring.h"

#define RING_BATCH	32

/* The tail: the end of the newest posted segment, one less if all are. */
static void ring_update_tail(struct wirecap_ring *r)
{
	u32 tail;

	if (!r->m)
		return;
	tail = ((r->head_seg + r->nposted) % r->k) * r->m;
	if (r->nposted == r->k)
		tail = (tail + r->n - 1) & (r->n - 1);
	if (tail != r->tail) {
		r->tail = tail;
		r->ops->tail(r, tail);
	}
}

/**
 * wirecap_ring_init() - set up an engine for a ring of @n descriptors
 * @r: the engine, zeroed or freed before
 * @ops: the NIC's descriptor accessors
 * @q: the WireCAP queue the ring feeds
 * @priv: the glue's, in r->priv
 * @n: descriptors, a power of two
 *
 * Process context. Return: 0, -EINVAL or -ENOMEM.
 */
int wirecap_ring_init(struct wirecap_ring *r, const struct wirecap_ring_ops *ops,
		      struct wirecap_queue *q, void *priv, u32 n)
{
	if (!n || (n & (n - 1)))
		return -EINVAL;
	memset(r, 0, sizeof(*r));
	r->seg = kcalloc(n, sizeof(*r->seg), GFP_KERNEL);
	if (!r->seg)
		return -ENOMEM;
	r->ops = ops;
	r->q = q;
	r->priv = priv;
	r->n = n;
	return 0;
}
EXPORT_SYMBOL_GPL(wirecap_ring_init);

/**
 * wirecap_ring_free() - release what wirecap_ring_init() allocated
 * @r: the engine; nothing of it may be posted at the NIC any more
 */
void wirecap_ring_free(struct wirecap_ring *r)
{
	kfree(r->seg);
	r->seg = NULL;
}
EXPORT_SYMBOL_GPL(wirecap_ring_free);

/**
 * wirecap_ring_post() - give a segment's descriptors a chunk's cells
 * @r: the engine
 * @segment: the segment the core attached the chunk to
 * @cells: the chunk's cells, in order: cells[i] backs descriptor
 *	   segment * M + i
 * @n: M, the cells per chunk; fixed from the first post until
 *     wirecap_ring_forget()
 *
 * The glue's ->post_cells(). Segments arrive in ring order (the core's
 * waiting FIFO starts at 0 and a segment comes back only when its chunk
 * is full, which the NIC does in ring order); a segment out of order, or
 * a geometry that does not divide the ring, is a bug and is refused.
 */
void wirecap_ring_post(struct wirecap_ring *r, u32 segment,
		       const struct wirecap_cell *cells, unsigned int n)
{
	u32 i, first;

	if (!r->m) {
		/* the first post sets the geometry; K >= 2 (see the tail) */
		if (WARN_ON_ONCE(!n || n > r->n / 2 || (r->n % n) ||
				 segment != 0))
			return;
		r->m = n;
		r->k = r->n / n;
	} else if (WARN_ON_ONCE(n != r->m || r->nposted == r->k ||
				segment != (r->head_seg + r->nposted) % r->k)) {
		return;
	}
	r->seg[segment] = cells;
	first = segment * r->m;
	for (i = 0; i < n; i++)
		r->ops->arm(r, first + i, cells[i].dma);
	r->nposted++;
	ring_update_tail(r);
}
EXPORT_SYMBOL_GPL(wirecap_ring_post);

static void ring_flush(struct wirecap_ring *r, struct wirecap_rx_done *done,
		       unsigned int *nr)
{
	if (*nr)
		wirecap_rx_complete(r->q, done, *nr);
	*nr = 0;
}

/**
 * wirecap_ring_clean() - harvest written-back descriptors
 * @r: the engine
 * @budget: at most this many descriptors
 *
 * Reports each harvested cell to the core in batches, in ring order, each
 * with its own timestamp, taken as it is harvested (or the NIC's). A
 * descriptor without EOP is reported with WIRECAP_RX_MORE: its frame goes
 * on in the next one, maybe in the next batch or the next call (the core
 * takes a frame over several calls). A segment whose M descriptors are all
 * harvested leaves the posted set before its last cell is reported, so the
 * core may post it again from inside this call.
 *
 * Return: descriptors harvested.
 */
unsigned int wirecap_ring_clean(struct wirecap_ring *r, unsigned int budget)
{
	struct wirecap_rx_done done[RING_BATCH];
	unsigned int nr = 0, harvested = 0;

	while (harvested < budget && r->nposted) {
		const struct wirecap_cell *cell;
		struct wirecap_ring_wb wb = {};
		struct wirecap_rx_done *d;
		u32 idx = r->ntc;

		if (!r->ops->done(r, idx, &wb))
			break;
		cell = &r->seg[idx / r->m][idx % r->m];
		d = &done[nr++];
		/* this frame's own time: the batch goes to the core later */
		d->ts_ns = wb.ts_ns ?: wirecap_rx_now();
		d->cell = cell->id;
		d->len = wb.len;
		d->hash = wb.hash;
		d->flags = (wb.flags & WIRECAP_RING_WB_HASH) ? WIRECAP_RX_HASH : 0;
		if (!(wb.flags & WIRECAP_RING_WB_EOP)) {
			/* the frame goes on in the next descriptor's cell */
			d->flags |= WIRECAP_RX_MORE;
			r->in_frame = true;
		} else {
			r->in_frame = false;
			if (wb.flags & WIRECAP_RING_WB_ERR)
				d->flags |= WIRECAP_RX_ERROR;
		}
		harvested++;
		r->ntc = (idx + 1) & (r->n - 1);
		if (r->ntc % r->m == 0) {
			/* the oldest segment is harvested: it is the core's now */
			r->head_seg = (r->head_seg + 1) % r->k;
			r->nposted--;
			ring_update_tail(r);
			ring_flush(r, done, &nr);
		} else if (nr == RING_BATCH) {
			ring_flush(r, done, &nr);
		}
	}
	ring_flush(r, done, &nr);
	return harvested;
}
EXPORT_SYMBOL_GPL(wirecap_ring_clean);

/**
 * wirecap_ring_restart() - give a reset NIC the ring where it stopped
 * @r: the engine
 *
 * After a NIC reset with the queue still attached (link reset, TX timeout,
 * ethtool -r): the glue has harvested what the NIC wrote before it stopped
 * and programmed the ring with its head at r->ntc. This writes the posted,
 * unharvested descriptors again (the reset may have cleared them) and the
 * tail. A frame whose cells were reported with WIRECAP_RX_MORE so far
 * gets no more cells (the NIC starts the next frame at r->ntc): the core
 * hears so from wirecap_rx_cut(), and discards and counts it.
 */
void wirecap_ring_restart(struct wirecap_ring *r)
{
	u32 i, idx, end;

	if (r->in_frame) {
		r->in_frame = false;
		wirecap_rx_cut(r->q);
	}
	if (!r->m || !r->nposted) {
		r->ops->tail(r, r->tail);
		return;
	}
	end = ((r->head_seg + r->nposted) % r->k) * r->m;
	idx = r->ntc;
	for (i = 0; i < r->nposted * r->m - r->ntc % r->m; i++) {
		u32 s = idx / r->m;

		r->ops->arm(r, idx, r->seg[s][idx % r->m].dma);
		idx = (idx + 1) & (r->n - 1);
	}
	WARN_ON_ONCE(idx != end);
	r->ops->tail(r, r->tail);
}
EXPORT_SYMBOL_GPL(wirecap_ring_restart);

/**
 * wirecap_ring_forget() - the queue stopped: nothing is posted any more
 * @r: the engine; the NIC no longer writes any of its descriptors
 *
 * The core frees the pool after ->queue_stop(), a frame in progress with
 * it (no wirecap_rx_cut(): the queue is stopping); the engine starts again
 * from descriptor 0 with the next pool.
 */
void wirecap_ring_forget(struct wirecap_ring *r)
{
	r->m = 0;
	r->k = 0;
	r->head_seg = 0;
	r->nposted = 0;
	r->ntc = 0;
	r->tail = 0;
	r->in_frame = false;
}
EXPORT_SYMBOL_GPL(wirecap_ring_forget);

/**
 * wirecap_ring_starved() - does a segment wait for a free chunk?
 * @r: the engine
 *
 * The NIC then runs out of descriptors: its drop counters belong to this
 * queue. Unlocked readers get a hint, which is all a counter attribution
 * needs.
 */
bool wirecap_ring_starved(const struct wirecap_ring *r)
{
	return r->m && READ_ONCE(r->nposted) < r->k;
}
EXPORT_SYMBOL_GPL(wirecap_ring_starved);
