// SPDX-License-Identifier: BSD-2-Clause
/*
 * Host unit tests of libwirecap's application side, without a kernel: a
 * fake session (queues with a malloc'd "pool" and cell metadata, real
 * work-queue pairs) where the test plays the capture thread by pushing
 * descriptors into capture queues and draining recycle queues. Checks
 * next_chunk / chunk_pkt / release / dispatch / wait, timeouts, errors,
 * the wake-ups of a sleeping capture thread, argument checking of
 * wirecap_open, that the library prints nothing, and a two-thread run of
 * a million chunks through the whole pair. Built with ASan+UBSan and TSan.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "tap.h"
#include "lib_fake.h"

#define M	FAKE_M
#define R	FAKE_R
#define CELL	FAKE_CELL
#define FOFF	FAKE_FOFF

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000ull + ts.tv_nsec / 1000000;
}

static uint64_t efd_count(struct fake *f)
{
	uint64_t v = 0;

	if (read(f->t[0].kick.efd, &v, sizeof(v)) != sizeof(v))
		return 0;
	return v;
}

static int t_next_and_pkt(void)
{
	struct fake f;
	struct wirecap_chunk c;
	struct wirecap_pkt p;
	struct wirecap_desc d;
	unsigned int i;

	fake_init(&f, 0);
	CHECK(f.q[0].capq.size == 2 * R);	/* default: 2R */
	/* a recycle lane holds every view that can be out at once */
	CHECK(f.q[0].recq.size >= f.q[0].capq.size + R &&
	      f.q[0].views_max == f.q[0].recq.size);
	CHECK(wirecap_next_chunk(&f.q[0], &c, 0) == 0);
	CHECK(push(&f.q[1], 3, 2, 5, 99));
	CHECK(wirecap_next_chunk(&f.q[0], &c, 0) == 0);	/* other queue */
	CHECK(wirecap_next_chunk(&f.q[1], &c, 0) == 1);
	CHECK(wirecap_chunk_count(&c) == 5);
	for (i = 0; i < 5; i++) {
		unsigned int cell = 3 * M + 2 + i;

		CHECK(wirecap_chunk_pkt(&c, i, &p) == 0);
		CHECK(p.data == f.pool[1] + cell * CELL + FOFF);
		CHECK(p.data[0] == (uint8_t)cell && p.data[1] == 1);
		CHECK(p.len == 60 + cell % 100);
		CHECK(p.queue == 11);
		CHECK(p.ts_ns == 1000ull * cell + 1);
		CHECK(p.hash == cell * 3);
		CHECK(p.flags == (cell % 2 ? WIRECAP_PKT_HASH : 0));
	}
	CHECK(wirecap_chunk_pkt(&c, 5, &p) == -EINVAL);
	CHECK(wirecap_chunk_pkt(NULL, 0, &p) == -EINVAL);
	wirecap_chunk_release(&c);
	CHECK(wirecap_chunk_count(&c) == 0);
	CHECK(wirecap_chunk_pkt(&c, 0, &p) == -EINVAL);
	wirecap_chunk_release(&c);		/* twice: nothing */
	CHECK(pop_recycled(&f.q[1], &d));
	CHECK(d.chunk_id == 3 && d.first_cell == 2 && d.pkt_count == 5 &&
	      d.seq == 99 && d.ring_id == 11 && d.nic_id == 7);
	CHECK(!pop_recycled(&f.q[1], &d));
	CHECK(f.q[1].as.delivered == 1 && f.q[1].as.pkts == 5 &&
	      f.q[1].as.released == 1);
	fake_fini(&f);
	return 1;
}

static int t_timeout(void)
{
	struct fake f;
	struct wirecap_chunk c;
	uint64_t t0, dt;

	fake_init(&f, 0);
	t0 = now_ms();
	CHECK(wirecap_next_chunk(&f.q[0], &c, 50) == 0);
	dt = now_ms() - t0;
	tap_diag("empty wait of 50 ms took %llu ms", (unsigned long long)dt);
	CHECK(dt >= 49 && dt < 1000);
	CHECK(f.q[0].as.sleeps >= 1);
	fake_fini(&f);
	return 1;
}

