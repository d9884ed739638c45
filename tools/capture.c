// SPDX-License-Identifier: BSD-2-Clause
/*
 * wirecap capture: packets of the chosen queues into savefiles, as
 * tcpdump and dumpcap users expect.
 *
 *   wirecap capture [-i IFNAME]... [-q 0,2-3] [-w FILE] [--pcapng]
 *                   [-C SIZE] [-G SECS] [-W N] [-c COUNT] [-s snaplen]
 *                   [--duration SECS] [--until-file PATH [--idle-ms N]]
 *                   [-M cells] [-R chunks] [--cell-size B] [--json FILE]
 *                   [--threads N]
 *                   [--timeout-us N] [-L [--interval-ms N]] [-v]
 *                   [--write-buffers N] [--write-buffer-size BYTES]
 *                   [FILTER...]
 *   wirecap capture -D
 *
 * Packets of all chosen queues (default: all; -q chooses among the first
 * NIC's, and every -i after the first adds all queues of one more NIC) go
 * through the filter, if there is one (the words after the options, as
 * tcpdump's: libpcap's compiler, run on each frame), into one savefile:
 * classic pcap with nanosecond timestamps, or pcapng with --pcapng or a
 * -w name ending in .pcapng: one interface per queue ("wirecap:IF@RING"),
 * per frame its queue (epb_queue) and the NIC's Toeplitz hash (epb_hash),
 * per file the queues' counters (statistics blocks). -C, -G and -W rotate
 * files as tcpdump's do (tools/savefile.c). One thread reads every queue,
 * so packets of a queue keep their order in the file.
 *
 * The writer never makes capture wait: frames are copied into a pool of
 * buffers written through io_uring; with no buffer free a frame is given
 * up and counted ("given_up"), and the report says so.
 *
 * Stops on SIGINT/SIGTERM, after COUNT packets (written or given up),
 * after SECS, with -G -W after the last file, when the reader of -w -
 * (or of a pipe -w names) went away (SIGPIPE is ignored; exit 0, the
 * report still printed, as tcpdump), or, with --until-file,
 * once PATH exists and no packet came for --idle-ms (500). Prints one
 * line per queue and a total (stdout, or stderr when the file goes to
 * stdout), and the same as JSON with --json. A queue is named by its
 * ring, or with several NICs as IFNAME-qN; in the JSON each queue has its
 * "ifname", and "interface" lists the NICs, comma-separated. With --live,
 * every --interval-ms (1000) one line on stderr: per queue the packets
 * the NIC received per second and the capture drops since the line
 * before (the kernel's counters), and their totals; rewritten in place
 * when stderr is a terminal. -D lists the WireCAP devices: the NICs under
 * /dev/wirecap with their queues, numbered as tcpdump -D numbers. Exit 0,
 * 1 on errors (a write error included), 2 on bad usage.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <pcap/pcap.h>

#include "wirecap.h"
#include "savefile.h"
#include "tools.h"

#define CHUNKS_PER_TURN	16	/* per queue, before looking at the next */
#define WAIT_MS		50	/* longest sleep between stop checks */

#define PROG		"wirecap"

/* --- options --------------------------------------------------------- */

struct qcount {
	uint64_t pkts, chunks;	/* read from the queue */
	uint64_t accepted;	/* of pkts, kept by the filter */
};

struct capture_args {
	struct tool_session session;
	struct tool_stop stop;
	const char *out, *json;
	char *filter;			/* NULL: every frame */
	unsigned int live_ms;		/* --live interval; 0: off */
	uint32_t snaplen;
	bool pcapng;
	uint64_t file_size;		/* -C bytes */
	unsigned int rotate_secs;	/* -G */
	unsigned int max_files;		/* -W */
	unsigned int wbufs;		/* --write-buffers */
	uint32_t wbuf_size;		/* --write-buffer-size */
	bool list;			/* -D */
};

