/* SPDX-License-Identifier: MIT */
/*
 * alertsend: alert webhooks (see alertsend.h).  A call claims due alerts one at a time
 * (up to ALERTSEND_BATCH) with a lease, posts its events one request at a time
 * (webhook_post), and records per alert what was delivered in one statement that also decides, from the row
 * as it is then, whether anything is still due (an alert resolved while its raise was on
 * the wire stays due).  Every buffer is freed before the call returns.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <json-c/json.h>

#include "alert.h"
#include "alertsend.h"
#include "jsonh.h"
#include "log.h"
#include "mem.h"
#include "webhook.h"

#define TS(col) ALERT_SQL_TIME(col)
#define ALERTSEND_MAX_URLS 16

struct urls {
	char *v[ALERTSEND_MAX_URLS];
	int n;
};

static void
add_url(const char *item, size_t len, void *arg)
{
	struct urls *u = arg;

	if (u->n < ALERTSEND_MAX_URLS)
		u->v[u->n++] = xstrndup(item, len);
}

static void
urls_free(struct urls *u)
{
	while (u->n > 0)
		free(u->v[--u->n]);
}

/* The claimed alert row i as the data of its events (a new object). */
static struct json_object *
alert_data(const PGresult *res, int i)
{
	static const char *const names[] = {"rule", "subject", "severity", "message"};
	static const char *const times[] = {"first_seen", "last_seen", "resolved_at"};
	struct json_object *o = json_object_new_object(), *params;
	struct fb_err e = {0};
	int c;

	jsonh_add_int(o, "id", db_ll(res, i, 0));
	for (c = 0; c < 4; c++)
		jsonh_add_str(o, names[c], db_val(res, i, 1 + c));
	params = jsonh_parse(db_val(res, i, 5), strlen(db_val(res, i, 5)), &e);
	fb_err_clear(&e);
	json_object_object_add(o, "params", params != NULL ? params : json_object_new_object());
	for (c = 0; c < 3; c++) {
		if (db_val(res, i, 6 + c) != NULL)
			jsonh_add_str(o, times[c], db_val(res, i, 6 + c));
		else
			jsonh_add_null(o, times[c]);
	}
	return o;
}

/* True when the array of sent "<event> <url>" entries holds this one. */
static int
sent_has(struct json_object *sent, const char *entry)
{
	size_t k;

	for (k = 0; k < json_object_array_length(sent); k++)
		if (strcmp(json_object_get_string(json_object_array_get_idx(sent, k)), entry) == 0)
			return 1;
	return 0;
}

/*
 * Post event of alert row i to every URL that has not taken it yet (recorded in sent);
 * 1 when every URL has it now, 0 when one failed (why in error).
 */
static int
send_event(const struct fb_config *cfg, const struct urls *u, const PGresult *res, int i,
           const char *event, struct json_object *sent, char *error, size_t errsz,
           struct alertsend_counts *out)
{
	struct webhook_target t = {.secret = cfg->alerts_webhook_secret[0] ? cfg->alerts_webhook_secret : NULL,
	                           .timeout_ms = cfg->alerts_webhook_timeout_ms,
	                           .connect_timeout_ms = cfg->alerts_webhook_timeout_ms < 2000
	                                                     ? cfg->alerts_webhook_timeout_ms : 2000};
	struct json_object *body = json_object_new_object();
	char id[64], ts[32], type[32];
	time_t now = time(NULL);
	struct tm tm;
	int k, ok = 1;

	snprintf(id, sizeof(id), "alert_%lld_%s", db_ll(res, i, 0), event);
	snprintf(type, sizeof(type), "alert.%s", event);
	gmtime_r(&now, &tm);
	strftime(ts, sizeof(ts), "%Y-%m-%dT%H:%M:%SZ", &tm);
	jsonh_add_str(body, "type", type);
	jsonh_add_str(body, "timestamp", ts);
	json_object_object_add(body, "data", alert_data(res, i));
	for (k = 0; k < u->n; k++) {
		struct webhook_result wr;
		struct fb_err e = {0};
		char *entry = xasprintf("%s %s", event, u->v[k]);

		if (sent_has(sent, entry)) {
			free(entry);
			continue;
		}
		t.url = u->v[k];
		if (webhook_post(&t, id, jsonh_str(body), &wr, &e) < 0) {
			snprintf(error, errsz, "URL %d: %s", k + 1, e.msg);
			fb_err_clear(&e);
			ok = 0;
		} else if (wr.outcome != WEBHOOK_DELIVERED) {
			char text[300];

			webhook_result_text(&wr, text, sizeof(text));
			snprintf(error, errsz, "URL %d: %s", k + 1, text);
			ok = 0;
		}
		if (ok) {
			json_object_array_add(sent, json_object_new_string(entry));
			out->delivered++;
			log_info("alert webhook delivered", "webhook_id", LOG_STR(id), "url_index",
			         LOG_INT(k + 1), NULL);
		} else {
			out->failed++;
			log_warn("alert webhook not delivered", "webhook_id", LOG_STR(id), "error",
			         LOG_STR(error), NULL);
		}
		free(entry);
		if (!ok)
			break;
	}
	json_object_put(body);
	return ok;
}

