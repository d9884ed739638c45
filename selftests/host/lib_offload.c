// SPDX-License-Identifier: BSD-2-Clause
/*
 * Host tests of buddy-group offloading (lib/offload.c, the lanes of
 * lib/lanes.h, the capture thread's move into capture queues), with the
 * fake session of lib_fake.h playing the kernel:
 *
 *   pick      where a chunk goes, against T and the buddies' lengths
 *   plan      default and explicit buddy lists, groups, which lanes exist
 *   stalled   a capture thread waiting for room in a buddy's lane is
 *             woken by that buddy's reader
 *   spare     a chunk above T goes only to a buddy whose readers had
 *             time besides their own queue's in the last window (spare
 *             capacity: idle, or reading other queues' chunks), else
 *             stays home (counted); idle is from finding nothing to the
 *             next chunk, asleep in the library or polling
 *   failed    a failed buddy is no room: pick and room agree, so a queue
 *             whose only room is in a failed buddy announces its stall
 *             (and is woken by its reader) instead of re-arming CAPTUREs
 *             that can move nothing until their timeout
 *   agree     pick finds a capture queue exactly when room says there is
 *             room, over thousands of random states
 *   detach    a queue detached from a running group: what waits in its
 *             capture queue goes back to its owners, buddies offload to
 *             it no more, its reads answer -ESHUTDOWN, the session's
 *             wait ignores it
 *   lanes     recycle lanes are sized to what can be out of a pool at
 *             once (capture queue plus R), not to its R x M cells; the
 *             capture thread never lets more views out than that, and a
 *             release lets it go on
 *   stress    4 queues in 2 groups, 2 capture threads, 4 reader threads,
 *             a skewed load: every chunk comes back to its owner exactly
 *             once with the stamp it was given, readers see their group's
 *             chunks only, offloaded out = offloaded in, and offloading
 *             happened (the slow readers start once their queue has
 *             offloaded). Built with ASan+UBSan and TSan.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "tap.h"
#include "lib_fake.h"

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000ull + ts.tv_nsec / 1000000;
}

static uint32_t xs(uint32_t *x);

static int tap_diag_false(const char *what)
{
	tap_diag("%s", what);
	return 0;
}

static unsigned int len(struct wirecap_queue *q)
{
	return wc_lanes_count(&q->capq);
}

/* Fill q's capture queue (lane 0) to n entries. */
static void fill(struct wirecap_queue *q, unsigned int n)
{
	static uint32_t seq;

	while (len(q) < n)
		push(q, 0, 0, 1, seq++);
}

static int t_pick(void)
{
	static const int b0[] = { 1, 2, -1 }, b1[] = { 0, 2, -1 },
			 b2[] = { 0, 1, -1 };
	const int *const bl[] = { b0, b1, b2 };
	struct fake f;

	/* T = 50%: R = 16, so up to 8 chunks stay home */
	fake_init_full(&f, 3, 1, WIRECAP_MODE_ADVANCED, 50, 32, bl);
	CHECK(wc_offload_pick(&f.q[0]) == &f.q[0]);
	fill(&f.q[0], 8);
	CHECK(wc_offload_pick(&f.q[0]) == &f.q[0]);	/* 8 <= 50% of 16 */
	fill(&f.q[0], 9);
	fill(&f.q[1], 3);
	fill(&f.q[2], 1);
	CHECK(wc_offload_pick(&f.q[0]) == &f.q[2]);	/* least busy */
	fill(&f.q[2], 5);
	CHECK(wc_offload_pick(&f.q[0]) == &f.q[1]);
	fill(&f.q[1], 12);
	fill(&f.q[2], 12);
	CHECK(wc_offload_pick(&f.q[0]) == &f.q[0]);	/* buddies busier */
	fill(&f.q[0], 32);				/* own lane full */
	CHECK(wc_offload_pick(&f.q[0]) == &f.q[1]);	/* rather than wait */
	fill(&f.q[1], 32);
	CHECK(wc_offload_pick(&f.q[0]) == &f.q[2]);	/* one with room */
	fill(&f.q[2], 32);
	CHECK(wc_offload_pick(&f.q[0]) == NULL);	/* stalled */
	CHECK(wc_offload_room(&f.q[0]) == 0);
	fake_fini(&f);

	/* a failed buddy is never chosen */
	fake_init_full(&f, 3, 1, WIRECAP_MODE_ADVANCED, 50, 32, bl);
	fill(&f.q[0], 20);
	__atomic_store_n(&f.q[2].err, -ENODEV, __ATOMIC_RELAXED);
	fill(&f.q[1], 10);
	CHECK(wc_offload_pick(&f.q[0]) == &f.q[1]);
	fake_fini(&f);

	/* basic mode: always home, however long */
	fake_init_full(&f, 3, 1, WIRECAP_MODE_BASIC, 50, 32, NULL);
	fill(&f.q[0], 31);
	CHECK(wc_offload_pick(&f.q[0]) == &f.q[0]);
	CHECK(wc_offload_room(&f.q[0]) == 1);
	fill(&f.q[0], 32);
	CHECK(wc_offload_pick(&f.q[0]) == NULL);
	fake_fini(&f);
	return 1;
}

