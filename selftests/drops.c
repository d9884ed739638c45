// SPDX-License-Identifier: GPL-2.0
/*
 * Capture drops: counted exactly when the pool is exhausted, and the
 * paper's basic-mode arithmetic: a burst of P packets into R*M cells with
 * nobody consuming loses exactly P - R*M.
 */
#include <errno.h>

#include "kselftest_harness.h"
#include "wctest.h"

FIXTURE(burst) {
	char nic[16];
	struct wct_queue q;
};

FIXTURE_VARIANT(burst) {
	unsigned int ring, m, r;
	unsigned long long p;
};

/* ring-only (R*M = N), small and large pools, bursts below and above */
FIXTURE_VARIANT_ADD(burst, ring_only) { 64, 16, 4, 1000 };
FIXTURE_VARIANT_ADD(burst, below_capacity) { 64, 16, 8, 100 };
FIXTURE_VARIANT_ADD(burst, exact_capacity) { 64, 16, 8, 128 };
FIXTURE_VARIANT_ADD(burst, m16_r64) { 256, 16, 64, 5000 };
FIXTURE_VARIANT_ADD(burst, m256_r16) { 1024, 256, 16, 100000 };
FIXTURE_VARIANT_ADD(burst, m64_r512) { 1024, 64, 512, 200000 };

FIXTURE_SETUP(burst)
{
	ASSERT_EQ(0, wct_nic_new(1, variant->ring, self->nic));
	ASSERT_EQ(0, wct_open(&self->q, self->nic, 0));
}

FIXTURE_TEARDOWN(burst)
{
	wct_close(&self->q);
	wct_nic_del(self->nic);
}

TEST_F(burst, basic_mode_arithmetic)
{
	unsigned long long cells = (unsigned long long)variant->m * variant->r;
	unsigned long long kept = variant->p < cells ? variant->p : cells;
	struct wct_queue *q = &self->q;
	struct wirecap_stats st;
	uint64_t next = 0;
	int n;

	ASSERT_EQ(0, wct_attach(q, variant->m, variant->r));
	ASSERT_EQ(0, wct_inject(self->nic, 0, variant->p, 64, 0));
	st = wct_stats(q);
	EXPECT_EQ(kept, st.received);
	EXPECT_EQ(variant->p - kept, st.capture_drops);
	EXPECT_EQ(variant->p - kept,
		  wct_sysfs(self->nic, 0, "stats/capture_drops"));
	if (variant->p > cells)
		EXPECT_EQ(variant->r, st.pool_high_water);

	/* what was kept is the first R*M packets, in order */
	do {
		n = wct_take_in_order(q, 64, 0, &next, true);
		ASSERT_GE(n, 0);
	} while (n);
	EXPECT_EQ(kept, next);

	/* recycled chunks go back to the waiting segments: no more drops */
	ASSERT_EQ(0, wct_inject(self->nic, 0, variant->m, 64, 0));
	st = wct_stats(q);
	EXPECT_EQ(kept + variant->m, st.received);
	EXPECT_EQ(variant->p - kept, st.capture_drops);
}

WCT_NIC_FIXTURE(misc, 4, 64)

TEST_F(misc, oversize_counted)
{
	ASSERT_EQ(0, wct_attach(&self->q, 16, 8));
	ASSERT_EQ(0, wct_inject(self->nic, 0, 3, 3000, 0));
	EXPECT_EQ(3, wct_stats(&self->q).oversize_drops);
	EXPECT_EQ(0, wct_stats(&self->q).received);
	/* the largest frame a 2 KiB cell holds still fits */
	ASSERT_EQ(0, wct_inject(self->nic, 0, 1, 2048, 0));
	EXPECT_EQ(1, wct_stats(&self->q).received);
}

TEST_F(misc, rss_spreads_and_adds_up)
{
	struct wct_queue q[4];
	unsigned long long total = 0;
	int i;

	q[0] = self->q;
	for (i = 1; i < 4; i++)
		ASSERT_EQ(0, wct_open(&q[i], self->nic, i));
	for (i = 0; i < 4; i++)
		ASSERT_EQ(0, wct_attach(&q[i], 16, 64));
	ASSERT_EQ(0, wct_inject(self->nic, -1, 2000, 64, 0));
	for (i = 0; i < 4; i++) {
		struct wirecap_stats st = wct_stats(&q[i]);

		EXPECT_GT(st.received, 200);
		EXPECT_EQ(0, st.capture_drops);
		total += st.received;
	}
	EXPECT_EQ(2000, total);
	for (i = 1; i < 4; i++)
		wct_close(&q[i]);
}

TEST_HARNESS_MAIN
