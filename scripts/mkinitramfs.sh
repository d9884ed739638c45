#!/bin/sh
# Build the gzip'd newc initramfs that the WireCAP test VM boots.
#
#   scripts/mkinitramfs.sh -k KREL [-K KROOT] [-m MODDIR] [-b BINDIR]
#                          [-e KMOD]... [-n FILE.ko]... (-o FILE | -c CACHEDIR)
#
#   -k KREL     guest kernel release, e.g. 6.1.0-56-amd64
#   -K KROOT    where that kernel was unpacked (default build/kernels/KREL);
#               its modules are read from KROOT/lib/modules/KREL
#   -m MODDIR   our built modules (*.ko), put in /lib/modules/KREL/extra
#   -b BINDIR   our static user binaries, put in /usr/lib/wirecap/bin
#   -e KMOD     also stage the guest kernel's module KMOD (e.g. virtio_net)
#               and what it depends on, but do not list it for loading at
#               boot: its load order goes to /etc/wirecap/kmods.KMOD (only
#               the modules not already in /etc/wirecap/kmods); repeatable
#   -n FILE.ko  one of our modules that is loaded on demand only (a NIC
#               driver: build/<krel>/modules/intel/e1000e.ko), staged in
#               /lib/modules/KREL/extra/nic/ with the guest kernel modules
#               it depends on; /etc/wirecap/kmods.NAME lists them in load
#               order, then it (ours, in MODDIR, are loaded at boot and not
#               listed); repeatable. A name given to -e too is an error.
#   -o FILE     write the image to FILE
#   -c CACHEDIR instead keep the image in CACHEDIR, named after a hash of its
#               content, and print its path; an image with the same content
#               is reused instead of being packed again
#
# Contents of the image:
#   /init                         scripts/vm-init.sh
#   /bin/busybox + applet links   from the host's busybox-static
#   /lib/modules/KREL/...         the guest kernel modules the VM needs (the
#                                 virtio-blk stack plus whatever our modules
#                                 depend on), decompressed, with modules.dep
#   /lib/modules/KREL/extra/*.ko  our modules (loaded at boot)
#   /lib/modules/KREL/extra/nic/  our on-demand modules (-n)
#   /etc/wirecap/kmods            absolute paths of the kernel modules, in
#                                 the order /init must insmod them
#   /etc/wirecap/kmods.KMOD       the same for each -e KMOD and -n module,
#                                 loaded on demand
#   /usr/lib/wirecap/bin/...      our binaries
#   /usr/sbin/ethtool             the host's, with its libraries, if it has one
#   /usr/sbin/xdp-bench           the same (xdp-tools)
#   /usr/bin/perf                 with WIRECAP_VM_PERF=1 in the environment,
#                                 the same (linux-perf; the real binary,
#                                 not Debian's wrapper script): 8 MB more
set -eu

top=$(cd "$(dirname "$0")/.." && pwd)

# The kernel's own modules every run needs. Modules the kernel has built in
# (6.12 builds the virtio core and virtio_pci in) are skipped; the ones that
# may not exist at all on some kernel are marked optional below.
base_mods="virtio_ring virtio virtio_pci_modern_dev virtio_pci_legacy_dev
virtio_pci virtio_blk"
optional_mods="virtio_pci_legacy_dev virtio_pci_modern_dev"

krel="" kroot="" moddir="" bindir="" out="" cache="" extra_kmods="" nic_mods=""
while getopts k:K:m:b:e:n:o:c: opt; do
	case $opt in
	k) krel=$OPTARG ;;
	K) kroot=$OPTARG ;;
	m) moddir=$OPTARG ;;
	b) bindir=$OPTARG ;;
	e) extra_kmods="$extra_kmods $OPTARG" ;;
	n) nic_mods="$nic_mods $OPTARG" ;;
	o) out=$OPTARG ;;
	c) cache=$OPTARG ;;
	*) sed -n '2,/^set -eu/p' "$0" | sed '$d; s/^# \{0,1\}//' >&2; exit 2 ;;
	esac
done
die() { echo "mkinitramfs: $*" >&2; exit 1; }
[ -n "$krel" ] || die "-k KREL is required"
[ -n "$out$cache" ] || die "one of -o FILE or -c CACHEDIR is required"
[ -n "$kroot" ] || kroot=$top/build/kernels/$krel
kmods=$kroot/lib/modules/$krel
[ -f "$kmods/modules.dep" ] || die "no $kmods/modules.dep (run scripts/setup.sh)"
for d in "$moddir" "$bindir"; do
	[ -z "$d" ] || [ -d "$d" ] || die "no such directory: $d"
