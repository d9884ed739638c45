// SPDX-License-Identifier: BSD-2-Clause
/*
 * Host tests of the libpcap shim (lib/pcap/wirecap_pcap.c), compiled into
 * this program together with libwirecap and linked with the system
 * libpcap (what the shim hands on, it finds there with RTLD_NEXT). Its
 * handles are put on the fake session of lib_fake.h (the test plays the
 * kernel and the capture threads), so no WireCAP device is needed.
 *
 *   breakloop_signal  pcap_breakloop() from a signal handler that
 *                     interrupts the shim anywhere (SIGALRM every 200 us
 *                     while the program calls into it) never deadlocks;
 *                     the program runs in a child, given 60 s
 *   no_lock           the packet path and pcap_breakloop() take no lock
 *                     that handle creation and closing take: they run
 *                     while another thread holds it
 *   dispatch_bound    pcap_dispatch(cnt = -1) under overload (every
 *                     packet brings another chunk) returns after what was
 *                     there when it started
 *   eintr_timeout     signals every 20 ms do not stretch a 300 ms read
 *                     timeout (each one used to restart it)
 *   breakloop_wakes   pcap_breakloop() from another thread ends a
 *                     pcap_loop() asleep for packets without it having
 *                     woken up in between (it used to look every 100 ms)
 *   fd_on_failure     pcap_get_selectable_fd() turns readable when a
 *                     queue fails, and the next read reports the error
 *   fd_level          the selectable fd is readable while packets wait,
 *                     not once chunks came: after pcap_dispatch() read
 *                     them all, poll() says nothing is there (it used to
 *                     stay readable, and softflowd, which polls it and
 *                     then reads with a timeout of 0, blocked in a read
 *                     that its SIGTERM did not end); with a packet left,
 *                     or a new chunk, it is readable
 *   fd_filter         with a filter, a blocking pcap_dispatch() woken by
 *                     the fd that finds only rejected packets returns 0
 *                     (it used to wait for the next chunk: softflowd
 *                     with a filter hung in it); pcap_next() still
 *                     waits for a packet that passes
 *   add_nic_race      pcap_breakloop() and pcap_stats() on a handle of a
 *                     session that other handles are joining (each
 *                     join is a wirecap_add_nic(), which reallocates the
 *                     session's queue array) read neither that array nor
 *                     its count (they used to: a race, and a use after
 *                     free when the array moved). For 1 s; TSan reports
 *                     the race every time, ASan the use after free when
 *                     it happens
 *   real_breakloop    the system libpcap's pcap_breakloop, for handles
 *                     not ours, is known after any call in normal context
 *                     (here: pcap_snapshot, pcap_create), not looked up
 *                     (dlsym, not async-signal-safe) in the signal
 *                     handler that calls pcap_breakloop, also when
 *                     libpcap was not there yet when the shim was loaded
 *   inject            pcap_inject and pcap_sendpacket on an activated
 *                     handle of wirecap:lo send the frame, unchanged,
 *                     through lo's transmit path (a packet tap sees it
 *                     go out); before activation, and on a NIC that does
 *                     not exist, libpcap's errors (skipped without
 *                     CAP_NET_RAW)
 *   jumbo             frames across cells (cells of 2048 bytes, a 64 KiB
 *                     spill area) reach the callback whole: len up to
 *                     65535, caplen min(len, snaplen), data in place at
 *                     the frame's first cell; CONT cells are no packets
 *   cell_env          WIRECAP_CELL_SIZE: a size that is no power of two
 *                     fails activation, naming the variable; a good one
 *                     goes on to open the device
 *   refused_pool      a pool the NIC refuses (open_refused(), against a
 *                     stand-in for the kernel's checks): below the ring,
 *                     the ring (R.M = the ring, from the first power of
 *                     two above the R refused); a refusal no R cures,
 *                     until the pools grow too big (E2BIG): the driver's
 *                     default (the search used to end there, failing);
 *                     the default refused too: its error
 *
 * Timing: no test asserts a speed; eintr_timeout allows 5 s for a 300 ms
 * timeout (the bug made it last as long as the signals, 20 s).
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <net/if.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/wait.h>

/*
 * The shim's wirecap_open() calls go to shim_open(), which stands in for
 * the kernel's pool checks while refused.on is set (t_refused_pool), and
 * to libwirecap's otherwise.
 */
#define wirecap_open shim_open
#include "wirecap_pcap.c"
#undef wirecap_open
struct wirecap *wirecap_open(const char *ifname, const unsigned int *queues,
			     unsigned int nr, const struct wirecap_opts *opts);

#include "tap.h"
#include "lib_fake.h"

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000ull + ts.tv_nsec / 1000000;
}

/*
 * A WireCAP handle on queues first .. first+nq-1 of the fake session, as
 * activate() would leave it; s is the session record the handles share.
 */
