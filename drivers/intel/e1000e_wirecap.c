// SPDX-License-Identifier: GPL-2.0
/*
 * WireCAP on the Intel 82574 (e1000e).
 *
 * The 82574 has two receive queues. Linux's e1000e uses only queue 0 and
 * never enables RSS; WireCAP offers both as /dev/wirecap/<ifname>-q0 and
 * -q1. A queue that is not attached is the stock driver's (queue 1 then
 * does not exist: RSS sends everything to queue 0, as stock). Attaching
 * queue 0 takes the stack's ring away; attaching queue 1 turns RSS on with
 * a known key and a table that alternates between the queues, so the stack
 * (or a capture on queue 0) keeps the other half.
 *
 * A captured queue has a descriptor ring of our own (wirecap_ring_size
 * descriptors, extended format, one cell per descriptor) driven by the
 * segment engine (wirecap_ring.h); a frame longer than a cell fills
 * several (WIRECAP_F_MULTI_CELL).
 *
 * Cell size: the 82574 has one receive buffer size for both queues,
 * RCTL.BSIZE/BSEX (256 B to 16 KiB in powers of two; we offer those up to
 * PAGE_SIZE), and one descriptor type, RCTL.DTYP. Whenever queue 0 is the
 * stack's, RCTL stays as e1000_setup_rctl() writes it: 2048 for an MTU up
 * to 1500 (rx_buffer_len 1522 falls in its "default" case; LPE off keeps
 * frames within the stack's 1522-byte buffers), packet split above. So
 * queue 1, which shares the port with the stack's queue 0 now or after
 * queue 0 is detached, takes only 2048-byte cells and an MTU up to 1500;
 * a captured queue 0 may take any size and any MTU (then the configure
 * hook writes BSIZE/BSEX and the extended descriptor type); with queue 1
 * attached too, both have 2048-byte cells. RCTL.LPE stays the stock's:
 * on with an MTU above 1500, and frames above the MTU are the NIC's to
 * refuse, as stock. While a queue is captured the MTU may not go past
 * what its pool was sized for (and queue 1's, past 1500).
 *
 * Every (re)configuration of the
 * NIC goes through the stock e1000e_down()/e1000e_up(): link resets, TX
 * timeouts, ethtool -r/-G/-A/-s, feature changes. The hooks keep a captured
 * queue across them: e1000e_down() resets the NIC, the down hook harvests
 * what it wrote before, and the configure hook gives the ring back with
 * its head where the NIC stopped. ATTACH and DETACH are such a down/up.
 *
 * Drops: the 82574 counts frames it had no descriptor for in MPC (clear on
 * read, port-wide). The stats hook gives each increase to a captured queue
 * whose segments wait for a chunk (the queue that ran dry). QEMU 7.2's
 * model never counts MPC (it stops taking frames instead, and the host's
 * tap drops them); debugfs wirecap_e1000e/<pci>/inject_mpc adds to what
 * the next read finds, to test that path.
 *
 * Locking: RTNL, then __E1000_RESETTING (a bit lock, as the stock driver
 * uses it), then wc_ring.lock (bh), then the core's queue lock.
 * wc_ring.lock is the queue's RX context in wirecap_nic.h's sense: the
 * engine and every call into the core's RX functions run under it.
 */
#include <linux/debugfs.h>
#include <linux/dma-mapping.h>
#include <linux/log2.h>
#include <linux/module.h>
#include <linux/pm_runtime.h>
#include <linux/rtnetlink.h>

#include "e1000.h"
#include "e1000e_wirecap.h"
#include "wirecap_nic.h"
#include "wirecap_ring.h"

MODULE_INFO(wirecap, "capture on 82574 RX queues 0-1 (WireCAP ABI " __stringify(WIRECAP_ABI_VERSION) ")");

#define WC_RINGS		2
#define WC_RETA_REGS		32	/* 128 one-byte entries */
#define WC_RETA_SPREAD		0x80008000	/* entries 0,1,0,1: bit 7 = queue */
#define WC_MRQC_RSS_ENABLE	0x1		/* MRQC[1:0] = 01b: RSS */
#define WC_MRQC_FIELDS		(E1000_MRQC_RSS_FIELD_IPV4_TCP | \
				 E1000_MRQC_RSS_FIELD_IPV4 | \
				 E1000_MRQC_RSS_FIELD_IPV6_TCP_EX | \
				 E1000_MRQC_RSS_FIELD_IPV6 | \
				 E1000_MRQC_RSS_FIELD_IPV6_TCP)
