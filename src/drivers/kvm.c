// SPDX-License-Identifier: MIT
/*
 * kvm.c - a secondary MMU user (pinmm/kvm.h): a KVM-like VM whose shadow
 * page table mirrors part of a process's address space.  Case 3 of Linux's
 * pin_user_pages documentation: the pages are taken with plain references
 * (get_user_pages, FOLL_GET) and the mirror is kept coherent by MMU
 * notifiers (pinmm/mmu_notifier.h), never by pins -- so the process's
 * memory stays movable, reclaimable and copy-on-write as usual, and the
 * mirror simply follows.  Group d of the 2019 mail: KVM was never
 * converted to FOLL_PIN, because it does not need to be.
 *
 * The protocol is KVM's (virt/kvm/kvm_main.c, arch/x86/kvm/mmu):
 *
 *   fault (pnm_kvm_map_gfn)              invalidation (MMU notifier)
 *   -----------------------              ---------------------------
 *   lock; seq = mmu_invalidate_seq;      start: lock; in_progress++;
 *   unlock                                      drop the range's entries
 *   page = get_user_pages(hva)                  (put_page); unlock
 *   lock                                 ... the primary PTEs change ...
 *   if in_progress || seq changed:       end:   lock; seq++; in_progress--;
 *           unlock; put_page; retry             unlock
 *   install the entry (keeps the ref)
 *   unlock
 *
 * A fault whose GUP raced with a change sees either the change in
 * progress (in_progress) or its end (seq), and retries; one that did not
 * race installs a page the process still maps there, and any later change
 * drops it again at its start.  Since mmu_notifier_register() waits for
 * invalidations in flight, a VM created at any time starts coherent.
 *
 * Guest accesses copy through the entry's page under mmu_lock, which the
 * invalidation's start also takes: a change of the process's tables waits
 * for an access in progress, and no access starts on an entry being
 * dropped.  (Hardware does the same with TLB shootdowns.)  Dirtiness
 * needs nothing here: a writable entry exists only after a write fault
 * (FOLL_WRITE dirtied the page through the filesystem), and writeback's
 * write protection drops it before the page is cleaned.
 *
 * Locking: kvm->mmu_lock protects the slots, the shadow entries, the
 * sequence, the in-progress count and the statistics.  It is taken inside
 * the MMU notifier callbacks, so with any of the memory manager's locks
 * held (mmap_lock, a folio lock, a reverse-map lock -- see
 * docs/architecture.md); it is never held across a call into an address
 * space (GUP, pnm_translate): only put_page() runs under it.  Built
 * against the public headers only.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <pinmm/pinmm.h>
#include <pinmm/kvm.h>

#define KVM_MAX_RETRIES		1000

/* One shadow page-table entry: the page (NULL: not present), holding one
 * reference on it, and whether the guest may write it. */
struct kvm_spte {
	struct page *page;
	bool writable;
};

struct kvm_memslot {
	unsigned long base_gfn;
	unsigned long npages;		/* 0: the slot is unused */
	unsigned long hva;
	unsigned int flags;
	struct kvm_spte *sptes;		/* npages entries */
};

struct pnm_kvm {
	struct mmu_notifier mn;		/* registered on mm for the VM's life */
	struct task_struct *task;	/* the VMM process (a reference) */
	struct mm_struct *mm;		/* its mm (the notifier's mmgrab) */
	pthread_mutex_t mmu_lock;
	/* Everything below: mmu_lock. */
	struct kvm_memslot slots[PNM_KVM_MAX_MEMSLOTS];
	unsigned long slots_gen;	/* bumped at every slot change */
	unsigned long mmu_invalidate_seq;
	unsigned long mmu_invalidate_in_progress;
	bool released;
	/* The counts pnm_kvm_get_info() reports: entries present and
	 * writable, faults, retries, invalidations, entries zapped (the
	 * protocol's fields above fill in the rest). */
	struct pnm_kvm_info stat;
};

