// SPDX-License-Identifier: GPL-2.0
/*
 * `wirecap profile` and `wirecap capture --live` on the software NIC.
 *
 * profile: known counts are injected into chosen queues in two bursts
 * separated by a sleep; the CSV must hold exactly those counts per queue
 * column, in contiguous bins of --bin-ms from 0, with the sleep as empty
 * bins and each burst's counts on its side of them. Also -c with another
 * bin width, a packet stamped before the first one read (the origin moves
 * back by whole bins), and bad usage (the VM has no gnuplot: --png fails
 * with a message saying so).
 *
 * capture --live: stderr gets well-formed lines, one per interval (not a
 * terminal), with every queue; the queues that got nothing show 0/s, and
 * the capture drops of the lines add up to the final report's.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "wctest.h"

#define QUEUES		4
#define RING		64
#define MAX_COLS	QUEUES
#define MAX_ROWS	100000

static char wirecap_bin[256];	/* build/bin/wirecap, next to us */

static char *slurp(const char *path)
{
	static char buf[65536];
	int fd = open(path, O_RDONLY);
	ssize_t n = fd < 0 ? 0 : read(fd, buf, sizeof(buf) - 1);

	if (fd >= 0)
		close(fd);
	buf[n > 0 ? n : 0] = '\0';
	return buf;
}

static void touch(const char *path)
{
	close(open(path, O_CREAT | O_WRONLY, 0644));
}

/* A profile CSV: its header and rows of time_ms and one count per column. */
struct csv {
	char header[256];
	unsigned int ncols;
	size_t nrows;
	unsigned long long time[MAX_ROWS];
	unsigned long long v[MAX_ROWS][MAX_COLS];
	int bad;		/* rows with the wrong number of fields */
};

static struct csv csv;

static int read_csv(const char *path, struct csv *c)
{
	FILE *f = fopen(path, "r");
	char line[1024], *s, *end;
	unsigned int i;

	memset(c, 0, sizeof(*c));
	if (!f)
		return -errno;
	if (!fgets(c->header, sizeof(c->header), f)) {
		fclose(f);
		return -EIO;
	}
	c->header[strcspn(c->header, "\n")] = '\0';
	for (s = c->header; *s; s++)
		c->ncols += *s == ',';
	while (fgets(line, sizeof(line), f) && c->nrows < MAX_ROWS) {
		s = line;
		c->time[c->nrows] = strtoull(s, &end, 10);
		for (i = 0; i < c->ncols && *end == ','; i++) {
			s = end + 1;
			c->v[c->nrows][i] = strtoull(s, &end, 10);
		}
		if (i != c->ncols || end == s || (*end != '\n' && *end))
			c->bad++;
		c->nrows++;
	}
	fclose(f);
	return 0;
}

static unsigned long long row_sum(const struct csv *c, size_t r)
{
	unsigned long long s = 0;
	unsigned int i;

	for (i = 0; i < c->ncols; i++)
		s += c->v[r][i];
	return s;
}

/* Sum of column col over rows [from, to). */
static unsigned long long col_sum(const struct csv *c, unsigned int col,
				  size_t from, size_t to)
{
	unsigned long long s = 0;
	size_t r;

	for (r = from; r < to; r++)
		s += c->v[r][col];
	return s;
}

FIXTURE(profile) {
	char nic[16];
	pid_t pid;
};

FIXTURE_SETUP(profile)
{
	wct_tool_path(wirecap_bin, sizeof(wirecap_bin), "wirecap");
	ASSERT_EQ(0, access(wirecap_bin, X_OK)) {
		TH_LOG("no %s", wirecap_bin);
	}
	ASSERT_EQ(0, wct_nic_new(QUEUES, RING, self->nic));
	unlink("/tmp/p.done");
	unlink("/tmp/p.csv");
}

FIXTURE_TEARDOWN(profile)
{
	if (self->pid > 0) {
		kill(self->pid, SIGKILL);
		waitpid(self->pid, NULL, 0);
	}
	wct_nic_del(self->nic);
}

#define GAP_MS	300

/*
 * Queues 0, 1 and 3 profiled, 2 not (it gets packets too); two bursts
 * GAP_MS apart. Bins of 10 ms: the gap leaves at least GAP_MS / 10 - 1
 * empty bins between the last packet of burst 1 and the first of burst 2.
 */
