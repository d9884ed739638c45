// SPDX-License-Identifier: GPL-2.0
/*
 * wirecap_virtio.ko: a WireCAP capture driver for virtio-net devices.
 *
 * A standalone virtio_driver for VIRTIO_ID_NET (it does not patch
 * virtio_net). It negotiates multi-queue and RSS, programs the Toeplitz key
 * and indirection table itself through the control queue, turns on
 * promiscuous mode, and registers a netdev for the name, the MAC, up/down
 * and the standard counters. Every receive queue is a WireCAP queue: while
 * a pool is attached its RX virtqueue holds one descriptor per cell (the
 * virtio header at the start of the cell, the frame after it: frame_offset
 * is the header length); while none is, the virtqueue is empty and the
 * device keeps that queue's packets (in QEMU: they wait in, and overflow,
 * the host tap). Nothing goes to the network stack.
 *
 * A full pool drops like a NIC's: when no cell of the pool is at the
 * device (the application holds every chunk), the driver posts a few
 * reserve buffers of its own, and a frame that lands in one is counted
 * in the queue's capture_drops (and the netdev's rx_missed_errors), and
 * the buffer is posted again at once. So every frame the device takes is
 * accounted for in the guest, and the host's tap never backs up behind a
 * slow application. The reserve goes first in the ring: once the pool
 * has cells again, the frames that come next land in the reserve buffers
 * still posted (WCV_SPARES at most) and are dropped too, as a NIC's FIFO
 * drains before its ring is used. ethtool -A tx on (flow control: a NIC
 * whose receive side is full sends PAUSE frames) turns the reserve off:
 * the device then holds frames until the pool has room, which is what
 * replay tests that compare every frame use (the sender waits; nothing
 * drops). Each transmit
 * virtqueue sends cells of WireCAP pools (XMIT; ours or another NIC's)
 * as [a shared all-zero virtio header, the frame in its cell], and gives
 * each back to wirecap.ko when the device has used it; the stack's frames
 * (AF_PACKET, which the libpcap shim's pcap_inject uses) go the same way
 * on transmit virtqueue 0, linearized.
 *
 * Mergeable buffers are negotiated: a frame longer than a cell fills
 * several, which the device takes in the order they were posted, so they
 * are consecutive cells (wirecap.ko joins them: WIRECAP_F_MULTI_CELL).
 * Deliberately not negotiated: guest checksum and GSO offloads, so every
 * packet arrives whole, as on the wire. Used buffers carry their cell as
 * the token; the core checks that a frame's cells follow each other.
 *
 * Needs VIRTIO_F_RING_RESET (QEMU >= 7.2, queue_reset=on by default): a
 * queue leaving capture mode takes its cells back with a queue reset.
 *
 * Binding: it takes virtio-net devices when virtio_net is not loaded, or
 * after an unbind from virtio_net (see docs/virtio.md).
 */
#include <linux/debugfs.h>
#include <linux/etherdevice.h>
#include <linux/ethtool.h>
#include <linux/if_vlan.h>
#include <linux/module.h>
#include <linux/netdevice.h>
#include <linux/scatterlist.h>
#include <linux/slab.h>
#include <linux/u64_stats_sync.h>
#include <linux/virtio.h>
#include <linux/virtio_config.h>
#include <linux/virtio_net.h>

#include "wirecap_nic.h"
#include "compat.h"

#define WCV_RSS_KEY_LEN		WIRECAP_RSS_KEY_LEN
#define WCV_RSS_TABLE_LEN	128
#define WCV_BATCH		64
#define WCV_TX_BATCH		16	/* cells given back at a time */
/*
 * Reserve buffers per receive queue (above): enough for the device to go
 * on taking frames between two polls at the rates a TCG guest sees, few
 * enough that a pool that has room again loses little to them. A longer
 * frame than one holds (mergeable buffers) fills several: all of them
 * hold the longest, 64 KiB with its header, or the device would wait for
 * more buffers instead of taking the frame to be dropped.
 */
#define WCV_SPARES		32
#define WCV_SPARE_SIZE		PAGE_SIZE
static_assert(WCV_SPARES * WCV_SPARE_SIZE >=
	      ETH_MAX_MTU + VLAN_ETH_HLEN + sizeof(struct virtio_net_hdr_v1_hash));

/* Hash types QEMU and NICs agree on: addresses, plus TCP/UDP ports. */
#define WCV_HASH_TYPES	(VIRTIO_NET_RSS_HASH_TYPE_IPv4 |		\
			 VIRTIO_NET_RSS_HASH_TYPE_TCPv4 |		\
			 VIRTIO_NET_RSS_HASH_TYPE_UDPv4 |		\
			 VIRTIO_NET_RSS_HASH_TYPE_IPv6 |		\
			 VIRTIO_NET_RSS_HASH_TYPE_TCPv6 |		\
			 VIRTIO_NET_RSS_HASH_TYPE_UDPv6)


struct wcv;

/* A reserve buffer: its address in the rxq's array is its token. */
struct wcv_spare {
	void *buf;			/* WCV_SPARE_SIZE bytes */
};

struct wcv_rxq {
	struct wcv *vi;
	struct virtqueue *vq;
	struct napi_struct napi;
	struct wirecap_queue *wq;
	/*
	 * NAPI owns the virtqueue. queue_start/stop change capturing with
	 * NAPI disabled; refill_kick sets want_refill from any context.
	 */
	bool capturing;
	bool want_refill;
	/*
	 * Cells the device owns now (posted, not yet used or taken back):
	 * after a queue reset that failed, 0 still means DMA has stopped.
	 */
	u32 posted;
	/* a reset took the cells back but left the queue unfit to post to */
	bool unusable;
	/* buffers of the frame being harvested still to come (mergeable) */
	u16 frame_left;
	/* that frame began in a reserve buffer: all of it is dropped */
	bool dropping;
	/*
	 * The reserve (WCV_SPARES buffers, spare_free of them not at the
	 * device: their indices are the first spare_free of spare_stack).
	 * posted counts them too, spares_posted alone.
	 */
	struct wcv_spare spares[WCV_SPARES];
	u8 spare_stack[WCV_SPARES];
	u32 spare_free;
	u32 spares_posted;
	/*
	 * Cells wirecap.ko gave (post_cells) while reserve buffers filled
	 * the virtqueue: posted in order as those come back. A ring of
	 * ring_size (more cells than that are never out at once).
	 */
	const struct wirecap_cell **pend;
	u32 pend_head;
	u32 pend_tail;
	char name[16];
	struct u64_stats_sync syncp;
	u64_stats_t packets;
	u64_stats_t bytes;
	u64_stats_t missed;		/* frames dropped in the reserve */
};

/* What a transmit virtqueue sends (its token there): a cell, or a frame. */
struct wcv_tx_slot {
	struct wirecap_tx_ref ref;	/* a cell of XMIT's, if !skb */
	struct sk_buff *skb;		/* a frame of the stack's */
	u32 len;
};

