// SPDX-License-Identifier: GPL-2.0
/*
 * WireCAP on the Intel 82599 (ixgbe).
 *
 * Every RX queue the port has at probe is a WireCAP queue,
 * /dev/wirecap/<ifname>-q<N>. A queue that is not attached is the stock
 * driver's. Attaching one takes its ring away from the stack the way the
 * AF_XDP zero-copy switch does (ixgbe_xsk_pool_enable()): the ring is
 * stopped (ixgbe_txrx_ring_disable()), marked, and configured again
 * (ixgbe_txrx_ring_enable()), and from then on the configure hooks set it
 * up for us and the clean hook drives it with the segment engine
 * (wirecap_ring.h) instead of the stock receive path. DETACH is the same
 * switch back; the stock driver then fills the ring as at any start.
 *
 * The ring: the stock descriptor ring itself (ring->desc, RDBAL/RDLEN as
 * the stock driver programs them), which must have IXGBE_WC_RING_SIZE
 * descriptors (ethtool -G <if> rx 512, the stock default), one cell per
 * descriptor, the cell size chosen at ATTACH (SRRCTL.BSIZEPACKET, per
 * queue, 1 KiB units: 1 KiB to PAGE_SIZE), no header split; a frame longer
 * than a cell fills several (WIRECAP_F_MULTI_CELL). Long frames: the
 * stock ixgbe_set_rx_buffer_len() sets MHADD.MFS from the MTU and
 * HLREG0.JUMBOEN always, which we keep. Every reset of the
 * port (link reset, TX hang, ethtool -r/-A/-K, MTU, ifdown/up, suspend)
 * goes through ixgbe_clean_rx_ring() and ixgbe_configure_rx_ring(): the
 * clean hook harvests what the NIC wrote before it stopped, the configure
 * hooks give it the ring back with its head where it stopped. While a
 * queue is captured, ring size, channels, XDP, AF_XDP on that queue and
 * an MTU whose frames a pool was not sized for (at ATTACH) are refused
 * (-EBUSY), and so is what
 * lays the queues out again (ixgbe_setup_tc()): SR-IOV VFs, a new number
 * of traffic classes (DCB, mqprio), macvlan offload, and FCoE on or off
 * (rings of its own, 3 KiB frames). LRO (RSC merges
 * frames) and VLAN tag stripping (takes the tag out of the frame) are off
 * on the port ("off [requested on]" in ethtool -k): frames are captured as
 * they were on the wire (the core makes the port promiscuous);
 * l2-fwd-offload keeps the state it had.
 *
 * Drops: with SRRCTL.DROP_EN a queue that has no descriptor drops what
 * RSS sends it and counts it in QPRDC of its statistics index (RQSMR).
 * Each captured queue gets an index of its own; ixgbe_update_stats() reads
 * QPRDC through our hook, which gives each increase to the queue that owns
 * the index, and ->sync_stats reads the queue's index on demand.
 *
 * RSS: while a queue is captured the port hashes with
 * wirecap_rss_default_key and an indirection table spreading over the RSS
 * queues; the stock key and table come back with the last DETACH.
 *
 * Locking: RTNL serialises attach, detach, the port's (re)configuration and
 * every hook but the RX and statistics ones; then ixgbe_wc_ring.lock (bh),
 * which is the queue's RX context in wirecap_nic.h's sense: the engine, the
 * bound ring's descriptors and tail, and every call into the core's RX
 * functions run under it; then the core's queue lock. stats_lock (bh)
 * covers the QPRDC reads and is taken before the core's queue lock.
 */
#include <linux/dcbnl.h>
#include <linux/module.h>
#include <linux/rcupdate.h>
#include <linux/rtnetlink.h>
#include <net/pkt_cls.h>
#include <net/pkt_sched.h>

#include "compat_gen.h"
#include "ixgbe.h"
#include "ixgbe_txrx_common.h"
#include "wirecap_nic.h"
#include "wirecap_ring.h"

MODULE_INFO(wirecap, "capture on 82599 RX queues (WireCAP ABI " __stringify(WIRECAP_ABI_VERSION) ")");

/* Descriptors of a ring that can be captured: the stock default. */
#define IXGBE_WC_RING_SIZE	512
/* SRRCTL.BSIZEPACKET: 1 KiB units, 1 to 16 KiB (82599 datasheet 8.2.3.8.7) */
#define IXGBE_WC_MIN_BUF	1024u
#define IXGBE_WC_MAX_BUF	min_t(u32, PAGE_SIZE, 16384)
/* Statistics indexes (QPRC, QPRDC, ... 0-15); 0 is every queue's at reset. */
#define IXGBE_WC_NR_STATS	16
#define IXGBE_WC_NO_STAT	0xff
/* RQSMR: one byte per queue, four queues per register. */
#define IXGBE_WC_RQSMR_MASK	0xffU

struct ixgbe_wirecap;

struct ixgbe_wc_ring {
	struct ixgbe_wirecap *wc;
	struct wirecap_queue *q;	/* RTNL: set by queue_start */
	u32 qid;			/* index in adapter->rx_ring[] */
	spinlock_t lock;		/* the RX context, see above */
	struct wirecap_ring ring;	/* lock */
	/* lock; READ_ONCE to kick: the bound ring, or NULL */
	struct ixgbe_ring *rx_ring;
	bool live;			/* lock: RXDCTL.ENABLE, tail writes go out */
	bool bad_cells;			/* lock: cells too small, never posted */
	bool in_frame;			/* lock: past a buffer without EOP */
	u32 frame_bytes;		/* lock: the frame's bytes so far */
	u32 buf_size;			/* RTNL: the pool's cell size */
	u32 pkts;			/* lock: frames of the current harvest */
	u32 bytes;			/* lock: and their bytes */
	bool want_refill;		/* set anywhere, cleared under lock */
	bool capturing;			/* RTNL: a pool is attached */
	u8 stat_idx;			/* stats_lock: index, or NO_STAT */
	int stat_reg;			/* RTNL: reg_idx whose RQSMR byte we set, -1 */
};

struct ixgbe_wirecap {
	struct ixgbe_adapter *adapter;
	struct wirecap_nic *nic;
	u32 nr_rings;
	u32 attached;			/* RTNL: queues capturing */
	bool vfs_changing;		/* RTNL: sriov_configure runs */
	/* RTNL: RSS while capturing, and the port's own from before */
	u32 key[IXGBE_RSS_KEY_SIZE / 4];
	u8 reta[IXGBE_MAX_RETA_ENTRIES];
	u32 saved_key[IXGBE_RSS_KEY_SIZE / 4];
	u8 saved_reta[IXGBE_MAX_RETA_ENTRIES];
	/* QPRDC reads, adapter->hw_rx_no_dma_resources, stat_owner[] */
	spinlock_t stats_lock;
	struct ixgbe_wc_ring *stat_owner[IXGBE_WC_NR_STATS];
	struct ixgbe_wc_ring rings[];
};

