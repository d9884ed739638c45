// SPDX-License-Identifier: BSD-2-Clause
/*
 * wirecap exec PROGRAM [ARGS...]: run a libpcap program with
 * libwirecap-pcap.so preloaded, so that it can open wirecap:IFNAME
 * devices (lib/pcap/wirecap_pcap.c); everything else it does with libpcap
 * goes to the system libpcap as before.
 *
 * The library is looked for beside this binary (build/bin/), then in
 * ../lib (build/lib/), then in ../lib/wirecap (where `make install` puts
 * it: PREFIX/lib/wirecap/, a library to preload, not to link with); the
 * environment variable WIRECAP_PCAP_SO names another. It goes in front of
 * any LD_PRELOAD already set. Exit status: the program's (this process
 * becomes it), 127 if it cannot be run, 126 if it can but the preload
 * could not work for it, 2 on bad usage.
 *
 * Where LD_PRELOAD cannot work, the program would run without the shim
 * and find no wirecap: devices; it is not run, and this says why:
 *   - it is statically linked: no dynamic loader, nothing is preloaded;
 *   - it has libpcap linked in (it defines pcap_create & co. itself): its
 *     calls never reach a preloaded library;
 *   - it runs in secure-execution mode (AT_SECURE): setuid or setgid to
 *     someone else (unless no_new_privs is set: then execve() changes no
 *     id), or file capabilities for a user who is not root (no_new_privs
 *     or not), where the loader ignores a preload from an arbitrary path.
 * A program that does not call libpcap itself (a script, or one that
 * reaches libpcap through another library) is run, with a warning when
 * it is an ELF that names no pcap function at all. A program started
 * through the dynamic loader (wirecap exec /lib64/ld-linux-x86-64.so.2
 * [OPTIONS] PROG ...) is PROG as far as all this goes: the loader
 * honours LD_PRELOAD, and PROG's set-id bits and capabilities are not
 * applied when it is loaded that way.
 *
 * Where the preload may or may not work, the program is run after a
 * warning that says what to do if it does not see wirecap: devices:
 *   - an AppArmor profile in enforce mode attaches to it (Debian's
 *     tcpdump has one): unless the profile allows mapping the shim and
 *     opening /dev/wirecap, the loader cannot preload it, or the program
 *     cannot open the queues. Known from the loaded policy
 *     (/sys/kernel/security/apparmor, readable by root); when that is not
 *     readable, from AppArmor being on and a profile for the path being
 *     installed (/etc/apparmor.d/usr.bin.tcpdump);
 *   - it has file capabilities (dumpcap) and root runs it: the preload
 *     works for root, and for nobody else.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "tools.h"

#define SHIM	"libwirecap-pcap.so"
#define PROG	"wirecap exec"

/* The shim's path into buf, or -1 when it is nowhere. */
static int find_shim(char *buf, size_t len)
{
	static const char *const rel[] = { "/" SHIM, "/../lib/" SHIM,
					   "/../lib/wirecap/" SHIM };
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

/* The file execvp() would run for name, into buf; -1 if none. */
static int find_program(const char *name, char *buf, size_t len)
{
	const char *path = getenv("PATH"), *p, *end;

	if (strchr(name, '/')) {
		snprintf(buf, len, "%s", name);
		return access(buf, X_OK);
	}
	if (!path)
		path = "/usr/local/bin:/usr/bin:/bin";
	for (p = path; ; p = end + 1) {
		end = strchrnul(p, ':');
		snprintf(buf, len, "%.*s%s%s", (int)(end - p), p,
			 end > p ? "/" : "", name);
		if (!access(buf, X_OK))
			return 0;
		if (!*end)
			return -1;
	}
}

/*
 * Secure-execution mode, as the kernel decides it: setuid or setgid to an
 * id that is not ours, or file capabilities for a user who is not root
 * (for root they give nothing new) - unless the file system ignores both
 * (nosuid). With no_new_privs set, execve() applies no set-id bit, but a
 * user who is not root still gets AT_SECURE from file capabilities (it
 * gains nothing, the exec is marked all the same). A setgid bit without
 * group execute is a mandatory-locking mark, not setgid. NULL, or what
 * makes it so.
 */
static const char *secure_exec(const char *path, const struct stat *st)
{
	bool nnp = prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0) == 1;
	struct statvfs vfs;

	if (!statvfs(path, &vfs) && (vfs.f_flag & ST_NOSUID))
		return NULL;
	if (!nnp && (st->st_mode & S_ISUID) && st->st_uid != getuid())
		return "it is setuid to another user";
	if (!nnp && (st->st_mode & (S_ISGID | S_IXGRP)) ==
		    (S_ISGID | S_IXGRP) && st->st_gid != getgid())
		return "it is setgid to another group";
	if (getuid() && getxattr(path, "security.capability", NULL, 0) > 0)
		return "it has file capabilities and you are not root";
	return NULL;
}

