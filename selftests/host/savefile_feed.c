// SPDX-License-Identifier: BSD-2-Clause
/*
 * wirecap-savefile-feed: drive the savefile writer of `wirecap capture`
 * (tools/savefile.c) on the host with the frames of a trace, as if they
 * came from N queues: frame k from queue k % N (interface k % N), with
 * the hash (k * 2654435761) mod 2^32, except every fifth frame (k % 5 ==
 * 4), which has none. selftests/host/savefile.sh checks what it wrote.
 *
 *   wirecap-savefile-feed -r TRACE -w OUT [--pcapng] [-C SIZE] [-G SECS]
 *       [-W N] [-s SNAPLEN] [--queues N] [--write-buffers N]
 *       [--write-buffer-size B] [--trace-clock] [--kept FILE]
 *
 * --trace-clock: the writer's clock (-G, strftime names) is the frame's
 * timestamp, in whole seconds, instead of the wall clock. --kept FILE:
 * the frames the writer took (not given up), as a nanosecond pcap written
 * by libpcap, to compare with. Prints "sent S written W given_up G files
 * F" on stdout (stderr with -w -). Exit 0 (also when the reader of -w -
 * went away); 1 on a writer error; 2 on bad usage or an unreadable trace.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <pcap/pcap.h>

#include "savefile.h"

static void usage(FILE *f)
{
	fprintf(f, "usage: wirecap-savefile-feed -r TRACE -w OUT [--pcapng] "
		"[-C SIZE] [-G SECS] [-W N]\n"
		"       [-s SNAPLEN] [--queues N] [--write-buffers N] "
		"[--write-buffer-size B]\n"
		"       [--trace-clock] [--kept FILE]\n");
}

/* The ISB counters: made up, but known (checked by the script). */
static void stats(void *ctx __attribute__((unused)), unsigned int i,
		  struct sf_ifstats *st)
{
	st->received = 1000 + i;
	st->dropped = 10 + i;
	st->accepted = 500 + i;
}

