// SPDX-License-Identifier: GPL-2.0
/*
 * /dev/wirecap/<ifname>-q<N>: open (exclusive), ATTACH/DETACH, INFO,
 * STATS, mmap, poll, and the io_uring passthrough entry point.
 */
#include <linux/capability.h>
#include <linux/fs.h>
#include <linux/log2.h>
#include <linux/poll.h>
#include <linux/uaccess.h>
#include <net/net_namespace.h>

#include "wirecap.h"

/*
 * May the caller reach q, with capability @cap? It must be in the NIC's
 * network namespace (a NIC elsewhere is not there for it: -ENODEV) and
 * hold @cap over the user namespace that owns it (-EPERM).
 */
static int queue_reach(struct wirecap_queue *q, int cap)
{
	struct net *net = NULL;
	int ret = 0;

	spin_lock_bh(&q->lock);
	rcu_read_lock();
	if (!q->dead)
		net = maybe_get_net(dev_net(q->nic->cfg.netdev));
	rcu_read_unlock();
	spin_unlock_bh(&q->lock);
	if (!net)
		return -ENODEV;
	if (!net_eq(current->nsproxy->net_ns, net))
		ret = -ENODEV;
	else if (!ns_capable(net->user_ns, cap))
		ret = -EPERM;
	put_net(net);
	return ret;
}

/*
 * Is this file still the queue's? Not once the NIC is gone (dead), nor
 * once it moved to another network namespace after the file was opened
 * (stale). Under ctl_lock or lock: q->gen changes under both.
 */
int wirecap_file_check(const struct wirecap_file *wf)
{
	const struct wirecap_queue *q = wf->q;

	if (q->dead || wf->gen != q->gen)
		return -ENODEV;
	return 0;
}

/* Exclusive: one open file per queue, in the NIC's namespace. */
static int queue_open(struct inode *inode, struct file *file)
{
	struct wirecap_queue *q = container_of(inode->i_cdev,
					       struct wirecap_queue, cdev);
	struct wirecap_file *wf;
	int ret;

	wf = kzalloc(sizeof(*wf), GFP_KERNEL);
	if (!wf)
		return -ENOMEM;
	/* a move to another namespace cannot slip between check and claim */
	mutex_lock(&q->ctl_lock);
	ret = queue_reach(q, CAP_NET_RAW);
	if (!ret && atomic_cmpxchg(&q->opened, 0, 1))
		ret = -EBUSY;
	wf->q = q;
	wf->gen = q->gen;
	mutex_unlock(&q->ctl_lock);
	if (ret) {
		kfree(wf);
		return ret;
	}
	get_device(&q->dev);
	file->private_data = wf;
	return 0;
}

static int geometry(const struct wirecap_queue *q,
		    const struct wirecap_attach *a, u32 *m, u32 *r, u32 *size)
{
	u64 bytes;

	*size = a->cell_size ?: WIRECAP_CELL_SIZE;
	if (!is_power_of_2(*size) || !(*size & q->cell_sizes))
		return -EINVAL;
	*m = a->cells_per_chunk ?: max_t(u32, q->ring_size / 4, 1);
	if (!is_power_of_2(*m) || *m > q->max_m || *m > WIRECAP_MAX_M ||
	    *m < 2 || *m < PAGE_SIZE / *size)
		return -EINVAL;
	*r = a->nr_chunks ?: 16 * (q->ring_size / *m);
	if (*r < q->ring_size / *m)
		return -EINVAL;
	/* the cells: wirecap_pool_create() checks again with spill areas */
	bytes = (u64)*r * *m * *size;
	if (bytes > (u64)wirecap_max_pool_mb << 20)
		return -E2BIG;
	return 0;
}

/*
 * Take the pool away from the queue: no CAPTURE parks and no XMIT starts
 * any more, the parked ones complete with @res, the NIC stops (unless
 * @started is false: it never started), and q->pool is cleared. Returns
 * what ->queue_stop() said: 0, or -errno when the NIC may still write
 * into the pool, which then must never be freed. *@kept: cells of the
 * pool are still at NICs (XMIT), so the pool is now an orphan that the
 * last of them frees; the caller must not.
 */
