// SPDX-License-Identifier: GPL-2.0
/*
 * Who may capture. Opening a queue needs CAP_NET_RAW; ATTACH, which takes
 * the queue away from the network stack, needs CAP_NET_ADMIN; both over
 * the NIC's network namespace, and a NIC in another network namespace is
 * not there for the caller (-ENODEV), whatever its capabilities. Each
 * case runs in a child process that drops capabilities or changes its
 * namespace; the NIC is moved between namespaces over rtnetlink.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>
#include <linux/capability.h>

#include "kselftest_harness.h"
#include "wctest.h"

#define M 16
#define R 8

/* Keep only the capabilities in mask (effective, permitted). */
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

/*
 * Run fn in a child process; its exit status is fn's result (a negative
 * errno is sent as its absolute value + 100, 0 as 0).
 */
static int in_child(int (*fn)(void *), void *arg)
{
	int status;
	pid_t pid = fork();

	if (pid < 0)
		return -errno;
	if (!pid) {
		int r = fn(arg);

		_exit(r < 0 ? 100 - r : r);
	}
	if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status))
		return -EINTR;
	return WEXITSTATUS(status) >= 100 ? 100 - WEXITSTATUS(status) :
	       WEXITSTATUS(status);
}

struct try_args {
	const char *nic;
	uint64_t caps;
};

/* Drop to args->caps, then open and ATTACH queue 0. */
static int try_attach(void *arg)
{
	struct try_args *a = arg;
	struct wct_queue q;
	int ret;

	ret = caps_keep(a->caps);
	if (ret)
		return ret;
	ret = wct_open(&q, a->nic, 0);
	if (ret)
		return ret == -EPERM ? -EACCES : ret;	/* tell the steps apart */
	ret = wct_attach(&q, M, R);
	wct_close(&q);
	return ret;
}

FIXTURE(pv) {
	char nic[16];
};

FIXTURE_SETUP(pv)
{
	ASSERT_EQ(0, wct_nic_new(1, 64, self->nic));
}

FIXTURE_TEARDOWN(pv)
{
	wct_nic_del(self->nic);
}

TEST_F(pv, net_raw_opens_net_admin_attaches)
{
	struct try_args a = { .nic = self->nic };

	a.caps = 1ULL << CAP_NET_RAW;
	EXPECT_EQ(-EPERM, in_child(try_attach, &a));	/* opened, no ATTACH */
	a.caps = 1ULL << CAP_NET_ADMIN;
	EXPECT_EQ(-EACCES, in_child(try_attach, &a));	/* no open */
	a.caps = (1ULL << CAP_NET_RAW) | (1ULL << CAP_NET_ADMIN) |
		 (1ULL << CAP_IPC_LOCK);
	EXPECT_EQ(0, in_child(try_attach, &a));
}

/* The child's side of the namespace test: signals over a pipe pair. */
struct ns_args {
	const char *nic;
	int to_parent, from_parent;
};

static int ns_child(void *arg)
{
	struct ns_args *a = arg;
	struct wct_queue q;
	int ret, r1, r2;
	char c = 0;

	if (unshare(CLONE_NEWNET))
		return -errno;
	/* the NIC is still in the first namespace: not there for us */
	r1 = wct_open(&q, a->nic, 0);
	if (!r1)
		wct_close(&q);
	if (write(a->to_parent, "1", 1) != 1 ||
	    read(a->from_parent, &c, 1) != 1)
		return -EPIPE;
	/* moved here now: ours */
	r2 = wct_open(&q, a->nic, 0);
	if (r2)
		return r1 == -ENODEV ? 50 : 51;
	ret = wct_attach(&q, M, R);
	wct_close(&q);
	if (r1 != -ENODEV)
		return 52;
	return ret ? 53 : 0;
}

