// SPDX-License-Identifier: GPL-2.0
/*
 * fuzz_abi: random and adversarial use of the whole WireCAP ABI (issue 11),
 * against the rules uapi/linux/wirecap.h states.
 *
 * WHAT IT DOES
 *   fz.rules   one thread, one software NIC, exact queue states: every
 *              refusal the ABI states (sizes, flags, bad pointers, geometry,
 *              desc_head, each kind of bad RECYCLE record, the mmap matrix,
 *              SQE fields, capabilities, a NIC removed under open queues,
 *              timeouts and their cap), with seeded random variants; first
 *              of all, whether a command that completes at once with a
 *              count reaches its CQE from io-wq and keeps its link (if not,
 *              IOSQE_ASYNC is left out of what follows, so the rest can
 *              still be fuzzed: see fz_rules_completion()).
 *   fz.detach_race  DETACH/ATTACH and NIC removal against a thread keeping
 *              80 CAPTUREs parked, on queues without traffic, and the queue
 *              freed right after a ring teardown cancelled its commands.
 *   fz.chaos   rounds of: software NICs of 1-4 queues; FZ_WORKERS threads
 *              doing weighted random operations (fz_wweight[]: CAPTURE by
 *              ioctl and by io_uring on rings of every kind, inline,
 *              IOSQE_ASYNC, linked, SQPOLL, many parked at once, odd
 *              timeouts; RECYCLE of good, stale, duplicated, forged and out
 *              of range records and bad pointers; mmap, mprotect, mremap,
 *              madvise, munmap of both regions; dup, close, reopen, DETACH,
 *              ATTACH, signals; NIC removal; wirecap_softnic.ko unloaded
 *              under open, captured queues and loaded again; the DETACH
 *              race); children forked with the queue files that do the
 *              same and are SIGKILLed mid-capture; packets injected all
 *              along. A round ends quiet, checks, and gives everything
 *              back.
 *
 * WHAT MUST HOLD (a failure prints the seed, round, who, and the last
 * operations of who failed)
 *   - every result is one fz_abi_rules[] (below; the one table to adjust)
 *     accepts for the situation of the call: operation, what is wrong with the
 *     arguments, the queue's state (attached, detached, dead, or changed
 *     while the call ran); a positive count where an error was due, or an
 *     error nobody documents (-ENOMEM from CAPTURE, ...), fails.
 *   - nothing hangs: every blocking call has a bound (CAPTURE timeouts are
 *     capped by max_timeout_us) plus FZ_SLACK; a watchdog thread fails the
 *     test with the kernel stack of the stuck thread instead of waiting.
 *     Every io_uring command completes; killed children are reaped; a
 *     queue whose every file is closed can be opened again.
 *   - descriptors: of this queue, in range, stamps increasing, a chunk's
 *     views consecutive runs from cell 0, a chunk handed out again only
 *     after all its cells were handed out and every view came back; the
 *     packets in them are the ones injected into that queue, in order,
 *     with the injected length.
 *   - RECYCLE takes exactly the outstanding views it is given, once; every
 *     other record is refused.
 *   - a uring CAPTURE parked when its pool went away completes with
 *     -ECANCELED/-ENODEV, never with 0 at its timeout (fz_race_check()).
 *   - counters, at the end of each round (see fz_check_counters()):
 *       per NIC   rx_packets = packets injected (the softnic's "offered")
 *                 rx_packets - rx_dropped - rx_length_errors = sum received
 *                 rx_length_errors = sum oversize_drops
 *       per queue delivered = packets in the views we harvested,
 *                 chunks_captured / partial_views = views ending / not
 *                 ending at cell M, recycle_refused = records we sent that
 *                 were refused (an interval where a call's fate is
 *                 unknown), chunks_recycled = chunks whose views all came
 *                 back, capture_timeouts <= captures_parked,
 *                 pool_high_water <= R, never-attached queues all zero,
 *                 nothing ever goes down;
 *       and on every attached queue a calibration: drained and all views
 *       back, the pool is whole (chunks_free = R - N/M); K packets in:
 *       K = d(received) + d(capture_drops) + d(oversize_drops),
 *       d(received) = d(delivered) once drained (no cell filled and not
 *       handed out), no capture drop while the pool had room.
 *   - leaks: after each round, with every file closed and every NIC
 *     deleted, the pool page count is what it was before.
 *
 * SEEDS, TIME AND KNOBS (environment; the harness takes no arguments)
 *   WCT_FUZZ_SEED=n      replay a run (printed first, and with failures);
 *                        threads and children draw from seed, round, who
 *                        (threads race: a replay is the same program of
 *                        operations, not the same interleaving)
 *   WCT_FUZZ_SECONDS=n   whole run, default 60 (all three tests)
 *   WCT_FUZZ_SLACK=n     seconds a call may overrun its bound, default 30
 *   WCT_FUZZ_ONLY=name   only fz.<name>; the others are skipped
 *   WCT_FUZZ_TRACE=1     every call and its result on stderr
 *   WCT_FUZZ_STRICT=1    results that the ABI allows only until issue 11
 *                        section 2 is in (the "until" column) fail
 *   WCT_FUZZ_NO_UNLOAD=1 never unload wirecap_softnic.ko
 *   WCT_FUZZ_NO_ASYNC=1  no IOSQE_ASYNC for commands that may complete
 *                        at once (set by itself when fz.rules finds them
 *                        lost)
 *   WCT_FUZZ_AVOID=defer-exit  never close a DEFER_TASKRUN ring with
 *                        commands parked (a lockdep splat in 6.12's
 *                        io_uring; to fuzz past it on the debug kernel)
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <unistd.h>
#include <linux/capability.h>
#include <liburing.h>

#include "kselftest_harness.h"
#include "wctest.h"

#define FZ_WORKERS	3	/* threads per chaos round */
#define FZ_MAX_NICS	128	/* software NICs made by one test */
#define FZ_MAX_Q	4	/* queues per NIC */
#define FZ_MAX_CHILDREN	6	/* live children at once */
#define FZ_OLD_GENS	4	/* dead pools kept per queue for stale records */
#define FZ_INFLIGHT	96	/* io_uring commands in flight per ring */
#define FZ_FIXED	8	/* registered file slots per ring */
#define FZ_CELL		2048	/* cell_size (checked against INFO) */
#define FZ_MARGIN_US	5000	/* clock slack of the race detector */

/* ====================================================================
 * 1. What the ABI allows: fz_abi_rules[], the one table to adjust
 * ==================================================================== */

enum fz_op {
	FZ_INFO, FZ_STATS, FZ_ATTACH, FZ_DETACH,
	FZ_CAPTURE,		/* ioctl */
	FZ_CAPTURE_URING,
	FZ_RECYCLE,		/* ioctl */
	FZ_RECYCLE_URING,
	FZ_XMIT,		/* ioctl or io_uring */
	FZ_IOCTL_UNKNOWN,	/* a number WireCAP does not define */
	FZ_IOCTL_RESIZED,	/* INFO/STATS with another size in the number */
	FZ_URING_UNKNOWN,	/* a cmd_op WireCAP does not define */
	FZ_MMAP_CTRL, FZ_MMAP_POOL, FZ_MMAP_OTHER,
	FZ_MPROTECT_CTRL,	/* make a control area mapping writable */
	FZ_OPEN,
	FZ_NR_OPS
};

static const char *const fz_op_name[FZ_NR_OPS] = {
	"INFO", "STATS", "ATTACH", "DETACH", "CAPTURE", "CAPTURE(uring)",
	"RECYCLE", "RECYCLE(uring)", "XMIT", "ioctl(unknown)",
	"ioctl(resized)", "uring(unknown op)", "mmap(ctrl)", "mmap(pool)",
	"mmap(other offset)", "mprotect(ctrl, W)", "open",
};

/* What is wrong with the arguments. */
enum fz_arg {
	FZ_A_OK,	/* nothing */
	FZ_A_FLAGS,	/* unknown flags or reserved fields set */
	FZ_A_SMALL,	/* size field below what the ABI can work with */
	FZ_A_BIG,	/* size field above sizeof, zero tail */
	FZ_A_BIGTAIL,	/* size field above sizeof, non-zero tail */
	FZ_A_HUGE,	/* size field above a page */
	FZ_A_FAULT,	/* argument memory not accessible */
	FZ_A_PARTFAULT,	/* RECYCLE: records run into an unmapped page */
	FZ_A_GEOMETRY,	/* ATTACH: M or R the ABI refuses */
	FZ_A_TOOBIG,	/* ATTACH: a pool above max_pool_mb */
	FZ_A_HEAD,	/* CAPTURE: desc_head beyond desc_tail */
	FZ_A_MAX0,	/* CAPTURE: max_descs 0 */
	FZ_A_COUNT,	/* RECYCLE: count above WIRECAP_RECYCLE_MAX */
	FZ_A_STALEPOOL,	/* RECYCLE: a record of an earlier pool, equal to a
			 * view of the current one */
	FZ_A_NOCAP,	/* the caller lacks the capability the ABI names */
	FZ_A_WRITE,	/* PROT_WRITE on the control area */
	FZ_A_PRIVATE,	/* MAP_PRIVATE */
	FZ_A_LEN,	/* mapping longer than the region */
	FZ_A_OFFSET,	/* mmap offset of no region */
	FZ_A_SQEFIELD,	/* SQE addr, len or buf_index set */
	FZ_A_SQEFIXED,	/* SQE with IORING_URING_CMD_FIXED */
	FZ_A_SQECORE,	/* SQE fields io_uring refuses (__pad1, ioprio, ...) */
	FZ_A_IOPOLL,	/* a ring set up with IORING_SETUP_IOPOLL */
	FZ_A_BUSY,	/* OPEN: the queue is open elsewhere */
	FZ_A_GONE,	/* OPEN: the NIC is gone */
	FZ_NR_ARGS,
	FZ_A_ANYBAD = FZ_NR_ARGS,	/* in rules: every class but OK */
	FZ_A_ALL,			/* in rules: every class */
};

static const char *const fz_arg_name[FZ_NR_ARGS] = {
	"ok", "flags", "small size", "big size", "big size, tail set",
	"size above a page",
	"fault", "partial fault", "geometry", "too big", "desc_head",
	"max_descs 0", "count", "stale pool", "no capability", "PROT_WRITE",
	"MAP_PRIVATE", "length", "offset", "SQE addr/len/buf_index",
	"SQE fixed buffer", "SQE core fields", "IOPOLL ring", "busy", "gone",
};

/* The queue's state while the call ran (a mask: it may have changed). */
#define ATT	(1u << 0)	/* a pool attached */
#define DET	(1u << 1)	/* no pool */
#define DEAD	(1u << 2)	/* the NIC is gone */
#define FLUX	(1u << 3)	/* the pool came or went during the call */
#define ANY	(ATT | DET | DEAD)
#define FZ_NSTATES 4

/*
 * One line per situation: the results the ABI allows ("0", "n" for a
 * positive count, errno names; "OK" in the last column: whatever the same
 * call with good arguments may return). The last column lists results
 * accepted only until issue 11 section 2 is in (WCT_FUZZ_STRICT=1 refuses
 * them); each use is counted and printed at the end.
 */
static const struct fz_rule {
	enum fz_op op;
	int arg;
	unsigned int states;
	const char *ok;
	const char *until;
} fz_abi_rules[] = {
	/* INFO, STATS: "valid at any time"; size at most a page; the kernel
	 * writes min(size, its own) and says so in size. Until the kernel
	 * dispatches on _IOC_NR, a struct that grew (STATS: rx_errors) is
	 * -ENOTTY to it. */
	{ FZ_INFO, FZ_A_OK, ANY | FLUX, "0", "ENOTTY" },
	{ FZ_INFO, FZ_A_BIG, ANY | FLUX, "0", "ENOTTY" },
	{ FZ_INFO, FZ_A_HUGE, ANY | FLUX, "0 E2BIG", "ENOTTY" },
	{ FZ_INFO, FZ_A_SMALL, ANY | FLUX, "EINVAL", "ENOTTY" },
	{ FZ_INFO, FZ_A_FAULT, ANY | FLUX, "EFAULT", "ENOTTY" },
	{ FZ_STATS, FZ_A_OK, ANY | FLUX, "0", "ENOTTY" },
	{ FZ_STATS, FZ_A_BIG, ANY | FLUX, "0", "ENOTTY" },
	{ FZ_STATS, FZ_A_HUGE, ANY | FLUX, "0 E2BIG", "ENOTTY" },
	{ FZ_STATS, FZ_A_SMALL, ANY | FLUX, "EINVAL", "ENOTTY" },
	{ FZ_STATS, FZ_A_FAULT, ANY | FLUX, "EFAULT", "ENOTTY" },

	/* ATTACH: -EBUSY if attached, -ENOMEM/-ENOBUFS if the pool cannot
	 * be had, -EPERM without CAP_NET_ADMIN; the checks' order is not
	 * stated, so a bad argument may also meet the state's error */
	{ FZ_ATTACH, FZ_A_OK, DET, "0 ENOMEM ENOBUFS", NULL },
	{ FZ_ATTACH, FZ_A_BIG, DET, "0 ENOMEM ENOBUFS", NULL },
	{ FZ_ATTACH, FZ_A_SMALL, DET, "0 EINVAL ENOMEM ENOBUFS", NULL },
	{ FZ_ATTACH, FZ_A_ALL, ATT, "EBUSY", NULL },
	{ FZ_ATTACH, FZ_A_ALL, DEAD, "ENODEV", NULL },
	{ FZ_ATTACH, FZ_A_FLAGS, ANY, "EINVAL", NULL },
	{ FZ_ATTACH, FZ_A_GEOMETRY, ANY, "EINVAL", NULL },
	{ FZ_ATTACH, FZ_A_SMALL, ANY, "EINVAL", NULL },
	/* max_pool_mb is a module parameter (README); -E2BIG is not in the
	 * header */
	{ FZ_ATTACH, FZ_A_TOOBIG, ANY, "E2BIG EINVAL ENOMEM ENOBUFS", NULL },
	{ FZ_ATTACH, FZ_A_BIGTAIL, ANY, "E2BIG", NULL },
	{ FZ_ATTACH, FZ_A_HUGE, ANY, "E2BIG", NULL },
	{ FZ_ATTACH, FZ_A_FAULT, ANY, "EFAULT", NULL },
	{ FZ_ATTACH, FZ_A_NOCAP, ANY, "EPERM", "0" },

	{ FZ_DETACH, FZ_A_OK, ATT, "0", NULL },
	{ FZ_DETACH, FZ_A_OK, DET, "ENXIO", NULL },
	{ FZ_DETACH, FZ_A_OK, DEAD, "ENODEV", NULL },

	/* CAPTURE: a count <= max_descs; -EBUSY beyond desc_ring_size
	 * parked commands (io_uring); -EINTR: a signal (ioctl) */
	{ FZ_CAPTURE, FZ_A_OK, ATT, "0 n EINTR", NULL },
	{ FZ_CAPTURE, FZ_A_ALL, DET, "ENXIO", NULL },
	{ FZ_CAPTURE, FZ_A_ALL, DEAD, "ENODEV", NULL },
	{ FZ_CAPTURE, FZ_A_FLAGS, ANY, "EINVAL", NULL },
	{ FZ_CAPTURE, FZ_A_MAX0, ANY, "EINVAL", NULL },
	{ FZ_CAPTURE, FZ_A_HEAD, ANY, "EINVAL", NULL },
	{ FZ_CAPTURE, FZ_A_FAULT, ANY, "EFAULT", NULL },
	/* a CAPTURE meeting a DETACH is answered as the parked ones are */
	{ FZ_CAPTURE, FZ_A_ALL, FLUX, "0 n EINVAL ENXIO ENODEV EINTR ECANCELED",
	  NULL },
	{ FZ_CAPTURE_URING, FZ_A_OK, ATT, "0 n EBUSY", NULL },
	{ FZ_CAPTURE_URING, FZ_A_ALL, DET, "ENXIO", NULL },
	{ FZ_CAPTURE_URING, FZ_A_ALL, DEAD, "ENODEV", NULL },
	{ FZ_CAPTURE_URING, FZ_A_FLAGS, ANY, "EINVAL", NULL },
	{ FZ_CAPTURE_URING, FZ_A_MAX0, ANY, "EINVAL", NULL },
	{ FZ_CAPTURE_URING, FZ_A_HEAD, ANY, "EINVAL", NULL },
	/* DETACH completes parked commands with -ECANCELED, NIC removal
	 * with -ENODEV */
	{ FZ_CAPTURE_URING, FZ_A_ALL, FLUX,
	  "0 n EINVAL ENXIO ENODEV ECANCELED EBUSY", NULL },
	{ FZ_CAPTURE_URING, FZ_A_SQEFIELD, ANY | FLUX, "EINVAL", "OK" },
	/* without registered buffers io_uring itself says -EFAULT */
	{ FZ_CAPTURE_URING, FZ_A_SQEFIXED, ANY | FLUX, "EINVAL EFAULT", "OK" },
	{ FZ_CAPTURE_URING, FZ_A_SQECORE, ANY | FLUX, "EINVAL", NULL },
	{ FZ_CAPTURE_URING, FZ_A_IOPOLL, ANY | FLUX, "EOPNOTSUPP EINVAL", NULL },

	/* RECYCLE: the number of records taken; bad records are refused
	 * and counted, not errors */
	{ FZ_RECYCLE, FZ_A_OK, ATT, "0 n", NULL },
	{ FZ_RECYCLE, FZ_A_ALL, DET, "ENXIO", NULL },
	{ FZ_RECYCLE, FZ_A_ALL, DEAD, "ENODEV", NULL },
	{ FZ_RECYCLE, FZ_A_FLAGS, ANY, "EINVAL", NULL },
	{ FZ_RECYCLE, FZ_A_COUNT, ANY, "EINVAL", NULL },
	{ FZ_RECYCLE, FZ_A_FAULT, ANY, "EFAULT", NULL },
	{ FZ_RECYCLE, FZ_A_PARTFAULT, ATT, "0 n EFAULT", NULL },
	/* the stamp carries across pools: an old record never matches */
	{ FZ_RECYCLE, FZ_A_STALEPOOL, ATT, "0", "n" },
	{ FZ_RECYCLE, FZ_A_ALL, FLUX, "0 n ENXIO ENODEV EFAULT", NULL },
	{ FZ_RECYCLE_URING, FZ_A_OK, ATT, "0 n", NULL },
	{ FZ_RECYCLE_URING, FZ_A_ALL, DET, "ENXIO", NULL },
	{ FZ_RECYCLE_URING, FZ_A_ALL, DEAD, "ENODEV", NULL },
	{ FZ_RECYCLE_URING, FZ_A_FLAGS, ANY, "EINVAL", NULL },
	{ FZ_RECYCLE_URING, FZ_A_COUNT, ANY, "EINVAL", NULL },
	{ FZ_RECYCLE_URING, FZ_A_FAULT, ANY, "EFAULT", NULL },
	{ FZ_RECYCLE_URING, FZ_A_PARTFAULT, ATT, "0 n EFAULT", NULL },
	{ FZ_RECYCLE_URING, FZ_A_STALEPOOL, ATT, "0", "n" },
	{ FZ_RECYCLE_URING, FZ_A_ALL, FLUX, "0 n ENXIO ENODEV EFAULT", NULL },
	{ FZ_RECYCLE_URING, FZ_A_SQEFIELD, ANY | FLUX, "EINVAL", "OK" },
	{ FZ_RECYCLE_URING, FZ_A_SQEFIXED, ANY | FLUX, "EINVAL EFAULT", "OK" },
	{ FZ_RECYCLE_URING, FZ_A_SQECORE, ANY | FLUX, "EINVAL", NULL },
	{ FZ_RECYCLE_URING, FZ_A_IOPOLL, ANY | FLUX, "EOPNOTSUPP EINVAL", NULL },

	/* an XMIT zeroed but for tx_fd, /dev/null (fz_devnull()): not a
	 * WireCAP queue; EBADF from a child's ring the child outlived */
	{ FZ_XMIT, FZ_A_ALL, ANY | FLUX, "ENOTTY EBADF", NULL },
	{ FZ_IOCTL_UNKNOWN, FZ_A_ALL, ANY | FLUX, "ENOTTY", NULL },
	/* dispatch on _IOC_NR, the size field honoured */
	{ FZ_IOCTL_RESIZED, FZ_A_BIG, ANY | FLUX, "0", "ENOTTY" },
	{ FZ_IOCTL_RESIZED, FZ_A_SMALL, ANY | FLUX, "EINVAL", "ENOTTY" },
	{ FZ_URING_UNKNOWN, FZ_A_ALL, ANY | FLUX, "ENOTTY EOPNOTSUPP EINVAL", NULL },

	/* mmap: control area read-only, both regions MAP_SHARED, a mapping
	 * covers a prefix of a region */
	{ FZ_MMAP_CTRL, FZ_A_OK, ATT, "0", NULL },
	{ FZ_MMAP_CTRL, FZ_A_ALL, DET, "ENXIO", NULL },
	{ FZ_MMAP_CTRL, FZ_A_ALL, DEAD, "ENODEV", NULL },
	{ FZ_MMAP_CTRL, FZ_A_WRITE, ANY, "EINVAL EACCES EPERM", NULL },
	{ FZ_MMAP_CTRL, FZ_A_PRIVATE, ANY, "EINVAL", "0" },
	{ FZ_MMAP_CTRL, FZ_A_LEN, ANY, "EINVAL", NULL },
	{ FZ_MMAP_CTRL, FZ_A_ALL, FLUX, "0 EINVAL ENXIO ENODEV", NULL },
	{ FZ_MMAP_POOL, FZ_A_OK, ATT, "0", NULL },
	{ FZ_MMAP_POOL, FZ_A_ALL, DET, "ENXIO", NULL },
	{ FZ_MMAP_POOL, FZ_A_ALL, DEAD, "ENODEV", NULL },
	{ FZ_MMAP_POOL, FZ_A_PRIVATE, ANY, "EINVAL", "0" },
	{ FZ_MMAP_POOL, FZ_A_LEN, ANY, "EINVAL", NULL },
	{ FZ_MMAP_POOL, FZ_A_ALL, FLUX, "0 EINVAL ENXIO ENODEV", NULL },
	{ FZ_MMAP_OTHER, FZ_A_ALL, ANY | FLUX,
	  "EINVAL ENXIO ENODEV EOVERFLOW", NULL },
	{ FZ_MPROTECT_CTRL, FZ_A_ALL, ANY | FLUX, "EACCES", NULL },

	/* open: exclusive, CAP_NET_RAW */
	{ FZ_OPEN, FZ_A_OK, ANY | FLUX, "0", NULL },
	{ FZ_OPEN, FZ_A_BUSY, ANY | FLUX, "EBUSY", NULL },
	{ FZ_OPEN, FZ_A_GONE, ANY | FLUX, "ENOENT ENODEV ENXIO", NULL },
	{ FZ_OPEN, FZ_A_NOCAP, ANY | FLUX, "EPERM", NULL },
};

/* A set of results: bit 0 zero, bit 1 a positive count, bit 2 + e -e. */
struct fz_set {
	uint64_t w[4];
};

static int fz_bit(long res)
{
	if (res == 0)
		return 0;
	if (res > 0)
		return 1;
	return -res < 250 ? 2 - res : 255;
}

static void fz_set_add(struct fz_set *s, int bit)
{
	s->w[bit / 64] |= 1ull << (bit % 64);
}

static bool fz_set_has(const struct fz_set *s, int bit)
{
	return s->w[bit / 64] >> (bit % 64) & 1;
}

static void fz_set_or(struct fz_set *d, const struct fz_set *s)
{
	for (int i = 0; i < 4; i++)
		d->w[i] |= s->w[i];
}

static const struct {
	const char *name;
	int e;
} fz_errnos[] = {
	{ "EPERM", EPERM }, { "ENOENT", ENOENT }, { "EINTR", EINTR },
	{ "EIO", EIO }, { "ENXIO", ENXIO }, { "E2BIG", E2BIG },
	{ "EBADF", EBADF }, { "EAGAIN", EAGAIN }, { "ENOMEM", ENOMEM },
	{ "EACCES", EACCES }, { "EFAULT", EFAULT }, { "EBUSY", EBUSY },
	{ "EEXIST", EEXIST }, { "ENODEV", ENODEV }, { "EINVAL", EINVAL },
	{ "ENOTTY", ENOTTY }, { "ENOSPC", ENOSPC }, { "ETIME", ETIME },
	{ "EOVERFLOW", EOVERFLOW }, { "EOPNOTSUPP", EOPNOTSUPP },
	{ "ENOBUFS", ENOBUFS }, { "ETIMEDOUT", ETIMEDOUT },
	{ "ECANCELED", ECANCELED }, { "EWOULDBLOCK", EWOULDBLOCK },
};

static const char *fz_res_name(long res, char *buf, size_t len)
{
	unsigned int i;

	if (res >= 0) {
		snprintf(buf, len, "%ld", res);
		return buf;
	}
	for (i = 0; i < sizeof(fz_errnos) / sizeof(fz_errnos[0]); i++)
		if (fz_errnos[i].e == -res) {
			snprintf(buf, len, "-%s", fz_errnos[i].name);
			return buf;
		}
	snprintf(buf, len, "-%ld", -res);
	return buf;
}

/* The compiled table: [op][arg][state], ok and until sets. */
static struct fz_set fz_ok[FZ_NR_OPS][FZ_NR_ARGS][FZ_NSTATES];
static struct fz_set fz_until[FZ_NR_OPS][FZ_NR_ARGS][FZ_NSTATES];
static bool fz_until_ok[FZ_NR_OPS][FZ_NR_ARGS][FZ_NSTATES];
static bool fz_strict;
/* before 6.4 a driver cannot see an SQE's addr, len and buf_index */
static bool fz_pre_6_4;

static int fz_parse(const char *list, struct fz_set *s, bool *as_ok)
{
	char buf[160], *tok, *save = NULL;
	unsigned int i;

	snprintf(buf, sizeof(buf), "%s", list ? list : "");
	for (tok = strtok_r(buf, " ", &save); tok;
	     tok = strtok_r(NULL, " ", &save)) {
		if (!strcmp(tok, "0")) {
			fz_set_add(s, 0);
			continue;
		}
		if (!strcmp(tok, "n")) {
			fz_set_add(s, 1);
			continue;
		}
		if (!strcmp(tok, "OK")) {
			*as_ok = true;
			continue;
		}
		for (i = 0; i < sizeof(fz_errnos) / sizeof(fz_errnos[0]); i++)
			if (!strcmp(tok, fz_errnos[i].name))
				break;
		if (i == sizeof(fz_errnos) / sizeof(fz_errnos[0]))
			return -1;
		fz_set_add(s, 2 + fz_errnos[i].e);
	}
	return 0;
}

static int fz_rules_compile(void)
{
	unsigned int i, a, st;

	memset(fz_ok, 0, sizeof(fz_ok));
	memset(fz_until, 0, sizeof(fz_until));
	memset(fz_until_ok, 0, sizeof(fz_until_ok));
	for (i = 0; i < sizeof(fz_abi_rules) / sizeof(fz_abi_rules[0]); i++) {
		const struct fz_rule *r = &fz_abi_rules[i];

		for (a = 0; a < FZ_NR_ARGS; a++) {
			if (r->arg == FZ_A_ANYBAD ? a == FZ_A_OK :
			    r->arg != FZ_A_ALL && (int)a != r->arg)
				continue;
			for (st = 0; st < FZ_NSTATES; st++) {
				bool as_ok = false;

				if (!(r->states & (1u << st)))
					continue;
				if (fz_parse(r->ok, &fz_ok[r->op][a][st],
					     &as_ok) ||
				    fz_parse(r->until, &fz_until[r->op][a][st],
					     &fz_until_ok[r->op][a][st]))
					return -1;
			}
		}
	}
	return 0;
}

/* What a call in this situation may return (plus extra), and until when. */
static void fz_expect(enum fz_op op, enum fz_arg arg, unsigned int states,
		      struct fz_set *ok, struct fz_set *until)
{
	unsigned int st;

	memset(ok, 0, sizeof(*ok));
	memset(until, 0, sizeof(*until));
	for (st = 0; st < FZ_NSTATES; st++) {
		if (!(states & (1u << st)))
			continue;
		fz_set_or(ok, &fz_ok[op][arg][st]);
		fz_set_or(until, &fz_until[op][arg][st]);
		if (fz_until_ok[op][arg][st])
			fz_set_or(until, &fz_ok[op][FZ_A_OK][st]);
	}
	if (arg == FZ_A_SQEFIELD && fz_pre_6_4)	/* the header says so */
		fz_set_or(ok, until);
}

static const char *fz_states_name(unsigned int s, char *buf, size_t len)
{
	snprintf(buf, len, "%s%s%s%s", s & ATT ? "attached " : "",
		 s & DET ? "detached " : "", s & DEAD ? "dead " : "",
		 s & FLUX ? "changing " : "");
	if (buf[0])
		buf[strlen(buf) - 1] = '\0';
	return buf;
}

static const char *fz_set_name(const struct fz_set *s, char *buf, size_t len)
{
	char one[32];
	int bit;

	buf[0] = '\0';
	for (bit = 0; bit < 256; bit++) {
		if (!fz_set_has(s, bit))
			continue;
		if (bit == 0)
			snprintf(one, sizeof(one), "0");
		else if (bit == 1)
			snprintf(one, sizeof(one), "n");
		else
			fz_res_name(-(bit - 2), one, sizeof(one));
		if (strlen(buf) + strlen(one) + 2 < len) {
			strcat(buf, buf[0] ? " " : "");
			strcat(buf, one);
		}
	}
	return buf;
}

