// SPDX-License-Identifier: BSD-2-Clause
/*
 * Host tests of how libwirecap's waits end (lib/chunk.c, lib/wirecap.c,
 * lib/wait.h), on the fake session of lib_fake.h:
 *
 *   shutdown_signal   a reader asleep in wirecap_next_chunk(q, c, -1) is
 *                     woken with -ESHUTDOWN by wirecap_shutdown() called
 *                     from a signal handler installed with SA_RESTART
 *                     (which restarts an interrupted sleep: nothing else
 *                     could wake it); later calls, wirecap_wait(),
 *                     wirecap_dispatch() answer -ESHUTDOWN at once; the
 *                     event fd turns readable, also one made afterwards
 *   signal_restart    any signal handler that runs ends a sleep with
 *                     -EINTR, SA_RESTART or not (as poll(2))
 *   interrupt         wirecap_interrupt() ends a wirecap_wait() with
 *                     -EINTR; a queue nobody waited on ends its next wait
 *                     with -EINTR once, so an interrupt that comes
 *                     between the caller's own check and its wait is not
 *                     lost
 *   not_started       before wirecap_start() every wait answers -EBADFD
 *                     instead of sleeping for chunks that cannot come
 *   interrupt_all     wirecap_interrupt() ends every wait in progress:
 *                     two readers asleep on one shared queue and two
 *                     threads asleep in wirecap_wait() all return -EINTR
 *                     (it used to wake one per queue; the others went
 *                     back to sleep)
 *
 * A call that should return runs in a thread of its own and is given
 * 10 s (generous: it returns in microseconds); one that does not return
 * fails the test, and its thread is left asleep on memory not freed.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "tap.h"
#include "lib_fake.h"

#define GIVE_MS	10000

struct call {
	struct fake *f;
	int what;		/* CALL_* */
	int timeout_ms;
	pthread_t t;
	int ret;
	int done;
};

enum { CALL_NEXT, CALL_WAIT, CALL_DISPATCH };

static int sleepers(struct wc_waiter *w)
{
	return (int)__atomic_load_n(&w->sleepers, __ATOMIC_ACQUIRE);
}

static void count_pkt(void *user, const struct wirecap_pkt *p)
{
	(*(unsigned int *)user)++;
}

static void *call_thread(void *arg)
{
	struct call *c = arg;
	struct wirecap_chunk ch;
	unsigned int n = 0;
	int ret = 0;

	switch (c->what) {
	case CALL_NEXT:
		ret = wirecap_next_chunk(&c->f->q[0], &ch, c->timeout_ms);
		if (ret == 1)
			wirecap_chunk_release(&ch);
		break;
	case CALL_WAIT:
		ret = wirecap_wait(&c->f->w, c->timeout_ms);
		break;
	case CALL_DISPATCH:
		ret = wirecap_dispatch(&c->f->q[0], 0, count_pkt, &n,
				       c->timeout_ms);
		break;
	}
	c->ret = ret;
	__atomic_store_n(&c->done, 1, __ATOMIC_RELEASE);
	return NULL;
}

static void call_start(struct call *c, struct fake *f, int what, int ms)
{
	*c = (struct call){ .f = f, .what = what, .timeout_ms = ms };
	pthread_create(&c->t, NULL, call_thread, c);
}

/* Did the call return within ms? Joins it if so. */
static int call_returned(struct call *c, unsigned int ms)
{
	for (; ms; ms--) {
		if (__atomic_load_n(&c->done, __ATOMIC_ACQUIRE)) {
			pthread_join(c->t, NULL);
			return 1;
		}
		usleep(1000);
	}
	return 0;
}

/* Wait (up to 10 s) until someone is in w's wait, then 20 ms more. */
static int asleep(struct wc_waiter *w)
{
	unsigned int ms;

	for (ms = 0; ms < GIVE_MS; ms++) {
		if (__atomic_load_n(&w->sleepers, __ATOMIC_ACQUIRE)) {
			usleep(20000);
			return 1;
		}
		usleep(1000);
	}
	return 0;
}

static struct wirecap *sig_w;
static int sig_runs;

static void on_usr1_shutdown(int sig)
{
	wirecap_shutdown(sig_w);
	__atomic_fetch_add(&sig_runs, 1, __ATOMIC_RELAXED);
}

