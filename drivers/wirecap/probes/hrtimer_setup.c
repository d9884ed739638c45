// SPDX-License-Identifier: GPL-2.0
/*
 * WC_HAVE_HRTIMER_SETUP: hrtimer_setup(timer, function, clock, mode)
 * initializes a timer with its callback in one call. It came in 6.13 and
 * later kernels drop hrtimer_init() and the callback assignment it needed;
 * compat.h's wc_hrtimer_setup() uses whichever exists.
 */
#include <linux/hrtimer.h>

static void (*const wc_probe)(struct hrtimer *,
			      enum hrtimer_restart (*)(struct hrtimer *),
			      clockid_t, enum hrtimer_mode)
	__maybe_unused = hrtimer_setup;