struct later {
	struct wirecap_queue *q;
	unsigned int delay_ms;
};

static void *push_later(void *arg)
{
	struct later *l = arg;

	usleep(l->delay_ms * 1000);
	push(l->q, 1, 0, M, 5);
	return NULL;
}

static int t_wakeup(void)
{
	struct fake f;
	struct wirecap_chunk c;
	struct later l;
	pthread_t t;
	uint64_t t0, dt;
	int ret;

	fake_init(&f, 0);
	l = (struct later){ .q = &f.q[0], .delay_ms = 30 };
	t0 = now_ms();
	pthread_create(&t, NULL, push_later, &l);
	ret = wirecap_next_chunk(&f.q[0], &c, -1);	/* forever */
	dt = now_ms() - t0;
	pthread_join(t, NULL);
	tap_diag("woken after %llu ms", (unsigned long long)dt);
	CHECK(ret == 1 && wirecap_chunk_count(&c) == M);
	CHECK(dt >= 29 && dt < 2000);
	wirecap_chunk_release(&c);

	/* the session-wide wait, for the other queue */
	CHECK(wirecap_wait(&f.w, 0) == 0);
	l = (struct later){ .q = &f.q[1], .delay_ms = 20 };
	pthread_create(&t, NULL, push_later, &l);
	ret = wirecap_wait(&f.w, 2000);
	pthread_join(t, NULL);
	CHECK(ret == 1);
	CHECK(wirecap_next_chunk(&f.q[1], &c, 0) == 1);
	wirecap_chunk_release(&c);
	CHECK(wirecap_wait(&f.w, 10) == 0);
	fake_fini(&f);
	return 1;
}

static void count_pkt(void *user, const struct wirecap_pkt *p)
{
	uint32_t *seen = user;

	/* first data byte is the cell index (fake_init) */
	seen[seen[0] + 1] = p->data[0];
	seen[0]++;
}

static int t_dispatch(void)
{
	uint32_t seen[64] = { 0 };
	struct wirecap_chunk c;
	struct wirecap_desc d;
	struct fake f;
	unsigned int i;

	fake_init(&f, 0);
	CHECK(wirecap_dispatch(&f.q[0], 10, count_pkt, seen, 0) == 0);
	push(&f.q[0], 0, 0, 5, 1);	/* cells 0..4 */
	push(&f.q[0], 1, 0, 3, 2);	/* cells 8..10 */
	push(&f.q[0], 2, 4, 4, 3);	/* cells 20..23 */
	CHECK(wirecap_dispatch(&f.q[0], 4, count_pkt, seen, 0) == 4);
	CHECK(seen[0] == 4);
	/* the first chunk is cut: next_chunk must not skip its rest */
	CHECK(wirecap_next_chunk(&f.q[0], &c, 0) == -EBUSY);
	CHECK(wirecap_dispatch(&f.q[0], 0, count_pkt, seen, 0) == 8);
	CHECK(seen[0] == 12);
	{
		static const uint32_t want[12] = { 0, 1, 2, 3, 4, 8, 9, 10,
						   20, 21, 22, 23 };

		for (i = 0; i < 12; i++)
			CHECK(seen[i + 1] == want[i]);
	}
	for (i = 0; i < 3; i++) {
		CHECK(pop_recycled(&f.q[0], &d));
		CHECK(d.seq == i + 1);
	}
	CHECK(!pop_recycled(&f.q[0], &d));
	CHECK(wirecap_next_chunk(&f.q[0], &c, 0) == 0);
	CHECK(wirecap_dispatch(NULL, 1, count_pkt, seen, 0) == -EINVAL);
	fake_fini(&f);
	return 1;
}

