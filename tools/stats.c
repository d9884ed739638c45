// SPDX-License-Identifier: BSD-2-Clause
/*
 * wirecap stats: the counters of every WireCAP queue that has a pool
 * attached (or of every queue with --all), from sysfs
 * (/sys/class/wirecap/<ifname>-q<N>/stats/): nothing is opened, so it
 * works beside the program that captures.
 *
 *   wirecap stats [-i IFNAME] [--all] [--json | --openmetrics]
 *   wirecap stats [-i IFNAME] [--all] --listen [ADDR]:PORT
 *
 * The table shows the counters a user watches; --json gives every counter
 * the kernel exports, by its sysfs name; --openmetrics every counter in
 * the OpenMetrics text format (a family per counter, wirecap_<name>, with
 * the labels ifname, queue and node, the queue's device name: unique where
 * interface names are not, across network namespaces), and --listen
 * serves the same at /metrics over HTTP for Prometheus, read afresh for
 * each scrape, until SIGINT or SIGTERM; a client has 5 s for its request
 * and the answer, one at a time. $WIRECAP_SYSFS reads another directory in place of
 * /sys/class/wirecap (a copy of one, or a test's). Exit 0, 1 on errors,
 * 2 on usage.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <getopt.h>
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "tools.h"

#define CLASS_DIR	"/sys/class/wirecap"
#define PROG		"wirecap stats"

static const char *const table_cols[] = {
	"received", "delivered", "capture_drops", "partial_views",
	"recycle_refused", "pool_high_water",
};

/*
 * The OpenMetrics families: the kernel's counters (stats/, as
 * uapi/linux/wirecap.h describes them) and two gauges of the queue
 * directory itself. A counter the kernel adds later is served too, with
 * a generic help text.
 */
static const struct family {
	const char *name;
	bool gauge;
	bool queue_dir;		/* a file of the queue, not of stats/ */
	const char *help;
} families[] = {
	{ "received", false, false, "Packets the NIC placed in cells" },
	{ "capture_drops", false, false,
	  "Packets the NIC could not place (no free cell)" },
	{ "oversize_drops", false, false,
	  "Frames longer than a cell can hold" },
	{ "delivered", false, false,
	  "Packets handed to user space in views" },
	{ "chunks_captured", false, false,
	  "Views that completed a chunk" },
	{ "partial_views", false, false,
	  "Views handed out before their chunk was full" },
	{ "chunks_recycled", false, false, "Chunks returned to the pool" },
	{ "recycle_refused", false, false, "RECYCLE records refused" },
	{ "segment_waits", false, false,
	  "Times a segment found no free chunk" },
	{ "pool_high_water", true, false,
	  "Most chunks ever not free at once" },
	{ "captures_parked", false, false,
	  "CAPTURE commands that had to wait" },
	{ "capture_timeouts", false, false,
	  "Parked CAPTURE commands completed by their timeout" },
	{ "rx_errors", false, false,
	  "Cells that hold no frame (included in received)" },
	{ "xmit_sent", false, false, "Cells XMIT handed to a NIC" },
	{ "xmit_completed", false, false,
	  "Cells the NIC gave back after XMIT" },
	{ "xmit_refused", false, false, "XMIT records refused" },
	{ "xmit_dropped", false, false,
	  "XMIT records the transmit queue had no room for" },
	{ "attached", true, true, "1 while a pool is attached" },
	{ "chunks_free", true, true, "Chunks of the pool free now" },
};

#define NFAM	(sizeof(families) / sizeof(families[0]))

/* One queue's directory, its NIC's name and its ring. */
struct qdir {
	char node[256];		/* <ifname>-q<N>, maybe with a suffix */
	char dir[512];
	char ifname[64];
	unsigned int ring;
	bool attached;
};

struct opts {
	const char *ifname;
	const char *class_dir;
	bool all;
};

static int read_line(const char *dir, const char *name, char *buf,
		     size_t len)
{
	char path[1024];
	FILE *f;
	int ok;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "r");
	if (!f)
		return -1;
	ok = fgets(buf, len, f) != NULL;
	fclose(f);
	if (!ok)
		return -1;
	buf[strcspn(buf, "\n")] = '\0';
	return 0;
}

static int read_u64(const char *dir, const char *name,
		    unsigned long long *v)
{
	char buf[32], *end;

	if (read_line(dir, name, buf, sizeof(buf)))
		return -1;
	if (buf[0] < '0' || buf[0] > '9')	/* no sign, no space */
		return -1;
	errno = 0;
	*v = strtoull(buf, &end, 10);
	return errno || *end ? -1 : 0;
}

