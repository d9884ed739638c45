// SPDX-License-Identifier: GPL-2.0
/*
 * Teardown is safe and leaks nothing: close with chunks outstanding, a
 * process killed with commands parked, the NIC removed under an open queue
 * with commands parked. Pool pages are counted by wirecap.ko.
 */
#include <errno.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "wctest.h"
#include "wirecap_uring.h"

#define M 16
#define R 8

WCT_NIC_FIXTURE(td, 2, 64)

/* Open queue 0 again, retrying while a dead opener's file is released. */
static int reopen(const char *nic, struct wct_queue *q, unsigned int ms)
{
	int ret;

	while ((ret = wct_open(q, nic, 0)) == -EBUSY && ms--)
		usleep(1000);
	return ret;
}

TEST_F(td, close_with_chunks_out)
{
	long long pages0 = wct_pool_pages();
	struct wct_queue again;

	ASSERT_EQ(0, wct_attach(&self->q, M, R));
	EXPECT_EQ(pages0 + M * R / 2, wct_pool_pages());
	ASSERT_EQ(0, wct_inject(self->nic, 0, 3 * M + 5, 64, 0));
	ASSERT_EQ(3, wct_capture(&self->q, 8, 0));	/* full chunks */
	wct_consume(&self->q, 3);
	ASSERT_EQ(1, wct_capture(&self->q, 8, 0));	/* then a partial view */
	wct_close(&self->q);		/* nothing recycled, views out */
	EXPECT_EQ(pages0, wct_pool_pages());
	ASSERT_EQ(0, reopen(self->nic, &again, 100));
	ASSERT_EQ(0, wct_attach(&again, M, R));
	EXPECT_EQ(R - 4, again.hdr->chunks_free);
	wct_close(&again);
	EXPECT_EQ(pages0, wct_pool_pages());
}

/*
 * Closing the fd while the pool is mapped: a mapping holds the file, so
 * the queue stays open (and its data readable) until the last munmap.
 */
TEST_F(td, mapped_after_close)
{
	long long pages0 = wct_pool_pages();
	struct wct_queue *q = &self->q, again;

	ASSERT_EQ(0, wct_attach(q, M, R));
	ASSERT_EQ(0, wct_inject(self->nic, 0, M, 64, 77));
	ASSERT_EQ(1, wct_capture(q, 1, 0));
	close(q->fd);
	q->fd = -1;
	EXPECT_EQ(pages0 + M * R / 2, wct_pool_pages());
	EXPECT_EQ(-EBUSY, wct_open(&again, self->nic, 0));
	EXPECT_EQ(77, wct_seq(q, wct_desc(q, 0)->chunk_id, 0));
	q->pool[0] = 1;
	wct_unmap(q);
	EXPECT_EQ(pages0, wct_pool_pages());
	ASSERT_EQ(0, reopen(self->nic, &again, 100));
	wct_close(&again);
}

FIXTURE(kill) {
	char nic[16];
};

FIXTURE_VARIANT(kill) {
	bool uring;
};

FIXTURE_VARIANT_ADD(kill, ioctl) { .uring = false };
FIXTURE_VARIANT_ADD(kill, uring) { .uring = true };

FIXTURE_SETUP(kill)
{
	ASSERT_EQ(0, wct_nic_new(1, 64, self->nic));
}

FIXTURE_TEARDOWN(kill)
{
	wct_nic_del(self->nic);
}

TEST_F(kill, killed_with_commands_parked)
{
	long long pages0 = wct_pool_pages();
	struct wct_queue q;
	int pfd[2];
	char c;
	pid_t pid;

	ASSERT_EQ(0, pipe(pfd));
	pid = fork();
	ASSERT_GE(pid, 0);
	if (pid == 0) {
		struct wirecap_capture_cmd cc = {
			.max_descs = 1, .timeout_us = 60000000,
		};
		struct wirecap_uring wu;
		int i;

		if (wct_open(&q, self->nic, 0) || wct_attach(&q, M, R))
			_exit(1);
		if (variant->uring) {
			if (wirecap_uring_init(&wu, 8, 1) ||
			    wirecap_uring_add(&wu, q.fd))
				_exit(1);
			for (i = 0; i < 4; i++)
				wirecap_uring_capture(&wu, 0, &cc, i);
			if (wirecap_uring_submit(&wu) != 4)
				_exit(1);
			write(pfd[1], "x", 1);
		} else {
			write(pfd[1], "x", 1);
			wct_capture(&q, 1, 60000000);
		}
		pause();
		_exit(0);
	}
	ASSERT_EQ(1, read(pfd[0], &c, 1));
	usleep(50000);
	EXPECT_GE(wct_sysfs(self->nic, 0, "stats/captures_parked"),
		  variant->uring ? 4 : 1);
	kill(pid, SIGKILL);
	ASSERT_EQ(pid, waitpid(pid, NULL, 0));
	/* the dead opener's file goes away within the capped timeout */
	ASSERT_EQ(0, reopen(self->nic, &q, 5000));
	EXPECT_EQ(pages0, wct_pool_pages());
	wct_close(&q);
}

TEST_F(td, nic_removed_with_commands_parked)
{
	long long pages0 = wct_pool_pages();
	struct wct_parked parked;
	struct wirecap_desc d;

	ASSERT_EQ(0, wct_attach(&self->q, M, R));
	ASSERT_EQ(0, wct_inject(self->nic, 0, M, 64, 0));
	ASSERT_EQ(1, wct_capture(&self->q, 1, 0));	/* a view outstanding */
	d = *wct_desc(&self->q, 0);
	wct_consume(&self->q, 1);
	ASSERT_EQ(0, wct_park(&parked, self->q.fd, 900000));
	usleep(100000);
	ASSERT_EQ(0, wct_nic_del(self->nic));
	EXPECT_EQ(-ENODEV, wct_park_result(&parked));
	EXPECT_EQ(pages0, wct_pool_pages());
	/* the queue is dead: everything but close answers -ENODEV */
	EXPECT_EQ(-ENODEV, wct_capture(&self->q, 1, 0));
	EXPECT_EQ(-ENODEV, wct_recycle(&self->q, &d, 1));
	EXPECT_EQ(-1, ioctl(self->q.fd, WIRECAP_CMD_DETACH));
	EXPECT_EQ(ENODEV, errno);
	wct_close(&self->q);
}

TEST_F(td, detach_with_command_parked)
{
	struct wct_parked parked;

	ASSERT_EQ(0, wct_attach(&self->q, M, R));
	ASSERT_EQ(0, wct_park(&parked, self->q.fd, 900000));
	usleep(100000);
	ASSERT_EQ(0, ioctl(self->q.fd, WIRECAP_CMD_DETACH));
	EXPECT_EQ(-ECANCELED, wct_park_result(&parked));
}

TEST_HARNESS_MAIN
