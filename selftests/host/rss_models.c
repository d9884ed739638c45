// SPDX-License-Identifier: GPL-2.0
/*
 * Which bytes each model hashes, case by case: where a NIC (our software
 * NIC) and QEMU 7.2's software RSS agree and where they differ (VLAN tag
 * combinations, IPv6 extension headers, fragments, the enabled hash types,
 * the _EX addresses, malformed headers), and the other link types.
 */
#include <errno.h>
#include <string.h>

#include <pcap/dlt.h>

#include "tap.h"
#include "testpkt.h"
#include "toeplitz.h"

#define NIC	WC_RSS_MODEL_NIC
#define QEMU	WC_RSS_MODEL_QEMU
#define ALL6	WC_RSS_TYPES_DEFAULT

static const char *S4 = "10.1.2.3", *D4 = "192.168.7.9";
static const char *S6 = "2001:db8::1", *D6 = "2001:db8:ffff::2";

/*
 * Check one frame: want_type NULL means "no hash"; otherwise the type name
 * and the exact input.
 */
static void expect(enum wc_rss_model m, uint32_t types, int linktype,
		   const struct tp *t, const char *want_type,
		   const uint8_t *want, size_t want_len, const char *what)
{
	struct wc_rss_input in;
	int r = wc_rss_input(m, types, linktype, t->b, t->len, &in);
	int good;

	if (!want_type)
		good = r == 0 && !in.type && in.why;
	else
		good = r == 1 && in.type && !strcmp(in.type, want_type) &&
		       in.len == want_len && !memcmp(in.bytes, want, want_len);
	tap_ok(good, "%s: %s -> %s", m == NIC ? "nic " : "qemu", what,
	       r == 1 ? in.type : in.why ? in.why : "?");
}

static void vlan_cases(void)
{
	static const uint16_t q[] = { 0x8100, 0x8100 }, adq[] = { 0x88a8, 0x8100 },
		ad[] = { 0x88a8, 0x88a8 }, qad[] = { 0x8100, 0x88a8 };
	uint8_t in[36];
	size_t n = tp_tuple(AF_INET, S4, D4, 1, 1000, 80, in);
	struct tp t;

#define V4_FRAME(tags, ntags) do {				\
		memset(&t, 0, sizeof(t));			\
		tp_eth(&t, tags, ntags, 0x0800);		\
		tp_ipv4(&t, S4, D4, 6, 0x4000);			\
		tp_l4(&t, 6, 1000, 80);				\
	} while (0)

	V4_FRAME(q, 1);
	expect(NIC, ALL6, DLT_EN10MB, &t, "TCPv4", in, n, "one 802.1Q tag");
	expect(QEMU, ALL6, DLT_EN10MB, &t, "TCPv4", in, n, "one 802.1Q tag");
	V4_FRAME(adq, 2);
	expect(NIC, ALL6, DLT_EN10MB, &t, "TCPv4", in, n, "802.1ad + 802.1Q");
	expect(QEMU, ALL6, DLT_EN10MB, &t, "TCPv4", in, n, "802.1ad + 802.1Q");
	V4_FRAME(adq, 1);
	expect(QEMU, ALL6, DLT_EN10MB, &t, "TCPv4", in, n, "one 802.1ad tag");
	V4_FRAME(q, 2);
	expect(NIC, ALL6, DLT_EN10MB, &t, "TCPv4", in, n, "802.1Q + 802.1Q");
	expect(QEMU, ALL6, DLT_EN10MB, &t, NULL, NULL, 0, "802.1Q + 802.1Q");
	V4_FRAME(ad, 2);
	expect(NIC, ALL6, DLT_EN10MB, &t, "TCPv4", in, n, "802.1ad + 802.1ad");
	expect(QEMU, ALL6, DLT_EN10MB, &t, NULL, NULL, 0, "802.1ad + 802.1ad");
	V4_FRAME(qad, 2);
	expect(NIC, ALL6, DLT_EN10MB, &t, "TCPv4", in, n, "802.1Q + 802.1ad");
	expect(QEMU, ALL6, DLT_EN10MB, &t, NULL, NULL, 0, "802.1Q + 802.1ad");
	/* three tags: the NIC skips two, then sees a tag type: not IP */
	memset(&t, 0, sizeof(t));
	{
		static const uint16_t three[] = { 0x88a8, 0x8100, 0x8100 };

		tp_eth(&t, three, 3, 0x0800);
	}
	tp_ipv4(&t, S4, D4, 6, 0);
	tp_l4(&t, 6, 1000, 80);
	expect(NIC, ALL6, DLT_EN10MB, &t, NULL, NULL, 0, "three VLAN tags");
	/* ARP */
	memset(&t, 0, sizeof(t));
	tp_eth(&t, NULL, 0, 0x0806);
	tp_put(&t, 28);
	expect(NIC, ALL6, DLT_EN10MB, &t, NULL, NULL, 0, "ARP");
	expect(QEMU, ALL6, DLT_EN10MB, &t, NULL, NULL, 0, "ARP");
}