/* What to do about it, for the refusal. */
static const char *secure_exec_fix(const char *why)
{
	if (strstr(why, "capabilities"))
		return "Run it as root, or run a copy of it without file "
		       "capabilities and give the user CAP_NET_RAW as an "
		       "ambient capability (as root: setpriv --reuid USER "
		       "--init-groups --inh-caps +net_raw --ambient-caps "
		       "+net_raw wirecap exec COPY ...).";
	return "Run it as its owner, or run a copy of it without the set-id "
	       "bit.";
}

/*
 * File capabilities, and root runs the program: the preload works, but
 * would not for anyone else. Say so before it surprises.
 */
static void file_caps_warn(const char *name, const char *path)
{
	if (getuid() || getxattr(path, "security.capability", NULL, 0) <= 0)
		return;
	fprintf(stderr, PROG ": warning: %s has file capabilities: run by "
		"root, as now, the loader honours LD_PRELOAD, but run by "
		"another user (what they are for) the kernel marks the exec "
		"secure and the loader ignores it, and %s sees no wirecap: "
		"devices. To capture as another user, run a copy of it "
		"without file capabilities and give that user CAP_NET_RAW "
		"as an ambient capability (as root: setpriv --reuid USER "
		"--init-groups --inh-caps +net_raw --ambient-caps +net_raw "
		"wirecap exec COPY ...).\n", name, name);
}

/* --- AppArmor ------------------------------------------------------------ */

#define AA_FS		"/sys/kernel/security/apparmor"
#define AA_ENABLED	"/sys/module/apparmor/parameters/enabled"
#define AA_POLICY_DIR	"/etc/apparmor.d"

/* The first line of a small file, without its newline; 0 or -1. */
static int read_line(const char *path, char *buf, size_t len)
{
	FILE *f = fopen(path, "re");
	bool ok;

	if (!f)
		return -1;
	ok = fgets(buf, (int)len, f) != NULL;
	fclose(f);
	if (!ok)
		return -1;
	buf[strcspn(buf, "\n")] = 0;
	return 0;
}

/*
 * Does an AppArmor attachment match path? Globs as fnmatch() has them
 * ('*' may cross '/', as AppArmor's '**' does: a warning may err on the
 * side of saying it), and {a,b} alternatives, expanded here.
 */
static bool aa_match(const char *pat, const char *path)
{
	const char *open = strchr(pat, '{'), *close, *alt;
	int depth = 0;

	if (!open)
		return !fnmatch(pat, path, 0);
	for (close = open; *close; close++) {
		depth += *close == '{';
		depth -= *close == '}';
		if (!depth)
			break;
	}
	if (!*close)
		return !fnmatch(pat, path, 0);
	for (alt = open + 1; alt <= close; ) {
		const char *end = alt;
		char *p;
		bool hit;

		for (depth = 0; end < close && (depth || *end != ','); end++)
			depth += (*end == '{') - (*end == '}');
		if (asprintf(&p, "%.*s%.*s%s", (int)(open - pat), pat,
			     (int)(end - alt), alt, close + 1) < 0)
			return false;
		hit = aa_match(p, path);
		free(p);
		if (hit)
			return true;
		alt = end + 1;
	}
	return false;
}

/*
 * Is the program at path (real: its real path) confined by an AppArmor
 * profile in enforce mode? 1: yes, its name in name; 0: not that we can
 * see; -1: maybe (the policy is not readable here, but AppArmor is on
 * and a profile for the path is installed: its file in name).
 */