#define WC_MRQ_RSS_TYPE		0xf		/* wb.lower.mrq: RSS type */

static unsigned int wirecap_ring_size = 256;
module_param(wirecap_ring_size, uint, 0444);
MODULE_PARM_DESC(wirecap_ring_size,
		 "Descriptors of a captured RX ring (power of two, 64-4096)");

struct wc_ring {
	struct e1000e_wirecap *wc;
	struct wirecap_queue *q;
	u32 idx;			/* 0 or 1 */
	spinlock_t lock;		/* the RX context, see above */
	struct wirecap_ring ring;	/* lock */
	union e1000_rx_desc_extended *desc;
	dma_addr_t dma;
	bool attached;			/* RTNL and lock; hooks read it */
	bool running;			/* lock: the NIC owns posted descriptors */
	bool want_refill;		/* set anywhere, cleared under lock */
	u32 cell_size;			/* RTNL: the attached pool's cells */
};

struct e1000e_wirecap {
	struct e1000_adapter *adapter;
	struct wirecap_nic *nic;
	struct wc_ring rings[WC_RINGS];
	u32 nr_rings;
	u32 ring_size;
	bool rss_set;			/* RTNL: our RSS is programmed */
	u32 configured;			/* RTNL: configure hook runs */
	u64 mpc_seen;			/* adapter->stats64_lock */
	atomic64_t mpc_inject;
	struct dentry *debugfs;
};

static struct dentry *wc_debugfs_root;
static DEFINE_MUTEX(wc_debugfs_lock);
static unsigned int wc_debugfs_users;

static struct e1000e_wirecap *wc_of(struct e1000_adapter *adapter)
{
	return READ_ONCE(adapter->wirecap);
}

static struct wc_ring *wc_ring_of(struct wirecap_queue *q)
{
	struct e1000e_wirecap *wc = wirecap_nic_priv(wirecap_queue_nic(q));

	return &wc->rings[wirecap_queue_ring(q)];
}

/* RCTL.BSIZE as e1000_setup_rctl() programs it for an MTU up to 1500 */
#define WC_STOCK_CELL_SIZE	2048u
#define WC_RCTL_BSIZE_MASK	(E1000_RCTL_SZ_4096 | E1000_RCTL_BSEX)

/*
 * RCTL.BSIZE (bits 17:16) and BSEX for a receive buffer of @size bytes;
 * false if the 82574 has no such size (82574 datasheet, 10.2.5.1 RCTL).
 */
static bool wc_rctl_bsize(u32 size, u32 *bits)
{
	switch (size) {
	case 256:
		*bits = E1000_RCTL_SZ_256;
		return true;
	case 512:
		*bits = E1000_RCTL_SZ_512;
		return true;
	case 1024:
		*bits = E1000_RCTL_SZ_1024;
		return true;
	case 2048:
		*bits = E1000_RCTL_SZ_2048;
		return true;
	case 4096:
		*bits = E1000_RCTL_BSEX | E1000_RCTL_SZ_4096;
		return true;
	case 8192:
		*bits = E1000_RCTL_BSEX | E1000_RCTL_SZ_8192;
		return true;
	case 16384:
		*bits = E1000_RCTL_BSEX | E1000_RCTL_SZ_16384;
		return true;
	}
	return false;
}

/* The buffer sizes of wc_rctl_bsize() that are cell sizes (to PAGE_SIZE). */
static u32 wc_cell_sizes(void)
{
	u32 size, bits, sizes = 0;

	for (size = 256; size <= PAGE_SIZE && size <= 16384; size <<= 1)
		if (wc_rctl_bsize(size, &bits))
			sizes |= size;		/* bit n: 2^n bytes */
	return sizes;
}

/*
 * Queue 0 captured: the stack has no receive ring, so the port's buffer
 * size is that queue's cell size, in extended descriptors (the stock
 * driver may have chosen packet split for a jumbo MTU). Written while no
 * ring has a descriptor for the NIC: e1000_configure_rx() left queue 0
 * empty and queue 1 is off. Otherwise RCTL stays the stock's.
 */
static void wc_program_rctl(struct e1000e_wirecap *wc)
{
	struct e1000_hw *hw = &wc->adapter->hw;
	u32 rctl, bits;

	if (!wc->rings[0].attached ||
	    WARN_ON_ONCE(!wc_rctl_bsize(wc->rings[0].cell_size, &bits)))
		return;
	rctl = er32(RCTL);
	rctl &= ~(WC_RCTL_BSIZE_MASK | E1000_RCTL_DTYP_PS);
	ew32(RCTL, rctl | bits);
}

