// SPDX-License-Identifier: MIT
/*
 * io_uring.c - io_uring-style fixed buffers (pinmm/io_uring.h): buffers
 * registered once and pinned long-term (Linux's io_uring/rsrc.c), and the
 * fixed reads and writes of files that use them with no pin per I/O.
 * Case 2 of Linux's pin_user_pages documentation (FOLL_PIN |
 * FOLL_LONGTERM | FOLL_WRITE: io_uring always pins writable); group b of
 * the 2019 mail.
 *
 * Each buffer is one pin owner holding one extent (VADDR_PIN_LONGTERM |
 * VADDR_PIN_WRITE, no f_owner): buffers of one registration may share
 * pages, which one owner's extents may not.  The owner charges the pin
 * budget per page (Linux charges a whole compound page once per
 * registration, io_buffer_account_pin(); the model's budget counts each
 * base page once per domain, so a page shared by two buffers counts
 * once either way).
 *
 * Coalescing (io_check_coalesce_buffer(), io_coalesce_buffer()): when a
 * buffer's pages are runs of large folios of one size -- the first run
 * may start inside its folio, the runs between cover whole folios, the
 * last may end early -- the buffer keeps one pin per folio
 * (vaddr_pin_coalesce()) and one segment per folio.  Buffers of small
 * pages keep a pin and a segment per page.
 *
 * Fixed I/O copies between the file (pnm_file_read()/pnm_file_write(),
 * the page cache) and the buffer's pinned pages through its owner
 * (pnm_vaddr_pin_dma_*()), in chunks of IO_CHUNK bytes through a bounce
 * buffer: the kernel's copy to or from a bio_vec.  A buffer a read wrote
 * into is released dirty (set_page_dirty_lock() through the owner's
 * unpin), as case 5 requires of a writer to pinned pages.
 *
 * Locks: ring->lock, a rwlock (writers first), is held for read across a
 * fixed operation and for write across registration and unregistration,
 * so buffers never go under an operation (Linux keeps them with a
 * resource node's reference instead); the owners' and the core's locks
 * nest inside it.
 */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <pinmm/pinmm.h>
#include <pinmm/io_uring.h>

#define PAGE_SIZE_	PNM_PAGE_SIZE
#define PAGE_MASK_	(~(PNM_PAGE_SIZE - 1))
/* The bounce buffer of a fixed operation. */
#define IO_CHUNK	(256UL << 10)

#define IO_BUF_INFO_SIZE_0_2	sizeof(struct pnm_io_buf_info)
#define IO_RING_INFO_SIZE_0_2	sizeof(struct pnm_io_ring_info)
#define IO_STRUCT_SIZE_MAX	4096

/* One registered buffer (Linux's io_mapped_ubuf). */
struct io_buf {
	unsigned long ubuf;		/* iov_base */
	size_t len;			/* iov_len */
	unsigned long start;		/* ubuf & PAGE_MASK */
	unsigned long nr_pages;		/* pages pinned */
	struct vaddr_pin *vp;		/* its owner, one extent at start */
	struct page **pages;		/* every page (the owner's copy too) */
	unsigned long nr_segs;		/* bio_vecs: per folio if coalesced */
	unsigned int folio_shift;	/* log2 of a segment's size */
	bool coalesced;
	atomic_bool dirty;		/* a fixed read wrote into it */
	atomic_ullong read_bytes, write_bytes;
};

struct pnm_io_ring {
	struct task_struct *task;	/* referenced; set once */
	int pid;			/* set once */
	unsigned long id;		/* set once: names the owners */
	pthread_rwlock_t lock;		/* see the top of the file */
	struct io_buf **bufs;		/* NULL entries: empty slots; lock */
	unsigned int nr_bufs;		/* lock */
	atomic_ulong fixed_reads, fixed_writes, registrations;
	atomic_ullong read_bytes, write_bytes;
};

static atomic_ulong io_ring_ids;

/* The ring's checker, run by pnm_check_system() (pnm_check_register()). */
static int io_ring_checker(void *arg, char *why, size_t size)
{
	return pnm_io_ring_check(arg, why, size);
}

