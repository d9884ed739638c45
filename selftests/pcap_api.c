// SPDX-License-Identifier: GPL-2.0
/*
 * The libpcap API on WireCAP devices (lib/pcap/wirecap_pcap.c), call by
 * call, against the software NIC. This program is an ordinary libpcap
 * program: it re-executes itself with libwirecap-pcap.so preloaded (found
 * beside it), as `wirecap exec` would.
 *
 *   open_live       pcap_open_live, pcap_dispatch in order, datalink,
 *                   snapshot, caplen cut at snaplen, stats
 *   nonblock        pcap_setnonblock: dispatch returns 0 at once
 *   poll            pcap_get_selectable_fd wakes poll() when packets come
 *   breakloop       pcap_breakloop from a signal handler ends pcap_loop
 *   next_ex         pcap_next_ex: packets, their data valid until the next
 *                   call, 0 on timeout
 *   filter          pcap_compile + pcap_setfilter; a bad filter fails with
 *                   libpcap's message
 *   tiny_pool       a buffer size smaller than the burst: ps_drop counts
 *                   exactly what did not fit; captured + dropped = sent
 *   bad_names       bad or missing devices, busy queues, wrong states:
 *                   libpcap's error codes
 *   inject          pcap_inject and pcap_sendpacket send through the
 *                   NIC's stack transmit path (a packet tap sees the
 *                   frame; the software NIC, which has no wire there,
 *                   counts its TX drop); errors: a NIC that is down, a
 *                   handle not activated
 *   dump            pcap_dump_open on a nanosecond handle writes a file the
 *                   system libpcap reads back
 *   findalldevs     lists wirecap:NIC beside the system's devices
 *   buddies         two handles, queue 0 and queue 1, in advanced mode
 *                   (WIRECAP_MODE=advanced): queue 0's packets, which
 *                   nobody reads there, are read through queue 1's handle;
 *                   each exactly once; in basic mode they are not
 *   poll_nic_gone   the NIC goes away: the selectable fd turns readable
 *                   and the next read reports the error (poll used to
 *                   wait forever)
 *   own_settings    handles of one NIC with other settings (buffer size,
 *                   WIRECAP_MODE) do not share a session: each keeps its
 *                   own (one joining another's lost them)
 *   close_one       closing one handle of a group: its queue leaves the
 *                   group at once (nothing of the other's is offloaded
 *                   into it, nothing of it is captured any more) and is
 *                   free for another program
 */
#define _GNU_SOURCE
#include <errno.h>
#include <limits.h>
#include <pcap/pcap.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "wctest.h"

#define SHIM	"libwirecap-pcap.so"
#define RING	64

/* Run again with the shim preloaded, before the harness starts. */
__attribute__((constructor))
static void preload_self(int argc, char **argv)
{
	char self[PATH_MAX], shim[PATH_MAX + 32], *slash;
	const char *pre = getenv("LD_PRELOAD");
	ssize_t n;

	if (pre && strstr(pre, SHIM))
		return;
	n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	if (n <= 0)
		return;
	self[n] = 0;
	slash = strrchr(self, '/');
	*slash = 0;
	snprintf(shim, sizeof(shim), "%s/%s", self, SHIM);
	*slash = '/';
	if (access(shim, R_OK)) {
		fprintf(stderr, "# %s not found\n", shim);
		exit(1);
	}
	setenv("LD_PRELOAD", shim, 1);
	execv(self, argv);
	perror("execv");
	exit(1);
}


struct seen {
	uint64_t next;		/* expected sequence number */
	unsigned int n, bad;
	unsigned int caplen, len;
};

static void collect(u_char *user, const struct pcap_pkthdr *h,
		    const u_char *d)
{
	struct seen *s = (struct seen *)user;

	if (h->caplen >= WIRECAP_SOFTNIC_SEQ_OFF + 8 && wct_frame_seq(d) != s->next)
		s->bad++;
	s->next++;
	s->n++;
	s->caplen = h->caplen;
	s->len = h->len;
}

/* Dispatch until want packets or 3 s. */
static unsigned int read_n(pcap_t *p, struct seen *s, unsigned int want)
{
	uint64_t end = wct_now_us() + 3000000;

	while (s->n < want && wct_now_us() < end)
		if (pcap_dispatch(p, -1, collect, (u_char *)s) < 0)
			break;
	return s->n;
}

