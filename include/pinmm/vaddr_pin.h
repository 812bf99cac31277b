/* SPDX-License-Identifier: MIT */
/*
 * pinmm/vaddr_pin.h - pin owners and the vaddr_pin wrapper.
 *
 * The 2019 design (never merged in Linux) had call sites stop passing
 * FOLL_* flags: they call vaddr_pin_[user_]pages() with a struct vaddr_pin
 * that says who holds the pins -- the struct file (f_owner) of the
 * subsystem that pins (an RDMA context, an io_uring instance), and the mm
 * whose memory is pinned -- and release them with vaddr_unpin_*() through
 * the same owner.  Here the owner is a first-class object: it knows its
 * pinned ranges and their pages, what it means by them (write or not,
 * long-term or not), its name and call sites, and it is what the device
 * side (pnm_vaddr_pin_dma_*) and the registry take.
 *
 * Rules:
 *   - An owner is created for one address space (a task's) and optionally
 *     a struct file it belongs to; it holds references on both until it
 *     is destroyed, so its pins outlive the task's exit as a device's do.
 *   - Callers say what they mean with VADDR_PIN_* flags at creation; the
 *     wrapper turns them into FOLL_PIN | FOLL_WRITE | FOLL_LONGTERM
 *     itself.  The raw pin_user_pages*() API keeps working beside it.
 *   - Pages pinned through an owner are released through the same owner
 *     (vaddr_unpin_*), one extent (one pin call) at a time.
 *   - Each pin call records one extent: the user range, its page array (a
 *     copy kept by the owner) and the call site.  The device side
 *     addresses an owner's memory by user address, as an RDMA memory
 *     region is addressed by its iova.
 *
 * Thread rules: one owner may be used by several threads at once (pins,
 * unpins and device transfers); destroying it must not race with any
 * other use of it.
 */
#ifndef PINMM_VADDR_PIN_H
#define PINMM_VADDR_PIN_H

#include <pinmm/types.h>

PNM_BEGIN_DECLS

struct vaddr_pin;

/* What an owner's pins are for. */
#define VADDR_PIN_WRITE		0x1u	/* the device writes the pages */
#define VADDR_PIN_LONGTERM	0x2u	/* held indefinitely (RDMA, fixed buffers) */

/* Callbacks of an owner. */
struct vaddr_pin_ops {
	/* A layout lease the owner's pins are tied to is being broken (a
	 * truncate or hole punch of the file): release the tied extents with
	 * vaddr_unpin_*() before the lease's deadline, here or from another
	 * thread.  Runs in the breaking thread with no lock of the model
	 * held; it may unpin and destroy the owner. */
	void (*revoke)(struct vaddr_pin *vp, void *arg);
};

/*
 * Layout leases (the 2019 RFC's F_SETLEASE with F_LAYOUT).  A struct file
 * of a disk or dax file, opened for writing, takes a lease on its inode.
 * A long-term owner (VADDR_PIN_LONGTERM) whose f_owner is that file may
 * then pin shared mappings of the inode, which Linux refuses (-EFAULT for
 * dirty-tracked files, -EOPNOTSUPP for dax); each such extent is tied to
 * the lease.  A truncate or hole punch of the file breaks every lease on
 * it: the tied owners' revoke callbacks run, the operation waits until
 * the tied extents are released or @break_ms passes, then revokes the
 * owners still tied (see PNM_VADDR_PIN_REVOKED, a PNM_MISUSE_REVOKED
 * report names each) and proceeds; the leases are gone afterwards.
 * set: 0, -EBADF (NULL, not open for writing), -EINVAL (not disk or dax,
 * @break_ms above 600000; 0 means 1000), -EEXIST (already held), -ENOMEM.
 * release: 0, -EBADF, -ENOENT (none held), -EBUSY (extents still tied).
 */
PNM_API int pnm_file_set_layout_lease(struct file *file, unsigned int break_ms);
PNM_API int pnm_file_release_layout_lease(struct file *file);

/* How to create an owner. */
struct vaddr_pin_params {
	size_t size;			/* sizeof(struct vaddr_pin_params) */
	struct task_struct *task;	/* whose memory: required */
	struct file *f_owner;		/* the file the pins belong to, or NULL */
	unsigned int flags;		/* VADDR_PIN_* */
	const char *name;		/* label in listings (copied), or NULL */
	const struct vaddr_pin_ops *ops;	/* or NULL */
	void *ops_arg;
};

/*
 * Create an owner.  0 with *@vpp set, or -EINVAL (no task, unknown flags,
 * a size smaller than this release's struct, no model), -ESRCH (the task
 * has exited), -ENOMEM.
 */
