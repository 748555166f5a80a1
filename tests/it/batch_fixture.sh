# SPDX-License-Identifier: MIT
# shellcheck shell=bash disable=SC2034  # the BF_* variables are for the sourcing tests
# tests/it/batch_fixture.sh: sourced by the batch integration tests after lib.sh.
#
# Gives each test its own database (so that the recovery scan of one test's runner never
# picks up another test's batches), an app with a form schema and three nodes, users with
# logins unique to the test, and pending tasks made in one SQL statement each (thousands
# in well under a second).  Also the checks every batch test shares: waiting for a batch
# to settle, and the counting invariant (API counts = detail rows, and they add up).
#
# Functions:
#   bf_own_db                  create, migrate and use a database of this test's own
#   bf_users                   users: BF_ME, BF_OTHER, BF_APPLICANT, BF_APPLICANT2,
#                              BF_REVIEWER, BF_REVIEWER2, BF_CLERK (logins; *_ID ids) and
#                              tokens BF_ME_TOKEN, BF_OTHER_TOKEN
#   bf_app NAME [RULE3]        an app version with nodes 提交 / 部门审批 / 财务复核 (the last
#                              'fixed' to BF_REVIEWER, or RULE3 'choose'); sets BF_AV,
#                              BF_N1, BF_N2, BF_N3
#   bf_tasks NODE ASSIGNEE N [FORM_SQL] [PREV_NODE PREV_ASSIGNEE]
#                              N sessions at NODE with one pending task each for ASSIGNEE
#                              (and a done task at PREV_NODE by PREV_ASSIGNEE); prints the
#                              task ids in session order.  FORM_SQL is a jsonb expression
#                              of g (1..N); default: a valid form (广东 / 深圳).
#   bf_ids_json ID...          [1,2,3]
#   bf_arr_sql ID...           {1,2,3} (a bigint[] for it_sql)
#   bf_sessions_set STATE ID...
#                              set the state of the tasks' sessions (suspended, running ...)
#   bf_xlsx_setup              PY=/usr/bin/python3 with openpyxl (else bail), and the known
#                              libxlsxwriter leak kept out of the sanitizer's verdict
#   bf_submit TOKEN JSON       POST /api/batch; sets BF_BATCH (or empty) and IT_STATUS
#   bf_wait_settled ID SECS    until the batch is finished/cancelled with nothing pending
#   bf_check_invariant ID TOKEN [LABEL]
#                              GET /api/batch/ID: success+failed+ignored+cancelled+
#                              superseded+pending = total, each equal to the detail rows of
#                              that status
#   it_assert_no_stale_locks [LABEL]
#                              no task is locked by a final (finished or cancelled) batch,
#                              or by a batch that does not exist, unless its item may still
#                              be retried automatically; call it after every batch scenario
#   bf_count ID STATUS         detail rows of a batch in a status
#   bf_blocker_start TASK_IDS SECS / bf_blocker_stop
#                              hold row locks on tasks (a psql session in the background)
#                              so that the chunk holding it waits

BF_TAG=$(printf '%s_%s_%s' "$IT_NAME" "$$" "$RANDOM" | tr -c 'a-z0-9_\n' '_')
BF_DB=
BF_BLOCKER_PID=

bf_own_db() {
	BF_DB=fb_it_${BF_TAG}
	BF_DB=${BF_DB:0:60}
	svc_createdb "$BF_DB" || it_bail "cannot create database $BF_DB"
	IT_DBNAME=$BF_DB
	export FLOWBATCH_DB_CONNINFO="host=$FB_PGHOST port=$FB_PGPORT user=$FB_PGUSER dbname=$BF_DB connect_timeout=5"
	it_migrate
}

bf_cleanup() {
	bf_blocker_stop
	if [[ -n $BF_DB && ${FB_KEEP:-0} != 1 ]]; then
		svc_dropdb "$BF_DB" >/dev/null 2>&1
	fi
}

# The test's own it_test_cleanup (called by lib.sh's EXIT trap) must call bf_cleanup; a
# test that needs nothing else uses this one.
if [[ $(type -t it_test_cleanup) != function ]]; then
	it_test_cleanup() {
		bf_cleanup
	}
