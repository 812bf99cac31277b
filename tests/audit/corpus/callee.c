/*
 * Classification one call deep: the pages handed to a helper of the file
 * (its data access and its release count), and a struct field released
 * through a helper called from another function.  None of them wrong.
 */

/* Case 5, group a: the pin's data written by a helper. */
static void stamp(struct page **pp, int nr, u32 v)
{
	for (int i = 0; i < nr; i++) {
		u32 *k = kmap_local_page(pp[i]);

		k[0] = v;
		kunmap_local(k);
	}
}

static int stamp_user(unsigned long uaddr, int nr, struct page **pages, u32 v)
{
	int got = pin_user_pages_fast(uaddr, nr, FOLL_WRITE, pages);

	if (got <= 0)
		return got;
	stamp(pages, got, v);
	unpin_user_pages_dirty_lock(pages, got, true);
	return 0;
}

/* Case 1, group a: a helper hands the pinned pages to the block layer. */
static void queue_pages(struct bio *bio, struct page **pp, int nr)
{
	for (int i = 0; i < nr; i++)
		bio_add_page(bio, pp[i], PAGE_SIZE, 0);
}

static int dio_user(struct bio *bio, unsigned long uaddr, int nr, struct page **pages)
{
	int got = pin_user_pages_fast(uaddr, nr, FOLL_WRITE, pages);

	if (got <= 0)
		return got;
	queue_pages(bio, pages, got);
	submit_and_wait(bio);
	unpin_user_pages(pages, got);
	return 0;
}

/* Case 4, group d: pages kept in a field, put by a helper another function calls. */
static void ring_put_pages(struct page **pp, int nr)
{
	for (int i = 0; i < nr; i++)
		put_page(pp[i]);
}

static int ring_map(struct ring *r)
{
	return get_user_pages_fast(r->uaddr, r->nr, FOLL_WRITE, r->ring_pages) == r->nr ?
	       0 : -EFAULT;
}

static void ring_unmap(struct ring *r)
{
	ring_put_pages(r->ring_pages, r->nr);
}

/* Case 1, group a: the pages are the caller's array, unpinned by the caller. */
static int lock_bufs(struct buf *bufs, int nr, struct page **pages)
{
	return pin_user_pages_fast(bufs[0].uaddr, nr, FOLL_WRITE, pages);
}

static int do_op(struct buf *bufs, int nr)
{
	struct page *pages[16];
	int pinned = lock_bufs(bufs, nr, pages);

	if (pinned > 0) {
		hypercall(bufs, nr);
		unpin_user_pages_dirty_lock(pages, pinned, true);
	}
	return pinned;
}
