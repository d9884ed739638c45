// SPDX-License-Identifier: GPL-2.0
/*
 * Parked CAPTUREs are bounded: at most WIRECAP_MAX_PARKED per queue, the next
 * one gets -EBUSY at once (each parked command holds an io_uring request,
 * and the timeout timer walks the expired ones with the queue's lock
 * held). They complete in the order of their deadlines.
 */
#include <errno.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "wctest.h"
#include "wirecap_uring.h"

#define M 16
#define R 8

WCT_NIC_FIXTURE(pl, 1, 64)

static int issue(struct wirecap_uring *wu, uint32_t timeout_us, uint64_t tag)
{
	struct wirecap_capture_cmd cc = {
		.max_descs = 1, .timeout_us = timeout_us,
	};

	return wirecap_uring_capture(wu, 0, &cc, tag);
}

TEST_F(pl, beyond_the_ring_is_busy)
{
	struct wirecap_uring wu;
	struct io_uring_cqe cqe;
	unsigned int n, i, busy = 0, cancelled = 0;

	ASSERT_EQ(0, wct_attach(&self->q, M, R));
	n = WIRECAP_MAX_PARKED;
	ASSERT_EQ(0, wirecap_uring_init(&wu, 2 * n, 1));
	ASSERT_EQ(0, wirecap_uring_add(&wu, self->q.fd));
	for (i = 0; i < n + 3; i++)
		ASSERT_EQ(0, issue(&wu, 900000, i));
	ASSERT_EQ((int)(n + 3), wirecap_uring_submit(&wu));
	/* the three beyond the limit come back at once */
	while (busy < 3 &&
	       wirecap_uring_reap(&wu, &cqe, 1, 500000) == 1) {
		EXPECT_EQ(-EBUSY, cqe.res);
		if (cqe.res == -EBUSY)
			busy++;
		else
			break;
	}
	EXPECT_EQ(3, busy);
	EXPECT_EQ(n, wct_stats(&self->q).captures_parked);
	/* DETACH completes the parked ones */
	ASSERT_EQ(0, ioctl(self->q.fd, WIRECAP_CMD_DETACH));
	while (wirecap_uring_reap(&wu, &cqe, 1, 2000000) == 1) {
		EXPECT_EQ(-ECANCELED, cqe.res);
		if (++cancelled == n)
			break;
	}
	EXPECT_EQ(n, cancelled);
	wirecap_uring_exit(&wu);
}

/* A full chunk goes to the parked command whose deadline is nearest. */
TEST_F(pl, earliest_deadline_first)
{
	struct wirecap_uring wu;
	struct io_uring_cqe cqe;

	ASSERT_EQ(0, wct_attach(&self->q, M, R));
	ASSERT_EQ(0, wirecap_uring_init(&wu, 8, 1));
	ASSERT_EQ(0, wirecap_uring_add(&wu, self->q.fd));
	ASSERT_EQ(0, issue(&wu, 900000, 1));	/* issued first, due last */
	ASSERT_EQ(0, issue(&wu, 600000, 2));
	ASSERT_EQ(2, wirecap_uring_submit(&wu));
	usleep(100000);
	ASSERT_EQ(0, wct_inject(self->nic, 0, M, 64, 0));
	ASSERT_EQ(1, wirecap_uring_reap(&wu, &cqe, 1, 2000000));
	EXPECT_EQ(2, WCU_UD_TAG(cqe.user_data));
	EXPECT_EQ(1, cqe.res);
	/* the other one times out, with nothing */
	ASSERT_EQ(1, wirecap_uring_reap(&wu, &cqe, 1, 3000000));
	EXPECT_EQ(1, WCU_UD_TAG(cqe.user_data));
	EXPECT_EQ(0, cqe.res);
	wirecap_uring_exit(&wu);
}

TEST_HARNESS_MAIN
