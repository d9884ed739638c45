// SPDX-License-Identifier: GPL-2.0
/*
 * libwirecap's transmit (wirecap_xmit, wirecap_out_*) against the software
 * NIC, whose "wire" (debugfs) holds what XMIT gave it until read here.
 *
 *   out_of_both_nics     chunks of A go out of A itself (o NULL) and out
 *                        of a second NIC B (wirecap_out_open): each wire
 *                        carries exactly the frames sent there, in order,
 *                        cut where asked; the chunks are consumed: their
 *                        release, and a copy's, sends no RECYCLE (the
 *                        kernel's recycle_refused stays 0), and every
 *                        chunk comes back to the pool
 *   past_views_max       ten times as many chunks as the recycle lanes
 *                        hold go out by XMIT, and capture never stalls:
 *                        the capture thread counts XMIT'd views back
 *   mixed                XMIT and release interleaved, with chunks cut by
 *                        XMIT (some packets sent, the rest not): the pool
 *                        is whole afterwards, nothing refused
 *   out_open             exclusive open (a captured queue, twice), a queue
 *                        that does not exist, the NIC's queue count
 *   out_send             the copy path: a frame goes through the stack's
 *                        transmit path (a packet tap sees it, the software
 *                        NIC counts it as its TX drop); a NIC that is down
 *                        says so; works beside a running capture of it
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "wctest.h"
#include "wirecap.h"

#define M	16
#define R	16
#define RING_A	64
#define SEGS	(RING_A / M)
#define RING_B	256		/* B's wire holds this many */
#define CAPQ	8		/* views_max: 8 + R, a power of two up: 32 */
#define LEN	100
#define MAXF	2048

static void test_log(void *ctx, int level, const char *msg)
{
	if (level <= WIRECAP_LOG_WARNING)
		fprintf(stderr, "# libwirecap: %s\n", msg);
}

static struct wirecap_qstats qstats(struct wirecap_queue *q)
{
	struct wirecap_qstats st = { .sz = sizeof(st) };

	wirecap_queue_stats(q, &st);
	return st;
}

/* What a wire carried. */
struct wire {
	unsigned int n;
	uint32_t len[MAXF];
	uint64_t seq[MAXF];
	uint8_t first[MAXF][LEN];	/* the first LEN bytes */
};

static void wire_add(void *ctx, const uint8_t *frame, uint32_t len)
{
	struct wire *w = ctx;

	if (w->n == MAXF)
		return;
	w->len[w->n] = len;
	w->seq[w->n] = len >= WIRECAP_SOFTNIC_SEQ_OFF + 8 ?
		       wct_frame_seq(frame) : 0;
	memcpy(w->first[w->n], frame, len < LEN ? len : LEN);
	w->n++;
}

static int wire(const char *nic, struct wire *w)
{
	memset(w, 0, sizeof(*w));
	return wct_wire_read(nic, wire_add, w);
}

/* NIC A: 2 queues (captured); NIC B: 2 queues, the output. */
FIXTURE(xm) {
	char a[16], b[16];
	struct wirecap *w;
	struct wirecap_queue *q;	/* A's queue 0 */
};

FIXTURE_SETUP(xm)
{
	WIRECAP_OPTS(o, .cells_per_chunk = M, .nr_chunks = R,
		     .capture_threads = 1, .timeout_us = 1000000,
		     .capq_size = CAPQ, .log = test_log);

	ASSERT_EQ(0, wct_nic_new(2, RING_A, self->a));
	ASSERT_EQ(0, wct_nic_new(2, RING_B, self->b));
	self->w = wirecap_open(self->a, NULL, 0, &o);
	ASSERT_NE(NULL, self->w);
	ASSERT_EQ(0, wirecap_start(self->w));
	self->q = wirecap_queue(self->w, 0);
	ASSERT_TRUE(wirecap_queue_info(self->q)->features & WIRECAP_F_XMIT);
}

FIXTURE_TEARDOWN(xm)
{
	static struct wire w;

	/* nothing left on the wires for DETACH to wait for */
	wire(self->a, &w);
	wire(self->b, &w);
	wirecap_close(self->w);
	wct_nic_del(self->a);
	wct_nic_del(self->b);
}

/* n full chunks of q, packets seq, seq + 1, ...: 0, or -1. */
static int take(struct wirecap *w, struct wirecap_queue *q, const char *nic,
		uint64_t seq, struct wirecap_chunk *c, unsigned int n)
{
	unsigned int i;

	if (wct_inject(nic, (int)wirecap_queue_ring(q), n * M, LEN, seq))
		return -1;
	for (i = 0; i < n; i++)
		if (wirecap_next_chunk(q, &c[i], 5000) != 1 ||
		    wirecap_chunk_count(&c[i]) != M)
			return -1;
	return 0;
}

/* Every packet of c, len bytes each, into pk[]: the count. */
static unsigned int all(struct wirecap_chunk *c, struct wirecap_xmit_pkt *pk,
			uint32_t len)
{
	unsigned int i, n = wirecap_chunk_count(c);

	for (i = 0; i < n; i++)
		pk[i] = (struct wirecap_xmit_pkt){ .chunk = c, .index = i,
						   .len = len };
	return n;
}

