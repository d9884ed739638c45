// SPDX-License-Identifier: GPL-2.0
/*
 * The software NIC's transmit side for XMIT: a "wire" that holds the cells
 * XMIT gave it, in order, until a test reads them from debugfs
 * (<ifname>/wire). Reading is sending: each frame is copied out of its
 * pool cell then, and only then is the cell given back to wirecap.ko,
 * so a test sees the frames exactly as the NIC would have put them on a
 * wire, and cells stay out for as long as it waits (a slow NIC). The wire
 * holds ring_size cells; XMIT beyond that is the NIC's TX drop.
 */
#include <linux/uaccess.h>
#include <linux/wirecap_softnic.h>

#include "softnic.h"

int softnic_wire_init(struct softnic_wire *w, u32 size)
{
	spin_lock_init(&w->lock);
	w->size = size;
	w->cells = kvcalloc(size, sizeof(*w->cells), GFP_KERNEL);
	return w->cells ? 0 : -ENOMEM;
}

/* ->xmit: keep what fits, in order. */
unsigned int softnic_xmit_cells(struct wirecap_nic *nic, u32 ring,
				const struct wirecap_tx_cell *cells,
				unsigned int n)
{
	struct softnic *sn = wirecap_nic_priv(nic);
	struct softnic_wire *w = &sn->wire;
	unsigned int i;

	spin_lock(&w->lock);
	if (w->closed)
		n = 0;
	n = min(n, w->size - (w->tail - w->head));
	for (i = 0; i < n; i++)
		w->cells[(w->tail + i) % w->size] = cells[i];
	w->tail += n;
	spin_unlock(&w->lock);
	return n;
}

/* The oldest cell on the wire, taken off it; false when there is none. */
static bool wire_pop(struct softnic_wire *w, struct wirecap_tx_cell *c)
{
	bool any;

	spin_lock_bh(&w->lock);
	any = w->head != w->tail;
	if (any)
		*c = w->cells[w->head++ % w->size];
	spin_unlock_bh(&w->lock);
	return any;
}

/*
 * No more cells: give back those on the wire unsent, before the NIC leaves
 * wirecap.ko (wirecap_nic.h).
 */
void softnic_wire_close(struct softnic_wire *w)
{
	struct wirecap_tx_cell c;

	spin_lock_bh(&w->lock);
	w->closed = true;
	spin_unlock_bh(&w->lock);
	while (wire_pop(w, &c))
		wirecap_tx_done(&c.ref);
}

void softnic_wire_free(struct softnic_wire *w)
{
	kvfree(w->cells);
}

/*
 * read(): whole records (a __u32 length, the frame, zeroes to a multiple
 * of 4 bytes) while they fit; 0 when the wire is empty (or the first
 * record does not fit: a buffer of 4 + cell size always holds one).
 */
static ssize_t wire_read(struct file *file, char __user *ubuf, size_t len,
			 loff_t *ppos)
{
	struct softnic *sn = file->private_data;
	struct softnic_wire *w = &sn->wire;
	struct wirecap_tx_cell c;
	size_t done = 0;

	for (;;) {
		size_t rec = 0;

		/* look and take in one go: readers may race */
		spin_lock_bh(&w->lock);
		if (w->head != w->tail) {
			c = w->cells[w->head % w->size];
			rec = sizeof(u32) + ALIGN(c.len, 4);
			if (done + rec <= len) {
				w->head++;
				w->sent++;
			} else {
				rec = 0;
			}
		}
		spin_unlock_bh(&w->lock);
		if (!rec)
			break;
		if (put_user(c.len, (u32 __user *)(ubuf + done)) ||
		    copy_to_user(ubuf + done + sizeof(u32), c.addr, c.len) ||
		    clear_user(ubuf + done + sizeof(u32) + c.len,
			       rec - sizeof(u32) - c.len)) {
			wirecap_tx_done(&c.ref);
			return done ?: -EFAULT;
		}
		wirecap_tx_done(&c.ref);
		done += rec;
	}
	return done;
}

static int wire_open(struct inode *inode, struct file *file)
{
	file->private_data = inode->i_private;
	return nonseekable_open(inode, file);
}

const struct file_operations softnic_wire_fops = {
	.owner = THIS_MODULE,
	.open = wire_open,
	.read = wire_read,
	.llseek = noop_llseek,
};