static int t_plan(void)
{
	static const int none[] = { -1 }, b1[] = { 3, -1 }, b3[] = { 1, -1 };
	const int *const bl[] = { NULL, b1, NULL, b3, none };
	struct fake f;

	/* defaults: every other queue; groups by lowest index */
	fake_init_full(&f, 4, 2, WIRECAP_MODE_ADVANCED, 0, 0, NULL);
	CHECK(f.q[0].nbuddies == 3 && f.q[3].nbuddies == 3);
	CHECK(f.q[0].group == 0 && f.q[3].group == 0);
	CHECK(wc_offload_may(&f.q[2], &f.q[1]));
	CHECK(f.q[0].capq.size == 2 * FAKE_R);		/* default: 2R */
	CHECK(f.q[0].recq.size >= f.q[0].capq.size + FAKE_R);	/* views out */
	/* every capture thread may write every capture queue */
	CHECK(wc_lane_used(&f.q[0].capq, 0) && wc_lane_used(&f.q[0].capq, 1));
	CHECK(wc_lane_used(&f.q[0].recq, 3));
	fake_fini(&f);

	/* {1,3} set explicitly, 4 never offloads, 0 and 2 default */
	fake_init_full(&f, 5, 2, WIRECAP_MODE_ADVANCED, 0, 0, bl);
	CHECK(f.q[0].nbuddies == 1 && f.q[0].buddies[0] == 2);
	CHECK(f.q[2].nbuddies == 1 && f.q[2].buddies[0] == 0);
	CHECK(f.q[4].nbuddies == 0);
	CHECK(f.q[0].group == 0 && f.q[2].group == 0);
	CHECK(f.q[1].group == 1 && f.q[3].group == 1);
	CHECK(f.q[4].group == 4);
	CHECK(!wc_offload_may(&f.q[0], &f.q[1]));
	CHECK(!wc_offload_may(&f.q[1], &f.q[2]));
	CHECK(wc_offload_may(&f.q[1], &f.q[3]));
	/* no lane across groups: q1's recycle queue takes from 1 and 3 */
	CHECK(wc_lane_used(&f.q[1].recq, 1) && wc_lane_used(&f.q[1].recq, 3));
	CHECK(!wc_lane_used(&f.q[1].recq, 0) && !wc_lane_used(&f.q[1].recq, 2));
	CHECK(!wc_lane_used(&f.q[4].recq, 0));
	/* q4 (thread 0) gets lanes only from its own thread */
	CHECK(wc_lane_used(&f.q[4].capq, 0) && !wc_lane_used(&f.q[4].capq, 1));
	fake_fini(&f);

	/* basic mode: no buddies, no extra lanes, one group each */
	fake_init_full(&f, 3, 3, WIRECAP_MODE_BASIC, 0, 0, NULL);
	CHECK(f.q[1].group == 1 && !wc_offload_may(&f.q[0], &f.q[1]));
	CHECK(wc_lane_used(&f.q[1].capq, 1) && !wc_lane_used(&f.q[1].capq, 0));
	CHECK(wc_lane_used(&f.q[1].recq, 1) && !wc_lane_used(&f.q[1].recq, 0));
	fake_fini(&f);
	return 1;
}

static uint64_t efd_read(struct wc_thread *t)
{
	uint64_t v = 0;

	if (read(t->kick.efd, &v, sizeof(v)) != sizeof(v))
		return 0;
	return v;
}

/*
 * Queue 0 (thread 0) may offload to queue 1 (thread 1). Both full: the
 * descriptors stay in the kernel's ring; a reader of queue 1 making room
 * wakes thread 0, and the next move puts the chunk there.
 */
