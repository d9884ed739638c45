// SPDX-License-Identifier: BSD-2-Clause
/*
 * Transmit: chunks the application holds go out of a NIC zero copy
 * (WIRECAP_CMD_XMIT), and frames that are in no pool go out copied
 * through the kernel's own transmit path (an AF_PACKET socket).
 *
 * A chunk given to wirecap_xmit() is consumed like a released one: its
 * view is claimed once (wc_chunk_claim, the stamp in views[] that release
 * uses), and the kernel, which has the view from the first record naming
 * it, takes it back into the pool by itself once the NIC sent its cells.
 * Nothing is RECYCLEd for it, but its owner's capture thread must still
 * count it back, or the views it lets out (views_left, capture.c) would
 * run out after views_max of them: so a record goes through the owner's
 * recycle queue as for a release, with pkt_count 0 (wc_rec_xmitted),
 * which the thread counts and does not send. When a command fails as a
 * whole, the kernel did not take its views: they go back as ordinary
 * RECYCLE records instead.
 *
 * XMIT is issued on the queue whose pool holds the view (the kernel
 * checks it as RECYCLE does): records are grouped by owner, and a chunk
 * offloaded from a buddy goes out on the buddy's fd. The output is
 * another file: tx_fd, an open queue device of the NIC to send out of
 * (struct wirecap_out), or -1 for the owner's own NIC.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <netpacket/packet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "internal.h"

#define WC_XMIT_STACK	64	/* packets a call handles without malloc */

struct wirecap_out {
	int fd;			/* the queue device; -1: copies only */
	int sock;		/* wirecap_out_send's socket, -1 until its
				 * first call (atomic: any thread makes it) */
	int ifindex;
	struct wirecap_info info;
	char ifname[WIRECAP_IFNAMSIZ];
};

WC_EXPORT
struct wirecap_out *wirecap_out_open(const char *ifname, unsigned int ring)
{
	struct wirecap_out *o;
	char path[64];
	int ret;

	if (!ifname || !*ifname || strlen(ifname) >= WIRECAP_IFNAMSIZ ||
	    strchr(ifname, '/')) {
		errno = EINVAL;
		return NULL;
	}
	o = calloc(1, sizeof(*o));
	if (!o)
		return NULL;
	o->fd = -1;
	o->sock = -1;
	strcpy(o->ifname, ifname);
	o->ifindex = (int)if_nametoindex(ifname);
	if (!o->ifindex) {
		ret = -ENODEV;
		goto err;
	}
	if (ring == WIRECAP_OUT_COPY)
		return o;
	snprintf(path, sizeof(path), WIRECAP_DEV_DIR "/%s-q%u", ifname, ring);
	o->fd = open(path, O_RDWR | O_CLOEXEC);
	if (o->fd < 0) {
		ret = -errno;
		goto err;
	}
	o->info.size = sizeof(o->info);
	if (ioctl(o->fd, WIRECAP_CMD_INFO, &o->info)) {
		ret = -errno;
		goto err_close;
	}
	if (o->info.abi_version != WIRECAP_ABI_VERSION) {
		ret = -EPROTO;
		goto err_close;
	}
	if (!(o->info.features & WIRECAP_F_XMIT)) {
		ret = -EOPNOTSUPP;
		goto err_close;
	}
	return o;

err_close:
	close(o->fd);
err:
	free(o);
	errno = -ret;
	return NULL;
}

WC_EXPORT
void wirecap_out_close(struct wirecap_out *o)
{
	if (!o)
		return;
	if (o->fd >= 0)
		close(o->fd);
	if (o->sock >= 0)
		close(o->sock);
	free(o);
}

WC_EXPORT
const struct wirecap_info *wirecap_out_info(const struct wirecap_out *o)
{
	if (!o || o->fd < 0) {
		errno = o ? EOPNOTSUPP : EINVAL;
		return NULL;
	}
	return &o->info;
}

/* --- zero copy ------------------------------------------------------------ */

