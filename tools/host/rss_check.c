// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pcapio.h"
#include "rss_check.h"

static int open_trace(struct wc_pcap *f, const char *path, char *err,
		      size_t size)
{
	if (wc_pcap_open(f, path)) {
		snprintf(err, size, "%s", f->err);
		return -EIO;
	}
	if (!wc_rss_linktype_ok(f->linktype)) {
		snprintf(err, size,
			 "%s: link type %d (%s): RSS knows Ethernet, raw IP, NULL/LOOP and Linux SLL/SLL2",
			 path, f->linktype,
			 pcap_datalink_val_to_name(f->linktype) ?: "?");
		wc_pcap_close(f);
		return -EINVAL;
	}
	return 0;
}

/* The key of Microsoft's "Verifying the RSS Hash Calculation". */
static const uint8_t ms_key[WC_RSS_KEY_LEN] = {
	0x6d, 0x5a, 0x56, 0xda, 0x25, 0x5b, 0x0e, 0xc2,
	0x41, 0x67, 0x25, 0x3d, 0x43, 0xa3, 0x8f, 0xb0,
	0xd0, 0xca, 0x2b, 0xcb, 0xae, 0x7b, 0x30, 0xb4,
	0x77, 0xcb, 0x2d, 0xa3, 0x80, 0x30, 0xf2, 0x0c,
	0x6a, 0x42, 0xb7, 0x3b, 0xbe, 0xac, 0x01, 0xfa,
};

void wc_rss_conf_default(struct wc_rss_conf *c)
{
	size_t i;

	memset(c, 0, sizeof(*c));
	c->model = WC_RSS_MODEL_NIC;
	c->types = WC_RSS_TYPES_DEFAULT;
	memcpy(c->key, ms_key, sizeof(ms_key));
	c->key_len = sizeof(ms_key);
	c->table_len = 128;
	for (i = 0; i < c->table_len; i++)
		c->table[i] = i % 4;
	c->max_list = 5;
}

int wc_rss_parse_table(struct wc_rss_conf *c, const char *s)
{
	unsigned long v, q;
	size_t n = 0, i;
	char *end;

	if (strchr(s, ':')) {
		v = strtoul(s, &end, 10);
		if (*end != ':' || !v || v > WC_RSS_TABLE_MAX)
			return -EINVAL;
		q = strtoul(end + 1, &end, 10);
		if (*end || !q || q > 65535)
			return -EINVAL;
		for (i = 0; i < v; i++)
			c->table[i] = i % q;
		c->table_len = v;
		return 0;
	}
	while (*s) {
		if (*s < '0' || *s > '9')
			return -EINVAL;
		v = strtoul(s, &end, 10);
		if (v > 65535 || n == WC_RSS_TABLE_MAX ||
		    (*end && *end != ','))
			return -EINVAL;
		c->table[n++] = v;
		s = *end ? end + 1 : end;
	}
	if (!n)
		return -EINVAL;
	c->table_len = n;
	return 0;
}

int wc_rss_conf_valid(const struct wc_rss_conf *c, char *err, size_t size)
{
	if (c->model != WC_RSS_MODEL_NIC && c->model != WC_RSS_MODEL_QEMU) {
		snprintf(err, size, "unknown model");
		return -EINVAL;
	}
	if (!c->table_len || c->table_len > WC_RSS_TABLE_MAX || !c->key_len ||
	    c->key_len > WC_RSS_KEY_MAX) {
		snprintf(err, size, "empty or oversized table or key");
		return -EINVAL;
	}
	if (c->model != WC_RSS_MODEL_QEMU)
		return 0;
	if (c->table_len & (c->table_len - 1) ||
	    c->table_len > WC_QEMU_TABLE_MAX) {
		snprintf(err, size,
			 "QEMU takes a power-of-two table of at most %d entries (got %zu)",
			 WC_QEMU_TABLE_MAX, c->table_len);
		return -EINVAL;
	}
	if (c->key_len > WC_RSS_KEY_LEN) {
		snprintf(err, size, "QEMU takes a key of at most %d bytes",
			 WC_RSS_KEY_LEN);
		return -EINVAL;
	}
	return 0;
}

int wc_rss_classify(const struct wc_rss_conf *c, int linktype,
		    const uint8_t *frame, size_t len, unsigned int *queue,
		    uint32_t *hash, struct wc_rss_input *in)
{
	struct wc_rss_input local;
	uint32_t h;
	int r;

	if (!in)
		in = &local;
	r = wc_rss_input(c->model, c->types, linktype, frame, len, in);
	if (r <= 0) {
		*queue = c->unclassified;
		return r;
	}
	h = wc_toeplitz(c->key, c->key_len, in->bytes, in->len);
	*queue = c->table[h % c->table_len];	/* = h & (len-1), 2^n tables */
	if (hash)
		*hash = h;
	return 1;
}

static void list_one(const struct wc_rss_conf *c, uint64_t idx,
		     const struct wc_rss_input *in, int hashed, uint32_t h,
		     unsigned int q)
{
	char t[128];

	if (hashed)
		fprintf(c->out,
			"  #%llu %s %s: hash 0x%08x -> table[%zu] = queue %u\n",
			(unsigned long long)idx, in->type,
			wc_rss_input_str(in, t, sizeof(t)), h,
			(size_t)(h % c->table_len), q);
	else
		fprintf(c->out,
			"  #%llu no hash (%s, L3 type 0x%04x) -> unclassified queue %u\n",
			(unsigned long long)idx, in->why, in->ethertype, q);
}

