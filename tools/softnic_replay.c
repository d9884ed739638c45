// SPDX-License-Identifier: GPL-2.0
/*
 * wirecap-softnic-replay: play a pcap/pcapng trace into a software NIC, as
 * tcpreplay plays one into a tap. Frames are steered by the NIC's Toeplitz
 * RSS unless --queue is given.
 *
 *   wirecap-softnic-replay --if wcsim0 [--queue N] [--speed top|recorded|X]
 *                          [--loop N] trace.pcap
 *
 * --speed top: as fast as the kernel takes them (batches of frames);
 * recorded: at the trace's own pace; X: X times the recorded pace.
 * Prints "replayed N packets" on success. Exit 0, or 1 with a message.
 */
#include <errno.h>
#include <getopt.h>
#include <pcap/pcap.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <fcntl.h>
#include <unistd.h>
#include <linux/wirecap_softnic.h>

#define BATCH_BYTES	(1u << 20)

struct batch {
	uint8_t *buf;
	size_t len;
	uint32_t frames;
	int fd;
	int queue;
	uint64_t sent;
};

static int flush(struct batch *b)
{
	struct wirecap_softnic_inject h = {
		.size = sizeof(h),
		.queue = b->queue,
		.count = b->frames,
		.nr_frames = b->frames,
	};
	ssize_t n;

	if (!b->frames)
		return 0;
	memcpy(b->buf, &h, sizeof(h));
	n = write(b->fd, b->buf, b->len);
	if (n != (ssize_t)b->len) {
		fprintf(stderr, "inject: %s\n", n < 0 ? strerror(errno) : "short write");
		return -1;
	}
	b->sent += b->frames;
	b->frames = 0;
	b->len = sizeof(h);
	return 0;
}

static int add(struct batch *b, const uint8_t *data, uint32_t len)
{
	size_t need = 4 + ((len + 3) & ~3u);

	if (b->len + need > BATCH_BYTES && flush(b))
		return -1;
	memcpy(b->buf + b->len, &len, 4);
	memcpy(b->buf + b->len + 4, data, len);
	memset(b->buf + b->len + 4 + len, 0, need - 4 - len);
	b->len += need;
	b->frames++;
	return 0;
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void usage(void)
{
	fprintf(stderr, "usage: wirecap-softnic-replay --if NIC [--queue N] "
		"[--speed top|recorded|X] [--loop N] trace.pcap\n");
	exit(1);
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "if", required_argument, NULL, 'i' },
		{ "queue", required_argument, NULL, 'q' },
		{ "speed", required_argument, NULL, 's' },
		{ "loop", required_argument, NULL, 'l' },
		{ NULL, 0, NULL, 0 },
	};
	char errbuf[PCAP_ERRBUF_SIZE], path[256];
	const char *nic = NULL, *speed = "top";
	struct batch b = { .queue = WIRECAP_SOFTNIC_RSS };
	/*
	 * Pacing: a packet is due at t0 + (its stamp - first + shift) / mult.
	 * Each further copy of the trace (--loop) is shifted to start one mean
	 * packet gap after the previous one ended, so every copy keeps the
	 * recorded pace, not only the first.
	 */
	double mult = 0, t0 = 0, first = -1, shift = 0, last = 0, period = 0;
	unsigned long long npkts = 0;
	long loops = 1, l;
	int c;

	while ((c = getopt_long(argc, argv, "i:q:s:l:", opts, NULL)) != -1) {
		switch (c) {
		case 'i': nic = optarg; break;
		case 'q': b.queue = atoi(optarg); break;
		case 's': speed = optarg; break;
		case 'l': loops = atol(optarg); break;
		default: usage();
		}
	}
	if (!nic || optind != argc - 1)
		usage();
	if (!strcmp(speed, "recorded"))
		mult = 1;
	else if (strcmp(speed, "top") && (mult = atof(speed)) <= 0)
		usage();

	snprintf(path, sizeof(path), WIRECAP_SOFTNIC_DIR "/%s/inject", nic);
	b.fd = open(path, O_WRONLY);
	if (b.fd < 0) {
		fprintf(stderr, "%s: %s\n", path, strerror(errno));
		return 1;
	}
	b.buf = malloc(BATCH_BYTES);
	if (!b.buf)
		return 1;
	b.len = sizeof(struct wirecap_softnic_inject);

	for (l = 0; l < loops; l++) {
		struct pcap_pkthdr *h;
		const u_char *data;
		pcap_t *p;
		int r;

		p = pcap_open_offline_with_tstamp_precision(argv[optind],
				PCAP_TSTAMP_PRECISION_NANO, errbuf);
		if (!p) {
			fprintf(stderr, "%s\n", errbuf);
			return 1;
		}
		if (pcap_datalink(p) != DLT_EN10MB) {
			fprintf(stderr, "%s: not an Ethernet trace\n", argv[optind]);
			return 1;
		}
		while ((r = pcap_next_ex(p, &h, &data)) == 1) {
			double ts = h->ts.tv_sec + h->ts.tv_usec / 1e9;

			if (h->caplen != h->len)	/* truncated: not on any wire */
				continue;
			if (mult > 0) {
				if (first < 0) {
					first = ts;
					t0 = now_s();
				}
				if (!l) {
					last = ts;
					npkts++;
				}
				double due = t0 + (ts - first + shift) / mult;

				if (due > now_s() + 0.001 && flush(&b))
					return 1;
				while (due > now_s()) {
					double d = due - now_s();
					struct timespec w = { 0, (long)(d * 1e9) };

					if (d >= 1)
						w = (struct timespec){ 1, 0 };
					nanosleep(&w, NULL);
				}
			}
			if (add(&b, data, h->caplen))
				return 1;
		}
		if (r == -1)
			fprintf(stderr, "%s: %s\n", argv[optind], pcap_geterr(p));
		pcap_close(p);
		/*
		 * Copy l + 1 starts l + 1 periods after the first, a period
		 * being the first copy's span plus one mean packet gap.
		 */
		if (!l)
			period = npkts > 1 ?
				 (last - first) * npkts / (npkts - 1) : 0;
		shift = (l + 1) * period;
	}
	if (flush(&b))
		return 1;
	printf("replayed %llu packets\n", (unsigned long long)b.sent);
	return 0;
}
