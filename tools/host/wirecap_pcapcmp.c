// SPDX-License-Identifier: GPL-2.0
/*
 * wirecap-pcapcmp: is what was captured exactly what was sent?
 *
 *   wirecap-pcapcmp sent.pcap captured.pcap [captured2.pcap ...] [--max-len N]
 *
 * Compares the multiset of frames (exact bytes) of the sent file with the
 * union of the captured files. Sent records with caplen < len were cut by
 * the trace's snaplen and never existed on the wire as stored: left out and
 * counted. So are sent frames longer than --max-len (default 1518: a
 * 1500-byte MTU + 14 bytes of Ethernet header + one 4-byte VLAN tag; pcap
 * frames have no FCS), which did not fit the link.
 *
 * Exit status: 0 iff the multisets are equal, 1 if they differ, 2 for bad
 * usage or a file that cannot be read to its end.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>

#include "pcapcmp.h"

static void usage(FILE *f)
{
	fprintf(f,
		"usage: wirecap-pcapcmp sent.pcap captured.pcap [captured2.pcap ...] [--max-len N]\n"
		"                       [--min-len N] [--list N]\n"
		"  --max-len N  sent frames longer than N bytes did not fit the link and are\n"
		"               left out (default %d = 1500 MTU + 14 Ethernet + 4 VLAN tag)\n"
		"  --min-len N  sent frames shorter than N bytes are compared zero-padded to\n"
		"               N, as a NIC that pads short frames hands them up (e1000e: 60)\n"
		"  --list N     differences listed per kind (default 5)\n"
		"exit status: 0 equal, 1 different, 2 error\n",
		WC_PCAPCMP_MAX_LEN);
}

static int number(const char *s, unsigned long max, unsigned long *v)
{
	char *end;

	*v = strtoul(s, &end, 10);
	return *s && !*end && *v <= max ? 0 : -1;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "max-len", required_argument, NULL, 'm' },
		{ "min-len", required_argument, NULL, 'n' },
		{ "list", required_argument, NULL, 'l' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	struct wc_pcapcmp_opts o = {
		.max_len = WC_PCAPCMP_MAX_LEN,
		.max_list = 5,
		.out = stdout,
	};
	static struct wc_pcapcmp_result r;
	unsigned long v;
	long diff;
	int c;

	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'm':
			if (number(optarg, 0xffffffffUL, &v) || !v) {
				fprintf(stderr, "wirecap-pcapcmp: bad --max-len\n");
				return 2;
			}
			o.max_len = v;
			break;
		case 'n':
			if (number(optarg, WC_PCAPCMP_MAX_MIN_LEN, &v)) {
				fprintf(stderr, "wirecap-pcapcmp: bad --min-len (0-%u)\n",
					WC_PCAPCMP_MAX_MIN_LEN);
				return 2;
			}
			o.min_len = v;
			break;
		case 'l':
			if (number(optarg, 100000, &v)) {
				fprintf(stderr, "wirecap-pcapcmp: bad --list\n");
				return 2;
			}
			o.max_list = v;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (argc - optind < 2) {
		usage(stderr);
		return 2;
	}
	diff = wc_pcapcmp(&o, argv[optind], (const char *const *)argv + optind + 1,
			  argc - optind - 1, &r);
	if (diff < 0) {
		fprintf(stderr, "wirecap-pcapcmp: %s\n", r.err);
		return 2;
	}
	return diff ? 1 : 0;
}
