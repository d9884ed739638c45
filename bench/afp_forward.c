// SPDX-License-Identifier: BSD-2-Clause
/*
 * wirecap-afp-forward: the forwarding bench's copying peer (issue 13).
 * Every frame that arrives on interface A is sent out of interface B,
 * unchanged, by one thread, through the kernel's AF_PACKET:
 *
 *   receive  a TPACKET_V3 RX ring on A (ETH_P_ALL, A promiscuous through
 *            PACKET_MR_PROMISC, frames A itself sends ignored), -B bytes
 *            (default 2 MiB, libpcap's default) in 128 KiB blocks retired
 *            after at most 1 ms
 *   send     a second AF_PACKET socket bound to B (protocol 0: it receives
 *            nothing); the frames of a block go out in sendmmsg() batches
 *            of up to 64, each message pointing into the RX ring, so the
 *            one copy is the kernel's, into a new skb; then the block goes
 *            back to the kernel. A frame the kernel refuses (a full qdisc:
 *            ENOBUFS) is counted in send_errors and dropped, as a router
 *            drops it; the socket blocks while its send buffer is full.
 *
 * GRO is turned off on A first (ETHTOOL_SGRO), so the stack hands the
 * socket the frames as they came, not merged.
 *
 * --monitor forwards nothing: it only watches A's rx_packets and B's
 * tx_packets (/sys/class/net/IF/statistics) and the machine's busy time,
 * with the same window and stop rule, so an engine that forwards inside
 * the kernel (XDP_REDIRECT: xdp-bench) is measured as this one is.
 *
 *   wirecap-afp-forward -i A -o B [-B BYTES] [--monitor]
 *                       --until-file PATH [--idle-ms N] [--json FILE]
 *
 * Stops once PATH exists and no frame came for --idle-ms (500) (in the
 * test VM the host's replay-done file, /run/wirecap/replay-done), or on
 * SIGINT/SIGTERM. The JSON: engine ("afpacket" or "monitor"), in, out,
 * received (frames read from the ring; monitor: A's rx_packets delta),
 * forwarded (frames the kernel took for B; monitor: B's tx_packets
 * delta), send_errors, truncated (frames longer than the ring's snap
 * length, sent cut), ring_drops (PACKET_STATISTICS tp_drops: frames the
 * full ring lost), batches (sendmmsg calls), if_rx_packets and
 * if_rx_dropped (A's counters), if_tx_packets and if_tx_dropped (B's),
 * all deltas over the run; cpu_s (user + system CPU of this process),
 * own_cpu_window_s (the same, within the window below); the whole
 * machine's CPU time in the window, from /proc/stat's "cpu" line, two
 * ways: guest_busy_s, its user + nice + system + irq + softirq + steal,
 * which the kernel samples at each tick (as wirecap-pcap-handler's), and
 * guest_nonidle_s, cpus x window_s - (idle + iowait), the idle time being
 * measured, not sampled, on a tickless kernel (the busy fields miss
 * work done between ticks out of a tickless idle: interrupts and their
 * softirqs, where XDP runs, and a process woken by a timer just after a
 * tick that sleeps again before the next); window_s: from at most 10 ms
 * before the first frame to 10-20 ms after the last one, when a look
 * every 10 ms first finds none new; cpus: the CPUs online. /proc/stat is
 * read at the window's ends only (before the first frame at every look),
 * not in it: it is dear to generate. The frames: of the ring; --monitor:
 * changes of A's rx_packets or B's tx_packets (read every 10 ms).
 * Exit 0, 1 on errors, 2 on bad usage.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <linux/ethtool.h>
#include <linux/if_packet.h>
#include <linux/sockios.h>
#include <net/ethernet.h>
#include <net/if.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define PROG		"wirecap-afp-forward"
#define BLOCK_SIZE	(128 * 1024)
#define FRAME_SIZE	2048
#define BLOCK_TOV_MS	1
#define BATCH		64
/* how often the machine's busy time and the stop rule are looked at */
#define SAMPLE_S	0.01

