// SPDX-License-Identifier: GPL-2.0
/* One opener per queue; other queues and reopening are unaffected. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <sys/wait.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "wctest.h"

WCT_NIC_FIXTURE(open1, 2, 64)

TEST_F(open1, second_open_busy)
{
	struct wct_queue again, other;

	EXPECT_EQ(-EBUSY, wct_open(&again, self->nic, 0));
	ASSERT_EQ(0, wct_open(&other, self->nic, 1));
	EXPECT_EQ(1, other.info.ring_id);
	wct_close(&other);
}

TEST_F(open1, reopen_after_close)
{
	struct wct_queue again;

	ASSERT_EQ(0, wct_attach(&self->q, 16, 8));
	wct_close(&self->q);
	ASSERT_EQ(0, wct_open(&again, self->nic, 0));
	/* a new opener starts detached */
	EXPECT_EQ(0, again.info.nr_chunks);
	EXPECT_EQ(0, wct_sysfs(self->nic, 0, "attached"));
	wct_close(&again);
}

TEST_F(open1, busy_across_processes)
{
	struct wct_queue again;
	pid_t pid = fork();

	ASSERT_GE(pid, 0);
	if (pid == 0)
		_exit(wct_open(&again, self->nic, 0) == -EBUSY ? 0 : 1);
	int status;

	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	EXPECT_EQ(0, WEXITSTATUS(status));
}

TEST_F(open1, no_such_queue)
{
	struct wct_queue none;

	EXPECT_EQ(-ENOENT, wct_open(&none, self->nic, 2));
}

TEST_F(open1, unprivileged_refused)
{
	struct wct_queue mine;
	pid_t pid;
	int status;

	wct_close(&self->q);
	pid = fork();
	ASSERT_GE(pid, 0);
	if (pid == 0) {
		int ret;

		if (setuid(65534))
			_exit(2);
		ret = wct_open(&mine, self->nic, 0);
		_exit(ret == -EACCES || ret == -EPERM ? 0 : 1);
	}
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	EXPECT_EQ(0, WEXITSTATUS(status));
}

TEST_HARNESS_MAIN