static int t_error(void)
{
	struct wirecap_chunk c;
	struct fake f;

	fake_init(&f, 0);
	push(&f.q[0], 0, 0, M, 1);
	__atomic_store_n(&f.q[0].err, -ENODEV, __ATOMIC_RELEASE);
	/* what came before the error first, then the error */
	CHECK(wirecap_next_chunk(&f.q[0], &c, -1) == 1);
	wirecap_chunk_release(&c);
	CHECK(wirecap_next_chunk(&f.q[0], &c, -1) == -ENODEV);
	CHECK(wirecap_next_chunk(&f.q[0], &c, 0) == -ENODEV);
	CHECK(wirecap_wait(&f.w, -1) == 1);	/* a failed queue is news */
	fake_fini(&f);
	return 1;
}

static int t_kicks(void)
{
	struct wirecap_chunk c;
	struct fake f;

	fake_init(&f, 2);
	/* the thread is awake: releasing does not write the eventfd */
	push(&f.q[0], 0, 0, M, 1);
	CHECK(wirecap_next_chunk(&f.q[0], &c, 0) == 1);
	wirecap_chunk_release(&c);
	CHECK(efd_count(&f) == 0);
	/* the thread sleeps: a release wakes it, once */
	push(&f.q[0], 1, 0, M, 2);
	CHECK(wirecap_next_chunk(&f.q[0], &c, 0) == 1);
	wc_kick_prepare(&f.t[0].kick);
	wirecap_chunk_release(&c);
	CHECK(efd_count(&f) == 1);
	CHECK(f.t[0].kick.sleeping == 0);
	/* a stalled capture queue: taking a chunk makes room: wake */
	push(&f.q[0], 2, 0, M, 3);
	push(&f.q[0], 3, 0, M, 4);
	CHECK(!push(&f.q[0], 4, 0, M, 5));	/* full (capq_size 2) */
	__atomic_store_n(&f.q[0].capq.lane[0].stalled, 1, __ATOMIC_RELAXED);
	wc_kick_prepare(&f.t[0].kick);
	CHECK(wirecap_next_chunk(&f.q[0], &c, 0) == 1);
	CHECK(efd_count(&f) == 1);
	wirecap_chunk_release(&c);
	fake_fini(&f);
	return 1;
}

/* --- a million chunks through the pair, three threads ---------------------- */

struct flow {
	struct fake *f;
	uint32_t n;
	uint32_t bad;		/* recycler: first out-of-order seq + 1 */
	uint32_t app_bad;
	uint32_t done;
};

/* capture thread: pushes seq 0..n-1; recycler: checks they come back */
static void *flow_capture(void *arg)
{
	struct flow *fl = arg;
	struct wirecap_queue *q = &fl->f->q[0];
	uint32_t next = 0, back = 0;
	struct wirecap_desc d;

	while (back < fl->n) {
		if (next < fl->n &&
		    push(q, next % R, 0, 1 + next % M, next))
			next++;
		while (pop_recycled(q, &d)) {
			if (d.seq != back && !fl->bad)
				fl->bad = back + 1;
			back++;
		}
		if (next == fl->n || wc_lanes_count(&q->capq) == q->capq.size)
			sched_yield();
	}
	__atomic_store_n(&fl->done, 1, __ATOMIC_RELEASE);
	return NULL;
}

static int t_flow(void)
{
	struct flow fl = { .n = 1000000 };
	struct wirecap_chunk c;
	struct wirecap_pkt p;
	struct fake f;
	pthread_t t;
	uint32_t i;

	fake_init(&f, 64);
	fl.f = &f;
	pthread_create(&t, NULL, flow_capture, &fl);
	for (i = 0; i < fl.n; i++) {
		if (wirecap_next_chunk(&f.q[0], &c, -1) != 1) {
			fl.app_bad = i + 1;
			break;
		}
		if (c.desc.seq != i || wirecap_chunk_count(&c) != 1 + i % M ||
		    wirecap_chunk_pkt(&c, 0, &p) ||
		    p.data[0] != (uint8_t)((i % R) * M)) {
			fl.app_bad = i + 1;
			break;
		}
		wirecap_chunk_release(&c);
	}
	pthread_join(t, NULL);
	tap_diag("1000000 chunks: app slept %llu times",
		 (unsigned long long)f.q[0].as.sleeps);
	CHECK(!fl.app_bad && !fl.bad);
	CHECK(f.q[0].as.delivered == fl.n && f.q[0].as.released == fl.n);
	fake_fini(&f);
	return 1;
}