static int by_name(const struct dirent **a, const struct dirent **b)
{
	return strverscmp((*a)->d_name, (*b)->d_name);
}

static int not_dot(const struct dirent *e)
{
	return e->d_name[0] != '.';
}

/*
 * The queues to show, in name order, into *out (malloc'd). Their count,
 * or -1 after a message.
 */
static int queues(const struct opts *o, struct qdir **out)
{
	struct dirent **e;
	struct qdir *q;
	int n, i, k = 0;
	size_t len = o->ifname ? strlen(o->ifname) : 0;

	n = scandir(o->class_dir, &e, not_dot, by_name);
	if (n < 0) {
		fprintf(stderr, PROG ": %s: %s (is wirecap.ko loaded?)\n",
			o->class_dir, strerror(errno));
		return -1;
	}
	q = calloc(n ? n : 1, sizeof(*q));
	for (i = 0; i < n; i++) {
		const char *name = e[i]->d_name, *qn = strrchr(name, 'q');
		unsigned long long a = 0;
		struct qdir *d = &q[k];

		if (!q || (o->ifname && (strncmp(name, o->ifname, len) ||
					 strncmp(name + len, "-q", 2))))
			continue;
		snprintf(d->node, sizeof(d->node), "%s", name);
		snprintf(d->dir, sizeof(d->dir), "%s/%s", o->class_dir, name);
		/* the NIC's name as it is now; the node's, if none */
		if (read_line(d->dir, "ifname", d->ifname, sizeof(d->ifname))) {
			snprintf(d->ifname, sizeof(d->ifname), "%.*s",
				 qn && qn > name + 1 ? (int)(qn - name - 1) :
				 (int)strlen(name), name);
		}
		d->ring = qn ? strtoul(qn + 1, NULL, 10) : 0;
		read_u64(d->dir, "attached", &a);
		d->attached = a;
		if (d->attached || o->all)
			k++;
	}
	for (i = 0; i < n; i++)
		free(e[i]);
	free(e);
	if (!q) {
		fprintf(stderr, PROG ": %s\n", strerror(ENOMEM));
		return -1;
	}
	*out = q;
	return k;
}

static void json_queue(FILE *f, const struct qdir *d, bool first)
{
	struct dirent **st;
	char sdir[600];
	int n, i, shown = 0;

	snprintf(sdir, sizeof(sdir), "%s/stats", d->dir);
	fprintf(f, "%s\n  ", first ? "" : ",");
	tool_json_str(f, d->node);
	fprintf(f, ": {");
	n = scandir(sdir, &st, not_dot, by_name);
	for (i = 0; i < n; i++) {
		unsigned long long v;

		if (!read_u64(sdir, st[i]->d_name, &v)) {
			fprintf(f, "%s", shown++ ? ", " : "");
			tool_json_str(f, st[i]->d_name);
			fprintf(f, ": %llu", v);
		}
		free(st[i]);
	}
	if (n >= 0)
		free(st);
	fprintf(f, "}");
}

static void table(FILE *f, const struct qdir *q, int n, bool all)
{
	unsigned long long v;
	char sdir[600];
	size_t k;
	int i;

	fprintf(f, "%-16s", "queue");
	for (k = 0; k < sizeof(table_cols) / sizeof(table_cols[0]); k++)
		fprintf(f, " %15s", table_cols[k]);
	fprintf(f, "\n");
	for (i = 0; i < n; i++) {
		fprintf(f, "%-16s", q[i].node);
		snprintf(sdir, sizeof(sdir), "%s/stats", q[i].dir);
		for (k = 0; k < sizeof(table_cols) / sizeof(table_cols[0]); k++) {
			if (read_u64(sdir, table_cols[k], &v))
				fprintf(f, " %15s", "-");
			else
				fprintf(f, " %15llu", v);
		}
		fprintf(f, "\n");
	}
	if (!n)
		fprintf(f, "(no queue %s)\n", all ? "found" : "attached");
}

static void om_family(FILE *f, const char *name, bool gauge,
		      const char *help)
{
	fprintf(f, "# TYPE wirecap_%s %s\n", name, gauge ? "gauge" : "counter");
	fprintf(f, "# HELP wirecap_%s %s\n", name, help);
}

