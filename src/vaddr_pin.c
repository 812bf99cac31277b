// SPDX-License-Identifier: MIT
/*
 * vaddr_pin.c - pin owners (struct vaddr_pin) and the vaddr_pin wrapper
 * (pinmm/vaddr_pin.h): the 2019 proposal's owner object, made real.
 *
 * An owner stands for one holder of pins -- a subsystem instance tied to
 * a struct file (f_owner) or to a process -- on one address space.  It
 * says once what its pins are for (VADDR_PIN_WRITE, VADDR_PIN_LONGTERM)
 * and the wrapper turns that into FOLL_* flags, so call sites never pass
 * any.  Each pin call becomes one extent: the user range, a copy of its
 * page array and the pages' count, its call site, logical time and the
 * file its pages belong to (what a listing shows: pnm_vaddr_pin_foreach()
 * and pnm_vaddr_pin_extent_next()); the device side reaches the owner's
 * memory by user address through its extents, as an RDMA device reaches
 * a memory region by iova.
 *
 * Pins are taken on the owner's mm -- by vaddr_pin_user_pages() as
 * pin_user_pages_fast() takes them (the lockless walk, then the slow path
 * for the rest: pnm_pin_user_pages_fast_mm()), by the variants called
 * under the mmap_lock with pin_user_pages_remote() -- so they are
 * ordinary FOLL_PIN pins: counted, recorded in the registry (tagged
 * with the owner's name, the call site being the one recorded on the
 * thread -- pnm_gup_set_call_site() -- or else the wrapper's caller) and
 * subject to every rule of the raw API (long-term pins migrate out of
 * MOVABLE/CMA, file-backed long-term write pins are refused ...).
 *
 * Lifetimes: an owner holds an mm_count reference on its mm (mmgrab(), as
 * an RDMA umem does: the struct stays, the address space may go when the
 * task exits) and a reference on its f_owner file.  Its pins keep their
 * frames after the task's exit; they are released by vaddr_unpin_*() or
 * by pnm_teardown().  An owner is freed by vaddr_pin_destroy() once it
 * holds no extent.
 *
 * Pin budget (pin_budget.c): a VADDR_PIN_LONGTERM owner resolves its
 * user's budget domain at creation; each of its extents is charged right
 * after its pin call (a refusal unpins it all: -ENOMEM, nothing pinned)
 * and uncharged right after its unpin.
 *
 * Locks (order: vp_list_lock is a leaf but in the budget checker's walk,
 * which takes extents_lock under it; vp->extents_lock before the GUP,
 * registry and budget locks):
 *   vp_list_lock      the list of live owners (vp_list) and vp_next_id.
 *   vp->extents_lock  rw_semaphore: the extent list and tree.  Pins and unpins
 *                     take it for write only to link or unlink an extent
 *                     (the pin itself runs unlocked); device transfers
 *                     take it for read for the whole transfer, so an
 *                     extent cannot be unpinned under a transfer.
 * The counters a listing shows (nr_extents, nr_pages, dma bytes) are
 * atomics updated under those locks and read without them.
 */
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

/* One pin call's worth of an owner's pins. */
struct vp_extent {
	struct list_head list;		/* vp->extents; extents_lock */
	/* vp->tree, keyed by the user range [start, start + nr pages - 1];
	 * extents_lock */
	struct interval_tree_node it;
	unsigned long start;		/* user address of the first page */
	unsigned long nr;		/* pages pinned */
	struct page **pages;		/* the owner's copy of the array */
	struct pnm_layout_lease *lease;	/* tied to it, or NULL; extents_lock */
	bool quarantined;		/* revoked by force; extents_lock */
	/* One pin per run of pages of one folio (vaddr_pin_coalesce()):
	 * set under extents_lock (write) */
	bool coalesced;
	struct pnm_call_site site;	/* the pin call's site */
	unsigned long long pinned;	/* logical time of the pin call */
	/* The file of its first file page at pin time (set once). */
	char file[72];			/* "filesystem:name", "" if none */
	unsigned long long file_offset;	/* byte offset of that page */
	unsigned long file_pages;	/* pages of the extent in that file */
};

struct vaddr_pin {
	unsigned long id;		/* set once */
	struct mm_struct *mm;		/* mmgrab()bed; set once */
	int pid;			/* mm's owner; set once */
	struct file *f_owner;		/* referenced, or NULL; set once */
	unsigned int flags;		/* VADDR_PIN_*; set once */
	char name[32];			/* set once */
	const struct vaddr_pin_ops *ops;	/* set once (revocation) */
	void *ops_arg;
	unsigned long long created;	/* set once */
	struct rw_semaphore extents_lock;
	struct list_head extents;	/* in pin order; extents_lock */
	/* The same extents by user range (they never overlap): the lookups
	 * by address of pins, unpins, transfers and listings are O(log n)
	 * in the extents held; extents_lock */
	struct pnm_itree_root tree;
	atomic_long_t nr_extents;	/* changed under extents_lock (write) */
	atomic_long_t nr_pages;		/* likewise */
	atomic_long_t dma_write_bytes;	/* relaxed counters */
	atomic_long_t dma_read_bytes;
	atomic_long_t dma_refused;	/* transfers refused after revocation */
	/* PNM_VADDR_PIN_REVOKE_ASKED / _REVOKED: set under extents_lock
	 * (write) or, ASKED, by the breaker; read lock free (a transfer
	 * re-reads it under the lock). */
	atomic_t state;
	atomic_t refs;			/* the creator's, and a breaker's */
	/* the user domain a long-term owner charges (pin_budget.c), or NULL:
	 * its extents are charged to it and to mm's process domain; set once */
	struct pnm_pin_budget *budget_user;
	struct list_head node;		/* vp_list; vp_list_lock */
};

