// SPDX-License-Identifier: MIT
/*
 * test_vaddr_pin.c - pin owners and the vaddr_pin wrapper (vaddr_pin.c):
 * creation and its errors, pins that are real FOLL_PIN pins (counted,
 * recorded under the owner's name, long-term pins migrated out of
 * MOVABLE, Linux's refusals kept), one extent per call with overlap and
 * unknown-extent errors, the device side by user address through the
 * owner (bounds, write permission, counters), pins that outlive the
 * task's exit, destroy only when empty, the listing and the extents
 * query (sites, logical time, files), pnm_teardown()
 * releasing owners' pins, and several threads pinning, transferring and
 * unpinning through one owner.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "test_util.h"
#include "pinmm_test_internal.h"

#define PG	PAGE_SIZE
#define RW	(PROT_READ | PROT_WRITE)
#define PRIV	(MAP_PRIVATE | MAP_ANONYMOUS)

static struct vaddr_pin *owner(struct task_struct *t, unsigned int flags, const char *name)
{
	struct vaddr_pin_params p = {
		.size = sizeof(p), .task = t, .flags = flags, .name = name,
	};
	struct vaddr_pin *vp = NULL;

	assert_int_equal(vaddr_pin_create(&p, &vp), 0);
	assert_non_null(vp);
	return vp;
}

static struct pnm_vaddr_pin_info info_of(struct vaddr_pin *vp)
{
	struct pnm_vaddr_pin_info info = { .size = sizeof(info) };

	assert_int_equal(pnm_vaddr_pin_get_info(vp, &info), 0);
	return info;
}

static void test_create_errors(void **state)
{
	struct task_struct *t = test_task_create("t");
	struct vaddr_pin_params p = { .size = sizeof(p), .task = t };
	struct vaddr_pin *vp = (struct vaddr_pin *)0x1;

	(void)state;
	assert_int_equal(vaddr_pin_create(NULL, &vp), -EINVAL);
	assert_int_equal(vaddr_pin_create(&p, NULL), -EINVAL);
	p.flags = 0x80;
	assert_int_equal(vaddr_pin_create(&p, &vp), -EINVAL);
	p.flags = 0;
	p.size = offsetof(struct vaddr_pin_params, ops);
	assert_int_equal(vaddr_pin_create(&p, &vp), -EINVAL);
	p.size = sizeof(p);
	p.task = NULL;
	assert_int_equal(vaddr_pin_create(&p, &vp), -EINVAL);
	p.task = t;
	pnm_task_exit(t);
	assert_int_equal(vaddr_pin_create(&p, &vp), -ESRCH);
	/* Nothing was handed back by the failures. */
	assert_ptr_equal(vp, (struct vaddr_pin *)0x1);
	assert_int_equal(vaddr_pin_destroy(NULL), 0);
	CHECK_ALL();
}

/* The wrapper's pins are FOLL_PIN pins of the owner's mm, recorded under
 * its name; the device reaches them by user address. */
