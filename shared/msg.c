/* SPDX-License-Identifier: MIT */
/*
 * msg: the message catalogue in zh-CN and en and its renderer (see msg.h for the rules
 * a rendering follows).  The catalogue is one static table; nothing here keeps state.
 * Placeholders are {name} (the parameter's value) and {name@prefix} (the text of the
 * message "prefix.<value>" when the catalogue has it, else the value: states, operation
 * names and JSON types read in the reader's language).
 */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <json-c/json.h>

#include "mem.h"
#include "msg.h"
#include "utf8.h"

struct msg_def {
	const char *code;
	const char *text[2]; /* [MSG_ZH], [MSG_EN] */
};

#define M(c, zh, en) {c, {zh, en}}

static const struct msg_def catalogue[] = {
	/* Stored before codes existed, or a text that is only known as text. */
	M(MSG_TEXT_CODE, "{text}", "{text}"),

	/* Envelopes of errors that carry no code of their own: the text is the detail. */
	M("error.bad_request", "请求有误：{detail}", "{detail}"),
	M("error.unauthorized", "未登录：{detail}", "{detail}"),
	M("error.forbidden", "无权操作：{detail}", "{detail}"),
	M("error.not_found", "未找到：{detail}", "{detail}"),
	M("error.method_not_allowed", "不支持的请求方法：{detail}", "{detail}"),
	M("error.conflict", "操作冲突：{detail}", "{detail}"),
	M("error.too_large", "内容过大：{detail}", "{detail}"),
	M("error.unsupported_media_type", "不支持的内容类型：{detail}", "{detail}"),
	M("error.validation_failed", "校验未通过：{detail}", "{detail}"),
	M("error.busy", "服务繁忙，请稍后再试：{detail}", "{detail}"),
	M("error.unavailable", "服务暂时不可用", "the service is temporarily unavailable"),
	M("error.internal", "内部错误", "internal error"),

	/* The request itself. */
	M("request.too_many_params", "查询参数过多（最多 {max} 个）",
	  "too many query parameters (at most {max})"),
	M("request.bad_query", "查询字符串在“{near}”附近有错误的百分号转义或不是 UTF-8",
	  "query string has a bad percent-escape or is not UTF-8 near \"{near}\""),
	M("request.param_int", "参数“{name}”必须是 {min} 到 {max} 之间的整数",
	  "parameter \"{name}\" must be a whole number from {min} to {max}"),
	M("request.unknown_param", "未知参数“{name}”", "unknown parameter \"{name}\""),
	M("request.param_twice", "参数“{name}”给出了不止一次",
	  "parameter \"{name}\" is given more than once"),
	M("param.unknown", "未知参数", "unknown parameter"),
	M("param.twice", "给出了不止一次", "given more than once"),
	M("param.required", "必填", "required"),
	M("request.body_too_large", "请求体 {size} 字节，超过了上限 {limit}（{key}）",
	  "request body of {size} bytes exceeds the limit of {limit} ({key})"),
	M("request.body_short", "请求体在 {got}/{want} 字节处中断",
	  "request body ended after {got} of {want} bytes"),
	M("request.json_media", "Content-Type 必须是 application/json",
	  "Content-Type must be application/json"),
	M("request.busy", "同时进行的{what@busy}过多（最多 {max} 个）：请 {seconds} 秒后再试",
	  "too many {what@busy} are running (at most {max} at once): try again in {seconds} seconds"),
	M("busy.excel", "导入和导出", "imports and exports"),
	M("router.method", "{path} 不支持 {method} 请求", "{method} is not allowed on {path}"),
	M("router.not_found", "没有这个资源：{path}", "no such resource: {path}"),
	M("auth.no_token", "没有登录凭证：请先登录", "no login token: sign in first"),
	M("auth.token_signature", "登录凭证的签名无效", "token signature is not valid"),
	M("auth.token_expired", "登录凭证已过期", "token has expired"),
	M("auth.token_malformed", "登录凭证格式不对", "token is malformed"),
	M("import.multipart", "请以 multipart/form-data 上传文件（字段“file”）",
	  "upload the file as multipart/form-data (part \"file\")"),
	M("import.no_file", "表单中没有“file”字段", "the form has no \"file\" part"),
	M("import.node_id", "“node_id”必须是正整数", "\"node_id\" must be a positive integer"),
	M("proc.ids_query", "{name}：以逗号分隔、最多 {max} 个正整数 ID",
	  "{name}: a comma-separated list of at most {max} positive ids"),
	M("auth.token_required", "缺少参数“token”", "parameter \"token\" is required"),

	/* JSON bodies. */
	M("json.too_large", "JSON 文档过大", "JSON document is too large"),
	M("json.bad_char", "JSON 无效：字符串之外有不允许的字符",
	  "invalid JSON: unexpected character outside a string"),
	M("json.invalid", "JSON 无效：{detail}", "invalid JSON: {detail}"),
	M("json.trailing", "JSON 无效：文档之后还有多余的内容",
	  "invalid JSON: unexpected data after the document"),
	M("json.null", "JSON 无效：此处需要一个值，而不是 null",
	  "invalid JSON: null where a value is expected"),
	M("json.not_object", "{what@json.what}必须是 JSON 对象，而不是{type@json.type}",
	  "{what@json.what} must be a JSON object, not {type@json.type}"),
	M("json.what.body", "请求体", "the request body"),
	M("json.what.value", "该值", "the value"),
	M("json.type.null", "null", "null"),
	M("json.type.boolean", "布尔值", "a boolean"),
	M("json.type.number", "数字", "a number"),
	M("json.type.object", "对象", "an object"),
	M("json.type.array", "数组", "an array"),
	M("json.type.string", "字符串", "a string"),
	M("json.string", "“{key}”必须是字符串", "\"{key}\" must be a string"),
	M("json.integer", "“{key}”必须是整数", "\"{key}\" must be an integer"),
	M("json.range", "“{key}”必须在 {min} 到 {max} 之间",
	  "\"{key}\" must be between {min} and {max}"),
	M("json.bool", "“{key}”必须是 true 或 false", "\"{key}\" must be true or false"),
	M("json.object", "“{key}”必须是对象", "\"{key}\" must be an object"),
	M("json.array", "“{key}”必须是数组", "\"{key}\" must be an array"),
	M("json.unknown_member", "未知成员“{key}”", "unknown member \"{key}\""),
	M("json.too_many", "“{key}”有 {n} 项，最多允许 {max} 项",
	  "\"{key}\" has {n} entries; at most {max} are allowed"),
	M("json.id", "“{key}”[{index}] 必须是正整数 ID",
	  "\"{key}\"[{index}] must be a positive integer id"),

	/* Form values (a detail names the field, and the row and column of a table). */
	M("form.at_field", "“{label}”（{key}）：", "\"{label}\" ({key}): "),
	M("form.at_row", "“{label}”（{key}）第 {row} 行：", "\"{label}\" ({key}) row {row}: "),
	M("form.at_cell", "“{label}”（{key}）第 {row} 行，“{column_label}”（{column}）：",
	  "\"{label}\" ({key}) row {row}, \"{column_label}\" ({column}): "),
	M("form.more", "另有 {n} 个错误未列出", "{n} more errors not shown"),
	M("form.invalid_one", "{errors}", "{errors}"),
	M("form.invalid", "表单有 {n} 处错误：{errors}", "{n} form errors: {errors}"),
	M("form.invalid_count", "表单有 {n} 处错误", "{n} form errors"),
	M("form.finite", "必须是有限的数字", "must be a finite number"),
	M("form.min", "不能小于 {min}", "must be at least {min}"),
	M("form.max", "不能大于 {max}", "must be at most {max}"),
	M("form.whole", "必须是整数", "must be a whole number"),
	M("form.decimal", "最多 {n} 位小数", "must have at most {n} decimal"),
	M("form.decimals", "最多 {n} 位小数", "must have at most {n} decimals"),
	M("form.nul", "不能包含 NUL 字符", "must not contain NUL characters"),
	M("form.utf8", "不是有效的 UTF-8 文本", "is not valid UTF-8 text"),
	M("form.too_long", "最多 {max} 个字符（现有 {n} 个）", "must be at most {max} characters (has {n})"),
	M("form.date_format", "“{value}”不是 YYYY-MM-DD 格式的日期",
	  "\"{value}\" is not a date written YYYY-MM-DD"),
	M("form.date_range", "{value} 不是 1900 到 9999 年之间的日期",
	  "{value} is not a calendar date between 1900 and 9999"),
	M("form.rows", "必须是行的列表（对象数组）", "must be a list of rows (an array of objects)"),
	M("form.max_rows", "最多 {max} 行（现有 {n} 行）", "must have at most {max} rows (has {n})"),
	M("form.row_object", "必须是由各列的值组成的对象", "must be an object of column values"),
	M("form.unknown_column", "未知列“{column}”", "unknown column \"{column}\""),
	M("form.number", "必须是数字", "must be a number"),
	M("form.want_text", "必须是文本（字符串）", "must be text (a string)"),
	M("form.want_date", "必须是日期字符串（YYYY-MM-DD）", "must be a date string (YYYY-MM-DD)"),
	M("form.want_option", "必须是选项之一（字符串）", "must be one of the options (a string)"),
	M("form.want_login", "必须是用户登录名（字符串）", "must be a user login (a string)"),
	M("form.not_option", "“{value}”不在选项之中", "\"{value}\" is not one of the options"),
	M("form.login", "必须是用户登录名（不含空格，最多 {max} 字节）",
	  "must be a user login (no spaces, at most {max} bytes)"),
	M("form.no_user", "没有登录名为“{login}”的用户", "no user with login \"{login}\""),
	M("form.parent_first", "请先选择“{plabel}”（{pkey}）", "choose \"{plabel}\" ({pkey}) first"),
	M("form.not_option_when", "“{plabel}”为“{parent}”时，“{value}”不是可选项",
	  "\"{value}\" is not an option when \"{plabel}\" is \"{parent}\""),
	M("form.parent_cleared", "“{plabel}”已清空，“{value}”不再适用：请一并清空",
	  "\"{value}\" no longer fits now that \"{plabel}\" is cleared: clear it too"),
	M("form.parent_changed", "“{plabel}”现为“{parent}”，“{value}”不再适用：请重新选择",
	  "\"{value}\" no longer fits now that \"{plabel}\" is \"{parent}\": choose a new value"),
	M("form.required_by", "必填（“{by}”依赖于它）", "is required (\"{by}\" depends on it)"),
	M("form.required", "必填", "is required"),
	M("form.value", "“{label}”（{key}）：{what}", "\"{label}\" ({key}): {what}"),
	M("form.not_number", "“{value}”不是数字", "\"{value}\" is not a number"),
	M("form.not_date", "“{value}”不是日期（请写成 YYYY-MM-DD）",
	  "\"{value}\" is not a date (write YYYY-MM-DD)"),
	M("form.date_range_q", "“{value}”不是 1900 到 9999 年之间的日期",
	  "\"{value}\" is not a calendar date between 1900 and 9999"),
	M("form.not_login", "“{value}”不是用户登录名", "\"{value}\" is not a user login"),
	M("form.unknown_field", "未知字段“{key}”", "unknown field \"{key}\""),
	M("form.not_editable", "在此节点不可修改", "is not editable at this node"),

	/* The task listing's parameters and filters. */
	M("task.param", "参数“{name}”：{what}", "parameter \"{name}\": {what}"),
	M("task.in_member", "“{name}”中：{what}", "in \"{name}\": {what}"),
	M("task.keyword_long", "最多 {max} 个字符", "at most {max} characters"),
	M("task.ids_list", "以逗号分隔的任务 ID 列表", "a comma-separated list of task ids"),
	M("task.ids_max", "最多 {max} 个任务 ID", "at most {max} task ids"),
	M("task.ids_positive", "以逗号分隔的正整数任务 ID 列表",
	  "a comma-separated list of positive task ids"),
	M("task.field_key", "1 到 {max} 字节的字段名", "a field key of 1 to {max} bytes"),
	M("task.field_value", "最多 {max} 字节的值", "a value of at most {max} bytes"),
	M("task.given_twice", "给出了两次", "given twice"),
	M("task.fields_max", "最多 {max} 个字段条件", "at most {max} field conditions"),
	M("task.must_object", "必须是对象", "must be an object"),
	M("task.string_or_number", "必须是字符串或数字", "must be a string or a number"),
	M("task.not_searchable", "字段“{key}”在此节点不可搜索",
	  "field \"{key}\" is not searchable at this node"),
	M("task.table_search", "表格字段不能搜索", "a table field cannot be searched"),
	M("task.must_string", "必须是字符串", "must be a string"),
	M("task.fields_need_node", "字段条件需要 node_id", "field conditions need node_id"),
	M("task.page_range", "page 或 page_size 超出范围", "page or page_size out of range"),
	M("task.filter_too_many", "筛选条件匹配的任务超过 {max} 个",
	  "the filter matches more than {max} tasks"),
	M("node.no_such", "没有这个节点", "no such node"),
	M("list.run_status", "status 必须是 init、running、finished 或 cancelled",
	  "status must be init, running, finished or cancelled"),
	M("list.detail_status", "status 必须是 pending、success、failed、ignored、cancelled 或 superseded",
	  "status must be pending, success, failed, ignored, cancelled or superseded"),
	M("list.item_status", "status 必须是 pending、success、failed、ignored 或 cancelled",
	  "status must be pending, success, failed, ignored or cancelled"),

	/* Batches: submission and reads. */
	M("batch.examine_required", "缺少“examine”", "\"examine\" is required"),
	M("batch.action", "“examine.action”必须是“approve”或“reject”",
	  "\"examine.action\" must be \"approve\" or \"reject\""),
	M("batch.node_required", "缺少“node_id”", "\"node_id\" is required"),
	M("batch.ids_or_filter", "请给出“task_ids”或“filter”中的一个",
	  "give either \"task_ids\" or \"filter\""),
	M("batch.filter_node", "“filter.node_id”与“node_id”不一致",
	  "\"filter.node_id\" differs from \"node_id\""),
	M("batch.not_yours", "提交中有不是您在此节点的任务",
	  "the submission names tasks that are not yours at this node"),
	M("batch.not_yours_detail", "这些任务不在您于此节点的任务之中",
	  "these tasks are not among your tasks at this node"),
	M("batch.comment_long", "审批意见超过 2000 个字符", "comment is longer than 2000 characters"),
	M("batch.invalid", "提交的内容无效", "the submission is not valid"),
	M("batch.no_user", "没有这个用户", "no such user"),
	M("batch.idem_recorded", "该 Idempotency-Key 已被记录", "the Idempotency-Key is already recorded"),
	M("batch.task_twice", "task_ids 中有重复的任务", "task_ids lists a task more than once"),
	M("batch.no_tasks", "没有选择任务", "no tasks selected"),
	M("batch.select_one", "请至少选择一个任务", "select at least one task"),
	M("batch.too_many", "选择了 {n} 个任务；一个批次最多 {max} 个",
	  "{n} tasks selected; one batch takes at most {max}"),
	M("batch.not_found", "批次 {id} 不存在", "batch {id} not found"),
	M("batch.cancelled", "批次 {id} 已取消", "batch {id} was cancelled"),
	M("node.not_found", "节点 {id} 不存在", "node {id} does not exist"),
	M("template.mode", "mode 必须是“single”或“multi”", "mode must be \"single\" or \"multi\""),
	M("template.node_required", "缺少 node_id", "node_id is required"),
	M("template.meta_bad", "模板的 _meta 工作表无效：{what}",
	  "the template's _meta sheet is not valid: {what}"),
	M("template.signature", "模板被改动过，或由另一台服务器签发：请重新下载模板",
	  "the template was changed or signed by another server: download a new template"),
	M("template.signature_detail", "签名不符", "signature does not match"),
	M("template.other_node", "这是另一个节点的模板（节点 {was}，不是 {node}“{name}”）：请下载此节点的模板",
	  "template for another node (node {was}, not {node} \"{name}\"): download the template of this node"),
	M("template.old_version", "这是旧版表单的模板（{was}，现为 {now}）：请重新下载模板",
	  "template of an older form version ({was}, now {now}): download a new template"),
	M("template.old_version_detail", "旧版表单的模板", "template of an older form version"),
	M("template.single_max", "一个模板最多包含 {max} 个任务", "a template holds at most {max} tasks"),
	M("template.multi_max", "多文件模板最多包含 {max} 个任务",
	  "a multi-file template holds at most {max} tasks"),
	M("template.none_pending", "所选任务中没有您在此节点的待办",
	  "none of the selected tasks is pending for you at this node"),
	M("template.selection", "所选范围匹配的任务超过 {max} 个：请缩小范围",
	  "the selection matches more than {max} tasks: narrow it down"),
	M("template.selection_multi", "所选范围匹配的任务超过 {max} 个：请缩小范围或使用 mode=single",
	  "the selection matches more than {max} tasks: narrow it down or use mode=single"),
	M("template.no_match", "此节点没有符合条件的您的待办任务",
	  "no pending task of yours at this node matches"),

	M("batch.assignee_required", "下一节点需要指定处理人：请填写一位",
	  "the next node needs an assignee: name one"),
	M("batch.some_missing", "有些任务不存在", "some tasks do not exist"),
	M("batch.some_missing_detail", "这些任务中有些不存在", "some of these tasks do not exist"),
	M("idem.in_progress", "使用该 Idempotency-Key 的请求正在处理中，请重试",
	  "a request with this Idempotency-Key is in progress; try again"),
	M("idem.key_length", "Idempotency-Key 请求头必须是 1 到 {max} 个字符",
	  "the Idempotency-Key header must be 1 to {max} characters"),
	M("idem.key_chars", "Idempotency-Key 请求头只能包含字母、数字和 - _ . :",
	  "the Idempotency-Key header may hold only letters, digits and - _ . :"),
	M("idem.reused", "该 Idempotency-Key 已用于另一个请求",
	  "this Idempotency-Key was already used for a different request"),
	M("idem.reused_detail", "新的请求请使用新的 key；只有重发完全相同的请求时才可复用",
	  "send a new key with a new request; reuse a key only to send the very same request again"),

	/* Excel imports: problems of the file, each at its file, row and column. */
	M("import.problem", "{what}", "{what}"),
	M("import.action", "操作必须是“同意”或“驳回”", "操作 must be 同意 or 驳回"),
	M("import.task_required", "缺少任务ID", "任务ID is required"),
	M("import.task_bad", "任务ID不是有效的任务编号", "任务ID is not a task id"),
	M("import.row_twice", "“{label}”这一行出现了两次（另见第 {other} 行）",
	  "the row \"{label}\" appears twice (also row {other})"),
	M("import.table_rows", "超过 {max} 行", "more than {max} rows"),
	M("import.cell_error", "单元格中是错误值 {value}", "the cell holds the error {value}"),
	M("import.sheet_missing", "缺少工作表“{sheet}”", "the sheet \"{sheet}\" is missing"),
	M("import.form_sheet_missing", "缺少工作表 {sheet}", "the sheet {sheet} is missing"),
	M("import.row_missing", "缺少“{label}”这一行", "the row \"{label}\" is missing"),
	M("import.task_changed", "任务ID被改动过（该模板属于任务 {task}）",
	  "任务ID was changed (the template is for task {task})"),
	M("import.action_required", "缺少操作", "操作 is required"),
	M("import.not_yours", "任务 {task} 不是您的任务", "task {task} is not one of your tasks"),
	M("import.not_pending", "任务 {task} 已不是待办", "task {task} is no longer pending"),
	M("import.moved", "任务 {task} 已流转到其他节点", "task {task} has moved to another node"),
	M("import.comment_long", "审批意见超过 {max} 个字符", "审批意见 is longer than {max} characters"),
	M("import.assignee_required", "缺少下一处理人：下一节点“{node}”需要指定处理人",
	  "下一处理人 is required: the next node \"{node}\" needs an assignee"),
	M("import.no_user", "没有这个用户：{login}", "no such user: {login}"),
	M("import.task_in_file", "任务 {task} 也在 {file} 中", "task {task} is also in {file}"),
	M("import.task_on_row", "任务 {task} 也在第 {row} 行", "task {task} is also on row {row}"),
	M("import.no_action", "没有任何一行填写了操作：请在要处理的行上选择“同意”或“驳回”",
	  "no row has an action (操作): choose 同意 or 驳回 on the rows to process"),
	M("import.no_action_detail", "没有任何一行填写了操作", "no row has an action"),
	M("import.more", "另有 {n} 个问题", "and {n} more problems"),
	M("import.problems_listed", "文件中有 {n} 个问题（列出了前 {max} 个）；没有提交任何内容",
	  "{n} problems in the file (the first {max} are listed); nothing was submitted"),
	M("import.problem_one", "文件中有 {n} 个问题；没有提交任何内容",
	  "{n} problem in the file; nothing was submitted"),
	M("import.problems", "文件中有 {n} 个问题；没有提交任何内容",
	  "{n} problems in the file; nothing was submitted"),
	M("import.other_node", "这是另一个节点的模板", "template for another node"),
	M("import.other_node_upload", "这是另一个节点的模板（节点 {was}，不是 {node}）：请下载此节点的模板",
	  "template for another node (node {was}, not {node}): download the template of this node"),
	M("import.node_gone", "这是另一个节点的模板（该节点已不存在）：请重新下载模板",
	  "template for another node (that node no longer exists): download a new template"),
	M("import.headers_changed", "表头与模板不符：请重新下载模板",
	  "the header row does not match the template: download a new template"),
	M("import.old_version", "这是旧版表单的模板：请重新下载模板",
	  "template of an older form version: download a new template"),
	M("import.header_row", "工作表 {sheet} 的第 1 行必须是表头",
	  "row 1 of the sheet {sheet} must hold the headers"),
	M("import.too_many_rows", "填写了操作的行超过 {max} 行；一个批次最多 {max} 个",
	  "more than {max} rows with an action; one batch takes at most {max}"),
	M("import.not_template", "这不是 flowbatch 模板（没有 _meta 工作表）：请下载模板后填写",
	  "not a flowbatch template (it has no _meta sheet): download a template and fill it in"),
	M("import.sheet_empty", "工作表 {sheet} 是空的", "the sheet {sheet} is empty"),
	M("import.too_many_books", "工作簿超过 {max} 个；一个批次最多 {max} 个",
	  "more than {max} workbooks; one batch takes at most {max}"),
	M("import.single_in_zip", "{file}：zip 中有单表模板：请单独上传它",
	  "{file}: a single-layout template inside a zip: upload it on its own"),
	M("import.zip_stranger", "zip 中的“{file}”不是模板包里的工作簿",
	  "the zip holds \"{file}\", which is not a workbook of a template pack"),
	M("import.zip_stranger_detail", "不是模板包里的工作簿", "not a workbook of a template pack"),
	M("import.encrypted", "{file} 是加密的", "{file} is encrypted"),
	M("import.zip_empty", "zip 中没有工作簿", "the zip holds no workbook"),
	M("import.empty_file", "文件是空的：不是 xlsx", "the file is empty: not an xlsx"),
	M("import.not_zip", "不是 xlsx（或已加密）：文件不是 zip 压缩包",
	  "not an xlsx (or encrypted): the file is not a zip archive"),
	M("import.damaged_zip", "文件是损坏的 zip 压缩包", "the file is a damaged zip archive"),
	M("import.bad_xlsx", "文件不是有效的 xlsx：{detail}", "the file is not a valid xlsx: {detail}"),

	/* Bulk process operations: requests. */
	M("proc.state_filter", "state 必须是 running、suspended、stopped 或 finished",
	  "state must be running, suspended, stopped or finished"),
	M("proc.created_format", "created_from 和 created_to 的格式是 YYYY-MM-DD 或 YYYY-MM-DDTHH:MM:SSZ（UTC）",
	  "created_from and created_to are YYYY-MM-DD or YYYY-MM-DDTHH:MM:SSZ (UTC)"),
	M("proc.keyword_long", "关键字超过 {max} 个字符", "keyword is longer than {max} characters"),
	M("proc.created_invalid", "created_from 或 created_to 不是有效的时间",
	  "created_from or created_to is not a valid time"),
	M("proc.sessions_unknown", "这些流程实例不存在，或您无权操作",
	  "these process instances do not exist or are not yours to operate on"),
	M("proc.sessions_twice", "这些流程实例被列出了不止一次",
	  "these process instances are listed more than once"),
	M("proc.operation", "operation 必须是 suspend、resume、stop、finish、delete 或 archive_delete",
	  "operation must be suspend, resume, stop, finish, delete or archive_delete"),
	M("proc.filter_empty", "筛选条件没有匹配到您可以操作的流程实例",
	  "the filter matches no process instance you may operate on"),
	M("proc.select_one", "请至少选择一个流程实例", "select at least one process instance"),
	M("proc.too_many", "选择的流程实例超过 {max} 个；一次操作最多 {max} 个",
	  "more than {max} process instances selected; one operation takes at most {max}"),
	M("proc.not_found", "操作 {id} 不存在", "operation {id} not found"),
	M("proc.cancelled", "操作 {id} 已取消", "operation {id} was cancelled"),
	M("proc.invalid", "操作无效", "the operation is not valid"),
	M("proc.ids_or_filter", "请给出“session_ids”或“filter”中的一个",
	  "give either \"session_ids\" or \"filter\""),

	/* Why an item of a batch failed or was ignored (stored with the item). */
	M("item.not_pending", "该任务已不是待办", "the task is no longer pending"),
	M("item.moved", "该任务已流转到其他节点", "the task has moved to another node"),
	M("item.session_state", "流程实例{state@state}", "the process instance is {state}"),
	M("item.post_data_unusable", "该条目保存的提交数据无法使用：{detail}",
	  "the item's stored post_data is unusable: {detail}"),
	M("item.form_data_unusable", "流程实例保存的表单数据无法使用：{detail}",
	  "the process instance's stored form_data is unusable: {detail}"),
	M("item.not_assigned", "该任务不是分配给您的", "this task is not assigned to you"),
	M("item.locked_person", "已被 {owner} 锁定，正在人工处理",
	  "locked by {owner}, who is handling it in person"),
	M("item.locked_batch", "已被另一个批次锁定（批次 {batch}）",
	  "locked by another batch (batch {batch})"),
	M("item.suspended", "流程实例已挂起", "the process instance is suspended"),
	M("item.form_invalid", "{errors}", "{errors}"),
	M("item.next_needs_assignee", "下一节点“{node}”需要指定处理人",
	  "the next node \"{node}\" needs an assignee"),
	M("item.next_assignee_unknown", "下一处理人“{login}”不存在",
	  "the next assignee \"{login}\" does not exist"),
	M("item.next_no_assignee", "下一节点“{node}”没有配置处理人",
	  "the next node \"{node}\" has no assignee configured"),
	M("item.reject_nobody", "驳回时在“{node}”找不到可退回的处理人",
	  "nobody to send the rejection back to at \"{node}\""),
	M("item.cancelled", "已被用户取消", "cancelled by the user"),
	M("item.superseded", "已由批次 {batch} 接手", "superseded by batch {batch}"),
	M("item.superseded_after", "已由批次 {batch} 接手：{was}", "superseded by batch {batch}: {was}"),
	M("item.unexpected", "意外错误：{detail}", "unexpected error: {detail}"),

	/* Why a process instance of a bulk operation failed or was ignored. */
	M("proc.session_gone", "流程实例已不存在", "the process instance no longer exists"),
	M("proc.not_monitor", "您不是该应用的监控人", "not a monitor of this app"),
	M("proc.state_mismatch", "流程实例{state@state}；{op@op}只适用于{op@applies}",
	  "the process instance is {state}; {op} applies to {op@applies}"),
	M("state.running", "运行中", "running"),
	M("state.suspended", "已挂起", "suspended"),
	M("state.stopped", "已终止", "stopped"),
	M("state.finished", "已结束", "finished"),
	M("state.deleted", "已删除", "deleted"),
	M("applies.suspend", "运行中的实例", "running ones"),
	M("applies.resume", "已挂起的实例", "suspended ones"),
	M("applies.stop", "运行中或已挂起的实例", "running or suspended ones"),
	M("applies.finish", "运行中或已挂起的实例", "running or suspended ones"),
	M("applies.delete", "尚未删除的实例", "any not deleted yet"),
	M("applies.archive_delete", "已结束或已终止的实例", "finished or stopped ones"),
	M("op.suspend", "挂起", "suspend"),
	M("op.resume", "恢复", "resume"),
	M("op.stop", "终止", "stop"),
	M("op.delete", "删除", "delete"),
	M("op.finish", "强制结束", "finish"),
	M("op.archive_delete", "归档删除", "archive_delete"),

	/* Cron expressions: a problem in a field names the field and the position. */
	M("cron.at", "{field@cron.field}字段第 {position} 个字符处：{what}",
	  "{field@cron.field} field, position {position}: {what}"),
	M("cron.field.minute", "分钟", "minute"),
	M("cron.field.hour", "小时", "hour"),
	M("cron.field.day-of-month", "日", "day-of-month"),
	M("cron.field.month", "月份", "month"),
	M("cron.field.day-of-week", "星期", "day-of-week"),
	M("cron.what.minute", "0 到 59 的数字", "a number 0-59"),
	M("cron.what.hour", "0 到 23 的数字", "a number 0-23"),
	M("cron.what.day-of-month", "1 到 31 的数字", "a number 1-31"),
	M("cron.what.month", "1 到 12 的数字或月份名 JAN 到 DEC", "a number 1-12 or a name JAN-DEC"),
	M("cron.what.day-of-week", "0 到 7 的数字或星期名 SUN 到 SAT",
	  "a number 0-7 or a name SUN-SAT"),
	M("cron.expected_end", "应为 {what@cron.what}，但字段已结束",
	  "expected {what@cron.what}, got the end of the field"),
	M("cron.expected_got", "应为 {what@cron.what}，而不是“{got}”",
	  "expected {what@cron.what}, got '{got}'"),
	M("cron.out_of_range", "{value} 超出范围：应为 {what@cron.what}",
	  "{value} is out of range: expected {what@cron.what}"),
	M("cron.step", "“/”之后应为 1 到 {max} 的步长", "expected a step from 1 to {max} after '/'"),
	M("cron.backwards", "范围 {range} 是倒过来的（范围不会绕回）",
	  "range {range} runs backwards (ranges do not wrap)"),
	M("cron.step_needs_range", "步长前面需要一个范围或“*”（“{value}”应写成“{value}-{hi}/...”）",
	  "a step needs a range or '*' before it (for '{value}' write '{value}-{hi}/...')"),
	M("cron.random", "不支持随机范围（“~”）", "random ranges ('~') are not supported"),
	M("cron.unexpected", "不应出现“{ch}”（此处应为“,”、“-”、“/”或字段结束）",
	  "unexpected '{ch}' (expected ',', '-', '/' or the end of the field)"),
	M("cron.empty_element", "列表中有空项：应为 {what@cron.what}或“*”",
	  "empty list element: expected {what@cron.what} or '*'"),
	M("cron.too_many_fields", "第 {position} 个字符处：应为 5 个字段（分钟 小时 日 月份 星期），实际多于 5 个",
	  "position {position}: expected 5 fields (minute hour day-of-month month day-of-week), got more"),
	M("cron.missing_field", "应为 5 个字段（分钟 小时 日 月份 星期），实际只有 {n} 个：缺少{field@cron.field}字段",
	  "expected 5 fields (minute hour day-of-month month day-of-week), got {n}: the {field} field is missing"),
	M("cron.reboot", "第 {position} 个字符处：不支持 @reboot，它没有指定时刻",
	  "position {position}: @reboot is not supported: it names no time of day"),
	M("cron.unknown_alias", "第 {position} 个字符处：未知的别名“{alias}”（可用 @yearly、@annually、@monthly、@weekly、@daily、@midnight 或 @hourly）",
	  "position {position}: unknown alias '{alias}' (expected @yearly, @annually, @monthly, @weekly, @daily, @midnight or @hourly)"),
	M("cron.after_alias", "第 {position} 个字符处：{alias} 之后不能再有内容",
	  "position {position}: nothing may follow {alias}"),
	M("cron.too_long", "cron 表达式超过 {max} 字节", "cron expression longer than {max} bytes"),
	M("cron.bad_byte", "第 {position} 个字符处：不允许的字节 0x{byte}（只能是可打印的 ASCII 字符、空格和制表符）",
	  "position {position}: unexpected byte 0x{byte} (only printable ASCII, spaces and tabs)"),
	M("cron.empty", "cron 表达式为空：应为 5 个字段（分钟 小时 日 月份 星期）或 @daily 之类的别名",
	  "empty cron expression: expected 5 fields (minute hour day-of-month month day-of-week) or an alias such as @daily"),
	M("cron.no_match", "该表达式在 {years} 年内没有匹配的时间",
	  "the expression matches no time within {years} years"),
	M("cron.expr_invalid", "表达式无效", "the expression is not valid"),

	/* Crontabs: the problems of a body, each naming its member. */
	M("request.body_object", "请求体必须是 JSON 对象", "the body must be a JSON object"),
	M("crontab.invalid", "定时任务有 {n} 处错误", "the crontab is not valid ({n} problems)"),
	M("crontab.not_found", "定时任务 {id} 不存在", "no crontab {id}"),
	M("crontab.system_delete", "定时任务 {id} 是系统定时任务，不能删除：请改为停用",
	  "crontab {id} is a system crontab: disable it instead"),
	M("crontab.upstream", "定时任务 {id} 是 {names} 的上游：请先从它们的 depends_on 中移除它",
	  "crontab {id} is an upstream of {names}: remove it from their depends_on first"),
	M("crontab.time", "必须是 RFC 3339 格式的时间，例如 2026-01-31T08:00:00+08:00",
	  "must be an RFC 3339 time such as 2026-01-31T08:00:00+08:00"),
	M("crontab.required_object", "必填，且必须是对象", "is required and must be an object"),
	M("crontab.runtime_required", "一次性定时任务必须填写", "is required for a once crontab"),
	M("crontab.end_after_start", "必须晚于 rule.start", "must be after rule.start"),
	M("crontab.string", "必须是字符串", "must be a string"),
	M("crontab.too_long", "太长", "is too long"),
	M("crontab.every", "必须是 1 到 86400 之间的整秒数",
	  "must be a whole number of seconds, 1 to 86400"),
	M("crontab.every_config", "只支持 batch.recover_interval_seconds",
	  "only batch.recover_interval_seconds is known"),
	M("crontab.cron_array", "必须是由 cron 表达式组成的数组", "must be an array of cron expressions"),
	M("crontab.cron_count", "需要 1 到 {max} 个表达式", "needs 1 to {max} expressions"),
	M("crontab.schedule_one", "rule.cron、rule.every 和 rule.every_config 必须且只能给出一个",
	  "give exactly one of rule.cron, rule.every, rule.every_config"),
	M("crontab.url_required", "http.call 必须填写", "is required for http.call"),
	M("crontab.url", "必填：最多 {max} 字节的 http 或 https URL",
	  "is required: an http or https URL of at most {max} bytes"),
	M("crontab.url_not_allowed", "不在允许访问的地址列表中（scheduler.http_allow）",
	  "is not on the allowlist (scheduler.http_allow)"),
	M("crontab.method", "必须是 GET 或 POST", "must be GET or POST"),
	M("crontab.string_max", "必须是最多 {max} 字节的字符串", "must be a string of at most {max} bytes"),
	M("crontab.one_of", "必须是 {list} 之一", "must be one of {list}"),
	M("crontab.object", "必须是对象", "must be an object"),
	M("crontab.too_large", "超过了 {max} 字节", "is larger than {max} bytes"),
	M("crontab.stream", "必须是 high、common 或 low", "must be high, common or low"),
	M("crontab.timeout", "必须是 1 到 604800 之间的秒数", "must be seconds, 1 to 604800"),
	M("crontab.range", "必须在 {min} 到 {max} 之间", "must be {min} to {max}"),
	M("crontab.deps_array", "必须是最多 {max} 个定时任务 ID 的数组",
	  "must be an array of at most {max} crontab ids"),
	M("crontab.dep_id", "必须是定时任务 ID", "must be a crontab id"),
	M("crontab.dep_twice", "重复列出", "is listed twice"),
	M("crontab.dep_self", "定时任务不能依赖自己", "a crontab cannot depend on itself"),
	M("crontab.cycle", "会形成循环依赖：{path}", "would make a cycle: {path}"),
	M("crontab.system_field", "系统定时任务不能修改此项", "cannot be changed on a system crontab"),
	M("crontab.name", "必填，1 到 {max} 字节", "is required, 1 to {max} bytes"),
	M("crontab.type", "必填：once 或 repeat", "is required: once or repeat"),
	M("crontab.bool", "必须是 true 或 false", "must be true or false"),
	M("crontab.expr_required", "必填：5 个字段的 cron 表达式", "is required: a 5-field cron expression"),
	M("crontab.enable_param", "enable 必须是 true 或 false", "enable must be true or false"),
	M("crontab.last_state", "last_state 必须是 pending、running、success、failed、skipped、timed_out、waiting 或 cancelled 之一",
	  "last_state must be one of pending, running, success, failed, skipped, timed_out, waiting, cancelled"),

	/* Time zones. */
	M("tz.name_length", "时区名必须是 1 到 {max} 字节", "time zone name must be 1 to {max} bytes"),
	M("tz.name_long", "时区名超过 {max} 字节", "time zone name longer than {max} bytes"),
	M("tz.name_relative", "时区名“{name}”不是相对的时区名（不能以“/”开头，不能含“..”）",
	  "time zone name '{name}' is not a relative zone name (no leading '/', no '..')"),
	M("tz.name_char", "时区名第 {position} 个字符不是字母、数字或 /_+-. 之一",
	  "time zone name has a character other than letters, digits and /_+-. at position {position}"),
	M("tz.unknown", "没有这个时区：“{name}”", "no such time zone: '{name}'"),
	M("tz.not_zone", "“{name}”不是时区文件", "time zone '{name}': not a zone file"),
	M("tz.zone_large", "时区“{name}”的文件超过 {max} 字节", "time zone '{name}': file larger than {max} bytes"),
	M("tz.file_large", "时区文件超过 {max} 字节", "time zone file larger than {max} bytes"),
	M("tz.not_tzif", "时区文件：不是 TZif 文件", "time zone file: not a TZif file"),
	M("tz.leap", "时区文件：不支持含闰秒的文件（right/）",
	  "time zone file: leap-second files (right/) are not supported"),
	M("tz.file_damaged", "时区文件已损坏：{what}", "time zone file: {what}"),

	/* The task center. */
	M("tc.config_invalid", "任务中心的设置无效", "the task-center settings are not valid"),
	M("tc.log_status", "status 必须是 queued、sending、delivered、rejected、failed 或 abandoned",
	  "status must be queued, sending, delivered, rejected, failed or abandoned"),
	M("tc.retry_status", "status 必须是 failed、abandoned 或 rejected",
	  "status must be failed, abandoned or rejected"),
	M("tc.since", "since 必须是一段时长，例如 90s、30m、12h 或 3d",
	  "since must be an age such as 90s, 30m, 12h or 3d"),
	M("tc.name", "必须是 1 到 200 字节的文本", "must be a text of 1 to 200 bytes"),
	M("tc.url", "必须是最多 2000 字节的 http:// 或 https:// URL",
	  "must be an http:// or https:// URL of at most 2000 bytes"),
	M("tc.secret", "必须是 16 到 200 字节的文本", "must be a text of 16 to 200 bytes"),
	M("tc.bool", "必须是 true 或 false", "must be true or false"),
	M("tc.required", "必填", "is required"),
	M("tc.platform_invalid", "推送平台的设置无效", "the platform is not valid"),
	M("tc.no_platform", "没有这个推送平台", "no such platform"),
	M("tc.no_platform_id", "推送平台 {id} 不存在", "no such platform: {id}"),
	M("tc.platform_name_taken", "已有同名的推送平台", "a platform with that name exists"),
	M("tc.no_log", "任务中心推送记录 {id} 不存在", "no such task-center log row: {id}"),
	M("tc.log_not_retryable", "推送记录 {id} 的状态是 {status}：只有 failed、abandoned 或 rejected 的记录可以重新推送",
	  "log row {id} is {status}: only failed, abandoned or rejected rows are pushed again"),
	M("notice.until", "until 必须是通知列表给出的时间", "until must be a time as the notice list gave it"),

	/* Operations: queues, consumers, dead letters. */
	M("ops.runner_name", "必须是 /api/runners 列出的执行器名称“host:pid”",
	  "must be a runner name \"host:pid\" as /api/runners lists it"),
	M("ops.consumers_member", "未知成员：只能是 high、common、low 和 runner",
	  "unknown member: only high, common, low and runner"),
	M("ops.consumers_count", "必须是 0 到 {max} 之间的整数，或 null",
	  "must be an integer from 0 to {max}, or null"),
	M("ops.consumers_none", "请至少给出 high、common、low 中的一个",
	  "give at least one of high, common, low"),
	M("ops.no_runner", "没有这个执行器（见 /api/runners）", "no such runner (see /api/runners)"),
	M("ops.consumers_invalid", "消费者数量无效", "the consumer counts are not valid"),
	M("ops.no_stream", "没有这个队列：{name}（可用 high、common 或 low）",
	  "no such stream: {name} (high, common or low)"),
	M("ops.no_dead_letter", "死信 {id} 不存在", "no such dead letter: {id}"),

	/* Alerts, said from the params stored with them. */
	M("alert.state", "state 必须是 open 或 resolved", "state must be open or resolved"),
	M("alert.kind.batch", "批次", "batch"),
	M("alert.kind.bulk_op", "批量操作", "bulk operation"),
	M("alert.batch_stalled", "{kind@alert.kind} {id}（{status}）已有 {idle_seconds} 秒没有进展",
	  "{kind@alert.kind} {id} ({status}) has made no progress for {idle_seconds} s"),
	M("alert.batch_failure_rate", "批次 {batch_id}：已处理的 {total} 项中有 {failed} 项失败（{percent}% > {threshold_percent}%）",
	  "batch {batch_id}: {failed} of {total} decided items failed ({percent}% > {threshold_percent}%)"),
	M("alert.push_failures", "任务中心推送平台 {platform}：最近 {minutes} 分钟内有 {failures} 次推送失败",
	  "task-center platform {platform}: {failures} pushes failed in the last {minutes} min"),
	M("alert.crontab_failing", "定时任务 {crontab}（{crontab_id}）最近 {failures} 次运行都失败了",
	  "crontab {crontab} ({crontab_id}) failed its last {failures} runs"),
	M("alert.queue_oldest_entry", "队列 {stream}{paused_note}：最早的消息已等待 {oldest_age_seconds} 秒（共 {length} 条）",
	  "stream {stream}{paused_note}: its oldest entry is {oldest_age_seconds} s old ({length} entries)"),
	M("alert.paused", "（已暂停）", " (paused)"),
	M("alert.runner_memory", "执行器 {runner} 占用内存 {rss_mib} MiB（上限 {limit_mib} MiB）",
	  "runner {runner} uses {rss_mib} MiB of memory (limit {limit_mib} MiB)"),
	M("alert.no_live_runner", "已有 {seconds} 秒没有存活的执行器", "no live runner for {seconds} s"),

	/* Reading an uploaded xlsx (xlsx_read and its parts). */
	M("xlsx.empty", "不是 xlsx 文件（或已加密）：文件为空",
	  "not an xlsx (or encrypted): the file is empty"),
	M("xlsx.not_xlsx", "不是 xlsx 文件（或已加密）：{detail}", "not an xlsx (or encrypted): {detail}"),
	M("xlsx.cannot_open", "无法打开 xlsx 文件：{detail}", "xlsx: cannot open: {detail}"),
	M("xlsx.entries", "xlsx 文件有 {n} 个条目（上限 {max} 个）",
	  "xlsx: the archive has {n} entries (limit {max})"),
	M("xlsx.entry_encrypted", "不是 xlsx 文件（或已加密）：条目 {entry} 已加密",
	  "not an xlsx (or encrypted): entry {entry} is encrypted"),
	M("xlsx.entry_method", "不是 xlsx 文件：条目 {entry} 使用了不支持的压缩方式",
	  "not an xlsx: entry {entry} uses an unsupported compression method"),
	M("xlsx.no_workbook", "不是 xlsx 文件：没有工作簿部件（{part}）",
	  "not an xlsx: no workbook part ({part})"),
	M("xlsx.wb_rels_missing", "xlsx 文件缺少工作簿的关系部件（{part}）",
	  "xlsx: the workbook relationships ({part}) are missing"),
	M("xlsx.rels_many", "xlsx 文件的 {part} 中关系超过 {max} 个",
	  "xlsx: {part} has more than {max} relationships"),
	M("xlsx.sheet_no_name", "xlsx 文件的 {part} 中有工作表没有名称或 id",
	  "xlsx: a sheet in {part} has no name or id"),
	M("xlsx.sheets_many", "xlsx 文件的工作表超过 {max} 个", "xlsx: more than {max} sheets"),
	M("xlsx.no_sheets", "xlsx 文件的工作簿中没有工作表", "xlsx: the workbook has no sheets"),
	M("xlsx.part_missing", "xlsx 文件缺少部件 {part}", "xlsx: part {part} is missing"),
	M("xlsx.part_large", "xlsx 文件的部件 {part} 超过 {max} 字节",
	  "xlsx: part {part} is larger than {max} bytes"),
	M("xlsx.part_unreadable", "无法读取 xlsx 文件的部件 {part}：{detail}",
	  "xlsx: cannot read part {part}: {detail}"),
	M("xlsx.part_inflates", "xlsx 文件的部件 {part} 解压后超过 {max} 字节",
	  "xlsx: part {part} inflates to more than {max} bytes"),
	M("xlsx.archive_inflates", "xlsx 文件解压后超过 {max} 字节",
	  "xlsx: archive inflates to more than {max} bytes"),
	M("xlsx.part_text_long", "xlsx 文件的部件 {part} 中有超过 {max} 个字符的文本（Excel 单元格的上限）",
	  "xlsx: part {part} holds a text longer than {max} characters (Excel's limit for a cell)"),
	M("xlsx.part_corrupt", "xlsx 文件的部件 {part} 已损坏：{detail}",
	  "xlsx: part {part} is corrupt: {detail}"),
	M("xlsx.xml_line", "xlsx 文件的部件 {part} 第 {line} 行的 XML 有误：{detail}",
	  "xlsx: malformed XML in {part} line {line}: {detail}"),
	M("xlsx.xml", "xlsx 文件的部件 {part} 的 XML 有误", "xlsx: malformed XML in {part}"),
	M("xlsx.doctype", "xlsx 文件的部件 {part} 含有 DOCTYPE 或实体引用（不允许）",
	  "xlsx: part {part} has a DOCTYPE or entity reference (not allowed)"),
	M("xlsx.too_deep", "xlsx 文件的部件 {part} 嵌套超过 {max} 层",
	  "xlsx: part {part} nests deeper than {max}"),
	M("xlsx.sst_many", "xlsx 文件的共享字符串超过 {max} 个", "xlsx: more than {max} shared strings"),
	M("xlsx.sst_total", "xlsx 文件的共享字符串超过 {max} 字节",
	  "xlsx: shared strings exceed {max} bytes"),
	M("xlsx.sst_chars", "xlsx 文件的共享字符串 {index} 超过 {max} 个字符（Excel 单元格的上限）",
	  "xlsx: shared string {index} is longer than {max} characters (Excel's limit for a cell)"),
	M("xlsx.sst_bytes", "xlsx 文件的共享字符串 {index} 超过 {max} 字节",
	  "xlsx: shared string {index} is longer than {max} bytes"),
	M("xlsx.numfmts_many", "xlsx 文件的数字格式超过 {max} 个", "xlsx: more than {max} number formats"),
	M("xlsx.styles_many", "xlsx 文件的单元格样式超过 {max} 个", "xlsx: more than {max} cell styles"),
	M("xlsx.no_sheet", "xlsx 文件中没有名为“{sheet}”的工作表", "xlsx: no sheet named \"{sheet}\""),
	M("xlsx.sheet_part_missing", "xlsx 文件缺少工作表 {sheet} 的部件",
	  "xlsx: the part of sheet {sheet} is missing"),
	M("xlsx.sheet_text_long", "工作表 {sheet} 中有超过 {max} 个字符的文本（Excel 单元格的上限）",
	  "xlsx: sheet {sheet} holds a text longer than {max} characters (Excel's limit for a cell)"),
	M("xlsx.row_bad", "工作表 {sheet}：行号“{value}”无效", "xlsx: sheet {sheet}: bad row number \"{value}\""),
	M("xlsx.row_order", "工作表 {sheet}：第 {row} 行的顺序不对",
	  "xlsx: sheet {sheet}: row {row} is out of order"),
	M("xlsx.rows_many", "工作表 {sheet} 超过 {max} 行", "xlsx: sheet {sheet} has more than {max} rows"),
	M("xlsx.ref_bad", "工作表 {sheet} 第 {row} 行：单元格引用“{value}”无效或超出范围",
	  "xlsx: sheet {sheet} row {row}: bad or out of range cell reference \"{value}\""),
	M("xlsx.ref_order", "工作表 {sheet}：单元格 {cell} 的顺序不对或超过 {max} 行",
	  "xlsx: sheet {sheet}: cell {cell} is out of order or beyond {max} rows"),
	M("xlsx.ref_row", "工作表 {sheet}：单元格 {cell} 不在第 {row} 行",
	  "xlsx: sheet {sheet}: cell {cell} is not in row {row}"),
	M("xlsx.cell_order", "工作表 {sheet}：单元格 {cell} 的顺序不对",
	  "xlsx: sheet {sheet}: cell {cell} is out of order"),
	M("xlsx.col_xfd", "工作表 {sheet} 第 {row} 行：列超出 XFD",
	  "xlsx: sheet {sheet} row {row}: column beyond XFD"),
	M("xlsx.cols_many", "工作表 {sheet} 第 {row} 行：超过 {max} 列",
	  "xlsx: sheet {sheet} row {row}: more than {max} columns"),
	M("xlsx.type_unknown", "工作表 {sheet}：未知的单元格类型“{value}”",
	  "xlsx: sheet {sheet}: unknown cell type \"{value}\""),
	M("xlsx.cell_type_unknown", "工作表 {sheet} 单元格 {cell}：未知的单元格类型“{value}”",
	  "xlsx: sheet {sheet} cell {cell}: unknown cell type \"{value}\""),
	M("xlsx.sst_range", "工作表 {sheet} 单元格 {cell}：共享字符串“{value}”超出范围（共 {n} 个）",
	  "xlsx: sheet {sheet} cell {cell}: shared string \"{value}\" out of range ({n} strings)"),
	M("xlsx.cell_chars", "工作表 {sheet} 单元格 {cell}：文本超过 {max} 个字符（Excel 单元格的上限）",
	  "xlsx: sheet {sheet} cell {cell}: text longer than {max} characters (Excel's limit for a cell)"),
	M("xlsx.cell_bytes", "工作表 {sheet} 单元格 {cell}：值超过 {max} 字节",
	  "xlsx: sheet {sheet} cell {cell}: value longer than {max} bytes"),
	M("xlsx.bool_bad", "工作表 {sheet} 单元格 {cell}：布尔值“{value}”无效",
	  "xlsx: sheet {sheet} cell {cell}: bad boolean \"{value}\""),
	M("xlsx.number_bad", "工作表 {sheet} 单元格 {cell}：数字“{value}”无效",
	  "xlsx: sheet {sheet} cell {cell}: bad number \"{value}\""),
	/* Excel import: the file as a whole. */
	M("import.column_twice", "“{column}”列出现了两次", "the column \"{column}\" appears twice"),
	M("import.column_missing", "缺少“{column}”列", "the column \"{column}\" is missing"),
	M("import.header_missing", "缺少表头行", "the header row is missing"),
	M("import.meta_columns", "模板的元数据中没有任务ID或操作列：请重新下载模板",
	  "the template's meta data has no task id or action: download the template again"),
	M("import.workbook_bad", "{file}：{detail}", "{file}: {detail}"),
	M("import.zip_unreadable", "无法读取 zip 中的 {file}：{detail}", "cannot read {file}: {detail}"),
	M("import.zip_workbook_big", "zip 中有工作簿解压后超过 {mib} MiB",
	  "a workbook in the zip inflates to more than {mib} MiB"),
	M("import.zip_damaged", "zip 压缩包已损坏：{detail}", "the zip is damaged: {detail}"),
	M("import.zip_big", "zip 解压后超过 {mib} MiB", "the zip inflates to more than {mib} MiB"),
	M("import.zip_entries", "zip 中有 {n} 个条目；一个模板包最多 {max} 个工作簿",
	  "the zip has {n} entries; a pack holds at most {max} workbooks"),
	M("import.zip_books", "zip 中的工作簿超过 {max} 个", "the zip holds more than {max} workbooks"),
	/* multipart/form-data uploads: what is wrong with the request's body. */
	M("multipart.no_type", "需要 multipart/form-data，但请求没有 Content-Type",
	  "expected multipart/form-data, got no Content-Type"),
	M("multipart.not_form_data", "需要 multipart/form-data，而不是“{got}”",
	  "expected multipart/form-data, got \"{got}\""),
	M("multipart.boundary_twice", "上传格式有误：Content-Type 中有两个 boundary 参数",
	  "multipart: two boundary parameters"),
	M("multipart.boundary_length", "上传格式有误：boundary 必须是 1 到 {max} 个字符，且不以空格结尾",
	  "multipart: the boundary must be 1 to {max} characters, not ending in a space"),
	M("multipart.boundary_char", "上传格式有误：boundary 中有可打印 ASCII 以外的字符",
	  "multipart: the boundary has a character outside printable ASCII"),
	M("multipart.bad_params", "上传格式有误：Content-Type 的参数格式错误",
	  "multipart: malformed Content-Type parameters"),
	M("multipart.no_boundary", "上传格式有误：Content-Type 中没有 boundary",
	  "multipart: the Content-Type has no boundary"),
	M("multipart.bad_boundary", "上传格式有误：boundary 无效", "multipart: bad boundary"),
	M("multipart.no_boundary_line", "上传格式有误：请求体中没有分隔行",
	  "multipart: the body has no boundary line"),
	M("multipart.bad_delimiter", "上传格式有误：第 {part} 部分之后的分隔行格式错误",
	  "multipart: malformed boundary line after part {part}"),
	M("multipart.too_many_parts", "上传格式有误：超过 {max} 个部分",
	  "multipart: more than {max} parts"),
	M("multipart.headers_long", "上传格式有误：第 {part} 部分的头部超过 {max} 字节",
	  "multipart: part {part} has headers longer than {max} bytes"),
	M("multipart.headers_cut", "上传格式有误：第 {part} 部分在头部中途结束",
	  "multipart: part {part} ends inside its headers"),
	M("multipart.unclosed", "上传格式有误：第 {part} 部分（“{name}”）没有结束分隔行",
	  "multipart: part {part} (\"{name}\") has no closing boundary"),
	M("multipart.folded", "上传格式有误：第 {part} 部分有折行的头部",
	  "multipart: part {part} has a folded header line"),
	M("multipart.header_no_name", "上传格式有误：第 {part} 部分有一行头部没有名称",
	  "multipart: part {part} has a header line without a name"),
	M("multipart.header_nul", "上传格式有误：第 {part} 部分的头部中有 NUL 字符",
	  "multipart: part {part} has a NUL in a header"),
	M("multipart.twice", "上传格式有误：第 {part} 部分有两个{what@multipart.twice}",
	  "multipart: part {part} has two {what@multipart.twice}"),
	M("multipart.twice.name", "字段名", "names"),
	M("multipart.twice.filename", "文件名", "file names"),
	M("multipart.twice.content_type", " Content-Type 头", "Content-Type headers"),
	M("multipart.twice.disposition", " Content-Disposition 头", "Content-Disposition headers"),
	M("multipart.not_part_form_data", "上传格式有误：第 {part} 部分不是 form-data",
	  "multipart: part {part} is not form-data"),
	M("multipart.filename_ext", "上传格式有误：第 {part} 部分的 filename* 不是 UTF-8'' 百分号编码",
	  "multipart: part {part}: filename* is not UTF-8''percent-encoded"),
	M("multipart.bad_disposition", "上传格式有误：第 {part} 部分的 Content-Disposition 格式错误",
	  "multipart: part {part}: malformed Content-Disposition"),
	M("multipart.no_name", "上传格式有误：第 {part} 部分没有字段名",
	  "multipart: part {part} has no field name"),
	M("multipart.not_utf8", "上传格式有误：第 {part} 部分的字段名或文件名不是 UTF-8",
	  "multipart: part {part}: name or file name is not UTF-8"),
};

