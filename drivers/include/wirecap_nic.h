/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The glue between wirecap.ko (pools, chunks, character devices, io_uring
 * commands) and a WireCAP-capable NIC driver.
 *
 * A NIC driver registers its receive queues with wirecap_nic_register().
 * While nobody captures, a queue is the driver's as usual. When a program
 * ATTACHes a pool to a queue, the core calls ->queue_start() and from then
 * on the queue receives only into pool cells:
 *
 *   core                                    NIC driver (its RX context:
 *                                           NAPI poll, or the software
 *                                           NIC's injection loop)
 *   ->queue_start(q) ---------------------> switch the queue to WireCAP,
 *                                           run wirecap_rx_refill(q)
 *   wirecap_rx_refill(q) -> ->post_cells()  give cells to the hardware
 *                        <----------------- wirecap_rx_complete(q, done[])
 *                                           for every cell the NIC filled,
 *                                           each stamped when harvested
 *                        <----------------- wirecap_rx_dropped(q, n) for
 *                                           packets it could not place
 *   ->refill_kick(q) ---------------------> (free chunks again) arrange
 *                                           for wirecap_rx_refill(q) soon
 *   ->queue_stop(q) ----------------------> stop DMA into cells, forget
 *                                           posted cells, return 0; or
 *                                           -errno if the NIC may still
 *                                           write them (the core then
 *                                           leaks the pool, never frees
 *                                           memory under DMA)
 *
 * Rules for the driver:
 *  - wirecap_rx_refill(), wirecap_rx_complete() and wirecap_rx_dropped()
 *    are called from one RX context per queue at a time (they are
 *    serialised by the driver, as NAPI serialises a poll), in softirq or
 *    process context with bottom halves disabled.
 *  - ->post_cells() is only ever called from inside wirecap_rx_refill(),
 *    i.e. in that same RX context: the driver needs no lock against its
 *    own RX path to touch its ring there.
 *  - Cells are reported back by the id given in struct wirecap_cell, in any
 *    order; each posted cell is reported at most once. The struct
 *    wirecap_cell passed to ->post_cells() stays where it is until
 *    ->queue_stop() returns, so a driver may use its address as its token.
 *  - After ->queue_stop() returns 0 the NIC writes no cell and makes no
 *    more wirecap_rx_*() call for that queue. If it cannot be sure (a
 *    queue reset that failed), it returns -errno, makes sure it calls
 *    nothing more for the queue (marking the device broken if need be),
 *    and the core keeps the pool's memory forever and refuses ATTACH on
 *    that queue from then on.
 *  - Each cell reported carries its frame's own timestamp, taken when the
 *    driver harvests that frame (struct wirecap_rx_done, @ts_ns), not one
 *    for the whole batch handed to wirecap_rx_complete().
 *  - ->queue_start() that fails has posted nothing the NIC still owns.
 *  - A descriptor-ring NIC drives its ring with the segment engine,
 *    wirecap_ring.h.
 *
 * Transmit (XMIT, zero-copy forwarding) is optional: a NIC with ->xmit
 * sends cells of any queue's pool, its own or another NIC's:
 *
 *   core (XMIT on queue S, out of       NIC driver
 *   transmit queue T of a NIC)
 *   ->xmit(nic, T, cells[], n) -------> queue what fits on transmit
 *                                       queue T (a prefix of cells[]),
 *                                       return how many
 *                         <------------ wirecap_tx_done(&cell.ref), once
 *                                       per cell taken, when the NIC is
 *                                       done with it, sent or not
 *
 *  - ->xmit() is called in process context with bottom halves disabled
 *    and under rcu_read_lock(): it must not sleep. It may be called, or
 *    still be running, until wirecap_nic_unregister() returns (not
 *    after), so a driver closes its transmit side first: from then on it
 *    takes nothing (returns 0), and it gives back every cell it holds
 *    before it frees its transmit queues. It returns 0 too while the
 *    port is down or has no transmit queue @ring. On a real NIC the
 *    transmit queue is shared with ndo_start_xmit(): take its TX lock
 *    and keep BQL's counts, or use a queue of its own, as XDP does.
 *  - The pool a cell belongs to lives until its last cell comes back,
 *    also after a DETACH (it is then freed by the last wirecap_tx_done()).
 *  - wirecap_tx_done() is called in process or softirq context, with
 *    interrupts enabled (a budget-0 NAPI poll, netpoll's, must leave
 *    cells for later), also from inside ->xmit(), and not with a lock
 *    held that the driver takes in ->xmit().
 *  - The cell's memory is the source queue's pool: the driver reads
 *    @len bytes at @page/@offset (the core has synced the pool's own DMA
 *    mapping for the device; a NIC that is not the pool's DMA device,
 *    @dma_dev, maps the page for itself) and never writes them.
 */
#ifndef _WIRECAP_NIC_H
#define _WIRECAP_NIC_H

#include <linux/types.h>
#include <linux/netdevice.h>
#include <linux/timekeeping.h>
#include <linux/wirecap.h>

struct wirecap_nic;
struct wirecap_queue;

/* A cell handed to the NIC: write at most @size bytes at @addr / @dma. */
struct wirecap_cell {
	u32 id;			/* give it back in wirecap_rx_done.cell */
	u32 size;		/* bytes the NIC may write (cell size) */
	void *addr;		/* kernel address of the cell */
	dma_addr_t dma;		/* bus address for nic->dma_dev */
};

struct wirecap_pool;

/* What a NIC keeps of a cell it transmits, to give it back. */
struct wirecap_tx_ref {
	struct wirecap_queue *src;	/* the queue whose pool holds it */
	struct wirecap_pool *pool;
	u32 token;
};

/* A cell to transmit (XMIT). */
struct wirecap_tx_cell {
	struct wirecap_tx_ref ref;	/* for wirecap_tx_done() */
	u32 len;			/* frame bytes to send */
	void *addr;			/* kernel address of the frame */
	struct page *page;		/* the frame's page, and offset there */
	u32 offset;
	dma_addr_t dma;			/* the frame for @dma_dev, if not NULL */
	struct device *dma_dev;		/* the pool's DMA device, or NULL */
};

/**
 * struct wirecap_rx_done - one filled cell, as the NIC driver reports it
 * @cell: wirecap_cell.id
 * @len: bytes written, frame_offset included
 * @hash: RSS hash, if WIRECAP_RX_HASH
 * @flags: WIRECAP_RX_*
 * @ts_ns: when the frame arrived, as CLOCK_REALTIME in nanoseconds (what
 *	pcap files hold); the packet's timestamp in the pool (ts_ns of
 *	struct wirecap_cell_meta). The driver takes it for this frame alone,
 *	with wirecap_rx_now(), at the first moment it can know of the frame:
 *	right after it finds the frame done (the used buffer it takes off a
 *	virtqueue, the descriptor whose write-back it reads), before it
 *	looks at the next one, never once for a batch. A NIC that stamps
 *	every frame in hardware may give that stamp instead, converted to
 *	CLOCK_REALTIME. 0: the driver took none; wirecap_rx_complete() then
 *	reads the clock for each frame as it records the cell: later than
 *	the driver could have (by the time the batch took to gather), and
 *	the frames of a batch only as far apart as that loop runs.
 *
 * A software stamp is the time the driver harvests the frame, not the time
 * the frame reached the NIC: frames the NIC hands over together (one NAPI
 * poll after one interrupt) get stamps as close together as the driver
 * reads them, whatever their spacing on the wire.
 */
struct wirecap_rx_done {
	u32 cell;
	u32 len;
	u32 hash;
	u32 flags;
	u64 ts_ns;
};

/**
 * wirecap_rx_now() - the clock of wirecap_rx_done.ts_ns
 *
 * Context: any.
 *
 * Return: CLOCK_REALTIME now, in nanoseconds.
 */
static inline u64 wirecap_rx_now(void)
{
	return ktime_get_real_ns();
}

#define WIRECAP_RX_HASH		(1U << 0)	/* .hash is the NIC's RSS hash */
/*
 * The cell holds no frame: part of a frame the NIC could not place in one
 * cell and the driver discarded (it counts the frame itself, as an
 * oversize drop). Like an error, counted in rx_errors.
 */
#define WIRECAP_RX_DROP		(1U << 1)
/* The NIC flagged an error in the frame (CRC, symbol): rx_errors. */
#define WIRECAP_RX_ERROR	(1U << 2)
/*
 * The frame goes on in the next cell this queue reports (a NIC with
 * WIRECAP_F_MULTI_CELL): this cell was filled to its end (len = cell size).
 * A frame's cells are reported in the order the NIC filled them, with no
 * other cell between them, maybe over several calls; the last has no
 * WIRECAP_RX_MORE, and its flags (ERROR) and hash count for the frame.
 * The core checks that they are consecutive cells of one chunk, or run
 * from a chunk's last cell into the first cell of the chunk the NIC took
 * next (it then copies the rest into the first chunk's spill area), and
 * discards the frame otherwise, or when it is longer than max_frame.
 */
#define WIRECAP_RX_MORE		(1U << 3)
/*
 * The cell holds the rest of a frame the driver dropped and counted
 * itself (wirecap_rx_dropped()): it began in a buffer of the driver's own,
 * outside the pool. Not a packet, nothing counted; reported while no
 * frame is open on the queue (a frame's cells are reported together).
 */
#define WIRECAP_RX_SKIP		(1U << 4)

struct wirecap_nic_ops {
	/*
	 * Process context, RTNL held (as for the kernel's own ring
	 * reconfiguration: ethtool, ndo_open and ndo_stop are ordered
	 * against these), may sleep. 0 or -errno (the ATTACH then fails).
	 */
	int (*queue_start)(struct wirecap_queue *q);
	/* Likewise. 0, or -errno: DMA may go on (above). */
	int (*queue_stop)(struct wirecap_queue *q);
	/* Any context: make the queue's RX context call wirecap_rx_refill(). */
	void (*refill_kick)(struct wirecap_queue *q);
	/*
	 * RX context, from wirecap_rx_refill() only: a free chunk's @n (= M)
	 * cells for @segment, in order. Segments come in the order they
	 * were last filled, starting 0, 1, ... K-1: a NIC that fills its
	 * descriptors in ring order gets them in ring order.
	 */
	void (*post_cells)(struct wirecap_queue *q, u32 segment,
			   const struct wirecap_cell *cells, unsigned int n);
	/*
	 * Optional. Process context, may sleep, called with the queue's
	 * control mutex held (so it must not take RTNL, which ATTACH takes
	 * before that mutex); no other WireCAP lock held: bring
	 * drop counters that the NIC keeps in registers up to date (through
	 * wirecap_rx_dropped()) before the core reports the queue's stats.
	 */
	void (*sync_stats)(struct wirecap_queue *q);
	/*
	 * Optional: transmit (above) on transmit queue @ring (< nr_rings).
	 * Returns how many of @cells it took.
	 */
	unsigned int (*xmit)(struct wirecap_nic *nic, u32 ring,
			     const struct wirecap_tx_cell *cells,
			     unsigned int n);
};

struct wirecap_nic_config {
	const struct wirecap_nic_ops *ops;
	struct net_device *netdev;	/* for the name and the node */
	struct device *dma_dev;		/* NULL: the NIC does not DMA */
	void *priv;			/* wirecap_nic_priv() */
	u32 nr_rings;			/* receive queues */
	u32 ring_size;			/* N, a power of two */
	/*
	 * M at most (a power of two; 0: N). A descriptor ring is never all
	 * the NIC's (head == tail means empty), so one segment cannot be
	 * the whole ring: such NICs say N / 2.
	 */
	u32 max_cells_per_chunk;
	u32 frame_offset;		/* bytes the NIC writes before frames */
	/*
	 * Cell sizes the NIC can take (bit n: 2^n bytes, 2^7 to PAGE_SIZE);
	 * 0: 2048 only. Each must be above frame_offset.
	 */
	u32 cell_sizes;
	u64 features;			/* WIRECAP_F_RSS_HASH, MULTI_CELL... */
	int numa_node;			/* or NUMA_NO_NODE */
};

/*
 * The Toeplitz key a WireCAP NIC programs unless told otherwise: the key of
 * Microsoft's RSS verification suite, so steering can be checked on the
 * host with independently written code.
 */
#define WIRECAP_RSS_KEY_LEN	40
extern const u8 wirecap_rss_default_key[WIRECAP_RSS_KEY_LEN];

struct wirecap_nic *wirecap_nic_register(const struct wirecap_nic_config *cfg);
/* Completes parked commands with -ENODEV and stops every queue. */
void wirecap_nic_unregister(struct wirecap_nic *nic);

void *wirecap_nic_priv(const struct wirecap_nic *nic);
struct wirecap_queue *wirecap_nic_queue(struct wirecap_nic *nic, u32 ring);
u32 wirecap_queue_ring(const struct wirecap_queue *q);
u32 wirecap_queue_cell_size(const struct wirecap_queue *q);
u32 wirecap_queue_max_frame(const struct wirecap_queue *q);
struct wirecap_nic *wirecap_queue_nic(const struct wirecap_queue *q);

void wirecap_rx_refill(struct wirecap_queue *q);
void wirecap_rx_complete(struct wirecap_queue *q,
			 const struct wirecap_rx_done *done, unsigned int n);
void wirecap_rx_dropped(struct wirecap_queue *q, u64 packets, bool oversize);
void wirecap_rx_cut(struct wirecap_queue *q);
void wirecap_tx_done(const struct wirecap_tx_ref *ref);

#endif /* _WIRECAP_NIC_H */
