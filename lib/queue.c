// SPDX-License-Identifier: BSD-2-Clause
/*
 * One receive queue: open its character device, ATTACH a pool, map the
 * control area and the pool, allocate its work-queue pair; and the way
 * back. Also its counters.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "internal.h"

static uint32_t roundup_pow2(uint64_t v)
{
	uint32_t p = 1;

	while (p < v && p < (1u << 31))
		p <<= 1;
	return p;
}

static int queue_info(struct wirecap_queue *q)
{
	memset(&q->info, 0, sizeof(q->info));
	q->info.size = sizeof(q->info);
	if (ioctl(q->fd, WIRECAP_CMD_INFO, &q->info))
		return -errno;
	if (q->info.abi_version != WIRECAP_ABI_VERSION)
		return -EPROTO;
	return 0;
}

/*
 * The kernel's counters. The buffer is at least the uapi struct the
 * command number was made with; the kernel fills min(its size, ours)
 * bytes and says how many in size (uapi GROWTH).
 */
static int queue_kstats(const struct wirecap_queue *q, struct wc_kcounters *k)
{
	union {
		struct wirecap_stats uapi;
		struct wc_kcounters k;
	} buf;

	memset(&buf, 0, sizeof(buf));
	buf.k.size = sizeof(buf);
	if (ioctl(q->fd, WIRECAP_CMD_STATS, &buf))
		return -errno;
	*k = buf.k;
	if (k->size > sizeof(*k))
		k->size = sizeof(*k);
	/* what the kernel did not write stays 0 */
	memset((char *)k + k->size, 0, sizeof(*k) - k->size);
	return 0;
}

/**
 * wc_queue_geometry() - where q's chunks are in its pool
 * @q: a queue whose info (WIRECAP_CMD_INFO after ATTACH) is read
 *
 * Chunk k starts at k * chunk_bytes: the cells, then the chunk's spill
 * area (uapi MMAP LAYOUT). A kernel from before frames across cells
 * reports chunk_bytes 0: its chunks are M cells, nothing more.
 *
 * Return: 0, or -EPROTO for a geometry no chunk fits (chunk_bytes
 * smaller than its cells, cells no larger than frame_offset).
 */
int wc_queue_geometry(struct wirecap_queue *q)
{
	const struct wirecap_info *i = &q->info;
	uint64_t cells = (uint64_t)i->cells_per_chunk * i->cell_size;

	q->chunk_bytes = i->chunk_bytes ? i->chunk_bytes : cells;
	if (q->chunk_bytes < cells || i->cell_size <= i->frame_offset)
		return -EPROTO;
	return 0;
}

/* Open, ATTACH and map queue ring of NIC nic. 0 or -errno; undone. */
int wc_queue_open(struct wirecap *w, struct wc_nic *nic,
		  struct wirecap_queue *q, unsigned int ring)
{
	struct wirecap_attach a = {
		.size = sizeof(a),
		.cells_per_chunk = w->opts.cells_per_chunk,
		.nr_chunks = w->opts.nr_chunks,
		.cell_size = w->opts.cell_size,
	};
	char path[64];
	int ret;

