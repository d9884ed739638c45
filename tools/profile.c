// SPDX-License-Identifier: BSD-2-Clause
/*
 * wirecap profile: how the NIC spreads packets over its receive queues in
 * time (the paper's Fig. 3). Packets of each chosen queue are counted in
 * bins of --bin-ms by their own timestamp (the kernel's CLOCK_REALTIME at
 * reception), not by when they were read.
 *
 *   wirecap profile -i IFNAME [-q LIST] [--bin-ms N] [-o FILE.csv]
 *                   [--png FILE.png] [-c COUNT] [--duration SECS]
 *                   [--until-file PATH [--idle-ms N]]
 *                   [-M cells] [-R chunks] [--threads N] [--timeout-us N]
 *   wirecap profile --plot FILE.csv --png FILE.png
 *
 * The CSV has a header "time_ms,q<ring>,..." and one row per bin, empty
 * ones included, from the bin of the earliest packet to that of the last.
 * Bin edges are whole bins from the first packet read; a packet read later
 * with an earlier timestamp (another queue's chunk delivered late) moves
 * the origin back by whole bins, so time 0 is the start of the bin holding
 * the earliest packet. On stdout: per queue the packets, the peak bin, the
 * mean per bin and the kernel's capture drops (packets the profile cannot
 * see), then the imbalance: the busiest queue's packets over the mean.
 *
 * --png draws the CSV with gnuplot, one line per queue. The test VM has no
 * gnuplot: write the CSV there and plot it on the host with --plot.
 *
 * One thread reads every queue (wirecap_wait() when all are empty), as
 * `wirecap capture` does. Counting costs a few nanoseconds a packet, the
 * library's capture threads already do the kernel side in parallel, and a
 * single reader keeps the bin table private: no locks, no atomics, one
 * origin, and the same stop rules as capture.
 *
 * Memory: the table grows as time goes on, up to MAX_COUNTERS counters
 * (bins times queues); past that the profile stops with an error.
 * Exit 0, 1 on errors, 2 on bad usage.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "wirecap.h"
#include "tools.h"

#define MAX_QUEUES	256
#define CHUNKS_PER_TURN	16		/* per queue, before the next one */
#define WAIT_MS		50		/* longest sleep between stop checks */
#define MAX_COUNTERS	(8u << 20)	/* 64 MiB of bins */
#define MAX_BIN_MS	3600000u
#define GNUPLOT		"gnuplot"

static volatile sig_atomic_t got_signal;
static int verbose;

static void on_signal(int sig)
{
	got_signal = sig;
}

