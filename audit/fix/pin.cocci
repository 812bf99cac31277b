// fix/pin.cocci - pinmm audit --fix: convert call sites to the raw pin API.
//
// Only the call sites tools/pinmm/audit.c chose (the file named by
// $PINMM_AUDIT_FIX lists them, "file<TAB>line" a line): gets of group a
// (their pages' data is written or handed to a device) or c (released with
// an unpin already), and pins released with a put.  The get becomes the
// pin of the same shape; in the same function the releases of its pages
// become unpins: put_page(pages[i]) -> unpin_user_page(pages[i]),
// release_pages(pages, n) -> unpin_user_pages(pages, n), put_page(page)
// for &page -> unpin_user_page(page), and the 2019 names put_user_page*()
// -> unpin_user_page*().  Run by audit.c; the result is a
// unified diff, nothing is written.

@initialize:python@
@@
import os
pnm_fix_targets = set()
try:
    with open(os.environ.get("PINMM_AUDIT_FIX", "")) as f:
        for line in f:
            parts = line.rstrip("\n").split("\t")
            if len(parts) >= 2:
                pnm_fix_targets.add((parts[0], parts[1]))
except OSError:
    pass

def pnm_fix_wanted(p):
    return (p[0].file, p[0].line) in pnm_fix_targets

// One page by address (&page): its put_page(page) becomes unpin_user_page(page).
@fix_one@
position p : script:python() { pnm_fix_wanted(p) };
identifier func;
expression E1, E2, E3, E4;
idexpression Q;
@@
func(...) {
<...
(
- get_user_pages_fast@p
+ pin_user_pages_fast
  (E1, E2, E3, &Q)
|
- get_user_pages@p
+ pin_user_pages
  (E1, E2, E3, &Q, ...)
|
- get_user_pages_locked@p
+ pin_user_pages_locked
  (E1, E2, E3, &Q, ...)
|
- get_user_pages_remote@p
+ pin_user_pages_remote
  (E1, E2, E3, E4, &Q, ...)
|
- get_user_pages_unlocked@p
+ pin_user_pages_unlocked
  (E1, E2, &Q, E3)
|
\(pin_user_pages_fast@p(E1, E2, E3, &Q)\|pin_user_pages@p(E1, E2, E3, &Q, ...)\|
  pin_user_pages_remote@p(E1, E2, E3, E4, &Q, ...)\|pin_user_pages_unlocked@p(E1, E2, &Q, E3)\)
)
...>
}

@fix_one_rel@
identifier fix_one.func;
idexpression fix_one.Q;
@@
func(...) {
<...
(
- put_page(Q)
+ unpin_user_page(Q)
|
- put_user_page(Q)
+ unpin_user_page(Q)
)
...>
}

// A pages array: put_page(pages[i]) and release_pages(pages, n) become unpins.
@fix_arr@
position p : script:python() { pnm_fix_wanted(p) };
identifier func;
expression E1, E2, E3, E4, P;
@@
func(...) {
<...
(
- get_user_pages_fast@p
+ pin_user_pages_fast
  (E1, E2, E3, P)
|
- get_user_pages@p
+ pin_user_pages
  (E1, E2, E3, P, ...)
|
- get_user_pages_locked@p
+ pin_user_pages_locked
  (E1, E2, E3, P, ...)
|
- get_user_pages_remote@p
+ pin_user_pages_remote
  (E1, E2, E3, E4, P, ...)
|
- get_user_pages_unlocked@p
+ pin_user_pages_unlocked
  (E1, E2, P, E3)
|
\(pin_user_pages_fast@p(E1, E2, E3, P)\|pin_user_pages@p(E1, E2, E3, P, ...)\|
  pin_user_pages_remote@p(E1, E2, E3, E4, P, ...)\|pin_user_pages_unlocked@p(E1, E2, P, E3)\)
)
...>
}

@fix_arr_rel@
identifier fix_arr.func;
expression fix_arr.P;
expression I, N, D;
@@
func(...) {
<...
(
- put_page(P[I])
+ unpin_user_page(P[I])
|
- release_pages(P, N)
+ unpin_user_pages(P, N)
|
- put_user_page(P[I])
+ unpin_user_page(P[I])
|
- put_user_pages(P, N)
+ unpin_user_pages(P, N)
|
- put_user_pages_dirty_lock(P, N, D)
+ unpin_user_pages_dirty_lock(P, N, D)
)
...>
}