static void ipv4_cases(void)
{
	uint8_t in4[36], in2[36];
	size_t n4, n2 = tp_tuple(AF_INET, S4, D4, 0, 0, 0, in2);
	struct tp t;
	int m;

	n4 = tp_tuple(AF_INET, S4, D4, 1, 5353, 53, in4);
	for (m = NIC; m <= QEMU; m++) {
		/* first fragment (MF, offset 0): addresses only */
		memset(&t, 0, sizeof(t));
		tp_eth(&t, NULL, 0, 0x0800);
		tp_ipv4(&t, S4, D4, 17, 0x2000);
		tp_l4(&t, 17, 5353, 53);
		expect(m, ALL6, DLT_EN10MB, &t, "IPv4", in2, n2, "UDP first fragment (MF)");
		/* later fragment */
		t.b[14 + 6] = 0x00;
		t.b[14 + 7] = 0xb9;
		expect(m, ALL6, DLT_EN10MB, &t, "IPv4", in2, n2, "UDP fragment offset 185");
		/* DF is not a fragment */
		t.b[14 + 6] = 0x40;
		t.b[14 + 7] = 0;
		expect(m, ALL6, DLT_EN10MB, &t, "UDPv4", in4, n4, "UDP with DF");
		/* hash types: UDP without udp4 -> addresses, or nothing */
		expect(m, WC_RSS_IPV4 | WC_RSS_TCP4, DLT_EN10MB, &t, "IPv4",
		       in2, n2, "UDP, types ipv4,tcp4");
		expect(m, WC_RSS_TCP4, DLT_EN10MB, &t, NULL, NULL, 0,
		       "UDP, types tcp4 only");
		expect(m, WC_RSS_UDP4, DLT_EN10MB, &t, "UDPv4", in4, n4,
		       "UDP, types udp4 only");
		expect(m, WC_RSS_TYPES_DEFAULT & ~(WC_RSS_IPV4 | WC_RSS_TCP4 |
						   WC_RSS_UDP4),
		       DLT_EN10MB, &t, NULL, NULL, 0, "UDP, IPv6 types only");
		/* ICMP: addresses */
		t.b[14 + 9] = 1;
		expect(m, ALL6, DLT_EN10MB, &t, "IPv4", in2, n2, "ICMP");
	}

	/* a UDP header cut after its ports: the NIC needs 4 bytes, QEMU 8 */
	memset(&t, 0, sizeof(t));
	tp_eth(&t, NULL, 0, 0x0800);
	tp_ipv4(&t, S4, D4, 17, 0);
	tp_l4(&t, 17, 5353, 53);
	t.len -= 4;
	expect(NIC, ALL6, DLT_EN10MB, &t, "UDPv4", in4, n4, "UDP header cut to 4 bytes");
	expect(QEMU, ALL6, DLT_EN10MB, &t, "IPv4", in2, n2, "UDP header cut to 4 bytes");

	/* IP version 5 on ethertype 0x0800: QEMU hashes bytes 12..19 */
	memset(&t, 0, sizeof(t));
	tp_eth(&t, NULL, 0, 0x0800);
	tp_ipv4(&t, S4, D4, 6, 0)[0] = 0x55;
	tp_l4(&t, 6, 5353, 53);
	expect(NIC, ALL6, DLT_EN10MB, &t, NULL, NULL, 0, "IP version 5");
	expect(QEMU, ALL6, DLT_EN10MB, &t, "IPv4", in2, n2, "IP version 5");

	/* IHL 4: QEMU reads the "ports" 16 bytes into the IP header */
	{
		uint8_t want[12];

		memset(&t, 0, sizeof(t));
		tp_eth(&t, NULL, 0, 0x0800);
		tp_ipv4(&t, S4, D4, 6, 0)[0] = 0x44;
		tp_l4(&t, 6, 5353, 53);
		memcpy(want, in2, 8);
		memcpy(want + 8, t.b + 14 + 16, 4);
		expect(NIC, ALL6, DLT_EN10MB, &t, NULL, NULL, 0, "IHL 4");
		expect(QEMU, ALL6, DLT_EN10MB, &t, "TCPv4", want, 12, "IHL 4");
	}

	/* IP options: ports after IHL * 4 */
	memset(&t, 0, sizeof(t));
	tp_eth(&t, NULL, 0, 0x0800);
	tp_ipv4(&t, S4, D4, 6, 0)[0] = 0x46;
	tp_put(&t, 4);				/* 4 bytes of options */
	tp_l4(&t, 6, 5353, 53);
	expect(NIC, ALL6, DLT_EN10MB, &t, "TCPv4", in4, n4, "IPv4 options");
	expect(QEMU, ALL6, DLT_EN10MB, &t, "TCPv4", in4, n4, "IPv4 options");

	/* truncated IPv4 header */
	memset(&t, 0, sizeof(t));
	tp_eth(&t, NULL, 0, 0x0800);
	tp_ipv4(&t, S4, D4, 6, 0);
	t.len -= 1;
	expect(NIC, ALL6, DLT_EN10MB, &t, NULL, NULL, 0, "19-byte IPv4 header");
	expect(QEMU, ALL6, DLT_EN10MB, &t, NULL, NULL, 0, "19-byte IPv4 header");
}