#define kvm_of(mn_)	((struct pnm_kvm *)((char *)(mn_) - offsetof(struct pnm_kvm, mn)))

/* Drop the entry @e (mmu_lock held): its reference goes. */
static void spte_zap(struct pnm_kvm *kvm, struct kvm_spte *e)
{
	if (!e->page)
		return;
	kvm->stat.mapped--;
	if (e->writable)
		kvm->stat.writable--;
	put_page(e->page);
	e->page = NULL;
	e->writable = false;
}

/* The slot holding @gfn, or NULL.  mmu_lock held. */
static struct kvm_memslot *gfn_to_memslot(struct pnm_kvm *kvm, unsigned long gfn)
{
	for (unsigned int i = 0; i < PNM_KVM_MAX_MEMSLOTS; i++) {
		struct kvm_memslot *s = &kvm->slots[i];

		if (s->npages && gfn >= s->base_gfn && gfn - s->base_gfn < s->npages)
			return s;
	}
	return NULL;
}

/* Drop every entry of @s whose user address lies in [start, end).
 * mmu_lock held.  Returns the number dropped. */
static unsigned long zap_hva_range(struct pnm_kvm *kvm, struct kvm_memslot *s,
				   unsigned long start, unsigned long end)
{
	unsigned long slot_end = s->hva + s->npages * PNM_PAGE_SIZE, n = 0, i, last;

	if (!s->npages || end <= s->hva || start >= slot_end)
		return 0;
	i = start > s->hva ? (start - s->hva) / PNM_PAGE_SIZE : 0;
	last = end < slot_end ? (end - s->hva + PNM_PAGE_SIZE - 1) / PNM_PAGE_SIZE : s->npages;
	for (; i < last; i++) {
		if (s->sptes[i].page) {
			spte_zap(kvm, &s->sptes[i]);
			n++;
		}
	}
	return n;
}

/* --- the MMU notifier ------------------------------------------------------ */

static int kvm_mmu_notifier_invalidate_range_start(struct mmu_notifier *mn,
						   const struct mmu_notifier_range *range)
{
	struct pnm_kvm *kvm = kvm_of(mn);

	pthread_mutex_lock(&kvm->mmu_lock);
	kvm->mmu_invalidate_in_progress++;
	kvm->stat.invalidations++;
	for (unsigned int i = 0; i < PNM_KVM_MAX_MEMSLOTS; i++)
		kvm->stat.zapped += zap_hva_range(kvm, &kvm->slots[i], range->start, range->end);
	pthread_mutex_unlock(&kvm->mmu_lock);
	return 0;
}

static void kvm_mmu_notifier_invalidate_range_end(struct mmu_notifier *mn,
						  const struct mmu_notifier_range *range)
{
	struct pnm_kvm *kvm = kvm_of(mn);

	(void)range;
	pthread_mutex_lock(&kvm->mmu_lock);
	/* A fault that sampled the old sequence retries (KVM's order:
	 * the sequence first, then the in-progress count). */
	kvm->mmu_invalidate_seq++;
	kvm->mmu_invalidate_in_progress--;
	pthread_mutex_unlock(&kvm->mmu_lock);
}

/* The address space is going: the VM loses its memory. */
static void kvm_mmu_notifier_release(struct mmu_notifier *mn, struct mm_struct *mm)
{
	struct pnm_kvm *kvm = kvm_of(mn);

	(void)mm;
	pthread_mutex_lock(&kvm->mmu_lock);
	kvm->released = true;
	for (unsigned int i = 0; i < PNM_KVM_MAX_MEMSLOTS; i++)
		zap_hva_range(kvm, &kvm->slots[i], 0, ~0UL);
	pthread_mutex_unlock(&kvm->mmu_lock);
}

static const struct mmu_notifier_ops kvm_mmu_notifier_ops = {
	.release = kvm_mmu_notifier_release,
	.invalidate_range_start = kvm_mmu_notifier_invalidate_range_start,
	.invalidate_range_end = kvm_mmu_notifier_invalidate_range_end,
};