/* --- a shared queue: four readers, one producer -------------------------- */

#define SH_READERS	4
#define SH_N		200000

struct shared_run {
	struct fake f;
	uint8_t seen[SH_N];
	uint8_t chunk_of[SH_N];	/* the chunk id each seq was pushed with */
	uint32_t got;		/* chunks taken, all readers */
	uint32_t bad;
};

static void *shared_reader(void *arg)
{
	struct shared_run *sr = arg;
	struct wirecap_queue *q = &sr->f.q[0];
	struct wirecap_chunk c;

	while (__atomic_load_n(&sr->got, __ATOMIC_ACQUIRE) < SH_N) {
		if (wirecap_next_chunk(q, &c, 1) != 1)
			continue;
		if (c.desc.seq >= SH_N || c.queue != q ||
		    __atomic_fetch_add(&sr->seen[c.desc.seq], 1,
				       __ATOMIC_RELAXED))
			__atomic_fetch_add(&sr->bad, 1, __ATOMIC_RELAXED);
		wirecap_chunk_release(&c);
		__atomic_fetch_add(&sr->got, 1, __ATOMIC_RELEASE);
	}
	return NULL;
}

/*
 * Four threads read one shared queue while its "capture thread" pushes
 * and takes the releases back: every chunk read once, released once.
 */
static int t_shared(void)
{
	struct shared_run *sr = fake_zalloc(sizeof(*sr));
	struct wirecap_queue *q;
	pthread_t t[SH_READERS];
	struct wirecap_desc d;
	uint32_t next = 0, back = 0, i, nfree = R, free_ids[R];
	int wrong = 0;

	/* as the kernel: a chunk is handed out again only once it is back */
	for (i = 0; i < R; i++)
		free_ids[i] = i;
	fake_init(&sr->f, 64);
	q = &sr->f.q[0];
	CHECK(wirecap_queue_set_shared(q) == -EALREADY);	/* started */
	sr->f.w.started = false;
	CHECK(wirecap_queue_set_shared(q) == 0);
	sr->f.w.started = true;
	CHECK(wirecap_dispatch(q, 1, count_pkt, NULL, 0) == -EINVAL);
	for (i = 0; i < SH_READERS; i++)
		pthread_create(&t[i], NULL, shared_reader, sr);
	while (back < SH_N) {
		if (next < SH_N && nfree &&
		    push(q, free_ids[nfree - 1], 0, 1, next)) {
			sr->chunk_of[next] = (uint8_t)free_ids[--nfree];
			next++;
		}
		while (pop_recycled(q, &d)) {
			if (d.seq >= SH_N || nfree == R ||
			    d.chunk_id != sr->chunk_of[d.seq])
				wrong++;
			else
				free_ids[nfree++] = d.chunk_id;
			back++;
		}
		if (next == SH_N)
			sched_yield();
	}
	for (i = 0; i < SH_READERS; i++)
		pthread_join(t[i], NULL);
	for (i = 0; i < SH_N; i++)
		if (sr->seen[i] != 1)
			wrong++;
	CHECK(!wrong && !sr->bad);
	CHECK(q->as.delivered == SH_N && q->as.released == SH_N);
	fake_fini(&sr->f);
	free(sr);
	return 1;
}

/* --- the session's event fd ------------------------------------------------ */

