/* SPDX-License-Identifier: MIT */
/*
 * Unit tests: the xlsx reader on workbooks written by libxlsxwriter (inline and shared
 * strings), on hand-made archives (Strict OOXML, rich text, escapes, r-less cells) and on
 * hostile ones (XXE, zip bombs, lying sizes, not a zip, caps), plus one file saved by
 * openpyxl under tests/fixtures/.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <json-c/json.h>
#include <libxml/parser.h>
#include <xlsxwriter.h>
#include <zip.h>

#include "mem.h"
#include "msg.h"
#include "xlsx_read.h"

/* ---- helpers ----------------------------------------------------------------------- */

/* Rows as text: "R2 A=s:差旅 B=n*:45000\n" (s string, n number, b bool, e error,
 * d ISO date; '*' marks is_date). */
static int
dump_row(void *arg, long row, const struct xlsx_cell *cells, size_t n, struct fb_err *err)
{
	struct buf *b = arg;
	static const char types[] = "snbed";
	size_t i;

	buf_printf(b, "R%ld", row);
	for (i = 0; i < n; i++) {
		ck_assert_int_eq(strlen(cells[i].value), cells[i].len);
		if (cells[i].col < 26)
			buf_printf(b, " %c=", 'A' + cells[i].col);
		else
			buf_printf(b, " c%d=", cells[i].col);
		buf_printf(b, "%c%s:%s", types[cells[i].type], cells[i].is_date ? "*" : "",
		           cells[i].value);
	}
	buf_puts(b, "\n");
	return 0;
}

static char *
slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	struct buf b = {0};
	char chunk[8192];
	size_t n;

	ck_assert_ptr_nonnull(f);
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
		buf_add(&b, chunk, n);
	fclose(f);
	*len = b.len;
	buf_cstr(&b);
	return b.data;
}

struct entry {
	const char *name;
	const char *data;
	size_t len; /* 0 = strlen(data) */
};

/* Build a zip in memory from entries; the caller frees the result. */
static char *
make_zip(const struct entry *e, size_t n, size_t *outlen)
{
	zip_error_t ze;
	zip_source_t *src;
	zip_t *za;
	zip_stat_t st;
	char *out;
	size_t i;

	zip_error_init(&ze);
	src = zip_source_buffer_create(NULL, 0, 0, &ze);
	ck_assert_ptr_nonnull(src);
	za = zip_open_from_source(src, ZIP_TRUNCATE, &ze);
	ck_assert_ptr_nonnull(za);
	zip_source_keep(src);
	for (i = 0; i < n; i++) {
		size_t len = e[i].len ? e[i].len : strlen(e[i].data);
		zip_source_t *s = zip_source_buffer(za, e[i].data, len, 0);

		ck_assert_ptr_nonnull(s);
		ck_assert_int_ge(zip_file_add(za, e[i].name, s, ZIP_FL_ENC_UTF_8), 0);
	}
	ck_assert_int_eq(zip_close(za), 0);
	ck_assert_int_eq(zip_source_stat(src, &st), 0);
	out = xmalloc(st.size + 1);
	ck_assert_int_eq(zip_source_open(src), 0);
	ck_assert_int_eq(zip_source_read(src, out, st.size), (zip_int64_t)st.size);
	zip_source_close(src);
	zip_source_free(src);
	zip_error_fini(&ze);
	*outlen = st.size;
	return out;
}

static const char RELS[] =
        "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>"
        "<Relationships xmlns=\"http://schemas.openxmlformats.org/package/2006/relationships\">"
        "<Relationship Id=\"rId1\" Type=\"http://schemas.openxmlformats.org/officeDocument/2006/"
        "relationships/officeDocument\" Target=\"xl/workbook.xml\"/></Relationships>";

static const char WB[] =
        "<workbook xmlns=\"http://schemas.openxmlformats.org/spreadsheetml/2006/main\" "
        "xmlns:r=\"http://schemas.openxmlformats.org/officeDocument/2006/relationships\">"
        "<sheets><sheet name=\"S\" sheetId=\"1\" r:id=\"rId1\"/></sheets></workbook>";

static const char WBRELS[] =
        "<Relationships xmlns=\"http://schemas.openxmlformats.org/package/2006/relationships\">"
        "<Relationship Id=\"rId1\" Type=\"http://schemas.openxmlformats.org/officeDocument/2006/"
        "relationships/worksheet\" Target=\"worksheets/sheet1.xml\"/>"
        "<Relationship Id=\"rId2\" Type=\"http://schemas.openxmlformats.org/officeDocument/2006/"
        "relationships/sharedStrings\" Target=\"sharedStrings.xml\"/>"
        "<Relationship Id=\"rId3\" Type=\"http://schemas.openxmlformats.org/officeDocument/2006/"
        "relationships/styles\" Target=\"styles.xml\"/></Relationships>";

#define SHEET_HEAD "<worksheet xmlns=\"http://schemas.openxmlformats.org/spreadsheetml/2006/main\">"

/* A one-sheet workbook with the given sheet XML and optional shared strings / styles. */
static char *
make_book(const char *sheet, const char *sst, const char *styles, size_t *len)
{
	struct entry e[6] = {
		{"_rels/.rels", RELS, 0},
		{"xl/workbook.xml", WB, 0},
		{"xl/_rels/workbook.xml.rels", WBRELS, 0},
		{"xl/worksheets/sheet1.xml", sheet, 0},
	};
	size_t n = 4;

	if (sst != NULL)
		e[n++] = (struct entry){"xl/sharedStrings.xml", sst, 0};
	if (styles != NULL)
		e[n++] = (struct entry){"xl/styles.xml", styles, 0};
	return make_zip(e, n, len);
}

/* Open a buffer, read the first sheet; returns the dump (caller frees) or NULL with err. */
static char *
read_book(const char *data, size_t len, const struct xlsx_limits *lim, struct fb_err *err)
{
	struct xlsx *x = xlsx_open_buffer(data, len, lim, err);
	struct buf b = {0};

	if (x == NULL)
		return NULL;
	if (xlsx_read_sheet(x, NULL, dump_row, &b, err) < 0) {
		xlsx_close(x);
		free(b.data);
		return NULL;
	}
	xlsx_close(x);
	buf_cstr(&b);
	return b.data;
}

static char *
read_sheet_xml(const char *sheet, const char *sst, const char *styles,
               const struct xlsx_limits *lim, struct fb_err *err)
{
	size_t len;
	char *zip = make_book(sheet, sst, styles, &len);
	char *out = read_book(zip, len, lim, err);

	free(zip);
	return out;
}

/* ---- libxlsxwriter fixtures -------------------------------------------------------- */

