// SPDX-License-Identifier: GPL-2.0
/*
 * RECYCLE trusts nothing: every kind of bad record is refused and counted,
 * good records in the same batch are taken, and the pool stays whole.
 * Each test here fails if one of the checks in drivers/wirecap/recycle.c
 * is removed.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>

#include "kselftest_harness.h"
#include "wctest.h"

#define M 16
#define R 8

/* Two queues of one NIC, each with its first two chunks captured. */
FIXTURE(rc) {
	char nic[16];
	struct wct_queue q0, q1;
	struct wirecap_desc a, b;	/* q0: chunks 0 and 1 */
	struct wirecap_desc c;		/* q1: its first chunk */
};

static void capture2(struct __test_metadata *_metadata, struct wct_queue *q,
		     struct wirecap_desc *d, unsigned int n)
{
	unsigned int i;

	ASSERT_EQ(n, wct_capture(q, n, 0));
	for (i = 0; i < n; i++)
		d[i] = *wct_desc(q, i);
	wct_consume(q, n);
}

FIXTURE_SETUP(rc)
{
	struct wirecap_desc two[2];

	ASSERT_EQ(0, wct_nic_new(2, 64, self->nic));
	ASSERT_EQ(0, wct_open(&self->q0, self->nic, 0));
	ASSERT_EQ(0, wct_open(&self->q1, self->nic, 1));
	ASSERT_EQ(0, wct_attach(&self->q0, M, R));
	ASSERT_EQ(0, wct_attach(&self->q1, M, R));
	ASSERT_EQ(0, wct_inject(self->nic, 0, 2 * M, 64, 0));
	ASSERT_EQ(0, wct_inject(self->nic, 1, M, 64, 0));
	capture2(_metadata, &self->q0, two, 2);
	self->a = two[0];
	self->b = two[1];
	capture2(_metadata, &self->q1, &self->c, 1);
	ASSERT_EQ(self->a.chunk_id + 1, self->b.chunk_id);
}

FIXTURE_TEARDOWN(rc)
{
	wct_close(&self->q0);
	wct_close(&self->q1);
	wct_nic_del(self->nic);
}

static __u64 refused(struct wct_queue *q)
{
	return wct_stats(q).recycle_refused;
}

/* The legitimate views still come back and the pool is whole again. */
static void all_back(struct __test_metadata *_metadata, FIXTURE_DATA(rc) *self)
{
	EXPECT_EQ(1, wct_recycle(&self->q0, &self->a, 1));
	EXPECT_EQ(1, wct_recycle(&self->q0, &self->b, 1));
	EXPECT_EQ(1, wct_recycle(&self->q1, &self->c, 1));
	/* 4 segments hold 4 chunks; the rest are free */
	EXPECT_EQ(R - 4, self->q0.hdr->chunks_free);
	EXPECT_EQ(R - 4, self->q1.hdr->chunks_free);
}

TEST_F(rc, good)
{
	EXPECT_EQ(R - 4 - 2, self->q0.hdr->chunks_free);
	EXPECT_EQ(1, wct_recycle(&self->q0, &self->a, 1));
	EXPECT_EQ(R - 4 - 1, self->q0.hdr->chunks_free);
	EXPECT_EQ(1, wct_stats(&self->q0).chunks_recycled);
	EXPECT_EQ(0, refused(&self->q0));
	self->a.seq = 0;	/* all_back() would recycle it again */
	EXPECT_EQ(1, wct_recycle(&self->q0, &self->b, 1));
	EXPECT_EQ(1, wct_recycle(&self->q1, &self->c, 1));
}

TEST_F(rc, wrong_queue)
{
	struct wirecap_desc d = self->c;	/* q1's view, same chunk and seq */
	struct wirecap_desc e = self->a;

	ASSERT_EQ(self->a.chunk_id, d.chunk_id);
	ASSERT_EQ(self->a.seq, d.seq);
	EXPECT_EQ(0, wct_recycle(&self->q0, &d, 1));
	e.nic_id ^= 1;				/* another NIC's queue 0 */
	EXPECT_EQ(0, wct_recycle(&self->q0, &e, 1));
	EXPECT_EQ(2, refused(&self->q0));
	all_back(_metadata, self);
}