static int t_event_fd(void)
{
	struct wirecap_desc d;
	struct pollfd pfd;
	struct fake f;
	uint64_t v;
	int fd;

	fake_init(&f, 0);
	fd = wirecap_event_fd(&f.w);
	CHECK(fd >= 0 && wirecap_event_fd(&f.w) == fd);	/* one */
	pfd = (struct pollfd){ .fd = fd, .events = POLLIN };
	CHECK(poll(&pfd, 1, 0) == 0);
	d = fake_desc(&f.q[1], 0, 0, 3, 1);
	CHECK(fake_publish(&f, &f.q[1], &d));
	wc_capture_move(&f.q[1]);		/* a chunk moved: readable */
	CHECK(poll(&pfd, 1, 0) == 1 && (pfd.revents & POLLIN));
	CHECK(read(fd, &v, sizeof(v)) == sizeof(v) && v == 1);
	CHECK(poll(&pfd, 1, 0) == 0);		/* reset by the read */
	wc_capture_move(&f.q[1]);		/* nothing new: stays quiet */
	CHECK(poll(&pfd, 1, 0) == 0);
	close(fd);
	f.w.efd = -1;
	fake_fini(&f);
	return 1;
}

/*
 * A queue that fails is news for whoever polls: the event fd turns
 * readable, and wirecap_wait() then reports the queue. Also when the fd
 * is made after the failure.
 */
static int t_event_fd_fail(void)
{
	struct wirecap_desc d;
	struct pollfd pfd;
	struct fake f;
	int fd, r1, r2, r3;
	uint64_t v;

	fake_init(&f, 0);
	fd = wirecap_event_fd(&f.w);
	pfd = (struct pollfd){ .fd = fd, .events = POLLIN };
	/* a descriptor outside the pool: the queue fails (-EPROTO) */
	d = fake_desc(&f.q[0], FAKE_R, 0, 1, 1);
	fake_publish(&f, &f.q[0], &d);
	wc_capture_move(&f.q[0]);
	r1 = poll(&pfd, 1, 0);
	r2 = wirecap_wait(&f.w, 0);
	close(fd);
	f.w.efd = -1;
	/* made later: readable at once */
	fd = wirecap_event_fd(&f.w);
	pfd = (struct pollfd){ .fd = fd, .events = POLLIN };
	r3 = poll(&pfd, 1, 0);
	if (r3 == 1 && read(fd, &v, sizeof(v)) != sizeof(v))
		r3 = -1;
	close(fd);
	f.w.efd = -1;
	fake_fini(&f);
	tap_diag("poll after the failure %d, wait %d, poll of a new fd %d",
		 r1, r2, r3);
	CHECK(r1 == 1);
	CHECK(r2 == 1);
	CHECK(r3 == 1);
	return 1;
}

/* --- API edges ------------------------------------------------------------ */

/*
 * Getters with NULL: -EINVAL (or NULL and errno), never a crash; the
 * unsigned ones (unsigned int since the 0.1 ABI) UINT_MAX and errno.
 */
static int t_getters_null(void)
{
	errno = 0;
	CHECK(wirecap_queue_ring(NULL) == UINT_MAX && errno == EINVAL);
	errno = 0;
	CHECK(wirecap_queue_index(NULL) == UINT_MAX && errno == EINVAL);
	errno = 0;
	CHECK(wirecap_queue_group(NULL) == UINT_MAX && errno == EINVAL);
	errno = 0;
	CHECK(wirecap_queue_ifname(NULL) == NULL && errno == EINVAL);
	errno = 0;
	CHECK(wirecap_queue_info(NULL) == NULL && errno == EINVAL);
	CHECK(wirecap_queue_stats(NULL, NULL) == -EINVAL);
	CHECK(wirecap_queue_set_shared(NULL) == -EINVAL);
	CHECK(wirecap_queue_count(NULL) == 0);
	return 1;
}

/* Buddies mean something in advanced mode only: basic mode says so. */
static int t_buddies_basic(void)
{
	const unsigned int one = 1;
	struct fake f;
	int basic, adv;

	fake_init(&f, 0);
	f.w.prepared = false;
	basic = wirecap_set_buddies(&f.w, 0, &one, 1);
	f.w.prepared = true;
	fake_fini(&f);
	fake_init_full(&f, 2, 1, WIRECAP_MODE_ADVANCED, 0, 0, NULL);
	f.w.prepared = false;
	adv = wirecap_set_buddies(&f.w, 0, &one, 1);
	f.w.prepared = true;
	fake_fini(&f);
	tap_diag("set_buddies: basic %d, advanced %d", basic, adv);
	CHECK(basic == -EINVAL);
	CHECK(adv == 0);
	return 1;
}

