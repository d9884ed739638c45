#!/bin/sh
# Build the debug kernel of the test VM: Debian's 6.12 source with KASAN,
# lockdep, debug objects and friends, and only the drivers the VM uses
# (docs/debug-kernel.md says what is in it and why).
#
#   scripts/debug-kernel.sh            build it unless cached; print its release
#   scripts/debug-kernel.sh --config   stop after writing and checking .config
#                                      (prints its path)
#
# The build is cached outside the clone, in
# ${WIRECAP_CACHE:-/var/cache/wirecap}/debug-kernel/<key>, <key> being a hash
# of the config fragment below, the linux-source-6.12 version and the
# compiler, so a machine builds it once and every clone reuses it. Like the
# Debian kernels of scripts/setup.sh, build/kernels/<release> points into the
# cache: boot/vmlinuz-<release>, lib/modules/<release>/ (modules.dep,
# modules.builtin; build -> the kernel's build tree, for our out-of-tree
# modules). build/kernels-debug.mk records the release for scripts/krel.sh,
# so "debug" works wherever a kernel name does (KERNEL=debug, --kernel debug).
#
# 6.12 rather than 6.1: it has cancelable io_uring commands, so the driver's
# more complex teardown path (cancel, task-work completion, release) is the
# one under KASAN and lockdep. Environment: WIRECAP_CACHE, WIRECAP_DEBUG_JOBS
# (make -j, default: the number of CPUs).
set -eu

top=$(cd "$(dirname "$0")/.." && pwd)
cache=${WIRECAP_CACHE:-/var/cache/wirecap}
srcpkg=linux-source-6.12
tarball=/usr/src/$srcpkg.tar.xz
jobs=${WIRECAP_DEBUG_JOBS:-$(nproc)}
config_only=0
case ${1:-} in
"") ;;
--config) config_only=1 ;;
-h | --help) sed -n '2,/^set -eu/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
*) echo "debug-kernel: unknown argument $1 (see --help)" >&2; exit 2 ;;
esac
die() { echo "debug-kernel: $*" >&2; exit 1; }

