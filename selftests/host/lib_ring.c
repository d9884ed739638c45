// SPDX-License-Identifier: BSD-2-Clause
/*
 * Host unit tests of the work-queue ring (lib/ring.h) and of the
 * sleep/wake protocols (lib/wait.h), built twice: under ASan+UBSan and
 * under TSan (make host-tests). The stress tests run a producer and a
 * consumer thread over tens of millions of sequence numbers and check
 * that every one arrives once, in order; the wake tests make the consumer
 * sleep whenever the ring is empty and fail on any lost wakeup.
 *
 *   LIB_RING_ITEMS=N   items of the big stress test (default 20000000)
 */
#define _GNU_SOURCE
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <stdint.h>
#include <string.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#include "tap.h"
#include "ring.h"
#include "wait.h"

static uint64_t slots_buf[1 << 12];

static int t_init(void)
{
	struct wc_ring r;

	CHECK(wc_ring_init(&r, slots_buf, 0, 8) == -EINVAL);
	CHECK(wc_ring_init(&r, slots_buf, 3, 8) == -EINVAL);
	CHECK(wc_ring_init(&r, slots_buf, 8, 0) == -EINVAL);
	CHECK(wc_ring_init(&r, NULL, 8, 8) == -EINVAL);
	CHECK(wc_ring_init(&r, slots_buf, 1, 8) == 0);
	CHECK(wc_ring_init(&r, slots_buf, 8, 8) == 0);
	CHECK(r.size == 8 && r.mask == 7);
	CHECK(((uintptr_t)&r.prod / WC_CACHELINE) !=
	      ((uintptr_t)&r.cons / WC_CACHELINE));
	return 1;
}

static uint64_t *slot(struct wc_ring *r, uint32_t i)
{
	return wc_ring_slot(r, i);
}

static int t_fifo(void)
{
	struct wc_ring r;
	uint32_t idx, n, i;

	wc_ring_init(&r, slots_buf, 8, sizeof(uint64_t));
	CHECK(wc_ring_peek(&r, 4, &idx) == 0);
	CHECK(wc_ring_empty(&r));
	CHECK(wc_ring_reserve(&r, 3, &idx) == 3);
	for (i = 0; i < 3; i++)
		*slot(&r, idx + i) = 100 + i;
	/* reserved but not submitted: invisible */
	CHECK(wc_ring_peek(&r, 4, &idx) == 0);
	wc_ring_submit(&r, 3);
	CHECK(wc_ring_count(&r) == 3);
	n = wc_ring_peek(&r, 8, &idx);
	CHECK(n == 3);
	for (i = 0; i < n; i++)
		CHECK(*slot(&r, idx + i) == 100 + i);
	wc_ring_release(&r, n);
	CHECK(wc_ring_count(&r) == 0);
	CHECK(wc_ring_empty(&r));
	return 1;
}

static int t_full(void)
{
	struct wc_ring r;
	uint32_t idx;

	wc_ring_init(&r, slots_buf, 4, sizeof(uint64_t));
	CHECK(wc_ring_reserve(&r, 6, &idx) == 4);	/* partial */
	wc_ring_submit(&r, 4);
	CHECK(wc_ring_reserve(&r, 1, &idx) == 0);	/* full */
	CHECK(wc_ring_free(&r) == 0);
	CHECK(wc_ring_peek(&r, 1, &idx) == 1);
	/* peeked but not released: still full for the producer */
	CHECK(wc_ring_reserve(&r, 1, &idx) == 0);
	wc_ring_release(&r, 1);
	CHECK(wc_ring_free(&r) == 1);
	CHECK(wc_ring_reserve(&r, 2, &idx) == 1);
	wc_ring_submit(&r, 1);
	CHECK(wc_ring_count(&r) == 4);
	return 1;
}

static int t_cancel_unpeek(void)
{
	struct wc_ring r;
	uint32_t idx, n;

	wc_ring_init(&r, slots_buf, 8, sizeof(uint64_t));
	CHECK(wc_ring_reserve(&r, 5, &idx) == 5);
	*slot(&r, idx) = 7;
	*slot(&r, idx + 1) = 8;
	wc_ring_cancel(&r, 3);
	wc_ring_submit(&r, 2);
	n = wc_ring_peek(&r, 8, &idx);
	CHECK(n == 2 && *slot(&r, idx) == 7);
	wc_ring_unpeek(&r, 1);
	wc_ring_release(&r, 1);
	n = wc_ring_peek(&r, 8, &idx);
	CHECK(n == 1 && *slot(&r, idx) == 8);
	wc_ring_release(&r, 1);
	CHECK(wc_ring_reserve(&r, 8, &idx) == 8);
	return 1;
}

