// SPDX-License-Identifier: MIT
/*
 * test_errors.c - the bad-input table of docs/errors.md, one test a row.
 *
 * Each ROW(name, call, bad input, -errno) below is one row of the
 * table: its body makes the call with that bad input in a fresh model
 * (the fixture: a process that is the current task, an anonymous
 * mapping, a read-only mapping, a disk file open read-write, the same
 * file open read-only, a shmem file) and returns what the call returned.
 * The test asserts that value, then that the bad call changed nothing:
 * every invariant holds and the model's frames in use are what they were.
 * tests/unit/check_errors_doc.py holds docs/errors.md and this file to
 * the same rows (name, call and errno), in both directions.
 */
#include <fcntl.h>
#include <string.h>
#include <sys/mman.h>
#include <linux/falloc.h>

#include "test_util.h"
#include <pinmm/budget.h>
#include <pinmm/dio.h>
#include <pinmm/futex.h>
#include <pinmm/hugetlb.h>
#include <pinmm/dma.h>
#include <pinmm/fault.h>
#include <pinmm/inspect.h>
#include <pinmm/kvm.h>
#include <pinmm/kwrite.h>
#include <pinmm/memfd.h>
#include <pinmm/mmu_notifier.h>
#include <pinmm/process_vm.h>
#include <pinmm/resource.h>
#include <pinmm/stat.h>
#include <pinmm/sysctl.h>
#include <pinmm/thp.h>
#include <pinmm/file.h>
#include <pinmm/io_uring.h>
#include <pinmm/pipe.h>
#include <pinmm/rdma.h>
#include <pinmm/swap.h>
#include <pinmm/vaddr_pin.h>

#define PG	4096UL
#define RW	(PROT_READ | PROT_WRITE)
#define ANON	(MAP_PRIVATE | MAP_ANONYMOUS)

struct fx {
	struct task_struct *t;
	unsigned long a;	/* 16 pages, read-write, private anonymous */
	unsigned long r;	/* 4 pages, read-only, private anonymous */
	struct file *f;		/* disk file "f", read-write, 16 pages */
	struct file *fro;	/* the same file, read-only */
	struct file *s;		/* shmem, 16 pages */
	struct page *pages[16];
};

struct row {
	const char *name, *call, *what;
	long err;
	long (*fn)(struct fx *x);
};

static struct row rows[512];
static unsigned int nr_rows;

static void add_row(const char *name, const char *call, const char *what, long err,
		    long (*fn)(struct fx *x))
{
	if (nr_rows < sizeof(rows) / sizeof(rows[0]))
		rows[nr_rows++] = (struct row){ name, call, what, err, fn };
}

