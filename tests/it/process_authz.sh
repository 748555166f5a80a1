#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
# Who may run bulk process operations: a monitor of the app or an admin.  A non-monitor
# sees no sessions, gets 404 on another's operation, and cannot reach sessions of apps they
# do not monitor by ids (refused exactly like ids that do not exist) or by filter; an admin
# can.  A permission lost between submission and execution fails each session ("not a
# monitor of this app"); retry after it is given back succeeds.  Cancel before execution
# cancels everything.  Only admins restore backups.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/it/lib.sh"
. "$top_srcdir/tests/it/batch_fixture.sh"
. "$top_srcdir/tests/it/process_fixture.sh"

pf_setup "流程权限"
APP_A=$PF_APP
mapfile -t A < <(pf_sessions running 3)
bf_app "流程权限乙"
APP_B=$(it_sql "SELECT app_id FROM app_versions WHERE id = :v" v="$BF_AV")
mapfile -t B < <(pf_sessions running 2)
it_start_web
it_start_nginx

auth() { printf 'Authorization: Bearer %s' "$1"; }

# ---- the listing ----
it_curl GET "/api/process/sessions" -H "$(auth "$BF_OTHER_TOKEN")"
it_assert_status 200 "listing as a non-monitor"
it_assert_eq 0 "$(it_json total <<<"$IT_BODY")" "a non-monitor sees no sessions"
it_curl GET "/api/process/sessions?page_size=500" -H "$(auth "$BF_ME_TOKEN")"
it_assert_eq "3 $APP_A" "$(/usr/bin/python3 -c 'import json,sys; b=json.loads(sys.stdin.read()); print(b["total"], *sorted(set(i["app_id"] for i in b["items"])))' <<<"$IT_BODY")" \
	"a monitor sees the sessions of the app monitored, only"
it_curl GET "/api/process/sessions?page_size=500&session_ids=$(IFS=,; echo "${A[*]},${B[*]}")" -H "$(auth "$PF_ADMIN_TOKEN")"
it_assert_eq 5 "$(it_json total <<<"$IT_BODY")" "an admin sees the sessions of every app"

# ---- ids and filters out of reach ----
pf_submit "$BF_OTHER_TOKEN" "{\"operation\":\"suspend\",\"session_ids\":[${A[0]}]}"
it_assert_status 422 "a non-monitor cannot name a monitored app's session"
foreign=$(sed "s/${A[0]}/ID/" <<<"$IT_BODY")
pf_submit "$BF_OTHER_TOKEN" '{"operation":"suspend","session_ids":[999999999]}'
it_assert_status 422 "an id that does not exist"
it_assert_eq "$foreign" "$(sed 's/999999999/ID/' <<<"$IT_BODY")" "refused exactly like an id that does not exist"
pf_submit "$BF_ME_TOKEN" "{\"operation\":\"suspend\",\"session_ids\":[${A[0]},${B[0]}]}"
it_assert_status 422 "a monitor of A cannot name B's session"
it_assert_eq "[${B[0]}]" "$(it_json error.details.0.session_ids <<<"$IT_BODY" | tr -d ' ')" "only B's session is named"
pf_submit "$BF_ME_TOKEN" "{\"operation\":\"suspend\",\"filter\":{\"app_id\":$APP_B}}"
it_assert_status 422 "a monitor of A cannot reach B by filter"
pf_submit "$BF_OTHER_TOKEN" '{"operation":"suspend","filter":{}}'
it_assert_status 422 "a non-monitor's filter reaches nothing"
it_assert_eq 0 "$(it_sql "SELECT count(*) FROM process_bulk_op")" "nothing was created"

# ---- another's operation: 404 everywhere; cancel before execution ----
pf_submit "$BF_ME_TOKEN" "{\"operation\":\"stop\",\"session_ids\":[${A[2]}]}"
it_assert_status 201 "monitor submits"
OP=$PF_OP
for p in "GET /api/process/bulk/$OP" "GET /api/process/bulk/$OP/items" "POST /api/process/bulk/$OP/cancel" "POST /api/process/bulk/$OP/retry"; do
	it_curl ${p% *} "${p#* }" -H "$(auth "$BF_OTHER_TOKEN")"
	it_assert_status 404 "a non-monitor: $p"
