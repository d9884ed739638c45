/* SPDX-License-Identifier: ((GPL-2.0 WITH Linux-syscall-note) OR BSD-2-Clause) */
/*
 * WireCAP ABI, version 1: the contract between wirecap.ko and user space.
 *
 * One character device per NIC receive queue: /dev/wirecap/<ifname>-q<N>.
 * Setup is done with ioctl()s; the data path (CAPTURE, RECYCLE) is io_uring
 * passthrough (IORING_OP_URING_CMD, 16-byte payload in a plain 64-byte SQE,
 * so it works on 6.1 without SQE128). The same opcodes are accepted as
 * ioctl()s for programs without io_uring.
 *
 * THE PICTURE
 *
 *   NIC RX ring (N descriptors), split into N/M descriptor segments
 *   +--------------+--------------+--------------+--------------+
 *   |  segment 0   |  segment 1   |  segment 2   |  segment 3   |
 *   +------|-------+------|-------+------|-------+------|-------+
 *          | attached      | attached     | attached     | waiting (no
 *          v               v              v              |  free chunk:
 *   ring buffer pool of this queue: R chunks of M cells  |  every packet
 *   +---------+---------+---------+---------+---------+  |  the NIC cannot
 *   | chunk 0 | chunk 1 | chunk 2 | chunk 3 |   ...   |  |  place is a
 *   +---------+---------+---------+---------+---------+  |  capture drop)
 *   chunk k = cells k*M .. k*M+M-1, each cell_size bytes, then the
 *   chunk's spill area (spill_size bytes, 0 unless frames span cells):
 *   +--------------+--------------------------------+
 *   | frame_offset | frame (len bytes) ...          |   one packet per cell
 *   +--------------+--------------------------------+
 *   or, for a frame longer than a cell (FRAMES ACROSS CELLS, below):
 *   +--------------+---------------+-------------+------------+
 *   | frame_offset | frame ...     | ...frame... | ...frame   | next cell
 *   +--------------+---------------+-------------+------------+
 *     first cell (MORE)             CONT cell     CONT cell
 *
 *   Chunk states (all state lives in the kernel, user space only sees
 *   descriptors):
 *
 *     FREE --attach to segment--> ATTACHED --all M cells filled--> FULL
 *      ^                            |                               |
 *      |                            | CAPTURE timeout: partial      | CAPTURE
 *      |                            v view of filled cells          v
 *      +--------last view recycled--- CAPTURED (user owns views) <--+
 *
 *   A view {chunk_id, first_cell, pkt_count} is a run of filled cells handed
 *   to user space, zero-copy. A full chunk is handed out as one view
 *   (first_cell 0, pkt_count M) unless parts of it were handed out earlier
 *   as partial views when a CAPTURE timed out. No cell is ever in two views.
 *   A chunk is FREE again once all M cells were handed out and every view
 *   of it was recycled. Views are recycled with the descriptor exactly as
 *   the kernel published it; the kernel checks every field.
 *
 * MMAP LAYOUT (offsets and sizes from WIRECAP_CMD_INFO after ATTACH)
 *
 *   ctrl_offset: control area, read-only (PROT_WRITE is refused)
 *     +0             struct wirecap_ctrl
 *     +desc_offset   struct wirecap_desc[desc_ring_size]   descriptor ring
 *     +meta_offset   struct wirecap_cell_meta[R * M]       one per cell
 *   pool_offset: the pool, R * chunk_bytes bytes, read-write (a middlebox
 *     may edit packets before forwarding). Chunk k starts at byte
 *     k * chunk_bytes (chunk_bytes = M * cell_size + spill_size); its cell
 *     c at + c * cell_size, the frame there at + frame_offset.
 *
 * Everything in shared memory is an index or an offset, never a pointer.
 * Both regions must be mapped MAP_SHARED (-EINVAL otherwise).
 * Field comments say who writes: (k) the kernel, (u) user space. The kernel
 * never trusts a (u) field it did not validate. Reserved fields and unknown
 * flags must be zero (-EINVAL otherwise).
 *
 * GROWTH. Structures that may grow (info, attach, stats) begin with a size
 * field: user space sets it to the size it was compiled with, at most a
 * page. The kernel dispatches ioctls on the command number (_IOC_NR) and
 * the magic only: the direction and size _IOWR() encodes are not checked
 * (they tell tools such as strace what this header was built with), so a
 * program built against a newer header still reaches the same command,
 * and the size field alone says how big its struct is. The kernel reads
 * what it knows of a bigger struct (the rest must be zero, -E2BIG
 * otherwise), takes a smaller one's missing fields as zero, and writes
 * back min(size, its own) bytes, telling how many in size.
 *
 * FRAMES ACROSS CELLS (WIRECAP_F_MULTI_CELL). A frame longer than a cell's
 * room (cell_size - frame_offset) fills consecutive cells of one chunk:
 * the first cell as usual, the rest from their first byte (no headroom),
 * so the frame is contiguous in the mapping, read in place. Its first
 * cell's metadata has the frame's whole length in len and
 * WIRECAP_CELL_MORE in flags; each further cell has WIRECAP_CELL_CONT,
 * len 0 and, in hash, how many cells before it the frame's first cell
 * is. A frame that runs past the last cell of its chunk goes on in the
 * chunk's spill area, right after that cell: the kernel copies the rest
 * of the frame there (the one copy WireCAP makes, for at most one frame
 * per chunk); the cells that held that rest, at the start of another
 * chunk, are marked WIRECAP_CELL_CONT with hash 0. So a view is read
 * frame by frame: a cell without WIRECAP_CELL_CONT starts a packet, a
 * CONT cell is skipped. A view never splits a frame. A frame spans
 * DIV_ROUND_UP(frame_offset + len, cell_size) cells, its copied rest
 * included. Frames are at most max_frame bytes (the NIC's MTU at ATTACH
 * plus an Ethernet and two VLAN headers, 65535 at most); longer ones are
 * oversize_drops.
 *
 * WHO MAY CAPTURE. Opening a queue needs CAP_NET_RAW, ATTACH (which takes
 * the queue away from the network stack) CAP_NET_ADMIN, both over the
 * user namespace that owns the NIC's network namespace; and the caller
 * must be in that network namespace: a queue of a NIC in another one
 * answers -ENODEV. Pool memory is charged like AF_XDP's UMEM: to the
 * user's locked_vm against RLIMIT_MEMLOCK (unless CAP_IPC_LOCK; -ENOBUFS
 * beyond it), and to the caller's memory cgroup (-ENOMEM beyond it).
 */