static char *
write_lxw(int constant_memory, size_t *len)
{
	char path[] = "/tmp/check_xlsx_XXXXXX";
	char tmpdir[] = "/tmp";
	lxw_workbook_options opt = {.constant_memory = (uint8_t)constant_memory, .tmpdir = tmpdir};
	lxw_workbook *wb;
	lxw_worksheet *ws, *lists;
	lxw_format *datef;
	lxw_datetime dt = {2023, 3, 15, 0, 0, 0};
	char *data;
	int fd = mkstemp(path);

	ck_assert_int_ge(fd, 0);
	close(fd);
	wb = workbook_new_opt(path, &opt);
	ck_assert_ptr_nonnull(wb);
	ws = workbook_add_worksheet(wb, "数据");
	lists = workbook_add_worksheet(wb, "Lists");
	datef = workbook_add_format(wb);
	format_set_num_format(datef, "yyyy-mm-dd");
	ck_assert_int_eq(worksheet_write_string(ws, 0, 0, "名称", NULL), 0);
	ck_assert_int_eq(worksheet_write_string(ws, 0, 1, "金额", NULL), 0);
	ck_assert_int_eq(worksheet_write_string(ws, 0, 2, "日期", NULL), 0);
	ck_assert_int_eq(worksheet_write_string(ws, 1, 0, "差旅费 \"广州\" <&>", NULL), 0);
	ck_assert_int_eq(worksheet_write_number(ws, 1, 1, 1234.5, NULL), 0);
	ck_assert_int_eq(worksheet_write_datetime(ws, 1, 2, &dt, datef), 0);
	ck_assert_int_eq(worksheet_write_boolean(ws, 1, 3, 1, NULL), 0);
	ck_assert_int_eq(worksheet_write_formula_num(ws, 1, 4, "=B2*2", NULL, 2469), 0);
	ck_assert_int_eq(worksheet_write_formula_str(ws, 1, 5, "=A1&\"x\"", NULL, "名称x"), 0);
	ck_assert_int_eq(worksheet_write_number(ws, 3, 27, -0.25, NULL), 0);
	ck_assert_int_eq(worksheet_write_string(lists, 0, 0, "办公", NULL), 0);
	worksheet_hide(lists);
	ck_assert_int_eq(workbook_close(wb), 0);
	data = slurp(path, len);
	unlink(path);
	return data;
}

static void
check_lxw(int constant_memory)
{
	struct fb_err err = {0};
	size_t len;
	char *data = write_lxw(constant_memory, &len);
	struct xlsx *x = xlsx_open_buffer(data, len, NULL, &err);
	struct buf b = {0};

	ck_assert_msg(x != NULL, "%s", err.msg);
	ck_assert_int_eq(xlsx_sheet_count(x), 2);
	ck_assert_str_eq(xlsx_sheet_at(x, 0)->name, "数据");
	ck_assert_int_eq(xlsx_sheet_at(x, 0)->state, XLSX_SHEET_VISIBLE);
	ck_assert_int_eq(xlsx_sheet_find(x, "lists")->state, XLSX_SHEET_HIDDEN);
	ck_assert_ptr_null(xlsx_sheet_find(x, "nope"));
	ck_assert_int_eq(xlsx_read_sheet(x, NULL, dump_row, &b, &err), 0);
	ck_assert_str_eq(buf_cstr(&b),
	                 "R1 A=s:名称 B=s:金额 C=s:日期\n"
	                 "R2 A=s:差旅费 \"广州\" <&> B=n:1234.5 C=n*:45000 D=b:1 E=n:2469 "
	                 "F=s:名称x\n"
	                 "R4 c27=n:-0.25\n");
	buf_reset(&b);
	ck_assert_int_eq(xlsx_read_sheet(x, "Lists", dump_row, &b, &err), 0);
	ck_assert_str_eq(buf_cstr(&b), "R1 A=s:办公\n");
	ck_assert_int_eq(xlsx_read_sheet(x, "Other", dump_row, &b, &err), -1);
	ck_assert_int_eq(err.code, FB_EINVAL);
	xlsx_close(x);
	free(b.data);
	free(data);
}

START_TEST(lxw_inline_strings)
{
	check_lxw(1);
}
END_TEST

START_TEST(lxw_shared_strings)
{
	check_lxw(0);
}
END_TEST

START_TEST(open_file)
{
	char path[] = "/tmp/check_xlsx_file_XXXXXX";
	struct fb_err err = {0};
	size_t len;
	char *data = write_lxw(0, &len);
	struct xlsx *x;
	FILE *f;
	int fd = mkstemp(path);

	ck_assert_int_ge(fd, 0);
	f = fdopen(fd, "wb");
	ck_assert_int_eq(fwrite(data, 1, len, f), len);
	fclose(f);
	x = xlsx_open_file(path, NULL, &err);
	ck_assert_msg(x != NULL, "%s", err.msg);
	ck_assert_int_eq(xlsx_sheet_count(x), 2);
	xlsx_close(x);
	unlink(path);
	ck_assert_ptr_null(xlsx_open_file(path, NULL, &err));
	ck_assert_int_eq(err.code, FB_EIO);
	free(data);
}
END_TEST

/* ---- hand-made archives ------------------------------------------------------------ */

START_TEST(shared_rich_escapes)
{
	static const char sst[] =
	        "<sst xmlns=\"http://schemas.openxmlformats.org/spreadsheetml/2006/main\">"
	        "<si><r><t>广</t></r><r><rPr><b/></rPr><t xml:space=\"preserve\">州 </t></r>"
	        "<rPh sb=\"0\" eb=\"1\"><t>guang</t></rPh><phoneticPr fontId=\"1\"/></si>"
	        "<si><t>a_x000D_b_x005F_x000D_</t></si>"
	        "<si><t>_xD83D__xDE00_ _x00e9_ _x12G4_ _xD800_</t></si>"
	        "<si/><si><t/></si><si><t><![CDATA[<x>]]></t></si></sst>";
	static const char sheet[] = SHEET_HEAD "<sheetData><row r=\"1\">"
	        "<c r=\"A1\" t=\"s\"><v>0</v></c><c r=\"B1\" t=\"s\"><v>1</v></c>"
	        "<c r=\"C1\" t=\"s\"><v>2</v></c><c r=\"D1\" t=\"s\"><v>3</v></c>"
	        "<c r=\"E1\" t=\"s\"><v>5</v></c><c r=\"F1\" t=\"inlineStr\"><is><r><t>审</t></r>"
	        "<r><t>批_x000A_</t></r><rPh><t>x</t></rPh></is></c></row></sheetData></worksheet>";
	struct fb_err err = {0};
	char *out = read_sheet_xml(sheet, sst, NULL, NULL, &err);

	ck_assert_msg(out != NULL, "%s", err.msg);
	ck_assert_str_eq(out, "R1 A=s:广州  B=s:a\rb_x000D_ C=s:😀 é _x12G4_ _xD800_ D=s: "
	                      "E=s:<x> F=s:审批\n\n");
	free(out);
}
END_TEST