struct wcv_txq {
	struct wcv *vi;
	struct virtqueue *vq;
	struct napi_struct napi;	/* completions */
	/*
	 * The virtqueue, the slots and closed. Taken in ->xmit (bottom
	 * halves off) and in NAPI; wirecap_tx_done() is called without it.
	 */
	spinlock_t lock;
	struct wcv_tx_slot *slots;
	u32 *free;			/* free slot indices, a stack */
	u32 nr_free;
	u32 nr_slots;
	bool closed;			/* the device is going: take nothing */
	char name[16];
	struct u64_stats_sync syncp;
	u64_stats_t packets;
	u64_stats_t bytes;
};

struct wcv {
	struct virtio_device *vdev;
	struct net_device *netdev;
	struct virtqueue *cvq;
	struct mutex ctrl_lock;		/* the control virtqueue */
	/*
	 * Queue resets go through the device-wide queue_select register:
	 * two at once would select each other's queue (and one would wait
	 * forever for a reset that went elsewhere). One at a time.
	 */
	struct mutex reset_lock;
	u32 fail_reset;			/* resets to fail: fault injection */
	struct dentry *debugfs;
	u32 pairs;
	u32 hdr_len;			/* virtio header before each frame */
	u32 ring_size;
	bool has_hash;
	bool mergeable;			/* VIRTIO_NET_F_MRG_RXBUF */
	bool tx_pause;			/* ethtool -A tx: no reserve (above) */
	struct wirecap_nic *wc;
	u8 rss_key[WCV_RSS_KEY_LEN];
	u16 rss_table[WCV_RSS_TABLE_LEN];
	struct wcv_rxq *rxq;
	struct wcv_txq *txq;
	void *tx_hdr;			/* hdr_len zeroes: no offload asked */
};

/* --- control queue --------------------------------------------------- */

static int wcv_ctrl(struct wcv *vi, u8 class, u8 cmd, struct scatterlist *out,
		    unsigned int nr_out)
{
	struct virtio_net_ctrl_hdr *hdr;
	struct scatterlist *sgs[8], hsg, ssg;
	unsigned int len, i;
	u8 *status;
	int ret;

	if (WARN_ON(nr_out > ARRAY_SIZE(sgs) - 2))
		return -EINVAL;
	/* kmalloc: the device reads these by address, not from the stack */
	hdr = kmalloc(sizeof(*hdr) + 1, GFP_KERNEL);
	if (!hdr)
		return -ENOMEM;
	status = (u8 *)(hdr + 1);
	hdr->class = class;
	hdr->cmd = cmd;
	*status = ~0;
	sg_init_one(&hsg, hdr, sizeof(*hdr));
	sg_init_one(&ssg, status, 1);
	sgs[0] = &hsg;
	for (i = 0; i < nr_out; i++)
		sgs[1 + i] = &out[i];
	sgs[1 + nr_out] = &ssg;

	mutex_lock(&vi->ctrl_lock);
	ret = virtqueue_add_sgs(vi->cvq, sgs, 1 + nr_out, 1, vi, GFP_KERNEL);
	if (!ret && !virtqueue_kick(vi->cvq))
		ret = -EIO;
	if (!ret) {
		/* the device answers at once; spin like virtio_net does */
		while (!virtqueue_get_buf(vi->cvq, &len) &&
		       !virtqueue_is_broken(vi->cvq))
			cpu_relax();
		ret = *status == VIRTIO_NET_OK ? 0 : -EIO;
	}
	mutex_unlock(&vi->ctrl_lock);
	kfree(hdr);
	return ret;
}

/* RSS over all pairs: our key, table[i] = i % pairs. */
static int wcv_set_rss(struct wcv *vi)
{
	struct virtio_net_rss_config *head;
	struct scatterlist sg[4];
	__le16 *table, *tail;
	u8 *keylen;
	u32 i;
	int ret;

	head = kzalloc(sizeof(*head), GFP_KERNEL);
	table = kcalloc(WCV_RSS_TABLE_LEN, sizeof(*table), GFP_KERNEL);
	tail = kzalloc(sizeof(*tail) + 1 + WCV_RSS_KEY_LEN, GFP_KERNEL);
	if (!head || !table || !tail) {
		ret = -ENOMEM;
		goto out_free;
	}
	head->hash_types = cpu_to_le32(WCV_HASH_TYPES);
	head->indirection_table_mask = cpu_to_le16(WCV_RSS_TABLE_LEN - 1);
	head->unclassified_queue = 0;
	for (i = 0; i < WCV_RSS_TABLE_LEN; i++)
		table[i] = cpu_to_le16(vi->rss_table[i]);
	*tail = cpu_to_le16(vi->pairs);		/* max_tx_vq */
	keylen = (u8 *)(tail + 1);
	*keylen = WCV_RSS_KEY_LEN;
	memcpy(keylen + 1, vi->rss_key, WCV_RSS_KEY_LEN);

	/* the header up to the table, the table, the rest */
	sg_init_table(sg, 3);
	sg_set_buf(&sg[0], head,
		   offsetof(struct virtio_net_rss_config, indirection_table));
	sg_set_buf(&sg[1], table, WCV_RSS_TABLE_LEN * sizeof(*table));
	sg_set_buf(&sg[2], tail, sizeof(*tail) + 1 + WCV_RSS_KEY_LEN);
	ret = wcv_ctrl(vi, VIRTIO_NET_CTRL_MQ, VIRTIO_NET_CTRL_MQ_RSS_CONFIG,
		       sg, 3);
out_free:
	kfree(tail);
	kfree(table);
	kfree(head);
	return ret;
}

static int wcv_set_pairs(struct wcv *vi)
{
	struct scatterlist sg;
	__virtio16 *pairs;
	int ret;

	pairs = kmalloc(sizeof(*pairs), GFP_KERNEL);
	if (!pairs)
		return -ENOMEM;
	*pairs = cpu_to_virtio16(vi->vdev, vi->pairs);
	sg_init_one(&sg, pairs, sizeof(*pairs));
	ret = wcv_ctrl(vi, VIRTIO_NET_CTRL_MQ, VIRTIO_NET_CTRL_MQ_VQ_PAIRS_SET,
		       &sg, 1);
	kfree(pairs);
	return ret;
}

static int wcv_set_promisc(struct wcv *vi, bool on)
{
	struct scatterlist sg;
	u8 *v;
	int ret;

	if (!virtio_has_feature(vi->vdev, VIRTIO_NET_F_CTRL_RX))
		return 0;
	v = kmalloc(1, GFP_KERNEL);
	if (!v)
		return -ENOMEM;
	*v = on;
	sg_init_one(&sg, v, 1);
	ret = wcv_ctrl(vi, VIRTIO_NET_CTRL_RX, VIRTIO_NET_CTRL_RX_PROMISC,
		       &sg, 1);
	kfree(v);
	return ret;
}

/* --- receive: NAPI ----------------------------------------------------- */

static void wcv_rx_irq(struct virtqueue *vq)
{
	struct wcv *vi = vq->vdev->priv;
	struct wcv_rxq *rq = &vi->rxq[vq->index / 2];

	virtqueue_disable_cb(vq);
	napi_schedule(&rq->napi);
}

