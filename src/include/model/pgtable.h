/* SPDX-License-Identifier: MIT */
/*
 * pgtable.h - x86-64-style 4-level page tables.
 *
 * Each table is one arena frame of 512 eight-byte entries (PG_table set on
 * its struct page, which points to the table's lock, ptlock_ptr()).  Levels:
 *
 *   PGD  bits 47..39    PUD  bits 38..30    PMD  bits 29..21    PTE  bits 20..12
 *
 * Entry format (pteval_t):
 *   present:   pfn << 12 | _PAGE_PRESENT | _PAGE_RW? | _PAGE_USER |
 *              _PAGE_ACCESSED? | _PAGE_DIRTY? | _PAGE_PSE (PMD leaf) |
 *              _PAGE_SPECIAL (no struct page refcounting: the zero
 *              page, the huge zero page)
 *   not present, non-zero: a swap-style entry, type in bits 1..5:
 *              type 0 (< MAX_SWAPFILES) is a real swap entry of the swap
 *              device, its slot in bits 12.., exclusive (bit 7) and
 *              soft-dirty (bit 11) kept from the mapping it replaced;
 *              types 1..3 are migration entries, pfn in bits 12.., and
 *              what the replaced mapping had: accessed (bit 8), dirty
 *              (bit 6), soft-dirty (bit 11)
 *   zero:      none
 *
 * Memory ordering: entries are read with relaxed atomic loads (ptep_get)
 * so that lockless readers (gup-fast, issue 4) are race-free; they are
 * written only under the table's ptl.  Clearing an entry that maps a page
 * (ptep_get_and_clear, pmdp_huge_get_and_clear) is a seq_cst exchange: it
 * pairs with gup-fast's "take reference, then re-read the entry" so that
 * either the walker sees the cleared entry or the clearer sees the new
 * reference (mm/gup.c's documented protocol).  Installing an entry is a
 * release store, pairing with the acquire in the lockless walk so the
 * walker sees an initialised folio.
 */
#ifndef PNM_MODEL_PGTABLE_H
#define PNM_MODEL_PGTABLE_H

#include <model/mm_types.h>

#define PAGE_SHIFT	12
#define PAGE_SIZE	(1UL << PAGE_SHIFT)
#define PAGE_MASK	(~(PAGE_SIZE - 1))
#define PMD_SHIFT	21
#define PMD_SIZE	(1UL << PMD_SHIFT)
#define PMD_MASK	(~(PMD_SIZE - 1))
#define PUD_SHIFT	30
#define PUD_SIZE	(1UL << PUD_SHIFT)
#define PUD_MASK	(~(PUD_SIZE - 1))
#define PGDIR_SHIFT	39
#define PGDIR_SIZE	(1UL << PGDIR_SHIFT)
#define PGDIR_MASK	(~(PGDIR_SIZE - 1))
#define PTRS_PER_PTE	512
#define PTRS_PER_PMD	512
#define PTRS_PER_PUD	512
#define PTRS_PER_PGD	512
#define HPAGE_PMD_ORDER	(PMD_SHIFT - PAGE_SHIFT)
#define HPAGE_PMD_NR	(1UL << HPAGE_PMD_ORDER)
#define HPAGE_PMD_SIZE	PMD_SIZE

/* User address space: [mmap_min_addr, TASK_SIZE). */
#define TASK_SIZE	((1UL << 47) - PAGE_SIZE)
#define MMAP_MIN_ADDR	0x10000UL
#define MMAP_BASE	0x7f0000000000UL	/* top-down search start */

typedef unsigned long pteval_t;
typedef struct { pteval_t pte; } pte_t;
typedef struct { pteval_t pmd; } pmd_t;
typedef struct { pteval_t pud; } pud_t;
typedef struct { pteval_t pgd; } pgd_t;