/* pnm_io_ring_create - an io_uring instance of @task (pinmm/io_uring.h). */
int pnm_io_ring_create(struct task_struct *task, struct pnm_io_ring **ringp)
{
	struct pnm_mem_info mi = { .size = sizeof(mi) };
	pthread_rwlockattr_t attr;
	struct pnm_io_ring *ring;

	if (!task || !ringp || pnm_get_mem_info(&mi))
		return -EINVAL;
	if (pnm_task_exited(task))
		return -ESRCH;
	ring = calloc(1, sizeof(*ring));
	if (!ring)
		return -ENOMEM;
	if (pnm_check_register(io_ring_checker, ring)) {
		free(ring);
		return -ENOMEM;
	}
	/* Writers first: a registration is not starved by a stream of I/O. */
	pthread_rwlockattr_init(&attr);
	pthread_rwlockattr_setkind_np(&attr, PTHREAD_RWLOCK_PREFER_WRITER_NONRECURSIVE_NP);
	if (pthread_rwlock_init(&ring->lock, &attr))
		abort();
	pthread_rwlockattr_destroy(&attr);
	pnm_task_get(task);
	ring->task = task;
	ring->pid = pnm_task_pid(task);
	ring->id = atomic_fetch_add(&io_ring_ids, 1) + 1;
	*ringp = ring;
	return 0;
}

/* Release one buffer: its extent (dirty if a read wrote it), its owner. */
static void io_buf_free(struct io_buf *b)
{
	if (!b)
		return;
	if (b->vp) {
		vaddr_unpin_user_pages(b->vp, b->start, atomic_load(&b->dirty));
		vaddr_pin_destroy(b->vp);
	}
	free(b->pages);
	free(b);
}

static void io_bufs_free(struct io_buf **bufs, unsigned int nr)
{
	unsigned int i;

	for (i = 0; i < nr; i++)
		io_buf_free(bufs[i]);
	free(bufs);
}

/* pnm_io_ring_destroy - unregister, free (pinmm/io_uring.h). */
void pnm_io_ring_destroy(struct pnm_io_ring *ring)
{
	if (!ring)
		return;
	pnm_check_unregister(io_ring_checker, ring);
	io_bufs_free(ring->bufs, ring->nr_bufs);
	pthread_rwlock_destroy(&ring->lock);
	pnm_task_put(ring->task);
	free(ring);
}

/* io_buffer_validate(): an empty slot (1), a buffer to pin (0), or -errno. */
static int io_buf_validate(const struct iovec *iov)
{
	unsigned long base = (unsigned long)iov->iov_base, tmp;

	if (!base)
		return iov->iov_len ? -EFAULT : 1;
	if (!iov->iov_len || iov->iov_len > PNM_IORING_MAX_BUF_SIZE)
		return -EFAULT;
	if (__builtin_add_overflow(base, iov->iov_len + PAGE_SIZE_ - 1, &tmp))
		return -EOVERFLOW;
	return 0;
}

/* The index of @page in its folio. */
static unsigned long io_folio_idx(struct folio *folio, struct page *page)
{
	return page_to_pfn(page) - folio_pfn(folio);
}

/*
 * io_check_coalesce_buffer(): are @b's pages runs of folios of one size,
 * each run contiguous, the first ending its folio, the middle ones whole,
 * the last starting its folio?  If so, and the folios are large, set the
 * buffer's segment count and folio shift and return true.
 */
static bool io_buf_can_coalesce(struct io_buf *b)
{
	struct folio *folio = page_folio(b->pages[0]);
	unsigned long nr_mid = folio_nr_pages(folio), count = 1, folios = 1, i;
	unsigned int shift = 0;

	if (b->nr_pages < 2 || nr_mid < 2)
		return false;
	for (i = 1; i < b->nr_pages; i++) {
		struct page *p = b->pages[i];

		if (page_folio(p) == folio && page_to_pfn(p) == page_to_pfn(b->pages[i - 1]) + 1) {
			count++;
			continue;
		}
		if (folios == 1) {
			if (io_folio_idx(folio, b->pages[i - 1]) != nr_mid - 1)
				return false;
		} else if (count != nr_mid) {
			return false;
		}
		folio = page_folio(p);
		if (folio_nr_pages(folio) != nr_mid || io_folio_idx(folio, p) != 0)
			return false;
		count = 1;
		folios++;
	}
	while ((1UL << shift) < nr_mid)
		shift++;
	b->nr_segs = folios;
	b->folio_shift = PNM_PAGE_SHIFT + shift;
	return true;
}