static pcap_t *make(const char *dev, int (*setup)(pcap_t *), int *ret)
{
	char eb[PCAP_ERRBUF_SIZE];
	pcap_t *p = pcap_create(dev, eb);

	*ret = PCAP_ERROR;
	if (!p)
		return NULL;
	pcap_set_timeout(p, 100);
	if (setup)
		setup(p);
	*ret = pcap_activate(p);
	return p;
}

FIXTURE(pc) {
	char nic[16], dev[48];
	char nic2[16];		/* a test's own NIC, if any */
	pcap_t *p;
};

FIXTURE_SETUP(pc)
{
	self->nic2[0] = '\0';
	ASSERT_EQ(0, wct_nic_new(2, RING, self->nic));
	snprintf(self->dev, sizeof(self->dev), "wirecap:%s", self->nic);
}

FIXTURE_TEARDOWN(pc)
{
	if (self->p)
		pcap_close(self->p);
	if (self->nic2[0])
		wct_nic_del(self->nic2);
	wct_nic_del(self->nic);
}

TEST_F(pc, open_live)
{
	char eb[PCAP_ERRBUF_SIZE];
	struct pcap_stat ps;
	struct seen s = { 0 };

	self->p = pcap_open_live(self->dev, 100, 1, 100, eb);
	ASSERT_NE(NULL, self->p) {
		TH_LOG("%s", eb);
	}
	EXPECT_EQ(DLT_EN10MB, pcap_datalink(self->p));
	EXPECT_EQ(100, pcap_snapshot(self->p));
	ASSERT_EQ(0, wct_inject(self->nic, 0, 300, 200, 0));
	EXPECT_EQ(300, read_n(self->p, &s, 300));
	EXPECT_EQ(0, s.bad);
	EXPECT_EQ(100, s.caplen);	/* cut at snaplen */
	EXPECT_EQ(200, s.len);
	ASSERT_EQ(0, pcap_stats(self->p, &ps));
	EXPECT_EQ(300, ps.ps_recv);
	EXPECT_EQ(0, ps.ps_drop);
	EXPECT_EQ(0, ps.ps_ifdrop);
}

/* A handle whose reads would block for 3 s. */
static int long_timeout(pcap_t *p)
{
	return pcap_set_timeout(p, 3000);
}

TEST_F(pc, nonblock)
{
	char eb[PCAP_ERRBUF_SIZE];
	struct seen s = { 0 };
	uint64_t t0;
	int ret;

	self->p = make(self->dev, long_timeout, &ret);
	ASSERT_EQ(0, ret);
	EXPECT_EQ(0, pcap_getnonblock(self->p, eb));
	ASSERT_EQ(0, pcap_setnonblock(self->p, 1, eb));
	EXPECT_EQ(1, pcap_getnonblock(self->p, eb));
	t0 = wct_now_us();
	EXPECT_EQ(0, pcap_dispatch(self->p, -1, collect, (u_char *)&s));
	/* did not wait for the timeout (generous: a loaded TCG guest) */
	EXPECT_GT(1000000, wct_now_us() - t0);
	ASSERT_EQ(0, wct_inject(self->nic, 1, 50, 64, 0));
	EXPECT_EQ(50, read_n(self->p, &s, 50));
}

TEST_F(pc, poll)
{
	char eb[PCAP_ERRBUF_SIZE];
	struct seen s = { 0 };
	struct pollfd pfd;
	int ret, fd;

	self->p = make(self->dev, NULL, &ret);
	ASSERT_EQ(0, ret);
	ASSERT_EQ(0, pcap_setnonblock(self->p, 1, eb));
	fd = pcap_get_selectable_fd(self->p);
	ASSERT_LE(0, fd);
	EXPECT_EQ(NULL, pcap_get_required_select_timeout(self->p));
	/* nothing yet: a dispatch resets it, poll waits */
	EXPECT_EQ(0, pcap_dispatch(self->p, -1, collect, (u_char *)&s));
	pfd = (struct pollfd){ .fd = fd, .events = POLLIN };
	EXPECT_EQ(0, poll(&pfd, 1, 200));
	ASSERT_EQ(0, wct_inject(self->nic, 0, 20, 64, 0));
	EXPECT_EQ(1, poll(&pfd, 1, 3000));
	EXPECT_EQ(20, read_n(self->p, &s, 20));
	/* drained: quiet again */
	EXPECT_EQ(0, pcap_dispatch(self->p, -1, collect, (u_char *)&s));
	EXPECT_EQ(0, poll(&pfd, 1, 100));
}

