// SPDX-License-Identifier: BSD-2-Clause
/*
 * wirecap-pcap-handler: the paper's pkt_handler, one program for every
 * engine: every packet run through a BPF filter x times
 * (pcap_offline_filter), then dropped; one capture thread, or with -q N
 * one per queue. The engine comes from the device:
 *
 *   -i eth0          afpacket: the kernel's AF_PACKET (TPACKET_V3) through
 *                    the system libpcap, on the stock virtio_net driver
 *   -i wirecap:eth0  wirecap: WireCAP through libwirecap-pcap.so
 *                    (`wirecap exec wirecap-pcap-handler -i wirecap:eth0`)
 *   -i xsk:eth0      xsk: AF_XDP through libxdp, one socket per RX queue
 *                    of eth0 (/sys/class/net/eth0/queues/rx-*, counted
 *                    once the first socket has attached the program: the
 *                    program may add queues, see xsk_open()), all polled
 *                    by the one thread, so whichever queue RSS picks for a
 *                    flow is captured; xsk:eth0@Q: queue Q's socket only
 *                    (what the others receive goes to the stack: a broken
 *                    setup on purpose, for the bench's validity check).
 *                    Per socket: RX and fill rings of
 *                    2048 descriptors (XSK_RING_{CONS,PROD}__DEFAULT_NUM_
 *                    DESCS), a umem of its own of 4096 frames (twice the
 *                    ring, as xdpsock) of 4096 bytes (XSK_UMEM__DEFAULT_
 *                    FRAME_SIZE), bound in copy mode (XDP_COPY); libxdp's
 *                    default program redirects to it, attached in native
 *                    (driver) mode, or in generic (SKB) mode where the
 *                    driver refuses; the mode is read back from the NIC,
 *                    and the run fails unless libxdp's program is there
 *                    and every RX queue has a socket (without @Q). The
 *                    filter is compiled for DLT_EN10MB;
 *                    a packet's pcap header: caplen = len = the descriptor's
 *                    length, ts = CLOCK_REALTIME when its batch was taken.
 *
 *   wirecap-pcap-handler -i DEV[@Q] [-q N] [-x N] [-B BYTES] [-f FILTER]
 *                        [--rss-key HEX] [--no-gro] [--ready-file PATH]
 *                        --until-file PATH [--idle-ms N] [--json FILE]
 *
 * -q N (default 1): N capture threads, thread i on RX queue i (the NIC
 * should have N queues). afpacket: a libpcap handle per thread, all in
 * one AF_PACKET fanout group of type PACKET_FANOUT_QM (the packet's RX
 * queue picks the socket, as Suricata's cluster_qm; they join in the
 * order that gives thread i queue i, see main()); wirecap: thread i
 * opens wirecap:DEV@i, all activated before any is read, so the shim puts
 * them in one session, one buddy group (WIRECAP_MODE=advanced and
 * WIRECAP_OFFLOAD_PCT=T in the environment: advanced mode); such handles
 * have no selectable fd, so their threads read blocking, 10 ms at a time;
 * xsk: thread i's socket is bound to queue i only, and the NIC must have
 * N RX queues with the program attached. -q 1: one thread on every
 * queue, as above (no fanout; wirecap:DEV as given).
 * -B: the capture buffer of the libpcap engines (pcap_set_buffer_size),
 * per handle; 0 or absent: libpcap's default. --rss-key: first set DEV's
 * Toeplitz RSS key (ETHTOOL_SRSSH, e.g. Microsoft's 40 bytes, the key
 * wirecap_virtio uses; the stock virtio_net draws one at random each
 * boot). --no-gro: first turn DEV's GRO off (ETHTOOL_SGRO), or AF_PACKET
 * sees a TCP connection's segments merged. --ready-file: create that file
 * once every handle or socket is open and every thread reads (the test
 * VM replays its trace when /run/wirecap/start-replay appears). Stops once
 * the until-file exists and no packet came to any thread for --idle-ms
 * (500). The JSON: device, engine, x, buffer, received
 * (libpcap: ps_recv; xsk: packets seen on the RX rings), dropped (libpcap:
 * ps_drop + ps_ifdrop; xsk: XDP_STATISTICS rx_dropped + rx_ring_full
 * summed over the sockets), processed, matched, pp (packets per second of
 * processing time: processed over the threads' summed time in the
 * handler; 0 at x=0, where nothing is timed: the two clock reads a packet
 * were most of the handler's cost there, a system call and an HPET read
 * each in the TCG guest, and the bench's CPU per packet counted them),
 * cpu_s (user + system CPU of the whole process), guest_busy_s
 * (busy CPU seconds of the whole machine, /proc/stat's "cpu" line user +
 * nice + system + irq + softirq + steal, sampled by the main thread every
 * 10 ms: from at most 10 ms before the first packet of any thread to at
 * most 10 ms after the last one processed); window_s (that window's
 * length) and ncpu (the machine's CPUs online), so guest_busy_s /
 * (ncpu * window_s) is how busy the machine was, as the guest sees it
 * (under TCG no steal time: a vCPU the host did not run looks busy or
 * idle as the guest left it); guest_peak_busy (its busy share over the
 * busiest second of the window, PEAK_SPAN_S: bursts; null if the window
 * is shorter); lib_cpu_s (CPU seconds,
 * in that window, of the process's threads other than the handler's:
 * libwirecap's capture thread, under the shim) and lib_wait_s (their
 * seconds runnable, waiting for a CPU; null where schedstat cannot be
 * read); seen (the packets that
 * reached the engine by its own kernel-side count, whether it dropped them
 * or not: libpcap's ps_recv, which on AF_PACKET and in the shim counts
 * ps_drop too; xsk: received + dropped); and where the packets went, as
 * the differences over the run (from before the engine is opened to
 * after it stopped): nic_rx_packets and nic_rx_dropped (the NIC's netdev
 * statistics rx_packets, and rx_dropped + rx_missed_errors), stack_packets
 * (packets that entered the kernel's receive path: /proc/net/
 * softnet_stat, see struct where). xsk adds xdp_mode ("native" or "skb",
 * as attached), queues (sockets), fill_ring_empty (the sockets'
 * rx_fill_ring_empty_descs: in copy mode each is a packet also counted in
 * rx_dropped, so it is not added to dropped again) and "sockets", one
 * object per socket: queue, received, dropped; then "threads", one
 * object per thread: queue (-1: every queue), processed, received,
 * dropped, seen, pp (its own), busy_s (its seconds in the handler, the
 * time pp divides by, waits for a CPU included), cpu_s (its CPU seconds in
 * the window: where busy_s is larger, it waited for a CPU while
 * processing), wait_s (its seconds in the window runnable on a run queue,
 * waiting for a CPU: schedstat's run_delay; null where it cannot be read),
 * and for wirecap its handle's
 * pcap_stats as
 * ps_recv, ps_drop, ps_ifdrop (advanced mode: a thread also processes
 * chunks of its buddies' queues, so processed and received differ). The
 * totals are the threads' sums. Exit 0, 1 on errors, 2 on bad usage.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <dirent.h>
#include <fcntl.h>
#include <getopt.h>
#include <linux/ethtool.h>
#include <linux/if_link.h>
#include <linux/if_packet.h>
#include <linux/if_xdp.h>
#include <linux/sockios.h>
#include <net/if.h>
/*
 * libpcap's classic-BPF struct bpf_insn and the kernel's eBPF one (through
 * xsk.h) share a tag; libpcap's is only ever behind a pointer here.
 */
