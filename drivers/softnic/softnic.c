// SPDX-License-Identifier: GPL-2.0
/*
 * wirecap_softnic.ko: software NICs for WireCAP tests, netdevsim style.
 * Devices are made and removed through debugfs (see
 * uapi/linux/wirecap_softnic.h); one is made at load (nr_queues,
 * ring_size parameters; nr_devices=0 for none).
 */
#include <linux/debugfs.h>
#include <linux/delay.h>
#include <linux/etherdevice.h>
#include <linux/module.h>
#include <linux/slab.h>
#include <linux/wirecap_softnic.h>

#include "softnic.h"

static unsigned int nr_devices = 1;
module_param(nr_devices, uint, 0444);
MODULE_PARM_DESC(nr_devices, "Software NICs made at load");
static unsigned int nr_queues = 4;
module_param(nr_queues, uint, 0444);
MODULE_PARM_DESC(nr_queues, "RX queues of the NICs made at load");
static unsigned int ring_size = 1024;
module_param(ring_size, uint, 0444);
MODULE_PARM_DESC(ring_size, "RX ring size of the NICs made at load");


static struct dentry *softnic_debugfs;
static LIST_HEAD(softnic_list);		/* under softnic_list_lock */
static DEFINE_MUTEX(softnic_list_lock);
static int softnic_next_id;		/* under softnic_list_lock */

static struct softnic_rxq *rxq_of(struct wirecap_queue *q)
{
	struct softnic *sn = wirecap_nic_priv(wirecap_queue_nic(q));

	return &sn->rxq[wirecap_queue_ring(q)];
}

/* --- the glue: wirecap.ko drives the "hardware" ring ---------------- */

/* Take a one-shot fault: its value, and 0 from now on. */
static u32 fault_take(u32 *f)
{
	return xchg(f, 0);
}

static int softnic_queue_start(struct wirecap_queue *q)
{
	struct softnic_rxq *rq = rxq_of(q);
	struct softnic_faults *f = &rq->sn->faults;
	u32 err;

	if (READ_ONCE(f->start_delay_ms))
		msleep(READ_ONCE(f->start_delay_ms));
	err = fault_take(&f->fail_start);
	if (err)
		return -(int)min_t(u32, err, MAX_ERRNO);
	spin_lock_bh(&rq->lock);
	if (rq->broken) {
		spin_unlock_bh(&rq->lock);
		return -EIO;
	}
	rq->head = 0;
	rq->tail = 0;
	rq->nr_done = 0;
	rq->pending_drops = 0;
	rq->capturing = true;
	wirecap_rx_refill(q);
	spin_unlock_bh(&rq->lock);
	return 0;
}

static int softnic_queue_stop(struct wirecap_queue *q)
{
	struct softnic_rxq *rq = rxq_of(q);
	struct softnic_faults *f = &rq->sn->faults;
	u32 err;

	if (READ_ONCE(f->stop_delay_ms))
		msleep(READ_ONCE(f->stop_delay_ms));
	err = fault_take(&f->fail_stop);
	spin_lock_bh(&rq->lock);
	softnic_rx_flush(rq);
	rq->capturing = false;
	/* a dead device keeps its posted cells: never touch them again */
	rq->broken = err;
	rq->head = 0;
	rq->tail = 0;
	spin_unlock_bh(&rq->lock);
	cancel_work_sync(&rq->refill_work);
	return err ? -(int)min_t(u32, err, MAX_ERRNO) : 0;
}

static void softnic_refill_kick(struct wirecap_queue *q)
{
	schedule_work(&rxq_of(q)->refill_work);
}

static void softnic_refill_work(struct work_struct *work)
{
	struct softnic_rxq *rq = container_of(work, struct softnic_rxq,
					      refill_work);

	spin_lock_bh(&rq->lock);
	if (rq->capturing)
		wirecap_rx_refill(rq->wq);
	spin_unlock_bh(&rq->lock);
}

