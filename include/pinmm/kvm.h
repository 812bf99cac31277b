/* SPDX-License-Identifier: MIT */
/*
 * pinmm/kvm.h - a secondary MMU user: a KVM-like virtual machine whose
 * shadow page table maps "guest frames" to the pages of a process
 * (case 3 of docs/pinning.md: plain references plus MMU notifiers, no
 * pins).
 *
 * A VM belongs to one process (its "VMM"): memory slots map ranges of
 * guest frame numbers (gfn) onto the process's user addresses, as KVM's
 * memslots do.  The guest's first access to a frame faults
 * (pnm_kvm_map_gfn(), KVM's EPT violation): the frame's page is taken
 * with get_user_pages (FOLL_GET, FOLL_WRITE for a write) from the process
 * and entered in the shadow page table, which holds that reference while
 * the entry lives.  The VM subscribes to the process's MMU notifier
 * (pinmm/mmu_notifier.h): whenever the process's page tables are about
 * to change over a range (munmap, MADV_DONTNEED, COW, fork, mprotect,
 * migration, truncate, writeback, THP split), the shadow entries of that
 * range are dropped -- references put -- and faults that raced with the
 * change are retried, so after every notification the shadow page table
 * agrees with the process's: each entry maps the frame the process maps
 * at that address, writable only if the process's entry is.  When the
 * process exits, the VM loses its memory (release: every entry dropped,
 * further faults -ESRCH).
 *
 * Guest accesses (pnm_kvm_guest_read/write) go through the shadow page
 * table under the VM's mmu_lock, which the invalidation takes too: an
 * access never touches a page the process no longer maps there.
 *
 * Threads: any number of threads may fault and access concurrently (each
 * acts as a vCPU; it enters the VM's process for the GUP call, so it must
 * not be running as another task at the time).  pnm_kvm_destroy() must
 * not race with other calls on the VM.  No call may be made from inside
 * an MMU notifier callback.
 */
#ifndef PINMM_KVM_H
#define PINMM_KVM_H

#include <pinmm/types.h>

PNM_BEGIN_DECLS

struct pnm_kvm;

#define PNM_KVM_MAX_MEMSLOTS	8
/* The largest slot: 1M guest frames (4 GiB). */
#define PNM_KVM_MAX_SLOT_PAGES	(1UL << 20)
/* Memory slot flag (Linux's KVM_MEM_READONLY): guest writes refused. */
#define PNM_KVM_MEM_READONLY	0x2u

/*
 * A VM for @task's address space: registers an MMU notifier on it.  0
 * with *@kvmp set; -ESRCH (@task has exited), -ENOMEM, -EINVAL (NULL).
 */
PNM_API int pnm_kvm_create(struct task_struct *task, struct pnm_kvm **kvmp);
/* Drop every shadow entry, unregister, free.  NULL is accepted. */
PNM_API void pnm_kvm_destroy(struct pnm_kvm *kvm);

/*
 * Set memory slot @slot: guest frames [@gfn, @gfn + @npages) are the
 * process's pages at [@hva, @hva + @npages pages).  A slot that was set
 * is replaced (its shadow entries dropped first); @npages 0 deletes it.
 * The process need not map the range yet (faults then fail with -EFAULT).
 * 0; -EINVAL (@slot >= PNM_KVM_MAX_MEMSLOTS, @hva unaligned, more than
 * PNM_KVM_MAX_SLOT_PAGES, wrapping ranges, unknown flags); -EEXIST (the
 * gfn range overlaps another slot's); -ENOMEM.
 */
PNM_API int pnm_kvm_set_memslot(struct pnm_kvm *kvm, unsigned int slot, unsigned long gfn,
				unsigned long npages, unsigned long hva, unsigned int flags);

/*
 * The guest faulted on @gfn (a write if @write): get the page from the
 * process and enter it in the shadow page table (writable for a write
 * fault; a read fault maps it read-only), retrying while an invalidation
 * of the process's tables races with it.  An entry already there is
 * replaced.  0; -EFAULT (no slot holds @gfn, or the process cannot
 * access the page: unmapped, PROT_NONE, or no PROT_WRITE for a write);
 * -EACCES (a write to a read-only slot); -ESRCH (the process's address
 * space is gone); -EAGAIN (invalidations kept racing: 1000 retries);
 * -ENOMEM.
 */
PNM_API int pnm_kvm_map_gfn(struct pnm_kvm *kvm, unsigned long gfn, bool write);

/*
 * The guest's loads and stores at guest physical address @gpa, through
 * the shadow page table, faulting (pnm_kvm_map_gfn()) where an entry is
 * missing or read-only for a store.  0 or pnm_kvm_map_gfn()'s error (bytes
 * before the failing page were done).
 */
PNM_API int pnm_kvm_guest_write(struct pnm_kvm *kvm, unsigned long gpa, const void *buf,
				size_t len);
PNM_API int pnm_kvm_guest_read(struct pnm_kvm *kvm, unsigned long gpa, void *buf, size_t len);

/*
 * The shadow entry of @gfn: 0 with the frame (and whether the guest may
 * write it; either pointer may be NULL), or -ENOENT (none).
 */
PNM_API int pnm_kvm_lookup(struct pnm_kvm *kvm, unsigned long gfn, unsigned long *pfn,
			   bool *writable);

/* What a VM holds and has done. */
struct pnm_kvm_info {
	size_t size;			/* set by the caller: sizeof(*info) */
	unsigned long mapped;		/* shadow entries (references held) */
	unsigned long writable;		/* of those, writable */
	unsigned long faults;		/* pnm_kvm_map_gfn() calls that mapped */
	unsigned long retries;		/* faults redone: an invalidation raced */
	unsigned long invalidations;	/* ranges received (starts) */
	unsigned long zapped;		/* entries dropped by invalidations */
	unsigned long in_progress;	/* invalidations started, not ended */
	unsigned long seq;		/* invalidations ended */
	bool released;			/* the address space is gone */
};
/* Fill @info (its size set).  0, -EINVAL. */
PNM_API int pnm_kvm_get_info(struct pnm_kvm *kvm, struct pnm_kvm_info *info);

/*
 * The VM's invariant checker: every shadow entry maps the frame the
 * process maps at that address (pnm_translate()), writable only where the
 * process's entry is writable, and holds a reference on it; no entry
 * outside a slot; no invalidation in progress; the counts agree; none
 * after release.  Call it when no thread changes the VM or the process.
 * 0, or -EIO with the first disagreement written to @why (@size bytes,
 * may be 0).
 */
PNM_API int pnm_kvm_check(struct pnm_kvm *kvm, char *why, size_t size);

PNM_END_DECLS

#endif /* PINMM_KVM_H */