done
for ko in $nic_mods; do
	[ -f "$ko" ] || die "-n: no such module: $ko"
done
busybox=$(command -v busybox) || die "busybox not found (apt-get install busybox-static)"

stage=$(mktemp -d "${TMPDIR:-/tmp}/wirecap-initramfs.XXXXXX")
trap 'rm -rf "$stage"' EXIT
trap 'exit 129' HUP
trap 'exit 130' INT
trap 'exit 143' TERM

# --- skeleton and busybox -------------------------------------------------
mkdir -p "$stage/bin" "$stage/sbin" "$stage/usr/bin" "$stage/usr/sbin" \
	"$stage/proc" "$stage/sys" "$stage/dev" "$stage/tmp" "$stage/results" \
	"$stage/in" "$stage/etc/wirecap" "$stage/usr/lib/wirecap/bin" \
	"$stage/lib/modules/$krel/extra"
# root only: programs that look users up (tcpdump's -Z) find it
echo 'root:x:0:0:root:/tmp:/bin/sh' >"$stage/etc/passwd"
echo 'root:x:0:' >"$stage/etc/group"
cp "$busybox" "$stage/bin/busybox"
# Debian's busybox-static must be a static binary; a dynamic one cannot run
# in the guest, which has no C library.
if command -v readelf >/dev/null && readelf -l "$busybox" 2>/dev/null | grep -q INTERP; then
	die "$busybox is dynamically linked; install busybox-static"
fi
# One relative symlink per applet, at the path busybox itself names
# (bin/sh, sbin/insmod, usr/bin/tar, ...). /init needs /bin/sh to start.
"$busybox" --list-full | while read -r applet; do
	case $applet in
	*/busybox | "") continue ;;
	esac
	case $applet in
	*/*/*) up=../.. ;;
	*/*) up=.. ;;
	*) up=. ;;
	esac
	[ -e "$stage/$applet" ] || ln -s "$up/bin/busybox" "$stage/$applet"
done
[ -L "$stage/bin/sh" ] || die "busybox has no sh applet"
# A console node lets the kernel give /init stdin/stdout before devtmpfs is
# mounted; it needs root to create, and /init copes without it.
mknod -m 600 "$stage/dev/console" c 5 1 2>/dev/null || true
cp "$top/scripts/vm-init.sh" "$stage/init"
chmod 755 "$stage/init"

# --- kernel modules ---------------------------------------------------------
# Normalised module name of a path: basename without .ko[.xz|.zst|.gz], '-'
# as '_' (the kernel treats them alike).
modname() { echo "$1" | sed 's,.*/,,; s/\.ko\(\.xz\|\.zst\|\.gz\)\{0,1\}$//; s/-/_/g'; }