static pcap_t *fake_handle(struct fake *f, struct wcs *s, unsigned int first,
			   unsigned int nq, int timeout_ms)
{
	char eb[PCAP_ERRBUF_SIZE];
	pcap_t *p = pcap_create("wirecap:fake0", eb);
	struct wch *h = wch_find(p);
	unsigned int i;

	if (!h)
		return NULL;
	s->w = &f->w;
	s->started = true;
	s->users++;
	s->live += nq;
	h->qs = calloc(nq, sizeof(*h->qs));
	if (!h->qs)
		return NULL;
	for (i = 0; i < nq; i++)
		h->qs[i] = &f->q[first + i];
	h->nq = nq;
	h->snaplen = WCH_MAXSNAP;
	h->timeout_ms = timeout_ms;
	h->activated = true;
	h->s = s;
	return p;
}

/* Closing the handle must not close the fake session. */
static void fake_close(pcap_t *p)
{
	struct wch *h = wch_find(p);

	if (h)
		h->s = NULL;
	pcap_close(p);
}

static void count_cb(u_char *user, const struct pcap_pkthdr *hdr,
		     const u_char *data)
{
	(*(unsigned int *)user)++;
}

/* --- pcap_breakloop from a signal handler --------------------------------- */

static pcap_t *alarm_p;
static volatile sig_atomic_t alarms;

static void on_alarm(int sig)
{
	pcap_breakloop(alarm_p);
	alarms++;
}

/* The child: 2 s of calls into the shim under a hail of SIGALRMs. */
static void hammer(void)
{
	struct itimerval it = { { 0, 200 }, { 0, 200 } };
	struct sigaction sa = { .sa_handler = on_alarm };
	struct pcap_pkthdr *hdr;
	const u_char *data;
	char eb[PCAP_ERRBUF_SIZE];
	pcap_t *ours, *theirs;
	uint64_t end;

	ours = pcap_create("wirecap:nonic0", eb);
	theirs = pcap_open_dead(DLT_EN10MB, 100);
	if (!ours || !theirs)
		_exit(2);
	alarm_p = ours;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGALRM, &sa, NULL);
	setitimer(ITIMER_REAL, &it, NULL);
	end = now_ms() + 2000;
	while (now_ms() < end) {
		/* each looks the handle up */
		pcap_snapshot(ours);
		pcap_snapshot(theirs);
		pcap_next_ex(ours, &hdr, &data);
		pcap_get_tstamp_precision(ours);
	}
	it = (struct itimerval){ 0 };
	setitimer(ITIMER_REAL, &it, NULL);
	_exit(alarms > 100 ? 0 : 3);
}

static int t_breakloop_signal(void)
{
	pid_t pid = fork();
	int status = 0, ms;

	if (pid == 0)
		hammer();
	CHECK(pid > 0);
	for (ms = 0; ms < 60000; ms += 10) {
		if (waitpid(pid, &status, WNOHANG) == pid)
			break;
		usleep(10000);
	}
	if (ms >= 60000) {
		tap_diag("the child hung (a signal handler deadlocked)");
		kill(pid, SIGKILL);
		waitpid(pid, &status, 0);
		return 0;
	}
	tap_diag("child exit status %d", WIFEXITED(status) ?
		 WEXITSTATUS(status) : -1);
	CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	return 1;
}

/* --- the packet path takes no lock ---------------------------------------- */

struct lockless {
	pcap_t *p;
	int next_ex, dispatched, done;
	unsigned int n;
};

static void *packet_path(void *arg)
{
	struct lockless *l = arg;
	struct pcap_pkthdr *hdr;
	const u_char *data;

	l->next_ex = pcap_next_ex(l->p, &hdr, &data);
	l->dispatched = pcap_dispatch(l->p, -1, count_cb, (u_char *)&l->n);
	pcap_breakloop(l->p);
	pcap_snapshot(l->p);
	__atomic_store_n(&l->done, 1, __ATOMIC_RELEASE);
	return NULL;
}

static int t_no_lock(void)
{
	struct lockless l = { 0 };
	struct wcs s = { 0 };
	struct fake f;
	pthread_t t;
	int ms;

	fake_init(&f, 0);
	l.p = fake_handle(&f, &s, 0, 1, 100);
	CHECK(l.p);
	CHECK(push(&f.q[0], 0, 0, 3, 1));
	pthread_mutex_lock(&wch_lock);	/* what creating and closing take */
	pthread_create(&t, NULL, packet_path, &l);
	for (ms = 0; ms < 10000; ms++) {
		if (__atomic_load_n(&l.done, __ATOMIC_ACQUIRE))
			break;
		usleep(1000);
	}
	pthread_mutex_unlock(&wch_lock);
	pthread_join(t, NULL);
	tap_diag("with the lock held: %s; next_ex %d, dispatch %d (%u)",
		 ms < 10000 ? "ran" : "blocked", l.next_ex, l.dispatched, l.n);
	CHECK(ms < 10000);
	CHECK(l.next_ex == 1 && l.dispatched == 2 && l.n == 2);
	fake_close(l.p);
	fake_fini(&f);
	return 1;
}

