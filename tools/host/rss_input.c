// SPDX-License-Identifier: GPL-2.0
/*
 * Which bytes of a frame RSS hashes: the two models of toeplitz.h. Every
 * read is bounds-checked against the captured length; frames come from
 * arbitrary pcap files.
 */
#include <errno.h>
#include <string.h>

#include <pcap/dlt.h>

#include "toeplitz.h"

#define ETH_P_IP	0x0800
#define ETH_P_IPV6	0x86dd
#define ETH_P_8021Q	0x8100
#define ETH_P_8021AD	0x88a8
#define IPPROTO_TCP_	6
#define IPPROTO_UDP_	17

static uint16_t be16(const uint8_t *p)
{
	return p[0] << 8 | p[1];
}

static int no_hash(struct wc_rss_input *in, const char *why)
{
	in->type = NULL;
	in->why = why;
	in->len = 0;
	return 0;
}

static void add(struct wc_rss_input *in, const uint8_t *p, size_t n)
{
	memcpy(in->bytes + in->len, p, n);
	in->len += n;
}

/*
 * The choice of virtio_net_get_hash_type() and the input of
 * net_rx_pkt_calc_rss_hash(). l4 points at the TCP/UDP header when its
 * ports may be used (not a fragment, header present); ex_src / ex_dst are
 * the _EX addresses when found (QEMU model only).
 */
static int choose(struct wc_rss_input *in, uint32_t types, int family,
		  const uint8_t *src, const uint8_t *dst, uint8_t proto,
		  const uint8_t *l4, const uint8_t *ex_src,
		  const uint8_t *ex_dst)
{
	bool tcp = l4 && proto == IPPROTO_TCP_;
	bool udp = l4 && proto == IPPROTO_UDP_;
	bool ex = false;
	size_t alen = family == 4 ? 4 : 16;

	in->family = family;
	in->proto = proto;
	in->ports = false;
	if (family == 4) {
		if (tcp && types & WC_RSS_TCP4) {
			in->type = "TCPv4";
			in->ports = true;
		} else if (udp && types & WC_RSS_UDP4) {
			in->type = "UDPv4";
			in->ports = true;
		} else if (types & WC_RSS_IPV4) {
			in->type = "IPv4";
		} else {
			return no_hash(in, "IPv4, no enabled hash type applies");
		}
	} else {
		if (tcp && types & (WC_RSS_TCP6 | WC_RSS_TCP6EX)) {
			ex = types & WC_RSS_TCP6EX;
			in->type = ex ? "TCPv6_EX" : "TCPv6";
			in->ports = true;
		} else if (udp && types & (WC_RSS_UDP6 | WC_RSS_UDP6EX)) {
			ex = types & WC_RSS_UDP6EX;
			in->type = ex ? "UDPv6_EX" : "UDPv6";
			in->ports = true;
		} else if (types & (WC_RSS_IPV6 | WC_RSS_IP6EX)) {
			ex = types & WC_RSS_IP6EX;
			in->type = ex ? "IPv6_EX" : "IPv6";
		} else {
			return no_hash(in, "IPv6, no enabled hash type applies");
		}
	}
	in->why = NULL;
	in->len = 0;
	add(in, ex && ex_src ? ex_src : src, alen);
	add(in, ex && ex_dst ? ex_dst : dst, alen);
	if (in->ports) {
		add(in, l4, 4);
		in->sport = be16(l4);
		in->dport = be16(l4 + 2);
	}
	return 1;
}

/* --- WC_RSS_MODEL_NIC ------------------------------------------------ */

