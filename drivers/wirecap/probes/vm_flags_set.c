// SPDX-License-Identifier: GPL-2.0
/*
 * WC_HAVE_VM_FLAGS_SET: a VMA's flags change only through
 * vm_flags_set() and vm_flags_clear(). 6.3 made vma->vm_flags read-only
 * (per-VMA locks must see every change); before, drivers wrote the field.
 * Both helpers are taken with the signature compat.h calls them with.
 */
#include <linux/mm.h>

static void (*const wc_probe_set)(struct vm_area_struct *, vm_flags_t)
	__maybe_unused = vm_flags_set;
static void (*const wc_probe_clear)(struct vm_area_struct *, vm_flags_t)
	__maybe_unused = vm_flags_clear;