static pcap_t *brk_p;

static void on_alarm(int sig)
{
	pcap_breakloop(brk_p);
}

TEST_F(pc, breakloop)
{
	struct sigaction sa = { .sa_handler = on_alarm };
	struct seen s = { 0 };
	uint64_t t0;
	int ret;

	self->p = make(self->dev, NULL, &ret);
	ASSERT_EQ(0, ret);
	brk_p = self->p;
	sigaction(SIGALRM, &sa, NULL);
	ASSERT_EQ(0, wct_inject(self->nic, 0, 10, 64, 0));
	t0 = wct_now_us();
	alarm(1);
	EXPECT_EQ(PCAP_ERROR_BREAK, pcap_loop(self->p, -1, collect,
					      (u_char *)&s));
	EXPECT_EQ(10, s.n);		/* what came, then the break */
	EXPECT_LE(900000, wct_now_us() - t0);
	EXPECT_GT(3000000, wct_now_us() - t0);
}

TEST_F(pc, next_ex)
{
	struct pcap_pkthdr *h, hh;
	const u_char *d, *first, *dd = NULL;
	uint64_t first_seq = 0;
	int ret, i;

	self->p = make(self->dev, NULL, &ret);
	ASSERT_EQ(0, ret);
	EXPECT_EQ(0, pcap_next_ex(self->p, &h, &d));	/* timeout */
	ASSERT_EQ(0, wct_inject(self->nic, 1, 5, 80, 7));
	for (i = 0; i < 5; i++) {
		ret = pcap_next_ex(self->p, &h, &d);
		if (ret == 0)
			ret = pcap_next_ex(self->p, &h, &d);
		ASSERT_EQ(1, ret);
		EXPECT_EQ(80, h->caplen);
		EXPECT_EQ(7 + i, wct_frame_seq(d));
		if (!i) {
			first = d;
			first_seq = wct_frame_seq(first);
		}
	}
	/* pcap_next: the same machinery */
	ASSERT_EQ(0, wct_inject(self->nic, 1, 1, 90, 100));
	for (i = 0; i < 10 && !dd; i++)
		dd = pcap_next(self->p, &hh);
	ASSERT_NE(NULL, dd);
	EXPECT_EQ(90, hh.len);
	EXPECT_EQ(100, wct_frame_seq(dd));
	EXPECT_EQ(7, first_seq);
}

TEST_F(pc, filter)
{
	struct bpf_program fp;
	struct pcap_stat ps;
	struct seen s = { 0 };
	uint64_t end;
	int ret;

	self->p = make(self->dev, NULL, &ret);
	ASSERT_EQ(0, ret);
	/* the system libpcap compiles, on our handle */
	EXPECT_EQ(-1, pcap_compile(self->p, &fp, "udp and and", 1,
				   PCAP_NETMASK_UNKNOWN));
	EXPECT_NE(NULL, strstr(pcap_geterr(self->p), "syntax error"));
	/* the generated packets are UDP: none is TCP */
	ASSERT_EQ(0, pcap_compile(self->p, &fp, "tcp", 1,
				  PCAP_NETMASK_UNKNOWN));
	ASSERT_EQ(0, pcap_setfilter(self->p, &fp));
	pcap_freecode(&fp);
	pcap_dispatch(self->p, -1, collect, (u_char *)&s);	/* started */
	ASSERT_EQ(0, wct_inject(self->nic, 0, 40, 64, 0));
	end = wct_now_us() + 500000;
	while (wct_now_us() < end)	/* all read, none passes */
		pcap_dispatch(self->p, -1, collect, (u_char *)&s);
	EXPECT_EQ(0, s.n);
	ASSERT_EQ(0, pcap_compile(self->p, &fp, "udp", 1,
				  PCAP_NETMASK_UNKNOWN));
	ASSERT_EQ(0, pcap_setfilter(self->p, &fp));
	pcap_freecode(&fp);
	s.next = 40;
	ASSERT_EQ(0, wct_inject(self->nic, 0, 40, 64, 40));
	EXPECT_EQ(40, read_n(self->p, &s, 40));
	EXPECT_EQ(0, s.bad);
	ASSERT_EQ(0, pcap_stats(self->p, &ps));
	EXPECT_EQ(80, ps.ps_recv);	/* before the filter */
}

