// SPDX-License-Identifier: GPL-2.0
/*
 * CAPTURE through ioctl and io_uring: at once, parked until a chunk fills,
 * by timeout, batch sizes, many queues in one ring, poll().
 */
#include <errno.h>
#include <poll.h>
#include <sys/ioctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "wctest.h"
#include "wirecap_uring.h"

#define M 16
#define R 8

WCT_NIC_FIXTURE(cap, 2, 64)

/* Inject n packets into queue q after delay_us, from a child process. */
static pid_t inject_later(const char *nic, int q, unsigned int n,
			  unsigned int delay_us, uint64_t seq)
{
	pid_t pid = fork();

	if (pid == 0) {
		usleep(delay_us);
		_exit(wct_inject(nic, q, n, 64, seq) ? 1 : 0);
	}
	return pid;
}

static int reap(pid_t pid)
{
	int status;

	if (waitpid(pid, &status, 0) != pid)
		return -1;
	return WEXITSTATUS(status);
}

TEST_F(cap, empty_nonblocking)
{
	ASSERT_EQ(0, wct_attach(&self->q, M, R));
	EXPECT_EQ(0, wct_capture(&self->q, 8, 0));
	EXPECT_EQ(0, wct_tail(&self->q));
}

TEST_F(cap, full_chunk_at_once)
{
	struct wct_queue *q = &self->q;
	struct wirecap_desc *d;
	struct wirecap_stats st;
	int i;

	ASSERT_EQ(0, wct_attach(q, M, R));
	ASSERT_EQ(0, wct_inject(self->nic, 0, M, 128, 1000));
	ASSERT_EQ(1, wct_capture(q, 8, 0));
	ASSERT_EQ(1, wct_tail(q));
	d = wct_desc(q, 0);
	EXPECT_EQ(q->info.nic_id, d->nic_id);
	EXPECT_EQ(0, d->ring_id);
	EXPECT_LT(d->chunk_id, R);
	EXPECT_EQ(0, d->first_cell);
	EXPECT_EQ(M, d->pkt_count);
	EXPECT_NE(0, d->seq);
	for (i = 0; i < M; i++) {
		const struct wirecap_cell_meta *m =
			&q->meta[d->chunk_id * M + i];

		EXPECT_EQ(1000 + i, wct_seq(q, d->chunk_id, i));
		EXPECT_EQ(128, m->len);
		EXPECT_NE(0, m->ts_ns);
	}
	st = wct_stats(q);
	EXPECT_EQ(M, st.received);
	EXPECT_EQ(M, st.delivered);
	EXPECT_EQ(1, st.chunks_captured);
	EXPECT_EQ(0, st.partial_views);
	EXPECT_EQ(0, st.capture_drops);
	EXPECT_EQ(M, wct_sysfs(self->nic, 0, "stats/delivered"));
}

/*
 * Each frame its own timestamp: four chunks' worth arrive in one write,
 * which the software NIC reports to the core in one batch of 64; their
 * stamps still rise frame by frame, none shared.
 */
TEST_F(cap, timestamp_per_frame)
{
	struct wct_queue *q = &self->q;
	unsigned int shared = 0, back = 0;
	uint64_t prev = 0;
	int n, i, c;

	ASSERT_EQ(0, wct_attach(q, M, R));
	ASSERT_EQ(0, wct_inject(self->nic, 0, 4 * M, 64, 0));
	n = wct_capture(q, 8, 0);
	ASSERT_EQ(4, n);
	for (i = 0; i < n; i++) {
		const struct wirecap_desc *d = wct_desc(q, i);

		ASSERT_EQ(M, d->pkt_count);
		for (c = 0; c < M; c++) {
			uint64_t ts = q->meta[d->chunk_id * M + c].ts_ns;

			ASSERT_EQ((uint64_t)(i * M + c),
				  wct_seq(q, d->chunk_id, c));
			shared += ts == prev;
			back += ts < prev;
			prev = ts;
		}
	}
	EXPECT_EQ(0, shared);
	EXPECT_EQ(0, back);
}

