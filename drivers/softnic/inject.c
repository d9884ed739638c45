// SPDX-License-Identifier: GPL-2.0
/*
 * Packets arrive: the write handler of <ifname>/inject plays the wire and
 * the NIC's DMA engine. A capturing queue receives into the cells
 * wirecap.ko posted (ring empty: a counted drop, as in hardware); any other
 * queue hands packets to the network stack like an ordinary NIC.
 */
#include <linux/etherdevice.h>
#include <linux/ip.h>
#include <linux/sched.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <linux/wirecap_softnic.h>
#include <net/checksum.h>

#include "softnic.h"

#define INJECT_MAX_PAYLOAD	(16U << 20)
#define INJECT_RESCHED		256	/* packets between unlock + resched */

void softnic_rx_flush(struct softnic_rxq *rq)
{
	if (rq->nr_done) {
		unsigned int n = rq->nr_done;

		rq->nr_done = 0;
		wirecap_rx_complete(rq->wq, rq->done, n);
	}
	if (rq->pending_drops) {
		wirecap_rx_dropped(rq->wq, rq->pending_drops, false);
		rq->pending_drops = 0;
	}
}

static void rx_to_stack(struct softnic_rxq *rq, const u8 *frame, u32 len)
{
	struct net_device *dev = rq->sn->netdev;
	struct sk_buff *skb;

	if (!(dev->flags & IFF_UP) || len < ETH_HLEN) {
		rq->drops++;
		return;
	}
	skb = netdev_alloc_skb(dev, len);
	if (!skb) {
		rq->drops++;
		return;
	}
	skb_put_data(skb, frame, len);
	skb->protocol = eth_type_trans(skb, dev);
	skb_record_rx_queue(skb, rq->index);
	netif_rx(skb);
}

/*
 * One packet on the wire of queue rq. A frame longer than a cell fills as
 * many consecutive cells of the ring as it needs (a multi-descriptor
 * frame), all but the last reported with WIRECAP_RX_MORE; with too few
 * cells posted, the whole frame is dropped, as a NIC does. Frames longer
 * than the pool takes are dropped before, as oversize.
 */
static void rx_one(struct softnic_rxq *rq, const u8 *frame, u32 len, u32 hash,
		   bool has_hash)
{
	u32 mask = rq->sn->ring_size - 1, size, ncells, i;
	u64 now;

	lockdep_assert_held(&rq->lock);
	rq->packets++;
	rq->bytes += len;
	if (rq->broken) {
		rq->drops++;
		return;
	}
	if (!rq->capturing) {
		rx_to_stack(rq, frame, len);
		return;
	}
	if (len > wirecap_queue_max_frame(rq->wq) &&
	    !READ_ONCE(rq->sn->faults.no_frame_limit)) {
		/* the MAC's frame size limit: never reaches a cell */
		rq->oversize++;
		wirecap_rx_dropped(rq->wq, 1, true);
		return;
	}
	size = wirecap_queue_cell_size(rq->wq);
	ncells = DIV_ROUND_UP(max(len, 1U), size);
	if (rq->tail - rq->head < ncells) {
		/*
		 * Before the hardware would drop: complete what we have (it
		 * may free segments) and take chunks recycled since the last
		 * refill, as a NAPI poll would have by now.
		 */
		softnic_rx_flush(rq);
		wirecap_rx_refill(rq->wq);
		if (rq->tail - rq->head < ncells) {
			rq->drops++;
			rq->pending_drops++;
			return;
		}
	}
	if (rq->nr_done + ncells > SOFTNIC_BATCH)
		softnic_rx_flush(rq);
	/*
	 * The frame arrives now (the write plays the wire, frame by frame):
	 * its own timestamp, not the flush's, which comes up to
	 * SOFTNIC_BATCH frames later.
	 */
	now = wirecap_rx_now();
	for (i = 0; i < ncells; i++) {
		struct wirecap_cell *cell = &rq->ring[rq->head++ & mask];
		struct wirecap_rx_done *d = &rq->done[rq->nr_done++];
		u32 n = min(len - i * size, size);

		memcpy(cell->addr, frame + i * size, n);
		d->ts_ns = now;
		d->cell = cell->id;
		d->len = n;
		d->hash = hash;
		d->flags = has_hash ? WIRECAP_RX_HASH : 0;
		if (i + 1 < ncells)
			d->flags |= WIRECAP_RX_MORE;
		else if (unlikely(READ_ONCE(rq->sn->faults.bad_len)))
			d->len = xchg(&rq->sn->faults.bad_len, 0) ?: n;
		if (rq->nr_done == SOFTNIC_BATCH)
			softnic_rx_flush(rq);
	}
}