fi

# bf_user LOGIN NAME: insert a user, print its id.
bf_user() {
	it_sql "INSERT INTO users (login, name) VALUES (:'l', :'n') RETURNING id" l="$1" n="$2"
}

bf_users() {
	local t=$BF_TAG
	BF_ME=${t}_me
	BF_OTHER=${t}_other
	BF_APPLICANT=${t}_app
	BF_APPLICANT2=${t}_app2
	BF_REVIEWER=${t}_rev
	BF_REVIEWER2=${t}_rev2
	BF_CLERK=${t}_clerk
	BF_ME_ID=$(bf_user "$BF_ME" "审批人甲") || it_bail "users"
	BF_OTHER_ID=$(bf_user "$BF_OTHER" "审批人乙") || it_bail "users"
	BF_APPLICANT_ID=$(bf_user "$BF_APPLICANT" "申请人丙") || it_bail "users"
	BF_APPLICANT2_ID=$(bf_user "$BF_APPLICANT2" "申请人丁") || it_bail "users"
	BF_REVIEWER_ID=$(bf_user "$BF_REVIEWER" "复核人戊") || it_bail "users"
	BF_REVIEWER2_ID=$(bf_user "$BF_REVIEWER2" "复核人己") || it_bail "users"
	BF_CLERK_ID=$(bf_user "$BF_CLERK" "经办人庚") || it_bail "users"
	BF_ME_TOKEN=$(it_token "$BF_ME") || it_bail "token"
	BF_OTHER_TOKEN=$(it_token "$BF_OTHER") || it_bail "token"
}

BF_SCHEMA='{"fields":[
 {"key":"reason","label":"事由","type":"text","max_length":200},
 {"key":"amount","label":"金额","type":"number","min":0,"max":1000000,"decimals":2},
 {"key":"category","label":"类别","type":"select","options":["差旅","办公","招待"]},
 {"key":"province","label":"省份","type":"select","options":["广东","浙江"]},
 {"key":"city","label":"城市","type":"select","depends_on":"province",
  "options_by_parent":{"广东":["广州","深圳"],"浙江":["杭州","宁波"]}},
 {"key":"note","label":"备注","type":"text","max_length":500}]}'
BF_VIEW1='{"visible":["reason","amount","category","province","city","note"],
 "writable":["reason","amount","category","province","city"],"required":["reason"]}'
BF_VIEW2='{"visible":["reason","amount","category","province","city","note"],
 "searchable":["category","province"],"writable":["amount","city","note"],
 "required":["reason","city"]}'
BF_VIEW3='{"visible":["reason","amount","category","province","city","note"],
 "writable":["note"],"required":[]}'

