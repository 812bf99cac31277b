/* get-data-access, correct: writing page data under a pin (case 5). */
static int poke_word(struct mm_struct *mm, unsigned long addr, u32 val)
{
	struct page *page;
	void *kaddr;

	if (pin_user_pages_remote(mm, addr, 1, FOLL_WRITE, &page, NULL) != 1)
		return -EFAULT;
	kaddr = kmap_local_page(page);
	*(u32 *)(kaddr + offset_in_page(addr)) = val;
	kunmap_local(kaddr);
	set_page_dirty_lock(page);
	unpin_user_page(page);
	return 0;
}

/* Reading page data after a get (no FOLL_WRITE) is not a write: no finding. */
static int peek_byte(struct mm_struct *mm, unsigned long addr, u8 *out)
{
	struct page *page;
	u8 *kaddr;

	if (get_user_pages_remote(mm, addr, 1, FOLL_FORCE, &page, NULL) != 1)
		return -EFAULT;
	kaddr = kmap_local_page(page);
	*out = kaddr[offset_in_page(addr)];
	kunmap_local(kaddr);
	put_page(page);
	return 0;
}

/* A helper that only reads the data of pages taken without FOLL_WRITE. */
static u32 sum_pages(struct page **pp, int nr)
{
	u32 sum = 0;

	for (int i = 0; i < nr; i++) {
		u8 *k = kmap_local_page(pp[i]);

		sum += k[0];
		kunmap_local(k);
	}
	return sum;
}

static int sum_user(unsigned long uaddr, int nr, struct page **pages, u32 *out)
{
	int got = get_user_pages_fast(uaddr, nr, 0, pages);

	if (got <= 0)
		return got;
	*out = sum_pages(pages, got);
	release_pages(pages, got);
	return 0;
}
