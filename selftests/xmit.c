// SPDX-License-Identifier: GPL-2.0
/*
 * XMIT: cells of captured views go out of a NIC, zero copy, and come back
 * to the pool by themselves once sent. On the software NIC, whose "wire"
 * (debugfs) holds what XMIT gave it until the test reads it: reading is
 * sending. Checked: the frames on the wire are the captured ones (edited
 * where the test edited them, cut where it asked), in order, out of the
 * NIC asked for; a view given to XMIT is the kernel's until sent (RECYCLE
 * and XMIT refuse it) and then back in the pool without a RECYCLE; every
 * kind of bad record is refused and counted; a full wire makes the ioctl
 * XMIT wait for room (back-pressure), drop and count when nobody reads it
 * for WIRECAP_XMIT_STALL_MS, and at once with WIRECAP_XMIT_NOWAIT and
 * through io_uring; a DETACH leaves the pool to the cells still on a wire, which
 * free it when they are sent, and an output NIC that goes gives its
 * cells back.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "wctest.h"
#include "wirecap_uring.h"

#define M 16
#define R 8
#define LEN 100			/* generated frames */
#define MAXF 256

/* NIC a: 2 queues, ring 64 (its wire: 64 cells); NIC b: 1 queue, ring 8. */
FIXTURE(xm) {
	char a[16], b[16];
	struct wct_queue q0, q1, bq;
};

FIXTURE_SETUP(xm)
{
	ASSERT_EQ(0, wct_nic_new(2, 64, self->a));
	ASSERT_EQ(0, wct_nic_new(1, 8, self->b));
	ASSERT_EQ(0, wct_open(&self->q0, self->a, 0));
	ASSERT_EQ(0, wct_open(&self->q1, self->a, 1));
	ASSERT_EQ(0, wct_open(&self->bq, self->b, 0));
	ASSERT_EQ(0, wct_attach(&self->q0, M, R));
	ASSERT_TRUE(self->q0.info.features & WIRECAP_F_XMIT);
	ASSERT_TRUE(self->q0.info.features & WIRECAP_F_XMIT_WAIT);
}

FIXTURE_TEARDOWN(xm)
{
	wct_close(&self->q0);
	wct_close(&self->q1);
	wct_close(&self->bq);
	wct_nic_del(self->a);
	wct_nic_del(self->b);
}

struct wire {
	unsigned int n;
	uint32_t len[MAXF];
	uint8_t frame[MAXF][2048];
};

/* Read a NIC's wire until it is empty (each frame read is sent). */
static int wire_read(const char *nic, struct wire *w)
{
	static uint8_t buf[64 * 1024];
	char path[256];
	ssize_t got;
	int fd;

	snprintf(path, sizeof(path), WIRECAP_SOFTNIC_DIR "/%s/wire", nic);
	fd = open(path, O_RDONLY);
	if (fd < 0)
		return -errno;
	w->n = 0;
	while ((got = read(fd, buf, sizeof(buf))) > 0) {
		size_t off = 0;

		while (off + 4 <= (size_t)got && w->n < MAXF) {
			uint32_t l;

			memcpy(&l, buf + off, 4);
			w->len[w->n] = l;
			memcpy(w->frame[w->n++], buf + off + 4, l > 2048 ? 2048 : l);
			off += 4 + ((l + 3) & ~3u);
		}
	}
	close(fd);
	return got < 0 ? -errno : (int)w->n;
}

static struct wirecap_xmit_rec rec(const struct wirecap_desc *d,
				   unsigned int cell, unsigned int len)
{
	struct wirecap_xmit_rec r = { .view = *d, .cell = cell, .len = len };

	return r;
}

/* XMIT n records on q, out of tx_fd's NIC, with flags: count or -errno. */
static int xmit_flags(struct wct_queue *q, const struct wirecap_xmit_rec *r,
		      unsigned int n, int tx_fd, unsigned int flags)
{
	struct wirecap_xmit_cmd xc = {
		.recs = (uintptr_t)r, .count = n, .tx_fd = tx_fd,
		.flags = flags,
	};
	int ret = ioctl(q->fd, WIRECAP_CMD_XMIT, &xc);

	return ret < 0 ? -errno : ret;
}