/* ====================================================================
 * 2. Seeds, random numbers, time
 * ==================================================================== */

struct fz_rng {
	uint64_t s;
};

static uint64_t fz_mix(uint64_t z)
{
	z += 0x9e3779b97f4a7c15ull;
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

static uint64_t fz_rand(struct fz_rng *r)
{
	r->s += 0x9e3779b97f4a7c15ull;
	return fz_mix(r->s);
}

static uint32_t fz_below(struct fz_rng *r, uint32_t n)
{
	return n ? fz_rand(r) % n : 0;
}

static bool fz_pct(struct fz_rng *r, unsigned int pct)
{
	return fz_below(r, 100) < pct;
}

static uint64_t fz_now(void)
{
	return wct_now_us();
}

static void fz_sleep_us(uint64_t us)
{
	struct timespec ts = { us / 1000000, (us % 1000000) * 1000 };

	while (nanosleep(&ts, &ts) && errno == EINTR)
		;
}

/*
 * Generated packets: the length is a function of the sequence number (of
 * its block of 256), so a harvested packet can be checked without a log.
 * One block in 13 is oversize: those packets never reach a cell.
 */
#define FZ_BLOCK	256

static unsigned int fz_len_of(uint64_t seq)
{
	static const unsigned int lens[] = {
		60, 64, 96, 128, 200, 512, 1024, 1514,
	};
	uint64_t h = fz_mix((seq / FZ_BLOCK) ^ 0x5eedf00dull);

	if (h % 13 == 0)
		return FZ_CELL + 52;
	return lens[(h >> 8) % 8];
}

/* Odd CAPTURE timeouts, in microseconds (the kernel caps them). */
static const uint32_t fz_timeouts[] = {
	0, 1, 7, 999, 1000, 20000, 50000, 250000, 999999, 1000000, 1000001,
	3600000000u, UINT32_MAX,
};

/* ====================================================================
 * 3. Shared with children: failures, what each one is doing, counts
 * ==================================================================== */

#define FZ_SLOTS	(2 + FZ_WORKERS + 2 + FZ_MAX_CHILDREN)
#define FZ_TRACE	24
#define FZ_LINE		160

/* Who is doing what: one slot per thread or child, read by the watchdog. */
struct fz_slot {
	atomic_int used;
	pid_t pid, tid;
	char who[24];
	atomic_ullong op_start;		/* us; 0: between calls */
	atomic_ullong op_bound;		/* us the call may take */
	atomic_uint ntrace;
	char trace[FZ_TRACE][FZ_LINE];	/* the last calls and their results */
};

/* Refused RECYCLE records children may have caused, per NIC and queue. */
struct fz_shq {
	atomic_ullong refused_lo, refused_hi;
	atomic_ullong gen_head;		/* gen << 32 | descriptors harvested */
};

struct fz_shared {
	atomic_int nfail;
	atomic_int abort;
	atomic_uint nmsg;
	char msg[16][FZ_LINE];
	struct fz_slot slot[FZ_SLOTS];
	struct fz_shq q[FZ_MAX_NICS][FZ_MAX_Q];
	atomic_uint until_hits[FZ_NR_OPS][FZ_NR_ARGS];
	atomic_ullong ops, calls, children, kills, parked_max, races;
	uint64_t seed;
	unsigned int round;
	uint64_t slack_us;
	uint32_t max_timeout_us;
};

static struct fz_shared *fz_sh;
static bool fz_trace_all;		/* WCT_FUZZ_TRACE=1: every call */
/*
 * IOSQE_ASYNC for commands that may complete at once: off when fz.rules
 * found that such a completion is lost (see fz_probe_async()), or with
 * WCT_FUZZ_NO_ASYNC=1, so the rest can still be fuzzed.
 */
static bool fz_no_async;
/*
 * WCT_FUZZ_AVOID=defer-exit: never close a DEFER_TASKRUN ring with commands
 * parked (on a lockdep kernel, 6.12's exit work then posts their CQEs from
 * a kworker: WARNING at io_uring/io_uring.h:137), to fuzz past it.
 */
static bool fz_avoid_defer_exit;
#define FZ_ASYNC_MARK	"/tmp/wct-fuzz-async-lost"

/* One line on stderr (the TAP stream), written at once. */
static void fz_log(const char *fmt, ...)
{
	char buf[1024];
	va_list ap;
	int n;

	buf[0] = '#';
	buf[1] = ' ';
	va_start(ap, fmt);
	n = vsnprintf(buf + 2, sizeof(buf) - 3, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	n = n + 2 > (int)sizeof(buf) - 2 ? (int)sizeof(buf) - 2 : n + 2;
	buf[n++] = '\n';
	if (write(2, buf, n) < 0)
		return;
}

/* Per thread or child. */
struct fz_world;
struct fz_ring;

struct fz_ctx {
	struct fz_world *w;
	struct fz_rng rng;
	int slot;
	const char *who;
	unsigned long nops;
	bool child;
	struct fz_ring *ring;
	bool dumped;
};

static struct fz_slot *fz_slot_of(struct fz_ctx *c)
{
	return &fz_sh->slot[c->slot];
}

static int fz_slot_get(const char *who)
{
	int i;

	for (i = 0; i < FZ_SLOTS; i++) {
		int zero = 0;

		if (atomic_compare_exchange_strong(&fz_sh->slot[i].used, &zero,
						   1)) {
			struct fz_slot *s = &fz_sh->slot[i];

			snprintf(s->who, sizeof(s->who), "%s", who);
			s->pid = getpid();
			s->tid = syscall(SYS_gettid);
			atomic_store(&s->op_start, 0);
			atomic_store(&s->ntrace, 0);
			return i;
		}
	}
	return -1;
}

static void fz_slot_put(int i)
{
	if (i >= 0) {
		atomic_store(&fz_sh->slot[i].op_start, 0);
		atomic_store(&fz_sh->slot[i].used, 0);
	}
}

/* A call begins: what it is, and how long it may take. */
static void fz_begin(struct fz_ctx *c, uint64_t bound_us, const char *fmt, ...)
{
	struct fz_slot *s = fz_slot_of(c);
	unsigned int n = atomic_load(&s->ntrace);
	char *line = s->trace[n % FZ_TRACE];
	va_list ap;
	int len;

	len = snprintf(line, FZ_LINE, "%lu ", c->nops);
	va_start(ap, fmt);
	vsnprintf(line + len, FZ_LINE - len, fmt, ap);
	va_end(ap);
	atomic_store(&s->ntrace, n + 1);
	atomic_store(&s->op_bound, bound_us + fz_sh->slack_us);
	atomic_store(&s->op_start, fz_now());
	atomic_fetch_add(&fz_sh->calls, 1);
}

/* The call ended with res: appended to its trace line. */
static void fz_end(struct fz_ctx *c, long res)
{
	struct fz_slot *s = fz_slot_of(c);
	unsigned int n = atomic_load(&s->ntrace);
	char *line = s->trace[(n - 1) % FZ_TRACE], r[32];
	size_t len = strnlen(line, FZ_LINE);

	atomic_store(&s->op_start, 0);
	if (len + 8 < FZ_LINE)
		snprintf(line + len, FZ_LINE - len, " = %s",
			 fz_res_name(res, r, sizeof(r)));
	if (fz_trace_all)
		fz_log("%s: %.*s", c->who, FZ_LINE, line);
}

static void fz_dump_trace(int slot)
{
	struct fz_slot *s = &fz_sh->slot[slot];
	unsigned int n = atomic_load(&s->ntrace), i;

	fz_log("  last calls of %s (pid %d, tid %d):", s->who, s->pid, s->tid);
	for (i = n > FZ_TRACE ? n - FZ_TRACE : 0; i < n; i++)
		fz_log("    %.*s", FZ_LINE, s->trace[i % FZ_TRACE]);
}

/* A failure: printed at once with who and seed, counted, remembered. */
static void fz_fail(struct fz_ctx *c, const char *fmt, ...)
{
	char buf[FZ_LINE * 2];
	va_list ap;
	unsigned int n;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	atomic_fetch_add(&fz_sh->nfail, 1);
	n = atomic_fetch_add(&fz_sh->nmsg, 1);
	if (n < 16)
		snprintf(fz_sh->msg[n], FZ_LINE, "%s: %.140s",
			 c ? c->who : "main", buf);
	fz_log("FAIL [seed %llu round %u %s op %lu] %s",
	       (unsigned long long)fz_sh->seed, fz_sh->round,
	       c ? c->who : "main", c ? c->nops : 0, buf);
	if (c && !c->dumped) {
		c->dumped = true;
		fz_dump_trace(c->slot);
	}
}

/*
 * Judge a result: 0 accepted, 1 accepted until issue 11 section 2 (counted),
 * -1 a failure (reported). extra: results this call may also return.
 */
static int fz_judge(struct fz_ctx *c, enum fz_op op, enum fz_arg arg,
		    unsigned int states, long res, const struct fz_set *extra,
		    const char *what)
{
	struct fz_set ok, until;
	char s1[64], s2[200], s3[200], r[32];
	int bit = fz_bit(res);

	fz_expect(op, arg, states, &ok, &until);
	if (extra)
		fz_set_or(&ok, extra);
	if (fz_set_has(&ok, bit))
		return 0;
	if (!fz_strict && fz_set_has(&until, bit)) {
		if (atomic_fetch_add(&fz_sh->until_hits[op][arg], 1) == 0)
			fz_log("note: %s (%s) %s: %s, allowed until issue 11 "
			       "section 2 only", fz_op_name[op],
			       fz_arg_name[arg], what ? what : "",
			       fz_res_name(res, r, sizeof(r)));
		return 1;
	}
	fz_fail(c, "%s (%s; queue %s) %s: got %s, the ABI allows {%s}%s%s%s",
		fz_op_name[op], fz_arg_name[arg],
		fz_states_name(states, s1, sizeof(s1)), what ? what : "",
		fz_res_name(res, r, sizeof(r)), fz_set_name(&ok, s2, sizeof(s2)),
		until.w[0] | until.w[1] | until.w[2] | until.w[3] ?
			" (until issue 11: {" : "",
		fz_set_name(&until, s3, sizeof(s3)),
		until.w[0] | until.w[1] | until.w[2] | until.w[3] ? "})" : "");
	return -1;
}


/* Print the kernel's view of a stuck thread: wchan and stack. */
static void fz_dump_kstack(pid_t pid, pid_t tid)
{
	char path[96], buf[2048];
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "/proc/%d/task/%d/wchan", pid, tid);
	fd = open(path, O_RDONLY);
	if (fd >= 0) {
		n = read(fd, buf, sizeof(buf) - 1);
		buf[n > 0 ? n : 0] = '\0';
		fz_log("  wchan: %s", buf);
		close(fd);
	}
	snprintf(path, sizeof(path), "/proc/%d/task/%d/stack", pid, tid);
	fd = open(path, O_RDONLY);
	if (fd >= 0) {
		char *line, *save = NULL;

		n = read(fd, buf, sizeof(buf) - 1);
		buf[n > 0 ? n : 0] = '\0';
		for (line = strtok_r(buf, "\n", &save); line;
		     line = strtok_r(NULL, "\n", &save))
			fz_log("  kstack: %s", line);
		close(fd);
	}
}

/* ====================================================================
 * 4. The model: NICs, queues, pools (generations) and their views
 * ==================================================================== */

enum { FZ_V_NONE, FZ_V_OUT, FZ_V_BUSY, FZ_V_MAYBE };

/* One pool of one queue, from ATTACH until it is gone. */
struct fz_gen {
	unsigned int id;
	uint16_t nic_id;
	uint32_t m, r, ds, segs, cells, frame_offset;
	uint8_t *ctrl, *pool;		/* our own mappings of it */
	size_t ctrl_len, pool_len;
	struct wirecap_ctrl *hdr;
	struct wirecap_desc *descs;
	struct wirecap_cell_meta *meta;
	uint32_t head;			/* descriptors harvested */
	uint32_t next_seq;		/* stamp expected next (0: any) */
	bool dead;			/* the pool was destroyed */
	bool lost;			/* descriptors overwritten unread */
	bool tainted;			/* recycles may have hit it unseen */
	/* the views we hold, by the cell they start at */
	uint16_t *vlen;
	uint32_t *vseq;
	uint8_t *vstate;
	uint32_t *handed;		/* per chunk: cells handed this cycle */
	uint32_t *out;			/* per chunk: views not back */
	struct wirecap_desc recent[32];	/* recycled: for duplicates */
	unsigned int nrecent;
};

/* A mapping made by the adversary (the canonical ones are in fz_gen). */
struct fz_map {
	uint8_t *addr;
	size_t len;
	size_t off;		/* where in the region it begins */
	unsigned int gen;
	bool pool, shared, zapped;
};

struct fz_nic;

struct fz_queue {
	pthread_mutex_t mu;		/* everything below */
	struct fz_nic *nic;
	unsigned int ring;
	int fd;				/* -1: closed */
	unsigned int state;		/* ATT, DET or DEAD */
	atomic_uint flux;		/* bumped whenever the pool comes or goes */
	struct fz_gen *gen;		/* the current pool */
	struct fz_gen *old[FZ_OLD_GENS];
	unsigned int nold, gens;
	uint64_t last_pkt;		/* sequence of the last packet + 1 */
	bool ever_attached;
	uint32_t max_r;
	/* what the counters must say, since the NIC was made */
	uint64_t views, pkts, full_views, part_views, freed;
	bool harvest_exact, freed_exact;
	uint64_t refused_lo, refused_hi;
	/* pool removals, for the race detector */
	struct {
		uint64_t d1, d2;
	} ev[8];
	unsigned int nev;
	atomic_int users;		/* dups of fd held by calls */
	bool lent;			/* a child got a dup of fd: it may
					 * capture views after we closed ours */
	struct fz_map maps[8];
	unsigned int nmaps;
	struct wirecap_stats last;	/* at the last check */
};

struct fz_nic {
	char name[16];
	unsigned int idx, nq, ring;
	atomic_int alive;		/* 0 once its removal began */
	uint16_t nic_id;
	atomic_ullong next_pkt;		/* next generated sequence number */
	atomic_ullong injected;		/* packets the softnic was given */
	struct fz_queue q[FZ_MAX_Q];
};

struct fz_child {
	pid_t pid;
	int slot;
	uint64_t kill_at, killed_at;
};

struct fz_world {
	uint64_t seed;
	unsigned int round;
	uint64_t end_us;		/* the current round's */
	uint64_t deadline_us;		/* the whole test's, for the watchdog */
	uint32_t max_timeout_us;
	pthread_mutex_t nic_lock;	/* the NIC list; before any queue's mu */
	struct fz_nic nic[FZ_MAX_NICS];
	atomic_uint nnics;
	atomic_int stop;
	atomic_int pause_inject, inject_idle;
	bool can_unload;
	unsigned int reloads;		/* softnic reloads this round */
	bool reloaded;			/* ever: restore the module at the end */
	char softnic_params[160];
	pthread_mutex_t ch_lock;
	struct fz_child ch[FZ_MAX_CHILDREN];
	pthread_t thr[FZ_WORKERS];
	atomic_int wtid[FZ_WORKERS];	/* for signals; 0 when gone */
	pthread_t partner;
	pthread_t injector, watchdog;
	atomic_int watchdog_stop;
	long long pages0;
};

static bool fz_seq_after(uint32_t a, uint32_t b)
{
	return (int32_t)(a - b) > 0;
}

static void fz_gen_unmap(struct fz_gen *g)
{
	if (g->ctrl)
		munmap(g->ctrl, g->ctrl_len);
	if (g->pool)
		munmap(g->pool, g->pool_len);
	g->ctrl = g->pool = NULL;
	g->hdr = NULL;
	g->descs = NULL;
	g->meta = NULL;
}

static void fz_gen_free(struct fz_gen *g)
{
	if (!g)
		return;
	fz_gen_unmap(g);
	free(g->vlen);
	free(g->vseq);
	free(g->vstate);
	free(g->handed);
	free(g->out);
	free(g);
}

/* After a successful ATTACH: the geometry, our mappings, empty tables. */
static struct fz_gen *fz_gen_new(struct fz_ctx *c, struct fz_queue *q, int fd)
{
	struct wirecap_info info = { .size = sizeof(info) };
	struct fz_gen *g = calloc(1, sizeof(*g));
	void *p;

	if (!g)
		return NULL;
	g->id = ++q->gens;
	if (ioctl(fd, WIRECAP_CMD_INFO, &info)) {
		fz_fail(c, "INFO after ATTACH: %s", strerror(errno));
		return g;
	}
	if (info.abi_version != WIRECAP_ABI_VERSION ||
	    info.ring_id != q->ring || info.nr_rings != q->nic->nq ||
	    info.ring_size != q->nic->ring || info.cell_size != FZ_CELL ||
	    strncmp(info.ifname, q->nic->name, sizeof(info.ifname)))
		fz_fail(c, "INFO of %s-q%u: abi %u ring %u/%u size %u cell %u "
			"name %.16s", q->nic->name, q->ring, info.abi_version,
			info.ring_id, info.nr_rings, info.ring_size,
			info.cell_size, info.ifname);
	g->nic_id = info.nic_id;
	g->m = info.cells_per_chunk;
	g->r = info.nr_chunks;
	if (!g->m || !g->r)	/* gone again already (the NIC, racing) */
		return g;
	g->ds = info.desc_ring_size;
	g->segs = q->nic->ring / g->m;
	g->cells = g->m * g->r;
	g->frame_offset = info.frame_offset;
	if (g->ds & (g->ds - 1) || g->ds < g->r ||
	    info.pool_size != (uint64_t)g->cells * FZ_CELL)
		fz_fail(c, "INFO geometry: M %u R %u desc ring %u pool %llu",
			g->m, g->r, g->ds, (unsigned long long)info.pool_size);
	g->vlen = calloc(g->cells, sizeof(*g->vlen));
	g->vseq = calloc(g->cells, sizeof(*g->vseq));
	g->vstate = calloc(g->cells, 1);
	g->handed = calloc(g->r, sizeof(*g->handed));
	g->out = calloc(g->r, sizeof(*g->out));
	p = mmap(NULL, info.ctrl_size, PROT_READ, MAP_SHARED, fd,
		 info.ctrl_offset);
	if (p != MAP_FAILED) {
		g->ctrl = p;
		g->ctrl_len = info.ctrl_size;
		g->hdr = p;
		if (g->hdr->desc_offset + (uint64_t)g->ds * 16 > g->ctrl_len ||
		    g->hdr->meta_offset + (uint64_t)g->cells * 16 > g->ctrl_len)
			fz_fail(c, "control area layout: descs at %u, meta at %u, "
				"%zu bytes", g->hdr->desc_offset,
				g->hdr->meta_offset, g->ctrl_len);
		else {
			g->descs = (void *)(g->ctrl + g->hdr->desc_offset);
			g->meta = (void *)(g->ctrl + g->hdr->meta_offset);
		}
	}
	p = mmap(NULL, info.pool_size, PROT_READ | PROT_WRITE, MAP_SHARED, fd,
		 info.pool_offset);
	if (p != MAP_FAILED) {
		g->pool = p;
		g->pool_len = info.pool_size;
	}
	return g;
}

static void fz_view_put(struct fz_queue *q, struct fz_gen *g, uint32_t cell,
			bool certain);

/* The packets of a view: injected into this queue, in order, intact. */
static void fz_check_packets(struct fz_ctx *c, struct fz_queue *q,
			     struct fz_gen *g, uint32_t cell, uint32_t n)
{
	uint64_t injected = atomic_load(&q->nic->next_pkt);
	uint32_t i;

	if (!g->pool || !g->meta)
		return;
	for (i = 0; i < n; i++) {
		const uint8_t *f = g->pool + (size_t)(cell + i) * FZ_CELL +
				   g->frame_offset;
		unsigned int len = g->meta[cell + i].len;
		uint64_t seq = wct_frame_seq(f);

		if (seq >= injected || len != fz_len_of(seq) ||
		    f[12] != 0x08 || f[13] != 0x00) {
			fz_fail(c, "%s-q%u cell %u: packet %llu of %u bytes "
				"(never injected, or not the length it was "
				"injected with, %u)", q->nic->name, q->ring,
				cell + i, (unsigned long long)seq, len,
				seq < injected ? fz_len_of(seq) : 0);
			return;
		}
		if (q->last_pkt && seq < q->last_pkt) {
			fz_fail(c, "%s-q%u cell %u: packet %llu after %llu "
				"(delivered twice or out of order)",
				q->nic->name, q->ring, cell + i,
				(unsigned long long)seq,
				(unsigned long long)q->last_pkt - 1);
			return;
		}
		q->last_pkt = seq + 1;
	}
}

/* A chunk is handed out from cell 0 again: its old views must be back. */
static void fz_chunk_restart(struct fz_ctx *c, struct fz_queue *q,
			     struct fz_gen *g, uint32_t k)
{
	uint32_t cell;

	for (cell = k * g->m; cell < (k + 1) * g->m; cell++) {
		if (g->vstate[cell] == FZ_V_NONE)
			continue;
		if (g->vstate[cell] == FZ_V_OUT && !g->tainted && !g->lost)
			fz_fail(c, "%s-q%u: chunk %u handed out again while its "
				"view at cell %u (%u packets, stamp %u) is out",
				q->nic->name, q->ring, k, cell % g->m,
				g->vlen[cell], g->vseq[cell]);
		/* came back unseen (a recycle in doubt), or stolen */
		fz_view_put(q, g, cell, false);
	}
	g->handed[k] = 0;
	g->out[k] = 0;
}

/* One descriptor from the ring: check it, hold its view. mu held. */
static void fz_take_view(struct fz_ctx *c, struct fz_queue *q,
			 struct fz_gen *g, struct wirecap_desc d)
{
	uint32_t k = d.chunk_id, cell;

	if (d.nic_id != g->nic_id || d.ring_id != q->ring) {
		fz_fail(c, "%s-q%u: descriptor of nic %u ring %u", q->nic->name,
			q->ring, d.nic_id, d.ring_id);
		return;
	}
	if (d.chunk_id >= g->r || d.first_cell >= g->m || !d.pkt_count ||
	    d.first_cell + d.pkt_count > g->m || !d.seq) {
		fz_fail(c, "%s-q%u: descriptor chunk %u cells %u+%u stamp %u "
			"(M %u, R %u)", q->nic->name, q->ring, d.chunk_id,
			d.first_cell, d.pkt_count, d.seq, g->m, g->r);
		return;
	}
	if (g->next_seq && !fz_seq_after(d.seq, g->next_seq - 1))
		fz_fail(c, "%s-q%u: stamp %u after %u (stamps go up)",
			q->nic->name, q->ring, d.seq, g->next_seq - 1);
	g->next_seq = d.seq + 1 ? d.seq + 1 : 1;
	/*
	 * A chunk's views are consecutive runs from cell 0; it starts over
	 * only once all of it was handed out (and, fz_chunk_restart() checks,
	 * every view came back).
	 */
	if (d.first_cell != g->handed[k]) {
		bool restart = d.first_cell == 0 && g->handed[k] == g->m;

		if (!restart && !g->lost && !g->tainted)
			fz_fail(c, "%s-q%u: view %u+%u of chunk %u, but %u of "
				"its cells were handed out", q->nic->name,
				q->ring, d.first_cell, d.pkt_count, k,
				g->handed[k]);
		if (d.first_cell == 0)
			fz_chunk_restart(c, q, g, k);
	} else if (d.first_cell == 0 && g->out[k]) {
		fz_chunk_restart(c, q, g, k);
	}
	cell = k * g->m + d.first_cell;
	g->vlen[cell] = d.pkt_count;
	g->vseq[cell] = d.seq;
	g->vstate[cell] = FZ_V_OUT;
	g->out[k]++;
	g->handed[k] = d.first_cell + d.pkt_count;
	q->views++;
	q->pkts += d.pkt_count;
	if (d.first_cell + d.pkt_count == g->m)
		q->full_views++;
	else
		q->part_views++;
	fz_check_packets(c, q, g, cell, d.pkt_count);
}

/* Read what the kernel published since last time. mu held. */
static void fz_harvest_gen(struct fz_ctx *c, struct fz_queue *q,
			   struct fz_gen *g)
{
	uint32_t tail;

	if (!g || !g->hdr || !g->descs)
		return;
	tail = __atomic_load_n(&g->hdr->desc_tail, __ATOMIC_ACQUIRE);
	if (tail - g->head > g->ds) {
		/* a stale desc_head let the kernel write over them */
		g->lost = true;
		q->harvest_exact = false;
		q->freed_exact = false;
		g->head = tail - g->ds;
	}
	for (; g->head != tail; g->head++) {
		struct wirecap_desc d;

		memcpy(&d, &g->descs[g->head & (g->ds - 1)], sizeof(d));
		fz_take_view(c, q, g, d);
	}
	if (!g->dead)
		atomic_store(&fz_sh->q[q->nic->idx][q->ring].gen_head,
			     (uint64_t)g->id << 32 | g->head);
}

static void fz_harvest(struct fz_ctx *c, struct fz_queue *q)
{
	fz_harvest_gen(c, q, q->gen);
}

/*
 * A view is back (certain: a RECYCLE said so; else it came back unseen):
 * forget it; count the chunk freed when that was its last one.
 */
static void fz_view_put(struct fz_queue *q, struct fz_gen *g, uint32_t cell,
			bool certain)
{
	uint32_t k = cell / g->m;
	struct wirecap_desc *r;

	if (g->vstate[cell] == FZ_V_NONE)
		return;
	r = &g->recent[g->nrecent++ % 32];
	r->nic_id = g->nic_id;
	r->ring_id = q->ring;
	r->chunk_id = k;
	r->first_cell = cell % g->m;
	r->pkt_count = g->vlen[cell];
	r->seq = g->vseq[cell];
	g->vstate[cell] = FZ_V_NONE;
	if (g->out[k])
		g->out[k]--;
	if (!certain)
		q->freed_exact = false;
	else if (!g->out[k] && g->handed[k] == g->m)
		q->freed++;
}

/* The pool is gone (DETACH, NIC removal): read the rest, keep the tables. */
static void fz_retire(struct fz_ctx *c, struct fz_queue *q)
{
	struct fz_gen *g = q->gen;

	if (!g)
		return;
	fz_harvest_gen(c, q, g);
	g->dead = true;
	fz_gen_unmap(g);
	if (q->nold == FZ_OLD_GENS) {
		fz_gen_free(q->old[0]);
		memmove(q->old, q->old + 1, sizeof(q->old[0]) * (FZ_OLD_GENS - 1));
		q->nold--;
	}
	q->old[q->nold++] = g;
	q->gen = NULL;
	atomic_store(&fz_sh->q[q->nic->idx][q->ring].gen_head, 0);
}

/* The pool went at an unknown time (close): nothing more can be read. */
static void fz_drop_gen(struct fz_ctx *c, struct fz_queue *q, bool exact)
{
	if (!q->gen)
		return;
	if (!exact)
		q->harvest_exact = false;
	fz_retire(c, q);
}

static void fz_event(struct fz_queue *q, uint64_t d1, uint64_t d2)
{
	q->ev[q->nev % 8].d1 = d1;
	q->ev[q->nev % 8].d2 = d2;
	q->nev++;
}

/* The queue's state for a call: the one we knew, and anything it became. */
static unsigned int fz_states(struct fz_queue *q, unsigned int state0,
			      unsigned int flux0)
{
	unsigned int s = state0 | q->state;

	if (atomic_load(&q->flux) != flux0)
		s |= FLUX | ATT | DET;
	if (!atomic_load(&q->nic->alive))
		s |= FLUX | ATT | DET | DEAD;
	return s;
}

/* ====================================================================
 * 5. io_uring: rings of every kind, SQEs filled here (adversarially; the
 *    well-behaved way is liburing-glue/), commands tracked to completion
 * ==================================================================== */

enum fz_ring_kind {
	FZ_RING_PLAIN, FZ_RING_DEFER, FZ_RING_SQPOLL, FZ_RING_COOP,
	FZ_RING_BIG, FZ_RING_IOPOLL, FZ_NR_RING_KINDS
};

static const char *const fz_ring_name[FZ_NR_RING_KINDS] = {
	"plain", "defer-taskrun", "sqpoll", "coop-taskrun", "sqe128+cqe32",
	"iopoll",
};

struct fz_batch;

/* A command in flight. */
struct fz_pend {
	bool used;
	uint16_t serial;
	enum fz_op op;
	enum fz_arg arg;
	struct fz_set extra;		/* also allowed (linked: -ECANCELED) */
	struct fz_queue *q;
	unsigned int state0, flux0, gen0;
	uint32_t head, max, timeout_us;
	uint64_t s1, s2;		/* around the submitting enter */
	bool async;			/* issued at an unknown time */
	int fd;				/* our dup, closed at completion */
	struct fz_batch *batch;		/* RECYCLE */
	int sh_nic, sh_ring;		/* a child's RECYCLE of bad records: */
	uint32_t bad;			/* how many, to count them refused */
	int slot;			/* the registered file it names, or -1 */
};

struct fz_ring {
	struct io_uring ring;
	bool up;
	enum fz_ring_kind kind;
	struct fz_queue *fixed_q[FZ_FIXED];	/* what each slot holds */
	unsigned int fixed_busy[FZ_FIXED];	/* commands naming it */
	bool bufs;				/* one buffer registered */
	void *buf;
	struct fz_pend pend[FZ_INFLIGHT];
	unsigned int npend;
	uint16_t serial;
};

#define FZ_UD_NOISE	(1ull << 63)

static int fz_ring_init(struct fz_ctx *c, struct fz_ring *r,
			enum fz_ring_kind kind)
{
	struct io_uring_params p;
	int fds[FZ_FIXED], i, ret;

	memset(r, 0, sizeof(*r));
	memset(&p, 0, sizeof(p));
	p.flags = IORING_SETUP_SUBMIT_ALL | IORING_SETUP_CQSIZE;
	p.cq_entries = 4 * FZ_INFLIGHT;
	switch (kind) {
	case FZ_RING_DEFER:
		p.flags |= IORING_SETUP_SINGLE_ISSUER |
			   IORING_SETUP_DEFER_TASKRUN;
		break;
	case FZ_RING_SQPOLL:
		p.flags |= IORING_SETUP_SQPOLL;
		p.sq_thread_idle = 20;
		break;
	case FZ_RING_COOP:
		p.flags |= IORING_SETUP_COOP_TASKRUN |
			   IORING_SETUP_TASKRUN_FLAG;
		break;
	case FZ_RING_BIG:
		p.flags |= IORING_SETUP_SQE128 | IORING_SETUP_CQE32;
		break;
	case FZ_RING_IOPOLL:
		p.flags |= IORING_SETUP_IOPOLL;
		break;
	default:
		break;
	}
	ret = io_uring_queue_init_params(2 * FZ_INFLIGHT, &r->ring, &p);
	if (ret < 0 && kind != FZ_RING_PLAIN)
		return fz_ring_init(c, r, FZ_RING_PLAIN);
	if (ret < 0)
		return ret;
	r->kind = kind;
	r->up = true;
	for (i = 0; i < FZ_FIXED; i++)
		fds[i] = -1;
	io_uring_register_files(&r->ring, fds, FZ_FIXED);
	if (fz_pct(&c->rng, 30)) {
		struct iovec iov;

		r->buf = aligned_alloc(4096, 4096);
		iov.iov_base = r->buf;
		iov.iov_len = 4096;
		r->bufs = r->buf && !io_uring_register_buffers(&r->ring, &iov, 1);
	}
	return 0;
}

static struct io_uring_sqe *fz_sqe(struct fz_ring *r)
{
	struct io_uring_sqe *sqe = io_uring_get_sqe(&r->ring);

	if (!sqe) {
		io_uring_submit(&r->ring);
		sqe = io_uring_get_sqe(&r->ring);
	}
	if (sqe)
		memset(sqe, 0, r->kind == FZ_RING_BIG ? 128 : 64);
	return sqe;
}

static struct fz_pend *fz_pend_new(struct fz_ring *r, uint64_t *ud)
{
	unsigned int i;

	if (r->npend >= FZ_INFLIGHT - 8)
		return NULL;
	for (i = 0; i < FZ_INFLIGHT; i++)
		if (!r->pend[i].used)
			break;
	memset(&r->pend[i], 0, sizeof(r->pend[i]));
	r->pend[i].used = true;
	r->pend[i].serial = ++r->serial;
	r->pend[i].fd = -1;
	r->pend[i].sh_nic = -1;
	r->pend[i].slot = -1;
	r->npend++;
	*ud = (uint64_t)r->pend[i].serial << 16 | i;
	return &r->pend[i];
}

static int fz_submit(struct fz_ctx *c, struct fz_ring *r)
{
	int ret, tries = 0;

	do {
		fz_begin(c, 1000000, "io_uring_submit (%s ring)",
			 fz_ring_name[r->kind]);
		ret = io_uring_submit(&r->ring);
		fz_end(c, ret);
	} while ((ret == -EINTR || ret == -EAGAIN) && ++tries < 20);
	if (ret < 0)
		fz_fail(c, "io_uring_submit: %s", strerror(-ret));
	return ret;
}

static void fz_complete(struct fz_ctx *c, struct fz_ring *r,
			struct fz_pend *p, int res);

/*
 * Take completions: wait up to wait_us for the first (0: only look).
 * Returns how many were taken.
 */
static int fz_reap(struct fz_ctx *c, struct fz_ring *r, uint64_t wait_us)
{
	struct __kernel_timespec ts = {
		.tv_sec = wait_us / 1000000,
		.tv_nsec = (wait_us % 1000000) * 1000,
	};
	struct io_uring_cqe *cqe;
	int n = 0, ret;

	if (!r->up)
		return 0;
	fz_begin(c, wait_us, "reap (%s ring, %u in flight, wait %llu us)",
		 fz_ring_name[r->kind], r->npend, (unsigned long long)wait_us);
	ret = io_uring_wait_cqe_timeout(&r->ring, &cqe, &ts);
	fz_end(c, ret);
	if (ret < 0 && ret != -ETIME && ret != -EINTR && ret != -EAGAIN &&
	    ret != -EBUSY)
		fz_fail(c, "io_uring_wait_cqe_timeout: %s", strerror(-ret));
	while (io_uring_peek_cqe(&r->ring, &cqe) == 0) {
		uint64_t ud = cqe->user_data;
		int res = cqe->res;
		unsigned int i = ud & 0xffff;

		io_uring_cqe_seen(&r->ring, cqe);
		if (ud & FZ_UD_NOISE)
			continue;
		if (i >= FZ_INFLIGHT || !r->pend[i].used ||
		    r->pend[i].serial != (uint16_t)(ud >> 16)) {
			fz_fail(c, "a completion nobody asked for: user_data "
				"%llx res %d", (unsigned long long)ud, res);
			continue;
		}
		fz_complete(c, r, &r->pend[i], res);
		n++;
	}
	return n;
}

static void fz_dump_tasks(bool io);

/* Everything in flight must complete within its bound. */
static void fz_reap_all(struct fz_ctx *c, struct fz_ring *r)
{
	uint64_t limit = fz_now() + fz_sh->max_timeout_us + fz_sh->slack_us;

	while (r->up && r->npend && fz_now() < limit)
		fz_reap(c, r, 100000);
	if (r->up && r->npend) {
		unsigned int i;

		fz_fail(c, "%u io_uring commands never completed "
			"(max_timeout_us %u + %llu s)", r->npend,
			fz_sh->max_timeout_us,
			(unsigned long long)fz_sh->slack_us / 1000000);
		for (i = 0; i < FZ_INFLIGHT; i++)
			if (r->pend[i].used)
				fz_log("  in flight: %s (%s) on %s-q%u, %s ring, "
				       "%s, %s, timeout %u us, submitted %llu "
				       "us ago", fz_op_name[r->pend[i].op],
				       fz_arg_name[r->pend[i].arg],
				       r->pend[i].q ? r->pend[i].q->nic->name :
						      "?",
				       r->pend[i].q ? r->pend[i].q->ring : 0,
				       fz_ring_name[r->kind],
				       r->pend[i].async ? "async" : "inline",
				       r->pend[i].slot >= 0 ? "fixed file" :
							      "fd",
				       r->pend[i].timeout_us,
				       (unsigned long long)(fz_now() -
							    r->pend[i].s1));
		fz_dump_tasks(true);
	}
}

/*
 * Tear a ring down. With wait, reap everything first; without, commands
 * still parked are cancelled by the ring's teardown (6.7+) or end at their
 * timeout: their results are lost, their views harvested all the same.
 */
static void fz_batch_lost(struct fz_ctx *c, struct fz_batch *b);

static void fz_ring_exit(struct fz_ctx *c, struct fz_ring *r, bool wait)
{
	unsigned int i;

	if (!r->up)
		return;
	if (fz_avoid_defer_exit && r->kind == FZ_RING_DEFER)
		wait = true;
	if (wait)
		fz_reap_all(c, r);
	for (i = 0; i < FZ_INFLIGHT; i++) {
		struct fz_pend *p = &r->pend[i];

		if (!p->used)
			continue;
		if (p->batch)
			fz_batch_lost(c, p->batch);
		if (p->q) {
			/*
			 * Still parked, the command holds the queue's file:
			 * its pool stays attached after our close, and what
			 * the command's completion publishes nobody
			 * harvests. Counted "at least", as for a file lent
			 * to a child, until a reopen proves it gone.
			 */
			__atomic_store_n(&p->q->lent, true, __ATOMIC_RELAXED);
			atomic_fetch_sub(&p->q->users, 1);
		}
		if (p->fd >= 0)
			close(p->fd);
		p->used = false;
	}
	r->npend = 0;
	fz_begin(c, fz_sh->max_timeout_us, "ring exit (%s)",
		 fz_ring_name[r->kind]);
	/* unregistering first: on 6.1 it waits for commands in flight */
	if (wait)
		io_uring_unregister_files(&r->ring);
	io_uring_queue_exit(&r->ring);
	fz_end(c, 0);
	free(r->buf);
	r->up = false;
}

/* ====================================================================
 * 6. RECYCLE batches: good records, bad ones that must be refused
 * ==================================================================== */

/*
 * Bad records, each refused whatever else happens in the same pool: a view
 * starts at one cell at a time and its stamp is new at every handover, so
 * a record of a recycled view, an older stamp, another length or another
 * start can only match nothing.
 */
enum fz_bad {
	FZ_BAD_CHUNK, FZ_BAD_CELL, FZ_BAD_EMPTY, FZ_BAD_LEN, FZ_BAD_OLDSEQ,
	FZ_BAD_RING, FZ_BAD_NIC, FZ_BAD_DUP, FZ_BAD_SHIFT, FZ_BAD_JUNK,
	FZ_NR_BAD
};

struct fz_batch {
	struct fz_queue *q;
	unsigned int gen0, flux0, state0;
	enum fz_arg arg;
	struct wirecap_desc *recs;	/* what the kernel reads */
	uint32_t count, flags;
	uint32_t valid;			/* records before a fault */
	unsigned int nlegit;
	uint32_t legit[64];		/* cells of the views we give back */
	uint32_t legit_seq[64];
	void *mem;
	size_t memlen;
	bool mapped;			/* mem is an mmap (with a hole) */
};

/* Our view at cell (OUT), as the kernel published it. */
static struct wirecap_desc fz_desc_of(struct fz_queue *q, struct fz_gen *g,
				      uint32_t cell)
{
	struct wirecap_desc d = {
		.nic_id = g->nic_id, .ring_id = q->ring,
		.chunk_id = cell / g->m, .first_cell = cell % g->m,
		.pkt_count = g->vlen[cell], .seq = g->vseq[cell],
	};

	return d;
}

/* A random view in state from, or -1. */
static int fz_pick_view(struct fz_ctx *c, struct fz_gen *g, int from)
{
	uint32_t start, i;

	if (!g || !g->cells)
		return -1;
	start = fz_below(&c->rng, g->cells);
	for (i = 0; i < g->cells; i++) {
		uint32_t cell = (start + i) % g->cells;

		if (g->vstate[cell] == from)
			return cell;
	}
	return -1;
}

static struct wirecap_desc fz_bad_record(struct fz_ctx *c, struct fz_queue *q,
					 struct fz_gen *g)
{
	struct wirecap_desc d;
	int cell = fz_pick_view(c, g, FZ_V_OUT);

	if (cell < 0)
		cell = fz_pick_view(c, g, FZ_V_BUSY);
	memset(&d, 0, sizeof(d));
	d.nic_id = g->nic_id;
	d.ring_id = q->ring;
	d.pkt_count = 1;
	d.seq = 0;		/* never a stamp: no view of ours to vary */
	if (cell >= 0)
		d = fz_desc_of(q, g, cell);
	switch (fz_below(&c->rng, FZ_NR_BAD)) {
	case FZ_BAD_CHUNK:
		d.chunk_id = fz_pct(&c->rng, 50) ? g->r + fz_below(&c->rng, 64) :
			     0x80000000u | (uint32_t)fz_rand(&c->rng);
		break;
	case FZ_BAD_CELL:
		d.first_cell = g->m + fz_below(&c->rng, 0x10000 - g->m);
		break;
	case FZ_BAD_EMPTY:
		d.pkt_count = 0;
		break;
	case FZ_BAD_LEN:
		d.pkt_count += 1 + fz_below(&c->rng, 3);
		break;
	case FZ_BAD_OLDSEQ:
		d.seq = d.seq > 8 && fz_pct(&c->rng, 70) ?
			d.seq - 1 - fz_below(&c->rng, 7) : 0;
		break;
	case FZ_BAD_RING:
		d.ring_id = q->ring + 1 + fz_below(&c->rng, 100);
		break;
	case FZ_BAD_NIC:
		d.nic_id ^= 1 + fz_below(&c->rng, 0xfffe);
		break;
	case FZ_BAD_DUP:
		if (g->nrecent) {
			d = g->recent[fz_below(&c->rng,
					       g->nrecent < 32 ? g->nrecent : 32)];
			break;
		}
		d.pkt_count = 0;
		break;
	case FZ_BAD_SHIFT:
		if (d.pkt_count > 1) {
			d.first_cell++;
			d.pkt_count--;
		} else {
			d.first_cell = g->m;
		}
		break;
	default:
		for (unsigned int i = 0; i < sizeof(d); i++)
			((uint8_t *)&d)[i] = fz_rand(&c->rng);
		if (d.nic_id == g->nic_id && d.ring_id == q->ring)
			d.ring_id++;
		break;
	}
	return d;
}

/* Reserve a view of ours for a RECYCLE in flight. */
static bool fz_batch_add_legit(struct fz_ctx *c, struct fz_batch *b,
			       struct fz_gen *g, struct wirecap_desc *out)
{
	int cell = fz_pick_view(c, g, FZ_V_OUT);

	if (cell < 0 || b->nlegit == 64)
		return false;
	g->vstate[cell] = FZ_V_BUSY;
	b->legit[b->nlegit] = cell;
	b->legit_seq[b->nlegit++] = g->vseq[cell];
	*out = fz_desc_of(b->q, g, cell);
	return true;
}

/*
 * A record of an earlier pool of this queue that equals one of our views
 * now (the stamp of a new pool starting over would make it one): reserve
 * that view and put the old record in d.
 */
static bool fz_batch_add_stale(struct fz_ctx *c, struct fz_batch *b,
			       struct fz_gen *g, struct wirecap_desc *d)
{
	struct fz_queue *q = b->q;
	uint32_t cell;
	unsigned int i, k;

	for (cell = 0; cell < g->cells; cell++) {
		if (g->vstate[cell] != FZ_V_OUT)
			continue;
		for (i = 0; i < q->nold; i++) {
			struct fz_gen *o = q->old[i];
			bool hit = o->m == g->m && cell < o->cells &&
				   o->vlen[cell] == g->vlen[cell] &&
				   o->vseq[cell] == g->vseq[cell];

			for (k = 0; !hit && o->m == g->m && k < 32 &&
			     k < o->nrecent; k++)
				hit = o->recent[k].chunk_id == cell / g->m &&
				      o->recent[k].first_cell == cell % g->m &&
				      o->recent[k].pkt_count == g->vlen[cell] &&
				      o->recent[k].seq == g->vseq[cell];
			if (!hit)
				continue;
			g->vstate[cell] = FZ_V_BUSY;
			b->legit[0] = cell;
			b->legit_seq[0] = g->vseq[cell];
			b->nlegit = 1;
			d->nic_id = o->nic_id;
			d->ring_id = q->ring;
			d->chunk_id = cell / g->m;
			d->first_cell = cell % g->m;
			d->pkt_count = g->vlen[cell];
			d->seq = g->vseq[cell];
			return true;
		}
	}
	return false;
}

/*
 * Build a RECYCLE under mu: kind decides what is in it and where the
 * records live. Returns NULL if there is nothing to do.
 */
static struct fz_batch *fz_batch_make(struct fz_ctx *c, struct fz_queue *q,
				      unsigned int kind, bool uring)
{
	struct fz_gen *g = q->gen;
	struct fz_batch *b = calloc(1, sizeof(*b));
	struct wirecap_desc recs[80];
	unsigned int n = 0, i, nbad = 0, want;
	long page = sysconf(_SC_PAGESIZE);

	if (!b)
		return NULL;
	b->q = q;
	b->gen0 = g ? g->id : 0;
	b->flux0 = atomic_load(&q->flux);
	b->state0 = q->state;
	b->arg = FZ_A_OK;
	if (!g || !g->cells) {
		/* detached or dead: anything is refused before the records */
		struct fz_gen none = { .nic_id = 0, .m = 16, .r = 8 };

		recs[n++] = fz_bad_record(c, q, &none);
		kind = 99;
	}
	switch (kind) {
	case 0:		/* good ones */
		want = 1 + fz_below(&c->rng, 8);
		while (n < want && fz_batch_add_legit(c, b, g, &recs[n]))
			n++;
		break;
	case 1:		/* good and bad, shuffled */
		want = 1 + fz_below(&c->rng, 6);
		while (n < want && fz_batch_add_legit(c, b, g, &recs[n]))
			n++;
		nbad = 1 + fz_below(&c->rng, 6);
		break;
	case 2:		/* bad only */
		nbad = 1 + fz_below(&c->rng, 40);
		break;
	case 3:		/* a record of an earlier pool */
		if (fz_batch_add_stale(c, b, g, &recs[n])) {
			n++;
			b->arg = FZ_A_STALEPOOL;
		} else {
			nbad = 1;
		}
		break;
	case 4:		/* unknown flags */
		nbad = 1 + fz_below(&c->rng, 3);
		b->flags = 1u << fz_below(&c->rng, 32);
		b->arg = FZ_A_FLAGS;
		break;
	case 5:		/* too many */
		b->count = WIRECAP_RECYCLE_MAX + 1 + fz_below(&c->rng, 1000);
		b->arg = FZ_A_COUNT;
		break;
	case 6:		/* not our memory */
		b->count = 1 + fz_below(&c->rng, 4);
		b->arg = FZ_A_FAULT;
		break;
	case 7:		/* running into a hole */
		want = 1 + fz_below(&c->rng, 4);
		while (n < want && fz_batch_add_legit(c, b, g, &recs[n]))
			n++;
		nbad = fz_below(&c->rng, 60);
		b->arg = FZ_A_PARTFAULT;
		break;
	case 8:		/* nothing */
		break;
	default:
		break;
	}
	for (i = 0; i < nbad && n < 80; i++)
		recs[n++] = fz_bad_record(c, q, g);
	/* shuffle, except a partial fault keeps the good ones first */
	for (i = b->arg == FZ_A_PARTFAULT ? b->nlegit : 0; i + 1 < n; i++) {
		unsigned int j = i + fz_below(&c->rng, n - i);
		struct wirecap_desc t = recs[i];

		t = recs[i];
		recs[i] = recs[j];
		recs[j] = t;
	}
	if (b->arg == FZ_A_FAULT) {
		static const uintptr_t bad[] = {
			0, 8, 4096, 0xffff888000000000ull, 0x7ffffffff000ull,
		};

		b->recs = (void *)bad[fz_below(&c->rng, 5)];
		b->valid = 0;
		return b;
	}
	if (b->arg == FZ_A_COUNT) {
		b->recs = NULL;
		return b;
	}
	b->count = n;
	b->valid = n;
	if (b->arg == FZ_A_PARTFAULT) {
		/* records fill the end of a page; the next page is a hole */
		size_t tail = (size_t)n * sizeof(recs[0]);
		uint8_t *m = mmap(NULL, 2 * page, PROT_READ | PROT_WRITE,
				  MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

		if (m == MAP_FAILED) {
			b->arg = FZ_A_OK;
			goto heap;
		}
		mprotect(m + page, page, PROT_NONE);
		b->mem = m;
		b->memlen = 2 * page;
		b->mapped = true;
		b->recs = (void *)(m + page - tail);
		memcpy(b->recs, recs, tail);
		b->count = n + 1 + fz_below(&c->rng, 100);
		return b;
	}
heap:
	b->memlen = (n ? n : 1) * sizeof(recs[0]);
	b->mem = malloc(b->memlen);
	b->recs = b->mem;
	if (n)
		memcpy(b->recs, recs, n * sizeof(recs[0]));
	(void)uring;
	return b;
}

static void fz_batch_free(struct fz_batch *b)
{
	if (b->mapped)
		munmap(b->mem, b->memlen);
	else
		free(b->mem);
	free(b);
}

static struct fz_gen *fz_gen_by_id(struct fz_queue *q, unsigned int id)
{
	unsigned int i;

	if (q->gen && q->gen->id == id)
		return q->gen;
	for (i = 0; i < q->nold; i++)
		if (q->old[i]->id == id)
			return q->old[i];
	return NULL;
}

/* Set what became of the good records: back (taken), out, or in doubt. */
static void fz_batch_settle_views(struct fz_queue *q, struct fz_batch *b,
				  int how)
{
	struct fz_gen *g = fz_gen_by_id(q, b->gen0);
	unsigned int i;

	for (i = 0; g && i < b->nlegit; i++) {
		uint32_t cell = b->legit[i];

		if (g->vstate[cell] != FZ_V_BUSY ||
		    g->vseq[cell] != b->legit_seq[i])
			continue;	/* its chunk started over meanwhile */
		if (how > 0) {
			fz_view_put(q, g, cell, true);
		} else if (how == 0) {
			g->vstate[cell] = FZ_V_OUT;
		} else {
			g->vstate[cell] = FZ_V_MAYBE;
			q->freed_exact = false;
		}
	}
}

/* The RECYCLE completed with res. mu held. */
static void fz_batch_done(struct fz_ctx *c, struct fz_batch *b, long res,
			  enum fz_op op)
{
	struct fz_queue *q = b->q;
	unsigned int states = fz_states(q, b->state0, b->flux0);
	bool same = q->gen && q->gen->id == b->gen0 && !(states & FLUX);
	char what[64];

	snprintf(what, sizeof(what), "on %s-q%u, %u records, %u good",
		 q->nic->name, q->ring, b->count, b->nlegit);
	fz_judge(c, op, b->arg, states, res, NULL, what);
	if (!same) {
		/* the pool came or went: any of it may have been taken */
		fz_batch_settle_views(q, b, -1);
		if (q->gen && q->gen->id != b->gen0)
			q->gen->tainted = true;
		q->freed_exact = false;
		q->refused_hi += b->valid;
		return;
	}
	if (res < 0) {
		/* nothing taken (records before a hole may have been refused) */
		fz_batch_settle_views(q, b, 0);
		if (b->arg == FZ_A_PARTFAULT)
			q->refused_hi += b->valid;
		return;
	}
	if (b->arg == FZ_A_STALEPOOL) {
		/* taken: the view it equals is back, as if we gave it */
		fz_batch_settle_views(q, b, res > 0 ? 1 : 0);
		q->refused_lo += 1 - (res > 0);
		q->refused_hi += 1 - (res > 0);
		return;
	}
	if (res > b->nlegit || (res < b->nlegit && b->arg != FZ_A_PARTFAULT)) {
		fz_fail(c, "RECYCLE %s took %ld: %u of the records were "
			"outstanding views, the rest must be refused", what,
			res, b->nlegit);
		fz_batch_settle_views(q, b, -1);
		q->gen->tainted = true;
		q->refused_hi += b->valid;
		return;
	}
	if (b->arg == FZ_A_PARTFAULT) {
		fz_batch_settle_views(q, b, res == b->nlegit ? 1 : -1);
		q->refused_hi += b->valid - res;
		return;
	}
	fz_batch_settle_views(q, b, 1);
	q->refused_lo += b->count - res;
	q->refused_hi += b->count - res;
}

/* Its result will never be known (ring torn down, child killed). */
static void fz_batch_lost(struct fz_ctx *c, struct fz_batch *b)
{
	struct fz_queue *q = b->q;

	pthread_mutex_lock(&q->mu);
	fz_batch_settle_views(q, b, -1);
	q->freed_exact = false;
	q->refused_hi += b->valid;
	pthread_mutex_unlock(&q->mu);
	fz_batch_free(b);
}

static long fz_ioctl(int fd, unsigned long op, void *arg)
{
	long r = ioctl(fd, op, arg);

	return r < 0 ? -errno : r;
}

/* ====================================================================
 * 7. NICs and queues: make, pick, remove, unload
 * ==================================================================== */

static unsigned int fz_round_first;	/* first NIC of this round */

static void fz_queue_init(struct fz_nic *n, unsigned int ring)
{
	struct fz_queue *q = &n->q[ring];

	memset(q, 0, sizeof(*q));
	pthread_mutex_init(&q->mu, NULL);
	q->nic = n;
	q->ring = ring;
	q->fd = -1;
	q->state = DET;
	q->harvest_exact = true;
	q->freed_exact = true;
}

/*
 * Open a queue: it must work, unless maybe_busy (the last opener's file may
 * still be held) or the NIC is going away. The fd, or -errno.
 */
static int fz_open_queue(struct fz_ctx *c, struct fz_queue *q, bool maybe_busy)
{
	struct fz_set extra = {}, gone, until;
	char path[96];
	int fd, e;

	snprintf(path, sizeof(path), WIRECAP_DEV_DIR "/%s-q%u", q->nic->name,
		 q->ring);
	fz_begin(c, 1000000, "open %s", path);
	fd = open(path, O_RDWR | O_CLOEXEC);
	e = fd < 0 ? errno : 0;
	fz_end(c, -e);
	if (maybe_busy)
		fz_set_add(&extra, 2 + EBUSY);
	if (!atomic_load(&q->nic->alive)) {
		fz_expect(FZ_OPEN, FZ_A_GONE, ANY, &gone, &until);
		fz_set_or(&extra, &gone);
	}
	fz_judge(c, FZ_OPEN, FZ_A_OK, ANY, -e, &extra, path);
	return fd < 0 ? -e : fd;
}

/* ATTACH worked: a new pool to follow. mu held. */
static void fz_attached(struct fz_ctx *c, struct fz_queue *q)
{
	if (q->gen)	/* we did not know it was attached */
		fz_retire(c, q);
	q->gen = fz_gen_new(c, q, q->fd);
	if (q->gen && (!q->gen->ctrl || !q->gen->pool))
		q->harvest_exact = false;
	q->state = ATT;
	q->ever_attached = true;
	if (q->gen && q->gen->r > q->max_r)
		q->max_r = q->gen->r;
	atomic_fetch_add(&q->flux, 1);
	fz_harvest(c, q);
}

/* ATTACH with a geometry the ABI accepts; mu held. */
static void fz_geometry(struct fz_ctx *c, struct fz_queue *q, uint32_t *m,
			uint32_t *r)
{
	uint32_t n = q->nic->ring, segs;
	unsigned int k = 1 + fz_below(&c->rng, 8);

	*m = 2u << fz_below(&c->rng, k);
	if (*m > n)
		*m = n;
	segs = n / *m;
	*r = segs + fz_below(&c->rng, segs + 8);
	if (*r * *m > 2048)
		*r = segs > 2048 / *m ? segs : 2048 / *m;
	if (fz_pct(&c->rng, 8) && n <= 64)
		*m = *r = 0;		/* the defaults */
}

static long fz_do_attach(struct fz_ctx *c, struct fz_queue *q, int fd,
			 uint32_t m, uint32_t r, enum fz_arg arg,
			 struct wirecap_attach *a, unsigned int size)
{
	uint8_t buf[256];
	long ret;

	memset(buf, 0, sizeof(buf));
	memcpy(buf, a, sizeof(*a));
	((struct wirecap_attach *)buf)->size = size;
	if (arg == FZ_A_BIGTAIL)
		buf[sizeof(*a) + fz_below(&c->rng, size - sizeof(*a))] = 1;
	fz_begin(c, 2000000, "ATTACH %s-q%u M %u R %u size %u flags %x (%s)",
		 q->nic->name, q->ring, m, r, size, a->flags, fz_arg_name[arg]);
	ret = fz_ioctl(fd, WIRECAP_CMD_ATTACH, arg == FZ_A_FAULT ? NULL : buf);
	fz_end(c, ret);
	return ret;
}

/* ATTACH (mu held): valid most of the time, else one bad argument. */
static long fz_attach(struct fz_ctx *c, struct fz_queue *q, bool valid)
{
	struct wirecap_attach a = { .size = sizeof(a) };
	enum fz_arg arg = FZ_A_OK;
	unsigned int size = sizeof(a), state0 = q->state, flux0;
	uint32_t m, r;
	long ret;
	char what[64];

	if (q->fd < 0)
		return -EBADF;
	fz_geometry(c, q, &m, &r);
	if (!valid) {
		switch (fz_below(&c->rng, 9)) {
		case 0:
			/* (bit 0, WIRECAP_ATTACH_MULTI_CELL, is known) */
			a.flags = 2u << fz_below(&c->rng, 31);
			arg = FZ_A_FLAGS;
			break;
		case 1:
			if (fz_below(&c->rng, 2))
				a.reserved0 = fz_rand(&c->rng) | 1;
			else
				a.reserved[0] = fz_rand(&c->rng) | 1;
			arg = FZ_A_FLAGS;
			break;
		case 2:		/* not a power of two */
			m = 3 << fz_below(&c->rng, 4);
			arg = FZ_A_GEOMETRY;
			break;
		case 3:		/* more than the ring, or below a page */
			m = fz_pct(&c->rng, 50) ? 2 * q->nic->ring : 1;
			arg = FZ_A_GEOMETRY;
			break;
		case 4:		/* fewer chunks than segments */
			m = q->nic->ring >= 8 ? q->nic->ring / 4 : 2;
			r = q->nic->ring / m - 1;
			if (!r)
				m = 3;
			arg = FZ_A_GEOMETRY;
			break;
		case 5:
			m = q->nic->ring;
			r = 1u << 22;
			arg = FZ_A_TOOBIG;
			break;
		case 6:
			size = sizeof(a) + 8 + fz_below(&c->rng, 64);
			arg = FZ_A_BIGTAIL;
			break;
		case 7:
			arg = FZ_A_FAULT;
			break;
		default:
			size = sizeof(a) + 8 * (1 + fz_below(&c->rng, 8));
			arg = FZ_A_BIG;
			break;
		}
	} else if (fz_pct(&c->rng, 10)) {
		size = 8;		/* an older, shorter struct */
		arg = FZ_A_SMALL;
		m = r = 0;
	}
	a.cells_per_chunk = m;
	a.nr_chunks = r;
	flux0 = atomic_load(&q->flux);
	ret = fz_do_attach(c, q, q->fd, m, r, arg, &a, size);
	snprintf(what, sizeof(what), "%s-q%u M %u R %u", q->nic->name,
		 q->ring, m, r);
	fz_judge(c, FZ_ATTACH, arg, fz_states(q, state0, flux0), ret, NULL,
		 what);
	if (ret == 0)
		fz_attached(c, q);
	return ret;
}

/* DETACH (mu held). */
static long fz_detach(struct fz_ctx *c, struct fz_queue *q)
{
	unsigned int state0 = q->state, flux0 = atomic_load(&q->flux);
	uint64_t d1, d2;
	long ret;
	char what[32];

	if (q->fd < 0)
		return -EBADF;
	fz_begin(c, fz_sh->max_timeout_us, "DETACH %s-q%u", q->nic->name,
		 q->ring);
	d1 = fz_now();
	ret = fz_ioctl(q->fd, WIRECAP_CMD_DETACH, NULL);
	d2 = fz_now();
	fz_end(c, ret);
	snprintf(what, sizeof(what), "%s-q%u", q->nic->name, q->ring);
	fz_judge(c, FZ_DETACH, FZ_A_OK, fz_states(q, state0, flux0), ret, NULL,
		 what);
	if (ret == 0) {
		fz_event(q, d1, d2);
		fz_retire(c, q);
		q->state = DET;
		atomic_fetch_add(&q->flux, 1);
	}
	return ret;
}

/* A new software NIC for this round, some queues open, some attached. */
static struct fz_nic *fz_nic_add(struct fz_ctx *c)
{
	struct fz_world *w = c->w;
	struct fz_nic *n;
	unsigned int i, idx;
	int ret;

	pthread_mutex_lock(&w->nic_lock);
	idx = atomic_load(&w->nnics);
	if (idx >= FZ_MAX_NICS) {
		pthread_mutex_unlock(&w->nic_lock);
		return NULL;
	}
	n = &w->nic[idx];
	memset(n, 0, sizeof(*n));
	n->idx = idx;
	n->nq = 1 + fz_below(&c->rng, FZ_MAX_Q);
	n->ring = 16u << fz_below(&c->rng, 4);
	fz_begin(c, 5000000, "new NIC %u queues ring %u", n->nq, n->ring);
	ret = wct_nic_new(n->nq, n->ring, n->name);
	fz_end(c, ret);
	if (ret) {
		fz_fail(c, "making a software NIC: %s", strerror(-ret));
		pthread_mutex_unlock(&w->nic_lock);
		return NULL;
	}
	atomic_store(&n->next_pkt, (uint64_t)idx << 40);
	for (i = 0; i < n->nq; i++)
		fz_queue_init(n, i);
	memset(&fz_sh->q[idx], 0, sizeof(fz_sh->q[idx]));
	atomic_store(&n->alive, 1);
	for (i = 0; i < n->nq; i++) {
		struct fz_queue *q = &n->q[i];

		if (fz_pct(&c->rng, 25))
			continue;
		pthread_mutex_lock(&q->mu);
		q->fd = fz_open_queue(c, q, false);
		if (q->fd < 0)
			q->fd = -1;
		if (q->fd >= 0 && fz_pct(&c->rng, 75))
			fz_attach(c, q, true);
		pthread_mutex_unlock(&q->mu);
	}
	atomic_store(&w->nnics, idx + 1);
	pthread_mutex_unlock(&w->nic_lock);
	return n;
}

/* The NIC went (removed, or its driver unloaded): every queue dies. */
static void fz_nic_gone(struct fz_ctx *c, struct fz_nic *n, uint64_t d1,
			uint64_t d2)
{
	unsigned int i;

	for (i = 0; i < n->nq; i++) {
		struct fz_queue *q = &n->q[i];

		pthread_mutex_lock(&q->mu);
		fz_event(q, d1, d2);
		fz_retire(c, q);
		q->state = DEAD;
		atomic_fetch_add(&q->flux, 1);
		pthread_mutex_unlock(&q->mu);
	}
}

/* Remove a NIC under whatever its queues are doing. nic_lock held. */
static void fz_nic_remove_locked(struct fz_ctx *c, struct fz_nic *n)
{
	uint64_t d1, d2;
	int ret;

	atomic_store(&n->alive, 0);
	fz_begin(c, 5000000 + fz_sh->max_timeout_us, "remove NIC %s",
		 n->name);
	d1 = fz_now();
	ret = wct_nic_del(n->name);
	d2 = fz_now();
	fz_end(c, ret);
	if (ret)
		fz_fail(c, "removing NIC %s: %s", n->name, strerror(-ret));
	fz_nic_gone(c, n, d1, d2);
}

static unsigned int fz_alive_nics(struct fz_world *w)
{
	unsigned int i, n = 0, end = atomic_load(&w->nnics);

	for (i = fz_round_first; i < end; i++)
		n += atomic_load(&w->nic[i].alive);
	return n;
}

/* A NIC of this round, alive (or any, when dead ones are welcome). */
static struct fz_nic *fz_pick_nic(struct fz_ctx *c, bool dead_too)
{
	struct fz_world *w = c->w;
	unsigned int end = atomic_load(&w->nnics), i, start;

	if (end <= fz_round_first)
		return NULL;
	start = fz_below(&c->rng, end - fz_round_first);
	for (i = 0; i < end - fz_round_first; i++) {
		struct fz_nic *n = &w->nic[fz_round_first +
					   (start + i) % (end - fz_round_first)];

		if (dead_too || atomic_load(&n->alive))
			return n;
	}
	return NULL;
}

static struct fz_queue *fz_pick_queue(struct fz_ctx *c)
{
	struct fz_nic *n = fz_pick_nic(c, fz_pct(&c->rng, 10));

	return n ? &n->q[fz_below(&c->rng, n->nq)] : NULL;
}

/* What a call needs of a queue, taken under mu: a dup of its file. */
struct fz_use {
	int fd;
	unsigned int state0, flux0, gen0;
	uint32_t head, m, r, ds;
};

static bool fz_use(struct fz_queue *q, struct fz_use *u)
{
	bool ok;

	pthread_mutex_lock(&q->mu);
	ok = q->fd >= 0;
	if (ok) {
		u->fd = fcntl(q->fd, F_DUPFD_CLOEXEC, 0);
		ok = u->fd >= 0;
		u->state0 = q->state;
		u->flux0 = atomic_load(&q->flux);
		u->gen0 = q->gen ? q->gen->id : 0;
		u->head = q->gen ? q->gen->head : 0;
		u->m = q->gen ? q->gen->m : 0;
		u->r = q->gen ? q->gen->r : 0;
		u->ds = q->gen ? q->gen->ds : 0;
		if (ok)
			atomic_fetch_add(&q->users, 1);
	}
	pthread_mutex_unlock(&q->mu);
	return ok;
}

static void fz_unuse(struct fz_queue *q, struct fz_use *u)
{
	close(u->fd);
	atomic_fetch_sub(&q->users, 1);
}

/*
 * Unload wirecap_softnic.ko under open, attached queues with commands
 * parked, then load it again (no NIC of its own) and make new NICs.
 */
static void fz_module_reload(struct fz_ctx *c)
{
	struct fz_world *w = c->w;
	unsigned int i, end;
	uint64_t d1, d2, t;
	int ret;

	if (!w->can_unload || w->reloads)
		return;
	w->reloads++;
	atomic_store(&w->pause_inject, 1);
	for (t = fz_now(); !atomic_load(&w->inject_idle) &&
	     fz_now() - t < 5000000;)
		fz_sleep_us(2000);
	pthread_mutex_lock(&w->nic_lock);
	end = atomic_load(&w->nnics);
	for (i = fz_round_first; i < end; i++)
		atomic_store(&w->nic[i].alive, 0);
	fz_begin(c, 10000000 + fz_sh->max_timeout_us,
		 "rmmod wirecap_softnic (%u NICs)", end - fz_round_first);
	d1 = fz_now();
	do {
		ret = wct_module_unload("wirecap_softnic");
		if (ret == -EWOULDBLOCK || ret == -EBUSY || ret == -EAGAIN)
			fz_sleep_us(10000);
	} while ((ret == -EWOULDBLOCK || ret == -EBUSY || ret == -EAGAIN) &&
		 fz_now() - d1 < 10000000);
	d2 = fz_now();
	fz_end(c, ret);
	if (ret) {
		fz_fail(c, "rmmod wirecap_softnic: %s", strerror(-ret));
		for (i = fz_round_first; i < end; i++)
			atomic_store(&w->nic[i].alive, 1);
		pthread_mutex_unlock(&w->nic_lock);
		atomic_store(&w->pause_inject, 0);
		return;
	}
	w->reloaded = true;
	for (i = fz_round_first; i < end; i++)
		fz_nic_gone(c, &w->nic[i], d1, d2);
	fz_begin(c, 10000000, "insmod wirecap_softnic nr_devices=0");
	ret = wct_module_load("wirecap_softnic.ko", "nr_devices=0");
	fz_end(c, ret);
	pthread_mutex_unlock(&w->nic_lock);
	if (ret) {
		fz_fail(c, "insmod wirecap_softnic: %s", strerror(-ret));
		atomic_store(&fz_sh->abort, 1);
	} else {
		fz_nic_add(c);
		if (fz_pct(&c->rng, 50))
			fz_nic_add(c);
	}
	atomic_store(&w->pause_inject, 0);
}

/* ====================================================================
 * 8. Operations of the chaos workers
 * ==================================================================== */

static uint32_t fz_pick_timeout(struct fz_ctx *c)
{
	return fz_timeouts[fz_below(&c->rng, sizeof(fz_timeouts) /
					     sizeof(fz_timeouts[0]))];
}

static uint64_t fz_capped(uint32_t timeout_us)
{
	return timeout_us < fz_sh->max_timeout_us ? timeout_us :
						    fz_sh->max_timeout_us;
}

/*
 * A CAPTURE's desc_head: ours (what we harvested, always valid unless
 * someone reported a later one), or one the ABI refuses.
 */
static enum fz_arg fz_capture_args(struct fz_ctx *c, struct fz_use *u,
				   struct wirecap_capture_cmd *cc)
{
	static const uint32_t maxes[] = { 1, 1, 2, 3, 4, 8, 64, 1000,
					  UINT32_MAX };
	unsigned int v = fz_below(&c->rng, 100);

	memset(cc, 0, sizeof(*cc));
	cc->desc_head = u->head;
	cc->max_descs = maxes[fz_below(&c->rng, sizeof(maxes) /
					       sizeof(maxes[0]))];
	cc->timeout_us = fz_pick_timeout(c);
	if (v < 6) {
		cc->flags = 1u << fz_below(&c->rng, 32);
		return FZ_A_FLAGS;
	}
	if (v < 10) {
		cc->max_descs = 0;
		return FZ_A_MAX0;
	}
	if (v < 14) {
		/* beyond any tail this test can reach */
		cc->desc_head = u->head + 0x40000000u +
				fz_below(&c->rng, 0x3fffffff);
		return FZ_A_HEAD;
	}
	return FZ_A_OK;
}

/* -EINVAL for a good CAPTURE: someone reported a later desc_head. */
static struct fz_set fz_head_excuse(struct fz_queue *q, unsigned int gen0,
				    uint32_t head)
{
	struct fz_set s = {};
	struct fz_gen *g = q->gen;

	if (!g || g->id != gen0 || !g->hdr || g->lost ||
	    fz_seq_after(__atomic_load_n(&g->hdr->desc_head,
					 __ATOMIC_ACQUIRE), head))
		fz_set_add(&s, 2 + EINVAL);
	return s;
}

/* The race detector: see the top of the file. mu held. */
static void fz_race_check(struct fz_ctx *c, struct fz_queue *q,
			  struct fz_pend *p, int res)
{
	uint64_t tc = fz_capped(p->timeout_us);
	unsigned int i;

	if (res != 0 || !tc || p->async || p->op != FZ_CAPTURE_URING)
		return;
	for (i = 0; i < 8 && i < q->nev; i++) {
		uint64_t d1 = q->ev[i].d1, d2 = q->ev[i].d2;

		if (p->s2 < d2 && p->s1 + tc > d2 + FZ_MARGIN_US) {
			atomic_fetch_add(&fz_sh->races, 1);
			fz_fail(c, "CAPTURE on %s-q%u, submitted at 0..%lld us "
				"(timeout %llu us), completed with 0 at its "
				"timeout, yet its pool went away at %lld..%lld us:"
				" it was parked then and not completed with "
				"-ECANCELED/-ENODEV (parked after the flush?)",
				q->nic->name, q->ring,
				(long long)(p->s2 - p->s1),
				(unsigned long long)tc,
				(long long)(d1 - p->s1), (long long)(d2 - p->s1));
			return;
		}
	}
}

static void fz_complete(struct fz_ctx *c, struct fz_ring *r,
			struct fz_pend *p, int res)
{
	struct fz_queue *q = p->q;
	char what[96];

	fz_begin(c, 0, "CQE %llx %s", (unsigned long long)
		 (p->serial << 16 | (p - r->pend)), fz_op_name[p->op]);
	fz_end(c, res);
	if (!q) {
		/* a child's: the queue's state is anyone's guess */
		struct fz_set extra = p->extra;

		fz_set_add(&extra, 2 + EINVAL);
		fz_judge(c, p->op, p->arg, ANY | FLUX, res, &extra, "(child)");
		if (p->sh_nic >= 0 && res > 0)
			fz_fail(c, "RECYCLE of %u impossible records took %d",
				p->bad, res);
		if (p->sh_nic >= 0 && res == 0)
			atomic_fetch_add(&fz_sh->q[p->sh_nic][p->sh_ring]
						  .refused_lo, p->bad);
	} else {
		pthread_mutex_lock(&q->mu);
		snprintf(what, sizeof(what), "on %s-q%u (%s ring%s)",
			 q->nic->name, q->ring, fz_ring_name[r->kind],
			 p->async ? ", async" : "");
		if (p->batch) {
			fz_batch_done(c, p->batch, res, p->op);
			fz_batch_free(p->batch);
		} else {
			unsigned int states = fz_states(q, p->state0, p->flux0);
			struct fz_set extra = p->extra;

			if (p->op == FZ_CAPTURE_URING && p->arg == FZ_A_OK) {
				struct fz_set e = fz_head_excuse(q, p->gen0,
								 p->head);

				fz_set_or(&extra, &e);
			}
			fz_judge(c, p->op, p->arg, states, res, &extra, what);
			if (res > 0 && p->op == FZ_CAPTURE_URING &&
			    (uint32_t)res > p->max)
				fz_fail(c, "CAPTURE %s: %d views, max_descs %u",
					what, res, p->max);
			if (res >= 0)
				fz_harvest(c, q);
			fz_race_check(c, q, p, res);
		}
		pthread_mutex_unlock(&q->mu);
		atomic_fetch_sub(&q->users, 1);
	}
	if (p->fd >= 0)
		close(p->fd);
	if (p->slot >= 0)
		r->fixed_busy[p->slot]--;
	p->used = false;
	r->npend--;
}

/* The file an SQE names: our dup, or a registered slot holding it. */
static void fz_sqe_file(struct fz_ctx *c, struct fz_ring *r,
			struct io_uring_sqe *sqe, struct fz_queue *q, int fd,
			struct fz_pend *p)
{
	if (fz_pct(&c->rng, 40)) {
		unsigned int slot = fz_below(&c->rng, FZ_FIXED);

		/*
		 * A command takes the file when it is issued (later, if
		 * async): never swap a slot a command in flight names.
		 */
		if (r->fixed_q[slot] == q ||
		    (!r->fixed_busy[slot] &&
		     io_uring_register_files_update(&r->ring, slot, &fd,
						    1) == 1)) {
			r->fixed_q[slot] = q;
			r->fixed_busy[slot]++;
			sqe->fd = slot;
			sqe->flags |= IOSQE_FIXED_FILE;
			close(fd);
			p->fd = -1;
			p->slot = slot;
			return;
		}
	}
	sqe->fd = fd;
	p->fd = fd;
}

/*
 * Fill the fields outside the payload that the ABI (or io_uring) refuses;
 * returns the argument class.
 */
static enum fz_arg fz_sqe_junk(struct fz_ctx *c, struct fz_ring *r,
			       struct io_uring_sqe *sqe, enum fz_arg arg)
{
	unsigned int v = fz_below(&c->rng, 100);

	if (r->kind == FZ_RING_IOPOLL)
		return FZ_A_IOPOLL;
	if (arg != FZ_A_OK)
		return arg;
	if (v < 4) {
		switch (fz_below(&c->rng, 3)) {
		case 0:
			sqe->addr = fz_rand(&c->rng) | 1;
			break;
		case 1:
			sqe->len = 1 + fz_below(&c->rng, 4096);
			break;
		default:
			sqe->buf_index = 1 + fz_below(&c->rng, 100);
			break;
		}
		return FZ_A_SQEFIELD;
	}
	if (v < 7) {
		sqe->uring_cmd_flags = IORING_URING_CMD_FIXED;
		sqe->buf_index = r->bufs ? 0 : fz_below(&c->rng, 4);
		return FZ_A_SQEFIXED;
	}
	if (v < 10) {
		switch (fz_below(&c->rng, 3)) {
		case 0:
			sqe->__pad1 = 1 + fz_below(&c->rng, 1000);
			break;
		case 1:
			sqe->ioprio = 1 + fz_below(&c->rng, 7);
			break;
		default:
			sqe->uring_cmd_flags = 1u << (1 + fz_below(&c->rng, 30));
			break;
		}
		return FZ_A_SQECORE;
	}
	return FZ_A_OK;
}

/* Noise that leaves stale bytes in io_uring's request cache. */
static void fz_noise(struct fz_ctx *c, struct fz_ring *r, int fd)
{
	struct io_uring_sqe *sqe = fz_sqe(r);

	if (!sqe)
		return;
	if (fz_pct(&c->rng, 50)) {
		sqe->opcode = IORING_OP_NOP;
	} else {
		static char buf[64];

		/* an invalid RWF flag in the bytes a uring_cmd's pdu reuses */
		sqe->opcode = IORING_OP_READ;
		sqe->fd = fd;
		sqe->addr = (uintptr_t)buf;
		sqe->len = sizeof(buf);
		sqe->rw_flags = 0x80000000u;
	}
	sqe->user_data = FZ_UD_NOISE | fz_rand(&c->rng);
}

/* Several CAPTUREs through io_uring, left in flight. */
static void fz_op_capture_uring(struct fz_ctx *c, struct fz_queue *q,
				unsigned int n, bool async_bias)
{
	struct fz_ring *r = c->ring;
	struct fz_use u;
	unsigned int i;
	bool linked = false;
	uint64_t s1, s2;
	int ret;

	if (!r->up || !fz_use(q, &u))
		return;
	for (i = 0; i < n; i++) {
		struct wirecap_capture_cmd cc;
		struct io_uring_sqe *sqe;
		struct fz_pend *p;
		uint64_t ud;
		int fd;

		if (fz_pct(&c->rng, 8))
			fz_noise(c, r, u.fd);
		p = fz_pend_new(r, &ud);
		if (!p)
			break;
		sqe = fz_sqe(r);
		fd = fcntl(u.fd, F_DUPFD_CLOEXEC, 0);
		if (!sqe || fd < 0) {
			if (fd >= 0)
				close(fd);
			p->used = false;
			r->npend--;
			break;
		}
		p->op = FZ_CAPTURE_URING;
		p->arg = fz_capture_args(c, &u, &cc);
		sqe->opcode = IORING_OP_URING_CMD;
		sqe->cmd_op = WIRECAP_CMD_CAPTURE;
		memcpy(sqe->cmd, &cc, sizeof(cc));
		sqe->user_data = ud;
		fz_sqe_file(c, r, sqe, q, fd, p);
		p->arg = fz_sqe_junk(c, r, sqe, p->arg);
		if (linked) {
			/* the one before may fail and take this one along */
			fz_set_add(&p->extra, 2 + ECANCELED);
			p->async = true;
		}
		linked = false;
		/* (refused at once: no count to lose, see fz_no_async) */
		if ((!fz_no_async || p->arg == FZ_A_FLAGS ||
		     p->arg == FZ_A_MAX0 || p->arg == FZ_A_HEAD) &&
		    fz_pct(&c->rng, async_bias ? 50 : 20)) {
			sqe->flags |= IOSQE_ASYNC;
			p->async = true;
		}
		if (i + 1 < n && fz_pct(&c->rng, 5)) {
			/* a link whose next member io_uring refuses fails
			 * its head too */
			sqe->flags |= IOSQE_IO_LINK;
			fz_set_add(&p->extra, 2 + ECANCELED);
			linked = true;
		}
		if (r->kind == FZ_RING_SQPOLL)
			p->async = true;
		p->q = q;
		p->state0 = u.state0;
		p->flux0 = u.flux0;
		p->gen0 = u.gen0;
		p->head = cc.desc_head;
		p->max = cc.max_descs;
		p->timeout_us = cc.timeout_us;
		atomic_fetch_add(&q->users, 1);
		fz_begin(c, 0, "SQE %llx CAPTURE %s-q%u head %u max %u timeout "
			 "%u flags %#x (%s)%s%s slot %d", (unsigned long long)ud,
			 q->nic->name, q->ring, cc.desc_head, cc.max_descs,
			 cc.timeout_us, cc.flags, fz_arg_name[p->arg],
			 sqe->flags & IOSQE_IO_LINK ? " link" : "",
			 sqe->flags & IOSQE_ASYNC ? " async" : "", p->slot);
		fz_end(c, 0);
	}
	s1 = fz_now();
	ret = fz_submit(c, r);
	s2 = fz_now();
	for (i = 0; i < FZ_INFLIGHT; i++)
		if (r->pend[i].used && !r->pend[i].s1) {
			r->pend[i].s1 = s1;
			r->pend[i].s2 = s2;
		}
	(void)ret;
	fz_unuse(q, &u);
}

/* A blocking CAPTURE ioctl, bounded by its (capped) timeout. */
static void fz_op_capture_ioctl(struct fz_ctx *c, struct fz_queue *q)
{
	struct wirecap_capture_cmd cc;
	struct fz_use u;
	struct fz_set extra;
	enum fz_arg arg;
	char what[64];
	long ret;

	if (!fz_use(q, &u))
		return;
	arg = fz_capture_args(c, &u, &cc);
	if (fz_pct(&c->rng, 3))
		arg = FZ_A_FAULT;
	fz_begin(c, fz_capped(cc.timeout_us), "CAPTURE %s-q%u head %u max %u "
		 "timeout %u flags %x (%s)", q->nic->name, q->ring,
		 cc.desc_head, cc.max_descs, cc.timeout_us, cc.flags,
		 fz_arg_name[arg]);
	ret = fz_ioctl(u.fd, WIRECAP_CMD_CAPTURE,
		       arg == FZ_A_FAULT ? (void *)8 : &cc);
	fz_end(c, ret);
	pthread_mutex_lock(&q->mu);
	extra = arg == FZ_A_OK ? fz_head_excuse(q, u.gen0, cc.desc_head) :
				 (struct fz_set){};
	snprintf(what, sizeof(what), "on %s-q%u", q->nic->name, q->ring);
	fz_judge(c, FZ_CAPTURE, arg, fz_states(q, u.state0, u.flux0), ret,
		 &extra, what);
	if (ret > 0 && (uint32_t)ret > cc.max_descs)
		fz_fail(c, "CAPTURE %s: %ld views, max_descs %u", what, ret,
			cc.max_descs);
	if (ret >= 0)
		fz_harvest(c, q);
	pthread_mutex_unlock(&q->mu);
	fz_unuse(q, &u);
}

/* RECYCLE by ioctl or io_uring: see fz_batch_make() for the kinds. */
static void fz_op_recycle(struct fz_ctx *c, struct fz_queue *q)
{
	static const unsigned int weights[] = { 40, 20, 10, 6, 4, 3, 4, 6, 3 };
	struct wirecap_recycle_cmd rc = {};
	unsigned int kind = 0, v = fz_below(&c->rng, 96), i;
	bool uring = c->ring->up && fz_pct(&c->rng, 40);
	struct fz_batch *b;
	struct fz_use u;
	long ret;

	for (i = 0; i < 9; i++) {
		if (v < weights[i]) {
			kind = i;
			break;
		}
		v -= weights[i];
	}
	if (!fz_use(q, &u))
		return;
	pthread_mutex_lock(&q->mu);
	fz_harvest(c, q);
	b = fz_batch_make(c, q, kind, uring);
	pthread_mutex_unlock(&q->mu);
	if (!b) {
		fz_unuse(q, &u);
		return;
	}
	rc.descs = (uintptr_t)b->recs;
	rc.count = b->count;
	rc.flags = b->flags;
	if (uring) {
		struct fz_ring *r = c->ring;
		struct io_uring_sqe *sqe;
		struct fz_pend *p;
		uint64_t ud;
		int fd = fcntl(u.fd, F_DUPFD_CLOEXEC, 0);

		p = fz_pend_new(r, &ud);
		sqe = p ? fz_sqe(r) : NULL;
		if (!p || !sqe || fd < 0) {
			if (p) {
				p->used = false;
				r->npend--;
			}
			if (fd >= 0)
				close(fd);
			uring = false;
		} else {
			p->op = FZ_RECYCLE_URING;
			p->arg = b->arg;
			p->batch = b;
			p->q = q;
			p->state0 = u.state0;
			p->flux0 = u.flux0;
			sqe->opcode = IORING_OP_URING_CMD;
			sqe->cmd_op = WIRECAP_CMD_RECYCLE;
			memcpy(sqe->cmd, &rc, sizeof(rc));
			sqe->user_data = ud;
			fz_sqe_file(c, r, sqe, q, fd, p);
			if (b->arg == FZ_A_OK) {
				enum fz_arg j = fz_sqe_junk(c, r, sqe, FZ_A_OK);

				if (j != FZ_A_OK)
					b->arg = p->arg = j;
			} else if (r->kind == FZ_RING_IOPOLL) {
				b->arg = p->arg = FZ_A_IOPOLL;
			}
			if (fz_pct(&c->rng, 25) || r->kind == FZ_RING_SQPOLL) {
				if (!fz_no_async && fz_pct(&c->rng, 50))
					sqe->flags |= IOSQE_ASYNC;
				p->async = true;
			}
			atomic_fetch_add(&q->users, 1);
			p->s1 = fz_now();
			fz_submit(c, r);
			p->s2 = fz_now();
		}
	}
	if (!uring) {
		fz_begin(c, 1000000, "RECYCLE %s-q%u %u records (%u good) %s",
			 q->nic->name, q->ring, b->count, b->nlegit,
			 fz_arg_name[b->arg]);
		ret = fz_ioctl(u.fd, WIRECAP_CMD_RECYCLE, &rc);
		fz_end(c, ret);
		pthread_mutex_lock(&q->mu);
		fz_batch_done(c, b, ret, FZ_RECYCLE);
		pthread_mutex_unlock(&q->mu);
		fz_batch_free(b);
	}
	fz_unuse(q, &u);
}

/* INFO or STATS with every kind of size; under mu, so the state is known. */
static void fz_op_info(struct fz_ctx *c, struct fz_queue *q, bool stats)
{
	enum fz_op op = stats ? FZ_STATS : FZ_INFO;
	size_t want = stats ? sizeof(struct wirecap_stats) :
			      sizeof(struct wirecap_info);
	long page = sysconf(_SC_PAGESIZE);
	uint8_t *buf = calloc(1, 2 * page + 64);
	enum fz_arg arg = FZ_A_OK;
	uint32_t size = want;
	void *ptr = buf;
	bool ro = false;
	char what[64];
	long ret;

	if (!buf)
		return;
	switch (fz_below(&c->rng, 8)) {
	case 0:
		size = fz_below(&c->rng, 8);
		arg = FZ_A_SMALL;
		break;
	case 1:
		size = want + 1 + fz_below(&c->rng, page - want);
		arg = FZ_A_BIG;
		break;
	case 2:		/* above a page */
		size = page + 1 + fz_below(&c->rng, page);
		arg = FZ_A_HUGE;
		break;
	case 3:
		arg = FZ_A_FAULT;
		ptr = fz_pct(&c->rng, 50) ? NULL : (void *)16;
		break;
	default:
		break;
	}
	memcpy(buf, &size, 4);
	pthread_mutex_lock(&q->mu);
	if (q->fd < 0)
		goto out;
	if (arg == FZ_A_FAULT && q->gen && q->gen->ctrl &&
	    fz_pct(&c->rng, 50)) {
		ptr = q->gen->ctrl;	/* read-only: the kernel cannot write */
		ro = true;		/* (its size field is desc_tail) */
	}
	fz_begin(c, 1000000, "%s %s-q%u size %u (%s)", fz_op_name[op],
		 q->nic->name, q->ring, size, fz_arg_name[arg]);
	ret = fz_ioctl(q->fd, stats ? WIRECAP_CMD_STATS : WIRECAP_CMD_INFO,
		       ptr);
	fz_end(c, ret);
	snprintf(what, sizeof(what), "on %s-q%u", q->nic->name, q->ring);
	fz_judge(c, op, arg, fz_states(q, q->state, atomic_load(&q->flux)),
		 ret, ro ? &(struct fz_set){ .w = { 1ull << (2 + EINVAL) } } :
		 NULL, what);
	if (ret == 0) {
		uint32_t wrote;

		memcpy(&wrote, buf, 4);
		if (wrote > size || wrote < 8)
			fz_fail(c, "%s %s: size %u asked, %u written",
				fz_op_name[op], what, size, wrote);
	}
	if (ret == 0 && !stats && size >= want) {
		struct wirecap_info *i = (void *)buf;
		/* the NIC may be going (not under our lock): then any */
		unsigned int st = fz_states(q, q->state, atomic_load(&q->flux));
		bool att = st == ATT && q->gen;

		if (i->abi_version != WIRECAP_ABI_VERSION ||
		    i->ring_id != q->ring ||
		    (att && i->cells_per_chunk != q->gen->m) ||
		    (st == DET && i->nr_chunks) ||
		    i->reserved[0] | i->reserved[1])
			fz_fail(c, "INFO %s: abi %u ring %u M %u R %u, we "
				"know it %s (M %u)", what, i->abi_version,
				i->ring_id, i->cells_per_chunk, i->nr_chunks,
				q->state == ATT ? "attached" : q->state == DET ?
				"detached" : "dead", att ? q->gen->m : 0);
	}
	if (ret == 0 && stats && size >= want) {
		struct wirecap_stats *s = (void *)buf;
		const __u64 *now = &s->received, *then = &q->last.received;
		unsigned int k, nk = (want - 8) / 8;

		for (k = 0; k < nk; k++)
			if (now[k] < then[k])
				fz_fail(c, "STATS %s: counter %u went down, %llu "
					"after %llu", what, k,
					(unsigned long long)now[k],
					(unsigned long long)then[k]);
		if (s->delivered < q->pkts || s->delivered > s->received ||
		    s->chunks_captured < q->full_views ||
		    s->partial_views < q->part_views ||
		    s->capture_timeouts > s->captures_parked ||
		    s->recycle_refused < q->refused_lo)
			fz_fail(c, "STATS %s: received %llu delivered %llu "
				"(we hold %llu packets) full %llu/%llu partial "
				"%llu/%llu parked %llu timeouts %llu refused "
				"%llu (>= %llu)", what,
				(unsigned long long)s->received,
				(unsigned long long)s->delivered,
				(unsigned long long)q->pkts,
				(unsigned long long)s->chunks_captured,
				(unsigned long long)q->full_views,
				(unsigned long long)s->partial_views,
				(unsigned long long)q->part_views,
				(unsigned long long)s->captures_parked,
				(unsigned long long)s->capture_timeouts,
				(unsigned long long)s->recycle_refused,
				(unsigned long long)q->refused_lo);
		memcpy(&q->last, s, sizeof(q->last));
	}
out:
	pthread_mutex_unlock(&q->mu);
	free(buf);
}

/*
 * The tx_fd of the junk XMITs: /dev/null, opened once, never closed. Not
 * fd 0: a queue's dup would land there if anything ever closed stdin.
 */
static pthread_once_t fz_devnull_once = PTHREAD_ONCE_INIT;
static int fz_devnull_fd = -1;

static void fz_devnull_open(void)
{
	fz_devnull_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
}

static int fz_devnull(void)
{
	pthread_once(&fz_devnull_once, fz_devnull_open);
	return fz_devnull_fd;
}

/* ioctl numbers the ABI does not define, an empty XMIT, resized INFO/STATS. */
static void fz_op_ioctl_junk(struct fz_ctx *c, struct fz_queue *q)
{
	uint8_t buf[512] = {};
	unsigned long op;
	enum fz_op what = FZ_IOCTL_UNKNOWN;
	enum fz_arg arg = FZ_A_OK;
	struct fz_use u;
	unsigned int nr;
	uint32_t size;
	long ret;

	if (!fz_use(q, &u))
		return;
	switch (fz_below(&c->rng, 5)) {
	case 0:
		do
			nr = fz_below(&c->rng, 256);
		while (nr <= 3 || (nr >= 0x10 && nr <= 0x12));
		op = _IOC(fz_below(&c->rng, 4), WIRECAP_IOC_MAGIC, nr,
			  fz_below(&c->rng, 64));
		break;
	case 1:		/* another magic */
		op = _IOC(fz_below(&c->rng, 4), WIRECAP_IOC_MAGIC ^
			  (1 + fz_below(&c->rng, 255)), fz_below(&c->rng, 20),
			  fz_below(&c->rng, 64));
		break;
	case 2: {
		struct wirecap_xmit_cmd x = { .tx_fd = fz_devnull() };

		op = WIRECAP_CMD_XMIT;
		what = FZ_XMIT;
		memcpy(buf, &x, sizeof(x));
		break;
	}
	default:	/* INFO or STATS, the number saying another size */
		nr = fz_pct(&c->rng, 50) ? _IOC_NR(WIRECAP_CMD_INFO) :
					   _IOC_NR(WIRECAP_CMD_STATS);
		size = nr == _IOC_NR(WIRECAP_CMD_INFO) ?
		       sizeof(struct wirecap_info) :
		       sizeof(struct wirecap_stats);
		what = FZ_IOCTL_RESIZED;
		if (fz_pct(&c->rng, 70)) {
			size += 8 * (1 + fz_below(&c->rng, 16));
			arg = FZ_A_BIG;
		} else {
			size = 4;
			arg = FZ_A_SMALL;
		}
		op = _IOC(_IOC_READ | _IOC_WRITE, WIRECAP_IOC_MAGIC, nr, size);
		memcpy(buf, &size, 4);
		break;
	}
	fz_begin(c, 1000000, "ioctl %s-q%u %#lx (%s)", q->nic->name, q->ring,
		 op, fz_op_name[what]);
	ret = fz_ioctl(u.fd, op, buf);
	fz_end(c, ret);
	pthread_mutex_lock(&q->mu);
	fz_judge(c, what, arg, fz_states(q, u.state0, u.flux0), ret, NULL,
		 q->nic->name);
	pthread_mutex_unlock(&q->mu);
	fz_unuse(q, &u);
}

/* io_uring commands the ABI refuses: an empty XMIT, unknown cmd_op. */
static void fz_op_uring_junk(struct fz_ctx *c, struct fz_queue *q)
{
	struct fz_ring *r = c->ring;
	struct io_uring_sqe *sqe;
	struct fz_pend *p;
	struct fz_use u;
	uint64_t ud;
	unsigned int nr;
	int fd;

	if (!r->up || !fz_use(q, &u))
		return;
	p = fz_pend_new(r, &ud);
	sqe = p ? fz_sqe(r) : NULL;
	fd = fcntl(u.fd, F_DUPFD_CLOEXEC, 0);
	if (!p || !sqe || fd < 0) {
		if (p) {
			p->used = false;
			r->npend--;
		}
		if (fd >= 0)
			close(fd);
		fz_unuse(q, &u);
		return;
	}
	sqe->opcode = IORING_OP_URING_CMD;
	if (fz_pct(&c->rng, 40)) {
		struct wirecap_xmit_cmd x = { .tx_fd = fz_devnull() };

		sqe->cmd_op = WIRECAP_CMD_XMIT;
		memcpy(sqe->cmd, &x, sizeof(x));
		p->op = FZ_XMIT;
	} else {
		do
			nr = fz_below(&c->rng, 256);
		while (nr <= 3 || (nr >= 0x10 && nr <= 0x12));
		sqe->cmd_op = fz_pct(&c->rng, 50) ? (uint32_t)fz_rand(&c->rng) :
			      _IOC(_IOC_WRITE, WIRECAP_IOC_MAGIC, nr, 16);
		if (_IOC_TYPE(sqe->cmd_op) == WIRECAP_IOC_MAGIC &&
		    (_IOC_NR(sqe->cmd_op) <= 3 ||
		     (_IOC_NR(sqe->cmd_op) >= 0x10 &&
		      _IOC_NR(sqe->cmd_op) <= 0x12)))
			sqe->cmd_op ^= WIRECAP_IOC_MAGIC << _IOC_TYPESHIFT;
		p->op = FZ_URING_UNKNOWN;
	}
	sqe->user_data = ud;
	fz_sqe_file(c, r, sqe, q, fd, p);
	p->arg = r->kind == FZ_RING_IOPOLL ? FZ_A_IOPOLL : FZ_A_OK;
	if (p->arg == FZ_A_IOPOLL)
		fz_set_add(&p->extra, 2 + EOPNOTSUPP);
	p->q = q;
	p->state0 = u.state0;
	p->flux0 = u.flux0;
	p->async = true;
	atomic_fetch_add(&q->users, 1);
	p->s1 = fz_now();
	fz_submit(c, r);
	p->s2 = fz_now();
	fz_unuse(q, &u);
}

static int fz_mmap_res(void *p)
{
	return p == MAP_FAILED ? -errno : 0;
}

/* Remember an adversarial mapping (mu held); forget one if full. */
static void fz_map_keep(struct fz_ctx *c, struct fz_queue *q, void *addr,
			size_t len, bool pool, bool shared)
{
	struct fz_map *m;

	if (q->nmaps == 8) {
		unsigned int i = fz_below(&c->rng, 8);

		munmap(q->maps[i].addr, q->maps[i].len);
		q->maps[i] = q->maps[--q->nmaps];
	}
	m = &q->maps[q->nmaps++];
	m->addr = addr;
	m->len = len;
	m->pool = pool;
	m->shared = shared;
	m->zapped = false;
	m->off = 0;
	m->gen = q->gen ? q->gen->id : 0;
}

static void fz_maps_drop(struct fz_queue *q)
{
	while (q->nmaps) {
		q->nmaps--;
		munmap(q->maps[q->nmaps].addr, q->maps[q->nmaps].len);
	}
}

/* A write through our mapping of a pool shows in the canonical one. */
static void fz_map_poke(struct fz_ctx *c, struct fz_queue *q, struct fz_map *m)
{
	struct fz_gen *g = q->gen;
	size_t cells = m->len / FZ_CELL, cell, off;

	if (m->off % FZ_CELL)
		return;		/* cells straddle its start */
	uint8_t v = fz_rand(&c->rng);

	if (!cells || m->zapped)
		return;
	cell = fz_below(&c->rng, cells);
	off = cell * FZ_CELL + 1600 + fz_below(&c->rng, FZ_CELL - 1600);
	m->addr[off] = v;
	off += m->off;
	if (!g || g->id != m->gen || !g->pool || off >= g->pool_len)
		return;
	if (m->shared && g->pool[off] != v)
		fz_fail(c, "%s-q%u: a byte written through one mapping of the "
			"pool is not seen through another", q->nic->name,
			q->ring);
}

/* mmap, mprotect, mremap, madvise, munmap: both regions, every way. */
static void fz_op_mmap(struct fz_ctx *c, struct fz_queue *q)
{
	long page = sysconf(_SC_PAGESIZE);
	enum fz_op op = FZ_MMAP_CTRL;
	enum fz_arg arg = FZ_A_OK;
	int prot = PROT_READ, flags = MAP_SHARED;
	size_t len = page, ctrl_len = page, pool_len = 4 * page;
	off_t off = 0, pool_off = 1ull << 32;
	char what[64];
	void *p;
	int ret;

	pthread_mutex_lock(&q->mu);
	if (q->fd < 0)
		goto out;
	if (q->gen && q->gen->ctrl_len) {
		ctrl_len = q->gen->ctrl_len;
		pool_len = q->gen->pool_len;
	}
	if (q->nmaps && fz_pct(&c->rng, 40)) {
		unsigned int i = fz_below(&c->rng, q->nmaps);
		struct fz_map *m = &q->maps[i];

		switch (fz_below(&c->rng, 6)) {
		case 0:
			if (m->pool)
				fz_map_poke(c, q, m);
			else if (!m->zapped)
				(void)*(volatile uint8_t *)m->addr;
			break;
		case 1:		/* the control area never becomes writable */
			if (m->pool)
				break;
			ret = mprotect(m->addr, page, PROT_READ | PROT_WRITE);
			fz_judge(c, FZ_MPROTECT_CTRL, FZ_A_WRITE, ANY,
				 ret ? -errno : 0, NULL, q->nic->name);
			break;
		case 2:		/* growing is refused; moving is fine */
			p = mremap(m->addr, m->len, m->len + page,
				   fz_pct(&c->rng, 50) ? MREMAP_MAYMOVE : 0);
			if (p != MAP_FAILED) {
				m->addr = p;
				m->len += page;
				m->zapped = true;	/* do not touch */
			}
			break;
		case 3:
			madvise(m->addr, m->len, MADV_DONTNEED);
			m->zapped = true;
			break;
		case 4:		/* let the next fork copy it */
			madvise(m->addr, m->len, fz_pct(&c->rng, 50) ?
				MADV_DOFORK : MADV_DONTFORK);
			break;
		default:
			if (m->len > (size_t)page && fz_pct(&c->rng, 50)) {
				munmap(m->addr, page);
				m->addr += page;
				m->len -= page;
				m->off += page;
			} else {
				munmap(m->addr, m->len);
				*m = q->maps[--q->nmaps];
			}
			break;
		}
		goto out;
	}
	switch (fz_below(&c->rng, 12)) {
	case 0: case 1:
		len = page * (1 + fz_below(&c->rng, ctrl_len / page));
		break;
	case 2:
		prot |= PROT_WRITE;
		arg = FZ_A_WRITE;
		break;
	case 3:
		flags = MAP_PRIVATE;
		arg = FZ_A_PRIVATE;
		break;
	case 4:
		len = ctrl_len + page * (1 + fz_below(&c->rng, 4));
		arg = FZ_A_LEN;
		break;
	case 5: case 6: case 7:
		op = FZ_MMAP_POOL;
		prot |= PROT_WRITE;
		off = pool_off;
		len = page * (1 + fz_below(&c->rng, pool_len / page));
		break;
	case 8:
		op = FZ_MMAP_POOL;
		prot |= PROT_WRITE;
		off = pool_off;
		flags = MAP_PRIVATE;
		arg = FZ_A_PRIVATE;
		len = pool_len;
		break;
	case 9:
		op = FZ_MMAP_POOL;
		off = pool_off;
		len = pool_len + page * (1 + fz_below(&c->rng, 4));
		arg = FZ_A_LEN;
		break;
	default: {
		static const off_t offs[] = {
			4096, 8192, (1ll << 32) + 4096, (1ll << 32) - 4096,
			1ll << 33, 1ll << 44, 0x7ffffffff000ll,
		};

		op = FZ_MMAP_OTHER;
		off = offs[fz_below(&c->rng, 7)];
		arg = FZ_A_OFFSET;
		break;
	}
	}
	fz_begin(c, 1000000, "%s %s-q%u len %zu prot %d flags %d off %#llx",
		 fz_op_name[op], q->nic->name, q->ring, len, prot, flags,
		 (unsigned long long)off);
	p = mmap(NULL, len, prot, flags, q->fd, off);
	ret = fz_mmap_res(p);
	fz_end(c, ret);
	snprintf(what, sizeof(what), "on %s-q%u", q->nic->name, q->ring);
	fz_judge(c, op, arg, fz_states(q, q->state, atomic_load(&q->flux)),
		 ret, NULL, what);
	if (p == MAP_FAILED)
		goto out;
	if (op == FZ_MMAP_CTRL) {
		ret = mprotect(p, page, PROT_READ | PROT_WRITE);
		fz_judge(c, FZ_MPROTECT_CTRL, FZ_A_WRITE, ANY, ret ? -errno : 0,
			 NULL, what);
		if (q->gen && q->gen->ctrl && q->gen->hdr &&
		    ((struct wirecap_ctrl *)p)->desc_offset !=
		    q->gen->hdr->desc_offset)
			fz_fail(c, "two mappings of the control area %s differ",
				what);
	}
	fz_map_keep(c, q, p, len, op == FZ_MMAP_POOL, flags == MAP_SHARED);
	if (op == FZ_MMAP_POOL)
		fz_map_poke(c, q, &q->maps[q->nmaps - 1]);
out:
	pthread_mutex_unlock(&q->mu);
}

/* poll(): never longer than asked; a dead queue says so. */
static void fz_op_poll(struct fz_ctx *c, struct fz_queue *q)
{
	struct pollfd pfd = { .events = POLLIN };
	struct fz_use u;
	unsigned int ms = fz_below(&c->rng, 30);
	int ret;

	if (!fz_use(q, &u))
		return;
	pfd.fd = u.fd;
	fz_begin(c, ms * 1000, "poll %s-q%u %u ms", q->nic->name, q->ring, ms);
	ret = poll(&pfd, 1, ms);
	fz_end(c, ret < 0 ? -errno : ret);
	pthread_mutex_lock(&q->mu);
	if (ret < 0 && errno != EINTR)
		fz_fail(c, "poll %s-q%u: %s", q->nic->name, q->ring,
			strerror(errno));
	if (ret >= 0 && u.state0 == DEAD &&
	    !(pfd.revents & (POLLERR | POLLHUP)))
		fz_fail(c, "poll on dead %s-q%u: revents %#x", q->nic->name,
			q->ring, pfd.revents);
	pthread_mutex_unlock(&q->mu);
	fz_unuse(q, &u);
}

/* Close (after DETACH, or with views out) or open again. */
static void fz_op_close_reopen(struct fz_ctx *c, struct fz_queue *q)
{
	pthread_mutex_lock(&q->mu);
	if (q->fd >= 0) {
		if (q->state == ATT && fz_pct(&c->rng, 60))
			fz_detach(c, q);
		fz_harvest(c, q);
		/*
		 * whoever still holds the file may capture into the pool: a
		 * call of ours, or a child (on 6.1 nothing cancels a dead
		 * child's parked CAPTURE: its timeout publishes views nobody
		 * harvests)
		 */
		fz_drop_gen(c, q, atomic_load(&q->users) == 0 && !q->lent);
		fz_maps_drop(q);
		fz_begin(c, 1000000, "close %s-q%u", q->nic->name, q->ring);
		close(q->fd);
		fz_end(c, 0);
		q->fd = -1;
		/*
		 * Detached when the last reference goes: a ring's registered
		 * file, a command in flight, a child may still hold one.
		 */
		if (q->state == ATT)
			q->state = ATT | DET;
		atomic_fetch_add(&q->flux, 1);
	} else if (atomic_load(&q->nic->alive) && q->state != DEAD) {
		int fd = fz_open_queue(c, q, true);

		if (fd >= 0) {
			struct wirecap_info i = { .size = sizeof(i) };

			q->fd = fd;
			q->lent = false;	/* every older file is closed */
			if (!ioctl(fd, WIRECAP_CMD_INFO, &i) && i.nr_chunks)
				fz_fail(c, "%s-q%u opened again attached (R %u)",
					q->nic->name, q->ring, i.nr_chunks);
			q->state = DET;
		}
	}
	pthread_mutex_unlock(&q->mu);
}

/* ====================================================================
 * 9. Children: inherited queue files, SIGKILLed mid-capture
 * ==================================================================== */

struct fz_cq {
	int fd;
	unsigned int nic, ring;
};

/* Records no queue has: always refused, whatever the pool. */
static void fz_impossible(struct fz_ctx *c, struct wirecap_desc *d,
			  unsigned int n)
{
	unsigned int i;

	for (i = 0; i < n; i++) {
		memset(&d[i], 0, sizeof(d[i]));
		d[i].ring_id = fz_below(&c->rng, 4);
		d[i].pkt_count = 1 + fz_below(&c->rng, 16);
		d[i].seq = fz_rand(&c->rng);
		switch (fz_below(&c->rng, 4)) {
		case 0:
			d[i].chunk_id = 0x40000000u | (uint32_t)fz_rand(&c->rng);
			break;
		case 1:
			d[i].first_cell = 0xffff;
			break;
		case 2:
			d[i].pkt_count = 0;
			break;
		default:
			d[i].nic_id = 0xffff;
			break;
		}
	}
}

static void fz_child_recycle(struct fz_ctx *c, struct fz_cq *q)
{
	static struct wirecap_desc d[256];
	struct wirecap_recycle_cmd rc = { .descs = (uintptr_t)d };
	struct fz_shq *sh = &fz_sh->q[q->nic][q->ring];
	long ret;

	rc.count = 1 + fz_below(&c->rng, 256);
	fz_impossible(c, d, rc.count);
	if (c->ring && c->ring->up && fz_pct(&c->rng, 40)) {
		struct fz_ring *r = c->ring;
		struct io_uring_sqe *sqe;
		struct fz_pend *p;
		uint64_t ud;

		p = fz_pend_new(r, &ud);
		sqe = p ? fz_sqe(r) : NULL;
		if (!sqe) {
			if (p) {
				p->used = false;
				r->npend--;
			}
			return;
		}
		p->op = FZ_RECYCLE_URING;
		p->arg = r->kind == FZ_RING_IOPOLL ? FZ_A_IOPOLL : FZ_A_OK;
		p->sh_nic = q->nic;
		p->sh_ring = q->ring;
		p->bad = rc.count;
		fz_set_add(&p->extra, 2 + EBADF);	/* closed since */
		sqe->opcode = IORING_OP_URING_CMD;
		sqe->cmd_op = WIRECAP_CMD_RECYCLE;
		sqe->fd = q->fd;
		memcpy(sqe->cmd, &rc, sizeof(rc));
		sqe->user_data = ud;
		/* d is static: the kernel may read it whenever it issues */
		atomic_fetch_add(&sh->refused_hi, rc.count);
		fz_submit(c, r);
		return;
	}
	atomic_fetch_add(&sh->refused_hi, rc.count);
	fz_begin(c, 1000000, "RECYCLE fd %d, %u impossible records", q->fd,
		 rc.count);
	ret = fz_ioctl(q->fd, WIRECAP_CMD_RECYCLE, &rc);
	fz_end(c, ret);
	fz_judge(c, FZ_RECYCLE, FZ_A_OK, ANY | FLUX, ret, NULL, "(child)");
	if (ret > 0)
		fz_fail(c, "RECYCLE of %u impossible records took %ld",
			rc.count, ret);
	if (ret == 0)
		atomic_fetch_add(&sh->refused_lo, rc.count);
}

static void fz_child_capture(struct fz_ctx *c, struct fz_cq *q)
{
	uint32_t head = atomic_load(&fz_sh->q[q->nic][q->ring].gen_head);
	struct wirecap_capture_cmd cc = {
		.desc_head = head,
		.max_descs = 1 + fz_below(&c->rng, 16),
		.timeout_us = fz_pick_timeout(c),
	};
	struct fz_set extra = {};
	enum fz_arg arg = FZ_A_OK;
	unsigned int i, n;

	if (fz_pct(&c->rng, 10)) {
		cc.flags = 1u << fz_below(&c->rng, 32);
		arg = FZ_A_FLAGS;
	}
	fz_set_add(&extra, 2 + EINVAL);		/* a head gone stale */
	fz_set_add(&extra, 2 + EBADF);		/* we closed it since */
	if (!c->ring || !c->ring->up || fz_pct(&c->rng, 30)) {
		long ret;

		fz_begin(c, fz_capped(cc.timeout_us), "CAPTURE fd %d timeout %u",
			 q->fd, cc.timeout_us);
		ret = fz_ioctl(q->fd, WIRECAP_CMD_CAPTURE, &cc);
		fz_end(c, ret);
		fz_judge(c, FZ_CAPTURE, arg, ANY | FLUX, ret, &extra,
			 "(child)");
		return;
	}
	/* many parked at once, some issued from io-wq */
	n = 4 + fz_below(&c->rng, 44);
	for (i = 0; i < n; i++) {
		struct fz_ring *r = c->ring;
		struct io_uring_sqe *sqe;
		struct fz_pend *p;
		uint64_t ud;

		if (fz_pct(&c->rng, 10))
			fz_noise(c, r, q->fd);
		p = fz_pend_new(r, &ud);
		sqe = p ? fz_sqe(r) : NULL;
		if (!sqe) {
			if (p) {
				p->used = false;
				r->npend--;
			}
			break;
		}
		cc.timeout_us = fz_pct(&c->rng, 70) ? 1000000 :
			fz_pick_timeout(c);
		p->op = FZ_CAPTURE_URING;
		p->arg = r->kind == FZ_RING_IOPOLL ? FZ_A_IOPOLL : arg;
		p->extra = extra;
		p->async = true;
		sqe->opcode = IORING_OP_URING_CMD;
		sqe->cmd_op = WIRECAP_CMD_CAPTURE;
		sqe->fd = q->fd;
		memcpy(sqe->cmd, &cc, sizeof(cc));
		sqe->user_data = ud;
		if (!fz_no_async && fz_pct(&c->rng, 40))
			sqe->flags |= IOSQE_ASYNC;
	}
	fz_submit(c, c->ring);
}

static void fz_child_maps(struct fz_ctx *c, struct fz_cq *q)
{
	struct wirecap_info i = { .size = sizeof(i) };
	long page = sysconf(_SC_PAGESIZE);
	uint8_t *p;
	int ret;

	if (ioctl(q->fd, WIRECAP_CMD_INFO, &i) || !i.ctrl_size)
		return;
	fz_begin(c, 1000000, "mmap ctrl fd %d", q->fd);
	p = mmap(NULL, i.ctrl_size, PROT_READ, MAP_SHARED, q->fd,
		 i.ctrl_offset);
	fz_end(c, fz_mmap_res(p));
	fz_judge(c, FZ_MMAP_CTRL, FZ_A_OK, ANY | FLUX, fz_mmap_res(p), NULL,
		 "(child)");
	if (p != MAP_FAILED) {
		ret = mprotect(p, page, PROT_READ | PROT_WRITE);
		fz_judge(c, FZ_MPROTECT_CTRL, FZ_A_WRITE, ANY,
			 ret ? -errno : 0, NULL, "(child)");
		(void)*(volatile uint32_t *)p;
		munmap(p, i.ctrl_size);
	}
	fz_begin(c, 1000000, "mmap pool fd %d", q->fd);
	p = mmap(NULL, i.pool_size, PROT_READ | PROT_WRITE, MAP_SHARED, q->fd,
		 i.pool_offset);
	fz_end(c, fz_mmap_res(p));
	fz_judge(c, FZ_MMAP_POOL, FZ_A_OK, ANY | FLUX, fz_mmap_res(p), NULL,
		 "(child)");
	if (p != MAP_FAILED) {
		/* a middlebox's edit, past any frame we inject */
		p[fz_below(&c->rng, i.pool_size / FZ_CELL) * FZ_CELL + 1700] ^= 1;
		munmap(p, i.pool_size);
	}
}

static void fz_child_main(struct fz_world *w, int slot, uint64_t seed,
			  struct fz_cq *cq, unsigned int ncq, unsigned int ms,
			  int depth);

static void fz_child_fork(struct fz_ctx *c, struct fz_cq *cq,
			  unsigned int ncq)
{
	int slot = fz_slot_get("grandchild");
	pid_t pid;

	if (slot < 0)
		return;
	pid = fork();
	if (pid == 0)
		fz_child_main(c->w, slot, fz_rand(&c->rng), cq, ncq,
			      fz_below(&c->rng, 300), 1);
	if (pid < 0)
		fz_slot_put(slot);
	/* not waited for: killed with our process group, or ends itself */
}

static void fz_child_main(struct fz_world *w, int slot, uint64_t seed,
			  struct fz_cq *cq, unsigned int ncq, unsigned int ms,
			  int depth)
{
	struct fz_ring ring = {};
	struct fz_ctx c = {
		.w = w, .slot = slot, .who = depth ? "grandchild" : "child",
		.child = true, .ring = &ring,
	};
	uint64_t end = fz_now() + ms * 1000ull;
	struct fz_slot *s = &fz_sh->slot[slot];

	if (!depth)
		setpgid(0, 0);
	s->pid = getpid();
	s->tid = s->pid;
	c.rng.s = seed;
	if (fz_pct(&c.rng, 70))
		fz_ring_init(&c, &ring, fz_below(&c.rng, FZ_NR_RING_KINDS));
	while (fz_now() < end && !atomic_load(&fz_sh->abort) && ncq) {
		struct fz_cq *q = &cq[fz_below(&c.rng, ncq)];

		c.nops++;
		if (q->fd < 0) {
			fz_sleep_us(1000);
			continue;
		}
		switch (fz_below(&c.rng, 12)) {
		case 0: case 1: case 2: case 3:
			fz_child_capture(&c, q);
			break;
		case 4: case 5:
			fz_reap(&c, &ring, fz_below(&c.rng, 200000));
			break;
		case 6:
			fz_child_recycle(&c, q);
			break;
		case 7:
			fz_child_maps(&c, q);
			break;
		case 8: {
			struct wirecap_stats st = { .size = sizeof(st) };
			long ret = fz_ioctl(q->fd, WIRECAP_CMD_STATS, &st);

			fz_judge(&c, FZ_STATS, FZ_A_OK, ANY | FLUX, ret, NULL,
				 "(child)");
			break;
		}
		case 9:
			if (!depth && fz_pct(&c.rng, 50))
				fz_child_fork(&c, cq, ncq);
			else if (fz_pct(&c.rng, 20)) {
				close(q->fd);
				q->fd = -1;
			}
			break;
		default:
			fz_begin(&c, 400000, "sleep");
			fz_sleep_us(fz_below(&c.rng, 300000));
			fz_end(&c, 0);
			break;
		}
	}
	/* exit with commands parked: the ring's teardown must cope */
	if (depth)
		fz_slot_put(slot);
	_exit(0);
}

/* Fork a child with some of the queue files; it is killed at kill_at. */
static void fz_op_fork(struct fz_ctx *c)
{
	struct fz_world *w = c->w;
	struct fz_cq cq[8];
	unsigned int ncq = 0, i, k;
	struct fz_child *ch = NULL;
	uint64_t seed = fz_rand(&c->rng);
	int slot;
	pid_t pid;

	pthread_mutex_lock(&w->ch_lock);
	for (i = 0; i < FZ_MAX_CHILDREN; i++)
		if (!w->ch[i].pid) {
			ch = &w->ch[i];
			break;
		}
	if (!ch) {
		pthread_mutex_unlock(&w->ch_lock);
		return;
	}
	for (k = 0; k < 8 && ncq < 4; k++) {
		struct fz_queue *q = fz_pick_queue(c);

		if (!q)
			break;
		pthread_mutex_lock(&q->mu);
		if (q->fd >= 0) {
			cq[ncq].fd = fcntl(q->fd, F_DUPFD_CLOEXEC, 0);
			cq[ncq].nic = q->nic->idx;
			cq[ncq].ring = q->ring;
			if (cq[ncq].fd >= 0) {
				q->lent = true;
				ncq++;
			}
		}
		pthread_mutex_unlock(&q->mu);
	}
	slot = ncq ? fz_slot_get("child") : -1;
	if (slot < 0) {
		for (i = 0; i < ncq; i++)
			close(cq[i].fd);
		pthread_mutex_unlock(&w->ch_lock);
		return;
	}
	fz_begin(c, 1000000, "fork a child with %u queue files", ncq);
	pid = fork();
	if (pid == 0)
		fz_child_main(w, slot, seed, cq, ncq,
			      50 + fz_below(&c->rng, 1500), 0);
	fz_end(c, pid);
	for (i = 0; i < ncq; i++)
		close(cq[i].fd);
	if (pid < 0) {
		fz_slot_put(slot);
	} else {
		setpgid(pid, pid);
		ch->pid = pid;
		ch->slot = slot;
		ch->kill_at = fz_now() + 10000 + fz_below(&c->rng, 1200000);
		ch->killed_at = 0;
		atomic_fetch_add(&fz_sh->children, 1);
	}
	pthread_mutex_unlock(&w->ch_lock);
}

/* Reap children that ended; kill those whose time came (all, if all). */
static void fz_children_tick(struct fz_ctx *c, bool all)
{
	struct fz_world *w = c->w;
	unsigned int i;

	pthread_mutex_lock(&w->ch_lock);
	for (i = 0; i < FZ_MAX_CHILDREN; i++) {
		struct fz_child *ch = &w->ch[i];
		int status;
		pid_t r;

		if (!ch->pid)
			continue;
		r = waitpid(ch->pid, &status, WNOHANG);
		if (r == ch->pid) {
			if (WIFSIGNALED(status) && WTERMSIG(status) != SIGKILL)
				fz_fail(c, "child %d died of signal %d",
					ch->pid, WTERMSIG(status));
			else if (WIFEXITED(status) && WEXITSTATUS(status))
				fz_fail(c, "child %d exited %d", ch->pid,
					WEXITSTATUS(status));
			fz_slot_put(ch->slot);
			/* its own children (its process group) go with it */
			kill(-ch->pid, SIGKILL);
			ch->pid = 0;
			continue;
		}
		if (!ch->killed_at && (all || fz_now() >= ch->kill_at)) {
			kill(-ch->pid, SIGKILL);
			kill(ch->pid, SIGKILL);
			ch->killed_at = fz_now();
			atomic_fetch_add(&fz_sh->kills, 1);
		}
	}
	pthread_mutex_unlock(&w->ch_lock);
}

static void fz_children_reap_all(struct fz_ctx *c)
{
	uint64_t limit = fz_now() + fz_sh->max_timeout_us + fz_sh->slack_us;
	unsigned int i, left;

	do {
		fz_children_tick(c, true);
		left = 0;
		for (i = 0; i < FZ_MAX_CHILDREN; i++)
			left += !!c->w->ch[i].pid;
		if (left)
			fz_sleep_us(10000);
	} while (left && fz_now() < limit);
	if (left)
		fz_fail(c, "%u killed children never went away", left);
}

static void fz_sigusr1(int sig)
{
	(void)sig;
}

/* A race the checks cannot see from one side: DETACH against CAPTUREs. */
struct fz_partner {
	struct fz_world *w;
	struct fz_queue *q;
	atomic_int stop;
	uint64_t seed;
	bool abandon;		/* tear the ring down with commands parked */
};

static void *fz_partner_main(void *arg)
{
	struct fz_partner *pt = arg;
	struct fz_queue *q = pt->q;
	struct fz_shq *sh = &fz_sh->q[q->nic->idx][q->ring];
	struct fz_ring ring;
	struct fz_ctx c = {
		.w = pt->w, .who = "partner", .ring = &ring,
	};
	struct fz_use u;

	c.slot = fz_slot_get("partner");
	if (c.slot < 0)
		return NULL;
	c.rng.s = pt->seed;
	/* one file for all, and no lock of ours: submit while DETACH runs */
	if (!fz_use(q, &u)) {
		fz_slot_put(c.slot);
		return NULL;
	}
	if (fz_ring_init(&c, &ring, fz_pct(&c.rng, 50) ? FZ_RING_PLAIN :
			 FZ_RING_DEFER) == 0) {
		while (!atomic_load(&pt->stop) && !atomic_load(&fz_sh->abort)) {
			if (ring.npend < FZ_INFLIGHT - 16) {
				/* inline: issued before the submit returns */
				uint64_t s1 = fz_now(), s2;
				unsigned int i, n = 0;

				for (i = 0; i < 4; i++) {
					struct wirecap_capture_cmd cc = {
						.max_descs = 4,
						.timeout_us = fz_pct(&c.rng, 50) ?
							200000 : 1000000,
					};
					struct io_uring_sqe *sqe;
					struct fz_pend *p;
					uint64_t ud, gh;

					p = fz_pend_new(&ring, &ud);
					sqe = p ? fz_sqe(&ring) : NULL;
					if (!sqe) {
						if (p) {
							p->used = false;
							ring.npend--;
						}
						break;
					}
					/* flux first: a change after it shows */
					p->flux0 = atomic_load(&q->flux);
					p->state0 = __atomic_load_n(&q->state,
							__ATOMIC_ACQUIRE);
					gh = atomic_load(&sh->gen_head);
					cc.desc_head = (uint32_t)gh;
					p->op = FZ_CAPTURE_URING;
					p->q = q;
					p->gen0 = gh >> 32;
					p->head = cc.desc_head;
					p->max = cc.max_descs;
					p->timeout_us = cc.timeout_us;
					atomic_fetch_add(&q->users, 1);
					sqe->opcode = IORING_OP_URING_CMD;
					sqe->cmd_op = WIRECAP_CMD_CAPTURE;
					sqe->fd = u.fd;
					memcpy(sqe->cmd, &cc, sizeof(cc));
					sqe->user_data = ud;
					n++;
				}
				if (n) {
					fz_submit(&c, &ring);
					s2 = fz_now();
					for (i = 0; i < FZ_INFLIGHT; i++)
						if (ring.pend[i].used &&
						    !ring.pend[i].s1) {
							ring.pend[i].s1 = s1;
							ring.pend[i].s2 = s2;
						}
				}
			}
			fz_reap(&c, &ring, 0);
		}
		fz_ring_exit(&c, &ring, !pt->abandon);
	}
	fz_unuse(q, &u);
	fz_slot_put(c.slot);
	return NULL;
}

/*
 * DETACH/ATTACH in a loop for dur_us while a partner thread keeps up to 80
 * CAPTUREs parked on the queue (issued inline: the race detector can tell
 * when). abandon: the partner tears its ring down with commands parked
 * (cancelled on 6.7+); then, with kill, the queue's files are closed and
 * its NIC removed at once, so a timer left armed would fire on freed
 * memory (or on a new queue in the same place). Returns true if the NIC
 * was removed.
 */
static bool fz_race(struct fz_ctx *c, struct fz_queue *q, uint64_t dur_us,
		    bool abandon, bool kill)
{
	struct fz_partner pt = {
		.w = c->w, .q = q, .seed = fz_rand(&c->rng), .abandon = abandon,
	};
	uint64_t end = fz_now() + dur_us;
	uint32_t m = 0, r = 0;
	pthread_t t;

	pthread_mutex_lock(&q->mu);
	if (q->fd >= 0 && q->state == ATT && q->gen) {
		m = q->gen->m;
		r = q->gen->r;
	}
	pthread_mutex_unlock(&q->mu);
	if (!m || pthread_create(&t, NULL, fz_partner_main, &pt))
		return false;
	fz_sleep_us(20000);	/* let commands pile up */
	while (fz_now() < end && !atomic_load(&fz_sh->abort)) {
		struct wirecap_attach a = {
			.size = sizeof(a), .cells_per_chunk = m, .nr_chunks = r,
		};
		long ret;

		pthread_mutex_lock(&q->mu);
		if (q->fd < 0 || q->state == DEAD) {
			pthread_mutex_unlock(&q->mu);
			break;
		}
		if (q->state == ATT) {
			fz_detach(c, q);
		} else {
			unsigned int state0 = q->state;
			unsigned int flux0 = atomic_load(&q->flux);

			ret = fz_do_attach(c, q, q->fd, m, r, FZ_A_OK, &a,
					   sizeof(a));
			fz_judge(c, FZ_ATTACH, FZ_A_OK,
				 fz_states(q, state0, flux0), ret, NULL,
				 "race");
			if (ret == 0)
				fz_attached(c, q);
		}
		pthread_mutex_unlock(&q->mu);
		fz_sleep_us(fz_below(&c->rng, 3000));
	}
	atomic_store(&pt.stop, 1);
	pthread_join(t, NULL);
	if (!abandon || !kill)
		return false;
	/*
	 * Commands the ring's teardown cancelled may leave a timer behind:
	 * let the queue be freed and its memory reused.
	 */
	pthread_mutex_lock(&q->mu);
	if (q->fd >= 0) {
		fz_harvest(c, q);
		fz_drop_gen(c, q, false);
		fz_maps_drop(q);
		close(q->fd);
		q->fd = -1;
		q->state = q->state == ATT ? ATT | DET : q->state;
		atomic_fetch_add(&q->flux, 1);
	}
	pthread_mutex_unlock(&q->mu);
	pthread_mutex_lock(&c->w->nic_lock);
	if (atomic_load(&q->nic->alive))
		fz_nic_remove_locked(c, q->nic);
	pthread_mutex_unlock(&c->w->nic_lock);
	return true;
}

static void fz_op_race(struct fz_ctx *c, struct fz_queue *q)
{
	if (fz_race(c, q, 100000 + fz_below(&c->rng, 200000),
		    fz_pct(&c->rng, 40), fz_pct(&c->rng, 50)))
		fz_nic_add(c);
}

/* ====================================================================
 * 10. Workers, the injector, the watchdog
 * ==================================================================== */

enum fz_wop {
	W_CAP_URING, W_CAP_MANY, W_REAP, W_CAP_IOCTL, W_RECYCLE, W_HARVEST,
	W_INFO, W_STATS, W_IOCTL_JUNK, W_URING_JUNK, W_MMAP, W_POLL,
	W_ATTACH, W_ATTACH_BAD, W_DETACH, W_CLOSE, W_FORK, W_TICK, W_SIGNAL,
	W_RING, W_NIC_DEL, W_NIC_ADD, W_RELOAD, W_RACE, W_NR
};

/* How often each operation comes, in tenths of a percent or so. */
static const unsigned int fz_wweight[W_NR] = {
	[W_CAP_URING] = 150, [W_CAP_MANY] = 20, [W_REAP] = 110,
	[W_CAP_IOCTL] = 50, [W_RECYCLE] = 180, [W_HARVEST] = 30,
	[W_INFO] = 25, [W_STATS] = 25, [W_IOCTL_JUNK] = 20,
	[W_URING_JUNK] = 20, [W_MMAP] = 70, [W_POLL] = 12, [W_ATTACH] = 35,
	[W_ATTACH_BAD] = 15, [W_DETACH] = 15, [W_CLOSE] = 12, [W_FORK] = 20,
	[W_TICK] = 40, [W_SIGNAL] = 10, [W_RING] = 12, [W_NIC_DEL] = 3,
	[W_NIC_ADD] = 6, [W_RELOAD] = 2, [W_RACE] = 6,
};

struct fz_wargs {
	struct fz_world *w;
	unsigned int id;
};

static void fz_block_usr1(void);

static enum fz_ring_kind fz_pick_ring(struct fz_ctx *c)
{
	unsigned int v = fz_below(&c->rng, 100);

	if (v < 3)
		return FZ_RING_IOPOLL;
	return v % (FZ_NR_RING_KINDS - 1);
}

static void fz_work_one(struct fz_ctx *c)
{
	struct fz_world *w = c->w;
	unsigned int total = 0, v, op;
	struct fz_queue *q;

	for (op = 0; op < W_NR; op++)
		total += fz_wweight[op];
	v = fz_below(&c->rng, total);
	for (op = 0; op < W_NR && v >= fz_wweight[op]; op++)
		v -= fz_wweight[op];
	c->nops++;
	atomic_fetch_add(&fz_sh->ops, 1);
	q = fz_pick_queue(c);
	switch (op) {
	case W_CAP_URING:
		if (q)
			fz_op_capture_uring(c, q, 1 + fz_below(&c->rng, 6), false);
		break;
	case W_CAP_MANY:
		if (q)
			fz_op_capture_uring(c, q, 16 + fz_below(&c->rng, 32),
					    true);
		break;
	case W_REAP:
		fz_reap(c, c->ring, fz_pct(&c->rng, 50) ? 0 :
			fz_below(&c->rng, 100000));
		break;
	case W_CAP_IOCTL:
		if (q)
			fz_op_capture_ioctl(c, q);
		break;
	case W_RECYCLE:
		if (q)
			fz_op_recycle(c, q);
		break;
	case W_HARVEST:
		if (q) {
			pthread_mutex_lock(&q->mu);
			fz_harvest(c, q);
			pthread_mutex_unlock(&q->mu);
		}
		break;
	case W_INFO:
	case W_STATS:
		if (q)
			fz_op_info(c, q, op == W_STATS);
		break;
	case W_IOCTL_JUNK:
		if (q)
			fz_op_ioctl_junk(c, q);
		break;
	case W_URING_JUNK:
		if (q)
			fz_op_uring_junk(c, q);
		break;
	case W_MMAP:
		if (q)
			fz_op_mmap(c, q);
		break;
	case W_POLL:
		if (q)
			fz_op_poll(c, q);
		break;
	case W_ATTACH:
	case W_ATTACH_BAD:
		if (!q)
			break;
		pthread_mutex_lock(&q->mu);
		if (q->fd >= 0 && (op == W_ATTACH_BAD || q->state != ATT ||
				   fz_pct(&c->rng, 20)))
			fz_attach(c, q, op == W_ATTACH);
		pthread_mutex_unlock(&q->mu);
		break;
	case W_DETACH:
		if (!q)
			break;
		pthread_mutex_lock(&q->mu);
		if (q->fd >= 0)
			fz_detach(c, q);
		pthread_mutex_unlock(&q->mu);
		break;
	case W_CLOSE:
		if (q)
			fz_op_close_reopen(c, q);
		break;
	case W_FORK:
		fz_op_fork(c);
		break;
	case W_TICK:
		fz_children_tick(c, false);
		break;
	case W_SIGNAL: {
		int tid = atomic_load(&w->wtid[fz_below(&c->rng, FZ_WORKERS)]);

		if (tid)
			syscall(SYS_tgkill, getpid(), tid, SIGUSR1);
		break;
	}
	case W_RING:
		fz_ring_exit(c, c->ring, fz_pct(&c->rng, 50));
		fz_ring_init(c, c->ring, fz_pick_ring(c));
		break;
	case W_NIC_DEL: {
		struct fz_nic *n;

		pthread_mutex_lock(&w->nic_lock);
		n = fz_pick_nic(c, false);
		if (n)
			fz_nic_remove_locked(c, n);
		pthread_mutex_unlock(&w->nic_lock);
		if (fz_alive_nics(w) < 1)
			fz_nic_add(c);
		break;
	}
	case W_NIC_ADD:
		if (fz_alive_nics(w) < 3)
			fz_nic_add(c);
		break;
	case W_RELOAD:
		if (fz_now() + 2000000 < w->end_us)
			fz_module_reload(c);
		break;
	case W_RACE:
		if (q && fz_now() + 1000000 < w->end_us)
			fz_op_race(c, q);
		break;
	}
}

static void *fz_worker_main(void *arg)
{
	struct fz_wargs *a = arg;
	struct fz_world *w = a->w;
	struct fz_ring ring;
	char who[16];
	struct fz_ctx c = { .w = w, .ring = &ring };

	snprintf(who, sizeof(who), "worker%u", a->id);
	c.who = who;
	c.slot = fz_slot_get(who);
	if (c.slot < 0)
		return NULL;
	c.rng.s = fz_mix(w->seed ^ ((uint64_t)w->round << 32) ^ (a->id + 1));
	atomic_store(&w->wtid[a->id], syscall(SYS_gettid));
	fz_ring_init(&c, &ring, fz_pick_ring(&c));
	while (!atomic_load(&w->stop) && !atomic_load(&fz_sh->abort))
		fz_work_one(&c);
	atomic_store(&w->wtid[a->id], 0);
	fz_block_usr1();
	fz_ring_exit(&c, &ring, true);
	fz_slot_put(c.slot);
	return NULL;
}

static void fz_block_usr1(void)
{
	sigset_t set;

	sigemptyset(&set);
	sigaddset(&set, SIGUSR1);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
}

/* Packets all along, into chosen queues or by RSS. */
static void *fz_injector_main(void *arg)
{
	struct fz_world *w = arg;
	struct fz_ctx c = { .w = w, .who = "injector" };

	fz_block_usr1();
	c.slot = fz_slot_get("injector");
	if (c.slot < 0)
		return NULL;
	c.rng.s = fz_mix(w->seed ^ ((uint64_t)w->round << 32) ^ 0xabcd);
	while (!atomic_load(&w->stop) && !atomic_load(&fz_sh->abort)) {
		struct fz_nic *n;
		char name[16];
		uint64_t seq;
		unsigned int count;
		int queue, ret;

		if (atomic_load(&w->pause_inject)) {
			atomic_store(&w->inject_idle, 1);
			fz_sleep_us(2000);
			continue;
		}
		atomic_store(&w->inject_idle, 0);
		pthread_mutex_lock(&w->nic_lock);
		n = fz_pick_nic(&c, false);
		if (!n) {
			pthread_mutex_unlock(&w->nic_lock);
			fz_sleep_us(5000);
			continue;
		}
		memcpy(name, n->name, sizeof(name));
		queue = fz_pct(&c.rng, 20) ? WIRECAP_SOFTNIC_RSS :
			(int)fz_below(&c.rng, n->nq);
		seq = atomic_load(&n->next_pkt);
		count = 1 + fz_below(&c.rng, fz_pct(&c.rng, 70) ? 64 : 256);
		if (count > FZ_BLOCK - seq % FZ_BLOCK)
			count = FZ_BLOCK - seq % FZ_BLOCK;
		atomic_store(&n->next_pkt, seq + count);
		pthread_mutex_unlock(&w->nic_lock);
		fz_begin(&c, 5000000, "inject %s q%d %u x %u bytes from %llu",
			 name, queue, count, fz_len_of(seq),
			 (unsigned long long)seq);
		ret = wct_inject(name, queue, count, fz_len_of(seq), seq);
		fz_end(&c, ret);
		if (!ret)
			atomic_fetch_add(&n->injected, count);
		else if (atomic_load(&n->alive))
			fz_fail(&c, "inject into %s: %s", name, strerror(-ret));
		fz_sleep_us(fz_below(&c.rng, 6000));
	}
	atomic_store(&w->inject_idle, 1);
	fz_slot_put(c.slot);
	return NULL;
}

/* 'R', 'S', 'D', 'Z', ... or 0 when the task is gone. */
static char fz_task_state(pid_t pid, pid_t tid)
{
	char path[64], buf[512], *p;
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "/proc/%d/task/%d/stat", pid, tid);
	fd = open(path, O_RDONLY);
	if (fd < 0)
		return 0;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return 0;
	buf[n] = '\0';
	p = strrchr(buf, ')');
	return p && p[1] == ' ' ? p[2] : 0;
}

/*
 * Tasks in the kernel: every one blocked (D state), or (io) every io_uring
 * thread of this process, with where they are.
 */
static void fz_dump_tasks(bool io)
{
	DIR *pd = opendir("/proc");
	struct dirent *pe;
	unsigned int n = 0;

	while (pd && (pe = readdir(pd)) && n < 16) {
		char path[64];
		DIR *td;
		struct dirent *te;
		pid_t pid = atoi(pe->d_name);

		if (pid <= 0 || (io && pid != getpid()))
			continue;
		snprintf(path, sizeof(path), "/proc/%d/task", pid);
		td = opendir(path);
		while (td && (te = readdir(td)) && n < 16) {
			pid_t tid = atoi(te->d_name);
			char comm[64] = "", cpath[96];
			FILE *f;

			if (tid <= 0 || (!io && fz_task_state(pid, tid) != 'D'))
				continue;
			snprintf(cpath, sizeof(cpath), "/proc/%d/task/%d/comm",
				 pid, tid);
			f = fopen(cpath, "r");
			if (f) {
				if (!fgets(comm, sizeof(comm), f))
					comm[0] = '\0';
				fclose(f);
			}
			comm[strcspn(comm, "\n")] = '\0';
			if (io && strncmp(comm, "iou-", 4))
				continue;
			fz_log("  %s: %s (pid %d tid %d, %c)", io ? "io thread" :
			       "blocked", comm, pid, tid,
			       fz_task_state(pid, tid));
			fz_dump_kstack(pid, tid);
			n++;
		}
		if (td)
			closedir(td);
	}
	if (pd)
		closedir(pd);
}

static void fz_watchdog_fire(struct fz_world *w, const char *why, int slot)
{
	unsigned int i;

	fz_log("FAIL [seed %llu round %u] HANG: %s",
	       (unsigned long long)fz_sh->seed, fz_sh->round, why);
	atomic_fetch_add(&fz_sh->nfail, 1);
	atomic_store(&fz_sh->abort, 1);
	for (i = 0; i < FZ_SLOTS; i++) {
		struct fz_slot *s = &fz_sh->slot[i];

		if (!atomic_load(&s->used))
			continue;
		if ((int)i == slot || atomic_load(&s->op_start))
			fz_dump_trace(i);
		if ((int)i == slot || atomic_load(&s->op_start))
			fz_dump_kstack(s->pid, s->tid);
	}
	fz_dump_tasks(false);
	for (i = 0; i < FZ_MAX_CHILDREN; i++)
		if (w->ch[i].pid > 0)
			kill(-w->ch[i].pid, SIGKILL);
	_exit(1);
}

/* Fails the test, with the stuck thread's kernel stack, instead of hanging. */
static void *fz_watchdog_main(void *arg)
{
	struct fz_world *w = arg;

	fz_block_usr1();
	while (!atomic_load(&w->watchdog_stop)) {
		uint64_t now;
		unsigned int i;

		fz_sleep_us(200000);
		now = fz_now();
		for (i = 0; i < FZ_SLOTS; i++) {
			struct fz_slot *s = &fz_sh->slot[i];
			uint64_t start = atomic_load(&s->op_start);
			uint64_t bound = atomic_load(&s->op_bound);
			char why[FZ_LINE + 96], st;
			unsigned int n;

			if (!atomic_load(&s->used) || !start ||
			    now - start <= bound || now < start)
				continue;
			st = fz_task_state(s->pid, s->tid);
			if (!st || st == 'Z' || st == 'X')
				continue;	/* a killed child, gone */
			n = atomic_load(&s->ntrace);
			snprintf(why, sizeof(why),
				 "%s (pid %d, state %c) in \"%.*s\" for %llu ms, "
				 "bound %llu ms", s->who, s->tid, st, FZ_LINE,
				 n ? s->trace[(n - 1) % FZ_TRACE] : "?",
				 (unsigned long long)(now - start) / 1000,
				 (unsigned long long)bound / 1000);
			fz_watchdog_fire(w, why, i);
		}
		if (w->deadline_us && now > w->deadline_us)
			fz_watchdog_fire(w, "the test ran past its time", -1);
	}
	return NULL;
}

/* ====================================================================
 * 11. The end of a round: quiet, settle, calibrate, count, give back
 * ==================================================================== */

/* Give one view back by ioctl; 1 taken, 0 refused, or -errno. mu held. */
static long fz_recycle_one(struct fz_ctx *c, struct fz_queue *q,
			   struct wirecap_desc *d, unsigned int n)
{
	struct wirecap_recycle_cmd rc = {
		.descs = (uintptr_t)d, .count = n,
	};
	long ret;

	fz_begin(c, 1000000, "RECYCLE %s-q%u %u records (settling)",
		 q->nic->name, q->ring, n);
	ret = fz_ioctl(q->fd, WIRECAP_CMD_RECYCLE, &rc);
	fz_end(c, ret);
	fz_judge(c, FZ_RECYCLE, FZ_A_OK, q->state, ret, NULL, q->nic->name);
	return ret;
}

/*
 * Everything back and nothing left to hand out: views in doubt one by one
 * (taken or refused, both fine), views out in batches (all taken), then
 * CAPTUREs without a timeout until none has anything. mu held, all quiet.
 */
static void fz_settle(struct fz_ctx *c, struct fz_queue *q)
{
	unsigned int round;

	for (round = 0; round < 2000 && q->gen && q->gen->cells; round++) {
		struct fz_gen *g = q->gen;
		struct wirecap_capture_cmd cc = { .max_descs = 64 };
		struct wirecap_desc d[64];
		uint32_t cell, cells[64];
		unsigned int n = 0, i;
		long ret;

		fz_harvest(c, q);
		for (cell = 0; cell < g->cells; cell++) {
			if (g->vstate[cell] == FZ_V_NONE)
				continue;
			if (g->vstate[cell] == FZ_V_OUT && !g->tainted) {
				if (n < 64)
					cells[n++] = cell;
				continue;
			}
			/* in doubt: alone, taken or refused */
			d[0] = fz_desc_of(q, g, cell);
			ret = fz_recycle_one(c, q, d, 1);
			if (ret < 0)
				return;
			fz_view_put(q, g, cell, ret == 1);
			q->refused_lo += ret == 0;
			q->refused_hi += ret == 0;
		}
		if (n) {
			for (i = 0; i < n; i++)
				d[i] = fz_desc_of(q, g, cells[i]);
			ret = fz_recycle_one(c, q, d, n);
			if (ret < 0)
				return;
			if (ret != n)
				fz_fail(c, "%s-q%u: %ld of %u outstanding views "
					"taken back", q->nic->name, q->ring, ret,
					n);
			for (i = 0; i < n; i++)
				fz_view_put(q, g, cells[i], ret == n);
			if (ret != n)
				q->freed_exact = false;
			continue;	/* more may be out */
		}
		cc.desc_head = g->head;
		fz_begin(c, 1000000, "CAPTURE %s-q%u head %u (settling)",
			 q->nic->name, q->ring, g->head);
		ret = fz_ioctl(q->fd, WIRECAP_CMD_CAPTURE, &cc);
		fz_end(c, ret);
		fz_judge(c, FZ_CAPTURE, FZ_A_OK, q->state, ret, NULL,
			 "settling");
		if (ret <= 0)
			break;
		fz_harvest(c, q);
	}
}

static void fz_stats_of(struct fz_ctx *c, struct fz_queue *q,
			struct wirecap_stats *st)
{
	static const char *const names[] = {
		"received", "capture_drops", "oversize_drops", "delivered",
		"chunks_captured", "partial_views", "chunks_recycled",
		"recycle_refused", "segment_waits", "pool_high_water",
		"captures_parked", "capture_timeouts",
	};
	__u64 *v = &st->received;
	unsigned int i;

	memset(st, 0, sizeof(*st));
	st->size = sizeof(*st);
	if (q->fd >= 0 && !ioctl(q->fd, WIRECAP_CMD_STATS, st))
		return;
	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		char attr[48];
		long long x;

		snprintf(attr, sizeof(attr), "stats/%s", names[i]);
		x = wct_sysfs(q->nic->name, q->ring, attr);
		if (x < 0)
			fz_fail(c, "no sysfs %s of %s-q%u", attr, q->nic->name,
				q->ring);
		v[i] = x < 0 ? 0 : x;
	}
}