static int t_stalled(void)
{
	struct fake f;
	struct wirecap_chunk c;
	struct wirecap_desc d;
	uint32_t i;

	fake_init_full(&f, 2, 2, WIRECAP_MODE_ADVANCED, 50, 4, NULL);
	for (i = 0; i < 4; i++) {
		d = fake_desc(&f.q[0], i, 0, 1, i);
		CHECK(fake_publish(&f, &f.q[0], &d));
		wc_capture_move(&f.q[0]);
	}
	CHECK(len(&f.q[0]) == 4 && len(&f.q[1]) == 0);	/* home: room */
	for (i = 4; i < 8; i++) {
		d = fake_desc(&f.q[0], i, 0, 1, i);
		CHECK(fake_publish(&f, &f.q[0], &d));
		wc_capture_move(&f.q[0]);
	}
	CHECK(len(&f.q[1]) == 4);			/* offloaded */
	CHECK(f.q[0].ts.offl_out == 4 && f.q[0].ts.offl_out_pkts == 4);
	d = fake_desc(&f.q[0], 8, 0, 1, 8);
	CHECK(fake_publish(&f, &f.q[0], &d));
	wc_capture_move(&f.q[0]);
	CHECK(f.q[0].head == 8);			/* nowhere to go */
	/* what capture_prep does: announce the stall on both lanes */
	__atomic_store_n(&f.q[0].capq.lane[0].stalled, 1, __ATOMIC_RELAXED);
	__atomic_store_n(&f.q[1].capq.lane[0].stalled, 1, __ATOMIC_RELAXED);
	wc_kick_prepare(&f.t[0].kick);
	CHECK(wirecap_next_chunk(&f.q[1], &c, 0) == 1);
	CHECK(c.owner == &f.q[0] && c.queue == &f.q[1]);
	CHECK(efd_read(&f.t[0]) == 1);			/* thread 0 woken */
	CHECK(efd_read(&f.t[1]) == 0);
	CHECK(f.q[1].as.offl_in == 1);
	/* released into q0's recycle queue, in q1's lane */
	wirecap_chunk_release(&c);
	CHECK(wc_ring_count(&f.q[0].recq.lane[1].r) == 1);
	CHECK(pop_recycled(&f.q[0], &d) && d.chunk_id == 4);
	wc_capture_move(&f.q[0]);
	CHECK(f.q[0].head == 9 && len(&f.q[1]) == 4);
	fake_fini(&f);
	return 1;
}

/*
 * Queue 0's own lane and queue 2's are full, queue 1 has room but failed
 * (its NIC went away): nowhere to put a chunk, and room must say so, or
 * the capture thread never announces the stall and re-arms a CAPTURE
 * whose descriptors cannot move until it times out.
 */
static int t_failed(void)
{
	static const int b0[] = { 1, 2, -1 }, b1[] = { 0, 2, -1 },
			 b2[] = { 0, 1, -1 };
	const int *const bl[] = { b0, b1, b2 };
	struct wirecap_queue *pick;
	struct fake f;
	uint32_t room;

	fake_init_full(&f, 3, 1, WIRECAP_MODE_ADVANCED, 50, 8, bl);
	fill(&f.q[0], 8);
	fill(&f.q[2], 8);
	__atomic_store_n(&f.q[1].err, -ENODEV, __ATOMIC_RELAXED);
	pick = wc_offload_pick(&f.q[0]);
	room = wc_offload_room(&f.q[0]);
	fake_fini(&f);
	CHECK(pick == NULL);
	CHECK(room == 0);
	return 1;
}

/* Time for the measurements below: a window of it, as round numbers. */
#define W	WC_SPARE_WINDOW_NS
#define T0	(1000 * W)

/*
 * q's reader idle from a look that finds nothing (timeout: how long that
 * look waits) to a chunk ms later; its idle total must grow by at least
 * the time between the coarse clock's readings after the look and
 * before the chunk (the spell's own readings lie outside them).
 */
static int idle_for(struct wirecap_queue *q, int timeout, unsigned int ms)
{
	static uint32_t seq = 1000;
	struct wirecap_chunk c;
	uint64_t before = q->idle_ns, c1, c2;

	if (wirecap_next_chunk(q, &c, timeout) != 0 || !q->idle_since)
		return tap_diag_false("no idle spell after an empty look");
	c1 = wc_coarse_ns();
	usleep(ms * 1000);
	c2 = wc_coarse_ns();
	push(q, 0, 0, 1, seq++);
	if (wirecap_next_chunk(q, &c, 0) != 1)
		return tap_diag_false("no chunk");
	wirecap_chunk_release(&c);
	if (q->idle_since)
		return tap_diag_false("the spell did not end");
	if (q->idle_ns - before < c2 - c1) {
		tap_diag("idle %llu ns, at least %llu",
			 (unsigned long long)(q->idle_ns - before),
			 (unsigned long long)(c2 - c1));
		return 0;
	}
	return 1;
}

/*
 * Spare capacity: a chunk above T goes only to a buddy whose readers
 * were idle in the last window, even if a busier-by-length buddy is the
 * one that idled; with none, it stays home (counted), and with no room
 * at home there is no room at all (pick and room agree). Idle is from a
 * look that found nothing to the next chunk taken, whether the reader
 * slept in the library or polled with a zero timeout. The measurements
 * take their time as an argument: no clock in the checks.
 */
