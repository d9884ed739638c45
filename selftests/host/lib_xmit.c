// SPDX-License-Identifier: BSD-2-Clause
/*
 * Host tests of wirecap_xmit() (lib/xmit.c) on the fake session of
 * lib_fake.h, with ioctl() played here: this program's ioctl() takes the
 * library's WIRECAP_CMD_XMIT and RECYCLE commands (an executable's own
 * definition wins over libc's) and logs them.
 *
 *   args        bad arguments: -EINVAL and nothing consumed, no command;
 *               a copy-only output refuses XMIT; wirecap_out_open's errors
 *   consumed    a chunk given to XMIT is consumed: one command on its
 *               queue's fd with tx_fd -1, records as asked; a release of
 *               it or of a copy afterwards sends nothing; one record in
 *               its owner's recycle queue, pkt_count 0, no RECYCLE
 *   groups      chunks of two pools, one offloaded: one command per pool,
 *               on the owner's fd, in the order given; a chunk named
 *               again later sends nothing
 *   failed      a command that fails gives its views back as RECYCLE
 *               records; the others' count is returned
 *   split       more than WIRECAP_XMIT_MAX packets: commands of at most
 *               that many, a view's records never across two
 *   accounting  the capture thread counts XMIT'd views back: many times
 *               views_max chunks go out by XMIT and capture never stops;
 *               without the records it stops at views_max
 *   stress      two readers XMIT chunks of two pools (offloading on)
 *               while a capture thread publishes, moves and drains: every
 *               view goes out once, on its owner's fd, and is counted
 *               back (TSan)
 */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdarg.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "tap.h"
#include "lib_fake.h"

#define M	FAKE_M
#define R	FAKE_R
#define FD0	100		/* fake queue fds: FD0 + session index */

/* --- the fake kernel's ioctl --------------------------------------------- */

struct kcall {
	int fd, tx_fd;
	unsigned long req;
	unsigned int first, count;	/* its records in krec[] */
};

static pthread_mutex_t klock = PTHREAD_MUTEX_INITIALIZER;
static struct kcall calls[256];
static unsigned int ncalls;		/* may pass 256: only logged below */
static struct wirecap_xmit_rec krec[8192];
static unsigned int nkrec;
static unsigned int nrecycles;		/* RECYCLE commands, all of them */
static int fail_fd = -1000, fail_err;	/* XMIT on fail_fd: -1, fail_err */
/* stress: XMIT'd chunk ids go back to their queue's free list */
static void (*on_xmit)(int fd, const struct wirecap_xmit_rec *r,
		       unsigned int n);

int ioctl(int fd, unsigned long req, ...)
{
	struct kcall *c = NULL;
	va_list ap;
	void *arg;
	int ret;

	va_start(ap, req);
	arg = va_arg(ap, void *);
	va_end(ap);
	pthread_mutex_lock(&klock);
	if (ncalls < sizeof(calls) / sizeof(calls[0]))
		c = &calls[ncalls];
	ncalls++;
	if (c)
		*c = (struct kcall){ .fd = fd, .req = req, .first = nkrec };
	if (req == WIRECAP_CMD_XMIT) {
		const struct wirecap_xmit_cmd *xc = arg;
		const struct wirecap_xmit_rec *r = (const void *)(uintptr_t)
						   xc->recs;

		if (c) {
			c->tx_fd = xc->tx_fd;
			c->count = xc->count;
		}
		if (fd == fail_fd) {
			pthread_mutex_unlock(&klock);
			errno = fail_err;
			return -1;
		}
		if (nkrec + xc->count <= sizeof(krec) / sizeof(krec[0])) {
			memcpy(&krec[nkrec], r, xc->count * sizeof(*r));
			nkrec += xc->count;
		}
		if (on_xmit)
			on_xmit(fd, r, xc->count);
		ret = xc->count;
	} else if (req == WIRECAP_CMD_RECYCLE) {
		const struct wirecap_recycle_cmd *rc = arg;

		if (c)
			c->count = rc->count;
		nrecycles++;
		ret = (int)rc->count;
	} else {
		pthread_mutex_unlock(&klock);
		errno = ENOTTY;
		return -1;
	}
	pthread_mutex_unlock(&klock);
	return ret;
}

static void klog_reset(void)
{
	pthread_mutex_lock(&klock);
	ncalls = nkrec = nrecycles = 0;
	fail_fd = -1000;
	on_xmit = NULL;
	pthread_mutex_unlock(&klock);
}