/* --- pcap_dispatch(-1) is bounded ----------------------------------------- */

struct flood {
	struct fake *f;
	pcap_t *p;
	unsigned int n;
	uint32_t seq;
};

/* Each packet read brings a new chunk: the overload never ends. */
static void flood_cb(u_char *user, const struct pcap_pkthdr *hdr,
		     const u_char *data)
{
	struct flood *fl = (struct flood *)user;
	struct wirecap_desc d;

	fl->n++;
	while (pop_recycled(&fl->f->q[0], &d))
		;
	push(&fl->f->q[0], fl->seq % FAKE_R, 0, 2, fl->seq);
	fl->seq++;
	if (fl->n == 10000)		/* the old shim never stopped */
		pcap_breakloop(fl->p);
}

static int t_dispatch_bound(void)
{
	struct flood fl = { 0 };
	struct wcs s = { 0 };
	struct fake f;
	uint32_t i;
	int ret;

	fake_init(&f, 64);
	fl.f = &f;
	fl.p = fake_handle(&f, &s, 0, 1, 100);
	CHECK(fl.p);
	for (i = 0; i < 5; i++, fl.seq++)
		push(&f.q[0], fl.seq % FAKE_R, 0, 2, fl.seq);
	ret = pcap_dispatch(fl.p, -1, flood_cb, (u_char *)&fl);
	tap_diag("dispatch(-1) with 5 chunks of 2 there: %d, %u packets", ret,
		 fl.n);
	fake_close(fl.p);
	fake_fini(&f);
	CHECK(ret == 10 && fl.n == 10);
	return 1;
}

/* --- EINTR does not restart the timeout ----------------------------------- */

static void on_usr1(int sig)
{
}

struct pester {
	pthread_t target;
	int stop;
};

static void *pester(void *arg)
{
	struct pester *ps = arg;
	uint64_t end = now_ms() + 20000;

	while (!__atomic_load_n(&ps->stop, __ATOMIC_ACQUIRE) &&
	       now_ms() < end) {
		pthread_kill(ps->target, SIGUSR1);
		usleep(20000);
	}
	return NULL;
}

static int t_eintr_timeout(void)
{
	struct sigaction sa = { .sa_handler = on_usr1 };
	struct pester ps = { .target = pthread_self() };
	struct wcs s = { 0 };
	struct fake f;
	unsigned int n = 0;
	uint64_t t0, dt;
	pthread_t t;
	pcap_t *p;
	int ret;

	sigemptyset(&sa.sa_mask);
	sigaction(SIGUSR1, &sa, NULL);
	fake_init(&f, 0);
	p = fake_handle(&f, &s, 0, 2, 300);	/* alone: wirecap_wait */
	CHECK(p);
	pthread_create(&t, NULL, pester, &ps);
	t0 = now_ms();
	ret = pcap_dispatch(p, -1, count_cb, (u_char *)&n);
	dt = now_ms() - t0;
	__atomic_store_n(&ps.stop, 1, __ATOMIC_RELEASE);
	pthread_join(t, NULL);
	signal(SIGUSR1, SIG_DFL);
	tap_diag("a 300 ms timeout under signals every 20 ms: %d after "
		 "%llu ms", ret, (unsigned long long)dt);
	fake_close(p);
	fake_fini(&f);
	CHECK(ret == 0);
	CHECK(dt >= 290 && dt < 5000);	/* generous: a loaded host */
	return 1;
}

/* --- pcap_breakloop wakes a sleeping loop --------------------------------- */

struct looper {
	pcap_t *p;
	int ret;
	int done;
};

static void *loop_forever(void *arg)
{
	struct looper *l = arg;
	unsigned int n = 0;

	l->ret = pcap_loop(l->p, -1, count_cb, (u_char *)&n);
	__atomic_store_n(&l->done, 1, __ATOMIC_RELEASE);
	return NULL;
}

/*
 * A handle on queue 0 of two (it sleeps in wirecap_next_chunk, counted in
 * q0's sleeps) with no timeout; 1 s later another thread breaks the loop.
 * Then a handle on both (it sleeps in wirecap_wait).
 */
static int breakloop_wakes(unsigned int nq, uint64_t *sleeps, int *ret)
{
	struct looper l = { 0 };
	struct wcs s = { 0 };
	struct fake f;
	pthread_t t;
	int ms;

	fake_init(&f, 0);
	l.p = fake_handle(&f, &s, 0, nq, 0);
	if (!l.p)
		return 0;
	s.live = f.w.nq;	/* the queues it has not are others' */
	pthread_create(&t, NULL, loop_forever, &l);
	usleep(1000000);
	pcap_breakloop(l.p);
	for (ms = 0; ms < 10000; ms++) {
		if (__atomic_load_n(&l.done, __ATOMIC_ACQUIRE))
			break;
		usleep(1000);
	}
	if (ms == 10000)
		return 0;	/* asleep for good: leave it */
	pthread_join(t, NULL);
	*sleeps = f.q[0].as.sleeps;
	*ret = l.ret;
	fake_close(l.p);
	fake_fini(&f);
	return 1;
}