TEST_F(pv, other_netns_unreachable)
{
	struct ns_args a = { .nic = self->nic };
	int up[2], down[2], status, ret;
	struct wct_queue q;
	pid_t pid;
	char c;

	ASSERT_EQ(0, pipe(up));
	ASSERT_EQ(0, pipe(down));
	a.to_parent = up[1];
	a.from_parent = down[0];
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		int r = ns_child(&a);

		_exit(r < 0 ? 99 : r);
	}
	ASSERT_EQ(1, read(up[0], &c, 1));
	ASSERT_EQ(0, wct_link_netns(self->nic, pid));
	/* from here, the NIC is in the child's namespace: not ours */
	ret = wct_open(&q, self->nic, 0);
	if (!ret)
		wct_close(&q);
	EXPECT_EQ(-ENODEV, ret);
	ASSERT_EQ(1, write(down[1], "1", 1));
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	ASSERT_TRUE(WIFEXITED(status));
	EXPECT_EQ(0, WEXITSTATUS(status));
	/* the child's namespace is gone: the NIC comes home, reachable */
	for (ret = 0; ret < 100 && !if_nametoindex(self->nic); ret++)
		usleep(20000);
	ret = wct_open(&q, self->nic, 0);
	EXPECT_EQ(0, ret);
	if (!ret) {
		EXPECT_EQ(0, wct_attach(&q, M, R));
		wct_close(&q);
	}
}

/*
 * A NIC that moves to another network namespace takes its queue along: a
 * file opened before the move loses it at once (its pool detached, every
 * call -ENODEV), and the queue may be opened in the new namespace.
 */
static int reopen_child(void *arg)
{
	struct ns_args *a = arg;
	struct wct_queue q;
	int ret;
	char c = 0;

	if (unshare(CLONE_NEWNET))
		return -errno;
	if (write(a->to_parent, "1", 1) != 1 ||
	    read(a->from_parent, &c, 1) != 1)
		return -EPIPE;
	ret = wct_open(&q, a->nic, 0);
	if (ret)
		return ret;
	ret = wct_attach(&q, M, R);
	wct_close(&q);
	return ret;
}

TEST_F(pv, moved_nic_revokes_open_file)
{
	struct ns_args a = { .nic = self->nic };
	struct wirecap_stats st = { .size = sizeof(st) };
	int up[2], down[2], status, ret;
	struct wirecap_desc d;
	struct wct_parked parked;
	struct wct_queue q;
	void *p;
	pid_t pid;
	char c;

	ASSERT_EQ(0, wct_open(&q, self->nic, 0));
	ASSERT_EQ(0, wct_attach(&q, M, R));
	ASSERT_EQ(0, wct_inject(self->nic, 0, M + 2, 64, 0));
	ASSERT_EQ(1, wct_capture(&q, 1, 0));
	d = *wct_desc(&q, 0);
	ASSERT_EQ(0, wct_park(&parked, q.fd, 900000));
	usleep(100000);

	ASSERT_EQ(0, pipe(up));
	ASSERT_EQ(0, pipe(down));
	a.to_parent = up[1];
	a.from_parent = down[0];
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		int r = reopen_child(&a);

		_exit(r < 0 ? 100 - r : r);
	}
	ASSERT_EQ(1, read(up[0], &c, 1));
	ASSERT_EQ(0, wct_link_netns(self->nic, pid));
	/* the file opened here has lost the queue */
	EXPECT_EQ(-ENODEV, wct_park_result(&parked));
	EXPECT_EQ(-ENODEV, wct_capture(&q, 1, 0));
	EXPECT_EQ(-ENODEV, wct_recycle(&q, &d, 1));
	ret = ioctl(q.fd, WIRECAP_CMD_STATS, &st) ? -errno : 0;
	EXPECT_EQ(-ENODEV, ret);
	p = mmap(NULL, q.pool_len, PROT_READ, MAP_SHARED, q.fd,
		 q.info.pool_offset);
	EXPECT_EQ(MAP_FAILED, p);
	EXPECT_EQ(0, wct_sysfs(self->nic, 0, "attached"));
	/* and the new namespace may open it */
	ASSERT_EQ(1, write(down[1], "1", 1));
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	ASSERT_TRUE(WIFEXITED(status));
	EXPECT_EQ(0, WEXITSTATUS(status));
	/* back here when the child's namespace is gone: still not ours */
	for (ret = 0; ret < 100 && !if_nametoindex(self->nic); ret++)
		usleep(20000);
	EXPECT_EQ(-ENODEV, wct_capture(&q, 1, 0));
	wct_close(&q);
	ASSERT_EQ(0, wct_open(&q, self->nic, 0));
	EXPECT_EQ(0, wct_attach(&q, M, R));
	wct_close(&q);
}

TEST_HARNESS_MAIN