/* --- helpers -------------------------------------------------------------- */

static void fds(struct fake *f)
{
	unsigned int i;

	for (i = 0; i < f->w.nq; i++)
		f->q[i].fd = FD0 + (int)i;
}

/*
 * A capture thread's move of a view of owner's pool into via's capture
 * queue (lane of owner's thread): offloading when via != owner.
 */
static int push_to(struct wirecap_queue *via, struct wirecap_queue *owner,
		   uint32_t chunk, uint16_t first, uint16_t count, uint32_t seq)
{
	struct wc_ring *r = &via->capq.lane[owner->thread->index].r;
	uint32_t idx;

	if (!wc_ring_reserve(r, 1, &idx))
		return 0;
	*(struct wirecap_desc *)wc_ring_slot(r, idx) =
		fake_desc(owner, chunk, first, count, seq);
	wc_ring_submit(r, 1);
	wc_add(&owner->ts.captured, 1);
	return 1;
}

/* Records in q's recycle queue: how many, how many of them XMIT's. */
static unsigned int drain(struct wirecap_queue *q, unsigned int *xmitted,
			  struct wirecap_desc *last)
{
	struct wirecap_desc d;
	unsigned int n = 0;

	*xmitted = 0;
	while (pop_recycled(q, &d)) {
		n++;
		*xmitted += wc_rec_xmitted(&d);
		if (last)
			*last = d;
	}
	return n;
}

static struct wirecap_xmit_pkt pk(struct wirecap_chunk *c, uint32_t i,
				  uint32_t len)
{
	return (struct wirecap_xmit_pkt){ .chunk = c, .index = i, .len = len };
}

/* --- tests ---------------------------------------------------------------- */

static int t_args(void)
{
	static struct wirecap_xmit_pkt many[WIRECAP_XMIT_MAX + 1];
	struct wirecap_chunk c, gone = { 0 };
	struct wirecap_xmit_pkt p[2];
	struct wirecap_out *o;
	unsigned int i, x;
	struct fake f;

	fake_init(&f, 0);
	fds(&f);
	klog_reset();
	CHECK(push(&f.q[0], 2, 0, M, 5));
	CHECK(wirecap_next_chunk(&f.q[0], &c, 0) == 1);
	CHECK(wirecap_xmit(NULL, NULL, 0) == 0);
	CHECK(wirecap_xmit(NULL, NULL, 1) == -EINVAL);
	p[0] = pk(&gone, 0, 60);			/* not held */
	CHECK(wirecap_xmit(NULL, p, 1) == -EINVAL);
	p[0] = pk(&c, M, 60);				/* index */
	CHECK(wirecap_xmit(NULL, p, 1) == -EINVAL);
	p[0] = pk(&c, 0, WIRECAP_XMIT_MIN_LEN - 1);	/* too short */
	CHECK(wirecap_xmit(NULL, p, 1) == -EINVAL);
	p[0] = pk(&c, 0, FAKE_CELL - FAKE_FOFF + 1);	/* past the cell */
	CHECK(wirecap_xmit(NULL, p, 1) == -EINVAL);
	p[0] = pk(&c, 0, 60);				/* good, then bad */
	p[1] = pk(NULL, 0, 60);
	CHECK(wirecap_xmit(NULL, p, 2) == -EINVAL);
	/* one chunk, too many packets */
	for (i = 0; i < WIRECAP_XMIT_MAX + 1; i++)
		many[i] = pk(&c, i % M, 60);
	CHECK(wirecap_xmit(NULL, many, WIRECAP_XMIT_MAX + 1) == -EINVAL);
	/* nothing consumed, nothing sent */
	CHECK(c.owner == &f.q[0]);
	CHECK(ncalls == 0);
	CHECK(drain(&f.q[0], &x, NULL) == 0);

	/* an output that only copies takes no XMIT; it has no info */
	o = wirecap_out_open("lo", WIRECAP_OUT_COPY);
	CHECK(o);
	p[0] = pk(&c, 0, 60);
	CHECK(wirecap_xmit(o, p, 1) == -EOPNOTSUPP);
	CHECK(c.owner == &f.q[0]);
	errno = 0;
	CHECK(!wirecap_out_info(o) && errno == EOPNOTSUPP);
	wirecap_out_close(o);
	errno = 0;
	CHECK(!wirecap_out_info(NULL) && errno == EINVAL);
	wirecap_out_close(NULL);
	errno = 0;
	CHECK(!wirecap_out_open("nosuchnic0", 0) && errno == ENODEV);
	errno = 0;
	CHECK(!wirecap_out_open("a/b", 0) && errno == EINVAL);
	errno = 0;
	CHECK(!wirecap_out_open("", WIRECAP_OUT_COPY) && errno == EINVAL);
	errno = 0;
	CHECK(!wirecap_out_open(NULL, 0) && errno == EINVAL);
	/* lo is no WireCAP NIC: no queue device */
	errno = 0;
	CHECK(!wirecap_out_open("lo", 0) && errno == ENOENT);
	CHECK(wirecap_out_send(NULL, p, 60) == -EINVAL);
	wirecap_chunk_release(&c);
	fake_fini(&f);
	return 1;
}

