/* SPDX-License-Identifier: MIT */
/*
 * config: one table of every setting; the file parser and the environment both go through
 * it.  Errors are collected, one a line, and returned together so that an operator fixes a
 * file in one go.  The strings of a struct fb_config are owned by it (config_free).
 */
#include <ctype.h>
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>

#include "alert.h"
#include "config.h"
#include "mem.h"

enum opt_type { OPT_STR, OPT_INT, OPT_LL };

struct opt {
	struct config_key key;
	enum opt_type type;
	size_t offset;
	long long min, max;
	int reloadable;
};

#define F(field) offsetof(struct fb_config, field)

static const struct opt opts[] = {
	{{"db", "conninfo", "dbname=flowbatch", "libpq connection string"},
	 OPT_STR, F(db_conninfo), 0, 0, 0},
	{{"redis", "host", "127.0.0.1", "Redis host (or a unix socket path starting with /)"},
	 OPT_STR, F(redis_host), 0, 0, 0},
	{{"redis", "port", "6379", "Redis TCP port"}, OPT_INT, F(redis_port), 1, 65535, 0},
	{{"redis", "password", "", "Redis AUTH password (empty: none)"},
	 OPT_STR, F(redis_password), 0, 0, 0},
	{{"redis", "db", "0", "Redis logical database"}, OPT_INT, F(redis_db), 0, 255, 0},
	{{"redis", "prefix", "flowbatch", "prefix of every Redis key (streams, locks, settings)"},
	 OPT_STR, F(redis_prefix), 0, 0, 0},
	{{"web", "listen", "/run/flowbatch/web.sock",
	  "FastCGI socket: a unix socket path, or host:port"},
	 OPT_STR, F(web_listen), 0, 0, 0},
	{{"web", "allow", "",
	  "with a TCP web.listen: the IPv4 addresses (comma-separated) allowed to connect; required then"},
	 OPT_STR, F(web_allow), 0, 0, 0},
	{{"web", "socket_group", "www-data",
	  "group of the unix socket (mode 0660): nginx's group; if it does not exist, the process's group"},
	 OPT_STR, F(web_socket_group), 0, 0, 0},
	{{"web", "threads", "8", "request threads of flowbatch-web"},
	 OPT_INT, F(web_threads), 1, 256, 0},
	{{"web", "user_cache_ms", "1000",
	  "how long a request thread reuses a login's users row (0: a lookup per request)"},
	 OPT_INT, F(web_user_cache_ms), 0, 60000, 0},
	{{"web", "max_body", "67108864", "largest request body accepted, in bytes"},
	 OPT_LL, F(web_max_body), 1024, 1LL << 32, 0},
	{{"web", "json_body_max", "1048576",
	  "largest JSON request body accepted, in bytes (uploads have web.max_body)"},
	 OPT_LL, F(web_json_body_max), 1024, 1LL << 30, 0},
	{{"web", "max_excel_requests", "0",
	  "imports and Excel exports that may run at once; more get 503 (0: half of web.threads, at least 1)"},
	 OPT_INT, F(web_max_excel_requests), 0, 256, 0},
	{{"web", "tmpdir", "/tmp", "directory for temporary files (exports, uploads)"},
	 OPT_STR, F(web_tmpdir), 0, 0, 0},
	{{"auth", "secret", "",
	  "secret from which the HMAC keys of login tokens and of template signatures are derived, one key each (required, 16+ chars)"},
	 OPT_STR, F(auth_secret), 0, 0, 0},
	{{"auth", "token_ttl", "604800", "lifetime of a login token, in seconds"},
	 OPT_INT, F(auth_token_ttl), 1, 31536000, 0},
	{{"auth", "cookie", "fb_token", "name of the login cookie"},
	 OPT_STR, F(auth_cookie), 0, 0, 0},
	{{"runner", "high", "2", "workers that take only high-priority jobs"},
	 OPT_INT, F(runner_high), 0, 64, 1},
	{{"runner", "common", "2", "workers that take high, then common jobs"},
	 OPT_INT, F(runner_common), 0, 64, 1},
	{{"runner", "low", "1", "workers that take high, then common, then low jobs"},
	 OPT_INT, F(runner_low), 0, 64, 1},
	{{"runner", "visibility_timeout", "300",
	  "seconds before a job is reclaimed from a runner that is alive but stopped renewing it"},
	 OPT_INT, F(runner_visibility_timeout), 1, 86400, 1},
	{{"runner", "block_ms", "2000", "how long an idle worker waits for a job, in ms"},
	 OPT_INT, F(runner_block_ms), 10, 60000, 1},
	{{"runner", "max_deliveries", "10", "deliveries of one entry before it is dead-lettered"},
	 OPT_INT, F(runner_max_deliveries), 1, 1000, 1},
	{{"runner", "liveness_ttl_ms", "5000",
	  "lifetime of a runner's liveness key, renewed every second; the jobs of a runner gone this long are reclaimed at once"},
	 OPT_INT, F(runner_liveness_ttl_ms), 2000, 600000, 1},
	{{"runner", "rss_limit_mb", "0",
	  "memory guard: past this resident size (MiB) the runner finishes its jobs, takes no more and re-executes itself (0: off)"},
	 OPT_INT, F(runner_rss_limit_mb), 0, 1048576, 1},
	{{"batch", "max_tasks", "20000", "most tasks in one batch"},
	 OPT_INT, F(batch_max_tasks), 1, 1000000, 1},
	{{"batch", "chunk_size", "200", "items a worker takes from a batch at a time"},
	 OPT_INT, F(batch_chunk_size), 1, 10000, 1},
	{{"batch", "max_concurrency", "4", "workers that may execute one batch at once"},
	 OPT_INT, F(batch_max_concurrency), 1, 256, 1},
	{{"batch", "retry_limit", "3", "failed attempts after which an item's task is unlocked"},
	 OPT_INT, F(batch_retry_limit), 1, 100, 1},
	{{"batch", "stale_minutes", "10",
	  "a running batch without heartbeat for this long is resumed by recovery"},
	 OPT_INT, F(batch_stale_minutes), 1, 1440, 1},
	{{"batch", "init_grace_seconds", "60",
	  "a batch never started after this long is enqueued again by recovery"},
	 OPT_INT, F(batch_init_grace_seconds), 1, 86400, 1},
	{{"batch", "retry_backoff_seconds", "60",
	  "first automatic retry delay of a failed item; doubles with each attempt"},
	 OPT_INT, F(batch_retry_backoff_seconds), 1, 86400, 1},
	{{"batch", "retry_window_seconds", "86400",
	  "automatic retries of an item stop this long after its submission, and its task is unlocked"},
	 OPT_INT, F(batch_retry_window_seconds), 60, 2592000, 1},
	{{"batch", "recover_interval_seconds", "60",
	  "how often the recovery scan runs (resumes lost batches, retries failed items)"},
	 OPT_INT, F(batch_recover_interval_seconds), 1, 3600, 1},
	{{"taskcenter", "task_url", "",
	  "link to a task sent to task-center platforms: this text followed by the task id (empty: no link)"},
	 OPT_STR, F(taskcenter_task_url), 0, 0, 1},
	{{"taskcenter", "console_url", "",
	  "the console's address, for the link of a batch.finished event: this text followed by #/batch/ID or #/process/op/ID (empty: no link)"},
	 OPT_STR, F(taskcenter_console_url), 0, 0, 1},
	{{"taskcenter", "sweep_days", "3",
	  "taskcenter.retry gives the tasks of this many last days that have no row for an enabled platform their events (0: off)"},
	 OPT_INT, F(taskcenter_sweep_days), 0, 30, 1},
	{{"scheduler", "lock_ttl_ms", "5000",
	  "lifetime of the scheduler leader's lock, renewed at a third of it; a dead leader is replaced within it"},
	 OPT_INT, F(scheduler_lock_ttl_ms), 1000, 60000, 0},
	{{"scheduler", "timezone", "UTC", "time zone of a crontab that names none"},
	 OPT_STR, F(scheduler_timezone), 0, 0, 1},
	{{"scheduler", "misfire_grace_seconds", "60",
	  "a due time fired later than this counts as missed and follows the crontab's misfire policy"},
	 OPT_INT, F(scheduler_misfire_grace_seconds), 1, 86400, 1},
	{{"scheduler", "catch_up_max", "100", "most missed times one catch_up crontab fires after an outage"},
	 OPT_INT, F(scheduler_catch_up_max), 1, 10000, 1},
	{{"scheduler", "history_days", "30", "crontab history rows older than this are purged"},
	 OPT_INT, F(scheduler_history_days), 1, 3650, 1},
	{{"scheduler", "clock_base", "0",
	  "for tests: with clock_speed, the scheduler's clock runs clock_speed times faster from this instant (unix seconds)"},
	 OPT_LL, F(scheduler_clock_base), 0, 253402300799LL, 0},
	{{"scheduler", "clock_speed", "1", "for tests: how much faster than real time the scheduler's clock runs"},
	 OPT_INT, F(scheduler_clock_speed), 1, 3600, 0},
	{{"scheduler", "wait_seconds", "3600",
	  "longest a scheduled run waits for its upstream crontabs (then it is skipped) or for the run it replaces to stop"},
	 OPT_INT, F(scheduler_wait_seconds), 1, 604800, 1},
	{{"scheduler", "http_allow", "",
	  "URL prefixes (comma-separated) an http.call crontab may call; empty: none"},
	 OPT_STR, F(scheduler_http_allow), 0, 0, 1},
	{{"alerts", "disabled", "",
	  "alert rules switched off, comma-separated: batch_stalled, batch_failure_rate, queue_oldest_entry, no_live_runner, runner_memory, push_failures, crontab_failing (their open alerts resolve)"},
	 OPT_STR, F(alerts_disabled), 0, 0, 1},
	{{"alerts", "batch_stalled_seconds", "900",
	  "batch_stalled: a batch or bulk operation not settled whose last progress (chunk committed, else start, else submission) is older than this"},
	 OPT_INT, F(alerts_batch_stalled_seconds), 10, 604800, 1},
	{{"alerts", "batch_failure_percent", "20",
	  "batch_failure_rate: failed items over this share of the decided ones (success + failed) of a batch not settled or finished within the hour"},
	 OPT_INT, F(alerts_batch_failure_percent), 1, 100, 1},
	{{"alerts", "batch_failure_min_items", "20",
	  "batch_failure_rate: only once at least this many items of the batch are decided"},
	 OPT_INT, F(alerts_batch_failure_min_items), 1, 1000000, 1},
	{{"alerts", "queue_oldest_seconds", "300",
	  "queue_oldest_entry: a stream's oldest entry not yet acknowledged (waiting, or in hand) is older than this, paused or not"},
	 OPT_INT, F(alerts_queue_oldest_seconds), 1, 604800, 1},
	{{"alerts", "no_runner_seconds", "60",
	  "no_live_runner: flowbatch-web has seen no live runner for this long (0: at once)"},
	 OPT_INT, F(alerts_no_runner_seconds), 0, 86400, 0},
	{{"alerts", "runner_rss_limit_mb", "1024",
	  "runner_memory: a live runner's resident memory (from its report) is over this many MiB"},
	 OPT_INT, F(alerts_runner_rss_limit_mb), 1, 1048576, 1},
	{{"alerts", "push_failures", "10",
	  "push_failures: this many task-center rows of one platform failed, were rejected or abandoned within alerts.push_failures_minutes"},
	 OPT_INT, F(alerts_push_failures), 1, 1000000, 1},
	{{"alerts", "push_failures_minutes", "15", "push_failures: the window, in minutes"},
	 OPT_INT, F(alerts_push_failures_minutes), 1, 10080, 1},
	{{"alerts", "crontab_failures", "3",
	  "crontab_failing: a crontab's last this many settled runs all failed or timed out"},
	 OPT_INT, F(alerts_crontab_failures), 1, 100, 1},
	{{"alerts", "webhook_urls", "",
	  "http(s) URLs, comma-separated, that receive alert.raised and alert.resolved (empty: alerts are only stored and shown)"},
	 OPT_STR, F(alerts_webhook_urls), 0, 0, 1},
	{{"alerts", "webhook_secret", "",
	  "key of the webhook-signature of alert webhooks (HMAC-SHA256 of id.timestamp.body, as task-center pushes; empty: unsigned)"},
	 OPT_STR, F(alerts_webhook_secret), 0, 0, 1},
	{{"alerts", "webhook_timeout_ms", "5000", "total time of one alert webhook request, ms"},
	 OPT_INT, F(alerts_webhook_timeout_ms), 100, 60000, 1},
	{{"alerts", "watch_seconds", "10",
	  "how often flowbatch-web evaluates no_live_runner and sends alert webhooks still due"},
	 OPT_INT, F(alerts_watch_seconds), 1, 3600, 0},
	{{"alerts", "history_days", "90",
	  "resolved alerts older than this are deleted (by alert.evaluate, a thousand at a time)"},
	 OPT_INT, F(alerts_history_days), 1, 3650, 1},
	{{"paths", "migrations", FB_PKGDATADIR "/migrations", "directory of the SQL migrations"},
	 OPT_STR, F(paths_migrations), 0, 0, 0},
	{{"log", "level", "info", "debug, info, warn or error"}, OPT_STR, F(log_level), 0, 0, 1},
};

