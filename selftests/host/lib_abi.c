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
 *
 * The 0.1 ABI itself is pinned here too: struct wirecap_qstats as 0.1
 * had it (232 bytes, its kernel block 104 bytes, chunks_free at 112) in
 * static assertions, so that moving one of its fields fails the build;
 * and the getters' return types (unsigned int, as 0.1 declared them: a
 * program built against 0.1 reads the whole register).
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

/* struct wirecap_qstats of the 0.1 ABI: field, offset, size */
#define PIN(f, off, size)						\
	_Static_assert(offsetof(struct wirecap_qstats, f) == (off) &&	\
		       sizeof(((struct wirecap_qstats *)0)->f) == (size), \
		       "wirecap_qstats." #f " moved from its 0.1 place")

PIN(sz, 0, 8);
PIN(kernel, 8, 104);
PIN(kernel.size, 8, 4);
PIN(kernel.reserved0, 12, 4);
PIN(kernel.received, 16, 8);
PIN(kernel.capture_drops, 24, 8);
PIN(kernel.oversize_drops, 32, 8);
PIN(kernel.delivered, 40, 8);
PIN(kernel.chunks_captured, 48, 8);
PIN(kernel.partial_views, 56, 8);
PIN(kernel.chunks_recycled, 64, 8);
PIN(kernel.recycle_refused, 72, 8);
PIN(kernel.segment_waits, 80, 8);
PIN(kernel.pool_high_water, 88, 8);
PIN(kernel.captures_parked, 96, 8);
PIN(kernel.capture_timeouts, 104, 8);
PIN(chunks_free, 112, 4);
PIN(capq_len, 116, 4);
PIN(recq_len, 120, 4);
PIN(capq_size, 124, 4);
PIN(captures, 128, 8);
PIN(chunks_captured, 136, 8);
PIN(capq_full, 144, 8);
PIN(chunks_delivered, 152, 8);
PIN(pkts_delivered, 160, 8);
PIN(chunks_released, 168, 8);
PIN(chunks_recycled, 176, 8);
PIN(recycle_refused, 184, 8);
PIN(app_sleeps, 192, 8);
PIN(chunks_offloaded_out, 200, 8);
PIN(pkts_offloaded_out, 208, 8);
PIN(chunks_offloaded_in, 216, 8);
PIN(pkts_offloaded_in, 224, 8);
_Static_assert(sizeof(struct wirecap_kstats) == 104,
	       "struct wirecap_kstats is frozen at 104 bytes");
_Static_assert(sizeof(struct wirecap_qstats) >= 232,
	       "struct wirecap_qstats only grows past its 0.1 size, 232");

#ifdef ABI_V0
#define NEW_FIELDS
#else
#define NEW_FIELDS							\
	F(wirecap_qstats, kernel_rx_errors),				\
	F(wirecap_qstats, dup_releases),				\
	F(wirecap_qstats, kernel_xmit_sent),				\
	F(wirecap_qstats, kernel_xmit_dropped),				\
	F(wirecap_qstats, chunks_xmitted),				\
	F(wirecap_qstats, flows_migrated),				\
	F(wirecap_qstats, flow_migrations),				\
	F(wirecap_qstats, flow_lost),					\
	F(wirecap_qstats, flow_views_held),				\
	F(wirecap_qstats, flow_views_held_max),			\
	F(wirecap_qstats, flow_barrier_views),				\
	F(wirecap_qstats, flow_views_split),				\
	F(wirecap_qstats, app_idle_ns),					\
	F(wirecap_qstats, chunks_kept_no_spare),			\
	F(wirecap_xmit_pkt, chunk),					\
	F(wirecap_xmit_pkt, len),					\
	{ "sizeof wirecap_xmit_pkt", 0,					\
	  sizeof(struct wirecap_xmit_pkt) },
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
	/* the 0.1 ABI's getters return unsigned int (UINT_MAX for NULL) */
	tap_ok(__builtin_types_compatible_p(__typeof__(&wirecap_queue_ring),
		unsigned int (*)(const struct wirecap_queue *)),
	       "wirecap_queue_ring() returns unsigned int, as in 0.1");
	tap_ok(__builtin_types_compatible_p(__typeof__(&wirecap_queue_index),
		unsigned int (*)(const struct wirecap_queue *)),
	       "wirecap_queue_index() returns unsigned int, as in 0.1");
	tap_ok(__builtin_types_compatible_p(__typeof__(&wirecap_queue_group),
		unsigned int (*)(const struct wirecap_queue *)),
	       "wirecap_queue_group() returns unsigned int, as in 0.1");
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