static int xmit(struct wct_queue *q, const struct wirecap_xmit_rec *r,
		unsigned int n, int tx_fd)
{
	return xmit_flags(q, r, n, tx_fd, 0);
}

/*
 * One XMIT through io_uring on fd, waited for up to 10 s: its result;
 * -EBUSY when it could not be submitted, -ETIME when it did not complete.
 */
static int xmit_uring(struct io_uring *ring, int fd,
		      const struct wirecap_xmit_cmd *xc)
{
	struct __kernel_timespec ts = { .tv_sec = 10 };
	struct io_uring_sqe *sqe = io_uring_get_sqe(ring);
	struct io_uring_cqe *cqe;
	int res;

	if (!sqe)
		return -EBUSY;
	io_uring_prep_rw(IORING_OP_URING_CMD, sqe, fd, NULL, 0, 0);
	sqe->cmd_op = WIRECAP_CMD_XMIT;
	memcpy(sqe->cmd, xc, sizeof(*xc));
	if (io_uring_submit(ring) != 1)
		return -EBUSY;
	if (io_uring_wait_cqe_timeout(ring, &cqe, &ts))
		return -ETIME;
	res = cqe->res;
	io_uring_cqe_seen(ring, cqe);
	return res;
}

/*
 * A reader of a NIC's wire on another thread, as the far end of a link:
 * it reads until it has want frames or 10 s went by, keeping the first
 * MAXF of them and their count.
 */
struct drainer {
	const char *nic;
	unsigned int want, got;
	uint32_t seq[MAXF];
	pthread_t thread;
};

static void *drain_run(void *arg)
{
	struct drainer *dr = arg;
	uint64_t end = wct_now_us() + 10000000;
	static struct wire w;
	unsigned int i;

	while (dr->got < dr->want && wct_now_us() < end) {
		if (wire_read(dr->nic, &w) < 0)
			break;
		for (i = 0; i < w.n && dr->got < MAXF; i++)
			dr->seq[dr->got++] = wct_frame_seq(w.frame[i]);
		usleep(2000);
	}
	return NULL;
}

/* Capture n full views of q (each M packets, LEN bytes) into d[]. */
static void take(struct __test_metadata *_metadata, struct wct_queue *q,
		 const char *nic, unsigned int ring, uint64_t seq,
		 struct wirecap_desc *d, unsigned int n)
{
	unsigned int i;

	ASSERT_EQ(0, wct_inject(nic, ring, n * M, LEN, seq));
	ASSERT_EQ(n, wct_capture(q, n, 0));
	for (i = 0; i < n; i++) {
		d[i] = *wct_desc(q, i);
		ASSERT_EQ(M, d[i].pkt_count);
	}
	wct_consume(q, n);
}

/* Every cell of views d[0..n) as records, in order. */
static unsigned int all_cells(const struct wirecap_desc *d, unsigned int n,
			      struct wirecap_xmit_rec *r)
{
	unsigned int i, c, k = 0;

	for (i = 0; i < n; i++)
		for (c = 0; c < d[i].pkt_count; c++)
			r[k++] = rec(&d[i], c, LEN);
	return k;
}

/* 4 segments hold 4 chunks; with nothing out, the rest are free. */
static void pool_whole(struct __test_metadata *_metadata, struct wct_queue *q)
{
	EXPECT_EQ(R - 4, q->hdr->chunks_free);
}

