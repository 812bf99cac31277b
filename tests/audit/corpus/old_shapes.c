/*
 * The calls before 4.9 took `int write, int force` where the flags are
 * now: read as FOLL_WRITE and FOLL_FORCE (no flags-boolean finding), the
 * pages found at their old place.  None of them wrong.
 */

/* 4.6-4.8: get_user_pages(start, nr, write, force, pages, vmas). */
static int old_peek(unsigned long uaddr, struct page **pages)
{
	int got;

	down_read(&current->mm->mmap_sem);
	got = get_user_pages(uaddr, 1, 0, 1, pages, NULL);
	up_read(&current->mm->mmap_sem);
	if (got == 1)
		put_page(pages[0]);
	return got;
}

/* Before 4.6: get_user_pages(tsk, mm, start, nr, write, force, pages, vmas). */
static int old_remote(struct task_struct *tsk, struct mm_struct *mm, unsigned long uaddr,
		      int nr, int write, struct page **pages)
{
	int got = get_user_pages(tsk, mm, uaddr, nr, write, 0, pages, NULL);

	if (got > 0)
		release_pages(pages, got, 0);
	return got;
}

/* 4.6-4.8: get_user_pages_unlocked(start, nr, write, force, pages). */
static int old_unlocked(unsigned long uaddr, struct page **page)
{
	int got = get_user_pages_unlocked(uaddr, 1, 1, 0, page);

	if (got == 1)
		put_page(page[0]);
	return got;
}

/* Before 4.9: get_user_pages_remote(tsk, mm, start, nr, write, force, pages, vmas). */
static int old_access(struct task_struct *tsk, struct mm_struct *mm, unsigned long addr,
		      struct page **page)
{
	int got = get_user_pages_remote(tsk, mm, addr, 1, 0, 1, page, NULL);

	if (got == 1)
		put_page(page[0]);
	return got;
}
