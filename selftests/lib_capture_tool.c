// SPDX-License-Identifier: GPL-2.0
/*
 * `wirecap capture` on the software NIC: the pcap file holds exactly the
 * frames that were sent (bytes compared, as a multiset), packets of a queue
 * in their order, nanosecond timestamps; -c, -q, SIGINT, --until-file,
 * --json; bad usage.
 *
 * The frames are made here (Ethernet/IPv4/UDP, random lengths and bytes,
 * a tag with queue and sequence number) and injected per queue, a few
 * longer than a cell (the kernel counts them as oversize_drops).
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "wctest.h"

#define QUEUES	4
#define RING	64
#define TAG_OFF	42		/* after Ethernet, IPv4, UDP */
#define MAXF	2048		/* cell size, frame_offset 0 */

struct frame {
	uint32_t len;
	uint8_t *data;
};

static uint32_t rnd(uint32_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 17;
	*s ^= *s << 5;
	return *s;
}

/* A UDP frame of len bytes tagged with queue and seq. */
static void make_frame(struct frame *f, uint32_t len, unsigned int queue,
		       uint32_t seq, uint32_t *seed)
{
	uint8_t *p = calloc(1, len);
	uint32_t i;

	for (i = 0; i < len; i++)
		p[i] = (uint8_t)rnd(seed);
	memcpy(p, "\x02\0\0\0\0\x01\x02\0\0\0\0\x02\x08\x00", 14);
	p[14] = 0x45;
	p[16] = (len - 14) >> 8;
	p[17] = (uint8_t)(len - 14);
	p[22] = 64;
	p[23] = 17;
	p[TAG_OFF] = 'W';
	p[TAG_OFF + 1] = (uint8_t)queue;
	p[TAG_OFF + 2] = seq >> 24;
	p[TAG_OFF + 3] = seq >> 16;
	p[TAG_OFF + 4] = seq >> 8;
	p[TAG_OFF + 5] = (uint8_t)seq;
	f->len = len;
	f->data = p;
}

static int cmp_frame(const void *a, const void *b)
{
	const struct frame *x = a, *y = b;

	if (x->len != y->len)
		return x->len < y->len ? -1 : 1;
	return memcmp(x->data, y->data, x->len);
}

/* The pcap as written by wirecap: nanosecond magic, host order. */
struct pcap {
	uint32_t magic, snaplen, linktype;
	unsigned int n;
	struct frame *f;
	uint64_t *ts;
	uint32_t *wire_len;	/* len; f[i].len is the caplen */
	int bad;		/* a short file */
	int cut;		/* records with caplen < len */
};

static int read_pcap(const char *path, struct pcap *pc)
{
	FILE *f = fopen(path, "rb");
	uint32_t h[6], r[4];
	unsigned int cap = 0;

	memset(pc, 0, sizeof(*pc));
	if (!f)
		return -errno;
	if (fread(h, 4, 6, f) != 6) {
		fclose(f);
		return -EIO;
	}
	pc->magic = h[0];
	pc->snaplen = h[4];
	pc->linktype = h[5];
	while (fread(r, 4, 4, f) == 4) {
		if (pc->n == cap) {
			cap = cap ? 2 * cap : 1024;
			pc->f = realloc(pc->f, cap * sizeof(*pc->f));
			pc->ts = realloc(pc->ts, cap * sizeof(*pc->ts));
			pc->wire_len = realloc(pc->wire_len,
					       cap * sizeof(*pc->wire_len));
		}
		if (r[2] > r[3] || r[2] > 262144)
			pc->bad++;
		pc->cut += r[2] < r[3];
		pc->wire_len[pc->n] = r[3];
		pc->f[pc->n].len = r[2];
		pc->f[pc->n].data = malloc(r[2] ? r[2] : 1);
		if (fread(pc->f[pc->n].data, 1, r[2], f) != r[2]) {
			pc->bad++;
			break;
		}
		pc->ts[pc->n] = r[0] * 1000000000ull + r[1];
		pc->n++;
	}
	fclose(f);
	return 0;
}

static void free_pcap(struct pcap *pc)
{
	unsigned int i;

	for (i = 0; i < pc->n; i++)
		free(pc->f[i].data);
	free(pc->f);
	free(pc->ts);
	free(pc->wire_len);
}

/* Frames sent (those that fit a cell) and captured differ in how many? */
static unsigned int multiset_diff(const struct frame *sent, unsigned int n,
				  struct pcap *pc)
{
	struct frame *exp = calloc(n, sizeof(*exp));
	unsigned int ne = 0, diff, i;

