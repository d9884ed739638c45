// SPDX-License-Identifier: BSD-2-Clause
/*
 * wirecap: the command-line tool.
 *
 *   wirecap capture [-i IFNAME]... [-q 0,2-3] [-w out.pcap] [-c COUNT]
 *                   [--duration SECS] [--until-file PATH [--idle-ms N]]
 *                   [-M cells] [-R chunks] [-s snaplen] [--json FILE]
 *                   [--threads N] [--timeout-us N] [-L [--interval-ms N]]
 *                   [-v]
 *
 * capture: packets of all chosen queues (default: all; -q chooses among
 * the first NIC's, and every -i after the first adds all queues of one
 * more NIC to the session) into one pcap file with nanosecond timestamps,
 * written here (no libpcap, so the binary stays static). One thread reads
 * every queue, so packets of a queue keep their order in the file. Stops
 * on SIGINT/SIGTERM, after COUNT packets, after SECS, or, with
 * --until-file, once PATH exists and no packet came for --idle-ms (500).
 * Prints one line per queue and a total (stdout, or stderr when the pcap
 * goes to stdout), and the same as JSON with --json. A queue is named by
 * its ring, or with several NICs as IFNAME-qN; in the JSON each queue has
 * its "ifname", and "interface" lists the NICs, comma-separated. With
 * --live, every --interval-ms (1000) one line on stderr: per queue the
 * packets the NIC received per second and the capture drops since the
 * line before (the kernel's counters), and their totals; rewritten in
 * place when stderr is a terminal. The options shared with profile and
 * handler, and how they stop: tools/common.c. Exit 0, 1 on errors, 2 on
 * bad usage.
 *
 *   wirecap stats [-i IFNAME] [--all] [--json | --openmetrics |
 *                 --listen [ADDR]:PORT]               (tools/stats.c)
 *
 * stats: the kernel's counters of every attached queue, from sysfs.
 *
 *   wirecap profile [-i IFNAME]... [--bin-ms N] [-o F.csv] [--png F.png] ...
 *   wirecap profile --plot F.csv --png F.png          (tools/profile.c)
 *
 * profile: packets per queue in time bins, by packet timestamp (Fig. 3).
 *
 *   wirecap handler [-i IFNAME]... [--mode basic|advanced] [-x N] ...
 *                                                      (tools/handler.c)
 *
 * handler: the paper's multi_pkt_handler: a thread per queue applies a BPF
 * filter x times to every packet; drop rates, offloading, Pp.
 *
 *   wirecap forward -i A -o B [FILTER] [-x N] ...      (tools/forward.c)
 *
 * forward: the paper's middlebox: a thread per queue of A sends what the
 * filter keeps out of B, zero copy from A's pool; counters per stage.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "wirecap.h"
#include "tools.h"

#define CHUNKS_PER_TURN	16	/* per queue, before looking at the next */
#define WAIT_MS		50	/* longest sleep between stop checks */

#define PROG		"wirecap"

/* --- pcap, nanosecond flavour ------------------------------------------ */

#define PCAP_MAGIC_NS	0xa1b23c4d
#define LINKTYPE_EN10MB	1

struct pcap_file_hdr {
	uint32_t magic;
	uint16_t version_major, version_minor;
	int32_t thiszone;
	uint32_t sigfigs, snaplen, linktype;
};

struct pcap_rec_hdr {
	uint32_t ts_sec, ts_nsec, caplen, len;
};

struct pcap_out {
	FILE *f;
	uint32_t snaplen;
	int err;
};

static int pcap_begin(struct pcap_out *o, const char *path, uint32_t snaplen)
{
	struct pcap_file_hdr h = {
		.magic = PCAP_MAGIC_NS, .version_major = 2, .version_minor = 4,
		.snaplen = snaplen, .linktype = LINKTYPE_EN10MB,
	};

	o->snaplen = snaplen;
	o->err = 0;
	o->f = strcmp(path, "-") ? fopen(path, "wb") : stdout;
	if (!o->f)
		return -errno;
	setvbuf(o->f, NULL, _IOFBF, 1 << 20);
	if (fwrite(&h, sizeof(h), 1, o->f) != 1)
		return -EIO;
	return 0;
}

