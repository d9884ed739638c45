/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The subcommands of the `wirecap` tool, one file each, and what the
 * capturing ones (capture, profile, handler, forward) share:
 * tools/common.c.
 */
#ifndef WIRECAP_TOOLS_H
#define WIRECAP_TOOLS_H

#include <getopt.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "wirecap.h"

#ifndef WIRECAP_VERSION
#define WIRECAP_VERSION "unknown"
#endif

/* argv[0..argc) joined by blanks (a filter expression); NULL: no memory */
char *tool_join_words(int argc, char **argv);

int cmd_capture(int argc, char **argv);
int cmd_stats(int argc, char **argv);
int cmd_profile(int argc, char **argv);
int cmd_handler(int argc, char **argv);
int cmd_forward(int argc, char **argv);
int cmd_exec(int argc, char **argv);

/* --- shared by the capturing subcommands (tools/common.c) ---------------- */

#define TOOL_MAX_NICS	8
#define TOOL_MAX_QUEUES	256
#define TOOL_QNAME_LEN	64	/* "IFNAME-qN" and its NUL */

/*
 * What a session opens, and how: -i (repeatable: several NICs, one
 * session; none: $WIRECAP_IF), -q, -M, -R, --cell-size, --threads,
 * --timeout-us, -v.
 */
struct tool_session {
	const char *ifnames[TOOL_MAX_NICS];
	unsigned int nnics;
	unsigned int queues[TOOL_MAX_QUEUES];	/* of the first NIC */
	unsigned int nq;			/* 0: all of them */
	struct wirecap_opts opts;		/* a subcommand adds its own */
	bool verbose;				/* -v: all the library logs */
};

/*
 * When reading stops: -c, --duration, --until-file with --idle-ms; and,
 * after tool_stop_on_signals(), SIGINT or SIGTERM.
 */
struct tool_stop {
	uint64_t count;		/* packets; 0: no limit */
	double duration;	/* seconds; 0: no limit */
	const char *until_file;
	unsigned int idle_ms;
};

/*
 * The shared options, for a subcommand's getopt_long() tables: the short
 * ones first in its optstring, the long ones first in its option array
 * (its own long-only options take values from TOOL_OPT_OWN on).
 */
enum {
	TOOL_OPT_DURATION = 256,
	TOOL_OPT_UNTIL_FILE,
	TOOL_OPT_IDLE_MS,
	TOOL_OPT_THREADS,
	TOOL_OPT_TIMEOUT_US,
	TOOL_OPT_CELL_SIZE,
	TOOL_OPT_OWN,
};

#define TOOL_SHORT_OPTS	"i:q:c:M:R:v"

#define TOOL_LONG_OPTS							\
	{ "interface", required_argument, NULL, 'i' },			\
	{ "queues", required_argument, NULL, 'q' },			\
	{ "count", required_argument, NULL, 'c' },			\
	{ "duration", required_argument, NULL, TOOL_OPT_DURATION },	\
	{ "until-file", required_argument, NULL, TOOL_OPT_UNTIL_FILE },	\
	{ "idle-ms", required_argument, NULL, TOOL_OPT_IDLE_MS },	\
	{ "threads", required_argument, NULL, TOOL_OPT_THREADS },	\
	{ "timeout-us", required_argument, NULL, TOOL_OPT_TIMEOUT_US },	\
	{ "cell-size", required_argument, NULL, TOOL_OPT_CELL_SIZE },	\
	{ "verbose", no_argument, NULL, 'v' }

/* Their lines in a usage text (no '%': it goes into a printf format). */
#define TOOL_USAGE_SESSION						\
"  -i IFNAME        NIC (default: $WIRECAP_IF); repeat for more NICs,\n" \
"                   all in one session\n" \
"  -q, --queues L   queues of the first NIC, e.g. 0,2-3 (default: all)\n" \
"  -M, -R           cells per chunk, chunks per queue (driver defaults)\n" \
"  --cell-size B    bytes per cell, a size the NIC takes (2048); longer\n" \
"                   frames span cells where the NIC can\n" \
"  --threads N      capture threads (default: one per CPU, at most one\n" \
"                   per queue)\n" \
"  --timeout-us N   partial chunks are delivered after N us (10000)\n" \
"  -v, --verbose    also the library's informational messages\n"

