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
 *   ld_so         a program started through the dynamic loader
 *                 (wirecap exec /lib64/ld-linux-x86-64.so.2 PROG): the
 *                 loader is no static binary, it runs with the shim; the
 *                 program it names is what is looked at (one with libpcap
 *                 linked in is refused, past the loader's options)
 *   no_new_privs  with no_new_privs set, execve() grants no setuid: such
 *                 a program runs with the shim; a setgid bit without
 *                 group execute grants nothing either; file capabilities
 *                 still put the loader in secure-execution mode for a user
 *                 who is not root (refused). As root only
 *   caps_root     a program with file capabilities run by root: it runs
 *                 with the shim, with a warning that says it would not as
 *                 another user, and what to do. As root only
 *   apparmor      a program an AppArmor profile in enforce mode attaches
 *                 to (its path, or a pattern with braces): it runs, with a
 *                 warning that names the profile and says what to do; in
 *                 complain mode, no warning. The policy is a made-up
 *                 securityfs (a tmpfs over /sys/kernel/security in a
 *                 mount namespace of the child's); as root only
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <elf.h>
#include <linux/capability.h>
#include <stdint.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sched.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "tap.h"

#define NOBODY	65534

#define PLEN	(4 * PATH_MAX)	/* room enough for any path built here */

static char dir[PATH_MAX + 64];	/* build/lib/host-tests.aux: fixtures */
static char wirecap[PATH_MAX + 64], shim[PATH_MAX + 64];
static int child_nnp;		/* run(): set no_new_privs in the child */
static void (*child_prep)(void);	/* run(): and this, if set */

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
		if (child_nnp && prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0))
			_exit(97);
		if (child_prep)
			child_prep();
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

/* The program interpreter (PT_INTERP) a 64-bit ELF names, into buf. */
static int interp_of(const char *path, char *buf, size_t len)
{
	Elf64_Ehdr eh;
	Elf64_Phdr ph;
	int fd = open(path, O_RDONLY), ret = -1;
	unsigned int i;

	if (fd < 0)
		return -1;
	if (pread(fd, &eh, sizeof(eh), 0) != sizeof(eh))
		goto out;
	for (i = 0; i < eh.e_phnum; i++) {
		if (pread(fd, &ph, sizeof(ph), eh.e_phoff + i * sizeof(ph)) !=
		    sizeof(ph))
			goto out;
		if (ph.p_type != PT_INTERP || ph.p_filesz >= len)
			continue;
		if (pread(fd, buf, ph.p_filesz, ph.p_offset) !=
		    (ssize_t)ph.p_filesz)
			goto out;
		buf[ph.p_filesz] = 0;
		ret = 0;
		break;
	}
out:
	close(fd);
	return ret;
}

static int t_ld_so(void)
{
	char ld[PATH_MAX], dyn[PLEN], own[PLEN], out[4096];
	char *argv_dyn[] = { wirecap, "exec", ld, dyn, NULL };
	char *argv_own[] = { wirecap, "exec", ld, "--argv0", "x",
			     "--inhibit-cache", own, NULL };
	int st;

	snprintf(dyn, sizeof(dyn), "%s/exec-fixture-dyn", dir);
	snprintf(own, sizeof(own), "%s/exec-fixture-own", dir);
	CHECK(interp_of(dyn, ld, sizeof(ld)) == 0);
	st = run(argv_dyn, -1, out, sizeof(out));
	tap_diag("%s <dynamic>: exit %d: %s", ld, st, out);
	CHECK(st == 0);
	CHECK(strstr(out, "libwirecap-pcap"));
	CHECK(!strstr(out, "wirecap exec:"));
	st = run(argv_own, -1, out, sizeof(out));
	tap_diag("%s ... <libpcap linked in>: exit %d: %s", ld, st, out);
	CHECK(st == 126);
	CHECK(strstr(out, "libpcap linked in"));
	return 1;
}

static int t_no_new_privs(void)
{
	struct vfs_cap_data cap = {
		.magic_etc = VFS_CAP_REVISION_2 | VFS_CAP_FLAGS_EFFECTIVE,
		.data[0].permitted = 1u << CAP_NET_RAW,
	};
	char tmp[2 * PATH_MAX], suid[PLEN], sgid[PLEN], caps[PLEN];
	char wc[PLEN], so[PLEN], from[PLEN], out[4096];
	int st_suid, st_sgid, st_caps;

	if (geteuid()) {
		tap_diag("not root: skipped");
		return 1;
	}
	snprintf(tmp, sizeof(tmp), "/tmp/wirecap-exec-XXXXXX");
	CHECK(mkdtemp(tmp));
	chmod(tmp, 0755);
	snprintf(wc, sizeof(wc), "%s/wirecap", tmp);
	snprintf(so, sizeof(so), "%s/libwirecap-pcap.so", tmp);
	snprintf(suid, sizeof(suid), "%s/prog-suid", tmp);
	snprintf(sgid, sizeof(sgid), "%s/prog-sgid", tmp);
	snprintf(caps, sizeof(caps), "%s/prog-caps", tmp);
	snprintf(from, sizeof(from), "%s/exec-fixture-dyn", dir);
	CHECK(copy(wirecap, wc, 0755) == 0 && copy(shim, so, 0644) == 0);
	CHECK(copy(from, suid, 0755) == 0 && copy(from, sgid, 0755) == 0 &&
	      copy(from, caps, 0755) == 0);
	/* setuid to nobody; setgid to nobody's group, no group execute */
	CHECK(chown(suid, NOBODY, NOBODY) == 0 && chmod(suid, 04755) == 0);
	CHECK(chown(sgid, 0, NOBODY) == 0 && chmod(sgid, 02745) == 0);
	CHECK(setxattr(caps, "security.capability", &cap, sizeof(cap), 0) ==
	      0);
	child_nnp = 1;
	st_suid = exec_of(wc, suid, -1, out, sizeof(out));
	tap_diag("setuid, no_new_privs: exit %d: %s", st_suid, out);
	st_caps = exec_of(wc, caps, NOBODY, out, sizeof(out));
	tap_diag("file capabilities, no_new_privs, as nobody: exit %d: %s",
		 st_caps, out);
	child_nnp = 0;
	st_sgid = exec_of(wc, sgid, -1, out, sizeof(out));
	tap_diag("setgid without group execute: exit %d: %s", st_sgid, out);
	unlink(suid);
	unlink(sgid);
	unlink(caps);
	unlink(wc);
	unlink(so);
	rmdir(tmp);
	CHECK(st_suid == 0);
	CHECK(st_sgid == 0);
	CHECK(st_caps == 126);
	return 1;
}

static int t_caps_root(void)
{
	struct vfs_cap_data cap = {
		.magic_etc = VFS_CAP_REVISION_2 | VFS_CAP_FLAGS_EFFECTIVE,
		.data[0].permitted = 1u << CAP_NET_RAW,
	};
	char tmp[2 * PATH_MAX], prog[PLEN], from[PLEN], out[4096];
	int st;

	if (geteuid()) {
		tap_diag("not root: skipped");
		return 1;
	}
	snprintf(tmp, sizeof(tmp), "%s/exec-caps-XXXXXX", dir);
	CHECK(mkdtemp(tmp));
	snprintf(prog, sizeof(prog), "%s/prog", tmp);
	snprintf(from, sizeof(from), "%s/exec-fixture-dyn", dir);
	CHECK(copy(from, prog, 0755) == 0);
	CHECK(setxattr(prog, "security.capability", &cap, sizeof(cap), 0) ==
	      0);
	st = exec_of(wirecap, prog, -1, out, sizeof(out));
	tap_diag("file capabilities, as root: exit %d: %s", st, out);
	unlink(prog);
	rmdir(tmp);
	CHECK(st == 0);
	CHECK(strstr(out, "libwirecap-pcap"));	/* the preload worked */
	CHECK(strstr(out, "warning") && strstr(out, "file capabilities"));
	CHECK(strstr(out, "another user"));	/* ... and what then */
	return 1;
}

/* The profile the child's made-up AppArmor policy has. */
static const char *aa_mode, *aa_attach;

static int put(const char *path, const char *text)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0444), ok;

	if (fd < 0)
		return -1;
	ok = write(fd, text, strlen(text)) == (ssize_t)strlen(text);
	close(fd);
	return ok ? 0 : -1;
}

