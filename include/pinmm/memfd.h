/* SPDX-License-Identifier: MIT */
/*
 * pinmm/memfd.h - memfd_create(2) and its seals, and memfd_secret(2).
 *
 * A memfd is an unnamed shmem file (pinmm/file.h's PNM_FS_SHMEM: page
 * cache only, the data dies with the last reference), open for reading
 * and writing, of size 0 until ftruncate or write grows it.  Map it with
 * pnm_mmap(), pin its pages through a mapping or by file offset with
 * memfd_pin_folios() (pinmm/gup.h), which udmabuf and iommufd use.
 *
 * Seals (fcntl F_ADD_SEALS / F_GET_SEALS; Linux's values and rules):
 *   F_SEAL_SEAL          no further seals (-EPERM)
 *   F_SEAL_SHRINK        ftruncate to a smaller size: -EPERM
 *   F_SEAL_GROW          ftruncate to a larger size, a write past the end
 *                        of the file, fallocate past it: -EPERM
 *   F_SEAL_WRITE         write(2), a hole punch, a new shared writable
 *                        mapping: -EPERM; a new shared read-only mapping
 *                        may never become writable (mprotect: -EACCES);
 *                        private mappings still copy on write.  Adding
 *                        it is -EBUSY while a shared mapping that may
 *                        write exists, or while a page has references
 *                        beyond the cache's and its mappings' (pinned:
 *                        GUP, memfd_pin_folios, a device).
 *   F_SEAL_FUTURE_WRITE  the same for the future, without the -EBUSY
 *                        checks: writable mappings made before keep
 *                        writing.
 *   F_SEAL_EXEC          the file's mode may no longer change; on a file
 *                        created executable it also adds SHRINK, GROW,
 *                        WRITE and FUTURE_WRITE (without their checks, as
 *                        Linux does).
 * A memfd starts with F_SEAL_SEAL unless created with MFD_ALLOW_SEALING
 * (or MFD_NOEXEC_SEAL, which starts with F_SEAL_EXEC); every other shmem
 * file has F_SEAL_SEAL for good; files of other filesystems have no seals
 * (-EINVAL).
 *
 * The seal names of <fcntl.h> and <linux/memfd.h> (F_ADD_SEALS,
 * MFD_CLOEXEC ...) may be used as well: the values are Linux's.
 */
#ifndef PINMM_MEMFD_H
#define PINMM_MEMFD_H

#include <pinmm/types.h>

PNM_BEGIN_DECLS

/* memfd_create() flags (Linux's MFD_*). */
#define PNM_MFD_CLOEXEC		0x0001U
#define PNM_MFD_ALLOW_SEALING	0x0002U
#define PNM_MFD_HUGETLB		0x0004U
#define PNM_MFD_NOEXEC_SEAL	0x0008U
#define PNM_MFD_EXEC		0x0010U
/* With PNM_MFD_HUGETLB: the huge page size as log2 in bits 26..31 (0:
 * 2 MiB), Linux's MFD_HUGE_* (the same encoding as PNM_MAP_HUGE_*). */
#define PNM_MFD_HUGE_SHIFT	26
#define PNM_MFD_HUGE_MASK	0x3fU
#define PNM_MFD_HUGE_2MB	(21U << PNM_MFD_HUGE_SHIFT)
#define PNM_MFD_HUGE_1GB	(30U << PNM_MFD_HUGE_SHIFT)
/* Longest name (Linux's: NAME_MAX less the "memfd:" prefix). */
#define PNM_MFD_NAME_MAX	249

/* fcntl() commands and values (Linux's). */
#define PNM_F_GETFD		1
#define PNM_F_SETFD		2
#define PNM_FD_CLOEXEC		1
#define PNM_F_ADD_SEALS		1033
#define PNM_F_GET_SEALS		1034
#define PNM_F_SEAL_SEAL		0x0001U
#define PNM_F_SEAL_SHRINK	0x0002U
#define PNM_F_SEAL_GROW		0x0004U
#define PNM_F_SEAL_WRITE	0x0008U
#define PNM_F_SEAL_FUTURE_WRITE	0x0010U
#define PNM_F_SEAL_EXEC		0x0020U

