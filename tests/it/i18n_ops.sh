#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
# The scheduler's, the task center's and the operations' errors in the language the request
# asks for (Accept-Language), each asked in en and in zh-CN: the same status, code and
# details (fields, their own codes and params), the messages in English and in Chinese:
#   1. a bad cron expression for next?expr (422 naming expr, the cron field and the
#      position) and a crontab saved with it and an unknown time zone (rule.cron[0], rule.tz);
#   2. a task-center platform with a bad name, URL, secret and timeout;
#   3. consumer counts out of range and an unknown member;
#   4. a stream that does not exist (404) and a crontab that does not exist;
#   5. alerts (/api/alerts and the dashboard's): said from their rule and stored params,
#      in English as the evaluator stored them and in Chinese; a bad state filter.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/it/lib.sh"
. "$top_srcdir/tests/it/batch_fixture.sh"

bf_own_db
bf_users
it_sql "UPDATE users SET is_admin = true WHERE login = :'l'" l="$BF_ME" >/dev/null
ADMIN=(-H "Authorization: Bearer $BF_ME_TOKEN")
JSON=(-H 'Content-Type: application/json')
it_start_web
it_start_nginx

# ask LANG METHOD PATH [CURL ARGS...]: it_curl with Accept-Language LANG.
ask() {
	local lang=$1
	shift
	IT_LANG=$lang it_curl "$@"
}

# detail FIELD KEY...: "v1|v2|..." of the detail naming FIELD in the last body (a key may
# be params.NAME); "absent" when there is none.
detail() {
	/usr/bin/python3 -c '
import json, sys
d = [x for x in json.loads(sys.stdin.read())["error"].get("details", []) if x.get("field") == sys.argv[1]]
if not d:
    print("absent")
else:
    out = []
    for k in sys.argv[2:]:
        v = d[0]
        for p in k.split("."):
            v = v.get(p) if isinstance(v, dict) else None
        out.append(str(v))
    print("|".join(out))' "$@" <<<"$IT_BODY"
}

# both LABEL STATUS CODE EN ZH METHOD PATH [CURL ARGS...]: asked in en then zh-CN: STATUS and
# CODE each time, error.message EN then ZH; BODY_EN and BODY_ZH keep the two bodies.
both() {
	local label=$1 status=$2 code=$3 en=$4 zh=$5
	shift 5
	ask en "$@"
	it_assert_status "$status" "$label (en)"
	it_assert_eq "$code|$en" "$(it_json error.code <<<"$IT_BODY")|$(it_json error.message <<<"$IT_BODY")" \
		"$label (en): code and message"
	BODY_EN=$IT_BODY
	ask zh-CN "$@"
	it_assert_status "$status" "$label (zh-CN)"
	it_assert_eq "$code|$zh" "$(it_json error.code <<<"$IT_BODY")|$(it_json error.message <<<"$IT_BODY")" \
		"$label (zh-CN): code and message"
	BODY_ZH=$IT_BODY
}

# in_en / in_zh: run detail over the en or the zh-CN body.
in_en() { IT_BODY=$BODY_EN detail "$@"; }
in_zh() { IT_BODY=$BODY_ZH detail "$@"; }

# --- 1. cron expressions and time zones -------------------------------------------------------
both "a minute out of range" 422 validation_failed 'the expression is not valid' '表达式无效' \
	GET "/api/crontabs/next?expr=61%20*%20*%20*%20*&tz=Asia/Shanghai" "${ADMIN[@]}"
it_assert_eq 'cron.at|minute|1|minute field, position 1: 61 is out of range: expected a number 0-59' \
	"$(in_en expr code params.field params.position message)" "next?expr (en): field, position and message"
it_assert_eq 'cron.at|minute|1|分钟字段第 1 个字符处：61 超出范围：应为 0 到 59 的数字' \
	"$(in_zh expr code params.field params.position message)" "next?expr (zh-CN): the same field and position, said in Chinese"

both "a day-of-week name that is not one" 422 validation_failed 'the expression is not valid' '表达式无效' \
	GET "/api/crontabs/next?expr=0%208%20*%20*%20MON-FUN" "${ADMIN[@]}"
