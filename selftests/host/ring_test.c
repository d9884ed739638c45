// SPDX-License-Identifier: GPL-2.0
/*
 * Host unit tests of the segment engine (drivers/wirecap/ring.c, API in
 * drivers/include/wirecap_ring.h), built against two models:
 *
 *   the core   one pool of R chunks x M cells; a FIFO of waiting segments
 *              that starts 0..K-1; chunks FREE -> ATTACHED -> FULL -> FREE
 *              (recycled by the test, in any order); a segment waits again
 *              once its chunk has all M cells reported; refill gives the
 *              next free chunk to the next waiting segment through
 *              wirecap_ring_post(), also from inside wirecap_rx_complete()
 *              as drivers/wirecap/chunk.c does
 *   the NIC    N descriptors, head RDH and tail RDT: it fills descriptors
 *              from RDH while RDH != RDT, a frame of d descriptors only
 *              when d are free, writing len / EOP / hash / error back,
 *              and for some frames a hardware timestamp;
 *              otherwise it drops the frame and counts it in its MPC. It
 *              can be reset: stop, the glue harvests, the descriptors are
 *              lost, RDH = the engine's ntc, wirecap_ring_restart()
 *
 * The "payload" the model NIC writes into a cell is a side table: the
 * frame's sequence number, which part of it, the descriptor and the order
 * of writing. The model core checks every report against it: the cell is
 * the one posted at that descriptor, reports come in ring order and in
 * the order written, none twice, none lost, the flags and length say what
 * the NIC wrote (frames of several descriptors: every cell but the last
 * MORE with the whole cell's length, the last with the frame's flags; a
 * frame's cells back to back, maybe over several calls; error frames:
 * ERROR on the last cell), and each cell has its
 * own timestamp: the NIC's where it gave one, else a reading of the
 * clock (the test's, wirecap_rx_now()) taken after that descriptor's
 * ->done() and before the next one's. After every step:
 *
 *   posted, unreported cells == written, unreported + what the NIC owns
 *                               (RDT - RDH) + 1 if all K segments are
 *                               posted (the descriptor held back)
 *
 * so the tail never hands the whole ring over (RDH == RDT with every
 * descriptor posted) and never hides a posted one; frames offered ==
 * taken + dropped by the NIC; wirecap_rx_cut() once per frame a reset cut
 * after some of its cells were written, never with no frame open; no
 * oversize drop from the engine.
 */
#include <limits.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ring_host.h"
#include "wirecap_ring.h"
#include "tap.h"

/* the shim's copies against drivers/include/wirecap_nic.h (mk/hosttools.mk) */
#if !defined(NIC_WIRECAP_RX_HASH) || !defined(NIC_WIRECAP_RX_DROP) || \
	!defined(NIC_WIRECAP_RX_ERROR) || !defined(NIC_WIRECAP_RX_MORE)
#error "build with -DNIC_WIRECAP_RX_*=<the values in wirecap_nic.h> (mk/hosttools.mk)"
#endif
_Static_assert(WIRECAP_RX_HASH == NIC_WIRECAP_RX_HASH, "WIRECAP_RX_HASH");
_Static_assert(WIRECAP_RX_DROP == NIC_WIRECAP_RX_DROP, "WIRECAP_RX_DROP");
_Static_assert(WIRECAP_RX_ERROR == NIC_WIRECAP_RX_ERROR, "WIRECAP_RX_ERROR");
_Static_assert(WIRECAP_RX_MORE == NIC_WIRECAP_RX_MORE, "WIRECAP_RX_MORE");

#define CELL_SIZE	2048u

typedef unsigned long long ull;

/* --- WARN_ON_ONCE -------------------------------------------------------- */

static int warns;
static bool warn_expected;

void ring_host_warn(const char *file, int line, const char *cond)
{
	warns++;
	if (!warn_expected)
		tap_diag("WARN %s:%d: %s", file, line, cond);
}

/* --- the clock ----------------------------------------------------------- */

/* Every read of it, ->done()'s included, moves it on by one. */
static ull host_clock;
#define HW_TS_BASE	(1ull << 60)	/* the model NIC's stamps, apart */

u64 wirecap_rx_now(void)
{
	return ++host_clock;
}

/* --- the models ---------------------------------------------------------- */

enum { C_FREE, C_ATTACHED, C_FULL };

/* What the model NIC wrote into a cell. */
struct payload {
	bool valid;
	ull seq;		/* the frame's sequence number */
	u32 part, nparts;
	u32 desc;		/* the descriptor it came through */
	ull wnum;		/* the NIC's write number */
	u32 len, hash;
	bool err, hashed;
};

struct desc {
	dma_addr_t dma;
	bool armed, done;
	u32 len, hash, flags;
	ull wnum;
	ull hw_ts;		/* the NIC's timestamp, or 0 */
	ull done_at;		/* the clock when ->done() found it written */
};

struct model;

struct wirecap_queue {
	struct model *M;
};

struct model {
	u32 n;
	/* the core: one pool */
	u32 m, k, r;
	u32 pool_gen;
	struct wirecap_cell *cells;
	struct payload *pay;
	u8 *reported, *state;
	u32 *seg_of, *nrep;
	u32 *waitq, *freeq, *fullq;
	ull wait_head, wait_tail, free_head, free_tail;
	u32 nfull, attached;
	ull posts;
	bool refill_in_complete;	/* as chunk.c: when a chunk filled */
	bool refill_every_complete;	/* harder: at every report batch */
	/* what was reported */
	ull reports;
	u32 expect_desc;
	ull wraps;
	ull good, err_frames, multi_done, more_cells;
	ull oversize, capture_drops;
	/* the frame whose cells came with MORE so far */
	bool open;
	ull open_seq;
	u32 open_part;
	ull open_at_call_end;		/* calls that ended inside a frame */
	ull rx_cuts, cuts_expected;
	u32 *rep_flags, *rep_len;	/* per descriptor, the last report */
	ull *rep_seq;
	ull prev_stamp;			/* the last report's software stamp */
	/* the NIC */
	struct desc *ring;
	u32 rdh, rdt;
	bool stopped, cut_pending;
	ull offered, accepted, cut, mpc, writes, next_seq;
	ull tail_writes, arms;
	u32 last_write_desc;
	u8 *tail_seen;			/* [n]: tail values written */
	/* the engine */
	struct wirecap_ring eng;
	struct wirecap_queue q;
	/* the first thing that went wrong */
	int nfail;
	char why[512];
};

__attribute__((format(printf, 2, 3)))
static void mfail(struct model *M, const char *fmt, ...)
{
	va_list ap;

	if (!M->nfail++) {
		va_start(ap, fmt);
		vsnprintf(M->why, sizeof(M->why), fmt, ap);
		va_end(ap);
	}
}

static dma_addr_t dma_base(const struct model *M)
{
	return 0x100000000ULL * (M->pool_gen + 1);
}

static u32 nic_owned(const struct model *M)
{
	return (M->rdt - M->rdh) & (M->n - 1);
}

static void mstate(const struct model *M)
{
	tap_diag("  NIC: RDH %u RDT %u (owns %u) MPC %llu, taken %llu of %llu offered; "
		 "engine: M %u K %u ntc %u head_seg %u nposted %u tail %u; "
		 "core: %u attached, %u full, %llu free, %llu reported",
		 M->rdh, M->rdt, nic_owned(M), M->mpc, M->accepted, M->offered,
		 M->eng.m, M->eng.k, M->eng.ntc, M->eng.head_seg,
		 M->eng.nposted, M->eng.tail, M->attached, M->nfull,
		 M->free_tail - M->free_head, M->reports);
	if (M->nfail)
		tap_diag("  first model failure (%d in all): %s", M->nfail,
			 M->why);
}

