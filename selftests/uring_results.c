// SPDX-License-Identifier: GPL-2.0
/*
 * io_uring commands that complete at once with a count (a CAPTURE that
 * finds full chunks, a RECYCLE) complete properly on every kernel: issued
 * inline they do not break a link to the next request, and issued from
 * io-wq (IOSQE_ASYNC) they complete at all. 6.1's io_uring takes any
 * ->uring_cmd() result but 0 and -errno for a failure.
 */
#include <errno.h>
#include <string.h>

#include "kselftest_harness.h"
#include "wctest.h"
#include "wirecap_uring.h"

#define M 16
#define R 8

WCT_NIC_FIXTURE(ur, 1, 64)

/* Prepare a CAPTURE (timeout 0) of q on ring with sqe flags. */
static void prep_capture(struct io_uring *ring, struct wct_queue *q,
			 unsigned int flags, __u64 ud)
{
	struct wirecap_capture_cmd cc = {
		.desc_head = q->head, .max_descs = 8,
	};
	struct io_uring_sqe *sqe = io_uring_get_sqe(ring);

	io_uring_prep_rw(IORING_OP_URING_CMD, sqe, q->fd, NULL, 0, 0);
	sqe->cmd_op = WIRECAP_CMD_CAPTURE;
	memcpy(sqe->cmd, &cc, sizeof(cc));
	sqe->flags |= flags;
	sqe->user_data = ud;
}

/* Wait up to 3 s for a completion; its res, or -ETIME. */
static int wait_one(struct io_uring *ring, __u64 *ud)
{
	struct __kernel_timespec ts = { .tv_sec = 3 };
	struct io_uring_cqe *cqe;
	int res;

	if (io_uring_wait_cqe_timeout(ring, &cqe, &ts))
		return -ETIME;
	res = cqe->res;
	*ud = cqe->user_data;
	io_uring_cqe_seen(ring, cqe);
	return res;
}

TEST_F(ur, count_from_io_wq_completes)
{
	struct io_uring ring;
	__u64 ud = 0;

	ASSERT_EQ(0, wct_attach(&self->q, M, R));
	ASSERT_EQ(0, wct_inject(self->nic, 0, 3 * M, 64, 0));
	ASSERT_EQ(0, io_uring_queue_init(8, &ring, 0));
	prep_capture(&ring, &self->q, IOSQE_ASYNC, 1);
	ASSERT_EQ(1, io_uring_submit(&ring));
	EXPECT_EQ(3, wait_one(&ring, &ud));
	/* without a completion the ring could never go: do not hang here */
	if (ud == 1)
		io_uring_queue_exit(&ring);
}

TEST_F(ur, recycle_count_from_io_wq_completes)
{
	struct wirecap_recycle_cmd rc = { .count = 1 };
	struct io_uring_sqe *sqe;
	struct io_uring ring;
	__u64 ud = 0;

	ASSERT_EQ(0, wct_attach(&self->q, M, R));
	ASSERT_EQ(0, wct_inject(self->nic, 0, M, 64, 0));
	ASSERT_EQ(1, wct_capture(&self->q, 1, 0));
	rc.descs = (uintptr_t)wct_desc(&self->q, 0);
	ASSERT_EQ(0, io_uring_queue_init(8, &ring, 0));
	sqe = io_uring_get_sqe(&ring);
	io_uring_prep_rw(IORING_OP_URING_CMD, sqe, self->q.fd, NULL, 0, 0);
	sqe->cmd_op = WIRECAP_CMD_RECYCLE;
	memcpy(sqe->cmd, &rc, sizeof(rc));
	sqe->flags |= IOSQE_ASYNC;
	sqe->user_data = 7;
	ASSERT_EQ(1, io_uring_submit(&ring));
	EXPECT_EQ(1, wait_one(&ring, &ud));
	if (ud == 7)
		io_uring_queue_exit(&ring);
}

TEST_F(ur, count_keeps_the_link)
{
	struct io_uring_sqe *sqe;
	struct io_uring ring;
	__u64 ud = 0;
	int i, res;

	ASSERT_EQ(0, wct_attach(&self->q, M, R));
	ASSERT_EQ(0, wct_inject(self->nic, 0, 2 * M, 64, 0));
	ASSERT_EQ(0, io_uring_queue_init(8, &ring, 0));
	prep_capture(&ring, &self->q, IOSQE_IO_LINK, 1);
	sqe = io_uring_get_sqe(&ring);
	io_uring_prep_nop(sqe);
	sqe->user_data = 2;
	ASSERT_EQ(2, io_uring_submit(&ring));
	for (i = 0; i < 2; i++) {
		res = wait_one(&ring, &ud);
		if (ud == 1) {
			EXPECT_EQ(2, res);
		} else {
			EXPECT_EQ(0, res);	/* the NOP ran */
		}
	}
	io_uring_queue_exit(&ring);
}

TEST_HARNESS_MAIN
