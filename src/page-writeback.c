// SPDX-License-Identifier: MIT
/*
 * page-writeback.c - dirtying, cleaning and writing back page-cache
 * folios; dirty thresholds and the flusher thread; writeback errors.
 * (Being written: issue 5.)
 */
#include "internal.h"

/* Start the flusher if pnm_config.writeback_thread (not yet). */
int pnm_writeback_init(const struct pnm_config *cfg)
{
	(void)cfg;
	return 0;
}

/* Stop the flusher, if running. */
void pnm_writeback_fini(void)
{
}
