/* flags-boolean, correct: the direction becomes FOLL_WRITE or nothing. */
static int map_for_dma(unsigned long uaddr, int nr, struct page **pages, int dir)
{
	int got = pin_user_pages_fast(uaddr, nr, dir == DMA_FROM_DEVICE ? FOLL_WRITE : 0,
				      pages);

	if (got > 0)
		unpin_user_pages(pages, got);
	return got;
}