static void test_pin_dma_unpin(void **state)
{
	struct task_struct *t = test_task_create("app");
	struct vaddr_pin *vp = owner(t, VADDR_PIN_WRITE, "mr1");
	unsigned long a = test_mmap(t, 4 * PG, RW, PRIV);
	long acquired = global_stat(NR_FOLL_PIN_ACQUIRED);
	long wbytes = global_stat(PNM_DMA_WRITE_BYTES);
	struct pnm_vaddr_pin_info info;
	struct page *pages[4];
	char buf[16], back[16];
	int i;

	(void)state;
	for (i = 0; i < 4; i++)
		test_write_byte(t, a + i * PG, (unsigned char)i);
	assert_int_equal(vaddr_pin_user_pages(vp, a, 3, pages), 3);
	assert_int_equal(global_stat(NR_FOLL_PIN_ACQUIRED) - acquired, 3);
	for (i = 0; i < 3; i++) {
		assert_ptr_equal(pages[i], pfn_to_page(test_pfn(t, a + i * PG)));
		assert_true(folio_maybe_dma_pinned(page_folio(pages[i])));
	}
	assert_false(folio_maybe_dma_pinned(test_folio(t, a + 3 * PG)));
	assert_int_equal(pnm_pin_registry_count(t->pid), 3);
	info = info_of(vp);
	assert_int_equal(info.extents, 1);
	assert_int_equal(info.pages, 3);
	assert_int_equal(info.pid, t->pid);
	assert_string_equal(info.name, "mr1");
	assert_int_equal(info.flags, VADDR_PIN_WRITE);
	CHECK_ALL();

	/* Overlaps, unaligned and empty calls. */
	assert_int_equal(vaddr_pin_user_pages(vp, a + 2 * PG, 2, NULL), -EINVAL);
	assert_int_equal(vaddr_pin_user_pages(vp, a + 1, 1, NULL), -EINVAL);
	assert_int_equal(vaddr_pin_user_pages(vp, a + 3 * PG, 0, NULL), 0);
	assert_int_equal(pnm_pin_registry_count(t->pid), 3);

	/* The device writes across the page boundary, by user address. */
	for (i = 0; i < 16; i++)
		buf[i] = (char)('a' + i);
	assert_int_equal(pnm_vaddr_pin_dma_write(vp, a + PG - 8, buf, 16), 0);
	assert_int_equal(pnm_user_read(t, a + PG - 8, back, 16), 0);
	assert_memory_equal(buf, back, 16);
	memset(back, 0, sizeof(back));
	assert_int_equal(pnm_vaddr_pin_dma_read(vp, a + PG - 8, back, 16), 0);
	assert_memory_equal(buf, back, 16);
	assert_int_equal(global_stat(PNM_DMA_WRITE_BYTES) - wbytes, 16);
	info = info_of(vp);
	assert_int_equal(info.dma_write_bytes, 16);
	assert_int_equal(info.dma_read_bytes, 16);
	/* Outside the extent, or crossing its end: refused, nothing written. */
	assert_int_equal(pnm_vaddr_pin_dma_write(vp, a + 3 * PG, buf, 1), -EFAULT);
	assert_int_equal(pnm_vaddr_pin_dma_write(vp, a + 3 * PG - 8, buf, 16), -EFAULT);
	assert_int_equal(test_read_byte(t, a + 3 * PG), 3);
	assert_int_equal(info_of(vp).dma_write_bytes, 16);

	/* Destroy refuses while pins are held; unpin needs the extent's start. */
	assert_int_equal(vaddr_pin_destroy(vp), -EBUSY);
	assert_int_equal(vaddr_unpin_user_pages(vp, a + PG, true), -EINVAL);
	assert_int_equal(vaddr_unpin_user_pages(vp, a, true), 0);
	assert_int_equal(vaddr_unpin_user_pages(vp, a, true), -EINVAL);
	for (i = 0; i < 3; i++)
		assert_false(folio_maybe_dma_pinned(test_folio(t, a + i * PG)));
	assert_int_equal(pnm_pin_registry_count(t->pid), 0);
	assert_int_equal(info_of(vp).extents, 0);
	assert_int_equal(pnm_vaddr_pin_dma_write(vp, a, buf, 1), -EFAULT);
	assert_int_equal(vaddr_pin_destroy(vp), 0);
	CHECK_ALL();
}

/*
 * Many extents pinned in scrambled address order, of 1 to 3 pages with
 * gaps between some: the listing walks them in address order from any
 * address (inside an extent: the next one), every overlapping pin is
 * refused, a transfer reaches the one extent holding it and no transfer
 * crosses from one extent to the next, and unpins in another scrambled
 * order leave the rest intact.
 */