static int apparmor_enforced(const char *path, const char *real, char *name,
			     size_t len)
{
	char p[PATH_MAX + 64], mode[64], attach[PATH_MAX], pname[256];
	struct dirent *e;
	size_t i;
	DIR *d;
	FILE *f;

	d = opendir(AA_FS "/policy/profiles");
	if (d) {
		/* each loaded profile: its name, mode, attachment */
		while ((e = readdir(d))) {
			if (e->d_name[0] == '.')
				continue;
			snprintf(p, sizeof(p), AA_FS "/policy/profiles/%s/mode",
				 e->d_name);
			if (read_line(p, mode, sizeof(mode)) ||
			    strcmp(mode, "enforce"))
				continue;
			snprintf(p, sizeof(p), AA_FS "/policy/profiles/%s/name",
				 e->d_name);
			if (read_line(p, pname, sizeof(pname)))
				snprintf(pname, sizeof(pname), "%s", e->d_name);
			snprintf(p, sizeof(p),
				 AA_FS "/policy/profiles/%s/attach", e->d_name);
			/* no attachment: a profile named by its path */
			if (read_line(p, attach, sizeof(attach)) || !*attach ||
			    *attach == '<')
				snprintf(attach, sizeof(attach), "%s", pname);
			if (aa_match(attach, path) || aa_match(attach, real)) {
				snprintf(name, len, "%s", pname);
				closedir(d);
				return 1;
			}
		}
		closedir(d);
		return 0;
	}
	f = fopen(AA_FS "/profiles", "re");
	if (f) {
		/* "NAME (MODE)": profiles named by their path only */
		char line[PATH_MAX + 64];
		int ret = 0;

		while (!ret && fgets(line, sizeof(line), f)) {
			char *sp = strrchr(line, ' ');

			if (!sp || strncmp(sp, " (enforce)", 10))
				continue;
			*sp = 0;
			if (aa_match(line, path) || aa_match(line, real)) {
				snprintf(name, len, "%s", line);
				ret = 1;
			}
		}
		fclose(f);
		return ret;
	}
	/* not readable (not root): is it on, and a profile installed? */
	if (read_line(AA_ENABLED, mode, sizeof(mode)) || strcmp(mode, "Y"))
		return 0;
	/* /usr/bin/tcpdump: /etc/apparmor.d/usr.bin.tcpdump */
	snprintf(p, sizeof(p), AA_POLICY_DIR "/%s", real + (*real == '/'));
	for (i = strlen(AA_POLICY_DIR "/"); p[i]; i++)
		if (p[i] == '/')
			p[i] = '.';
	if (access(p, R_OK))
		return 0;
	snprintf(name, len, "%s", p);
	return -1;
}

/* Warn if AppArmor may keep the preload or the queues from the program. */
static void apparmor_warn(const char *name, const char *path,
			  const char *shim)
{
	char real[PATH_MAX], profile[PATH_MAX + 64];
	int ret;

	if (!realpath(path, real))
		snprintf(real, sizeof(real), "%s", path);
	ret = apparmor_enforced(path, real, profile, sizeof(profile));
	if (!ret)
		return;
	if (ret > 0)
		fprintf(stderr, PROG ": warning: %s is confined by the "
			"AppArmor profile \"%s\" in enforce mode", name,
			profile);
	else
		fprintf(stderr, PROG ": warning: %s may be confined by "
			"AppArmor (it is on, and %s is installed; its mode is "
			"not readable here)", name, profile);
	fprintf(stderr, ": unless the profile allows mapping %s and opening "
		"/dev/wirecap/*, the loader ignores the preload or the "
		"program cannot open the queues, and it sees no wirecap: "
		"devices. If so: put the profile in complain mode "
		"(aa-complain %s), or add \"%s mr, " WIRECAP_DEV_DIR
		"/* rw,\" to it (its local include under "
		AA_POLICY_DIR "/local/), or run a copy of the program from "
		"another path, which the profile does not attach to.\n",
		shim, real, shim);
}

/* What the ELF image says about libpcap. */
enum pcap_use {
	PCAP_UNKNOWN,		/* not an ELF we read: say nothing */
	PCAP_IMPORTED,		/* calls libpcap through the dynamic loader */
	PCAP_NONE,		/* names no pcap function */
	PCAP_STATIC_BINARY,	/* no dynamic loader at all */
	PCAP_LINKED_IN,		/* defines pcap functions itself */
	PCAP_LOADER,		/* the dynamic loader itself (ld.so) */
};

/* libpcap's entry points: a program that defines them has it linked in */
static bool pcap_entry(const char *s)
{
	static const char *const names[] = {
		"pcap_create", "pcap_open_live", "pcap_activate", "pcap_loop",
		"pcap_dispatch", "pcap_next_ex",
	};
	size_t i;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (!strcmp(s, names[i]))
			return true;
	return false;
}

/* Within the file? */
static bool in_file(size_t size, uint64_t off, uint64_t len)
{
	return off <= size && len <= size - off;
}

/*
 * No PT_INTERP: a static binary (static-pie too), or the dynamic loader
 * itself, a shared object whose soname says so (ld-linux-x86-64.so.2,
 * ld-linux-aarch64.so.1, ld64.so.2, ld-musl-...).
 */