it_assert_eq "expr|day-of-week field, position 13: expected a number 0-7 or a name SUN-SAT, got 'FUN'" \
	"$(in_en expr field message)" "a bad weekday (en)"
it_assert_eq 'expr|星期字段第 13 个字符处：应为 0 到 7 的数字或星期名 SUN 到 SAT，而不是“FUN”' \
	"$(in_zh expr field message)" "a bad weekday (zh-CN)"

CT='{"name":"多语言","type":"repeat","rule":{"cron":["0 8 * 13 *"],"tz":"Mars/Base"},"job":{"type":"noop","stream":"fast"},"enable":false}'
both "a crontab with a bad month, zone and stream" 422 validation_failed \
	'the crontab is not valid (3 problems)' '定时任务有 3 处错误' \
	POST /api/crontabs "${ADMIN[@]}" "${JSON[@]}" --data-binary "$CT"
it_assert_eq 'cron.at|7|month field, position 7: 13 is out of range: expected a number 1-12 or a name JAN-DEC' \
	"$(in_en 'rule.cron[0]' code params.position message)" "rule.cron[0] (en)"
it_assert_eq 'cron.at|7|月份字段第 7 个字符处：13 超出范围：应为 1 到 12 的数字或月份名 JAN 到 DEC' \
	"$(in_zh 'rule.cron[0]' code params.position message)" "rule.cron[0] (zh-CN)"
it_assert_eq "tz.unknown|no such time zone: 'Mars/Base'" "$(in_en rule.tz code message)" "rule.tz (en)"
it_assert_eq 'tz.unknown|没有这个时区：“Mars/Base”' "$(in_zh rule.tz code message)" "rule.tz (zh-CN)"
it_assert_eq 'crontab.stream|must be high, common or low' "$(in_en job.stream code message)" "job.stream (en)"
it_assert_eq 'crontab.stream|必须是 high、common 或 low' "$(in_zh job.stream code message)" "job.stream (zh-CN)"

both "a crontab that does not exist" 404 not_found 'no crontab 987654321' '定时任务 987654321 不存在' \
	GET /api/crontabs/987654321 "${ADMIN[@]}"

# --- 2. task-center platforms ---------------------------------------------------------------------
PF='{"name":"","url":"ftp://example.test/hook","secret":"short","timeout_ms":5}'
both "a platform with bad members" 422 validation_failed 'the platform is not valid' '推送平台的设置无效' \
	POST /api/task-center/platforms "${ADMIN[@]}" "${JSON[@]}" --data-binary "$PF"
it_assert_eq 'tc.url|must be an http:// or https:// URL of at most 2000 bytes' "$(in_en url code message)" "url (en)"
it_assert_eq 'tc.url|必须是最多 2000 字节的 http:// 或 https:// URL' "$(in_zh url code message)" "url (zh-CN)"
it_assert_eq 'tc.name|must be a text of 1 to 200 bytes' "$(in_en name code message)" "name (en)"
it_assert_eq 'tc.name|必须是 1 到 200 字节的文本' "$(in_zh name code message)" "name (zh-CN)"
it_assert_eq 'tc.secret|必须是 16 到 200 字节的文本' "$(in_zh secret code message)" "secret (zh-CN)"
it_assert_eq 'json.range|"timeout_ms" must be between 100 and 120000' "$(in_en timeout_ms code message)" "timeout_ms (en)"
it_assert_eq 'json.range|“timeout_ms”必须在 100 到 120000 之间' "$(in_zh timeout_ms code message)" "timeout_ms (zh-CN)"
both "the push log filtered by a bad status" 400 bad_request \
	'status must be queued, sending, delivered, rejected, failed or abandoned' \
	'status 必须是 queued、sending、delivered、rejected、failed 或 abandoned' \
	GET "/api/task-center/logs?status=lost" "${ADMIN[@]}"

# --- 3. consumer counts ---------------------------------------------------------------------------
both "consumer counts out of range" 422 validation_failed 'the consumer counts are not valid' '消费者数量无效' \
	PUT /api/queue/consumers "${ADMIN[@]}" "${JSON[@]}" --data-binary '{"high":65,"medium":1}'
