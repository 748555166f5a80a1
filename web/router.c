/* SPDX-License-Identifier: MIT */
/*
 * router: the route table and its matcher.  Matching allocates only the captured
 * segments, from the request arena.
 */
#include <string.h>
#include <json-c/json.h>

#include "handlers/handlers.h"
#include "msg.h"
#include "router.h"

const struct route router_routes[] = {
	{"GET", "/healthz", handle_healthz, ROUTE_PUBLIC},
	{"GET", "/auth/verify", handle_auth_verify, ROUTE_PUBLIC},
	{"GET", "/auth/login", handle_auth_login, ROUTE_PUBLIC},
	{"POST", "/auth/logout", handle_auth_logout, ROUTE_PUBLIC},
	{"GET", "/api/me", handle_me, ROUTE_USER},
	{"GET", "/api/me/notices", handle_me_notices, ROUTE_USER},
	{"POST", "/api/me/notices", handle_me_notices_ack, ROUTE_USER},
	{"GET", "/api/batch/nodes", handle_batch_nodes, ROUTE_USER},
	{"GET", "/api/batch/tasks", handle_batch_tasks, ROUTE_USER},
	{"GET", "/api/batch/nodes/{id}/form", handle_batch_node_form, ROUTE_USER},
	{"GET", "/api/batch/template", handle_batch_template, ROUTE_USER},
	{"POST", "/api/batch", handle_batch_submit, ROUTE_USER},
	{"GET", "/api/batches", handle_batch_list, ROUTE_USER},
	{"GET", "/api/batch/{id}", handle_batch_get, ROUTE_USER},
	{"GET", "/api/batch/{id}/details", handle_batch_details, ROUTE_USER},
	{"POST", "/api/batch/{id}/retry", handle_batch_retry, ROUTE_USER},
	{"POST", "/api/batch/{id}/cancel", handle_batch_cancel, ROUTE_USER},
	{"POST", "/api/batch/import", handle_batch_import, ROUTE_USER},
	{"GET", "/api/batch/{id}/errors.xlsx", handle_batch_errors, ROUTE_USER},
	{"GET", "/metrics", handle_metrics, ROUTE_PUBLIC},
	{"GET", "/api/dashboard", handle_dashboard, ROUTE_USER},
	{"GET", "/api/alerts", handle_alerts_list, ROUTE_ADMIN},
	{"GET", "/api/runners", handle_runners_list, ROUTE_ADMIN},
	{"GET", "/api/queue/stats", handle_queue_stats, ROUTE_ADMIN},
	{"GET", "/api/queue/consumers", handle_queue_consumers_get, ROUTE_ADMIN},
	{"PUT", "/api/queue/consumers", handle_queue_consumers_put, ROUTE_ADMIN},
	{"GET", "/api/queue/dead", handle_queue_dead_list, ROUTE_ADMIN},
	{"POST", "/api/queue/dead/retry", handle_queue_dead_retry_all, ROUTE_ADMIN},
	{"DELETE", "/api/queue/dead", handle_queue_dead_drop_all, ROUTE_ADMIN},
	{"POST", "/api/queue/dead/{id}/retry", handle_queue_dead_retry, ROUTE_ADMIN},
	{"DELETE", "/api/queue/dead/{id}", handle_queue_dead_drop, ROUTE_ADMIN},
	{"POST", "/api/queue/{name}/pause", handle_queue_pause, ROUTE_ADMIN},
	{"POST", "/api/queue/{name}/resume", handle_queue_resume, ROUTE_ADMIN},
	{"GET", "/api/process/sessions", handle_process_sessions, ROUTE_USER},
	{"GET", "/api/process/sessions/{id}/backups", handle_process_backups, ROUTE_USER},
	{"POST", "/api/process/backups/{id}/restore", handle_process_restore, ROUTE_USER},
	{"POST", "/api/process/bulk", handle_process_bulk_submit, ROUTE_USER},
	{"GET", "/api/process/bulk", handle_process_bulk_list, ROUTE_USER},
	{"GET", "/api/process/bulk/{id}", handle_process_bulk_get, ROUTE_USER},
	{"GET", "/api/process/bulk/{id}/items", handle_process_bulk_items, ROUTE_USER},
	{"POST", "/api/process/bulk/{id}/cancel", handle_process_bulk_cancel, ROUTE_USER},
	{"POST", "/api/process/bulk/{id}/retry", handle_process_bulk_retry, ROUTE_USER},
	{"GET", "/api/task-center/config", handle_taskcenter_config_get, ROUTE_ADMIN},
	{"PUT", "/api/task-center/config", handle_taskcenter_config_put, ROUTE_ADMIN},
	{"GET", "/api/task-center/logs", handle_taskcenter_logs, ROUTE_ADMIN},
	{"POST", "/api/task-center/logs/retry", handle_taskcenter_logs_retry, ROUTE_ADMIN},
	{"POST", "/api/task-center/logs/{id}/retry", handle_taskcenter_log_retry, ROUTE_ADMIN},
	{"GET", "/api/task-center/platforms", handle_taskcenter_platforms, ROUTE_ADMIN},
	{"GET", "/api/task-center/status", handle_taskcenter_status, ROUTE_ADMIN},
	{"POST", "/api/task-center/platforms", handle_taskcenter_platform_create, ROUTE_ADMIN},
	{"GET", "/api/task-center/platforms/{id}", handle_taskcenter_platform_get, ROUTE_ADMIN},
	{"PUT", "/api/task-center/platforms/{id}", handle_taskcenter_platform_put, ROUTE_ADMIN},
	{"DELETE", "/api/task-center/platforms/{id}", handle_taskcenter_platform_delete, ROUTE_ADMIN},
	{"POST", "/api/task-center/platforms/{id}/test", handle_taskcenter_platform_test, ROUTE_ADMIN},
	{"GET", "/api/crontabs", handle_crontab_list, ROUTE_ADMIN},
	{"POST", "/api/crontabs", handle_crontab_create, ROUTE_ADMIN},
	{"GET", "/api/crontabs/next", handle_crontab_next_expr, ROUTE_ADMIN},
	{"GET", "/api/crontabs/misfires", handle_crontab_misfires, ROUTE_USER},
	{"GET", "/api/crontabs/stats", handle_crontab_stats, ROUTE_USER},
	{"GET", "/api/crontabs/{id}", handle_crontab_get, ROUTE_ADMIN},
	{"PUT", "/api/crontabs/{id}", handle_crontab_update, ROUTE_ADMIN},
	{"DELETE", "/api/crontabs/{id}", handle_crontab_delete, ROUTE_ADMIN},
	{"POST", "/api/crontabs/{id}/enable", handle_crontab_enable, ROUTE_ADMIN},
	{"POST", "/api/crontabs/{id}/disable", handle_crontab_disable, ROUTE_ADMIN},
	{"POST", "/api/crontabs/{id}/run", handle_crontab_run, ROUTE_ADMIN},
	{"GET", "/api/crontabs/{id}/history", handle_crontab_history, ROUTE_ADMIN},
	{"GET", "/api/crontabs/{id}/next", handle_crontab_next, ROUTE_ADMIN},
	{NULL, NULL, NULL, 0},
};