static bool elf64_loader(const unsigned char *img, size_t size)
{
	const Elf64_Ehdr *eh = (const void *)img;
	const Elf64_Shdr *sh = (const void *)(img + eh->e_shoff);
	unsigned int i;

	if (eh->e_type != ET_DYN)
		return false;
	for (i = 0; i < eh->e_shnum; i++) {
		const Elf64_Shdr *strs;
		const Elf64_Dyn *d;
		uint64_t k, n;

		if (sh[i].sh_type != SHT_DYNAMIC || sh[i].sh_link >= eh->e_shnum ||
		    !in_file(size, sh[i].sh_offset, sh[i].sh_size))
			continue;
		strs = &sh[sh[i].sh_link];
		if (!in_file(size, strs->sh_offset, strs->sh_size))
			continue;
		d = (const void *)(img + sh[i].sh_offset);
		n = sh[i].sh_size / sizeof(*d);
		for (k = 0; k < n && d[k].d_tag != DT_NULL; k++) {
			const char *so;

			if (d[k].d_tag != DT_SONAME ||
			    d[k].d_un.d_val >= strs->sh_size)
				continue;
			so = (const char *)img + strs->sh_offset +
			     d[k].d_un.d_val;
			if (!memchr(so, 0, strs->sh_size - d[k].d_un.d_val))
				return false;
			return !strncmp(so, "ld-", 3) ||
			       !strncmp(so, "ld64.", 5) ||
			       !strncmp(so, "ld.so", 5);
		}
	}
	return false;
}

/* A 64-bit ELF's symbol tables (dynamic, and the full one if kept). */
static enum pcap_use elf64_pcap(const unsigned char *img, size_t size)
{
	const Elf64_Ehdr *eh = (const void *)img;
	const Elf64_Phdr *ph;
	const Elf64_Shdr *sh;
	bool interp = false, imported = false;
	unsigned int i;

	if (!in_file(size, eh->e_phoff, (uint64_t)eh->e_phnum * sizeof(*ph)) ||
	    !in_file(size, eh->e_shoff, (uint64_t)eh->e_shnum * sizeof(*sh)))
		return PCAP_UNKNOWN;
	ph = (const void *)(img + eh->e_phoff);
	for (i = 0; i < eh->e_phnum; i++)
		interp |= ph[i].p_type == PT_INTERP;
	if (!interp)
		return elf64_loader(img, size) ? PCAP_LOADER :
						 PCAP_STATIC_BINARY;
	sh = (const void *)(img + eh->e_shoff);
	for (i = 0; i < eh->e_shnum; i++) {
		const Elf64_Shdr *strs;
		const Elf64_Sym *sym;
		uint64_t k, n;

		if (sh[i].sh_type != SHT_DYNSYM && sh[i].sh_type != SHT_SYMTAB)
			continue;
		if (sh[i].sh_link >= eh->e_shnum ||
		    !in_file(size, sh[i].sh_offset, sh[i].sh_size))
			continue;
		strs = &sh[sh[i].sh_link];
		if (!in_file(size, strs->sh_offset, strs->sh_size) ||
		    !strs->sh_size)
			continue;
		sym = (const void *)(img + sh[i].sh_offset);
		n = sh[i].sh_size / sizeof(*sym);
		for (k = 0; k < n; k++) {
			const char *name;

			if (sym[k].st_name >= strs->sh_size)
				continue;
			name = (const char *)img + strs->sh_offset +
			       sym[k].st_name;
			if (!memchr(name, 0, strs->sh_size - sym[k].st_name) ||
			    strncmp(name, "pcap_", 5))
				continue;
			if (sym[k].st_shndx == SHN_UNDEF)
				imported = true;
			else if (pcap_entry(name))
				return PCAP_LINKED_IN;
		}
	}
	return imported ? PCAP_IMPORTED : PCAP_NONE;
}

