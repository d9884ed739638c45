// SPDX-License-Identifier: BSD-2-Clause
/*
 * libwirecap-pcap: the libpcap API on WireCAP queues, so that programs
 * written for libpcap capture through WireCAP unchanged. Preloaded
 * (LD_PRELOAD, or `wirecap exec PROGRAM`), it serves the device names
 *
 *   wirecap:IFNAME              every queue of IFNAME, one handle
 *   wirecap:IFNAME@Q            queue Q; @A-B, @0,2-3: those queues
 *
 * itself, and hands every other device, and every savefile, to the
 * system libpcap untouched.
 *
 * How. A WireCAP handle is a real pcap_t, made by the system libpcap with
 * pcap_open_dead(DLT_EN10MB): every call not taken over here (pcap_datalink,
 * pcap_compile, pcap_geterr, pcap_dump, pcap_freecode, ...) works on it as
 * it is. A table maps such handles to their state (struct wch); each
 * function taken over looks the handle up and, when it is not ours, calls
 * the system libpcap's own (found with dlsym(RTLD_NEXT)). The lookup takes
 * no lock (the table is append-only, its slots published with release
 * stores), so it is safe in a signal handler, and handles used by
 * different threads never wait for each other. The library underneath is
 * libwirecap's public API only.
 *
 * Zero copy: the packet pointer a pcap_loop/pcap_dispatch callback gets
 * points into the ring buffer pool, and the chunk holding it goes back to
 * the kernel when the callback returns from the chunk's last packet;
 * pcap_next/pcap_next_ex's pointer stays valid until the next call on the
 * handle (as libpcap documents). Copy what must live longer.
 *
 * Mapping of the libpcap settings:
 *   snaplen          caplen = min(frame, snaplen); 0 or > 262144: 262144
 *   timeout          packets wait at most min(timeout, 10 ms) in a partly
 *                    filled chunk; reads block up to timeout (0: forever)
 *   immediate mode   at most 1 ms
 *   buffer size      the pool: R = size / (M cells x cell size), M = 64
 *                    (small cells: as many as make 32 KiB); a pool the
 *                    NIC refuses: the smallest larger R it takes (below
 *                    its ring: R.M = the ring), else the driver's
 *                    defaults (also when no size is set)
 * WIRECAP_CELL_SIZE in the environment (at activation) is the pool's
 * cell size (default 2048): frames longer than a cell span cells on NICs
 * that can, and still come as one packet, len up to 65535.
 *   promisc          WireCAP NICs capture everything anyway
 *   tstamp precision micro or nano (the kernel stamps in ns)
 *   rfmon            PCAP_ERROR_RFMON_NOTSUP; tstamp types: host only
 * pcap_stats: ps_recv counts every frame that reached the handle's queues
 * (before the filter, which runs here in user space), ps_drop the ones
 * dropped for want of a free cell in the pool, ps_ifdrop the ones too
 * long to capture (the driver's oversize drops: longer than the NIC's
 * MTU, or than a cell where frames cannot span cells); all since
 * activation.
 * pcap_inject/pcap_sendpacket send through the kernel's transmit path of
 * IFNAME, one copy, as libpcap's own do (libwirecap's wirecap_out_send:
 * an AF_PACKET socket bound to the NIC, made on the first call): the
 * frame is the application's, in no pool, and the handle's queues are
 * captured, so their devices cannot be opened again for XMIT.
 * Handles are as thread-safe as libpcap's: one thread per handle; and as
 * in libpcap 1.10, pcap_breakloop() may be called from a signal handler or
 * from another thread: it sets a flag and wakes the reader at once.
 * pcap_dispatch() with cnt <= 0 reads at most what was captured when it
 * was called, however fast more comes. Signals do not stretch the read
 * timeout. The selectable fd (pcap_get_selectable_fd, pcap_fileno) is
 * readable while packets wait to be read, as libpcap's.
 *
 * Buddy groups: handles activated on queues of one NIC before any of them
 * is read, with the same settings that make the session (buffer size,
 * timeout and immediate mode as they map to the CAPTURE timeout, and
 * WIRECAP_MODE / WIRECAP_OFFLOAD_PCT / WIRECAP_CELL_SIZE as they were at
 * activation), share
 * one libwirecap session (struct wcs), so their queues are one buddy
 * group; with WIRECAP_MODE=advanced in the environment (and
 * WIRECAP_OFFLOAD_PCT=T, default 60) chunks of a busy queue are read
 * through a less busy handle of the group; with WIRECAP_MODE=flow, flows
 * of a busy queue move to a less busy handle, each flow's packets read
 * through one handle at a time and in order (wirecap(3), flow mode), so
 * a program with one handle per queue keeps its per-flow state per
 * handle. Such handles have no
 * selectable fd while they share it (it would be shared, and one
 * handle's reads would reset it for the others). A handle activated after
 * the group started reading, or with other settings, gets a session of
 * its own. pcap_close() of one handle of a group detaches its queues
 * (wirecap_queue_detach): they leave the group, are given back to the
 * kernel, and their devices are free again once the chunks of theirs
 * that the others read are back.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <dlfcn.h>
#include <errno.h>
#include <pcap/pcap.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "wirecap.h"

#define WCH_PREFIX	"wirecap:"
#define WCH_ENV_MODE	"WIRECAP_MODE"		/* basic | advanced | flow */
#define WCH_ENV_T	"WIRECAP_OFFLOAD_PCT"	/* T, 1..100 */
#define WCH_ENV_CELL	"WIRECAP_CELL_SIZE"	/* bytes per cell, 2^n */
#define WCH_MAXSNAP	262144
#define WCH_MAXQ	256
#define WCH_PCAP_M	64	/* cells per chunk when a buffer size is set */
#define WCH_MAX_R	65536	/* chunks tried for a buffer below the ring */
#define WCH_CELL	2048

#define EXPORT __attribute__((visibility("default")))

/* The system libpcap's fn, resolved once. */
static void *real_sym(const char *name)
{
	void *f = dlsym(RTLD_NEXT, name);

	if (!f) {
		fprintf(stderr, "libwirecap-pcap: no %s in the system libpcap\n",
			name);
		abort();
	}
	return f;
}

#define REAL(fn) ({							\
	static __typeof__(&fn) r_;					\
	__typeof__(&fn) f_ = __atomic_load_n(&r_, __ATOMIC_RELAXED);	\
	if (!f_) {							\
		f_ = (__typeof__(&fn))real_sym(#fn);			\
		__atomic_store_n(&r_, f_, __ATOMIC_RELAXED);		\
	}								\
	f_;								\
})

/*
 * One libwirecap session per NIC and settings: handles activated on
 * queues of one NIC with the same settings before any of them is read
 * share it, so their queues are one buddy group (in advanced mode chunks
 * move between them). It starts when one of them is first read, and
 * closes with its last handle. Under wch_lock, but started and live,
 * which the packet path reads.
 */
