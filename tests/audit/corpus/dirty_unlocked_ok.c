/* dirty-unlocked, correct: the page is dirtied with its lock taken. */
static void finish_read(struct page **pages, unsigned long uaddr, int nr)
{
	int got = pin_user_pages_fast(uaddr, nr, FOLL_WRITE, pages);

	for (int i = 0; i < got; i++) {
		set_page_dirty_lock(pages[i]);
		unpin_user_page(pages[i]);
	}
}

/* Under the page lock set_page_dirty() is right. */
static void finish_read_locked(struct page **pages, unsigned long uaddr, int nr)
{
	int got = pin_user_pages_fast(uaddr, nr, FOLL_WRITE, pages);

	for (int i = 0; i < got; i++) {
		lock_page(pages[i]);
		set_page_dirty(pages[i]);
		unlock_page(pages[i]);
		unpin_user_page(pages[i]);
	}
}