#undef M

#define NCAT (sizeof(catalogue) / sizeof(catalogue[0]))

static const struct msg_def *
find(const char *code, size_t len)
{
	size_t i;

	for (i = 0; i < NCAT; i++)
		if (strncmp(catalogue[i].code, code, len) == 0 && catalogue[i].code[len] == '\0')
			return &catalogue[i];
	return NULL;
}

int
msg_lang_from_tag(const char *tag, size_t len, enum msg_lang *out)
{
	static const char *const primary[] = {[MSG_ZH] = "zh", [MSG_EN] = "en"};
	size_t l;

	if (len < 2 || (len > 2 && tag[2] != '-' && tag[2] != '_'))
		return 0;
	for (l = 0; l < sizeof(primary) / sizeof(primary[0]); l++) {
		if (strncasecmp(tag, primary[l], 2) == 0) {
			*out = (enum msg_lang)l;
			return 1;
		}
	}
	return 0;
}

int
msg_known(const char *code)
{
	return code != NULL && find(code, strlen(code)) != NULL;
}

size_t
msg_count(void)
{
	return NCAT;
}

const char *
msg_code_at(size_t i)
{
	return i < NCAT ? catalogue[i].code : NULL;
}

const char *
msg_text_at(size_t i, enum msg_lang lang)
{
	return i < NCAT ? catalogue[i].text[lang] : NULL;
}

