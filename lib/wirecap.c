// SPDX-License-Identifier: BSD-2-Clause
/*
 * The session: open the queues, start and stop the capture threads, close.
 * Options, logging, and the session-wide wait.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "internal.h"

void wc_log(const struct wirecap *w, int level, const char *fmt, ...)
{
	char msg[256];
	va_list ap;

	if (!w || !w->opts.log)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	w->opts.log(w->opts.log_ctx, level, msg);
}

/* Copy the caller's options (any size) and fill in the defaults. */
static int opts_resolve(struct wirecap_opts *out, const struct wirecap_opts *in)
{
	memset(out, 0, sizeof(*out));
	if (in) {
		const unsigned char *b = (const void *)in;
		size_t i;

		if (in->sz < sizeof(in->sz))
			return -EINVAL;
		/* a newer caller's fields we do not know must be unused */
		for (i = sizeof(*out); i < in->sz; i++)
			if (b[i])
				return -EINVAL;
		memcpy(out, in, in->sz < sizeof(*out) ? in->sz : sizeof(*out));
	}
	out->sz = sizeof(*out);
	if (!out->timeout_us)
		out->timeout_us = WC_DEFAULT_TIMEOUT_US;
	if (!out->batch)
		out->batch = WC_DEFAULT_BATCH;
	if (out->capq_size & (out->capq_size - 1))
		return -EINVAL;
	/* the kernel checks it against the NIC's sizes; all are 2^n */
	if (out->cell_size & (out->cell_size - 1))
		return -EINVAL;
	if (out->capq_size > (1u << 24) || out->numa_node < WIRECAP_NUMA_NONE)
		return -EINVAL;
	if (out->mode > WIRECAP_MODE_FLOW || out->offload_pct > 100)
		return -EINVAL;
	if (!out->offload_pct)
		out->offload_pct = WC_DEFAULT_OFFLOAD_PCT;
	return 0;
}

/* The node to place threads and work queues on, or -1. */
static int resolve_node(const struct wirecap *w)
{
	int node = w->opts.numa_node;

	if (node == WIRECAP_NUMA_NONE)
		return -1;
	node = node ? node - 1 : w->queues[0]->info.numa_node;
	if (node < 0 || node > wc_numa_max_node())
		return -1;
	return node;
}

static void free_session(struct wirecap *w)
{
	unsigned int i;

	if (w->threads)
		for (i = 0; i < w->nt; i++)
			free(w->threads[i].queues);
	free(w->threads);
	for (i = 0; i < w->nnics; i++)
		free(w->nics[i].by_ring);
	for (i = 0; i < w->nq; i++)
		free(w->queues[i]);
	free(w->queues);
	if (w->efd >= 0)
		close(w->efd);
	pthread_cond_destroy(&w->cond);
	pthread_mutex_destroy(&w->lock);
	free(w);
}

/* Which of our queues is ring N of each NIC (chunks say their ring). */
static int map_rings(struct wirecap *w)
{
	unsigned int i, k;

	for (k = 0; k < w->nnics; k++) {
		struct wc_nic *nic = &w->nics[k];
		unsigned int n = 0;

		for (i = 0; i < w->nq; i++)
			if (w->queues[i]->nic == nic &&
			    w->queues[i]->info.ring_id >= n)
				n = w->queues[i]->info.ring_id + 1;
		free(nic->by_ring);
		nic->by_ring = calloc(n ? n : 1, sizeof(*nic->by_ring));
		if (!nic->by_ring)
			return -ENOMEM;
		nic->nr_by_ring = n;
		for (i = 0; i < w->nq; i++)
			if (w->queues[i]->nic == nic)
				nic->by_ring[w->queues[i]->info.ring_id] =
					w->queues[i];
	}
	return 0;
}

/* One capture thread per CPU of the node, at most one per queue. */
static int plan_threads(struct wirecap *w)
{
	unsigned int nt = w->opts.capture_threads, i;

	if (!nt) {
		int cpus = wc_numa_cpus(w->node);

		nt = cpus > 0 ? (unsigned int)cpus : 1;
	}
	if (nt > w->nq)
		nt = w->nq;
	/* each thread on cache lines of its own (struct wc_thread) */
	w->threads = aligned_alloc(WC_CACHELINE, nt * sizeof(*w->threads));
	if (!w->threads)
		return -ENOMEM;
	memset(w->threads, 0, nt * sizeof(*w->threads));
	w->nt = nt;
	for (i = 0; i < nt; i++) {
		struct wc_thread *t = &w->threads[i];

		t->w = w;
		t->index = i;
		t->kick.efd = -1;
		t->queues = calloc(w->nq / nt + 1, sizeof(*t->queues));
		if (!t->queues)
			return -ENOMEM;
	}
	/* queue i to thread i % nt: neighbours spread over the threads */
	for (i = 0; i < w->nq; i++) {
		struct wc_thread *t = &w->threads[i % nt];

		w->queues[i]->thread = t;
		t->queues[t->nq++] = w->queues[i];
	}
	return 0;
}

