// SPDX-License-Identifier: BSD-2-Clause
/*
 * Host tests of how the capture thread takes its completions
 * (lib/capture.c's handle(), which this program includes: its two
 * exported functions are renamed here, so that the library's own copy
 * links beside it), on the fake session of lib_fake.h.
 *
 *   capture_err_detached   a CAPTURE that completes with an error after
 *                          the application detached its queue
 *                          (wirecap_queue_detach) fails nothing: no
 *                          error logged, the queue's error stays 0, the
 *                          event fd stays quiet. The queue is nobody's
 *                          any more; such an error used to be reported
 *                          as the queue failing (only -ECANCELED after
 *                          our own DETACH was let through)
 *   capture_err_live       the same error on a queue still read is the
 *                          queue failing, as before
 */
#define _GNU_SOURCE
#include <poll.h>

#define wc_capture_thread	test_capture_thread
#define wc_capture_move		test_capture_move
#include "capture.c"

#include "tap.h"
#include "lib_fake.h"

static int errors_logged;

static void count_errors(void *ctx, int level, const char *msg)
{
	if (level <= WIRECAP_LOG_ERR) {
		errors_logged++;
		tap_diag("logged: %s", msg);
	}
}

/* The kernel completes q's parked CAPTURE with res. */
static void capture_completes(struct fake *f, unsigned int i, int res)
{
	struct io_uring_cqe cqe = {
		.user_data = WCU_UD(i, 0, WCU_OP_CAPTURE),
		.res = res,
	};

	f->q[i].armed = true;
	handle(&f->t[0], &cqe, WC_RUN);
}

static int readable(int fd)
{
	struct pollfd pfd = { .fd = fd, .events = POLLIN };

	return poll(&pfd, 1, 0) == 1;
}

static void setup(struct fake *f)
{
	fake_init(f, 0);
	f->w.opts.log = count_errors;
	f->t[0].queues = f->qp;
	f->t[0].nq = f->w.nq;
	errors_logged = 0;
}

static void teardown(struct fake *f, int fd)
{
	close(fd);
	f->w.efd = -1;
	fake_fini(f);
}

static int t_capture_err_detached(void)
{
	static const int errs[] = { -ECANCELED, -ENODEV, -EIO };
	unsigned int k;

	for (k = 0; k < sizeof(errs) / sizeof(errs[0]); k++) {
		struct fake f;
		int fd, err, ev, armed;

		setup(&f);
		fd = wirecap_event_fd(&f.w);
		/* detached by its reader; its thread has not DETACHed yet */
		__atomic_store_n(&f.q[0].detached, 1, __ATOMIC_RELEASE);
		capture_completes(&f, 0, errs[k]);
		err = f.q[0].err;
		armed = f.q[0].armed;
		ev = readable(fd);
		tap_diag("res %d after detach: err %d, event fd %s", errs[k],
			 err, ev ? "readable" : "quiet");
		teardown(&f, fd);
		CHECK(!err && !ev && !errors_logged);
		CHECK(!armed);	/* detach_step() waits for that */
	}
	return 1;
}

static int t_capture_err_live(void)
{
	struct fake f;
	int fd, err, ev;

	setup(&f);
	fd = wirecap_event_fd(&f.w);
	capture_completes(&f, 1, -ENODEV);
	err = f.q[1].err;
	ev = readable(fd);
	teardown(&f, fd);
	CHECK(err == -ENODEV && ev && errors_logged == 1);
	return 1;
}

int main(void)
{
	tap_plan(2);
	tap_run("a CAPTURE error after the queue was detached is no failure",
		t_capture_err_detached);
	tap_run("a CAPTURE error on a queue still read is its failure",
		t_capture_err_live);
	return tap_exit();
}
