/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * libwirecap: lossless zero-copy packet capture on WireCAP queues.
 *
 * A session (struct wirecap) opens receive queues of one NIC or several
 * (wirecap_add_nic); by default together they are the application's
 * buddy group (wirecap_set_buddies() says otherwise). wirecap_start() runs the
 * capture threads: each drives many queues through one io_uring, keeps a
 * CAPTURE parked per queue, moves the chunk descriptors the kernel
 * publishes into the queue's capture queue, and sends the chunks the
 * application released (the queue's recycle queue) back with RECYCLE.
 * That pair of rings is the paper's work-queue pair; packets are never
 * copied, only chunk metadata moves.
 *
 *   struct wirecap *w = wirecap_open("eth0", NULL, 0, NULL);   all queues
 *   wirecap_start(w);
 *   struct wirecap_queue *q = wirecap_queue(w, 0);      one per app thread
 *   struct wirecap_chunk c;
 *   struct wirecap_pkt p;
 *   for (;;) {
 *           int ret = wirecap_next_chunk(q, &c, -1);
 *
 *           if (ret == -EINTR)          any signal handler that ran, or
 *                   continue;           wirecap_interrupt(): look at your
 *                                       own flags, then wait again
 *           if (ret != 1)
 *                   break;              -ESHUTDOWN, or the queue failed
 *           for (unsigned i = 0; i < wirecap_chunk_count(&c); i++) {
 *                   wirecap_chunk_pkt(&c, i, &p);
 *                   ... p.data, p.len, p.ts_ns ...
 *           }
 *           wirecap_chunk_release(&c);
 *   }
 *   wirecap_close(w);      after wirecap_shutdown() and joining the readers
 *
 * A "chunk" here is what the kernel hands out: a whole chunk of M cells,
 * or, when a CAPTURE times out, a view of the filled part of one (see
 * uapi/linux/wirecap.h). Either way it goes back with one release.
 *
 * Errors: functions return 0, a count, or -errno; constructors return
 * NULL and set errno. "Nothing there" is 0, not an error. The library
 * never prints: it reports through the optional log callback.
 *
 * Modes (paper §3.2.2). Basic: a queue's chunks go to its own capture
 * queue only. Advanced (WireCAP-A(M,R,T)): when a capture thread moves a
 * chunk of queue q and q's capture queue holds more than T% of q's R
 * chunks, the chunk goes to the capture queue of q's least busy buddy
 * instead (if that one is less busy than q), to be processed by the
 * thread reading that queue; it still goes back to q's pool when
 * released. Buddies never include queues of another session (another
 * application). What offloading costs: packets of one flow may then be
 * read from two queues, by two threads.
 *
 * Threads: a queue handle is used by one application thread at a time
 * (its capture queue has a single consumer, its recycle queues a single
 * producer per reading queue); different queues may be read by different
 * threads. Release a chunk from the thread that read the queue it came
 * from. A queue marked shared (wirecap_queue_set_shared) may be read, and
 * its chunks released, by several threads at once, at the cost of a lock
 * (paper §5e); wirecap_dispatch does not take shared queues.
 *
 * Waits and signals. wirecap_next_chunk, wirecap_dispatch and
 * wirecap_wait sleep (a futex) when there is nothing; any signal whose
 * handler runs while they sleep (SIGINT, SIGALRM, SIGCHLD, SIGWINCH, a
 * profiler's SIGPROF, ...) ends the wait with -EINTR, whether or not the
 * handler was installed with SA_RESTART (as poll(2); a wait that has not
 * begun to sleep yet when the signal comes misses it): a reader waits
 * again after -EINTR unless it has a reason to stop. Before
 * wirecap_start() they answer -EBADFD at once (nothing could come). To stop readers, use
 * wirecap_shutdown(): async-signal-safe, so a SIGINT handler may call
 * it; every reader returns -ESHUTDOWN, whenever it looks. To make them
 * look at a flag of your own, set it, then wirecap_interrupt() (also
 * async-signal-safe): their waits end with -EINTR, and the next one
 * instead if they were about to sleep. Then join the readers and
 * wirecap_close(): shutdown, join, close (see wirecap_close).
 */
#ifndef WIRECAP_LIB_H
#define WIRECAP_LIB_H

#include <stddef.h>
#include <stdint.h>
#include <linux/wirecap.h>

#ifdef __cplusplus
extern "C" {
#endif

struct wirecap;		/* a session: queues of one NIC, capture threads */
struct wirecap_queue;	/* one opened receive queue */

/* Log levels (syslog's numbers). */
#define WIRECAP_LOG_ERR		3
#define WIRECAP_LOG_WARNING	4
#define WIRECAP_LOG_INFO	6
#define WIRECAP_LOG_DEBUG	7

/*
 * Options, size-prefixed: zero means "the default" in every field, fields
 * past an older caller's sz are taken as defaults, and bytes past this
 * library's struct must be zero (-EINVAL otherwise).
 */
struct wirecap_opts {
	size_t sz;			/* sizeof(struct wirecap_opts) */
	unsigned int cells_per_chunk;	/* M; 0: the driver's default */
	unsigned int nr_chunks;		/* R; 0: the driver's default */
	unsigned int capture_threads;	/* 0: min(queues, CPUs of the node);
					 * never more than queues */
	unsigned int timeout_us;	/* CAPTURE timeout: no packet waits
					 * longer for delivery; 0: 10000
					 * (the kernel caps it) */
	unsigned int batch;		/* descriptors per CAPTURE; 0: 64 */
	unsigned int capq_size;		/* capture queue entries, 2^n;
					 * 0: 2 * R rounded up. At most
					 * capq_size + R views of a queue's
					 * pool (2^n up) are out at once,
					 * queued or held: beyond, capture
					 * waits for releases (the recycle
					 * queues are that big, not R x M) */
	int numa_node;			/* where capture threads run and work
					 * queues live: 0 the NIC's node (from
					 * WIRECAP_CMD_INFO), WIRECAP_NUMA(n)
					 * node n, WIRECAP_NUMA_NONE nowhere */
	/* Called from any thread, also capture threads; msg has no '\n'. */
	void (*log)(void *ctx, int level, const char *msg);
	void *log_ctx;
	unsigned int mode;		/* WIRECAP_MODE_*; 0: basic */
	unsigned int offload_pct;	/* advanced: T, 1..100; 0: 60 */
	unsigned int cell_size;		/* bytes per cell, one of the sizes
					 * the NIC lists (wirecap_info
					 * cell_sizes; -EINVAL otherwise);
					 * 0: the kernel's, 2048. Frames
					 * longer than a cell's room span
					 * cells on NICs that can
					 * (WIRECAP_F_MULTI_CELL): still one
					 * packet each, read in place */
};

#define WIRECAP_MODE_BASIC	0
#define WIRECAP_MODE_ADVANCED	1
#define WIRECAP_MODE_FLOW	2	/* offload flows, not chunks: each
					 * flow's packets to one reader at a
					 * time, in order; groups of 16
					 * queues at most (libwirecap(3)) */

#define WIRECAP_NUMA(n)		((n) + 1)
#define WIRECAP_NUMA_NONE	(-1)

/* Declare and fill options: WIRECAP_OPTS(o, .nr_chunks = 64); */
#define WIRECAP_OPTS(name, ...)						\
	struct wirecap_opts name = {					\
		.sz = sizeof(struct wirecap_opts),			\
		__VA_ARGS__						\
	}

/*
 * Open receive queues of ifname: /dev/wirecap/<ifname>-q<N> for each N in
 * queues[0..nr) (queues NULL: every queue of the NIC), ATTACH a ring
 * buffer pool of R chunks of M cells to each and map it. Nothing is
 * captured before wirecap_start(). NULL and errno on failure (EBUSY: a
 * queue is open elsewhere; EPERM: no CAP_NET_RAW; ENOENT: no such queue).
 */
struct wirecap *wirecap_open(const char *ifname, const unsigned int *queues,
			     unsigned int nr, const struct wirecap_opts *opts);

/*
 * Before wirecap_start(): open queues of another NIC (queues NULL: all of
 * them), or more queues of a NIC already in the session (named: queues
 * not NULL), with the session's options; they join its default buddy
 * group. 0 or -errno (-EEXIST: that NIC is in the session already and
 * queues is NULL; -EBUSY: a queue is open already; -EALREADY: started).
 * Queue indices continue after the ones there already.
 */
int wirecap_add_nic(struct wirecap *w, const char *ifname,
		    const unsigned int *queues, unsigned int nr);

/*
 * Before wirecap_start(), advanced mode: the buddy list of session queue
 * i (the paper's "populate the buddy list"): the queues its chunks may be
 * offloaded to, as session indices (not i itself; any NIC of the
 * session). n = 0: queue i never offloads. Queues never set keep the
 * default: every other queue of the session, except those whose buddy
 * list was set. Queues joined by buddy lists, in either direction, form a
 * buddy group. 0 or -errno (-EINVAL: bad index, i itself, a repeat, or a
 * session in basic mode, where chunks never leave their queue).
 */
int wirecap_set_buddies(struct wirecap *w, unsigned int i,
			const unsigned int *buddies, unsigned int n);

/* Start the capture threads. 0 or -errno; -EALREADY if started. */
int wirecap_start(struct wirecap *w);

/*
 * Shut the session down (wirecap_shutdown), wait until no thread is
 * inside wirecap_next_chunk, wirecap_dispatch or wirecap_wait any more,
 * stop the capture threads, give back every chunk still in the work
 * queues, cancel the parked CAPTUREs (DETACH completes them at once:
 * close never waits for their timeout), DETACH and close. Chunks the
 * application still holds die with the pool: no pointer into a chunk may
 * be used afterwards.
 *
 * The contract: wirecap_shutdown() (any thread, or a signal handler),
 * then join the threads that read the session, then wirecap_close().
 * A reader still inside one of the three calls when close begins is
 * waited for before anything is freed: asleep, it returns -ESHUTDOWN;
 * in wirecap_dispatch(), it runs the callbacks of the chunk it took and
 * returns. Nothing else is: a call that begins during or after
 * wirecap_close() (on the session, its queues or its chunks,
 * wirecap_chunk_release() included) is a use after free. Not from a
 * wirecap_dispatch() callback (it would wait for itself).
 */
void wirecap_close(struct wirecap *w);

/*
 * From now on every wirecap_next_chunk, wirecap_dispatch and wirecap_wait
 * of the session returns -ESHUTDOWN at once, those asleep included, and
 * the event fd turns readable (also one made later). Capture goes on
 * until wirecap_close(); chunks not read go back then. Any thread, any
 * time between wirecap_open() and wirecap_close() (not during
 * wirecap_add_nic()), and async-signal-safe. 0 or -EINVAL.
 */
int wirecap_shutdown(struct wirecap *w);

/*
 * End the waits of the session with -EINTR, as a signal handler would:
 * every thread asleep in wirecap_next_chunk, wirecap_dispatch or
 * wirecap_wait returns -EINTR; a wait on a queue (or on the session) that
 * nobody is in returns -EINTR the next time instead of sleeping, once, so
 * an interrupt between a reader's look at its own flag and its wait is
 * not lost. Chunks there are returned first. Any thread, and
 * async-signal-safe (pcap_breakloop() of the libpcap shim is this and a
 * flag). 0 or -EINVAL.
 */
int wirecap_interrupt(struct wirecap *w);

/*
 * Take q out of a running session (a libpcap program closing one handle
 * of several): no chunk goes to q any more, its own or its buddies'; what
 * waits in its capture queue goes back to the owners' pools; q's capture
 * thread gives q back to the kernel (RECYCLE, then DETACH, which cancels
 * its parked CAPTURE); its reads return -ESHUTDOWN. Chunks of q's pool
 * that readers of its buddies hold stay readable: the pool stays mapped,
 * and q's device open, until the last of them is released. Before
 * wirecap_start(), q is closed at once and never started. Call it from
 * the thread that reads q (after releasing the chunks it holds), not
 * while another reads it; it waits for the capture threads to see it (a
 * round each). 0 (also if detached already) or -EINVAL.
 */
int wirecap_queue_detach(struct wirecap_queue *q);

/* The session's queues, in the order they were asked for (NULL: 0). */
unsigned int wirecap_queue_count(const struct wirecap *w);
/* Queue i, or NULL (bad index). */
struct wirecap_queue *wirecap_queue(struct wirecap *w, unsigned int i);
/*
 * The queue getters below take a NULL queue: the unsigned ones return
 * UINT_MAX, the pointers NULL, both with errno EINVAL; the others
 * -EINVAL. (unsigned int as in the 0.1 ABI.)
 */
/* The receive queue index on the NIC (the N of <ifname>-q<N>). */
unsigned int wirecap_queue_ring(const struct wirecap_queue *q);
/*
 * Before wirecap_start(): let several application threads read q at once
 * (wirecap_next_chunk, wirecap_chunk_release; not wirecap_dispatch).
 * 0 or -errno.
 */
int wirecap_queue_set_shared(struct wirecap_queue *q);
/* Its NIC's name. */
const char *wirecap_queue_ifname(const struct wirecap_queue *q);
/* Its index in the session. */
unsigned int wirecap_queue_index(const struct wirecap_queue *q);
/*
 * Its buddy group: the lowest session index in the group (known once
 * started; before, the queue's own index).
 */
unsigned int wirecap_queue_group(const struct wirecap_queue *q);
/* The queue's geometry and mmap layout (WIRECAP_CMD_INFO). */
const struct wirecap_info *wirecap_queue_info(const struct wirecap_queue *q);
/*
 * Chunks waiting in its capture queue now: a snapshot, for a reader that
 * wants to take what is there and no more (pcap_dispatch does). Any
 * thread; a count or -EINVAL.
 */
int wirecap_queue_pending(const struct wirecap_queue *q);

/*
 * Wait until some queue of the session has a chunk or failed (for one
 * thread reading many queues; detached queues do not count).
 * timeout_ms: 0 do not wait, < 0 forever. Returns the number of queues
 * that have chunks now (0 on timeout), -EINTR when a handler of any
 * signal ran while it slept (SA_RESTART or not) or wirecap_interrupt()
 * was called, -ESHUTDOWN after wirecap_shutdown(), -EBADFD before
 * wirecap_start() (nothing could come).
 */
int wirecap_wait(struct wirecap *w, int timeout_ms);

/*
 * A file descriptor for poll/select/epoll: it turns readable when a
 * capture thread put chunks into some queue of the session, a queue
 * failed (its NIC went away, say), or the session was shut down, since it
 * was last read (an eventfd: read 8 bytes to reset it; nonblocking). Reset
 * it before checking the queues, not after, or a wake-up can be lost; a
 * failure or a shutdown is then what the queues answer. Made on the first
 * call, any time (readable at once if a queue failed before); closed by
 * wirecap_close(). The fd or -errno.
 */
int wirecap_event_fd(struct wirecap *w);

/* A chunk handed to the application. Read it through the functions. */
struct wirecap_chunk {
	struct wirecap_queue *owner;	/* its pool's queue; NULL once released */
	struct wirecap_queue *queue;	/* the capture queue it was read from */
	struct wirecap_desc desc;	/* as the kernel published it */
};

/* One packet of a chunk, in place in the pool. */
struct wirecap_pkt {
	const uint8_t *data;	/* the frame, in the mapped pool */
	uint32_t len;		/* frame length (whole frame: never cut) */
	uint32_t queue;		/* receive queue (ring) it arrived on, which
				 * differs from the queue it was read from
				 * when it was offloaded */
	uint64_t ts_ns;		/* CLOCK_REALTIME at reception, ns: taken
				 * for this packet when the driver took
				 * it off the NIC (wirecap(8), "Packet
				 * timestamps") */
	uint32_t hash;		/* RSS hash if WIRECAP_PKT_HASH */
	uint32_t flags;		/* WIRECAP_PKT_* */
};

#define WIRECAP_PKT_HASH	(1U << 0)	/* hash is the NIC's RSS hash */

/*
 * The next chunk of the queue's capture queue. timeout_ms: 0 do not wait,
 * < 0 forever; it spins briefly, then sleeps until a capture thread wakes
 * it. 1: got one into *c; 0: none within the timeout; -EINTR: a handler
 * of any signal ran while it slept (SA_RESTART or not), or
 * wirecap_interrupt(); -ESHUTDOWN: wirecap_shutdown(), or q was
 * detached; -EBADFD: wirecap_start() has not been called; -EBUSY:
 * wirecap_dispatch() is in the middle of a chunk; -ENODEV, -ECANCELED,
 * ...: the queue failed (the NIC went away, say) and everything captured
 * before has been read.
 */
int wirecap_next_chunk(struct wirecap_queue *q, struct wirecap_chunk *c,
		       int timeout_ms);
/*
 * Packets in the chunk (0 once released). A frame that spans cells is one
 * packet, so this can be less than the view's cells (desc.pkt_count),
 * and 0 for a view that only holds the rest of another chunk's frame.
 */
unsigned int wirecap_chunk_count(const struct wirecap_chunk *c);
/*
 * Packet i (< count) of the chunk, in O(1): p->data points at the whole
 * frame, p->len bytes contiguous in the pool even when it spans cells. A
 * cell the NIC flagged in error is a packet of len 0. 0 or -EINVAL.
 */
int wirecap_chunk_pkt(const struct wirecap_chunk *c, unsigned int i,
		      struct wirecap_pkt *p);
/*
 * Done with the chunk: it goes to its owner's recycle queue (the capture
 * thread gives it back to the kernel promptly). Its packets must not be
 * touched afterwards. Releasing twice is harmless, and so is releasing a
 * copy of a chunk released already: every view the kernel handed out
 * goes back once (copies are counted in wirecap_qstats.dup_releases).
 * A chunk given to wirecap_xmit() counts as released already.
 */
void wirecap_chunk_release(struct wirecap_chunk *c);

/*
 * pcap_dispatch() on one queue: call cb for up to max_pkts packets (<= 0:
 * every packet already captured), waiting up to timeout_ms for the first.
 * Chunks are released as they are used up; a chunk cut by max_pkts is
 * continued by the next call (wirecap_next_chunk() returns -EBUSY until
 * it is used up); after wirecap_shutdown() it takes no further chunk.
 * Returns the number of packets, or -errno (as wirecap_next_chunk()).
 * cb may call wirecap_shutdown() or wirecap_interrupt(), not
 * wirecap_close().
 */
int wirecap_dispatch(struct wirecap_queue *q, int max_pkts,
		     void (*cb)(void *user, const struct wirecap_pkt *pkt),
		     void *user, int timeout_ms);

/*
 * Transmit (a middlebox: capture, filter or edit in place, forward).
 *
 * Zero copy: wirecap_xmit() hands cells of chunks the application holds
 * to a NIC (WIRECAP_CMD_XMIT); the frames leave from the pool, edited in
 * place if the application edited them (the pool is mapped read-write),
 * each with its own length. A chunk given to it is consumed: the kernel
 * has its view until the NIC sent the cells named, then takes it back by
 * itself; it counts as released here. Out of the chunk's own NIC
 * (o NULL), or of another one: a struct wirecap_out, an open queue device
 * of that NIC (wirecap_out_open), whose transmit queue of the same index
 * sends.
 *
 * One copy: wirecap_out_send() sends a frame that is not in a pool
 * through the kernel's own transmit path (an AF_PACKET socket bound to
 * the NIC, as libpcap's pcap_inject does): a pool cell belongs to the NIC
 * whose receive queue filled it, and no pool cell belongs to the output
 * NIC, so there is nothing to send zero copy from.
 */
struct wirecap_out;	/* a NIC to send out of */

/* wirecap_out_open()'s ring for an output that only copies */
#define WIRECAP_OUT_COPY	(~0u)

/*
 * Open NIC ifname for sending: its queue device /dev/wirecap/<ifname>-q<ring>,
 * for transmitting only (no pool is attached; nothing is captured there),
 * whose NIC must be able to send XMIT's cells (WIRECAP_F_XMIT; EOPNOTSUPP
 * otherwise). wirecap_xmit() through it sends out of that NIC's transmit
 * queue ring. The device is exclusive-open, like every WireCAP queue: a
 * queue captured by a session (this program's or another's) cannot be
 * opened (EBUSY), and while it is open here nobody can capture it. To
 * send out of a NIC whose queues the session captures, give wirecap_xmit()
 * o NULL: each chunk goes out of its own NIC. ring WIRECAP_OUT_COPY opens
 * no queue: an output for wirecap_out_send() only (a NIC whose queues are
 * captured, or no WireCAP NIC at all). Needs CAP_NET_RAW (both the device
 * and the socket of wirecap_out_send). NULL and errno on failure (ENODEV:
 * no such NIC; ENOENT: no such queue; EBUSY: the queue is open elsewhere;
 * EOPNOTSUPP: its NIC cannot transmit XMIT's cells).
 */
struct wirecap_out *wirecap_out_open(const char *ifname, unsigned int ring);

/* Close it (NULL: nothing). Not while a call on it is in progress. */
void wirecap_out_close(struct wirecap_out *o);

/*
 * The queue device's WIRECAP_CMD_INFO (nr_rings: the NIC's queues), or
 * NULL with errno EINVAL (o NULL) or EOPNOTSUPP (a copy-only output).
 */
const struct wirecap_info *wirecap_out_info(const struct wirecap_out *o);

/* One packet to send: packet index (< count) of a chunk held, len bytes. */
struct wirecap_xmit_pkt {
	struct wirecap_chunk *chunk;
	uint32_t index;		/* as for wirecap_chunk_pkt() */
	uint32_t len;		/* from the frame's start, 14 (an Ethernet
				 * header) up to the cell's room (cell_size
				 * - frame_offset): the frame may have been
				 * cut or grown in place. A frame that spans
				 * cells cannot be sent (XMIT sends one
				 * cell): -EMSGSIZE */
};

/*
 * Send pkts[0..n) zero copy, out of o's NIC (o NULL: out of each chunk's
 * own NIC, its transmit queue of the chunk's ring). The packets of one
 * chunk must be consecutive in pkts, at most WIRECAP_XMIT_MAX of them.
 * Every chunk named is consumed, as if released: its packets not named
 * are not sent, its view goes back to the pool once the NIC sent the
 * others, and a later wirecap_chunk_release() of it, or of a copy, does
 * nothing. A copy of a chunk released before sends nothing (counted in
 * dup_releases, as its release would be), nor does a chunk named again
 * further on in pkts, after other chunks.
 * Packets of one pool go out in the order given, in one WIRECAP_CMD_XMIT
 * per WIRECAP_XMIT_MAX of them, issued on that pool's queue (a chunk
 * offloaded from a buddy is sent on the buddy's); pools in the order of
 * their first packet. XMIT waits for transmit room (back-pressure: the
 * pool absorbs what the output cannot take yet, and loss, if any, comes
 * at capture): only what a transmit queue that took nothing for
 * WIRECAP_XMIT_STALL_MS could not take is dropped and counted
 * (wirecap_qstats kernel_xmit_dropped of the chunk's pool, like
 * kernel_xmit_refused). So it blocks while the output drains, and up to
 * WIRECAP_XMIT_STALL_MS more once it stops; a signal ends the wait (what
 * is left is dropped, counted).
 * Call it where wirecap_chunk_release() may be called: from the thread
 * that read the chunks' queues (any reader of a shared queue).
 *
 * Returns the number of packets the NIC took, or -errno when it took
 * none and a command failed (then the views that command named are
 * released the ordinary way): -EINVAL (a chunk not held, an index or a
 * length out of range, too many packets of one chunk; nothing is
 * consumed), -EMSGSIZE (a packet whose frame spans cells, which XMIT
 * cannot send yet; nothing is consumed: send it with wirecap_out_send()
 * or leave it out), -EOPNOTSUPP (o only copies, or a chunk of a session
 * in flow mode, whose views several readers share: copy with
 * wirecap_out_send()), -ENOMEM, or the kernel's answer
 * (-ENODEV: a NIC is gone; -ENXIO: the chunk's queue was detached).
 */
int wirecap_xmit(struct wirecap_out *o, const struct wirecap_xmit_pkt *pkts,
		 unsigned int n);

/*
 * Send one frame of len bytes (from its Ethernet header), copied, through
 * the kernel's transmit path of o's NIC (an AF_PACKET raw socket bound to
 * it, made on the first call; qdisc and packet taps see the frame as they
 * see any the stack sends). Blocks while the socket's send buffer is
 * full, as pcap_inject does. Any thread. Returns len, or -errno (-ENETDOWN:
 * the NIC is down; -EMSGSIZE: longer than its MTU allows).
 */
int wirecap_out_send(struct wirecap_out *o, const void *frame, size_t len);

/*
 * The kernel's per-queue counters (WIRECAP_CMD_STATS, uapi
 * struct wirecap_stats), as the first ABI of this library had them:
 * the twelve of kernel ABI v1, in the kernel's order. This structure is
 * the library's own and never grows: counters the kernel adds later
 * appear as kernel_* fields at the end of struct wirecap_qstats, so the
 * uapi structure growing never moves a field of this library's.
 */
struct wirecap_kstats {
	uint32_t size;		/* bytes of them the kernel filled (an older
				 * kernel fills fewer: the rest read 0) */
	uint32_t reserved0;
	uint64_t received;	/* see uapi/linux/wirecap.h for each */
	uint64_t capture_drops;
	uint64_t oversize_drops;
	uint64_t delivered;
	uint64_t chunks_captured;
	uint64_t partial_views;
	uint64_t chunks_recycled;
	uint64_t recycle_refused;
	uint64_t segment_waits;
	uint64_t pool_high_water;
	uint64_t captures_parked;
	uint64_t capture_timeouts;
};

/*
 * Counters of one queue. The kernel ones count since this session
 * attached the queue (pool_high_water is the kernel's own); a kernel that
 * does not have a counter leaves it 0. The library ones are 64-bit and
 * monotonic. Size-prefixed: new fields only ever come at the end.
 */
struct wirecap_qstats {
	size_t sz;			/* (u) sizeof as compiled */
	struct wirecap_kstats kernel;	/* WIRECAP_CMD_STATS */
	uint32_t chunks_free;		/* kernel: chunks FREE now */
	uint32_t capq_len;		/* chunks waiting in the capture queue */
	uint32_t recq_len;		/* chunks waiting in the recycle queue */
	uint32_t capq_size;		/* capture queue entries */
	uint64_t captures;		/* CAPTURE commands completed */
	uint64_t chunks_captured;	/* moved into the capture queue */
	uint64_t capq_full;		/* times capture paused: queue full */
	uint64_t chunks_delivered;	/* handed to the application */
	uint64_t pkts_delivered;	/* packets in them */
	uint64_t chunks_released;	/* released by the application */
	uint64_t chunks_recycled;	/* taken back by the kernel */
	uint64_t recycle_refused;	/* RECYCLE records the kernel refused */
	uint64_t app_sleeps;		/* waits that went to sleep */
	/*
	 * Advanced mode. Out: chunks of this queue's pool put in a buddy's
	 * capture queue (counted when moved). In: chunks of buddies' pools
	 * read from this queue's capture queue (counted when read; included
	 * in chunks_delivered and pkts_delivered).
	 */
	uint64_t chunks_offloaded_out, pkts_offloaded_out;
	uint64_t chunks_offloaded_in, pkts_offloaded_in;
	/* kernel counters beyond the first twelve */
	uint64_t kernel_rx_errors;	/* cells with an impossible length */
	/*
	 * Releases of chunks read from this queue that sent nothing: a copy
	 * of a chunk released already, or an old copy of one handed out
	 * again since (wirecap_chunk_release).
	 */
	uint64_t dup_releases;
	/*
	 * XMIT (wirecap_xmit): the kernel's counters of this queue's pool
	 * (uapi/linux/wirecap.h: cells handed to a NIC, of those the ones
	 * it is done with, records refused, records the transmit queue had
	 * no room for), and the views of this pool that left through XMIT
	 * (counted when its capture thread takes their record back).
	 */
	uint64_t kernel_xmit_sent;
	uint64_t kernel_xmit_completed;
	uint64_t kernel_xmit_refused;
	uint64_t kernel_xmit_dropped;
	uint64_t chunks_xmitted;
	/*
	 * Flow mode: flow-table buckets of this queue's pool given to
	 * another reader (each the flows of its hash range), and the
	 * migrations that moved them (each waited for its old owner).
	 */
	uint64_t flows_migrated;
	uint64_t flow_migrations;
	/*
	 * Flow mode: packets of this pool held back for a reader that left
	 * (detached, or failed) before it could read them, or given to a
	 * buddy's reader that detached without reading them; nobody reads
	 * them. Captured, so not in capture_drops: count them as lost.
	 */
	uint64_t flow_lost;
	/*
	 * Flow mode, what the barriers cost (see libwirecap(3)): views of
	 * this pool held back for a migration's new owner until its old
	 * owner was done with the moved flows, the most held back at once,
	 * and the views this queue published from each migration's
	 * decision until its held-back views went (summed; a migration cut
	 * short by a DETACH or close is not counted).
	 */
	uint64_t flow_views_held;
	uint64_t flow_views_held_max;
	uint64_t flow_barrier_views;
	/*
	 * Flow mode: of the views held back, those a migration split: still
	 * waiting for the old owner's reader, their packets of the moved
	 * flows went to the new owner (libwirecap(3), "Flow mode"). Such
	 * packets given to a buddy and then split to this queue's own
	 * reader leave pkts_offloaded_out, which then goes down.
	 */
	uint64_t flow_views_split;
	/*
	 * Advanced mode's spare capacity (lib/offload.c): the time this
	 * queue's readers were idle, in ns, the spell going on included
	 * (from a look that found its capture queue empty to the next
	 * chunk taken; a jiffy's
	 * resolution per spell; a reader that never looks at an empty
	 * queue, asking wirecap_queue_pending first, is never idle), which
	 * its buddies read as spare capacity, together with the share of
	 * the rest spent on other queues' packets (pkts_offloaded_in of
	 * pkts_delivered) while this queue is not over T and does not
	 * offload itself;
	 * and the chunks this queue kept above T because no buddy with
	 * room had spare time.
	 */
	uint64_t app_idle_ns;
	uint64_t chunks_kept_no_spare;
};

/*
 * 0 or -errno (-ESHUTDOWN: q was detached). st->sz must be set; only
 * that many bytes are written (an older caller's smaller struct gets the
 * fields it knows).
 */
int wirecap_queue_stats(struct wirecap_queue *q, struct wirecap_qstats *st);

/*
 * Parse a queue list like "0,2-3" into out[0..max). Returns the number of
 * queues, -EINVAL on bad syntax or a repeated queue, -E2BIG if more than
 * max.
 */
int wirecap_parse_queues(const char *s, unsigned int *out, unsigned int max);

#ifdef __cplusplus
}
#endif

#endif /* WIRECAP_LIB_H */
