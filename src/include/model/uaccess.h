/* SPDX-License-Identifier: MIT */
/*
 * uaccess.h - the CPU's loads and stores to user memory.
 *
 * These run as `current` and go through its page tables exactly as a CPU
 * would: a missing or insufficient translation raises a fault
 * (handle_mm_fault), after which the access is retried.  The bytes are
 * moved with the PTE's ptl held, so the translation cannot be torn down
 * mid-copy (the model's stand-in for a TLB entry).
 */
#ifndef PNM_MODEL_UACCESS_H
#define PNM_MODEL_UACCESS_H

#include <model/sched.h>

/* Returns the number of bytes NOT copied (0 on success), as in Linux. */
unsigned long copy_to_user(void __user *to, const void *from, unsigned long n);
unsigned long copy_from_user(void *to, const void __user *from, unsigned long n);
/* pnm_user_write/pnm_user_read/pnm_translate (on a task): pinmm/mman.h. */
/* pnm_user_write/read on an mm directly (the calling thread need not be a
 * task). */
int pnm_mm_access(struct mm_struct *mm, unsigned long addr, void *buf,
		  size_t len, bool write);
/*
 * Translate @addr in @mm without faulting: the pfn mapped there (and
 * whether writable; either pointer may be NULL), or -EFAULT if nothing
 * is present.  Takes mmap_lock for read.
 */
int pnm_mm_translate(struct mm_struct *mm, unsigned long addr,
		     unsigned long *pfn, bool *writable);
#endif /* PNM_MODEL_UACCESS_H */
