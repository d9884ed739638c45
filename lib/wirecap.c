// SPDX-License-Identifier: BSD-2-Clause
/*
 * The session: open the queues, start and stop the capture threads, close.
 * Options, logging, and the session-wide wait.
 */
#define _GNU_SOURCE
#include <errno.h>
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
	if (out->capq_size > (1u << 24) || out->numa_node < WIRECAP_NUMA_NONE)
		return -EINVAL;
	return 0;
}

/* The node to place threads and work queues on, or -1. */
static int resolve_node(const struct wirecap *w)
{
	int node = w->opts.numa_node;

	if (node == WIRECAP_NUMA_NONE)
		return -1;
	node = node ? node - 1 : w->queues[0].info.numa_node;
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
	free(w->by_ring);
	free(w->queues);
	pthread_cond_destroy(&w->cond);
	pthread_mutex_destroy(&w->lock);
	free(w);
}

/* Which of our queues is ring N of the NIC (chunks say their ring). */
static int map_rings(struct wirecap *w)
{
	unsigned int i, n = 0;

	for (i = 0; i < w->nq; i++) {
		w->queues[i].index = i;
		if (w->queues[i].info.ring_id >= n)
			n = w->queues[i].info.ring_id + 1;
	}
	w->by_ring = calloc(n, sizeof(*w->by_ring));
	if (!w->by_ring)
		return -ENOMEM;
	w->nr_by_ring = n;
	for (i = 0; i < w->nq; i++)
		w->by_ring[w->queues[i].info.ring_id] = &w->queues[i];
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
	w->threads = calloc(nt, sizeof(*w->threads));
	if (!w->threads)
		return -ENOMEM;
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

		w->queues[i].thread = t;
		t->queues[t->nq++] = &w->queues[i];
	}
	return 0;
}

WC_EXPORT
struct wirecap *wirecap_open(const char *ifname, const unsigned int *queues,
			     unsigned int nr, const struct wirecap_opts *opts)
{
	struct wirecap_queue first = { .fd = -1 };
	struct wirecap *w;
	unsigned int i, j;
	int ret;

	if (!ifname || !*ifname || strlen(ifname) >= WIRECAP_IFNAMSIZ ||
	    strchr(ifname, '/') || (queues && !nr)) {
		errno = EINVAL;
		return NULL;
	}
	for (i = 0; queues && i < nr; i++)
		for (j = 0; j < i; j++)
			if (queues[i] == queues[j]) {
				errno = EINVAL;
				return NULL;
			}
	w = calloc(1, sizeof(*w));
	if (!w) {
		errno = ENOMEM;
		return NULL;
	}
	pthread_mutex_init(&w->lock, NULL);
	pthread_cond_init(&w->cond, NULL);
	ret = opts_resolve(&w->opts, opts);
	if (ret)
		goto err_free;
	strcpy(w->ifname, ifname);

	/* all queues: queue 0 says how many there are */
	ret = wc_queue_open(w, &first, queues ? queues[0] : 0);
	if (ret)
		goto err_free;
	if (!queues)
		nr = first.info.nr_rings ? first.info.nr_rings : 1;
	w->queues = aligned_alloc(WC_CACHELINE, nr * sizeof(*w->queues));
	if (!w->queues) {
		ret = -ENOMEM;
		wc_queue_close(&first);
		goto err_free;
	}
	memset(w->queues, 0, nr * sizeof(*w->queues));
	for (i = 0; i < nr; i++)
		w->queues[i].fd = -1;
	w->queues[0] = first;
	w->nq = 1;
	for (i = 1; i < nr; i++) {
		ret = wc_queue_open(w, &w->queues[i], queues ? queues[i] : i);
		if (ret)
			goto err_close;
		w->nq++;
	}
	ret = map_rings(w);
	if (ret)
		goto err_close;

	w->node = resolve_node(w);
	for (i = 0; i < nr; i++) {
		ret = wc_queue_rings(&w->queues[i], w->opts.capq_size, w->node);
		if (ret)
			goto err_close;
	}
	ret = plan_threads(w);
	if (ret)
		goto err_close;
	wc_log(w, WIRECAP_LOG_INFO, "%s: %u queues, %u capture threads, node %d",
	       w->ifname, w->nq, w->nt, w->node);
	return w;

err_close:
	for (i = 0; i < w->nq; i++)
		wc_queue_close(&w->queues[i]);
err_free:
	free_session(w);
	errno = -ret;
	return NULL;
}

static void stop_threads(struct wirecap *w)
{
	uint64_t one = 1;
	unsigned int i;
	ssize_t n;

	for (i = 0; i < w->nt; i++) {
		struct wc_thread *t = &w->threads[i];

		if (!t->joinable)
			continue;
		/* release: what we did before is seen by the stopping thread */
		__atomic_store_n(&t->stop, 1, __ATOMIC_RELEASE);
		n = write(t->kick.efd, &one, sizeof(one));
		(void)n;
	}
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
		t->stop = 0;
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
		       w->ifname, strerror(-ret));
		stop_threads(w);
		return ret;
	}
	w->started = true;
	return 0;
}

WC_EXPORT
void wirecap_close(struct wirecap *w)
{
	unsigned int i;

	if (!w)
		return;
	stop_threads(w);
	/* every chunk still in the work queues back to the kernel */
	for (i = 0; i < w->nq; i++)
		wc_queue_drain_capq(&w->queues[i]);
	for (i = 0; i < w->nq; i++) {
		wc_queue_recycle_all(&w->queues[i]);
		wc_queue_close(&w->queues[i]);
	}
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
	return w && i < w->nq ? &w->queues[i] : NULL;
}

WC_EXPORT
unsigned int wirecap_queue_ring(const struct wirecap_queue *q)
{
	return q->info.ring_id;
}

WC_EXPORT
const struct wirecap_info *wirecap_queue_info(const struct wirecap_queue *q)
{
	return &q->info;
}

/* Queues with chunks waiting or an error to report. */
static int ready_queues(struct wirecap *w)
{
	unsigned int i;
	int n = 0;

	for (i = 0; i < w->nq; i++)
		if (wc_ring_count(&w->queues[i].capq) ||
		    __atomic_load_n(&w->queues[i].err, __ATOMIC_RELAXED))
			n++;
	return n;
}

WC_EXPORT
int wirecap_wait(struct wirecap *w, int timeout_ms)
{
	struct timespec deadline;
	int n;

	if (!w)
		return -EINVAL;
	n = ready_queues(w);
	if (n || !timeout_ms)
		return n;
	if (timeout_ms > 0)
		wc_deadline(&deadline, timeout_ms);
	for (;;) {
		uint32_t seq = wc_wait_prepare(&w->waiter);
		int ret;

		n = ready_queues(w);
		if (n) {
			wc_wait_finish(&w->waiter);
			return n;
		}
		ret = wc_wait_sleep(&w->waiter, seq,
				    timeout_ms > 0 ? &deadline : NULL);
		wc_wait_finish(&w->waiter);
		if (ret == -ETIMEDOUT)
			return ready_queues(w);
		if (ret == -EINTR)
			return -EINTR;
	}
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
