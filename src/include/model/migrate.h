/* SPDX-License-Identifier: MIT */
/*
 * migrate.h - moving folios between frames, and compaction.
 *
 * Migration = lock the folio, lock the mms that map it, replace every
 * mapping by a migration entry, check that no unexpected reference remains
 * (a pin or a get_user_pages reference refuses the move), copy the data,
 * switch page-cache entries, and map the new folio where the old one was.
 * A fault that meets a migration entry waits on the folio lock and retries.
 */
#ifndef PNM_MODEL_MIGRATE_H
#define PNM_MODEL_MIGRATE_H

#include <model/mm.h>

enum migrate_reason {
	MR_COMPACTION,
	MR_LONGTERM_PIN,
	MR_SYSCALL,		/* move_pages()/scenario request */
	MR_NUMA_MISPLACED,
	MR_TYPES
};

/* Allocates the destination for @src (NULL: none available). */
typedef struct folio *new_folio_t(struct folio *src, unsigned long private);

/*
 * Migrate one folio.  The caller holds a reference on @src (not the lock).
 * Returns 0 with *dstp set to the new folio (the caller's reference is
 * moved to it: drop it with folio_put), or:
 *   -EBUSY   unexpected references (pinned or otherwise held), or another
 *            migrator has the folio isolated
 *   -EAGAIN  the folio was under writeback, or (async) its lock was busy
 *   -ENOMEM  no destination frame (for a large page-cache folio: none of
 *            its order, since the model cannot split those)
 *   -EINVAL  not migratable (zero page, reserved, page table, free)
 * Counts pgmigrate_success/pgmigrate_fail (per base page).
 */
int migrate_folio_to(struct folio *src, new_folio_t *get_new,
		     unsigned long private, enum migrate_reason reason,
		     struct folio **dstp);
/* new_folio_t allocating in zone (enum zone_type)private. */
struct folio *alloc_migration_target_zone(struct folio *src, unsigned long private);
/*
 * Migrate the folios mapped at [addr, addr+len) of @mm to @zone (the
 * model's move_pages()).  Returns the number of base pages moved or -errno
 * for the first failure if none moved.  Takes mmap_lock for read.
 */
long pnm_mm_migrate_range(struct mm_struct *mm, unsigned long addr,
		       unsigned long len, enum zone_type zone);

/* struct pnm_compact_result: pinmm/mman.h. */
/*
 * Compact a zone: move movable in-use folios from the low end of the zone
 * to free frames at its high end, so free memory coalesces into large
 * blocks.  Pinned or otherwise referenced folios stay.  Returns 0 if a free
 * block of order >= @order exists afterwards, else -EAGAIN (-EINVAL for a
 * NULL zone or @order > MAX_PAGE_ORDER); fills @res.
 */
int compact_zone(struct zone *zone, unsigned int order, struct pnm_compact_result *res);

#endif /* PNM_MODEL_MIGRATE_H */
