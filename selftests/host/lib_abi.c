// SPDX-License-Identifier: BSD-2-Clause
/*
 * libwirecap's ABI does not follow the kernel's: the structures of
 * lib/wirecap.h keep their layout when the kernel's uapi structures grow
 * (uapi/linux/wirecap.h: struct wirecap_stats gains counters at its end).
 *
 * This file is compiled twice into one program (mk/lib.mk): once against
 * the real uapi header, once (ABI_GROWN) against a copy in which struct
 * wirecap_stats has grown by 40 bytes. Each half describes the layout of
 * the library's public structures; main() compares the two, field by
 * field. A public structure that embeds a growable uapi one, or puts
 * fields after it, fails here.
 *
 * ABI_V0: the field list of the first library ABI, to run this against an
 * older lib/wirecap.h.
 */
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "wirecap.h"

struct field {
	const char *name;
	size_t off, size;
};

#define F(type, f) { #type "." #f, offsetof(struct type, f),		\
		     sizeof(((struct type *)0)->f) }

#ifdef ABI_V0
#define NEW_FIELDS
#else
#define NEW_FIELDS							\
	F(wirecap_qstats, kernel_rx_errors),				\
	F(wirecap_qstats, dup_releases),
#endif

#define FIELDS {							\
	F(wirecap_qstats, sz),						\
	F(wirecap_qstats, kernel),					\
	F(wirecap_qstats, kernel.received),				\
	F(wirecap_qstats, kernel.capture_timeouts),			\
	F(wirecap_qstats, chunks_free),					\
	F(wirecap_qstats, capq_len),					\
	F(wirecap_qstats, recq_len),					\
	F(wirecap_qstats, capq_size),					\
	F(wirecap_qstats, captures),					\
	F(wirecap_qstats, app_sleeps),					\
	F(wirecap_qstats, chunks_offloaded_out),			\
	F(wirecap_qstats, pkts_offloaded_in),				\
	NEW_FIELDS							\
	F(wirecap_opts, sz),						\
	F(wirecap_opts, log),						\
	F(wirecap_opts, offload_pct),					\
	F(wirecap_chunk, owner),					\
	F(wirecap_chunk, desc),						\
	F(wirecap_pkt, data),						\
	F(wirecap_pkt, flags),						\
	{ "sizeof wirecap_qstats", 0, sizeof(struct wirecap_qstats) },	\
	{ "sizeof wirecap_opts", 0, sizeof(struct wirecap_opts) },	\
	{ "sizeof wirecap_chunk", 0, sizeof(struct wirecap_chunk) },	\
	{ "sizeof wirecap_pkt", 0, sizeof(struct wirecap_pkt) },	\
}

#ifdef ABI_GROWN

const struct field *abi_grown(size_t *n, size_t *uapi_stats);

const struct field *abi_grown(size_t *n, size_t *uapi_stats)
{
	static const struct field f[] = FIELDS;

	*n = sizeof(f) / sizeof(f[0]);
	*uapi_stats = sizeof(struct wirecap_stats);
	return f;
}

#else

#include "tap.h"

const struct field *abi_grown(size_t *n, size_t *uapi_stats);

int main(void)
{
	static const struct field real[] = FIELDS;
	size_t n, i, grown_stats;
	const struct field *grown = abi_grown(&n, &grown_stats);

	tap_ok(grown_stats == sizeof(struct wirecap_stats) + 40,
	       "the grown uapi header has a bigger struct wirecap_stats "
	       "(%zu, %zu)", sizeof(struct wirecap_stats), grown_stats);
	tap_ok(n == sizeof(real) / sizeof(real[0]), "same field list");
	for (i = 0; i < n; i++)
		tap_ok(!strcmp(real[i].name, grown[i].name) &&
		       real[i].off == grown[i].off &&
		       real[i].size == grown[i].size,
		       "%s: offset %zu size %zu, with the grown uapi %zu %zu",
		       real[i].name, real[i].off, real[i].size, grown[i].off,
		       grown[i].size);
	return tap_done();
}

#endif
