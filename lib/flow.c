// SPDX-License-Identifier: BSD-2-Clause
/*
 * Flow mode (WIRECAP_MODE_FLOW): buddy offloading that never splits a
 * flow between two threads at once, and keeps each flow's order.
 *
 * Buddy offloading (offload.c) moves whole chunks: the packets of one
 * flow end up processed by two threads, which a stateful application (an
 * IDS keeps each flow's state in one thread) cannot use. Here the unit
 * that moves is a flow, and the chunk is not copied:
 *
 *   - Each queue q has a flow table of WC_FLOW_BUCKETS buckets. A packet
 *     is in the bucket of its hash: the NIC's RSS hash where the cell has
 *     one (WIRECAP_CELL_HASH), a hash of its addresses and ports
 *     otherwise (wc_flow_hash). Every packet of a flow is in one bucket;
 *     flows that share a bucket travel together. Each bucket is owned by
 *     one member of q's group: q itself (position 0) or a buddy.
 *   - When q's capture thread moves a view into the capture queues, it
 *     sorts the view's packets by their bucket's owner (fidx, fstart in
 *     internal.h, order kept within each owner's share) and puts the
 *     view into the capture queue of every owner that has packets in
 *     it, marking each in the view's fview word. Each reader reads only
 *     its share (wirecap_chunk_count, wirecap_chunk_pkt); the last one to
 *     release the view gives it back (wc_flow_put). Zero copy, as before.
 *   - Migration. When an owner's capture queue holds more than T % of its
 *     R chunks (the advanced mode's threshold) and another member's is
 *     less busy, q's thread gives that member the heaviest buckets of the
 *     busy one, up to half the difference of the two members' packets
 *     in q's table (counts decay: halved every WC_FLOW_DECAY views); a
 *     bucket heavier than that does not move (one flow beyond a thread's
 *     capacity cannot be balanced by any flow-affine scheme: its drops
 *     are the pool's capture_drops, as in basic mode). A moved bucket
 *     stays put for WC_FLOW_HOLD views, and the next migration waits
 *     WC_FLOW_QUIET views after one completed, so flows do not bounce.
 *   - Order: a per-flow barrier, not idle-flow migration. From the
 *     decision on, the moved buckets' packets are the new owner's, but q
 *     holds back every view it would give the new owner (defer[]) until
 *     the old owner released the last view that held a packet of a moved
 *     bucket (the barrier: its fview bit cleared, or the view recycled
 *     and stamped anew). Then they go, in order. Why not wait for flows
 *     to fall idle (as DPDK's DSW does): the flows worth moving are the
 *     heavy ones of an overloaded owner, and those always have packets
 *     in its backlog; they would never be idle while moving them helps.
 *     The barrier assumes an owner releases the views it reads in the
 *     order it took them (as wirecap_dispatch and the pcap shim do); one
 *     that processes a later view's packets before an earlier one's
 *     reorders its own flows anyway. One migration at a time per queue.
 *   - The backlog moves too (steal). Waiting for the whole backlog of
 *     an overloaded owner pins the pool: measured, the views held back
 *     reached 28 of 32 chunks and the pool overflowed. So the views
 *     still waiting in the old owner's capture queue, not yet taken by
 *     its reader, are split at the decision: their packets of the moved
 *     buckets become the new owner's (fsteal, fsidx; the view gets the
 *     new owner's holder bit), held back with the views published from
 *     then on. Newest first, down to the first view the reader took or
 *     that cannot be split (the new owner holds it already; split
 *     before): the old owner's packets of a flow in a view it keeps
 *     come before that flow's packets in any later view. The barrier is
 *     then that view, or the last one the reader took. A reader marks a
 *     view taken (WC_FV_TAKEN, wc_flow_took) before it lets go of its
 *     slot and before it reads its share, and a split needs that bit
 *     clear (one CAS on fview): no share changes under a reader.
 *
 * Everything here but wc_flow_put(), wc_flow_took() and wc_flow_hash()
 * runs in q's capture thread, which alone writes q's table; readers only
 * set and clear their fview bits and store their took[]. A member that fails or is detached loses its buckets to q itself
 * (position 0) at the next view, and what was held back for it is
 * released in its name. Not done: that takeover waits for no barrier, so
 * a failed member's reader may still read earlier packets of those flows
 * while q's reads later ones (a failure only: a detached member's views
 * were released in its name). A migration's barrier waits for the old
 * owner's reader whether it failed or not; one that stops reading
 * without detaching stalls q's migration, and in time q, until close.
 */
#include <stdlib.h>
#include <string.h>

#include "internal.h"

static uint32_t roundup_pow2(uint32_t v)
{
	uint32_t p = 1;

	while (p < v)
		p <<= 1;
	return p;
}

