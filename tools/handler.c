// SPDX-License-Identifier: BSD-2-Clause
/*
 * wirecap handler: the paper's pkt_handler / multi_pkt_handler (§2.2,
 * §4). One processing thread per queue, bound to that queue's capture
 * queue (Fig. 1); each applies a BPF filter (compiled by libpcap,
 * default "net 131.225.2 and udp": the paper's "131.225.2 and udp",
 * which libpcap does not parse without "net") x times to every packet,
 * then discards it. Basic, advanced or flow mode (WireCAP-B(M,R),
 * WireCAP-A(M,R,T) or WireCAP-F(M,R,T)).
 *
 *   wirecap handler [-i IFNAME]... [-q LIST] [--mode basic|advanced|flow]
 *                   [-x N] [-f FILTER] [-M cells] [-R chunks] [-T PCT]
 *                   [--cell-size B]
 *                   [--group LIST]... [-c COUNT] [--duration SECS]
 *                   [--until-file PATH [--idle-ms N]] [--threads N]
 *                   [--timeout-us N] [-v] [--json FILE]
 *
 * At the end, per queue, per buddy group and in total (packets):
 *   received       frames that reached the queue: stored in its pool, or
 *                  dropped (kernel counters since attach)
 *   dropped        capture drops + oversize drops (kernel), and in
 *                  flow mode packets held back for a thread whose queue
 *                  failed or left (flow_lost)
 *   delivered      packets of the queue's pool handed to a processing
 *                  thread, its own or (offloaded) a buddy's
 *   processed      packets the queue's thread processed (its own pool's
 *                  and offloaded-in ones)
 *   offloaded_out  packets of the queue's pool processed by a buddy
 *   offloaded_in   packets of buddies' pools processed here
 *   flow_migrations, buckets_migrated
 *                  flow mode: migrations of flows away from this pool's
 *                  busiest reader, and the flow-table buckets they moved
 *   flow_views_held, flow_views_held_max, flow_barrier_views
 *                  flow mode, what the migrations' barriers cost: views
 *                  held back for a new owner (all told, and the most at
 *                  once; in the total, the most of any queue), and the
 *                  views published from migrations' decisions until
 *                  their held-back views went
 *   flow_views_split
 *                  flow mode: of the views held back, those split: their
 *                  packets of moved flows taken from the old owner's
 *                  backlog
 * After the traffic stopped and every queue was drained, received =
 * delivered + dropped for every queue ("balanced"); stopped by -c or
 * --duration in the middle of traffic, chunks in flight make it not so.
 * Also: the processing rate Pp each thread measured (packets per second
 * of time spent processing, waiting excluded), and the fraction of flows
 * (5-tuples, as RSS sees them) whose packets were processed by more than
 * one thread: what offloading costs a stateful application; the
 * handoffs of flows between threads (max_handoffs: of one flow), and
 * the packets processed before an earlier packet of their flow had been
 * (reordered, by the packets' time stamps; 0 in basic and flow mode).
 * The options shared with capture and profile (-i, -q, -M, -R, --threads,
 * --timeout-us, -v, -c, --duration, --until-file, --idle-ms), and how
 * they stop: tools/common.c; here -c counts packets processed.
 * Exit 0; 1 on errors; 2 on bad usage.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <pcap/pcap.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "wirecap.h"
#include "tools.h"

#define H_MAX_GROUPS	64
#define H_WAIT_MS	20
#define H_DEFAULT_FILTER "net 131.225.2 and udp"
#define PROG		"wirecap handler"

/* --- flows: which threads processed each 5-tuple, and in what order ---- */

/*
 * One table for all threads: each packet's flow slot records the time
 * stamp of the flow's last packet processed (by anyone) and the thread
 * that processed it. A packet older than that one was processed out of
 * order ("reordered"); a packet processed by another thread than the
 * flow's previous one is a handoff. Exchanges, not locks: the order of
 * the exchanges on one slot is the order the threads processed the
 * flow's packets in, as far as they did one at a time; two threads at
 * once show up as reordered packets. Fixed size: flows past 3/4 of it
 * are counted as untracked.
 */
#define H_FLOW_SLOTS	(1u << 17)

