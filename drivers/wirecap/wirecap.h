/* SPDX-License-Identifier: GPL-2.0 */
/*
 * wirecap.ko internals.
 *
 * LOCKING
 *
 *   RTNL                             held around ->queue_start and
 *                                    ->queue_stop (ATTACH, DETACH, close,
 *                                    NIC removal, a move to another
 *                                    network namespace), as the kernel's
 *                                    own queue reconfiguration is; it
 *                                    orders them against ethtool and
 *                                    ndo calls on the same NIC.
 *   wirecap_nics_lock (mutex)        the list of registered NICs and every
 *                                    queue's name and device node (NIC
 *                                    registration, renames). Taken under
 *                                    RTNL by the netdevice notifier: never
 *                                    take RTNL while holding it.
 *   wirecap_queue.ctl_lock (mutex)   ATTACH, DETACH, mmap, NIC removal:
 *                                    whatever creates or destroys a pool
 *                                    or calls ->queue_start/->queue_stop;
 *                                    q->broken.
 *   wirecap_queue.lock (spinlock_bh) the pool's chunk states and lists,
 *                                    the descriptor ring, the parked
 *                                    CAPTURE commands, the counters, the
 *                                    seq stamp, q->dead, q->ifname and
 *                                    the pool pointer itself. Taken from
 *                                    process context, the NIC's RX softirq
 *                                    and the timeout hrtimer (soft mode).
 *
 *   Order: RTNL, wirecap_nics_lock, ctl_lock, the NIC driver's RX lock,
 *   lock. Pool memory is allocated before RTNL is taken. The pool
 *   pointer is set and cleared with both ctl_lock and lock held, so code
 *   holding either sees a stable value. Nothing is called with lock held
 *   except ->refill_kick (documented as callable in any context).
 *   Functions that expect a lock say so with lockdep_assert_held().
 *
 * LIFETIME
 *
 *   A queue is a struct device (its release frees it); its /dev node is a
 *   child device of its own (q->node), remade when the NIC is renamed.
 *   The NIC holds one reference until it unregisters, every open file one
 *   more (through the cdev, whose parent it is). After the NIC is gone the
 *   queue is "dead": every operation answers -ENODEV and only close
 *   remains. Pool pages are inserted into user mappings with
 *   vm_insert_pages(), so each mapping holds its own page references and
 *   freeing the pool while user space still maps it is safe.
 *
 *   A pool holds a reference to its queue. Cells XMIT gave a NIC keep
 *   their pool (p->tx_inflight, under the queue's lock): a DETACH with
 *   cells still out leaves the pool an orphan (no longer q->pool), and
 *   the wirecap_tx_done() that brings the last one back queues its free
 *   (process context: pool_free_work). The NIC's ->xmit runs under RCU,
 *   after a check of the output queue's death under its lock;
 *   wirecap_nic_unregister() waits for it with synchronize_rcu() before
 *   it frees the NIC.
 */
#ifndef _WIRECAP_H
#define _WIRECAP_H

#include <linux/cdev.h>
#include <linux/device.h>
#include <linux/hrtimer.h>
#include <linux/list.h>
#include <linux/lockdep.h>
#include <linux/mutex.h>
#include <linux/refcount.h>
#include <linux/rtnetlink.h>
#include <linux/spinlock.h>
#include <linux/wait.h>
#include <linux/wirecap.h>

#include "wirecap_nic.h"
#include "compat.h"

#define WIRECAP_CELL_SIZE	2048	/* the default */
#define WIRECAP_CELL_SHIFT_MIN	7	/* 128 bytes: a 64-byte frame and a header */
/* Frames longer than this are oversize drops: cell_meta.len is 16 bits. */
#define WIRECAP_MAX_FRAME	U16_MAX
#define WIRECAP_POOL_MMAP_OFF	(1ULL << 32)
#define WIRECAP_MAX_M		32768

extern unsigned int wirecap_max_timeout_ms;
extern unsigned int wirecap_max_pool_mb;
extern atomic_t wirecap_pool_pages;

enum wirecap_chunk_state {
	WC_CHUNK_FREE,		/* on pool->free */
	WC_CHUNK_ATTACHED,	/* on pool->attached, its cells at the NIC */
	WC_CHUNK_FULL,		/* on pool->full, waiting for CAPTURE */
	WC_CHUNK_CAPTURED,	/* on no list: every cell is in a view */
};

