// SPDX-License-Identifier: BSD-2-Clause
/*
 * Host tests of flow mode (lib/flow.c, WIRECAP_MODE_FLOW), with the fake
 * session of lib_fake.h playing the kernel:
 *
 *   hash      the software flow hash: the same for every packet of a
 *             flow (payload, TTL, VLAN tag or not), different flows
 *             apart; IPv6; later fragments by their addresses
 *   share     a view whose flows two readers own goes to both; each reads
 *             its own packets, in the view's order; the view goes back
 *             once, when the second lets go; a release twice is counted
 *             and sends nothing
 *   barrier   an overloaded owner gives its lighter buckets (up to half
 *             its packets, never the one too heavy) to the idle member;
 *             what the new owner gets of them is held back until the old
 *             one released the last view that held one of their packets,
 *             then goes, in order
 *   detach    the owner detached while a view is held back for a new
 *             owner: it counts as back, nothing goes to the new owner
 *   failed    the old owner fails mid-migration: the barrier still waits
 *             for its reader to release what it holds
 *   room      a member owning no bucket of q's, its capture queue full,
 *             does not stop q's capture
 *   to left   the new owner leaves mid-barrier: the moved flows go back
 *             to the old owner (a buddy), not to the queue
 *   unread    a buddy detaches with its share of q's view unread: q's
 *             stats count it lost (flow_lost)
 *   stress    2 queues in a group, 1 capture thread, 2 reader threads,
 *             one reader slow, 40 flows with a skew: every packet read
 *             once, every flow's packets in order and never by two
 *             threads at once, each view back once; flows split between
 *             threads only by migrations, which happened. Built with
 *             ASan+UBSan and TSan.
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

static unsigned int len(struct wirecap_queue *q)
{
	return wc_lanes_count(&q->capq);
}

/* An Ethernet + IPv4 + UDP frame of flow (src, sport), into buf. */
static unsigned int udp4(uint8_t *buf, uint32_t src, uint16_t sport,
			 uint8_t ttl, uint8_t pay)
{
	static const uint8_t hdr[] = {
		0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 0x08, 0x00,
		0x45, 0, 0, 32, 0, 0, 0, 0, 64, 17, 0, 0,
		0, 0, 0, 0, 10, 0, 0, 1,	/* src (set below), dst */
		0, 0, 0, 53, 0, 12, 0, 0,	/* sport (below), dport 53 */
	};

	memcpy(buf, hdr, sizeof(hdr));
	buf[22] = ttl;
	buf[26] = (uint8_t)(src >> 24);
	buf[27] = (uint8_t)(src >> 16);
	buf[28] = (uint8_t)(src >> 8);
	buf[29] = (uint8_t)src;
	buf[34] = (uint8_t)(sport >> 8);
	buf[35] = (uint8_t)sport;
	memset(buf + sizeof(hdr), pay, 4);
	return sizeof(hdr) + 4;
}

static int t_hash(void)
{
	uint8_t a[128], b[128];
	unsigned int la, lb;
	uint32_t h;

	la = udp4(a, 0x0a000002, 1000, 64, 1);
	lb = udp4(b, 0x0a000002, 1000, 3, 2);
	h = wc_flow_hash(a, la);
	CHECK(h == wc_flow_hash(b, lb));	/* TTL, payload: same flow */
	lb = udp4(b, 0x0a000002, 1001, 64, 1);
	CHECK(h != wc_flow_hash(b, lb));	/* another port */
	lb = udp4(b, 0x0a000003, 1000, 64, 1);
	CHECK(h != wc_flow_hash(b, lb));	/* another address */
	/* behind a VLAN tag: the same flow */
	memcpy(b, a, 12);
	b[12] = 0x81;
	b[13] = 0;
	b[14] = 0;
	b[15] = 5;
	memcpy(b + 16, a + 12, la - 12);
	CHECK(h == wc_flow_hash(b, la + 4));
	/* a later fragment: its addresses only, as RSS takes it */
	memcpy(b, a, la);
	b[20] = 0x00;
	b[21] = 0x10;
	CHECK(wc_flow_hash(b, la) != h);
	b[34] = 0x77;	/* what would be ports is payload now */
	memcpy(a, b, la);
	a[34] = 0x12;
	CHECK(wc_flow_hash(a, la) == wc_flow_hash(b, la));
	/* the first fragment (MF, offset 0) goes with the later ones */
	a[20] = 0x20;
	a[21] = 0x00;
	a[34] = 0x12;
	CHECK(wc_flow_hash(a, la) == wc_flow_hash(b, la));
	/* IPv6 UDP: ports count */
	memset(a, 0, sizeof(a));
	a[12] = 0x86;
	a[13] = 0xdd;
	a[14] = 0x60;
	a[20] = 17;
	a[14 + 23] = 1;
	a[54] = 0x10;
	memcpy(b, a, 62);
	CHECK(wc_flow_hash(a, 62) == wc_flow_hash(b, 62));
	b[55] = 1;
	CHECK(wc_flow_hash(a, 62) != wc_flow_hash(b, 62));
	/* short frames do not read past their end (ASan) */
	CHECK(wc_flow_hash(a, 3) == wc_flow_hash(a, 3));
	CHECK(wc_flow_hash(a, 20) == wc_flow_hash(a, 20));
	return 1;
}

