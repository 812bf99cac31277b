// SPDX-License-Identifier: MIT
/*
 * pipe.c - a pipe and vmsplice(2) into it (pinmm/pipe.h): Linux's
 * fs/pipe.c and the vmsplice half of fs/splice.c, reduced to what shows
 * how user pages travel through a pipe.
 *
 * A pipe is a ring of PNM_PIPE_BUFFERS buffers; each holds one page with
 * one plain reference (FOLL_GET) and the unread part of it (offset,
 * length).  vmsplice (vmsplice_to_pipe(), iter_to_pipe()) takes the pages
 * of the user range with get_user_pages_fast() -- no FOLL_WRITE, the
 * range is only read -- and queues them; read (pipe_read()) copies from
 * the pages into the reader's memory and puts a page when its buffer is
 * used up (user_page_pipe_buf_ops: release is put_page()).  Nothing is
 * copied at vmsplice time: the reader sees the page's data as it is when
 * it reads.
 *
 * Locking: pipe->mutex (Linux's pipe->mutex) protects the ring and the
 * counters; it is held across the GUP call and the copy into the reader
 * (which takes the reader's mmap_lock), so it ranks above every memory
 * manager lock and is never taken under one.  Built against the public
 * headers only.
 */
#include <errno.h>
#include <pthread.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <pinmm/pinmm.h>
#include <pinmm/pipe.h>

struct pipe_buffer {
	struct page *page;		/* one reference */
	unsigned int offset;		/* first unread byte in the page */
	unsigned int len;		/* unread bytes (> 0 while queued) */
};

struct pnm_pipe {
	pthread_mutex_t mutex;
	/* Everything below: mutex.  Buffers head..head+nr-1 (mod the ring). */
	struct pipe_buffer bufs[PNM_PIPE_BUFFERS];
	unsigned int head, nr;
	unsigned long bytes;
	unsigned long spliced, read;
};

/* pnm_pipe_create - pinmm/pipe.h. */
int pnm_pipe_create(struct pnm_pipe **pipep)
{
	struct pnm_pipe *pipe;

	if (!pipep)
		return -EINVAL;
	pipe = calloc(1, sizeof(*pipe));
	if (!pipe)
		return -ENOMEM;
	pthread_mutex_init(&pipe->mutex, NULL);
	*pipep = pipe;
	return 0;
}

/* pnm_pipe_destroy - pinmm/pipe.h: free_pipe_info() releasing each buffer. */
void pnm_pipe_destroy(struct pnm_pipe *pipe)
{
	if (!pipe)
		return;
	for (unsigned int i = 0; i < pipe->nr; i++)
		put_page(pipe->bufs[(pipe->head + i) % PNM_PIPE_BUFFERS].page);
	pthread_mutex_destroy(&pipe->mutex);
	free(pipe);
}

/* pnm_vmsplice - pinmm/pipe.h. */
ssize_t pnm_vmsplice(struct task_struct *task, struct pnm_pipe *pipe, unsigned long addr,
		     size_t len, unsigned int flags)
{
	struct page *pages[PNM_PIPE_BUFFERS];
	unsigned long first = addr & ~(PNM_PAGE_SIZE - 1);
	unsigned int room, want, off = (unsigned int)(addr - first);
	struct task_struct *prev;
	ssize_t done = 0;
	int n;

	if (!task || !pipe || (flags & ~(PNM_SPLICE_F_NONBLOCK | PNM_SPLICE_F_GIFT)))
		return -EINVAL;
	if (!len)
		return 0;
	if (pnm_task_exited(task))
		return -ESRCH;
	pthread_mutex_lock(&pipe->mutex);
	room = PNM_PIPE_BUFFERS - pipe->nr;
	if (!room) {
		pthread_mutex_unlock(&pipe->mutex);
		return -EAGAIN;
	}
	want = (unsigned int)((off + len + PNM_PAGE_SIZE - 1) / PNM_PAGE_SIZE);
	if (want > room)
		want = room;
	/* iov_iter_get_pages2() on the source iterator: FOLL_GET, read. */
	prev = pnm_task_enter(task);
	n = get_user_pages_fast(first, (int)want, 0, pages);
	pnm_task_leave(prev);
	if (n <= 0) {
		pthread_mutex_unlock(&pipe->mutex);
		return n == -ENOMEM ? -ENOMEM : (pnm_task_exited(task) ? -ESRCH : -EFAULT);
	}
	for (int i = 0; i < n; i++) {
		struct pipe_buffer *b = &pipe->bufs[(pipe->head + pipe->nr) % PNM_PIPE_BUFFERS];
		size_t chunk = PNM_PAGE_SIZE - off;

		if (chunk > len - (size_t)done)
			chunk = len - (size_t)done;
		b->page = pages[i];	/* the GUP reference is the buffer's */
		b->offset = off;
		b->len = (unsigned int)chunk;
		pipe->nr++;
		pipe->bytes += chunk;
		done += (ssize_t)chunk;
		off = 0;
	}
	pipe->spliced += (unsigned long)done;
	pthread_mutex_unlock(&pipe->mutex);
	return done;
}