static int pool_unset(struct wirecap_queue *q, struct wirecap_pool *p,
		      bool started, int res, bool *kept)
{
	int ret = 0;

	ASSERT_RTNL();
	lockdep_assert_held(&q->ctl_lock);
	spin_lock_bh(&q->lock);
	p->stopping = true;
	spin_unlock_bh(&q->lock);
	if (started) {
		if (q->promisc)
			dev_set_promiscuity(q->nic->cfg.netdev, -1);
		q->promisc = false;
		ret = q->nic->cfg.ops->queue_stop(q);
	}
	wirecap_capture_flush(q, res);
	spin_lock_bh(&q->lock);
	q->pool = NULL;
	/* a pool the NIC may still write into is never freed at all */
	p->orphan = !ret && p->tx_inflight;
	*kept = p->orphan;
	spin_unlock_bh(&q->lock);
	return ret;
}

/*
 * The pool is made before RTNL is taken (it may be a GiB: the network
 * stack must not wait for that), then installed and the NIC started under
 * RTNL and ctl_lock, where every check is made again.
 */
static int queue_attach(struct wirecap_file *wf,
			const struct wirecap_attach *a)
{
	struct wirecap_queue *q = wf->q;
	u32 m, r, size, old_size, old_max;
	struct wirecap_pool *p;
	int ret;

	if ((a->flags & ~WIRECAP_ATTACH_MULTI_CELL) || a->reserved0 ||
	    a->reserved[0])
		return -EINVAL;
	if ((a->flags & WIRECAP_ATTACH_MULTI_CELL) &&
	    !(q->features & WIRECAP_F_MULTI_CELL))
		return -EOPNOTSUPP;
	ret = geometry(q, a, &m, &r, &size);
	if (ret)
		return ret;
	/* nothing is allocated or charged for a caller who may not */
	ret = queue_reach(q, CAP_NET_ADMIN);
	if (ret)
		return ret;
	p = wirecap_pool_create(q, m, r, size,
				a->flags & WIRECAP_ATTACH_MULTI_CELL);
	if (IS_ERR(p))
		return PTR_ERR(p);

	rtnl_lock();
	mutex_lock(&q->ctl_lock);
	ret = wirecap_file_check(wf) ?: queue_reach(q, CAP_NET_ADMIN);
	if (ret)
		goto out_unlock;
	if (q->broken) {
		ret = -EIO;
		goto out_unlock;
	}
	if (q->pool) {
		ret = -EBUSY;
		goto out_unlock;
	}
	spin_lock_bh(&q->lock);
	q->pool = p;
	old_size = q->cell_size;
	old_max = q->max_frame;
	WRITE_ONCE(q->cell_size, p->cell_size);
	WRITE_ONCE(q->max_frame, p->max_frame);
	q->rx.head = U32_MAX;		/* no frame half-filled */
	spin_unlock_bh(&q->lock);

	ret = q->nic->cfg.ops->queue_start(q);
	if (ret) {
		bool kept;

		/* INFO goes on saying what the last pool had */
		WRITE_ONCE(q->cell_size, old_size);
		WRITE_ONCE(q->max_frame, old_max);

		/* CAPTUREs may have parked while the NIC was starting */
		pool_unset(q, p, false, -ENXIO, &kept);
		if (kept)
			p = NULL;	/* (nothing was captured to send) */
	} else {
		p = NULL;	/* the queue's now */
		/* every frame on the wire, as a capture expects */
		q->promisc = !dev_set_promiscuity(q->nic->cfg.netdev, 1);
		if (!q->promisc)
			wc_qerr(q, "cannot make the NIC promiscuous: frames for other hosts may be filtered\n");
	}
out_unlock:
	mutex_unlock(&q->ctl_lock);
	rtnl_unlock();
	if (p)
		wirecap_pool_destroy(p);
	return ret;
}

/*
 * Stop the NIC, complete parked commands with @res, free the pool (or,
 * when the NIC cannot stop DMA into it, keep it forever). Parked commands
 * are completed and the timer stopped even when there is no pool.
 */
static int detach_locked(struct wirecap_queue *q, int res)
{
	struct wirecap_pool *p = q->pool;
	bool kept;
	int ret;

	ASSERT_RTNL();
	lockdep_assert_held(&q->ctl_lock);
	if (!p) {
		wirecap_capture_flush(q, res);
		return -ENXIO;
	}
	ret = pool_unset(q, p, true, res, &kept);
	if (ret) {
		wc_qerr(q, "the NIC did not stop writing into the pool (%d): keeping its %u pages forever, no more ATTACH\n",
			ret, p->nr_pages);
		q->broken = true;
		wirecap_pool_abandon(p);	/* DMA may go on */
		return -EIO;
	}
	if (!kept)
		wirecap_pool_destroy(p);
	return 0;
}