static int t_spare(void)
{
	static const int b0[] = { 1, 2, -1 }, b1[] = { 0, 2, -1 },
			 b2[] = { 0, 1, -1 };
	const int *const bl[] = { b0, b1, b2 };
	struct fake f;

	fake_init_full(&f, 3, 1, WIRECAP_MODE_ADVANCED, 50, 32, bl);
	CHECK(f.q[0].spare && f.q[0].nspare == 2);
	CHECK(f.q[0].buddies[0] == 1 && f.q[0].buddies[1] == 2);
	fill(&f.q[0], 9);
	fill(&f.q[1], 3);
	fill(&f.q[2], 1);
	/* never measured: the paper's rule alone, the least busy */
	wc_offload_measure_at(&f.q[0], T0);
	CHECK(wc_offload_pick(&f.q[0]) == &f.q[2]);
	CHECK(!wc_offload_gated(&f.q[0]));
	/* within the window: no new figure */
	f.q[1].idle_ns = W;
	wc_offload_measure_at(&f.q[0], T0 + W / 2);
	CHECK(f.q[0].spare[0].permille == 1000 &&
	      f.q[0].spare[1].permille == 1000);
	/* two windows on: queue 1's readers idle half of them, 2's never */
	wc_offload_measure_at(&f.q[0], T0 + 2 * W);
	CHECK(f.q[0].spare[0].permille == 500);
	CHECK(f.q[0].spare[1].permille == 0);
	CHECK(wc_offload_pick(&f.q[0]) == &f.q[1]);
	CHECK(f.q[0].ts.offl_no_spare == 0);
	/* then queue 1 neither: home, counted */
	wc_offload_measure_at(&f.q[0], T0 + 3 * W);
	CHECK(f.q[0].spare[0].permille == 0);
	CHECK(wc_offload_pick(&f.q[0]) == &f.q[0]);
	CHECK(f.q[0].ts.offl_no_spare == 1);
	/* buddies with room wait for spare time: look again in a window */
	CHECK(wc_offload_gated(&f.q[0]));
	CHECK(wc_offload_room(&f.q[0]) == 32 - 9);
	/* home full: nowhere, room says so, and that is not "kept" */
	fill(&f.q[0], 32);
	CHECK(wc_offload_pick(&f.q[0]) == NULL);
	CHECK(wc_offload_room(&f.q[0]) == 0);
	CHECK(f.q[0].ts.offl_no_spare == 1);
	/* a reader of queue 2 idle since half a window ago, and still */
	f.q[2].idle_since = T0 + 3 * W + W / 2;
	CHECK(wc_offload_room(&f.q[0]) == 0);	/* not measured yet */
	wc_offload_measure_at(&f.q[0], T0 + 4 * W);
	CHECK(f.q[0].spare[1].permille == 500);
	CHECK(wc_offload_pick(&f.q[0]) == &f.q[2]);
	CHECK(wc_offload_room(&f.q[0]) == 32 - 1);
	/*
	 * After a long spell without a look (the capture thread slept, its
	 * queue stalled): the figure over all of it. Queue 2's spell ended
	 * (its half window into the total), then 4 more of the 16 windows.
	 */
	f.q[2].idle_since = 0;
	f.q[2].idle_ns += W / 2 + 4 * W;
	wc_offload_measure_at(&f.q[0], T0 + 20 * W);
	CHECK(f.q[0].spare[1].permille == 250);
	CHECK(f.q[0].spare[1].t == T0 + 20 * W);
	/*
	 * A buddy busy with offloaded chunks: queue 1's readers never
	 * idle, but half the packets they read were other queues' (ours):
	 * that half of their time is spare for us, as is the idle time
	 * beside it (queue 2: idle a fifth, a quarter of the rest others')
	 */
	f.q[1].as.pkts += 1000;
	f.q[1].as.offl_in_pkts += 500;
	f.q[2].idle_ns += W / 5;
	f.q[2].as.pkts += 400;
	f.q[2].as.offl_in_pkts += 100;
	wc_offload_measure_at(&f.q[0], T0 + 21 * W);
	CHECK(f.q[0].spare[0].permille == 500);
	CHECK(f.q[0].spare[1].permille == 200 + 200);
	/* and their own packets alone: busy, no spare */
	f.q[1].as.pkts += 1000;
	wc_offload_measure_at(&f.q[0], T0 + 22 * W);
	CHECK(f.q[0].spare[0].permille == 0);
	/*
	 * Others' packets are no spare time for a buddy that offloaded in
	 * the window, or is over T itself: its own queue needs more than
	 * its readers give it (two busy queues would keep each other's
	 * gates open). Idle time still is.
	 */
	f.q[1].as.pkts += 1000;
	f.q[1].as.offl_in_pkts += 500;
	f.q[1].ts.offl_out++;
	wc_offload_measure_at(&f.q[0], T0 + 23 * W);
	CHECK(f.q[0].spare[0].permille == 0);
	f.q[1].as.pkts += 1000;
	f.q[1].as.offl_in_pkts += 500;
	wc_offload_measure_at(&f.q[0], T0 + 24 * W);
	CHECK(f.q[0].spare[0].permille == 500);
	fill(&f.q[1], 9);			/* over T = 8 */
	f.q[1].as.pkts += 1000;
	f.q[1].as.offl_in_pkts += 500;
	f.q[1].idle_ns += W / 10;
	wc_offload_measure_at(&f.q[0], T0 + 25 * W);
	CHECK(f.q[0].spare[0].permille == 100);
	/*
	 * A buddy without spare time whose lane is full: q waits for it
	 * too (its lane is not marked stalled, its reader wakes nobody)
	 */
	fill(&f.q[1], 32);
	f.q[1].as.pkts += 1000;
	f.q[2].idle_ns += W;
	wc_offload_measure_at(&f.q[0], T0 + 26 * W);
	CHECK(f.q[0].spare[0].permille == 0 &&
	      f.q[0].spare[1].permille == 1000);
	CHECK(wc_offload_gated(&f.q[0]));
	fake_fini(&f);

	/* idle time: sleeping in the library, or polling */
	fake_init_full(&f, 2, 1, WIRECAP_MODE_ADVANCED, 50, 8, NULL);
	CHECK(idle_for(&f.q[1], 30, 30));	/* 30 ms asleep, 30 more */
	CHECK(idle_for(&f.q[1], 0, 60));	/* a poller */
	fake_fini(&f);
	return 1;
}

