/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * A fake libwirecap session for host tests, without a kernel: nq queues
 * of one NIC (nic_id 7, rings 10, 11, ...), each with a malloc'd "pool"
 * and cell metadata and a "kernel" descriptor ring (a control header and
 * descriptors the test publishes), nt capture-thread records (queue i on
 * thread i % nt) with eventfds, and the library's real work queues. The
 * test plays the kernel and the capture threads: it publishes descriptors
 * and calls wc_capture_move(), or pushes straight into a capture queue,
 * and drains recycle queues.
 */
#ifndef WIRECAP_LIB_FAKE_H
#define WIRECAP_LIB_FAKE_H

#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "internal.h"

#define FAKE_M		8
#define FAKE_R		16
#define FAKE_CELL	2048
#define FAKE_FOFF	64
#define FAKE_DRING	64	/* descriptor ring entries */
#define FAKE_MAXQ	8
#define FAKE_MAXT	4

struct fake {
	struct wirecap w;
	struct wc_thread t[FAKE_MAXT];
	struct wirecap_queue *q;	/* nq of them, in one array */
	struct wirecap_queue *qp[FAKE_MAXQ];
	struct wirecap_queue *by_ring[10 + FAKE_MAXQ];
	uint8_t *pool[FAKE_MAXQ];
	struct wirecap_cell_meta *meta[FAKE_MAXQ];
	struct wirecap_ctrl ctrl[FAKE_MAXQ];
	struct wirecap_desc dring[FAKE_MAXQ][FAKE_DRING];
	size_t pool_len;		/* bytes of each pool[] */
};

/* Zeroed memory for a struct that holds a struct fake (cache-aligned). */
static inline void *fake_zalloc(size_t size)
{
	size_t n = (size + WC_CACHELINE - 1) / WC_CACHELINE * WC_CACHELINE;
	void *p = aligned_alloc(WC_CACHELINE, n);

	if (p)
		memset(p, 0, n);
	return p;
}

/*
 * A pool geometry other than the default (FAKE_CELL cells, chunks of M
 * cells and nothing more): what WIRECAP_CMD_INFO reports about cells and
 * chunks. chunk_bytes 0: an old kernel's, M * cell_size.
 */
struct fake_geom {
	uint32_t cell_size, chunk_bytes, spill_size, max_frame;
	uint64_t features;
};

/*
 * buddies: NULL, or per queue a -1-terminated list of session indices
 * (set before the work queues exist, as wirecap_set_buddies does).
 * geom: NULL, or the pool geometry (fake_geom). Cell c of the pool
 * (chunk c / M, cell c % M of it) starts its frame with the byte c and
 * the queue's index.
 */
static inline void fake_init_geom(struct fake *f, unsigned int nq,
				  unsigned int nt, unsigned int mode,
				  unsigned int pct, unsigned int capq,
				  const int *const *buddies,
				  const struct fake_geom *geom)
{
	unsigned int i, c;

	memset(f, 0, sizeof(*f));
	f->q = aligned_alloc(WC_CACHELINE, nq * sizeof(*f->q));
	memset(f->q, 0, nq * sizeof(*f->q));
	f->w.opts.mode = mode;
	f->w.opts.offload_pct = pct ? pct : WC_DEFAULT_OFFLOAD_PCT;
	f->w.queues = f->qp;
	f->w.nq = nq;
	f->w.nnics = 1;
	f->w.nics[0].nic_id = 7;
	strcpy(f->w.nics[0].ifname, "fake0");
	f->w.nics[0].by_ring = f->by_ring;
	f->w.nics[0].nr_by_ring = 10 + nq;
	f->w.threads = f->t;
	f->w.nt = nt;
	f->w.started = true;
	f->w.prepared = true;
	f->w.node = -1;
	f->w.efd = -1;
	for (i = 0; i < nt; i++) {
		f->t[i].w = &f->w;
		f->t[i].index = i;
		f->t[i].kick.efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	}
	for (i = 0; i < nq; i++) {
		struct wirecap_queue *q = &f->q[i];

		f->qp[i] = q;
		f->by_ring[10 + i] = q;
		q->w = &f->w;
		q->nic = &f->w.nics[0];
		q->thread = &f->t[i % nt];
		q->index = i;
		q->fd = -1;
		q->info.nic_id = 7;
		q->info.ring_id = 10 + i;
		q->info.cells_per_chunk = FAKE_M;
		q->info.nr_chunks = FAKE_R;
		q->info.cell_size = FAKE_CELL;
		q->info.frame_offset = FAKE_FOFF;
		q->info.desc_ring_size = FAKE_DRING;
		if (geom) {
			q->info.cell_size = geom->cell_size;
			q->info.chunk_bytes = geom->chunk_bytes;
			q->info.spill_size = geom->spill_size;
			q->info.max_frame = geom->max_frame;
			q->info.features = geom->features;
		}
		wc_queue_geometry(q);
		q->hdr = &f->ctrl[i];
		q->descs = f->dring[i];
		f->pool_len = FAKE_R * q->chunk_bytes;
		f->pool[i] = calloc(1, f->pool_len);
		f->meta[i] = calloc(FAKE_R * FAKE_M, sizeof(*f->meta[i]));
		for (c = 0; c < FAKE_R * FAKE_M; c++) {
			size_t at = c / FAKE_M * q->chunk_bytes +
				    c % FAKE_M * q->info.cell_size + FAKE_FOFF;

			f->pool[i][at] = (uint8_t)c;
			f->pool[i][at + 1] = (uint8_t)i;
			f->meta[i][c].len = 60 + c % 100;
			f->meta[i][c].ts_ns = 1000ull * c + i;
			f->meta[i][c].hash = c * 3;
			f->meta[i][c].flags = c % 2 ? WIRECAP_CELL_HASH : 0;
		}
		q->pool = f->pool[i];
		q->meta = f->meta[i];
		if (buddies && buddies[i]) {
			unsigned int n = 0;

			while (buddies[i][n] >= 0)
				n++;
			q->buddies = calloc(n + 1, sizeof(*q->buddies));
			for (c = 0; c < n; c++)
				q->buddies[c] = buddies[i][c];
			q->nbuddies = n;
			q->buddies_set = true;
		}
	}
	wc_offload_plan(&f->w);
	for (i = 0; i < nq; i++)
		wc_queue_rings(&f->q[i], capq, -1);
}

