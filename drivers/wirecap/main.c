// SPDX-License-Identifier: GPL-2.0
/*
 * wirecap.ko: module parameters, the wirecap class and character device
 * region, and NIC registration (one queue device per receive queue).
 */
#include <linux/debugfs.h>
#include <linux/idr.h>
#include <linux/module.h>
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

static void queue_dev_release(struct device *dev)
{
	struct wirecap_queue *q = container_of(dev, struct wirecap_queue, dev);

	hrtimer_cancel(&q->timer);
	ida_free(&wirecap_minor_ida, MINOR(dev->devt));
	mutex_destroy(&q->ctl_lock);
	kfree(q);
}

static struct wirecap_queue *queue_create(struct wirecap_nic *nic, u32 ring)
{
	struct wirecap_queue *q;
	int minor, ret;

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
	q->nr_rings = nic->cfg.nr_rings;
	q->ring_size = nic->cfg.ring_size;
	q->frame_offset = nic->cfg.frame_offset;
	q->numa_node = nic->cfg.numa_node;
	q->features = WIRECAP_F_PARTIAL_VIEWS | nic->cfg.features |
		(WC_CAN_CANCEL ? WIRECAP_F_URING_CANCEL : 0);
	strscpy(q->ifname, nic->ifname, sizeof(q->ifname));
	mutex_init(&q->ctl_lock);
	spin_lock_init(&q->lock);
	wirecap_capture_init(q);

	device_initialize(&q->dev);
	q->dev.class = &wirecap_class;
	q->dev.devt = MKDEV(MAJOR(wirecap_devt), minor);
	q->dev.groups = wirecap_queue_groups;
	q->dev.release = queue_dev_release;
	dev_set_drvdata(&q->dev, q);
	ret = dev_set_name(&q->dev, "%s-q%u", nic->ifname, ring);
	if (ret)
		goto err_put;
	cdev_init(&q->cdev, &wirecap_fops);
	q->cdev.owner = THIS_MODULE;
	ret = cdev_device_add(&q->cdev, &q->dev);
	if (ret)
		goto err_put;
	return q;

err_put:
	put_device(&q->dev);	/* frees the minor and q */
	return ERR_PTR(ret);
}

static void queue_remove(struct wirecap_queue *q)
{
	cdev_device_del(&q->cdev, &q->dev);
	wirecap_queue_kill(q);
	put_device(&q->dev);
}

struct wirecap_nic *wirecap_nic_register(const struct wirecap_nic_config *cfg)
{
	struct wirecap_nic *nic;
	u32 i;
	int id, ret;

	if (!cfg->ops || !cfg->netdev || !cfg->nr_rings ||
	    !is_power_of_2(cfg->ring_size) ||
	    cfg->frame_offset >= WIRECAP_CELL_SIZE)
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
	strscpy(nic->ifname, netdev_name(cfg->netdev), sizeof(nic->ifname));

	for (i = 0; i < cfg->nr_rings; i++) {
		struct wirecap_queue *q = queue_create(nic, i);

		if (IS_ERR(q)) {
			ret = PTR_ERR(q);
			goto err_remove;
		}
		nic->queues[i] = q;
	}
	return nic;

err_remove:
	while (i--)
		queue_remove(nic->queues[i]);
	ida_free(&wirecap_nic_ida, nic->id);
err_free:
	kfree(nic->queues);
	kfree(nic);
	return ERR_PTR(ret);
}
EXPORT_SYMBOL_GPL(wirecap_nic_register);

void wirecap_nic_unregister(struct wirecap_nic *nic)
{
	u32 i;

	for (i = 0; i < nic->cfg.nr_rings; i++)
		queue_remove(nic->queues[i]);
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

struct wirecap_nic *wirecap_queue_nic(const struct wirecap_queue *q)
{
	return q->nic;
}
EXPORT_SYMBOL_GPL(wirecap_queue_nic);

static int __init wirecap_init(void)
{
	int ret;

	ret = alloc_chrdev_region(&wirecap_devt, 0, WIRECAP_MINORS, "wirecap");
	if (ret)
		return ret;
	ret = class_register(&wirecap_class);
	if (ret)
		goto err_unregister_region;
	wirecap_debugfs = debugfs_create_dir("wirecap", NULL);
	debugfs_create_atomic_t("pool_pages", 0400, wirecap_debugfs,
				&wirecap_pool_pages);
	return 0;

err_unregister_region:
	unregister_chrdev_region(wirecap_devt, WIRECAP_MINORS);
	return ret;
}

static void __exit wirecap_exit(void)
{
	debugfs_remove_recursive(wirecap_debugfs);
	class_unregister(&wirecap_class);
	unregister_chrdev_region(wirecap_devt, WIRECAP_MINORS);
	ida_destroy(&wirecap_minor_ida);
	ida_destroy(&wirecap_nic_ida);
}

module_init(wirecap_init);
module_exit(wirecap_exit);
MODULE_DESCRIPTION("WireCAP: lossless zero-copy packet capture");
MODULE_LICENSE("GPL");
