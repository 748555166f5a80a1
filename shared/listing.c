/* SPDX-License-Identifier: MIT */
/*
 * listing: the status filter and paging parameters of list reads (listing.h).
 * Nothing here allocates.
 */
#include <stdio.h>
#include <string.h>

#include "listing.h"
#include "msg.h"

int
listing_status(const char *status, const char *const *allowed, const char *code,
               struct fb_err *err)
{
	if (status == NULL)
		return 0;
	for (; *allowed != NULL; allowed++)
		if (strcmp(status, *allowed) == 0)
			return 0;
	fb_err_msg(err, FB_EINVAL, code, NULL);
	return -1;
}

void
listing_page(int64_t page, int64_t page_size, char lim[24], char off[24])
{
	snprintf(lim, 24, "%lld", (long long)page_size);
	snprintf(off, 24, "%lld", (long long)((page - 1) * page_size));
}
