#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
# Submitting a batch locks its tasks with heap-only (HOT) updates: no index of tasks covers
# the lock columns and pages of tasks keep room for the new row versions (migration 0015),
# so a lock writes no index entry.  300 fresh tasks, one POST through nginx, no runner (the
# batch stays pending): all 300 tasks locked by the batch, 300 pending items in request
# order, and the table statistics count at least half of the 300 updates as HOT (240 seen; the
# tasks of the previous node share the pages; none before 0015).
. "${top_srcdir:-$(dirname "$0")/../..}/tests/it/lib.sh"
. "$top_srcdir/tests/it/batch_fixture.sh"

bf_own_db
bf_users
bf_app "锁定无索引"
it_start_web
it_start_nginx

it_assert_eq "{fillfactor=50}" "$(it_sql "SELECT reloptions FROM pg_class WHERE oid = 'tasks'::regclass")" \
	"tasks pages are filled to half"
it_assert_eq 0 "$(it_sql "SELECT count(*) FROM pg_index i JOIN pg_attribute a ON a.attrelid = i.indrelid
	AND a.attnum = ANY (i.indkey) WHERE i.indrelid = 'tasks'::regclass
	AND a.attname IN ('lock_kind', 'lock_owner', 'locked_at')")" "no index of tasks has a lock column as a key"
it_assert_eq 0 "$(it_sql "SELECT count(*) FROM pg_index WHERE indrelid = 'tasks'::regclass
	AND (pg_get_expr(indpred, indrelid) ~ 'lock_' OR pg_get_expr(indexprs, indrelid) ~ 'lock_')")" \
	"no index of tasks has a lock column in its predicate or expressions"

mapfile -t ids < <(bf_tasks "$BF_N2" "$BF_ME_ID" 300 "$BF_FORM_OK" "$BF_N1" "$BF_APPLICANT_ID")
((${#ids[@]} == 300)) || it_bail "seeding failed"
# upd: n_tup_upd and n_tup_hot_upd of tasks, as flushed so far.
upd() {
	it_sql "SELECT n_tup_upd || ' ' || n_tup_hot_upd FROM pg_stat_user_tables WHERE relid = 'tasks'::regclass"
}
has_stats() {
	[[ -n $(upd) ]]
}
it_wait_for 20 has_stats || it_bail "no statistics for tasks"
read -r upd0 hot0 <<<"$(upd)"

printf '{"node_id":%s,"task_ids":%s,"examine":{"action":"approve"},"form":{"city":"广州"}}' \
	"$BF_N2" "$(bf_ids_json "${ids[@]}")" >"$IT_DIR/batch.json"
status=$(curl -sS --max-time 60 -o "$IT_DIR/post.body" -w '%{http_code}' -X POST \
	-H "Authorization: Bearer $BF_ME_TOKEN" -H 'Content-Type: application/json' \
	--data-binary "@$IT_DIR/batch.json" "$IT_BASE/api/batch")
it_assert_eq 201 "$status" "POST /api/batch with 300 tasks"
B=$(it_json batch_id <"$IT_DIR/post.body") || it_bail "no batch id: $(cat "$IT_DIR/post.body")"

it_assert_eq 300 "$(it_sql "SELECT count(*) FROM tasks WHERE id = ANY (:'a'::bigint[])
	AND lock_kind = 'batch' AND lock_owner = 'batch:' || :b" a="{$(IFS=,; echo "${ids[*]}")}" b="$B")" \
	"all 300 tasks locked by the batch"
it_assert_eq "300 300 true" "$(it_sql "SELECT count(*) || ' ' || count(*) FILTER (WHERE status = 'pending')
	|| ' ' || (array_agg(task_id ORDER BY id) = :'a'::bigint[])::text
	FROM batch_task_detail WHERE batch_id = :b" a="{$(IFS=,; echo "${ids[*]}")}" b="$B")" \
	"300 pending items, in the order of the request"

# The web's connection flushes its table statistics once idle (within ~10 s).
counted() {
	local u h
	read -r u h <<<"$(upd)"
	((u - upd0 >= 300))
}
it_wait_for 30 counted || it_fail "the 300 updates were not counted in time: $(upd) (before: $upd0 $hot0)"
read -r upd1 hot1 <<<"$(upd)"
hot=$((hot1 - hot0))
if ((upd1 - upd0 == 300 && hot >= 150)); then
	it_ok "the lock of the 300 tasks: $hot heap-only updates of $((upd1 - upd0))"
else
	it_fail "the lock of the 300 tasks: $hot heap-only updates of $((upd1 - upd0)) (expected 300 updates, >= 150 heap-only)"
fi
it_done
