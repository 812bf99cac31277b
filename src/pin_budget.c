// SPDX-License-Identifier: MIT
/*
 * pin_budget.c - the pin budget (pinmm/budget.h): a limit on the pages
 * long-term pin owners hold, per process and per user, charging each page
 * once per accounting domain however many owners pin it.
 *
 * Linux charges its long-term pinners to RLIMIT_MEMLOCK each on its own:
 * io_uring to the user's locked_vm (deduplicating only within itself),
 * RDMA to the mm's pinned_vm once per registration, VFIO once per
 * container, so the same page registered twice counts twice.  Here the
 * charge belongs to the page: a domain keeps the set of pfns charged to
 * it, each with the number of owner extent pages of the domain that
 * stand on it, and its charge is the size of that set.
 *
 * Domains (struct pnm_pin_budget):
 *   - a process domain per mm (mm->pnm_pin_budget), created at the first
 *     limit or charge and freed with the mm struct.  Owners mmgrab() their
 *     mm, so the domain outlives the task's exit while pins are charged.
 *   - a user domain per uid, created at the first limit or long-term
 *     owner of that user, kept until pnm_fini().  An owner resolves its
 *     user once, at creation (as io_uring keeps the creator's user), so
 *     the pin path never looks a user up.
 *
 * Charging (vaddr_pin.c, after a long-term owner's pin call succeeded):
 * under both domain locks, every page's pfn is counted in the process
 * set and in the user set; if either charge grew past its limit, the
 * counts are taken back and the call fails with -ENOMEM (the caller then
 * unpins everything it just pinned, so a refused call pins nothing).  The
 * sets' room is reserved before the first count, so the only failures are
 * refusals and a host allocation failure before anything changed.  The
 * pins exist for an instant before they are charged (as io_uring pins
 * before it accounts); the charge itself never exceeds a limit.
 * Uncharging runs after the pages were unpinned, so a charge never
 * covers less than what is pinned from the domain's owners.
 *
 * RLIMIT_MEMLOCK (resource.c): at each charge the process's soft limit
 * in pages (none with CAP_IPC_LOCK) is read once, before the domain
 * locks, and bounds both domains' charges beside their own limits, as
 * Linux's RDMA weighs mm->pinned_vm and io_uring weighs user->locked_vm
 * against the registering process's limit.  It is not a domain's limit
 * (another process of the same user may have another): the domains keep
 * only the explicit ones.
 *
 * Pages that pins do not count (the zero pages) are never charged.
 *
 * The charged sets are open-addressing hash tables (linear probing,
 * backward-shift deletion) keyed by pfn, at most half full; they shrink
 * when a domain's charge falls to an eighth of their size and are freed
 * when it falls to zero.
 *
 * Locks (order: pb_lock, then a process domain's lock, then a user
 * domain's; all after vaddr_pin.c's vp_list_lock and extents_lock, which
 * the checker's extent walk holds):
 *   pb_lock     the user list (pb_users), the process domain list
 *               (pb_procs) and publishing mm->pnm_pin_budget.
 *   d->lock     a domain's limit, charged set and counts.
 * task_lock() protects task->pnm_uid.
 */
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

/* One pfn of a domain's charged set. */
struct pb_slot {
	unsigned long key;		/* pfn + 1; 0: an empty slot */
	unsigned int count;		/* extent pages of the domain on it */
	unsigned int mark;		/* the checker's tally */
};

struct pnm_pin_budget {
	spinlock_t lock;
	unsigned long limit;		/* pages, or PNM_PIN_BUDGET_UNLIMITED; lock */
	unsigned long charged;		/* pfns in the set; lock */
	unsigned long refused;		/* pin calls this limit refused; lock */
	struct pb_slot *slots;		/* the set, or NULL when empty; lock */
	unsigned long mask;		/* slots - 1 (a power of two); lock */
	struct mm_struct *mm;		/* a process domain's mm; NULL for a user */
	int uid;			/* a user domain's uid; set once */
	struct list_head node;		/* pb_procs or pb_users; pb_lock */
};

static spinlock_t pb_lock = { .m = PTHREAD_MUTEX_INITIALIZER, .owner = 0 };
static LIST_HEAD(pb_users);		/* every user domain; pb_lock */
static LIST_HEAD(pb_procs);		/* every process domain; pb_lock */