/* Open queues[0..nr) (NULL: all) of ifname into w. 0 or -errno; undone. */
static int add_nic(struct wirecap *w, const char *ifname,
		   const unsigned int *queues, unsigned int nr)
{
	struct wirecap_queue **qs, *q;
	unsigned int i, j, want, first = w->nq;
	bool known = false;
	struct wc_nic *nic;
	int ret;

	if (!ifname || !*ifname || strlen(ifname) >= WIRECAP_IFNAMSIZ ||
	    strchr(ifname, '/') || (queues && !nr))
		return -EINVAL;
	for (i = 0; queues && i < nr; i++)
		for (j = 0; j < i; j++)
			if (queues[i] == queues[j])
				return -EINVAL;
	/* a NIC already here: more of its queues, named */
	for (i = 0; i < w->nnics; i++)
		if (!strcmp(w->nics[i].ifname, ifname))
			break;
	if (i < w->nnics) {
		if (!queues)
			return -EEXIST;
		nic = &w->nics[i];
		known = true;
	} else {
		if (w->nnics == WC_MAX_NICS)
			return -E2BIG;
		nic = &w->nics[w->nnics];
		memset(nic, 0, sizeof(*nic));
		strcpy(nic->ifname, ifname);
	}

	/* all queues: the first one says how many there are */
	want = queues ? nr : 1;
	for (i = 0; i < want; i++) {
		q = aligned_alloc(WC_CACHELINE, sizeof(*q));
		if (!q) {
			ret = -ENOMEM;
			goto err;
		}
		memset(q, 0, sizeof(*q));
		ret = wc_queue_open(w, nic, q, queues ? queues[i] : i);
		if (ret) {
			free(q);
			goto err;
		}
		if (!i && !known) {
			if (!queues)
				want = q->info.nr_rings ? q->info.nr_rings : 1;
			/* the same NIC under another name? */
			for (j = 0; j < w->nnics; j++)
				if (w->nics[j].nic_id == q->info.nic_id)
					ret = -EEXIST;
			nic->nic_id = q->info.nic_id;
		}
		qs = ret ? NULL : realloc(w->queues, (w->nq + 1) * sizeof(*qs));
		if (!qs) {
			wc_queue_close(q);
			free(q);
			ret = ret ? ret : -ENOMEM;
			goto err;
		}
		w->queues = qs;
		q->index = w->nq;
		w->queues[w->nq++] = q;
	}
	if (!known)
		w->nnics++;
	return 0;

err:
	while (w->nq > first) {
		q = w->queues[--w->nq];
		wc_queue_close(q);
		free(q);
	}
	return ret;
}

WC_EXPORT
struct wirecap *wirecap_open(const char *ifname, const unsigned int *queues,
			     unsigned int nr, const struct wirecap_opts *opts)
{
	struct wirecap *w;
	int ret;

	w = calloc(1, sizeof(*w));
	if (!w) {
		errno = ENOMEM;
		return NULL;
	}
	pthread_mutex_init(&w->lock, NULL);
	pthread_cond_init(&w->cond, NULL);
	w->efd = -1;
	ret = opts_resolve(&w->opts, opts);
	if (!ret)
		ret = add_nic(w, ifname, queues, nr);
	if (ret) {
		free_session(w);
		errno = -ret;
		return NULL;
	}
	return w;
}

WC_EXPORT
int wirecap_add_nic(struct wirecap *w, const char *ifname,
		    const unsigned int *queues, unsigned int nr)
{
	if (!w)
		return -EINVAL;
	if (w->prepared)
		return -EALREADY;
	return add_nic(w, ifname, queues, nr);
}

