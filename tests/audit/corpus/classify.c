/*
 * Classification: one site per case and group of docs/audit.md, none of
 * them wrong.
 */

/* Case 1, group a: Direct IO pins the buffer for the device. */
static int dio_map(struct bio *bio, unsigned long uaddr, int nr, struct page **pages)
{
	int got = pin_user_pages_fast(uaddr, nr, FOLL_WRITE, pages);

	for (int i = 0; i < got; i++)
		bio_add_page(bio, pages[i], PAGE_SIZE, 0);
	return got;
}

/* Case 2, group b: a long-term registration. */
static long mr_pin(struct mr *mr)
{
	return pin_user_pages(mr->start, mr->npages, FOLL_WRITE | FOLL_LONGTERM, mr->pages);
}

/* Case 2, group b: through the vaddr_pin wrapper. */
static long mr_pin_owner(struct mr *mr)
{
	long n = vaddr_pin_user_pages(mr->vp, mr->start, mr->npages, mr->pages);

	if (n != mr->npages && n > 0)
		vaddr_unpin_user_pages(mr->vp, mr->start, false);
	return n;
}

/* Case 4, group d: only the struct page is looked at. */
static bool addr_is_file_backed(unsigned long uaddr)
{
	struct page *page;
	bool file;

	if (get_user_pages_fast(uaddr, 1, 0, &page) != 1)
		return false;
	file = page->mapping && !PageAnon(page);
	put_page(page);
	return file;
}

/* Case 5, group a: copying into another process's page under a pin. */
static int copy_to_target(struct mm_struct *mm, unsigned long addr, const void *src, size_t len)
{
	struct page *page;

	if (pin_user_pages_remote(mm, addr, 1, FOLL_WRITE | FOLL_FORCE, &page, NULL) != 1)
		return -EFAULT;
	memcpy_to_page(page, offset_in_page(addr), src, len);
	unpin_user_pages_dirty_lock(&page, 1, true);
	return 0;
}

/* No pages array, group d: the range is only faulted in. */
static long prefault(unsigned long start, unsigned long nr)
{
	return get_user_pages(start, nr, FOLL_WRITE, NULL);
}

/* Flags not visible (a parameter), pages kept by the caller. */
static long grab(unsigned long start, unsigned long nr, unsigned int gup_flags,
		 struct page **out)
{
	return get_user_pages_unlocked(start, nr, out, gup_flags);
}