#define _PAGE_PRESENT	(1UL << 0)
#define _PAGE_RW	(1UL << 1)
#define _PAGE_USER	(1UL << 2)
#define _PAGE_ACCESSED	(1UL << 5)
#define _PAGE_DIRTY	(1UL << 6)
#define _PAGE_PSE	(1UL << 7)	/* PMD/PUD leaf (huge) */
#define _PAGE_SPECIAL	(1UL << 9)	/* no refcounted struct page */
#define _PAGE_SOFT_DIRTY (1UL << 11)
#define _PAGE_PFN_MASK	0x000ffffffffff000UL
#define _PAGE_TABLE	(_PAGE_PRESENT | _PAGE_RW | _PAGE_USER | _PAGE_ACCESSED)

/* pte constructors and predicates (pure functions on values) */
static inline pte_t __pte(pteval_t v) { return (pte_t){ v }; }
static inline pteval_t pte_val(pte_t p) { return p.pte; }
static inline pmd_t __pmd(pteval_t v) { return (pmd_t){ v }; }
static inline pteval_t pmd_val(pmd_t p) { return p.pmd; }
static inline pud_t __pud(pteval_t v) { return (pud_t){ v }; }
static inline pteval_t pud_val(pud_t p) { return p.pud; }
static inline pgd_t __pgd(pteval_t v) { return (pgd_t){ v }; }
static inline pteval_t pgd_val(pgd_t p) { return p.pgd; }

static inline bool pte_none(pte_t p) { return p.pte == 0; }
static inline bool pte_present(pte_t p) { return p.pte & _PAGE_PRESENT; }
static inline bool pte_write(pte_t p) { return p.pte & _PAGE_RW; }
static inline bool pte_dirty(pte_t p) { return p.pte & _PAGE_DIRTY; }
static inline bool pte_young(pte_t p) { return p.pte & _PAGE_ACCESSED; }
static inline bool pte_special(pte_t p) { return p.pte & _PAGE_SPECIAL; }
/* Present but not user-accessible: a PROT_NONE mapping keeps its PTEs with
 * _PAGE_USER clear, so every access faults (and is refused by the VMA). */
static inline bool pte_protnone(pte_t p) { return (p.pte & (_PAGE_PRESENT | _PAGE_USER)) == _PAGE_PRESENT; }
static inline unsigned long pte_pfn(pte_t p) { return (p.pte & _PAGE_PFN_MASK) >> PAGE_SHIFT; }
static inline pte_t pte_mkwrite(pte_t p) { return __pte(p.pte | _PAGE_RW); }
static inline pte_t pte_wrprotect(pte_t p) { return __pte(p.pte & ~_PAGE_RW); }
static inline pte_t pte_mkdirty(pte_t p) { return __pte(p.pte | _PAGE_DIRTY | _PAGE_SOFT_DIRTY); }
static inline pte_t pte_mkclean(pte_t p) { return __pte(p.pte & ~_PAGE_DIRTY); }
static inline pte_t pte_mkyoung(pte_t p) { return __pte(p.pte | _PAGE_ACCESSED); }
static inline pte_t pte_mkold(pte_t p) { return __pte(p.pte & ~_PAGE_ACCESSED); }
static inline pte_t pte_mkspecial(pte_t p) { return __pte(p.pte | _PAGE_SPECIAL); }
static inline bool pte_same(pte_t a, pte_t b) { return a.pte == b.pte; }

static inline bool pmd_none(pmd_t p) { return p.pmd == 0; }
static inline bool pmd_present(pmd_t p) { return p.pmd & _PAGE_PRESENT; }
/* A present PMD that maps a 2 MiB folio directly (not a PTE table). */
static inline bool pmd_trans_huge(pmd_t p) { return (p.pmd & (_PAGE_PRESENT | _PAGE_PSE)) == (_PAGE_PRESENT | _PAGE_PSE); }
/* A present PMD that points to a PTE table (not a leaf). */
static inline bool pmd_is_table(pmd_t p) { return pmd_present(p) && !(p.pmd & _PAGE_PSE); }
static inline bool pmd_write(pmd_t p) { return p.pmd & _PAGE_RW; }
static inline bool pmd_dirty(pmd_t p) { return p.pmd & _PAGE_DIRTY; }
static inline unsigned long pmd_pfn(pmd_t p) { return (p.pmd & _PAGE_PFN_MASK) >> PAGE_SHIFT; }
static inline pmd_t pmd_mkwrite(pmd_t p) { return __pmd(p.pmd | _PAGE_RW); }
static inline pmd_t pmd_wrprotect(pmd_t p) { return __pmd(p.pmd & ~_PAGE_RW); }
/* Dirtying an entry marks it soft-dirty too (as pte_mkdirty): the
 * pagemap's bit 55 (task_mmu.c) reports writes since the last clear_refs. */