/* Append s cut at max bytes on a character boundary, control characters as spaces. */
static void
put_text(struct buf *b, const char *s, size_t max)
{
	size_t n = strlen(s), i;

	if (n > max) {
		n = utf8_floor(s, max);
	}
	for (i = 0; i < n; i++) {
		char c = (unsigned char)s[i] < 0x20 || s[i] == 0x7f ? ' ' : s[i];

		buf_add(b, &c, 1);
	}
	if (n < strlen(s))
		buf_puts(b, "…");
}

static void render(struct buf *b, const char *code, struct json_object *params,
                   enum msg_lang lang, int depth);

/*
 * An object with "code" is a message of its own; when it also has "label" it is a
 * validation detail naming a field (and maybe a row and a column), said first.
 */
static void
put_nested(struct buf *b, struct json_object *o, enum msg_lang lang, int depth)
{
	struct json_object *code, *params = NULL, *label, *key, *row, *col, *clabel;

	json_object_object_get_ex(o, "code", &code);
	json_object_object_get_ex(o, "params", &params);
	if (json_object_object_get_ex(o, "label", &label) &&
	    json_object_object_get_ex(o, "field", &key)) {
		struct json_object *where = msg_args("label", json_object_get(label), "key",
		                                     json_object_get(key), NULL);
		const char *wcode = "form.at_field";

		if (json_object_object_get_ex(o, "row", &row)) {
			json_object_object_add(where, "row", json_object_get(row));
			wcode = "form.at_row";
		}
		if (json_object_object_get_ex(o, "column", &col) &&
		    json_object_object_get_ex(o, "column_label", &clabel)) {
			json_object_object_add(where, "column", json_object_get(col));
			json_object_object_add(where, "column_label", json_object_get(clabel));
			wcode = "form.at_cell";
		}
		render(b, wcode, where, lang, depth + 1);
		json_object_put(where);
	}
	render(b, json_object_get_string(code), params, lang, depth + 1);
}

