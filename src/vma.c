// SPDX-License-Identifier: MIT
/*
 * vma.c - the set of VMAs of an address space.
 *
 * Linux keeps an mm's VMAs in a maple tree; the model keeps them in a
 * sorted array of pointers (struct pnm_vma_set) searched by bisection,
 * which is small, obviously correct and fast enough for the few hundred
 * VMAs a modelled process has.  This file owns that array and the VMA
 * life cycle: allocation, duplication (split, fork), insertion and removal,
 * splitting a VMA in two and merging compatible neighbours back together,
 * and the checker that verifies the set.
 *
 * Also here: the file half of the reverse map (vma_link_file,
 * unlink_file_vma: a file VMA in its mapping's i_mmap tree) and the locking
 * that lets split and merge change a VMA's range while reverse-map walkers
 * look at it (vma_rmap_lock), plus the checker of every VMA's reverse-map
 * links (pnm_check_vma_rmap).
 *
 * Locking: every lookup needs mm->mmap_lock held in some mode; every change
 * to the set or to a VMA's vm_start/vm_end/vm_pgoff/vm_flags needs it held
 * for write.  Faults (mmap_lock read) may therefore use a VMA pointer for
 * as long as they hold the lock.  Reverse-map walkers hold no mmap_lock:
 * they reach a VMA through i_mmap or an anon_vma tree, so a range change
 * of a VMA that is in those trees is also made under the trees' locks held
 * for write (i_mmap_rwsem, then the anon_vma root rwsem), with the VMA
 * taken out of the trees and put back under its new range.
 *
 * Accounting: vma_set_insert() and vma_set_remove() keep mm->map_count and
 * mm->total_vm in step with the set, so that callers (mmap, munmap, fork,
 * exit) never adjust them by hand; split and merge conserve both.
 */
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

/* --- the sorted array ------------------------------------------------------ */

/*
 * Index of the first VMA whose vm_end is above @addr (set->nr if none).
 * VMAs are sorted and disjoint, so vm_end is increasing with the index.
 */
static int vma_index_after(const struct pnm_vma_set *set, unsigned long addr)
{
	int lo = 0, hi = set->nr;

	while (lo < hi) {
		int mid = lo + (hi - lo) / 2;

		if (set->vmas[mid]->vm_end > addr)
			hi = mid;
		else
			lo = mid + 1;
	}
	return lo;
}

/* Index of @vma in its mm's set; the VMA must be in the set. */
static int vma_index(struct mm_struct *mm, struct vm_area_struct *vma)
{
	int i = vma_index_after(&mm->mm_vmas, vma->vm_start);

	VM_BUG_ON(i >= mm->mm_vmas.nr || mm->mm_vmas.vmas[i] != vma);
	return i;
}

/*
 * Make room for @nr more VMAs in @mm's set, so that the next @nr inserts
 * cannot fail.  Returns 0 or -ENOMEM (the set is unchanged).  Caller holds
 * mmap_lock for write.
 */
int vma_set_reserve(struct mm_struct *mm, int nr)
{
	struct pnm_vma_set *set = &mm->mm_vmas;
	struct vm_area_struct **vmas;
	int cap;

	mmap_assert_write_locked(mm);
	if (set->nr + nr <= set->cap)
		return 0;
	cap = set->cap ? set->cap : 16;
	while (cap < set->nr + nr)
		cap *= 2;
	vmas = pnm_realloc(PNM_FAULT_VMA, set->vmas, (size_t)cap * sizeof(*vmas));
	if (!vmas)
		return -ENOMEM;
	set->vmas = vmas;
	set->cap = cap;
	return 0;
}

/*
 * Insert @vma into @mm's set at its address.  The range must be free.
 * Adds the VMA to mm->map_count and its pages to mm->total_vm.  Caller
 * holds mmap_lock for write.  Returns 0, or -ENOMEM if the array could not
 * grow (nothing changed; cannot happen after vma_set_reserve()).
 */
int vma_set_insert(struct mm_struct *mm, struct vm_area_struct *vma)
{
	struct pnm_vma_set *set = &mm->mm_vmas;
	int i;

	if (vma_set_reserve(mm, 1))
		return -ENOMEM;
	VM_BUG_ON(vma->vm_mm != mm);
	VM_BUG_ON(vma->vm_start >= vma->vm_end);
	i = vma_index_after(set, vma->vm_start);
	/* The next VMA must start at or above our end: no overlap. */
	VM_BUG_ON(i < set->nr && set->vmas[i]->vm_start < vma->vm_end);
	memmove(&set->vmas[i + 1], &set->vmas[i],
		(size_t)(set->nr - i) * sizeof(set->vmas[0]));
	set->vmas[i] = vma;
	set->nr++;
	mm->map_count++;
	mm->total_vm += vma_pages(vma);
	return 0;
}

/*
 * Take @vma out of @mm's set (it is not freed).  Subtracts it from
 * mm->map_count and mm->total_vm.  Caller holds mmap_lock for write.
 */
