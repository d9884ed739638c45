// SPDX-License-Identifier: BSD-2-Clause
/*
 * wirecap-pcap-handler: the paper's pkt_handler as a plain libpcap
 * program, so that one binary measures every engine that speaks libpcap:
 * the kernel's AF_PACKET (TPACKET_V3) through the system libpcap on the
 * stock virtio_net driver, and WireCAP through libwirecap-pcap.so
 * (`wirecap exec wirecap-pcap-handler -i wirecap:eth0`). One handle, one
 * thread: every packet is run through a BPF filter x times, then dropped.
 *
 *   wirecap-pcap-handler -i DEV [-x N] [-B BYTES] [-f FILTER]
 *                        --until-file PATH [--idle-ms N] [--json FILE]
 *
 * -B: the capture buffer (pcap_set_buffer_size); 0 or absent: libpcap's
 * default. Stops once PATH exists and no packet came for --idle-ms (500).
 * The JSON: received (ps_recv), dropped (ps_drop + ps_ifdrop), processed,
 * pp (packets per second of processing time), cpu_s (user + system CPU
 * of the whole process). Exit 0, 1 on errors, 2 on bad usage.
 */
#define _GNU_SOURCE
#include <getopt.h>
#include <pcap/pcap.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

struct state {
	struct bpf_program prog;
	unsigned int x;
	unsigned long long processed, matched;
	double busy;
};

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void handle(u_char *user, const struct pcap_pkthdr *h,
		   const u_char *data)
{
	struct state *s = (struct state *)user;
	double t0 = now_s();
	unsigned int k;
	int hit = 0;

	for (k = 0; k < s->x; k++)
		hit = pcap_offline_filter(&s->prog, h, data);
	s->matched += hit != 0;
	s->processed++;
	s->busy += now_s() - t0;
}

static void usage(FILE *f)
{
	fprintf(f, "usage: wirecap-pcap-handler -i DEV [-x N] [-B BYTES] "
		"[-f FILTER] --until-file PATH [--idle-ms N] [--json FILE]\n");
}

int main(int argc, char **argv)
{
	static const struct option lopts[] = {
		{ "until-file", required_argument, NULL, 'u' },
		{ "idle-ms", required_argument, NULL, 'I' },
		{ "json", required_argument, NULL, 'j' },
		{ NULL, 0, NULL, 0 },
	};
	const char *dev = NULL, *until = NULL, *json = NULL;
	const char *filter = "net 131.225.2 and udp";
	char eb[PCAP_ERRBUF_SIZE];
	struct state s = { 0 };
	unsigned long long last = 0;
	double idle_s = 0.5, last_t, t0;
	struct pcap_stat ps = { 0 };
	struct rusage ru;
	struct stat sb;
	int c, buf = 0, ret, fd;
	pcap_t *p;
	FILE *f;

	while ((c = getopt_long(argc, argv, "i:x:B:f:h", lopts, NULL)) != -1) {
		switch (c) {
		case 'i': dev = optarg; break;
		case 'x': s.x = (unsigned int)atoi(optarg); break;
		case 'B': buf = atoi(optarg); break;
		case 'f': filter = optarg; break;
		case 'u': until = optarg; break;
		case 'I': idle_s = atoi(optarg) / 1000.0; break;
		case 'j': json = optarg; break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (!dev || !until || optind != argc) {
		usage(stderr);
		return 2;
	}
	p = pcap_create(dev, eb);
	if (!p) {
		fprintf(stderr, "wirecap-pcap-handler: %s\n", eb);
		return 1;
	}
	pcap_set_snaplen(p, 262144);
	pcap_set_promisc(p, 1);
	pcap_set_timeout(p, 10);
	if (buf > 0)
		pcap_set_buffer_size(p, buf);
	ret = pcap_activate(p);
	if (ret < 0) {
		fprintf(stderr, "wirecap-pcap-handler: %s: %s\n", dev,
			pcap_geterr(p));
		return 1;
	}
	if (pcap_compile(p, &s.prog, filter, 1, PCAP_NETMASK_UNKNOWN)) {
		fprintf(stderr, "wirecap-pcap-handler: %s\n", pcap_geterr(p));
		return 2;
	}
	/*
	 * Non-blocking, waiting in poll(): on AF_PACKET (TPACKET_V3) a
	 * blocking read's timeout only starts with the first packet, so a
	 * quiet link would never let us look at the until-file.
	 */
	fd = pcap_get_selectable_fd(p);
	if (fd < 0 || pcap_setnonblock(p, 1, eb)) {
		fprintf(stderr, "wirecap-pcap-handler: %s: no selectable fd\n",
			dev);
		return 1;
	}
	t0 = last_t = now_s();
	for (;;) {
		struct pollfd pfd = { .fd = fd, .events = POLLIN };

		ret = pcap_dispatch(p, -1, handle, (u_char *)&s);
		if (ret < 0) {
			fprintf(stderr, "wirecap-pcap-handler: %s\n",
				pcap_geterr(p));
			return 1;
		}
		if (!ret)
			poll(&pfd, 1, 10);
		if (s.processed != last) {
			last = s.processed;
			last_t = now_s();
		} else if (!stat(until, &sb) && now_s() - last_t >= idle_s &&
			   now_s() - t0 >= idle_s) {
			break;
		}
	}
	if (pcap_stats(p, &ps)) {
		fprintf(stderr, "wirecap-pcap-handler: %s\n", pcap_geterr(p));
		return 1;
	}
	getrusage(RUSAGE_SELF, &ru);
	f = json && strcmp(json, "-") ? fopen(json, "w") : stdout;
	if (!f) {
		perror(json);
		return 1;
	}
	fprintf(f, "{\"device\": \"%s\", \"x\": %u, \"buffer\": %d, "
		"\"received\": %u, \"dropped\": %u, \"processed\": %llu, "
		"\"matched\": %llu, \"pp\": %.0f, \"cpu_s\": %.3f}\n", dev, s.x,
		buf, ps.ps_recv, ps.ps_drop + ps.ps_ifdrop, s.processed,
		s.matched, s.busy > 0 ? s.processed / s.busy : 0,
		ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 +
		ru.ru_stime.tv_sec + ru.ru_stime.tv_usec / 1e6);
	if (f != stdout)
		fclose(f);
	pcap_freecode(&s.prog);
	pcap_close(p);
	return 0;
}
