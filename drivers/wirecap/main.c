// SPDX-License-Identifier: GPL-2.0
/*
 * wirecap.ko: module parameters, the wirecap class and character device
 * region, and NIC registration (one queue device per receive queue).
 */
#include <linux/debugfs.h>
#include <linux/idr.h>
#include <linux/module.h>
#include <linux/netdevice.h>
#include <linux/slab.h>

#include "wirecap.h"

#define WIRECAP_MINORS	4096

unsigned int wirecap_max_timeout_ms = 1000;
module_param_named(max_timeout_ms, wirecap_max_timeout_ms, uint, 0644);
MODULE_PARM_DESC(max_timeout_ms,
		 "Cap on CAPTURE timeouts; bounds teardown before 6.7 (ms)");

unsigned int wirecap_max_pool_mb = 1024;
module_param_named(max_pool_mb, wirecap_max_pool_mb, uint, 0644);
MODULE_PARM_DESC(max_pool_mb, "Largest ring buffer pool per queue (MiB)");

/* pages held by all pools: lets tests prove that teardown leaks nothing */
atomic_t wirecap_pool_pages = ATOMIC_INIT(0);
static struct dentry *wirecap_debugfs;

const u8 wirecap_rss_default_key[WIRECAP_RSS_KEY_LEN] = {
	0x6d, 0x5a, 0x56, 0xda, 0x25, 0x5b, 0x0e, 0xc2,
	0x41, 0x67, 0x25, 0x3d, 0x43, 0xa3, 0x8f, 0xb0,
	0xd0, 0xca, 0x2b, 0xcb, 0xae, 0x7b, 0x30, 0xb4,
	0x77, 0xcb, 0x2d, 0xa3, 0x80, 0x30, 0xf2, 0x0c,
	0x6a, 0x42, 0xb7, 0x3b, 0xbe, 0xac, 0x01, 0xfa,
};
EXPORT_SYMBOL_GPL(wirecap_rss_default_key);

static dev_t wirecap_devt;
static DEFINE_IDA(wirecap_minor_ida);
static DEFINE_IDA(wirecap_nic_ida);

/* See LOCKING in wirecap.h. */
static DEFINE_MUTEX(wirecap_nics_lock);
static LIST_HEAD(wirecap_nics);

static char *wirecap_devnode(WC_DEVNODE_CONST struct device *dev,
			     umode_t *mode)
{
	if (mode)
		*mode = 0600;
	return kasprintf(GFP_KERNEL, "wirecap/%s", dev_name(dev));
}

static struct class wirecap_class = {
	.name = "wirecap",
	.devnode = wirecap_devnode,
};

/*
 * The queue itself: never in sysfs, it only counts references (the NIC's,
 * every open file's through the cdev, every node's) and frees the queue
 * with the last. No command is parked by then (each pins a file), but the
 * timer is cancelled anyway before the memory goes.
 */
static void queue_dev_release(struct device *dev)
{
	struct wirecap_queue *q = container_of(dev, struct wirecap_queue, dev);

	hrtimer_cancel(&q->timer);
	ida_free(&wirecap_minor_ida, MINOR(q->devt));
	mutex_destroy(&q->ctl_lock);
	kfree(q);
}

static void node_release(struct device *node)
{
	struct wirecap_queue *q = dev_get_drvdata(node);

	put_device(&q->dev);
	kfree(node);
}

static bool node_name_taken(const char *name)
{
	struct device *dev = class_find_device_by_name(&wirecap_class, name);

	put_device(dev);
	return dev;
}

/*
 * The queue's face: /sys/class/wirecap/<ifname>-q<N> with its counters,
 * and /dev/wirecap/<ifname>-q<N>. Device nodes cannot be renamed, so a
 * rename of the NIC makes a new one (and removes the old). Interface names
 * are unique within a network namespace only, device names everywhere:
 * when the name is taken the node is wirecap<nic id>-q<N> (its ifname
 * attribute tells the NIC's name); a NIC never fails to register for it.
 */
static struct device *node_create(struct wirecap_queue *q, const char *ifname)
{
	char name[IFNAMSIZ + 16];
	struct device *node;
	int ret;

	lockdep_assert_held(&wirecap_nics_lock);
	snprintf(name, sizeof(name), "%s-q%u", ifname, q->ring_id);
	if (node_name_taken(name)) {
		snprintf(name, sizeof(name), "wirecap%u-q%u", q->nic_id,
			 q->ring_id);
		if (node_name_taken(name))
			return ERR_PTR(-EEXIST);
		pr_info("wirecap: %s-q%u is taken: the queue is %s\n",
			ifname, q->ring_id, name);
	}
	node = kzalloc(sizeof(*node), GFP_KERNEL);
	if (!node)
		return ERR_PTR(-ENOMEM);
	device_initialize(node);
	node->class = &wirecap_class;
	node->devt = q->devt;
	node->groups = wirecap_queue_groups;
	node->release = node_release;
	dev_set_drvdata(node, q);
	get_device(&q->dev);		/* put by node_release */
	ret = dev_set_name(node, "%s", name);
	if (!ret)
		ret = device_add(node);
	if (ret) {
		put_device(node);
		return ERR_PTR(ret);
	}
	return node;
}