static void ipv6_cases(void)
{
	static const char *home = "2001:db8:aaaa::10", *care = "2001:db8:bbbb::20";
	uint8_t in6[36], in2[36], ex[36];
	size_t n6 = tp_tuple(AF_INET6, S6, D6, 1, 40000, 443, in6);
	size_t n2 = tp_tuple(AF_INET6, S6, D6, 0, 0, 0, in2);
	uint8_t *p;
	struct tp t;
	int m;

	/* hop-by-hop, then TCP: the NIC stops, QEMU walks on */
	memset(&t, 0, sizeof(t));
	tp_eth(&t, NULL, 0, 0x86dd);
	tp_ipv6(&t, S6, D6, 0);
	tp_ext(&t, 6, 0);
	tp_l4(&t, 6, 40000, 443);
	expect(NIC, ALL6, DLT_EN10MB, &t, "IPv6", in2, n2, "hop-by-hop + TCP");
	expect(QEMU, ALL6, DLT_EN10MB, &t, "TCPv6", in6, n6, "hop-by-hop + TCP");

	/* destination options + routing + UDP */
	memset(&t, 0, sizeof(t));
	tp_eth(&t, NULL, 0, 0x86dd);
	tp_ipv6(&t, S6, D6, 60);
	tp_ext(&t, 43, 1);
	tp_ext(&t, 17, 0)[2] = 0;		/* routing type 0 */
	tp_l4(&t, 17, 40000, 443);
	expect(NIC, ALL6, DLT_EN10MB, &t, "IPv6", in2, n2, "dest opts + routing + UDP");
	expect(QEMU, ALL6, DLT_EN10MB, &t, "UDPv6", in6, n6, "dest opts + routing + UDP");

	/* a fragment header anywhere: addresses only, for both */
	for (m = NIC; m <= QEMU; m++) {
		memset(&t, 0, sizeof(t));
		tp_eth(&t, NULL, 0, 0x86dd);
		tp_ipv6(&t, S6, D6, 44);
		tp_ext(&t, 6, 0);		/* fragment header, offset 0 */
		tp_l4(&t, 6, 40000, 443);
		expect(m, ALL6, DLT_EN10MB, &t, "IPv6", in2, n2, "fragment header + TCP");
	}

	/* ESP ends QEMU's walk: addresses only */
	memset(&t, 0, sizeof(t));
	tp_eth(&t, NULL, 0, 0x86dd);
	tp_ipv6(&t, S6, D6, 0);
	tp_ext(&t, 50, 0);
	tp_put(&t, 32);
	expect(QEMU, ALL6, DLT_EN10MB, &t, "IPv6", in2, n2, "hop-by-hop + ESP");

	/* AH: QEMU counts its length in 8-byte units, so reads the ports 16
	 * bytes too far (AH len 4 = 24 bytes, QEMU skips 40) */
	{
		uint8_t want[36];

		memset(&t, 0, sizeof(t));
		tp_eth(&t, NULL, 0, 0x86dd);
		tp_ipv6(&t, S6, D6, 51);
		p = tp_put(&t, 24);
		p[0] = 6;
		p[1] = 4;
		tp_l4(&t, 6, 40000, 443);
		tp_put(&t, 40);
		t.b[14 + 40 + 40] = 0xab;	/* where QEMU looks */
		t.b[14 + 40 + 43] = 0xcd;
		memcpy(want, in2, 32);
		memcpy(want + 32, "\xab\x00\x00\xcd", 4);
		expect(QEMU, ALL6, DLT_EN10MB, &t, "TCPv6", want, 36, "AH (len 4) + TCP");
		expect(NIC, ALL6, DLT_EN10MB, &t, "IPv6", in2, n2, "AH (len 4) + TCP");
	}

	/* an extension header cut by the end of the frame: addresses only */
	memset(&t, 0, sizeof(t));
	tp_eth(&t, NULL, 0, 0x86dd);
	tp_ipv6(&t, S6, D6, 0);
	tp_ext(&t, 0, 0);
	t.b[t.len++] = 6;			/* one byte of the next one */
	expect(QEMU, ALL6, DLT_EN10MB, &t, "IPv6", in2, n2, "cut extension header");

	/* home address option + routing header type 2, then TCP */
	memset(&t, 0, sizeof(t));
	tp_eth(&t, NULL, 0, 0x86dd);
	tp_ipv6(&t, S6, D6, 43);
	p = tp_ext(&t, 60, 2);			/* routing type 2, 1 left */
	p[2] = 2;
	p[3] = 1;
	inet_pton(AF_INET6, care, p + 8);
	p = tp_ext(&t, 6, 2);			/* dest opts: Pad1, PadN(3), HAO */
	p[2] = 0;				/* Pad1 */
	p[3] = 1;				/* PadN, 1 byte of padding */
	p[4] = 1;
	p[6] = 0xc9;
	p[7] = 16;
	inet_pton(AF_INET6, home, p + 8);
	tp_l4(&t, 6, 40000, 443);
	tp_tuple(AF_INET6, home, care, 1, 40000, 443, ex);
	expect(QEMU, ALL6 | WC_RSS_TCP6EX, DLT_EN10MB, &t, "TCPv6_EX", ex, 36,
	       "HAO + RH2 + TCP, tcp6ex: home and care-of addresses");
	expect(QEMU, ALL6, DLT_EN10MB, &t, "TCPv6", in6, n6,
	       "HAO + RH2 + TCP, no _EX: header addresses");
	tp_tuple(AF_INET6, home, care, 0, 0, 0, ex);
	expect(QEMU, WC_RSS_IP6EX, DLT_EN10MB, &t, "IPv6_EX", ex, 32,
	       "HAO + RH2 + TCP, ipv6ex only");
	expect(QEMU, WC_RSS_TCP6EX, DLT_EN10MB, &t, "TCPv6_EX", (tp_tuple(AF_INET6, home, care, 1, 40000, 443, ex), ex), 36,
	       "HAO + RH2 + TCP, tcp6ex only");
	expect(NIC, ALL6 | WC_RSS_TCP6EX, DLT_EN10MB, &t, "IPv6", in2, n2,
	       "HAO + RH2 + TCP, tcp6ex (no extension headers parsed)");
	expect(QEMU, WC_RSS_UDP6, DLT_EN10MB, &t, NULL, NULL, 0,
	       "TCP over IPv6, types udp6 only");
}