void vma_set_remove(struct mm_struct *mm, struct vm_area_struct *vma)
{
	struct pnm_vma_set *set = &mm->mm_vmas;
	int i;

	mmap_assert_write_locked(mm);
	i = vma_index(mm, vma);
	memmove(&set->vmas[i], &set->vmas[i + 1],
		(size_t)(set->nr - i - 1) * sizeof(set->vmas[0]));
	set->nr--;
	mm->map_count--;
	mm->total_vm -= vma_pages(vma);
}

/*
 * Free the array behind an mm's set once the set is empty (mm teardown).
 */
void vma_set_destroy(struct mm_struct *mm)
{
	VM_BUG_ON(mm->mm_vmas.nr != 0);
	free(mm->mm_vmas.vmas);
	mm->mm_vmas.vmas = NULL;
	mm->mm_vmas.cap = 0;
}

/* --- lookups ---------------------------------------------------------------- */

/*
 * The first VMA with vm_end > @addr, or NULL.  Caller holds mmap_lock.
 */
struct vm_area_struct *find_vma(struct mm_struct *mm, unsigned long addr)
{
	int i;

	mmap_assert_locked(mm);
	i = vma_index_after(&mm->mm_vmas, addr);
	return i < mm->mm_vmas.nr ? mm->mm_vmas.vmas[i] : NULL;
}

/*
 * The VMA containing @addr, or NULL.  Caller holds mmap_lock.
 */
struct vm_area_struct *vma_lookup(struct mm_struct *mm, unsigned long addr)
{
	struct vm_area_struct *vma = find_vma(mm, addr);

	return vma && vma->vm_start <= addr ? vma : NULL;
}

/*
 * The first VMA intersecting [start, end), or NULL.  Caller holds
 * mmap_lock.
 */
struct vm_area_struct *find_vma_intersection(struct mm_struct *mm,
					     unsigned long start, unsigned long end)
{
	struct vm_area_struct *vma = find_vma(mm, start);

	return vma && vma->vm_start < end ? vma : NULL;
}

/*
 * The VMA immediately below @vma in its mm (ending at or before its start),
 * or NULL.  Caller holds mmap_lock.
 */
struct vm_area_struct *vma_prev(struct vm_area_struct *vma)
{
	struct mm_struct *mm = vma->vm_mm;
	int i = vma_index(mm, vma);

	return i > 0 ? mm->mm_vmas.vmas[i - 1] : NULL;
}

/*
 * The VMA immediately above @vma, or NULL.  Caller holds mmap_lock.
 */
struct vm_area_struct *vma_next(struct vm_area_struct *vma)
{
	struct mm_struct *mm = vma->vm_mm;
	int i = vma_index(mm, vma);

	return i + 1 < mm->mm_vmas.nr ? mm->mm_vmas.vmas[i + 1] : NULL;
}

/* --- VMA objects ------------------------------------------------------------ */

/*
 * A zeroed VMA belonging to @mm (not inserted anywhere), or NULL on
 * -ENOMEM.  Free with vm_area_free().
 */
struct vm_area_struct *vm_area_alloc(struct mm_struct *mm)
{
	struct vm_area_struct *vma = pnm_calloc(PNM_FAULT_VMA, 1, sizeof(*vma));

	if (vma) {
		vma->vm_mm = mm;
		INIT_LIST_HEAD(&vma->anon_vma_chain);
	}
	return vma;
}

/*
 * A copy of @orig for a split or for fork.  The copy takes its own
 * reference on the backing file and the object is told about the new VMA
 * through vm_ops->open, so that vm_area_free() after remove_vma()-style
 * teardown (close + fput) balances.  The copy belongs to the same mm;
 * fork re-targets vm_mm before inserting it.  It is in no reverse-map
 * tree and has no anon_vma links yet (vma->anon_vma is copied: the caller
 * links it with anon_vma_clone or anon_vma_fork, and vma_link_file).
 * NULL on -ENOMEM (nothing taken).
 */
_Static_assert(offsetof(struct vm_area_struct, anon_vma_chain) ==
	       offsetof(struct vm_area_struct, shared) +
	       sizeof(struct interval_tree_node),
	       "vm_area_dup copies around the i_mmap node");

struct vm_area_struct *vm_area_dup(struct vm_area_struct *orig)
{
	struct vm_area_struct *vma = pnm_malloc(PNM_FAULT_VMA, sizeof(*vma));