static struct ixgbe_wirecap *ixgbe_wc_of(struct ixgbe_adapter *adapter)
{
	return READ_ONCE(adapter->wirecap);
}

static struct ixgbe_wc_ring *ixgbe_wc_ring_of(struct wirecap_queue *q)
{
	struct ixgbe_wirecap *wc = wirecap_nic_priv(wirecap_queue_nic(q));

	return &wc->rings[wirecap_queue_ring(q)];
}

/* The port runs: its rings are configured and their NAPI is enabled. */
static bool ixgbe_wc_port_up(struct ixgbe_adapter *adapter)
{
	return netif_running(adapter->netdev) &&
	       !test_bit(__IXGBE_DOWN, &adapter->state);
}

/* --- the descriptor ring, for the segment engine ------------------------ */

/* Read format: the cell's address; hdr_addr (wb.upper) 0 clears DD. */
static void ixgbe_wc_arm(struct wirecap_ring *r, u32 idx, dma_addr_t dma)
{
	struct ixgbe_wc_ring *wr = r->priv;
	union ixgbe_adv_rx_desc *desc;

	lockdep_assert_held(&wr->lock);
	if (!wr->rx_ring)	/* armed again when the ring is bound */
		return;
	desc = IXGBE_RX_DESC(wr->rx_ring, idx);
	desc->read.pkt_addr = cpu_to_le64(dma);
	desc->read.hdr_addr = 0;
}

/*
 * Ring statistics (ip -s link): whole frames without errors, those of
 * several cells included (the core may still discard one it cannot join).
 */
static void ixgbe_wc_count(struct ixgbe_wc_ring *wr,
			   const struct wirecap_ring_wb *wb)
{
	if (!wr->in_frame)
		wr->frame_bytes = 0;
	wr->frame_bytes += wb->len;
	if (!(wb->flags & WIRECAP_RING_WB_EOP)) {
		wr->in_frame = true;
		return;
	}
	if (!(wb->flags & WIRECAP_RING_WB_ERR)) {
		wr->pkts++;
		wr->bytes += wr->frame_bytes;
	}
	wr->in_frame = false;
}

/* Advanced write-back format: DD, then length, EOP, errors, RSS hash. */
static bool ixgbe_wc_done(struct wirecap_ring *r, u32 idx,
			  struct wirecap_ring_wb *wb)
{
	struct ixgbe_wc_ring *wr = r->priv;
	union ixgbe_adv_rx_desc *desc;
	u32 staterr, rss_type;

	lockdep_assert_held(&wr->lock);
	if (!wr->rx_ring)
		return false;
	desc = IXGBE_RX_DESC(wr->rx_ring, idx);
	staterr = le32_to_cpu(READ_ONCE(desc->wb.upper.status_error));
	if (!(staterr & IXGBE_RXD_STAT_DD))
		return false;
	dma_rmb();		/* the rest of the write-back after DD */
	wb->len = le16_to_cpu(desc->wb.upper.length);
	wb->hash = 0;
	wb->flags = 0;
	if (staterr & IXGBE_RXD_STAT_EOP)
		wb->flags |= WIRECAP_RING_WB_EOP;
	/* as the stock driver: errors count unless rx-all keeps them */
	if ((staterr & IXGBE_RXDADV_ERR_FRAME_ERR_MASK) &&
	    !(wr->rx_ring->netdev->features & NETIF_F_RXALL))
		wb->flags |= WIRECAP_RING_WB_ERR;
	/* a Flow Director match puts the filter id where the hash goes */
	rss_type = le16_to_cpu(desc->wb.lower.lo_dword.hs_rss.pkt_info) &
		   IXGBE_RXDADV_RSSTYPE_MASK;
	if (rss_type && !(staterr & IXGBE_RXDADV_STAT_FLM)) {
		wb->hash = le32_to_cpu(desc->wb.lower.hi_dword.rss);
		wb->flags |= WIRECAP_RING_WB_HASH;
	}
	/*
	 * wb->ts_ns stays 0, the engine stamps the frame as it harvests it:
	 * the 82599 latches one frame's time at a time (RXSTMPL/H); the X550
	 * can write every frame's into its buffer (TSIP), but on the NIC's
	 * own clock, not CLOCK_REALTIME: not used.
	 */
	ixgbe_wc_count(wr, wb);
	return true;
}

static void ixgbe_wc_tail(struct wirecap_ring *r, u32 tail)
{
	struct ixgbe_wc_ring *wr = r->priv;

	lockdep_assert_held(&wr->lock);
	if (!wr->live || wr->bad_cells)	/* written when enabled again */
		return;
	wmb();			/* descriptors before the NIC may fetch them */
	writel(tail, wr->rx_ring->tail);
}

static const struct wirecap_ring_ops ixgbe_wc_ring_ops = {
	.arm = ixgbe_wc_arm,
	.done = ixgbe_wc_done,
	.tail = ixgbe_wc_tail,
};

/*
 * Harvest up to @budget descriptors into the core; the ring's packet and
 * byte counters follow. Returns the descriptors harvested.
 */
static unsigned int ixgbe_wc_harvest(struct ixgbe_wc_ring *wr,
				     unsigned int budget)
{
	struct ixgbe_ring *rx_ring = wr->rx_ring;
	unsigned int n;

	lockdep_assert_held(&wr->lock);
	wr->pkts = 0;
	wr->bytes = 0;
	n = wirecap_ring_clean(&wr->ring, budget);
	if (wr->pkts) {
		u64_stats_update_begin(&rx_ring->syncp);
		rx_ring->stats.packets += wr->pkts;
		rx_ring->stats.bytes += wr->bytes;
		u64_stats_update_end(&rx_ring->syncp);
	}
	return n;
}

/* --- statistics indexes and QPRDC ---------------------------------------- */

/* Map queue @reg_idx to statistics index @idx (RQSMR.Q_MAP). */
static void ixgbe_wc_write_rqsmr(struct ixgbe_hw *hw, u32 reg_idx, u8 idx)
{
	u32 shift = (reg_idx % 4) * 8;
	u32 rqsmr = IXGBE_READ_REG(hw, IXGBE_RQSMR(reg_idx / 4));

	rqsmr &= ~(IXGBE_WC_RQSMR_MASK << shift);
	rqsmr |= (u32)idx << shift;
	IXGBE_WRITE_REG(hw, IXGBE_RQSMR(reg_idx / 4), rqsmr);
}