/* Packets in, drained, counted: the pool loses nothing it has room for. */
static void fz_calibrate(struct fz_ctx *c, struct fz_queue *q)
{
	struct fz_nic *n = q->nic;
	struct wirecap_stats s0, s1;
	uint64_t pkts0, freed0, k, left, normal = 0, over = 0, t;
	struct fz_gen *g;

	fz_settle(c, q);
	g = q->gen;
	if (!g || !g->cells || q->state != ATT)
		return;
	if (g->lost || g->tainted || !g->hdr) {
		/* we cannot know what is out: start from a fresh pool */
		uint32_t m = g->m, r = g->r;
		struct wirecap_attach a = {
			.size = sizeof(a), .cells_per_chunk = m, .nr_chunks = r,
		};

		fz_detach(c, q);
		if (fz_ioctl(q->fd, WIRECAP_CMD_ATTACH, &a))
			return;
		fz_attached(c, q);
		g = q->gen;
		if (!g || !g->hdr)
			return;
	}
	/* whole again: every chunk free but one per segment (the NIC's
	 * refill runs from a workqueue: as slow as the machine) */
	for (t = fz_now(); fz_now() - t < fz_sh->max_timeout_us +
					  fz_sh->slack_us / 2;) {
		if (g->hdr->chunks_free == g->r - g->segs &&
		    !g->hdr->chunks_full)
			break;
		fz_sleep_us(5000);
	}
	if (g->hdr->chunks_free != g->r - g->segs || g->hdr->chunks_full)
		fz_fail(c, "%s-q%u not whole with every view back: %u of %u "
			"chunks free (%u segments), %u full", n->name, q->ring,
			g->hdr->chunks_free, g->r, g->segs,
			g->hdr->chunks_full);
	else if (wct_sysfs(n->name, q->ring, "chunks_free") !=
		 g->hdr->chunks_free)
		fz_fail(c, "%s-q%u: sysfs chunks_free %lld, control area %u",
			n->name, q->ring,
			wct_sysfs(n->name, q->ring, "chunks_free"),
			g->hdr->chunks_free);
	fz_stats_of(c, q, &s0);
	pkts0 = q->pkts;
	freed0 = q->freed;
	k = 1 + fz_below(&c->rng, g->cells * 3 / 2 < 3000 ?
			 g->cells * 3 / 2 : 3000);
	for (left = k; left;) {
		uint64_t seq = atomic_load(&n->next_pkt);
		unsigned int cnt = FZ_BLOCK - seq % FZ_BLOCK;
		int ret;

		if (cnt > left)
			cnt = left;
		atomic_store(&n->next_pkt, seq + cnt);
		if (fz_len_of(seq) > FZ_CELL)
			over += cnt;
		else
			normal += cnt;
		fz_begin(c, 5000000, "inject %s q%u %u (calibration)", n->name,
			 q->ring, cnt);
		ret = wct_inject(n->name, q->ring, cnt, fz_len_of(seq), seq);
		fz_end(c, ret);
		if (ret) {
			fz_fail(c, "inject into %s: %s", n->name,
				strerror(-ret));
			return;
		}
		atomic_fetch_add(&n->injected, cnt);
		left -= cnt;
	}
	fz_settle(c, q);
	fz_stats_of(c, q, &s1);
	if (k != (s1.received - s0.received) +
		 (s1.capture_drops - s0.capture_drops) +
		 (s1.oversize_drops - s0.oversize_drops))
		fz_fail(c, "%s-q%u: %llu packets in, but received %llu + "
			"capture drops %llu + oversize drops %llu", n->name,
			q->ring, (unsigned long long)k,
			(unsigned long long)(s1.received - s0.received),
			(unsigned long long)(s1.capture_drops - s0.capture_drops),
			(unsigned long long)(s1.oversize_drops -
					     s0.oversize_drops));
	if (s1.received - s0.received != s1.delivered - s0.delivered ||
	    s1.delivered - s0.delivered != q->pkts - pkts0)
		fz_fail(c, "%s-q%u drained: received %llu, delivered %llu, "
			"packets in our views %llu (a cell filled and never "
			"handed out?)", n->name, q->ring,
			(unsigned long long)(s1.received - s0.received),
			(unsigned long long)(s1.delivered - s0.delivered),
			(unsigned long long)(q->pkts - pkts0));
	if (normal <= (uint64_t)(g->r - g->segs) * g->m &&
	    (s1.capture_drops != s0.capture_drops ||
	     s1.oversize_drops - s0.oversize_drops != over))
		fz_fail(c, "%s-q%u: %llu packets (%llu oversize) into a pool "
			"with room for %u: %llu capture drops, %llu oversize",
			n->name, q->ring, (unsigned long long)k,
			(unsigned long long)over, (g->r - g->segs) * g->m,
			(unsigned long long)(s1.capture_drops - s0.capture_drops),
			(unsigned long long)(s1.oversize_drops -
					     s0.oversize_drops));
	if (q->freed_exact &&
	    s1.chunks_recycled - s0.chunks_recycled != q->freed - freed0)
		fz_fail(c, "%s-q%u: %llu chunks recycled, we gave back every "
			"view of %llu", n->name, q->ring,
			(unsigned long long)(s1.chunks_recycled -
					     s0.chunks_recycled),
			(unsigned long long)(q->freed - freed0));
}

