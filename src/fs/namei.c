// SPDX-License-Identifier: MIT
/*
 * fs/namei.c - the model's file namespace: names to inodes, open, the
 * inode table, and the file system calls.  (Being written: issue 5.)
 */
#include "internal.h"

/* Set the data directory up (not yet). */
int pnm_fs_init(const struct pnm_config *cfg)
{
	(void)cfg;
	return 0;
}

/* Tear the namespace down (nothing yet). */
int pnm_fs_fini(void)
{
	return 0;
}

/* Check every inode (none yet). */
bool pnm_check_inodes(void)
{
	return true;
}