static int queue_detach(struct wirecap_file *wf)
{
	struct wirecap_queue *q = wf->q;
	int ret;

	rtnl_lock();
	mutex_lock(&q->ctl_lock);
	ret = wirecap_file_check(wf) ?: detach_locked(q, -ECANCELED);
	mutex_unlock(&q->ctl_lock);
	rtnl_unlock();
	return ret;
}

/*
 * Only reached when no command of this file is pending (each pins the
 * file), so tearing the pool down here races with nothing of ours. A
 * stale file has nothing to tear down: the move did it.
 */
static int queue_release(struct inode *inode, struct file *file)
{
	struct wirecap_file *wf = file->private_data;
	struct wirecap_queue *q = wf->q;

	rtnl_lock();
	mutex_lock(&q->ctl_lock);
	if (!wirecap_file_check(wf)) {
		detach_locked(q, -ECANCELED);
		atomic_set(&q->opened, 0);
	}
	mutex_unlock(&q->ctl_lock);
	rtnl_unlock();
	put_device(&q->dev);
	kfree(wf);
	return 0;
}

/* The NIC is going away: the queue dies, its file lives on until close. */
void wirecap_queue_kill(struct wirecap_queue *q)
{
	ASSERT_RTNL();
	mutex_lock(&q->ctl_lock);
	/* first: from here on every operation answers -ENODEV */
	spin_lock_bh(&q->lock);
	q->dead = true;
	spin_unlock_bh(&q->lock);
	detach_locked(q, -ENODEV);
	spin_lock_bh(&q->lock);
	q->nic = NULL;
	spin_unlock_bh(&q->lock);
	mutex_unlock(&q->ctl_lock);
	wake_up_interruptible_all(&q->wait);
}

/*
 * The NIC moves to another network namespace: the open file (opened in
 * the old one) goes stale, its pool is detached so the NIC writes nothing
 * more where the old namespace can read it, and the queue may be opened
 * from the new namespace.
 */
void wirecap_queue_revoke(struct wirecap_queue *q)
{
	ASSERT_RTNL();
	mutex_lock(&q->ctl_lock);
	spin_lock_bh(&q->lock);
	q->gen++;
	spin_unlock_bh(&q->lock);
	if (!q->dead) {
		detach_locked(q, -ENODEV);
		atomic_set(&q->opened, 0);
	}
	mutex_unlock(&q->ctl_lock);
	wake_up_interruptible_all(&q->wait);
}

static long queue_info(struct wirecap_file *wf, void __user *arg)
{
	struct wirecap_queue *q = wf->q;
	struct wirecap_info info = {};
	u32 usize;
	int ret;

	if (get_user(usize, (u32 __user *)arg))
		return -EFAULT;
	if (usize < offsetofend(struct wirecap_info, abi_version))
		return -EINVAL;

	info.abi_version = WIRECAP_ABI_VERSION;
	info.features = q->features;
	info.nic_id = q->nic_id;
	info.ring_id = q->ring_id;
	info.nr_rings = q->nr_rings;
	info.ring_size = q->ring_size;
	info.cell_size = READ_ONCE(q->cell_size);
	info.cell_sizes = q->cell_sizes;
	info.frame_offset = q->frame_offset;
	info.numa_node = q->numa_node;
	info.max_timeout_us = min_t(u64, READ_ONCE(wirecap_max_timeout_ms) *
				    1000ULL, U32_MAX);
	spin_lock_bh(&q->lock);
	strscpy(info.ifname, q->ifname, sizeof(info.ifname));
	spin_unlock_bh(&q->lock);
	mutex_lock(&q->ctl_lock);
	/* a stale file learns nothing of the NIC in its new namespace */
	ret = wf->gen != q->gen ? -ENODEV : 0;
	if (!ret && q->pool) {
		struct wirecap_pool *p = q->pool;

		info.cells_per_chunk = p->m;
		info.nr_chunks = p->r;
		info.desc_ring_size = p->desc_size;
		info.ctrl_offset = 0;
		info.ctrl_size = p->ctrl_size;
		info.pool_offset = WIRECAP_POOL_MMAP_OFF;
		info.pool_size = (u64)p->nr_pages << PAGE_SHIFT;
		info.chunk_bytes = p->chunk_pages << PAGE_SHIFT;
		info.spill_size = p->spill_size;
		info.max_frame = p->max_frame;
	}
	mutex_unlock(&q->ctl_lock);
	if (ret)
		return ret;

	info.size = min_t(u32, usize, sizeof(info));
	if (copy_to_user(arg, &info, info.size))
		return -EFAULT;
	return 0;
}