TEST_F(rc, chunk_out_of_range)
{
	struct wirecap_desc d = self->a;

	d.chunk_id = R;
	EXPECT_EQ(0, wct_recycle(&self->q0, &d, 1));
	d.chunk_id = 0xffffffff;
	EXPECT_EQ(0, wct_recycle(&self->q0, &d, 1));
	d.chunk_id = 0x80000000;
	EXPECT_EQ(0, wct_recycle(&self->q0, &d, 1));
	EXPECT_EQ(3, refused(&self->q0));
	all_back(_metadata, self);
}

TEST_F(rc, cell_out_of_range)
{
	/* chunk a's cell M is chunk b's cell 0: must not alias */
	struct wirecap_desc d = self->a;

	d.first_cell = M;
	d.seq = self->b.seq;
	EXPECT_EQ(0, wct_recycle(&self->q0, &d, 1));
	d.first_cell = 0xffff;
	EXPECT_EQ(0, wct_recycle(&self->q0, &d, 1));
	EXPECT_EQ(2, refused(&self->q0));
	all_back(_metadata, self);
}

TEST_F(rc, empty_view)
{
	/* a chunk with no view: length 0 and stamp 0 match "nothing" */
	struct wirecap_desc d = { .nic_id = self->a.nic_id, .chunk_id = 5 };

	EXPECT_EQ(0, wct_recycle(&self->q0, &d, 1));
	EXPECT_EQ(1, refused(&self->q0));
	all_back(_metadata, self);
}

TEST_F(rc, not_captured)
{
	struct wirecap_desc d = self->a;

	d.chunk_id = 6;			/* FREE */
	EXPECT_EQ(0, wct_recycle(&self->q0, &d, 1));
	d.chunk_id = 2;			/* ATTACHED, nothing handed out */
	EXPECT_EQ(0, wct_recycle(&self->q0, &d, 1));
	EXPECT_EQ(2, refused(&self->q0));
	all_back(_metadata, self);
}

TEST_F(rc, wrong_length)
{
	struct wirecap_desc d = self->a;

	d.pkt_count = M / 2;
	EXPECT_EQ(0, wct_recycle(&self->q0, &d, 1));
	d.pkt_count = M + 1;
	EXPECT_EQ(0, wct_recycle(&self->q0, &d, 1));
	EXPECT_EQ(2, refused(&self->q0));
	all_back(_metadata, self);
}

TEST_F(rc, stale_seq)
{
	struct wirecap_desc d = self->a, old = self->a, again;

	d.seq++;
	EXPECT_EQ(0, wct_recycle(&self->q0, &d, 1));
	d.seq = 0;
	EXPECT_EQ(0, wct_recycle(&self->q0, &d, 1));
	/* recycle, let the chunk go round again, replay the old stamp */
	ASSERT_EQ(1, wct_recycle(&self->q0, &self->a, 1));
	ASSERT_EQ(0, wct_inject(self->nic, 0, 6 * M, 64, 0));
	for (;;) {
		int n = wct_capture(&self->q0, 1, 0);

		if (n == 0) {	/* its segment is still filling */
			ASSERT_EQ(0, wct_inject(self->nic, 0, M, 64, 0));
			continue;
		}
		ASSERT_EQ(1, n);
		again = *wct_desc(&self->q0, 0);
		wct_consume(&self->q0, 1);
		if (again.chunk_id == old.chunk_id && again.first_cell == 0)
			break;
		ASSERT_EQ(1, wct_recycle(&self->q0, &again, 1));
	}
	EXPECT_EQ(0, again.first_cell);
	EXPECT_NE(old.seq, again.seq);
	EXPECT_EQ(0, wct_recycle(&self->q0, &old, 1));
	EXPECT_EQ(3, refused(&self->q0));
	EXPECT_EQ(1, wct_recycle(&self->q0, &again, 1));
	self->a.seq = 0;
	EXPECT_EQ(1, wct_recycle(&self->q0, &self->b, 1));
}

