/* SPDX-License-Identifier: MIT */
/*
 * params: request parameters that resource handlers read the same way — the id in the
 * path and the page/page_size of a listing.  Nothing here allocates.
 */
#include <stdlib.h>

#include "handlers.h"

int64_t
handler_path_id(struct request *r)
{
	return strtoll(r->path_args[0], NULL, 10);
}

int
handler_paging(struct request *r, int64_t *page, int64_t *size, struct fb_err *err)
{
	if (request_param_int(r, "page", 1, 1000000, 1, page, err) < 0 ||
	    request_param_int(r, "page_size", 1, 500, 50, size, err) < 0)
		return -1;
	return 0;
}
