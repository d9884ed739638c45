/* SPDX-License-Identifier: ((GPL-2.0 WITH Linux-syscall-note) OR BSD-2-Clause) */
/*
 * The software NIC's test interface (debugfs; not a stable ABI).
 *
 *   /sys/kernel/debug/wirecap_softnic/new_device   write "<queues> <ring>"
 *   /sys/kernel/debug/wirecap_softnic/del_device   write "<ifname>"
 *   /sys/kernel/debug/wirecap_softnic/<ifname>/inject
 *   /sys/kernel/debug/wirecap_softnic/<ifname>/wire
 *
 * A write to inject is one struct wirecap_softnic_inject followed, unless
 * WIRECAP_SOFTNIC_GEN is set, by nr_frames records, each a __u32 length and
 * that many frame bytes, padded to 4 bytes. The NIC "receives" count
 * packets, cycling through the frames (or generating them), into the
 * chosen queue or the one Toeplitz RSS picks, as fast as the kernel can.
 * The write returns the bytes it consumed.
 *
 * <ifname>/wire is the NIC's transmit side for XMIT: it holds the cells
 * XMIT gave the NIC (ring_size at most; more is the NIC's TX drop) until a
 * read takes them off, as records of a __u32 length and that many frame
 * bytes, zero-padded to 4 bytes; each is sent (its cell given back) when
 * read. A read returns whole records only, 0 once the wire is empty.
 *
 * Generated frames are Ethernet/IPv4/UDP, gen_len bytes long, and carry at
 * WIRECAP_SOFTNIC_SEQ_OFF the big-endian 64-bit sequence number gen_seq,
 * gen_seq + 1, ... so a test can tell each packet apart. Their UDP ports
 * vary with the sequence number, spreading them over the RSS table.
 */
#ifndef _UAPI_LINUX_WIRECAP_SOFTNIC_H
#define _UAPI_LINUX_WIRECAP_SOFTNIC_H

#include <linux/types.h>

#define WIRECAP_SOFTNIC_DIR	"/sys/kernel/debug/wirecap_softnic"
#define WIRECAP_SOFTNIC_GEN	(1U << 0)
#define WIRECAP_SOFTNIC_RSS	(-1)	/* queue: steer by Toeplitz RSS */
#define WIRECAP_SOFTNIC_SEQ_OFF	42	/* after Ethernet, IPv4, UDP headers */
#define WIRECAP_SOFTNIC_MAX_FRAME	65535

struct wirecap_softnic_inject {
	__u32 size;		/* sizeof(struct wirecap_softnic_inject) */
	__s32 queue;		/* RX queue, or WIRECAP_SOFTNIC_RSS */
	__u64 count;		/* packets to receive */
	__u32 flags;		/* WIRECAP_SOFTNIC_GEN */
	__u32 gen_len;		/* generated frame length, 60..1514 */
	__u64 gen_seq;		/* first generated sequence number */
	__u32 nr_frames;	/* frame records following */
	__u32 reserved;		/* 0 */
};

#endif /* _UAPI_LINUX_WIRECAP_SOFTNIC_H */
