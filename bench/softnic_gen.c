// SPDX-License-Identifier: GPL-2.0
/*
 * wirecap-softnic-gen: a burst of generated packets into one queue of a
 * software NIC, as fast as the kernel takes them or at a given rate. The
 * bench's traffic generator (bench/burst.sh):
 *
 *   wirecap-softnic-gen --if NIC [--queue Q] --count P [--len BYTES]
 *                       [--pps RATE] [--batch N]
 *
 * Prints one line: "sent P in S s: R pps" (R is the burst's Pm). Exit 0,
 * or 1 with a message.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../selftests/wctest.h"

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void usage(FILE *f)
{
	fprintf(f, "usage: wirecap-softnic-gen --if NIC [--queue Q] --count P "
		"[--len BYTES] [--pps RATE] [--batch N]\n");
}

int main(int argc, char **argv)
{
	static const struct option lopts[] = {
		{ "if", required_argument, NULL, 'i' },
		{ "queue", required_argument, NULL, 'q' },
		{ "count", required_argument, NULL, 'c' },
		{ "len", required_argument, NULL, 'l' },
		{ "pps", required_argument, NULL, 'r' },
		{ "batch", required_argument, NULL, 'b' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	unsigned long long count = 0, sent = 0, batch = 256;
	unsigned int len = 64;
	const char *nic = NULL;
	double pps = 0, t0, t;
	int queue = 0, c, ret;

	while ((c = getopt_long(argc, argv, "h", lopts, NULL)) != -1) {
		switch (c) {
		case 'i': nic = optarg; break;
		case 'q': queue = atoi(optarg); break;
		case 'c': count = strtoull(optarg, NULL, 0); break;
		case 'l': len = (unsigned int)atoi(optarg); break;
		case 'r': pps = strtod(optarg, NULL); break;
		case 'b': batch = strtoull(optarg, NULL, 0); break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 1;
		}
	}
	if (!nic || !count || !batch || len < 60 || len > 1514 || queue < 0) {
		usage(stderr);
		return 1;
	}
	/* as fast as the kernel takes them: one write per 64k packets */
	if (!pps)
		batch = 65536;
	t0 = now_s();
	while (sent < count) {
		unsigned long long n = count - sent < batch ? count - sent :
							      batch;

		if (pps)	/* the next batch is due at t0 + sent / pps */
			while (now_s() < t0 + sent / pps)
				;
		ret = wct_inject(nic, queue, n, len, sent);
		if (ret) {
			fprintf(stderr, "wirecap-softnic-gen: %s: %s\n", nic,
				strerror(-ret));
			return 1;
		}
		sent += n;
	}
	t = now_s() - t0;
	printf("sent %llu in %.6f s: %.0f pps\n", sent, t, sent / t);
	return 0;
}