static void linktype_cases(void)
{
	uint8_t in4[36], in6[36];
	size_t n4 = tp_tuple(AF_INET, S4, D4, 1, 1234, 80, in4);
	size_t n6 = tp_tuple(AF_INET6, S6, D6, 1, 1234, 80, in6);
	struct tp t;
	int m;

	for (m = NIC; m <= QEMU; m++) {
		memset(&t, 0, sizeof(t));
		tp_ipv4(&t, S4, D4, 6, 0);
		tp_l4(&t, 6, 1234, 80);
		expect(m, ALL6, DLT_RAW, &t, "TCPv4", in4, n4, "DLT_RAW IPv4");
		memset(&t, 0, sizeof(t));
		tp_ipv6(&t, S6, D6, 6);
		tp_l4(&t, 6, 1234, 80);
		expect(m, ALL6, DLT_RAW, &t, "TCPv6", in6, n6, "DLT_RAW IPv6");
		expect(m, ALL6, DLT_IPV6, &t, "TCPv6", in6, n6, "DLT_IPV6");
		memset(&t, 0, sizeof(t));
		tp_put(&t, 4)[0] = 2;		/* AF_INET, little endian */
		tp_ipv4(&t, S4, D4, 6, 0);
		tp_l4(&t, 6, 1234, 80);
		expect(m, ALL6, DLT_NULL, &t, "TCPv4", in4, n4, "DLT_NULL");
		memset(&t, 0, sizeof(t));
		tp_be16(tp_put(&t, 16) + 14, 0x86dd);
		tp_ipv6(&t, S6, D6, 6);
		tp_l4(&t, 6, 1234, 80);
		expect(m, ALL6, DLT_LINUX_SLL, &t, "TCPv6", in6, n6, "Linux SLL");
		memset(&t, 0, sizeof(t));
		tp_be16(tp_put(&t, 20), 0x0800);
		tp_ipv4(&t, S4, D4, 6, 0);
		tp_l4(&t, 6, 1234, 80);
		expect(m, ALL6, DLT_LINUX_SLL2, &t, "TCPv4", in4, n4, "Linux SLL2");
		expect(m, ALL6, DLT_PPP, &t, NULL, NULL, 0, "unsupported link type");
	}
	memset(&t, 0, sizeof(t));
	tp_put(&t, 10);
	tap_ok(wc_rss_input(7, ALL6, DLT_EN10MB, t.b, t.len, &(struct wc_rss_input){ 0 }) == -EINVAL,
	       "unknown model: -EINVAL");
}