static int t_consumed(void)
{
	struct wirecap_chunk c, copy;
	struct wirecap_xmit_pkt p[2];
	struct wirecap_desc want, last;
	unsigned int x;
	struct fake f;

	fake_init(&f, 0);
	fds(&f);
	klog_reset();
	CHECK(push(&f.q[1], 4, 2, 5, 77));
	CHECK(wirecap_next_chunk(&f.q[1], &c, 0) == 1);
	want = c.desc;
	copy = c;
	p[0] = pk(&c, 1, 60);
	p[1] = pk(&c, 3, 1000);
	CHECK(wirecap_xmit(NULL, p, 2) == 2);
	CHECK(!c.owner);			/* consumed */
	CHECK(ncalls == 1 && calls[0].req == WIRECAP_CMD_XMIT);
	CHECK(calls[0].fd == FD0 + 1 && calls[0].tx_fd == -1);
	CHECK(calls[0].count == 2 && nkrec == 2);
	CHECK(!memcmp(&krec[0].view, &want, sizeof(want)));
	CHECK(!memcmp(&krec[1].view, &want, sizeof(want)));
	CHECK(krec[0].cell == 1 && krec[0].len == 60 && !krec[0].flags);
	CHECK(krec[1].cell == 3 && krec[1].len == 1000);
	/* released already: a release, or one of a copy, sends nothing */
	wirecap_chunk_release(&c);
	wirecap_chunk_release(&copy);
	CHECK(f.q[1].as.dup_releases == 1);
	CHECK(f.q[1].as.released == 0);
	/* one record for the capture thread: count it, send nothing */
	CHECK(drain(&f.q[1], &x, &last) == 1 && x == 1);
	CHECK(last.chunk_id == 4 && last.first_cell == 2 && last.seq == 77);
	CHECK(nrecycles == 0);
	fake_fini(&f);
	return 1;
}

static int t_groups(void)
{
	struct wirecap_chunk a, b, c;
	struct wirecap_xmit_pkt p[6];
	struct wirecap_desc da, db, dc;
	unsigned int x;
	struct fake f;

	fake_init_full(&f, 2, 1, WIRECAP_MODE_ADVANCED, 0, 0, NULL);
	fds(&f);
	klog_reset();
	/* q0 reads a (its own), b (q1's, offloaded), c (its own) */
	CHECK(push_to(&f.q[0], &f.q[0], 1, 0, M, 11));
	CHECK(push_to(&f.q[0], &f.q[1], 2, 0, M, 12));
	CHECK(push_to(&f.q[0], &f.q[0], 3, 0, M, 13));
	CHECK(wirecap_next_chunk(&f.q[0], &a, 0) == 1);
	CHECK(wirecap_next_chunk(&f.q[0], &b, 0) == 1);
	CHECK(wirecap_next_chunk(&f.q[0], &c, 0) == 1);
	CHECK(a.owner == &f.q[0] && b.owner == &f.q[1] && c.owner == &f.q[0]);
	da = a.desc;
	db = b.desc;
	dc = c.desc;
	p[0] = pk(&a, 0, 100);
	p[1] = pk(&a, 7, 101);
	p[2] = pk(&b, 5, 102);
	p[3] = pk(&c, 2, 103);
	p[4] = pk(&a, 1, 104);		/* a again, after others: nothing */
	p[5] = pk(&c, 3, 105);		/* c again too */
	CHECK(wirecap_xmit(NULL, p, 6) == 4);
	CHECK(ncalls == 2);
	/* q0's pool first (a, c), then q1's (b), each on its owner's fd */
	CHECK(calls[0].fd == FD0 && calls[0].count == 3);
	CHECK(calls[1].fd == FD0 + 1 && calls[1].count == 1);
	CHECK(!memcmp(&krec[0].view, &da, sizeof(da)) && krec[0].cell == 0 &&
	      krec[0].len == 100);
	CHECK(!memcmp(&krec[1].view, &da, sizeof(da)) && krec[1].cell == 7);
	CHECK(!memcmp(&krec[2].view, &dc, sizeof(dc)) && krec[2].cell == 2 &&
	      krec[2].len == 103);
	CHECK(!memcmp(&krec[3].view, &db, sizeof(db)) && krec[3].cell == 5 &&
	      krec[3].len == 102);
	/* each view counted back at its owner's, through q0's lanes */
	CHECK(drain(&f.q[0], &x, NULL) == 2 && x == 2);
	CHECK(drain(&f.q[1], &x, NULL) == 1 && x == 1);
	CHECK(f.q[0].as.dup_releases == 0);
	fake_fini(&f);
	return 1;
}