# Kernel modules our own modules need (modinfo "depends"), other than ours.
ours=""
if [ -n "$moddir" ]; then
	for ko in "$moddir"/*.ko; do
		[ -f "$ko" ] && ours="$ours $(modname "$ko")"
	done
fi
want=$base_mods
for ko in ${moddir:+"$moddir"/*.ko}; do
	[ -f "$ko" ] || continue
	deps=$(modinfo -F depends "$ko" 2>/dev/null || true)
	for dep in $(echo "$deps" | tr , ' '); do
		dep=$(modname "$dep")
		case " $ours " in *" $dep "*) ;; *) want="$want $dep" ;; esac
	done
done

# Resolve the wanted names ($1) against modules.dep into a load order (each
# module after everything it depends on); skip built-in modules; report
# unknown names as "?name".
resolve() {
	awk -v want="$1" '
	function norm(p) {
		sub(/.*\//, "", p); sub(/\.ko(\.xz|\.zst|\.gz)?$/, "", p)
		gsub(/-/, "_", p); return p
	}
	function visit(n,   a, k, i) {
		if (n in seen) return
		seen[n] = 1
		if (n in builtin) return
		if (!(n in path)) { print "?" n; return }
		k = split(deps[n], a, " ")
		for (i = 1; i <= k; i++) visit(a[i])
		print path[n]
	}
	FILENAME ~ /modules\.builtin$/ { builtin[norm($0)] = 1; next }
	{
		key = $1; sub(/:$/, "", key); n = norm(key)
		path[n] = key; deps[n] = ""
		for (i = 2; i <= NF; i++) deps[n] = deps[n] " " norm($i)
	}
	END { k = split(want, w, " "); for (i = 1; i <= k; i++) visit(w[i]) }
' "$kmods/modules.builtin" "$kmods/modules.dep"
}

# stage ORDER LISTFILE [SKIP]: unpack the modules of ORDER (from resolve)
# into the image and append their guest paths to LISTFILE, leaving out
# those in SKIP (an earlier ORDER).
stage_kmods() {
	skip=" $(echo ${3:-}) "
	for m in $1; do
		case $skip in *" $m "*) continue ;; esac
		case $m in
		\?*)
			name=${m#?}
			case " $optional_mods " in
			*" $name "*) continue ;;
			esac
			die "kernel $krel has no module $name (neither built in nor in modules.dep)"
			;;
		esac
		src=$kmods/$m
		dst=$stage/lib/modules/$krel/$(echo "$m" | sed 's/\.\(xz\|zst\|gz\)$//')
		mkdir -p "$(dirname "$dst")"
		# busybox insmod does not read compressed modules: unpack them here.
		case $m in
		*.xz) xz -dc "$src" >"$dst" ;;
		*.zst) zstd -qdc "$src" >"$dst" ;;
		*.gz) gzip -dc "$src" >"$dst" ;;
		*) cp "$src" "$dst" ;;
		esac
		echo "/lib/modules/$krel/${dst#"$stage/lib/modules/$krel/"}" >>"$2"
	done
}

order=$(resolve "$want")
: >"$stage/etc/wirecap/kmods"
stage_kmods "$order" "$stage/etc/wirecap/kmods"
# On-demand modules. One that is built into this kernel gets an empty list
# (nothing to load); one that does not exist at all is an error.
for x in $extra_kmods; do
	x=$(modname "$x")
	: >"$stage/etc/wirecap/kmods.$x"
	stage_kmods "$(resolve "$x")" "$stage/etc/wirecap/kmods.$x" "$order"
done
# Our modules.
if [ -n "$moddir" ]; then
	for ko in "$moddir"/*.ko; do
		[ -f "$ko" ] && cp "$ko" "$stage/lib/modules/$krel/extra/"
	done
fi
# Our on-demand modules: what they need of the kernel's, then themselves.
for ko in $nic_mods; do
	name=$(modname "$ko")
	for x in $extra_kmods; do
		[ "$(modname "$x")" != "$name" ] || die "$name: both -e and -n"
	done
	need=""
	deps=$(modinfo -F depends "$ko" 2>/dev/null || true)
	for dep in $(echo "$deps" | tr , ' '); do
		dep=$(modname "$dep")
		case " $ours " in *" $dep "*) ;; *) need="$need $dep" ;; esac
	done
	: >"$stage/etc/wirecap/kmods.$name"
	[ -z "$need" ] || stage_kmods "$(resolve "$need")" "$stage/etc/wirecap/kmods.$name" "$order"
	mkdir -p "$stage/lib/modules/$krel/extra/nic"
	cp "$ko" "$stage/lib/modules/$krel/extra/nic/$name.ko"
	echo "/lib/modules/$krel/extra/nic/$name.ko" >>"$stage/etc/wirecap/kmods.$name"
done
# modules.dep and friends for what is in the image, so modprobe and rmmod
# work inside the guest too (modules.builtin tells modprobe what is built in).
for f in modules.builtin modules.builtin.modinfo modules.order; do
	[ -f "$kmods/$f" ] && cp "$kmods/$f" "$stage/lib/modules/$krel/"
done
depmod -b "$stage" "$krel" 2>/dev/null || die "depmod failed on the staged modules"

# --- our binaries -------------------------------------------------------------
# Dynamic programs (those linked with libpcap, say) and shared libraries
# (the libpcap shim) get the host's loader and the shared libraries ldd
# finds, at the same paths.
stage_libs() {
	readelf -d "$1" 2>/dev/null | grep -q NEEDED || return 0
	ldd "$1" | sed -n 's/.*=> \(\/[^ ]*\).*/\1/p; s/^[[:space:]]*\(\/[^ ]*\) (.*/\1/p' |
	while read -r lib; do
		[ -e "$stage$lib" ] && continue
		mkdir -p "$stage$(dirname "$lib")"
		cp -L "$lib" "$stage$lib"
	done
}
if [ -n "$bindir" ]; then
	cp -R "$bindir/." "$stage/usr/lib/wirecap/bin/"
	find "$stage/usr/lib/wirecap/bin" -type f | while read -r f; do
		stage_libs "$f"
	done
	# libxdp (the handler's xsk engine) loads its XDP programs from BPF
	# object files at run time: its default AF_XDP program and the
	# dispatcher, at the host's paths, if libxdp is installed.
	for o in /usr/lib/*/bpf/xsk_def_xdp_prog*.o /usr/lib/*/bpf/xdp-dispatcher.o; do
		[ -f "$o" ] || continue
		mkdir -p "$stage$(dirname "$o")"
		cp -L "$o" "$stage$o"
	done
