// SPDX-License-Identifier: GPL-2.0
/*
 * `wirecap forward` on the software NIC: frames made here (Ethernet/IPv4/
 * UDP, random bytes, a sequence number where the generated ones carry
 * theirs) go into NIC A, queue by queue; half of them to UDP port 1000,
 * which the filter keeps. NIC B's wire (debugfs) is read while it runs.
 *
 *   filter_half      -o B with a filter: B's wire carries exactly the
 *                    kept frames, byte for byte, each once, each queue's
 *                    in the order sent, out of B's queue N modulo B's 2;
 *                    the counters add up: received = capture drops +
 *                    filtered + forwarded + tx dropped + refused, per
 *                    queue and in total (table and --json)
 *   back_out_of_a    -o A, no filter, -x 3: everything back out of A
 *   tx_drops         B's wire too small and nobody reading it: what it
 *                    cannot hold (XMIT waits WIRECAP_XMIT_STALL_MS for
 *                    room first) is counted tx_dropped, and still adds up
 *   advanced         --mode advanced, a low threshold: the same frames,
 *                    the same counts (order between chunks not kept)
 *   bad_usage        no -o, a bad filter, an output NIC that is none
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "wctest.h"

#define QA	4		/* A's queues */
#define QB	2		/* B's */
#define PERQ	400		/* frames per queue */
#define SEQ_OFF	WIRECAP_SOFTNIC_SEQ_OFF
#define NSENT	(QA * PERQ)

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

/* seq = queue << 24 | i; even i to UDP port 1000, odd to 1001 */
static uint64_t seq_of(unsigned int q, unsigned int i)
{
	return (uint64_t)q << 24 | i;
}

static void make_frame(struct frame *f, unsigned int q, unsigned int i,
		       uint32_t *seed)
{
	uint32_t len = 60 + rnd(seed) % (1514 - 59), k;
	uint64_t seq = seq_of(q, i);
	uint8_t *p = malloc(len);

	for (k = 0; k < len; k++)
		p[k] = (uint8_t)rnd(seed);
	memcpy(p, "\x02\0\0\0\0\x01\x02\0\0\0\0\x02\x08\x00", 14);
	p[14] = 0x45;
	p[15] = 0;
	p[16] = (len - 14) >> 8;
	p[17] = (uint8_t)(len - 14);
	p[20] = p[21] = 0;		/* not a fragment */
	p[22] = 64;
	p[23] = 17;
	p[36] = 1000 >> 8;		/* UDP destination port */
	p[37] = (uint8_t)(1000 + (i & 1));
	for (k = 0; k < 8; k++)
		p[SEQ_OFF + k] = (uint8_t)(seq >> (56 - 8 * k));
	f->len = len;
	f->data = p;
}

#define FILTER	"udp dst port 1000"

static bool kept(unsigned int i)
{
	return !(i & 1);
}

/* --- B's wire, read while the tool runs --------------------------------- */

struct wire {
	const char *nic;
	uint32_t stop;
	pthread_t t;
	unsigned int n, cap;
	struct frame *f;
	int err;
};

static void wire_add(void *ctx, const uint8_t *data, uint32_t len)
{
	struct wire *w = ctx;

	if (w->n == w->cap) {
		w->cap = w->cap ? 2 * w->cap : 1024;
		w->f = realloc(w->f, w->cap * sizeof(*w->f));
	}
	w->f[w->n].len = len;
	w->f[w->n].data = malloc(len);
	memcpy(w->f[w->n].data, data, len);
	w->n++;
}

static void *wire_reader(void *arg)
{
	struct wire *w = arg;

	while (!__atomic_load_n(&w->stop, __ATOMIC_ACQUIRE)) {
		int n = wct_wire_read(w->nic, wire_add, w);

		if (n < 0) {
			w->err = n;
			break;
		}
		if (!n)
			usleep(2000);
	}
	return NULL;
}

static void wire_start(struct wire *w, const char *nic)
{
	memset(w, 0, sizeof(*w));
	w->nic = nic;
	pthread_create(&w->t, NULL, wire_reader, w);
}

/* Stop reading, then take what is left. */
static void wire_stop(struct wire *w)
{
	__atomic_store_n(&w->stop, 1, __ATOMIC_RELEASE);
	pthread_join(w->t, NULL);
	wct_wire_read(w->nic, wire_add, w);
}

static void wire_free(struct wire *w)
{
	unsigned int i;

	for (i = 0; i < w->n; i++)
		free(w->f[i].data);
	free(w->f);
}