#define NOPTS (sizeof(opts) / sizeof(opts[0]))

static const struct opt *
find_opt(const char *section, const char *name)
{
	size_t i;

	for (i = 0; i < NOPTS; i++)
		if (strcmp(opts[i].key.section, section) == 0 && strcmp(opts[i].key.name, name) == 0)
			return &opts[i];
	return NULL;
}

const struct config_key *
config_keys(int *n)
{
	static struct config_key keys[NOPTS];
	size_t i;

	for (i = 0; i < NOPTS; i++)
		keys[i] = opts[i].key;
	*n = (int)NOPTS;
	return keys;
}

void
config_key_info(int i, struct config_key_info *out)
{
	const struct opt *o = &opts[i];

	out->key = o->key;
	out->type = o->type == OPT_STR ? CONFIG_STRING : CONFIG_INTEGER;
	out->min = o->min;
	out->max = o->max;
	out->reloadable = o->reloadable;
}

int
config_reloadable(const char *section, const char *name)
{
	const struct opt *o = find_opt(section, name);

	return o != NULL && o->reloadable;
}

/* Set one option from text; a problem is appended to errs. */
static void
set_opt(struct fb_config *cfg, const struct opt *o, const char *value, const char *where,
        struct buf *errs)
{
	char *p = (char *)cfg + o->offset;
	char *end;
	long long v;

