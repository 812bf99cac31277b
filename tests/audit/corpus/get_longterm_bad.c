/* get-longterm, wrong: FOLL_LONGTERM given to a get, directly and through a variable. */
static long region_register_get(struct region *r)
{
	long n = get_user_pages_fast(r->start, r->npages, FOLL_WRITE | FOLL_LONGTERM, r->pages);

	if (n != r->npages)
		return -EFAULT;
	return 0;
}

static long region_register_get_var(struct region *r)
{
	unsigned int flags = FOLL_WRITE;

	if (r->keep)
		flags |= FOLL_LONGTERM;
	return get_user_pages(r->start, r->npages, flags, r->pages);
}
