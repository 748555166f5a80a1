/* SPDX-License-Identifier: MIT */
/*
 * excel-ref: the bare-libxlsxwriter reference of bench/excel — the same workbook as a
 * template export, written from cells already in memory (no database, no HTTP, no layout
 * planning, no JSON), with the options flowbatch uses (constant_memory, tmpdir).
 *
 *   excel-ref CELLS OUT.xlsx TMPDIR
 *
 * CELLS is the export described line by line (written by bench/excel from the exported
 * file), fields separated by tabs, with \\, \t and \n escaped:
 *   F idx numfmt locked bold bg fontcolor border wrap     a format ("-": unset)
 *   S idx name hidden protected fmtcols fmtrows active freeze_row freeze_col
 *   W sheet first last width fmt                          column width and format
 *   c sheet row col fmt s|n value                         a cell (in row order per sheet)
 *   V sheet r1 c1 r2 c2 type op f1 f2 ptitle prompt etitle error     a data validation
 *   N name ref                                            a defined name
 * The whole file is read and parsed first; only the writing is timed: creating the
 * workbook, its formats, sheets, columns, cells, validations, names, protection, and
 * workbook_close (which zips).  Prints the time in ms.  Built by bench/excel with cc and
 * libxlsxwriter.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <xlsxwriter.h>

#define MAXF 14

struct line {
	char *f[MAXF];
	int n;
};

static struct line *lines;
static size_t nlines;

/* Split s (modified) on tabs and unescape each field. */
static void
split(char *s, struct line *l)
{
	char *p = s, *w;

	l->n = 0;
	while (l->n < MAXF) {
		l->f[l->n++] = p;
		for (w = p; *p != '\0' && *p != '\t'; p++) {
			if (*p == '\\' && p[1] != '\0') {
				p++;
				*w++ = *p == 't' ? '\t' : *p == 'n' ? '\n' : *p;
			} else {
				*w++ = *p;
			}
		}
		if (*p == '\0') {
			*w = '\0';
			break;
		}
		*w = '\0';
		p++;
	}
}

static int
load(const char *path)
{
	FILE *f = fopen(path, "r");
	char *buf = NULL;
	size_t cap = 0, alloc = 0;
	ssize_t len;

	if (f == NULL)
		return -1;
	while ((len = getline(&buf, &cap, f)) >= 0) {
		if (len > 0 && buf[len - 1] == '\n')
			buf[--len] = '\0';
		if (nlines == alloc) {
			alloc = alloc ? alloc * 2 : 1024;
			lines = realloc(lines, alloc * sizeof(*lines));
			if (lines == NULL)
				return -1;
		}
		split(strdup(buf), &lines[nlines++]);
	}
	free(buf);
	fclose(f);
	return 0;
}

static int
criteria(const char *op)
{
	static const char *const ops[] = {"between", "notBetween", "equal", "notEqual",
	    "greaterThan", "lessThan", "greaterThanOrEqual", "lessThanOrEqual"};
	size_t i;

	for (i = 0; i < sizeof(ops) / sizeof(ops[0]); i++)
		if (strcmp(op, ops[i]) == 0)
			return LXW_VALIDATION_CRITERIA_BETWEEN + (int)i;
	return LXW_VALIDATION_CRITERIA_BETWEEN;
}

static char *
formula(const char *f)
{
	static char buf[2][4096];
	static int k;

	k = !k;
	snprintf(buf[k], sizeof(buf[k]), "=%s", f);
	return buf[k];
}

static int
validation(lxw_worksheet *ws, const struct line *l)
{
	lxw_data_validation dv;
	const char *type = l->f[6];
	int between;

	memset(&dv, 0, sizeof(dv));
	dv.criteria = (uint8_t)criteria(l->f[7]);
	between = dv.criteria == LXW_VALIDATION_CRITERIA_BETWEEN ||
	          dv.criteria == LXW_VALIDATION_CRITERIA_NOT_BETWEEN;
	if (strcmp(type, "list") == 0) {
		dv.validate = LXW_VALIDATION_TYPE_LIST_FORMULA;
		dv.value_formula = formula(l->f[8]);
		dv.criteria = LXW_VALIDATION_CRITERIA_NONE;
	} else if (strcmp(type, "custom") == 0) {
		dv.validate = LXW_VALIDATION_TYPE_CUSTOM_FORMULA;
		dv.value_formula = formula(l->f[8]);
		dv.criteria = LXW_VALIDATION_CRITERIA_NONE;
	} else {
		dv.validate = strcmp(type, "whole") == 0     ? LXW_VALIDATION_TYPE_INTEGER
		              : strcmp(type, "decimal") == 0 ? LXW_VALIDATION_TYPE_DECIMAL
		              : strcmp(type, "date") == 0    ? LXW_VALIDATION_TYPE_DATE_NUMBER
		              : strcmp(type, "textLength") == 0 ? LXW_VALIDATION_TYPE_LENGTH
		                                                : LXW_VALIDATION_TYPE_ANY;
		if (between) {
			dv.minimum_number = strtod(l->f[8], NULL);
			dv.maximum_number = strtod(l->f[9], NULL);
		} else {
			dv.value_number = strtod(l->f[8], NULL);
		}
	}
	if (dv.validate == LXW_VALIDATION_TYPE_ANY)
		dv.criteria = LXW_VALIDATION_CRITERIA_NONE;
	if (l->f[10][0] != '\0')
		dv.input_title = l->f[10];
	if (l->f[11][0] != '\0')
		dv.input_message = l->f[11];
	if (l->f[12][0] != '\0')
		dv.error_title = l->f[12];
	if (l->f[13][0] != '\0')
		dv.error_message = l->f[13];
	dv.show_input = LXW_VALIDATION_ON;
	dv.show_error = LXW_VALIDATION_ON;
	return worksheet_data_validation_range(ws, (lxw_row_t)atol(l->f[2]), (lxw_col_t)atoi(l->f[3]),
	                                       (lxw_row_t)atol(l->f[4]), (lxw_col_t)atoi(l->f[5]), &dv);
}