static int l3_nic(uint32_t types, uint16_t ethertype, const uint8_t *p,
		  size_t len, struct wc_rss_input *in)
{
	in->ethertype = ethertype;
	/* the _EX bits read as their plain counterparts */
	if (types & WC_RSS_IP6EX)
		types |= WC_RSS_IPV6;
	if (types & WC_RSS_TCP6EX)
		types |= WC_RSS_TCP6;
	if (types & WC_RSS_UDP6EX)
		types |= WC_RSS_UDP6;
	types &= WC_RSS_TYPES_DEFAULT;

	if (ethertype == ETH_P_IP) {
		size_t ihl;
		bool frag, l4;

		if (len < 20)
			return no_hash(in, "truncated IPv4 header");
		ihl = (p[0] & 0x0f) * 4;
		if (p[0] >> 4 != 4 || ihl < 20)
			return no_hash(in, "bad IPv4 version or header length");
		frag = be16(p + 6) & 0x3fff;	/* MF or offset */
		l4 = (p[9] == IPPROTO_TCP_ || p[9] == IPPROTO_UDP_) && !frag &&
		     len >= ihl + 4;
		return choose(in, types, 4, p + 12, p + 16, p[9],
			      l4 ? p + ihl : NULL, NULL, NULL);
	}
	if (ethertype == ETH_P_IPV6) {
		bool l4;

		if (len < 40)
			return no_hash(in, "truncated IPv6 header");
		l4 = (p[6] == IPPROTO_TCP_ || p[6] == IPPROTO_UDP_) &&
		     len >= 44;
		return choose(in, types, 6, p + 8, p + 24, p[6],
			      l4 ? p + 40 : NULL, NULL, NULL);
	}
	in->family = 0;
	return no_hash(in, "not IP");
}

static int eth_nic(uint32_t types, const uint8_t *f, size_t len,
		   struct wc_rss_input *in)
{
	size_t off = 14;
	uint16_t et;
	int tags = 0;

	if (len < 14)
		return no_hash(in, "runt frame");
	et = be16(f + 12);
	while ((et == ETH_P_8021Q || et == ETH_P_8021AD) && tags < 2 &&
	       len >= off + 4) {
		et = be16(f + off + 2);
		off += 4;
		tags++;
	}
	return l3_nic(types, et, f + off, len - off, in);
}

/* --- WC_RSS_MODEL_QEMU: net/eth.c of QEMU 7.2 --------------------------- */

static bool qemu_ip6_ext(uint8_t type)	/* eth_is_ip6_extension_header_type */
{
	return type == 0 || type == 43 || type == 44 || type == 51 ||
	       type == 60 || type == 135;
}

/* _eth_get_rss_ex_dst_addr: routing header type 2, one segment left */
static bool qemu_ex_dst(const uint8_t *p, size_t len, size_t off,
		       const uint8_t **addr)
{
	if (len < off + 8 + 16)
		return false;
	if (p[off + 2] != 2 || p[off + 3] != 1)
		return false;
	*addr = p + off + 8;
	return true;
}

/* _eth_get_rss_ex_src_addr: the home address option (0xC9) */
static bool qemu_ex_src(const uint8_t *p, size_t len, size_t off,
		       const uint8_t **addr)
{
	size_t left = (p[off + 1] + 1) * 8 - 2;
	size_t opt = off + 2, optlen;

	while (left > 2) {
		if (len < opt + 2)
			return false;
		optlen = p[opt] == 0 ? 1 : p[opt + 1] + 2;	/* Pad1 */
		if (optlen > left)
			return false;
		if (p[opt] == 0xc9) {
			if (len < opt + 2 + 16)
				return false;
			*addr = p + opt + 2;
			return true;
		}
		opt += optlen;
		left -= optlen;
	}
	return false;
}

static int l3_qemu(uint32_t types, uint16_t ethertype, const uint8_t *p,
		   size_t len, struct wc_rss_input *in)
{
	in->ethertype = ethertype;
	if (ethertype == ETH_P_IP) {
		size_t ihl, need;
		bool tcp, udp, frag;
		const uint8_t *l4 = NULL;

		if (len < 20)
			return no_hash(in, "truncated IPv4 header (QEMU: stale bytes)");
		ihl = (p[0] & 0x0f) * 4;	/* not checked by QEMU */
		tcp = p[0] >> 4 == 4 && p[9] == IPPROTO_TCP_;
		udp = p[0] >> 4 == 4 && p[9] == IPPROTO_UDP_;
		frag = be16(p + 6) & 0x3fff;	/* IP4_IS_FRAGMENT */
		need = tcp ? 20 : 8;		/* whole TCP / UDP header */
		if ((tcp || udp) && !frag && len >= ihl + need)
			l4 = p + ihl;
		return choose(in, types, 4, p + 12, p + 16, p[9], l4, NULL,
			      NULL);
	}
	if (ethertype == ETH_P_IPV6) {
		const uint8_t *ex_src = NULL, *ex_dst = NULL, *l4 = NULL;
		const uint8_t *a;
		size_t full = 40, need;
		uint8_t cur;
		bool frag = false, whole = true;

		if (len < 40)
			return no_hash(in, "truncated IPv6 header (QEMU: stale bytes)");
		cur = p[6];
		while (qemu_ip6_ext(cur)) {
			if (len < full + 2) {
				whole = false;	/* eth_parse_ipv6_hdr fails */
				break;
			}
			if (cur == 43 && p[full + 1] == 2)
				ex_dst = qemu_ex_dst(p, len, full, &a) ? a : NULL;
			else if (cur == 60)
				ex_src = qemu_ex_src(p, len, full, &a) ? a : NULL;
			else if (cur == 44)
				frag = true;
			cur = p[full];
			full += (p[full + 1] + 1) * 8;
		}
		need = cur == IPPROTO_TCP_ ? 20 : 8;
		if (whole && !frag &&
		    (cur == IPPROTO_TCP_ || cur == IPPROTO_UDP_) &&
		    len >= full + need)
			l4 = p + full;
		return choose(in, types, 6, p + 8, p + 24, cur, l4, ex_src,
			      ex_dst);
	}
	in->family = 0;
	return no_hash(in, "not IP");
}