/*
 * A used buffer, just taken off the virtqueue: its report. The timestamp
 * is taken here, frame by frame: virtio-net offers no receive timestamp
 * (no feature bit for one, none in QEMU), and this is the first the
 * driver knows of the frame. Frames that came in one interrupt are read
 * in one poll, a microsecond or so apart, however far apart they arrived.
 */
static void wcv_rx_done(struct wcv_rxq *rq, const struct wirecap_cell *cell,
			u32 len, struct wirecap_rx_done *d)
{
	struct wcv *vi = rq->vi;

	d->ts_ns = wirecap_rx_now();
	if (len < vi->hdr_len)		/* a device bug: an empty frame */
		len = vi->hdr_len;
	d->cell = cell->id;
	d->len = len;
	d->hash = 0;
	d->flags = 0;
	if (vi->has_hash) {
		const struct virtio_net_hdr_v1_hash *h = cell->addr;

		if (le16_to_cpu(h->hash_report) != VIRTIO_NET_HASH_REPORT_NONE) {
			d->hash = le32_to_cpu(h->hash_value);
			d->flags = WIRECAP_RX_HASH;
		}
	}
}

/*
 * How many buffers the frame whose first buffer is @buf (@len bytes used)
 * fills.
 */
static u16 wcv_num_buffers(struct wcv_rxq *rq, const void *buf, u32 len)
{
	const struct virtio_net_hdr_mrg_rxbuf *h = buf;
	u16 nb;

	/* (a header the device did not write says nothing) */
	if (!rq->vi->mergeable || len < rq->vi->hdr_len)
		return 1;
	nb = virtio16_to_cpu(rq->vi->vdev, h->num_buffers);
	if (unlikely(!nb || nb > rq->vi->ring_size)) {
		/* a device bug: take the buffer as a frame of its own */
		dev_err_ratelimited(&rq->vi->vdev->dev, "%s: frame in %u buffers\n",
				    rq->name, nb);
		return 1;
	}
	return nb;
}

static struct wcv_spare *wcv_spare_of(struct wcv_rxq *rq, void *token)
{
	struct wcv_spare *s = token;

	return s >= rq->spares && s < rq->spares + WCV_SPARES ? s : NULL;
}

/* A reserve buffer is back from the device (used, or taken back). */
static void wcv_spare_back(struct wcv_rxq *rq, struct wcv_spare *s)
{
	rq->posted--;
	rq->spares_posted--;
	rq->spare_stack[rq->spare_free++] = s - rq->spares;
}

/*
 * A used reserve buffer: a frame that begins in one is dropped, all its
 * buffers (*@missed counts it once).
 */
static void wcv_harvest_spare(struct wcv_rxq *rq, struct wcv_spare *s,
			      u32 len, unsigned int *missed)
{
	wcv_spare_back(rq, s);
	if (!rq->frame_left) {
		rq->frame_left = wcv_num_buffers(rq, s->buf, len);
		rq->dropping = true;
		(*missed)++;
	} else if (WARN_ON_ONCE(!rq->dropping)) {
		/*
		 * The reserve is posted only while no cell is at the device
		 * (wcv_rx_post), and the device takes a frame's buffers all
		 * at once: a frame begun in a cell cannot go on in it. If one
		 * did, wirecap.ko would find the frame's next cell out of
		 * order and count the frame in error.
		 */
		rq->dropping = true;
	}
	if (!--rq->frame_left)
		rq->dropping = false;
}

/*
 * Take up to @max used buffers off the virtqueue, the cells into @done
 * (the return value says how many): each frame's
 * buffers one after the other, all but its last with WIRECAP_RX_MORE.
 * Adds their frame bytes to *@bytes and the frames they end to *@frames,
 * and the frames dropped in the reserve to *@missed (their cells, if the
 * device went on into the pool, reported as WIRECAP_RX_SKIP).
 */
static unsigned int wcv_harvest(struct wcv_rxq *rq,
				struct wirecap_rx_done *done, unsigned int max,
				unsigned int *bytes, unsigned int *frames,
				unsigned int *missed)
{
	unsigned int n = 0, taken = 0;
	void *token;
	u32 len;

	while (taken < max && (token = virtqueue_get_buf(rq->vq, &len))) {
		struct wcv_spare *s = wcv_spare_of(rq, token);
		struct wirecap_cell *cell = token;
		struct wirecap_rx_done *d;

		taken++;
		if (s) {
			wcv_harvest_spare(rq, s, len, missed);
			continue;
		}
		d = &done[n++];
		rq->posted--;
		if (rq->dropping) {
			/* the rest of a frame dropped in the reserve */
			d->ts_ns = 0;
			d->cell = cell->id;
			d->len = 0;
			d->hash = 0;
			d->flags = WIRECAP_RX_SKIP;
			if (!--rq->frame_left)
				rq->dropping = false;
			continue;
		}
		if (!rq->frame_left) {
			wcv_rx_done(rq, cell, len, d);
			rq->frame_left = wcv_num_buffers(rq, cell->addr, len);
			*bytes += d->len - rq->vi->hdr_len;
		} else {
			/* no header here: the frame goes on from byte 0 */
			d->ts_ns = wirecap_rx_now();
			d->cell = cell->id;
			d->len = len;
			d->hash = 0;
			d->flags = 0;
			*bytes += len;
		}
		if (--rq->frame_left)
			d->flags |= WIRECAP_RX_MORE;
		else
			(*frames)++;
	}
	return n;
}

/*
 * Announce buffers posted to @rq. With RSS, QEMU reads a packet from tap
 * queue i and steers it to RX queue j; when j has no buffer it parks the
 * packet on queue i and stops reading tap queue i until RX queue i (not
 * j) is notified. So buffers on j are announced to every RX queue. A
 * notify only writes the device's doorbell: safe without the other
 * queues' NAPI.
 */
static void wcv_rx_kick(struct wcv_rxq *rq)
{
	struct wcv *vi = rq->vi;
	unsigned int i;

	virtqueue_kick(rq->vq);
	for (i = 0; i < vi->pairs; i++)
		if (&vi->rxq[i] != rq)
			virtqueue_notify(vi->rxq[i].vq);
}

static bool wcv_add_rx(struct wcv_rxq *rq, void *buf, u32 size, void *token)
{
	struct scatterlist sg;

	sg_init_one(&sg, buf, size);
	if (WARN_ON_ONCE(virtqueue_add_inbuf(rq->vq, &sg, 1, token,
					     GFP_ATOMIC)))
		return false;
	rq->posted++;
	return true;
}

/*
 * Post what waits: the cells that found the virtqueue full, in order, as
 * room comes; then, while no cell of the pool is at the device (and
 * receive flow control is off), the reserve buffers not there yet.
 * Inside NAPI, or with it disabled.
 */
