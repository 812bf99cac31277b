/* get-data-access, wrong: page data written after a get (case 5 done the old way). */
static int poke_word_get(struct mm_struct *mm, unsigned long addr, u32 val)
{
	struct page *page;
	void *kaddr;

	if (get_user_pages_remote(mm, addr, 1, FOLL_WRITE, &page, NULL) != 1)
		return -EFAULT;
	kaddr = kmap_local_page(page);
	*(u32 *)(kaddr + offset_in_page(addr)) = val;
	kunmap_local(kaddr);
	set_page_dirty_lock(page);
	put_page(page);
	return 0;
}

/* A get whose pages go to a block device (case 1 done the old way). */
static int read_into_user(struct bio *bio, unsigned long uaddr, int nr)
{
	struct page *pages[16];
	int got, i;

	got = get_user_pages_fast(uaddr, nr, FOLL_WRITE, pages);
	for (i = 0; i < got; i++)
		bio_add_page(bio, pages[i], PAGE_SIZE, 0);
	return submit_and_wait(bio);
}

/* The write is in a helper of the file the pages are handed to. */
static void fill_pages(struct page **pp, int nr, u8 v)
{
	for (int i = 0; i < nr; i++) {
		u8 *k = kmap_local_page(pp[i]);

		memset(k, v, PAGE_SIZE);
		kunmap_local(k);
	}
}

static int fill_user(unsigned long uaddr, int nr, struct page **pages, u8 v)
{
	int got = get_user_pages_fast(uaddr, nr, FOLL_WRITE, pages);

	if (got <= 0)
		return got;
	fill_pages(pages, got, v);
	release_pages(pages, got);
	return 0;
}