static int t_breakloop_wakes(void)
{
	uint64_t sleeps = 0;
	int ret = 0;

	CHECK(breakloop_wakes(1, &sleeps, &ret));
	tap_diag("one queue: pcap_loop %d, slept %llu times in 1 s", ret,
		 (unsigned long long)sleeps);
	CHECK(ret == PCAP_ERROR_BREAK);
	CHECK(sleeps <= 2);	/* once, and maybe a spurious wake */
	CHECK(breakloop_wakes(2, &sleeps, &ret));
	CHECK(ret == PCAP_ERROR_BREAK);
	return 1;
}

/* --- the selectable fd and a failed queue --------------------------------- */

static int t_fd_on_failure(void)
{
	struct wirecap_desc d;
	struct wcs s = { 0 };
	struct pollfd pfd;
	struct fake f;
	unsigned int n = 0;
	char eb[PCAP_ERRBUF_SIZE];
	int fd, r1, r2;
	pcap_t *p;

	fake_init(&f, 0);
	p = fake_handle(&f, &s, 0, 2, 100);
	CHECK(p);
	CHECK(pcap_setnonblock(p, 1, eb) == 0);
	fd = pcap_get_selectable_fd(p);
	CHECK(fd >= 0);
	pfd = (struct pollfd){ .fd = fd, .events = POLLIN };
	CHECK(pcap_dispatch(p, -1, count_cb, (u_char *)&n) == 0);
	CHECK(poll(&pfd, 1, 0) == 0);
	/* the NIC goes away: the kernel's last word is garbage, say */
	d = fake_desc(&f.q[1], FAKE_R + 1, 0, 1, 1);
	fake_publish(&f, &f.q[1], &d);
	wc_capture_move(&f.q[1]);
	r1 = poll(&pfd, 1, 0);
	r2 = pcap_dispatch(p, -1, count_cb, (u_char *)&n);
	tap_diag("after the failure: poll %d, dispatch %d (%s)", r1, r2,
		 pcap_geterr(p));
	fake_close(p);
	close(fd);
	f.w.efd = -1;
	fake_fini(&f);
	CHECK(r1 == 1);
	CHECK(r2 == PCAP_ERROR);
	return 1;
}

/* --- the selectable fd says whether packets wait ------------------------- */

/* The kernel and a capture thread: a chunk of 2 packets into queue 0. */
static void fake_chunk(struct fake *f, uint32_t seq)
{
	struct wirecap_desc d = fake_desc(&f->q[0], seq % FAKE_R, 0, 2, seq);

	fake_publish(f, &f->q[0], &d);
	wc_capture_move(&f->q[0]);
}

static int t_fd_level(void)
{
	struct wcs s = { 0 };
	struct pollfd pfd;
	struct fake f;
	unsigned int n = 0;
	int fd, r[6], d[4];
	pcap_t *p;

	fake_init(&f, 0);
	/* blocking, timeout 0: as softflowd opens it */
	p = fake_handle(&f, &s, 0, 1, 0);
	CHECK(p);
	fd = pcap_get_selectable_fd(p);
	CHECK(fd >= 0);
	pfd = (struct pollfd){ .fd = fd, .events = POLLIN };
	r[0] = poll(&pfd, 1, 0);
	fake_chunk(&f, 0);
	r[1] = poll(&pfd, 1, 0);
	d[0] = pcap_dispatch(p, 1, count_cb, (u_char *)&n);
	r[2] = poll(&pfd, 1, 0);	/* one packet left */
	d[1] = pcap_dispatch(p, -1, count_cb, (u_char *)&n);
	r[3] = poll(&pfd, 1, 50);	/* nothing left */
	fake_chunk(&f, 1);
	fake_chunk(&f, 2);
	r[4] = poll(&pfd, 1, 0);
	d[2] = pcap_dispatch(p, 3, count_cb, (u_char *)&n);
	d[3] = pcap_dispatch(p, 3, count_cb, (u_char *)&n);
	r[5] = poll(&pfd, 1, 50);
	tap_diag("poll: none %d, a chunk %d, after 1 of 2 %d, after all %d, "
		 "2 chunks %d, after all %d; dispatch %d %d %d %d", r[0], r[1],
		 r[2], r[3], r[4], r[5], d[0], d[1], d[2], d[3]);
	fake_close(p);
	close(fd);
	f.w.efd = -1;
	fake_fini(&f);
	CHECK(r[0] == 0 && r[1] == 1 && r[2] == 1 && r[4] == 1);
	CHECK(d[0] == 1 && d[1] == 1 && d[2] == 3 && d[3] == 1 && n == 6);
	CHECK(r[3] == 0 && r[5] == 0);
	return 1;
}

