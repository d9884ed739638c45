// SPDX-License-Identifier: BSD-2-Clause
/*
 * wirecap profile: how the NIC spreads packets over its receive queues in
 * time (the paper's Fig. 3). Packets of each chosen queue are counted in
 * bins of --bin-ms by their own timestamp (the kernel's CLOCK_REALTIME at
 * reception), not by when they were read.
 *
 *   wirecap profile [-i IFNAME]... [-q LIST] [--bin-ms N] [-o FILE.csv]
 *                   [--png FILE.png] [-c COUNT] [--duration SECS]
 *                   [--until-file PATH [--idle-ms N]]
 *                   [-M cells] [-R chunks] [--cell-size B] [--threads N]
 *                   [--timeout-us N] [-v]
 *   wirecap profile --plot FILE.csv --png FILE.png
 *
 * The CSV has a header "time_ms,q<ring>,..." (with several NICs, -i
 * repeated: "time_ms,IFNAME-qN,...") and one row per bin, empty ones
 * included, from the bin of the earliest packet to that of the last.
 * Bin edges are whole bins from the first packet read; a packet read later
 * with an earlier timestamp (another queue's chunk delivered late) moves
 * the origin back by whole bins, so time 0 is the start of the bin holding
 * the earliest packet. On stdout: per queue (its ring, or IFNAME-qN) the
 * packets, the peak bin, the mean per bin and the kernel's capture drops
 * (packets the profile cannot see), then the imbalance: the busiest
 * queue's packets over the mean.
 *
 * --png draws the CSV with gnuplot, one line per queue. The test VM has no
 * gnuplot: write the CSV there and plot it on the host with --plot.
 *
 * One thread reads every queue (wirecap_wait() when all are empty), as
 * `wirecap capture` does. Counting costs a few nanoseconds a packet, the
 * library's capture threads already do the kernel side in parallel, and a
 * single reader keeps the bin table private: no locks, no atomics, one
 * origin. The options it shares with capture and handler, and the stop
 * rules: tools/common.c.
 *
 * Memory: the table grows as time goes on, up to MAX_COUNTERS counters
 * (bins times queues); past that the profile stops with an error.
 * Exit 0, 1 on errors, 2 on bad usage.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "wirecap.h"
#include "tools.h"

#define CHUNKS_PER_TURN	16		/* per queue, before the next one */
#define WAIT_MS		50		/* longest sleep between stop checks */
#define MAX_COUNTERS	(8u << 20)	/* 64 MiB of bins */
#define MAX_BIN_MS	3600000u
#define GNUPLOT		"gnuplot"
#define PROG		"wirecap profile"

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

/* What the output says of a session queue, kept past wirecap_close(). */
struct qout {
	char column[TOOL_QNAME_LEN];	/* in the CSV: q<ring>, IFNAME-qN */
	char row[TOOL_QNAME_LEN];	/* in the summary: <ring>, IFNAME-qN */
	uint64_t drops;			/* capture drops (kernel) */
};