/* --- the descriptor ring, for the segment engine ----------------------- */

static void wc_arm(struct wirecap_ring *r, u32 idx, dma_addr_t dma)
{
	struct wc_ring *wr = r->priv;
	union e1000_rx_desc_extended *d = &wr->desc[idx];

	d->read.buffer_addr = cpu_to_le64(dma);
	d->read.reserved = 0;		/* wb.upper: clears DD */
}

static bool wc_done(struct wirecap_ring *r, u32 idx, struct wirecap_ring_wb *wb)
{
	struct wc_ring *wr = r->priv;
	union e1000_rx_desc_extended *d = &wr->desc[idx];
	struct net_device *netdev = wr->wc->adapter->netdev;
	u32 staterr = le32_to_cpu(READ_ONCE(d->wb.upper.status_error));

	if (!(staterr & E1000_RXD_STAT_DD))
		return false;
	dma_rmb();			/* the rest after DD */
	wb->len = le16_to_cpu(d->wb.upper.length);
	wb->flags = 0;
	wb->hash = 0;
	if (staterr & E1000_RXD_STAT_EOP)
		wb->flags |= WIRECAP_RING_WB_EOP;
	if ((staterr & E1000_RXDEXT_ERR_FRAME_ERR_MASK) &&
	    !(netdev->features & NETIF_F_RXALL))
		wb->flags |= WIRECAP_RING_WB_ERR;
	if (le32_to_cpu(d->wb.lower.mrq) & WC_MRQ_RSS_TYPE) {
		wb->hash = le32_to_cpu(d->wb.lower.hi_dword.rss);
		wb->flags |= WIRECAP_RING_WB_HASH;
	}
	/*
	 * wb->ts_ns stays 0, the engine stamps the frame as it harvests it:
	 * the 82574 timestamps one frame at a time (latched in RXSTMPL/H
	 * until read, on its own SYSTIM clock), not every frame.
	 */
	return true;
}

static void wc_tail(struct wirecap_ring *r, u32 tail)
{
	struct wc_ring *wr = r->priv;

	lockdep_assert_held(&wr->lock);
	if (!wr->running)	/* written when the NIC is configured again */
		return;
	wmb();			/* descriptors before the tail */
	writel(tail, wr->wc->adapter->hw.hw_addr + E1000_RDT(wr->idx));
}

static const struct wirecap_ring_ops wc_ring_ops = {
	.arm = wc_arm,
	.done = wc_done,
	.tail = wc_tail,
};

/* --- RSS and ring 1 registers --------------------------------------------- */

/* Our key and table while a queue is captured; the stock ones otherwise. */
static void wc_program_rss(struct e1000e_wirecap *wc, bool on, bool spread)
{
	struct e1000_adapter *adapter = wc->adapter;
	struct e1000_hw *hw = &adapter->hw;
	u32 i, rxcsum;

	if (on) {
		/* key bytes in register order: RSSRK(0) = key[0..3] */
		for (i = 0; i < WIRECAP_RSS_KEY_LEN / 4; i++) {
			const u8 *k = &wirecap_rss_default_key[4 * i];

			ew32(RSSRK(i), k[0] | k[1] << 8 | k[2] << 16 |
				       (u32)k[3] << 24);
		}
		for (i = 0; i < WC_RETA_REGS; i++)
			ew32(RETA(i), spread ? WC_RETA_SPREAD : 0);
		ew32(RXCSUM, er32(RXCSUM) | E1000_RXCSUM_PCSD);
		ew32(MRQC, WC_MRQC_FIELDS | WC_MRQC_RSS_ENABLE);
		wc->rss_set = true;
	} else if (wc->rss_set) {
		/*
		 * e1000e_setup_rss_hash() rewrote the stock settings if
		 * NETIF_F_RXHASH is on. Otherwise they are off, and a reset
		 * may not have cleared ours (QEMU's model keeps them).
		 */
		if (!(adapter->netdev->features & NETIF_F_RXHASH)) {
			rxcsum = er32(RXCSUM) & ~E1000_RXCSUM_PCSD;
			ew32(RXCSUM, rxcsum);
			ew32(MRQC, 0);
			for (i = 0; i < WC_RETA_REGS; i++)
				ew32(RETA(i), 0);
		}
		wc->rss_set = false;
	}
}

/* Queue 1 off: no ring, so no DMA, whatever RSS says. */
static void wc_ring1_off(struct e1000e_wirecap *wc)
{
	struct e1000_hw *hw = &wc->adapter->hw;

	if (wc->nr_rings < 2)
		return;
	ew32(RDLEN(1), 0);
	ew32(RDH(1), 0);
	ew32(RDT(1), 0);
	ew32(RDBAL(1), 0);
	ew32(RDBAH(1), 0);
}