/*
 * With a filter, the fd turns readable when a chunk comes, before anything
 * is filtered (libpcap filters in the kernel: its fd never wakes for a
 * rejected packet). A blocking read that then finds only rejected packets
 * must return 0, not wait for the next chunk: softflowd, polling the fd
 * and reading with a timeout of 0, would hang there, deaf to SIGTERM.
 */
struct filtered_read {
	pcap_t *p;
	unsigned int n;
	int ret, done;
};

static void *filtered_reader(void *arg)
{
	struct filtered_read *r = arg;

	r->ret = pcap_dispatch(r->p, -1, count_cb, (u_char *)&r->n);
	__atomic_store_n(&r->done, 1, __ATOMIC_RELEASE);
	return NULL;
}

static void *filtered_next(void *arg)
{
	struct filtered_read *r = arg;
	struct pcap_pkthdr h;

	r->ret = pcap_next(r->p, &h) ? 1 : 0;
	__atomic_store_n(&r->done, 1, __ATOMIC_RELEASE);
	return NULL;
}

static int t_fd_filter(void)
{
	struct filtered_read r = { 0 };
	struct bpf_program prog;
	struct wcs s = { 0 };
	struct pollfd pfd;
	struct fake f;
	pcap_t *dead;
	pthread_t t;
	int fd, polled, ms, rp, nx;

	fake_init(&f, 0);
	r.p = fake_handle(&f, &s, 0, 1, 0);
	CHECK(r.p);
	dead = pcap_open_dead(DLT_EN10MB, 65535);
	CHECK(dead && pcap_compile(dead, &prog, "len > 60000", 1,
				   PCAP_NETMASK_UNKNOWN) == 0);
	CHECK(pcap_setfilter(r.p, &prog) == 0);
	pcap_freecode(&prog);
	pcap_close(dead);
	fd = pcap_get_selectable_fd(r.p);
	CHECK(fd >= 0);
	fake_chunk(&f, 0);
	pfd = (struct pollfd){ .fd = fd, .events = POLLIN };
	polled = poll(&pfd, 1, 0);
	pthread_create(&t, NULL, filtered_reader, &r);
	for (ms = 0; ms < 1000; ms++) {
		if (__atomic_load_n(&r.done, __ATOMIC_ACQUIRE))
			break;
		usleep(1000);
	}
	if (ms == 1000)
		pcap_breakloop(r.p);	/* the read hung: end it */
	pthread_join(t, NULL);
	rp = poll(&pfd, 1, 0);
	tap_diag("poll %d; dispatch %s in %d ms: %d (%u delivered); poll after %d",
		 polled, ms < 1000 ? "returned" : "HUNG, broken", ms, r.ret,
		 r.n, rp);
	/*
	 * pcap_next() has no "nothing" but NULL, which ends a
	 * while (pcap_next()) loop: it waits for a packet that passes, as
	 * libpcap's, until pcap_breakloop().
	 */
	r.done = 0;
	fake_chunk(&f, 1);
	pthread_create(&t, NULL, filtered_next, &r);
	usleep(300 * 1000);
	nx = __atomic_load_n(&r.done, __ATOMIC_ACQUIRE);
	pcap_breakloop(r.p);
	pthread_join(t, NULL);
	tap_diag("pcap_next on rejected packets: %s within 300 ms",
		 nx ? "RETURNED" : "still waiting");
	fake_close(r.p);
	close(fd);
	f.w.efd = -1;
	fake_fini(&f);
	CHECK(polled == 1 && ms < 1000 && r.ret == 0 && r.n == 0 && rp == 0);
	CHECK(!nx);
	return 1;
}

/* --- breakloop and stats while the session grows ------------------------ */

struct joiner {
	struct fake *f;
	pcap_t *p;
	int stop;
	unsigned long calls;
};

/* What join_session() does for another handle: wirecap_add_nic(). */
static void add_queue(struct fake *f)
{
	struct wirecap_queue **qs = malloc((f->w.nq + 1) * sizeof(*qs)), **old;

	memcpy(qs, f->w.queues, f->w.nq * sizeof(*qs));
	qs[f->w.nq] = &f->q[f->w.nq];
	pthread_mutex_lock(&wch_lock);
	old = f->w.queues;
	f->w.queues = qs;
	f->w.nq++;
	pthread_mutex_unlock(&wch_lock);
	free(old);
}

/* The handles that joined closed again: back to queue 0 alone. */
static void drop_queues(struct fake *f)
{
	struct wirecap_queue **qs = malloc(sizeof(*qs)), **old;

	qs[0] = &f->q[0];
	pthread_mutex_lock(&wch_lock);
	old = f->w.queues;
	f->w.queues = qs;
	f->w.nq = 1;
	pthread_mutex_unlock(&wch_lock);
	free(old);
}

static void *break_and_stat(void *arg)
{
	struct joiner *j = arg;
	struct pcap_stat ps;

	while (!__atomic_load_n(&j->stop, __ATOMIC_ACQUIRE)) {
		pcap_breakloop(j->p);
		pcap_stats(j->p, &ps);
		j->calls++;
	}
	return NULL;
}