/* Called inside wirecap_rx_refill(), in the queue's RX context. */
static void softnic_post_cells(struct wirecap_queue *q, u32 segment,
			       const struct wirecap_cell *cells, unsigned int n)
{
	struct softnic_rxq *rq = rxq_of(q);
	u32 mask = rq->sn->ring_size - 1;
	unsigned int i;

	lockdep_assert_held(&rq->lock);
	if (WARN_ON_ONCE(rq->tail - rq->head + n > rq->sn->ring_size))
		return;
	for (i = 0; i < n; i++)
		rq->ring[rq->tail++ & mask] = cells[i];
}

static const struct wirecap_nic_ops softnic_wirecap_ops = {
	.queue_start = softnic_queue_start,
	.queue_stop = softnic_queue_stop,
	.refill_kick = softnic_refill_kick,
	.post_cells = softnic_post_cells,
	.xmit = softnic_xmit_cells,
};

/* --- the netdev ------------------------------------------------------ */

static netdev_tx_t softnic_xmit(struct sk_buff *skb, struct net_device *dev)
{
	/* no wire behind this NIC: transmit is a later WireCAP addition */
	dev->stats.tx_dropped++;
	dev_kfree_skb_any(skb);
	return NETDEV_TX_OK;
}

static void softnic_get_stats64(struct net_device *dev,
				struct rtnl_link_stats64 *s)
{
	struct softnic *sn = *(struct softnic **)netdev_priv(dev);
	u32 i;

	for (i = 0; i < sn->nr_queues; i++) {
		struct softnic_rxq *rq = &sn->rxq[i];

		spin_lock_bh(&rq->lock);
		s->rx_packets += rq->packets;
		s->rx_bytes += rq->bytes;
		s->rx_dropped += rq->drops;
		s->rx_length_errors += rq->oversize;
		spin_unlock_bh(&rq->lock);
	}
	s->tx_dropped = dev->stats.tx_dropped;
}

static const struct net_device_ops softnic_netdev_ops = {
	.ndo_start_xmit = softnic_xmit,
	.ndo_get_stats64 = softnic_get_stats64,
	.ndo_set_mac_address = eth_mac_addr,
	.ndo_validate_addr = eth_validate_addr,
};

/* --- devices --------------------------------------------------------- */

static struct softnic *softnic_create(u32 queues, u32 ring)
{
	struct wirecap_nic_config cfg = {};
	struct net_device *netdev;
	struct softnic *sn;
	char name[IFNAMSIZ];
	u32 i;
	int ret;

	if (!queues || queues > 64 || !is_power_of_2(ring) || ring < 8 ||
	    ring > 32768)
		return ERR_PTR(-EINVAL);
	sn = kzalloc(struct_size(sn, rxq, queues), GFP_KERNEL);
	if (!sn)
		return ERR_PTR(-ENOMEM);
	sn->nr_queues = queues;
	sn->ring_size = ring;
	memcpy(sn->rss_key, wirecap_rss_default_key, sizeof(sn->rss_key));
	for (i = 0; i < SOFTNIC_RSS_TABLE_LEN; i++)
		sn->rss_table[i] = i % queues;
	if (softnic_wire_init(&sn->wire, ring)) {
		kfree(sn);
		return ERR_PTR(-ENOMEM);
	}
	for (i = 0; i < queues; i++) {
		struct softnic_rxq *rq = &sn->rxq[i];

		rq->sn = sn;
		rq->index = i;
		spin_lock_init(&rq->lock);
		INIT_WORK(&rq->refill_work, softnic_refill_work);
		rq->ring = kvcalloc(ring, sizeof(*rq->ring), GFP_KERNEL);
		if (!rq->ring) {
			ret = -ENOMEM;
			goto err_free_rings;
		}
	}

