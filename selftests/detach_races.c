// SPDX-License-Identifier: GPL-2.0
/*
 * A queue going away under CAPTURE: an ATTACH that fails, a DETACH, a NIC
 * removal. Nothing may park once the pool is on its way out (a command
 * parked then would outlive its pool, its timer armed); what arrives
 * meanwhile is answered at once, and after a NIC removal every call says
 * -ENODEV. The software NIC's fault knobs (delays in ->queue_start and
 * ->queue_stop, a failing ->queue_start) hold each window open long
 * enough to be hit every time.
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "wctest.h"
#include "wirecap_uring.h"

#define M 16
#define R 8
#define MAXTO	"/sys/module/wirecap/parameters/max_timeout_ms"

/* One io_uring CAPTURE of queue fd, issued now, reaped later. */
struct uring_capture {
	struct wirecap_uring wu;
	uint64_t issued_us;
};

static int capture_issue(struct uring_capture *c, int fd, uint32_t timeout_us)
{
	struct wirecap_capture_cmd cc = {
		.max_descs = 1, .timeout_us = timeout_us,
	};
	int ret;

	ret = wirecap_uring_init(&c->wu, 8, 1);
	if (ret)
		return ret;
	ret = wirecap_uring_add(&c->wu, fd);
	if (ret == 0)
		ret = wirecap_uring_capture(&c->wu, 0, &cc, 0);
	if (ret == 0)
		ret = wirecap_uring_submit(&c->wu) == 1 ? 0 : -EIO;
	c->issued_us = wct_now_us();
	return ret;
}

/*
 * Its result, waiting up to wait_ms; 1 when none came (and then the
 * ring's teardown cancels the command or waits out its timeout).
 */
static int capture_reap(struct uring_capture *c, unsigned int wait_ms,
			uint64_t *after_us)
{
	struct io_uring_cqe cqe;
	int res = 1;

	if (wirecap_uring_reap(&c->wu, &cqe, 1, wait_ms * 1000) == 1) {
		res = cqe.res;
		*after_us = wct_now_us() - c->issued_us;
	}
	wirecap_uring_exit(&c->wu);
	return res;
}

struct bg_call {
	pthread_t thread;
	struct wct_queue *q;
	const char *nic;
	int ret;
};

static void *bg_attach(void *arg)
{
	struct bg_call *b = arg;

	b->ret = wct_attach(b->q, M, R);
	return NULL;
}

static void *bg_detach(void *arg)
{
	struct bg_call *b = arg;

	b->ret = ioctl(b->q->fd, WIRECAP_CMD_DETACH) ? -errno : 0;
	return NULL;
}

static void *bg_nic_del(void *arg)
{
	struct bg_call *b = arg;

	b->ret = wct_nic_del(b->nic);
	return NULL;
}

FIXTURE(dr) {
	char nic[16];
	struct wct_queue q;
	char maxto[32];
	bool nic_gone;
};

FIXTURE_SETUP(dr)
{
	FILE *f = fopen(MAXTO, "r");

	self->maxto[0] = 0;
	if (f) {
		if (!fgets(self->maxto, sizeof(self->maxto), f))
			self->maxto[0] = 0;
		fclose(f);
	}
	/* parked commands may wait up to 5 s: long enough to tell apart */
	ASSERT_EQ(0, wct_write_file(MAXTO, "5000"));
	ASSERT_EQ(0, wct_nic_new(1, 64, self->nic));
	ASSERT_EQ(0, wct_open(&self->q, self->nic, 0));
	self->nic_gone = false;
}

FIXTURE_TEARDOWN(dr)
{
	wct_close(&self->q);
	if (!self->nic_gone)
		wct_nic_del(self->nic);
	if (self->maxto[0])
		wct_write_file(MAXTO, self->maxto);
}

/*
 * ATTACH fails while a CAPTURE is parked on the pool it set up: the
 * command completes with -ENXIO when the ATTACH gives up, not at its
 * timeout with nothing.
 */