static int t_add_nic_race(void)
{
	struct joiner j = { 0 };
	struct wcs s = { 0 };
	struct fake *f = fake_zalloc(sizeof(*f));
	unsigned long round;
	uint64_t end;
	pthread_t t;
	int k;

	CHECK(f);
	fake_init_full(f, FAKE_MAXQ, 1, WIRECAP_MODE_BASIC, 0, 0, NULL);
	j.f = f;
	j.p = fake_handle(f, &s, 0, 1, 100);
	CHECK(j.p);
	/* activated, not read yet: the session has not started */
	s.started = false;
	f->w.started = false;
	f->w.nq = 1;
	f->w.queues = malloc(sizeof(*f->w.queues));
	f->w.queues[0] = &f->q[0];
	pthread_create(&t, NULL, break_and_stat, &j);
	end = now_ms() + 1000;
	for (round = 0; now_ms() < end; round++) {
		for (k = 1; k < FAKE_MAXQ; k++)
			add_queue(f);
		drop_queues(f);
	}
	__atomic_store_n(&j.stop, 1, __ATOMIC_RELEASE);
	pthread_join(t, NULL);
	tap_diag("%lu pcap_breakloop + pcap_stats while %lu x %d handles "
		 "joined", j.calls, round, FAKE_MAXQ - 1);
	fake_close(j.p);
	free(f->w.queues);
	f->w.queues = f->qp;
	f->w.nq = FAKE_MAXQ;
	fake_fini(f);
	free(f);
	return 1;
}

/* --- the real pcap_breakloop is resolved outside signal handlers -------- */

static int t_real_breakloop(void)
{
	void *real = dlsym(RTLD_NEXT, "pcap_breakloop"), *f1, *f2;
	char eb[PCAP_ERRBUF_SIZE];
	pcap_t *theirs, *ours;

	CHECK(real);
	theirs = pcap_open_dead(DLT_EN10MB, 100);
	CHECK(theirs);
	/* as if libpcap came after the shim's constructor (dlopen) */
	__atomic_store_n(&real_breakloop, NULL, __ATOMIC_RELAXED);
	pcap_snapshot(theirs);
	f1 = (void *)__atomic_load_n(&real_breakloop, __ATOMIC_RELAXED);
	__atomic_store_n(&real_breakloop, NULL, __ATOMIC_RELAXED);
	ours = pcap_create("wirecap:nonic0", eb);
	f2 = (void *)__atomic_load_n(&real_breakloop, __ATOMIC_RELAXED);
	tap_diag("after pcap_snapshot(): %s; after pcap_create(): %s",
		 f1 ? "known" : "unknown", f2 ? "known" : "unknown");
	if (ours)
		pcap_close(ours);
	pcap_breakloop(theirs);		/* libpcap's: sets its flag */
	pcap_close(theirs);
	CHECK(ours);
	CHECK(f1 == real && f2 == real);
	return 1;
}

/* --- pcap_inject ----------------------------------------------------------- */

/* The next frame of ethertype 0x88b5 sent out of lo, within 2 s. */
static int lo_next_out(int s, u_char *buf, size_t size)
{
	uint64_t end = now_ms() + 2000;

	while (now_ms() < end) {
		struct pollfd pfd = { .fd = s, .events = POLLIN };
		struct sockaddr_ll from;
		socklen_t fl = sizeof(from);
		ssize_t n;

		if (poll(&pfd, 1, 50) != 1)
			continue;
		n = recvfrom(s, buf, size, 0, (struct sockaddr *)&from, &fl);
		if (n >= 14 && from.sll_pkttype == PACKET_OUTGOING &&
		    buf[12] == 0x88 && buf[13] == 0xb5)
			return (int)n;
	}
	return -1;
}

