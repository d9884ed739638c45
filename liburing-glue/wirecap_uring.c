// SPDX-License-Identifier: BSD-2-Clause
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "wirecap_uring.h"

/*
 * SUBMIT_ALL (5.18): an SQE the kernel refuses at submission completes
 * with its error and the ones behind it are still submitted; without it
 * the submission stops there and the rest stay in the SQ ring, which
 * wirecap_uring_submit() then sends again.
 */
static const unsigned int setup_flags[] = {
	IORING_SETUP_SUBMIT_ALL | IORING_SETUP_SINGLE_ISSUER |
		IORING_SETUP_DEFER_TASKRUN,
	IORING_SETUP_SUBMIT_ALL,	/* 5.18 .. 6.0 */
	0,
};

int wirecap_uring_init(struct wirecap_uring *wu, unsigned int entries,
		       unsigned int slots)
{
	unsigned int i;
	int *fds;
	int ret = -EINVAL;

	memset(wu, 0, sizeof(*wu));
	if (!entries || !slots)
		return -EINVAL;
	/* the most the kernel has: -EINVAL names a flag it does not know */
	for (i = 0; ret == -EINVAL && i < sizeof(setup_flags) /
					sizeof(setup_flags[0]); i++)
		ret = io_uring_queue_init(entries, &wu->ring, setup_flags[i]);
	if (ret < 0)
		return ret;

	fds = malloc(slots * sizeof(*fds));
	if (!fds) {
		io_uring_queue_exit(&wu->ring);
		return -ENOMEM;
	}
	memset(fds, 0xff, slots * sizeof(*fds));	/* all -1: empty */
	ret = io_uring_register_files(&wu->ring, fds, slots);
	free(fds);
	if (ret < 0) {
		io_uring_queue_exit(&wu->ring);
		return ret;
	}
	wu->nr_slots = slots;
	return 0;
}

void wirecap_uring_exit(struct wirecap_uring *wu)
{
	if (wu->nr_slots) {
		if (wu->owned)
			io_uring_unregister_ring_fd(&wu->ring);
		io_uring_unregister_files(&wu->ring);
		io_uring_queue_exit(&wu->ring);
	}
	memset(wu, 0, sizeof(*wu));
}

int wirecap_uring_add(struct wirecap_uring *wu, int fd)
{
	int ret;

	if (wu->nr_used == wu->nr_slots)
		return -ENOSPC;
	ret = io_uring_register_files_update(&wu->ring, wu->nr_used, &fd, 1);
	if (ret < 0)
		return ret;
	return wu->nr_used++;
}

int wirecap_uring_remove(struct wirecap_uring *wu, unsigned int slot)
{
	int none = -1, ret;

	if (slot >= wu->nr_used)
		return -EINVAL;
	ret = io_uring_register_files_update(&wu->ring, slot, &none, 1);
	return ret < 0 ? ret : 0;
}

/* An SQE; when the SQ ring is full, submit what is in it to make room. */
static struct io_uring_sqe *get_sqe(struct wirecap_uring *wu)
{
	struct io_uring_sqe *sqe = io_uring_get_sqe(&wu->ring);

	if (!sqe && io_uring_submit(&wu->ring) >= 0)
		sqe = io_uring_get_sqe(&wu->ring);
	return sqe;
}

struct io_uring_sqe *wirecap_uring_sqe(struct wirecap_uring *wu)
{
	return get_sqe(wu);
}

/* The whole of a uring_cmd SQE, in one place. */
static int prep_cmd(struct wirecap_uring *wu, unsigned int slot, __u32 op,
		    const void *payload, size_t len, __u64 user_data)
{
	struct io_uring_sqe *sqe;

	if (slot >= wu->nr_used || len > 16)
		return -EINVAL;
	sqe = get_sqe(wu);
	if (!sqe)
		return -EBUSY;
	memset(sqe, 0, sizeof(*sqe));
	sqe->opcode = IORING_OP_URING_CMD;
	sqe->flags = IOSQE_FIXED_FILE;
	sqe->fd = slot;
	sqe->cmd_op = op;
	memcpy(sqe->cmd, payload, len);
	sqe->user_data = user_data;
	return 0;
}