/* The bucket of a hash: its high bits after a multiplication. */
static inline unsigned int bucket_of(uint32_t h)
{
	return (h * 0x9e3779b1u) >> 22;		/* 2^10 buckets */
}

_Static_assert(WC_FLOW_BUCKETS == 1u << 10, "bucket_of() makes 10 bits");

static inline uint32_t mix(uint32_t h, uint32_t v)
{
	h ^= v;
	h *= 0x85ebca6bu;
	return h ^ (h >> 13);
}

static inline uint32_t rd32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	       (uint32_t)p[2] << 8 | p[3];
}

/**
 * wc_flow_hash() - a hash of a frame's flow, for frames without the NIC's
 * @data: the frame, from its Ethernet header
 * @len: its length
 *
 * IPv4 and IPv6 (after up to two VLAN tags): the addresses and, for TCP,
 * UDP and SCTP that are not a fragment, the ports and the protocol;
 * any other frame: its Ethernet addresses and type. So all packets of a
 * flow, as RSS sees one, have the same hash. Any thread.
 *
 * Return: the hash.
 */
uint32_t wc_flow_hash(const uint8_t *data, uint32_t len)
{
	uint32_t off = 12, h = 0x2545f491u, type, i, l4 = 0, proto = 256;

	if (len < 14) {
		for (i = 0; i < len; i++)
			h = mix(h, data[i]);
		return h;
	}
	type = (uint32_t)data[12] << 8 | data[13];
	while ((type == 0x8100 || type == 0x88a8) && off + 6 <= len) {
		off += 4;
		type = (uint32_t)data[off] << 8 | data[off + 1];
	}
	off += 2;
	if (type == 0x0800 && off + 20 <= len) {
		const uint8_t *ip = data + off;
		uint32_t ihl = (ip[0] & 15) * 4u;
		uint32_t frag = ((uint32_t)ip[6] << 8 | ip[7]) & 0x3fff;

		h = mix(mix(h, rd32(ip + 12)), rd32(ip + 16));
		if (!frag && ihl >= 20) {
			proto = ip[9];
			l4 = off + ihl;
		}
	} else if (type == 0x86dd && off + 40 <= len) {
		const uint8_t *ip = data + off;

		for (i = 8; i < 40; i += 4)
			h = mix(h, rd32(ip + i));
		proto = ip[6];
		l4 = off + 40;
	} else {
		for (i = 0; i < 12; i += 4)
			h = mix(h, rd32(data + i));
		return mix(h, type);
	}
	if ((proto == 6 || proto == 17 || proto == 132) && l4 + 4 <= len)
		h = mix(mix(h, proto), rd32(data + l4));
	return h;
}

/* Is member p's capture queue there to take views? */
static bool member_live(const struct wc_flowtab *ft, unsigned int p)
{
	return wc_queue_live(ft->m[p]);
}

/* Free entries of member p's capture queue in the lane of q's thread. */
static uint32_t member_room(struct wirecap_queue *q, unsigned int p)
{
	struct wc_lane *l = &q->ft->m[p]->capq.lane[q->thread->index];

	return l->r.slots ? wc_ring_free(&l->r) : 0;
}

static bool holding_back(const struct wc_flowtab *ft, unsigned int p)
{
	return ft->state != WC_FLOW_IDLE && p == ft->to;
}

/* After owners changed: which members own a bucket now. */
static void owners_update(struct wc_flowtab *ft)
{
	unsigned int i;

	ft->owning = 0;
	for (i = 0; i < WC_FLOW_BUCKETS; i++)
		ft->owning |= 1u << ft->e[i].owner;
}

/*
 * Views q may move now: each may go to every live member that owns a
 * bucket, so the least room among them (the member views are held back
 * for excepted, and defer[] is as big as views can be out). Members that
 * own none take nothing of q's: their capture queues, which other queues
 * of q's thread fill too, do not hold q back.
 */
uint32_t wc_flow_room(struct wirecap_queue *q)
{
	struct wc_flowtab *ft = q->ft;
	uint32_t room = UINT32_MAX;
	unsigned int p;

	for (p = 0; p < ft->nm; p++)
		if ((ft->owning & (1u << p)) && member_live(ft, p) &&
		    !holding_back(ft, p))
			room = wc_min_u32(room, member_room(q, p));
	/* none (q's own lane is there while q is live): q's room */
	return room == UINT32_MAX ? member_room(q, 0) : room;
}

/* Member p's packets in view d of q's pool (split or as published). */
static unsigned int share(const struct wirecap_queue *q,
			  const struct wirecap_desc *d, unsigned int p)
{
	return wc_flow_count(q, d, p);
}