static void on_usr1_count(int sig)
{
	__atomic_fetch_add(&sig_runs, 1, __ATOMIC_RELAXED);
}

static void handle_usr1(void (*fn)(int))
{
	struct sigaction sa = { .sa_handler = fn, .sa_flags = SA_RESTART };

	sigemptyset(&sa.sa_mask);
	sigaction(SIGUSR1, &sa, NULL);
}

static int t_shutdown_signal(void)
{
	struct wirecap_chunk ch;
	struct pollfd pfd;
	struct call c;
	struct fake f;
	unsigned int n = 0;
	int fd, ok;

	fake_init(&f, 0);
	fd = wirecap_event_fd(&f.w);
	sig_w = &f.w;
	handle_usr1(on_usr1_shutdown);
	call_start(&c, &f, CALL_NEXT, -1);
	CHECK(asleep(&f.q[0].waiter));
	pthread_kill(c.t, SIGUSR1);
	ok = call_returned(&c, GIVE_MS);
	tap_diag("reader %s (%d)", ok ? "returned" : "still asleep",
		 ok ? c.ret : 0);
	if (!ok)
		return 0;	/* f stays: the reader sleeps in it */
	CHECK(c.ret == -ESHUTDOWN);
	/* from now on, at once, whatever the timeout */
	CHECK(push(&f.q[0], 0, 0, 1, 1));
	CHECK(wirecap_next_chunk(&f.q[0], &ch, -1) == -ESHUTDOWN);
	CHECK(wirecap_next_chunk(&f.q[1], &ch, 0) == -ESHUTDOWN);
	CHECK(wirecap_wait(&f.w, -1) == -ESHUTDOWN);
	CHECK(wirecap_dispatch(&f.q[0], 0, count_pkt, &n, -1) ==
	      -ESHUTDOWN);
	CHECK(n == 0);
	pfd = (struct pollfd){ .fd = fd, .events = POLLIN };
	CHECK(poll(&pfd, 1, 0) == 1);
	close(fd);
	f.w.efd = -1;
	fd = wirecap_event_fd(&f.w);	/* made after the shutdown */
	pfd = (struct pollfd){ .fd = fd, .events = POLLIN };
	CHECK(poll(&pfd, 1, 0) == 1);
	close(fd);
	f.w.efd = -1;
	CHECK(wirecap_shutdown(&f.w) == 0);	/* twice: harmless */
	CHECK(wirecap_shutdown(NULL) == -EINVAL);
	signal(SIGUSR1, SIG_DFL);
	fake_fini(&f);
	return 1;
}

/*
 * A handler with SA_RESTART that only counts: the sleep ends with
 * -EINTR all the same. Signals are sent every 50 ms until the reader
 * returns (one that lands between the reader's last look and its sleep
 * is a signal the reader could not have seen).
 */
static int signal_ends(int what)
{
	struct call c;
	struct fake f;
	unsigned int ms;
	int ok = 0;

	fake_init(&f, 0);
	__atomic_store_n(&sig_runs, 0, __ATOMIC_RELAXED);
	handle_usr1(on_usr1_count);
	call_start(&c, &f, what, -1);
	CHECK(asleep(what == CALL_WAIT ? &f.w.waiter : &f.q[0].waiter));
	for (ms = 0; ms < GIVE_MS && !ok; ms += 50) {
		pthread_kill(c.t, SIGUSR1);
		ok = call_returned(&c, 50);
	}
	tap_diag("%d signals, the sleeper %s (%d)",
		 __atomic_load_n(&sig_runs, __ATOMIC_RELAXED),
		 ok ? "returned" : "still asleep", ok ? c.ret : 0);
	if (!ok)
		return 0;
	signal(SIGUSR1, SIG_DFL);
	CHECK(c.ret == -EINTR);
	fake_fini(&f);
	return 1;
}

static int t_signal_restart(void)
{
	return signal_ends(CALL_NEXT) && signal_ends(CALL_WAIT) &&
	       signal_ends(CALL_DISPATCH);
}