TEST_F(rc, double_recycle)
{
	EXPECT_EQ(1, wct_recycle(&self->q0, &self->a, 1));
	EXPECT_EQ(0, wct_recycle(&self->q0, &self->a, 1));
	EXPECT_EQ(1, refused(&self->q0));
	/* in one batch too */
	struct wirecap_desc twice[2] = { self->b, self->b };

	EXPECT_EQ(1, wct_recycle(&self->q0, twice, 2));
	EXPECT_EQ(2, refused(&self->q0));
	EXPECT_EQ(R - 4, self->q0.hdr->chunks_free);
}

TEST_F(rc, garbage)
{
	struct wirecap_desc junk[64];
	unsigned int i;

	srand(42);
	for (i = 0; i < sizeof(junk); i++)
		((unsigned char *)junk)[i] = rand();
	EXPECT_EQ(0, wct_recycle(&self->q0, junk, 64));
	EXPECT_EQ(64, refused(&self->q0));
	all_back(_metadata, self);
}

TEST_F(rc, mixed_batch)
{
	struct wirecap_desc mix[3] = { self->a, self->c, self->b };

	EXPECT_EQ(2, wct_recycle(&self->q0, mix, 3));
	EXPECT_EQ(1, refused(&self->q0));
	EXPECT_EQ(R - 4, self->q0.hdr->chunks_free);
	EXPECT_EQ(1, wct_recycle(&self->q1, &self->c, 1));
}

TEST_F(rc, bad_command)
{
	struct wirecap_recycle_cmd cmd = {
		.descs = (uintptr_t)&self->a, .count = 1, .flags = 1,
	};

	EXPECT_EQ(-1, ioctl(self->q0.fd, WIRECAP_CMD_RECYCLE, &cmd));
	EXPECT_EQ(EINVAL, errno);
	cmd.flags = 0;
	cmd.count = WIRECAP_RECYCLE_MAX + 1;
	EXPECT_EQ(-1, ioctl(self->q0.fd, WIRECAP_CMD_RECYCLE, &cmd));
	EXPECT_EQ(EINVAL, errno);
	cmd.count = 1;
	cmd.descs = 8;		/* unmapped */
	EXPECT_EQ(-1, ioctl(self->q0.fd, WIRECAP_CMD_RECYCLE, &cmd));
	EXPECT_EQ(EFAULT, errno);
	EXPECT_EQ(0, refused(&self->q0));
	all_back(_metadata, self);
}

/*
 * A descriptor kept across DETACH and ATTACH names a view of the old
 * pool: stamps run on across pools, so it never matches one of the new.
 */
TEST_F(rc, from_an_earlier_pool)
{
	struct wirecap_desc old = self->a, fresh;

	wct_unmap(&self->q0);
	ASSERT_EQ(0, ioctl(self->q0.fd, WIRECAP_CMD_DETACH));
	ASSERT_EQ(0, wct_attach(&self->q0, M, R));
	ASSERT_EQ(0, wct_inject(self->nic, 0, 2 * M, 64, 0));
	ASSERT_EQ(2, wct_capture(&self->q0, 2, 0));
	fresh = *wct_desc(&self->q0, 0);
	wct_consume(&self->q0, 2);
	/* the same chunk and cells as before: only the stamp differs */
	ASSERT_EQ(old.chunk_id, fresh.chunk_id);
	ASSERT_EQ(old.first_cell, fresh.first_cell);
	ASSERT_EQ(old.pkt_count, fresh.pkt_count);
	EXPECT_NE(old.seq, fresh.seq);
	EXPECT_EQ(0, wct_recycle(&self->q0, &old, 1));
	EXPECT_EQ(1, refused(&self->q0));
	EXPECT_EQ(1, wct_recycle(&self->q0, &fresh, 1));
	EXPECT_EQ(1, wct_recycle(&self->q1, &self->c, 1));
}

TEST_HARNESS_MAIN
