// SPDX-License-Identifier: GPL-2.0
/*
 * Queue names follow the NIC's: after a rename, /dev/wirecap/<new>-qN and
 * /sys/class/wirecap/<new>-qN are the queue (an open file goes on
 * working, INFO says the new name), the old names are gone, and a second
 * NIC can take the old name without colliding.
 */
#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "wctest.h"

#define M 16
#define R 8

static int set_name(const char *from, const char *to)
{
	struct ifreq ifr;
	int fd, ret;

	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", from);
	snprintf(ifr.ifr_newname, sizeof(ifr.ifr_newname), "%s", to);
	fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	ret = ioctl(fd, SIOCSIFNAME, &ifr) ? -errno : 0;
	close(fd);
	return ret;
}

static bool node_exists(const char *nic, unsigned int ring)
{
	char path[96];

	snprintf(path, sizeof(path), WIRECAP_DEV_DIR "/%s-q%u", nic, ring);
	return access(path, F_OK) == 0;
}

static struct wirecap_info info_of(int fd)
{
	struct wirecap_info i = { .size = sizeof(i) };

	ioctl(fd, WIRECAP_CMD_INFO, &i);
	return i;
}

TEST(rename_with_queue_open)
{
	char a[16], b[16], a2[16], old_a[16];
	struct wct_queue qa, qb, again;
	struct wirecap_info ia, ib;

	ASSERT_EQ(0, wct_nic_new(2, 64, a));
	ASSERT_EQ(0, wct_nic_new(1, 64, b));
	snprintf(old_a, sizeof(old_a), "%s", a);
	ASSERT_EQ(0, wct_open(&qa, a, 0));
	ASSERT_EQ(0, wct_attach(&qa, M, R));
	ia = info_of(qa.fd);

	snprintf(a2, sizeof(a2), "wcren%u", ia.nic_id);
	ASSERT_EQ(0, set_name(a, a2));
	/* the queue under its new name, the old one gone */
	EXPECT_TRUE(node_exists(a2, 0));
	EXPECT_TRUE(node_exists(a2, 1));
	EXPECT_FALSE(node_exists(old_a, 0));
	EXPECT_FALSE(node_exists(old_a, 1));
	EXPECT_STREQ(a2, info_of(qa.fd).ifname);
	EXPECT_EQ(1, wct_sysfs(a2, 0, "attached"));
	/* the open queue still captures (softnic's debugfs keeps its name) */
	ASSERT_EQ(0, wct_inject(old_a, 0, M, 64, 0));
	EXPECT_EQ(1, wct_capture(&qa, 1, 0));
	EXPECT_EQ(M, wct_sysfs(a2, 0, "stats/received"));
	/* and its other queue opens under the new name */
	ASSERT_EQ(0, wct_open(&again, a2, 1));
	EXPECT_EQ(ia.nic_id, info_of(again.fd).nic_id);
	wct_close(&again);

	/* the second NIC takes the first one's old name */
	ASSERT_EQ(0, set_name(b, old_a));
	EXPECT_FALSE(node_exists(b, 0));
	ASSERT_EQ(0, wct_open(&qb, old_a, 0));
	ib = info_of(qb.fd);
	EXPECT_NE(ia.nic_id, ib.nic_id);
	EXPECT_STREQ(old_a, ib.ifname);
	EXPECT_EQ(1, ib.nr_rings);
	wct_close(&qb);

	wct_close(&qa);
	/* softnic deletes by the current name: the first ones again */
	EXPECT_EQ(0, set_name(old_a, b));
	EXPECT_EQ(0, set_name(a2, a));
	EXPECT_TRUE(node_exists(a, 0));
	EXPECT_TRUE(node_exists(b, 0));
	EXPECT_EQ(0, wct_nic_del(a));
	EXPECT_EQ(0, wct_nic_del(b));
}

TEST_HARNESS_MAIN