#define PB_MIN_SLOTS		64UL
/* The first release's struct pnm_pin_budget_info ends after refused. */
#define PB_INFO_SIZE_0_2	(offsetof(struct pnm_pin_budget_info, refused) +	\
				 sizeof(unsigned long))

/* --- the charged set ----------------------------------------------------------- */

static unsigned long pb_home(const struct pnm_pin_budget *d, unsigned long key)
{
	unsigned long h = key * 0x9E3779B97F4A7C15UL;

	return (h ^ (h >> 29)) & d->mask;
}

/* The slot holding @key, or NULL.  d->lock. */
static struct pb_slot *pb_lookup(const struct pnm_pin_budget *d, unsigned long key)
{
	unsigned long i;

	if (!d->slots)
		return NULL;
	for (i = pb_home(d, key); d->slots[i].key; i = (i + 1) & d->mask)
		if (d->slots[i].key == key)
			return &d->slots[i];
	return NULL;
}

/* Move the set into a table of @nr_slots (a power of two, more than twice
 * the charge); false (nothing changed) if the host has no memory. */
static bool pb_resize(struct pnm_pin_budget *d, unsigned long nr_slots)
{
	struct pb_slot *old = d->slots;
	unsigned long old_nr = old ? d->mask + 1 : 0, i, j;

	d->slots = pnm_calloc(PNM_FAULT_ALLOC, nr_slots, sizeof(*d->slots));
	if (!d->slots) {
		d->slots = old;
		return false;
	}
	d->mask = nr_slots - 1;
	for (i = 0; i < old_nr; i++) {
		if (!old[i].key)
			continue;
		for (j = pb_home(d, old[i].key); d->slots[j].key; j = (j + 1) & d->mask)
			;
		d->slots[j] = old[i];
	}
	free(old);
	return true;
}

/* Room for @n more pfns with the table at most half full: false if the
 * host has no memory (nothing changed).  d->lock. */
static bool pb_reserve(struct pnm_pin_budget *d, unsigned long n)
{
	unsigned long want = d->charged + n, nr_slots = PB_MIN_SLOTS;

	if (d->slots && want <= (d->mask + 1) / 2)
		return true;
	if (want > ULONG_MAX / 4)
		return false;
	while (nr_slots < 2 * want)
		nr_slots <<= 1;
	return pb_resize(d, nr_slots);
}

/* Count one more extent page on @pfn (room reserved): true if the pfn is
 * newly charged.  d->lock. */
static bool pb_inc(struct pnm_pin_budget *d, unsigned long pfn)
{
	unsigned long key = pfn + 1, i;

	for (i = pb_home(d, key); d->slots[i].key; i = (i + 1) & d->mask) {
		if (d->slots[i].key == key) {
			d->slots[i].count++;
			return false;
		}
	}
	d->slots[i].key = key;
	d->slots[i].count = 1;
	d->slots[i].mark = 0;
	d->charged++;
	return true;
}

/* Count one extent page less on @pfn: true if the pfn is no longer
 * charged.  A pfn that is not charged is a bug (warned, nothing done).
 * Backward-shift deletion keeps every probe chain unbroken.  d->lock. */
static bool pb_dec(struct pnm_pin_budget *d, unsigned long pfn)
{
	struct pb_slot *s = pb_lookup(d, pfn + 1);
	unsigned long i, j, home;

	if (VM_WARN_ON_ONCE(!s))
		return false;
	if (--s->count)
		return false;
	i = (unsigned long)(s - d->slots);
	for (j = (i + 1) & d->mask; d->slots[j].key; j = (j + 1) & d->mask) {
		home = pb_home(d, d->slots[j].key);
		/* The entry at j may fill the hole at i unless its home lies
		 * cyclically in (i, j]. */
		if (i <= j ? (home > i && home <= j) : (home > i || home <= j))
			continue;
		d->slots[i] = d->slots[j];
		i = j;
	}
	memset(&d->slots[i], 0, sizeof(d->slots[i]));
	d->charged--;
	return true;
}

/* After uncharging: free an empty set, shrink a sparse one (if the host
 * has memory for the smaller table).  d->lock. */