/* pnm_pipe_read - pinmm/pipe.h: pipe_read() into @task's memory. */
ssize_t pnm_pipe_read(struct pnm_pipe *pipe, struct task_struct *task, unsigned long addr,
		      size_t len)
{
	ssize_t done = 0;

	if (!pipe || !task)
		return -EINVAL;
	if (!len)
		return 0;
	if (pnm_task_exited(task))
		return -ESRCH;
	pthread_mutex_lock(&pipe->mutex);
	if (!pipe->nr) {
		pthread_mutex_unlock(&pipe->mutex);
		return -EAGAIN;
	}
	while (pipe->nr && (size_t)done < len) {
		struct pipe_buffer *b = &pipe->bufs[pipe->head];
		size_t chunk = b->len;
		int err;

		if (chunk > len - (size_t)done)
			chunk = len - (size_t)done;
		/* copy_page_to_iter(): the CPU reads the page as it is now. */
		err = pnm_user_write(task, addr + (unsigned long)done,
				     (const char *)page_address(b->page) + b->offset, chunk);
		if (err) {
			if (!done)
				done = err == -ENOMEM ? -ENOMEM : -EFAULT;
			break;
		}
		b->offset += (unsigned int)chunk;
		b->len -= (unsigned int)chunk;
		pipe->bytes -= chunk;
		pipe->read += chunk;
		done += (ssize_t)chunk;
		if (!b->len) {
			put_page(b->page);	/* the buffer's release */
			b->page = NULL;
			pipe->head = (pipe->head + 1) % PNM_PIPE_BUFFERS;
			pipe->nr--;
		}
	}
	pthread_mutex_unlock(&pipe->mutex);
	return done;
}

/* pnm_pipe_get_info - pinmm/pipe.h. */
int pnm_pipe_get_info(struct pnm_pipe *pipe, struct pnm_pipe_info *info)
{
	struct pnm_pipe_info pi;
	size_t size;

	if (!pipe || !info || info->size < offsetof(struct pnm_pipe_info, read) + sizeof(long))
		return -EINVAL;
	size = info->size < sizeof(pi) ? info->size : sizeof(pi);
	memset(&pi, 0, sizeof(pi));
	pthread_mutex_lock(&pipe->mutex);
	pi.bytes = pipe->bytes;
	pi.buffers = pipe->nr;
	pi.spliced = pipe->spliced;
	pi.read = pipe->read;
	pthread_mutex_unlock(&pipe->mutex);
	pi.size = size;
	memcpy(info, &pi, size);
	return 0;
}

/* pnm_pipe_buffer - pinmm/pipe.h. */
int pnm_pipe_buffer(struct pnm_pipe *pipe, unsigned int i, unsigned long *pfn,
		    unsigned int *offset)
{
	int ret = -ENOENT;

	if (!pipe)
		return -EINVAL;
	pthread_mutex_lock(&pipe->mutex);
	if (i < pipe->nr) {
		struct pipe_buffer *b = &pipe->bufs[(pipe->head + i) % PNM_PIPE_BUFFERS];

		if (pfn)
			*pfn = page_to_pfn(b->page);
		if (offset)
			*offset = b->offset;
		ret = 0;
	}
	pthread_mutex_unlock(&pipe->mutex);
	return ret;
}

/* pnm_pipe_check - pinmm/pipe.h. */
int pnm_pipe_check(struct pnm_pipe *pipe, char *why, size_t size)
{
	unsigned long bytes = 0;
	int ret = 0;

	if (!pipe)
		return -EINVAL;
	pthread_mutex_lock(&pipe->mutex);
	if (pipe->nr > PNM_PIPE_BUFFERS || pipe->head >= PNM_PIPE_BUFFERS) {
		if (size)
			snprintf(why, size, "ring head %u, %u buffers", pipe->head, pipe->nr);
		ret = -EIO;
	}
	for (unsigned int i = 0; !ret && i < pipe->nr; i++) {
		struct pipe_buffer *b = &pipe->bufs[(pipe->head + i) % PNM_PIPE_BUFFERS];
		struct pnm_page_info pi = { .size = sizeof(pi) };
		unsigned int same = 0;

		for (unsigned int j = 0; j < pipe->nr; j++)
			same += pipe->bufs[(pipe->head + j) % PNM_PIPE_BUFFERS].page == b->page;
		if (!b->page || !b->len || b->offset + b->len > PNM_PAGE_SIZE) {
			if (size)
				snprintf(why, size, "buffer %u: page %p, bytes %u at %u", i,
					 (void *)b->page, b->len, b->offset);
			ret = -EIO;
		} else if (pnm_pfn_info(page_to_pfn(b->page), &pi) || pi.kind == PNM_FRAME_FREE ||
			   (unsigned int)pi.refcount < same) {
			if (size)
				snprintf(why, size, "buffer %u: pfn %#lx freed or with refcount %d "
					 "below its %u buffers", i, page_to_pfn(b->page),
					 pi.refcount, same);
			ret = -EIO;
		}
		bytes += b->len;
	}
	if (!ret && (bytes != pipe->bytes || pipe->spliced != pipe->read + pipe->bytes)) {
		if (size)
			snprintf(why, size, "%lu bytes in buffers, counted %lu (spliced %lu, read %lu)",
				 bytes, pipe->bytes, pipe->spliced, pipe->read);
		ret = -EIO;
	}
	pthread_mutex_unlock(&pipe->mutex);
	return ret;
}
