// SPDX-License-Identifier: GPL-2.0
/*
 * The Toeplitz hash against every vector of Microsoft's "Verifying the RSS
 * Hash Calculation" (windows-driver-docs, network/
 * verifying-the-rss-hash-calculation.md): 5 IPv4 and 3 IPv6 address/port
 * pairs, each hashed over the addresses only and with the TCP ports. Then
 * the same vectors as whole Ethernet frames through the frame parser of
 * both models (untagged, and behind VLAN tags), and as UDP.
 */
#include <arpa/inet.h>
#include <string.h>

#include "tap.h"
#include "toeplitz.h"

static const uint8_t ms_key[40] = {
	0x6d, 0x5a, 0x56, 0xda, 0x25, 0x5b, 0x0e, 0xc2,
	0x41, 0x67, 0x25, 0x3d, 0x43, 0xa3, 0x8f, 0xb0,
	0xd0, 0xca, 0x2b, 0xcb, 0xae, 0x7b, 0x30, 0xb4,
	0x77, 0xcb, 0x2d, 0xa3, 0x80, 0x30, 0xf2, 0x0c,
	0x6a, 0x42, 0xb7, 0x3b, 0xbe, 0xac, 0x01, 0xfa,
};

/* The table as published: destination, source, "IPv4/6 only", "with TCP". */
static const struct vector {
	int af;
	const char *dst;
	uint16_t dport;
	const char *src;
	uint16_t sport;
	uint32_t ip_only, with_tcp;
} vectors[] = {
	{ AF_INET, "161.142.100.80", 1766, "66.9.149.187", 2794,
	  0x323e8fc2, 0x51ccc178 },
	{ AF_INET, "65.69.140.83", 4739, "199.92.111.2", 14230,
	  0xd718262a, 0xc626b0ea },
	{ AF_INET, "12.22.207.184", 38024, "24.19.198.95", 12898,
	  0xd2d0a5de, 0x5c2b394a },
	{ AF_INET, "209.142.163.6", 2217, "38.27.205.30", 48228,
	  0x82989176, 0xafc7327f },
	{ AF_INET, "202.188.127.2", 1303, "153.39.163.191", 44251,
	  0x5d1809c5, 0x10e828a2 },
	{ AF_INET6, "3ffe:2501:200:3::1", 1766, "3ffe:2501:200:1fff::7", 2794,
	  0x2cc18cd5, 0x40207d3d },
	{ AF_INET6, "ff02::1", 4739, "3ffe:501:8::260:97ff:fe40:efab", 14230,
	  0x0f0c461c, 0xdde51bbf },
	{ AF_INET6, "fe80::200:f8ff:fe21:67cf", 38024,
	  "3ffe:1900:4545:3:200:f8ff:fe21:67cf", 44251,
	  0x4b61e985, 0x02d1feef },
};

#define NV (sizeof(vectors) / sizeof(vectors[0]))

/* The hash input as the spec defines it: src, dst [, sport, dport]. */
static size_t tuple(const struct vector *v, uint8_t *in, int ports)
{
	size_t alen = v->af == AF_INET ? 4 : 16;

	inet_pton(v->af, v->src, in);
	inet_pton(v->af, v->dst, in + alen);
	if (!ports)
		return 2 * alen;
	in[2 * alen] = v->sport >> 8;
	in[2 * alen + 1] = v->sport;
	in[2 * alen + 2] = v->dport >> 8;
	in[2 * alen + 3] = v->dport;
	return 2 * alen + 4;
}

/*
 * An Ethernet frame carrying the vector as TCP (proto 6) or UDP (17),
 * behind the given VLAN tag types (0 = none). Returns its length.
 */
static size_t frame(const struct vector *v, uint8_t proto, uint16_t tag1,
		    uint16_t tag2, uint8_t *f)
{
	size_t off = 12, l4;
	uint16_t tags[2] = { tag1, tag2 };
	int i;

	memset(f, 0, 128);
	memcpy(f, "\x02\0\0\0\0\x01\x02\0\0\0\0\x02", 12);
	for (i = 0; i < 2; i++) {
		if (!tags[i])
			continue;
		f[off] = tags[i] >> 8;
		f[off + 1] = tags[i];
		f[off + 3] = 10 + i;		/* VLAN id */
		off += 4;
	}
	if (v->af == AF_INET) {
		f[off] = 0x08;
		f[off + 1] = 0x00;
		off += 2;
		f[off] = 0x45;
		f[off + 3] = 40;		/* total length */
		f[off + 6] = 0x40;		/* DF: not a fragment */
		f[off + 8] = 64;
		f[off + 9] = proto;
		inet_pton(AF_INET, v->src, f + off + 12);
		inet_pton(AF_INET, v->dst, f + off + 16);
		l4 = off + 20;
	} else {
		f[off] = 0x86;
		f[off + 1] = 0xdd;
		off += 2;
		f[off] = 0x60;
		f[off + 5] = 20;		/* payload length */
		f[off + 6] = proto;
		f[off + 7] = 64;
		inet_pton(AF_INET6, v->src, f + off + 8);
		inet_pton(AF_INET6, v->dst, f + off + 24);
		l4 = off + 40;
	}
	f[l4] = v->sport >> 8;
	f[l4 + 1] = v->sport;
	f[l4 + 2] = v->dport >> 8;
	f[l4 + 3] = v->dport;
	if (proto == 6)
		f[l4 + 12] = 0x50;		/* data offset 5 */
	return l4 + 20;
}

