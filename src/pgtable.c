// SPDX-License-Identifier: MIT
/*
 * pgtable.c - walking, allocating, freeing and checking page tables.
 *
 * The model's page tables have the x86-64 4-level shape (PGD, PUD, PMD,
 * PTE; no P4D).  Every table is one arena frame taken from ZONE_NORMAL and
 * marked PG_table; its struct page carries the owning mm, its level and a
 * pointer to the table's lock (ptlock_ptr()), allocated beside the frame
 * by pnm_pgtable_alloc() and freed with it.  An upper-level entry holds
 * the pfn of the next table ORed with _PAGE_TABLE; the entries of that
 * table live at page_address(pfn_to_page(pfn)).
 *
 * Locking (see the lock order in mm_types.h):
 *   - PGD and PUD entries are populated under mm->page_table_lock;
 *   - PMD entries (a PTE table or a huge leaf) change under the PMD table's
 *     ptl (pmd_lock());
 *   - PTE entries change under the PTE table's ptl.
 * Tables are only freed with mmap_lock held for write (free_pgd_range) or
 * when the mm is dead (pgd_free), so a walker holding mmap_lock (either
 * mode) may keep pointers to upper-level entries.  Every table release goes
 * through pnm_pgtable_free(), which first waits for a lockless walker
 * (gup-fast, which holds no mmap_lock) that may be reading it to finish
 * its walk.
 *
 * Installing a table entry is a release store made after the new table was
 * zeroed and initialised; the acquire loads in the walkers below pair with
 * it, so a walker that finds the entry sees a zeroed table with a working
 * ptl.
 *
 * The second half of the file is the page-table checker, pnm_check_pgtables()
 * and pnm_check_mm(): table shape and accounting, leaf sanity against the
 * VMAs, RSS counters, and every leaf reachable through the reverse map.
 */
#include <stdlib.h>
#include <string.h>
#include "internal.h"
#include "rcu.h"

/* The struct page of the table frame that contains the entry at @entry. */
static struct page *table_page_of(const void *entry)
{
	unsigned long off = (unsigned long)((const unsigned char *)entry - pnm_mem.base);

	return pfn_to_page(off >> PAGE_SHIFT);
}

/* Host address of the entries of the table in frame @pfn. */
static void *table_entries(unsigned long pfn)
{
	return page_address(pfn_to_page(pfn));
}

/* An upper-level entry pointing at table frame @page. */
static pteval_t mk_table_entry(struct page *page)
{
	return (page_to_pfn(page) << PAGE_SHIFT) | _PAGE_TABLE;
}


/* Release store of an upper-level entry; pairs with pgdp_get()/pudp_get()
 * and pmdp_get_lockless() in the walkers (the table is seen initialised). */
static void set_pgd(pgd_t *pgdp, pgd_t pgd)
{
	__atomic_store_n(&pgdp->pgd, pgd_val(pgd), __ATOMIC_RELEASE);
}

static void set_pud(pud_t *pudp, pud_t pud)
{
	__atomic_store_n(&pudp->pud, pud_val(pud), __ATOMIC_RELEASE);
}

/* --- protection ----------------------------------------------------------- */

/*
 * vm_get_page_prot - the PTE protection bits for a VMA's flags.
 * Pure function.  Private writable mappings are read-only here: the write
 * fault decides per page whether it may be made writable (maybe_mkwrite).
 */
pteval_t vm_get_page_prot(unsigned long vm_flags)
{
	pteval_t prot = _PAGE_PRESENT | _PAGE_ACCESSED;

	if (vm_flags & VM_ACCESS_FLAGS)
		prot |= _PAGE_USER;
	if ((vm_flags & (VM_SHARED | VM_WRITE)) == (VM_SHARED | VM_WRITE))
		prot |= _PAGE_RW;
	return prot;
}

/* --- table frames --------------------------------------------------------- */

/*
 * pnm_pgtable_alloc - allocate one zeroed table frame for level @level of
 * @mm (1 = PTE .. 4 = PGD).  The frame is PG_table with pt_mm, pt_level and
 * its lock (ptlock_ptr()), which is allocated from the host beside the
 * frame, and is accounted in mm->pgtables_bytes and NR_PAGETABLE.  Returns
 * NULL if no frame is free or the host cannot allocate the lock (callers
 * report -ENOMEM either way).  No locks needed.
 */
struct page *pnm_pgtable_alloc(struct mm_struct *mm, int level)
{
	spinlock_t *ptl = pnm_malloc(PNM_FAULT_ALLOC, sizeof(*ptl));
	struct page *page;

	if (!ptl)
		return NULL;
	page = alloc_page(GFP_PGTABLE);
	if (!page) {
		free(ptl);
		return NULL;
	}
	spin_lock_init(ptl);
	/* The ptdesc fields share storage with lru/mapping/index/private. */
	page->ptl = ptl;
	WRITE_ONCE(page->pt_mm, mm);	/* the word read as compound_head */
	page->pt_level = (unsigned long)level;
	INIT_LIST_HEAD(&page->pt_deposit);
	SetPageTable(page);
	atomic_long_add(PAGE_SIZE, &mm->pgtables_bytes);
	mod_vm_stat(NR_PAGETABLE, 1);
	count_vm_event(PNM_PGTABLE_ALLOC);
	return page;
}

/*
 * Hand a table frame back to the page allocator: undo what
 * pnm_pgtable_alloc() did to the descriptor (PG_table, the lock, which is
 * freed here, the ptdesc fields) and drop the allocation's reference.  No
 * walker can reach the frame any more, nor take its lock.
 */