	q->w = w;
	q->nic = nic;
	q->fd = -1;
	snprintf(path, sizeof(path), WIRECAP_DEV_DIR "/%s-q%u", nic->ifname,
		 ring);
	q->fd = open(path, O_RDWR | O_CLOEXEC);
	if (q->fd < 0) {
		ret = -errno;
		wc_log(w, WIRECAP_LOG_ERR, "open %s: %s", path, strerror(-ret));
		return ret;
	}
	ret = queue_info(q);
	if (ret)
		goto err_close;
	/*
	 * A kernel from before cell sizes (cell_sizes 0) has its one size
	 * and wants the field 0 (it was reserved): asking for that size is
	 * asking for the default.
	 */
	if (!q->info.cell_sizes && a.cell_size == q->info.cell_size)
		a.cell_size = 0;
	/* frames longer than a cell: read through the view index */
	if (q->info.features & WIRECAP_F_MULTI_CELL)
		a.flags |= WIRECAP_ATTACH_MULTI_CELL;
	/*
	 * The session's counters start here: the queue counts only while
	 * attached, so what it holds now is what it counted for sessions
	 * before ours, and every frame from our ATTACH on is ours. Taken
	 * after ATTACH, the baseline would swallow the frames that arrive
	 * before we get to it (a process stopped there, all of them).
	 */
	ret = queue_kstats(q, &q->base);
	if (ret)
		goto err_close;
	if (ioctl(q->fd, WIRECAP_CMD_ATTACH, &a)) {
		ret = -errno;
		wc_log(w, WIRECAP_LOG_ERR, "%s: ATTACH M=%u R=%u cell %u: %s",
		       path, a.cells_per_chunk, a.nr_chunks, a.cell_size,
		       strerror(-ret));
		goto err_close;
	}
	ret = queue_info(q);
	if (ret)
		goto err_detach;
	ret = wc_queue_geometry(q);
	if (!ret && q->info.pool_size < q->chunk_bytes * q->info.nr_chunks)
		ret = -EPROTO;
	if (ret) {
		wc_log(w, WIRECAP_LOG_ERR, "%s: pool geometry: chunk %zu bytes "
		       "(M=%u, cell %u), pool %llu bytes for R=%u", path,
		       q->chunk_bytes, q->info.cells_per_chunk,
		       q->info.cell_size,
		       (unsigned long long)q->info.pool_size,
		       q->info.nr_chunks);
		goto err_detach;
	}
	q->ctrl_len = q->info.ctrl_size;
	q->ctrl = mmap(NULL, q->ctrl_len, PROT_READ, MAP_SHARED, q->fd,
		       q->info.ctrl_offset);
	if (q->ctrl == MAP_FAILED) {
		ret = -errno;
		goto err_detach;
	}
	q->pool_len = q->info.pool_size;
	q->pool = mmap(NULL, q->pool_len, PROT_READ | PROT_WRITE, MAP_SHARED,
		       q->fd, q->info.pool_offset);
	if (q->pool == MAP_FAILED) {
		ret = -errno;
		goto err_unmap_ctrl;
	}
	q->hdr = q->ctrl;
	q->descs = (const void *)((const char *)q->ctrl + q->hdr->desc_offset);
	q->meta = (const void *)((const char *)q->ctrl + q->hdr->meta_offset);
	/* a fresh pool: nothing published yet, but do not assume it */
	q->head = __atomic_load_n(&q->hdr->desc_head, __ATOMIC_ACQUIRE);
	wc_log(w, WIRECAP_LOG_DEBUG, "%s: M=%u R=%u cell %u chunk %zu "
	       "max frame %u desc ring %u node %d", path,
	       q->info.cells_per_chunk, q->info.nr_chunks, q->info.cell_size,
	       q->chunk_bytes, q->info.max_frame, q->info.desc_ring_size,
	       q->info.numa_node);
	return 0;

err_unmap_ctrl:
	munmap(q->ctrl, q->ctrl_len);
err_detach:
	ioctl(q->fd, WIRECAP_CMD_DETACH);
err_close:
	close(q->fd);
	q->fd = -1;
	q->ctrl = NULL;
	q->pool = NULL;
	return ret;
}

static void lanes_free(struct wc_lanes *l)
{
	uint32_t i;

	for (i = 0; l->lane && i < l->nlanes; i++)
		wc_numa_free(l->lane[i].r.slots,
			     (size_t)l->size * l->lane[i].r.esize);
	free(l->lane);
	l->lane = NULL;
	l->nlanes = 0;
}

