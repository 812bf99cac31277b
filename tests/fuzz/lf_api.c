/* SPDX-License-Identifier: MIT */
/*
 * lf_api.c - libFuzzer target: random sequences of public API calls.
 *
 * The input is a program: each operation is one opcode byte followed by
 * a few argument bytes (missing bytes read as 0).  A fresh model (16 MiB
 * Normal, 8 MiB Movable) runs it with up to four processes, eight
 * mappings, two files (one on disk, one shmem) and sixteen pin slots:
 *
 *   mmap anonymous or of a file, shared or private, THP-advised or not;
 *   CPU writes; pin_user_pages_fast() (FOLL_WRITE, FOLL_LONGTERM) and
 *   unpin (dirty or not); get_user_pages_fast() + put_page(); fork, exit;
 *   munmap, mprotect and mremap of part of a mapping; truncate, fsync and
 *   writeback of a file; migration of a range to another zone,
 *   compaction, reclaim; a long-term vaddr_pin owner on the disk file
 *   under a layout lease (its revoke callback unpins, or not, so that a
 *   truncate revokes it by force).
 *
 * Every call may fail with its documented errno: that is not a finding.
 * What is: a crash or sanitizer report, pnm_check_system() failing after
 * any operation (abort with the checker's message), or pnm_fini() finding
 * frames still allocated once every pin is released and every process
 * has exited.  Built only with -DPINMM_FUZZ=ON (the fuzz preset).
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include <pinmm/pinmm.h>
#include <pinmm/file.h>
#include <pinmm/gup.h>
#include <pinmm/mman.h>
#include <pinmm/task.h>
#include <pinmm/vaddr_pin.h>

#define PG		4096UL
#define NR_TASKS	4
#define NR_MAPS		8
#define NR_PINS		16
#define MAX_PIN_PAGES	16
#define MAX_MAP_PAGES	64
#define MAX_OPS		256

struct map {
	struct task_struct *task;	/* NULL: slot free */
	unsigned long addr, pages;
};

struct pin {
	struct page *pages[MAX_PIN_PAGES];
	int nr;				/* 0: slot free */
};

struct fuzz {
	const uint8_t *in;
	size_t len, pos;
	struct task_struct *tasks[NR_TASKS];
	struct map maps[NR_MAPS];
	struct pin pins[NR_PINS];
	struct file *files[2];		/* disk (leasable), shmem */
	struct vaddr_pin *owner;	/* on files[0], under its lease */
	unsigned long owner_addr;
	bool owner_pinned, owner_unpins_on_revoke;
};

static uint8_t next(struct fuzz *z)
{
	return z->pos < z->len ? z->in[z->pos++] : 0;
}

static void check(const char *after)
{
	if (!pnm_check_system()) {
		fprintf(stderr, "lf_api: invariant violated after %s: %s\n", after,
			pnm_check_error());
		abort();
	}
}

static struct task_struct *pick_task(struct fuzz *z)
{
	return z->tasks[next(z) % NR_TASKS];
}

static struct map *pick_map(struct fuzz *z)
{
	struct map *m = &z->maps[next(z) % NR_MAPS];

	return m->task ? m : NULL;
}

/* The owner's revoke callback: release in time, or leave it to the
 * deadline (the truncate then revokes the owner by force). */
static void owner_revoke(struct vaddr_pin *vp, void *arg)
{
	struct fuzz *z = arg;

	if (z->owner_unpins_on_revoke && z->owner_pinned &&
	    !vaddr_unpin_pages(vp, z->owner_addr, true))
		z->owner_pinned = false;
}

static const struct vaddr_pin_ops owner_ops = { .revoke = owner_revoke };

static void op_mmap(struct fuzz *z)
{
	struct task_struct *t = pick_task(z);
	uint8_t how = next(z);
	unsigned long pages = 1 + next(z) % MAX_MAP_PAGES;
	struct file *file = (how & 3) == 1 ? z->files[0] : (how & 3) == 2 ? z->files[1] : NULL;
	unsigned long flags = (how & 4) ? MAP_SHARED : MAP_PRIVATE;
	struct map *m = &z->maps[next(z) % NR_MAPS];
	long addr;

	if (!t || m->task)
		return;
	if (!file)
		flags |= MAP_ANONYMOUS;
	addr = pnm_mmap(t, 0, pages * PG, PROT_READ | PROT_WRITE, flags, file, 0);
	if (addr < 0)
		return;
	if (how & 8)
		pnm_madvise(t, (unsigned long)addr, pages * PG, MADV_HUGEPAGE);
	*m = (struct map){ .task = t, .addr = (unsigned long)addr, .pages = pages };
}

