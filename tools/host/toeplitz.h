/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Toeplitz RSS on the host: the hash, and which bytes of a frame it is
 * computed over, for two receivers:
 *
 *   WC_RSS_MODEL_NIC   what a NIC (and our software NIC, drivers/softnic/)
 *                      does; the default of wirecap-rss.
 *   WC_RSS_MODEL_QEMU  what QEMU 7.2's virtio-net does in software
 *                      (Debian bookworm's qemu 1:7.2+dfsg-7+deb12u18, i.e.
 *                      v7.2.0 plus the 7.2.x stable patches: none of them
 *                      touches the code below).
 *
 * The hash
 * --------
 * Microsoft's definition ("RSS hashing functions", NdisHashFunctionToeplitz):
 * for each bit of the input, left to right, if the bit is 1 XOR the leftmost
 * 32 bits of the key into the result, then shift the key left by one. A
 * 40-byte key covers the longest input (36 bytes: two IPv6 addresses and two
 * ports). The input is in network byte order, as the fields are in the
 * packet. Checked against every vector of Microsoft's "Verifying the RSS
 * Hash Calculation" table by selftests/host/rss_vectors.c.
 *
 * Queue = table[hash % table_len]; for the power-of-two tables that virtio
 * (and QEMU) require this is table[hash & (table_len - 1)].
 *
 * Hash types
 * ----------
 * The bits of virtio's hash_types (VIRTIO_NET_RSS_HASH_TYPE_*, the same
 * meanings as NDIS_HASH_*). Given the packet, the type used is chosen as QEMU
 * does in virtio_net_get_hash_type() (hw/net/virtio-net.c) and as Microsoft's
 * "RSS hashing types" page describes, for both models:
 *
 *   IPv4: TCP (not a fragment) and TCPv4 set  -> src, dst, sport, dport
 *         UDP (not a fragment) and UDPv4 set  -> src, dst, sport, dport
 *         else IPv4 set                       -> src, dst
 *         else                                -> no hash
 *   IPv6: the same with TCPv6/UDPv6/IPv6; in the QEMU model TCP_EX counts
 *         like TCPv6 (UDP_EX like UDPv6, IP_EX like IPv6) and, when set,
 *         selects the _EX input (below).
 *   other (ARP, PPPoE, MPLS, ...): no hash.
 *
 * So a UDP packet is hashed with its ports only when UDPv4 (UDPv6) is
 * enabled; otherwise it gets the address-only hash if IPv4 (IPv6) is
 * enabled, and no hash at all if not. A packet without a hash goes to the
 * "unclassified" queue (virtio_net_rss_config.unclassified_queue, QEMU's
 * rss_data.default_queue; queue 0 on our software NIC).
 *
 * Parsing, WC_RSS_MODEL_NIC (the same rules as drivers/softnic/toeplitz.c)
 * --------------------------------------------------------------------
 * - Ethernet: up to two VLAN tags, each 0x8100 or 0x88a8, in any order.
 * - IPv4: needs a 20-byte header, version 4 and IHL >= 5 (else no hash).
 *   A fragment (MF set or offset != 0; DF does not count) is hashed on its
 *   addresses only, the first fragment included. Ports need the 4 port
 *   bytes after IHL*4 in the frame.
 * - IPv6: needs the 40-byte header. Ports only when the next header is
 *   directly TCP (6) or UDP (17); any extension header (hop-by-hop,
 *   fragment, ...) means an address-only hash. The _EX bits are read as
 *   their plain counterparts.
 *
 * Parsing, WC_RSS_MODEL_QEMU (QEMU 7.2 software RSS)
 * --------------------------------------------------
 * virtio_net_receive_rcu() calls virtio_net_process_rss() when RSS is on and
 * rss_data.enabled_software_rss, which parses with
 * net_rx_pkt_set_protocols() (hw/net/net_rx_pkt.c) -> eth_get_protocols()
 * (net/eth.c), picks the type with virtio_net_get_hash_type() and hashes
 * with net_rx_pkt_calc_rss_hash() (hw/net/net_rx_pkt.c). What that means:
 * - VLAN (eth_get_l2_hdr_length(), include/net/eth.h): one 0x8100 tag, or
 *   an 0x88a8 tag optionally followed by one 0x8100 tag. Two 0x8100 tags,
 *   0x88a8 + 0x88a8, 0x9100: the L3 type read is a tag type -> no hash.
 * - IPv4: every 0x0800 frame is "IPv4". TCP/UDP only when version == 4;
 *   with another version it still gets the address-only hash over header
 *   bytes 12..19. IHL is not checked: the L4 header is read at IHL*4 even
 *   when IHL < 5. Fragment = MF or offset != 0 (IP4_IS_FRAGMENT; DF does
 *   not count): address-only, first fragment included.
 * - TCP/UDP ports are used only if the whole TCP (20 bytes) or UDP
 *   (8 bytes) header is in the frame (_eth_copy_chunk); else address-only.
 * - IPv6 (eth_parse_ipv6_hdr()): walks extension headers 0 (hop-by-hop),
 *   43 (routing), 44 (fragment), 51 (AH), 60 (destination options) and 135
 *   (mobility), each (len + 1) * 8 bytes long (also AH, whose length is
 *   really in 4-byte units: QEMU then reads the L4 header at the wrong
 *   place). ESP (50) and anything else ends the walk. TCP/UDP ports ARE
 *   used after extension headers, for the plain TCPv6/UDPv6 types too. A
 *   fragment header anywhere -> address-only. An extension header cut off
 *   by the end of the frame ends the parse: address-only.
 * - _EX types (_net_rx_rss_prepare_ip6(ipv6ex = true)): source = the home
 *   address option (type 0xC9) of a destination options header, found as
 *   _eth_get_rss_ex_src_addr() walks the options; destination = the address
 *   of a routing header with len 2, type 2 and segments left 1. Each later
 *   destination options (routing, len 2) header re-decides that address.
 *   Without them, the IPv6 header's addresses.
 * - Only packets whose IPv4 (20 bytes) or IPv6 (40 bytes) header is all in
 *   the frame are modelled; QEMU hashes those with stale bytes of the
 *   previous packet (its NetRxPkt is reused), we give them no hash. The
 *   same for frames under 18 bytes (eth_get_l2_hdr_length_iov() then
 *   takes the frame's length as the L2 length).
 * - QEMU also requires a power-of-two table of at most 128 entries
 *   (VIRTIO_NET_RSS_MAX_TABLE_LEN) and a key of at most 40 bytes.
 *
 * When QEMU does NOT use this code
 * --------------------------------
 * With a tap backend QEMU 7.2 first tries to steer in the host kernel with
 * its eBPF program (tools/ebpf/rss.bpf.c, loaded by
 * virtio_net_attach_epbf_rss(); Debian's build has it) and falls back to
 * the software RSS above only if that fails ("Can't load eBPF RSS -
 * fallback to software RSS"), or when the guest negotiated hash reports
 * (VIRTIO_NET_F_HASH_REPORT, device property hash=on), which forces
 * software RSS. The 7.2 eBPF program differs and is not modelled: it takes
 * any nonzero frag_off as a fragment, DF included (so most TCP traffic gets
 * the address-only hash; fixed upstream after 7.2), hashes TCP/UDP ports
 * for IPv6 only when TCPv6/UDPv6 itself is set (the _EX bits just pick the
 * addresses), walks ICMPv6 (58) and no-next-header (59) as extension
 * headers but not AH, sends a hash of 0 to the unclassified queue, and
 * reads the IP header at the skb's network offset.
 *
 * Other link types (pcap files): raw IPv4/IPv6 (DLT_RAW, DLT_IPV4,
 * DLT_IPV6), DLT_NULL/DLT_LOOP and Linux cooked captures (SLL, SLL2) are
 * hashed from their IP header with the same L3 rules; a NIC never sees
 * them, so this only predicts what the same packets would do on Ethernet.
 */
#ifndef WIRECAP_HOST_TOEPLITZ_H
#define WIRECAP_HOST_TOEPLITZ_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define WC_RSS_KEY_LEN		40	/* what NICs and virtio use */
#define WC_RSS_KEY_MAX		64	/* what we accept */
#define WC_RSS_INPUT_MAX	36	/* 2 x 16 address bytes + 2 x 2 ports */
#define WC_QEMU_TABLE_MAX	128	/* VIRTIO_NET_RSS_MAX_TABLE_LEN */

/* Hash types: the bit values of VIRTIO_NET_RSS_HASH_TYPE_*. */
#define WC_RSS_IPV4	(1u << 0)
#define WC_RSS_TCP4	(1u << 1)
#define WC_RSS_UDP4	(1u << 2)
#define WC_RSS_IPV6	(1u << 3)
#define WC_RSS_TCP6	(1u << 4)
#define WC_RSS_UDP6	(1u << 5)
#define WC_RSS_IP6EX	(1u << 6)
#define WC_RSS_TCP6EX	(1u << 7)
#define WC_RSS_UDP6EX	(1u << 8)
#define WC_RSS_TYPES_DEFAULT	0x3fu	/* the six plain types */
#define WC_RSS_TYPES_ALL	0x1ffu

enum wc_rss_model {
	WC_RSS_MODEL_NIC,
	WC_RSS_MODEL_QEMU,
};

/* What was hashed, for reports. */
struct wc_rss_input {
	uint8_t bytes[WC_RSS_INPUT_MAX];	/* the hash input */
	size_t len;
	const char *type;	/* "TCPv4", "IPv6_EX", ...; NULL: no hash */
	const char *why;	/* why no hash, when type is NULL */
	int family;		/* 4, 6, or 0 when not IP */
	uint16_t ethertype;	/* the L3 type looked at (0: none) */
	uint8_t proto;		/* IPv4 protocol / IPv6 last next header */
	bool ports;		/* sport/dport are part of the input */
	uint16_t sport, dport;
};

/* The Toeplitz hash of in[0..len) under key[0..key_len) (bits past the end
 * of the key count as 0). */
uint32_t wc_toeplitz(const uint8_t *key, size_t key_len,
		     const uint8_t *in, size_t len);

/*
 * Fill *in with the hash input for one frame of pcap link type linktype
 * (DLT_* as pcap_datalink() returns it). Returns 1 when the frame gets a
 * hash, 0 when it does not (in->why says why), -EINVAL for a bad model.
 */
int wc_rss_input(enum wc_rss_model model, uint32_t types, int linktype,
		 const uint8_t *frame, size_t len, struct wc_rss_input *in);

/* Whether wc_rss_input() knows where the IP header of this link type is. */
bool wc_rss_linktype_ok(int linktype);

/* "6d5a56da..." or "6d:5a:..." -> key bytes; returns the length or -EINVAL. */
int wc_rss_parse_key(const char *hex, uint8_t *key, size_t max);

/* "ipv4,tcp4,..." (also ipv6ex, tcp6ex, udp6ex, all, or a number such as
 * 0x3f) -> hash type bits; returns 0 or -EINVAL. */
int wc_rss_parse_types(const char *list, uint32_t *types);

/* Format the types as a list; returns buf. */
char *wc_rss_types_str(uint32_t types, char *buf, size_t size);

/* "10.0.0.1:80 > 10.0.0.2:1234" (ports only when hashed); returns buf. */
char *wc_rss_input_str(const struct wc_rss_input *in, char *buf, size_t size);

#endif