static inline pmd_t pmd_mkdirty(pmd_t p) { return __pmd(p.pmd | _PAGE_DIRTY | _PAGE_SOFT_DIRTY); }
static inline bool pmd_young(pmd_t p) { return p.pmd & _PAGE_ACCESSED; }
static inline bool pmd_soft_dirty(pmd_t p) { return p.pmd & _PAGE_SOFT_DIRTY; }
static inline pmd_t pmd_mkyoung(pmd_t p) { return __pmd(p.pmd | _PAGE_ACCESSED); }
/* A special huge PMD maps the huge zero page (huge_mm.h): no reference,
 * no rmap, no RSS. */
static inline bool pmd_special(pmd_t p) { return p.pmd & _PAGE_SPECIAL; }
static inline pmd_t pmd_mkspecial(pmd_t p) { return __pmd(p.pmd | _PAGE_SPECIAL); }
static inline bool pmd_same(pmd_t a, pmd_t b) { return a.pmd == b.pmd; }
static inline bool pud_none(pud_t p) { return p.pud == 0; }
static inline bool pud_present(pud_t p) { return p.pud & _PAGE_PRESENT; }
static inline unsigned long pud_pfn(pud_t p) { return (p.pud & _PAGE_PFN_MASK) >> PAGE_SHIFT; }
/* A present PUD that maps a 1 GiB folio directly (hugetlb only, hugetlb.h)
 * rather than pointing to a PMD table. */
static inline bool pud_leaf(pud_t p) { return (p.pud & (_PAGE_PRESENT | _PAGE_PSE)) == (_PAGE_PRESENT | _PAGE_PSE); }
static inline bool pud_write(pud_t p) { return p.pud & _PAGE_RW; }
static inline bool pgd_none(pgd_t p) { return p.pgd == 0; }
static inline bool pgd_present(pgd_t p) { return p.pgd & _PAGE_PRESENT; }
static inline unsigned long pgd_pfn(pgd_t p) { return (p.pgd & _PAGE_PFN_MASK) >> PAGE_SHIFT; }

/*
 * Protection bits for a VMA's vm_flags: _PAGE_PRESENT | _PAGE_ACCESSED,
 * plus _PAGE_USER if the VMA is accessible at all (VM_READ|VM_WRITE|
 * VM_EXEC), plus _PAGE_RW only for VM_SHARED|VM_WRITE mappings.  Private
 * writable mappings get read-only PTEs until a write fault proves the page
 * exclusive (maybe_mkwrite() in memory.c), exactly like Linux's PAGE_COPY.
 */
pteval_t vm_get_page_prot(unsigned long vm_flags);
static inline pte_t pfn_pte(unsigned long pfn, pteval_t prot)
{ return __pte((pfn << PAGE_SHIFT) | prot); }
static inline pmd_t pfn_pmd(unsigned long pfn, pteval_t prot)
{ return __pmd((pfn << PAGE_SHIFT) | prot | _PAGE_PSE); }

