/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The segment engine: the paper's receive path (section 4) on a NIC's
 * descriptor ring, shared by every descriptor-ring NIC (e1000e, ixgbe).
 *
 * The ring of N descriptors is split into K = N / M segments of M
 * descriptors. The core attaches a free chunk to a waiting segment and
 * calls ->post_cells(q, segment, cells, M); the NIC glue hands that to
 * wirecap_ring_post(), which writes the M cells' DMA addresses into the
 * segment's descriptors and moves the tail. The NIC fills descriptors in
 * ring order; wirecap_ring_clean() harvests the written-back ones and
 * reports each cell to the core (wirecap_rx_complete()), stamped when it
 * was harvested (struct wirecap_ring_wb, @ts_ns). When all M
 * descriptors of a segment are harvested its chunk is FULL and the core
 * posts the segment again with the next free chunk; with none free the
 * segment waits, the NIC runs out of descriptors and drops, and the glue
 * reads those drops from the NIC's own counters (wirecap_rx_dropped()).
 *
 *   descriptors   [ seg 0 | seg 1 | seg 2 | seg 3 ]
 *                     ^ntc      ^head_seg + nposted: next to post
 *                     head_seg (oldest posted, the NIC fills it next)
 *
 * Segments are posted strictly in ring order. The tail is the end of the
 * newest posted segment, less one descriptor when all K are posted: a NIC
 * sees head == tail as an empty ring, so the whole ring can never be
 * handed over. The held-back descriptor is released as soon as the oldest
 * segment is harvested, and the NIC reaches it only after that.
 * So there are at least two segments (M <= N / 2: the NIC registers
 * max_cells_per_chunk = N / 2), or the only one could never complete.
 *
 * A frame longer than one descriptor's buffer fills several descriptors
 * in ring order, EOP on the last only. Each descriptor without EOP is
 * reported with WIRECAP_RX_MORE and the length the NIC wrote (the whole
 * buffer), the EOP one as a frame of one descriptor is (its ERR flag makes
 * WIRECAP_RX_ERROR); the core joins them (wirecap_nic.h), also across a
 * segment's end and across several wirecap_ring_clean() calls. A NIC
 * reset that cuts such a frame is reported by wirecap_ring_restart()
 * through wirecap_rx_cut(). The NIC must have WIRECAP_F_MULTI_CELL.
 *
 * Context: every function here runs in the queue's RX context as
 * wirecap_nic.h defines it (the glue serialises them, e.g. with a lock
 * taken with bottom halves disabled). wirecap_ring_clean() calls into the
 * core, which may call ->post_cells() (and so wirecap_ring_post()) from
 * inside it: the engine is consistent at every such call.
 *
 * No kernel-only dependency beyond the types, so selftests/host builds it
 * against a model NIC.
 */
#ifndef _WIRECAP_RING_H
#define _WIRECAP_RING_H

#include <linux/types.h>

struct wirecap_queue;
struct wirecap_cell;
struct wirecap_ring;

/*
 * A written-back descriptor, as the glue decodes it. The engine zeroes it
 * before ->done(). @ts_ns is the frame's hardware timestamp converted to
 * CLOCK_REALTIME ns, for a NIC that stamps every frame; left 0, the engine
 * stamps the frame itself (wirecap_rx_now()) as soon as ->done() has
 * found it written back, before it looks at the next descriptor.
 */
struct wirecap_ring_wb {
	u32 len;		/* bytes the NIC wrote into this buffer */
	u32 hash;		/* RSS hash, if WIRECAP_RING_WB_HASH */
	u32 flags;		/* WIRECAP_RING_WB_* */
	u64 ts_ns;		/* hardware timestamp, or 0 */
};

#define WIRECAP_RING_WB_EOP	(1U << 0)	/* last buffer of a frame */
#define WIRECAP_RING_WB_HASH	(1U << 1)	/* .hash is valid */
#define WIRECAP_RING_WB_ERR	(1U << 2)	/* the NIC flagged an error */

struct wirecap_ring_ops {
	/* Write descriptor @idx in read format for the buffer at @dma. */
	void (*arm)(struct wirecap_ring *r, u32 idx, dma_addr_t dma);
	/*
	 * If descriptor @idx was written back: read barrier, fill @wb,
	 * return true. Otherwise false.
	 */
	bool (*done)(struct wirecap_ring *r, u32 idx, struct wirecap_ring_wb *wb);
	/* Write barrier, then the tail register: the NIC may fill up to @tail. */
	void (*tail)(struct wirecap_ring *r, u32 tail);
};

struct wirecap_ring {
	const struct wirecap_ring_ops *ops;
	void *priv;			/* the glue's */
	struct wirecap_queue *q;
	u32 n;				/* descriptors, a power of two */
	u32 m;				/* descriptors per segment; 0: none posted yet */
	u32 k;				/* segments, n / m */
	u32 head_seg;			/* oldest posted segment */
	u32 nposted;			/* posted, not yet harvested segments */
	u32 ntc;			/* next descriptor to harvest */
	u32 tail;			/* the tail register's value */
	bool in_frame;			/* reported cells with MORE, no EOP yet */
	const struct wirecap_cell **seg;	/* [n]: each posted segment's cells */
};

int wirecap_ring_init(struct wirecap_ring *r, const struct wirecap_ring_ops *ops,
		      struct wirecap_queue *q, void *priv, u32 n);
void wirecap_ring_free(struct wirecap_ring *r);

void wirecap_ring_post(struct wirecap_ring *r, u32 segment,
		       const struct wirecap_cell *cells, unsigned int n);
unsigned int wirecap_ring_clean(struct wirecap_ring *r, unsigned int budget);
void wirecap_ring_restart(struct wirecap_ring *r);
void wirecap_ring_forget(struct wirecap_ring *r);
bool wirecap_ring_starved(const struct wirecap_ring *r);

#endif /* _WIRECAP_RING_H */
