// SPDX-License-Identifier: GPL-2.0
/* Pool geometry: INFO, ATTACH's checks, DETACH, the mmap regions. */
#include <errno.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "wctest.h"

WCT_NIC_FIXTURE(geo, 2, 64)

static int attach_raw(int fd, const void *a)
{
	return ioctl(fd, WIRECAP_CMD_ATTACH, a) ? -errno : 0;
}

TEST_F(geo, info_before_attach)
{
	struct wirecap_info *i = &self->q.info;

	EXPECT_EQ(WIRECAP_ABI_VERSION, i->abi_version);
	EXPECT_EQ(sizeof(*i), i->size);
	EXPECT_EQ(2, i->nr_rings);
	EXPECT_EQ(0, i->ring_id);
	EXPECT_EQ(64, i->ring_size);
	EXPECT_EQ(2048, i->cell_size);
	EXPECT_EQ(0, i->cells_per_chunk);
	EXPECT_EQ(0, i->nr_chunks);
	EXPECT_EQ(0, i->pool_size);
	EXPECT_TRUE(i->features & WIRECAP_F_PARTIAL_VIEWS);
	EXPECT_STREQ(self->nic, i->ifname);
	EXPECT_EQ(0, wct_sysfs(self->nic, 0, "attached"));
}

TEST_F(geo, attach_defaults)
{
	ASSERT_EQ(0, wct_attach(&self->q, 0, 0));
	/* M = N/4, R = 16 * N/M */
	EXPECT_EQ(16, self->q.info.cells_per_chunk);
	EXPECT_EQ(64, self->q.info.nr_chunks);
	EXPECT_EQ(1, wct_sysfs(self->nic, 0, "attached"));
}

TEST_F(geo, attach_explicit)
{
	struct wirecap_info *i = &self->q.info;

	ASSERT_EQ(0, wct_attach(&self->q, 16, 8));
	EXPECT_EQ(16, i->cells_per_chunk);
	EXPECT_EQ(8, i->nr_chunks);
	EXPECT_EQ(8ull * 16 * 2048, i->pool_size);
	EXPECT_EQ(0, i->desc_ring_size & (i->desc_ring_size - 1));
	EXPECT_GE(i->desc_ring_size, 8);
	/* 4 segments hold 4 chunks: 4 free */
	EXPECT_EQ(4, wct_sysfs(self->nic, 0, "chunks_free"));
	EXPECT_EQ(4, self->q.hdr->chunks_free);
	EXPECT_EQ(0, self->q.hdr->chunks_full);
	EXPECT_EQ(4, wct_stats(&self->q).pool_high_water);
}

TEST_F(geo, attach_bad_geometry)
{
	struct wirecap_attach a = { .size = sizeof(a) };
	struct {
		struct wirecap_attach a;
		__u64 more;
	} big = { .a = { .size = sizeof(big) } };

	a.cells_per_chunk = 12;		/* not a power of two */
	EXPECT_EQ(-EINVAL, attach_raw(self->q.fd, &a));
	a.cells_per_chunk = 128;	/* more than the ring */
	EXPECT_EQ(-EINVAL, attach_raw(self->q.fd, &a));
	a.cells_per_chunk = 1;		/* less than a page */
	EXPECT_EQ(-EINVAL, attach_raw(self->q.fd, &a));
	a.cells_per_chunk = 16;
	a.nr_chunks = 3;		/* fewer chunks than segments */
	EXPECT_EQ(-EINVAL, attach_raw(self->q.fd, &a));
	a.nr_chunks = 1u << 30;		/* beyond max_pool_mb */
	EXPECT_EQ(-E2BIG, attach_raw(self->q.fd, &a));
	a.nr_chunks = 8;
	a.flags = 2;			/* unknown (1 is MULTI_CELL) */
	EXPECT_EQ(-EINVAL, attach_raw(self->q.fd, &a));
	a.flags = 0;
	a.flags = 1u << 31;		/* unknown */
	EXPECT_EQ(-EINVAL, attach_raw(self->q.fd, &a));
	a.flags = 0;
	a.reserved0 = 1;
	EXPECT_EQ(-EINVAL, attach_raw(self->q.fd, &a));
	a.reserved0 = 0;
	a.reserved[0] = 1;
	EXPECT_EQ(-EINVAL, attach_raw(self->q.fd, &a));
	/* a newer, larger struct is fine only if the new part is zero */
	big.a.cells_per_chunk = 16;
	big.a.nr_chunks = 8;
	big.more = 1;
	EXPECT_EQ(-E2BIG, attach_raw(self->q.fd, &big));
	EXPECT_EQ(0, wct_sysfs(self->nic, 0, "attached"));
	big.more = 0;
	EXPECT_EQ(0, attach_raw(self->q.fd, &big));
}