/*
 * io_sqe_buffer_register(): pin one validated buffer through an owner of
 * its own -- all of it or nothing (io_pin_pages() turns a partial pin
 * into -EFAULT) -- then coalesce it when its folios allow.
 */
static int io_buf_register(struct pnm_io_ring *ring, unsigned int index, const struct iovec *iov,
			   struct io_buf **bp)
{
	struct vaddr_pin_params p = { .size = sizeof(p) };
	char name[32];
	struct io_buf *b;
	long ret;
	int err;

	b = calloc(1, sizeof(*b));
	if (!b)
		return -ENOMEM;
	b->ubuf = (unsigned long)iov->iov_base;
	b->len = iov->iov_len;
	b->start = b->ubuf & PAGE_MASK_;
	b->nr_pages = (((b->ubuf + b->len + PAGE_SIZE_ - 1) & PAGE_MASK_) - b->start) / PAGE_SIZE_;
	b->nr_segs = b->nr_pages;
	b->folio_shift = PNM_PAGE_SHIFT;
	b->pages = malloc(b->nr_pages * sizeof(*b->pages));
	if (!b->pages) {
		free(b);
		return -ENOMEM;
	}
	snprintf(name, sizeof(name), "io_uring%lu:buf%u", ring->id, index);
	p.task = ring->task;
	p.flags = VADDR_PIN_LONGTERM | VADDR_PIN_WRITE;
	p.name = name;
	err = vaddr_pin_create(&p, &b->vp);
	if (err) {
		b->vp = NULL;
		io_buf_free(b);
		return err;
	}
	/* The registry names this line as the pins' call site. */
	pnm_gup_set_call_site(__FILE__, __LINE__, __func__);
	ret = vaddr_pin_user_pages(b->vp, b->start, b->nr_pages, b->pages);
	if (ret != (long)b->nr_pages) {
		if (ret > 0)
			vaddr_unpin_user_pages(b->vp, b->start, false);
		/* Partial, nothing, or a range beyond user space (the owner's
		 * -EINVAL; access_ok() in Linux): -EFAULT. */
		err = (ret >= 0 || ret == -EINVAL) ? -EFAULT : (int)ret;
		vaddr_pin_destroy(b->vp);
		b->vp = NULL;
		io_buf_free(b);
		return err;
	}
	if (io_buf_can_coalesce(b)) {
		ret = vaddr_pin_coalesce(b->vp, b->start);
		if (ret < 0) {		/* no memory to coalesce: keep per-page pins */
			b->nr_segs = b->nr_pages;
			b->folio_shift = PNM_PAGE_SHIFT;
		} else {
			b->coalesced = true;
		}
	}
	*bp = b;
	return 0;
}

/* pnm_io_ring_register_buffers - IORING_REGISTER_BUFFERS (pinmm/io_uring.h). */
int pnm_io_ring_register_buffers(struct pnm_io_ring *ring, const struct iovec *iov, unsigned int nr)
{
	struct io_buf **bufs;
	unsigned int i;
	int err = 0;

	if (!ring)
		return -EINVAL;
	pthread_rwlock_wrlock(&ring->lock);
	if (ring->nr_bufs) {
		err = -EBUSY;
		goto out;
	}
	if (!nr || nr > PNM_IORING_MAX_REG_BUFFERS) {
		err = -EINVAL;
		goto out;
	}
	if (!iov) {
		err = -EFAULT;
		goto out;
	}
	bufs = calloc(nr, sizeof(*bufs));
	if (!bufs) {
		err = -ENOMEM;
		goto out;
	}
	for (i = 0; i < nr && !err; i++) {
		err = io_buf_validate(&iov[i]);
		if (err == 1) {
			err = 0;		/* an empty slot */
			continue;
		}
		if (!err)
			err = io_buf_register(ring, i, &iov[i], &bufs[i]);
	}
	if (err) {
		io_bufs_free(bufs, nr);
		goto out;
	}
	ring->bufs = bufs;
	ring->nr_bufs = nr;
	atomic_fetch_add_explicit(&ring->registrations, 1, memory_order_relaxed);
out:
	pthread_rwlock_unlock(&ring->lock);
	return err;
}