static void om_sample(FILE *f, const char *name, bool gauge,
		      const struct qdir *d, unsigned long long v)
{
	fprintf(f, "wirecap_%s%s{ifname=", name, gauge ? "" : "_total");
	tool_label_str(f, d->ifname);
	fprintf(f, ",queue=\"%u\",node=", d->ring);
	tool_label_str(f, d->node);	/* unique where ifnames are not */
	fprintf(f, "} %llu\n", v);
}

/* Whether name is a family of families[]. */
static bool known(const char *name)
{
	size_t k;

	for (k = 0; k < NFAM; k++)
		if (!strcmp(families[k].name, name))
			return true;
	return false;
}

/* The queues' counters in the OpenMetrics text format, "# EOF" last. */
static void openmetrics(FILE *f, const struct qdir *q, int n)
{
	struct dirent **extra = NULL;
	char sdir[600];
	unsigned long long v;
	int i, j, ne = 0;
	size_t k;

	for (k = 0; k < NFAM; k++) {
		const struct family *fm = &families[k];

		om_family(f, fm->name, fm->gauge, fm->help);
		for (i = 0; i < n; i++) {
			snprintf(sdir, sizeof(sdir), "%s%s", q[i].dir,
				 fm->queue_dir ? "" : "/stats");
			if (!read_u64(sdir, fm->name, &v))
				om_sample(f, fm->name, fm->gauge, &q[i], v);
		}
	}
	/* counters of a newer kernel, named as it names them */
	if (n) {
		snprintf(sdir, sizeof(sdir), "%s/stats", q[0].dir);
		ne = scandir(sdir, &extra, not_dot, by_name);
	}
	for (j = 0; j < ne; j++) {
		const char *name = extra[j]->d_name;

		if (!known(name) && name[strspn(name,
				"abcdefghijklmnopqrstuvwxyz0123456789_")] ==
				'\0') {
			om_family(f, name, false, "A WireCAP counter");
			for (i = 0; i < n; i++) {
				snprintf(sdir, sizeof(sdir), "%s/stats",
					 q[i].dir);
				if (!read_u64(sdir, name, &v))
					om_sample(f, name, false, &q[i], v);
			}
		}
		free(extra[j]);
	}
	if (ne > 0)
		free(extra);
	fprintf(f, "# EOF\n");
}

/* --- --listen: /metrics over HTTP ----------------------------------------- */

/* A connection gets this long to send its request and take the answer. */
#define CONN_MS		5000

/* [ADDR]:PORT, [V6ADDR]:PORT: a listening socket, or -1 after a message. */
static int listen_on(const char *spec)
{
	struct addrinfo hints = {
		.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM,
		.ai_flags = AI_PASSIVE | AI_NUMERICSERV,
	}, *res, *ai;
	char host[256], port[16];
	const char *colon, *h = spec;
	unsigned long long pn;
	size_t hl;
	int fd = -1, one = 1, zero = 0, ret;

	if (spec[0] == '[') {
		colon = strchr(spec, ']');
		if (colon && colon[1] != ':')
			colon = NULL;
		h = spec + 1;
		hl = colon ? (size_t)(colon - h) : 0;
		colon = colon ? colon + 1 : NULL;
	} else {
		colon = strrchr(spec, ':');
		hl = colon ? (size_t)(colon - spec) : 0;
	}
	if (!colon || hl >= sizeof(host) || !colon[1] ||
	    colon[1 + strspn(colon + 1, "0123456789")] ||
	    tool_uint(colon + 1, 65535, &pn)) {
		fprintf(stderr, PROG ": --listen %s: want [ADDR]:PORT, "
			"PORT 0-65535\n", spec);
		return -1;
	}
	memcpy(host, h, hl);
	host[hl] = '\0';
	snprintf(port, sizeof(port), "%llu", pn);
	/* no address: every one, IPv6 and IPv4 on one socket if we can */
	if (!hl)
		hints.ai_family = AF_INET6;
	ret = getaddrinfo(hl ? host : NULL, port, &hints, &res);
	if (ret && !hl) {
		hints.ai_family = AF_UNSPEC;
		ret = getaddrinfo(NULL, port, &hints, &res);
	}
	if (ret) {
		fprintf(stderr, PROG ": --listen %s: %s\n", spec,
			gai_strerror(ret));
		return -1;
	}
	for (ai = res; ai; ai = ai->ai_next) {
		fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC, 0);
		if (fd < 0)
			continue;
		setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
		if (!hl && ai->ai_family == AF_INET6)
			setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &zero,
				   sizeof(zero));
		if (!bind(fd, ai->ai_addr, ai->ai_addrlen) && !listen(fd, 16))
			break;
		ret = errno;
		close(fd);
		fd = -1;
		errno = ret;
	}
	freeaddrinfo(res);
	if (fd < 0 && !hl && hints.ai_family == AF_INET6) {
		/* a machine without IPv6 */
		hints.ai_family = AF_INET;
		if (!getaddrinfo(NULL, port, &hints, &res)) {
			fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
			if (fd >= 0) {
				setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one,
					   sizeof(one));
				if (bind(fd, res->ai_addr, res->ai_addrlen) ||
				    listen(fd, 16)) {
					ret = errno;
					close(fd);
					fd = -1;
					errno = ret;
				}
			}
			freeaddrinfo(res);
		}
	}
	if (fd < 0) {
		fprintf(stderr, PROG ": --listen %s: %s\n", spec,
			strerror(errno));
		return -1;
	}
	{
		struct sockaddr_storage ss;
		socklen_t sl = sizeof(ss);
		char a[128], p[16];

		/* the port the kernel chose for :0 */
		if (!getsockname(fd, (struct sockaddr *)&ss, &sl) &&
		    !getnameinfo((struct sockaddr *)&ss, sl, a, sizeof(a), p,
				 sizeof(p), NI_NUMERICHOST | NI_NUMERICSERV))
			fprintf(stderr, strchr(a, ':') ?
				PROG ": serving http://[%s]:%s/metrics\n" :
				PROG ": serving http://%s:%s/metrics\n", a, p);
	}
	return fd;
}