/*
 * Read (and so clear) QPRDC of statistics index @idx: the port's
 * rx_no_dma_resources gets it as without WireCAP, the queue owning the
 * index its capture_drops.
 */
static void ixgbe_wc_qprdc_locked(struct ixgbe_wirecap *wc, u32 idx)
{
	struct ixgbe_adapter *adapter = wc->adapter;
	struct ixgbe_wc_ring *owner = wc->stat_owner[idx];
	u32 drops;

	lockdep_assert_held(&wc->stats_lock);
	if (ixgbe_removed(READ_ONCE(adapter->hw.hw_addr)))
		return;
	drops = IXGBE_READ_REG(&adapter->hw, IXGBE_QPRDC(idx));
	adapter->hw_rx_no_dma_resources += drops;
	if (drops && owner)
		wirecap_rx_dropped(owner->q, drops, false);
}

/*
 * May @wr have index 0, the one every queue we did not map counts in?
 * Only while no other queue of the port receives: all the others are
 * captured and no VF shares the NIC.
 */
static bool ixgbe_wc_alone(struct ixgbe_wirecap *wc, struct ixgbe_wc_ring *wr)
{
	struct ixgbe_adapter *adapter = wc->adapter;
	u32 i;

	if (adapter->num_vfs)
		return false;
	for (i = 0; i < adapter->num_rx_queues; i++)
		if (i != wr->qid &&
		    (i >= wc->nr_rings || !wc->rings[i].capturing))
			return false;
	return true;
}

/* Index @idx counts for @wr (or nobody) from now on. */
static void ixgbe_wc_set_owner(struct ixgbe_wirecap *wc, u32 idx,
			       struct ixgbe_wc_ring *wr)
{
	struct ixgbe_wc_ring *old;

	spin_lock_bh(&wc->stats_lock);
	ixgbe_wc_qprdc_locked(wc, idx);	/* what it counted so far: old's */
	old = wc->stat_owner[idx];
	if (old)
		old->stat_idx = IXGBE_WC_NO_STAT;
	wc->stat_owner[idx] = wr;
	if (wr)
		wr->stat_idx = idx;
	spin_unlock_bh(&wc->stats_lock);
}

/*
 * Give @wr a statistics index of its own: 1-15 while there are, 0 to the
 * last queue of a port whose every queue is captured. The RQSMR byte is
 * written when the ring is configured (its reg_idx is known then).
 */
static int ixgbe_wc_take_stat(struct ixgbe_wirecap *wc,
			      struct ixgbe_wc_ring *wr)
{
	u32 i;

	ASSERT_RTNL();
	for (i = 1; i < IXGBE_WC_NR_STATS; i++) {
		if (!wc->stat_owner[i]) {
			ixgbe_wc_set_owner(wc, i, wr);
			return 0;
		}
	}
	if (!wc->stat_owner[0] && ixgbe_wc_alone(wc, wr)) {
		ixgbe_wc_set_owner(wc, 0, wr);
		return 0;
	}
	netdev_warn(wc->adapter->netdev,
		    "WireCAP: queue %u: all %u drop counters are in use (capture at most %u queues while the others receive)\n",
		    wr->qid, IXGBE_WC_NR_STATS, IXGBE_WC_NR_STATS - 1);
	return -ENOSPC;
}

/*
 * @wr stops capturing: its last drops, its RQSMR byte back to 0. A queue
 * holding index 0 moves to the freed index, since @wr now counts in 0.
 */
static void ixgbe_wc_put_stat(struct ixgbe_wirecap *wc,
			      struct ixgbe_wc_ring *wr)
{
	struct ixgbe_hw *hw = &wc->adapter->hw;
	struct ixgbe_wc_ring *first = wc->stat_owner[0];
	u8 idx = wr->stat_idx;

	ASSERT_RTNL();
	if (idx == IXGBE_WC_NO_STAT)
		return;
	ixgbe_wc_set_owner(wc, idx, NULL);
	if (idx && first) {
		ixgbe_wc_set_owner(wc, 0, NULL);
		ixgbe_wc_set_owner(wc, idx, first);
		if (first->stat_reg >= 0)
			ixgbe_wc_write_rqsmr(hw, first->stat_reg, idx);
	}
	if (wr->stat_reg >= 0)
		ixgbe_wc_write_rqsmr(hw, wr->stat_reg, 0);
	wr->stat_reg = -1;
}

/* --- RSS ------------------------------------------------------------------ */

/* The stock driver's default table: entry i is RSS queue i mod rss_i. */
static void ixgbe_wc_fill_reta(struct ixgbe_adapter *adapter,
			       u8 reta[IXGBE_MAX_RETA_ENTRIES])
{
	u32 i, entries = ixgbe_rss_indir_tbl_entries(adapter);
	u16 rss_i = adapter->ring_feature[RING_F_RSS].indices;

	if ((adapter->flags & IXGBE_FLAG_SRIOV_ENABLED) && rss_i < 4)
		rss_i = 4;
	if (!rss_i)
		rss_i = 1;
	memset(reta, 0, IXGBE_MAX_RETA_ENTRIES);
	for (i = 0; i < entries; i++)
		reta[i] = i % rss_i;
}

/*
 * The first queue is captured: the port hashes with our key over all RSS
 * queues. adapter->rss_key and rss_indir_tbl hold them, so every reset
 * programs them again.
 */
static void ixgbe_wc_port_capture(struct ixgbe_wirecap *wc)
{
	struct ixgbe_adapter *adapter = wc->adapter;

	ASSERT_RTNL();
	memcpy(wc->saved_key, adapter->rss_key, sizeof(wc->saved_key));
	memcpy(wc->saved_reta, adapter->rss_indir_tbl, sizeof(wc->saved_reta));
	memcpy(adapter->rss_key, wc->key, sizeof(wc->key));
	ixgbe_wc_fill_reta(adapter, wc->reta);
	memcpy(adapter->rss_indir_tbl, wc->reta, sizeof(wc->reta));
	if (ixgbe_wc_port_up(adapter)) {
		ixgbe_store_key(adapter);
		ixgbe_store_reta(adapter);
	}
}

/*
 * The last queue is detached: the port's key and table come back, unless
 * ethtool -X changed them meanwhile (then they stay as asked).
 */