#define bpf_insn pcap_bpf_insn
#include <pcap/pcap.h>
#undef bpf_insn
#include <poll.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>
#include <xdp/libxdp.h>
#include <xdp/xsk.h>

#ifndef SOL_XDP
#define SOL_XDP 283
#endif

#define PROG "wirecap-pcap-handler"

/* AF_XDP geometry, per socket (see the top of the file). */
#define XSK_RING_DESCS	XSK_RING_CONS__DEFAULT_NUM_DESCS
#define XSK_FRAME	XSK_UMEM__DEFAULT_FRAME_SIZE
#define XSK_FRAMES	(2 * XSK_RING_DESCS)

/* The main thread reads /proc/stat and looks for the end this often. */
#define BUSY_SAMPLE_S	0.01

#define MAX_THREADS	64

enum engine { ENGINE_AFPACKET, ENGINE_WIRECAP, ENGINE_XSK };

static const char *const engine_name[] = {
	[ENGINE_AFPACKET] = "afpacket",
	[ENGINE_WIRECAP] = "wirecap",
	[ENGINE_XSK] = "xsk",
};

/*
 * A capture thread's handler state: the filter (shared, read only) and
 * what it did. processed is also read by the main thread (atomically).
 */
struct state {
	const struct bpf_program *prog;
	unsigned int x;
	unsigned long long processed, matched;
	double busy;		/* seconds in the handler */
};

/*
 * One AF_XDP socket with its umem; one thread owns its rings. libxdp keeps
 * pointers to the rings: a queue never moves once opened.
 */
struct xsk_queue {
	struct xsk_socket *xsk;
	struct xsk_umem *umem;
	struct xsk_ring_prod fq;
	struct xsk_ring_cons cq;	/* unused: no TX */
	struct xsk_ring_cons rx;
	void *area;
	unsigned int qid;		/* the RX queue it is bound to */
	unsigned long long rx_seen;	/* descriptors taken from rx */
	unsigned long long dropped;	/* at the end: XDP_STATISTICS */
	__u64 free[XSK_FRAMES];	/* frames neither in fq nor in rx */
	unsigned int nfree;
};

/* An engine opened on a device: what the loop polls and drains. */
struct capture {
	enum engine engine;
	pcap_t *p;		/* libpcap engines */
	struct xsk_queue **q;	/* xsk: one per RX queue it reads */
	unsigned int nq;
	struct pollfd *pfd;	/* one (libpcap) or nq (xsk) */
	unsigned int npfd;	/* 0: reads block (shared wirecap handles) */
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
	unsigned int k;
	int hit = 0;
	double t0;

	if (!s->x) {	/* no work to time (above) */
		__atomic_store_n(&s->processed, s->processed + 1,
				 __ATOMIC_RELAXED);
		return;
	}
	t0 = now_s();
	for (k = 0; k < s->x; k++)
		hit = pcap_offline_filter(s->prog, h, data);
	s->matched += hit != 0;
	__atomic_store_n(&s->processed, s->processed + 1, __ATOMIC_RELAXED);
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
	free(q);
}

/*
 * Socket and umem for queue qid, XDP attached with xdp_flags (libxdp's
 * default program, if none is there yet; the socket goes into its
 * xsks_map at qid). Returns 0 and sets *qp, or -errno.
 */
