#!/bin/sh
# `make install` as a package build runs it, on the host, into a scratch
# DESTDIR with PREFIX=/usr (no VM, nothing outside the scratch folder):
#
#   - every file in its place (tool, library with its soname link, static
#     library, shim, headers, .pc, man pages, udev rule), and the shim
#     where `wirecap exec` finds it from the installed binary;
#   - libwirecap.so.0 is the soname; the .pc parses, with the prefix and
#     the version of VERSION;
#   - a program written here against the installed tree alone (its flags
#     from pkg-config, nothing from the source tree) compiles, links with
#     libwirecap.so and, --static, with libwirecap.a, and both fail the
#     way the API says when there is no queue device (the host never
#     loads our modules): wirecap_open() NULL with errno ENOENT;
#   - the man pages render without a warning (groff -ww, mandoc -Tlint),
#     and wirecap(8) has a section for every subcommand and names every
#     option each one's -h lists;
#   - dkms.conf is for VERSION and the modules drivers/Kbuild builds, and
#     the tree `make dkms-src` installs builds them with dkms.conf's own
#     MAKE line, as DKMS runs it (6.1's headers; skipped before setup);
#   - the group of the udev rule is declared for systemd-sysusers, which
#     creates it from the installed file (in a scratch root);
#   - uninstall leaves DESTDIR as it was (files of others included) and
#     none of our directories, and fails when it cannot remove a file;
#     PREFIX=/usr/local also goes where it says.
#
# Runs make in the source tree (it builds what it installs). About a
# minute and a half, most of it the module build.
#
#   selftests/host/install.sh        prints TAP; exit 0 iff all passed
set -eu
top=$(cd "$(dirname "$0")/../.." && pwd)
# shellcheck source=selftests/lib/tap.sh
. "$top/selftests/lib/tap.sh"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
dest=$tmp/dest
version=$(cat "$top/VERSION")
# A caller's settings would be tested instead of ours.
unset WIRECAP_PCAP_SO WIRECAP_CACHE KDIR KREL PKG_CONFIG_PATH \
	PKG_CONFIG_SYSROOT_DIR PKG_CONFIG_LIBDIR LD_LIBRARY_PATH

# the listing uninstall is held to: files and links, with their targets
listing() {
	(cd "$1" && find . \( -type f -o -type l \) -printf '%p %l\n' | LC_ALL=C sort)
}

tap_plan 26

# Someone else's files where ours go: uninstall must leave them.
mkdir -p "$dest/usr/include/linux" "$dest/usr/lib" "$dest/usr/share/man/man8"
echo '/* not ours */' >"$dest/usr/include/linux/other.h"
echo 'not ours' >"$dest/usr/lib/libother.so.1"
ln -s libother.so.1 "$dest/usr/lib/libother.so"
echo '.TH OTHER 8' >"$dest/usr/share/man/man8/other.8"
listing "$dest" >"$tmp/before"

rc=0
make -s -C "$top" install PREFIX=/usr DESTDIR="$dest" >"$tmp/install.log" 2>&1 || rc=$?
[ $rc = 0 ] || tail -8 "$tmp/install.log" | sed 's/^/# /'
tap_ok "make install PREFIX=/usr DESTDIR=... (exit $rc)" $rc