#ifndef PACKET_IGNORE_OUTGOING
#define PACKET_IGNORE_OUTGOING 23
#endif

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	stop = 1;
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* The whole machine's CPU time, from the "cpu" line of /proc/stat. */
struct machine {
	double t;			/* when read (CLOCK_MONOTONIC) */
	unsigned long long busy;	/* user + nice + system + irq +
					 * softirq + steal, USER_HZ ticks */
	unsigned long long idle;	/* idle + iowait, USER_HZ */
};

/* 0, or -1. */
static int machine_read(int fd, struct machine *m)
{
	unsigned long long v[8];
	char buf[256];
	ssize_t n;

	m->t = now_s();
	n = pread(fd, buf, sizeof(buf) - 1, 0);
	if (n <= 0)
		return -1;
	buf[n] = '\0';
	if (sscanf(buf, "cpu %llu %llu %llu %llu %llu %llu %llu %llu", &v[0],
		   &v[1], &v[2], &v[3], &v[4], &v[5], &v[6], &v[7]) != 8)
		return -1;
	m->busy = v[0] + v[1] + v[2] + v[5] + v[6] + v[7];
	m->idle = v[3] + v[4];
	return 0;
}

/* The counters read: A's RX, B's TX. */
enum { RX, RX_DROPPED, TX, TX_DROPPED, NCOUNTERS };

struct if_counts {
	int fd[NCOUNTERS];
	unsigned long long v[NCOUNTERS];
};

/* Open /sys/class/net/IF/statistics/NAME for each counter (-1: none). */
static void if_counts_open(struct if_counts *c, const char *in,
			   const char *out)
{
	static const char *const name[NCOUNTERS] = {
		"rx_packets", "rx_dropped", "tx_packets", "tx_dropped" };
	char path[128];
	int i;

	for (i = 0; i < NCOUNTERS; i++) {
		snprintf(path, sizeof(path), "/sys/class/net/%s/statistics/%s",
			 i < TX ? in : out, name[i]);
		c->fd[i] = open(path, O_RDONLY | O_CLOEXEC);
	}
}

/* Read counters first..last (a counter that cannot be read stays 0). */
static void if_counts_read(struct if_counts *c, int first, int last)
{
	char buf[32];
	ssize_t n;
	int i;

	for (i = first; i <= last; i++) {
		c->v[i] = 0;
		if (c->fd[i] < 0)
			continue;
		n = pread(c->fd[i], buf, sizeof(buf) - 1, 0);
		if (n <= 0)
			continue;
		buf[n] = '\0';
		c->v[i] = strtoull(buf, NULL, 10);
	}
}

static double cpu_self_s(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 +
	       ru.ru_stime.tv_sec + ru.ru_stime.tv_usec / 1e6;
}

/* GRO off on IF, so AF_PACKET sees each frame as it came. 0 or -1. */
static int gro_off(const char *ifname)
{
	struct ethtool_value v = { .cmd = ETHTOOL_SGRO, .data = 0 };
	struct ifreq ifr = { 0 };
	int fd, ret = -1;

	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", ifname);
	ifr.ifr_data = (void *)&v;
	fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd >= 0 && !ioctl(fd, SIOCETHTOOL, &ifr))
		ret = 0;
	else
		fprintf(stderr, PROG ": %s: turning GRO off: %s\n", ifname,
			strerror(errno));
	if (fd >= 0)
		close(fd);
	return ret;
}

struct ring {
	int fd;
	unsigned char *map;
	size_t size;
	unsigned int nblocks;
};

