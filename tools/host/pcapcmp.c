// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "framebag.h"
#include "pcapcmp.h"
#include "pcapio.h"

/* A captured record that matched nothing (listed in the report). */
struct surplus {
	int file;
	uint64_t record;
	uint32_t len;
	uint64_t hash;
	const char *what;
};

struct missing {
	uint64_t first_sent;
	uint32_t len, sent, captured;
	uint64_t hash;
};

static int by_first_sent(const void *a, const void *b)
{
	const struct missing *x = a, *y = b;

	return x->first_sent < y->first_sent ? -1 :
	       x->first_sent > y->first_sent;
}

static int read_sent(const struct wc_pcapcmp_opts *o, const char *path,
		     struct wc_bag *bag, struct wc_pcapcmp_result *r,
		     int *linktype)
{
	const struct pcap_pkthdr *h;
	struct wc_bag_entry *e;
	const uint8_t *data;
	struct wc_pcap f;
	int ret;

	if (wc_pcap_open(&f, path)) {
		snprintf(r->err, sizeof(r->err), "%s", f.err);
		return -EIO;
	}
	*linktype = f.linktype;
	while ((ret = wc_pcap_next(&f, &h, &data)) == 1) {
		r->sent++;
		if (h->caplen < h->len) {	/* never on the wire as such */
			r->sent_truncated++;
			continue;
		}
		if (h->len > o->max_len) {	/* did not fit the link */
			r->sent_too_long++;
			continue;
		}
		if (h->len < o->min_len) {	/* the NIC pads it with zeroes */
			uint8_t pad[WC_PCAPCMP_MAX_MIN_LEN];

			memcpy(pad, data, h->caplen);
			memset(pad + h->caplen, 0, o->min_len - h->caplen);
			ret = wc_bag_add(bag, pad, o->min_len, &e);
			r->sent_padded++;
		} else {
			ret = wc_bag_add(bag, data, h->caplen, &e);
		}
		if (ret) {
			snprintf(r->err, sizeof(r->err), "out of memory");
			break;
		}
		if (!e->sent++)
			e->first_sent = f.records;
		r->compared++;
	}
	if (ret < 0 && !r->err[0])
		snprintf(r->err, sizeof(r->err), "%s", f.err);
	wc_pcap_close(&f);
	return ret < 0 ? ret : 0;
}

static int read_captured(const struct wc_pcapcmp_opts *o, int idx,
			 const char *path, int sent_linktype,
			 struct wc_bag *bag, struct wc_pcapcmp_result *r,
			 struct surplus *list, unsigned int *nlist)
{
	const struct pcap_pkthdr *h;
	struct wc_bag_entry *e;
	const uint8_t *data;
	struct wc_pcap f;
	const char *what;
	int ret;

	if (wc_pcap_open(&f, path)) {
		snprintf(r->err, sizeof(r->err), "%s", f.err);
		return -EIO;
	}
	if (f.linktype != sent_linktype && o->out)
		fprintf(o->out,
			"warning: %s has link type %d, the sent file %d: no frame can match\n",
			path, f.linktype, sent_linktype);
	while ((ret = wc_pcap_next(&f, &h, &data)) == 1) {
		r->captured++;
		if (h->caplen < h->len) {	/* not a whole frame */
			r->captured_truncated++;
			continue;
		}
		if (h->len > o->max_len) {	/* should not have fitted */
			r->captured_too_long++;
			continue;
		}
		r->captured_compared++;
		e = wc_bag_find(bag, data, h->caplen);
		if (e && ++e->captured <= e->sent) {
			r->matched++;
			continue;
		}
		if (e && e->sent) {
			r->duplicated++;
			what = "duplicate: captured more often than sent";
		} else {
			r->extra++;
			what = "never sent";
		}
		if (*nlist < o->max_list)
			list[(*nlist)++] = (struct surplus){
				idx, f.records, h->caplen,
				wc_frame_hash(data, h->caplen), what };
	}
	if (ret < 0)
		snprintf(r->err, sizeof(r->err), "%s", f.err);
	wc_pcap_close(&f);
	return ret < 0 ? ret : 0;
}

/* The missing frames, sorted by their first record in the sent file. */
static struct missing *collect_missing(const struct wc_bag *bag,
				       struct wc_pcapcmp_result *r, size_t *n)
{
	struct missing *m;
	size_t i, k = 0;

	m = malloc((bag->used ? bag->used : 1) * sizeof(*m));
	if (!m)
		return NULL;
	for (i = 0; i < bag->size; i++) {
		const struct wc_bag_entry *e = &bag->slot[i];

		if (!e->bytes || e->captured >= e->sent)
			continue;
		r->missing += e->sent - e->captured;
		m[k++] = (struct missing){ e->first_sent, e->len, e->sent,
					   e->captured, e->hash };
	}
	qsort(m, k, sizeof(*m), by_first_sent);
	*n = k;
	return m;
}