static spinlock_t vp_list_lock = { .m = PTHREAD_MUTEX_INITIALIZER, .owner = 0 };
static LIST_HEAD(vp_list);		/* live owners, oldest first; vp_list_lock */
static unsigned long vp_next_id;	/* vp_list_lock */
/* The owners' logical clock: one tick per owner created and per pin call
 * through an owner (pnm_vaddr_pin_clock()). */
static atomic_long_t vp_clock;

#define VADDR_PIN_FLAGS		(VADDR_PIN_WRITE | VADDR_PIN_LONGTERM)
/* The first release's struct vaddr_pin_params ends after ops_arg. */
#define VP_PARAMS_SIZE_0_2	(offsetof(struct vaddr_pin_params, ops_arg) + sizeof(void *))
#define VP_INFO_SIZE_0_2	sizeof(struct pnm_vaddr_pin_info)
#define VP_EXTENT_SIZE_0_2	sizeof(struct pnm_vaddr_pin_extent)

/*
 * vaddr_pin_create - a new owner of pins on @params->task's address space
 * (pinmm/vaddr_pin.h).  Takes task_lock (get_task_mm) and vp_list_lock.
 */
int vaddr_pin_create(const struct vaddr_pin_params *params, struct vaddr_pin **vpp)
{
	struct vaddr_pin_params p;
	struct mm_struct *mm;
	struct vaddr_pin *vp;

	if (!pnm_initialised || !params || !vpp || params->size < VP_PARAMS_SIZE_0_2 ||
	    params->size > PNM_STRUCT_SIZE_MAX)
		return -EINVAL;
	memset(&p, 0, sizeof(p));
	memcpy(&p, params, min_t(size_t, params->size, sizeof(p)));
	if (!p.task || (p.flags & ~VADDR_PIN_FLAGS))
		return -EINVAL;
	vp = pnm_calloc(PNM_FAULT_ALLOC, 1, sizeof(*vp));
	if (!vp)
		return -ENOMEM;
	/* Long-term pins are charged to the task's user of now (pin_budget.c). */
	if ((p.flags & VADDR_PIN_LONGTERM) &&
	    !(vp->budget_user = pnm_pin_budget_user_domain(p.task))) {
		free(vp);
		return -ENOMEM;
	}
	mm = get_task_mm(p.task);
	if (!mm) {
		free(vp);
		return -ESRCH;
	}
	/* Keep the struct, not the address space: a device's pins do not
	 * keep a process's memory map alive. */
	mmgrab(mm);
	mmput(mm);
	vp->mm = mm;
	vp->pid = mm->owner_pid;
	if (p.f_owner) {
		get_file(p.f_owner);
		vp->f_owner = p.f_owner;
	}
	vp->flags = p.flags;
	if (p.name)
		snprintf(vp->name, sizeof(vp->name), "%s", p.name);
	vp->ops = p.ops;
	vp->ops_arg = p.ops_arg;
	init_rwsem(&vp->extents_lock);
	INIT_LIST_HEAD(&vp->extents);
	atomic_set(&vp->refs, 1);
	spin_lock(&vp_list_lock);
	vp->id = ++vp_next_id;
	vp->created = (unsigned long long)atomic_long_add_return(1, &vp_clock);
	list_add_tail(&vp->node, &vp_list);
	spin_unlock(&vp_list_lock);
	*vpp = vp;
	return 0;
}

/* Drop a hold on an owner; the last frees it (fully ordered: every use
 * happens before the free).  The creator's hold goes last but for a
 * breaker's (pnm_vaddr_pin_revoke()), which found it on vp_list. */
static void vp_put(struct vaddr_pin *vp)
{
	if (!atomic_dec_and_test(&vp->refs))
		return;
	if (vp->f_owner)
		fput(vp->f_owner);
	mmdrop(vp->mm);
	rwsem_destroy(&vp->extents_lock);
	free(vp);
}

/* Unlink an owner that holds no extent and drop the creator's hold. */
static void vp_free(struct vaddr_pin *vp)
{
	spin_lock(&vp_list_lock);
	list_del(&vp->node);
	spin_unlock(&vp_list_lock);
	vp_put(vp);
}

/* vaddr_pin_destroy - free an owner without pins (pinmm/vaddr_pin.h). */
int vaddr_pin_destroy(struct vaddr_pin *vp)
{
	bool busy;

	if (!vp)
		return 0;
	down_read(&vp->extents_lock);
	busy = !list_empty(&vp->extents);
	up_read(&vp->extents_lock);
	if (busy)
		return -EBUSY;
	vp_free(vp);
	return 0;
}

/* The user address just past extent @e. */
static inline unsigned long vp_extent_end(const struct vp_extent *e)
{
	return e->start + e->nr * PAGE_SIZE;
}

/* The extent of @vp overlapping [start, end) (start < end) with the
 * lowest start, or NULL.  extents_lock. */
static struct vp_extent *vp_overlap(struct vaddr_pin *vp, unsigned long start,
				    unsigned long end)
{
	struct interval_tree_node *n = interval_tree_iter_first(&vp->tree, start, end - 1);

	return n ? container_of(n, struct vp_extent, it) : NULL;
}

/* Link @e (start and nr set) into @vp's list and tree.  extents_lock
 * (write). */
static void vp_link(struct vaddr_pin *vp, struct vp_extent *e)
{
	e->it.start = e->start;
	e->it.last = vp_extent_end(e) - 1;
	interval_tree_insert(&e->it, &vp->tree);
	list_add_tail(&e->list, &vp->extents);
	atomic_long_inc(&vp->nr_extents);
	atomic_long_add((long)e->nr, &vp->nr_pages);
}

/* Unlink @e from @vp's list and tree.  extents_lock (write). */
static void vp_unlink(struct vaddr_pin *vp, struct vp_extent *e)
{
	interval_tree_remove(&e->it, &vp->tree);
	list_del(&e->list);
	atomic_long_dec(&vp->nr_extents);
	atomic_long_sub((long)e->nr, &vp->nr_pages);
}

/* Does any of the @nr pages belong to @inode (its page cache or, dax,
 * its storage)?  The pages are pinned, so their folios stay. */
