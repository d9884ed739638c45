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
 *   submit_reap      what a capture round does in one io_uring_enter():
 *                    a NOP submitted comes back from the same call, on a
 *                    ring its thread owns (registered ring fd) or not; a
 *                    refused SQE comes back as its completion, not as a
 *                    submission error, and strands nothing
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

/* One call: submit, and the completion comes back from it. */
static int submit_reap(int own)
{
	struct wirecap_uring wu;
	struct io_uring_cqe cqe[8];
	struct io_uring_sqe *sqe;
	int err = 1, n, i, bad = 0, nops = 0;

	CHECK(wirecap_uring_init(&wu, 8, 1) == 0);
	if (own) {
		int ret = wirecap_uring_own(&wu);

		tap_diag("wirecap_uring_own: %d", ret);
		CHECK(ret == 0 || ret == -EINVAL);
		CHECK(wirecap_uring_own(&wu) == ret);	/* again: the same */
	}
	sqe = wirecap_uring_sqe(&wu);
	CHECK(sqe);
	io_uring_prep_nop(sqe);
	sqe->user_data = UD_NOP;
	n = wirecap_uring_submit_reap(&wu, cqe, 8, &err);
	tap_diag("submit_reap: %d completion(s), submit_err %d", n, err);
	CHECK(err == 0);
	CHECK(n == 1 && cqe[0].user_data == UD_NOP && cqe[0].res == 0);
	CHECK(io_uring_sq_ready(&wu.ring) == 0);
	/* nothing to submit: a reap alone, nothing there */
	CHECK(wirecap_uring_submit_reap(&wu, cqe, 8, &err) == 0 && err == 0);

	/* a refused SQE ahead of a good one: both complete */
	sqe = wirecap_uring_sqe(&wu);
	CHECK(sqe);
	memset(sqe, 0, sizeof(*sqe));
	sqe->opcode = 0xfe;
	sqe->user_data = UD_BAD;
	sqe = wirecap_uring_sqe(&wu);
	CHECK(sqe);
	io_uring_prep_nop(sqe);
	sqe->user_data = UD_NOP;
	for (i = 0; i < 10 && bad + nops < 2; i++) {
		n = wirecap_uring_submit_reap(&wu, cqe, 8, &err);
		CHECK(err == 0);
		while (n-- > 0) {
			bad += cqe[n].user_data == UD_BAD &&
			       cqe[n].res == -EINVAL;
			nops += cqe[n].user_data == UD_NOP;
		}
	}
	tap_diag("after %d call(s): bad %d, nop %d", i, bad, nops);
	CHECK(bad == 1 && nops == 1);
	/* the waiting reap still works on an owned ring */
	sqe = wirecap_uring_sqe(&wu);
	CHECK(sqe);
	io_uring_prep_nop(sqe);
	sqe->user_data = UD_NOP;
	CHECK(wirecap_uring_submit(&wu) == 1);
	CHECK(wirecap_uring_reap(&wu, cqe, 8, 100000) == 1);
	wirecap_uring_exit(&wu);
	return 1;
}

static int t_submit_reap(void)
{
	return submit_reap(0);
}

static int t_submit_reap_owned(void)
{
	return submit_reap(1);
}

int main(void)
{
	struct io_uring ring;

	if (io_uring_queue_init(2, &ring, 0) < 0) {
		printf("1..0 # SKIP no io_uring on this host\n");
		return 77;
	}
	io_uring_queue_exit(&ring);
	tap_plan(5);
	tap_run("a refused SQE does not strand the ones behind it",
		t_partial_submit);
	tap_run("... nor without IORING_SETUP_SUBMIT_ALL",
		t_partial_submit_plain);
	tap_run("more SQEs than the SQ ring: all complete", t_full_sq);
	tap_run("submit and reap in one call", t_submit_reap);
	tap_run("... on a ring its thread owns (registered ring fd)",
		t_submit_reap_owned);
	return tap_exit();
}