/* ring 0 captured: the stock receive path has nothing to do */
static bool wc_clean_rx0(struct e1000_ring *ring, int *work_done,
			 int work_to_do)
{
	return false;
}

static void wc_alloc_rx0(struct e1000_ring *ring, int cleaned_count, gfp_t gfp)
{
}

/* --- hooks --------------------------------------------------------------- */

/**
 * e1000e_wirecap_configure() - program captured queues at NIC (re)start
 * @adapter: the NIC, being brought up (RTNL held or probe/resume)
 *
 * Called from e1000_configure() after the stock RX setup. Points each
 * captured queue's registers at our ring, the head where the NIC stopped,
 * gives the posted descriptors back and posts free chunks.
 *
 * Return: true if queue 0 is captured (the stock driver must not post).
 */
bool e1000e_wirecap_configure(struct e1000_adapter *adapter)
{
	struct e1000e_wirecap *wc = wc_of(adapter);
	struct e1000_hw *hw = &adapter->hw;
	bool any = false;
	u32 i;

	if (!wc)
		return false;
	wc->configured++;
	wc_program_rctl(wc);
	for (i = 0; i < wc->nr_rings; i++) {
		struct wc_ring *wr = &wc->rings[i];

		if (!wr->attached) {
			if (i)
				wc_ring1_off(wc);
			continue;
		}
		any = true;
		/*
		 * RX is on (the 82574 never turns it off): the ring must not
		 * look non-empty for a moment, so it is off (RDLEN 0) while
		 * head and tail move to where the NIC stopped, then sized.
		 */
		spin_lock_bh(&wr->lock);
		ew32(RDLEN(i), 0);
		ew32(RDBAL(i), lower_32_bits(wr->dma));
		ew32(RDBAH(i), upper_32_bits(wr->dma));
		ew32(RDH(i), wr->ring.ntc);
		ew32(RDT(i), wr->ring.ntc);
		ew32(RDLEN(i), wr->ring.n * sizeof(*wr->desc));
		wr->running = true;
		wirecap_ring_restart(&wr->ring);
		wirecap_rx_refill(wr->q);
		spin_unlock_bh(&wr->lock);
	}
	/* last: RSS sends frames to queue 1 only once it has a ring */
	wc_program_rss(wc, any, wc->nr_rings > 1 && wc->rings[1].attached);
	if (!wc->rings[0].attached)
		return false;
	adapter->clean_rx = wc_clean_rx0;
	adapter->alloc_rx_buf = wc_alloc_rx0;
	return true;
}

/**
 * e1000e_wirecap_ivar() - route queue 1's interrupt to the RX vector
 * @adapter: the NIC, in e1000_configure_msix()
 *
 * Queue 1 shares vector 0 and its NAPI context with queue 0.
 *
 * Return: the IVAR bits to OR in.
 */
u32 e1000e_wirecap_ivar(struct e1000_adapter *adapter)
{
	struct e1000e_wirecap *wc = wc_of(adapter);

	if (!wc || wc->nr_rings < 2 || !wc->rings[1].attached)
		return 0;
	adapter->rx_ring->ims_val |= E1000_IMS_RXQ1;
	adapter->eiac_mask |= E1000_IMS_RXQ1;
	return E1000_IVAR_INT_ALLOC_VALID << 4;		/* RXQ1 -> vector 0 */
}

/**
 * e1000e_wirecap_poll() - the captured queues' share of a NAPI poll
 * @adapter: the NIC
 * @work_done: descriptors done so far in this poll; updated
 * @budget: the poll's budget
 */
void e1000e_wirecap_poll(struct e1000_adapter *adapter, int *work_done,
			 int budget)
{
	struct e1000e_wirecap *wc = wc_of(adapter);
	u32 i;

	if (!wc || !budget)		/* netpoll: no RX work */
		return;
	for (i = 0; i < wc->nr_rings; i++) {
		struct wc_ring *wr = &wc->rings[i];

		if (!READ_ONCE(wr->attached))
			continue;
		spin_lock(&wr->lock);
		if (wr->running) {
			if (*work_done < budget)
				*work_done += wirecap_ring_clean(&wr->ring,
							budget - *work_done);
			if (READ_ONCE(wr->want_refill)) {
				WRITE_ONCE(wr->want_refill, false);
				wirecap_rx_refill(wr->q);
			}
		}
		spin_unlock(&wr->lock);
	}
}