WC_EXPORT
int wirecap_set_buddies(struct wirecap *w, unsigned int i,
			const unsigned int *buddies, unsigned int n)
{
	unsigned int *b = NULL, k, j;

	if (!w || i >= w->nq || (n && !buddies))
		return -EINVAL;
	if (w->prepared)
		return -EALREADY;
	if (!wc_grouped(w))
		return -EINVAL;		/* basic mode: chunks stay home */
	for (k = 0; k < n; k++) {
		if (buddies[k] >= w->nq || buddies[k] == i)
			return -EINVAL;
		for (j = 0; j < k; j++)
			if (buddies[j] == buddies[k])
				return -EINVAL;
	}
	if (n) {
		b = malloc(n * sizeof(*b));
		if (!b)
			return -ENOMEM;
		memcpy(b, buddies, n * sizeof(*b));
	}
	free(w->queues[i]->buddies);
	w->queues[i]->buddies = b;
	w->queues[i]->nbuddies = n;
	w->queues[i]->buddies_set = true;
	return 0;
}

/*
 * Once, at start: chunk owners, placement, the threads' queues, buddy
 * lists and groups, then the work queues (their lanes depend on all that).
 */
static int prepare(struct wirecap *w)
{
	unsigned int i;
	int ret;

	if (w->prepared)
		return 0;
	ret = map_rings(w);
	if (ret)
		return ret;
	w->node = resolve_node(w);
	ret = plan_threads(w);
	if (!ret)
		ret = wc_offload_plan(w);
	for (i = 0; !ret && i < w->nq; i++)
		ret = wc_queue_rings(w->queues[i], w->opts.capq_size, w->node);
	if (ret) {
		while (i--)
			wc_queue_free_rings(w->queues[i]);
		return ret;
	}
	w->prepared = true;
	wc_log(w, WIRECAP_LOG_INFO, "%s: %u queues on %u NICs, %u capture "
	       "threads, %s mode, node %d", w->nics[0].ifname, w->nq,
	       w->nnics, w->nt, wc_flow(w) ? "flow" :
	       wc_advanced(w) ? "advanced" : "basic",
	       w->node);
	return 0;
}

/* Tell every running thread to go to state, and wake it. */
static void tell_threads(struct wirecap *w, uint32_t state)
{
	uint64_t one = 1;
	unsigned int i;
	ssize_t n;

	for (i = 0; i < w->nt; i++) {
		struct wc_thread *t = &w->threads[i];

		if (!t->joinable)
			continue;
		/* release: what we did before is seen by the thread */
		__atomic_store_n(&t->stop, state, __ATOMIC_RELEASE);
		n = write(t->kick.efd, &one, sizeof(one));
		(void)n;
	}
}

/* Wait until every running thread has paused (moves no more). */
static void wait_paused(struct wirecap *w)
{
	unsigned int i;

	for (i = 0; i < w->nt; i++)
		/* acquire: pairs with the thread's release of paused */
		while (w->threads[i].joinable &&
		       !__atomic_load_n(&w->threads[i].paused,
					__ATOMIC_ACQUIRE))
			usleep(100);
}

/* Tell the threads to finish (or abort) and join them. */
static void stop_threads(struct wirecap *w, uint32_t how)
{
	unsigned int i;

	tell_threads(w, how);
	for (i = 0; i < w->nt; i++) {
		struct wc_thread *t = &w->threads[i];

		if (t->joinable)
			pthread_join(t->tid, NULL);
		t->joinable = false;
		if (t->kick.efd >= 0)
			close(t->kick.efd);
		t->kick.efd = -1;
	}
}

WC_EXPORT
int wirecap_start(struct wirecap *w)
{
	sigset_t all, old;
	unsigned int i;
	int ret = 0;

	if (!w)
		return -EINVAL;
	if (w->started)
		return -EALREADY;
	ret = prepare(w);
	if (ret)
		return ret;
	/* capture threads take no signals: the application's threads do */
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	for (i = 0; i < w->nt; i++) {
		struct wc_thread *t = &w->threads[i];

		t->kick.efd = eventfd(0, EFD_CLOEXEC);
		if (t->kick.efd < 0) {
			ret = -errno;
			break;
		}
		t->stop = WC_RUN;
		t->paused = 0;
		t->init_ret = 1;	/* not yet known */
		ret = -pthread_create(&t->tid, NULL, wc_capture_thread, t);
		if (ret)
			break;
		t->joinable = true;
	}
	pthread_sigmask(SIG_SETMASK, &old, NULL);

	/* every thread reports how its setup went */
	pthread_mutex_lock(&w->lock);
	for (i = 0; i < w->nt; i++) {
		struct wc_thread *t = &w->threads[i];

		while (t->joinable && t->init_ret == 1)
			pthread_cond_wait(&w->cond, &w->lock);
		if (t->joinable && t->init_ret < 0 && !ret)
			ret = t->init_ret;
	}
	pthread_mutex_unlock(&w->lock);
	if (ret) {
		wc_log(w, WIRECAP_LOG_ERR, "%s: starting capture threads: %s",
		       w->nics[0].ifname, strerror(-ret));
		/* the queues stay attached: wait for what is in flight */
		stop_threads(w, WC_ABORT);
		return ret;
	}
	/* release: readers that see it see the threads running */
	__atomic_store_n(&w->started, true, __ATOMIC_RELEASE);
	return 0;
}