struct flow_slot {		/* a line each: threads on other flows never
				 * share one */
	uint64_t key;			/* 0: free; the 5-tuple hash, 1 if 0 */
	uint64_t ts;			/* ts_ns of the last packet processed */
	uint32_t last;			/* 1 + the thread that processed it */
	uint32_t handoffs;		/* times the next packet's thread was
					 * another one */
} __attribute__((aligned(64)));

struct flow_tab {
	struct flow_slot *slot;
	uint32_t used;
};

static struct flow_slot *flow_find(struct flow_tab *t, uint64_t key)
{
	uint32_t i = (uint32_t)(key ^ key >> 32) & (H_FLOW_SLOTS - 1);

	for (;;) {
		struct flow_slot *s = &t->slot[i];
		uint64_t k = __atomic_load_n(&s->key, __ATOMIC_ACQUIRE);

		if (k == key)
			return s;
		if (!k) {
			if (__atomic_add_fetch(&t->used, 1, __ATOMIC_RELAXED) >
			    H_FLOW_SLOTS / 4 * 3) {
				__atomic_sub_fetch(&t->used, 1,
						   __ATOMIC_RELAXED);
				return NULL;
			}
			if (__atomic_compare_exchange_n(&s->key, &k, key,
							false,
							__ATOMIC_ACQ_REL,
							__ATOMIC_ACQUIRE))
				return s;
			__atomic_sub_fetch(&t->used, 1, __ATOMIC_RELAXED);
			if (k == key)
				return s;
		}
		i = (i + 1) & (H_FLOW_SLOTS - 1);
	}
}

struct flow_count {		/* one thread's */
	uint64_t reordered, untracked;
};

/* Thread me processed a packet of flow key (0: not IP) taken at ts. */
static void flow_seen(struct flow_tab *t, uint64_t key, uint64_t ts,
		      unsigned int me, struct flow_count *fc)
{
	struct flow_slot *s = flow_find(t, key ? key : 1);
	uint32_t prev;

	if (!s) {
		fc->untracked++;
		return;
	}
	/* non-IP frames share one slot, across queues: not a flow */
	if (!key)
		return;
	if (__atomic_exchange_n(&s->ts, ts, __ATOMIC_RELAXED) > ts)
		fc->reordered++;
	prev = __atomic_exchange_n(&s->last, me + 1, __ATOMIC_RELAXED);
	if (prev && prev != me + 1)
		__atomic_add_fetch(&s->handoffs, 1, __ATOMIC_RELAXED);
}

static uint64_t mix(uint64_t h, uint64_t v)
{
	h ^= v + 0x9e3779b97f4a7c15ull + (h << 6) + (h >> 2);
	return h * 0xff51afd7ed558ccdull;
}

/*
 * The 5-tuple hash of an Ethernet frame (any number of VLAN tags;
 * IPv4/IPv6; ports for TCP/UDP/SCTP first fragments), 0 for non-IP.
 */
static uint64_t flow_key(const uint8_t *p, uint32_t len)
{
	uint32_t off = 12, l4 = 0, proto;
	uint16_t et;
	uint64_t h = 0;

	if (len < 14)
		return 0;
	et = p[12] << 8 | p[13];
	while ((et == 0x8100 || et == 0x88a8) && off + 6 <= len) {
		off += 4;
		et = p[off] << 8 | p[off + 1];
	}
	off += 2;
	if (et == 0x0800 && off + 20 <= len) {
		uint32_t ihl = (p[off] & 15) * 4;
		bool frag = (p[off + 6] & 0x3f) || p[off + 7];	/* MF, offset */

		proto = p[off + 9];
		for (int i = 12; i < 20; i++)
			h = mix(h, p[off + i]);
		if (!frag)
			l4 = off + ihl;
	} else if (et == 0x86dd && off + 40 <= len) {
		proto = p[off + 6];
		for (int i = 8; i < 40; i++)
			h = mix(h, p[off + i]);
		l4 = off + 40;
	} else {
		return 0;
	}
	h = mix(h, proto);
	if (l4 && (proto == 6 || proto == 17 || proto == 132) &&
	    l4 + 4 <= len)
		h = mix(mix(h, p[l4] << 8 | p[l4 + 1]), p[l4 + 2] << 8 | p[l4 + 3]);
	return h;
}

/* --- arguments ---------------------------------------------------------- */