/*
 * The wire against the frames sent: every frame on it is a kept one, byte
 * for byte, none twice, every kept one there; with order, each queue's in
 * the order sent. The number of mismatches (0: exact).
 */
static unsigned int check_wire(struct __test_metadata *_metadata,
			       const struct wire *w,
			       struct frame sent[QA][PERQ], bool all,
			       bool order)
{
	static uint8_t seen[QA][PERQ];
	int last[QA] = { -1, -1, -1, -1 };
	unsigned int k, q, i, bad = 0, want = 0;

	memset(seen, 0, sizeof(seen));
	for (k = 0; k < w->n; k++) {
		const struct frame *f = &w->f[k];
		uint64_t seq;

		if (f->len < SEQ_OFF + 8) {
			bad++;
			continue;
		}
		seq = wct_frame_seq(f->data);
		q = (unsigned int)(seq >> 24);
		i = (unsigned int)(seq & 0xffffff);
		if (q >= QA || i >= PERQ || (!all && !kept(i)) || seen[q][i] ||
		    f->len != sent[q][i].len ||
		    memcmp(f->data, sent[q][i].data, f->len)) {
			if (bad++ < 5)
				TH_LOG("frame %u on the wire: seq %llx len %u",
				       k, (unsigned long long)seq, f->len);
			continue;
		}
		seen[q][i] = 1;
		if (order && (int)i <= last[q]) {
			if (bad++ < 5)
				TH_LOG("queue %u: %u after %d", q, i, last[q]);
		}
		last[q] = (int)i;
	}
	for (q = 0; q < QA; q++)
		for (i = 0; i < PERQ; i++)
			if (all || kept(i)) {
				want++;
				bad += !seen[q][i];
			}
	TH_LOG("wire: %u frames, %u wanted, %u mismatches", w->n, want, bad);
	return bad;
}

static char *slurp(const char *path)
{
	static char buf[16384];
	int fd = open(path, O_RDONLY);
	ssize_t n = fd < 0 ? 0 : read(fd, buf, sizeof(buf) - 1);

	if (fd >= 0)
		close(fd);
	buf[n > 0 ? n : 0] = '\0';
	return buf;
}

static char wirecap_bin[256];

FIXTURE(fwd) {
	char a[16], b[16];
	pid_t pid;
	struct frame sent[QA][PERQ];
};

FIXTURE_SETUP(fwd)
{
	uint32_t seed = 4242;
	unsigned int q, i;

	wct_tool_path(wirecap_bin, sizeof(wirecap_bin), "wirecap");
	ASSERT_EQ(0, access(wirecap_bin, X_OK));
	ASSERT_EQ(0, wct_nic_new(QA, 64, self->a));
	/* B's wire holds every frame: no TX drop whatever the timing */
	ASSERT_EQ(0, wct_nic_new(QB, 2048, self->b));
	for (q = 0; q < QA; q++)
		for (i = 0; i < PERQ; i++)
			make_frame(&self->sent[q][i], q, i, &seed);
	unlink("/tmp/f.done");
}

FIXTURE_TEARDOWN(fwd)
{
	unsigned int q, i;

	if (self->pid > 0) {
		kill(self->pid, SIGKILL);
		waitpid(self->pid, NULL, 0);
	}
	for (q = 0; q < QA; q++)
		for (i = 0; i < PERQ; i++)
			free(self->sent[q][i].data);
	wct_nic_del(self->a);
	wct_nic_del(self->b);
}

/* Every queue's frames into A, in batches the pool holds. */
static int send_all(const char *nic, struct frame sent[QA][PERQ])
{
	unsigned int q, i, b;

	for (b = 0; b < PERQ; b += 100) {
		for (q = 0; q < QA; q++) {
			const uint8_t *fr[100];
			uint32_t len[100];

			for (i = 0; i < 100; i++) {
				fr[i] = sent[q][b + i].data;
				len[i] = sent[q][b + i].len;
			}
			if (wct_inject_frames(nic, q, fr, len, 100))
				return -1;
		}
		usleep(20000);
	}
	return 0;
}

/* The tool's end: until-file, then its exit status. */
static int finish(pid_t *pid)
{
	int rc;

	close(open("/tmp/f.done", O_CREAT | O_WRONLY, 0644));
	rc = wct_wait_exit(*pid, 30000);
	*pid = 0;
	return rc;
}

