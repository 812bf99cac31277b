// SPDX-License-Identifier: MIT
/*
 * mremap.c - mremap(2): shrinking, growing and moving a mapping (Linux's
 * mm/mremap.c).
 *
 * pnm_mm_mremap() takes the decisions in Linux's order:
 *
 *   - the arguments alone (check_mremap_params): known flags, an aligned
 *     old address, a non-zero new length, MREMAP_FIXED and
 *     MREMAP_DONTUNMAP only with MREMAP_MAYMOVE, DONTUNMAP only without
 *     resizing, an aligned target that does not overlap the old range;
 *   - the mapping at the old address (check_prep_vma): none is -EFAULT;
 *     a range reaching past the end of that VMA is -EFAULT (a shrink may
 *     cross VMAs: it only unmaps the tail); "duplicating" a private mapping
 *     with old_len 0 is -EINVAL; growing a VM_DONTEXPAND / VM_PFNMAP area
 *     is -EFAULT and DONTUNMAP of one -EINVAL;
 *   - without a new address (mremap_at): a shrink unmaps the tail; the
 *     same size does nothing; a growth extends the VMA in place when it
 *     ends right at the old range and the pages after it are free, else
 *     moves it (MREMAP_MAYMOVE) to a range the address search picks, else
 *     fails with -ENOMEM;
 *   - with MREMAP_FIXED (exactly there, unmapping what was mapped first)
 *     or MREMAP_DONTUNMAP (the new address is a hint) it always moves
 *     (mremap_to).
 *
 * A move (move_vma) makes a new VMA over the new range with the old one's
 * flags, file and offset (so an anonymous VMA keeps the vm_pgoff of its
 * origin and its folios' indexes stay right), linked to every anon_vma
 * the old one is linked to and in the file's i_mmap, and then moves the
 * page-table entries of the old range into it: the folios do not move,
 * nothing about them changes -- references, mapcounts, anon-exclusive
 * bits, pins, dirty bits, the reverse map (the same anon_vma or file, the
 * same index, now found at the new address).  A pinned page therefore
 * stays pinned and mapped: a device writing through its pin is seen at
 * the new address.  Then the old range is unmapped -- empty by now -- and
 * its tables freed; with MREMAP_DONTUNMAP it stays mapped, empty (a
 * private anonymous area faults in zeroes there, a file mapping the
 * file's pages), and loses VM_LOCKED.  A growing VM_LOCKED mapping is
 * populated afterwards.
 *
 * Moving the entries (move_page_tables) works a PMD's span at a time,
 * limited by the PMD boundaries of both ranges (get_extent):
 *   - a whole, aligned 2 MiB whose target PMD entry is empty moves by its
 *     PMD entry: a huge PMD (THP, huge zero page, PMD migration entry)
 *     with its deposited table (move_huge_pmd, huge_memory.c), or a PTE
 *     table as a whole (move_normal_pmd);
 *   - otherwise a huge PMD is split first (the THP becomes PTE-mapped)
 *     and the PTEs move one by one (move_ptes), migration entries too.
 * The work has two passes.  The first (prepare_page_tables) allocates
 * every table the target needs and splits the PMDs that cannot move
 * whole, with only mmap_lock held (a split may wait for a migration);
 * its -ENOMEM leaves the old mapping in place.  The second cannot fail:
 * it runs inside one MMU_NOTIFY_UNMAP notification of the old range and
 * holds the VMA's reverse-map locks for write throughout, so no
 * reverse-map walker (migration, split, writeback, truncate, reclaim, the
 * checkers) is inside the old or the new VMA while an entry moves: a
 * walker sees every entry at exactly one of the two places, which
 * remove_migration_ptes() in particular relies on.  Linux takes the
 * reverse-map locks only when it must (need_rmap_locks); the model always
 * does.
 *
 * Locking: mmap_lock for write (downgraded to read to populate), then the
 * reverse-map locks of the VMA (vma_rmap_lock: i_mmap_rwsem, then the
 * anon_vma root rwsem), then one page-table lock at a time.  Linux nests
 * the target's lock inside the source's; the model never holds two: an
 * entry is cleared under the source's lock and set under the target's,
 * and in between it is in neither place -- which only the lockless GUP
 * walk can see, and it takes that as "not mapped" and falls back to the
 * slow path, which waits for mmap_lock.  The clear is a seq_cst exchange,
 * as for every unmapping, so a gup-fast that grabbed the folio through
 * the old entry finds the entry gone when it re-reads it (gup_fast.c).
 *
 * Errors change nothing, with two exceptions that are Linux's too: once
 * MREMAP_FIXED has unmapped the target, a later -ENOMEM (no frame for a
 * page table, no host memory for the VMA) leaves the target unmapped; and
 * if the old range cannot be unmapped after the move (a split of a VMA at
 * its edge had no host memory) it stays mapped, empty, and the call still
 * returns the new address.
 *
 * A hugetlb mapping (Linux >= 5.16) moves and shrinks but never grows:
 * its lengths are rounded up to its huge page size, its old and new
 * addresses must be aligned to it (align_hugetlb, -EINVAL otherwise), and
 * MREMAP_DONTUNMAP is refused (its VMA is VM_DONTEXPAND).  A move splits
 * the old VMA at the edges of the moved range (and of a shrink's tail),
 * moves the PMD or PUD leaves one by one (move_hugetlb_page_tables in
 * hugetlb_fault.c: the folios, their pins and their reverse map are
 * untouched), and hands a private mapping's reservations of the moved
 * offsets to the new VMA: the old part gives up its reference on the
 * reservation map before it is unmapped, so nothing goes back to the
 * pool and nothing is counted twice.  The parts of the old VMA that stay
 * keep their own reservations (Linux drops the owner mark of the whole
 * old VMA; the model keeps the pool's reservation count exact).
 *
 * Not modelled: the move of several VMAs at
 * once (Linux >= 6.17 with MREMAP_FIXED and an unchanged size; here a
 * range crossing VMAs is -EFAULT as before), RLIMIT_AS / RLIMIT_MEMLOCK,
 * VM_ACCOUNT, userfaultfd, vm_ops->mremap.
 */
