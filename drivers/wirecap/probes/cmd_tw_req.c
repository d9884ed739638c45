// SPDX-License-Identifier: GPL-2.0
/*
 * WC_HAVE_CMD_TW_REQ: task-work callbacks of io_uring_cmd_complete_in_task()
 * receive (struct io_tw_req, io_tw_token_t) and find their command with
 * io_uring_cmd_from_tw(), as in 6.19; before, they received
 * (struct io_uring_cmd *, unsigned int issue_flags). The callback here has
 * the shape compat.h's WC_TW_FN() gives it, and is passed where capture.c
 * passes its own: a callback of the other type fails (-Werror).
 */
#include "io_uring_cmd.h"

static void wc_probe_body(struct io_uring_cmd *cmd, unsigned int issue_flags)
{
}

static void wc_probe_tw(struct io_tw_req tw_req, io_tw_token_t tw)
{
	wc_probe_body(io_uring_cmd_from_tw(tw_req),
		      IO_URING_CMD_TASK_WORK_ISSUE_FLAGS);
}

static void __maybe_unused wc_probe(struct io_uring_cmd *cmd)
{
	io_uring_cmd_complete_in_task(cmd, wc_probe_tw);
}
