// SPDX-License-Identifier: BSD-2-Clause
/*
 * wirecap-pcap-handler: the paper's pkt_handler, one program for every
 * engine: one thread, every packet run through a BPF filter x times
 * (pcap_offline_filter), then dropped. The engine comes from the device:
 *
 *   -i eth0          afpacket: the kernel's AF_PACKET (TPACKET_V3) through
 *                    the system libpcap, on the stock virtio_net driver
 *   -i wirecap:eth0  wirecap: WireCAP through libwirecap-pcap.so
 *                    (`wirecap exec wirecap-pcap-handler -i wirecap:eth0`)
 *   -i xsk:eth0      xsk: AF_XDP through libxdp, one socket per RX queue
 *                    of eth0 (/sys/class/net/eth0/queues/rx-*), all polled
 *                    by the one thread, so whichever queue RSS picks for a
 *                    flow is captured. Per socket: RX and fill rings of
 *                    2048 descriptors (XSK_RING_{CONS,PROD}__DEFAULT_NUM_
 *                    DESCS), a umem of its own of 4096 frames (twice the
 *                    ring, as xdpsock) of 4096 bytes (XSK_UMEM__DEFAULT_
 *                    FRAME_SIZE), bound in copy mode (XDP_COPY); libxdp's
 *                    default program redirects to it, attached in native
 *                    (driver) mode, or in generic (SKB) mode where the
 *                    driver refuses. The filter is compiled for DLT_EN10MB;
 *                    a packet's pcap header: caplen = len = the descriptor's
 *                    length, ts = CLOCK_REALTIME when its batch was taken.
 *
 *   wirecap-pcap-handler -i DEV [-x N] [-B BYTES] [-f FILTER]
 *                        --until-file PATH [--idle-ms N] [--json FILE]
 *
 * -B: the capture buffer of the libpcap engines (pcap_set_buffer_size);
 * 0 or absent: libpcap's default. Stops once PATH exists and no packet came
 * for --idle-ms (500). The JSON: device, engine, x, buffer, received
 * (libpcap: ps_recv; xsk: packets seen on the RX rings), dropped (libpcap:
 * ps_drop + ps_ifdrop; xsk: XDP_STATISTICS rx_dropped + rx_ring_full
 * summed over the sockets), processed, matched, pp (packets per second of
 * processing time), cpu_s (user + system CPU of the whole process),
 * guest_busy_s (busy CPU seconds of the whole machine, /proc/stat's "cpu"
 * line user + nice + system + irq + softirq + steal, from at most 10 ms
 * before the first packet to the last packet processed); xsk adds xdp_mode
 * ("native" or "skb"), queues (sockets) and fill_ring_empty (the sockets'
 * rx_fill_ring_empty_descs: in copy mode each is a packet also counted in
 * rx_dropped, so it is not added to dropped again). Exit 0, 1 on errors,
 * 2 on bad usage.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <dirent.h>
#include <fcntl.h>
#include <getopt.h>
#include <linux/if_link.h>
#include <linux/if_xdp.h>
/*
 * libpcap's classic-BPF struct bpf_insn and the kernel's eBPF one (through
 * xsk.h) share a tag; libpcap's is only ever behind a pointer here.
 */
#define bpf_insn pcap_bpf_insn
#include <pcap/pcap.h>
#undef bpf_insn
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <xdp/xsk.h>

#ifndef SOL_XDP
#define SOL_XDP 283
#endif

#define PROG "wirecap-pcap-handler"

/* AF_XDP geometry, per socket (see the top of the file). */
#define XSK_RING_DESCS	XSK_RING_CONS__DEFAULT_NUM_DESCS
#define XSK_FRAME	XSK_UMEM__DEFAULT_FRAME_SIZE
#define XSK_FRAMES	(2 * XSK_RING_DESCS)

/* /proc/stat is read at most this often while packets flow. */
#define BUSY_SAMPLE_S	0.01

enum engine { ENGINE_AFPACKET, ENGINE_WIRECAP, ENGINE_XSK };

static const char *const engine_name[] = {
	[ENGINE_AFPACKET] = "afpacket",
	[ENGINE_WIRECAP] = "wirecap",
	[ENGINE_XSK] = "xsk",
};

/* The handler's own state: the filter and what it did. */
struct state {
	struct bpf_program prog;
	unsigned int x;
	unsigned long long processed, matched;
	double busy;
	/* the machine's busy ticks (/proc/stat), see busy_*() */
	int stat_fd;
	unsigned long long busy0, busy_last;
	double busy_t;		/* when busy_last was sampled */
	int busy_pending;	/* a batch came after busy_last */
};