#include "internal.h"

#ifndef PAGE_ALIGN
#define PAGE_ALIGN(x)	ALIGN((x), PAGE_SIZE)
#endif
/* <sys/mman.h> has them only with _GNU_SOURCE; pinmm/mman.h has Linux's
 * values under the library's names. */
#ifndef MREMAP_MAYMOVE
#define MREMAP_MAYMOVE		PNM_MREMAP_MAYMOVE
#endif
#ifndef MREMAP_FIXED
#define MREMAP_FIXED		PNM_MREMAP_FIXED
#endif
#ifndef MREMAP_DONTUNMAP
#define MREMAP_DONTUNMAP	PNM_MREMAP_DONTUNMAP
#endif
BUILD_BUG_ON(MREMAP_MAYMOVE != 1 || MREMAP_FIXED != 2 || MREMAP_DONTUNMAP != 4);
#define MREMAP_KNOWN		(MREMAP_MAYMOVE | MREMAP_FIXED | MREMAP_DONTUNMAP)

/* What the call has to do (Linux's enum mremap_type). */
enum mremap_type {
	MREMAP_NO_RESIZE,	/* same size */
	MREMAP_SHRINK,
	MREMAP_EXPAND,
};

/* One call's arguments and decisions (Linux's struct vma_remap_struct). */
struct vma_remap {
	struct mm_struct *mm;
	unsigned long addr;		/* old address */
	unsigned long old_len;		/* page aligned */
	unsigned long new_len;		/* page aligned, non-zero */
	unsigned long flags;		/* MREMAP_* */
	unsigned long new_addr;		/* the target; the hint; or addr */
	struct vm_area_struct *vma;	/* the VMA at addr */
	enum mremap_type type;
	unsigned long delta;		/* |new_len - old_len| */
	bool populate;			/* a VM_LOCKED mapping grows */
};

/* MREMAP_FIXED and MREMAP_DONTUNMAP always move (to or near new_addr). */
static bool vrm_implies_new_addr(const struct vma_remap *vrm)
{
	return vrm->flags & (MREMAP_FIXED | MREMAP_DONTUNMAP);
}


/* --- moving the entries ---------------------------------------------------- */

/*
 * The bytes from @old (moving to @new) up to the next PMD boundary of
 * either range, or to @end (Linux's get_extent()): what one PMD entry of
 * each side covers.
 */
