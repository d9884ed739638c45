// SPDX-License-Identifier: GPL-2.0
/*
 * WC_HAVE_VQ_INFO: virtio_find_vqs() takes an array of
 * struct virtqueue_info (name, callback) instead of parallel arrays of
 * callbacks and names, as from 6.11. The call is the one compat.h's
 * wc_virtio_find_vqs() makes: with the older signature it has too few
 * arguments.
 */
#include <linux/virtio_config.h>

static int __maybe_unused wc_probe(struct virtio_device *vdev,
				   struct virtqueue **vqs, vq_callback_t *cb)
{
	struct virtqueue_info info[] = {
		{ .name = "wc_probe", .callback = cb },
	};

	return virtio_find_vqs(vdev, 1, vqs, info, NULL);
}
