/* SPDX-License-Identifier: MIT */
/*
 * pinmm/mman.h - a process's address space: the model's memory system
 * calls, CPU accesses, and the memory-wide operations (migration,
 * compaction, reclaim).
 *
 * Every call takes the task whose address space it acts on, takes the
 * locks it needs itself and validates its arguments as Linux does; an
 * invalid argument changes nothing.  As in Linux, madvise and msync over
 * a range with holes act on the mapped parts and then return -ENOMEM.  Protection, flag and advice values are
 * Linux's (PROT_*, MAP_*, MADV_*, MS_* of <sys/mman.h>).  A task that has
 * exited gives -ESRCH.
 */
#ifndef PINMM_MMAN_H
#define PINMM_MMAN_H

#include <pinmm/types.h>

PNM_BEGIN_DECLS

/*
 * mmap(2): PROT_READ/WRITE/EXEC/NONE; MAP_PRIVATE or MAP_SHARED (exactly
 * one), MAP_ANONYMOUS, MAP_FIXED, MAP_FIXED_NOREPLACE, MAP_POPULATE,
 * MAP_NORESERVE.  @file NULL means anonymous (MAP_SHARED|MAP_ANONYMOUS is
 * backed by a shmem object).  Returns the address, or -EINVAL (bad
 * alignment, zero length, unknown flags, both or neither of PRIVATE/SHARED,
 * a secretmem file mapped private), -ENOMEM (no room, length overflows,
 * more mappings than vm.max_map_count), -EEXIST (FIXED_NOREPLACE overlap),
 * -EACCES (file mode forbids the protection), -EOVERFLOW (@off + @len
 * wraps the file offset), -EPERM (MAP_FIXED below 64 KiB, Linux's
 * mmap_min_addr; a shared writable mapping of a write-sealed memfd,
 * pinmm/memfd.h), -EAGAIN (secretmem past RLIMIT_MEMLOCK), -ESRCH.
 */
PNM_API long pnm_mmap(struct task_struct *task, unsigned long addr, unsigned long len,
		      unsigned long prot, unsigned long flags, struct file *file,
		      unsigned long off);

/* Flags of a device mapping (Linux's VM_IO, VM_PFNMAP, VM_DONTCOPY,
 * VM_DONTEXPAND values). */
#define PNM_VM_PFNMAP		0x00000400UL
#define PNM_VM_IO		0x00004000UL
#define PNM_VM_DONTCOPY		0x00020000UL
#define PNM_VM_DONTEXPAND	0x00040000UL
/*
 * A device-style VM_IO / VM_PFNMAP mapping (what a driver's mmap of MMIO
 * gives a process), to show that GUP refuses such areas.  @vm_flags must
 * contain PNM_VM_IO and/or PNM_VM_PFNMAP and nothing else but
 * PNM_VM_DONTCOPY and PNM_VM_DONTEXPAND; @prot is PROT_READ/WRITE/EXEC.
 * It has no pages: every CPU access faults (-EFAULT from pnm_user_read()
 * and pnm_user_write()) and GUP refuses it with -EFAULT.  Returns the
 * address, or -EINVAL, -ENOMEM, -ESRCH as pnm_mmap().
 */
PNM_API long pnm_mmap_pfnmap(struct task_struct *task, unsigned long len,
			     unsigned long prot, unsigned long vm_flags);
/* munmap(2): 0, -EINVAL (unaligned start, zero/overflowing length,
 * outside user space), -ENOMEM (a split needs memory it cannot get),
 * -ESRCH. */
PNM_API int pnm_munmap(struct task_struct *task, unsigned long addr, unsigned long len);

/* Flags of pnm_mremap(): Linux's MREMAP_MAYMOVE, MREMAP_FIXED and
 * MREMAP_DONTUNMAP (<sys/mman.h> has them with _GNU_SOURCE). */
#define PNM_MREMAP_MAYMOVE	1UL
#define PNM_MREMAP_FIXED	2UL
#define PNM_MREMAP_DONTUNMAP	4UL
/*
 * mremap(2): resize [old_addr, old_addr + old_len) to @new_len bytes,
 * moving it if needed and allowed; lengths are rounded up to pages.  A
 * shrink unmaps the tail (which may cross mappings); a growth extends the
 * mapping in place if the pages after it are free, else moves it
 * (MAYMOVE) to a free range; FIXED moves it to exactly @new_addr,
 * unmapping what was there; DONTUNMAP moves it (same size; @new_addr a
 * hint) and leaves the old range mapped but empty.  A move moves the
 * page-table entries, not the pages: pins stay valid, a THP moves as a
 * PMD when both ranges are 2 MiB aligned around it, else it is split into
 * PTEs.  old_len 0 with MAYMOVE maps a shared mapping a second time.
 * Returns the (new) address, or -EINVAL (unknown or inconsistent flags,
 * unaligned addresses, zero @new_len, overlapping ranges, old_len 0 on a
 * private mapping, DONTUNMAP of a VM_PFNMAP / VM_DONTEXPAND mapping),
 * -EFAULT (nothing mapped at @old_addr, or the range leaves that mapping;
 * growing a VM_PFNMAP / VM_DONTEXPAND mapping), -ENOMEM (cannot grow in
 * place and may not move, no room, too many mappings, no memory), -EPERM
 * (a target below 64 KiB), -ESRCH.  Takes mmap_lock for write.
 */
PNM_API long pnm_mremap(struct task_struct *task, unsigned long old_addr,
			unsigned long old_len, unsigned long new_len, unsigned long flags,
			unsigned long new_addr);