	if (!vma)
		return NULL;
	/*
	 * Copy every field but the i_mmap node: while we hold only this mm's
	 * mmap_lock, another mm's VMA leaving the same file's i_mmap tree
	 * rebalances it under i_mmap_rwsem and rewrites the augmented fields
	 * of orig->shared.  The copy starts outside every tree, so those
	 * bytes are never read here.
	 */
	memcpy(vma, orig, offsetof(struct vm_area_struct, shared));
	vma->shared = (struct interval_tree_node){ 0 };
	memcpy((char *)vma + offsetof(struct vm_area_struct, anon_vma_chain),
	       (const char *)orig + offsetof(struct vm_area_struct, anon_vma_chain),
	       sizeof(*vma) - offsetof(struct vm_area_struct, anon_vma_chain));
	INIT_LIST_HEAD(&vma->anon_vma_chain);
	if (vma->vm_file)
		get_file(vma->vm_file);
	if (vma->vm_ops && vma->vm_ops->open)
		vma->vm_ops->open(vma);
	return vma;
}

/*
 * Free the VMA structure itself.  It must not be in a set nor in the
 * reverse map (unlink_anon_vmas, unlink_file_vma); the file reference and
 * vm_ops->close are the caller's business (remove_vma()).
 */
void vm_area_free(struct vm_area_struct *vma)
{
	VM_BUG_ON(!list_empty(&vma->anon_vma_chain));
	VM_BUG_ON(interval_tree_node_linked(&vma->shared));
	free(vma);
}

/* --- the reverse-map side ------------------------------------------------------ */

static struct address_space *vma_mapping(const struct vm_area_struct *vma)
{
	return vma->vm_file ? vma->vm_file->f_mapping : NULL;
}

/*
 * vma_link_file - index @vma in its file's i_mmap (rmap.h).  Called once
 * the VMA is in its mm's set (mmap, fork, split).  Takes i_mmap_rwsem for
 * write.
 */
void vma_link_file(struct vm_area_struct *vma)
{
	struct address_space *mapping = vma_mapping(vma);

	if (!mapping)
		return;
	i_mmap_lock_write(mapping);
	vma_interval_tree_insert(vma, &mapping->i_mmap);
	i_mmap_unlock_write(mapping);
}

/*
 * unlink_file_vma - take @vma out of its file's i_mmap (rmap.h), before
 * its page tables are freed (munmap, exit) or when it is discarded.  Takes
 * i_mmap_rwsem for write.  No-op for a VMA that is not linked.  Whether
 * it is linked is read under the lock: its node's fields are rewritten by
 * the rebalancing of any insert or remove in the same tree (another
 * process mapping the file), which holds only the i_mmap lock.
 */
void unlink_file_vma(struct vm_area_struct *vma)
{
	struct address_space *mapping = vma_mapping(vma);

	if (!mapping)
		return;
	i_mmap_lock_write(mapping);
	if (interval_tree_node_linked(&vma->shared))
		vma_interval_tree_remove(vma, &mapping->i_mmap);
	i_mmap_unlock_write(mapping);
}

/*
 * vma_rmap_lock - see rmap.h.  The anon_vma is vma->anon_vma (every link of
 * the VMA shares its root).
 */
void vma_rmap_lock(struct vm_area_struct *vma)
{
	struct address_space *mapping = vma_mapping(vma);

	mmap_assert_write_locked(vma->vm_mm);
	if (mapping)
		i_mmap_lock_write(mapping);
	if (vma->anon_vma)
		anon_vma_lock_write(vma->anon_vma);
}

/* vma_rmap_unlock - release what vma_rmap_lock() took (on the same VMA,
 * whose file and anon_vma root are unchanged). */
void vma_rmap_unlock(struct vm_area_struct *vma)
{
	struct address_space *mapping = vma_mapping(vma);

	if (vma->anon_vma)
		anon_vma_unlock_write(vma->anon_vma);
	if (mapping)
		i_mmap_unlock_write(mapping);
}

/*
 * mm_all_locks_mutex: one mm_take_all_locks() at a time.  Two callers on
 * mms that share files or anon_vma families would otherwise take the same
 * rwsems in different orders.  Order: mm->mmap_lock (write) ->
 * mm_all_locks_mutex -> every i_mmap_rwsem -> every anon_vma root rwsem.
 * It also protects the AS_MM_ALL_LOCKS bits and anon_vma->mm_all_locks,
 * which mark what the holder has taken so that each lock is taken once.
 */
static pthread_mutex_t mm_all_locks_mutex = PTHREAD_MUTEX_INITIALIZER;

/* mm_take_all_locks - see rmap.h. */
void mm_take_all_locks(struct mm_struct *mm)
{
	struct vm_area_struct *vma;

	mmap_assert_write_locked(mm);
	pthread_mutex_lock(&mm_all_locks_mutex);
	/* Files first, then anon_vma families: the reverse map's order. */
	for_each_vma(mm, vma) {
		struct address_space *mapping = vma_mapping(vma);

		if (mapping && !test_bit(AS_MM_ALL_LOCKS, &mapping->flags)) {
			i_mmap_lock_write(mapping);
			set_bit(AS_MM_ALL_LOCKS, &mapping->flags);
		}
	}
	for_each_vma(mm, vma) {
		struct anon_vma *root = vma->anon_vma ? vma->anon_vma->root : NULL;

		if (root && !root->mm_all_locks) {
			anon_vma_lock_write(root);
			root->mm_all_locks = true;
		}
	}
}

