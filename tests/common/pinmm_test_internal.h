/* SPDX-License-Identifier: MIT */
/*
 * pinmm_test_internal.h - the one header through which a test reaches the
 * model's internals (struct layouts, page tables, checkers, internal
 * calls) beyond the public API of include/pinmm.  A test that includes
 * only <pinmm/pinmm.h> is a test of the public API as an embedder sees
 * it (tests/abi builds one against the installed headers).
 */
#ifndef PINMM_TEST_INTERNAL_H
#define PINMM_TEST_INTERNAL_H

#include "internal.h"

/* Tests are call sites of the GUP API: record their file:line in the pin
 * registry as an embedder's calls are (the library itself is built
 * without the capturing macros). */
#undef PNM_GUP_NO_CALL_SITE_MACROS
#include <pinmm/gup.h>

#endif /* PINMM_TEST_INTERNAL_H */