/* In the child: a securityfs of our own with one AppArmor profile. */
static void fake_apparmor(void)
{
	static const char *const dirs[] = {
		"/sys/kernel/security/apparmor",
		"/sys/kernel/security/apparmor/policy",
		"/sys/kernel/security/apparmor/policy/profiles",
		"/sys/kernel/security/apparmor/policy/profiles/tcpdump.1",
	};
	char line[PLEN];
	size_t i;

	if (unshare(CLONE_NEWNS) ||
	    mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) ||
	    mount("tmpfs", "/sys/kernel/security", "tmpfs", 0, NULL))
		_exit(96);
	for (i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++)
		if (mkdir(dirs[i], 0755))
			_exit(95);
	snprintf(line, sizeof(line), "tcpdump (%s)\n", aa_mode);
	if (put("/sys/kernel/security/apparmor/profiles", line))
		_exit(95);
#define PROFILE "/sys/kernel/security/apparmor/policy/profiles/tcpdump.1/"
	snprintf(line, sizeof(line), "%s\n", aa_mode);
	if (put(PROFILE "mode", line) || put(PROFILE "name", "tcpdump\n"))
		_exit(95);
	snprintf(line, sizeof(line), "%s\n", aa_attach);
	if (put(PROFILE "attach", line))
		_exit(95);
