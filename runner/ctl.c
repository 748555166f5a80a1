/* SPDX-License-Identifier: MIT */
/*
 * flowbatchctl: the administrator's command line — migrate the schema, seed demo data,
 * sign a login token, enqueue a job, list the configuration keys.
 *
 * The commands are one table: a row names the command, its arguments, a summary for the
 * list and the text of `flowbatchctl COMMAND --help`, and says whether it needs the
 * configuration.  --help and --version, the list and each command's help never read the
 * configuration, so they work before one exists.  Exit status: 0, 1 when the command
 * failed, 2 on a usage error (with the usage on stderr).
 */
#include <locale.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <json-c/json.h>

#include "cli.h"
#include "config.h"
#include "confdoc.h"
#include "db.h"
#include "jsonh.h"
#include "log.h"
#include "migrate.h"
#include "queue.h"
#include "backup.h"
#include "seed.h"
#include "taskcenter_ctl.h"
#include "token.h"

struct command {
	/* One word, or several for a group ("taskcenter reconcile"); lower case. */
	const char *name;
	/* The arguments for the synopsis: upper case or in brackets, "" when none. */
	const char *args;
	/* One line for the command list. */
	const char *summary;
	/* What `flowbatchctl NAME --help` says after the synopsis. */
	const char *help;
	/* Runs without loading the configuration (run gets cfg NULL). */
	int no_config;
	/* argv holds the arguments after the name; calls usage() on bad ones. */
	int (*run)(const struct fb_config *cfg, int argc, char **argv, struct fb_err *err);
};

static void usage(void) __attribute__((noreturn));

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
cmd_restore(const struct fb_config *cfg, int argc, char **argv, struct fb_err *err)
{
	struct db *db;
	int64_t sid;
	long id;
	int rc;

	if (argc != 1)
		usage();
	id = int_arg("BACKUP_ID", argv[0], 1, LONG_MAX);
	if ((db = db_open(cfg->db_conninfo, err)) == NULL)
		return -1;
	rc = backup_restore(db, NULL, id, &sid, err);
	if (rc == 0)
		printf("restored process instance %lld from backup %ld\n", (long long)sid, id);
	db_close(db);
	return rc;
}

static int
cmd_migrate(const struct fb_config *cfg, int argc, char **argv, struct fb_err *err)
{
	struct db *db;
	int applied = 0, rc;

	if (argc != 0)
		usage();
	db = db_open(cfg->db_conninfo, err);
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

	if (argc < 1 || (argc != 1 && !(argc == 3 && strcmp(argv[1], "--ttl") == 0)))
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

	if (argc < 2 || (argc != 2 && !(argc == 4 && strcmp(argv[2], "--priority") == 0)))
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

static int
cmd_config_keys(const struct fb_config *cfg, int argc, char **argv, struct fb_err *err)
{
	const struct config_key *k;
	int n, i;

	if (argc == 1 && strcmp(argv[0], "--man") == 0)
		return confdoc_write_man(stdout, 0, err);
	if (argc == 1 && strcmp(argv[0], "--man-template") == 0)
		return confdoc_write_man(stdout, 1, err);
	if (argc != 0)
		usage();
	k = config_keys(&n);
	for (i = 0; i < n; i++)
		printf("%s.%s\n", k[i].section, k[i].name);
	return 0;
}

static int
cmd_taskcenter_reconcile(const struct fb_config *cfg, int argc, char **argv, struct fb_err *err)
{
	int rc = taskcenter_ctl_reconcile(cfg, argc, argv, err);

	if (rc == 2)
		usage();
	return rc;
}

static const struct command commands[] = {
	{.name = "migrate",
	 .args = "",
	 .summary = "apply pending SQL migrations",
	 .help = "Apply the SQL migrations of paths.migrations that the database (db.conninfo)\n"
	         "has not applied yet, in order, each in its own transaction; print how many.",
	 .run = cmd_migrate},
	{.name = "seed",
	 .args = "[--users N] [--tasks M] [--seed S]",
	 .summary = "create demo data",
	 .help = "Create N demo users (default 200) and M pending tasks (default 2000) from the\n"
	         "random seed S (default 1), for development and benchmarks.",
	 .run = cmd_seed},
	{.name = "token",
	 .args = "LOGIN [--ttl SECONDS]",
	 .summary = "print a signed login token",
	 .help = "Print a login token for LOGIN signed with auth.secret, valid for SECONDS\n"
	         "(default auth.token_ttl).",
	 .run = cmd_token},
	{.name = "enqueue",
	 .args = "TYPE JSON [--priority high|common|low]",
	 .summary = "publish a job, print its id",
	 .help = "Publish a job of TYPE with the arguments JSON (an object) on the stream of\n"
	         "the priority (default common); print the job's id.",
	 .run = cmd_enqueue},
	{.name = "restore",
	 .args = "BACKUP_ID",
	 .summary = "put a deleted process instance back from its backup",
	 .help = "Put the process instance of backup BACKUP_ID back as it was when it was\n"
	         "backed up (before a delete or archive_delete): its row, tasks, history and\n"
	         "form data.  Refused while the instance is live.",
	 .run = cmd_restore},
	{.name = "taskcenter reconcile",
	 .args = "--since AGE [--platform N] [--dry-run]",
	 .summary = "queue the task-center events that tasks of the last AGE miss",
	 .help = "Look at the tasks created in the last AGE (e.g. 3d, 12h; app versions that are\n"
	         "not test versions) and, for each enabled platform (or only N), queue the events a\n"
	         "task should have had and has not (create, and done, cancel or timeout by its\n"
	         "state) when their row is missing or abandoned; print them as `task platform\n"
	         "event` and publish taskcenter.push.  --dry-run only prints.",
	 .run = cmd_taskcenter_reconcile},
	{.name = "config-keys",
	 .args = "[--man | --man-template]",
	 .summary = "list every configuration key",
	 .help = "Print every configuration key as section.key, one a line.  --man prints the\n"
	         "flowbatch.conf(5) manual page instead, written from the same table;\n"
	         "--man-template the same with @sysconfdir@, @pkgdatadir@ and @VERSION@ in\n"
	         "place of this build's paths and version (the build fills them in).",
	 .no_config = 1,
	 .run = cmd_config_keys},
	{.name = NULL},
};

static void
list_commands(FILE *f)
{
	const struct command *c;

	fprintf(f, "usage: flowbatchctl [-c CONFIG] COMMAND [ARGS]\n"
	           "       flowbatchctl COMMAND --help\n"
	           "       flowbatchctl --help | --version\n"
	           "commands:\n");
	for (c = commands; c->name != NULL; c++)
		fprintf(f, "  %-22s %s\n", c->name, c->summary);
	fprintf(f, "options:\n");
	cli_options_help(f, "this list; COMMAND --help for one command");
	fprintf(f, "See flowbatchctl(8) and flowbatch.conf(5).\n");
}

/* A usage error: the list on stderr, exit 2. */
static void
usage(void)
{
	list_commands(stderr);
	exit(2);
}

static void
command_help(FILE *f, const struct command *c)
{
	fprintf(f, "usage: flowbatchctl [-c CONFIG] %s%s%s\n%s\n", c->name,
	        c->args[0] != '\0' ? " " : "", c->args, c->help);
}

/*
 * The command whose name is the first words of argv, with *words its number of words;
 * NULL if none.  *group is set when argv[0..] is only the start of a longer name.
 */
static const struct command *
find_command(int argc, char **argv, int *words, int *group)
{
	const struct command *c;

	*group = 0;
	for (c = commands; c->name != NULL; c++) {
		const char *p = c->name;
		int i;

		for (i = 0; i < argc; i++) {
			size_t len = strlen(argv[i]);

			if (strncmp(p, argv[i], len) != 0 || (p[len] != ' ' && p[len] != '\0'))
				break;
			p += len;
			if (*p == '\0') {
				*words = i + 1;
				return c;
			}
			p++;
		}
		if (i > 0)
			*group = 1;
	}
	return NULL;
}

/* True if the arguments ask for help (before a "--"). */
static int
wants_help(int argc, char **argv)
{
	int i;

	for (i = 0; i < argc && strcmp(argv[i], "--") != 0; i++)
		if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0)
			return 1;
	return 0;
}