# --- the files ---------------------------------------------------------------
rc=0
for f in 755:bin/wirecap 644:lib/libwirecap.so.0 644:lib/libwirecap.a \
	644:lib/wirecap/libwirecap-pcap.so 644:include/wirecap/wirecap.h \
	644:include/linux/wirecap.h 644:lib/pkgconfig/libwirecap.pc \
	644:share/man/man8/wirecap.8 644:share/man/man3/libwirecap.3 \
	644:share/man/man7/wirecap-pcap.7 644:lib/udev/rules.d/60-wirecap.rules \
	644:lib/sysusers.d/wirecap.conf; do
	p=$dest/usr/${f#*:}
	if [ ! -f "$p" ] || [ -L "$p" ]; then
		tap_diag "missing: /usr/${f#*:}"
		rc=1
	elif [ "$(stat -c %a "$p")" != "${f%%:*}" ]; then
		tap_diag "/usr/${f#*:}: mode $(stat -c %a "$p"), not ${f%%:*}"
		rc=1
	fi
done
[ "$(readlink "$dest/usr/lib/libwirecap.so" 2>/dev/null)" = libwirecap.so.0 ] ||
	{ tap_diag "libwirecap.so is not a link to libwirecap.so.0"; rc=1; }
tap_ok "every file installed, with its mode; libwirecap.so -> libwirecap.so.0" $rc

# the headers are the source tree's, not stale copies
rc=0
cmp -s "$top/lib/wirecap.h" "$dest/usr/include/wirecap/wirecap.h" || rc=1
cmp -s "$top/uapi/linux/wirecap.h" "$dest/usr/include/linux/wirecap.h" || rc=1
tap_ok "the headers are lib/wirecap.h and uapi/linux/wirecap.h" $rc

so=$(readelf -d "$dest/usr/lib/libwirecap.so.0" 2>/dev/null |
	sed -n 's/.*(SONAME).*\[\(.*\)\]/\1/p')
rc=0
[ "$so" = libwirecap.so.0 ] || rc=1
tap_ok "soname of the library: '$so'" $rc

# The shim is found from the installed binary, not from the source tree
# (wirecap exec runs a shell here, which shows what it preloaded).
# shellcheck disable=SC2016  # (the shell run by exec expands it)
got=$("$dest/usr/bin/wirecap" exec /bin/sh -c 'printf %s "$LD_PRELOAD"' \
	2>"$tmp/exec.err") || true
want=$dest/usr/lib/wirecap/libwirecap-pcap.so
rc=0
[ "$got" = "$want" ] ||
	{ tap_diag "LD_PRELOAD '$got'"; sed 's/^/# /' "$tmp/exec.err"; rc=1; }
tap_ok "wirecap exec preloads the installed shim (lib/wirecap/)" $rc

# --- pkg-config ----------------------------------------------------------------
# DESTDIR as the sysroot: the .pc says /usr, pkg-config puts DESTDIR in
# front. liburing's and numa's .pc (Requires.private) are the system's.
sysdirs=$(pkg-config --variable pc_path pkg-config)
pc() {
	PKG_CONFIG_LIBDIR=$dest/usr/lib/pkgconfig:$sysdirs \
		PKG_CONFIG_SYSROOT_DIR=$dest pkg-config "$@"
}
rc=0
v=$(pc --modversion libwirecap 2>"$tmp/pc.err") || rc=1
p=$(PKG_CONFIG_LIBDIR=$dest/usr/lib/pkgconfig:$sysdirs \
	pkg-config --variable=prefix libwirecap 2>>"$tmp/pc.err") || rc=1
[ "$v" = "$version" ] && [ "$p" = /usr ] || rc=1
[ $rc = 0 ] || sed 's/^/# /' "$tmp/pc.err"
tap_ok "libwirecap.pc: version '$v' (VERSION $version), prefix '$p'" $rc

rc=0
flags=$(pc --cflags --libs libwirecap 2>"$tmp/pc.err") || rc=1
sflags=$(pc --static --cflags --libs libwirecap 2>>"$tmp/pc.err") || rc=1
case " $flags " in *" -I$dest/usr/include "*" -lwirecap "*) ;; *) rc=1 ;; esac
case " $sflags " in *" -lwirecap "*" -luring "*) ;; *) rc=1 ;; esac
case " $sflags " in *" -lnuma "*) ;; *) rc=1 ;; esac
[ $rc = 0 ] || { sed 's/^/# /' "$tmp/pc.err"; tap_diag "flags: $flags"; tap_diag "static: $sflags"; }
tap_ok "pkg-config --cflags --libs [--static] libwirecap" $rc