/* wc_offload_pick() == NULL exactly when wc_offload_room() == 0. */
static int t_agree(void)
{
	static const int b0[] = { 1, 2, 3, -1 }, b1[] = { 0, 2, -1 },
			 b2[] = { 3, -1 }, b3[] = { -1 };
	const int *const bl[] = { b0, b1, b2, b3 };
	uint32_t x = 42, round, i, j;
	int mode;

	for (mode = 0; mode < 2; mode++)
		for (round = 0; round < 2000; round++) {
			struct fake f;
			struct wirecap_queue *b;
			uint32_t room;

			fake_init_full(&f, 4, 2, mode ? WIRECAP_MODE_ADVANCED :
				       WIRECAP_MODE_BASIC, 1 + round % 100, 4,
				       mode ? bl : NULL);
			for (i = 0; i < 4; i++) {
				/* queues 0, 2 on thread 0: fill that lane */
				struct wirecap_queue *q = &f.q[i];

				if (q->thread->index == 0)
					fill(q, xs(&x) % 5);
				if (xs(&x) % 4 == 0)
					q->err = -ENODEV;
				/* buddies with and without spare time */
				for (j = 0; q->spare && j < q->nbuddies; j++) {
					q->spare[j].t = wc_coarse_ns();
					q->spare[j].permille = xs(&x) % 3 ?
						1000 : 0;
				}
			}
			for (i = 0; i < 4; i += 2) {
				b = wc_offload_pick(&f.q[i]);
				room = wc_offload_room(&f.q[i]);
				if (!b != !room) {
					tap_diag("mode %d round %u queue %u: "
						 "pick %d, room %u", mode,
						 round, i, b ? (int)b->index :
						 -1, room);
					fake_fini(&f);
					return 0;
				}
				CHECK(!b || !b->err || b == &f.q[i]);
			}
			fake_fini(&f);
		}
	return 1;
}

/* Capture thread of `from` puts a chunk of `owner` into b's capture queue. */
static int push_to(struct wirecap_queue *b, struct wirecap_queue *owner,
		   uint32_t chunk, uint32_t seq)
{
	struct wc_ring *r = &b->capq.lane[owner->thread->index].r;
	uint32_t idx;

	if (!r->slots || !wc_ring_reserve(r, 1, &idx))
		return 0;
	*(struct wirecap_desc *)wc_ring_slot(r, idx) =
		fake_desc(owner, chunk, 0, 1, seq);
	wc_ring_submit(r, 1);
	wc_add(&owner->ts.captured, 1);
	return 1;
}

