/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * TAP for the host unit tests (selftests/host/), in two styles:
 *
 *   checks     tap_ok(cond, "what %d", ...) per check, tap_done() prints
 *              the plan at the end and returns the exit status
 *   tests      tap_plan(n) first, tap_run("name", fn) per test function
 *              whose CHECK()s return 0 at the first failure, tap_exit()
 *
 * Either way: "ok N - what" / "not ok N - what", diagnostics as "# ...",
 * exit status 1 when anything failed. Sanitizer findings count as
 * failures of the test that was running: a TSan report (it does not stop
 * the program) turns that test's "ok" into "not ok"; an ASan or UBSan
 * error, which ends the program, still prints "not ok" for it first.
 */
#ifndef WIRECAP_HOST_TAP_H
#define WIRECAP_HOST_TAP_H

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

static int tap_n, tap_failed;
static const char *tap_current = "(before the first test)";

#if defined(__SANITIZE_THREAD__)
static int tap_tsan_reports;

/* TSan calls this for every report it prints (weak in the runtime). */
void __tsan_on_report(void *report);
void __tsan_on_report(void *report)
{
	(void)report;
	__atomic_fetch_add(&tap_tsan_reports, 1, __ATOMIC_RELAXED);
}

static int tap_sanitizer_reports(void)
{
	return __atomic_load_n(&tap_tsan_reports, __ATOMIC_RELAXED);
}
#else
static int tap_sanitizer_reports(void)
{
	return 0;
}
#endif

#if defined(__SANITIZE_ADDRESS__)
void __asan_set_death_callback(void (*callback)(void));

static void tap_death(void)
{
	printf("not ok %d - %s # sanitizer error, see above\n", tap_n + 1,
	       tap_current);
	fflush(stdout);
}

__attribute__((constructor)) static void tap_init_death(void)
{
	__asan_set_death_callback(tap_death);
}
#endif

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
	fflush(stdout);
}

static inline void tap_skip(const char *why)
{
	printf("ok %d - # SKIP %s\n", ++tap_n, why);
}

/* Checks style: the plan at the end; the exit status. */
static inline int tap_done(void)
{
	printf("1..%d\n", tap_n);
	return tap_failed ? 1 : 0;
}

/* Tests style: the plan first ... */
static inline void tap_plan(int n)
{
	printf("1..%d\n", n);
	fflush(stdout);
}

/* ... one test: fn returns 1 for pass ... */
static inline void tap_run(const char *name, int (*fn)(void))
{
	int before = tap_sanitizer_reports(), ok;

	tap_current = name;
	ok = fn();
	if (tap_sanitizer_reports() != before) {
		tap_diag("%s: sanitizer reports", name);
		ok = 0;
	}
	tap_ok(ok, "%s", name);
}

/* ... a check inside it: reports the first failure and fails the test ... */
#define CHECK(cond) do {						\
	if (!(cond)) {							\
		tap_diag("%s:%d: %s", __FILE__, __LINE__, #cond);	\
		return 0;						\
	}								\
} while (0)

/* ... and the end. */
static inline int tap_exit(void)
{
	exit(tap_failed ? 1 : 0);
}

#endif
