/* SPDX-License-Identifier: MIT */
/*
 * idem: idempotency keys — the answer a request with an Idempotency-Key header first got,
 * kept for IDEM_TTL_HOURS per user, so that the same request sent again (a browser that
 * retries after a timeout, a transaction run again after its COMMIT answer was lost) gets
 * that answer and creates nothing.
 *
 * A key is 1 to IDEM_KEY_MAX characters of A-Z a-z 0-9 and "-_.:" (a UUID fits); keys
 * starting with '~' are the server's own, for requests that came without one.  The row
 * of a key is written in the same transaction as what the request creates, with the
 * answer; the primary key (user, key) decides between two requests that race, and the
 * loser finds the winner's answer once the winner commits.  A request that fails creates
 * nothing and records nothing: sent again, it is judged again.  Each row holds a
 * fingerprint of the request (route and body): the same key with another request is
 * refused (FB_EVALIDATION) rather than answered with an unrelated batch.
 *
 * Strings filled in are the caller's buffers; nothing here allocates.
 */
#ifndef FB_IDEM_H
#define FB_IDEM_H

#include <stddef.h>
#include <stdint.h>

#include "db.h"
#include "err.h"

#define IDEM_KEY_MAX 128
#define IDEM_TTL_HOURS 24
/* A stored answer is at most this long (bytes, with the NUL). */
#define IDEM_BODY_MAX 512

/* 0 when key is a valid Idempotency-Key, else -1 with FB_EINVAL saying why. */
int idem_key_check(const char *key, struct fb_err *err) FB_MUSTCHECK;

/*
 * A key of one call's own, for a request that came without one: '~' (outside the alphabet
 * of client keys) and 32 random hex digits, so that a transaction run again after its
 * COMMIT's answer was lost finds what its first run created instead of creating it twice.
 */
#define IDEM_OWN_KEY_LEN 34
void idem_own_key(char key[IDEM_OWN_KEY_LEN]);

/*
 * The fingerprint of a request: SHA-256 (hex) over the n parts, each with its length, so
 * that no two different part lists hash alike.
 */
void idem_fingerprint(const void *const *parts, const size_t *lens, size_t n, char out[65]);

/* An answer as first given. */
struct idem_answer {
	int status;
	char body[IDEM_BODY_MAX];
	int64_t batch_id;   /* the batch created, or 0 */
	int64_t bulk_op_id; /* the bulk process operation created, or 0 */
};

/*
 * The live answer stored for user uid's key: 1 and *out filled when the key was used for
 * the same request (fingerprint), 0 when the key is unused or expired, -1 with
 * FB_EVALIDATION when it was used for another request, or a database error.
 */
int idem_find(struct db *db, int64_t uid, const char *key, const char *fingerprint,
              struct idem_answer *out, struct fb_err *err) FB_MUSTCHECK;

/*
 * Inside the transaction that creates what ans describes: record it under uid's key.
 * 1 when recorded; 0 when the key is taken by a live row (another request committed it
 * first: roll back, then idem_find); an expired row is replaced.  -1 on a database error.
 */
int idem_record(struct db *db, int64_t uid, const char *key, const char *fingerprint,
                const struct idem_answer *ans, struct fb_err *err) FB_MUSTCHECK;

/* Delete keys older than IDEM_TTL_HOURS; *n gets how many. */
int idem_purge(struct db *db, long long *n, struct fb_err *err) FB_MUSTCHECK;

#endif