TEST_F(dr, attach_fails_with_capture_parked)
{
	struct bg_call b = { .q = &self->q };
	struct uring_capture c;
	uint64_t after = 0;
	int res;

	ASSERT_EQ(0, wct_nic_fault(self->nic, "start_delay_ms", 1500));
	ASSERT_EQ(0, wct_nic_fault(self->nic, "fail_start", EIO));
	ASSERT_EQ(0, pthread_create(&b.thread, NULL, bg_attach, &b));
	usleep(300000);			/* ATTACH is in ->queue_start */
	ASSERT_EQ(0, capture_issue(&c, self->q.fd, 4000000));
	res = capture_reap(&c, 3000, &after);
	pthread_join(b.thread, NULL);
	wct_nic_fault(self->nic, "start_delay_ms", 0);
	EXPECT_EQ(-EIO, b.ret);
	EXPECT_EQ(-ENXIO, res);
	TH_LOG("CAPTURE completed with %d after %llu ms", res,
	       (unsigned long long)after / 1000);
	/* the queue works afterwards */
	EXPECT_EQ(0, wct_attach(&self->q, M, R));
}

/*
 * A CAPTURE issued while DETACH is stopping the NIC is answered at once
 * (-ECANCELED, as the parked ones), never parked on the dying pool.
 */
TEST_F(dr, capture_during_detach)
{
	struct bg_call b = { .q = &self->q };
	struct uring_capture c;
	struct wirecap_stats st0, st1;
	uint64_t after = 0;
	int res;

	ASSERT_EQ(0, wct_attach(&self->q, M, R));
	st0 = wct_stats(&self->q);
	ASSERT_EQ(0, wct_nic_fault(self->nic, "stop_delay_ms", 2000));
	ASSERT_EQ(0, pthread_create(&b.thread, NULL, bg_detach, &b));
	usleep(300000);			/* DETACH is in ->queue_stop */
	ASSERT_EQ(0, capture_issue(&c, self->q.fd, 4000000));
	res = capture_reap(&c, 1200, &after);
	pthread_join(b.thread, NULL);
	wct_nic_fault(self->nic, "stop_delay_ms", 0);
	st1 = wct_stats(&self->q);
	EXPECT_EQ(0, b.ret);
	EXPECT_EQ(-ECANCELED, res);
	EXPECT_EQ(st0.captures_parked, st1.captures_parked);
	TH_LOG("CAPTURE completed with %d after %llu ms", res,
	       (unsigned long long)after / 1000);
}

/*
 * Once the NIC is being removed, every call answers -ENODEV, from the
 * start of the removal to the last close.
 */
TEST_F(dr, nic_removal_answers_enodev)
{
	struct bg_call b = { .q = &self->q, .nic = self->nic };
	struct wirecap_desc d = { 0 };
	int ret;

	ASSERT_EQ(0, wct_attach(&self->q, M, R));
	ASSERT_EQ(0, wct_nic_fault(self->nic, "stop_delay_ms", 1500));
	ASSERT_EQ(0, pthread_create(&b.thread, NULL, bg_nic_del, &b));
	usleep(300000);			/* the removal is in ->queue_stop */
	EXPECT_EQ(-ENODEV, wct_capture(&self->q, 1, 0));
	EXPECT_EQ(-ENODEV, wct_recycle(&self->q, &d, 1));
	pthread_join(b.thread, NULL);
	self->nic_gone = true;
	EXPECT_EQ(0, b.ret);
	EXPECT_EQ(-ENODEV, wct_capture(&self->q, 1, 0));
	EXPECT_EQ(-ENODEV, wct_recycle(&self->q, &d, 1));
	ret = ioctl(self->q.fd, WIRECAP_CMD_DETACH) ? -errno : 0;
	EXPECT_EQ(-ENODEV, ret);
}

TEST_HARNESS_MAIN