/* Cells [first, first + n) of chunk id of q: packets of hashes h[]. */
static void cells(struct fake *f, unsigned int qi, uint32_t id,
		  unsigned int first, unsigned int n, const uint32_t *h)
{
	unsigned int c;

	for (c = 0; c < n; c++) {
		struct wirecap_cell_meta *m =
			&f->meta[qi][id * FAKE_M + first + c];

		m->flags = WIRECAP_CELL_HASH;
		m->hash = h[c];
		m->len = 60;
	}
}

/*
 * Chunk id of q0, whole, packets of hashes h[], stamped 100 + id: made
 * by the "kernel" and moved by q0's capture thread. 1, or 0 if no room.
 */
static int view0(struct fake *f, uint32_t id, const uint32_t *h)
{
	struct wirecap_desc d;

	cells(f, 0, id, 0, FAKE_M, h);
	d = fake_desc(&f->q[0], id, 0, FAKE_M, 100 + id);
	if (!fake_publish(f, &f->q[0], &d))
		return 0;
	wc_capture_move(&f->q[0]);
	return 1;
}

/* Hashes 1, 2, 3, 5 fall in four buckets (bucket_of in flow.c). */
enum { HA = 1, HB = 2, HC = 3, HD = 5 };

static int t_share(void)
{
	static const uint32_t h[FAKE_M] = { HA, HB, HA, HC, HB, HA, HA, HC };
	struct fake f;
	struct wirecap_chunk c0, c1;
	struct wirecap_pkt p;
	struct wirecap_desc d;
	unsigned int i;

	fake_init_full(&f, 2, 1, WIRECAP_MODE_FLOW, 50, 0, NULL);
	CHECK(f.q[0].ft && f.q[0].ft->nm == 2 && f.q[0].fpos[1] == 1);
	/* member 1 owns HB's bucket, as after a migration */
	for (i = 0; i < WC_FLOW_BUCKETS; i++)
		f.q[0].ft->e[i].owner = 0;
	f.q[0].ft->e[(HB * 0x9e3779b1u) >> 22].owner = 1;
	cells(&f, 0, 3, 0, FAKE_M, h);
	d = fake_desc(&f.q[0], 3, 0, FAKE_M, 77);
	CHECK(fake_publish(&f, &f.q[0], &d));
	wc_capture_move(&f.q[0]);
	CHECK(len(&f.q[0]) == 1 && len(&f.q[1]) == 1);
	CHECK(wirecap_next_chunk(&f.q[0], &c0, 0) == 1);
	CHECK(wirecap_next_chunk(&f.q[1], &c1, 0) == 1);
	CHECK(c0.owner == &f.q[0] && c1.owner == &f.q[0]);
	/* reader 0: cells 0 2 3 5 6 7; reader 1: cells 1 4 */
	CHECK(wirecap_chunk_count(&c0) == 6 && wirecap_chunk_count(&c1) == 2);
	for (i = 0; i < 6; i++) {
		static const unsigned int want[] = { 0, 2, 3, 5, 6, 7 };

		CHECK(wirecap_chunk_pkt(&c0, i, &p) == 0);
		CHECK(p.hash == h[want[i]] && p.data[0] == 3 * FAKE_M + want[i]);
	}
	CHECK(wirecap_chunk_pkt(&c0, 6, &p) == -EINVAL);
	CHECK(wirecap_chunk_pkt(&c1, 0, &p) == 0 && p.data[0] == 3 * FAKE_M + 1);
	CHECK(wirecap_chunk_pkt(&c1, 1, &p) == 0 && p.data[0] == 3 * FAKE_M + 4);
	CHECK(f.q[0].as.pkts == 6 && f.q[1].as.pkts == 2 &&
	      f.q[1].as.offl_in_pkts == 2 && f.q[0].ts.offl_out_pkts == 2);
	/* the first release sends nothing; the second gives it back */
	wirecap_chunk_release(&c1);
	CHECK(!pop_recycled(&f.q[0], &d));
	c1.owner = &f.q[0];		/* a copy released again */
	wirecap_chunk_release(&c1);
	CHECK(f.q[1].as.dup_releases == 1);
	CHECK(!pop_recycled(&f.q[0], &d));
	wirecap_chunk_release(&c0);
	CHECK(pop_recycled(&f.q[0], &d) && d.chunk_id == 3 && d.seq == 77);
	CHECK(!pop_recycled(&f.q[0], &d));
	/* a view only member 0 owns goes to member 0 only */
	cells(&f, 0, 4, 0, 2, (const uint32_t[]){ HA, HC });
	d = fake_desc(&f.q[0], 4, 0, 2, 78);
	CHECK(fake_publish(&f, &f.q[0], &d));
	wc_capture_move(&f.q[0]);
	CHECK(len(&f.q[0]) == 1 && len(&f.q[1]) == 0);
	CHECK(wirecap_next_chunk(&f.q[0], &c0, 0) == 1);
	wirecap_chunk_release(&c0);
	CHECK(pop_recycled(&f.q[0], &d) && d.seq == 78);
	fake_fini(&f);
	return 1;
}