/*
 * Wait until every running capture thread has begun a round after now: a
 * round sees what the caller stored before (see the epoch in capture.c).
 */
static void wait_rounds(struct wirecap *w)
{
	uint64_t one = 1;
	unsigned int i;

	/* our stores before the loads of the epochs; pairs with run()'s */
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	for (i = 0; i < w->nt; i++) {
		struct wc_thread *t = &w->threads[i];
		uint64_t e0;
		ssize_t n;

		if (!t->joinable)
			continue;
		e0 = __atomic_load_n(&t->epoch, __ATOMIC_RELAXED);
		n = write(t->kick.efd, &one, sizeof(one));
		(void)n;
		while (__atomic_load_n(&t->epoch, __ATOMIC_RELAXED) == e0)
			usleep(100);
	}
}

WC_EXPORT
int wirecap_queue_detach(struct wirecap_queue *q)
{
	struct wirecap *w;
	struct wc_thread *t;
	uint64_t one = 1;
	ssize_t n;

	if (!q)
		return -EINVAL;
	w = q->w;
	if (__atomic_load_n(&q->detached, __ATOMIC_RELAXED))
		return 0;
	if (!__atomic_load_n(&w->started, __ATOMIC_ACQUIRE)) {
		/* nothing captured yet, no thread: close it here */
		__atomic_store_n(&q->detached, 1, __ATOMIC_RELEASE);
		wc_queue_release_dev(q);
		q->k_detached = 1;
		return 0;
	}
	/* a chunk dispatch is in the middle of: done with */
	if (q->cur.owner)
		wirecap_chunk_release(&q->cur);
	/*
	 * From here no capture thread moves chunks into q or out of it,
	 * once each has begun a round after this store (wait_rounds).
	 */
	__atomic_store_n(&q->detached, 1, __ATOMIC_SEQ_CST);
	wait_rounds(w);
	/* what waits in q's capture queue goes back to its owners */
	wc_queue_return_capq(q);
	/* q's own thread gives it back to the kernel */
	t = q->thread;
	if (!t->joinable)
		return 0;	/* (host tests: no thread runs) */
	n = write(t->kick.efd, &one, sizeof(one));
	(void)n;
	/* acquire: pairs with the release in detach_step() */
	while (!__atomic_load_n(&q->k_detached, __ATOMIC_ACQUIRE))
		usleep(100);
	wc_log(w, WIRECAP_LOG_DEBUG, "%s-q%u: detached", q->nic->ifname,
	       q->info.ring_id);
	return 0;
}

/*
 * After wirecap_shutdown(): wait until no thread is inside a call that
 * may wait (wait.h). Those asleep were woken by the shutdown; those
 * running (dispatch's callbacks) finish their chunk.
 */
static void wait_callers_out(struct wirecap *w)
{
	unsigned int i;

	for (i = 0; i < w->nq; i++)
		while (wc_call_busy(&w->queues[i]->in_call))
			usleep(100);
	while (wc_call_busy(&w->in_call))
		usleep(100);
}