static void pcap_put(struct pcap_out *o, const struct wirecap_pkt *p)
{
	uint32_t cap = p->len < o->snaplen ? p->len : o->snaplen;
	struct pcap_rec_hdr r = {
		.ts_sec = (uint32_t)(p->ts_ns / 1000000000ull),
		.ts_nsec = (uint32_t)(p->ts_ns % 1000000000ull),
		.caplen = cap,
		.len = p->len,
	};

	if (fwrite(&r, sizeof(r), 1, o->f) != 1 ||
	    fwrite(p->data, 1, cap, o->f) != cap)
		o->err = -EIO;
}

static int pcap_end(struct pcap_out *o)
{
	int ret = o->err;

	if (!o->f)
		return 0;
	if (fflush(o->f) && !ret)
		ret = -errno;
	if (o->f != stdout && fclose(o->f) && !ret)
		ret = -errno;
	o->f = NULL;
	return ret;
}

/* --- capture ------------------------------------------------------------- */

struct qcount {
	uint64_t pkts, chunks;
};

struct capture_args {
	struct tool_session session;
	struct tool_stop stop;
	const char *out, *json;
	unsigned int live_ms;		/* --live interval; 0: off */
	uint32_t snaplen;
};

static void capture_usage(FILE *f)
{
	fprintf(f,
"usage: wirecap capture [-i IFNAME]... [-q LIST] [-w FILE] [-c COUNT]\n"
"                       [--duration SECS] [--until-file PATH [--idle-ms N]]\n"
"                       [-M cells] [-R chunks] [-s snaplen] [--json FILE]\n"
"                       [--threads N] [--timeout-us N]\n"
"                       [-L [--interval-ms N]] [-v]\n"
TOOL_USAGE_SESSION
"  -w FILE          write a pcap file (nanosecond timestamps); - is stdout\n"
"  -s SNAPLEN       bytes kept per packet (default 262144)\n"
TOOL_USAGE_STOP
"  --json FILE      the per-queue counts as JSON\n"
"  -L, --live       on stderr, every interval: per queue packets/s received\n"
"                   and capture drops since the last line, and the total\n"
"  --interval-ms N  of the --live line (default 1000; implies --live)\n");
}