/* --- non-present (swap-style) entries: migration entries only ----------- */
typedef struct { unsigned long val; } swp_entry_t;
#define SWP_MIGRATION_READ		1
#define SWP_MIGRATION_READ_EXCLUSIVE	2
#define SWP_MIGRATION_WRITE		3
static inline swp_entry_t swp_entry(unsigned int type, unsigned long pfn)
{ return (swp_entry_t){ ((unsigned long)type << 1) | (pfn << PAGE_SHIFT) }; }
static inline unsigned int swp_type(swp_entry_t e) { return (e.val >> 1) & 0x1f; }
static inline unsigned long swp_offset_pfn(swp_entry_t e) { return (e.val & _PAGE_PFN_MASK) >> PAGE_SHIFT; }
static inline bool is_swap_pte(pte_t p) { return !pte_none(p) && !pte_present(p); }
static inline swp_entry_t pte_to_swp_entry(pte_t p) { return (swp_entry_t){ p.pte }; }
static inline pte_t swp_entry_to_pte(swp_entry_t e) { return __pte(e.val); }
static inline bool is_swap_pmd(pmd_t p) { return !pmd_none(p) && !pmd_present(p); }
static inline swp_entry_t pmd_to_swp_entry(pmd_t p) { return (swp_entry_t){ p.pmd }; }
static inline pmd_t swp_entry_to_pmd(swp_entry_t e) { return __pmd(e.val); }
static inline bool is_migration_entry(swp_entry_t e)
{ unsigned int t = swp_type(e); return t >= SWP_MIGRATION_READ && t <= SWP_MIGRATION_WRITE; }
static inline bool is_writable_migration_entry(swp_entry_t e)
{ return swp_type(e) == SWP_MIGRATION_WRITE; }
static inline bool is_readable_exclusive_migration_entry(swp_entry_t e)
{ return swp_type(e) == SWP_MIGRATION_READ_EXCLUSIVE; }
static inline swp_entry_t make_readable_migration_entry(unsigned long pfn)
{ return swp_entry(SWP_MIGRATION_READ, pfn); }
static inline swp_entry_t make_readable_exclusive_migration_entry(unsigned long pfn)
{ return swp_entry(SWP_MIGRATION_READ_EXCLUSIVE, pfn); }
static inline swp_entry_t make_writable_migration_entry(unsigned long pfn)
{ return swp_entry(SWP_MIGRATION_WRITE, pfn); }
/* The state of the mapping a migration entry replaced (Linux keeps young
 * and dirty in the entry too, so the restored mapping needs no fault). */
#define _PAGE_SWP_MIG_DIRTY	(1UL << 6)
#define _PAGE_SWP_MIG_YOUNG	(1UL << 8)
#define _PAGE_SWP_SOFT_DIRTY	(1UL << 11)
#define _PAGE_SWP_FLAGS		(_PAGE_SWP_MIG_DIRTY | _PAGE_SWP_MIG_YOUNG | _PAGE_SWP_SOFT_DIRTY)
static inline swp_entry_t make_migration_entry_young(swp_entry_t e)
{ return (swp_entry_t){ e.val | _PAGE_SWP_MIG_YOUNG }; }
static inline swp_entry_t make_migration_entry_dirty(swp_entry_t e)
{ return (swp_entry_t){ e.val | _PAGE_SWP_MIG_DIRTY }; }
static inline swp_entry_t make_migration_entry_soft_dirty(swp_entry_t e)
{ return (swp_entry_t){ e.val | _PAGE_SWP_SOFT_DIRTY }; }
static inline bool is_migration_entry_young(swp_entry_t e) { return e.val & _PAGE_SWP_MIG_YOUNG; }
static inline bool is_migration_entry_dirty(swp_entry_t e) { return e.val & _PAGE_SWP_MIG_DIRTY; }
static inline bool is_migration_entry_soft_dirty(swp_entry_t e) { return e.val & _PAGE_SWP_SOFT_DIRTY; }
/* @e with its type changed (fork, mprotect downgrade writable entries);
 * pfn and flags kept. */
static inline swp_entry_t migration_entry_retype(swp_entry_t e, unsigned int type)
{ return (swp_entry_t){ (e.val & ~(0x1fUL << 1)) | ((unsigned long)type << 1) }; }

/* --- swap entries (swapfile.c, swap_state.c) ------------------------------
 * A swap entry names a slot of the swap device: type 0, the slot in the
 * pfn bits.  The model has one swap device (Linux has MAX_SWAPFILES of
 * them, numbered from 0, with the special types above them).  Only PTEs
 * hold swap entries: large folios are split before they are swapped out.
 * _PAGE_SWP_EXCLUSIVE (x86's bit, _PAGE_PSE) remembers that the page was
 * anon-exclusive when it was unmapped, so it comes back exclusive;
 * soft-dirty is carried as for migration entries.  swp_entry_t values
 * read from a PTE carry those bits; the swap cache, the slot counts and
 * folio->private use the canonical entry (swp_entry_canon()). */
