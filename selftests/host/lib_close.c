// SPDX-License-Identifier: BSD-2-Clause
/*
 * Host tests of wirecap_close() against readers still in the session
 * (lib/wirecap.c, lib/chunk.c). The session is built on the heap the way
 * wirecap_open() leaves it, so that wirecap_close() frees it for real
 * (its pool and control area are anonymous mappings, no device, no
 * capture thread runs); the test plays the capture thread.
 *
 *   close_dispatch   a reader asleep in wirecap_dispatch(q, 0, cb, -1)
 *                    gets a chunk and is in its callback when another
 *                    thread calls wirecap_close(): close waits until
 *                    dispatch has returned, so no callback runs after
 *                    close returned and nothing freed is touched (it used
 *                    to count only the wait: close freed the pool under
 *                    the callback, then the queue under dispatch)
 *   close_sleepers   readers asleep in wirecap_next_chunk() and
 *                    wirecap_wait() return -ESHUTDOWN, and close returns
 *                    after they left
 *
 * Built with ASan+UBSan and TSan: a use after free is their report.
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <sys/mman.h>
#include <unistd.h>

#include "tap.h"
#include "lib_fake.h"

#define GIVE_MS	10000

/* What wirecap_open() and wirecap_start() would leave: one queue. */
static struct wirecap *heap_session(void)
{
	size_t ctl = 4096 + FAKE_DRING * sizeof(struct wirecap_desc) +
		     FAKE_R * FAKE_M * sizeof(struct wirecap_cell_meta);
	struct wirecap *w = calloc(1, sizeof(*w));
	struct wirecap_queue *q = fake_zalloc(sizeof(*q));
	struct wc_thread *t = fake_zalloc(sizeof(*t));
	struct wirecap_cell_meta *meta;
	unsigned int c;

