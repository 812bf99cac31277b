/* SPDX-License-Identifier: MIT */
/*
 * internal.h - declarations shared between files of the model that are
 * not part of the public API (Linux's mm/internal.h).
 *
 * Sections are owned by the file named in their banner; add to your own
 * section only.
 */
#ifndef PINMM_INTERNAL_H
#define PINMM_INTERNAL_H

#include <pinmm/pinmm.h>

/* ---- pnm.c (init/fini, config, checkers' error buffer) ---- */
extern struct pnm_config pnm_config;
extern bool pnm_initialised;

/* ---- page_alloc.c ---- */
int pnm_page_alloc_init(const struct pnm_config *cfg);	/* arena, zones */
void pnm_page_alloc_fini(void);
/* Frames currently allocated (not free in a buddy list). */
unsigned long pnm_nr_allocated_frames(void);
/* Free a folio whose refcount just dropped to zero (from folio_put_refs). */
void free_folio_frames(struct folio *folio);
/* Prepare a freshly allocated folio as a large (compound) folio. */
void prep_compound_page(struct page *head, unsigned int order);
/* Largest order with a free block in @zone (-1 if none). */
int zone_largest_free_order(struct zone *zone);
/* Take a specific free frame range [pfn, pfn + 2^order) out of the buddy
 * (compaction/migration targets); NULL if not entirely free. */
struct page *pnm_isolate_free_range(struct zone *zone, unsigned long pfn,
				    unsigned int order);

/* ---- filemap.c (folio lock) ---- */
void pnm_folio_lock_init(void);

/* ---- memory.c ---- */
/* Anon page helpers shared with huge_memory.c and migrate.c. */
void pnm_clear_folio(struct folio *folio);
/* Wait for a migration entry's folio to be unlocked (fault path). */
void migration_entry_wait_pfn(unsigned long pfn);

/* ---- fork.c / task.c ---- */
extern spinlock_t pnm_mm_list_lock;
extern struct list_head pnm_mm_list;	/* all live mms; pnm_mm_list_lock */
extern spinlock_t pnm_task_list_lock;
extern struct list_head pnm_task_list;
void pnm_tasks_fini(void);

/* ---- vma.c ---- */
struct vm_area_struct *vm_area_alloc(struct mm_struct *mm);
struct vm_area_struct *vm_area_dup(struct vm_area_struct *orig);
void vm_area_free(struct vm_area_struct *vma);
/* Insert into mm->mm_vmas (mmap_lock write); 0 or -ENOMEM. */
int vma_set_insert(struct mm_struct *mm, struct vm_area_struct *vma);
void vma_set_remove(struct mm_struct *mm, struct vm_area_struct *vma);
/* Split @vma at @addr (page aligned, strictly inside); the new VMA covers
 * [addr, end) if @new_below is false.  0 or -ENOMEM. */
int split_vma(struct vm_area_struct *vma, unsigned long addr, int new_below);
/* Try to merge @vma with its neighbours if compatible. */
void vma_merge_neighbours(struct mm_struct *mm, struct vm_area_struct *vma);

/* ---- debug.c ---- */
void dump_page(struct page *page, const char *reason);

/* ---- strays: VM_BUG_ON-style always-on assertion ---- */
#define VM_BUG_ON(cond)							\
	do { if (unlikely(cond)) PNM_DIE("VM_BUG_ON(" #cond ")", 0); } while (0)
#define VM_BUG_ON_PAGE(cond, page)					\
	do {								\
		if (unlikely(cond)) {					\
			dump_page((page), "VM_BUG_ON_PAGE(" #cond ")");	\
			PNM_DIE("VM_BUG_ON_PAGE(" #cond ")", 0);	\
		}							\
	} while (0)
#define VM_WARN_ON_ONCE(cond)	pnm_warn_on_once(!!(cond), #cond, __FILE__, __LINE__)
bool pnm_warn_on_once(bool cond, const char *what, const char *file, int line);
/* Warnings issued so far (tests assert on it). */
extern atomic_long_t pnm_nr_warnings;

#endif /* PINMM_INTERNAL_H */
