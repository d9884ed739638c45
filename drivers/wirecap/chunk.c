// SPDX-License-Identifier: GPL-2.0
/*
 * The chunk state machine and the NIC side of it.
 *
 *   FREE --chunk_attach--> ATTACHED --chunk_filled--> FULL
 *     ^                      |    \                    |
 *     |                      |     `--(all handed)--.  | chunk_hand
 *     |                      | chunk_hand (partial)  v  v
 *     +----chunk_put_view---------------------- CAPTURED
 *
 * One function per transition; each checks the state it starts from.
 * Everything here runs with queue->lock held.
 *
 * Views are stamped with queue->seq, which runs on across pools: a
 * descriptor kept from an earlier pool never matches a view of this one.
 */
#include <linux/dma-mapping.h>
#include <linux/timekeeping.h>

#include "wirecap.h"

static void chunk_free(struct wirecap_queue *q, struct wirecap_pool *p,
		       struct wirecap_chunk *c)
{
	lockdep_assert_held(&q->lock);
	c->state = WC_CHUNK_FREE;
	list_add_tail(&c->node, &p->free);
	p->nr_free++;
	q->stats.chunks_recycled++;
}

static bool segments_waiting(const struct wirecap_pool *p)
{
	return p->wait_head != p->wait_tail;
}

/* FREE -> ATTACHED: the chunk's cells back the segment's descriptors. */
static void chunk_attach(struct wirecap_pool *p, struct wirecap_chunk *c,
			 u32 segment)
{
	u32 id = c - p->chunks;

	if (WARN_ON_ONCE(c->state != WC_CHUNK_FREE))
		return;
	list_move_tail(&c->node, &p->attached);
	p->nr_free--;
	c->state = WC_CHUNK_ATTACHED;
	c->segment = segment;
	c->filled = 0;
	c->prefix = 0;
	c->handed = 0;
	c->open_from = p->m;
	c->conts = 0;
	c->spill_used = 0;
	bitmap_clear(p->filled_map, id * p->m, p->m);
}

/*
 * ATTACHED -> FULL, or straight to CAPTURED (every cell already handed out
 * as partial views) or FREE (and those views recycled too). The segment
 * wants a new chunk at once.
 */
static void chunk_filled(struct wirecap_queue *q, struct wirecap_pool *p,
			 struct wirecap_chunk *c)
{
	lockdep_assert_held(&q->lock);
	if (WARN_ON_ONCE(c->state != WC_CHUNK_ATTACHED))
		return;
	list_del_init(&c->node);
	if (!p->nr_free)
		q->stats.segment_waits++;
	p->waiting[p->wait_tail++ % p->nr_segments] = c->segment;

	if (c->handed < p->m) {
		c->state = WC_CHUNK_FULL;
		list_add_tail(&c->node, &p->full);
		p->nr_full++;
	} else if (c->views_out) {
		c->state = WC_CHUNK_CAPTURED;
	} else {
		chunk_free(q, p, c);
	}
}

/* Cells of [first, upto) of @c that continue a frame: not packets. */
static u32 view_conts(const struct wirecap_pool *p,
		      const struct wirecap_chunk *c, u32 first, u32 upto)
{
	u32 base = (c - p->chunks) * p->m, i, n = 0;

	if (!c->conts)
		return 0;
	if (first == 0 && upto == p->m)
		return c->conts;
	for (i = first; i < upto; i++)
		n += !!(p->meta[base + i].flags & WIRECAP_CELL_CONT);
	return n;
}

/*
 * Hand the cells [handed, upto) of an ATTACHED or FULL chunk to user space
 * as one view, published at the descriptor ring's tail. FULL -> CAPTURED
 * when that covers the rest of the chunk.
 */
static void chunk_hand(struct wirecap_queue *q, struct wirecap_pool *p,
		       struct wirecap_chunk *c, u32 upto)
{
	struct wirecap_desc *d = &p->descs[p->desc_tail & (p->desc_size - 1)];
	u32 id = c - p->chunks;
	u32 first = c->handed;
	u32 cell = id * p->m + first;

