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

#include <stdbool.h>
#include <stdint.h>
#include <time.h>

struct wc_waiter {
	uint32_t seq;		/* futex word: bumped by every wake */
	uint32_t sleepers;	/* threads inside a wait (enter .. leave) */
	uint32_t intr;		/* generation: bumped by every
				 * wirecap_interrupt() */
	uint32_t intr_seen;	/* the newest generation a wait ended on */
};

/*
 * Waiter: gen = wc_intr_gen() when the waiting call begins (before it
 * spins), wc_wait_enter() once, then per look: seq = wc_wait_seq(), look
 * at the condition and wc_wait_interrupted(w, gen), wc_wait_sleep(w,
 * seq, ...) if there is nothing; then wc_wait_leave() once, after the
 * last access to anything the waiter lives in. The seq is read before
 * the look, so a wake between the look and the sleep changes it and the
 * futex does not sleep.
 *
 * Interrupts are generations, not a flag one waiter takes: every wait
 * that was in progress when the generation moved ends, however many
 * share the waiter (readers of a shared queue, threads in wirecap_wait);
 * and a generation that no wait ended on (nobody was waiting) ends the
 * next wait, once.
 *
 * sleepers counts the threads between enter and leave: wakers wake only
 * when it is not 0 (spinners are not sleepers, so that a push during a
 * spin costs no wake).
 */

/*
 * In-call counts (the session's and each queue's, kept apart from the
 * waiter so that counting costs the capture threads nothing): threads
 * inside a call that may wait, from its first access to the session to
 * its last, whether it waits or not. The caller counts itself, then
 * looks at the shutdown flag; wirecap_close() sets the flag, then waits
 * for the counts to be 0 before it frees anything (the Dekker pattern
 * again: either the caller sees the shutdown, or close sees the caller).
 */
static inline void wc_call_enter(uint32_t *in_call)
{
	__atomic_fetch_add(in_call, 1, __ATOMIC_RELAXED);
	/* before the caller looks at the session's state; pairs with close */
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
}

/* Release: the caller's last access comes before close sees 0. */
static inline void wc_call_leave(uint32_t *in_call)
{
	__atomic_fetch_sub(in_call, 1, __ATOMIC_RELEASE);
}

/* Is any thread in such a call? (Acquire: see wc_call_leave.) */
static inline int wc_call_busy(const uint32_t *in_call)
{
	return __atomic_load_n(in_call, __ATOMIC_ACQUIRE) != 0;
}

static inline void wc_wait_enter(struct wc_waiter *w)
{
	__atomic_fetch_add(&w->sleepers, 1, __ATOMIC_RELAXED);
}

static inline uint32_t wc_wait_seq(struct wc_waiter *w)
{
	uint32_t seq = __atomic_load_n(&w->seq, __ATOMIC_ACQUIRE);

	/* our announcement before the look; pairs with wc_wake's fence */
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	return seq;
}

static inline void wc_wait_leave(struct wc_waiter *w)
{
	__atomic_fetch_sub(&w->sleepers, 1, __ATOMIC_RELAXED);
}

/* The interrupt generation now: a waiting call's starting point. */
static inline uint32_t wc_intr_gen(struct wc_waiter *w)
{
	/* acquire: pairs with the release in wc_interrupt() */
	return __atomic_load_n(&w->intr, __ATOMIC_ACQUIRE);
}

/*
 * The waiter, which began at generation gen: was it interrupted since,
 * or is there an interrupt no wait has ended on yet? Either way the
 * generation now counts as seen (intr_seen only moves forward).
 */
static inline int wc_wait_interrupted(struct wc_waiter *w, uint32_t gen)
{
	uint32_t now = wc_intr_gen(w);
	uint32_t seen = __atomic_load_n(&w->intr_seen, __ATOMIC_RELAXED);

	if (now == gen && now == seen)
		return 0;
	while ((int32_t)(now - seen) > 0 &&
	       !__atomic_compare_exchange_n(&w->intr_seen, &seen, now, false,
					    __ATOMIC_RELAXED,
					    __ATOMIC_RELAXED))
		;
	return 1;
}

/*
 * Sleep while seq is unchanged, until the absolute CLOCK_MONOTONIC
 * deadline (NULL: none). 0 woken (or spurious), -ETIMEDOUT, -EINTR.
 * With a deadline the kernel ends the sleep with -EINTR whenever a
 * signal handler ran, SA_RESTART or not (without one, SA_RESTART would
 * restart it): callers that mean "forever" pass a far deadline.
 */
int wc_wait_sleep(struct wc_waiter *w, uint32_t seq,
		  const struct timespec *deadline);

void wc_wake_sleepers(struct wc_waiter *w);

/*
 * Wake every thread inside a wait on w, whether or not there is news
 * (shutdown, interrupt). Async-signal-safe.
 */
static inline void wc_wake_all(struct wc_waiter *w)
{
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	wc_wake_sleepers(w);
}

/*
 * End every wait in progress on w, or, if there is none, the next one:
 * an interrupt that comes between a caller's own check (of a flag the
 * interrupter set before) and its wait is not lost. Async-signal-safe
 * (a lock-free atomic add and futex wakes).
 */
static inline void wc_interrupt(struct wc_waiter *w)
{
	__atomic_fetch_add(&w->intr, 1, __ATOMIC_RELEASE);
	wc_wake_all(w);
}

/*
 * Publisher, after publishing (a release store of the ring index): wake
 * whoever sleeps on w. The fence orders our publication before the load of
 * sleepers; pairs with the fence in wc_wait_seq.
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

/*
 * Absolute CLOCK_MONOTONIC deadline timeout_ms from now; < 0: a year from
 * now, which stands for "forever" (see wc_wait_sleep): a waiter whose
 * year is over takes another, it does not time out (nor spin).
 */
void wc_deadline(struct timespec *ts, int timeout_ms);

#endif /* WIRECAP_LIB_WAIT_H */
