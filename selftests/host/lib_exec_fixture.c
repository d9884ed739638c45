// SPDX-License-Identifier: BSD-2-Clause
/*
 * A libpcap program for selftests/host/lib_exec.c, built three ways
 * (mk/lib.mk): linked with the shared libpcap (the case `wirecap exec`
 * serves); and, with OWN_PCAP, with a pcap_create() of its own standing
 * for a libpcap linked in statically, once dynamic and once -static.
 *
 * It says whose pcap_create() it calls: exit 0 when the shim's (the
 * preload worked), 4 when another's.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdio.h>
#include <string.h>

#ifdef OWN_PCAP
typedef struct pcap pcap_t;

pcap_t *pcap_create(const char *device, char *errbuf);

__attribute__((noinline)) pcap_t *pcap_create(const char *device,
					      char *errbuf)
{
	(void)device;
	(void)errbuf;
	return NULL;		/* "libpcap", linked in */
}

int main(void)
{
	char eb[256];

	printf("pcap_create: linked in (%p)\n",
	       (void *)pcap_create("wirecap:none", eb));
	return 4;
}
#else
#include <pcap/pcap.h>

int main(void)
{
	/* what the program's own call would reach */
	void *f = (void *)&pcap_create;
	Dl_info info;

	if (!f || !dladdr(f, &info) || !info.dli_fname) {
		printf("pcap_create: not found\n");
		return 5;
	}
	printf("pcap_create: %s\n", info.dli_fname);
	return strstr(info.dli_fname, "wirecap") ? 0 : 4;
}
#endif
