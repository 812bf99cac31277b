/* SPDX-License-Identifier: MIT */
/*
 * pinmm/hugetlb.h - hugetlb pages: the pools of 2 MiB and 1 GiB huge pages
 * (Linux's /proc/sys/vm/nr_hugepages, /sys/kernel/mm/hugepages/hugepages-*),
 * their counters as /proc/meminfo shows them, and unnamed hugetlbfs files
 * (memfd_create(MFD_HUGETLB)).
 *
 * Mappings: pnm_mmap() with PNM_MAP_HUGETLB (and optionally
 * PNM_MAP_HUGE_2MB or PNM_MAP_HUGE_1GB; default 2 MiB) for anonymous
 * memory, private or shared, or any mapping of a PNM_FS_HUGETLBFS /
 * PNM_FS_HUGETLBFS_1G file (pinmm/file.h).  Lengths are rounded up to the
 * huge page size; MAP_FIXED addresses and file offsets must be aligned to
 * it (-EINVAL).  mmap reserves the pages the mapping may need (Linux's
 * semantics: a private mapping all of them, a shared one those its file
 * has no page or reservation for) and fails with -ENOMEM if the pool
 * cannot back them; MAP_NORESERVE skips that, and a fault that then finds
 * no free page fails (the process gets SIGBUS: pnm_user_write() -EFAULT;
 * GUP -EFAULT).  munmap, mprotect and madvise ranges inside a hugetlb
 * mapping must start and end on huge-page boundaries (-EINVAL).
 *
 * Page sizes are given in bytes: PNM_HUGETLB_2M, PNM_HUGETLB_1G.  The
 * 1 GiB size exists unless pnm_config.hugetlb_gigantic is false; its pool
 * pages need 1 GiB of naturally aligned free frames in ZONE_NORMAL.
 */
#ifndef PINMM_HUGETLB_H
#define PINMM_HUGETLB_H

#include <pinmm/types.h>

PNM_BEGIN_DECLS

#define PNM_HUGETLB_2M		(1UL << 21)
#define PNM_HUGETLB_1G		(1UL << 30)

/* mmap flags (Linux's values): a hugetlb mapping, and its page size as
 * log2 in bits 26..31 (0: 2 MiB). */
#define PNM_MAP_HUGETLB		0x40000
#define PNM_MAP_HUGE_SHIFT	26
#define PNM_MAP_HUGE_MASK	0x3f
#define PNM_MAP_HUGE_2MB	(21 << PNM_MAP_HUGE_SHIFT)
#define PNM_MAP_HUGE_1GB	(30 << PNM_MAP_HUGE_SHIFT)

/* One page size's pool, as /proc/meminfo and sysfs show it. */
struct pnm_hugetlb_info {
	size_t size;			/* set by the caller: sizeof(*info) */
	unsigned long page_size;	/* bytes (Hugepagesize) */
	/* The persistent pool size last set (nr_hugepages): pages that stay
	 * in the pool when freed. */
	unsigned long nr_hugepages;
	unsigned long total;		/* HugePages_Total: every page of the
					 * size, surplus and in use included */
	unsigned long free;		/* HugePages_Free: in the pool, unused */
	unsigned long resv;		/* HugePages_Rsvd: promised to mappings,
					 * not yet faulted in (<= free) */
	unsigned long surplus;		/* HugePages_Surp: beyond nr_hugepages */
	unsigned long nr_overcommit_hugepages; /* the surplus allowed */
	/* Of @free, those in ZONE_MOVABLE or ZONE_CMA (2 MiB pages come
	 * from there first, as Linux's movable hugetlb pages): a long-term
	 * pin cannot stay on them. */
	unsigned long free_movable;
};

/* @page_size's pool.  0, -EINVAL (no such size, bad @info, not
 * initialised).  Takes the pool lock briefly. */
PNM_API int pnm_hugetlb_get_info(unsigned long page_size, struct pnm_hugetlb_info *info);
/*
 * Set @page_size's persistent pool size (writing nr_hugepages): grow by
 * turning surplus pages persistent, then allocating fresh ones from the
 * buddy allocator (2 MiB: ZONE_MOVABLE, then NORMAL, then CMA; 1 GiB:
 * NORMAL only) as long as memory allows; shrink by freeing unused pages
 * (never below what is in use or reserved) and turning the rest of the
 * excess into surplus pages, freed as they are released.  Returns the
 * persistent size reached (which may be less than asked, as Linux's
 * nr_hugepages reads back), or -EINVAL (no such size, not initialised).
 */
PNM_API long pnm_hugetlb_set_pages(unsigned long page_size, unsigned long nr);
/* The surplus pages @page_size's pool may allocate on demand
 * (nr_overcommit_hugepages; default 0; 1 GiB pages are never surplus).
 * 0 or -EINVAL. */
PNM_API int pnm_hugetlb_set_overcommit(unsigned long page_size, unsigned long nr);
/*
 * An unnamed hugetlbfs file of @size bytes with @page_size pages, open
 * read-write (memfd_create() with MFD_HUGETLB): 0 with *@filep set (one
 * reference: pnm_file_close()), or -EINVAL (no such size, negative
 * @size, NULL @filep), -EFBIG, -ENOMEM.  Its size grows with a writable
 * mapping or pnm_file_truncate() (huge-page multiples); pages come from
 * the pool through faults or pnm_file_fallocate().
 */
PNM_API int pnm_hugetlb_file_create(const char *label, int64_t size,
				    unsigned long page_size, struct file **filep);

PNM_END_DECLS

#endif /* PINMM_HUGETLB_H */