static bool vp_extent_on_inode(struct page **pages, unsigned long nr, struct inode *inode)
{
	unsigned long i;

	for (i = 0; i < nr; i++) {
		struct address_space *mapping = folio_mapping(page_folio(pages[i]));

		if (mapping && mapping->host == inode)
			return true;
	}
	return false;
}

/*
 * Note which file the @nr pinned pages of @e belong to: the first file
 * page's inode (name, offset) and how many of the pages are that file's.
 * Called with the owner mm's mmap_lock held, so the pages' files are
 * alive (their mappings hold them); a page truncated meanwhile has no
 * mapping and counts as none.
 */
static void vp_extent_note_file(struct vp_extent *e, unsigned long nr)
{
	struct address_space *first = NULL, *mapping = NULL;
	struct folio *prev = NULL;
	unsigned long i;

	for (i = 0; i < nr; i++) {
		struct folio *folio = page_folio(e->pages[i]);

		if (folio != prev) {		/* pages of one folio: one lookup */
			prev = folio;
			mapping = folio_mapping(folio);
		}

		if (!mapping || !mapping->host)
			continue;
		if (!first) {
			struct inode *inode = mapping->host;

			first = mapping;
			snprintf(e->file, sizeof(e->file), "%s:%s", pnm_fs_name(PNM_I(inode)->fs),
				 pnm_inode_name(inode));
			e->file_offset = ((unsigned long long)folio->index +
					  folio_page_idx(folio, e->pages[i])) << PAGE_SHIFT;
		}
		if (mapping == first)
			e->file_pages++;
	}
}

/* The FOLL_* flags an owner stands for. */
static unsigned int vp_gup_flags(const struct vaddr_pin *vp)
{
	unsigned int flags = 0;

	if (vp->flags & VADDR_PIN_WRITE)
		flags |= FOLL_WRITE;
	if (vp->flags & VADDR_PIN_LONGTERM)
		flags |= FOLL_LONGTERM;
	return flags;
}

/*
 * Release @nr pins of @pages taken through @vp, dirtying first if
 * @make_dirty: as the owner, so the registry retires the owner's own
 * records before anybody else's pins of the same frames.
 */
static void vp_unpin_pages(struct vaddr_pin *vp, struct page **pages, unsigned long nr,
			   bool make_dirty)
{
	unsigned long owner = pnm_pin_set_owner(vp->id);

	unpin_user_pages_dirty_lock(pages, nr, make_dirty);
	pnm_pin_set_owner(owner);
}

/*
 * The pin variants, inside the call's site bracket (vp_pin()): pin
 * [start, start + nr pages) of the owner's mm -- with @take_lock as
 * pin_user_pages_fast() does (no lock held; lockless first), else with
 * pin_user_pages_remote() under the caller's mmap_lock, which
 * @caller_locked (the _remote variant's, may be NULL) may let it drop --
 * and record the result as one extent.
 * The registry record and the extent carry the owner's name as its tag
 * and the call's site.
 */
static long vp_pin_sited(struct vaddr_pin *vp, unsigned long start, unsigned long nr,
			 struct page **pages, bool take_lock, int *caller_locked)
{
	const char *tag = pnm_pin_get_tag();
	struct pnm_layout_lease *lease = NULL;
	unsigned long owner;
	struct vp_extent *e;
	long ret;

	if (!vp || (start & ~PAGE_MASK))
		return -EINVAL;
	if (atomic_read(&vp->state) & PNM_VADDR_PIN_REVOKED)
		return -EIO;
	if (!nr)
		return 0;
	if (nr > (ULONG_MAX - start) / PAGE_SIZE || start + nr * PAGE_SIZE > TASK_SIZE)
		return -EINVAL;
	down_read(&vp->extents_lock);
	e = vp_overlap(vp, start, start + nr * PAGE_SIZE);
	up_read(&vp->extents_lock);
	if (e)
		return -EINVAL;

	e = pnm_calloc(PNM_FAULT_ALLOC, 1, sizeof(*e));
	if (e)
		e->pages = pnm_malloc(PNM_FAULT_ALLOC, nr * sizeof(*e->pages));
	if (!e || !e->pages) {
		free(e);
		return -ENOMEM;
	}
	/* The address space may be gone (the task exited): nothing to pin. */
	if (!mmget_not_zero(vp->mm)) {
		ret = -EFAULT;
		goto out_free;
	}
	/* A long-term owner whose file holds a layout lease may pin shared
	 * mappings of the leased inode (fs/locks.c): a provisional tie, and
	 * the GUP checks told which inode is leased. */
	if (vp->flags & VADDR_PIN_LONGTERM)
		lease = pnm_lease_tie(vp->f_owner);
	/* The GUP call below consumes the site: keep it for the extent. */
	pnm_gup_site_get(&e->site);
	if (vp->name[0])
		pnm_pin_set_tag(vp->name);
	owner = pnm_pin_set_owner(vp->id);
	pnm_gup_lease_inode = lease ? pnm_lease_inode(lease) : NULL;
	if (take_lock) {
		/* No lock held: the lockless walk first, then the slow path
		 * (which takes the mmap_lock itself), as Linux's io_uring and
		 * RDMA pin with pin_user_pages_fast(). */
		ret = pnm_pin_user_pages_fast_mm(vp->mm, start, nr, vp_gup_flags(vp), e->pages);
		if (ret > 0) {
			/* Under the mmap_lock, as after a slow path that
			 * dropped it. */
			mmap_read_lock(vp->mm);
			vp_extent_note_file(e, (unsigned long)ret);
			mmap_read_unlock(vp->mm);
		}
	} else {
		ret = pin_user_pages_remote(vp->mm, start, nr, vp_gup_flags(vp), e->pages,
					    caller_locked);
		if (ret > 0) {
			/* Under the mmap_lock (GUP may have dropped it: take
			 * it back; the caller is told through *caller_locked). */
			if (caller_locked && !*caller_locked) {
				mmap_read_lock(vp->mm);
				*caller_locked = 1;
			}
			vp_extent_note_file(e, (unsigned long)ret);
		}
	}
	pnm_gup_lease_inode = NULL;
	pnm_pin_set_owner(owner);
	pnm_pin_set_tag(tag);
	mmput(vp->mm);
	if (ret > 0 && lease && vp_extent_on_inode(e->pages, (unsigned long)ret,
						   pnm_lease_inode(lease)))
		e->lease = lease;		/* the tie is kept with the extent */
	else if (lease)
		pnm_lease_untie(lease);
	if (ret <= 0) {
		/* pin_user_pages_remote() says 0 for bad arguments, as Linux. */
		if (!ret)
			ret = -EINVAL;
		goto out_free;
	}
	/* Over a pin budget: release what was pinned, pin nothing. */
	if (vp->budget_user) {
		int err = pnm_pin_budget_charge(vp->mm, vp->budget_user, e->pages,
						(unsigned long)ret);

		if (err) {
			vp_unpin_pages(vp, e->pages, (unsigned long)ret, false);
			if (e->lease)
				pnm_lease_untie(e->lease);
			ret = err;
			goto out_free;
		}
	}