static int t_barrier(void)
{
	/* per view: 5 of A, 2 of B, 1 of C */
	static const uint32_t h[FAKE_M] = { HA, HB, HA, HC, HA, HB, HA, HA };
	struct wirecap_chunk c[11], n1;
	struct wirecap_pkt p;
	struct wirecap_desc d;
	struct wc_flowtab *ft;
	struct fake f;
	unsigned int i, j;

	/* T = 50 %: more than 8 of R = 16 chunks waiting is overload */
	fake_init_full(&f, 2, 1, WIRECAP_MODE_FLOW, 50, 0, NULL);
	ft = f.q[0].ft;
	for (i = 0; i < 10; i++) {
		CHECK(view0(&f, i, h));
		/* reader 0 takes the first view, and holds it */
		if (!i)
			CHECK(wirecap_next_chunk(&f.q[0], &c[0], 0) == 1);
		wc_flow_tick(&f.q[0]);
		/* 9 waiting: over T only at the last */
		CHECK(i == 9 || ft->state == WC_FLOW_IDLE);
	}
	/* B (20) and C (10) moved: A (50) is more than half of 80 */
	CHECK(ft->state == WC_FLOW_BARRIER && ft->from == 0 && ft->to == 1);
	CHECK(ft->moved == 2 && ft->rounds == 1);
	CHECK(ft->e[(HA * 0x9e3779b1u) >> 22].owner == 0);
	CHECK(ft->e[(HB * 0x9e3779b1u) >> 22].owner == 1);
	CHECK(ft->e[(HC * 0x9e3779b1u) >> 22].owner == 1);
	/* the view reader 0 took is the barrier; the 9 waiting were split */
	CHECK(ft->bar_seq == 100 && ft->stolen == 9 &&
	      ft->dtail - ft->dhead == 9);
	CHECK(wirecap_chunk_count(&c[0]) == 8);
	/* a new view: A's to reader 0 at once, B's and C's held back */
	CHECK(view0(&f, 10, h));
	CHECK(len(&f.q[0]) == 10 && len(&f.q[1]) == 0);
	for (i = 1; i < 11; i++) {
		CHECK(wirecap_next_chunk(&f.q[0], &c[i], 0) == 1);
		CHECK(c[i].desc.seq == 100 + i && wirecap_chunk_count(&c[i]) == 5);
		/* A: cells 0, 2, 4, 6, 7 */
		CHECK(wirecap_chunk_pkt(&c[i], 3, &p) == 0 &&
		      p.data[0] == (uint8_t)(i * FAKE_M + 6));
	}
	/* reader 0 releases all but the barrier view: still held */
	for (i = 1; i < 11; i++)
		wirecap_chunk_release(&c[i]);
	wc_flow_tick(&f.q[0]);
	CHECK(!wc_flow_due(&f.q[0]) && ft->state == WC_FLOW_BARRIER);
	CHECK(len(&f.q[1]) == 0);
	wirecap_chunk_release(&c[0]);
	CHECK(wc_flow_due(&f.q[0]));
	wc_flow_tick(&f.q[0]);
	CHECK(ft->state == WC_FLOW_IDLE && len(&f.q[1]) == 10);
	/* the split views and the new one, in order: B, C, B (1, 3, 5) */
	for (i = 1; i < 11; i++) {
		CHECK(wirecap_next_chunk(&f.q[1], &n1, 0) == 1);
		CHECK(n1.desc.seq == 100 + i && wirecap_chunk_count(&n1) == 3);
		for (j = 0; j < 3; j++) {
			CHECK(wirecap_chunk_pkt(&n1, j, &p) == 0);
			CHECK(p.data[0] == (uint8_t)(i * FAKE_M + 1 + 2 * j));
		}
		wirecap_chunk_release(&n1);
	}
	for (i = 0; i < 11; i++)
		CHECK(pop_recycled(&f.q[0], &d) && d.seq == 100 + i);
	CHECK(!pop_recycled(&f.q[0], &d));
	fake_fini(&f);
	return 1;
}

/*
 * Views 0 to n - 1 of hashes h on queue 0, r's reader taking view 0 and
 * holding it in *first; queue 0's thread ticking after each if tick.
 */
static int views_first_held(struct fake *f, unsigned int n, const uint32_t *h,
			    struct wirecap_queue *r, struct wirecap_chunk *first,
			    bool tick)
{
	unsigned int i;

	for (i = 0; i < n; i++) {
		CHECK(view0(f, i, h));
		if (!i)
			CHECK(wirecap_next_chunk(r, first, 0) == 1);
		if (tick)
			wc_flow_tick(&f->q[0]);
	}
	return 1;
}

/*
 * Nine views of q0's pool, each 5 A, 2 B, 1 C, view dv with a D (member
 * 1's) for one of its A: q0's capture queue past T, nothing taken.
 */
static int nine_views_d(struct fake *f, unsigned int dv)
{
	static const uint32_t h[FAKE_M] = { HA, HB, HA, HC, HA, HB, HA, HA };
	static const uint32_t hd[FAKE_M] = { HA, HB, HA, HC, HA, HB, HA, HD };
	unsigned int i;

	fake_init_full(f, 2, 1, WIRECAP_MODE_FLOW, 50, 0, NULL);
	f->q[0].ft->e[(HD * 0x9e3779b1u) >> 22].owner = 1;
	f->q[0].ft->owning = 3;
	for (i = 0; i < 9; i++)
		CHECK(view0(f, i, i == dv ? hd : h));
	return 1;
}

/* Member 1 reads views first..8 in order, split ones: B, C, B each. */
static int read_split(struct fake *f, unsigned int first)
{
	struct wirecap_chunk c;
	unsigned int i;

	for (i = first; i < 9; i++) {
		CHECK(wirecap_next_chunk(&f->q[1], &c, 0) == 1);
		CHECK(c.desc.seq == 100 + i && wirecap_chunk_count(&c) == 3);
		wirecap_chunk_release(&c);
	}
	return 1;
}

