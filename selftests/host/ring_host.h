/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Just enough of the kernel for drivers/wirecap/ring.c (the segment engine)
 * to build on the host: ring.c includes this instead of its kernel headers
 * when WIRECAP_RING_HOST is defined (selftests/host/ring_test.c, built by
 * mk/hosttools.mk with -DWIRECAP_RING_HOST -Idrivers/include
 * -Iselftests/host).
 *
 * Include it before wirecap_ring.h: that header's <linux/types.h> is then
 * the system's uapi one (harmless), and u32 & co. come from here.
 *
 * WARN_ON_ONCE() does not stop the program: it calls ring_host_warn(),
 * which the test implements (it counts the warnings and checks them), and
 * evaluates to the condition, as the kernel's does. Unlike the kernel's it
 * reports every time, not only the first.
 */
#ifndef WIRECAP_RING_HOST_H
#define WIRECAP_RING_HOST_H

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

typedef uint8_t u8;
typedef uint16_t u16;
typedef uint32_t u32;
typedef uint64_t u64;
typedef uint64_t dma_addr_t;

#define GFP_KERNEL	0
#define kcalloc(n, size, gfp)	((void)(gfp), calloc((n), (size)))
#define kfree(p)		free(p)

#define EXPORT_SYMBOL_GPL(sym)	extern int ring_host_exported_##sym

#define READ_ONCE(x)	(*(const volatile __typeof__(x) *)&(x))

void ring_host_warn(const char *file, int line, const char *cond);

#define WARN_ON_ONCE(cond) ({						\
	bool __ring_warn = !!(cond);					\
	if (__ring_warn)						\
		ring_host_warn(__FILE__, __LINE__, #cond);		\
	__ring_warn;							\
})

/*
 * These mirror drivers/include/wirecap_nic.h (which needs the kernel's
 * netdevice.h, so it cannot be included here). The test checks the
 * WIRECAP_RX_* values against that header at compile time (the build
 * passes them in as NIC_WIRECAP_RX_*, mk/hosttools.mk).
 */
struct wirecap_queue;

struct wirecap_cell {
	u32 id;			/* give it back in wirecap_rx_done.cell */
	u32 size;		/* bytes the NIC may write (cell size) */
	void *addr;		/* kernel address of the cell */
	dma_addr_t dma;		/* bus address for nic->dma_dev */
};

struct wirecap_rx_done {
	u32 cell;		/* wirecap_cell.id */
	u32 len;		/* bytes written, frame_offset included */
	u32 hash;		/* RSS hash, if WIRECAP_RX_HASH */
	u32 flags;		/* WIRECAP_RX_* */
	u64 ts_ns;		/* the frame's own timestamp */
};

#define WIRECAP_RX_HASH		(1U << 0)
#define WIRECAP_RX_DROP		(1U << 1)
#define WIRECAP_RX_ERROR	(1U << 2)
#define WIRECAP_RX_MORE		(1U << 3)

/* The clock of wirecap_rx_done.ts_ns: the test's, so it sees each read. */
u64 wirecap_rx_now(void);

/* The core's side, implemented by the test's model of it. */
void wirecap_rx_complete(struct wirecap_queue *q,
			 const struct wirecap_rx_done *done, unsigned int n);
void wirecap_rx_dropped(struct wirecap_queue *q, u64 packets, bool oversize);
void wirecap_rx_cut(struct wirecap_queue *q);

#endif