/* A check that shows the models' state when it fails. */
#define MCHECK(cond) do {						\
	if (!(cond)) {							\
		tap_diag("%s:%d: %s", __FILE__, __LINE__, #cond);	\
		mstate(M);						\
		return 0;						\
	}								\
} while (0)

/* --- the model core ---------------------------------------------------- */

static void core_free(struct model *M)
{
	free(M->cells);
	free(M->pay);
	free(M->reported);
	free(M->state);
	free(M->seg_of);
	free(M->nrep);
	free(M->waitq);
	free(M->freeq);
	free(M->fullq);
}

/* A new pool: every segment waits, every chunk is free. */
static void core_setup(struct model *M, u32 m, u32 r)
{
	u32 i, ncells = r * m;

	core_free(M);
	M->pool_gen++;
	M->m = m;
	M->k = M->n / m;
	M->r = r;
	M->cells = calloc(ncells, sizeof(*M->cells));
	M->pay = calloc(ncells, sizeof(*M->pay));
	M->reported = calloc(ncells, 1);
	M->state = calloc(r, 1);
	M->seg_of = calloc(r, sizeof(u32));
	M->nrep = calloc(r, sizeof(u32));
	M->waitq = calloc(M->k, sizeof(u32));
	M->freeq = calloc(r, sizeof(u32));
	M->fullq = calloc(r, sizeof(u32));
	if (!M->cells || !M->pay || !M->reported || !M->state || !M->seg_of ||
	    !M->nrep || !M->waitq || !M->freeq || !M->fullq) {
		perror("calloc");
		exit(2);
	}
	for (i = 0; i < ncells; i++) {
		M->cells[i].id = i;
		M->cells[i].size = CELL_SIZE;
		M->cells[i].dma = dma_base(M) + (dma_addr_t)i * CELL_SIZE;
	}
	for (i = 0; i < M->k; i++)
		M->waitq[i] = i;
	M->wait_head = 0;
	M->wait_tail = M->k;
	for (i = 0; i < r; i++)
		M->freeq[i] = i;
	M->free_head = 0;
	M->free_tail = r;
	M->nfull = 0;
	M->attached = 0;
	M->expect_desc = 0;
	M->open = false;	/* a frame in progress went with the pool */
}

/* Give free chunks to waiting segments, at most @max of them. */
static void core_refill_max(struct model *M, u32 max)
{
	while (max-- && M->wait_head != M->wait_tail &&
	       M->free_head != M->free_tail) {
		u32 seg = M->waitq[M->wait_head++ % M->k];
		u32 ch = M->freeq[M->free_head++ % M->r];
		u32 i;

		if (M->state[ch] != C_FREE)
			mfail(M, "core: chunk %u on the free list is not free", ch);
		M->state[ch] = C_ATTACHED;
		M->seg_of[ch] = seg;
		M->nrep[ch] = 0;
		for (i = 0; i < M->m; i++) {
			M->reported[ch * M->m + i] = 0;
			M->pay[ch * M->m + i].valid = false;
		}
		M->attached++;
		M->posts++;
		wirecap_ring_post(&M->eng, seg, &M->cells[ch * M->m], M->m);
	}
}

static void core_refill(struct model *M)
{
	core_refill_max(M, UINT_MAX);
}

/* FULL -> FREE: the chunk at position @i of the fill-order list. */
static void core_recycle_at(struct model *M, u32 i)
{
	u32 ch = M->fullq[i];

	memmove(&M->fullq[i], &M->fullq[i + 1],
		(M->nfull - i - 1) * sizeof(u32));
	M->nfull--;
	M->state[ch] = C_FREE;
	M->freeq[M->free_tail++ % M->r] = ch;
}

static void core_recycle_all(struct model *M)
{
	while (M->nfull)
		core_recycle_at(M, 0);
}

/*
 * Cell @c's stamp @ts, of descriptor @dd: the NIC's, or read after its
 * ->done() and before the next descriptor's (reports come in ring order).
 */
static void check_stamp(struct model *M, u32 c, ull ts, const struct desc *dd)
{
	if (M->prev_stamp && M->prev_stamp > dd->done_at)
		mfail(M, "cell %u: the frame before it was stamped at %llu, after this one's ->done() at %llu",
		      c, M->prev_stamp, dd->done_at);
	M->prev_stamp = 0;
	if (dd->hw_ts) {
		if (ts != dd->hw_ts)
			mfail(M, "cell %u: stamp %llu, the NIC's is %llu", c,
			      ts, dd->hw_ts);
		return;
	}
	if (ts <= dd->done_at || ts >= HW_TS_BASE)
		mfail(M, "cell %u: stamp %llu, not a clock reading after its ->done() at %llu",
		      c, ts, dd->done_at);
	M->prev_stamp = ts;
}

void wirecap_rx_complete(struct wirecap_queue *q,
			 const struct wirecap_rx_done *done, unsigned int cnt)
{
	struct model *M = q->M;
	bool filled = false;
	unsigned int i;

	if (!cnt)
		mfail(M, "rx_complete with no cell");
	for (i = 0; i < cnt; i++) {
		const struct wirecap_rx_done *d = &done[i];
		u32 c = d->cell, ch, want, flags;
		struct payload *p;
		bool multi, last;

		if (c >= M->r * M->m) {
			mfail(M, "cell %u reported: no such cell", c);
			continue;
		}
		ch = c / M->m;
		p = &M->pay[c];
		if (M->state[ch] != C_ATTACHED || M->reported[c]) {
			mfail(M, "cell %u reported %s", c, M->reported[c] ?
			      "twice" : "while its chunk is not attached");
			continue;
		}
		if (!p->valid) {
			mfail(M, "cell %u reported, the NIC wrote nothing there", c);
			continue;
		}
		if (p->wnum != M->reports)
			mfail(M, "cell %u reported as the %llu-th, written as the %llu-th",
			      c, M->reports, p->wnum);
		if (p->desc != M->expect_desc)
			mfail(M, "cell %u (descriptor %u) reported, descriptor %u expected (ring order)",
			      c, p->desc, M->expect_desc);
		if (M->seg_of[ch] * M->m + c % M->m != p->desc)
			mfail(M, "cell %u is not the cell posted at descriptor %u",
			      c, p->desc);

		multi = p->nparts > 1;
		last = p->part == p->nparts - 1;
		flags = d->flags;
		if (!last)
			want = WIRECAP_RX_MORE;
		else if (p->err)
			want = WIRECAP_RX_ERROR;
		else
			want = 0;
		if (p->hashed)
			want |= WIRECAP_RX_HASH;
		if (flags != want)
			mfail(M, "cell %u (frame %llu part %u/%u%s): flags %#x, want %#x",
			      c, p->seq, p->part + 1, p->nparts,
			      p->err ? ", error" : "", flags, want);
		/* a MORE cell is full: the NIC wrote the whole buffer */
		if (d->len != p->len || (!last && d->len != CELL_SIZE))
			mfail(M, "cell %u (frame %llu part %u/%u): len %u, want %u",
			      c, p->seq, p->part + 1, p->nparts, d->len,
			      p->len);
		/* a frame's cells back to back, first to last */
		if (M->open && (p->seq != M->open_seq ||
				p->part != M->open_part + 1))
			mfail(M, "cell %u (frame %llu part %u/%u) reported inside frame %llu, whose part %u came last",
			      c, p->seq, p->part + 1, p->nparts, M->open_seq,
			      M->open_part + 1);
		if (!M->open && p->part)
			mfail(M, "cell %u (frame %llu part %u/%u) reported, its first part was not",
			      c, p->seq, p->part + 1, p->nparts);
		M->open = !!(flags & WIRECAP_RX_MORE);
		M->open_seq = p->seq;
		M->open_part = p->part;
		if (p->hashed && d->hash != p->hash)
			mfail(M, "cell %u: hash %#x, want %#x", c, d->hash, p->hash);
		check_stamp(M, c, d->ts_ns, &M->ring[p->desc]);

		M->rep_flags[p->desc] = flags;
		M->rep_len[p->desc] = d->len;
		M->rep_seq[p->desc] = p->seq;
		M->reported[c] = 1;
		p->valid = false;
		M->reports++;
		M->expect_desc = (M->expect_desc + 1) & (M->n - 1);
		if (!M->expect_desc)
			M->wraps++;
		if (!last)
			M->more_cells++;
		else if (p->err)
			M->err_frames++;
		else if (multi)
			M->multi_done++;
		else
			M->good++;
		if (++M->nrep[ch] == M->m) {
			M->state[ch] = C_FULL;
			M->fullq[M->nfull++] = ch;
			M->waitq[M->wait_tail++ % M->k] = M->seg_of[ch];
			M->attached--;
			filled = true;
		}
	}
	if (M->open)
		M->open_at_call_end++;
	if ((filled && M->refill_in_complete) || M->refill_every_complete)
		core_refill(M);
}