/* --- the VM ----------------------------------------------------------------- */

/* pnm_kvm_create - pinmm/kvm.h. */
int pnm_kvm_create(struct task_struct *task, struct pnm_kvm **kvmp)
{
	struct pnm_kvm *kvm;
	struct mm_struct *mm;
	int err;

	if (!task || !kvmp)
		return -EINVAL;
	kvm = calloc(1, sizeof(*kvm));
	if (!kvm)
		return -ENOMEM;
	mm = get_task_mm(task);
	if (!mm) {
		free(kvm);
		return -ESRCH;
	}
	pthread_mutex_init(&kvm->mmu_lock, NULL);
	kvm->mn.ops = &kvm_mmu_notifier_ops;
	err = mmu_notifier_register(&kvm->mn, mm);
	mmput(mm);		/* the subscription keeps the struct */
	if (err) {
		pthread_mutex_destroy(&kvm->mmu_lock);
		free(kvm);
		return err == -EINVAL ? -ESRCH : err;
	}
	kvm->mm = mm;
	pnm_task_get(task);
	kvm->task = task;
	*kvmp = kvm;
	return 0;
}

/* pnm_kvm_destroy - pinmm/kvm.h.  Unregistering runs the release (every
 * entry dropped) if the process is still alive. */
void pnm_kvm_destroy(struct pnm_kvm *kvm)
{
	if (!kvm)
		return;
	mmu_notifier_unregister(&kvm->mn, kvm->mm);
	for (unsigned int i = 0; i < PNM_KVM_MAX_MEMSLOTS; i++) {
		zap_hva_range(kvm, &kvm->slots[i], 0, ~0UL);	/* none left */
		free(kvm->slots[i].sptes);
	}
	pthread_mutex_destroy(&kvm->mmu_lock);
	pnm_task_put(kvm->task);
	free(kvm);
}

/* pnm_kvm_set_memslot - pinmm/kvm.h. */
int pnm_kvm_set_memslot(struct pnm_kvm *kvm, unsigned int slot, unsigned long gfn,
			unsigned long npages, unsigned long hva, unsigned int flags)
{
	struct kvm_spte *sptes = NULL, *old;
	struct kvm_memslot *s;

	if (!kvm || slot >= PNM_KVM_MAX_MEMSLOTS || (hva & (PNM_PAGE_SIZE - 1)) ||
	    npages > PNM_KVM_MAX_SLOT_PAGES || (flags & ~PNM_KVM_MEM_READONLY) ||
	    gfn + npages < gfn || hva + npages * PNM_PAGE_SIZE < hva)
		return -EINVAL;
	if (npages) {
		sptes = calloc(npages, sizeof(*sptes));
		if (!sptes)
			return -ENOMEM;
	}
	pthread_mutex_lock(&kvm->mmu_lock);
	for (unsigned int i = 0; i < PNM_KVM_MAX_MEMSLOTS && npages; i++) {
		struct kvm_memslot *o = &kvm->slots[i];

		if (i != slot && o->npages && gfn < o->base_gfn + o->npages &&
		    o->base_gfn < gfn + npages) {
			pthread_mutex_unlock(&kvm->mmu_lock);
			free(sptes);
			return -EEXIST;
		}
	}
	s = &kvm->slots[slot];
	zap_hva_range(kvm, s, 0, ~0UL);
	old = s->sptes;
	s->base_gfn = gfn;
	s->npages = npages;
	s->hva = hva;
	s->flags = flags;
	s->sptes = sptes;
	/* Faults that looked at the old slots retry. */
	kvm->slots_gen++;
	pthread_mutex_unlock(&kvm->mmu_lock);
	free(old);
	return 0;
}

/* get_user_pages of the page at @hva, as KVM's hva_to_pfn(): the lockless
 * walk first, then the slow path; as the VM's process. */