static void ixgbe_wc_port_release(struct ixgbe_wirecap *wc)
{
	struct ixgbe_adapter *adapter = wc->adapter;

	ASSERT_RTNL();
	if (!memcmp(adapter->rss_key, wc->key, sizeof(wc->key)))
		memcpy(adapter->rss_key, wc->saved_key, sizeof(wc->saved_key));
	if (!memcmp(adapter->rss_indir_tbl, wc->reta, sizeof(wc->reta)))
		memcpy(adapter->rss_indir_tbl, wc->saved_reta,
		       sizeof(wc->saved_reta));
	if (ixgbe_wc_port_up(adapter)) {
		ixgbe_store_key(adapter);
		ixgbe_store_reta(adapter);
	}
}

/* --- hooks: ring configuration and receive ------------------------------- */

/* The queue @ring serves if it is one of ours (not the self-test's ring). */
static struct ixgbe_wc_ring *ixgbe_wc_find(struct ixgbe_adapter *adapter,
					   struct ixgbe_ring *ring)
{
	struct ixgbe_wirecap *wc = ixgbe_wc_of(adapter);
	u32 qid = ring->queue_index;

	if (!wc || qid >= wc->nr_rings || qid >= adapter->num_rx_queues ||
	    adapter->rx_ring[qid] != ring)
		return NULL;
	return &wc->rings[qid];
}

/**
 * ixgbe_wirecap_configure_rx_ring() - set up a captured ring's registers
 * @adapter: the port
 * @ring: an RX ring being configured, its queue disabled (RXDCTL.ENABLE
 *	  clear), RDBAL/RDBAH/RDLEN written
 *
 * Called from ixgbe_configure_rx_ring() after the stock SRRCTL and RSCCTL.
 * For a captured queue: one cell-sized buffer per descriptor and DROP_EN
 * (SRRCTL), the queue's own statistics index (RQSMR), head and tail where
 * the NIC stopped (RDH = RDT: nothing posted yet), and the ring is bound
 * to WireCAP. Any other ring is left to the stock driver.
 */
void ixgbe_wirecap_configure_rx_ring(struct ixgbe_adapter *adapter,
				     struct ixgbe_ring *ring)
{
	struct ixgbe_wc_ring *wr = ixgbe_wc_find(adapter, ring);
	struct ixgbe_hw *hw = &adapter->hw;
	u8 reg_idx = ring->reg_idx;
	u32 srrctl;

	if (ring->wirecap)	/* configured again without a clean: unbind */
		ixgbe_wirecap_clean_rx_ring(ring);
	if (!wr || !wr->capturing)
		return;
	if (WARN_ON_ONCE(ring->count != wr->ring.n))
		return;		/* ethtool -G is refused while capturing */

	srrctl = IXGBE_READ_REG(hw, IXGBE_SRRCTL(reg_idx));
	srrctl &= ~(IXGBE_SRRCTL_BSIZEPKT_MASK | IXGBE_SRRCTL_DESCTYPE_MASK);
	srrctl |= wr->buf_size >> IXGBE_SRRCTL_BSIZEPKT_SHIFT;
	srrctl |= IXGBE_SRRCTL_DESCTYPE_ADV_ONEBUF | IXGBE_SRRCTL_DROP_EN;
	IXGBE_WRITE_REG(hw, IXGBE_SRRCTL(reg_idx), srrctl);

	if (wr->stat_reg >= 0 && wr->stat_reg != reg_idx)
		ixgbe_wc_write_rqsmr(hw, wr->stat_reg, 0);
	ixgbe_wc_write_rqsmr(hw, reg_idx, wr->stat_idx);
	wr->stat_reg = reg_idx;

	spin_lock_bh(&wr->lock);
	WRITE_ONCE(wr->rx_ring, ring);
	wr->in_frame = false;
	IXGBE_WRITE_REG(hw, IXGBE_RDH(reg_idx), wr->ring.ntc);
	IXGBE_WRITE_REG(hw, IXGBE_RDT(reg_idx), wr->ring.ntc);
	spin_unlock_bh(&wr->lock);
	ring->wirecap = wr;
}

/**
 * ixgbe_wirecap_rx_ring_enabled() - give a captured ring its cells
 * @adapter: the port
 * @ring: an RX ring, its queue just enabled (RXDCTL.ENABLE set)
 *
 * Called from ixgbe_configure_rx_ring() where the stock driver posts its
 * buffers. For a bound ring, the descriptors still posted from before a
 * reset are written again, the tail with them, and waiting segments get
 * free chunks.
 *
 * Return: true if the ring is captured: the stock driver posts nothing.
 */
bool ixgbe_wirecap_rx_ring_enabled(struct ixgbe_adapter *adapter,
				   struct ixgbe_ring *ring)
{
	struct ixgbe_wc_ring *wr = ring->wirecap;

	if (!wr)
		return false;
	spin_lock_bh(&wr->lock);
	wr->live = true;
	WRITE_ONCE(wr->want_refill, false);
	wirecap_ring_restart(&wr->ring);
	wirecap_rx_refill(wr->q);
	spin_unlock_bh(&wr->lock);
	return true;
}

/**
 * ixgbe_wirecap_clean_rx_irq() - the NAPI poll of a captured ring
 * @q_vector: the ring's vector
 * @rx_ring: a ring for which ixgbe_wirecap_ring() is true
 * @budget: descriptors this ring may harvest in this poll
 *
 * Called first in ixgbe_clean_rx_irq(), in NAPI context. Harvests written
 * descriptors into the core (which posts full segments again with free
 * chunks) and, if user space recycled chunks since, posts waiting
 * segments.
 *
 * Return: descriptors harvested; @budget means "poll again".
 */
int ixgbe_wirecap_clean_rx_irq(struct ixgbe_q_vector *q_vector,
			       struct ixgbe_ring *rx_ring, int budget)
{
	struct ixgbe_wc_ring *wr = rx_ring->wirecap;
	unsigned int done;
	u32 pkts, bytes;

	spin_lock(&wr->lock);
	done = ixgbe_wc_harvest(wr, budget);
	pkts = wr->pkts;
	bytes = wr->bytes;
	if (READ_ONCE(wr->want_refill)) {
		WRITE_ONCE(wr->want_refill, false);
		wirecap_rx_refill(wr->q);
	}
	spin_unlock(&wr->lock);
	/* for the adaptive interrupt rate (ixgbe_update_itr()) */
	q_vector->rx.total_packets += pkts;
	q_vector->rx.total_bytes += bytes;
	return done;
}