static void
put_value(struct buf *b, struct json_object *v, const char *prefix, size_t plen,
          enum msg_lang lang, int depth)
{
	struct json_object *code;
	size_t i, n;

	switch (json_object_get_type(v)) {
	case json_type_null:
		return;
	case json_type_string:
		if (prefix != NULL) {
			const char *s = json_object_get_string(v);
			size_t slen = strlen(s);
			char *full = xmalloc(plen + 1 + slen + 1);
			const struct msg_def *d;

			memcpy(full, prefix, plen);
			full[plen] = '.';
			memcpy(full + plen + 1, s, slen + 1);
			d = find(full, plen + 1 + slen);
			free(full);
			if (d != NULL) {
				buf_puts(b, d->text[lang]);
				return;
			}
		}
		put_text(b, json_object_get_string(v), MSG_PARAM_MAX);
		return;
	case json_type_array:
		n = json_object_array_length(v);
		for (i = 0; i < n; i++) {
			struct json_object *e = json_object_array_get_idx(v, i);

			if (i > 0)
				buf_puts(b, json_object_is_type(e, json_type_object)
				                ? "; "
				                : (lang == MSG_ZH ? "、" : ", "));
			if (depth >= MSG_MAX_DEPTH || b->len >= MSG_TEXT_MAX) {
				buf_puts(b, "…");
				return;
			}
			put_value(b, e, prefix, plen, lang, depth + 1);
		}
		return;
	case json_type_object:
		if (json_object_object_get_ex(v, "code", &code) &&
		    json_object_is_type(code, json_type_string) && depth < MSG_MAX_DEPTH) {
			put_nested(b, v, lang, depth);
			return;
		}
		put_text(b, json_object_to_json_string_ext(v,
		                                           JSON_C_TO_STRING_PLAIN |
		                                               JSON_C_TO_STRING_NOSLASHESCAPE),
		         MSG_PARAM_MAX);
		return;
	default:
		put_text(b, json_object_get_string(v), MSG_PARAM_MAX);
		return;
	}
}