static long kvm_get_page(struct pnm_kvm *kvm, unsigned long hva, bool write,
			 struct page **pagep)
{
	unsigned int flags = write ? FOLL_WRITE : 0;
	struct task_struct *prev = pnm_task_enter(kvm->task);
	long n;

	n = get_user_pages_fast_only(hva, 1, flags, pagep);
	if (n != 1)
		n = get_user_pages_unlocked(hva, 1, pagep, flags);
	pnm_task_leave(prev);
	if (n == 1)
		return 0;
	return n == -ENOMEM ? -ENOMEM : -EFAULT;
}

/* pnm_kvm_map_gfn - pinmm/kvm.h; the protocol is in the file comment. */
int pnm_kvm_map_gfn(struct pnm_kvm *kvm, unsigned long gfn, bool write)
{
	for (int tries = 0; tries < KVM_MAX_RETRIES; tries++) {
		unsigned long hva, seq, gen;
		struct kvm_memslot *s;
		struct kvm_spte *e;
		struct page *page, *old;
		long err;

		pthread_mutex_lock(&kvm->mmu_lock);
		if (kvm->released) {
			pthread_mutex_unlock(&kvm->mmu_lock);
			return -ESRCH;
		}
		s = gfn_to_memslot(kvm, gfn);
		if (!s || (write && (s->flags & PNM_KVM_MEM_READONLY))) {
			pthread_mutex_unlock(&kvm->mmu_lock);
			return s ? -EACCES : -EFAULT;
		}
		hva = s->hva + (gfn - s->base_gfn) * PNM_PAGE_SIZE;
		seq = kvm->mmu_invalidate_seq;
		gen = kvm->slots_gen;
		pthread_mutex_unlock(&kvm->mmu_lock);

		err = kvm_get_page(kvm, hva, write, &page);
		if (err) {
			bool released;

			pthread_mutex_lock(&kvm->mmu_lock);
			released = kvm->released;
			pthread_mutex_unlock(&kvm->mmu_lock);
			return released ? -ESRCH : (int)err;
		}

		pthread_mutex_lock(&kvm->mmu_lock);
		if (kvm->released) {
			pthread_mutex_unlock(&kvm->mmu_lock);
			put_page(page);
			return -ESRCH;
		}
		if (kvm->mmu_invalidate_in_progress || seq != kvm->mmu_invalidate_seq ||
		    gen != kvm->slots_gen) {
			/* The process's tables changed (or are changing) under
			 * the GUP: the page may be stale.  Again. */
			kvm->stat.retries++;
			pthread_mutex_unlock(&kvm->mmu_lock);
			put_page(page);
			sched_yield();
			continue;
		}
		e = &s->sptes[gfn - s->base_gfn];
		old = e->page;
		if (old) {
			kvm->stat.mapped--;
			if (e->writable)
				kvm->stat.writable--;
		}
		e->page = page;		/* the GUP reference is the entry's */
		e->writable = write;
		kvm->stat.mapped++;
		if (write)
			kvm->stat.writable++;
		kvm->stat.faults++;
		pthread_mutex_unlock(&kvm->mmu_lock);
		if (old)
			put_page(old);
		return 0;
	}
	return -EAGAIN;
}

/* A guest load or store within one page, through the shadow entry. */
static int kvm_access_page(struct pnm_kvm *kvm, unsigned long gpa, void *buf, size_t n,
			   bool write)
{
	unsigned long gfn = gpa / PNM_PAGE_SIZE, off = gpa % PNM_PAGE_SIZE;

	for (int tries = 0; tries < KVM_MAX_RETRIES; tries++) {
		struct kvm_memslot *s;
		struct kvm_spte *e;
		int err;

		pthread_mutex_lock(&kvm->mmu_lock);
		s = gfn_to_memslot(kvm, gfn);
		e = s ? &s->sptes[gfn - s->base_gfn] : NULL;
		if (e && e->page && (!write || e->writable)) {
			char *p = (char *)page_address(e->page) + off;

			if (write)
				memcpy(p, buf, n);
			else
				memcpy(buf, p, n);
			pthread_mutex_unlock(&kvm->mmu_lock);
			return 0;
		}
		pthread_mutex_unlock(&kvm->mmu_lock);
		err = pnm_kvm_map_gfn(kvm, gfn, write);
		if (err)
			return err;
	}
	return -EAGAIN;
}

