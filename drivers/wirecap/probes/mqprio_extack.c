// SPDX-License-Identifier: GPL-2.0
/*
 * WC_HAVE_MQPRIO_EXTACK: mqprio's offload request to a driver
 * (struct tc_mqprio_qopt_offload, ndo_setup_tc(TC_SETUP_QDISC_MQPRIO))
 * carries the caller's netlink extack, so the Intel glue can say why it
 * refuses (6.12 has it, 6.1 not). The struct is in <net/pkt_cls.h> in 6.1,
 * <net/pkt_sched.h> later; the member is taken with its exact type.
 */
#include <net/pkt_cls.h>
#include <net/pkt_sched.h>

static __maybe_unused struct netlink_ext_ack **
wc_probe(struct tc_mqprio_qopt_offload *mqprio)
{
	return &mqprio->extack;
}