static void wcv_rx_post(struct wcv_rxq *rq)
{
	struct wcv *vi = rq->vi;
	bool kick = false;

	while (rq->pend_head != rq->pend_tail && rq->vq->num_free) {
		const struct wirecap_cell *c =
			rq->pend[rq->pend_head % vi->ring_size];

		if (!wcv_add_rx(rq, c->addr, c->size, (void *)c))
			break;
		rq->pend_head++;
		kick = true;
	}
	if (rq->pend_head == rq->pend_tail && rq->posted == rq->spares_posted &&
	    !READ_ONCE(vi->tx_pause) && !READ_ONCE(rq->want_refill)) {
		while (rq->spare_free && rq->vq->num_free) {
			struct wcv_spare *sp =
				&rq->spares[rq->spare_stack[rq->spare_free - 1]];

			if (!wcv_add_rx(rq, sp->buf, WCV_SPARE_SIZE, sp))
				break;
			rq->spare_free--;
			rq->spares_posted++;
			kick = true;
		}
	}
	if (kick)
		wcv_rx_kick(rq);
}

/*
 * What a harvest took, counted: the netdev's counters, and the frames the
 * reserve dropped in the queue's capture_drops. NAPI's, or with it off.
 */
static void wcv_rx_count(struct wcv_rxq *rq, unsigned int frames,
			 unsigned int bytes, unsigned int missed)
{
	u64_stats_update_begin(&rq->syncp);
	u64_stats_add(&rq->packets, frames);
	u64_stats_add(&rq->bytes, bytes);
	u64_stats_add(&rq->missed, missed);
	u64_stats_update_end(&rq->syncp);
	if (missed)
		wirecap_rx_dropped(rq->wq, missed, false);
}

static int wcv_poll(struct napi_struct *napi, int budget)
{
	struct wcv_rxq *rq = container_of(napi, struct wcv_rxq, napi);
	struct wirecap_rx_done done[WCV_BATCH];
	int work = 0;

	if (!budget)		/* netpoll's: the device has none (below) */
		return 0;

	/*
	 * Chunks freed since the last poll first: their cells go into the
	 * virtqueue before any reserve buffer is posted again (wcv_rx_post
	 * holds the reserve back while want_refill is set).
	 */
	if (rq->capturing && READ_ONCE(rq->want_refill)) {
		WRITE_ONCE(rq->want_refill, false);
		wirecap_rx_refill(rq->wq);
	}
	while (rq->capturing && work < budget) {
		unsigned int n, bytes = 0, frames = 0, missed = 0;
		u32 before = rq->posted;

		n = wcv_harvest(rq, done, min_t(int, WCV_BATCH, budget - work),
				&bytes, &frames, &missed);
		if (before == rq->posted)
			break;
		/* a reserve buffer counts as work too: it was a frame */
		work += before - rq->posted;
		wcv_rx_count(rq, frames, bytes, missed);
		if (n)
			wirecap_rx_complete(rq->wq, done, n);
		/* the reserve again, at once, while the pool has no cell out */
		wcv_rx_post(rq);
	}
	if (rq->capturing && READ_ONCE(rq->want_refill)) {
		WRITE_ONCE(rq->want_refill, false);
		wirecap_rx_refill(rq->wq);
	}
	if (rq->capturing)
		wcv_rx_post(rq);

	if (work < budget && napi_complete_done(napi, work) &&
	    !virtqueue_enable_cb(rq->vq))
		napi_schedule(napi);	/* more arrived meanwhile */
	return work;
}

/* --- transmit: XMIT ----------------------------------------------------- */

/*
 * Take up to @max used buffers off the transmit virtqueue into @done
 * (their slots freed). Under txq->lock.
 */
static unsigned int wcv_tx_reap(struct wcv_txq *tq, struct wcv_tx_slot *done,
				unsigned int max)
{
	unsigned int n = 0, bytes = 0;
	struct wcv_tx_slot *slot;
	u32 len;

	lockdep_assert_held(&tq->lock);
	while (n < max && (slot = virtqueue_get_buf(tq->vq, &len))) {
		done[n] = *slot;
		bytes += slot->len;
		tq->free[tq->nr_free++] = slot - tq->slots;
		n++;
	}
	if (n) {
		u64_stats_update_begin(&tq->syncp);
		u64_stats_add(&tq->packets, n);
		u64_stats_add(&tq->bytes, bytes);
		u64_stats_update_end(&tq->syncp);
	}
	return n;
}

static void wcv_tx_give_back(const struct wcv_tx_slot *done, unsigned int n)
{
	unsigned int i;

	for (i = 0; i < n; i++) {
		if (done[i].skb)
			dev_consume_skb_any(done[i].skb);
		else
			wirecap_tx_done(&done[i].ref);
	}
}

/* The stack's queue went quiet when the ring filled: room again? */
static void wcv_tx_wake(struct wcv_txq *tq, u32 ring)
{
	struct netdev_queue *txq;

	if (ring >= tq->vi->netdev->real_num_tx_queues)
		return;
	txq = netdev_get_tx_queue(tq->vi->netdev, ring);
	if (netif_tx_queue_stopped(txq) && READ_ONCE(tq->nr_free) &&
	    !READ_ONCE(tq->closed))
		netif_tx_wake_queue(txq);
}

static void wcv_tx_irq(struct virtqueue *vq)
{
	struct wcv *vi = vq->vdev->priv;
	struct wcv_txq *tq = &vi->txq[vq->index / 2];

	virtqueue_disable_cb(vq);
	napi_schedule(&tq->napi);
}

static int wcv_tx_poll(struct napi_struct *napi, int budget)
{
	struct wcv_txq *tq = container_of(napi, struct wcv_txq, napi);
	struct wcv_tx_slot done[WCV_TX_BATCH];
	unsigned int n;

	unsigned int opaque, reaped = 0;
	bool complete;

	/* a budget-0 poll (netpoll: interrupts off) gives nothing back */
	if (!budget)
		return 0;
	/* ->xmit adds meanwhile: at most a ring's worth, then come again */
	do {
		spin_lock(&tq->lock);
		n = wcv_tx_reap(tq, done, ARRAY_SIZE(done));
		spin_unlock(&tq->lock);
		wcv_tx_give_back(done, n);
		reaped += n;
	} while (n == ARRAY_SIZE(done) && reaped < tq->nr_slots);
	wcv_tx_wake(tq, tq - tq->vi->txq);
	if (n == ARRAY_SIZE(done))
		return budget;

	/*
	 * Completions are not counted against the budget. The callback is
	 * armed under the lock ->xmit adds and reaps under, as virtio_ring
	 * wants; a buffer used since is caught by virtqueue_poll().
	 */
	spin_lock(&tq->lock);
	opaque = virtqueue_enable_cb_prepare(tq->vq);
	complete = napi_complete_done(napi, 0);
	if (!complete)
		virtqueue_disable_cb(tq->vq);
	spin_unlock(&tq->lock);
	if (complete && unlikely(virtqueue_poll(tq->vq, opaque)) &&
	    napi_schedule_prep(napi)) {
		spin_lock(&tq->lock);
		virtqueue_disable_cb(tq->vq);
		spin_unlock(&tq->lock);
		__napi_schedule(napi);
	}
	return 0;
}

/*
 * ->xmit: the cells go on transmit virtqueue @ring, as many as it has room
 * for, in order. Used buffers are taken off first, and again while that
 * makes room.
 */
