/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Compare what was sent with what was captured, as multisets of frames
 * (exact bytes; order and timestamps do not matter).
 */
#ifndef WIRECAP_HOST_PCAPCMP_H
#define WIRECAP_HOST_PCAPCMP_H

#include <stdint.h>
#include <stdio.h>

/*
 * The largest frame an Ethernet link with a 1500-byte MTU carries, as pcap
 * stores it (no FCS): 14 header bytes + 1500 + 4 for one 802.1Q tag.
 */
#define WC_PCAPCMP_MAX_LEN	1518
/* --min-len at most: the minimum frame with an FCS */
#define WC_PCAPCMP_MAX_MIN_LEN	64

struct wc_pcapcmp_opts {
	uint32_t max_len;	/* sent frames longer than this are left out */
	/*
	 * 0, or sent frames shorter than this compare as if zero-padded to
	 * it: what a NIC that pads short frames (the 82574: to 60) hands up.
	 * At most WC_PCAPCMP_MAX_MIN_LEN.
	 */
	uint32_t min_len;
	unsigned int max_list;	/* differences listed, per kind */
	FILE *out;		/* the report; NULL: none */
};

struct wc_pcapcmp_result {
	uint64_t sent;			/* records in the sent file */
	uint64_t sent_truncated;	/* caplen < len: left out */
	uint64_t sent_too_long;		/* len > max_len: left out */
	uint64_t sent_padded;		/* len < min_len: compared padded */
	uint64_t compared;		/* the rest */
	uint64_t captured;		/* records in the captured files */
	uint64_t captured_truncated;	/* caplen < len: left out */
	uint64_t captured_too_long;	/* len > max_len: left out */
	uint64_t captured_compared;	/* the rest */
	uint64_t matched;
	uint64_t missing;		/* sent, captured fewer times */
	uint64_t duplicated;		/* sent, captured more times */
	uint64_t extra;			/* captured, never sent */
	char err[1024];
};

/*
 * Compare sent with the union of cap[0..ncap). The same records are left
 * out on both sides (caplen < len; len > max_len), so a trace compares
 * equal to itself; the captured ones left out are counted and reported.
 * Returns missing +
 * duplicated + extra (0: the multisets are equal), or -errno with r->err
 * set (a file libpcap cannot open or read to its end, no memory).
 */
long wc_pcapcmp(const struct wc_pcapcmp_opts *o, const char *sent,
		const char *const *cap, int ncap, struct wc_pcapcmp_result *r);

#endif
