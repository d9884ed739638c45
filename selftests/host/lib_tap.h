/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * A few lines of TAP for libwirecap's host unit tests: the plan first,
 * one "ok N name" / "not ok N name" per test, diagnostics as "# ...".
 * tap_exit() exits 1 if any test failed.
 *
 * Sanitizer findings count as failures of the test that was running: a
 * TSan report (it does not stop the program) turns that test's "ok" into
 * "not ok"; an ASan or UBSan error, which ends the program, still prints
 * "not ok" for it first.
 */
#ifndef LIB_TAP_H
#define LIB_TAP_H

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
	printf("not ok %d %s # sanitizer error, see above\n", tap_n + 1,
	       tap_current);
	fflush(stdout);
}

__attribute__((constructor)) static void tap_init_death(void)
{
	__asan_set_death_callback(tap_death);
}
#endif

static void tap_plan(int n)
{
	printf("1..%d\n", n);
	fflush(stdout);
}

static void tap_diag(const char *fmt, ...)
	__attribute__((format(printf, 1, 2)));
static void tap_diag(const char *fmt, ...)
{
	va_list ap;

	printf("# ");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	fflush(stdout);
}

static void tap_ok(int ok, const char *name)
{
	printf("%sok %d %s\n", ok ? "" : "not ", ++tap_n, name);
	fflush(stdout);
	if (!ok)
		tap_failed++;
}

/* Run one test: fn returns 1 for pass. */
static void tap_run(const char *name, int (*fn)(void))
{
	int before = tap_sanitizer_reports(), ok;

	tap_current = name;
	ok = fn();
	if (tap_sanitizer_reports() != before) {
		tap_diag("%s: sanitizer reports", name);
		ok = 0;
	}
	tap_ok(ok, name);
}

/* A check inside a test: reports the first failure and marks it. */
#define CHECK(cond) do {						\
	if (!(cond)) {							\
		tap_diag("%s:%d: %s", __FILE__, __LINE__, #cond);	\
		return 0;						\
	}								\
} while (0)

static int tap_exit(void)
{
	exit(tap_failed ? 1 : 0);
}

#endif