static unsigned long get_extent(unsigned long old, unsigned long new, unsigned long end)
{
	unsigned long extent = PMD_SIZE - (old & ~PMD_MASK);

	extent = min_t(unsigned long, extent, PMD_SIZE - (new & ~PMD_MASK));
	return min_t(unsigned long, extent, end - old);
}

/* With no PMD table at @old: the bytes to the next PUD boundary (or @end),
 * none of which maps anything. */
static unsigned long skip_to_pud_end(unsigned long old, unsigned long end)
{
	return min_t(unsigned long, ALIGN_DOWN(old, PUD_SIZE) + PUD_SIZE, end) - old;
}

/* Linux's move_soft_dirty_pte(): a moved entry is new to its address, as
 * a write would have made it, for whoever tracks soft-dirty bits. */
static pte_t move_soft_dirty_pte(pte_t pte)
{
	if (pte_present(pte))
		return __pte(pte_val(pte) | _PAGE_SOFT_DIRTY);
	return __pte(pte_val(pte) | _PAGE_SWP_SOFT_DIRTY);
}

/*
 * Pass 1: make the target ready for the entries of [old_addr, old_addr +
 * len) of @vma.  For each extent with something under its source PMD: the
 * target's PMD table; if the extent cannot move by its PMD entry (not a
 * whole aligned 2 MiB, or the target PMD is not empty), the source's huge
 * PMD is split (waiting out a migration first) and the target gets a PTE
 * table.  Returns 0 or -ENOMEM (the tables allocated so far stay, empty;
 * the splits stay).  Caller holds mmap_lock for write and no other lock.
 */
static int prepare_page_tables(struct vm_area_struct *vma, unsigned long old_addr,
			       unsigned long new_addr, unsigned long len)
{
	struct mm_struct *mm = vma->vm_mm;
	unsigned long old = old_addr, new = new_addr, end = old_addr + len, extent;

	mmap_assert_write_locked(mm);
	for (; old < end; old += extent, new += extent) {
		pmd_t *old_pmd = pnm_pmd_lookup(mm, old), *new_pmd;
		pmd_t val;
		int err;

		if (!old_pmd) {
			extent = skip_to_pud_end(old, end);
			continue;
		}
		extent = get_extent(old, new, end);
		val = pmdp_get(old_pmd);
		if (pmd_none(val))
			continue;
		new_pmd = pnm_pmd_alloc(mm, new);
		if (!new_pmd)
			return -ENOMEM;
		if (extent == PMD_SIZE && pmd_none(pmdp_get(new_pmd)))
			continue;	/* moves by its PMD entry */
		if (pmd_trans_huge(val) || is_swap_pmd(val)) {
			__split_huge_pmd(vma, old_pmd, old);
			val = pmdp_get(old_pmd);
		}
		if (!pmd_is_table(val))
			continue;
		err = __pte_alloc(mm, new_pmd);
		/* The target was free: nothing huge can be there. */
		VM_BUG_ON(err == -EEXIST);
		if (err)
			return err;
	}
	return 0;
}

/*
 * Move the PTE table under *@old_pmd, whole, to the empty *@new_pmd (Linux's
 * move_normal_pmd()): its entries, lock and accounting go with it.  Returns
 * false if *@old_pmd is not a PTE table.  The extent is a whole 2 MiB of
 * the source range, so no other VMA has entries in the table.  The two PMD
 * locks are taken one after the other (the file comment says why that is
 * enough); the clear is a seq_cst exchange: a gup-fast walk that went
 * through the old entry finds it changed when it re-reads the PMD after
 * its grab, and backs out.
 */
static bool move_normal_pmd(struct mm_struct *mm, unsigned long old_addr,
			    unsigned long new_addr, pmd_t *old_pmd, pmd_t *new_pmd)
{
	spinlock_t *ptl = pmd_lock(mm, old_pmd);
	pmd_t val = pmdp_get(old_pmd);

	if (!pmd_is_table(val)) {
		spin_unlock(ptl);
		return false;
	}
	val = pmdp_huge_get_and_clear(mm, old_addr, old_pmd);
	spin_unlock(ptl);

	ptl = pmd_lock(mm, new_pmd);
	VM_BUG_ON(!pmd_none(pmdp_get(new_pmd)));
	/* Release store: pairs with the lockless walk's acquire of the PMD. */
	set_pmd_at(mm, new_addr, new_pmd, val);
	spin_unlock(ptl);
	return true;
}