/*
 * Drops some NICs count in registers reach q->stats only when the driver
 * reads them: have it read them now (->sync_stats may sleep; ctl_lock
 * keeps the NIC registered meanwhile).
 */
static void queue_sync_stats(struct wirecap_queue *q)
{
	mutex_lock(&q->ctl_lock);
	if (!q->dead && q->nic && q->nic->cfg.ops->sync_stats)
		q->nic->cfg.ops->sync_stats(q);
	mutex_unlock(&q->ctl_lock);
}

/*
 * The same for a sysfs read, unless an ATTACH or DETACH holds ctl_lock
 * (across a NIC reset, seconds): a counter read never waits for that.
 */
static void queue_sync_stats_try(struct wirecap_queue *q)
{
	if (!mutex_trylock(&q->ctl_lock))
		return;
	if (!q->dead && q->nic && q->nic->cfg.ops->sync_stats)
		q->nic->cfg.ops->sync_stats(q);
	mutex_unlock(&q->ctl_lock);
}

static long queue_stats(struct wirecap_file *wf, void __user *arg)
{
	struct wirecap_queue *q = wf->q;
	struct wirecap_stats st;
	u32 usize;
	bool stale;

	if (get_user(usize, (u32 __user *)arg))
		return -EFAULT;
	if (usize < sizeof(u64))
		return -EINVAL;
	queue_sync_stats(q);
	spin_lock_bh(&q->lock);
	st = q->stats;
	stale = wf->gen != q->gen;
	spin_unlock_bh(&q->lock);
	if (stale)
		return -ENODEV;
	st.size = min_t(u32, usize, sizeof(st));
	st.reserved0 = 0;
	if (copy_to_user(arg, &st, st.size))
		return -EFAULT;
	return 0;
}

/* ATTACH's argument: at least up to nr_chunks, at most a page. */
static int attach_args(struct wirecap_attach *a, void __user *uarg)
{
	u32 usize;

	if (get_user(usize, (u32 __user *)uarg))
		return -EFAULT;
	if (usize < offsetofend(struct wirecap_attach, nr_chunks))
		return -EINVAL;
	if (usize > PAGE_SIZE)
		return -E2BIG;
	return copy_struct_from_user(a, sizeof(*a), uarg, usize);
}

/*
 * Commands are told apart by their number alone (see GROWTH in the uapi
 * header): the size an _IOWR() encodes is the caller's, not ours.
 */
static long queue_ioctl(struct file *file, unsigned int op, unsigned long arg)
{
	struct wirecap_file *wf = file->private_data;
	void __user *uarg = (void __user *)arg;

	if (_IOC_TYPE(op) != WIRECAP_IOC_MAGIC)
		return -ENOTTY;
	switch (_IOC_NR(op)) {
	case _IOC_NR(WIRECAP_CMD_INFO):
		return queue_info(wf, uarg);
	case _IOC_NR(WIRECAP_CMD_STATS):
		return queue_stats(wf, uarg);
	case _IOC_NR(WIRECAP_CMD_ATTACH): {
		struct wirecap_attach a;
		int ret;

		ret = attach_args(&a, uarg);
		return ret ?: queue_attach(wf, &a);
	}
	case _IOC_NR(WIRECAP_CMD_DETACH):
		return queue_detach(wf);
	case _IOC_NR(WIRECAP_CMD_CAPTURE): {
		struct wirecap_capture_cmd cc;

		if (copy_from_user(&cc, uarg, sizeof(cc)))
			return -EFAULT;
		return wirecap_capture_ioctl(wf, &cc);
	}
	case _IOC_NR(WIRECAP_CMD_RECYCLE): {
		struct wirecap_recycle_cmd rc;

		if (copy_from_user(&rc, uarg, sizeof(rc)))
			return -EFAULT;
		return wirecap_recycle(wf, &rc);
	}
	case _IOC_NR(WIRECAP_CMD_XMIT): {
		struct wirecap_xmit_cmd xc;

		if (copy_from_user(&xc, uarg, sizeof(xc)))
			return -EFAULT;
		return wirecap_xmit(wf, &xc);
	}
	default:
		return -ENOTTY;
	}
}