static int write_csv(const char *path, const struct bins *b,
		     const struct qout *qo, unsigned int bin_ms)
{
	FILE *f = fopen(path, "w");
	unsigned int i;
	size_t k;
	int ret = 0;

	if (!f)
		return -errno;
	fprintf(f, "time_ms");
	for (i = 0; i < b->nq; i++)
		fprintf(f, ",%s", qo[i].column);
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

static void summary(FILE *f, const struct bins *b, const struct qout *qo,
		    unsigned int bin_ms)
{
	uint64_t total = 0, max_q = 0, peak_all = 0, drops_all = 0;
	size_t peak_all_at = 0, k;
	unsigned int i;
	int width = 5;

	for (i = 0; i < b->nq; i++)
		if ((int)strlen(qo[i].row) > width)
			width = strlen(qo[i].row);
	fprintf(f, "%*s %12s %10s %11s %12s %13s\n", width, "queue",
		"packets", "peak_bin", "peak_at_ms", "mean_per_bin",
		"capture_drops");
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
		fprintf(f, "%*s %12llu %10llu %11llu %12.1f %13llu\n", width,
			qo[i].row, (unsigned long long)pkts,
			(unsigned long long)peak,
			(unsigned long long)at * bin_ms,
			b->nbins ? (double)pkts / b->nbins : 0.0,
			(unsigned long long)qo[i].drops);
		total += pkts;
		drops_all += qo[i].drops;
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
	fprintf(f, "%*s %12llu %10llu %11llu %12.1f %13llu\n", width, "total",
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
	/* "time_ms," and a queue's column, "q<ring>" or "IFNAME-qN" */
	if (getline(&line, &len, f) <= 0 || strncmp(line, "time_ms,", 8) ||
	    !strcspn(line + 8, ",\r\n")) {
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
	struct tool_session session;
	struct tool_stop stop;
	const char *csv, *png, *plot;
	unsigned int bin_ms;
	int capture_opts;		/* options --plot does not take */
};

static void usage(FILE *f)
{
	fprintf(f,
"usage: wirecap profile [-i IFNAME]... [-q LIST] [--bin-ms N] [-o FILE.csv]\n"
"                       [--png FILE.png] [-c COUNT] [--duration SECS]\n"
"                       [--until-file PATH [--idle-ms N]]\n"
"                       [-M cells] [-R chunks] [--cell-size B] [--threads N]\n"
"                       [--timeout-us N] [-v]\n"
"       wirecap profile --plot FILE.csv --png FILE.png\n"
TOOL_USAGE_SESSION
"  --bin-ms N       bin width in ms, by packet timestamp (default 10)\n"
"  -o FILE.csv      time_ms,q<ring>,...: packets per queue and bin\n"
"                   (several NICs: time_ms,IFNAME-qN,...)\n"
"  --png FILE.png   plot it with gnuplot, one line per queue\n"
"  --plot FILE.csv  no capture: plot a CSV written by -o (needs --png)\n"
TOOL_USAGE_STOP);
}

static int parse(int argc, char **argv, struct profile_args *a)
{
	enum { O_BIN = TOOL_OPT_OWN, O_PNG, O_PLOT };
	static const struct option lopts[] = {
		TOOL_LONG_OPTS,
		{ "output", required_argument, NULL, 'o' },
		{ "bin-ms", required_argument, NULL, O_BIN },
		{ "png", required_argument, NULL, O_PNG },
		{ "plot", required_argument, NULL, O_PLOT },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	unsigned long long v;
	int c, ret;

	tool_init(&a->session, &a->stop);
	a->bin_ms = 10;
	while ((c = getopt_long(argc, argv, TOOL_SHORT_OPTS "o:h", lopts,
				NULL)) != -1) {
		a->capture_opts += c != O_PNG && c != O_PLOT && c != 'v';
		ret = tool_common_opt(&a->session, &a->stop, PROG, c, optarg);
		if (ret < 0)
			return -1;
		if (ret)
			continue;
		switch (c) {
		case 'o':
			a->csv = optarg;
			break;
		case O_BIN:
			if (tool_uint(optarg, MAX_BIN_MS, &v) || !v)
				return tool_bad_value(PROG, lopts, c, optarg);
			a->bin_ms = (unsigned int)v;
			break;
		case O_PNG:
			a->png = optarg;
			break;
		case O_PLOT:
			a->plot = optarg;
			break;
		case 'h':
			usage(stdout);
			exit(0);
		default:
			usage(stderr);
			return -1;
		}
	}
	if (optind != argc) {
		fprintf(stderr, PROG ": unexpected argument '%s'\n",
			argv[optind]);
		return -1;
	}
	if (a->plot) {
		if (!a->png || a->capture_opts) {
			fprintf(stderr, PROG ": --plot takes --png FILE.png "
				"and nothing else\n");
			return -1;
		}
		return 0;
	}
	return tool_session_check(&a->session, PROG);
}

/* --- profile ------------------------------------------------------------- */

/*
 * Count up to CHUNKS_PER_TURN chunks of session queue qi, at most up to
 * -c packets in all. The number of chunks, or -1 after a message.
 */
static int drain(struct wirecap_queue *q, unsigned int qi,
		 const struct profile_args *a, struct bins *b,
		 uint64_t *total)
{
	uint64_t count = a->stop.count;
	char name[TOOL_QNAME_LEN];
	struct wirecap_chunk c;
	struct wirecap_pkt p;
	unsigned int n, j;
	int k, ret = 0;

	for (k = 0; k < CHUNKS_PER_TURN; k++) {
		if (count && *total >= count)
			break;
		ret = wirecap_next_chunk(q, &c, 0);
		if (ret <= 0)
			break;
		n = wirecap_chunk_count(&c);
		if (count && *total + n > count)
			n = (unsigned int)(count - *total);
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
		fprintf(stderr, PROG ": more than %zu bins of %u ms: "
			"use a larger --bin-ms or a shorter run\n",
			b->max_rows, a->bin_ms);
		return -1;
	}
	if (ret < 0) {
		fprintf(stderr, PROG ": queue %s: %s\n",
			tool_queue_name(&a->session, q, "", name),
			strerror(-ret));
		return -1;
	}
	return k;
}

/* Read every queue until a stop condition. 0, or 1 after a message. */
static int run(struct wirecap *w, const struct profile_args *a,
	       struct bins *b, double *secs)
{
	unsigned int nq = wirecap_queue_count(w), i;
	struct tool_watch watch;
	uint64_t total = 0;
	int got, ret, err = 0;

	tool_watch_start(&watch);
	for (;;) {
		for (i = 0, got = 0; i < nq; i++) {
			ret = drain(wirecap_queue(w, i), i, a, b, &total);
			if (ret < 0) {
				err = 1;
				break;
			}
			got += ret;
		}
		if (err || tool_watch_due(&a->stop, &watch, total))
			break;
		if (!got)
			wirecap_wait(w, WAIT_MS);
	}
	*secs = tool_watch_secs(&watch);
	return err;
}

int cmd_profile(int argc, char **argv)
{
	struct profile_args a = { 0 };
	char gp[4096], tmp_csv[] = "/tmp/wirecap-profile-XXXXXX.csv";
	struct qout *qo = NULL;
	unsigned int nq, i;
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
	w = tool_open(&a.session, PROG);
	if (!w)
		return 1;
	nq = wirecap_queue_count(w);
	qo = calloc(nq, sizeof(*qo));
	if (!qo || bins_init(&b, nq, a.bin_ms)) {
		fprintf(stderr, PROG ": %s\n", strerror(ENOMEM));
		goto err_close;
	}
	for (i = 0; i < nq; i++) {
		struct wirecap_queue *q = wirecap_queue(w, i);

		tool_queue_name(&a.session, q, "q", qo[i].column);
		tool_queue_name(&a.session, q, "", qo[i].row);
	}
	tool_stop_on_signals();
	ret = wirecap_start(w);
	if (ret) {
		fprintf(stderr, PROG ": start: %s\n", strerror(-ret));
		goto err_close;
	}
	err = run(w, &a, &b, &secs);
	for (i = 0; i < nq; i++) {
		struct wirecap_qstats st = { .sz = sizeof(st) };

		if (wirecap_queue_stats(wirecap_queue(w, i), &st) == 0)
			qo[i].drops = st.kernel.capture_drops;
	}
	wirecap_close(w);

	summary(stdout, &b, qo, a.bin_ms);
	printf("profiled for %.3f s\n", secs);
	fflush(stdout);
	csv = a.csv;
	if (!csv && a.png) {
		fd = mkstemps(tmp_csv, 4);
		if (fd < 0) {
			fprintf(stderr, PROG ": %s: %m\n", tmp_csv);
			err = 1;
		} else {
			close(fd);
			csv = tmp_csv;
		}
	}
	if (csv) {
		ret = write_csv(csv, &b, qo, a.bin_ms);
		if (ret) {
			fprintf(stderr, PROG ": %s: %s\n", csv, strerror(-ret));
			err = 1;
		} else if (a.png && plot(csv, a.png)) {
			err = 1;
		}
		if (csv == tmp_csv)
			unlink(tmp_csv);
	}
	bins_free(&b);
	free(qo);
	return err;

err_close:
	wirecap_close(w);
	bins_free(&b);
	free(qo);
	return 1;
}