WC_EXPORT
void wirecap_close(struct wirecap *w)
{
	unsigned int i;

	if (!w)
		return;
	/* readers asleep in the session return -ESHUTDOWN and leave it */
	wirecap_shutdown(w);
	wait_callers_out(w);
	if (w->started) {
		/*
		 * Every chunk still in the work queues back to the kernel
		 * before DETACH: the threads stop moving chunks into the
		 * capture queues, which are then emptied into the owners'
		 * recycle queues; finishing, each thread sends its queues'
		 * back and cancels its parked CAPTUREs.
		 */
		tell_threads(w, WC_PAUSE);
		wait_paused(w);
		for (i = 0; i < w->nq; i++)
			wc_queue_drain_capq(w->queues[i]);
		stop_threads(w, WC_FINISH);
	} else if (w->prepared) {
		for (i = 0; i < w->nq; i++)
			wc_queue_drain_capq(w->queues[i]);
		for (i = 0; i < w->nq; i++)
			if (!w->queues[i]->closed)
				wc_queue_recycle_all(w->queues[i]);
	}
	for (i = 0; i < w->nq; i++)
		wc_queue_close(w->queues[i]);
	free_session(w);
}

WC_EXPORT
unsigned int wirecap_queue_count(const struct wirecap *w)
{
	return w ? w->nq : 0;
}

WC_EXPORT
struct wirecap_queue *wirecap_queue(struct wirecap *w, unsigned int i)
{
	return w && i < w->nq ? w->queues[i] : NULL;
}

/* The unsigned getters' answer to a NULL queue. */
static unsigned int no_queue(void)
{
	errno = EINVAL;
	return UINT_MAX;
}

WC_EXPORT
unsigned int wirecap_queue_ring(const struct wirecap_queue *q)
{
	return q ? q->info.ring_id : no_queue();
}

WC_EXPORT
int wirecap_queue_set_shared(struct wirecap_queue *q)
{
	int ret;

	if (!q)
		return -EINVAL;
	if (q->w->started)
		return -EALREADY;
	if (q->shared)
		return 0;
	ret = pthread_spin_init(&q->lock, PTHREAD_PROCESS_PRIVATE);
	if (ret)
		return -ret;
	q->shared = true;
	return 0;
}

WC_EXPORT
const char *wirecap_queue_ifname(const struct wirecap_queue *q)
{
	if (!q) {
		errno = EINVAL;
		return NULL;
	}
	return q->nic->ifname;
}

WC_EXPORT
unsigned int wirecap_queue_index(const struct wirecap_queue *q)
{
	return q ? q->index : no_queue();
}

WC_EXPORT
unsigned int wirecap_queue_group(const struct wirecap_queue *q)
{
	if (!q)
		return no_queue();
	return q->w->prepared ? q->group : q->index;
}

WC_EXPORT
const struct wirecap_info *wirecap_queue_info(const struct wirecap_queue *q)
{
	if (!q) {
		errno = EINVAL;
		return NULL;
	}
	return &q->info;
}

WC_EXPORT
int wirecap_queue_pending(const struct wirecap_queue *q)
{
	if (!q)
		return -EINVAL;
	if (__atomic_load_n(&q->detached, __ATOMIC_RELAXED))
		return 0;
	return (int)wc_lanes_count(&q->capq);
}

/* Queues with chunks waiting or an error to report. */
static int ready_queues(struct wirecap *w)
{
	unsigned int i;
	int n = 0;

	for (i = 0; i < w->nq; i++) {
		struct wirecap_queue *q = w->queues[i];

		if (__atomic_load_n(&q->detached, __ATOMIC_RELAXED))
			continue;	/* nobody reads it */
		if (wc_lanes_count(&q->capq) ||
		    __atomic_load_n(&q->err, __ATOMIC_RELAXED))
			n++;
	}
	return n;
}

WC_EXPORT
int wirecap_wait(struct wirecap *w, int timeout_ms)
{
	struct timespec deadline;
	uint32_t gen;
	int n;

	if (!w)
		return -EINVAL;
	/* wirecap_close() waits for us from here (see wirecap_next_chunk) */
	wc_call_enter(&w->in_call);
	n = wc_session_state(w);
	if (!n)
		n = ready_queues(w);
	if (n || !timeout_ms)
		goto out;
	/* forever is a far deadline: then any signal handler ends the wait */
	wc_deadline(&deadline, timeout_ms);
	gen = wc_intr_gen(&w->waiter);
	wc_wait_enter(&w->waiter);
	for (;;) {
		uint32_t seq = wc_wait_seq(&w->waiter);
		int ret;

		n = wc_session_state(w);
		if (!n)
			n = ready_queues(w);
		if (!n && wc_wait_interrupted(&w->waiter, gen))
			n = -EINTR;
		if (n)
			break;
		ret = wc_wait_sleep(&w->waiter, seq, &deadline);
		if (ret == -ETIMEDOUT && timeout_ms > 0) {
			n = ready_queues(w);
			break;
		}
		if (ret == -ETIMEDOUT)		/* forever: another year */
			wc_deadline(&deadline, timeout_ms);
		if (ret == -EINTR) {
			/* the handler may have shut the session down */
			n = wc_session_state(w) ?: -EINTR;
			break;
		}
	}
	wc_wait_leave(&w->waiter);
out:
	/* the last access to w: wirecap_close() may free it after this */
	wc_call_leave(&w->in_call);
	return n;
}

