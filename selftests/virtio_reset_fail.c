// SPDX-License-Identifier: GPL-2.0
/*
 * wirecap_virtio: a queue reset that fails (fault-injected through
 * debugfs) leaves a device that may still own the pool's cells. The
 * driver breaks the device and says so; the core keeps the pool; DETACH
 * answers -EIO and no queue of the device attaches again. Runs only on
 * the virtio NIC (scripts/test.sh boots one for it); it breaks that NIC
 * for the rest of the boot.
 */
#include <errno.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "wctest.h"

#define M 64
#define R 16

TEST(reset_fails)
{
	const char *nic = getenv("WIRECAP_IF"), *mode = getenv("WIRECAP_NIC");
	char link[PATH_MAX], path[PATH_MAX], dev[64];
	long long pages0 = wct_pool_pages();
	struct wct_queue q, q1;
	ssize_t n;
	int ret;

	if (!nic || !mode || strcmp(mode, "virtio"))
		SKIP(return, "needs the virtio NIC (WIRECAP_NIC=virtio)");
	snprintf(path, sizeof(path), "/sys/class/net/%s/device", nic);
	n = readlink(path, link, sizeof(link) - 1);
	ASSERT_LT(0, n);
	link[n] = 0;
	snprintf(dev, sizeof(dev), "%s", basename(link));
	snprintf(path, sizeof(path),
		 "/sys/kernel/debug/wirecap_virtio/%s/fail_reset", dev);

	ASSERT_EQ(0, wct_open(&q, nic, 0));
	ASSERT_EQ(0, wct_attach(&q, M, R));
	ASSERT_EQ(0, wct_write_file(path, "1"));
	ret = ioctl(q.fd, WIRECAP_CMD_DETACH) ? -errno : 0;
	EXPECT_EQ(-EIO, ret);
	EXPECT_EQ(pages0 + M * R / 2, wct_pool_pages());
	EXPECT_EQ(-EIO, wct_attach(&q, M, R));
	/* the device is broken: its other queues do not start either */
	ASSERT_EQ(0, wct_open(&q1, nic, 1));
	EXPECT_EQ(-EIO, wct_attach(&q1, M, R));
	wct_close(&q1);
	wct_close(&q);
	EXPECT_EQ(pages0 + M * R / 2, wct_pool_pages());
}

TEST_HARNESS_MAIN