static int xsk_queue_open(struct xsk_queue **qp, const char *ifname,
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
	struct xsk_queue *q = calloc(1, sizeof(*q));
	unsigned int i;
	int err;

	if (!q)
		return -ENOMEM;
	q->qid = qid;
	q->area = mmap(NULL, size, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
	if (q->area == MAP_FAILED) {
		err = -errno;
		q->area = NULL;
		goto err_close;
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
	*qp = q;
	return 0;

err_close:
	xsk_queue_close(q);
	return err;
}

/* The XDP attach mode the first socket got; the later ones use it. */
static __u32 xsk_flags;

/* One more socket for c, on queue qid. 0 or -1 (said why). */
static int xsk_add(struct capture *c, const char *ifname, unsigned int qid)
{
	struct xsk_queue **q;
	int err;

	q = realloc(c->q, (c->nq + 1) * sizeof(*c->q));
	if (!q) {
		fprintf(stderr, PROG ": out of memory\n");
		return -1;
	}
	c->q = q;
	if (xsk_flags) {
		err = xsk_queue_open(&q[c->nq], ifname, qid, xsk_flags);
	} else {
		/* Native first; the first socket attaches the program. */
		xsk_flags = XDP_FLAGS_DRV_MODE;
		err = xsk_queue_open(&q[c->nq], ifname, qid, xsk_flags);
		if (err) {
			fprintf(stderr, PROG ": %s: native XDP: %s; trying "
				"SKB mode\n", ifname, strerror(-err));
			xsk_flags = XDP_FLAGS_SKB_MODE;
			err = xsk_queue_open(&q[c->nq], ifname, qid,
					     xsk_flags);
		}
	}
	if (err) {
		fprintf(stderr, PROG ": %s: AF_XDP socket on queue %u: %s\n",
			ifname, qid, strerror(-err));
		return -1;
	}
	c->nq++;
	return 0;
}

/*
 * Sockets on every RX queue of ifname (queue < 0), or on that queue.
 * Every queue is counted after the first socket is bound, not before:
 * attaching XDP may add RX queues. virtio_net takes a queue pair more per
 * CPU for XDP_TX when the device has them (2 queue pairs of 4 in use with
 * 2 vCPUs: all 4 with a program), and the device then delivers to all of
 * them (the tap picks a queue per flow, or the RSS table, which
 * virtio_net spreads over the new count): sockets on the queues counted
 * before the attach would leave the flows of the others to the stack.
 */
static int xsk_open(struct capture *c, const char *ifname, int queue)
{
	int n = rx_queue_count(ifname), m;
	unsigned int i;

	if (n <= 0) {
		fprintf(stderr, PROG ": %s: no RX queues in /sys/class/net\n",
			ifname);
		return -1;
	}
	/* (a queue beyond n may appear with the program: bind tells) */
	libbpf_set_print(libbpf_warnings);
	if (xsk_add(c, ifname, queue < 0 ? 0 : (unsigned int)queue))
		return -1;
	if (queue < 0) {
		n = rx_queue_count(ifname);
		for (i = 1; (int)i < n; i++)
			if (xsk_add(c, ifname, i))
				return -1;
		m = rx_queue_count(ifname);
		if (m != n) {
			fprintf(stderr, PROG ": %s: the RX queues changed "
				"from %d to %d while binding sockets\n", ifname,
				n, m);
			return -1;
		}
	}
	c->pfd = calloc(c->nq, sizeof(*c->pfd));
	if (!c->pfd) {
		fprintf(stderr, PROG ": out of memory\n");
		return -1;
	}
	for (i = 0; i < c->nq; i++) {
		c->pfd[i].fd = xsk_socket__fd(c->q[i]->xsk);
		c->pfd[i].events = POLLIN;
	}
	c->npfd = c->nq;
	return 0;
}

/*
 * What is attached to ifname once every socket is bound: libxdp's AF_XDP
 * program (xsk_def_prog, alone or behind its dispatcher), in which mode.
 * Returns "native", "skb", or NULL (said why).
 */
static const char *xsk_attached(const char *ifname)
{
	struct xdp_program *p = NULL;
	struct xdp_multiprog *mp;
	const char *mode = NULL;
	int ifindex = (int)if_nametoindex(ifname);
	long err;

	mp = xdp_multiprog__get_from_ifindex(ifindex);
	err = libxdp_get_error(mp);
	if (err) {
		fprintf(stderr, PROG ": %s: no XDP program attached: %s\n",
			ifname, strerror((int)-err));
		return NULL;
	}
	if (xdp_multiprog__is_legacy(mp)) {
		p = xdp_multiprog__main_prog(mp);
		if (p && strcmp(xdp_program__name(p), "xsk_def_prog"))
			p = NULL;
	} else {
		while ((p = xdp_multiprog__next_prog(p, mp)))
			if (!strcmp(xdp_program__name(p), "xsk_def_prog"))
				break;
	}
	switch (xdp_multiprog__attach_mode(mp)) {
	case XDP_MODE_NATIVE: mode = "native"; break;
	case XDP_MODE_SKB: mode = "skb"; break;
	default: break;
	}
	if (!p || !mode) {
		fprintf(stderr, PROG ": %s: %s\n", ifname, p ? "XDP attached "
			"in an unexpected mode" : "libxdp's AF_XDP program "
			"(xsk_def_prog) is not attached");
		mode = NULL;
	}
	xdp_multiprog__close(mp);
	return mode;
}

/* Drain every RX ring into the handler, refill. Returns the packets. */
static unsigned int xsk_dispatch(struct capture *c, struct state *s)
{
	unsigned int total = 0, i, k;

	for (i = 0; i < c->nq; i++) {
		struct xsk_queue *q = c->q[i];
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
		q->rx_seen += n;
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

		if (getsockopt(xsk_socket__fd(c->q[i]->xsk), SOL_XDP,
			       XDP_STATISTICS, &st, &len)) {
			perror(PROG ": XDP_STATISTICS");
			return -1;
		}
		/*
		 * Copy mode counts a packet lost to an empty fill ring in
		 * rx_dropped and in rx_fill_ring_empty_descs, one lost to a
		 * full RX ring in rx_ring_full only.
		 */
		c->q[i]->dropped = st.rx_dropped + st.rx_ring_full;
		*dropped += c->q[i]->dropped;
		*fill_empty += st.rx_fill_ring_empty_descs;
	}
	return 0;
}

/* ---- the libpcap engines ---------------------------------------------- */

/*
 * Create and activate; fanout > 0: join the AF_PACKET fanout group of
 * that id, by RX queue. Nothing is read yet (see capture_ready()).
 */
static int pcap_engine_open(struct capture *c, const char *dev, int buf,
			    int fanout)
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
	if (fanout > 0) {
		int v = fanout | PACKET_FANOUT_QM << 16;

		if (setsockopt(pcap_fileno(c->p), SOL_PACKET, PACKET_FANOUT,
			       &v, sizeof(v))) {
			fprintf(stderr, PROG ": %s: PACKET_FANOUT: %s\n", dev,
				strerror(errno));
			return -1;
		}
	}
	return 0;
}

/*
 * Once every handle is activated (asking a WireCAP handle for its fd
 * starts its session, and a handle activated after that would not join
 * it): non-blocking, waiting in poll(), where there is a selectable fd
 * (on AF_PACKET (TPACKET_V3) a blocking read's timeout only starts with
 * the first packet, so a quiet link would never let us look at the
 * until-file). WireCAP handles sharing a session have none: they read
 * blocking, at most the 10 ms timeout at a time.
 */
static int pcap_engine_ready(struct capture *c, const char *dev)
{
	char eb[PCAP_ERRBUF_SIZE];
	int fd = pcap_get_selectable_fd(c->p);

	if (fd < 0 && c->engine == ENGINE_WIRECAP)
		return 0;
	c->pfd = calloc(1, sizeof(*c->pfd));
	if (!c->pfd) {
		fprintf(stderr, PROG ": out of memory\n");
		return -1;
	}
	c->pfd->fd = fd;
	c->pfd->events = POLLIN;
	c->npfd = 1;
	if (fd < 0 || pcap_setnonblock(c->p, 1, eb)) {
		fprintf(stderr, PROG ": %s: no selectable fd\n", dev);
		return -1;
	}
	return 0;
}

/* ---- one capture, whatever the engine ---------------------------------- */

static enum engine dev_engine(const char *dev)
{
	if (!strncmp(dev, "xsk:", 4))
		return ENGINE_XSK;
	return strncmp(dev, "wirecap:", 8) ? ENGINE_AFPACKET : ENGINE_WIRECAP;
}

/* The interface of a device name: eth0 of xsk:eth0, wirecap:eth0@1. */
static const char *dev_ifname(const char *dev, char *name, size_t size)
{
	const char *ifname = strchr(dev, ':') ? strchr(dev, ':') + 1 : dev;

	snprintf(name, size, "%.*s", (int)strcspn(ifname, "@"), ifname);
	return name;
}

/*
 * The queue of a device name (xsk:eth0@2: 2), -1 without one, -2 if what
 * follows the '@' is not a queue number.
 */
static int dev_queue(const char *dev)
{
	const char *at = strchr(dev, '@');
	char *end;
	long v;

	if (!at)
		return -1;
	errno = 0;
	v = strtol(at + 1, &end, 10);
	if (errno || end == at + 1 || *end || v < 0 || v > 65535)
		return -2;
	return (int)v;
}

/*
 * Open dev for one thread: queue < 0 every queue (one thread), else that
 * queue, for thread queue of a fanout group (afpacket: fanout > 0 its id).
 * xsk:IF@Q: queue Q only.
 */
static int capture_open(struct capture *c, const char *dev, int buf,
			int queue, int fanout)
{
	char qdev[128], name[IFNAMSIZ];

	c->engine = dev_engine(dev);
	if (c->engine == ENGINE_XSK)
		return xsk_open(c, dev_ifname(dev, name, sizeof(name)),
				queue < 0 ? dev_queue(dev) : queue);
	if (c->engine == ENGINE_WIRECAP && queue >= 0) {
		snprintf(qdev, sizeof(qdev), "%s@%d", dev, queue);
		dev = qdev;
	}
	return pcap_engine_open(c, dev, buf,
				c->engine == ENGINE_AFPACKET ? fanout : 0);
}

static int capture_ready(struct capture *c, const char *dev)
{
	return c->engine == ENGINE_XSK ? 0 : pcap_engine_ready(c, dev);
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
		xsk_queue_close(c->q[i]);
	free(c->q);
	free(c->pfd);
	if (c->p)
		pcap_close(c->p);
}

/* ---- the stock driver's settings: RSS key, GRO ---------------------------- */

static int ethtool_ioctl(const char *ifname, void *data, const char *what)
{
	struct ifreq ifr = { 0 };
	int fd, ret = -1;

	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", ifname);
	ifr.ifr_data = data;
	fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd >= 0 && !ioctl(fd, SIOCETHTOOL, &ifr))
		ret = 0;
	else
		fprintf(stderr, PROG ": %s: %s: %s\n", ifname, what,
			strerror(errno));
	if (fd >= 0)
		close(fd);
	return ret;
}

