// SPDX-License-Identifier: BSD-2-Clause
/*
 * What the capturing subcommands of `wirecap` (capture, profile, handler,
 * forward) share, so that they take the same options the same way and
 * stop the same way:
 *
 *   session   -i IFNAME (repeatable: several NICs, one session; default
 *             $WIRECAP_IF), -q LIST (queues of the first NIC), -M, -R,
 *             --cell-size, --threads, --timeout-us, -v; opened by
 *             tool_open()
 *   stop      -c COUNT, --duration SECS, --until-file PATH with
 *             --idle-ms N (500), SIGINT/SIGTERM; checked by the watch
 *
 * Each subcommand parses its own options in its own getopt_long() loop
 * and hands every option to tool_common_opt() first. Messages go to
 * stderr, prefixed with the subcommand's name; bad usage is the caller's
 * exit 2, a failure to open its exit 1.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "tools.h"

static const struct option common_opts[] = {
	TOOL_LONG_OPTS,
	{ NULL, 0, NULL, 0 },
};

int tool_uint(const char *s, unsigned long long max, unsigned long long *v)
{
	char *end;

	if (!s || *s < '0' || *s > '9')
		return -1;
	errno = 0;
	*v = strtoull(s, &end, 0);
	return errno || *end || *v > max ? -1 : 0;
}

int tool_bad_value(const char *prog, const struct option *longopts, int opt,
		   const char *arg)
{
	const struct option *o;

	if (opt < 256) {
		fprintf(stderr, "%s: bad value for -%c: %s\n", prog, opt, arg);
		return -1;
	}
	for (o = longopts; o && o->name; o++)
		if (o->val == opt)
			break;
	fprintf(stderr, "%s: bad value for --%s: %s\n", prog,
		o && o->name ? o->name : "?", arg);
	return -1;
}

void tool_init(struct tool_session *s, struct tool_stop *st)
{
	memset(s, 0, sizeof(*s));
	s->opts.sz = sizeof(s->opts);
	memset(st, 0, sizeof(*st));
	st->idle_ms = 500;
}

/* An unsigned int option of at most max into *v. 1, or -1 after a message. */
static int uint_opt(const char *prog, int opt, const char *arg,
		    unsigned long long max, unsigned int *v)
{
	unsigned long long n;

	if (tool_uint(arg, max, &n))
		return tool_bad_value(prog, common_opts, opt, arg);
	*v = (unsigned int)n;
	return 1;
}

int tool_common_opt(struct tool_session *s, struct tool_stop *st,
		    const char *prog, int opt, const char *arg)
{
	unsigned long long v;
	char *end;
	int n;

	switch (opt) {
	case 'i':
		if (s->nnics == TOOL_MAX_NICS) {
			fprintf(stderr, "%s: -i %s: more than %d NICs\n", prog,
				arg, TOOL_MAX_NICS);
			return -1;
		}
		s->ifnames[s->nnics++] = arg;
		return 1;
	case 'q':
		n = wirecap_parse_queues(arg, s->queues, TOOL_MAX_QUEUES);
		if (n < 0) {
			fprintf(stderr, "%s: -q %s: %s\n", prog, arg,
				n == -E2BIG ? "too many queues" :
				"expected a list like 0,2-3");
			return -1;
		}
		s->nq = n;
		return 1;
	case 'M':
		return uint_opt(prog, opt, arg, 1u << 20,
				&s->opts.cells_per_chunk);
	case 'R':
		return uint_opt(prog, opt, arg, 1u << 24, &s->opts.nr_chunks);
	case TOOL_OPT_CELL_SIZE:
		/* the kernel says which sizes the NIC takes: 2^n all */
		if (uint_opt(prog, opt, arg, 1u << 16,
			     &s->opts.cell_size) < 0)
			return -1;
		if (!s->opts.cell_size ||
		    (s->opts.cell_size & (s->opts.cell_size - 1)))
			return tool_bad_value(prog, common_opts, opt, arg);
		return 1;
	case TOOL_OPT_THREADS:
		return uint_opt(prog, opt, arg, 4096, &s->opts.capture_threads);
	case TOOL_OPT_TIMEOUT_US:
		return uint_opt(prog, opt, arg, 1u << 30, &s->opts.timeout_us);
	case 'v':
		s->verbose = true;
		return 1;
	case 'c':
		if (tool_uint(arg, ~0ull, &v) || !v)
			return tool_bad_value(prog, common_opts, opt, arg);
		st->count = v;
		return 1;
	case TOOL_OPT_DURATION:
		st->duration = strtod(arg, &end);
		if (*end || !(st->duration > 0))
			return tool_bad_value(prog, common_opts, opt, arg);
		return 1;
	case TOOL_OPT_UNTIL_FILE:
		st->until_file = arg;
		return 1;
	case TOOL_OPT_IDLE_MS:
		return uint_opt(prog, opt, arg, 1u << 30, &st->idle_ms);
	}
	return 0;
}

int tool_session_check(struct tool_session *s, const char *prog)
{
	const char *env = getenv("WIRECAP_IF");

	if (!s->nnics && env && *env)
		s->ifnames[s->nnics++] = env;
	if (!s->nnics || !*s->ifnames[0]) {
		fprintf(stderr, "%s: no interface: -i IFNAME\n", prog);
		return -1;
	}
	return 0;
}

/* The library's messages: errors and warnings, or everything (-v). */
static void log_some(void *ctx, int level, const char *msg)
{
	if (level <= WIRECAP_LOG_WARNING)
		fprintf(stderr, "wirecap: %s\n", msg);
}