static void op_write(struct fuzz *z)
{
	struct map *m = pick_map(z);
	uint8_t off = next(z), n = next(z), val = next(z);
	char buf[4 * PG];
	unsigned long start, len;

	if (!m)
		return;
	start = (off % m->pages) * PG + (off & 0xf) * 8;
	len = 1 + (n % sizeof(buf));
	memset(buf, val, len);
	pnm_user_write(m->task, m->addr + start, buf, len);
}

static void op_pin(struct fuzz *z, bool get)
{
	struct map *m = pick_map(z);
	uint8_t off = next(z), n = next(z), flags = next(z);
	struct pin *p = &z->pins[next(z) % NR_PINS];
	unsigned int gup = ((flags & 1) ? FOLL_WRITE : 0) | ((flags & 2) ? FOLL_LONGTERM : 0);
	struct task_struct *prev;
	int nr = 1 + n % MAX_PIN_PAGES, ret;

	if (!m || p->nr || pnm_task_exited(m->task))
		return;
	prev = pnm_task_enter(m->task);
	if (get)
		ret = get_user_pages_fast(m->addr + (off % m->pages) * PG, nr, gup & FOLL_WRITE,
					  p->pages);
	else
		ret = pin_user_pages_fast(m->addr + (off % m->pages) * PG, nr, gup, p->pages);
	pnm_task_leave(prev);
	if (ret <= 0)
		return;
	if (get) {			/* a plain reference: put at once */
		for (int i = 0; i < ret; i++)
			put_page(p->pages[i]);
		return;
	}
	p->nr = ret;
}

static void op_unpin(struct fuzz *z)
{
	struct pin *p = &z->pins[next(z) % NR_PINS];
	bool dirty = next(z) & 1;

	if (!p->nr)
		return;
	unpin_user_pages_dirty_lock(p->pages, (unsigned long)p->nr, dirty);
	p->nr = 0;
}

static void op_fork(struct fuzz *z)
{
	struct task_struct *parent = pick_task(z);
	struct task_struct **child = &z->tasks[next(z) % NR_TASKS];

	if (!parent || *child || pnm_task_exited(parent))
		return;
	if (pnm_task_fork(parent, "child", child))
		*child = NULL;
}

/* Exit a process and forget its mappings (its pins stay: a device may
 * outlive the process, and the pins are released by slot later). */
static void op_exit(struct fuzz *z)
{
	struct task_struct **t = &z->tasks[next(z) % NR_TASKS];

	if (!*t)
		return;
	for (int i = 0; i < NR_MAPS; i++)
		if (z->maps[i].task == *t)
			z->maps[i].task = NULL;
	pnm_task_exit(*t);
	pnm_task_put(*t);
	*t = NULL;
}

static void op_unmap(struct fuzz *z, uint8_t kind)
{
	struct map *m = pick_map(z);
	uint8_t off = next(z), n = next(z);
	unsigned long start, len;

	if (!m)
		return;
	start = (off % m->pages) * PG;
	len = (1 + n % (m->pages - start / PG)) * PG;
	switch (kind) {
	case 0:
		if (!pnm_munmap(m->task, m->addr, m->pages * PG))
			m->task = NULL;
		break;
	case 1:
		pnm_mprotect(m->task, m->addr + start, len, (n & 0x80) ? PROT_READ :
			     PROT_READ | PROT_WRITE);
		break;
	case 2:
		pnm_madvise(m->task, m->addr + start, len, (n & 0x80) ? MADV_DONTNEED : MADV_COLD);
		break;
	default:
		pnm_migrate_range(m->task, m->addr + start, len,
				  (n & 0x80) ? PNM_ZONE_NORMAL : PNM_ZONE_MOVABLE);
		break;
	}
}

static void op_file(struct fuzz *z)
{
	struct file *f = z->files[next(z) & 1];
	uint8_t what = next(z), arg = next(z);

	switch (what % 4) {
	case 0:
		pnm_file_truncate(f, (int64_t)(arg % 80) * (int64_t)PG);
		break;
	case 1:
		pnm_file_fsync(f, 0, INT64_MAX, arg & 1);
		break;
	case 2:
		pnm_file_writeback(f, 0, INT64_MAX);
		break;
	default: {
		char buf[PG];

		memset(buf, arg, sizeof(buf));
		pnm_file_write(f, buf, sizeof(buf), (int64_t)(arg % 64) * (int64_t)PG);
		break;
	}
	}
}

