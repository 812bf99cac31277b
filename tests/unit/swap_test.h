/* SPDX-License-Identifier: MIT */
/*
 * swap_test.h - fixtures shared by the swap unit tests: a model with a
 * swap device, pages filled with a pattern that names them, and the
 * questions the tests ask about an address (swapped out? its slot's
 * count? exclusive?).
 */
#ifndef PINMM_SWAP_TEST_H
#define PINMM_SWAP_TEST_H

#include <string.h>
#include "test_util.h"

#define PG		PAGE_SIZE
#define PROT_RW		(PROT_READ | PROT_WRITE)
#define MAP_ANON_PRIV	(MAP_PRIVATE | MAP_ANONYMOUS)
#define SWAP_TEST_SLOTS	1024

/* The test model (test_util.h) plus a swap device of SWAP_TEST_SLOTS
 * usable slots, through pnm_config.swap_pages. */
static inline int swap_test_setup(void **state)
{
	struct pnm_config cfg;

	(void)state;
	pnm_test_config(&cfg);
	cfg.swap_pages = SWAP_TEST_SLOTS + 1;
	pnm_test_init_with(&cfg);
	return 0;
}

/* The byte page @i of a test area holds at offset @off with tag @tag. */
static inline unsigned char swap_test_byte(unsigned int tag, unsigned long i, unsigned long off)
{
	return (unsigned char)(tag * 31 + i * 7 + off * 13);
}

/* Fill @n pages at @addr of @t with the pattern of @tag (first 64 bytes
 * and the last one of each page). */
static inline void swap_test_fill(struct task_struct *t, unsigned long addr,
				  unsigned long n, unsigned int tag)
{
	unsigned char buf[64];
	unsigned long i, o;

	for (i = 0; i < n; i++) {
		for (o = 0; o < sizeof(buf); o++)
			buf[o] = swap_test_byte(tag, i, o);
		assert_int_equal(pnm_user_write(t, addr + i * PG, buf, sizeof(buf)), 0);
		buf[0] = swap_test_byte(tag, i, PG - 1);
		assert_int_equal(pnm_user_write(t, addr + i * PG + PG - 1, buf, 1), 0);
	}
}

/* Do pages @first .. @first + @n - 1 of the area filled at @addr of @t
 * hold the pattern of @tag?  (Reads fault them in.) */
static inline bool swap_test_holds(struct task_struct *t, unsigned long addr,
				   unsigned long first, unsigned long n, unsigned int tag)
{
	unsigned char buf[64], last;
	unsigned long i, o;

	for (i = first; i < first + n; i++) {
		if (pnm_user_read(t, addr + i * PG, buf, sizeof(buf)) ||
		    pnm_user_read(t, addr + i * PG + PG - 1, &last, 1))
			return false;
		for (o = 0; o < sizeof(buf); o++)
			if (buf[o] != swap_test_byte(tag, i, o))
				return false;
		if (last != swap_test_byte(tag, i, PG - 1))
			return false;
	}
	return true;
}

/* The swap entry @t has at @addr: true and *@e filled, or false. */
static inline bool swap_test_entry(struct task_struct *t, unsigned long addr,
				   struct pnm_swap_entry_info *e)
{
	struct pnm_swap_entry_info tmp;

	if (!e)
		e = &tmp;
	e->size = sizeof(*e);
	return pnm_task_swap_entry(t, addr, e) == 0;
}

/* Are all @n pages at @addr of @t swapped out? */
static inline bool swap_test_all_swapped(struct task_struct *t, unsigned long addr,
					 unsigned long n)
{
	unsigned long i;

	for (i = 0; i < n; i++)
		if (!swap_test_entry(t, addr + i * PG, NULL))
			return false;
	return true;
}

/* Slots in use and pages in the swap cache now. */
static inline unsigned long swap_test_used(void)
{
	struct pnm_swap_info si = { .size = sizeof(si) };

	assert_int_equal(pnm_get_swap_info(&si), 0);
	return si.used;
}

static inline unsigned long swap_test_cached(void)
{
	struct pnm_swap_info si = { .size = sizeof(si) };

	assert_int_equal(pnm_get_swap_info(&si), 0);
	return si.cached;
}

/* MM_SWAPENTS of @t. */
static inline long swap_test_swapents(struct task_struct *t)
{
	struct pnm_mm_info mi = { .size = sizeof(mi) };

	assert_int_equal(pnm_task_mm_info(t, &mi), 0);
	return mi.swapents;
}

#endif /* PINMM_SWAP_TEST_H */
