// SPDX-License-Identifier: GPL-2.0
/*
 * WC_HAVE_VQ_RESET: virtqueue_reset(vq, recycle, recycle_done) resets one
 * virtqueue and hands back its buffers. virtqueue_reset() came in 6.8 with
 * (vq, recycle) only; 6.13 added recycle_done (backported to stable 6.12).
 * compat.h calls the three-argument form, so only that counts here: a
 * kernel with the two-argument form uses the virtqueue_resize() fallback.
 */
#include <linux/virtio.h>

static int (*const wc_probe)(struct virtqueue *,
			     void (*)(struct virtqueue *, void *),
			     void (*)(struct virtqueue *))
	__maybe_unused = virtqueue_reset;