static uint32_t frame_hash(enum wc_rss_model m, uint32_t types,
			   const uint8_t *f, size_t len, int *hashed)
{
	struct wc_rss_input in;

	*hashed = wc_rss_input(m, types, 1 /* DLT_EN10MB */, f, len, &in);
	return *hashed == 1 ? wc_toeplitz(ms_key, 40, in.bytes, in.len) : 0;
}

int main(void)
{
	static const char *model_name[] = { "nic", "qemu" };
	static const uint16_t tags[][2] = {
		{ 0, 0 }, { 0x8100, 0 }, { 0x88a8, 0x8100 },
	};
	uint8_t in[36], f[128];
	size_t n, len, i, t;
	uint32_t v6types;
	int m, hashed;

	/* 1. the published table, straight */
	for (i = 0; i < NV; i++) {
		const struct vector *v = &vectors[i];
		const char *fam = v->af == AF_INET ? "IPv4" : "IPv6";
		uint32_t h;

		n = tuple(v, in, 0);
		h = wc_toeplitz(ms_key, sizeof(ms_key), in, n);
		tap_ok(h == v->ip_only, "%s only %s -> %s: 0x%08x (want 0x%08x)",
		       fam, v->src, v->dst, h, v->ip_only);
		n = tuple(v, in, 1);
		h = wc_toeplitz(ms_key, sizeof(ms_key), in, n);
		tap_ok(h == v->with_tcp,
		       "%s with TCP %s:%u -> %s:%u: 0x%08x (want 0x%08x)", fam,
		       v->src, v->sport, v->dst, v->dport, h, v->with_tcp);
	}

	/* 2. as frames, through both models, with and without VLAN tags */
	for (m = 0; m < 2; m++) {
		for (t = 0; t < sizeof(tags) / sizeof(tags[0]); t++) {
			int good = 1;

			for (i = 0; i < NV; i++) {
				const struct vector *v = &vectors[i];

				len = frame(v, 6, tags[t][0], tags[t][1], f);
				good &= frame_hash(m, WC_RSS_TYPES_DEFAULT, f,
						   len, &hashed) == v->with_tcp &&
					hashed == 1;
				len = frame(v, 17, tags[t][0], tags[t][1], f);
				good &= frame_hash(m, WC_RSS_TYPES_DEFAULT, f,
						   len, &hashed) == v->with_tcp &&
					hashed == 1;
				/* TCP with only the address types enabled */
				len = frame(v, 6, tags[t][0], tags[t][1], f);
				good &= frame_hash(m, WC_RSS_IPV4 | WC_RSS_IPV6,
						   f, len, &hashed) ==
						v->ip_only && hashed == 1;
			}
			tap_ok(good, "model %s, tags %04x/%04x: all 8 vectors as TCP, UDP and address-only frames",
			       model_name[m], tags[t][0], tags[t][1]);
		}
	}

	/* 3. the _EX types without extension headers: the plain addresses */
	v6types = WC_RSS_IP6EX | WC_RSS_TCP6EX;
	for (m = 0; m < 2; m++) {
		const struct vector *v = &vectors[5];

		len = frame(v, 6, 0, 0, f);
		tap_ok(frame_hash(m, v6types, f, len, &hashed) == v->with_tcp,
		       "model %s: TCPv6_EX without extension headers = TCPv6 vector",
		       model_name[m]);
	}

	/* 4. a key shorter than the input: missing key bits are zeros */
	{
		uint8_t k0[40] = { 0 };

		n = tuple(&vectors[5], in, 1);
		tap_ok(wc_toeplitz(ms_key, 20, in, n) ==
		       wc_toeplitz((memcpy(k0, ms_key, 20), k0), 40, in, n),
		       "a 20-byte key hashes like the key padded with zeros");
	}
	return tap_done();
}