/* The commands of a group ("flowbatchctl taskcenter"): those whose first word is word. */
static void
list_group(FILE *f, const char *word)
{
	const struct command *c;
	size_t len = strlen(word);

	fprintf(f, "usage: flowbatchctl [-c CONFIG] %s COMMAND [ARGS]\ncommands:\n", word);
	for (c = commands; c->name != NULL; c++)
		if (strncmp(c->name, word, len) == 0 && c->name[len] == ' ')
			fprintf(f, "  %-22s %s\n", c->name, c->summary);
}

int
main(int argc, char **argv)
{
	static const struct cli cli = {.name = "flowbatchctl", .usage = list_commands,
	                               .commands = 1};
	struct fb_err err = {0};
	struct fb_config *cfg = NULL;
	const struct command *cmd;
	const char *path = NULL;
	enum log_level level;
	int first, words, group, help = 0, rc;

	setlocale(LC_ALL, "C");
	if ((rc = cli_parse(&cli, argc, argv, &path, &first)) >= 0)
		return rc;
	argc -= first;
	argv += first;
	if (argc == 0)
		usage();
	if (strcmp(argv[0], "help") == 0) {
		/* "flowbatchctl help [COMMAND]" is "flowbatchctl [COMMAND] --help". */
		help = 1;
		argc--;
		argv++;
		if (argc == 0) {
			list_commands(stdout);
			return 0;
		}
	}
	help = help || wants_help(argc, argv);
	cmd = find_command(argc, argv, &words, &group);
	if (cmd == NULL && group) {
		list_group(help ? stdout : stderr, argv[0]);
		return help ? 0 : 2;
	}
	if (cmd == NULL) {
		fprintf(stderr, "flowbatchctl: unknown command \"%s\"\n", argv[0]);
		usage();
	}
	if (help) {
		command_help(stdout, cmd);
		return 0;
	}
	argc -= words;
	argv += words;
	if (!cmd->no_config) {
		cfg = config_load(path, &err);
		if (cfg == NULL) {
			fprintf(stderr, "flowbatchctl: configuration errors:\n%s\n", err.msg);
			fb_err_clear(&err);
			return 1;
		}
		if (log_parse_level(cfg->log_level, &level) == 0)
			log_set_level(level);
	}
	rc = cmd->run(cfg, argc, argv, &err);
	if (rc < 0)
		fprintf(stderr, "flowbatchctl %s: %s\n", cmd->name, err.msg);
	fb_err_clear(&err);
	config_free(cfg);
	return rc < 0 ? 1 : 0;
}