static void capture_usage(FILE *f)
{
	fprintf(f,
"usage: wirecap capture [-i IFNAME]... [-q LIST] [-w FILE] [--pcapng]\n"
"                       [-C SIZE] [-G SECS] [-W N] [-c COUNT] [-s snaplen]\n"
"                       [--duration SECS] [--until-file PATH [--idle-ms N]]\n"
"                       [-M cells] [-R chunks] [--cell-size B] [--json FILE]\n"
"                       [--threads N] [--timeout-us N]\n"
"                       [-L [--interval-ms N]] [-v] [--write-buffers N]\n"
"                       [--write-buffer-size BYTES] [FILTER...]\n"
"       wirecap capture -D | --version\n"
TOOL_USAGE_SESSION
"  FILTER...        a libpcap filter expression (the remaining words,\n"
"                   as tcpdump's): only the frames it matches are written\n"
"  -w FILE          write a savefile: pcap, nanosecond timestamps; - is\n"
"                   stdout\n"
"  --pcapng         write pcapng (also when FILE ends in .pcapng): per\n"
"                   frame its queue and RSS hash, per file the counters\n"
"  -C SIZE          rotate before a file would grow past SIZE million\n"
"                   bytes (suffix k, m, g: KiB, MiB, GiB): FILE, FILE1, ...\n"
"  -G SECS          rotate every SECS seconds; FILE is a strftime format\n"
"  -W N             with -C: a ring of N files FILE0..FILE<N-1>; with\n"
"                   -G alone: stop after N files\n"
"  -s SNAPLEN       bytes kept per packet (default 262144)\n"
TOOL_USAGE_STOP
"  --json FILE      the per-queue counts as JSON\n"
"  -L, --live       on stderr, every interval: per queue packets/s received\n"
"                   and capture drops since the last line, and the total\n"
"  --interval-ms N  of the --live line (default 1000; implies --live)\n"
"  --write-buffers N        writer buffers (default 16); with none free,\n"
"                           frames are given up and counted\n"
"  --write-buffer-size B    bytes each (default 1048576)\n"
"  -D, --list-interfaces    list the WireCAP devices and their queues\n"
"  --version        print the version\n");
}

static bool ends_with(const char *s, const char *suffix)
{
	size_t n = strlen(s), k = strlen(suffix);

	return n >= k && !strcmp(s + n - k, suffix);
}

