/* SPDX-License-Identifier: MIT */
/*
 * confdoc: flowbatch.conf(5) from the configuration table.  The prose around the keys is
 * here; every key, its type, bounds, default, reloadability and help come from config.c,
 * so that a key added there is documented by the next build.  `make` writes the page with
 * placeholders for the paths into the source tree (it is shipped in the tarball, so that
 * a cross build or a read-only source tree never has to run a program) and fills them in
 * like the other pages.  Owns nothing; writes to the caller's stream.
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "config.h"
#include "confdoc.h"

/* Roff text: a backslash is \e, a line never starts with a control character; literal
 * values (names, defaults) also get \- so that they can be copied.  Configured paths are
 * written as they are, like the build writes them into the pages. */
static void
put_text(FILE *f, const char *s, int literal)
{
	if (*s == '.' || *s == '\'')
		fputs("\\&", f);
	for (; *s != '\0'; s++) {
		if (*s == '\\')
			fputs("\\e", f);
		else if (*s == '-' && literal)
			fputs("\\-", f);
		else
			fputc(*s, f);
	}
}

/* A default as it reads in the page: a configured directory is written like the build
 * fills in a placeholder (as is), so that --man and the installed page are the same. */
static void
put_default(FILE *f, const char *def, int placeholders)
{
	static const struct {
		const char *dir, *placeholder;
	} dirs[] = {{FB_PKGDATADIR, "@pkgdatadir@"}, {FB_SYSCONFDIR, "@sysconfdir@"}};
	size_t i;

	if (def[0] == '\0') {
		fputs("empty", f);
		return;
	}
	fputs("\\fB", f);
	for (i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++) {
		size_t n = strlen(dirs[i].dir);

		if (strncmp(def, dirs[i].dir, n) == 0 && (def[n] == '/' || def[n] == '\0')) {
			if (placeholders)
				fputs(dirs[i].placeholder, f);
			else
				put_text(f, dirs[i].dir, 0);
			def += n;
			break;
		}
	}
	put_text(f, def, 1);
	fputs("\\fR", f);
}

static void
put_key(FILE *f, const struct config_key_info *k, int placeholders)
{
	const char *c;

	fputs(".TP\n.B ", f);
	put_text(f, k->key.section, 1);
	fputc('.', f);
	put_text(f, k->key.name, 1);
	fputc('\n', f);
	put_text(f, k->key.help, 0);
	fputs(".\n.br\n", f);
	if (k->type == CONFIG_INTEGER)
		fprintf(f, "Integer from %lld to %lld; default ", k->min, k->max);
	else
		fputs("String; default ", f);
	put_default(f, k->key.def, placeholders);
	fputs(k->reloadable ? "; reloaded on SIGHUP.\n" : "; read at start only.\n", f);
	fputs(".br\nEnvironment: \\fBFLOWBATCH_", f);
	for (c = k->key.section; *c != '\0'; c++)
		fputc(toupper((unsigned char)*c), f);
	fputc('_', f);
	for (c = k->key.name; *c != '\0'; c++)
		fputc(toupper((unsigned char)*c), f);
	fputs("\\fR\n", f);
}

