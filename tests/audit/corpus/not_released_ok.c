/* not-released, correct: every path after a successful pin unpins. */
static int fill_once(unsigned long uaddr, const void *src, size_t len)
{
	struct page *page;
	int err = 0;

	if (pin_user_pages_fast(uaddr, 1, FOLL_WRITE, &page) != 1)
		return -EFAULT;
	if (len > PAGE_SIZE)
		err = -EINVAL;
	else
		memcpy_to_page(page, 0, src, len);
	unpin_user_pages_dirty_lock(&page, 1, !err);
	return err;
}

/* A release in a loop: the path that runs it zero times took nothing. */
static int sum_pages(unsigned long uaddr, int nr)
{
	struct page *pages[16];
	int n, i;

	n = get_user_pages_fast(uaddr, nr, 0, pages);
	if (n <= 0)
		return -EFAULT;
	for (i = 0; i < n; i++)
		put_page(pages[i]);
	return n;
}

/* The pages are handed on (stored): someone else releases them. */
static int keep_pages(struct holder *h, unsigned long uaddr, int nr)
{
	struct page **pages = kvmalloc_array(nr, sizeof(*pages), GFP_KERNEL);
	long n;

	n = pin_user_pages_fast(uaddr, nr, FOLL_LONGTERM, pages);
	if (n != nr) {
		if (n > 0)
			unpin_user_pages(pages, n);
		kvfree(pages);
		return -EFAULT;
	}
	h->pages = pages;
	return 0;
}

/* Pinning into the caller's array: the caller releases. */
static int pin_for_caller(unsigned long uaddr, struct page **out)
{
	if (pin_user_pages_fast(uaddr, 1, 0, out) != 1)
		return -EFAULT;
	if (PageAnon(out[0]))
		return 1;
	return 0;
}

/* The cleanup every path runs releases under a test of the array. */
static int fill_info(unsigned long uaddr, int nr)
{
	struct page **pages;
	int ret;

	pages = kmalloc_array(nr, sizeof(*pages), GFP_KERNEL);
	if (!pages)
		return -ENOMEM;
	ret = pin_user_pages_fast(uaddr, nr, FOLL_WRITE, pages);
	if (ret != nr) {
		nr = ret > 0 ? ret : 0;
		ret = -EAGAIN;
		goto out;
	}
	ret = fill_pages(pages, nr);
out:
	if (pages)
		unpin_user_pages_dirty_lock(pages, nr, true);
	kfree(pages);
	return ret;
}
