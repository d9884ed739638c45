/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Reading pcap and pcapng files with libpcap, with one error convention
 * (0, a count or -errno) and the reason kept as text in the handle.
 */
#ifndef WIRECAP_HOST_PCAPIO_H
#define WIRECAP_HOST_PCAPIO_H

#include <stddef.h>
#include <stdint.h>

#include <pcap/pcap.h>

struct wc_pcap {
	pcap_t *p;
	const char *path;
	int linktype;		/* DLT_* of the first interface */
	uint64_t records;	/* records read so far */
	char err[PCAP_ERRBUF_SIZE + 256];
};

/* 0, or -EIO with f->err set ("path: why"). */
int wc_pcap_open(struct wc_pcap *f, const char *path);

/*
 * The next record: 1 with *h and *data set (valid until the next call),
 * 0 at the end of the file, -EIO with f->err set ("path: after N records:
 * why") when libpcap cannot read on (a truncated or corrupt file).
 */
int wc_pcap_next(struct wc_pcap *f, const struct pcap_pkthdr **h,
		 const uint8_t **data);

void wc_pcap_close(struct wc_pcap *f);

/* One record to write: caplen bytes of a frame whose length was len. */
struct wc_frame {
	const uint8_t *data;
	uint32_t caplen, len;
};

/* Write a pcap file (used by the tests); 0 or -errno. */
int wc_pcap_write(const char *path, int linktype, const struct wc_frame *fr,
		  size_t n);

#endif
