#!/bin/sh
# Lay out the Intel drivers WireCAP extends (e1000e, ixgbe) in a build copy
# of drivers/, from Debian's kernel source, with our hooks and glue added.
# Called by scripts/build-modules.sh before its kbuild run.
#
#   scripts/intel-src.sh <kernel release> <build copy of drivers/> [<kernel build dir>]
#
# For each driver DRV whose hooks and glue both exist (drivers/intel/
# patches/DRV.diff and drivers/intel/DRV_wirecap.c; either missing: DRV is
# not built, and that is not an error):
#
#   1. drivers/net/ethernet/intel/DRV/ of /usr/src/linux-source-X.Y.tar.xz
#      (Debian's linux-source-X.Y package; X.Y from the kernel release)
#      comes from a pristine cache, $WIRECAP_CACHE/intel-src/<sha256 of the
#      tarball, first 16 digits>/ [/var/cache/wirecap], filled by one xz
#      pass (about 15 s) the first time a tarball is seen;
#   2. it is copied to <drivers>/intel/DRV/, and patches/DRV.diff, a unified
#      diff with paths a/drivers/net/ethernet/intel/DRV/FILE, is applied
#      with `patch -p1 -F0` from a kernel-like root: no fuzz, and any hunk
#      that does not apply fails the build;
#   3. DRV_wirecap*.c and DRV_wirecap*.h are copied in beside the upstream
#      files, and the upstream Makefile gets, appended:
#        DRV-objs += DRV_wirecap.o           (one per DRV_wirecap*.c)
#        ccflags-y += -I<drivers>/include -I<drivers>/../uapi -I<drivers>
#      (wirecap_nic.h, wirecap_ring.h; linux/wirecap.h; compat_gen.h,
#      which scripts/build-modules.sh probes first), and, for upstream
#      objects only, the -Wno-... that silence what that upstream file
#      itself warns about under W=1 (the table below; never our glue).
#
# drivers/Kbuild builds every <drivers>/intel/DRV/ that has a Makefile, in
# the same kbuild run as wirecap.ko; the modules keep their upstream names
# (e1000e.ko, ixgbe.ko). <drivers>/intel/DRV/WIRECAP-SOURCE records where
# the source came from.
#
# A source whose SUBLEVEL differs from the headers' (the kernel's
# include/generated/uapi/linux/version.h) gives a warning, not an error.
#
# Environment: WIRECAP_INTEL_DIR, a directory laid out like drivers/intel
# (DRV_wirecap.c, DRV_wirecap.h, patches/DRV.diff) to take the hooks and
# glue from instead (scratch copies for testing); WIRECAP_INTEL_DRIVERS,
# the drivers to consider ["e1000e ixgbe"], or none; WIRECAP_CACHE;
# WIRECAP_INTEL_OPTIONAL=1: without the linux-source tarball, build no
# Intel driver (a note, not an error), as `make modules KDIR=` does for a
# kernel whose source Debian does not package here.
set -eu

prog='intel-src.sh'
die() { echo "$prog: $*" >&2; exit 1; }
[ $# -ge 2 ] || die "usage: $0 <kernel release> <build copy of drivers/> [<kernel build dir>]"
krel=$1 drivers=$2 kdir=${3:-}
top=$(cd "$(dirname "$0")/.." && pwd)
[ -d "$drivers" ] || die "no such directory: $drivers"
drivers=$(cd "$drivers" && pwd)
intel=${WIRECAP_INTEL_DIR:-$drivers/intel}
shown=${WIRECAP_INTEL_DIR:-drivers/intel}	# in messages
cache=${WIRECAP_CACHE:-/var/cache/wirecap}/intel-src
all=${WIRECAP_INTEL_DRIVERS:-e1000e ixgbe}
# none: no Intel driver (make modules KDIR= without INTEL=1)
[ "$all" != none ] || exit 0

# Upstream objects that warn under W=1 with Debian's gcc 12, and the
# warnings they give, one line each: "X.Y DRV OBJECT -Wno-... ...". Empty:
# pristine e1000e and ixgbe of 6.1.192 and 6.12.118 give no W=1 warning.
# scripts/check-intel.sh fails on any warning, so a new one shows there;
# list it here only if it is upstream's own, never for our glue.
w1_table='
'

# --- which drivers -----------------------------------------------------------
build=""
for drv in $all; do
	case $drv in e1000e | ixgbe) ;; *) die "unknown driver $drv (e1000e, ixgbe)" ;; esac
	have_c=0 have_d=0
	[ -f "$intel/${drv}_wirecap.c" ] && have_c=1
	[ -f "$intel/patches/$drv.diff" ] && have_d=1
	if [ $have_c = 1 ] && [ $have_d = 1 ]; then
		build="$build $drv"
	elif [ $have_c = 1 ]; then
		echo "$prog: note: $drv not built: no $shown/patches/$drv.diff" >&2
	elif [ $have_d = 1 ]; then
		echo "$prog: note: $drv not built: no $shown/${drv}_wirecap.c" >&2
	fi
	# A driver of an earlier layout in this copy must not be built.
	rm -rf "${drivers:?}/intel/$drv"