/* View d waits for the new owner of a migration, after those before it. */
static void hold(struct wc_flowtab *ft, const struct wirecap_desc *d)
{
	ft->defer[ft->dtail++ & (ft->dsize - 1)] = *d;
	wc_add(&ft->held, 1);
	if (ft->dtail - ft->dhead > ft->held_max)
		wc_add(&ft->held_max, 1);
}

/* The bucket of packet i of view d of q's pool. */
static unsigned int pkt_bucket(const struct wirecap_queue *q,
			       const struct wirecap_desc *d, unsigned int i)
{
	const size_t base = (size_t)d->chunk_id * q->info.cells_per_chunk;
	unsigned int c = wc_view_cell(q, d, i);
	const struct wirecap_cell_meta *m = &q->meta[base + c];
	uint32_t h = m->hash;

	if (!(m->flags & WIRECAP_CELL_HASH)) {
		size_t at = (size_t)c * q->info.cell_size +
			    q->info.frame_offset;

		/* the headers, within the chunk whatever len says */
		h = wc_flow_hash(q->pool + d->chunk_id * q->chunk_bytes + at,
				 at < q->chunk_bytes ?
				 (uint32_t)wc_min_u32(m->len,
						      q->chunk_bytes - at) : 0);
	}
	return bucket_of(h);
}

/*
 * Publish view d of q's pool, stamped fview, into member p's queue; a
 * buddy's share counts as offloaded out (when given, not when held back).
 */
static void give(struct wirecap_queue *q, unsigned int p,
		 const struct wirecap_desc *d)
{
	struct wirecap_queue *b = q->ft->m[p];
	struct wc_ring *r = &b->capq.lane[q->thread->index].r;
	uint32_t idx;

	/* room was checked (wc_flow_room, or by the caller) */
	if (!wc_ring_reserve(r, 1, &idx))
		return;
	*(struct wirecap_desc *)wc_ring_slot(r, idx) = *d;
	wc_ring_submit(r, 1);
	wc_wake(&b->waiter);
	if (p) {
		wc_add(&q->ts.offl_out, 1);
		wc_add(&q->ts.offl_out_pkts, share(q, d, p));
	}
}

/*
 * Member p left (failed, or detached) and will not read view d, held
 * back for it: q's thread releases it in p's name and, if p was the last
 * holder, gives it back itself, straight into its next RECYCLE (not
 * through a recycle lane: those have other producers). False when that
 * batch has no room now (nothing done; again next round).
 */
static bool put_for(struct wirecap_queue *q, unsigned int p,
		    const struct wirecap_desc *d)
{
	bool dup = false;

	if (q->rec_busy || q->rec_n >= WC_RECYCLE_BATCH)
		return false;
	/* p's packets in it are read by nobody: counted */
	wc_add(&q->ft->lost_pkts, share(q, d, p));
	if (wc_flow_put(q, q->ft->m[p], d, &dup)) {
		q->rec_buf[q->rec_n++] = *d;
		wc_add(&q->ts.returned, 1);
	}
	return true;
}

/**
 * wc_flow_publish() - move one view of q's pool to its readers
 * @q: a queue in flow mode; called by its capture thread
 * @d: the view, as the kernel published it (capture.c checked it)
 *
 * Sorts the view's packets by owner, stamps it with its holders and puts
 * it into their capture queues (the new owner's deferred while a
 * migration waits for its barrier).
 *
 * Return: 1 when it went, 0 when a holder had no room (nothing done), or
 * -EPROTO from wc_view_index().
 */