/* nlanes lanes of size descriptors; only those used[i] get slots. */
static int lanes_alloc(struct wc_lanes *l, uint32_t nlanes, const bool *used,
		       uint32_t size, int node)
{
	size_t esz = sizeof(struct wirecap_desc);
	uint32_t i;
	int ret;

	l->lane = aligned_alloc(WC_CACHELINE, nlanes * sizeof(*l->lane));
	if (!l->lane)
		return -ENOMEM;
	memset(l->lane, 0, nlanes * sizeof(*l->lane));
	l->nlanes = nlanes;
	l->size = size;
	for (i = 0; i < nlanes; i++) {
		void *slots;

		if (!used[i])
			continue;
		slots = wc_numa_alloc(size * esz, node);
		ret = slots ? wc_ring_init(&l->lane[i].r, slots, size, esz) :
			      -ENOMEM;
		if (ret) {
			wc_numa_free(slots, size * esz);
			lanes_free(l);
			return ret;
		}
	}
	return 0;
}

/*
 * The work-queue pair, on node; threads planned and buddy lists known.
 * Capture queue: a lane per capture thread that can put chunks into it
 * (this queue's, and in advanced mode those of queues that may offload
 * here), capq_size entries each. Recycle queue: a lane per queue whose
 * reader can release this queue's chunks (itself and its buddies), each
 * with room for every view of the pool that may be out at once: the
 * capture thread never lets more out (views_max, capture.c), so
 * releasing never finds a lane full. That is a full capture queue plus R
 * (R whole chunks is the whole pool; only partial views can be more),
 * independent of M: 16 bytes x (capq_size + R) per lane, not per cell.
 */
int wc_queue_rings(struct wirecap_queue *q, unsigned int capq_size, int node)
{
	uint64_t cells = (uint64_t)q->info.nr_chunks * q->info.cells_per_chunk;
	struct wirecap *w = q->w;
	unsigned int n = w->nt > w->nq ? w->nt : w->nq, i;
	bool *used = calloc(n, sizeof(*used));
	int ret = -ENOMEM;

	if (!used)
		return -ENOMEM;
	if (!capq_size)
		capq_size = roundup_pow2(2ull * q->info.nr_chunks);
	for (i = 0; i < w->nq; i++)
		if (wc_offload_may(w->queues[i], q))
			used[w->queues[i]->thread->index] = true;
	ret = lanes_alloc(&q->capq, w->nt, used, capq_size, node);
	if (ret)
		goto out;
	memset(used, 0, n * sizeof(*used));
	for (i = 0; i < w->nq; i++)
		used[i] = wc_offload_may(q, w->queues[i]);
	q->views_max = roundup_pow2((uint64_t)capq_size + q->info.nr_chunks);
	ret = lanes_alloc(&q->recq, w->nq, used, q->views_max, node);
	if (ret)
		goto out;
	q->rec_buf = calloc(WC_RECYCLE_BATCH, sizeof(*q->rec_buf));
	q->views = malloc((cells ? cells : 1) * sizeof(*q->views));
	ret = q->rec_buf && q->views ? 0 : -ENOMEM;
	/*
	 * Frames across cells (asked for whenever the NIC can): the views'
	 * packet index (internal.h). Even where frames fit a cell, a longer
	 * one the NIC still put in cells is one packet (ERROR) and CONT
	 * cells; otherwise a cell is a packet.
	 */
	if (!ret && (q->info.features & WIRECAP_F_MULTI_CELL)) {
		q->view_cell = calloc(cells ? cells : 1, sizeof(*q->view_cell));
		q->view_pkts = calloc(cells ? cells : 1, sizeof(*q->view_pkts));
		if (!q->view_cell || !q->view_pkts)
			ret = -ENOMEM;
	}
	for (i = 0; !ret && i < cells; i++)
		q->views[i] = WC_VIEW_DEAD;	/* "seq 0, released" */
	/* flow mode: its table, the views' holders and packet order */
	if (!ret && wc_flow(w))
		ret = wc_flow_alloc(q);
out:
	free(used);
	if (ret)
		wc_queue_free_rings(q);
	return ret;
}