START_TEST(types_and_missing_refs)
{
	static const char sheet[] = SHEET_HEAD "<sheetData>"
	        "<row><c t=\"inlineStr\"><is><t>a</t></is></c><c><v>2</v></c>"
	        "<c t=\"b\"><v>0</v></c><c t=\"e\"><v>#N/A</v></c>"
	        "<c t=\"d\"><v>2024-02-29T00:00:00</v></c><c t=\"str\"><f>A1</f><v>a</v></c></row>"
	        "<row r=\"3\" spans=\"1:3\"><c s=\"0\"/><c><v>1e3</v></c><c r=\"D3\"><v>-1.5E-2</v></c>"
	        "<c><f>1+1</f></c><c t=\"str\"><v/></c></row>"
	        "<row><c r=\"B7\"><v>7</v></c></row>"
	        "<row/><row r=\"9\"></row><row><c><v>10</v></c></row>"
	        "</sheetData><mergeCells count=\"0\"/></worksheet>";
	struct fb_err err = {0};
	char *out = read_sheet_xml(sheet, NULL, NULL, NULL, &err);

	ck_assert_msg(out != NULL, "%s", err.msg);
	ck_assert_str_eq(out, "R1 A=s:a B=n:2 C=b:0 D=e:#N/A E=d*:2024-02-29T00:00:00 F=s:a\n"
	                      "R3 B=n:1e3 D=n:-1.5E-2 E=e:#FORMULA (not calculated) F=s:\n"
	                      "R7 B=n:7\n"
	                      "R10 A=n:10\n");
	free(out);
}
END_TEST

START_TEST(date_styles)
{
	static const char styles[] =
	        "<styleSheet xmlns=\"http://schemas.openxmlformats.org/spreadsheetml/2006/main\">"
	        "<numFmts count=\"3\"><numFmt numFmtId=\"164\" formatCode=\"yyyy&quot;年&quot;m"
	        "&quot;月&quot;d&quot;日&quot;\"/><numFmt numFmtId=\"165\" formatCode=\"0.00_);"
	        "[Red]\\(0.00\\)\"/><numFmt numFmtId=\"166\" formatCode=\"&quot;day&quot; 0\"/>"
	        "</numFmts><cellStyleXfs count=\"1\"><xf numFmtId=\"14\"/></cellStyleXfs>"
	        "<cellXfs count=\"6\"><xf numFmtId=\"0\"/><xf numFmtId=\"164\"/><xf numFmtId=\"165\"/>"
	        "<xf numFmtId=\"14\"><alignment/></xf><xf numFmtId=\"166\"/><xf numFmtId=\"47\"/>"
	        "</cellXfs></styleSheet>";
	static const char sheet[] = SHEET_HEAD "<sheetData><row r=\"1\">"
	        "<c r=\"A1\"><v>1</v></c><c r=\"B1\" s=\"1\"><v>2</v></c><c r=\"C1\" s=\"2\">"
	        "<v>3</v></c><c r=\"D1\" s=\"3\"><v>4</v></c><c r=\"E1\" s=\"4\"><v>5</v></c>"
	        "<c r=\"F1\" s=\"5\"><v>6</v></c><c r=\"G1\" s=\"99\"><v>7</v></c></row>"
	        "</sheetData></worksheet>";
	struct fb_err err = {0};
	char *out = read_sheet_xml(sheet, NULL, styles, NULL, &err);

	ck_assert_msg(out != NULL, "%s", err.msg);
	ck_assert_str_eq(out, "R1 A=n:1 B=n*:2 C=n:3 D=n*:4 E=n:5 F=n*:6 G=n:7\n");
	free(out);
}
END_TEST

START_TEST(strict_ooxml)
{
	static const char rels[] =
	        "<Relationships xmlns=\"http://schemas.openxmlformats.org/package/2006/relationships\">"
	        "<Relationship Id=\"R1\" Type=\"http://purl.oclc.org/ooxml/officeDocument/"
	        "relationships/officeDocument\" Target=\"/xl/workbook.xml\"/></Relationships>";
	static const char wb[] =
	        "<x:workbook xmlns:x=\"http://purl.oclc.org/ooxml/spreadsheetml/main\" "
	        "xmlns:rr=\"http://purl.oclc.org/ooxml/officeDocument/relationships\">"
	        "<x:workbookPr date1904=\"true\"/><x:sheets>"
	        "<x:sheet name=\"隐藏\" sheetId=\"2\" state=\"veryHidden\" rr:id=\"a\"/>"
	        "<x:sheet name=\"第二\" sheetId=\"1\" rr:id=\"b\"/></x:sheets></x:workbook>";
	static const char wbrels[] =
	        "<Relationships xmlns=\"http://schemas.openxmlformats.org/package/2006/relationships\">"
	        "<Relationship Id=\"b\" Type=\"http://purl.oclc.org/ooxml/officeDocument/"
	        "relationships/worksheet\" Target=\"/xl/worksheets/two.xml\"/>"
	        "<Relationship Id=\"a\" Type=\"http://purl.oclc.org/ooxml/officeDocument/"
	        "relationships/worksheet\" Target=\"./worksheets/../worksheets/one.xml\"/>"
	        "<Relationship Id=\"x\" Type=\"http://purl.oclc.org/ooxml/officeDocument/"
	        "relationships/hyperlink\" Target=\"http://example.com/\" TargetMode=\"External\"/>"
	        "</Relationships>";
	static const char one[] =
	        "<x:worksheet xmlns:x=\"http://purl.oclc.org/ooxml/spreadsheetml/main\">"
	        "<x:sheetData><x:row x:r=\"2\"><x:c r=\"B2\" t=\"inlineStr\"><x:is><x:t>一</x:t>"
	        "</x:is></x:c></x:row></x:sheetData></x:worksheet>";
	static const char two[] = SHEET_HEAD "<sheetData/></worksheet>";
	struct entry e[] = {
		{"_rels/.rels", rels, 0},
		{"xl/workbook.xml", wb, 0},
		{"xl/_rels/workbook.xml.rels", wbrels, 0},
		{"XL/Worksheets/One.xml", one, 0},
		{"xl/worksheets/two.xml", two, 0},
	};
	struct fb_err err = {0};
	struct buf b = {0};
	size_t len;
	char *zip = make_zip(e, 5, &len);
	struct xlsx *x = xlsx_open_buffer(zip, len, NULL, &err);

	ck_assert_msg(x != NULL, "%s", err.msg);
	ck_assert_int_eq(xlsx_date1904(x), 1);
	ck_assert_str_eq(xlsx_sheet_at(x, 0)->name, "隐藏");
	ck_assert_int_eq(xlsx_sheet_at(x, 0)->state, XLSX_SHEET_VERY_HIDDEN);
	ck_assert_int_eq(xlsx_read_sheet(x, NULL, dump_row, &b, &err), 0);
	ck_assert_str_eq(buf_cstr(&b), "R2 B=s:一\n");
	buf_reset(&b);
	ck_assert_int_eq(xlsx_read_sheet(x, "第二", dump_row, &b, &err), 0);
	ck_assert_str_eq(buf_cstr(&b), "");
	xlsx_close(x);
	free(b.data);
	free(zip);
}
END_TEST