/*
 * Move the PTEs of [old_addr, old_addr + extent) (inside one PTE table) to
 * [new_addr, ...) (inside one PTE table, allocated by pass 1): present
 * entries, the zero page's and migration entries alike, made soft-dirty.
 * Each is cleared under the source table's ptl and set under the target's,
 * never both held.  Returns the number moved.
 */
static unsigned long move_ptes(struct mm_struct *mm, pmd_t *old_pmd, unsigned long old_addr,
			       pmd_t *new_pmd, unsigned long new_addr, unsigned long extent)
{
	unsigned long nr = extent >> PAGE_SHIFT, i, moved = 0;
	pte_t entries[PTRS_PER_PTE];
	spinlock_t *ptl;
	pte_t *pte;

	pte = pte_offset_map_lock(mm, old_pmd, old_addr, &ptl);
	VM_BUG_ON(!pte);	/* pass 1 left a table; mmap_lock keeps it */
	for (i = 0; i < nr; i++) {
		entries[i] = ptep_get(pte + i);
		if (pte_none(entries[i]))
			continue;
		/* seq_cst exchange: pairs with gup-fast's grab-then-recheck. */
		entries[i] = move_soft_dirty_pte(ptep_get_and_clear(mm, old_addr + (i << PAGE_SHIFT),
								    pte + i));
		moved++;
	}
	pte_unmap_unlock(pte, ptl);
	if (!moved)
		return 0;

	pte = pte_offset_map_lock(mm, new_pmd, new_addr, &ptl);
	VM_BUG_ON(!pte);
	for (i = 0; i < nr; i++) {
		if (pte_none(entries[i]))
			continue;
		VM_BUG_ON(!pte_none(ptep_get(pte + i)));
		/* Release store: pairs with ptep_get_lockless() of a walker. */
		set_pte_at(mm, new_addr + (i << PAGE_SHIFT), pte + i, entries[i]);
	}
	pte_unmap_unlock(pte, ptl);
	return moved;
}

/*
 * Pass 2: move every entry of [old_addr, old_addr + len) of @vma to the
 * same offsets from @new_addr (the new VMA's range, linked into the
 * reverse map already).  Cannot fail: pass 1 made every table.  One
 * MMU_NOTIFY_UNMAP notification covers the old range; the reverse-map
 * locks of @vma (also the new VMA's: same file, same anon_vma family) are
 * held for write throughout.  Caller holds mmap_lock for write.
 */
static void move_page_tables(struct vm_area_struct *vma, unsigned long old_addr,
			     unsigned long new_addr, unsigned long len)
{
	struct mm_struct *mm = vma->vm_mm;
	unsigned long old = old_addr, new = new_addr, end = old_addr + len, extent;
	unsigned long ptes = 0, pmds = 0, tables = 0;
	struct mmu_notifier_range range;

	mmap_assert_write_locked(mm);
	if (!len)
		return;
	mmu_notifier_range_init(&range, MMU_NOTIFY_UNMAP, mm, old_addr, end);
	mmu_notifier_invalidate_range_start(&range);
	vma_rmap_lock(vma);
	for (; old < end; old += extent, new += extent) {
		pmd_t *old_pmd = pnm_pmd_lookup(mm, old), *new_pmd;

		if (!old_pmd) {
			extent = skip_to_pud_end(old, end);
			continue;
		}
		extent = get_extent(old, new, end);
		if (pmd_none(pmdp_get(old_pmd)))
			continue;
		new_pmd = pnm_pmd_lookup(mm, new);
		VM_BUG_ON(!new_pmd);	/* pass 1 allocated it */
		if (extent == PMD_SIZE && pmd_none(pmdp_get(new_pmd))) {
			if (move_huge_pmd(vma, old, new, old_pmd, new_pmd))
				pmds++;
			else if (move_normal_pmd(mm, old, new, old_pmd, new_pmd))
				tables++;
			continue;
		}
		ptes += move_ptes(mm, old_pmd, old, new_pmd, new, extent);
	}
	vma_rmap_unlock(vma);
	mmu_notifier_invalidate_range_end(&range);
	count_vm_events(PNM_MREMAP_PTE, (long)ptes);
	count_vm_events(PNM_MREMAP_PMD, (long)pmds);
	count_vm_events(PNM_MREMAP_PTE_TABLE, (long)tables);
}