PNM_API int vaddr_pin_create(const struct vaddr_pin_params *params, struct vaddr_pin **vpp);
/*
 * Destroy an owner that holds no pins: 0, or -EBUSY (pins are still held:
 * nothing changed).  NULL is accepted (0).
 */
PNM_API int vaddr_pin_destroy(struct vaddr_pin *vp);

/*
 * Pin @nr_pages pages of the owner's address space from @start, page
 * pointers in @pages (as pin_user_pages_fast() fills them; may be NULL:
 * the owner keeps its own copy either way).  Returns the number pinned
 * (possibly fewer than asked: a partial pin is kept and recorded as one
 * extent), 0 for @nr_pages == 0, or -errno with nothing pinned: -EINVAL
 * (unaligned @start, a range that wraps or overlaps one this owner
 * already holds), -EFAULT, -ENOMEM, -EOPNOTSUPP (dax long-term), the
 * refusals of pin_user_pages*() for the flags the owner stands for.
 *   vaddr_pin_user_pages: the caller holds no mmap_lock; pins as
 *     pin_user_pages_fast() does (the lockless walk, then the slow path,
 *     which takes the mmap_lock itself, for the rest).
 *   vaddr_pin_pages: the caller holds the owner mm's mmap_lock for read.
 *   vaddr_pin_pages_remote: the caller holds @mm's mmap_lock for read; @mm
 *     must be the owner's (-EINVAL otherwise: an owner is tied to one
 *     address space).  With @locked non-NULL (*locked == 1 on entry) the
 *     lock may be dropped while faulting, and *locked says on return
 *     whether it is still held, as pin_user_pages_remote().
 */
PNM_API long vaddr_pin_user_pages(struct vaddr_pin *vp, unsigned long start,
				  unsigned long nr_pages, struct page **pages);
PNM_API long vaddr_pin_pages(struct vaddr_pin *vp, unsigned long start,
			     unsigned long nr_pages, struct page **pages);
PNM_API long vaddr_pin_pages_remote(struct vaddr_pin *vp, struct mm_struct *mm,
				    unsigned long start, unsigned long nr_pages,
				    struct page **pages, int *locked);
/*
 * Release the extent of the owner that starts at @start (what one pin
 * call recorded), marking the pages dirty first if @make_dirty (the device
 * wrote them; ignored for an owner without VADDR_PIN_WRITE).  0, or
 * -EINVAL (the owner holds no extent starting there: nothing released).
 *   vaddr_unpin_user_pages: the caller holds no mmap_lock.
 *   vaddr_unpin_pages: no lock rule (the pages are released by pointer).
 */
PNM_API int vaddr_unpin_user_pages(struct vaddr_pin *vp, unsigned long start,
				   bool make_dirty);
PNM_API int vaddr_unpin_pages(struct vaddr_pin *vp, unsigned long start, bool make_dirty);

/*
 * Keep one pin per folio in the extent of @vp that starts at @start, as
 * io_uring does for a buffer backed by large folios: of each run of
 * consecutive pages of one folio in the extent, every pin but the one
 * taken through the run's first page is released now, and the extent's
 * unpin later releases that one.  The owner keeps every page of the
 * extent (the device side still reaches them all: the remaining pin
 * keeps each folio), and the pin budget's charge is unchanged.  Returns
 * the pins released (0: one page per folio, or coalesced already), or
 * -EINVAL (NULL @vp, no extent starts at @start), -ENOMEM (nothing done).
 */
PNM_API long vaddr_pin_coalesce(struct vaddr_pin *vp, unsigned long start);

/*
 * The device side through an owner: write/read @len bytes at user address
 * @addr of the owner's pinned memory (the range must lie inside one
 * extent).  0, or -EFAULT (not inside one of the owner's extents), -EPERM
 * (a write through an owner without VADDR_PIN_WRITE).  Counted in
 * pnm_dma_write_bytes / pnm_dma_read_bytes like pnm_dma_*().
 */
PNM_API int pnm_vaddr_pin_dma_write(struct vaddr_pin *vp, unsigned long addr,
				    const void *buf, size_t len);
PNM_API int pnm_vaddr_pin_dma_read(struct vaddr_pin *vp, unsigned long addr,
				   void *buf, size_t len);