TEST_F(xm, views_go_out_in_order_and_come_back_by_themselves)
{
	struct wirecap_desc d[2];
	struct wirecap_xmit_rec r[2 * M];
	static struct wire w;
	struct wirecap_stats st;
	unsigned int i, n;

	take(_metadata, &self->q0, self->a, 0, 1000, d, 2);
	n = all_cells(d, 2, r);
	ASSERT_EQ((int)n, xmit(&self->q0, r, n, -1));
	/* on the wire, not sent yet: the views are the kernel's */
	st = wct_stats(&self->q0);
	EXPECT_EQ(n, st.xmit_sent);
	EXPECT_EQ(0, st.xmit_completed);
	EXPECT_EQ(R - 4 - 2, self->q0.hdr->chunks_free);
	EXPECT_EQ(0, wct_recycle(&self->q0, d, 2));
	EXPECT_EQ(2, wct_stats(&self->q0).recycle_refused);
	EXPECT_EQ(0, xmit(&self->q0, r, 1, -1));
	EXPECT_EQ(1, wct_stats(&self->q0).xmit_refused);

	ASSERT_EQ((int)n, wire_read(self->a, &w));
	for (i = 0; i < n; i++) {
		EXPECT_EQ(LEN, w.len[i]);
		EXPECT_EQ(1000 + i, wct_frame_seq(w.frame[i]));
	}
	st = wct_stats(&self->q0);
	EXPECT_EQ(n, st.xmit_completed);
	EXPECT_EQ(0, st.xmit_dropped);
	pool_whole(_metadata, &self->q0);
	/* sent, and back in the pool: no RECYCLE takes it */
	EXPECT_EQ(0, wct_recycle(&self->q0, d, 2));
	/* the b NIC's wire saw nothing */
	EXPECT_EQ(0, wire_read(self->b, &w));
}

TEST_F(xm, edited_and_cut_frames_go_out_as_edited)
{
	struct wirecap_desc d;
	struct wirecap_xmit_rec r[2];
	static struct wire w;
	uint8_t *f3, *f5;
	uint8_t want3[LEN];

	take(_metadata, &self->q0, self->a, 0, 0, &d, 1);
	f3 = (uint8_t *)wct_frame(&self->q0, d.chunk_id, 3);
	f5 = (uint8_t *)wct_frame(&self->q0, d.chunk_id, 5);
	f3[22]--;			/* the IPv4 TTL */
	f3[LEN - 1] ^= 0xff;
	memcpy(want3, f3, LEN);
	r[0] = rec(&d, 3, LEN);
	r[1] = rec(&d, 5, 60);		/* cut */
	ASSERT_EQ(2, xmit(&self->q0, r, 2, -1));
	ASSERT_EQ(2, wire_read(self->a, &w));
	EXPECT_EQ(LEN, w.len[0]);
	EXPECT_EQ(0, memcmp(w.frame[0], want3, LEN));
	EXPECT_EQ(60, w.len[1]);
	EXPECT_EQ(0, memcmp(w.frame[1], f5, 60));
	/* the 14 cells not named went back with the view */
	pool_whole(_metadata, &self->q0);
}

TEST_F(xm, out_of_another_nic_and_a_full_wire_drops_with_nowait)
{
	struct wirecap_desc d;
	struct wirecap_xmit_rec r[M];
	static struct wire w;
	struct wirecap_stats st;
	unsigned int i, n;

	take(_metadata, &self->q0, self->a, 0, 500, &d, 1);
	n = all_cells(&d, 1, r);
	/* b's wire holds 8: the other 8 are the NIC's TX drops, at once */
	ASSERT_EQ(8, xmit_flags(&self->q0, r, n, self->bq.fd,
				WIRECAP_XMIT_NOWAIT));
	st = wct_stats(&self->q0);
	EXPECT_EQ(8, st.xmit_sent);
	EXPECT_EQ(8, st.xmit_dropped);
	EXPECT_EQ(0, wire_read(self->a, &w));
	ASSERT_EQ(8, wire_read(self->b, &w));
	for (i = 0; i < 8; i++)
		EXPECT_EQ(500 + i, wct_frame_seq(w.frame[i]));
	EXPECT_EQ(8, wct_stats(&self->q0).xmit_completed);
	pool_whole(_metadata, &self->q0);
}

