/* SPDX-License-Identifier: MIT */
/*
 * bench/xlsx-read.c: read the first sheet of an .xlsx file with xlsx_read, as an import
 * does (every cell visited), and print the rows, cells and the time taken:
 *   xlsx-read FILE
 * prints "rows=N cells=N bytes=N ms=N.N cpu_ms=N.N rows_per_s=N" (wall and CPU time).  Built and run by bench/xlsx-read.
 * The time covers opening the archive (workbook, styles, shared strings) and the sheet.
 * The part caps are raised to 1 GiB (the 100k x 20 sheet inflates past the default 64 MiB);
 * every other limit is the default.
 */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include <libxml/parser.h>

#include "xlsx_read.h"

struct count {
	long rows;
	size_t cells, bytes;
};

static int
on_row(void *arg, long row, const struct xlsx_cell *cells, size_t n, struct fb_err *err)
{
	struct count *c = arg;
	size_t i;

	(void)row;
	(void)err;
	c->rows++;
	c->cells += n;
	for (i = 0; i < n; i++)
		c->bytes += cells[i].len;
	return 0;
}

static double
now_ms(clockid_t clock)
{
	struct timespec ts;

	clock_gettime(clock, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

int
main(int argc, char **argv)
{
	struct xlsx_limits lim = xlsx_limits_default();
	struct fb_err err = {0};
	struct count c = {0};
	struct xlsx *x;
	double t0, c0, ms, cpu;

	if (argc != 2) {
		fprintf(stderr, "usage: %s FILE.xlsx\n", argv[0]);
		return 2;
	}
	/* The 100k x 20 file's sheet is larger than the 64 MiB an upload may inflate to. */
	lim.max_part_bytes = 1024u << 20;
	lim.max_total_bytes = 1024u << 20;
	xmlInitParser();
	t0 = now_ms(CLOCK_MONOTONIC);
	c0 = now_ms(CLOCK_PROCESS_CPUTIME_ID);
	x = xlsx_open_file(argv[1], &lim, &err);
	if (x == NULL || xlsx_read_sheet(x, NULL, on_row, &c, &err) < 0) {
		fprintf(stderr, "%s: %s\n", argv[1], err.msg);
		xlsx_close(x);
		return 1;
	}
	xlsx_close(x);
	ms = now_ms(CLOCK_MONOTONIC) - t0;
	cpu = now_ms(CLOCK_PROCESS_CPUTIME_ID) - c0;
	printf("rows=%ld cells=%zu bytes=%zu ms=%.1f cpu_ms=%.1f rows_per_s=%.0f\n", c.rows,
	       c.cells, c.bytes, ms, cpu, ms > 0 ? c.rows / (ms / 1e3) : 0);
	xmlCleanupParser();
	return 0;
}