int wc_flow_publish(struct wirecap_queue *q, const struct wirecap_desc *d)
{
	struct wc_flowtab *ft = q->ft;
	const size_t base = (size_t)d->chunk_id * q->info.cells_per_chunk;
	const size_t v = base + d->first_cell;
	unsigned int cnt[WC_FLOW_MAXM] = { 0 }, at[WC_FLOW_MAXM];
	unsigned int nm = ft->nm, p, i;
	uint16_t *bkt = ft->bkt;
	uint16_t *st = &q->fstart[v * (nm + 1)];
	uint32_t mask = 0;
	int pkts = d->pkt_count;

	if (q->view_cell)
		pkts = wc_view_index(q, d);
	if (pkts < 0)
		return pkts;
	/* whose is each packet: a member that left loses its buckets */
	for (i = 0; i < (unsigned int)pkts; i++) {
		struct wc_flow *e;

		bkt[i] = (uint16_t)pkt_bucket(q, d, i);
		e = &ft->e[bkt[i]];
		if (e->owner && !member_live(ft, e->owner)) {
			/*
			 * A migration's new owner left: the flows go back to
			 * the old owner, which has their earlier packets.
			 */
			e->owner = ft->state != WC_FLOW_IDLE &&
				   e->owner == ft->to &&
				   member_live(ft, ft->from) ? ft->from : 0;
			ft->owning |= 1u << e->owner;
		}
		cnt[e->owner]++;
	}
	for (p = 0; p < nm; p++)
		if (cnt[p])
			mask |= 1u << p;
	if (!mask)
		mask = 1;	/* no packet (all CONT): ours to give back */
	for (p = 0; p < nm; p++)
		if ((mask & (1u << p)) && !holding_back(ft, p) &&
		    !member_room(q, p))
			return 0;
	/* the view's packets by owner, each owner's in the view's order */
	st[0] = 0;
	for (p = 0; p < nm; p++) {
		at[p] = st[p];
		st[p + 1] = (uint16_t)(st[p] + cnt[p]);
	}
	for (i = 0; i < (unsigned int)pkts; i++) {
		struct wc_flow *e = &ft->e[bkt[i]];

		q->fidx[v + at[e->owner]++] = (uint16_t)i;
		if (e->count < UINT16_MAX)
			e->count++;
		e->v = (uint32_t)v;
		e->seq = d->seq;
		e->seen = 1;
	}
	/* the holders, before any reader can see it (the submits release) */
	__atomic_store_n(&q->fview[v], (uint64_t)d->seq << 32 | mask,
			 __ATOMIC_RELAXED);
	for (p = 0; p < nm; p++) {
		if (!(mask & (1u << p)))
			continue;
		if (holding_back(ft, p))
			hold(ft, d);
		else
			give(q, p, d);
	}
	ft->nviews++;
	if (++ft->views >= WC_FLOW_DECAY) {
		ft->views = 0;
		for (i = 0; i < WC_FLOW_BUCKETS; i++)
			ft->e[i].count >>= 1;
	}
	return 1;
}

/*
 * Has the old owner released the last view of a moved bucket? Whether
 * it failed or not: a failed queue's reader still reads what its capture
 * queue holds, and a detached one's were released in its name.
 */
static bool barrier_passed(const struct wirecap_queue *q)
{
	const struct wc_flowtab *ft = q->ft;
	uint64_t w;

	w = __atomic_load_n(&q->fview[ft->bar_v], __ATOMIC_ACQUIRE);
	return (uint32_t)(w >> 32) != ft->bar_seq ||
	       !(w & (1u << ft->from));
}

/* The views held back for the new owner go to it, in order, while room. */
static void flush(struct wirecap_queue *q)
{
	struct wc_flowtab *ft = q->ft;
	bool live = member_live(ft, ft->to);

	while (ft->dhead != ft->dtail) {
		const struct wirecap_desc *d =
			&ft->defer[ft->dhead & (ft->dsize - 1)];

		if (!live) {
			if (!put_for(q, ft->to, d))
				return;
		} else {
			if (!member_room(q, ft->to))
				return;
			give(q, ft->to, d);
		}
		ft->dhead++;
	}
	/* the owners' queues show the new shares before the next move */
	ft->quiet_until = ft->nviews + WC_FLOW_QUIET;
	wc_add(&ft->bar_views, ft->nviews - ft->bar_from);
	__atomic_store_n(&ft->state, WC_FLOW_IDLE, __ATOMIC_RELAXED);
}

/*
 * q was detached: what it held back for a new owner will never be read.
 * Released in the new owner's name; the last holder's counts as back
 * (the DETACH takes the chunks back, as it does those in recycle lanes).
 */
static void forget(struct wirecap_queue *q)
{
	struct wc_flowtab *ft = q->ft;
	bool dup;

	while (ft->dhead != ft->dtail) {
		const struct wirecap_desc *d =
			&ft->defer[ft->dhead & (ft->dsize - 1)];

		wc_add(&ft->lost_pkts, share(q, d, ft->to));
		if (wc_flow_put(q, ft->m[ft->to], d, &dup))
			wc_add(&q->ts.returned, 1);
		ft->dhead++;
	}
	__atomic_store_n(&ft->state, WC_FLOW_IDLE, __ATOMIC_RELAXED);
}

/* A bucket, by its count, for sorting the heaviest first. */
struct cand {
	uint16_t count, b;
};

static int by_count(const void *a, const void *b)
{
	const struct cand *x = a, *y = b;

	return (int)y->count - (int)x->count;
}

/* Member p's capture queue: its length and R. */
static void load_of(const struct wc_flowtab *ft, unsigned int p,
		    uint32_t *len, uint32_t *r)
{
	*len = wc_lanes_count(&ft->m[p]->capq);
	*r = ft->m[p]->info.nr_chunks;
}

enum { SPLIT_NONE, SPLIT_KEPT, SPLIT_DONE };