	lockdep_assert_held(&q->lock);
	if (WARN_ON_ONCE(c->state != WC_CHUNK_ATTACHED &&
			 c->state != WC_CHUNK_FULL))
		return;
	if (!++q->seq)		/* 0 is never a stamp */
		q->seq = 1;
	d->nic_id = q->nic_id;
	d->ring_id = q->ring_id;
	d->chunk_id = id;
	d->first_cell = first;
	d->pkt_count = upto - first;
	d->seq = q->seq;
	p->view_len[cell] = upto - first;
	p->view_seq[cell] = q->seq;
	p->desc_tail++;
	c->handed = upto;
	c->views_out++;
	q->stats.delivered += upto - first - view_conts(p, c, first, upto);
	if (upto < p->m)
		q->stats.partial_views++;
	else
		q->stats.chunks_captured++;

	if (c->state == WC_CHUNK_FULL) {
		list_del_init(&c->node);
		p->nr_full--;
		c->state = WC_CHUNK_CAPTURED;
	}
}

/*
 * A view came back (already validated by recycle.c). CAPTURED -> FREE with
 * the last one. Returns true when a chunk became FREE.
 */
bool wirecap_chunk_put_view(struct wirecap_queue *q, struct wirecap_pool *p,
			    struct wirecap_chunk *c, u32 cell)
{
	lockdep_assert_held(&q->lock);
	p->view_len[cell] = 0;
	p->view_seq[cell] = 0;
	if (WARN_ON_ONCE(!c->views_out))
		return false;
	if (--c->views_out || c->state != WC_CHUNK_CAPTURED)
		return false;
	chunk_free(q, p, c);
	return true;
}

bool wirecap_chunk_wanted(const struct wirecap_pool *p)
{
	return segments_waiting(p);
}

bool wirecap_has_full(const struct wirecap_pool *p)
{
	return !list_empty(&p->full);
}

bool wirecap_has_unhanded(const struct wirecap_pool *p)
{
	struct wirecap_chunk *c;

	if (!list_empty(&p->full))
		return true;
	list_for_each_entry(c, &p->attached, node)
		if (c->prefix > c->handed)
			return true;
	return false;
}

/*
 * Publish up to @max views: FULL chunks first, in fill order; then, if
 * @partial, the filled and not yet handed cells of ATTACHED chunks, in
 * attach order. Never more than the descriptor ring has room for.
 */
u32 wirecap_publish(struct wirecap_queue *q, struct wirecap_pool *p, u32 max,
		    bool partial)
{
	u32 room = p->desc_size - (p->desc_tail - p->desc_head);
	struct wirecap_chunk *c, *tmp;
	u32 n = 0;

	lockdep_assert_held(&q->lock);
	max = min(max, room);
	list_for_each_entry_safe(c, tmp, &p->full, node) {
		if (n == max)
			break;
		chunk_hand(q, p, c, p->m);
		n++;
	}
	if (partial) {
		list_for_each_entry(c, &p->attached, node) {
			if (n == max)
				break;
			if (c->prefix > c->handed) {
				chunk_hand(q, p, c, c->prefix);
				n++;
			}
		}
	}
	if (n) {
		/* descriptors before the index that covers them */
		smp_store_release(&p->hdr->desc_tail, p->desc_tail);
		wirecap_ctrl_sync(p);
	}
	return n;
}

/*
 * Give free chunks to waiting segments and post their cells. Called in the
 * queue's RX context only (see wirecap_nic.h), so the chunks it attaches
 * cannot change state before they are posted.
 */
void wirecap_rx_refill(struct wirecap_queue *q)
{
	struct wirecap_chunk *batch[8];
	struct wirecap_pool *p;
	unsigned int n, i;

	do {
		n = 0;
		spin_lock(&q->lock);
		p = q->pool;
		while (p && !p->stopping && n < ARRAY_SIZE(batch) &&
		       segments_waiting(p) && p->nr_free) {
			struct wirecap_chunk *c;
			u32 seg = p->waiting[p->wait_head++ % p->nr_segments];

			c = list_first_entry(&p->free, struct wirecap_chunk,
					     node);
			chunk_attach(p, c, seg);
			batch[n++] = c;
		}
		if (n) {
			wirecap_high_water(q, p);
			wirecap_ctrl_sync(p);
		}
		spin_unlock(&q->lock);

		for (i = 0; i < n; i++) {
			struct wirecap_cell *cells;
			u32 k;

			cells = &p->cells[(batch[i] - p->chunks) * p->m];
			if (p->page_dma)
				for (k = 0; k < p->m; k++)
					dma_sync_single_for_device(p->dma_dev,
						cells[k].dma, cells[k].size,
						DMA_BIDIRECTIONAL);
			q->nic->cfg.ops->post_cells(q, batch[i]->segment, cells,
						   p->m);
		}
	} while (n == ARRAY_SIZE(batch));
}
EXPORT_SYMBOL_GPL(wirecap_rx_refill);

