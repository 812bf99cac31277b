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

/* A flag chooses pin or kernel pages; a helper puts the kernel ones (tee_shm.c). */
static void put_kernel_pages(struct page **pp, int nr)
{
	for (int i = 0; i < nr; i++)
		put_page(pp[i]);
}

static int shm_take(struct shm *shm, unsigned long start, int nr, bool user)
{
	int rc;

	if (user)
		rc = pin_user_pages_fast(start, nr, FOLL_WRITE, shm->pages);
	else
		rc = get_kernel_pages(start, nr, shm->pages);
	if (rc == nr)
		return 0;
	if (user)
		unpin_user_pages(shm->pages, rc);
	else
		put_kernel_pages(shm->pages, rc);
	return -ENOMEM;
}

/* A helper that puts or unpins as its caller says (gup_test.c): no verdict. */
static void put_back(struct page **pp, int nr, bool pinned)
{
	if (pinned)
		unpin_user_pages(pp, nr);
	else
		for (int i = 0; i < nr; i++)
			put_page(pp[i]);
}

static int test_take(unsigned long start, int nr, struct page **pages, bool pin)
{
	int got;

	if (pin)
		got = pin_user_pages_fast(start, nr, 0, pages);
	else
		got = get_user_pages_fast(start, nr, 0, pages);
	if (got > 0)
		put_back(pages, got, pin);
	return got;
}
