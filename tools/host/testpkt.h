/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Building small test frames for the host unit tests: append a header at a
 * time to a buffer.
 */
#ifndef WIRECAP_HOST_TESTPKT_H
#define WIRECAP_HOST_TESTPKT_H

#include <arpa/inet.h>
#include <stdint.h>
#include <string.h>

struct tp {
	uint8_t b[512];
	size_t len;
};

static inline uint8_t *tp_put(struct tp *t, size_t n)
{
	uint8_t *p = t->b + t->len;

	memset(p, 0, n);
	t->len += n;
	return p;
}

static inline void tp_be16(uint8_t *p, uint16_t v)
{
	p[0] = v >> 8;
	p[1] = v;
}

/* Ethernet header; tags[] are VLAN tag types (0x8100, 0x88a8) in order. */
static inline void tp_eth(struct tp *t, const uint16_t *tags, int ntags,
			  uint16_t ethertype)
{
	uint8_t *p = tp_put(t, 12);
	int i;

	memcpy(p, "\x02\0\0\0\0\x01\x02\0\0\0\0\x02", 12);
	for (i = 0; i < ntags; i++) {
		p = tp_put(t, 4);
		tp_be16(p, tags[i]);
		tp_be16(p + 2, 100 + i);
	}
	tp_be16(tp_put(t, 2), ethertype);
}

/* IPv4 header (20 bytes); frag is the flags/offset field. */
static inline uint8_t *tp_ipv4(struct tp *t, const char *src, const char *dst,
			       uint8_t proto, uint16_t frag)
{
	uint8_t *p = tp_put(t, 20);

	p[0] = 0x45;
	tp_be16(p + 2, 60);
	tp_be16(p + 6, frag);
	p[8] = 64;
	p[9] = proto;
	inet_pton(AF_INET, src, p + 12);
	inet_pton(AF_INET, dst, p + 16);
	return p;
}

static inline uint8_t *tp_ipv6(struct tp *t, const char *src, const char *dst,
			       uint8_t next)
{
	uint8_t *p = tp_put(t, 40);

	p[0] = 0x60;
	tp_be16(p + 4, 60);
	p[6] = next;
	p[7] = 64;
	inet_pton(AF_INET6, src, p + 8);
	inet_pton(AF_INET6, dst, p + 24);
	return p;
}

/* An IPv6 extension header of (len8 + 1) * 8 bytes. */
static inline uint8_t *tp_ext(struct tp *t, uint8_t next, uint8_t len8)
{
	uint8_t *p = tp_put(t, (len8 + 1) * 8);

	p[0] = next;
	p[1] = len8;
	return p;
}

/* TCP (20 bytes) or UDP (8 bytes) header. */
static inline void tp_l4(struct tp *t, uint8_t proto, uint16_t sport,
			 uint16_t dport)
{
	uint8_t *p = tp_put(t, proto == 6 ? 20 : 8);

	tp_be16(p, sport);
	tp_be16(p + 2, dport);
	if (proto == 6)
		p[12] = 0x50;
	else
		tp_be16(p + 4, 8);
}

/* The Toeplitz input src, dst [, sport, dport] of a tuple. */
static inline size_t tp_tuple(int af, const char *src, const char *dst,
			      int ports, uint16_t sport, uint16_t dport,
			      uint8_t *in)
{
	size_t alen = af == AF_INET ? 4 : 16;

	inet_pton(af, src, in);
	inet_pton(af, dst, in + alen);
	if (!ports)
		return 2 * alen;
	tp_be16(in + 2 * alen, sport);
	tp_be16(in + 2 * alen + 2, dport);
	return 2 * alen + 4;
}

#endif