/*
 * Split view d of q's pool, waiting in member a's capture queue: its
 * packets of the buckets the migration stamped @stamp just gave to b go
 * to b. Only while a has not taken it (its WC_FV_TAKEN bit, set before
 * a reads its share), b neither holds nor took it (b reads one share of
 * a view) and it was not split before. SPLIT_NONE: a has no packet of them in
 * it; SPLIT_KEPT: a has, and keeps them (a barrier for b); SPLIT_DONE:
 * b has them now (the view is b's to hold, b's bit set).
 */
static int split(struct wirecap_queue *q, const struct wirecap_desc *d,
		 unsigned int a, unsigned int b, uint32_t stamp)
{
	struct wc_flowtab *ft = q->ft;
	const size_t v = (size_t)d->chunk_id * q->info.cells_per_chunk +
			 d->first_cell;
	const uint16_t *st = &q->fstart[v * (ft->nm + 1)];
	/* b read (or reads) a share of it: it gets no second one */
	const uint64_t stop = WC_FV_TAKEN(a) | WC_FV_TAKEN(b) | WC_FV_STOLEN |
			      1ull << b;
	unsigned int n, i, ka = 0, kb = 0, x;
	uint64_t w = __atomic_load_n(&q->fview[v], __ATOMIC_ACQUIRE);
	struct wc_flow *e;

	if ((uint32_t)(w >> 32) != d->seq || !(w & 1ull << a))
		return SPLIT_NONE;	/* not a's any more */
	/* a's share as a reads it: split already, or as published */
	n = wc_flow_count(q, d, a);
	for (i = 0; i < n; i++) {
		e = &ft->e[pkt_bucket(q, d, wc_flow_pkt(q, d, a, i))];
		kb += e->owner == b && e->moved_at == stamp;
	}
	if (!kb)
		return SPLIT_NONE;
	if (w & stop)
		return SPLIT_KEPT;
	/* not split (stop): the share is fidx's; a's first, then b's */
	for (i = 0; i < n; i++) {
		x = q->fidx[v + st[a] + i];
		e = &ft->e[pkt_bucket(q, d, x)];
		if (e->owner == b && e->moved_at == stamp)
			q->fsidx[v + (n - kb) + i - ka] = (uint16_t)x;
		else
			q->fsidx[v + ka++] = (uint16_t)x;
	}
	q->fsteal[v] = (struct wc_steal){ (uint8_t)a, (uint8_t)b,
					  (uint16_t)ka, (uint16_t)kb };
	/* release: the split before the flag; fails once a took it */
	do {
		if ((uint32_t)(w >> 32) != d->seq || !(w & 1ull << a))
			return SPLIT_NONE;	/* not a's any more */
		if (w & stop)
			return SPLIT_KEPT;
	} while (!__atomic_compare_exchange_n(&q->fview[v], &w,
					      w | 1ull << b | WC_FV_STOLEN,
					      false, __ATOMIC_ACQ_REL,
					      __ATOMIC_ACQUIRE));
	return SPLIT_DONE;
}

/*
 * The migration just decided moved buckets (stamped @stamp) from member
 * a to b: the views of q's pool still waiting in a's capture queue are
 * split, their packets of the moved buckets b's, held back like the
 * views published from now on. Newest first, down to the first view a
 * took already or must keep: a flow's packets in a view a keeps come
 * before those in any later view, so only the views after it may be
 * split (a takes views oldest first: once one is taken, so are those
 * before it). b then waits for that view (the barrier), or for the last
 * view a took, whatever it holds (a releases in order). Returns false
 * when there is none.
 */
static bool steal(struct wirecap_queue *q, unsigned int a, unsigned int b,
		  uint32_t stamp)
{
	struct wc_flowtab *ft = q->ft;
	struct wc_ring *r = &ft->m[a]->capq.lane[q->thread->index].r;
	uint32_t i, cons, n = 0, prod = __atomic_load_n(&r->prod,
							 __ATOMIC_RELAXED);
	bool bar = false;
	uint64_t t;

	if (!r->slots)
		return false;	/* no lane: a has no view of q's pool */
	/* acquire: a's took[] and WC_FV_TAKEN bits of views it took */
	cons = __atomic_load_n(&r->cons, __ATOMIC_ACQUIRE);
	t = __atomic_load_n(&ft->took[a], __ATOMIC_ACQUIRE);
	for (i = prod; i != cons && !bar; i--) {
		const struct wirecap_desc *d = wc_ring_slot(r, i - 1);

		if (wc_owner(q->w, d) != q)
			continue;
		switch (split(q, d, a, b, stamp)) {
		case SPLIT_DONE:
			/* a buddy's share was counted out when given */
			if (a)
				wc_add(&q->ts.offl_out_pkts,
				       -(uint64_t)q->fsteal[(size_t)d->chunk_id *
						q->info.cells_per_chunk +
						d->first_cell].kto);
			ft->sbuf[n++] = *d;
			break;
		case SPLIT_KEPT:
			ft->bar_v = (uint32_t)((size_t)d->chunk_id *
					       q->info.cells_per_chunk +
					       d->first_cell);
			ft->bar_seq = d->seq;
			bar = true;
			break;
		}
	}
	if (!bar && t) {
		ft->bar_v = (uint32_t)t - 1;
		ft->bar_seq = (uint32_t)(t >> 32);
		bar = true;
	}
	/* held back oldest first, before any view published from now on */
	while (n) {
		hold(ft, &ft->sbuf[--n]);
		wc_add(&ft->stolen, 1);
	}
	return bar;
}