static void
render(struct buf *b, const char *code, struct json_object *params, enum msg_lang lang,
       int depth)
{
	const struct msg_def *d = code ? find(code, strlen(code)) : NULL;
	const char *p, *q;

	if (d == NULL) {
		put_text(b, code ? code : "", MSG_PARAM_MAX);
		return;
	}
	for (p = d->text[lang]; *p != '\0'; p = q) {
		const char *close, *at;
		struct json_object *v;
		char name[64];
		size_t nlen;

		q = strchr(p, '{');
		if (q == NULL) {
			buf_puts(b, p);
			break;
		}
		buf_add(b, p, (size_t)(q - p));
		close = strchr(q, '}');
		if (close == NULL) {
			buf_puts(b, q);
			break;
		}
		at = memchr(q, '@', (size_t)(close - q));
		nlen = (size_t)((at ? at : close) - q - 1);
		if (nlen >= sizeof(name))
			nlen = sizeof(name) - 1;
		memcpy(name, q + 1, nlen);
		name[nlen] = '\0';
		if (params != NULL && json_object_object_get_ex(params, name, &v))
			put_value(b, v, at ? at + 1 : NULL, at ? (size_t)(close - at - 1) : 0, lang,
			          depth);
		q = close + 1;
	}
}

void
msg_render_buf(struct buf *b, const char *code, struct json_object *params,
               enum msg_lang lang)
{
	size_t start = b->len;