/* The TPACKET_V3 RX ring on ifindex, promiscuous. 0 or -1. */
static int ring_open(struct ring *r, int ifindex, size_t bytes)
{
	struct sockaddr_ll sll = { .sll_family = AF_PACKET,
				   .sll_protocol = htons(ETH_P_ALL),
				   .sll_ifindex = ifindex };
	struct packet_mreq mr = { .mr_ifindex = ifindex,
				  .mr_type = PACKET_MR_PROMISC };
	struct tpacket_req3 req = { 0 };
	int v = TPACKET_V3, one = 1;

	r->nblocks = bytes / BLOCK_SIZE ? bytes / BLOCK_SIZE : 1;
	req.tp_block_size = BLOCK_SIZE;
	req.tp_block_nr = r->nblocks;
	req.tp_frame_size = FRAME_SIZE;
	req.tp_frame_nr = r->nblocks * (BLOCK_SIZE / FRAME_SIZE);
	req.tp_retire_blk_tov = BLOCK_TOV_MS;
	r->size = (size_t)r->nblocks * BLOCK_SIZE;
	/* protocol 0 until the ring is there: nothing arrives before */
	r->fd = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, 0);
	if (r->fd < 0) {
		perror(PROG ": socket");
		return -1;
	}
	if (setsockopt(r->fd, SOL_PACKET, PACKET_VERSION, &v, sizeof(v)) ||
	    setsockopt(r->fd, SOL_PACKET, PACKET_RX_RING, &req, sizeof(req))) {
		perror(PROG ": TPACKET_V3 RX ring");
		return -1;
	}
	/* older kernels lack it; the loop skips outgoing frames anyway */
	setsockopt(r->fd, SOL_PACKET, PACKET_IGNORE_OUTGOING, &one,
		   sizeof(one));
	r->map = mmap(NULL, r->size, PROT_READ | PROT_WRITE, MAP_SHARED,
		      r->fd, 0);
	if (r->map == MAP_FAILED) {
		perror(PROG ": mmap of the RX ring");
		r->map = NULL;
		return -1;
	}
	if (setsockopt(r->fd, SOL_PACKET, PACKET_ADD_MEMBERSHIP, &mr,
		       sizeof(mr))) {
		perror(PROG ": PACKET_MR_PROMISC");
		return -1;
	}
	if (bind(r->fd, (struct sockaddr *)&sll, sizeof(sll))) {
		perror(PROG ": bind to the input interface");
		return -1;
	}
	return 0;
}

/* The sending socket, bound to ifindex; receives nothing. fd or -1. */
static int tx_open(int ifindex)
{
	struct sockaddr_ll sll = { .sll_family = AF_PACKET,
				   .sll_ifindex = ifindex };
	int fd = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, 0);

	if (fd < 0) {
		perror(PROG ": socket");
		return -1;
	}
	if (bind(fd, (struct sockaddr *)&sll, sizeof(sll))) {
		perror(PROG ": bind to the output interface");
		close(fd);
		return -1;
	}
	return fd;
}

struct fwd {
	int tx;
	struct mmsghdr msg[BATCH];
	struct iovec iov[BATCH];
	unsigned int n;
	unsigned long long received, forwarded, send_errors, truncated;
	unsigned long long batches;
};

/* Send the batch; a message the kernel refuses is counted and dropped. */
static void flush(struct fwd *f)
{
	unsigned int done = 0;
	int r;

	while (done < f->n) {
		r = sendmmsg(f->tx, f->msg + done, f->n - done, 0);
		f->batches++;
		if (r < 0) {
			if (errno == EINTR)
				continue;
			f->send_errors++;
			done++;
			continue;
		}
		done += r;
		f->forwarded += r;
	}
	f->n = 0;
}

/* Forward every frame of a block the kernel has handed over. */
static void forward_block(struct fwd *f, struct tpacket_block_desc *b)
{
	struct tpacket3_hdr *h = (void *)((unsigned char *)b +
					  b->hdr.bh1.offset_to_first_pkt);
	unsigned int i, n = b->hdr.bh1.num_pkts;

	for (i = 0; i < n; i++) {
		struct sockaddr_ll *sll = (void *)((unsigned char *)h +
			TPACKET_ALIGN(sizeof(struct tpacket3_hdr)));

		if (sll->sll_pkttype != PACKET_OUTGOING) {
			f->received++;
			f->truncated += h->tp_snaplen < h->tp_len;
			f->iov[f->n].iov_base = (unsigned char *)h + h->tp_mac;
			f->iov[f->n].iov_len = h->tp_snaplen;
			if (++f->n == BATCH)
				flush(f);
		}
		h = (void *)((unsigned char *)h + h->tp_next_offset);
	}
	flush(f);
}