/* A long-term owner on the disk file, pinning a shared mapping of it
 * under the file's layout lease; or its release and destruction. */
static void op_owner(struct fuzz *z)
{
	struct map *m = pick_map(z);
	uint8_t how = next(z);

	if (z->owner) {
		if (z->owner_pinned && !vaddr_unpin_pages(z->owner, z->owner_addr, how & 1))
			z->owner_pinned = false;
		if (!z->owner_pinned && !vaddr_pin_destroy(z->owner)) {
			z->owner = NULL;
			pnm_file_release_layout_lease(z->files[0]);
		}
		return;
	}
	if (!m || pnm_task_exited(m->task))
		return;
	pnm_file_set_layout_lease(z->files[0], 1);
	{
		struct vaddr_pin_params p = {
			.size = sizeof(p), .task = m->task, .f_owner = z->files[0],
			.flags = VADDR_PIN_WRITE | VADDR_PIN_LONGTERM, .name = "fuzz",
			.ops = &owner_ops, .ops_arg = z,
		};

		if (vaddr_pin_create(&p, &z->owner))
			return;
	}
	z->owner_unpins_on_revoke = how & 2;
	z->owner_addr = m->addr;
	z->owner_pinned = vaddr_pin_user_pages(z->owner, m->addr, 1 + how % m->pages, NULL) > 0;
}

static void run(struct fuzz *z)
{
	for (unsigned int ops = 0; ops < MAX_OPS && z->pos < z->len; ops++) {
		uint8_t op = next(z);

		switch (op % 14) {
		case 0: op_mmap(z); break;
		case 1: op_write(z); break;
		case 2: op_pin(z, false); break;
		case 3: op_unpin(z); break;
		case 4: op_pin(z, true); break;
		case 5: op_fork(z); break;
		case 6: op_exit(z); break;
		case 7: op_unmap(z, 0); break;
		case 8: op_unmap(z, 1); break;
		case 9: op_unmap(z, 2); break;
		case 10: op_unmap(z, 3); break;
		case 11: op_file(z); break;
		case 12: op_owner(z); break;
		default:
			if (next(z) & 1)
				pnm_reclaim_pages(64, true);
			else
				pnm_compact_zone(PNM_ZONE_MOVABLE, 0, NULL);
			break;
		}
		check("an operation");
	}
}

/* Release everything; the model must then give back every frame. */
static void teardown(struct fuzz *z)
{
	for (int i = 0; i < NR_PINS; i++)
		if (z->pins[i].nr)
			unpin_user_pages(z->pins[i].pages, (unsigned long)z->pins[i].nr);
	if (z->owner) {
		if (z->owner_pinned)
			vaddr_unpin_pages(z->owner, z->owner_addr, false);
		if (vaddr_pin_destroy(z->owner)) {
			fprintf(stderr, "lf_api: an owner with no pins cannot be destroyed\n");
			abort();
		}
		pnm_file_release_layout_lease(z->files[0]);
	}
	for (int i = 0; i < NR_TASKS; i++)
		if (z->tasks[i]) {
			pnm_task_exit(z->tasks[i]);
			pnm_task_put(z->tasks[i]);
		}
	for (int i = 0; i < 2; i++)
		if (z->files[i])
			pnm_file_close(z->files[i]);
	check("teardown");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz z = { .in = data, .len = size };
	struct pnm_config cfg;
	int ret;

	pnm_config_default(&cfg);
	cfg.zone_frames[PNM_ZONE_NORMAL] = 4096;
	cfg.zone_frames[PNM_ZONE_MOVABLE] = 2048;
	cfg.zone_frames[PNM_ZONE_CMA] = 0;
	cfg.pin_debug = false;		/* misuse (a pin at exit) is allowed here */
	if (pnm_init(&cfg))
		abort();
	if (pnm_task_create("fuzz", &z.tasks[0]) ||
	    pnm_file_open(PNM_FS_DISK, "f", O_RDWR | O_CREAT, &z.files[0]) ||
	    pnm_shmem_file_create("s", 64 * (int64_t)PG, &z.files[1]) ||
	    pnm_file_truncate(z.files[0], 64 * (int64_t)PG))
		abort();
	run(&z);
	teardown(&z);
	ret = pnm_fini();
	if (ret) {
		fprintf(stderr, "lf_api: pnm_fini: %s (frames leaked?)\n", pnm_strerror(ret));
		abort();
	}
	return 0;
}