#ifndef _UAPI_LINUX_WIRECAP_H
#define _UAPI_LINUX_WIRECAP_H

#include <linux/types.h>
#include <linux/ioctl.h>

#define WIRECAP_ABI_VERSION	1
#define WIRECAP_DEV_DIR		"/dev/wirecap"
#define WIRECAP_IFNAMSIZ	16

/* Features reported in wirecap_info.features. */
#define WIRECAP_F_PARTIAL_VIEWS	(1ULL << 0) /* timeouts hand out partial views */
#define WIRECAP_F_URING_CANCEL	(1ULL << 1) /* parked commands are cancelable */
#define WIRECAP_F_RSS_HASH	(1ULL << 2) /* cell_meta.hash filled by the NIC */
/* The queue's NIC can transmit: it can be an XMIT's output (tx_fd). */
#define WIRECAP_F_XMIT		(1ULL << 3)
/* XMIT by ioctl waits for transmit room unless WIRECAP_XMIT_NOWAIT */
#define WIRECAP_F_XMIT_WAIT	(1ULL << 4)
/* Frames longer than a cell span cells (above); ATTACH takes cell_size. */
#define WIRECAP_F_MULTI_CELL	(1ULL << 5)

/*
 * WIRECAP_CMD_INFO: everything about the queue. Valid at any time; the
 * geometry fields are 0 until ATTACH.
 */