static void test_many_extents(void **state)
{
	enum { N = 61, SLOT = 4 };	/* extent i: pages [SLOT i, SLOT i + len(i)) */
	struct task_struct *t = test_task_create("t");
	struct vaddr_pin *vp = owner(t, VADDR_PIN_WRITE, "many");
	unsigned long a = test_mmap(t, N * SLOT * PG, RW, PRIV);
	struct pnm_vaddr_pin_extent ext = { .size = sizeof(ext) };
	unsigned long at, len[N];
	unsigned int i, k;
	char c;

	(void)state;
	/* Extent 5 is 4 pages: it touches extent 6's start. */
	for (i = 0; i < N; i++)
		len[i] = i == 5 ? SLOT : 1 + i % 3;
	for (k = 0; k < N; k++) {	/* 17 is prime to N: a permutation */
		i = (k * 17) % N;
		assert_int_equal(vaddr_pin_user_pages(vp, a + i * SLOT * PG, len[i], NULL),
				 (long)len[i]);
	}
	assert_int_equal(info_of(vp).extents, N);
	CHECK_ALL();

	for (i = 0, at = 0; i < N; i++) {
		assert_int_equal(pnm_vaddr_pin_extent_next(vp, at, &ext), 0);
		assert_int_equal(ext.start, a + i * SLOT * PG);
		assert_int_equal(ext.pages, len[i]);
		/* From inside it (its last byte), the next one. */
		at = ext.start + ext.pages * PG - 1;
		assert_int_equal(pnm_vaddr_pin_extent_next(vp, ext.start + 1, &ext),
				 i + 1 < N ? 0 : -ENOENT);
		if (i + 1 < N)
			assert_int_equal(ext.start, a + (i + 1) * SLOT * PG);
		/* Its last page; and its first, from the page before it. */
		assert_int_equal(vaddr_pin_user_pages(vp, a + i * SLOT * PG + (len[i] - 1) * PG,
						      1, NULL), -EINVAL);
		if (i)
			assert_int_equal(vaddr_pin_user_pages(vp, a + i * SLOT * PG - PG, 2, NULL),
					 -EINVAL);
	}
	assert_int_equal(pnm_vaddr_pin_extent_next(vp, at + 1, &ext), -ENOENT);

	/* A transfer inside extent 7 lands; one from 5 into 6 (adjacent)
	 * and one into the gap after 8 are refused. */
	c = 'x';
	assert_int_equal(pnm_vaddr_pin_dma_write(vp, a + 7 * SLOT * PG + PG + 5, &c, 1), 0);
	assert_int_equal(test_read_byte(t, a + 7 * SLOT * PG + PG + 5), 'x');
	assert_int_equal(pnm_vaddr_pin_dma_write(vp, a + 6 * SLOT * PG - 1, "ab", 2), -EFAULT);
	assert_int_equal(pnm_vaddr_pin_dma_write(vp, a + 8 * SLOT * PG + len[8] * PG, &c, 1),
			 -EFAULT);
	CHECK_ALL();

	for (k = 0; k < N; k++) {	/* another permutation */
		i = (k * 23 + 11) % N;
		assert_int_equal(vaddr_unpin_user_pages(vp, a + i * SLOT * PG, false), 0);
		assert_int_equal(vaddr_unpin_user_pages(vp, a + i * SLOT * PG, false), -EINVAL);
		if (k % 8 == 0)
			CHECK_ALL();
	}
	assert_int_equal(info_of(vp).extents, 0);
	assert_int_equal(pnm_vaddr_pin_extent_next(vp, 0, &ext), -ENOENT);
	assert_int_equal(vaddr_pin_destroy(vp), 0);
	CHECK_ALL();
}

/* A read-only owner: its pins are R/O pins and the device may not write. */
static void test_read_only_owner(void **state)
{
	struct task_struct *t = test_task_create("t");
	struct vaddr_pin *vp = owner(t, 0, NULL);
	unsigned long a = test_mmap(t, PG, RW, PRIV);
	char c = 'x';

	(void)state;
	test_write_byte(t, a, 7);
	assert_int_equal(vaddr_pin_user_pages(vp, a, 1, NULL), 1);
	assert_int_equal(pnm_vaddr_pin_dma_write(vp, a, &c, 1), -EPERM);
	assert_int_equal(pnm_vaddr_pin_dma_read(vp, a, &c, 1), 0);
	assert_int_equal(c, 7);
	assert_string_equal(info_of(vp).name, "");
	assert_int_equal(vaddr_unpin_pages(vp, a, true), 0);
	assert_int_equal(vaddr_pin_destroy(vp), 0);
	CHECK_ALL();
}