static int eth_qemu(uint32_t types, const uint8_t *f, size_t len,
		    struct wc_rss_input *in)
{
	size_t l2 = 14;		/* eth_get_l2_hdr_length() */
	uint16_t et;

	if (len < 18)
		return no_hash(in, "runt frame");
	et = be16(f + 12);
	if (et == ETH_P_8021Q)
		l2 = 18;
	else if (et == ETH_P_8021AD)
		l2 = be16(f + 16) == ETH_P_8021Q ? 22 : 18;
	if (len < l2)
		return no_hash(in, "runt frame");
	return l3_qemu(types, be16(f + l2 - 2), f + l2, len - l2, in);
}

/* --- link types ------------------------------------------------------ */

bool wc_rss_linktype_ok(int linktype)
{
	switch (linktype) {
	case DLT_EN10MB:
	case DLT_RAW:
	case DLT_IPV4:
	case DLT_IPV6:
	case DLT_NULL:
	case DLT_LOOP:
	case DLT_LINUX_SLL:
	case DLT_LINUX_SLL2:
		return true;
	default:
		return false;
	}
}

int wc_rss_input(enum wc_rss_model model, uint32_t types, int linktype,
		 const uint8_t *f, size_t len, struct wc_rss_input *in)
{
	int (*l3)(uint32_t, uint16_t, const uint8_t *, size_t,
		  struct wc_rss_input *);
	uint16_t et;
	size_t hdr;
	int af;

	memset(in, 0, sizeof(*in));
	if (model == WC_RSS_MODEL_NIC)
		l3 = l3_nic;
	else if (model == WC_RSS_MODEL_QEMU)
		l3 = l3_qemu;
	else
		return -EINVAL;

	switch (linktype) {
	case DLT_EN10MB:
		return model == WC_RSS_MODEL_NIC ? eth_nic(types, f, len, in) :
						   eth_qemu(types, f, len, in);
	case DLT_RAW:
	case DLT_IPV4:
	case DLT_IPV6:
		if (len < 1)
			return no_hash(in, "empty packet");
		et = f[0] >> 4 == 4 ? ETH_P_IP :
		     f[0] >> 4 == 6 ? ETH_P_IPV6 : 0;
		return l3(types, et, f, len, in);
	case DLT_NULL:		/* address family, capturing host's order */
	case DLT_LOOP:		/* address family, network order */
		if (len < 4)
			return no_hash(in, "runt packet");
		af = linktype == DLT_LOOP ? f[3] : f[0] ? f[0] : f[3];
		et = af == 2 ? ETH_P_IP :
		     af == 10 || af == 24 || af == 28 || af == 30 ?
		     ETH_P_IPV6 : 0;
		return l3(types, et, f + 4, len - 4, in);
	case DLT_LINUX_SLL:	/* protocol at 14, 16-byte header */
	case DLT_LINUX_SLL2:	/* protocol at 0, 20-byte header */
		hdr = linktype == DLT_LINUX_SLL ? 16 : 20;
		if (len < hdr)
			return no_hash(in, "runt packet");
		et = be16(linktype == DLT_LINUX_SLL ? f + 14 : f);
		return l3(types, et, f + hdr, len - hdr, in);
	default:
		return no_hash(in, "link type not supported");
	}
}