struct wirecap_chunk {
	struct list_head node;
	enum wirecap_chunk_state state;
	u32 segment;		/* while ATTACHED */
	u32 filled;		/* cells the NIC filled */
	u32 prefix;		/* cells [0, prefix) are all filled */
	u32 handed;		/* cells [0, handed) were handed out */
	u32 views_out;		/* views not recycled yet */
	/*
	 * The first cell of a frame still being filled (its further cells
	 * are to come), or m: prefix stops there, and the chunk is not FULL
	 * before the frame is complete.
	 */
	u32 open_from;
	u32 conts;		/* WIRECAP_CELL_CONT cells filled */
	u32 spill_used;		/* bytes of the spill area holding a frame */
};

/*
 * The frame the NIC is filling across cells (WIRECAP_RX_MORE), in the
 * queue's RX context, under queue->lock.
 */
struct wirecap_rx_frame {
	u32 head;		/* its first cell, or U32_MAX: none open */
	u32 cells;		/* cells so far, the first included */
	u32 len;		/* frame bytes so far */
	u32 last;		/* the last cell so far */
	bool spilling;		/* the rest goes to the head chunk's spill */
	bool bad;		/* discard it when it ends */
	bool oversize;		/* ... as an oversize drop */
};

struct wirecap_pool {
	u32 m;			/* cells per chunk */
	u32 r;			/* chunks */
	u32 nr_segments;	/* ring size / m */
	u32 cell_size;		/* a power of two, 256 to PAGE_SIZE */
	u32 cell_shift;		/* log2(cell_size) */
	/* pages of a chunk: m * cell_size for its cells, then its spill */
	u32 chunk_pages;
	u32 spill_size;		/* bytes: 0 when no frame spans cells */
	u32 max_frame;		/* longest frame captured */
	bool multi;		/* frames may span cells */

	/* memory */
	u32 nr_pages;
	struct page **pages;
	dma_addr_t *page_dma;	/* NULL when the NIC does not DMA */
	struct device *dma_dev;
	struct wirecap_cell *cells;		/* r * m */
	void *ctrl;				/* vmalloc_user, read-only map */
	size_t ctrl_size;
	struct wirecap_ctrl *hdr;
	struct wirecap_desc *descs;
	struct wirecap_cell_meta *meta;
	u32 desc_size;
	u32 desc_head;		/* as last reported by user space */
	u32 desc_tail;

	/* chunk state, all under queue->lock */
	struct wirecap_chunk *chunks;
	struct list_head free;
	struct list_head attached;	/* in attach order */
	struct list_head full;		/* in fill order */
	u32 nr_free;
	u32 nr_full;
	u32 *waiting;		/* segments without a chunk, FIFO */
	u32 wait_head, wait_tail;
	unsigned long *filled_map;	/* one bit per cell */
	u16 *view_len;		/* per cell: length of the view starting here */
	u32 *view_seq;		/* per cell: stamp of that view */
	/*
	 * Per cell, of the view starting there: nonzero while XMIT has it
	 * (1 while an XMIT builds its run of records, plus one per cell at
	 * a NIC); the view returns to the pool when it drops to 0.
	 */
	u32 *view_tx;
	u32 tx_inflight;	/* references view_tx counts, all views */
	bool stopping;		/* being detached: no kick, no park, no XMIT */
	/*
	 * Detached with cells still at NICs: no longer q->pool, freed by the
	 * last wirecap_tx_done() (free_work). Under the queue's lock.
	 */
	bool orphan;
	struct work_struct free_work;
	struct wirecap_queue *q;	/* a reference: tx_done needs its lock */

	/*
	 * Memory charged at ATTACH against RLIMIT_MEMLOCK: given back when
	 * the pool and every mapping of it are gone. NULL: nothing charged.
	 */
	struct wirecap_charge *charge;
	struct list_head abandoned;	/* wirecap_pool_abandon() */
};

struct wirecap_charge {
	refcount_t ref;			/* the pool, and each mapping */
	struct user_struct *user;
	unsigned long pages;
};

struct wirecap_nic {
	struct wirecap_nic_config cfg;
	u16 id;
	struct list_head node;		/* on wirecap_nics */
	struct wirecap_queue **queues;
};

struct wirecap_queue {
	struct device dev;
	struct device *node;		/* its /dev node; under wirecap_nics_lock */
	dev_t devt;
	struct cdev cdev;
	struct wirecap_nic *nic;	/* NULL once dead */
	u16 nic_id;
	u16 ring_id;
	u32 nr_rings;
	u32 ring_size;
	u32 max_m;			/* cells per chunk at most */
	u32 frame_offset;
	u32 cell_sizes;			/* bit n: 2^n bytes, as cfg says */
	u32 cell_size;			/* of the pool attached (or last) */
	u32 max_frame;			/* likewise */
	struct wirecap_rx_frame rx;	/* under lock, in the RX context */
	u64 features;
	int numa_node;
	char ifname[IFNAMSIZ];
	atomic_t opened;		/* exclusive open */

