// SPDX-License-Identifier: GPL-2.0
/*
 * WC_HAVE_CMD_CANCELABLE: a parked command can be marked cancelable
 * (io_uring_cmd_mark_cancelable(cmd, issue_flags)) and is then issued
 * again with IO_URING_F_CANCEL when its ring or task exits. Both came in
 * 6.7; before, compat.h bounds parked commands by their timeout instead.
 */
#include "io_uring_cmd.h"

static void (*const wc_probe_mark)(struct io_uring_cmd *, unsigned int)
	__maybe_unused = io_uring_cmd_mark_cancelable;
static const unsigned int wc_probe_flag __maybe_unused = IO_URING_F_CANCEL;