/* mm_drop_all_locks - see rmap.h.  The VMA set is the one the locks were
 * taken for (mmap_lock held for write all along). */
void mm_drop_all_locks(struct mm_struct *mm)
{
	struct vm_area_struct *vma;

	mmap_assert_write_locked(mm);
	for_each_vma(mm, vma) {
		struct anon_vma *root = vma->anon_vma ? vma->anon_vma->root : NULL;

		if (root && root->mm_all_locks) {
			root->mm_all_locks = false;
			anon_vma_unlock_write(root);
		}
	}
	for_each_vma(mm, vma) {
		struct address_space *mapping = vma_mapping(vma);

		if (mapping && test_bit(AS_MM_ALL_LOCKS, &mapping->flags)) {
			clear_bit(AS_MM_ALL_LOCKS, &mapping->flags);
			i_mmap_unlock_write(mapping);
		}
	}
	pthread_mutex_unlock(&mm_all_locks_mutex);
}

/* Out of every tree, before its range changes (rmap locks held). */
static void vma_rmap_pre_update(struct vm_area_struct *vma)
{
	struct address_space *mapping = vma_mapping(vma);

	if (mapping && interval_tree_node_linked(&vma->shared))
		vma_interval_tree_remove(vma, &mapping->i_mmap);
	anon_vma_interval_tree_pre_update_vma(vma);
}

/* Back into every tree under its new range (rmap locks held). */
static void vma_rmap_post_update(struct vm_area_struct *vma)
{
	struct address_space *mapping = vma_mapping(vma);

	if (mapping)
		vma_interval_tree_insert(vma, &mapping->i_mmap);
	anon_vma_interval_tree_post_update_vma(vma);
}

/*
 * Release a VMA that has been taken out of its set: tell the object
 * (vm_ops->close), drop the file reference, free the structure.  Caller
 * holds mmap_lock for write (or the mm is being torn down).
 */
void remove_vma(struct vm_area_struct *vma)
{
	if (vma->vm_ops && vma->vm_ops->close)
		vma->vm_ops->close(vma);
	if (vma->vm_file)
		fput(vma->vm_file);
	vm_area_free(vma);
}

/* --- split and merge --------------------------------------------------------- */

/*
 * Split @vma at @addr (page aligned, strictly inside it).  With @new_below
 * false the new VMA covers [addr, vm_end) and @vma keeps the lower part;
 * with @new_below true the new VMA covers [vm_start, addr) and @vma keeps
 * the upper part.  A huge PMD straddling @addr is split first, because a
 * PMD mapping must lie inside one VMA.  The new VMA gets @vma's reverse-
 * map links (anon_vma_clone, vma_link_file); both halves change their
 * trees under the rmap locks, so a walker sees either the whole VMA or the
 * two halves.  Caller holds mmap_lock for write.
 *
 * Returns 0, -ENOMEM, or what vm_ops->may_split() refuses with (hugetlb:
 * -EINVAL for an address inside a huge page).  On failure the VMA set is
 * unchanged; the one
 * thing that can have happened is nothing visible (the allocation that
 * failed is tried after the others succeeded).
 */
int split_vma(struct vm_area_struct *vma, unsigned long addr, int new_below)
{
	struct mm_struct *mm = vma->vm_mm;
	struct vm_area_struct *new;
	unsigned long delta;
	int err;

	mmap_assert_write_locked(mm);
	VM_BUG_ON(addr <= vma->vm_start || addr >= vma->vm_end);
	VM_BUG_ON(!IS_ALIGNED(addr, PAGE_SIZE));
	/* The object may refuse (hugetlb: inside a huge page, -EINVAL). */
	if (vma->vm_ops && vma->vm_ops->may_split) {
		err = vma->vm_ops->may_split(vma, addr);
		if (err)
			return err;
	}

	new = vm_area_dup(vma);
	if (!new)
		return -ENOMEM;
	err = vma_set_reserve(mm, 1);
	if (err)
		goto out_free_new;
	if (!IS_ALIGNED(addr, PMD_SIZE)) {
		err = split_huge_pmd_address(vma, addr);
		if (err)
			goto out_free_new;
	}

	delta = (addr - vma->vm_start) >> PAGE_SHIFT;
	if (new_below) {
		new->vm_end = addr;
	} else {
		new->vm_start = addr;
		new->vm_pgoff += delta;
	}
	/* Links for @new under its own range (it maps nothing yet that a
	 * walker could not also find through @vma). */
	err = anon_vma_clone(new, vma);
	if (err)
		goto out_free_new;

	vma_rmap_lock(vma);
	vma_rmap_pre_update(vma);
	/*
	 * Both halves stay in the set the whole time as far as total_vm is
	 * concerned: shrink @vma's account before the insert adds @new's.
	 */
	if (new_below) {
		mm->total_vm -= delta;
		vma->vm_start = addr;
		vma->vm_pgoff += delta;
	} else {
		mm->total_vm -= vma_pages(new);
		vma->vm_end = addr;
	}
	vma_rmap_post_update(vma);
	if (vma_mapping(new))
		vma_interval_tree_insert(new, &vma_mapping(new)->i_mmap);
	vma_rmap_unlock(vma);
	err = vma_set_insert(mm, new);
	VM_BUG_ON(err);		/* room was reserved above */
	return 0;

out_free_new:
	unlink_anon_vmas(new);
	remove_vma(new);
	return err;
}