/* vaddr_pin_pages() runs under the caller's mmap_lock. */
static void test_pin_under_callers_lock(void **state)
{
	struct task_struct *t = test_task_create("t");
	struct vaddr_pin *vp = owner(t, VADDR_PIN_WRITE, "locked");
	unsigned long a = test_mmap(t, 2 * PG, RW, PRIV);
	struct mm_struct *mm = get_task_mm(t);

	(void)state;
	assert_non_null(mm);
	mmap_read_lock(mm);
	assert_int_equal(vaddr_pin_pages(vp, a, 2, NULL), 2);
	mmap_read_unlock(mm);
	mmput(mm);
	assert_int_equal(pnm_pin_registry_count(t->pid), 2);
	assert_int_equal(vaddr_unpin_pages(vp, a, false), 0);

	/* The _remote variant: the owner's mm only, Linux's locked protocol. */
	{
		struct task_struct *u = test_task_create("u");
		struct mm_struct *other = get_task_mm(u);
		int locked = 1;

		mm = get_task_mm(t);
		assert_int_equal(vaddr_pin_pages_remote(vp, other, a, 1, NULL, NULL), -EINVAL);
		locked = 0;
		assert_int_equal(vaddr_pin_pages_remote(vp, mm, a, 1, NULL, &locked), -EINVAL);
		locked = 1;
		mmap_read_lock(mm);
		assert_int_equal(vaddr_pin_pages_remote(vp, mm, a, 2, NULL, &locked), 2);
		if (locked)
			mmap_read_unlock(mm);
		assert_int_equal(pnm_pin_registry_count(t->pid), 2);
		assert_int_equal(vaddr_unpin_pages(vp, a, false), 0);
		mmput(other);
		mmput(mm);
	}
	assert_int_equal(vaddr_pin_destroy(vp), 0);
	CHECK_ALL();
}

/* Long-term: a MOVABLE page is migrated out before it is pinned; a
 * writable long-term pin of a shared disk mapping is refused, as Linux. */
static void test_longterm_rules(void **state)
{
	struct task_struct *t = test_task_create("t");
	struct vaddr_pin *vp = owner(t, VADDR_PIN_WRITE | VADDR_PIN_LONGTERM, "rdma");
	unsigned long a = test_mmap(t, PG, RW, PRIV);
	struct page *page;
	struct file *f;
	long m;

	(void)state;
	test_write_byte(t, a, 0x5a);
	assert_true(pnm_mm_migrate_range(t->mm, a, PG, ZONE_MOVABLE) >= 0);
	assert_int_equal(page_zonenum(pfn_to_page(test_pfn(t, a))), ZONE_MOVABLE);
	assert_int_equal(vaddr_pin_user_pages(vp, a, 1, &page), 1);
	assert_int_not_equal(page_zonenum(page), ZONE_MOVABLE);
	assert_ptr_equal(page, pfn_to_page(test_pfn(t, a)));
	assert_int_equal(test_read_byte(t, a), 0x5a);

	f = test_open(PNM_FS_DISK, "lt");
	assert_int_equal(do_ftruncate(f, PG), 0);
	m = pnm_mm_mmap(t->mm, 0, PG, RW, MAP_SHARED, f, 0);
	assert_true(m > 0);
	assert_int_equal(vaddr_pin_user_pages(vp, (unsigned long)m, 1, NULL), -EFAULT);
	assert_int_equal(info_of(vp).extents, 1);
	fput(f);
	assert_int_equal(vaddr_unpin_user_pages(vp, a, true), 0);
	assert_int_equal(vaddr_pin_destroy(vp), 0);
	CHECK_ALL();
}

/* Pins outlive the task's exit; the device still reaches them; a new pin
 * finds no address space. */
static void test_pins_outlive_exit(void **state)
{
	struct task_struct *t = test_task_create("t");
	struct vaddr_pin *vp = owner(t, VADDR_PIN_WRITE | VADDR_PIN_LONGTERM, "nic");
	unsigned long a = test_mmap(t, 2 * PG, RW, PRIV);
	unsigned long pfn;
	char c = 'q', back = 0;

	(void)state;
	test_write_byte(t, a, 1);
	assert_int_equal(vaddr_pin_user_pages(vp, a, 1, NULL), 1);
	pfn = test_pfn(t, a);
	pnm_task_exit(t);
	assert_true(folio_ref_count(pfn_folio(pfn)) > 0);
	assert_int_equal(pnm_vaddr_pin_dma_write(vp, a, &c, 1), 0);
	assert_int_equal(pnm_vaddr_pin_dma_read(vp, a, &back, 1), 0);
	assert_int_equal(back, 'q');
	assert_int_equal(vaddr_pin_user_pages(vp, a + PG, 1, NULL), -EFAULT);
	CHECK_ALL();
	assert_int_equal(vaddr_unpin_user_pages(vp, a, true), 0);
	assert_int_equal(vaddr_pin_destroy(vp), 0);
	CHECK_ALL();
}

static void count_owner(const struct pnm_vaddr_pin_info *info, void *arg)
{
	unsigned long *seen = arg;

	assert_int_equal(info->size, sizeof(*info));
	seen[0]++;
	seen[1] += info->pages;
	seen[2] = info->id;
}