/*
 * Wait (up to 3 s) until the capture thread has counted every view back
 * and the kernel has every chunk back: chunks_free = R - segments.
 */
static int pool_whole(struct wirecap_queue *q, uint64_t xmitted)
{
	unsigned int ms;

	for (ms = 0; ms < 3000; ms++) {
		struct wirecap_qstats st = qstats(q);

		if (st.chunks_xmitted == xmitted && !st.recq_len &&
		    st.chunks_recycled == st.chunks_released &&
		    st.chunks_free == R - SEGS)
			return 0;
		usleep(1000);
	}
	return -ETIMEDOUT;
}

TEST_F(xm, out_of_both_nics)
{
	static struct wire wa, wb;
	struct wirecap_xmit_pkt pk[2 * M];
	struct wirecap_chunk c[2], copy;
	struct wirecap_qstats st;
	struct wirecap_out *o;
	unsigned int i, n;

	o = wirecap_out_open(self->b, 0);
	ASSERT_NE(NULL, o) {
		TH_LOG("wirecap_out_open(%s, 0): %s", self->b,
		       strerror(errno));
	}
	ASSERT_EQ(0, take(self->w, self->q, self->a, 1000, c, 2));
	copy = c[1];
	/* c[0]: all of it out of A itself */
	n = all(&c[0], pk, LEN);
	EXPECT_EQ(M, wirecap_xmit(NULL, pk, n));
	EXPECT_EQ(NULL, c[0].owner);
	/* c[1]: its odd packets, cut to 60 bytes, out of B */
	for (i = n = 0; i < M; i += 2)
		pk[n++] = (struct wirecap_xmit_pkt){
			.chunk = &c[1], .index = i + 1, .len = 60 };
	EXPECT_EQ(M / 2, wirecap_xmit(o, pk, n));

	/* consumed: releasing it, or a copy, sends nothing */
	wirecap_chunk_release(&c[0]);
	wirecap_chunk_release(&c[1]);
	wirecap_chunk_release(&copy);
	st = qstats(self->q);
	EXPECT_EQ(M + M / 2, st.kernel_xmit_sent);
	EXPECT_EQ(0, st.kernel_xmit_refused);
	EXPECT_EQ(0, st.kernel_xmit_dropped);
	EXPECT_EQ(1, st.dup_releases);
	EXPECT_EQ(0, st.chunks_released);

	ASSERT_EQ(M, wire(self->a, &wa));
	for (i = 0; i < M; i++) {
		EXPECT_EQ(LEN, wa.len[i]);
		EXPECT_EQ(1000 + i, wa.seq[i]);
	}
	ASSERT_EQ(M / 2, wire(self->b, &wb));
	for (i = 0; i < M / 2; i++) {
		EXPECT_EQ(60, wb.len[i]);
		EXPECT_EQ(1000 + M + 2 * i + 1, wb.seq[i]);
	}
	/* sent, counted back, and every chunk in the pool again */
	EXPECT_EQ(0, pool_whole(self->q, 2));
	st = qstats(self->q);
	EXPECT_EQ(M + M / 2, st.kernel_xmit_completed);
	EXPECT_EQ(0, st.kernel.recycle_refused);
	EXPECT_EQ(0, st.recycle_refused);
	EXPECT_EQ(2, st.chunks_xmitted);
	wirecap_out_close(o);
}

TEST_F_TIMEOUT(xm, past_views_max, 300)
{
	static struct wire wb;
	struct wirecap_xmit_pkt pk[4 * M];
	struct wirecap_chunk c[4];
	struct wirecap_out *o;
	unsigned int round, i, n, rounds, bad = 0;
	uint64_t seq = 0, t0 = wct_now_us();
	struct wirecap_qstats st;

	o = wirecap_out_open(self->b, 0);
	ASSERT_NE(NULL, o);
	/* 10 x views_max (32) chunks, 4 at a time: 80 rounds */
	rounds = 10 * 32 / 4;
	for (round = 0; round < rounds; round++) {
		ASSERT_EQ(0, take(self->w, self->q, self->a, seq, c, 4)) {
			TH_LOG("round %u: no chunks (capture stalled?)",
			       round);
		}
		for (i = n = 0; i < 4; i++)
			n += all(&c[i], pk + n, LEN);
		ASSERT_EQ(4 * M, wirecap_xmit(o, pk, n));
		ASSERT_EQ(4 * M, wire(self->b, &wb));
		for (i = 0; i < 4 * M; i++)
			bad += wb.seq[i] != seq + i;
		seq += 4 * M;
	}
	TH_LOG("%u chunks out by XMIT in %.1f s", 4 * rounds,
	       (wct_now_us() - t0) / 1e6);
	EXPECT_EQ(0, bad);
	EXPECT_EQ(0, pool_whole(self->q, 4 * rounds));
	st = qstats(self->q);
	EXPECT_EQ(4 * rounds, st.chunks_xmitted);
	EXPECT_EQ(4 * rounds, st.chunks_captured);
	EXPECT_EQ(seq, st.kernel_xmit_completed);
	EXPECT_EQ(0, st.kernel.capture_drops);
	EXPECT_EQ(0, st.kernel.recycle_refused);
	EXPECT_EQ(0, st.kernel_xmit_refused);
	wirecap_out_close(o);
}

