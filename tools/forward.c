// SPDX-License-Identifier: BSD-2-Clause
/*
 * wirecap forward: the paper's middlebox. One thread per queue of NIC A
 * (as `wirecap handler`), a BPF filter (libpcap's pcap_compile) that
 * decides per packet: forward it out of NIC B, zero copy from A's pool
 * (wirecap_xmit), or drop it. Basic or advanced mode (WireCAP-B(M,R) or
 * WireCAP-A(M,R,T)).
 *
 *   wirecap forward -i A -o B [FILTER...] [-f FILTER] [-x N] [-q LIST]
 *                   [--mode basic|advanced] [-T PCT] [-M cells]
 *                   [--cell-size B]
 *                   [-R chunks] [-c COUNT] [--duration SECS]
 *                   [--until-file PATH [--idle-ms N]] [--threads N]
 *                   [--timeout-us N] [--dec-ttl] [-v] [--json FILE]
 *
 * Packets of A's queue N leave by B's transmit queue N modulo B's queue
 * count (B's queue device opened for transmitting, wirecap_out_open; it
 * is exclusive, so nobody may capture those queues of B meanwhile), a
 * chunk offloaded to another thread too. In basic mode a queue's packets,
 * and so its flows, leave in the order they came; in advanced mode an
 * offloaded chunk may overtake its neighbours (never within a chunk).
 * With -o A (out of the NIC it came from) they leave by A's transmit
 * queue N. The filter (default: none, forward everything) runs
 * once per packet, and -x N times more, as handler's -x (a costlier
 * middlebox). With --dec-ttl each forwarded packet is edited in place, in
 * the pool, before it leaves, as a router edits it: the IPv4 TTL or the
 * IPv6 hop limit goes down by one (the IPv4 header checksum updated to
 * match, RFC 1624), and a packet whose TTL or hop limit is 1 or 0 is
 * dropped instead (counted in filtered and in expired). Frames that are
 * not IP leave unchanged.
 *
 * At the end, per queue of A and in total (packets), counters that add
 * up once the traffic stopped and every queue was drained:
 *   received       frames that reached the queue (kernel counters since
 *                  attach: stored in its pool, or dropped)
 *   capture_drops  capture drops + oversize drops (kernel)
 *   filtered       dropped by the filter, by --dec-ttl (expired),
 *                  cells that hold no frame, and frames longer than a
 *                  cell (--cell-size), which XMIT cannot send yet
 *   forwarded      taken by B's transmit queue (the count XMIT returned)
 *   tx_dropped     B's transmit queue took nothing for 200 ms (XMIT
 *                  waits for room until then; kernel xmit_dropped)
 *   tx_refused     XMIT refused them (kernel xmit_refused: longer than
 *                  B's MTU, say)
 * received = capture_drops + filtered + forwarded + tx_dropped +
 * tx_refused ("balanced"). A packet is counted for the queue whose pool
 * held it, whichever thread processed it (advanced mode). The options
 * shared with capture, profile and handler: tools/common.c; here -c
 * counts packets processed. Exit 0; 1 on errors; 2 on bad usage.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <pcap/pcap.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "wirecap.h"
#include "tools.h"

#define F_WAIT_MS	20
#define PROG		"wirecap forward"

/* --- arguments ---------------------------------------------------------- */

struct forward_args {
	struct tool_session session;	/* A; its opts: also --mode, -T */
	struct tool_stop stop;		/* -c: packets processed */
	const char *out;		/* B */
	const char *json;
	char *filter;			/* "" : forward everything */
	unsigned int x;
	bool dec_ttl;			/* --dec-ttl */
};

static void forward_usage(FILE *f)
{
	fprintf(f,
"usage: wirecap forward -i A -o B [FILTER...] [-f FILTER] [-x N] [-q LIST]\n"
"                       [--mode basic|advanced] [-T PCT] [-M cells]\n"
"                       [--cell-size B]\n"
"                       [-R chunks] [-c COUNT] [--duration SECS]\n"
"                       [--until-file PATH [--idle-ms N]] [--threads N]\n"
"                       [--timeout-us N] [--dec-ttl] [-v] [--json FILE]\n"
TOOL_USAGE_SESSION
"  -o, --out B      NIC to forward out of (A itself: back out of A);\n"
"                   A's queue N sends on B's queue N modulo B's count\n"
"  FILTER, -f F     BPF filter: packets it matches are forwarded, the\n"
"                   others dropped (default: forward everything)\n"
"  -x N             run the filter N more times per packet (default 0)\n"
"  --mode M         basic (WireCAP-B) or advanced (WireCAP-A, offloading)\n"
"  -T PCT           offloading threshold, %% of R (default 60)\n"
"  --dec-ttl        edit in place as a router does: IPv4 TTL and IPv6 hop\n"
"                   limit minus one; at 1 or 0 the packet is dropped\n"
TOOL_USAGE_STOP
"  --json FILE      the results as one JSON object (- for stdout)\n");
}