/*
 * May @a and @b share one anon_vma chain?  Either has none (the merged VMA
 * takes the other's), or both have the same anon_vma and links to the
 * same anon_vmas (halves of one split, or of one fork copy).
 */
static bool anon_vmas_mergeable(const struct vm_area_struct *a,
				const struct vm_area_struct *b)
{
	const struct list_head *la, *lb;

	if (!a->anon_vma || !b->anon_vma)
		return true;
	if (a->anon_vma != b->anon_vma)
		return false;
	for (la = a->anon_vma_chain.next, lb = b->anon_vma_chain.next;
	     la != &a->anon_vma_chain && lb != &b->anon_vma_chain;
	     la = la->next, lb = lb->next) {
		const struct anon_vma_chain *ca = list_entry(la, struct anon_vma_chain, same_vma);
		const struct anon_vma_chain *cb = list_entry(lb, struct anon_vma_chain, same_vma);

		if (ca->anon_vma != cb->anon_vma)
			return false;
	}
	return la == &a->anon_vma_chain && lb == &b->anon_vma_chain;
}

/*
 * Can @a (below) and @b (directly above it) become one VMA?  Same flags,
 * same object at contiguous offsets, same operations; objects that want
 * to hear about every VMA going away (vm_ops->close) are never merged, as
 * in Linux.
 */
static bool vmas_mergeable(const struct vm_area_struct *a,
			   const struct vm_area_struct *b)
{
	if (a->vm_end != b->vm_start)
		return false;
	/* VM_SOFTDIRTY does not keep VMAs apart (vma_absorb() keeps it). */
	if (((a->vm_flags ^ b->vm_flags) & ~VM_SOFTDIRTY) || a->vm_file != b->vm_file ||
	    a->vm_ops != b->vm_ops || a->vm_private_data != b->vm_private_data)
		return false;
	if (a->vm_ops && a->vm_ops->close)
		return false;
	if (!anon_vmas_mergeable(a, b))
		return false;
	return a->vm_pgoff + vma_pages(a) == b->vm_pgoff;
}

/*
 * Absorb @victim into @vma (adjacent; either side; vmas_mergeable) and
 * release @victim.  The page tables are untouched: they already map the
 * union.  If only @victim has an anon_vma, @vma first gets links to its
 * anon_vmas (anon_vma_clone: this can fail, -ENOMEM, and then nothing
 * changed).  Under the rmap locks, @victim leaves every tree and @vma is
 * re-indexed under the union, so a walker finds each mapping through
 * exactly one of them at any time.  Returns 0 or -ENOMEM.
 */
static int vma_absorb(struct mm_struct *mm, struct vm_area_struct *vma,
		      struct vm_area_struct *victim)
{
	unsigned long pages = vma_pages(victim);

	if (!vma->anon_vma && victim->anon_vma) {
		vma->anon_vma = victim->anon_vma;
		if (anon_vma_clone(vma, victim))
			return -ENOMEM;	/* vma->anon_vma reset by the clone */
	}
	vma_set_remove(mm, victim);
	/* The union is soft-dirty where either part was.  WRITE_ONCE: the
	 * reverse-map walkers read vm_flags without the mmap_lock
	 * (migrate.c's restored_entry(), READ_ONCE). */
	if ((victim->vm_flags & VM_SOFTDIRTY) && !(vma->vm_flags & VM_SOFTDIRTY))
		WRITE_ONCE(vma->vm_flags, vma->vm_flags | VM_SOFTDIRTY);
	vma_rmap_lock(vma);
	vma_rmap_pre_update(victim);
	vma_rmap_pre_update(vma);
	if (victim->vm_end == vma->vm_start) {
		vma->vm_start = victim->vm_start;
		vma->vm_pgoff = victim->vm_pgoff;
	} else {
		VM_BUG_ON(victim->vm_start != vma->vm_end);
		vma->vm_end = victim->vm_end;
	}
	vma_rmap_post_update(vma);
	vma_rmap_unlock(vma);
	/* Its links are out of the trees; every anon_vma they name is also
	 * linked from @vma, so this frees the links and nothing else. */
	unlink_anon_vmas(victim);
	mm->total_vm += pages;
	remove_vma(victim);
	return 0;
}