void wc_queue_free_rings(struct wirecap_queue *q)
{
	lanes_free(&q->capq);
	lanes_free(&q->recq);
	free(q->rec_buf);
	q->rec_buf = NULL;
	free(q->views);
	q->views = NULL;
	free(q->view_cell);
	q->view_cell = NULL;
	free(q->view_pkts);
	q->view_pkts = NULL;
	wc_flow_free(q);
}

static int recycle_ioctl(struct wirecap_queue *q, const struct wirecap_desc *d,
			 unsigned int n)
{
	struct wirecap_recycle_cmd rc = { .descs = (uintptr_t)d, .count = n };
	int ret;

	if (!n)
		return 0;
	ret = ioctl(q->fd, WIRECAP_CMD_RECYCLE, &rc);
	if (ret < 0)
		return -errno;
	wc_add(&q->ts.recycled, ret);
	wc_add(&q->ts.refused, n - ret);
	return ret;
}

/* Batches records for recycle_ioctl. */
struct rec_batch {
	struct wirecap_desc d[WC_RECYCLE_BATCH];
	unsigned int n;
};

static void batch_add(struct wirecap_queue *q, struct rec_batch *b,
		      const struct wirecap_desc *d)
{
	b->d[b->n++] = *d;
	if (b->n == WC_RECYCLE_BATCH) {
		recycle_ioctl(q, b->d, b->n);
		b->n = 0;
	}
}

/*
 * Closing, threads stopped: a chunk read through queue q goes to its
 * owner's recycle queue, in q's lane.
 */
static void to_owner(struct wirecap_queue *q, const struct wirecap_desc *d)
{
	struct wirecap_queue *o = wc_owner(q->w, d);
	struct wc_ring *r;
	uint32_t idx;
	bool dup;

	if (!o || !wc_lane_used(&o->recq, q->index))
		return;		/* DETACH takes it */
	/* flow mode: the view's last holder gives it back */
	if (o->ft && !wc_flow_put(o, q, d, &dup))
		return;
	r = &o->recq.lane[q->index].r;
	if (wc_ring_reserve(r, 1, &idx)) {
		*(struct wirecap_desc *)wc_ring_slot(r, idx) = *d;
		wc_ring_submit(r, 1);
	}
}

/*
 * Closing, threads stopped, step 1: what the capture queue holds (and a
 * chunk dispatch was in the middle of) goes to its owners' recycle queues.
 */
void wc_queue_drain_capq(struct wirecap_queue *q)
{
	struct wc_lane *lane;
	uint32_t idx;

	if (q->cur.owner) {
		to_owner(q, &q->cur.desc);
		q->cur.owner = NULL;
	}
	/* flow mode: what q's thread held back for a new owner */
	wc_flow_drain(q);
	while ((lane = wc_lanes_peek(&q->capq, &q->capq_next, &idx))) {
		to_owner(q, wc_ring_slot(&lane->r, idx));
		wc_ring_release(&lane->r, 1);
	}
}

/*
 * Step 2: give back what the recycle queue holds (and a batch that never
 * left), and what the kernel published but never went into a capture
 * queue; views XMIT took are only counted (wc_rec_xmitted). Chunks the application still holds are not known here: DETACH
 * takes them. Returns the records the kernel took.
 */
int wc_queue_recycle_all(struct wirecap_queue *q)
{
	struct rec_batch *b = malloc(sizeof(*b));
	uint64_t before = q->ts.recycled;
	struct wc_lane *lane;
	uint32_t idx, i, tail;

	if (!b)
		return -ENOMEM;
	b->n = 0;
	for (i = 0; !q->rec_busy && i < q->rec_n; i++)
		batch_add(q, b, &q->rec_buf[i]);
	q->rec_n = 0;
	while ((lane = wc_lanes_peek(&q->recq, &q->recq_next, &idx))) {
		const struct wirecap_desc *d = wc_ring_slot(&lane->r, idx);

		if (wc_rec_xmitted(d))
			wc_add(&q->ts.xmitted, 1);	/* not ours to send */
		else
			batch_add(q, b, d);
		wc_ring_release(&lane->r, 1);
		wc_add(&q->ts.returned, 1);
	}
	tail = __atomic_load_n(&q->hdr->desc_tail, __ATOMIC_ACQUIRE);
	for (; q->head != tail; q->head++)
		batch_add(q, b, &q->descs[q->head &
					  (q->info.desc_ring_size - 1)]);
	recycle_ioctl(q, b->d, b->n);
	free(b);
	return (int)(q->ts.recycled - before);
}