#define MAX_SWAPFILES		1
#define _PAGE_SWP_EXCLUSIVE	(1UL << 7)
/* Migration entries and anything else that is not a slot of a device. */
static inline bool non_swap_entry(swp_entry_t e) { return swp_type(e) >= MAX_SWAPFILES; }
static inline unsigned long swp_offset(swp_entry_t e) { return (e.val & _PAGE_PFN_MASK) >> PAGE_SHIFT; }
static inline swp_entry_t swp_entry_canon(swp_entry_t e) { return swp_entry(swp_type(e), swp_offset(e)); }
/* A non-present PTE that names a swap slot. */
static inline bool is_swap_entry_pte(pte_t p)
{ return is_swap_pte(p) && !non_swap_entry(pte_to_swp_entry(p)); }
static inline bool pte_swp_exclusive(pte_t p) { return p.pte & _PAGE_SWP_EXCLUSIVE; }
static inline pte_t pte_swp_mkexclusive(pte_t p) { return __pte(p.pte | _PAGE_SWP_EXCLUSIVE); }
static inline pte_t pte_swp_clear_exclusive(pte_t p) { return __pte(p.pte & ~_PAGE_SWP_EXCLUSIVE); }
static inline bool pte_swp_soft_dirty(pte_t p) { return p.pte & _PAGE_SWP_SOFT_DIRTY; }
static inline pte_t pte_swp_mksoft_dirty(pte_t p) { return __pte(p.pte | _PAGE_SWP_SOFT_DIRTY); }
static inline bool pte_soft_dirty(pte_t p) { return p.pte & _PAGE_SOFT_DIRTY; }
static inline pte_t pte_mksoft_dirty(pte_t p) { return __pte(p.pte | _PAGE_SOFT_DIRTY); }
/* pud leaves (1 GiB hugetlb) carry the bit too (set with their dirty bit). */
static inline bool pud_soft_dirty(pud_t p) { return p.pud & _PAGE_SOFT_DIRTY; }

/* --- index helpers ------------------------------------------------------- */
static inline unsigned long pgd_index(unsigned long a) { return (a >> PGDIR_SHIFT) & (PTRS_PER_PGD - 1); }
static inline unsigned long pud_index(unsigned long a) { return (a >> PUD_SHIFT) & (PTRS_PER_PUD - 1); }
static inline unsigned long pmd_index(unsigned long a) { return (a >> PMD_SHIFT) & (PTRS_PER_PMD - 1); }
static inline unsigned long pte_index(unsigned long a) { return (a >> PAGE_SHIFT) & (PTRS_PER_PTE - 1); }

/* --- entry access (pointers into table frames) --------------------------- */

/* Relaxed atomic read of an entry (safe without the ptl). */
static inline pte_t ptep_get(pte_t *ptep) { return __pte(__atomic_load_n(&ptep->pte, __ATOMIC_RELAXED)); }
/* Acquire read for lockless walkers; pairs with set_pte_at()'s release. */
static inline pte_t ptep_get_lockless(pte_t *ptep) { return __pte(__atomic_load_n(&ptep->pte, __ATOMIC_ACQUIRE)); }
static inline pmd_t pmdp_get(pmd_t *pmdp) { return __pmd(__atomic_load_n(&pmdp->pmd, __ATOMIC_RELAXED)); }
static inline pmd_t pmdp_get_lockless(pmd_t *pmdp) { return __pmd(__atomic_load_n(&pmdp->pmd, __ATOMIC_ACQUIRE)); }
static inline pud_t pudp_get(pud_t *pudp) { return __pud(__atomic_load_n(&pudp->pud, __ATOMIC_ACQUIRE)); }
static inline pgd_t pgdp_get(pgd_t *pgdp) { return __pgd(__atomic_load_n(&pgdp->pgd, __ATOMIC_ACQUIRE)); }

