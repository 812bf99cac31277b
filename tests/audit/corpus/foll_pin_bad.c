/* foll-pin-by-caller, wrong: a caller sets FOLL_PIN itself. */
static long grab_for_dma_pin(unsigned long uaddr, unsigned long nr, struct page **pages)
{
	long n = get_user_pages_unlocked(uaddr, nr, pages, FOLL_WRITE | FOLL_PIN);

	if (n > 0) {
		run_dma(pages, n);
		unpin_user_pages(pages, n);
	}
	return n;
}