static void pgtable_release(struct page *table)
{
	VM_BUG_ON_PAGE(!list_empty(&table->pt_deposit), table);
	ClearPageTable(table);
	spin_lock_destroy(table->ptl);
	free(table->ptl);
	/* Hand the frame back with lru an empty list (its first word, which
	 * lockless readers see as compound_head, pt_mm before: stored with
	 * WRITE_ONCE by INIT_LIST_HEAD) and mapping/index/private cleared. */
	INIT_LIST_HEAD(&table->lru);
	WRITE_ONCE(table->mapping, NULL);
	table->index = 0;
	WRITE_ONCE(table->private, 0);
	folio_put(page_folio(table));
}

/*
 * pnm_pgtable_free - release a table frame that no entry points to any more
 * (its entry was cleared with a seq_cst exchange, or it was never
 * installed) and that maps nothing.  The single release point of table
 * frames.  The mm's accounting (pgtables_bytes, NR_PAGETABLE,
 * pnm_pgtable_free) is undone, and the frame goes back to the allocator
 * before the call returns: at once if no lockless walker (gup-fast) is
 * inside its walk -- one that starts now cannot find the unhooked table
 * (rcu.h explains the ordering: a membarrier(2) on this side, nothing
 * locked on the walker's), so a single-threaded caller pays one
 * uncontended RMW, no syscall -- else after the walks seen inside have
 * ended (pnm_lockless_walkers_sync(): a walk never blocks, so the wait is
 * short).  Not inside a lockless walk; any model lock may be held (rcu.h
 * says why).
 */
/* The accounting half of pnm_pgtable_free(): @table leaves @mm. */
static void pgtable_unaccount(struct mm_struct *mm, struct page *table)
{
	VM_WARN_ON_ONCE(table->pt_mm != mm);
	atomic_long_sub(PAGE_SIZE, &mm->pgtables_bytes);
	mod_vm_stat(NR_PAGETABLE, -1);
	count_vm_event(PNM_PGTABLE_FREE);
	WRITE_ONCE(table->pt_mm, NULL);
}

void pnm_pgtable_free(struct mm_struct *mm, struct page *table)
{
	pgtable_unaccount(mm, table);
	/* After the caller's seq_cst unhooking (F1 in rcu.h): F0, F2, F3
	 * and F4. */
	pnm_lockless_walkers_sync();
	pgtable_release(table);
}

/* --- walking -------------------------------------------------------------- */

/* pgd_offset - the PGD entry for @addr.  mm->pgd is set for a live mm. */
pgd_t *pgd_offset(struct mm_struct *mm, unsigned long addr)
{
	return (pgd_t *)mm->pgd + pgd_index(addr);
}

/* pud_offset - the PUD entry for @addr in the table *pgd points to (the
 * PGD entry must be present; acquire read pairs with set_pgd()). */
pud_t *pud_offset(pgd_t *pgd, unsigned long addr)
{
	return (pud_t *)table_entries(pgd_pfn(pgdp_get(pgd))) + pud_index(addr);
}

/* pmd_offset - the PMD entry for @addr in the table *pud points to. */
pmd_t *pmd_offset(pud_t *pud, unsigned long addr)
{
	return (pmd_t *)table_entries(pud_pfn(pudp_get(pud))) + pmd_index(addr);
}

/* pte_offset_kernel - the PTE for @addr in the PTE table *pmd points to
 * (acquire read pairs with the release store that installed the table). */
pte_t *pte_offset_kernel(pmd_t *pmd, unsigned long addr)
{
	return (pte_t *)table_entries(pmd_pfn(pmdp_get_lockless(pmd))) + pte_index(addr);
}

/*
 * pnm_pud_lookup - the PUD entry for @addr, or NULL if the PGD entry has
 * no PUD table.  Caller holds mmap_lock.
 */
pud_t *pnm_pud_lookup(struct mm_struct *mm, unsigned long addr)
{
	pgd_t *pgd = pgd_offset(mm, addr);

	if (!pgd_present(pgdp_get(pgd)))
		return NULL;
	return pud_offset(pgd, addr);
}

/*
 * pnm_pmd_lookup - the PMD entry for @addr, or NULL if the PUD or PMD
 * table is missing (a 1 GiB hugetlb leaf or migration entry in the PUD
 * is no table either).  Caller holds mmap_lock.
 */
pmd_t *pnm_pmd_lookup(struct mm_struct *mm, unsigned long addr)
{
	pud_t *pud = pnm_pud_lookup(mm, addr);
	pud_t val;

	if (!pud)
		return NULL;
	val = pudp_get(pud);
	if (!pud_present(val) || pud_leaf(val))
		return NULL;
	return pmd_offset(pud, addr);
}

/*
 * pnm_pud_alloc - the PUD entry for @addr, allocating the PUD table if it
 * is missing (installed under mm->page_table_lock; a racing installer
 * wins and our spare table is freed).  NULL on -ENOMEM.  Caller holds
 * mmap_lock.
 */
pud_t *pnm_pud_alloc(struct mm_struct *mm, unsigned long addr)
{
	pgd_t *pgd = pgd_offset(mm, addr);
	struct page *new;

	if (!pgd_present(pgdp_get(pgd))) {
		new = pnm_pgtable_alloc(mm, 3);
		if (!new)
			return NULL;
		spin_lock(&mm->page_table_lock);
		if (pgd_none(pgdp_get(pgd))) {
			set_pgd(pgd, __pgd(mk_table_entry(new)));
			new = NULL;
		}
		spin_unlock(&mm->page_table_lock);
		if (new)
			pnm_pgtable_free(mm, new);
	}
	return pud_offset(pgd, addr);
}

