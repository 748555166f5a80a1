/* SPDX-License-Identifier: MIT */
/*
 * template: the Excel templates users download to approve tasks offline, and the checks an
 * import makes on what comes back.  Writes files only (no HTTP): a handler picks the tasks,
 * calls template_write_single() or template_write_multi() with a private path and streams
 * the file.
 *
 * LAYOUT CONTRACT (version 1).  The import reads these files; keep it and them in step.
 * book.h writes this layout, for the templates and for the error workbook (errbook.h: the
 * single layout plus a last read-only column 错误原因, left out of "columns").
 *
 * Both layouts carry a hidden sheet "_meta":
 *   A1  a JSON document (compact, UTF-8):
 *       {"v":1,"layout":"single"|"multi","node_id":N,"app_version_id":N,
 *        "generated":"2026-11-23T08:00:00Z",
 *        "columns":[{"key":"task_id"},{"key":"title"},
 *                   {"key":"f:<field key>","label":"<header text>","writable":true|false},
 *                   ...,{"key":"action"},{"key":"comment"}[,{"key":"assignee"}]],
 *        "task_id":N,                                              (multi only)
 *        "tables":[{"key":"f:<field key>","sheet":"<sheet name>","writable":bool,
 *                   "columns":[{"key":"<column key>","label":"<header text>"},...]}]
 *                                                                  (multi only)}
 *   A2  HMAC-SHA-256 of the A1 text under the template key derived from auth.secret
 *       (crypto.h: CRYPTO_KEY_TEMPLATE, never the login key): 64 lowercase hex digits.
 *   "columns" lists the columns of the single sheet left to right, or the rows of the multi
 *   form sheet top to bottom, in the same order; "label" is the header text exactly as
 *   written (a required field's label ends with " *").  "assignee" is present only when the
 *   node's next node has assignee rule 'choose'.  template_meta_verify() checks A2 and the
 *   shape of A1; template_meta_check_node() checks it against the node an import is for.
 *
 * Layout "single" (one .xlsx):
 *   sheet 1 "审批" (visible, active, protected: only editable columns are unlocked):
 *     row 1 headers, rows 2.. one task each, in the listing's (created, id) order.
 *     columns: 任务ID (the task id as a text cell), 标题 (read-only), then the node's visible
 *     fields that are not writable (read-only, current values), then its writable fields
 *     (unlocked, current values), then 操作 (dropdown 同意 / 驳回; blank means the row is
 *     not processed), 审批意见 (comment, at most 2000 characters), and 下一处理人 (a user
 *     login) only when the next node is 'choose'.  Table fields are left out (they need
 *     the multi layout; sheet 2 says so).
 *   sheet 2 "说明" (visible): instructions for people, never read back.
 *   hidden sheet "Lists": dropdown sources (below).
 *   hidden sheet "_meta".
 *
 * Layout "multi" (one .zip, one workbook per task, entries stored, UTF-8 names flagged):
 *   entry name "<task_id>_<title>.xlsx" with the title sanitized (template_sanitize_name:
 *   / \ : * ? " < > | and control characters become "_", at most 60 characters), or
 *   "<task_id>.xlsx" when nothing of the title is left.  The task id that counts is the
 *   one in _meta, not the name.  Each workbook:
 *   sheet 1 "表单" (visible, active, protected): row 1 headers 字段 | 值 | 说明, then one
 *     row per entry of "columns" in order: column A the label ("columns"[i].label for
 *     fields, 任务ID / 标题 / 操作 / 审批意见 / 下一处理人 otherwise), column B the value
 *     (writable fields, 操作, 审批意见, 下一处理人 unlocked and validated), column C a hint.
 *     A table field's value cell names its sheet.
 *   one sheet per visible table field (name from its label: [ ] : * ? / \ become "_", at
 *     most 31 characters, made unique), listed in "tables": row 1 the column labels, rows
 *     2.. the current rows; writable tables are unprotected and validated down to max_rows,
 *     read-only ones are protected.
 *   hidden sheets "Lists" and "_meta" as above.
 *
 * Cell values: text, select and user as strings (inline strings: the writer uses constant
 * memory); numbers as numbers with a "0.00"-style format of the field's decimals; dates as
 * Excel dates (1900 system) formatted yyyy-mm-dd (a date before 1900 stays text); the task
 * id as text.  Text longer than Excel's 32767 characters is cut there.
 *
 * Sheet "Lists": row 1 names each column, rows 2.. the values.  Column A holds 同意, 驳回.
 * A select field (or select table column) has a column of its options; a validated cell
 * uses "=Lists!$C$2:$C$9".  A dependent select has one column per parent value that has
 * options, each named by a workbook-level defined name "fb_opt_<field index>_<parent value
 * index>" (template_defined_name), then a two-column lookup (parent value, defined name);
 * its cells use =INDIRECT(VLOOKUP(<parent cell>,Lists!$X$2:$Y$n,2,FALSE)).  When the
 * parent is not a column of the sheet the child has no dropdown.
 *
 * Ownership: paths and strings passed in are borrowed; strings returned are malloc'ed and
 * the caller frees them.  The writers own and remove every temporary file they create; the
 * file at path is the caller's to unlink (also after a failure).
 */