static int
stop_at_2(void *arg, long row, const struct xlsx_cell *cells, size_t n, struct fb_err *err)
{
	int *calls = arg;

	(*calls)++;
	if (row == 2) {
		fb_err_set(err, FB_EVALIDATION, "row %ld is wrong", row);
		return -1;
	}
	return 0;
}

START_TEST(callback_stops)
{
	static const char sheet[] = SHEET_HEAD "<sheetData><row><c><v>1</v></c></row>"
	        "<row><c><v>2</v></c></row><row><c><v>3</v></c></row></sheetData></worksheet>";
	struct fb_err err = {0};
	size_t len;
	char *zip = make_book(sheet, NULL, NULL, &len);
	struct xlsx *x = xlsx_open_buffer(zip, len, NULL, &err);
	int calls = 0;

	ck_assert_ptr_nonnull(x);
	ck_assert_int_eq(xlsx_read_sheet(x, "s", stop_at_2, &calls, &err), -1);
	ck_assert_int_eq(calls, 2);
	ck_assert_int_eq(err.code, FB_EVALIDATION);
	ck_assert_str_eq(err.msg, "row 2 is wrong");
	xlsx_close(x);
	free(zip);
}
END_TEST

START_TEST(serial_dates)
{
	char d[11];

	ck_assert_int_eq(xlsx_serial_to_date(1, 0, d), 0);
	ck_assert_str_eq(d, "1900-01-01");
	ck_assert_int_eq(xlsx_serial_to_date(59, 0, d), 0);
	ck_assert_str_eq(d, "1900-02-28");
	ck_assert_int_eq(xlsx_serial_to_date(60, 0, d), -1);
	ck_assert_int_eq(xlsx_serial_to_date(61, 0, d), 0);
	ck_assert_str_eq(d, "1900-03-01");
	ck_assert_int_eq(xlsx_serial_to_date(45000.75, 0, d), 0);
	ck_assert_str_eq(d, "2023-03-15");
	ck_assert_int_eq(xlsx_serial_to_date(45351, 0, d), 0);
	ck_assert_str_eq(d, "2024-02-29");
	ck_assert_int_eq(xlsx_serial_to_date(2958465, 0, d), 0);
	ck_assert_str_eq(d, "9999-12-31");
	ck_assert_int_eq(xlsx_serial_to_date(2958466, 0, d), -1);
	ck_assert_int_eq(xlsx_serial_to_date(0, 0, d), -1);
	ck_assert_int_eq(xlsx_serial_to_date(-1, 0, d), -1);
	ck_assert_int_eq(xlsx_serial_to_date(0.0 / 0.0, 0, d), -1);
	ck_assert_int_eq(xlsx_serial_to_date(0, 1, d), 0);
	ck_assert_str_eq(d, "1904-01-01");
	ck_assert_int_eq(xlsx_serial_to_date(43538, 1, d), 0);
	ck_assert_str_eq(d, "2023-03-15");
}
END_TEST

/* ---- hostile input ----------------------------------------------------------------- */

static void
expect_fail(const char *sheet, const char *sst, const struct xlsx_limits *lim,
            enum fb_code code, const char *needle)
{
	struct fb_err err = {0};
	char *out = read_sheet_xml(sheet, sst, NULL, lim, &err);

	ck_assert_msg(out == NULL, "accepted: %s", out ? out : "");
	ck_assert_msg(err.code == code, "code %d: %s", err.code, err.msg);
	ck_assert_msg(strstr(err.msg, needle) != NULL, "message: %s", err.msg);
}

START_TEST(xxe_rejected)
{
	expect_fail("<!DOCTYPE worksheet [<!ENTITY e SYSTEM \"file:///etc/passwd\">]>"
	            SHEET_HEAD "<sheetData><row><c t=\"inlineStr\"><is><t>&e;</t></is></c></row>"
	            "</sheetData></worksheet>", NULL, NULL, FB_EINVAL, "DOCTYPE");
	expect_fail(SHEET_HEAD "<sheetData/></worksheet>",
	            "<!DOCTYPE sst [<!ENTITY a \"aaaaaaaaaa\"><!ENTITY b \"&a;&a;&a;&a;&a;&a;&a;\">]>"
	            "<sst><si><t>&b;</t></si></sst>", NULL, FB_EINVAL, "DOCTYPE");
	expect_fail(SHEET_HEAD "<sheetData><row><c t=\"inlineStr\"><is><t>&undefined;</t></is>"
	            "</c></row></sheetData></worksheet>", NULL, NULL, FB_EINVAL, "sheet1.xml");
}
END_TEST

static char *
repeat(const char *head, const char *unit, size_t times, const char *tail)
{
	struct buf b = {0};
	size_t i;

	buf_puts(&b, head);
	for (i = 0; i < times; i++)
		buf_puts(&b, unit);
	buf_puts(&b, tail);
	return b.data;
}

START_TEST(zip_bomb)
{
	struct xlsx_limits lim = xlsx_limits_default();
	char *sheet = repeat(SHEET_HEAD "<sheetData>", "<row><c><v>1</v></c></row>", 100000,
	                     "</sheetData></worksheet>");
	char *pad = repeat(SHEET_HEAD "<sheetData/>", "<!-- -->", 1000000, "</worksheet>");
	struct fb_err err = {0};
	struct buf b = {0};
	struct xlsx *x;
	size_t len;
	char *zip;

	lim.max_part_bytes = 1 << 20;
	lim.max_rows = 1000000;
	expect_fail(sheet, NULL, &lim, FB_ETOOBIG, "larger than 1048576 bytes");
	expect_fail(pad, NULL, &lim, FB_ETOOBIG, "larger than 1048576 bytes");

	/* the handle's total: every read of a sheet counts */
	lim = xlsx_limits_default();
	lim.max_total_bytes = 4 << 20;
	lim.max_rows = 1000000;
	zip = make_book(sheet, NULL, NULL, &len);
	x = xlsx_open_buffer(zip, len, &lim, &err);
	ck_assert_ptr_nonnull(x);
	ck_assert_int_eq(xlsx_read_sheet(x, NULL, dump_row, &b, &err), 0);
	ck_assert_int_eq(xlsx_read_sheet(x, NULL, dump_row, &b, &err), -1);
	ck_assert_int_eq(err.code, FB_ETOOBIG);
	ck_assert_msg(strstr(err.msg, "archive inflates") != NULL, "%s", err.msg);
	xlsx_close(x);
	free(zip);
	free(b.data);
	free(sheet);
	free(pad);
}
END_TEST