/* Indices are free-running: start just below 2^32 and cross it. */
static void ring_at(struct wc_ring *r, uint32_t size, uint32_t start)
{
	wc_ring_init(r, slots_buf, size, sizeof(uint64_t));
	r->prod = r->prod_next = r->prod_cons = start;
	r->cons = r->cons_next = r->cons_prod = start;
}

static int t_wrap(void)
{
	struct wc_ring r;
	uint32_t idx, i, k;
	uint64_t next = 0, expect = 0;

	ring_at(&r, 8, UINT32_MAX - 20);
	for (k = 0; k < 20; k++) {
		uint32_t n = wc_ring_reserve(&r, 5, &idx);

		CHECK(n == 5);
		for (i = 0; i < n; i++)
			*slot(&r, idx + i) = next++;
		wc_ring_submit(&r, n);
		CHECK(wc_ring_count(&r) == 5);
		n = wc_ring_peek(&r, 8, &idx);
		CHECK(n == 5);
		for (i = 0; i < n; i++)
			CHECK(*slot(&r, idx + i) == expect++);
		wc_ring_release(&r, n);
	}
	CHECK(r.prod < 100);		/* it did wrap */
	return 1;
}

/* --- two threads ---------------------------------------------------------- */

struct stress {
	struct wc_ring r;
	uint64_t items;
	uint64_t bad;		/* consumer: first wrong value + 1 */
	uint64_t got;
	uint64_t sleeps, lost;
	struct wc_waiter waiter;
	struct wc_kick kick;
	int mode;		/* 0 spin, 1 futex waiter, 2 eventfd kick */
};

static uint32_t rnd(uint32_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 17;
	*s ^= *s << 5;
	return *s;
}

static void *producer(void *arg)
{
	struct stress *s = arg;
	uint32_t seed = 0x9e3779b9, spins = 0;
	uint64_t next = 0;

	while (next < s->items) {
		uint32_t want = 1 + rnd(&seed) % 37, idx, n, i, keep;

		if (want > s->items - next)
			want = (uint32_t)(s->items - next);
		n = wc_ring_reserve(&s->r, want, &idx);
		if (!n) {
			if (++spins % 64 == 0)
				sched_yield();
			continue;
		}
		/* sometimes give back part of a reservation */
		keep = (rnd(&seed) % 8 == 0) ? 1 + rnd(&seed) % n : n;
		for (i = 0; i < keep; i++)
			*(uint64_t *)wc_ring_slot(&s->r, idx + i) = next++;
		wc_ring_cancel(&s->r, n - keep);
		wc_ring_submit(&s->r, keep);
		if (s->mode == 1)
			wc_wake(&s->waiter);
		else if (s->mode == 2)
			wc_kick(&s->kick);
		/* let the consumer find the ring empty now and then */
		if (s->mode && rnd(&seed) % 64 == 0)
			usleep(rnd(&seed) % 50);
	}
	return NULL;
}

/* Sleep until the producer publishes; count lost wakeups. */
static void consumer_sleep(struct stress *s)
{
	if (s->mode == 1) {
		struct timespec dl;
		uint32_t seq;
		int ret;

		wc_wait_enter(&s->waiter);
		seq = wc_wait_seq(&s->waiter);
		if (!wc_ring_empty(&s->r)) {
			wc_wait_leave(&s->waiter);
			return;
		}
		s->sleeps++;
		wc_deadline(&dl, 2000);
		ret = wc_wait_sleep(&s->waiter, seq, &dl);
		wc_wait_leave(&s->waiter);
		if (ret == -ETIMEDOUT)
			s->lost++;	/* the producer never pauses 2 s */
	} else {
		struct pollfd p = { .fd = s->kick.efd, .events = POLLIN };
		uint64_t v;

		wc_kick_prepare(&s->kick);
		if (!wc_ring_empty(&s->r)) {
			wc_kick_finish(&s->kick);
			return;
		}
		s->sleeps++;
		if (poll(&p, 1, 2000) == 0)
			s->lost++;
		else if (read(s->kick.efd, &v, sizeof(v)) < 0)
			s->lost++;
		wc_kick_finish(&s->kick);
	}
}