/**
 * ixgbe_wirecap_clean_rx_ring() - the NIC stopped a captured ring
 * @rx_ring: an RX ring whose queue is disabled (or the port reset) and
 *	     whose NAPI is disabled
 *
 * Called from ixgbe_clean_rx_ring() (down, reset, ring switch, close).
 * Harvests every descriptor the NIC wrote back; the cells still posted
 * stay the engine's and go back to the NIC when the ring is configured
 * again. The ring is unbound until then.
 *
 * Return: true if the ring was captured: no stock buffers to free.
 */
bool ixgbe_wirecap_clean_rx_ring(struct ixgbe_ring *rx_ring)
{
	struct ixgbe_wc_ring *wr = rx_ring->wirecap;

	if (!wr)
		return false;
	spin_lock_bh(&wr->lock);
	wr->live = false;
	while (ixgbe_wc_harvest(wr, wr->ring.n) == wr->ring.n)
		;
	WRITE_ONCE(wr->rx_ring, NULL);
	spin_unlock_bh(&wr->lock);
	rx_ring->wirecap = NULL;
	return true;
}

/**
 * ixgbe_wirecap_read_qprdc() - read one QPRDC register for the statistics
 * @adapter: the port, in ixgbe_update_stats() (watchdog or ethtool -S)
 * @idx: the statistics index, 0-15
 *
 * Replaces the stock read: adds QPRDC[@idx] to rx_no_dma_resources as
 * before, and gives it to the captured queue mapped to @idx, if any.
 */
void ixgbe_wirecap_read_qprdc(struct ixgbe_adapter *adapter, u32 idx)
{
	struct ixgbe_wirecap *wc;

	rcu_read_lock();
	wc = ixgbe_wc_of(adapter);
	if (wc) {
		spin_lock_bh(&wc->stats_lock);
		ixgbe_wc_qprdc_locked(wc, idx);
		spin_unlock_bh(&wc->stats_lock);
	} else {
		adapter->hw_rx_no_dma_resources +=
			IXGBE_READ_REG(&adapter->hw, IXGBE_QPRDC(idx));
	}
	rcu_read_unlock();
}

/* --- hooks: what the port may not do while capturing --------------------- */

/**
 * ixgbe_wirecap_fix_features() - keep frames as they were on the wire
 * @adapter: the port (RTNL held)
 * @features: what ixgbe_fix_features() settled on
 *
 * While a queue is captured, no LRO (RSC would merge frames across
 * buffers) and no VLAN tag stripping (RXDCTL.VME would take the tag out of
 * the frame): ethtool -k shows them "off [requested on]" and they come
 * back with the last DETACH. l2-fwd-offload keeps its state:
 * ixgbe_set_features() lays the queues out again when it flips while
 * VMDq pools are in use (SR-IOV VFs, offloaded macvlans).
 *
 * Return: @features, less what capture cannot have.
 */
netdev_features_t ixgbe_wirecap_fix_features(struct ixgbe_adapter *adapter,
					     netdev_features_t features)
{
	struct ixgbe_wirecap *wc = ixgbe_wc_of(adapter);

	ASSERT_RTNL();
	if (!wc || !wc->attached)
		return features;
	features &= ~NETIF_F_HW_L2FW_DOFFLOAD;
	features |= adapter->netdev->features & NETIF_F_HW_L2FW_DOFFLOAD;
	return features & ~(NETIF_F_LRO | NETIF_F_HW_VLAN_CTAG_RX);
}

/* Refuse, and say so, while any queue of the port is captured. */
static bool ixgbe_wc_busy(struct ixgbe_adapter *adapter, const char *what)
{
	struct ixgbe_wirecap *wc = ixgbe_wc_of(adapter);

	if (!wc || !wc->attached)
		return false;
	netdev_warn(adapter->netdev, "WireCAP: %u queues captured: %s cannot change\n",
		    wc->attached, what);
	return true;
}

/**
 * ixgbe_wirecap_busy() - refuse a change of the port's queues?
 * @adapter: the port (RTNL held)
 * @what: the change, for the log
 *
 * Ring sizes, channels and XDP change the rings a captured queue relies
 * on; DCB (CEE state) and macvlan offload (a VMDq pool of its own) lay
 * the queues out again through ixgbe_setup_tc(); FCoE on or off
 * (ixgbe_fcoe_enable(), ixgbe_fcoe_disable(), from the fcoe module)
 * closes the port, lays the queues out again with FCoE rings added or
 * taken away (they may be the last RSS queues) and opens it, and with
 * FCoE on the port takes frames of up to 3 KiB, more than the MTU. They
 * wait until no queue is captured.
 *
 * Return: true to refuse the change with -EBUSY.
 */
bool ixgbe_wirecap_busy(struct ixgbe_adapter *adapter, const char *what)
{
	ASSERT_RTNL();
	return ixgbe_wc_busy(adapter, what);
}

/**
 * ixgbe_wirecap_ets_busy() - refuse an IEEE 802.1Qaz ETS setting?
 * @adapter: the port (RTNL held)
 * @ets: the setting, from dcbnl's ->ieee_setets
 *
 * ixgbe gives the port one traffic class more than the highest one @ets
 * maps a priority to, and none when every priority is in TC 0. Another
 * number than the port's (adapter->hw_tcs) lays the queues out again
 * (ixgbe_setup_tc()): that is refused, before ixgbe stores @ets. A
 * setting that keeps the number keeps the queues (at most the port is
 * reset), and goes through.
 *
 * More classes than the port has (dcb_cfg.num_tcs.pg_tcs) is ixgbe's own
 * -EINVAL, which it returns only after it has stored @ets: this hook runs
 * before, so it makes the same check and lets such a setting through to
 * that error instead of refusing it as busy. The count is a u8, as in
 * ixgbe_dcbnl_ieee_setets(), so that it wraps where ixgbe's does (a
 * priority in TC 255 counts as no classes there).
 *
 * Return: true to refuse the setting with -EBUSY.
 */
bool ixgbe_wirecap_ets_busy(struct ixgbe_adapter *adapter,
			    const struct ieee_ets *ets)
{
	u8 tcs = 0;
	int i;

	ASSERT_RTNL();
	for (i = 0; i < IEEE_8021QAZ_MAX_TCS; i++)
		tcs = max(tcs, ets->prio_tc[i]);
	if (tcs)
		tcs++;
	if (tcs > adapter->dcb_cfg.num_tcs.pg_tcs || tcs == adapter->hw_tcs)
		return false;
	return ixgbe_wc_busy(adapter, "traffic classes (DCB)");
}