void wirecap_rx_cut(struct wirecap_queue *q)
{
	struct model *M = q->M;

	if (!M->open)
		mfail(M, "rx_cut with no frame open");
	M->open = false;
	M->rx_cuts++;
}

void wirecap_rx_dropped(struct wirecap_queue *q, u64 packets, bool oversize)
{
	struct model *M = q->M;

	if (!oversize) {
		M->capture_drops += packets;
		return;
	}
	/* the core discards and counts frames longer than a cell now */
	mfail(M, "rx_dropped(%llu oversize) from the engine", (ull)packets);
	M->oversize += packets;
}

/* --- the model NIC ----------------------------------------------------- */

static void op_arm(struct wirecap_ring *r, u32 idx, dma_addr_t dma)
{
	struct model *M = r->priv;
	struct desc *d;

	if (idx >= M->n) {
		mfail(M, "arm(%u): no such descriptor", idx);
		return;
	}
	d = &M->ring[idx];
	if (!M->stopped && ((idx - M->rdh) & (M->n - 1)) < nic_owned(M))
		mfail(M, "arm(%u) while the NIC owns it (RDH %u RDT %u)", idx,
		      M->rdh, M->rdt);
	if (d->done && d->wnum >= M->reports)
		mfail(M, "arm(%u) over a frame not yet reported", idx);
	d->dma = dma;
	d->armed = true;
	d->done = false;
	M->arms++;
}

static bool op_done(struct wirecap_ring *r, u32 idx, struct wirecap_ring_wb *wb)
{
	struct model *M = r->priv;
	struct desc *d;

	if (idx >= M->n) {
		mfail(M, "done(%u): no such descriptor", idx);
		return false;
	}
	d = &M->ring[idx];
	if (!d->done)
		return false;
	if (wb->len || wb->hash || wb->flags || wb->ts_ns)
		mfail(M, "done(%u): the write-back was not zeroed", idx);
	wb->len = d->len;
	wb->hash = d->hash;
	wb->flags = d->flags;
	wb->ts_ns = d->hw_ts;
	d->done_at = ++host_clock;
	return true;
}

static void op_tail(struct wirecap_ring *r, u32 tail)
{
	struct model *M = r->priv;

	if (tail >= M->n) {
		mfail(M, "tail %u: no such descriptor", tail);
		return;
	}
	M->rdt = tail;
	M->tail_seen[tail] = 1;
	M->tail_writes++;
}

static const struct wirecap_ring_ops ops = {
	.arm = op_arm,
	.done = op_done,
	.tail = op_tail,
};

/*
 * Offer a frame of @nparts descriptors, @err if the NIC finds it in error;
 * write only @write of its descriptors (fewer: a reset cuts it). The whole
 * frame must fit in the descriptors the NIC owns, or it is dropped (MPC).
 * Returns true if the NIC took it.
 */
static bool nic_frame(struct model *M, u32 nparts, bool err, u32 write)
{
	ull seq = M->next_seq++;
	bool hashed = seq % 7 != 3;
	u32 hash = (u32)(seq * 2654435761u) ^ 0x5a5a5a5a;
	u32 j;

	M->offered++;
	if (M->stopped)
		mfail(M, "frame offered to a stopped NIC");
	if (nic_owned(M) < nparts) {
		M->mpc++;
		return false;
	}
	for (j = 0; j < write; j++) {
		u32 idx = M->rdh;
		struct desc *d = &M->ring[idx];
		bool last = j == nparts - 1;
		struct payload *p;
		u32 c = UINT32_MAX;

		if (d->armed && !d->done && d->dma >= dma_base(M) &&
		    (d->dma - dma_base(M)) % CELL_SIZE == 0 &&
		    (d->dma - dma_base(M)) / CELL_SIZE < M->r * M->m)
			c = (d->dma - dma_base(M)) / CELL_SIZE;
		if (c == UINT32_MAX) {
			mfail(M, "NIC at descriptor %u: not armed with a cell of this pool",
			      idx);
			return false;
		}
		if (M->state[c / M->m] != C_ATTACHED ||
		    M->seg_of[c / M->m] * M->m + c % M->m != idx) {
			mfail(M, "NIC at descriptor %u: armed with cell %u, which is not posted there",
			      idx, c);
			return false;
		}
		p = &M->pay[c];
		if (p->valid)
			mfail(M, "NIC writes cell %u twice", c);
		p->valid = true;
		p->seq = seq;
		p->part = j;
		p->nparts = nparts;
		p->desc = idx;
		p->wnum = M->writes++;
		p->len = last ? (nparts > 1 ? 1 + seq % CELL_SIZE :
				 60 + seq % 1455) : CELL_SIZE;
		p->hash = hash;
		p->hashed = hashed;
		p->err = err;
		d->done = true;
		d->len = p->len;
		d->hash = hash;
		d->flags = (last ? WIRECAP_RING_WB_EOP : 0) |
			   (hashed ? WIRECAP_RING_WB_HASH : 0) |
			   (last && err ? WIRECAP_RING_WB_ERR : 0);
		d->wnum = p->wnum;
		/* some frames come with the NIC's own stamp */
		d->hw_ts = seq % 5 == 2 ? HW_TS_BASE + seq : 0;
		M->last_write_desc = idx;
		M->rdh = (idx + 1) & (M->n - 1);
	}
	if (write == nparts) {
		M->accepted++;
	} else {
		M->cut++;
		M->cut_pending = write > 0;
	}
	return true;
}

static bool nic_one(struct model *M)
{
	return nic_frame(M, 1, false, 1);
}

static unsigned int clean(struct model *M, unsigned int budget)
{
	return wirecap_ring_clean(&M->eng, budget);
}

/*
 * A NIC reset with the queue attached: the NIC stops, the glue harvests
 * what it wrote, the NIC forgets its descriptors (@clear) and registers,
 * the glue programs RDH at the engine's ntc and restarts the engine.
 */
static void nic_reset(struct model *M, bool clear)
{
	M->stopped = true;
	clean(M, M->n);			/* as drivers/intel does */
	if (clear)
		memset(M->ring, 0, M->n * sizeof(*M->ring));
	M->rdh = M->eng.ntc;
	M->rdt = M->rdh;
	wirecap_ring_restart(&M->eng);
	M->stopped = false;
	if (M->cut_pending) {
		M->cuts_expected++;
		M->cut_pending = false;
	}
}

