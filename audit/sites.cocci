// sites.cocci - pinmm audit: the call sites of the GUP/pin family and of the
// vaddr_pin wrapper, with their arguments, and the assignments that build
// the FOLL_* flags passed to them.  Facts only: tools/pinmm/audit.c reads
// the records these rules print and applies the rules of docs/audit.md.
//
// Records (one line each, tab separated):
//   S  file line col function callee args      a call of the family
//   F  file line function lhs flag              lhs = / |= an expression naming flag (FOLL_*)

@initialize:python@
@@
import sys

def pnm_audit_emit(*fields):
    # One write per record, under PIPE_BUF (fields cut at 1500 characters):
    # the lines of parallel workers (--jobs) never interleave.
    text = "\t".join(" ".join(str(f).split())[:1500] for f in fields)
    sys.stdout.write(text + "\n")
    sys.stdout.flush()

@site@
identifier fn = {get_user_pages, get_user_pages_fast, get_user_pages_fast_only,
                 get_user_pages_remote, get_user_pages_unlocked, get_user_pages_locked,
                 get_user_pages_longterm,
                 pin_user_pages, pin_user_pages_fast, pin_user_pages_fast_only,
                 pin_user_pages_remote, pin_user_pages_unlocked, pin_user_pages_locked,
                 vaddr_pin_user_pages, vaddr_pin_pages, vaddr_pin_pages_remote};
expression list args;
position p;
@@
fn@p(args)

@script:python@
fn << site.fn;
args << site.args;
p << site.p;
@@
pnm_audit_emit("S", p[0].file, p[0].line, p[0].column, p[0].current_element, fn, args)

@flagset@
expression F;
identifier foll =~ "^FOLL_";
position p;
@@
(
F@p = <+... foll ...+>
|
F@p |= <+... foll ...+>
)

@script:python@
F << flagset.F;
foll << flagset.foll;
p << flagset.p;
@@
pnm_audit_emit("F", p[0].file, p[0].line, p[0].current_element, F, foll)

@flaginit@
type T;
identifier F;
identifier foll =~ "^FOLL_";
position p;
@@
T F@p = <+... foll ...+>;

@script:python@
F << flaginit.F;
foll << flaginit.foll;
p << flaginit.p;
@@
pnm_audit_emit("F", p[0].file, p[0].line, p[0].current_element, F, foll)