static int t_interrupt(void)
{
	struct wirecap_chunk ch;
	struct call c;
	struct fake f;
	int ok;

	fake_init(&f, 0);
	call_start(&c, &f, CALL_WAIT, -1);
	CHECK(asleep(&f.w.waiter));
	CHECK(wirecap_interrupt(&f.w) == 0);
	ok = call_returned(&c, GIVE_MS);
	if (!ok)
		return 0;
	CHECK(c.ret == -EINTR);
	/* nobody waited on queue 1: its next wait ends at once, once */
	CHECK(wirecap_next_chunk(&f.q[1], &ch, 5000) == -EINTR);
	CHECK(wirecap_next_chunk(&f.q[1], &ch, 10) == 0);
	CHECK(wirecap_wait(&f.w, 10) == 0);	/* consumed above */
	/* chunks there: they come first */
	CHECK(wirecap_interrupt(&f.w) == 0);
	CHECK(push(&f.q[1], 0, 0, 1, 1));
	CHECK(wirecap_next_chunk(&f.q[1], &ch, 5000) == 1);
	wirecap_chunk_release(&ch);
	CHECK(wirecap_interrupt(NULL) == -EINVAL);
	fake_fini(&f);
	return 1;
}

static int t_not_started(void)
{
	struct call c;
	struct fake f;
	int what, ok;

	fake_init(&f, 0);
	f.w.started = false;
	for (what = CALL_NEXT; what <= CALL_DISPATCH; what++) {
		call_start(&c, &f, what, -1);
		ok = call_returned(&c, GIVE_MS);
		tap_diag("call %d before start: %s (%d)", what,
			 ok ? "returned" : "still asleep", ok ? c.ret : 0);
		if (!ok)
			return 0;
		CHECK(c.ret == -EBADFD);
	}
	f.w.started = true;
	fake_fini(&f);
	return 1;
}

/*
 * Two readers of one shared queue and two threads in wirecap_wait(), all
 * asleep; one wirecap_interrupt() must end the four waits. A wait that
 * does not end is ended by wirecap_shutdown() (-ESHUTDOWN, a failure).
 */
static int t_interrupt_all(void)
{
	static const int what[] = { CALL_NEXT, CALL_NEXT, CALL_WAIT,
				    CALL_WAIT };
	int joined[4] = { 0 }, i, ended = 0;
	struct call c[4];
	struct fake f;
	unsigned int ms;

	fake_init(&f, 0);
	f.w.started = false;
	CHECK(wirecap_queue_set_shared(&f.q[0]) == 0);
	f.w.started = true;
	for (i = 0; i < 4; i++)
		call_start(&c[i], &f, what[i], -1);
	for (ms = 0; ms < GIVE_MS; ms++) {
		if (sleepers(&f.q[0].waiter) == 2 && sleepers(&f.w.waiter) == 2)
			break;
		usleep(1000);
	}
	CHECK(ms < GIVE_MS);
	usleep(20000);		/* asleep in the futex, not only counted */
	CHECK(wirecap_interrupt(&f.w) == 0);
	for (i = 0; i < 4; i++) {
		joined[i] = call_returned(&c[i], i ? 1000 : GIVE_MS);
		ended += joined[i];
	}
	tap_diag("%d of 4 waits ended by one wirecap_interrupt()", ended);
	if (ended < 4)
		wirecap_shutdown(&f.w);	/* the rest, to join them */
	for (i = 0; i < 4; i++) {
		if (!joined[i])
			CHECK(call_returned(&c[i], GIVE_MS));
		tap_diag("%s %d: %d", what[i] == CALL_NEXT ?
			 "next_chunk(shared q)" : "wirecap_wait", i, c[i].ret);
	}
	/* each wait ended once: the next ones sleep until their timeout */
	if (ended == 4) {
		CHECK(wirecap_wait(&f.w, 10) == 0);
		CHECK(wirecap_next_chunk(&f.q[0], &(struct wirecap_chunk){ 0 },
					 10) == 0);
	}
	fake_fini(&f);
	for (i = 0; i < 4; i++)
		CHECK(c[i].ret == -EINTR);
	return 1;
}

int main(void)
{
	tap_plan(5);
	tap_run("wirecap_shutdown() from an SA_RESTART handler wakes a reader "
		"with -ESHUTDOWN", t_shutdown_signal);
	tap_run("a signal ends a sleep with -EINTR, SA_RESTART or not",
		t_signal_restart);
	tap_run("wirecap_interrupt() ends waits with -EINTR, never lost",
		t_interrupt);
	tap_run("before wirecap_start() waits answer -EBADFD", t_not_started);
	tap_run("wirecap_interrupt() ends every wait in progress",
		t_interrupt_all);
	return tap_exit();
}