# --- a program against the installed tree ------------------------------------
# Both headers, the library's constructor, a getter, a pure function.
# No queue device on the host: wirecap_open() must say ENOENT.
cat >"$tmp/prog.c" <<'EOF'
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <wirecap/wirecap.h>
#include <linux/wirecap.h>

int main(void)
{
	unsigned int q[8];
	int n = wirecap_parse_queues("0,2-3", q, 8);
	struct wirecap *w;

	printf("parse %d: %u %u %u\n", n, q[0], q[1], q[2]);
	printf("queues of no session: %u\n", wirecap_queue_count(NULL));
	w = wirecap_open("wcinstall0", NULL, 0, NULL);
	if (!w) {
		printf("open %s/wcinstall0-q0: %s\n", WIRECAP_DEV_DIR,
		       strerrorname_np(errno));
		return 1;
	}
	wirecap_close(w);
	return 0;
}
EOF
want="parse 3: 0 2 3
queues of no session: 0
open /dev/wirecap/wcinstall0-q0: ENOENT"

rc=0
# shellcheck disable=SC2086  # (flags: words)
cc -Wall -Werror -o "$tmp/prog" "$tmp/prog.c" $flags 2>"$tmp/cc.err" || rc=$?
[ $rc = 0 ] || sed 's/^/# /' "$tmp/cc.err"
tap_ok "a program builds with pkg-config's flags only (shared)" $rc

rc=0
readelf -d "$tmp/prog" 2>/dev/null | grep -q 'NEEDED.*\[libwirecap\.so\.0\]' || rc=1
LD_LIBRARY_PATH=$dest/usr/lib ldd "$tmp/prog" 2>/dev/null |
	grep -q "libwirecap\.so\.0 => $dest/usr/lib/libwirecap\.so\.0" || rc=1
tap_ok "it needs libwirecap.so.0, found in DESTDIR" $rc

if [ -e /dev/wirecap/wcinstall0-q0 ]; then
	tap_skip "a queue device wcinstall0-q0 exists here"
else
	st=0 rc=0
	got=$(LD_LIBRARY_PATH=$dest/usr/lib "$tmp/prog" 2>&1) || st=$?
	if [ "$got" != "$want" ] || [ $st != 1 ]; then
		echo "$got" | sed 's/^/# got: /'
		rc=1
	fi
	tap_ok "with no device it fails cleanly: ENOENT, exit 1 (exit $st)" $rc
fi

rc=0
# shellcheck disable=SC2086
cc -static -Wall -Werror -o "$tmp/prog-static" "$tmp/prog.c" $sflags \
	2>"$tmp/cc.err" || rc=$?
[ $rc = 0 ] || sed 's/^/# /' "$tmp/cc.err"
if [ $rc = 0 ] && readelf -d "$tmp/prog-static" 2>/dev/null | grep -q NEEDED; then
	tap_diag "not static: $(readelf -d "$tmp/prog-static" | grep NEEDED | tr -s ' ')"
	rc=1
fi
tap_ok "a static program builds with pkg-config --static (libwirecap.a)" $rc

if [ -e /dev/wirecap/wcinstall0-q0 ]; then
	tap_skip "a queue device wcinstall0-q0 exists here"
else
	st=0 rc=0
	got=$("$tmp/prog-static" 2>&1) || st=$?
	if [ "$got" != "$want" ] || [ $st != 1 ]; then
		echo "$got" | sed 's/^/# got: /'
		rc=1
	fi
	tap_ok "the static one fails the same way (exit $st)" $rc
fi