/**
 * ixgbe_wirecap_mqprio_busy() - refuse mqprio's traffic classes?
 * @adapter: the port (RTNL held)
 * @mqprio: the request, from ndo_setup_tc(TC_SETUP_QDISC_MQPRIO)
 *
 * Another number of traffic classes than the port's (adapter->hw_tcs)
 * lays the queues out again (ixgbe_setup_tc()): that is refused. Where
 * the kernel passes tc's extack with the request (6.12, not 6.1), tc
 * prints why.
 *
 * Return: true to refuse the request with -EBUSY.
 */
bool ixgbe_wirecap_mqprio_busy(struct ixgbe_adapter *adapter,
			       struct tc_mqprio_qopt_offload *mqprio)
{
	ASSERT_RTNL();
	if (mqprio->qopt.num_tc == adapter->hw_tcs ||
	    !ixgbe_wc_busy(adapter, "traffic classes (mqprio)"))
		return false;
#ifdef WC_HAVE_MQPRIO_EXTACK
	NL_SET_ERR_MSG_MOD(mqprio->extack,
			   "WireCAP: queues are captured, traffic classes cannot change");
#endif
	return true;
}

/**
 * ixgbe_wirecap_vfs_busy() - refuse a change of the SR-IOV VFs?
 * @adapter: the port (RTNL not held: from ixgbe_pci_sriov_configure(),
 *	     under the device lock)
 *
 * Enabling or disabling VFs changes the port's VMDq pools and lays the
 * queues out again (ixgbe_sriov_reinit()). The PCI core does not hold
 * RTNL here and ixgbe takes it only around that rebuild, so a change let
 * through also keeps ATTACH out (ixgbe_wc_can_capture()) until
 * ixgbe_wirecap_vfs_done().
 *
 * Lock order: the PCI device's lock (and pci_rescan_remove_lock), then
 * RTNL, as in ixgbe_sriov_reinit() on the same path. Lockdep does not
 * check that order: device_initialize() puts every struct device's mutex
 * in lockdep_set_novalidate_class(), so an inversion (a device_lock()
 * taken under RTNL) would deadlock with no lockdep splat first. Nothing
 * in WireCAP takes a device lock: keep it so.
 *
 * Return: true to refuse the change with -EBUSY; false, and the caller
 * calls ixgbe_wirecap_vfs_done() when the change is over.
 */
bool ixgbe_wirecap_vfs_busy(struct ixgbe_adapter *adapter)
{
	struct ixgbe_wirecap *wc = ixgbe_wc_of(adapter);
	bool busy;

	if (!wc)
		return false;
	rtnl_lock();
	busy = ixgbe_wc_busy(adapter, "SR-IOV VFs");
	if (!busy)
		wc->vfs_changing = true;
	rtnl_unlock();
	return busy;
}

/**
 * ixgbe_wirecap_vfs_done() - a change of the SR-IOV VFs is over
 * @adapter: the port (RTNL not held), after ixgbe_wirecap_vfs_busy()
 *	     let the change through
 *
 * ATTACH is allowed again.
 */
void ixgbe_wirecap_vfs_done(struct ixgbe_adapter *adapter)
{
	struct ixgbe_wirecap *wc = ixgbe_wc_of(adapter);

	if (!wc)
		return;
	rtnl_lock();
	wc->vfs_changing = false;
	rtnl_unlock();
}

/**
 * ixgbe_wirecap_mtu_busy() - refuse an MTU change?
 * @adapter: the port (RTNL held)
 * @new_mtu: the MTU asked for
 *
 * A frame may span cells, but the core sized each pool's longest frame
 * (and the chunks' spill areas) from the MTU at ATTACH: while a queue is
 * captured the MTU may change only as far as its frames still fit that.
 *
 * Return: true to refuse the change with -EBUSY.
 */
bool ixgbe_wirecap_mtu_busy(struct ixgbe_adapter *adapter, int new_mtu)
{
	struct ixgbe_wirecap *wc = ixgbe_wc_of(adapter);
	u32 i, max = U32_MAX;

	ASSERT_RTNL();
	if (!wc || !wc->attached)
		return false;
	/* the longest frame a captured queue's pool was sized for */
	for (i = 0; i < wc->nr_rings; i++)
		if (wc->rings[i].capturing && wc->rings[i].q)
			max = min(max, wirecap_queue_max_frame(wc->rings[i].q));
	if (new_mtu <= adapter->netdev->mtu ||
	    (u64)new_mtu + ETH_HLEN + 2 * VLAN_HLEN <= max)
		return false;
	netdev_warn(adapter->netdev, "WireCAP: %u queues captured: their pools take frames of %u bytes at most\n",
		    wc->attached, max);
	return true;
}

/**
 * ixgbe_wirecap_queue_busy() - refuse an AF_XDP pool on a queue?
 * @adapter: the port (RTNL held)
 * @qid: the queue
 *
 * Return: true if @qid is captured: the pool is refused with -EBUSY.
 */
bool ixgbe_wirecap_queue_busy(struct ixgbe_adapter *adapter, u16 qid)
{
	struct ixgbe_wirecap *wc = ixgbe_wc_of(adapter);

	ASSERT_RTNL();
	if (!wc || qid >= wc->nr_rings || !wc->rings[qid].capturing)
		return false;
	netdev_warn(adapter->netdev, "WireCAP: queue %u is captured: no AF_XDP pool on it\n",
		    qid);
	return true;
}

/* --- the WireCAP queue operations ----------------------------------------- */

static int ixgbe_wc_can_capture(struct ixgbe_wc_ring *wr)
{
	struct ixgbe_adapter *adapter = wr->wc->adapter;
	struct net_device *netdev = adapter->netdev;
	u32 qid = wr->qid;

	if (qid >= adapter->num_rx_queues || qid >= adapter->num_tx_queues) {
		netdev_warn(netdev, "WireCAP: queue %u is not in use now (ethtool -L)\n",
			    qid);
		return -ENXIO;
	}
	if (adapter->rx_ring_count != IXGBE_WC_RING_SIZE) {
		netdev_warn(netdev, "WireCAP: RX rings of %u descriptors: capture needs %u (ethtool -G %s rx %u)\n",
			    adapter->rx_ring_count, IXGBE_WC_RING_SIZE,
			    netdev->name, IXGBE_WC_RING_SIZE);
		return -EINVAL;
	}
	if (READ_ONCE(adapter->xdp_prog) ||
	    (adapter->af_xdp_zc_qps && test_bit(qid, adapter->af_xdp_zc_qps))) {
		netdev_warn(netdev, "WireCAP: queue %u: XDP or AF_XDP uses it\n",
			    qid);
		return -EBUSY;
	}
	if (adapter->flags & IXGBE_FLAG_DCB_ENABLED) {
		netdev_warn(netdev, "WireCAP: DCB owns the queue statistics mapping\n");
		return -EBUSY;
	}
	if (wr->wc->vfs_changing) {
		netdev_warn(netdev, "WireCAP: SR-IOV VFs are being set up or removed (sriov_numvfs)\n");
		return -EBUSY;
	}
	return 0;
}

