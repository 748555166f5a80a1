#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
# The stale-lock sweep of batch.recover reads only what changed since its last round
# (migration 0017): a lock planted on the task of a batch settled just now is released
# ("the item is success"), so is the lock of a failed item whose planned retry fell out of
# the retry window (its retry dropped), while a failed item that may still be retried keeps
# its lock; a lock planted on a batch settled before the last round is not read again, and
# the mark moves on.  Stale locks are planted by hand: the sweep runs on this test's own
# database.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/it/lib.sh"
. "$top_srcdir/tests/it/batch_fixture.sh"

export FLOWBATCH_BATCH_RECOVER_INTERVAL_SECONDS=1 FLOWBATCH_BATCH_RETRY_LIMIT=3 \
	FLOWBATCH_BATCH_RETRY_WINDOW_SECONDS=86400

bf_own_db
bf_users
bf_app "清扫"
it_start_web
it_start_nginx
it_assert_eq "-infinity" "$(it_sql "SELECT swept_to FROM tasklock_sweep_mark")" "no round yet: every settled batch is read once"
it_start_runner

approve() { # N: submit N new tasks for approval, wait until settled; BF_BATCH, TASKS
	mapfile -t TASKS < <(bf_tasks "$BF_N2" "$BF_ME_ID" "$1")
	bf_submit "$BF_ME_TOKEN" "{\"node_id\":$BF_N2,\"task_ids\":$(bf_ids_json "${TASKS[@]}"),\"examine\":{\"action\":\"approve\"},\"form\":{\"city\":\"广州\"}}"
	it_assert_status 201 "batch of $1 submitted"
	bf_wait_settled "$BF_BATCH" 30
}
plant() { # TASK BATCH: the task locked by the batch
	it_sql "UPDATE tasks SET lock_kind = 'batch', lock_owner = 'batch:' || :b, locked_at = now() WHERE id = :t" \
		t="$1" b="$2" >/dev/null
}
owner() { # TASK
	it_sql "SELECT coalesce(lock_owner, '-') FROM tasks WHERE id = :t" t="$1"
}
swept_after() { # TIME: a round that left nothing behind began after TIME
	[[ $(it_sql "SELECT swept_to > :'t'::timestamptz FROM tasklock_sweep_mark" t="$1") == t ]]
}
# old BATCH: the batch settled a day ago, and a round has run since.
old() {
	local t
	it_sql "UPDATE batch_task SET modified = now() - interval '1 day' WHERE id = :b" b="$1" >/dev/null
	t=$(it_sql "SELECT now()")
	it_wait_for 20 swept_after "$t" || it_fail "no sweep round after $t"
}

# A batch settled before the last round, then a lock planted on its task: not read again.
approve 2
A=$BF_BATCH A_TASK=${TASKS[0]}
old "$A"
plant "$A_TASK" "$A"

# A batch with two failed items planted: one past its retry window, one that may be retried.
approve 2
C=$BF_BATCH C_GONE=${TASKS[0]} C_LIVE=${TASKS[1]}
old "$C"
it_sql "UPDATE batch_task_detail SET status = 'failed', retry_count = 1, next_retry_at = now() + interval '1 hour',
	created = CASE WHEN task_id = :gone THEN now() - interval '2 days' ELSE now() END
	WHERE batch_id = :b" b="$C" gone="$C_GONE" >/dev/null
plant "$C_GONE" "$C"
plant "$C_LIVE" "$C"

# A batch settled just now, a lock planted on its task.
approve 2
B=$BF_BATCH B_TASK=${TASKS[0]}
plant "$B_TASK" "$B"

released() { [[ $(owner "$B_TASK") == - && $(owner "$C_GONE") == - ]]; }
if it_wait_for 20 released; then
	it_ok "the stale locks are released"
else
	it_fail "stale locks kept: $B_TASK by $(owner "$B_TASK"), $C_GONE by $(owner "$C_GONE")"
fi
it_assert_match "\"stale batch lock released\".*\"batch_id\":$B,\"task_id\":$B_TASK,\"reason\":\"the item is success\"" \
	"$(grep -h 'stale batch lock released' "$IT_DIR"/runner.*.log)" "released for the batch settled just now"
it_assert_match "\"task_id\":$C_GONE,\"reason\":\"the retry window has passed\"" \
	"$(grep -h 'stale batch lock released' "$IT_DIR"/runner.*.log)" "released for the retry past its window"
it_assert_eq "" "$(it_sql "SELECT next_retry_at FROM batch_task_detail WHERE batch_id = :b AND task_id = :t" b="$C" t="$C_GONE")" \
	"that retry is dropped"
t=$(it_sql "SELECT now()")
it_wait_for 20 swept_after "$t" || it_fail "no sweep round after $t"
it_assert_eq "batch:$C" "$(owner "$C_LIVE")" "the item that may still be retried keeps its lock"
it_assert_eq "t" "$(it_sql "SELECT next_retry_at IS NOT NULL FROM batch_task_detail WHERE batch_id = :b AND task_id = :t" b="$C" t="$C_LIVE")" \
	"and its planned retry"
it_assert_eq "batch:$A" "$(owner "$A_TASK")" "a batch settled before the last round is not read again"

it_done
