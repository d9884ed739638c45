// SPDX-License-Identifier: GPL-2.0
/*
 * libwirecap in basic mode against the software NIC: capture threads, the
 * work-queue pairs, and the application API, end to end.
 *
 *   burst.*           every packet of bursts into 4 queues exactly once,
 *                     in per-queue order, with 1, 2 or 4 capture threads;
 *                     then every chunk back (chunks_free = R - segments)
 *   recycle_prompt    a released chunk is back in the kernel long before
 *                     the capture thread's CAPTURE timeout would wake it
 *   partial_in_time   a few packets arrive within the CAPTURE timeout
 *   capq_full         a full capture queue pauses capture, loses nothing
 *   dispatch          wirecap_dispatch with a packet limit
 *   close_holding     closing with chunks held and queued leaks no page
 *   nic_removed       the NIC goes away under a running session
 *   close_wakes_readers  a reader asleep in wirecap_next_chunk(q, c, -1)
 *                     when another thread calls wirecap_close() returns
 *                     -ESHUTDOWN before the session is freed
 *   close_cancels     wirecap_close() cancels the parked CAPTUREs instead
 *                     of waiting for their (1 s) timeout
 *   two_sessions      two applications on disjoint queues of one NIC
 *   numa_node0        placement on node 0 asked for explicitly
 *   stats_since_open  kernel counters count from this session's attach
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "wctest.h"
#include "wirecap.h"

#define QUEUES	4
#define RING	64
#define M	16
#define R	64
#define SEGS	(RING / M)

static void test_log(void *ctx, int level, const char *msg)
{
	if (level <= WIRECAP_LOG_WARNING)
		fprintf(stderr, "# libwirecap: %s\n", msg);
}

static struct wirecap *open_lib(const char *nic, unsigned int threads,
				unsigned int r, unsigned int timeout_us,
				unsigned int capq)
{
	WIRECAP_OPTS(o, .cells_per_chunk = M, .nr_chunks = r,
		     .capture_threads = threads, .timeout_us = timeout_us,
		     .capq_size = capq, .log = test_log);

	return wirecap_open(nic, NULL, 0, &o);
}

static uint64_t pkt_seq(const struct wirecap_pkt *p)
{
	return wct_frame_seq(p->data);
}

static struct wirecap_qstats qstats(struct wirecap_queue *q)
{
	struct wirecap_qstats st = { .sz = sizeof(st) };

	wirecap_queue_stats(q, &st);
	return st;
}

/* Wait (up to ms) until every chunk released was taken back. */
static int settle(struct wirecap *w, unsigned int ms)
{
	unsigned int i;

	for (; ms; ms--) {
		int busy = 0;

		for (i = 0; i < wirecap_queue_count(w); i++) {
			struct wirecap_qstats st = qstats(wirecap_queue(w, i));

			busy |= st.chunks_recycled != st.chunks_released ||
				st.recq_len;
		}
		if (!busy)
			return 0;
		usleep(1000);
	}
	return -ETIMEDOUT;
}

/* --- bursts into all queues, one application thread per queue -------------- */

struct reader {
	struct wirecap_queue *q;
	uint64_t base, want;
	uint64_t got;		/* read by the main thread */
	uint64_t chunks;
	int err;
	uint64_t bad_seq, bad_at;
};

static void *reader(void *arg)
{
	struct reader *rd = arg;
	struct wirecap_chunk c;
	struct wirecap_pkt p;

	while (rd->got < rd->want) {
		unsigned int i, n;
		int ret = wirecap_next_chunk(rd->q, &c, 5000);

		if (ret != 1) {
			rd->err = ret ? ret : -ETIMEDOUT;
			break;
		}
		n = wirecap_chunk_count(&c);
		for (i = 0; i < n; i++) {
			wirecap_chunk_pkt(&c, i, &p);
			if (pkt_seq(&p) != rd->base + rd->got && !rd->bad_at) {
				rd->bad_seq = pkt_seq(&p);
				rd->bad_at = rd->got + 1;
			}
			__atomic_store_n(&rd->got, rd->got + 1,
					 __ATOMIC_RELEASE);
		}
		rd->chunks++;
		wirecap_chunk_release(&c);
	}
	return NULL;
}