/*
 * The busiest member above T that owns packets of q's table gives its
 * heaviest buckets to the least busy member, if that one is less busy:
 * up to half the difference of their packets here, which evens them out
 * without turning the one that takes them into the busiest.
 */
static void migrate(struct wirecap_queue *q)
{
	struct wc_flowtab *ft = q->ft;
	uint64_t owned[WC_FLOW_MAXM] = { 0 }, moved = 0;
	uint32_t len[WC_FLOW_MAXM], r[WC_FLOW_MAXM];
	struct cand c[WC_FLOW_BUCKETS];
	unsigned int p, a = WC_FLOW_MAXM, b = WC_FLOW_MAXM, i, n = 0, k = 0;
	uint32_t stamp = ft->nviews ? ft->nviews : 1;
	struct wc_flow *last = NULL;

	if ((int32_t)(ft->nviews - ft->quiet_until) < 0)
		return;
	/*
	 * Once per view published, or per WC_FLOW_RELOOK rounds without
	 * one: the thread's rounds come much faster than views when a
	 * queue is busy, and a look costs two passes over the table; but
	 * a queue whose pool is all in its reader's capture queue
	 * publishes nothing until the reader reads, while the other
	 * members' queues, which decide, change.
	 */
	if (ft->looked_at == ft->nviews + 1 &&
	    ++ft->rounds_since_look < WC_FLOW_RELOOK)
		return;
	ft->looked_at = ft->nviews + 1;
	ft->rounds_since_look = 0;
	for (i = 0; i < WC_FLOW_BUCKETS; i++)
		owned[ft->e[i].owner] += ft->e[i].count;
	for (p = 0; p < ft->nm; p++) {
		if (!member_live(ft, p))
			continue;
		load_of(ft, p, &len[p], &r[p]);
		if (owned[p] && (uint64_t)len[p] * 100 >
				(uint64_t)q->w->opts.offload_pct * r[p] &&
		    (a == WC_FLOW_MAXM ||
		     (uint64_t)len[p] * r[a] > (uint64_t)len[a] * r[p]))
			a = p;
	}
	if (a == WC_FLOW_MAXM)
		return;
	for (p = 0; p < ft->nm; p++)
		if (p != a && member_live(ft, p) &&
		    (uint64_t)len[p] * r[a] < (uint64_t)len[a] * r[p] &&
		    (b == WC_FLOW_MAXM ||
		     (uint64_t)len[p] * r[b] < (uint64_t)len[b] * r[p]))
			b = p;
	if (b == WC_FLOW_MAXM)
		return;
	/* not the buckets that moved lately: no flow ping-pongs */
	for (i = 0; i < WC_FLOW_BUCKETS; i++)
		if (ft->e[i].owner == a && ft->e[i].count &&
		    (!ft->e[i].moved_at ||
		     ft->nviews - ft->e[i].moved_at >= WC_FLOW_HOLD))
			c[n++] = (struct cand){ ft->e[i].count, (uint16_t)i };
	qsort(c, n, sizeof(*c), by_count);
	for (i = 0; i < n; i++) {
		struct wc_flow *e = &ft->e[c[i].b];

		if (2 * (moved + e->count) + owned[b] > owned[a])
			continue;	/* too heavy to move now */
		moved += e->count;
		e->owner = (uint8_t)b;
		e->moved_at = stamp;
		k++;
		/* the latest view of a moved bucket is the barrier */
		if (e->seen && (!last || (int32_t)(e->seq - last->seq) > 0))
			last = e;
	}
	if (!k) {
		/* all too heavy (one elephant): look again a little later */
		ft->quiet_until = ft->nviews + WC_FLOW_QUIET;
		return;
	}
	owners_update(ft);
	wc_add(&ft->moved, k);
	wc_add(&ft->rounds, 1);
	ft->from = (uint8_t)a;
	ft->to = (uint8_t)b;
	if (!last) {
		/* no packet of them is out: nothing to wait for */
		ft->quiet_until = ft->nviews + WC_FLOW_QUIET;
		return;
	}
	ft->bar_from = ft->nviews;
	/* with no barrier, what was split goes to b at the next tick */
	__atomic_store_n(&ft->state, steal(q, a, b, stamp) ? WC_FLOW_BARRIER :
			 WC_FLOW_FLUSH, __ATOMIC_RELAXED);
}