/*
 * Give the queue back to the kernel and let go of its device: DETACH
 * (also cancels parked CAPTUREs), unmap, close. The work queues stay.
 */
void wc_queue_release_dev(struct wirecap_queue *q)
{
	if (q->fd >= 0)
		ioctl(q->fd, WIRECAP_CMD_DETACH);
	if (q->pool && q->pool != MAP_FAILED)
		munmap(q->pool, q->pool_len);
	if (q->ctrl && q->ctrl != MAP_FAILED)
		munmap(q->ctrl, q->ctrl_len);
	if (q->fd >= 0)
		close(q->fd);
	q->fd = -1;
	q->pool = NULL;
	q->ctrl = NULL;
	q->hdr = NULL;
	q->closed = true;
}

void wc_queue_close(struct wirecap_queue *q)
{
	wc_queue_release_dev(q);
	wc_queue_free_rings(q);
	free(q->buddies);
	q->buddies = NULL;
	free(q->spare);
	q->spare = NULL;
	q->nspare = 0;
	if (q->shared)
		pthread_spin_destroy(&q->lock);
	q->shared = false;
}

/*
 * Detaching q while the capture threads run, none of them moving chunks
 * into q any more (wirecap_queue_detach made sure), in the role of q's
 * reader: what waits in q's capture queue goes to its owners' recycle
 * queues, in q's lane (q's reader is that lane's producer), and each
 * owner's thread is woken to send it back.
 */
void wc_queue_return_capq(struct wirecap_queue *q)
{
	struct wc_lane *lane;
	uint32_t idx, ridx;

	while ((lane = wc_lanes_peek(&q->capq, &q->capq_next, &idx))) {
		const struct wirecap_desc *slot = wc_ring_slot(&lane->r, idx);
		struct wirecap_desc d = *slot;
		struct wirecap_queue *o = wc_owner(q->w, &d);
		struct wc_ring *r;
		bool dup;

		wc_ring_release(&lane->r, 1);
		if (!o || !wc_lane_used(&o->recq, q->index))
			continue;
		/*
		 * Flow mode: a buddy's share unread is lost; the view's last
		 * holder gives it back.
		 */
		if (o->ft && o != q)
			wc_flow_unread(o, q, &d);
		if (o->ft && !wc_flow_put(o, q, &d, &dup))
			continue;
		r = &o->recq.lane[q->index].r;
		/* never full (views_max); should it be, the thread drains it */
		while (!wc_ring_reserve(r, 1, &ridx)) {
			wc_kick(&o->thread->kick);
			sched_yield();
		}
		*(struct wirecap_desc *)wc_ring_slot(r, ridx) = d;
		wc_ring_submit(r, 1);
		wc_kick(&o->thread->kick);
	}
}