/*
 * pnm_pmd_alloc - the PMD entry for @addr, allocating the PUD and PMD
 * tables that are missing.  New tables are allocated unlocked and installed
 * under mm->page_table_lock; a racing installer wins and our spare table is
 * freed.  Returns NULL on -ENOMEM (tables installed so far stay: they are
 * empty and accounted), and, with a warning, where the PUD holds a 1 GiB
 * hugetlb entry (hugetlb VMAs never come here).  Caller holds mmap_lock.
 */
pmd_t *pnm_pmd_alloc(struct mm_struct *mm, unsigned long addr)
{
	pud_t *pud = pnm_pud_alloc(mm, addr);
	struct page *new;
	pud_t val;

	if (!pud)
		return NULL;
	val = pudp_get(pud);
	if (VM_WARN_ON_ONCE(pud_leaf(val) || (!pud_none(val) && !pud_present(val))))
		return NULL;
	if (!pud_present(val)) {
		new = pnm_pgtable_alloc(mm, 2);
		if (!new)
			return NULL;
		spin_lock(&mm->page_table_lock);
		if (pud_none(pudp_get(pud))) {
			set_pud(pud, __pud(mk_table_entry(new)));
			new = NULL;
		}
		spin_unlock(&mm->page_table_lock);
		if (new)
			pnm_pgtable_free(mm, new);
	}
	return pmd_offset(pud, addr);
}

/*
 * pmd_lock - take and return the lock of the PMD table holding @pmd.  It
 * serialises changes of PMD entries (PTE table installs, huge leaves).
 */
spinlock_t *pmd_lock(struct mm_struct *mm, pmd_t *pmd)
{
	spinlock_t *ptl = ptlock_ptr(table_page_of(pmd));

	(void)mm;
	spin_lock(ptl);
	return ptl;
}

/*
 * pte_lockptr - the lock of the PTE table *pmd points to (not taken).  The
 * caller has seen *pmd point to a PTE table and keeps it from being freed
 * (mmap_lock).
 */
spinlock_t *pte_lockptr(struct mm_struct *mm, pmd_t *pmd)
{
	(void)mm;
	return ptlock_ptr(pfn_to_page(pmd_pfn(pmdp_get_lockless(pmd))));
}

/*
 * __pte_alloc - make sure *pmd points to a PTE table.  A new table is
 * allocated without locks and installed under pmd_lock() if the entry is
 * still none.  Returns 0 (a table is there), -ENOMEM, or -EEXIST if the
 * entry is a huge leaf or a PMD migration entry.  Caller holds mmap_lock.
 */
int __pte_alloc(struct mm_struct *mm, pmd_t *pmd)
{
	pmd_t val = pmdp_get_lockless(pmd);
	struct page *new;
	spinlock_t *ptl;
	int ret = 0;

	if (pmd_is_table(val))
		return 0;
	if (!pmd_none(val))
		return -EEXIST;
	new = pnm_pgtable_alloc(mm, 1);
	if (!new)
		return -ENOMEM;
	ptl = pmd_lock(mm, pmd);
	val = pmdp_get(pmd);
	if (pmd_none(val)) {
		set_pmd_at(mm, 0, pmd, __pmd(mk_table_entry(new)));
		new = NULL;
	} else if (!pmd_is_table(val)) {
		ret = -EEXIST;
	}
	spin_unlock(ptl);
	if (new)
		pnm_pgtable_free(mm, new);
	return ret;
}

/*
 * pte_offset_map_lock - lock the PTE table *pmd points to and return the
 * entry for @addr, with *ptlp held.  After taking the lock *pmd is read
 * again: if it no longer points to the same table (zapped, replaced, made
 * huge) the lock is dropped and NULL returned.  NULL (nothing held) also
 * if *pmd is none, huge or a migration entry.  Caller holds mmap_lock.
 */
pte_t *pte_offset_map_lock(struct mm_struct *mm, pmd_t *pmd, unsigned long addr,
			   spinlock_t **ptlp)
{
	pmd_t val = pmdp_get_lockless(pmd);
	spinlock_t *ptl;

	(void)mm;
	if (!pmd_is_table(val))
		return NULL;
	ptl = ptlock_ptr(pfn_to_page(pmd_pfn(val)));
	spin_lock(ptl);
	if (!pmd_same(pmdp_get(pmd), val)) {
		spin_unlock(ptl);
		return NULL;
	}
	*ptlp = ptl;
	return (pte_t *)table_entries(pmd_pfn(val)) + pte_index(addr);
}

/*
 * pte_alloc_map_lock - allocate the PTE table under *pmd if missing, then
 * pte_offset_map_lock().  NULL on -ENOMEM, or if *pmd is (or became) huge.
 */
pte_t *pte_alloc_map_lock(struct mm_struct *mm, pmd_t *pmd, unsigned long addr,
			  spinlock_t **ptlp)
{
	if (__pte_alloc(mm, pmd))
		return NULL;
	return pte_offset_map_lock(mm, pmd, addr, ptlp);
}

/* --- the PGD and freeing tables ----------------------------------------- */