/* The JSON has prefix (a queue's, or the total's) with these counts. */
static void expect_counts(struct __test_metadata *_metadata, const char *js,
			  const char *prefix, unsigned int received,
			  unsigned int filtered, unsigned int forwarded,
			  unsigned int tx_dropped)
{
	char want[512];

	snprintf(want, sizeof(want), "%s\"received\": %u, "
		 "\"capture_drops\": 0, \"filtered\": %u, \"forwarded\": %u, "
		 "\"tx_dropped\": %u, \"tx_refused\": 0, \"expired\": 0, "
		 "\"processed\": %u, "
		 "\"balanced\": true", prefix, received, filtered, forwarded,
		 tx_dropped, received);
	EXPECT_NE(NULL, strstr(js, want)) {
		TH_LOG("want %s in %s", want, js);
	}
}

#define TOTAL	"\"total\": {"

TEST_F_TIMEOUT(fwd, filter_half, 180)
{
	char *argv[] = { "wirecap", "forward", "-i", self->a, "-o", self->b,
			 FILTER, "-M", "16", "-R", "64", "--until-file",
			 "/tmp/f.done", "--idle-ms", "500", "--json",
			 "/tmp/f.json", NULL };
	struct wire w;
	char want[128], *js;
	unsigned int q;
	int rc;

	wire_start(&w, self->b);
	self->pid = wct_spawn(wirecap_bin, "/tmp/f.out", argv);
	ASSERT_EQ(0, wct_wait_attached(self->a, QA, 0xf, 5000));
	ASSERT_EQ(0, send_all(self->a, self->sent));
	rc = finish(&self->pid);
	wire_stop(&w);
	EXPECT_EQ(0, rc);
	TH_LOG("%s", slurp("/tmp/f.out"));
	EXPECT_EQ(0, w.err);
	EXPECT_EQ(NSENT / 2, w.n);
	EXPECT_EQ(0, check_wire(_metadata, &w, self->sent, false, true));
	js = slurp("/tmp/f.json");
	/* each queue out of B's queue N modulo 2, with its own counts */
	for (q = 0; q < QA; q++) {
		snprintf(want, sizeof(want),
			 "\"queue\": %u, \"out_queue\": %u, ", q, q % QB);
		expect_counts(_metadata, js, want, PERQ, PERQ / 2, PERQ / 2, 0);
	}
	expect_counts(_metadata, js, TOTAL, NSENT, NSENT / 2, NSENT / 2, 0);
	EXPECT_NE(NULL, strstr(js, "\"filter\": \"" FILTER "\""));
	/* every chunk back in A's pools, nothing refused */
	for (q = 0; q < QA; q++) {
		EXPECT_EQ(0, wct_sysfs(self->a, q, "stats/recycle_refused"));
		EXPECT_EQ(PERQ / 2, wct_sysfs(self->a, q, "stats/xmit_sent"));
	}
	wire_free(&w);
}

TEST_F_TIMEOUT(fwd, back_out_of_a, 180)
{
	char big[16];
	char *argv[] = { "wirecap", "forward", "-i", big, "-o", big,
			 "-x", "3", "-M", "256", "-R", "16", "--until-file",
			 "/tmp/f.done", "--idle-ms", "500", "--json",
			 "/tmp/f.json", NULL };
	struct wire w;
	int rc;

	/* an A whose wire holds every frame (A's of 64 would drop) */
	ASSERT_EQ(0, wct_nic_new(QA, 2048, big));
	wire_start(&w, big);
	self->pid = wct_spawn(wirecap_bin, "/tmp/f.out", argv);
	ASSERT_EQ(0, wct_wait_attached(big, QA, 0xf, 5000));
	ASSERT_EQ(0, send_all(big, self->sent));
	rc = finish(&self->pid);
	wire_stop(&w);
	EXPECT_EQ(0, rc);
	TH_LOG("%s", slurp("/tmp/f.out"));
	EXPECT_EQ(NSENT, w.n);
	EXPECT_EQ(0, check_wire(_metadata, &w, self->sent, true, true));
	expect_counts(_metadata, slurp("/tmp/f.json"), TOTAL, NSENT, 0, NSENT,
		      0);
	EXPECT_NE(NULL, strstr(slurp("/tmp/f.json"), "\"x\": 3,"));
	wire_free(&w);
	wct_nic_del(big);
}

