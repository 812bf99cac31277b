/* pin-put, wrong: pinned pages released one by one with put_page(). */
static int xfer_pinned_put(unsigned long uaddr, int nr, struct page **pages)
{
	int got, i;

	got = pin_user_pages_fast(uaddr, nr, FOLL_WRITE, pages);
	if (got <= 0)
		return got;
	dev_transfer(pages, got);
	for (i = 0; i < got; i++)
		put_page(pages[i]);
	return 0;
}

/* The same through release_pages(), on a remote pin of a 6.1-shaped call. */
static long peek_remote(struct mm_struct *mm, unsigned long addr, struct page **pg)
{
	long n = pin_user_pages_remote(mm, addr, 4, 0, pg, NULL, NULL);

	if (n > 0)
		release_pages(pg, n);
	return n;
}

/* Kept in a struct field, released with puts in another function. */
static int buf_pin(struct ubuf *b)
{
	long n = pin_user_pages_fast(b->start, b->nr, FOLL_WRITE, b->pages);

	return n == b->nr ? 0 : -EFAULT;
}

static void buf_release(struct ubuf *b)
{
	for (int i = 0; i < b->nr; i++)
		put_page(b->pages[i]);
}

/* Released through a helper of the file that puts each page. */
static void drop_pages(struct page **pp, int nr)
{
	for (int i = 0; i < nr; i++)
		put_page(pp[i]);
}

static int xfer_helper_put(unsigned long uaddr, int nr, struct page **pages)
{
	int got = pin_user_pages_fast(uaddr, nr, FOLL_WRITE, pages);

	if (got <= 0)
		return got;
	dev_transfer(pages, got);
	drop_pages(pages, got);
	return 0;
}