static void log_stderr(void *ctx, int level, const char *msg)
{
	if (level <= WIRECAP_LOG_WARNING || verbose)
		fprintf(stderr, "wirecap: %s\n", msg);
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* --- the bin table ------------------------------------------------------- */

/*
 * Row k counts, per session queue, the packets stamped in
 * [t0 + k * bin_ns, t0 + (k + 1) * bin_ns). Rows at or past nbins are
 * zero, up to cap.
 */
struct bins {
	unsigned int nq;
	uint64_t bin_ns;
	uint64_t t0;
	int started;
	uint64_t *row;		/* cap rows of nq counters */
	size_t nbins, cap, max_rows;
};

static int bins_init(struct bins *b, unsigned int nq, unsigned int bin_ms)
{
	memset(b, 0, sizeof(*b));
	b->nq = nq;
	b->bin_ns = bin_ms * 1000000ull;
	b->max_rows = MAX_COUNTERS / nq;
	return 0;
}

static void bins_free(struct bins *b)
{
	free(b->row);
	b->row = NULL;
}

/* Room for rows [0, rows). 0 or -ENOMEM, -E2BIG past the cap. */
static int bins_reserve(struct bins *b, uint64_t rows)
{
	size_t cap = b->cap ? b->cap : 1024;
	uint64_t *row;

	if (rows <= b->cap)
		return 0;
	if (rows > b->max_rows)
		return -E2BIG;
	while (cap < rows)
		cap *= 2;
	if (cap > b->max_rows)
		cap = b->max_rows;
	row = realloc(b->row, cap * b->nq * sizeof(*row));
	if (!row)
		return -ENOMEM;
	memset(row + b->cap * b->nq, 0, (cap - b->cap) * b->nq * sizeof(*row));
	b->row = row;
	b->cap = cap;
	return 0;
}

/* Count one packet of session queue qi stamped ts_ns. 0 or -errno. */
static int bins_add(struct bins *b, unsigned int qi, uint64_t ts_ns)
{
	uint64_t k;
	int ret;

	if (!b->started) {
		b->t0 = ts_ns;
		b->started = 1;
	}
	if (ts_ns < b->t0) {
		/* earlier than the origin: prepend whole empty bins */
		uint64_t shift = (b->t0 - ts_ns + b->bin_ns - 1) / b->bin_ns;

		ret = bins_reserve(b, b->nbins + shift);
		if (ret)
			return ret;
		memmove(b->row + shift * b->nq, b->row,
			b->nbins * b->nq * sizeof(*b->row));
		memset(b->row, 0, shift * b->nq * sizeof(*b->row));
		b->nbins += shift;
		b->t0 -= shift * b->bin_ns;
	}
	k = (ts_ns - b->t0) / b->bin_ns;
	if (k >= b->nbins) {
		ret = bins_reserve(b, k + 1);
		if (ret)
			return ret;
		b->nbins = k + 1;
	}
	b->row[k * b->nq + qi]++;
	return 0;
}

/* --- output -------------------------------------------------------------- */

static int write_csv(const char *path, const struct bins *b,
		     const unsigned int *ring, unsigned int bin_ms)
{
	FILE *f = fopen(path, "w");
	unsigned int i;
	size_t k;
	int ret = 0;

	if (!f)
		return -errno;
	fprintf(f, "time_ms");
	for (i = 0; i < b->nq; i++)
		fprintf(f, ",q%u", ring[i]);
	fprintf(f, "\n");
	for (k = 0; k < b->nbins; k++) {
		fprintf(f, "%llu", (unsigned long long)k * bin_ms);
		for (i = 0; i < b->nq; i++)
			fprintf(f, ",%llu",
				(unsigned long long)b->row[k * b->nq + i]);
		fprintf(f, "\n");
	}
	if (ferror(f))
		ret = -EIO;
	if (fclose(f) && !ret)
		ret = -errno;
	return ret;
}

static void summary(FILE *f, const struct bins *b, const unsigned int *ring,
		    const uint64_t *drops, unsigned int bin_ms)
{
	uint64_t total = 0, max_q = 0, peak_all = 0, drops_all = 0;
	size_t peak_all_at = 0, k;
	unsigned int i;

	fprintf(f, "%5s %12s %10s %11s %12s %13s\n", "queue", "packets",
		"peak_bin", "peak_at_ms", "mean_per_bin", "capture_drops");
	for (i = 0; i < b->nq; i++) {
		uint64_t pkts = 0, peak = 0;
		size_t at = 0;

		for (k = 0; k < b->nbins; k++) {
			uint64_t v = b->row[k * b->nq + i];

			pkts += v;
			if (v > peak) {
				peak = v;
				at = k;
			}
		}
		fprintf(f, "%5u %12llu %10llu %11llu %12.1f %13llu\n", ring[i],
			(unsigned long long)pkts, (unsigned long long)peak,
			(unsigned long long)at * bin_ms,
			b->nbins ? (double)pkts / b->nbins : 0.0,
			(unsigned long long)drops[i]);
		total += pkts;
		drops_all += drops[i];
		if (pkts > max_q)
			max_q = pkts;
	}
	for (k = 0; k < b->nbins; k++) {
		uint64_t sum = 0;

		for (i = 0; i < b->nq; i++)
			sum += b->row[k * b->nq + i];
		if (sum > peak_all) {
			peak_all = sum;
			peak_all_at = k;
		}
	}
	fprintf(f, "%5s %12llu %10llu %11llu %12.1f %13llu\n", "total",
		(unsigned long long)total, (unsigned long long)peak_all,
		(unsigned long long)peak_all_at * bin_ms,
		b->nbins ? (double)total / b->nbins : 0.0,
		(unsigned long long)drops_all);
	fprintf(f, "%zu bins of %u ms", b->nbins, bin_ms);
	if (total)
		fprintf(f, "; imbalance (max/mean over queues): %.2f\n",
			(double)max_q * b->nq / total);
	else
		fprintf(f, "; no packets\n");
	if (drops_all)
		fprintf(f, "warning: %llu packets were dropped before capture "
			"and are not in the profile\n",
			(unsigned long long)drops_all);
}

/* --- plotting ------------------------------------------------------------ */

/* The gnuplot executable on $PATH into path. 0 or -ENOENT. */
static int find_gnuplot(char *path, size_t len)
{
	const char *p = getenv("PATH");

	if (!p || !*p)
		p = "/usr/local/bin:/usr/bin:/bin";
	while (*p) {
		size_t n = strcspn(p, ":");

		if (n && (size_t)snprintf(path, len, "%.*s/" GNUPLOT, (int)n,
					  p) < len &&
		    access(path, X_OK) == 0)
			return 0;
		p += n;
		if (*p == ':')
			p++;
	}
	return -ENOENT;
}

static void no_gnuplot(void)
{
	fprintf(stderr, "wirecap profile: --png needs " GNUPLOT ", which is "
		"not on $PATH (apt-get install gnuplot-nox; in the test VM, "
		"write a CSV with -o and plot it on the host with --plot)\n");
}

/* A gnuplot single-quoted string: a quote inside is doubled. */
static void gp_quoted(FILE *f, const char *s)
{
	fputc('\'', f);
	for (; *s; s++) {
		if (*s == '\'')
			fputc('\'', f);
		fputc(*s, f);
	}
	fputc('\'', f);
}

/*
 * What the plot needs from a CSV written by this tool: its columns and
 * bin width. 0, -errno, or -EINVAL when it is not such a CSV.
 */
static int csv_shape(const char *path, unsigned int *cols,
		     unsigned long long *bin_ms)
{
	FILE *f = fopen(path, "r");
	unsigned long long t[2];
	char *line = NULL;
	size_t len = 0;
	unsigned int n = 0, rows = 0;
	char *s;

	if (!f)
		return -errno;
	if (getline(&line, &len, f) <= 0 || strncmp(line, "time_ms,q", 9)) {
		free(line);
		fclose(f);
		return -EINVAL;
	}
	for (s = line; *s; s++)
		n += *s == ',';
	while (rows < 2 && getline(&line, &len, f) > 0)
		if (sscanf(line, "%llu,", &t[rows]) == 1)
			rows++;
	free(line);
	fclose(f);
	if (!rows)
		return -ENODATA;
	*cols = n;
	*bin_ms = rows == 2 && t[1] > t[0] ? t[1] - t[0] : 0;
	return 0;
}

/* Draw csv into png with gnuplot. 0 or 1 (a message was printed). */
static int plot(const char *csv, const char *png)
{
	unsigned long long bin_ms = 0;
	unsigned int cols = 0;
	char gp[4096];
	struct stat st;
	int fds[2], status, ret;
	pid_t pid;
	FILE *f;

	if (find_gnuplot(gp, sizeof(gp))) {
		no_gnuplot();
		return 1;
	}
	ret = csv_shape(csv, &cols, &bin_ms);
	if (ret) {
		fprintf(stderr, "wirecap profile: %s: %s\n", csv,
			ret == -EINVAL ? "not a CSV of wirecap profile" :
			ret == -ENODATA ? "no bins to plot" : strerror(-ret));
		return 1;
	}
	if (pipe(fds)) {
		fprintf(stderr, "wirecap profile: pipe: %m\n");
		return 1;
	}
	pid = fork();
	if (pid < 0) {
		fprintf(stderr, "wirecap profile: fork: %m\n");
		close(fds[0]);
		close(fds[1]);
		return 1;
	}
	if (pid == 0) {
		dup2(fds[0], 0);
		close(fds[0]);
		close(fds[1]);
		execl(gp, GNUPLOT, (char *)NULL);
		_exit(127);
	}
	close(fds[0]);
	/* if gnuplot quits early, its exit status says why */
	signal(SIGPIPE, SIG_IGN);
	f = fdopen(fds[1], "w");
	if (!f) {
		close(fds[1]);
	} else {
		fprintf(f, "set terminal pngcairo size 1200,600 noenhanced\n"
			"set output ");
		gp_quoted(f, png);
		fprintf(f, "\nset datafile separator ','\n"
			"set xlabel 'time (ms)'\n");
		if (bin_ms)
			fprintf(f, "set ylabel 'packets per %llu ms'\n",
				bin_ms);
		else
			fprintf(f, "set ylabel 'packets per bin'\n");
		fprintf(f, "set title 'packets per queue over time'\n"
			"set grid\nset key outside right top\n"
			"set autoscale xfix\nset yrange [0:*]\n"
			"plot for [i=2:%u] ", cols + 1);
		gp_quoted(f, csv);
		fprintf(f, " using 1:i with lines title columnhead(i)\n");
		fclose(f);
	}
	if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status) ||
	    WEXITSTATUS(status)) {
		fprintf(stderr, "wirecap profile: %s failed (status %d)\n", gp,
			WIFEXITED(status) ? WEXITSTATUS(status) : -1);
		return 1;
	}
	if (stat(png, &st) || !st.st_size) {
		fprintf(stderr, "wirecap profile: %s: gnuplot wrote nothing\n",
			png);
		return 1;
	}
	return 0;
}

