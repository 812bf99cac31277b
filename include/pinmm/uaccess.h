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
#ifndef PINMM_UACCESS_H
#define PINMM_UACCESS_H

#include <pinmm/sched.h>

/* Returns the number of bytes NOT copied (0 on success), as in Linux. */
unsigned long copy_to_user(void __user *to, const void *from, unsigned long n);
unsigned long copy_from_user(void *to, const void __user *from, unsigned long n);
/*
 * Model convenience: run as @task and store/load @len bytes at @addr.
 * Returns 0, -EFAULT (unmapped or not permitted, or @task has exited --
 * unless the calling thread was already inside it, sched.h), or -ENOMEM
 * (a fault could not get a frame).  Bytes before the failing page were
 * done.
 */
int pnm_user_write(struct task_struct *task, unsigned long addr,
		   const void *buf, size_t len);
int pnm_user_read(struct task_struct *task, unsigned long addr,
		  void *buf, size_t len);
/* Same, on an mm directly (the calling thread need not be a task). */
int pnm_mm_access(struct mm_struct *mm, unsigned long addr, void *buf,
		  size_t len, bool write);
/*
 * Translate @addr in @mm without faulting: the pfn mapped there (and
 * whether writable), or -EFAULT if nothing is present.  For tests and the
 * scenario language's page-property expectations.
 */
int pnm_translate(struct mm_struct *mm, unsigned long addr,
		  unsigned long *pfn, bool *writable);

#endif /* PINMM_UACCESS_H */
