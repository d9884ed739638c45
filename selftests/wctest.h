/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Helpers for WireCAP's kernel-facing selftests (run in the test VM).
 * Each test makes its own software NIC with the geometry it needs, so the
 * counts it asserts are exact.
 */
#ifndef WCTEST_H
#define WCTEST_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <linux/wirecap.h>
#include <linux/wirecap_softnic.h>

struct wct_queue {
	int fd;
	struct wirecap_info info;
	void *ctrl;
	size_t ctrl_len;
	uint8_t *pool;
	size_t pool_len;
	struct wirecap_ctrl *hdr;
	struct wirecap_desc *descs;
	struct wirecap_cell_meta *meta;
	uint32_t head;			/* descriptors consumed */
};

/* Make a software NIC; its name goes to name (IFNAMSIZ). 0 or -errno. */
int wct_nic_new(unsigned int queues, unsigned int ring, char *name);
int wct_nic_del(const char *name);
/*
 * Set a software NIC's fault-injection knob (drivers/softnic/softnic.h:
 * start_delay_ms, fail_start, stop_delay_ms, fail_stop, bad_len).
 */
int wct_nic_fault(const char *nic, const char *knob, unsigned int value);
/* Write text to a file (sysfs, debugfs, proc). 0 or -errno. */
int wct_write_file(const char *path, const char *text);
/* Move interface ifname to the network namespace of process pid. */
int wct_link_netns(const char *ifname, int pid);
/* Rename an interface (it must be down). 0 or -errno. */
int wct_link_rename(const char *from, const char *to);

/*
 * Set an interface up or down (up: with IPv6 off on it, so that the stack
 * sends nothing of its own out of it). 0 or -errno.
 */
int wct_link_up(const char *ifname, bool up);
/*
 * A packet tap (AF_PACKET, every protocol) on nic: the socket, or -errno.
 * wct_tap_next_out(): the next frame of that ethertype the stack sent out
 * of nic within ms, into buf: its length, or -ETIMEDOUT.
 */
int wct_tap_open(const char *nic);
int wct_tap_next_out(int s, uint16_t ethertype, uint8_t *buf, size_t size,
		     unsigned int ms);

/*
 * Read a software NIC's wire (what XMIT gave it) until it is empty: each
 * frame read is sent, its cell given back. fn sees each frame, in order.
 * Returns the number of frames, or -errno.
 */
int wct_wire_read(const char *nic,
		  void (*fn)(void *ctx, const uint8_t *frame, uint32_t len),
		  void *ctx);

/* Inject count generated packets of len bytes (queue -1: RSS). */
int wct_inject(const char *nic, int queue, uint64_t count, unsigned int len,
	       uint64_t seq);
/* Inject nr frames (each len[i] bytes) once each. */
int wct_inject_frames(const char *nic, int queue, const uint8_t *const *frames,
		      const uint32_t *len, unsigned int nr);

int wct_open(struct wct_queue *q, const char *nic, unsigned int ring);
/* ATTACH with M, R (0: defaults), then INFO and mmap both regions. */
int wct_attach(struct wct_queue *q, uint32_t m, uint32_t r);
/*
 * ATTACH with a cell size (0: the default, as wct_attach()); with one,
 * frames may span cells (WIRECAP_ATTACH_MULTI_CELL).
 */
int wct_attach_cells(struct wct_queue *q, uint32_t m, uint32_t r,
		     uint32_t cell_size);
/* ATTACH with these flags (WIRECAP_ATTACH_*), and map. */
int wct_attach_flags(struct wct_queue *q, uint32_t m, uint32_t r,
		     uint32_t cell_size, uint32_t flags);
/* Set a NIC's MTU: 0 or -errno. */
int wct_set_mtu(const char *nic, unsigned int mtu);
void wct_unmap(struct wct_queue *q);
void wct_close(struct wct_queue *q);