	struct mutex ctl_lock;		/* see LOCKING */
	spinlock_t lock;		/* see LOCKING */
	struct wirecap_pool *pool;
	bool dead;
	bool broken;			/* the NIC could not stop DMA into a pool */
	bool promisc;			/* ctl_lock: we made the NIC promiscuous */
	u32 gen;			/* moves of the NIC to another netns */
	u32 seq;			/* last stamp handed out, across pools */
	struct list_head parked;	/* CAPTURE commands waiting, by deadline */
	u32 nr_parked;
	struct hrtimer timer;		/* earliest parked deadline */
	wait_queue_head_t wait;		/* ioctl CAPTURE and poll() */
	wait_queue_head_t tx_wait;	/* XMIT waiting for its cells to go */
	struct wirecap_stats stats;	/* size field unused here */
};

/* An open file of a queue. */
struct wirecap_file {
	struct wirecap_queue *q;
	u32 gen;		/* q->gen at open: stale once it differs */
};

/* Messages about a queue, by the name its user knows (renames follow). */
#define wc_qerr(q, fmt, ...)						\
	pr_err("wirecap: %s-q%u: " fmt, (q)->ifname, (q)->ring_id,	\
	       ##__VA_ARGS__)
#define wc_qerr_ratelimited(q, fmt, ...)				\
	pr_err_ratelimited("wirecap: %s-q%u: " fmt, (q)->ifname,	\
			   (q)->ring_id, ##__VA_ARGS__)

/* pool.c, chunk.c */
struct wirecap_pool *wirecap_pool_create(struct wirecap_queue *q, u32 m,
					 u32 r, u32 cell_size, bool multi);
struct page *wirecap_cell_page(const struct wirecap_pool *p, u32 cell,
			       u32 *offset);
void wirecap_pool_destroy(struct wirecap_pool *p);
void wirecap_pool_abandon(struct wirecap_pool *p);
int wirecap_pool_mmap(struct wirecap_file *wf, struct vm_area_struct *vma);
void wirecap_pool_free_later(struct wirecap_pool *p);
int wirecap_pool_init(void);
void wirecap_pool_exit(void);
u32 wirecap_publish(struct wirecap_queue *q, struct wirecap_pool *p, u32 max,
		    bool partial);
bool wirecap_has_full(const struct wirecap_pool *p);
bool wirecap_has_unhanded(const struct wirecap_pool *p);
int wirecap_set_desc_head(struct wirecap_queue *q, struct wirecap_pool *p,
			  u32 head);
void wirecap_ctrl_sync(struct wirecap_pool *p);

/* chunk.c */
bool wirecap_chunk_put_view(struct wirecap_queue *q, struct wirecap_pool *p,
			    struct wirecap_chunk *c, u32 cell);
bool wirecap_chunk_wanted(const struct wirecap_pool *p);

/* recycle.c */
int wirecap_recycle(struct wirecap_file *wf,
		    const struct wirecap_recycle_cmd *rc);
bool wirecap_view_out(const struct wirecap_queue *q,
		      const struct wirecap_pool *p, const struct wirecap_desc *d);
bool wirecap_view_back(struct wirecap_queue *q, struct wirecap_pool *p,
		       u32 cell);
void wirecap_chunks_freed(struct wirecap_queue *q, struct wirecap_pool *p);

/* xmit.c */
long wirecap_xmit(struct wirecap_file *wf, const struct wirecap_xmit_cmd *xc);

/* capture.c */
void wirecap_capture_init(struct wirecap_queue *q);
int wirecap_capture_uring(struct wirecap_file *wf, struct io_uring_cmd *cmd,
			  unsigned int issue_flags);
void wirecap_capture_cancel(struct wirecap_queue *q, struct io_uring_cmd *cmd,
			    unsigned int issue_flags);
long wirecap_capture_ioctl(struct wirecap_file *wf,
			   const struct wirecap_capture_cmd *cc);
void wirecap_capture_wake(struct wirecap_queue *q, bool filled);
void wirecap_capture_flush(struct wirecap_queue *q, int res);

/* queue.c */
extern const struct file_operations wirecap_fops;
extern const struct attribute_group *wirecap_queue_groups[];
int wirecap_file_check(const struct wirecap_file *wf);
void wirecap_queue_kill(struct wirecap_queue *q);
void wirecap_queue_revoke(struct wirecap_queue *q);

static inline void wirecap_high_water(struct wirecap_queue *q,
				      const struct wirecap_pool *p)
{
	u64 used = p->r - p->nr_free;

	lockdep_assert_held(&q->lock);
	if (used > q->stats.pool_high_water)
		q->stats.pool_high_water = used;
}

#endif /* _WIRECAP_H */
