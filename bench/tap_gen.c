// SPDX-License-Identifier: BSD-2-Clause
/*
 * wirecap-tap-gen: replay a pcap file into a network interface (the host
 * tap of the test VM's virtio NIC) at a steady pace, for the bench.
 *
 *   wirecap-tap-gen -i IF [-s SPEED] [-b BATCH] [-g GRAIN_US] FILE.pcap
 *
 * SPEED: "top" (as fast as the socket takes them), "recorded" (the file's
 * own timing, the default) or a multiplier of it (0.05: at 1/20 of the
 * recorded rate). Why not tcpreplay: here its nano timer sleeps once per
 * packet and every sleep is late, which halves a 50 kpps pace, and its
 * gtod timer spins a whole CPU of the two this machine has. This program
 * keeps an absolute schedule (packet i is due at t0 + its recorded offset
 * / SPEED) and sends every packet that is due, at most BATCH (default 32)
 * per sendmmsg(), then sleeps until the next one is due, rounded up to a
 * multiple of GRAIN_US (default 100 us: one wake-up per packet would cost
 * most of a CPU at 50 kpps). A late wake-up is caught up by the next
 * batch, so the average pace is exact; the bursts it makes are at most
 * BATCH packets, or GRAIN_US worth of the schedule, long.
 *
 * Prints one line: "sent N packets in S s (R pps), E errors, L late"
 * (L: batches that were full, i.e. the sender fell behind the schedule).
 * Exit 0, 1 on errors, 2 on bad usage.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <linux/if_packet.h>
#include <net/ethernet.h>
#include <net/if.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <time.h>

struct trace {
	unsigned char *data;	/* the file */
	size_t *off;		/* each frame's offset in data */
	uint32_t *len;
	uint64_t *due;		/* ns after the first frame, recorded */
	size_t n;
};

static uint32_t get32(const unsigned char *p, int swap)
{
	uint32_t v;

	memcpy(&v, p, 4);
	return swap ? __builtin_bswap32(v) : v;
}

/* A classic pcap file, either byte order, micro- or nanosecond stamps. */
static int load(const char *path, struct trace *t)
{
	unsigned char *d = NULL;
	size_t sz = 0, cap = 0, pos = 24, r;
	uint64_t first = 0, ts;
	uint32_t magic, caplen;
	int swap, nano;
	FILE *f = fopen(path, "rb");

	if (!f) {
		fprintf(stderr, "wirecap-tap-gen: %s: %s\n", path,
			strerror(errno));
		return -1;
	}
	do {
		if (sz == cap) {
			cap = cap ? 2 * cap : 1 << 20;
			d = realloc(d, cap);
			if (!d) {
				fclose(f);
				return -1;
			}
		}
		r = fread(d + sz, 1, cap - sz, f);
		sz += r;
	} while (r);
	fclose(f);
	memcpy(&magic, d, sz >= 4 ? 4 : 0);
	swap = magic == 0xd4c3b2a1 || magic == 0x4d3cb2a1;
	nano = magic == 0xa1b23c4d || magic == 0x4d3cb2a1;
	if (sz < 24 || !(swap || magic == 0xa1b2c3d4 || magic == 0xa1b23c4d)) {
		fprintf(stderr, "wirecap-tap-gen: %s: not a pcap file\n", path);
		free(d);
		return -1;
	}
	t->data = d;
	t->n = 0;
	cap = 0;
	while (pos + 16 <= sz) {
		caplen = get32(d + pos + 8, swap);
		if (pos + 16 + caplen > sz)
			break;
		if (t->n == cap) {
			cap = cap ? 2 * cap : 4096;
			t->off = realloc(t->off, cap * sizeof(*t->off));
			t->len = realloc(t->len, cap * sizeof(*t->len));
			t->due = realloc(t->due, cap * sizeof(*t->due));
			if (!t->off || !t->len || !t->due)
				return -1;
		}
		ts = get32(d + pos, swap) * 1000000000ull +
		     get32(d + pos + 4, swap) * (nano ? 1ull : 1000ull);
		if (!t->n)
			first = ts;
		t->off[t->n] = pos + 16;
		t->len[t->n] = caplen;
		/* out-of-order stamps: send at once */
		t->due[t->n] = ts > first ? ts - first : 0;
		t->n++;
		pos += 16 + caplen;
	}
	return 0;
}

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

