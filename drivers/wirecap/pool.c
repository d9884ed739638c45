// SPDX-License-Identifier: GPL-2.0
/*
 * The ring buffer pool of one receive queue: R chunks of M cells (2 KiB, or
 * the size ATTACH chose: 128 bytes to a page), order-0 pages on the NIC's
 * NUMA node, DMA-mapped once for the NIC, mapped into user space with
 * vm_insert_pages(); and the read-only control area (descriptor ring,
 * cell metadata). When frames may span cells, each chunk's pages are
 * followed by its spill area (pages the NIC never writes): the rest of a
 * frame that ran past the chunk's last cell is copied there, so the frame
 * is contiguous in the mapping.
 *
 * The memory is charged as AF_XDP charges its UMEM: the pages to the
 * user's locked_vm against RLIMIT_MEMLOCK (not for CAP_IPC_LOCK), and
 * every allocation to the caller's memory cgroup (__GFP_ACCOUNT), so a
 * container cannot escape its limits by capturing.
 */
#include <linux/dma-mapping.h>
#include <linux/if_vlan.h>
#include <linux/log2.h>
#include <linux/mm.h>
#include <linux/sched/signal.h>
#include <linux/sched/user.h>
#include <linux/slab.h>
#include <linux/vmalloc.h>
#include <linux/workqueue.h>

#include "wirecap.h"

/* Allocations that fail rather than OOM-kill when the memcg is full. */
#define WC_GFP	(GFP_KERNEL_ACCOUNT | __GFP_RETRY_MAYFAIL | __GFP_NOWARN)

/* Pages of a chunk that hold its cells (the rest are its spill area). */
static u32 cell_pages(const struct wirecap_pool *p)
{
	return ((size_t)p->m << p->cell_shift) >> PAGE_SHIFT;
}

static bool page_is_spill(const struct wirecap_pool *p, u32 i)
{
	return i % p->chunk_pages >= cell_pages(p);
}

/**
 * wirecap_cell_page() - the page a cell is in
 * @p: the pool
 * @cell: the cell's id
 * @offset: set to the cell's offset in that page
 *
 * Return: the page.
 */
struct page *wirecap_cell_page(const struct wirecap_pool *p, u32 cell,
			       u32 *offset)
{
	u32 c = cell % p->m, per_page = PAGE_SIZE >> p->cell_shift;

	*offset = (c % per_page) << p->cell_shift;
	return p->pages[cell / p->m * p->chunk_pages + c / per_page];
}

static void pool_free_pages(struct wirecap_pool *p)
{
	u32 i;

	for (i = 0; i < p->nr_pages && p->pages[i]; i++) {
		if (!(i % 1024))
			cond_resched();	/* a pool can be 2^18 pages */
		if (p->page_dma && !page_is_spill(p, i))
			dma_unmap_page_attrs(p->dma_dev, p->page_dma[i],
					     PAGE_SIZE, DMA_BIDIRECTIONAL,
					     DMA_ATTR_SKIP_CPU_SYNC);
		/* user mappings keep their own references */
		__free_page(p->pages[i]);
		atomic_dec(&wirecap_pool_pages);
	}
}

static int pool_alloc_pages(struct wirecap_pool *p, int node)
{
	u32 per_page = PAGE_SIZE >> p->cell_shift;
	u32 i, c;

	for (i = 0; i < p->nr_pages; i++) {
		u32 k = i / p->chunk_pages, pi = i % p->chunk_pages;
		struct page *pg;

		if (!(i % 1024))
			cond_resched();
		pg = alloc_pages_node(node, WC_GFP | __GFP_ZERO, 0);
		if (!pg)
			return -ENOMEM;
		if (page_is_spill(p, i)) {
			/* only the CPU writes a spill area */
			p->pages[i] = pg;
			atomic_inc(&wirecap_pool_pages);
			continue;
		}
		if (p->page_dma) {
			dma_addr_t a;

			a = dma_map_page_attrs(p->dma_dev, pg, 0, PAGE_SIZE,
					       DMA_BIDIRECTIONAL,
					       DMA_ATTR_SKIP_CPU_SYNC);
			if (dma_mapping_error(p->dma_dev, a)) {
				__free_page(pg);
				return -ENOMEM;
			}
			p->page_dma[i] = a;
		}
		p->pages[i] = pg;
		atomic_inc(&wirecap_pool_pages);
		for (c = 0; c < per_page; c++) {
			struct wirecap_cell *cell;
			u32 id = k * p->m + pi * per_page + c;

			cell = &p->cells[id];
			cell->id = id;
			cell->size = p->cell_size;
			cell->addr = page_address(pg) + (c << p->cell_shift);
			cell->dma = p->page_dma ?
				p->page_dma[i] + (c << p->cell_shift) : 0;
		}
	}
	return 0;
}