/* The counters of a quiet queue against what we saw. mu held. */
static void fz_check_counters(struct fz_ctx *c, struct fz_queue *q,
			      struct wirecap_stats *st)
{
	struct fz_shq *sh = &fz_sh->q[q->nic->idx][q->ring];
	uint64_t lo = q->refused_lo + atomic_load(&sh->refused_lo);
	uint64_t hi = q->refused_hi + atomic_load(&sh->refused_hi);
	const __u64 *now = &st->received, *then = &q->last.received;
	char name[32];
	unsigned int k;

	snprintf(name, sizeof(name), "%s-q%u", q->nic->name, q->ring);
	fz_stats_of(c, q, st);
	for (k = 0; k < 12; k++)
		if (now[k] < then[k])
			fz_fail(c, "%s: counter %u went down, %llu after %llu",
				name, k, (unsigned long long)now[k],
				(unsigned long long)then[k]);
	if (!q->ever_attached && (st->received | st->capture_drops |
				  st->oversize_drops | st->delivered |
				  st->recycle_refused | st->captures_parked))
		fz_fail(c, "%s never attached, yet received %llu, dropped "
			"%llu+%llu, delivered %llu, refused %llu, parked %llu",
			name, (unsigned long long)st->received,
			(unsigned long long)st->capture_drops,
			(unsigned long long)st->oversize_drops,
			(unsigned long long)st->delivered,
			(unsigned long long)st->recycle_refused,
			(unsigned long long)st->captures_parked);
	if (q->harvest_exact ? st->delivered != q->pkts ||
			       st->chunks_captured != q->full_views ||
			       st->partial_views != q->part_views :
			       st->delivered < q->pkts ||
			       st->chunks_captured < q->full_views ||
			       st->partial_views < q->part_views)
		fz_fail(c, "%s: delivered %llu, chunks_captured %llu, "
			"partial_views %llu; our views hold %llu packets, %llu "
			"ending a chunk, %llu not (%s)", name,
			(unsigned long long)st->delivered,
			(unsigned long long)st->chunks_captured,
			(unsigned long long)st->partial_views,
			(unsigned long long)q->pkts,
			(unsigned long long)q->full_views,
			(unsigned long long)q->part_views,
			q->harvest_exact ? "exact" : "at least");
	if (st->recycle_refused < lo || st->recycle_refused > hi)
		fz_fail(c, "%s: recycle_refused %llu, we sent %llu..%llu bad "
			"records", name, (unsigned long long)st->recycle_refused,
			(unsigned long long)lo, (unsigned long long)hi);
	if (q->freed_exact ? st->chunks_recycled != q->freed :
			     st->chunks_recycled < q->freed)
		fz_fail(c, "%s: chunks_recycled %llu, chunks whose views all "
			"came back %llu", name,
			(unsigned long long)st->chunks_recycled,
			(unsigned long long)q->freed);
	if (st->capture_timeouts > st->captures_parked ||
	    st->pool_high_water > q->max_r || st->delivered > st->received)
		fz_fail(c, "%s: timeouts %llu of %llu parked, high water %llu "
			"(R <= %u), delivered %llu of %llu received", name,
			(unsigned long long)st->capture_timeouts,
			(unsigned long long)st->captures_parked,
			(unsigned long long)st->pool_high_water, q->max_r,
			(unsigned long long)st->delivered,
			(unsigned long long)st->received);
	memcpy(&q->last, st, sizeof(q->last));
}