/*
 * pgd_alloc - allocate the top-level table of a new mm.  0 or -ENOMEM
 * (mm->pgd left NULL).
 */
int pgd_alloc(struct mm_struct *mm)
{
	struct page *page = pnm_pgtable_alloc(mm, 4);

	if (!page)
		return -ENOMEM;
	mm->pgd = page_address(page);
	return 0;
}

/* True if every entry of the table at @entries is none. */
static bool table_is_empty(const unsigned long *entries)
{
	for (int i = 0; i < PTRS_PER_PTE; i++)
		if (__atomic_load_n(&entries[i], __ATOMIC_RELAXED))
			return false;
	return true;
}

/*
 * Free the table of level @level in frame @pfn and every table below it.
 * Used on a dead mm only: leaf entries found here are a bug of whoever tore
 * the mm down (their pages are leaked rather than freed behind rmap's back).
 */
static void free_table_tree(struct mm_struct *mm, unsigned long pfn, int level)
{
	unsigned long *entries = table_entries(pfn);

	for (int i = 0; i < PTRS_PER_PTE; i++) {
		unsigned long e = entries[i];

		if (!e)
			continue;
		if (level > 1 && (e & _PAGE_PRESENT) && !(e & _PAGE_PSE)) {
			free_table_tree(mm, (e & _PAGE_PFN_MASK) >> PAGE_SHIFT, level - 1);
			continue;
		}
		VM_WARN_ON_ONCE(1);	/* a leaf survived exit_mmap */
	}
	pnm_pgtable_free(mm, pfn_to_page(pfn));
}

/*
 * pgd_free - free the PGD and every table still hanging from it.  Called
 * once the mm is dead (no user, no walker); exit_mmap has zapped every
 * mapping before.
 */
void pgd_free(struct mm_struct *mm)
{
	struct page *page;

	if (!mm->pgd)
		return;
	page = table_page_of(mm->pgd);
	mm->pgd = NULL;
	free_table_tree(mm, page_to_pfn(page), 4);
}

/* True if [start, start + size) lies inside [floor, ceiling); ceiling 0
 * means the top of the address space (Linux's convention). */
static bool span_within(unsigned long start, unsigned long size,
			unsigned long floor, unsigned long ceiling)
{
	return start >= floor && start + size - 1 <= ceiling - 1;
}

/* Tables free_pgd_range() unhooked and frees after one wait for the
 * walkers (a membarrier per table otherwise, when other threads walk). */
#define FREE_BATCH	64

struct free_range {
	struct mm_struct *mm;
	unsigned long floor, ceiling;
	unsigned int nr_pending;
	struct page *pending[FREE_BATCH];	/* unhooked, unaccounted */
};

/* Release the pending tables: every one was unhooked with a seq_cst
 * exchange (F1 in rcu.h) before this one wait (F0, F2, F3, F4). */
static void free_range_flush(struct free_range *fr)
{
	if (!fr->nr_pending)
		return;
	pnm_lockless_walkers_sync();
	for (unsigned int i = 0; i < fr->nr_pending; i++)
		pgtable_release(fr->pending[i]);
	fr->nr_pending = 0;
}

/*
 * Clear entry @entry (pointing to table @child of span @size at @start)
 * and free @child if it is empty and its span is inside floor..ceiling.
 * @lock serialises changes of @entry.
 */
static void maybe_free_child(struct free_range *fr, unsigned long *entry,
			     spinlock_t *lock, unsigned long start, unsigned long size)
{
	unsigned long e = __atomic_load_n(entry, __ATOMIC_RELAXED);
	unsigned long pfn = (e & _PAGE_PFN_MASK) >> PAGE_SHIFT;

	if (!span_within(start, size, fr->floor, fr->ceiling))
		return;
	if (!table_is_empty(table_entries(pfn)))
		return;
	spin_lock(lock);
	/* seq_cst exchange: pairs with a lockless walker's re-check of the
	 * upper entry (GUP-fast); the frame itself is released below. */
	__atomic_exchange_n(entry, 0UL, __ATOMIC_SEQ_CST);
	spin_unlock(lock);
	pgtable_unaccount(fr->mm, pfn_to_page(pfn));
	fr->pending[fr->nr_pending++] = pfn_to_page(pfn);
	if (fr->nr_pending == FREE_BATCH)
		free_range_flush(fr);
}

static void free_pmd_range(struct free_range *fr, pud_t *pud,
			   unsigned long addr, unsigned long end)
{
	pmd_t *pmd = pmd_offset(pud, addr);
	unsigned long next;

	for (; addr < end; addr = next, pmd++) {
		pmd_t val = pmdp_get(pmd);

		next = (addr + PMD_SIZE) & PMD_MASK;
		if (next - 1 > end - 1)
			next = end;
		if (!pmd_is_table(val))
			continue;
		maybe_free_child(fr, &pmd->pmd, ptlock_ptr(table_page_of(pmd)),
				 addr & PMD_MASK, PMD_SIZE);
	}
}

static void free_pud_range(struct free_range *fr, pgd_t *pgd,
			   unsigned long addr, unsigned long end)
{
	pud_t *pud = pud_offset(pgd, addr);
	unsigned long next;

	for (; addr < end; addr = next, pud++) {
		next = (addr + PUD_SIZE) & PUD_MASK;
		if (next - 1 > end - 1)
			next = end;
		/* none, a hugetlb leaf or migration entry: no table below */
		if (!pud_present(pudp_get(pud)) || pud_leaf(pudp_get(pud)))
			continue;
		free_pmd_range(fr, pud, addr, next);
		maybe_free_child(fr, &pud->pud, &fr->mm->page_table_lock,
				 addr & PUD_MASK, PUD_SIZE);
	}
}

