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

/* Kept in a struct field, released with unpins in another function. */
static int buf_pin(struct ubuf *b)
{
	long n = pin_user_pages_fast(b->start, b->nr, FOLL_WRITE, b->pages);

	return n == b->nr ? 0 : -EFAULT;
}

static void buf_release(struct ubuf *b)
{
	unpin_user_pages(b->pages, b->nr);
}

/* One release function for both ways of taking: a flag decides, no verdict. */
static int req_take(struct req *r, bool get)
{
	long n;

	if (get)
		n = get_user_pages_fast(r->start, r->nr, 0, r->pages);
	else
		n = pin_user_pages_fast(r->start, r->nr, 0, r->pages);
	return n == r->nr ? 0 : -EFAULT;
}

static void req_release(struct req *r)
{
	if (r->get)
		release_pages(r->pages, r->nr);
	else
		unpin_user_pages(r->pages, r->nr);
}

/* Released through a helper of the file that unpins (and dirties). */
static void finish_pages(struct page **pp, int nr, bool dirty)
{
	unpin_user_pages_dirty_lock(pp, nr, dirty);
}

static int xfer_helper_unpin(unsigned long uaddr, int nr, struct page **pages)
{
	int got = pin_user_pages_fast(uaddr, nr, FOLL_WRITE, pages);

	if (got <= 0)
		return got;
	dev_transfer(pages, got);
	finish_pages(pages, got, true);
	return 0;
}