/* The software NIC's own counters: what it was offered went somewhere. */
static void fz_check_nic(struct fz_ctx *c, struct fz_nic *n,
			 const struct wirecap_stats *st)
{
	long long rx = wct_netdev_stat(n->name, "rx_packets");
	long long dropped = wct_netdev_stat(n->name, "rx_dropped");
	long long lenerr = wct_netdev_stat(n->name, "rx_length_errors");
	uint64_t rec = 0, cdrop = 0, odrop = 0;
	char path[96], buf[32] = "";
	unsigned int i;
	long flags = 0;
	FILE *f;

	for (i = 0; i < n->nq; i++) {
		rec += st[i].received;
		cdrop += st[i].capture_drops;
		odrop += st[i].oversize_drops;
	}
	snprintf(path, sizeof(path), "/sys/class/net/%s/flags", n->name);
	f = fopen(path, "r");
	if (f) {
		if (fgets(buf, sizeof(buf), f))
			flags = strtol(buf, NULL, 0);
		fclose(f);
	}
	if (rx != (long long)atomic_load(&n->injected))
		fz_fail(c, "%s: rx_packets %lld, packets injected %llu", n->name,
			rx, (unsigned long long)atomic_load(&n->injected));
	if (!(flags & 1) && rx - dropped - lenerr != (long long)rec)
		fz_fail(c, "%s: rx_packets %lld - rx_dropped %lld - "
			"rx_length_errors %lld != received %llu", n->name, rx,
			dropped, lenerr, (unsigned long long)rec);
	if (lenerr != (long long)odrop || (long long)cdrop > dropped)
		fz_fail(c, "%s: rx_length_errors %lld, oversize drops %llu; "
			"rx_dropped %lld, capture drops %llu", n->name, lenerr,
			(unsigned long long)odrop, dropped,
			(unsigned long long)cdrop);
}

