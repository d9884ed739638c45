// SPDX-License-Identifier: BSD-2-Clause
/*
 * False sharing in libwirecap's per-queue and per-thread structures
 * (lib/internal.h), checked from their layout: a field one thread writes
 * per chunk must not sit on a cache line another thread reads or writes
 * per chunk.
 *
 *   struct wirecap_queue   the reader (a) writes its capture-queue cursor,
 *                          its chunk and counters; the capture thread (t)
 *                          writes the descriptor head, its recycle-queue
 *                          cursor, its batch and counters; both read the
 *                          geometry and ring pointers (o) per chunk; the
 *                          sleep word is written by whoever sleeps or wakes
 *   struct wc_thread       one per capture thread, in one array: each on
 *                          lines of its own, and the word readers poke
 *                          (kick) apart from what the thread writes
 *
 * A layout check, not a timing one: it says nothing about speed, only
 * that no such pair shares a line. LAYOUT_V0 names the fields as the
 * first layout did, to run this against it.
 */
#include <stddef.h>

#include "tap.h"
#include "internal.h"

#ifdef LAYOUT_V0
#define CAPQ_CURSOR	capq.next
#define RECQ_CURSOR	recq.next
#else
#define CAPQ_CURSOR	capq_next
#define RECQ_CURSOR	recq_next
#endif

struct span {
	const char *name;
	size_t first, last;	/* cache lines */
};

#define SPAN_(type, f) { #f, offsetof(type, f) / WC_CACHELINE,		\
	(offsetof(type, f) + sizeof(((type *)0)->f) - 1) / WC_CACHELINE }
#define SPAN(type, f)	SPAN_(type, f)	/* f's macros expanded first */

static int apart(const struct span *a, size_t na, const struct span *b,
		 size_t nb, const char *what)
{
	size_t i, j;
	int ok = 1;

	for (i = 0; i < na; i++)
		for (j = 0; j < nb; j++)
			if (a[i].first <= b[j].last &&
			    b[j].first <= a[i].last) {
				tap_diag("%s: %s (lines %zu-%zu) and %s (lines "
					 "%zu-%zu) share a line", what,
					 a[i].name, a[i].first, a[i].last,
					 b[j].name, b[j].first, b[j].last);
				ok = 0;
			}
	return ok;
}

#define N(a) (sizeof(a) / sizeof((a)[0]))
#define Q struct wirecap_queue

int main(void)
{
	/* read per chunk by both sides */
	static const struct span ro[] = {
		SPAN(Q, w), SPAN(Q, thread), SPAN(Q, info), SPAN(Q, pool),
		SPAN(Q, hdr), SPAN(Q, descs), SPAN(Q, meta), SPAN(Q, shared),
		SPAN(Q, capq.lane), SPAN(Q, capq.nlanes), SPAN(Q, recq.lane),
		SPAN(Q, recq.nlanes),
	};
	/* written per chunk by the reader */
	static const struct span app[] = {
		SPAN(Q, CAPQ_CURSOR), SPAN(Q, cur), SPAN(Q, cur_next),
		SPAN(Q, as),
#ifndef LAYOUT_V0
		SPAN(Q, in_call),
#endif
	};
	/* written per chunk by the capture thread */
	static const struct span thr[] = {
		SPAN(Q, head), SPAN(Q, RECQ_CURSOR), SPAN(Q, rec_n),
		SPAN(Q, offl_next), SPAN(Q, ts),
	};
	/* written by sleepers and wakers */
	static const struct span wait[] = { SPAN(Q, waiter) };
	/* wc_thread: poked by readers, and written by the thread */
	static const struct span kick[] = { SPAN(struct wc_thread, kick) };
	static const struct span tw[] = {
		SPAN(struct wc_thread, wu), SPAN(struct wc_thread, efd_buf),
		SPAN(struct wc_thread, wake_armed),
	};

	tap_ok(apart(app, N(app), ro, N(ro), "queue"),
	       "reader-written fields are off the shared read-only lines");
	tap_ok(apart(thr, N(thr), ro, N(ro), "queue"),
	       "capture-thread-written fields are off them too");
	tap_ok(apart(app, N(app), thr, N(thr), "queue"),
	       "reader and capture thread write different lines");
	tap_ok(apart(wait, N(wait), ro, N(ro), "queue") &&
	       apart(wait, N(wait), app, N(app), "queue") &&
	       apart(wait, N(wait), thr, N(thr), "queue"),
	       "the sleep word has a line of its own");
	tap_ok(_Alignof(struct wc_thread) >= WC_CACHELINE &&
	       sizeof(struct wc_thread) % WC_CACHELINE == 0,
	       "struct wc_thread is cache-line aligned and sized (%zu, %zu)",
	       (size_t)_Alignof(struct wc_thread), sizeof(struct wc_thread));
	tap_ok(apart(kick, N(kick), tw, N(tw), "thread"),
	       "what readers poke in a thread is apart from what it writes");
	return tap_done();
}