WC_EXPORT
int wirecap_queue_stats(struct wirecap_queue *q, struct wirecap_qstats *st)
{
	struct wirecap_qstats s;
	struct wc_kcounters k;
	uint64_t idle, since, now;
	size_t sz;
	int ret;

	if (!q || !st || st->sz < sizeof(st->sz))
		return -EINVAL;
	if (__atomic_load_n(&q->detached, __ATOMIC_ACQUIRE))
		return -ESHUTDOWN;	/* its device may be closed */
	sz = st->sz < sizeof(s) ? st->sz : sizeof(s);
	ret = queue_kstats(q, &k);
	if (ret)
		return ret;
	memset(&s, 0, sizeof(s));
	s.sz = sz;
	/* the first twelve, as kernel ABI v1 had them */
	s.kernel.size = k.size < sizeof(s.kernel) ? k.size : sizeof(s.kernel);
	/* since this session attached: subtract what was there before */
#define SINCE(f) (k.f - q->base.f)
	s.kernel.received = SINCE(received);
	s.kernel.capture_drops = SINCE(capture_drops);
	s.kernel.oversize_drops = SINCE(oversize_drops);
	s.kernel.delivered = SINCE(delivered);
	s.kernel.chunks_captured = SINCE(chunks_captured);
	s.kernel.partial_views = SINCE(partial_views);
	s.kernel.chunks_recycled = SINCE(chunks_recycled);
	s.kernel.recycle_refused = SINCE(recycle_refused);
	s.kernel.segment_waits = SINCE(segment_waits);
	s.kernel.pool_high_water = k.pool_high_water;
	s.kernel.captures_parked = SINCE(captures_parked);
	s.kernel.capture_timeouts = SINCE(capture_timeouts);
	s.kernel_rx_errors = SINCE(rx_errors);
	s.kernel_xmit_sent = SINCE(xmit_sent);
	s.kernel_xmit_completed = SINCE(xmit_completed);
	s.kernel_xmit_refused = SINCE(xmit_refused);
	s.kernel_xmit_dropped = SINCE(xmit_dropped);
#undef SINCE
	s.chunks_free = __atomic_load_n(&q->hdr->chunks_free, __ATOMIC_RELAXED);
	s.capq_len = wc_lanes_count(&q->capq);
	s.recq_len = wc_lanes_count(&q->recq);
	s.capq_size = q->capq.size;
	s.captures = wc_read(&q->ts.captures);
	s.chunks_captured = wc_read(&q->ts.captured);
	s.capq_full = wc_read(&q->ts.capq_full);
	s.chunks_delivered = wc_read(&q->as.delivered);
	s.pkts_delivered = wc_read(&q->as.pkts);
	s.chunks_released = wc_read(&q->as.released);
	s.chunks_recycled = wc_read(&q->ts.recycled);
	s.recycle_refused = wc_read(&q->ts.refused);
	s.app_sleeps = wc_read(&q->as.sleeps);
	s.chunks_offloaded_out = wc_read(&q->ts.offl_out);
	s.pkts_offloaded_out = wc_read(&q->ts.offl_out_pkts);
	s.chunks_offloaded_in = wc_read(&q->as.offl_in);
	s.pkts_offloaded_in = wc_read(&q->as.offl_in_pkts);
	s.dup_releases = wc_read(&q->as.dup_releases);
	s.chunks_xmitted = wc_read(&q->ts.xmitted);
	if (q->ft) {
		s.flows_migrated = wc_read(&q->ft->moved);
		s.flow_migrations = wc_read(&q->ft->rounds);
		s.flow_lost = wc_read(&q->ft->lost_pkts) +
			      __atomic_load_n(&q->ft->lost_unread,
					      __ATOMIC_RELAXED);
		s.flow_views_held = wc_read(&q->ft->held);
		s.flow_views_held_max = wc_read(&q->ft->held_max);
		s.flow_barrier_views = wc_read(&q->ft->bar_views);
		s.flow_views_split = wc_read(&q->ft->stolen);
	}
	/*
	 * The spell going on now too, as offload.c counts it; a spell that
	 * ends between the loads is retried, not counted twice (the total
	 * would go back at the next call).
	 */
	do {
		idle = __atomic_load_n(&q->idle_ns, __ATOMIC_ACQUIRE);
		since = __atomic_load_n(&q->idle_since, __ATOMIC_ACQUIRE);
	} while (__atomic_load_n(&q->idle_ns, __ATOMIC_ACQUIRE) != idle);
	now = wc_coarse_ns();
	s.app_idle_ns = idle + (since && since < now ? now - since : 0);
	s.chunks_kept_no_spare = wc_read(&q->ts.offl_no_spare);
	memcpy(st, &s, sz);
	return 0;
}