static void pb_shrink(struct pnm_pin_budget *d)
{
	unsigned long nr_slots = PB_MIN_SLOTS;

	if (!d->slots)
		return;
	if (!d->charged) {
		free(d->slots);
		d->slots = NULL;
		d->mask = 0;
		return;
	}
	if (d->mask + 1 <= PB_MIN_SLOTS || d->charged > (d->mask + 1) / 8)
		return;
	while (nr_slots < 2 * d->charged)
		nr_slots <<= 1;
	pb_resize(d, nr_slots);
}

/* --- domains ---------------------------------------------------------------- */

static struct pnm_pin_budget *pb_alloc(void)
{
	struct pnm_pin_budget *d = pnm_calloc(PNM_FAULT_ALLOC, 1, sizeof(*d));

	if (!d)
		return NULL;
	spin_lock_init(&d->lock);
	d->limit = PNM_PIN_BUDGET_UNLIMITED;
	INIT_LIST_HEAD(&d->node);
	return d;
}

static void pb_free(struct pnm_pin_budget *d)
{
	free(d->slots);
	spin_lock_destroy(&d->lock);
	free(d);
}

/*
 * @mm's process domain; if it has none, NULL, or with @create a new one
 * (NULL on -ENOMEM).  The caller keeps the mm struct alive.
 */
static struct pnm_pin_budget *pb_mm_domain(struct mm_struct *mm, bool create)
{
	struct pnm_pin_budget *d = smp_load_acquire(&mm->pnm_pin_budget), *nd;

	if (d || !create)
		return d;
	nd = pb_alloc();
	if (!nd)
		return NULL;
	nd->mm = mm;
	spin_lock(&pb_lock);
	d = mm->pnm_pin_budget;
	if (!d) {
		list_add_tail(&nd->node, &pb_procs);
		/* Pairs with the acquire above: the domain is initialised. */
		smp_store_release(&mm->pnm_pin_budget, nd);
		d = nd;
		nd = NULL;
	}
	spin_unlock(&pb_lock);
	if (nd)
		pb_free(nd);
	return d;
}

/* User @uid's domain; if it has none, NULL, or with @create a new one
 * (NULL on -ENOMEM).  Takes pb_lock (allocating outside it). */
static struct pnm_pin_budget *pb_user_domain(int uid, bool create)
{
	struct pnm_pin_budget *d, *nd = NULL;

	for (;;) {
		spin_lock(&pb_lock);
		list_for_each_entry(d, &pb_users, node) {
			if (d->uid == uid)
				goto found;
		}
		if (nd) {
			list_add_tail(&nd->node, &pb_users);
			d = nd;
			nd = NULL;
			goto found;
		}
		spin_unlock(&pb_lock);
		if (!create)
			return NULL;
		nd = pb_alloc();
		if (!nd)
			return NULL;
		nd->uid = uid;
	}
found:
	spin_unlock(&pb_lock);
	if (nd)
		pb_free(nd);
	return d;
}

/* What @bound (a limit, or PNM_PIN_BUDGET_UNLIMITED) leaves of @charged. */
static unsigned long pb_left(unsigned long bound, unsigned long charged)
{
	if (bound == PNM_PIN_BUDGET_UNLIMITED)
		return PNM_PIN_BUDGET_UNLIMITED;
	return bound > charged ? bound - charged : 0;
}

/* @d's budget in @info (the library's size), with @rlimit (pages, or
 * PNM_PIN_BUDGET_UNLIMITED) bounding what remains; a missing domain
 * (NULL) has no limit and no charge.  Takes d->lock. */
static void pb_info(struct pnm_pin_budget *d, unsigned long rlimit,
		    struct pnm_pin_budget_info *info)
{
	memset(info, 0, sizeof(*info));
	info->size = sizeof(*info);
	info->limit = PNM_PIN_BUDGET_UNLIMITED;
	info->rlimit = rlimit;
	if (d) {
		spin_lock(&d->lock);
		info->limit = d->limit;
		info->charged = d->charged;
		info->refused = d->refused;
		spin_unlock(&d->lock);
	}
	info->remaining = min_t(unsigned long, pb_left(info->limit, info->charged),
				pb_left(rlimit, info->charged));
}