static int t_detach(void)
{
	struct wirecap_chunk c;
	struct wirecap_desc d;
	struct fake f;
	int own = 0, from1 = 0, ret, picks0 = 0, i, waited, again;
	uint32_t room_before, room_after;

	/* not running threads: detach does all of it in the caller */
	fake_init_full(&f, 3, 2, WIRECAP_MODE_ADVANCED, 10, 8, NULL);
	CHECK(push(&f.q[0], 1, 0, 1, 1));		/* q0's own */
	CHECK(push_to(&f.q[0], &f.q[1], 2, 2));		/* offloaded by q1 */
	room_before = wc_offload_room(&f.q[1]);
	ret = wirecap_queue_detach(&f.q[0]);
	room_after = wc_offload_room(&f.q[1]);
	while (pop_recycled(&f.q[0], &d))
		own++;
	while (pop_recycled(&f.q[1], &d))
		from1 += d.chunk_id == 2 && d.seq == 2;
	fill(&f.q[1], 5);				/* over T */
	fill(&f.q[2], 4);		/* busier than the empty q0 */
	for (i = 0; i < 100; i++)
		picks0 += wc_offload_pick(&f.q[1]) == &f.q[0];
	waited = wirecap_wait(&f.w, 0);
	again = wirecap_queue_detach(&f.q[0]);
	tap_diag("detach %d: own back %d, q1's back %d, room of q1 %u -> %u, "
		 "picks of q0 %d, wait %d", ret, own, from1, room_before,
		 room_after, picks0, waited);
	CHECK(ret == 0 && again == 0);
	CHECK(own == 1 && from1 == 1);
	CHECK(room_after < room_before);
	CHECK(picks0 == 0);
	CHECK(wirecap_next_chunk(&f.q[0], &c, -1) == -ESHUTDOWN);
	CHECK(waited == 2);	/* q1's and q2's chunks: q0 is not news */
	CHECK(wirecap_queue_detach(NULL) == -EINVAL);
	fake_fini(&f);
	return 1;
}

/*
 * Queue 0 (capture queue of 4) lends nothing: its reader holds every view
 * it reads. Views out stop at the recycle lane's size, whatever room the
 * capture queue has; one release lets one more out.
 */
static int t_lanes(void)
{
	struct wirecap_chunk held[64];
	unsigned int nheld = 0, i;
	struct wirecap_desc d;
	uint32_t lane, seq = 0;
	struct fake f;
	int ok = 1;

	fake_init_full(&f, 8, 2, WIRECAP_MODE_ADVANCED, 0, 4, NULL);
	lane = f.q[0].recq.size;
	tap_diag("R %u, M %u, capture queue %u: recycle lanes of %u, %u of "
		 "them", FAKE_R, FAKE_M, f.q[0].capq.size, lane,
		 f.q[0].recq.nlanes);
	ok &= lane < FAKE_R * FAKE_M;
	ok &= lane >= f.q[0].capq.size + FAKE_R;
	/* the kernel publishes views of one cell each (partial views) */
	for (i = 0; ok && i < 3 * lane / 2 && nheld < 64; i++) {
		d = fake_desc(&f.q[0], (seq / FAKE_M) % FAKE_R, seq % FAKE_M, 1,
			      seq);
		if (fake_publish(&f, &f.q[0], &d))
			seq++;
		wc_capture_move(&f.q[0]);
		while (nheld < 64 &&
		       wirecap_next_chunk(&f.q[0], &held[nheld], 0) == 1)
			nheld++;
	}
	tap_diag("views out and held: %u (published %u)", nheld, seq);
	ok &= nheld == lane;
	/* one back: one more out */
	if (ok) {
		wirecap_chunk_release(&held[0]);
		ok &= pop_recycled(&f.q[0], &d);
		wc_capture_move(&f.q[0]);
		ok &= wirecap_next_chunk(&f.q[0], &held[0], 0) == 1;
		ok &= wirecap_next_chunk(&f.q[0], &held[1], 0) == 0 ||
		      !tap_diag_false("a second one came out");
	}
	fake_fini(&f);
	return ok;
}

/* --- stress ------------------------------------------------------------- */

#define SQ		4
#define ST		2
#define SCHUNKS		60000	/* per fast queue; slow ones a quarter */

struct kq {			/* the "kernel" of one queue */
	uint32_t free[FAKE_R];	/* stack of free chunk ids */
	uint32_t nfree;
	uint32_t stamp[FAKE_R];	/* seq given at handover; 0: free */
	uint32_t seq;		/* last stamp */
	uint32_t made;		/* chunks handed over */
	uint32_t back;		/* chunks recycled */
	uint32_t bad;
};

struct stress {
	struct fake f;
	struct kq k[SQ];
	uint32_t want[SQ];
	uint32_t done;		/* readers stop */
	uint64_t seen_owner[SQ][SQ];	/* [reader][owner] chunks */
	uint32_t reader_bad[SQ];
	uint64_t pkts[SQ];
	/*
	 * Frames of two cells (MORE, CONT): each view indexed by the capture
	 * thread, read by a reader that may be a buddy's, on another thread.
	 */
	bool multi;
};

struct sarg {
	struct stress *s;
	unsigned int i;
};

static uint32_t xs(uint32_t *x)
{
	*x ^= *x << 13;
	*x ^= *x >> 17;
	*x ^= *x << 5;
	return *x;
}