/**
 * wc_flow_tick() - a round of q's capture thread, in flow mode
 * @q: the queue (running: live, or detached and not yet closed)
 *
 * A migration waiting for its barrier goes on once it passed (the views
 * held back go to the new owner); with none in progress, one may begin.
 * Detached, q lets go of what it held back.
 */
void wc_flow_tick(struct wirecap_queue *q)
{
	struct wc_flowtab *ft = q->ft;

	if (__atomic_load_n(&q->detached, __ATOMIC_ACQUIRE)) {
		forget(q);
		return;
	}
	switch (ft->state) {
	case WC_FLOW_BARRIER:
		if (!barrier_passed(q))
			return;
		__atomic_store_n(&ft->state, WC_FLOW_FLUSH, __ATOMIC_RELAXED);
		/* fall through */
	case WC_FLOW_FLUSH:
		flush(q);
		return;
	default:
		migrate(q);
	}
}

/* Would wc_flow_tick() get on with a migration now? (Before sleeping.) */
bool wc_flow_due(struct wirecap_queue *q)
{
	struct wc_flowtab *ft = q->ft;

	switch (ft->state) {
	case WC_FLOW_BARRIER:
		return barrier_passed(q);
	case WC_FLOW_FLUSH:
		/* put_for() waits for a batch with room, like recycle_prep */
		if (!member_live(ft, ft->to))
			return !q->rec_busy && q->rec_n < WC_RECYCLE_BATCH;
		return member_room(q, ft->to);
	default:
		return false;
	}
}

/*
 * Buddy @via detaches with view d of @owner's pool unread: its share,
 * counted offloaded out when given, is read by nobody. Any thread.
 */
void wc_flow_unread(struct wirecap_queue *owner, struct wirecap_queue *via,
		    const struct wirecap_desc *d)
{
	unsigned int p = wc_flow_pos(owner, via);

	if (p && p < owner->ft->nm && d->chunk_id < owner->info.nr_chunks &&
	    d->first_cell < owner->info.cells_per_chunk)
		__atomic_fetch_add(&owner->ft->lost_unread,
				   share(owner, d, p), __ATOMIC_RELAXED);
}

/**
 * wc_flow_put() - a holder lets go of a view of owner's pool
 * @owner: the pool's queue (flow mode)
 * @via: the queue it was read from (the holder)
 * @d: the view as published
 * @dup: set when @via did not hold it (released twice, or an old copy)
 *
 * Any thread: the reader of @via, or the capture thread in its name.
 *
 * Return: true when @via was the last holder: the caller gives the view
 * back (wc_chunk_return), once.
 */
bool wc_flow_put(struct wirecap_queue *owner, struct wirecap_queue *via,
		 const struct wirecap_desc *d, bool *dup)
{
	size_t v = (size_t)d->chunk_id * owner->info.cells_per_chunk +
		   d->first_cell;
	unsigned int p = wc_flow_pos(owner, via);
	uint64_t w, bit;

	*dup = false;
	if (p >= owner->ft->nm || d->chunk_id >= owner->info.nr_chunks ||
	    d->first_cell >= owner->info.cells_per_chunk) {
		*dup = true;
		return false;
	}
	bit = 1ull << p;
	w = __atomic_load_n(&owner->fview[v], __ATOMIC_RELAXED);
	do {
		if ((uint32_t)(w >> 32) != d->seq || !(w & bit)) {
			*dup = true;
			return false;
		}
		/*
		 * Release: our reads of the view before its reuse; acquire:
		 * the last holder, who gives it back, after the others' reads.
		 */
	} while (!__atomic_compare_exchange_n(&owner->fview[v], &w, w & ~bit,
					      false, __ATOMIC_ACQ_REL,
					      __ATOMIC_RELAXED));
	if ((w & ~bit) & WC_FV_HOLDERS) {
		/*
		 * A migration may be waiting for this: wake its thread. The
		 * fence orders our CAS before the load of state, as the
		 * thread's (wc_kick_prepare) orders its store of state before
		 * its look at fview: one of us sees the other.
		 */
		__atomic_thread_fence(__ATOMIC_SEQ_CST);
		if (__atomic_load_n(&owner->ft->state, __ATOMIC_RELAXED) ==
		    WC_FLOW_BARRIER)
			wc_kick(&owner->thread->kick);
	}
	return !((w & ~bit) & WC_FV_HOLDERS);
}

/**
 * wc_flow_took() - a reader takes a view of owner's pool
 * @owner: the pool's queue (flow mode)
 * @via: the queue it is read from (the reader's)
 * @d: the view as published
 *
 * Called by the reader of @via with the view's slot still in its
 * capture queue: from now on no migration splits the view under it
 * (steal), and a migration that finds the slot gone sees the view as
 * the reader's last (the barrier).
 */