# --- man pages -------------------------------------------------------------
rc=0
for m in man8/wirecap.8 man3/libwirecap.3 man7/wirecap-pcap.7; do
	p=$dest/usr/share/man/$m
	groff -man -Tutf8 -ww "$p" >"$tmp/man.out" 2>"$tmp/man.err" || rc=1
	if [ -s "$tmp/man.err" ] || [ "$(wc -l <"$tmp/man.out")" -lt 40 ]; then
		tap_diag "$m:"
		sed 's/^/# /' "$tmp/man.err"
		rc=1
	fi
done
tap_ok "man pages render with groff -ww, no warning" $rc

if command -v mandoc >/dev/null; then
	rc=0
	for m in man8/wirecap.8 man3/libwirecap.3 man7/wirecap-pcap.7; do
		mandoc -Tlint -Wstyle "$dest/usr/share/man/$m" >"$tmp/lint" 2>&1 || rc=1
		[ ! -s "$tmp/lint" ] || { sed 's/^/# /' "$tmp/lint"; rc=1; }
	done
	tap_ok "mandoc -Tlint: nothing to say" $rc
else
	tap_skip "no mandoc (scripts/setup.sh installs it)"
fi

# Every subcommand has its section, every option of its -h is named in
# it: the page cannot fall behind the tool unnoticed.
man8=$dest/usr/share/man/man8/wirecap.8
rc=0
for c in capture stats profile handler forward exec; do
	grep -qx "\.SS $c" "$man8" || { tap_diag "no section for $c"; rc=1; }
	"$dest/usr/bin/wirecap" "$c" -h >"$tmp/help" 2>&1 || true
	# shellcheck disable=SC2013  # (options are words)
	for o in $(grep -oE '(^|[][ ,|])--?[A-Za-z][A-Za-z0-9-]*' "$tmp/help" |
		sed 's/^[][ ,|]*//' | LC_ALL=C sort -u); do
		[ "$o" = -h ] && continue
		roff=$(printf '%s' "$o" | sed 's/-/\\\\-/g')
		grep -q -- "$roff\\b" "$man8" ||
			{ tap_diag "wirecap $c $o: not in wirecap(8)"; rc=1; }
	done
done
tap_ok "wirecap(8): every subcommand, every option of their -h" $rc

# --- udev ------------------------------------------------------------------
# The class the rule matches is the one wirecap.ko registers.
rule=$dest/usr/lib/udev/rules.d/60-wirecap.rules
rc=0
grep -q '^SUBSYSTEM=="wirecap", GROUP="wirecap", MODE="0660"$' "$rule" || rc=1
grep -q '\.name = "wirecap",' "$top/drivers/wirecap/main.c" || rc=1
grep -q 'kasprintf(GFP_KERNEL, "wirecap/%s"' "$top/drivers/wirecap/main.c" || rc=1
tap_ok "udev rule: class wirecap (main.c's), group wirecap, 0660" $rc

# The group is declared as systemd-sysusers reads it: given the installed
# file, it creates the group in a scratch root (not the host's /etc).
rc=0
if command -v systemd-sysusers >/dev/null; then
	mkdir -p "$tmp/sysroot/etc"
	systemd-sysusers --root="$tmp/sysroot" \
		"$dest/usr/lib/sysusers.d/wirecap.conf" >"$tmp/sysusers.log" 2>&1 || rc=1
	grep -q '^wirecap:x:[0-9]*:$' "$tmp/sysroot/etc/group" 2>/dev/null || rc=1
	[ $rc = 0 ] || sed 's/^/# /' "$tmp/sysusers.log"
	tap_ok "sysusers.d/wirecap.conf: systemd-sysusers creates group wirecap" $rc
else
	tap_skip "no systemd-sysusers here"
fi