/* The queue stops and starts again with a new pool of @m x @r. */
static void queue_restart(struct model *M, u32 m, u32 r)
{
	M->stopped = true;
	wirecap_ring_forget(&M->eng);
	/* what the NIC wrote and nobody reported goes with the pool */
	M->reports = M->writes;
	M->cut_pending = false;
	core_setup(M, m, r);
	memset(M->ring, 0, M->n * sizeof(*M->ring));
	M->rdh = M->rdt = 0;
	M->stopped = false;
}

static struct model *cur;

static struct model *model_new(u32 n, u32 m, u32 r)
{
	struct model *M = calloc(1, sizeof(*M));

	if (!M) {
		perror("calloc");
		exit(2);
	}
	M->n = n;
	M->q.M = M;
	M->ring = calloc(n, sizeof(*M->ring));
	M->rep_flags = calloc(n, sizeof(u32));
	M->rep_len = calloc(n, sizeof(u32));
	M->rep_seq = calloc(n, sizeof(ull));
	M->tail_seen = calloc(n, 1);
	if (!M->ring || !M->rep_flags || !M->rep_len || !M->rep_seq ||
	    !M->tail_seen) {
		perror("calloc");
		exit(2);
	}
	if (wirecap_ring_init(&M->eng, &ops, &M->q, M, n)) {
		fprintf(stderr, "wirecap_ring_init(%u) failed\n", n);
		exit(2);
	}
	core_setup(M, m, r);
	cur = M;
	return M;
}

static void model_free(struct model *M)
{
	if (!M)
		return;
	wirecap_ring_free(&M->eng);
	core_free(M);
	free(M->ring);
	free(M->rep_flags);
	free(M->rep_len);
	free(M->rep_seq);
	free(M->tail_seen);
	free(M);
}

/* The invariants, between steps. */
static int inv(struct model *M, const char *where)
{
	ull posted = 0, inflight = M->writes - M->reports;
	u32 ch, held = M->eng.m && M->attached == M->k;

	for (ch = 0; ch < M->r; ch++)
		if (M->state[ch] == C_ATTACHED)
			posted += M->m - M->nrep[ch];
	if (M->nfail) {
		tap_diag("%s: %s", where, M->why);
		goto bad;
	}
	if (warns && !warn_expected) {
		tap_diag("%s: %d WARN(s)", where, warns);
		goto bad;
	}
	if (posted != inflight + nic_owned(M) + held) {
		tap_diag("%s: %llu cells posted and not reported, but %llu written and not reported + %u the NIC owns + %u held back",
			 where, posted, inflight, nic_owned(M), held);
		goto bad;
	}
	if (M->eng.m && (M->eng.nposted != M->attached ||
			 wirecap_ring_starved(&M->eng) != (M->attached < M->k))) {
		tap_diag("%s: the engine has %u segments posted (starved: %d), the core %u of %u",
			 where, M->eng.nposted, wirecap_ring_starved(&M->eng),
			 M->attached, M->k);
		goto bad;
	}
	if (M->oversize || M->capture_drops ||
	    M->rx_cuts != M->cuts_expected) {
		tap_diag("%s: %llu oversize drops, %llu capture drops; %llu frames cut, %llu cut by resets",
			 where, M->oversize, M->capture_drops, M->rx_cuts,
			 M->cuts_expected);
		goto bad;
	}
	if (M->offered != M->accepted + M->cut + M->mpc) {
		tap_diag("%s: offered %llu != taken %llu + cut %llu + MPC %llu",
			 where, M->offered, M->accepted, M->cut, M->mpc);
		goto bad;
	}
	return 1;
bad:
	mstate(M);
	return 0;
}

#define INV(M, where) do { if (!inv((M), (where))) return 0; } while (0)

/* Recycle, refill and harvest until nothing moves; all written reported. */
static int drain(struct model *M)
{
	unsigned int guard = 0;

	do {
		core_recycle_all(M);
		core_refill(M);
	} while (clean(M, UINT_MAX) && ++guard < 100000);
	INV(M, "drain");
	MCHECK(M->writes == M->reports);
	return 1;
}

/*
 * @frames single frames, offered in bursts of @burst, harvested with
 * @budget, every full chunk recycled after each burst.
 */
static int stream(struct model *M, u32 frames, u32 burst, unsigned int budget)
{
	u32 i;

	for (i = 0; i < frames; i++) {
		nic_one(M);
		if ((i + 1) % burst && i + 1 != frames)
			continue;
		while (clean(M, budget))
			;
		INV(M, "stream");
		core_recycle_all(M);
		core_refill(M);
		INV(M, "stream, refilled");
	}
	return 1;
}

/* Single frames until the NIC's head is at @target. */
static int fill_to(struct model *M, u32 target, bool clean_each)
{
	u32 guard = 0;

	while (M->rdh != target) {
		MCHECK(++guard < 4 * M->n);
		MCHECK(nic_one(M));
		if (clean_each)
			clean(M, UINT_MAX);
	}
	return 1;
}

/* --- the scenarios -------------------------------------------------------- */

static int t_init(void)
{
	struct wirecap_ring r;

	CHECK(wirecap_ring_init(&r, &ops, NULL, NULL, 0) == -EINVAL);
	CHECK(wirecap_ring_init(&r, &ops, NULL, NULL, 3) == -EINVAL);
	CHECK(wirecap_ring_init(&r, &ops, NULL, NULL, 96) == -EINVAL);
	CHECK(wirecap_ring_init(&r, &ops, NULL, NULL, 256) == 0);
	CHECK(r.n == 256 && r.m == 0 && r.nposted == 0 && r.ntc == 0);
	CHECK(!wirecap_ring_starved(&r));
	CHECK(wirecap_ring_clean(&r, 64) == 0);
	wirecap_ring_free(&r);
	CHECK(r.seg == NULL);
	return 1;
}

/*
 * N descriptors, M per segment, R = K chunks (none spare): all K posted,
 * the tail holds one back: the NIC takes N - 1 frames and drops the next.
 * Harvesting the oldest segment releases the held-back descriptor: one
 * more frame, N in all. Then every chunk is full, the NIC drops; recycled,
 * the segments go back and frames flow one at a time, none dropped.
 */
static int geometry(u32 n, u32 m)
{
	u32 k = n / m, i;
	struct model *M = model_new(n, m, k);

	core_refill(M);
	MCHECK(M->posts == k && M->arms == n && M->eng.nposted == k);
	MCHECK(M->rdt == n - 1);
	INV(M, "all posted");
	for (i = 0; i < n; i++)
		nic_one(M);
	MCHECK(M->accepted == n - 1 && M->mpc == 1);
	INV(M, "N offered");
	clean(M, UINT_MAX);
	MCHECK(M->reports == n - 1);
	INV(M, "N - 1 harvested");
	/* the held-back descriptor, released */
	MCHECK(nic_owned(M) == 1);
	MCHECK(nic_one(M));
	clean(M, UINT_MAX);
	MCHECK(M->reports == n && M->nfull == k && M->attached == 0);
	MCHECK(wirecap_ring_starved(&M->eng));
	INV(M, "all full");
	MCHECK(!nic_one(M) && M->mpc == 2);
	core_recycle_all(M);
	core_refill(M);
	MCHECK(M->attached == k && M->rdt == (M->eng.ntc + n - 1) % n);
	INV(M, "recycled");
	if (!stream(M, 4 * n, 1, UINT_MAX))
		return 0;
	if (!drain(M))
		return 0;
	MCHECK(M->mpc == 2 && M->good == M->offered - 2 &&
	       M->accepted == 5 * n);
	return 1;
}