/*
 * Free the page tables pass 1 allocated for [start, start + len), a range
 * no VMA covers, after a failure: those of them that map nothing and lie
 * between the neighbouring VMAs.  mmap_lock held for write.
 */
static void free_target_tables(struct mm_struct *mm, unsigned long start, unsigned long len)
{
	struct vm_area_struct *next = find_vma(mm, start), *prev;
	struct pnm_vma_set *set = &mm->mm_vmas;

	VM_BUG_ON(next && next->vm_start < start + len);
	prev = next ? vma_prev(next) : (set->nr ? set->vmas[set->nr - 1] : NULL);
	free_pgd_range(mm, start, start + len, prev ? prev->vm_end : 0,
		       next ? next->vm_start : 0);
}

/* --- moving the mapping ----------------------------------------------------- */

/*
 * MREMAP_DONTUNMAP's end (Linux's dontunmap_complete()): the old range
 * stays mapped, empty; its VMA loses VM_LOCKED (all of it, as in Linux);
 * if the moved range was the whole VMA its anon_vma links go (nothing in
 * it maps an anonymous page any more: a new fault starts afresh).
 */
static void dontunmap_complete(struct vm_area_struct *vma, unsigned long addr,
			       unsigned long len)
{
	WRITE_ONCE(vma->vm_flags, vma->vm_flags & ~VM_LOCKED);
	if (vma->vm_start == addr && vma->vm_end == addr + len)
		unlink_anon_vmas(vma);
}

/*
 * Split the hugetlb VMAs at @addr, @addr + @len and @addr + @old_len
 * (those inside the VMA at @addr), so that the range a move takes is one
 * VMA and a shrink's tail another.  0, or -ENOMEM (the splits made so far
 * stay: nothing visible).  mmap_lock held for write.
 */
static int hugetlb_split_source(struct mm_struct *mm, unsigned long addr,
				unsigned long len, unsigned long old_len)
{
	unsigned long cuts[3] = { addr, addr + len, addr + old_len };

	for (int i = 0; i < 3; i++) {
		struct vm_area_struct *vma = find_vma(mm, cuts[i]);
		int err;

		if (!vma || vma->vm_start >= cuts[i] || vma->vm_end <= cuts[i])
			continue;
		err = split_vma(vma, cuts[i], 1);
		if (err)
			return err;
	}
	return 0;
}

/*
 * Move the mapping [vrm->addr, + old_len) to [vrm->new_addr, + new_len)
 * (Linux's move_vma(); the new address is chosen, or fixed and checked).
 * For MREMAP_FIXED the target is unmapped first.  The first min(old_len,
 * new_len) bytes move (with a larger new_len the rest of the new VMA is
 * empty; with a smaller one, only MREMAP_FIXED, the old tail is unmapped
 * with the old range).  Returns the new address or -errno (the file
 * comment lists what an error may have changed).  mmap_lock held for
 * write.
 */
