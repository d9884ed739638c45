// SPDX-License-Identifier: GPL-2.0
/*
 * wirecap-rss: predict and check Toeplitz RSS queue choices on pcap files.
 *
 *   wirecap-rss [options] check q0.pcap q1.pcap ...   file i = queue i
 *   wirecap-rss [options] split trace.pcap [--write PREFIX]
 *   wirecap-rss [options] hashes file.pcap
 *
 * Exit status: check 0 iff every packet is on its queue, 1 if not; split 0;
 * hashes 0;
 * 2 for bad usage or a file that cannot be read.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pcapio.h"
#include "rss_check.h"

static void usage(FILE *f)
{
	fprintf(f,
		"usage: wirecap-rss [options] check q0.pcap [q1.pcap ...]\n"
		"       wirecap-rss [options] split trace.pcap [--write PREFIX]\n"
		"       wirecap-rss [options] hashes file.pcap\n"
		"\n"
		"check: file i holds what was captured on queue i; every packet is\n"
		"  hashed and must be on queue table[hash %% len] (no hash: on the\n"
		"  unclassified queue). Exit 0 iff all are.\n"
		"split: how many packets of the trace RSS sends to each queue.\n"
		"hashes: per packet of the file (pcap or pcapng), in order, its\n"
		"  queue and Toeplitz hash (8 hex digits), or its queue and '-'\n"
		"  when it has no hash; nothing else is printed.\n"
		"\n"
		"options:\n"
		"  --key HEX         Toeplitz key (default: Microsoft's verification key\n"
		"                    6d5a56da255b0ec24167253d43a38fb0d0ca2bcbae7b30b477cb2da38030f20c6a42b73bbeac01fa)\n"
		"  --table LIST      indirection table q0,q1,... or N:Q for N entries i %% Q\n"
		"                    (default 128:4)\n"
		"  --types LIST      enabled hash types: ipv4,tcp4,udp4,ipv6,tcp6,udp6,\n"
		"                    ipv6ex,tcp6ex,udp6ex, all, or virtio's bits (0x1ff);\n"
		"                    default: the six plain types\n"
		"  --model nic|qemu  nic: a NIC / our software NIC (default); qemu: QEMU 7.2\n"
		"                    virtio-net software RSS (see tools/host/toeplitz.h)\n"
		"  --unclassified Q  queue of packets without hash (default 0)\n"
		"  --list N          misplaced packets listed per file (default 5)\n"
		"  --write PREFIX    split: also write PREFIX-q<N>.pcap for each queue\n");
}

static void print_conf(const struct wc_rss_conf *c)
{
	unsigned int lo = 65535, hi = 0;
	char types[128];
	size_t i;

	for (i = 0; i < c->table_len; i++) {
		lo = c->table[i] < lo ? c->table[i] : lo;
		hi = c->table[i] > hi ? c->table[i] : hi;
	}
	printf("model %s, types %s, key ",
	       c->model == WC_RSS_MODEL_QEMU ? "qemu" : "nic",
	       wc_rss_types_str(c->types, types, sizeof(types)));
	for (i = 0; i < c->key_len; i++)
		printf("%02x", c->key[i]);
	printf(" (%zu bytes), table %zu entries over queues %u..%u, unclassified queue %u\n",
	       c->key_len, c->table_len, lo, hi, c->unclassified);
}

static int do_check(const struct wc_rss_conf *c, char **files, int n)
{
	struct wc_rss_file_result *res;
	uint64_t total = 0;
	char err[1024];
	long bad;
	int i;

	res = calloc(n, sizeof(*res));
	if (!res) {
		fprintf(stderr, "wirecap-rss: out of memory\n");
		return 2;
	}
	bad = wc_rss_check(c, (const char *const *)files, n, res, err,
			   sizeof(err));
	if (bad < 0) {
		fprintf(stderr, "wirecap-rss: %s\n", err);
		free(res);
		return 2;
	}
	for (i = 0; i < n; i++)
		total += res[i].packets;
	printf("total: %llu packets in %d files, %ld not on their RSS queue\n",
	       (unsigned long long)total, n, bad);
	printf("%s\n", bad ? "MISPLACED PACKETS" : "ALL ON THEIR RSS QUEUE");
	free(res);
	return bad ? 1 : 0;
}

static int do_split(const struct wc_rss_conf *c, const char *file,
		    const char *prefix)
{
	struct wc_rss_split_result *r;
	uint64_t max = 0, sum = 0;
	unsigned int q, nq = 0;
	char err[1024];
	size_t i;
	bool used;

	r = malloc(sizeof(*r));
	if (!r) {
		fprintf(stderr, "wirecap-rss: out of memory\n");
		return 2;
	}
	if (wc_rss_split(c, file, prefix, r, err, sizeof(err))) {
		fprintf(stderr, "wirecap-rss: %s\n", err);
		free(r);
		return 2;
	}
	printf("%s: %llu packets, %llu with hash, %llu without (to unclassified queue %u)\n",
	       file, (unsigned long long)r->packets,
	       (unsigned long long)r->hashed, (unsigned long long)r->nohash,
	       c->unclassified);
	printf("queue  packets  share   hashed\n");
	for (q = 0; q < r->nqueues; q++) {
		printf("%5u %8llu %6.2f%% %8llu\n", q,
		       (unsigned long long)r->per_queue[q],
		       r->packets ? 100.0 * r->per_queue[q] / r->packets : 0.0,
		       (unsigned long long)r->hashed_per_queue[q]);
		for (i = 0, used = false; i < c->table_len && !used; i++)
			used = c->table[i] == q;
		if (!used)
			continue;
		nq++;
		sum += r->hashed_per_queue[q];
		if (r->hashed_per_queue[q] > max)
			max = r->hashed_per_queue[q];
	}
	if (sum)
		printf("busiest/mean over the %u queues of the table (hashed packets): %.3f\n",
		       nq, (double)max * nq / sum);
	if (prefix)
		printf("wrote %s-q0.pcap .. %s-q%u.pcap\n", prefix, prefix,
		       r->nqueues - 1);
	free(r);
	return 0;
}

static int do_hashes(const struct wc_rss_conf *c, const char *file)
{
	const struct pcap_pkthdr *h;
	const uint8_t *data;
	struct wc_pcap f;
	unsigned int q;
	uint32_t hash;
	int r;

	if (wc_pcap_open(&f, file)) {
		fprintf(stderr, "wirecap-rss: %s\n", f.err);
		return 2;
	}
	while ((r = wc_pcap_next(&f, &h, &data)) == 1) {
		if (wc_rss_classify(c, f.linktype, data, h->caplen, &q, &hash,
				    NULL))
			printf("%u %08x\n", q, hash);
		else
			printf("%u -\n", q);
	}
	if (r < 0)
		fprintf(stderr, "wirecap-rss: %s\n", f.err);
	wc_pcap_close(&f);
	return r < 0 ? 2 : 0;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "key", required_argument, NULL, 'k' },
		{ "table", required_argument, NULL, 't' },
		{ "types", required_argument, NULL, 'y' },
		{ "model", required_argument, NULL, 'm' },
		{ "unclassified", required_argument, NULL, 'u' },
		{ "list", required_argument, NULL, 'l' },
		{ "write", required_argument, NULL, 'w' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	static struct wc_rss_conf c;
	const char *prefix = NULL;
	char err[256], *end;
	unsigned long v;
	int o, r;

	wc_rss_conf_default(&c);
	c.out = stdout;
	while ((o = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (o) {
		case 'k':
			r = wc_rss_parse_key(optarg, c.key, sizeof(c.key));
			if (r < 0) {
				fprintf(stderr, "wirecap-rss: bad --key (hex, at most %d bytes)\n",
					WC_RSS_KEY_MAX);
				return 2;
			}
			c.key_len = r;
			break;
		case 't':
			if (wc_rss_parse_table(&c, optarg)) {
				fprintf(stderr, "wirecap-rss: bad --table (q0,q1,... or N:Q)\n");
				return 2;
			}
			break;
		case 'y':
			if (wc_rss_parse_types(optarg, &c.types)) {
				fprintf(stderr, "wirecap-rss: bad --types\n");
				return 2;
			}
			break;
		case 'm':
			if (!strcmp(optarg, "nic")) {
				c.model = WC_RSS_MODEL_NIC;
			} else if (!strcmp(optarg, "qemu")) {
				c.model = WC_RSS_MODEL_QEMU;
			} else {
				fprintf(stderr, "wirecap-rss: --model is nic or qemu\n");
				return 2;
			}
			break;
		case 'u':
		case 'l':
			v = strtoul(optarg, &end, 10);
			if (*end || !*optarg || v > 65535) {
				fprintf(stderr, "wirecap-rss: bad number '%s'\n", optarg);
				return 2;
			}
			if (o == 'u')
				c.unclassified = v;
			else
				c.max_list = v;
			break;
		case 'w':
			prefix = optarg;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (wc_rss_conf_valid(&c, err, sizeof(err))) {
		fprintf(stderr, "wirecap-rss: %s\n", err);
		return 2;
	}
	if (optind + 1 < argc && !strcmp(argv[optind], "check")) {
		print_conf(&c);
		return do_check(&c, argv + optind + 1, argc - optind - 1);
	}
	if (optind + 2 == argc && !strcmp(argv[optind], "hashes"))
		return do_hashes(&c, argv[optind + 1]);
	if (optind + 2 == argc && !strcmp(argv[optind], "split")) {
		print_conf(&c);
		return do_split(&c, argv[optind + 1], prefix);
	}
	usage(stderr);
	return 2;
}