/**
 * e1000e_wirecap_down() - the NIC stopped: take back what it wrote
 * @adapter: the NIC, in e1000e_down() after its reset
 *
 * Harvests every descriptor written before the reset; the rest stay
 * posted and go back to the NIC at the next configure. Queue 1's ring is
 * switched off (a reset of QEMU's model leaves it on).
 */
void e1000e_wirecap_down(struct e1000_adapter *adapter)
{
	struct e1000e_wirecap *wc = wc_of(adapter);
	struct e1000_hw *hw = &adapter->hw;
	bool any = false;
	u32 i, rctl;

	if (!wc)
		return;
	for (i = 0; i < wc->nr_rings; i++)
		any |= wc->rings[i].attached;
	if (any && !pci_channel_offline(adapter->pdev)) {
		/* e1000e_down(adapter, false) leaves the 82574 receiving */
		rctl = er32(RCTL);
		if (rctl & E1000_RCTL_EN) {
			ew32(RCTL, rctl & ~E1000_RCTL_EN);
			e1e_flush();
		}
	}
	for (i = 0; i < wc->nr_rings; i++) {
		struct wc_ring *wr = &wc->rings[i];

		spin_lock_bh(&wr->lock);
		if (wr->running) {
			wr->running = false;
			wirecap_ring_clean(&wr->ring, wr->ring.n);
		}
		spin_unlock_bh(&wr->lock);
	}
	if (!pci_channel_offline(adapter->pdev))
		wc_ring1_off(wc);
}

/**
 * e1000e_wirecap_stats() - give the NIC's missed packets to a queue
 * @adapter: the NIC, in e1000e_update_stats() (stats64_lock held)
 *
 * MPC is port-wide: an increase goes to a captured queue that ran out of
 * descriptors (its segments wait for chunks), else to queue 0 if it is
 * captured (then the stack has no queue to lose them), else nowhere (the
 * stack's queue lost them: rx_missed_errors says so).
 */
void e1000e_wirecap_stats(struct e1000_adapter *adapter)
{
	struct e1000e_wirecap *wc = wc_of(adapter);
	struct wc_ring *to = NULL;
	u64 delta;
	u32 i;

	if (!wc)
		return;
	lockdep_assert_held(&adapter->stats64_lock);
	delta = adapter->stats.mpc - wc->mpc_seen;
	wc->mpc_seen = adapter->stats.mpc;
	delta += atomic64_xchg(&wc->mpc_inject, 0);
	if (!delta)
		return;
	for (i = 0; i < wc->nr_rings && !to; i++)
		if (READ_ONCE(wc->rings[i].attached) &&
		    wirecap_ring_starved(&wc->rings[i].ring))
			to = &wc->rings[i];
	if (!to && READ_ONCE(wc->rings[0].attached))
		to = &wc->rings[0];
	if (!to)
		return;
	local_bh_disable();
	wirecap_rx_dropped(to->q, delta, false);
	local_bh_enable();
}

/**
 * e1000e_wirecap_mtu_busy() - may the MTU change now?
 * @adapter: the NIC
 * @new_mtu: the MTU asked for
 *
 * The core sized each pool's longest frame (and the chunks' spill areas)
 * from the MTU at ATTACH: while a queue is captured the MTU may change
 * only as far as its frames still fit that (wirecap_queue_max_frame()).
 * Queue 1's port also stays at an MTU of at most ETH_DATA_LEN
 * (wc_check_cell_size()).
 *
 * Return: true to refuse (-EBUSY).
 */
bool e1000e_wirecap_mtu_busy(struct e1000_adapter *adapter, int new_mtu)
{
	struct e1000e_wirecap *wc = wc_of(adapter);
	struct net_device *netdev = adapter->netdev;
	u32 i, max;

	if (!wc || new_mtu <= netdev->mtu)
		return false;
	for (i = 0; i < wc->nr_rings; i++) {
		if (!wc->rings[i].attached || !wc->rings[i].q)
			continue;
		/* the longest frame the queue's pool was sized for */
		max = wirecap_queue_max_frame(wc->rings[i].q);
		if ((u64)new_mtu + ETH_HLEN + 2 * VLAN_HLEN <= max &&
		    (i == 0 || new_mtu <= ETH_DATA_LEN))
			continue;
		netdev_warn(netdev,
			    "WireCAP: queue %u is captured: its pool takes frames of %u bytes at most%s\n",
			    i, max, i ? ", and MTU 1500 (queue 1)" : "");
		return true;
	}
	return false;
}

