// SPDX-License-Identifier: GPL-2.0
/*
 * Pool memory is charged as AF_XDP's UMEM is: the pages count against the
 * user's RLIMIT_MEMLOCK (unless CAP_IPC_LOCK), across every pool the user
 * holds, and against the caller's memory cgroup. A pool that does not fit
 * is refused with a clear error (-ENOBUFS, -ENOMEM) and leaves nothing
 * behind; the charge goes back once the pool is detached and no longer
 * mapped (the pages stay pinned as long as a mapping holds them). Each case runs in a child process
 * with the capabilities and limits it needs.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>
#include <linux/capability.h>

#include "kselftest_harness.h"
#include "wctest.h"

#define M 16
#define R 8
#define CG "/sys/fs/cgroup"

static int caps_keep(uint64_t mask)
{
	struct __user_cap_header_struct h = {
		.version = _LINUX_CAPABILITY_VERSION_3,
	};
	struct __user_cap_data_struct d[2] = {
		{ .effective = (uint32_t)mask, .permitted = (uint32_t)mask },
		{ .effective = mask >> 32, .permitted = mask >> 32 },
	};

	return syscall(SYS_capset, &h, d) ? -errno : 0;
}

/* Bytes a pool of m x r charges: its pages and the control area's. */
static size_t pool_bytes(struct wct_queue *q)
{
	return q->info.pool_size + q->info.ctrl_size;
}

static int set_memlock(size_t bytes)
{
	struct rlimit rl = { .rlim_cur = bytes, .rlim_max = bytes };

	return setrlimit(RLIMIT_MEMLOCK, &rl) ? -errno : 0;
}

/* The child: 0 when everything it checks holds, else the failed step. */
static int memlock_child(const char *nic, long long pages0)
{
	struct wct_queue q0, q1;
	size_t one;

	if (caps_keep((1ULL << CAP_NET_RAW) | (1ULL << CAP_NET_ADMIN) |
		      (1ULL << CAP_SYS_RESOURCE)))
		return 1;
	/* the size of one pool, measured with the limit out of the way */
	if (set_memlock(1 << 30) || wct_open(&q0, nic, 0) ||
	    wct_attach(&q0, M, R))
		return 2;
	one = pool_bytes(&q0);
	wct_close(&q0);
	/* room for one pool, not for two */
	if (set_memlock(one + one / 2))
		return 3;
	if (wct_open(&q0, nic, 0) || wct_open(&q1, nic, 1))
		return 4;
	if (wct_attach(&q0, M, R))
		return 5;
	if (wct_attach(&q1, M, R) != -ENOBUFS)
		return 6;
	if (wct_pool_pages() != pages0 + M * R / 2)
		return 7;	/* the refused one left nothing */
	/* DETACH gives the charge back, but only with the last mapping */
	if (ioctl(q0.fd, WIRECAP_CMD_DETACH))
		return 8;
	if (wct_attach(&q1, M, R) != -ENOBUFS)
		return 11;	/* q0's pages are still mapped */
	wct_unmap(&q0);
	if (wct_attach(&q1, M, R))
		return 9;
	/* below one pool: nothing */
	wct_close(&q1);
	if (set_memlock(one / 2) || wct_attach(&q0, M, R) != -ENOBUFS)
		return 10;
	wct_close(&q0);
	return 0;
}

TEST(rlimit_memlock)
{
	long long pages0 = wct_pool_pages();
	char nic[16];
	int status;
	pid_t pid;

	ASSERT_EQ(0, wct_nic_new(2, 64, nic));
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid)
		_exit(memlock_child(nic, pages0));
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	ASSERT_TRUE(WIFEXITED(status));
	EXPECT_EQ(0, WEXITSTATUS(status));
	EXPECT_EQ(pages0, wct_pool_pages());
	wct_nic_del(nic);
}

/* A memory cgroup of memory.max bytes with nothing in it; 0 or -errno. */
static int cg_make(const char *name, const char *max)
{
	char path[128];
	int ret;

	if (mount("none", CG, "cgroup2", 0, NULL) && errno != EBUSY)
		return -errno;
	ret = wct_write_file(CG "/cgroup.subtree_control", "+memory");
	if (ret)
		return ret;
	snprintf(path, sizeof(path), CG "/%s", name);
	if (mkdir(path, 0755) && errno != EEXIST)
		return -errno;
	snprintf(path, sizeof(path), CG "/%s/memory.max", name);
	return wct_write_file(path, max);
}

static int cg_child(const char *nic)
{
	char pid[16];
	struct wct_queue q;
	int ret;

	snprintf(pid, sizeof(pid), "%d", getpid());
	if (wct_write_file(CG "/wctest/cgroup.procs", pid))
		return 1;
	if (wct_open(&q, nic, 0))
		return 2;
	/* 32 MiB in a group of 16 MiB */
	ret = wct_attach(&q, 64, 256);
	if (ret != -ENOMEM)
		return ret == 0 ? 3 : 4;
	/* 2 MiB fits */
	if (wct_attach(&q, 64, 16))
		return 5;
	wct_close(&q);
	return 0;
}

TEST(memory_cgroup)
{
	long long pages0 = wct_pool_pages();
	char nic[16];
	int status, ret;
	pid_t pid;

	ret = cg_make("wctest", "16777216");
	if (ret)
		SKIP(return, "no memory cgroup here (%d)", ret);
	ASSERT_EQ(0, wct_nic_new(1, 64, nic));
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid)
		_exit(cg_child(nic));
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	ASSERT_TRUE(WIFEXITED(status));
	EXPECT_EQ(0, WEXITSTATUS(status));
	EXPECT_EQ(pages0, wct_pool_pages());
	wct_nic_del(nic);
	rmdir(CG "/wctest");
}

TEST_HARNESS_MAIN