it_assert_eq 'ops.consumers_count|64|must be an integer from 0 to 64, or null' "$(in_en high code params.max message)" "high (en)"
it_assert_eq 'ops.consumers_count|64|必须是 0 到 64 之间的整数，或 null' "$(in_zh high code params.max message)" "high (zh-CN)"
it_assert_eq 'ops.consumers_member|unknown member: only high, common, low and runner' "$(in_en medium code message)" "medium (en)"
it_assert_eq 'ops.consumers_member|未知成员：只能是 high、common、low 和 runner' "$(in_zh medium code message)" "medium (zh-CN)"

# --- 4. what does not exist -----------------------------------------------------------------------
both "pausing a stream that does not exist" 404 not_found 'no such stream: fast (high, common or low)' \
	'没有这个队列：fast（可用 high、common 或 low）' POST /api/queue/fast/pause "${ADMIN[@]}"

# --- 5. alerts ------------------------------------------------------------------------------------
A1=$(it_psql -c "INSERT INTO alert (rule, subject, severity, message, params) VALUES ('queue_oldest_entry',
	'i18n:jobs:low', 'warning', 'stream low (paused): its oldest entry is 95 s old (7 entries)',
	'{\"stream\":\"low\",\"oldest_age_seconds\":95,\"length\":7,\"paused\":true,\"threshold_seconds\":60}') RETURNING id")
A2=$(it_psql -c "INSERT INTO alert (rule, subject, severity, message, params) VALUES ('batch_failure_rate',
	'batch:424242', 'warning', 'batch 424242: 3 of 4 decided items failed (75.0% > 50%)',
	'{\"batch_id\":424242,\"status\":\"running\",\"success\":1,\"failed\":3,\"failure_percent\":75,\"threshold_percent\":50}') RETURNING id")
[[ -n $A1 && -n $A2 ]] || it_bail "alerts planted"
# said ID: "message_code|message" of alert ID in the last body (items of a page or a list).
said() {
	/usr/bin/python3 -c '
import json, sys
b = json.loads(sys.stdin.read())
items = b["items"] if isinstance(b, dict) and "items" in b else b
a = [x for x in items if x["id"] == int(sys.argv[1])][0]
print("%s|%s" % (a.get("message_code"), a["message"]))' "$1" <<<"$IT_BODY"
}
ask en GET /api/alerts "${ADMIN[@]}"
it_assert_status 200 "alerts (en)"
it_assert_eq 'alert.queue_oldest_entry|stream low (paused): its oldest entry is 95 s old (7 entries)' "$(said "$A1")" \
	"a stream's alert in English reads as the evaluator stored it"
it_assert_eq 'alert.batch_failure_rate|batch 424242: 3 of 4 decided items failed (75.0% > 50%)' "$(said "$A2")" \
	"a batch's failure rate in English reads as stored"
ask zh-CN GET /api/alerts "${ADMIN[@]}"
it_assert_eq 'alert.queue_oldest_entry|队列 low（已暂停）：最早的消息已等待 95 秒（共 7 条）' "$(said "$A1")" \
	"a stream's alert in Chinese"
it_assert_eq 'alert.batch_failure_rate|批次 424242：已处理的 4 项中有 3 项失败（75.0% > 50%）' "$(said "$A2")" \
	"a batch's failure rate in Chinese"
ask zh-CN GET /api/dashboard "${ADMIN[@]}"
it_assert_status 200 "dashboard (zh-CN)"
it_assert_eq '队列 low（已暂停）：最早的消息已等待 95 秒（共 7 条）' \
	"$(IT_BODY=$(it_json alerts <<<"$IT_BODY") said "$A1" | cut -d'|' -f2-)" "the dashboard's recent alerts in Chinese"
both "an alert state that does not exist" 400 bad_request 'state must be open or resolved' \
	'state 必须是 open 或 resolved' GET "/api/alerts?state=closed" "${ADMIN[@]}"

it_done
