// SPDX-License-Identifier: GPL-2.0
/*
 * Unloading: the NIC driver's module may go while one of its queues is
 * open with a command parked (the queue dies, the command completes with
 * -ENODEV); wirecap.ko itself cannot go while anything uses it. Both are
 * loaded again afterwards from $WIRECAP_MODDIR.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "wctest.h"

TEST(unload_with_queue_open)
{
	struct wct_parked parked;
	struct wct_queue q;
	char nic[16];
	int ret;

	if (!getenv("WIRECAP_MODDIR"))
		SKIP(return, "WIRECAP_MODDIR not set");
	ASSERT_EQ(0, wct_nic_new(2, 64, nic));
	ASSERT_EQ(0, wct_open(&q, nic, 0));
	ASSERT_EQ(0, wct_attach(&q, 16, 8));
	ASSERT_EQ(0, wct_inject(nic, 0, 4, 64, 0));	/* no full chunk */
	ASSERT_EQ(0, wct_park(&parked, q.fd, 900000));
	usleep(100000);

	/* in use by the NIC driver and by our open queue */
	ret = wct_module_unload("wirecap");
	EXPECT_TRUE(ret == -EWOULDBLOCK || ret == -EBUSY);
	/* the NIC driver goes, queue open and command parked */
	EXPECT_EQ(0, wct_module_unload("wirecap_softnic"));
	EXPECT_EQ(-ENODEV, wct_park_result(&parked));
	EXPECT_EQ(-ENODEV, wct_capture(&q, 1, 0));
	EXPECT_EQ(0, wct_pool_pages());
	/* our file still pins wirecap.ko */
	ret = wct_module_unload("wirecap");
	EXPECT_TRUE(ret == -EWOULDBLOCK || ret == -EBUSY);
	wct_close(&q);
	EXPECT_EQ(0, wct_module_unload("wirecap"));

	ASSERT_EQ(0, wct_module_load("wirecap.ko", ""));
	ASSERT_EQ(0, wct_module_load("wirecap_softnic.ko", ""));
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