TEST_F(xm, a_full_wire_waits_for_room)
{
	struct drainer dr = { .nic = self->b, .want = 3 * M };
	struct wirecap_desc d[3];
	struct wirecap_xmit_rec r[3 * M];
	struct wirecap_stats st;
	unsigned int i, n;

	take(_metadata, &self->q0, self->a, 0, 700, d, 3);
	n = all_cells(d, 3, r);
	/* b's wire holds 8 of the 48: XMIT waits while the far end reads */
	ASSERT_EQ(0, pthread_create(&dr.thread, NULL, drain_run, &dr));
	EXPECT_EQ((int)n, xmit(&self->q0, r, n, self->bq.fd));
	pthread_join(dr.thread, NULL);
	st = wct_stats(&self->q0);
	EXPECT_EQ(n, st.xmit_sent);
	EXPECT_EQ(0, st.xmit_dropped);
	ASSERT_EQ(n, dr.got);
	for (i = 0; i < n; i++)
		EXPECT_EQ(700 + i, dr.seq[i]);
	EXPECT_EQ(n, wct_stats(&self->q0).xmit_completed);
	pool_whole(_metadata, &self->q0);
}

TEST_F(xm, a_stuck_wire_drops_after_the_stall)
{
	struct wirecap_desc d;
	struct wirecap_xmit_rec r[M];
	struct wirecap_stats st;
	static struct wire w;
	uint64_t t0, us;
	unsigned int n;

	take(_metadata, &self->q0, self->a, 0, 0, &d, 1);
	n = all_cells(&d, 1, r);
	/* nobody reads b's wire: 8 go, then no progress for the stall */
	t0 = wct_now_us();
	ASSERT_EQ(8, xmit(&self->q0, r, n, self->bq.fd));
	us = wct_now_us() - t0;
	EXPECT_GE(us, WIRECAP_XMIT_STALL_MS * 1000ULL * 9 / 10);
	st = wct_stats(&self->q0);
	EXPECT_EQ(8, st.xmit_sent);
	EXPECT_EQ(8, st.xmit_dropped);
	ASSERT_EQ(8, wire_read(self->b, &w));
	pool_whole(_metadata, &self->q0);
}

