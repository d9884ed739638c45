// SPDX-License-Identifier: GPL-2.0
/*
 * WC_HAVE_CMD_SQE: struct io_uring_cmd points at the whole SQE
 * (const struct io_uring_sqe *sqe) and io_uring_sqe_cmd() returns its
 * payload. 6.1 gives a driver only the payload (const void *cmd) and no
 * SQE at all; compat.h's wc_cmd_payload() and wc_cmd_sqe_extra() read
 * through cmd->sqe when this compiles.
 *
 * The member's address is taken with its exact type, so a member of that
 * name but of another type fails too (-Werror).
 */
#include "io_uring_cmd.h"

static __maybe_unused const void *wc_probe(const struct io_uring_cmd *cmd)
{
	const struct io_uring_sqe *const *sqe = &cmd->sqe;

	if (READ_ONCE((*sqe)->addr) || READ_ONCE((*sqe)->len) ||
	    READ_ONCE((*sqe)->buf_index))
		return NULL;
	return io_uring_sqe_cmd(*sqe);
}