TEST_F_TIMEOUT(profile, two_bursts, 120)
{
	char *argv[] = { "wirecap", "profile", "-i", self->nic, "--queues",
			 "0,1,3", "--bin-ms", "10", "-o", "/tmp/p.csv",
			 "--until-file", "/tmp/p.done", "--idle-ms", "300",
			 "-M", "16", "-R", "64", NULL };
	static const unsigned int ring[] = { 0, 1, 3 };
	static const unsigned int burst1[] = { 300, 120, 40 };
	static const unsigned int burst2[] = { 25, 260, 7 };
	size_t r, run = 0, best = 0, best_end = 0;
	uint64_t seq = 0;
	unsigned int i;
	char want[64];
	int rc;

	self->pid = wct_spawn(wirecap_bin, "/tmp/p.out", argv);
	ASSERT_EQ(0, wct_wait_attached(self->nic, QUEUES, 0xb, 5000));
	for (i = 0; i < 3; i++) {
		ASSERT_EQ(0, wct_inject(self->nic, ring[i], burst1[i], 64, seq));
		seq += burst1[i];
	}
	ASSERT_EQ(0, wct_inject(self->nic, 2, 50, 64, seq));
	usleep(GAP_MS * 1000);
	for (i = 0; i < 3; i++) {
		ASSERT_EQ(0, wct_inject(self->nic, ring[i], burst2[i], 64, seq));
		seq += burst2[i];
	}
	touch("/tmp/p.done");
	rc = wct_wait_exit(self->pid, 20000);
	self->pid = 0;
	TH_LOG("%s", slurp("/tmp/p.out"));
	ASSERT_EQ(0, rc);

	ASSERT_EQ(0, read_csv("/tmp/p.csv", &csv));
	EXPECT_STREQ("time_ms,q0,q1,q3", csv.header);
	ASSERT_EQ(3, csv.ncols);
	EXPECT_EQ(0, csv.bad);
	ASSERT_GT(csv.nrows, GAP_MS / 10);
	/* contiguous bins from 0, none trailing or leading empty */
	for (r = 0; r < csv.nrows; r++)
		if (csv.time[r] != r * 10)
			break;
	EXPECT_EQ(csv.nrows, r) {
		TH_LOG("row %zu: time_ms %llu", r, csv.time[r]);
	}
	EXPECT_NE(0, row_sum(&csv, 0));
	EXPECT_NE(0, row_sum(&csv, csv.nrows - 1));
	/* every packet, once, in its queue's column */
	for (i = 0; i < 3; i++)
		EXPECT_EQ(burst1[i] + burst2[i],
			  col_sum(&csv, i, 0, csv.nrows));
	/* the gap: the longest run of empty bins */
	for (r = 0; r < csv.nrows; r++) {
		run = row_sum(&csv, r) ? 0 : run + 1;
		if (run > best) {
			best = run;
			best_end = r + 1;
		}
	}
	EXPECT_GE(best, GAP_MS / 10 - 1);
	for (i = 0; i < 3; i++) {
		EXPECT_EQ(burst1[i], col_sum(&csv, i, 0, best_end - best));
		EXPECT_EQ(burst2[i], col_sum(&csv, i, best_end, csv.nrows));
	}
	/* the summary */
	snprintf(want, sizeof(want), "\n    1 %12u", burst1[1] + burst2[1]);
	EXPECT_NE(NULL, strstr(slurp("/tmp/p.out"), want));
	EXPECT_NE(NULL, strstr(slurp("/tmp/p.out"), "imbalance"));
}

/* -c stops at exactly COUNT packets, binned at another width. */
TEST_F_TIMEOUT(profile, count_and_bin_width, 60)
{
	char *argv[] = { "wirecap", "profile", "-i", self->nic, "-q", "2",
			 "--bin-ms", "50", "-c", "200", "-o", "/tmp/p.csv",
			 "-M", "16", "-R", "64", NULL };
	size_t r;
	int rc;

	self->pid = wct_spawn(wirecap_bin, "/tmp/p.out", argv);
	ASSERT_EQ(0, wct_wait_attached(self->nic, QUEUES, 0x4, 5000));
	ASSERT_EQ(0, wct_inject(self->nic, 2, 150, 64, 0));
	usleep(120000);
	ASSERT_EQ(0, wct_inject(self->nic, 2, 150, 64, 150));
	rc = wct_wait_exit(self->pid, 10000);
	self->pid = 0;
	TH_LOG("%s", slurp("/tmp/p.out"));
	ASSERT_EQ(0, rc);
	ASSERT_EQ(0, read_csv("/tmp/p.csv", &csv));
	EXPECT_STREQ("time_ms,q2", csv.header);
	EXPECT_EQ(0, csv.bad);
	EXPECT_EQ(200, col_sum(&csv, 0, 0, csv.nrows));
	/* 150 in the first bin(s), 50 at least 120 ms later */
	EXPECT_GE(csv.nrows, 3);
	for (r = 0; r < csv.nrows; r++)
		EXPECT_EQ(r * 50, csv.time[r]);
	EXPECT_EQ(150, col_sum(&csv, 0, 0, 2));
}