/*
 * GRO off: otherwise the stack merges a TCP connection's segments before
 * AF_PACKET sees them (XDP and WireCAP see every frame).
 */
static int set_gro_off(const char *ifname)
{
	struct ethtool_value v = { .cmd = ETHTOOL_SGRO, .data = 0 };

	return ethtool_ioctl(ifname, &v, "turning GRO off");
}

static int hexval(int ch)
{
	if (ch >= '0' && ch <= '9')
		return ch - '0';
	if (ch >= 'a' && ch <= 'f')
		return ch - 'a' + 10;
	if (ch >= 'A' && ch <= 'F')
		return ch - 'A' + 10;
	return -1;
}

/* Set ifname's Toeplitz key (hex, ':' allowed between bytes). 0 or -1. */
static int set_rss_key(const char *ifname, const char *hex)
{
	struct ethtool_rxfh *rxfh;
	unsigned char key[256];
	size_t n = 0;
	int ret;

	while (*hex) {
		if (*hex == ':') {
			hex++;
			continue;
		}
		if (n == sizeof(key) || hexval(hex[0]) < 0 ||
		    hexval(hex[1]) < 0) {
			fprintf(stderr, PROG ": --rss-key: not a hex key\n");
			return -1;
		}
		key[n++] = (unsigned char)(hexval(hex[0]) << 4 |
					   hexval(hex[1]));
		hex += 2;
	}
	rxfh = calloc(1, sizeof(*rxfh) + n);
	if (!rxfh || !n) {
		fprintf(stderr, PROG ": --rss-key: %s\n",
			n ? "out of memory" : "empty key");
		free(rxfh);
		return -1;
	}
	rxfh->cmd = ETHTOOL_SRSSH;
	rxfh->indir_size = ETH_RXFH_INDIR_NO_CHANGE;
	rxfh->key_size = (__u32)n;
	rxfh->hfunc = 0;		/* the kernel's ETH_RSS_HASH_NO_CHANGE */
	memcpy(rxfh->rss_config, key, n);
	ret = ethtool_ioctl(ifname, rxfh, "setting the RSS key");
	free(rxfh);
	return ret;
}

/* ---- where the packets went: the NIC's and the stack's counters --------- */

/*
 * Read before the capture is opened and after it ended, so that a run
 * can tell whether what the engine reports lost was offered to it:
 * the NIC's netdev statistics (frames its driver received, frames it
 * dropped or missed), and the packets that entered the kernel's receive
 * path (__netif_receive_skb_core: /proc/net/softnet_stat's first column,
 * summed over the CPUs). AF_PACKET takes its packets there; native XDP
 * and WireCAP take theirs before it, so there a packet of the run that
 * went into the stack is one the engine never saw (generic XDP runs
 * after the count: it counts the engine's packets too).
 */
struct where {
	unsigned long long nic_rx, nic_drop, stack;
};

/* One number from a sysfs file; a missing file reads 0. 0 or -1. */
static int read_ull(const char *dir, const char *file,
		    unsigned long long *v)
{
	char path[256];
	FILE *f;
	int ok;

	*v = 0;
	snprintf(path, sizeof(path), "%s/%s", dir, file);
	f = fopen(path, "r");
	if (!f)
		return errno == ENOENT ? 0 : -1;
	ok = fscanf(f, "%llu", v) == 1;
	fclose(f);
	return ok ? 0 : -1;
}

static int where_read(const char *ifname, struct where *wh)
{
	unsigned long long drop, missed;
	unsigned int processed;
	char dir[128], line[512];
	FILE *f;

	snprintf(dir, sizeof(dir), "/sys/class/net/%s/statistics", ifname);
	if (read_ull(dir, "rx_packets", &wh->nic_rx) ||
	    read_ull(dir, "rx_dropped", &drop) ||
	    read_ull(dir, "rx_missed_errors", &missed)) {
		fprintf(stderr, PROG ": %s: cannot read %s\n", ifname, dir);
		return -1;
	}
	wh->nic_drop = drop + missed;
	f = fopen("/proc/net/softnet_stat", "r");
	if (!f) {
		perror(PROG ": /proc/net/softnet_stat");
		return -1;
	}
	wh->stack = 0;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "%x", &processed) == 1)
			wh->stack += processed;
	fclose(f);
	return 0;
}

