// access.cocci - pinmm audit: what touches the data of pages (the kernel's
// own mapping of a page, copies into it, a device's DMA or block I/O), and
// MMU notifier registrations (case 3 of the pin_user_pages documentation).
//
// Records (tab separated):
//   A  file line function callee args
// pnm_audit_emit() is defined by sites.cocci (the rule files are run as one).

@use@
identifier fn = {kmap, kmap_atomic, kmap_local_page, kmap_local_folio, page_address,
                 memcpy_to_page, memcpy_from_page, memzero_page, zero_user,
                 zero_user_segments, copy_to_page, flush_dcache_page,
                 dma_map_page, dma_map_page_attrs, sg_set_page,
                 sg_alloc_table_from_pages, bio_add_page, __bio_add_page,
                 mmu_notifier_register, __mmu_notifier_register, mmu_notifier_get,
                 mmu_interval_notifier_insert, mmu_interval_notifier_insert_locked};
expression list args;
position p;
@@
fn@p(args)

@script:python@
fn << use.fn;
args << use.args;
p << use.p;
@@
pnm_audit_emit("A", p[0].file, p[0].line, p[0].current_element, fn, args)
