/* SPDX-License-Identifier: MIT */
/*
 * cli: -c/--config, -h/--help and -V/--version with getopt_long, for the three programs,
 * so that each answers --help and --version without a configuration and a usage error
 * always exits 2 with the usage on stderr.  Owns nothing.
 */
#include <getopt.h>
#include <stdio.h>

#include "cli.h"

int
cli_parse(const struct cli *cli, int argc, char **argv, const char **path, int *first)
{
	static const struct option longopts[] = {
		{"config", required_argument, NULL, 'c'},
		{"help", no_argument, NULL, 'h'},
		{"version", no_argument, NULL, 'V'},
		{NULL, 0, NULL, 0},
	};
	int opt;

	/* "+": with commands, a command's own arguments may look like options. */
	while ((opt = getopt_long(argc, argv, cli->commands ? "+c:hV" : "c:hV", longopts,
	                          NULL)) != -1) {
		switch (opt) {
		case 'c':
			*path = optarg;
			break;
		case 'h':
			cli->usage(stdout);
			return 0;
		case 'V':
			printf("%s (%s) %s\n", cli->name, PACKAGE_NAME, PACKAGE_VERSION);
			return 0;
		default:
			cli->usage(stderr);
			return 2;
		}
	}
	if (optind < argc && !cli->commands) {
		fprintf(stderr, "%s: unexpected argument \"%s\"\n", cli->name, argv[optind]);
		cli->usage(stderr);
		return 2;
	}
	*first = optind;
	return -1;
}

void
cli_options_help(FILE *f, const char *help)
{
	fprintf(f, "  -c, --config CONFIG    the configuration file (default: $FLOWBATCH_CONFIG,\n"
	           "                         else " FB_SYSCONFDIR "/flowbatch/flowbatch.conf)\n"
	           "  -h, --help             %s\n"
	           "  -V, --version          the version\n",
	        help);
}