static int tiny(pcap_t *p)
{
	/* 2 chunks of 64 cells: the ring's one segment plus one */
	return pcap_set_buffer_size(p, 2 * 64 * 2048);
}

TEST_F(pc, tiny_pool)
{
	struct pcap_stat ps;
	struct seen s = { 0 };
	int ret;

	self->p = make(self->dev, tiny, &ret);
	ASSERT_EQ(0, ret) {
		TH_LOG("%s", pcap_geterr(self->p));
	}
	ASSERT_EQ(0, wct_inject(self->nic, 0, 1000, 64, 0));
	usleep(300000);
	ASSERT_EQ(0, pcap_stats(self->p, &ps));
	EXPECT_EQ(1000, ps.ps_recv);
	EXPECT_LT(0, ps.ps_drop);
	while (pcap_dispatch(self->p, -1, collect, (u_char *)&s) > 0)
		;
	EXPECT_EQ(1000, s.n + ps.ps_drop) {
		TH_LOG("captured %u, dropped %u", s.n, ps.ps_drop);
	}
	EXPECT_EQ(0, ps.ps_ifdrop);
}

TEST_F(pc, bad_names)
{
	char dev[64], eb[PCAP_ERRBUF_SIZE];
	struct seen s = { 0 };
	pcap_t *p, *q;
	int ret;

	p = make("wirecap:", NULL, &ret);
	EXPECT_EQ(PCAP_ERROR_NO_SUCH_DEVICE, ret);
	pcap_close(p);
	p = make("wirecap:nonic0", NULL, &ret);
	EXPECT_EQ(PCAP_ERROR_NO_SUCH_DEVICE, ret);
	EXPECT_NE(NULL, strstr(pcap_geterr(p), "nonic0"));
	pcap_close(p);
	snprintf(dev, sizeof(dev), "%s@7", self->dev);	/* no queue 7 */
	p = make(dev, NULL, &ret);
	EXPECT_EQ(PCAP_ERROR_NO_SUCH_DEVICE, ret);
	pcap_close(p);
	snprintf(dev, sizeof(dev), "%s@1-x", self->dev);
	p = make(dev, NULL, &ret);
	EXPECT_EQ(PCAP_ERROR_NO_SUCH_DEVICE, ret);
	pcap_close(p);
	EXPECT_EQ(NULL, pcap_open_live("wirecap:nonic0", 100, 1, 10, eb));
	EXPECT_NE(NULL, strstr(eb, "nonic0"));

	/* not activated yet, activated already */
	p = pcap_create(self->dev, eb);
	ASSERT_NE(NULL, p);
	EXPECT_EQ(PCAP_ERROR_NOT_ACTIVATED,
		  pcap_dispatch(p, 1, collect, (u_char *)&s));
	EXPECT_EQ(0, pcap_activate(p));
	EXPECT_EQ(PCAP_ERROR_ACTIVATED, pcap_activate(p));
	EXPECT_EQ(PCAP_ERROR_ACTIVATED, pcap_set_snaplen(p, 100));
	/* queue 1 is captured by p: busy */
	snprintf(dev, sizeof(dev), "%s@1", self->dev);
	q = make(dev, NULL, &ret);
	EXPECT_EQ(PCAP_ERROR, ret);
	EXPECT_NE(NULL, strstr(pcap_geterr(q), "captured already"));
	pcap_close(q);
	pcap_close(p);
	/* and free again once p is closed */
	q = make(dev, NULL, &ret);
	EXPECT_EQ(0, ret);
	pcap_close(q);
}

