/* SPDX-License-Identifier: MIT */
/*
 * flowbatch-web: parse arguments, load the configuration, block signals, serve.
 * --help and --version answer without reading the configuration.
 */
#include <locale.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <curl/curl.h>
#include <libxml/parser.h>

#include "cli.h"
#include "config.h"
#include "log.h"
#include "server.h"

static void
usage(FILE *f)
{
	fprintf(f, "usage: flowbatch-web [-c CONFIG]\n"
	           "       flowbatch-web --help | --version\n"
	           "The FastCGI application of flowbatch, behind nginx: serves web.listen with\n"
	           "web.threads threads until SIGTERM or SIGINT.\n");
	cli_options_help(f, "this text");
	fprintf(f, "See flowbatch-web(8) and flowbatch.conf(5).\n");
}

int
main(int argc, char **argv)
{
	static const struct cli cli = {.name = "flowbatch-web", .usage = usage};
	struct fb_err err = {0};
	struct fb_config *cfg;
	const char *path = NULL;
	enum log_level level;
	sigset_t set;
	int first, rc;

	if ((rc = cli_parse(&cli, argc, argv, &path, &first)) >= 0)
		return rc;
	/* Numbers in JSON and xlsx are printed with the C locale. */
	setlocale(LC_ALL, "C");
	cfg = config_load(path, &err);
	if (cfg == NULL) {
		fprintf(stderr, "flowbatch-web: configuration errors:\n%s\n", err.msg);
		return 1;
	}
	if (log_parse_level(cfg->log_level, &level) == 0)
		log_set_level(level);
	xmlInitParser();
	/* Once, before any thread: the task-center platform test sends a webhook. */
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
		fprintf(stderr, "flowbatch-web: libcurl does not initialise\n");
		config_free(cfg);
		return 1;
	}
	signal(SIGPIPE, SIG_IGN);
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	rc = server_run(cfg, &err);
	if (rc < 0)
		log_error("flowbatch-web failed", "error", LOG_STR(err.msg), NULL);
	curl_global_cleanup();
	xmlCleanupParser();
	config_free(cfg);
	return rc < 0 ? 1 : 0;
}
