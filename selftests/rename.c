// SPDX-License-Identifier: GPL-2.0
/*
 * Queue names follow the NIC's: after a rename, /dev/wirecap/<new>-qN and
 * /sys/class/wirecap/<new>-qN are the queue (an open file goes on
 * working, INFO says the new name), the old names are gone, and a second
 * NIC can take the old name without colliding.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <sched.h>
#include <stdlib.h>
#include <sys/wait.h>
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
	ASSERT_EQ(0, wct_link_rename(a, a2));
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
	ASSERT_EQ(0, wct_link_rename(b, old_a));
	EXPECT_FALSE(node_exists(b, 0));
	ASSERT_EQ(0, wct_open(&qb, old_a, 0));
	ib = info_of(qb.fd);
	EXPECT_NE(ia.nic_id, ib.nic_id);
	EXPECT_STREQ(old_a, ib.ifname);
	EXPECT_EQ(1, ib.nr_rings);
	wct_close(&qb);

	wct_close(&qa);
	/* softnic deletes by the current name: the first ones again */
	EXPECT_EQ(0, wct_link_rename(old_a, b));
	EXPECT_EQ(0, wct_link_rename(a2, a));
	EXPECT_TRUE(node_exists(a, 0));
	EXPECT_TRUE(node_exists(b, 0));
	EXPECT_EQ(0, wct_nic_del(a));
	EXPECT_EQ(0, wct_nic_del(b));
}

/* The queue node whose ifname attribute is ifname and name not node. */
static int find_node(const char *ifname, const char *not, char *out,
		     size_t len)
{
	struct dirent *e;
	DIR *d = opendir("/sys/class/wirecap");
	int found = -ENOENT;

	while (d && (e = readdir(d))) {
		char path[300], v[32] = "";
		FILE *f;

		if (e->d_name[0] == '.' || !strcmp(e->d_name, not))
			continue;
		snprintf(path, sizeof(path), "/sys/class/wirecap/%s/ifname",
			 e->d_name);
		f = fopen(path, "r");
		if (!f)
			continue;
		if (fgets(v, sizeof(v), f))
			v[strcspn(v, "\n")] = 0;
		fclose(f);
		if (!strcmp(v, ifname)) {
			snprintf(out, len, "%s", e->d_name);
			found = 0;
		}
	}
	if (d)
		closedir(d);
	return found;
}

/*
 * The container's side: b, moved here, is renamed a (a name the first
 * namespace uses), then taken (the next name the first namespace gives).
 */
static int collide_child(const char *a, const char *b, const char *taken,
			 int to_parent, int from_parent)
{
	struct wct_queue q;
	char node[300];
	char x;

	if (unshare(CLONE_NEWNET) || write(to_parent, "1", 1) != 1 ||
	    read(from_parent, &x, 1) != 1)
		return 1;
	if (wct_link_rename(b, a))
		return 2;
	/* a-q0 is the first namespace's: b's queue is under another name */
	if (find_node(a, "", node, sizeof(node)) ||
	    strncmp(node, "wirecap", 7))
		return 3;
	node[strlen(node) - 3] = 0;		/* drop "-q0" */
	if (wct_open(&q, node, 0))
		return 4;
	if (strcmp(info_of(q.fd).ifname, a))
		return 5;
	wct_close(&q);
	if (wct_link_rename(a, taken))
		return 6;
	if (write(to_parent, "2", 1) != 1 || read(from_parent, &x, 1) != 1)
		return 7;
	/* home under its first name, which is free there */
	return wct_link_rename(taken, b) ? 8 : 0;
}

TEST(names_collide_across_namespaces)
{
	char a[16], b[16], c[16], taken[32], self_node[40], node[300];
	int up[2], down[2], status;
	struct wct_queue q;
	pid_t pid;
	char x;

	ASSERT_EQ(0, wct_nic_new(1, 64, a));
	ASSERT_EQ(0, wct_nic_new(1, 64, b));
	/* softnic names NICs wcsim<n> in order: the next one's name */
	snprintf(taken, sizeof(taken), "wcsim%d", atoi(b + 5) + 1);

	ASSERT_EQ(0, pipe(up));
	ASSERT_EQ(0, pipe(down));
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid)
		_exit(collide_child(a, b, taken, up[1], down[0]));
	ASSERT_EQ(1, read(up[0], &x, 1));
	ASSERT_EQ(0, wct_link_netns(b, pid));
	ASSERT_EQ(1, write(down[1], "1", 1));
	ASSERT_EQ(1, read(up[0], &x, 1));
	/* the container holds taken-q0 now: a NIC of that name registers */
	ASSERT_EQ(0, wct_nic_new(1, 64, c));
	EXPECT_STREQ(taken, c);
	EXPECT_EQ(0, find_node(c, "", node, sizeof(node)));
	/* its queue is under the other name, and ours */
	snprintf(self_node, sizeof(self_node), "%s-q0", c);
	EXPECT_EQ(0, find_node(c, self_node, node, sizeof(node)));
	node[strlen(node) - 3] = 0;
	ASSERT_EQ(0, wct_open(&q, node, 0));
	EXPECT_STREQ(c, info_of(q.fd).ifname);
	EXPECT_EQ(0, wct_attach(&q, M, R));
	wct_close(&q);
	/* while taken-q0, the container's, is not ours to open */
	EXPECT_EQ(-ENODEV, wct_open(&q, c, 0));

	ASSERT_EQ(1, write(down[1], "1", 1));
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	ASSERT_TRUE(WIFEXITED(status));
	EXPECT_EQ(0, WEXITSTATUS(status));
	for (status = 0; status < 100 && !if_nametoindex(b); status++)
		usleep(20000);
	EXPECT_EQ(0, wct_nic_del(a));
	EXPECT_EQ(0, wct_nic_del(c));
	EXPECT_EQ(0, wct_nic_del(b));
}

TEST_HARNESS_MAIN