/* One AF_XDP socket with its umem; the one thread owns its rings. */
struct xsk_queue {
	struct xsk_socket *xsk;
	struct xsk_umem *umem;
	struct xsk_ring_prod fq;
	struct xsk_ring_cons cq;	/* unused: no TX */
	struct xsk_ring_cons rx;
	void *area;
	__u64 free[XSK_FRAMES];	/* frames neither in fq nor in rx */
	unsigned int nfree;
};

/* An engine opened on a device: what the loop polls and drains. */
struct capture {
	enum engine engine;
	pcap_t *p;		/* libpcap engines */
	struct xsk_queue *q;	/* xsk: one per RX queue */
	unsigned int nq;
	const char *xdp_mode;
	struct pollfd *pfd;	/* one (libpcap) or nq (xsk) */
	unsigned int npfd;
	unsigned long long rx_seen;	/* xsk: descriptors taken from RX */
};

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/*
 * The per-packet work, the same for every engine: libpcap calls it as its
 * callback, the xsk engine with a header it built.
 */
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

/*
 * Busy ticks of the whole machine: the "cpu" line of /proc/stat, user +
 * nice + system + irq + softirq + steal (idle and iowait left out), in
 * USER_HZ. Returns 0 and sets *ticks, or -1.
 */
static int busy_read(int fd, unsigned long long *ticks)
{
	unsigned long long v[8];
	char buf[256];
	ssize_t n;

	if (lseek(fd, 0, SEEK_SET) < 0)
		return -1;
	n = read(fd, buf, sizeof(buf) - 1);
	if (n <= 0)
		return -1;
	buf[n] = '\0';
	if (sscanf(buf, "cpu %llu %llu %llu %llu %llu %llu %llu %llu", &v[0],
		   &v[1], &v[2], &v[3], &v[4], &v[5], &v[6], &v[7]) != 8)
		return -1;
	*ticks = v[0] + v[1] + v[2] + v[5] + v[6] + v[7];
	return 0;
}

static void busy_sample(struct state *s, double t)
{
	if (!busy_read(s->stat_fd, &s->busy_last)) {
		s->busy_t = t;
		s->busy_pending = 0;
	}
}

/*
 * After a batch with packets: sample, unless the last sample is younger
 * than BUSY_SAMPLE_S; then the batch is pending and busy_idle() samples
 * it once the rings run dry (trailing edge), so the last sample is the
 * one taken after the last batch, whatever the pace.
 */
static void busy_batch(struct state *s)
{
	double t = now_s();

	if (t - s->busy_t >= BUSY_SAMPLE_S)
		busy_sample(s, t);
	else
		s->busy_pending = 1;
}

/* Nothing to process: sample a pending batch. Returns poll()'s timeout. */
static int busy_idle(struct state *s)
{
	double t = now_s(), left;

	if (!s->busy_pending)
		return 10;
	left = s->busy_t + BUSY_SAMPLE_S - t;
	if (left <= 0) {
		busy_sample(s, t);
		return 10;
	}
	return (int)(left * 1000) + 1;
}

/* ---- xsk: AF_XDP through libxdp --------------------------------------- */

/* libbpf's warnings only, not its notes on the objects it loads. */
static int libbpf_warnings(enum libbpf_print_level level, const char *fmt,
			   va_list ap)
{
	return level == LIBBPF_WARN ? vfprintf(stderr, fmt, ap) : 0;
}

/* The RX queues of IF: the rx-* entries of /sys/class/net/IF/queues. */
static int rx_queue_count(const char *ifname)
{
	char path[128];
	struct dirent *e;
	int n = 0;
	DIR *d;

	snprintf(path, sizeof(path), "/sys/class/net/%s/queues", ifname);
	d = opendir(path);
	if (!d)
		return -1;
	while ((e = readdir(d)))
		n += !strncmp(e->d_name, "rx-", 3);
	closedir(d);
	return n;
}

/* Give the fill ring as many free frames as it takes. */
static void xsk_refill(struct xsk_queue *q)
{
	__u32 n, i, idx;

	n = xsk_prod_nb_free(&q->fq, q->nfree);
	if (n > q->nfree)
		n = q->nfree;
	if (!n || xsk_ring_prod__reserve(&q->fq, n, &idx) != n)
		return;
	for (i = 0; i < n; i++)
		*xsk_ring_prod__fill_addr(&q->fq, idx + i) = q->free[--q->nfree];
	xsk_ring_prod__submit(&q->fq, n);
}

