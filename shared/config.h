/* SPDX-License-Identifier: MIT */
/*
 * config: the settings of all three programs, from one INI-style file and FLOWBATCH_*
 * environment variables (FLOWBATCH_DB_CONNINFO overrides [db] conninfo).
 *
 * One declarative table in config.c names every key with its type, default, bounds,
 * whether SIGHUP may change it, and a line of help; the README documents the same keys
 * (a test keeps them in step).  Every error in a file is collected and reported together.
 * A struct fb_config owns its strings; free it with config_free().
 */
#ifndef FB_CONFIG_H
#define FB_CONFIG_H

#include "err.h"

struct fb_config {
	/* [db] */
	char *db_conninfo;
	/* [redis] */
	char *redis_host;
	int redis_port;
	char *redis_password;
	int redis_db;
	char *redis_prefix;
	/* [web] */
	char *web_listen;
	char *web_allow;
	char *web_socket_group;
	int web_threads;
	int web_user_cache_ms;
	long long web_max_body;
	long long web_json_body_max;
	int web_max_excel_requests;
	char *web_tmpdir;
	/* [auth] */
	char *auth_secret;
	int auth_token_ttl;
	char *auth_cookie;
	/* [runner] */
	int runner_high;
	int runner_common;
	int runner_low;
	int runner_visibility_timeout;
	int runner_block_ms;
	int runner_max_deliveries;
	int runner_liveness_ttl_ms;
	int runner_rss_limit_mb;
	/* [batch] */
	int batch_max_tasks;
	int batch_chunk_size;
	int batch_max_concurrency;
	int batch_retry_limit;
	int batch_stale_minutes;
	int batch_init_grace_seconds;
	int batch_retry_backoff_seconds;
	int batch_retry_window_seconds;
	int batch_recover_interval_seconds;
	/* [taskcenter] */
	char *taskcenter_task_url;
	char *taskcenter_console_url;
	int taskcenter_sweep_days;
	/* [scheduler] */
	int scheduler_lock_ttl_ms;
	char *scheduler_timezone;
	int scheduler_misfire_grace_seconds;
	int scheduler_catch_up_max;
	int scheduler_history_days;
	long long scheduler_clock_base;
	int scheduler_clock_speed;
	int scheduler_wait_seconds;
	char *scheduler_http_allow;
	/* [alerts] */
	char *alerts_disabled;
	int alerts_batch_stalled_seconds;
	int alerts_batch_failure_percent;
	int alerts_batch_failure_min_items;
	int alerts_queue_oldest_seconds;
	int alerts_no_runner_seconds;
	int alerts_runner_rss_limit_mb;
	int alerts_push_failures;
	int alerts_push_failures_minutes;
	int alerts_crontab_failures;
	char *alerts_webhook_urls;
	char *alerts_webhook_secret;
	int alerts_webhook_timeout_ms;
	int alerts_watch_seconds;
	int alerts_history_days;
	/* [paths] */
	char *paths_migrations;
	/* [log] */
	char *log_level;
};

struct config_key {
	const char *section;
	const char *name;
	const char *def;
	const char *help;
};

/*
 * Load defaults, then path (NULL: $FLOWBATCH_CONFIG, else none), then the environment.
 * Returns a config the caller frees, or NULL with every problem in err->msg (one a line).
 */
struct fb_config *config_load(const char *path, struct fb_err *err) FB_MUSTCHECK;
/* The same from a string (for tests); env applies when use_env. */
struct fb_config *config_parse(const char *text, int use_env, struct fb_err *err) FB_MUSTCHECK;
void config_free(struct fb_config *cfg);
/* The key table, for documentation checks: *n gets its length. */
const struct config_key *config_keys(int *n);
/* True if section.name may change at run time (SIGHUP). */
int config_reloadable(const char *section, const char *name);

/* What the manual page says of a key: its type and bounds besides config_key. */
enum config_type { CONFIG_STRING, CONFIG_INTEGER };
struct config_key_info {
	struct config_key key;
	enum config_type type;
	long long min, max; /* CONFIG_INTEGER only */
	int reloadable;
};
/* Fill *out with the i-th key of the table (0 <= i < n of config_keys); the strings are
 * borrowed from the static table. */
void config_key_info(int i, struct config_key_info *out);

#endif