struct handler_args {
	struct tool_session session;	/* its opts: also --mode, -T */
	struct tool_stop stop;		/* -c: packets processed */
	unsigned int groups[H_MAX_GROUPS][TOOL_MAX_QUEUES];
	unsigned int group_n[H_MAX_GROUPS];
	unsigned int ngroups;
	const char *filter, *json;
	unsigned int x;
};

static const char *mode_name(unsigned int mode)
{
	return mode == WIRECAP_MODE_FLOW ? "flow" :
	       mode == WIRECAP_MODE_ADVANCED ? "advanced" : "basic";
}

static void handler_usage(FILE *f)
{
	fprintf(f,
"usage: wirecap handler [-i IFNAME]... [-q LIST]\n"
"                       [--mode basic|advanced|flow] [-x N] [-f FILTER]\n"
"                       [-M cells] [-R chunks] [-T PCT]\n"
"                       [--cell-size B]\n"
"                       [--group LIST]... [-c COUNT] [--duration SECS]\n"
"                       [--until-file PATH [--idle-ms N]] [--threads N]\n"
"                       [--timeout-us N] [-v] [--json FILE]\n"
TOOL_USAGE_SESSION
"  --mode M         basic (WireCAP-B), advanced (WireCAP-A, offloading\n"
"                   chunks) or flow (WireCAP-F, offloading flows)\n"
"  -x N             apply the filter N times to every packet (default 0)\n"
"  -f FILTER        BPF filter (default \"" H_DEFAULT_FILTER "\")\n"
"  -T PCT           offloading threshold, %% of R (default 60)\n"
"  --group LIST     advanced, flow: these queues (session indices: the order\n"
"                   they were opened, as printed) form a buddy group;\n"
"                   repeat for more groups; unlisted queues form one more\n"
TOOL_USAGE_STOP
"  --json FILE      the results as one JSON object (- for stdout)\n");
}

