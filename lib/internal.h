/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * libwirecap's private structures.
 *
 *   struct wirecap            the session: its queues, its capture threads
 *     struct wirecap_queue    one receive queue: fd, mappings, and its
 *                             work-queue pair (capture queue, recycle queue)
 *     struct wc_thread        one capture thread: one io_uring, many queues
 *
 * Who writes what. Each field below is written by one party only:
 *   (o) wirecap_open/close, before threads start or after they stopped
 *   (t) the capture thread that drives the queue
 *   (a) the application thread reading the queue (or, on a shared
 *       queue, whichever reader holds its lock)
 *   (any) any thread, or a signal handler: the shutdown flag, the
 *       interrupt words (wirecap_shutdown, wirecap_interrupt)
 * Shared words are accessed with __atomic builtins; the rings document
 * their own ordering (ring.h), the sleep/wake words theirs (wait.h).
 */
#ifndef WIRECAP_LIB_INTERNAL_H
#define WIRECAP_LIB_INTERNAL_H

#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdbool.h>
#include <time.h>

#include "wirecap.h"
#include "ring.h"
#include "lanes.h"
#include "wait.h"
#include "wirecap_uring.h"

#define WC_DEFAULT_TIMEOUT_US	10000
#define WC_DEFAULT_BATCH	64
#define WC_RECYCLE_BATCH	256	/* records per RECYCLE command */
#define WC_SPIN_NS		20000	/* busy-poll before sleeping */
#define WC_DEFAULT_OFFLOAD_PCT	60	/* T: the paper's middle value */
/*
 * A buddy has spare capacity when its readers waited for chunks, or read
 * other queues' chunks, at least WC_SPARE_MIN_PERMILLE of the last
 * WC_SPARE_WINDOW_NS (offload.c).
 */
#define WC_SPARE_WINDOW_NS	100000000ull
#define WC_SPARE_MIN_PERMILLE	50
#define WC_MAX_NICS		16	/* NICs in one session */

/* Public symbols; everything else is hidden (-fvisibility=hidden). */
#define WC_EXPORT	__attribute__((visibility("default")))

/* A counter with one writer and any readers. */
static inline void wc_add(uint64_t *c, uint64_t n)
{
	__atomic_store_n(c, *c + n, __ATOMIC_RELAXED);
}

static inline uint64_t wc_read(const uint64_t *c)
{
	return __atomic_load_n(c, __ATOMIC_RELAXED);
}

/*
 * CLOCK_MONOTONIC_COARSE in ns: a jiffy's resolution, but read from the
 * vDSO's data page alone, never from a clock device (an emulated HPET
 * costs microseconds a read). For accounting over many waits, where the
 * rounding of each averages out.
 */
