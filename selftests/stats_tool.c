// SPDX-License-Identifier: GPL-2.0
/*
 * `wirecap stats` reports the kernel's counters of the attached queues: as
 * a table, as JSON, and as OpenMetrics (whose syntax the host test
 * selftests/host/stats_metrics.sh checks with a real parser).
 */
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "kselftest_harness.h"
#include "wctest.h"

WCT_NIC_FIXTURE(stats, 2, 64)

/* Run a command, its stdout into buf. Returns its exit status. */
static int run(const char *cmd, char *buf, size_t len)
{
	FILE *p = popen(cmd, "r");
	size_t n;

	if (!p)
		return -1;
	n = fread(buf, 1, len - 1, p);
	buf[n] = '\0';
	return WEXITSTATUS(pclose(p));
}

TEST_F(stats, only_attached_queues)
{
	char cmd[128], out[4096], key[64];

	snprintf(cmd, sizeof(cmd), "wirecap stats -i %s", self->nic);
	ASSERT_EQ(0, run(cmd, out, sizeof(out)));
	EXPECT_NE(NULL, strstr(out, "(no queue attached)"));
	snprintf(cmd, sizeof(cmd), "wirecap stats -i %s --all", self->nic);
	ASSERT_EQ(0, run(cmd, out, sizeof(out)));
	snprintf(key, sizeof(key), "%s-q1 ", self->nic);
	EXPECT_NE(NULL, strstr(out, key));

	ASSERT_EQ(0, wct_attach(&self->q, 16, 8));
	snprintf(cmd, sizeof(cmd), "wirecap stats -i %s", self->nic);
	ASSERT_EQ(0, run(cmd, out, sizeof(out)));
	snprintf(key, sizeof(key), "%s-q0 ", self->nic);
	EXPECT_NE(NULL, strstr(out, key));
	snprintf(key, sizeof(key), "%s-q1 ", self->nic);
	EXPECT_EQ(NULL, strstr(out, key));
}

TEST_F(stats, json_matches_kernel)
{
	struct wirecap_stats st;
	char cmd[128], out[4096], key[64], *q0;

	ASSERT_EQ(0, wct_attach(&self->q, 16, 8));
	ASSERT_EQ(0, wct_inject(self->nic, 0, 1000, 64, 0));
	ASSERT_EQ(8, wct_capture(&self->q, 8, 0));	/* R*M = 128 kept */
	st = wct_stats(&self->q);
	snprintf(cmd, sizeof(cmd), "wirecap stats -i %s --json", self->nic);
	ASSERT_EQ(0, run(cmd, out, sizeof(out)));
	snprintf(key, sizeof(key), "\"%s-q0\": {", self->nic);
	q0 = strstr(out, key);
	ASSERT_NE(NULL, q0);
	snprintf(key, sizeof(key), "\"received\": %llu",
		 (unsigned long long)st.received);
	EXPECT_NE(NULL, strstr(q0, key));
	snprintf(key, sizeof(key), "\"capture_drops\": %llu",
		 (unsigned long long)st.capture_drops);
	EXPECT_NE(NULL, strstr(q0, key));
	snprintf(key, sizeof(key), "\"delivered\": %llu",
		 (unsigned long long)st.delivered);
	EXPECT_NE(NULL, strstr(q0, key));
	EXPECT_EQ(128, st.received);
	EXPECT_EQ(872, st.capture_drops);
	EXPECT_EQ(128, st.delivered);
}

TEST_F(stats, openmetrics_matches_kernel)
{
	static const struct {
		const char *name;
		size_t off;
	} c[] = {
		{ "received_total", offsetof(struct wirecap_stats, received) },
		{ "capture_drops_total",
		  offsetof(struct wirecap_stats, capture_drops) },
		{ "delivered_total", offsetof(struct wirecap_stats, delivered) },
		{ "chunks_captured_total",
		  offsetof(struct wirecap_stats, chunks_captured) },
		{ "pool_high_water",
		  offsetof(struct wirecap_stats, pool_high_water) },
	};
	struct wirecap_stats st;
	char cmd[128], out[16384], key[160];
	unsigned int i;

	ASSERT_EQ(0, wct_attach(&self->q, 16, 8));
	ASSERT_EQ(0, wct_inject(self->nic, 0, 300, 64, 0));
	ASSERT_EQ(8, wct_capture(&self->q, 8, 0));
	st = wct_stats(&self->q);
	snprintf(cmd, sizeof(cmd), "wirecap stats -i %s --openmetrics",
		 self->nic);
	ASSERT_EQ(0, run(cmd, out, sizeof(out)));
	for (i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		snprintf(key, sizeof(key),
			 "\nwirecap_%s{ifname=\"%s\",queue=\"0\","
			 "node=\"%s-q0\"} %llu\n", c[i].name, self->nic,
			 self->nic, (unsigned long long)
			 *(__u64 *)((char *)&st + c[i].off));
		EXPECT_NE(NULL, strstr(out, key)) TH_LOG("no %s", key + 1);
	}
	snprintf(key, sizeof(key), "\nwirecap_attached{ifname=\"%s\","
		 "queue=\"0\",node=\"%s-q0\"} 1\n", self->nic, self->nic);
	EXPECT_NE(NULL, strstr(out, key));
	/* queue 1 has no pool: not served without --all */
	snprintf(key, sizeof(key), "{ifname=\"%s\",queue=\"1\",", self->nic);
	EXPECT_EQ(NULL, strstr(out, key));
	EXPECT_NE(NULL, strstr(out, "\n# EOF\n"));
	EXPECT_EQ(128, st.received);
	EXPECT_EQ(172, st.capture_drops);
}

TEST_HARNESS_MAIN
