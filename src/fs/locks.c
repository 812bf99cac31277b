// SPDX-License-Identifier: MIT
/*
 * fs/locks.c - layout leases (Linux's fs/locks.c holds leases): what lets
 * an owner hold long-term write pins on a file's pages, and what a change
 * to the file's layout breaks.
 *
 * A layout lease (fcntl(F_SETLEASE, F_LAYOUT) of the 2019 RFC) is held by
 * a struct file on its inode (disk and dax files only).  A pin owner
 * (struct vaddr_pin) whose f_owner is that file may take long-term write
 * pins of shared mappings of the inode, which Linux refuses: the GUP
 * checks consult the calling thread's lease context (pnm_gup_lease_inode,
 * set by vaddr_pin.c around its pin call).  Each extent that pinned pages
 * of the inode is tied to the lease (lease->nr_tied).
 *
 * Breaking (truncate, hole punch: pnm_break_layout(), called before the
 * operation takes any lock): every lease of the inode is marked breaking
 * (no new tied pins), the owners tied to it are asked to let go (their
 * revoke callback, in the breaker's thread, without locks held), and the
 * breaker waits until no tied extent is left or the lease's deadline
 * passes.  Past the deadline the owners still tied are revoked by force
 * (vaddr_pin.c: device access through them fails, their pages are
 * quarantined until they unpin, the offender is reported).  Either way
 * the leases are gone afterwards, so later long-term write pins are
 * refused again, and the operation proceeds: it never waits longer than
 * the longest deadline plus the callbacks' own time.
 *
 * A pin in flight during a break has counted a provisional tie but has
 * no extent the break could ask or revoke (it may be stuck behind a
 * process's mmap_lock for any time).  The break does not wait for it
 * beyond the deadline: a lease still tied when it is removed is marked
 * broken and freed by its last untie instead, and the pin, when it links
 * its extent, finds the lease breaking (pnm_lease_breaking()) and is
 * refused as without a lease -- it pins nothing.
 *
 * Locks: lease_mutex (a leaf: vaddr_pin.c takes it inside an owner's
 * extents_lock, and the pnm_vaddr_pin_* calls made from here run after it
 * is dropped) protects every inode's lease list and every lease; lease_cond
 * is signalled when a tied extent goes.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "internal.h"

struct pnm_layout_lease {
	struct list_head list;		/* pi->leases (not once broken); lease_mutex */
	struct file *file;		/* holder; the lease dies with it */
	unsigned int break_ms;		/* set once */
	unsigned long nr_tied;		/* extents and pins in flight tied to
					 * it; lease_mutex */
	bool breaking;			/* lease_mutex */
	bool broken;			/* off the list, still tied by a pin in
					 * flight: its last untie frees it;
					 * lease_mutex */
};

static pthread_mutex_t lease_mutex = PTHREAD_MUTEX_INITIALIZER;
static bool leases_tied(struct pnm_inode *pi);
static pthread_cond_t lease_cond = PTHREAD_COND_INITIALIZER;

/* The lease thread context read by gup.c (internal.h). */
_Thread_local struct inode *pnm_gup_lease_inode;

#define LEASE_BREAK_MS_DEFAULT	1000
#define LEASE_BREAK_MS_MAX	600000

static bool lease_fs_ok(struct inode *inode)
{
	enum pnm_fs_type fs = PNM_I(inode)->fs;

	return fs == PNM_FS_DISK || fs == PNM_FS_DAX;
}

/* @file's lease on its inode, or NULL.  lease_mutex held. */
static struct pnm_layout_lease *lease_of(struct file *file)
{
	struct pnm_layout_lease *l;

	list_for_each_entry(l, &PNM_I(file->f_inode)->leases, list)
		if (l->file == file)
			return l;
	return NULL;
}

/*
 * pnm_file_set_layout_lease - take a layout lease on @file's inode
 * (pinmm/vaddr_pin.h).  Takes lease_mutex.
 */
int pnm_file_set_layout_lease(struct file *file, unsigned int break_ms)
{
	struct pnm_layout_lease *l;
	int err = 0;

	if (!file || !file->f_inode)
		return -EBADF;
	if (!(file->f_mode & FMODE_WRITE))
		return -EBADF;
	if (!lease_fs_ok(file->f_inode) || break_ms > LEASE_BREAK_MS_MAX)
		return -EINVAL;
	l = pnm_calloc(PNM_FAULT_ALLOC, 1, sizeof(*l));
	if (!l)
		return -ENOMEM;
	l->file = file;
	l->break_ms = break_ms ? break_ms : LEASE_BREAK_MS_DEFAULT;
	pthread_mutex_lock(&lease_mutex);
	if (lease_of(file))
		err = -EEXIST;
	else
		list_add_tail(&l->list, &PNM_I(file->f_inode)->leases);
	pthread_mutex_unlock(&lease_mutex);
	if (err)
		free(l);
	return err;
}