/*
 * Merge @vma with the VMA directly below and the one directly above it
 * where they are compatible: private anonymous VMAs with identical flags
 * and anon_vma chains (or no anon_vma on one side), and VMAs of the same
 * file at contiguous offsets with identical flags.  @vma always survives
 * (it grows to cover its neighbours, which are released), so the caller's
 * pointer stays valid.  A merge that would need memory it cannot get is
 * skipped.  Caller holds mmap_lock for write.  Cannot fail.
 */
void vma_merge_neighbours(struct mm_struct *mm, struct vm_area_struct *vma)
{
	struct vm_area_struct *prev, *next;

	mmap_assert_write_locked(mm);
	prev = vma_prev(vma);
	if (prev && vmas_mergeable(prev, vma))
		(void)vma_absorb(mm, vma, prev);
	next = vma_next(vma);
	if (next && vmas_mergeable(vma, next))
		(void)vma_absorb(mm, vma, next);
}

/*
 * Undo a split: @upper (which starts where @lower ends and was split from
 * it) is absorbed into @lower.  Used by error paths that must leave the
 * layout as they found it.  Both halves have the same links, so this
 * cannot fail.  Caller holds mmap_lock for write.
 */
void vma_unsplit(struct mm_struct *mm, struct vm_area_struct *lower,
		 struct vm_area_struct *upper)
{
	VM_BUG_ON(lower->vm_end != upper->vm_start);
	VM_BUG_ON(lower->vm_file != upper->vm_file);
	VM_BUG_ON(lower->anon_vma != upper->anon_vma);
	if (vma_absorb(mm, lower, upper))
		VM_BUG_ON(1);
}

/*
 * vma_expand_end - grow @vma up to @end (page aligned, above vm_end) over
 * pages no VMA covers: mremap's growth in place (Linux's vma_expand()).  It
 * leaves its reverse-map trees and comes back under the new range with the
 * rmap locks held, as a split or merge does, and mm->total_vm counts the
 * new pages.  The page tables need nothing: the new part is empty.
 * Caller holds mmap_lock for write.  Cannot fail.
 */
void vma_expand_end(struct vm_area_struct *vma, unsigned long end)
{
	struct mm_struct *mm = vma->vm_mm;

	mmap_assert_write_locked(mm);
	VM_BUG_ON(end <= vma->vm_end || !IS_ALIGNED(end, PAGE_SIZE) || end > mm->task_size);
	VM_BUG_ON(find_vma_intersection(mm, vma->vm_end, end));
	vma_rmap_lock(vma);
	vma_rmap_pre_update(vma);
	mm->total_vm += (end - vma->vm_end) >> PAGE_SHIFT;
	vma->vm_end = end;
	vma_rmap_post_update(vma);
	vma_rmap_unlock(vma);
}

/* --- checking ------------------------------------------------------------------ */

/*
 * Check one VMA on its own: alignment, bounds, owner, flag consistency.
 */
static bool check_one_vma(struct mm_struct *mm, struct vm_area_struct *vma)
{
	unsigned long f = vma->vm_flags;

	if (vma->vm_mm != mm)
		return pnm_check_fail("vma [%#lx,%#lx): vm_mm %p, expected %p",
				      vma->vm_start, vma->vm_end,
				      (void *)vma->vm_mm, (void *)mm);
	if (!IS_ALIGNED(vma->vm_start, PAGE_SIZE) ||
	    !IS_ALIGNED(vma->vm_end, PAGE_SIZE) || vma->vm_start >= vma->vm_end)
		return pnm_check_fail("vma [%#lx,%#lx): bad range",
				      vma->vm_start, vma->vm_end);
	if (vma->vm_start < MMAP_MIN_ADDR || vma->vm_end > mm->task_size)
		return pnm_check_fail("vma [%#lx,%#lx): outside user space",
				      vma->vm_start, vma->vm_end);
	/* Every permission needs its VM_MAY* twin (mprotect relies on it). */
	if ((f & ~(f >> 4)) & VM_ACCESS_FLAGS)
		return pnm_check_fail("vma [%#lx,%#lx): flags %#lx lack VM_MAY*",
				      vma->vm_start, vma->vm_end, f);
	if ((f & VM_SHARED) && !(f & VM_MAYSHARE))
		return pnm_check_fail("vma [%#lx,%#lx): VM_SHARED without VM_MAYSHARE",
				      vma->vm_start, vma->vm_end);
	if ((f & VM_HUGEPAGE) && (f & VM_NOHUGEPAGE))
		return pnm_check_fail("vma [%#lx,%#lx): both VM_HUGEPAGE and VM_NOHUGEPAGE",
				      vma->vm_start, vma->vm_end);
	if (!vma->vm_ops && vma->vm_file)
		return pnm_check_fail("vma [%#lx,%#lx): file without vm_ops",
				      vma->vm_start, vma->vm_end);
	if (vma->vm_file && atomic_long_read(&vma->vm_file->f_count) <= 0)
		return pnm_check_fail("vma [%#lx,%#lx): file with f_count %ld",
				      vma->vm_start, vma->vm_end,
				      atomic_long_read(&vma->vm_file->f_count));
	/*
	 * An anonymous VMA's vm_pgoff is its start at creation, kept by
	 * splits and by mremap, which moves its pages without changing their
	 * index: after a move it is no longer vm_start >> PAGE_SHIFT.  That
	 * every page is found at the offset its index gives is the page-table
	 * checker's part; here only that the offsets do not wrap.
	 */
	if (vma->vm_pgoff + vma_pages(vma) < vma->vm_pgoff)
		return pnm_check_fail("vma [%#lx,%#lx): vm_pgoff %#lx wraps",
				      vma->vm_start, vma->vm_end, vma->vm_pgoff);
	return true;
}