TEST_F(geo, attach_twice_detach)
{
	ASSERT_EQ(0, wct_attach(&self->q, 16, 8));
	EXPECT_EQ(-EBUSY, wct_attach(&self->q, 16, 8));
	EXPECT_EQ(0, ioctl(self->q.fd, WIRECAP_CMD_DETACH));
	EXPECT_EQ(-1, ioctl(self->q.fd, WIRECAP_CMD_DETACH));
	EXPECT_EQ(ENXIO, errno);
	EXPECT_EQ(0, wct_sysfs(self->nic, 0, "attached"));
	wct_unmap(&self->q);
	ASSERT_EQ(0, wct_attach(&self->q, 32, 4));
	EXPECT_EQ(32, self->q.info.cells_per_chunk);
	EXPECT_EQ(4, self->q.info.nr_chunks);
}

TEST_F(geo, not_attached)
{
	struct wirecap_desc d = { 0 };
	void *m;

	EXPECT_EQ(-ENXIO, wct_capture(&self->q, 1, 0));
	EXPECT_EQ(-ENXIO, wct_recycle(&self->q, &d, 1));
	m = mmap(NULL, 4096, PROT_READ, MAP_SHARED, self->q.fd, 0);
	EXPECT_EQ(MAP_FAILED, m);
	EXPECT_EQ(ENXIO, errno);
}

TEST_F(geo, mmap_rules)
{
	struct wct_queue *q = &self->q;
	void *m;

	ASSERT_EQ(0, wct_attach(q, 16, 8));
	/* the control area is read-only, now and later */
	m = mmap(NULL, q->ctrl_len, PROT_READ | PROT_WRITE, MAP_SHARED,
		 q->fd, 0);
	EXPECT_EQ(MAP_FAILED, m);
	EXPECT_NE(0, mprotect(q->ctrl, q->ctrl_len, PROT_READ | PROT_WRITE));
	/* no more than a region, no other offset */
	m = mmap(NULL, q->ctrl_len + 4096, PROT_READ, MAP_SHARED, q->fd, 0);
	EXPECT_EQ(MAP_FAILED, m);
	m = mmap(NULL, q->pool_len + 4096, PROT_READ, MAP_SHARED, q->fd,
		 q->info.pool_offset);
	EXPECT_EQ(MAP_FAILED, m);
	m = mmap(NULL, 4096, PROT_READ, MAP_SHARED, q->fd, 4096);
	EXPECT_EQ(MAP_FAILED, m);
	/* the pool is writable: a middlebox edits packets in place */
	q->pool[q->pool_len - 1] = 0x5a;
	EXPECT_EQ(0x5a, q->pool[q->pool_len - 1]);
	EXPECT_EQ(4096, q->hdr->desc_offset);
}

TEST_F(geo, xmit_needs_a_pool_and_unknown_numbers_are_refused)
{
	struct wirecap_xmit_rec r = {};
	struct wirecap_xmit_cmd x = {
		.recs = (uintptr_t)&r, .count = 1, .tx_fd = -1,
	};

	EXPECT_EQ(-1, ioctl(self->q.fd, WIRECAP_CMD_XMIT, &x));
	EXPECT_EQ(ENXIO, errno);
	EXPECT_EQ(-1, ioctl(self->q.fd, _IO(WIRECAP_IOC_MAGIC, 0x7f)));
	EXPECT_EQ(ENOTTY, errno);
}

TEST_HARNESS_MAIN