static int handler_parse(int argc, char **argv, struct handler_args *a)
{
	enum { O_MODE = TOOL_OPT_OWN, O_GROUP, O_JSON };
	static const struct option lopts[] = {
		TOOL_LONG_OPTS,
		{ "mode", required_argument, NULL, O_MODE },
		{ "filter", required_argument, NULL, 'f' },
		{ "group", required_argument, NULL, O_GROUP },
		{ "json", required_argument, NULL, O_JSON },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct wirecap_opts *o = &a->session.opts;
	unsigned long long v;
	int c, n, ret;

	tool_init(&a->session, &a->stop);
	a->filter = H_DEFAULT_FILTER;
	while ((c = getopt_long(argc, argv, TOOL_SHORT_OPTS "x:f:T:h", lopts,
				NULL)) != -1) {
		ret = tool_common_opt(&a->session, &a->stop, PROG, c, optarg);
		if (ret < 0)
			goto usage;
		if (ret)
			continue;
		switch (c) {
		case O_MODE:
			if (!strcmp(optarg, "basic"))
				o->mode = WIRECAP_MODE_BASIC;
			else if (!strcmp(optarg, "advanced"))
				o->mode = WIRECAP_MODE_ADVANCED;
			else if (!strcmp(optarg, "flow"))
				o->mode = WIRECAP_MODE_FLOW;
			else
				goto bad;
			break;
		case 'x':
			if (tool_uint(optarg, 1000000, &v))
				goto bad;
			a->x = (unsigned int)v;
			break;
		case 'f':
			a->filter = optarg;
			break;
		case 'T':
			if (tool_uint(optarg, 100, &v) || !v)
				goto bad;
			o->offload_pct = (unsigned int)v;
			break;
		case O_GROUP:
			if (a->ngroups == H_MAX_GROUPS)
				goto bad;
			n = wirecap_parse_queues(optarg, a->groups[a->ngroups],
						 TOOL_MAX_QUEUES);
			if (n < 0)
				goto bad;
			a->group_n[a->ngroups++] = n;
			break;
		case O_JSON:
			a->json = optarg;
			break;
		case 'h':
			handler_usage(stdout);
			exit(0);
		default:
			goto usage;
		}
	}
	if (optind != argc)
		goto usage;
	if (tool_session_check(&a->session, PROG))
		goto usage;
	if (a->ngroups && o->mode == WIRECAP_MODE_BASIC) {
		fprintf(stderr, PROG ": --group needs --mode advanced or "
			"flow\n");
		goto usage;
	}
	return 0;
bad:
	tool_bad_value(PROG, lopts, c, optarg);
usage:
	handler_usage(stderr);
	return -1;
}

/* --- the processing threads --------------------------------------------- */

struct worker {
	struct wirecap_queue *q;
	const struct bpf_program *prog;
	unsigned int x;
	pthread_t tid;
	bool started;
	int err;			/* a queue error: -errno */
	uint64_t pkts, matched, busy_ns;	/* (worker) written */
	unsigned int index;		/* its queue's, in the session */
	struct flow_tab *flows;		/* shared by all */
	struct flow_count fc;		/* (worker) written */
	uint32_t *stop;
};

static void *worker_run(void *arg)
{
	struct worker *wk = arg;
	struct wirecap_chunk c;
	struct wirecap_pkt p;

	while (!__atomic_load_n(wk->stop, __ATOMIC_ACQUIRE)) {
		int ret = wirecap_next_chunk(wk->q, &c, H_WAIT_MS);
		unsigned int i, n, k;
		uint64_t t0, matched = 0;

		if (ret < 0 && ret != -EINTR) {
			wk->err = ret;
			break;
		}
		if (ret != 1)
			continue;
		t0 = tool_now_ns();
		n = wirecap_chunk_count(&c);
		for (i = 0; i < n; i++) {
			struct pcap_pkthdr h = { 0 };
			int hit = 0;

			wirecap_chunk_pkt(&c, i, &p);
			h.caplen = h.len = p.len;
			for (k = 0; k < wk->x; k++)
				hit = pcap_offline_filter(wk->prog, &h, p.data);
			matched += hit != 0;
			flow_seen(wk->flows, flow_key(p.data, p.len), p.ts_ns,
				  wk->index, &wk->fc);
		}
		wirecap_chunk_release(&c);
		__atomic_store_n(&wk->busy_ns, wk->busy_ns + tool_now_ns() - t0,
				 __ATOMIC_RELAXED);
		__atomic_store_n(&wk->matched, wk->matched + matched,
				 __ATOMIC_RELAXED);
		__atomic_store_n(&wk->pkts, wk->pkts + n, __ATOMIC_RELAXED);
	}
	return NULL;
}

/* --- results ------------------------------------------------------------ */

struct qres {
	const char *ifname;
	unsigned int ring, index, group;
	uint64_t received, dropped, delivered, processed, matched;
	uint64_t out, in, chunks_out, chunks_in;
	uint64_t partial, refused, high_water;
	uint64_t migrations, buckets;	/* flow mode */
	uint64_t held, held_max, bar_views, split;
	uint64_t idle_ns;		/* the readers' waits (advanced mode's
					 * spare capacity) */
	uint64_t kept;			/* chunks kept: no buddy had spare */
	double pp;
};

static void qres_add(struct qres *t, const struct qres *r)
{
	t->received += r->received;
	t->dropped += r->dropped;
	t->delivered += r->delivered;
	t->processed += r->processed;
	t->matched += r->matched;
	t->out += r->out;
	t->in += r->in;
	t->chunks_out += r->chunks_out;
	t->chunks_in += r->chunks_in;
	t->idle_ns += r->idle_ns;
	t->kept += r->kept;
	t->partial += r->partial;
	t->refused += r->refused;
	t->migrations += r->migrations;
	t->buckets += r->buckets;
	t->held += r->held;
	t->bar_views += r->bar_views;
	t->split += r->split;
	if (r->held_max > t->held_max)
		t->held_max = r->held_max;
	if (r->high_water > t->high_water)
		t->high_water = r->high_water;
}

static double pct(uint64_t a, uint64_t b)
{
	return b ? 100.0 * a / b : 0.0;
}

static void json_counts(FILE *f, const struct qres *r)
{
	fprintf(f, "\"received\": %llu, \"delivered\": %llu, \"dropped\": %llu, "
		"\"drop_rate\": %.6f, \"processed\": %llu, \"matched\": %llu, "
		"\"offloaded_out\": %llu, \"offloaded_in\": %llu, "
		"\"chunks_offloaded_out\": %llu, \"chunks_offloaded_in\": %llu, "
		"\"partial_views\": %llu, \"recycle_refused\": %llu, "
		"\"pool_high_water\": %llu, \"flow_migrations\": %llu, "
		"\"buckets_migrated\": %llu, \"flow_views_held\": %llu, "
		"\"flow_views_held_max\": %llu, "
		"\"flow_barrier_views\": %llu, \"flow_views_split\": %llu, "
		"\"app_idle_ns\": %llu, \"chunks_kept_no_spare\": %llu, "
		"\"balanced\": %s",
		(unsigned long long)r->received,
		(unsigned long long)r->delivered,
		(unsigned long long)r->dropped,
		r->received ? (double)r->dropped / r->received : 0.0,
		(unsigned long long)r->processed,
		(unsigned long long)r->matched,
		(unsigned long long)r->out, (unsigned long long)r->in,
		(unsigned long long)r->chunks_out,
		(unsigned long long)r->chunks_in,
		(unsigned long long)r->partial,
		(unsigned long long)r->refused,
		(unsigned long long)r->high_water,
		(unsigned long long)r->migrations,
		(unsigned long long)r->buckets,
		(unsigned long long)r->held,
		(unsigned long long)r->held_max,
		(unsigned long long)r->bar_views,
		(unsigned long long)r->split,
		(unsigned long long)r->idle_ns, (unsigned long long)r->kept,
		r->received == r->delivered + r->dropped ? "true" : "false");
}

static void print_row(FILE *f, const char *name, const struct qres *r)
{
	fprintf(f, "%-12s %10llu %10llu %10llu %7.3f%% %10llu %9llu %9llu",
		name, (unsigned long long)r->received,
		(unsigned long long)r->delivered,
		(unsigned long long)r->dropped, pct(r->dropped, r->received),
		(unsigned long long)r->processed,
		(unsigned long long)r->out, (unsigned long long)r->in);
}

static int set_groups(struct wirecap *w, const struct handler_args *a)
{
	unsigned int nq = wirecap_queue_count(w), g, i, j, k;
	unsigned int *in_group = calloc(nq, sizeof(*in_group));
	unsigned int *bl = calloc(nq, sizeof(*bl));
	int ret = 0;

	if (!in_group || !bl) {
		ret = -ENOMEM;
		goto out;
	}
	/* in_group[i]: 1 + the --group that lists queue i, 0: none */
	for (g = 0; g < a->ngroups; g++)
		for (i = 0; i < a->group_n[g]; i++) {
			k = a->groups[g][i];
			if (k >= nq || in_group[k]) {
				fprintf(stderr, PROG ": --group: "
					"queue %u %s\n", k, k >= nq ?
					"is not in the session" :
					"is in two groups");
				ret = -EINVAL;
				goto out;
			}
			in_group[k] = g + 1;
		}
	/* each listed queue's buddies: the rest of its group */
	for (i = 0; !ret && i < nq; i++) {
		unsigned int n = 0;

		if (!in_group[i])
			continue;
		for (j = 0; j < nq; j++)
			if (j != i && in_group[j] == in_group[i])
				bl[n++] = j;
		ret = wirecap_set_buddies(w, i, bl, n);
	}
out:
	free(in_group);
	free(bl);
	return ret;
}

struct flow_res {
	uint64_t total, multi, handoffs, max_handoffs, reordered, untracked;
	double frac;
};

static void flows_sum(const struct flow_tab *t, const struct worker *wk,
		      unsigned int n, struct flow_res *r)
{
	unsigned int i;

	for (i = 0; i < H_FLOW_SLOTS; i++) {
		const struct flow_slot *s = &t->slot[i];

		if (!s->key)
			continue;
		r->total++;
		r->multi += s->handoffs != 0;
		r->handoffs += s->handoffs;
		if (s->handoffs > r->max_handoffs)
			r->max_handoffs = s->handoffs;
	}
	for (i = 0; i < n; i++) {
		r->reordered += wk[i].fc.reordered;
		r->untracked += wk[i].fc.untracked;
	}
	r->frac = r->total ? (double)r->multi / r->total : 0.0;
}

int cmd_handler(int argc, char **argv)
{
	static struct handler_args a;
	struct bpf_program prog;
	struct wirecap *w = NULL;
	struct worker *wk = NULL;
	struct qres *res = NULL, tot = { 0 };
	struct tool_watch watch;
	uint32_t stop = 0;
	unsigned int nq = 0, i, j, ng;
	struct flow_tab flows = { 0 };
	struct flow_res fr = { 0 };
	double secs;
	pcap_t *dead;
	FILE *jf = NULL;
	int ret, status = 1;

	if (handler_parse(argc, argv, &a))
		return 2;
	dead = pcap_open_dead(DLT_EN10MB, 262144);
	if (!dead || pcap_compile(dead, &prog, a.filter, 1,
				  PCAP_NETMASK_UNKNOWN)) {
		fprintf(stderr, PROG ": filter \"%s\": %s\n",
			a.filter, dead ? pcap_geterr(dead) : "no memory");
		if (dead)
			pcap_close(dead);
		return 2;
	}

	w = tool_open(&a.session, PROG);
	if (!w)
		goto out;
	nq = wirecap_queue_count(w);
	if (a.ngroups && set_groups(w, &a))
		goto out;
	wk = calloc(nq, sizeof(*wk));
	res = calloc(nq, sizeof(*res));
	flows.slot = aligned_alloc(64, H_FLOW_SLOTS * sizeof(*flows.slot));
	if (flows.slot)
		memset(flows.slot, 0, H_FLOW_SLOTS * sizeof(*flows.slot));
	if (!wk || !res || !flows.slot) {
		fprintf(stderr, PROG ": out of memory\n");
		goto out;
	}
	ret = wirecap_start(w);
	if (ret) {
		fprintf(stderr, PROG ": start: %s\n", strerror(-ret));
		goto out;
	}
	tool_stop_on_signals();
	tool_watch_start(&watch);
	for (i = 0; i < nq; i++) {
		wk[i] = (struct worker){ .q = wirecap_queue(w, i),
					 .prog = &prog, .x = a.x,
					 .index = i, .flows = &flows,
					 .stop = &stop };
		if (pthread_create(&wk[i].tid, NULL, worker_run, &wk[i])) {
			fprintf(stderr, PROG ": no thread\n");
			break;
		}
		wk[i].started = true;
	}
	fprintf(stderr, PROG ": %u queues, %s mode, x=%u, "
		"filter \"%s\"\n", nq,
		mode_name(a.session.opts.mode), a.x, a.filter);

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
		usleep(H_WAIT_MS * 1000);
	}
	__atomic_store_n(&stop, 1, __ATOMIC_RELEASE);
	for (j = 0; j < nq; j++)
		if (wk[j].started)
			pthread_join(wk[j].tid, NULL);
	secs = tool_watch_secs(&watch);

	/* counters, after the threads stopped */
	for (i = 0; i < nq; i++) {
		struct wirecap_queue *q = wirecap_queue(w, i);
		struct wirecap_qstats st = { .sz = sizeof(st) };
		struct qres *r = &res[i];

		if (wirecap_queue_stats(q, &st))
			continue;
		r->ifname = wirecap_queue_ifname(q);
		r->ring = wirecap_queue_ring(q);
		r->index = i;
		r->group = wirecap_queue_group(q);
		r->dropped = st.kernel.capture_drops + st.kernel.oversize_drops;
		r->received = st.kernel.received + r->dropped;
		/* stored in cells (kernel.received), then read by nobody */
		r->dropped += st.flow_lost;
		r->processed = st.pkts_delivered;
		r->out = st.pkts_offloaded_out;
		r->in = st.pkts_offloaded_in;
		r->delivered = r->processed - r->in + r->out;
		r->chunks_out = st.chunks_offloaded_out;
		r->chunks_in = st.chunks_offloaded_in;
		r->partial = st.kernel.partial_views;
		r->refused = st.recycle_refused;
		r->high_water = st.kernel.pool_high_water;
		r->migrations = st.flow_migrations;
		r->buckets = st.flows_migrated;
		r->held = st.flow_views_held;
		r->held_max = st.flow_views_held_max;
		r->bar_views = st.flow_barrier_views;
		r->split = st.flow_views_split;
		r->idle_ns = st.app_idle_ns;
		r->kept = st.chunks_kept_no_spare;
		r->matched = wk[i].matched;
		r->pp = wk[i].busy_ns ? wk[i].pkts * 1e9 / wk[i].busy_ns : 0;
		qres_add(&tot, r);
		if (wk[i].err)
			fprintf(stderr, PROG ": %s-q%u: %s\n",
				r->ifname, r->ring, strerror(-wk[i].err));
	}
	flows_sum(&flows, wk, nq, &fr);

	printf("%-12s %10s %10s %10s %8s %10s %9s %9s %12s\n", "queue",
	       "received", "delivered", "dropped", "drop", "processed",
	       "off.out", "off.in", "Pp pkt/s");
	for (i = 0; i < nq; i++) {
		char name[64];

		snprintf(name, sizeof(name), "%s-q%u", res[i].ifname,
			 res[i].ring);
		print_row(stdout, name, &res[i]);
		printf(" %12.0f\n", res[i].pp);
	}
	print_row(stdout, "total", &tot);
	printf("\n%.2f s; flows %llu, processed by more than one thread %llu "
	       "(%.2f%%, %llu handoffs), packets out of order %llu%s%s\n",
	       secs, (unsigned long long)fr.total,
	       (unsigned long long)fr.multi, 100 * fr.frac,
	       (unsigned long long)fr.handoffs,
	       (unsigned long long)fr.reordered,
	       fr.untracked ? "; some flows untracked (table full)" : "",
	       tot.received == tot.delivered + tot.dropped ? "" :
	       "; counters do not add up: stopped with packets in flight");

	if (a.json) {
		jf = strcmp(a.json, "-") ? fopen(a.json, "w") : stdout;
		if (!jf) {
			fprintf(stderr, PROG ": %s: %s\n", a.json,
				strerror(errno));
			goto out;
		}
		fprintf(jf, "{\"mode\": \"%s\", \"M\": %u, \"R\": %u, \"T\": %u, "
			"\"x\": %u, \"seconds\": %.3f, \"queues\": [",
			mode_name(a.session.opts.mode),
			wirecap_queue_info(wirecap_queue(w, 0))->cells_per_chunk,
			wirecap_queue_info(wirecap_queue(w, 0))->nr_chunks,
			a.session.opts.offload_pct ?
			a.session.opts.offload_pct : 60, a.x, secs);
		for (i = 0; i < nq; i++) {
			fprintf(jf, "%s{\"ifname\": ", i ? ", " : "");
			tool_json_str(jf, res[i].ifname);
			fprintf(jf, ", \"queue\": %u, \"index\": %u, "
				"\"group\": %u, \"pp\": %.0f, ", res[i].ring,
				i, res[i].group, res[i].pp);
			json_counts(jf, &res[i]);
			fputc('}', jf);
		}
		fprintf(jf, "], \"groups\": [");
		for (ng = 0, i = 0; i < nq; i++) {
			struct qres g = { 0 };

			if (res[i].group != i)
				continue;	/* named by its lowest index */
			for (j = 0; j < nq; j++)
				if (res[j].group == i)
					qres_add(&g, &res[j]);
			fprintf(jf, "%s{\"group\": %u, ", ng++ ? ", " : "", i);
			json_counts(jf, &g);
			fputc('}', jf);
		}
		fprintf(jf, "], \"total\": {");
		json_counts(jf, &tot);
		fprintf(jf, "}, \"flows\": {\"total\": %llu, \"multi_thread\": "
			"%llu, \"fraction\": %.6f, \"handoffs\": %llu, "
			"\"max_handoffs\": %llu, \"reordered\": %llu, "
			"\"untracked\": %llu}}\n",
			(unsigned long long)fr.total,
			(unsigned long long)fr.multi, fr.frac,
			(unsigned long long)fr.handoffs,
			(unsigned long long)fr.max_handoffs,
			(unsigned long long)fr.reordered,
			(unsigned long long)fr.untracked);
		if (jf != stdout && fclose(jf)) {
			fprintf(stderr, PROG ": %s: %s\n", a.json,
				strerror(errno));
			goto out;
		}
	}
	status = 0;
	for (i = 0; i < nq; i++)
		if (wk[i].err)
			status = 1;
out:
	free(flows.slot);
	free(wk);
	free(res);
	wirecap_close(w);
	pcap_freecode(&prog);
	pcap_close(dead);
	return status;
}
