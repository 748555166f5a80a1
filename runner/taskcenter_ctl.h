/* SPDX-License-Identifier: MIT */
/*
 * taskcenter_ctl: the `taskcenter` command of flowbatchctl (see taskcenter_ctl.c).
 */
#ifndef FB_TASKCENTER_CTL_H
#define FB_TASKCENTER_CTL_H

#include "config.h"
#include "err.h"

/* `taskcenter reconcile`: argv holds its options.  0 done, -1 failed (err says why), 2 bad
 * usage. */
int taskcenter_ctl_reconcile(const struct fb_config *cfg, int argc, char **argv, struct fb_err *err);

#endif
