/* SPDX-License-Identifier: GPL-2.0 */
/*
 * wirecap-rss's two jobs, callable from tests: check per-queue captures
 * against RSS, and split a trace the way RSS would.
 */
#ifndef WIRECAP_HOST_RSS_CHECK_H
#define WIRECAP_HOST_RSS_CHECK_H

#include <stdint.h>
#include <stdio.h>

#include "toeplitz.h"

#define WC_RSS_TABLE_MAX	4096

struct wc_rss_conf {
	enum wc_rss_model model;
	uint32_t types;				/* WC_RSS_* bits */
	uint8_t key[WC_RSS_KEY_MAX];
	size_t key_len;
	uint16_t table[WC_RSS_TABLE_MAX];	/* queue = table[hash % len] */
	size_t table_len;
	unsigned int unclassified;		/* queue of packets without hash */
	unsigned int max_list;			/* misplaced packets listed per file */
	FILE *out;				/* the report; NULL: none */
};

/* The defaults: NIC model, the six plain types, Microsoft's key, 128
 * entries i % 4, unclassified queue 0, 5 listed. */
void wc_rss_conf_default(struct wc_rss_conf *c);

/* "0,1,2,3,..." or "N:Q" (N entries, i % Q); 0 or -EINVAL. */
int wc_rss_parse_table(struct wc_rss_conf *c, const char *s);

/* 0, or -EINVAL with err set when the configuration is not one the model
 * accepts (QEMU: power-of-two table of at most 128, key of at most 40). */
int wc_rss_conf_valid(const struct wc_rss_conf *c, char *err, size_t size);

/* The queue of one frame; 1 with *queue (and *hash) set, 0 when the frame
 * has no hash (*queue = the unclassified queue). in may be NULL. */
int wc_rss_classify(const struct wc_rss_conf *c, int linktype,
		    const uint8_t *frame, size_t len, unsigned int *queue,
		    uint32_t *hash, struct wc_rss_input *in);

struct wc_rss_file_result {
	uint64_t packets;
	uint64_t ok;		/* hashed, and this is their queue */
	uint64_t misplaced;	/* hashed, and their queue is another */
	uint64_t nohash;	/* no hash (their queue: the unclassified one) */
	uint64_t nohash_misplaced;	/* ... and this is not it */
};

/*
 * files[i] holds what was captured on queue i. Fills res[0..n) and prints
 * the report. Returns the number of packets not on their queue (0: all
 * where RSS puts them), or -errno with err set (a file libpcap cannot
 * read).
 */
long wc_rss_check(const struct wc_rss_conf *c, const char *const *files,
		  int n, struct wc_rss_file_result *res, char *err,
		  size_t size);

struct wc_rss_split_result {
	uint64_t packets, hashed, nohash;
	unsigned int nqueues;		/* 1 + the highest queue seen */
	uint64_t per_queue[WC_RSS_TABLE_MAX];	/* all packets */
	uint64_t hashed_per_queue[WC_RSS_TABLE_MAX];
};

/*
 * Count per queue where RSS would send each packet of file; with
 * write_prefix, also write <prefix>-q<N>.pcap for each queue (pcap, the
 * records unchanged). 0 or -errno with err set.
 */
int wc_rss_split(const struct wc_rss_conf *c, const char *file,
		 const char *write_prefix, struct wc_rss_split_result *res,
		 char *err, size_t size);

#endif