/*
 * A view the old owner took keeps its share, and so does every view
 * before one that cannot be split (here: the new owner holds it): only
 * the views after it are split, as a flow's packets in the kept view
 * come before those of later views.
 */
static int t_split_suffix(void)
{
	struct wirecap_chunk c, b4;
	struct wirecap_desc d;
	struct wc_flowtab *ft;
	struct fake f;
	uint32_t back = 0;
	unsigned int i;

	/* view 4: D as well, member 1's already */
	CHECK(nine_views_d(&f, 4));
	ft = f.q[0].ft;
	CHECK(len(&f.q[0]) == 9 && len(&f.q[1]) == 1);
	wc_flow_tick(&f.q[0]);
	/* views 5-8 split; 4 (member 1 holds it) and 0-3 kept */
	CHECK(ft->state == WC_FLOW_BARRIER && ft->to == 1 &&
	      ft->bar_seq == 104 && ft->stolen == 4);
	for (i = 0; i < 9; i++) {
		CHECK(wirecap_next_chunk(&f.q[0], &c, 0) == 1);
		CHECK(wirecap_chunk_count(&c) ==
		      (i < 4 ? 8u : i == 4 ? 7u : 5u));
		if (i < 4) {
			wirecap_chunk_release(&c);
			continue;
		}
		if (i == 4) {
			/* member 1: its D of view 4, nothing split yet */
			CHECK(wirecap_next_chunk(&f.q[1], &b4, 0) == 1);
			CHECK(b4.desc.seq == 104 && wirecap_chunk_count(&b4) == 1);
			wirecap_chunk_release(&b4);
			wc_flow_tick(&f.q[0]);
			CHECK(len(&f.q[1]) == 0);
		}
		wirecap_chunk_release(&c);
		if (i == 4) {
			/* the barrier passed: the split views, B, C, B each */
			wc_flow_tick(&f.q[0]);
			CHECK(ft->state == WC_FLOW_IDLE && len(&f.q[1]) == 4);
		}
	}
	CHECK(read_split(&f, 5));
	/* every view back once (from two recycle lanes: in any order) */
	for (i = 0; pop_recycled(&f.q[0], &d); i++) {
		CHECK(d.seq >= 100 && d.seq < 109 && !(back & 1u << (d.seq - 100)));
		back |= 1u << (d.seq - 100);
	}
	CHECK(i == 9 && back == 0x1ff);
	fake_fini(&f);
	return 1;
}

/*
 * A view the new owner took a share of (its own flows) and released is
 * not split: it would get a second share of it (and its old copy's
 * release would count). The old owner keeps it: the barrier.
 */
static int t_split_read(void)
{
	struct wirecap_chunk c;
	struct wc_flowtab *ft;
	struct fake f;
	unsigned int i;

	CHECK(nine_views_d(&f, 6));
	ft = f.q[0].ft;
	/* member 1 reads its D of view 6 and lets go: no holder bit now */
	CHECK(wirecap_next_chunk(&f.q[1], &c, 0) == 1);
	CHECK(c.desc.seq == 106);
	wirecap_chunk_release(&c);
	wc_flow_tick(&f.q[0]);
	CHECK(ft->state == WC_FLOW_BARRIER && ft->to == 1 &&
	      ft->bar_seq == 106 && ft->stolen == 2);
	for (i = 0; i < 9; i++) {
		CHECK(wirecap_next_chunk(&f.q[0], &c, 0) == 1);
		CHECK(wirecap_chunk_count(&c) == (i < 6 ? 8u : i == 6 ? 7u : 5u));
		wirecap_chunk_release(&c);
	}
	wc_flow_tick(&f.q[0]);
	/* views 7 and 8, once each */
	CHECK(ft->state == WC_FLOW_IDLE && len(&f.q[1]) == 2);
	CHECK(read_split(&f, 7));
	CHECK(f.q[1].as.dup_releases == 0);
	fake_fini(&f);
	return 1;
}

/*
 * What a barrier cost: views held back for the new owner (the split
 * ones and later ones; all told, the most at once) and the views
 * published until they went, one of them with no packet of the moved
 * flows (not held, but published meanwhile).
 */
static int t_barrier_cost(void)
{
	static const uint32_t h[FAKE_M] = { HA, HB, HA, HC, HA, HB, HA, HA };
	static const uint32_t ha[FAKE_M] = { HA, HA, HA, HA, HA, HA, HA, HA };
	struct wirecap_chunk c;
	struct wc_flowtab *ft;
	struct fake f;

	fake_init_full(&f, 2, 1, WIRECAP_MODE_FLOW, 50, 0, NULL);
	ft = f.q[0].ft;
	CHECK(views_first_held(&f, 10, h, &f.q[0], &c, true));
	CHECK(ft->state == WC_FLOW_BARRIER && ft->rounds == 1);
	CHECK(ft->held == 9 && ft->held_max == 9 && ft->stolen == 9 &&
	      ft->bar_views == 0);
	/* held back, then not held (A's only: the old owner's) */
	CHECK(view0(&f, 10, h) && view0(&f, 11, ha));
	CHECK(ft->held == 10 && ft->held_max == 10);
	/* the old owner releases the barrier's view: the held ones go */
	wirecap_chunk_release(&c);
	wc_flow_tick(&f.q[0]);
	CHECK(ft->state == WC_FLOW_IDLE && len(&f.q[1]) == 10);
	tap_diag("held %llu (split %llu), at most %llu at once; %llu views "
		 "published until they went", (unsigned long long)ft->held,
		 (unsigned long long)ft->stolen,
		 (unsigned long long)ft->held_max,
		 (unsigned long long)ft->bar_views);
	CHECK(ft->held == 10 && ft->held_max == 10 && ft->bar_views == 2);
	/* nothing held now: a view changes none of it */
	CHECK(view0(&f, 12, ha));
	CHECK(ft->held == 10 && ft->held_max == 10 && ft->bar_views == 2);
	fake_fini(&f);
	return 1;
}

