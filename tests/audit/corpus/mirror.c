/* Case 3, group d: a secondary MMU that follows the process with a notifier. */
static int mirror_init(struct mirror *m, struct mm_struct *mm)
{
	m->mn.ops = &mirror_mn_ops;
	return mmu_notifier_register(&m->mn, mm);
}

static int mirror_fault(struct mirror *m, unsigned long hva, bool write, struct page **pagep)
{
	return get_user_pages_fast_only(hva, 1, write ? FOLL_WRITE : 0, pagep) == 1 ? 0 : -EFAULT;
}
