/* SPDX-License-Identifier: MIT */
/*
 * confdoc: the flowbatch.conf(5) manual page, written from the configuration table so that
 * the page and the program cannot disagree.  Owns nothing.
 */
#ifndef FB_CONFDOC_H
#define FB_CONFDOC_H

#include <stdio.h>

#include "err.h"

/*
 * Write the page as roff to f.  With placeholders, the configured paths and the version
 * are written as @sysconfdir@, @pkgdatadir@ and @VERSION@ (the build fills them in, as it
 * does for the other pages); without, as this program was built with them.
 * Returns 0, or -1 with err filled if writing failed.
 */
int confdoc_write_man(FILE *f, int placeholders, struct fb_err *err) FB_MUSTCHECK;

#endif