/*
 * Every waiter of the session, and the event fd, learn of the shutdown.
 * Async-signal-safe: stores, futex wakes and a write().
 */
WC_EXPORT
int wirecap_shutdown(struct wirecap *w)
{
	unsigned int i;

	if (!w)
		return -EINVAL;
	/* release: pairs with the acquire in wc_session_state() */
	__atomic_store_n(&w->shutdown, 1, __ATOMIC_RELEASE);
	for (i = 0; i < w->nq; i++)
		wc_wake_all(&w->queues[i]->waiter);
	wc_wake_all(&w->waiter);
	wc_event_notify(w);
	return 0;
}

/* Async-signal-safe, as wirecap_shutdown(). */
WC_EXPORT
int wirecap_interrupt(struct wirecap *w)
{
	unsigned int i;

	if (!w)
		return -EINVAL;
	for (i = 0; i < w->nq; i++)
		wc_interrupt(&w->queues[i]->waiter);
	wc_interrupt(&w->waiter);
	return 0;
}

/*
 * Make the event fd readable, if there is one. Any thread; async-signal-
 * safe (a load and a write()).
 */
void wc_event_notify(struct wirecap *w)
{
	/* acquire: pairs with the release that published the fd */
	int efd = __atomic_load_n(&w->efd, __ATOMIC_ACQUIRE);
	uint64_t one = 1;

	if (efd >= 0) {
		int saved = errno;	/* a signal handler's caller's errno */
		/* EAGAIN: the counter is full, so it is readable anyway */
		ssize_t r = write(efd, &one, sizeof(one));

		(void)r;
		errno = saved;
	}
}

/* Is there news that arrived before anyone could poll for it? */
static bool news_before_fd(struct wirecap *w)
{
	unsigned int i;

	if (__atomic_load_n(&w->shutdown, __ATOMIC_RELAXED))
		return true;
	for (i = 0; i < w->nq; i++)
		if (__atomic_load_n(&w->queues[i]->err, __ATOMIC_RELAXED) &&
		    !__atomic_load_n(&w->queues[i]->detached, __ATOMIC_RELAXED))
			return true;
	return false;
}

WC_EXPORT
int wirecap_event_fd(struct wirecap *w)
{
	int fd;

	if (!w)
		return -EINVAL;
	pthread_mutex_lock(&w->lock);
	fd = w->efd;
	if (fd < 0) {
		fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
		if (fd < 0) {
			fd = -errno;
		} else {
			/* release: capture threads see an open fd */
			__atomic_store_n(&w->efd, fd, __ATOMIC_RELEASE);
			/*
			 * The fd before the loads of the errors; pairs with
			 * the fence in queue_fail(): a failure either sees
			 * the fd or is seen here.
			 */
			__atomic_thread_fence(__ATOMIC_SEQ_CST);
			if (news_before_fd(w))
				wc_event_notify(w);
		}
	}
	pthread_mutex_unlock(&w->lock);
	return fd;
}

/* "0,2-3" -> 0 2 3 */
WC_EXPORT
int wirecap_parse_queues(const char *s, unsigned int *out, unsigned int max)
{
	unsigned int n = 0;

	if (!s || !*s)
		return -EINVAL;
	for (;;) {
		unsigned long a, b, v, k;
		char *end;

		if (*s < '0' || *s > '9')
			return -EINVAL;
		a = strtoul(s, &end, 10);
		b = a;
		if (*end == '-') {
			s = end + 1;
			if (*s < '0' || *s > '9')
				return -EINVAL;
			b = strtoul(s, &end, 10);
		}
		if (b < a || b > 65535)
			return -EINVAL;
		for (v = a; v <= b; v++) {
			for (k = 0; k < n; k++)
				if (out[k] == v)
					return -EINVAL;
			if (n == max)
				return -E2BIG;
			out[n++] = (unsigned int)v;
		}
		if (!*end)
			return (int)n;
		if (*end != ',')
			return -EINVAL;
		s = end + 1;
	}
}


