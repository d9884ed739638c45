// SPDX-License-Identifier: BSD-2-Clause
/*
 * Host tests of how libwirecap attaches a queue (lib/queue.c,
 * wc_queue_open), against a stand-in for the kernel's side of one
 * device: the test is linked with open, ioctl and mmap wrapped
 * (mk/lib.mk), and the wrappers answer for /dev/wirecap/fake0-q3 what
 * the driver would, passing every other call through.
 *
 *   counts_from_attach  the session's counters start at its ATTACH: a
 *                       frame that reaches the queue right after ATTACH
 *                       returned, before the library went on, is in
 *                       wirecap_queue_stats()'s received, and what the
 *                       queue counted for an earlier session is not. The
 *                       library took its baseline after ATTACH, so a
 *                       process stopped there (e2e-drops stops the
 *                       handler as soon as sysfs says "attached") lost a
 *                       whole queue's frames from its totals.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "tap.h"
#include "internal.h"

#define FAKE_DEV	WIRECAP_DEV_DIR "/fake0-q3"
#define K_M		64
#define K_R		4
#define K_CELL		2048
#define K_CTRL		4096

/* The stand-in's queue: counters move only while attached, as chunk.c's. */
static struct {
	int fd;			/* the descriptor open() gave, -1: none */
	bool attached;
	unsigned int after_attach;	/* frames that land as ATTACH returns */
	struct wirecap_stats st;
} k = { .fd = -1 };

int __real_open(const char *path, int flags, ...);
int __real_ioctl(int fd, unsigned long req, ...);
void *__real_mmap(void *addr, size_t len, int prot, int flags, int fd,
		  off_t off);

int __wrap_open(const char *path, int flags, ...);
int __wrap_open(const char *path, int flags, ...)
{
	mode_t mode = 0;
	va_list ap;

	va_start(ap, flags);
	if (flags & (O_CREAT | O_TMPFILE))
		mode = va_arg(ap, mode_t);
	va_end(ap);
	if (strcmp(path, FAKE_DEV))
		return __real_open(path, flags, mode);
	k.fd = __real_open("/dev/null", O_RDWR | O_CLOEXEC);
	return k.fd;
}

static int k_info(struct wirecap_info *i)
{
	memset(i, 0, sizeof(*i));
	i->size = sizeof(*i);
	i->abi_version = WIRECAP_ABI_VERSION;
	i->nic_id = 7;
	i->ring_id = 3;
	i->nr_rings = 4;
	i->ring_size = 256;
	i->cell_size = K_CELL;
	i->frame_offset = 64;
	i->numa_node = -1;
	i->cells_per_chunk = K_M;
	i->nr_chunks = K_R;
	i->desc_ring_size = 64;
	i->max_timeout_us = 1000000;
	i->ctrl_offset = 0;
	i->ctrl_size = K_CTRL;
	i->pool_offset = K_CTRL;
	i->pool_size = (uint64_t)K_M * K_CELL * K_R;
	strcpy(i->ifname, "fake0");
	i->chunk_bytes = K_M * K_CELL;
	i->max_frame = 1514;
	return 0;
}

int __wrap_ioctl(int fd, unsigned long req, ...);
int __wrap_ioctl(int fd, unsigned long req, ...)
{
	va_list ap;
	void *arg;

	va_start(ap, req);
	arg = va_arg(ap, void *);
	va_end(ap);
	if (fd != k.fd || fd < 0)
		return __real_ioctl(fd, req, arg);
	switch (req) {
	case WIRECAP_CMD_INFO:
		return k_info(arg);
	case WIRECAP_CMD_STATS: {
		struct wirecap_stats *u = arg;
		uint32_t size = u->size < sizeof(k.st) ? u->size :
			sizeof(k.st);

		memcpy(u, &k.st, size);
		u->size = size;
		return 0;
	}
	case WIRECAP_CMD_ATTACH:
		if (k.attached) {
			errno = EBUSY;
			return -1;
		}
		k.attached = true;
		/* the NIC does not wait for the caller to look */
		k.st.received += k.after_attach;
		return 0;
	case WIRECAP_CMD_DETACH:
		k.attached = false;
		return 0;
	}
	errno = ENOTTY;
	return -1;
}

void *__wrap_mmap(void *addr, size_t len, int prot, int flags, int fd,
		  off_t off);
void *__wrap_mmap(void *addr, size_t len, int prot, int flags, int fd,
		  off_t off)
{
	void *p;

	if (fd != k.fd || fd < 0)
		return __real_mmap(addr, len, prot, flags, fd, off);
	p = __real_mmap(NULL, len, PROT_READ | PROT_WRITE,
			MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p != MAP_FAILED && off == 0 && len >= sizeof(struct wirecap_ctrl)) {
		struct wirecap_ctrl *c = p;

		c->desc_offset = 1024;
		c->meta_offset = 2048;
		c->chunks_free = K_R;
	}
	return p;
}

static int t_counts_from_attach(void)
{
	struct wirecap w;
	struct wc_nic nic;
	static struct wirecap_queue qs;
	struct wirecap_queue *q = &qs;
	struct wirecap_qstats st = { .sz = sizeof(st) };
	int ret;

	memset(&w, 0, sizeof(w));
	memset(&nic, 0, sizeof(nic));
	strcpy(nic.ifname, "fake0");
	w.opts.cells_per_chunk = K_M;
	w.opts.nr_chunks = K_R;
	w.opts.cell_size = K_CELL;
	/* an earlier session's traffic, then 5 frames as ATTACH returns */
	memset(&k.st, 0, sizeof(k.st));
	k.st.received = 1000;
	k.st.capture_drops = 30;
	k.after_attach = 5;
	ret = wc_queue_open(&w, &nic, q, 3);
	if (ret)
		tap_diag("wc_queue_open: %s", strerror(-ret));
	CHECK(ret == 0);
	CHECK(k.attached);
	ret = wirecap_queue_stats(q, &st);
	CHECK(ret == 0);
	if (st.kernel.received != 5 || st.kernel.capture_drops != 0)
		tap_diag("received %llu, capture_drops %llu since attach "
			 "(want 5, 0)",
			 (unsigned long long)st.kernel.received,
			 (unsigned long long)st.kernel.capture_drops);
	CHECK(st.kernel.received == 5);
	CHECK(st.kernel.capture_drops == 0);
	/* and from then on, what the queue counts */
	k.st.received += 7;
	k.st.capture_drops += 2;
	CHECK(wirecap_queue_stats(q, &st) == 0);
	CHECK(st.kernel.received == 12 && st.kernel.capture_drops == 2);
	wc_queue_close(q);
	CHECK(!k.attached);
	return 1;
}

int main(void)
{
	tap_plan(1);
	tap_run("a session's counters start at its ATTACH",
		t_counts_from_attach);
	return tap_exit();
}
