/* SPDX-License-Identifier: MIT */
/*
 * idem: idempotency keys (see idem.h).  One table, idempotency_keys; every statement is
 * scoped to the user the key belongs to.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "idem.h"
#include "jsonh.h"
#include "msg.h"
#include "rand.h"
#include "crypto.h"
#include "db.h"

#define STR(x) #x
#define XSTR(x) STR(x)
#define IDEM_TTL_SQL "interval '" XSTR(IDEM_TTL_HOURS) " hours'"

int
idem_key_check(const char *key, struct fb_err *err)
{
	size_t i, n = strlen(key);

	if (n == 0 || n > IDEM_KEY_MAX) {
		fb_err_msg(err, FB_EINVAL, "idem.key_length",
		           msg_args("max", json_object_new_int(IDEM_KEY_MAX), NULL));
		return -1;
	}
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)key[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      c == '-' || c == '_' || c == '.' || c == ':')) {
			fb_err_msg(err, FB_EINVAL, "idem.key_chars", NULL);
			return -1;
		}
	}
	return 0;
}

void
idem_own_key(char key[IDEM_OWN_KEY_LEN])
{
	key[0] = '~';
	fb_random_hex(key + 1, 16);
}

void
idem_fingerprint(const void *const *parts, const size_t *lens, size_t n, char out[65])
{
	static const char hex[] = "0123456789abcdef";
	unsigned char md[CRYPTO_SHA256_LEN];
	struct crypto_sha256 *s = crypto_sha256_begin();
	size_t i;

	for (i = 0; i < n; i++) {
		char len[24];

		snprintf(len, sizeof(len), "%zu:", lens[i]);
		crypto_sha256_add(s, len, strlen(len));
		crypto_sha256_add(s, parts[i], lens[i]);
	}
	crypto_sha256_end(s, md);
	for (i = 0; i < CRYPTO_SHA256_LEN; i++) {
		out[2 * i] = hex[md[i] >> 4];
		out[2 * i + 1] = hex[md[i] & 15];
	}
	out[64] = '\0';
}

int
idem_find(struct db *db, int64_t uid, const char *key, const char *fingerprint,
          struct idem_answer *out, struct fb_err *err)
{
	char user[DB_ID_MAX];
	PGresult *res;

	db_id(user, uid);
	res = db_query(db, "idem_find",
	               "SELECT request, status, body, batch_id, bulk_op_id FROM idempotency_keys"
	               " WHERE user_id = $1 AND key = $2 AND created > now() - " IDEM_TTL_SQL,
	               2, (const char *[]){user, key}, err);
	if (res == NULL)
		return -1;
	if (PQntuples(res) == 0) {
		PQclear(res);
		return 0;
	}
	if (strcmp(PQgetvalue(res, 0, 0), fingerprint) != 0) {
		PQclear(res);
		fb_err_msg(err, FB_EVALIDATION, "idem.reused", NULL);
		fb_err_detail(err, fb_err_detail_msg("Idempotency-Key", "idem.reused_detail", NULL));
		return -1;
	}
	out->status = atoi(PQgetvalue(res, 0, 1));
	snprintf(out->body, sizeof(out->body), "%s", PQgetvalue(res, 0, 2));
	out->batch_id = db_ll(res, 0, 3);
	out->bulk_op_id = db_ll(res, 0, 4);
	PQclear(res);
	return 1;
}

int
idem_record(struct db *db, int64_t uid, const char *key, const char *fingerprint,
            const struct idem_answer *ans, struct fb_err *err)
{
	char user[DB_ID_MAX], status[8], bid[DB_ID_MAX], oid[DB_ID_MAX];
	PGresult *res;
	int got;

	db_id(user, uid);
	snprintf(status, sizeof(status), "%d", ans->status);
	db_id(bid, ans->batch_id);
	db_id(oid, ans->bulk_op_id);
	/*
	 * A concurrent request holding the same key makes this wait until it commits or rolls
	 * back; then the live row wins (no row returned) and an expired one is replaced.
	 */
	res = db_query(db, "idem_record",
	               "INSERT INTO idempotency_keys AS k (user_id, key, request, status, body, batch_id,"
	               " bulk_op_id) VALUES ($1, $2, $3, $4, $5, nullif($6::bigint, 0),"
	               " nullif($7::bigint, 0))"
	               " ON CONFLICT (user_id, key) DO UPDATE SET request = excluded.request,"
	               " status = excluded.status, body = excluded.body, batch_id = excluded.batch_id,"
	               " bulk_op_id = excluded.bulk_op_id,"
	               " created = now() WHERE k.created <= now() - " IDEM_TTL_SQL " RETURNING 1",
	               7, (const char *[]){user, key, fingerprint, status, ans->body, bid, oid}, err);
	if (res == NULL)
		return -1;
	got = PQntuples(res);
	PQclear(res);
	return got;
}

int
idem_purge(struct db *db, long long *n, struct fb_err *err)
{
	PGresult *res;

	res = db_query(db, "idem_purge",
	               "WITH d AS (DELETE FROM idempotency_keys WHERE created <= now() - " IDEM_TTL_SQL
	               " RETURNING 1) SELECT count(*) FROM d",
	               0, NULL, err);
	if (res == NULL)
		return -1;
	*n = db_ll(res, 0, 0);
	PQclear(res);
	return 0;
}
