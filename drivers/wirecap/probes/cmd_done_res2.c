// SPDX-License-Identifier: GPL-2.0
/*
 * WC_HAVE_CMD_DONE_RES2: io_uring_cmd_done() takes four arguments,
 * (cmd, ret, res2, issue_flags). Upstream 6.1 took three (cmd, ret,
 * res2), Debian's 6.1 has the 6.3 four-argument form backported, and
 * 6.18 dropped res2 again (cmd, ret, issue_flags; res2 moved to
 * io_uring_cmd_done32()). The types of ret and res2 also moved (ssize_t,
 * s32, u64) within the four-argument form, so this probe makes the very
 * call compat.h's wc_cmd_done() makes, with arguments of its types:
 * a wrong number of arguments, or a parameter they do not convert to
 * (a pointer), fails (-Werror).
 */
#include "io_uring_cmd.h"

static void __maybe_unused wc_probe(struct io_uring_cmd *cmd, s32 res,
				    unsigned int issue_flags)
{
	u64 res2 = 0;

	io_uring_cmd_done(cmd, res, res2, issue_flags);
}
