/* SPDX-License-Identifier: MIT */
/*
 * pinmm/fault.h - host fault injection: make the model's own host
 * allocations and the I/O on its backing files fail on purpose, the way
 * SQLite tests itself (fail the Nth call of a kind, or every Nth).
 *
 * Every place where the model asks its host for memory (a mapping, a
 * reverse-map entry, a pin-registry record, a page-cache index node, a
 * page frame, any other host allocation) or does I/O on a backing file
 * (pread, pwrite, fdatasync, ftruncate, fallocate) belongs to one kind.
 * While injection is off, a site costs one predictable branch; while any
 * kind is armed or calls are being counted, each site counts its call and
 * asks whether this call must fail.  A failed site behaves as if the host
 * had failed: allocations give -ENOMEM (a page fault that cannot allocate
 * is VM_FAULT_OOM), I/O gives -EIO (a failed writeback write or sync is
 * recorded as the mapping's writeback error and reported by the next
 * fsync of every opener exactly once).  docs/faults.md lists every kind,
 * its sites and where each error surfaces.
 *
 * The state is process-wide and independent of pnm_init()/pnm_fini(): it
 * survives them (so a run can be swept from its very first call) and is
 * cleared only by pnm_fault_reset().  Thread rules: every call may be
 * made from any thread; counters are atomic, and with several threads
 * making calls of one kind, exactly one of them sees the Nth call.
 */
#ifndef PINMM_FAULT_H
#define PINMM_FAULT_H

#include <pinmm/types.h>

PNM_BEGIN_DECLS

/* The kinds of injectable host calls (one per class of site). */
enum pnm_fault_kind {
	PNM_FAULT_VMA,		/* mapping (vm_area_struct) allocations */
	PNM_FAULT_RMAP,		/* anon_vma and anon_vma_chain allocations */
	PNM_FAULT_PIN_RECORD,	/* pin registry records */
	PNM_FAULT_XA_NODE,	/* page-cache index (xarray) nodes */
	PNM_FAULT_PAGE,		/* page-frame allocations (alloc_pages) */
	PNM_FAULT_ALLOC,	/* every other host allocation of the core */
	PNM_FAULT_PREAD,	/* reads of a backing file */
	PNM_FAULT_PWRITE,	/* writes of a backing file */
	PNM_FAULT_FDATASYNC,	/* syncs of a backing file */
	PNM_FAULT_FTRUNCATE,	/* size changes of a backing file */
	PNM_FAULT_FALLOCATE,	/* hole punches of a backing file */
	PNM_FAULT_NR_KINDS
};

/* What pnm_fault_stat() reports for one kind. */
struct pnm_fault_stats {
	unsigned long calls;	/* calls counted since the last reset (while
				 * a kind was armed or counting was on) */
	unsigned long injected;	/* of those, failed on purpose */
	unsigned long nth;	/* armed: calls left until the one that fails
				 * (1 = the next), or 0 */
	unsigned long every;	/* armed: every Nth call fails, or 0 */
};

/*
 * Arm @kind to fail once: the @nth call of that kind from now (1 = the
 * next call), then disarm itself.  @nth 0 disarms the kind.  While any
 * kind is armed, the calls of every kind are counted.  0, or -EINVAL for
 * an unknown @kind.
 */
PNM_API int pnm_fault_fail_nth(enum pnm_fault_kind kind, unsigned long nth);

/*
 * Arm @kind to fail repeatedly: of the calls from now, those numbered
 * @offset + @every, @offset + 2 * @every, ... fail (@offset < @every picks
 * the phase; a stress test derives it from its seed).  @every 0 disarms
 * the kind.  Calls are counted as for pnm_fault_fail_nth().  0, or -EINVAL
 * for an unknown @kind or @offset >= @every.
 */
PNM_API int pnm_fault_fail_every(enum pnm_fault_kind kind, unsigned long every,
				 unsigned long offset);

/*
 * Count the calls of every kind without failing any (@on true), so that a
 * sweep knows how many sites of each kind a run reaches; @on false stops
 * counting unless a kind is still armed.  Never fails.
 */
PNM_API void pnm_fault_count(bool on);

/*
 * Disarm every kind and stop counting; the counters keep their values.
 * Never fails.
 */
PNM_API void pnm_fault_off(void);

/* pnm_fault_off() and every counter back to zero.  Never fails. */
PNM_API void pnm_fault_reset(void);

/*
 * The counters and arming of @kind into @st.  0, -EINVAL (unknown @kind
 * or NULL @st).
 */
PNM_API int pnm_fault_stat(enum pnm_fault_kind kind, struct pnm_fault_stats *st);

/*
 * The kind's short name ("vma", "rmap", "pin-record", "xa-node", "page",
 * "alloc", "pread", "pwrite", "fdatasync", "ftruncate", "fallocate"), or
 * NULL for an unknown kind.
 */
PNM_API const char *pnm_fault_kind_name(enum pnm_fault_kind kind);

/* The kind named @name (as pnm_fault_kind_name()), or -EINVAL. */
PNM_API int pnm_fault_kind_lookup(const char *name);

PNM_END_DECLS

#endif /* PINMM_FAULT_H */