/*
 * A copy of a chunk released after the chunk itself, or an old copy
 * released after its chunk came back with a new stamp, sends nothing:
 * one record per view handed out.
 */
static int t_release_copy(void)
{
	struct wirecap_chunk c, copy, old;
	struct wirecap_qstats st = { .sz = sizeof(st) };
	struct wirecap_desc d;
	struct fake f;
	int n1 = 0, n2 = 0, seq2 = -1;

	fake_init(&f, 0);
	CHECK(push(&f.q[0], 3, 0, M, 7));
	CHECK(wirecap_next_chunk(&f.q[0], &c, 0) == 1);
	copy = c;
	old = c;
	wirecap_chunk_release(&c);
	wirecap_chunk_release(&copy);		/* the same view again */
	while (pop_recycled(&f.q[0], &d))
		n1++;
	/* the kernel hands the chunk out again, stamped 8 */
	CHECK(push(&f.q[0], 3, 0, M, 8));
	CHECK(wirecap_next_chunk(&f.q[0], &c, 0) == 1);
	wirecap_chunk_release(&old);		/* stale: stamp 7 */
	wirecap_chunk_release(&c);
	while (pop_recycled(&f.q[0], &d)) {
		n2++;
		seq2 = (int)d.seq;
	}
	st.chunks_released = f.q[0].as.released;
	fake_fini(&f);
	tap_diag("records: %d after a copy, %d (seq %d) after a stale copy",
		 n1, n2, seq2);
	CHECK(n1 == 1);
	CHECK(n2 == 1 && seq2 == 8);
	CHECK(st.chunks_released == 2);
	return 1;
}

/* --- pure logic and arguments ---------------------------------------------- */

static int parse_is(const char *s, int want, const unsigned int *q)
{
	unsigned int out[8];
	int n = wirecap_parse_queues(s, out, 8), i;

	if (n != want) {
		tap_diag("parse \"%s\": %d, want %d", s, n, want);
		return 0;
	}
	for (i = 0; i < n; i++)
		if (out[i] != q[i])
			return 0;
	return 1;
}

static int t_parse(void)
{
	CHECK(parse_is("0", 1, (unsigned int[]){ 0 }));
	CHECK(parse_is("0,2-3", 3, (unsigned int[]){ 0, 2, 3 }));
	CHECK(parse_is("5,1", 2, (unsigned int[]){ 5, 1 }));
	CHECK(parse_is("2-2", 1, (unsigned int[]){ 2 }));
	CHECK(parse_is("0-7", 8, (unsigned int[]){ 0, 1, 2, 3, 4, 5, 6, 7 }));
	CHECK(parse_is("0-8", -E2BIG, NULL));
	CHECK(parse_is("", -EINVAL, NULL));
	CHECK(parse_is("3-1", -EINVAL, NULL));
	CHECK(parse_is("1,1", -EINVAL, NULL));
	CHECK(parse_is("0-2,1", -EINVAL, NULL));
	CHECK(parse_is("1,", -EINVAL, NULL));
	CHECK(parse_is(",1", -EINVAL, NULL));
	CHECK(parse_is("1-", -EINVAL, NULL));
	CHECK(parse_is("a", -EINVAL, NULL));
	CHECK(parse_is("-1", -EINVAL, NULL));
	CHECK(parse_is("1 ", -EINVAL, NULL));
	CHECK(parse_is("70000", -EINVAL, NULL));
	CHECK(wirecap_parse_queues(NULL, NULL, 0) == -EINVAL);
	return 1;
}

static int logged, logged_level;

static void log_cb(void *ctx, int level, const char *msg)
{
	(void)msg;
	logged++;
	logged_level = level;
	*(int *)ctx = 1;
}

