// SPDX-License-Identifier: GPL-2.0
/*
 * WC_HAVE_CONST_DEVNODE: struct class's devnode callback takes a
 * const struct device * (6.2 made it const; 6.1 passes a plain pointer).
 * wirecap.ko's devnode callback is declared with WC_DEVNODE_CONST, so it
 * must match exactly: the initializer below fails (-Werror) on a kernel
 * whose member has the other type.
 */
#include <linux/device.h>

static char *wc_probe_devnode(const struct device *dev, umode_t *mode)
{
	return NULL;
}

static struct class wc_probe_class __maybe_unused = {
	.name = "wc_probe",
	.devnode = wc_probe_devnode,
};