	snprintf(name, sizeof(name), "wcsim%d", softnic_next_id++);
	netdev = alloc_netdev_mqs(sizeof(sn), name, NET_NAME_USER,
				  ether_setup, 1, queues);
	if (!netdev) {
		ret = -ENOMEM;
		goto err_free_rings;
	}
	*(struct softnic **)netdev_priv(netdev) = sn;
	sn->netdev = netdev;
	netdev->netdev_ops = &softnic_netdev_ops;
	netdev->flags |= IFF_NOARP;
	netdev->max_mtu = ETH_MAX_MTU;	/* frames up to 64 KiB, in cells */
	eth_hw_addr_random(netdev);
	ret = register_netdev(netdev);
	if (ret)
		goto err_free_netdev;

	cfg.ops = &softnic_wirecap_ops;
	cfg.netdev = netdev;
	cfg.priv = sn;
	cfg.nr_rings = queues;
	cfg.ring_size = ring;
	cfg.frame_offset = 0;
	/* any cell size: frames longer than a cell span cells */
	cfg.features = WIRECAP_F_RSS_HASH | WIRECAP_F_MULTI_CELL;
	cfg.cell_sizes = (2 * PAGE_SIZE - 1) & ~(SZ_128 - 1);
	cfg.numa_node = NUMA_NO_NODE;
	sn->wc = wirecap_nic_register(&cfg);
	if (IS_ERR(sn->wc)) {
		ret = PTR_ERR(sn->wc);
		goto err_unregister_netdev;
	}
	for (i = 0; i < queues; i++)
		sn->rxq[i].wq = wirecap_nic_queue(sn->wc, i);

	sn->dir = debugfs_create_dir(name, softnic_debugfs);
	debugfs_create_file("inject", 0200, sn->dir, sn, &softnic_inject_fops);
	debugfs_create_file("wire", 0400, sn->dir, sn, &softnic_wire_fops);
	debugfs_create_u32("nr_queues", 0400, sn->dir, &sn->nr_queues);
	debugfs_create_u32("ring_size", 0400, sn->dir, &sn->ring_size);
	sn->key_blob.data = sn->rss_key;
	sn->key_blob.size = sizeof(sn->rss_key);
	debugfs_create_blob("rss_key", 0400, sn->dir, &sn->key_blob);
	sn->table_blob.data = sn->rss_table;
	sn->table_blob.size = sizeof(sn->rss_table);
	debugfs_create_blob("rss_table", 0400, sn->dir, &sn->table_blob);
	debugfs_create_u32("start_delay_ms", 0600, sn->dir,
			   &sn->faults.start_delay_ms);
	debugfs_create_u32("fail_start", 0600, sn->dir, &sn->faults.fail_start);
	debugfs_create_u32("stop_delay_ms", 0600, sn->dir,
			   &sn->faults.stop_delay_ms);
	debugfs_create_u32("fail_stop", 0600, sn->dir, &sn->faults.fail_stop);
	debugfs_create_u32("bad_len", 0600, sn->dir, &sn->faults.bad_len);
	debugfs_create_u32("no_frame_limit", 0600, sn->dir,
			   &sn->faults.no_frame_limit);
	return sn;

err_unregister_netdev:
	unregister_netdev(netdev);
err_free_netdev:
	free_netdev(netdev);
err_free_rings:
	for (i = 0; i < queues; i++)
		kvfree(sn->rxq[i].ring);
	softnic_wire_free(&sn->wire);
	kfree(sn);
	return ERR_PTR(ret);
}

static void softnic_destroy(struct softnic *sn)
{
	u32 i;

	/* waits for injections and wire reads in progress */
	debugfs_remove_recursive(sn->dir);
	/* cells on the wire go back first, unsent */
	softnic_wire_close(&sn->wire);
	/* stops capture on every queue, fails parked commands */
	wirecap_nic_unregister(sn->wc);
	unregister_netdev(sn->netdev);
	free_netdev(sn->netdev);
	for (i = 0; i < sn->nr_queues; i++) {
		cancel_work_sync(&sn->rxq[i].refill_work);
		kvfree(sn->rxq[i].ring);
	}
	softnic_wire_free(&sn->wire);
	kfree(sn);
}