/*
 * pnm_file_release_layout_lease - give the lease back (pinmm/vaddr_pin.h):
 * -ENOENT if @file holds none, -EBUSY while pins are tied to it.
 */
int pnm_file_release_layout_lease(struct file *file)
{
	struct pnm_layout_lease *l;
	int err = 0;

	if (!file || !file->f_inode)
		return -EBADF;
	pthread_mutex_lock(&lease_mutex);
	l = lease_of(file);
	if (!l)
		err = -ENOENT;
	else if (l->nr_tied)
		err = -EBUSY;
	else
		list_del(&l->list);
	pthread_mutex_unlock(&lease_mutex);
	if (!err)
		free(l);
	return err;
}

/*
 * pnm_file_get_layout_lease - what @file's lease is (pinmm/vaddr_pin.h).
 * Takes lease_mutex.
 */
int pnm_file_get_layout_lease(struct file *file, struct pnm_layout_lease_info *info)
{
	struct pnm_layout_lease_info snap = { .size = sizeof(snap) };
	struct pnm_layout_lease *l;
	size_t size;

	if (!file || !file->f_inode)
		return -EBADF;
	if (!info || info->size < sizeof(snap) || info->size > PNM_STRUCT_SIZE_MAX)
		return -EINVAL;
	size = info->size;
	pthread_mutex_lock(&lease_mutex);
	l = lease_of(file);
	if (l) {
		snap.break_ms = l->break_ms;
		snap.tied = l->nr_tied;
		snap.breaking = l->breaking;
	}
	pthread_mutex_unlock(&lease_mutex);
	if (!l)
		return -ENOENT;
	memcpy(info, &snap, sizeof(snap));
	/* A newer caller's tail is zeroed; its size kept. */
	memset((char *)info + sizeof(snap), 0, size - sizeof(snap));
	info->size = size;
	return 0;
}

/*
 * The last reference to @file is gone (namei.c): drop its lease.  Nothing
 * can be tied to it any more: tied extents belong to owners whose f_owner
 * is @file, and owners hold a reference on it.
 */
void pnm_lease_file_release(struct file *file)
{
	struct pnm_layout_lease *l;

	if (!file->f_inode)
		return;
	pthread_mutex_lock(&lease_mutex);
	l = lease_of(file);
	if (l) {
		VM_WARN_ON_ONCE(l->nr_tied);
		list_del(&l->list);
	}
	pthread_mutex_unlock(&lease_mutex);
	free(l);
}

/*
 * Before a pin by an owner with @f_owner (vaddr_pin.c): if @f_owner holds
 * a lease that is not being broken, count one provisional tie on it and
 * return it (the caller then sets pnm_gup_lease_inode and later keeps the
 * tie with the extent or drops it with pnm_lease_untie()); else NULL.
 */
struct pnm_layout_lease *pnm_lease_tie(struct file *f_owner)
{
	struct pnm_layout_lease *l;

	if (!f_owner || !f_owner->f_inode)
		return NULL;
	pthread_mutex_lock(&lease_mutex);
	l = lease_of(f_owner);
	if (l && !l->breaking)
		l->nr_tied++;
	else
		l = NULL;
	pthread_mutex_unlock(&lease_mutex);
	return l;
}

/* Drop one tie of @l (an extent released or revoked, or a provisional tie
 * not kept) and wake a breaker waiting for the ties to go; the last tie
 * of a broken lease frees it. */
void pnm_lease_untie(struct pnm_layout_lease *l)
{
	bool free_it;

	pthread_mutex_lock(&lease_mutex);
	VM_WARN_ON_ONCE(!l->nr_tied);
	if (l->nr_tied)
		l->nr_tied--;
	if (!l->nr_tied)
		pthread_cond_broadcast(&lease_cond);
	free_it = l->broken && !l->nr_tied;
	pthread_mutex_unlock(&lease_mutex);
	if (free_it)
		free(l);
}

/*
 * Is @l being broken, or broken (vaddr_pin.c, before it links an extent
 * with the tie it took: a pin that completes during or after a break is
 * not kept)?  The caller holds a tie, so @l is alive.  Takes lease_mutex
 * (under the owner's extents_lock).
 */