static int kvm_access(struct pnm_kvm *kvm, unsigned long gpa, void *buf, size_t len,
		      bool write)
{
	if (!kvm || (len && !buf))
		return -EINVAL;
	while (len) {
		size_t n = PNM_PAGE_SIZE - gpa % PNM_PAGE_SIZE;
		int err;

		if (n > len)
			n = len;
		err = kvm_access_page(kvm, gpa, buf, n, write);
		if (err)
			return err;
		gpa += n;
		buf = (char *)buf + n;
		len -= n;
	}
	return 0;
}

/* pnm_kvm_guest_write / pnm_kvm_guest_read - pinmm/kvm.h. */
int pnm_kvm_guest_write(struct pnm_kvm *kvm, unsigned long gpa, const void *buf, size_t len)
{
	return kvm_access(kvm, gpa, (void *)(uintptr_t)buf, len, true);
}

int pnm_kvm_guest_read(struct pnm_kvm *kvm, unsigned long gpa, void *buf, size_t len)
{
	return kvm_access(kvm, gpa, buf, len, false);
}

/* pnm_kvm_lookup - pinmm/kvm.h. */
int pnm_kvm_lookup(struct pnm_kvm *kvm, unsigned long gfn, unsigned long *pfn, bool *writable)
{
	struct kvm_memslot *s;
	struct kvm_spte *e;
	int ret = -ENOENT;

	if (!kvm)
		return -EINVAL;
	pthread_mutex_lock(&kvm->mmu_lock);
	s = gfn_to_memslot(kvm, gfn);
	e = s ? &s->sptes[gfn - s->base_gfn] : NULL;
	if (e && e->page) {
		if (pfn)
			*pfn = page_to_pfn(e->page);
		if (writable)
			*writable = e->writable;
		ret = 0;
	}
	pthread_mutex_unlock(&kvm->mmu_lock);
	return ret;
}

/* pnm_kvm_get_info - pinmm/kvm.h. */
int pnm_kvm_get_info(struct pnm_kvm *kvm, struct pnm_kvm_info *info)
{
	struct pnm_kvm_info ki;
	size_t size;

	if (!kvm || !info || info->size < offsetof(struct pnm_kvm_info, released) + sizeof(bool))
		return -EINVAL;
	size = info->size < sizeof(ki) ? info->size : sizeof(ki);
	pthread_mutex_lock(&kvm->mmu_lock);
	ki = kvm->stat;
	ki.in_progress = kvm->mmu_invalidate_in_progress;
	ki.seq = kvm->mmu_invalidate_seq;
	ki.released = kvm->released;
	pthread_mutex_unlock(&kvm->mmu_lock);
	ki.size = size;
	memcpy(info, &ki, size);
	return 0;
}

/* --- the checker -------------------------------------------------------------- */

struct kvm_snap {
	unsigned long gfn, hva, pfn;
	bool writable;
	unsigned long head;		/* the folio's first frame */
	int refcount;			/* the folio's */
};

static int snap_cmp(const void *a, const void *b)
{
	const struct kvm_snap *x = a, *y = b;

	return x->head < y->head ? -1 : x->head > y->head;
}

/* pnm_kvm_check - pinmm/kvm.h.  The entries are copied under mmu_lock and
 * compared with the process's tables after it is dropped (pnm_translate
 * takes mmap_lock, which ranks above mmu_lock). */