struct wirecap_info {
	__u32 size;		/* (u) sizeof as compiled, (k) bytes written */
	__u32 abi_version;	/* (k) WIRECAP_ABI_VERSION */
	__u64 features;		/* (k) WIRECAP_F_* */
	__u16 nic_id;		/* (k) stable while the NIC is registered */
	__u16 ring_id;		/* (k) receive queue index on that NIC */
	__u32 nr_rings;		/* (k) receive queues of the NIC */
	__u32 ring_size;	/* (k) N: descriptors in the NIC's RX ring */
	__u32 cell_size;	/* (k) bytes per cell (ATTACH's, 2048 by default) */
	__u32 frame_offset;	/* (k) bytes in each cell before the frame */
	__s32 numa_node;	/* (k) NUMA node of the NIC and pool, or -1 */
	__u32 cells_per_chunk;	/* (k) M */
	__u32 nr_chunks;	/* (k) R */
	__u32 desc_ring_size;	/* (k) entries in the descriptor ring, 2^n */
	__u32 max_timeout_us;	/* (k) CAPTURE timeouts are capped to this */
	__u64 ctrl_offset;	/* (k) mmap offset of the control area */
	__u64 ctrl_size;	/* (k) its length */
	__u64 pool_offset;	/* (k) mmap offset of the pool */
	__u64 pool_size;	/* (k) its length */
	char ifname[WIRECAP_IFNAMSIZ]; /* (k) NIC name now (renames follow) */
	__u32 cell_sizes;	/* (k) cell sizes ATTACH takes: bit n = 2^n */
	__u32 chunk_bytes;	/* (k) M * cell_size + spill_size */
	__u32 spill_size;	/* (k) bytes after each chunk's last cell */
	__u32 max_frame;	/* (k) longest frame captured, in bytes */
	__u64 reserved[2];	/* (k) zero */
};

/*
 * WIRECAP_CMD_ATTACH: allocate the ring buffer pool on the NIC's NUMA node
 * and put the queue in capture mode. cell_size must be one of the sizes
 * info.cell_sizes lists (-EINVAL otherwise), 0 for 2048. M must divide
 * the ring size N and be a power of two, at least 2 and at least the
 * cells a page holds; R must be at least N/M (one chunk per segment);
 * the pool (R * chunk_bytes) at most max_pool_mb (module parameter;
 * -E2BIG beyond). 0 asks for the default (M = N/4, R = 16 * N/M).
 * With WIRECAP_ATTACH_MULTI_CELL in flags (a NIC with
 * WIRECAP_F_MULTI_CELL; -EOPNOTSUPP otherwise) and cells smaller than
 * the longest frame (max_frame: the NIC's MTU now), frames span cells and
 * each chunk gets a spill area (FRAMES ACROSS CELLS); the longest frame
 * must then fit in N - M cells (-EINVAL otherwise: the NIC needs all of
 * its cells at once, and the segment of its first one stays out until it
 * is complete). Without it the pool
 * is laid out as ABI 1 always did (chunk_bytes = M * cell_size) and a
 * frame longer than a cell is an oversize drop, so a program that knows
 * nothing of CONT cells never meets one that holds part of a frame.
 * Fails with -EBUSY if attached,
 * -ENOMEM if the pool cannot be had, -ENOBUFS if it would pass
 * RLIMIT_MEMLOCK (nothing is half-allocated), -EPERM without
 * CAP_NET_ADMIN, -EIO if the NIC broke when a pool was last detached
 * (that pool's memory is kept forever rather than freed under DMA).
 */
struct wirecap_attach {
	__u32 size;		/* (u) sizeof as compiled */
	__u32 flags;		/* (u) WIRECAP_ATTACH_*, or 0 */
	__u32 cells_per_chunk;	/* (u) M, or 0 */
	__u32 nr_chunks;	/* (u) R, or 0 */
	__u32 cell_size;	/* (u) bytes per cell, or 0 (2048) */
	__u32 reserved0;	/* (u) 0 */
	__u64 reserved[1];	/* (u) 0 */
};

/* Frames longer than a cell span cells (above). */
#define WIRECAP_ATTACH_MULTI_CELL	(1U << 0)

/*
 * WIRECAP_CMD_CAPTURE payload (16 bytes; also the ioctl argument).
 *
 * Publishes up to max_descs descriptors into the descriptor ring and
 * completes with their number. FULL chunks waiting are published at once.
 * Otherwise the command is parked until a chunk fills, or until timeout_us
 * has passed, when the filled cells not yet handed out become partial
 * views (none of them waits longer than the timeout). timeout_us 0 never
 * parks: it hands out full chunks, else partial views, else returns 0.
 * Several commands may be parked on one queue, up to WIRECAP_MAX_PARKED
 * (-EBUSY beyond): they complete in the order of their deadlines (for
 * equal timeouts, the order they were issued in).
 *
 * A DETACH (or close) completes parked commands with -ECANCELED, and a
 * CAPTURE that meets a DETACH under way gets the same; the NIC's removal
 * or its move to another network namespace completes them with -ENODEV,
 * which every call on the queue answers from then on. Without a pool,
 * CAPTURE answers -ENXIO.
 *
 * As an io_uring command, the SQE's fields outside the payload (addr,
 * len, buf_index, the fixed-buffer flag) must be zero (-EINVAL; kernels
 * before 6.4 do not show a driver addr, len and buf_index).
 *
 * desc_head reports how far user space has consumed the descriptor ring
 * (free-running); the kernel never overwrites an entry before that. It must
 * lie between the previous head and desc_tail (-EINVAL otherwise).
 */
