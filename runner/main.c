/* SPDX-License-Identifier: MIT */
/*
 * flowbatch-runner: parse arguments, load the config, take the signals, run the worker
 * pool until SIGTERM/SIGINT.
 *
 *   flowbatch-runner [-c CONFIG]      (default: $FLOWBATCH_CONFIG, else built-in defaults)
 *   flowbatch-runner --help | --version   (answered without reading the configuration)
 *
 * SIGTERM/SIGINT drain: every worker finishes and acknowledges the job in hand, then the
 * program exits 0 (a second signal exits at once, 1; unfinished entries stay claimable).
 * SIGHUP re-reads the config file and the Redis consumer counts.  The signals are blocked
 * in every thread and taken here with sigtimedwait.
 *
 * Memory guard: once the resident size passes runner.rss_limit_mb (looked at every second,
 * from GUARD_GRACE_S after the start), the runner drains as on SIGTERM — the workers finish
 * the jobs in hand, nothing new is taken — and then executes /proc/self/exe again with the
 * same arguments (same pid, fresh memory, a new start time in its report).
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <curl/curl.h>

#include "cli.h"
#include "config.h"
#include "log.h"
#include "runners.h"
#include "schedule.h"
#include "worker.h"

#define GUARD_GRACE_S 5 /* the memory guard leaves a fresh runner alone this long */

static void
usage(FILE *f)
{
	fprintf(f, "usage: flowbatch-runner [-c CONFIG]\n"
	           "       flowbatch-runner --help | --version\n"
	           "The job runner of flowbatch: takes jobs from the Redis streams with\n"
	           "runner.high, runner.common and runner.low workers.  SIGHUP reloads the\n"
	           "configuration; SIGTERM or SIGINT finishes the jobs in hand and exits.\n");
	cli_options_help(f, "this text");
	fprintf(f, "See flowbatch-runner(8) and flowbatch.conf(5).\n");
}

static void
apply_log_level(const struct fb_config *cfg)
{
	enum log_level level;

	if (log_parse_level(cfg->log_level, &level) == 0)
		log_set_level(level);
	else
		log_warn("unknown log level; keeping the current one", "level",
		         LOG_STR(cfg->log_level), NULL);
}

int
main(int argc, char **argv)
{
	static const struct cli cli = {.name = "flowbatch-runner", .usage = usage};
	const char *path = NULL;
	struct fb_config *cfg;
	struct worker_pool *pool;
	struct schedule *sched;
	const struct fb_config *cur;
	struct fb_err err = {0};
	struct timespec tick = {1, 0};
	sigset_t set;
	time_t started = time(NULL);
	int first, rc, draining = 0, reexec = 0;

	if ((rc = cli_parse(&cli, argc, argv, &path, &first)) >= 0)
		return rc;
	if ((cfg = config_load(path, &err)) == NULL) {
		fprintf(stderr, "flowbatch-runner: configuration errors:\n%s\n", err.msg);
		fb_err_clear(&err);
		return 1;
	}
	if (path == NULL)
		path = getenv("FLOWBATCH_CONFIG");
	apply_log_level(cfg);

	/* Blocked before any thread starts, so every worker inherits the mask. */
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	signal(SIGPIPE, SIG_IGN);

	/* Once, before any thread: taskcenter.push uses libcurl from the workers. */
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
		fprintf(stderr, "flowbatch-runner: libcurl does not initialise\n");
		return 1;
	}
	log_info("runner starting", "pid", LOG_INT(getpid()), NULL);
	cur = cfg;
	if ((pool = worker_pool_start(cfg, &err)) == NULL) {
		log_error("cannot start the workers", "error", LOG_STR(err.msg), NULL);
		fb_err_clear(&err);
		return 1;
	}
	sched = schedule_new();
	for (;;) {
		int sig = sigtimedwait(&set, NULL, &tick);

		if (sig == SIGTERM || sig == SIGINT) {
			if (draining) {
				log_warn("second signal: exiting without draining", NULL);
				_exit(1);
			}
			log_info("draining: finishing the jobs in hand", "signal",
			         LOG_STR(sig == SIGTERM ? "TERM" : "INT"), NULL);
			draining = 1;
			tick.tv_sec = 0;
			tick.tv_nsec = 100000000L;
			worker_pool_stop(pool);
		} else if (sig == SIGHUP && !draining) {
			struct fb_config *next = config_load(path, &err);

			if (next == NULL) {
				log_error("reload failed; keeping the running config", "error",
				          LOG_STR(err.msg), NULL);
				fb_err_clear(&err);
			} else {
				apply_log_level(next);
				cur = next;
				worker_pool_reload(pool, next);
				log_info("config reloaded", NULL);
			}
		} else if (sig < 0 && errno != EAGAIN && errno != EINTR) {
			log_error("sigtimedwait failed", "error", LOG_STR(strerror(errno)), NULL);
		}
		if (!draining && cur->runner_rss_limit_mb > 0 && time(NULL) - started >= GUARD_GRACE_S) {
			long long rss = runners_self_rss();

			if (rss > (long long)cur->runner_rss_limit_mb * 1024 * 1024) {
				log_warn("memory guard: resident size past the limit; draining to re-execute",
				         "rss_bytes", LOG_INT(rss), "limit_mb",
				         LOG_INT(cur->runner_rss_limit_mb), NULL);
				draining = 1;
				reexec = 1;
				tick.tv_sec = 0;
				tick.tv_nsec = 100000000L;
				worker_pool_stop(pool);
			}
		}
		worker_pool_tick(pool);
		if (!draining)
			schedule_tick(sched, cur);
		if (draining && worker_pool_alive(pool) == 0)
			break;
	}
	schedule_free(sched);
	worker_pool_free(pool);
	curl_global_cleanup();
	if (reexec) {
		log_info("memory guard: drained; re-executing", "pid", LOG_INT(getpid()), NULL);
		execv("/proc/self/exe", argv);
		log_error("memory guard: exec failed; exiting", "error", LOG_STR(strerror(errno)), NULL);
		return 1;
	}
	log_info("runner stopped", NULL);
	return 0;
}
