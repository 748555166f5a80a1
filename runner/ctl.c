/* SPDX-License-Identifier: MIT */
/*
 * flowbatchctl: the administrator's command line — migrate the schema, seed demo data,
 * sign a login token, enqueue a job, list the configuration keys.
 */
#include <getopt.h>
#include <locale.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <json-c/json.h>

#include "config.h"
#include "db.h"
#include "jsonh.h"
#include "log.h"
#include "migrate.h"
#include "queue.h"
#include "seed.h"
#include "taskcenter_ctl.h"
#include "token.h"

static void
usage(void)
{
	fprintf(stderr,
	        "usage: flowbatchctl [-c CONFIG] COMMAND [ARGS]\n"
	        "  migrate                          apply pending SQL migrations\n"
	        "  seed [--users N] [--tasks M] [--seed S]\n"
	        "                                   create demo data\n"
	        "  token LOGIN [--ttl SECONDS]      print a signed login token\n"
	        "  enqueue TYPE JSON [--priority high|common|low]\n"
	        "                                   publish a job, print its id\n"
	        "  config-keys                      list every configuration key\n"
	        "  taskcenter reconcile --since AGE [--platform N] [--dry-run]\n"
	        "                                   queue the task-center events tasks of the last AGE\n"
	        "                                   (e.g. 3d, 12h) miss\n");
	exit(2);
}

static long
int_arg(const char *name, const char *v, long min, long max)
{
	char *end;
	long x = strtol(v, &end, 10);

	if (*v == '\0' || *end != '\0' || x < min || x > max) {
		fprintf(stderr, "flowbatchctl: %s must be a number from %ld to %ld\n", name, min, max);
		exit(2);
	}
	return x;
}

static int
cmd_migrate(const struct fb_config *cfg, struct fb_err *err)
{
	struct db *db = db_open(cfg->db_conninfo, err);
	int applied = 0, rc;

	if (db == NULL)
		return -1;
	rc = migrate_apply(db, cfg->paths_migrations, &applied, err);
	if (rc == 0)
		printf("migrations applied: %d\n", applied);
	db_close(db);
	return rc;
}

static int
cmd_seed(const struct fb_config *cfg, int argc, char **argv, struct fb_err *err)
{
	struct seed_opts o = {.users = 200, .tasks = 2000, .seed = 1};
	struct db *db;
	int i, rc;

	for (i = 0; i < argc; i++) {
		if (i + 1 >= argc)
			usage();
		if (strcmp(argv[i], "--users") == 0)
			o.users = (int)int_arg("--users", argv[++i], 1, 1000000);
		else if (strcmp(argv[i], "--tasks") == 0)
			o.tasks = (int)int_arg("--tasks", argv[++i], 0, 10000000);
		else if (strcmp(argv[i], "--seed") == 0)
			o.seed = (unsigned)int_arg("--seed", argv[++i], 0, 1L << 30);
		else
			usage();
	}
	db = db_open(cfg->db_conninfo, err);
	if (db == NULL)
		return -1;
	rc = seed_run(db, &o, err);
	db_close(db);
	return rc;
}

static int
cmd_token(const struct fb_config *cfg, int argc, char **argv, struct fb_err *err)
{
	long ttl = cfg->auth_token_ttl;
	char *tok;

	if (argc != 1 && !(argc == 3 && strcmp(argv[1], "--ttl") == 0))
		usage();
	if (argc == 3)
		ttl = int_arg("--ttl", argv[2], 1, 31536000);
	tok = token_sign(cfg->auth_secret, argv[0], time(NULL) + ttl, err);
	if (tok == NULL)
		return -1;
	printf("%s\n", tok);
	free(tok);
	return 0;
}

static int
cmd_enqueue(const struct fb_config *cfg, int argc, char **argv, struct fb_err *err)
{
	enum queue_prio prio = QUEUE_COMMON;
	struct json_object *args;
	struct queue *q;
	char id[37] = "";
	int rc = -1;

	if (argc != 2 && !(argc == 4 && strcmp(argv[2], "--priority") == 0))
		usage();
	if (argc == 4 && queue_prio_parse(argv[3], &prio) < 0) {
		fprintf(stderr, "flowbatchctl: priority must be high, common or low\n");
		exit(2);
	}
	args = jsonh_parse(argv[1], strlen(argv[1]), err);
	if (args == NULL)
		return -1;
	if (!json_object_is_type(args, json_type_object)) {
		fb_err_set(err, FB_EINVAL, "job arguments must be a JSON object");
		goto out;
	}
	q = queue_open(cfg, err);
	if (q == NULL)
		goto out;
	if (queue_ensure_groups(q, err) == 0 && queue_publish(q, prio, argv[0], args, id, err) == 0) {
		printf("%s\n", id);
		rc = 0;
	}
	queue_close(q);
out:
	json_object_put(args);
	return rc;
}

int
main(int argc, char **argv)
{
	struct fb_err err = {0};
	struct fb_config *cfg;
	const char *path = NULL, *cmd;
	enum log_level level;
	int rc;

	setlocale(LC_ALL, "C");
	if (argc >= 3 && strcmp(argv[1], "-c") == 0) {
		path = argv[2];
		argc -= 2;
		argv += 2;
	}
	if (argc < 2)
		usage();
	cmd = argv[1];
	if (strcmp(cmd, "config-keys") == 0) {
		const struct config_key *k;
		int n, i;

		k = config_keys(&n);
		for (i = 0; i < n; i++)
			printf("%s.%s\n", k[i].section, k[i].name);
		return 0;
	}
	cfg = config_load(path, &err);
	if (cfg == NULL) {
		fprintf(stderr, "flowbatchctl: configuration errors:\n%s\n", err.msg);
		return 1;
	}
	if (log_parse_level(cfg->log_level, &level) == 0)
		log_set_level(level);
	if (strcmp(cmd, "migrate") == 0 && argc == 2)
		rc = cmd_migrate(cfg, &err);
	else if (strcmp(cmd, "seed") == 0)
		rc = cmd_seed(cfg, argc - 2, argv + 2, &err);
	else if (strcmp(cmd, "token") == 0 && argc >= 3)
		rc = cmd_token(cfg, argc - 2, argv + 2, &err);
	else if (strcmp(cmd, "enqueue") == 0 && argc >= 4)
		rc = cmd_enqueue(cfg, argc - 2, argv + 2, &err);
	else if (strcmp(cmd, "taskcenter") == 0 && (rc = taskcenter_ctl(cfg, argc - 2, argv + 2, &err)) == 2)
		usage();
	else
		usage();
	if (rc < 0)
		fprintf(stderr, "flowbatchctl %s: %s\n", cmd, err.msg);
	fb_err_clear(&err);
	config_free(cfg);
	return rc < 0 ? 1 : 0;
}