static void report(const struct wc_pcapcmp_opts *o, const char *sent,
		   const char *const *cap, int ncap,
		   const struct wc_pcapcmp_result *r, const struct missing *m,
		   size_t nm, const struct surplus *s, unsigned int ns)
{
	FILE *out = o->out;
	size_t i;

	fprintf(out, "sent:       %s: %llu records\n", sent,
		(unsigned long long)r->sent);
	fprintf(out, "  left out: %llu truncated in the trace (caplen < len: never on the wire)\n",
		(unsigned long long)r->sent_truncated);
	fprintf(out, "  left out: %llu longer than %u bytes (did not fit the link)\n",
		(unsigned long long)r->sent_too_long, o->max_len);
	if (o->min_len)
		fprintf(out, "  padded:   %llu shorter than %u bytes, compared zero-padded\n",
			(unsigned long long)r->sent_padded, o->min_len);
	fprintf(out, "  compared: %llu\n", (unsigned long long)r->compared);
	fprintf(out, "captured:   %llu records in %d file(s)\n",
		(unsigned long long)r->captured, ncap);
	fprintf(out, "  left out: %llu truncated (caplen < len)%s\n",
		(unsigned long long)r->captured_truncated,
		r->captured_truncated > r->sent_truncated ?
		" - is the capture's snaplen too small?" : "");
	fprintf(out, "  left out: %llu longer than %u bytes%s\n",
		(unsigned long long)r->captured_too_long, o->max_len,
		r->captured_too_long > r->sent_too_long ?
		" - the link carried frames it should not have" : "");
	fprintf(out, "  compared: %llu\n", (unsigned long long)r->captured_compared);
	fprintf(out, "matched:    %llu\n", (unsigned long long)r->matched);
	fprintf(out, "missing:    %llu (sent, not captured)\n",
		(unsigned long long)r->missing);
	fprintf(out, "duplicated: %llu (captured more often than sent)\n",
		(unsigned long long)r->duplicated);
	fprintf(out, "extra:      %llu (captured, never sent)\n",
		(unsigned long long)r->extra);
	for (i = 0; i < nm && i < o->max_list; i++)
		fprintf(out, "  missing: sent #%llu, %u bytes, hash %016llx (sent %u, captured %u)\n",
			(unsigned long long)m[i].first_sent, m[i].len,
			(unsigned long long)m[i].hash, m[i].sent,
			m[i].captured);
	if (nm > o->max_list)
		fprintf(out, "  ... %zu more missing frames\n", nm - o->max_list);
	for (i = 0; i < ns; i++)
		fprintf(out, "  %s: %s #%llu, %u bytes, hash %016llx\n",
			s[i].what, cap[s[i].file],
			(unsigned long long)s[i].record, s[i].len,
			(unsigned long long)s[i].hash);
	if (r->duplicated + r->extra > ns)
		fprintf(out, "  ... %llu more surplus frames\n",
			(unsigned long long)(r->duplicated + r->extra - ns));
	fprintf(out, "%s\n", r->missing + r->duplicated + r->extra ?
		"DIFFERENT" : "EQUAL");
}

long wc_pcapcmp(const struct wc_pcapcmp_opts *o, const char *sent,
		const char *const *cap, int ncap, struct wc_pcapcmp_result *r)
{
	struct surplus *list = NULL;
	struct missing *m = NULL;
	struct wc_bag bag;
	unsigned int nlist = 0;
	size_t nm = 0;
	int linktype, i;
	long ret;

	memset(r, 0, sizeof(*r));
	if (o->min_len > WC_PCAPCMP_MAX_MIN_LEN) {
		snprintf(r->err, sizeof(r->err), "min_len %u above %u", o->min_len,
			 WC_PCAPCMP_MAX_MIN_LEN);
		return -EINVAL;
	}
	if (wc_bag_init(&bag)) {
		snprintf(r->err, sizeof(r->err), "out of memory");
		return -ENOMEM;
	}
	list = calloc(o->max_list + 1, sizeof(*list));
	ret = list ? 0 : -ENOMEM;
	if (!ret)
		ret = read_sent(o, sent, &bag, r, &linktype);
	for (i = 0; !ret && i < ncap; i++)
		ret = read_captured(o, i, cap[i], linktype, &bag, r, list,
				    &nlist);
	if (!ret) {
		m = collect_missing(&bag, r, &nm);
		if (!m)
			ret = -ENOMEM;
	}
	if (ret == -ENOMEM && !r->err[0])
		snprintf(r->err, sizeof(r->err), "out of memory");
	if (!ret) {
		if (o->out)
			report(o, sent, cap, ncap, r, m, nm, list, nlist);
		ret = r->missing + r->duplicated + r->extra > 0x7fffffff ?
		      0x7fffffff : (long)(r->missing + r->duplicated + r->extra);
	}
	free(m);
	free(list);
	wc_bag_free(&bag);
	return ret;
}