struct wcs {
	struct wcs *next;
	char ifname[WIRECAP_IFNAMSIZ];
	struct wirecap_opts o;		/* as asked for: joining compares */
	struct wirecap *w;
	bool started;			/* atomic */
	unsigned int users;
	unsigned int live;		/* queues of open handles; atomic */
};

/* One WireCAP handle. */
struct wch {
	pcap_t *p;			/* the handle the application holds */
	char *device;			/* as given: wirecap:... */
	/* settings (before activation) */
	int snaplen, timeout_ms, buffer_size, precision;
	bool immediate, rfmon, tstamp_type_bad;
	/* activated */
	bool activated, nonblock;
	bool fd_given;			/* pcap_get_selectable_fd/pcap_fileno
					 * handed out its fd */
	bool fd_up;			/* fd_level() left it readable, and
					 * nothing read it since */
	uint64_t looked;		/* packets deliver() took, filtered
					 * out or not */
	bool want_packet;		/* pcap_next(): a read returns one */
	struct wcs *s;			/* its session; atomic (breakloop) */
	/*
	 * Its queues, taken from the session when it joined (under
	 * wch_lock): the session's own array moves when other handles
	 * join it (wirecap_add_nic), and nothing here may read it then.
	 */
	struct wirecap_queue **qs;
	unsigned int nq, next_q;
	struct wirecap_chunk cur;	/* the chunk being read */
	unsigned int cur_i;
	struct bpf_program prog;	/* our copy; bf_insns NULL: none */
	uint32_t brk;			/* pcap_breakloop(): any thread or a
					 * signal handler sets it, the reader
					 * takes it (atomic) */
	struct pcap_pkthdr next_hdr;	/* pcap_next_ex's */
	struct wirecap_out *out;	/* pcap_inject's, made on its first
					 * call (atomic) */
};

/*
 * The handle table: slots {p, h} in segments that are never freed, each
 * published with a release store (of the segment link, of the slot's p),
 * so that a lookup walks it without a lock, from any thread or a signal
 * handler. Creating and closing handles fill and empty slots under
 * wch_lock; a slot is reused once emptied. A lookup compares p only and
 * never touches a handle that is not the one it looks for.
 */
#define WCH_SEG		64

struct wch_slot {
	pcap_t *p;			/* NULL: empty */
	struct wch *h;
};

struct wch_seg {
	struct wch_slot slot[WCH_SEG];
	struct wch_seg *next;
};

static pthread_mutex_t wch_lock = PTHREAD_MUTEX_INITIALIZER;
static struct wch_seg wch_table;
static unsigned int wch_count;	/* our handles (atomic): 0, no lookup */
static struct wcs *wcs_list;	/* under wch_lock */

static struct wch *wch_find(pcap_t *p)
{
	const struct wch_seg *g;
	unsigned int i;

	if (!p || !__atomic_load_n(&wch_count, __ATOMIC_ACQUIRE))
		return NULL;
	/* acquire: pairs with the release that linked the segment */
	for (g = &wch_table; g; g = __atomic_load_n(&g->next, __ATOMIC_ACQUIRE))
		for (i = 0; i < WCH_SEG; i++)
			/* acquire: pairs with wch_insert()'s release of p */
			if (__atomic_load_n(&g->slot[i].p, __ATOMIC_ACQUIRE) ==
			    p) {
				struct wch *h = __atomic_load_n(&g->slot[i].h,
							__ATOMIC_RELAXED);

				if (h)
					return h;
			}
	return NULL;
}

static void resolve_breakloop(void);

/*
 * wch_find() for every function but pcap_breakloop(): called in normal
 * context, it also makes sure the real pcap_breakloop is known.
 */
static struct wch *wch_get(pcap_t *p)
{
	resolve_breakloop();
	return wch_find(p);
}

/* Under wch_lock: h into an empty slot. 0 or -ENOMEM. */
static int wch_insert(struct wch *h)
{
	struct wch_seg *g, *last = NULL;
	unsigned int i;

	for (g = &wch_table; g; last = g, g = g->next)
		for (i = 0; i < WCH_SEG; i++)
			if (!g->slot[i].p && !g->slot[i].h)
				goto found;
	g = calloc(1, sizeof(*g));
	if (!g)
		return -ENOMEM;
	/* release: a walker that sees the link sees empty slots */
	__atomic_store_n(&last->next, g, __ATOMIC_RELEASE);
	i = 0;
found:
	__atomic_store_n(&g->slot[i].h, h, __ATOMIC_RELAXED);
	/* release: a lookup that finds p finds h, and h made */
	__atomic_store_n(&g->slot[i].p, h->p, __ATOMIC_RELEASE);
	__atomic_fetch_add(&wch_count, 1, __ATOMIC_RELEASE);
	return 0;
}

/* Under wch_lock: h's slot emptied (h is about to be freed). */
static void wch_remove(struct wch *h)
{
	struct wch_seg *g;
	unsigned int i;

	for (g = &wch_table; g; g = g->next)
		for (i = 0; i < WCH_SEG; i++)
			if (g->slot[i].h == h) {
				__atomic_store_n(&g->slot[i].p, NULL,
						 __ATOMIC_RELEASE);
				__atomic_store_n(&g->slot[i].h, NULL,
						 __ATOMIC_RELEASE);
				__atomic_fetch_sub(&wch_count, 1,
						   __ATOMIC_RELEASE);
				return;
			}
}

/*
 * pcap_breakloop() must be async-signal-safe for handles that are not
 * ours too: the system libpcap's is looked up outside signal handlers,
 * not by the lazy REAL() (dlsym is not async-signal-safe): when the shim
 * is loaded, and, should libpcap not be there yet then (a program that
 * dlopen()s it later; the shim is also inherited by every child of a
 * preloaded shell), again by every other function of ours (wch_get)
 * until it is found: a program has called one of them before it has a
 * handle to break.
 */
static void (*real_breakloop)(pcap_t *);

static void resolve_breakloop(void)
{
	if (!__atomic_load_n(&real_breakloop, __ATOMIC_RELAXED))
		__atomic_store_n(&real_breakloop,
				 dlsym(RTLD_NEXT, "pcap_breakloop"),
				 __ATOMIC_RELAXED);
}

__attribute__((constructor)) static void wch_init(void)
{
	resolve_breakloop();
}

static bool is_ours(const char *device)
{
	return device && !strncmp(device, WCH_PREFIX, strlen(WCH_PREFIX));
}

/* The handle's error text, where pcap_geterr() finds it. */
__attribute__((format(printf, 2, 3)))
static void wch_err(struct wch *h, const char *fmt, ...)
{
	char *eb = REAL(pcap_geterr)(h->p);
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(eb, PCAP_ERRBUF_SIZE, fmt, ap);
	va_end(ap);
}

/* --- making handles -------------------------------------------------------- */