static int t_k4(void) { return geometry(256, 64); }
static int t_k2(void) { return geometry(256, 128); }
/*
 * M = N: the one segment would be both the oldest and the newest, so the
 * descriptor held back would be its own last one and could never be
 * harvested. Ring NICs register max_cells_per_chunk = N / 2, so the core
 * never asks; the engine refuses the post (a WARN) and arms nothing.
 */
static int t_k1(void)
{
	struct model *M = model_new(256, 256, 1);
	int w = warns;

	core_refill(M);
	MCHECK(warns == w + 1 && M->eng.m == 0 && M->arms == 0);
	MCHECK(M->eng.nposted == 0 && M->rdt == 0);
	warns = w;
	return 1;
}

/* ntc and the tail around the ring many times, bursts and budgets varied. */
static int t_wrap(void)
{
	struct model *M = model_new(256, 64, 8);
	u32 round, s;

	M->refill_in_complete = true;
	core_refill(M);
	for (round = 0; round < 150; round++) {
		u32 burst = 1 + round * 37 % 200, i;
		unsigned int budget = 1 + round * 13 % 97;

		for (i = 0; i < burst; i++)
			nic_one(M);
		INV(M, "burst");
		while (clean(M, budget))
			INV(M, "clean");
		core_recycle_all(M);
		core_refill(M);
		INV(M, "refill");
	}
	if (!drain(M))
		return 0;
	MCHECK(M->mpc == 0 && M->good == M->offered);
	MCHECK(M->wraps >= 50);
	/* the held-back descriptor went round: the last of every segment */
	for (s = 0; s < M->k; s++)
		MCHECK(M->tail_seen[(s * M->m + M->n - 1) % M->n]);
	return 1;
}

/*
 * Full chunks held until four are, then recycled in an order unrelated to
 * the fill order (newest first, then shuffled): the segments get chunks
 * in that order.
 */
static int t_out_of_order(void)
{
	struct model *M = model_new(256, 64, 8);
	u32 round, reordered = 0;
	ull rng = 12345;

	M->refill_in_complete = true;
	core_refill(M);
	for (round = 0; round < 80; round++) {
		u32 i;

		for (i = 0; i < 90; i++)
			nic_one(M);
		while (clean(M, 40))
			INV(M, "clean");
		if (M->nfull < 4)
			continue;
		if (round & 1) {
			while (M->nfull)
				core_recycle_at(M, M->nfull - 1);
		} else {
			while (M->nfull) {
				rng = rng * 6364136223846793005ULL + 1442695040888963407ULL;
				core_recycle_at(M, (rng >> 33) % M->nfull);
			}
		}
		reordered++;
		core_refill(M);
		INV(M, "recycled out of order");
	}
	if (!drain(M))
		return 0;
	MCHECK(reordered > 10);
	MCHECK(M->good + M->mpc == M->offered);
	return 1;
}

/* No free chunk: segments wait, the NIC drops, every frame accounted for. */
static int t_starved(void)
{
	struct model *M = model_new(256, 64, 4);
	u32 i, b;

	M->refill_in_complete = true;
	core_refill(M);
	for (b = 0; b < 3 * 256 / 48; b++) {
		for (i = 0; i < 48; i++)
			nic_one(M);
		clean(M, UINT_MAX);
		INV(M, "no recycling");
	}
	MCHECK(M->accepted == 256 && M->mpc == 3 * 256 - 256);
	MCHECK(M->attached == 0 && M->nfull == 4);
	MCHECK(wirecap_ring_starved(&M->eng));
	MCHECK(M->rdh == M->rdt);

	/* one chunk back (the third filled): one segment, still starved */
	core_recycle_at(M, 2);
	core_refill(M);
	MCHECK(M->attached == 1 && wirecap_ring_starved(&M->eng));
	INV(M, "one back");
	for (i = 0; i < 100; i++)
		nic_one(M);
	MCHECK(M->accepted == 256 + 64);
	clean(M, UINT_MAX);
	INV(M, "one back, harvested");

	core_recycle_all(M);
	core_refill(M);
	MCHECK(!wirecap_ring_starved(&M->eng));
	if (!stream(M, 512, 50, 33))
		return 0;
	if (!drain(M))
		return 0;
	MCHECK(M->good + M->mpc == M->offered);
	MCHECK(M->good == 256 + 64 + 512);
	return 1;
}

/* Reported as a frame's cell that is not its last: MORE, the whole cell. */
static bool is_more(const struct model *M, u32 desc)
{
	return (M->rep_flags[desc] & (WIRECAP_RX_MORE | WIRECAP_RX_DROP |
				      WIRECAP_RX_ERROR)) == WIRECAP_RX_MORE &&
	       M->rep_len[desc] == CELL_SIZE;
}

/* Reported as a frame's last (or only) cell, without error. */
static bool is_good(const struct model *M, u32 desc)
{
	return !(M->rep_flags[desc] & (WIRECAP_RX_MORE | WIRECAP_RX_DROP |
				       WIRECAP_RX_ERROR)) &&
	       M->rep_len[desc];
}

/* Descriptors @a..@b (ring order) carried one frame. */
static bool same_frame(const struct model *M, u32 a, u32 b)
{
	for (; a != b; a = (a + 1) & (M->n - 1))
		if (M->rep_seq[a] != M->rep_seq[b])
			return false;
	return true;
}

/* Without clean_each, harvest in small steps: some end inside a frame. */
static void settle(struct model *M, bool clean_each)
{
	if (!clean_each)
		while (clean(M, 5))
			;
}

/* Frames of 2 and 3 descriptors inside a segment. */
static int multi_inside(bool clean_each)
{
	struct model *M = model_new(256, 64, 8);

	M->refill_in_complete = true;
	core_refill(M);
	if (!fill_to(M, 5, clean_each))
		return 0;
	MCHECK(nic_frame(M, 2, false, 2));		/* 5, 6 */
	MCHECK(nic_one(M));				/* 7 */
	MCHECK(nic_frame(M, 3, false, 3));		/* 8, 9, 10 */
	MCHECK(nic_one(M));				/* 11 */
	MCHECK(nic_frame(M, 2, true, 2));		/* 12, 13: error too */
	MCHECK(nic_one(M));				/* 14 */
	MCHECK(nic_frame(M, 3, false, 3));		/* 15, 16, 17 */
	MCHECK(nic_frame(M, 2, false, 2));		/* 18, 19: back to back */
	MCHECK(nic_one(M));				/* 20 */
	clean(M, clean_each ? UINT_MAX : 7);
	clean(M, UINT_MAX);
	INV(M, "multi inside");
	MCHECK(is_more(M, 5) && is_good(M, 6) && is_good(M, 7));
	MCHECK(is_more(M, 8) && is_more(M, 9) && is_good(M, 10) &&
	       is_good(M, 11));
	MCHECK(is_more(M, 12) && (M->rep_flags[13] & WIRECAP_RX_ERROR) &&
	       !(M->rep_flags[13] & WIRECAP_RX_MORE) && is_good(M, 14));
	MCHECK(is_more(M, 15) && is_more(M, 16) && is_good(M, 17) &&
	       is_more(M, 18) && is_good(M, 19) && is_good(M, 20));
	MCHECK(same_frame(M, 8, 10) && same_frame(M, 15, 17) &&
	       !same_frame(M, 17, 18));
	MCHECK(M->multi_done == 4 && M->err_frames == 1 &&
	       M->good == 5 + 4 && M->more_cells == 7);
	if (!stream(M, 600, 20, 16) || !drain(M))
		return 0;
	return 1;
}