TEST_F(cap, parked_until_chunk_fills)
{
	uint64_t t0;
	pid_t pid;
	int n;

	ASSERT_EQ(0, wct_attach(&self->q, M, R));
	pid = inject_later(self->nic, 0, M, 100000, 0);
	t0 = wct_now_us();
	n = wct_capture(&self->q, 8, 5000000);
	EXPECT_EQ(1, n);
	EXPECT_EQ(M, wct_desc(&self->q, 0)->pkt_count);
	/* woken by the fill, long before the (capped) timeout */
	EXPECT_LT(wct_now_us() - t0, 900000);
	EXPECT_EQ(0, reap(pid));
	EXPECT_EQ(1, wct_stats(&self->q).captures_parked);
	EXPECT_EQ(0, wct_stats(&self->q).capture_timeouts);
}

TEST_F(cap, timeout_with_nothing)
{
	uint64_t t0 = wct_now_us(), dt;

	ASSERT_EQ(0, wct_attach(&self->q, M, R));
	t0 = wct_now_us();
	EXPECT_EQ(0, wct_capture(&self->q, 8, 30000));
	dt = wct_now_us() - t0;
	EXPECT_GE(dt, 29000);
	EXPECT_LT(dt, 900000);
	EXPECT_EQ(1, wct_stats(&self->q).capture_timeouts);
}

TEST_F(cap, timeout_is_capped)
{
	uint64_t t0;

	ASSERT_EQ(0, wct_attach(&self->q, M, R));
	t0 = wct_now_us();
	/* asks for an hour; max_timeout_us bounds it */
	EXPECT_EQ(0, wct_capture(&self->q, 8, 3600u * 1000000u));
	EXPECT_LT(wct_now_us() - t0, self->q.info.max_timeout_us + 500000ull);
}

TEST_F(cap, bad_arguments)
{
	struct wirecap_capture_cmd cc = { .max_descs = 1, .flags = 1 };

	ASSERT_EQ(0, wct_attach(&self->q, M, R));
	EXPECT_EQ(-1, ioctl(self->q.fd, WIRECAP_CMD_CAPTURE, &cc));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(-EINVAL, wct_capture(&self->q, 0, 0));
	/* consumed more than was published */
	self->q.head = 1;
	EXPECT_EQ(-EINVAL, wct_capture(&self->q, 1, 0));
}

FIXTURE(batch) {
	char nic[16];
	struct wct_queue q;
};

FIXTURE_VARIANT(batch) {
	unsigned int max;
};

FIXTURE_VARIANT_ADD(batch, one) { .max = 1 };
FIXTURE_VARIANT_ADD(batch, three) { .max = 3 };
FIXTURE_VARIANT_ADD(batch, eight) { .max = 8 };

FIXTURE_SETUP(batch)
{
	ASSERT_EQ(0, wct_nic_new(1, 64, self->nic));
	ASSERT_EQ(0, wct_open(&self->q, self->nic, 0));
}

FIXTURE_TEARDOWN(batch)
{
	wct_close(&self->q);
	wct_nic_del(self->nic);
}

/* 5 full chunks, captured max at a time, in order, nothing lost. */
TEST_F(batch, sizes)
{
	struct wct_queue *q = &self->q;
	uint64_t expect = 0;
	unsigned int got = 0;

	ASSERT_EQ(0, wct_attach(q, M, R));
	ASSERT_EQ(0, wct_inject(self->nic, 0, 5 * M, 64, 0));
	while (got < 5) {
		int n = wct_capture(q, variant->max, 0);
		int i, c;

		ASSERT_EQ(n, variant->max < 5 - got ? variant->max : 5 - got);
		for (i = 0; i < n; i++) {
			struct wirecap_desc *d = wct_desc(q, i);

			ASSERT_EQ(M, d->pkt_count);
			for (c = 0; c < M; c++)
				ASSERT_EQ(expect++, wct_seq(q, d->chunk_id, c));
		}
		wct_consume(q, n);
		got += n;
	}
	EXPECT_EQ(0, wct_capture(q, variant->max, 0));
}

