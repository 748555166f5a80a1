/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer harness for xlsx_read.  An input starting with "PK" is an archive as uploaded;
 * any other input is split at NUL bytes into the parts of a stored (uncompressed) workbook
 * -- _rels/.rels, xl/workbook.xml, xl/_rels/workbook.xml.rels, xl/worksheets/sheet1.xml,
 * xl/sharedStrings.xml, xl/styles.xml -- so that mutations reach the XML readers instead of
 * failing the zip CRC.  Every sheet is read and every cell touched; no string cell may be
 * longer than the limit of characters the harness sets (the corpus has texts, CDATA
 * sections, rich-text runs and inline strings past it, and shared string indexes past
 * LONG_MAX).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <libxml/parser.h>
#include <zip.h>

#include "utf8.h"
#include "xlsx_read.h"

#define FUZZ_CELL_CHARS 1000

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *const part_names[] = {
	"_rels/.rels", "xl/workbook.xml", "xl/_rels/workbook.xml.rels",
	"xl/worksheets/sheet1.xml", "xl/sharedStrings.xml", "xl/styles.xml",
};

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	xmlInitParser();
	return 0;
}

static int
on_row(void *arg, long row, const struct xlsx_cell *cells, size_t n, struct fb_err *err)
{
	size_t *sum = arg, i;
	char d[11];

	(void)err;
	if (row < 1)
		abort();
	for (i = 0; i < n; i++) {
		if (strlen(cells[i].value) != cells[i].len || cells[i].col < 0 ||
		    (i > 0 && cells[i].col <= cells[i - 1].col))
			abort();
		/* No text past the harness's max_cell_chars ever reaches a caller. */
		if (cells[i].type == XLSX_STRING && utf8_chars(cells[i].value) > FUZZ_CELL_CHARS)
			abort();
		*sum += cells[i].len;
		if (cells[i].type == XLSX_NUMBER && xlsx_serial_to_date(cells[i].num, 0, d) == 0 &&
		    strlen(d) != 10)
			abort();
	}
	return 0;
}

/* Build a stored zip from NUL-separated parts; returns malloc'd bytes or NULL. */
static char *
zip_from_parts(const uint8_t *data, size_t size, size_t *outlen)
{
	zip_error_t ze;
	zip_source_t *src;
	zip_t *za;
	zip_stat_t st;
	char *out = NULL;
	size_t off = 0, i;

	zip_error_init(&ze);
	src = zip_source_buffer_create(NULL, 0, 0, &ze);
	if (src == NULL)
		goto done;
	za = zip_open_from_source(src, ZIP_TRUNCATE, &ze);
	if (za == NULL) {
		zip_source_free(src);
		goto done;
	}
	zip_source_keep(src);
	for (i = 0; i < sizeof(part_names) / sizeof(part_names[0]) && off <= size; i++) {
		const uint8_t *nul = memchr(data + off, 0, size - off);
		size_t n = nul ? (size_t)(nul - (data + off)) : size - off;
		zip_source_t *s = zip_source_buffer(za, data + off, n, 0);
		zip_int64_t idx;

		if (s == NULL)
			break;
		idx = zip_file_add(za, part_names[i], s, ZIP_FL_ENC_UTF_8);
		if (idx < 0) {
			zip_source_free(s);
			break;
		}
		zip_set_file_compression(za, (zip_uint64_t)idx, ZIP_CM_STORE, 0);
		off += n + 1;
	}
	if (zip_close(za) < 0) {
		zip_discard(za);
		zip_source_free(src);
		goto done;
	}
	if (zip_source_stat(src, &st) == 0 && zip_source_open(src) == 0) {
		out = malloc(st.size ? st.size : 1);
		if (zip_source_read(src, out, st.size) != (zip_int64_t)st.size) {
			free(out);
			out = NULL;
		}
		*outlen = st.size;
		zip_source_close(src);
	}
	zip_source_free(src);
done:
	zip_error_fini(&ze);
	return out;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct xlsx_limits lim = xlsx_limits_default();
	struct fb_err err = {0};
	struct xlsx *x;
	char *built = NULL;
	const void *buf = data;
	size_t len = size, sum = 0, i;

	lim.max_part_bytes = 1 << 20;
	lim.max_total_bytes = 4 << 20;
	lim.max_shared_strings = 10000;
	lim.max_shared_bytes = 1 << 20;
	lim.max_rows = 10000;
	lim.max_cols = 200;
	lim.max_cell_bytes = 4096;
	lim.max_cell_chars = FUZZ_CELL_CHARS; /* text runs of 10000 raw bytes at most */
	if (size < 2 || data[0] != 'P' || data[1] != 'K') {
		built = zip_from_parts(data, size, &len);
		if (built == NULL)
			return 0;
		buf = built;
	}
	x = xlsx_open_buffer(buf, len, &lim, &err);
	if (x != NULL) {
		for (i = 0; i < xlsx_sheet_count(x); i++) {
			const struct xlsx_sheet *s = xlsx_sheet_at(x, i);

			if (xlsx_sheet_find(x, s->name) == NULL)
				abort();
			if (xlsx_read_sheet(x, s->name, on_row, &sum, &err) < 0 && err.msg[0] == '\0')
				abort();
		}
		if (xlsx_read_sheet(x, NULL, on_row, &sum, &err) < 0 && err.msg[0] == '\0')
			abort();
		xlsx_close(x);
	} else if (err.msg[0] == '\0' || err.code == FB_OK) {
		abort();
	}
	free(built);
	return 0;
}