# --- DKMS ------------------------------------------------------------------
# dkms.conf is bash, sourced by dkms with kernelver and kernel_source_dir
# set; this prints what dkms reads of it, one "KEY VALUE..." a line.
cat >"$tmp/dkms-vars.bash" <<'EOF'
kernelver=$2 kernel_source_dir=$3
. "$1" || exit 1
echo "NAME $PACKAGE_NAME"
echo "VERSION $PACKAGE_VERSION"
echo "MAKE ${MAKE[0]}"
[[ $kernelver =~ ${BUILD_EXCLUSIVE_KERNEL:-.} ]] && echo "BUILDS $kernelver"
for i in "${!BUILT_MODULE_NAME[@]}"; do
	echo "MODULE ${BUILT_MODULE_NAME[$i]} ${BUILT_MODULE_LOCATION[$i]}"
done
EOF
dkmsvars() {	# dkmsvars DKMS.CONF KREL KDIR
	bash "$tmp/dkms-vars.bash" "$@"
}
rc=0
dkmsvars "$top/dkms.conf" r k >"$tmp/dkms.vars" || rc=1
name=$(sed -n 's/^NAME //p' "$tmp/dkms.vars")
ver=$(sed -n 's/^VERSION //p' "$tmp/dkms.vars")
mods=$(sed -n 's/^MODULE \([^ ]*\) .*/\1/p' "$tmp/dkms.vars")
if [ "$name" != wirecap ] || [ "$ver" != "$version" ]; then rc=1; fi
for m in $mods; do
	grep -q "^obj-m += $m\.o$" "$top/drivers/Kbuild" ||
		{ tap_diag "$m: not a module of drivers/Kbuild"; rc=1; }
done
for m in wirecap wirecap_virtio; do
	echo "$mods" | grep -qx "$m" || { tap_diag "dkms.conf does not install $m"; rc=1; }
done
tap_ok "dkms.conf: $name $ver (VERSION $version), modules $(echo "$mods" | paste -sd ' ' -)" $rc

# BUILD_EXCLUSIVE_KERNEL: the kernels compat.h knows, the test kernels
# among them; not one it does not know
rc=0
for r in 6.1.0-57-amd64 6.12.118+deb12-amd64 6.19.1; do
	dkmsvars "$top/dkms.conf" "$r" k | grep -qx "BUILDS $r" ||
		{ tap_diag "dkms.conf would not build for $r"; rc=1; }
done
for r in 5.10.0-30-amd64 6.20.0 7.0.1; do
	! dkmsvars "$top/dkms.conf" "$r" k | grep -q "^BUILDS" ||
		{ tap_diag "dkms.conf would build for $r"; rc=1; }
done
tap_ok "dkms.conf: BUILD_EXCLUSIVE_KERNEL takes 6.1 .. 6.19 only" $rc

rc=0
make -s -C "$top" dkms-src DESTDIR="$dest" >"$tmp/dkms-src.log" 2>&1 || rc=$?
src=$dest/usr/src/wirecap-$version
[ -f "$src/dkms.conf" ] && [ -f "$src/drivers/Kbuild" ] || rc=1
[ $rc = 0 ] || sed 's/^/# /' "$tmp/dkms-src.log"
tap_ok "make dkms-src: /usr/src/wirecap-$version with dkms.conf" $rc

# As DKMS builds: a copy of the source tree, MAKE[0] run in it with the
# kernel's release and build directory, then BUILT_MODULE_LOCATION/NAME.ko.
if [ ! -f "$src/dkms.conf" ]; then
	tap_ok "no dkms-src tree to build" 1
