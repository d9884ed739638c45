/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Sleeping and waking across the work-queue pair without a lock.
 *
 * The side that waits announces it (sleeping), then looks at the ring
 * once more, then sleeps; the side that publishes looks at "sleeping"
 * after publishing and wakes only then. Both put a full barrier between
 * their store and their load (the Dekker pattern): whichever order the
 * two run in, either the waiter sees the new entries or the publisher
 * sees the waiter, so no wakeup is lost and a busy publisher pays one
 * fence and one load, never a system call.
 *
 * wc_waiter: threads sleep on a futex (the application waiting for its
 *            capture queue, or for any queue of the session).
 * wc_kick:   a capture thread sleeps in io_uring_enter(); an eventfd read
 *            kept in its ring is what wakes it.
 */
#ifndef WIRECAP_LIB_WAIT_H
#define WIRECAP_LIB_WAIT_H

#include <stdint.h>
#include <time.h>

struct wc_waiter {
	uint32_t seq;		/* futex word: bumped by every wake */
	uint32_t sleepers;	/* threads between prepare and finish */
};

/*
 * Waiter, step 1: announce, then re-check the condition, then
 * wc_wait_sleep(w, returned seq), then wc_wait_finish(). The seq is read
 * before the re-check, so a wake between re-check and sleep changes it and
 * the futex does not sleep.
 */
static inline uint32_t wc_wait_prepare(struct wc_waiter *w)
{
	uint32_t seq;

	__atomic_fetch_add(&w->sleepers, 1, __ATOMIC_RELAXED);
	seq = __atomic_load_n(&w->seq, __ATOMIC_ACQUIRE);
	/* our announcement before the re-check; pairs with wc_wake's fence */
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	return seq;
}

static inline void wc_wait_finish(struct wc_waiter *w)
{
	__atomic_fetch_sub(&w->sleepers, 1, __ATOMIC_RELAXED);
}

/*
 * Sleep while seq is unchanged, until the absolute CLOCK_MONOTONIC
 * deadline (NULL: none). 0 woken (or spurious), -ETIMEDOUT, -EINTR.
 */
int wc_wait_sleep(struct wc_waiter *w, uint32_t seq,
		  const struct timespec *deadline);

void wc_wake_sleepers(struct wc_waiter *w);

/*
 * Publisher, after publishing (a release store of the ring index): wake
 * whoever sleeps on w. The fence orders our publication before the load of
 * sleepers; pairs with the fence in wc_wait_prepare.
 */
static inline void wc_wake(struct wc_waiter *w)
{
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	if (__atomic_load_n(&w->sleepers, __ATOMIC_RELAXED))
		wc_wake_sleepers(w);
}

/* The same without the fence, for a publisher that just issued one. */
static inline void wc_wake_nofence(struct wc_waiter *w)
{
	if (__atomic_load_n(&w->sleepers, __ATOMIC_RELAXED))
		wc_wake_sleepers(w);
}

struct wc_kick {
	uint32_t sleeping;	/* the thread is about to sleep or sleeps */
	int efd;		/* eventfd read by the sleeping thread's ring */
};

/* Sleeper: announce; then re-check for work; then sleep. */
static inline void wc_kick_prepare(struct wc_kick *k)
{
	__atomic_store_n(&k->sleeping, 1, __ATOMIC_RELAXED);
	/* the announcement before the re-check; pairs with wc_kick's fence */
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
}

static inline void wc_kick_finish(struct wc_kick *k)
{
	__atomic_store_n(&k->sleeping, 0, __ATOMIC_RELAXED);
}

void wc_kick_wake(struct wc_kick *k);

/*
 * Giver of work, after publishing it: wake the thread if it sleeps. Only
 * one of several givers writes the eventfd (the exchange).
 */
static inline void wc_kick(struct wc_kick *k)
{
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	if (__atomic_load_n(&k->sleeping, __ATOMIC_RELAXED))
		wc_kick_wake(k);
}

/* Absolute CLOCK_MONOTONIC deadline timeout_ms from now. */
void wc_deadline(struct timespec *ts, int timeout_ms);

#endif /* WIRECAP_LIB_WAIT_H */