static inline void fake_init_full(struct fake *f, unsigned int nq,
				  unsigned int nt, unsigned int mode,
				  unsigned int pct, unsigned int capq,
				  const int *const *buddies)
{
	fake_init_geom(f, nq, nt, mode, pct, capq, buddies, NULL);
}

static inline void fake_init(struct fake *f, unsigned int capq)
{
	fake_init_full(f, 2, 1, WIRECAP_MODE_BASIC, 0, capq, NULL);
}

static inline void fake_fini(struct fake *f)
{
	unsigned int i;

	for (i = 0; i < f->w.nq; i++) {
		wc_queue_free_rings(&f->q[i]);
		free(f->q[i].buddies);
		free(f->q[i].spare);
		free(f->pool[i]);
		free(f->meta[i]);
	}
	for (i = 0; i < f->w.nt; i++)
		close(f->t[i].kick.efd);
	free(f->q);
}

static inline struct wirecap_desc fake_desc(const struct wirecap_queue *q,
					    uint32_t chunk, uint16_t first,
					    uint16_t count, uint32_t seq)
{
	return (struct wirecap_desc){
		.nic_id = 7, .ring_id = (uint16_t)q->info.ring_id,
		.chunk_id = chunk, .first_cell = first, .pkt_count = count,
		.seq = seq,
	};
}

/* The capture thread's side: one descriptor straight into q's own lane. */
static inline int push(struct wirecap_queue *q, uint32_t chunk,
		       uint16_t first, uint16_t count, uint32_t seq)
{
	struct wc_ring *r = &q->capq.lane[q->thread->index].r;
	uint32_t idx;

	if (!wc_ring_reserve(r, 1, &idx))
		return 0;
	*(struct wirecap_desc *)wc_ring_slot(r, idx) =
		fake_desc(q, chunk, first, count, seq);
	wc_ring_submit(r, 1);
	wc_add(&q->ts.captured, 1);	/* as wc_capture_move() counts */
	wc_wake(&q->waiter);
	wc_wake_nofence(&q->w->waiter);
	return 1;
}

/*
 * The kernel's side: publish a descriptor in q's descriptor ring. 0 if
 * the ring is full (the library has not consumed it).
 */
static inline int fake_publish(struct fake *f, struct wirecap_queue *q,
			       const struct wirecap_desc *d)
{
	struct wirecap_ctrl *c = &f->ctrl[q->index];
	uint32_t tail = c->desc_tail;

	if (tail - q->head >= FAKE_DRING)
		return 0;
	f->dring[q->index][tail % FAKE_DRING] = *d;
	__atomic_store_n(&c->desc_tail, tail + 1, __ATOMIC_RELEASE);
	return 1;
}

/* ... and one record from q's recycle queue (any lane), counted back. */
static inline int pop_recycled(struct wirecap_queue *q, struct wirecap_desc *d)
{
	struct wc_lane *lane;
	uint32_t idx;

	lane = wc_lanes_peek(&q->recq, &q->recq_next, &idx);
	if (!lane)
		return 0;
	*d = *(struct wirecap_desc *)wc_ring_slot(&lane->r, idx);
	wc_ring_release(&lane->r, 1);
	wc_add(&q->ts.returned, 1);	/* as recycle_prep() counts */
	return 1;
}

#endif /* WIRECAP_LIB_FAKE_H */