/* Patch every declared uncompressed size of entry `name` to `size` (local header and
 * central directory), as an attacker would. */
static void
lie_about_size(char *zip, size_t len, const char *name, uint32_t size)
{
	size_t nl = strlen(name), i;
	int patched = 0;

	for (i = 0; i + 46 + nl <= len; i++) {
		if (memcmp(zip + i, "PK\3\4", 4) == 0 && memcmp(zip + i + 30, name, nl) == 0) {
			memcpy(zip + i + 22, &size, 4);
			patched++;
		} else if (memcmp(zip + i, "PK\1\2", 4) == 0 && memcmp(zip + i + 46, name, nl) == 0) {
			memcpy(zip + i + 24, &size, 4);
			patched++;
		}
	}
	ck_assert_int_eq(patched, 2);
}

START_TEST(lying_sizes)
{
	struct xlsx_limits lim = xlsx_limits_default();
	char *sheet = repeat(SHEET_HEAD "<sheetData>", "<row><c><v>1</v></c></row>", 100000,
	                     "</sheetData></worksheet>");
	struct fb_err err = {0};
	size_t len;
	char *zip = make_book(sheet, NULL, NULL, &len), *out;

	lim.max_part_bytes = 1 << 20;
	lim.max_rows = 1000000;
	lie_about_size(zip, len, "xl/worksheets/sheet1.xml", 1000);
	out = read_book(zip, len, &lim, &err);
	ck_assert_ptr_null(out);
	ck_assert_msg(err.code == FB_ETOOBIG, "%d %s", err.code, err.msg);
	ck_assert_msg(strstr(err.msg, "inflates to more than 1048576") != NULL, "%s", err.msg);
	/* libzip itself delivers the whole stream despite the declared size: only our count
	 * stops it */
	lim.max_part_bytes = 64 << 20;
	out = read_book(zip, len, &lim, &err);
	ck_assert_ptr_nonnull(out);
	free(out);
	free(zip);
	free(sheet);
}
END_TEST

START_TEST(not_a_zip)
{
	struct fb_err err = {0};
	size_t len;
	char *zip;
	struct entry e[] = {{"hello.txt", "hello", 0}};

	ck_assert_ptr_null(xlsx_open_buffer("hello world", 11, NULL, &err));
	ck_assert_int_eq(err.code, FB_EMEDIA);
	ck_assert_msg(strstr(err.msg, "not an xlsx") != NULL, "%s", err.msg);
	ck_assert_ptr_null(xlsx_open_buffer("", 0, NULL, &err));
	ck_assert_int_eq(err.code, FB_EMEDIA);
	/* an OLE2 header: what a password-protected xlsx is */
	ck_assert_ptr_null(xlsx_open_buffer("\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1\0\0\0\0\0\0\0\0",
	                                    16, NULL, &err));
	ck_assert_int_eq(err.code, FB_EMEDIA);
	ck_assert_msg(strstr(err.msg, "encrypted") != NULL, "%s", err.msg);

	zip = make_zip(e, 1, &len);
	ck_assert_ptr_null(xlsx_open_buffer(zip, len, NULL, &err));
	ck_assert_int_eq(err.code, FB_EMEDIA);
	ck_assert_msg(strstr(err.msg, "no workbook") != NULL, "%s", err.msg);
	/* truncated */
	ck_assert_ptr_null(xlsx_open_buffer(zip, len - 10, NULL, &err));
	ck_assert_int_eq(err.code, FB_EMEDIA);
	free(zip);
}
END_TEST

START_TEST(encrypted_entry)
{
	zip_error_t ze;
	zip_source_t *src;
	zip_t *za;
	zip_stat_t st;
	struct fb_err err = {0};
	char *out;
	zip_int64_t idx;

	zip_error_init(&ze);
	src = zip_source_buffer_create(NULL, 0, 0, &ze);
	za = zip_open_from_source(src, ZIP_TRUNCATE, &ze);
	ck_assert_ptr_nonnull(za);
	zip_source_keep(src);
	ck_assert_int_ge(zip_file_add(za, "_rels/.rels", zip_source_buffer(za, RELS,
	                 strlen(RELS), 0), 0), 0);
	idx = zip_file_add(za, "xl/workbook.xml", zip_source_buffer(za, WB, strlen(WB), 0), 0);
	ck_assert_int_ge(idx, 0);
	if (zip_file_set_encryption(za, (zip_uint64_t)idx, ZIP_EM_AES_256, "secret") < 0) {
		/* libzip built without crypto: nothing to test */
		zip_discard(za);
		zip_source_free(src);
		return;
	}
	ck_assert_int_eq(zip_close(za), 0);
	ck_assert_int_eq(zip_source_stat(src, &st), 0);
	out = xmalloc(st.size);
	ck_assert_int_eq(zip_source_open(src), 0);
	ck_assert_int_eq(zip_source_read(src, out, st.size), (zip_int64_t)st.size);
	zip_source_close(src);
	zip_source_free(src);
	ck_assert_ptr_null(xlsx_open_buffer(out, st.size, NULL, &err));
	ck_assert_int_eq(err.code, FB_EMEDIA);
	ck_assert_msg(strstr(err.msg, "encrypted") != NULL, "%s", err.msg);
	free(out);
}
END_TEST

START_TEST(missing_parts)
{
	struct entry e[] = {
		{"_rels/.rels", RELS, 0},
		{"xl/workbook.xml", WB, 0},
	};
	struct entry e2[] = {
		{"_rels/.rels", RELS, 0},
		{"xl/workbook.xml", WB, 0},
		{"xl/_rels/workbook.xml.rels", WBRELS, 0},
	};
	struct fb_err err = {0};
	size_t len;
	char *zip = make_zip(e, 2, &len), *out;

	ck_assert_ptr_null(xlsx_open_buffer(zip, len, NULL, &err));
	ck_assert_int_eq(err.code, FB_EINVAL);
	ck_assert_msg(strstr(err.msg, "relationships") != NULL, "%s", err.msg);
	free(zip);
	zip = make_zip(e2, 3, &len);
	out = read_book(zip, len, NULL, &err);
	ck_assert_ptr_null(out);
	ck_assert_int_eq(err.code, FB_EINVAL);
	ck_assert_msg(strstr(err.msg, "missing") != NULL, "%s", err.msg);
	free(zip);
}
END_TEST