int
confdoc_write_man(FILE *f, int placeholders, struct fb_err *err)
{
	const char *conf = placeholders ? "@sysconfdir@/flowbatch/flowbatch.conf"
	                                : FB_SYSCONFDIR "/flowbatch/flowbatch.conf";
	const char *sample = placeholders ? "@sysconfdir@/flowbatch/flowbatch.conf.sample"
	                                  : FB_SYSCONFDIR "/flowbatch/flowbatch.conf.sample";
	struct config_key_info k, other;
	int n, i, j;

	(void)config_keys(&n);
	fputs(".\\\" Written by `flowbatchctl config-keys --man` from the configuration table\n"
	      ".\\\" (shared/config.c): change the table, not this page.\n",
	      f);
	fprintf(f, ".TH FLOWBATCH.CONF 5 \"\" \"flowbatch %s\" \"flowbatch\"\n",
	        placeholders ? "@VERSION@" : PACKAGE_VERSION);
	/* Ragged right: configured paths are long words that a justified line cannot take. */
	fputs(".ad l\n"
	      ".SH NAME\n"
	      "flowbatch.conf \\- configuration of flowbatch\\-web, flowbatch\\-runner and "
	      "flowbatchctl\n"
	      ".SH SYNOPSIS\n.I ",
	      f);
	put_text(f, conf, 0);
	fputs("\n.SH DESCRIPTION\n"
	      "The three programs of flowbatch read one file: the one named by their\n"
	      ".B \\-c\n"
	      "option, else by\n"
	      ".BR FLOWBATCH_CONFIG ,\n"
	      "else\n.I ",
	      f);
	put_text(f, conf, 0);
	fputs("\nwhen it exists; without one, the defaults below apply.\n"
	      ".PP\n"
	      "A\n"
	      ".BI [ section ]\n"
	      "line starts a section; under it, lines\n"
	      ".IB key \" = \" value\n"
	      "set its keys.\n"
	      "Spaces around keys and values are ignored and values are not quoted.\n"
	      "Empty lines and lines starting with\n"
	      ".B #\n"
	      "or\n"
	      ".B ;\n"
	      "are comments.\n"
	      "An unknown section or key, a value that is not a whole number where one is\n"
	      "expected and a number out of range are errors.\n"
	      "Every error of the file and the environment is reported at once, one a line,\n"
	      "and the program exits 1 before it opens any socket.\n"
	      ".PP\n"
	      "Each key can also be set by an environment variable,\n"
	      ".BI FLOWBATCH_ SECTION _ KEY\n"
	      "in upper case; the environment wins over the file.\n"
	      ".PP\n"
	      "The keys reloaded on SIGHUP take effect when\n"
	      ".BR flowbatch\\-runner (8)\n"
	      "receives that signal; the others are read when a program starts.\n"
	      ".SH KEYS\n",
	      f);
	for (i = 0; i < n; i++) {
		config_key_info(i, &k);
		for (j = 0; j < i; j++) {
			config_key_info(j, &other);
			if (strcmp(other.key.section, k.key.section) == 0)
				break;
		}
		if (j < i)
			continue; /* its section is already written */
		fputs(".SS [", f);
		put_text(f, k.key.section, 1);
		fputs("]\n", f);
		for (j = i; j < n; j++) {
			config_key_info(j, &other);
			if (strcmp(other.key.section, k.key.section) == 0)
				put_key(f, &other, placeholders);
		}
	}
	fputs(".SH ENVIRONMENT\n"
	      ".TP\n"
	      ".B FLOWBATCH_CONFIG\n"
	      "the file read when no\n"
	      ".B \\-c\n"
	      "option is given.\n"
	      ".TP\n"
	      ".BI FLOWBATCH_ SECTION _ KEY\n"
	      "the value of\n"
	      ".IB section . key\n"
	      "(see KEYS).\n"
	      ".SH FILES\n"
	      ".TP\n.I ",
	      f);
	put_text(f, conf, 0);
	fputs("\nread when neither\n"
	      ".B \\-c\n"
	      "nor\n"
	      ".B FLOWBATCH_CONFIG\n"
	      "names a file.\n"
	      ".TP\n.I ",
	      f);
	put_text(f, sample, 0);
	fputs("\nan example with every key.\n"
	      ".SH SEE ALSO\n"
	      ".BR flowbatch\\-web (8),\n"
	      ".BR flowbatch\\-runner (8),\n"
	      ".BR flowbatchctl (8)\n",
	      f);
	if (fflush(f) != 0 || ferror(f)) {
		fb_err_set(err, FB_EIO, "writing the manual page: %s", strerror(errno));
		return -1;
	}
	return 0;
}