static int t_multi_inside(void)
{
	if (!multi_inside(true))
		return 0;
	model_free(cur);
	return multi_inside(false);
}

/*
 * Across segment boundaries (1+1, 2+1, 1+2 descriptors) and across the
 * end of the ring (255, 0).
 */
static int multi_across(bool clean_each)
{
	struct model *M = model_new(256, 64, 8);
	M->refill_in_complete = true;
	core_refill(M);
	if (!fill_to(M, 63, clean_each))
		return 0;
	MCHECK(nic_frame(M, 2, false, 2));		/* 63 | 64 */
	MCHECK(nic_one(M));				/* 65 */
	settle(M, clean_each);
	if (!fill_to(M, 126, clean_each))
		return 0;
	MCHECK(nic_frame(M, 3, false, 3));		/* 126, 127 | 128 */
	MCHECK(nic_one(M));				/* 129 */
	settle(M, clean_each);
	if (!fill_to(M, 191, clean_each))
		return 0;
	MCHECK(nic_frame(M, 3, false, 3));		/* 191 | 192, 193 */
	MCHECK(nic_one(M));				/* 194 */
	settle(M, clean_each);
	if (!fill_to(M, 255, clean_each))
		return 0;
	MCHECK(nic_frame(M, 2, false, 2));		/* 255 | 0 */
	MCHECK(nic_one(M));				/* 1 */
	clean(M, UINT_MAX);
	INV(M, "multi across");
	MCHECK(is_more(M, 63) && is_good(M, 64) && is_good(M, 65));
	MCHECK(is_good(M, 62) && is_good(M, 125));
	MCHECK(is_more(M, 126) && is_more(M, 127) && is_good(M, 128) &&
	       is_good(M, 129));
	MCHECK(is_more(M, 191) && is_more(M, 192) && is_good(M, 193) &&
	       is_good(M, 194));
	MCHECK(is_more(M, 255) && is_good(M, 0) && is_good(M, 1));
	MCHECK(same_frame(M, 126, 128) && same_frame(M, 191, 193) &&
	       same_frame(M, 255, 0));
	MCHECK(M->multi_done == 4 && M->more_cells == 6);
	if (!stream(M, 600, 20, 16) || !drain(M))
		return 0;
	return 1;
}

static int t_multi_across(void)
{
	if (!multi_across(true))
		return 0;
	model_free(cur);
	return multi_across(false);
}

/*
 * One frame of three descriptors (10, 11, 12), harvested one descriptor
 * per call: MORE, MORE, then the last with the frame's flags, each with
 * the length the NIC wrote, two calls ending inside the frame. Then the
 * same frame in error: ERROR on the last cell only.
 */
static int t_more_three(void)
{
	struct model *M = model_new(256, 64, 8);

	M->refill_in_complete = true;
	core_refill(M);
	if (!fill_to(M, 10, true))
		return 0;
	MCHECK(nic_frame(M, 3, false, 3));		/* 10, 11, 12 */
	MCHECK(nic_one(M));				/* 13 */
	MCHECK(clean(M, 1) == 1 && M->open);
	MCHECK(clean(M, 1) == 1 && M->open);
	MCHECK(clean(M, 1) == 1 && !M->open);
	MCHECK(M->open_at_call_end == 2);
	clean(M, UINT_MAX);
	INV(M, "one frame of three");
	MCHECK(M->rep_flags[10] & M->rep_flags[11] & WIRECAP_RX_MORE);
	MCHECK(is_more(M, 10) && is_more(M, 11) && is_good(M, 12));
	MCHECK(M->rep_len[12] < CELL_SIZE && same_frame(M, 10, 12));
	MCHECK(is_good(M, 13) && !same_frame(M, 12, 13));
	MCHECK(M->multi_done == 1 && M->more_cells == 2);

	MCHECK(nic_frame(M, 3, true, 3));		/* 14, 15, 16 */
	clean(M, UINT_MAX);
	MCHECK(is_more(M, 14) && is_more(M, 15));
	MCHECK(M->rep_flags[16] & WIRECAP_RX_ERROR);
	MCHECK(!(M->rep_flags[16] & WIRECAP_RX_MORE) && M->rep_len[16]);
	MCHECK(M->err_frames == 1 && M->multi_done == 1);
	INV(M, "one frame of three, in error");
	if (!stream(M, 300, 30, 64) || !drain(M))
		return 0;
	return 1;
}

/*
 * A frame of three descriptors over a segment's end (62, 63 | 64): the
 * engine hands segment 0 to the core (its chunk FULL, the segment posted
 * again) while the frame is open, and the last cell follows in the next
 * call, from the next segment's chunk. Then the same with no spare chunk:
 * the next segment is posted only once the frame's first cells are in.
 */
static int more_segment_end(u32 r)
{
	struct model *M = model_new(256, 64, r);

	M->refill_in_complete = true;
	core_refill(M);
	if (!fill_to(M, 62, true))
		return 0;
	MCHECK(nic_frame(M, 3, false, 3));		/* 62, 63 | 64 */
	MCHECK(nic_one(M));				/* 65 */
	clean(M, UINT_MAX);
	INV(M, "over a segment's end");
	MCHECK(is_more(M, 62) && is_more(M, 63) && is_good(M, 64));
	MCHECK(same_frame(M, 62, 64) && is_good(M, 65));
	/* the call that ended segment 0 ended inside the frame */
	MCHECK(M->open_at_call_end == 1);
	MCHECK(M->multi_done == 1 && M->more_cells == 2);
	if (!stream(M, 600, 20, 16) || !drain(M))
		return 0;
	return 1;
}

static int t_more_segment_end(void)
{
	if (!more_segment_end(8))
		return 0;
	model_free(cur);
	return more_segment_end(4);
}

/*
 * A reset cuts a frame of three after two descriptors, across a segment's
 * end (127 | 128): wirecap_rx_cut() once, after both cells came with MORE;
 * the resets that follow cut nothing, and the next frame starts clean.
 */
static int t_cut_once(void)
{
	struct model *M = model_new(256, 64, 8);

	M->refill_in_complete = true;
	core_refill(M);
	if (!fill_to(M, 127, true))
		return 0;
	MCHECK(nic_frame(M, 3, false, 2));		/* 127 | 128, cut */
	MCHECK(clean(M, 1) == 1 && M->open && M->rx_cuts == 0);
	nic_reset(M, true);
	MCHECK(M->rx_cuts == 1 && !M->open);
	MCHECK(is_more(M, 127) && is_more(M, 128));
	INV(M, "cut across a segment's end");
	nic_reset(M, false);
	nic_reset(M, true);
	MCHECK(M->rx_cuts == 1);
	MCHECK(nic_frame(M, 2, false, 2));		/* 129, 130 */
	MCHECK(nic_one(M));				/* 131 */
	clean(M, UINT_MAX);
	MCHECK(M->rep_len[129] == CELL_SIZE);
	MCHECK(is_more(M, 129) && is_good(M, 130) && is_good(M, 131));
	MCHECK(M->rx_cuts == 1);
	INV(M, "after the cut");
	if (!stream(M, 3 * 256, 40, 50) || !drain(M))
		return 0;
	MCHECK(M->good + M->multi_done + M->cut == M->offered);
	return 1;
}