/* @mm's process budget in @info, RLIMIT_MEMLOCK and locked_vm included.
 * Takes mmap_lock for read (locked_vm) unless the address space is gone. */
static void pb_mm_info(struct mm_struct *mm, struct pnm_pin_budget_info *info)
{
	pb_info(pb_mm_domain(mm, false), pnm_mm_memlock_pages(mm), info);
	if (mmget_not_zero(mm)) {
		mmap_read_lock(mm);
		info->locked_vm = pnm_mm_locked_vm(mm);
		mmap_read_unlock(mm);
		mmput(mm);
	}
}

/* Copy @snap to the caller's @info of its own size (checked), zeroing a
 * newer caller's tail. */
static void pb_info_copy(struct pnm_pin_budget_info *info, const struct pnm_pin_budget_info *snap)
{
	size_t size = info->size;

	memcpy(info, snap, sizeof(*snap));
	memset((char *)info + sizeof(*snap), 0, size - sizeof(*snap));
	info->size = size;
}

static bool pb_info_size_ok(const struct pnm_pin_budget_info *info)
{
	return info && info->size >= PB_INFO_SIZE_0_2 && info->size <= PNM_STRUCT_SIZE_MAX;
}

/* Pages that pins do not count are never charged. */
static bool pb_chargeable(struct page *page)
{
	unsigned long pfn = page_to_pfn(page);

	return !is_zero_pfn(pfn) && !is_huge_zero_pfn(pfn);
}

/* --- the public calls ---------------------------------------------------------- */

/* pnm_task_set_user - put @task in user @uid (pinmm/budget.h). */
int pnm_task_set_user(struct task_struct *task, int uid)
{
	int ret = 0;

	if (!task || uid < 0)
		return -EINVAL;
	task_lock(task);
	if (task->exited)
		ret = -ESRCH;
	else
		task->pnm_uid = uid;
	task_unlock(task);
	return ret;
}

/* pnm_task_user - @task's user (pinmm/budget.h). */
int pnm_task_user(struct task_struct *task)
{
	int uid;

	if (!task)
		return -EINVAL;
	task_lock(task);
	uid = task->pnm_uid;
	task_unlock(task);
	return uid;
}

/* pnm_pin_budget_set_task_limit - @task's process limit (pinmm/budget.h).
 * Takes task_lock, pb_lock (a new domain) and the domain lock. */
int pnm_pin_budget_set_task_limit(struct task_struct *task, unsigned long pages)
{
	struct pnm_pin_budget *d;
	struct mm_struct *mm;

	if (!pnm_initialised || !task)
		return -EINVAL;
	mm = get_task_mm(task);
	if (!mm)
		return -ESRCH;
	/* No domain and no limit: nothing to record. */
	d = pb_mm_domain(mm, pages != PNM_PIN_BUDGET_UNLIMITED);
	if (d) {
		spin_lock(&d->lock);
		d->limit = pages;
		spin_unlock(&d->lock);
	}
	mmput(mm);
	return d || pages == PNM_PIN_BUDGET_UNLIMITED ? 0 : -ENOMEM;
}

/* pnm_pin_budget_set_user_limit - user @uid's limit (pinmm/budget.h).
 * Takes pb_lock and the domain lock. */
int pnm_pin_budget_set_user_limit(int uid, unsigned long pages)
{
	struct pnm_pin_budget *d;

	if (!pnm_initialised || uid < 0)
		return -EINVAL;
	d = pb_user_domain(uid, pages != PNM_PIN_BUDGET_UNLIMITED);
	if (!d)
		return pages == PNM_PIN_BUDGET_UNLIMITED ? 0 : -ENOMEM;
	spin_lock(&d->lock);
	d->limit = pages;
	spin_unlock(&d->lock);
	return 0;
}

/* pnm_pin_budget_get_task - @task's process budget (pinmm/budget.h). */
int pnm_pin_budget_get_task(struct task_struct *task, struct pnm_pin_budget_info *info)
{
	struct pnm_pin_budget_info snap;
	struct mm_struct *mm;

	if (!pnm_initialised || !task || !pb_info_size_ok(info))
		return -EINVAL;
	mm = get_task_mm(task);
	if (!mm)
		return -ESRCH;
	pb_mm_info(mm, &snap);
	mmput(mm);
	pb_info_copy(info, &snap);
	return 0;
}

