/* flags-boolean, wrong: a comparison passed as the flags (the old `write` argument). */
static int map_for_dma_bool(unsigned long uaddr, int nr, struct page **pages, int dir)
{
	int got = pin_user_pages_fast(uaddr, nr, dir == DMA_FROM_DEVICE, pages);

	if (got > 0)
		unpin_user_pages(pages, got);
	return got;
}

static int map_for_dma_not(unsigned long uaddr, int nr, struct page **pages, bool to_dev)
{
	int got = pin_user_pages_fast(uaddr, nr, !to_dev, pages);

	if (got > 0)
		unpin_user_pages(pages, got);
	return got;
}

/* A number: the old `write` argument, 1 for a write. */
static int grab_writable(unsigned long uaddr, int nr, struct page **pages)
{
	int got = pin_user_pages_fast(uaddr, nr, 1, pages);

	if (got > 0)
		unpin_user_pages(pages, got);
	return got;
}
