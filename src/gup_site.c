// SPDX-License-Identifier: MIT
/*
 * gup_site.c - the caller context of GUP and unpin calls: where a call
 * came from (its call site), and the tag and pin owner the calling thread
 * labels its pins with; and the spelling of FOLL_* flags and call sites
 * that records and reports use.
 *
 * Call sites.  Every exported GUP and unpin entry point (gup.c, gup_unpin.c,
 * gup_fast.c) brackets its work with pnm_gup_site_enter() and
 * pnm_gup_site_exit().  The site of the call is what the gup.h macros (or
 * a caller, with pnm_gup_set_call_site()) recorded on the thread just
 * before; if nothing was recorded -- a call through a function pointer,
 * as (pin_user_pages)(...), or built with PNM_NO_CALL_SITE_CAPTURE --
 * enter takes the entry function's return address instead.  Exit forgets
 * the site, so no site outlives its call.  The registry (pin_registry.c)
 * takes the site of a pin call into its record (pnm_gup_site_take()) and
 * names the site of an unpin in its misuse reports.
 *
 * Everything here is thread-local and lock free.  Naming a return address
 * (dladdr()) takes the dynamic loader's lock, which calls nothing of the
 * model.
 */
#define _GNU_SOURCE		/* dladdr() */
#include <dlfcn.h>
#include <stdio.h>
#include <string.h>

#include "pin_registry.h"

/*
 * The calling thread's tag, pin owner and current call site (file:line:func
 * as recorded, or file NULL and the return address of the entry point
 * running): one initial-exec block, which the registry and the threads'
 * pin caches read inline (pin_registry.h).  Its thread's alone.
 */
_Thread_local struct pnm_pin_thread pnm_pin_thread __attribute__((tls_model("initial-exec")));

/* FOLL_* names by bit, for pnm_gup_flags_str(). */
static const char *const foll_names[] = {
	"FOLL_WRITE", "FOLL_GET", "FOLL_DUMP", "FOLL_FORCE", "FOLL_NOWAIT",
	"FOLL_NOFAULT", "FOLL_HWPOISON", "FOLL_ANON", "FOLL_LONGTERM",
	"FOLL_SPLIT_PMD", "FOLL_PCI_P2PDMA", "FOLL_INTERRUPTIBLE",
	"FOLL_HONOR_NUMA_FAULT", NULL, NULL, NULL,
	"FOLL_TOUCH", "FOLL_TRIED", "FOLL_REMOTE", "FOLL_PIN",
	"FOLL_FAST_ONLY", "FOLL_UNLOCKABLE", "FOLL_MADV_POPULATE",
};

/* The file name without its directories (__FILE__ may be absolute). */
static const char *site_file(const char *file)
{
	const char *slash;

	if (!file)
		return "?";
	slash = strrchr(file, '/');
	return slash ? slash + 1 : file;
}


/*
 * Label the pins the calling thread takes from now on with @tag (NULL
 * clears it).  Thread-local; the registry copies the text (up to 31
 * characters) into each record, but callers should still keep it alive for
 * as long as the pins, as the contract says.
 */
void pnm_pin_set_tag(const char *tag)
{
	pnm_pin_thread.tag = tag;
}

/* The calling thread's tag (internal.h), so a caller can put it back. */
const char *pnm_pin_get_tag(void)
{
	return pnm_pin_thread.tag;
}

/*
 * The pins the calling thread records from now on belong to the pin owner
 * (struct vaddr_pin) with id @owner (0: none); returns the previous one,
 * for the caller to put back.  Thread-local (internal.h).
 */
unsigned long pnm_pin_set_owner(unsigned long owner)
{
	unsigned long old = pnm_pin_thread.owner;

	pnm_pin_thread.owner = owner;
	return old;
}

/*
 * pnm_gup_site_take - the calling thread's current call site into @site,
 * forgetting it (a pin call's record consumes it).
 */
void pnm_gup_site_take(struct pnm_call_site *site)
{
	*site = pnm_pin_thread.site;
	pnm_pin_thread.site = (struct pnm_call_site){ NULL, 0, NULL, NULL };
}

/* A new model (pnm_init(), pnm_fini()): the calling thread's tag, owner
 * and call site are forgotten. */
void pnm_gup_site_reset(void)
{
	pnm_pin_thread.tag = NULL;
	pnm_pin_thread.owner = 0;
	pnm_pin_thread.site = (struct pnm_call_site){ NULL, 0, NULL, NULL };
}

/*
 * Remember @file:@line (@func) as the call site of the next GUP or unpin
 * call on this thread.  The gup.h macros call it before every entry
 * point.  That call's pin record and unpin misuse reports name it, and
 * the call forgets it when it returns.  @file NULL records nothing (the
 * next call names its return address).  Thread-local, never fails.
 */