TEST_F(pc, inject)
{
	char eb[PCAP_ERRBUF_SIZE];
	u_char frame[70], got[256];
	struct seen s = { 0 };
	long long drops;
	pcap_t *idle;
	int ret, tap;
	unsigned int i;

	for (i = 0; i < sizeof(frame); i++)
		frame[i] = (u_char)(3 * i + 1);
	memcpy(frame, "\xff\xff\xff\xff\xff\xff\x02\0\0\0\0\x07\x88\xb5", 14);
	/* not activated: libpcap's answer */
	idle = pcap_create(self->dev, eb);
	ASSERT_NE(NULL, idle);
	EXPECT_EQ(PCAP_ERROR_NOT_ACTIVATED,
		  pcap_inject(idle, frame, sizeof(frame)));
	pcap_close(idle);

	self->p = make(self->dev, NULL, &ret);
	ASSERT_EQ(0, ret);
	/* the software NIC is made down */
	EXPECT_EQ(PCAP_ERROR, pcap_inject(self->p, frame, sizeof(frame)));
	EXPECT_NE(NULL, strstr(pcap_geterr(self->p), "send: "));
	EXPECT_NE(NULL, strstr(pcap_geterr(self->p), strerror(ENETDOWN)));
	ASSERT_EQ(0, wct_link_up(self->nic, true));
	tap = wct_tap_open(self->nic);
	ASSERT_LE(0, tap);
	drops = wct_netdev_stat(self->nic, "tx_dropped");
	EXPECT_EQ((int)sizeof(frame), pcap_inject(self->p, frame,
						  sizeof(frame)));
	EXPECT_EQ((int)sizeof(frame),
		  wct_tap_next_out(tap, 0x88b5, got, sizeof(got), 2000));
	EXPECT_EQ(0, memcmp(got, frame, sizeof(frame)));
	frame[20] ^= 0xff;
	EXPECT_EQ(0, pcap_sendpacket(self->p, frame, sizeof(frame)));
	EXPECT_EQ((int)sizeof(frame),
		  wct_tap_next_out(tap, 0x88b5, got, sizeof(got), 2000));
	EXPECT_EQ(0, memcmp(got, frame, sizeof(frame)));
	/* no wire behind the stack's transmit: the NIC's TX drops */
	EXPECT_EQ(drops + 2, wct_netdev_stat(self->nic, "tx_dropped"));
	close(tap);
	/* capturing goes on beside it */
	ASSERT_EQ(0, wct_inject(self->nic, 0, 5, 64, 0));
	EXPECT_EQ(5, read_n(self->p, &s, 5));
	EXPECT_EQ(PCAP_ERROR, pcap_setdirection(self->p, PCAP_D_OUT));
	EXPECT_EQ(0, pcap_setdirection(self->p, PCAP_D_IN));
}

static int nano(pcap_t *p)
{
	return pcap_set_tstamp_precision(p, PCAP_TSTAMP_PRECISION_NANO);
}

struct dump_ctx {
	pcap_dumper_t *d;
	unsigned int n;
};

static void to_dump(u_char *user, const struct pcap_pkthdr *h,
		    const u_char *data)
{
	struct dump_ctx *c = (struct dump_ctx *)user;

	pcap_dump((u_char *)c->d, h, data);
	c->n++;
}

TEST_F(pc, dump)
{
	const char *path = "/tmp/pcap_api_dump.pcap";
	char eb[PCAP_ERRBUF_SIZE];
	struct dump_ctx c = { 0 };
	struct pcap_pkthdr *h;
	const u_char *d;
	uint64_t end;
	pcap_t *r;
	int ret, n = 0;

	self->p = make(self->dev, nano, &ret);
	ASSERT_EQ(0, ret);
	EXPECT_EQ(PCAP_TSTAMP_PRECISION_NANO,
		  pcap_get_tstamp_precision(self->p));
	c.d = pcap_dump_open(self->p, path);
	ASSERT_NE(NULL, c.d) {
		TH_LOG("%s", pcap_geterr(self->p));
	}
	ASSERT_EQ(0, wct_inject(self->nic, 0, 10, 120, 0));
	end = wct_now_us() + 3000000;
	while (c.n < 10 && wct_now_us() < end)
		pcap_dispatch(self->p, -1, to_dump, (u_char *)&c);
	pcap_dump_close(c.d);
	EXPECT_EQ(10, c.n);
	/* a savefile: the system libpcap, untouched */
	r = pcap_open_offline_with_tstamp_precision(
		path, PCAP_TSTAMP_PRECISION_NANO, eb);
	ASSERT_NE(NULL, r) {
		TH_LOG("%s", eb);
	}
	EXPECT_EQ(PCAP_TSTAMP_PRECISION_NANO, pcap_get_tstamp_precision(r));
	EXPECT_EQ(262144, pcap_snapshot(r));
	while (pcap_next_ex(r, &h, &d) == 1) {
		EXPECT_EQ(120, h->caplen);
		EXPECT_EQ((uint64_t)n, wct_frame_seq(d));
		n++;
	}
	EXPECT_EQ(10, n);
	pcap_close(r);
	unlink(path);
}

