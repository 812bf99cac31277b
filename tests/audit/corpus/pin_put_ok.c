/* pin-put, correct: pages pinned for a short transfer are unpinned. */
static int xfer_pinned(unsigned long uaddr, int nr, struct page **pages)
{
	int got;

	got = pin_user_pages_fast(uaddr, nr, FOLL_WRITE, pages);
	if (got <= 0)
		return got;
	dev_transfer(pages, got);
	unpin_user_pages_dirty_lock(pages, got, true);
	return 0;
}