/*
 * The owner is detached (wirecap_queue_detach; the shim's pcap_close of
 * one handle of a group) while a migration holds a view back for the new
 * owner: its thread gives up what it held back, so every view of the
 * pool counts as back and the detach can finish.
 */
static int t_detach_held(void)
{
	static const uint32_t h[FAKE_M] = { HA, HB, HA, HC, HA, HB, HA, HA };
	struct wirecap_chunk c[11];
	struct wirecap_desc d;
	struct wc_flowtab *ft;
	struct fake f;
	unsigned int i;

	fake_init_full(&f, 2, 1, WIRECAP_MODE_FLOW, 50, 0, NULL);
	ft = f.q[0].ft;
	CHECK(views_first_held(&f, 10, h, &f.q[0], &c[0], true));
	CHECK(view0(&f, 10, h));
	/* 9 split, 1 published since: all held back behind view 0 */
	CHECK(ft->state == WC_FLOW_BARRIER && ft->dtail - ft->dhead == 10);
	for (i = 1; i < 11; i++)
		CHECK(wirecap_next_chunk(&f.q[0], &c[i], 0) == 1);
	for (i = 0; i < 11; i++)
		wirecap_chunk_release(&c[i]);
	/* wirecap_queue_detach(), then q0's thread */
	__atomic_store_n(&f.q[0].detached, 1, __ATOMIC_SEQ_CST);
	wc_queue_return_capq(&f.q[0]);
	wc_flow_tick(&f.q[0]);
	while (pop_recycled(&f.q[0], &d))
		;
	tap_diag("captured %llu returned %llu",
		 (unsigned long long)f.q[0].ts.captured,
		 (unsigned long long)f.q[0].ts.returned);
	CHECK(f.q[0].ts.captured == f.q[0].ts.returned);
	CHECK(ft->state == WC_FLOW_IDLE && len(&f.q[1]) == 0);
	/* B, C, B of each view held back: read by nobody, and counted */
	CHECK(ft->lost_pkts == 30 && f.q[0].ts.offl_out_pkts == 0);
	fake_fini(&f);
	return 1;
}

/*
 * The old owner fails (a RECYCLE error sets err) with views of the moved
 * buckets still in its capture queue, which its reader goes on reading:
 * the barrier holds until it released them.
 */
static int t_failed_from(void)
{
	static const uint32_t h[FAKE_M] = { HA, HB, HA, HC, HA, HB, HA, HA };
	struct wirecap_chunk old, first;
	struct wc_flowtab *ft;
	struct fake f;
	unsigned int i;

	fake_init_full(&f, 2, 1, WIRECAP_MODE_FLOW, 50, 0, NULL);
	ft = f.q[0].ft;
	for (i = 0; i < WC_FLOW_BUCKETS; i++)
		ft->e[i].owner = 1;	/* member 1 owns everything */
	CHECK(views_first_held(&f, 10, h, &f.q[1], &first, false));
	CHECK(len(&f.q[1]) == 9 && len(&f.q[0]) == 0);
	wc_flow_tick(&f.q[0]);
	CHECK(ft->state == WC_FLOW_BARRIER && ft->from == 1 && ft->to == 0);
	CHECK(view0(&f, 10, h));
	__atomic_store_n(&f.q[1].err, -EIO, __ATOMIC_RELEASE);
	wc_flow_tick(&f.q[0]);
	/* the new owner gets nothing while the old one has earlier packets */
	CHECK(ft->state == WC_FLOW_BARRIER && len(&f.q[0]) == 0);
	for (i = 0; i < 9; i++) {
		CHECK(wirecap_next_chunk(&f.q[1], &old, 0) == 1);
		CHECK(wirecap_chunk_count(&old) == 5);
		wirecap_chunk_release(&old);
	}
	wc_flow_tick(&f.q[0]);
	CHECK(ft->state == WC_FLOW_BARRIER && len(&f.q[0]) == 0);
	wirecap_chunk_release(&first);
	wc_flow_tick(&f.q[0]);
	CHECK(ft->state == WC_FLOW_IDLE && len(&f.q[0]) == 10);
	fake_fini(&f);
	return 1;
}

/*
 * A member that owns nothing of q's takes nothing of q's: its capture
 * queue, full of views of its own pool (one capture thread, one lane
 * for both), does not stop q's capture.
 */
