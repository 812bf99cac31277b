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