fi

# ethtool (the e1000e NIC's -G, -S, -r), from the host's package.
et=$(command -v ethtool 2>/dev/null || true)
[ -n "$et" ] || [ ! -x /usr/sbin/ethtool ] || et=/usr/sbin/ethtool
if [ -n "$et" ]; then
	rm -f "$stage/usr/sbin/ethtool"
	cp -L "$et" "$stage/usr/sbin/ethtool"
	stage_libs "$et"
fi

# xdp-bench (xdp-tools: the forwarding bench's XDP_REDIRECT peer), from
# the host's package, if it has one. Its XDP programs are built into it;
# the no-op program it attaches to the egress NIC (virtio_net transmits
# redirected frames only from a NIC with a program) is libxdp's, in
# xdp-dispatcher.o, at the host's path.
xb=$(command -v xdp-bench 2>/dev/null || true)
[ -n "$xb" ] || [ ! -x /usr/sbin/xdp-bench ] || xb=/usr/sbin/xdp-bench
if [ -n "$xb" ]; then
	rm -f "$stage/usr/sbin/xdp-bench"
	cp -L "$xb" "$stage/usr/sbin/xdp-bench"
	stage_libs "$xb"
	for o in /usr/lib/*/bpf/xdp-dispatcher.o; do
		[ -f "$o" ] && [ ! -e "$stage$o" ] || continue
		mkdir -p "$stage$(dirname "$o")"
		cp -L "$o" "$stage$o"
	done
fi

# perf (linux-perf: the bench's profile experiment, cpu-clock sampling of
# the whole guest), from the host's package, if it has one, and only when
# asked (WIRECAP_VM_PERF=1: bench/peers.sh's profile runs), since it
# makes every image a quarter larger. Debian's
# /usr/bin/perf may be a wrapper script that runs perf_<version> for the
# running kernel; the guest gets the newest versioned binary then, as
# /usr/bin/perf (one perf reads both guest kernels).
pf=""
[ "${WIRECAP_VM_PERF:-0}" != 1 ] || pf=$(command -v perf 2>/dev/null || true)
if [ -n "$pf" ] && ! od -An -c -N4 "$pf" | grep -q 'E   L   F'; then
	pf=$(ls -v /usr/bin/perf_[0-9]* 2>/dev/null | tail -1)
fi
if [ -n "$pf" ]; then
	rm -f "$stage/usr/bin/perf"
	cp -L "$pf" "$stage/usr/bin/perf"
	stage_libs "$pf"
fi

# --- pack -------------------------------------------------------------------
pack() {
	(cd "$stage" && find . -print | LC_ALL=C sort |
		cpio -o -H newc -R 0:0 --quiet) | gzip -n -6 >"$1"
}
if [ -n "$out" ]; then
	mkdir -p "$(dirname "$out")"
	pack "$out.tmp.$$"
	mv -f "$out.tmp.$$" "$out"
	exit 0
fi

# Cache mode: name the image after a hash of the staged tree (names, types,
# modes, link targets and file contents), made with a normalised tar stream.
hash=$(cd "$stage" && tar -c --sort=name --owner=0 --group=0 --numeric-owner \
	--mtime=@0 -f - . | sha256sum | cut -c1-16)
mkdir -p "$cache"
img=$cache/initrd-$krel-$hash.cpio.gz
if [ -f "$img" ]; then
	touch "$img"
else
	pack "$img.tmp.$$"
	mv -f "$img.tmp.$$" "$img"
fi
# Keep the cache small: the 8 most recently used images.
ls -t "$cache"/initrd-*.cpio.gz 2>/dev/null | tail -n +9 | while read -r old; do
	rm -f "$old"
done
echo "$img"