/*
 * A cell of @c was filled: move the prefix of whole frames on, and make
 * the chunk FULL once every cell is filled and no frame is open in it.
 * Returns true when it did.
 */
static bool cell_filled(struct wirecap_queue *q, struct wirecap_pool *p,
			struct wirecap_chunk *c)
{
	u32 base = (c - p->chunks) * p->m;

	lockdep_assert_held(&q->lock);
	while (c->prefix < c->open_from &&
	       test_bit(base + c->prefix, p->filled_map))
		c->prefix++;
	if (c->filled < p->m || c->open_from < p->m ||
	    c->state != WC_CHUNK_ATTACHED)
		return false;
	chunk_filled(q, p, c);
	return true;
}

/* Bytes the NIC wrote into a cell, for the CPU to read. */
static void cell_sync(const struct wirecap_pool *p, u32 cell, u32 len)
{
	if (p->page_dma && len)
		dma_sync_single_for_cpu(p->dma_dev, p->cells[cell].dma, len,
					DMA_BIDIRECTIONAL);
}

/* A frame in one cell (or the first cell of a longer one: @more). */
static bool rx_first(struct wirecap_queue *q, struct wirecap_pool *p,
		     struct wirecap_chunk *c, const struct wirecap_rx_done *d,
		     struct wirecap_cell_meta *meta)
{
	struct wirecap_rx_frame *f = &q->rx;
	u16 hashed = (d->flags & WIRECAP_RX_HASH) ? WIRECAP_CELL_HASH : 0;

	lockdep_assert_held(&q->lock);
	if (d->flags & WIRECAP_RX_MORE) {
		/* the frame is complete when its last cell comes */
		f->head = d->cell;
		f->last = d->cell;
		f->cells = 1;
		f->spilling = false;
		f->oversize = false;
		f->bad = d->len != p->cell_size;
		f->len = f->bad ? 0 : d->len - q->frame_offset;
		if (f->bad)
			wc_qerr_ratelimited(q, "NIC reported %u bytes in a cell of %u, not the last of its frame\n",
					    d->len, p->cell_size);
		else
			cell_sync(p, d->cell, d->len);
		meta->len = 0;
		meta->flags = WIRECAP_CELL_MORE | hashed;
		c->open_from = d->cell % p->m;
		return false;
	}

	q->stats.received++;
	if (unlikely(d->flags & (WIRECAP_RX_DROP | WIRECAP_RX_ERROR))) {
		/* no frame here (a discarded one the driver counted) */
		q->stats.rx_errors++;
		meta->len = 0;
		meta->flags = WIRECAP_CELL_ERROR;
	} else if (unlikely(d->len < q->frame_offset ||
			    d->len > p->cells[d->cell].size)) {
		/* a driver or device bug: the cell holds no frame */
		wc_qerr_ratelimited(q, "NIC reported %u bytes in a cell of %u (frame at %u)\n",
				    d->len, p->cells[d->cell].size,
				    q->frame_offset);
		q->stats.rx_errors++;
		meta->len = 0;
		meta->flags = WIRECAP_CELL_ERROR;
	} else if (unlikely(d->len - q->frame_offset > p->max_frame)) {
		/* a 64 KiB cell (64 KiB pages): len is 16 bits */
		q->stats.rx_errors++;
		q->stats.oversize_drops++;
		meta->len = 0;
		meta->flags = WIRECAP_CELL_ERROR;
	} else {
		cell_sync(p, d->cell, d->len);
		meta->len = d->len - q->frame_offset;
		meta->flags = hashed;
	}
	return cell_filled(q, p, c);
}

