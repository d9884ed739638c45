/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Helpers of the host unit tests: a scratch directory, and running one of
 * the built tools (WC_HOST_BIN, set by mk/hosttools.mk) for its exit status.
 */
#ifndef WIRECAP_HOST_TESTUTIL_H
#define WIRECAP_HOST_TESTUTIL_H

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#ifndef WC_HOST_BIN
#define WC_HOST_BIN "build/host"
#endif

static char tu_dir[256];

/* A fresh directory under $TMPDIR (or /tmp); exits the test if none. */
static inline const char *tu_mkdir(void)
{
	const char *tmp = getenv("TMPDIR");

	snprintf(tu_dir, sizeof(tu_dir), "%s/wirecap-host-XXXXXX",
		 tmp && *tmp ? tmp : "/tmp");
	if (!mkdtemp(tu_dir)) {
		perror("mkdtemp");
		printf("1..0 # SKIP no scratch directory\n");
		exit(4);
	}
	return tu_dir;
}

/* tu_dir/name, in one of 64 rotating buffers (valid for 63 more calls). */
static inline const char *tu_path(const char *name)
{
	static char buf[64][512];
	static int i;

	i = (i + 1) % 64;
	snprintf(buf[i], sizeof(buf[i]), "%s/%s", tu_dir, name);
	return buf[i];
}

/* Remove the scratch directory and what the test put in it (kept, and
 * named, when WC_KEEP is set in the environment). */
static inline void tu_cleanup(void)
{
	char cmd[600];

	if (getenv("WC_KEEP")) {
		printf("# kept %s\n", tu_dir);
		return;
	}
	if (!tu_dir[0] || strncmp(tu_dir + strlen(tu_dir) - 20,
				  "/wirecap-host-", 14))
		return;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tu_dir);
	if (system(cmd))
		fprintf(stderr, "could not remove %s\n", tu_dir);
}

/*
 * A frame of len bytes (>= 14) whose bytes depend on seed: an Ethernet
 * header with an unused ethertype, then xorshift noise. Different seeds
 * give different frames.
 */
static inline void tu_frame(uint8_t *f, uint32_t seed, size_t len)
{
	uint32_t x = seed * 2654435761u + 1;
	size_t i;

	memcpy(f, "\x02\0\0\0\0\x01\x02\0\0\0\0\x02\x88\xb5", 14);
	for (i = 14; i < len; i++) {
		x ^= x << 13;
		x ^= x >> 17;
		x ^= x << 5;
		f[i] = x;
	}
	if (len >= 18) {		/* the seed itself, so frames differ */
		f[14] = seed >> 24;
		f[15] = seed >> 16;
		f[16] = seed >> 8;
		f[17] = seed;
	}
}

/* Does WC_HOST_BIN/tool exist? */
static inline int tu_have_tool(const char *tool)
{
	char path[512];

	snprintf(path, sizeof(path), "%s/%s", WC_HOST_BIN, tool);
	return access(path, X_OK) == 0;
}

/*
 * Run WC_HOST_BIN/argv[0] with argv, its output to tu_dir/<argv[0]>.out;
 * returns its exit status, 128 + signal if it died, -1 if it did not run.
 */
static inline int tu_run(char *const argv[])
{
	char path[512];
	int status, fd;
	pid_t pid;

	snprintf(path, sizeof(path), "%s/%s", WC_HOST_BIN, argv[0]);
	fflush(stdout);
	pid = fork();
	if (pid < 0)
		return -1;
	if (pid == 0) {
		fd = open(tu_path("tool.out"), O_WRONLY | O_CREAT | O_APPEND,
			  0644);
		if (fd >= 0) {
			dup2(fd, 1);
			dup2(fd, 2);
		}
		execv(path, argv);
		_exit(127);
	}
	if (waitpid(pid, &status, 0) < 0)
		return -1;
	if (WIFSIGNALED(status))
		return 128 + WTERMSIG(status);
	return WEXITSTATUS(status);
}

#endif
