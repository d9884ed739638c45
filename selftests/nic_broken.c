// SPDX-License-Identifier: GPL-2.0
/*
 * A NIC that cannot stop writing into a pool (its ->queue_stop failed: on
 * virtio, a queue reset that failed) must never have that pool freed
 * under its DMA: DETACH says -EIO, the pool's pages stay allocated for
 * good, and the queue refuses ATTACH from then on. Other queues are not
 * affected. The software NIC's fail_stop knob plays the failing device.
 */
#include <errno.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "wctest.h"

#define M 16
#define R 8

WCT_NIC_FIXTURE(nb, 2, 64)

TEST_F(nb, stop_fails_pool_kept)
{
	long long pages0 = wct_pool_pages();
	struct wct_queue q1;
	int ret;

	ASSERT_EQ(0, wct_attach(&self->q, M, R));
	ASSERT_EQ(0, wct_inject(self->nic, 0, M + 3, 64, 0));
	ASSERT_EQ(1, wct_capture(&self->q, 4, 0));	/* a view is out */
	ASSERT_EQ(0, wct_nic_fault(self->nic, "fail_stop", EIO));
	ret = ioctl(self->q.fd, WIRECAP_CMD_DETACH) ? -errno : 0;
	EXPECT_EQ(-EIO, ret);
	EXPECT_EQ(0, wct_sysfs(self->nic, 0, "attached"));
	/* kept, not freed: the device may still write there */
	EXPECT_EQ(pages0 + M * R / 2, wct_pool_pages());
	EXPECT_EQ(-EIO, wct_attach(&self->q, M, R));
	EXPECT_EQ(-ENXIO, wct_capture(&self->q, 1, 0));
	/* the view user space still maps stays readable */
	EXPECT_EQ(0, wct_seq(&self->q, wct_desc(&self->q, 0)->chunk_id, 0));

	/* the other queue of the NIC attaches and captures */
	ASSERT_EQ(0, wct_open(&q1, self->nic, 1));
	ASSERT_EQ(0, wct_attach(&q1, M, R));
	ASSERT_EQ(0, wct_inject(self->nic, 1, M, 64, 100));
	EXPECT_EQ(1, wct_capture(&q1, 4, 0));
	wct_close(&q1);

	/* closing does not free it either */
	wct_close(&self->q);
	EXPECT_EQ(pages0 + M * R / 2, wct_pool_pages());
	ASSERT_EQ(0, wct_open(&self->q, self->nic, 0));
	EXPECT_EQ(-EIO, wct_attach(&self->q, M, R));
}

TEST_HARNESS_MAIN