/* pnm_io_ring_unregister_buffers - IORING_UNREGISTER_BUFFERS (pinmm/io_uring.h). */
int pnm_io_ring_unregister_buffers(struct pnm_io_ring *ring)
{
	struct io_buf **bufs;
	unsigned int nr;

	if (!ring)
		return -EINVAL;
	pthread_rwlock_wrlock(&ring->lock);
	bufs = ring->bufs;
	nr = ring->nr_bufs;
	ring->bufs = NULL;
	ring->nr_bufs = 0;
	pthread_rwlock_unlock(&ring->lock);
	if (!nr)
		return -ENXIO;
	io_bufs_free(bufs, nr);
	return 0;
}

/* io_import_fixed(): the buffer @index if [addr, addr + len) lies in it.
 * ring->lock held. */
static struct io_buf *io_buf_import(struct pnm_io_ring *ring, unsigned int index,
				    unsigned long addr, size_t len)
{
	struct io_buf *b;
	unsigned long end;

	if (index >= ring->nr_bufs || !(b = ring->bufs[index]))
		return NULL;
	if (__builtin_add_overflow(addr, len, &end))
		return NULL;
	if (addr < b->ubuf || end > b->ubuf + b->len)
		return NULL;
	return b;
}

/* A fixed read (@write false: file -> buffer) or write (buffer -> file). */
static ssize_t io_fixed(struct pnm_io_ring *ring, struct file *file, unsigned int index,
			unsigned long addr, size_t len, int64_t off, bool write)
{
	size_t done = 0;
	ssize_t ret = 0;
	struct io_buf *b;
	char *bounce;

	if (!ring)
		return -EINVAL;
	pthread_rwlock_rdlock(&ring->lock);
	b = io_buf_import(ring, index, addr, len);
	if (!b) {
		pthread_rwlock_unlock(&ring->lock);
		return -EFAULT;
	}
	bounce = malloc(len < IO_CHUNK ? (len ? len : 1) : IO_CHUNK);
	if (!bounce) {
		pthread_rwlock_unlock(&ring->lock);
		return -ENOMEM;
	}
	while (done < len) {
		size_t chunk = len - done < IO_CHUNK ? len - done : IO_CHUNK;
		int err;

		if (write) {
			err = pnm_vaddr_pin_dma_read(b->vp, addr + done, bounce, chunk);
			ret = err ? err : pnm_file_write(file, bounce, chunk, off + (int64_t)done);
		} else {
			ret = pnm_file_read(file, bounce, chunk, off + (int64_t)done);
			if (ret > 0) {
				err = pnm_vaddr_pin_dma_write(b->vp, addr + done, bounce,
							      (size_t)ret);
				if (err)
					ret = err;
				else
					atomic_store(&b->dirty, true);
			}
		}
		if (ret <= 0)
			break;
		done += (size_t)ret;
		if ((size_t)ret < chunk)
			break;		/* end of file, or a short write */
	}
	free(bounce);
	if (done) {
		atomic_fetch_add_explicit(write ? &b->write_bytes : &b->read_bytes, done,
					  memory_order_relaxed);
		atomic_fetch_add_explicit(write ? &ring->write_bytes : &ring->read_bytes, done,
					  memory_order_relaxed);
	}
	pthread_rwlock_unlock(&ring->lock);
	if (done || ret >= 0) {
		atomic_fetch_add_explicit(write ? &ring->fixed_writes : &ring->fixed_reads, 1,
					  memory_order_relaxed);
		return (ssize_t)done;
	}
	return ret;
}

/* pnm_io_ring_read_fixed, pnm_io_ring_write_fixed - IORING_OP_READ_FIXED and
 * WRITE_FIXED (pinmm/io_uring.h): io_fixed(). */
ssize_t pnm_io_ring_read_fixed(struct pnm_io_ring *ring, struct file *file, unsigned int buf_index,
			       unsigned long addr, size_t len, int64_t off)
{
	return io_fixed(ring, file, buf_index, addr, len, off, false);
}