FIXTURE(burst) {
	char nic[16];
	struct wirecap *w;
};

FIXTURE_VARIANT(burst) {
	unsigned int threads;
};

FIXTURE_VARIANT_ADD(burst, one_thread) { .threads = 1 };
FIXTURE_VARIANT_ADD(burst, two_threads) { .threads = 2 };
FIXTURE_VARIANT_ADD(burst, four_threads) { .threads = 4 };

FIXTURE_SETUP(burst)
{
	ASSERT_EQ(0, wct_nic_new(QUEUES, RING, self->nic));
}

FIXTURE_TEARDOWN(burst)
{
	wirecap_close(self->w);
	wct_nic_del(self->nic);
}

#define ROUNDS	5
#define PER	1000	/* per queue and round: fits the pool (R*M = 1024) */

TEST_F_TIMEOUT(burst, exactly_once, 120)
{
	struct reader rd[QUEUES];
	pthread_t t[QUEUES];
	unsigned int i, round;
	uint64_t t0;

	self->w = open_lib(self->nic, variant->threads, R, 5000, 0);
	ASSERT_NE(NULL, self->w);
	ASSERT_EQ(QUEUES, wirecap_queue_count(self->w));
	ASSERT_EQ(0, wirecap_start(self->w));
	ASSERT_EQ(-EALREADY, wirecap_start(self->w));
	for (i = 0; i < QUEUES; i++) {
		rd[i] = (struct reader){ .q = wirecap_queue(self->w, i),
					 .base = i * 1000000ull,
					 .want = ROUNDS * PER };
		ASSERT_EQ(i, wirecap_queue_ring(rd[i].q));
		ASSERT_EQ(0, pthread_create(&t[i], NULL, reader, &rd[i]));
	}
	t0 = wct_now_us();
	for (round = 0; round < ROUNDS; round++) {
		uint64_t until = wct_now_us() + 20000000;
		int done = 0;

		for (i = 0; i < QUEUES; i++)
			wct_inject(self->nic, i, PER, 64 + 100 * i,
				   rd[i].base + round * PER);
		/* all of this round read and recycled before the next */
		while (!done && wct_now_us() < until) {
			done = 1;
			for (i = 0; i < QUEUES; i++)
				done &= __atomic_load_n(&rd[i].got,
					__ATOMIC_ACQUIRE) >=
					(round + 1) * PER || rd[i].err;
			usleep(1000);
		}
		settle(self->w, 2000);
	}
	for (i = 0; i < QUEUES; i++)
		pthread_join(t[i], NULL);
	TH_LOG("%u queues x %u packets with %u capture threads in %.1f ms",
	       QUEUES, ROUNDS * PER, variant->threads,
	       (wct_now_us() - t0) / 1000.0);

	ASSERT_EQ(0, settle(self->w, 2000));
	for (i = 0; i < QUEUES; i++) {
		struct wirecap_qstats st = qstats(rd[i].q);

		EXPECT_EQ(0, rd[i].err);
		EXPECT_EQ(0, rd[i].bad_at) {
			TH_LOG("queue %u: packet %llu has seq %llu", i,
			       (unsigned long long)rd[i].bad_at - 1,
			       (unsigned long long)rd[i].bad_seq);
		}
		EXPECT_EQ(ROUNDS * PER, rd[i].got);
		EXPECT_EQ(ROUNDS * PER, st.kernel.received);
		EXPECT_EQ(ROUNDS * PER, st.kernel.delivered);
		EXPECT_EQ(0, st.kernel.capture_drops);
		EXPECT_EQ(0, st.kernel.recycle_refused);
		EXPECT_EQ(ROUNDS * PER, st.pkts_delivered);
		EXPECT_EQ(rd[i].chunks, st.chunks_delivered);
		EXPECT_EQ(st.chunks_delivered, st.chunks_released);
		EXPECT_EQ(st.chunks_released, st.chunks_recycled);
		EXPECT_EQ(st.chunks_captured, st.chunks_delivered);
		EXPECT_EQ(0, st.recycle_refused);
		EXPECT_EQ(0, st.capq_len);
		/* every chunk back: all FREE but those on the segments */
		EXPECT_EQ(R - SEGS, st.chunks_free);
	}
}