#undef PROFILE
}

static int confined(const char *mode, const char *attach, char *out,
		    size_t len)
{
	char prog[PLEN];
	int st;

	snprintf(prog, sizeof(prog), "%s/exec-fixture-dyn", dir);
	aa_mode = mode;
	aa_attach = attach;
	child_prep = fake_apparmor;
	st = exec_of(wirecap, prog, -1, out, len);
	child_prep = NULL;
	tap_diag("profile tcpdump (%s) attached to %s: exit %d: %s", mode,
		 attach, st, out);
	return st;
}

static int t_apparmor(void)
{
	char out[4096], real[PATH_MAX], prog[PLEN], braces[PLEN];
	int st;

	if (geteuid()) {
		tap_diag("not root: skipped");
		return 1;
	}
	snprintf(prog, sizeof(prog), "%s/exec-fixture-dyn", dir);
	CHECK(realpath(prog, real));
	st = confined("enforce", real, out, sizeof(out));
	if (st == 96) {
		tap_diag("no mount namespace here: skipped");
		return 1;
	}
	CHECK(st == 0);
	CHECK(strstr(out, "warning") && strstr(out, "AppArmor") &&
	      strstr(out, "tcpdump") && strstr(out, "enforce"));
	CHECK(strstr(out, "aa-complain"));	/* what to do */
	/* a pattern: /nonexistent/exec-fixture-dyn or the real one */
	*strrchr(real, '/') = 0;
	snprintf(braces, sizeof(braces), "{/nonexistent,%s}/exec-fixture-*",
		 real);
	CHECK(confined("enforce", braces, out, sizeof(out)) == 0);
	CHECK(strstr(out, "AppArmor"));
	CHECK(confined("complain", braces, out, sizeof(out)) == 0);
	CHECK(!strstr(out, "AppArmor"));
	CHECK(confined("enforce", "/usr/bin/nothing-like-it", out,
		       sizeof(out)) == 0);
	CHECK(!strstr(out, "AppArmor"));
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
	tap_plan(9);
	tap_run("a program on the shared libpcap runs with the shim",
		t_dynamic);
	tap_run("a statically linked program is refused", t_static);
	tap_run("a program with libpcap linked in is refused", t_linked_in);
	tap_run("a setuid program is refused", t_setuid);
	tap_run("a program with file capabilities is refused (not root)",
		t_file_caps);
	tap_run("a program started through the dynamic loader", t_ld_so);
	tap_run("setuid under no_new_privs, setgid without g+x: they run",
		t_no_new_privs);
	tap_run("file capabilities, run by root: a warning", t_caps_root);
	tap_run("confined by AppArmor in enforce mode: a warning", t_apparmor);
	return tap_exit();
}
