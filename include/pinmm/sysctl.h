/* SPDX-License-Identifier: MIT */
/*
 * pinmm/sysctl.h - the system-wide knobs that change what mapping,
 * faulting and pinning do, read and written as text, as through their
 * files in Linux:
 *
 *   vm.max_map_count            /proc/sys/vm/max_map_count: mappings a
 *                               process may have (default 65530): an
 *                               mmap that would make more, or a munmap
 *                               that would split a mapping at that
 *                               count, is -ENOMEM.  0 .. 2147483647.
 *   vm.memfd_noexec             /proc/sys/vm/memfd_noexec: what
 *                               memfd_create() without MFD_EXEC or
 *                               MFD_NOEXEC_SEAL means: 0 (default) as
 *                               MFD_EXEC, 1 as MFD_NOEXEC_SEAL, 2 also
 *                               refuses MFD_EXEC (-EACCES).  0 .. 2.
 *   transparent_hugepage.enabled
 *                               /sys/kernel/mm/transparent_hugepage/enabled:
 *                               always, madvise or never (what anonymous
 *                               faults, and so pins, get: a THP or small
 *                               pages).  Reads as "always [madvise] never",
 *                               the mode in brackets.
 *   transparent_hugepage.use_zero_page
 *                               .../transparent_hugepage/use_zero_page: 1
 *                               (default) lets a read fault in a THP area
 *                               map the huge zero page (which a short-term
 *                               R/O pin pins as it is and a long-term one
 *                               unshares), 0 makes it allocate a THP.
 *   vm.nr_hugepages             /proc/sys/vm/nr_hugepages: the persistent
 *                               size of the 2 MiB hugetlb pool
 *                               (pnm_hugetlb_set_pages(); reads back what
 *                               memory allowed).  0 .. LONG_MAX.
 *   vm.nr_overcommit_hugepages  /proc/sys/vm/nr_overcommit_hugepages: the
 *                               surplus 2 MiB pages allowed
 *                               (pnm_hugetlb_set_overcommit()).
 *   transparent_hugepage.hugepages-<size>kB.enabled
 *                               .../hugepages-<size>kB/enabled, <size> 16
 *                               .. 2048: the switch of one anonymous folio
 *                               size (pnm_thp_set_enabled()): always,
 *                               inherit, madvise or never; reads as
 *                               "always inherit madvise [never]".
 *   transparent_hugepage.khugepaged.max_ptes_none, .max_ptes_swap,
 *   .max_ptes_shared            .../khugepaged/max_ptes_*: khugepaged's
 *                               limits of empty entries (default 511),
 *                               swap entries (64) and shared pages (256)
 *                               per 2 MiB block.  0 .. 511.
 *
 * The initial values come from struct pnm_config (thp, thp_use_zero_page)
 * or Linux's defaults, and pnm_init() restores them.  A '/' may stand for
 * each '.' of a name ("vm/max_map_count").  A value is a decimal number
 * or, for enabled, one of the words; a trailing newline is accepted.
 * Changes apply to the next call that consults the knob; mappings and
 * pages made before stay as they are.  Any thread, any time (between
 * pnm_init() and pnm_fini()).
 */
#ifndef PINMM_SYSCTL_H
#define PINMM_SYSCTL_H

#include <pinmm/types.h>

PNM_BEGIN_DECLS

/*
 * Write @value to knob @name: 0, -ENOENT (no such knob), -EINVAL (a value
 * that is not a number or word the knob takes, or is out of its range,
 * NULL arguments, no model).  On error the knob keeps its value.
 */
PNM_API int pnm_sysctl_write(const char *name, const char *value);
/*
 * Read knob @name into @buf (@size bytes, NUL-terminated, no newline):
 * the length of the text (as snprintf: it was cut if >= @size), or
 * -ENOENT, -EINVAL (NULL @name, or NULL @buf with a non-zero @size, no
 * model).
 */
PNM_API int pnm_sysctl_read(const char *name, char *buf, size_t size);
/* The name of the @i-th knob (0, 1, ...), NULL past the last. */
PNM_API const char *pnm_sysctl_name(int i);

PNM_END_DECLS

#endif /* PINMM_SYSCTL_H */