int pnm_kvm_check(struct pnm_kvm *kvm, char *why, size_t size)
{
	struct kvm_snap *snap = NULL;
	unsigned long n = 0, cap = 0, writable = 0, mapped, nwritable, in_progress;
	bool released;
	int ret = 0;

#define KVM_BAD(...)	do { if (size) snprintf(why, size, __VA_ARGS__); ret = -EIO; goto out; } while (0)
	if (!kvm)
		return -EINVAL;
	pthread_mutex_lock(&kvm->mmu_lock);
	cap = kvm->stat.mapped;	/* more entries than that is reported below */
	snap = cap ? calloc(cap, sizeof(*snap)) : NULL;
	if (cap && !snap) {
		pthread_mutex_unlock(&kvm->mmu_lock);
		KVM_BAD("out of memory");
	}
	for (unsigned int i = 0; i < PNM_KVM_MAX_MEMSLOTS; i++) {
		struct kvm_memslot *s = &kvm->slots[i];

		for (unsigned long j = 0; j < s->npages; j++) {
			struct kvm_spte *e = &s->sptes[j];

			if (!e->page)
				continue;
			if (n < cap)
				snap[n] = (struct kvm_snap){ .gfn = s->base_gfn + j,
							     .hva = s->hva + j * PNM_PAGE_SIZE,
							     .pfn = page_to_pfn(e->page),
							     .writable = e->writable };
			n++;
			writable += e->writable;
			if (e->writable && (s->flags & PNM_KVM_MEM_READONLY)) {
				pthread_mutex_unlock(&kvm->mmu_lock);
				KVM_BAD("gfn %#lx: writable in a read-only slot", s->base_gfn + j);
			}
		}
	}
	mapped = kvm->stat.mapped;
	nwritable = kvm->stat.writable;
	in_progress = kvm->mmu_invalidate_in_progress;
	released = kvm->released;
	pthread_mutex_unlock(&kvm->mmu_lock);

	if (n != mapped || writable != nwritable)
		KVM_BAD("%lu entries (%lu writable), counted %lu (%lu)", n, writable, mapped,
			nwritable);
	if (in_progress)
		KVM_BAD("%lu invalidations in progress in a quiet model", in_progress);
	if (released && n)
		KVM_BAD("%lu entries after the address space went", n);
	for (unsigned long i = 0; i < n; i++) {
		struct pnm_page_info pi = { .size = sizeof(pi) };
		unsigned long pfn;
		bool w;
		int err = pnm_translate(kvm->task, snap[i].hva, &pfn, &w);

		if (err)
			KVM_BAD("gfn %#lx: shadow maps pfn %#lx, the process maps nothing at %#lx "
				"(%s)", snap[i].gfn, snap[i].pfn, snap[i].hva, pnm_strerror(err));
		if (pfn != snap[i].pfn)
			KVM_BAD("gfn %#lx: shadow maps pfn %#lx, the process maps %#lx at %#lx",
				snap[i].gfn, snap[i].pfn, pfn, snap[i].hva);
		if (snap[i].writable && !w)
			KVM_BAD("gfn %#lx: shadow writable, the process's entry at %#lx is not",
				snap[i].gfn, snap[i].hva);
		if (pnm_pfn_info(pfn, &pi) || pi.kind == PNM_FRAME_FREE)
			KVM_BAD("gfn %#lx: pfn %#lx is not in use", snap[i].gfn, pfn);
		snap[i].head = pi.head_pfn;
		snap[i].refcount = pi.refcount;
	}
	/* Each entry holds a reference: its folio has at least as many. */
	if (n > 1)
		qsort(snap, n, sizeof(*snap), snap_cmp);
	for (unsigned long i = 0, j; i < n; i = j) {
		unsigned long refs = 0;

		for (j = i; j < n && snap[j].head == snap[i].head; j++)
			refs++;
		if ((unsigned long)snap[i].refcount < refs)
			KVM_BAD("folio %#lx: %lu shadow entries, refcount %d", snap[i].head, refs,
				snap[i].refcount);
	}
out:
	free(snap);
	return ret;
#undef KVM_BAD
}