static int capture_parse(int argc, char **argv, struct capture_args *a)
{
	enum { O_JSON = TOOL_OPT_OWN, O_INTERVAL, O_PCAPNG, O_WBUFS,
	       O_WBUF_SIZE, O_VERSION };
	static const struct option lopts[] = {
		TOOL_LONG_OPTS,
		{ "write", required_argument, NULL, 'w' },
		{ "snaplen", required_argument, NULL, 's' },
		{ "pcapng", no_argument, NULL, O_PCAPNG },
		{ "json", required_argument, NULL, O_JSON },
		{ "live", no_argument, NULL, 'L' },
		{ "interval-ms", required_argument, NULL, O_INTERVAL },
		{ "write-buffers", required_argument, NULL, O_WBUFS },
		{ "write-buffer-size", required_argument, NULL, O_WBUF_SIZE },
		{ "list-interfaces", no_argument, NULL, 'D' },
		{ "version", no_argument, NULL, O_VERSION },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	unsigned long long v;
	unsigned int interval_ms = 1000;
	bool live = false;
	int c, ret;

	tool_init(&a->session, &a->stop);
	a->snaplen = 262144;
	a->wbufs = SF_BUFS_DEFAULT;
	a->wbuf_size = SF_BUF_SIZE_DEFAULT;
	/* options and the filter's words in any order, as tcpdump's */
	while ((c = getopt_long(argc, argv, TOOL_SHORT_OPTS "w:s:C:G:W:LDh",
				lopts, NULL)) != -1) {
		ret = tool_common_opt(&a->session, &a->stop, PROG, c, optarg);
		if (ret < 0)
			return -1;
		if (ret)
			continue;
		switch (c) {
		case 'w':
			a->out = optarg;
			break;
		case 's':
			if (tool_uint(optarg, 1u << 30, &v))
				return tool_bad_value(PROG, lopts, c, optarg);
			a->snaplen = v ? (uint32_t)v : 262144;
			break;
		case O_PCAPNG:
			a->pcapng = true;
			break;
		case 'C':
			if (sf_parse_size(optarg, &a->file_size))
				return tool_bad_value(PROG, lopts, c, optarg);
			break;
		case 'G':
			if (tool_uint(optarg, 1u << 30, &v) || !v)
				return tool_bad_value(PROG, lopts, c, optarg);
			a->rotate_secs = (unsigned int)v;
			break;
		case 'W':
			if (tool_uint(optarg, 1u << 30, &v) || !v)
				return tool_bad_value(PROG, lopts, c, optarg);
			a->max_files = (unsigned int)v;
			break;
		case O_JSON:
			a->json = optarg;
			break;
		case 'L':
			live = true;
			break;
		case O_INTERVAL:
			if (tool_uint(optarg, 3600000, &v) || v < 10)
				return tool_bad_value(PROG, lopts, c, optarg);
			interval_ms = (unsigned int)v;
			live = true;
			break;
		case O_WBUFS:
			if (tool_uint(optarg, 4096, &v) || !v)
				return tool_bad_value(PROG, lopts, c, optarg);
			a->wbufs = (unsigned int)v;
			break;
		case O_WBUF_SIZE:
			if (tool_uint(optarg, 1u << 30, &v) || v < 4096)
				return tool_bad_value(PROG, lopts, c, optarg);
			a->wbuf_size = (uint32_t)v;
			break;
		case 'D':
			a->list = true;
			break;
		case O_VERSION:
			printf("wirecap %s\n", WIRECAP_VERSION);
			exit(0);
		case 'h':
			capture_usage(stdout);
			exit(0);
		default:
			capture_usage(stderr);
			return -1;
		}
	}
	if (a->list)
		return 0;
	if (optind != argc) {
		a->filter = tool_join_words(argc - optind, argv + optind);
		if (!a->filter) {
			fprintf(stderr, PROG ": %s\n", strerror(ENOMEM));
			return -1;
		}
	}
	if (a->out && ends_with(a->out, ".pcapng"))
		a->pcapng = true;
	if ((a->file_size || a->rotate_secs || a->max_files) &&
	    (!a->out || !strcmp(a->out, "-"))) {
		fprintf(stderr, PROG ": -C, -G and -W need -w FILE\n");
		return -1;
	}
	if (a->max_files && !a->file_size && !a->rotate_secs) {
		fprintf(stderr, PROG ": -W needs -C or -G\n");
		return -1;
	}
	if (a->pcapng && !a->out) {
		fprintf(stderr, PROG ": --pcapng needs -w FILE\n");
		return -1;
	}
	if (tool_session_check(&a->session, PROG))
		return -1;
	a->live_ms = live ? interval_ms : 0;
	return 0;
}

/* --- -D ---------------------------------------------------------------- */

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/*
 * The NICs with queue devices, "N.wirecap:IFNAME (queues 0,1,2,3)", in
 * name order: /dev/wirecap/IFNAME-qN. Sorted, so the numbers hold from
 * one run to the next while the devices do.
 */
static int list_devices(void)
{
	char **names = NULL, *dash;
	size_t n = 0, i, j;
	struct dirent *e;
	unsigned int idx = 0;
	DIR *d;

	d = opendir(WIRECAP_DEV_DIR);
	if (!d) {
		if (errno == ENOENT) {
			fprintf(stderr, PROG ": no WireCAP devices (%s: %s)\n",
				WIRECAP_DEV_DIR, strerror(errno));
			return 1;
		}
		fprintf(stderr, PROG ": %s: %s\n", WIRECAP_DEV_DIR,
			strerror(errno));
		return 1;
	}
	while ((e = readdir(d))) {
		char **nn;

		dash = strrchr(e->d_name, '-');
		if (e->d_name[0] == '.' || !dash || dash[1] != 'q')
			continue;
		nn = realloc(names, (n + 1) * sizeof(*names));
		if (!nn)
			break;
		names = nn;
		names[n] = strdup(e->d_name);
		if (names[n])
			n++;
	}
	closedir(d);
	qsort(names, n, sizeof(*names), cmp_str);
	for (i = 0; i < n; i = j) {
		size_t len = strrchr(names[i], '-') - names[i];
		unsigned int *rings = calloc(n, sizeof(*rings)), nr = 0, k;

		for (j = i; j < n && !strncmp(names[j], names[i], len) &&
		     names[j][len] == '-'; j++)
			if (rings)
				rings[nr++] = (unsigned int)strtoul(
					names[j] + len + 2, NULL, 10);
		/* numerically, not as text */
		for (k = 1; rings && k < nr; k++) {
			unsigned int r = rings[k], m = k;

			for (; m && rings[m - 1] > r; m--)
				rings[m] = rings[m - 1];
			rings[m] = r;
		}
		printf("%u.wirecap:%.*s (queues ", ++idx, (int)len, names[i]);
		for (k = 0; k < nr; k++)
			printf("%s%u", k ? "," : "", rings[k]);
		printf(")\n");
		free(rings);
	}
	for (i = 0; i < n; i++)
		free(names[i]);
	free(names);
	if (!idx) {
		fprintf(stderr, PROG ": no WireCAP devices in %s\n",
			WIRECAP_DEV_DIR);
		return 1;
	}
	return 0;
}

/* --- the --live line ----------------------------------------------------- */

struct live {
	const struct tool_session *s;
	unsigned int nq;
	double t0, last;
	bool tty;
	int shown;			/* length of the line on the terminal */
	uint64_t *rx, *drops;		/* kernel counters at the last line */
	char *buf;
	size_t len;
};

static void live_read(struct wirecap *w, unsigned int i, uint64_t *rx,
		      uint64_t *drops)
{
	struct wirecap_qstats st = { .sz = sizeof(st) };

	if (wirecap_queue_stats(wirecap_queue(w, i), &st) == 0) {
		*rx = st.kernel.received;
		*drops = st.kernel.capture_drops;
	}
}

/* Before the capture starts: the counters to take deltas from. */
static int live_begin(struct live *l, const struct tool_session *s,
		      struct wirecap *w, double now)
{
	unsigned int i;

	l->s = s;
	l->nq = wirecap_queue_count(w);
	l->t0 = l->last = now;
	l->tty = isatty(STDERR_FILENO);
	l->shown = 0;
	l->len = 64 + (size_t)l->nq * (TOOL_QNAME_LEN + 64);
	l->rx = calloc(l->nq, sizeof(*l->rx));
	l->drops = calloc(l->nq, sizeof(*l->drops));
	l->buf = malloc(l->len);
	if (!l->rx || !l->drops || !l->buf)
		return -ENOMEM;
	for (i = 0; i < l->nq; i++)
		live_read(w, i, &l->rx[i], &l->drops[i]);
	return 0;
}

/* Append to the line; a line too long for buf is cut. */
static int __attribute__((format(printf, 3, 4)))
live_put(struct live *l, int n, const char *fmt, ...)
{
	va_list ap;
	int k;

	if ((size_t)n >= l->len - 1)
		return n;
	va_start(ap, fmt);
	k = vsnprintf(l->buf + n, l->len - n, fmt, ap);
	va_end(ap);
	n += k > 0 ? k : 0;
	return (size_t)n < l->len ? n : (int)l->len - 1;
}

static void live_line(struct live *l, struct wirecap *w, double now)
{
	double dt = now - l->last;
	uint64_t rx_all = 0, drops_all = 0;
	char name[TOOL_QNAME_LEN];
	unsigned int i;
	int n;

	n = live_put(l, 0, "%7.1fs", now - l->t0);
	for (i = 0; i < l->nq; i++) {
		uint64_t rx = l->rx[i], drops = l->drops[i];

		live_read(w, i, &rx, &drops);
		n = live_put(l, n, "  %s %.0f/s drop %llu",
			     tool_queue_name(l->s, wirecap_queue(w, i), "q",
					     name),
			     (rx - l->rx[i]) / dt,
			     (unsigned long long)(drops - l->drops[i]));
		rx_all += rx - l->rx[i];
		drops_all += drops - l->drops[i];
		l->rx[i] = rx;
		l->drops[i] = drops;
	}
	n = live_put(l, n, "  total %.0f/s drop %llu", rx_all / dt,
		     (unsigned long long)drops_all);
	if (l->tty) {
		/* over the last one; blanks where it was longer */
		fprintf(stderr, "\r%s%*s", l->buf,
			l->shown > n ? l->shown - n : 0, "");
		l->shown = n;
	} else {
		fprintf(stderr, "%s\n", l->buf);
	}
	fflush(stderr);
	l->last = now;
}

static void live_end(struct live *l)
{
	if (l->tty && l->shown)
		fputc('\n', stderr);
	free(l->rx);
	free(l->drops);
	free(l->buf);
}

/* --- the report ---------------------------------------------------------- */

struct report_row {
	uint64_t pkts, chunks, drops, partial, oversize, received;
	uint64_t accepted, written, given_up;
};

/* The session's NICs as one JSON string: "eth0", or "eth0,eth1". */
static void json_ifnames(FILE *js, const struct tool_session *s)
{
	unsigned int i;

	fputc('"', js);
	for (i = 0; i < s->nnics; i++)
		fprintf(js, "%s%s", i ? "," : "", s->ifnames[i]);
	fputc('"', js);
}

static void print_row(FILE *f, int width, const char *name,
		      const struct report_row *r)
{
	fprintf(f, "%*s %12llu %10llu %13llu %13llu %14llu %12llu %9llu\n",
		width, name, (unsigned long long)r->pkts,
		(unsigned long long)r->chunks, (unsigned long long)r->drops,
		(unsigned long long)r->partial,
		(unsigned long long)r->oversize,
		(unsigned long long)r->accepted,
		(unsigned long long)r->given_up);
}

static void json_row(FILE *js, const struct report_row *r)
{
	fprintf(js, "\"packets\": %llu, \"chunks\": %llu, "
		"\"capture_drops\": %llu, \"partial_views\": %llu, "
		"\"oversize_drops\": %llu, \"received\": %llu, "
		"\"accepted\": %llu, \"written\": %llu, \"given_up\": %llu",
		(unsigned long long)r->pkts, (unsigned long long)r->chunks,
		(unsigned long long)r->drops, (unsigned long long)r->partial,
		(unsigned long long)r->oversize,
		(unsigned long long)r->received,
		(unsigned long long)r->accepted,
		(unsigned long long)r->written,
		(unsigned long long)r->given_up);
}

/*
 * wr[i]: what the writer did with queue i's frames (NULL: no file).
 * Columns: packets read, chunks, the kernel's drops, the frames the
 * filter accepted (all of them without a filter), the frames the writer
 * gave up.
 */
static void report(FILE *f, FILE *js, const struct tool_session *s,
		   struct wirecap *w, const struct qcount *qc,
		   const struct sf_counts *wr, double secs)
{
	struct report_row tot = { 0 };
	unsigned int i, nq = wirecap_queue_count(w);
	char name[TOOL_QNAME_LEN];
	uint32_t max_frame = 0;
	int width = 5;

	for (i = 0; i < nq; i++) {
		int n = strlen(tool_queue_name(s, wirecap_queue(w, i), "",
					       name));

		if (n > width)
			width = n;
	}
	fprintf(f, "%*s %12s %10s %13s %13s %14s %12s %9s\n", width, "queue",
		"packets", "chunks", "capture_drops", "partial_views",
		"oversize_drops", "accepted", "given_up");
	if (js) {
		fprintf(js, "{\"interface\": ");
		json_ifnames(js, s);
		fprintf(js, ", \"seconds\": %.3f, \"queues\": [", secs);
	}
	for (i = 0; i < nq; i++) {
		struct wirecap_queue *q = wirecap_queue(w, i);
		const struct wirecap_info *info = wirecap_queue_info(q);
		struct wirecap_qstats st = { .sz = sizeof(st) };
		uint32_t fr;
		struct report_row r = { .pkts = qc[i].pkts,
					.chunks = qc[i].chunks,
					.accepted = qc[i].accepted };

		if (wirecap_queue_stats(q, &st) == 0) {
			r.drops = st.kernel.capture_drops;
			r.partial = st.kernel.partial_views;
			r.oversize = st.kernel.oversize_drops;
			r.received = st.kernel.received;
		}
		if (wr) {
			r.written = wr[i].written;
			r.given_up = wr[i].given_up;
		}
		/*
		 * The longest frame a queue captures whole: the kernel's
		 * max_frame (frames span cells), or, from a kernel that does
		 * not say, what a cell holds.
		 */
		fr = info->max_frame ? info->max_frame :
		     info->cell_size - info->frame_offset;
		if (fr > max_frame)
			max_frame = fr;
		tot.pkts += r.pkts;
		tot.chunks += r.chunks;
		tot.drops += r.drops;
		tot.partial += r.partial;
		tot.oversize += r.oversize;
		tot.received += r.received;
		tot.accepted += r.accepted;
		tot.written += r.written;
		tot.given_up += r.given_up;
		print_row(f, width, tool_queue_name(s, q, "", name), &r);
		if (!js)
			continue;
		fprintf(js, "%s{\"ifname\": ", i ? ", " : "");
		tool_json_str(js, wirecap_queue_ifname(q));
		fprintf(js, ", \"queue\": %u, ", wirecap_queue_ring(q));
		json_row(js, &r);
		fputc('}', js);
	}
	print_row(f, width, "total", &tot);
	fprintf(f, "%llu packets in %.3f s (%.0f pkt/s)",
		(unsigned long long)tot.pkts, secs,
		secs > 0 ? tot.pkts / secs : 0.0);
	if (wr)
		fprintf(f, ", %llu written", (unsigned long long)tot.written);
	fputc('\n', f);
	if (tot.given_up)
		fprintf(f, "WARNING: %llu packets GIVEN UP by the writer: the "
			"disk did not keep up; they are not in the file\n",
			(unsigned long long)tot.given_up);
	if (js) {
		fprintf(js, "], \"total\": {");
		json_row(js, &tot);
		fprintf(js, "}, \"max_frame\": %u}\n", max_frame);
	}
}

/* --- capture ------------------------------------------------------------- */

struct capture_ctx {
	struct wirecap *w;
	const struct qcount *qc;
};

/* A file's statistics blocks: queue i's counters now (cumulative). */
static void queue_stats(void *ctx, unsigned int i, struct sf_ifstats *out)
{
	struct capture_ctx *cc = ctx;
	struct wirecap_qstats st = { .sz = sizeof(st) };

	if (wirecap_queue_stats(wirecap_queue(cc->w, i), &st) == 0) {
		out->received = st.kernel.received;
		out->dropped = st.kernel.capture_drops +
			       st.kernel.oversize_drops;
	}
	out->accepted = cc->qc[i].accepted;
}

/* "wirecap:IF@RING" for each queue, for the pcapng interfaces. */
static char **if_names(struct wirecap *w, unsigned int nq)
{
	char **names = calloc(nq, sizeof(*names));
	unsigned int i;

	for (i = 0; names && i < nq; i++) {
		struct wirecap_queue *q = wirecap_queue(w, i);

		if (asprintf(&names[i], "wirecap:%s@%u",
			     wirecap_queue_ifname(q),
			     wirecap_queue_ring(q)) < 0)
			names[i] = NULL;
	}
	return names;
}

static void free_names(char **names, unsigned int n)
{
	unsigned int i;

	for (i = 0; names && i < n; i++)
		free(names[i]);
	free(names);
}

/* The filter compiled as tcpdump compiles it; 0 or -1 after a message. */
static int compile_filter(const char *expr, uint32_t snaplen,
			  struct bpf_program *prog)
{
	pcap_t *p = pcap_open_dead(DLT_EN10MB, (int)snaplen);
	int ret = 0;

	if (!p) {
		fprintf(stderr, PROG ": %s\n", strerror(ENOMEM));
		return -1;
	}
	if (pcap_compile(p, prog, expr, 1, PCAP_NETMASK_UNKNOWN)) {
		fprintf(stderr, PROG ": filter '%s': %s\n", expr,
			pcap_geterr(p));
		ret = -1;
	}
	pcap_close(p);
	return ret;
}

int cmd_capture(int argc, char **argv)
{
	struct capture_args a = { 0 };
	struct savefile *sf = NULL;
	struct sf_counts *wr = NULL;
	struct bpf_program prog = { 0 };
	struct capture_ctx cc;
	struct live live = { 0 };
	struct tool_watch watch;
	struct qcount *qc = NULL;
	struct wirecap *w;
	char name[TOOL_QNAME_LEN], **names = NULL;
	uint64_t total = 0, nread = 0, count;
	struct tool_stop watch_stop;
	unsigned int nq, i;
	int ret = 0, err = 0;
	bool last_file = false, closed = false, put_err = false;
	FILE *rep, *js = NULL;
	double secs;

	if (capture_parse(argc, argv, &a))
		return 2;
	if (a.list)
		return list_devices();
	if (a.filter && compile_filter(a.filter, a.snaplen, &prog)) {
		free(a.filter);
		return 2;
	}
	w = tool_open(&a.session, PROG);
	if (!w)
		goto err_filter;
	nq = wirecap_queue_count(w);
	qc = calloc(nq, sizeof(*qc));
	wr = calloc(nq, sizeof(*wr));
	names = if_names(w, nq);
	if (!qc || !wr || !names) {
		fprintf(stderr, PROG ": %s\n", strerror(ENOMEM));
		goto err_close;
	}
	cc.w = w;
	cc.qc = qc;
	/*
	 * a closed pipe: the writer's -EPIPE ends capture, with the report
	 * (from sf_open() on: it writes the file's header)
	 */
	signal(SIGPIPE, SIG_IGN);
	if (a.out) {
		struct sf_opts so = {
			.path = a.out, .pcapng = a.pcapng,
			.snaplen = a.snaplen, .file_size = a.file_size,
			.rotate_secs = a.rotate_secs,
			.max_files = a.max_files, .nbufs = a.wbufs,
			.buf_size = a.wbuf_size, .nifs = nq,
			.if_names = (const char *const *)names,
			.stats = queue_stats, .stats_ctx = &cc,
		};

		ret = sf_open(&sf, &so);
		if (ret) {
			fprintf(stderr, PROG ": %s: %s\n", a.out,
				ret == -EINVAL ? "bad writer options (is the "
				"write buffer smaller than a frame of snaplen?)" :
				strerror(-ret));
			goto err_close;
		}
	}
	js = a.json ? fopen(a.json, "w") : NULL;
	if (a.json && !js) {
		fprintf(stderr, PROG ": %s: %s\n", a.json, strerror(errno));
		goto err_close;
	}
	tool_stop_on_signals();
	if (a.live_ms &&
	    live_begin(&live, &a.session, w, tool_now_ns() / 1e9)) {
		fprintf(stderr, PROG ": %s\n", strerror(ENOMEM));
		goto err_close;
	}
	ret = wirecap_start(w);
	if (ret) {
		fprintf(stderr, PROG ": start: %s\n", strerror(-ret));
		goto err_close;
	}

	/*
	 * -c counts the packets the filter accepted, as tcpdump's; the
	 * watch (--until-file's quiet time) the packets read
	 */
	count = a.stop.count;
	watch_stop = a.stop;
	watch_stop.count = 0;
	tool_watch_start(&watch);
	while (!last_file) {
		unsigned int got = 0;
		double now;

		if (sf)
			sf_set_time(sf, time(NULL));
		for (i = 0; i < nq && !err && !last_file; i++) {
			struct wirecap_queue *q = wirecap_queue(w, i);
			struct wirecap_chunk c;
			int k;

			for (k = 0; k < CHUNKS_PER_TURN; k++) {
				unsigned int n, j;

				ret = wirecap_next_chunk(q, &c, 0);
				if (ret <= 0)
					break;
				n = wirecap_chunk_count(&c);
				for (j = 0; j < n; j++) {
					struct wirecap_pkt p;
					struct pcap_pkthdr h;
					int r;

					if (count && total >= count)
						break;
					wirecap_chunk_pkt(&c, j, &p);
					qc[i].pkts++;
					nread++;
					if (a.filter) {
						h.caplen = p.len < a.snaplen ?
							p.len : a.snaplen;
						h.len = p.len;
						if (!pcap_offline_filter(&prog,
							&h, p.data))
							continue;
					}
					qc[i].accepted++;
					total++;
					if (!sf)
						continue;
					r = sf_put(sf, i, p.data, p.len,
						   p.ts_ns, p.queue, p.hash,
						   p.flags & WIRECAP_PKT_HASH);
					if (r == SF_DONE || r == -EPIPE) {
						/* -G -W's last file; the
						 * pipe's reader went away */
						closed = r == -EPIPE;
						last_file = true;
						break;
					}
					if (r < 0) {
						fprintf(stderr, PROG ": %s: %s\n",
							sf_current_name(sf) ?
							sf_current_name(sf) :
							a.out, strerror(-r));
						err = 1;
						put_err = true;
						break;
					}
				}
				qc[i].chunks++;
				got++;
				wirecap_chunk_release(&c);
				if (err || last_file ||
				    (count && total >= count))
					break;
			}
			if (ret < 0) {
				tool_queue_name(&a.session, q, "", name);
				fprintf(stderr, PROG ": queue %s: %s\n",
					name, strerror(-ret));
				err = 1;
			}
		}
		if (err || (count && total >= count) ||
		    tool_watch_due(&watch_stop, &watch, nread))
			break;
		now = tool_now_ns() / 1e9;
		if (a.live_ms && now - live.last >= a.live_ms / 1000.0)
			live_line(&live, w, now);
		if (sf)
			sf_poll(sf);
		if (!got)
			wirecap_wait(w, a.live_ms && a.live_ms < WAIT_MS ?
					a.live_ms : WAIT_MS);
	}
	secs = tool_watch_secs(&watch);
	if (a.live_ms)
		live_end(&live);
	if (last_file && !closed)
		fprintf(stderr, PROG ": maximum file limit reached: %u\n",
			a.max_files);

	if (sf) {
		/* every write done first: "written" counts completed ones */
		ret = sf_end(sf);
		for (i = 0; i < nq; i++)
			sf_counts(sf, (int)i, &wr[i]);
		sf_close(sf, NULL);
		sf = NULL;
		/* an error sf_put() returned has been reported already */
		if (ret && ret != -EPIPE && !put_err) {
			fprintf(stderr, PROG ": %s: %s\n", a.out,
				strerror(-ret));
			err = 1;
		}
	}
	rep = a.out && !strcmp(a.out, "-") ? stderr : stdout;
	report(rep, js, &a.session, w, qc, a.out ? wr : NULL, secs);
	if (js && fclose(js)) {
		fprintf(stderr, PROG ": %s: %s\n", a.json, strerror(errno));
		err = 1;
	}
	wirecap_close(w);
	free(qc);
	free(wr);
	free_names(names, nq);
	if (a.filter) {
		pcap_freecode(&prog);
		free(a.filter);
	}
	return err;

err_close:
	if (sf)
		sf_close(sf, NULL);
	if (js)
		fclose(js);
	if (a.live_ms)
		live_end(&live);
	free_names(names, nq);
	wirecap_close(w);
	free(qc);
	free(wr);
err_filter:
	if (a.filter) {
		pcap_freecode(&prog);
		free(a.filter);
	}
	return 1;
}
