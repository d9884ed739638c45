/* SPDX-License-Identifier: GPL-2.0 */
/*
 * WireCAP in ixgbe: the hooks the upstream driver calls. They are added to
 * Debian's ixgbe sources at build time by patches/ixgbe.diff, which also
 * includes this header at the end of ixgbe.h (so struct ixgbe_ring is
 * complete here); the code is in ixgbe_wirecap.c, linked into the same
 * ixgbe.ko.
 *
 *   hook                               upstream site
 *   ixgbe_wirecap_attach()             ixgbe_probe, last (the netdev is
 *                                      registered, nothing fails after)
 *   ixgbe_wirecap_detach()             ixgbe_remove, once the service task
 *                                      is cancelled (before
 *                                      unregister_netdev)
 *   ixgbe_wirecap_ring()               ixgbe_clean_rx_irq, first: a
 *   ixgbe_wirecap_clean_rx_irq()       captured ring is cleaned by us
 *   ixgbe_wirecap_configure_rx_ring()  ixgbe_configure_rx_ring, queue
 *                                      disabled: SRRCTL, RQSMR, RDH/RDT
 *   ixgbe_wirecap_rx_ring_enabled()    ixgbe_configure_rx_ring, queue
 *                                      enabled: true means captured, the
 *                                      stock driver posts no buffers
 *   ixgbe_wirecap_ring()               ixgbe_disable_rx_drop, first: a
 *                                      captured ring keeps DROP_EN
 *   ixgbe_wirecap_clean_rx_ring()      ixgbe_clean_rx_ring, beside the
 *                                      AF_XDP branch: true skips the
 *                                      stock buffer freeing
 *   ixgbe_wirecap_read_qprdc()         ixgbe_update_stats, instead of its
 *                                      own QPRDC read
 *   ixgbe_wirecap_fix_features()       ixgbe_fix_features, last
 *   ixgbe_wirecap_busy()               ixgbe_set_ringparam,
 *                                      ixgbe_set_channels, ixgbe_xdp_setup,
 *                                      ixgbe_fwd_add: -EBUSY;
 *                                      ixgbe_dcbnl_set_state: 1 (failed);
 *                                      ixgbe_fcoe_enable,
 *                                      ixgbe_fcoe_disable, after their
 *                                      refcount and own checks: -EBUSY
 *   ixgbe_wirecap_mtu_busy()           ixgbe_change_mtu, first: -EBUSY
 *   ixgbe_wirecap_queue_busy()         ixgbe_xsk_pool_enable: -EBUSY
 *   ixgbe_wirecap_ets_busy()           ixgbe_dcbnl_ieee_setets, before
 *                                      it stores the setting: -EBUSY
 *                                      (too many TCs: ixgbe's -EINVAL)
 *   ixgbe_wirecap_mqprio_busy()        __ixgbe_setup_tc, mqprio: -EBUSY
 *   ixgbe_wirecap_vfs_busy()           ixgbe_pci_sriov_configure, around
 *   ixgbe_wirecap_vfs_done()           the VF change (no RTNL): -EBUSY
 *
 * Every hook that refuses sits at an entry point from user space, never
 * in ixgbe_setup_tc() itself: ixgbe also calls that internally
 * (ixgbe_sriov_reinit(), the l2 forwarding reset) and ignores the result.
 * ixgbe_fcoe.c is built only when IS_ENABLED(CONFIG_FCOE) (ixgbe.h's
 * IXGBE_FCOE); its hooks call ixgbe_wirecap_busy(), which is always built.
 */
#ifndef _IXGBE_WIRECAP_H_
#define _IXGBE_WIRECAP_H_

#include <linux/netdevice.h>
#include <linux/types.h>

struct ieee_ets;
struct ixgbe_adapter;
struct ixgbe_q_vector;
struct ixgbe_ring;
struct tc_mqprio_qopt_offload;

void ixgbe_wirecap_attach(struct ixgbe_adapter *adapter);
void ixgbe_wirecap_detach(struct ixgbe_adapter *adapter);
int ixgbe_wirecap_clean_rx_irq(struct ixgbe_q_vector *q_vector,
			       struct ixgbe_ring *rx_ring, int budget);
void ixgbe_wirecap_configure_rx_ring(struct ixgbe_adapter *adapter,
				     struct ixgbe_ring *ring);
bool ixgbe_wirecap_rx_ring_enabled(struct ixgbe_adapter *adapter,
				   struct ixgbe_ring *ring);
bool ixgbe_wirecap_clean_rx_ring(struct ixgbe_ring *rx_ring);
void ixgbe_wirecap_read_qprdc(struct ixgbe_adapter *adapter, u32 idx);
netdev_features_t ixgbe_wirecap_fix_features(struct ixgbe_adapter *adapter,
					     netdev_features_t features);
bool ixgbe_wirecap_busy(struct ixgbe_adapter *adapter, const char *what);
bool ixgbe_wirecap_mtu_busy(struct ixgbe_adapter *adapter, int new_mtu);
bool ixgbe_wirecap_queue_busy(struct ixgbe_adapter *adapter, u16 qid);
bool ixgbe_wirecap_ets_busy(struct ixgbe_adapter *adapter,
			    const struct ieee_ets *ets);
bool ixgbe_wirecap_mqprio_busy(struct ixgbe_adapter *adapter,
			       struct tc_mqprio_qopt_offload *mqprio);
bool ixgbe_wirecap_vfs_busy(struct ixgbe_adapter *adapter);
void ixgbe_wirecap_vfs_done(struct ixgbe_adapter *adapter);

/**
 * ixgbe_wirecap_ring() - is this RX ring captured now?
 * @ring: an RX ring
 *
 * A ring is bound to WireCAP from the configuration of a captured queue
 * (ixgbe_wirecap_configure_rx_ring()) until its clean
 * (ixgbe_wirecap_clean_rx_ring()), both with the ring's NAPI disabled.
 *
 * Return: true if WireCAP owns the ring's descriptors.
 */
static inline bool ixgbe_wirecap_ring(const struct ixgbe_ring *ring)
{
	return ring->wirecap;
}

#endif /* _IXGBE_WIRECAP_H_ */