static unsigned int wcv_xmit_cells(struct wirecap_nic *nic, u32 ring,
				   const struct wirecap_tx_cell *cells,
				   unsigned int n)
{
	struct wcv *vi = wirecap_nic_priv(nic);
	struct wcv_txq *tq = &vi->txq[ring];
	struct wcv_tx_slot done[WCV_TX_BATCH];
	struct scatterlist sg[2];
	unsigned int k = 0, reaped;
	bool added;

	/* a port that is down sends nothing */
	if (!netif_running(vi->netdev) || !netif_carrier_ok(vi->netdev))
		return 0;
	do {
		added = false;
		spin_lock(&tq->lock);
		reaped = wcv_tx_reap(tq, done, ARRAY_SIZE(done));
		while (!tq->closed && k < n && tq->nr_free) {
			const struct wirecap_tx_cell *c = &cells[k];
			u32 id = tq->free[tq->nr_free - 1];
			struct wcv_tx_slot *slot = &tq->slots[id];

			sg_init_table(sg, 2);
			sg_set_buf(&sg[0], vi->tx_hdr, vi->hdr_len);
			sg_set_page(&sg[1], c->page, c->len, c->offset);
			if (virtqueue_add_outbuf(tq->vq, sg, 2, slot,
						 GFP_ATOMIC))
				break;		/* the ring is full */
			tq->nr_free--;
			slot->ref = c->ref;
			slot->skb = NULL;
			slot->len = c->len;
			added = true;
			k++;
		}
		if (added)
			virtqueue_kick(tq->vq);
		spin_unlock(&tq->lock);
		wcv_tx_give_back(done, reaped);
	} while (k < n && reaped);
	return k;
}

/* The device is going: take nothing more, and give back what it holds. */
static void wcv_tx_close(struct wcv *vi)
{
	u32 i;

	for (i = 0; i < vi->pairs; i++) {
		spin_lock_bh(&vi->txq[i].lock);
		vi->txq[i].closed = true;
		spin_unlock_bh(&vi->txq[i].lock);
	}
}

/* After the device's reset: what it never used goes back unsent. */
static void wcv_tx_detach_unused(struct wcv *vi)
{
	u32 i;

	for (i = 0; i < vi->pairs; i++) {
		struct wcv_txq *tq = &vi->txq[i];
		struct wcv_tx_slot *slot;

		if (!tq->vq)
			continue;
		while ((slot = virtqueue_detach_unused_buf(tq->vq)))
			wcv_tx_give_back(slot, 1);
	}
}

static int wcv_txq_init(struct wcv_txq *tq, struct wcv *vi)
{
	u32 i;

	tq->vi = vi;
	spin_lock_init(&tq->lock);
	u64_stats_init(&tq->syncp);
	tq->nr_slots = virtqueue_get_vring_size(tq->vq);
	tq->slots = kcalloc(tq->nr_slots, sizeof(*tq->slots), GFP_KERNEL);
	tq->free = kcalloc(tq->nr_slots, sizeof(*tq->free), GFP_KERNEL);
	if (!tq->slots || !tq->free)
		return -ENOMEM;
	for (i = 0; i < tq->nr_slots; i++)
		tq->free[i] = tq->nr_slots - 1 - i;
	tq->nr_free = tq->nr_slots;
	return 0;
}

static void wcv_txq_free(struct wcv *vi)
{
	u32 i;

	if (!vi->txq)
		return;
	for (i = 0; i < vi->pairs; i++) {
		kfree(vi->txq[i].slots);
		kfree(vi->txq[i].free);
	}
	kfree(vi->txq);
}

/* The reserve and the pending-cell ring; the virtqueue is set up already. */
static int wcv_rxq_init(struct wcv_rxq *rq, struct wcv *vi)
{
	u32 i;

	rq->pend = kcalloc(vi->ring_size, sizeof(*rq->pend), GFP_KERNEL);
	if (!rq->pend)
		return -ENOMEM;
	for (i = 0; i < WCV_SPARES; i++) {
		rq->spares[i].buf = kmalloc(WCV_SPARE_SIZE, GFP_KERNEL);
		if (!rq->spares[i].buf)
			return -ENOMEM;		/* wcv_rxq_free() */
		rq->spare_stack[i] = i;
	}
	rq->spare_free = WCV_SPARES;
	return 0;
}

/* After the device's reset: none of it is at the device any more. */
static void wcv_rxq_free(struct wcv *vi)
{
	u32 i, k;

	if (!vi->rxq)
		return;
	for (i = 0; i < vi->pairs; i++) {
		for (k = 0; k < WCV_SPARES; k++)
			kfree(vi->rxq[i].spares[k].buf);
		kfree(vi->rxq[i].pend);
	}
}

/* --- the WireCAP glue -------------------------------------------------- */

static struct wcv_rxq *rxq_of(struct wirecap_queue *q)
{
	struct wcv *vi = wirecap_nic_priv(wirecap_queue_nic(q));

	return &vi->rxq[wirecap_queue_ring(q)];
}

static int wcv_queue_start(struct wirecap_queue *q)
{
	struct wcv_rxq *rq = rxq_of(q);

	if (virtqueue_is_broken(rq->vq) || rq->unusable)
		return -EIO;

	/* with NAPI off the virtqueue is ours: post the first cells */
	napi_disable(&rq->napi);
	rq->capturing = true;
	rq->frame_left = 0;
	rq->dropping = false;
	rq->pend_head = 0;
	rq->pend_tail = 0;
	local_bh_disable();
	wirecap_rx_refill(q);
	wcv_rx_post(rq);
	local_bh_enable();
	napi_enable(&rq->napi);
	local_bh_disable();
	napi_schedule(&rq->napi);	/* re-arms the interrupt */
	local_bh_enable();
	return 0;
}

static void wcv_drop_cell(struct virtqueue *vq, void *buf)
{
	struct wcv *vi = vq->vdev->priv;
	struct wcv_rxq *rq = &vi->rxq[vq->index / 2];
	struct wcv_spare *s = wcv_spare_of(rq, buf);

	/* back from the device; the cell itself goes away with the pool */
	if (s)
		wcv_spare_back(rq, s);
	else
		rq->posted--;
}

