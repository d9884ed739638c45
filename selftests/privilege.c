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
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>
#include <linux/capability.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>

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

/* Move interface ifname into the network namespace of process pid. */
static int link_to_netns(const char *ifname, pid_t pid)
{
	struct {
		struct nlmsghdr nh;
		struct ifinfomsg ifi;
		char attrs[64];
	} req = {
		.nh.nlmsg_type = RTM_NEWLINK,
		.nh.nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK,
		.ifi.ifi_family = AF_UNSPEC,
	};
	struct {
		struct nlmsghdr nh;
		struct nlmsgerr err;
	} ack;
	struct rtattr *rta;
	uint32_t p = pid;
	int fd, ret;

	req.ifi.ifi_index = if_nametoindex(ifname);
	if (!req.ifi.ifi_index)
		return -ENODEV;
	rta = (struct rtattr *)req.attrs;
	rta->rta_type = IFLA_NET_NS_PID;
	rta->rta_len = RTA_LENGTH(sizeof(p));
	memcpy(RTA_DATA(rta), &p, sizeof(p));
	req.nh.nlmsg_len = NLMSG_LENGTH(sizeof(req.ifi)) + RTA_ALIGN(rta->rta_len);

	fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
	if (fd < 0)
		return -errno;
	ret = send(fd, &req, req.nh.nlmsg_len, 0) < 0 ? -errno : 0;
	if (!ret)
		ret = recv(fd, &ack, sizeof(ack), 0) < 0 ? -errno :
		      ack.nh.nlmsg_type == NLMSG_ERROR ? ack.err.error : -EPROTO;
	close(fd);
	return ret;
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
	ASSERT_EQ(0, link_to_netns(self->nic, pid));
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

TEST_HARNESS_MAIN