	render(b, code, params, lang, 0);
	if (b->len - start > MSG_TEXT_MAX) {
		b->len = start + utf8_floor(b->data + start, MSG_TEXT_MAX);
		buf_puts(b, "…");
	}
}

char *
msg_render(const char *code, struct json_object *params, enum msg_lang lang)
{
	struct buf b = {0};

	msg_render_buf(&b, code, params, lang);
	buf_cstr(&b);
	return b.data ? b.data : xstrdup("");
}

char *
msg_render_detail(struct json_object *detail, enum msg_lang lang)
{
	struct buf b = {0};

	put_value(&b, detail, NULL, 0, lang, 0);
	buf_cstr(&b);
	return b.data ? b.data : xstrdup("");
}

struct json_object *
msg_args(const char *name, ...)
{
	struct json_object *o = json_object_new_object();
	va_list ap;

	va_start(ap, name);
	while (name != NULL) {
		json_object_object_add(o, name, va_arg(ap, struct json_object *));
		name = va_arg(ap, const char *);
	}
	va_end(ap);
	return o;
}

void
msg_reason_set(struct msg_reason *r, const char *code, struct json_object *params)
{
	json_object_put(r->params);
	r->code = code;
	r->params = params;
}

void
msg_reason_clear(struct msg_reason *r)
{
	msg_reason_set(r, NULL, NULL);
}