/* Frames the NIC flags in error: ERROR, their length, nothing dropped. */
static int t_errors(void)
{
	struct model *M = model_new(256, 64, 8);

	M->refill_in_complete = true;
	core_refill(M);
	if (!fill_to(M, 3, false))
		return 0;
	MCHECK(nic_frame(M, 1, true, 1));		/* 3 */
	MCHECK(nic_one(M));				/* 4 */
	MCHECK(nic_frame(M, 1, true, 1));		/* 5 */
	MCHECK(nic_frame(M, 1, true, 1));		/* 6 */
	MCHECK(nic_one(M));				/* 7 */
	if (!fill_to(M, 63, false))
		return 0;
	MCHECK(nic_frame(M, 1, true, 1));		/* 63: a segment's last */
	MCHECK(nic_frame(M, 1, true, 1));		/* 64: the next's first */
	MCHECK(nic_one(M));				/* 65 */
	clean(M, UINT_MAX);
	INV(M, "errors");
	MCHECK(M->rep_flags[3] & WIRECAP_RX_ERROR);
	MCHECK(!(M->rep_flags[3] & WIRECAP_RX_DROP) && M->rep_len[3]);
	MCHECK(is_good(M, 4) && is_good(M, 7) && is_good(M, 65));
	MCHECK((M->rep_flags[5] & M->rep_flags[6] & M->rep_flags[63] &
		M->rep_flags[64] & WIRECAP_RX_ERROR));
	MCHECK(M->err_frames == 5 && M->oversize == 0);
	if (!stream(M, 300, 30, 64) || !drain(M))
		return 0;
	MCHECK(M->good + M->err_frames == M->offered);
	return 1;
}

/*
 * A reset midway: segment 1 partly harvested, a 3-descriptor frame in
 * progress (its first descriptor written, reported with MORE). After it
 * nothing is reported twice or lost, the core hears of the cut frame from
 * one wirecap_rx_cut(), the NIC resumes at ntc and every later frame
 * arrives in order; resets between frames cut nothing.
 */
static int t_reset(void)
{
	struct model *M = model_new(256, 64, 8);
	u32 i;

	M->refill_in_complete = true;
	core_refill(M);
	for (i = 0; i < 100; i++)
		nic_one(M);
	MCHECK(clean(M, 70) == 70 && M->eng.ntc == 70);
	MCHECK(nic_frame(M, 3, false, 1));		/* 100, then cut */
	nic_reset(M, true);
	MCHECK(M->reports == M->writes && M->reports == 101);
	MCHECK(M->eng.ntc == 101 && M->rdh == 101 && M->rdt == M->eng.tail);
	MCHECK(is_more(M, 100) && M->rx_cuts == 1 && M->oversize == 0);
	MCHECK(!M->open && !M->eng.in_frame);
	INV(M, "after the reset");
	nic_reset(M, true);				/* between frames */
	MCHECK(M->rx_cuts == 1);
	MCHECK(nic_one(M) && M->last_write_desc == 101);
	MCHECK(nic_one(M));
	clean(M, UINT_MAX);
	MCHECK(is_good(M, 101) && is_good(M, 102));
	MCHECK(M->rep_seq[102] == M->rep_seq[101] + 1);
	INV(M, "resumed");
	if (!stream(M, 3 * 256, 40, 50) || !drain(M))
		return 0;
	MCHECK(M->good == M->offered - 1 && M->cut == 1 && M->mpc == 0);
	return 1;
}

/*
 * More resets: a frame cut across a segment boundary; with nothing to
 * harvest; all segments posted and the NIC at the held-back descriptor;
 * starved (no segment posted); descriptors kept or lost; twice in a row.
 */
static int t_reset_variants(void)
{
	struct model *M = model_new(256, 64, 4);
	u32 i;

	M->refill_in_complete = true;
	core_refill(M);
	if (!fill_to(M, 191, true))
		return 0;
	MCHECK(nic_frame(M, 2, false, 1));		/* 191 | (192 cut) */
	nic_reset(M, false);
	INV(M, "cut at a segment boundary");
	MCHECK(M->eng.ntc == 192 && is_more(M, 191) && M->rx_cuts == 1);
	MCHECK(nic_one(M) && M->last_write_desc == 192);
	nic_reset(M, true);				/* nothing written since */
	nic_reset(M, true);				/* twice */
	INV(M, "idle resets");
	clean(M, UINT_MAX);
	MCHECK(is_good(M, 192));

	/* no recycling: fill until the NIC stops at the held-back one */
	core_recycle_all(M);
	core_refill(M);
	for (i = 0; i < 300; i++)
		nic_one(M);
	MCHECK(M->rdh == M->rdt && M->attached == 4);
	nic_reset(M, true);
	INV(M, "reset at the held-back descriptor");
	for (i = 0; i < 300; i++)
		nic_one(M);
	clean(M, UINT_MAX);
	MCHECK(M->attached == 0 && M->rdh == M->rdt);
	nic_reset(M, true);
	INV(M, "reset starved");
	MCHECK(!nic_one(M));
	core_recycle_all(M);
	core_refill(M);
	nic_reset(M, true);
	INV(M, "reset just after the refill");
	if (!stream(M, 3 * 256, 40, 50) || !drain(M))
		return 0;
	MCHECK(M->good + M->mpc + M->cut == M->offered);
	return 1;
}

/* The queue stops (with a frame half harvested) and starts with new M. */
static int t_forget(void)
{
	struct model *M = model_new(256, 64, 8);

	M->refill_in_complete = true;
	core_refill(M);
	if (!stream(M, 300, 30, 64))
		return 0;
	MCHECK(nic_frame(M, 3, false, 1));	/* inside a frame when it stops */
	clean(M, UINT_MAX);
	MCHECK(M->eng.in_frame && M->open);

	queue_restart(M, 32, 16);
	MCHECK(M->eng.m == 0 && M->eng.ntc == 0 && !M->eng.in_frame);
	MCHECK(M->rx_cuts == 0);		/* the pool went with it */
	core_refill(M);
	MCHECK(M->eng.m == 32 && M->eng.k == 8 && M->eng.nposted == 8);
	MCHECK(M->rdt == 255);
	INV(M, "M = 32");
	MCHECK(nic_one(M));
	clean(M, UINT_MAX);
	MCHECK(is_good(M, 0));
	if (!stream(M, 3 * 256, 40, 20) || !drain(M))
		return 0;

	queue_restart(M, 128, 2);
	core_refill(M);
	MCHECK(M->eng.m == 128 && M->eng.k == 2 && M->eng.nposted == 2);
	INV(M, "M = 128");
	if (!stream(M, 3 * 256, 40, 20) || !drain(M))
		return 0;
	MCHECK(M->good + M->cut == M->offered);
	return 1;
}

/*
 * Refused posts: a first post whose n does not divide the ring, n = 0,
 * n > N; a segment out of order; the wrong n; a post with all K posted.
 * Each WARNs and leaves the engine and the NIC as they were.
 */