/* pnm_pin_budget_get_user - user @uid's budget (pinmm/budget.h). */
int pnm_pin_budget_get_user(int uid, struct pnm_pin_budget_info *info)
{
	struct pnm_pin_budget_info snap;

	if (!pnm_initialised || uid < 0 || !pb_info_size_ok(info))
		return -EINVAL;
	pb_info(pb_user_domain(uid, false), PNM_PIN_BUDGET_UNLIMITED, &snap);
	pb_info_copy(info, &snap);
	return 0;
}

/* pnm_pin_budget_remaining - what a new long-term owner of @task could
 * still charge (pinmm/budget.h). */
int pnm_pin_budget_remaining(struct task_struct *task, unsigned long *pages)
{
	struct pnm_pin_budget_info proc, user;
	unsigned long rlimit;
	struct mm_struct *mm;

	if (!pnm_initialised || !task || !pages)
		return -EINVAL;
	mm = get_task_mm(task);
	if (!mm)
		return -ESRCH;
	rlimit = pnm_mm_memlock_pages(mm);
	pb_info(pb_mm_domain(mm, false), rlimit, &proc);
	mmput(mm);
	pb_info(pb_user_domain(pnm_task_user(task), false), rlimit, &user);
	*pages = min_t(unsigned long, proc.remaining, user.remaining);
	return 0;
}

/* --- what vaddr_pin.c, fork.c and pnm.c call (internal.h) -------------------------- */

/* pnm_pin_budget_user_domain - the user domain a new long-term owner of
 * @task charges (internal.h). */
struct pnm_pin_budget *pnm_pin_budget_user_domain(struct task_struct *task)
{
	return pb_user_domain(pnm_task_user(task), true);
}

/* Take back the counts of @pages[0, nr) in @d: the number of pfns that
 * left the set.  d->lock. */
static unsigned long pb_uncount(struct pnm_pin_budget *d, struct page *const *pages,
				unsigned long nr)
{
	unsigned long i, gone = 0;

	for (i = 0; i < nr; i++)
		if (pb_chargeable(pages[i]))
			gone += pb_dec(d, page_to_pfn(pages[i]));
	return gone;
}

/* pnm_pin_budget_charge - charge just-pinned pages, all or nothing
 * (internal.h). */
int pnm_pin_budget_charge(struct mm_struct *mm, struct pnm_pin_budget *user,
			  struct page *const *pages, unsigned long nr)
{
	struct pnm_pin_budget *proc = pb_mm_domain(mm, true);
	/* Read before the domain locks: the limits' lock is a leaf too. */
	unsigned long rlimit = pnm_mm_memlock_pages(mm);
	unsigned long i, proc_new = 0, user_new = 0;
	bool proc_over, user_over, by_rlimit;
	int ret = 0;

	if (!proc)
		return -ENOMEM;
	spin_lock(&proc->lock);
	spin_lock(&user->lock);
	if (!pb_reserve(proc, nr) || !pb_reserve(user, nr)) {
		ret = -ENOMEM;
		goto out;
	}
	for (i = 0; i < nr; i++) {
		unsigned long pfn;

		if (!pb_chargeable(pages[i]))
			continue;
		pfn = page_to_pfn(pages[i]);
		proc_new += pb_inc(proc, pfn);
		user_new += pb_inc(user, pfn);
	}
	/* A charge that did not grow is never refused: a limit lowered below
	 * it still lets pages already charged be pinned again. */
	proc_over = proc_new && proc->charged > min_t(unsigned long, proc->limit, rlimit);
	user_over = user_new && user->charged > min_t(unsigned long, user->limit, rlimit);
	if (proc_over || user_over) {
		/* Would the domains' own limits have let it through? */
		by_rlimit = (!proc_over || proc->charged <= proc->limit) &&
			    (!user_over || user->charged <= user->limit);
		pb_uncount(proc, pages, nr);
		pb_uncount(user, pages, nr);
		proc->refused += proc_over;
		user->refused += user_over;
		count_vm_event(PNM_PIN_BUDGET_REFUSED);
		if (by_rlimit)
			count_vm_event(PNM_PIN_RLIMIT_REFUSED);
		ret = -ENOMEM;
		goto out;
	}
	mod_vm_stat(PNM_PIN_BUDGET_TASK_PAGES, (long)proc_new);
	mod_vm_stat(PNM_PIN_BUDGET_USER_PAGES, (long)user_new);
out:
	/* A refused charge may leave a table grown for nothing. */
	pb_shrink(user);
	pb_shrink(proc);
	spin_unlock(&user->lock);
	spin_unlock(&proc->lock);
	return ret;
}