static pcap_t *wch_create(const char *device, char *errbuf)
{
	struct wch *h = calloc(1, sizeof(*h));

	if (h)
		h->device = strdup(device);
	if (h && h->device)
		h->p = REAL(pcap_open_dead_with_tstamp_precision)(
			DLT_EN10MB, WCH_MAXSNAP, PCAP_TSTAMP_PRECISION_MICRO);
	if (!h || !h->device || !h->p) {
		snprintf(errbuf, PCAP_ERRBUF_SIZE, "%s: out of memory", device);
		if (h)
			free(h->device);
		free(h);
		return NULL;
	}
	h->precision = PCAP_TSTAMP_PRECISION_MICRO;
	h->timeout_ms = 0;
	pthread_mutex_lock(&wch_lock);
	if (wch_insert(h)) {
		pthread_mutex_unlock(&wch_lock);
		snprintf(errbuf, PCAP_ERRBUF_SIZE, "%s: out of memory", device);
		REAL(pcap_close)(h->p);
		free(h->device);
		free(h);
		return NULL;
	}
	pthread_mutex_unlock(&wch_lock);
	return h->p;
}

EXPORT pcap_t *pcap_create(const char *device, char *errbuf)
{
	resolve_breakloop();
	if (!is_ours(device))
		return REAL(pcap_create)(device, errbuf);
	return wch_create(device, errbuf);
}

/* The pcap_set_* calls: before activation only, as in libpcap. */
#define WCH_SETTER(name, type, body)					\
EXPORT int name(pcap_t *p, type v)					\
{									\
	struct wch *h = wch_get(p);					\
									\
	if (!h)								\
		return REAL(name)(p, v);				\
	if (h->activated) {						\
		wch_err(h, "can't perform  operation on activated "	\
			"capture");					\
		return PCAP_ERROR_ACTIVATED;				\
	}								\
	body;								\
	return 0;							\
}

WCH_SETTER(pcap_set_snaplen, int, h->snaplen = v)
WCH_SETTER(pcap_set_promisc, int, (void)v)
WCH_SETTER(pcap_set_timeout, int, h->timeout_ms = v)
WCH_SETTER(pcap_set_immediate_mode, int, h->immediate = v != 0)
WCH_SETTER(pcap_set_buffer_size, int, h->buffer_size = v)
WCH_SETTER(pcap_set_rfmon, int, h->rfmon = v != 0)
WCH_SETTER(pcap_set_tstamp_type, int,
	   h->tstamp_type_bad = v != PCAP_TSTAMP_HOST)

EXPORT int pcap_set_tstamp_precision(pcap_t *p, int v)
{
	struct wch *h = wch_get(p);

	if (!h)
		return REAL(pcap_set_tstamp_precision)(p, v);
	if (h->activated)
		return PCAP_ERROR_ACTIVATED;
	if (v != PCAP_TSTAMP_PRECISION_MICRO && v != PCAP_TSTAMP_PRECISION_NANO)
		return PCAP_ERROR_TSTAMP_PRECISION_NOTSUP;
	h->precision = v;
	return 0;
}

EXPORT int pcap_get_tstamp_precision(pcap_t *p)
{
	struct wch *h = wch_get(p);

	return h ? h->precision : REAL(pcap_get_tstamp_precision)(p);
}

EXPORT int pcap_can_set_rfmon(pcap_t *p)
{
	return wch_get(p) ? 0 : REAL(pcap_can_set_rfmon)(p);
}

/* "wirecap:eth0@0,2-3" -> "eth0", {0, 2, 3}. 0 or -1. */
static int parse_device(const char *device, char *ifname, size_t len,
			unsigned int *queues, int *nq)
{
	const char *name = device + strlen(WCH_PREFIX);
	const char *at = strchr(name, '@');
	size_t n = at ? (size_t)(at - name) : strlen(name);

	if (!n || n >= len || memchr(name, '/', n))
		return -1;
	memcpy(ifname, name, n);
	ifname[n] = 0;
	*nq = 0;
	if (at) {
		*nq = wirecap_parse_queues(at + 1, queues, WCH_MAXQ);
		if (*nq <= 0)
			return -1;
	}
	return 0;
}

/* Would a session opened with a serve a handle that asks for b? */
static bool same_settings(const struct wirecap_opts *a,
			  const struct wirecap_opts *b)
{
	return a->cells_per_chunk == b->cells_per_chunk &&
	       a->nr_chunks == b->nr_chunks && a->timeout_us == b->timeout_us &&
	       a->mode == b->mode && a->offload_pct == b->offload_pct &&
	       a->cell_size == b->cell_size;
}

/*
 * The pool o asks for was refused (EINVAL). Most often it is smaller than
 * the NIC's ring, whose cells come from the pool (R.M >= ring): then the
 * smallest pool the NIC takes, which is the ring (R.M and the ring are
 * powers of two: the first power of two above R that is taken), as
 * libpcap gives a buffer as close to the one asked as it can. When no
 * larger R is taken (the refusal was about something else, or the pools
 * grew too big: E2BIG), the driver's default, as before; the error is
 * then the default's.
 */
static struct wirecap *open_refused(const char *ifname,
				    const unsigned int *queues,
				    unsigned int nq,
				    const struct wirecap_opts *o)
{
	struct wirecap_opts d = *o;
	struct wirecap *w = NULL;
	unsigned int r = 1;

	while (r <= o->nr_chunks && r < WCH_MAX_R)
		r *= 2;
	for (; r <= WCH_MAX_R; r *= 2) {
		d.nr_chunks = r;
		w = wirecap_open(ifname, queues, nq, &d);
		if (w || errno != EINVAL)
			break;
	}
	if (!w) {
		d.cells_per_chunk = d.nr_chunks = 0;
		w = wirecap_open(ifname, queues, nq, &d);
	}
	return w;
}

/*
 * Under wch_lock: put h's queues into the session of its NIC that has not
 * started yet and has h's settings, or into a new one. 0 or an errno.
 */
static int join_session(struct wch *h, const char *ifname,
			const unsigned int *queues, int nq,
			const struct wirecap_opts *o)
{
	struct wirecap_queue **qs = NULL;
	unsigned int first, i;
	struct wcs *s;
	int ret;

	for (s = wcs_list; s; s = s->next)
		if (!s->started && !strcmp(s->ifname, ifname) &&
		    same_settings(&s->o, o))
			break;
	if (s && queues) {
		qs = calloc(nq, sizeof(*qs));
		if (!qs)
			return ENOMEM;
		first = wirecap_queue_count(s->w);
		ret = wirecap_add_nic(s->w, ifname, queues, nq);
		if (ret) {
			free(qs);
			return -ret;
		}
	} else {
		s = calloc(1, sizeof(*s));
		if (!s)
			return ENOMEM;
		snprintf(s->ifname, sizeof(s->ifname), "%s", ifname);
		s->o = *o;
		s->w = wirecap_open(ifname, queues, nq, o);
		if (!s->w && errno == EINVAL && o->nr_chunks)
			s->w = open_refused(ifname, queues, nq, o);
		if (!s->w) {
			ret = errno;
			free(s);
			return ret;
		}
		qs = calloc(wirecap_queue_count(s->w), sizeof(*qs));
		if (!qs) {
			wirecap_close(s->w);
			free(s);
			return ENOMEM;
		}
		s->next = wcs_list;
		wcs_list = s;
		first = 0;
	}
	h->nq = wirecap_queue_count(s->w) - first;
	for (i = 0; i < h->nq; i++)
		qs[i] = wirecap_queue(s->w, first + i);
	h->qs = qs;
	__atomic_fetch_add(&s->live, h->nq, __ATOMIC_RELAXED);
	s->users++;
	/* release: pcap_breakloop() that sees s sees it made */
	__atomic_store_n(&h->s, s, __ATOMIC_RELEASE);
	return 0;
}