	if (o->type == OPT_STR) {
		free(*(char **)p);
		*(char **)p = xstrdup(value);
		return;
	}
	errno = 0;
	v = strtoll(value, &end, 10);
	if (errno != 0 || end == value || *end != '\0') {
		buf_printf(errs, "%s: %s.%s: \"%s\" is not a whole number\n", where,
		           o->key.section, o->key.name, value);
		return;
	}
	if (v < o->min || v > o->max) {
		buf_printf(errs, "%s: %s.%s: %lld is out of range [%lld, %lld]\n", where,
		           o->key.section, o->key.name, v, o->min, o->max);
		return;
	}
	if (o->type == OPT_INT)
		*(int *)p = (int)v;
	else
		*(long long *)p = v;
}

static char *
trim(char *s)
{
	char *e;

	while (isspace((unsigned char)*s))
		s++;
	e = s + strlen(s);
	while (e > s && isspace((unsigned char)e[-1]))
		*--e = '\0';
	return s;
}

static void
parse_text(struct fb_config *cfg, const char *text, const char *origin, struct buf *errs)
{
	char *copy = xstrdup(text), *line;
	char section[64] = "";
	int lineno = 0;
	char *cursor = copy;

	/* strtok_r would merge empty lines and break line numbers; split by hand. */
	while ((line = cursor) != NULL) {
		char *nl = strchr(line, '\n'), *s, *eq, where[300];
		const struct opt *o;

		if (nl != NULL) {
			*nl = '\0';
			cursor = nl + 1;
		} else {
			cursor = NULL;
		}
		lineno++;
		snprintf(where, sizeof(where), "%s:%d", origin, lineno);
		s = trim(line);
		if (*s == '\0' || *s == '#' || *s == ';')
			continue;
		if (*s == '[') {
			char *close = strchr(s, ']');

			if (close == NULL || close[1] != '\0' || (size_t)(close - s - 1) >= sizeof(section)) {
				buf_printf(errs, "%s: malformed section header\n", where);
				section[0] = '\0';
				continue;
			}
			*close = '\0';
			snprintf(section, sizeof(section), "%s", trim(s + 1));
			continue;
		}
		eq = strchr(s, '=');
		if (eq == NULL) {
			buf_printf(errs, "%s: expected key = value\n", where);
			continue;
		}
		*eq = '\0';
		o = find_opt(section, trim(s));
		if (o == NULL) {
			buf_printf(errs, "%s: unknown key %s.%s\n", where, section, trim(s));
			continue;
		}
		set_opt(cfg, o, trim(eq + 1), where, errs);
	}
	free(copy);
}