	if (!w || !q || !t)
		abort();
	pthread_mutex_init(&w->lock, NULL);
	pthread_cond_init(&w->cond, NULL);
	w->efd = -1;
	w->node = -1;
	w->opts.offload_pct = WC_DEFAULT_OFFLOAD_PCT;
	w->nnics = 1;
	w->nics[0].nic_id = 7;
	strcpy(w->nics[0].ifname, "fake0");
	w->nics[0].nr_by_ring = 11;
	w->nics[0].by_ring = calloc(11, sizeof(*w->nics[0].by_ring));
	w->nics[0].by_ring[10] = q;
	w->queues = malloc(sizeof(*w->queues));
	w->queues[0] = q;
	w->nq = 1;
	w->threads = t;
	w->nt = 1;
	t->w = w;
	t->queues = calloc(1, sizeof(*t->queues));
	t->queues[0] = q;
	t->nq = 1;
	t->kick.efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	q->w = w;
	q->nic = &w->nics[0];
	q->thread = t;
	q->fd = -1;
	q->info.nic_id = 7;
	q->info.ring_id = 10;
	q->info.cells_per_chunk = FAKE_M;
	q->info.nr_chunks = FAKE_R;
	q->info.cell_size = FAKE_CELL;
	q->info.frame_offset = FAKE_FOFF;
	q->info.desc_ring_size = FAKE_DRING;
	wc_queue_geometry(q);
	q->ctrl_len = ctl;
	q->ctrl = mmap(NULL, ctl, PROT_READ | PROT_WRITE,
		       MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	q->pool_len = (size_t)FAKE_R * FAKE_M * FAKE_CELL;
	q->pool = mmap(NULL, q->pool_len, PROT_READ | PROT_WRITE,
		       MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (q->ctrl == MAP_FAILED || q->pool == MAP_FAILED)
		abort();
	q->hdr = q->ctrl;
	q->descs = (void *)((char *)q->ctrl + 4096);
	meta = (void *)((char *)q->ctrl + 4096 +
			FAKE_DRING * sizeof(struct wirecap_desc));
	for (c = 0; c < FAKE_R * FAKE_M; c++)
		meta[c].len = 60;
	q->meta = meta;
	wc_offload_plan(w);
	wc_queue_rings(q, 0, -1);
	w->prepared = true;
	w->started = true;
	return w;
}

struct reader {
	struct wirecap *w;
	int what;		/* 0 dispatch, 1 next_chunk, 2 wait */
	pthread_t t;
	int ret;
};

static int closed;		/* wirecap_close() returned */
static int cb_after_close;	/* a callback saw it */

static void slow_cb(void *user, const struct wirecap_pkt *p)
{
	unsigned int *n = user;

	if (!(*n)++)
		usleep(2000);	/* close runs meanwhile */
	if (__atomic_load_n(&closed, __ATOMIC_ACQUIRE)) {
		__atomic_store_n(&cb_after_close, 1, __ATOMIC_RELEASE);
		return;		/* p->data is in an unmapped pool */
	}
	(void)*(volatile const uint8_t *)p->data;
}

static void *reader(void *arg)
{
	struct reader *r = arg;
	struct wirecap_queue *q = wirecap_queue(r->w, 0);
	struct wirecap_chunk c;
	unsigned int n = 0;

	switch (r->what) {
	case 0:
		r->ret = wirecap_dispatch(q, 0, slow_cb, &n, -1);
		break;
	case 1:
		r->ret = wirecap_next_chunk(q, &c, -1);
		break;
	default:
		r->ret = wirecap_wait(r->w, -1);
		break;
	}
	return NULL;
}

/* Wait up to 10 s for *word to reach v. */
static int reaches(const void *word, size_t size, uint64_t v)
{
	unsigned int ms;

	for (ms = 0; ms < GIVE_MS * 10; ms++) {
		uint64_t now = size == 8 ?
			__atomic_load_n((const uint64_t *)word,
					__ATOMIC_ACQUIRE) :
			__atomic_load_n((const uint32_t *)word,
					__ATOMIC_ACQUIRE);

		if (now == v)
			return 1;
		usleep(100);
	}
	return 0;
}

static int t_close_dispatch(void)
{
	int it, late = 0, got = 0;

	for (it = 0; it < 20; it++) {
		struct wirecap *w = heap_session();
		struct wirecap_queue *q = wirecap_queue(w, 0);
		struct reader r = { .w = w, .what = 0 };

		__atomic_store_n(&closed, 0, __ATOMIC_RELEASE);
		pthread_create(&r.t, NULL, reader, &r);
		CHECK(reaches(&q->waiter.sleepers, 4, 1));
		CHECK(push(q, 0, 0, FAKE_M, 1));
		/* the reader took it: it is in (or about to call) cb */
		CHECK(reaches(&q->as.delivered, 8, 1));
		wirecap_close(w);
		__atomic_store_n(&closed, 1, __ATOMIC_RELEASE);
		pthread_join(r.t, NULL);
		late += __atomic_load_n(&cb_after_close, __ATOMIC_ACQUIRE);
		got += r.ret == FAKE_M;
		__atomic_store_n(&cb_after_close, 0, __ATOMIC_RELEASE);
	}
	tap_diag("20 closes under dispatch: %d callbacks after close "
		 "returned; dispatch returned the chunk %d times", late, got);
	CHECK(!late);
	CHECK(got == 20);
	return 1;
}

static int t_close_sleepers(void)
{
	struct wirecap *w = heap_session();
	struct wirecap_queue *q = wirecap_queue(w, 0);
	struct reader r[2] = { { .w = w, .what = 1 }, { .w = w, .what = 2 } };
	int i;

	for (i = 0; i < 2; i++)
		pthread_create(&r[i].t, NULL, reader, &r[i]);
	CHECK(reaches(&q->waiter.sleepers, 4, 1));
	CHECK(reaches(&w->waiter.sleepers, 4, 1));
	wirecap_close(w);
	for (i = 0; i < 2; i++) {
		pthread_join(r[i].t, NULL);
		CHECK(r[i].ret == -ESHUTDOWN);
	}
	return 1;
}

int main(void)
{
	tap_plan(2);
	tap_run("wirecap_close() waits for a reader in dispatch's callback",
		t_close_dispatch);
	tap_run("wirecap_close() ends the waits of sleeping readers first",
		t_close_sleepers);
	return tap_exit();
}