	for (i = 0; i < n; i++)
		if (sent[i].len <= MAXF)
			exp[ne++] = sent[i];
	qsort(exp, ne, sizeof(*exp), cmp_frame);
	qsort(pc->f, pc->n, sizeof(*pc->f), cmp_frame);
	diff = ne > pc->n ? ne - pc->n : pc->n - ne;
	for (i = 0; i < ne && i < pc->n; i++)
		diff += cmp_frame(&exp[i], &pc->f[i]) != 0;
	free(exp);
	return diff;
}

static char wirecap_bin[256];	/* build/bin/wirecap, next to us */

static char *slurp(const char *path)
{
	static char buf[8192];
	int fd = open(path, O_RDONLY);
	ssize_t n = fd < 0 ? 0 : read(fd, buf, sizeof(buf) - 1);

	if (fd >= 0)
		close(fd);
	buf[n > 0 ? n : 0] = '\0';
	return buf;
}

FIXTURE(tool) {
	char nic[16];
	pid_t pid;
};

FIXTURE_SETUP(tool)
{
	wct_tool_path(wirecap_bin, sizeof(wirecap_bin), "wirecap");
	ASSERT_EQ(0, access(wirecap_bin, X_OK)) {
		TH_LOG("no %s", wirecap_bin);
	}
	ASSERT_EQ(0, wct_nic_new(QUEUES, RING, self->nic));
	unlink("/tmp/t.done");
}

FIXTURE_TEARDOWN(tool)
{
	if (self->pid > 0) {
		kill(self->pid, SIGKILL);
		waitpid(self->pid, NULL, 0);
	}
	wct_nic_del(self->nic);
}

#define BATCHES	6
#define PERQ	200	/* frames per queue and batch: < R*M = 1024 */
#define OVERSIZE 3

TEST_F_TIMEOUT(tool, frames_equal, 120)
{
	char *argv[] = { "wirecap", "capture", "-i", self->nic, "-w",
			 "/tmp/t.pcap", "--until-file", "/tmp/t.done",
			 "--idle-ms", "300", "--json", "/tmp/t.json", "-M",
			 "16", "-R", "64", NULL };
	unsigned int nsent = 0, b, q, i, ok_order = 1;
	struct frame *sent = calloc(BATCHES * QUEUES * PERQ + OVERSIZE,
				    sizeof(*sent));
	uint32_t seed = 12345, last[QUEUES] = { 0 };
	struct timespec t0, t1;
	uint64_t ts0, ts1;
	const char *tot;
	struct pcap pc;
	char want[64];
	int rc;

	self->pid = wct_spawn(wirecap_bin, "/tmp/t.out", argv);
	ASSERT_EQ(0, wct_wait_attached(self->nic, QUEUES, 0xf, 5000));
	clock_gettime(CLOCK_REALTIME, &t0);
	for (b = 0; b < BATCHES; b++) {
		for (q = 0; q < QUEUES; q++) {
			const uint8_t *fr[PERQ + OVERSIZE];
			uint32_t len[PERQ + OVERSIZE];
			unsigned int n = 0, first = nsent;

			for (i = 0; i < PERQ; i++) {
				uint32_t l = 60 + rnd(&seed) % (1514 - 59);

				if (i % 50 == 7)
					l = MAXF;	/* the largest that fits */
				make_frame(&sent[nsent], l, q, nsent, &seed);
				nsent++;
			}
			/* too long for a cell: never captured */
			if (b == 1 && q == 2)
				for (i = 0; i < OVERSIZE; i++, nsent++)
					make_frame(&sent[nsent], 3000, q,
						   nsent, &seed);
			for (i = first; i < nsent; i++) {
				fr[n] = sent[i].data;
				len[n++] = sent[i].len;
			}
			ASSERT_EQ(0, wct_inject_frames(self->nic, q, fr, len,
						       n));
		}
		usleep(50000);	/* let it drain before the next burst */
	}
	clock_gettime(CLOCK_REALTIME, &t1);
	ASSERT_EQ(0, close(open("/tmp/t.done", O_CREAT | O_WRONLY, 0644)));
	rc = wct_wait_exit(self->pid, 20000);
	self->pid = 0;
	EXPECT_EQ(0, rc) {
		TH_LOG("wirecap output:\n%s", slurp("/tmp/t.out"));
	}
	TH_LOG("%s", slurp("/tmp/t.out"));

	ASSERT_EQ(0, read_pcap("/tmp/t.pcap", &pc));
	EXPECT_EQ(0xa1b23c4d, pc.magic);
	EXPECT_EQ(1, pc.linktype);
	EXPECT_EQ(262144, pc.snaplen);
	EXPECT_EQ(0, pc.bad);
	EXPECT_EQ(0, pc.cut);
	EXPECT_EQ(nsent - OVERSIZE, pc.n);
	/* per queue, the order of sending */
	ts0 = t0.tv_sec * 1000000000ull + t0.tv_nsec;
	ts1 = t1.tv_sec * 1000000000ull + t1.tv_nsec;
	for (i = 0; i < pc.n; i++) {
		const uint8_t *p = pc.f[i].data;
		uint32_t seq;

		if (pc.f[i].len < TAG_OFF + 6 || p[TAG_OFF] != 'W' ||
		    p[TAG_OFF + 1] >= QUEUES) {
			ok_order = 0;
			continue;
		}
		q = p[TAG_OFF + 1];
		seq = (uint32_t)p[TAG_OFF + 2] << 24 | p[TAG_OFF + 3] << 16 |
		      p[TAG_OFF + 4] << 8 | p[TAG_OFF + 5];
		if (last[q] && seq <= last[q] - 1)
			ok_order = 0;
		last[q] = seq + 1;
		if (pc.ts[i] < ts0 || pc.ts[i] > ts1)
			ok_order = 0;
	}
	EXPECT_TRUE(ok_order);
	/* the multiset of frames, bytes compared */
	EXPECT_EQ(0, multiset_diff(sent, nsent, &pc));
	snprintf(want, sizeof(want), "\"total\": {\"packets\": %u,",
		 nsent - OVERSIZE);
	EXPECT_NE(NULL, strstr(slurp("/tmp/t.json"), want)) {
		TH_LOG("json: %s", slurp("/tmp/t.json"));
	}
	tot = strstr(slurp("/tmp/t.json"), "\"total\":");
	ASSERT_NE(NULL, tot);
	EXPECT_NE(NULL, strstr(tot, "\"capture_drops\": 0,"));
	snprintf(want, sizeof(want), "\"oversize_drops\": %u,", OVERSIZE);
	EXPECT_NE(NULL, strstr(tot, want)) {
		TH_LOG("json: %s", slurp("/tmp/t.json"));
	}
	free_pcap(&pc);
	for (i = 0; i < nsent; i++)
		free(sent[i].data);
	free(sent);
}