TEST_F(cap, uring_parked_and_immediate)
{
	struct wirecap_capture_cmd cc = { .max_descs = 4, .timeout_us = 2000000 };
	struct wirecap_uring wu;
	struct io_uring_cqe cqe[4];
	int slot, n;
	pid_t pid;

	ASSERT_EQ(0, wct_attach(&self->q, M, R));
	ASSERT_EQ(0, wirecap_uring_init(&wu, 16, 4));
	slot = wirecap_uring_add(&wu, self->q.fd);
	ASSERT_EQ(0, slot);

	/* nothing there: parks, completes when the chunk fills */
	pid = inject_later(self->nic, 0, M, 100000, 0);
	ASSERT_EQ(0, wirecap_uring_capture(&wu, slot, &cc, 7));
	ASSERT_EQ(1, wirecap_uring_submit(&wu));
	n = wirecap_uring_reap(&wu, cqe, 4, 3000000);
	ASSERT_EQ(1, n);
	EXPECT_EQ(1, cqe[0].res);
	EXPECT_EQ(7, WCU_UD_TAG(cqe[0].user_data));
	EXPECT_EQ(WCU_OP_CAPTURE, WCU_UD_OP(cqe[0].user_data));
	EXPECT_EQ(0, reap(pid));
	wct_consume(&self->q, 1);

	/* two chunks waiting: completes in the issue path */
	ASSERT_EQ(0, wct_inject(self->nic, 0, 2 * M, 64, 100));
	cc.desc_head = self->q.head;
	ASSERT_EQ(0, wirecap_uring_capture(&wu, slot, &cc, 8));
	ASSERT_EQ(1, wirecap_uring_submit(&wu));
	ASSERT_EQ(1, wirecap_uring_reap(&wu, cqe, 4, 1000000));
	EXPECT_EQ(2, cqe[0].res);
	EXPECT_EQ(100, wct_seq(&self->q, wct_desc(&self->q, 0)->chunk_id, 0));
	wirecap_uring_exit(&wu);
}

/* One ring, one capture thread, many queues: the design card's shape. */
TEST_F(cap, uring_many_queues_one_ring)
{
	struct wirecap_capture_cmd cc = { .max_descs = 4, .timeout_us = 2000000 };
	struct wct_queue q1;
	struct wirecap_uring wu;
	struct io_uring_cqe cqe[4];
	int s0, s1, n, got = 0, seen = 0;
	pid_t pid;

	ASSERT_EQ(0, wct_open(&q1, self->nic, 1));
	ASSERT_EQ(0, wct_attach(&self->q, M, R));
	ASSERT_EQ(0, wct_attach(&q1, M, R));
	ASSERT_EQ(0, wirecap_uring_init(&wu, 16, 4));
	s0 = wirecap_uring_add(&wu, self->q.fd);
	s1 = wirecap_uring_add(&wu, q1.fd);
	ASSERT_EQ(1, s1);
	ASSERT_EQ(0, wirecap_uring_capture(&wu, s0, &cc, 0));
	ASSERT_EQ(0, wirecap_uring_capture(&wu, s1, &cc, 1));
	ASSERT_EQ(2, wirecap_uring_submit(&wu));
	pid = fork();
	if (pid == 0) {
		usleep(50000);
		_exit(wct_inject(self->nic, 0, M, 64, 0) ||
		      wct_inject(self->nic, 1, M, 64, 0));
	}
	while (got < 2) {
		n = wirecap_uring_reap(&wu, cqe, 4, 3000000);
		ASSERT_GT(n, 0);
		for (int i = 0; i < n; i++) {
			EXPECT_EQ(1, cqe[i].res);
			seen |= 1 << WCU_UD_SLOT(cqe[i].user_data);
		}
		got += n;
	}
	EXPECT_EQ(3, seen);
	EXPECT_EQ(0, reap(pid));
	wirecap_uring_exit(&wu);
	wct_close(&q1);
}

TEST_F(cap, poll_readable)
{
	struct pollfd pfd = { .fd = self->q.fd, .events = POLLIN };

	ASSERT_EQ(0, wct_attach(&self->q, M, R));
	EXPECT_EQ(0, poll(&pfd, 1, 0));
	/* one packet is enough to be readable: it is deliverable now */
	ASSERT_EQ(0, wct_inject(self->nic, 0, 1, 64, 0));
	EXPECT_EQ(1, poll(&pfd, 1, 1000));
	EXPECT_TRUE(pfd.revents & POLLIN);
}

TEST_HARNESS_MAIN