elif rel=$("$top/scripts/krel.sh" 6.1 2>/dev/null); then
	kdir=$top/build/kernels/$rel/lib/modules/$rel/build
	[ -f "$kdir/Makefile" ] || kdir=/usr/src/linux-headers-$rel
	cp -R "$src" "$tmp/dkms-build"
	rc=0
	dkmsvars "$src/dkms.conf" "$rel" "$kdir" >"$tmp/dkms.vars" || rc=1
	cmd=$(sed -n 's/^MAKE //p' "$tmp/dkms.vars")
	(cd "$tmp/dkms-build" && sh -c "$cmd") >"$tmp/dkms.log" 2>&1 || rc=$?
	[ $rc = 0 ] || tail -8 "$tmp/dkms.log" | sed 's/^/# /'
	n=0
	while read -r key m loc; do
		[ "$key" = MODULE ] || continue
		ko=$tmp/dkms-build/$loc/$m.ko
		vm=$(modinfo -F vermagic "$ko" 2>/dev/null | cut -d' ' -f1)
		[ "$vm" = "$rel" ] || { tap_diag "$loc$m.ko: vermagic '$vm'"; rc=1; }
		n=$((n + 1))
	done <"$tmp/dkms.vars"
	[ $n -ge 3 ] || rc=1
	tap_ok "the dkms-src tree builds dkms.conf's $n modules for $rel: $cmd" $rc
else
	tap_skip "kernel 6.1 unknown (scripts/setup.sh has not run)"
fi

# --- uninstall -------------------------------------------------------------
rc=0
make -s -C "$top" uninstall PREFIX=/usr DESTDIR="$dest" >"$tmp/un.log" 2>&1 || rc=$?
make -s -C "$top" uninstall-dkms-src DESTDIR="$dest" >>"$tmp/un.log" 2>&1 || rc=$?
[ $rc = 0 ] || sed 's/^/# /' "$tmp/un.log"
tap_ok "make uninstall, make uninstall-dkms-src (exit $rc)" $rc

listing "$dest" >"$tmp/after"
rc=0
diff -u "$tmp/before" "$tmp/after" >"$tmp/diff" || rc=1
[ $rc = 0 ] || sed 's/^/# /' "$tmp/diff"
tap_ok "uninstall left exactly the files that were there before" $rc

left=$(cd "$dest" && find . -type d -name '*wirecap*')
rc=0
[ -z "$left" ] || { tap_diag "left: $left"; rc=1; }
tap_ok "none of our directories is left" $rc

# A file uninstall cannot remove (a directory where the tool was): it
# says so and fails, having removed the rest.
rc=0
make -s -C "$top" install PREFIX=/usr DESTDIR="$tmp/stuck" >"$tmp/stuck.log" 2>&1 || rc=1
rm -f "$tmp/stuck/usr/bin/wirecap"
mkdir -p "$tmp/stuck/usr/bin/wirecap/x"
st=0
make -s -C "$top" uninstall PREFIX=/usr DESTDIR="$tmp/stuck" >>"$tmp/stuck.log" 2>&1 || st=$?
[ $st != 0 ] || rc=1
grep -q 'wirecap.*[Ii]s a directory' "$tmp/stuck.log" || rc=1
[ ! -e "$tmp/stuck/usr/lib/libwirecap.so.0" ] || rc=1
[ $rc = 0 ] || tail -5 "$tmp/stuck.log" | sed 's/^/# /'
tap_ok "uninstall fails when a file cannot be removed (exit $st)" $rc

# The default prefix, /usr/local, into another DESTDIR: where it says.
rc=0
make -s -C "$top" install DESTDIR="$tmp/local" >"$tmp/local.log" 2>&1 || rc=$?
for f in bin/wirecap lib/libwirecap.so.0 lib/wirecap/libwirecap-pcap.so \
	include/wirecap/wirecap.h share/man/man8/wirecap.8; do
	[ -f "$tmp/local/usr/local/$f" ] || { tap_diag "no /usr/local/$f"; rc=1; }
done
grep -qx 'prefix=/usr/local' "$tmp/local/usr/local/lib/pkgconfig/libwirecap.pc" 2>/dev/null ||
	{ tap_diag "libwirecap.pc: $(grep '^prefix' "$tmp/local/usr/local/lib/pkgconfig/libwirecap.pc" 2>&1)"; rc=1; }
[ ! -e "$tmp/local/usr/bin" ] || { tap_diag "something went to /usr/bin"; rc=1; }
tap_ok "PREFIX defaults to /usr/local" $rc
tap_done