bf_app() {
	local name=$1 rule3=${2:-fixed} out
	out=$(it_sql "
WITH a AS (INSERT INTO apps (name) VALUES (:'app') RETURNING id),
 v AS (INSERT INTO app_versions (app_id, version, form_schema)
       SELECT id, 1, :'schema'::jsonb FROM a RETURNING id),
 n AS (INSERT INTO nodes (app_version_id, name, seq, assignee_rule, assignee_id, view)
       SELECT v.id, x.name, x.seq, x.rule, x.asg, x.view::jsonb FROM v,
       (VALUES ('提交', 1, 'fixed', :app_id::bigint, :'v1'),
               ('部门审批', 2, 'fixed', :me_id::bigint, :'v2'),
               ('财务复核', 3, :'rule3', CASE WHEN :'rule3' = 'fixed' THEN :rev_id::bigint END, :'v3'))
       AS x(name, seq, rule, asg, view) RETURNING id, seq)
SELECT (SELECT id FROM v), string_agg(id::text, ' ' ORDER BY seq) FROM n" \
		app="$name $BF_TAG" schema="$BF_SCHEMA" app_id="$BF_APPLICANT_ID" me_id="$BF_ME_ID" \
		rev_id="$BF_REVIEWER_ID" rule3="$rule3" v1="$BF_VIEW1" v2="$BF_VIEW2" v3="$BF_VIEW3") ||
		it_bail "bf_app $name failed"
	BF_AV=${out%%|*}
	read -r BF_N1 BF_N2 BF_N3 <<<"${out#*|}"
	[[ -n $BF_N3 ]] || it_bail "bf_app $name: no nodes ($out)"
}

BF_FORM_OK="jsonb_build_object('reason', '出差报销 ' || g, 'amount', g, 'category', '差旅', 'province', '广东', 'city', '深圳')"

bf_tasks() {
	local node=$1 asg=$2 n=$3 form=${4:-$BF_FORM_OK} prev=${5:-0} prev_asg=${6:-0}
	it_sql "
WITH s AS (
  INSERT INTO app_sessions (app_version_id, title, current_node_id, form_data, creator)
  SELECT (SELECT app_version_id FROM nodes WHERE id = :node), :'title' || ' #' || g, :node,
         ($form), :creator
  FROM generate_series(1, :n) g ORDER BY g RETURNING id, title),
 p AS (INSERT INTO tasks (session_id, node_id, assignee, state, finished)
       SELECT id, :prev, :prev_asg, 'done', now() FROM s WHERE :prev > 0),
 t AS (INSERT INTO tasks (session_id, node_id, assignee)
       SELECT id, :node, :asg FROM s ORDER BY id RETURNING id, session_id)
SELECT t.id FROM t JOIN s ON s.id = t.session_id
ORDER BY (regexp_replace(s.title, '^.*#', ''))::int" \
		node="$node" title="报销单 $BF_TAG" creator="$BF_APPLICANT_ID" n="$n" prev="$prev" \
		prev_asg="$prev_asg" asg="$asg"
}

bf_ids_json() {
	local IFS=,
	printf '[%s]' "$*"
}

bf_arr_sql() {
	local IFS=,
	printf '{%s}' "$*"
}

bf_sessions_set() {
	local st=$1
	shift
	it_sql "UPDATE app_sessions SET state = :'st' WHERE id IN (SELECT session_id FROM tasks WHERE id = ANY (:'ids'::bigint[]))" \
		st="$st" ids="$(bf_arr_sql "$@")" >/dev/null
}

bf_xlsx_setup() {
	PY=/usr/bin/python3
	$PY -c 'import openpyxl' 2>/dev/null || it_bail "python3-openpyxl is not installed"
	# libxlsxwriter 1.1.4 never frees its copy of a list validation's formula (LIBNOTES):
	# templates and error workbooks have dropdowns.
	printf 'leak:lxw_strdup\n' >"$IT_DIR/lsan.supp"
	export LSAN_OPTIONS="suppressions=$IT_DIR/lsan.supp${LSAN_OPTIONS:+:$LSAN_OPTIONS}"
}

bf_submit() {
	local token=$1 json=$2
	printf '%s' "$json" >"$IT_DIR/submit.json"
	it_curl POST /api/batch -H "Authorization: Bearer $token" \
		-H 'Content-Type: application/json' --data-binary "@$IT_DIR/submit.json"
	BF_BATCH=
	if [[ $IT_STATUS == 201 ]]; then
		BF_BATCH=$(it_json batch_id <<<"$IT_BODY")
	fi
}

bf_count() {
	it_sql "SELECT count(*) FROM batch_task_detail WHERE batch_id = :b AND status = :'s'" \
		b="$1" s="$2"
}

bf_settled() {
	[[ $(it_sql "SELECT b.status IN ('finished', 'cancelled') AND NOT EXISTS
		(SELECT 1 FROM batch_task_detail d WHERE d.batch_id = b.id AND d.status = 'pending')
		FROM batch_task b WHERE b.id = :b" b="$1") == t ]]
}

bf_wait_settled() {
	if it_wait_for "$2" bf_settled "$1"; then
		it_ok "batch $1 settled"
	else
		it_fail "batch $1 not settled after $2 s: $(it_sql "SELECT status FROM batch_task WHERE id = :b" b="$1"), details: $(it_sql "SELECT string_agg(status || '=' || n, ' ') FROM (SELECT status, count(*) n FROM batch_task_detail WHERE batch_id = :b GROUP BY 1) x" b="$1")"
		return 1
	fi
}

bf_check_invariant() {
	local id=$1 token=$2 label=${3:-} api sql
	it_curl GET "/api/batch/$id" -H "Authorization: Bearer $token"
	if [[ $IT_STATUS != 200 ]]; then
		it_fail "invariant $label: GET /api/batch/$id: HTTP $IT_STATUS ${IT_BODY:0:300}"
		return 1
	fi
	api=$(/usr/bin/python3 -c '
import json, sys
b = json.loads(sys.stdin.read())
k = ["success", "failed", "ignored", "cancelled", "superseded", "pending"]
s = sum(b[x] for x in k)
print(" ".join("%s=%d" % (x, b[x]) for x in k) + " total=%d sum_ok=%s" % (b["total"], s == b["total"]))
' <<<"$IT_BODY") || { it_fail "invariant $label: bad JSON ${IT_BODY:0:300}"; return 1; }
	sql=$(it_sql "SELECT string_agg(st || '=' || coalesce(n, 0), ' ' ORDER BY ord) || ' total=' ||
		(SELECT count(*) FROM batch_task_detail WHERE batch_id = :b) || ' sum_ok=True'
		FROM (VALUES ('success', 1), ('failed', 2), ('ignored', 3), ('cancelled', 4),
		('superseded', 5), ('pending', 6)) AS v(st, ord)
		LEFT JOIN (SELECT status, count(*) n FROM batch_task_detail WHERE batch_id = :b GROUP BY 1) d
		ON d.status = v.st" b="$id")
	it_assert_eq "$sql" "$api" "invariant $label: batch $id counts (API = detail rows, sum = total)"
}

# it_assert_no_stale_locks [LABEL]: the lock invariant, over the whole database.  An item
# may keep its task locked only while the recovery scan may still retry it: failed, in a
# finished batch, under batch.retry_limit, with a retry planned that falls, like now,
# within batch.retry_window_seconds of the item's submission.  The limit and window are
# this test's settings (environment), else the defaults.
it_assert_no_stale_locks() {
	local label=${1:-} stale
	stale=$(it_sql "SELECT string_agg(t.id || ' by ' || t.lock_owner || coalesce(' (batch ' || b.status
		|| ', item ' || d.status || ', tries ' || d.retry_count || ', retry at '
		|| coalesce(d.next_retry_at::text, 'none') || ')', ' (no such item)'), '; ' ORDER BY t.id)
		FROM tasks t
		LEFT JOIN batch_task b ON t.lock_owner = 'batch:' || b.id
		LEFT JOIN batch_task_detail d ON d.batch_id = b.id AND d.task_id = t.id
		WHERE t.lock_kind = 'batch' AND (b.id IS NULL OR (b.status IN ('finished', 'cancelled')
		 AND NOT coalesce(b.status = 'finished' AND d.status = 'failed' AND d.retry_count < :lim
		  AND d.next_retry_at IS NOT NULL
		  AND d.next_retry_at < d.created + make_interval(secs => :win)
		  AND now() < d.created + make_interval(secs => :win), false)))" \
		lim="${FLOWBATCH_BATCH_RETRY_LIMIT:-3}" win="${FLOWBATCH_BATCH_RETRY_WINDOW_SECONDS:-86400}")
	if [[ -z $stale ]]; then
		it_ok "no stale batch locks${label:+ ($label)}"
	else
		it_fail "stale batch locks${label:+ ($label)}: ${stale:0:800}"
		return 1
	fi
}

# bf_blocker_start TASK_IDS SECS [sessions]: lock task rows (ids separated by commas), or
# with "sessions" their sessions' rows (submission does not touch them, execution does),
# FOR UPDATE in a background psql for up to SECS seconds (or until bf_blocker_stop, which
# ends its backend).
bf_blocker_start() {
	local rows="tasks WHERE id IN ($1)"
	bf_blocker_stop
	[[ $1 =~ ^[0-9]+(,[0-9]+)*$ ]] || it_bail "bf_blocker_start: bad task ids $1"
	[[ ${3:-} == sessions ]] && rows="app_sessions WHERE id IN (SELECT session_id FROM tasks WHERE id IN ($1))"
	printf 'BEGIN;\nSELECT 1 FROM %s FOR UPDATE;\n\\! touch %s\nSELECT pg_sleep(%d);\nCOMMIT;\n' \
		"$rows" "$IT_DIR/blocker.ready" "$2" >"$IT_DIR/blocker.sql"
	rm -f "$IT_DIR/blocker.ready"
	PGAPPNAME=bf_blocker_$BF_TAG it_psql -f "$IT_DIR/blocker.sql" >/dev/null 2>&1 &
	BF_BLOCKER_PID=$!
	IT_PIDS+=("$BF_BLOCKER_PID")
	it_wait_for 10 test -e "$IT_DIR/blocker.ready" || it_bail "blocker did not take its lock"
}

bf_blocker_stop() {
	if [[ -n $BF_BLOCKER_PID ]]; then
		it_sql "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity
			WHERE application_name = :'a'" a="bf_blocker_$BF_TAG" >/dev/null 2>&1
		wait "$BF_BLOCKER_PID" 2>/dev/null
		BF_BLOCKER_PID=
	fi
}

# bf_history_dupes BATCH: task ids with more than one history row from this batch.
bf_history_dupes() {
	it_sql "SELECT string_agg(task_id::text, ',') FROM (SELECT task_id FROM task_history
		WHERE batch_id = :b GROUP BY 1 HAVING count(*) > 1) x" b="$1"
}

# bf_locked_by BATCH: tasks still locked by this batch.
bf_locked_by() {
	it_sql "SELECT count(*) FROM tasks WHERE lock_owner = 'batch:' || :b" b="$1"
}

# bf_submit_approve N: seed N pending tasks at BF_N2 for BF_ME and submit them as one
# approve batch (city 广州); sets BF_IDS (the task ids) and BF_BATCH, or bails.
bf_submit_approve() {
	mapfile -t BF_IDS < <(bf_tasks "$BF_N2" "$BF_ME_ID" "$1" "$BF_FORM_OK" "$BF_N1" "$BF_APPLICANT_ID")
	it_assert_eq "$1" "${#BF_IDS[@]}" "$1 tasks seeded"
	bf_submit "$BF_ME_TOKEN" "{\"node_id\":$BF_N2,\"task_ids\":$(bf_ids_json "${BF_IDS[@]}"),\"examine\":{\"action\":\"approve\",\"comment\":\"批量\"},\"form\":{\"city\":\"广州\"}}"
	it_assert_status 201 "$1-task batch submitted"
	[[ -n $BF_BATCH ]] || it_bail "no batch id"
}

# bf_check_approved_once BATCH N: the batch of bf_submit_approve finished with N successes,
# its counts equal the details, and every task advanced exactly once (one history row, one
# next task per session, no lock left).
bf_check_approved_once() {
	local b=$1 n=$2
	it_curl GET "/api/batch/$b" -H "Authorization: Bearer $BF_ME_TOKEN"
	it_assert_eq "finished $n $n 0 0 0 0" "$(/usr/bin/python3 -c 'import json,sys; b=json.loads(sys.stdin.read()); print(b["status"], *[b[k] for k in ("total","success","failed","ignored","cancelled","pending")])' <<<"$IT_BODY")" \
		"status total success failed ignored cancelled pending"
	bf_check_invariant "$b" "$BF_ME_TOKEN" "at the end"
	it_assert_eq "" "$(bf_history_dupes "$b")" "no task has two history rows"
	it_assert_eq "$n" "$(it_sql "SELECT count(DISTINCT task_id) FROM task_history WHERE batch_id = :b" b="$b")" \
		"every task has its history row"
	it_assert_eq "$n $n" "$(it_sql "SELECT count(*) || ' ' || count(DISTINCT session_id) FROM tasks
		WHERE node_id = :n3 AND state = 'pending'" n3="$BF_N3")" "exactly one next task per session"
	it_assert_eq 0 "$(bf_locked_by "$b")" "no task still locked by the batch"
}

# bf_now_ms: wall clock in ms; bf_secs MS: MS as seconds with one decimal.
bf_now_ms() { echo $(($(date +%s%N) / 1000000)); }
bf_secs() { awk -v ms="$1" 'BEGIN { printf "%.1f", ms / 1000 }'; }

# bf_consumers: the consumer names of the test's group, over the three streams.
bf_consumers() {
	local s
	for s in high common low; do
		it_redis XINFO CONSUMERS "$IT_PREFIX:jobs:$s" "$IT_PREFIX-workers" 2>/dev/null |
			awk 'prev == "name" { print } { prev = $0 }'
	done
}

# bf_caught_by WHAT: wait until the runner (IT_RUNNER_LOG) says a job failed transiently.
bf_caught_by() {
	bf_job_failed() { grep -q -E 'failed transiently|a dependency failed' "$IT_RUNNER_LOG"; }
	if it_wait_for 20 bf_job_failed; then
		it_ok "the runner's job in hand was caught by $1 going away"
	else
		it_fail "no job failed while $1 was down"
	fi
}

# bf_finished_after_return BATCH T_BACK WHAT: wait for the batch (up to 30 s), print how
# long after T_BACK (bf_now_ms when WHAT came back) it finished, and check that it was
# within 15 s and that the runner ran its job in hand again.
bf_finished_after_return() {
	local b=$1 t_back=$2 what=$3 t_done
	it_wait_for 30 bf_settled "$b"
	t_done=$(bf_now_ms)
	echo "# $what restart: batch finished $(bf_secs $((t_done - t_back))) s after $what was back"
	if bf_settled "$b" && ((t_done - t_back <= 15000)); then
		it_ok "batch finished within 15 s of $what being back"
	else
		it_fail "batch not finished within 15 s of $what being back: $(bf_count "$b" pending) pending"
	fi
	grep -q 'job settled after a transient failure' "$IT_RUNNER_LOG" &&
		it_ok "the runner ran its job in hand again" || it_fail "no job was retried in hand"
}

# bf_held_batch SECS: a 200-task approve batch of BF_ME that runs until one item and then
# waits, its executor job in the hand of a runner: submitted (submission locks the tasks
# too), task 150 locked for up to SECS seconds (bf_blocker_stop ends it), then a runner
# (chunks of 20, 2 executors) started.  Returns once 180 items are settled and an
# executor waits on the lock.  Sets BF_BATCH and BF_RUNNER (host:pid).
bf_held_batch() {
	mapfile -t BF_IDS < <(bf_tasks "$BF_N2" "$BF_ME_ID" 200 "$BF_FORM_OK" "$BF_N1" "$BF_APPLICANT_ID")
	bf_submit "$BF_ME_TOKEN" "{\"node_id\":$BF_N2,\"task_ids\":$(bf_ids_json "${BF_IDS[@]}"),\"examine\":{\"action\":\"approve\",\"comment\":\"held\"},\"form\":{\"city\":\"广州\"}}"
	it_assert_status 201 "200-task batch submitted"
	[[ -n $BF_BATCH ]] || it_bail "no batch"
	bf_blocker_start "${BF_IDS[150]}" "$1"
	it_start_runner FLOWBATCH_BATCH_MAX_CONCURRENCY=2 FLOWBATCH_BATCH_CHUNK_SIZE=20
	BF_RUNNER="$(hostname):$IT_RUNNER_PID"
	it_wait_for 30 bf_held "$BF_BATCH" ||
		it_bail "the batch did not stop at the locked task: $(it_sql "SELECT string_agg(status || '=' || n, ' ') FROM (SELECT status, count(*) n FROM batch_task_detail WHERE batch_id = :b GROUP BY 1) x" b="$BF_BATCH")"
	sleep 1.5 # a report of the runner after the executor took its chunk
}

bf_held() {
	[[ $(it_sql "SELECT count(*) FROM batch_task_detail WHERE batch_id = :b AND status = 'pending'" b="$1") -le 20 ]] &&
		[[ $(it_sql "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND datname = current_database()") -ge 1 ]]
}
