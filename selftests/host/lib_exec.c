// SPDX-License-Identifier: BSD-2-Clause
/*
 * `wirecap exec` where LD_PRELOAD cannot work (tools/exec.c): it says so
 * and does not run the program, instead of running it silently without
 * the shim (which then finds no wirecap: devices). On the host: build/bin/
 * wirecap and the fixture programs of selftests/host/lib_exec_fixture.c
 * (mk/lib.mk builds them into build/lib/host-tests.aux); no kernel part is
 * involved.
 *
 *   dynamic       a program linked with the shared libpcap: it runs, and
 *                 calls the shim's pcap_create
 *   static        a statically linked program: refused
 *   linked_in     a dynamic program with libpcap linked in (its own
 *                 pcap_create): refused
 *   setuid        a program setuid to another user (the loader ignores
 *                 LD_PRELOAD for it): refused; as root only
 *   file_caps     a program with file capabilities, run by a user who is
 *                 not root: refused; and without them, as that user, it
 *                 runs with the shim. As root only (to make the files and
 *                 to become that user, nobody)
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <linux/capability.h>
#include <stdint.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "tap.h"

#define NOBODY	65534

#define PLEN	(4 * PATH_MAX)	/* room enough for any path built here */

static char dir[PATH_MAX + 64];	/* build/lib/host-tests.aux: fixtures */
static char wirecap[PATH_MAX + 64], shim[PATH_MAX + 64];

/* Run argv (as uid if >= 0); its exit status, its output into out. */
static int run(char *const argv[], int uid, char *out, size_t len)
{
	int pfd[2], status = 0;
	ssize_t n, got = 0;
	pid_t pid;

	if (pipe(pfd))
		return -1;
	pid = fork();
	if (pid == 0) {
		dup2(pfd[1], 1);
		dup2(pfd[1], 2);
		close(pfd[0]);
		if (uid >= 0 && (setgroups(0, NULL) ||
				 setresgid(uid, uid, uid) ||
				 setresuid(uid, uid, uid)))
			_exit(99);
		unsetenv("LD_PRELOAD");
		execv(argv[0], argv);
		_exit(98);
	}
	close(pfd[1]);
	while (got < (ssize_t)len - 1 &&
	       (n = read(pfd[0], out + got, len - 1 - got)) > 0)
		got += n;
	out[got] = 0;
	close(pfd[0]);
	waitpid(pid, &status, 0);
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128;
}

static int exec_of(const char *wc, const char *prog, int uid, char *out,
		   size_t len)
{
	char *argv[] = { (char *)wc, "exec", (char *)prog, NULL };

	return run(argv, uid, out, len);
}

static int copy(const char *from, const char *to, mode_t mode)
{
	char buf[65536];
	int in = open(from, O_RDONLY), o;
	ssize_t n;

	if (in < 0)
		return -1;
	o = open(to, O_WRONLY | O_CREAT | O_TRUNC, 0700);
	if (o < 0) {
		close(in);
		return -1;
	}
	while ((n = read(in, buf, sizeof(buf))) > 0)
		if (write(o, buf, n) != n)
			n = -1;
	close(in);
	close(o);
	return n < 0 ? -1 : chmod(to, mode);
}

static int t_dynamic(void)
{
	char out[4096], prog[PLEN];
	int st;

	snprintf(prog, sizeof(prog), "%s/exec-fixture-dyn", dir);
	st = exec_of(wirecap, prog, -1, out, sizeof(out));
	tap_diag("exit %d: %s", st, out);
	CHECK(st == 0);
	CHECK(strstr(out, "libwirecap-pcap"));
	CHECK(!strstr(out, "wirecap exec:"));	/* nothing to say */
	return 1;
}

static int refused(const char *name, const char *why)
{
	char out[4096], prog[PLEN];
	int st;

	snprintf(prog, sizeof(prog), "%s/%s", dir, name);
	st = exec_of(wirecap, prog, -1, out, sizeof(out));
	tap_diag("exit %d: %s", st, out);
	CHECK(st == 126);
	CHECK(strstr(out, "LD_PRELOAD") && strstr(out, why));
	CHECK(!strstr(out, "pcap_create:"));	/* it did not run */
	return 1;
}

static int t_static(void)
{
	return refused("exec-fixture-own-static", "statically linked");
}

