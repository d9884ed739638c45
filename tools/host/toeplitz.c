// SPDX-License-Identifier: GPL-2.0
/* The Toeplitz hash and the parsing of keys and hash-type lists. */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "toeplitz.h"

static uint8_t key_byte(const uint8_t *key, size_t key_len, size_t i)
{
	return i < key_len ? key[i] : 0;
}

uint32_t wc_toeplitz(const uint8_t *key, size_t key_len,
		     const uint8_t *in, size_t len)
{
	uint64_t window = 0;	/* key bits 8i .. 8i+63, bit 8i on top */
	uint32_t hash = 0;
	size_t i;
	int b;

	for (i = 0; i < 8; i++)
		window = window << 8 | key_byte(key, key_len, i);
	for (i = 0; i < len; i++) {
		/* input bit 8i+b meets key bits 8i+b .. 8i+b+31 */
		for (b = 0; b < 8; b++)
			if (in[i] & (0x80 >> b))
				hash ^= (uint32_t)(window >> (32 - b));
		window = window << 8 | key_byte(key, key_len, i + 8);
	}
	return hash;
}

static int hex_digit(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = tolower(c);
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

int wc_rss_parse_key(const char *hex, uint8_t *key, size_t max)
{
	size_t n = 0;
	int hi, lo;

	if (!strncmp(hex, "0x", 2) || !strncmp(hex, "0X", 2))
		hex += 2;
	while (*hex) {
		if (*hex == ':' || *hex == ' ' || *hex == ',') {
			hex++;
			continue;
		}
		hi = hex_digit(hex[0]);
		lo = hi < 0 ? -1 : hex_digit(hex[1]);
		if (lo < 0 || n == max)
			return -EINVAL;
		key[n++] = hi << 4 | lo;
		hex += 2;
	}
	return n ? (int)n : -EINVAL;
}

static const struct {
	const char *name;
	uint32_t bit;
} type_names[] = {
	{ "ipv4", WC_RSS_IPV4 },     { "tcp4", WC_RSS_TCP4 },
	{ "udp4", WC_RSS_UDP4 },     { "ipv6", WC_RSS_IPV6 },
	{ "tcp6", WC_RSS_TCP6 },     { "udp6", WC_RSS_UDP6 },
	{ "ipv6ex", WC_RSS_IP6EX },  { "tcp6ex", WC_RSS_TCP6EX },
	{ "udp6ex", WC_RSS_UDP6EX },
};

int wc_rss_parse_types(const char *list, uint32_t *types)
{
	char word[16];
	uint32_t t = 0;
	size_t i, n;
	char *end;

	if (isdigit((unsigned char)list[0])) {
		unsigned long v = strtoul(list, &end, 0);

		if (*end || v & ~(unsigned long)WC_RSS_TYPES_ALL)
			return -EINVAL;
		*types = v;
		return 0;
	}
	while (*list) {
		n = strcspn(list, ",");
		if (n == 0 || n >= sizeof(word))
			return -EINVAL;
		memcpy(word, list, n);
		word[n] = 0;
		list += n + (list[n] == ',');
		if (!strcasecmp(word, "all")) {
			t |= WC_RSS_TYPES_ALL;
			continue;
		}
		for (i = 0; i < sizeof(type_names) / sizeof(type_names[0]); i++)
			if (!strcasecmp(word, type_names[i].name))
				break;
		if (i == sizeof(type_names) / sizeof(type_names[0]))
			return -EINVAL;
		t |= type_names[i].bit;
	}
	*types = t;
	return 0;
}

char *wc_rss_types_str(uint32_t types, char *buf, size_t size)
{
	size_t i, n = 0;

	buf[0] = 0;
	for (i = 0; i < sizeof(type_names) / sizeof(type_names[0]); i++)
		if (types & type_names[i].bit && n < size)
			n += snprintf(buf + n, size - n, "%s%s", n ? "," : "",
				      type_names[i].name);
	if (!n)
		snprintf(buf, size, "none");
	return buf;
}

char *wc_rss_input_str(const struct wc_rss_input *in, char *buf, size_t size)
{
	char s[INET6_ADDRSTRLEN], d[INET6_ADDRSTRLEN];
	int af = in->family == 6 ? AF_INET6 : AF_INET;
	size_t alen = in->family == 6 ? 16 : 4;

	if (!in->family || in->len < 2 * alen) {
		snprintf(buf, size, "-");
		return buf;
	}
	inet_ntop(af, in->bytes, s, sizeof(s));
	inet_ntop(af, in->bytes + alen, d, sizeof(d));
	if (in->ports && af == AF_INET6)
		snprintf(buf, size, "[%s]:%u > [%s]:%u", s, in->sport, d,
			 in->dport);
	else if (in->ports)
		snprintf(buf, size, "%s:%u > %s:%u", s, in->sport, d,
			 in->dport);
	else
		snprintf(buf, size, "%s > %s proto %u", s, d, in->proto);
	return buf;
}