/*
 * A command's result: 0 or -errno straight back to io_uring, a count
 * through io_uring_cmd_done(). Before 6.3's rework, io_uring took any
 * other value from ->uring_cmd() for a failure: inline it failed the
 * request (breaking its links), from io-wq (IOSQE_ASYNC) it dropped it
 * and the request never completed, pinning the file for good.
 */
static int uring_result(struct io_uring_cmd *cmd, int ret,
			unsigned int issue_flags)
{
	if (ret <= 0)
		return ret;
	wc_cmd_done(cmd, ret, issue_flags);
	return -EIOCBQUEUED;
}

static int queue_uring_cmd(struct io_uring_cmd *cmd, unsigned int issue_flags)
{
	struct wirecap_file *wf = cmd->file->private_data;
	u32 op;

	/* first: a cancel call has no SQE to look at */
	if (wc_cmd_is_cancel(issue_flags)) {
		wirecap_capture_cancel(wf->q, cmd, issue_flags);
		return 0;
	}
	op = cmd->cmd_op;
	if (_IOC_TYPE(op) != WIRECAP_IOC_MAGIC)
		return -ENOTTY;
	/* only the payload carries anything */
	if (wc_cmd_sqe_extra(cmd))
		return -EINVAL;

	switch (_IOC_NR(op)) {
	case _IOC_NR(WIRECAP_CMD_CAPTURE):
		return uring_result(cmd, wirecap_capture_uring(wf, cmd,
							       issue_flags),
				    issue_flags);
	case _IOC_NR(WIRECAP_CMD_RECYCLE): {
		const struct wirecap_recycle_cmd *urc = wc_cmd_payload(cmd);
		struct wirecap_recycle_cmd rc;

		rc.descs = READ_ONCE(urc->descs);
		rc.count = READ_ONCE(urc->count);
		rc.flags = READ_ONCE(urc->flags);
		return uring_result(cmd, wirecap_recycle(wf, &rc),
				    issue_flags);
	}
	case _IOC_NR(WIRECAP_CMD_XMIT): {
		const struct wirecap_xmit_cmd *uxc = wc_cmd_payload(cmd);
		struct wirecap_xmit_cmd xc;

		xc.recs = READ_ONCE(uxc->recs);
		xc.count = READ_ONCE(uxc->count);
		xc.flags = READ_ONCE(uxc->flags);
		xc.tx_fd = READ_ONCE(uxc->tx_fd);
		/*
		 * Never waits for transmit room here: a punt to io-wq would
		 * re-read the SQE from the ring on 6.12 (user space may have
		 * reused the slot), hold a worker, and let commands overtake
		 * each other. Only the ioctl waits.
		 */
		if (xc.flags & ~WIRECAP_XMIT_NOWAIT)
			return -EINVAL;
		xc.flags |= WIRECAP_XMIT_NOWAIT;
		return uring_result(cmd, wirecap_xmit(wf, &xc), issue_flags);
	}
	default:
		return -ENOTTY;
	}
}

static int queue_mmap(struct file *file, struct vm_area_struct *vma)
{
	return wirecap_pool_mmap(file->private_data, vma);
}

static __poll_t queue_poll(struct file *file, poll_table *wait)
{
	struct wirecap_file *wf = file->private_data;
	struct wirecap_queue *q = wf->q;
	__poll_t mask = 0;

	poll_wait(file, &q->wait, wait);
	spin_lock_bh(&q->lock);
	if (wirecap_file_check(wf))
		mask = EPOLLERR | EPOLLHUP;
	else if (q->pool && wirecap_has_unhanded(q->pool))
		mask = EPOLLIN | EPOLLRDNORM;
	spin_unlock_bh(&q->lock);
	return mask;
}

const struct file_operations wirecap_fops = {
	.owner = THIS_MODULE,
	.open = queue_open,
	.release = queue_release,
	.unlocked_ioctl = queue_ioctl,
	.compat_ioctl = compat_ptr_ioctl,
	.mmap = queue_mmap,
	.poll = queue_poll,
	.uring_cmd = queue_uring_cmd,
	.llseek = noop_llseek,
};

/* sysfs: /sys/class/wirecap/<ifname>-q<N>/{attached,stats/...} */