START_TEST(caps_and_bad_cells)
{
	struct xlsx_limits lim = xlsx_limits_default();
	char *open = repeat(SHEET_HEAD "<sheetData><row><c>", "<x>", 100, "");
	char *deep = repeat(open, "</x>", 100, "</c></row></sheetData></worksheet>");
	char *many = repeat("<sst>", "<si><t>x</t></si>", 20, "</sst>");
	char *big = repeat("<sst>", "<si><t>0123456789</t></si>", 20, "</sst>");
	struct entry e[] = {
		{"a", "1", 0}, {"b", "2", 0}, {"c", "3", 0}, {"d", "4", 0},
	};
	struct fb_err err = {0};
	size_t len;
	char *zip;

	expect_fail(deep, NULL, NULL, FB_EINVAL, "deeper");
	expect_fail(SHEET_HEAD "<sheetData><row><c><v>1</v></c>", NULL, NULL, FB_EINVAL,
	            "malformed XML");
	expect_fail(SHEET_HEAD "<sheetData><row><c t=\"s\"><v>3</v></c></row></sheetData>"
	            "</worksheet>", "<sst><si><t>a</t></si></sst>", NULL, FB_EINVAL,
	            "out of range");
	expect_fail(SHEET_HEAD "<sheetData><row><c t=\"s\"><v>-1</v></c></row></sheetData>"
	            "</worksheet>", "<sst><si><t>a</t></si></sst>", NULL, FB_EINVAL,
	            "out of range");
	expect_fail(SHEET_HEAD "<sheetData><row><c r=\"XFE1\"><v>1</v></c></row></sheetData>"
	            "</worksheet>", NULL, NULL, FB_EINVAL, "XFE1");
	expect_fail(SHEET_HEAD "<sheetData><row r=\"1\"><c r=\"A2\"><v>1</v></c></row>"
	            "</sheetData></worksheet>", NULL, NULL, FB_EINVAL, "not in row 1");
	expect_fail(SHEET_HEAD "<sheetData><row r=\"1048577\"><c><v>1</v></c></row>"
	            "</sheetData></worksheet>", NULL, NULL, FB_EINVAL, "bad row number");
	expect_fail(SHEET_HEAD "<sheetData><row r=\"2\"/><row r=\"2\"/></sheetData></worksheet>",
	            NULL, NULL, FB_EINVAL, "out of order");
	expect_fail(SHEET_HEAD "<sheetData><row><c r=\"B1\"><v>1</v></c><c r=\"A1\"><v>1</v>"
	            "</c></row></sheetData></worksheet>", NULL, NULL, FB_EINVAL, "A1 is out of order");
	expect_fail(SHEET_HEAD "<sheetData><row><c><v>0x10</v></c></row></sheetData>"
	            "</worksheet>", NULL, NULL, FB_EINVAL, "bad number");
	expect_fail(SHEET_HEAD "<sheetData><row><c t=\"b\"><v>2</v></c></row></sheetData>"
	            "</worksheet>", NULL, NULL, FB_EINVAL, "bad boolean");
	expect_fail(SHEET_HEAD "<sheetData><row><c t=\"zz\"><v>2</v></c></row></sheetData>"
	            "</worksheet>", NULL, NULL, FB_EINVAL, "unknown cell type");

	lim.max_rows = 5;
	lim.max_cols = 3;
	lim.max_cell_bytes = 8;
	expect_fail(SHEET_HEAD "<sheetData><row r=\"6\"><c><v>1</v></c></row></sheetData>"
	            "</worksheet>", NULL, &lim, FB_ETOOBIG, "more than 5 rows");
	expect_fail(SHEET_HEAD "<sheetData><row><c r=\"D1\"><v>1</v></c></row></sheetData>"
	            "</worksheet>", NULL, &lim, FB_ETOOBIG, "more than 3 columns");
	expect_fail(SHEET_HEAD "<sheetData><row><c t=\"inlineStr\"><is><t>123456789</t></is></c>"
	            "</row></sheetData></worksheet>", NULL, &lim, FB_ETOOBIG, "longer than 8");

	lim = xlsx_limits_default();
	lim.max_shared_strings = 10;
	expect_fail(SHEET_HEAD "<sheetData/></worksheet>", many, &lim, FB_ETOOBIG,
	            "more than 10 shared strings");
	lim = xlsx_limits_default();
	lim.max_shared_bytes = 100;
	expect_fail(SHEET_HEAD "<sheetData/></worksheet>", big, &lim, FB_ETOOBIG,
	            "exceed 100 bytes");

	lim = xlsx_limits_default();
	lim.max_entries = 3;
	zip = make_zip(e, 4, &len);
	ck_assert_ptr_null(xlsx_open_buffer(zip, len, &lim, &err));
	ck_assert_int_eq(err.code, FB_ETOOBIG);
	ck_assert_msg(strstr(err.msg, "4 entries") != NULL, "%s", err.msg);
	free(zip);
	free(open);
	free(deep);
	free(many);
	free(big);
}
END_TEST

/* ---- text over Excel's limit of 32767 characters a cell ------------------------------ */

#define SST_HEAD "<sst xmlns=\"http://schemas.openxmlformats.org/spreadsheetml/2006/main\">"

START_TEST(cell_text_limit)
{
	char *ok = repeat(SST_HEAD "<si><t>", "差", 32767, "</t></si></sst>");
	char *one_more = repeat(SST_HEAD "<si><t>a</t></si><si><t>", "差", 32768, "</t></si></sst>");
	char *runs = repeat(SST_HEAD "<si>", "<r><t>abcdefgh</t></r>", 4096, "<r><t>x</t></r></si></sst>");
	char *inl = repeat(SHEET_HEAD "<sheetData><row r=\"3\"><c r=\"B3\" t=\"inlineStr\"><is><t>",
	                   "ab", 16384, "</t></is></c></row></sheetData></worksheet>");
	struct xlsx_limits lim = xlsx_limits_default();
	struct fb_err err = {0};
	char *out;

	/* Exactly the limit is fine. */
	out = read_sheet_xml(SHEET_HEAD "<sheetData><row><c t=\"s\"><v>0</v></c></row></sheetData>"
	                     "</worksheet>", ok, NULL, NULL, &err);
	ck_assert_msg(out != NULL, "%s", err.msg);
	ck_assert_uint_eq(strlen(out), strlen("R1 A=s:\n") + 3 * 32767);
	free(out);
	/* One more character, in one text node, in rich-text runs, or inline: refused, named. */
	expect_fail(SHEET_HEAD "<sheetData/></worksheet>", one_more, NULL, FB_ETOOBIG,
	            "shared string 1 is longer than 32767 characters");
	expect_fail(SHEET_HEAD "<sheetData/></worksheet>", runs, NULL, FB_ETOOBIG,
	            "shared string 0 is longer than 32767 characters");
	expect_fail(inl, NULL, NULL, FB_ETOOBIG, "sheet S cell B3: text longer than 32767");
	/* The limit is the caller's. */
	lim.max_cell_chars = 5;
	expect_fail(SHEET_HEAD "<sheetData/></worksheet>", SST_HEAD "<si><t>差旅费报销单</t></si></sst>",
	            &lim, FB_ETOOBIG, "shared string 0 is longer than 5 characters");
	out = read_sheet_xml(SHEET_HEAD "<sheetData><row><c t=\"s\"><v>0</v></c></row></sheetData>"
	                     "</worksheet>", SST_HEAD "<si><t>差旅费报销</t></si></sst>", NULL, &lim,
	                     &err);
	ck_assert_msg(out != NULL, "%s", err.msg);
	ck_assert_str_eq(out, "R1 A=s:差旅费报销\n");
	free(out);
	/* An _xHHHH_ escape is one character. */
	out = read_sheet_xml(SHEET_HEAD "<sheetData><row><c t=\"s\"><v>0</v></c></row></sheetData>"
	                     "</worksheet>", SST_HEAD "<si><t>_x0041__x0042__x0043__x0044__x0045_</t>"
	                     "</si></sst>", NULL, &lim, &err);
	ck_assert_msg(out != NULL, "%s", err.msg);
	ck_assert_str_eq(out, "R1 A=s:ABCDE\n");
	free(out);
	expect_fail(SHEET_HEAD "<sheetData/></worksheet>", SST_HEAD "<si><t>_x0041__x0042__x0043_"
	            "_x0044__x0045__x0046_</t></si></sst>", &lim, FB_ETOOBIG, "longer than 5");
	free(ok);
	free(one_more);
	free(runs);
	free(inl);
}
END_TEST

