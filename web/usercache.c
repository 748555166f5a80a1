/* SPDX-License-Identifier: MIT */
/*
 * usercache: a request thread's last users rows (see usercache.h).  Slots are replaced
 * round robin, a login already kept in its own slot.
 */
#include <string.h>

#include "usercache.h"

static int
find(const struct user_cache *c, const char *login)
{
	int i;

	for (i = 0; i < USER_CACHE_SLOTS; i++)
		if (c->slot[i].at_ms > 0 && strcmp(c->slot[i].rec.login, login) == 0)
			return i;
	return -1;
}

int
user_cache_get(const struct user_cache *c, const char *login, long long now_ms, int ttl_ms,
               struct user_rec *out)
{
	int i = find(c, login);

	if (i < 0 || now_ms - c->slot[i].at_ms >= ttl_ms || now_ms < c->slot[i].at_ms)
		return 0;
	*out = c->slot[i].rec;
	return 1;
}

void
user_cache_put(struct user_cache *c, const struct user_rec *rec, long long now_ms)
{
	int i = find(c, rec->login);

	if (i < 0) {
		i = (int)(c->next % USER_CACHE_SLOTS);
		c->next++;
	}
	c->slot[i].rec = *rec;
	c->slot[i].at_ms = now_ms;
}