static void test_listing(void **state)
{
	struct task_struct *t = test_task_create("a"), *u = test_task_create("b");
	struct vaddr_pin *v1 = owner(t, 0, "one"), *v2 = owner(u, 0, "two");
	unsigned long a = test_mmap(t, 2 * PG, RW, PRIV), b = test_mmap(u, PG, RW, PRIV);
	struct pnm_vaddr_pin_info small = { .size = 8 };
	unsigned long seen[3] = { 0 };

	(void)state;
	assert_int_equal(vaddr_pin_user_pages(v1, a, 2, NULL), 2);
	assert_int_equal(vaddr_pin_user_pages(v2, b, 1, NULL), 1);
	pnm_vaddr_pin_foreach(-1, count_owner, seen);
	assert_int_equal(seen[0], 2);
	assert_int_equal(seen[1], 3);
	assert_int_equal(seen[2], info_of(v2).id);	/* oldest first */
	memset(seen, 0, sizeof(seen));
	pnm_vaddr_pin_foreach(u->pid, count_owner, seen);
	assert_int_equal(seen[0], 1);
	assert_int_equal(seen[1], 1);
	assert_int_equal(pnm_vaddr_pin_get_info(v1, &small), -EINVAL);
	assert_int_equal(pnm_vaddr_pin_get_info(NULL, &small), -EINVAL);
	assert_int_equal(vaddr_unpin_user_pages(v1, a, false), 0);
	assert_int_equal(vaddr_unpin_user_pages(v2, b, false), 0);
	assert_int_equal(vaddr_pin_destroy(v1), 0);
	assert_int_equal(vaddr_pin_destroy(v2), 0);
	memset(seen, 0, sizeof(seen));
	pnm_vaddr_pin_foreach(-1, count_owner, seen);
	assert_int_equal(seen[0], 0);
	CHECK_ALL();
}

/* Site of the last live registry record (NULL file: a return address). */
static void last_record(const struct pnm_pin_record *rec, void *arg)
{
	*(struct pnm_pin_record *)arg = *rec;
}

/* The extents query: order, bounds, call sites, the logical clock, the
 * file a pin's pages belong to, truncation, and its errors. */
