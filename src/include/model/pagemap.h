/* SPDX-License-Identifier: MIT */
/*
 * pagemap.h - the page cache: folios of a file indexed by page offset.
 *
 * mapping->i_pages maps each page index to the folio caching it; a large
 * folio of 2^k pages is stored at each of its 2^k (aligned) indices.  The
 * cache holds folio_nr_pages() references on each folio it contains
 * (migrate.c's folio_expected_refs() relies on that).  A folio's mapping
 * and index are set before it becomes visible in the cache and cleared,
 * under the folio lock, when it leaves: a holder of the folio lock who
 * finds folio->mapping == mapping knows the folio is still cached there.
 *
 * Lookups take a reference under xa_lock with folio_try_get() (a folio
 * frozen at refcount 0 by migration or reclaim is being replaced or
 * removed: the lookup waits and retries).
 *
 * Writeback flags, dirtying and errors are in writeback.h; files and
 * filesystems in fs.h.  Implemented in filemap.c and truncate.c.
 */
#ifndef PNM_MODEL_PAGEMAP_H
#define PNM_MODEL_PAGEMAP_H

#include <model/mm.h>

/* __filemap_get_folio() flags (Linux's FGP_*). */
#define FGP_ACCESSED	0x01u	/* mark the folio referenced */
#define FGP_LOCK	0x02u	/* return it locked */
#define FGP_CREAT	0x04u	/* create (not uptodate) if absent */
#define FGP_WRITE	0x08u	/* about to be written */
#define FGP_NOWAIT	0x10u	/* do not sleep on the folio lock */
#define FGP_STABLE	0x20u	/* wait for writeback to finish */
#define FGP_WRITEBEGIN	(FGP_LOCK | FGP_WRITE | FGP_CREAT | FGP_STABLE)
/* Largest folio order FGP_CREAT may allocate, in the top bits. */
#define FGP_ORDER_SHIFT	26
#define fgf_set_order(order)	((unsigned int)(order) << FGP_ORDER_SHIFT)
#define FGF_GET_ORDER(fgp)	((fgp) >> FGP_ORDER_SHIFT)

/* Largest page-cache folio the model creates (64 KiB). */
#define PNM_MAX_PAGECACHE_ORDER	4

static inline loff_t i_size_read(const struct inode *inode)
{ return READ_ONCE(inode->i_size); }
/* Caller holds inode->i_lock. */
static inline void i_size_write(struct inode *inode, loff_t size)
{ WRITE_ONCE(inode->i_size, size); }

static inline void mapping_set_large_folios(struct address_space *m)
{ set_bit(AS_LARGE_FOLIO_SUPPORT, &m->flags); }
static inline bool mapping_large_folio_support(const struct address_space *m)
{ return test_bit(AS_LARGE_FOLIO_SUPPORT, &m->flags); }
static inline void mapping_set_unevictable(struct address_space *m)
{ set_bit(AS_UNEVICTABLE, &m->flags); }
static inline bool mapping_unevictable(const struct address_space *m)
{ return test_bit(AS_UNEVICTABLE, &m->flags); }

/* Byte offset in the file of the folio's first byte. */
static inline loff_t folio_pos(const struct folio *folio)
{ return (loff_t)folio->index << PAGE_SHIFT; }

/* Set up an address_space (xarray, invalidate_lock, ...) owned by @host. */
void address_space_init(struct address_space *mapping, struct inode *host,
			const struct address_space_operations *a_ops);
/* Free its xarray nodes; it must hold no folio. */
void address_space_destroy(struct address_space *mapping);

/*
 * Find the folio at @index.  @fgp_flags as above.  Returns the folio with
 * a reference (locked with FGP_LOCK), or ERR_PTR(-ENOENT) if absent and
 * !FGP_CREAT, ERR_PTR(-EAGAIN) if FGP_NOWAIT would have to sleep,
 * ERR_PTR(-ENOMEM).  FGP_CREAT allocates with @gfp a folio of at most the
 * order in @fgp_flags that fits (aligned, inside a hole of the cache) and
 * adds it, locked and !uptodate.  Caller holds no folio lock, xa_lock or
 * ptl.
 */
struct folio *__filemap_get_folio(struct address_space *mapping, pgoff_t index,
				  unsigned int fgp_flags, gfp_t gfp);
static inline struct folio *filemap_get_folio(struct address_space *m, pgoff_t index)
{ return __filemap_get_folio(m, index, 0, 0); }
static inline struct folio *filemap_lock_folio(struct address_space *m, pgoff_t index)
{ return __filemap_get_folio(m, index, FGP_LOCK, 0); }

/*
 * The first cached folio at an index in [*index, end], with a reference
 * for the caller and *index set to the index it was found at (any index
 * the folio covers); NULL if there is none.  A folio frozen at refcount 0
 * (migration or reclaim replacing or removing it) is waited out.  Takes
 * xa_lock; caller holds no xa_lock.
 */
struct folio *filemap_get_next_folio(struct address_space *mapping, pgoff_t *index,
				     pgoff_t end);

