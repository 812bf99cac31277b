/*
 * --fix=vaddr: the shapes the conversion to the vaddr_pin wrapper takes
 * (expected/fix_vaddr.diff) and those it leaves, with the reason.
 */

/* Converted: a get whose pages go to a device, released at once. */
static int dev_read(struct bio *bio, unsigned long uaddr, int nr, struct page **pages)
{
	int got, i;

	got = get_user_pages_fast(uaddr, nr, FOLL_WRITE, pages);
	if (got <= 0)
		return got;
	for (i = 0; i < got; i++)
		bio_add_page(bio, pages[i], PAGE_SIZE, 0);
	submit_and_wait(bio);
	release_pages(pages, got);
	return 0;
}

/* Converted: one page written through the kernel's mapping, dirtied and put. */
static int poke_word(unsigned long uaddr, u32 val)
{
	struct page *page;
	void *kaddr;
	long n;

	n = get_user_pages_unlocked(uaddr, 1, &page, FOLL_WRITE);
	if (n != 1)
		return -EFAULT;
	kaddr = kmap_local_page(page);
	*(u32 *)(kaddr + offset_in_page(uaddr)) = val;
	kunmap_local(kaddr);
	set_page_dirty_lock(page);
	put_page(page);
	return 0;
}

/* Converted: a short-term pin, unpinned (and dirtied) at once. */
static int fill_pinned(unsigned long uaddr, int nr, struct page **pages)
{
	int got;

	got = pin_user_pages_fast(uaddr, nr, FOLL_WRITE, pages);
	if (got <= 0)
		return got;
	dev_transfer(pages, got);
	unpin_user_pages_dirty_lock(pages, got, true);
	return 0;
}

/* Left: the start address moves before the release names the extent by it. */
static int fill_moving(unsigned long uaddr, int nr, struct page **pages)
{
	int got;

	got = pin_user_pages_fast(uaddr, nr, FOLL_WRITE, pages);
	if (got <= 0)
		return got;
	dev_transfer(pages, got);
	uaddr += (unsigned long)got << PAGE_SHIFT;
	unpin_user_pages(pages, got);
	return 0;
}

/* Left: FOLL_FORCE has no VADDR_PIN_* counterpart. */
static int peek_forced(unsigned long uaddr, u8 *out)
{
	struct page *page;
	u8 *kaddr;
	long n;

	n = get_user_pages_unlocked(uaddr, 1, &page, FOLL_FORCE);
	if (n != 1)
		return -EFAULT;
	kaddr = kmap_local_page(page);
	*out = kaddr[offset_in_page(uaddr)];
	kunmap_local(kaddr);
	put_page(page);
	return 0;
}

/* Left: released one page at a time. */
static int xfer_each(unsigned long uaddr, int nr, struct page **pages)
{
	int got, i;

	got = pin_user_pages_fast(uaddr, nr, 0, pages);
	if (got <= 0)
		return got;
	dev_transfer(pages, got);
	for (i = 0; i < got; i++)
		unpin_user_page(pages[i]);
	return 0;
}

/* Left: the call is a declaration's initializer. */
static int xfer_decl(unsigned long uaddr, int nr, struct page **pages)
{
	int got = pin_user_pages_fast(uaddr, nr, FOLL_WRITE, pages);

	if (got <= 0)
		return got;
	dev_transfer(pages, got);
	unpin_user_pages(pages, got);
	return 0;
}

/* Left: a struct field, unpinned here on the error path only (dfl-afu-dma-region.c). */
static int region_pin(struct region *region, int npages)
{
	int pinned;

	pinned = pin_user_pages_fast(region->uaddr, npages, FOLL_WRITE, region->pages);
	if (pinned < 0)
		return pinned;
	if (pinned != npages) {
		unpin_user_pages(region->pages, pinned);
		return -EFAULT;
	}
	return 0;
}

/* Left: the caller's array, which the caller unpins on success (privcmd.c). */
static int lock_user(unsigned long uaddr, int nr, struct page **pages)
{
	int got;

	got = pin_user_pages_fast(uaddr, nr, FOLL_WRITE, pages);
	if (got != nr && got > 0) {
		unpin_user_pages(pages, got);
		return -EFAULT;
	}
	return got;
}

static int do_locked(unsigned long uaddr, int nr)
{
	struct page *pages[8];
	int got = lock_user(uaddr, nr, pages);

	if (got > 0)
		unpin_user_pages(pages, got);
	return got;
}