static void test_extent_listing(void **state)
{
	struct task_struct *t = test_task_create("t");
	unsigned long long c0 = pnm_vaddr_pin_clock();
	struct vaddr_pin *vp = owner(t, VADDR_PIN_WRITE, "lister");
	unsigned long a = test_mmap(t, 8 * PG, RW, PRIV);
	struct pnm_vaddr_pin_extent ext = { .size = sizeof(ext) };
	struct pnm_vaddr_pin_extent small = { .size = 8 };
	struct pnm_pin_record rec;
	struct page *pg;
	struct file *f;
	unsigned long m;
	long mm;

	(void)state;
	assert_int_equal(info_of(vp).created, c0 + 1);
	assert_int_equal(pnm_vaddr_pin_clock(), c0 + 1);
	assert_int_equal(pnm_vaddr_pin_extent_next(vp, 0, &ext), -ENOENT);
	/* Two extents, pinned out of address order; the second with a site
	 * recorded as the gup.h macros (or a scenario) record one. */
	assert_int_equal(vaddr_pin_user_pages(vp, a + 4 * PG, 1, NULL), 1);
	pnm_gup_set_call_site("rdma.c", 42, "reg_mr");
	assert_int_equal(vaddr_pin_user_pages(vp, a, 2, NULL), 2);
	assert_int_equal(pnm_vaddr_pin_clock(), c0 + 3);

	assert_int_equal(pnm_vaddr_pin_extent_next(vp, 0, &ext), 0);
	assert_int_equal(ext.size, sizeof(ext));
	assert_int_equal(ext.start, a);
	assert_int_equal(ext.pages, 2);
	assert_int_equal(ext.flags, 0);
	assert_string_equal(ext.site, "rdma.c:42 reg_mr()");
	assert_string_equal(ext.file, "");
	assert_int_equal(ext.file_pages, 0);
	assert_int_equal(ext.pinned, c0 + 3);
	assert_int_equal(ext.age, 0);
	assert_int_equal(pnm_vaddr_pin_extent_next(vp, a + 2 * PG, &ext), 0);
	assert_int_equal(ext.start, a + 4 * PG);
	assert_int_equal(ext.pages, 1);
	assert_int_equal(ext.age, 1);
	/* No site recorded: the wrapper's caller, never "?:0". */
	assert_true(ext.site[0] != '\0');
	assert_null(strstr(ext.site, "?:0"));
	assert_int_equal(pnm_vaddr_pin_extent_next(vp, a + 4 * PG + 1, &ext), -ENOENT);

	/* A refused call does not leave its recorded site to the next pin. */
	test_write_byte(t, a + 6 * PG, 6);	/* not the zero page: recorded */
	pnm_gup_set_call_site("stale.c", 1, "stale");
	assert_int_equal(vaddr_pin_user_pages(vp, a + PG, 1, NULL), -EINVAL);
	pnm_task_enter(t);
	assert_int_equal((pin_user_pages_fast)(a + 6 * PG, 1, 0, &pg), 1);
	pnm_task_enter(NULL);
	memset(&rec, 0, sizeof(rec));
	pnm_pin_registry_foreach(t->pid, last_record, &rec);
	assert_int_equal(rec.start, a + 6 * PG);
	assert_null(rec.file);
	unpin_user_page(pg);

	/* Errors change nothing. */
	assert_int_equal(pnm_vaddr_pin_extent_next(vp, 0, &small), -EINVAL);
	assert_int_equal(small.size, 8);
	assert_int_equal(pnm_vaddr_pin_extent_next(NULL, 0, &ext), -EINVAL);
	assert_int_equal(pnm_vaddr_pin_extent_next(vp, 0, NULL), -EINVAL);

	/* A shared file mapping at file offset 4K: the extent names the file
	 * and the offset of its first page; a truncate detaches the page. */
	f = test_open(PNM_FS_SHMEM, "listed");
	assert_int_equal(do_ftruncate(f, 4 * PG), 0);
	mm = pnm_mm_mmap(t->mm, 0, 3 * PG, RW, MAP_SHARED, f, PG);
	assert_true(mm > 0);
	m = (unsigned long)mm;
	test_write_byte(t, m + PG, 1);
	test_write_byte(t, m + 2 * PG, 2);
	assert_int_equal(vaddr_pin_user_pages(vp, m + PG, 2, NULL), 2);
	assert_int_equal(pnm_vaddr_pin_extent_next(vp, m, &ext), 0);
	assert_int_equal(ext.start, m + PG);
	assert_string_equal(ext.file, "shmem:listed");
	assert_int_equal(ext.file_offset, 2 * PG);
	assert_int_equal(ext.file_pages, 2);
	assert_int_equal(ext.flags, 0);
	assert_int_equal(do_ftruncate(f, 3 * PG), 0);
	assert_int_equal(pnm_vaddr_pin_extent_next(vp, m, &ext), 0);
	assert_int_equal(ext.flags, PNM_VADDR_PIN_EXTENT_TRUNCATED);
	assert_string_equal(ext.file, "shmem:listed");

	assert_int_equal(vaddr_unpin_user_pages(vp, m + PG, false), 0);
	assert_int_equal(vaddr_unpin_user_pages(vp, a, false), 0);
	assert_int_equal(vaddr_unpin_user_pages(vp, a + 4 * PG, false), 0);
	assert_int_equal(pnm_vaddr_pin_extent_next(vp, 0, &ext), -ENOENT);
	assert_int_equal(vaddr_pin_destroy(vp), 0);
	fput(f);
	CHECK_ALL();
}

/* pnm_teardown() releases what owners still hold and frees them. */
static void test_teardown_releases_owners(void **state)
{
	struct task_struct *t = test_task_create("t");
	struct vaddr_pin *vp = owner(t, VADDR_PIN_WRITE, "left");
	unsigned long a = test_mmap(t, 3 * PG, RW, PRIV);
	struct pnm_teardown_report r = { .size = sizeof(r) };
	struct pnm_config cfg;

	(void)state;
	assert_int_equal(vaddr_pin_user_pages(vp, a, 2, NULL), 2);
	assert_int_equal(vaddr_pin_user_pages(vp, a + 2 * PG, 1, NULL), 1);
	assert_int_equal(pnm_teardown(&r), -EBUSY);
	assert_int_equal(r.pins, 2);
	assert_int_equal(r.pinned_pages, 3);
	assert_int_equal(r.leaked_frames, 0);
	/* A fresh model for the fixture's teardown. */
	pnm_test_config(&cfg);
	pnm_test_init_with(&cfg);
}

