/* not-released, wrong: an error after the pin returns without unpinning. */
static int fill_once_leaky(unsigned long uaddr, const void *src, size_t len)
{
	struct page *page;

	if (pin_user_pages_fast(uaddr, 1, FOLL_WRITE, &page) != 1)
		return -EFAULT;
	if (len > PAGE_SIZE)
		return -EINVAL;
	memcpy_to_page(page, 0, src, len);
	unpin_user_pages_dirty_lock(&page, 1, true);
	return 0;
}

/* A jump past the release to the cleanup that only frees the array. */
static int pin_and_check(unsigned long uaddr, int nr)
{
	struct page **pages = kcalloc(nr, sizeof(*pages), GFP_KERNEL);
	long n;
	int ret = 0;

	n = pin_user_pages_fast(uaddr, nr, 0, pages);
	if (n != nr)
		goto fail;
	if (check_range(uaddr, nr)) {
		ret = -EINVAL;
		goto out;
	}
	unpin_user_pages(pages, n);
out:
	kfree(pages);
	return ret;
fail:
	if (n > 0)
		unpin_user_pages(pages, n);
	kfree(pages);
	return -EFAULT;
}

/* References of a get leak the same way. */
static int count_short(unsigned long uaddr, int nr)
{
	struct page *pages[16];
	long n;

	n = get_user_pages_fast(uaddr, nr, 0, pages);
	if (n <= 0)
		return -EFAULT;
	if (n < nr)
		return -EAGAIN;
	release_pages(pages, n);
	return n;
}