static enum pcap_use elf_pcap(const char *path)
{
	enum pcap_use use = PCAP_UNKNOWN;
	const unsigned char *img;
	struct stat st;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return PCAP_UNKNOWN;
	if (fstat(fd, &st) || st.st_size < (off_t)sizeof(Elf64_Ehdr)) {
		close(fd);
		return PCAP_UNKNOWN;
	}
	img = mmap(NULL, st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
	close(fd);
	if (img == MAP_FAILED)
		return PCAP_UNKNOWN;
	if (!memcmp(img, ELFMAG, SELFMAG) && img[EI_CLASS] == ELFCLASS64 &&
	    img[EI_DATA] == ELFDATA2LSB)
		use = elf64_pcap(img, st.st_size);
	munmap((void *)img, st.st_size);
	return use;
}

/*
 * The program the dynamic loader is asked to run: its first argument
 * that is not an option of its own (ld.so --help), or NULL.
 */
static const char *loader_program(char *const args[])
{
	static const char *const with_arg[] = {
		"--library-path", "--glibc-hwcaps-prepend",
		"--glibc-hwcaps-mask", "--inhibit-rpath", "--audit",
		"--preload", "--argv0",
	};
	size_t i;

	for (; *args && !strncmp(*args, "--", 2); args++)
		for (i = 0; i < sizeof(with_arg) / sizeof(with_arg[0]); i++)
			if (!strcmp(*args, with_arg[i]) && args[1]) {
				args++;
				break;
			}
	return *args;
}

/* What the image says, for a program the loader runs (and exec's). */
static int pcap_use_works(const char *name, enum pcap_use use)
{
	switch (use) {
	case PCAP_STATIC_BINARY:
		fprintf(stderr, PROG ": %s is statically linked: nothing is "
			"preloaded into it (LD_PRELOAD needs the dynamic "
			"loader), so it would not see wirecap: devices. "
			"Link it with the shared libpcap.\n", name);
		return -1;
	case PCAP_LINKED_IN:
		fprintf(stderr, PROG ": %s has libpcap linked in (it defines "
			"pcap_create & co. itself): its calls never reach a "
			"library in LD_PRELOAD, so it would not see wirecap: "
			"devices. Link it with the shared libpcap.\n", name);
		return -1;
	case PCAP_NONE:
		fprintf(stderr, PROG ": warning: %s calls no pcap function "
			"itself: wirecap: devices work only if it reaches "
			"the shared libpcap through a library it loads\n",
			name);
		return 0;
	default:
		return 0;
	}
}

/*
 * Can the preload work for the program at path, run with args? 0: run
 * it (maybe after a warning); -1: said why not.
 */
static int preload_works(const char *name, const char *path,
			 char *const args[], const char *shim)
{
	enum pcap_use use;
	const char *why;
	struct stat st;

	if (stat(path, &st))
		return 0;	/* execvp says what is wrong */
	why = secure_exec(path, &st);
	if (why) {
		fprintf(stderr, PROG ": %s: %s, so the dynamic loader runs it "
			"in secure-execution mode and ignores LD_PRELOAD: it "
			"would not see wirecap: devices. %s\n", name, why,
			secure_exec_fix(why));
		return -1;
	}
	file_caps_warn(name, path);
	apparmor_warn(name, path, shim);
	use = elf_pcap(path);
	if (use == PCAP_LOADER) {
		/*
		 * ld.so PROG: PROG is loaded, not exec'd (its set-id bits and
		 * capabilities do not apply); the loader takes LD_PRELOAD. A
		 * PROG without a slash is looked for where libraries are:
		 * nothing to say about it.
		 */
		const char *prog = loader_program(args);

		if (!prog || !strchr(prog, '/') || stat(prog, &st))
			return 0;
		return pcap_use_works(prog, elf_pcap(prog));
	}
	return pcap_use_works(name, use);
}

int cmd_exec(int argc, char **argv)
{
	char shim[PATH_MAX], prog[PATH_MAX], *preload;
	const char *old;

	if (argc < 2 || !strcmp(argv[1], "-h") || !strcmp(argv[1], "--help")) {
		fprintf(argc < 2 ? stderr : stdout,
			"usage: wirecap exec PROGRAM [ARGS...]\n"
			"  runs PROGRAM with %s preloaded: its libpcap calls\n"
			"  can open wirecap:IFNAME and wirecap:IFNAME@QUEUES\n"
			"  (refused, and why, where the preload cannot work:\n"
			"  static binaries, libpcap linked in, setuid or file\n"
			"  capabilities; a warning where it may not: AppArmor\n"
			"  confinement, file capabilities run by root)\n",
			SHIM);
		return argc < 2 ? 2 : 0;
	}
	if (find_shim(shim, sizeof(shim))) {
		fprintf(stderr, PROG ": %s not found (beside this binary, in "
			"../lib or ../lib/wirecap, or $WIRECAP_PCAP_SO)\n",
			SHIM);
		return 127;
	}
	if (!find_program(argv[1], prog, sizeof(prog)) &&
	    preload_works(argv[1], prog, argv + 2, shim))
		return 126;
	old = getenv("LD_PRELOAD");
	if (asprintf(&preload, "%s%s%s", shim, old && *old ? ":" : "",
		     old ? old : "") < 0) {
		fprintf(stderr, PROG ": out of memory\n");
		return 127;
	}
	setenv("LD_PRELOAD", preload, 1);
	free(preload);
	execvp(argv[1], argv + 1);
	fprintf(stderr, PROG ": %s: %s\n", argv[1], strerror(errno));
	return 127;
}