/* --- the rest: one fixture, a fresh NIC each --------------------------------- */

FIXTURE(lib) {
	char nic[16];
	struct wirecap *w;
};

FIXTURE_SETUP(lib)
{
	ASSERT_EQ(0, wct_nic_new(QUEUES, RING, self->nic));
}

FIXTURE_TEARDOWN(lib)
{
	wirecap_close(self->w);
	wct_nic_del(self->nic);
}

/*
 * Released while its capture thread sleeps (its CAPTURE parked for half a
 * second): the eventfd kick gets the chunk recycled at once.
 */
TEST_F(lib, recycle_prompt)
{
	uint64_t lat[20], worst = 0, sum = 0;
	struct wirecap_queue *q;
	struct wirecap_chunk c;
	unsigned int k;

	self->w = open_lib(self->nic, 1, 16, 500000, 0);
	ASSERT_NE(NULL, self->w);
	ASSERT_EQ(0, wirecap_start(self->w));
	q = wirecap_queue(self->w, 0);
	for (k = 0; k < 20; k++) {
		uint64_t before, t0;

		ASSERT_EQ(0, wct_inject(self->nic, 0, M, 64, k * M));
		ASSERT_EQ(1, wirecap_next_chunk(q, &c, 2000));
		ASSERT_EQ(M, wirecap_chunk_count(&c));
		usleep(20000);		/* the thread is asleep again */
		before = qstats(q).chunks_recycled;
		t0 = wct_now_us();
		wirecap_chunk_release(&c);
		while (qstats(q).chunks_recycled == before &&
		       wct_now_us() - t0 < 2000000)
			;
		lat[k] = wct_now_us() - t0;
		sum += lat[k];
		if (lat[k] > worst)
			worst = lat[k];
	}
	TH_LOG("release -> kernel took it back: mean %llu us, worst %llu us "
	       "(CAPTURE timeout 500000 us)", (unsigned long long)sum / 20,
	       (unsigned long long)worst);
	EXPECT_LT(worst, 100000);
}

TEST_F(lib, partial_in_time)
{
	struct wirecap_queue *q;
	struct wirecap_chunk c;
	struct wirecap_pkt p;
	uint64_t t0, dt;
	unsigned int i;

	self->w = open_lib(self->nic, 2, 16, 20000, 0);
	ASSERT_NE(NULL, self->w);
	ASSERT_EQ(0, wirecap_start(self->w));
	q = wirecap_queue(self->w, 1);
	ASSERT_EQ(0, wct_inject(self->nic, 1, 5, 64, 500));
	t0 = wct_now_us();
	ASSERT_EQ(1, wirecap_next_chunk(q, &c, 3000));
	dt = wct_now_us() - t0;
	TH_LOG("5 packets, timeout 20 ms: delivered after %llu us",
	       (unsigned long long)dt);
	EXPECT_LT(dt, 20000 + 300000);
	ASSERT_EQ(5, wirecap_chunk_count(&c));
	for (i = 0; i < 5; i++) {
		ASSERT_EQ(0, wirecap_chunk_pkt(&c, i, &p));
		EXPECT_EQ(500 + i, pkt_seq(&p));
		EXPECT_EQ(64, p.len);
		EXPECT_EQ(1, p.queue);
		EXPECT_NE(0, p.ts_ns);
	}
	wirecap_chunk_release(&c);
	EXPECT_LE(1, qstats(q).kernel.partial_views);
	/* the rest of that chunk comes as its own view */
	ASSERT_EQ(0, wct_inject(self->nic, 1, M - 5, 64, 505));
	ASSERT_EQ(1, wirecap_next_chunk(q, &c, 3000));
	ASSERT_EQ(M - 5, wirecap_chunk_count(&c));
	ASSERT_EQ(0, wirecap_chunk_pkt(&c, 0, &p));
	EXPECT_EQ(505, pkt_seq(&p));
	wirecap_chunk_release(&c);
}