static void *consumer(void *arg)
{
	struct stress *s = arg;
	uint32_t seed = 0x2545f491, spins = 0;
	uint64_t expect = 0;

	while (expect < s->items && !s->bad && s->lost < 3) {
		uint32_t want = 1 + rnd(&seed) % 41, idx, n, i, use;

		n = wc_ring_peek(&s->r, want, &idx);
		if (!n) {
			if (s->mode)
				consumer_sleep(s);
			else if (++spins % 64 == 0)
				sched_yield();
			continue;
		}
		use = (rnd(&seed) % 8 == 0) ? 1 + rnd(&seed) % n : n;
		for (i = 0; i < use; i++) {
			uint64_t v = *(uint64_t *)wc_ring_slot(&s->r, idx + i);

			if (v != expect) {
				s->bad = expect + 1;
				break;
			}
			expect++;
		}
		wc_ring_unpeek(&s->r, n - use);
		wc_ring_release(&s->r, use);
	}
	s->got = expect;
	return NULL;
}

static int run_stress(uint32_t size, uint32_t start, uint64_t items, int mode)
{
	static uint64_t buf[1 << 10];
	struct stress *s = calloc(1, sizeof(*s));
	pthread_t p, c;
	int ok;

	CHECK(s && size <= (1 << 10));
	wc_ring_init(&s->r, buf, size, sizeof(uint64_t));
	s->r.prod = s->r.prod_next = s->r.prod_cons = start;
	s->r.cons = s->r.cons_next = s->r.cons_prod = start;
	s->items = items;
	s->mode = mode;
	s->kick.efd = mode == 2 ? eventfd(0, EFD_CLOEXEC) : -1;
	pthread_create(&c, NULL, consumer, s);
	pthread_create(&p, NULL, producer, s);
	pthread_join(p, NULL);
	pthread_join(c, NULL);
	if (s->kick.efd >= 0)
		close(s->kick.efd);
	tap_diag("size %u, %llu items: got %llu, consumer slept %llu times, "
		 "lost wakeups %llu", size, (unsigned long long)items,
		 (unsigned long long)s->got, (unsigned long long)s->sleeps,
		 (unsigned long long)s->lost);
	if (s->bad)
		tap_diag("wrong value where %llu was expected",
			 (unsigned long long)s->bad - 1);
	ok = !s->bad && s->got == items && !s->lost &&
	     (!mode || s->sleeps > 0);
	free(s);
	return ok;
}

#define STRESS_ITEMS	20000000ull

static uint64_t stress_items(void)
{
	const char *e = getenv("LIB_RING_ITEMS");

	return e ? strtoull(e, NULL, 0) : STRESS_ITEMS;
}

static int t_stress(void)
{
	return run_stress(256, 0, stress_items(), 0);
}

static int t_stress_tiny(void)
{
	return run_stress(2, 0, stress_items() / 10, 0);
}

static int t_stress_wrap(void)
{
	return run_stress(64, UINT32_MAX - 1000, stress_items() / 5, 0);
}

static int t_waiter(void)
{
	return run_stress(64, 0, 300000, 1);
}

static int t_kick(void)
{
	return run_stress(64, UINT32_MAX - 5000, 300000, 2);
}

int main(void)
{
	tap_plan(10);
	tap_run("init rejects bad geometry", t_init);
	tap_run("reserve/submit/peek/release in order", t_fifo);
	tap_run("full and partial reservations", t_full);
	tap_run("cancel and unpeek", t_cancel_unpeek);
	tap_run("free-running indices wrap at 2^32", t_wrap);
	tap_run("two threads, tens of millions, order and no loss", t_stress);
	tap_run("two threads, ring of 2", t_stress_tiny);
	tap_run("two threads across the index wrap", t_stress_wrap);
	tap_run("futex waiter: consumer sleeps, no lost wakeup", t_waiter);
	tap_run("eventfd kick: consumer sleeps, no lost wakeup", t_kick);
	return tap_exit();
}