/* Install an entry; caller holds the table's ptl.  Release store: pairs
 * with ptep_get_lockless(). */
static inline void set_pte_at(struct mm_struct *mm, unsigned long addr, pte_t *ptep, pte_t pte)
{ (void)mm; (void)addr; __atomic_store_n(&ptep->pte, pte.pte, __ATOMIC_RELEASE); }
static inline void set_pmd_at(struct mm_struct *mm, unsigned long addr, pmd_t *pmdp, pmd_t pmd)
{ (void)mm; (void)addr; __atomic_store_n(&pmdp->pmd, pmd.pmd, __ATOMIC_RELEASE); }
/* Clear and return an entry; caller holds the ptl.  Full barrier (seq_cst
 * exchange): pairs with gup-fast's reference-then-recheck. */
static inline pte_t ptep_get_and_clear(struct mm_struct *mm, unsigned long addr, pte_t *ptep)
{ (void)mm; (void)addr; return __pte(__atomic_exchange_n(&ptep->pte, 0, __ATOMIC_SEQ_CST)); }
static inline pmd_t pmdp_huge_get_and_clear(struct mm_struct *mm, unsigned long addr, pmd_t *pmdp)
{ (void)mm; (void)addr; return __pmd(__atomic_exchange_n(&pmdp->pmd, 0, __ATOMIC_SEQ_CST)); }
/* Write-protect in place; caller holds the ptl.  seq_cst: fork's
 * write-protect must be ordered against gup-fast (see fork.c). */
static inline void ptep_set_wrprotect(struct mm_struct *mm, unsigned long addr, pte_t *ptep)
{ (void)mm; (void)addr; __atomic_fetch_and(&ptep->pte, ~_PAGE_RW, __ATOMIC_SEQ_CST); }
static inline void pmdp_set_wrprotect(struct mm_struct *mm, unsigned long addr, pmd_t *pmdp)
{ (void)mm; (void)addr; __atomic_fetch_and(&pmdp->pmd, ~_PAGE_RW, __ATOMIC_SEQ_CST); }
/* Clear the accessed bit in place and say whether it was set (reclaim's
 * reference check, MADV_COLD); caller holds the ptl.  Relaxed: the bit
 * orders nothing, and a gup-fast walker that read the entry before sees
 * it changed on its recheck and backs out harmlessly. */
static inline bool ptep_test_and_clear_young(struct vm_area_struct *vma, unsigned long addr,
					     pte_t *ptep)
{
	(void)vma; (void)addr;
	return __atomic_fetch_and(&ptep->pte, ~_PAGE_ACCESSED, __ATOMIC_RELAXED) & _PAGE_ACCESSED;
}
static inline bool pmdp_test_and_clear_young(struct vm_area_struct *vma, unsigned long addr,
					     pmd_t *pmdp)
{
	(void)vma; (void)addr;
	return __atomic_fetch_and(&pmdp->pmd, ~_PAGE_ACCESSED, __ATOMIC_RELAXED) & _PAGE_ACCESSED;
}

/* --- walking and allocating tables (pgtable.c) --------------------------- */

/* Pointer to the entry for @addr in each level's table.  The upper-level
 * pointers stay valid while mmap_lock is held (tables are only freed by
 * free_pgtables() under mmap_lock held for write, or at exit). */
pgd_t *pgd_offset(struct mm_struct *mm, unsigned long addr);
pud_t *pud_offset(pgd_t *pgd, unsigned long addr);	/* pgd present */
pmd_t *pmd_offset(pud_t *pud, unsigned long addr);	/* pud present */
pte_t *pte_offset_kernel(pmd_t *pmd, unsigned long addr); /* pmd -> table */

/*
 * The PUD entry for @addr, allocating the PUD table if it is missing
 * (pnm_pud_alloc: NULL on -ENOMEM), or NULL if there is none
 * (pnm_pud_lookup).  The entry itself may be none, a PMD table, a 1 GiB
 * hugetlb leaf (pud_leaf) or a hugetlb migration entry.  Caller holds
 * mmap_lock (read or write).
 */
