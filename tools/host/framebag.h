/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A multiset of frames: an open-addressing hash table keyed by the exact
 * bytes, counting how often each frame was sent and captured.
 */
#ifndef WIRECAP_HOST_FRAMEBAG_H
#define WIRECAP_HOST_FRAMEBAG_H

#include <stddef.h>
#include <stdint.h>

struct wc_bag_entry {
	uint64_t hash;		/* wc_frame_hash() of the bytes */
	uint8_t *bytes;		/* NULL: free slot */
	uint32_t len;
	uint32_t sent;		/* copies in the sent file (compared ones) */
	uint32_t captured;	/* copies in the captured files */
	uint64_t first_sent;	/* record number (1-based) of the first copy */
};

struct wc_bag {
	struct wc_bag_entry *slot;
	size_t size;		/* a power of two */
	size_t used;
};

/* 64-bit FNV-1a of the bytes: the table's hash and the one reports print. */
uint64_t wc_frame_hash(const uint8_t *p, size_t len);

/* 0 or -ENOMEM. */
int wc_bag_init(struct wc_bag *b);

/*
 * The entry for these bytes, created (with all counts 0, the bytes copied)
 * when missing. 0 with *e set (valid until the next wc_bag_add), or
 * -ENOMEM.
 */
int wc_bag_add(struct wc_bag *b, const uint8_t *p, uint32_t len,
	       struct wc_bag_entry **e);

/* The entry for these bytes, or NULL. */
struct wc_bag_entry *wc_bag_find(const struct wc_bag *b, const uint8_t *p,
				 uint32_t len);

void wc_bag_free(struct wc_bag *b);

#endif