/*
 * Insert the new, locked @folio at @index (aligned to its size): sets
 * mapping and index, takes the cache's folio_nr_pages() references,
 * counts NR_FILE_PAGES (and NR_SHMEM for PG_swapbacked folios) and puts
 * it on the file LRU unless the mapping is unevictable.  0, -EEXIST (some
 * index already cached; nothing changed) or -ENOMEM.
 */
int filemap_add_folio(struct address_space *mapping, struct folio *folio,
		      pgoff_t index, gfp_t gfp);
/*
 * Remove the locked @folio from its cache (it must be unmapped and not
 * under writeback): every index erased, mapping cleared, counters and
 * LRU updated, ->free_folio called, and the cache's references dropped.
 * The caller's reference keeps the folio alive.
 */
void filemap_remove_folio(struct folio *folio);

/*
 * The generic ->fault of page-cache files: find or read (a_ops->read_folio)
 * the folio at vmf->pgoff, allocating a large folio when the mapping
 * supports it and the range fits; VM_FAULT_SIGBUS beyond i_size (also when
 * a truncate removed the folio meanwhile), VM_FAULT_OOM, VM_FAULT_SIGBUS on
 * a read error.  Counts PGMAJFAULT when it had to read.  Returns
 * VM_FAULT_LOCKED with vmf->page the subpage at vmf->pgoff, referenced.
 * Holds invalidate_lock shared while it creates a folio.
 */
vm_fault_t filemap_fault(struct vm_fault *vmf);
/*
 * A generic ->page_mkwrite: lock the folio, VM_FAULT_NOPAGE if it left the
 * cache (truncated), mark it dirty, wait for writeback; VM_FAULT_LOCKED.
 */
vm_fault_t filemap_page_mkwrite(struct vm_fault *vmf);

/*
 * Buffered I/O for page-cache files (->read, ->write of their
 * file_operations).  filemap_read() copies [*pos, *pos + count) clamped to
 * i_size, reading missing folios; it needs no lock.
 * generic_perform_write() goes through a_ops->write_begin/write_end page
 * by page, calling balance_dirty_pages_ratelimited() after each page; the
 * caller holds inode->i_lock.  Both advance *pos and return the bytes
 * done, or -errno if nothing was done (-EINVAL for a negative *pos).
 */
ssize_t filemap_read(struct file *file, void *buf, size_t count, loff_t *pos);
ssize_t generic_perform_write(struct file *file, const void *buf, size_t count,
			      loff_t *pos);

/* --- truncation (truncate.c) ---------------------------------------------- */

/*
 * Remove the cached pages of [lstart, lend] (bytes, inclusive; lend -1 =
 * to the end).  Each whole folio in the range is locked, waited for
 * writeback, unmapped from every process (try_to_unmap), invalidated
 * (a_ops->invalidate_folio) and removed from the cache.  A folio still
 * referenced after that (pinned, or held by GUP) lives on detached, marked
 * PG_pnm_truncated (PNM_TRUNCATE_PINNED if maybe pinned).  A folio only
 * partly inside the range is unmapped and has that part zeroed and
 * invalidated (it stays cached; large folios are not split).  Caller
 * holds invalidate_lock exclusive (or is the last user of the inode) and
 * no folio lock, mmap_lock or ptl.  While try_to_unmap() cannot lock some
 * mm, an exclusive invalidate_lock held by the caller is released for a
 * moment (a fault holding that mmap_lock may be waiting for it) and the
 * range is walked again from its start; i_size must already be final.
 */
void truncate_inode_pages_range(struct address_space *mapping, loff_t lstart,
				loff_t lend);
void truncate_inode_pages(struct address_space *mapping, loff_t lstart);
/* Set i_size to @newsize and drop the cache beyond it (ftruncate).  Caller
 * holds i_lock and invalidate_lock exclusive. */
void truncate_setsize(struct inode *inode, loff_t newsize);
/* Drop the cache of a punched hole [lstart, lend] (bytes, inclusive). */
void truncate_pagecache_range(struct inode *inode, loff_t lstart, loff_t lend);
/*
 * Take every folio with a page in [start, end] (page indices) out of the
 * cache (Direct IO around a direct write): locked, waited for writeback,
 * unmapped, removed; a pinned one lives on detached.  A dirty folio, or
 * one whose private state the fs keeps, stays: -EBUSY.  0 or -EBUSY.
 * Caller holds no folio lock, mmap_lock or ptl.
 */
int invalidate_inode_pages2_range(struct address_space *mapping, pgoff_t start, pgoff_t end);
/*
 * Drop clean, unmapped, unpinned, unlocked folios of [start, end] (page
 * indices); returns the number of pages dropped.  Never sleeps on a folio.
 */
unsigned long invalidate_mapping_pages(struct address_space *mapping,
				       pgoff_t start, pgoff_t end);

/*
 * Check a mapping: every cached folio has the right mapping and index, is
 * stored at exactly its indices, nrpages adds up, dirty/writeback flags
 * agree with the counters' sign, and a_ops->pnm_check_folio accepts each
 * folio.  Call with the model quiescent.
 */
bool pnm_check_mapping(struct address_space *mapping);

#endif /* PNM_MODEL_PAGEMAP_H */