#define WIRECAP_MAX_PARKED	64

struct wirecap_capture_cmd {
	__u32 desc_head;	/* (u) consumer index, free-running */
	__u32 max_descs;	/* (u) >= 1 */
	__u32 timeout_us;	/* (u) capped to max_timeout_us */
	__u32 flags;		/* (u) 0 */
};

/*
 * A descriptor: one view of one chunk, published by the kernel into the
 * descriptor ring, and returned as it is to RECYCLE.
 */
struct wirecap_desc {
	__u16 nic_id;		/* (k) */
	__u16 ring_id;		/* (k) */
	__u32 chunk_id;		/* (k) < R */
	__u16 first_cell;	/* (k) first cell of the view, < M */
	__u16 pkt_count;	/* (k) cells in the view (CONT: not packets) */
	__u32 seq;		/* (k) stamp given at handover */
};

/*
 * WIRECAP_CMD_RECYCLE payload (16 bytes; also the ioctl argument): give
 * back count views. Every record is checked (this queue's nic_id and
 * ring_id, chunk_id < R, chunk CAPTURED, a view starting at first_cell of
 * exactly pkt_count cells still out, seq equal to its stamp); a bad record
 * is refused and counted in recycle_refused, the others are taken.
 * Completes with the number of records taken.
 */
struct wirecap_recycle_cmd {
	__u64 descs;		/* (u) address of struct wirecap_desc[count] */
	__u32 count;		/* (u) <= WIRECAP_RECYCLE_MAX */
	__u32 flags;		/* (u) 0 */
};

#define WIRECAP_RECYCLE_MAX	4096

/*
 * WIRECAP_CMD_XMIT payload (16 bytes; also the ioctl argument): send cells
 * of captured views out of a NIC, zero copy, after user space may have
 * edited them in place (a middlebox). Issued on the queue that captured
 * the views. tx_fd is an open queue device (/dev/wirecap/...) of the NIC
 * to send out of, which then uses the transmit queue of that queue's
 * index; -1: this queue's NIC, transmit queue ring_id. (tx_fd is looked up
 * in the issuing task's file table when the command runs; with SQPOLL,
 * the ring creator's. Registered files are not supported.)
 *
 * Each record names a view exactly as CAPTURE published it (checked as
 * strictly as RECYCLE does), one cell of it and the length to send. The
 * records of one view must be consecutive; the first record of a view
 * makes the whole view the kernel's: its named cells are sent, its other
 * cells are not, and the view returns to the pool by itself once the NIC
 * has sent them (it must not be recycled: RECYCLE refuses it, and so does
 * a later XMIT). A record is refused, and counted in xmit_refused, when
 * its view is not out (another queue's, recycled, already sent, a wrong
 * stamp: then every record of that run is), or when its cell is outside
 * the view, its length is below 14 or above the cell's room (cell_size -
 * frame_offset) or the output's MTU plus an Ethernet and a VLAN header,
 * or its flags are not 0.
 *
 * When the transmit queue has no room, the ioctl XMIT waits for it
 * (back-pressure: a forwarder goes at the output's pace and its pool
 * absorbs the rest, so loss, if any, shows up at capture, in
 * capture_drops, not after the work was done; WIRECAP_F_XMIT_WAIT says
 * so). Through io_uring XMIT never sleeps, as with WIRECAP_XMIT_NOWAIT.
 * The wait ends, and the cells left unsent are dropped, with every later
 * record of the call that finds no room, counted in xmit_dropped as a NIC
 * counts its TX drops, when: the transmit queue took nothing for
 * WIRECAP_XMIT_STALL_MS (an output that is down or stuck), a signal
 * arrives (a handled one too), or the source queue is detached. With
 * WIRECAP_XMIT_NOWAIT in flags XMIT never waits: what finds no room is
 * dropped at once, counted (capture never stalls on a slow output; the
 * application decides what to do on loss).
 *
 * Completes with the number of records sent (handed to the NIC), or
 * -errno when none was: -EINVAL (count above WIRECAP_XMIT_MAX, an unknown
 * flag), -EBADF (tx_fd not open), -ENOTTY (tx_fd not a WireCAP queue),
 * -EOPNOTSUPP (its NIC cannot transmit), -ENODEV (either queue's NIC is
 * gone) — no record is looked at then — or, met after records were read
 * (whose views are then the kernel's, as if sent), -ENODEV (the output's
 * NIC went away meanwhile), -EFAULT, -ENXIO (no
 * pool), -ECANCELED (a DETACH came). A DETACH does not wait for cells at
 * a NIC: the pool is freed when the last of them comes back.
 */
