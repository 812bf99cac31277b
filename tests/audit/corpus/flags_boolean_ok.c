/* flags-boolean, correct: the direction becomes FOLL_WRITE or nothing. */
static int map_for_dma(unsigned long uaddr, int nr, struct page **pages, int dir)
{
	int got = pin_user_pages_fast(uaddr, nr, dir == DMA_FROM_DEVICE ? FOLL_WRITE : 0,
				      pages);

	if (got > 0)
		unpin_user_pages(pages, got);
	return got;
}

/* A negated condition choosing FOLL_WRITE is right too. */
static int map_for_dma_neg(unsigned long uaddr, int nr, struct page **pages, bool is_write)
{
	int got = pin_user_pages_fast(uaddr, nr, !is_write ? FOLL_WRITE : 0, pages);

	if (got > 0)
		unpin_user_pages(pages, got);
	return got;
}
