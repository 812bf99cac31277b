// SPDX-License-Identifier: MIT
/*
 * drivers/process_vm.c - process_vm_readv(2) / process_vm_writev(2): the
 * calling process copies from or to another process's memory
 * (pinmm/process_vm.h has the contract, docs/call-sites.md the reasons).
 *
 * Linux's mm/process_vm_access.c, step by step:
 *
 *   1. flags must be 0; the local vector is imported (at most IOV_MAX
 *      entries, no length above SSIZE_MAX, the total capped at
 *      MAX_RW_COUNT); nothing to copy locally is 0;
 *   2. the remote vector likewise; no remote page at all is 0;
 *   3. the target by pid (-ESRCH), then its mm with the ptrace access
 *      check (mm_access(PTRACE_MODE_ATTACH_REALCREDS): -EPERM for a
 *      stranger, -ESRCH once it has no mm);
 *   4. for each remote range, in chunks of at most PVM_PAGES pages: pin
 *      them with pin_user_pages_remote() under the target's mmap_lock
 *      (FOLL_WRITE for writev: breaks COW in the target), copy between
 *      the pinned pages and the local ranges, and release them with
 *      unpin_user_pages_dirty_lock(..., writev).  A chunk that cannot be
 *      pinned at all, or a local page that cannot be reached, ends the
 *      copy with -EFAULT;
 *   5. the bytes copied, if any, else the error.
 *
 * The copy is the kernel's CPU copy (copy_page_to_iter()), not a
 * device's: the remote side goes through the pinned page array
 * (pnm_dma_read/write, which counts it as device traffic) because that is
 * the only way public code reaches page data, and it is word-atomic
 * against other CPUs and devices; the local side through the caller's
 * own mappings (pnm_user_read/write), cut at local page boundaries so
 * that a fault stops the count exactly where Linux's would.
 *
 * Why FOLL_PIN (group (a) of the 2019 mail, converted in Linux 5.6): the
 * page data is read or written while nothing holds the target's page
 * table lock, so the page must be known as pinned for the copy's
 * duration (a fork of the target, migration, writeback see it).
 * Short-term, tied to no file: pin_user_pages_remote(), no owner.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <limits.h>
#include <stdint.h>
#include <string.h>
#include <pinmm/pinmm.h>
#include <pinmm/process_vm.h>

#define PG		PNM_PAGE_SIZE
#define PVM_PAGES	16	/* Linux's PVM_MAX_PP_ARRAY_COUNT: pages per pin */
#define MAX_RW_COUNT	((size_t)INT_MAX & ~(size_t)(PG - 1))

/* The local side: the caller's ranges, consumed in order. */
struct local_iter {
	struct task_struct *task;
	const struct pnm_iovec *iov;
	unsigned long cnt;
	unsigned long idx;		/* current entry */
	size_t off;			/* bytes of it done */
	size_t left;			/* bytes left in all (capped total) */
};

/*
 * Copy @n bytes between the local ranges and @pages (@npages, from byte
 * @poff of the first), in the direction of @write (true: local -> remote).
 * Returns the bytes done; *@err gets -EFAULT if a local page failed, -EIO
 * on a page-array error.
 */
static size_t copy_chunk(struct local_iter *it, struct page **pages, unsigned long npages,
			 size_t poff, size_t n, bool write, int *err)
{
	unsigned char buf[PG];
	size_t done = 0;

	while (done < n && it->left) {
		const struct pnm_iovec *v = &it->iov[it->idx];
		unsigned long addr;
		size_t k;
		int ret;

		if (it->off == v->iov_len) {	/* next entry (lengths 0 skipped) */
			it->idx++;
			it->off = 0;
			continue;
		}
		addr = v->iov_base + it->off;
		/* One piece: within one local page, one remote page, the entry. */
		k = n - done;
		if (k > v->iov_len - it->off)
			k = v->iov_len - it->off;
		if (k > it->left)
			k = it->left;
		if (k > PG - (addr & (PG - 1)))
			k = PG - (addr & (PG - 1));
		if (k > PG - ((poff + done) & (PG - 1)))
			k = PG - ((poff + done) & (PG - 1));
		if (write) {
			ret = pnm_user_read(it->task, addr, buf, k);
			if (!ret)
				ret = pnm_dma_write(pages, npages, poff + done, buf, k) ? -EIO : 0;
		} else {
			ret = pnm_dma_read(pages, npages, poff + done, buf, k) ? -EIO : 0;
			if (!ret)
				ret = pnm_user_write(it->task, addr, buf, k);
		}
		if (ret) {
			/* A local fault is -EFAULT, as copy_page_to_iter()'s
			 * short copy; the page array cannot fail (-EIO). */
			*err = ret == -EIO ? -EIO : -EFAULT;
			break;
		}
		done += k;
		it->off += k;
		it->left -= k;
	}
	return done;
}

/*
 * One remote range [@addr, @addr + @len) of @mm: pin, copy, release, a
 * chunk at a time.  Adds the bytes copied to *@copied; 0, or -EFAULT
 * (a chunk could not be pinned, a local page failed), -ENOMEM, -EIO.
 */