	e->start = start;
	e->nr = (unsigned long)ret;
	down_write(&vp->extents_lock);
	if (vp_overlap(vp, start, start + e->nr * PAGE_SIZE) ||
	    (atomic_read(&vp->state) & PNM_VADDR_PIN_REVOKED) ||
	    (e->lease && pnm_lease_breaking(e->lease))) {
		/* Another thread pinned an overlapping range meanwhile, or
		 * the owner was revoked under the pin, or the lease began to
		 * break while the pin was in flight: the break did not ask
		 * this owner (no extent yet) and will not wait for it, so the
		 * pin is refused as without a lease (Linux's -EFAULT, dax
		 * -EOPNOTSUPP).  Checked under extents_lock: a break that
		 * starts after this check finds the extent linked. */
		if (atomic_read(&vp->state) & PNM_VADDR_PIN_REVOKED)
			ret = -EIO;
		else if (e->lease && pnm_lease_breaking(e->lease))
			ret = IS_DAX(pnm_lease_inode(e->lease)) ? -EOPNOTSUPP : -EFAULT;
		else
			ret = -EINVAL;
		up_write(&vp->extents_lock);
		vp_unpin_pages(vp, e->pages, e->nr, false);
		if (e->lease)
			pnm_lease_untie(e->lease);
		if (vp->budget_user)
			pnm_pin_budget_uncharge(vp->mm, vp->budget_user, e->pages, e->nr);
		goto out_free;
	}
	e->pinned = (unsigned long long)atomic_long_add_return(1, &vp_clock);
	vp_link(vp, e);
	if (pages)
		memcpy(pages, e->pages, e->nr * sizeof(*pages));
	up_write(&vp->extents_lock);
	return ret;

out_free:
	free(e->pages);
	free(e);
	return ret;
}

/*
 * A pin call through an owner: the site of the call is the one recorded
 * on the thread (pnm_gup_set_call_site()) or @caller, the wrapper's
 * return address, and no site outlives the call, whatever path returns.
 */
static long vp_pin(struct vaddr_pin *vp, unsigned long start, unsigned long nr,
		   struct page **pages, bool take_lock, int *caller_locked,
		   const void *caller)
{
	long ret;

	pnm_gup_site_enter(caller);
	ret = vp_pin_sited(vp, start, nr, pages, take_lock, caller_locked);
	pnm_gup_site_exit();
	return ret;
}

/* vaddr_pin_user_pages - pin, taking the mmap_lock (pinmm/vaddr_pin.h). */
long vaddr_pin_user_pages(struct vaddr_pin *vp, unsigned long start,
			  unsigned long nr_pages, struct page **pages)
{
	return vp_pin(vp, start, nr_pages, pages, true, NULL, __builtin_return_address(0));
}

/* vaddr_pin_pages - pin under the caller's mmap_lock (pinmm/vaddr_pin.h). */
long vaddr_pin_pages(struct vaddr_pin *vp, unsigned long start,
		     unsigned long nr_pages, struct page **pages)
{
	return vp_pin(vp, start, nr_pages, pages, false, NULL, __builtin_return_address(0));
}

/*
 * vaddr_pin_pages_remote - pin under the caller's mmap_lock of @mm, which
 * must be the owner's, with Linux's @locked protocol (pinmm/vaddr_pin.h).
 */
long vaddr_pin_pages_remote(struct vaddr_pin *vp, struct mm_struct *mm, unsigned long start,
			    unsigned long nr_pages, struct page **pages, int *locked)
{
	if (!vp || mm != vp->mm || (locked && *locked != 1))
		return -EINVAL;
	return vp_pin(vp, start, nr_pages, pages, false, locked, __builtin_return_address(0));
}

/* Set or clear the quarantine of an extent's folios (PG_pnm_quarantined:
 * writeback leaves them alone; their frames are pinned, so never reused).
 * Atomic bit operations; the caller holds the extent. */
static void vp_quarantine(struct vp_extent *e, bool on)
{
	unsigned long i;

	for (i = 0; i < e->nr; i++) {
		struct folio *folio = page_folio(e->pages[i]);

		if (on && !test_and_set_bit(PG_pnm_quarantined, &folio->flags))
			mod_vm_stat(PNM_NR_QUARANTINED, (long)folio_nr_pages(folio));
		else if (!on && test_and_clear_bit(PG_pnm_quarantined, &folio->flags))
			mod_vm_stat(PNM_NR_QUARANTINED, -(long)folio_nr_pages(folio));
	}
}

/*
 * The first page of each run of pages of one folio in @e's array, into
 * @out (room for e->nr): what a coalesced extent holds one pin on.
 * Returns the number of runs.
 */