static void parse_cases(void)
{
	uint8_t key[64];
	uint32_t types;
	char buf[128];

	tap_ok(wc_rss_parse_key("6d5a56da255b0ec24167253d43a38fb0d0ca2bcbae7b30b477cb2da38030f20c6a42b73bbeac01fa",
				key, sizeof(key)) == 40 && key[0] == 0x6d &&
	       key[39] == 0xfa, "40-byte hex key");
	tap_ok(wc_rss_parse_key("6d:5A:56", key, sizeof(key)) == 3 &&
	       key[1] == 0x5a, "key with colons, upper case");
	tap_ok(wc_rss_parse_key("6d5", key, sizeof(key)) == -EINVAL,
	       "odd number of digits refused");
	tap_ok(wc_rss_parse_key("zz", key, sizeof(key)) == -EINVAL,
	       "non-hex refused");
	tap_ok(wc_rss_parse_key("00112233", key, 3) == -EINVAL,
	       "key longer than the buffer refused");
	tap_ok(!wc_rss_parse_types("ipv4,tcp4,udp6ex", &types) &&
	       types == (WC_RSS_IPV4 | WC_RSS_TCP4 | WC_RSS_UDP6EX),
	       "types list");
	tap_ok(!wc_rss_parse_types("0x3f", &types) && types == 0x3f,
	       "types as virtio bits");
	tap_ok(!wc_rss_parse_types("all", &types) && types == 0x1ff, "all");
	tap_ok(wc_rss_parse_types("ipv4,,tcp4", &types) == -EINVAL &&
	       wc_rss_parse_types("tcp5", &types) == -EINVAL &&
	       wc_rss_parse_types("0x200", &types) == -EINVAL,
	       "bad types refused");
	tap_ok(!strcmp(wc_rss_types_str(0x3f, buf, sizeof(buf)),
		       "ipv4,tcp4,udp4,ipv6,tcp6,udp6"), "types printed");
}

int main(void)
{
	vlan_cases();
	ipv4_cases();
	ipv6_cases();
	linktype_cases();
	parse_cases();
	return tap_done();
}