ssize_t pnm_io_ring_write_fixed(struct pnm_io_ring *ring, struct file *file,
				unsigned int buf_index, unsigned long addr, size_t len, int64_t off)
{
	return io_fixed(ring, file, buf_index, addr, len, off, true);
}

/* --- queries and the checker --------------------------------------------- */

static unsigned long io_buf_pins(const struct io_buf *b)
{
	return b->coalesced ? b->nr_segs : b->nr_pages;
}

/* pnm_io_ring_buf_info - one registered buffer (pinmm/io_uring.h). */
int pnm_io_ring_buf_info(struct pnm_io_ring *ring, unsigned int index, struct pnm_io_buf_info *info)
{
	struct pnm_io_buf_info s;
	struct io_buf *b;
	size_t size;
	int err = 0;

	if (!ring || !info || info->size < IO_BUF_INFO_SIZE_0_2 || info->size > IO_STRUCT_SIZE_MAX)
		return -EINVAL;
	size = info->size;
	memset(&s, 0, sizeof(s));
	s.size = sizeof(s);
	pthread_rwlock_rdlock(&ring->lock);
	if (!ring->nr_bufs) {
		err = -ENXIO;
	} else if (index >= ring->nr_bufs) {
		err = -EINVAL;
	} else if ((b = ring->bufs[index])) {
		s.addr = b->ubuf;
		s.len = b->len;
		s.pages = b->nr_pages;
		s.pins = io_buf_pins(b);
		s.segments = b->nr_segs;
		s.folio_shift = b->folio_shift;
		s.coalesced = b->coalesced;
		s.read_bytes = atomic_load_explicit(&b->read_bytes, memory_order_relaxed);
		s.write_bytes = atomic_load_explicit(&b->write_bytes, memory_order_relaxed);
	}
	pthread_rwlock_unlock(&ring->lock);
	if (err)
		return err;
	memcpy(info, &s, sizeof(s));
	memset((char *)info + sizeof(s), 0, size - sizeof(s));
	info->size = size;
	return 0;
}

/* pnm_io_ring_buf_owner - buffer @index's owner (pinmm/io_uring.h). */
struct vaddr_pin *pnm_io_ring_buf_owner(struct pnm_io_ring *ring, unsigned int index)
{
	struct vaddr_pin *vp = NULL;

	if (!ring)
		return NULL;
	pthread_rwlock_rdlock(&ring->lock);
	if (index < ring->nr_bufs && ring->bufs[index])
		vp = ring->bufs[index]->vp;
	pthread_rwlock_unlock(&ring->lock);
	return vp;
}

/* pnm_io_ring_get_info - what @ring holds and did (pinmm/io_uring.h). */
int pnm_io_ring_get_info(struct pnm_io_ring *ring, struct pnm_io_ring_info *info)
{
	struct pnm_io_ring_info s;
	unsigned int i;
	size_t size;

	if (!ring || !info || info->size < IO_RING_INFO_SIZE_0_2 || info->size > IO_STRUCT_SIZE_MAX)
		return -EINVAL;
	size = info->size;
	memset(&s, 0, sizeof(s));
	s.size = sizeof(s);
	s.pid = ring->pid;
	pthread_rwlock_rdlock(&ring->lock);
	s.nr_bufs = ring->nr_bufs;
	for (i = 0; i < ring->nr_bufs; i++) {
		if (!ring->bufs[i])
			continue;
		s.pages += ring->bufs[i]->nr_pages;
		s.pins += io_buf_pins(ring->bufs[i]);
	}
	pthread_rwlock_unlock(&ring->lock);
	s.fixed_reads = atomic_load_explicit(&ring->fixed_reads, memory_order_relaxed);
	s.fixed_writes = atomic_load_explicit(&ring->fixed_writes, memory_order_relaxed);
	s.read_bytes = atomic_load_explicit(&ring->read_bytes, memory_order_relaxed);
	s.write_bytes = atomic_load_explicit(&ring->write_bytes, memory_order_relaxed);
	s.registrations = atomic_load_explicit(&ring->registrations, memory_order_relaxed);
	memcpy(info, &s, sizeof(s));
	memset((char *)info + sizeof(s), 0, size - sizeof(s));
	info->size = size;
	return 0;
}