static void usage(FILE *f)
{
	fprintf(f, "usage: " PROG " -i IN -o OUT [-B BYTES] [--monitor] "
		"--until-file PATH [--idle-ms N] [--json FILE]\n");
}

int main(int argc, char **argv)
{
	static const struct option lopts[] = {
		{ "until-file", required_argument, NULL, 'u' },
		{ "idle-ms", required_argument, NULL, 'I' },
		{ "json", required_argument, NULL, 'j' },
		{ "monitor", no_argument, NULL, 'm' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *in = NULL, *out = NULL, *until = NULL, *json = NULL;
	unsigned long long seen, seen_sampled = 0;
	struct machine m0, m1;
	double idle_s = 0.5, t, last_t, sample_t, own0 = 0, own1 = 0, tck;
	long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
	struct tpacket_stats_v3 ps = { 0 };
	socklen_t pslen = sizeof(ps);
	struct if_counts c0, cnt = { .fd = { -1, -1, -1, -1 } };
	struct ring r = { .fd = -1 };
	struct fwd f = { .tx = -1 };
	struct sigaction sa = { 0 };
	size_t bytes = 2 << 20;
	unsigned int cur = 0, i;
	int c, stat_fd, monitor = 0, ret = 1, ifin, ifout, in_window = 0;
	struct stat sb;
	FILE *jf;

	while ((c = getopt_long(argc, argv, "i:o:B:h", lopts, NULL)) != -1) {
		switch (c) {
		case 'i': in = optarg; break;
		case 'o': out = optarg; break;
		case 'B': bytes = strtoull(optarg, NULL, 0); break;
		case 'u': until = optarg; break;
		case 'I': idle_s = atoi(optarg) / 1000.0; break;
		case 'j': json = optarg; break;
		case 'm': monitor = 1; break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (!in || !out || !until || optind != argc || !bytes) {
		usage(stderr);
		return 2;
	}
	ifin = if_nametoindex(in);
	ifout = if_nametoindex(out);
	if (!ifin || !ifout) {
		fprintf(stderr, PROG ": no interface %s\n", ifin ? out : in);
		return 1;
	}
	stat_fd = open("/proc/stat", O_RDONLY | O_CLOEXEC);
	if (stat_fd < 0 || machine_read(stat_fd, &m0)) {
		perror(PROG ": /proc/stat");
		return 1;
	}
	m1 = m0;
	sa.sa_handler = on_signal;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	if (!monitor) {
		if (gro_off(in) || ring_open(&r, ifin, bytes))
			goto out;
		f.tx = tx_open(ifout);
		if (f.tx < 0)
			goto out;
		for (i = 0; i < BATCH; i++) {
			f.msg[i].msg_hdr.msg_iov = &f.iov[i];
			f.msg[i].msg_hdr.msg_iovlen = 1;
		}
	}
	if_counts_open(&cnt, in, out);
	if_counts_read(&cnt, RX, TX_DROPPED);
	c0 = cnt;
	last_t = sample_t = now_s();
	while (!stop) {
		struct tpacket_block_desc *b = NULL;

		if (!monitor) {
			b = (void *)(r.map + (size_t)cur * BLOCK_SIZE);
			if (__atomic_load_n(&b->hdr.bh1.block_status,
					    __ATOMIC_ACQUIRE) & TP_STATUS_USER) {
				forward_block(&f, b);
				__atomic_store_n(&b->hdr.bh1.block_status,
						 TP_STATUS_KERNEL,
						 __ATOMIC_RELEASE);
				cur = (cur + 1) % r.nblocks;
			} else {
				struct pollfd p = { .fd = r.fd,
						    .events = POLLIN };

				poll(&p, 1, (int)(SAMPLE_S * 1000));
			}
		} else {
			struct timespec tick = { 0, (long)(SAMPLE_S * 1e9) };

			nanosleep(&tick, NULL);
		}
		t = now_s();
		if (t - sample_t < SAMPLE_S)
			continue;
		sample_t = t;
		if (monitor) {
			if_counts_read(&cnt, RX, RX);
			if_counts_read(&cnt, TX, TX);
			seen = (cnt.v[RX] - c0.v[RX]) + (cnt.v[TX] - c0.v[TX]);
		} else {
			seen = f.received;
		}
		/*
		 * The window: it starts at the last sample before the first
		 * frame (until then the machine's busy time is read at every
		 * sample) and ends at the first sample that found no frame
		 * come since the one before (read again should more come).
		 * In between only the counters are read: /proc/stat is dear
		 * to generate.
		 */
		if (!seen) {
			if (!machine_read(stat_fd, &m0))
				m1 = m0;
			own0 = own1 = cpu_self_s();
		} else if (seen != seen_sampled) {
			seen_sampled = seen;
			last_t = t;
			in_window = 1;
		} else if (in_window) {
			machine_read(stat_fd, &m1);
			own1 = cpu_self_s();
			in_window = 0;
		}
		if (!in_window && t - last_t >= idle_s && !stat(until, &sb))
			break;
	}
	if (in_window) {
		machine_read(stat_fd, &m1);
		own1 = cpu_self_s();
	}
	if_counts_read(&cnt, RX, TX_DROPPED);
	for (i = 0; i < NCOUNTERS; i++)
		cnt.v[i] -= c0.v[i];
	tck = sysconf(_SC_CLK_TCK);
	if (monitor) {
		f.received = cnt.v[RX];
		f.forwarded = cnt.v[TX];
	} else if (getsockopt(r.fd, SOL_PACKET, PACKET_STATISTICS, &ps,
			      &pslen)) {
		perror(PROG ": PACKET_STATISTICS");
	}
	jf = json && strcmp(json, "-") ? fopen(json, "w") : stdout;
	if (!jf) {
		perror(json);
		goto out;
	}
	fprintf(jf, "{\"engine\": \"%s\", \"in\": \"%s\", \"out\": \"%s\", "
		"\"buffer\": %zu, \"received\": %llu, \"forwarded\": %llu, "
		"\"send_errors\": %llu, \"truncated\": %llu, "
		"\"ring_drops\": %u, \"batches\": %llu, "
		"\"if_rx_packets\": %llu, \"if_rx_dropped\": %llu, "
		"\"if_tx_packets\": %llu, \"if_tx_dropped\": %llu, "
		"\"cpu_s\": %.3f, \"own_cpu_window_s\": %.3f, "
		"\"guest_busy_s\": %.3f, \"guest_nonidle_s\": %.3f, "
		"\"window_s\": %.3f, \"cpus\": %ld}\n",
		monitor ? "monitor" : "afpacket", in, out, monitor ? 0 : r.size,
		f.received, f.forwarded, f.send_errors, f.truncated,
		ps.tp_drops, f.batches, cnt.v[RX], cnt.v[RX_DROPPED],
		cnt.v[TX], cnt.v[TX_DROPPED], cpu_self_s(), own1 - own0,
		(m1.busy - m0.busy) / tck,
		ncpu * (m1.t - m0.t) - (m1.idle - m0.idle) / tck, m1.t - m0.t,
		ncpu);
	if (jf != stdout)
		fclose(jf);
	ret = 0;
out:
	if (f.tx >= 0)
		close(f.tx);
	if (r.map)
		munmap(r.map, r.size);
	if (r.fd >= 0)
		close(r.fd);
	for (i = 0; i < NCOUNTERS; i++)
		if (cnt.fd[i] >= 0)
			close(cnt.fd[i]);
	close(stat_fd);
	return ret;
}