TEST_F(tool, count_stops)
{
	char *argv[] = { "wirecap", "capture", "-i", self->nic, "-c", "100",
			 "-w", "/tmp/c.pcap", "-M", "16", "-R", "32", NULL };
	struct pcap pc;
	int rc;

	self->pid = wct_spawn(wirecap_bin, "/tmp/c.out", argv);
	ASSERT_EQ(0, wct_wait_attached(self->nic, QUEUES, 0xf, 5000));
	ASSERT_EQ(0, wct_inject(self->nic, 0, 300, 64, 0));
	rc = wct_wait_exit(self->pid, 10000);
	self->pid = 0;
	ASSERT_EQ(0, rc) {
		TH_LOG("%s", slurp("/tmp/c.out"));
	}
	ASSERT_EQ(0, read_pcap("/tmp/c.pcap", &pc));
	EXPECT_EQ(100, pc.n);
	EXPECT_EQ(0, pc.bad);
	free_pcap(&pc);
}

TEST_F(tool, snaplen)
{
	char *argv[] = { "wirecap", "capture", "-i", self->nic, "-q", "2",
			 "-s", "100", "-c", "10", "-w", "/tmp/n.pcap", NULL };
	struct frame fr[10];
	const uint8_t *data[10];
	uint32_t len[10], seed = 7;
	struct pcap pc;
	unsigned int i;
	int rc;

	for (i = 0; i < 10; i++) {
		make_frame(&fr[i], 200 + i, 2, i, &seed);
		data[i] = fr[i].data;
		len[i] = fr[i].len;
	}
	self->pid = wct_spawn(wirecap_bin, "/tmp/n.out", argv);
	ASSERT_EQ(0, wct_wait_attached(self->nic, QUEUES, 0x4, 5000));
	ASSERT_EQ(0, wct_inject_frames(self->nic, 2, data, len, 10));
	rc = wct_wait_exit(self->pid, 10000);
	self->pid = 0;
	ASSERT_EQ(0, rc);
	ASSERT_EQ(0, read_pcap("/tmp/n.pcap", &pc));
	EXPECT_EQ(100, pc.snaplen);
	ASSERT_EQ(10, pc.n);
	EXPECT_EQ(10, pc.cut);
	for (i = 0; i < 10; i++) {
		EXPECT_EQ(100, pc.f[i].len);
		EXPECT_EQ(200 + i, pc.wire_len[i]);
		EXPECT_EQ(0, memcmp(pc.f[i].data, fr[i].data, 100));
		free(fr[i].data);
	}
	free_pcap(&pc);
}