/*
 * memfd_create(2): a new memfd labelled "memfd:@name" (the label is for
 * display and may repeat).  @flags: PNM_MFD_CLOEXEC (the file's
 * FD_CLOEXEC, see pnm_file_fcntl), PNM_MFD_ALLOW_SEALING, PNM_MFD_EXEC or
 * PNM_MFD_NOEXEC_SEAL (neither: what the vm.memfd_noexec knob says,
 * pinmm/sysctl.h), PNM_MFD_HUGETLB (a hugetlbfs file of the hugetlb
 * pool's pages, pinmm/hugetlb.h: 2 MiB, or the size of the
 * PNM_MFD_HUGE_* bits; sized in huge pages, no write(2); the same seals
 * as a shmem memfd).  0 with *@filep set (one reference:
 * pnm_file_close()), or -EFAULT (NULL @name or @filep), -EINVAL (unknown
 * flags, size bits without MFD_HUGETLB, MFD_EXEC with MFD_NOEXEC_SEAL, a
 * name longer than PNM_MFD_NAME_MAX), -ENODEV (MFD_HUGETLB of a size no
 * pool has), -EACCES (without MFD_NOEXEC_SEAL while vm.memfd_noexec is
 * 2), -ENOMEM.
 */
PNM_API int pnm_memfd_create(const char *name, unsigned int flags, struct file **filep);

/*
 * fcntl(2) on @file (which stands for its descriptor):
 *   PNM_F_GETFD           PNM_FD_CLOEXEC if set, else 0
 *   PNM_F_SETFD           set FD_CLOEXEC from @arg & PNM_FD_CLOEXEC: 0
 *   PNM_F_GET_SEALS       the seals (a shmem or hugetlbfs file), -EINVAL
 *                         otherwise
 *   PNM_F_ADD_SEALS       add the seals in @arg: 0, -EPERM (not open for
 *                         writing, or F_SEAL_SEAL), -EINVAL (unknown
 *                         seals, not a shmem or hugetlbfs file), -EBUSY
 *                         (F_SEAL_WRITE
 *                         while a shared writable mapping exists or a
 *                         page is pinned); nothing changes on error
 * Any other @cmd, or a NULL @file: -EINVAL (-EBADF for NULL).
 */
PNM_API int pnm_file_fcntl(struct file *file, int cmd, unsigned long arg);

/*
 * memfd_secret(2): a new file whose pages are taken out of the kernel's
 * direct map while it holds them (the model flags them, pnm_pfn_info()'s
 * PNM_PAGE_SECRET), so no one but the processes mapping it can reach
 * them: GUP refuses its mappings (-EFAULT, also FOLL_FORCE and
 * process_vm_readv/writev; gup-fast leaves them to the slow path, which
 * refuses), migration and reclaim leave its pages alone, read(2),
 * write(2) and fsync are -EINVAL, fallocate -EOPNOTSUPP.  Its size may be
 * set once, from 0, by ftruncate (later: -EINVAL).  It may only be
 * mapped MAP_SHARED (else -EINVAL); a mapping is VM_LOCKED and counts in
 * locked_vm, so mmap is -EAGAIN past RLIMIT_MEMLOCK (pinmm/resource.h)
 * without CAP_IPC_LOCK.  Fork children share the mapping's pages (not
 * the lock).  @flags: only O_CLOEXEC of <fcntl.h>.  0 with *@filep set,
 * or -EINVAL (other flags, NULL @filep), -ENOMEM.
 */
PNM_API int pnm_memfd_secret(unsigned int flags, struct file **filep);

PNM_END_DECLS

#endif /* PINMM_MEMFD_H */
