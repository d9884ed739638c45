/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The software NIC: a multi-queue netdev whose "hardware" is driven from
 * user space through debugfs, so capture tests are exact and do not
 * depend on tap or scheduler timing. Each RX queue has a ring of posted
 * cells like a real NIC; a packet arriving when the ring is empty is
 * dropped and counted, as the hardware would.
 */
#ifndef _WIRECAP_SOFTNIC_H
#define _WIRECAP_SOFTNIC_H

#include <linux/debugfs.h>
#include <linux/netdevice.h>
#include <linux/workqueue.h>
#include "wirecap_nic.h"

#define SOFTNIC_RSS_KEY_LEN	WIRECAP_RSS_KEY_LEN
#define SOFTNIC_RSS_TABLE_LEN	128
#define SOFTNIC_BATCH		64

struct softnic;

struct softnic_rxq {
	struct softnic *sn;
	u32 index;
	/*
	 * The queue's RX context: held while packets arrive and while
	 * wirecap.ko posts cells. Protects everything below.
	 */
	spinlock_t lock;
	struct wirecap_queue *wq;
	bool capturing;
	struct wirecap_cell *ring;	/* posted cells, FIFO */
	u32 head, tail;
	struct wirecap_rx_done done[SOFTNIC_BATCH];
	u32 nr_done;
	u64 pending_drops;
	u64 packets, bytes, drops, oversize;
	/*
	 * ->queue_stop failed (fault injection): the "hardware" is dead and
	 * never touches the posted cells again; arrivals are dropped.
	 */
	bool broken;
	struct work_struct refill_work;
};

/*
 * Fault injection, for tests of wirecap.ko's error paths (debugfs files
 * of the same names under the device's directory). Each is read when it
 * applies and, where it says so, consumed.
 */
struct softnic_faults {
	u32 start_delay_ms;	/* ->queue_start sleeps this long first */
	u32 fail_start;		/* ->queue_start fails with -fail_start, once */
	u32 stop_delay_ms;	/* ->queue_stop sleeps this long first */
	/* ->queue_stop fails with -fail_stop, once: the queue breaks */
	u32 fail_stop;
	u32 bad_len;		/* the next cell is reported with this length */
	/*
	 * Nonzero: no frame size limit in the MAC: a frame longer than the
	 * pool's max_frame still fills cells, and wirecap.ko discards it.
	 */
	u32 no_frame_limit;
};

/* The transmit side (wire.c): cells XMIT gave, until a test reads them. */
struct softnic_wire {
	spinlock_t lock;		/* everything below */
	struct wirecap_tx_cell *cells;	/* FIFO of size */
	u32 size;
	u32 head, tail;
	bool closed;			/* the NIC is going: take nothing */
	u64 sent;			/* cells read off the wire */
};

struct softnic {
	struct net_device *netdev;
	struct wirecap_nic *wc;
	struct dentry *dir;
	struct list_head node;
	u32 nr_queues;
	u32 ring_size;
	u8 rss_key[SOFTNIC_RSS_KEY_LEN];
	u8 rss_table[SOFTNIC_RSS_TABLE_LEN];
	struct debugfs_blob_wrapper key_blob;
	struct debugfs_blob_wrapper table_blob;
	struct softnic_faults faults;
	struct softnic_wire wire;
	struct softnic_rxq rxq[];
};

/* inject.c */
extern const struct file_operations softnic_inject_fops;
void softnic_rx_flush(struct softnic_rxq *rq);

/* wire.c */
extern const struct file_operations softnic_wire_fops;
int softnic_wire_init(struct softnic_wire *w, u32 size);
unsigned int softnic_xmit_cells(struct wirecap_nic *nic, u32 ring,
				const struct wirecap_tx_cell *cells,
				unsigned int n);
void softnic_wire_close(struct softnic_wire *w);
void softnic_wire_free(struct softnic_wire *w);

/* toeplitz.c */
u32 softnic_toeplitz(const u8 *key, const u8 *data, unsigned int len);
bool softnic_rss_hash(const struct softnic *sn, const u8 *frame, u32 len,
		      u32 *hash);

#endif /* _WIRECAP_SOFTNIC_H */
