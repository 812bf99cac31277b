// leak.cocci - pinmm audit: pages taken and not released on some path.
//
// A call of the family into a local pages array (or &page) whose result is
// checked for failure (the branch that returns or jumps away is the failure
// path: nothing to release there), after which some path reaches a return
// with the pages neither released nor handed anywhere: no call takes them
// (kfree() of the array aside), no assignment stores them.  Conservative:
// any call that takes the pages ends the path, whatever it does with them.
//
// Records (tab separated):
//   L  file line function pages return-line   the call at line, a path to the return
//   P  file line function parameter -         a parameter (a caller's array is no leak)
//   M  file line function pages -             the pages named in a loop's body
//   X  file line function pages -             the pages point into another array
// tools/pinmm/audit.c drops candidates whose pages are a parameter, those
// whose return names the pages, those whose pages are named in a loop
// between the call and the return (Coccinelle's paths include a loop run
// zero times, where nothing was taken: a loop that releases the pages or
// hands them on cannot be told from one that does not), and those whose
// pages point into another array (an alias: the other name keeps them).
// pnm_audit_emit() is defined by sites.cocci.

@leak_pages@
identifier fn = {get_user_pages, get_user_pages_fast, get_user_pages_fast_only,
                 pin_user_pages, pin_user_pages_fast, pin_user_pages_fast_only};
identifier fr = {get_user_pages_remote, pin_user_pages_remote};
identifier fu = {get_user_pages_unlocked, pin_user_pages_unlocked};
local idexpression P;
expression E1, E2, E3, E4;
@@
(
fn(E1, E2, E3, \(P\|&P\), ...)
|
fr(E1, E2, E3, E4, \(P\|&P\), ...)
|
fu(E1, E2, \(P\|&P\), E3)
)

@leak_path exists@
local idexpression leak_pages.P;
identifier f = {get_user_pages, get_user_pages_fast, get_user_pages_fast_only,
                pin_user_pages, pin_user_pages_fast, pin_user_pages_fast_only,
                get_user_pages_remote, pin_user_pages_remote,
                get_user_pages_unlocked, pin_user_pages_unlocked};
identifier other != {kfree, kvfree, kfree_sensitive};
expression N, E;
statement S1, S2;
identifier l;
position p1, p2;
@@
(
N = f@p1(..., \(P\|&P\), ...);
... when any
    when != other(..., \(P\|&P\|P[...]\), ...)
    when != E = \(P\|P[...]\)
(
if (<+... N ...+>) { ... return ...; }
|
if (<+... N ...+>) return ...;
|
if (<+... N ...+>) { ... goto l; }
|
if (<+... N ...+>) goto l;
)
|
if (<+... f@p1(..., \(P\|&P\), ...) ...+>) { ... return ...; }
|
if (<+... f@p1(..., \(P\|&P\), ...) ...+>) return ...;
|
if (<+... f@p1(..., \(P\|&P\), ...) ...+>) { ... goto l; }
|
if (<+... f@p1(..., \(P\|&P\), ...) ...+>) goto l;
)
... when any
    when != other(..., \(P\|&P\|P[...]\), ...)
    when != E = \(P\|P[...]\)
    when != if (<+... P ...+>) S1 else S2
    when != if (<+... P ...+>) S1
return@p2 ...;

@script:python@
P << leak_pages.P;
p1 << leak_path.p1;
p2 << leak_path.p2;
@@
pnm_audit_emit("L", p1[0].file, p1[0].line, p1[0].current_element, P, p2[0].line)

@leak_param depends on leak_path@
identifier func, p;
type T;
position q;
@@
func@q(..., T p, ...) { ... }

@script:python@
func << leak_param.func;
p << leak_param.p;
q << leak_param.q;
@@
pnm_audit_emit("P", q[0].file, q[0].line, func, p, "-")

@leak_loop depends on leak_path@
local idexpression leak_pages.P;
position q;
type T;
identifier x;
expression E;
@@
(
for (...;...;...) { <+... P@q ...+> }
|
for (T x = E;...;...) { <+... P@q ...+> }
|
while (...) { <+... P@q ...+> }
)

@script:python@
P << leak_pages.P;
q << leak_loop.q;
@@
pnm_audit_emit("M", q[0].file, q[0].line, q[0].current_element, P, "-")

@leak_alias depends on leak_path@
local idexpression leak_pages.P;
expression E1, E2;
position q;
@@
(
P@q = E1 + E2
|
P@q = &E1[E2]
)

@script:python@
P << leak_pages.P;
q << leak_alias.q;
@@
pnm_audit_emit("X", q[0].file, q[0].line, q[0].current_element, P, "-")