static int wcv_queue_stop(struct wirecap_queue *q)
{
	struct wcv_rxq *rq = rxq_of(q);
	struct wcv *vi = rq->vi;
	struct wirecap_rx_done done[WCV_BATCH];
	unsigned int n, bytes = 0, frames = 0, missed = 0;
	u32 before;
	int ret;

	napi_disable(&rq->napi);
	/* report what the device already filled, then take the rest back */
	local_bh_disable();
	do {
		before = rq->posted;
		n = wcv_harvest(rq, done, WCV_BATCH, &bytes, &frames, &missed);
		if (n)
			wirecap_rx_complete(q, done, n);
	} while (before != rq->posted);
	wcv_rx_count(rq, frames, bytes, missed);
	if (rq->frame_left && !rq->dropping) {
		/* (the device publishes a frame's buffers together) */
		wirecap_rx_cut(q);
	}
	rq->frame_left = 0;
	rq->dropping = false;
	/* cells that never reached the device go with the pool */
	rq->pend_head = rq->pend_tail;
	local_bh_enable();
	rq->capturing = false;
	mutex_lock(&vi->reset_lock);
	if (vi->fail_reset) {		/* fault injection (debugfs) */
		vi->fail_reset--;
		ret = -EIO;
	} else {
		ret = wc_virtqueue_reclaim(rq->vq, vi->ring_size,
					   wcv_drop_cell);
	}
	mutex_unlock(&vi->reset_lock);
	if (ret && rq->posted != rq->spares_posted) {
		/*
		 * The device still owns cells, and may write into them. Stop
		 * it for good: nothing more is read from it, the core keeps
		 * the pool's memory, no queue is attached again.
		 */
		dev_err(&vi->vdev->dev, "%s: queue reset failed (%d) with %u cells at the device: the device is broken from now on\n",
			rq->name, ret, rq->posted);
		virtio_break_device(vi->vdev);
	} else if (ret ||
		   virtqueue_get_vring_size(rq->vq) != vi->ring_size) {
		/*
		 * The cells are back (DMA has stopped: the pool may go), but
		 * the queue was not set up again, or (6.1's resize) smaller.
		 */
		dev_err(&vi->vdev->dev, "%s: queue reset left the queue unusable (%d, %u entries)\n",
			rq->name, ret, virtqueue_get_vring_size(rq->vq));
		rq->unusable = true;
		ret = 0;
	}
	napi_enable(&rq->napi);
	return ret;
}

static void wcv_refill_kick(struct wirecap_queue *q)
{
	struct wcv_rxq *rq = rxq_of(q);

	WRITE_ONCE(rq->want_refill, true);
	napi_schedule(&rq->napi);
}

/*
 * Called from wirecap_rx_refill(), i.e. inside our NAPI context (or with
 * NAPI disabled: queue_start). Cells that find the virtqueue full of
 * reserve buffers wait in rq->pend (wcv_rx_post).
 */
static void wcv_post_cells(struct wirecap_queue *q, u32 segment,
			   const struct wirecap_cell *cells, unsigned int n)
{
	struct wcv_rxq *rq = rxq_of(q);
	u32 size = rq->vi->ring_size;
	unsigned int i;

	for (i = 0; i < n; i++) {
		/* the cell's descriptor is our token: stable until stop */
		if (rq->pend_head == rq->pend_tail && rq->vq->num_free) {
			if (!wcv_add_rx(rq, cells[i].addr, cells[i].size,
					(void *)&cells[i]))
				break;
		} else if (!WARN_ON_ONCE(rq->pend_tail - rq->pend_head >=
					 size)) {
			/* behind reserve buffers: posted as they come back */
			rq->pend[rq->pend_tail++ % size] = &cells[i];
		}
	}
	wcv_rx_kick(rq);
}

static const struct wirecap_nic_ops wcv_wirecap_ops = {
	.queue_start = wcv_queue_start,
	.queue_stop = wcv_queue_stop,
	.refill_kick = wcv_refill_kick,
	.post_cells = wcv_post_cells,
	.xmit = wcv_xmit_cells,
};

/* --- ethtool: flow control --------------------------------------------- */

static void wcv_get_pauseparam(struct net_device *dev,
			       struct ethtool_pauseparam *pp)
{
	struct wcv *vi = *(struct wcv **)netdev_priv(dev);

	pp->autoneg = AUTONEG_DISABLE;
	pp->rx_pause = 0;
	pp->tx_pause = READ_ONCE(vi->tx_pause);
}

/*
 * tx on (we "send PAUSE" when the pool is full): the device is held back
 * (no reserve buffer is posted again; those at the device fill and are
 * counted first); tx off: the reserve is posted at the next poll of each
 * queue, which this asks for. RTNL held (ethtool), so no queue starts or
 * stops alongside; a NAPI that remove disabled meanwhile ignores the
 * schedule.
 */
static int wcv_set_pauseparam(struct net_device *dev,
			      struct ethtool_pauseparam *pp)
{
	struct wcv *vi = *(struct wcv **)netdev_priv(dev);
	u32 i;

	/* honouring the link partner's PAUSE frames: a device has none */
	if (pp->autoneg || pp->rx_pause)
		return -EOPNOTSUPP;
	WRITE_ONCE(vi->tx_pause, !!pp->tx_pause);
	if (pp->tx_pause)
		return 0;
	local_bh_disable();
	for (i = 0; i < vi->pairs; i++)
		napi_schedule(&vi->rxq[i].napi);
	local_bh_enable();
	return 0;
}

static const struct ethtool_ops wcv_ethtool_ops = {
	.get_link = ethtool_op_get_link,
	.get_pauseparam = wcv_get_pauseparam,
	.set_pauseparam = wcv_set_pauseparam,
};

/* --- the netdev -------------------------------------------------------- */

/*
 * The stack's frames, on the transmit virtqueue of the same index (the
 * netdev has one transmit queue: 0), after the cells XMIT queued there.
 * No offload is negotiated: a frame goes whole, linear.
 */
static netdev_tx_t wcv_xmit(struct sk_buff *skb, struct net_device *dev)
{
	struct wcv *vi = *(struct wcv **)netdev_priv(dev);
	u16 ring = skb_get_queue_mapping(skb);
	struct wcv_tx_slot done[WCV_TX_BATCH];
	struct netdev_queue *txq;
	struct scatterlist sg[2];
	unsigned int reaped;
	struct wcv_txq *tq;
	bool sent = false;

	if (ring >= vi->pairs || skb_linearize(skb)) {
		dev->stats.tx_dropped++;
		dev_kfree_skb_any(skb);
		return NETDEV_TX_OK;
	}
	tq = &vi->txq[ring];
	txq = netdev_get_tx_queue(dev, ring);
	spin_lock(&tq->lock);
	reaped = wcv_tx_reap(tq, done, ARRAY_SIZE(done));
	if (!tq->closed && tq->nr_free) {
		u32 id = tq->free[tq->nr_free - 1];
		struct wcv_tx_slot *slot = &tq->slots[id];

		sg_init_table(sg, 2);
		sg_set_buf(&sg[0], vi->tx_hdr, vi->hdr_len);
		sg_set_buf(&sg[1], skb->data, skb->len);
		if (!virtqueue_add_outbuf(tq->vq, sg, 2, slot, GFP_ATOMIC)) {
			tq->nr_free--;
			slot->skb = skb;
			slot->len = skb->len;
			sent = true;
			virtqueue_kick(tq->vq);
		}
	}
	/* no room left: quiet until NAPI gives some back (only then) */
	if (!tq->nr_free || (!sent && !tq->closed && !tq->vq->num_free))
		netif_tx_stop_queue(txq);
	spin_unlock(&tq->lock);
	wcv_tx_give_back(done, reaped);
	if (!sent) {
		dev->stats.tx_dropped++;
		dev_kfree_skb_any(skb);
	}
	return NETDEV_TX_OK;
}

static void wcv_get_stats64(struct net_device *dev,
			    struct rtnl_link_stats64 *s)
{
	struct wcv *vi = *(struct wcv **)netdev_priv(dev);
	u32 i;