static int t_room(void)
{
	static const uint32_t h[FAKE_M] = { HA, HA, HA, HA, HA, HA, HA, HA };
	struct wirecap_desc d;
	struct fake f;
	unsigned int i;

	fake_init_full(&f, 3, 1, WIRECAP_MODE_FLOW, 50, 0, NULL);
	/* q2's lane of the thread: full of q2's own one-cell views */
	for (i = 0; wc_ring_free(&f.q[2].capq.lane[0].r); i++) {
		cells(&f, 2, i / FAKE_M, i % FAKE_M, 1, h);
		d = fake_desc(&f.q[2], i / FAKE_M, i % FAKE_M, 1, 100 + i);
		CHECK(fake_publish(&f, &f.q[2], &d));
		wc_capture_move(&f.q[2]);
		CHECK(i < 1000);
	}
	CHECK(wc_offload_room(&f.q[0]) > 0);
	cells(&f, 0, 0, 0, FAKE_M, h);
	d = fake_desc(&f.q[0], 0, 0, FAKE_M, 100);
	CHECK(fake_publish(&f, &f.q[0], &d));
	wc_capture_move(&f.q[0]);
	CHECK(len(&f.q[0]) == 1);
	fake_fini(&f);
	return 1;
}

/*
 * The new owner leaves (detached) while the barrier waits for the old
 * one, a buddy: the moved flows go back to the old owner, whose reader
 * has their earlier packets, not to q, which would read their later
 * ones meanwhile. What the old owner's waiting views had of them was
 * split to the new owner: read by nobody now, and counted lost.
 */
static int t_to_left(void)
{
	static const uint32_t h[FAKE_M] = { HA, HB, HA, HC, HA, HB, HA, HA };
	struct wirecap_chunk c, first;
	struct wirecap_desc d;
	struct wc_flowtab *ft;
	struct fake f;
	unsigned int i;

	fake_init_full(&f, 3, 1, WIRECAP_MODE_FLOW, 50, 0, NULL);
	ft = f.q[0].ft;
	for (i = 0; i < WC_FLOW_BUCKETS; i++)
		ft->e[i].owner = 1;
	ft->e[(HC * 0x9e3779b1u) >> 22].owner = 0;
	ft->owning = 3;
	CHECK(views_first_held(&f, 10, h, &f.q[1], &first, false));
	for (i = 0; i < 9; i++) {	/* q0's C packets, but one view */
		CHECK(wirecap_next_chunk(&f.q[0], &c, 0) == 1);
		wirecap_chunk_release(&c);
	}
	/* B moves from q1 (9 views waiting) to idle q2, behind a barrier */
	wc_flow_tick(&f.q[0]);
	CHECK(ft->state == WC_FLOW_BARRIER && ft->from == 1 && ft->to == 2);
	CHECK(ft->stolen == 9);
	__atomic_store_n(&f.q[2].detached, 1, __ATOMIC_SEQ_CST);
	CHECK(view0(&f, 10, h));
	/* view 110: C to q0, A and B to q1, after B's earlier packets */
	CHECK(wirecap_next_chunk(&f.q[0], &c, 0) == 1);
	CHECK(c.desc.seq == 109);
	wirecap_chunk_release(&c);
	CHECK(wirecap_next_chunk(&f.q[0], &c, 0) == 1);
	tap_diag("q0: seq %u, %u packets; q1 holds %u views", c.desc.seq,
		 wirecap_chunk_count(&c), len(&f.q[1]));
	CHECK(c.desc.seq == 110 && wirecap_chunk_count(&c) == 1);
	CHECK(len(&f.q[1]) == 10);
	wirecap_chunk_release(&c);
	/* q1: A alone in the split views, A and B in the new one */
	for (i = 1; i < 11; i++) {
		CHECK(wirecap_next_chunk(&f.q[1], &c, 0) == 1);
		CHECK(c.desc.seq == 100 + i &&
		      wirecap_chunk_count(&c) == (i < 10 ? 5u : 7u));
		wirecap_chunk_release(&c);
	}
	wirecap_chunk_release(&first);
	wc_flow_tick(&f.q[0]);
	tap_diag("lost %llu", (unsigned long long)ft->lost_pkts);
	CHECK(ft->state == WC_FLOW_IDLE && ft->lost_pkts == 18);
	while (pop_recycled(&f.q[0], &d))
		;
	CHECK(f.q[0].ts.captured == f.q[0].ts.returned);
	fake_fini(&f);
	return 1;
}

/* A buddy detaches with q's packets it was given unread: counted lost. */
static int t_unread(void)
{
	static const uint32_t h[FAKE_M] = { HA, HB, HA, HC, HA, HB, HA, HA };
	struct wirecap_desc d;
	struct wc_flowtab *ft;
	struct fake f;
	unsigned int i;

	fake_init_full(&f, 2, 1, WIRECAP_MODE_FLOW, 50, 0, NULL);
	ft = f.q[0].ft;
	ft->e[(HB * 0x9e3779b1u) >> 22].owner = 1;
	ft->owning = 3;
	cells(&f, 0, 0, 0, FAKE_M, h);
	d = fake_desc(&f.q[0], 0, 0, FAKE_M, 100);
	CHECK(fake_publish(&f, &f.q[0], &d));
	wc_capture_move(&f.q[0]);
	CHECK(len(&f.q[0]) == 1 && len(&f.q[1]) == 1);
	__atomic_store_n(&f.q[1].detached, 1, __ATOMIC_SEQ_CST);
	wc_queue_return_capq(&f.q[1]);
	/* what wirecap_queue_stats() reports (its ioctl has no fake) */
	tap_diag("offloaded out %llu, lost %llu",
		 (unsigned long long)f.q[0].ts.offl_out_pkts,
		 (unsigned long long)(ft->lost_pkts + ft->lost_unread));
	CHECK(f.q[0].ts.offl_out_pkts == 2 &&
	      ft->lost_pkts + ft->lost_unread == 2);
	/* q0 still holds the view: not back yet */
	CHECK(!pop_recycled(&f.q[0], &d));
	for (i = 0; i < 1; i++) {
		struct wirecap_chunk c;

		CHECK(wirecap_next_chunk(&f.q[0], &c, 0) == 1);
		CHECK(wirecap_chunk_count(&c) == 6);
		wirecap_chunk_release(&c);
	}
	CHECK(pop_recycled(&f.q[0], &d) && d.seq == 100);
	fake_fini(&f);
	return 1;
}

