/* SPDX-License-Identifier: MIT */
/*
 * taskcenter_ctl: `flowbatchctl taskcenter reconcile --since AGE [--platform N] [--dry-run]`
 * — queue the task-center events that tasks of the last AGE (a number and s, m, h or d)
 * should have had and that are missing or abandoned (taskcenter_reconcile), print them one
 * a line ("task platform event"), then publish taskcenter.push.  With --dry-run only print.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db.h"
#include "queue.h"
#include "taskcenter.h"
#include "taskcenter_ctl.h"

int
taskcenter_ctl_reconcile(const struct fb_config *cfg, int argc, char **argv, struct fb_err *err)
{
	struct tc_missing *m = NULL;
	struct db *db = NULL;
	struct queue *q = NULL;
	long since = -1;
	long long platform = 0;
	int dry = 0, i, rc = -1;
	size_t n = 0, k;

	for (i = 0; i < argc; i++) {
		if (strcmp(argv[i], "--since") == 0 && i + 1 < argc) {
			if ((since = taskcenter_age_seconds(argv[++i])) < 0)
				return 2;
		} else if (strcmp(argv[i], "--platform") == 0 && i + 1 < argc) {
			char *end;

			platform = strtoll(argv[++i], &end, 10);
			if (*end != '\0' || platform <= 0)
				return 2;
		} else if (strcmp(argv[i], "--dry-run") == 0) {
			dry = 1;
		} else {
			return 2;
		}
	}
	if (since < 0)
		return 2;
	if ((db = db_open(cfg->db_conninfo, err)) == NULL)
		return -1;
	if (taskcenter_reconcile(db, since, platform, dry, &m, &n, err) < 0)
		goto out;
	for (k = 0; k < n; k++)
		printf("%lld %lld %s\n", (long long)m[k].task_id, (long long)m[k].platform_id, m[k].event);
	fprintf(stderr, "%zu event%s %s\n", n, n == 1 ? "" : "s", dry ? "missing" : "queued");
	if (!dry && n > 0) {
		if ((q = queue_open(cfg, err)) == NULL || queue_ensure_groups(q, err) < 0 ||
		    taskcenter_publish(q, err) < 0)
			goto out;
	}
	rc = 0;
out:
	queue_close(q);
	free(m);
	db_close(db);
	return rc;
}