/* Copy @len bytes of a frame's rest to @c's spill area, at @off. */
static void spill_write(struct wirecap_pool *p, struct wirecap_chunk *c,
			u32 off, const void *src, u32 len)
{
	u32 first = (c - p->chunks) * p->chunk_pages +
		((p->m << p->cell_shift) >> PAGE_SHIFT);

	lockdep_assert_held(&p->q->lock);
	while (len) {
		u32 n = min_t(u32, len, PAGE_SIZE - offset_in_page(off));

		memcpy(page_address(p->pages[first + (off >> PAGE_SHIFT)]) +
		       offset_in_page(off), src, n);
		src += n;
		off += n;
		len -= n;
	}
}

/* The open frame ends: its first cell gets its length, or an error. */
static bool rx_close(struct wirecap_queue *q, struct wirecap_pool *p,
		     const struct wirecap_rx_done *last, bool error)
{
	struct wirecap_rx_frame *f = &q->rx;
	struct wirecap_cell_meta *meta = &p->meta[f->head];
	struct wirecap_chunk *hc = &p->chunks[f->head / p->m];

	lockdep_assert_held(&q->lock);
	q->stats.received++;
	if (f->bad || error) {
		q->stats.rx_errors++;
		if (f->oversize)
			q->stats.oversize_drops++;
		meta->len = 0;
		meta->flags = WIRECAP_CELL_ERROR;
	} else {
		meta->len = f->len;
		if (last && (last->flags & WIRECAP_RX_HASH)) {
			meta->hash = last->hash;
			meta->flags |= WIRECAP_CELL_HASH;
		}
	}
	f->head = U32_MAX;
	hc->open_from = p->m;
	return cell_filled(q, p, hc);
}

/*
 * A further cell of the open frame: the next cell of the head chunk, or,
 * from a chunk's last cell on, the first cell of the chunk the NIC took
 * next, and so on (the rest of the frame is copied to the head chunk's
 * spill area: spill_size >= max_frame, so all of it fits).
 */
static bool rx_cont(struct wirecap_queue *q, struct wirecap_pool *p,
		    struct wirecap_chunk *c, const struct wirecap_rx_done *d,
		    struct wirecap_cell_meta *meta)
{
	struct wirecap_rx_frame *f = &q->rx;
	struct wirecap_chunk *hc = &p->chunks[f->head / p->m];
	bool full = false, next = d->cell == f->last + 1 &&
		(f->last + 1) % p->m != 0;

	lockdep_assert_held(&q->lock);
	if (!next && (f->last + 1) % p->m == 0 && d->cell % p->m == 0 &&
	    c != hc) {
		/* from a chunk's last cell into the chunk after it */
		f->spilling = true;
		next = true;
	}
	if (!next || d->len > p->cell_size || !d->len ||
	    ((d->flags & WIRECAP_RX_MORE) && d->len != p->cell_size)) {
		if (!f->bad)
			wc_qerr_ratelimited(q, "NIC put a frame in cells %u and %u (%u bytes): not consecutive\n",
					    f->last, d->cell, d->len);
		f->bad = true;
	}
	if (!f->bad && f->len + d->len > p->max_frame) {
		f->bad = true;
		f->oversize = true;
	}
	if (!f->bad) {
		cell_sync(p, d->cell, d->len);
		if (f->spilling) {
			spill_write(p, hc, hc->spill_used,
				    p->cells[d->cell].addr, d->len);
			hc->spill_used += d->len;
		}
		f->len += d->len;
	}
	meta->len = 0;
	/*
	 * Not a packet (ERROR too where frames do not span cells, as a
	 * program that does not know CONT has always seen such cells).
	 */
	meta->flags = WIRECAP_CELL_CONT | (p->multi ? 0 : WIRECAP_CELL_ERROR);
	meta->hash = c == hc ? d->cell - f->head : 0;
	c->conts++;
	f->last = d->cell;
	f->cells++;
	/* a cell of another chunk: it holds no part of a frame of that one */
	if (c != hc)
		full = cell_filled(q, p, c);
	if (!(d->flags & WIRECAP_RX_MORE))
		full |= rx_close(q, p, d, d->flags & (WIRECAP_RX_ERROR |
						      WIRECAP_RX_DROP));
	return full;
}

/*
 * A cell holding the rest of a frame the driver dropped (WIRECAP_RX_SKIP):
 * like a cell that continues a frame of another chunk, it is no packet.
 */