static void xsk_queue_close(struct xsk_queue *q)
{
	if (q->xsk)
		xsk_socket__delete(q->xsk);
	if (q->umem)
		xsk_umem__delete(q->umem);
	if (q->area)
		munmap(q->area, (size_t)XSK_FRAMES * XSK_FRAME);
	memset(q, 0, sizeof(*q));
}

/* Socket and umem for queue qid, XDP attached with xdp_flags. -errno. */
static int xsk_queue_open(struct xsk_queue *q, const char *ifname,
			  unsigned int qid, __u32 xdp_flags)
{
	const struct xsk_umem_config ucfg = {
		.fill_size = XSK_RING_PROD__DEFAULT_NUM_DESCS,
		.comp_size = XSK_RING_CONS__DEFAULT_NUM_DESCS,
		.frame_size = XSK_FRAME,
		.frame_headroom = XSK_UMEM__DEFAULT_FRAME_HEADROOM,
		.flags = XSK_UMEM__DEFAULT_FLAGS,
	};
	const struct xsk_socket_config scfg = {
		.rx_size = XSK_RING_CONS__DEFAULT_NUM_DESCS,
		.xdp_flags = xdp_flags,
		.bind_flags = XDP_COPY,
	};
	size_t size = (size_t)XSK_FRAMES * XSK_FRAME;
	unsigned int i;
	int err;

	q->area = mmap(NULL, size, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
	if (q->area == MAP_FAILED) {
		q->area = NULL;
		return -errno;
	}
	err = xsk_umem__create(&q->umem, q->area, size, &q->fq, &q->cq, &ucfg);
	if (err) {
		q->umem = NULL;
		goto err_close;
	}
	err = xsk_socket__create(&q->xsk, ifname, qid, q->umem, &q->rx, NULL,
				 &scfg);
	if (err) {
		q->xsk = NULL;
		goto err_close;
	}
	for (i = 0; i < XSK_FRAMES; i++)
		q->free[q->nfree++] = (__u64)(XSK_FRAMES - 1 - i) * XSK_FRAME;
	xsk_refill(q);
	return 0;

err_close:
	xsk_queue_close(q);
	return err;
}

static int xsk_open(struct capture *c, const char *ifname)
{
	int n = rx_queue_count(ifname), err;
	unsigned int i;
	__u32 flags;

	if (n <= 0) {
		fprintf(stderr, PROG ": %s: no RX queues in /sys/class/net\n",
			ifname);
		return -1;
	}
	libbpf_set_print(libbpf_warnings);
	c->q = calloc(n, sizeof(*c->q));
	c->pfd = calloc(n, sizeof(*c->pfd));
	if (!c->q || !c->pfd) {
		fprintf(stderr, PROG ": out of memory\n");
		return -1;
	}
	/* Native first; the first socket attaches the program. */
	flags = XDP_FLAGS_DRV_MODE;
	c->xdp_mode = "native";
	err = xsk_queue_open(&c->q[0], ifname, 0, flags);
	if (err) {
		fprintf(stderr, PROG ": %s: native XDP: %s; trying SKB mode\n",
			ifname, strerror(-err));
		flags = XDP_FLAGS_SKB_MODE;
		c->xdp_mode = "skb";
		err = xsk_queue_open(&c->q[0], ifname, 0, flags);
	}
	if (!err)
		c->nq = 1;
	while (!err && c->nq < (unsigned int)n) {
		err = xsk_queue_open(&c->q[c->nq], ifname, c->nq, flags);
		if (!err)
			c->nq++;
	}
	if (err) {
		fprintf(stderr, PROG ": %s: AF_XDP socket on queue %u: %s\n",
			ifname, c->nq, strerror(-err));
		return -1;
	}
	for (i = 0; i < c->nq; i++) {
		c->pfd[i].fd = xsk_socket__fd(c->q[i].xsk);
		c->pfd[i].events = POLLIN;
	}
	c->npfd = c->nq;
	return 0;
}

/* Drain every RX ring into the handler, refill. Returns the packets. */
static unsigned int xsk_dispatch(struct capture *c, struct state *s)
{
	unsigned int total = 0, i, k;

	for (i = 0; i < c->nq; i++) {
		struct xsk_queue *q = &c->q[i];
		struct pcap_pkthdr h;
		struct timespec ts;
		__u32 n, idx;

		n = xsk_ring_cons__peek(&q->rx, XSK_RING_DESCS, &idx);
		if (!n)
			continue;
		clock_gettime(CLOCK_REALTIME, &ts);
		h.ts.tv_sec = ts.tv_sec;
		h.ts.tv_usec = ts.tv_nsec / 1000;
		for (k = 0; k < n; k++) {
			const struct xdp_desc *d =
				xsk_ring_cons__rx_desc(&q->rx, idx + k);

			h.caplen = h.len = d->len;
			handle((u_char *)s, &h,
			       xsk_umem__get_data(q->area, d->addr));
			q->free[q->nfree++] = d->addr - d->addr % XSK_FRAME;
		}
		xsk_ring_cons__release(&q->rx, n);
		xsk_refill(q);
		total += n;
	}
	c->rx_seen += total;
	return total;
}

/* Kernel drop counters over all sockets. Returns 0 or -1. */
static int xsk_stats(struct capture *c, unsigned long long *dropped,
		     unsigned long long *fill_empty)
{
	unsigned int i;

	*dropped = *fill_empty = 0;
	for (i = 0; i < c->nq; i++) {
		struct xdp_statistics st;
		socklen_t len = sizeof(st);

		if (getsockopt(xsk_socket__fd(c->q[i].xsk), SOL_XDP,
			       XDP_STATISTICS, &st, &len)) {
			perror(PROG ": XDP_STATISTICS");
			return -1;
		}
		/*
		 * Copy mode counts a packet lost to an empty fill ring in
		 * rx_dropped and in rx_fill_ring_empty_descs, one lost to a
		 * full RX ring in rx_ring_full only.
		 */
		*dropped += st.rx_dropped + st.rx_ring_full;
		*fill_empty += st.rx_fill_ring_empty_descs;
	}
	return 0;
}

/* ---- the libpcap engines ---------------------------------------------- */

static int pcap_engine_open(struct capture *c, const char *dev, int buf)
{
	char eb[PCAP_ERRBUF_SIZE];

	c->p = pcap_create(dev, eb);
	if (!c->p) {
		fprintf(stderr, PROG ": %s\n", eb);
		return -1;
	}
	/*
	 * A WireCAP cell's size, so every engine keeps the same bytes of a
	 * packet. On AF_PACKET it also sizes TPACKET_V3's blocks (one page
	 * here; with tcpdump's 262144 they would be 512 KiB, and the 10 ms
	 * timeout would retire each block a few hundred packets full).
	 */
	pcap_set_snaplen(c->p, 2048);
	pcap_set_promisc(c->p, 1);
	pcap_set_timeout(c->p, 10);
	if (buf > 0)
		pcap_set_buffer_size(c->p, buf);
	if (pcap_activate(c->p) < 0) {
		fprintf(stderr, PROG ": %s: %s\n", dev, pcap_geterr(c->p));
		return -1;
	}
	/*
	 * Non-blocking, waiting in poll(): on AF_PACKET (TPACKET_V3) a
	 * blocking read's timeout only starts with the first packet, so a
	 * quiet link would never let us look at the until-file.
	 */
	c->pfd = calloc(1, sizeof(*c->pfd));
	if (!c->pfd) {
		fprintf(stderr, PROG ": out of memory\n");
		return -1;
	}
	c->pfd->fd = pcap_get_selectable_fd(c->p);
	c->pfd->events = POLLIN;
	c->npfd = 1;
	if (c->pfd->fd < 0 || pcap_setnonblock(c->p, 1, eb)) {
		fprintf(stderr, PROG ": %s: no selectable fd\n", dev);
		return -1;
	}
	return 0;
}

/* ---- one capture, whatever the engine ---------------------------------- */

static int capture_open(struct capture *c, const char *dev, int buf)
{
	if (!strncmp(dev, "xsk:", 4)) {
		c->engine = ENGINE_XSK;
		return xsk_open(c, dev + 4);
	}
	c->engine = strncmp(dev, "wirecap:", 8) ? ENGINE_AFPACKET :
						  ENGINE_WIRECAP;
	return pcap_engine_open(c, dev, buf);
}

/* What is ready, through the handler. Returns the packets, or -1. */
static int capture_dispatch(struct capture *c, struct state *s)
{
	int n;

	if (c->engine == ENGINE_XSK)
		return (int)xsk_dispatch(c, s);
	n = pcap_dispatch(c->p, -1, handle, (u_char *)s);
	if (n < 0)
		fprintf(stderr, PROG ": %s\n", pcap_geterr(c->p));
	return n;
}

static void capture_close(struct capture *c)
{
	unsigned int i;

	for (i = 0; i < c->nq; i++)
		xsk_queue_close(&c->q[i]);
	free(c->q);
	free(c->pfd);
	if (c->p)
		pcap_close(c->p);
}

static void usage(FILE *f)
{
	fprintf(f, "usage: " PROG " -i [xsk:|wirecap:]DEV [-x N] [-B BYTES] "
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
	unsigned long long last = 0, received, dropped, fill_empty = 0;
	struct state s = { .stat_fd = -1 };
	struct capture cap = { 0 };
	double idle_s = 0.5, last_t, t0;
	struct pcap_stat ps = { 0 };
	pcap_t *comp = NULL;
	struct rusage ru;
	struct stat sb;
	int c, buf = 0, ret = 1, n;
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
	if (!dev || !until || optind != argc ||
	    (buf > 0 && !strncmp(dev, "xsk:", 4))) {
		usage(stderr);
		return 2;
	}
	s.stat_fd = open("/proc/stat", O_RDONLY | O_CLOEXEC);
	if (s.stat_fd < 0) {
		perror(PROG ": /proc/stat");
		return 1;
	}
	if (capture_open(&cap, dev, buf))
		goto err_close;
	/* The filter: on the live handle, or for Ethernet where there is none. */
	comp = cap.p ? cap.p : pcap_open_dead(DLT_EN10MB, 65535);
	if (!comp) {
		fprintf(stderr, PROG ": pcap_open_dead failed\n");
		goto err_close;
	}
	if (pcap_compile(comp, &s.prog, filter, 1, PCAP_NETMASK_UNKNOWN)) {
		fprintf(stderr, PROG ": %s\n", pcap_geterr(comp));
		ret = 2;
		goto err_close;
	}
	if (busy_read(s.stat_fd, &s.busy0)) {
		fprintf(stderr, PROG ": /proc/stat: no cpu line\n");
		goto err_freecode;
	}
	s.busy_last = s.busy0;
	t0 = last_t = s.busy_t = now_s();
	for (;;) {
		n = capture_dispatch(&cap, &s);
		if (n < 0)
			goto err_freecode;
		if (n) {
			busy_batch(&s);
		} else {
			/*
			 * Until the first packet the window keeps starting
			 * anew (at most 10 ms before it): an engine that
			 * listens longer before the traffic is not charged
			 * for the idle machine's ticks.
			 */
			if (!s.processed && !busy_read(s.stat_fd, &s.busy0))
				s.busy_last = s.busy0;
			poll(cap.pfd, cap.npfd, busy_idle(&s));
		}
		if (s.processed != last) {
			last = s.processed;
			last_t = now_s();
		} else if (!stat(until, &sb) && now_s() - last_t >= idle_s &&
			   now_s() - t0 >= idle_s) {
			break;
		}
	}
	if (cap.engine == ENGINE_XSK) {
		if (xsk_stats(&cap, &dropped, &fill_empty))
			goto err_freecode;
		received = cap.rx_seen;
	} else {
		if (pcap_stats(cap.p, &ps)) {
			fprintf(stderr, PROG ": %s\n", pcap_geterr(cap.p));
			goto err_freecode;
		}
		received = ps.ps_recv;
		dropped = (unsigned long long)ps.ps_drop + ps.ps_ifdrop;
	}
	getrusage(RUSAGE_SELF, &ru);
	f = json && strcmp(json, "-") ? fopen(json, "w") : stdout;
	if (!f) {
		perror(json);
		goto err_freecode;
	}
	fprintf(f, "{\"device\": \"%s\", \"engine\": \"%s\", \"x\": %u, "
		"\"buffer\": %d, \"received\": %llu, \"dropped\": %llu, "
		"\"processed\": %llu, \"matched\": %llu, \"pp\": %.0f, "
		"\"cpu_s\": %.3f, \"guest_busy_s\": %.3f", dev,
		engine_name[cap.engine], s.x, buf, received, dropped,
		s.processed, s.matched, s.busy > 0 ? s.processed / s.busy : 0,
		ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 +
		ru.ru_stime.tv_sec + ru.ru_stime.tv_usec / 1e6,
		(double)(s.busy_last - s.busy0) / sysconf(_SC_CLK_TCK));
	if (cap.engine == ENGINE_XSK)
		fprintf(f, ", \"xdp_mode\": \"%s\", \"queues\": %u, "
			"\"fill_ring_empty\": %llu", cap.xdp_mode, cap.nq,
			fill_empty);
	fprintf(f, "}\n");
	if (f != stdout)
		fclose(f);
	ret = 0;

err_freecode:
	pcap_freecode(&s.prog);
err_close:
	if (comp && comp != cap.p)
		pcap_close(comp);
	capture_close(&cap);
	close(s.stat_fd);
	return ret;
}