static long move_vma(struct vma_remap *vrm)
{
	struct mm_struct *mm = vrm->mm;
	struct vm_area_struct *vma = vrm->vma, *new;
	unsigned long addr = vrm->addr, new_addr = vrm->new_addr;
	unsigned long len = min_t(unsigned long, vrm->old_len, vrm->new_len);
	int err;

	/* Linux's margin: the unmaps may split VMAs. */
	if (mm->map_count >= DEFAULT_MAX_MAP_COUNT - 3)
		return -ENOMEM;
	/* Room for the new VMA even after the target's unmap split one. */
	err = vma_set_reserve(mm, 3);
	if (err)
		return err;
	new = vm_area_dup(vma);
	if (!new)
		return -ENOMEM;
	new->vm_pgoff = vma->vm_pgoff + ((addr - vma->vm_start) >> PAGE_SHIFT);
	new->vm_start = new_addr;
	new->vm_end = new_addr + vrm->new_len;

	if (vrm->flags & MREMAP_FIXED) {
		err = do_munmap(mm, new_addr, vrm->new_len);
		if (err)
			goto out_free_new;
		/* The unmap may have split the old VMA (the target lay in it). */
		vma = vma_lookup(mm, addr);
		VM_BUG_ON(!vma || vma->vm_end < addr + len);
	}
	if (is_vm_hugetlb_page(vma)) {
		/* The old range becomes VMAs of its own (the moved part, and a
		 * shrink's tail), so that the moved part's reservations can
		 * go to @new alone; a split changes nothing visible. */
		err = hugetlb_split_source(mm, addr, len, vrm->old_len);
		if (err)
			goto out_free_new;
		vma = vma_lookup(mm, addr);
		err = hugetlb_prepare_move(vma, addr, new_addr, len);
	} else {
		err = prepare_page_tables(vma, addr, new_addr, len);
	}
	if (err)
		goto out_free_tables;
	/* Links to the old VMA's anon_vmas (and its own), keyed by the new
	 * range: only now, with nothing of the target left to walk. */
	err = anon_vma_clone(new, vma);
	if (err)
		goto out_free_tables;
	err = vma_set_insert(mm, new);
	VM_BUG_ON(err);		/* room reserved above */
	vma_link_file(new);

	if (is_vm_hugetlb_page(vma)) {
		count_vm_events(PNM_MREMAP_PMD,
				(long)move_hugetlb_page_tables(vma, addr, new_addr, len));
		/* @new owns the moved offsets' reservations now. */
		clear_vma_resv_huge_pages(vma);
	} else {
		move_page_tables(vma, addr, new_addr, len);
	}

	if (vrm->flags & MREMAP_DONTUNMAP) {
		dontunmap_complete(vma, addr, len);
	} else if (vrm->old_len) {
		/* Empty now (and the tail of a shrink).  Failing a split here
		 * leaves it mapped and empty: Linux's behaviour on -ENOMEM. */
		(void)do_munmap(mm, addr, vrm->old_len);
	}
	vma_merge_neighbours(mm, new);
	count_vm_event(PNM_MREMAP_MOVE);
	return (long)new_addr;

out_free_tables:
	free_target_tables(mm, new_addr, vrm->new_len);
out_free_new:
	/* A private hugetlb copy shares the old VMA's reservations: its
	 * close must not give them back. */
	if (is_vm_hugetlb_page(new))
		clear_vma_resv_huge_pages(new);
	unlink_anon_vmas(new);
	remove_vma(new);
	return err;
}

/*
 * Choose where a move goes (Linux's vrm_set_new_addr()): the address search
 * of mmap with the mapping's file, its kind (shared or private), and the
 * caller's hint for MREMAP_DONTUNMAP (0 otherwise: a private anonymous
 * mapping whose length is a multiple of 2 MiB is then placed PMD aligned,
 * as mmap places it).  MREMAP_FIXED's address was checked already.
 */
static int vrm_set_new_addr(struct vma_remap *vrm)
{
	struct vm_area_struct *vma = vrm->vma;
	unsigned long type = (vma->vm_flags & VM_MAYSHARE) ? MAP_SHARED : MAP_PRIVATE;
	unsigned long hint = (vrm->flags & MREMAP_DONTUNMAP) ? vrm->new_addr : 0;
	long ret;

	ret = get_unmapped_area(vrm->mm, vma->vm_file, hint, vrm->new_len, type);
	if (ret < 0)
		return (int)ret;
	/* A free hint below mmap_min_addr is taken as it is; Linux's security
	 * check then refuses it (mmap rounds its hints up first). */
	if ((unsigned long)ret < MMAP_MIN_ADDR)
		return -EPERM;
	vrm->new_addr = (unsigned long)ret;
	return 0;
}

/*
 * MREMAP_FIXED / MREMAP_DONTUNMAP (Linux's mremap_to()): always a move.
 * The checks that Linux makes only after the target's unmap are made
 * before it, so that they fail with nothing changed.
 */
static long mremap_to(struct vma_remap *vrm)
{
	struct mm_struct *mm = vrm->mm;
	unsigned long new_addr = vrm->new_addr;
	long ret;

	/* Linux's margin for the worst case of splits (check_mremap_params). */
	if (mm->map_count + 2 >= DEFAULT_MAX_MAP_COUNT - 3)
		return -ENOMEM;
	if (vrm->flags & MREMAP_FIXED) {
		/* Below mmap_min_addr: -EPERM (MAP_FIXED's check). */
		ret = get_unmapped_area(mm, vrm->vma->vm_file, new_addr, vrm->new_len, MAP_FIXED);
		if (ret < 0)
			return ret;
		/* Unmapping the target would unmap the source (old_len 0). */
		if (vrm->addr >= new_addr && vrm->addr - new_addr < vrm->new_len)
			return -EFAULT;
	} else {
		ret = vrm_set_new_addr(vrm);
		if (ret)
			return ret;
	}
	return move_vma(vrm);
}

