// SPDX-License-Identifier: GPL-2.0
/*
 * A CAPTURE that times out hands out the filled cells of attached chunks as
 * zero-copy views: no packet twice, none later than the timeout, and the
 * chunk comes back only when it is complete and every view was recycled.
 */
#include <errno.h>
#include <string.h>

#include "kselftest_harness.h"
#include "wctest.h"
#include "wirecap_uring.h"

#define M 16
#define R 8

WCT_NIC_FIXTURE(pv, 1, 64)

/* Capture one view with a timeout; check its timing and contents. */
static struct wirecap_desc view(struct __test_metadata *_metadata,
				struct wct_queue *q, uint32_t timeout_us,
				uint16_t first, uint16_t count, uint64_t seq0)
{
	struct wirecap_desc d = { 0 };
	uint64_t t0 = wct_now_us(), dt;
	unsigned int i;
	int n;

	n = wct_capture(q, 4, timeout_us);
	dt = wct_now_us() - t0;
	EXPECT_EQ(1, n);
	if (n != 1)
		return d;
	d = *wct_desc(q, 0);
	wct_consume(q, 1);
	EXPECT_EQ(first, d.first_cell);
	EXPECT_EQ(count, d.pkt_count);
	for (i = 0; i < count; i++)
		EXPECT_EQ(seq0 + i, wct_seq(q, d.chunk_id, first + i));
	/* none waits longer than the timeout (slack for a TCG guest) */
	EXPECT_LT(dt, timeout_us + 300000);
	return d;
}

TEST_F(pv, views_then_rest)
{
	struct wct_queue *q = &self->q;
	struct wirecap_desc v[3];
	struct wirecap_stats st;
	uint32_t free0;

	ASSERT_EQ(0, wct_attach(q, M, R));
	free0 = q->hdr->chunks_free;
	ASSERT_EQ(0, wct_inject(self->nic, 0, 5, 64, 0));
	v[0] = view(_metadata, q, 20000, 0, 5, 0);
	ASSERT_EQ(0, wct_inject(self->nic, 0, 3, 64, 5));
	v[1] = view(_metadata, q, 20000, 5, 3, 5);
	EXPECT_EQ(v[0].chunk_id, v[1].chunk_id);
	EXPECT_NE(v[0].seq, v[1].seq);
	/* nothing new: the timeout returns nothing, not the same cells */
	EXPECT_EQ(0, wct_capture(q, 4, 20000));
	/* the rest of the chunk arrives: handed as the completing view */
	ASSERT_EQ(0, wct_inject(self->nic, 0, M - 8, 64, 8));
	v[2] = view(_metadata, q, 0, 8, M - 8, 8);
	EXPECT_EQ(v[0].chunk_id, v[2].chunk_id);

	st = wct_stats(q);
	EXPECT_EQ(M, st.delivered);
	EXPECT_EQ(2, st.partial_views);
	EXPECT_EQ(1, st.chunks_captured);
	EXPECT_EQ(3, st.capture_timeouts);

	/* the chunk is free once all three views are back, not before */
	EXPECT_EQ(1, wct_recycle(q, &v[2], 1));
	EXPECT_EQ(1, wct_recycle(q, &v[0], 1));
	EXPECT_EQ(free0 - 1, q->hdr->chunks_free);
	EXPECT_EQ(1, wct_recycle(q, &v[1], 1));
	EXPECT_EQ(free0, q->hdr->chunks_free);
	EXPECT_EQ(1, wct_stats(q).chunks_recycled);
}

TEST_F(pv, recycled_before_full)
{
	struct wct_queue *q = &self->q;
	struct wirecap_desc a, b;
	uint32_t free0;

	ASSERT_EQ(0, wct_attach(q, M, R));
	free0 = q->hdr->chunks_free;
	ASSERT_EQ(0, wct_inject(self->nic, 0, 4, 64, 0));
	a = view(_metadata, q, 0, 0, 4, 0);	/* timeout 0: at once */
	/* back while the chunk is still attached: stays attached */
	EXPECT_EQ(1, wct_recycle(q, &a, 1));
	EXPECT_EQ(free0, q->hdr->chunks_free);
	ASSERT_EQ(0, wct_inject(self->nic, 0, M - 4, 64, 4));
	b = view(_metadata, q, 0, 4, M - 4, 4);
	EXPECT_EQ(1, wct_recycle(q, &b, 1));
	/* complete and all views back: free, and another chunk attached */
	EXPECT_EQ(free0, q->hdr->chunks_free);
	EXPECT_EQ(1, wct_stats(q).chunks_recycled);
}

/* Across chunks: every packet exactly once, in order. */
TEST_F(pv, no_packet_twice)
{
	struct wct_queue *q = &self->q;
	uint64_t next = 0, sent = 0;
	int round;

	ASSERT_EQ(0, wct_attach(q, M, R));
	for (round = 0; round < 12; round++) {
		unsigned int burst = 1 + (round * 7) % 23;

		ASSERT_EQ(0, wct_inject(self->nic, 0, burst, 64, sent));
		sent += burst;
		ASSERT_GE(wct_take_in_order(q, 8, 10000, &next, true), 1);
	}
	/* what a round left behind comes with the next timeout */
	while (next < sent)
		ASSERT_GE(wct_take_in_order(q, 8, 10000, &next, false), 1);
	EXPECT_EQ(sent, next);
	EXPECT_EQ(sent, wct_stats(q).delivered);
	EXPECT_EQ(0, wct_stats(q).recycle_refused);
}

/* Through io_uring, completed by the kernel's timer. */
TEST_F(pv, uring_timeout_view)
{
	struct wirecap_capture_cmd cc = { .max_descs = 4, .timeout_us = 50000 };
	struct wirecap_uring wu;
	struct io_uring_cqe cqe;
	uint64_t t0;

	ASSERT_EQ(0, wct_attach(&self->q, M, R));
	ASSERT_EQ(0, wirecap_uring_init(&wu, 8, 1));
	ASSERT_EQ(0, wirecap_uring_add(&wu, self->q.fd));
	ASSERT_EQ(0, wct_inject(self->nic, 0, 3, 64, 0));
	t0 = wct_now_us();
	ASSERT_EQ(0, wirecap_uring_capture(&wu, 0, &cc, 0));
	ASSERT_EQ(1, wirecap_uring_submit(&wu));
	ASSERT_EQ(1, wirecap_uring_reap(&wu, &cqe, 1, 2000000));
	EXPECT_EQ(1, cqe.res);
	EXPECT_GE(wct_now_us() - t0, 45000);
	EXPECT_LT(wct_now_us() - t0, 50000 + 300000);
	EXPECT_EQ(3, wct_desc(&self->q, 0)->pkt_count);
	wirecap_uring_exit(&wu);
}

TEST_HARNESS_MAIN