/*
 * A packet read after one stamped later: 5 packets on queue 3 wait in a
 * partial chunk for the CAPTURE timeout (up to 1 s), while a full chunk
 * of queue 0 that came 40 ms later is delivered at once and read first.
 * Bin 0 must still hold queue 3's packets, queue 0's at least 4 bins on.
 * (If queue 3's timeout happens to fall in the 40 ms, the order is the
 * plain one; the checks hold either way.)
 */
TEST_F_TIMEOUT(profile, earlier_packet_read_later, 60)
{
	char *argv[] = { "wirecap", "profile", "-i", self->nic, "-q", "0,3",
			 "-c", "21", "-o", "/tmp/p.csv", "-M", "16", "-R",
			 "8", "--timeout-us", "1000000", NULL };
	size_t r;
	int rc;

	self->pid = wct_spawn(wirecap_bin, "/tmp/p.out", argv);
	ASSERT_EQ(0, wct_wait_attached(self->nic, QUEUES, 0x9, 5000));
	ASSERT_EQ(0, wct_inject(self->nic, 3, 5, 64, 0));
	usleep(40000);
	ASSERT_EQ(0, wct_inject(self->nic, 0, 16, 64, 5));
	rc = wct_wait_exit(self->pid, 10000);
	self->pid = 0;
	TH_LOG("%s", slurp("/tmp/p.out"));
	ASSERT_EQ(0, rc);
	ASSERT_EQ(0, read_csv("/tmp/p.csv", &csv));
	EXPECT_STREQ("time_ms,q0,q3", csv.header);
	EXPECT_EQ(0, csv.bad);
	EXPECT_EQ(16, col_sum(&csv, 0, 0, csv.nrows));
	EXPECT_EQ(5, col_sum(&csv, 1, 0, csv.nrows));
	ASSERT_GE(csv.nrows, 5);
	EXPECT_EQ(5, csv.v[0][1]);
	EXPECT_EQ(0, col_sum(&csv, 0, 0, 4));
	for (r = 0; r < csv.nrows; r++)
		EXPECT_EQ(r * 10, csv.time[r]);
}

TEST_F(profile, bad_usage)
{
	char *bin0[] = { "wirecap", "profile", "-i", self->nic, "--bin-ms",
			 "0", NULL };
	char *badq[] = { "wirecap", "profile", "-i", self->nic, "-q", "3-1",
			 NULL };
	char *extra[] = { "wirecap", "profile", "-i", self->nic, "junk",
			  NULL };
	char *noif[] = { "wirecap", "profile", "-i", "nosuchnic0", "-c", "1",
			 NULL };
	char *plot_nopng[] = { "wirecap", "profile", "--plot", "/tmp/p.csv",
			       NULL };
	char *png[] = { "wirecap", "profile", "-i", self->nic, "-c", "1",
			"--png", "/tmp/p.png", NULL };
	char *badint[] = { "wirecap", "capture", "-i", self->nic,
			   "--interval-ms", "5", NULL };
	char *help[] = { "wirecap", "profile", "-h", NULL };

	EXPECT_EQ(2, wct_wait_exit(wct_spawn(wirecap_bin, "/tmp/u.out", bin0), 5000));
	EXPECT_EQ(2, wct_wait_exit(wct_spawn(wirecap_bin, "/tmp/u.out", badq), 5000));
	EXPECT_EQ(2, wct_wait_exit(wct_spawn(wirecap_bin, "/tmp/u.out", extra), 5000));
	EXPECT_EQ(2, wct_wait_exit(wct_spawn(wirecap_bin, "/tmp/u.out", plot_nopng), 5000));
	EXPECT_EQ(1, wct_wait_exit(wct_spawn(wirecap_bin, "/tmp/u.out", noif), 5000));
	EXPECT_NE(NULL, strstr(slurp("/tmp/u.out"), "nosuchnic0"));
	/* no gnuplot in the VM: refused before anything is opened */
	EXPECT_EQ(1, wct_wait_exit(wct_spawn(wirecap_bin, "/tmp/u.out", png), 5000));
	EXPECT_NE(NULL, strstr(slurp("/tmp/u.out"), "gnuplot"));
	EXPECT_EQ(0, wct_sysfs(self->nic, 0, "attached"));
	EXPECT_EQ(2, wct_wait_exit(wct_spawn(wirecap_bin, "/tmp/u.out", badint), 5000));
	EXPECT_EQ(0, wct_wait_exit(wct_spawn(wirecap_bin, "/tmp/u.out", help), 5000));
	EXPECT_NE(NULL, strstr(slurp("/tmp/u.out"), "--bin-ms"));
}