static int t_inject(void)
{
	struct sockaddr_ll sll = {
		.sll_family = AF_PACKET, .sll_protocol = htons(ETH_P_ALL),
		.sll_ifindex = (int)if_nametoindex("lo"),
	};
	char eb[PCAP_ERRBUF_SIZE];
	u_char frame[64], got[256];
	pcap_t *p, *none;
	struct wch *h;
	int tap, ret;
	unsigned int i;

	for (i = 0; i < sizeof(frame); i++)
		frame[i] = (u_char)(5 * i);
	memcpy(frame, "\0\0\0\0\0\0\0\0\0\0\0\0\x88\xb5", 14);
	p = pcap_create("wirecap:lo", eb);
	none = pcap_create("wirecap:nonic0", eb);
	CHECK(p && none);
	CHECK(pcap_inject(p, frame, sizeof(frame)) ==
	      PCAP_ERROR_NOT_ACTIVATED);
	/* activated as activate() leaves a handle; no session needed */
	h = wch_find(p);
	h->activated = true;
	wch_find(none)->activated = true;
	CHECK(pcap_inject(none, frame, sizeof(frame)) == PCAP_ERROR);
	tap_diag("wirecap:nonic0: %s", pcap_geterr(none));
	CHECK(strstr(pcap_geterr(none), "nonic0"));
	pcap_close(none);
	tap = socket(AF_PACKET, SOCK_RAW, htons(ETH_P_ALL));
	if (tap < 0 && (errno == EPERM || errno == EACCES)) {
		tap_diag("no CAP_NET_RAW: not sending");
		pcap_close(p);
		return 1;
	}
	CHECK(tap >= 0 && !bind(tap, (struct sockaddr *)&sll, sizeof(sll)));
	ret = pcap_inject(p, frame, sizeof(frame));
	tap_diag("pcap_inject: %d %s", ret, ret < 0 ? pcap_geterr(p) : "");
	CHECK(ret == (int)sizeof(frame));
	CHECK(lo_next_out(tap, got, sizeof(got)) == (int)sizeof(frame));
	CHECK(!memcmp(got, frame, sizeof(frame)));
	frame[30] ^= 0x5a;
	CHECK(pcap_sendpacket(p, frame, sizeof(frame)) == 0);
	CHECK(lo_next_out(tap, got, sizeof(got)) == (int)sizeof(frame));
	CHECK(!memcmp(got, frame, sizeof(frame)));
	CHECK(h->out);
	close(tap);
	pcap_close(p);
	return 1;
}

/* --- frames across cells ------------------------------------------------ */

#define J_CELL		2048
#define J_SPILL		65536
#define J_CHUNK		(FAKE_M * J_CELL + J_SPILL)

struct jseen {
	unsigned int n;
	struct pcap_pkthdr hdr[4];
	const u_char *data[4];
};

static void jumbo_cb(u_char *user, const struct pcap_pkthdr *hdr,
		     const u_char *data)
{
	struct jseen *js = (struct jseen *)user;

	if (js->n < 4) {
		js->hdr[js->n] = *hdr;
		js->data[js->n] = data;
	}
	js->n++;
}

static int t_jumbo(void)
{
	static const struct fake_geom g = {
		.cell_size = J_CELL, .chunk_bytes = J_CHUNK,
		.spill_size = J_SPILL, .max_frame = 65535,
		.features = WIRECAP_F_MULTI_CELL,
	};
	/* chunk 2: 9000 bytes in cells 0-4, 60 in 5, 65535 from 6 on */
	static const struct { unsigned int cell; uint16_t len, flags; } fr[] = {
		{ 0, 9000, WIRECAP_CELL_MORE }, { 5, 60, 0 },
		{ 6, 65535, WIRECAP_CELL_MORE },
	};
	struct fake *f = fake_zalloc(sizeof(*f));
	struct wirecap_cell_meta *m;
	struct wirecap_desc d;
	struct jseen js = { 0 };
	struct wcs s = { 0 };
	unsigned int k;
	pcap_t *p;

	CHECK(f);
	fake_init_geom(f, 2, 1, WIRECAP_MODE_BASIC, 0, 0, NULL, &g);
	m = f->meta[0] + 2 * FAKE_M;
	for (k = 0; k < FAKE_M; k++)
		m[k] = (struct wirecap_cell_meta){
			.flags = WIRECAP_CELL_CONT, .hash = k < 5 ? k : k - 6,
		};
	for (k = 0; k < 3; k++)
		m[fr[k].cell] = (struct wirecap_cell_meta){
			.len = fr[k].len, .flags = fr[k].flags,
			.ts_ns = 1000000000ull * (k + 1),
		};
	d = fake_desc(&f->q[0], 2, 0, FAKE_M, 1);
	CHECK(fake_publish(f, &f->q[0], &d));
	wc_capture_move(&f->q[0]);
	p = fake_handle(f, &s, 0, 1, 100);
	CHECK(p);
	wch_find(p)->snaplen = 10000;
	CHECK(pcap_dispatch(p, -1, jumbo_cb, (u_char *)&js) == 3);
	fake_close(p);
	CHECK(js.n == 3);
	for (k = 0; k < 3; k++) {
		tap_diag("packet %u: len %u caplen %u", k, js.hdr[k].len,
			 js.hdr[k].caplen);
		CHECK(js.hdr[k].len == fr[k].len);
		CHECK(js.hdr[k].caplen == (fr[k].len < 10000 ? fr[k].len :
					   10000u));
		CHECK(js.hdr[k].ts.tv_sec == (time_t)k + 1);
		CHECK(js.data[k] == f->pool[0] + 2 * J_CHUNK +
				    fr[k].cell * J_CELL + FAKE_FOFF);
	}
	fake_fini(f);
	free(f);
	return 1;
}