done
[ -n "$build" ] || exit 0

# --- the source: Debian's linux-source-X.Y --------------------------------------
mm=$(echo "$krel" | sed -n 's/^\([0-9][0-9]*\.[0-9][0-9]*\).*/\1/p')
[ -n "$mm" ] || die "cannot tell the kernel version of release '$krel'"
tarball=/usr/src/linux-source-$mm.tar.xz
if [ ! -f "$tarball" ]; then
	if [ "${WIRECAP_INTEL_OPTIONAL:-0}" = 1 ]; then
		echo "$prog: note: no $tarball: not building$build" >&2
		exit 0
	fi
	die "no $tarball (apt-get install linux-source-$mm; scripts/setup.sh does)"
fi

# The tarball's checksum, remembered by size and time so that it is computed
# once per tarball, not on every build.
mkdir -p "$cache"
stamp="$(stat -L -c '%s %Y %i' "$tarball")"
idfile=$cache/linux-source-$mm.id
sha=""
if [ -f "$idfile" ]; then
	read -r s1 s2 s3 s4 <"$idfile" || true
	[ "$s1 $s2 $s3" = "$stamp" ] && sha=$s4
fi
if [ -z "$sha" ]; then
	sha=$(sha256sum "$tarball" | cut -c1-16)
	echo "$stamp $sha" >"$idfile.$$"
	mv -f "$idfile.$$" "$idfile"
fi

# Pristine drivers (both, in one xz pass) and the source's version.
pristine=$cache/$sha
if [ ! -f "$pristine/version" ]; then
	echo "$prog: extracting e1000e and ixgbe from $tarball (once per tarball)" >&2
	t0=$(date +%s)
	tmp=$(mktemp -d "$cache/.x.XXXXXX")
	trap 'rm -rf "$tmp"' EXIT
	tar -xJf "$tarball" -C "$tmp" --strip-components=1 \
		"linux-source-$mm/Makefile" \
		"linux-source-$mm/drivers/net/ethernet/intel/e1000e" \
		"linux-source-$mm/drivers/net/ethernet/intel/ixgbe" ||
		die "extracting from $tarball failed"
	v=$(sed -n 's/^VERSION = //p' "$tmp/Makefile")
	p=$(sed -n 's/^PATCHLEVEL = //p' "$tmp/Makefile")
	s=$(sed -n 's/^SUBLEVEL = //p' "$tmp/Makefile")
	if [ -z "$v" ] || [ -z "$p" ] || [ -z "$s" ]; then
		die "no version in $tarball's Makefile"
	fi
	mkdir "$tmp/out"
	mv "$tmp/drivers/net/ethernet/intel/e1000e" "$tmp/drivers/net/ethernet/intel/ixgbe" "$tmp/out/"
	echo "$v.$p.$s" >"$tmp/out/version"
	echo "$tarball $(stat -L -c '%s %y' "$tarball") sha256 $(sha256sum "$tarball" | cut -d' ' -f1)" \
		>"$tmp/out/origin"
	chmod -R a+rX,a-w "$tmp/out"
	# Another build may have got there first: theirs is as good.
	mv -T "$tmp/out" "$pristine" 2>/dev/null || [ -f "$pristine/version" ] ||
		die "cannot create $pristine"
	rm -rf "$tmp"
	trap - EXIT
	echo "$prog: extracted in $(($(date +%s) - t0)) s into $pristine" >&2
fi
srcver=$(cat "$pristine/version")

