/* foll-pin-by-caller, correct: the pin call adds FOLL_PIN itself. */
static long grab_for_dma(unsigned long uaddr, unsigned long nr, struct page **pages)
{
	long n = pin_user_pages_unlocked(uaddr, nr, pages, FOLL_WRITE);

	if (n > 0) {
		run_dma(pages, n);
		unpin_user_pages(pages, n);
	}
	return n;
}

/* GUP's own wrapper sets FOLL_PIN for the call it builds on: not a caller. */
long pin_user_pages_unlocked(unsigned long start, unsigned long nr_pages,
			     struct page **pages, unsigned int gup_flags)
{
	gup_flags |= FOLL_PIN;
	return get_user_pages_unlocked(start, nr_pages, pages, gup_flags);
}