void wc_flow_took(struct wirecap_queue *owner, struct wirecap_queue *via,
		  const struct wirecap_desc *d)
{
	size_t v = (size_t)d->chunk_id * owner->info.cells_per_chunk +
		   d->first_cell;
	unsigned int p = wc_flow_pos(owner, via);

	if (p >= owner->ft->nm || d->chunk_id >= owner->info.nr_chunks ||
	    d->first_cell >= owner->info.cells_per_chunk)
		return;
	__atomic_fetch_or(&owner->fview[v], WC_FV_TAKEN(p), __ATOMIC_ACQ_REL);
	/* v + 1: 0 is none */
	__atomic_store_n(&owner->ft->took[p], (uint64_t)d->seq << 32 | (v + 1),
			 __ATOMIC_RELEASE);
}

/*
 * Closing, threads paused (the capture thread moves nothing): the views
 * held back for a new owner are released in its name.
 */
void wc_flow_drain(struct wirecap_queue *q)
{
	struct wc_flowtab *ft = q->ft;

	if (!ft)
		return;
	while (ft->dhead != ft->dtail) {
		const struct wirecap_desc *d =
			&ft->defer[ft->dhead & (ft->dsize - 1)];
		struct wirecap_queue *to = ft->m[ft->to];
		struct wc_ring *r = &q->recq.lane[to->index].r;
		bool dup;
		uint32_t idx;

		/* the closer is every reader now: to's lane is its own */
		if (wc_flow_put(q, to, d, &dup) &&
		    wc_ring_reserve(r, 1, &idx)) {
			*(struct wirecap_desc *)wc_ring_slot(r, idx) = *d;
			wc_ring_submit(r, 1);
		}
		ft->dhead++;
	}
	ft->state = WC_FLOW_IDLE;
}

/*
 * Flow mode's state of q, once its buddies and views_max are known
 * (wc_queue_rings): 0, -ENOMEM, or -E2BIG for more members than
 * WC_FLOW_MAXM.
 */
int wc_flow_alloc(struct wirecap_queue *q)
{
	struct wirecap *w = q->w;
	size_t cells = (size_t)q->info.nr_chunks * q->info.cells_per_chunk;
	struct wc_flowtab *ft;
	unsigned int i;

	if (q->nbuddies + 1 > WC_FLOW_MAXM)
		return -E2BIG;
	ft = calloc(1, sizeof(*ft));
	if (!ft)
		return -ENOMEM;
	q->ft = ft;
	ft->nm = q->nbuddies + 1;
	ft->owning = 1;		/* q owns every bucket */
	ft->m[0] = q;
	for (i = 0; i < q->nbuddies; i++)
		ft->m[i + 1] = w->queues[q->buddies[i]];
	ft->dsize = roundup_pow2(q->views_max);
	ft->defer = calloc(ft->dsize, sizeof(*ft->defer));
	ft->sbuf = calloc(ft->dsize, sizeof(*ft->sbuf));
	ft->bkt = calloc(q->info.cells_per_chunk, sizeof(*ft->bkt));
	q->fpos = malloc(w->nq);
	q->fview = calloc(cells ? cells : 1, sizeof(*q->fview));
	q->fidx = calloc(cells ? cells : 1, sizeof(*q->fidx));
	q->fstart = calloc((cells ? cells : 1) * (ft->nm + 1),
			   sizeof(*q->fstart));
	q->fsteal = calloc(cells ? cells : 1, sizeof(*q->fsteal));
	q->fsidx = calloc(cells ? cells : 1, sizeof(*q->fsidx));
	if (!ft->defer || !ft->sbuf || !ft->bkt || !q->fpos || !q->fview || !q->fidx ||
	    !q->fstart || !q->fsteal || !q->fsidx) {
		wc_flow_free(q);
		return -ENOMEM;
	}
	memset(q->fpos, 0xff, w->nq);
	for (i = 0; i < ft->nm; i++)
		q->fpos[ft->m[i]->index] = (uint8_t)i;
	return 0;
}

void wc_flow_free(struct wirecap_queue *q)
{
	if (q->ft) {
		free(q->ft->defer);
		free(q->ft->sbuf);
		free(q->ft->bkt);
	}
	free(q->ft);
	q->ft = NULL;
	free(q->fpos);
	q->fpos = NULL;
	free(q->fview);
	q->fview = NULL;
	free(q->fidx);
	q->fidx = NULL;
	free(q->fstart);
	q->fstart = NULL;
	free(q->fsteal);
	q->fsteal = NULL;
	free(q->fsidx);
	q->fsidx = NULL;
}
