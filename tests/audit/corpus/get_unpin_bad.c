/* get-unpin, wrong: the release was converted to unpin, the call was not. */
static int hold_buffer(unsigned long uaddr, unsigned long nr, struct page **pages)
{
	long got;

	mmap_read_lock(current->mm);
	got = get_user_pages(uaddr, nr, FOLL_WRITE, pages);
	mmap_read_unlock(current->mm);
	if (got < 0)
		return got;
	start_io(pages, got);
	unpin_user_pages(pages, got);
	return 0;
}

/* The 2019 name of the unpin call, on one page. */
static void touch_one(unsigned long uaddr)
{
	struct page *page;

	if (get_user_pages_unlocked(uaddr, 1, &page, 0) == 1)
		put_user_page(page);
}

/* Kept in a struct field, released with an unpin in another function. */
static int slot_fill(struct slot *s)
{
	return get_user_pages_fast(s->uaddr, 1, FOLL_WRITE, &s->page) == 1 ? 0 : -EFAULT;
}

static void slot_drop(struct slot *s)
{
	unpin_user_page(s->page);
}