static int open_errno(const char *ifname, const unsigned int *q,
		      unsigned int nr, const struct wirecap_opts *o)
{
	struct wirecap *w;

	errno = 0;
	w = wirecap_open(ifname, q, nr, o);
	if (w) {
		wirecap_close(w);
		return 0;
	}
	return errno;
}

static int t_open_args(void)
{
	struct {
		struct wirecap_opts o;
		uint64_t newer[2];	/* a newer caller's extra fields */
	} big = { 0 };
	char stderr_path[] = "/tmp/libwirecap-stderr-XXXXXX";
	int ctx = 0, fd, saved;
	struct stat st;
	unsigned int twice[2] = { 1, 1 };
	WIRECAP_OPTS(o, .log = log_cb, .log_ctx = &ctx);
	WIRECAP_OPTS(bad_capq, .capq_size = 3);
	struct wirecap_opts tiny = { .sz = 2 };

	/* the library must not print: catch fd 2 meanwhile */
	fd = mkstemp(stderr_path);
	CHECK(fd >= 0);
	fflush(stderr);
	saved = dup(2);
	dup2(fd, 2);

	CHECK(open_errno(NULL, NULL, 0, NULL) == EINVAL);
	CHECK(open_errno("", NULL, 0, NULL) == EINVAL);
	CHECK(open_errno("a-very-long-interface-name", NULL, 0, NULL) ==
	      EINVAL);
	CHECK(open_errno("../x", NULL, 0, NULL) == EINVAL);
	CHECK(open_errno("nonic0", twice, 2, NULL) == EINVAL);
	CHECK(open_errno("nonic0", twice, 0, NULL) == EINVAL);
	CHECK(open_errno("nonic0", NULL, 0, &tiny) == EINVAL);
	CHECK(open_errno("nonic0", NULL, 0, &bad_capq) == EINVAL);
	big.o.sz = sizeof(big);
	CHECK(open_errno("nonic0", NULL, 0, &big.o) == ENOENT);
	big.newer[1] = 1;
	CHECK(open_errno("nonic0", NULL, 0, &big.o) == EINVAL);
	/* good options, no such device; the failure is logged */
	CHECK(open_errno("nonic0", NULL, 0, &o) == ENOENT);
	CHECK(ctx == 1 && logged_level == WIRECAP_LOG_ERR);
	wirecap_close(NULL);
	CHECK(wirecap_queue_count(NULL) == 0);
	CHECK(wirecap_queue(NULL, 0) == NULL);
	CHECK(wirecap_start(NULL) == -EINVAL);
	CHECK(wirecap_wait(NULL, 0) == -EINVAL);
	CHECK(wirecap_next_chunk(NULL, NULL, 0) == -EINVAL);

	fflush(stderr);
	dup2(saved, 2);
	close(saved);
	fstat(fd, &st);
	close(fd);
	unlink(stderr_path);
	CHECK(st.st_size == 0);
	return 1;
}

int main(void)
{
	tap_plan(15);
	tap_run("next_chunk, chunk_pkt, release", t_next_and_pkt);
	tap_run("next_chunk times out", t_timeout);
	tap_run("a sleeping reader is woken; wirecap_wait", t_wakeup);
	tap_run("dispatch cuts and continues chunks in order", t_dispatch);
	tap_run("a failed queue: chunks first, then the error", t_error);
	tap_run("release and room wake a sleeping capture thread", t_kicks);
	tap_run("a million chunks through the work-queue pair", t_flow);
	tap_run("a shared queue: four readers, every chunk once", t_shared);
	tap_run("the event fd turns readable when chunks arrive", t_event_fd);
	tap_run("the event fd turns readable when a queue fails",
		t_event_fd_fail);
	tap_run("queue getters take NULL", t_getters_null);
	tap_run("wirecap_set_buddies() in basic mode: -EINVAL",
		t_buddies_basic);
	tap_run("releasing a copy of a chunk sends no second record",
		t_release_copy);
	tap_run("wirecap_parse_queues", t_parse);
	tap_run("wirecap_open checks arguments, never prints", t_open_args);
	return tap_exit();
}