/* The control area's layout: header page, descriptor ring, metadata. */
static size_t ctrl_layout(struct wirecap_pool *p, size_t *desc_off,
			  size_t *meta_off)
{
	size_t ncells = (size_t)p->r * p->m;

	p->desc_size = roundup_pow_of_two(max_t(u32, 64, 2 * p->r));
	*desc_off = PAGE_SIZE;
	*meta_off = PAGE_ALIGN(*desc_off + p->desc_size * sizeof(*p->descs));
	return PAGE_ALIGN(*meta_off + ncells * sizeof(*p->meta));
}

/*
 * vmalloc_user() cannot charge the memory cgroup; the control area is
 * 16 bytes per cell, under 1% of a pool of 2 KiB cells, 12.5% of 128-byte
 * ones.
 */
static int pool_alloc_ctrl(struct wirecap_pool *p)
{
	size_t desc_off, meta_off;

	p->ctrl_size = ctrl_layout(p, &desc_off, &meta_off);
	p->ctrl = vmalloc_user(p->ctrl_size);
	if (!p->ctrl)
		return -ENOMEM;
	p->hdr = p->ctrl;
	p->descs = p->ctrl + desc_off;
	p->meta = p->ctrl + meta_off;
	p->hdr->desc_offset = desc_off;
	p->hdr->meta_offset = meta_off;
	return 0;
}

/*
 * Charge @pages to the caller's locked_vm against RLIMIT_MEMLOCK, as
 * AF_XDP does for its UMEM: nothing for CAP_IPC_LOCK, -ENOBUFS beyond the
 * limit. The charge lives as long as the pool or any mapping of it: the
 * pages stay pinned in user space after DETACH until munmap.
 */
static int pool_charge(struct wirecap_pool *p, unsigned long pages)
{
	unsigned long limit = rlimit(RLIMIT_MEMLOCK) >> PAGE_SHIFT;
	struct wirecap_charge *c;
	struct user_struct *user;
	long old, new;

	if (capable(CAP_IPC_LOCK))
		return 0;
	c = kzalloc(sizeof(*c), GFP_KERNEL_ACCOUNT);
	if (!c)
		return -ENOMEM;
	user = get_uid(current_user());
	old = atomic_long_read(&user->locked_vm);
	do {
		new = old + pages;
		if (new > limit) {
			free_uid(user);
			kfree(c);
			return -ENOBUFS;
		}
	} while (!atomic_long_try_cmpxchg(&user->locked_vm, &old, new));
	refcount_set(&c->ref, 1);
	c->user = user;
	c->pages = pages;
	p->charge = c;
	return 0;
}

static void charge_put(struct wirecap_charge *c)
{
	if (!c || !refcount_dec_and_test(&c->ref))
		return;
	atomic_long_sub(c->pages, &c->user->locked_vm);
	free_uid(c->user);
	kfree(c);
}

/* Each mapping holds the charge (a split or a move makes another). */
static void pool_vm_open(struct vm_area_struct *vma)
{
	struct wirecap_charge *c = vma->vm_private_data;

	if (c)
		refcount_inc(&c->ref);
}

static void pool_vm_close(struct vm_area_struct *vma)
{
	charge_put(vma->vm_private_data);
}

static const struct vm_operations_struct pool_vm_ops = {
	.open = pool_vm_open,
	.close = pool_vm_close,
};

/*
 * Charge and allocate everything up front: either the whole pool exists
 * or the ATTACH fails with nothing left behind. No lock is held: the pool
 * keeps a reference to the NIC's DMA device, which may go away before
 * the pool does. The pool, or ERR_PTR: -ENOBUFS over RLIMIT_MEMLOCK,
 * -ENOMEM, -ENODEV when the NIC is gone.
 */
static void pool_free_work(struct work_struct *work);