TEST_F(pc, findalldevs)
{
	char eb[PCAP_ERRBUF_SIZE];
	pcap_if_t *all, *d;
	int found = 0, lo = 0;

	ASSERT_EQ(0, pcap_findalldevs(&all, eb));
	for (d = all; d; d = d->next) {
		found += !strcmp(d->name, self->dev);
		lo += !strcmp(d->name, "lo");
	}
	EXPECT_EQ(1, found);
	EXPECT_EQ(1, lo);		/* the system's are still there */
	pcap_freealldevs(all);
}

struct once {
	uint8_t seen[600];
	unsigned int n, bad;
};

static void mark(u_char *user, const struct pcap_pkthdr *h, const u_char *d)
{
	struct once *o = (struct once *)user;
	uint64_t seq = wct_frame_seq(d);

	if (seq >= 600 || o->seen[seq]++)
		o->bad++;
	o->n++;
}

/* Handles on queue 0 and queue 1; 600 packets into queue 0. */
static void two_handles(struct __test_metadata *_metadata, const char *dev,
			const char *nic, unsigned int *via0,
			unsigned int *via1)
{
	char d0[64], d1[64], eb[PCAP_ERRBUF_SIZE];
	struct once o = { 0 };
	struct pcap_stat ps;
	pcap_t *a, *b;
	uint64_t end;
	int ret;

	snprintf(d0, sizeof(d0), "%s@0", dev);
	snprintf(d1, sizeof(d1), "%s@1", dev);
	a = make(d0, NULL, &ret);
	ASSERT_EQ(0, ret);
	b = make(d1, NULL, &ret);
	ASSERT_EQ(0, ret);
	/* one session: no fd of their own */
	EXPECT_EQ(PCAP_ERROR, pcap_get_selectable_fd(b));
	ASSERT_EQ(0, pcap_setnonblock(b, 1, eb));
	EXPECT_EQ(0, pcap_dispatch(b, -1, mark, (u_char *)&o));  /* starts */
	ASSERT_EQ(0, wct_inject(nic, 0, 600, 64, 0));
	/* only b reads for a while: what reaches its capture queue */
	end = wct_now_us() + 1000000;
	while (wct_now_us() < end)
		if (pcap_dispatch(b, -1, mark, (u_char *)&o) == 0)
			usleep(10000);
	*via1 = o.n;
	end = wct_now_us() + 3000000;
	while (o.n < 600 && wct_now_us() < end)
		pcap_dispatch(a, -1, mark, (u_char *)&o);
	*via0 = o.n - *via1;
	EXPECT_EQ(600, o.n);
	EXPECT_EQ(0, o.bad);
	ASSERT_EQ(0, pcap_stats(a, &ps));
	EXPECT_EQ(600, ps.ps_recv);
	EXPECT_EQ(0, ps.ps_drop);
	ASSERT_EQ(0, pcap_stats(b, &ps));
	EXPECT_EQ(0, ps.ps_recv);
	pcap_close(a);
	pcap_close(b);
}

TEST_F(pc, buddies)
{
	unsigned int via0, via1;

	setenv("WIRECAP_MODE", "advanced", 1);
	setenv("WIRECAP_OFFLOAD_PCT", "10", 1);
	two_handles(_metadata, self->dev, self->nic, &via0, &via1);
	unsetenv("WIRECAP_MODE");
	unsetenv("WIRECAP_OFFLOAD_PCT");
	TH_LOG("advanced: %u read through queue 1's handle, %u through "
	       "queue 0's", via1, via0);
	EXPECT_LT(0, via1);
	EXPECT_LT(0, via0);	/* T keeps some home */
	two_handles(_metadata, self->dev, self->nic, &via0, &via1);
	EXPECT_EQ(0, via1);	/* basic mode: nothing moves */
	EXPECT_EQ(600, via0);
}

TEST_F(pc, poll_nic_gone)
{
	char eb[PCAP_ERRBUF_SIZE];
	struct seen s = { 0 };
	struct pollfd pfd;
	int ret, fd;

	self->p = make(self->dev, NULL, &ret);
	ASSERT_EQ(0, ret);
	ASSERT_EQ(0, pcap_setnonblock(self->p, 1, eb));
	fd = pcap_get_selectable_fd(self->p);
	ASSERT_LE(0, fd);
	EXPECT_EQ(0, pcap_dispatch(self->p, -1, collect, (u_char *)&s));
	pfd = (struct pollfd){ .fd = fd, .events = POLLIN };
	EXPECT_EQ(0, poll(&pfd, 1, 100));
	ASSERT_EQ(0, wct_nic_del(self->nic));
	/* 5 s: generous; it turns readable as the queues fail */
	EXPECT_EQ(1, poll(&pfd, 1, 5000));
	EXPECT_EQ(PCAP_ERROR, pcap_dispatch(self->p, -1, collect,
					    (u_char *)&s));
	TH_LOG("after the NIC went away: %s", pcap_geterr(self->p));
}