static unsigned long vp_extent_runs(const struct vp_extent *e, struct page **out)
{
	unsigned long i, n = 0;

	for (i = 0; i < e->nr; i++)
		if (!i || page_folio(e->pages[i]) != page_folio(e->pages[i - 1]))
			out[n++] = e->pages[i];
	return n;
}

/*
 * Release the pins an unlinked extent of @vp holds, as the owner
 * (vp_unpin_pages()): one per page, or, coalesced, one per run (through
 * the run's first page; if the array for that cannot be had, one
 * unpin_user_folio() per run).  Dirties each folio first if @make_dirty.
 */
static void vp_extent_release(struct vaddr_pin *vp, struct vp_extent *e, bool make_dirty)
{
	struct page **runs;
	unsigned long n, i, owner;

	if (!e->coalesced) {
		vp_unpin_pages(vp, e->pages, e->nr, make_dirty);
		return;
	}
	runs = pnm_malloc(PNM_FAULT_ALLOC, e->nr * sizeof(*runs));
	if (runs) {
		n = vp_extent_runs(e, runs);
		vp_unpin_pages(vp, runs, n, make_dirty);
		free(runs);
		return;
	}
	owner = pnm_pin_set_owner(vp->id);
	for (i = 0; i < e->nr; i++) {
		struct folio *folio = page_folio(e->pages[i]);

		if (i && folio == page_folio(e->pages[i - 1]))
			continue;
		if (make_dirty)
			set_page_dirty_lock(e->pages[i]);
		unpin_user_folio(folio, 1);
	}
	pnm_pin_set_owner(owner);
}

/* The extent of @vp that starts at @start, or NULL.  extents_lock held. */
static struct vp_extent *vp_find_extent(struct vaddr_pin *vp, unsigned long start)
{
	struct vp_extent *e = vp_overlap(vp, start, start + 1);

	return e && e->start == start ? e : NULL;
}

/*
 * vaddr_pin_coalesce - keep one pin per run of pages of one folio in the
 * extent of @vp starting at @start (pinmm/vaddr_pin.h).  Under
 * extents_lock (write), so no transfer or unpin runs meanwhile; the
 * extra pins go in one unpin call, through every page of each run but
 * its first (which keeps the run's pin: in exact accounting, its own).
 * The budget charge (per page) is left as it is.
 */
static long vp_coalesce_sited(struct vaddr_pin *vp, unsigned long start)
{
	struct vp_extent *found;
	struct page **extra;
	unsigned long i, n = 0;

	if (!vp)
		return -EINVAL;
	down_write(&vp->extents_lock);
	found = vp_find_extent(vp, start);
	if (!found || found->coalesced) {
		up_write(&vp->extents_lock);
		return found ? 0 : -EINVAL;
	}
	extra = pnm_malloc(PNM_FAULT_ALLOC, found->nr * sizeof(*extra));
	if (!extra) {
		up_write(&vp->extents_lock);
		return -ENOMEM;
	}
	for (i = 1; i < found->nr; i++)
		if (page_folio(found->pages[i]) == page_folio(found->pages[i - 1]))
			extra[n++] = found->pages[i];
	if (n)
		vp_unpin_pages(vp, extra, n, false);
	found->coalesced = true;
	up_write(&vp->extents_lock);
	free(extra);
	return (long)n;
}

long vaddr_pin_coalesce(struct vaddr_pin *vp, unsigned long start)
{
	long ret;

	pnm_gup_site_enter(__builtin_return_address(0));
	ret = vp_coalesce_sited(vp, start);
	pnm_gup_site_exit();
	return ret;
}

/*
 * Both unpin variants, inside the call's site bracket (vp_unpin()):
 * unlink the extent starting at @start, then release its pins (dirtying
 * first if asked and the owner writes).
 */
static int vp_unpin_sited(struct vaddr_pin *vp, unsigned long start, bool make_dirty)
{
	struct vp_extent *found;

	if (!vp)
		return -EINVAL;
	down_write(&vp->extents_lock);
	found = vp_find_extent(vp, start);
	if (found)
		vp_unlink(vp, found);
	up_write(&vp->extents_lock);
	if (!found)
		return -EINVAL;
	/* A revoked owner's late unpin ends its pages' quarantine (a device
	 * that was cut off wrote nothing since: they are not dirtied). */
	if (atomic_read(&vp->state) & PNM_VADDR_PIN_REVOKED) {
		vp_quarantine(found, false);
		make_dirty = false;
	}
	vp_extent_release(vp, found, make_dirty && (vp->flags & VADDR_PIN_WRITE));
	if (found->lease)
		pnm_lease_untie(found->lease);
	if (vp->budget_user)
		pnm_pin_budget_uncharge(vp->mm, vp->budget_user, found->pages, found->nr);
	free(found->pages);
	free(found);
	return 0;
}

/* An unpin call through an owner: the registry sees the recorded site, or
 * @caller (the wrapper's caller), as the unpin's call site; no site
 * outlives the call. */
static int vp_unpin(struct vaddr_pin *vp, unsigned long start, bool make_dirty,
		    const void *caller)
{
	int ret;

	pnm_gup_site_enter(caller);
	ret = vp_unpin_sited(vp, start, make_dirty);
	pnm_gup_site_exit();
	return ret;
}

int vaddr_unpin_user_pages(struct vaddr_pin *vp, unsigned long start, bool make_dirty)
{
	return vp_unpin(vp, start, make_dirty, __builtin_return_address(0));
}

int vaddr_unpin_pages(struct vaddr_pin *vp, unsigned long start, bool make_dirty)
{
	return vp_unpin(vp, start, make_dirty, __builtin_return_address(0));
}

/*
 * A device transfer through @vp at user address @addr: find the extent
 * that holds [addr, addr + len) and run pnm_dma_write/read on its pages,
 * with extents_lock held for read so the extent stays pinned throughout.
 */