static struct wirecap_queue *hq(const struct wch *h, unsigned int i)
{
	return h->qs[i];
}

/*
 * Under wch_lock: h is done with its session. The others of its group go
 * on without h's queues: they are detached (no chunk goes to them any
 * more, the kernel has them back). The last one closes the session.
 */
static void leave_session(struct wch *h)
{
	struct wcs *s = h->s, **pp;
	unsigned int i;

	if (!s)
		return;
	if (--s->users) {
		for (i = 0; i < h->nq; i++)
			wirecap_queue_detach(hq(h, i));
		__atomic_fetch_sub(&s->live, h->nq, __ATOMIC_RELAXED);
		return;
	}
	for (pp = &wcs_list; *pp != s; pp = &(*pp)->next)
		;
	*pp = s->next;
	wirecap_close(s->w);
	free(s);
}

/* The first read on any handle of the session starts it. 0 or PCAP_ERROR. */
static int start(struct wch *h)
{
	int ret = 0;

	if (__atomic_load_n(&h->s->started, __ATOMIC_ACQUIRE))
		return 0;
	pthread_mutex_lock(&wch_lock);
	if (!h->s->started) {
		ret = wirecap_start(h->s->w);
		if (!ret)
			__atomic_store_n(&h->s->started, true,
					 __ATOMIC_RELEASE);
	}
	pthread_mutex_unlock(&wch_lock);
	if (ret) {
		wch_err(h, "%s: starting capture: %s", h->device,
			strerror(-ret));
		return PCAP_ERROR;
	}
	return 0;
}

/* A number from a sysfs file, or @def. */
static long sysfs_long(const char *path, long def)
{
	FILE *f = fopen(path, "r");
	long v;

	if (!f)
		return def;
	if (fscanf(f, "%ld", &v) != 1 || v <= 0)
		v = def;
	fclose(f);
	return v;
}

/*
 * The pool a buffer size asks for: as many bytes, spill areas included.
 * Small cells get longer chunks (M up to 32 KiB of cells, at least
 * WCH_PCAP_M, at most what the queue takes), so that a chunk's spill
 * area, which holds the longest frame the NIC's MTU lets through (uapi,
 * FRAMES ACROSS CELLS), costs little.
 */
static void pool_for_buffer(const char *ifname, unsigned int queue, int size,
			    struct wirecap_opts *o)
{
	unsigned int cell = o->cell_size ? o->cell_size : WCH_CELL;
	unsigned long long chunk, frame, page = (unsigned long long)
		sysconf(_SC_PAGESIZE);
	unsigned int m = WCH_PCAP_M;
	long mtu, max_m;
	char path[96];

	snprintf(path, sizeof(path),
		 "/sys/class/wirecap/%s-q%u/max_cells_per_chunk", ifname, queue);
	max_m = sysfs_long(path, WCH_PCAP_M);
	if (max_m < m)
		m = (unsigned int)max_m;	/* a small ring */
	snprintf(path, sizeof(path), "/sys/class/net/%s/mtu", ifname);
	mtu = sysfs_long(path, 1500);
	/* a frame (two VLAN tags) and a header before it (virtio: 20) */
	frame = (unsigned long long)mtu + 14 + 8;
	if (frame > 65535)
		frame = 65535;
	/*
	 * Frames spanning cells need a segment more than the longest frame
	 * takes (ATTACH): at least two segments then.
	 */
	if (frame + 20 > cell && max_m > WCH_PCAP_M)
		max_m /= 2;
	while ((long)m * 2 <= max_m && ((unsigned long long)m * cell < 32768 ||
					(unsigned long long)m * cell < page))
		m *= 2;
	chunk = (unsigned long long)m * cell;
	if (frame + 20 > cell)
		chunk += (frame + page - 1) / page * page;
	o->cells_per_chunk = m;
	o->nr_chunks = (unsigned int)((unsigned long long)size / chunk);
	if (!o->nr_chunks)
		o->nr_chunks = 1;
}

static int activate(struct wch *h)
{
	unsigned int queues[WCH_MAXQ];
	char ifname[WIRECAP_IFNAMSIZ];
	WIRECAP_OPTS(o);
	const char *env;
	int nq, err;

	if (h->activated) {
		wch_err(h, "can't perform  operation on activated capture");
		return PCAP_ERROR_ACTIVATED;
	}
	if (h->rfmon) {
		wch_err(h, "%s: WireCAP devices have no monitor mode",
			h->device);
		return PCAP_ERROR_RFMON_NOTSUP;
	}
	if (parse_device(h->device, ifname, sizeof(ifname), queues, &nq)) {
		wch_err(h, "%s: bad WireCAP device name (wirecap:IFNAME, "
			"wirecap:IFNAME@QUEUES)", h->device);
		return PCAP_ERROR_NO_SUCH_DEVICE;
	}
	if (h->snaplen <= 0 || h->snaplen > WCH_MAXSNAP)
		h->snaplen = WCH_MAXSNAP;
	if (h->immediate)
		o.timeout_us = 1000;
	else if (h->timeout_ms > 0 && h->timeout_ms < 10)
		o.timeout_us = h->timeout_ms * 1000;
	env = getenv(WCH_ENV_CELL);
	if (env && *env) {
		char *end;
		unsigned long v = strtoul(env, &end, 0);

		if (*end || !v || v > 65536 || (v & (v - 1))) {
			wch_err(h, "%s: %s=%s: not a cell size (a power of two "
				"the NIC takes, e.g. 256 or 4096)", h->device,
				WCH_ENV_CELL, env);
			return PCAP_ERROR;
		}
		o.cell_size = (unsigned int)v;
	}
	if (h->buffer_size > 0)
		pool_for_buffer(ifname, nq ? queues[0] : 0, h->buffer_size, &o);
	env = getenv(WCH_ENV_MODE);
	if (env && !strcmp(env, "advanced"))
		o.mode = WIRECAP_MODE_ADVANCED;
	else if (env && !strcmp(env, "flow"))
		o.mode = WIRECAP_MODE_FLOW;
	env = getenv(WCH_ENV_T);
	if (env && atoi(env) > 0 && atoi(env) <= 100)
		o.offload_pct = atoi(env);
	pthread_mutex_lock(&wch_lock);
	err = join_session(h, ifname, nq ? queues : NULL, nq, &o);
	pthread_mutex_unlock(&wch_lock);
	if (err) {
		wch_err(h, "%s: %s%s", h->device, strerror(err),
			err == ENOENT ? " (no such WireCAP queue under "
			WIRECAP_DEV_DIR ")" : err == EBUSY ?
			" (a queue is captured already, by this program or "
			"another)" : err == EINVAL && o.cell_size ?
			" (does the NIC take " WCH_ENV_CELL "?)" : "");
		return err == ENOENT || err == ENODEV ?
		       PCAP_ERROR_NO_SUCH_DEVICE : err == EPERM ||
		       err == EACCES ? PCAP_ERROR_PERM_DENIED : PCAP_ERROR;
	}
	h->activated = true;
	if (h->tstamp_type_bad) {
		wch_err(h, "%s: only host time stamps", h->device);
		return PCAP_WARNING_TSTAMP_TYPE_NOTSUP;
	}
	return 0;
}