static int capture_parse(int argc, char **argv, struct capture_args *a)
{
	enum { O_JSON = TOOL_OPT_OWN, O_INTERVAL };
	static const struct option lopts[] = {
		TOOL_LONG_OPTS,
		{ "write", required_argument, NULL, 'w' },
		{ "snaplen", required_argument, NULL, 's' },
		{ "json", required_argument, NULL, O_JSON },
		{ "live", no_argument, NULL, 'L' },
		{ "interval-ms", required_argument, NULL, O_INTERVAL },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	unsigned long long v;
	unsigned int interval_ms = 1000;
	bool live = false;
	int c, ret;

	tool_init(&a->session, &a->stop);
	a->snaplen = 262144;
	while ((c = getopt_long(argc, argv, TOOL_SHORT_OPTS "w:s:Lh", lopts,
				NULL)) != -1) {
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
		case 'h':
			capture_usage(stdout);
			exit(0);
		default:
			capture_usage(stderr);
			return -1;
		}
	}
	if (optind != argc) {
		fprintf(stderr, PROG ": unexpected argument '%s'\n",
			argv[optind]);
		return -1;
	}
	if (tool_session_check(&a->session, PROG))
		return -1;
	a->live_ms = live ? interval_ms : 0;
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

struct report_row {
	uint64_t pkts, chunks, drops, partial, oversize, received;
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

static void report(FILE *f, FILE *js, const struct tool_session *s,
		   struct wirecap *w, const struct qcount *qc, double secs)
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
	fprintf(f, "%*s %12s %10s %13s %13s %14s\n", width, "queue",
		"packets", "chunks", "capture_drops", "partial_views",
		"oversize_drops");
	if (js) {
		fprintf(js, "{\"interface\": ");
		json_ifnames(js, s);
		fprintf(js, ", \"seconds\": %.3f, \"queues\": [", secs);
	}
	for (i = 0; i < nq; i++) {
		struct wirecap_queue *q = wirecap_queue(w, i);
		const struct wirecap_info *info = wirecap_queue_info(q);
		struct wirecap_qstats st = { .sz = sizeof(st) };
		struct report_row r = { .pkts = qc[i].pkts,
					.chunks = qc[i].chunks };

		if (wirecap_queue_stats(q, &st) == 0) {
			r.drops = st.kernel.capture_drops;
			r.partial = st.kernel.partial_views;
			r.oversize = st.kernel.oversize_drops;
			r.received = st.kernel.received;
		}
		max_frame = info->cell_size - info->frame_offset;
		tot.pkts += r.pkts;
		tot.chunks += r.chunks;
		tot.drops += r.drops;
		tot.partial += r.partial;
		tot.oversize += r.oversize;
		tot.received += r.received;
		fprintf(f, "%*s %12llu %10llu %13llu %13llu %14llu\n", width,
			tool_queue_name(s, q, "", name),
			(unsigned long long)r.pkts,
			(unsigned long long)r.chunks,
			(unsigned long long)r.drops,
			(unsigned long long)r.partial,
			(unsigned long long)r.oversize);
		if (!js)
			continue;
		fprintf(js, "%s{\"ifname\": ", i ? ", " : "");
		tool_json_str(js, wirecap_queue_ifname(q));
		fprintf(js, ", \"queue\": %u, \"packets\": %llu, "
			"\"chunks\": %llu, \"capture_drops\": %llu, "
			"\"partial_views\": %llu, "
			"\"oversize_drops\": %llu, \"received\": %llu}",
			wirecap_queue_ring(q),
			(unsigned long long)r.pkts,
			(unsigned long long)r.chunks,
			(unsigned long long)r.drops,
			(unsigned long long)r.partial,
			(unsigned long long)r.oversize,
			(unsigned long long)r.received);
	}
	fprintf(f, "%*s %12llu %10llu %13llu %13llu %14llu\n", width, "total",
		(unsigned long long)tot.pkts, (unsigned long long)tot.chunks,
		(unsigned long long)tot.drops, (unsigned long long)tot.partial,
		(unsigned long long)tot.oversize);
	fprintf(f, "%llu packets in %.3f s (%.0f pkt/s)\n",
		(unsigned long long)tot.pkts, secs,
		secs > 0 ? tot.pkts / secs : 0.0);
	if (js)
		fprintf(js, "], \"total\": {\"packets\": %llu, \"chunks\": %llu, "
			"\"capture_drops\": %llu, \"partial_views\": %llu, "
			"\"oversize_drops\": %llu, \"received\": %llu}, "
			"\"max_frame\": %u}\n",
			(unsigned long long)tot.pkts,
			(unsigned long long)tot.chunks,
			(unsigned long long)tot.drops,
			(unsigned long long)tot.partial,
			(unsigned long long)tot.oversize,
			(unsigned long long)tot.received, max_frame);
}

static int cmd_capture(int argc, char **argv)
{
	struct capture_args a = { 0 };
	struct pcap_out out = { 0 };
	struct live live = { 0 };
	struct tool_watch watch;
	struct qcount *qc;
	struct wirecap *w;
	char name[TOOL_QNAME_LEN];
	uint64_t total = 0, count;
	unsigned int nq, i;
	int ret = 0, err = 0;
	FILE *rep, *js = NULL;
	double secs;

	if (capture_parse(argc, argv, &a))
		return 2;
	w = tool_open(&a.session, PROG);
	if (!w)
		return 1;
	nq = wirecap_queue_count(w);
	qc = calloc(nq, sizeof(*qc));
	if (!qc)
		goto err_close;
	ret = a.out ? pcap_begin(&out, a.out, a.snaplen) : 0;
	if (ret) {
		fprintf(stderr, "wirecap: %s: %s\n", a.out, strerror(-ret));
		goto err_close;
	}
	js = a.json ? fopen(a.json, "w") : NULL;
	if (a.json && !js) {
		fprintf(stderr, "wirecap: %s: %s\n", a.json, strerror(errno));
		goto err_close;
	}
	tool_stop_on_signals();
	if (a.live_ms &&
	    live_begin(&live, &a.session, w, tool_now_ns() / 1e9)) {
		fprintf(stderr, "wirecap: %s\n", strerror(ENOMEM));
		goto err_close;
	}
	ret = wirecap_start(w);
	if (ret) {
		fprintf(stderr, "wirecap: start: %s\n", strerror(-ret));
		goto err_close;
	}

	count = a.stop.count;
	tool_watch_start(&watch);
	for (;;) {
		unsigned int got = 0;
		double now;

		for (i = 0; i < nq && !err; i++) {
			struct wirecap_queue *q = wirecap_queue(w, i);
			struct wirecap_chunk c;
			int k;

			for (k = 0; k < CHUNKS_PER_TURN; k++) {
				unsigned int n, j;

				ret = wirecap_next_chunk(q, &c, 0);
				if (ret <= 0)
					break;
				n = wirecap_chunk_count(&c);
				if (count && total + n > count)
					n = (unsigned int)(count - total);
				for (j = 0; j < n && out.f; j++) {
					struct wirecap_pkt p;

					wirecap_chunk_pkt(&c, j, &p);
					pcap_put(&out, &p);
				}
				qc[i].pkts += n;
				qc[i].chunks++;
				total += n;
				got++;
				wirecap_chunk_release(&c);
				if (count && total >= count)
					break;
			}
			if (ret < 0) {
				tool_queue_name(&a.session, q, "", name);
				fprintf(stderr, "wirecap: queue %s: %s\n",
					name, strerror(-ret));
				err = 1;
			}
		}
		if (err || out.err || tool_watch_due(&a.stop, &watch, total))
			break;
		now = tool_now_ns() / 1e9;
		if (a.live_ms && now - live.last >= a.live_ms / 1000.0)
			live_line(&live, w, now);
		if (!got)
			wirecap_wait(w, a.live_ms && a.live_ms < WAIT_MS ?
					a.live_ms : WAIT_MS);
	}
	secs = tool_watch_secs(&watch);
	if (a.live_ms)
		live_end(&live);

	ret = pcap_end(&out);
	if (ret) {
		fprintf(stderr, "wirecap: %s: %s\n", a.out, strerror(-ret));
		err = 1;
	}
	rep = a.out && !strcmp(a.out, "-") ? stderr : stdout;
	report(rep, js, &a.session, w, qc, secs);
	if (js && fclose(js)) {
		fprintf(stderr, "wirecap: %s: %s\n", a.json, strerror(errno));
		err = 1;
	}
	wirecap_close(w);
	free(qc);
	return err;

err_close:
	pcap_end(&out);
	if (js)
		fclose(js);
	if (a.live_ms)
		live_end(&live);
	wirecap_close(w);
	free(qc);
	return 1;
}

static void usage(FILE *f)
{
	fprintf(f, "usage: wirecap <command> [options]\n"
		"commands:\n"
		"  capture   capture packets into a pcap file\n"
		"  stats     counters of every attached queue\n"
		"  profile   packets per queue over time, CSV and plot\n"
		"  handler   pkt_handler: n threads filter every packet x times;\n"
		"            basic or advanced (offloading) mode, drop rates\n"
		"  forward   middlebox: forward what a filter keeps from one\n"
		"            NIC out of another, zero copy\n"
		"  exec      run a libpcap program that can open wirecap:IFNAME\n"
		"  help      this text\n"
		"'wirecap <command> -h' for the options of a command\n");
}

int main(int argc, char **argv)
{
	static const struct {
		const char *name;
		int (*fn)(int argc, char **argv);
	} cmds[] = {
		{ "capture", cmd_capture },
		{ "stats", cmd_stats },
		{ "profile", cmd_profile },
		{ "handler", cmd_handler },
		{ "forward", cmd_forward },
		{ "exec", cmd_exec },
	};
	unsigned int i;

	if (argc < 2) {
		usage(stderr);
		return 2;
	}
	if (!strcmp(argv[1], "help") || !strcmp(argv[1], "-h") ||
	    !strcmp(argv[1], "--help")) {
		usage(stdout);
		return 0;
	}
	for (i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++)
		if (!strcmp(argv[1], cmds[i].name))
			return cmds[i].fn(argc - 1, argv + 1);
	fprintf(stderr, "wirecap: unknown command '%s'\n", argv[1]);
	usage(stderr);
	return 2;
}