/* Milliseconds left until deadline (ns), at least 0. */
static int ms_left(uint64_t deadline)
{
	uint64_t now = tool_now_ns();

	return now >= deadline ? 0 : (int)((deadline - now) / 1000000);
}

/* fd is non-blocking: send all of buf by the deadline, or -1. */
static int send_all(int fd, const char *buf, size_t len, uint64_t deadline)
{
	struct pollfd p = { .fd = fd, .events = POLLOUT };

	while (len) {
		ssize_t n = send(fd, buf, len, MSG_NOSIGNAL);

		if (n > 0) {
			buf += n;
			len -= n;
			continue;
		}
		if (n < 0 && errno != EAGAIN && errno != EINTR)
			return -1;
		if (tool_signalled() || !ms_left(deadline) ||
		    poll(&p, 1, ms_left(deadline)) < 0)
			return -1;
	}
	return 0;
}

/*
 * One request on fd (non-blocking): GET or HEAD of /metrics; 404
 * elsewhere, 405 for other methods. A client gets CONN_MS for all of it.
 */
static void serve_one(int fd, const struct opts *o)
{
	char req[4096], *body = NULL, head[512], method[8] = "", path[256] = "";
	uint64_t deadline = tool_now_ns() + CONN_MS * 1000000ull;
	size_t got = 0, blen = 0;
	const char *status = "200 OK", *allow = "";
	const char *type = "application/openmetrics-text; version=1.0.0; "
			   "charset=utf-8";
	struct pollfd p = { .fd = fd, .events = POLLIN };
	FILE *f;
	int hl;

	/* the request head: up to its empty line */
	while (got < sizeof(req) - 1 && !memmem(req, got, "\r\n\r\n", 4) &&
	       !memmem(req, got, "\n\n", 2)) {
		ssize_t n = recv(fd, req + got, sizeof(req) - 1 - got, 0);

		if (n > 0) {
			got += n;
			continue;
		}
		if (!n || (errno != EAGAIN && errno != EINTR))
			return;
		if (tool_signalled() || !ms_left(deadline) ||
		    poll(&p, 1, ms_left(deadline)) < 0)
			return;
	}
	req[got] = '\0';
	if (sscanf(req, "%7s %255s", method, path) != 2)
		return;
	path[strcspn(path, "?")] = '\0';
	f = open_memstream(&body, &blen);
	if (!f)
		return;
	if (strcmp(method, "GET") && strcmp(method, "HEAD")) {
		status = "405 Method Not Allowed";
		allow = "Allow: GET, HEAD\r\n";
		type = "text/plain; charset=utf-8";
		fprintf(f, "GET /metrics\n");
	} else if (strcmp(path, "/metrics")) {
		status = "404 Not Found";
		type = "text/plain; charset=utf-8";
		fprintf(f, "WireCAP's counters are at /metrics\n");
	} else {
		struct qdir *q;
		int n = queues(o, &q);

		if (n < 0) {
			status = "503 Service Unavailable";
			type = "text/plain; charset=utf-8";
			fprintf(f, "no %s (is wirecap.ko loaded?)\n",
				o->class_dir);
		} else {
			openmetrics(f, q, n);
			free(q);
		}
	}
	if (fclose(f)) {
		free(body);
		return;
	}
	hl = snprintf(head, sizeof(head), "HTTP/1.1 %s\r\nContent-Type: %s\r\n"
		      "Content-Length: %zu\r\n%sConnection: close\r\n\r\n",
		      status, type, blen, allow);
	if (!send_all(fd, head, hl, deadline) && strcmp(method, "HEAD"))
		send_all(fd, body, blen, deadline);
	free(body);
	/* the rest of a request we did not read must not reset the answer */
	shutdown(fd, SHUT_WR);
	while (ms_left(deadline) && poll(&p, 1, 100) == 1 &&
	       recv(fd, req, sizeof(req), 0) > 0)
		;
}