struct wirecap_xmit_cmd {
	__u64 recs;		/* (u) address of struct wirecap_xmit_rec[count] */
	__u16 count;		/* (u) <= WIRECAP_XMIT_MAX */
	__u16 flags;		/* (u) WIRECAP_XMIT_NOWAIT, or 0 */
	__s32 tx_fd;		/* (u) a queue of the NIC to send out of, or -1 */
};

struct wirecap_xmit_rec {
	struct wirecap_desc view;	/* (u) as CAPTURE published it */
	__u16 cell;		/* (u) which cell of the view: < pkt_count */
	__u16 len;		/* (u) bytes of frame to send, from its start */
	__u32 flags;		/* (u) 0 */
};

#define WIRECAP_XMIT_MAX	4096
#define WIRECAP_XMIT_NOWAIT	(1U << 0)	/* drop, never wait for room */
#define WIRECAP_XMIT_STALL_MS	200	/* no progress that long: drop */
#define WIRECAP_XMIT_MIN_LEN	14	/* an Ethernet header */

/*
 * Per-cell metadata, in the read-only control area.
 *
 * ts_ns is CLOCK_REALTIME in nanoseconds, taken for this frame alone when
 * the NIC driver harvested it (took it off the NIC's ring, in its NAPI
 * poll), or the NIC's hardware stamp of it, converted to CLOCK_REALTIME;
 * never one time for a batch. A software stamp is later than the frame's
 * arrival by the interrupt and poll latency, and frames harvested in one
 * poll get stamps only as far apart as the driver reads them: its precision
 * is that latency's jitter, not the clock's nanosecond (wirecap(8),
 * "Packet timestamps").
 */
struct wirecap_cell_meta {
	__u16 len;		/* (k) frame length in bytes */
	__u16 flags;		/* (k) WIRECAP_CELL_* */
	__u32 hash;		/* (k) RSS hash if CELL_HASH; CONT: below */
	__u64 ts_ns;		/* (k) CLOCK_REALTIME at reception, ns (above) */
};

#define WIRECAP_CELL_HASH	(1U << 0)
/* The frame goes on in the next cell(s): len is the whole frame's. */
#define WIRECAP_CELL_MORE	(1U << 2)
/*
 * The cell continues a frame that starts hash cells before it (hash 0:
 * in another chunk, whose spill area holds a copy of this cell's bytes,
 * or in a buffer of the NIC's own where a frame is dropped for want of
 * a free cell: counted in capture_drops). Not a packet: skip it. len is 0.
 */
#define WIRECAP_CELL_CONT	(1U << 3)
/*
 * The cell holds no frame, len is 0 (counted in rx_errors): the NIC
 * reported an impossible length (a driver or device bug), flagged the frame
 * in error (CRC), or wrote a frame longer than max_frame (or than a cell,
 * on a NIC that cannot span cells), which was discarded whole (counted
 * once in oversize_drops). Such a frame's further cells are
 * WIRECAP_CELL_CONT: one packet of len 0 stands for it. Without
 * WIRECAP_ATTACH_MULTI_CELL every CONT cell is also flagged ERROR (a
 * packet of len 0 to a reader that does not know CONT), the ones that
 * hold the rest of a frame dropped for want of a cell too (that frame is
 * counted in capture_drops, not rx_errors).
 */