int wirecap_uring_capture(struct wirecap_uring *wu, unsigned int slot,
			  const struct wirecap_capture_cmd *cc, __u64 tag)
{
	return prep_cmd(wu, slot, WIRECAP_CMD_CAPTURE, cc, sizeof(*cc),
			WCU_UD(tag, slot, WCU_OP_CAPTURE));
}

int wirecap_uring_recycle(struct wirecap_uring *wu, unsigned int slot,
			  const struct wirecap_recycle_cmd *rc, __u64 tag)
{
	return prep_cmd(wu, slot, WIRECAP_CMD_RECYCLE, rc, sizeof(*rc),
			WCU_UD(tag, slot, WCU_OP_RECYCLE));
}

/*
 * What is still to submit is what the SQ ring holds beyond the kernel's
 * head (io_uring_sq_ready), not a count of our own: a submission the
 * kernel cut short leaves SQEs there, and they go with this call.
 */
int wirecap_uring_submit(struct wirecap_uring *wu)
{
	if (!io_uring_sq_ready(&wu->ring))
		return 0;
	return io_uring_submit(&wu->ring);
}

int wirecap_uring_own(struct wirecap_uring *wu)
{
	int ret;

	if (wu->owned)
		return 0;
	ret = io_uring_register_ring_fd(&wu->ring);
	/* before 5.18 the kernel has no registered rings: -EINVAL */
	if (ret < 0)
		return ret;
	wu->owned = 1;
	return 0;
}

/* Up to max of the completions in the CQ ring, consumed. */
static int collect(struct wirecap_uring *wu, struct io_uring_cqe *out,
		   unsigned int max)
{
	struct io_uring_cqe *cqe;
	unsigned int head, n = 0;

	io_uring_for_each_cqe(&wu->ring, head, cqe) {
		if (n == max)
			break;
		out[n++] = *cqe;
	}
	io_uring_cq_advance(&wu->ring, n);
	return n;
}

int wirecap_uring_submit_reap(struct wirecap_uring *wu,
			      struct io_uring_cqe *out, unsigned int max,
			      int *submit_err)
{
	int ret;

	*submit_err = 0;
	/*
	 * One io_uring_enter() for both: the submission, and (GETEVENTS)
	 * the task work that posts completions under DEFER_TASKRUN.
	 */
	if (io_uring_sq_ready(&wu->ring))
		ret = io_uring_submit_and_get_events(&wu->ring);
	else
		ret = io_uring_get_events(&wu->ring);
	/*
	 * A refused submission (-EBUSY on 5.x kernels, whose CQ ring had
	 * overflowed; since 6.1 the kernel cuts the submission short
	 * instead) still leaves completions to hand out, and reaping them
	 * is what lets the next one through.
	 */
	if (ret < 0 && ret != -EAGAIN && ret != -EINTR)
		*submit_err = ret;
	return collect(wu, out, max);
}

int wirecap_uring_reap(struct wirecap_uring *wu, struct io_uring_cqe *out,
		       unsigned int max, unsigned int timeout_us)
{
	struct io_uring_cqe *cqe;
	int ret;

	if (timeout_us) {
		struct __kernel_timespec ts = {
			.tv_sec = timeout_us / 1000000,
			.tv_nsec = (timeout_us % 1000000) * 1000ll,
		};

		ret = io_uring_wait_cqe_timeout(&wu->ring, &cqe, &ts);
		if (ret == -ETIME || ret == -EINTR)
			return 0;
		if (ret < 0)
			return ret;
	} else {
		/* with DEFER_TASKRUN, completions need an enter to show up */
		ret = io_uring_get_events(&wu->ring);
		if (ret < 0 && ret != -EAGAIN && ret != -EINTR)
			return ret;
	}
	return collect(wu, out, max);
}