static int t_failed(void)
{
	struct wirecap_chunk a, b;
	struct wirecap_xmit_pkt p[2];
	struct wirecap_desc last;
	unsigned int x;
	struct fake f;

	fake_init_full(&f, 2, 1, WIRECAP_MODE_ADVANCED, 0, 0, NULL);
	fds(&f);
	klog_reset();
	fail_fd = FD0 + 1;
	fail_err = ENODEV;
	CHECK(push_to(&f.q[0], &f.q[0], 1, 0, M, 21));
	CHECK(push_to(&f.q[0], &f.q[1], 2, 0, M, 22));
	CHECK(wirecap_next_chunk(&f.q[0], &a, 0) == 1);
	CHECK(wirecap_next_chunk(&f.q[0], &b, 0) == 1);
	p[0] = pk(&a, 0, 60);
	p[1] = pk(&b, 0, 60);
	/* q0's went, q1's command failed: the count */
	CHECK(wirecap_xmit(NULL, p, 2) == 1);
	CHECK(!a.owner && !b.owner);
	CHECK(drain(&f.q[0], &x, NULL) == 1 && x == 1);
	/* b back the ordinary way, as published */
	CHECK(drain(&f.q[1], &x, &last) == 1 && x == 0);
	CHECK(last.pkt_count == M && last.seq == 22 && last.chunk_id == 2);
	CHECK(f.q[0].as.released == 1);
	/* nothing went: the error */
	CHECK(push_to(&f.q[0], &f.q[1], 3, 0, M, 23));
	CHECK(wirecap_next_chunk(&f.q[0], &b, 0) == 1);
	p[0] = pk(&b, 1, 60);
	CHECK(wirecap_xmit(NULL, p, 1) == -ENODEV);
	CHECK(drain(&f.q[1], &x, &last) == 1 && x == 0 && last.seq == 23);
	fake_fini(&f);
	return 1;
}

static int t_split(void)
{
	static struct wirecap_xmit_pkt p[R * 300];
	struct wirecap_chunk c[R];
	unsigned int i, k, n = 0, x, view_split = 0;
	struct fake f;

	fake_init(&f, 0);
	fds(&f);
	klog_reset();
	for (i = 0; i < R; i++) {
		CHECK(push(&f.q[0], i, 0, M, 100 + i));
		CHECK(wirecap_next_chunk(&f.q[0], &c[i], 0) == 1);
		for (k = 0; k < 300; k++)	/* a cell may go out twice */
			p[n++] = pk(&c[i], k % M, 60 + k);
	}
	CHECK(wirecap_xmit(NULL, p, n) == (int)n);
	tap_diag("%u packets: %u commands of %u, %u", n, ncalls,
		 calls[0].count, calls[1].count);
	CHECK(ncalls == 2 && nkrec == n);
	CHECK(calls[0].count <= WIRECAP_XMIT_MAX && calls[0].count % 300 == 0);
	CHECK(calls[0].count + calls[1].count == n);
	/* in order, and no view in both commands */
	for (i = 0; i < n; i++) {
		CHECK(krec[i].view.seq == 100 + i / 300);
		CHECK(krec[i].cell == (i % 300) % M &&
		      krec[i].len == 60 + i % 300);
	}
	view_split = krec[calls[0].count - 1].view.seq ==
		     krec[calls[0].count].view.seq;
	CHECK(!view_split);
	CHECK(drain(&f.q[0], &x, NULL) == R && x == R);
	fake_fini(&f);
	return 1;
}