static void log_all(void *ctx, int level, const char *msg)
{
	fprintf(stderr, "wirecap: %s\n", msg);
}

struct wirecap *tool_open(const struct tool_session *s, const char *prog)
{
	struct wirecap_opts opts = s->opts;
	struct wirecap *w;
	unsigned int i;
	int ret;

	opts.log = s->verbose ? log_all : log_some;
	w = wirecap_open(s->ifnames[0], s->nq ? s->queues : NULL, s->nq,
			 &opts);
	if (!w) {
		fprintf(stderr, "%s: %s: %s\n", prog, s->ifnames[0],
			strerror(errno));
		return NULL;
	}
	for (i = 1; i < s->nnics; i++) {
		ret = wirecap_add_nic(w, s->ifnames[i], NULL, 0);
		if (ret) {
			fprintf(stderr, "%s: %s: %s\n", prog, s->ifnames[i],
				strerror(-ret));
			wirecap_close(w);
			return NULL;
		}
	}
	return w;
}

const char *tool_queue_name(const struct tool_session *s,
			    const struct wirecap_queue *q, const char *prefix,
			    char buf[TOOL_QNAME_LEN])
{
	if (s->nnics > 1)
		snprintf(buf, TOOL_QNAME_LEN, "%s-q%u",
			 wirecap_queue_ifname(q), wirecap_queue_ring(q));
	else
		snprintf(buf, TOOL_QNAME_LEN, "%s%u", prefix,
			 wirecap_queue_ring(q));
	return buf;
}

/* --- the stop watch ------------------------------------------------------ */

static volatile sig_atomic_t got_signal;

static void on_signal(int sig)
{
	got_signal = sig;
}

void tool_stop_on_signals(void)
{
	struct sigaction sa = { .sa_handler = on_signal };

	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
}

uint64_t tool_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

void tool_watch_start(struct tool_watch *wt)
{
	memset(wt, 0, sizeof(*wt));
	wt->t0 = wt->last = tool_now_ns();
}

bool tool_watch_due(const struct tool_stop *st, struct tool_watch *wt,
		    uint64_t pkts)
{
	uint64_t now, quiet_since;

	if (got_signal || (st->count && pkts >= st->count))
		return true;
	now = tool_now_ns();
	if (pkts != wt->pkts) {
		wt->pkts = pkts;
		wt->last = now;
	}
	if (st->duration && now - wt->t0 >= st->duration * 1e9)
		return true;
	if (!st->until_file)
		return false;
	if (!wt->file_seen && access(st->until_file, F_OK) == 0) {
		wt->file_seen = true;
		wt->file_at = now;
	}
	if (!wt->file_seen)
		return false;
	quiet_since = wt->last > wt->file_at ? wt->last : wt->file_at;
	return now - quiet_since >= st->idle_ms * 1000000ull;
}

double tool_watch_secs(const struct tool_watch *wt)
{
	return (tool_now_ns() - wt->t0) / 1e9;
}

bool tool_signalled(void)
{
	return got_signal;
}

/* --- text for other programs -------------------------------------------- */

/* The length of the valid UTF-8 sequence at s, 0 if it is not one. */
static size_t utf8_len(const unsigned char *s)
{
	size_t n, i;
	uint32_t cp;

	if (s[0] < 0x80)
		return 1;
	if (s[0] >= 0xc2 && s[0] <= 0xdf)
		n = 2, cp = s[0] & 0x1f;
	else if (s[0] >= 0xe0 && s[0] <= 0xef)
		n = 3, cp = s[0] & 0x0f;
	else if (s[0] >= 0xf0 && s[0] <= 0xf4)
		n = 4, cp = s[0] & 0x07;
	else
		return 0;
	for (i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80)	/* also stops at the NUL */
			return 0;
		cp = cp << 6 | (s[i] & 0x3f);
	}
	/* overlong forms, surrogates, beyond U+10FFFF */
	if ((n == 3 && cp < 0x800) || (n == 4 && cp < 0x10000) ||
	    (cp >= 0xd800 && cp <= 0xdfff) || cp > 0x10ffff)
		return 0;
	return n;
}

/* s quoted; json: JSON's escapes, else OpenMetrics' (\\, \", \n). */
static void quoted(FILE *f, const char *str, bool json)
{
	const unsigned char *s = (const unsigned char *)str;
	size_t n;

	fputc('"', f);
	while (*s) {
		n = utf8_len(s);
		if (!n) {
			fputs("\xef\xbf\xbd", f);	/* U+FFFD */
			s++;
		} else if (*s == '"' || *s == '\\') {
			fprintf(f, "\\%c", *s++);
		} else if (*s == '\n') {
			fputs("\\n", f);
			s++;
		} else if (*s < 0x20 && json) {
			fprintf(f, "\\u%04x", *s++);
		} else {
			fwrite(s, 1, n, f);
			s += n;
		}
	}
	fputc('"', f);
}

void tool_json_str(FILE *f, const char *s)
{
	quoted(f, s, true);
}

void tool_label_str(FILE *f, const char *s)
{
	quoted(f, s, false);
}

/* The words left after the options, as one filter (tcpdump's way). */
char *tool_join_words(int argc, char **argv)
{
	size_t len = 1;
	char *s;
	int i;

	for (i = 0; i < argc; i++)
		len += strlen(argv[i]) + 1;
	s = calloc(1, len);
	for (i = 0; s && i < argc; i++) {
		if (i)
			strcat(s, " ");
		strcat(s, argv[i]);
	}
	return s;
}
