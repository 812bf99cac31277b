/* get-unpin, correct: a reference from get_user_pages() is dropped with put_page(). */
static int page_is_anon(unsigned long uaddr)
{
	struct page *page;
	int anon;

	if (get_user_pages_fast(uaddr, 1, 0, &page) != 1)
		return -EFAULT;
	anon = PageAnon(page);
	put_page(page);
	return anon;
}