/* mprotect(2): 0, -EINVAL, -ENOMEM (range not fully mapped), -EACCES
 * (PROT_WRITE on a shared mapping of a file opened read-only, or of a
 * write-sealed memfd), -ESRCH. */
PNM_API int pnm_mprotect(struct task_struct *task, unsigned long addr, unsigned long len,
			 unsigned long prot);
/* madvise(2): MADV_DONTNEED, MADV_DONTFORK, MADV_DOFORK, MADV_HUGEPAGE,
 * MADV_NOHUGEPAGE, MADV_NORMAL, MADV_POPULATE_READ, MADV_POPULATE_WRITE,
 * PNM_MADV_COLLAPSE (pinmm/thp.h: its own errors, as Linux).
 * 0, -EINVAL, -ENOMEM (a hole: the mapped parts were advised; POPULATE
 * stops at it), -EAGAIN (a split needed memory), -EFAULT (POPULATE: a
 * fault failed), -ESRCH.  POPULATE faults the range in (write faults for
 * _WRITE) and keeps no reference on the pages. */
PNM_API int pnm_madvise(struct task_struct *task, unsigned long addr, unsigned long len,
			int advice);
/*
 * mlock(2) / munlock(2) on [addr, addr + len) (@addr rounded down, the end
 * up, to pages): mlock marks the VMAs VM_LOCKED and faults every page in
 * (write faults where private and writable), keeping no reference; reclaim
 * then leaves the pages mapped.  A fork child does not inherit the lock.
 * munlock clears it.  0, -EINVAL (range wraps or leaves user space),
 * -ENOMEM (part of the range is not mapped, or the pages not locked yet
 * plus those locked would pass RLIMIT_MEMLOCK without CAP_IPC_LOCK:
 * nothing changed), -EPERM (mlock with RLIMIT_MEMLOCK 0 and no
 * CAP_IPC_LOCK; pinmm/resource.h), -EAGAIN (a split or a fault had no
 * memory), -ESRCH.
 */
PNM_API int pnm_mlock(struct task_struct *task, unsigned long addr, size_t len);
PNM_API int pnm_munlock(struct task_struct *task, unsigned long addr, size_t len);
/*
 * msync(2) on [start, start + len): MS_ASYNC (nothing to do), MS_SYNC
 * (fsync the file range of every shared file mapping in the range,
 * returning the first error), MS_INVALIDATE (accepted; -EBUSY on
 * VM_LOCKED).  -EINVAL (unaligned start, bad flags, both MS_SYNC and
 * MS_ASYNC), -ENOMEM (a hole in the range), -ESRCH.
 */
PNM_API int pnm_msync(struct task_struct *task, unsigned long start, size_t len, int flags);

/*
 * The CPU's stores and loads: run as @task and store/load @len bytes at
 * @addr through its page tables, faulting as a CPU would.  Returns 0,
 * -EFAULT (unmapped or not permitted, or @task has exited -- unless the
 * calling thread was already inside it), or -ENOMEM (a fault could not
 * get a frame).  Bytes before the failing page were done.
 */
PNM_API int pnm_user_write(struct task_struct *task, unsigned long addr,
			   const void *buf, size_t len);
PNM_API int pnm_user_read(struct task_struct *task, unsigned long addr,
			  void *buf, size_t len);
/*
 * Translate @addr in @task's address space without faulting: the pfn
 * mapped there (and whether writable; either pointer may be NULL), or
 * -EFAULT if nothing is present, -ESRCH.
 */
PNM_API int pnm_translate(struct task_struct *task, unsigned long addr,
			  unsigned long *pfn, bool *writable);

/*
 * Migrate the folios mapped at [addr, addr + len) of @task to @zone (the
 * model's move_pages()); unmapped parts and zero pages are skipped.
 * Returns the number of base pages moved (0 if nothing needed moving), or
 * -errno for the first failure if none moved: -EINVAL (bad range, a zone
 * with no memory), -EBUSY (pinned or otherwise referenced folios, dax
 * storage), -EAGAIN (a folio under writeback), -ENOMEM, -ESRCH.
 */
PNM_API long pnm_migrate_range(struct task_struct *task, unsigned long addr,
			       unsigned long len, enum pnm_zone_type zone);

/* What pnm_compact_zone() did. */
struct pnm_compact_result {
	unsigned long migrate_scanned;	/* pages looked at for moving */
	unsigned long free_scanned;	/* pages looked at as targets */
	unsigned long migrated;		/* base pages moved */
	unsigned long failed;		/* base pages that would not move */
	unsigned int largest_free_order;	/* after compaction */
};
/*
 * Compact @zone: move movable in-use folios from its low end to free
 * frames at its high end, so free memory coalesces into large blocks.
 * Pinned or otherwise referenced folios stay.  Returns 0 if a free block
 * of order >= @order exists afterwards, else -EAGAIN; -EINVAL for a zone
 * with no memory or @order > 9.  Fills @res (may be NULL).
 */
PNM_API int pnm_compact_zone(enum pnm_zone_type zone, unsigned int order,
			     struct pnm_compact_result *res);
/*
 * Reclaim up to @nr_pages of clean page-cache pages, oldest first.
 * Locked, dirty, under-writeback and maybe-pinned folios are kept;
 * mapped folios are unmapped first when @may_unmap, which also splits the
 * partly mapped large folios of the deferred split queue
 * (pnm_thp_deferred_split_scan(), not counted here).  Returns the pages
 * reclaimed, which may exceed @nr_pages by the rest of the last large
 * folio taken.  The caller holds no mmap_lock.
 */
PNM_API unsigned long pnm_reclaim_pages(unsigned long nr_pages, bool may_unmap);

PNM_END_DECLS

#endif /* PINMM_MMAN_H */