/* Close everything of a queue (mu held). */
static void fz_queue_close(struct fz_ctx *c, struct fz_queue *q)
{
	unsigned int i;

	fz_maps_drop(q);
	if (q->gen)
		fz_retire(c, q);
	for (i = 0; i < q->nold; i++)
		fz_gen_free(q->old[i]);
	q->nold = 0;
	if (q->fd >= 0)
		close(q->fd);
	q->fd = -1;
}

/* Open it again: every reference of ours is gone, so it must be free. */
static void fz_reopen_check(struct fz_ctx *c, struct fz_queue *q)
{
	uint64_t t = fz_now();
	int fd;

	do {
		char path[96];

		snprintf(path, sizeof(path), WIRECAP_DEV_DIR "/%s-q%u",
			 q->nic->name, q->ring);
		fd = open(path, O_RDWR | O_CLOEXEC);
		if (fd >= 0 || errno != EBUSY)
			break;
		fz_sleep_us(20000);
	} while (fz_now() - t < fz_sh->max_timeout_us + fz_sh->slack_us / 2);
	if (fd < 0) {
		fz_fail(c, "%s-q%u cannot be opened with every file of ours "
			"closed: %s (a reference kept?)", q->nic->name,
			q->ring, strerror(errno));
		return;
	} else {
		struct wirecap_info i = { .size = sizeof(i) };

		if (ioctl(fd, WIRECAP_CMD_INFO, &i) || i.nr_chunks)
			fz_fail(c, "%s-q%u opened again: not detached (R %u)",
				q->nic->name, q->ring, i.nr_chunks);
		close(fd);
	}
}