/* The packets of one chunk: a run of pkts[]. */
struct xrun {
	struct wirecap_chunk *c;
	struct wirecap_queue *owner;	/* its pool's; NULL: nothing to send */
	struct wirecap_queue *via;	/* the queue it was read from */
	struct wirecap_desc desc;
	uint32_t first, count;		/* pkts[first .. first + count) */
	uint32_t cmd;			/* the command that sends it; 0: none
					 * yet */
};

/* Does packet i of the view d of q's pool span cells? */
static bool xmit_spans(const struct wirecap_queue *q,
		       const struct wirecap_desc *d, unsigned int i)
{
	size_t cell = (size_t)d->chunk_id * q->info.cells_per_chunk +
		      wc_view_cell(q, d, i);

	return q->view_cell && (q->meta[cell].flags & WIRECAP_CELL_MORE);
}

/*
 * pkts[] as runs of one chunk each, checked: every chunk held, every
 * index and length in range, no run longer than a command. The number of
 * runs, or -EINVAL (nothing done).
 */
static int xmit_runs(const struct wirecap_xmit_pkt *pkts, unsigned int n,
		     struct xrun *runs)
{
	unsigned int i, nr = 0;

	for (i = 0; i < n; i++) {
		const struct wirecap_xmit_pkt *p = &pkts[i];
		struct wirecap_chunk *c = p->chunk;
		const struct wirecap_info *info;
		struct xrun *r;

		if (!nr || runs[nr - 1].c != c) {
			if (!c || !c->owner || !c->queue)
				return -EINVAL;
			/*
			 * Flow mode: other readers may hold the view, which
			 * XMIT would give the kernel. Not done.
			 */
			if (c->owner->ft)
				return -EOPNOTSUPP;
			runs[nr++] = (struct xrun){
				.c = c, .owner = c->owner, .via = c->queue,
				.desc = c->desc, .first = i,
			};
		}
		r = &runs[nr - 1];
		info = &r->owner->info;
		if (p->index >= wc_view_count(r->owner, &r->desc))
			return -EINVAL;
		/* XMIT sends one cell: not a frame across cells, yet */
		if (xmit_spans(r->owner, &r->desc, p->index))
			return -EMSGSIZE;
		if (p->len < WIRECAP_XMIT_MIN_LEN ||
		    p->len > info->cell_size - info->frame_offset ||
		    ++r->count > WIRECAP_XMIT_MAX)
			return -EINVAL;
	}
	return (int)nr;
}

/*
 * One WIRECAP_CMD_XMIT of owner's: the k records in recs, of the runs
 * marked cmd. Then each of those views goes to owner's recycle queue:
 * counted back only if the kernel took it, as a RECYCLE record if the
 * command failed as a whole. The packets sent, or -errno.
 */
static int xmit_cmd(struct wirecap_out *o, struct wirecap_queue *owner,
		    const struct wirecap_xmit_rec *recs, unsigned int k,
		    struct xrun *runs, unsigned int nr, uint32_t cmd)
{
	struct wirecap_xmit_cmd xc = {
		.recs = (uintptr_t)recs, .count = (uint16_t)k,
		.tx_fd = o ? o->fd : -1,
	};
	unsigned int j;
	int ret;

	ret = ioctl(owner->fd, WIRECAP_CMD_XMIT, &xc);
	if (ret < 0)
		ret = -errno;
	for (j = 0; j < nr; j++) {
		struct wirecap_desc d = runs[j].desc;

		if (runs[j].cmd != cmd)
			continue;
		if (ret >= 0)
			d.pkt_count = 0;	/* wc_rec_xmitted() */
		wc_chunk_return(owner, runs[j].via, &d, ret < 0);
	}
	return ret;
}