struct wirecap_pool *wirecap_pool_create(struct wirecap_queue *q, u32 m,
					 u32 r, u32 cell_size, bool multi)
{
	size_t ncells = (size_t)r * m, desc_off, meta_off;
	struct device *dma_dev = NULL;
	struct wirecap_pool *p;
	u32 i, mtu = 0;
	int ret;

	spin_lock_bh(&q->lock);
	if (!q->dead) {
		dma_dev = get_device(q->nic->cfg.dma_dev);
		mtu = READ_ONCE(q->nic->cfg.netdev->mtu);
	}
	ret = q->dead ? -ENODEV : 0;
	spin_unlock_bh(&q->lock);
	if (ret)
		return ERR_PTR(ret);
	p = kzalloc_node(sizeof(*p), WC_GFP, q->numa_node);
	if (!p) {
		put_device(dma_dev);
		return ERR_PTR(-ENOMEM);
	}
	p->q = q;
	get_device(&q->dev);
	INIT_WORK(&p->free_work, pool_free_work);
	p->m = m;
	p->r = r;
	p->nr_segments = q->ring_size / m;
	p->cell_size = cell_size;
	p->cell_shift = ilog2(cell_size);
	/*
	 * The longest frame: what the MTU lets through (two VLAN tags), or
	 * what a cell holds. Longer frames spanning cells are dropped.
	 */
	p->max_frame = min_t(u32, cell_size - q->frame_offset,
			     WIRECAP_MAX_FRAME);
	if (multi) {
		p->max_frame = max_t(u32, p->max_frame,
				     min_t(u64, (u64)mtu + ETH_HLEN +
					   2 * VLAN_HLEN, WIRECAP_MAX_FRAME));
		p->multi = p->max_frame > cell_size - q->frame_offset;
	}
	/* the rest of a frame that starts in a chunk's last cell */
	p->spill_size = p->multi ? PAGE_ALIGN(p->max_frame) : 0;
	p->chunk_pages = cell_pages(p) + (p->spill_size >> PAGE_SHIFT);
	p->dma_dev = dma_dev;
	/*
	 * The longest frame's cells must be at the NIC at once: a ring NIC
	 * posts segments in order, the segment of an open frame's first
	 * cell comes back only when the frame is complete, and the ring
	 * engine holds one descriptor back (head == tail means empty), so
	 * N - M cells at most are there for a frame that starts at the end
	 * of a segment.
	 */
	ret = -EINVAL;
	if (p->multi && DIV_ROUND_UP(q->frame_offset + p->max_frame,
				     cell_size) > q->ring_size - m)
		goto err_free;
	ret = -E2BIG;
	if (((u64)r * p->chunk_pages) << PAGE_SHIFT >
	    (u64)wirecap_max_pool_mb << 20)
		goto err_free;
	p->nr_pages = r * p->chunk_pages;
	INIT_LIST_HEAD(&p->free);
	INIT_LIST_HEAD(&p->attached);
	INIT_LIST_HEAD(&p->full);

	ret = pool_charge(p, p->nr_pages +
			  (ctrl_layout(p, &desc_off, &meta_off) >> PAGE_SHIFT));
	if (ret)
		goto err_free;

	ret = -ENOMEM;
	p->pages = kvcalloc(p->nr_pages, sizeof(*p->pages), WC_GFP);
	p->cells = kvcalloc(ncells, sizeof(*p->cells), WC_GFP);
	p->chunks = kvcalloc(r, sizeof(*p->chunks), WC_GFP);
	p->waiting = kvcalloc(p->nr_segments, sizeof(*p->waiting), WC_GFP);
	p->filled_map = bitmap_zalloc(ncells, WC_GFP);
	p->view_len = kvcalloc(ncells, sizeof(*p->view_len), WC_GFP);
	p->view_seq = kvcalloc(ncells, sizeof(*p->view_seq), WC_GFP);
	p->view_tx = kvcalloc(ncells, sizeof(*p->view_tx), WC_GFP);
	if (dma_dev)
		p->page_dma = kvcalloc(p->nr_pages, sizeof(*p->page_dma),
				       WC_GFP);
	if (!p->pages || !p->cells || !p->chunks || !p->waiting ||
	    !p->filled_map || !p->view_len || !p->view_seq || !p->view_tx ||
	    (dma_dev && !p->page_dma))
		goto err_free;
	if (pool_alloc_ctrl(p))
		goto err_free;
	if (pool_alloc_pages(p, q->numa_node))
		goto err_free;

	for (i = 0; i < r; i++) {
		p->chunks[i].state = WC_CHUNK_FREE;
		p->chunks[i].open_from = m;
		list_add_tail(&p->chunks[i].node, &p->free);
	}
	p->nr_free = r;
	/* every segment starts out waiting for its first chunk */
	for (i = 0; i < p->nr_segments; i++)
		p->waiting[i] = i;
	p->wait_tail = p->nr_segments;
	wirecap_ctrl_sync(p);
	return p;

err_free:
	wirecap_pool_destroy(p);
	return ERR_PTR(ret);
}