int main(int argc, char **argv)
{
	enum { O_PCAPNG = 256, O_QUEUES, O_WBUFS, O_WBUF_SIZE, O_TRACE_CLOCK,
	       O_KEPT };
	static const struct option lopts[] = {
		{ "pcapng", no_argument, NULL, O_PCAPNG },
		{ "queues", required_argument, NULL, O_QUEUES },
		{ "write-buffers", required_argument, NULL, O_WBUFS },
		{ "write-buffer-size", required_argument, NULL, O_WBUF_SIZE },
		{ "trace-clock", no_argument, NULL, O_TRACE_CLOCK },
		{ "kept", required_argument, NULL, O_KEPT },
		{ NULL, 0, NULL, 0 },
	};
	struct sf_opts o = { .snaplen = 262144, .stats = stats };
	const char *trace = NULL, *kept = NULL;
	char errbuf[PCAP_ERRBUF_SIZE], **names;
	bool trace_clock = false;
	pcap_dumper_t *kd = NULL;
	pcap_t *in, *kp = NULL;
	struct pcap_pkthdr *h;
	const u_char *data;
	struct savefile *sf;
	struct sf_counts c;
	unsigned int nq = 4, i;
	uint64_t k = 0;
	int opt, ret, err = 0;
	FILE *rep;

	while ((opt = getopt_long(argc, argv, "r:w:C:G:W:s:h", lopts,
				  NULL)) != -1) {
		switch (opt) {
		case 'r':
			trace = optarg;
			break;
		case 'w':
			o.path = optarg;
			break;
		case 'C':
			if (sf_parse_size(optarg, &o.file_size)) {
				fprintf(stderr, "bad -C %s\n", optarg);
				return 2;
			}
			break;
		case 'G':
			o.rotate_secs = atoi(optarg);
			break;
		case 'W':
			o.max_files = atoi(optarg);
			break;
		case 's':
			o.snaplen = strtoul(optarg, NULL, 0);
			break;
		case O_PCAPNG:
			o.pcapng = true;
			break;
		case O_QUEUES:
			nq = atoi(optarg);
			break;
		case O_WBUFS:
			o.nbufs = atoi(optarg);
			break;
		case O_WBUF_SIZE:
			o.buf_size = atoi(optarg);
			break;
		case O_TRACE_CLOCK:
			trace_clock = true;
			break;
		case O_KEPT:
			kept = optarg;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (!trace || !o.path || optind != argc || !nq || nq > 64) {
		usage(stderr);
		return 2;
	}
	in = pcap_open_offline_with_tstamp_precision(trace,
			PCAP_TSTAMP_PRECISION_NANO, errbuf);
	if (!in) {
		fprintf(stderr, "%s\n", errbuf);
		return 2;
	}
	if (kept) {
		kp = pcap_open_dead_with_tstamp_precision(DLT_EN10MB, 262144,
				PCAP_TSTAMP_PRECISION_NANO);
		kd = kp ? pcap_dump_open(kp, kept) : NULL;
		if (!kd) {
			fprintf(stderr, "%s: %s\n", kept,
				kp ? pcap_geterr(kp) : "no memory");
			return 2;
		}
	}
	names = calloc(nq, sizeof(*names));
	for (i = 0; names && i < nq; i++)
		if (asprintf(&names[i], "wirecap:feed0@%u", i) < 0)
			return 2;
	o.nifs = nq;
	o.if_names = (const char *const *)names;
	/* the first frame's time is the first file's, with --trace-clock */
	if (trace_clock) {
		pcap_t *peek = pcap_open_offline(trace, errbuf);

		if (peek && pcap_next_ex(peek, &h, &data) == 1)
			o.now = h->ts.tv_sec;
		if (peek)
			pcap_close(peek);
	}
	/* a closed pipe is an -EPIPE from the writer, as in capture */
	signal(SIGPIPE, SIG_IGN);
	ret = sf_open(&sf, &o);
	if (ret) {
		fprintf(stderr, "%s: %s\n", o.path, strerror(-ret));
		return ret == -EINVAL ? 2 : 1;
	}
	while (pcap_next_ex(in, &h, &data) == 1) {
		uint64_t ts = h->ts.tv_sec * 1000000000ull + h->ts.tv_usec;
		uint32_t hash = (uint32_t)(k * 2654435761u);
		unsigned int q = (unsigned int)(k % nq);

		if (trace_clock)
			sf_set_time(sf, h->ts.tv_sec);
		/* the trace's caplen is the frame, as a NIC would give it */
		ret = sf_put(sf, q, data, h->caplen, ts, q, hash, k % 5 != 4);
		if (ret == SF_DONE)
			break;		/* -G -W: the last file is done */
		k++;
		if (ret == -EPIPE)
			break;		/* the reader went away */
		if (ret < 0) {
			fprintf(stderr, "%s: %s\n", sf_current_name(sf) ?
				sf_current_name(sf) : o.path, strerror(-ret));
			err = 1;
			break;
		}
		if (ret == 0 && kd)
			pcap_dump((u_char *)kd, h, data);
	}
	ret = sf_close(sf, &c);
	if (ret && ret != -EPIPE) {
		fprintf(stderr, "%s: %s\n", o.path, strerror(-ret));
		err = 1;
	}
	if (kd)
		pcap_dump_close(kd);
	if (kp)
		pcap_close(kp);
	pcap_close(in);
	rep = strcmp(o.path, "-") ? stdout : stderr;
	fprintf(rep, "sent %llu written %llu given_up %llu files %u\n",
		(unsigned long long)k, (unsigned long long)c.written,
		(unsigned long long)c.given_up, c.files);
	for (i = 0; names && i < nq; i++)
		free(names[i]);
	free(names);
	return err;
}
