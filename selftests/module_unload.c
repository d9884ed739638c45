// SPDX-License-Identifier: GPL-2.0
/*
 * Unloading: the NIC driver's module may go while one of its queues is
 * open with a command parked (the queue dies, the command completes with
 * -ENODEV); wirecap.ko itself cannot go while anything uses it. Both are
 * loaded again afterwards from $WIRECAP_MODDIR.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "wctest.h"
#include "wirecap_uring.h"

static int unload(const char *name)
{
	return syscall(SYS_delete_module, name, O_NONBLOCK) ? -errno : 0;
}

static int load(const char *file, const char *params)
{
	const char *dir = getenv("WIRECAP_MODDIR");
	char path[512];
	int fd, ret;

	snprintf(path, sizeof(path), "%s/%s", dir ? dir : ".", file);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	ret = syscall(SYS_finit_module, fd, params, 0) ? -errno : 0;
	close(fd);
	return ret;
}

struct parked {
	int fd;
	int res;
};

static void *park(void *p)
{
	struct wirecap_capture_cmd cc = { .max_descs = 1, .timeout_us = 900000 };
	struct parked *a = p;
	struct wirecap_uring wu;
	struct io_uring_cqe cqe;

	a->res = 1;
	if (wirecap_uring_init(&wu, 8, 1) || wirecap_uring_add(&wu, a->fd))
		return NULL;
	wirecap_uring_capture(&wu, 0, &cc, 0);
	wirecap_uring_submit(&wu);
	if (wirecap_uring_reap(&wu, &cqe, 1, 5000000) == 1)
		a->res = cqe.res;
	wirecap_uring_exit(&wu);
	return NULL;
}

TEST(unload_with_queue_open)
{
	struct wct_queue q;
	struct parked a;
	pthread_t t;
	char nic[16];
	int ret;

	if (!getenv("WIRECAP_MODDIR"))
		SKIP(return, "WIRECAP_MODDIR not set");
	ASSERT_EQ(0, wct_nic_new(2, 64, nic));
	ASSERT_EQ(0, wct_open(&q, nic, 0));
	ASSERT_EQ(0, wct_attach(&q, 16, 8));
	ASSERT_EQ(0, wct_inject(nic, 0, 4, 64, 0));	/* no full chunk */
	a.fd = q.fd;
	ASSERT_EQ(0, pthread_create(&t, NULL, park, &a));
	usleep(100000);

	/* in use by the NIC driver and by our open queue */
	ret = unload("wirecap");
	EXPECT_TRUE(ret == -EWOULDBLOCK || ret == -EBUSY);
	/* the NIC driver goes, queue open and command parked */
	EXPECT_EQ(0, unload("wirecap_softnic"));
	pthread_join(t, NULL);
	EXPECT_EQ(-ENODEV, a.res);
	EXPECT_EQ(-ENODEV, wct_capture(&q, 1, 0));
	EXPECT_EQ(0, wct_pool_pages());
	/* our file still pins wirecap.ko */
	ret = unload("wirecap");
	EXPECT_TRUE(ret == -EWOULDBLOCK || ret == -EBUSY);
	wct_close(&q);
	EXPECT_EQ(0, unload("wirecap"));

	ASSERT_EQ(0, load("wirecap.ko", ""));
	ASSERT_EQ(0, load("wirecap_softnic.ko", ""));
	/* and it works again */
	ASSERT_EQ(0, wct_nic_new(1, 64, nic));
	ASSERT_EQ(0, wct_open(&q, nic, 0));
	ASSERT_EQ(0, wct_attach(&q, 16, 8));
	ASSERT_EQ(0, wct_inject(nic, 0, 16, 64, 0));
	EXPECT_EQ(1, wct_capture(&q, 1, 0));
	wct_close(&q);
	EXPECT_EQ(0, wct_nic_del(nic));
}

TEST_HARNESS_MAIN
