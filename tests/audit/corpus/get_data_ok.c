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
