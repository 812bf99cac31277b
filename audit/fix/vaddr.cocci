// fix/vaddr.cocci - pinmm audit --fix=vaddr: convert call sites to the
// vaddr_pin wrapper (pinmm/vaddr_pin.h, the 2019 proposal's owner object).
//
// Only the sites tools/pinmm/audit_convert.c chose (the file named by
// $PINMM_AUDIT_FIX lists them, "file<TAB>line<TAB>owner flags" a line):
// short-term gets and pins, FOLL_WRITE at most, whose pages are released
// in the same function all at once (release_pages(), unpin_user_pages*(),
// put_user_pages*(); for one page by address, its put or unpin).
//
//   x = get_user_pages_fast(start, n, FOLL_WRITE, pages);
// becomes
//   vaddr_pin_create(&pin_params, &pin_owner);
//   x = vaddr_pin_user_pages(pin_owner, start, n, pages);
//   if (x <= 0) {
//           vaddr_pin_destroy(pin_owner);
//           pin_owner = NULL;
//   }
// with the owner declared at the top of the function for the current task
// and the flags the call passed (VADDR_PIN_WRITE for FOLL_WRITE); a failed
// creation leaves pin_owner NULL, which the pin call refuses (-EINVAL), so
// the call's own error handling covers it; a failed pin destroys the
// owner at once and leaves it NULL, so a shared cleanup that releases
// anyway (vaddr_unpin_pages(NULL, ...) is -EINVAL, vaddr_pin_destroy(NULL)
// is 0) does no harm.  _fast and _unlocked become
// vaddr_pin_user_pages(), the plain call (mmap_lock held)
// vaddr_pin_pages().  Each release of the pages becomes
//   vaddr_unpin_pages(pin_owner, start, dirty);
//   vaddr_pin_destroy(pin_owner);
// dirty true for the _dirty_lock releases (their own argument) and for
// set_page_dirty_lock(page) followed by the put of that page.
//
// A site is left when its start address is assigned after the call (the
// extent is named by it), or when the call is not an assignment statement;
// the rule prints "#pinmm-converted" / "#pinmm-left" lines that audit.c
// turns into its report.  Run by audit.c; the result is a unified diff.

@initialize:python@
@@
import os
pnm_fix_targets = {}
pnm_moved = set()
try:
    with open(os.environ.get("PINMM_AUDIT_FIX", "")) as f:
        for line in f:
            parts = line.rstrip("\n").split("\t")
            if len(parts) == 3:
                pnm_fix_targets[(parts[0], parts[1])] = parts[2]
except OSError:
    pass

def pnm_fix_wanted(p):
    return (p[0].file, p[0].line) in pnm_fix_targets

def pnm_vaddr_ok(p):
    return pnm_fix_wanted(p) and (p[0].file, p[0].line) not in pnm_moved

// The chosen calls, as assignment statements.
@va_call@
position p : script:python() { pnm_fix_wanted(p) };
identifier func;
expression R, S, N, F, P;
@@
func(...) {
<+...
(
  R = \(get_user_pages_fast@p\|pin_user_pages_fast@p\|get_user_pages@p\|pin_user_pages@p\)(S, N, F, P);
|
  R = \(get_user_pages@p\|pin_user_pages@p\)(S, N, F, P, NULL);
|
  R = \(get_user_pages_unlocked@p\|pin_user_pages_unlocked@p\)(S, N, P, F);
)
...+>
}

// The start address assigned in the function after the call: the release
// would name another extent.
@va_moved@
identifier va_call.func;
expression va_call.S, E;
position q;
@@
func(...) {
<+...
\(S@q = E\|S@q += E\|S@q -= E\|S@q++\|++S@q\|S@q--\|--S@q\)
...+>
}

@script:python@
p << va_call.p;
q << va_moved.q;
@@
if int(q[0].line) > int(p[0].line) and (p[0].file, p[0].line) not in pnm_moved:
    pnm_moved.add((p[0].file, p[0].line))
    print("#pinmm-left\t%s\t%s\tits start address is assigned at line %s, before the "
          "release names the extent by it; by hand" % (p[0].file, p[0].line, q[0].line))

@va_conv@
position p : script:python() { pnm_vaddr_ok(p) };
identifier func;
expression va_call.R, va_call.S, va_call.N, va_call.P;
@@
func(...) {
<+...
(
+ vaddr_pin_create(&pin_params, &pin_owner);
  R =
- \(get_user_pages_fast@p\|pin_user_pages_fast@p\|get_user_pages_unlocked@p\|pin_user_pages_unlocked@p\)(...);
+ vaddr_pin_user_pages(pin_owner, S, N, P);
+ if (R <= 0) {
+	vaddr_pin_destroy(pin_owner);
+	pin_owner = NULL;
+ }
|
+ vaddr_pin_create(&pin_params, &pin_owner);
  R =
- \(get_user_pages@p\|pin_user_pages@p\)(...);
+ vaddr_pin_pages(pin_owner, S, N, P);
+ if (R <= 0) {
+	vaddr_pin_destroy(pin_owner);
+	pin_owner = NULL;
+ }
)
...+>
}

@script:python@
p << va_conv.p;
@@
print("#pinmm-converted\t%s\t%s" % (p[0].file, p[0].line))

@script:python va_flags@
p << va_conv.p;
fl;
@@
coccinelle.fl = cocci.make_expr(pnm_fix_targets[(p[0].file, p[0].line)])

// The whole array released at once.
@va_rel@
identifier va_conv.func;
expression va_call.P, va_call.S;
expression M, D;
@@
func(...) {
<...
(
- \(release_pages\|unpin_user_pages\|put_user_pages\)(P, M);
+ vaddr_unpin_pages(pin_owner, S, false);
+ vaddr_pin_destroy(pin_owner);
|
- \(unpin_user_pages_dirty_lock\|put_user_pages_dirty_lock\)(P, M, D);
+ vaddr_unpin_pages(pin_owner, S, D);
+ vaddr_pin_destroy(pin_owner);
)
...>
}

// One page by address (&page): dirtied and put, then put alone.
@va_rel_dirty@
identifier va_conv.func;
expression va_call.P, va_call.S;
idexpression Q : script:python(P) { "&" + Q.replace(" ", "") == P.replace(" ", "") };
@@
func(...) {
<...
- set_page_dirty_lock(Q);
- \(put_page\|unpin_user_page\|put_user_page\)(Q);
+ vaddr_unpin_pages(pin_owner, S, true);
+ vaddr_pin_destroy(pin_owner);
...>
}

@va_rel_one@
identifier va_conv.func;
expression va_call.P, va_call.S;
idexpression Q : script:python(P) { "&" + Q.replace(" ", "") == P.replace(" ", "") };
@@
func(...) {
<...
- \(put_page\|unpin_user_page\|put_user_page\)(Q);
+ vaddr_unpin_pages(pin_owner, S, false);
+ vaddr_pin_destroy(pin_owner);
...>
}

// The owner, for the current task, with the flags the call passed.
@va_decl@
identifier va_conv.func;
expression va_flags.fl;
@@
func(...) {
+ struct vaddr_pin_params pin_params = {
+	.size = sizeof(pin_params),
+	.task = current,
+	.flags = fl,
+ };
+ struct vaddr_pin *pin_owner = NULL;
...
}