static int serve(const char *spec, const struct opts *o)
{
	int lfd = listen_on(spec);

	if (lfd < 0)
		return 1;
	tool_stop_on_signals();
	while (!tool_signalled()) {
		/* a signal between the check and accept4() is seen in 0.5 s */
		struct pollfd p = { .fd = lfd, .events = POLLIN };
		int fd;

		if (poll(&p, 1, 500) != 1)
			continue;
		fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
		if (fd < 0) {
			/* out of files or memory, a client gone: go on */
			if (errno != EINTR && errno != EAGAIN &&
			    errno != ECONNABORTED)
				fprintf(stderr, PROG ": accept: %s\n",
					strerror(errno));
			if (errno == EMFILE || errno == ENFILE ||
			    errno == ENOBUFS || errno == ENOMEM)
				usleep(100000);
			continue;
		}
		serve_one(fd, o);
		close(fd);
	}
	close(lfd);
	return 0;
}

static void usage(FILE *f)
{
	fprintf(f, "usage: wirecap stats [-i IFNAME] [--all] "
		"[--json | --openmetrics | --listen [ADDR]:PORT]\n"
		"  -i IFNAME      only this interface's queues\n"
		"  --all          also queues without a pool attached\n"
		"  --json         every counter, as one JSON object\n"
		"  --openmetrics  every counter, in the OpenMetrics text "
		"format\n"
		"  --listen A:P   serve that at http://A:P/metrics until "
		"SIGINT/SIGTERM\n"
		"                 (:9100 every address, [::1]:9100 IPv6)\n");
}

int cmd_stats(int argc, char **argv)
{
	enum { OPT_ALL = 256, OPT_JSON, OPT_OM, OPT_LISTEN };
	static const struct option lopts[] = {
		{ "all", no_argument, NULL, OPT_ALL },
		{ "json", no_argument, NULL, OPT_JSON },
		{ "openmetrics", no_argument, NULL, OPT_OM },
		{ "listen", required_argument, NULL, OPT_LISTEN },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct opts o = { .class_dir = getenv("WIRECAP_SYSFS") };
	const char *listen_spec = NULL;
	int json = 0, om = 0, c, n, i;
	struct qdir *q;

	if (!o.class_dir || !*o.class_dir)
		o.class_dir = CLASS_DIR;
	while ((c = getopt_long(argc, argv, "i:h", lopts, NULL)) != -1) {
		switch (c) {
		case 'i': o.ifname = optarg; break;
		case OPT_ALL: o.all = true; break;
		case OPT_JSON: json = 1; break;
		case OPT_OM: om = 1; break;
		case OPT_LISTEN: listen_spec = optarg; break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (optind != argc || json + om + !!listen_spec > 1) {
		usage(stderr);
		return 2;
	}
	if (listen_spec)
		return serve(listen_spec, &o);
	n = queues(&o, &q);
	if (n < 0)
		return 1;
	if (om) {
		openmetrics(stdout, q, n);
	} else if (json) {
		printf("{");
		for (i = 0; i < n; i++)
			json_queue(stdout, &q[i], !i);
		printf("%s}\n", n ? "\n" : "");
	} else {
		table(stdout, q, n, o.all);
	}
	free(q);
	return fflush(stdout) ? 1 : 0;
}