EXPORT int pcap_activate(pcap_t *p)
{
	struct wch *h = wch_get(p);

	return h ? activate(h) : REAL(pcap_activate)(p);
}

EXPORT pcap_t *pcap_open_live(const char *device, int snaplen, int promisc,
			      int to_ms, char *errbuf)
{
	pcap_t *p;
	int ret;

	resolve_breakloop();
	if (!is_ours(device))
		return REAL(pcap_open_live)(device, snaplen, promisc, to_ms,
					    errbuf);
	p = wch_create(device, errbuf);
	if (!p)
		return NULL;
	pcap_set_snaplen(p, snaplen);
	pcap_set_timeout(p, to_ms);
	ret = pcap_activate(p);
	if (ret < 0) {
		snprintf(errbuf, PCAP_ERRBUF_SIZE, "%s",
			 REAL(pcap_geterr)(p));
		pcap_close(p);
		return NULL;
	}
	/* a warning: libpcap leaves its text in errbuf */
	if (ret > 0)
		snprintf(errbuf, PCAP_ERRBUF_SIZE, "%s", REAL(pcap_geterr)(p));
	else if (errbuf)
		errbuf[0] = 0;
	return p;
}

/* Later calls on a handle not yet activated. */
static int not_activated(struct wch *h)
{
	wch_err(h, "This handle hasn't been activated yet");
	return PCAP_ERROR_NOT_ACTIVATED;
}

EXPORT void pcap_close(pcap_t *p)
{
	struct wch *h = wch_get(p);

	if (!h) {
		REAL(pcap_close)(p);
		return;
	}
	wirecap_chunk_release(&h->cur);
	pthread_mutex_lock(&wch_lock);
	wch_remove(h);
	leave_session(h);
	pthread_mutex_unlock(&wch_lock);
	free(h->prog.bf_insns);
	free(h->qs);
	free(h->device);
	wirecap_out_close(h->out);
	REAL(pcap_close)(p);
	free(h);
}

/* --- reading --------------------------------------------------------------- */

static void fill_hdr(const struct wch *h, const struct wirecap_pkt *pk,
		     struct pcap_pkthdr *hdr)
{
	hdr->ts.tv_sec = pk->ts_ns / 1000000000ull;
	hdr->ts.tv_usec = h->precision == PCAP_TSTAMP_PRECISION_NANO ?
			  pk->ts_ns % 1000000000ull :
			  pk->ts_ns % 1000000000ull / 1000;
	hdr->len = pk->len;
	hdr->caplen = pk->len < (uint32_t)h->snaplen ? pk->len :
		      (uint32_t)h->snaplen;
}

/* The next chunk of any queue, round robin. 1, 0 none, or PCAP_ERROR. */
static int next_chunk(struct wch *h)
{
	unsigned int k;

	for (k = 0; k < h->nq; k++) {
		unsigned int i = (h->next_q + k) % h->nq;
		int ret = wirecap_next_chunk(hq(h, i), &h->cur, 0);

		if (ret == 1) {
			h->next_q = i + 1;
			h->cur_i = 0;
			return 1;
		}
		if (ret < 0) {
			wch_err(h, "%s: queue %u: %s", h->device,
				wirecap_queue_ring(hq(h, i)),
				strerror(-ret));
			return PCAP_ERROR;
		}
	}
	return 0;
}

/* Was the loop broken (pcap_breakloop)? Takes the flag if so. */
static bool take_brk(struct wch *h)
{
	if (!__atomic_load_n(&h->brk, __ATOMIC_RELAXED))
		return false;
	/* acquire: pairs with the release in pcap_breakloop() */
	return __atomic_exchange_n(&h->brk, 0, __ATOMIC_ACQUIRE);
}

/* Chunks waiting in h's queues now (a count, not a promise). */
static unsigned int chunks_there(const struct wch *h)
{
	unsigned int i, n = 0;

	for (i = 0; i < h->nq; i++) {
		int k = wirecap_queue_pending(hq(h, i));

		n += k > 0 ? (unsigned int)k : 0;
	}
	return n;
}

/*
 * Up to cnt packets that pass the filter; cnt <= 0: those of the chunks
 * that were there when it was called (and the rest of one begun), not
 * those that keep coming while it runs. The count, PCAP_ERROR_BREAK or
 * PCAP_ERROR. A chunk is released once its packets are used up, at the
 * next call if the last one was the cnt-th (pcap_next_ex's pointer lives
 * until then).
 */
static int deliver(struct wch *h, int cnt, pcap_handler cb, u_char *user)
{
	/* at least one look: it also finds a queue's error */
	unsigned int budget = cnt > 0 ? 0 : chunks_there(h) ?: 1;
	struct pcap_pkthdr hdr;
	struct wirecap_pkt pk;
	int n = 0, ret;

	for (;;) {
		if (cnt > 0 && n >= cnt)
			return n;
		if (h->cur.owner &&
		    h->cur_i == wirecap_chunk_count(&h->cur))
			wirecap_chunk_release(&h->cur);
		if (!h->cur.owner) {
			if (cnt <= 0 && !budget--)
				return n;
			ret = next_chunk(h);
			if (ret <= 0)
				return n ? n : ret;
		}
		while (h->cur_i < wirecap_chunk_count(&h->cur)) {
			if (take_brk(h))
				return PCAP_ERROR_BREAK;
			if (cnt > 0 && n >= cnt)
				return n;
			wirecap_chunk_pkt(&h->cur, h->cur_i++, &pk);
			h->looked++;
			if (h->prog.bf_insns) {
				/* the filter sees the whole frame */
				struct pcap_pkthdr fh = { .caplen = pk.len,
							  .len = pk.len };

				if (!REAL(pcap_offline_filter)(&h->prog, &fh,
							       pk.data))
					continue;
			}
			fill_hdr(h, &pk, &hdr);
			cb(user, &hdr, pk.data);
			n++;
		}
	}
}

/*
 * Does h have its session to itself (the other handles that shared it,
 * if any, closed)?
 */
static bool alone(const struct wch *h)
{
	return h->nq == __atomic_load_n(&h->s->live, __ATOMIC_RELAXED);
}