/* Capture thread k: queues k, k + ST, ... */
/* Cells of chunk id of queue i as frames of two cells (the last: one). */
static void two_cell_frames(struct fake *f, unsigned int i, uint32_t id,
			    uint16_t n)
{
	struct wirecap_cell_meta *m = &f->meta[i][id * FAKE_M];
	unsigned int c;

	for (c = 0; c < n; c++) {
		m[c].flags = c % 2 ? WIRECAP_CELL_CONT :
			c + 1 < n ? WIRECAP_CELL_MORE : 0;
		m[c].hash = c % 2;
		m[c].len = c % 2 ? 0 : c + 1 < n ? 3000 : 100;
	}
}

static void *s_capture(void *arg)
{
	struct sarg *a = arg;
	struct stress *s = a->s;
	uint32_t x = 12345 + a->i;
	bool left = true;

	while (left) {
		unsigned int i;

		left = false;
		for (i = a->i; i < SQ; i += ST) {
			struct wirecap_queue *q = &s->f.q[i];
			struct kq *k = &s->k[i];
			struct wirecap_desc d;

			if (k->made < s->want[i] && k->nfree) {
				uint32_t id = k->free[--k->nfree];
				uint16_t n = 1 + xs(&x) % FAKE_M;

				if (s->multi)
					two_cell_frames(&s->f, i, id, n);
				d = fake_desc(q, id, 0, n, ++k->seq);
				if (fake_publish(&s->f, q, &d)) {
					k->stamp[id] = k->seq;
					__atomic_store_n(&k->made, k->made + 1,
							 __ATOMIC_RELAXED);
				} else {
					k->nfree++;
				}
			}
			/* as capq_room does, once a round: the real figures */
			wc_offload_measure(q);
			wc_capture_move(q);
			while (pop_recycled(q, &d)) {
				if (d.ring_id != q->info.ring_id ||
				    d.chunk_id >= FAKE_R ||
				    k->stamp[d.chunk_id] != d.seq) {
					k->bad++;
					continue;
				}
				k->stamp[d.chunk_id] = 0;
				k->free[k->nfree++] = d.chunk_id;
				k->back++;
			}
			if (k->back < s->want[i])
				left = true;
		}
		sched_yield();
	}
	return NULL;
}

/* Reader of queue i: the slow ones (0 and 2) spin per packet. */
static void *s_reader(void *arg)
{
	struct sarg *a = arg;
	struct stress *s = a->s;
	struct wirecap_queue *q = &s->f.q[a->i];
	unsigned int group = q->group;
	struct wirecap_chunk c;
	struct wirecap_pkt p;
	uint64_t end = now_ms() + 60000;

	/*
	 * The slow readers start late: until their queue went over T and
	 * offloaded, so offloading happens however the threads are
	 * scheduled. 60 s at most: under TSan on a loaded 2-CPU machine
	 * (a VM beside it) 5 s was not always enough for the capture
	 * threads to fill a queue past T, and the test then failed for
	 * want of an offload, not for a wrong one. Or until the buddy's
	 * chunks were all made: a buddy's reader kept busy by its own queue
	 * has no spare time (offload.c), and with six threads on two CPUs
	 * it may be, until its queue runs dry.
	 */
	if (!(a->i & 1)) {
		while (!wc_read(&q->ts.offl_out) && now_ms() < end &&
		       __atomic_load_n(&s->k[a->i ^ 1].made,
				       __ATOMIC_RELAXED) < s->want[a->i ^ 1])
			usleep(1000);
		if (!wc_read(&q->ts.offl_out))
			tap_diag("q%u: no offload yet, reading anyway",
				 a->i);
	}
	for (;;) {
		int ret = wirecap_next_chunk(q, &c, 1);
		unsigned int o, j;

		if (ret != 1) {
			if (__atomic_load_n(&s->done, __ATOMIC_ACQUIRE))
				break;
			continue;
		}
		o = c.owner->index;
		s->seen_owner[a->i][o]++;
		if (c.owner->group != group || c.queue != q)
			s->reader_bad[a->i]++;
		if (wirecap_chunk_count(&c) !=
		    (s->multi ? (c.desc.pkt_count + 1u) / 2 : c.desc.pkt_count))
			s->reader_bad[a->i]++;
		for (j = 0; j < wirecap_chunk_count(&c); j++) {
			size_t cell = (size_t)c.desc.chunk_id * FAKE_M +
				      (s->multi ? 2 * j : j);

			if (wirecap_chunk_pkt(&c, j, &p) ||
			    p.data[0] != (uint8_t)cell || p.data[1] != o ||
			    p.queue != 10 + o)
				s->reader_bad[a->i]++;
			s->pkts[a->i]++;
			if (!(a->i & 1))
				for (volatile int spin = 0; spin < 300; spin++)
					;
		}
		wirecap_chunk_release(&c);
	}
	return NULL;
}