#ifndef FB_TEMPLATE_H
#define FB_TEMPLATE_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "config.h"
#include "db.h"
#include "err.h"

struct json_object;
struct node_info;

#define TEMPLATE_SINGLE_MAX 50000 /* tasks in one single-layout workbook */
#define TEMPLATE_MULTI_MAX 1000   /* workbooks in one zip */
#define TEMPLATE_NAME_MAX 60      /* characters of a title in a zip entry name */
#define TEMPLATE_META_VERSION 1
#define TEMPLATE_SHEET_SINGLE "审批"
#define TEMPLATE_SHEET_FORM "表单"
#define TEMPLATE_SHEET_HELP "说明"
#define TEMPLATE_SHEET_LISTS "Lists"
#define TEMPLATE_SHEET_META "_meta"
#define TEMPLATE_ACTION_APPROVE "同意"
#define TEMPLATE_ACTION_REJECT "驳回"

/*
 * Write the single-layout workbook for task_ids (n of them, at most TEMPLATE_SINGLE_MAX) at
 * node to path.  Only tasks that are still pending at node for user_id are written (the
 * others are skipped, in case they moved since they were selected); *written gets how many
 * were.  Uses cfg->web_tmpdir for temporary files and cfg->auth_secret to sign the meta.
 * 0, or -1 with err (FB_EDB, FB_EIO, FB_EINTERNAL).
 */
int template_write_single(struct db *db, const struct fb_config *cfg, const struct node_info *node,
                          int64_t user_id, const int64_t *task_ids, size_t n, const char *path,
                          size_t *written, struct fb_err *err) FB_MUSTCHECK;

/* The same as a zip of one workbook per task (at most TEMPLATE_MULTI_MAX). */
int template_write_multi(struct db *db, const struct fb_config *cfg, const struct node_info *node,
                         int64_t user_id, const int64_t *task_ids, size_t n, const char *path,
                         size_t *written, struct fb_err *err) FB_MUSTCHECK;

/*
 * Check a _meta sheet: sig must be the HMAC of json under secret, and json a version-1
 * meta document.  0 with *meta_out new (caller puts), or -1 with FB_EVALIDATION: "the
 * template was changed or signed by another server", or what is wrong with its shape.
 */
int template_meta_verify(const char *secret, const char *json, const char *sig,
                         struct json_object **meta_out, struct fb_err *err) FB_MUSTCHECK;
/*
 * Check a verified meta against the node an import is for: FB_EVALIDATION "template for
 * another node" or "template of an older form version" (download a new one).
 */
int template_meta_check_node(struct json_object *meta, const struct node_info *node,
                             struct fb_err *err) FB_MUSTCHECK;

/* ---- pure helpers (also for tests) --------------------------------------------------- */

/*
 * Copy UTF-8 in to a name safe in file systems and zips: / \ : * ? " < > | and control
 * characters become "_", invalid UTF-8 bytes too, surrounding spaces and dots go, at most
 * max_chars characters.  malloc'ed; "" when nothing is left.
 */
char *template_sanitize_name(const char *in, size_t max_chars);
/* "<task_id>_<sanitized title>.xlsx", or "<task_id>.xlsx"; malloc'ed. */
char *template_entry_name(int64_t task_id, const char *title);
/*
 * A worksheet name from a label: [ ] : * ? / \ and control characters become "_", leading
 * and trailing apostrophes go, at most 31 characters; "Sheet" when empty.  malloc'ed.
 */
char *template_sheet_name(const char *label);
/* "fb_opt_<field_index>_<parent_index>" into out (at least 48 bytes). */
void template_defined_name(char *out, size_t size, size_t field_index, size_t parent_index);
/* "<app>-<node>-<YYYYMMDD>.<ext>" from the node, sanitized, local date of t; malloc'ed. */
char *template_download_name(const struct node_info *node, const char *ext, time_t t);
/*
 * A Content-Disposition value: attachment; filename="<fallback>"; filename*=UTF-8''<name
 * percent-encoded (RFC 5987)>.  In fallback, every character that is not printable ASCII,
 * and " and \, becomes "_".  malloc'ed.
 */
char *template_content_disposition(const char *fallback, const char *name);
/* The signature of json: crypto_sign_hex(secret, CRYPTO_KEY_TEMPLATE, json). */
void template_meta_sign(const char *secret, const char *json, char out[65]);

/* The letters of 0-based column col ("A", "Z", "AA", ... up to "XFD"). */
void template_col_letters(char out[4], size_t col);

#endif