int
main(int argc, char **argv)
{
	lxw_workbook_options opt = {.constant_memory = LXW_TRUE};
	lxw_workbook *wb;
	lxw_worksheet *ws[16] = {0};
	lxw_format *fmt[64] = {0};
	struct {
		int hidden, prot, fcols, frows, active, frow, fcol;
	} sh[16];
	struct timespec t0, t1;
	size_t i;
	int e = 0, nsheets = 0;

	if (argc != 4) {
		fprintf(stderr, "usage: excel-ref CELLS OUT.xlsx TMPDIR\n");
		return 2;
	}
	if (load(argv[1]) < 0) {
		perror(argv[1]);
		return 1;
	}
	opt.tmpdir = argv[3];
	memset(sh, 0, sizeof(sh));

	clock_gettime(CLOCK_MONOTONIC, &t0);
	wb = workbook_new_opt(argv[2], &opt);
	if (wb == NULL)
		return 1;
	for (i = 0; i < nlines; i++) {
		const struct line *l = &lines[i];
		const char *k = l->f[0];
		int s;

		if (k[0] == 'F' && l->n >= 9) {
			int x = atoi(l->f[1]);
			lxw_format *f;

			if (x < 0 || x >= 64)
				continue;
			f = fmt[x] = workbook_add_format(wb);
			if (strcmp(l->f[2], "-") != 0)
				format_set_num_format(f, l->f[2]);
			if (strcmp(l->f[3], "0") == 0)
				format_set_unlocked(f);
			if (strcmp(l->f[4], "1") == 0)
				format_set_bold(f);
			if (strcmp(l->f[5], "-") != 0)
				format_set_bg_color(f, (lxw_color_t)strtol(l->f[5], NULL, 16));
			if (strcmp(l->f[6], "-") != 0)
				format_set_font_color(f, (lxw_color_t)strtol(l->f[6], NULL, 16));
			if (strcmp(l->f[7], "1") == 0)
				format_set_border(f, LXW_BORDER_THIN);
			if (strcmp(l->f[8], "1") == 0)
				format_set_text_wrap(f);
		} else if (k[0] == 'S' && l->n >= 10) {
			s = atoi(l->f[1]);
			if (s < 0 || s >= 16)
				continue;
			ws[s] = workbook_add_worksheet(wb, l->f[2]);
			sh[s].hidden = atoi(l->f[3]);
			sh[s].prot = atoi(l->f[4]);
			sh[s].fcols = atoi(l->f[5]);
			sh[s].frows = atoi(l->f[6]);
			sh[s].active = atoi(l->f[7]);
			sh[s].frow = atoi(l->f[8]);
			sh[s].fcol = atoi(l->f[9]);
			if (ws[s] != NULL && (sh[s].frow || sh[s].fcol))
				worksheet_freeze_panes(ws[s], (lxw_row_t)sh[s].frow, (lxw_col_t)sh[s].fcol);
			nsheets = s + 1 > nsheets ? s + 1 : nsheets;
		} else if (k[0] == 'W' && l->n >= 6) {
			int x = atoi(l->f[5]);

			s = atoi(l->f[1]);
			e = worksheet_set_column(ws[s], (lxw_col_t)atoi(l->f[2]), (lxw_col_t)atoi(l->f[3]),
			                         strtod(l->f[4], NULL), x >= 0 && x < 64 ? fmt[x] : NULL);
		} else if (k[0] == 'c' && l->n >= 7) {
			int x = atoi(l->f[4]);
			lxw_format *f = x >= 0 && x < 64 ? fmt[x] : NULL;

			s = atoi(l->f[1]);
			if (l->f[5][0] == 'n')
				e = worksheet_write_number(ws[s], (lxw_row_t)atol(l->f[2]),
				                           (lxw_col_t)atoi(l->f[3]), strtod(l->f[6], NULL), f);
			else
				e = worksheet_write_string(ws[s], (lxw_row_t)atol(l->f[2]),
				                           (lxw_col_t)atoi(l->f[3]), l->f[6], f);
		} else if (k[0] == 'V' && l->n >= 14) {
			e = validation(ws[atoi(l->f[1])], l);
		} else if (k[0] == 'N' && l->n >= 3) {
			e = workbook_define_name(wb, l->f[1], formula(l->f[2]));
		}
		if (e != LXW_NO_ERROR) {
			fprintf(stderr, "excel-ref: line %zu (%s): %s\n", i + 1, k, lxw_strerror(e));
			return 1;
		}
	}
	for (int s = 0; s < nsheets; s++) {
		lxw_protection prot = {0};

		if (ws[s] == NULL)
			continue;
		if (sh[s].prot) {
			prot.format_columns = (uint8_t)sh[s].fcols;
			prot.format_rows = (uint8_t)sh[s].frows;
			worksheet_protect(ws[s], NULL, &prot);
		}
		if (sh[s].active)
			worksheet_activate(ws[s]);
		if (sh[s].hidden)
			worksheet_hide(ws[s]);
	}
	e = workbook_close(wb);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	if (e != LXW_NO_ERROR) {
		fprintf(stderr, "excel-ref: workbook_close: %s\n", lxw_strerror(e));
		return 1;
	}
	printf("%.0f\n", (double)(t1.tv_sec - t0.tv_sec) * 1e3 + (double)(t1.tv_nsec - t0.tv_nsec) / 1e6);
	for (i = 0; i < nlines; i++)
		free(lines[i].f[0]);
	free(lines);
	return 0;
}