static void fz_round_end(struct fz_ctx *c)
{
	struct fz_world *w = c->w;
	unsigned int i, j, end = atomic_load(&w->nnics);
	long long pages;

	for (i = fz_round_first; i < end; i++) {
		struct fz_nic *n = &w->nic[i];
		struct wirecap_stats st[FZ_MAX_Q];

		if (!atomic_load(&n->alive))
			continue;
		for (j = 0; j < n->nq; j++) {
			struct fz_queue *q = &n->q[j];

			pthread_mutex_lock(&q->mu);
			fz_harvest(c, q);
			if (q->fd >= 0 && q->state == ATT)
				fz_calibrate(c, q);
			fz_check_counters(c, q, &st[j]);
			pthread_mutex_unlock(&q->mu);
		}
		fz_check_nic(c, n, st);
	}
	for (i = fz_round_first; i < end; i++)
		for (j = 0; j < w->nic[i].nq; j++) {
			pthread_mutex_lock(&w->nic[i].q[j].mu);
			fz_queue_close(c, &w->nic[i].q[j]);
			pthread_mutex_unlock(&w->nic[i].q[j].mu);
		}
	for (i = fz_round_first; i < end; i++) {
		struct fz_nic *n = &w->nic[i];

		if (!atomic_load(&n->alive))
			continue;
		for (j = 0; j < n->nq; j++)
			fz_reopen_check(c, &n->q[j]);
		pthread_mutex_lock(&w->nic_lock);
		fz_nic_remove_locked(c, n);
		pthread_mutex_unlock(&w->nic_lock);
	}
	pages = wct_pool_pages();
	if (pages != w->pages0)
		fz_fail(c, "pool pages %lld after the round, %lld before: "
			"every file closed and every NIC gone", pages,
			w->pages0);
}

/* ====================================================================
 * 12. The tests
 * ==================================================================== */

static uint64_t fz_t0;		/* when the harness started: the budget */
static uint64_t fz_seed;
static uint64_t fz_budget_us;

static void __attribute__((constructor)) fz_init(void)
{
	const char *s = getenv("WCT_FUZZ_SEED");
	const char *t = getenv("WCT_FUZZ_SECONDS");

	fz_t0 = fz_now();
	fz_seed = s && *s ? strtoull(s, NULL, 0) :
		  fz_mix(fz_t0 ^ ((uint64_t)getpid() << 32)) % 1000000000;
	fz_budget_us = (t && *t ? strtoull(t, NULL, 0) : 60) * 1000000ull;
}

/* WCT_FUZZ_ONLY=name: run only that test (the harness takes no filter). */
static bool fz_skip(const char *name)
{
	const char *only = getenv("WCT_FUZZ_ONLY");

	return only && *only && strcmp(only, name);
}

static long long fz_param(const char *path)
{
	char buf[64] = "";
	FILE *f = fopen(path, "r");
	long long v = -1;

	if (f) {
		if (fgets(buf, sizeof(buf), f))
			v = strtoll(buf, NULL, 0);
		fclose(f);
	}
	return v;
}

FIXTURE(fz) {
	struct fz_world *w;
	struct fz_ctx main;
};

FIXTURE_SETUP(fz)
{
	const char *slack = getenv("WCT_FUZZ_SLACK");
	struct sigaction sa = { .sa_handler = fz_sigusr1 };
	struct fz_world *w;
	long long ms;

	fz_sh = mmap(NULL, sizeof(*fz_sh), PROT_READ | PROT_WRITE,
		     MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, fz_sh);
	ASSERT_EQ(0, fz_rules_compile()) TH_LOG("a bad line in fz_abi_rules");
	fz_strict = getenv("WCT_FUZZ_STRICT") &&
		    atoi(getenv("WCT_FUZZ_STRICT"));
	fz_trace_all = getenv("WCT_FUZZ_TRACE") &&
		       atoi(getenv("WCT_FUZZ_TRACE"));
	fz_avoid_defer_exit = getenv("WCT_FUZZ_AVOID") &&
			      strstr(getenv("WCT_FUZZ_AVOID"), "defer-exit");
	{
		struct utsname u;
		unsigned int major = 0, minor = 0;

		if (!uname(&u))
			sscanf(u.release, "%u.%u", &major, &minor);
		fz_pre_6_4 = major < 6 || (major == 6 && minor < 4);
	}
	fz_no_async = (getenv("WCT_FUZZ_NO_ASYNC") &&
		       atoi(getenv("WCT_FUZZ_NO_ASYNC"))) ||
		      access(FZ_ASYNC_MARK, F_OK) == 0;
	fz_sh->seed = fz_seed;
	fz_sh->slack_us = (slack && *slack ? strtoull(slack, NULL, 0) : 30) *
			  1000000ull;
	ms = fz_param("/sys/module/wirecap/parameters/max_timeout_ms");
	fz_sh->max_timeout_us = ms > 0 ? ms * 1000 : 1000000;
	sigaction(SIGUSR1, &sa, NULL);	/* no SA_RESTART: calls see EINTR */
	signal(SIGPIPE, SIG_IGN);
	self->w = w = calloc(1, sizeof(*w));
	ASSERT_NE(NULL, w);
	w->seed = fz_seed;
	w->max_timeout_us = fz_sh->max_timeout_us;
	pthread_mutex_init(&w->nic_lock, NULL);
	pthread_mutex_init(&w->ch_lock, NULL);
	w->pages0 = wct_pool_pages();
	ASSERT_GE(w->pages0, 0) TH_LOG("no debugfs pool_pages: wirecap.ko?");
	w->can_unload = getenv("WIRECAP_MODDIR") &&
			!(getenv("WCT_FUZZ_NO_UNLOAD") &&
			  atoi(getenv("WCT_FUZZ_NO_UNLOAD")));
	snprintf(w->softnic_params, sizeof(w->softnic_params),
		 "nr_devices=%lld nr_queues=%lld ring_size=%lld",
		 fz_param("/sys/module/wirecap_softnic/parameters/nr_devices"),
		 fz_param("/sys/module/wirecap_softnic/parameters/nr_queues"),
		 fz_param("/sys/module/wirecap_softnic/parameters/ring_size"));
	self->main.w = w;
	self->main.who = "main";
	self->main.slot = fz_slot_get("main");
	self->main.rng.s = fz_mix(fz_seed);
	fz_log("fuzz_abi: seed %llu (WCT_FUZZ_SEED=%llu replays it), budget "
	       "%llu s, max_timeout_us %u, slack %llu s%s",
	       (unsigned long long)fz_seed, (unsigned long long)fz_seed,
	       (unsigned long long)fz_budget_us / 1000000,
	       fz_sh->max_timeout_us,
	       (unsigned long long)fz_sh->slack_us / 1000000,
	       fz_strict ? ", strict" : "");
	w->deadline_us = fz_t0 + fz_budget_us + 10 * fz_sh->slack_us + 600000000ull;
	pthread_create(&w->watchdog, NULL, fz_watchdog_main, w);
}

FIXTURE_TEARDOWN(fz)
{
	struct fz_world *w = self->w;
	unsigned int i, n = atomic_load(&w->nnics);

	/* whatever is left of ours goes; the VM's softnic comes back */
	for (i = 0; i < n; i++)
		if (atomic_load(&w->nic[i].alive)) {
			atomic_store(&w->nic[i].alive, 0);
			wct_nic_del(w->nic[i].name);
		}
	if (w->reloaded) {
		int ret = wct_module_unload("wirecap_softnic");

		if (!ret)
			ret = wct_module_load("wirecap_softnic.ko",
					      w->softnic_params);
		if (ret)
			fz_log("could not restore wirecap_softnic (%s): %s",
			       w->softnic_params, strerror(-ret));
	}
	atomic_store(&w->watchdog_stop, 1);
	pthread_join(w->watchdog, NULL);
}

static void fz_summary(struct fz_ctx *c)
{
	unsigned int op, arg, hits = 0;

	for (op = 0; op < FZ_NR_OPS; op++)
		for (arg = 0; arg < FZ_NR_ARGS; arg++) {
			unsigned int n = atomic_load(&fz_sh->until_hits[op][arg]);

			if (!n)
				continue;
			hits += n;
			fz_log("allowed until issue 11 section 2: %s (%s) %u "
			       "times", fz_op_name[op], fz_arg_name[arg], n);
		}
	fz_log("seed %llu: %llu operations, %llu calls, %llu children (%llu "
	       "killed), %u old-ABI results, %d failures",
	       (unsigned long long)fz_sh->seed,
	       (unsigned long long)atomic_load(&fz_sh->ops),
	       (unsigned long long)atomic_load(&fz_sh->calls),
	       (unsigned long long)atomic_load(&fz_sh->children),
	       (unsigned long long)atomic_load(&fz_sh->kills), hits,
	       atomic_load(&fz_sh->nfail));
	(void)c;
}

/* One round of chaos; false when there is no time for another. */
static void fz_round(struct fz_ctx *c, uint64_t len_us)
{
	struct fz_world *w = c->w;
	struct fz_wargs args[FZ_WORKERS];
	unsigned int i;

	w->round++;
	fz_sh->round = w->round;
	c->rng.s = fz_mix(w->seed ^ ((uint64_t)w->round << 32));
	fz_round_first = atomic_load(&w->nnics);
	w->reloads = !(w->round % 2);	/* a reload every other round */
	atomic_store(&w->stop, 0);
	atomic_store(&w->pause_inject, 0);
	w->end_us = fz_now() + len_us;
	fz_log("round %u: %llu ms", w->round,
	       (unsigned long long)len_us / 1000);
	fz_nic_add(c);
	if (fz_pct(&c->rng, 60))
		fz_nic_add(c);
	pthread_create(&w->injector, NULL, fz_injector_main, w);
	for (i = 0; i < FZ_WORKERS; i++) {
		args[i].w = w;
		args[i].id = i;
		pthread_create(&w->thr[i], NULL, fz_worker_main, &args[i]);
	}
	while (fz_now() < w->end_us && !atomic_load(&fz_sh->abort))
		fz_sleep_us(50000);
	atomic_store(&w->stop, 1);
	for (i = 0; i < FZ_WORKERS; i++)
		pthread_join(w->thr[i], NULL);
	pthread_join(w->injector, NULL);
	fz_children_reap_all(c);
	if (!atomic_load(&fz_sh->abort))
		fz_round_end(c);
}

/* --- fz.rules: one thread, exact states ------------------------------ */

/* A software NIC of a given shape, no queue open. */
static struct fz_nic *fz_rules_nic(struct fz_ctx *c, unsigned int nq,
				   unsigned int ring)
{
	struct fz_world *w = c->w;
	unsigned int idx = atomic_load(&w->nnics), i;
	struct fz_nic *n = &w->nic[idx];

	if (idx >= FZ_MAX_NICS)
		return NULL;
	memset(n, 0, sizeof(*n));
	n->idx = idx;
	n->nq = nq;
	n->ring = ring;
	if (wct_nic_new(nq, ring, n->name))
		return NULL;
	atomic_store(&n->next_pkt, (uint64_t)idx << 40);
	for (i = 0; i < nq; i++)
		fz_queue_init(n, i);
	atomic_store(&n->alive, 1);
	atomic_store(&w->nnics, idx + 1);
	return n;
}

/* Inject cnt packets into queue ring (never an oversize block). */
static int fz_feed(struct fz_nic *n, unsigned int ring, unsigned int cnt)
{
	while (cnt) {
		uint64_t seq = atomic_load(&n->next_pkt);
		unsigned int k = FZ_BLOCK - seq % FZ_BLOCK;

		if (fz_len_of(seq) > FZ_CELL) {	/* skip the block */
			atomic_store(&n->next_pkt, seq + k);
			continue;
		}
		if (k > cnt)
			k = cnt;
		atomic_store(&n->next_pkt, seq + k);
		if (wct_inject(n->name, ring, k, fz_len_of(seq), seq))
			return -1;
		atomic_fetch_add(&n->injected, k);
		cnt -= k;
	}
	return 0;
}

/* One uring command, reaped at once; its result, or 1 << 30 if none. */
static int fz_uring_one(struct fz_ctx *c, struct fz_ring *r, int fd,
			uint32_t op, const void *payload, unsigned int flags,
			void (*junk)(struct io_uring_sqe *))
{
	struct io_uring_sqe *sqe = fz_sqe(r);
	struct io_uring_cqe *cqe;
	struct __kernel_timespec ts = { 3, 0 };
	int res = 1 << 30;

	if (!sqe)
		return res;
	sqe->opcode = IORING_OP_URING_CMD;
	sqe->fd = fd;
	sqe->cmd_op = op;
	memcpy(sqe->cmd, payload, 16);
	sqe->flags = flags;
	sqe->user_data = FZ_UD_NOISE;
	if (junk)
		junk(sqe);
	fz_begin(c, 5000000, "uring cmd %#x flags %#x", op, flags);
	io_uring_submit(&r->ring);
	if (!io_uring_wait_cqe_timeout(&r->ring, &cqe, &ts)) {
		res = cqe->res;
		io_uring_cqe_seen(&r->ring, cqe);
	}
	fz_end(c, res);
	return res;
}

static void fz_junk_addr(struct io_uring_sqe *s) { s->addr = 0x1000; }
static void fz_junk_len(struct io_uring_sqe *s) { s->len = 64; }
static void fz_junk_bufidx(struct io_uring_sqe *s) { s->buf_index = 3; }
static void fz_junk_fixed(struct io_uring_sqe *s)
{
	s->uring_cmd_flags = IORING_URING_CMD_FIXED;
}
static void fz_junk_pad(struct io_uring_sqe *s) { s->__pad1 = 7; }
static void fz_junk_prio(struct io_uring_sqe *s) { s->ioprio = 1; }
static void fz_junk_cmdflag(struct io_uring_sqe *s)
{
	s->uring_cmd_flags = 1u << 5;
}

/* Everything a queue without a pool must refuse, and how. */
static void fz_rules_detached(struct fz_ctx *c, struct fz_queue *q)
{
	struct wirecap_capture_cmd cc = { .max_descs = 1 };
	struct wirecap_recycle_cmd rc = { .count = 1 };
	struct wirecap_desc d = {};
	unsigned int i;
	void *p;

	rc.descs = (uintptr_t)&d;
	for (i = 0; i < 12; i++)
		fz_op_info(c, q, i & 1);
	for (i = 0; i < 6; i++)
		fz_op_ioctl_junk(c, q);
	fz_judge(c, FZ_DETACH, FZ_A_OK, DET,
		 fz_ioctl(q->fd, WIRECAP_CMD_DETACH, NULL), NULL, "detached");
	fz_judge(c, FZ_CAPTURE, FZ_A_OK, DET,
		 fz_ioctl(q->fd, WIRECAP_CMD_CAPTURE, &cc), NULL, "detached");
	cc.flags = 4;
	fz_judge(c, FZ_CAPTURE, FZ_A_FLAGS, DET,
		 fz_ioctl(q->fd, WIRECAP_CMD_CAPTURE, &cc), NULL, "detached");
	fz_judge(c, FZ_RECYCLE, FZ_A_OK, DET,
		 fz_ioctl(q->fd, WIRECAP_CMD_RECYCLE, &rc), NULL, "detached");
	cc.flags = 0;
	fz_judge(c, FZ_CAPTURE_URING, FZ_A_OK, DET,
		 fz_uring_one(c, c->ring, q->fd, WIRECAP_CMD_CAPTURE, &cc, 0,
			      NULL), NULL, "detached");
	p = mmap(NULL, 4096, PROT_READ, MAP_SHARED, q->fd, 0);
	fz_judge(c, FZ_MMAP_CTRL, FZ_A_OK, DET, fz_mmap_res(p), NULL,
		 "detached");
	if (p != MAP_FAILED)
		munmap(p, 4096);
	p = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, q->fd,
		 1ll << 32);
	fz_judge(c, FZ_MMAP_POOL, FZ_A_OK, DET, fz_mmap_res(p), NULL,
		 "detached");
	if (p != MAP_FAILED)
		munmap(p, 4096);
}

/* desc_head, max_descs, flags, timeouts: exact, one thread. */
static void fz_rules_capture(struct fz_ctx *c, struct fz_queue *q)
{
	struct fz_gen *g = q->gen;
	struct wirecap_capture_cmd cc = { .max_descs = 1 };
	uint64_t t, cap = fz_sh->max_timeout_us;
	long ret;

	fz_settle(c, q);
	cc.desc_head = g->head + 1;	/* beyond the tail */
	fz_judge(c, FZ_CAPTURE, FZ_A_HEAD, ATT,
		 fz_ioctl(q->fd, WIRECAP_CMD_CAPTURE, &cc), NULL, "tail + 1");
	if (g->head) {
		cc.desc_head = g->head - 1;	/* behind what was reported */
		fz_judge(c, FZ_CAPTURE, FZ_A_HEAD, ATT,
			 fz_ioctl(q->fd, WIRECAP_CMD_CAPTURE, &cc), NULL,
			 "head - 1");
	}
	cc.desc_head = g->head;
	cc.max_descs = 0;
	fz_judge(c, FZ_CAPTURE, FZ_A_MAX0, ATT,
		 fz_ioctl(q->fd, WIRECAP_CMD_CAPTURE, &cc), NULL, "max 0");
	cc.max_descs = 1;
	cc.flags = 1u << 31;
	fz_judge(c, FZ_CAPTURE, FZ_A_FLAGS, ATT,
		 fz_ioctl(q->fd, WIRECAP_CMD_CAPTURE, &cc), NULL, "flags");
	cc.flags = 0;
	fz_judge(c, FZ_CAPTURE, FZ_A_FAULT, ATT,
		 fz_ioctl(q->fd, WIRECAP_CMD_CAPTURE, NULL), NULL, "NULL");
	/* timeout 0 never parks; a huge one is capped */
	t = fz_now();
	ret = fz_ioctl(q->fd, WIRECAP_CMD_CAPTURE, &cc);
	fz_judge(c, FZ_CAPTURE, FZ_A_OK, ATT, ret, NULL, "timeout 0");
	if (ret != 0 || fz_now() - t > 500000)
		fz_fail(c, "CAPTURE timeout 0 on an empty pool: %ld after %llu "
			"us", ret, (unsigned long long)(fz_now() - t));
	cc.timeout_us = UINT32_MAX;
	fz_begin(c, cap, "CAPTURE timeout UINT32_MAX");
	t = fz_now();
	ret = fz_ioctl(q->fd, WIRECAP_CMD_CAPTURE, &cc);
	t = fz_now() - t;
	fz_end(c, ret);
	if (ret != 0 || t + 50000 < cap || t > cap + 3000000)
		fz_fail(c, "CAPTURE timeout UINT32_MAX on an empty pool: %ld "
			"after %llu us (max_timeout_us %llu)", ret,
			(unsigned long long)t, (unsigned long long)cap);
	t = fz_now();
	ret = fz_uring_one(c, c->ring, q->fd, WIRECAP_CMD_CAPTURE, &cc, 0,
			   NULL);
	t = fz_now() - t;
	if (ret != 0 || t + 50000 < cap || t > cap + 3000000)
		fz_fail(c, "uring CAPTURE timeout UINT32_MAX on an empty pool: "
			"%ld after %llu us (max_timeout_us %llu)", ret,
			(unsigned long long)t, (unsigned long long)cap);
}