/* Markup that holds '>' or text-like bytes does not confuse the raw text scan. */
START_TEST(text_scan_markup)
{
	struct xlsx_limits lim = xlsx_limits_default();
	struct fb_err err = {0};
	char *pad = repeat("", "x", 45, "");
	char *sst = xasprintf(SST_HEAD "<!-- a > b <t> --><?pi x > y?><si><t a=\"x>y\" b='>'>%s</t>"
	                      "</si><si><t><![CDATA[<c>]]]]><![CDATA[>]]>d&gt;</t></si></sst>", pad);
	char *out;

	lim.max_cell_chars = 5; /* raw runs of 50 bytes at most */
	lim.max_cell_bytes = 1000;
	expect_fail(SHEET_HEAD "<sheetData/></worksheet>", sst, &lim, FB_ETOOBIG,
	            "shared string 0 is longer than 5 characters");
	lim.max_cell_chars = 50;
	out = read_sheet_xml(SHEET_HEAD "<sheetData><row><c t=\"s\"><v>1</v></c></row></sheetData>"
	                     "</worksheet>", sst, NULL, &lim, &err);
	ck_assert_msg(out != NULL, "%s", err.msg);
	ck_assert_str_eq(out, "R1 A=s:<c>]]>d>\n");
	free(out);
	free(sst);
	free(pad);
}
END_TEST

/* 15 MB in one shared string, as text or as CDATA, or inline: refused with the string or
 * the cell named (libxml2 alone would build a 10 MB node and fail with its own message);
 * how fast is for bench/, not for a test. */
START_TEST(huge_text_refused)
{
	static const char *const shapes[][2] = {
		{SST_HEAD "<si><t>a</t></si><si><t>", "</t></si></sst>"},
		{SST_HEAD "<si><t>a</t></si><si><t><![CDATA[", "]]></t></si></sst>"},
	};
	size_t big = 15u << 20, i;
	char *body = xmalloc(big + 1);

	memset(body, 'a', big);
	body[big] = '\0';
	for (i = 0; i < 3; i++) {
		char *xml;

		if (i < 2)
			xml = xasprintf("%s%s%s", shapes[i][0], body, shapes[i][1]);
		else
			xml = xasprintf(SHEET_HEAD "<sheetData><row><c r=\"C2\" t=\"inlineStr\"><is><t>%s"
			                "</t></is></c></row></sheetData></worksheet>", body);
		if (i < 2)
			expect_fail(SHEET_HEAD "<sheetData/></worksheet>", xml, NULL, FB_ETOOBIG,
			            "shared string 1 is longer than 32767 characters");
		else
			expect_fail(xml, NULL, NULL, FB_ETOOBIG, "cell C2: text longer than 32767");
		free(xml);
	}
	free(body);
}
END_TEST

/* The SAX parser gets a part in 64 KiB chunks and text in pieces: values cut anywhere by a
 * chunk boundary (entities, escapes, CDATA, multi-byte characters, tags) come out whole;
 * an empty <c/> of an unknown type is no cell, <c></c> of one is refused. */
START_TEST(chunk_boundaries)
{
	struct buf sheet = {0}, want = {0};
	struct fb_err err = {0};
	size_t i;
	long r;
	char *out;

	buf_puts(&sheet, SHEET_HEAD "<sheetData>");
	for (r = 1; r <= 4000; r++) {
		size_t pad = (size_t)(r * 37 % 61);

		buf_printf(&sheet, "<row r=\"%ld\"><c r=\"A%ld\" t=\"inlineStr\"><is><t>", r, r);
		buf_printf(&want, "R%ld A=s:", r);
		for (i = 0; i < pad; i++) {
			buf_puts(&sheet, "é");
			buf_puts(&want, "é");
		}
		buf_printf(&sheet, "&amp;_x0041_<![CDATA[<%ld>]]></t></is></c><c r=\"C%ld\">"
		           "<v>%ld.5</v></c><c r=\"D%ld\"/><c r=\"E%ld\" t=\"zz\"/></row>",
		           r, r, r, r, r);
		buf_printf(&want, "&A<%ld> C=n:%ld.5\n", r, r);
	}
	buf_puts(&sheet, "</sheetData></worksheet>");
	ck_assert_uint_gt(sheet.len, 4u * 65536);
	out = read_sheet_xml(sheet.data, NULL, NULL, NULL, &err);
	ck_assert_msg(out != NULL, "%s", err.msg);
	ck_assert_str_eq(out, want.data);
	free(out);
	free(sheet.data);
	free(want.data);
	expect_fail(SHEET_HEAD "<sheetData><row><c t=\"zz\"></c></row></sheetData></worksheet>",
	            NULL, NULL, FB_EINVAL, "unknown cell type");
}
END_TEST

/* A value over max_cell_bytes that reaches the parser in several pieces (but is short of
 * the raw text scan's cap) is refused by its bytes, naming the cell or the string; a
 * DOCTYPE with only an external subset is refused too. */
