#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
# batch.finished and the "finished since your last visit" notice:
#  - a batch that finishes and a bulk process operation that finishes each send their
#    submitter's batch.finished (counts, status, a link into the console) to the enabled
#    platforms that opt in, and to no other; the outbox row is written by the transaction
#    that finishes the work (its created = the work's finished time); signed;
#  - a batch or operation that its submitter cancels sends the same event with status
#    cancelled, written by the cancelling transaction, once;
#  - GET /api/me/notices lists the caller's batches and operations finished or cancelled
#    since the last acknowledgement (with their status), POST acknowledges them (up to
#    "until"), per user, never moving back.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/it/lib.sh"
. "$top_srcdir/tests/it/batch_fixture.sh"
. "$top_srcdir/tests/it/process_fixture.sh"
. "$top_srcdir/tests/it/taskcenter_fixture.sh"

export FLOWBATCH_BATCH_RECOVER_INTERVAL_SECONDS=1 FLOWBATCH_TASKCENTER_SWEEP_DAYS=0
CONSOLE='https://flow.example/console/'

pf_setup "完成通知"
tc_retry_every 1
it_start_web
it_start_nginx
S_FIN=sec-fin-$RANDOM$RANDOM$RANDOM
tc_sink_start "{\"/fin\":{\"mode\":\"ok\",\"secret\":\"$S_FIN\"},\"/nofin\":{\"mode\":\"ok\",\"secret\":\"x\"},\"/offfin\":{\"mode\":\"ok\",\"secret\":\"y\"}}"
P_FIN=$(platform fin "$S_FIN" true 5000 4)
P_NOFIN=$(platform nofin x true 5000 4)
P_OFF=$(platform offfin y false 5000 4)
it_sql "UPDATE task_center_platform SET notify_batch_finished = true WHERE id IN (:a, :b)" a="$P_FIN" b="$P_OFF" >/dev/null
it_start_runner FLOWBATCH_TASKCENTER_CONSOLE_URL="$CONSOLE"

notices() { # TOKEN: GET /api/me/notices
	it_curl GET /api/me/notices -H "Authorization: Bearer $1"
}
notices "$BF_ME_TOKEN"
it_assert_eq "200 0 null null" "$IT_STATUS $(it_json total <<<"$IT_BODY") $(it_json since <<<"$IT_BODY") $(it_json until <<<"$IT_BODY")" \
	"no notice before anything finished"

# --- a batch ----------------------------------------------------------------------------------
bf_submit_approve 30
B1=$BF_BATCH
bf_wait_settled "$B1" 60
fin_n() { [[ $(sink_q 'len([x for x in r if x["event"] == "batch.finished"])') == "$1" ]]; }
it_wait_for 20 fin_n 1 || it_fail "no batch.finished: $(sink_q '[x["path"] for x in r if x["event"] == "batch.finished"]')"
it_assert_eq "/fin True" "$(sink_q 'next((x["path"], x["sig_ok"]) for x in r if x["event"] == "batch.finished")')" \
	"batch.finished reaches only the enabled platform that opts in, signed"
it_assert_eq "batch $B1 finished $BF_ME 30 30 0 0 0 0 ${CONSOLE}#/batch/$B1" \
	"$(sink_q 'next((lambda b: (b["kind"], b["id"], b["status"], b["submitter"], b["total"], b["success"], b["failed"], b["ignored"], b["cancelled"], b["superseded"], b["url"]))(x["body"]["batch"]) for x in r if x["event"] == "batch.finished")')" \
	"the event: kind, id, status, submitter, counts, the link to the batch in the console"
it_assert_eq "True True" "$(sink_q 'next(("occurred_at" in x["body"], x["id"].startswith("msg_tc_batch_'"$B1"'_'"$P_FIN"'_")) for x in r if x["event"] == "batch.finished")')" \
	"occurred_at, and a webhook id of the batch and platform"
it_assert_eq "t|1" "$(it_sql "SELECT bool_and(l.created = b.finished), count(*) FROM task_center_log l JOIN batch_task b ON b.id = l.batch_id
	WHERE l.event = 'batch.finished'")" "one outbox row, written by the transaction that finished the batch"

# --- a bulk process operation -----------------------------------------------------------------
mapfile -t SUS < <(pf_sessions running 4)
pf_submit "$BF_ME_TOKEN" "{\"operation\":\"suspend\",\"session_ids\":$(bf_ids_json "${SUS[@]}")}"
it_assert_status 201 "a bulk suspend submitted"
OP=$PF_OP
pf_wait_settled "$OP" 30
it_wait_for 20 fin_n 2 || it_fail "no batch.finished for the operation"
it_assert_eq "operation $OP finished $BF_ME 4 4 0 0 0 ${CONSOLE}#/process/op/$OP /fin" \
	"$(sink_q '[(lambda b: (b["kind"], b["id"], b["status"], b["submitter"], b["total"], b["success"], b["failed"], b["ignored"], b["cancelled"], b["url"], x["path"]))(x["body"]["batch"]) for x in r if x["event"] == "batch.finished"][-1]')" \
	"an operation's: kind operation, its counts and the link to it"
