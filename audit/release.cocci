// release.cocci - pinmm audit: what releases, dirties or locks pages, so
// tools/pinmm/audit.c can tell, per call site, what the pages array is
// released with: in the same function, or through a struct field in the
// file's other functions (docs/audit.md, "How it works").
//
// Records (tab separated):
//   R  file line function callee args
// pnm_audit_emit() is defined by sites.cocci (the rule files are run as one).

@release@
identifier fn = {put_page, folio_put, folio_put_refs, release_pages,
                 unpin_user_page, unpin_user_pages, unpin_user_pages_dirty_lock,
                 unpin_user_page_range_dirty_lock, unpin_folio, unpin_folios,
                 unpin_user_folio,
                 put_user_page, put_user_pages, put_user_pages_dirty,
                 put_user_pages_dirty_lock,
                 vaddr_unpin_user_pages, vaddr_unpin_pages,
                 set_page_dirty, set_page_dirty_lock, folio_mark_dirty,
                 lock_page, trylock_page, folio_lock, folio_trylock};
expression list args;
position p;
@@
fn@p(args)

@script:python@
fn << release.fn;
args << release.args;
p << release.p;
@@
pnm_audit_emit("R", p[0].file, p[0].line, p[0].current_element, fn, args)
