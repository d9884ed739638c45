// SPDX-License-Identifier: GPL-2.0
/*
 * libwirecap's advanced mode against two software NICs: buddy-group
 * offloading across NICs, explicit buddy lists, basic mode for contrast.
 * Queue 0 of NIC A gets all the traffic and its reader does not read
 * until told; the other queues' readers read at once.
 *
 *   across_nics      default buddies (every other queue, both NICs): q0's
 *                    capture queue fills to T, the rest goes to buddies
 *                    on both NICs; every packet read exactly once, each
 *                    chunk back in its own pool, nothing refused
 *   buddy_list       q0 and NIC B's queue 1 set as each other's only
 *                    buddies: offloaded chunks are read there and nowhere
 *                    else; the two left (defaults) form another group
 *   basic            the same load in basic mode: nothing moves
 *   api_errors       add_nic / set_buddies argument and state errors
 *   buddy_nic_gone   NIC B goes away: A's queue 0, whose capture queue is
 *                    full, still gets its chunks as fast as its reader
 *                    makes room, not one batch per CAPTURE timeout (room
 *                    in B's failed queues counted, so no stall was
 *                    announced and nobody woke the capture thread)
 *   detach_holding   wirecap_queue_detach() of queue 0 while a buddy's
 *                    reader holds one of its chunks: the chunk stays
 *                    readable, the rest of queue 0's chunks come home, its
 *                    reads answer -ESHUTDOWN, and its device is free once
 *                    the last chunk is released
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "wctest.h"
#include "wirecap.h"

#define RING	64
#define M	16
#define R	16
#define PKTS	200		/* 12.5 chunks into A's queue 0 */
#define NQ	4		/* 2 per NIC */