pud_t *pnm_pud_alloc(struct mm_struct *mm, unsigned long addr);
pud_t *pnm_pud_lookup(struct mm_struct *mm, unsigned long addr);
/*
 * Find the PMD entry for @addr, allocating missing PUD/PMD tables.
 * Returns NULL on -ENOMEM.  Caller holds mmap_lock (read or write).
 */
pmd_t *pnm_pmd_alloc(struct mm_struct *mm, unsigned long addr);
/* As pnm_pmd_alloc() but never allocates: NULL if no PMD table exists
 * (also where a 1 GiB hugetlb entry takes the PUD's place). */
pmd_t *pnm_pmd_lookup(struct mm_struct *mm, unsigned long addr);
/*
 * Make sure *pmd points to a PTE table, allocating one if it is none.
 * Returns 0, -ENOMEM, or -EEXIST if the PMD maps a huge page (caller must
 * split or handle it).  Takes the PMD table's ptl to install.
 */
int __pte_alloc(struct mm_struct *mm, pmd_t *pmd);
/*
 * Map and lock the PTE table under *pmd: returns a pointer to the entry for
 * @addr with *ptlp (the table's lock) held, or NULL (nothing held) if *pmd
 * does not point to a PTE table (none, huge, or changed under us).
 */
pte_t *pte_offset_map_lock(struct mm_struct *mm, pmd_t *pmd, unsigned long addr,
			   spinlock_t **ptlp);
/* pnm_pmd_alloc + __pte_alloc + pte_offset_map_lock; NULL on -ENOMEM or
 * if the PMD is huge. */
pte_t *pte_alloc_map_lock(struct mm_struct *mm, pmd_t *pmd, unsigned long addr,
			  spinlock_t **ptlp);
static inline void pte_unmap_unlock(pte_t *pte, spinlock_t *ptl) { (void)pte; spin_unlock(ptl); }
/* The lock for PMD entries in the table that holds @pmd; returned held. */
spinlock_t *pmd_lock(struct mm_struct *mm, pmd_t *pmd);
/* The lock of the PTE table *pmd points to (not taken). */
spinlock_t *pte_lockptr(struct mm_struct *mm, pmd_t *pmd);
/*
 * The lock of the table frame @table (PG_table).  It lives outside the
 * descriptor, allocated by pnm_pgtable_alloc() and freed with the frame,
 * so the pointer is set before the table is published (the release store
 * of its entry, or the mm's creation) and never changes while any entry
 * of it can be found: a plain read.
 */
static inline spinlock_t *ptlock_ptr(const struct page *table) { return table->ptl; }

/* Allocate/free one table frame (PG_table, ptl initialised, zeroed).
 * pnm_pgtable_free() is the single place a table is released: the mm's
 * accounting drops at once; the frame is freed at once if no lockless
 * walker (gup-fast) is running, else after an RCU grace period (src/rcu.h;
 * pnm_fini() waits for those).  Not inside an RCU read section. */
struct page *pnm_pgtable_alloc(struct mm_struct *mm, int level);
void pnm_pgtable_free(struct mm_struct *mm, struct page *table);

/* Allocate the PGD for a new mm (0 or -ENOMEM); free every table at exit. */
int pgd_alloc(struct mm_struct *mm);
void pgd_free(struct mm_struct *mm);
/*
 * Free the PTE/PMD/PUD tables that only cover [floor, ceiling) and no
 * longer map anything in [addr, end).  Caller holds mmap_lock for write
 * and has zapped the range.
 */
void free_pgd_range(struct mm_struct *mm, unsigned long addr, unsigned long end,
		    unsigned long floor, unsigned long ceiling);
/*
 * Check an mm's page tables: table frames are PG_table with pt_mm == mm
 * and the right level, entries are well-formed, every present leaf maps an
 * allocated folio of the right size, every PTE/PMD leaf lies inside a VMA
 * that permits it, per-mm RSS counters and pgtables_bytes match.  Caller
 * holds mmap_lock (any mode) and no ptl.
 */
bool pnm_check_pgtables(struct mm_struct *mm);

#endif /* PNM_MODEL_PGTABLE_H */