/*
 * Switch the queue's ring to WireCAP or back to the stack, as
 * wr->capturing says: stop it (the clean hook harvests and unbinds it),
 * configure it again (the configure hooks bind it if captured).
 * ixgbe_txrx_ring_disable() masks vector N and stops its NAPI for queue N:
 * where queue N's RX and TX rings are not alone on vector N (fewer vectors
 * than queues), the whole port is reset instead, which every captured
 * queue survives. When the port is down, its next start configures the
 * ring.
 *
 * Return: true if the NIC did not stop the ring, and may still write
 * into buffers it took before.
 */
static bool ixgbe_wc_switch(struct ixgbe_wc_ring *wr)
{
	struct ixgbe_adapter *adapter = wr->wc->adapter;
	struct ixgbe_hw *hw = &adapter->hw;
	struct ixgbe_ring *ring;
	bool stuck;

	ASSERT_RTNL();
	if (!ixgbe_wc_port_up(adapter) || wr->qid >= adapter->num_rx_queues ||
	    wr->qid >= adapter->num_tx_queues)
		return false;
	ring = adapter->rx_ring[wr->qid];
	if (!ring)
		return false;
	if (!ring->q_vector || ring->q_vector->v_idx != wr->qid ||
	    adapter->tx_ring[wr->qid]->q_vector != ring->q_vector) {
		ixgbe_reinit_locked(adapter);
		return false;
	}
	ixgbe_txrx_ring_disable(adapter, wr->qid);
	stuck = (IXGBE_READ_REG(hw, IXGBE_RXDCTL(ring->reg_idx)) &
		 IXGBE_RXDCTL_ENABLE) && !ixgbe_removed(READ_ONCE(hw->hw_addr));
	ixgbe_txrx_ring_enable(adapter, wr->qid);
	return stuck;
}

static int ixgbe_wc_queue_start(struct wirecap_queue *q)
{
	struct ixgbe_wc_ring *wr = ixgbe_wc_ring_of(q);
	struct ixgbe_wirecap *wc = wr->wc;
	struct ixgbe_adapter *adapter = wc->adapter;
	int err;

	ASSERT_RTNL();
	err = ixgbe_wc_can_capture(wr);
	if (err)
		return err;
	/* SRRCTL.BSIZEPACKET: whole KiB (the core offers only those) */
	wr->buf_size = wirecap_queue_cell_size(q);
	if (wr->buf_size < IXGBE_WC_MIN_BUF || wr->buf_size > IXGBE_WC_MAX_BUF ||
	    wr->buf_size % IXGBE_WC_MIN_BUF)
		return -EINVAL;
	wr->q = q;
	err = wirecap_ring_init(&wr->ring, &ixgbe_wc_ring_ops, q, wr,
				IXGBE_WC_RING_SIZE);
	if (err)
		return err;
	err = ixgbe_wc_take_stat(wc, wr);
	if (err)
		goto err_free_ring;
	if (!wc->attached)
		ixgbe_wc_port_capture(wc);
	wc->attached++;
	wr->capturing = true;
	wr->bad_cells = false;
	/* LRO and VLAN stripping off first: may reset the port */
	netdev_update_features(adapter->netdev);
	if (!adapter->rx_ring[wr->qid] || !adapter->rx_ring[wr->qid]->wirecap)
		ixgbe_wc_switch(wr);
	return 0;

err_free_ring:
	wirecap_ring_free(&wr->ring);
	return err;
}

static int ixgbe_wc_queue_stop(struct wirecap_queue *q)
{
	struct ixgbe_wc_ring *wr = ixgbe_wc_ring_of(q);
	struct ixgbe_wirecap *wc = wr->wc;
	struct ixgbe_adapter *adapter = wc->adapter;
	bool stuck;

	ASSERT_RTNL();
	wr->capturing = false;
	stuck = ixgbe_wc_switch(wr);
	spin_lock_bh(&wr->lock);
	if (WARN_ON_ONCE(wr->rx_ring)) {
		/*
		 * A hook missed: the NIC may still run the ring, and NAPI
		 * still polls it through us. Unbinding it would hand our
		 * descriptors to the stock RX path: keep the ring bound, the
		 * engine and the port's state as they are; the core keeps
		 * the pool and refuses this queue from now on.
		 */
		spin_unlock_bh(&wr->lock);
		return -EIO;
	}
	wr->live = false;
	wirecap_ring_forget(&wr->ring);
	WRITE_ONCE(wr->want_refill, false);
	spin_unlock_bh(&wr->lock);
	wirecap_ring_free(&wr->ring);
	ixgbe_wc_put_stat(wc, wr);
	if (!--wc->attached) {
		ixgbe_wc_port_release(wc);
		netdev_update_features(adapter->netdev);
	}
	if (stuck) {
		netdev_err(adapter->netdev, "WireCAP: RX queue %u did not stop (RXDCTL.ENABLE stays set): its pool is kept\n",
			   wr->qid);
		return -EIO;
	}
	return 0;
}

static void ixgbe_wc_refill_kick(struct wirecap_queue *q)
{
	struct ixgbe_wc_ring *wr = ixgbe_wc_ring_of(q);
	struct ixgbe_adapter *adapter = wr->wc->adapter;
	struct ixgbe_q_vector *q_vector;
	struct ixgbe_ring *ring;

	WRITE_ONCE(wr->want_refill, true);
	/* rings go with their vector, freed after an RCU grace period */
	rcu_read_lock();
	ring = READ_ONCE(wr->rx_ring);
	q_vector = ring ? ring->q_vector : NULL;
	/* as ixgbe_xsk_wakeup(): NAPI polls again, or the vector fires */
	if (q_vector && !test_bit(__IXGBE_DOWN, &adapter->state) &&
	    !napi_if_scheduled_mark_missed(&q_vector->napi))
		ixgbe_irq_rearm_queues(adapter, BIT_ULL(q_vector->v_idx));
	rcu_read_unlock();
}