/* --- options ------------------------------------------------------------- */

struct profile_args {
	const char *ifname, *csv, *png, *plot, *until_file;
	unsigned int queues[MAX_QUEUES];
	int nq;				/* 0: all */
	unsigned int bin_ms;
	uint64_t count;			/* 0: no limit */
	double duration;		/* 0: no limit */
	unsigned int idle_ms;
	int capture_opts;		/* options --plot does not take */
	struct wirecap_opts opts;
};

static void usage(FILE *f)
{
	fprintf(f,
"usage: wirecap profile -i IFNAME [-q LIST] [--bin-ms N] [-o FILE.csv]\n"
"                       [--png FILE.png] [-c COUNT] [--duration SECS]\n"
"                       [--until-file PATH [--idle-ms N]]\n"
"                       [-M cells] [-R chunks] [--threads N] [--timeout-us N]\n"
"       wirecap profile --plot FILE.csv --png FILE.png\n"
"  -i IFNAME        interface (default: $WIRECAP_IF)\n"
"  -q, --queues L   queues, e.g. 0,2-3 (default: all)\n"
"  --bin-ms N       bin width in ms, by packet timestamp (default 10)\n"
"  -o FILE.csv      time_ms,q<ring>,...: packets per queue and bin\n"
"  --png FILE.png   plot it with gnuplot, one line per queue\n"
"  --plot FILE.csv  no capture: plot a CSV written by -o (needs --png)\n"
"  -c COUNT         stop after COUNT packets\n"
"  --duration SECS  stop after SECS seconds\n"
"  --until-file P   once P exists, stop when no packet came for --idle-ms\n"
"  --idle-ms N      (default 500)\n"
"  -M, -R           cells per chunk, chunks per queue (driver defaults)\n"
"  --threads N      capture threads (default: one per CPU, at most one\n"
"                   per queue)\n"
"  --timeout-us N   partial chunks are delivered after N us (10000)\n");
}