static int vp_dma(struct vaddr_pin *vp, unsigned long addr, void *buf, size_t len,
		  bool write)
{
	struct vp_extent *e;
	int ret = -EFAULT;

	if (!vp)
		return -EINVAL;
	if (write && !(vp->flags & VADDR_PIN_WRITE))
		return -EPERM;
	if (!len)
		return 0;
	if (len > ULONG_MAX - addr)
		return -EFAULT;
	down_read(&vp->extents_lock);
	if (atomic_read(&vp->state) & PNM_VADDR_PIN_REVOKED) {
		/* Cut off: nothing reaches memory, or the file behind it. */
		up_read(&vp->extents_lock);
		atomic_long_inc(&vp->dma_refused);
		count_vm_event(PNM_DMA_REVOKED);
		return -EIO;
	}
	/* Extents never overlap: only the one holding @addr can hold the
	 * whole transfer. */
	e = vp_overlap(vp, addr, addr + 1);
	if (e && addr + len <= vp_extent_end(e)) {
		ret = write ? pnm_dma_write(e->pages, e->nr, addr - e->start, buf, len)
			    : pnm_dma_read(e->pages, e->nr, addr - e->start, buf, len);
		if (!ret)
			atomic_long_add((long)len, write ? &vp->dma_write_bytes
							 : &vp->dma_read_bytes);
	}
	up_read(&vp->extents_lock);
	return ret;
}

int pnm_vaddr_pin_dma_write(struct vaddr_pin *vp, unsigned long addr,
			    const void *buf, size_t len)
{
	return vp_dma(vp, addr, (void *)buf, len, true);
}

int pnm_vaddr_pin_dma_read(struct vaddr_pin *vp, unsigned long addr, void *buf, size_t len)
{
	return vp_dma(vp, addr, buf, len, false);
}

/* Has @vp an extent tied to a lease on @inode?  extents_lock held. */
static bool vp_tied_to(struct vaddr_pin *vp, struct inode *inode)
{
	struct vp_extent *e;

	list_for_each_entry(e, &vp->extents, list)
		if (e->lease && pnm_lease_inode(e->lease) == inode)
			return true;
	return false;
}

/*
 * Forced revocation of @vp's ties to @inode's leases: cut device access
 * through the owner, quarantine the tied extents' pages, untie them and
 * report the offender (PNM_MISUSE_REVOKED: owner, file, range, call
 * site).  Takes extents_lock for write.
 */
static void vp_revoke_force(struct vaddr_pin *vp, struct inode *inode)
{
	struct vp_extent *e;

	down_write(&vp->extents_lock);
	atomic_or(PNM_VADDR_PIN_REVOKED, &vp->state);
	list_for_each_entry(e, &vp->extents, list) {
		char site[96];

		if (!e->lease || pnm_lease_inode(e->lease) != inode)
			continue;
		vp_quarantine(e, true);
		e->quarantined = true;
		pnm_lease_untie(e->lease);
		e->lease = NULL;
		pnm_format_call_site(&e->site, site, sizeof(site));
		pnm_misuse_report(PNM_MISUSE_REVOKED, e->pages[0],
				  "pin owner %lu '%s' of pid %d missed its lease break on %s:%s: "
				  "revoked, %lu page%s of 0x%lx-0x%lx quarantined; pinned at %s",
				  vp->id, vp->name, vp->pid, pnm_fs_name(PNM_I(inode)->fs),
				  pnm_inode_name(inode), e->nr, e->nr == 1 ? "" : "s", e->start,
				  e->start + e->nr * PAGE_SIZE, site);
	}
	up_write(&vp->extents_lock);
	count_vm_event(PNM_LEASE_REVOKED);
}

/*
 * fs/locks.c's break of @inode's leases (internal.h): each owner with an
 * extent tied to one is asked to let go (its revoke callback, no lock
 * held) or, with @force, revoked by force.  Owners are held by a
 * reference meanwhile, so a holder may unpin (and destroy the owner) from
 * its callback or from another thread.
 */
void pnm_vaddr_pin_revoke(struct inode *inode, bool force)
{
	struct vaddr_pin **held = NULL, *vp;
	unsigned long n = 0, cap = 0, i;

	spin_lock(&vp_list_lock);
	list_for_each_entry(vp, &vp_list, node) {
		bool tied;

		down_read(&vp->extents_lock);
		tied = vp_tied_to(vp, inode);
		up_read(&vp->extents_lock);
		if (!tied)
			continue;
		if (n == cap) {
			unsigned long ncap = cap ? 2 * cap : 8;
			struct vaddr_pin **more = pnm_realloc(PNM_FAULT_ALLOC, held, ncap * sizeof(*held));

			if (!more)
				break;		/* the rest stay tied: warned at the break */
			held = more;
			cap = ncap;
		}
		atomic_inc(&vp->refs);
		held[n++] = vp;
	}
	spin_unlock(&vp_list_lock);

	for (i = 0; i < n; i++) {
		vp = held[i];
		if (force) {
			vp_revoke_force(vp, inode);
		} else {
			atomic_or(PNM_VADDR_PIN_REVOKE_ASKED, &vp->state);
			count_vm_event(PNM_LEASE_REVOKE_ASKED);
			if (vp->ops && vp->ops->revoke)
				vp->ops->revoke(vp, vp->ops_arg);
		}
		vp_put(vp);
	}
	free(held);
}

/* A snapshot of @vp into @info (the library's size).  Lock free: set-once
 * fields and relaxed counters; f_owner's name is fixed. */
static void vp_snapshot(struct vaddr_pin *vp, struct pnm_vaddr_pin_info *info)
{
	memset(info, 0, sizeof(*info));
	info->size = sizeof(*info);
	info->id = vp->id;
	info->pid = vp->pid;
	info->flags = vp->flags;
	snprintf(info->name, sizeof(info->name), "%s", vp->name);
	if (vp->f_owner && vp->f_owner->f_inode) {
		struct inode *inode = vp->f_owner->f_inode;

		snprintf(info->file, sizeof(info->file), "%s:%s",
			 pnm_fs_name(PNM_I(inode)->fs), pnm_inode_name(inode));
	}
	info->extents = (unsigned long)atomic_long_read(&vp->nr_extents);
	info->pages = (unsigned long)atomic_long_read(&vp->nr_pages);
	info->created = vp->created;
	info->dma_write_bytes = (unsigned long long)atomic_long_read(&vp->dma_write_bytes);
	info->dma_read_bytes = (unsigned long long)atomic_long_read(&vp->dma_read_bytes);
	info->dma_refused = (unsigned long)atomic_long_read(&vp->dma_refused);
	info->state = (unsigned int)atomic_read(&vp->state);
}