	for (i = 0; i < vi->pairs; i++) {
		struct wcv_rxq *rq = &vi->rxq[i];
		unsigned int start;
		u64 p, b, m;

		do {
			start = u64_stats_fetch_begin(&rq->syncp);
			p = u64_stats_read(&rq->packets);
			b = u64_stats_read(&rq->bytes);
			m = u64_stats_read(&rq->missed);
		} while (u64_stats_fetch_retry(&rq->syncp, start));
		s->rx_packets += p;
		s->rx_bytes += b;
		/* as a NIC counts frames it had no descriptor for */
		s->rx_missed_errors += m;
	}
	for (i = 0; i < vi->pairs; i++) {
		struct wcv_txq *tq = &vi->txq[i];
		unsigned int start;
		u64 p, b;

		do {
			start = u64_stats_fetch_begin(&tq->syncp);
			p = u64_stats_read(&tq->packets);
			b = u64_stats_read(&tq->bytes);
		} while (u64_stats_fetch_retry(&tq->syncp, start));
		s->tx_packets += p;
		s->tx_bytes += b;
	}
	s->tx_dropped = dev->stats.tx_dropped;
}

static int wcv_open(struct net_device *dev)
{
	netif_carrier_on(dev);
	return 0;
}

static int wcv_stop(struct net_device *dev)
{
	netif_carrier_off(dev);
	return 0;
}

static const struct net_device_ops wcv_netdev_ops = {
	.ndo_open = wcv_open,
	.ndo_stop = wcv_stop,
	.ndo_start_xmit = wcv_xmit,
	.ndo_get_stats64 = wcv_get_stats64,
	.ndo_set_mac_address = eth_mac_addr,
	.ndo_validate_addr = eth_validate_addr,
};

/*
 * Fault injection for tests: /sys/kernel/debug/wirecap_virtio/<virtio
 * device>/fail_reset, the number of coming queue resets that fail (the
 * device is then treated as one whose reset really failed).
 */
static struct dentry *wcv_debugfs;

static void wcv_debugfs_add(struct wcv *vi)
{
	vi->debugfs = debugfs_create_dir(dev_name(&vi->vdev->dev),
					 wcv_debugfs);
	debugfs_create_u32("fail_reset", 0600, vi->debugfs, &vi->fail_reset);
}

/* --- probe / remove ---------------------------------------------------- */

static int wcv_find_vqs(struct wcv *vi)
{
	u32 nvqs = 2 * vi->pairs + 1, i;
	vq_callback_t **callbacks;
	struct virtqueue **vqs;
	const char **names;
	int ret = -ENOMEM;

	vqs = kcalloc(nvqs, sizeof(*vqs), GFP_KERNEL);
	callbacks = kcalloc(nvqs, sizeof(*callbacks), GFP_KERNEL);
	names = kcalloc(nvqs, sizeof(*names), GFP_KERNEL);
	if (!vqs || !callbacks || !names)
		goto out_free;
	/* rx(i) = 2i, tx(i) = 2i + 1, control last */
	for (i = 0; i < vi->pairs; i++) {
		snprintf(vi->rxq[i].name, sizeof(vi->rxq[i].name), "rx.%u", i);
		snprintf(vi->txq[i].name, sizeof(vi->txq[i].name), "tx.%u", i);
		callbacks[2 * i] = wcv_rx_irq;
		callbacks[2 * i + 1] = wcv_tx_irq;
		names[2 * i] = vi->rxq[i].name;
		names[2 * i + 1] = vi->txq[i].name;
	}
	names[nvqs - 1] = "control";
	ret = wc_virtio_find_vqs(vi->vdev, nvqs, vqs, callbacks, names);
	if (ret)
		goto out_free;
	for (i = 0; i < vi->pairs; i++) {
		vi->rxq[i].vq = vqs[2 * i];
		vi->txq[i].vq = vqs[2 * i + 1];
	}
	vi->cvq = vqs[nvqs - 1];
out_free:
	kfree(names);
	kfree(callbacks);
	kfree(vqs);
	return ret;
}