static void test_log(void *ctx, int level, const char *msg)
{
	if (level <= WIRECAP_LOG_WARNING)
		fprintf(stderr, "# libwirecap: %s\n", msg);
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

struct shared {
	uint32_t seen[PKTS];		/* times each seq was read */
	uint32_t total;			/* packets read, all readers */
	uint32_t go0;			/* queue 0's reader may start */
	uint32_t stop;
	const char *nic_a;
};

struct reader {
	struct shared *s;
	struct wirecap_queue *q;
	pthread_t tid;
	uint32_t pkts, foreign;		/* foreign: not A's queue 0's */
	uint32_t wrong_owner;
};

static void *reader(void *arg)
{
	struct reader *rd = arg;
	struct shared *s = rd->s;
	struct wirecap_chunk c;
	struct wirecap_pkt p;

	if (wirecap_queue_index(rd->q) == 0)
		while (!__atomic_load_n(&s->go0, __ATOMIC_ACQUIRE))
			usleep(1000);
	while (!__atomic_load_n(&s->stop, __ATOMIC_ACQUIRE)) {
		unsigned int i;

		if (wirecap_next_chunk(rd->q, &c, 20) != 1)
			continue;
		/* every chunk is A's queue 0's, wherever it is read */
		if (strcmp(wirecap_queue_ifname(c.owner), s->nic_a) ||
		    wirecap_queue_ring(c.owner) != 0)
			rd->wrong_owner++;
		for (i = 0; i < wirecap_chunk_count(&c); i++) {
			uint64_t seq;

			wirecap_chunk_pkt(&c, i, &p);
			seq = pkt_seq(&p);
			if (seq < PKTS && p.queue == 0)
				__atomic_fetch_add(&s->seen[seq], 1,
						   __ATOMIC_RELAXED);
			else
				rd->foreign++;
			rd->pkts++;
		}
		wirecap_chunk_release(&c);
		__atomic_fetch_add(&s->total, i, __ATOMIC_RELEASE);
	}
	return NULL;
}

FIXTURE(off) {
	char a[16], b[16];
	struct wirecap *w;
	struct shared s;
	struct reader rd[NQ];
};

FIXTURE_SETUP(off)
{
	ASSERT_EQ(0, wct_nic_new(2, RING, self->a));
	ASSERT_EQ(0, wct_nic_new(2, RING, self->b));
	self->s.nic_a = self->a;
}

FIXTURE_TEARDOWN(off)
{
	wirecap_close(self->w);
	wct_nic_del(self->a);
	wct_nic_del(self->b);
}

static struct wirecap *open2(const char *a, const char *b, unsigned int mode)
{
	WIRECAP_OPTS(o, .cells_per_chunk = M, .nr_chunks = R,
		     .capture_threads = 2, .timeout_us = 5000, .mode = mode,
		     .offload_pct = 50, .log = test_log);
	struct wirecap *w = wirecap_open(a, NULL, 0, &o);

	if (w && wirecap_add_nic(w, b, NULL, 0)) {
		wirecap_close(w);
		return NULL;
	}
	return w;
}

/*
 * Start readers, inject into A's queue 0, wait until the others are idle
 * (what could be offloaded was), let queue 0's reader go, wait for all.
 * Returns the packets read.
 */
static uint32_t run(struct __test_metadata *_metadata,
		    FIXTURE_DATA(off) *self)
{
	unsigned int i, idle = 0, last = ~0u;

	for (i = 0; i < NQ; i++) {
		self->rd[i] = (struct reader){ .s = &self->s,
					       .q = wirecap_queue(self->w, i) };
		pthread_create(&self->rd[i].tid, NULL, reader, &self->rd[i]);
	}
	EXPECT_EQ(0, wct_inject(self->a, 0, PKTS, 64, 0));
	/* 300 ms without progress: queue 0's capture queue is at T or more */
	while (idle < 300) {
		unsigned int t = __atomic_load_n(&self->s.total,
						 __ATOMIC_ACQUIRE);

		idle = t == last ? idle + 10 : 0;
		last = t;
		usleep(10000);
	}
	__atomic_store_n(&self->s.go0, 1, __ATOMIC_RELEASE);
	for (i = 0; i < 500 && __atomic_load_n(&self->s.total,
					       __ATOMIC_ACQUIRE) < PKTS; i++)
		usleep(10000);
	usleep(50000);		/* releases reach the kernel */
	__atomic_store_n(&self->s.stop, 1, __ATOMIC_RELEASE);
	for (i = 0; i < NQ; i++)
		pthread_join(self->rd[i].tid, NULL);
	return self->s.total;
}

/* Everything read once, owners right, every chunk back home. */
static void check_all(struct __test_metadata *_metadata,
		      FIXTURE_DATA(off) *self)
{
	struct wirecap_qstats st = qstats(wirecap_queue(self->w, 0));
	unsigned int i, once = 0;

	for (i = 0; i < PKTS; i++)
		once += self->s.seen[i] == 1;
	EXPECT_EQ(PKTS, once);
	EXPECT_EQ(PKTS, self->s.total);
	for (i = 0; i < NQ; i++) {
		EXPECT_EQ(0, self->rd[i].foreign);
		EXPECT_EQ(0, self->rd[i].wrong_owner);
	}
	EXPECT_EQ(PKTS, st.kernel.received);
	EXPECT_EQ(0, st.kernel.capture_drops);
	EXPECT_EQ(0, st.recycle_refused);
	/* every view moved out of the kernel came back to this pool */
	EXPECT_EQ(st.chunks_captured, st.chunks_recycled);
	EXPECT_EQ(0, st.recq_len);
	EXPECT_EQ(R - RING / M, st.chunks_free);
}

TEST_F(off, across_nics)
{
	uint64_t in = 0, in_b = 0;
	unsigned int i;

	self->w = open2(self->a, self->b, WIRECAP_MODE_ADVANCED);
	ASSERT_NE(NULL, self->w);
	ASSERT_EQ(NQ, wirecap_queue_count(self->w));
	EXPECT_STREQ(self->b, wirecap_queue_ifname(wirecap_queue(self->w, 3)));
	ASSERT_EQ(0, wirecap_start(self->w));
	for (i = 0; i < NQ; i++)
		EXPECT_EQ(0, wirecap_queue_group(wirecap_queue(self->w, i)));
	run(_metadata, self);
	check_all(_metadata, self);
	for (i = 1; i < NQ; i++) {
		struct wirecap_qstats st = qstats(wirecap_queue(self->w, i));

		in += st.chunks_offloaded_in;
		if (i >= 2)
			in_b += st.chunks_offloaded_in;
		EXPECT_EQ(st.pkts_offloaded_in, st.pkts_delivered);
	}
	/* all but what T keeps home went to buddies, NIC B's among them */
	EXPECT_EQ(qstats(wirecap_queue(self->w, 0)).chunks_offloaded_out, in);
	EXPECT_LE(3, in);
	EXPECT_LT(0, in_b);
	TH_LOG("offloaded %llu chunks, %llu of them to the other NIC",
	       (unsigned long long)in, (unsigned long long)in_b);
}

TEST_F(off, buddy_list)
{
	const unsigned int only3 = 3, only0 = 0;
	unsigned int i;

	self->w = open2(self->a, self->b, WIRECAP_MODE_ADVANCED);
	ASSERT_NE(NULL, self->w);
	ASSERT_EQ(0, wirecap_set_buddies(self->w, 0, &only3, 1));
	ASSERT_EQ(0, wirecap_set_buddies(self->w, 3, &only0, 1));
	ASSERT_EQ(0, wirecap_start(self->w));
	run(_metadata, self);
	check_all(_metadata, self);
	EXPECT_LT(0, self->rd[3].pkts);
	for (i = 1; i < 3; i++)
		EXPECT_EQ(0, self->rd[i].pkts);
	EXPECT_LT(0, qstats(wirecap_queue(self->w, 3)).chunks_offloaded_in);
	/* 0 and 3 are one group; 1 and 2 (defaults: each other) another */
	EXPECT_EQ(0, wirecap_queue_group(wirecap_queue(self->w, 3)));
	EXPECT_EQ(1, wirecap_queue_group(wirecap_queue(self->w, 2)));
}

TEST_F(off, basic)
{
	unsigned int i;

	self->w = open2(self->a, self->b, WIRECAP_MODE_BASIC);
	ASSERT_NE(NULL, self->w);
	ASSERT_EQ(0, wirecap_start(self->w));
	run(_metadata, self);
	check_all(_metadata, self);
	EXPECT_EQ(PKTS, self->rd[0].pkts);
	for (i = 0; i < NQ; i++) {
		struct wirecap_qstats st = qstats(wirecap_queue(self->w, i));

		EXPECT_EQ(0, st.chunks_offloaded_in + st.chunks_offloaded_out);
		EXPECT_EQ(i, wirecap_queue_group(wirecap_queue(self->w, i)));
	}
}

TEST_F(off, api_errors)
{
	const unsigned int self0 = 0, twice[2] = { 1, 1 }, far = 9, one = 1;
	WIRECAP_OPTS(bad, .mode = 7);

	EXPECT_EQ(NULL, wirecap_open(self->a, NULL, 0, &bad));
	EXPECT_EQ(EINVAL, errno);
	self->w = open2(self->a, self->b, WIRECAP_MODE_ADVANCED);
	ASSERT_NE(NULL, self->w);
	EXPECT_EQ(-EEXIST, wirecap_add_nic(self->w, self->a, NULL, 0));
	EXPECT_EQ(-EEXIST, wirecap_add_nic(self->w, self->b, NULL, 0));
	/* named queues of a NIC already there: open ones are busy */
	EXPECT_EQ(-EBUSY, wirecap_add_nic(self->w, self->a, &one, 1));
	EXPECT_EQ(-ENOENT, wirecap_add_nic(self->w, "nonic0", NULL, 0));
	EXPECT_EQ(NQ, wirecap_queue_count(self->w));
	EXPECT_EQ(-EINVAL, wirecap_set_buddies(self->w, 0, &self0, 1));
	EXPECT_EQ(-EINVAL, wirecap_set_buddies(self->w, 0, twice, 2));
	EXPECT_EQ(-EINVAL, wirecap_set_buddies(self->w, 0, &far, 1));
	EXPECT_EQ(-EINVAL, wirecap_set_buddies(self->w, NQ, &one, 1));
	EXPECT_EQ(0, wirecap_set_buddies(self->w, 0, NULL, 0));
	ASSERT_EQ(0, wirecap_start(self->w));
	EXPECT_EQ(-EALREADY, wirecap_set_buddies(self->w, 1, &one, 0));
	EXPECT_EQ(-EALREADY, wirecap_add_nic(self->w, "other0", NULL, 0));
	/* queue 0 never offloads: its own group */
	EXPECT_EQ(0, wirecap_queue_group(wirecap_queue(self->w, 0)));
	EXPECT_EQ(1, wirecap_queue_group(wirecap_queue(self->w, 3)));
}

TEST_F(off, buddy_nic_gone)
{
	WIRECAP_OPTS(o, .cells_per_chunk = M, .nr_chunks = R,
		     .capture_threads = 2, .timeout_us = 500000,
		     .capq_size = 2, .mode = WIRECAP_MODE_ADVANCED,
		     .offload_pct = 50, .log = test_log);
	const unsigned int on_b[2] = { 2, 3 };
	struct wirecap_queue *q;
	struct wirecap_chunk c;
	uint64_t t0, timeouts0, timeouts, next = 0;
	unsigned int got = 0, i;

	self->w = wirecap_open(self->a, NULL, 0, &o);
	ASSERT_NE(NULL, self->w);
	ASSERT_EQ(0, wirecap_add_nic(self->w, self->b, NULL, 0));
	/* queue 0's buddies: NIC B's queues only */
	ASSERT_EQ(0, wirecap_set_buddies(self->w, 0, on_b, 2));
	ASSERT_EQ(0, wirecap_start(self->w));
	q = wirecap_queue(self->w, 0);
	ASSERT_EQ(0, wct_nic_del(self->b));	/* queues 2 and 3 fail */
	usleep(100000);
	/* 8 chunks for queue 0, whose capture queue holds 2 */
	ASSERT_EQ(0, wct_inject(self->a, 0, 8 * M, 64, 0));
	usleep(200000);
	timeouts0 = qstats(q).kernel.capture_timeouts;
	t0 = wct_now_us();
	while (got < 8 * M) {
		struct wirecap_pkt p;
		int ret = wirecap_next_chunk(q, &c, 5000);

		ASSERT_EQ(1, ret);
		for (i = 0; i < wirecap_chunk_count(&c); i++) {
			wirecap_chunk_pkt(&c, i, &p);
			EXPECT_EQ(next, pkt_seq(&p));
			next++;
		}
		got += wirecap_chunk_count(&c);
		wirecap_chunk_release(&c);
	}
	timeouts = qstats(q).kernel.capture_timeouts - timeouts0;
	TH_LOG("8 chunks through a capture queue of 2 after NIC B went away: "
	       "%llu us, %llu CAPTURE timeouts (500 ms each)",
	       (unsigned long long)(wct_now_us() - t0),
	       (unsigned long long)timeouts);
	/* one may be running out when we start; one per batch was the bug */
	EXPECT_GE(1, timeouts);
}

TEST_F(off, detach_holding)
{
	struct wirecap_queue *q0, *qi;
	struct wirecap_chunk held = { 0 }, c;
	struct wirecap_pkt p;
	char path[64];
	unsigned int i, ms, back;
	uint64_t seq;
	int fd = -1, ret;

	self->w = open2(self->a, self->b, WIRECAP_MODE_ADVANCED);
	ASSERT_NE(NULL, self->w);
	ASSERT_EQ(0, wirecap_start(self->w));
	q0 = wirecap_queue(self->w, 0);
	/* nobody reads queue 0: past T its chunks go to the buddies */
	ASSERT_EQ(0, wct_inject(self->a, 0, PKTS, 64, 0));
	usleep(300000);
	ASSERT_LT(0, qstats(q0).chunks_offloaded_out);
	/* a buddy's reader holds one chunk of queue 0 */
	for (i = 1; i < NQ && !held.owner; i++) {
		qi = wirecap_queue(self->w, i);
		while (wirecap_next_chunk(qi, &c, 0) == 1) {
			if (c.owner == q0 && !held.owner) {
				held = c;
				break;
			}
			wirecap_chunk_release(&c);
		}
	}
	ASSERT_NE(NULL, held.owner);
	ASSERT_EQ(0, wirecap_chunk_pkt(&held, 0, &p));
	seq = pkt_seq(&p);
	ASSERT_EQ(0, wirecap_queue_detach(q0));
	EXPECT_EQ(0, wirecap_queue_detach(q0));		/* again: nothing */
	EXPECT_EQ(-ESHUTDOWN, wirecap_next_chunk(q0, &c, 100));
	EXPECT_EQ(-ESHUTDOWN, wirecap_queue_stats(q0, &(struct wirecap_qstats){
			.sz = sizeof(struct wirecap_qstats) }));
	/* its pool is still mapped: the held chunk reads as it did */
	ASSERT_EQ(0, wirecap_chunk_pkt(&held, 0, &p));
	EXPECT_EQ(seq, pkt_seq(&p));
	/* and its device still open, for that chunk */
	snprintf(path, sizeof(path), WIRECAP_DEV_DIR "/%s-q0", self->a);
	fd = open(path, O_RDWR);
	EXPECT_EQ(-1, fd);
	EXPECT_EQ(EBUSY, errno);
	if (fd >= 0)
		close(fd);
	/* the rest of queue 0's chunks, read through the buddies, go home */
	for (i = 1; i < NQ; i++) {
		qi = wirecap_queue(self->w, i);
		while ((ret = wirecap_next_chunk(qi, &c, 0)) == 1)
			wirecap_chunk_release(&c);
		EXPECT_EQ(0, ret);
	}
	wirecap_chunk_release(&held);
	/* free once its capture thread closed it (3 s: generous) */
	for (ms = 0, back = 0; ms < 3000 && !back; ms += 10) {
		fd = open(path, O_RDWR);
		back = fd >= 0;
		if (!back)
			usleep(10000);
	}
	EXPECT_EQ(1, back) {
		TH_LOG("%s still busy: %s", path, strerror(errno));
	}
	if (fd >= 0)
		close(fd);
	/* the others go on: more for queue 1 is read there */
	ASSERT_EQ(0, wct_inject(self->a, 1, M, 64, 7000));
	qi = wirecap_queue(self->w, 1);
	ASSERT_EQ(1, wirecap_next_chunk(qi, &c, 3000));
	ASSERT_EQ(0, wirecap_chunk_pkt(&c, 0, &p));
	EXPECT_EQ(7000, pkt_seq(&p));
	wirecap_chunk_release(&c);
}

TEST_HARNESS_MAIN