/* Send what alert row i still owes and record it. */
static int
send_alert(struct db *db, const struct fb_config *cfg, const struct urls *u, const PGresult *res,
           int i, struct alertsend_counts *out, struct fb_err *err)
{
	static const char sql[] =
		"UPDATE alert SET notify_lease_until = NULL,"
		" raised_sent = CASE WHEN $2::boolean THEN coalesce(raised_sent, now()) ELSE raised_sent END,"
		" resolved_sent = CASE WHEN $3::boolean THEN coalesce(resolved_sent, now()) ELSE resolved_sent END,"
		" notify_sent = ARRAY(SELECT jsonb_array_elements_text($4::jsonb)),"
		" notify_attempts = notify_attempts + $5::int, notify_error = nullif(left($6, 1000), ''),"
		" notify_at = CASE WHEN $5::int > 0 THEN now() + make_interval(secs =>"
		"   least(600, 10 * 2 ^ least(notify_attempts, 6)))"
		"  WHEN ($2::boolean OR raised_sent IS NOT NULL) AND (resolved_at IS NULL OR $3::boolean"
		"   OR resolved_sent IS NOT NULL) THEN NULL ELSE now() END"
		" WHERE id = $1";
	struct json_object *sent = json_object_new_array(), *stored;
	int raised = strcmp(db_val(res, i, 9), "t") == 0, resolved = 0, rc;
	struct fb_err e = {0};
	char error[600] = "", id[32];

	snprintf(id, sizeof(id), "%lld", db_ll(res, i, 0));
	stored = jsonh_parse(db_val(res, i, 11), strlen(db_val(res, i, 11)), &e);
	fb_err_clear(&e);
	if (stored != NULL && json_object_is_type(stored, json_type_array)) {
		json_object_put(sent);
		sent = stored;
	} else {
		json_object_put(stored);
	}
	if (!raised)
		raised = send_event(cfg, u, res, i, "raised", sent, error, sizeof(error), out);
	/* The resolve is sent only after the raise reached every URL. */
	if (raised && db_val(res, i, 8) != NULL && strcmp(db_val(res, i, 10), "t") != 0)
		resolved = send_event(cfg, u, res, i, "resolved", sent, error, sizeof(error), out);
	if (error[0] == '\0') {
		/* Every event owed is out: the entries are not needed any more. */
		json_object_put(sent);
		sent = json_object_new_array();
	}
	rc = db_exec(db, "alertsend_record", sql, 6,
	             (const char *[]){id, raised ? "true" : "false", resolved ? "true" : "false",
	                              jsonh_str(sent), error[0] ? "1" : "0", error},
	             err);
	json_object_put(sent);
	return rc;
}

int
alertsend_due(struct db *db, const struct fb_config *cfg, struct alertsend_counts *out,
              struct fb_err *err)
{
	static const char sql[] =
		"UPDATE alert a SET notify_lease_until = now() + make_interval(secs => $1::int)"
		" FROM (SELECT id FROM alert WHERE notify_at <= now()"
		"  AND (notify_lease_until IS NULL OR notify_lease_until < now())"
		"  ORDER BY notify_at, id LIMIT 1 FOR UPDATE SKIP LOCKED) d WHERE a.id = d.id"
		" RETURNING a.id, a.rule, a.subject, a.severity, a.message, a.params::text, "
		TS("a.first_seen") ", " TS("a.last_seen") ", " TS("a.resolved_at") ","
		" a.raised_sent IS NOT NULL, a.resolved_sent IS NOT NULL, to_jsonb(a.notify_sent)::text";
	struct urls u;
	char lease[16];
	PGresult *res;
	int i, rc = 0;

	memset(out, 0, sizeof(*out));
	u.n = 0;
	alert_each_item(cfg->alerts_webhook_urls, add_url, &u);
	if (u.n == 0)
		return 0;
	/* One alert per claim, its lease long enough for both events to every URL at the full
	 * timeout: a lease never runs out while its sender still works on it. */
	snprintf(lease, sizeof(lease), "%d", 2 * u.n * cfg->alerts_webhook_timeout_ms / 1000 + 10);
	for (i = 0; i < ALERTSEND_BATCH && rc == 0; i++) {
		if ((res = db_query(db, "alertsend_claim", sql, 1, (const char *[]){lease}, err)) == NULL) {
			rc = -1;
			break;
		}
		if (PQntuples(res) == 0) {
			PQclear(res);
			break;
		}
		rc = send_alert(db, cfg, &u, res, 0, out, err);
		PQclear(res);
	}
	urls_free(&u);
	return rc;
}