/*
 * free_pgd_range - free the PTE, PMD and PUD tables reached from
 * [addr, end) whose whole span lies inside [floor, ceiling) (ceiling 0 =
 * top of the address space) and that map nothing any more.  Tables that
 * still hold an entry are kept, so a partial zap never frees a live table.
 * The frames go back FREE_BATCH at a time, each batch after one wait for
 * the lockless walkers (pnm_pgtable_free() would wait per table), all of
 * them before the call returns.  Caller holds mmap_lock for write and has
 * zapped [addr, end).
 */
void free_pgd_range(struct mm_struct *mm, unsigned long addr, unsigned long end,
		    unsigned long floor, unsigned long ceiling)
{
	struct free_range fr = { .mm = mm, .floor = floor, .ceiling = ceiling };
	unsigned long next;
	pgd_t *pgd;

	mmap_assert_write_locked(mm);
	if (addr >= end)
		return;
	pgd = pgd_offset(mm, addr);
	for (; addr < end; addr = next, pgd++) {
		next = (addr + PGDIR_SIZE) & PGDIR_MASK;
		if (next - 1 > end - 1)
			next = end;
		if (!pgd_present(pgdp_get(pgd)))
			continue;
		free_pud_range(&fr, pgd, addr, next);
		maybe_free_child(&fr, &pgd->pgd, &mm->page_table_lock,
				 addr & PGDIR_MASK, PGDIR_SIZE);
	}
	free_range_flush(&fr);
}

/* --- the checker --------------------------------------------------------- */

enum leaf_level { LEAF_PTE = 1, LEAF_PMD = 2 };

struct check_state {
	struct mm_struct *mm;
	bool ok;
	bool nomem;			/* record_leaf() had no host memory */
	unsigned long tables;
	long rss[NR_MM_COUNTERS];
	long hugetlb;			/* base pages of hugetlb leaves */
	/* head pfns of the folios mapped, one per leaf (sorted later) */
	unsigned long *folios;
	size_t nr_leaves, cap_leaves;
};

static bool check_failf(struct check_state *cs, bool ok)
{
	if (!ok)
		cs->ok = false;
	return ok;
}

