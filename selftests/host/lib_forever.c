// SPDX-License-Identifier: BSD-2-Clause
/*
 * Host tests of waits "forever" (timeout_ms < 0) once the far deadline
 * that stands for forever has passed (lib/wait.c wc_deadline: a year
 * from when the wait began). This program's clock_gettime() replaces
 * libc's for the library compiled into it: CLOCK_MONOTONIC runs a year
 * less 300 ms behind the kernel's, so a wait's year is over 300 ms after
 * it began (the futex keeps the kernel's clock).
 *
 *   next_chunk_forever   wirecap_next_chunk(q, c, -1) sleeps on, instead
 *                        of spinning through the futex (it used to keep
 *                        the year-old deadline: every sleep returned
 *                        ETIMEDOUT at once)
 *   wait_forever         the same for wirecap_wait(w, -1)
 *
 * Either reader must use little CPU in 1.5 s and sleep a few times (the
 * shifted clock makes each new year last 300 ms), then return
 * -ESHUTDOWN on wirecap_shutdown().
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "tap.h"
#include "lib_fake.h"

#define YEAR_S	(365LL * 24 * 3600)
#define SHIFT_NS (-YEAR_S * 1000000000LL + 300000000LL)

/* The library's clock: CLOCK_MONOTONIC shifted by SHIFT_NS. */
int clock_gettime(clockid_t id, struct timespec *ts)
{
	long r = syscall(SYS_clock_gettime, id, ts);

	if (!r && id == CLOCK_MONOTONIC) {
		long long ns = ts->tv_sec * 1000000000LL + ts->tv_nsec +
			       SHIFT_NS;

		ts->tv_sec = ns / 1000000000LL;
		ts->tv_nsec = ns % 1000000000LL;
		if (ts->tv_nsec < 0) {
			ts->tv_sec--;
			ts->tv_nsec += 1000000000LL;
		}
	}
	return (int)r;
}

struct reader {
	struct fake *f;
	int wait;		/* wirecap_wait, else next_chunk on q0 */
	int ret;
};

static void *reader(void *arg)
{
	struct reader *r = arg;
	struct wirecap_chunk c;

	r->ret = r->wait ? wirecap_wait(&r->f->w, -1) :
			   wirecap_next_chunk(&r->f->q[0], &c, -1);
	return NULL;
}

static double cpu_s(pthread_t t)
{
	struct timespec ts = { 0 };
	clockid_t cid;

	if (pthread_getcpuclockid(t, &cid) ||
	    syscall(SYS_clock_gettime, cid, &ts))
		return -1;
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static int forever(int wait)
{
	struct fake f;
	struct reader r = { .f = &f, .wait = wait };
	uint64_t sleeps;
	pthread_t t;
	double cpu;

	fake_init(&f, 0);
	pthread_create(&t, NULL, reader, &r);
	usleep(1500000);
	cpu = cpu_s(t);
	sleeps = wc_read(&f.q[0].as.sleeps);
	tap_diag("%s(-1) 1.5 s on: %.3f s of CPU, %llu sleeps",
		 wait ? "wirecap_wait" : "wirecap_next_chunk", cpu,
		 (unsigned long long)sleeps);
	wirecap_shutdown(&f.w);
	pthread_join(t, NULL);
	fake_fini(&f);
	CHECK(cpu >= 0 && cpu < 0.3);
	CHECK(sleeps < 20);
	CHECK(r.ret == -ESHUTDOWN);
	return 1;
}

static int t_next_chunk_forever(void)
{
	return forever(0);
}

static int t_wait_forever(void)
{
	return forever(1);
}

int main(void)
{
	tap_plan(2);
	tap_run("wirecap_next_chunk(-1) sleeps on past its far deadline",
		t_next_chunk_forever);
	tap_run("wirecap_wait(-1) sleeps on past its far deadline",
		t_wait_forever);
	return tap_exit();
}