int wct_capture(struct wct_queue *q, uint32_t max, uint32_t timeout_us);
int wct_recycle(struct wct_queue *q, const struct wirecap_desc *d,
		unsigned int n);
/* The i-th descriptor after the consumed ones; consume n of them. */
struct wirecap_desc *wct_desc(struct wct_queue *q, uint32_t i);
void wct_consume(struct wct_queue *q, uint32_t n);
uint32_t wct_tail(const struct wct_queue *q);

/*
 * Capture once (up to max views, waiting up to timeout_us) and check that
 * the views hold generated packets *next, *next + 1, ... in order,
 * advancing *next; recycle them if asked. Returns the number of views, or
 * -1 when a packet is out of sequence or a capture or recycle fails.
 */
int wct_take_in_order(struct wct_queue *q, uint32_t max, uint32_t timeout_us,
		      uint64_t *next, bool recycle);

/* One CAPTURE parked through io_uring by a thread of its own. */
struct wct_parked {
	pthread_t thread;
	int fd;
	uint32_t timeout_us;
	int res;		/* its completion, 1 if none came */
};
int wct_park(struct wct_parked *p, int fd, uint32_t timeout_us);
int wct_park_result(struct wct_parked *p);

const uint8_t *wct_frame(const struct wct_queue *q, uint32_t chunk,
			 uint32_t cell);
/* The sequence number of a generated packet (frame: its first byte). */
uint64_t wct_frame_seq(const uint8_t *frame);
/* The same, of the packet in a cell. */
uint64_t wct_seq(const struct wct_queue *q, uint32_t chunk, uint32_t cell);

struct wirecap_stats wct_stats(const struct wct_queue *q);
/* A counter from sysfs, e.g. wct_sysfs("wcsim1", 0, "stats/received"). */
long long wct_sysfs(const char *nic, unsigned int ring, const char *attr);

uint64_t wct_now_us(void);

/*
 * Tools run as children: wct_tool_path() names a program next to this one
 * (build/bin/NAME); wct_spawn() runs it with argv (NULL-terminated),
 * stdout and stderr to the file out; wct_wait_exit() gives its exit status
 * (128 + signal), or -1 when it had to be killed after ms; and
 * wct_wait_attached() waits until the queues in mask (of nr) are attached
 * and gives the tool's threads 20 ms to start: 0 or -ETIMEDOUT.
 */
void wct_tool_path(char *path, size_t size, const char *name);
int wct_spawn(const char *path, const char *out, char *const argv[]);
int wct_wait_exit(int pid, unsigned int ms);
int wct_wait_attached(const char *nic, unsigned int nr, unsigned int mask,
		      unsigned int ms);
/* Pages held by all pools of all queues (debugfs). */
long long wct_pool_pages(void);

/* A fixture with a fresh software NIC: queues x ring, queue 0 opened. */
#define WCT_NIC_FIXTURE(f, queues, ring)				\
	FIXTURE(f) {							\
		char nic[16];						\
		struct wct_queue q;					\
	};								\
	FIXTURE_SETUP(f)						\
	{								\
		ASSERT_EQ(0, wct_nic_new(queues, ring, self->nic));	\
		ASSERT_EQ(0, wct_open(&self->q, self->nic, 0));	\
	}								\
	FIXTURE_TEARDOWN(f)						\
	{								\
		wct_close(&self->q);					\
		wct_nic_del(self->nic);					\
	}

/*
 * Kernel modules (the VM keeps ours in $WIRECAP_MODDIR): unload one by
 * name without waiting (-EWOULDBLOCK while in use), load a .ko file from
 * $WIRECAP_MODDIR with parameters. 0 or -errno.
 */
int wct_module_unload(const char *name);
int wct_module_load(const char *file, const char *params);
/* A netdev counter, e.g. wct_netdev_stat("wcsim1", "rx_packets"); -1 if none. */
long long wct_netdev_stat(const char *nic, const char *name);

#endif