/* The SQE: what io_uring refuses, what the ABI refuses, other rings. */
static void fz_rules_sqe(struct fz_ctx *c, struct fz_queue *q)
{
	static const struct {
		void (*junk)(struct io_uring_sqe *);
		enum fz_arg arg;
		const char *what;
	} v[] = {
		{ fz_junk_addr, FZ_A_SQEFIELD, "addr" },
		{ fz_junk_len, FZ_A_SQEFIELD, "len" },
		{ fz_junk_bufidx, FZ_A_SQEFIELD, "buf_index" },
		{ fz_junk_fixed, FZ_A_SQEFIXED, "fixed buffer flag" },
		{ fz_junk_pad, FZ_A_SQECORE, "__pad1" },
		{ fz_junk_prio, FZ_A_SQECORE, "ioprio" },
		{ fz_junk_cmdflag, FZ_A_SQECORE, "uring_cmd_flags bit 5" },
	};
	struct wirecap_capture_cmd cc = { .max_descs = 1 };
	struct wirecap_recycle_cmd rc = {};
	struct wirecap_xmit_cmd xc = { .tx_fd = fz_devnull() };
	struct fz_ring other;
	unsigned int i;

	fz_settle(c, q);
	cc.desc_head = q->gen->head;
	for (i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		fz_judge(c, FZ_CAPTURE_URING, v[i].arg, ATT,
			 fz_uring_one(c, c->ring, q->fd, WIRECAP_CMD_CAPTURE,
				      &cc, 0, v[i].junk), NULL, v[i].what);
		fz_judge(c, FZ_RECYCLE_URING, v[i].arg, ATT,
			 fz_uring_one(c, c->ring, q->fd, WIRECAP_CMD_RECYCLE,
				      &rc, 0, v[i].junk), NULL, v[i].what);
	}
	fz_judge(c, FZ_XMIT, FZ_A_OK, ATT,
		 fz_uring_one(c, c->ring, q->fd, WIRECAP_CMD_XMIT, &xc, 0,
			      NULL), NULL, "uring");
	fz_judge(c, FZ_URING_UNKNOWN, FZ_A_OK, ATT,
		 fz_uring_one(c, c->ring, q->fd, _IOW(WIRECAP_IOC_MAGIC, 0x33,
						      rc), &rc, 0, NULL), NULL,
		 "nr 0x33");
	if (!fz_ring_init(c, &other, FZ_RING_IOPOLL) &&
	    other.kind == FZ_RING_IOPOLL)
		fz_judge(c, FZ_CAPTURE_URING, FZ_A_IOPOLL, ATT,
			 fz_uring_one(c, &other, q->fd, WIRECAP_CMD_CAPTURE,
				      &cc, 0, NULL), NULL, "IOPOLL ring");
	fz_ring_exit(c, &other, true);
	if (!fz_ring_init(c, &other, FZ_RING_BIG))
		fz_judge(c, FZ_CAPTURE_URING, FZ_A_OK, ATT,
			 fz_uring_one(c, &other, q->fd, WIRECAP_CMD_CAPTURE,
				      &cc, 0, NULL), NULL, "SQE128 ring");
	fz_ring_exit(c, &other, true);
}

/*
 * A CAPTURE or RECYCLE that completes at once, with a count: it must reach
 * its CQE from io-wq too, and it must not fail the request linked after it.
 * A command that never completes cannot be cancelled either: the probe runs
 * in a child that is left alone, its ring open (tearing it down would wait
 * forever and warn after five minutes), and the rest of fz_abi leaves such
 * submissions out.
 */
static void fz_rules_completion(struct fz_ctx *c)
{
	struct fz_world *w = c->w;
	struct fz_nic *n = fz_rules_nic(c, 1, 64);
	struct wirecap_capture_cmd cc = { .max_descs = 4 };
	struct io_uring_sqe *sqe;
	struct io_uring_cqe *cqe;
	struct fz_queue *q;
	struct fz_ring r;
	struct pollfd pfd;
	int pipefd[2], got = 0, res[2] = { 1, 1 }, k;
	char verdict = 0;
	pid_t pid;

	if (!n || fz_ring_init(c, &r, FZ_RING_PLAIN))
		return;
	q = &n->q[0];
	pthread_mutex_lock(&q->mu);
	q->fd = fz_open_queue(c, q, false);
	fz_attach(c, q, true);
	if (q->state != ATT) {
		pthread_mutex_unlock(&q->mu);
		return;
	}
	fz_feed(n, 0, 2 * q->gen->cells);	/* several full chunks */
	/* a CAPTURE that succeeds at once, linked to a NOP */
	cc.desc_head = q->gen->head;
	sqe = fz_sqe(&r);
	sqe->opcode = IORING_OP_URING_CMD;
	sqe->fd = q->fd;
	sqe->cmd_op = WIRECAP_CMD_CAPTURE;
	memcpy(sqe->cmd, &cc, sizeof(cc));
	sqe->flags = IOSQE_IO_LINK;
	sqe->user_data = FZ_UD_NOISE;
	sqe = fz_sqe(&r);
	io_uring_prep_nop(sqe);
	sqe->user_data = FZ_UD_NOISE | 1;
	io_uring_submit(&r.ring);
	for (k = 0; k < 2; k++) {
		struct __kernel_timespec ts = { 3, 0 };

		if (io_uring_wait_cqe_timeout(&r.ring, &cqe, &ts))
			break;
		res[cqe->user_data & 1] = cqe->res;
		io_uring_cqe_seen(&r.ring, cqe);
		got++;
	}
	if (got != 2 || res[0] <= 0 || res[1] != 0)
		fz_fail(c, "a CAPTURE that succeeded at once (res %d) broke its "
			"link: the NOP linked to it got %d (io_uring takes a "
			"positive ->uring_cmd() return for a failure)", res[0],
			res[1]);
	fz_harvest(c, q);
	fz_ring_exit(c, &r, true);
	/* the same from io-wq, a full chunk waiting */
	fz_settle(c, q);
	fz_feed(n, 0, q->gen->m);
	cc.desc_head = q->gen->head;
	if (pipe(pipefd)) {
		pthread_mutex_unlock(&q->mu);
		return;
	}
	pid = fork();
	if (pid == 0) {
		struct __kernel_timespec ts = { 3, 0 };
		struct io_uring ring;
		char v = 'n';

		if (io_uring_queue_init(8, &ring, 0))
			_exit(1);
		sqe = io_uring_get_sqe(&ring);
		if (!sqe)
			_exit(1);
		memset(sqe, 0, sizeof(*sqe));
		sqe->opcode = IORING_OP_URING_CMD;
		sqe->fd = q->fd;
		sqe->cmd_op = WIRECAP_CMD_CAPTURE;
		memcpy(sqe->cmd, &cc, sizeof(cc));
		sqe->flags = IOSQE_ASYNC;
		io_uring_submit(&ring);
		if (!io_uring_wait_cqe_timeout(&ring, &cqe, &ts))
			v = cqe->res > 0 ? 'y' : 'e';
		if (write(pipefd[1], &v, 1) != 1 || v != 'n')
			_exit(0);
		/* keep only the ring, which can never be torn down */
		for (k = 0; k < 1024; k++)
			if (k != ring.ring_fd)
				close(k);
		for (;;)
			pause();
	}
	close(pipefd[1]);
	pfd.fd = pipefd[0];
	pfd.events = POLLIN;
	if (pid > 0 && poll(&pfd, 1, 20000) == 1 &&
	    read(pipefd[0], &verdict, 1) == 1 && verdict == 'n') {
		int fd = open(FZ_ASYNC_MARK, O_CREAT | O_WRONLY, 0644);

		if (fd >= 0)
			close(fd);
		fz_no_async = true;
		fz_fail(c, "CAPTURE through io_uring with IOSQE_ASYNC, full "
			"chunks waiting: no completion in 3 s, yet its views "
			"were published (desc_tail %u): from io-wq a positive "
			"->uring_cmd() result is dropped (6.1 fails only "
			"ret < 0), the command never completes, its ring can "
			"never be torn down, the queue stays open for good. "
			"fz.chaos leaves such submissions out (left behind: "
			"pid %d, holding the ring)", q->gen->hdr ?
			q->gen->hdr->desc_tail : 0, pid);
	} else if (verdict == 'e') {
		fz_fail(c, "CAPTURE through io_uring with IOSQE_ASYNC, full "
			"chunks waiting: failed");
	}
	if (pid > 0 && verdict != 'n')
		waitpid(pid, NULL, 0);
	close(pipefd[0]);
	fz_harvest(c, q);
	pthread_mutex_unlock(&q->mu);
	pthread_mutex_lock(&w->nic_lock);
	fz_nic_remove_locked(c, n);
	pthread_mutex_unlock(&w->nic_lock);
	pthread_mutex_lock(&q->mu);
	fz_queue_close(c, q);
	pthread_mutex_unlock(&q->mu);
}

/*
 * A record of an earlier pool: with the view stamp starting over in each
 * pool it equals a view of the new one, and is taken in its place.
 */
static void fz_rules_stale(struct fz_ctx *c, struct fz_queue *q)
{
	struct wirecap_attach a = {
		.size = sizeof(a), .cells_per_chunk = 16, .nr_chunks = 8,
	};
	struct fz_batch *b;
	long ret;

	fz_settle(c, q);
	fz_detach(c, q);
	ret = fz_do_attach(c, q, q->fd, 16, 8, FZ_A_OK, &a, sizeof(a));
	fz_judge(c, FZ_ATTACH, FZ_A_OK, DET, ret, NULL, "M 16 R 8");
	if (ret)
		return;
	fz_attached(c, q);
	/* the old pool: one view recycled, two left out */
	fz_feed(q->nic, q->ring, 48);
	fz_settle(c, q);
	fz_feed(q->nic, q->ring, 32);
	fz_ioctl(q->fd, WIRECAP_CMD_CAPTURE,
		 &(struct wirecap_capture_cmd){ .desc_head = q->gen->head,
						.max_descs = 8 });
	fz_harvest(c, q);
	fz_detach(c, q);
	ret = fz_do_attach(c, q, q->fd, 16, 8, FZ_A_OK, &a, sizeof(a));
	if (ret)
		return;
	fz_attached(c, q);
	/* the new pool: the same handovers again */
	fz_feed(q->nic, q->ring, 48);
	fz_ioctl(q->fd, WIRECAP_CMD_CAPTURE,
		 &(struct wirecap_capture_cmd){ .desc_head = q->gen->head,
						.max_descs = 8 });
	fz_harvest(c, q);
	b = fz_batch_make(c, q, 3, false);
	if (!b)
		return;
	fz_begin(c, 1000000, "RECYCLE %s-q%u one record (%s)", q->nic->name,
		 q->ring, fz_arg_name[b->arg]);
	ret = fz_ioctl(q->fd, WIRECAP_CMD_RECYCLE,
		       &(struct wirecap_recycle_cmd){
				.descs = (uintptr_t)b->recs, .count = b->count });
	fz_end(c, ret);
	if (b->arg == FZ_A_STALEPOOL && ret > 0)
		fz_log("a record of the previous pool (chunk %u, cells %u+%u, "
		       "stamp %u) was taken for the view that now carries the "
		       "same stamp", b->recs[0].chunk_id, b->recs[0].first_cell,
		       b->recs[0].pkt_count, b->recs[0].seq);
	fz_batch_done(c, b, ret, FZ_RECYCLE);
	fz_batch_free(b);
}

/* Drop a capability from this process (effective and permitted). */
static int fz_drop_cap(int cap)
{
	struct __user_cap_header_struct h = {
		.version = _LINUX_CAPABILITY_VERSION_3,
	};
	struct __user_cap_data_struct d[2];

	if (syscall(SYS_capget, &h, d))
		return -errno;
	d[cap / 32].effective &= ~(1u << (cap % 32));
	d[cap / 32].permitted &= ~(1u << (cap % 32));
	return syscall(SYS_capset, &h, d) ? -errno : 0;
}

/* ATTACH without CAP_NET_ADMIN, open without CAP_NET_RAW: in children. */
static void fz_rules_caps(struct fz_ctx *c, struct fz_queue *q)
{
	char path[96];
	pid_t pid;
	int st, fd;

	pthread_mutex_lock(&q->mu);
	if (q->state == ATT)
		fz_detach(c, q);
	pid = fork();
	if (pid == 0) {
		long ret;

		if (fz_drop_cap(CAP_NET_ADMIN))
			_exit(2);
		ret = fz_ioctl(q->fd, WIRECAP_CMD_ATTACH,
			       &(struct wirecap_attach){ .size = 32 });
		fz_judge(c, FZ_ATTACH, FZ_A_NOCAP, DET, ret, NULL,
			 "without CAP_NET_ADMIN");
		if (!ret)
			ioctl(q->fd, WIRECAP_CMD_DETACH);
		_exit(0);
	}
	waitpid(pid, &st, 0);
	close(q->fd);
	q->fd = -1;
	snprintf(path, sizeof(path), WIRECAP_DEV_DIR "/%s-q%u", q->nic->name,
		 q->ring);
	pid = fork();
	if (pid == 0) {
		if (fz_drop_cap(CAP_NET_RAW))
			_exit(2);
		fd = open(path, O_RDWR);
		fz_judge(c, FZ_OPEN, FZ_A_NOCAP, ANY, fd < 0 ? -errno : 0, NULL,
			 "without CAP_NET_RAW");
		_exit(0);
	}
	waitpid(pid, &st, 0);
	q->fd = fz_open_queue(c, q, true);
	if (q->fd < 0) {
		fz_sleep_us(200000);
		q->fd = fz_open_queue(c, q, false);
	}
	q->state = DET;
	pthread_mutex_unlock(&q->mu);
}

/* The NIC goes with commands parked and views out: -ENODEV, then dead. */
static void fz_rules_removal(struct fz_ctx *c, struct fz_nic *n)
{
	struct fz_queue *q = &n->q[0];
	struct wirecap_capture_cmd cc = { .max_descs = 1, .timeout_us = 900000 };
	struct wirecap_desc d = {};
	struct pollfd pfd;
	unsigned int i;
	int fd, st;
	pid_t pid;
	void *p;

	pthread_mutex_lock(&q->mu);
	if (q->state != ATT)
		fz_attach(c, q, true);
	if (q->state != ATT) {
		pthread_mutex_unlock(&q->mu);
		return;
	}
	fz_settle(c, q);
	fz_feed(n, 0, q->gen->m);	/* a view to keep out */
	fz_ioctl(q->fd, WIRECAP_CMD_CAPTURE,
		 &(struct wirecap_capture_cmd){ .desc_head = q->gen->head,
						.max_descs = 1 });
	fz_harvest(c, q);
	cc.desc_head = q->gen->head;
	fd = q->fd;
	pthread_mutex_unlock(&q->mu);
	for (i = 0; i < 4; i++) {
		struct io_uring_sqe *sqe = fz_sqe(c->ring);

		sqe->opcode = IORING_OP_URING_CMD;
		sqe->fd = fd;
		sqe->cmd_op = WIRECAP_CMD_CAPTURE;
		memcpy(sqe->cmd, &cc, sizeof(cc));
		sqe->user_data = FZ_UD_NOISE | i;
	}
	io_uring_submit(&c->ring->ring);
	pid = fork();
	if (pid == 0) {	/* and one sleeping in the ioctl */
		long ret = fz_ioctl(fd, WIRECAP_CMD_CAPTURE, &cc);

		_exit(ret == -ENODEV ? 0 : 10 + (int)-ret);
	}
	fz_sleep_us(200000);
	pthread_mutex_lock(&c->w->nic_lock);
	fz_nic_remove_locked(c, n);
	pthread_mutex_unlock(&c->w->nic_lock);
	for (i = 0; i < 4; i++) {
		struct __kernel_timespec ts = { 3, 0 };
		struct io_uring_cqe *cqe;

		if (io_uring_wait_cqe_timeout(&c->ring->ring, &cqe, &ts)) {
			fz_fail(c, "a CAPTURE parked when its NIC went never "
				"completed");
			break;
		}
		if (cqe->res != -ENODEV)
			fz_fail(c, "a CAPTURE parked when its NIC went completed "
				"with %d, not -ENODEV", cqe->res);
		io_uring_cqe_seen(&c->ring->ring, cqe);
	}
	waitpid(pid, &st, 0);
	if (!WIFEXITED(st) || WEXITSTATUS(st))
		fz_fail(c, "an ioctl CAPTURE asleep when its NIC went: status "
			"%#x (10 + errno)", st);
	/* dead: everything but INFO, STATS, poll and close says -ENODEV */
	for (i = 0; i < 6; i++)
		fz_op_info(c, q, i & 1);
	pthread_mutex_lock(&q->mu);
	fz_judge(c, FZ_ATTACH, FZ_A_OK, DEAD,
		 fz_ioctl(fd, WIRECAP_CMD_ATTACH,
			  &(struct wirecap_attach){ .size = 32 }), NULL, "dead");
	fz_judge(c, FZ_DETACH, FZ_A_OK, DEAD,
		 fz_ioctl(fd, WIRECAP_CMD_DETACH, NULL), NULL, "dead");
	fz_judge(c, FZ_CAPTURE, FZ_A_OK, DEAD,
		 fz_ioctl(fd, WIRECAP_CMD_CAPTURE, &cc), NULL, "dead");
	fz_judge(c, FZ_RECYCLE, FZ_A_OK, DEAD,
		 fz_ioctl(fd, WIRECAP_CMD_RECYCLE,
			  &(struct wirecap_recycle_cmd){
				.descs = (uintptr_t)&d, .count = 1 }), NULL,
		 "dead");
	fz_judge(c, FZ_CAPTURE_URING, FZ_A_OK, DEAD,
		 fz_uring_one(c, c->ring, fd, WIRECAP_CMD_CAPTURE, &cc, 0,
			      NULL), NULL, "dead");
	p = mmap(NULL, 4096, PROT_READ, MAP_SHARED, fd, 0);
	fz_judge(c, FZ_MMAP_CTRL, FZ_A_OK, DEAD, fz_mmap_res(p), NULL, "dead");
	if (p != MAP_FAILED)
		munmap(p, 4096);
	pfd.fd = fd;
	pfd.events = POLLIN;
	if (poll(&pfd, 1, 0) != 1 || !(pfd.revents & (POLLERR | POLLHUP)))
		fz_fail(c, "poll on a dead queue: revents %#x", pfd.revents);
	fz_queue_close(c, q);
	pthread_mutex_unlock(&q->mu);
	pthread_mutex_lock(&n->q[1].mu);
	fz_queue_close(c, &n->q[1]);
	pthread_mutex_unlock(&n->q[1].mu);
	fz_judge(c, FZ_OPEN, FZ_A_GONE, ANY, fz_open_queue(c, q, false) < 0 ?
		 -errno : 0, NULL, "after removal");
}

TEST_F_TIMEOUT(fz, rules, 900)
{
	struct fz_ctx *c = &self->main;
	struct fz_world *w = self->w;
	struct fz_ring ring;
	struct fz_queue *q;
	struct fz_nic *n;
	struct wirecap_stats st;
	unsigned int i;
	long long pages;

	if (fz_skip("rules"))
		SKIP(return, "WCT_FUZZ_ONLY");
	unlink(FZ_ASYNC_MARK);
	fz_no_async = getenv("WCT_FUZZ_NO_ASYNC") &&
		      atoi(getenv("WCT_FUZZ_NO_ASYNC"));
	c->ring = &ring;
	ASSERT_EQ(0, fz_ring_init(c, &ring, FZ_RING_PLAIN));
	/* first: whether async submissions can be used at all */
	fz_rules_completion(c);
	n = fz_rules_nic(c, 2, 64);
	ASSERT_NE(NULL, n);
	q = &n->q[0];
	pthread_mutex_lock(&q->mu);
	q->fd = fz_open_queue(c, q, false);
	ASSERT_GE(q->fd, 0);
	pthread_mutex_unlock(&q->mu);
	fz_judge(c, FZ_OPEN, FZ_A_BUSY, ANY, fz_open_queue(c, q, true) >= 0 ?
		 0 : -EBUSY, NULL, "second open");
	pthread_mutex_lock(&n->q[1].mu);
	n->q[1].fd = fz_open_queue(c, &n->q[1], false);
	pthread_mutex_unlock(&n->q[1].mu);

	fz_rules_detached(c, q);
	/* every kind of bad ATTACH, and good ones undone */
	for (i = 0; i < 40; i++) {
		pthread_mutex_lock(&q->mu);
		fz_attach(c, q, i % 5 == 4);
		if (q->state == ATT && i < 39)
			fz_detach(c, q);
		pthread_mutex_unlock(&q->mu);
	}
	pthread_mutex_lock(&q->mu);
	/* a valid ATTACH may be an older, too short struct (EINVAL) */
	for (i = 0; i < 20 && q->state != ATT; i++)
		fz_attach(c, q, true);
	ASSERT_EQ(ATT, q->state);
	pthread_mutex_unlock(&q->mu);
	for (i = 0; i < 30; i++)
		fz_op_info(c, q, i & 1);
	for (i = 0; i < 60; i++)
		fz_op_mmap(c, q);
	pthread_mutex_lock(&q->mu);
	fz_rules_capture(c, q);
	fz_rules_sqe(c, q);
	pthread_mutex_unlock(&q->mu);
	/* views to give back, and records that must be refused */
	fz_feed(n, 0, 3 * q->gen->cells / 2);
	for (i = 0; i < 150; i++) {
		if (i % 10 == 0) {
			fz_op_capture_uring(c, q, 1 + i % 4, false);
			fz_feed(n, 0, q->gen ? q->gen->m : 16);
		}
		fz_op_recycle(c, q);
		if (i % 7 == 0)
			fz_op_ioctl_junk(c, q);
		if (i % 11 == 0)
			fz_op_uring_junk(c, q);
		fz_reap(c, &ring, 0);
	}
	fz_reap_all(c, &ring);
	pthread_mutex_lock(&q->mu);
	fz_settle(c, q);
	fz_rules_stale(c, q);
	fz_calibrate(c, q);
	fz_check_counters(c, q, &st);
	pthread_mutex_unlock(&q->mu);
	fz_rules_caps(c, &n->q[1]);
	fz_rules_removal(c, n);
	fz_ring_exit(c, &ring, true);
	pages = wct_pool_pages();
	if (pages != w->pages0)
		fz_fail(c, "pool pages %lld, %lld before the test", pages,
			w->pages0);
	fz_summary(c);
	EXPECT_EQ(0, atomic_load(&fz_sh->nfail)) {
		unsigned int k, m = atomic_load(&fz_sh->nmsg);

		for (k = 0; k < m && k < 16; k++)
			TH_LOG("%s", fz_sh->msg[k]);
		TH_LOG("replay with WCT_FUZZ_SEED=%llu",
		       (unsigned long long)fz_seed);
	}
}

/*
 * The DETACH race on its own, on queues nobody injects into (a parked
 * command can then only end by DETACH, NIC removal or its timeout): see
 * fz_race() and fz_race_check().
 */
TEST_F_TIMEOUT(fz, detach_race, 900)
{
	struct fz_ctx *c = &self->main;
	struct fz_world *w = self->w;
	uint64_t left = fz_t0 + fz_budget_us > fz_now() ?
			fz_t0 + fz_budget_us - fz_now() : 0;
	uint64_t end = fz_now() + (left / 6 > 4000000 ? left / 6 : 4000000);
	unsigned int rounds = 0;
	struct fz_ring ring;
	long long pages;

	if (fz_skip("detach_race"))
		SKIP(return, "WCT_FUZZ_ONLY");
	c->rng.s = fz_mix(fz_seed ^ 0x72616365);
	c->ring = &ring;
	ASSERT_EQ(0, fz_ring_init(c, &ring, FZ_RING_PLAIN));
	while (fz_now() < end && !atomic_load(&fz_sh->abort)) {
		struct wirecap_attach a = {
			.size = sizeof(a), .cells_per_chunk = 16, .nr_chunks = 8,
		};
		struct fz_nic *n = fz_rules_nic(c, 1, 64);
		struct fz_queue *q;
		bool kill = fz_pct(&c->rng, 50);

		if (!n)
			break;
		fz_round_first = n->idx;
		q = &n->q[0];
		pthread_mutex_lock(&q->mu);
		q->fd = fz_open_queue(c, q, false);
		if (q->fd >= 0 && !fz_ioctl(q->fd, WIRECAP_CMD_ATTACH, &a))
			fz_attached(c, q);
		pthread_mutex_unlock(&q->mu);
		rounds++;
		if (!fz_race(c, q, 300000 + fz_below(&c->rng, 300000),
			     fz_pct(&c->rng, 50), kill)) {
			/* or the NIC goes with the commands parked */
			struct fz_partner pt = {
				.w = w, .q = q, .seed = fz_rand(&c->rng),
			};
			pthread_t t;

			pthread_mutex_lock(&q->mu);
			if (q->state != ATT && q->fd >= 0 &&
			    !fz_ioctl(q->fd, WIRECAP_CMD_ATTACH, &a))
				fz_attached(c, q);
			pthread_mutex_unlock(&q->mu);
			if (!pthread_create(&t, NULL, fz_partner_main, &pt)) {
				fz_sleep_us(20000 + fz_below(&c->rng, 50000));
				pthread_mutex_lock(&w->nic_lock);
				fz_nic_remove_locked(c, n);
				pthread_mutex_unlock(&w->nic_lock);
				fz_sleep_us(fz_below(&c->rng, 20000));
				atomic_store(&pt.stop, 1);
				pthread_join(t, NULL);
			}
		}
		pthread_mutex_lock(&q->mu);
		fz_queue_close(c, q);
		pthread_mutex_unlock(&q->mu);
		if (atomic_load(&n->alive)) {
			pthread_mutex_lock(&w->nic_lock);
			fz_nic_remove_locked(c, n);
			pthread_mutex_unlock(&w->nic_lock);
		}
		if (kill) {
			/* a new queue where the freed one was, its timer armed */
			struct fz_nic *n2 = fz_rules_nic(c, 1, 64);

			if (n2) {
				struct fz_queue *q2 = &n2->q[0];
				struct wirecap_capture_cmd cc = {
					.max_descs = 1, .timeout_us = 200000,
				};

				pthread_mutex_lock(&q2->mu);
				q2->fd = fz_open_queue(c, q2, false);
				if (q2->fd >= 0 &&
				    !fz_ioctl(q2->fd, WIRECAP_CMD_ATTACH, &a)) {
					fz_attached(c, q2);
					fz_uring_one(c, c->ring, q2->fd,
						     WIRECAP_CMD_CAPTURE, &cc, 0,
						     NULL);
				}
				fz_queue_close(c, q2);
				pthread_mutex_unlock(&q2->mu);
				pthread_mutex_lock(&w->nic_lock);
				fz_nic_remove_locked(c, n2);
				pthread_mutex_unlock(&w->nic_lock);
			}
		}
	}
	fz_ring_exit(c, &ring, true);
	fz_sleep_us(fz_sh->max_timeout_us + 200000);	/* stray timers fire */
	pages = wct_pool_pages();
	if (pages != w->pages0)
		fz_fail(c, "pool pages %lld, %lld before the test", pages,
			w->pages0);
	fz_log("%u race rounds, %llu detector hits", rounds,
	       (unsigned long long)atomic_load(&fz_sh->races));
	EXPECT_EQ(0, atomic_load(&fz_sh->nfail)) {
		unsigned int k, m = atomic_load(&fz_sh->nmsg);

		for (k = 0; k < m && k < 16; k++)
			TH_LOG("%s", fz_sh->msg[k]);
		TH_LOG("replay with WCT_FUZZ_SEED=%llu",
		       (unsigned long long)fz_seed);
	}
}

TEST_F_TIMEOUT(fz, chaos, 7200)
{
	struct fz_ctx *c = &self->main;
	uint64_t end = fz_t0 + fz_budget_us, round_us;

	if (fz_skip("chaos"))
		SKIP(return, "WCT_FUZZ_ONLY");
	/* rounds of 5-10 s, with about 4 s for the checks of each */
	while (!atomic_load(&fz_sh->abort)) {
		uint64_t left = end > fz_now() ? end - fz_now() : 0;

		if (left < 6000000 && self->w->round)
			break;
		round_us = left > 14000000 ? 10000000 :
			   left > 9000000 ? left - 4000000 : 5000000;
		fz_round(c, round_us);
	}
	fz_summary(c);
	EXPECT_EQ(0, atomic_load(&fz_sh->nfail)) {
		unsigned int i, n = atomic_load(&fz_sh->nmsg);

		for (i = 0; i < n && i < 16; i++)
			TH_LOG("%s", fz_sh->msg[i]);
		TH_LOG("replay with WCT_FUZZ_SEED=%llu",
		       (unsigned long long)fz_seed);
	}
}

TEST_HARNESS_MAIN