static bool rx_skip(struct wirecap_queue *q, struct wirecap_pool *p,
		    struct wirecap_chunk *c, struct wirecap_cell_meta *meta)
{
	bool full = false;

	lockdep_assert_held(&q->lock);
	/* the driver broke the rule: the open frame ends in error */
	if (WARN_ON_ONCE(q->rx.head != U32_MAX))
		full = rx_close(q, p, NULL, true);
	meta->len = 0;
	meta->hash = 0;
	meta->flags = WIRECAP_CELL_CONT | (p->multi ? 0 : WIRECAP_CELL_ERROR);
	c->conts++;
	return cell_filled(q, p, c) || full;
}

/**
 * wirecap_rx_complete() - the NIC filled cells
 * @q: the queue
 * @done: the cells, each with its frame's length, flags, hash and
 *	  timestamp (see struct wirecap_rx_done)
 * @n: how many
 *
 * Records the cells' metadata, the timestamp the driver took for each
 * frame (or, where it took none, the time now, for that frame), joins the
 * cells of frames longer than a cell (WIRECAP_RX_MORE), completes chunks,
 * hands full chunks to parked CAPTUREs, then gives the freed segments new
 * chunks.
 *
 * Context: the queue's RX context (wirecap_nic.h), bottom halves disabled.
 */
void wirecap_rx_complete(struct wirecap_queue *q,
			 const struct wirecap_rx_done *done, unsigned int n)
{
	struct wirecap_pool *p;
	bool filled = false;
	unsigned int i;

	spin_lock(&q->lock);
	p = q->pool;
	if (!p) {
		spin_unlock(&q->lock);
		return;
	}
	for (i = 0; i < n; i++) {
		const struct wirecap_rx_done *d = &done[i];
		struct wirecap_cell_meta *meta;
		struct wirecap_chunk *c;

		if (WARN_ON_ONCE(d->cell >= p->r * p->m))
			continue;
		c = &p->chunks[d->cell / p->m];
		if (WARN_ON_ONCE(c->state != WC_CHUNK_ATTACHED ||
				 __test_and_set_bit(d->cell, p->filled_map)))
			continue;
		c->filled++;
		meta = &p->meta[d->cell];
		meta->hash = d->hash;
		meta->ts_ns = d->ts_ns ?: wirecap_rx_now();
		if (unlikely(d->flags & WIRECAP_RX_SKIP))
			filled |= rx_skip(q, p, c, meta);
		else if (q->rx.head != U32_MAX)
			filled |= rx_cont(q, p, c, d, meta);
		else
			filled |= rx_first(q, p, c, d, meta);
	}
	if (filled)
		wirecap_ctrl_sync(p);
	spin_unlock(&q->lock);

	wirecap_capture_wake(q, filled);
	if (filled)
		wirecap_rx_refill(q);
}
EXPORT_SYMBOL_GPL(wirecap_rx_complete);

/**
 * wirecap_rx_cut() - the frame being filled across cells gets no more
 * @q: the queue
 *
 * For a NIC reset (or a lost descriptor) in the middle of a frame whose
 * cells were reported with WIRECAP_RX_MORE: the frame is counted as
 * received in error (rx_errors), and the next cell reported starts a new
 * frame. Nothing happens when no frame is open.
 *
 * Context: the queue's RX context, bottom halves disabled.
 */
void wirecap_rx_cut(struct wirecap_queue *q)
{
	struct wirecap_pool *p;
	bool filled = false;

	spin_lock(&q->lock);
	p = q->pool;
	if (p && q->rx.head != U32_MAX)
		filled = rx_close(q, p, NULL, true);
	q->rx.head = U32_MAX;
	if (filled)
		wirecap_ctrl_sync(p);
	spin_unlock(&q->lock);

	wirecap_capture_wake(q, filled);
	if (filled)
		wirecap_rx_refill(q);
}
EXPORT_SYMBOL_GPL(wirecap_rx_cut);

void wirecap_rx_dropped(struct wirecap_queue *q, u64 packets, bool oversize)
{
	spin_lock(&q->lock);
	if (oversize)
		q->stats.oversize_drops += packets;
	else
		q->stats.capture_drops += packets;
	spin_unlock(&q->lock);
}
EXPORT_SYMBOL_GPL(wirecap_rx_dropped);