/**
 * e1000e_wirecap_fix_features() - keep frames as they were on the wire
 * @adapter: the NIC (RTNL held)
 * @features: the features e1000_fix_features() settled on
 *
 * VLAN tag stripping (CTRL.VME, which on this NIC also does TX insertion:
 * the two go together) would take the tag out of captured frames. While a
 * queue is captured both are off; ethtool -k shows them "off [requested
 * on]", and the stack tags and untags in software meanwhile.
 *
 * Return: @features, less what capture cannot have.
 */
netdev_features_t e1000e_wirecap_fix_features(struct e1000_adapter *adapter,
					      netdev_features_t features)
{
	struct e1000e_wirecap *wc = wc_of(adapter);
	u32 i;

	ASSERT_RTNL();
	if (!wc)
		return features;
	for (i = 0; i < wc->nr_rings; i++)
		if (wc->rings[i].attached)
			return features & ~(NETIF_F_HW_VLAN_CTAG_RX |
					    NETIF_F_HW_VLAN_CTAG_TX);
	return features;
}

/* --- the WireCAP queue operations ----------------------------------------- */

/*
 * Down, (un)mark, up: the stock driver's own reinit, with the change made
 * while the NIC is stopped. Detaching forgets the ring once the NIC can no
 * longer write it.
 */
static void wc_reinit(struct wc_ring *wr, bool attach)
{
	struct e1000_adapter *adapter = wr->wc->adapter;
	bool running;

	ASSERT_RTNL();
	while (test_and_set_bit(__E1000_RESETTING, &adapter->state))
		usleep_range(1000, 2000);
	running = netif_running(adapter->netdev);
	if (running)
		e1000e_down(adapter, true);
	spin_lock_bh(&wr->lock);
	WRITE_ONCE(wr->attached, attach);
	if (!attach)
		wirecap_ring_forget(&wr->ring);
	wr->want_refill = false;
	spin_unlock_bh(&wr->lock);
	if (running)
		e1000e_up(adapter);
	clear_bit(__E1000_RESETTING, &adapter->state);
}

/*
 * May @wr take cells of @cell_size? One buffer size for the port, the
 * stock one wherever the stack may own queue 0 (see the top of the file).
 */
static int wc_check_cell_size(struct wc_ring *wr, u32 cell_size)
{
	struct e1000e_wirecap *wc = wr->wc;
	struct net_device *netdev = wc->adapter->netdev;
	struct wc_ring *other = &wc->rings[!wr->idx];
	u32 bits;

	if (!wc_rctl_bsize(cell_size, &bits) || cell_size > PAGE_SIZE)
		return -EINVAL;
	if (wr->idx == 0) {
		if (wc->nr_rings > 1 && other->attached &&
		    other->cell_size != cell_size) {
			netdev_warn(netdev,
				    "WireCAP: queue 1 has %u-byte cells: queue 0 must have them too (one RCTL.BSIZE)\n",
				    other->cell_size);
			return -EBUSY;
		}
		return 0;
	}
	if (cell_size != WC_STOCK_CELL_SIZE) {
		netdev_warn(netdev,
			    "WireCAP: queue 1: %u-byte cells only (RCTL.BSIZE is the port's, and the stack may own queue 0)\n",
			    WC_STOCK_CELL_SIZE);
		return -EINVAL;
	}
	if (netdev->mtu > ETH_DATA_LEN) {
		netdev_warn(netdev,
			    "WireCAP: MTU %u: the stack's queue 0 would take packet-split descriptors, queue 1 needs an MTU of at most %u\n",
			    netdev->mtu, ETH_DATA_LEN);
		return -EMSGSIZE;
	}
	if (other->attached && other->cell_size != cell_size) {
		netdev_warn(netdev,
			    "WireCAP: queue 0 has %u-byte cells: queue 1 must have them too (one RCTL.BSIZE)\n",
			    other->cell_size);
		return -EBUSY;
	}
	return 0;
}

