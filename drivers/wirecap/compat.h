/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Every kernel-version difference wirecap.ko meets lives here, decided by
 * the header probes of gen-compat.sh (compat_gen.h), never by version
 * numbers. Covered: Debian 6.1 (backported 4-argument io_uring_cmd_done)
 * and 6.12 are built and run in CI; 6.18 (3-argument done) and 6.19
 * (task-work callbacks get a struct io_tw_req) are written to the notes but
 * not compiled here.
 */
#ifndef _WIRECAP_COMPAT_H
#define _WIRECAP_COMPAT_H

#include <linux/device.h>
#include <linux/hrtimer.h>
#include <linux/mm.h>
#include "compat_gen.h"

#ifdef WC_HAVE_IO_URING_CMD_H
#include <linux/io_uring/cmd.h>
#else
#include <linux/io_uring.h>
#endif

/* The 16-byte command payload of a plain SQE. */
static inline const void *wc_cmd_payload(const struct io_uring_cmd *cmd)
{
#ifdef WC_HAVE_CMD_SQE
	return io_uring_sqe_cmd(cmd->sqe);
#else
	return cmd->cmd;
#endif
}

/*
 * Does the SQE carry anything outside the payload (addr, len, buf_index,
 * the fixed-buffer flag)? Before 6.4 a driver sees no SQE, only the
 * payload and the flags.
 */
static inline bool wc_cmd_sqe_extra(const struct io_uring_cmd *cmd)
{
	if (cmd->flags & IORING_URING_CMD_FIXED)
		return true;
#ifdef WC_HAVE_CMD_SQE
	if (READ_ONCE(cmd->sqe->addr) || READ_ONCE(cmd->sqe->len) ||
	    READ_ONCE(cmd->sqe->buf_index))
		return true;
#endif
	return false;
}

static inline void wc_cmd_done(struct io_uring_cmd *cmd, s32 res,
			       unsigned int issue_flags)
{
#ifdef WC_HAVE_CMD_DONE_RES2
	io_uring_cmd_done(cmd, res, 0, issue_flags);
#else
	io_uring_cmd_done(cmd, res, issue_flags);
#endif
}

/*
 * Cancelation of parked commands at ring or task exit exists from 6.7.
 * Before that, parked commands are bounded by their capped timeout.
 */
#ifdef WC_HAVE_CMD_CANCELABLE
#define WC_CAN_CANCEL	true
static inline void wc_cmd_mark_cancelable(struct io_uring_cmd *cmd,
					  unsigned int issue_flags)
{
	io_uring_cmd_mark_cancelable(cmd, issue_flags);
}

static inline bool wc_cmd_is_cancel(unsigned int issue_flags)
{
	return issue_flags & IO_URING_F_CANCEL;
}
#else
#define WC_CAN_CANCEL	false
static inline void wc_cmd_mark_cancelable(struct io_uring_cmd *cmd,
					  unsigned int issue_flags)
{
}

static inline bool wc_cmd_is_cancel(unsigned int issue_flags)
{
	return false;
}
#endif

/*
 * Task-work completion. WC_TW_FN(name) defines a callback whose body sees
 * (struct io_uring_cmd *cmd, unsigned int issue_flags).
 */
#ifdef WC_HAVE_CMD_TW_REQ
#define WC_TW_FN(name)							\
	static void name##_body(struct io_uring_cmd *cmd,		\
				unsigned int issue_flags);		\
	static void name(struct io_tw_req tw_req, io_tw_token_t tw)	\
	{								\
		name##_body(io_uring_cmd_from_tw(tw_req),		\
			    IO_URING_CMD_TASK_WORK_ISSUE_FLAGS);	\
	}								\
	static void name##_body(struct io_uring_cmd *cmd,		\
				unsigned int issue_flags)
#else
#define WC_TW_FN(name)							\
	static void name(struct io_uring_cmd *cmd, unsigned int issue_flags)
#endif

#ifdef WC_HAVE_CONST_DEVNODE
#define WC_DEVNODE_CONST const
#else
#define WC_DEVNODE_CONST
#endif

static inline void wc_vm_flags_set(struct vm_area_struct *vma, unsigned long f)
{
#ifdef WC_HAVE_VM_FLAGS_SET
	vm_flags_set(vma, f);
#else
	vma->vm_flags |= f;
#endif
}

static inline void wc_vm_flags_clear(struct vm_area_struct *vma,
				     unsigned long f)
{
#ifdef WC_HAVE_VM_FLAGS_SET
	vm_flags_clear(vma, f);
#else
	vma->vm_flags &= ~f;
#endif
}

static inline void wc_hrtimer_setup(struct hrtimer *t,
				    enum hrtimer_restart (*fn)(struct hrtimer *),
				    clockid_t clock, enum hrtimer_mode mode)
{
#ifdef WC_HAVE_HRTIMER_SETUP
	hrtimer_setup(t, fn, clock, mode);
#else
	hrtimer_init(t, clock, mode);
	t->function = fn;
#endif
}

/*
 * virtio (wirecap_virtio.ko). Only that driver includes <linux/virtio*.h>,
 * so these wrappers are macros that expand where it uses them.
 */
/*
 * Reset one virtqueue, handing every posted buffer to @recycle. 6.8 added
 * virtqueue_reset(); before it, virtqueue_resize() resets the queue, but
 * only when the size changes, so 6.1 resizes down and back up.
 */
#if defined(WC_HAVE_VQ_RESET)
#define wc_virtqueue_reclaim(vq, num, recycle) \
	virtqueue_reset(vq, recycle, NULL)
#else
#define wc_virtqueue_reclaim(vq, num, recycle)				\
({									\
	int __ret = virtqueue_resize(vq, (num) / 2, recycle);		\
									\
	if (!__ret)							\
		__ret = virtqueue_resize(vq, num, recycle);		\
	__ret;								\
})
#endif

/* find_vqs from parallel name/callback arrays (6.11 made them a struct) */
#ifdef WC_HAVE_VQ_INFO
#define wc_virtio_find_vqs(vdev, n, vqs, callbacks, names)		\
({									\
	struct virtqueue_info *__info;					\
	unsigned int __i;						\
	int __ret = -ENOMEM;						\
									\
	__info = kcalloc(n, sizeof(*__info), GFP_KERNEL);		\
	if (__info) {							\
		for (__i = 0; __i < (n); __i++) {			\
			__info[__i].name = (names)[__i];		\
			__info[__i].callback = (callbacks)[__i];	\
		}							\
		__ret = virtio_find_vqs(vdev, n, vqs, __info, NULL);	\
		kfree(__info);						\
	}								\
	__ret;								\
})
#else
#define wc_virtio_find_vqs(vdev, n, vqs, callbacks, names) \
	virtio_find_vqs(vdev, n, vqs, callbacks, names, NULL)
#endif

#endif /* _WIRECAP_COMPAT_H */