TEST_F(tool, queue_subset)
{
	char *argv[] = { "wirecap", "capture", "-i", self->nic, "-q", "1,3",
			 "-w", "/tmp/s.pcap", "--until-file", "/tmp/t.done",
			 "--idle-ms", "200", "-M", "16", "-R", "32", NULL };
	unsigned int q, i, per[QUEUES] = { 0 };
	struct pcap pc;
	int rc;

	self->pid = wct_spawn(wirecap_bin, "/tmp/s.out", argv);
	ASSERT_EQ(0, wct_wait_attached(self->nic, QUEUES, 0xa, 5000));
	EXPECT_EQ(0, wct_sysfs(self->nic, 0, "attached"));
	EXPECT_EQ(0, wct_sysfs(self->nic, 2, "attached"));
	for (q = 0; q < QUEUES; q++)
		ASSERT_EQ(0, wct_inject(self->nic, q, 40 + q, 64, 0));
	ASSERT_EQ(0, close(open("/tmp/t.done", O_CREAT | O_WRONLY, 0644)));
	rc = wct_wait_exit(self->pid, 10000);
	self->pid = 0;
	ASSERT_EQ(0, rc);
	TH_LOG("%s", slurp("/tmp/s.out"));
	ASSERT_EQ(0, read_pcap("/tmp/s.pcap", &pc));
	/* generated frames of 64 bytes: told apart by count only */
	EXPECT_EQ(41 + 43, pc.n);
	for (i = 0; i < pc.n; i++)
		per[pc.f[i].len == 64]++;
	EXPECT_EQ(pc.n, per[1]);
	EXPECT_NE(NULL, strstr(slurp("/tmp/s.out"), "    1           41"));
	EXPECT_NE(NULL, strstr(slurp("/tmp/s.out"), "    3           43"));
	free_pcap(&pc);
}

TEST_F(tool, sigint)
{
	char *argv[] = { "wirecap", "capture", "-i", self->nic, "-w",
			 "/tmp/i.pcap", "-M", "16", "-R", "32", NULL };
	struct pcap pc;
	int rc;

	self->pid = wct_spawn(wirecap_bin, "/tmp/i.out", argv);
	ASSERT_EQ(0, wct_wait_attached(self->nic, QUEUES, 0xf, 5000));
	ASSERT_EQ(0, wct_inject(self->nic, 2, 5, 64, 0));
	usleep(300000);		/* delivered by the CAPTURE timeout */
	kill(self->pid, SIGINT);
	rc = wct_wait_exit(self->pid, 10000);
	self->pid = 0;
	ASSERT_EQ(0, rc);
	ASSERT_EQ(0, read_pcap("/tmp/i.pcap", &pc));
	EXPECT_EQ(5, pc.n);
	free_pcap(&pc);
	/* all queues free again */
	EXPECT_EQ(0, wct_sysfs(self->nic, 0, "attached"));
}

TEST_F(tool, bad_usage)
{
	char *nocmd[] = { "wirecap", "frobnicate", NULL };
	char *badq[] = { "wirecap", "capture", "-i", self->nic, "-q", "3-1",
			 NULL };
	char *noif[] = { "wirecap", "capture", "-i", "nosuchnic0", "-c", "1",
			 NULL };
	char *help[] = { "wirecap", "capture", "-h", NULL };

	EXPECT_EQ(2, wct_wait_exit(wct_spawn(wirecap_bin, "/tmp/u.out", nocmd), 5000));
	EXPECT_EQ(2, wct_wait_exit(wct_spawn(wirecap_bin, "/tmp/u.out", badq), 5000));
	EXPECT_EQ(1, wct_wait_exit(wct_spawn(wirecap_bin, "/tmp/u.out", noif), 5000));
	EXPECT_NE(NULL, strstr(slurp("/tmp/u.out"), "nosuchnic0"));
	EXPECT_EQ(0, wct_wait_exit(wct_spawn(wirecap_bin, "/tmp/u.out", help), 5000));
	EXPECT_NE(NULL, strstr(slurp("/tmp/u.out"), "--until-file"));
}

TEST_HARNESS_MAIN