/* A capture queue of 2: capture pauses, the pool holds the rest. */
TEST_F(lib, capq_full)
{
	struct wirecap_queue *q;
	struct wirecap_chunk c;
	struct wirecap_pkt p;
	struct wirecap_qstats st;
	uint64_t next = 0;
	unsigned int i;

	self->w = open_lib(self->nic, 1, 16, 5000, 2);
	ASSERT_NE(NULL, self->w);
	ASSERT_EQ(0, wirecap_start(self->w));
	q = wirecap_queue(self->w, 0);
	ASSERT_EQ(0, wct_inject(self->nic, 0, 10 * M, 64, 0));
	usleep(200000);
	st = qstats(q);
	EXPECT_EQ(2, st.capq_len);
	EXPECT_EQ(2, st.capq_size);
	EXPECT_LE(1, st.capq_full);
	EXPECT_EQ(2, st.chunks_captured);
	while (next < 10 * M) {
		ASSERT_EQ(1, wirecap_next_chunk(q, &c, 3000));
		for (i = 0; i < wirecap_chunk_count(&c); i++) {
			wirecap_chunk_pkt(&c, i, &p);
			ASSERT_EQ(next, pkt_seq(&p));
			next++;
		}
		wirecap_chunk_release(&c);
	}
	st = qstats(q);
	EXPECT_EQ(0, st.kernel.capture_drops);
	EXPECT_EQ(10, st.chunks_delivered);
	EXPECT_EQ(0, settle(self->w, 2000));
}

static void count_seq(void *user, const struct wirecap_pkt *p)
{
	uint64_t *s = user;	/* s[0]: next expected, s[1]: errors */

	if (pkt_seq(p) != s[0])
		s[1]++;
	s[0]++;
}

TEST_F(lib, dispatch)
{
	uint64_t s[2] = { 1000, 0 };
	struct wirecap_queue *q;
	int n, calls = 0;

	self->w = open_lib(self->nic, 2, 16, 5000, 0);
	ASSERT_NE(NULL, self->w);
	ASSERT_EQ(0, wirecap_start(self->w));
	q = wirecap_queue(self->w, 2);
	ASSERT_EQ(0, wct_inject(self->nic, 2, 100, 64, 1000));
	while (s[0] < 1100) {
		n = wirecap_dispatch(q, 7, count_seq, s, 3000);
		ASSERT_LT(0, n);
		ASSERT_GE(7, n);
		calls++;
	}
	EXPECT_EQ(0, s[1]);
	EXPECT_EQ(1100, s[0]);
	EXPECT_LE(15, calls);
	EXPECT_EQ(0, wirecap_dispatch(q, 0, count_seq, s, 0));
	EXPECT_EQ(0, settle(self->w, 2000));
	EXPECT_EQ(0, qstats(q).kernel.capture_drops);
}

TEST_F(lib, close_holding)
{
	long long pages0 = wct_pool_pages();
	struct wirecap_chunk held[3];
	unsigned int i;

	self->w = open_lib(self->nic, 2, 16, 5000, 0);
	ASSERT_NE(NULL, self->w);
	EXPECT_EQ(pages0 + QUEUES * 16 * M / 2, wct_pool_pages());
	ASSERT_EQ(0, wirecap_start(self->w));
	for (i = 0; i < QUEUES; i++)
		ASSERT_EQ(0, wct_inject(self->nic, i, 5 * M + 3, 64, 0));
	ASSERT_EQ(1, wirecap_next_chunk(wirecap_queue(self->w, 0), &held[0],
					3000));
	ASSERT_EQ(1, wirecap_next_chunk(wirecap_queue(self->w, 0), &held[1],
					3000));
	ASSERT_EQ(1, wirecap_next_chunk(wirecap_queue(self->w, 3), &held[2],
					3000));
	usleep(50000);		/* the rest sits in the capture queues */
	wirecap_close(self->w);	/* chunks held, queued, views out */
	self->w = NULL;
	EXPECT_EQ(pages0, wct_pool_pages());
	/* what the work queues held went back before DETACH; held ones not */
	for (i = 0; i < QUEUES; i++) {
		EXPECT_EQ(0, wct_sysfs(self->nic, i, "stats/recycle_refused"));
		EXPECT_EQ(i == 0 ? 3 : i == 3 ? 4 : 5,
			  wct_sysfs(self->nic, i, "stats/chunks_recycled"));
	}
	/* and the queues are free again */
	self->w = open_lib(self->nic, 1, 16, 5000, 0);
	ASSERT_NE(NULL, self->w);
	wirecap_close(self->w);
	self->w = NULL;
	EXPECT_EQ(pages0, wct_pool_pages());
}