#define WIRECAP_CELL_ERROR	(1U << 1)

/*
 * Per-queue counters, 64-bit, monotonic while the NIC is registered
 * (they survive DETACH). The same names are sysfs attributes under
 * /sys/class/wirecap/<ifname>-q<N>/stats/.
 *
 *   received         packets the NIC placed in cells (a frame across
 *                    cells is one)
 *   capture_drops    packets the NIC could not place (no free cell)
 *   oversize_drops   frames longer than max_frame, or than a cell when
 *                    the NIC cannot span cells
 *   delivered        packets handed to user space in views
 *   chunks_captured  views that completed a chunk (full-chunk handovers)
 *   partial_views    views handed out before their chunk was full
 *   chunks_recycled  chunks returned to FREE
 *   recycle_refused  RECYCLE records refused
 *   segment_waits    times a segment found no free chunk
 *   pool_high_water  most chunks ever not FREE at once
 *   captures_parked  CAPTURE commands that had to wait
 *   capture_timeouts parked CAPTURE commands completed by their timeout
 *   rx_errors        packets that hold no frame (WIRECAP_CELL_ERROR;
 *                    included in received): frames captured are
 *                    received - rx_errors
 *   xmit_sent        cells of this queue XMIT handed to a NIC
 *   xmit_completed   of those, the ones the NIC gave back (sent, or
 *                    unsent when it went away); xmit_sent -
 *                    xmit_completed are still at the NIC
 *   xmit_refused     XMIT records refused
 *   xmit_dropped     XMIT records the transmit queue had no room for
 */
struct wirecap_stats {
	__u32 size;		/* (u) sizeof as compiled, (k) bytes written */
	__u32 reserved0;
	__u64 received;
	__u64 capture_drops;
	__u64 oversize_drops;
	__u64 delivered;
	__u64 chunks_captured;
	__u64 partial_views;
	__u64 chunks_recycled;
	__u64 recycle_refused;
	__u64 segment_waits;
	__u64 pool_high_water;
	__u64 captures_parked;
	__u64 capture_timeouts;
	__u64 rx_errors;
	__u64 xmit_sent;
	__u64 xmit_completed;
	__u64 xmit_refused;
	__u64 xmit_dropped;
};

/*
 * The control area's header. All (k). desc_tail is stored with release
 * semantics after the descriptors it covers are written; read it with
 * acquire semantics. The chunk counts are hints for offloading decisions.
 */
struct wirecap_ctrl {
	__u32 desc_tail;	/* (k) producer index, free-running */
	__u32 desc_head;	/* (k) last consumer index user space reported */
	__u32 desc_offset;	/* (k) byte offset of the descriptor ring */
	__u32 meta_offset;	/* (k) byte offset of the cell metadata */
	__u32 chunks_free;	/* (k) chunks FREE now */
	__u32 chunks_full;	/* (k) chunks FULL, waiting for CAPTURE */
	__u64 reserved[5];
};

/*
 * Opcodes: ioctl request numbers, and the same values as io_uring
 * passthrough cmd_op for CAPTURE, RECYCLE and XMIT. 0xB9 is WireCAP's magic.
 */
#define WIRECAP_IOC_MAGIC	0xB9

#define WIRECAP_CMD_INFO	_IOWR(WIRECAP_IOC_MAGIC, 0x00, struct wirecap_info)
#define WIRECAP_CMD_ATTACH	_IOW(WIRECAP_IOC_MAGIC, 0x01, struct wirecap_attach)
#define WIRECAP_CMD_DETACH	_IO(WIRECAP_IOC_MAGIC, 0x02)
#define WIRECAP_CMD_STATS	_IOWR(WIRECAP_IOC_MAGIC, 0x03, struct wirecap_stats)
#define WIRECAP_CMD_CAPTURE	_IOW(WIRECAP_IOC_MAGIC, 0x10, struct wirecap_capture_cmd)
#define WIRECAP_CMD_RECYCLE	_IOW(WIRECAP_IOC_MAGIC, 0x11, struct wirecap_recycle_cmd)
#define WIRECAP_CMD_XMIT	_IOW(WIRECAP_IOC_MAGIC, 0x12, struct wirecap_xmit_cmd)

#endif /* _UAPI_LINUX_WIRECAP_H */
