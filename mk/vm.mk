# Test VM: run one shell command in a QEMU guest with the WireCAP modules.
# Included from the top-level Makefile.
#
#   make vm CMD='<shell command>' [TRACE=file.pcap] [QUEUES=n] [NICS=1|2]
#           [SPEED=top|recorded|<mult>] [KERNEL=6.1|6.12]
#           [NIC=softnic|virtio|virtio-stock|e1000e|e1000e-stock]
#           [TXQUEUELEN=n]
#           [PIN_QEMU=cpus] [PIN_GEN=cpu] [GEN_TIMER=nano|gtod]
#           [VM_TIMEOUT=secs] [VM_RESULTS=dir] [VM_EXTRA=dir]
#
# The recipe fails (make reports "Error N", N being scripts/vm.sh's exit
# status: the command's own, 124 timeout, 125 kernel trouble) when the guest
# command fails. Options left empty fall back to scripts/vm.sh's defaults.
#
# Wiring: `vm` first builds $(VM_DEPS), the targets that produce our modules
# for the chosen kernel and our static user binaries. Set VM_DEPS (and, if
# they do not land in scripts/vm.sh's default places, VM_MODULES / VM_BIN)
# before or after including this file.

VM_MK_TOP := $(abspath $(dir $(lastword $(MAKEFILE_LIST)))..)

KERNEL ?= 6.1
QUEUES ?=
NICS ?=
SPEED ?=
TRACE ?=
NIC ?=
TXQUEUELEN ?=
PIN_QEMU ?=
PIN_GEN ?=
GEN_TIMER ?=
VM_TIMEOUT ?=
VM_RESULTS ?=
VM_EXTRA ?=
# Default: build/$(KREL_$(KERNEL))/modules and build/bin (set in vm.sh).
VM_MODULES ?=
VM_BIN ?=
VM_DEPS ?= modules userbins

# "--opt 'value'" only when the variable is non-empty.
vm_opt = $(if $(strip $(2)),$(1) '$(strip $(2))')
VM_ARGS = $(strip --kernel '$(KERNEL)' \
	$(call vm_opt,--queues,$(QUEUES)) \
	$(call vm_opt,--nics,$(NICS)) \
	$(call vm_opt,--speed,$(SPEED)) \
	$(call vm_opt,--trace,$(TRACE)) \
	$(call vm_opt,--nic,$(NIC)) \
	$(call vm_opt,--txqueuelen,$(TXQUEUELEN)) \
	$(call vm_opt,--pin-qemu,$(PIN_QEMU)) \
	$(call vm_opt,--pin-gen,$(PIN_GEN)) \
	$(call vm_opt,--gen-timer,$(GEN_TIMER)) \
	$(call vm_opt,--timeout,$(VM_TIMEOUT)) \
	$(call vm_opt,--results,$(VM_RESULTS)) \
	$(call vm_opt,--modules,$(VM_MODULES)) \
	$(call vm_opt,--bin,$(VM_BIN)) \
	$(call vm_opt,--extra,$(VM_EXTRA)))

.PHONY: vm
vm: $(VM_DEPS)
	@if [ -z "$$WIRECAP_VM_CMD" ]; then \
		echo "usage: make vm CMD='<shell command>' [TRACE=f.pcap] [QUEUES=n] [NICS=1|2] [SPEED=top|recorded|mult] [KERNEL=6.1|6.12] [NIC=softnic|virtio|virtio-stock|e1000e|e1000e-stock] [TXQUEUELEN=n] [PIN_QEMU=cpus] [PIN_GEN=cpu]" >&2; \
		exit 2; \
	fi
	$(VM_MK_TOP)/scripts/vm.sh $(VM_ARGS) -- "$$WIRECAP_VM_CMD"

# The command reaches the recipe through the environment, unexpanded, so
# that quotes and '$' in it need no escaping for make or for the shell.
vm: export WIRECAP_VM_CMD = $(value CMD)