static int t_cell_env(void)
{
	char eb[PCAP_ERRBUF_SIZE];
	pcap_t *p;
	int ret;

	setenv("WIRECAP_CELL_SIZE", "3000", 1);
	p = pcap_create("wirecap:nonic0", eb);
	CHECK(p);
	ret = pcap_activate(p);
	tap_diag("WIRECAP_CELL_SIZE=3000: %d, %s", ret, pcap_geterr(p));
	CHECK(ret == PCAP_ERROR &&
	      strstr(pcap_geterr(p), "WIRECAP_CELL_SIZE"));
	pcap_close(p);
	setenv("WIRECAP_CELL_SIZE", "4096", 1);
	p = pcap_create("wirecap:nonic0", eb);
	CHECK(p);
	ret = pcap_activate(p);
	tap_diag("WIRECAP_CELL_SIZE=4096: %d, %s", ret, pcap_geterr(p));
	CHECK(ret == PCAP_ERROR_NO_SUCH_DEVICE);
	pcap_close(p);
	unsetenv("WIRECAP_CELL_SIZE");
	return 1;
}

/*
 * What the stand-in refuses, in the kernel's order: a pool over max
 * bytes (E2BIG); R up to other (EINVAL: a refusal no R cures); R.M under
 * the ring (EINVAL). The default (R = M = 0) is taken if default_ok, else
 * refused with ENOMEM.
 */
static struct {
	bool on, default_ok;
	unsigned int ring, other, calls, m, r;
	unsigned long long max;
} refused;
static char refused_taken;	/* what a taken pool returns */

struct wirecap *shim_open(const char *ifname, const unsigned int *queues,
			  unsigned int nr, const struct wirecap_opts *o)
{
	if (!refused.on)
		return wirecap_open(ifname, queues, nr, o);
	refused.calls++;
	refused.m = o->cells_per_chunk;
	refused.r = o->nr_chunks;
	if (!o->nr_chunks) {
		errno = ENOMEM;
		return refused.default_ok ? (void *)&refused_taken : NULL;
	}
	if ((unsigned long long)o->nr_chunks * o->cells_per_chunk * 2048 >
	    refused.max) {
		errno = E2BIG;
		return NULL;
	}
	if (o->nr_chunks <= refused.other ||
	    o->nr_chunks * o->cells_per_chunk < refused.ring) {
		errno = EINVAL;
		return NULL;
	}
	return (void *)&refused_taken;
}

/* open_refused() for a pool of M = 64 and R = r that was just refused. */
static struct wirecap *refused_open(unsigned int r)
{
	WIRECAP_OPTS(o);

	o.cells_per_chunk = 64;
	o.nr_chunks = r;
	refused.calls = 0;
	errno = EINVAL;
	return open_refused("fake0", NULL, 0, &o);
}

static int t_refused_pool(void)
{
	bool ok = true;

	refused.on = true;
	refused.ring = 1024;
	refused.other = 0;
	refused.max = 1ull << 30;
	refused.default_ok = true;
	/* 256 cells: R 8 refused, R 16 (the ring) taken */
	ok = ok && refused_open(4) == (void *)&refused_taken &&
	     refused.calls == 2 && refused.m == 64 && refused.r == 16;
	tap_diag("R 4: %u calls, ended at M %u R %u", refused.calls,
		 refused.m, refused.r);
	/* R 12: the next power of two, 16, at once */
	ok = ok && refused_open(12) == (void *)&refused_taken &&
	     refused.calls == 1 && refused.r == 16;
	/* refused at every R until E2BIG (64 MiB: R 1024): the default */
	refused.other = ~0u;
	refused.max = 64ull << 20;
	ok = ok && refused_open(4) == (void *)&refused_taken &&
	     refused.m == 0 && refused.r == 0;
	tap_diag("refused at every R: %u calls, ended at M %u R %u",
		 refused.calls, refused.m, refused.r);
	/* the default refused as well: NULL and the default's error */
	refused.default_ok = false;
	ok = ok && !refused_open(4) && errno == ENOMEM;
	refused.on = false;
	return ok;
}

int main(void)
{
	tap_plan(14);
	tap_run("pcap_breakloop from a signal handler never deadlocks",
		t_breakloop_signal);
	tap_run("the packet path takes no lock", t_no_lock);
	tap_run("pcap_dispatch(-1) is bounded under overload",
		t_dispatch_bound);
	tap_run("signals do not stretch the read timeout", t_eintr_timeout);
	tap_run("pcap_breakloop from another thread wakes pcap_loop",
		t_breakloop_wakes);
	tap_run("the selectable fd turns readable when a queue fails",
		t_fd_on_failure);
	tap_run("the selectable fd is readable while packets wait, only",
		t_fd_level);
	tap_run("a read that finds only filtered-out packets returns 0",
		t_fd_filter);
	tap_run("pcap_breakloop and pcap_stats while other handles join",
		t_add_nic_race);
	tap_run("the real pcap_breakloop is resolved outside signal handlers",
		t_real_breakloop);
	tap_run("pcap_inject and pcap_sendpacket send through the stack",
		t_inject);
	tap_run("frames across cells reach the callback whole, up to 65535",
		t_jumbo);
	tap_run("WIRECAP_CELL_SIZE is checked and taken", t_cell_env);
	tap_run("a refused pool: the ring, else the driver's default",
		t_refused_pool);
	return tap_exit();
}