/*
 * Play the capture thread: publish a full view, move it, let the reader
 * XMIT it, and (drain) give the recycle queue to wc_queue_recycle_all,
 * which counts XMIT's records and sends the others. How many views went
 * out of rounds.
 */
static unsigned int rounds(struct fake *f, unsigned int n, bool drain_recq)
{
	struct wirecap_queue *q = &f->q[0];
	struct wirecap_xmit_pkt p;
	struct wirecap_chunk c;
	unsigned int i, out = 0;

	for (i = 0; i < n; i++) {
		struct wirecap_desc d = fake_desc(q, i % R, 0, M, i + 1);

		if (q->head == f->ctrl[0].desc_tail &&
		    !fake_publish(f, q, &d))
			break;
		wc_capture_move(q);
		if (wirecap_next_chunk(q, &c, 0) == 1) {
			p = pk(&c, i % M, 64);
			if (wirecap_xmit(NULL, &p, 1) != 1)
				break;
			out++;
		}
		if (drain_recq)
			wc_queue_recycle_all(q);
	}
	return out;
}

static int t_accounting(void)
{
	unsigned int n, out;
	struct fake f;

	fake_init(&f, 0);
	fds(&f);
	klog_reset();
	n = 8 * f.q[0].views_max;
	out = rounds(&f, n, true);
	tap_diag("views_max %u: %u views out by XMIT in %u rounds",
		 f.q[0].views_max, out, n);
	CHECK(out == n);
	CHECK(f.q[0].ts.captured == n && f.q[0].ts.returned == n);
	CHECK(f.q[0].ts.xmitted == n);
	CHECK(ncalls == n && nrecycles == 0);
	fake_fini(&f);

	/* the control: records nobody counts, and capture stops */
	fake_init(&f, 0);
	fds(&f);
	klog_reset();
	out = rounds(&f, 4 * f.q[0].views_max, false);
	tap_diag("without counting them back: %u out", out);
	CHECK(out == f.q[0].views_max);
	fake_fini(&f);
	return 1;
}

/* --- stress --------------------------------------------------------------- */

#define SQ	2
#define SVIEWS	20000		/* per queue */

static struct {
	struct fake f;
	uint32_t free[SQ][R];	/* chunk ids the "kernel" may hand out */
	uint32_t nfree[SQ];
	uint32_t seq[SQ];
	uint32_t sent[SQ];	/* views XMIT'd, by owner */
	uint32_t bad;		/* a view XMIT'd on another's fd, or twice */
	uint8_t out[SQ][R];	/* handed out, not XMIT'd yet */
	uint32_t readers_done;
	uint32_t done;
	uint64_t got[SQ];	/* chunks each reader took */
} S;

/* ioctl's XMIT, under klock: the views go back to the free lists. */
static void stress_back(int fd, const struct wirecap_xmit_rec *r,
			unsigned int n)
{
	unsigned int i, q = (unsigned int)(fd - FD0);

	for (i = 0; i < n; i++) {
		const struct wirecap_desc *d = &r[i].view;
		unsigned int o = d->ring_id - 10;

		if (q >= SQ || o != q || d->chunk_id >= R) {
			S.bad++;
			continue;
		}
		if (i && !memcmp(d, &r[i - 1].view, sizeof(*d)))
			continue;	/* the same view: one run */
		if (!S.out[o][d->chunk_id]) {
			S.bad++;
			continue;
		}
		S.out[o][d->chunk_id] = 0;
		S.free[o][S.nfree[o]++] = d->chunk_id;
		S.sent[o]++;
	}
}

static void *stress_reader(void *arg)
{
	struct wirecap_queue *q = arg;
	unsigned int i = q->index;
	struct wirecap_xmit_pkt p[2];
	struct wirecap_chunk c;

	while (!__atomic_load_n(&S.done, __ATOMIC_ACQUIRE)) {
		if (wirecap_next_chunk(q, &c, 1) != 1)
			continue;
		p[0] = pk(&c, 0, 60);
		p[1] = pk(&c, M - 1, 61);
		if (wirecap_xmit(NULL, p, 2) != 2)
			__atomic_fetch_add(&S.bad, 1, __ATOMIC_RELAXED);
		__atomic_store_n(&S.got[i], S.got[i] + 1, __ATOMIC_RELAXED);
		/* queue 0's reader lags now and then: its chunks offload */
		if (!i && S.got[i] % 128 == 0)
			usleep(2000);
	}
	return NULL;
}