static void
apply_env(struct fb_config *cfg, struct buf *errs)
{
	size_t i;

	for (i = 0; i < NOPTS; i++) {
		char name[128], *p;
		const char *v;

		snprintf(name, sizeof(name), "FLOWBATCH_%s_%s", opts[i].key.section, opts[i].key.name);
		for (p = name; *p != '\0'; p++)
			*p = (char)toupper((unsigned char)*p);
		v = getenv(name);
		if (v != NULL)
			set_opt(cfg, &opts[i], v, name, errs);
	}
}

/* web.allow: empty, or IPv4 addresses separated by commas (spaces allowed around them). */
static int
allow_list_valid(const char *list)
{
	char *copy = xstrdup(list), *save = NULL, *item;
	struct in_addr a;
	int ok = 1;

	for (item = strtok_r(copy, ",", &save); item != NULL; item = strtok_r(NULL, ",", &save)) {
		item += strspn(item, " \t");
		item[strcspn(item, " \t")] = '\0';
		if (inet_pton(AF_INET, item, &a) != 1)
			ok = 0;
	}
	if (strspn(list, " \t,") == strlen(list) && list[0] != '\0')
		ok = 0;
	free(copy);
	return ok;
}

static void
check_whole(const struct fb_config *cfg, struct buf *errs)
{
	if (!allow_list_valid(cfg->web_allow))
		buf_printf(errs, "web.allow: \"%s\" is not a comma-separated list of IPv4 addresses\n",
		           cfg->web_allow);
	else if (strchr(cfg->web_listen, ':') != NULL && strspn(cfg->web_allow, " \t,") ==
	                                                     strlen(cfg->web_allow))
		buf_printf(errs, "web.listen: %s is a TCP address: set web.allow to the addresses of "
		                 "the nginx hosts that may connect (anyone could otherwise send "
		                 "requests as any user)\n",
		           cfg->web_listen);
	if (cfg->web_socket_group[0] == '\0')
		buf_printf(errs, "web.socket_group: must name a group\n");
	if (strlen(cfg->auth_secret) < 16)
		buf_printf(errs, "auth.secret: must be set, at least 16 characters\n");
	if (cfg->runner_high + cfg->runner_common + cfg->runner_low > 256)
		buf_printf(errs, "runner: more than 256 workers in all\n");
	if (cfg->redis_prefix[0] == '\0' || strpbrk(cfg->redis_prefix, " \t\r\n") != NULL)
		buf_printf(errs, "redis.prefix: must be non-empty without spaces\n");
	if (cfg->auth_cookie[0] == '\0' || strpbrk(cfg->auth_cookie, " \t;,=\"") != NULL)
		buf_printf(errs, "auth.cookie: not a valid cookie name\n");
	alert_config_check(cfg, errs);
	if (strcmp(cfg->log_level, "debug") != 0 && strcmp(cfg->log_level, "info") != 0 &&
	    strcmp(cfg->log_level, "warn") != 0 && strcmp(cfg->log_level, "error") != 0)
		buf_printf(errs, "log.level: \"%s\" is not debug, info, warn or error\n",
		           cfg->log_level);
}