/* Create path (empty): the capture is ready for the traffic. 0 or -1. */
static int say_ready(const char *path)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);

	if (fd < 0) {
		fprintf(stderr, PROG ": %s: %s\n", path, strerror(errno));
		return -1;
	}
	close(fd);
	return 0;
}

/* ---- the threads ------------------------------------------------------- */

/* One capture thread: its capture, its handler state, its counts. */
struct worker {
	struct capture cap;
	struct state s;
	int queue;		/* the queue it reads; -1: every queue */
	pthread_t tid;
	clockid_t cpu_clock;	/* its CPU time, read by the main thread */
	pid_t sys_tid;		/* for its schedstat; 0 until it runs */
	int dispatched;		/* its first capture_dispatch returned */
	int started, failed;
	unsigned long long received, dropped, fill_empty;
	unsigned long long seen;	/* packets that reached the engine */
	struct pcap_stat ps;	/* libpcap engines */
};

static int stop_all;		/* the main thread tells the threads */

static pid_t sys_gettid(void)
{
	return (pid_t)syscall(SYS_gettid);
}

static void *worker_run(void *arg)
{
	struct worker *w = arg;
	int n;

	__atomic_store_n(&w->sys_tid, sys_gettid(), __ATOMIC_RELEASE);
	while (!__atomic_load_n(&stop_all, __ATOMIC_RELAXED)) {
		n = capture_dispatch(&w->cap, &w->s);
		/* the shim's session (its threads) runs from here on */
		__atomic_store_n(&w->dispatched, 1, __ATOMIC_RELEASE);
		if (n < 0) {
			__atomic_store_n(&w->failed, 1, __ATOMIC_RELAXED);
			break;
		}
		/* blocking handles (npfd 0) waited in pcap_dispatch */
		if (!n && w->cap.npfd)
			poll(w->cap.pfd, w->cap.npfd, 10);
	}
	return NULL;
}

/* A thread's counts, after it ended. 0 or -1. */
static int worker_stats(struct worker *w)
{
	if (w->cap.engine == ENGINE_XSK) {
		if (xsk_stats(&w->cap, &w->dropped, &w->fill_empty))
			return -1;
		w->received = w->cap.rx_seen;
		w->seen = w->received + w->dropped;
		return 0;
	}
	if (pcap_stats(w->cap.p, &w->ps)) {
		fprintf(stderr, PROG ": %s\n", pcap_geterr(w->cap.p));
		return -1;
	}
	w->received = w->ps.ps_recv;
	w->dropped = (unsigned long long)w->ps.ps_drop + w->ps.ps_ifdrop;
	/* AF_PACKET's and the shim's ps_recv count their drops too */
	w->seen = w->ps.ps_recv;
	return 0;
}

/*
 * Where the CPU went, read by the main thread at each of its looks: the
 * whole process's CPU seconds, the main thread's and each worker's (their
 * clocks read back to back), then each worker's seconds runnable but not
 * running (schedstat's run_delay: waiting for a CPU, all of them busy or
 * the idle one not yet found) and the other threads' summed (libwirecap's
 * capture thread, under the shim). The schedstat files are opened once
 * (sched_open), after every worker's first capture_dispatch returned (the
 * shim starts its session, and its threads, in the first one): a look
 * costs a clock read or a pread per thread. A thread created later is not
 * counted: sched_check() then drops the other threads' figure. A worker
 * that ended keeps its last figures.
 */
#define MAX_OTHERS	16

struct cpu_src {
	int wfd[MAX_THREADS];	/* the workers' schedstat, or -1 */
	int nwfd;		/* wfd entries opened (0: none) */
	int ofd[MAX_OTHERS];	/* the other threads', or -1 */
	int no;
	int wok, lok;		/* every worker's, every other's wait read */
};

struct cpu_look {
	double t, proc, main, w[MAX_THREADS], wait[MAX_THREADS];
	double lib_wait;
};

static int sched_fd(pid_t tid)
{
	char path[64];

	snprintf(path, sizeof(path), "/proc/self/task/%d/schedstat", (int)tid);
	return open(path, O_RDONLY | O_CLOEXEC);
}

/*
 * Open the workers' schedstat and those of the threads that are neither
 * a worker nor the caller (the main thread). Every worker has stored its
 * sys_tid. wok (lok) stays 0 if a worker's (another's) cannot be opened:
 * that wait is not recorded.
 */
static void sched_open(struct cpu_src *src, const struct worker *w, int nw)
{
	pid_t me = sys_gettid(), tid;
	struct dirent *d;
	DIR *dir;
	int i;

	src->wok = src->lok = 1;
	src->no = 0;
	for (i = 0; i < nw; i++) {
		src->wfd[i] = sched_fd(__atomic_load_n(&w[i].sys_tid,
						       __ATOMIC_ACQUIRE));
		if (src->wfd[i] < 0)
			src->wok = 0;
	}
	src->nwfd = nw;
	dir = opendir("/proc/self/task");
	if (!dir) {
		src->lok = 0;
		return;
	}
	while ((d = readdir(dir))) {
		tid = (pid_t)atoi(d->d_name);
		if (tid <= 0 || tid == me)
			continue;
		for (i = 0; i < nw; i++)
			if (tid == w[i].sys_tid)
				break;
		if (i < nw)
			continue;
		if (src->no == MAX_OTHERS) {
			src->lok = 0;
			break;
		}
		src->ofd[src->no] = sched_fd(tid);
		if (src->ofd[src->no++] < 0)
			src->lok = 0;
	}
	closedir(dir);
}

/*
 * While every worker still runs: a thread that came after sched_open (so
 * its wait is missing from the other threads') drops that figure. The
 * process's thread count is /proc/self/stat's 20th field.
 */
static void sched_check(struct cpu_src *src, const struct worker *w, int nw)
{
	int i, n = 1 + src->no, threads = -1;
	char buf[1024], *p;
	ssize_t len;
	int fd;

	for (i = 0; i < nw; i++)
		n += w[i].started;
	fd = open("/proc/self/stat", O_RDONLY | O_CLOEXEC);
	if (fd >= 0) {
		len = read(fd, buf, sizeof(buf) - 1);
		close(fd);
		/* after the command's closing parenthesis: fields 3 on */
		p = len > 0 ? (buf[len] = '\0', strrchr(buf, ')')) : NULL;
		if (p && sscanf(p + 1, " %*c %*d %*d %*d %*d %*d %*u %*u %*u "
				"%*u %*u %*u %*u %*d %*d %*d %*d %d",
				&threads) != 1)
			threads = -1;
	}
	if (threads != n)
		src->lok = 0;
}