/*
 * One --live line: "<secs>s  q<ring> <rate>/s drop <n> ... total <rate>/s
 * drop <n>". Fills rate[] and drop[] (QUEUES entries, by ring) and the
 * totals. 0, or -1 when the line is not one.
 */
static int parse_live(const char *line, double *rate, unsigned long long *drop,
		      double *trate, unsigned long long *tdrop)
{
	unsigned int q, ring;
	double secs;
	int n;

	if (sscanf(line, "%lfs%n", &secs, &n) != 1)
		return -1;
	line += n;
	for (q = 0; q < QUEUES; q++) {
		if (sscanf(line, "  q%u %lf/s drop %llu%n", &ring, &rate[q],
			   &drop[q], &n) != 3 || ring != q)
			return -1;
		line += n;
	}
	if (sscanf(line, "  total %lf/s drop %llu%n", trate, tdrop, &n) != 2)
		return -1;
	return line[n] == '\0' ? 0 : -1;
}

TEST_F_TIMEOUT(profile, capture_live, 60)
{
	char *argv[] = { "wirecap", "capture", "-i", self->nic, "-L",
			 "--interval-ms", "200", "--until-file", "/tmp/p.done",
			 "--idle-ms", "700", "-M", "16", "-R", "8", NULL };
	double rate[QUEUES], trate, max_rate[QUEUES] = { 0 }, sum;
	unsigned long long drop[QUEUES], tdrop, drops[QUEUES] = { 0 };
	unsigned long long pkts, chunks, final_drops;
	unsigned int lines = 0, rows = 0, q, ring;
	char *out, *line, *save;
	int rc;

	self->pid = wct_spawn(wirecap_bin, "/tmp/l.out", argv);
	ASSERT_EQ(0, wct_wait_attached(self->nic, QUEUES, 0xf, 5000));
	/* more than the 128 cells of queue 0's pool at once: maybe drops */
	ASSERT_EQ(0, wct_inject(self->nic, 0, 1000, 64, 0));
	ASSERT_EQ(0, wct_inject(self->nic, 2, 100, 64, 1000));
	usleep(500000);
	touch("/tmp/p.done");
	rc = wct_wait_exit(self->pid, 10000);
	self->pid = 0;
	out = slurp("/tmp/l.out");
	TH_LOG("%s", out);
	ASSERT_EQ(0, rc);

	for (line = strtok_r(out, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save)) {
		if (sscanf(line, "%u %llu %llu %llu", &ring, &pkts, &chunks,
			   &final_drops) == 4 && ring == 0) {
			/* the report's row of queue 0, after the lines */
			EXPECT_EQ(drops[0], final_drops);
			rows++;
			continue;
		}
		if (!strstr(line, "/s drop "))
			continue;
		ASSERT_EQ(0, parse_live(line, rate, drop, &trate, &tdrop)) {
			TH_LOG("not a live line: '%s'", line);
		}
		lines++;
		sum = 0;
		for (q = 0; q < QUEUES; q++) {
			sum += rate[q];
			drops[q] += drop[q];
			if (rate[q] > max_rate[q])
				max_rate[q] = rate[q];
		}
		EXPECT_LE(trate - sum, QUEUES);		/* rounding */
		EXPECT_LE(sum - trate, QUEUES);
		EXPECT_EQ(drop[0] + drop[1] + drop[2] + drop[3], tdrop);
	}
	/* about 1.2 s at 200 ms: a few lines */
	EXPECT_GE(lines, 3);
	EXPECT_EQ(1, rows);
	EXPECT_GT(max_rate[0], 0);
	EXPECT_GT(max_rate[2], 0);
	EXPECT_EQ(0, max_rate[1]);
	EXPECT_EQ(0, max_rate[3]);
	EXPECT_EQ(0, drops[1] + drops[2] + drops[3]);
	TH_LOG("%u live lines; queue 0 drops %llu", lines, drops[0]);
}

TEST_HARNESS_MAIN
