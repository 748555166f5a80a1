/* SPDX-License-Identifier: MIT */
/*
 * listing: what the list reads of batches and bulk process operations (and their items)
 * share before their query — the status filter and the page's LIMIT and OFFSET.
 * Nothing here allocates.
 */
#ifndef FB_LISTING_H
#define FB_LISTING_H

#include <stdint.h>

#include "err.h"

/*
 * A list's status filter: 0 when status is NULL (any) or one of the NULL-terminated
 * allowed; else -1 with FB_EINVAL and the message code (msg.c's catalogue).
 */
int listing_status(const char *status, const char *const *allowed, const char *code,
                   struct fb_err *err) FB_MUSTCHECK;

/* Page page (from 1) of page_size rows as the text parameters of LIMIT and OFFSET. */
void listing_page(int64_t page, int64_t page_size, char lim[24], char off[24]);

#endif