/*
 * Wait up to ms (< 0: forever) for a chunk of h's queues: > 0 (or an
 * error for deliver() to report), 0 none, -EINTR (a signal, or
 * pcap_breakloop()). Alone in its session, h waits for any queue of it;
 * with one queue, for that queue (the chunk becomes h->cur): there
 * pcap_breakloop() wakes it (wirecap_interrupt). With several queues of
 * a shared session, it looks every millisecond.
 */
static int wait_some(struct wch *h, int ms)
{
	int ret, t;

	if (alone(h))
		return wirecap_wait(h->s->w, ms);
	if (h->nq == 1) {
		ret = wirecap_next_chunk(hq(h, 0), &h->cur, ms);
		if (ret == 1)
			h->cur_i = 0;
		return ret;
	}
	for (t = 0; ms < 0 || t < ms; t++) {
		ret = next_chunk(h);
		if (ret)
			return ret == 1 ? 1 : ret;
		if (__atomic_load_n(&h->brk, __ATOMIC_RELAXED) || usleep(1000))
			return -EINTR;
	}
	return 0;
}

static uint64_t mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000ull + ts.tv_nsec / 1000000;
}

/*
 * Wait until some queue of h has a chunk: 1, 0 after timeout_ms (<= 0:
 * forever), PCAP_ERROR_BREAK. pcap_breakloop() wakes the wait (and a
 * signal ends it): either way the flag is looked at, and the wait goes on
 * for what is left of the timeout, not for all of it again.
 */
static int wait_data(struct wch *h, int timeout_ms)
{
	uint64_t end = timeout_ms > 0 ? mono_ms() + timeout_ms : 0;

	/*
	 * We saw the session started (start()); the fence orders that
	 * before our looks at the flag. Pairs with pcap_breakloop()'s:
	 * either it sees the session started and wakes us, or we see its
	 * flag before we sleep.
	 */
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	for (;;) {
		int left = -1, ret;

		if (take_brk(h))
			return PCAP_ERROR_BREAK;
		if (end) {
			uint64_t now = mono_ms();

			if (now >= end)
				return 0;
			left = (int)(end - now);
		}
		ret = wait_some(h, left);
		if (ret > 0 || (ret < 0 && ret != -EINTR))
			return 1;	/* deliver() reports an error */
	}
}

/* Reset the selectable fd before looking, so no wake-up is lost. */
static void reset_event_fd(struct wch *h)
{
	int fd = alone(h) ? wirecap_event_fd(h->s->w) : -1;
	uint64_t v;

	h->fd_up = false;
	if (fd >= 0 && read(fd, &v, sizeof(v)) < 0)
		return;		/* EAGAIN: nothing to reset */
}

/*
 * After a read, the selectable fd is readable while there is something to
 * read, as libpcap's is (a packet socket polls readable while frames wait
 * in its ring), not just because chunks came once: the event fd turns
 * readable when chunks come and stays so until it is read. A program
 * that polls the fd and then reads with a blocking pcap_dispatch (and a
 * timeout of 0: softflowd) would otherwise be sent into a read that
 * waits for the next packet, where a signal does not end it (as in
 * libpcap, the read waits on). So: reset it, then look; what is left (the
 * rest of a chunk begun, chunks waiting, a failed queue, the shutdown)
 * sets it again. A chunk that comes after the look sets it itself. Only
 * for a handle whose fd was handed out: the others have no fd to keep.
 * While something is left and the fd is known readable (set here, and
 * only the shim reads it), nothing needs doing: no system call per read.
 *
 * What is left is counted before the filter, which runs here and not in
 * the kernel: the fd may say readable for packets the filter rejects.
 * dispatch() then returns 0 rather than wait (below).
 */
static void fd_level(struct wch *h)
{
	uint64_t one = 1;
	bool left;
	int fd;

	if (!h->fd_given || !alone(h))
		return;
	left = h->cur.owner && h->cur_i < wirecap_chunk_count(&h->cur);
	if (left && h->fd_up)
		return;
	fd = wirecap_event_fd(h->s->w);
	if (fd < 0)
		return;
	reset_event_fd(h);
	if (left || wirecap_wait(h->s->w, 0)) {
		/* EAGAIN: readable anyway */
		if (write(fd, &one, sizeof(one)) == sizeof(one) ||
		    errno == EAGAIN)
			h->fd_up = true;
	}
}

/*
 * A blocking read waits until a packet passes the filter, as libpcap's
 * does, except for a program that polls the fd: there the fd woke it for
 * packets the filter rejected (libpcap's never does), and a read that
 * took only such packets returns 0 instead of waiting for more. Not in
 * pcap_next(), whose NULL would end a `while (pcap_next())` loop.
 */
static int dispatch(struct wch *h, int cnt, pcap_handler cb, u_char *user)
{
	uint64_t looked = h->looked;
	int n;

	if (!h->activated)
		return not_activated(h);
	if (start(h))
		return PCAP_ERROR;
	n = deliver(h, cnt, cb, user);
	if (!n && h->nonblock) {
		reset_event_fd(h);
		n = deliver(h, cnt, cb, user);
	} else if (!n && !(h->fd_given && !h->want_packet &&
			   h->looked != looked)) {
		n = wait_data(h, h->timeout_ms);
		if (n > 0)
			n = deliver(h, cnt, cb, user);
	}
	fd_level(h);
	return n;
}

EXPORT int pcap_dispatch(pcap_t *p, int cnt, pcap_handler cb, u_char *user)
{
	struct wch *h = wch_get(p);

	return h ? dispatch(h, cnt, cb, user) :
		   REAL(pcap_dispatch)(p, cnt, cb, user);
}

EXPORT int pcap_loop(pcap_t *p, int cnt, pcap_handler cb, u_char *user)
{
	struct wch *h = wch_get(p);
	int n, done = 0;

	if (!h)
		return REAL(pcap_loop)(p, cnt, cb, user);
	if (!h->activated)
		return not_activated(h);
	if (start(h))
		return PCAP_ERROR;
	for (;;) {
		n = deliver(h, cnt > 0 ? cnt - done : -1, cb, user);
		if (n < 0)
			break;
		done += n;
		if (cnt > 0 && done >= cnt) {
			n = 0;
			break;
		}
		if (!n) {
			n = wait_data(h, -1);
			if (n < 0)
				break;
		}
	}
	fd_level(h);
	return n;
}

static void keep_one(u_char *user, const struct pcap_pkthdr *hdr,
		     const u_char *data)
{
	struct wch *h = (struct wch *)user;

	h->next_hdr = *hdr;
	(void)data;
}

EXPORT int pcap_next_ex(pcap_t *p, struct pcap_pkthdr **hdr,
			const u_char **data)
{
	struct wch *h = wch_get(p);
	struct wirecap_pkt pk;
	int n;

	if (!h)
		return REAL(pcap_next_ex)(p, hdr, data);
	n = dispatch(h, 1, keep_one, (u_char *)h);
	if (n == PCAP_ERROR_BREAK)
		return n;	/* as libpcap: the loop was broken */
	if (n <= 0)
		return n;
	/* the packet just delivered: its chunk is kept until the next call */
	wirecap_chunk_pkt(&h->cur, h->cur_i - 1, &pk);
	*hdr = &h->next_hdr;
	*data = pk.data;
	return 1;
}

