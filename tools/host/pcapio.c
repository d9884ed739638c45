// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "pcapio.h"

int wc_pcap_open(struct wc_pcap *f, const char *path)
{
	char ebuf[PCAP_ERRBUF_SIZE] = "";

	memset(f, 0, sizeof(*f));
	f->path = path;
	f->p = pcap_open_offline(path, ebuf);
	if (!f->p) {
		/* libpcap names the file in some messages, not in others */
		if (!strncmp(ebuf, path, strlen(path)))
			snprintf(f->err, sizeof(f->err), "%s", ebuf);
		else
			snprintf(f->err, sizeof(f->err), "%s: %s", path, ebuf);
		return -EIO;
	}
	f->linktype = pcap_datalink(f->p);
	if (f->linktype < 0 || f->linktype > 0xffff) {
		/* libpcap 1.10 passes the pcap header's reserved bits on */
		snprintf(f->err, sizeof(f->err),
			 "%s: unknown link type %d (reserved bits set)", path,
			 f->linktype);
		pcap_close(f->p);
		f->p = NULL;
		return -EIO;
	}
	return 0;
}

int wc_pcap_next(struct wc_pcap *f, const struct pcap_pkthdr **h,
		 const uint8_t **data)
{
	struct pcap_pkthdr *hdr;
	const u_char *bytes;
	int r;

	r = pcap_next_ex(f->p, &hdr, &bytes);
	if (r == 1) {
		f->records++;
		*h = hdr;
		*data = bytes;
		return 1;
	}
	if (r == PCAP_ERROR_BREAK)	/* end of file */
		return 0;
	snprintf(f->err, sizeof(f->err), "%s: after %llu records: %s",
		 f->path, (unsigned long long)f->records, pcap_geterr(f->p));
	return -EIO;
}

void wc_pcap_close(struct wc_pcap *f)
{
	if (f->p)
		pcap_close(f->p);
	f->p = NULL;
}

int wc_pcap_write(const char *path, int linktype, const struct wc_frame *fr,
		  size_t n)
{
	struct pcap_pkthdr h;
	pcap_dumper_t *d;
	pcap_t *p;
	size_t i;
	int err = 0;

	p = pcap_open_dead(linktype, 262144);
	if (!p)
		return -ENOMEM;
	d = pcap_dump_open(p, path);
	if (!d) {
		pcap_close(p);
		return -EIO;
	}
	for (i = 0; i < n; i++) {
		memset(&h, 0, sizeof(h));
		h.ts.tv_sec = 1700000000;
		h.ts.tv_usec = i % 1000000;
		h.caplen = fr[i].caplen;
		h.len = fr[i].len;
		pcap_dump((u_char *)d, &h, fr[i].data);
	}
	if (pcap_dump_flush(d))
		err = -EIO;
	pcap_dump_close(d);
	pcap_close(p);
	return err;
}