done
it_curl GET "/api/process/bulk" -H "$(auth "$BF_OTHER_TOKEN")"
it_assert_eq 0 "$(it_json total <<<"$IT_BODY")" "another's operations are not in my list"
it_curl POST "/api/process/bulk/$OP/cancel" -H "$(auth "$BF_ME_TOKEN")"
it_assert_status 202 "cancel"
it_assert_eq 1 "$(it_json cancelled <<<"$IT_BODY")" "one session cancelled"
it_assert_eq "cancelled 1 0 0 0 1 0" "$(pf_counts "$OP" "$BF_ME_TOKEN")" "cancelled before execution"

# ---- permission lost between submission and execution; retry once given back ----
pf_submit "$BF_ME_TOKEN" "{\"operation\":\"suspend\",\"session_ids\":[${A[0]},${A[1]}]}"
it_assert_status 201 "suspend submitted while the runner is down"
OP2=$PF_OP
it_sql "DELETE FROM app_monitors WHERE user_id = :u" u="$BF_ME_ID" >/dev/null
it_start_runner
pf_wait_settled "$OP2" 30
it_assert_eq "finished 2 0 2 0 0 0" "$(pf_counts "$OP2" "$BF_ME_TOKEN")" "permission lost: both failed"
it_assert_eq "not a monitor of this app|not a monitor of this app" "$(it_sql "SELECT string_agg(error, '|') FROM proc_log WHERE bulk_op_id = :o" o="$OP2")" "the reason"
it_assert_eq "running running" "$(it_sql "SELECT string_agg(state, ' ' ORDER BY id) FROM app_sessions WHERE id = ANY (:'ids'::bigint[])" ids="{${A[0]},${A[1]}}")" "the sessions are untouched"
it_assert_eq 1 "$(it_sql "SELECT count(*) FROM process_bulk_op WHERE id = :o AND status = 'cancelled'" o="$OP")" "the cancelled operation stays cancelled"
it_assert_eq running "$(it_sql "SELECT state FROM app_sessions WHERE id = :s" s="${A[2]}")" "the cancelled operation changed nothing"
it_sql "INSERT INTO app_monitors (app_id, user_id) VALUES (:a, :u)" a="$APP_A" u="$BF_ME_ID" >/dev/null
it_curl POST "/api/process/bulk/$OP2/retry" -H "$(auth "$BF_ME_TOKEN")"
it_assert_status 202 "retry"
it_assert_eq 2 "$(it_json retrying <<<"$IT_BODY")" "two sessions retried"
pf_wait_settled "$OP2" 30
it_assert_eq "finished 2 2 0 0 0 0" "$(pf_counts "$OP2" "$BF_ME_TOKEN")" "after retry both succeed"
pf_check_invariant "$OP2" "$BF_ME_TOKEN" "after retry"

# ---- an admin operates on any app ----
pf_submit "$PF_ADMIN_TOKEN" "{\"operation\":\"delete\",\"filter\":{\"app_id\":$APP_B}}"
it_assert_status 201 "an admin submits by filter on B"
pf_wait_settled "$PF_OP" 30
it_assert_eq "finished 2 2 0 0 0 0" "$(pf_counts "$PF_OP" "$PF_ADMIN_TOKEN")" "the admin's operation succeeds"
it_curl GET "/api/process/bulk/$PF_OP" -H "$(auth "$BF_ME_TOKEN")"
it_assert_status 404 "a monitor gets 404 on the admin's operation"

# ---- backups: seen by admins and monitors of the app; restored by admins only ----
BK=$(it_sql "SELECT id FROM session_backup WHERE session_id = :s" s="${B[0]}")
it_curl GET "/api/process/sessions/${B[0]}/backups" -H "$(auth "$BF_ME_TOKEN")"
it_assert_eq "[]" "$(it_json items <<<"$IT_BODY")" "a monitor of another app sees no backup"
it_curl GET "/api/process/sessions/${B[0]}/backups" -H "$(auth "$PF_ADMIN_TOKEN")"
it_assert_eq "$BK" "$(it_json items.0.backup_id <<<"$IT_BODY")" "the admin sees the backup"
it_curl POST "/api/process/backups/$BK/restore" -H "$(auth "$BF_ME_TOKEN")"
it_assert_status 403 "a non-admin cannot restore"
it_curl POST "/api/process/backups/$BK/restore" -H "$(auth "$PF_ADMIN_TOKEN")"
it_assert_status 200 "an admin restores"
it_assert_eq running "$(it_sql "SELECT state FROM app_sessions WHERE id = :s" s="${B[0]}")" "restored as it was"

it_done