static int t_warn(void)
{
	struct model *M = model_new(256, 64, 8);
	const struct wirecap_cell *spare = &M->cells[7 * 64];
	ull arms, tails;
	int w = warns;

	warn_expected = true;
	wirecap_ring_post(&M->eng, 0, spare, 48);
	MCHECK(warns == w + 1 && M->eng.m == 0 && M->arms == 0);
	wirecap_ring_post(&M->eng, 0, spare, 0);
	MCHECK(warns == w + 2 && M->eng.m == 0 && M->arms == 0);
	wirecap_ring_post(&M->eng, 0, spare, 512);
	MCHECK(warns == w + 3 && M->eng.m == 0 && M->arms == 0);
	MCHECK(M->tail_writes == 0);

	core_refill_max(M, 1);				/* segment 0 */
	MCHECK(warns == w + 3 && M->eng.nposted == 1 && M->rdt == 64);
	arms = M->arms;
	tails = M->tail_writes;
	wirecap_ring_post(&M->eng, 2, spare, 64);	/* 1 expected */
	MCHECK(warns == w + 4);
	wirecap_ring_post(&M->eng, 1, spare, 32);	/* the wrong n */
	MCHECK(warns == w + 5);
	MCHECK(M->eng.nposted == 1 && M->eng.m == 64 && M->arms == arms &&
	       M->tail_writes == tails && M->rdt == 64);
	core_refill_max(M, 3);				/* 1, 2, 3 */
	MCHECK(warns == w + 5 && M->eng.nposted == 4 && M->rdt == 255);
	arms = M->arms;
	tails = M->tail_writes;
	wirecap_ring_post(&M->eng, 0, spare, 64);	/* all 4 posted */
	MCHECK(warns == w + 6);
	MCHECK(M->eng.nposted == 4 && M->arms == arms &&
	       M->tail_writes == tails && M->rdt == 255);
	warns = w;
	warn_expected = false;
	INV(M, "after the refused posts");
	M->refill_in_complete = true;
	if (!stream(M, 600, 60, 64) || !drain(M))
		return 0;
	return 1;
}

/*
 * A refused first post (a segment out of order) should leave the engine
 * as it was; it latches M, so the core's own first post, with another M,
 * is refused too.
 */
static int t_refused_first(void)
{
	struct model *M = model_new(256, 128, 4);
	int w = warns;

	warn_expected = true;
	wirecap_ring_post(&M->eng, 1, &M->cells[3 * 128], 64);
	MCHECK(warns == w + 1);
	warns = w;
	warn_expected = false;
	core_refill(M);
	MCHECK(M->eng.nposted == 2 && warns == w);
	MCHECK(M->eng.m == 128 && M->arms == 256);
	INV(M, "after a refused first post");
	return 1;
}

/* --- randomized ------------------------------------------------------------ */

static ull rng_state;

static u32 rnd(u32 bound)
{
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return (u32)((rng_state * 2685821657736338717ULL) >> 32) % bound;
}

static void rnd_frame(struct model *M)
{
	u32 x = rnd(100);

	if (x < 6)
		nic_frame(M, 2, rnd(4) == 0, 2);
	else if (x < 10)
		nic_frame(M, 3, false, 3);
	else if (x < 15)
		nic_frame(M, 1, true, 1);
	else
		nic_one(M);
}

static u32 rnd_m(u32 n)
{
	u32 m;

	do
		m = n >> (1 + rnd(4));		/* K = 2 .. 16 */
	while (!m);
	return m;
}

static const struct { u32 n, m; } shapes[] = {
	{ 256, 64 }, { 256, 128 }, { 256, 32 }, { 64, 16 },
	{ 128, 64 }, { 512, 128 }, { 256, 16 }, { 1024, 256 },
};

static int random_run(ull seed)
{
	u32 n = shapes[seed % 8].n, m = shapes[seed % 8].m;
	struct model *M;
	u32 step, steps = 20000;
	char where[96];

	rng_state = seed * 0x9e3779b97f4a7c15ULL + 1;
	M = model_new(n, m, n / m + rnd(2 * (n / m) + 1));
	M->refill_in_complete = true;
	core_refill(M);
	for (step = 0; step < steps; step++) {
		u32 x = rnd(1000), i, cnt;
		const char *what;

		if (x < 330) {
			what = "frames";
			cnt = 1 + rnd(rnd(4) ? 16 : n / 2);
			for (i = 0; i < cnt; i++)
				rnd_frame(M);
		} else if (x < 680) {
			what = "clean";
			clean(M, rnd(4) ? 1 + rnd(n) : UINT_MAX);
		} else if (x < 830) {
			what = "recycle";
			for (i = M->nfull; i-- > 0;)
				if (rnd(2))
					core_recycle_at(M, rnd(M->nfull));
		} else if (x < 900) {
			what = "refill";
			core_refill_max(M, 1 + rnd(4));
		} else if (x < 915) {
			what = "reset";
			if (rnd(2)) {
				u32 parts = 2 + rnd(2);

				nic_frame(M, parts, false, 1 + rnd(parts - 1));
			}
			nic_reset(M, rnd(2));
		} else if (x < 925) {
			what = "toggle refill";
			M->refill_in_complete = rnd(4) != 0;
			M->refill_every_complete = rnd(4) == 0;
		} else if (x < 928) {
			what = "new geometry";
			if (!drain(M))
				goto bad;
			m = rnd_m(n);
			queue_restart(M, m, n / m + rnd(2 * (n / m) + 1));
			core_refill(M);
		} else {
			what = "one frame";
			rnd_frame(M);
		}
		snprintf(where, sizeof(where), "seed %llu step %u (%s)", seed,
			 step, what);
		if (!inv(M, where))
			goto bad;
	}
	if (!drain(M))
		goto bad;
	MCHECK(M->good + M->err_frames + M->multi_done + M->cut + M->mpc ==
	       M->offered);
	MCHECK(M->good > 1000);
	MCHECK(M->multi_done > 100 && M->rx_cuts > 0);
	tap_diag("seed %llu: N %u, %llu frames offered, %llu good, %llu in error, %llu of several cells, %llu cut by resets (%llu mid-frame), %llu dropped by the NIC, %llu wraps",
		 seed, n, M->offered, M->good, M->err_frames, M->multi_done,
		 M->cut, M->rx_cuts, M->mpc, M->wraps);
	return 1;
bad:
	tap_diag("seed %llu: N %u M %u R %u", seed, n, M->m, M->r);
	return 0;
}

#define SEEDS 8

static int t_random(void)
{
	static ull seed = 1;

	return random_run(seed++);
}

/* --- main ------------------------------------------------------------------ */

static void run(const char *name, int (*fn)(void))
{
	warns = 0;
	warn_expected = false;
	cur = NULL;
	tap_run(name, fn);
	model_free(cur);
	cur = NULL;
}

int main(void)
{
	char name[64];
	int i;

	tap_plan(18 + SEEDS);
	run("init: N must be a power of two", t_init);
	run("K=4 M=64: all posted, N-1 then N, starved, streaming", t_k4);
	run("K=2 M=128: all posted, N-1 then N, starved, streaming", t_k2);
	run("K=1 M=N: refused, nothing armed", t_k1);
	run("wrap-around of ntc and the tail, 150 rounds", t_wrap);
	run("chunks recycled out of fill order", t_out_of_order);
	run("no free chunk: segments wait, the NIC drops, all accounted",
	    t_starved);
	run("frames of 2 and 3 descriptors inside a segment: MORE", t_multi_inside);
	run("frames of 2 and 3 descriptors across segments and the ring's end: MORE",
	    t_multi_across);
	run("a frame of 3 descriptors: MORE, MORE, last, over 3 calls",
	    t_more_three);
	run("a frame over a segment's end: MORE, MORE | last",
	    t_more_segment_end);
	run("a reset mid-frame: wirecap_rx_cut() once", t_cut_once);
	run("error frames reported with WIRECAP_RX_ERROR", t_errors);
	run("reset midway: partly harvested segment, frame in progress",
	    t_reset);
	run("reset variants: cut at a boundary, idle, held-back, starved",
	    t_reset_variants);
	run("forget, then M=32 and M=128", t_forget);
	run("posts out of order, wrong n, all posted: WARN and refused",
	    t_warn);
	run("a refused first post leaves the engine unconfigured",
	    t_refused_first);
	for (i = 1; i <= SEEDS; i++) {
		snprintf(name, sizeof(name), "randomized run, seed %d (N %u M %u)",
			 i, shapes[i % 8].n, shapes[i % 8].m);
		run(name, t_random);
	}
	return tap_exit();
}