TEST_F(xm, mixed)
{
	static struct wire wa;
	struct wirecap_xmit_pkt pk[M];
	struct wirecap_chunk c[6];
	unsigned int i, sent = 0, xm = 0;
	struct wirecap_qstats st;

	for (i = 0; i < 6; i++)
		ASSERT_EQ(0, take(self->w, self->q, self->a, 100 * i, &c[i],
				  1));
	for (i = 0; i < 6; i++) {
		if (i % 3 == 2) {
			wirecap_chunk_release(&c[i]);
			continue;
		}
		/* the first i + 1 packets only: the rest go back unsent */
		pk[0] = (struct wirecap_xmit_pkt){ .chunk = &c[i], .len = LEN };
		for (unsigned int k = 1; k <= i; k++)
			pk[k] = (struct wirecap_xmit_pkt){
				.chunk = &c[i], .index = k, .len = LEN };
		EXPECT_EQ((int)i + 1, wirecap_xmit(NULL, pk, i + 1));
		sent += i + 1;
		xm++;
	}
	ASSERT_EQ((int)sent, wire(self->a, &wa));
	EXPECT_EQ(0, pool_whole(self->q, xm));
	st = qstats(self->q);
	EXPECT_EQ(2, st.chunks_released);
	EXPECT_EQ(2, st.chunks_recycled);
	EXPECT_EQ(xm, st.chunks_xmitted);
	EXPECT_EQ(0, st.kernel.recycle_refused);
	EXPECT_EQ(0, st.kernel_xmit_refused);
}

TEST_F(xm, out_open)
{
	struct wirecap_out *o, *o2;
	const struct wirecap_info *info;

	/* A's queues are the session's: exclusive */
	errno = 0;
	EXPECT_EQ(NULL, wirecap_out_open(self->a, 0));
	EXPECT_EQ(EBUSY, errno);
	errno = 0;
	EXPECT_EQ(NULL, wirecap_out_open(self->b, 7));
	EXPECT_EQ(ENOENT, errno);
	o = wirecap_out_open(self->b, 1);
	ASSERT_NE(NULL, o);
	info = wirecap_out_info(o);
	ASSERT_NE(NULL, info);
	EXPECT_EQ(2, info->nr_rings);
	EXPECT_EQ(1, info->ring_id);
	EXPECT_TRUE(info->features & WIRECAP_F_XMIT);
	/* for transmitting only: no pool */
	EXPECT_EQ(0, info->nr_chunks);
	EXPECT_EQ(0, wct_sysfs(self->b, 1, "attached"));
	errno = 0;
	o2 = wirecap_out_open(self->b, 1);
	EXPECT_EQ(NULL, o2);
	EXPECT_EQ(EBUSY, errno);
	wirecap_out_close(o);
	o2 = wirecap_out_open(self->b, 1);
	EXPECT_NE(NULL, o2);
	wirecap_out_close(o2);
}

TEST_F(xm, out_send)
{
	uint8_t frame[80], got[256];
	struct wirecap_out *o;
	long long drops;
	int tap, n, i;

	for (i = 0; i < (int)sizeof(frame); i++)
		frame[i] = (uint8_t)(i * 7);
	memcpy(frame, "\xff\xff\xff\xff\xff\xff\x02\0\0\0\0\x01\x88\xb5", 14);
	/* out of A, whose queues the session captures: copies only */
	o = wirecap_out_open(self->a, WIRECAP_OUT_COPY);
	ASSERT_NE(NULL, o);
	EXPECT_EQ(NULL, wirecap_out_info(o));
	ASSERT_EQ(0, wct_link_up(self->a, false));
	EXPECT_EQ(-ENETDOWN, wirecap_out_send(o, frame, sizeof(frame)));
	ASSERT_EQ(0, wct_link_up(self->a, true));
	tap = wct_tap_open(self->a);
	ASSERT_LE(0, tap);
	drops = wct_netdev_stat(self->a, "tx_dropped");
	EXPECT_EQ((int)sizeof(frame), wirecap_out_send(o, frame,
						       sizeof(frame)));
	n = wct_tap_next_out(tap, 0x88b5, got, sizeof(got), 2000);
	EXPECT_EQ((int)sizeof(frame), n);
	EXPECT_EQ(0, memcmp(got, frame, sizeof(frame)));
	/* the software NIC's stack transmit: no wire, a TX drop */
	EXPECT_EQ(drops + 1, wct_netdev_stat(self->a, "tx_dropped"));
	close(tap);
	wirecap_out_close(o);
}

TEST_HARNESS_MAIN