#define CHECK(cs, cond, fmt, ...)					\
	check_failf((cs), (cond) ||					\
		    pnm_check_fail("pgtable pid %d: " fmt, (cs)->mm->owner_pid, \
				   ##__VA_ARGS__))

/* Note the folio of a present leaf mapping @pfn (check_mapped_refs). */
static bool record_leaf(struct check_state *cs, unsigned long pfn)
{
	if (cs->nomem)		/* said once; the rest of the walk is moot */
		return false;
	if (cs->nr_leaves == cs->cap_leaves) {
		size_t cap = cs->cap_leaves ? 2 * cs->cap_leaves : 256;
		unsigned long *f = realloc(cs->folios, cap * sizeof(*f));

		if (!f) {
			cs->nomem = true;
			return check_failf(cs, pnm_check_nomem("pnm_check_pgtables"));
		}
		cs->folios = f;
		cs->cap_leaves = cap;
	}
	cs->folios[cs->nr_leaves] = folio_pfn(pfn_folio(pfn));
	cs->nr_leaves++;
	return true;
}

/*
 * Would a walk of @folio's reverse map find the leaf at @addr of @vma
 * mapping its page @idx?  Its VMA must be linked to the folio's anon_vma
 * (anon) or be in its mapping's i_mmap (file), and the page's offset must
 * be the one @addr has in the VMA.  Caller holds mmap_lock (the VMA's
 * links are stable).
 */
static bool leaf_reachable(struct folio *folio, unsigned long idx,
			   struct vm_area_struct *vma, unsigned long addr,
			   const char **why)
{
	if (linear_page_index(vma, addr) != folio->index + idx) {
		*why = "the page's index is not the VMA's offset of the address";
		return false;
	}
	if (folio_test_anon(folio)) {
		struct anon_vma *av = folio_anon_vma(folio);
		struct anon_vma_chain *avc;

		list_for_each_entry(avc, &vma->anon_vma_chain, same_vma)
			if (avc->anon_vma == av)
				return true;
		*why = "the VMA is not linked to the folio's anon_vma";
		return false;
	}
	if (!vma->vm_file || vma->vm_file->f_mapping != folio_mapping(folio)) {
		*why = "the folio belongs to another mapping than the VMA's file";
		return false;
	}
	if (!interval_tree_node_linked(&vma->shared)) {
		*why = "the VMA is not in its file's i_mmap";
		return false;
	}
	return true;
}

/* Exactly a table pointer: a pfn and _PAGE_TABLE, no other bit. */
static bool is_table_entry(pteval_t e)
{
	return e == ((e & _PAGE_PFN_MASK) | _PAGE_TABLE);
}

static int mm_counter_of(struct folio *folio)
{
	if (folio_test_anon(folio))
		return MM_ANONPAGES;
	return folio_test_swapbacked(folio) ? MM_SHMEMPAGES : MM_FILEPAGES;
}

/* A table frame referenced by an entry of the level above. */
static bool check_table_frame(struct check_state *cs, unsigned long pfn, int level,
			      unsigned long addr)
{
	struct page *page;

	if (!CHECK(cs, pfn_valid(pfn), "level %d table for %#lx: bad pfn %#lx",
		   level, addr, pfn))
		return false;
	page = pfn_to_page(pfn);
	cs->tables++;
	return CHECK(cs, PageTable(page) && page->pt_mm == cs->mm &&
			 page->pt_level == (unsigned long)level &&
			 page_zonenum(page) == ZONE_NORMAL && ptlock_ptr(page) &&
			 !PageTail(page),
		     "level %d table pfn %#lx for %#lx: table=%d mm ok=%d level %lu zone %d lock %p",
		     level, pfn, addr, PageTable(page), page->pt_mm == cs->mm,
		     page->pt_level, page_zonenum(page), (void *)ptlock_ptr(page));
}

/* Common checks of a present leaf mapping @pfn at @addr (PTE or PMD). */
static void check_leaf(struct check_state *cs, unsigned long addr, pteval_t e,
		       enum leaf_level level)
{
	unsigned long pfn = (e & _PAGE_PFN_MASK) >> PAGE_SHIFT;
	unsigned long size = level == LEAF_PMD ? PMD_SIZE : PAGE_SIZE;
	const char *why = NULL;
	struct vm_area_struct *vma = vma_lookup(cs->mm, addr);
	struct folio *folio;
	struct page *page;

	if (!CHECK(cs, vma && addr + size <= vma->vm_end,
		   "leaf %#lx (%s) outside any VMA", addr,
		   level == LEAF_PMD ? "pmd" : "pte"))
		return;
	CHECK(cs, !(e & _PAGE_RW) || (vma->vm_flags & VM_WRITE),
	      "writable leaf %#lx in a VMA without VM_WRITE", addr);
	CHECK(cs, !!(e & _PAGE_USER) == !!(vma->vm_flags & VM_ACCESS_FLAGS),
	      "leaf %#lx: user bit %d but VMA access flags %#lx", addr,
	      !!(e & _PAGE_USER), vma->vm_flags & VM_ACCESS_FLAGS);
	if (!CHECK(cs, pfn_valid(pfn), "leaf %#lx: bad pfn %#lx", addr, pfn))
		return;
	if (e & _PAGE_SPECIAL) {
		/* The zero page, a raw pfn, or (PMD) the whole huge zero page
		 * in a private anonymous VMA; none is counted anywhere. */
		if (level == LEAF_PMD)
			CHECK(cs, is_huge_zero_folio(pfn_folio(pfn)) &&
				  folio_pfn(pfn_folio(pfn)) == pfn && IS_ALIGNED(addr, PMD_SIZE) &&
				  vma_is_anonymous(vma) && !(vma->vm_flags & VM_SHARED),
			      "special pmd leaf %#lx maps pfn %#lx (not the huge zero page)",
			      addr, pfn);
		else
			CHECK(cs, is_zero_pfn(pfn) || (vma->vm_flags & VM_PFNMAP),
			      "special leaf %#lx maps pfn %#lx (not the zero page)", addr, pfn);
		CHECK(cs, !(e & _PAGE_RW), "zero page mapped writable at %#lx", addr);
		return;
	}
	CHECK(cs, !is_huge_zero_pfn(pfn),
	      "leaf %#lx maps the huge zero page (pfn %#lx) without the special bit",
	      addr, pfn);
	page = pfn_to_page(pfn);
	folio = page_folio(page);
	if (!CHECK(cs, !is_zero_pfn(pfn) && !PageTable(page) && !PageBuddy(&folio->page) &&
			 folio_ref_count(folio) > 0,
		   "leaf %#lx maps pfn %#lx that is not an allocated folio "
		   "(zero %d table %d buddy %d ref %d)", addr, pfn, is_zero_pfn(pfn),
		   PageTable(page), PageBuddy(&folio->page), folio_ref_count(folio)))
		return;
	if (level == LEAF_PMD) {
		if (!CHECK(cs, folio_order(folio) == HPAGE_PMD_ORDER && &folio->page == page &&
				 IS_ALIGNED(addr, PMD_SIZE),
			   "pmd leaf %#lx maps pfn %#lx of a folio of order %u", addr,
			   pfn, folio_order(folio)))
			return;
		cs->rss[mm_counter_of(folio)] += HPAGE_PMD_NR;
	} else {
		cs->rss[mm_counter_of(folio)]++;
	}
	if (folio_test_anon(folio))
		CHECK(cs, !(e & _PAGE_RW) || PageAnonExclusive(page),
		      "writable anon leaf %#lx maps a non-exclusive page %#lx", addr, pfn);
	else
		CHECK(cs, !(e & _PAGE_RW) || (vma->vm_flags & VM_SHARED),
		      "writable leaf %#lx maps file page %#lx in a private mapping",
		      addr, pfn);
	if (!record_leaf(cs, pfn))
		return;
	CHECK(cs, leaf_reachable(folio, pfn - folio_pfn(folio), vma, addr, &why),
	      "leaf %#lx (pfn %#lx, %s) not found by the reverse map: %s", addr, pfn,
	      level == LEAF_PMD ? "pmd" : "pte", why);
	CHECK(cs, level == LEAF_PMD ? folio_entire_mapcount(folio) > 0
				    : atomic_read(&page->_mapcount) > 0,
	      "leaf %#lx (pfn %#lx, %s) but the mapcount is zero", addr, pfn,
	      level == LEAF_PMD ? "pmd" : "pte");
}

/* A non-present, non-none entry: a migration entry, or (PTE level) a swap
 * entry of the swap device, counted in MM_SWAPENTS (its slot's count is
 * pnm_check_swap()'s part). */
static void check_swap_entry(struct check_state *cs, unsigned long addr, pteval_t e,
			     bool pte)
{
	swp_entry_t entry = { e };

	if (pte && !non_swap_entry(entry)) {
		struct vm_area_struct *vma = vma_lookup(cs->mm, addr);

		cs->rss[MM_SWAPENTS]++;
		CHECK(cs, swp_offset(entry) &&
			  !(e & ~(_PAGE_PFN_MASK | _PAGE_SWP_EXCLUSIVE | _PAGE_SWP_SOFT_DIRTY)),
		      "swap entry %#lx at %#lx is malformed", e, addr);
		CHECK(cs, vma && !(vma->vm_flags & VM_SHARED),
		      "swap entry at %#lx outside any private VMA", addr);
		return;
	}
	if (!CHECK(cs, is_migration_entry(entry) &&
			 !(e & ~(_PAGE_PFN_MASK | 0x3eUL | _PAGE_SWP_FLAGS)),
		   "entry %#lx at %#lx is neither present nor a migration entry", e, addr))
		return;
	CHECK(cs, pfn_valid(swp_offset_pfn(entry)),
	      "migration entry at %#lx names bad pfn %#lx", addr, swp_offset_pfn(entry));
	CHECK(cs, vma_lookup(cs->mm, addr) != NULL,
	      "migration entry at %#lx outside any VMA", addr);
}

static void check_pte_table(struct check_state *cs, pmd_t *pmd, unsigned long base)
{
	spinlock_t *ptl;
	pte_t *pte = pte_offset_map_lock(cs->mm, pmd, base, &ptl);

	if (!CHECK(cs, pte != NULL, "PTE table for %#lx vanished", base))
		return;
	for (int i = 0; i < PTRS_PER_PTE; i++) {
		unsigned long addr = base + ((unsigned long)i << PAGE_SHIFT);
		pte_t entry = ptep_get(pte + i);

		if (pte_none(entry))
			continue;
		if (!pte_present(entry)) {
			check_swap_entry(cs, addr, pte_val(entry), true);
			continue;
		}
		CHECK(cs, !(pte_val(entry) & _PAGE_PSE), "PTE %#lx has the PSE bit", addr);
		check_leaf(cs, addr, pte_val(entry), LEAF_PTE);
	}
	pte_unmap_unlock(pte, ptl);
}

static void check_pmd_table(struct check_state *cs, pud_t *pud, unsigned long base)
{
	pmd_t *pmd = pmd_offset(pud, base);

	/* PTE tables deposited with huge PMDs are accounted but unreachable. */
	cs->tables += pnm_thp_nr_deposited(table_page_of(pmd));
	for (int i = 0; i < PTRS_PER_PMD; i++, pmd++) {
		unsigned long addr = base + ((unsigned long)i << PMD_SHIFT);
		pmd_t val = pmdp_get(pmd);
		spinlock_t *ptl;

		if (pmd_none(val))
			continue;
		if (!pmd_present(val)) {
			check_swap_entry(cs, addr, pmd_val(val), false);
			continue;
		}
		if (pmd_is_table(val)) {
			if (!CHECK(cs, is_table_entry(pmd_val(val)),
				   "PMD %#lx: malformed table entry %#lx", addr, pmd_val(val)))
				continue;
			if (check_table_frame(cs, pmd_pfn(val), 1, addr))
				check_pte_table(cs, pmd, addr);
			continue;
		}
		ptl = pmd_lock(cs->mm, pmd);
		val = pmdp_get(pmd);
		if (pmd_trans_huge(val)) {
			struct vm_area_struct *vma = vma_lookup(cs->mm, addr);

			/* A 2 MiB hugetlb page: hugetlb_fault.c knows. */
			if (vma && is_vm_hugetlb_page(vma)) {
				if (check_failf(cs, hugetlb_check_leaf(cs->mm, addr, pmd_val(val),
								       HUGETLB_PMD_ORDER,
								       &cs->hugetlb)))
					record_leaf(cs, pmd_pfn(val));
			} else {
				check_leaf(cs, addr, pmd_val(val), LEAF_PMD);
			}
		}
		spin_unlock(ptl);
	}
}

static void check_pud_table(struct check_state *cs, pgd_t *pgd, unsigned long base)
{
	pud_t *pud = pud_offset(pgd, base);

	for (int i = 0; i < PTRS_PER_PUD; i++, pud++) {
		unsigned long addr = base + ((unsigned long)i << PUD_SHIFT);
		pud_t val = pudp_get(pud);

		if (pud_none(val))
			continue;
		if (!pud_present(val)) {	/* a 1 GiB hugetlb page migrating */
			check_swap_entry(cs, addr, pud_val(val), false);
			continue;
		}
		if (pud_leaf(val)) {		/* a 1 GiB hugetlb page */
			spin_lock(&cs->mm->page_table_lock);
			val = pudp_get(pud);
			if (pud_leaf(val) &&
			    check_failf(cs, hugetlb_check_leaf(cs->mm, addr, pud_val(val),
							       HUGETLB_PUD_ORDER, &cs->hugetlb)))
				record_leaf(cs, pud_pfn(val));
			spin_unlock(&cs->mm->page_table_lock);
			continue;
		}
		if (!CHECK(cs, is_table_entry(pud_val(val)),
			   "PUD %#lx: malformed entry %#lx", addr, pud_val(val)))
			continue;
		if (check_table_frame(cs, pud_pfn(val), 2, addr))
			check_pmd_table(cs, pud, addr);
	}
}

static int cmp_ulong(const void *a, const void *b)
{
	unsigned long x = *(const unsigned long *)a, y = *(const unsigned long *)b;

	return x < y ? -1 : x > y;
}

/*
 * Per folio mapped by this mm: its references cover at least this mm's
 * mappings.  (That the mapcounts equal what the reverse map finds across
 * every mm is pnm_check_folio()'s part.)
 */
static void check_mapped_refs(struct check_state *cs)
{
	size_t n = cs->nr_leaves;

	if (!n)		/* no leaves: nothing to match (and qsort(NULL) is UB) */
		return;
	qsort(cs->folios, n, sizeof(*cs->folios), cmp_ulong);
	for (size_t i = 0; i < n; i++) {
		struct folio *folio = pfn_folio(cs->folios[i]);
		long mapped = 0;

		if (i && cs->folios[i] == cs->folios[i - 1])
			continue;
		for (size_t j = i; j < n && cs->folios[j] == cs->folios[i]; j++)
			mapped++;
		CHECK(cs, folio_ref_count(folio) >= mapped,
		      "folio %#lx: refcount %d below the %ld mappings of this mm",
		      folio_pfn(folio), folio_ref_count(folio), mapped);
	}
}

/*
 * pnm_check_pgtables - check the page tables of @mm (contract in
 * pgtable.h): table frames, entry formats, leaves against VMAs and folios,
 * RSS counters and pgtables_bytes against what the tables hold, each leaf
 * reachable through the reverse map with a non-zero mapcount, and the
 * reverse-map links of the VMAs.  Caller holds mmap_lock (any mode) and no
 * ptl; takes the table locks and the reverse-map locks for read.
 */
bool pnm_check_pgtables(struct mm_struct *mm)
{
	struct check_state cs = { .mm = mm, .ok = true };
	static const char *const rss_name[NR_MM_COUNTERS] = {
		"file", "anon", "swapents", "shmem"
	};
	pgd_t *pgd;

	if (!mm->pgd) {
		/* Torn down by exit_mmap: nothing may be left accounted. */
		CHECK(&cs, atomic_long_read(&mm->pgtables_bytes) == 0,
		      "dead mm: pgtables_bytes %ld", atomic_long_read(&mm->pgtables_bytes));
		for (int i = 0; i < NR_MM_COUNTERS; i++)
			CHECK(&cs, get_mm_counter(mm, i) == 0, "dead mm: rss %s %ld",
			      rss_name[i], get_mm_counter(mm, i));
		CHECK(&cs, atomic_long_read(&mm->hugetlb_usage) == 0, "dead mm: hugetlb_usage %ld",
		      atomic_long_read(&mm->hugetlb_usage));
		return cs.ok;
	}
	pgd = (pgd_t *)mm->pgd;
	if (check_table_frame(&cs, page_to_pfn(table_page_of(pgd)), 4, 0)) {
		for (int i = 0; i < PTRS_PER_PGD; i++) {
			unsigned long addr = (unsigned long)i << PGDIR_SHIFT;
			pgd_t val = pgdp_get(pgd + i);

			if (pgd_none(val))
				continue;
			if (!CHECK(&cs, addr < TASK_SIZE && is_table_entry(pgd_val(val)),
				   "PGD %#lx: malformed entry %#lx", addr, pgd_val(val)))
				continue;
			if (check_table_frame(&cs, pgd_pfn(val), 3, addr))
				check_pud_table(&cs, pgd + i, addr);
		}
	}
	CHECK(&cs, atomic_long_read(&mm->pgtables_bytes) == (long)(cs.tables * PAGE_SIZE),
	      "pgtables_bytes %ld but %lu tables found",
	      atomic_long_read(&mm->pgtables_bytes), cs.tables);
	for (int i = 0; i < NR_MM_COUNTERS; i++)
		CHECK(&cs, get_mm_counter(mm, i) == cs.rss[i],
		      "rss %s counter %ld but the tables map %ld pages", rss_name[i],
		      get_mm_counter(mm, i), cs.rss[i]);
	CHECK(&cs, atomic_long_read(&mm->hugetlb_usage) == cs.hugetlb,
	      "hugetlb_usage %ld but the tables map %ld hugetlb pages",
	      atomic_long_read(&mm->hugetlb_usage), cs.hugetlb);
	if (cs.ok)
		check_mapped_refs(&cs);
	free(cs.folios);
	return cs.ok;
}

/*
 * pnm_check_mm - the full check of one mm: its VMAs (pnm_check_vmas), their
 * reverse-map links (pnm_check_vma_rmap) and its page tables
 * (pnm_check_pgtables).  Takes mmap_lock for read.
 */
bool pnm_check_mm(struct mm_struct *mm)
{
	bool ok;

	mmap_read_lock(mm);
	ok = pnm_check_vmas(mm);
	ok = pnm_check_vma_rmap(mm) && ok;
	ok = pnm_check_pgtables(mm) && ok;
	/* The smaps view trusts the tables: only over sound ones (the
	 * tables' own report is the one to read otherwise). */
	ok = ok && pnm_check_smaps(mm);
	ok = pnm_check_mmu_notifiers(mm) && ok;
	mmap_read_unlock(mm);
	return ok;
}
