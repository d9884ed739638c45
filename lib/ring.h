/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * wc_ring: the ring under both halves of a work-queue pair (capture queue,
 * recycle queue). Single producer, single consumer, lock-free.
 *
 * Slots are fixed-size and the ring does not know their type: the caller
 * reserves or peeks a run of free-running indices and reaches the slots
 * with wc_ring_slot(). Sizes are powers of two; indices are 32-bit and
 * free-running (they wrap; differences are taken modulo 2^32).
 *
 *   producer                          consumer
 *   n = wc_ring_reserve(r, want, &i)   n = wc_ring_peek(r, want, &i)
 *   fill slots i .. i+n-1              read slots i .. i+n-1
 *   wc_ring_submit(r, n)               wc_ring_release(r, n)
 *
 * Each side keeps a private cursor (how far it reserved / peeked) and a
 * cached copy of the other side's published index, so the shared cache
 * line of the other side is only read when the cached copy says "full" or
 * "empty". The published indices sit on cache lines of their own.
 *
 * Multi-producer later (buddy offloading: other capture threads push into
 * a queue's capture queue): the consumer half stays as it is. The producer
 * half becomes a shared reservation index advanced by compare-and-swap,
 * and wc_ring_submit waits until prod equals the start of its own run
 * before publishing its end, so runs are published in reservation order.
 * That is why the reservation cursor (prod_next) is kept apart from the
 * published index (prod) already.
 */
#ifndef WIRECAP_LIB_RING_H
#define WIRECAP_LIB_RING_H

#include <errno.h>
#include <stddef.h>
#include <stdint.h>

#define WC_CACHELINE	64

struct wc_ring {
	/* geometry, read-only after init */
	void *slots;
	uint32_t mask;		/* size - 1 */
	uint32_t size;
	uint32_t esize;		/* bytes per slot */

	/* producer's line */
	_Alignas(WC_CACHELINE) uint32_t prod;	/* published; shared */
	uint32_t prod_next;	/* reserved up to here; producer only */
	uint32_t prod_cons;	/* producer's cached copy of cons */

	/* consumer's line */
	_Alignas(WC_CACHELINE) uint32_t cons;	/* released; shared */
	uint32_t cons_next;	/* peeked up to here; consumer only */
	uint32_t cons_prod;	/* consumer's cached copy of prod */
};

/* size: slots, a power of two <= 2^31; esize: bytes per slot. */
static inline int wc_ring_init(struct wc_ring *r, void *slots, uint32_t size,
			       uint32_t esize)
{
	if (!slots || !esize || !size || (size & (size - 1)) ||
	    size > (1u << 31))
		return -EINVAL;
	*r = (struct wc_ring){ .slots = slots, .mask = size - 1,
			       .size = size, .esize = esize };
	return 0;
}

static inline void *wc_ring_slot(const struct wc_ring *r, uint32_t idx)
{
	return (char *)r->slots + (size_t)(idx & r->mask) * r->esize;
}

static inline uint32_t wc_min_u32(uint32_t a, uint32_t b)
{
	return a < b ? a : b;
}

/*
 * Producer: free slots now. Refreshes the cached consumer index.
 * Acquire: pairs with the release in wc_ring_release, so the consumer's
 * reads of the slots it released are done before we write them again.
 */
static inline uint32_t wc_ring_free(struct wc_ring *r)
{
	r->prod_cons = __atomic_load_n(&r->cons, __ATOMIC_ACQUIRE);
	return r->size - (r->prod_next - r->prod_cons);
}

/*
 * Producer: reserve up to n slots; returns how many (0: full) and the
 * first index in *idx. Consults the consumer's index only when the cached
 * copy says there is not enough room.
 */
static inline uint32_t wc_ring_reserve(struct wc_ring *r, uint32_t n,
				       uint32_t *idx)
{
	uint32_t avail = r->size - (r->prod_next - r->prod_cons);

	if (avail < n)
		avail = wc_ring_free(r);
	n = wc_min_u32(n, avail);
	*idx = r->prod_next;
	r->prod_next += n;
	return n;
}

/*
 * Producer: publish the n oldest reserved slots.
 * Release: the slot contents are visible before the index that covers
 * them; pairs with the acquire in wc_ring_peek.
 */
static inline void wc_ring_submit(struct wc_ring *r, uint32_t n)
{
	__atomic_store_n(&r->prod, r->prod + n, __ATOMIC_RELEASE);
}

/* Producer: give back the last n reserved, not submitted, slots. */
static inline void wc_ring_cancel(struct wc_ring *r, uint32_t n)
{
	r->prod_next -= n;
}

/*
 * Consumer: up to n filled slots; returns how many (0: empty) and the
 * first index in *idx. Consults the producer's index only when the cached
 * copy says there is not enough.
 * Acquire: pairs with the release in wc_ring_submit, so the slots read
 * after this are the ones the producer wrote.
 */
static inline uint32_t wc_ring_peek(struct wc_ring *r, uint32_t n,
				    uint32_t *idx)
{
	uint32_t avail = r->cons_prod - r->cons_next;

	if (avail < n) {
		r->cons_prod = __atomic_load_n(&r->prod, __ATOMIC_ACQUIRE);
		avail = r->cons_prod - r->cons_next;
	}
	n = wc_min_u32(n, avail);
	*idx = r->cons_next;
	r->cons_next += n;
	return n;
}

/* Consumer: un-peek the last n peeked, not released, slots. */
static inline void wc_ring_unpeek(struct wc_ring *r, uint32_t n)
{
	r->cons_next -= n;
}

/*
 * Consumer: hand the n oldest peeked slots back to the producer.
 * Release: our reads of those slots complete before the producer can see
 * them free and overwrite them; pairs with the acquire in wc_ring_free.
 */
static inline void wc_ring_release(struct wc_ring *r, uint32_t n)
{
	__atomic_store_n(&r->cons, r->cons + n, __ATOMIC_RELEASE);
}

/*
 * Consumer: is anything there? (A refreshing peek of nothing.) Acquire as
 * in wc_ring_peek.
 */
static inline int wc_ring_empty(struct wc_ring *r)
{
	if (r->cons_prod != r->cons_next)
		return 0;
	r->cons_prod = __atomic_load_n(&r->prod, __ATOMIC_ACQUIRE);
	return r->cons_prod == r->cons_next;
}

/*
 * Any thread: entries published and not released, for statistics and
 * "is it worth waking someone" hints only. Relaxed: the two loads are not
 * a snapshot; the result is clamped to the ring's size.
 */
static inline uint32_t wc_ring_count(const struct wc_ring *r)
{
	uint32_t c = __atomic_load_n(&r->cons, __ATOMIC_RELAXED);
	uint32_t p = __atomic_load_n(&r->prod, __ATOMIC_RELAXED);

	return wc_min_u32(p - c, r->size);
}

#endif /* WIRECAP_LIB_RING_H */