/* --- stress ------------------------------------------------------------- */

#define SQ		2
#define SFLOWS		40
#define SCHUNKS		20000	/* views of queue 0; queue 1 a tenth */

struct sk {			/* the "kernel" of one queue */
	uint32_t free[FAKE_R];
	uint32_t nfree;
	uint32_t stamp[FAKE_R];
	uint32_t seq, made, back, bad;
};

struct stress {
	struct fake f;
	struct sk k[SQ];
	uint32_t want[SQ];
	uint32_t fseq[SQ * SFLOWS];	/* (capture) packets made per flow */
	uint64_t last[SQ * SFLOWS];	/* (readers, atomic) last seq read */
	uint32_t who[SQ * SFLOWS];	/* (readers, atomic) 1 + last reader */
	uint32_t split[SQ * SFLOWS];	/* reader changes of the flow */
	uint32_t done;
	uint32_t bad[SQ];
	uint64_t pkts[SQ];
	uint64_t made_pkts;
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

/*
 * The flows of queue i: flow i * SFLOWS + j, hash 1000 + that. Queue 0:
 * flow 0 a quarter of the packets, the rest even; queue 1 even.
 */
static unsigned int pick_flow(unsigned int i, uint32_t *x)
{
	uint32_t r = xs(x);

	if (i == 0 && r % 4 == 0)
		return 0;
	return i * SFLOWS + (r >> 8) % SFLOWS;
}

static void *s_capture(void *arg)
{
	struct stress *s = ((struct sarg *)arg)->s;
	uint32_t x = 4242;
	bool left = true;

	while (left) {
		unsigned int i;

		left = false;
		for (i = 0; i < SQ; i++) {
			struct wirecap_queue *q = &s->f.q[i];
			struct sk *k = &s->k[i];
			struct wirecap_desc d;

			if (k->made < s->want[i] && k->nfree) {
				uint32_t id = k->free[--k->nfree];
				uint16_t first = xs(&x) % 4 ? 0 : xs(&x) % 4;
				uint16_t n = FAKE_M - first, c;

				/* cells: flow, and its seq in ts_ns */
				for (c = first; c < FAKE_M; c++) {
					struct wirecap_cell_meta *m =
						&s->f.meta[i][id * FAKE_M + c];
					unsigned int fl = pick_flow(i, &x);

					m->flags = WIRECAP_CELL_HASH;
					m->hash = 1000 + fl;
					m->len = 60;
					m->ts_ns = ++s->fseq[fl];
				}
				d = fake_desc(q, id, first, n, ++k->seq);
				if (fake_publish(&s->f, q, &d)) {
					k->stamp[id] = k->seq;
					k->made++;
					s->made_pkts += n;
				} else {
					/* not published: take the seqs back */
					for (c = first; c < FAKE_M; c++)
						s->fseq[s->f.meta[i][id * FAKE_M +
							c].hash - 1000]--;
					k->nfree++;
				}
			}
			wc_flow_tick(q);
			wc_capture_move(q);
			while (pop_recycled(q, &d)) {
				if (d.chunk_id >= FAKE_R ||
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

/* Reader i; reader 0 spins per packet (the slow one). */
static void *s_reader(void *arg)
{
	struct sarg *a = arg;
	struct stress *s = a->s;
	struct wirecap_queue *q = &s->f.q[a->i];
	struct wirecap_chunk c;
	struct wirecap_pkt p;
	uint64_t t0 = now_ms();

	/*
	 * Reader 0 starts only once its queue gave flows away: its capture
	 * queue fills past T meanwhile, so a migration happens whatever the
	 * scheduler does (5 s at most: the checks then say none did).
	 */
	while (a->i == 0 &&
	       !__atomic_load_n(&s->f.q[0].ft->rounds, __ATOMIC_RELAXED) &&
	       now_ms() - t0 < 5000)
		usleep(1000);
	for (;;) {
		int ret = wirecap_next_chunk(q, &c, 1);
		unsigned int j, n;

		if (ret != 1) {
			if (__atomic_load_n(&s->done, __ATOMIC_ACQUIRE))
				break;
			continue;
		}
		n = wirecap_chunk_count(&c);
		for (j = 0; j < n; j++) {
			const struct wirecap_cell_meta *m;
			unsigned int fl;
			uint64_t prev;
			uint32_t w;

			if (wirecap_chunk_pkt(&c, j, &p)) {
				s->bad[a->i]++;
				continue;
			}
			m = &c.owner->meta[(p.data - c.owner->pool -
					    FAKE_FOFF) / FAKE_CELL];
			fl = m->hash - 1000;
			if (fl >= SQ * SFLOWS) {
				s->bad[a->i]++;
				continue;
			}
			/* in order, and nobody else on it meanwhile */
			prev = __atomic_exchange_n(&s->last[fl], p.ts_ns,
						   __ATOMIC_ACQ_REL);
			if (prev + 1 != p.ts_ns)
				s->bad[a->i]++;
			w = __atomic_exchange_n(&s->who[fl], a->i + 1,
						__ATOMIC_RELAXED);
			if (w && w != a->i + 1)
				__atomic_fetch_add(&s->split[fl], 1,
						   __ATOMIC_RELAXED);
			s->pkts[a->i]++;
			if (a->i == 0)
				for (volatile int spin = 0; spin < 400; spin++)
					;
			/* the flow's next packet must not be read meanwhile */
			if (__atomic_load_n(&s->last[fl], __ATOMIC_ACQUIRE) !=
			    p.ts_ns)
				s->bad[a->i]++;
		}
		wirecap_chunk_release(&c);
	}
	return NULL;
}

static int t_stress(void)
{
	struct stress *s = fake_zalloc(sizeof(*s));
	pthread_t ct, rt[SQ];
	struct sarg ca, ra[SQ];
	uint64_t split = 0;
	unsigned int i, j;
	uint64_t t0 = now_ms();

	fake_init_full(&s->f, SQ, 1, WIRECAP_MODE_FLOW, 50, 0, NULL);
	for (i = 0; i < SQ; i++) {
		for (j = 0; j < FAKE_R; j++)
			s->k[i].free[j] = j;
		s->k[i].nfree = FAKE_R;
		s->want[i] = i ? SCHUNKS / 10 : SCHUNKS;
	}
	for (i = 0; i < SQ; i++) {
		ra[i] = (struct sarg){ s, i };
		pthread_create(&rt[i], NULL, s_reader, &ra[i]);
	}
	ca = (struct sarg){ s, 0 };
	pthread_create(&ct, NULL, s_capture, &ca);
	pthread_join(ct, NULL);
	__atomic_store_n(&s->done, 1, __ATOMIC_RELEASE);
	for (i = 0; i < SQ; i++)
		pthread_join(rt[i], NULL);

	for (i = 0; i < SQ * SFLOWS; i++) {
		split += s->split[i];
		CHECK(s->last[i] == s->fseq[i]);	/* every packet read */
	}
	for (i = 0; i < SQ; i++) {
		struct wirecap_queue *q = &s->f.q[i];

		tap_diag("q%u: made %u back %u, read %llu pkts, out %llu in "
			 "%llu pkts, %llu buckets in %llu migrations", i,
			 s->k[i].made, s->k[i].back,
			 (unsigned long long)s->pkts[i],
			 (unsigned long long)q->ts.offl_out_pkts,
			 (unsigned long long)q->as.offl_in_pkts,
			 (unsigned long long)q->ft->moved,
			 (unsigned long long)q->ft->rounds);
		CHECK(!s->k[i].bad && !s->bad[i]);
		CHECK(s->k[i].made == s->want[i] && s->k[i].back == s->want[i]);
		CHECK(q->as.released == q->as.delivered);
	}
	tap_diag("%llu reader changes of flows, %llu ms",
		 (unsigned long long)split, (unsigned long long)(now_ms() - t0));
	CHECK(s->pkts[0] + s->pkts[1] == s->made_pkts);
	CHECK(s->f.q[0].ts.offl_out_pkts + s->f.q[1].ts.offl_out_pkts ==
	      s->f.q[0].as.offl_in_pkts + s->f.q[1].as.offl_in_pkts);
	/* the slow reader's queue gave flows away; flows split only so */
	CHECK(s->f.q[0].ft->rounds > 0 && s->f.q[0].ts.offl_out_pkts > 0);
	/*
	 * A flow changes readers only when its bucket moves: with every
	 * flow in a bucket of its own, no more changes than buckets moved.
	 */
	for (i = 0; i < SQ * SFLOWS; i++)
		for (j = 0; j < i; j++)
			CHECK(((1000 + i) * 0x9e3779b1u) >> 22 !=
			      ((1000 + j) * 0x9e3779b1u) >> 22);
	CHECK(split <= s->f.q[0].ft->moved + s->f.q[1].ft->moved);
	fake_fini(&s->f);
	free(s);
	return 1;
}

int main(void)
{
	tap_plan(12);
	tap_run("hash: one per flow, IPv4, IPv6, VLAN, fragments", t_hash);
	tap_run("share: each reader its packets, the view back once", t_share);
	tap_run("barrier: moved flows wait for their old owner", t_barrier);
	tap_run("split: only views after one the old owner keeps",
		t_split_suffix);
	tap_run("split: not a view the new owner read a share of",
		t_split_read);
	tap_run("barrier cost: views held back, and for how long",
		t_barrier_cost);
	tap_run("detach: what was held back for a new owner counts as back",
		t_detach_held);
	tap_run("failed owner: the barrier waits for its reader", t_failed_from);
	tap_run("room: members that own nothing hold nothing back", t_room);
	tap_run("new owner left mid-barrier: flows back to the old owner",
		t_to_left);
	tap_run("unread: a buddy's share it left unread is counted lost",
		t_unread);
	tap_run("stress: in order, one thread at a time, every packet",
		t_stress);
	return tap_exit();
}