static int rw_single_vec(struct mm_struct *mm, unsigned long addr, size_t len,
			 struct local_iter *it, bool write, size_t *copied)
{
	struct page *pages[PVM_PAGES];

	while (len && it->left) {
		unsigned long start = addr & ~(PG - 1);
		size_t poff = addr & (PG - 1);
		unsigned long want = (poff + len + PG - 1) / PG;
		size_t n, done;
		long pinned;
		int locked = 1, err = 0;

		if (want > PVM_PAGES)
			want = PVM_PAGES;
		mmap_read_lock(mm);
		pinned = pin_user_pages_remote(mm, start, want, write ? FOLL_WRITE : 0, pages,
					       &locked);
		if (locked)
			mmap_read_unlock(mm);
		if (pinned <= 0)
			return -EFAULT;		/* whatever the reason, as Linux */
		n = (size_t)pinned * PG - poff;
		if (n > len)
			n = len;
		done = copy_chunk(it, pages, (unsigned long)pinned, poff, n, write, &err);
		unpin_user_pages_dirty_lock(pages, (unsigned long)pinned, write);
		*copied += done;
		if (err)
			return err;
		addr += done;
		len -= done;
	}
	return 0;
}

/* Import @iov (@cnt entries): 0, or -EINVAL / -EFAULT; *@total its sum. */
static int check_iov(const struct pnm_iovec *iov, unsigned long cnt, size_t *total)
{
	size_t sum = 0;

	if (cnt > PNM_IOV_MAX)
		return -EINVAL;
	if (cnt && !iov)
		return -EFAULT;
	for (unsigned long i = 0; i < cnt; i++) {
		if (iov[i].iov_len > SSIZE_MAX)
			return -EINVAL;
		sum = iov[i].iov_len > SIZE_MAX - sum ? SIZE_MAX : sum + iov[i].iov_len;
	}
	*total = sum;
	return 0;
}

/*
 * Linux's ptrace access check (PTRACE_MODE_ATTACH_REALCREDS), modelled by
 * the tasks' users: root (user 0) or the same user may.
 */
static int may_access(struct task_struct *self, struct task_struct *target)
{
	int me = pnm_task_user(self);

	return me == 0 || me == pnm_task_user(target) ? 0 : -EPERM;
}

static ssize_t process_vm_rw(int pid, const struct pnm_iovec *lvec, unsigned long liovcnt,
			     const struct pnm_iovec *rvec, unsigned long riovcnt,
			     unsigned long flags, bool write)
{
	struct local_iter it = { .iov = lvec, .cnt = liovcnt };
	struct task_struct *target;
	struct mm_struct *mm;
	size_t ltotal, rtotal, copied = 0;
	bool any_page = false;
	int err;

	if (flags)
		return -EINVAL;
	err = check_iov(lvec, liovcnt, &ltotal);
	if (err)
		return err;
	if (!ltotal)
		return 0;
	err = check_iov(rvec, riovcnt, &rtotal);
	if (err)
		return err;
	for (unsigned long i = 0; i < riovcnt; i++)
		any_page |= rvec[i].iov_len > 0;
	if (!any_page)
		return 0;
	it.task = pnm_current_task();
	if (!it.task)
		return -EFAULT;
	it.left = ltotal < MAX_RW_COUNT ? ltotal : MAX_RW_COUNT;

	target = pnm_find_task(pid);
	if (!target)
		return -ESRCH;
	/* mm_access(): no mm (exited) is -ESRCH before any permission
	 * question; one's own mm needs no permission. */
	mm = get_task_mm(target);
	err = !mm ? -ESRCH : mm == pnm_current_mm() ? 0 : may_access(it.task, target);
	if (err) {
		if (mm)
			mmput(mm);
		pnm_task_put(target);
		return err;
	}
	for (unsigned long i = 0; i < riovcnt && it.left && !err; i++)
		err = rw_single_vec(mm, rvec[i].iov_base, rvec[i].iov_len, &it, write, &copied);
	mmput(mm);
	pnm_task_put(target);
	return copied ? (ssize_t)copied : err;
}

/* pnm_process_vm_readv - remote -> local; see pinmm/process_vm.h. */
ssize_t pnm_process_vm_readv(int pid, const struct pnm_iovec *local_iov, unsigned long liovcnt,
			     const struct pnm_iovec *remote_iov, unsigned long riovcnt,
			     unsigned long flags)
{
	return process_vm_rw(pid, local_iov, liovcnt, remote_iov, riovcnt, flags, false);
}

/* pnm_process_vm_writev - local -> remote; see pinmm/process_vm.h. */
ssize_t pnm_process_vm_writev(int pid, const struct pnm_iovec *local_iov, unsigned long liovcnt,
			      const struct pnm_iovec *remote_iov, unsigned long riovcnt,
			      unsigned long flags)
{
	return process_vm_rw(pid, local_iov, liovcnt, remote_iov, riovcnt, flags, true);
}