TEST_F_TIMEOUT(fwd, tx_drops, 120)
{
	char *argv[] = { "wirecap", "forward", "-i", self->a, "-o", NULL,
			 "-q", "1", "-M", "16", "-R", "64", "--until-file",
			 "/tmp/f.done", "--idle-ms", "300", "--json",
			 "/tmp/f.json", NULL };
	const uint8_t *fr[100];
	uint32_t len[100];
	char small[16];
	struct wire w;
	unsigned int i;
	uint64_t end;
	int rc;

	/* a NIC whose wire holds 8 frames, read only at the end */
	ASSERT_EQ(0, wct_nic_new(1, 8, small));
	argv[5] = small;
	self->pid = wct_spawn(wirecap_bin, "/tmp/f.out", argv);
	ASSERT_EQ(0, wct_wait_attached(self->a, QA, 0x2, 5000));
	for (i = 0; i < 100; i++) {
		fr[i] = self->sent[1][i].data;
		len[i] = self->sent[1][i].len;
	}
	ASSERT_EQ(0, wct_inject_frames(self->a, 1, fr, len, 100));
	/* all of it handed to XMIT before the wire is read */
	end = wct_now_us() + 10000000;
	while (wct_sysfs(self->a, 1, "stats/xmit_sent") +
	       wct_sysfs(self->a, 1, "stats/xmit_dropped") < 100 &&
	       wct_now_us() < end)
		usleep(10000);
	memset(&w, 0, sizeof(w));
	EXPECT_EQ(8, wct_wire_read(small, wire_add, &w));
	rc = finish(&self->pid);
	EXPECT_EQ(0, rc);
	TH_LOG("%s", slurp("/tmp/f.out"));
	expect_counts(_metadata, slurp("/tmp/f.json"), TOTAL, 100, 0, 8, 92);
	wire_free(&w);
	wct_nic_del(small);
}

TEST_F_TIMEOUT(fwd, advanced, 180)
{
	char *argv[] = { "wirecap", "forward", "-i", self->a, "-o", self->b,
			 "-f", FILTER, "--mode", "advanced", "-T", "5", "-M",
			 "16", "-R", "64", "--until-file", "/tmp/f.done",
			 "--idle-ms", "500", "--json", "/tmp/f.json", NULL };
	struct wire w;
	int rc;

	wire_start(&w, self->b);
	self->pid = wct_spawn(wirecap_bin, "/tmp/f.out", argv);
	ASSERT_EQ(0, wct_wait_attached(self->a, QA, 0xf, 5000));
	ASSERT_EQ(0, send_all(self->a, self->sent));
	rc = finish(&self->pid);
	wire_stop(&w);
	EXPECT_EQ(0, rc);
	TH_LOG("%s", slurp("/tmp/f.out"));
	EXPECT_EQ(NSENT / 2, w.n);
	EXPECT_EQ(0, check_wire(_metadata, &w, self->sent, false, false));
	expect_counts(_metadata, slurp("/tmp/f.json"), TOTAL, NSENT, NSENT / 2,
		      NSENT / 2, 0);
	EXPECT_NE(NULL, strstr(slurp("/tmp/f.json"), "\"mode\": \"advanced\""));
	wire_free(&w);
}

/* The tool with argv, output to /tmp/u.out: its exit status. */
static int run(char *const argv[], unsigned int ms)
{
	return wct_wait_exit(wct_spawn(wirecap_bin, "/tmp/u.out", argv), ms);
}

TEST_F(fwd, bad_usage)
{
	char *noout[] = { "wirecap", "forward", "-i", self->a, NULL };
	char *badf[] = { "wirecap", "forward", "-i", self->a, "-o", self->b,
			 "udp and", NULL };
	char *both[] = { "wirecap", "forward", "-i", self->a, "-o", self->b,
			 "-f", "udp", "tcp", NULL };
	char *nonic[] = { "wirecap", "forward", "-i", self->a, "-o", "lo",
			  NULL };
	char *help[] = { "wirecap", "forward", "-h", NULL };

	EXPECT_EQ(2, run(noout, 5000));
	EXPECT_EQ(2, run(badf, 5000));
	EXPECT_NE(NULL, strstr(slurp("/tmp/u.out"), "filter"));
	EXPECT_EQ(2, run(both, 5000));
	EXPECT_EQ(1, run(nonic, 10000));
	EXPECT_NE(NULL, strstr(slurp("/tmp/u.out"), "no WireCAP queues"));
	/* A free again */
	EXPECT_EQ(0, wct_sysfs(self->a, 0, "attached"));
	EXPECT_EQ(0, run(help, 5000));
	EXPECT_NE(NULL, strstr(slurp("/tmp/u.out"), "-o, --out"));
}

TEST_HARNESS_MAIN