static int forward_parse(int argc, char **argv, struct forward_args *a)
{
	enum { O_MODE = TOOL_OPT_OWN, O_JSON, O_DEC_TTL };
	static const struct option lopts[] = {
		TOOL_LONG_OPTS,
		{ "out", required_argument, NULL, 'o' },
		{ "mode", required_argument, NULL, O_MODE },
		{ "filter", required_argument, NULL, 'f' },
		{ "json", required_argument, NULL, O_JSON },
		{ "dec-ttl", no_argument, NULL, O_DEC_TTL },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct wirecap_opts *o = &a->session.opts;
	const char *filter = NULL;
	unsigned long long v;
	int c, ret;

	tool_init(&a->session, &a->stop);
	/* options and the filter's words in any order, as tcpdump's */
	while ((c = getopt_long(argc, argv, TOOL_SHORT_OPTS "o:x:f:T:h",
				lopts, NULL)) != -1) {
		ret = tool_common_opt(&a->session, &a->stop, PROG, c, optarg);
		if (ret < 0)
			goto usage;
		if (ret)
			continue;
		switch (c) {
		case 'o':
			a->out = optarg;
			break;
		case O_MODE:
			if (!strcmp(optarg, "basic"))
				o->mode = WIRECAP_MODE_BASIC;
			else if (!strcmp(optarg, "advanced"))
				o->mode = WIRECAP_MODE_ADVANCED;
			else
				goto bad;
			break;
		case 'x':
			if (tool_uint(optarg, 1000000, &v))
				goto bad;
			a->x = (unsigned int)v;
			break;
		case 'f':
			filter = optarg;
			break;
		case 'T':
			if (tool_uint(optarg, 100, &v) || !v)
				goto bad;
			o->offload_pct = (unsigned int)v;
			break;
		case O_JSON:
			a->json = optarg;
			break;
		case O_DEC_TTL:
			a->dec_ttl = true;
			break;
		case 'h':
			forward_usage(stdout);
			exit(0);
		default:
			goto usage;
		}
	}
	if (filter && optind != argc) {
		fprintf(stderr, PROG ": a filter with -f, or after the "
			"options, not both\n");
		goto usage;
	}
	a->filter = filter ? strdup(filter) :
		    tool_join_words(argc - optind, argv + optind);
	if (!a->filter) {
		fprintf(stderr, PROG ": out of memory\n");
		return -1;
	}
	if (tool_session_check(&a->session, PROG))
		goto usage;
	if (a->session.nnics != 1) {
		fprintf(stderr, PROG ": one input NIC (-i)\n");
		goto usage;
	}
	if (!a->out || !*a->out) {
		fprintf(stderr, PROG ": no output NIC: -o B\n");
		goto usage;
	}
	return 0;
bad:
	tool_bad_value(PROG, lopts, c, optarg);
usage:
	forward_usage(stderr);
	return -1;
}

/* --- outputs -------------------------------------------------------------- */

/* B's queues, as /dev/wirecap lists them (B-q0, B-q1, ...). */
static unsigned int count_queues(const char *ifname)
{
	size_t len = strlen(ifname);
	unsigned int n = 0;
	struct dirent *e;
	DIR *d = opendir(WIRECAP_DEV_DIR);

	if (!d)
		return 0;
	while ((e = readdir(d))) {
		unsigned int ring;
		char end;

		if (!strncmp(e->d_name, ifname, len) &&
		    sscanf(e->d_name + len, "-q%u%c", &ring, &end) == 1 &&
		    ring + 1 > n)
			n = ring + 1;
	}
	closedir(d);
	return n;
}

/*
 * The outputs of B by ring: those A's queues need, opened for
 * transmitting (outs[r] NULL for the others). B = A: none, each chunk
 * goes out of its own NIC. 0, or -1 after a message.
 */
static int open_outs(struct wirecap *w, const char *b,
		     struct wirecap_out ***outs, unsigned int *nb)
{
	unsigned int i, nq = wirecap_queue_count(w);

	*outs = NULL;
	*nb = 0;
	if (!strcmp(b, wirecap_queue_ifname(wirecap_queue(w, 0))))
		return 0;
	*nb = count_queues(b);
	if (!*nb) {
		fprintf(stderr, PROG ": %s: no WireCAP queues under "
			WIRECAP_DEV_DIR "\n", b);
		return -1;
	}
	*outs = calloc(*nb, sizeof(**outs));
	if (!*outs) {
		fprintf(stderr, PROG ": out of memory\n");
		return -1;
	}
	for (i = 0; i < nq; i++) {
		unsigned int r = wirecap_queue_ring(wirecap_queue(w, i)) % *nb;

		if ((*outs)[r])
			continue;
		(*outs)[r] = wirecap_out_open(b, r);
		if (!(*outs)[r]) {
			fprintf(stderr, PROG ": %s-q%u: %s%s\n", b, r,
				strerror(errno), errno == EOPNOTSUPP ?
				" (its NIC cannot send XMIT's cells)" :
				errno == EBUSY ? " (captured or forwarded "
				"to by another program)" : "");
			return -1;
		}
	}
	return 0;
}

static void close_outs(struct wirecap_out **outs, unsigned int nb)
{
	unsigned int i;

	for (i = 0; outs && i < nb; i++)
		wirecap_out_close(outs[i]);
	free(outs);
}

/* --- the forwarding threads ----------------------------------------------- */

/* Counted per queue of A whose pool held the packets. */
struct fcount {
	uint64_t pkts, filtered, forwarded, expired;
};

/*
 * --dec-ttl: a router's edit of the frame f of len bytes, in place. The
 * IPv4 TTL or IPv6 hop limit goes down by one; the IPv4 header checksum
 * is updated for that change alone (RFC 1624: the 16-bit word holding
 * the TTL goes down by 0x0100, so the checksum goes up by as much, in
 * one's complement; a checksum that was right stays right, one that was
 * wrong stays as wrong). Behind up to two VLAN tags. Returns false when
 * the packet must be dropped instead: TTL or hop limit 1 or 0. Frames
 * that are not IP, or too short to be, are left as they are.
 */
static bool dec_ttl(uint8_t *f, uint32_t len)
{
	uint32_t off = 12, sum;
	uint16_t type = 0;
	int tags;

	for (tags = 0; tags <= 2 && off + 2 <= len; tags++) {
		type = (uint16_t)(f[off] << 8 | f[off + 1]);
		if ((type != 0x8100 && type != 0x88a8) || tags == 2)
			break;
		off += 4;
	}
	if (off + 2 > len)
		return true;
	off += 2;
	if (type == 0x0800 && off + 20 <= len && f[off] >> 4 == 4) {
		if (f[off + 8] <= 1)
			return false;
		f[off + 8]--;
		sum = (uint32_t)(f[off + 10] << 8 | f[off + 11]) + 0x0100;
		sum = (sum & 0xffff) + (sum >> 16);
		if (sum == 0xffff)	/* -0: as a checksum computed anew */
			sum = 0;
		f[off + 10] = (uint8_t)(sum >> 8);
		f[off + 11] = (uint8_t)sum;
	} else if (type == 0x86dd && off + 40 <= len && f[off] >> 4 == 6) {
		if (f[off + 7] <= 1)
			return false;
		f[off + 7]--;
	}
	return true;
}

struct worker {
	struct wirecap_queue *q;
	const struct bpf_program *prog;
	bool filter;			/* false: forward everything */
	unsigned int x;
	bool dec_ttl;			/* --dec-ttl */
	struct wirecap_out **outs;	/* by B's ring; NULL: out of A */
	unsigned int nb;
	struct wirecap_xmit_pkt *pk;	/* a chunk's worth */
	struct fcount *by_owner;	/* [session index of the owner] */
	pthread_t tid;
	bool started;
	int err;			/* a queue or XMIT error: -errno */
	uint64_t pkts;			/* processed, read by the main thread */
	uint32_t *stop;
};

static void *worker_run(void *arg)
{
	struct worker *wk = arg;
	struct wirecap_chunk c;
	struct wirecap_pkt p;

	while (!__atomic_load_n(wk->stop, __ATOMIC_ACQUIRE)) {
		int ret = wirecap_next_chunk(wk->q, &c, F_WAIT_MS);
		struct wirecap_out *out = NULL;
		struct fcount *fc;
		unsigned int i, n, k = 0, j, room;

		if (ret < 0 && ret != -EINTR) {
			__atomic_store_n(&wk->err, ret, __ATOMIC_RELAXED);
			break;
		}
		if (ret != 1)
			continue;
		fc = &wk->by_owner[wirecap_queue_index(c.owner)];
		if (wk->outs)
			out = wk->outs[wirecap_queue_ring(c.owner) % wk->nb];
		n = wirecap_chunk_count(&c);
		/* XMIT sends one cell: what a frame across cells cannot */
		room = wirecap_queue_info(c.owner)->cell_size -
		       wirecap_queue_info(c.owner)->frame_offset;
		for (i = 0; i < n; i++) {
			struct pcap_pkthdr h = { 0 };
			int hit = 1;

			wirecap_chunk_pkt(&c, i, &p);
			h.caplen = h.len = p.len;
			if (wk->filter) {
				hit = pcap_offline_filter(wk->prog, &h, p.data);
				/* a costlier middlebox: the same work again */
				for (j = 0; j < wk->x; j++)
					hit = pcap_offline_filter(wk->prog, &h,
								  p.data);
			}
			/* a cell without a frame cannot go anywhere */
			if (!hit || p.len < WIRECAP_XMIT_MIN_LEN ||
			    p.len > room)
				continue;
			/* the pool is mapped writable: edited in place */
			if (wk->dec_ttl && !dec_ttl((uint8_t *)p.data, p.len)) {
				fc->expired++;
				continue;
			}
			wk->pk[k++] = (struct wirecap_xmit_pkt){
				.chunk = &c, .index = i, .len = p.len,
			};
		}
		fc->pkts += n;
		fc->filtered += n - k;
		if (k) {
			/* consumes the chunk: no release */
			ret = wirecap_xmit(out, wk->pk, k);
			if (ret < 0) {
				__atomic_store_n(&wk->err, ret,
						 __ATOMIC_RELAXED);
				break;
			}
			fc->forwarded += ret;
		} else {
			wirecap_chunk_release(&c);
		}
		__atomic_store_n(&wk->pkts, wk->pkts + n, __ATOMIC_RELAXED);
	}
	return NULL;
}

/* --- results ------------------------------------------------------------ */

struct qres {
	const char *ifname;
	unsigned int ring, out_ring;
	uint64_t received, drops, filtered, forwarded, tx_dropped, tx_refused;
	uint64_t expired;	/* --dec-ttl: of filtered, TTL 1 or 0 */
	uint64_t processed;
};

static void qres_add(struct qres *t, const struct qres *r)
{
	t->received += r->received;
	t->drops += r->drops;
	t->filtered += r->filtered;
	t->forwarded += r->forwarded;
	t->tx_dropped += r->tx_dropped;
	t->tx_refused += r->tx_refused;
	t->expired += r->expired;
	t->processed += r->processed;
}

static bool balanced(const struct qres *r)
{
	return r->received == r->drops + r->filtered + r->forwarded +
			      r->tx_dropped + r->tx_refused;
}

static void json_counts(FILE *f, const struct qres *r)
{
	fprintf(f, "\"received\": %llu, \"capture_drops\": %llu, "
		"\"filtered\": %llu, \"forwarded\": %llu, "
		"\"tx_dropped\": %llu, \"tx_refused\": %llu, "
		"\"expired\": %llu, \"processed\": %llu, \"balanced\": %s",
		(unsigned long long)r->received, (unsigned long long)r->drops,
		(unsigned long long)r->filtered,
		(unsigned long long)r->forwarded,
		(unsigned long long)r->tx_dropped,
		(unsigned long long)r->tx_refused,
		(unsigned long long)r->expired,
		(unsigned long long)r->processed,
		balanced(r) ? "true" : "false");
}

static void print_row(FILE *f, const char *name, const char *out,
		      const struct qres *r)
{
	fprintf(f, "%-12s %-12s %10llu %10llu %10llu %10llu %10llu %10llu\n",
		name, out, (unsigned long long)r->received,
		(unsigned long long)r->drops,
		(unsigned long long)r->filtered,
		(unsigned long long)r->forwarded,
		(unsigned long long)r->tx_dropped,
		(unsigned long long)r->tx_refused);
}

static int write_json(const struct forward_args *a, struct wirecap *w,
		      const struct qres *res, const struct qres *tot,
		      double secs)
{
	const struct wirecap_info *info =
		wirecap_queue_info(wirecap_queue(w, 0));
	unsigned int i, nq = wirecap_queue_count(w);
	FILE *jf = strcmp(a->json, "-") ? fopen(a->json, "w") : stdout;

	if (!jf) {
		fprintf(stderr, PROG ": %s: %s\n", a->json, strerror(errno));
		return -1;
	}
	fprintf(jf, "{\"in\": ");
	tool_json_str(jf, a->session.ifnames[0]);
	fprintf(jf, ", \"out\": ");
	tool_json_str(jf, a->out);
	fprintf(jf, ", \"mode\": \"%s\", \"M\": %u, \"R\": %u, \"T\": %u, "
		"\"x\": %u, \"dec_ttl\": %s, \"filter\": ",
		a->session.opts.mode ? "advanced" : "basic",
		info->cells_per_chunk, info->nr_chunks,
		a->session.opts.offload_pct ? a->session.opts.offload_pct : 60,
		a->x, a->dec_ttl ? "true" : "false");
	tool_json_str(jf, a->filter);
	fprintf(jf, ", \"seconds\": %.3f, \"queues\": [", secs);
	for (i = 0; i < nq; i++) {
		fprintf(jf, "%s{\"ifname\": ", i ? ", " : "");
		tool_json_str(jf, res[i].ifname);
		fprintf(jf, ", \"queue\": %u, \"out_queue\": %u, ",
			res[i].ring, res[i].out_ring);
		json_counts(jf, &res[i]);
		fputc('}', jf);
	}
	fprintf(jf, "], \"total\": {");
	json_counts(jf, tot);
	fprintf(jf, "}}\n");
	if (jf != stdout && fclose(jf)) {
		fprintf(stderr, PROG ": %s: %s\n", a->json, strerror(errno));
		return -1;
	}
	return 0;
}

int cmd_forward(int argc, char **argv)
{
	static struct forward_args a;
	struct bpf_program prog = { 0 };
	struct wirecap_out **outs = NULL;
	struct wirecap *w = NULL;
	struct worker *wk = NULL;
	struct qres *res = NULL, tot = { 0 };
	struct tool_watch watch;
	uint32_t stop = 0, maxm = 0;
	unsigned int nq = 0, nb = 0, i, j;
	pcap_t *dead;
	double secs;
	int ret, status = 1;

	if (forward_parse(argc, argv, &a))
		return 2;
	dead = pcap_open_dead(DLT_EN10MB, 262144);
	if (!dead || pcap_compile(dead, &prog, a.filter, 1,
				  PCAP_NETMASK_UNKNOWN)) {
		fprintf(stderr, PROG ": filter \"%s\": %s\n",
			a.filter, dead ? pcap_geterr(dead) : "no memory");
		if (dead)
			pcap_close(dead);
		free(a.filter);
		return 2;
	}

	w = tool_open(&a.session, PROG);
	if (!w)
		goto out;
	nq = wirecap_queue_count(w);
	if (open_outs(w, a.out, &outs, &nb))
		goto out;
	wk = calloc(nq, sizeof(*wk));
	res = calloc(nq, sizeof(*res));
	if (!wk || !res) {
		fprintf(stderr, PROG ": out of memory\n");
		goto out;
	}
	for (i = 0; i < nq; i++) {
		const struct wirecap_info *info =
			wirecap_queue_info(wirecap_queue(w, i));

		if (info->cells_per_chunk > maxm)
			maxm = info->cells_per_chunk;
	}
	for (i = 0; i < nq; i++) {
		wk[i] = (struct worker){ .q = wirecap_queue(w, i),
					 .prog = &prog, .filter = *a.filter,
					 .x = a.x, .dec_ttl = a.dec_ttl,
					 .outs = outs, .nb = nb,
					 .stop = &stop };
		wk[i].pk = calloc(maxm, sizeof(*wk[i].pk));
		wk[i].by_owner = calloc(nq, sizeof(*wk[i].by_owner));
		if (!wk[i].pk || !wk[i].by_owner) {
			fprintf(stderr, PROG ": out of memory\n");
			goto out;
		}
	}
	ret = wirecap_start(w);
	if (ret) {
		fprintf(stderr, PROG ": start: %s\n", strerror(-ret));
		goto out;
	}
	tool_stop_on_signals();
	tool_watch_start(&watch);
	for (i = 0; i < nq; i++) {
		if (pthread_create(&wk[i].tid, NULL, worker_run, &wk[i])) {
			fprintf(stderr, PROG ": no thread\n");
			break;
		}
		wk[i].started = true;
	}
	fprintf(stderr, PROG ": %s -> %s, %u queues, %s mode, x=%u, "
		"filter \"%s\"\n", a.session.ifnames[0], a.out, nq,
		a.session.opts.mode ? "advanced" : "basic", a.x, a.filter);

	/* the main thread only watches the stop conditions */
	while (i == nq) {
		uint64_t pkts = 0;
		bool failed = false;

		for (j = 0; j < nq; j++) {
			pkts += __atomic_load_n(&wk[j].pkts, __ATOMIC_RELAXED);
			failed |= __atomic_load_n(&wk[j].err,
						  __ATOMIC_RELAXED) != 0;
		}
		if (failed || tool_watch_due(&a.stop, &watch, pkts))
			break;
		usleep(F_WAIT_MS * 1000);
	}
	__atomic_store_n(&stop, 1, __ATOMIC_RELEASE);
	for (j = 0; j < nq; j++)
		if (wk[j].started)
			pthread_join(wk[j].tid, NULL);
	secs = tool_watch_secs(&watch);

	/* after the threads stopped: per queue whose pool held the packets */
	for (i = 0; i < nq; i++) {
		struct wirecap_queue *q = wirecap_queue(w, i);
		struct wirecap_qstats st = { .sz = sizeof(st) };
		struct qres *r = &res[i];

		r->ifname = wirecap_queue_ifname(q);
		r->ring = wirecap_queue_ring(q);
		r->out_ring = outs ? r->ring % nb : r->ring;
		for (j = 0; j < nq; j++) {
			r->processed += wk[j].by_owner[i].pkts;
			r->filtered += wk[j].by_owner[i].filtered;
			r->forwarded += wk[j].by_owner[i].forwarded;
			r->expired += wk[j].by_owner[i].expired;
		}
		if (!wirecap_queue_stats(q, &st)) {
			r->drops = st.kernel.capture_drops +
				   st.kernel.oversize_drops;
			r->received = st.kernel.received + r->drops;
			r->tx_dropped = st.kernel_xmit_dropped;
			r->tx_refused = st.kernel_xmit_refused;
		}
		qres_add(&tot, r);
		if (wk[i].err)
			fprintf(stderr, PROG ": %s-q%u: %s\n", r->ifname,
				r->ring, strerror(-wk[i].err));
	}

	printf("%-12s %-12s %10s %10s %10s %10s %10s %10s\n", "queue", "out",
	       "received", "cap.drops", "filtered", "forwarded", "tx_dropped",
	       "tx_refused");
	for (i = 0; i < nq; i++) {
		char name[64], out[64];

		snprintf(name, sizeof(name), "%s-q%u", res[i].ifname,
			 res[i].ring);
		snprintf(out, sizeof(out), "%s-q%u", a.out, res[i].out_ring);
		print_row(stdout, name, out, &res[i]);
	}
	print_row(stdout, "total", "", &tot);
	if (a.dec_ttl)
		printf("of filtered, expired (TTL or hop limit 1 or 0): "
		       "%llu\n", (unsigned long long)tot.expired);
	printf("\n%.2f s%s\n", secs, balanced(&tot) ? "" :
	       "; counters do not add up: stopped with packets in flight");
	if (a.json && write_json(&a, w, res, &tot, secs))
		goto out;
	status = 0;
	for (i = 0; i < nq; i++)
		if (wk[i].err)
			status = 1;
out:
	if (wk)
		for (i = 0; i < nq; i++) {
			free(wk[i].pk);
			free(wk[i].by_owner);
		}
	free(wk);
	free(res);
	wirecap_close(w);
	close_outs(outs, nb);
	pcap_freecode(&prog);
	pcap_close(dead);
	free(a.filter);
	return status;
}