# The configuration: `make allnoconfig` with this fragment forced in
# (KCONFIG_ALLCONFIG), so nothing is built that the VM does not use. Every
# line is checked against the resulting .config: a symbol whose
# dependencies are not met would otherwise vanish silently.
fragment='# --- the machine: QEMU pc, TCG, 2 vCPUs, virtio-pci; ACPI for poweroff
CONFIG_64BIT=y
CONFIG_SMP=y
CONFIG_NR_CPUS=8
CONFIG_NUMA=y
CONFIG_ACPI=y
CONFIG_PCI=y
CONFIG_PCI_MSI=y
CONFIG_HIGH_RES_TIMERS=y
CONFIG_NO_HZ_IDLE=y
CONFIG_VMAP_STACK=y
# full preemption: more interleavings than Debian'"'"'s voluntary default,
# and DEBUG_PREEMPT checks per-CPU accesses
CONFIG_PREEMPT=y
CONFIG_LOCALVERSION="-wirecap-debug"
# CONFIG_LOCALVERSION_AUTO is not set
# --- boot: gzip initramfs, busybox /init, console on ttyS0, ttyS1 for vm.sh
CONFIG_BLK_DEV_INITRD=y
CONFIG_RD_GZIP=y
CONFIG_BINFMT_ELF=y
CONFIG_BINFMT_SCRIPT=y
CONFIG_PRINTK=y
CONFIG_PRINTK_TIME=y
CONFIG_TTY=y
CONFIG_UNIX98_PTYS=y
CONFIG_SERIAL_8250=y
CONFIG_SERIAL_8250_CONSOLE=y
CONFIG_SERIAL_8250_NR_UARTS=4
CONFIG_SERIAL_8250_RUNTIME_UARTS=4
CONFIG_MAGIC_SYSRQ=y
CONFIG_DEVTMPFS=y
CONFIG_PROC_FS=y
CONFIG_PROC_SYSCTL=y
CONFIG_SYSFS=y
CONFIG_TMPFS=y
CONFIG_SHMEM=y
CONFIG_DEBUG_FS=y
CONFIG_IKCONFIG=y
CONFIG_IKCONFIG_PROC=y
# --- modules: ours are loaded and unloaded (selftests/module_unload.c)
CONFIG_MODULES=y
CONFIG_MODULE_UNLOAD=y
# --- what our modules, library and tests use
CONFIG_IO_URING=y
CONFIG_FUTEX=y
CONFIG_EPOLL=y
CONFIG_EVENTFD=y
CONFIG_TIMERFD=y
CONFIG_SIGNALFD=y
CONFIG_POSIX_TIMERS=y
CONFIG_MULTIUSER=y
CONFIG_ADVISE_SYSCALLS=y
CONFIG_FILE_LOCKING=y
# selftests/pool_charge.c charges pools to a cgroup v2 memory controller
CONFIG_CGROUPS=y
CONFIG_MEMCG=y
CONFIG_NAMESPACES=y
CONFIG_NET_NS=y
CONFIG_USER_NS=y
CONFIG_NET=y
CONFIG_UNIX=y
CONFIG_PACKET=y
CONFIG_INET=y
CONFIG_IPV6=y
CONFIG_NETDEVICES=y
CONFIG_NET_CORE=y
# --- virtio: the two disks built in; the stock NIC driver (the peer of
# wirecap_virtio.ko) a module, loaded on demand like on Debian
CONFIG_VIRTIO_MENU=y
CONFIG_VIRTIO_PCI=y
CONFIG_BLK_DEV=y
CONFIG_VIRTIO_BLK=y
CONFIG_VIRTIO_NET=m
# --- readable reports: symbols, and line numbers for decode_stacktrace.sh
CONFIG_DEBUG_KERNEL=y
CONFIG_KALLSYMS=y
CONFIG_KALLSYMS_ALL=y
CONFIG_DEBUG_BUGVERBOSE=y
CONFIG_DEBUG_INFO_DWARF_TOOLCHAIN_DEFAULT=y
CONFIG_DEBUG_INFO_REDUCED=y
# --- the checkers
CONFIG_KASAN=y
CONFIG_KASAN_GENERIC=y
CONFIG_KASAN_INLINE=y
CONFIG_KASAN_VMALLOC=y
CONFIG_PROVE_LOCKING=y
CONFIG_DEBUG_ATOMIC_SLEEP=y
CONFIG_DEBUG_PREEMPT=y
CONFIG_DEBUG_OBJECTS=y
CONFIG_DEBUG_OBJECTS_TIMERS=y
CONFIG_DEBUG_OBJECTS_FREE=y
CONFIG_DEBUG_OBJECTS_WORK=y
CONFIG_DEBUG_OBJECTS_RCU_HEAD=y
CONFIG_DEBUG_OBJECTS_ENABLE_DEFAULT=1
CONFIG_DEBUG_LIST=y
CONFIG_DEBUG_SG=y
CONFIG_DEBUG_VM=y
CONFIG_HARDENED_USERCOPY=y
CONFIG_UBSAN=y
CONFIG_UBSAN_BOUNDS=y
CONFIG_UBSAN_SHIFT=y
CONFIG_DEBUG_NET=y
CONFIG_NET_DEV_REFCNT_TRACKER=y
CONFIG_NET_NS_REFCNT_TRACKER=y
CONFIG_DETECT_HUNG_TASK=y
CONFIG_SOFTLOCKUP_DETECTOR=y
# --- fault injection, for tests that want allocations to fail
CONFIG_FAULT_INJECTION=y
CONFIG_FAILSLAB=y
CONFIG_FAIL_PAGE_ALLOC=y
CONFIG_FAULT_INJECTION_DEBUG_FS=y'

# --- build dependencies, from Debian (as scripts/setup.sh does) ----------------
pkgs="build-essential make gcc bc bison flex libelf-dev libssl-dev cpio kmod
xz-utils $srcpkg"
missing=""
for p in $pkgs; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' ||
		missing="$missing $p"
done
if [ -n "$missing" ]; then
	echo "debug-kernel: installing$missing"
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -q >/dev/null
	# shellcheck disable=SC2086  # (a list of package names)
	apt-get install -y -q --no-install-recommends $missing >/dev/null
fi
[ -f "$tarball" ] || die "no $tarball after installing $srcpkg"

# --- the cache key ----------------------------------------------------------------
srcver=$(dpkg-query -W -f='${Version}' "$srcpkg")
key=$(printf '%s\n%s %s\n%s\n' "$fragment" "$srcpkg" "$srcver" \
	"$(gcc --version | head -1)" | sha256sum | cut -c1-16)
dir=$cache/debug-kernel/$key
src=$dir/src obj=$dir/obj root=$dir/root
mkdir -p "$cache/debug-kernel"

# One build per key at a time: a second clone waits, then finds it done.
exec 9>"$cache/debug-kernel/$key.lock"
flock 9

# kmake TARGET...: make in the build tree. LOCALVERSION set (empty) keeps
# the release free of the "+" setlocalversion adds when it is unset.
kmake() {
	make -C "$src" O="$obj" ARCH=x86_64 LOCALVERSION= "$@"
}

