#!/bin/sh
# Install everything WireCAP needs to build and test, from Debian packages only,
# and unpack the two guest kernels the test VM boots (no install into /boot).
#
#   scripts/setup.sh            idempotent; safe to run on every `make`
#
# Kernels: the newest 6.1 ABI (via linux-headers-amd64) and the newest 6.12
# (via linux-headers-6.12-amd64). Their names are written to build/kernels.mk.
# The unpacked images are kept outside the tree, in $WIRECAP_CACHE
# (/var/cache/wirecap), so every clone on the machine shares them;
# build/kernels/<release> points there.
set -eu

top=$(cd "$(dirname "$0")/.." && pwd)
kdir="$top/build/kernels"
cache=${WIRECAP_CACHE:-/var/cache/wirecap}
mkdir -p "$kdir" "$cache/kernels"

# patch, sparse: the Intel drivers (scripts/intel-src.sh, make check-intel);
# ethtool: into the guest image (-G, -S, -r on the e1000e NIC); xdp-tools:
# its xdp-bench into the guest image (the forwarding bench's XDP_REDIRECT,
# bench/forward.sh); bittwist: a libpcap program that sends, run unchanged
# under `wirecap exec` in the guest (scripts/e2e-forward.sh);
# python3-prometheus-client: an OpenMetrics parser for `wirecap stats`
# (selftests/host/stats_metrics.sh); softflowd, tcpflow, p0f: libpcap
# programs run unchanged under `wirecap exec` in the guest and on the
# trace file on the host (scripts/e2e-apps.sh); pkg-config, groff-base,
# mandoc: `make install` checked as a user would use it, the .pc and the
# man pages rendered and linted (selftests/host/install.sh); linux-perf:
# its perf into the guest image, cpu-clock sampling of the whole guest
# (the bench's profile experiment, bench/profile.sh).
pkgs="build-essential make gcc kmod cpio gzip xz-utils busybox-static
qemu-system-x86 iproute2 tcpreplay tcpdump tshark liburing-dev libpcap-dev
libnuma-dev libxdp-dev libbpf-dev gnuplot-nox python3 perl patch sparse
ethtool xdp-tools bittwist python3-prometheus-client softflowd tcpflow p0f
pkg-config groff-base mandoc linux-perf"

missing=""
# linux-source-X.Y: the kselftest harness, and the e1000e and ixgbe sources
# the Intel drivers are built from (scripts/intel-src.sh).
for p in $pkgs linux-headers-amd64 linux-headers-6.12-amd64 linux-source-6.1 \
	linux-source-6.12; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' ||
		missing="$missing $p"
done
if [ -n "$missing" ]; then
	echo "setup: installing$missing"
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -q >/dev/null
	# tshark asks whether non-root may capture; answer no.
	echo "wireshark-common wireshark-common/install-setuid boolean false" |
		debconf-set-selections
	apt-get install -y -q --no-install-recommends $missing >/dev/null
fi

# The kernel release each metapackage points at.
rel_of() {
	dpkg-query -W -f='${Depends}' "$1" | sed -n 's/.*linux-headers-\([^ ,]*\).*/\1/p'
}
k61=$(rel_of linux-headers-amd64)
k612=$(rel_of linux-headers-6.12-amd64)

# Unpack each guest kernel image into the cache (dpkg -x, never /boot).
for rel in "$k61" "$k612"; do
	[ -f "$kdir/$rel/boot/vmlinuz-$rel" ] && continue
	if [ ! -f "$cache/kernels/$rel/boot/vmlinuz-$rel" ]; then
		tmp=$(mktemp -d)
		(cd "$tmp" && apt-get download -q "linux-image-$rel" >/dev/null)
		rm -rf "$cache/kernels/$rel" "$cache/kernels/$rel.tmp"
		dpkg -x "$tmp"/linux-image-"$rel"_*.deb "$cache/kernels/$rel.tmp"
		rm -rf "$tmp"
		depmod -b "$cache/kernels/$rel.tmp" "$rel"
		mv -T "$cache/kernels/$rel.tmp" "$cache/kernels/$rel"
	fi
	rm -rf "$kdir/$rel"
	ln -s "$cache/kernels/$rel" "$kdir/$rel"
done

# The kselftest harness, from the linux-source package at build time.
ksft="$top/build/ksft"
if [ ! -f "$ksft/kselftest_harness.h" ]; then
	mkdir -p "$ksft"
	tar -xJf /usr/src/linux-source-6.1.tar.xz -C "$ksft" --strip-components=4 \
		linux-source-6.1/tools/testing/selftests/kselftest_harness.h \
		linux-source-6.1/tools/testing/selftests/kselftest.h
fi

cat > "$top/build/kernels.mk.tmp" <<MK
KREL_6.1 := $k61
KREL_6.12 := $k612
MK
mv "$top/build/kernels.mk.tmp" "$top/build/kernels.mk"
echo "setup: kernels $k61 and $k612 ready"