static int parse_num(const char *s, unsigned long long max,
		     unsigned long long *v)
{
	char *end;

	if (!s || *s < '0' || *s > '9')
		return -1;
	errno = 0;
	*v = strtoull(s, &end, 0);
	return errno || *end || *v > max ? -1 : 0;
}

static int parse(int argc, char **argv, struct profile_args *a)
{
	enum { O_DURATION = 256, O_UNTIL, O_IDLE, O_BIN, O_PNG, O_PLOT,
	       O_THREADS, O_TIMEOUT };
	static const struct option lopts[] = {
		{ "interface", required_argument, NULL, 'i' },
		{ "queues", required_argument, NULL, 'q' },
		{ "output", required_argument, NULL, 'o' },
		{ "count", required_argument, NULL, 'c' },
		{ "bin-ms", required_argument, NULL, O_BIN },
		{ "png", required_argument, NULL, O_PNG },
		{ "plot", required_argument, NULL, O_PLOT },
		{ "duration", required_argument, NULL, O_DURATION },
		{ "until-file", required_argument, NULL, O_UNTIL },
		{ "idle-ms", required_argument, NULL, O_IDLE },
		{ "threads", required_argument, NULL, O_THREADS },
		{ "timeout-us", required_argument, NULL, O_TIMEOUT },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	unsigned long long v;
	char *end;
	int c, n, li;

	a->ifname = getenv("WIRECAP_IF");
	a->bin_ms = 10;
	a->idle_ms = 500;
	a->opts = (struct wirecap_opts){ .sz = sizeof(a->opts) };
	while ((li = -1, c = getopt_long(argc, argv, "i:q:o:c:M:R:vh", lopts,
					 &li)) != -1) {
		a->capture_opts += c != O_PNG && c != O_PLOT && c != 'v';
		switch (c) {
		case 'i':
			a->ifname = optarg;
			break;
		case 'q':
			n = wirecap_parse_queues(optarg, a->queues, MAX_QUEUES);
			if (n < 0) {
				fprintf(stderr, "wirecap profile: -q %s: %s\n",
					optarg, n == -E2BIG ?
					"too many queues" :
					"expected a list like 0,2-3");
				return -1;
			}
			a->nq = n;
			break;
		case 'o':
			a->csv = optarg;
			break;
		case 'c':
			if (parse_num(optarg, ~0ull, &v) || !v)
				goto bad;
			a->count = v;
			break;
		case 'M':
			if (parse_num(optarg, 1u << 20, &v))
				goto bad;
			a->opts.cells_per_chunk = (unsigned int)v;
			break;
		case 'R':
			if (parse_num(optarg, 1u << 24, &v))
				goto bad;
			a->opts.nr_chunks = (unsigned int)v;
			break;
		case O_BIN:
			if (parse_num(optarg, MAX_BIN_MS, &v) || !v)
				goto bad;
			a->bin_ms = (unsigned int)v;
			break;
		case O_PNG:
			a->png = optarg;
			break;
		case O_PLOT:
			a->plot = optarg;
			break;
		case O_DURATION:
			a->duration = strtod(optarg, &end);
			if (*end || !(a->duration > 0))
				goto bad;
			break;
		case O_UNTIL:
			a->until_file = optarg;
			break;
		case O_IDLE:
			if (parse_num(optarg, 1u << 30, &v))
				goto bad;
			a->idle_ms = (unsigned int)v;
			break;
		case O_THREADS:
			if (parse_num(optarg, 4096, &v))
				goto bad;
			a->opts.capture_threads = (unsigned int)v;
			break;
		case O_TIMEOUT:
			if (parse_num(optarg, 1u << 30, &v))
				goto bad;
			a->opts.timeout_us = (unsigned int)v;
			break;
		case 'v':
			verbose = 1;
			break;
		case 'h':
			usage(stdout);
			exit(0);
		default:
			usage(stderr);
			return -1;
		}
		continue;
bad:
		if (li >= 0)
			fprintf(stderr, "wirecap profile: bad value for "
				"--%s: %s\n", lopts[li].name, optarg);
		else
			fprintf(stderr, "wirecap profile: bad value for "
				"-%c: %s\n", c, optarg);
		return -1;
	}
	if (optind != argc) {
		fprintf(stderr, "wirecap profile: unexpected argument '%s'\n",
			argv[optind]);
		return -1;
	}
	if (a->plot) {
		if (!a->png || a->capture_opts) {
			fprintf(stderr, "wirecap profile: --plot takes --png "
				"FILE.png and nothing else\n");
			return -1;
		}
		return 0;
	}
	if (!a->ifname || !*a->ifname) {
		fprintf(stderr, "wirecap profile: no interface: -i IFNAME\n");
		return -1;
	}
	return 0;
}

/* --- profile ------------------------------------------------------------- */

/*
 * Count up to CHUNKS_PER_TURN chunks of session queue qi, at most up to
 * a->count packets in all. The number of chunks, or -1 after a message.
 */
static int drain(struct wirecap_queue *q, unsigned int qi,
		 const struct profile_args *a, struct bins *b,
		 uint64_t *total)
{
	struct wirecap_chunk c;
	struct wirecap_pkt p;
	unsigned int n, j;
	int k, ret = 0;

	for (k = 0; k < CHUNKS_PER_TURN; k++) {
		if (a->count && *total >= a->count)
			break;
		ret = wirecap_next_chunk(q, &c, 0);
		if (ret <= 0)
			break;
		n = wirecap_chunk_count(&c);
		if (a->count && *total + n > a->count)
			n = (unsigned int)(a->count - *total);
		/* basic mode: a chunk of queue qi holds packets of qi */
		for (j = 0, ret = 0; j < n && !ret; j++) {
			wirecap_chunk_pkt(&c, j, &p);
			ret = bins_add(b, qi, p.ts_ns);
		}
		wirecap_chunk_release(&c);
		*total += n;
		if (ret)
			break;
	}
	if (ret == -E2BIG) {
		fprintf(stderr, "wirecap profile: more than %zu bins of %u ms: "
			"use a larger --bin-ms or a shorter run\n",
			b->max_rows, a->bin_ms);
		return -1;
	}
	if (ret < 0) {
		fprintf(stderr, "wirecap profile: queue %u: %s\n",
			wirecap_queue_ring(q), strerror(-ret));
		return -1;
	}
	return k;
}

/* Read every queue until a stop condition. 0, or 1 after a message. */
static int run(struct wirecap *w, const struct profile_args *a,
	       struct bins *b, double *secs)
{
	unsigned int nq = wirecap_queue_count(w), i;
	double t0, last, now, seen_at = 0, quiet;
	uint64_t total = 0;
	int got, ret;

	t0 = last = now_s();
	while (!got_signal) {
		for (i = 0, got = 0; i < nq; i++) {
			ret = drain(wirecap_queue(w, i), i, a, b, &total);
			if (ret < 0) {
				*secs = now_s() - t0;
				return 1;
			}
			got += ret;
		}
		if (a->count && total >= a->count)
			break;
		now = now_s();
		if (got)
			last = now;
		if (a->duration && now - t0 >= a->duration)
			break;
		if (a->until_file && !seen_at &&
		    access(a->until_file, F_OK) == 0)
			seen_at = now;
		/* idle since the file appeared, or since the last packet */
		quiet = now - (last > seen_at ? last : seen_at);
		if (seen_at && quiet >= a->idle_ms / 1000.0)
			break;
		if (!got)
			wirecap_wait(w, WAIT_MS);
	}
	*secs = now_s() - t0;
	return 0;
}

int cmd_profile(int argc, char **argv)
{
	struct profile_args a = { 0 };
	struct sigaction sa = { .sa_handler = on_signal };
	char gp[4096], tmp_csv[] = "/tmp/wirecap-profile-XXXXXX.csv";
	unsigned int *ring = NULL, nq, i;
	uint64_t *drops = NULL;
	const char *csv;
	struct bins b = { 0 };
	struct wirecap *w;
	double secs = 0;
	int ret, err, fd;

	if (parse(argc, argv, &a))
		return 2;
	if (a.plot)
		return plot(a.plot, a.png);
	if (a.png && find_gnuplot(gp, sizeof(gp))) {
		no_gnuplot();
		return 1;
	}
	a.opts.log = log_stderr;
	w = wirecap_open(a.ifname, a.nq ? a.queues : NULL, a.nq, &a.opts);
	if (!w) {
		fprintf(stderr, "wirecap profile: %s: %s\n", a.ifname,
			strerror(errno));
		return 1;
	}
	nq = wirecap_queue_count(w);
	ring = calloc(nq, sizeof(*ring));
	drops = calloc(nq, sizeof(*drops));
	if (!ring || !drops || bins_init(&b, nq, a.bin_ms)) {
		fprintf(stderr, "wirecap profile: %s\n", strerror(ENOMEM));
		goto err_close;
	}
	for (i = 0; i < nq; i++)
		ring[i] = wirecap_queue_ring(wirecap_queue(w, i));
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	ret = wirecap_start(w);
	if (ret) {
		fprintf(stderr, "wirecap profile: start: %s\n", strerror(-ret));
		goto err_close;
	}
	err = run(w, &a, &b, &secs);
	for (i = 0; i < nq; i++) {
		struct wirecap_qstats st = { .sz = sizeof(st) };

		if (wirecap_queue_stats(wirecap_queue(w, i), &st) == 0)
			drops[i] = st.kernel.capture_drops;
	}
	wirecap_close(w);

	summary(stdout, &b, ring, drops, a.bin_ms);
	printf("profiled for %.3f s\n", secs);
	fflush(stdout);
	csv = a.csv;
	if (!csv && a.png) {
		fd = mkstemps(tmp_csv, 4);
		if (fd < 0) {
			fprintf(stderr, "wirecap profile: %s: %m\n", tmp_csv);
			err = 1;
		} else {
			close(fd);
			csv = tmp_csv;
		}
	}
	if (csv) {
		ret = write_csv(csv, &b, ring, a.bin_ms);
		if (ret) {
			fprintf(stderr, "wirecap profile: %s: %s\n", csv,
				strerror(-ret));
			err = 1;
		} else if (a.png && plot(csv, a.png)) {
			err = 1;
		}
		if (csv == tmp_csv)
			unlink(tmp_csv);
	}
	bins_free(&b);
	free(ring);
	free(drops);
	return err;

err_close:
	wirecap_close(w);
	bins_free(&b);
	free(ring);
	free(drops);
	return 1;
}