void wirecap_pool_destroy(struct wirecap_pool *p)
{
	if (p->pages)
		pool_free_pages(p);
	vfree(p->ctrl);
	kvfree(p->page_dma);
	kvfree(p->view_tx);
	kvfree(p->view_seq);
	kvfree(p->view_len);
	bitmap_free(p->filled_map);
	kvfree(p->waiting);
	kvfree(p->chunks);
	kvfree(p->cells);
	kvfree(p->pages);
	charge_put(p->charge);
	put_device(p->dma_dev);
	if (p->q)
		put_device(&p->q->dev);
	kfree(p);
}

static struct workqueue_struct *wirecap_wq;

static void pool_free_work(struct work_struct *work)
{
	wirecap_pool_destroy(container_of(work, struct wirecap_pool,
					  free_work));
}

/**
 * wirecap_pool_free_later() - free an orphan pool, from any context
 * @p: the pool, detached, whose last reference just went
 */
void wirecap_pool_free_later(struct wirecap_pool *p)
{
	queue_work(wirecap_wq, &p->free_work);
}

int wirecap_pool_init(void)
{
	wirecap_wq = alloc_workqueue("wirecap", WQ_UNBOUND, 0);
	return wirecap_wq ? 0 : -ENOMEM;
}

/* Pools freed later are freed by now (no NIC is left to give cells back). */
void wirecap_pool_exit(void)
{
	destroy_workqueue(wirecap_wq);
}

/*
 * Pools a broken NIC may still write into: never freed, but kept where
 * the kernel can see them (no leak report, and a debugger finds them).
 */
static LIST_HEAD(wirecap_abandoned);
static DEFINE_SPINLOCK(wirecap_abandoned_lock);

void wirecap_pool_abandon(struct wirecap_pool *p)
{
	spin_lock(&wirecap_abandoned_lock);
	list_add(&p->abandoned, &wirecap_abandoned);
	spin_unlock(&wirecap_abandoned_lock);
}

/*
 * Two regions, chosen by the mmap offset: the control area (read-only)
 * at 0 and the pool (read-write) at WIRECAP_POOL_MMAP_OFF. A mapping may
 * cover a prefix of a region, never more than it.
 */
int wirecap_pool_mmap(struct wirecap_file *wf, struct vm_area_struct *vma)
{
	unsigned long len = vma->vm_end - vma->vm_start;
	u64 off = (u64)vma->vm_pgoff << PAGE_SHIFT;
	struct wirecap_queue *q = wf->q;
	struct wirecap_pool *p;
	int ret;

	/*
	 * A private copy-on-write mapping would not see the NIC's writes.
	 * (A shared mapping of a read-only file has VM_MAYSHARE only.)
	 */
	if (!(vma->vm_flags & VM_MAYSHARE))
		return -EINVAL;
	mutex_lock(&q->ctl_lock);
	p = q->pool;
	ret = wirecap_file_check(wf) ?: p ? 0 : -ENXIO;
	if (ret)
		goto out_unlock;
	if (off == 0) {
		if (len > p->ctrl_size || (vma->vm_flags & VM_WRITE)) {
			ret = -EINVAL;
			goto out_unlock;
		}
		wc_vm_flags_clear(vma, VM_MAYWRITE);
		wc_vm_flags_set(vma, VM_DONTCOPY | VM_DONTDUMP);
		ret = remap_vmalloc_range(vma, p->ctrl, 0);
	} else if (off == WIRECAP_POOL_MMAP_OFF) {
		unsigned long n = len >> PAGE_SHIFT;

		if (n > p->nr_pages) {
			ret = -EINVAL;
			goto out_unlock;
		}
		wc_vm_flags_set(vma, VM_DONTEXPAND | VM_DONTCOPY | VM_DONTDUMP);
		ret = vm_insert_pages(vma, vma->vm_start, p->pages, &n);
	} else {
		ret = -EINVAL;
	}
	if (!ret) {
		vma->vm_ops = &pool_vm_ops;
		vma->vm_private_data = p->charge;
		pool_vm_open(vma);
	}
out_unlock:
	mutex_unlock(&q->ctl_lock);
	return ret;
}

/* Mirror the chunk counts into the control area (hints for user space). */
void wirecap_ctrl_sync(struct wirecap_pool *p)
{
	WRITE_ONCE(p->hdr->chunks_free, p->nr_free);
	WRITE_ONCE(p->hdr->chunks_full, p->nr_full);
}

/* User space consumed the descriptor ring up to @head. */
int wirecap_set_desc_head(struct wirecap_queue *q, struct wirecap_pool *p,
			  u32 head)
{
	lockdep_assert_held(&q->lock);
	if (head - p->desc_head > p->desc_tail - p->desc_head)
		return -EINVAL;
	p->desc_head = head;
	WRITE_ONCE(p->hdr->desc_head, head);
	return 0;
}