long wc_rss_check(const struct wc_rss_conf *c, const char *const *files,
		  int n, struct wc_rss_file_result *res, char *err,
		  size_t size)
{
	const struct pcap_pkthdr *h;
	const uint8_t *data;
	struct wc_rss_input in;
	struct wc_pcap f;
	uint64_t bad = 0, listed;
	unsigned int q;
	uint32_t hash = 0;
	int i, r, hashed;

	memset(res, 0, n * sizeof(*res));
	r = wc_rss_conf_valid(c, err, size);
	if (r)
		return r;
	for (i = 0; i < n; i++) {
		struct wc_rss_file_result *fr = &res[i];

		r = open_trace(&f, files[i], err, size);
		if (r)
			return r;
		listed = 0;
		if (c->out)
			fprintf(c->out, "queue %d: %s\n", i, files[i]);
		while ((r = wc_pcap_next(&f, &h, &data)) == 1) {
			fr->packets++;
			hashed = wc_rss_classify(c, f.linktype, data, h->caplen,
						 &q, &hash, &in);
			if (hashed && q == (unsigned int)i) {
				fr->ok++;
				continue;
			}
			if (hashed)
				fr->misplaced++;
			else if (q == (unsigned int)i) {
				fr->nohash++;
				continue;
			} else {
				fr->nohash++;
				fr->nohash_misplaced++;
			}
			if (c->out && listed++ < c->max_list)
				list_one(c, f.records, &in, hashed, hash, q);
		}
		wc_pcap_close(&f);
		if (r < 0) {
			snprintf(err, size, "%s", f.err);
			return -EIO;
		}
		bad += fr->misplaced + fr->nohash_misplaced;
		if (c->out)
			fprintf(c->out,
				"  %llu packets: %llu on their RSS queue, %llu hashed to another queue, %llu without hash (%llu of them not on the unclassified queue %u)\n",
				(unsigned long long)fr->packets,
				(unsigned long long)fr->ok,
				(unsigned long long)fr->misplaced,
				(unsigned long long)fr->nohash,
				(unsigned long long)fr->nohash_misplaced,
				c->unclassified);
	}
	return bad > (uint64_t)0x7fffffff ? 0x7fffffff : (long)bad;
}

static int open_outputs(const char *prefix, pcap_t *src, unsigned int n,
			pcap_dumper_t **d, char *err, size_t size)
{
	char path[4096];
	unsigned int i;

	for (i = 0; i < n; i++) {
		snprintf(path, sizeof(path), "%s-q%u.pcap", prefix, i);
		d[i] = pcap_dump_open(src, path);
		if (!d[i]) {
			snprintf(err, size, "%s", pcap_geterr(src));
			while (i--)
				pcap_dump_close(d[i]);
			return -EIO;
		}
	}
	return 0;
}

int wc_rss_split(const struct wc_rss_conf *c, const char *file,
		 const char *write_prefix, struct wc_rss_split_result *res,
		 char *err, size_t size)
{
	pcap_dumper_t **out = NULL;
	const struct pcap_pkthdr *h;
	const uint8_t *data;
	struct wc_pcap f;
	unsigned int q, i, nq;
	int r;

	memset(res, 0, sizeof(*res));
	r = wc_rss_conf_valid(c, err, size);
	if (r)
		return r;
	nq = c->unclassified + 1;
	for (i = 0; i < c->table_len; i++)
		if (c->table[i] + 1u > nq)
			nq = c->table[i] + 1;
	if (nq > WC_RSS_TABLE_MAX) {
		snprintf(err, size, "queue numbers above %d", WC_RSS_TABLE_MAX - 1);
		return -EINVAL;
	}
	res->nqueues = nq;
	r = open_trace(&f, file, err, size);
	if (r)
		return r;
	if (write_prefix) {
		out = calloc(nq, sizeof(*out));
		if (!out) {
			wc_pcap_close(&f);
			return -ENOMEM;
		}
		r = open_outputs(write_prefix, f.p, nq, out, err, size);
		if (r) {
			free(out);
			wc_pcap_close(&f);
			return r;
		}
	}
	while ((r = wc_pcap_next(&f, &h, &data)) == 1) {
		res->packets++;
		if (wc_rss_classify(c, f.linktype, data, h->caplen, &q, NULL,
				    NULL) == 1) {
			res->hashed++;
			res->hashed_per_queue[q]++;
		} else {
			res->nohash++;
		}
		res->per_queue[q]++;
		if (out)
			pcap_dump((u_char *)out[q], h, data);
	}
	if (r < 0)
		snprintf(err, size, "%s", f.err);
	if (out) {
		for (i = 0; i < nq; i++) {
			if (pcap_dump_flush(out[i]) && r >= 0) {
				snprintf(err, size, "%s-q%u.pcap: write failed",
					 write_prefix, i);
				r = -EIO;
			}
			pcap_dump_close(out[i]);
		}
		free(out);
	}
	wc_pcap_close(&f);
	return r < 0 ? r : 0;
}