static struct fb_config *
build(const char *text, const char *origin, int use_env, struct fb_err *err)
{
	struct fb_config *cfg = xcalloc(1, sizeof(*cfg));
	struct buf errs = {0};
	size_t i;

	for (i = 0; i < NOPTS; i++)
		set_opt(cfg, &opts[i], opts[i].key.def, "default", &errs);
	if (text != NULL)
		parse_text(cfg, text, origin, &errs);
	if (use_env)
		apply_env(cfg, &errs);
	if (errs.len == 0)
		check_whole(cfg, &errs);
	if (errs.len > 0) {
		if (errs.data[errs.len - 1] == '\n')
			errs.data[--errs.len] = '\0';
		fb_err_set(err, FB_EINVAL, "%s", errs.data);
		free(errs.data);
		config_free(cfg);
		return NULL;
	}
	return cfg;
}

struct fb_config *
config_parse(const char *text, int use_env, struct fb_err *err)
{
	return build(text, "config", use_env, err);
}

struct fb_config *
config_load(const char *path, struct fb_err *err)
{
	struct fb_config *cfg;
	struct buf text = {0};
	char chunk[4096];
	size_t n;
	FILE *f;

	if (path == NULL)
		path = getenv("FLOWBATCH_CONFIG");
	/* Installed: the system file, when there is one. */
	if (path == NULL && access(FB_SYSCONFDIR "/flowbatch/flowbatch.conf", R_OK) == 0)
		path = FB_SYSCONFDIR "/flowbatch/flowbatch.conf";
	if (path == NULL || path[0] == '\0')
		return build(NULL, NULL, 1, err);
	f = fopen(path, "r");
	if (f == NULL) {
		fb_err_set(err, FB_EIO, "%s: %s", path, strerror(errno));
		return NULL;
	}
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0) {
		buf_add(&text, chunk, n);
		if (text.len > 1 << 20) {
			fclose(f);
			free(text.data);
			fb_err_set(err, FB_ETOOBIG, "%s: larger than 1 MiB", path);
			return NULL;
		}
	}
	fclose(f);
	cfg = build(buf_cstr(&text), path, 1, err);
	free(text.data);
	return cfg;
}

void
config_free(struct fb_config *cfg)
{
	size_t i;

	if (cfg == NULL)
		return;
	for (i = 0; i < NOPTS; i++)
		if (opts[i].type == OPT_STR)
			free(*(char **)((char *)cfg + opts[i].offset));
	free(cfg);
}