static struct wirecap_queue *queue_create(struct wirecap_nic *nic, u32 ring,
					  const char *ifname)
{
	struct wirecap_queue *q;
	int minor, ret;

	lockdep_assert_held(&wirecap_nics_lock);
	q = kzalloc_node(sizeof(*q), GFP_KERNEL, nic->cfg.numa_node);
	if (!q)
		return ERR_PTR(-ENOMEM);
	minor = ida_alloc_max(&wirecap_minor_ida, WIRECAP_MINORS - 1,
			      GFP_KERNEL);
	if (minor < 0) {
		kfree(q);
		return ERR_PTR(minor);
	}

	q->nic = nic;
	q->nic_id = nic->id;
	q->ring_id = ring;
	q->devt = MKDEV(MAJOR(wirecap_devt), minor);
	q->nr_rings = nic->cfg.nr_rings;
	q->ring_size = nic->cfg.ring_size;
	q->max_m = nic->cfg.max_cells_per_chunk ?: nic->cfg.ring_size;
	q->frame_offset = nic->cfg.frame_offset;
	q->cell_sizes = nic->cfg.cell_sizes ?: WIRECAP_CELL_SIZE;
	q->cell_size = WIRECAP_CELL_SIZE;
	q->max_frame = WIRECAP_CELL_SIZE - q->frame_offset;
	q->rx.head = U32_MAX;
	q->numa_node = nic->cfg.numa_node;
	q->features = WIRECAP_F_PARTIAL_VIEWS | WIRECAP_F_XMIT_WAIT |
		nic->cfg.features | (WC_CAN_CANCEL ? WIRECAP_F_URING_CANCEL : 0) |
		(nic->cfg.ops->xmit ? WIRECAP_F_XMIT : 0);
	strscpy(q->ifname, ifname, sizeof(q->ifname));
	mutex_init(&q->ctl_lock);
	spin_lock_init(&q->lock);
	wirecap_capture_init(q);

	device_initialize(&q->dev);
	q->dev.release = queue_dev_release;
	ret = dev_set_name(&q->dev, "wirecap%u.%u", nic->id, ring);
	if (ret)
		goto err_put;
	cdev_init(&q->cdev, &wirecap_fops);
	q->cdev.owner = THIS_MODULE;
	/* an open file holds the cdev, the cdev its parent: the queue */
	cdev_set_parent(&q->cdev, &q->dev.kobj);
	ret = cdev_add(&q->cdev, q->devt, 1);
	if (ret)
		goto err_put;
	q->node = node_create(q, ifname);
	if (IS_ERR(q->node)) {
		ret = PTR_ERR(q->node);
		q->node = NULL;
		goto err_cdev_del;
	}
	return q;

err_cdev_del:
	/* whoever opened it meanwhile finds it dead */
	spin_lock_bh(&q->lock);
	q->dead = true;
	spin_unlock_bh(&q->lock);
	cdev_del(&q->cdev);
err_put:
	put_device(&q->dev);	/* frees the minor and q */
	return ERR_PTR(ret);
}

static void queue_remove(struct wirecap_queue *q)
{
	ASSERT_RTNL();
	lockdep_assert_held(&wirecap_nics_lock);
	cdev_del(&q->cdev);		/* no more opens */
	if (q->node)
		device_unregister(q->node);
	q->node = NULL;
	wirecap_queue_kill(q);
	put_device(&q->dev);
}

/* The NIC is called @ifname now: so are its queues and their nodes. */
static void nic_rename(struct wirecap_nic *nic, const char *ifname)
{
	u32 i;

	lockdep_assert_held(&wirecap_nics_lock);
	for (i = 0; i < nic->cfg.nr_rings; i++) {
		struct wirecap_queue *q = nic->queues[i];
		struct device *node;

		if (!strncmp(q->ifname, ifname, sizeof(q->ifname)))
			continue;
		/* one devt, one device at a time: the old one goes first */
		if (q->node)
			device_unregister(q->node);
		node = node_create(q, ifname);
		if (IS_ERR(node)) {
			pr_warn("wirecap: %s-q%u: no device node for the new name %s-q%u: %ld\n",
				q->ifname, i, ifname, i, PTR_ERR(node));
			node = NULL;
		}
		q->node = node;
		spin_lock_bh(&q->lock);
		strscpy(q->ifname, ifname, sizeof(q->ifname));
		spin_unlock_bh(&q->lock);
	}
}