/* pnm_vaddr_pin_get_info - the caller's view of @vp (pinmm/vaddr_pin.h). */
int pnm_vaddr_pin_get_info(struct vaddr_pin *vp, struct pnm_vaddr_pin_info *info)
{
	struct pnm_vaddr_pin_info snap;
	size_t size;

	if (!vp || !info || info->size < VP_INFO_SIZE_0_2 || info->size > PNM_STRUCT_SIZE_MAX)
		return -EINVAL;
	size = info->size;
	vp_snapshot(vp, &snap);
	memcpy(info, &snap, sizeof(snap));
	/* A newer caller's tail is zeroed; its size kept. */
	memset((char *)info + sizeof(snap), 0, size - sizeof(snap));
	info->size = size;
	return 0;
}

/* pnm_vaddr_pin_foreach - every live owner, oldest first (vp_list_lock). */
void pnm_vaddr_pin_foreach(int pid,
			   void (*fn)(const struct pnm_vaddr_pin_info *info, void *arg),
			   void *arg)
{
	struct pnm_vaddr_pin_info info;
	struct vaddr_pin *vp;

	spin_lock(&vp_list_lock);
	list_for_each_entry(vp, &vp_list, node) {
		if (pid >= 0 && vp->pid != pid)
			continue;
		vp_snapshot(vp, &info);
		fn(&info, arg);
	}
	spin_unlock(&vp_list_lock);
}

/* The extents' part of the public view: flags, file, site, age.  The
 * extent is held (extents_lock) and its pages pinned. */
static void vp_extent_snapshot(const struct vp_extent *e, struct pnm_vaddr_pin_extent *ext,
			       struct pnm_call_site *site)
{
	unsigned long i;

	memset(ext, 0, sizeof(*ext));
	ext->size = sizeof(*ext);
	ext->start = e->start;
	ext->pages = e->nr;
	if (e->lease)
		ext->flags |= PNM_VADDR_PIN_EXTENT_LEASED;
	if (e->quarantined)
		ext->flags |= PNM_VADDR_PIN_EXTENT_QUARANTINED;
	if (e->coalesced)
		ext->flags |= PNM_VADDR_PIN_EXTENT_COALESCED;
	for (i = 0; i < e->nr; i++) {
		if (test_bit(PG_pnm_truncated, &page_folio(e->pages[i])->flags)) {
			ext->flags |= PNM_VADDR_PIN_EXTENT_TRUNCATED;
			break;
		}
	}
	memcpy(ext->file, e->file, sizeof(ext->file));
	ext->file_offset = e->file_offset;
	ext->file_pages = e->file_pages;
	ext->pinned = e->pinned;
	*site = e->site;
}

/*
 * pnm_vaddr_pin_extent_next - the extent of @vp with the lowest start at
 * or above @addr (pinmm/vaddr_pin.h).  Takes extents_lock for read; the
 * site is printed after it is dropped (naming a return address asks the
 * dynamic loader).
 */
int pnm_vaddr_pin_extent_next(struct vaddr_pin *vp, unsigned long addr,
			      struct pnm_vaddr_pin_extent *ext)
{
	struct pnm_vaddr_pin_extent snap;
	struct vp_extent *best;
	struct pnm_call_site site;
	size_t size;

	if (!vp || !ext || ext->size < VP_EXTENT_SIZE_0_2 || ext->size > PNM_STRUCT_SIZE_MAX)
		return -EINVAL;
	size = ext->size;
	down_read(&vp->extents_lock);
	/* The lowest extent reaching past @addr; if it starts below @addr
	 * (it holds @addr), the one after it in the tree. */
	best = vp_overlap(vp, addr, ULONG_MAX);
	if (best && best->start < addr) {
		struct interval_tree_node *n = interval_tree_iter_next(&best->it, addr,
								       ULONG_MAX - 1);

		best = n ? container_of(n, struct vp_extent, it) : NULL;
	}
	if (best)
		vp_extent_snapshot(best, &snap, &site);
	up_read(&vp->extents_lock);
	if (!best)
		return -ENOENT;
	pnm_format_call_site(&site, snap.site, sizeof(snap.site));
	snap.age = pnm_vaddr_pin_clock() - snap.pinned;
	memcpy(ext, &snap, sizeof(snap));
	memset((char *)ext + sizeof(snap), 0, size - sizeof(snap));
	ext->size = size;
	return 0;
}

/* pnm_vaddr_pin_clock - the owners' logical time (pinmm/vaddr_pin.h). */
unsigned long long pnm_vaddr_pin_clock(void)
{
	return (unsigned long long)atomic_long_read(&vp_clock);
}

/*
 * pnm_teardown()'s part (internal.h): release every extent of every live
 * owner and free the owners, logging each; returns how many owners there
 * were.  @pins and @pages count the extents and pages released.  No
 * other thread may use the model.
 */