/* pnm_pin_budget_uncharge - undo a charge (internal.h). */
void pnm_pin_budget_uncharge(struct mm_struct *mm, struct pnm_pin_budget *user,
			     struct page *const *pages, unsigned long nr)
{
	struct pnm_pin_budget *proc = pb_mm_domain(mm, false);
	unsigned long gone;

	/* A charged extent made the process domain. */
	if (VM_WARN_ON_ONCE(!proc))
		return;
	spin_lock(&proc->lock);
	spin_lock(&user->lock);
	gone = pb_uncount(proc, pages, nr);
	mod_vm_stat(PNM_PIN_BUDGET_TASK_PAGES, -(long)gone);
	gone = pb_uncount(user, pages, nr);
	mod_vm_stat(PNM_PIN_BUDGET_USER_PAGES, -(long)gone);
	pb_shrink(user);
	pb_shrink(proc);
	spin_unlock(&user->lock);
	spin_unlock(&proc->lock);
}

/* pnm_pin_budget_fork - a fork child inherits the process limit
 * (internal.h). */
int pnm_pin_budget_fork(struct mm_struct *oldmm, struct mm_struct *mm)
{
	struct pnm_pin_budget *old = pb_mm_domain(oldmm, false), *d;
	unsigned long limit;

	if (!old)
		return 0;
	spin_lock(&old->lock);
	limit = old->limit;
	spin_unlock(&old->lock);
	if (limit == PNM_PIN_BUDGET_UNLIMITED)
		return 0;
	d = pb_mm_domain(mm, true);
	if (!d)
		return -ENOMEM;
	spin_lock(&d->lock);
	d->limit = limit;
	spin_unlock(&d->lock);
	return 0;
}

/* pnm_pin_budget_mm_free - free @mm's process domain (internal.h). */
void pnm_pin_budget_mm_free(struct mm_struct *mm)
{
	struct pnm_pin_budget *d = mm->pnm_pin_budget;

	if (!d)
		return;
	spin_lock(&pb_lock);
	list_del(&d->node);
	spin_unlock(&pb_lock);
	/* Owners mmgrab() the mm and uncharge before they go. */
	if (VM_WARN_ON_ONCE(d->charged))
		mod_vm_stat(PNM_PIN_BUDGET_TASK_PAGES, -(long)d->charged);
	mm->pnm_pin_budget = NULL;
	pb_free(d);
}

/* pnm_pin_budget_get_mm - @mm's process budget (internal.h). */
void pnm_pin_budget_get_mm(struct mm_struct *mm, struct pnm_pin_budget_info *info)
{
	pb_mm_info(mm, info);
}

/* --- the checker ---------------------------------------------------------------- */

/* What the extent walk found wrong first. */
struct pb_check {
	bool bad;
	unsigned long pfn;
	const char *what;
	int pid;
};

/* Tally one extent's pages in its domains' sets (the walk's callback). */
static void pb_check_extent(struct mm_struct *mm, struct pnm_pin_budget *user,
			    struct page *const *pages, unsigned long nr, void *arg)
{
	struct pnm_pin_budget *proc = pb_mm_domain(mm, false);
	struct pb_check *c = arg;
	unsigned long i;

	for (i = 0; i < nr && !c->bad; i++) {
		unsigned long pfn = page_to_pfn(pages[i]);
		struct pnm_pin_budget *doms[2] = { proc, user };
		int k;

		if (!pb_chargeable(pages[i]))
			continue;
		for (k = 0; k < 2 && !c->bad; k++) {
			struct pb_slot *s = NULL;

			if (doms[k]) {
				spin_lock(&doms[k]->lock);
				s = pb_lookup(doms[k], pfn + 1);
				if (s)
					s->mark++;
				spin_unlock(&doms[k]->lock);
			}
			if (!s) {
				c->bad = true;
				c->pfn = pfn;
				c->pid = mm->owner_pid;
				c->what = k ? "its user" : "its process";
			}
		}
	}
}

