#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
# Two batches over the same 300 tasks, submitted at the same moment (two curls in the
# background), with the runner running and with the runner stopped: every task is
# approved exactly once (one success detail, one history row, one next task); the other
# batch reports the task failed (locked by the winning batch) or ignored (no longer
# pending); nothing stays locked; both batches keep the counting invariant.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/it/lib.sh"
. "$top_srcdir/tests/it/batch_fixture.sh"

export FLOWBATCH_BATCH_RECOVER_INTERVAL_SECONDS=1 FLOWBATCH_BATCH_INIT_GRACE_SECONDS=2 \
	FLOWBATCH_BATCH_STALE_MINUTES=1 FLOWBATCH_RUNNER_VISIBILITY_TIMEOUT=3 \
	FLOWBATCH_BATCH_RETRY_BACKOFF_SECONDS=1

bf_own_db
bf_users
bf_app "重叠批量"
it_start_web
it_start_nginx

# post_bg N BODYFILE: POST /api/batch in the background; answer in $IT_DIR/post.N.*.
post_bg() {
	curl -sS -g --max-time 60 -X POST -o "$IT_DIR/post.$1.body" -w '%{http_code}' \
		-H "Authorization: Bearer $BF_ME_TOKEN" -H 'Content-Type: application/json' \
		--data-binary "@$2" "$IT_BASE/api/batch" >"$IT_DIR/post.$1.status" 2>"$IT_DIR/post.$1.err"
}

# converged A B: both settled and no failed item waits for an automatic retry, seen in one
# snapshot (the recovery may turn failed items back to pending between two queries).
converged() {
	[[ $(it_sql "SELECT bool_and(b.status IN ('finished', 'cancelled')) AND NOT EXISTS
		(SELECT 1 FROM batch_task_detail d WHERE d.batch_id IN (:a, :b) AND (d.status = 'pending'
		 OR (d.status = 'failed' AND d.next_retry_at IS NOT NULL)))
		FROM batch_task b WHERE b.id IN (:a, :b)" a="$1" b="$2") == t ]]
}

round() {
	local label=$1 runner=$2 ids arr body a b pa pb sa sb
	mapfile -t ids < <(bf_tasks "$BF_N2" "$BF_ME_ID" 300 "$BF_FORM_OK" "$BF_N1" "$BF_APPLICANT_ID")
	((${#ids[@]} == 300)) || it_bail "$label: seeding failed"
	arr="{$(IFS=,; echo "${ids[*]}")}"
	body="{\"node_id\":$BF_N2,\"task_ids\":$(bf_ids_json "${ids[@]}"),\"examine\":{\"action\":\"approve\"},\"form\":{\"city\":\"广州\"}}"
	printf '%s' "$body" >"$IT_DIR/overlap.json"
	if [[ $runner == running ]]; then
		[[ -n $IT_RUNNER_PID ]] || it_start_runner
	else
		it_stop_runner TERM 20 || it_fail "$label: runner did not drain"
	fi
	post_bg a "$IT_DIR/overlap.json" &
	pa=$!
	post_bg b "$IT_DIR/overlap.json" &
	pb=$!
	wait "$pa" "$pb"
	sa=$(cat "$IT_DIR/post.a.status") sb=$(cat "$IT_DIR/post.b.status")
	it_assert_eq "201 201" "$sa $sb" "$label: both submissions accepted"
	a=$(it_json batch_id <"$IT_DIR/post.a.body") || it_bail "$label: no batch id in A"
	b=$(it_json batch_id <"$IT_DIR/post.b.body") || it_bail "$label: no batch id in B"
	[[ -n $IT_RUNNER_PID ]] || it_start_runner
	if it_wait_for 60 converged "$a" "$b"; then
		it_ok "$label: both batches settled"
	else
		it_fail "$label: batches $a and $b not settled"
	fi
	bf_check_invariant "$a" "$BF_ME_TOKEN" "$label A"
	bf_check_invariant "$b" "$BF_ME_TOKEN" "$label B"
	it_assert_no_stale_locks "$label"
	echo "# $label: A=$a $(it_sql "SELECT string_agg(status || '=' || n, ' ') FROM (SELECT status, count(*) n FROM batch_task_detail WHERE batch_id = :a GROUP BY 1) x" a="$a"); B=$b $(it_sql "SELECT string_agg(status || '=' || n, ' ') FROM (SELECT status, count(*) n FROM batch_task_detail WHERE batch_id = :b GROUP BY 1) x" b="$b")"
	it_assert_eq "300 300" "$(it_sql "SELECT count(*) || ' ' || count(DISTINCT task_id) FROM batch_task_detail
		WHERE batch_id IN (:a, :b) AND status = 'success'" a="$a" b="$b")" \
		"$label: every task succeeded in exactly one of the two batches"
	it_assert_eq "300 300" "$(it_sql "SELECT count(*) || ' ' || count(DISTINCT task_id) FROM task_history
		WHERE task_id = ANY (:'ids'::bigint[])" ids="$arr")" "$label: exactly one history row per task"
	it_assert_eq "300 300" "$(it_sql "SELECT count(*) || ' ' || count(DISTINCT session_id) FROM tasks
		WHERE node_id = :n3 AND state = 'pending' AND session_id IN
		(SELECT session_id FROM tasks WHERE id = ANY (:'ids'::bigint[]))" n3="$BF_N3" ids="$arr")" \
		"$label: exactly one next task per session"
	it_assert_eq "" "$(it_sql "SELECT string_agg(DISTINCT batch_id || ':' || status || ':' || coalesce(error, ''), ' | ')
		FROM batch_task_detail WHERE batch_id IN (:a, :b) AND status <> 'success'
		AND NOT (status = 'ignored' AND error = 'the task is no longer pending')
		AND NOT (status = 'failed' AND error = 'locked by another batch (batch ' ||
		         CASE WHEN batch_id = :a THEN :b ELSE :a END || ')')" a="$a" b="$b")" \
		"$label: the loser's items are 'locked by another batch (batch N)' or ignored"
	it_assert_eq 0 "$(it_sql "SELECT count(*) FROM tasks WHERE id = ANY (:'ids'::bigint[]) AND lock_kind IS NOT NULL" ids="$arr")" \
		"$label: no task left locked"
	it_assert_eq "finished finished" "$(it_sql "SELECT string_agg(status, ' ') FROM batch_task WHERE id IN (:a, :b)" a="$a" b="$b")" \
		"$label: both batches finished"
}

round "runner running" running
round "runner stopped" stopped
round "runner running again" running

it_done