/* Match one pattern; 1 on match with args filled. */
static int
match(const char *pattern, const char *path, struct arena *a,
      const char *args[REQUEST_MAX_PATH_ARGS])
{
	const char *p = pattern, *s = path;
	int nargs = 0;

	while (*p != '\0' && *s != '\0') {
		if (*p == '{') {
			const char *close = strchr(p, '}');
			size_t seglen = strcspn(s, "/");
			int is_id = close != NULL && (size_t)(close - p) == 3 && strncmp(p, "{id}", 4) == 0;

			if (close == NULL || seglen == 0 || nargs == REQUEST_MAX_PATH_ARGS)
				return 0;
			if (is_id) {
				size_t i;

				if (seglen > 18 || s[0] == '0')
					return 0;
				for (i = 0; i < seglen; i++)
					if (s[i] < '0' || s[i] > '9')
						return 0;
			}
			args[nargs++] = arena_strndup(a, s, seglen);
			p = close + 1;
			s += seglen;
			continue;
		}
		if (*p != *s)
			return 0;
		p++;
		s++;
	}
	return *p == '\0' && *s == '\0';
}

const struct route *
router_match(const struct route *table, struct arena *a, const char *method, const char *path,
             const char *args[REQUEST_MAX_PATH_ARGS], struct fb_err *err)
{
	const struct route *rt;
	int path_known = 0;

	for (rt = table; rt->method != NULL; rt++) {
		if (!match(rt->pattern, path, a, args))
			continue;
		if (strcmp(rt->method, method) == 0)
			return rt;
		path_known = 1;
	}
	if (path_known)
		fb_err_msg(err, FB_EMETHOD, "router.method",
		           msg_args("method", json_object_new_string(method), "path",
		                    json_object_new_string(path), NULL));
	else
		fb_err_msg(err, FB_ENOTFOUND, "router.not_found",
		           msg_args("path", json_object_new_string(path), NULL));
	return NULL;
}