/*
 * Check the VMA set: sorted, non-overlapping, page aligned, inside
 * [MMAP_MIN_ADDR, task_size), vm_mm correct, and map_count and total_vm
 * agree with the set.  Caller holds mmap_lock.  Reports the first problem
 * through pnm_check_fail() and returns false; never aborts.
 */
bool pnm_check_vmas(struct mm_struct *mm)
{
	struct pnm_vma_set *set = &mm->mm_vmas;
	unsigned long pages = 0, prev_end = 0;
	int i;

	mmap_assert_locked(mm);
	if (set->nr < 0 || set->nr > set->cap || (set->cap && !set->vmas))
		return pnm_check_fail("mm %p: vma set nr %d cap %d",
				      (void *)mm, set->nr, set->cap);
	for (i = 0; i < set->nr; i++) {
		struct vm_area_struct *vma = set->vmas[i];

		if (!vma)
			return pnm_check_fail("mm %p: NULL vma at %d", (void *)mm, i);
		if (!check_one_vma(mm, vma))
			return false;
		if (vma->vm_start < prev_end)
			return pnm_check_fail("mm %p: vma [%#lx,%#lx) overlaps or is below %#lx",
					      (void *)mm, vma->vm_start,
					      vma->vm_end, prev_end);
		prev_end = vma->vm_end;
		pages += vma_pages(vma);
	}
	if (mm->map_count != set->nr)
		return pnm_check_fail("mm %p: map_count %d, %d vmas",
				      (void *)mm, mm->map_count, set->nr);
	if (mm->total_vm != pages)
		return pnm_check_fail("mm %p: total_vm %lu, vmas cover %lu pages",
				      (void *)mm, mm->total_vm, pages);
	return true;
}

/* --- checking the reverse-map links ----------------------------------------------- */

/* The last stamp handed out by avc_dup_begin(); atomic. */
static unsigned long avc_stamp_last;

/* A stamp no other check of a VMA's links uses (relaxed: it only has to be
 * unique). */
static unsigned long avc_dup_begin(void)
{
	return __atomic_add_fetch(&avc_stamp_last, 1, __ATOMIC_RELAXED);
}

/*
 * Has this check of a VMA's links (@stamp) met @av before?  Stamps it.  The
 * stamp is written and read with relaxed atomics under the family's root
 * rwsem held for read, pairing with nothing: a checker of another thread
 * may overwrite it, which can hide a duplicate from a concurrent check but
 * never invents one (stamps are unique).  O(1) where comparing every pair
 * of links is O(links^2) -- a VMA deep in a fork chain has one link per
 * generation.
 */
static bool avc_dup(struct anon_vma *av, unsigned long stamp)
{
	if (READ_ONCE(av->pnm_check_stamp) == stamp)
		return true;
	WRITE_ONCE(av->pnm_check_stamp, stamp);
	return false;
}

static bool check_vma_file_link(struct vm_area_struct *vma)
{
	struct address_space *mapping = vma_mapping(vma);
	unsigned long first, last;
	bool ok = true;

	if (!mapping)
		return interval_tree_node_linked(&vma->shared) ?
		       pnm_check_fail("vma [%#lx,%#lx): no file but in an i_mmap tree",
				      vma->vm_start, vma->vm_end) : true;
	first = vma->vm_pgoff;
	last = vma->vm_pgoff + vma_pages(vma) - 1;
	i_mmap_lock_read(mapping);
	if (!interval_tree_node_linked(&vma->shared) ||
	    vma->shared.start != first || vma->shared.last != last)
		ok = pnm_check_fail("vma [%#lx,%#lx): i_mmap node %s [%#lx,%#lx], expected [%#lx,%#lx]",
				    vma->vm_start, vma->vm_end,
				    interval_tree_node_linked(&vma->shared) ? "at" : "unlinked",
				    vma->shared.start, vma->shared.last, first, last);
	else if (!pnm_itree_contains(&mapping->i_mmap, &vma->shared))
		ok = pnm_check_fail("vma [%#lx,%#lx): not in its file's i_mmap tree",
				    vma->vm_start, vma->vm_end);
	else
		ok = pnm_check_itree_once(&mapping->i_mmap, "i_mmap");
	i_mmap_unlock_read(mapping);
	return ok;
}