/* --- several threads through one owner --------------------------------------- */

#define NTHREADS	3
#define ROUNDS		300
#define SLOT_PAGES	4

struct worker {
	pthread_t thread;
	struct vaddr_pin *vp;
	struct task_struct *task;
	unsigned long base;		/* this thread's slots */
	unsigned int seed;
	atomic_long_t failures;
};

static void *worker_run(void *arg)
{
	struct worker *w = arg;
	char buf[64], back[64];
	int r, i;

	for (r = 0; r < ROUNDS; r++) {
		unsigned long slot = w->base + (rand_r(&w->seed) % 4) * SLOT_PAGES * PG;
		unsigned long nr = 1 + rand_r(&w->seed) % SLOT_PAGES;
		unsigned long off = rand_r(&w->seed) % (nr * PG - sizeof(buf));

		if (vaddr_pin_user_pages(w->vp, slot, nr, NULL) != (long)nr) {
			atomic_long_inc(&w->failures);
			continue;
		}
		for (i = 0; i < (int)sizeof(buf); i++)
			buf[i] = (char)(r + i);
		if (pnm_vaddr_pin_dma_write(w->vp, slot + off, buf, sizeof(buf)) ||
		    pnm_vaddr_pin_dma_read(w->vp, slot + off, back, sizeof(back)) ||
		    memcmp(buf, back, sizeof(buf)))
			atomic_long_inc(&w->failures);
		if (vaddr_unpin_user_pages(w->vp, slot, true))
			atomic_long_inc(&w->failures);
	}
	return NULL;
}

static void test_threads_share_an_owner(void **state)
{
	struct task_struct *t = test_task_create("t");
	struct vaddr_pin *vp = owner(t, VADDR_PIN_WRITE, "shared");
	unsigned long len = NTHREADS * 4 * SLOT_PAGES * PG;
	unsigned long a = test_mmap(t, len, RW, PRIV);
	struct worker w[NTHREADS];
	unsigned long off;
	int i;

	(void)state;
	for (off = 0; off < len; off += PG)
		test_write_byte(t, a + off, 1);
	for (i = 0; i < NTHREADS; i++) {
		w[i].vp = vp;
		w[i].task = t;
		w[i].base = a + (unsigned long)i * 4 * SLOT_PAGES * PG;
		w[i].seed = 1234u + (unsigned int)i;
		atomic_long_set(&w[i].failures, 0);
		assert_int_equal(pthread_create(&w[i].thread, NULL, worker_run, &w[i]), 0);
	}
	for (i = 0; i < NTHREADS; i++) {
		assert_int_equal(pthread_join(w[i].thread, NULL), 0);
		assert_int_equal(atomic_long_read(&w[i].failures), 0);
	}
	assert_int_equal(info_of(vp).extents, 0);
	assert_int_equal(pnm_pin_registry_count(-1), 0);
	assert_int_equal(vaddr_pin_destroy(vp), 0);
	CHECK_ALL();
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_create_errors, pnm_test_setup, pnm_test_teardown),
		cmocka_unit_test_setup_teardown(test_pin_dma_unpin, pnm_test_setup, pnm_test_teardown),
		cmocka_unit_test_setup_teardown(test_read_only_owner, pnm_test_setup, pnm_test_teardown),
		cmocka_unit_test_setup_teardown(test_pin_under_callers_lock, pnm_test_setup,
						pnm_test_teardown),
		cmocka_unit_test_setup_teardown(test_longterm_rules, pnm_test_setup, pnm_test_teardown),
		cmocka_unit_test_setup_teardown(test_pins_outlive_exit, pnm_test_setup,
						pnm_test_teardown),
		cmocka_unit_test_setup_teardown(test_listing, pnm_test_setup, pnm_test_teardown),
		cmocka_unit_test_setup_teardown(test_many_extents, pnm_test_setup, pnm_test_teardown),
		cmocka_unit_test_setup_teardown(test_extent_listing, pnm_test_setup,
						pnm_test_teardown),
		cmocka_unit_test_setup_teardown(test_teardown_releases_owners, pnm_test_setup,
						pnm_test_teardown),
		cmocka_unit_test_setup_teardown(test_threads_share_an_owner, pnm_test_setup,
						pnm_test_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
