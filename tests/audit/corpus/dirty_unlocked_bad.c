/* dirty-unlocked, wrong: set_page_dirty() with no page lock held. */
static void finish_read_nolock(struct page **pages, unsigned long uaddr, int nr)
{
	int got = pin_user_pages_fast(uaddr, nr, FOLL_WRITE, pages);

	for (int i = 0; i < got; i++) {
		set_page_dirty(pages[i]);
		unpin_user_page(pages[i]);
	}
}
