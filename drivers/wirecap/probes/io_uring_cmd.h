/* SPDX-License-Identifier: GPL-2.0 */
/*
 * struct io_uring_cmd and its helpers, wherever this kernel declares them:
 * <linux/io_uring.h> in 6.1, their own <linux/io_uring/cmd.h> later (the
 * probe io_uring_cmd_h.c tells compat.h which). Shared by the probes of
 * the io_uring command API so that each tests only its own feature.
 */
#ifndef _WC_PROBE_IO_URING_CMD_H
#define _WC_PROBE_IO_URING_CMD_H

#if __has_include(<linux/io_uring/cmd.h>)
#include <linux/io_uring/cmd.h>
#else
#include <linux/io_uring.h>
#endif

#endif /* _WC_PROBE_IO_URING_CMD_H */