static int t_linked_in(void)
{
	return refused("exec-fixture-own", "libpcap linked in");
}

static int t_setuid(void)
{
	char tmp[2 * PATH_MAX], prog[PLEN], from[PLEN];
	char out[4096];
	int st;

	if (geteuid()) {
		tap_diag("not root: skipped");
		return 1;
	}
	snprintf(tmp, sizeof(tmp), "%s/exec-setuid-XXXXXX", dir);
	CHECK(mkdtemp(tmp));
	chmod(tmp, 0755);
	snprintf(from, sizeof(from), "%s/exec-fixture-dyn", dir);
	snprintf(prog, sizeof(prog), "%s/prog", tmp);
	CHECK(copy(from, prog, 0755) == 0);
	CHECK(chown(prog, NOBODY, NOBODY) == 0);
	CHECK(chmod(prog, 04755) == 0);
	st = exec_of(wirecap, prog, -1, out, sizeof(out));
	tap_diag("exit %d: %s", st, out);
	unlink(prog);
	rmdir(tmp);
	CHECK(st == 126);
	CHECK(strstr(out, "LD_PRELOAD") && strstr(out, "setuid"));
	return 1;
}

static int t_file_caps(void)
{
	struct vfs_cap_data cap = {
		.magic_etc = VFS_CAP_REVISION_2 | VFS_CAP_FLAGS_EFFECTIVE,
		.data[0].permitted = 1u << CAP_NET_RAW,
	};
	char tmp[2 * PATH_MAX], prog[PLEN], plain[PLEN];
	char wc[PLEN], so[PLEN], from[PLEN];
	char out[4096];
	int st_caps, st_plain;

	if (geteuid()) {
		tap_diag("not root: skipped");
		return 1;
	}
	/* wirecap and the shim beside it, where nobody can run them */
	snprintf(tmp, sizeof(tmp), "/tmp/wirecap-exec-XXXXXX");
	CHECK(mkdtemp(tmp));
	chmod(tmp, 0755);
	snprintf(wc, sizeof(wc), "%s/wirecap", tmp);
	snprintf(so, sizeof(so), "%s/libwirecap-pcap.so", tmp);
	snprintf(prog, sizeof(prog), "%s/prog-caps", tmp);
	snprintf(plain, sizeof(plain), "%s/prog", tmp);
	snprintf(from, sizeof(from), "%s/exec-fixture-dyn", dir);
	CHECK(copy(wirecap, wc, 0755) == 0 && copy(shim, so, 0644) == 0);
	CHECK(copy(from, prog, 0755) == 0 && copy(from, plain, 0755) == 0);
	CHECK(setxattr(prog, "security.capability", &cap, sizeof(cap), 0) ==
	      0);
	st_caps = exec_of(wc, prog, NOBODY, out, sizeof(out));
	tap_diag("with file capabilities, as nobody: exit %d: %s", st_caps,
		 out);
	CHECK(strstr(out, "LD_PRELOAD") || st_caps != 126);
	CHECK(st_caps != 126 || strstr(out, "capabilities"));
	st_plain = exec_of(wc, plain, NOBODY, out, sizeof(out));
	tap_diag("without, as nobody: exit %d: %s", st_plain, out);
	unlink(prog);
	unlink(plain);
	unlink(wc);
	unlink(so);
	rmdir(tmp);
	CHECK(st_caps == 126);
	CHECK(st_plain == 0);
	return 1;
}

int main(void)
{
	char self[PATH_MAX], *slash;
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);

	if (n <= 0)
		return 1;
	self[n] = 0;
	slash = strrchr(self, '/');
	*slash = 0;
	/* this is build/host-tests/lib_exec-*: the rest is beside it */
	snprintf(dir, sizeof(dir), "%s/../lib/host-tests.aux", self);
	snprintf(wirecap, sizeof(wirecap), "%s/../bin/wirecap", self);
	snprintf(shim, sizeof(shim), "%s/../bin/libwirecap-pcap.so", self);
	tap_plan(5);
	tap_run("a program on the shared libpcap runs with the shim",
		t_dynamic);
	tap_run("a statically linked program is refused", t_static);
	tap_run("a program with libpcap linked in is refused", t_linked_in);
	tap_run("a setuid program is refused", t_setuid);
	tap_run("a program with file capabilities is refused (not root)",
		t_file_caps);
	return tap_exit();
}