it_assert_eq "t" "$(it_sql "SELECT l.created = o.finished FROM task_center_log l JOIN process_bulk_op o ON o.id = l.op_id")" \
	"written by the transaction that finished the operation"

# --- the notice -------------------------------------------------------------------------------
notices "$BF_ME_TOKEN"
it_assert_eq "200 2 operation:$OP,batch:$B1 null" \
	"$IT_STATUS $(it_json total <<<"$IT_BODY") $($PY -c 'import json,sys; print(",".join("%s:%s" % (i["kind"], i["id"]) for i in json.load(sys.stdin)["items"]))' <<<"$IT_BODY") $(it_json since <<<"$IT_BODY")" \
	"the notice lists both, newest first"
it_assert_eq "30 30 4" "$($PY -c 'import json,sys; i=json.load(sys.stdin)["items"]; print(i[1]["total"], i[1]["success"], i[0]["success"])' <<<"$IT_BODY")" "with their counts"
UNTIL=$(it_json until <<<"$IT_BODY")
notices "$BF_OTHER_TOKEN"
it_assert_eq "200 0" "$IT_STATUS $(it_json total <<<"$IT_BODY")" "another user has none"
it_curl POST /api/me/notices -H "Authorization: Bearer $BF_ME_TOKEN" -H 'Content-Type: application/json' --data '{"until":"yesterday-ish"}'
it_assert_status 400 "until must be a time"
it_curl POST /api/me/notices -H "Authorization: Bearer $BF_ME_TOKEN" -H 'Content-Type: application/json' --data "{\"until\":\"$UNTIL\"}"
it_assert_eq "200 0" "$IT_STATUS $(it_json total <<<"$IT_BODY")" "acknowledged: nothing left"
it_assert_eq "t" "$(it_sql "SELECT seen_at = :'u'::timestamptz FROM user_notice_seen WHERE user_id = :i" u="$UNTIL" i="$BF_ME_ID")" \
	"the last visit is kept in PostgreSQL"

# A later batch: a new notice.
bf_submit_approve 3
B2=$BF_BATCH
bf_wait_settled "$B2" 30
it_wait_for 20 fin_n 3 || it_fail "no batch.finished for the second batch"
notices "$BF_ME_TOKEN"
it_assert_eq "1 batch:$B2" "$(it_json total <<<"$IT_BODY") $($PY -c 'import json,sys; print(",".join("%s:%s" % (i["kind"], i["id"]) for i in json.load(sys.stdin)["items"]))' <<<"$IT_BODY")" \
	"only what finished since"
it_curl POST /api/me/notices -H "Authorization: Bearer $BF_ME_TOKEN" -H 'Content-Type: application/json' --data "{\"until\":\"$UNTIL\"}"
it_assert_eq "200 1" "$IT_STATUS $(it_json total <<<"$IT_BODY")" "an older until does not move the last visit back"
it_curl POST /api/me/notices -H "Authorization: Bearer $BF_ME_TOKEN" -H 'Content-Type: application/json' --data '{}'
it_assert_eq "200 0" "$IT_STATUS $(it_json total <<<"$IT_BODY")" "{} acknowledges up to now"
# --- cancelled: the same event with status cancelled, by the cancelling transaction ------------
# No runner: the batch and the operation stay init until their submitter cancels them.
it_stop_runner TERM
bf_submit_approve 5
B3=$BF_BATCH
it_curl POST "/api/batch/$B3/cancel" -H "Authorization: Bearer $BF_ME_TOKEN"
it_assert_eq "202 5" "$IT_STATUS $(it_json cancelled <<<"$IT_BODY")" "a batch cancelled before it ran"
mapfile -t SUS2 < <(pf_sessions running 3)
pf_submit "$BF_ME_TOKEN" "{\"operation\":\"suspend\",\"session_ids\":$(bf_ids_json "${SUS2[@]}")}"
it_assert_status 201 "a second bulk suspend submitted"
OP2=$PF_OP
it_curl POST "/api/process/bulk/$OP2/cancel" -H "Authorization: Bearer $BF_ME_TOKEN"
it_assert_eq "202 3" "$IT_STATUS $(it_json cancelled <<<"$IT_BODY")" "an operation cancelled before it ran"
it_assert_eq "true|1|cancelled true|1|cancelled" \
	"$(it_sql "SELECT bool_and(l.created = b.finished) || '|' || count(*) || '|' || min(l.payload->>'status') FROM task_center_log l JOIN batch_task b ON b.id = l.batch_id WHERE b.id = :b AND l.event = 'batch.finished'" b="$B3") $(it_sql "SELECT bool_and(l.created = o.finished) || '|' || count(*) || '|' || min(l.payload->>'status') FROM task_center_log l JOIN process_bulk_op o ON o.id = l.op_id WHERE o.id = :o AND l.event = 'batch.finished'" o="$OP2")" \
	"one outbox row each, written by the transaction that cancelled, status cancelled"