static void usage(FILE *f)
{
	fprintf(f, "usage: wirecap-tap-gen -i IF [-s top|recorded|MULT] "
		"[-b BATCH] [-g GRAIN_US] FILE.pcap\n");
}

#define MAX_BATCH 256

int main(int argc, char **argv)
{
	static struct mmsghdr msg[MAX_BATCH];
	static struct iovec iov[MAX_BATCH];
	struct sockaddr_ll sll = { .sll_family = AF_PACKET };
	const char *ifname = NULL, *speed_s = "recorded";
	unsigned long long errors = 0, late = 0;
	double speed = 1, secs;
	struct trace t = { 0 };
	uint64_t t0, due, now, grain = 100000;
	size_t i = 0, j, k;
	int c, fd, batch = 32, sent;

	while ((c = getopt(argc, argv, "i:s:b:g:h")) != -1) {
		switch (c) {
		case 'i': ifname = optarg; break;
		case 's': speed_s = optarg; break;
		case 'b': batch = atoi(optarg); break;
		case 'g': grain = strtoull(optarg, NULL, 10) * 1000; break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (!strcmp(speed_s, "top"))
		speed = 0;
	else if (strcmp(speed_s, "recorded"))
		speed = atof(speed_s);
	if (!ifname || optind != argc - 1 || batch < 1 || batch > MAX_BATCH ||
	    !grain || (strcmp(speed_s, "top") && speed <= 0)) {
		usage(stderr);
		return 2;
	}
	if (load(argv[optind], &t))
		return 1;
	sll.sll_ifindex = (int)if_nametoindex(ifname);
	if (!sll.sll_ifindex) {
		fprintf(stderr, "wirecap-tap-gen: %s: %s\n", ifname,
			strerror(errno));
		return 1;
	}
	/* protocol 0: this socket sends only, it receives nothing */
	fd = socket(AF_PACKET, SOCK_RAW, 0);
	if (fd < 0 || bind(fd, (struct sockaddr *)&sll, sizeof(sll))) {
		fprintf(stderr, "wirecap-tap-gen: socket on %s: %s\n", ifname,
			strerror(errno));
		return 1;
	}
	/* wake-ups on time, not within the default 50 us slack */
	prctl(PR_SET_TIMERSLACK, 1UL);
	for (k = 0; k < MAX_BATCH; k++) {
		msg[k].msg_hdr.msg_iov = &iov[k];
		msg[k].msg_hdr.msg_iovlen = 1;
	}
	t0 = now_ns();
	while (i < t.n) {
		now = now_ns() - t0;
		for (j = i; j < t.n && j - i < (size_t)batch; j++)
			if (speed && (double)t.due[j] / speed > now)
				break;
		if (j == i) {
			struct timespec ts;

			due = (uint64_t)(t.due[i] / speed);
			due = t0 + (due + grain - 1) / grain * grain;
			ts.tv_sec = due / 1000000000ull;
			ts.tv_nsec = due % 1000000000ull;
			clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts,
					NULL);
			continue;
		}
		late += speed && j - i == (size_t)batch;
		for (k = 0; k < j - i; k++) {
			iov[k].iov_base = t.data + t.off[i + k];
			iov[k].iov_len = t.len[i + k];
		}
		sent = sendmmsg(fd, msg, (unsigned int)(j - i), 0);
		if (sent < 0) {
			if (errno != ENOBUFS && errno != EAGAIN &&
			    errno != EINTR) {
				fprintf(stderr, "wirecap-tap-gen: send: %s\n",
					strerror(errno));
				return 1;
			}
			errors++;
			continue;	/* the same packets again */
		}
		i += (size_t)sent;
	}
	secs = (now_ns() - t0) / 1e9;
	printf("sent %zu packets in %.6f s (%.0f pps), %llu errors, "
	       "%llu late\n", t.n, secs, secs > 0 ? t.n / secs : 0, errors,
	       late);
	return 0;
}