TEST_F(xm, bad_records_are_refused_and_counted)
{
	struct wirecap_desc d[4], other, stale;
	struct wirecap_xmit_rec r[4];
	struct wirecap_xmit_cmd xc;
	static struct wire w;
	__u64 refused = 0;
	int null_fd;

	ASSERT_EQ(0, wct_attach(&self->q1, M, R));
	take(_metadata, &self->q0, self->a, 0, 0, d, 4);
	take(_metadata, &self->q1, self->a, 1, 0, &other, 1);

#define REFUSED(n)							\
	do {								\
		refused += (n);						\
		EXPECT_EQ(refused, wct_stats(&self->q0).xmit_refused);	\
	} while (0)

	/* a view of another queue */
	r[0] = rec(&other, 0, LEN);
	EXPECT_EQ(0, xmit(&self->q0, r, 1, -1));
	REFUSED(1);
	/* a wrong stamp: every record of that run */
	stale = d[0];
	stale.seq++;
	r[0] = rec(&stale, 0, LEN);
	r[1] = rec(&stale, 1, LEN);
	EXPECT_EQ(0, xmit(&self->q0, r, 2, -1));
	REFUSED(2);
	/* a recycled view */
	ASSERT_EQ(1, wct_recycle(&self->q0, &d[3], 1));
	r[0] = rec(&d[3], 0, LEN);
	EXPECT_EQ(0, xmit(&self->q0, r, 1, -1));
	REFUSED(1);
	/* in one run of a good view: a cell outside it, lengths, flags */
	r[0] = rec(&d[0], M, LEN);
	r[1] = rec(&d[0], 0, WIRECAP_XMIT_MIN_LEN - 1);
	r[2] = rec(&d[0], 1, 2048 - self->q0.info.frame_offset + 1);
	r[3] = rec(&d[0], 2, LEN);
	r[3].flags = 1;
	EXPECT_EQ(0, xmit(&self->q0, r, 4, -1));
	REFUSED(4);
	/* the view was XMIT's even so: it went back, and is gone */
	r[0] = rec(&d[0], 0, LEN);
	EXPECT_EQ(0, xmit(&self->q0, r, 1, -1));
	REFUSED(1);
	EXPECT_EQ(0, wct_recycle(&self->q0, &d[0], 1));
	/* a run that names a view twice: its second run is refused */
	r[0] = rec(&d[1], 0, LEN);
	r[1] = rec(&d[2], 0, LEN);
	r[2] = rec(&d[1], 1, LEN);
	EXPECT_EQ(2, xmit(&self->q0, r, 3, -1));
	REFUSED(1);
	EXPECT_EQ(2, wire_read(self->a, &w));
	/* bad commands: nothing is looked at, nothing counted */
	r[0] = rec(&d[1], 0, LEN);
	EXPECT_EQ(-EBADF, xmit(&self->q0, r, 1, 1000));
	null_fd = open("/dev/null", O_RDONLY);
	ASSERT_LE(0, null_fd);
	EXPECT_EQ(-ENOTTY, xmit(&self->q0, r, 1, null_fd));
	close(null_fd);
	EXPECT_EQ(-EINVAL, xmit(&self->q0, r, WIRECAP_XMIT_MAX + 1, -1));
	xc = (struct wirecap_xmit_cmd){
		.recs = (uintptr_t)r, .count = 1, .tx_fd = -1,
		.flags = WIRECAP_XMIT_NOWAIT << 1,	/* no such flag */
	};
	EXPECT_EQ(-1, ioctl(self->q0.fd, WIRECAP_CMD_XMIT, &xc));
	EXPECT_EQ(EINVAL, errno);
	REFUSED(0);
	EXPECT_EQ(0, wct_stats(&self->q0).xmit_dropped);
	pool_whole(_metadata, &self->q0);
	ASSERT_EQ(1, wct_recycle(&self->q1, &other, 1));
	pool_whole(_metadata, &self->q1);
#undef REFUSED
}

TEST_F(xm, detach_leaves_the_pool_to_the_wire)
{
	struct wirecap_desc d;
	struct wirecap_xmit_rec r[M];
	static struct wire w;
	long long pages, held;
	unsigned int n, i;
	uint64_t t0;

	take(_metadata, &self->q0, self->a, 0, 300, &d, 1);
	n = all_cells(&d, 1, r);
	ASSERT_EQ((int)n, xmit(&self->q0, r, n, -1));
	wct_unmap(&self->q0);
	held = wct_pool_pages();
	/* no waiting for the NIC: the pool stays for its cells */
	t0 = wct_now_us();
	EXPECT_EQ(0, ioctl(self->q0.fd, WIRECAP_CMD_DETACH));
	EXPECT_GT(100000, wct_now_us() - t0);
	EXPECT_EQ(held, wct_pool_pages());
	/* the queue takes a new pool at once */
	ASSERT_EQ(0, wct_attach(&self->q0, M, R));
	pages = wct_pool_pages();
	EXPECT_LT(held, pages);
	/* the frames are still there to send, from the old pool */
	ASSERT_EQ((int)n, wire_read(self->a, &w));
	for (i = 0; i < n; i++)
		EXPECT_EQ(300 + i, wct_frame_seq(w.frame[i]));
	EXPECT_EQ(n, wct_stats(&self->q0).xmit_completed);
	/*
	 * and the old pool goes with its last cell (freed by a worker): as
	 * big as the new one, so what is left is what there was before
	 */
	for (i = 0; i < 100 && wct_pool_pages() != held; i++)
		usleep(10000);
	EXPECT_EQ(held, wct_pool_pages());
	pool_whole(_metadata, &self->q0);
}