static ssize_t new_device_write(struct file *file, const char __user *ubuf,
				size_t len, loff_t *ppos)
{
	struct softnic *sn;
	char buf[32];
	u32 queues, ring;

	if (len >= sizeof(buf))
		return -EINVAL;
	if (copy_from_user(buf, ubuf, len))
		return -EFAULT;
	buf[len] = '\0';
	if (sscanf(buf, "%u %u", &queues, &ring) != 2)
		return -EINVAL;
	mutex_lock(&softnic_list_lock);
	sn = softnic_create(queues, ring);
	if (!IS_ERR(sn))
		list_add_tail(&sn->node, &softnic_list);
	mutex_unlock(&softnic_list_lock);
	return IS_ERR(sn) ? PTR_ERR(sn) : len;
}

static ssize_t del_device_write(struct file *file, const char __user *ubuf,
				size_t len, loff_t *ppos)
{
	struct softnic *sn, *found = NULL;
	char buf[IFNAMSIZ];

	if (len >= sizeof(buf))
		return -EINVAL;
	if (copy_from_user(buf, ubuf, len))
		return -EFAULT;
	buf[len] = '\0';
	strim(buf);
	mutex_lock(&softnic_list_lock);
	list_for_each_entry(sn, &softnic_list, node) {
		if (!strcmp(netdev_name(sn->netdev), buf)) {
			found = sn;
			list_del(&sn->node);
			break;
		}
	}
	mutex_unlock(&softnic_list_lock);
	if (!found)
		return -ENODEV;
	softnic_destroy(found);
	return len;
}

static const struct file_operations new_device_fops = {
	.owner = THIS_MODULE,
	.open = simple_open,
	.write = new_device_write,
	.llseek = noop_llseek,
};

static const struct file_operations del_device_fops = {
	.owner = THIS_MODULE,
	.open = simple_open,
	.write = del_device_write,
	.llseek = noop_llseek,
};

static int __init softnic_init(void)
{
	unsigned int i;

	softnic_debugfs = debugfs_create_dir("wirecap_softnic", NULL);
	debugfs_create_file("new_device", 0200, softnic_debugfs, NULL,
			    &new_device_fops);
	debugfs_create_file("del_device", 0200, softnic_debugfs, NULL,
			    &del_device_fops);

	mutex_lock(&softnic_list_lock);
	for (i = 0; i < nr_devices; i++) {
		struct softnic *sn = softnic_create(nr_queues, ring_size);

		if (IS_ERR(sn)) {
			mutex_unlock(&softnic_list_lock);
			pr_err("wirecap_softnic: cannot create a device: %ld\n",
			       PTR_ERR(sn));
			goto err_destroy;
		}
		list_add_tail(&sn->node, &softnic_list);
	}
	mutex_unlock(&softnic_list_lock);
	return 0;

err_destroy:
	while (!list_empty(&softnic_list)) {
		struct softnic *sn = list_first_entry(&softnic_list,
						      struct softnic, node);

		list_del(&sn->node);
		softnic_destroy(sn);
	}
	debugfs_remove_recursive(softnic_debugfs);
	return -EINVAL;
}

static void __exit softnic_exit(void)
{
	/* open debugfs files pin the module: nobody makes devices now */
	mutex_lock(&softnic_list_lock);
	while (!list_empty(&softnic_list)) {
		struct softnic *sn = list_first_entry(&softnic_list,
						      struct softnic, node);

		list_del(&sn->node);
		softnic_destroy(sn);
	}
	mutex_unlock(&softnic_list_lock);
	debugfs_remove_recursive(softnic_debugfs);
}

module_init(softnic_init);
module_exit(softnic_exit);
MODULE_DESCRIPTION("WireCAP software NIC for tests");
MODULE_LICENSE("GPL");
