/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * liburing-glue: WireCAP's CAPTURE and RECYCLE as io_uring passthrough
 * commands, batched over many queue fds in one ring.
 *
 * This is the one place that knows how a uring_cmd SQE is filled: plain
 * 64-byte SQEs (no SQE128, so 6.1 works), IORING_OP_URING_CMD, cmd_op =
 * the WIRECAP_CMD_* opcode, the 16-byte payload in sqe->cmd, queue fds as
 * registered (fixed) files.
 *
 * Errors: functions return 0, a count, or -errno. Nothing here prints.
 * One thread drives a ring (IORING_SETUP_SINGLE_ISSUER when the kernel
 * has it).
 */
#ifndef WIRECAP_URING_H
#define WIRECAP_URING_H

#include <liburing.h>
#include <linux/wirecap.h>

struct wirecap_uring {
	struct io_uring ring;
	unsigned int nr_slots;	/* registered file slots */
	unsigned int nr_used;
	unsigned int owned;	/* ring fd registered (wirecap_uring_own) */
};

/* user_data layout: the caller's tag in the high bits, slot and op low. */
#define WCU_OP_CAPTURE	1
#define WCU_OP_RECYCLE	2
#define WCU_UD(tag, slot, op) \
	(((__u64)(tag) << 24) | ((__u64)(slot) << 8) | (op))
#define WCU_UD_TAG(ud)	((ud) >> 24)
#define WCU_UD_SLOT(ud)	((unsigned int)(((ud) >> 8) & 0xffff))
#define WCU_UD_OP(ud)	((unsigned int)((ud) & 0xff))

/* entries: SQ size; slots: how many queue fds the ring may carry. */
int wirecap_uring_init(struct wirecap_uring *wu, unsigned int entries,
		       unsigned int slots);
/*
 * Unregisters the queue files first: the ring's own teardown drops them
 * later from a kernel worker, and until then the queues count as open
 * (reopening one would fail with EBUSY). On 6.1 unregistering waits for
 * requests in flight: complete them before.
 */
void wirecap_uring_exit(struct wirecap_uring *wu);

/* Register a queue fd; returns its slot (>= 0). */
int wirecap_uring_add(struct wirecap_uring *wu, int fd);
/*
 * Empty a slot, so the ring no longer holds the queue's file (nothing of
 * it may be in flight: on 6.1 this waits for it). 0 or -errno.
 */
int wirecap_uring_remove(struct wirecap_uring *wu, unsigned int slot);

/*
 * Prepare one command (not submitted yet). The recycle payload points at a
 * caller array that the kernel reads when the command is issued, i.e.
 * during the next wirecap_uring_submit(): keep it valid until then.
 */
int wirecap_uring_capture(struct wirecap_uring *wu, unsigned int slot,
			  const struct wirecap_capture_cmd *cc, __u64 tag);
int wirecap_uring_recycle(struct wirecap_uring *wu, unsigned int slot,
			  const struct wirecap_recycle_cmd *rc, __u64 tag);

/*
 * An SQE for another operation (an eventfd read, say) in the same ring:
 * the caller fills it in; the next wirecap_uring_submit() sends it with
 * the rest. NULL if the SQ is full even after submitting.
 */
struct io_uring_sqe *wirecap_uring_sqe(struct wirecap_uring *wu);

/*
 * Submit everything prepared, including SQEs an earlier call left in the
 * SQ ring when the kernel stopped at one it refused (kernels without
 * IORING_SETUP_SUBMIT_ALL); returns the number submitted.
 */
int wirecap_uring_submit(struct wirecap_uring *wu);

/*
 * Wait up to timeout_us (0: do not wait) for at least one completion, then
 * hand out up to max of them. Returns the number filled in.
 */
int wirecap_uring_reap(struct wirecap_uring *wu, struct io_uring_cqe *out,
		       unsigned int max, unsigned int timeout_us);

/*
 * wirecap_uring_submit() and wirecap_uring_reap(wu, out, max, 0) in one
 * system call: what a busy capture round needs. Returns the number of
 * completions filled in; a failed submission is in *submit_err (0 if
 * none), and its SQEs stay in the SQ ring for the next call.
 */
int wirecap_uring_submit_reap(struct wirecap_uring *wu,
			      struct io_uring_cqe *out, unsigned int max,
			      int *submit_err);

/*
 * The calling thread, and no other, enters the ring from now on: the
 * ring's fd is registered with it (io_uring_register_ring_fd), so
 * io_uring_enter() skips the file table. 0 or -errno (-EINVAL before
 * 5.18: nothing changed, the ring works as before). Call
 * wirecap_uring_exit() from the same thread.
 */
int wirecap_uring_own(struct wirecap_uring *wu);

#endif /* WIRECAP_URING_H */