/*
 * Can @vma grow by @delta bytes in place (Linux's vma_expandable())?  The
 * pages after it must be free and inside user space.
 */
static bool vma_expandable(struct vm_area_struct *vma, unsigned long delta)
{
	unsigned long end = vma->vm_end + delta;

	if (end < vma->vm_end || end > vma->vm_mm->task_size)
		return false;
	return !find_vma_intersection(vma->vm_mm, vma->vm_end, end);
}

/* A growth without a new address (Linux's expand_vma()). */
static long expand_vma(struct vma_remap *vrm)
{
	struct vm_area_struct *vma = vrm->vma;
	int err;

	if (vma->vm_end - vrm->addr == vrm->old_len && vma_expandable(vma, vrm->delta)) {
		vma_expand_end(vma, vma->vm_end + vrm->delta);
		vma_merge_neighbours(vrm->mm, vma);
		count_vm_event(PNM_MREMAP_EXPAND);
		return (long)vrm->addr;
	}
	if (!(vrm->flags & MREMAP_MAYMOVE))
		return -ENOMEM;
	err = vrm_set_new_addr(vrm);
	if (err)
		return err;
	return move_vma(vrm);
}

/* Without a new address (Linux's mremap_at()). */
static long mremap_at(struct vma_remap *vrm)
{
	int err;

	switch (vrm->type) {
	case MREMAP_NO_RESIZE:
		return (long)vrm->addr;
	case MREMAP_SHRINK:
		/* May cross VMAs: only the tail goes. */
		err = do_munmap(vrm->mm, vrm->addr + vrm->new_len, vrm->delta);
		return err ? err : (long)vrm->addr;
	case MREMAP_EXPAND:
		return expand_vma(vrm);
	}
	return -EINVAL;
}

/*
 * A hugetlb mapping (Linux's align_hugetlb()): the lengths are rounded up
 * to its huge page size, the old address and the new one (as the caller
 * passed it, even when no flag uses it: Linux's check) must be aligned to
 * it, and it cannot grow (the reservation maps cannot follow a growth).
 * false for -EINVAL.
 */
static bool align_hugetlb(struct vma_remap *vrm)
{
	struct hstate *h = hstate_vma(vrm->vma);
	unsigned long sz = huge_page_size(h);

	if (vrm->old_len > -sz || vrm->new_len > -sz)
		return false;
	vrm->old_len = ALIGN(vrm->old_len, sz);
	vrm->new_len = ALIGN(vrm->new_len, sz);
	if ((vrm->addr | vrm->new_addr) & ~huge_page_mask(h))
		return false;
	return vrm->new_len <= vrm->old_len;
}

/*
 * The checks against the VMA at the old address (Linux's check_prep_vma()),
 * in Linux's order; also sets the type of the call.  mmap_lock held.
 */
static int check_prep_vma(struct vma_remap *vrm)
{
	struct vm_area_struct *vma = vrm->vma;
	unsigned long addr = vrm->addr, old_len, new_len;
	pgoff_t pgoff;

	if (!vma)
		return -EFAULT;
	if (is_vm_hugetlb_page(vma) && !align_hugetlb(vrm))
		return -EINVAL;
	old_len = vrm->old_len;
	new_len = vrm->new_len;
	vrm->delta = old_len > new_len ? old_len - new_len : new_len - old_len;
	vrm->type = !vrm->delta ? MREMAP_NO_RESIZE :
		    old_len > new_len ? MREMAP_SHRINK : MREMAP_EXPAND;
	if (!vrm_implies_new_addr(vrm))
		vrm->new_addr = addr;
	/* A shrink unmaps [addr + new_len, addr + old_len): munmap's check
	 * (Linux finds it there, after a MREMAP_FIXED target's unmap). */
	if (vrm->type == MREMAP_SHRINK && old_len > vrm->mm->task_size - addr)
		return -EINVAL;
	/* Below, only what maps something new: a growth or a move. */
	if (vrm->type != MREMAP_EXPAND && !vrm_implies_new_addr(vrm))
		return 0;
	/* old_len 0 "duplicates" a shared mapping; a private one has nothing
	 * to duplicate (Linux refuses it since 6.1). */
	if (!old_len && !(vma->vm_flags & (VM_SHARED | VM_MAYSHARE)))
		return -EINVAL;
	if ((vrm->flags & MREMAP_DONTUNMAP) && (vma->vm_flags & (VM_DONTEXPAND | VM_PFNMAP)))
		return -EINVAL;
	/* The moved (or grown) range must lie in this VMA; a shrink's tail
	 * may cross into others. */
	if (vrm->type == MREMAP_SHRINK)
		old_len = new_len;
	if (old_len > vma->vm_end - addr)
		return -EFAULT;
	if (new_len == old_len)
		return 0;
	if (vma->vm_flags & VM_LOCKED)
		vrm->populate = true;
	pgoff = vma->vm_pgoff + ((addr - vma->vm_start) >> PAGE_SHIFT);
	if (pgoff + (new_len >> PAGE_SHIFT) < pgoff)
		return -EINVAL;
	if (vma->vm_flags & (VM_DONTEXPAND | VM_PFNMAP))
		return -EFAULT;
	return 0;
}