static inline uint64_t wc_coarse_ns(void)
{
	struct timespec ts = { 0 };
	uint64_t ns;

	clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
	ns = (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
	return ns ? ns : 1;		/* 0 means "none" to its users */
}

static inline void wc_cpu_relax(void)
{
#if defined(__x86_64__) || defined(__i386__)
	__builtin_ia32_pause();
#else
	__asm__ __volatile__("" ::: "memory");
#endif
}

struct wc_thread;

#define WC_VIEW_DEAD	0x80000000u	/* views[]: released (see there) */

/*
 * A record of a recycle queue names one view of the pool that left its
 * reader: released (a RECYCLE record, the descriptor as the kernel
 * published it), or given to XMIT (wirecap_xmit, xmit.c), when its
 * pkt_count is 0: the kernel takes such a view back by itself once the
 * NIC has sent it, so the capture thread sends nothing, only counts the
 * view back (views_left, capture.c), as it counts a released one. One
 * record per view either way, so a lane never holds more records than
 * views are out (views_max).
 */
static inline bool wc_rec_xmitted(const struct wirecap_desc *d)
{
	return !d->pkt_count;
}

/*
 * The kernel's counters as WIRECAP_CMD_STATS writes them: kernel ABI v1's
 * layout, which only ever grows at the end (uapi GROWTH), pinned here so
 * that the library reads the counters it knows whatever the uapi header
 * it is built with says; the kernel tells in size how much it wrote.
 */
struct wc_kcounters {
	uint32_t size;
	uint32_t reserved0;
	uint64_t received, capture_drops, oversize_drops, delivered;
	uint64_t chunks_captured, partial_views, chunks_recycled;
	uint64_t recycle_refused, segment_waits, pool_high_water;
	uint64_t captures_parked, capture_timeouts;
	uint64_t rx_errors;
	uint64_t xmit_sent, xmit_completed, xmit_refused, xmit_dropped;
	uint64_t newer[12];	/* room for counters we do not know yet */
};

/*
 * Flow mode (flow.c): a table per queue of WC_FLOW_BUCKETS buckets, each
 * the flows whose hash falls in it, processed by one member of the
 * queue's group (the queue itself, position 0, and its buddies, 1..n) at
 * a time.
 */
#define WC_FLOW_BUCKETS		1024
#define WC_FLOW_MAXM		15	/* members: the queue and 14 buddies */
#define WC_FLOW_DECAY		64	/* views between halvings of counts */
#define WC_FLOW_HOLD		64	/* views a moved bucket stays put */
#define WC_FLOW_QUIET		8	/* views after a migration before the
					 * next one may begin */
#define WC_FLOW_RELOOK		64	/* rounds of the capture thread with
					 * no view published between looks */

/*
 * The fview word of a view (see fview below): its stamp, then a bit when
 * a migration gave part of it to a new owner (fsteal), a bit per member
 * that took it from its capture queue, a bit per member still holding
 * it.
 */
#define WC_FV_HOLDERS		0x7fffu
#define WC_FV_TAKEN(p)		(1ull << (16 + (p)))
#define WC_FV_STOLEN		(1ull << 31)

/*
 * A view whose old owner's share a migration split (flow.c, steal):
 * member from keeps kfrom packets, fsidx[v ...], and member to reads
 * the kto that follow, fsidx[v + kfrom ...]; the others read theirs as
 * published.
 */
struct wc_steal {
	uint8_t from, to;
	uint16_t kfrom, kto;
};

struct wc_flow {
	uint32_t v;		/* the last view of the pool that held a
				 * packet of it, at its owner: first cell */
	uint32_t seq;		/* and that view's stamp */
	uint32_t moved_at;	/* views of the pool before its last move */
	uint16_t count;		/* its packets lately (halved every
				 * WC_FLOW_DECAY views) */
	uint8_t owner;		/* member position */
	uint8_t seen;		/* v and seq are set */
};

struct wc_flowtab {
	/* (o) */
	unsigned int nm;			/* members */
	struct wirecap_queue *m[WC_FLOW_MAXM];	/* m[0]: the queue */
	uint16_t *bkt;				/* scratch: a view's buckets */
	uint32_t dsize;				/* defer[] entries, 2^n */
	struct wirecap_desc *defer;
	struct wirecap_desc *sbuf;		/* scratch: views split */
	/* (t) the queue's capture thread */
	struct wc_flow e[WC_FLOW_BUCKETS];
	uint32_t owning;		/* members that own a bucket, bit p */
	uint32_t views;			/* since the last halving */
	uint32_t nviews;		/* views published, all told */
	uint32_t quiet_until;		/* nviews: no migration before */
	uint32_t looked_at;		/* nviews at the last look + 1 */
	uint32_t rounds_since_look;	/* with no view published */
	uint32_t state;			/* WC_FLOW_IDLE, _BARRIER, _FLUSH;
					 * readers look (relaxed) to kick */
	uint8_t from, to;		/* the migration in progress */
	uint32_t bar_v, bar_seq;	/* its barrier: from releases that */
	uint32_t bar_from;		/* nviews when the migration began */
	uint32_t dhead, dtail;		/* defer[]: views for to, in order */
	uint64_t moved, rounds;		/* buckets migrated, migrations */
	uint64_t held;			/* views held back for new owners */
	uint64_t stolen;		/* of them, views split (steal) */
	uint64_t held_max;		/* most held back at once */
	uint64_t bar_views;		/* views published from migrations'
					 * decisions until their held-back
					 * views went */
	uint64_t lost_pkts;		/* held back for a member that left */
	uint64_t lost_unread;		/* (any thread, atomic) given to a
					 * member that left without reading */
	/*
	 * (r) reader of member p: the last view of the pool it took,
	 * stamp << 32 | first cell, stored before it let go of the slot
	 */
	uint64_t took[WC_FLOW_MAXM];
};

enum { WC_FLOW_IDLE, WC_FLOW_BARRIER, WC_FLOW_FLUSH };

/* One NIC of the session: which of our queues is which of its rings. */
struct wc_nic {
	char ifname[WIRECAP_IFNAMSIZ];
	uint16_t nic_id;
	struct wirecap_queue **by_ring;	/* owner of a chunk, by ring_id */
	unsigned int nr_by_ring;
};

/*
 * Cache lines: both sides read the (o) part per chunk, so nothing written
 * per chunk lives there; the sleep word, the error, the capture thread's
 * fields and the reader's fields each start a line of their own
 * (selftests/host/lib_layout.c checks it).
 */
struct wirecap_queue {
	/* (o) identity, mappings, geometry: read-only while running */
	struct wirecap *w;
	struct wc_nic *nic;
	struct wc_thread *thread;
	unsigned int index;		/* in the session */
	unsigned int group;		/* buddy group: its lowest index */
	unsigned int *buddies;		/* session indices it may offload to */
	unsigned int nbuddies;
	bool buddies_set;		/* by wirecap_set_buddies() */
	bool shared;			/* several application threads read it:
					 * lock serialises taking and releasing */
	int fd;
	struct wirecap_info info;
	void *ctrl;
	size_t ctrl_len;
	uint8_t *pool;
	size_t pool_len;
	size_t chunk_bytes;		/* chunk k at pool + k * chunk_bytes
					 * (wc_queue_geometry) */
	const struct wirecap_ctrl *hdr;
	const struct wirecap_desc *descs;	/* the kernel's descriptor ring */
	const struct wirecap_cell_meta *meta;
	struct wc_kcounters base;	/* kernel counters at attach */
	/*
	 * The views of this pool out with readers, one word per cell, at
	 * the view's first cell: its stamp (seq) from when a reader took it
	 * (take(), chunk.c) until it is released or given to XMIT
	 * (wc_chunk_claim), then seq ^ WC_VIEW_DEAD.
	 * A release that does not find its stamp there (a copy released
	 * twice, an old copy) sends nothing. Written by the readers of the
	 * queues the views travel through, with atomics.
	 */
	uint32_t *views;
	/*
	 * Frames across cells (WIRECAP_F_MULTI_CELL; NULL otherwise): the
	 * packets of each view, as wc_view_index() found them. At the
	 * view's first cell v (chunk_id * M + first_cell), view_pkts[v]
	 * packets, and view_cell[v + j] the cell of packet j, counted from
	 * first_cell. Written by q's capture thread when it takes the view
	 * off the descriptor ring, before it publishes it in a capture
	 * queue: that ring's release (wc_ring_submit) and the reader's
	 * acquire (wc_ring_peek) make them visible to whichever reader takes
	 * the view, a buddy's included. Views of a chunk never overlap, and
	 * a view is not captured again before it came back, so no entry is
	 * written while a reader holds its view.
	 */
	uint16_t *view_cell;
	uint16_t *view_pkts;
	/*
	 * Flow mode (flow.c; NULL otherwise). A view of this pool goes to
	 * every member of the group that owns a flow in it; each reads
	 * only its own packets. At the view's first cell v: fview[v], its
	 * stamp (high 32 bits) and the members still holding it (a bit
	 * per position, WC_FV_HOLDERS), set by the capture thread before
	 * it publishes the view, cleared bit by bit by the readers that
	 * release it (atomics): the last one gives the view back; a
	 * reader sets its WC_FV_TAKEN bit as it takes the view. fidx[v
	 * ...] the view's packet indices grouped by member, member p's
	 * from fstart[v * (nm + 1) + p] to fstart[v * (nm + 1) + p + 1];
	 * written before the view is published, like view_cell. A view
	 * split by a migration (WC_FV_STOLEN) has fsteal[v] and fsidx[v
	 * ...], written before the flag. fpos[i]: the position of session
	 * queue i among the members, or 0xff.
	 */
	struct wc_flowtab *ft;
	uint64_t *fview;
	uint16_t *fidx;
	uint16_t *fstart;
	struct wc_steal *fsteal;
	uint16_t *fsidx;
	uint8_t *fpos;
	/*
	 * Most views of this pool out at once (moved into capture queues
	 * and not yet back from the recycle queue): the size of each
	 * recycle lane, so that releasing never finds one full.
	 */
	uint32_t views_max;

	/*
	 * The work-queue pair, each a set of single-producer lanes
	 * (lanes.h). capq: lane t is produced by capture thread t, consumed
	 * by (a); recq: lane b is produced by (a) of queue b releasing this
	 * queue's chunks, consumed by (t). Their cursors are below.
	 */
	struct wc_lanes capq;
	struct wc_lanes recq;

	/* (a) sleeps here for capq; wakers bump it */
	_Alignas(WC_CACHELINE) struct wc_waiter waiter;

	/* shared flags */
	_Alignas(WC_CACHELINE) int err;	/* (t) the queue failed: -errno */
	uint32_t detached;		/* (a) wirecap_queue_detach(): no
					 * more chunks in or out of it */

	/* (t) capture-thread private */
	_Alignas(WC_CACHELINE) unsigned int slot; /* in the thread's ring */
	bool armed;			/* a CAPTURE is in flight */
	bool rec_busy;			/* rec_buf is in a RECYCLE */
	uint32_t k_detached;		/* DETACHed (released to the reader
					 * waiting in wirecap_queue_detach) */
	bool closed;			/* its device closed: fd, maps gone */
	uint32_t head;			/* descriptor ring consumed */
	uint32_t rec_n;			/* records in rec_buf */
	uint32_t recq_next;		/* recq: the lane to look at first */
	unsigned int offl_next;		/* buddy to look at first */
	/*
	 * Per buddy (as buddies[], nspare of them), its readers' spare time
	 * as this thread last measured it: at t, their idle total was idle,
	 * they had read pkts packets, offl of them other queues', and the
	 * buddy had offloaded out chunks; over the window before, they
	 * spent permille of the time idle or on other queues' packets
	 * (offload.c).
	 */
	struct wc_spare {
		uint64_t t, idle, pkts, offl, out;
		uint32_t permille;
	} *spare;
	unsigned int nspare;
	bool gated;			/* (t) stalled, waiting for spare time */
	struct wirecap_desc *rec_buf;	/* WC_RECYCLE_BATCH records */
	struct {
		uint64_t captures, captured, capq_full, recycled, refused;
		uint64_t offl_out, offl_out_pkts;
		uint64_t offl_no_spare;	/* kept: no buddy had spare time */
		uint64_t returned;	/* records taken from recq */
		uint64_t xmitted;	/* of those, views gone by XMIT */
	} ts;

	/* (a) application private */
	_Alignas(WC_CACHELINE) uint32_t capq_next; /* capq: lane to look
						     * at first */
	uint32_t in_call;		/* readers inside next_chunk or
					 * dispatch (wait.h); close waits
					 * for 0 */
	pthread_spinlock_t lock;	/* shared: taken per chunk */
	unsigned int cur_next;		/* cur's next packet */
	struct wirecap_chunk cur;	/* dispatch's chunk */
	struct {
		uint64_t delivered, pkts, released, sleeps;
		uint64_t offl_in, offl_in_pkts;
		uint64_t dup_releases;
	} as;
	/*
	 * (a) the readers' idle time (chunk.c, idle_begin): the total of
	 * finished idle spells, and when the current one began (0: none).
	 * Read by buddies' capture threads as spare capacity.
	 */
	_Alignas(WC_CACHELINE) uint64_t idle_ns;
	uint64_t idle_since;
};

/*
 * One per capture thread, in one array: cache-line aligned, so threads
 * never share a line; the kick, which readers poke on every release, on
 * a line apart from what the thread writes.
 */
struct wc_thread {
	struct wirecap *w;
	unsigned int index;
	pthread_t tid;
	bool joinable;
	struct wirecap_queue **queues;	/* the queues it drives */
	unsigned int nq;
	uint32_t stop;			/* (o) WC_RUN, WC_PAUSE, ... */
	uint32_t paused;		/* (t) saw WC_PAUSE: moves no more */
	int init_ret;			/* result of the thread's setup */
	_Alignas(WC_CACHELINE) struct wc_kick kick; /* (a) wakes the thread */
	_Alignas(WC_CACHELINE) struct wirecap_uring wu;
	uint64_t epoch;			/* (t) loop rounds, for detach */
	uint64_t efd_buf;		/* the eventfd read's target */
	bool wake_armed;		/* that read is in flight */
} __attribute__((aligned(WC_CACHELINE)));

/*
 * wc_thread.stop, set by wirecap_close() (PAUSE, then FINISH) or by a
 * failed wirecap_start() (ABORT). Paused, a thread arms no CAPTURE and
 * moves no descriptor into a capture queue (it says so in paused), but
 * still sends back what readers release; finishing, it gives everything
 * back to the kernel, cancels its parked CAPTUREs and exits; aborting, it
 * exits once nothing is in flight.
 */
enum { WC_RUN, WC_PAUSE, WC_FINISH, WC_ABORT };

struct wirecap {
	struct wirecap_opts opts;	/* resolved: defaults filled in */
	int node;			/* NUMA node for placement, or -1 */
	struct wc_nic nics[WC_MAX_NICS];
	unsigned int nnics;
	struct wirecap_queue **queues;	/* each its own allocation */
	unsigned int nq;
	struct wc_thread *threads;
	unsigned int nt;
	bool prepared;			/* threads planned, rings allocated */
	int efd;			/* wirecap_event_fd(), -1: none; set
					 * once, read by capture threads */
	bool started;			/* (o) atomic: readers look at it */
	uint32_t shutdown;		/* set once by wirecap_shutdown(),
					 * any thread or a signal handler */
	struct wc_waiter waiter;	/* wirecap_wait() sleeps here */
	uint32_t in_call;		/* threads inside wirecap_wait()
					 * (wait.h); close waits for 0 */

	/* wirecap_start() waits for the threads' setup */
	pthread_mutex_t lock;
	pthread_cond_t cond;
	unsigned int ready;
};

/*
 * May readers of w wait for chunks? 0; -ESHUTDOWN after
 * wirecap_shutdown(); -EBADFD before wirecap_start(), when none can come.
 * Acquire: pairs with the release stores of both flags.
 */
static inline int wc_session_state(const struct wirecap *w)
{
	if (__atomic_load_n(&w->shutdown, __ATOMIC_ACQUIRE))
		return -ESHUTDOWN;
	if (!__atomic_load_n(&w->started, __ATOMIC_ACQUIRE))
		return -EBADFD;
	return 0;
}

static inline bool wc_advanced(const struct wirecap *w)
{
	return w->opts.mode == WIRECAP_MODE_ADVANCED;
}

static inline bool wc_flow(const struct wirecap *w)
{
	return w->opts.mode == WIRECAP_MODE_FLOW;
}

/* Do q's chunks reach buddies (buddy lists, groups)? */
static inline bool wc_grouped(const struct wirecap *w)
{
	return w->opts.mode != WIRECAP_MODE_BASIC;
}

/*
 * The queue a descriptor's chunk belongs to: the one it must be recycled
 * to, whichever capture queue it travelled through. NULL if not ours.
 */
static inline struct wirecap_queue *wc_owner(const struct wirecap *w,
					     const struct wirecap_desc *d)
{
	unsigned int i;

	for (i = 0; i < w->nnics; i++) {
		const struct wc_nic *n = &w->nics[i];

		if (n->nic_id == d->nic_id)
			return d->ring_id < n->nr_by_ring ?
			       n->by_ring[d->ring_id] : NULL;
	}
	return NULL;
}

/*
 * May q take chunks, its own or offloaded ones? Not once it failed, nor
 * once detached. Any thread.
 */
static inline bool wc_queue_live(const struct wirecap_queue *q)
{
	return !__atomic_load_n(&q->err, __ATOMIC_RELAXED) &&
	       !__atomic_load_n(&q->detached, __ATOMIC_RELAXED);
}

/* wirecap.c */
void wc_log(const struct wirecap *w, int level, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
void wc_event_notify(struct wirecap *w);

/* queue.c */
int wc_queue_geometry(struct wirecap_queue *q);
int wc_queue_open(struct wirecap *w, struct wc_nic *nic,
		  struct wirecap_queue *q, unsigned int ring);
int wc_queue_rings(struct wirecap_queue *q, unsigned int capq_size, int node);
void wc_queue_free_rings(struct wirecap_queue *q);
void wc_queue_close(struct wirecap_queue *q);
void wc_queue_drain_capq(struct wirecap_queue *q);
int wc_queue_recycle_all(struct wirecap_queue *q);
void wc_queue_release_dev(struct wirecap_queue *q);
void wc_queue_return_capq(struct wirecap_queue *q);

/* chunk.c */
struct wirecap_queue *wc_chunk_claim(struct wirecap_chunk *c);
void wc_chunk_return(struct wirecap_queue *owner, struct wirecap_queue *via,
		     const struct wirecap_desc *d, bool released);
int wc_view_index(struct wirecap_queue *q, const struct wirecap_desc *d);

/* Packets of the view d of q's pool (d within q's geometry). */
static inline unsigned int wc_view_count(const struct wirecap_queue *q,
					 const struct wirecap_desc *d)
{
	if (!q->view_pkts)
		return d->pkt_count;	/* one cell, one packet */
	return q->view_pkts[(size_t)d->chunk_id * q->info.cells_per_chunk +
			    d->first_cell];
}

/*
 * The cell (of its chunk) of packet i < wc_view_count() of the view d of
 * q's pool.
 */
static inline unsigned int wc_view_cell(const struct wirecap_queue *q,
					const struct wirecap_desc *d,
					unsigned int i)
{
	if (!q->view_cell)
		return d->first_cell + i;
	return d->first_cell +
	       q->view_cell[(size_t)d->chunk_id * q->info.cells_per_chunk +
			    d->first_cell + i];
}

/* flow.c */
int wc_flow_alloc(struct wirecap_queue *q);
void wc_flow_free(struct wirecap_queue *q);
int wc_flow_publish(struct wirecap_queue *q, const struct wirecap_desc *d);
void wc_flow_tick(struct wirecap_queue *q);
bool wc_flow_due(struct wirecap_queue *q);
uint32_t wc_flow_room(struct wirecap_queue *q);
void wc_flow_unread(struct wirecap_queue *owner, struct wirecap_queue *via,
		    const struct wirecap_desc *d);
bool wc_flow_put(struct wirecap_queue *owner, struct wirecap_queue *via,
		 const struct wirecap_desc *d, bool *dup);
void wc_flow_took(struct wirecap_queue *owner, struct wirecap_queue *via,
		  const struct wirecap_desc *d);
void wc_flow_drain(struct wirecap_queue *q);
uint32_t wc_flow_hash(const uint8_t *data, uint32_t len);

/* The position of reader via among owner's members (flow mode). */
static inline unsigned int wc_flow_pos(const struct wirecap_queue *owner,
				       const struct wirecap_queue *via)
{
	return owner->fpos[via->index];
}

/*
 * The split of owner's view d (flow mode), if a migration split it and
 * member p is one of its two sides, else NULL. A side reads it after it
 * took the view, and the split is made only before the old owner took
 * it: it does not change under a reader.
 */
static inline const struct wc_steal *
wc_flow_split(const struct wirecap_queue *owner, const struct wirecap_desc *d,
	      unsigned int p)
{
	size_t v = (size_t)d->chunk_id * owner->info.cells_per_chunk +
		   d->first_cell;
	uint64_t w = __atomic_load_n(&owner->fview[v], __ATOMIC_ACQUIRE);
	const struct wc_steal *s = &owner->fsteal[v];

	if ((uint32_t)(w >> 32) != d->seq || !(w & WC_FV_STOLEN) ||
	    (p != s->from && p != s->to))
		return NULL;
	return s;
}

/* Packets of owner's view d that member p reads (flow mode). */
static inline unsigned int wc_flow_count(const struct wirecap_queue *owner,
					 const struct wirecap_desc *d,
					 unsigned int p)
{
	const uint16_t *st = &owner->fstart[((size_t)d->chunk_id *
		owner->info.cells_per_chunk + d->first_cell) *
		(owner->ft->nm + 1) + p];
	const struct wc_steal *s;

	if (p >= owner->ft->nm)
		return 0;
	s = wc_flow_split(owner, d, p);
	if (s)
		return p == s->from ? s->kfrom : s->kto;
	return (unsigned int)(st[1] - st[0]);
}

/* The view's packet index of member p's packet i (flow mode). */
static inline unsigned int wc_flow_pkt(const struct wirecap_queue *owner,
				       const struct wirecap_desc *d,
				       unsigned int p, unsigned int i)
{
	size_t v = (size_t)d->chunk_id * owner->info.cells_per_chunk +
		   d->first_cell;
	const struct wc_steal *s = wc_flow_split(owner, d, p);

	if (s)
		return owner->fsidx[v + (p == s->from ? 0 : s->kfrom) + i];
	return owner->fidx[v + owner->fstart[v * (owner->ft->nm + 1) + p] +
			   i];
}

/* capture.c */
void *wc_capture_thread(void *arg);
void wc_capture_move(struct wirecap_queue *q);

/* offload.c */
struct wirecap_queue *wc_offload_pick(struct wirecap_queue *q);
uint32_t wc_offload_room(struct wirecap_queue *q);
void wc_offload_measure(struct wirecap_queue *q);
void wc_offload_measure_at(struct wirecap_queue *q, uint64_t now);
bool wc_offload_gated(const struct wirecap_queue *q);
bool wc_offload_target_ok(const struct wirecap_queue *q, unsigned int i,
			  const struct wirecap_queue *b);
bool wc_offload_may(const struct wirecap_queue *q,
		    const struct wirecap_queue *b);
int wc_offload_plan(struct wirecap *w);

/* numa.c */
int wc_numa_cpus(int node);
int wc_numa_max_node(void);
void *wc_numa_alloc(size_t bytes, int node);
void wc_numa_free(void *p, size_t bytes);
void wc_numa_run_on(int node);

#endif /* WIRECAP_LIB_INTERNAL_H */