static int big(pcap_t *p)
{
	/* 16 chunks of 64 cells: holds 1000 packets */
	return pcap_set_buffer_size(p, 16 * 64 * 2048);
}

static int one_mib(pcap_t *p)
{
	return pcap_set_buffer_size(p, 1 << 20);
}

/*
 * WIRECAP_CELL_SIZE=128 and a 1 MiB buffer: a pool of 1 MiB, spill areas
 * included, that holds 5000 64-byte packets (2 KiB cells: 512).
 */
TEST_F(pc, small_cells_equal_memory)
{
	long page = sysconf(_SC_PAGESIZE);
	long long pages0 = wct_pool_pages(), pages;
	struct seen s = { 0 };
	struct pcap_stat ps;
	char d0[64];
	uint64_t end;
	int ret;

	/* a 1024-entry ring: chunks of 256 cells of 128 bytes (M <= N/2) */
	ASSERT_EQ(0, wct_nic_new(1, 1024, self->nic2));
	snprintf(d0, sizeof(d0), "wirecap:%s@0", self->nic2);
	setenv("WIRECAP_CELL_SIZE", "128", 1);
	self->p = make(d0, one_mib, &ret);
	unsetenv("WIRECAP_CELL_SIZE");
	ASSERT_EQ(0, ret) {
		TH_LOG("%s", pcap_geterr(self->p));
	}
	pages = wct_pool_pages() - pages0;
	EXPECT_LE(pages * page, 1 << 20);
	/* no more than a chunk (256 cells and a page of spill) short */
	EXPECT_GT(pages * page, (1 << 20) - 256 * 128 - page);
	ASSERT_EQ(0, wct_inject(self->nic2, 0, 5000, 64, 0));
	usleep(300000);
	end = wct_now_us() + 5000000;
	while (s.n < 5000 && wct_now_us() < end)
		if (pcap_dispatch(self->p, -1, collect, (u_char *)&s) == 0)
			usleep(10000);
	EXPECT_EQ(5000, s.n);
	EXPECT_EQ(0, s.bad);
	ASSERT_EQ(0, pcap_stats(self->p, &ps));
	EXPECT_EQ(0, ps.ps_drop);
}

static int half_mib(pcap_t *p)
{
	return pcap_set_buffer_size(p, 1 << 19);
}

/*
 * A buffer smaller than the NIC's ring (512 KiB: 256 cells of 2 KiB, the
 * ring 1024 entries) gets the smallest pool the NIC takes, R.M = the
 * ring (2 MiB), not the driver's default of 16 rings (32 MiB).
 */
TEST_F(pc, buffer_below_ring)
{
	long page = sysconf(_SC_PAGESIZE);
	long long pages0 = wct_pool_pages(), pages;
	char d0[64];
	int ret;

	ASSERT_EQ(0, wct_nic_new(1, 1024, self->nic2));
	snprintf(d0, sizeof(d0), "wirecap:%s@0", self->nic2);
	self->p = make(d0, half_mib, &ret);
	ASSERT_EQ(0, ret) {
		TH_LOG("%s", pcap_geterr(self->p));
	}
	pages = wct_pool_pages() - pages0;
	EXPECT_EQ(1024 * 2048, pages * page);
}

