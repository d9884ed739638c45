// SPDX-License-Identifier: GPL-2.0
/*
 * The length a NIC driver reports for a cell is checked: one outside
 * [frame_offset, cell size] (a driver or device bug) is neither synced
 * nor delivered as a frame: the cell says WIRECAP_CELL_ERROR with length
 * 0, rx_errors counts it, and the rest of the chunk is untouched. The
 * software NIC's bad_len knob plays the buggy driver. Also a length past
 * the cell that a frame could have (cells of 256 bytes, frames of up to
 * MTU 1500 across cells): a cell not flagged to go on is one frame, and
 * this one cannot be (the check on max_frame alone would let it through).
 */
#include <errno.h>

#include "kselftest_harness.h"
#include "wctest.h"

#define M 16
#define R 8

WCT_NIC_FIXTURE(rl, 1, 64)

FIXTURE_VARIANT(rl) {
	unsigned int bad_len;
	unsigned int cell_size;		/* 0: the default, 2048 */
};
FIXTURE_VARIANT_ADD(rl, past_the_cell) { .bad_len = 4000 };
FIXTURE_VARIANT_ADD(rl, past_u16) { .bad_len = 65536 + 64 };
FIXTURE_VARIANT_ADD(rl, past_a_small_cell) {
	.bad_len = 1000, .cell_size = 256,
};

TEST_F(rl, impossible_length)
{
	const struct wirecap_cell_meta *m;
	struct wirecap_desc *d;
	unsigned int i;

	/* (a cell size of 0 is the default, as wct_attach() has it) */
	ASSERT_EQ(0, variant->cell_size ?
		  wct_attach_cells(&self->q, M, R, variant->cell_size) :
		  wct_attach(&self->q, M, R));
	ASSERT_EQ(0, wct_nic_fault(self->nic, "bad_len", variant->bad_len));
	ASSERT_EQ(0, wct_inject(self->nic, 0, M, 64, 0));
	ASSERT_EQ(1, wct_capture(&self->q, 1, 0));
	d = wct_desc(&self->q, 0);
	ASSERT_EQ(M, d->pkt_count);
	m = &self->q.meta[d->chunk_id * M];
	EXPECT_EQ(0, m[0].len);
	EXPECT_EQ(WIRECAP_CELL_ERROR, m[0].flags & WIRECAP_CELL_ERROR);
	for (i = 1; i < M; i++) {
		EXPECT_EQ(64, m[i].len);
		EXPECT_EQ(0, m[i].flags & WIRECAP_CELL_ERROR);
		EXPECT_EQ(i, wct_seq(&self->q, d->chunk_id, i));
	}
	EXPECT_EQ(1, wct_stats(&self->q).rx_errors);
	EXPECT_EQ(M, wct_stats(&self->q).received);
	EXPECT_EQ(1, wct_sysfs(self->nic, 0, "stats/rx_errors"));
}

TEST_HARNESS_MAIN
