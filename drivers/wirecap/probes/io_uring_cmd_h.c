// SPDX-License-Identifier: GPL-2.0
/*
 * WC_HAVE_IO_URING_CMD_H: <linux/io_uring/cmd.h> declares struct
 * io_uring_cmd. After 6.1 the driver-facing command API moved out of
 * <linux/io_uring.h> into this header of its own, and the old header no
 * longer declares it; compat.h includes whichever this probe says.
 */
#include <linux/io_uring/cmd.h>

static u32 __maybe_unused wc_probe(const struct io_uring_cmd *cmd)
{
	return cmd->cmd_op;
}