TEST_F(pc, own_settings)
{
	char d0[64], d1[64], eb[PCAP_ERRBUF_SIZE];
	struct seen s = { 0 };
	struct pcap_stat ps;
	uint64_t end;
	pcap_t *a, *b;
	int ret;

	snprintf(d0, sizeof(d0), "%s@0", self->dev);
	snprintf(d1, sizeof(d1), "%s@1", self->dev);
	/* a: tiny pool, advanced mode, T = 10 */
	setenv("WIRECAP_MODE", "advanced", 1);
	setenv("WIRECAP_OFFLOAD_PCT", "10", 1);
	a = make(d0, tiny, &ret);
	unsetenv("WIRECAP_MODE");
	unsetenv("WIRECAP_OFFLOAD_PCT");
	ASSERT_EQ(0, ret);
	/* b: a pool that holds the burst, basic mode */
	b = make(d1, big, &ret);
	ASSERT_EQ(0, ret);
	/* a session of its own: b has its own selectable fd */
	EXPECT_LE(0, pcap_get_selectable_fd(b));
	ASSERT_EQ(0, pcap_setnonblock(b, 1, eb));
	EXPECT_EQ(0, pcap_dispatch(b, -1, collect, (u_char *)&s));
	ASSERT_EQ(0, pcap_setnonblock(a, 1, eb));
	/* a busy queue 0 that nobody reads: nothing of it reaches b */
	ASSERT_EQ(0, wct_inject(self->nic, 0, 600, 64, 5000));
	/* a burst into b's queue, read late: its pool holds it */
	ASSERT_EQ(0, wct_inject(self->nic, 1, 1000, 64, 0));
	usleep(300000);
	end = wct_now_us() + 3000000;
	while (s.n < 1000 && wct_now_us() < end)
		if (pcap_dispatch(b, -1, collect, (u_char *)&s) == 0)
			usleep(10000);
	EXPECT_EQ(1000, s.n);
	EXPECT_EQ(0, s.bad);	/* in order, queue 1's only */
	ASSERT_EQ(0, pcap_stats(b, &ps));
	EXPECT_EQ(1000, ps.ps_recv);
	EXPECT_EQ(0, ps.ps_drop) {
		TH_LOG("b lost its buffer size: %u dropped", ps.ps_drop);
	}
	pcap_close(a);
	pcap_close(b);
}

TEST_F(pc, close_one)
{
	char d0[64], d1[64], eb[PCAP_ERRBUF_SIZE];
	struct seen s = { 0 };
	struct pcap_stat ps;
	uint64_t end;
	pcap_t *a, *b, *again;
	int ret, tries;

	snprintf(d0, sizeof(d0), "%s@0", self->dev);
	snprintf(d1, sizeof(d1), "%s@1", self->dev);
	setenv("WIRECAP_MODE", "advanced", 1);
	setenv("WIRECAP_OFFLOAD_PCT", "10", 1);
	a = make(d0, big, &ret);
	ASSERT_EQ(0, ret);
	b = make(d1, big, &ret);
	ASSERT_EQ(0, ret);
	unsetenv("WIRECAP_MODE");
	unsetenv("WIRECAP_OFFLOAD_PCT");
	/* one group: no fd of their own */
	EXPECT_EQ(PCAP_ERROR, pcap_get_selectable_fd(b));
	ASSERT_EQ(0, pcap_setnonblock(b, 1, eb));
	EXPECT_EQ(0, pcap_dispatch(b, -1, collect, (u_char *)&s)); /* starts */
	pcap_close(a);
	/* b alone now: its own fd again */
	EXPECT_LE(0, pcap_get_selectable_fd(b));
	/* queue 0 is out of it: nothing of it is captured any more */
	ASSERT_EQ(0, wct_inject(self->nic, 0, 300, 64, 5000));
	/* b's queue busy and read late: over T, nowhere to offload */
	ASSERT_EQ(0, wct_inject(self->nic, 1, 600, 64, 0));
	usleep(300000);
	end = wct_now_us() + 3000000;
	while (s.n < 600 && wct_now_us() < end)
		if (pcap_dispatch(b, -1, collect, (u_char *)&s) == 0)
			usleep(10000);
	usleep(200000);
	pcap_dispatch(b, -1, collect, (u_char *)&s);
	EXPECT_EQ(600, s.n) {
		TH_LOG("b read %u of its 600 (the rest went to a's closed "
		       "queue?)", s.n);
	}
	EXPECT_EQ(0, s.bad);	/* queue 1's, in order: none of queue 0's */
	ASSERT_EQ(0, pcap_stats(b, &ps));
	EXPECT_EQ(600, ps.ps_recv);
	EXPECT_EQ(0, ps.ps_drop);
	/* queue 0 is free for another program (3 s: the kernel lets go of
	 * a file the capture ring held once its requests are done) */
	for (tries = 0; tries < 30; tries++) {
		again = make(d0, NULL, &ret);
		if (!ret)
			break;
		pcap_close(again);
		again = NULL;
		usleep(100000);
	}
	EXPECT_EQ(0, ret) {
		TH_LOG("%s", again ? "" : "queue 0 still busy after close");
	}
	if (again)
		pcap_close(again);
	pcap_close(b);
}

TEST_HARNESS_MAIN
