/* SPDX-License-Identifier: MIT */
/*
 * flowbatch-web: parse arguments, load the configuration, block signals, serve.
 */
#include <locale.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <libxml/parser.h>

#include "config.h"
#include "log.h"
#include "server.h"

static void
usage(void)
{
	fprintf(stderr, "usage: flowbatch-web [-c CONFIG]\n");
	exit(2);
}

int
main(int argc, char **argv)
{
	struct fb_err err = {0};
	struct fb_config *cfg;
	const char *path = NULL;
	enum log_level level;
	sigset_t set;
	int c, rc;

	while ((c = getopt(argc, argv, "c:h")) != -1) {
		if (c == 'c')
			path = optarg;
		else
			usage();
	}
	if (optind != argc)
		usage();
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
	signal(SIGPIPE, SIG_IGN);
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	rc = server_run(cfg, &err);
	if (rc < 0)
		log_error("flowbatch-web failed", "error", LOG_STR(err.msg), NULL);
	xmlCleanupParser();
	config_free(cfg);
	return rc < 0 ? 1 : 0;
}
