/* SPDX-License-Identifier: MIT */
/*
 * msg_int: the catalogue's layout, shared by msg.c (lookup, rendering) and
 * msg_catalogue.c (the entries) only.
 */
#ifndef FB_MSG_INT_H
#define FB_MSG_INT_H

#include <stddef.h>

struct msg_def {
	const char *code;
	const char *text[2]; /* [MSG_ZH], [MSG_EN] */
};

extern const struct msg_def msg_catalogue[];
extern const size_t msg_catalogue_len;

#endif