static int wcv_probe(struct virtio_device *vdev)
{
	struct wirecap_nic_config cfg = {};
	struct net_device *netdev;
	u8 mac[ETH_ALEN];
	struct wcv *vi;
	u32 i, pairs;
	int ret;

	if (!virtio_has_feature(vdev, VIRTIO_F_VERSION_1) ||
	    !virtio_has_feature(vdev, VIRTIO_NET_F_CTRL_VQ) ||
	    !virtio_has_feature(vdev, VIRTIO_F_RING_RESET)) {
		dev_err(&vdev->dev,
			"wirecap_virtio needs VERSION_1, CTRL_VQ and RING_RESET\n");
		return -ENODEV;
	}
	pairs = 1;
	if (virtio_has_feature(vdev, VIRTIO_NET_F_MQ) ||
	    virtio_has_feature(vdev, VIRTIO_NET_F_RSS))
		pairs = virtio_cread16(vdev, offsetof(struct virtio_net_config,
						      max_virtqueue_pairs));
	if (!pairs || pairs > 64)
		return -EINVAL;

	netdev = alloc_etherdev_mqs(sizeof(vi), 1, pairs);
	if (!netdev)
		return -ENOMEM;
	vi = kzalloc(sizeof(*vi), GFP_KERNEL);
	if (!vi) {
		ret = -ENOMEM;
		goto err_free_netdev;
	}
	*(struct wcv **)netdev_priv(netdev) = vi;
	vi->vdev = vdev;
	vi->netdev = netdev;
	vi->pairs = pairs;
	mutex_init(&vi->ctrl_lock);
	mutex_init(&vi->reset_lock);
	vi->has_hash = virtio_has_feature(vdev, VIRTIO_NET_F_HASH_REPORT);
	vi->mergeable = virtio_has_feature(vdev, VIRTIO_NET_F_MRG_RXBUF);
	vi->hdr_len = vi->has_hash ? sizeof(struct virtio_net_hdr_v1_hash) :
				     sizeof(struct virtio_net_hdr_mrg_rxbuf);
	memcpy(vi->rss_key, wirecap_rss_default_key, sizeof(vi->rss_key));
	for (i = 0; i < WCV_RSS_TABLE_LEN; i++)
		vi->rss_table[i] = i % pairs;
	vi->rxq = kcalloc(pairs, sizeof(*vi->rxq), GFP_KERNEL);
	vi->txq = kcalloc(pairs, sizeof(*vi->txq), GFP_KERNEL);
	vi->tx_hdr = kzalloc(vi->hdr_len, GFP_KERNEL);
	if (!vi->rxq || !vi->txq || !vi->tx_hdr) {
		ret = -ENOMEM;
		goto err_free_rxq;
	}
	vdev->priv = vi;

	SET_NETDEV_DEV(netdev, &vdev->dev);
	netdev->netdev_ops = &wcv_netdev_ops;
	netdev->ethtool_ops = &wcv_ethtool_ops;
	/*
	 * With mergeable buffers the device takes any length (wirecap.ko's
	 * frames end at 64 KiB); without, a frame must fit one 2 KiB cell:
	 * the stock 1500 then.
	 */
	if (vi->mergeable)
		netdev->max_mtu = ETH_MAX_MTU;
	/*
	 * netpoll would transmit, and poll, with interrupts off, perhaps in
	 * hard IRQ: giving cells back to wirecap.ko cannot be done there.
	 */
	netdev->priv_flags |= IFF_DISABLE_NETPOLL;
	if (virtio_has_feature(vdev, VIRTIO_NET_F_MAC)) {
		virtio_cread_bytes(vdev, offsetof(struct virtio_net_config, mac),
				   mac, ETH_ALEN);
		eth_hw_addr_set(netdev, mac);
	} else {
		eth_hw_addr_random(netdev);
	}

	ret = wcv_find_vqs(vi);
	if (ret)
		goto err_free_rxq;
	vi->ring_size = virtqueue_get_vring_size(vi->rxq[0].vq);
	for (i = 0; i < pairs; i++) {
		ret = wcv_txq_init(&vi->txq[i], vi);
		if (!ret)
			ret = wcv_rxq_init(&vi->rxq[i], vi);
		if (ret)
			goto err_del_vqs;
	}
	for (i = 0; i < pairs; i++) {
		struct wcv_rxq *rq = &vi->rxq[i];

		rq->vi = vi;
		u64_stats_init(&rq->syncp);
		netif_napi_add(netdev, &rq->napi, wcv_poll);
		netif_napi_add_tx(netdev, &vi->txq[i].napi, wcv_tx_poll);
	}
	virtio_device_ready(vdev);

	if (virtio_has_feature(vdev, VIRTIO_NET_F_RSS))
		ret = wcv_set_rss(vi);
	else if (pairs > 1)
		ret = wcv_set_pairs(vi);
	if (!ret)
		ret = wcv_set_promisc(vi, true);
	if (ret) {
		dev_err(&vdev->dev, "control queue setup failed: %d\n", ret);
		goto err_reset;
	}

	ret = register_netdev(netdev);
	if (ret)
		goto err_reset;
	for (i = 0; i < pairs; i++) {
		napi_enable(&vi->rxq[i].napi);
		napi_enable(&vi->txq[i].napi);
	}

	cfg.ops = &wcv_wirecap_ops;
	cfg.netdev = netdev;
	cfg.priv = vi;
	cfg.nr_rings = pairs;
	cfg.ring_size = vi->ring_size;
	cfg.frame_offset = vi->hdr_len;
	cfg.features = vi->has_hash ? WIRECAP_F_RSS_HASH : 0;
	if (vi->mergeable) {
		/* any cell from 128 bytes to a page: frames span cells */
		cfg.features |= WIRECAP_F_MULTI_CELL;
		cfg.cell_sizes = (2 * PAGE_SIZE - 1) & ~(SZ_128 - 1);
	}
	cfg.numa_node = dev_to_node(vdev->dev.parent);
	vi->wc = wirecap_nic_register(&cfg);
	if (IS_ERR(vi->wc)) {
		ret = PTR_ERR(vi->wc);
		goto err_unregister_netdev;
	}
	for (i = 0; i < pairs; i++)
		vi->rxq[i].wq = wirecap_nic_queue(vi->wc, i);
	wcv_debugfs_add(vi);
	netif_carrier_on(netdev);
	dev_info(&vdev->dev, "%s: %u queues of %u cells, RSS %s, hash %s\n",
		 netdev->name, pairs, vi->ring_size,
		 virtio_has_feature(vdev, VIRTIO_NET_F_RSS) ? "on" : "off",
		 vi->has_hash ? "reported" : "not reported");
	return 0;

err_unregister_netdev:
	for (i = 0; i < pairs; i++) {
		napi_disable(&vi->rxq[i].napi);
		napi_disable(&vi->txq[i].napi);
	}
	unregister_netdev(netdev);
err_reset:
	virtio_reset_device(vdev);
	/* the stack may have sent already */
	wcv_tx_detach_unused(vi);
	for (i = 0; i < pairs; i++) {
		netif_napi_del(&vi->rxq[i].napi);
		netif_napi_del(&vi->txq[i].napi);
	}
err_del_vqs:
	vdev->config->del_vqs(vdev);
err_free_rxq:
	wcv_rxq_free(vi);
	wcv_txq_free(vi);
	kfree(vi->tx_hdr);
	kfree(vi->rxq);
	kfree(vi);
err_free_netdev:
	free_netdev(netdev);
	return ret;
}

static void wcv_remove(struct virtio_device *vdev)
{
	struct wcv *vi = vdev->priv;
	u32 i;

	debugfs_remove_recursive(vi->debugfs);
	/*
	 * XMIT gives nothing more; what the device holds comes back as it
	 * is used (NAPI runs on), and the rest after the reset below.
	 */
	wcv_tx_close(vi);
	/* stops capture on every queue: cells come back by queue reset */
	wirecap_nic_unregister(vi->wc);
	for (i = 0; i < vi->pairs; i++) {
		napi_disable(&vi->rxq[i].napi);
		napi_disable(&vi->txq[i].napi);
	}
	unregister_netdev(vi->netdev);
	virtio_reset_device(vdev);
	/* unused by the device: back to their pools unsent */
	wcv_tx_detach_unused(vi);
	for (i = 0; i < vi->pairs; i++) {
		netif_napi_del(&vi->rxq[i].napi);
		netif_napi_del(&vi->txq[i].napi);
	}
	vdev->config->del_vqs(vdev);
	free_netdev(vi->netdev);
	wcv_rxq_free(vi);
	wcv_txq_free(vi);
	kfree(vi->tx_hdr);
	kfree(vi->rxq);
	kfree(vi);
}

static unsigned int wcv_features[] = {
	VIRTIO_NET_F_MAC, VIRTIO_NET_F_STATUS, VIRTIO_NET_F_CTRL_VQ,
	VIRTIO_NET_F_CTRL_RX, VIRTIO_NET_F_MQ, VIRTIO_NET_F_RSS,
	VIRTIO_NET_F_HASH_REPORT, VIRTIO_NET_F_MRG_RXBUF,
};

static const struct virtio_device_id wcv_id_table[] = {
	{ VIRTIO_ID_NET, VIRTIO_DEV_ANY_ID },
	{ 0 },
};
MODULE_DEVICE_TABLE(virtio, wcv_id_table);

static struct virtio_driver wcv_driver = {
	.driver.name = KBUILD_MODNAME,
	.driver.owner = THIS_MODULE,
	.id_table = wcv_id_table,
	.feature_table = wcv_features,
	.feature_table_size = ARRAY_SIZE(wcv_features),
	.probe = wcv_probe,
	.remove = wcv_remove,
};

static int __init wcv_init(void)
{
	int ret;

	wcv_debugfs = debugfs_create_dir("wirecap_virtio", NULL);
	ret = register_virtio_driver(&wcv_driver);
	if (ret)
		debugfs_remove_recursive(wcv_debugfs);
	return ret;
}

static void __exit wcv_exit(void)
{
	unregister_virtio_driver(&wcv_driver);
	debugfs_remove_recursive(wcv_debugfs);
}

module_init(wcv_init);
module_exit(wcv_exit);
MODULE_DESCRIPTION("WireCAP capture driver for virtio-net devices");
MODULE_LICENSE("GPL");