static int wc_queue_start(struct wirecap_queue *q)
{
	struct wc_ring *wr = wc_ring_of(q);
	struct e1000_adapter *adapter = wr->wc->adapter;
	size_t size = wr->wc->ring_size * sizeof(*wr->desc);
	u32 configured, cell_size;
	int err;

	ASSERT_RTNL();
	wr->q = q;	/* the queue may be attached before attach() set it */
	if (!netif_device_present(adapter->netdev))
		return -ENODEV;		/* suspended, or in PCI error recovery */
	cell_size = wirecap_queue_cell_size(q);
	err = wc_check_cell_size(wr, cell_size);
	if (err)
		return err;
	wr->cell_size = cell_size;	/* before attached: the configure hook */
	wr->desc = dma_alloc_coherent(&adapter->pdev->dev, size, &wr->dma,
				      GFP_KERNEL);
	if (!wr->desc)
		return -ENOMEM;
	err = wirecap_ring_init(&wr->ring, &wc_ring_ops, q, wr,
				wr->wc->ring_size);
	if (err) {
		dma_free_coherent(&adapter->pdev->dev, size, wr->desc, wr->dma);
		wr->desc = NULL;
		return err;
	}
	/* awake while captured: a runtime suspend would stop the capture */
	pm_runtime_get_sync(&adapter->pdev->dev);
	/* attached first, so that the features drop VLAN stripping */
	spin_lock_bh(&wr->lock);
	WRITE_ONCE(wr->attached, true);
	spin_unlock_bh(&wr->lock);
	configured = wr->wc->configured;
	netdev_update_features(adapter->netdev);
	/* one port reset (and link renegotiation) is enough */
	if (wr->wc->configured == configured)
		wc_reinit(wr, true);
	return 0;
}

static int wc_queue_stop(struct wirecap_queue *q)
{
	struct wc_ring *wr = wc_ring_of(q);
	struct e1000_adapter *adapter = wr->wc->adapter;

	ASSERT_RTNL();
	if (!netif_device_present(adapter->netdev)) {
		/*
		 * Suspended or in PCI error recovery: e1000e_down() ran, but
		 * the NIC may come back before a configure points it
		 * elsewhere. Keep the ring's memory; the core keeps the pool.
		 */
		netdev_warn(adapter->netdev,
			    "WireCAP: queue %u detached while the NIC is absent: its memory is kept\n",
			    wr->idx);
		return -EIO;
	}
	wc_reinit(wr, false);
	netdev_update_features(adapter->netdev);	/* VLAN stripping back */
	pm_runtime_put(&adapter->pdev->dev);
	wirecap_ring_free(&wr->ring);
	dma_free_coherent(&adapter->pdev->dev,
			  wr->wc->ring_size * sizeof(*wr->desc), wr->desc,
			  wr->dma);
	wr->desc = NULL;
	return 0;
}

/*
 * Any context. Not napi_schedule(): a poll must never run while
 * e1000e_down() cleans the rings. An RX interrupt cause does the same
 * while the NIC is up, and nothing while its interrupts are off (the next
 * e1000e_up() refills anyway).
 */
static void wc_refill_kick(struct wirecap_queue *q)
{
	struct wc_ring *wr = wc_ring_of(q);
	struct e1000_adapter *adapter = wr->wc->adapter;
	struct e1000_hw *hw = &adapter->hw;

	WRITE_ONCE(wr->want_refill, true);
	if (test_bit(__E1000_DOWN, &adapter->state))
		return;
	if (adapter->msix_entries)
		ew32(ICS, adapter->rx_ring->ims_val);
	else
		ew32(ICS, E1000_ICS_RXDMT0);
}

static void wc_post_cells(struct wirecap_queue *q, u32 segment,
			  const struct wirecap_cell *cells, unsigned int n)
{
	struct wc_ring *wr = wc_ring_of(q);

	lockdep_assert_held(&wr->lock);
	wirecap_ring_post(&wr->ring, segment, cells, n);
}

/* Bring MPC up to date: e1000e_get_stats64() reads it. */
static void wc_sync_stats(struct wirecap_queue *q)
{
	struct wc_ring *wr = wc_ring_of(q);
	struct rtnl_link_stats64 st;

	dev_get_stats(wr->wc->adapter->netdev, &st);
}

static const struct wirecap_nic_ops wc_nic_ops = {
	.queue_start = wc_queue_start,
	.queue_stop = wc_queue_stop,
	.refill_kick = wc_refill_kick,
	.post_cells = wc_post_cells,
	.sync_stats = wc_sync_stats,
};

/* --- probe and remove ----------------------------------------------------- */

static int wc_inject_mpc_set(void *data, u64 val)
{
	struct e1000e_wirecap *wc = data;

	atomic64_add(val, &wc->mpc_inject);
	return 0;
}
DEFINE_DEBUGFS_ATTRIBUTE(wc_inject_mpc_fops, NULL, wc_inject_mpc_set, "%llu\n");