EXPORT const u_char *pcap_next(pcap_t *p, struct pcap_pkthdr *hdr)
{
	struct wch *w = wch_get(p);
	struct pcap_pkthdr *h;
	const u_char *data;
	int n;

	if (!w)
		return REAL(pcap_next)(p, hdr);
	w->want_packet = true;
	n = pcap_next_ex(p, &h, &data);
	w->want_packet = false;
	if (n != 1)
		return NULL;
	*hdr = *h;
	return data;
}

/*
 * As libpcap 1.10: a flag and a wake, nothing else, so that a signal
 * handler may call it (tcpdump's SIGINT handler does), or another thread.
 * The lookup takes no lock; the flag is an atomic store; the wake
 * (wirecap_interrupt) is futex wakes: all async-signal-safe. The wake
 * comes only once the session has started: before, nobody can sleep in
 * it, and handles still joining it (wirecap_add_nic) may be moving the
 * queue array wirecap_interrupt() walks; once started, nothing joins.
 */
EXPORT void pcap_breakloop(pcap_t *p)
{
	struct wch *h = wch_find(p);
	struct wcs *s;

	if (!h) {
		void (*f)(pcap_t *) = __atomic_load_n(&real_breakloop,
						      __ATOMIC_RELAXED);

		/* unknown only if no other function of ours ever ran */
		(f ? f : REAL(pcap_breakloop))(p);
		return;
	}
	/* release: pairs with the acquire in take_brk() */
	__atomic_store_n(&h->brk, 1, __ATOMIC_RELEASE);
	/* the flag before the look at started; pairs with wait_data() */
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	/* acquire: pairs with the release in join_session() */
	s = __atomic_load_n(&h->s, __ATOMIC_ACQUIRE);
	/* acquire: started under wch_lock, after the last join */
	if (s && __atomic_load_n(&s->started, __ATOMIC_ACQUIRE))
		wirecap_interrupt(s->w);
}

/* --- filter, modes, fds ----------------------------------------------------- */

EXPORT int pcap_setfilter(pcap_t *p, struct bpf_program *fp)
{
	struct wch *h = wch_get(p);
	struct bpf_insn *insns;

	if (!h)
		return REAL(pcap_setfilter)(p, fp);
	if (!fp || !fp->bf_insns || !fp->bf_len) {
		wch_err(h, "setfilter: No filter program");
		return PCAP_ERROR;
	}
	insns = malloc(fp->bf_len * sizeof(*insns));
	if (!insns) {
		wch_err(h, "setfilter: out of memory");
		return PCAP_ERROR;
	}
	memcpy(insns, fp->bf_insns, fp->bf_len * sizeof(*insns));
	free(h->prog.bf_insns);
	h->prog.bf_insns = insns;
	h->prog.bf_len = fp->bf_len;
	return 0;
}

EXPORT int pcap_setnonblock(pcap_t *p, int nonblock, char *errbuf)
{
	struct wch *h = wch_get(p);

	if (!h)
		return REAL(pcap_setnonblock)(p, nonblock, errbuf);
	h->nonblock = nonblock != 0;
	return 0;
}

EXPORT int pcap_getnonblock(pcap_t *p, char *errbuf)
{
	struct wch *h = wch_get(p);

	return h ? h->nonblock : REAL(pcap_getnonblock)(p, errbuf);
}

/*
 * The session's event fd, when h has the session to itself: handles that
 * share one (several handles of one NIC, activated before reading) have
 * no fd of their own, and get PCAP_ERROR as on platforms without one.
 */
static int selectable(struct wch *h)
{
	if (!h->activated)
		return PCAP_ERROR;
	if (!alone(h)) {
		wch_err(h, "%s: shares its WireCAP session with another "
			"handle: no selectable fd", h->device);
		return PCAP_ERROR;
	}
	if (start(h))
		return PCAP_ERROR;
	h->fd_given = true;
	return wirecap_event_fd(h->s->w);
}

EXPORT int pcap_get_selectable_fd(pcap_t *p)
{
	struct wch *h = wch_get(p);

	return h ? selectable(h) : REAL(pcap_get_selectable_fd)(p);
}

EXPORT int pcap_fileno(pcap_t *p)
{
	struct wch *h = wch_get(p);

	return h ? selectable(h) : REAL(pcap_fileno)(p);
}

EXPORT const struct timeval *pcap_get_required_select_timeout(pcap_t *p)
{
	/* ours: the fd alone tells when to read */
	return wch_get(p) ? NULL : REAL(pcap_get_required_select_timeout)(p);
}

EXPORT int pcap_snapshot(pcap_t *p)
{
	struct wch *h = wch_get(p);

	if (!h)
		return REAL(pcap_snapshot)(p);
	return h->activated ? h->snaplen : PCAP_ERROR_NOT_ACTIVATED;
}

EXPORT int pcap_setdirection(pcap_t *p, pcap_direction_t d)
{
	struct wch *h = wch_get(p);

	if (!h)
		return REAL(pcap_setdirection)(p, d);
	if (d == PCAP_D_IN || d == PCAP_D_INOUT)
		return 0;	/* a WireCAP queue sees received frames only */
	wch_err(h, "%s: WireCAP captures received packets only", h->device);
	return PCAP_ERROR;
}

EXPORT int pcap_set_datalink(pcap_t *p, int dlt)
{
	struct wch *h = wch_get(p);

	if (!h)
		return REAL(pcap_set_datalink)(p, dlt);
	if (dlt == DLT_EN10MB)
		return 0;
	wch_err(h, "%s: Ethernet (DLT_EN10MB) only", h->device);
	return PCAP_ERROR;
}

/* --- statistics, transmit --------------------------------------------------- */

EXPORT int pcap_stats(pcap_t *p, struct pcap_stat *ps)
{
	struct wch *h = wch_get(p);
	uint64_t recv = 0, drop = 0, ifdrop = 0;
	unsigned int i;

	if (!h)
		return REAL(pcap_stats)(p, ps);
	if (!h->activated)
		return not_activated(h);
	for (i = 0; i < h->nq; i++) {
		struct wirecap_qstats st = { .sz = sizeof(st) };
		int ret = wirecap_queue_stats(hq(h, i), &st);

		if (ret) {
			wch_err(h, "%s: stats: %s", h->device, strerror(-ret));
			return PCAP_ERROR;
		}
		recv += st.kernel.received + st.kernel.capture_drops +
			st.kernel.oversize_drops;
		drop += st.kernel.capture_drops;
		ifdrop += st.kernel.oversize_drops;
	}
	/* u_int, as in libpcap: they wrap */
	ps->ps_recv = (u_int)recv;
	ps->ps_drop = (u_int)drop;
	ps->ps_ifdrop = (u_int)ifdrop;
	return 0;
}