it_curl POST "/api/batch/$B3/cancel" -H "Authorization: Bearer $BF_ME_TOKEN"
it_curl POST "/api/process/bulk/$OP2/cancel" -H "Authorization: Bearer $BF_ME_TOKEN"
it_curl POST "/api/batch/$B1/cancel" -H "Authorization: Bearer $BF_ME_TOKEN"
it_assert_eq "1 1 1" "$(it_sql "SELECT count(*) FILTER (WHERE batch_id = :b) || ' ' || count(*) FILTER (WHERE op_id = :o) || ' ' || count(*) FILTER (WHERE batch_id = :f) FROM task_center_log WHERE event = 'batch.finished'" b="$B3" o="$OP2" f="$B1")" \
	"cancelling again, or cancelling a finished batch, writes no second event"
it_start_runner FLOWBATCH_TASKCENTER_CONSOLE_URL="$CONSOLE"
it_wait_for 30 fin_n 5 || it_fail "the cancelled ones' batch.finished not delivered: $(sink_q '[x["id"] for x in r if x["event"] == "batch.finished"]')"
it_assert_eq "[('batch', $B3, 'cancelled', '$BF_ME', 5, 0, 5, '${CONSOLE}#/batch/$B3', '/fin', True), ('operation', $OP2, 'cancelled', '$BF_ME', 3, 0, 3, '${CONSOLE}#/process/op/$OP2', '/fin', True)]" \
	"$(sink_q 'sorted([(lambda b: (b["kind"], b["id"], b["status"], b["submitter"], b["total"], b["success"], b["cancelled"], b["url"], x["path"], x["sig_ok"]))(x["body"]["batch"]) for x in r if x["event"] == "batch.finished" and x["body"]["batch"]["status"] == "cancelled"])')" \
	"delivered to the platform that opts in: status cancelled, the counts, the link, signed"
# The notice tells how they ended: status cancelled, the counts settled at cancel time.
items() { $PY -c 'import json,sys; print(" ".join("%s:%s:%s:%s:%s:%s" % (i["kind"], i["id"], i["status"], i["total"], i["success"], i["cancelled"]) for i in json.load(sys.stdin)["items"]))'; }
notices "$BF_ME_TOKEN"
it_assert_eq "200 2 operation:$OP2:cancelled:3:0:3 batch:$B3:cancelled:5:0:5" "$IT_STATUS $(it_json total <<<"$IT_BODY") $(items <<<"$IT_BODY")" \
	"the notice lists the cancelled batch and operation, newest first, with status and counts"
it_assert_eq "t" "$(it_sql "SELECT :'u'::timestamptz = (SELECT finished FROM process_bulk_op WHERE id = :o)" u="$(it_json until <<<"$IT_BODY")" o="$OP2")" \
	"until is the last cancel time"
UNTIL3=$(it_json until <<<"$IT_BODY")
it_curl POST /api/me/notices -H "Authorization: Bearer $BF_ME_TOKEN" -H 'Content-Type: application/json' --data "{\"until\":\"$UNTIL\"}"
it_assert_eq "200 2" "$IT_STATUS $(it_json total <<<"$IT_BODY")" "an older until still does not move the last visit back"
it_curl POST /api/me/notices -H "Authorization: Bearer $BF_ME_TOKEN" -H 'Content-Type: application/json' --data "{\"until\":\"$UNTIL3\"}"
it_assert_eq "200 0" "$IT_STATUS $(it_json total <<<"$IT_BODY")" "the cancelled ones acknowledged"
notices "$BF_OTHER_TOKEN"
it_assert_eq "200 0" "$IT_STATUS $(it_json total <<<"$IT_BODY")" "not another user's"
it_assert_eq 0 "$(it_sql "SELECT count(*) FROM task_center_log WHERE platform_id IN (:a, :b) AND event = 'batch.finished'" a="$P_NOFIN" b="$P_OFF")" \
	"no batch.finished row for the platform that does not opt in or is disabled"
it_assert_eq 0 "$(grep -c -F -e "$S_FIN" "$IT_DIR"/web.log "$IT_DIR"/runner.*.log | awk -F: '{s += $NF} END {print s}')" "no secret in any log"
it_done