WC_EXPORT
int wirecap_xmit(struct wirecap_out *o, const struct wirecap_xmit_pkt *pkts,
		 unsigned int n)
{
	struct wirecap_xmit_rec stack_recs[WC_XMIT_STACK], *recs = stack_recs;
	struct xrun stack_runs[WC_XMIT_STACK], *runs = stack_runs;
	unsigned int cap = n < WIRECAP_XMIT_MAX ? n : WIRECAP_XMIT_MAX;
	unsigned int i, j, k, p;
	int nr, ret, sent = 0, err = 0;
	uint32_t cmd = 0;

	if (!pkts && n)
		return -EINVAL;
	if (o && o->fd < 0)
		return -EOPNOTSUPP;
	if (!n)
		return 0;
	if (n > WC_XMIT_STACK) {
		runs = malloc(n * sizeof(*runs));
		recs = malloc(cap * sizeof(*recs));
		if (!runs || !recs) {
			ret = -ENOMEM;
			goto out;
		}
	}
	nr = xmit_runs(pkts, n, runs);
	if (nr < 0) {
		ret = nr;
		goto out;
	}
	/*
	 * Claim every view: from here each chunk is consumed. A chunk named
	 * again after other chunks was consumed by its first run.
	 */
	for (i = 0; i < (unsigned int)nr; i++)
		runs[i].owner = runs[i].c->owner ?
				wc_chunk_claim(runs[i].c) : NULL;

	/* one pool at a time, its runs in order, commands of <= cap */
	for (i = 0; i < (unsigned int)nr; i++) {
		struct wirecap_queue *owner = runs[i].owner;

		if (!owner || runs[i].cmd)
			continue;
		k = 0;
		cmd++;
		for (j = i; j < (unsigned int)nr; j++) {
			struct xrun *r = &runs[j];

			if (r->owner != owner || r->cmd)
				continue;
			/* a view's records never span two commands */
			if (k + r->count > cap) {
				ret = xmit_cmd(o, owner, recs, k, runs, nr,
					       cmd);
				if (ret > 0)
					sent += ret;
				else if (ret < 0 && !err)
					err = ret;
				k = 0;
				cmd++;
			}
			/* the kernel names cells of the view, we packets */
			for (p = r->first; p < r->first + r->count; p++)
				recs[k++] = (struct wirecap_xmit_rec){
					.view = r->desc,
					.cell = (uint16_t)(wc_view_cell(owner,
						&r->desc, pkts[p].index) -
						r->desc.first_cell),
					.len = (uint16_t)pkts[p].len,
				};
			r->cmd = cmd;
		}
		ret = xmit_cmd(o, owner, recs, k, runs, nr, cmd);
		if (ret > 0)
			sent += ret;
		else if (ret < 0 && !err)
			err = ret;
	}
	ret = sent ? sent : err;
out:
	if (runs != stack_runs) {
		free(runs);
		free(recs);
	}
	return ret;
}

/* --- one copy ------------------------------------------------------------- */

/*
 * o's AF_PACKET socket, made on the first call: protocol 0, so that it
 * receives nothing; bound to the NIC, so that a send needs no address.
 * The fd, or -errno. Any thread: the first to publish its socket wins.
 */
static int out_sock(struct wirecap_out *o)
{
	struct sockaddr_ll sll = {
		.sll_family = AF_PACKET, .sll_ifindex = o->ifindex,
	};
	/* acquire: pairs with the release that published it */
	int s = __atomic_load_n(&o->sock, __ATOMIC_ACQUIRE), fresh, ret;
	int none = -1;

	if (s >= 0)
		return s;
	fresh = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, 0);
	if (fresh < 0)
		return -errno;
	if (bind(fresh, (struct sockaddr *)&sll, sizeof(sll))) {
		ret = -errno;
		close(fresh);
		return ret;
	}
	if (__atomic_compare_exchange_n(&o->sock, &none, fresh, false,
					__ATOMIC_RELEASE, __ATOMIC_ACQUIRE))
		return fresh;
	close(fresh);		/* another thread's is there */
	return none;
}

WC_EXPORT
int wirecap_out_send(struct wirecap_out *o, const void *frame, size_t len)
{
	ssize_t n;
	int s;

	if (!o || (!frame && len))
		return -EINVAL;
	if (len > 0x7fffffff)
		return -EMSGSIZE;
	s = out_sock(o);
	if (s < 0)
		return s;
	n = send(s, frame, len, 0);
	return n < 0 ? -errno : (int)n;
}