static void ixgbe_wc_post_cells(struct wirecap_queue *q, u32 segment,
				const struct wirecap_cell *cells,
				unsigned int n)
{
	struct ixgbe_wc_ring *wr = ixgbe_wc_ring_of(q);

	lockdep_assert_held(&wr->lock);
	/* the NIC writes buf_size bytes: smaller cells never go out */
	if (n && cells[0].size < wr->buf_size && !wr->bad_cells) {
		netdev_err(wr->wc->adapter->netdev, "WireCAP: queue %u: cells of %u bytes, the NIC writes %u: nothing is posted\n",
			   wr->qid, cells[0].size, wr->buf_size);
		wr->bad_cells = true;
	}
	wirecap_ring_post(&wr->ring, segment, cells, n);
}

/* QPRDC of the queue's statistics index, now rather than at the watchdog. */
static void ixgbe_wc_sync_stats(struct wirecap_queue *q)
{
	struct ixgbe_wc_ring *wr = ixgbe_wc_ring_of(q);
	struct ixgbe_wirecap *wc = wr->wc;
	struct ixgbe_adapter *adapter = wc->adapter;

	/* as ixgbe_update_stats(): not while the port is down or resetting */
	if (test_bit(__IXGBE_DOWN, &adapter->state) ||
	    test_bit(__IXGBE_RESETTING, &adapter->state))
		return;
	spin_lock_bh(&wc->stats_lock);
	if (wr->stat_idx != IXGBE_WC_NO_STAT)
		ixgbe_wc_qprdc_locked(wc, wr->stat_idx);
	spin_unlock_bh(&wc->stats_lock);
}

static const struct wirecap_nic_ops ixgbe_wc_nic_ops = {
	.queue_start = ixgbe_wc_queue_start,
	.queue_stop = ixgbe_wc_queue_stop,
	.refill_kick = ixgbe_wc_refill_kick,
	.post_cells = ixgbe_wc_post_cells,
	.sync_stats = ixgbe_wc_sync_stats,
};

/* --- probe and remove ----------------------------------------------------- */

/**
 * ixgbe_wirecap_attach() - offer the port's RX queues to WireCAP
 * @adapter: the port, registered with the stack (from ixgbe_probe())
 *
 * Only the 82599 is offered, with the RX queues it has now. On failure
 * the port works as with the stock driver, without WireCAP.
 */
void ixgbe_wirecap_attach(struct ixgbe_adapter *adapter)
{
	struct wirecap_nic_config cfg = {};
	struct ixgbe_wirecap *wc;
	struct wirecap_nic *nic;
	u32 i, nr = adapter->num_rx_queues;

	BUILD_BUG_ON(WIRECAP_RSS_KEY_LEN != IXGBE_RSS_KEY_SIZE);
	BUILD_BUG_ON(!is_power_of_2(IXGBE_WC_RING_SIZE));
	if (adapter->hw.mac.type != ixgbe_mac_82599EB) {
		dev_info(&adapter->pdev->dev,
			 "WireCAP: not an 82599, no capture queues\n");
		return;
	}
	if (!nr || !adapter->rss_key)
		return;
	wc = kzalloc(struct_size(wc, rings, nr), GFP_KERNEL);
	if (!wc)
		return;
	wc->adapter = adapter;
	wc->nr_rings = nr;
	spin_lock_init(&wc->stats_lock);
	/* key bytes in register order: RSSRK(0) bits 7:0 = key[0] */
	for (i = 0; i < ARRAY_SIZE(wc->key); i++) {
		const u8 *k = &wirecap_rss_default_key[4 * i];

		wc->key[i] = k[0] | k[1] << 8 | k[2] << 16 | (u32)k[3] << 24;
	}
	for (i = 0; i < nr; i++) {
		struct ixgbe_wc_ring *wr = &wc->rings[i];

		wr->wc = wc;
		wr->qid = i;
		wr->stat_idx = IXGBE_WC_NO_STAT;
		wr->stat_reg = -1;
		spin_lock_init(&wr->lock);
	}
	/* before the queues exist: the hooks see no queue captured */
	WRITE_ONCE(adapter->wirecap, wc);

	cfg.ops = &ixgbe_wc_nic_ops;
	cfg.netdev = adapter->netdev;
	cfg.dma_dev = &adapter->pdev->dev;
	cfg.priv = wc;
	cfg.nr_rings = nr;
	cfg.ring_size = IXGBE_WC_RING_SIZE;
	/* at least two segments: the whole ring is never the NIC's */
	cfg.max_cells_per_chunk = IXGBE_WC_RING_SIZE / 2;
	cfg.frame_offset = 0;
	/* SRRCTL.BSIZEPACKET sizes that are cell sizes: 1 KiB to PAGE_SIZE */
	for (i = IXGBE_WC_MIN_BUF; i <= IXGBE_WC_MAX_BUF; i <<= 1)
		cfg.cell_sizes |= i;		/* bit n: 2^n bytes */
	cfg.features = WIRECAP_F_RSS_HASH | WIRECAP_F_MULTI_CELL;
	cfg.numa_node = dev_to_node(&adapter->pdev->dev);
	nic = wirecap_nic_register(&cfg);
	if (IS_ERR(nic)) {
		dev_warn(&adapter->pdev->dev,
			 "WireCAP: cannot register the queues: %pe\n", nic);
		WRITE_ONCE(adapter->wirecap, NULL);
		synchronize_rcu();	/* statistics readers are done */
		kfree(wc);
		return;
	}
	wc->nic = nic;
	dev_info(&adapter->pdev->dev,
		 "WireCAP: %u capture queues of %u descriptors\n", nr,
		 IXGBE_WC_RING_SIZE);
}

/**
 * ixgbe_wirecap_detach() - take the queues back from WireCAP
 * @adapter: the port, still registered with the stack, its service task
 *	     cancelled (from ixgbe_remove())
 *
 * Completes parked captures with -ENODEV and detaches every pool; then
 * the stock driver has the port alone.
 */
void ixgbe_wirecap_detach(struct ixgbe_adapter *adapter)
{
	struct ixgbe_wirecap *wc = ixgbe_wc_of(adapter);

	if (!wc)
		return;
	wirecap_nic_unregister(wc->nic);
	/* readers hold RTNL (configuration, ethtool) or RCU (statistics) */
	rtnl_lock();
	WRITE_ONCE(adapter->wirecap, NULL);
	rtnl_unlock();
	synchronize_rcu();
	kfree(wc);
}