/*
 * Under RTNL. Renames: queue names follow the NIC's. A move to another
 * network namespace is told as NETDEV_UNREGISTER here, with the device
 * still registered (the file opened here loses the queue), then as
 * NETDEV_REGISTER there (where it may have been renamed).
 */
static int wirecap_netdev_event(struct notifier_block *nb,
				unsigned long event, void *ptr)
{
	struct net_device *dev = netdev_notifier_info_to_dev(ptr);
	struct wirecap_nic *nic;
	u32 i;

	if (event != NETDEV_CHANGENAME && event != NETDEV_REGISTER &&
	    event != NETDEV_UNREGISTER)
		return NOTIFY_DONE;
	mutex_lock(&wirecap_nics_lock);
	list_for_each_entry(nic, &wirecap_nics, node) {
		if (nic->cfg.netdev != dev)
			continue;
		if (event != NETDEV_UNREGISTER)
			nic_rename(nic, netdev_name(dev));
		else if (dev->reg_state == NETREG_REGISTERED)
			for (i = 0; i < nic->cfg.nr_rings; i++)
				wirecap_queue_revoke(nic->queues[i]);
	}
	mutex_unlock(&wirecap_nics_lock);
	return NOTIFY_DONE;
}

static struct notifier_block wirecap_netdev_nb = {
	.notifier_call = wirecap_netdev_event,
};

/**
 * wirecap_nic_register() - make a NIC's receive queues WireCAP queues
 * @cfg: the NIC: its ops, netdev, DMA device, queues and ring size
 *
 * Creates /dev/wirecap/<ifname>-q<N> (and its sysfs directory) for every
 * receive queue; their names follow renames of @cfg->netdev. From then on
 * the core calls @cfg->ops: ->queue_start and ->queue_stop with RTNL held.
 * Process context; takes RTNL (must not be called with it held), so call
 * it once @cfg->netdev is registered.
 *
 * Return: the NIC, or an ERR_PTR.
 */
struct wirecap_nic *wirecap_nic_register(const struct wirecap_nic_config *cfg)
{
	char ifname[IFNAMSIZ];
	struct wirecap_nic *nic;
	u32 i;
	int id, ret;

	if (!cfg->ops || !cfg->netdev || !cfg->nr_rings ||
	    !is_power_of_2(cfg->ring_size) ||
	    (cfg->max_cells_per_chunk &&
	     (!is_power_of_2(cfg->max_cells_per_chunk) ||
	      cfg->max_cells_per_chunk > cfg->ring_size)) ||
	    cfg->frame_offset >= WIRECAP_CELL_SIZE ||
	    (cfg->cell_sizes &&
	     ((cfg->cell_sizes & (BIT(WIRECAP_CELL_SHIFT_MIN) - 1)) ||
	      (cfg->cell_sizes & ~(2 * PAGE_SIZE - 1)) ||
	      cfg->frame_offset >= BIT(__ffs(cfg->cell_sizes)))))
		return ERR_PTR(-EINVAL);
	nic = kzalloc(sizeof(*nic), GFP_KERNEL);
	if (!nic)
		return ERR_PTR(-ENOMEM);
	nic->queues = kcalloc(cfg->nr_rings, sizeof(*nic->queues),
			      GFP_KERNEL);
	if (!nic->queues) {
		ret = -ENOMEM;
		goto err_free;
	}
	id = ida_alloc_max(&wirecap_nic_ida, U16_MAX, GFP_KERNEL);
	if (id < 0) {
		ret = id;
		goto err_free;
	}
	nic->id = id;
	nic->cfg = *cfg;

	rtnl_lock();
	mutex_lock(&wirecap_nics_lock);
	strscpy(ifname, netdev_name(cfg->netdev), sizeof(ifname));
	for (i = 0; i < cfg->nr_rings; i++) {
		struct wirecap_queue *q = queue_create(nic, i, ifname);

		if (IS_ERR(q)) {
			ret = PTR_ERR(q);
			goto err_remove;
		}
		nic->queues[i] = q;
	}
	list_add_tail(&nic->node, &wirecap_nics);
	mutex_unlock(&wirecap_nics_lock);
	rtnl_unlock();
	return nic;

err_remove:
	while (i--)
		queue_remove(nic->queues[i]);
	mutex_unlock(&wirecap_nics_lock);
	rtnl_unlock();
	ida_free(&wirecap_nic_ida, nic->id);
err_free:
	kfree(nic->queues);
	kfree(nic);
	return ERR_PTR(ret);
}
EXPORT_SYMBOL_GPL(wirecap_nic_register);