/*
 * The checks of the arguments alone (Linux's check_mremap_params()); also
 * rounds the lengths up to pages.  A length that does not survive the
 * rounding is -EINVAL (Linux turns an old one into 0).
 */
static int check_mremap_params(struct vma_remap *vrm)
{
	unsigned long task_size = vrm->mm->task_size;

	if (vrm->flags & ~MREMAP_KNOWN)
		return -EINVAL;
	if (!IS_ALIGNED(vrm->addr, PAGE_SIZE))
		return -EINVAL;
	if (vrm->old_len > -PAGE_SIZE || vrm->new_len > -PAGE_SIZE)
		return -EINVAL;
	vrm->old_len = PAGE_ALIGN(vrm->old_len);
	vrm->new_len = PAGE_ALIGN(vrm->new_len);
	/* A zero old_len is Linux's "duplicate a shared mapping"; a zero
	 * new_len means nothing. */
	if (!vrm->new_len || vrm->new_len > task_size)
		return -EINVAL;
	if (!vrm_implies_new_addr(vrm))
		return 0;
	if (vrm->new_addr > task_size - vrm->new_len)
		return -EINVAL;
	if (!IS_ALIGNED(vrm->new_addr, PAGE_SIZE))
		return -EINVAL;
	if (!(vrm->flags & MREMAP_MAYMOVE))
		return -EINVAL;
	if ((vrm->flags & MREMAP_DONTUNMAP) && vrm->old_len != vrm->new_len)
		return -EINVAL;
	/* The old and new ranges must not overlap (also for a hint). */
	if (vrm->addr + vrm->old_len > vrm->new_addr &&
	    vrm->new_addr + vrm->new_len > vrm->addr)
		return -EINVAL;
	return 0;
}

/*
 * pnm_mm_mremap - mremap(2) on @mm: see internal.h (mremap.c section) and
 * the file comment.  Takes mmap_lock for write; a growing VM_LOCKED
 * mapping is populated with it downgraded to read.
 */
long pnm_mm_mremap(struct mm_struct *mm, unsigned long addr, unsigned long old_len,
		   unsigned long new_len, unsigned long flags, unsigned long new_addr)
{
	struct vma_remap vrm = {
		.mm = mm, .addr = addr, .old_len = old_len, .new_len = new_len,
		.flags = flags, .new_addr = new_addr,
	};
	long ret;

	ret = check_mremap_params(&vrm);
	if (ret)
		return ret;
	mmap_write_lock(mm);
	vrm.vma = vma_lookup(mm, addr);
	ret = check_prep_vma(&vrm);
	if (!ret)
		ret = vrm_implies_new_addr(&vrm) ? mremap_to(&vrm) : mremap_at(&vrm);
	if (ret >= 0)
		pnm_trace(PNM_TRACE_MREMAP, mm->owner_pid, addr, vrm.old_len,
			  (unsigned long)ret, (long)vrm.new_len);
	if (ret >= 0 && vrm.populate) {
		unsigned long start = (unsigned long)ret + vrm.old_len;

		downgrade_write(&mm->mmap_lock);
		/* A page that cannot be faulted in does not fail the call. */
		(void)mm_populate(mm, start, start + vrm.delta);
		mmap_read_unlock(mm);
		return ret;
	}
	mmap_write_unlock(mm);
	return ret;
}