#define ROW(name, call, what, err)						\
	static long name(struct fx *x);						\
	__attribute__((constructor)) static void reg_##name(void)		\
	{									\
		add_row(#name, call, what, err, name);				\
	}									\
	static long name(struct fx *x)

/* --- pinmm.h: the model --------------------------------------------------- */

ROW(init_twice, "pnm_init", "a model already initialised", -EBUSY)
{
	struct pnm_config cfg;

	(void)x;
	pnm_config_default(&cfg);
	return pnm_init(&cfg);
}

ROW(check_register_null, "pnm_check_register", "NULL function", -EINVAL)
{
	(void)x;
	return pnm_check_register(NULL, NULL);
}

ROW(check_unregister_unknown, "pnm_check_unregister", "a checker never registered", -ENOENT)
{
	(void)x;
	return pnm_check_unregister((pnm_check_fn *)(void *)add_row, NULL);
}

ROW(errno_parse_unknown, "pnm_errno_parse", "an unknown name", -1)
{
	(void)x;
	return pnm_errno_parse("ENOTANERRNO");
}

/* --- task.h: processes ---------------------------------------------------- */

ROW(fork_exited, "pnm_task_fork", "a parent that has exited", -ESRCH)
{
	struct task_struct *p = test_task_create("p"), *c = NULL;

	(void)x;
	pnm_task_exit(p);
	return pnm_task_fork(p, "c", &c);
}

/* --- mman.h: mappings ----------------------------------------------------- */

ROW(mmap_len0, "pnm_mmap", "zero length", -EINVAL)
{
	return pnm_mmap(x->t, 0, 0, RW, ANON, NULL, 0);
}

ROW(mmap_unaligned, "pnm_mmap", "MAP_FIXED at an unaligned address", -EINVAL)
{
	return pnm_mmap(x->t, x->a + 1, PG, RW, ANON | MAP_FIXED, NULL, 0);
}

ROW(mmap_both_private_shared, "pnm_mmap", "both MAP_PRIVATE and MAP_SHARED", -EINVAL)
{
	return pnm_mmap(x->t, 0, PG, RW, MAP_PRIVATE | MAP_SHARED | MAP_ANONYMOUS, NULL, 0);
}

ROW(mmap_neither, "pnm_mmap", "neither MAP_PRIVATE nor MAP_SHARED", -EINVAL)
{
	return pnm_mmap(x->t, 0, PG, RW, MAP_ANONYMOUS, NULL, 0);
}

ROW(mmap_unknown_flag, "pnm_mmap", "an unknown flag", -EINVAL)
{
	return pnm_mmap(x->t, 0, PG, RW, ANON | 0x40000000UL, NULL, 0);
}

ROW(mmap_huge_len, "pnm_mmap", "a length that overflows", -ENOMEM)
{
	return pnm_mmap(x->t, 0, -PG, RW, ANON, NULL, 0);
}

ROW(mmap_noreplace, "pnm_mmap", "MAP_FIXED_NOREPLACE over a mapping", -EEXIST)
{
	return pnm_mmap(x->t, x->a, PG, RW, ANON | MAP_FIXED_NOREPLACE, NULL, 0);
}

ROW(mmap_low, "pnm_mmap", "MAP_FIXED below 64 KiB", -EPERM)
{
	return pnm_mmap(x->t, PG, PG, RW, ANON | MAP_FIXED, NULL, 0);
}

ROW(mmap_ro_file_shared_write, "pnm_mmap", "shared writable mapping of a read-only file",
    -EACCES)
{
	return pnm_mmap(x->t, 0, PG, RW, MAP_SHARED, x->fro, 0);
}

ROW(mmap_exited, "pnm_mmap", "a process that has exited", -ESRCH)
{
	struct task_struct *p = test_task_create("p");

	(void)x;
	pnm_task_exit(p);
	return pnm_mmap(p, 0, PG, RW, ANON, NULL, 0);
}

ROW(pfnmap_bad_flags, "pnm_mmap_pfnmap", "no PNM_VM_IO or PNM_VM_PFNMAP", -EINVAL)
{
	return pnm_mmap_pfnmap(x->t, PG, RW, PNM_VM_DONTCOPY);
}

ROW(munmap_unaligned, "pnm_munmap", "an unaligned start", -EINVAL)
{
	return pnm_munmap(x->t, x->a + 1, PG);
}

ROW(munmap_len0, "pnm_munmap", "zero length", -EINVAL)
{
	return pnm_munmap(x->t, x->a, 0);
}

ROW(mremap_unknown_flag, "pnm_mremap", "an unknown flag", -EINVAL)
{
	return pnm_mremap(x->t, x->a, PG, PG, 0x100, 0);
}

ROW(mremap_unaligned, "pnm_mremap", "an unaligned old address", -EINVAL)
{
	return pnm_mremap(x->t, x->a + 1, PG, PG, 0, 0);
}

ROW(mremap_fixed_no_maymove, "pnm_mremap", "MREMAP_FIXED without MREMAP_MAYMOVE", -EINVAL)
{
	return pnm_mremap(x->t, x->a, PG, PG, PNM_MREMAP_FIXED, x->a + 64 * PG);
}

ROW(mremap_nothing, "pnm_mremap", "nothing mapped at the old address", -EFAULT)
{
	return pnm_mremap(x->t, x->a + 1024 * PG, PG, 2 * PG, PNM_MREMAP_MAYMOVE, 0);
}

ROW(mremap_grow_no_move, "pnm_mremap", "growth with no room and no MREMAP_MAYMOVE", -ENOMEM)
{
	/* the read-only mapping was placed right below the anonymous one:
	 * it cannot grow in place */
	return pnm_mremap(x->t, x->r, 4 * PG, 1024 * PG, 0, 0);
}

ROW(mprotect_unmapped, "pnm_mprotect", "a range not fully mapped", -ENOMEM)
{
	return pnm_mprotect(x->t, x->a, 1024 * PG, PROT_READ);
}

ROW(mprotect_unaligned, "pnm_mprotect", "an unaligned start", -EINVAL)
{
	return pnm_mprotect(x->t, x->a + 1, PG, PROT_READ);
}

ROW(mprotect_ro_file, "pnm_mprotect", "PROT_WRITE on a shared mapping of a read-only file",
    -EACCES)
{
	long addr = pnm_mmap(x->t, 0, PG, PROT_READ, MAP_SHARED, x->fro, 0);

	assert_true(addr > 0);
	return pnm_mprotect(x->t, (unsigned long)addr, PG, RW);
}

ROW(madvise_unknown, "pnm_madvise", "an unknown advice", -EINVAL)
{
	return pnm_madvise(x->t, x->a, PG, 12345);
}

ROW(madvise_unaligned, "pnm_madvise", "an unaligned start", -EINVAL)
{
	return pnm_madvise(x->t, x->a + 1, PG, MADV_DONTNEED);
}

ROW(madvise_unmapped, "pnm_madvise", "a range with a hole", -ENOMEM)
{
	return pnm_madvise(x->t, x->a, 1024 * PG, MADV_COLD);
}

ROW(mlock_unmapped, "pnm_mlock", "a range not fully mapped", -ENOMEM)
{
	return pnm_mlock(x->t, x->a, 1024 * PG);
}

ROW(munlock_unmapped, "pnm_munlock", "a range not fully mapped", -ENOMEM)
{
	return pnm_munlock(x->t, x->a, 1024 * PG);
}

ROW(msync_bad_flags, "pnm_msync", "both MS_SYNC and MS_ASYNC", -EINVAL)
{
	return pnm_msync(x->t, x->a, PG, MS_SYNC | MS_ASYNC);
}

ROW(msync_unaligned, "pnm_msync", "an unaligned start", -EINVAL)
{
	return pnm_msync(x->t, x->a + 1, PG, MS_SYNC);
}

ROW(msync_unmapped, "pnm_msync", "a range with a hole", -ENOMEM)
{
	return pnm_msync(x->t, x->a, 1024 * PG, MS_SYNC);
}

ROW(user_write_ro, "pnm_user_write", "a read-only mapping", -EFAULT)
{
	char c = 1;

	return pnm_user_write(x->t, x->r, &c, 1);
}

ROW(user_write_unmapped, "pnm_user_write", "an unmapped address", -EFAULT)
{
	char c = 1;

	return pnm_user_write(x->t, x->a + 1024 * PG, &c, 1);
}

ROW(user_read_unmapped, "pnm_user_read", "an unmapped address", -EFAULT)
{
	char c;

	return pnm_user_read(x->t, x->a + 1024 * PG, &c, 1);
}

ROW(translate_unmapped, "pnm_translate", "an address with no page", -EFAULT)
{
	return pnm_translate(x->t, x->a + 1024 * PG, NULL, NULL);
}

ROW(migrate_bad_zone, "pnm_migrate_range", "a zone that does not exist", -EINVAL)
{
	return pnm_migrate_range(x->t, x->a, PG, (enum pnm_zone_type)99);
}

ROW(compact_bad_zone, "pnm_compact_zone", "a zone that does not exist", -EINVAL)
{
	(void)x;
	return pnm_compact_zone((enum pnm_zone_type)99, 0, NULL);
}

/* --- file.h: files -------------------------------------------------------- */

/* pnm_file_open() of a disk file; a refusal leaves nothing to close. */
static long open_disk(const char *name, int flags)
{
	struct file *f;

	return pnm_file_open(PNM_FS_DISK, name, flags, &f);
}

ROW(open_bad_flags, "pnm_file_open", "an unknown flag", -EINVAL)
{
	(void)x;
	return open_disk("g", O_RDWR | O_CREAT | O_APPEND);
}

ROW(open_excl_no_creat, "pnm_file_open", "O_EXCL without O_CREAT", -EINVAL)
{
	(void)x;
	return open_disk("f", O_RDWR | O_EXCL);
}

ROW(open_missing, "pnm_file_open", "a missing file without O_CREAT", -ENOENT)
{
	(void)x;
	return open_disk("nosuch", O_RDWR);
}

ROW(open_exists, "pnm_file_open", "O_CREAT | O_EXCL of an existing file", -EEXIST)
{
	(void)x;
	return open_disk("f", O_RDWR | O_CREAT | O_EXCL);
}

ROW(open_bad_name, "pnm_file_open", "a name with a slash", -EINVAL)
{
	(void)x;
	return open_disk("a/b", O_RDWR | O_CREAT);
}

ROW(open_long_name, "pnm_file_open", "a name longer than PNM_FS_NAME_MAX", -ENAMETOOLONG)
{
	char name[PNM_FS_NAME_MAX + 8];
	struct file *f;

	(void)x;
	memset(name, 'n', sizeof(name) - 1);
	name[sizeof(name) - 1] = '\0';
	return pnm_file_open(PNM_FS_DISK, name, O_RDWR | O_CREAT, &f);
}

ROW(open_secretmem, "pnm_file_open", "PNM_FS_SECRETMEM (memfd_secret only)", -EINVAL)
{
	struct file *f;

	(void)x;
	return pnm_file_open(PNM_FS_SECRETMEM, "g", O_RDWR | O_CREAT, &f);
}

ROW(shmem_create_negative, "pnm_shmem_file_create", "a negative size", -EINVAL)
{
	struct file *f;

	(void)x;
	return pnm_shmem_file_create("s2", -1, &f);
}

ROW(shmem_create_huge, "pnm_shmem_file_create", "a size above PNM_MAX_FILE_SIZE", -EFBIG)
{
	struct file *f;

	(void)x;
	return pnm_shmem_file_create("s2", PNM_MAX_FILE_SIZE + 1, &f);
}

ROW(file_write_ro, "pnm_file_write", "a file open read-only", -EBADF)
{
	return pnm_file_write(x->fro, "x", 1, 0);
}

ROW(file_write_negative, "pnm_file_write", "a negative offset", -EINVAL)
{
	return pnm_file_write(x->f, "x", 1, -1);
}

ROW(file_write_big, "pnm_file_write", "past PNM_MAX_FILE_SIZE", -EFBIG)
{
	return pnm_file_write(x->f, "x", 1, PNM_MAX_FILE_SIZE);
}

ROW(file_read_negative, "pnm_file_read", "a negative offset", -EINVAL)
{
	char c;

	return pnm_file_read(x->f, &c, 1, -1);
}

ROW(file_read_null, "pnm_file_read", "a NULL file", -EBADF)
{
	char c;

	(void)x;
	return pnm_file_read(NULL, &c, 1, 0);
}

ROW(truncate_negative, "pnm_file_truncate", "a negative size", -EINVAL)
{
	return pnm_file_truncate(x->f, -1);
}

ROW(truncate_ro, "pnm_file_truncate", "a file open read-only", -EINVAL)
{
	return pnm_file_truncate(x->fro, 0);
}

ROW(truncate_big, "pnm_file_truncate", "a size above PNM_MAX_FILE_SIZE", -EFBIG)
{
	return pnm_file_truncate(x->f, PNM_MAX_FILE_SIZE + 1);
}

ROW(fallocate_mode, "pnm_file_fallocate", "an unsupported mode", -EOPNOTSUPP)
{
	return pnm_file_fallocate(x->f, FALLOC_FL_COLLAPSE_RANGE, 0, PG);
}

ROW(inject_shmem, "pnm_fs_inject_error", "a shmem file", -EINVAL)
{
	return pnm_fs_inject_error(x->s, PNM_IO_READ, -EIO, 1);
}

ROW(inject_null, "pnm_fs_inject_error", "a NULL file", -EBADF)
{
	(void)x;
	return pnm_fs_inject_error(NULL, PNM_IO_READ, -EIO, 1);
}

ROW(direct_read_unaligned, "pnm_file_direct_read", "an unaligned offset", -EINVAL)
{
	static char buf[2 * PG] __attribute__((aligned(4096)));

	return pnm_file_direct_read(x->f, buf, PG, 1);
}

ROW(direct_read_shmem, "pnm_file_direct_read", "a shmem file", -EINVAL)
{
	static char buf[PG] __attribute__((aligned(4096)));

	return pnm_file_direct_read(x->s, buf, PG, 0);
}

/* --- gup.h: GUP and pins (more in test_gup_errno.c) ----------------------- */

ROW(pin_fast_unmapped, "pin_user_pages_fast", "an unmapped address", -EFAULT)
{
	return pin_user_pages_fast(x->a + 1024 * PG, 1, FOLL_WRITE, x->pages);
}

ROW(pin_fast_ro_write, "pin_user_pages_fast", "FOLL_WRITE on a read-only mapping", -EFAULT)
{
	return pin_user_pages_fast(x->r, 1, FOLL_WRITE, x->pages);
}

ROW(pin_fast_get_flag, "pin_user_pages_fast", "FOLL_GET given by the caller", -EINVAL)
{
	return pin_user_pages_fast(x->a, 1, FOLL_GET, x->pages);
}

ROW(pin_fast_wrap, "pin_user_pages_fast", "a range that wraps", -EOVERFLOW)
{
	return pin_user_pages_fast(-PG, 2, 0, x->pages);
}

ROW(gup_fast_longterm, "get_user_pages_fast", "FOLL_LONGTERM without FOLL_PIN", -EINVAL)
{
	return get_user_pages_fast(x->a, 1, FOLL_LONGTERM, x->pages);
}

/* get_user_pages() with the caller's mmap_lock held, as it requires. */
static long gup_locked(struct fx *x, unsigned int flags, struct page **pages)
{
	struct mm_struct *mm = pnm_current_mm();
	long ret;

	(void)x;
	mmap_read_lock(mm);
	ret = get_user_pages(x->a, 1, flags, pages);
	mmap_read_unlock(mm);
	return ret;
}

ROW(gup_pin_flag, "get_user_pages", "FOLL_PIN given by the caller", -EINVAL)
{
	return gup_locked(x, FOLL_PIN, x->pages);
}

ROW(pin_fast_no_pages, "pin_user_pages_fast", "no page array", -EINVAL)
{
	return pin_user_pages_fast(x->a, 1, 0, NULL);
}

ROW(pin_unlocked_unmapped, "pin_user_pages_unlocked", "an unmapped address", -EFAULT)
{
	return pin_user_pages_unlocked(x->a + 1024 * PG, 1, x->pages, 0);
}

ROW(memfd_pin_range, "memfd_pin_folios", "end before start", -EINVAL)
{
	struct folio *folios[4];
	unsigned long off;

	return memfd_pin_folios(x->s, 2 * (int64_t)PG, 0, folios, 4, &off);
}

ROW(memfd_pin_disk, "memfd_pin_folios", "a file that is not a memfd (disk)", -EINVAL)
{
	struct folio *folios[4];
	unsigned long off;

	return memfd_pin_folios(x->f, 0, (int64_t)PG - 1, folios, 4, &off);
}

/* --- vaddr_pin.h: owners and leases --------------------------------------- */

ROW(owner_no_task, "vaddr_pin_create", "no task", -EINVAL)
{
	struct vaddr_pin_params p = { .size = sizeof(p) };
	struct vaddr_pin *vp;

	(void)x;
	return vaddr_pin_create(&p, &vp);
}

ROW(owner_bad_flags, "vaddr_pin_create", "an unknown flag", -EINVAL)
{
	struct vaddr_pin_params p = { .size = sizeof(p), .task = x->t, .flags = 0x100 };
	struct vaddr_pin *vp;

	return vaddr_pin_create(&p, &vp);
}

ROW(owner_small_size, "vaddr_pin_create", "a size below this release's struct", -EINVAL)
{
	struct vaddr_pin_params p = { .size = 8, .task = x->t };
	struct vaddr_pin *vp;

	return vaddr_pin_create(&p, &vp);
}

ROW(owner_exited, "vaddr_pin_create", "a task that has exited", -ESRCH)
{
	struct task_struct *p = test_task_create("p");
	struct vaddr_pin_params params = { .size = sizeof(params), .task = p };
	struct vaddr_pin *vp;

	(void)x;
	pnm_task_exit(p);
	return vaddr_pin_create(&params, &vp);
}

/* An owner of the fixture's task for the rows below; destroyed by the
 * row's caller after the row (x->pages[15] holds it). */
static struct vaddr_pin *owner(struct fx *x, unsigned int flags)
{
	struct vaddr_pin_params p = { .size = sizeof(p), .task = x->t, .flags = flags };
	struct vaddr_pin *vp = NULL;

	assert_int_equal(vaddr_pin_create(&p, &vp), 0);
	x->pages[15] = (struct page *)vp;
	return vp;
}

ROW(owner_pin_unaligned, "vaddr_pin_user_pages", "an unaligned start", -EINVAL)
{
	return vaddr_pin_user_pages(owner(x, VADDR_PIN_WRITE), x->a + 1, 1, NULL);
}

ROW(owner_pin_unmapped, "vaddr_pin_user_pages", "an unmapped address", -EFAULT)
{
	return vaddr_pin_user_pages(owner(x, VADDR_PIN_WRITE), x->a + 1024 * PG, 1, NULL);
}

ROW(owner_pin_overlap, "vaddr_pin_user_pages", "a range overlapping one the owner holds",
    -EINVAL)
{
	struct vaddr_pin *vp = owner(x, VADDR_PIN_WRITE);
	long ret;

	assert_int_equal(vaddr_pin_user_pages(vp, x->a, 2, NULL), 2);
	ret = vaddr_pin_user_pages(vp, x->a + PG, 2, NULL);
	assert_int_equal(vaddr_unpin_user_pages(vp, x->a, false), 0);
	return ret;
}

ROW(owner_pin_shared_file_longterm, "vaddr_pin_user_pages",
    "a long-term pin of a shared disk-file mapping without a lease", -EFAULT)
{
	long addr = pnm_mmap(x->t, 0, PG, RW, MAP_SHARED, x->f, 0);

	assert_true(addr > 0);
	return vaddr_pin_user_pages(owner(x, VADDR_PIN_WRITE | VADDR_PIN_LONGTERM),
				    (unsigned long)addr, 1, NULL);
}

ROW(owner_unpin_unknown, "vaddr_unpin_user_pages", "a start that is no extent's", -EINVAL)
{
	return vaddr_unpin_user_pages(owner(x, 0), x->a, false);
}

ROW(owner_destroy_busy, "vaddr_pin_destroy", "an owner still holding pins", -EBUSY)
{
	struct vaddr_pin *vp = owner(x, 0);
	long ret;

	assert_int_equal(vaddr_pin_user_pages(vp, x->a, 1, NULL), 1);
	ret = vaddr_pin_destroy(vp);
	assert_int_equal(vaddr_unpin_user_pages(vp, x->a, false), 0);
	return ret;
}

ROW(owner_dma_write_readonly, "pnm_vaddr_pin_dma_write", "an owner without VADDR_PIN_WRITE",
    -EPERM)
{
	struct vaddr_pin *vp = owner(x, 0);
	long ret;

	assert_int_equal(vaddr_pin_user_pages(vp, x->a, 1, NULL), 1);
	ret = pnm_vaddr_pin_dma_write(vp, x->a, "x", 1);
	assert_int_equal(vaddr_unpin_user_pages(vp, x->a, false), 0);
	return ret;
}

ROW(owner_dma_outside, "pnm_vaddr_pin_dma_read", "an address no extent covers", -EFAULT)
{
	char c;

	return pnm_vaddr_pin_dma_read(owner(x, 0), x->a, &c, 1);
}

ROW(lease_ro, "pnm_file_set_layout_lease", "a file open read-only", -EBADF)
{
	return pnm_file_set_layout_lease(x->fro, 10);
}

ROW(lease_shmem, "pnm_file_set_layout_lease", "a shmem file", -EINVAL)
{
	return pnm_file_set_layout_lease(x->s, 10);
}

ROW(lease_long, "pnm_file_set_layout_lease", "a break time above 600000 ms", -EINVAL)
{
	return pnm_file_set_layout_lease(x->f, 600001);
}

ROW(lease_twice, "pnm_file_set_layout_lease", "a lease already held", -EEXIST)
{
	long ret;

	assert_int_equal(pnm_file_set_layout_lease(x->f, 10), 0);
	ret = pnm_file_set_layout_lease(x->f, 10);
	assert_int_equal(pnm_file_release_layout_lease(x->f), 0);
	return ret;
}

ROW(lease_release_none, "pnm_file_release_layout_lease", "no lease held", -ENOENT)
{
	return pnm_file_release_layout_lease(x->f);
}

/* --- swap.h --------------------------------------------------------------- */

ROW(swapon_small, "pnm_swapon", "fewer than 2 pages", -EINVAL)
{
	(void)x;
	return pnm_swapon(NULL, 1);
}

ROW(swapoff_none, "pnm_swapoff", "no swap device", -EINVAL)
{
	(void)x;
	return pnm_swapoff();
}

/* --- the call sites: dio.h, rdma.h, io_uring.h, pipe.h -------------------- */

ROW(dio_dev_zero_threads, "pnm_dio_dev_create", "zero threads", -EINVAL)
{
	struct pnm_dio_dev *dev;

	(void)x;
	return pnm_dio_dev_create(0, &dev);
}

ROW(ib_device_null, "pnm_ib_device_create", "NULL parameters", -EINVAL)
{
	struct pnm_ib_device *dev;

	(void)x;
	return pnm_ib_device_create(NULL, &dev);
}

ROW(ring_exited, "pnm_io_ring_create", "a task that has exited", -ESRCH)
{
	struct task_struct *p = test_task_create("p");
	struct pnm_io_ring *ring;

	(void)x;
	pnm_task_exit(p);
	return pnm_io_ring_create(p, &ring);
}

ROW(ring_register_shared_file, "pnm_io_ring_register_buffers",
    "a shared mapping of a disk file", -EFAULT)
{
	long addr = pnm_mmap(x->t, 0, PG, RW, MAP_SHARED, x->f, 0);
	struct pnm_io_ring *ring;
	struct iovec iov;
	long ret;

	assert_true(addr > 0);
	iov = (struct iovec){ .iov_base = (void *)addr, .iov_len = PG };
	assert_int_equal(pnm_io_ring_create(x->t, &ring), 0);
	ret = pnm_io_ring_register_buffers(ring, &iov, 1);
	pnm_io_ring_destroy(ring);
	return ret;
}

ROW(vmsplice_unmapped, "pnm_vmsplice", "an unmapped first page", -EFAULT)
{
	struct pnm_pipe *pipe;
	long ret;

	assert_int_equal(pnm_pipe_create(&pipe), 0);
	ret = pnm_vmsplice(x->t, pipe, x->a + 1024 * PG, PG, 0);
	pnm_pipe_destroy(pipe);
	return ret;
}

ROW(pipe_read_empty, "pnm_pipe_read", "an empty pipe", -EAGAIN)
{
	struct pnm_pipe *pipe;
	long ret;

	assert_int_equal(pnm_pipe_create(&pipe), 0);
	ret = pnm_pipe_read(pipe, x->t, x->a, PG);
	pnm_pipe_destroy(pipe);
	return ret;
}

/* --- memfd.h, hugetlb.h ---------------------------------------------------- */

ROW(memfd_bad_flags, "pnm_memfd_create", "an unknown flag", -EINVAL)
{
	struct file *f;

	(void)x;
	return pnm_memfd_create("m", 0x8000u, &f);
}

ROW(memfd_null_name, "pnm_memfd_create", "a NULL name", -EFAULT)
{
	struct file *f;

	(void)x;
	return pnm_memfd_create(NULL, 0, &f);
}

ROW(fcntl_seal_disk, "pnm_file_fcntl", "F_ADD_SEALS on a disk file", -EINVAL)
{
	return pnm_file_fcntl(x->f, PNM_F_ADD_SEALS, PNM_F_SEAL_WRITE);
}

ROW(fcntl_sealed, "pnm_file_fcntl", "F_ADD_SEALS on a memfd sealed with F_SEAL_SEAL", -EPERM)
{
	struct file *f;
	long ret;

	(void)x;
	assert_int_equal(pnm_memfd_create("m", 0, &f), 0);
	ret = pnm_file_fcntl(f, PNM_F_ADD_SEALS, PNM_F_SEAL_WRITE);
	pnm_file_close(f);
	return ret;
}

ROW(fcntl_unknown, "pnm_file_fcntl", "an unknown command", -EINVAL)
{
	return pnm_file_fcntl(x->s, 12345, 0);
}

ROW(memfd_secret_flags, "pnm_memfd_secret", "an unknown flag", -EINVAL)
{
	struct file *f;

	(void)x;
	return pnm_memfd_secret(0x4000u, &f);
}

ROW(hugetlb_info_size, "pnm_hugetlb_get_info", "a size with no pool", -EINVAL)
{
	struct pnm_hugetlb_info info;

	(void)x;
	return pnm_hugetlb_get_info(64 * 1024, &info);
}

ROW(hugetlb_set_size, "pnm_hugetlb_set_pages", "a size with no pool", -EINVAL)
{
	(void)x;
	return pnm_hugetlb_set_pages(64 * 1024, 1);
}

ROW(hugetlb_overcommit_size, "pnm_hugetlb_set_overcommit", "a size with no pool", -EINVAL)
{
	(void)x;
	return pnm_hugetlb_set_overcommit(64 * 1024, 1);
}

ROW(hugetlb_file_negative, "pnm_hugetlb_file_create", "a negative size", -EINVAL)
{
	struct file *f;

	(void)x;
	return pnm_hugetlb_file_create("h", -1, 2UL << 20, &f);
}

/* --- resource.h, budget.h, sysctl.h, thp.h, stat.h -------------------------- */

ROW(prlimit_resource, "pnm_prlimit", "a resource other than RLIMIT_MEMLOCK", -EINVAL)
{
	struct pnm_rlimit r = { 1, 1 };

	return pnm_prlimit(x->t, 7, &r, NULL);
}

ROW(prlimit_soft_above_hard, "pnm_prlimit", "a soft limit above the hard one", -EINVAL)
{
	struct pnm_rlimit r = { 2 * PG, PG };

	return pnm_prlimit(x->t, PNM_RLIMIT_MEMLOCK, &r, NULL);
}

ROW(prlimit_raise_hard, "pnm_prlimit", "raising the hard limit without CAP_SYS_RESOURCE",
    -EPERM)
{
	struct pnm_rlimit old, r;

	assert_int_equal(pnm_prlimit(x->t, PNM_RLIMIT_MEMLOCK, NULL, &old), 0);
	assert_int_equal(pnm_task_set_capability(x->t, PNM_CAP_SYS_RESOURCE, false), 0);
	r = (struct pnm_rlimit){ old.rlim_cur, old.rlim_max == ~0UL ? old.rlim_max : old.rlim_max + PG };
	if (old.rlim_max == ~0UL) {	/* unlimited: lower it first, then try to raise */
		struct pnm_rlimit low = { PG, PG };

		assert_int_equal(pnm_prlimit(x->t, PNM_RLIMIT_MEMLOCK, &low, NULL), 0);
		r = (struct pnm_rlimit){ PG, 2 * PG };
	}
	return pnm_prlimit(x->t, PNM_RLIMIT_MEMLOCK, &r, NULL);
}

ROW(capability_unknown, "pnm_task_set_capability", "a capability the model does not know",
    -EINVAL)
{
	return pnm_task_set_capability(x->t, 3, true);
}

ROW(locked_vm_null, "pnm_task_locked_vm", "a NULL result", -EINVAL)
{
	return pnm_task_locked_vm(x->t, NULL);
}

ROW(set_user_negative, "pnm_task_set_user", "a negative uid", -EINVAL)
{
	return pnm_task_set_user(x->t, -1);
}

ROW(budget_user_negative, "pnm_pin_budget_set_user_limit", "a negative uid", -EINVAL)
{
	(void)x;
	return pnm_pin_budget_set_user_limit(-1, 1);
}

ROW(budget_get_user_null, "pnm_pin_budget_get_user", "a NULL result", -EINVAL)
{
	(void)x;
	return pnm_pin_budget_get_user(0, NULL);
}

ROW(budget_remaining_null, "pnm_pin_budget_remaining", "a NULL result", -EINVAL)
{
	return pnm_pin_budget_remaining(x->t, NULL);
}

ROW(sysctl_unknown, "pnm_sysctl_write", "an unknown knob", -ENOENT)
{
	(void)x;
	return pnm_sysctl_write("vm.no_such_knob", "1");
}

ROW(sysctl_read_unknown, "pnm_sysctl_read", "an unknown knob", -ENOENT)
{
	char buf[32];

	(void)x;
	return pnm_sysctl_read("vm.no_such_knob", buf, sizeof(buf));
}

ROW(thp_size, "pnm_thp_set_enabled", "a size that is no THP order", -EINVAL)
{
	(void)x;
	return pnm_thp_set_enabled(12 * 1024, PNM_THP_ALWAYS);
}

ROW(thp_get_size, "pnm_thp_get_enabled", "a size that is no THP order", -EINVAL)
{
	(void)x;
	return pnm_thp_get_enabled(12 * 1024);
}

ROW(khugepaged_exited, "pnm_khugepaged_scan", "a task that has exited", -ESRCH)
{
	struct task_struct *p = test_task_create("p");

	(void)x;
	pnm_task_exit(p);
	return pnm_khugepaged_scan(p, 1);
}

ROW(stat_lookup_unknown, "pnm_stat_lookup", "an unknown counter", -1)
{
	(void)x;
	return pnm_stat_lookup("no_such_counter");
}

/* --- process_vm.h, kwrite.h, futex.h, mmu_notifier.h ----------------------- */

ROW(pvm_flags, "pnm_process_vm_readv", "non-zero flags", -EINVAL)
{
	char buf[8];
	struct pnm_iovec l = { (unsigned long)buf, 8 }, r = { x->a, 8 };

	return pnm_process_vm_readv(pnm_task_pid(x->t), &l, 1, &r, 1, 1);
}

ROW(pvm_no_process, "pnm_process_vm_readv", "no such process", -ESRCH)
{
	char buf[8];
	struct pnm_iovec l = { (unsigned long)buf, 8 }, r = { x->a, 8 };

	return pnm_process_vm_readv(99999, &l, 1, &r, 1, 0);
}

ROW(pvm_write_unmapped, "pnm_process_vm_writev", "a remote range not mapped", -EFAULT)
{
	struct pnm_iovec l = { x->a, 8 }, r = { x->a + 1024 * PG, 8 };

	return pnm_process_vm_writev(pnm_task_pid(x->t), &l, 1, &r, 1, 0);
}

ROW(kwrite_flags, "pnm_kwrite", "an unknown flag", -EINVAL)
{
	return pnm_kwrite(x->t, x->a, "x", 1, 0x100);
}

ROW(kwrite_ro, "pnm_kwrite", "a page the process may not write", -EFAULT)
{
	return pnm_kwrite(x->t, x->r, "x", 1, 0);
}

ROW(kwrite_begin_len0, "pnm_kwrite_begin", "zero length", -EINVAL)
{
	struct pnm_kwrite_req *kw;

	return pnm_kwrite_begin(x->t, x->a, 0, 0, &kw);
}

ROW(futex_unaligned, "pnm_get_futex_key", "an address not 4-byte aligned", -EINVAL)
{
	struct pnm_futex_key key;

	return pnm_get_futex_key(x->t, x->a + 1, 0, &key);
}

ROW(futex_unmapped, "pnm_get_futex_key", "nothing mapped there", -EFAULT)
{
	struct pnm_futex_key key;

	return pnm_get_futex_key(x->t, x->a + 1024 * PG, 0, &key);
}

ROW(mmu_notifier_null, "mmu_notifier_register", "a NULL subscription", -EINVAL)
{
	(void)x;
	return mmu_notifier_register(NULL, pnm_current_mm());
}

/* --- inspect.h -------------------------------------------------------------- */

ROW(mem_info_small, "pnm_get_mem_info", "a size below this release's struct", -EINVAL)
{
	struct pnm_mem_info mi = { .size = 4 };

	(void)x;
	return pnm_get_mem_info(&mi);
}

ROW(zone_info_bad, "pnm_get_zone_info", "a zone that does not exist", -EINVAL)
{
	struct pnm_zone_info zi = { .size = sizeof(zi) };

	(void)x;
	return pnm_get_zone_info((enum pnm_zone_type)99, &zi);
}

ROW(pfn_info_range, "pnm_pfn_info", "a pfn outside the arena", -EINVAL)
{
	struct pnm_page_info pi = { .size = sizeof(pi) };

	(void)x;
	return pnm_pfn_info(~0UL >> 1, &pi);
}

ROW(task_page_info_unmapped, "pnm_task_page_info", "an address with no page", -EFAULT)
{
	struct pnm_page_info pi = { .size = sizeof(pi) };

	return pnm_task_page_info(x->t, x->a + 1024 * PG, &pi);
}

ROW(smaps_unmapped, "pnm_task_smaps", "an address no mapping covers", -ENOENT)
{
	struct pnm_smaps_info si = { .size = sizeof(si) };

	return pnm_task_smaps(x->t, x->a + 1024 * PG, &si);
}

ROW(smaps_field_unknown, "pnm_smaps_field", "an unknown field", -ENOENT)
{
	struct pnm_smaps_info si = { .size = sizeof(si) };
	uint64_t v;

	assert_int_equal(pnm_task_smaps(x->t, x->a, &si), 0);
	return pnm_smaps_field(&si, "NoSuchField", &v);
}

ROW(pagemap_null, "pnm_task_pagemap", "a NULL result with a count", -EINVAL)
{
	return pnm_task_pagemap(x->t, x->a, NULL, 1);
}

ROW(clear_refs_bad, "pnm_task_clear_refs", "an unknown type", -EINVAL)
{
	return pnm_task_clear_refs(x->t, (enum pnm_clear_refs)99);
}

ROW(file_info_null, "pnm_get_file_info", "a NULL result", -EINVAL)
{
	return pnm_get_file_info(x->f, NULL);
}

/* --- more of the call sites: rdma.h, io_uring.h, dio.h ---------------------- */

static struct pnm_ib_device *ib(void)
{
	struct pnm_ib_device_params p = { .size = sizeof(p) };
	struct pnm_ib_device *dev = NULL;

	assert_int_equal(pnm_ib_device_create(&p, &dev), 0);
	return dev;
}

static long reg_mr_with(struct fx *x, struct pnm_ib_mr_attr *attr)
{
	struct pnm_ib_device *dev = ib();
	struct pnm_ib_pd *pd;
	struct pnm_ib_mr *mr = NULL;
	long ret;

	assert_int_equal(pnm_ib_alloc_pd(dev, x->t, &pd), 0);
	ret = pnm_ib_reg_mr(pd, attr, &mr);
	if (!ret)
		pnm_ib_dereg_mr(mr);
	assert_int_equal(pnm_ib_dealloc_pd(pd), 0);
	assert_int_equal(pnm_ib_device_destroy(dev), 0);
	return ret;
}

ROW(reg_mr_len0, "pnm_ib_reg_mr", "zero length", -EINVAL)
{
	struct pnm_ib_mr_attr a = { .size = sizeof(a), .addr = x->a, .iova = x->a,
				    .access = PNM_IB_ACCESS_LOCAL_WRITE };

	return reg_mr_with(x, &a);
}

ROW(reg_mr_remote_write_only, "pnm_ib_reg_mr", "REMOTE_WRITE without LOCAL_WRITE", -EINVAL)
{
	struct pnm_ib_mr_attr a = { .size = sizeof(a), .addr = x->a, .length = PG, .iova = x->a,
				    .access = PNM_IB_ACCESS_REMOTE_WRITE };

	return reg_mr_with(x, &a);
}

ROW(reg_mr_iova_offset, "pnm_ib_reg_mr", "iova and addr at different page offsets", -EINVAL)
{
	struct pnm_ib_mr_attr a = { .size = sizeof(a), .addr = x->a, .length = PG,
				    .iova = x->a + 8, .access = PNM_IB_ACCESS_LOCAL_WRITE };

	return reg_mr_with(x, &a);
}

ROW(reg_mr_unmapped, "pnm_ib_reg_mr", "a range not mapped", -EFAULT)
{
	struct pnm_ib_mr_attr a = { .size = sizeof(a), .addr = x->a + 1024 * PG, .length = PG,
				    .iova = x->a + 1024 * PG, .access = PNM_IB_ACCESS_LOCAL_WRITE };

	return reg_mr_with(x, &a);
}

ROW(reg_mr_shared_file, "pnm_ib_reg_mr", "a shared disk-file mapping without a lease",
    -EFAULT)
{
	long addr = pnm_mmap(x->t, 0, PG, RW, MAP_SHARED, x->f, 0);
	struct pnm_ib_mr_attr a = { .size = sizeof(a), .addr = (unsigned long)addr, .length = PG,
				    .iova = (unsigned long)addr, .access = PNM_IB_ACCESS_LOCAL_WRITE };

	assert_true(addr > 0);
	return reg_mr_with(x, &a);
}

ROW(alloc_pd_exited, "pnm_ib_alloc_pd", "a task that has exited", -ESRCH)
{
	struct task_struct *p = test_task_create("p");
	struct pnm_ib_device *dev = ib();
	struct pnm_ib_pd *pd;
	long ret;

	(void)x;
	pnm_task_exit(p);
	ret = pnm_ib_alloc_pd(dev, p, &pd);
	assert_int_equal(pnm_ib_device_destroy(dev), 0);
	return ret;
}

ROW(remote_write_no_region, "pnm_ib_remote_write", "an rkey no region has", -EACCES)
{
	struct pnm_ib_device *dev = ib();
	long ret;

	(void)x;
	ret = pnm_ib_remote_write(dev, 12345, 0, "x", 1);
	assert_int_equal(pnm_ib_device_destroy(dev), 0);
	return ret;
}

ROW(remote_read_too_long, "pnm_ib_remote_read", "a length above PNM_IB_MAX_MSG_SIZE", -EINVAL)
{
	struct pnm_ib_device *dev = ib();
	char c;
	long ret;

	(void)x;
	ret = pnm_ib_remote_read(dev, 1, 0, &c, PNM_IB_MAX_MSG_SIZE + 1);
	assert_int_equal(pnm_ib_device_destroy(dev), 0);
	return ret;
}

ROW(poll_cq_null, "pnm_ib_poll_cq", "a NULL completion array", -EINVAL)
{
	struct pnm_ib_device *dev = ib();
	long ret;

	(void)x;
	ret = pnm_ib_poll_cq(dev, NULL, 1);
	assert_int_equal(pnm_ib_device_destroy(dev), 0);
	return ret;
}

static long with_ring(struct fx *x, long (*fn)(struct fx *x, struct pnm_io_ring *ring))
{
	struct pnm_io_ring *ring;
	long ret;

	assert_int_equal(pnm_io_ring_create(x->t, &ring), 0);
	ret = fn(x, ring);
	pnm_io_ring_destroy(ring);
	return ret;
}

static long do_ring_unregister_none(struct fx *x, struct pnm_io_ring *ring)
{
	(void)x;
	return pnm_io_ring_unregister_buffers(ring);
}

ROW(ring_unregister_none, "pnm_io_ring_unregister_buffers", "no buffers registered", -ENXIO)
{
	return with_ring(x, do_ring_unregister_none);
}

static long do_ring_read_unregistered(struct fx *x, struct pnm_io_ring *ring)
{
	return pnm_io_ring_read_fixed(ring, x->f, 0, x->a, PG, 0);
}

ROW(ring_read_no_buffer, "pnm_io_ring_read_fixed", "a buffer index not registered", -EFAULT)
{
	return with_ring(x, do_ring_read_unregistered);
}

static long do_ring_write_outside(struct fx *x, struct pnm_io_ring *ring)
{
	struct iovec iov = { .iov_base = (void *)x->a, .iov_len = PG };

	assert_int_equal(pnm_io_ring_register_buffers(ring, &iov, 1), 0);
	return pnm_io_ring_write_fixed(ring, x->f, 0, x->a + PG, PG, 0);
}

ROW(ring_write_outside, "pnm_io_ring_write_fixed", "a range outside the buffer", -EFAULT)
{
	return with_ring(x, do_ring_write_outside);
}

static long dio_with(struct fx *x, unsigned int op, unsigned long buf, size_t count, int64_t off)
{
	struct pnm_dio_dev *dev;
	long ret;

	assert_int_equal(pnm_dio_dev_create(1, &dev), 0);
	ret = pnm_dio_rw(dev, x->f, op, buf, count, off);
	assert_int_equal(pnm_dio_dev_destroy(dev), 0);
	return ret;
}

ROW(dio_unaligned, "pnm_dio_rw", "an offset not a multiple of the alignment", -EINVAL)
{
	return dio_with(x, PNM_DIO_READ, x->a, PG, 1);
}

ROW(dio_bad_op, "pnm_dio_rw", "an unknown operation", -EINVAL)
{
	return dio_with(x, 0x8, x->a, PG, 0);
}

ROW(dio_unmapped, "pnm_dio_rw", "a buffer whose first page cannot be pinned", -EFAULT)
{
	return dio_with(x, PNM_DIO_WRITE, x->a + 1024 * PG, PG, 0);
}

/* --- more of gup.h, vaddr_pin.h, file.h, task.h ----------------------------- */

ROW(pin_remote_unmapped, "pin_user_pages_remote", "an unmapped address", -EFAULT)
{
	struct mm_struct *mm = get_task_mm(x->t);
	long ret;

	mmap_read_lock(mm);
	ret = pin_user_pages_remote(mm, x->a + 1024 * PG, 1, 0, x->pages, NULL);
	mmap_read_unlock(mm);
	mmput(mm);
	return ret;
}

ROW(gup_fast_only_longterm, "get_user_pages_fast_only", "FOLL_LONGTERM without FOLL_PIN",
    -EINVAL)
{
	return get_user_pages_fast_only(x->a, 1, FOLL_LONGTERM, x->pages);
}

ROW(owner_coalesce_unknown, "vaddr_pin_coalesce", "a start that is no extent's", -EINVAL)
{
	return vaddr_pin_coalesce(owner(x, 0), x->a);
}

ROW(owner_info_null, "pnm_vaddr_pin_get_info", "a NULL result", -EINVAL)
{
	return pnm_vaddr_pin_get_info(owner(x, 0), NULL);
}

ROW(lease_info_none, "pnm_file_get_layout_lease", "no lease held", -ENOENT)
{
	struct pnm_layout_lease_info info = { .size = sizeof(info) };

	return pnm_file_get_layout_lease(x->f, &info);
}

ROW(fsync_range, "pnm_file_fsync", "an end before the start", -EINVAL)
{
	return pnm_file_fsync(x->f, 2 * (int64_t)PG, 0, false);
}

ROW(writeback_range_bad, "pnm_file_writeback", "an end before the start", -EINVAL)
{
	return pnm_file_writeback(x->f, 2 * (int64_t)PG, 0);
}

ROW(backing_path_shmem, "pnm_fs_backing_path", "a shmem file (no backing file)", -EINVAL)
{
	char buf[256];

	return pnm_fs_backing_path(x->s, buf, sizeof(buf));
}

ROW(fs_parse_unknown, "pnm_fs_parse", "an unknown name", -1)
{
	(void)x;
	return pnm_fs_parse("ext9");
}

ROW(direct_write_ro, "pnm_file_direct_write", "a file open read-only", -EBADF)
{
	static char buf[PG] __attribute__((aligned(4096)));

	return pnm_file_direct_write(x->fro, buf, PG, 0);
}

/* --- the rest: info calls, busy objects, ranges ------------------------------ */

ROW(dealloc_pd_busy, "pnm_ib_dealloc_pd", "a PD with a region registered", -EBUSY)
{
	struct pnm_ib_device *dev = ib();
	struct pnm_ib_mr_attr a = { .size = sizeof(a), .addr = x->a, .length = PG, .iova = x->a,
				    .access = PNM_IB_ACCESS_LOCAL_WRITE };
	struct pnm_ib_pd *pd;
	struct pnm_ib_mr *mr;
	long ret;

	assert_int_equal(pnm_ib_alloc_pd(dev, x->t, &pd), 0);
	assert_int_equal(pnm_ib_reg_mr(pd, &a, &mr), 0);
	ret = pnm_ib_dealloc_pd(pd);
	assert_int_equal(pnm_ib_dereg_mr(mr), 0);
	assert_int_equal(pnm_ib_dealloc_pd(pd), 0);
	assert_int_equal(pnm_ib_device_destroy(dev), 0);
	return ret;
}

ROW(ib_device_destroy_busy, "pnm_ib_device_destroy", "a device with a PD", -EBUSY)
{
	struct pnm_ib_device *dev = ib();
	struct pnm_ib_pd *pd;
	long ret;

	assert_int_equal(pnm_ib_alloc_pd(dev, x->t, &pd), 0);
	ret = pnm_ib_device_destroy(dev);
	assert_int_equal(pnm_ib_dealloc_pd(pd), 0);
	assert_int_equal(pnm_ib_device_destroy(dev), 0);
	return ret;
}

ROW(ib_device_info_small, "pnm_ib_device_get_info", "a size below this release's struct",
    -EINVAL)
{
	struct pnm_ib_device *dev = ib();
	struct pnm_ib_device_info info = { .size = 4 };
	long ret;

	(void)x;
	ret = pnm_ib_device_get_info(dev, &info);
	assert_int_equal(pnm_ib_device_destroy(dev), 0);
	return ret;
}

ROW(ib_post_null, "pnm_ib_post_remote", "a NULL work request", -EINVAL)
{
	struct pnm_ib_device *dev = ib();
	long ret;

	(void)x;
	ret = pnm_ib_post_remote(dev, NULL);
	assert_int_equal(pnm_ib_device_destroy(dev), 0);
	return ret;
}

static long do_ring_buf_info(struct fx *x, struct pnm_io_ring *ring)
{
	struct pnm_io_buf_info info = { .size = sizeof(info) };

	(void)x;
	return pnm_io_ring_buf_info(ring, 0, &info);
}

ROW(ring_buf_info_none, "pnm_io_ring_buf_info", "no buffers registered", -ENXIO)
{
	return with_ring(x, do_ring_buf_info);
}

static long do_ring_get_info(struct fx *x, struct pnm_io_ring *ring)
{
	struct pnm_io_ring_info info = { .size = 4 };

	(void)x;
	return pnm_io_ring_get_info(ring, &info);
}

ROW(ring_info_small, "pnm_io_ring_get_info", "a size below this release's struct", -EINVAL)
{
	return with_ring(x, do_ring_get_info);
}

ROW(pipe_buffer_none, "pnm_pipe_buffer", "a buffer index with no buffer", -ENOENT)
{
	struct pnm_pipe *pipe;
	unsigned long pfn;
	unsigned int off;
	long ret;

	(void)x;
	assert_int_equal(pnm_pipe_create(&pipe), 0);
	ret = pnm_pipe_buffer(pipe, 0, &pfn, &off);
	pnm_pipe_destroy(pipe);
	return ret;
}

ROW(pipe_info_small, "pnm_pipe_get_info", "a size below this release's struct", -EINVAL)
{
	struct pnm_pipe_info info = { .size = 4 };
	struct pnm_pipe *pipe;
	long ret;

	(void)x;
	assert_int_equal(pnm_pipe_create(&pipe), 0);
	ret = pnm_pipe_get_info(pipe, &info);
	pnm_pipe_destroy(pipe);
	return ret;
}

ROW(dio_submit_ro, "pnm_dio_submit", "a write to a file open read-only", -EBADF)
{
	struct pnm_dio_dev *dev;
	struct pnm_dio_req *req;
	long ret;

	assert_int_equal(pnm_dio_dev_create(1, &dev), 0);
	ret = pnm_dio_submit(dev, x->fro, PNM_DIO_WRITE, x->a, PG, 0, &req);
	assert_int_equal(pnm_dio_dev_destroy(dev), 0);
	return ret;
}

ROW(dio_poll_null, "pnm_dio_poll", "a NULL request", -EINVAL)
{
	ssize_t res;

	(void)x;
	return pnm_dio_poll(NULL, &res);
}

ROW(dma_write_range, "pnm_dma_write", "a range beyond the pages given", -EINVAL)
{
	(void)x;
	return pnm_dma_write(x->pages, 0, 0, "x", 1);
}

ROW(swap_inject_no_device, "pnm_swap_inject_error", "no swap device", -EINVAL)
{
	(void)x;
	return pnm_swap_inject_error(PNM_IO_WRITE, -EIO, 1);
}

ROW(swap_info_small, "pnm_get_swap_info", "a size below this release's struct", -EINVAL)
{
	struct pnm_swap_info info = { .size = 4 };

	(void)x;
	return pnm_get_swap_info(&info);
}

ROW(swap_entry_present, "pnm_task_swap_entry", "an address whose page is present", -ENOENT)
{
	struct pnm_swap_entry_info info = { .size = sizeof(info) };

	return pnm_task_swap_entry(x->t, x->a, &info);
}

ROW(vma_next_none, "pnm_task_vma_next", "no mapping at or above the address", -ENOENT)
{
	struct pnm_vma_info info = { .size = sizeof(info) };

	return pnm_task_vma_next(x->t, ~0UL - PG, &info);
}

ROW(mm_info_exited, "pnm_task_mm_info", "a task that has exited", -ESRCH)
{
	struct task_struct *p = test_task_create("p");
	struct pnm_mm_info info = { .size = sizeof(info) };

	(void)x;
	pnm_task_exit(p);
	return pnm_task_mm_info(p, &info);
}

ROW(smaps_rollup_small, "pnm_task_smaps_rollup", "a size below this release's struct", -EINVAL)
{
	struct pnm_smaps_info si = { .size = 4 };

	return pnm_task_smaps_rollup(x->t, &si);
}

ROW(file_page_info_hole, "pnm_file_page_info", "an offset with no page cached", -ENOENT)
{
	struct pnm_page_info pi = { .size = sizeof(pi) };

	return pnm_file_page_info(x->f, 8 * (int64_t)PG, &pi);
}

ROW(kwrite_copy_outside, "pnm_kwrite_copy", "a copy outside the pinned range", -EINVAL)
{
	struct pnm_kwrite_req *kw;
	long ret;

	assert_int_equal(pnm_kwrite_begin(x->t, x->a, PG, 0, &kw), 0);
	ret = pnm_kwrite_copy(kw, PG, "x", 1);
	pnm_kwrite_end(kw);
	return ret;
}

ROW(owner_extent_none, "pnm_vaddr_pin_extent_next", "no extent at or above the address",
    -ENOENT)
{
	struct pnm_vaddr_pin_extent ext = { .size = sizeof(ext) };

	return pnm_vaddr_pin_extent_next(owner(x, 0), 0, &ext);
}

ROW(owner_remote_other_mm, "vaddr_pin_pages_remote", "an mm that is not the owner's", -EINVAL)
{
	struct task_struct *p = test_task_create("p");
	struct mm_struct *mm = get_task_mm(p);
	long ret;

	mmap_read_lock(mm);
	ret = vaddr_pin_pages_remote(owner(x, 0), mm, x->a, 1, NULL, NULL);
	mmap_read_unlock(mm);
	mmput(mm);
	pnm_task_exit(p);
	pnm_task_put(p);
	return ret;
}

ROW(owner_unpin_pages_unknown, "vaddr_unpin_pages", "a start that is no extent's", -EINVAL)
{
	return vaddr_unpin_pages(owner(x, 0), x->a, false);
}

ROW(budget_get_task_exited, "pnm_pin_budget_get_task", "a task that has exited", -ESRCH)
{
	struct task_struct *p = test_task_create("p");
	struct pnm_pin_budget_info info = { .size = sizeof(info) };

	(void)x;
	pnm_task_exit(p);
	return pnm_pin_budget_get_task(p, &info);
}

ROW(budget_task_limit_exited, "pnm_pin_budget_set_task_limit", "a task that has exited",
    -ESRCH)
{
	struct task_struct *p = test_task_create("p");

	(void)x;
	pnm_task_exit(p);
	return pnm_pin_budget_set_task_limit(p, 1);
}

ROW(dio_begin_shmem, "pnm_file_dio_begin", "a shmem file", -EINVAL)
{
	return pnm_file_dio_begin(x->s, PNM_IO_READ, 0, PG);
}

ROW(writeback_range_mode, "pnm_writeback_range", "an unknown mode", -EINVAL)
{
	return pnm_writeback_range(x->f, 0, INT64_MAX, (enum pnm_wb_mode)9);
}

ROW(kvm_exited, "pnm_kvm_create", "a task that has exited", -ESRCH)
{
	struct task_struct *p = test_task_create("p");
	struct pnm_kvm *kvm;

	(void)x;
	pnm_task_exit(p);
	return pnm_kvm_create(p, &kvm);
}

/* --- kvm.h, and the last of the others --------------------------------------- */

static long with_kvm(struct fx *x, long (*fn)(struct fx *x, struct pnm_kvm *kvm))
{
	struct pnm_kvm *kvm;
	long ret;

	assert_int_equal(pnm_kvm_create(x->t, &kvm), 0);
	ret = fn(x, kvm);
	pnm_kvm_destroy(kvm);
	return ret;
}

static long do_memslot_bad_slot(struct fx *x, struct pnm_kvm *kvm)
{
	return pnm_kvm_set_memslot(kvm, PNM_KVM_MAX_MEMSLOTS, 0, 1, x->a, 0);
}

ROW(kvm_memslot_slot, "pnm_kvm_set_memslot", "a slot number of PNM_KVM_MAX_MEMSLOTS or more",
    -EINVAL)
{
	return with_kvm(x, do_memslot_bad_slot);
}

static long do_memslot_overlap(struct fx *x, struct pnm_kvm *kvm)
{
	assert_int_equal(pnm_kvm_set_memslot(kvm, 0, 0, 4, x->a, 0), 0);
	return pnm_kvm_set_memslot(kvm, 1, 2, 4, x->a + 4 * PG, 0);
}

ROW(kvm_memslot_overlap, "pnm_kvm_set_memslot", "a gfn range overlapping another slot's",
    -EEXIST)
{
	return with_kvm(x, do_memslot_overlap);
}

static long do_map_ro_write(struct fx *x, struct pnm_kvm *kvm)
{
	assert_int_equal(pnm_kvm_set_memslot(kvm, 0, 0, 4, x->a, PNM_KVM_MEM_READONLY), 0);
	return pnm_kvm_map_gfn(kvm, 0, true);
}

ROW(kvm_map_ro_write, "pnm_kvm_map_gfn", "a write to a read-only slot", -EACCES)
{
	return with_kvm(x, do_map_ro_write);
}

static long do_guest_write_unmapped(struct fx *x, struct pnm_kvm *kvm)
{
	assert_int_equal(pnm_kvm_set_memslot(kvm, 0, 0, 4, x->a + 1024 * PG, 0), 0);
	return pnm_kvm_guest_write(kvm, 0, "x", 1);
}

ROW(kvm_guest_write_unmapped, "pnm_kvm_guest_write", "a slot over memory not mapped", -EFAULT)
{
	return with_kvm(x, do_guest_write_unmapped);
}

static long do_guest_read_unmapped(struct fx *x, struct pnm_kvm *kvm)
{
	char c;

	assert_int_equal(pnm_kvm_set_memslot(kvm, 0, 0, 4, x->a + 1024 * PG, 0), 0);
	return pnm_kvm_guest_read(kvm, 0, &c, 1);
}

ROW(kvm_guest_read_unmapped, "pnm_kvm_guest_read", "a slot over memory not mapped", -EFAULT)
{
	return with_kvm(x, do_guest_read_unmapped);
}

static long do_lookup_none(struct fx *x, struct pnm_kvm *kvm)
{
	unsigned long pfn;
	bool w;

	(void)x;
	return pnm_kvm_lookup(kvm, 0, &pfn, &w);
}

ROW(kvm_lookup_none, "pnm_kvm_lookup", "a gfn with no shadow entry", -ENOENT)
{
	return with_kvm(x, do_lookup_none);
}

static long do_kvm_info_null(struct fx *x, struct pnm_kvm *kvm)
{
	(void)x;
	return pnm_kvm_get_info(kvm, NULL);
}

ROW(kvm_info_null, "pnm_kvm_get_info", "a NULL result", -EINVAL)
{
	return with_kvm(x, do_kvm_info_null);
}

ROW(mr_info_null, "pnm_ib_mr_get_info", "a NULL result", -EINVAL)
{
	(void)x;
	return pnm_ib_mr_get_info(NULL, NULL);
}

ROW(dio_wait_null, "pnm_dio_wait", "a NULL request", -EINVAL)
{
	(void)x;
	return pnm_dio_wait(NULL);
}

ROW(swap_path_none, "pnm_swap_backing_path", "no swap device", -EINVAL)
{
	char buf[256];

	(void)x;
	return pnm_swap_backing_path(buf, sizeof(buf));
}

ROW(capable_unknown, "pnm_task_capable", "a capability the model does not know", -EINVAL)
{
	return pnm_task_capable(x->t, 3);
}

ROW(dma_read_range, "pnm_dma_read", "a range beyond the pages given", -EINVAL)
{
	char c;

	return pnm_dma_read(x->pages, 0, 0, &c, 1);
}

ROW(pipe_create_null, "pnm_pipe_create", "a NULL result", -EINVAL)
{
	(void)x;
	return pnm_pipe_create(NULL);
}

/* The GUP calls that need the caller's mmap_lock, on an unmapped address. */
static long gup_unmapped(struct fx *x, int which)
{
	struct mm_struct *mm = get_task_mm(x->t);
	unsigned long addr = x->a + 1024 * PG;
	long ret;

	mmap_read_lock(mm);
	ret = which == 0 ? get_user_pages_remote(mm, addr, 1, 0, x->pages, NULL) :
	      pin_user_pages(addr, 1, 0, x->pages);
	mmap_read_unlock(mm);
	mmput(mm);
	return ret;
}

ROW(gup_remote_unmapped, "get_user_pages_remote", "an unmapped address", -EFAULT)
{
	return gup_unmapped(x, 0);
}

ROW(pin_unmapped, "pin_user_pages", "an unmapped address", -EFAULT)
{
	return gup_unmapped(x, 1);
}

ROW(gup_unlocked_unmapped, "get_user_pages_unlocked", "an unmapped address", -EFAULT)
{
	return get_user_pages_unlocked(x->a + 1024 * PG, 1, x->pages, 0);
}

ROW(owner_pin_pages_unaligned, "vaddr_pin_pages", "an unaligned start", -EINVAL)
{
	struct mm_struct *mm = get_task_mm(x->t);
	struct vaddr_pin *vp = owner(x, 0);
	long ret;

	mmap_read_lock(mm);
	ret = vaddr_pin_pages(vp, x->a + 1, 1, NULL);
	mmap_read_unlock(mm);
	mmput(mm);
	return ret;
}

ROW(dio_destroy_busy, "pnm_dio_dev_destroy", "a request not yet reaped", -EBUSY)
{
	struct pnm_dio_dev *dev;
	struct pnm_dio_req *req;
	long ret;

	assert_int_equal(pnm_dio_dev_create(1, &dev), 0);
	assert_int_equal(pnm_dio_submit(dev, x->f, PNM_DIO_READ, x->a, PG, 0, &req), 0);
	ret = pnm_dio_dev_destroy(dev);
	assert_true(pnm_dio_wait(req) >= 0);
	assert_int_equal(pnm_dio_dev_destroy(dev), 0);
	return ret;
}

/* --- fault.h ----------------------------------------------------------------- */

ROW(fault_nth_kind, "pnm_fault_fail_nth", "an unknown kind", -EINVAL)
{
	(void)x;
	return pnm_fault_fail_nth((enum pnm_fault_kind)999, 1);
}

ROW(fault_every_offset, "pnm_fault_fail_every", "an offset not below every", -EINVAL)
{
	(void)x;
	return pnm_fault_fail_every(PNM_FAULT_VMA, 4, 4);
}

ROW(fault_stat_null, "pnm_fault_stat", "a NULL result", -EINVAL)
{
	(void)x;
	return pnm_fault_stat(PNM_FAULT_VMA, NULL);
}

ROW(fault_lookup_unknown, "pnm_fault_kind_lookup", "an unknown name", -EINVAL)
{
	(void)x;
	return pnm_fault_kind_lookup("no-such-kind");
}

/* --- the fixture and the driver ------------------------------------------- */

static unsigned long frames_in_use(void)
{
	struct pnm_mem_info mi = { .size = sizeof(mi) };

	assert_int_equal(pnm_get_mem_info(&mi), 0);
	return mi.allocated_frames;
}

static void run_row(void **state)
{
	const struct row *r = *state;
	struct fx x = { 0 };
	unsigned long before;
	long got;

	x.t = test_task_create("errors");
	pnm_task_enter(x.t);
	x.a = test_mmap(x.t, 16 * PG, RW, ANON);
	x.r = test_mmap(x.t, 4 * PG, PROT_READ, ANON);
	assert_int_equal(pnm_file_open(PNM_FS_DISK, "f", O_RDWR | O_CREAT, &x.f), 0);
	assert_int_equal(pnm_file_truncate(x.f, 16 * (int64_t)PG), 0);
	assert_int_equal(pnm_file_open(PNM_FS_DISK, "f", O_RDONLY, &x.fro), 0);
	assert_int_equal(pnm_shmem_file_create("s", 16 * (int64_t)PG, &x.s), 0);
	for (unsigned long i = 0; i < 16; i++)	/* no fault allocates below */
		test_write_byte(x.t, x.a + i * PG, 1);
	CHECK_ALL();
	before = frames_in_use();

	got = r->fn(&x);
	if (got != r->err)
		fail_msg("%s: %s with %s returned %ld (%s), the table says %ld (%s)", r->name,
			 r->call, r->what, got, pnm_strerror((int)got), r->err,
			 pnm_strerror((int)r->err));
	/* Nothing changed: the model holds, and no frame was taken. */
	CHECK_ALL();
	if (x.pages[15])
		assert_int_equal(vaddr_pin_destroy((struct vaddr_pin *)x.pages[15]), 0);
	assert_int_equal(frames_in_use(), before);

	pnm_file_close(x.s);
	pnm_file_close(x.fro);
	pnm_file_close(x.f);
	pnm_task_enter(NULL);
	pnm_task_exit(x.t);
	pnm_task_put(x.t);
}

int main(void)
{
	static struct CMUnitTest tests[512];

	for (unsigned int i = 0; i < nr_rows; i++)
		tests[i] = (struct CMUnitTest){
			.name = rows[i].name, .test_func = run_row,
			.setup_func = pnm_test_setup, .teardown_func = pnm_test_teardown,
			.initial_state = &rows[i],
		};
	return _cmocka_run_group_tests("errors", tests, nr_rows, NULL, NULL);
}