/* What an owner holds (pnm_vaddr_pin_foreach, pnm_vaddr_pin_get_info). */
struct pnm_vaddr_pin_info {
	size_t size;			/* set by the caller: sizeof(*info) */
	unsigned long id;		/* unique, increasing */
	int pid;			/* whose memory */
	unsigned int flags;		/* VADDR_PIN_* */
	char name[32];			/* its label ("" if none) */
	char file[72];			/* f_owner's filesystem:name, "" if none */
	unsigned long extents;		/* pin calls still held */
	unsigned long pages;		/* pages they hold */
	unsigned long long created;	/* logical time of creation */
	unsigned long long dma_write_bytes;	/* device traffic through it */
	unsigned long long dma_read_bytes;
	unsigned long dma_refused;	/* transfers refused after revocation */
	unsigned int state;		/* PNM_VADDR_PIN_* below */
};
/* Owner states: asked to release pins tied to a lease being broken; and
 * revoked by force (the deadline passed): device access through it fails
 * with -EIO, new pins too, and its tied pages are quarantined until it
 * unpins them. */
#define PNM_VADDR_PIN_REVOKE_ASKED	0x1u
#define PNM_VADDR_PIN_REVOKED		0x2u
/* Fill @info for @vp: 0, -EINVAL (NULL, or a size below this release's). */
PNM_API int pnm_vaddr_pin_get_info(struct vaddr_pin *vp, struct pnm_vaddr_pin_info *info);
/* One extent of an owner (pnm_vaddr_pin_extent_next): what one pin call
 * holds, for listings like /proc/<pid>/file_pins. */
struct pnm_vaddr_pin_extent {
	size_t size;			/* set by the caller: sizeof(*ext) */
	unsigned long start;		/* user address of its first page */
	unsigned long pages;		/* pages it holds */
	unsigned int flags;		/* PNM_VADDR_PIN_EXTENT_* below */
	char file[72];			/* filesystem:name of the file its first
					 * file page belonged to when pinned,
					 * "" if none (anonymous memory) */
	unsigned long long file_offset;	/* byte offset of that page in it */
	unsigned long file_pages;	/* pages of the extent in that file */
	char site[128];			/* the pin call's site, as the registry
					 * prints it ("file.c:12 func()",
					 * "symbol+0x1c", ...) */
	unsigned long long pinned;	/* logical time of the pin call */
	unsigned long long age;		/* pnm_vaddr_pin_clock() - pinned */
};
/* Extent flags: tied to a layout lease (f_owner's); revoked by force, its
 * pages quarantined until the unpin; some page of it was truncated or
 * punched out of its file since (it lives on, detached). */
#define PNM_VADDR_PIN_EXTENT_LEASED		0x1u
#define PNM_VADDR_PIN_EXTENT_QUARANTINED	0x2u
#define PNM_VADDR_PIN_EXTENT_TRUNCATED		0x4u
/* ... and holds one pin per folio (vaddr_pin_coalesce()). */
#define PNM_VADDR_PIN_EXTENT_COALESCED		0x8u
/*
 * The extent of @vp with the lowest start at or above @addr, into @ext:
 * 0, -ENOENT (none), -EINVAL (NULL, or a size below this release's).
 * Walk an owner with addr = 0, then ext.start + ext.pages * PNM_PAGE_SIZE
 * (extents never overlap).  A snapshot: the owner may change right after.
 * Must not race with vaddr_pin_destroy(@vp).
 */
PNM_API int pnm_vaddr_pin_extent_next(struct vaddr_pin *vp, unsigned long addr,
				      struct pnm_vaddr_pin_extent *ext);
/*
 * The owners' logical clock: it advances by one for each owner created
 * and each pin call through an owner, so pnm_vaddr_pin_info.created and
 * pnm_vaddr_pin_extent.pinned are readings of it and an age is the clock
 * minus a reading.  Starts at 0 at pnm_init().
 */
PNM_API unsigned long long pnm_vaddr_pin_clock(void);

/* What a file's layout lease is (pnm_file_get_layout_lease). */
struct pnm_layout_lease_info {
	size_t size;			/* set by the caller: sizeof(*info) */
	unsigned int break_ms;		/* its deadline when broken */
	unsigned long tied;		/* owners' extents tied to it */
	bool breaking;			/* a break is in progress */
};
/*
 * The layout lease @file holds, into @info: 0, -ENOENT (@file holds none:
 * never taken, released, or broken), -EBADF (NULL @file), -EINVAL (NULL
 * @info, or a size below this release's).
 */
PNM_API int pnm_file_get_layout_lease(struct file *file, struct pnm_layout_lease_info *info);

/*
 * Call @fn for each live owner (whose memory is @pid's, or all if
 * @pid < 0), oldest first, with a snapshot (info->size is the library's
 * own).  The owner list lock is held: @fn must not create, destroy, pin
 * or unpin through owners.
 */
PNM_API void pnm_vaddr_pin_foreach(int pid,
				   void (*fn)(const struct pnm_vaddr_pin_info *info, void *arg),
				   void *arg);

PNM_END_DECLS

#endif /* PINMM_VADDR_PIN_H */