static void sched_close(struct cpu_src *src)
{
	int i;

	for (i = 0; i < src->nwfd; i++)
		if (src->wfd[i] >= 0)
			close(src->wfd[i]);
	for (i = 0; i < src->no; i++)
		if (src->ofd[i] >= 0)
			close(src->ofd[i]);
}

/* A schedstat's run_delay in seconds; 0, or -1 if it cannot be read. */
static int run_delay(int fd, double *s)
{
	unsigned long long run, delay;
	char buf[96];
	ssize_t n;

	if (fd < 0)
		return -1;
	n = pread(fd, buf, sizeof(buf) - 1, 0);
	if (n <= 0)
		return -1;
	buf[n] = '\0';
	if (sscanf(buf, "%llu %llu", &run, &delay) != 2)
		return -1;
	*s = delay / 1e9;
	return 0;
}

static double clock_s(clockid_t c, double old)
{
	struct timespec ts;

	if (clock_gettime(c, &ts))
		return old;
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void cpu_look(struct cpu_look *l, struct cpu_src *src,
		     const struct worker *w, int nw)
{
	double v, sum = 0;
	int i;

	l->t = now_s();
	l->proc = clock_s(CLOCK_PROCESS_CPUTIME_ID, l->proc);
	l->main = clock_s(CLOCK_THREAD_CPUTIME_ID, l->main);
	for (i = 0; i < nw; i++)
		if (w[i].started)
			l->w[i] = clock_s(w[i].cpu_clock, l->w[i]);
	for (i = 0; src->wok && i < nw; i++) {
		if (run_delay(src->wfd[i], &v))
			src->wok = 0;	/* a worker that ended: as the others */
		else
			l->wait[i] = v;
	}
	if (!src->lok)
		return;
	for (i = 0; i < src->no; i++) {
		if (run_delay(src->ofd[i], &v)) {
			src->lok = 0;	/* one ended: the sum would fall */
			return;
		}
		sum += v;
	}
	l->lib_wait = sum;
}

/*
 * The machine's busiest PEAK_SPAN_S while packets came: a trace's bursts
 * can keep every CPU busy for a second while the window's average says
 * they idled half of it. The main thread's looks (time, busy ticks) go
 * into a ring that holds more than PEAK_SPAN_S of them; each look ends a
 * span from the latest look at least PEAK_SPAN_S before it. A span counts
 * once a later look saw packets processed (pending until then), so the
 * idle tail after the last packet does not. No span of PEAK_SPAN_S, as
 * in a window shorter than that: no figure (peak < 0).
 */
#define PEAK_SPAN_S	1.0
#define PEAK_LOOKS	512	/* 5 s of 10 ms looks */

struct busy_peak {
	double t[PEAK_LOOKS];
	unsigned long long ticks[PEAK_LOOKS];
	unsigned int head, n;	/* oldest entry, entries */
	double pending, peak;
	double per_s;		/* ticks a second of every CPU */
};

static void peak_reset(struct busy_peak *p, long hz, long ncpu)
{
	p->head = p->n = 0;
	p->pending = p->peak = -1;
	p->per_s = (double)hz * ncpu;
}

static void peak_add(struct busy_peak *p, double t, unsigned long long ticks,
		     int packets)
{
	unsigned int i, k;
	double share;

	if (p->n == PEAK_LOOKS) {
		p->head = (p->head + 1) % PEAK_LOOKS;
		p->n--;
	}
	i = (p->head + p->n++) % PEAK_LOOKS;
	p->t[i] = t;
	p->ticks[i] = ticks;
	/* drop the oldest while the next one still starts a full span */
	while (p->n > 2 &&
	       t - p->t[(p->head + 1) % PEAK_LOOKS] >= PEAK_SPAN_S) {
		p->head = (p->head + 1) % PEAK_LOOKS;
		p->n--;
	}
	k = p->head;
	if (p->per_s > 0 && t - p->t[k] >= PEAK_SPAN_S && ticks >= p->ticks[k]) {
		share = (ticks - p->ticks[k]) / (p->per_s * (t - p->t[k]));
		if (share > 1)
			share = 1;
		if (share > p->pending)
			p->pending = share;
	}
	if (packets) {
		if (p->pending > p->peak)
			p->peak = p->pending;
		p->pending = -1;
	}
}

static unsigned long long processed_now(struct worker *w, int nw)
{
	unsigned long long n = 0;
	int i;

	for (i = 0; i < nw; i++)
		n += __atomic_load_n(&w[i].s.processed, __ATOMIC_RELAXED);
	return n;
}

static void usage(FILE *f)
{
	fprintf(f, "usage: " PROG " -i [xsk:|wirecap:]DEV[@Q] [-q N] [-x N] "
		"[-B BYTES] [-f FILTER] [--rss-key HEX] [--no-gro] "
		"[--ready-file PATH] "
		"--until-file PATH [--idle-ms N] [--json FILE]\n");
}

int main(int argc, char **argv)
{
	static const struct option lopts[] = {
		{ "until-file", required_argument, NULL, 'u' },
		{ "idle-ms", required_argument, NULL, 'I' },
		{ "json", required_argument, NULL, 'j' },
		{ "rss-key", required_argument, NULL, 'K' },
		{ "no-gro", no_argument, NULL, 'G' },
		{ "ready-file", required_argument, NULL, 'R' },
		{ NULL, 0, NULL, 0 },
	};
	const char *dev = NULL, *until = NULL, *json = NULL, *rss_key = NULL;
	const char *filter = "net 131.225.2 and udp", *ready = NULL;
	const char *xdp_mode = NULL;
	unsigned long long last = 0, total, received = 0, dropped = 0;
	unsigned long long processed = 0, matched = 0, fill_empty = 0, seen = 0;
	struct where wh0, wh1;
	unsigned long long busy0 = 0, busy_last = 0;
	struct cpu_look cpu0 = { 0 }, cpu1 = { 0 };
	struct cpu_src src = { .nwfd = 0 };
	static struct busy_peak peak;
	unsigned long long ticks;
	double lib_cpu;
	char peak_s[16];
	long hz = 100, ncpu = 1;
	int saw = 0;
	unsigned int x = 0, sockets = 0;
	struct worker *w = NULL;
	double idle_s = 0.5, last_t, t0, t, busy = 0;
	struct timespec tick = { 0, (long)(BUSY_SAMPLE_S * 1e9) };
	struct bpf_program prog = { 0 };
	pcap_t *comp = NULL;
	struct rusage ru;
	struct stat sb;
	int c, buf = 0, ret = 1, nw = 1, i, k, stat_fd, failed = 0, no_gro = 0;
	int nrx;
	unsigned int j;
	char name[IFNAMSIZ], ifname[IFNAMSIZ];
	FILE *f;

	while ((c = getopt_long(argc, argv, "i:q:x:B:f:h", lopts, NULL)) != -1) {
		switch (c) {
		case 'i': dev = optarg; break;
		case 'q': nw = atoi(optarg); break;
		case 'x': x = (unsigned int)atoi(optarg); break;
		case 'B': buf = atoi(optarg); break;
		case 'f': filter = optarg; break;
		case 'K': rss_key = optarg; break;
		case 'G': no_gro = 1; break;
		case 'R': ready = optarg; break;
		case 'u': until = optarg; break;
		case 'I': idle_s = atoi(optarg) / 1000.0; break;
		case 'j': json = optarg; break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (!dev || !until || optind != argc || nw < 1 || nw > MAX_THREADS ||
	    (buf > 0 && dev_engine(dev) == ENGINE_XSK) ||
	    (dev_engine(dev) == ENGINE_XSK && dev_queue(dev) == -2) ||
	    (nw > 1 && dev_engine(dev) != ENGINE_AFPACKET && strchr(dev, '@'))) {
		usage(stderr);
		return 2;
	}
	dev_ifname(dev, ifname, sizeof(ifname));
	stat_fd = open("/proc/stat", O_RDONLY | O_CLOEXEC);
	if (stat_fd < 0) {
		perror(PROG ": /proc/stat");
		return 1;
	}
	w = calloc(nw, sizeof(*w));
	if (!w) {
		fprintf(stderr, PROG ": out of memory\n");
		goto err_close;
	}
	if (rss_key && set_rss_key(dev_ifname(dev, name, sizeof(name)),
				   rss_key))
		goto err_close;
	if (no_gro && set_gro_off(dev_ifname(dev, name, sizeof(name))))
		goto err_close;
	/* Before any engine is there: a WireCAP queue's attach starts the
	 * replay. */
	if (where_read(ifname, &wh0))
		goto err_close;
	/*
	 * Every handle activated before any is read (see capture_ready()).
	 * PACKET_FANOUT_QM picks member (queue_mapping % members), and a
	 * received skb's queue_mapping is its RX queue + 1
	 * (skb_record_rx_queue): so the member that joins k-th gets queue
	 * k - 1, and thread N-1 joins first for each thread i to get queue i.
	 */
	for (k = 0; k < nw; k++) {
		i = nw > 1 && dev_engine(dev) == ENGINE_AFPACKET ?
		    (k + nw - 1) % nw : k;
		w[i].queue = nw > 1 ? i : -1;
		if (capture_open(&w[i].cap, dev, buf, w[i].queue,
				 nw > 1 ? (getpid() & 0xffff) + 1 : 0))
			goto err_close;
	}
	for (i = 0; i < nw; i++)
		if (capture_ready(&w[i].cap, dev))
			goto err_close;
	/*
	 * xsk: the program is there, and every RX queue the NIC has now
	 * (with the program attached) has a socket, unless one queue was
	 * asked for (xsk:IF@Q); else a flow on a queue without one would
	 * go to the stack unseen.
	 */
	if (w[0].cap.engine == ENGINE_XSK) {
		xdp_mode = xsk_attached(ifname);
		if (!xdp_mode)
			goto err_close;
		for (i = 0; i < nw; i++)
			sockets += w[i].cap.nq;
		nrx = rx_queue_count(ifname);
		if (dev_queue(dev) < 0 && nrx != (int)sockets) {
			fprintf(stderr, PROG ": %s: %d RX queues with XDP "
				"attached, AF_XDP sockets on %u\n", ifname, nrx,
				sockets);
			goto err_close;
		}
		if (dev_queue(dev) >= 0 && nrx > 1)
			fprintf(stderr, PROG ": %s: an AF_XDP socket on queue "
				"%d only, of %d: what the others receive goes "
				"to the stack\n", ifname, dev_queue(dev), nrx);
	}
	/* The filter: on a live handle, or for Ethernet where there is none. */
	comp = w[0].cap.p ? w[0].cap.p : pcap_open_dead(DLT_EN10MB, 65535);
	if (!comp) {
		fprintf(stderr, PROG ": pcap_open_dead failed\n");
		goto err_close;
	}
	if (pcap_compile(comp, &prog, filter, 1, PCAP_NETMASK_UNKNOWN)) {
		fprintf(stderr, PROG ": %s\n", pcap_geterr(comp));
		ret = 2;
		goto err_close;
	}
	for (i = 0; i < nw; i++) {
		w[i].s.prog = &prog;
		w[i].s.x = x;
		if (pthread_create(&w[i].tid, NULL, worker_run, &w[i])) {
			fprintf(stderr, PROG ": pthread_create failed\n");
			failed = 1;
			break;
		}
		if (pthread_getcpuclockid(w[i].tid, &w[i].cpu_clock)) {
			fprintf(stderr, PROG ": pthread_getcpuclockid failed\n");
			failed = 1;
		}
		w[i].started = 1;
	}
	/*
	 * every worker past its first capture_dispatch (the shim's session
	 * started, its threads too; a dispatch waits 10 ms at most, but
	 * never more than a second here: sched_check catches a late one):
	 * their schedstat files
	 */
	t = now_s();
	for (i = 0; i < nw; i++)
		while (w[i].started &&
		       !__atomic_load_n(&w[i].dispatched, __ATOMIC_ACQUIRE) &&
		       !__atomic_load_n(&w[i].failed, __ATOMIC_RELAXED) &&
		       now_s() - t < 1)
			usleep(100);
	sched_open(&src, w, nw);
	/* every socket bound, every thread polling: the traffic may come */
	if (!failed && ready && say_ready(ready))
		failed = 1;
	/*
	 * Until the first packet (of any thread) the window of the machine's
	 * busy ticks keeps starting anew, at most 10 ms before it: an engine
	 * that listens longer before the traffic is not charged for the idle
	 * machine's ticks. Then a sample whenever packets were processed since
	 * the last look, so the last one is taken after the last packet.
	 */
	hz = sysconf(_SC_CLK_TCK);
	ncpu = sysconf(_SC_NPROCESSORS_ONLN);
	peak_reset(&peak, hz, ncpu);
	if (busy_read(stat_fd, &busy0)) {
		fprintf(stderr, PROG ": /proc/stat: no cpu line\n");
		failed = 1;
	}
	busy_last = busy0;
	cpu_look(&cpu0, &src, w, nw);
	cpu1 = cpu0;
	t0 = last_t = cpu0.t;
	peak_add(&peak, t0, busy0, 0);
	while (!failed) {
		nanosleep(&tick, NULL);
		for (i = 0; i < nw; i++)
			failed |= __atomic_load_n(&w[i].failed,
						  __ATOMIC_RELAXED);
		total = processed_now(w, nw);
		t = now_s();
		if (!total) {
			/* the window starts anew: all of it or nothing */
			if (!busy_read(stat_fd, &busy0)) {
				busy_last = busy0;
				cpu_look(&cpu0, &src, w, nw);
				cpu1 = cpu0;
				peak_reset(&peak, hz, ncpu);
				peak_add(&peak, t, busy0, 0);
			}
		} else {
			/* packets since the last look that read the ticks */
			saw |= total != last;
			if (!busy_read(stat_fd, &ticks)) {
				peak_add(&peak, t, ticks, saw);
				if (saw) {
					busy_last = ticks;
					cpu_look(&cpu1, &src, w, nw);
				}
				saw = 0;
			}
		}
		if (total != last) {
			last = total;
			last_t = t;
		} else if (!stat(until, &sb) && t - last_t >= idle_s &&
			   t - t0 >= idle_s) {
			break;
		}
	}
	sched_check(&src, w, nw);
	__atomic_store_n(&stop_all, 1, __ATOMIC_RELAXED);
	for (i = 0; i < nw; i++)
		if (w[i].started)
			pthread_join(w[i].tid, NULL);
	if (failed || where_read(ifname, &wh1))
		goto err_freecode;
	for (i = 0; i < nw; i++) {
		if (worker_stats(&w[i]))
			goto err_freecode;
		received += w[i].received;
		dropped += w[i].dropped;
		seen += w[i].seen;
		fill_empty += w[i].fill_empty;
		processed += w[i].s.processed;
		matched += w[i].s.matched;
		busy += w[i].s.busy;
	}
	getrusage(RUSAGE_SELF, &ru);
	lib_cpu = (cpu1.proc - cpu0.proc) - (cpu1.main - cpu0.main);
	for (i = 0; i < nw; i++)
		lib_cpu -= cpu1.w[i] - cpu0.w[i];
	f = json && strcmp(json, "-") ? fopen(json, "w") : stdout;
	if (!f) {
		perror(json);
		goto err_freecode;
	}
	fprintf(f, "{\"device\": \"%s\", \"engine\": \"%s\", \"x\": %u, "
		"\"buffer\": %d, \"received\": %llu, \"dropped\": %llu, "
		"\"processed\": %llu, \"matched\": %llu, \"pp\": %.0f, "
		"\"cpu_s\": %.3f, \"guest_busy_s\": %.3f", dev,
		engine_name[w[0].cap.engine], x, buf, received, dropped,
		processed, matched, busy > 0 ? processed / busy : 0,
		ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 +
		ru.ru_stime.tv_sec + ru.ru_stime.tv_usec / 1e6,
		busy_last >= busy0 ?
		(double)(busy_last - busy0) / hz : 0);
	fprintf(f, ", \"window_s\": %.3f, \"ncpu\": %ld, \"lib_cpu_s\": %.3f",
		cpu1.t - cpu0.t, ncpu,
		lib_cpu > 0 ? lib_cpu : 0);
	if (peak.peak >= 0)
		snprintf(peak_s, sizeof(peak_s), "%.3f", peak.peak);
	else
		snprintf(peak_s, sizeof(peak_s), "null");
	fprintf(f, ", \"guest_peak_busy\": %s", peak_s);
	if (src.lok)
		fprintf(f, ", \"lib_wait_s\": %.3f",
			cpu1.lib_wait - cpu0.lib_wait);
	else
		fprintf(f, ", \"lib_wait_s\": null");
	fprintf(f, ", \"seen\": %llu, \"nic_rx_packets\": %llu, "
		"\"nic_rx_dropped\": %llu, \"stack_packets\": %llu", seen,
		wh1.nic_rx - wh0.nic_rx, wh1.nic_drop - wh0.nic_drop,
		wh1.stack - wh0.stack);
	if (w[0].cap.engine == ENGINE_XSK) {
		fprintf(f, ", \"xdp_mode\": \"%s\", \"queues\": %u, "
			"\"fill_ring_empty\": %llu, \"sockets\": [", xdp_mode,
			sockets, fill_empty);
		for (i = 0, k = 0; i < nw; i++)
			for (j = 0; j < w[i].cap.nq; j++, k++)
				fprintf(f, "%s{\"queue\": %u, \"received\": "
					"%llu, \"dropped\": %llu}", k ? ", " : "",
					w[i].cap.q[j]->qid,
					w[i].cap.q[j]->rx_seen,
					w[i].cap.q[j]->dropped);
		fprintf(f, "]");
	}
	fprintf(f, ", \"threads\": [");
	for (i = 0; i < nw; i++) {
		fprintf(f, "%s{\"queue\": %d, \"processed\": %llu, "
			"\"received\": %llu, \"dropped\": %llu, \"seen\": "
			"%llu, \"pp\": %.0f, \"busy_s\": %.3f, \"cpu_s\": %.3f",
			i ? ", " : "", w[i].queue, w[i].s.processed,
			w[i].received, w[i].dropped, w[i].seen, w[i].s.busy > 0 ?
			w[i].s.processed / w[i].s.busy : 0, w[i].s.busy,
			cpu1.w[i] - cpu0.w[i]);
		if (src.wok)
			fprintf(f, ", \"wait_s\": %.3f",
				cpu1.wait[i] - cpu0.wait[i]);
		else
			fprintf(f, ", \"wait_s\": null");
		if (w[i].cap.engine == ENGINE_WIRECAP)
			fprintf(f, ", \"ps_recv\": %u, \"ps_drop\": %u, "
				"\"ps_ifdrop\": %u", w[i].ps.ps_recv,
				w[i].ps.ps_drop, w[i].ps.ps_ifdrop);
		fprintf(f, "}");
	}
	fprintf(f, "]}\n");
	if (f != stdout)
		fclose(f);
	ret = 0;

err_freecode:
	pcap_freecode(&prog);
err_close:
	if (comp && w && comp != w[0].cap.p)
		pcap_close(comp);
	for (i = 0; w && i < nw; i++)
		capture_close(&w[i].cap);
	free(w);
	sched_close(&src);
	close(stat_fd);
	return ret;
}