static int stress(bool multi)
{
	static const int b0[] = { 1, -1 }, b1[] = { 0, -1 }, b2[] = { 3, -1 },
			 b3[] = { 2, -1 };
	const int *const bl[] = { b0, b1, b2, b3 };
	/* 2 KiB cells, a spill area of 4 KiB after each chunk */
	static const struct fake_geom multi_geom = {
		.cell_size = FAKE_CELL, .spill_size = 4096,
		.chunk_bytes = FAKE_M * FAKE_CELL + 4096, .max_frame = 3000,
		.features = WIRECAP_F_MULTI_CELL,
	};
	struct stress *s = fake_zalloc(sizeof(*s));
	pthread_t ct[ST], rt[SQ];
	struct sarg ca[ST], ra[SQ];
	uint64_t out = 0, in = 0, pout = 0, pin = 0;
	unsigned int i, j;

	s->multi = multi;
	fake_init_geom(&s->f, SQ, ST, WIRECAP_MODE_ADVANCED, 50, 0, bl,
		       multi ? &multi_geom : NULL);
	CHECK(!multi || (s->f.q[0].view_cell && s->f.q[0].view_pkts));
	for (i = 0; i < SQ; i++) {
		for (j = 0; j < FAKE_R; j++)
			s->k[i].free[j] = j;
		s->k[i].nfree = FAKE_R;
		/* queues 0 and 2: 4x the chunks, read slowly */
		s->want[i] = i & 1 ? SCHUNKS / 4 : SCHUNKS;
	}
	for (i = 0; i < SQ; i++) {
		ra[i] = (struct sarg){ s, i };
		pthread_create(&rt[i], NULL, s_reader, &ra[i]);
	}
	for (i = 0; i < ST; i++) {
		ca[i] = (struct sarg){ s, i };
		pthread_create(&ct[i], NULL, s_capture, &ca[i]);
	}
	for (i = 0; i < ST; i++)
		pthread_join(ct[i], NULL);
	__atomic_store_n(&s->done, 1, __ATOMIC_RELEASE);
	for (i = 0; i < SQ; i++)
		pthread_join(rt[i], NULL);

	for (i = 0; i < SQ; i++) {
		struct wirecap_queue *q = &s->f.q[i];

		tap_diag("q%u: made %u back %u, out %llu in %llu, read from "
			 "owners %llu %llu %llu %llu", i, s->k[i].made,
			 s->k[i].back, (unsigned long long)q->ts.offl_out,
			 (unsigned long long)q->as.offl_in,
			 (unsigned long long)s->seen_owner[i][0],
			 (unsigned long long)s->seen_owner[i][1],
			 (unsigned long long)s->seen_owner[i][2],
			 (unsigned long long)s->seen_owner[i][3]);
		CHECK(!s->k[i].bad && !s->reader_bad[i]);
		CHECK(s->k[i].made == s->want[i] && s->k[i].back == s->want[i]);
		CHECK(s->k[i].nfree == FAKE_R);
		out += q->ts.offl_out;
		in += q->as.offl_in;
		pout += q->ts.offl_out_pkts;
		pin += q->as.offl_in_pkts;
		CHECK(q->as.released == q->as.delivered);
	}
	CHECK(out == in && pout == pin);
	/* the slow, busy queues offloaded; never across groups */
	CHECK(s->f.q[0].ts.offl_out > 0 && s->f.q[2].ts.offl_out > 0);
	CHECK(!s->seen_owner[0][2] && !s->seen_owner[0][3]);
	CHECK(!s->seen_owner[1][2] && !s->seen_owner[1][3]);
	CHECK(!s->seen_owner[2][0] && !s->seen_owner[2][1]);
	CHECK(!s->seen_owner[3][0] && !s->seen_owner[3][1]);
	for (i = 0; i < SQ; i++)
		CHECK(s->seen_owner[i][i] + s->f.q[i].as.offl_in ==
		      s->f.q[i].as.delivered);
	fake_fini(&s->f);
	free(s);
	return 1;
}

static int t_stress(void)
{
	return stress(false);
}

static int t_stress_multi(void)
{
	return stress(true);
}

int main(void)
{
	tap_plan(10);
	tap_run("pick: T, least busy buddy, room, basic mode", t_pick);
	tap_run("plan: buddy lists, groups, lanes", t_plan);
	tap_run("stalled lane: the buddy's reader wakes the capture thread",
		t_stalled);
	tap_run("a failed buddy is no room", t_failed);
	tap_run("spare capacity: only to a buddy not busy with its own",
		t_spare);
	tap_run("pick finds a queue exactly when room says so", t_agree);
	tap_run("recycle lanes: sized to what can be out, never overrun",
		t_lanes);
	tap_run("a queue detached from its group", t_detach);
	tap_run("stress: 2 groups, 2 capture threads, 4 readers: every "
		"chunk home once, never across groups", t_stress);
	tap_run("stress with frames of two cells: every view indexed by its "
		"capture thread reads right on any reader", t_stress_multi);
	return tap_exit();
}