TEST_F(xm, output_nic_removed_with_cells_on_its_wire)
{
	struct wirecap_desc d[2];
	struct wirecap_xmit_rec r[M];
	unsigned int n;

	take(_metadata, &self->q0, self->a, 0, 0, d, 2);
	n = all_cells(&d[0], 1, r);
	ASSERT_EQ(8, xmit(&self->q0, r, n, self->bq.fd));
	/* b goes: what its wire holds comes back unsent */
	ASSERT_EQ(0, wct_nic_del(self->b));
	EXPECT_EQ(8, wct_stats(&self->q0).xmit_completed);
	EXPECT_EQ(R - 4 - 1, self->q0.hdr->chunks_free);
	/* gone before an XMIT: nothing is taken, the view is still ours */
	n = all_cells(&d[1], 1, r);
	EXPECT_EQ(-ENODEV, xmit(&self->q0, r, n, self->bq.fd));
	EXPECT_EQ(1, wct_recycle(&self->q0, &d[1], 1));
	pool_whole(_metadata, &self->q0);
}

TEST_F(xm, longer_than_the_output_mtu_is_refused)
{
	struct wirecap_desc d;
	struct wirecap_xmit_rec r[2];
	static struct wire w;

	take(_metadata, &self->q0, self->a, 0, 0, &d, 1);
	r[0] = rec(&d, 0, 1500 + 18 + 1);	/* MTU + VLAN header + 1 */
	r[1] = rec(&d, 1, 1500 + 18);
	EXPECT_EQ(1, xmit(&self->q0, r, 2, -1));
	EXPECT_EQ(1, wct_stats(&self->q0).xmit_refused);
	ASSERT_EQ(1, wire_read(self->a, &w));
	EXPECT_EQ(1518, w.len[0]);
	pool_whole(_metadata, &self->q0);
}

TEST_F(xm, through_io_uring)
{
	struct wirecap_desc d;
	struct wirecap_xmit_rec r[M];
	struct wirecap_xmit_cmd xc;
	struct io_uring ring;
	static struct wire w;
	unsigned int n;

	take(_metadata, &self->q0, self->a, 0, 0, &d, 1);
	n = all_cells(&d, 1, r);
	xc = (struct wirecap_xmit_cmd){
		.recs = (uintptr_t)r, .count = n, .tx_fd = -1,
	};
	ASSERT_EQ(0, io_uring_queue_init(8, &ring, 0));
	EXPECT_EQ((int)n, xmit_uring(&ring, self->q0.fd, &xc));
	io_uring_queue_exit(&ring);
	EXPECT_EQ((int)n, wire_read(self->a, &w));
	pool_whole(_metadata, &self->q0);
}

/* Through io_uring XMIT never sleeps: a full wire drops, as NOWAIT. */
TEST_F(xm, through_io_uring_never_waits)
{
	struct wirecap_desc d[2];
	struct wirecap_xmit_rec r[2 * M];
	struct wirecap_xmit_cmd xc;
	struct io_uring ring;
	struct wirecap_stats st;
	static struct wire w;
	unsigned int i, n;

	take(_metadata, &self->q0, self->a, 0, 900, d, 2);
	n = all_cells(d, 2, r);
	xc = (struct wirecap_xmit_cmd){
		.recs = (uintptr_t)r, .count = n, .tx_fd = self->bq.fd,
	};
	ASSERT_EQ(0, io_uring_queue_init(8, &ring, 0));
	/* b's wire holds 8 */
	EXPECT_EQ(8, xmit_uring(&ring, self->q0.fd, &xc));
	/* an unknown flag: refused before anything is looked at */
	xc.flags = WIRECAP_XMIT_NOWAIT << 1;
	EXPECT_EQ(-EINVAL, xmit_uring(&ring, self->q0.fd, &xc));
	io_uring_queue_exit(&ring);
	st = wct_stats(&self->q0);
	EXPECT_EQ(8, st.xmit_sent);
	EXPECT_EQ(n - 8, st.xmit_dropped);
	ASSERT_EQ(8, wire_read(self->b, &w));
	for (i = 0; i < 8; i++)
		EXPECT_EQ(900 + i, wct_frame_seq(w.frame[i]));
	pool_whole(_metadata, &self->q0);
}

TEST_HARNESS_MAIN
