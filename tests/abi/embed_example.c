// SPDX-License-Identifier: MIT
/*
 * embed_example.c - a program that embeds pinmm as an embedder would:
 * only <pinmm/pinmm.h> from the installed headers, built with
 * `pkg-config --cflags --libs pinmm` (tests/abi/check_install.sh builds it
 * against the installed shared library, then the static one).
 *
 * It runs one pin's whole life: a process maps anonymous memory and
 * writes to it, a "driver" pins the pages long-term for writing, a device
 * writes through the page array, the pages are unpinned dirty, and the
 * process reads what the device wrote.  It also calls
 * pin_user_pages_fast() through a function pointer (the entry points are
 * real functions), and checks that the pin registry saw both pins come
 * and go (the first named by its file and line, the second by its
 * caller's return address), that the model is consistent, and that it shuts down clean.
 *
 * Exit status 0: every step did what the API promises; 1 otherwise, with
 * the failing step on stderr.
 */
#include <pinmm/pinmm.h>

#include <stdio.h>
#include <string.h>
#include <sys/mman.h>

#define NPAGES	4

static int failures;

#define CHECK(cond, ...)						\
	do {								\
		if (!(cond)) {						\
			fprintf(stderr, "embed_example: %s:%d: ",	\
				__FILE__, __LINE__);			\
			fprintf(stderr, __VA_ARGS__);			\
			fputc('\n', stderr);				\
			failures++;					\
		}							\
	} while (0)

/* pnm_pin_registry_foreach() callback: keep the newest record. */
static void newest_record(const struct pnm_pin_record *rec, void *arg)
{
	struct pnm_pin_record *out = arg;

	if (rec->id >= out->id)
		*out = *rec;
}

/* Fill @buf with a pattern that differs per byte and per @seed. */
static void pattern(unsigned char *buf, size_t len, unsigned int seed)
{
	size_t i;

	for (i = 0; i < len; i++)
		buf[i] = (unsigned char)(i * 131u + seed * 7u + (i >> 12));
}

static void run(struct task_struct *task)
{
	static unsigned char cpu[NPAGES * PNM_PAGE_SIZE], dev[NPAGES * PNM_PAGE_SIZE],
		back[NPAGES * PNM_PAGE_SIZE];
	int (*pin_fast)(unsigned long, int, unsigned int, struct page **) = pin_user_pages_fast;
	struct page *pages[NPAGES] = { NULL };
	struct pnm_pin_record rec;
	int pid = pnm_task_pid(task);
	unsigned long before;
	long addr;
	int ret;

	addr = pnm_mmap(task, 0, sizeof(cpu), PROT_READ | PROT_WRITE,
			MAP_PRIVATE | MAP_ANONYMOUS, NULL, 0);
	CHECK(addr > 0, "pnm_mmap: %s", pnm_strerror((int)addr));
	if (addr <= 0)
		return;
	/* The process writes its buffer (faulting the pages in). */
	pattern(cpu, sizeof(cpu), 1);
	ret = pnm_user_write(task, (unsigned long)addr, cpu, sizeof(cpu));
	CHECK(ret == 0, "pnm_user_write: %s", pnm_strerror(ret));

	/* A driver pins them long-term for the device to write into. */
	before = pnm_pin_registry_count(pid);
	ret = pin_user_pages_fast((unsigned long)addr, NPAGES, FOLL_WRITE | FOLL_LONGTERM, pages);
	CHECK(ret == NPAGES, "pin_user_pages_fast: %d (%s)", ret,
	      ret < 0 ? pnm_strerror(ret) : "partial");
	if (ret != NPAGES) {
		if (ret > 0)
			unpin_user_pages(pages, (unsigned long)ret);
		return;
	}
	CHECK(pnm_pin_registry_count(pid) == before + NPAGES,
	      "registry: %lu pinned pages, expected %lu", pnm_pin_registry_count(pid),
	      before + NPAGES);
	CHECK(folio_maybe_dma_pinned(page_folio(pages[0])), "a pinned folio is not dma-pinned");
	/* The call-site macro recorded this file and line. */
	memset(&rec, 0, sizeof(rec));
	pnm_pin_registry_foreach(pid, newest_record, &rec);
	CHECK(rec.file && strstr(rec.file, "embed_example.c") && rec.line > 0 && !rec.caller,
	      "the pin's record does not name its call site");

	/* The device writes through the page array, not the page tables. */
	pattern(dev, sizeof(dev), 2);
	ret = pnm_dma_write(pages, NPAGES, 0, dev, sizeof(dev));
	CHECK(ret == 0, "pnm_dma_write: %s", pnm_strerror(ret));
	unpin_user_pages_dirty_lock(pages, NPAGES, true);
	CHECK(pnm_pin_registry_count(pid) == before,
	      "registry after unpin: %lu pinned pages, expected %lu",
	      pnm_pin_registry_count(pid), before);

	/* The process sees what the device wrote. */
	ret = pnm_user_read(task, (unsigned long)addr, back, sizeof(back));
	CHECK(ret == 0, "pnm_user_read: %s", pnm_strerror(ret));
	CHECK(memcmp(back, dev, sizeof(dev)) == 0, "the process does not read the device's data");

	/* The entry points are functions: call one through a pointer. */
	ret = pin_fast((unsigned long)addr, 1, FOLL_WRITE, pages);
	CHECK(ret == 1, "pin_user_pages_fast through a pointer: %d", ret);
	if (ret == 1) {
		CHECK(pnm_pin_registry_count(pid) == before + 1,
		      "registry after a pin through a pointer: %lu", pnm_pin_registry_count(pid));
		/* No macro: the record has the caller's return address. */
		memset(&rec, 0, sizeof(rec));
		pnm_pin_registry_foreach(pid, newest_record, &rec);
		CHECK(!rec.file && rec.caller, "a pin through a pointer does not record its caller");
		unpin_user_page(pages[0]);
	}
	CHECK(pnm_pin_registry_count(pid) == before, "registry at the end: %lu",
	      pnm_pin_registry_count(pid));
	ret = pnm_munmap(task, (unsigned long)addr, sizeof(cpu));
	CHECK(ret == 0, "pnm_munmap: %s", pnm_strerror(ret));
}

int main(void)
{
	struct task_struct *task = NULL, *prev;
	struct pnm_config cfg;
	int ret;

	pnm_config_default(&cfg);
	ret = pnm_init(&cfg);
	if (ret) {
		fprintf(stderr, "embed_example: pnm_init: %s\n", pnm_strerror(ret));
		return 1;
	}
	ret = pnm_task_create("embedder", &task);
	CHECK(ret == 0 && task, "pnm_task_create: %s", pnm_strerror(ret));
	if (ret == 0 && task) {
		prev = pnm_task_enter(task);
		CHECK(pnm_current_task() == task, "pnm_task_enter did not make the task current");
		run(task);
		CHECK(pnm_check_system(), "pnm_check_system: %s", pnm_check_error());
		pnm_task_leave(prev);
		pnm_task_exit(task);
		pnm_task_put(task);
	}
	ret = pnm_fini();
	CHECK(ret == 0, "pnm_fini: %s", pnm_strerror(ret));
	if (failures) {
		fprintf(stderr, "embed_example: %d check%s failed\n", failures,
			failures == 1 ? "" : "s");
		return 1;
	}
	printf("embed_example: ok (pinmm %s)\n", PINMM_VERSION);
	return 0;
}