START_TEST(value_bytes_in_pieces)
{
	size_t n = (128u << 10) + 1;
	char *text = xmalloc(n + 1), *xml;

	memset(text, 'a', n);
	text[n] = '\0';
	xml = xasprintf(SHEET_HEAD "<sheetData><row><c r=\"B3\" t=\"inlineStr\"><is><t>%s</t>"
	                "</is></c></row></sheetData></worksheet>", text);
	expect_fail(xml, NULL, NULL, FB_ETOOBIG, "cell B3: value longer than 131072 bytes");
	free(xml);
	xml = xasprintf(SHEET_HEAD "<sheetData><row><c r=\"B3\"><v>%s</v></c></row></sheetData>"
	                "</worksheet>", text);
	expect_fail(xml, NULL, NULL, FB_ETOOBIG, "cell B3: value longer than 131072 bytes");
	free(xml);
	xml = xasprintf("<sst><si><t>x</t></si><si><r><t>%s</t></r></si></sst>", text);
	expect_fail(SHEET_HEAD "<sheetData/></worksheet>", xml, NULL, FB_ETOOBIG,
	            "shared string 1 is longer than 131072 bytes");
	free(xml);
	free(text);
	expect_fail("<!DOCTYPE worksheet SYSTEM \"file:///etc/passwd\">" SHEET_HEAD
	            "<sheetData/></worksheet>", NULL, NULL, FB_EINVAL, "DOCTYPE");
}
END_TEST

/* The reader's errors carry their message code and parameters: said in zh-CN to a user,
 * the same English text as before in err.msg. */
static void
expect_said(const char *sheet, const char *sst, const char *mcode, const char *en,
            const char *zh)
{
	struct fb_err err = {0};
	struct json_object *p;
	char *out = read_sheet_xml(sheet, sst, NULL, NULL, &err), *said;

	ck_assert_ptr_null(out);
	ck_assert_msg(err.mcode != NULL && strcmp(err.mcode, mcode) == 0, "%s: %s",
	              err.mcode ? err.mcode : "(no code)", err.msg);
	ck_assert_str_eq(err.msg, en);
	p = json_tokener_parse(err.margs);
	said = msg_render(err.mcode, p, MSG_ZH);
	ck_assert_str_eq(said, zh);
	free(said);
	said = msg_render(err.mcode, p, MSG_EN);
	ck_assert_str_eq(said, en);
	free(said);
	json_object_put(p);
}

START_TEST(errors_said_in_zh)
{
	expect_said(SHEET_HEAD "<sheetData><row><c r=\"B2\" t=\"s\"><v>3</v></c></row></sheetData>"
	            "</worksheet>", "<sst><si><t>a</t></si></sst>", "xlsx.sst_range",
	            "xlsx: sheet S cell B2: shared string \"3\" out of range (1 strings)",
	            "工作表 S 单元格 B2：共享字符串“3”超出范围（共 1 个）");
	expect_said("<!DOCTYPE worksheet [<!ENTITY e \"x\">]>" SHEET_HEAD "<sheetData/></worksheet>",
	            NULL, "xlsx.doctype",
	            "xlsx: part xl/worksheets/sheet1.xml has a DOCTYPE or entity reference "
	            "(not allowed)",
	            "xlsx 文件的部件 xl/worksheets/sheet1.xml 含有 DOCTYPE 或实体引用（不允许）");
	expect_said(SHEET_HEAD "<sheetData><row r=\"x\"/></sheetData></worksheet>", NULL,
	            "xlsx.row_bad", "xlsx: sheet S: bad row number \"x\"",
	            "工作表 S：行号“x”无效");
}
END_TEST

/* Shared string indexes too large for a long are out of range, not an overflow. */
START_TEST(sst_index_overflow)
{
	static const char *const idx[] = {"9223372036854775807", "9223372036854775808",
	                                  "9223372036854775809", "92233720368547758090",
	                                  "99999999999999999999999999999999", "1"};
	size_t i;

	for (i = 0; i < sizeof(idx) / sizeof(idx[0]); i++) {
		char *sheet = xasprintf(SHEET_HEAD "<sheetData><row><c t=\"s\"><v>%s</v></c></row>"
		                        "</sheetData></worksheet>", idx[i]);

		expect_fail(sheet, "<sst><si><t>a</t></si></sst>", NULL, FB_EINVAL, "out of range");
		free(sheet);
	}
}
END_TEST

/* ---- a file saved by openpyxl 3.0.9 (it writes inline strings as &#NNNN; references) -- */

START_TEST(openpyxl_fixture)
{
	const char *top = getenv("top_srcdir");
	char *path = xasprintf("%s/tests/fixtures/openpyxl.xlsx", top ? top : ".");
	struct fb_err err = {0};
	struct buf b = {0};
	struct xlsx *x = xlsx_open_file(path, NULL, &err);

	ck_assert_msg(x != NULL, "%s: %s", path, err.msg);
	ck_assert_int_eq(xlsx_sheet_count(x), 2);
	ck_assert_str_eq(xlsx_sheet_at(x, 0)->name, "审批");
	ck_assert_int_eq(xlsx_sheet_find(x, "选项")->state, XLSX_SHEET_HIDDEN);
	ck_assert_int_eq(xlsx_read_sheet(x, NULL, dump_row, &b, &err), 0);
	ck_assert_str_eq(buf_cstr(&b),
	                 "R1 A=s:事由 B=s:金额 C=s:付款日期 D=s:城市\n"
	                 "R2 A=s:差旅 B=n:1234.56 C=n*:45000 D=s:广州\n"
	                 "R3 A=s:办公 B=n:7 C=n*:45351 D=s:深圳\n");
	xlsx_close(x);
	free(b.data);
	free(path);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("xlsx_read");
	TCase *tc = tcase_create("core");
	SRunner *sr;
	int failed;

	xmlInitParser();
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, lxw_inline_strings);
	tcase_add_test(tc, lxw_shared_strings);
	tcase_add_test(tc, open_file);
	tcase_add_test(tc, shared_rich_escapes);
	tcase_add_test(tc, types_and_missing_refs);
	tcase_add_test(tc, date_styles);
	tcase_add_test(tc, strict_ooxml);
	tcase_add_test(tc, callback_stops);
	tcase_add_test(tc, serial_dates);
	tcase_add_test(tc, xxe_rejected);
	tcase_add_test(tc, zip_bomb);
	tcase_add_test(tc, lying_sizes);
	tcase_add_test(tc, not_a_zip);
	tcase_add_test(tc, encrypted_entry);
	tcase_add_test(tc, missing_parts);
	tcase_add_test(tc, caps_and_bad_cells);
	tcase_add_test(tc, openpyxl_fixture);
	tcase_add_test(tc, cell_text_limit);
	tcase_add_test(tc, text_scan_markup);
	tcase_add_test(tc, huge_text_refused);
	tcase_add_test(tc, sst_index_overflow);
	tcase_add_test(tc, chunk_boundaries);
	tcase_add_test(tc, value_bytes_in_pieces);
	tcase_add_test(tc, errors_said_in_zh);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	xmlCleanupParser();
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