# The headers' version (SUBLEVEL is not in Debian's release names).
if [ -z "$kdir" ]; then
	kdir=$top/build/kernels/$krel/lib/modules/$krel/build
	[ -f "$kdir/Makefile" ] || kdir=/usr/src/linux-headers-$krel
fi
vh=$kdir/include/generated/uapi/linux/version.h
hdrver=""
if [ -f "$vh" ]; then
	hdrver=$(awk '/define LINUX_VERSION_MAJOR/ { a = $3 } /define LINUX_VERSION_PATCHLEVEL/ { b = $3 }
		/define LINUX_VERSION_SUBLEVEL/ { c = $3 } END { if (c != "") print a "." b "." c }' "$vh")
fi
if [ -z "$hdrver" ]; then
	echo "$prog: warning: cannot read the headers' version ($vh); not compared with $srcver" >&2
elif [ "$hdrver" != "$srcver" ]; then
	echo "$prog: warning: $tarball is $srcver but the headers of $krel are $hdrver: the Intel drivers are built from another SUBLEVEL (update linux-source-$mm)" >&2
fi

# --- each driver: copy, patch, glue, Makefile -------------------------------------
for drv in $build; do
	dst=$drivers/intel/$drv
	diff=$intel/patches/$drv.diff
	dshown=$shown/patches/$drv.diff
	root=$(mktemp -d "${TMPDIR:-/tmp}/wirecap-intel.XXXXXX")
	trap 'rm -rf "$root"' EXIT
	up=$root/drivers/net/ethernet/intel/$drv
	mkdir -p "$up"
	cp -R "$pristine/$drv/." "$up/"
	chmod -R u+w "$root"
	# Every file the diff names must be in this driver's directory.
	# (file headers: a "--- " line followed by a "+++ " line)
	bad=$(awk '/^\+\+\+ / && prev ~ /^--- / { print prev; print } { prev = $0 }' "$diff" |
		sed 's/^\(---\|+++\) \([^[:space:]]*\).*/\2/' |
		grep -v -e "^[ab]/drivers/net/ethernet/intel/$drv/[^/][^/]*\$" -e '^/dev/null$' || true)
	[ -z "$bad" ] || die "$dshown: paths outside a/drivers/net/ethernet/intel/$drv/: $(echo "$bad" | tr '\n' ' ')"
	if grep -q '^@@ ' "$diff"; then
		if ! out=$(patch -d "$root" -p1 -F0 -N --batch --no-backup-if-mismatch \
			-r - -i "$diff" 2>&1); then
			printf '%s\n' "$out" | sed "s/^/$prog: /" >&2
			die "$dshown does not apply to $drv of linux-source $srcver (patch -p1 -F0)"
		fi
	else
		echo "$prog: note: $dshown has no hunks: $drv is upstream's as it is" >&2
	fi
	objs=""
	for f in "$intel/${drv}"_wirecap*.c "$intel/${drv}"_wirecap*.h; do
		[ -f "$f" ] || continue
		b=${f##*/}
		[ ! -e "$up/$b" ] || die "$b: upstream $drv already has a file of that name"
		cp "$f" "$up/$b"
		case $b in *.c) objs="$objs ${b%.c}.o" ;; esac
	done
	# Silence W=1 warnings of pristine upstream files, per object.
	quiet=$(printf '%s\n' "$w1_table" | awk -v k="$mm" -v d="$drv" '$1 == k && $2 == d {
		o = $3; $1 = $2 = $3 = ""; sub(/^ +/, ""); print "CFLAGS_" o " += " $0 }')
	cat >>"$up/Makefile" <<EOF

# --- WireCAP, appended by scripts/intel-src.sh ---
$drv-objs +=$objs
ccflags-y += -I\$(src)/../../include -I\$(src)/../../../uapi -I\$(src)/../..
$quiet
EOF
	{
		echo "source:  $(cat "$pristine/origin")"
		echo "version: $srcver (headers of $krel: ${hdrver:-unknown})"
		echo "hooks:   $dshown (sha256 $(sha256sum "$diff" | cut -c1-16))"
		echo "glue:   $objs"
	} >"$up/WIRECAP-SOURCE"
	rm -rf "$dst"
	mkdir -p "$drivers/intel"
	mv "$up" "$dst"
	rm -rf "$root"
	trap - EXIT
done