static bool check_vma_anon_links(struct vm_area_struct *vma)
{
	unsigned long first = vma->vm_pgoff, last = vma->vm_pgoff + vma_pages(vma) - 1;
	struct anon_vma *own = vma->anon_vma, *root;
	struct anon_vma_chain *avc;
	bool found_own = false, ok = true;
	unsigned long stamp;

	if (list_empty(&vma->anon_vma_chain))
		return own ? pnm_check_fail("vma [%#lx,%#lx): anon_vma %p but no chain links",
					    vma->vm_start, vma->vm_end, (void *)own) : true;
	if (!own)
		return pnm_check_fail("vma [%#lx,%#lx): chain links but no anon_vma",
				      vma->vm_start, vma->vm_end);
	root = own->root;
	stamp = avc_dup_begin();
	down_read(&root->rwsem);
	list_for_each_entry(avc, &vma->anon_vma_chain, same_vma) {
		struct anon_vma *av = avc->anon_vma;

		if (avc->vma != vma || !av || av->root != root) {
			ok = pnm_check_fail("vma [%#lx,%#lx): chain link %p names vma %p, anon_vma %p of another family",
					    vma->vm_start, vma->vm_end, (void *)avc,
					    (void *)avc->vma, (void *)av);
			break;
		}
		if (av == own)
			found_own = true;
		if (atomic_read(&av->refcount) <= 0) {
			ok = pnm_check_fail("anon_vma %p: refcount %d while linked",
					    (void *)av, atomic_read(&av->refcount));
			break;
		}
		/* Each anon_vma once. */
		if (avc_dup(av, stamp)) {
			ok = pnm_check_fail("vma [%#lx,%#lx): two links to anon_vma %p",
					    vma->vm_start, vma->vm_end, (void *)av);
			break;
		}
		if (!interval_tree_node_linked(&avc->rb) || avc->rb.start != first ||
		    avc->rb.last != last) {
			ok = pnm_check_fail("vma [%#lx,%#lx): chain link keyed [%#lx,%#lx] (linked %d), expected [%#lx,%#lx]",
					    vma->vm_start, vma->vm_end, avc->rb.start,
					    avc->rb.last, interval_tree_node_linked(&avc->rb),
					    first, last);
			break;
		}
		if (!pnm_itree_contains(&av->rb_root, &avc->rb)) {
			ok = pnm_check_fail("vma [%#lx,%#lx): chain link not in anon_vma %p's tree",
					    vma->vm_start, vma->vm_end, (void *)av);
			break;
		}
		if (!pnm_check_itree_once(&av->rb_root, "anon_vma tree")) {
			ok = false;
			break;
		}
	}
	up_read(&root->rwsem);
	if (ok && !found_own)
		ok = pnm_check_fail("vma [%#lx,%#lx): its anon_vma %p is not on its chain",
				    vma->vm_start, vma->vm_end, (void *)own);
	return ok;
}

/*
 * pnm_check_vma_rmap - see rmap.h.  Takes i_mmap_rwsem and anon_vma root
 * rwsems for read, inside the caller's mmap_lock (the lock order).
 */
bool pnm_check_vma_rmap(struct mm_struct *mm)
{
	struct pnm_vma_set *set = &mm->mm_vmas;
	bool ok = true;
	int i;

	mmap_assert_locked(mm);
	for (i = 0; i < set->nr && ok; i++) {
		struct vm_area_struct *vma = set->vmas[i];

		ok = check_vma_file_link(vma) && check_vma_anon_links(vma);
	}
	return ok;
}

/*
 * vma_modify_flags - give [start, end) of @vma the flags @new_flags, splitting off the parts
 * of @vma outside the range and merging the result with its neighbours.
 * Returns 0, -EAGAIN (a split had no memory) or the VMA's refusal of a
 * split (hugetlb: -EINVAL inside a huge page); the VMA is then as it was.
 * Caller holds mmap_lock for write (madvise, mlock).
 */
int vma_modify_flags(struct vm_area_struct *vma, unsigned long start, unsigned long end,
		     unsigned long new_flags)
{
	struct mm_struct *mm = vma->vm_mm;
	struct vm_area_struct *split_lo = NULL;
	int err;

	if (new_flags == vma->vm_flags)
		return 0;
	if (start > vma->vm_start) {
		err = split_vma(vma, start, 0);
		if (err)
			return err == -ENOMEM ? -EAGAIN : err;
		split_lo = vma;
		vma = vma_next(vma);
	}
	if (end < vma->vm_end) {
		err = split_vma(vma, end, 0);
		if (err) {
			if (split_lo)
				vma_unsplit(mm, split_lo, vma);
			return err == -ENOMEM ? -EAGAIN : err;
		}
	}
	WRITE_ONCE(vma->vm_flags, new_flags);
	vma_merge_neighbours(mm, vma);
	return 0;
}