struct inject_state {
	struct softnic *sn;
	struct softnic_rxq *locked;
	u64 n;
};

static void inject_release(struct inject_state *st)
{
	if (st->locked) {
		softnic_rx_flush(st->locked);
		spin_unlock_bh(&st->locked->lock);
		st->locked = NULL;
	}
}

static void inject_one(struct inject_state *st, int queue, bool want_hash,
		       const u8 *frame, u32 len)
{
	struct softnic *sn = st->sn;
	struct softnic_rxq *rq;
	bool has_hash = false;
	u32 hash = 0;

	if (queue == WIRECAP_SOFTNIC_RSS || want_hash)
		has_hash = softnic_rss_hash(sn, frame, len, &hash);
	if (queue == WIRECAP_SOFTNIC_RSS)
		queue = has_hash ?
			sn->rss_table[hash % SOFTNIC_RSS_TABLE_LEN] : 0;
	rq = &sn->rxq[queue];
	if (st->locked != rq) {
		inject_release(st);
		spin_lock_bh(&rq->lock);
		st->locked = rq;
	}
	rx_one(rq, frame, len, hash, has_hash);
	if (++st->n % INJECT_RESCHED == 0) {
		inject_release(st);
		cond_resched();
	}
}

/* Ethernet/IPv4/UDP with the sequence number at WIRECAP_SOFTNIC_SEQ_OFF. */
static void gen_template(u8 *f, u32 len)
{
	struct iphdr *ip = (struct iphdr *)(f + ETH_HLEN);
	u8 *udp = f + ETH_HLEN + sizeof(*ip);
	u32 i;

	static const u8 dst[ETH_ALEN] = { 0x02, 0, 0, 0, 0, 0x02 };
	static const u8 src[ETH_ALEN] = { 0x02, 0, 0, 0, 0, 0x01 };

	memcpy(f, dst, ETH_ALEN);
	memcpy(f + ETH_ALEN, src, ETH_ALEN);
	f[12] = 0x08;
	f[13] = 0x00;
	ip->version = 4;
	ip->ihl = 5;
	ip->tot_len = htons(len - ETH_HLEN);
	ip->ttl = 64;
	ip->protocol = IPPROTO_UDP;
	ip->saddr = htonl(0x0a000001);	/* 10.0.0.1 */
	ip->daddr = htonl(0x0a000101);	/* 10.0.1.1 */
	udp[2] = 0;
	udp[3] = 9;			/* discard */
	udp[4] = (len - ETH_HLEN - sizeof(*ip)) >> 8;
	udp[5] = (len - ETH_HLEN - sizeof(*ip)) & 0xff;
	for (i = WIRECAP_SOFTNIC_SEQ_OFF + 8; i < len; i++)
		f[i] = i & 0xff;
}

static void gen_stamp(u8 *f, u64 seq)
{
	struct iphdr *ip = (struct iphdr *)(f + ETH_HLEN);
	u8 *udp = f + ETH_HLEN + sizeof(*ip);
	__be64 be = cpu_to_be64(seq);
	u16 sport = 1024 + (seq % 16384);

	ip->id = htons(seq & 0xffff);
	ip->check = 0;
	ip->check = ip_fast_csum(ip, ip->ihl);
	udp[0] = sport >> 8;
	udp[1] = sport & 0xff;
	memcpy(f + WIRECAP_SOFTNIC_SEQ_OFF, &be, sizeof(be));
}

