// SPDX-License-Identifier: BSD-2-Clause
/*
 * Host tests of liburing-glue (liburing-glue/wirecap_uring.c) on the
 * host's own io_uring, without WireCAP: what the glue does with SQEs is
 * independent of what they ask for.
 *
 *   partial_submit   an SQE the kernel refuses at submission (a bad
 *                    opcode) ahead of a good one: the good one is still
 *                    submitted, by the same submit or by the next one,
 *                    never stranded in the SQ ring; also on a ring set
 *                    up without IORING_SETUP_SUBMIT_ALL (kernels before
 *                    5.18), where the kernel stops at the bad SQE
 *   full_sq          more SQEs than the SQ ring holds: the glue submits to
 *                    make room, and every one completes
 *
 * Skips (77) when the host has no io_uring (io_uring_disabled, seccomp).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <string.h>

#include "tap.h"
#include "wirecap_uring.h"

#define UD_BAD	0x1111
#define UD_NOP	0x2222

/* Reap for up to ms, counting completions by user_data. */
static void reap_for(struct wirecap_uring *wu, unsigned int ms, int *bad,
		     int *bad_res, int *nops)
{
	struct io_uring_cqe cqe[8];
	unsigned int waited;
	int n, i;

	for (waited = 0; waited < ms; waited += 10) {
		/* what a capture thread does each round: submit, then reap */
		wirecap_uring_submit(wu);
		n = wirecap_uring_reap(wu, cqe, 8, 10000);
		for (i = 0; i < n; i++) {
			if (cqe[i].user_data == UD_BAD) {
				(*bad)++;
				*bad_res = cqe[i].res;
			} else if (cqe[i].user_data == UD_NOP) {
				(*nops)++;
			}
		}
	}
}

/* What wirecap_uring_init() makes on a kernel without SUBMIT_ALL. */
static int init_plain(struct wirecap_uring *wu)
{
	int fd = -1;

	memset(wu, 0, sizeof(*wu));
	if (io_uring_queue_init(8, &wu->ring, 0) < 0)
		return -1;
	if (io_uring_register_files(&wu->ring, &fd, 1) < 0) {
		io_uring_queue_exit(&wu->ring);
		return -1;
	}
	wu->nr_slots = 1;
	return 0;
}

static int partial_submit(int plain)
{
	struct wirecap_uring wu;
	struct io_uring_sqe *sqe;
	int bad = 0, bad_res = 0, nops = 0, ret;

	if (plain)
		CHECK(init_plain(&wu) == 0);
	else
		CHECK(wirecap_uring_init(&wu, 8, 1) == 0);
	sqe = wirecap_uring_sqe(&wu);
	CHECK(sqe);
	memset(sqe, 0, sizeof(*sqe));
	sqe->opcode = 0xfe;		/* no such operation: refused */
	sqe->user_data = UD_BAD;
	sqe = wirecap_uring_sqe(&wu);
	CHECK(sqe);
	io_uring_prep_nop(sqe);
	sqe->user_data = UD_NOP;
	ret = wirecap_uring_submit(&wu);
	tap_diag("first submit: %d", ret);
	CHECK(ret >= 1);
	reap_for(&wu, 300, &bad, &bad_res, &nops);
	tap_diag("bad SQE completed %d time(s) (res %d), the NOP %d time(s)",
		 bad, bad_res, nops);
	CHECK(bad == 1 && bad_res == -EINVAL);
	CHECK(nops == 1);		/* not stranded behind the bad one */
	wirecap_uring_exit(&wu);
	return 1;
}

static int t_partial_submit(void)
{
	return partial_submit(0);
}

static int t_partial_submit_plain(void)
{
	return partial_submit(1);
}

static int t_full_sq(void)
{
	struct wirecap_uring wu;
	int bad = 0, bad_res = 0, nops = 0, i;

	CHECK(wirecap_uring_init(&wu, 4, 1) == 0);
	for (i = 0; i < 10; i++) {
		struct io_uring_sqe *sqe = wirecap_uring_sqe(&wu);

		CHECK(sqe);
		io_uring_prep_nop(sqe);
		sqe->user_data = UD_NOP;
	}
	reap_for(&wu, 300, &bad, &bad_res, &nops);
	CHECK(nops == 10 && !bad);
	wirecap_uring_exit(&wu);
	return 1;
}

int main(void)
{
	struct io_uring ring;

	if (io_uring_queue_init(2, &ring, 0) < 0) {
		printf("1..0 # SKIP no io_uring on this host\n");
		return 77;
	}
	io_uring_queue_exit(&ring);
	tap_plan(3);
	tap_run("a refused SQE does not strand the ones behind it",
		t_partial_submit);
	tap_run("... nor without IORING_SETUP_SUBMIT_ALL",
		t_partial_submit_plain);
	tap_run("more SQEs than the SQ ring: all complete", t_full_sq);
	return tap_exit();
}
