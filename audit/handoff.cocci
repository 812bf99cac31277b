// handoff.cocci - pinmm audit: pages handed to another function of the
// file, and that function's parameters, so tools/pinmm/audit_classify.c
// can follow the pages one call deep: a helper that writes their data
// (case 5), hands them to a device (case 1) or releases them
// (qp_release_pages(pages, n)).
//
// Records (tab separated):
//   H  file line function callee "index pages"   the pages (or pages[i], or
//                                                 page for &page) passed as
//                                                 argument index of callee
//   D  file line callee parameter index           a parameter of a callee's
//                                                 definition in the same file
// pnm_audit_emit() is defined by sites.cocci (the rule files are run as one).

@initialize:python@
@@
pnm_handoff = set()
pnm_relhelper = set()
pnm_sitefn = set()
pnm_relnames = set()

def pnm_has_relname(g):
    return any(f == str(g) for f, _ in pnm_relnames)

def pnm_is_sitefn(f):
    return str(f) in pnm_sitefn

def pnm_is_handoff(g):
    return str(g) in pnm_handoff

def pnm_is_relhelper(g):
    return str(g) in pnm_relhelper

// The pages argument of the family's calls (the shapes of leak.cocci).
@carry@
identifier fn = {get_user_pages, get_user_pages_fast, get_user_pages_fast_only,
                 get_user_pages_locked, pin_user_pages, pin_user_pages_fast,
                 pin_user_pages_fast_only, pin_user_pages_locked};
identifier fr = {get_user_pages_remote, pin_user_pages_remote};
identifier fu = {get_user_pages_unlocked, pin_user_pages_unlocked};
expression E1, E2, E3, E4, P;
@@
(
fn(E1, E2, E3, P, ...)
|
fr(E1, E2, E3, E4, P, ...)
|
fu(E1, E2, P, E3)
)

// Calls the other rules already name are no handoff.
@handoff@
expression carry.P;
identifier g !~ "^(get_user_pages|pin_user_pages|unpin_user_|unpin_folio|put_page$|folio_put|release_pages$|put_user_page|vaddr_|kfree$|kvfree$|set_page_dirty|folio_mark_dirty|lock_page$|trylock_page$|kmap|page_address$|memcpy_to_page$|memcpy_from_page$|memzero_page$|zero_user|flush_dcache_page$|dma_map_page|sg_set_page$|sg_alloc_table_from_pages$|bio_add_page$|__bio_add_page$|page_folio$|compound_head$)";
expression list[n] before;
expression list after;
expression I;
position p;
@@
(
g@p(before, P, after)
|
g@p(before, P[I], after)
)

@script:python@
g << handoff.g;
n << handoff.n;
P << carry.P;
p << handoff.p;
@@
pnm_handoff.add(str(g))
pnm_audit_emit("H", p[0].file, p[0].line, p[0].current_element, g, "%s %s" % (n, P))

// One page by address (&page): the page itself handed on.
@handoff_one@
expression carry.P;
identifier g !~ "^(get_user_pages|pin_user_pages|unpin_user_|unpin_folio|put_page$|folio_put|release_pages$|put_user_page|vaddr_|kfree$|kvfree$|set_page_dirty|folio_mark_dirty|lock_page$|trylock_page$|kmap|page_address$|memcpy_to_page$|memcpy_from_page$|memzero_page$|zero_user|flush_dcache_page$|dma_map_page|sg_set_page$|sg_alloc_table_from_pages$|bio_add_page$|__bio_add_page$|page_folio$|compound_head$)";
idexpression Q : script:python(P) { "&" + Q.replace(" ", "") == P.replace(" ", "") };
expression list[n] before;
expression list after;
position p;
@@
g@p(before, Q, after)

@script:python@
g << handoff_one.g;
n << handoff_one.n;
P << carry.P;
p << handoff_one.p;
@@
pnm_handoff.add(str(g))
pnm_audit_emit("H", p[0].file, p[0].line, p[0].current_element, g, "%s %s" % (n, P))

@handoff_def@
identifier g : script:python() { pnm_is_handoff(g) };
parameter list[pn] ps;
identifier x;
type T;
position q;
@@
g@q(ps, T x, ...) { ... }

@script:python@
g << handoff_def.g;
pn << handoff_def.pn;
x << handoff_def.x;
q << handoff_def.q;
@@
pnm_audit_emit("D", q[0].file, q[0].line, g, x, pn)

// Release helpers: functions of the file that put or unpin the pages of a
// parameter (qp_release_pages(pages, n)), and every call of them, so a
// release through a helper counts as that release (C records are read as
// R records of the helper's release on the argument at the index).
//   D  file line helper parameter index
//   C  file line function helper args
// (two steps, no path matching: a release of a name in a function, then
// the function's parameters of that name)
@relname@
identifier rf = {put_page, folio_put, release_pages, unpin_user_page, unpin_user_pages,
                 unpin_user_pages_dirty_lock, put_user_page, put_user_pages,
                 put_user_pages_dirty_lock};
identifier x;
expression E;
position q;
@@
rf@q(\(x\|x[E]\), ...)

@script:python@
x << relname.x;
q << relname.q;
@@
pnm_relnames.add((q[0].current_element, str(x)))

@relhelper@
identifier g : script:python() { pnm_has_relname(g) };
identifier x : script:python(g) { (str(g), str(x)) in pnm_relnames };
type T;
parameter list[pn] ps;
position q;
@@
g@q(ps, T x, ...) { ... }

@script:python@
g << relhelper.g;
pn << relhelper.pn;
x << relhelper.x;
q << relhelper.q;
@@
pnm_relhelper.add(str(g))
pnm_audit_emit("D", q[0].file, q[0].line, g, x, pn)

@relcall@
identifier g : script:python() { pnm_is_relhelper(g) };
expression list args;
position p;
@@
g@p(args)

@script:python@
g << relcall.g;
args << relcall.args;
p << relcall.p;
@@
pnm_audit_emit("C", p[0].file, p[0].line, p[0].current_element, g, args)

// The callers of the functions that hold a call of the family, for pages
// that are the function's parameter (the caller's array, as privcmd.c's
// lock_pages()): the function's parameters, and its calls in the file.
//   D  file line function parameter index
//   U  file line caller function args
@site_fn_call@
identifier fam = {get_user_pages, get_user_pages_fast, get_user_pages_fast_only,
                  get_user_pages_remote, get_user_pages_unlocked, get_user_pages_locked,
                  pin_user_pages, pin_user_pages_fast, pin_user_pages_fast_only,
                  pin_user_pages_remote, pin_user_pages_unlocked, pin_user_pages_locked};
position p;
@@
fam@p(...)

@script:python@
p << site_fn_call.p;
@@
pnm_sitefn.add(p[0].current_element)

@site_fn@
identifier f : script:python() { pnm_is_sitefn(f) };
identifier x;
type T;
parameter list[pn] ps;
position q;
@@
f@q(ps, T x, ...) { ... }

@script:python@
f << site_fn.f;
pn << site_fn.pn;
x << site_fn.x;
q << site_fn.q;
@@
pnm_audit_emit("D", q[0].file, q[0].line, f, x, pn)

@site_caller@
identifier f : script:python() { pnm_is_sitefn(f) };
expression list args;
position p;
@@
f@p(args)

@script:python@
f << site_caller.f;
args << site_caller.args;
p << site_caller.p;
@@
pnm_audit_emit("U", p[0].file, p[0].line, p[0].current_element, f, args)