#define IO_BAD(...)	do { snprintf(why ? why : scratch, why ? size : sizeof(scratch), \
				      __VA_ARGS__); return -EUCLEAN; } while (0)

/* One buffer against its owner and its pages.  ring->lock held. */
static int io_buf_check(const struct io_buf *b, unsigned int index, char *why, size_t size)
{
	struct pnm_vaddr_pin_info info = { .size = sizeof(info) };
	struct pnm_vaddr_pin_extent ext = { .size = sizeof(ext) };
	unsigned long i, runs = 0;
	char scratch[8];

	if (!b->vp || pnm_vaddr_pin_get_info(b->vp, &info))
		IO_BAD("io_uring: buffer %u has no owner", index);
	if (info.extents != 1 || info.pages != b->nr_pages)
		IO_BAD("io_uring: buffer %u should hold one extent of %lu pages, its owner holds "
		       "%lu of %lu", index, b->nr_pages, info.extents, info.pages);
	if (pnm_vaddr_pin_extent_next(b->vp, 0, &ext) || ext.start != b->start)
		IO_BAD("io_uring: buffer %u: its owner's extent does not start at 0x%lx", index,
		       b->start);
	if (!!(ext.flags & PNM_VADDR_PIN_EXTENT_COALESCED) != b->coalesced)
		IO_BAD("io_uring: buffer %u is%s coalesced, its extent is%s", index,
		       b->coalesced ? "" : " not",
		       (ext.flags & PNM_VADDR_PIN_EXTENT_COALESCED) ? "" : " not");
	if (b->start + b->nr_pages * PAGE_SIZE_ < b->ubuf + b->len || b->start > b->ubuf)
		IO_BAD("io_uring: buffer %u: pages 0x%lx+%lu do not cover 0x%lx+%zu", index,
		       b->start, b->nr_pages, b->ubuf, b->len);
	for (i = 0; i < b->nr_pages; i++) {
		struct folio *folio = page_folio(b->pages[i]);

		/* In legacy mode a pin is a plain reference nothing can see. */
		if (!folio_maybe_dma_pinned(folio) && !pnm_get_config()->legacy_gup)
			IO_BAD("io_uring: buffer %u: page %lu (pfn 0x%lx) is not pinned", index, i,
			       page_to_pfn(b->pages[i]));
		if (!i || folio != page_folio(b->pages[i - 1]))
			runs++;
	}
	if (b->coalesced && (runs != b->nr_segs ||
			     b->folio_shift <= PNM_PAGE_SHIFT ||
			     folio_nr_pages(page_folio(b->pages[0])) !=
				     1UL << (b->folio_shift - PNM_PAGE_SHIFT)))
		IO_BAD("io_uring: buffer %u: %lu segments of shift %u over %lu folios", index,
		       b->nr_segs, b->folio_shift, runs);
	if (!b->coalesced && (b->nr_segs != b->nr_pages || b->folio_shift != PNM_PAGE_SHIFT))
		IO_BAD("io_uring: buffer %u: %lu segments of shift %u for %lu pages", index,
		       b->nr_segs, b->folio_shift, b->nr_pages);
	return 0;
}

/* pnm_io_ring_check - @ring's invariants (pinmm/io_uring.h). */
int pnm_io_ring_check(struct pnm_io_ring *ring, char *why, size_t size)
{
	char scratch[8];
	unsigned int i;
	int err = 0;

	if (!ring)
		return -EINVAL;
	pthread_rwlock_rdlock(&ring->lock);
	if (!ring->bufs != !ring->nr_bufs) {
		snprintf(why ? why : scratch, why ? size : sizeof(scratch),
			 "io_uring: %u buffers but table %p", ring->nr_bufs, (void *)ring->bufs);
		err = -EUCLEAN;
	}
	for (i = 0; i < ring->nr_bufs && !err; i++)
		if (ring->bufs[i])
			err = io_buf_check(ring->bufs[i], i, why, size);
	pthread_rwlock_unlock(&ring->lock);
	return err;
}