/*
 * The handle's output: its NIC, for copies only (its queues are captured:
 * their devices are taken). Made on the first pcap_inject; a thread that
 * loses the race to publish its own closes it. NULL after a message.
 */
static struct wirecap_out *wch_out(struct wch *h)
{
	/* acquire: pairs with the release that published it */
	struct wirecap_out *o = __atomic_load_n(&h->out, __ATOMIC_ACQUIRE);
	struct wirecap_out *none = NULL;
	unsigned int queues[WCH_MAXQ];
	char ifname[WIRECAP_IFNAMSIZ];
	int nq;

	if (o)
		return o;
	if (parse_device(h->device, ifname, sizeof(ifname), queues, &nq)) {
		wch_err(h, "%s: bad WireCAP device name", h->device);
		return NULL;
	}
	o = wirecap_out_open(ifname, WIRECAP_OUT_COPY);
	if (!o) {
		wch_err(h, "%s: cannot send on %s: %s", h->device, ifname,
			strerror(errno));
		return NULL;
	}
	if (__atomic_compare_exchange_n(&h->out, &none, o, false,
					__ATOMIC_RELEASE, __ATOMIC_ACQUIRE))
		return o;
	wirecap_out_close(o);
	return none;
}

EXPORT int pcap_inject(pcap_t *p, const void *buf, size_t size)
{
	struct wch *h = wch_get(p);
	struct wirecap_out *o;
	int ret;

	if (!h)
		return REAL(pcap_inject)(p, buf, size);
	if (!h->activated)
		return not_activated(h);
	o = wch_out(h);
	if (!o)
		return PCAP_ERROR;
	ret = wirecap_out_send(o, buf, size);
	if (ret < 0) {
		/* as libpcap words it */
		wch_err(h, "send: %s", strerror(-ret));
		return PCAP_ERROR;
	}
	return ret;
}

EXPORT int pcap_sendpacket(pcap_t *p, const u_char *buf, int size)
{
	if (!wch_get(p))
		return REAL(pcap_sendpacket)(p, buf, size);
	return pcap_inject(p, buf, size) < 0 ? PCAP_ERROR : 0;
}

/* --- savefiles from our handles --------------------------------------------- */

/*
 * pcap_dump_open and friends take snaplen and time stamp precision from
 * the handle; ours are ours, so a stand-in handle carries them.
 */
static pcap_t *dump_template(struct wch *h)
{
	pcap_t *t = REAL(pcap_open_dead_with_tstamp_precision)(
		DLT_EN10MB, h->activated ? h->snaplen : WCH_MAXSNAP,
		h->precision);

	if (!t)
		wch_err(h, "out of memory");
	return t;
}

static pcap_dumper_t *dump_done(struct wch *h, pcap_t *t, pcap_dumper_t *d)
{
	if (!d)
		wch_err(h, "%s", REAL(pcap_geterr)(t));
	REAL(pcap_close)(t);
	return d;
}

EXPORT pcap_dumper_t *pcap_dump_open(pcap_t *p, const char *fname)
{
	struct wch *h = wch_get(p);
	pcap_t *t;

	if (!h)
		return REAL(pcap_dump_open)(p, fname);
	t = dump_template(h);
	return t ? dump_done(h, t, REAL(pcap_dump_open)(t, fname)) : NULL;
}

EXPORT pcap_dumper_t *pcap_dump_fopen(pcap_t *p, FILE *f)
{
	struct wch *h = wch_get(p);
	pcap_t *t;

	if (!h)
		return REAL(pcap_dump_fopen)(p, f);
	t = dump_template(h);
	return t ? dump_done(h, t, REAL(pcap_dump_fopen)(t, f)) : NULL;
}

EXPORT pcap_dumper_t *pcap_dump_open_append(pcap_t *p, const char *fname)
{
	struct wch *h = wch_get(p);
	pcap_t *t;

	if (!h)
		return REAL(pcap_dump_open_append)(p, fname);
	t = dump_template(h);
	return t ? dump_done(h, t, REAL(pcap_dump_open_append)(t, fname)) :
		   NULL;
}

/* --- devices ---------------------------------------------------------------- */

/* Queues of ifname under /dev/wirecap. */
static unsigned int count_queues(const char *ifname)
{
	char path[128];
	unsigned int n = 0;

	for (;;) {
		snprintf(path, sizeof(path), WIRECAP_DEV_DIR "/%s-q%u", ifname,
			 n);
		if (access(path, F_OK))
			return n;
		n++;
	}
}

/* One entry "wirecap:IFNAME" per NIC with WireCAP queues, at the end. */
EXPORT int pcap_findalldevs(pcap_if_t **alldevsp, char *errbuf)
{
	int ret = REAL(pcap_findalldevs)(alldevsp, errbuf);
	pcap_if_t **tail;
	struct dirent *e;
	DIR *d;

	if (ret)
		return ret;
	for (tail = alldevsp; *tail; tail = &(*tail)->next)
		;
	d = opendir(WIRECAP_DEV_DIR);
	if (!d)
		return 0;
	while ((e = readdir(d))) {
		size_t len = strlen(e->d_name);
		char ifname[WIRECAP_IFNAMSIZ], desc[128];
		pcap_if_t *dev;

		/* one per NIC: its queue 0 */
		if (len < 4 || strcmp(e->d_name + len - 3, "-q0") ||
		    len - 3 >= sizeof(ifname))
			continue;
		memcpy(ifname, e->d_name, len - 3);
		ifname[len - 3] = 0;
		dev = calloc(1, sizeof(*dev));
		if (!dev)
			break;
		snprintf(desc, sizeof(desc), "WireCAP: %u queues of %s, zero "
			 "copy", count_queues(ifname), ifname);
		if (asprintf(&dev->name, WCH_PREFIX "%s", ifname) < 0) {
			free(dev);
			break;
		}
		dev->description = strdup(desc);
		dev->flags = PCAP_IF_UP | PCAP_IF_RUNNING |
			     PCAP_IF_CONNECTION_STATUS_NOT_APPLICABLE;
		*tail = dev;
		tail = &dev->next;
	}
	closedir(d);
	return 0;
}

/* The network of the NIC under a WireCAP name. */
EXPORT int pcap_lookupnet(const char *device, bpf_u_int32 *net,
			  bpf_u_int32 *mask, char *errbuf)
{
	unsigned int queues[WCH_MAXQ];
	char ifname[WIRECAP_IFNAMSIZ];
	int nq;

	if (!is_ours(device))
		return REAL(pcap_lookupnet)(device, net, mask, errbuf);
	if (parse_device(device, ifname, sizeof(ifname), queues, &nq)) {
		snprintf(errbuf, PCAP_ERRBUF_SIZE, "%s: bad WireCAP device name",
			 device);
		return PCAP_ERROR;
	}
	return REAL(pcap_lookupnet)(ifname, net, mask, errbuf);
}