# A finished build's .config is never regenerated (the build tree serves
# out-of-tree modules; it must not look changed).
if [ -f "$dir/done" ] && [ "$config_only" = 1 ]; then
	echo "$obj/.config"
	exit 0
fi
if [ ! -f "$dir/done" ]; then
	# Unpack once; an interrupted build resumes where make stopped (the
	# build tree must stay where it was made: it records its paths).
	if [ ! -f "$src/.unpacked" ]; then
		rm -rf "$dir"
		mkdir -p "$src"
		echo "debug-kernel: unpacking $srcpkg $srcver into $dir"
		tar -xJf "$tarball" -C "$src" --strip-components=1
		touch "$src/.unpacked"
	fi
	mkdir -p "$obj"
	printf '%s\n' "$fragment" >"$dir/wirecap-debug.config"
	kmake -s KCONFIG_ALLCONFIG="$dir/wirecap-debug.config" allnoconfig
	# Every line of the fragment must have survived into .config.
	bad=$(printf '%s\n' "$fragment" | grep -E '^(CONFIG_|# CONFIG_.* is not set)' |
		while IFS= read -r line; do
			grep -qxF "$line" "$obj/.config" || echo "    wanted: $line; got: $(
				sym=$(echo "$line" | sed 's/^# //; s/[= ].*//')
				grep -E "^($sym=|# $sym is not set)" "$obj/.config" || echo '(absent: unmet dependency?)')"
		done)
	[ -z "$bad" ] || die "the config fragment did not apply:
$bad"
	if [ "$config_only" = 1 ]; then
		echo "$obj/.config"
		exit 0
	fi

	echo "debug-kernel: building $(kmake -s kernelrelease) with $jobs jobs in $obj (cold: 8 to 15 minutes on 2 CPUs)"
	t0=$(date +%s)
	kmake -j"$jobs" bzImage modules >"$dir/build.log" 2>&1 || {
		tail -40 "$dir/build.log" >&2
		die "the build failed; the whole log is $dir/build.log"
	}
	t1=$(date +%s)
	rel=$(kmake -s kernelrelease)
	rm -rf "$root"
	mkdir -p "$root/boot"
	cp "$obj/arch/x86/boot/bzImage" "$root/boot/vmlinuz-$rel"
	cp "$obj/.config" "$root/boot/config-$rel"
	cp "$obj/System.map" "$root/boot/System.map-$rel"
	# modules.dep, modules.builtin (so mkinitramfs.sh skips what is built
	# in), and the build link that out-of-tree modules are built against.
	kmake -s INSTALL_MOD_PATH="$root" DEPMOD=/sbin/depmod modules_install >>"$dir/build.log" 2>&1
	ln -sfn "$obj" "$root/lib/modules/$rel/build"
	[ -f "$root/lib/modules/$rel/modules.dep" ] || die "modules_install wrote no modules.dep"
	[ -f "$root/lib/modules/$rel/modules.builtin" ] || die "modules_install wrote no modules.builtin"
	echo "$((t1 - t0))" >"$dir/build-seconds"
	echo "$rel" >"$dir/release"
	touch "$dir/done"
	echo "debug-kernel: built $rel in $((t1 - t0)) s"
fi
rel=$(cat "$dir/release")
touch "$dir/done"

# A build is a few GiB: keep the three most recently used (another clone's
# branch may have another fragment), skipping any that is being built or
# linked right now (its lock is held). The names are hex keys: ls is safe.
# shellcheck disable=SC2012
ls -dt "$cache"/debug-kernel/*/done 2>/dev/null | tail -n +4 | while read -r stamp; do
	old=${stamp%/done}
	(flock -n 8 || exit 0; rm -rf "$old"; echo "debug-kernel: removed the old build $old" >&2) \
		8>"$old.lock"
done

# --- link it into this clone ---------------------------------------------------------
mkdir -p "$top/build/kernels"
if [ "$(readlink "$top/build/kernels/$rel" 2>/dev/null)" != "$root" ]; then
	rm -rf "$top/build/kernels/$rel"
	ln -s "$root" "$top/build/kernels/$rel"
fi
printf 'KREL_debug := %s\n' "$rel" >"$top/build/kernels-debug.mk.tmp"
mv "$top/build/kernels-debug.mk.tmp" "$top/build/kernels-debug.mk"
echo "debug-kernel: $rel ready ($dir, built in $(cat "$dir/build-seconds") s)" >&2
echo "$rel"
