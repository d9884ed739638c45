// SPDX-License-Identifier: BSD-2-Clause
/*
 * wirecap: the command-line tool.
 *
 *   wirecap capture [-i IFNAME]... [-w FILE] [--pcapng] [-C SIZE]
 *                   [-G SECS] [-W N] ... [FILTER...]   (tools/capture.c)
 *
 * capture: packets of all chosen queues, through a libpcap filter, into
 * pcap or pcapng savefiles written through io_uring, rotated as tcpdump
 * rotates them; -D lists the devices.
 *
 *   wirecap version, wirecap --version
 *
 * version: the version of the tool (the top-level VERSION file).
 *
 *   wirecap stats [-i IFNAME] [--all] [--json | --openmetrics |
 *                 --listen [ADDR]:PORT]               (tools/stats.c)
 *
 * stats: the kernel's counters of every attached queue, from sysfs.
 *
 *   wirecap profile [-i IFNAME]... [--bin-ms N] [-o F.csv] [--png F.png] ...
 *   wirecap profile --plot F.csv --png F.png          (tools/profile.c)
 *
 * profile: packets per queue in time bins, by packet timestamp (Fig. 3).
 *
 *   wirecap handler [-i IFNAME]... [--mode basic|advanced] [-x N] ...
 *                                                      (tools/handler.c)
 *
 * handler: the paper's multi_pkt_handler: a thread per queue applies a BPF
 * filter x times to every packet; drop rates, offloading, Pp.
 *
 *   wirecap forward -i A -o B [FILTER] [-x N] ...      (tools/forward.c)
 *
 * forward: the paper's middlebox: a thread per queue of A sends what the
 * filter keeps out of B, zero copy from A's pool; counters per stage.
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <string.h>

#include "wirecap.h"
#include "tools.h"

static void usage(FILE *f)
{
	fprintf(f, "usage: wirecap <command> [options]\n"
		"commands:\n"
		"  capture   capture packets into pcap or pcapng files\n"
		"  stats     counters of every attached queue\n"
		"  profile   packets per queue over time, CSV and plot\n"
		"  handler   pkt_handler: n threads filter every packet x times;\n"
		"            basic or advanced (offloading) mode, drop rates\n"
		"  forward   middlebox: forward what a filter keeps from one\n"
		"            NIC out of another, zero copy\n"
		"  exec      run a libpcap program that can open wirecap:IFNAME\n"
		"  version   the version of wirecap (also --version)\n"
		"  help      this text\n"
		"'wirecap <command> -h' for the options of a command\n");
}

int main(int argc, char **argv)
{
	static const struct {
		const char *name;
		int (*fn)(int argc, char **argv);
	} cmds[] = {
		{ "capture", cmd_capture },
		{ "stats", cmd_stats },
		{ "profile", cmd_profile },
		{ "handler", cmd_handler },
		{ "forward", cmd_forward },
		{ "exec", cmd_exec },
	};
	unsigned int i;

	if (argc < 2) {
		usage(stderr);
		return 2;
	}
	if (!strcmp(argv[1], "version") || !strcmp(argv[1], "--version")) {
		printf("wirecap %s\n", WIRECAP_VERSION);
		return 0;
	}
	if (!strcmp(argv[1], "help") || !strcmp(argv[1], "-h") ||
	    !strcmp(argv[1], "--help")) {
		usage(stdout);
		return 0;
	}
	for (i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++)
		if (!strcmp(argv[1], cmds[i].name))
			return cmds[i].fn(argc - 1, argv + 1);
	fprintf(stderr, "wirecap: unknown command '%s'\n", argv[1]);
	usage(stderr);
	return 2;
}