struct json_object *
msg_reason_json(const struct msg_reason *r)
{
	struct json_object *o;
	char *en;

	if (r->code == NULL)
		return NULL;
	o = json_object_new_object();
	en = msg_render(r->code, r->params, MSG_EN);
	json_object_object_add(o, "c", json_object_new_string(r->code));
	json_object_object_add(o, "p", r->params ? json_object_get(r->params) : json_object_new_object());
	json_object_object_add(o, "e", json_object_new_string(en));
	free(en);
	return o;
}

/* The params of a stored reason: new object (an unreadable text counts as none). */
static struct json_object *
stored_params(const char *code, const char *params_text, const char *text)
{
	struct json_object *p = NULL;

	if (code == NULL)
		return msg_args("text", json_object_new_string(text), NULL);
	if (params_text != NULL)
		p = json_tokener_parse(params_text);
	if (p == NULL || !json_object_is_type(p, json_type_object)) {
		json_object_put(p);
		p = json_object_new_object();
	}
	return p;
}

char *
msg_reason_text(const char *code, const char *params_text, const char *text, enum msg_lang lang)
{
	struct json_object *p;
	char *out;

	if (code == NULL && text == NULL)
		return NULL;
	p = stored_params(code, params_text, text);
	out = msg_render(code ? code : MSG_TEXT_CODE, p, lang);
	json_object_put(p);
	return out;
}

void
msg_reason_add(struct json_object *o, const char *code, const char *params_text,
               const char *text, enum msg_lang lang)
{
	struct json_object *p;
	char *said;

	if (code == NULL && text == NULL) {
		json_object_object_add(o, "reason_code", NULL);
		json_object_object_add(o, "reason_params", NULL);
		json_object_object_add(o, "reason", NULL);
		return;
	}
	p = stored_params(code, params_text, text);
	said = msg_render(code ? code : MSG_TEXT_CODE, p, lang);
	json_object_object_add(o, "reason_code", json_object_new_string(code ? code : MSG_TEXT_CODE));
	json_object_object_add(o, "reason_params", p);
	json_object_object_add(o, "reason", json_object_new_string(said));
	free(said);
}