static int t_stress(void)
{
	pthread_t rt[SQ];
	unsigned int q, i, bad;
	uint32_t pub[SQ] = { 0 };
	struct fake *f = &S.f;

	memset(&S, 0, sizeof(S));
	fake_init_full(f, SQ, 1, WIRECAP_MODE_ADVANCED, 25, 0, NULL);
	fds(f);
	klog_reset();
	for (q = 0; q < SQ; q++)
		for (i = 0; i < R; i++)
			S.free[q][S.nfree[q]++] = i;
	pthread_mutex_lock(&klock);
	on_xmit = stress_back;
	pthread_mutex_unlock(&klock);
	for (q = 0; q < SQ; q++)
		pthread_create(&rt[q], NULL, stress_reader, &f->q[q]);
	/* the capture thread (and the kernel's handing out) */
	while (pub[0] < SVIEWS || pub[1] < SVIEWS) {
		for (q = 0; q < SQ; q++) {
			struct wirecap_queue *wq = &f->q[q];

			pthread_mutex_lock(&klock);
			while (pub[q] < SVIEWS && S.nfree[q] &&
			       wq->head == f->ctrl[q].desc_tail) {
				uint32_t id = S.free[q][--S.nfree[q]];
				struct wirecap_desc d = fake_desc(wq, id, 0, M,
								  ++S.seq[q]);

				if (!fake_publish(f, wq, &d)) {
					S.free[q][S.nfree[q]++] = id;
					break;
				}
				S.out[q][id] = 1;
				pub[q]++;
			}
			pthread_mutex_unlock(&klock);
			wc_capture_move(wq);
			wc_queue_recycle_all(wq);
		}
		sched_yield();
	}
	/* everything out comes back */
	for (i = 0; i < 5000; i++) {
		bool all = true;

		for (q = 0; q < SQ; q++) {
			wc_capture_move(&f->q[q]);
			wc_queue_recycle_all(&f->q[q]);
			all &= f->q[q].ts.returned == f->q[q].ts.captured &&
			       f->q[q].head == f->ctrl[q].desc_tail;
		}
		if (all)
			break;
		usleep(1000);
	}
	__atomic_store_n(&S.done, 1, __ATOMIC_RELEASE);
	for (q = 0; q < SQ; q++)
		pthread_join(rt[q], NULL);
	bad = __atomic_load_n(&S.bad, __ATOMIC_RELAXED);
	tap_diag("sent %u + %u; read %llu + %llu; offloaded out %llu + %llu",
		 S.sent[0], S.sent[1], (unsigned long long)S.got[0],
		 (unsigned long long)S.got[1],
		 (unsigned long long)f->q[0].ts.offl_out,
		 (unsigned long long)f->q[1].ts.offl_out);
	CHECK(bad == 0);
	for (q = 0; q < SQ; q++) {
		CHECK(S.sent[q] == SVIEWS);
		CHECK(f->q[q].ts.captured == SVIEWS);
		CHECK(f->q[q].ts.returned == SVIEWS);
		CHECK(f->q[q].ts.xmitted == SVIEWS);
	}
	CHECK(S.got[0] + S.got[1] == 2 * SVIEWS);
	CHECK(f->q[0].ts.offl_out > 0);
	CHECK(nrecycles == 0);
	fake_fini(f);
	return 1;
}

int main(void)
{
	tap_plan(7);
	tap_run("bad arguments: -EINVAL, nothing consumed", t_args);
	tap_run("a chunk given to XMIT is consumed, counted back, not "
		"RECYCLEd", t_consumed);
	tap_run("one command per pool, on its owner's fd, in order",
		t_groups);
	tap_run("a failed command gives its views back by RECYCLE", t_failed);
	tap_run("commands of at most WIRECAP_XMIT_MAX, views never split",
		t_split);
	tap_run("capture goes on past views_max views out by XMIT",
		t_accounting);
	tap_run("stress: two readers XMIT two pools while capture runs",
		t_stress);
	return tap_exit();
}