TEST_F(lib, nic_removed)
{
	struct wirecap_queue *q;
	struct wirecap_chunk c;
	int ret, got = 0;

	self->w = open_lib(self->nic, 2, 16, 5000, 0);
	ASSERT_NE(NULL, self->w);
	ASSERT_EQ(0, wirecap_start(self->w));
	q = wirecap_queue(self->w, 0);
	ASSERT_EQ(0, wct_inject(self->nic, 0, 2 * M, 64, 0));
	usleep(50000);
	ASSERT_EQ(0, wct_nic_del(self->nic));
	/* what was captured before is still readable, then the error */
	while ((ret = wirecap_next_chunk(q, &c, 3000)) == 1) {
		got++;
		wirecap_chunk_release(&c);
	}
	EXPECT_EQ(2, got);
	EXPECT_EQ(-ENODEV, ret);
	ret = wirecap_next_chunk(wirecap_queue(self->w, 1), &c, 3000);
	EXPECT_EQ(-ENODEV, ret);
	EXPECT_EQ(QUEUES, wirecap_wait(self->w, 0));
	wirecap_close(self->w);
	self->w = NULL;
}

struct sleeper {
	struct wirecap_queue *q;
	int ret;
	int done;
};

static void *sleep_forever(void *arg)
{
	struct sleeper *s = arg;
	struct wirecap_chunk c;

	s->ret = wirecap_next_chunk(s->q, &c, -1);
	__atomic_store_n(&s->done, 1, __ATOMIC_RELEASE);
	return NULL;
}

TEST_F(lib, close_wakes_readers)
{
	struct sleeper s[2];
	pthread_t t[2];
	unsigned int i, ms;

	self->w = open_lib(self->nic, 1, 16, 5000, 0);
	ASSERT_NE(NULL, self->w);
	ASSERT_EQ(0, wirecap_start(self->w));
	for (i = 0; i < 2; i++) {
		s[i] = (struct sleeper){ .q = wirecap_queue(self->w, i) };
		ASSERT_EQ(0, pthread_create(&t[i], NULL, sleep_forever, &s[i]));
	}
	for (ms = 0; ms < 5000; ms++) {
		if (qstats(s[0].q).app_sleeps && qstats(s[1].q).app_sleeps)
			break;
		usleep(1000);
	}
	usleep(50000);		/* asleep in the futex by now */
	wirecap_close(self->w);
	self->w = NULL;
	/* 10 s: generous, they return at once */
	for (ms = 0; ms < 10000; ms++) {
		if (__atomic_load_n(&s[0].done, __ATOMIC_ACQUIRE) &&
		    __atomic_load_n(&s[1].done, __ATOMIC_ACQUIRE))
			break;
		usleep(1000);
	}
	for (i = 0; i < 2; i++) {
		ASSERT_EQ(1, __atomic_load_n(&s[i].done, __ATOMIC_ACQUIRE)) {
			TH_LOG("reader %u still asleep after wirecap_close()",
			       i);
		}
		EXPECT_EQ(-ESHUTDOWN, s[i].ret);
		pthread_join(t[i], NULL);
	}
}

/*
 * CAPTUREs parked for up to 1 s (the kernel's default cap): closing does
 * not wait for them. The bound is generous (a third of the timeout) for
 * a loaded TCG guest; the old close took the rest of the timeout.
 */
TEST_F(lib, close_cancels)
{
	uint64_t t0, dt;

	self->w = open_lib(self->nic, 2, 16, 1000000, 0);
	ASSERT_NE(NULL, self->w);
	ASSERT_EQ(0, wirecap_start(self->w));
	usleep(100000);		/* every queue's CAPTURE is parked */
	t0 = wct_now_us();
	wirecap_close(self->w);
	self->w = NULL;
	dt = wct_now_us() - t0;
	TH_LOG("wirecap_close() with CAPTUREs parked for 1 s: %llu us",
	       (unsigned long long)dt);
	EXPECT_LT(dt, 330000);
	/* and the queues are free again */
	self->w = open_lib(self->nic, 1, 16, 5000, 0);
	EXPECT_NE(NULL, self->w);
}

