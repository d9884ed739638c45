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
 *   (a) the application thread reading the queue
 * Shared words are accessed with __atomic builtins; the rings document
 * their own ordering (ring.h), the sleep/wake words theirs (wait.h).
 */
#ifndef WIRECAP_LIB_INTERNAL_H
#define WIRECAP_LIB_INTERNAL_H

#include <pthread.h>
#include <stdarg.h>
#include <stdbool.h>

#include "wirecap.h"
#include "ring.h"
#include "wait.h"
#include "wirecap_uring.h"

#define WC_DEFAULT_TIMEOUT_US	10000
#define WC_DEFAULT_BATCH	64
#define WC_RECYCLE_BATCH	256	/* records per RECYCLE command */
#define WC_SPIN_NS		20000	/* busy-poll before sleeping */

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

static inline void wc_cpu_relax(void)
{
#if defined(__x86_64__) || defined(__i386__)
	__builtin_ia32_pause();
#else
	__asm__ __volatile__("" ::: "memory");
#endif
}

struct wc_thread;

struct wirecap_queue {
	/* (o) identity, mappings, geometry: read-only while running */
	struct wirecap *w;
	struct wc_thread *thread;
	unsigned int index;		/* in the session */
	int fd;
	struct wirecap_info info;
	void *ctrl;
	size_t ctrl_len;
	uint8_t *pool;
	size_t pool_len;
	const struct wirecap_ctrl *hdr;
	const struct wirecap_desc *descs;	/* the kernel's descriptor ring */
	const struct wirecap_cell_meta *meta;
	struct wirecap_stats base;	/* kernel counters at attach */
	void *capq_mem, *recq_mem;
	size_t capq_bytes, recq_bytes;

	/*
	 * The work-queue pair. capq: (t) produces, (a) consumes; recq: (a)
	 * produces, (t) consumes. The ring keeps each side's fields on its
	 * own cache line.
	 */
	struct wc_ring capq;
	struct wc_ring recq;
	struct wc_waiter waiter;	/* (a) sleeps here for capq */

	/* shared flags */
	_Alignas(WC_CACHELINE) uint32_t stalled; /* (t) capq was full */
	int err;			/* (t) the queue failed: -errno */

	/* (t) capture-thread private */
	_Alignas(WC_CACHELINE) unsigned int slot; /* in the thread's ring */
	bool armed;			/* a CAPTURE is in flight */
	bool rec_busy;			/* rec_buf is in a RECYCLE */
	uint32_t head;			/* descriptor ring consumed */
	uint32_t rec_n;
	struct wirecap_desc *rec_buf;	/* WC_RECYCLE_BATCH records */
	struct {
		uint64_t captures, captured, capq_full, recycled, refused;
	} ts;

	/* (a) application private */
	_Alignas(WC_CACHELINE) struct wirecap_chunk cur; /* dispatch's chunk */
	unsigned int cur_next;		/* its next packet */
	struct {
		uint64_t delivered, pkts, released, sleeps;
	} as;
};

struct wc_thread {
	struct wirecap *w;
	unsigned int index;
	pthread_t tid;
	bool joinable;
	struct wirecap_queue **queues;	/* the queues it drives */
	unsigned int nq;
	struct wirecap_uring wu;
	uint64_t efd_buf;		/* the eventfd read's target */
	bool wake_armed;		/* that read is in flight */
	struct wc_kick kick;		/* (a) wakes the thread */
	uint32_t stop;			/* (o) set: finish up and exit */
	int init_ret;			/* result of the thread's setup */
};

struct wirecap {
	char ifname[WIRECAP_IFNAMSIZ];
	struct wirecap_opts opts;	/* resolved: defaults filled in */
	int node;			/* NUMA node for placement, or -1 */
	struct wirecap_queue *queues;
	unsigned int nq;
	struct wirecap_queue **by_ring;	/* owner of a chunk, by ring_id */
	unsigned int nr_by_ring;
	struct wc_thread *threads;
	unsigned int nt;
	bool started;
	struct wc_waiter waiter;	/* wirecap_wait() sleeps here */

	/* wirecap_start() waits for the threads' setup */
	pthread_mutex_t lock;
	pthread_cond_t cond;
	unsigned int ready;
};

/*
 * The queue a descriptor's chunk belongs to: the one it must be read from
 * and recycled to. (In basic mode that is the queue whose capture queue
 * held it; with buddy offloading it need not be.) NULL if not ours.
 */
static inline struct wirecap_queue *wc_owner(const struct wirecap *w,
					     const struct wirecap_desc *d)
{
	struct wirecap_queue *q;

	if (d->ring_id >= w->nr_by_ring)
		return NULL;
	q = w->by_ring[d->ring_id];
	return q && q->info.nic_id == d->nic_id ? q : NULL;
}

/* wirecap.c */
void wc_log(const struct wirecap *w, int level, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* queue.c */
int wc_queue_open(struct wirecap *w, struct wirecap_queue *q,
		  unsigned int ring);
int wc_queue_rings(struct wirecap_queue *q, unsigned int capq_size, int node);
void wc_queue_close(struct wirecap_queue *q);
void wc_queue_drain_capq(struct wirecap_queue *q);
int wc_queue_recycle_all(struct wirecap_queue *q);

/* capture.c */
void *wc_capture_thread(void *arg);

/* numa.c */
int wc_numa_cpus(int node);
int wc_numa_max_node(void);
void *wc_numa_alloc(size_t bytes, int node);
void wc_numa_free(void *p, size_t bytes);
void wc_numa_run_on(int node);

#endif /* WIRECAP_LIB_INTERNAL_H */
