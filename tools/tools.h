/* SPDX-License-Identifier: BSD-2-Clause */
/* The subcommands of the `wirecap` tool, one file each. */
#ifndef WIRECAP_TOOLS_H
#define WIRECAP_TOOLS_H

int cmd_stats(int argc, char **argv);
int cmd_profile(int argc, char **argv);
int cmd_handler(int argc, char **argv);

#endif