#define STAT_ATTR(name)							\
static ssize_t name##_show(struct device *dev,				\
			   struct device_attribute *attr, char *buf)	\
{									\
	struct wirecap_queue *q = dev_get_drvdata(dev);			\
	u64 v;								\
									\
	queue_sync_stats_try(q);					\
	spin_lock_bh(&q->lock);						\
	v = q->stats.name;						\
	spin_unlock_bh(&q->lock);					\
	return sysfs_emit(buf, "%llu\n", v);				\
}									\
static DEVICE_ATTR_RO(name)

STAT_ATTR(received);
STAT_ATTR(capture_drops);
STAT_ATTR(oversize_drops);
STAT_ATTR(delivered);
STAT_ATTR(chunks_captured);
STAT_ATTR(partial_views);
STAT_ATTR(chunks_recycled);
STAT_ATTR(recycle_refused);
STAT_ATTR(segment_waits);
STAT_ATTR(pool_high_water);
STAT_ATTR(captures_parked);
STAT_ATTR(capture_timeouts);
STAT_ATTR(rx_errors);
STAT_ATTR(xmit_sent);
STAT_ATTR(xmit_completed);
STAT_ATTR(xmit_refused);
STAT_ATTR(xmit_dropped);

static struct attribute *stats_attrs[] = {
	&dev_attr_received.attr,
	&dev_attr_capture_drops.attr,
	&dev_attr_oversize_drops.attr,
	&dev_attr_delivered.attr,
	&dev_attr_chunks_captured.attr,
	&dev_attr_partial_views.attr,
	&dev_attr_chunks_recycled.attr,
	&dev_attr_recycle_refused.attr,
	&dev_attr_segment_waits.attr,
	&dev_attr_pool_high_water.attr,
	&dev_attr_captures_parked.attr,
	&dev_attr_capture_timeouts.attr,
	&dev_attr_rx_errors.attr,
	&dev_attr_xmit_sent.attr,
	&dev_attr_xmit_completed.attr,
	&dev_attr_xmit_refused.attr,
	&dev_attr_xmit_dropped.attr,
	NULL
};

static const struct attribute_group stats_group = {
	.name = "stats",
	.attrs = stats_attrs,
};

static ssize_t attached_show(struct device *dev,
			     struct device_attribute *attr, char *buf)
{
	struct wirecap_queue *q = dev_get_drvdata(dev);

	return sysfs_emit(buf, "%d\n", READ_ONCE(q->pool) != NULL);
}
static DEVICE_ATTR_RO(attached);

static ssize_t chunks_free_show(struct device *dev,
				struct device_attribute *attr, char *buf)
{
	struct wirecap_queue *q = dev_get_drvdata(dev);
	u32 v = 0;

	spin_lock_bh(&q->lock);
	if (q->pool)
		v = q->pool->nr_free;
	spin_unlock_bh(&q->lock);
	return sysfs_emit(buf, "%u\n", v);
}
static DEVICE_ATTR_RO(chunks_free);

/* The NIC's name: the node's own name is another when that one is taken. */
static ssize_t ifname_show(struct device *dev, struct device_attribute *attr,
			   char *buf)
{
	struct wirecap_queue *q = dev_get_drvdata(dev);
	char name[IFNAMSIZ];

	spin_lock_bh(&q->lock);
	strscpy(name, q->ifname, sizeof(name));
	spin_unlock_bh(&q->lock);
	return sysfs_emit(buf, "%s\n", name);
}
static DEVICE_ATTR_RO(ifname);

/*
 * The largest M ATTACH takes (a power of two that divides the ring): for
 * a program that sizes a pool before it opens the queue (the libpcap
 * shim, from a buffer size).
 */
static ssize_t max_cells_per_chunk_show(struct device *dev,
					struct device_attribute *attr,
					char *buf)
{
	struct wirecap_queue *q = dev_get_drvdata(dev);

	return sysfs_emit(buf, "%u\n", min_t(u32, q->max_m, WIRECAP_MAX_M));
}
static DEVICE_ATTR_RO(max_cells_per_chunk);

static struct attribute *queue_attrs[] = {
	&dev_attr_attached.attr,
	&dev_attr_chunks_free.attr,
	&dev_attr_ifname.attr,
	&dev_attr_max_cells_per_chunk.attr,
	NULL
};

static const struct attribute_group queue_group = {
	.attrs = queue_attrs,
};

const struct attribute_group *wirecap_queue_groups[] = {
	&queue_group,
	&stats_group,
	NULL
};
