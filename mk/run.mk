# `make run`: capture a replayed trace from the test VM's NIC (virtio-net by
# default) with WireCAP; see scripts/run.sh. Included from the top-level
# Makefile, after VM_DEPS is set (as for mk/vm.mk).
#
#   make run [TRACE=file.pcap] [QUEUES=n] [OUT=file.pcap]
#            [SPEED=top|recorded|<mult>] [KERNEL=6.1|6.12]
#            [NIC=virtio|softnic|virtio-stock|e1000e|e1000e-stock]
#            [TXQUEUELEN=n]
#            [PIN_QEMU=cpus] [PIN_GEN=cpu] [GEN_TIMER=gtod|nano]
#            [RUN_RESULTS=dir] [VM_TIMEOUT=secs]
#
# Without TRACE a trace is generated (scripts/gen-traffic.py). Options left
# empty fall back to scripts/run.sh's defaults (NIC virtio, 4 queues, speed
# 1, results in results/run). The recipe fails with run.sh's status.

RUN_MK_TOP := $(abspath $(dir $(lastword $(MAKEFILE_LIST)))..)

KERNEL ?= 6.1
TRACE ?=
QUEUES ?=
OUT ?=
SPEED ?=
NIC ?=
TXQUEUELEN ?=
PIN_QEMU ?=
PIN_GEN ?=
GEN_TIMER ?=
RUN_RESULTS ?=
VM_TIMEOUT ?=
VM_DEPS ?= modules userbins

# "--opt 'value'" only when the variable is non-empty.
run_opt = $(if $(strip $(2)),$(1) '$(strip $(2))')
RUN_ARGS = $(strip --kernel '$(KERNEL)' \
	$(call run_opt,--trace,$(TRACE)) \
	$(call run_opt,--queues,$(QUEUES)) \
	$(call run_opt,--out,$(OUT)) \
	$(call run_opt,--speed,$(SPEED)) \
	$(call run_opt,--nic,$(NIC)) \
	$(call run_opt,--txqueuelen,$(TXQUEUELEN)) \
	$(call run_opt,--pin-qemu,$(PIN_QEMU)) \
	$(call run_opt,--pin-gen,$(PIN_GEN)) \
	$(call run_opt,--gen-timer,$(GEN_TIMER)) \
	$(call run_opt,--results,$(RUN_RESULTS)) \
	$(call run_opt,--timeout,$(VM_TIMEOUT)))

.PHONY: run
run: $(VM_DEPS)
	$(RUN_MK_TOP)/scripts/run.sh $(RUN_ARGS)