unsigned long pnm_vaddr_pin_teardown(unsigned long *pins, unsigned long *pages)
{
	unsigned long owners = 0;
	struct vaddr_pin *vp;

	for (;;) {
		spin_lock(&vp_list_lock);
		vp = list_empty(&vp_list) ? NULL : list_first_entry(&vp_list, struct vaddr_pin, node);
		spin_unlock(&vp_list_lock);
		if (!vp)
			break;
		owners++;
		pnm_log(PNM_LOG_ERR, "pinmm: pnm_teardown: pin owner %lu '%s' of pid %d still "
			"holds %ld pin%s of %ld page%s: released", vp->id, vp->name, vp->pid,
			atomic_long_read(&vp->nr_extents),
			atomic_long_read(&vp->nr_extents) == 1 ? "" : "s",
			atomic_long_read(&vp->nr_pages),
			atomic_long_read(&vp->nr_pages) == 1 ? "" : "s");
		while (!list_empty(&vp->extents)) {
			struct vp_extent *e = list_first_entry(&vp->extents, struct vp_extent, list);

			(*pins)++;
			*pages += e->nr;
			vp_unpin(vp, e->start, false, NULL);
		}
		vp_free(vp);
	}
	return owners;
}

/*
 * pnm_fini()'s part (internal.h): owners still alive are reported and
 * freed; their pins are left as they are (pnm_fini() reports them as
 * pins still held and their frames as leaked).  Returns the number of
 * owners.  Single-threaded.
 */
unsigned long pnm_vaddr_pin_fini(void)
{
	unsigned long owners = 0;
	struct vaddr_pin *vp, *next;

	list_for_each_entry_safe(vp, next, &vp_list, node) {
		struct vp_extent *e, *en;

		owners++;
		pnm_log(PNM_LOG_ERR, "pinmm: pnm_fini: pin owner %lu '%s' of pid %d still holds "
			"%ld page%s", vp->id, vp->name, vp->pid, atomic_long_read(&vp->nr_pages),
			atomic_long_read(&vp->nr_pages) == 1 ? "" : "s");
		list_for_each_entry_safe(e, en, &vp->extents, list) {
			/* The pins stay, but no extent holds them any more,
			 * nor ties a lease (a broken one is freed by its last
			 * tie: before pnm_fs_fini()). */
			if (e->lease)
				pnm_lease_untie(e->lease);
			if (vp->budget_user)
				pnm_pin_budget_uncharge(vp->mm, vp->budget_user, e->pages, e->nr);
			free(e->pages);
			free(e);
		}
		INIT_LIST_HEAD(&vp->extents);
		vp_free(vp);
	}
	vp_next_id = 0;
	atomic_long_set(&vp_clock, 0);
	return owners;
}

/* One owner's part of pnm_vaddr_pin_check().  extents_lock held. */
static bool vp_check_owner(struct vaddr_pin *vp)
{
	unsigned long nr = 0, pages = 0;
	struct vp_extent *e;

	if (!pnm_check_itree(&vp->tree, "pin owner extents"))
		return false;
	list_for_each_entry(e, &vp->extents, list) {
		struct interval_tree_node *n;

		nr++;
		pages += e->nr;
		if (!e->nr || (e->start & ~PAGE_MASK) || !e->pages)
			return pnm_check_fail("pin owner %lu: extent at %#lx of %lu pages",
					      vp->id, e->start, e->nr);
		/* In the tree under its own range, overlapping no other. */
		n = interval_tree_iter_first(&vp->tree, e->start, vp_extent_end(e) - 1);
		if (n != &e->it || e->it.start != e->start ||
		    e->it.last != vp_extent_end(e) - 1 ||
		    interval_tree_iter_next(n, e->start, vp_extent_end(e) - 1))
			return pnm_check_fail("pin owner %lu: extent %#lx-%#lx not alone in "
					      "its range of the tree", vp->id, e->start,
					      vp_extent_end(e));
		for (unsigned long i = 0; i < e->nr; i++) {
			struct folio *folio = page_folio(e->pages[i]);

			/* Legacy mode's pins are plain references. */
			if (!is_zero_folio(folio) &&
			    (pnm_config.legacy_gup ? folio_ref_count(folio) < 1
						   : !folio_maybe_dma_pinned(folio)))
				return pnm_check_fail("pin owner %lu: page %lu of extent %#lx "
						      "(pfn %#lx) is not pinned", vp->id, i,
						      e->start, page_to_pfn(e->pages[i]));
		}
	}
	if (nr != vp->tree.nr || (long)nr != atomic_long_read(&vp->nr_extents) ||
	    (long)pages != atomic_long_read(&vp->nr_pages))
		return pnm_check_fail("pin owner %lu: %lu extents of %lu pages listed, %lu in the "
				      "tree, counters %ld and %ld", vp->id, nr, pages, vp->tree.nr,
				      atomic_long_read(&vp->nr_extents),
				      atomic_long_read(&vp->nr_pages));
	return true;
}

/*
 * pnm_vaddr_pin_check - pnm_check_system()'s part (internal.h): every
 * live owner's extents are in its list and its tree alike, never overlap,
 * add up to its counters, and hold pinned pages.  Takes vp_list_lock and
 * each owner's extents_lock (read).  Model quiescent.
 */
bool pnm_vaddr_pin_check(void)
{
	struct vaddr_pin *vp;
	bool ok = true;

	spin_lock(&vp_list_lock);
	list_for_each_entry(vp, &vp_list, node) {
		down_read(&vp->extents_lock);
		ok = vp_check_owner(vp);
		up_read(&vp->extents_lock);
		if (!ok)
			break;
	}
	spin_unlock(&vp_list_lock);
	return ok;
}

/*
 * The pin budget checker's walk (internal.h, pin_budget.c section): each
 * extent of each live owner that charges a budget, under vp_list_lock and
 * the owner's extents_lock (read).  Model quiescent.
 */
void pnm_vaddr_pin_for_each_charged(pnm_pin_budget_extent_fn *fn, void *arg)
{
	struct vaddr_pin *vp;
	struct vp_extent *e;

	spin_lock(&vp_list_lock);
	list_for_each_entry(vp, &vp_list, node) {
		if (!vp->budget_user)
			continue;
		down_read(&vp->extents_lock);
		list_for_each_entry(e, &vp->extents, list)
			fn(vp->mm, vp->budget_user, e->pages, e->nr, arg);
		up_read(&vp->extents_lock);
	}
	spin_unlock(&vp_list_lock);
}
