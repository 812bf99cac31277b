/* SPDX-License-Identifier: MIT */
/*
 * pinmm/pipe.h - a pipe and vmsplice(2) into it: user pages held by pipe
 * buffers with plain references (FOLL_GET), as Linux does, and read out
 * later -- by another process, possibly long after the splicer unmapped
 * or exited.
 *
 * vmsplice does not copy: each page of the user range becomes a pipe
 * buffer (the page, an offset and a length) through get_user_pages_fast()
 * without FOLL_WRITE, and a read of the pipe copies from those pages at
 * read time.  So the reader gets whatever is in the page *then*, which is
 * why the copy-on-write rules matter here: after fork, a write by the
 * other process to a page still shared with the pipe must copy the page
 * (Linux since the 2020 fix: the reference makes the page "not reusable"),
 * never write into it -- in legacy mode (pnm_config.legacy_gup, the rules
 * before 5.8) a page mapped once is reused whatever references it has, and
 * the writer's data leaks into the pipe (CVE-2020-29374).  Pipe buffers
 * hold references, never pins: a buffer may travel on (spliced to a file
 * or a socket) and is released with put_page() wherever it ends, so Linux
 * never converted vmsplice to FOLL_PIN (group d of the 2019 mail); the
 * copy-on-write rule is what keeps later writes out of the pipe.  Their
 * references do keep the pages from migrating while queued.
 *
 * The model never blocks: a full pipe makes pnm_vmsplice() return what
 * fit, or -EAGAIN if nothing did (SPLICE_F_NONBLOCK's behaviour); an
 * empty pipe makes pnm_pipe_read() return -EAGAIN.
 *
 * Threads: every call may be made from any thread, concurrently; the
 * pipe's mutex serialises them (and is held while pages are got and
 * copied, as Linux's pipe->mutex is, so it ranks above mmap_lock).
 */
#ifndef PINMM_PIPE_H
#define PINMM_PIPE_H

#include <pinmm/types.h>

PNM_BEGIN_DECLS

struct pnm_pipe;

/* Buffers of a pipe (Linux's PIPE_DEF_BUFFERS): at most this many pages. */
#define PNM_PIPE_BUFFERS	16
/* vmsplice flags (Linux's SPLICE_F_* values).  NONBLOCK is what the model
 * always does; GIFT is accepted and, as in Linux today, changes nothing. */
#define PNM_SPLICE_F_NONBLOCK	0x02u
#define PNM_SPLICE_F_GIFT	0x08u

/* A new empty pipe.  0 with *@pipep set, -ENOMEM, -EINVAL (NULL). */
PNM_API int pnm_pipe_create(struct pnm_pipe **pipep);
/* Release every buffer (put_page) and free the pipe.  NULL accepted. */
PNM_API void pnm_pipe_destroy(struct pnm_pipe *pipe);

/*
 * vmsplice(2) of [@addr, @addr + @len) of @task into @pipe: the pages are
 * got (get_user_pages_fast(), no FOLL_WRITE: untouched memory is the zero
 * page) and queued as buffers, as many as free buffers allow.  Returns the
 * bytes queued (fewer than @len when the pipe filled or a page could not
 * be got), 0 for @len 0; -EAGAIN (the pipe is full), -EFAULT (the first
 * page is not accessible), -EINVAL (unknown flags), -ESRCH (@task has
 * exited).
 */
PNM_API ssize_t pnm_vmsplice(struct task_struct *task, struct pnm_pipe *pipe,
			     unsigned long addr, size_t len, unsigned int flags);
/*
 * read(2) of up to @len bytes from @pipe into @task's memory at @addr:
 * copied from the buffers' pages now; a buffer read to its end releases
 * its page (put_page).  Returns the bytes read; -EAGAIN (the pipe is
 * empty), -EFAULT (nothing could be stored at @addr), -ESRCH (@task has
 * exited).  @len 0: 0.
 */
PNM_API ssize_t pnm_pipe_read(struct pnm_pipe *pipe, struct task_struct *task,
			      unsigned long addr, size_t len);

struct pnm_pipe_info {
	size_t size;			/* set by the caller: sizeof(*info) */
	unsigned long bytes;		/* queued, not yet read */
	unsigned int buffers;		/* buffers in use (a page each) */
	unsigned long spliced;		/* bytes vmspliced so far */
	unsigned long read;		/* bytes read so far */
};
/* 0, -EINVAL. */
PNM_API int pnm_pipe_get_info(struct pnm_pipe *pipe, struct pnm_pipe_info *info);
/*
 * The frame of buffer @i (0: the next to be read) and the offset of its
 * first unread byte in that page.  0, -ENOENT (no such buffer), -EINVAL.
 */
PNM_API int pnm_pipe_buffer(struct pnm_pipe *pipe, unsigned int i, unsigned long *pfn,
			    unsigned int *offset);
/*
 * The pipe's invariant checker: every buffer holds a live page with a
 * reference, a non-empty range inside it, and the counts add up.  0, or
 * -EIO with the first problem in @why (@size bytes, may be 0).
 */
PNM_API int pnm_pipe_check(struct pnm_pipe *pipe, char *why, size_t size);

PNM_END_DECLS

#endif /* PINMM_PIPE_H */