bool pnm_lease_breaking(struct pnm_layout_lease *l)
{
	bool breaking;

	pthread_mutex_lock(&lease_mutex);
	breaking = l->breaking;
	pthread_mutex_unlock(&lease_mutex);
	return breaking;
}

/*
 * Has @inode extents tied to a layout lease (page-writeback.c: a tied,
 * maybe-pinned page is written from a bounce copy whatever wb_policy
 * says)?  A lockless look at the list first: an inode without leases,
 * the common case, costs one load.
 */
bool pnm_lease_inode_tied(struct inode *inode)
{
	struct pnm_inode *pi = PNM_I(inode);
	bool tied;

	/* Only the model's filesystems' inodes have leases (namei.c points
	 * i_private at the pnm_inode; a test filesystem's inode does not):
	 * compare the pointers, dereference nothing. */
	if (!inode || inode->i_private != (void *)pi)
		return false;
	/* Relaxed peek; a lease taken concurrently ties nothing yet. */
	if (READ_ONCE(pi->leases.next) == &pi->leases)
		return false;
	pthread_mutex_lock(&lease_mutex);
	tied = leases_tied(pi);
	pthread_mutex_unlock(&lease_mutex);
	return tied;
}

/* The inode a lease is on (for vaddr_pin.c's reports). */
struct inode *pnm_lease_inode(const struct pnm_layout_lease *l)
{
	return l->file->f_inode;
}

static bool leases_tied(struct pnm_inode *pi)
{
	struct pnm_layout_lease *l;

	list_for_each_entry(l, &pi->leases, list)
		if (l->nr_tied)
			return true;
	return false;
}

/*
 * pnm_break_layout - the layout of @inode is about to change (truncate,
 * hole punch): break its leases as described at the top of this file.
 * Returns 0 (the operation may proceed) -- also when owners had to be
 * revoked by force -- after at most the longest lease deadline plus the
 * revoke callbacks' time.  The caller holds no lock of the model.
 */
int pnm_break_layout(struct inode *inode)
{
	struct pnm_inode *pi = PNM_I(inode);
	struct pnm_layout_lease *l, *next;
	unsigned int wait_ms = 0;
	struct timespec deadline;
	bool tied = false;

	pthread_mutex_lock(&lease_mutex);
	if (list_empty(&pi->leases)) {
		pthread_mutex_unlock(&lease_mutex);
		return 0;
	}
	list_for_each_entry(l, &pi->leases, list) {
		l->breaking = true;
		if (l->break_ms > wait_ms)
			wait_ms = l->break_ms;
		tied |= l->nr_tied != 0;
	}
	pthread_mutex_unlock(&lease_mutex);

	if (tied) {
		/* Ask the owners tied to the inode's leases to let go. */
		pnm_vaddr_pin_revoke(inode, false);

		clock_gettime(CLOCK_REALTIME, &deadline);
		deadline.tv_sec += wait_ms / 1000;
		deadline.tv_nsec += (long)(wait_ms % 1000) * 1000000L;
		if (deadline.tv_nsec >= 1000000000L) {
			deadline.tv_sec++;
			deadline.tv_nsec -= 1000000000L;
		}
		pthread_mutex_lock(&lease_mutex);
		while (leases_tied(pi)) {
			if (pthread_cond_timedwait(&lease_cond, &lease_mutex,
						   &deadline) == ETIMEDOUT)
				break;
		}
		tied = leases_tied(pi);
		pthread_mutex_unlock(&lease_mutex);
		/* Deadline missed: revoke what is still tied, by force. */
		if (tied)
			pnm_vaddr_pin_revoke(inode, true);
	}

	/* The leases are broken: gone.  Every extent let go or was revoked;
	 * what may still be tied is a pin in flight, which will find the
	 * lease breaking and untie: its last untie frees the lease. */
	pthread_mutex_lock(&lease_mutex);
	list_for_each_entry_safe(l, next, &pi->leases, list) {
		list_del(&l->list);
		if (l->nr_tied)
			l->broken = true;
		else
			free(l);
	}
	count_vm_event(PNM_LEASE_BROKEN);
	pthread_mutex_unlock(&lease_mutex);
	return 0;
}

/* Leases of an inode being evicted (namei.c): none can be left, since
 * each holder file references the inode; check and free. */
void pnm_lease_inode_evict(struct inode *inode)
{
	struct pnm_layout_lease *l, *next;

	pthread_mutex_lock(&lease_mutex);
	list_for_each_entry_safe(l, next, &PNM_I(inode)->leases, list) {
		VM_WARN_ON_ONCE(1);
		list_del(&l->list);
		free(l);
	}
	pthread_mutex_unlock(&lease_mutex);
}