void pnm_gup_set_call_site(const char *file, int line, const char *func)
{
	pnm_pin_thread.site = (struct pnm_call_site){ file, line, func, NULL };
}

/*
 * pnm_gup_site_enter - an exported GUP or unpin entry point starts;
 * @caller is its return address (__builtin_return_address(0), taken in
 * the entry function itself).  Keeps the site recorded on this thread
 * (pnm_gup_set_call_site(), or an outer call's return address: the
 * vaddr_pin wrapper enters before the GUP call it makes), or, if none
 * is, makes @caller the site.  Thread-local, never fails.
 */
void pnm_gup_site_enter(const void *caller)
{
	if (!pnm_pin_thread.site.file && !pnm_pin_thread.site.caller)
		pnm_pin_thread.site = (struct pnm_call_site){ NULL, 0, NULL, caller };
}

/* pnm_gup_site_exit - the entry point returns: forget its site. */
void pnm_gup_site_exit(void)
{
	pnm_pin_thread.site = (struct pnm_call_site){ NULL, 0, NULL, NULL };
}

/*
 * pnm_format_site - where a pin or unpin was called from, into @buf: "file.c:12 func()" for
 * a recorded site (@file set); else, for a return address @caller,
 * "symbol+0x1c" if the dynamic loader can name it, else
 * "0x55d0c4a1b2c4 (program+0x12c4)" or the bare address; "?:0 ?()" if
 * neither is known.  Returns @buf.
 */
const char *pnm_format_site(char *buf, size_t size, const char *file, int line,
			       const char *func, const void *caller)
{
	Dl_info info;

	if (file || !caller) {
		snprintf(buf, size, "%s:%d %s()", site_file(file), line, func ? func : "?");
		return buf;
	}
	memset(&info, 0, sizeof(info));
	if (!dladdr(caller, &info))
		snprintf(buf, size, "%p", caller);
	else if (info.dli_sname && info.dli_saddr)
		snprintf(buf, size, "%s+%#lx", info.dli_sname,
			 (unsigned long)((uintptr_t)caller - (uintptr_t)info.dli_saddr));
	else if (info.dli_fname && info.dli_fname[0] && info.dli_fbase)
		snprintf(buf, size, "%p (%s+%#lx)", caller, site_file(info.dli_fname),
			 (unsigned long)((uintptr_t)caller - (uintptr_t)info.dli_fbase));
	else
		snprintf(buf, size, "%p", caller);
	return buf;
}

/*
 * Spell @flags as "FOLL_PIN|FOLL_WRITE|FOLL_LONGTERM": FOLL_GET and
 * FOLL_PIN first, then the others in bit order, unknown bits in hex, "0"
 * for none.  Writes at most @size bytes (NUL-terminated if @size > 0) and
 * returns the length of the full text, as snprintf() does.
 */
size_t pnm_gup_flags_str(unsigned int flags, char *buf, size_t size)
{
	static const unsigned int first[] = { FOLL_GET, FOLL_PIN };
	size_t len = 0;
	unsigned int rest = flags & ~(FOLL_GET | FOLL_PIN), unknown = 0;
	unsigned int i;

#define EMIT(...)							\
	do {								\
		int n_ = snprintf(buf + (len < size ? len : size),	\
				  len < size ? size - len : 0, __VA_ARGS__); \
		len += n_ > 0 ? (size_t)n_ : 0;				\
	} while (0)

	if (size)
		buf[0] = '\0';
	for (i = 0; i < ARRAY_SIZE(first); i++)
		if (flags & first[i])
			EMIT("%s%s", len ? "|" : "",
			     foll_names[__builtin_ctz(first[i])]);
	for (i = 0; i < 32; i++) {
		if (!(rest & (1U << i)))
			continue;
		if (i < ARRAY_SIZE(foll_names) && foll_names[i])
			EMIT("%s%s", len ? "|" : "", foll_names[i]);
		else
			unknown |= 1U << i;
	}
	if (unknown)
		EMIT("%s%#x", len ? "|" : "", unknown);
	if (!len)
		EMIT("0");
#undef EMIT
	return len;
}

/* pnm_gup_site_get - the calling thread's current call site (internal.h). */
void pnm_gup_site_get(struct pnm_call_site *site)
{
	*site = pnm_pin_thread.site;
}

/* A kept call site printed as the registry prints one (internal.h). */
void pnm_format_call_site(const struct pnm_call_site *site, char *buf, size_t size)
{
	pnm_format_site(buf, size, site->file, site->line, site->func, site->caller);
}
