// SPDX-License-Identifier: BSD-2-Clause
/*
 * wirecap exec PROGRAM [ARGS...]: run a libpcap program with
 * libwirecap-pcap.so preloaded, so that it can open wirecap:IFNAME
 * devices (lib/pcap/wirecap_pcap.c); everything else it does with libpcap
 * goes to the system libpcap as before.
 *
 * The library is looked for beside this binary, then in ../lib; the
 * environment variable WIRECAP_PCAP_SO names another. It goes in front of
 * any LD_PRELOAD already set. Exit status: the program's (this process
 * becomes it), 127 if it cannot be run, 2 on bad usage.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tools.h"

#define SHIM	"libwirecap-pcap.so"

/* The shim's path into buf, or -1 when it is nowhere. */
static int find_shim(char *buf, size_t len)
{
	static const char *const rel[] = { "/" SHIM, "/../lib/" SHIM };
	const char *env = getenv("WIRECAP_PCAP_SO");
	char self[PATH_MAX], *slash;
	ssize_t n;
	size_t i;

	if (env && *env) {
		if (access(env, R_OK))
			return -1;
		snprintf(buf, len, "%s", env);
		return 0;
	}
	n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	if (n <= 0)
		return -1;
	self[n] = 0;
	slash = strrchr(self, '/');
	if (!slash)
		return -1;
	*slash = 0;
	for (i = 0; i < sizeof(rel) / sizeof(rel[0]); i++) {
		char path[PATH_MAX + 32];

		snprintf(path, sizeof(path), "%s%s", self, rel[i]);
		if (!access(path, R_OK) && realpath(path, buf))
			return 0;
	}
	return -1;
}

int cmd_exec(int argc, char **argv)
{
	char shim[PATH_MAX], *preload;
	const char *old;

	if (argc < 2 || !strcmp(argv[1], "-h") || !strcmp(argv[1], "--help")) {
		fprintf(argc < 2 ? stderr : stdout,
			"usage: wirecap exec PROGRAM [ARGS...]\n"
			"  runs PROGRAM with %s preloaded: its libpcap calls\n"
			"  can open wirecap:IFNAME and wirecap:IFNAME@QUEUES\n",
			SHIM);
		return argc < 2 ? 2 : 0;
	}
	if (find_shim(shim, sizeof(shim))) {
		fprintf(stderr, "wirecap exec: %s not found (beside this "
			"binary, in ../lib, or $WIRECAP_PCAP_SO)\n", SHIM);
		return 127;
	}
	old = getenv("LD_PRELOAD");
	if (asprintf(&preload, "%s%s%s", shim, old && *old ? ":" : "",
		     old ? old : "") < 0) {
		fprintf(stderr, "wirecap exec: out of memory\n");
		return 127;
	}
	setenv("LD_PRELOAD", preload, 1);
	free(preload);
	execvp(argv[1], argv + 1);
	fprintf(stderr, "wirecap exec: %s: %s\n", argv[1], strerror(errno));
	return 127;
}
