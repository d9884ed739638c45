// SPDX-License-Identifier: GPL-2.0
/*
 * Toeplitz RSS as NICs compute it: over IPv4/IPv6 source and destination
 * addresses, plus TCP/UDP ports when the packet is not a fragment. Up to
 * two VLAN tags are skipped. Non-IP packets get no hash (queue 0).
 */
#include <linux/if_ether.h>
#include <linux/in.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <net/ip.h>

#include "softnic.h"

u32 softnic_toeplitz(const u8 *key, const u8 *data, unsigned int len)
{
	u32 hash = 0, window;
	unsigned int i, b;

	window = (u32)key[0] << 24 | key[1] << 16 | key[2] << 8 | key[3];
	for (i = 0; i < len; i++) {
		for (b = 0; b < 8; b++) {
			if (data[i] & (0x80 >> b))
				hash ^= window;
			window <<= 1;
			if (i + 4 < SOFTNIC_RSS_KEY_LEN &&
			    key[i + 4] & (0x80 >> b))
				window |= 1;
		}
	}
	return hash;
}

static bool l4_ports(u8 proto)
{
	return proto == IPPROTO_TCP || proto == IPPROTO_UDP;
}

bool softnic_rss_hash(const struct softnic *sn, const u8 *f, u32 len,
		      u32 *hash)
{
	u8 in[36];		/* 2 x 16 address bytes + 2 x 2 port bytes */
	unsigned int n, off = ETH_HLEN, vlans = 0;
	u16 proto;

	if (len < ETH_HLEN)
		return false;
	proto = f[12] << 8 | f[13];
	while ((proto == ETH_P_8021Q || proto == ETH_P_8021AD) && vlans < 2 &&
	       len >= off + 4) {
		proto = f[off + 2] << 8 | f[off + 3];
		off += 4;
		vlans++;
	}

	if (proto == ETH_P_IP && len >= off + sizeof(struct iphdr)) {
		const struct iphdr *ip = (const void *)(f + off);
		unsigned int ihl = ip->ihl * 4;
		bool frag = ip->frag_off & htons(IP_MF | IP_OFFSET);

		if (ip->version != 4 || ihl < sizeof(*ip))
			return false;
		memcpy(in, f + off + offsetof(struct iphdr, saddr), 8);
		n = 8;
		if (l4_ports(ip->protocol) && !frag && len >= off + ihl + 4) {
			memcpy(in + n, f + off + ihl, 4);
			n += 4;
		}
	} else if (proto == ETH_P_IPV6 && len >= off + sizeof(struct ipv6hdr)) {
		const struct ipv6hdr *ip6 = (const void *)(f + off);

		memcpy(in, f + off + offsetof(struct ipv6hdr, saddr), 32);
		n = 32;
		if (l4_ports(ip6->nexthdr) && len >= off + sizeof(*ip6) + 4) {
			memcpy(in + n, f + off + sizeof(*ip6), 4);
			n += 4;
		}
	} else {
		return false;
	}
	*hash = softnic_toeplitz(sn->rss_key, in, n);
	return true;
}
