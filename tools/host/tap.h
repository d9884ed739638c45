/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A few lines of TAP for the host unit tests (selftests/host/): one
 * "ok N - what" / "not ok N - what" per check, the plan at the end, and
 * exit status 1 when anything failed, 4 when the test had to skip.
 */
#ifndef WIRECAP_HOST_TAP_H
#define WIRECAP_HOST_TAP_H

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

static int tap_n, tap_failed;

__attribute__((format(printf, 2, 3)))
static inline int tap_ok(int cond, const char *fmt, ...)
{
	va_list ap;

	printf("%sok %d - ", cond ? "" : "not ", ++tap_n);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	if (!cond)
		tap_failed++;
	fflush(stdout);
	return cond;
}

__attribute__((format(printf, 1, 2)))
static inline void tap_diag(const char *fmt, ...)
{
	va_list ap;

	printf("# ");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
}

static inline void tap_skip(const char *why)
{
	printf("ok %d - # SKIP %s\n", ++tap_n, why);
}

static inline int tap_done(void)
{
	printf("1..%d\n", tap_n);
	return tap_failed ? 1 : 0;
}

#endif
