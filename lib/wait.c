// SPDX-License-Identifier: BSD-2-Clause
/* Sleeping and waking: see wait.h for the protocol. */
#include <errno.h>
#include <limits.h>
#include <stdint.h>
#include <time.h>
#include <unistd.h>
#include <linux/futex.h>
#include <sys/syscall.h>

#include "wait.h"

static long futex(uint32_t *uaddr, int op, uint32_t val,
		  const struct timespec *ts, uint32_t val3)
{
	return syscall(SYS_futex, uaddr, op, val, ts, NULL, val3);
}

int wc_wait_sleep(struct wc_waiter *w, uint32_t seq,
		  const struct timespec *deadline)
{
	/* FUTEX_WAIT_BITSET takes an absolute time; CLOCK_MONOTONIC default */
	if (futex(&w->seq, FUTEX_WAIT_BITSET | FUTEX_PRIVATE_FLAG, seq,
		  deadline, FUTEX_BITSET_MATCH_ANY) == 0)
		return 0;
	switch (errno) {
	case EAGAIN:		/* seq changed before we slept: a wake */
		return 0;
	case ETIMEDOUT:
		return -ETIMEDOUT;
	case EINTR:
		return -EINTR;
	default:
		return -errno;
	}
}

void wc_wake_sleepers(struct wc_waiter *w)
{
	int saved = errno;	/* async-signal-safe: errno as it was */

	/* release: a woken waiter that reads seq sees what we published */
	__atomic_fetch_add(&w->seq, 1, __ATOMIC_RELEASE);
	futex(&w->seq, FUTEX_WAKE | FUTEX_PRIVATE_FLAG, INT_MAX, NULL, 0);
	errno = saved;
}

void wc_kick_wake(struct wc_kick *k)
{
	uint64_t one = 1;

	/* whoever clears "sleeping" writes; the others need not */
	if (__atomic_exchange_n(&k->sleeping, 0, __ATOMIC_RELAXED)) {
		int saved = errno;
		ssize_t n = write(k->efd, &one, sizeof(one));

		(void)n;	/* cannot fail short of a bad fd */
		errno = saved;
	}
}

void wc_deadline(struct timespec *ts, int timeout_ms)
{
	clock_gettime(CLOCK_MONOTONIC, ts);
	if (timeout_ms < 0) {
		ts->tv_sec += 365 * 24 * 3600;
		return;
	}
	ts->tv_sec += timeout_ms / 1000;
	ts->tv_nsec += (long)(timeout_ms % 1000) * 1000000L;
	if (ts->tv_nsec >= 1000000000L) {
		ts->tv_sec++;
		ts->tv_nsec -= 1000000000L;
	}
}