static void wc_debugfs_add(struct e1000e_wirecap *wc)
{
	mutex_lock(&wc_debugfs_lock);
	if (!wc_debugfs_users++)
		wc_debugfs_root = debugfs_create_dir("wirecap_e1000e", NULL);
	wc->debugfs = debugfs_create_dir(pci_name(wc->adapter->pdev),
					 wc_debugfs_root);
	mutex_unlock(&wc_debugfs_lock);
	debugfs_create_file_unsafe("inject_mpc", 0200, wc->debugfs, wc,
				   &wc_inject_mpc_fops);
}

static void wc_debugfs_remove(struct e1000e_wirecap *wc)
{
	mutex_lock(&wc_debugfs_lock);
	debugfs_remove_recursive(wc->debugfs);
	if (!--wc_debugfs_users) {
		debugfs_remove_recursive(wc_debugfs_root);
		wc_debugfs_root = NULL;
	}
	mutex_unlock(&wc_debugfs_lock);
}

/**
 * e1000e_wirecap_attach() - offer the NIC's RX queues to WireCAP
 * @adapter: the NIC, registered with the stack (from e1000_probe)
 *
 * Only the 82574 (two queues, RSS) is offered; on failure the NIC works
 * as the stock driver, without WireCAP.
 */
void e1000e_wirecap_attach(struct e1000_adapter *adapter)
{
	struct wirecap_nic_config cfg = {};
	struct e1000e_wirecap *wc;
	struct wirecap_nic *nic;
	u32 i;

	if (adapter->hw.mac.type != e1000_82574) {
		dev_info(&adapter->pdev->dev,
			 "WireCAP: not an 82574, no capture queues\n");
		return;
	}
	wc = kzalloc(sizeof(*wc), GFP_KERNEL);
	if (!wc)
		return;
	wc->adapter = adapter;
	wc->nr_rings = WC_RINGS;
	wc->ring_size = wirecap_ring_size;
	if (!is_power_of_2(wc->ring_size) || wc->ring_size < 64 ||
	    wc->ring_size > 4096) {
		dev_warn(&adapter->pdev->dev,
			 "WireCAP: wirecap_ring_size=%u is not a power of two in 64-4096, using 256\n",
			 wc->ring_size);
		wc->ring_size = 256;
	}
	atomic64_set(&wc->mpc_inject, 0);
	for (i = 0; i < WC_RINGS; i++) {
		wc->rings[i].wc = wc;
		wc->rings[i].idx = i;
		spin_lock_init(&wc->rings[i].lock);
	}
	/* before the queues exist: the hooks see no queue attached */
	WRITE_ONCE(adapter->wirecap, wc);

	cfg.ops = &wc_nic_ops;
	cfg.netdev = adapter->netdev;
	cfg.dma_dev = &adapter->pdev->dev;
	cfg.priv = wc;
	cfg.nr_rings = wc->nr_rings;
	cfg.ring_size = wc->ring_size;
	cfg.max_cells_per_chunk = wc->ring_size / 2;	/* wirecap_ring.h */
	cfg.frame_offset = 0;
	cfg.cell_sizes = wc_cell_sizes();
	cfg.features = WIRECAP_F_RSS_HASH | WIRECAP_F_MULTI_CELL;
	cfg.numa_node = dev_to_node(&adapter->pdev->dev);
	nic = wirecap_nic_register(&cfg);
	if (IS_ERR(nic)) {
		dev_warn(&adapter->pdev->dev,
			 "WireCAP: cannot register the queues: %pe\n", nic);
		rtnl_lock();		/* hooks under RTNL are done */
		WRITE_ONCE(adapter->wirecap, NULL);
		rtnl_unlock();
		synchronize_rcu();	/* hooks in NAPI or stats are done */
		kfree(wc);
		return;
	}
	wc->nic = nic;
	for (i = 0; i < WC_RINGS; i++)
		wc->rings[i].q = wirecap_nic_queue(nic, i);
	wc_debugfs_add(wc);
}

/**
 * e1000e_wirecap_detach() - take the queues back from WireCAP
 * @adapter: the NIC, still registered with the stack (first thing in
 *	     e1000_remove, while its timers and works still run)
 *
 * Completes parked captures with -ENODEV and detaches every pool (a
 * down/up of the NIC each); then the stock driver has the NIC alone.
 */
void e1000e_wirecap_detach(struct e1000_adapter *adapter)
{
	struct e1000e_wirecap *wc = wc_of(adapter);

	if (!wc)
		return;
	wc_debugfs_remove(wc);
	wirecap_nic_unregister(wc->nic);
	rtnl_lock();			/* hooks under RTNL are done */
	WRITE_ONCE(adapter->wirecap, NULL);
	rtnl_unlock();
	synchronize_rcu();		/* hooks in NAPI or stats are done */
	kfree(wc);
}