#define TOOL_USAGE_STOP							\
"  -c COUNT         stop after COUNT packets\n" \
"  --duration SECS  stop after SECS seconds\n" \
"  --until-file P   once P exists, stop when no packet came for --idle-ms\n" \
"  --idle-ms N      (default 500)\n"

/* Defaults before the options: no limits, --idle-ms 500. */
void tool_init(struct tool_session *s, struct tool_stop *st);

/*
 * Inside a getopt_long() loop: take opt (with its argument arg) if it is a
 * shared option. 1: taken; 0: not a shared option; -1: a bad value, after
 * a message on stderr starting with prog.
 */
int tool_common_opt(struct tool_session *s, struct tool_stop *st,
		    const char *prog, int opt, const char *arg);

/*
 * After the options: no -i means $WIRECAP_IF. 0, or -1 after a message
 * when there is no interface at all.
 */
int tool_session_check(struct tool_session *s, const char *prog);

/* s as a library session, queues opened; NULL after a message. */
struct wirecap *tool_open(const struct tool_session *s, const char *prog);

/*
 * Queue q as per-queue output names it: with one NIC, its ring
 * after prefix ("3", "q3"); with several, "IFNAME-qN". Returns buf.
 */
const char *tool_queue_name(const struct tool_session *s,
			    const struct wirecap_queue *q, const char *prefix,
			    char buf[TOOL_QNAME_LEN]);

/* A whole number from 0 to max (decimal, 0x hex, 0 octal) into *v. 0 or -1. */
int tool_uint(const char *s, unsigned long long max, unsigned long long *v);

/*
 * "PROG: bad value for -c: ARG" (or --NAME, from longopts, for a long-only
 * option). Returns -1.
 */
int tool_bad_value(const char *prog, const struct option *longopts, int opt,
		   const char *arg);

/* CLOCK_MONOTONIC in nanoseconds. */
uint64_t tool_now_ns(void);

/*
 * From now on SIGINT and SIGTERM do not kill: they make tool_watch_due()
 * say stop (and interrupt waits with -EINTR).
 */
void tool_stop_on_signals(void);

/* The stop conditions of one run, as time goes on. */
struct tool_watch {
	uint64_t t0;		/* ns: the start */
	uint64_t last;		/* ns: when pkts last changed, or t0 */
	uint64_t pkts;		/* packets so far, at the last check */
	uint64_t file_at;	/* ns: when the until-file was first seen */
	bool file_seen;
};

void tool_watch_start(struct tool_watch *wt);

/*
 * Whether to stop now, given the packets read so far: a signal came; the
 * count is reached; the duration is over; or the until-file exists and no
 * packet came for idle-ms since it appeared or since the last packet,
 * whichever is later.
 */
bool tool_watch_due(const struct tool_stop *st, struct tool_watch *wt,
		    uint64_t pkts);

/* Seconds since tool_watch_start(). */
double tool_watch_secs(const struct tool_watch *wt);

/* Whether SIGINT or SIGTERM came since tool_stop_on_signals(). */
bool tool_signalled(void);

/* --- text for other programs (tools/common.c) ---------------------------- */

/*
 * s as a JSON string, quotes included. Interface names may hold any byte
 * but '/', ':', NUL and white space: '"', '\' and control characters are
 * escaped, and a byte that is not part of valid UTF-8 becomes U+FFFD, so
 * the output is valid JSON for any name.
 */
void tool_json_str(FILE *f, const char *s);

/*
 * s as an OpenMetrics label value, quotes included: '\', '"' and newline
 * escaped, invalid UTF-8 as U+FFFD.
 */
void tool_label_str(FILE *f, const char *s);

#endif