static int inject_generated(struct inject_state *st,
			    const struct wirecap_softnic_inject *h)
{
	u64 i;
	u8 *f;

	if (h->gen_len < WIRECAP_SOFTNIC_SEQ_OFF + 8 ||
	    h->gen_len > WIRECAP_SOFTNIC_MAX_FRAME || h->nr_frames)
		return -EINVAL;
	f = kvzalloc(h->gen_len, GFP_KERNEL);
	if (!f)
		return -ENOMEM;
	gen_template(f, h->gen_len);
	for (i = 0; i < h->count; i++) {
		gen_stamp(f, h->gen_seq + i);
		inject_one(st, h->queue, false, f, h->gen_len);
		if (fatal_signal_pending(current))
			break;
	}
	inject_release(st);
	kvfree(f);
	return 0;
}

struct frame_ref {
	u32 off;
	u32 len;
};

static int inject_frames(struct inject_state *st,
			 const struct wirecap_softnic_inject *h,
			 const char __user *ubuf, size_t len)
{
	struct frame_ref *refs;
	u32 i, off = 0;
	u64 k;
	u8 *buf;
	int ret = -EINVAL;

	/* every record has at least its length word: no more than that */
	if (!h->nr_frames || len > INJECT_MAX_PAYLOAD ||
	    h->nr_frames > len / sizeof(u32))
		return -EINVAL;
	buf = kvmalloc(len, GFP_KERNEL);
	refs = kvmalloc_array(h->nr_frames, sizeof(*refs), GFP_KERNEL);
	if (!buf || !refs) {
		ret = -ENOMEM;
		goto out_free;
	}
	if (copy_from_user(buf, ubuf, len)) {
		ret = -EFAULT;
		goto out_free;
	}
	for (i = 0; i < h->nr_frames; i++) {
		u32 flen;

		if (len - off < sizeof(u32))
			goto out_free;
		memcpy(&flen, buf + off, sizeof(flen));
		off += sizeof(u32);
		if (flen > WIRECAP_SOFTNIC_MAX_FRAME || flen > len - off)
			goto out_free;
		refs[i].off = off;
		refs[i].len = flen;
		off += ALIGN(flen, 4);
		if (off > len)
			off = len;
	}
	for (k = 0; k < h->count; k++) {
		const struct frame_ref *r = &refs[k % h->nr_frames];

		inject_one(st, h->queue, true, buf + r->off, r->len);
		if (fatal_signal_pending(current))
			break;
	}
	inject_release(st);
	ret = 0;
out_free:
	kvfree(refs);
	kvfree(buf);
	return ret;
}

static ssize_t inject_write(struct file *file, const char __user *ubuf,
			    size_t len, loff_t *ppos)
{
	struct inject_state st = { .sn = file->private_data };
	struct wirecap_softnic_inject h;
	int ret;

	if (len < sizeof(h))
		return -EINVAL;
	if (copy_from_user(&h, ubuf, sizeof(h)))
		return -EFAULT;
	if (h.size != sizeof(h) || h.reserved ||
	    (h.flags & ~WIRECAP_SOFTNIC_GEN) ||
	    (h.queue != WIRECAP_SOFTNIC_RSS &&
	     (h.queue < 0 || h.queue >= st.sn->nr_queues)))
		return -EINVAL;

	if (h.flags & WIRECAP_SOFTNIC_GEN)
		ret = inject_generated(&st, &h);
	else
		ret = inject_frames(&st, &h, ubuf + sizeof(h),
				    len - sizeof(h));
	return ret ? ret : len;
}

const struct file_operations softnic_inject_fops = {
	.owner = THIS_MODULE,
	.open = simple_open,
	.write = inject_write,
	.llseek = noop_llseek,
};