/*
 * Walk every domain of @list: with @settle, check that its charge is the
 * number of pfns in its set (each counted at least once), add it to *sum
 * and clear the tallies; otherwise check every tally against its count.
 * pb_lock.
 */
static bool pb_check_list(struct list_head *list, bool settle, unsigned long *sum)
{
	struct pnm_pin_budget *d;

	list_for_each_entry(d, list, node) {
		unsigned long i, used = 0, nr_slots = d->slots ? d->mask + 1 : 0;
		bool ok = true;

		spin_lock(&d->lock);
		for (i = 0; i < nr_slots && ok; i++) {
			struct pb_slot *s = &d->slots[i];

			if (!s->key)
				continue;
			used++;
			if (settle) {
				s->mark = 0;
				if (!s->count)
					ok = pnm_check_fail("pin budget of %s %d: pfn %#lx in the set with no count",
							    d->mm ? "pid" : "user",
							    d->mm ? d->mm->owner_pid : d->uid,
							    s->key - 1);
			} else if (s->mark != s->count) {
				ok = pnm_check_fail("pin budget of %s %d: pfn %#lx counted %u times but "
						    "%u long-term owner extent pages hold it",
						    d->mm ? "pid" : "user",
						    d->mm ? d->mm->owner_pid : d->uid,
						    s->key - 1, s->count, s->mark);
			}
		}
		if (ok && settle && used != d->charged)
			ok = pnm_check_fail("pin budget of %s %d: charge %lu but %lu pfns in its set",
					    d->mm ? "pid" : "user", d->mm ? d->mm->owner_pid : d->uid,
					    d->charged, used);
		if (sum)
			*sum += d->charged;
		spin_unlock(&d->lock);
		if (!ok)
			return false;
	}
	return true;
}

/* pnm_pin_budget_check - the charged sets against the owners' extents
 * (internal.h). */
bool pnm_pin_budget_check(void)
{
	unsigned long procs = 0, users = 0;
	struct pb_check c = { .bad = false };
	bool ok;

	spin_lock(&pb_lock);
	ok = pb_check_list(&pb_procs, true, &procs) && pb_check_list(&pb_users, true, &users);
	spin_unlock(&pb_lock);
	if (!ok)
		return false;
	if ((long)procs != global_stat(PNM_PIN_BUDGET_TASK_PAGES) ||
	    (long)users != global_stat(PNM_PIN_BUDGET_USER_PAGES))
		return pnm_check_fail("pin budget gauges: pnm_pin_budget_task_pages %ld, "
				      "pnm_pin_budget_user_pages %ld, but processes hold %lu "
				      "and users %lu", global_stat(PNM_PIN_BUDGET_TASK_PAGES),
				      global_stat(PNM_PIN_BUDGET_USER_PAGES), procs, users);

	pnm_vaddr_pin_for_each_charged(pb_check_extent, &c);
	if (c.bad)
		return pnm_check_fail("pin budget: pfn %#lx of a long-term owner of pid %d is "
				      "not charged to %s", c.pfn, c.pid, c.what);

	spin_lock(&pb_lock);
	ok = pb_check_list(&pb_procs, false, NULL) && pb_check_list(&pb_users, false, NULL);
	spin_unlock(&pb_lock);
	return ok;
}

/* pnm_pin_budget_fini - free what is left (internal.h). */
void pnm_pin_budget_fini(void)
{
	struct pnm_pin_budget *d, *next;

	list_for_each_entry_safe(d, next, &pb_procs, node) {
		/* The mm struct leaked (pnm_fini() said so); it must not
		 * point at a freed domain. */
		d->mm->pnm_pin_budget = NULL;
		pb_free(d);
	}
	list_for_each_entry_safe(d, next, &pb_users, node) {
		if (d->charged)
			pnm_log(PNM_LOG_ERR, "pinmm: pnm_fini: user %d still has %lu pinned "
				"page%s charged", d->uid, d->charged, d->charged == 1 ? "" : "s");
		pb_free(d);
	}
	INIT_LIST_HEAD(&pb_procs);
	INIT_LIST_HEAD(&pb_users);
}
