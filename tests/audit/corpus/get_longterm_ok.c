/* get-longterm, correct: a long-term registration pins with FOLL_LONGTERM. */
static long region_register(struct region *r)
{
	unsigned int gup_flags = FOLL_LONGTERM;
	long n;

	if (r->writable)
		gup_flags |= FOLL_WRITE;
	n = pin_user_pages_fast(r->start, r->npages, gup_flags, r->pages);
	if (n != r->npages) {
		if (n > 0)
			unpin_user_pages(r->pages, n);
		return -EFAULT;
	}
	return 0;
}