TEST_F(lib, two_sessions)
{
	unsigned int qa[2] = { 0, 1 }, qb[2] = { 3, 2 };
	WIRECAP_OPTS(o, .cells_per_chunk = M, .nr_chunks = 16,
		     .log = test_log);
	struct wirecap *b;
	struct wirecap_chunk c;
	struct wirecap_pkt p;
	unsigned int i;

	self->w = wirecap_open(self->nic, qa, 2, &o);
	ASSERT_NE(NULL, self->w);
	/* a queue already taken: EBUSY, nothing left half-open */
	b = wirecap_open(self->nic, (unsigned int[]){ 2, 1 }, 2, &o);
	ASSERT_EQ(NULL, b);
	EXPECT_EQ(EBUSY, errno);
	b = wirecap_open(self->nic, qb, 2, &o);
	ASSERT_NE(NULL, b);
	ASSERT_EQ(3, wirecap_queue_ring(wirecap_queue(b, 0)));
	ASSERT_EQ(0, wirecap_start(self->w));
	ASSERT_EQ(0, wirecap_start(b));
	for (i = 0; i < QUEUES; i++)
		ASSERT_EQ(0, wct_inject(self->nic, i, M, 64, 100 * i));
	for (i = 0; i < 2; i++) {
		ASSERT_EQ(1, wirecap_next_chunk(wirecap_queue(self->w, i), &c,
						3000));
		wirecap_chunk_pkt(&c, 0, &p);
		EXPECT_EQ(100 * qa[i], pkt_seq(&p));
		wirecap_chunk_release(&c);
		ASSERT_EQ(1, wirecap_next_chunk(wirecap_queue(b, i), &c, 3000));
		wirecap_chunk_pkt(&c, 0, &p);
		EXPECT_EQ(100 * qb[i], pkt_seq(&p));
		EXPECT_EQ(qb[i], p.queue);
		wirecap_chunk_release(&c);
	}
	wirecap_close(b);
}

TEST_F(lib, numa_node0)
{
	WIRECAP_OPTS(o, .cells_per_chunk = M, .nr_chunks = 16,
		     .numa_node = WIRECAP_NUMA(0), .log = test_log);
	struct wirecap_chunk c;

	self->w = wirecap_open(self->nic, NULL, 0, &o);
	ASSERT_NE(NULL, self->w);
	ASSERT_EQ(0, wirecap_start(self->w));
	ASSERT_EQ(0, wct_inject(self->nic, 3, M, 64, 0));
	ASSERT_EQ(1, wirecap_next_chunk(wirecap_queue(self->w, 3), &c, 3000));
	wirecap_chunk_release(&c);
}

TEST_F(lib, stats_since_open)
{
	struct wirecap_chunk c;
	struct wirecap_qstats st;

	self->w = open_lib(self->nic, 1, 16, 5000, 0);
	ASSERT_NE(NULL, self->w);
	ASSERT_EQ(0, wirecap_start(self->w));
	ASSERT_EQ(0, wct_inject(self->nic, 0, M, 64, 0));
	ASSERT_EQ(1, wirecap_next_chunk(wirecap_queue(self->w, 0), &c, 3000));
	wirecap_chunk_release(&c);
	EXPECT_EQ(M, qstats(wirecap_queue(self->w, 0)).kernel.received);
	wirecap_close(self->w);
	self->w = open_lib(self->nic, 1, 16, 5000, 0);
	ASSERT_NE(NULL, self->w);
	st = qstats(wirecap_queue(self->w, 0));
	EXPECT_EQ(0, st.kernel.received);
	EXPECT_EQ(0, st.kernel.delivered);
	EXPECT_EQ(16 - SEGS, st.chunks_free);
	EXPECT_EQ(M, wct_sysfs(self->nic, 0, "stats/received"));
}

TEST_HARNESS_MAIN
