/* SPDX-License-Identifier: GPL-2.0 */
/*
 * WireCAP in e1000e: the hooks the upstream driver calls. They are added
 * to Debian's e1000e sources at build time by patches/e1000e.diff; the
 * code is in e1000e_wirecap.c, linked into the same e1000e.ko.
 *
 *   hook                          upstream site
 *   e1000e_wirecap_attach()       e1000_probe, after register_netdev
 *   e1000e_wirecap_detach()       e1000_remove, first
 *   e1000e_wirecap_configure()    e1000_configure, after e1000_configure_rx:
 *                                 true means ring 0 is captured, so the
 *                                 stock driver posts no buffers of its own
 *   e1000e_wirecap_ivar()         e1000_configure_msix, ORed into IVAR
 *   e1000e_wirecap_poll()         e1000e_poll, after the stock clean_rx
 *   e1000e_wirecap_down()         e1000e_down, before e1000_clean_rx_ring
 *                                 (the NIC was reset: no more DMA)
 *   e1000e_wirecap_stats()        e1000e_update_stats, after MPC is read
 *   e1000e_wirecap_mtu_busy()     e1000_change_mtu, first: -EBUSY
 *   e1000e_wirecap_fix_features() e1000_fix_features, last: no VLAN
 *                                 stripping while a queue is captured
 */
#ifndef _E1000E_WIRECAP_H
#define _E1000E_WIRECAP_H

#include <linux/netdev_features.h>
#include <linux/types.h>

struct e1000_adapter;

void e1000e_wirecap_attach(struct e1000_adapter *adapter);
void e1000e_wirecap_detach(struct e1000_adapter *adapter);
bool e1000e_wirecap_configure(struct e1000_adapter *adapter);
u32 e1000e_wirecap_ivar(struct e1000_adapter *adapter);
void e1000e_wirecap_poll(struct e1000_adapter *adapter, int *work_done,
			 int budget);
void e1000e_wirecap_down(struct e1000_adapter *adapter);
void e1000e_wirecap_stats(struct e1000_adapter *adapter);
bool e1000e_wirecap_mtu_busy(struct e1000_adapter *adapter, int new_mtu);
netdev_features_t e1000e_wirecap_fix_features(struct e1000_adapter *adapter,
					      netdev_features_t features);

#endif /* _E1000E_WIRECAP_H */
