/* SPDX-License-Identifier: MIT */
/*
 * cli: the options every program takes, the same way: -c/--config FILE, -h/--help,
 * -V/--version.  Help and version are answered before any configuration is read.
 * Owns nothing.
 */
#ifndef FB_CLI_H
#define FB_CLI_H

#include <stdio.h>

struct cli {
	const char *name;         /* the program, for --version and messages */
	void (*usage)(FILE *f);   /* writes the usage; calls cli_options_help */
	int commands;             /* 1: the options end at the first operand (a command) */
};

/*
 * Parse the options of argv.  Returns -1 when the program goes on: *path is the -c FILE
 * (borrowed from argv) or left as it was, *first the index of the first operand (with
 * commands == 0 there is none).  Otherwise returns the exit status after answering: 0 for
 * --help (usage on stdout) or --version, 2 for a usage error (usage on stderr).
 */
int cli_parse(const struct cli *cli, int argc, char **argv, const char **path, int *first);
/* The lines of the common options, for a usage text; help says what --help prints. */
void cli_options_help(FILE *f, const char *help);

#endif