/**
 * wirecap_nic_unregister() - the NIC goes away
 * @nic: as wirecap_nic_register() returned it
 *
 * Every queue dies: its pool is detached (->queue_stop() is called),
 * parked commands complete with -ENODEV, and open files answer -ENODEV
 * until they are closed. No ->xmit() call is under way when it returns,
 * and none comes after (the driver closes its transmit side before: see
 * wirecap_nic.h). Process context; takes RTNL (must not be called with it
 * held). Call it before unregister_netdev(@cfg->netdev).
 */
void wirecap_nic_unregister(struct wirecap_nic *nic)
{
	u32 i;

	rtnl_lock();
	mutex_lock(&wirecap_nics_lock);
	list_del(&nic->node);
	for (i = 0; i < nic->cfg.nr_rings; i++)
		queue_remove(nic->queues[i]);
	mutex_unlock(&wirecap_nics_lock);
	rtnl_unlock();
	/* XMITs that saw a queue alive call ->xmit() under RCU */
	synchronize_rcu();
	ida_free(&wirecap_nic_ida, nic->id);
	kfree(nic->queues);
	kfree(nic);
}
EXPORT_SYMBOL_GPL(wirecap_nic_unregister);

void *wirecap_nic_priv(const struct wirecap_nic *nic)
{
	return nic->cfg.priv;
}
EXPORT_SYMBOL_GPL(wirecap_nic_priv);

struct wirecap_queue *wirecap_nic_queue(struct wirecap_nic *nic, u32 ring)
{
	return ring < nic->cfg.nr_rings ? nic->queues[ring] : NULL;
}
EXPORT_SYMBOL_GPL(wirecap_nic_queue);

u32 wirecap_queue_ring(const struct wirecap_queue *q)
{
	return q->ring_id;
}
EXPORT_SYMBOL_GPL(wirecap_queue_ring);

/**
 * wirecap_queue_cell_size() - bytes per cell of the queue's pool
 * @q: the queue
 *
 * For a NIC that programs its receive buffer size per queue: valid from
 * ->queue_start() on, until the next ATTACH.
 *
 * Context: any.
 *
 * Return: the cell size ATTACH chose.
 */
u32 wirecap_queue_cell_size(const struct wirecap_queue *q)
{
	return READ_ONCE(q->cell_size);
}
EXPORT_SYMBOL_GPL(wirecap_queue_cell_size);

/**
 * wirecap_queue_max_frame() - the longest frame the queue's pool takes
 * @q: the queue
 *
 * For a NIC that drops longer frames itself, as a MAC drops frames above
 * its maximum frame size (counting them with wirecap_rx_dropped(), as
 * oversize): the NIC's MTU at ATTACH plus an Ethernet and two VLAN
 * headers, or what a cell holds if more. Valid as wirecap_queue_cell_size().
 *
 * Context: any.
 *
 * Return: bytes.
 */
u32 wirecap_queue_max_frame(const struct wirecap_queue *q)
{
	return READ_ONCE(q->max_frame);
}
EXPORT_SYMBOL_GPL(wirecap_queue_max_frame);

struct wirecap_nic *wirecap_queue_nic(const struct wirecap_queue *q)
{
	return q->nic;
}
EXPORT_SYMBOL_GPL(wirecap_queue_nic);

static int __init wirecap_init(void)
{
	int ret;

	ret = wirecap_pool_init();
	if (ret)
		return ret;
	ret = alloc_chrdev_region(&wirecap_devt, 0, WIRECAP_MINORS, "wirecap");
	if (ret)
		goto err_pool_exit;
	ret = class_register(&wirecap_class);
	if (ret)
		goto err_unregister_region;
	ret = register_netdevice_notifier(&wirecap_netdev_nb);
	if (ret)
		goto err_unregister_class;
	wirecap_debugfs = debugfs_create_dir("wirecap", NULL);
	debugfs_create_atomic_t("pool_pages", 0400, wirecap_debugfs,
				&wirecap_pool_pages);
	return 0;

err_unregister_class:
	class_unregister(&wirecap_class);
err_unregister_region:
	unregister_chrdev_region(wirecap_devt, WIRECAP_MINORS);
err_pool_exit:
	wirecap_pool_exit();
	return ret;
}

static void __exit wirecap_exit(void)
{
	debugfs_remove_recursive(wirecap_debugfs);
	unregister_netdevice_notifier(&wirecap_netdev_nb);
	class_unregister(&wirecap_class);
	unregister_chrdev_region(wirecap_devt, WIRECAP_MINORS);
	wirecap_pool_exit();
	ida_destroy(&wirecap_minor_ida);
	ida_destroy(&wirecap_nic_ida);
}

module_init(wirecap_init);
module_exit(wirecap_exit);
MODULE_DESCRIPTION("WireCAP: lossless zero-copy packet capture");
MODULE_LICENSE("GPL");
