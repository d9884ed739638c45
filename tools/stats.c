// SPDX-License-Identifier: BSD-2-Clause
/*
 * wirecap stats: the counters of every WireCAP queue that has a pool
 * attached (or of every queue with --all), from sysfs
 * (/sys/class/wirecap/<ifname>-q<N>/stats/): nothing is opened, so it
 * works beside the program that captures.
 *
 *   wirecap stats [-i IFNAME] [--all] [--json]
 *
 * The table shows the counters a user watches; --json gives every counter
 * the kernel exports, by its sysfs name. Exit 0, 1 on errors, 2 on usage.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tools.h"

#define CLASS_DIR	"/sys/class/wirecap"

static const char *const table_cols[] = {
	"received", "delivered", "capture_drops", "partial_views",
	"recycle_refused", "pool_high_water",
};

static int read_u64(const char *dir, const char *name,
		    unsigned long long *v)
{
	char path[512], buf[32];
	FILE *f;
	int ok;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "r");
	if (!f)
		return -1;
	ok = fgets(buf, sizeof(buf), f) != NULL;
	fclose(f);
	if (!ok)
		return -1;
	*v = strtoull(buf, NULL, 10);
	return 0;
}

static int by_name(const struct dirent **a, const struct dirent **b)
{
	return strverscmp((*a)->d_name, (*b)->d_name);
}

static int not_dot(const struct dirent *e)
{
	return e->d_name[0] != '.';
}

static void json_queue(FILE *f, const char *name, const char *dir,
		       int first)
{
	struct dirent **st;
	char sdir[600];
	int n, i;

	snprintf(sdir, sizeof(sdir), "%s/stats", dir);
	fprintf(f, "%s\n  \"%s\": {", first ? "" : ",", name);
	n = scandir(sdir, &st, not_dot, by_name);
	for (i = 0; i < n; i++) {
		unsigned long long v = 0;

		read_u64(sdir, st[i]->d_name, &v);
		fprintf(f, "%s\"%s\": %llu", i ? ", " : "", st[i]->d_name, v);
		free(st[i]);
	}
	if (n >= 0)
		free(st);
	fprintf(f, "}");
}

static void usage(FILE *f)
{
	fprintf(f, "usage: wirecap stats [-i IFNAME] [--all] [--json]\n"
		"  -i IFNAME   only this interface's queues\n"
		"  --all       also queues without a pool attached\n"
		"  --json      every counter, as one JSON object\n");
}

int cmd_stats(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "all", no_argument, NULL, 'a' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *ifname = NULL;
	int all = 0, json = 0, c, n, i, shown = 0;
	struct dirent **q;
	size_t k;

	while ((c = getopt_long(argc, argv, "i:h", opts, NULL)) != -1) {
		switch (c) {
		case 'i': ifname = optarg; break;
		case 'a': all = 1; break;
		case 'j': json = 1; break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (optind != argc) {
		usage(stderr);
		return 2;
	}
	n = scandir(CLASS_DIR, &q, not_dot, by_name);
	if (n < 0) {
		fprintf(stderr, "wirecap stats: %s: %m (is wirecap.ko loaded?)\n",
			CLASS_DIR);
		return 1;
	}
	if (json)
		printf("{");
	else {
		printf("%-16s", "queue");
		for (k = 0; k < sizeof(table_cols) / sizeof(table_cols[0]); k++)
			printf(" %15s", table_cols[k]);
		printf("\n");
	}
	for (i = 0; i < n; i++) {
		const char *name = q[i]->d_name;
		unsigned long long attached = 0, v;
		char dir[512], sdir[600];
		size_t len = ifname ? strlen(ifname) : 0;

		if (ifname && (strncmp(name, ifname, len) ||
			       strncmp(name + len, "-q", 2)))
			continue;
		snprintf(dir, sizeof(dir), CLASS_DIR "/%s", name);
		snprintf(sdir, sizeof(sdir), "%s/stats", dir);
		read_u64(dir, "attached", &attached);
		if (!attached && !all)
			continue;
		if (json) {
			json_queue(stdout, name, dir, !shown);
		} else {
			printf("%-16s", name);
			for (k = 0; k < sizeof(table_cols) / sizeof(table_cols[0]); k++) {
				if (read_u64(sdir, table_cols[k], &v))
					printf(" %15s", "-");
				else
					printf(" %15llu", v);
			}
			printf("\n");
		}
		shown++;
	}
	for (i = 0; i < n; i++)
		free(q[i]);
	free(q);
	if (json)
		printf("%s}\n", shown ? "\n" : "");
	else if (!shown)
		printf("(no queue %s)\n", all ? "found" : "attached");
	return 0;
}
