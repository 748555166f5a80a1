#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
# The scheduler, with its clock sped up 60 times (a crontab minute is a real second):
#  1. the API: a bad cron expression and a bad zone give 422 naming each field; non-admins
#     get 403; a system crontab cannot be deleted (409); /next lists minutes in the zone;
#  2. two runners, one crontab every minute: each due minute fires once, with no gap, also
#     when the leader is killed (-9) and the other runner takes over (within seconds);
#     A leader fenced out in PostgreSQL (its epoch bumped) fires nothing more;
#  3. misfire policies after a 2-hour outage (next_run_at set in the past by SQL):
#     run_once fires once, catch_up fires every missed minute up to catch_up_max, skip
#     records one skipped run;
#  4. overlap forbid: a run still going makes the next due time a skipped run;
#     A run past its job.timeout is marked timed_out and no longer holds the next ones back;
#  5. run now; batch.recover's period follows its config key after a reload; the system crontab batch.recover fires and its job succeeds; action_log.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/it/lib.sh"
. "$top_srcdir/tests/it/batch_fixture.sh"
. "$top_srcdir/tests/it/cron_fixture.sh"

cron_clock

bf_own_db
it_start_web
it_start_nginx

cron_setup it_cron

# --- 1. the API ------------------------------------------------------------------------------
api POST /api/crontabs '{"name":"bad","type":"repeat","rule":{"cron":["61 * * * *"],"tz":"Mars/Olympus"},"job":{"type":"nope"}}'
it_assert_status 422 "a bad crontab is refused"
fields=$(it_json error.details <<<"$IT_BODY" | python3 -c 'import json,sys; print(" ".join(sorted(d["field"] for d in json.load(sys.stdin))))')
it_assert_eq "job.type rule.cron[0] rule.tz" "$fields" "422 names every bad field"

it_curl GET /api/crontabs -H "Authorization: Bearer $utok"
it_assert_status 403 "a non-admin cannot list crontabs"

api GET /api/crontabs
it_assert_status 200 "list"
sys_recover=$(it_psql -c "SELECT id FROM crontab WHERE system_key = 'batch.recover'")
api DELETE "/api/crontabs/$sys_recover"
it_assert_status 409 "a system crontab is never deleted"
api PUT "/api/crontabs/$sys_recover" '{"job":{"type":"noop"}}'
it_assert_status 422 "the job of a system crontab is fixed"

api POST /api/crontabs '{"name":"每分钟","type":"repeat","rule":{"cron":["* * * * *"],"tz":"Asia/Shanghai"},"job":{"type":"noop","stream":"common"},"overlap":"allow","enable":false}'
it_assert_status 201 "create a crontab every minute (disabled)"
cid=$(it_json id <<<"$IT_BODY")
api GET "/api/crontabs/$cid/next?count=3"
it_assert_status 200 "next fire times"
it_assert_match '^[0-9-]+T[0-9:]+:00\+08:00$' "$(it_json items.0.local <<<"$IT_BODY")" \
	"next times are whole minutes in Asia/Shanghai"
gap=$(python3 -c 'import json,sys,datetime as d
it=json.load(sys.stdin)["items"]; t=[d.datetime.fromisoformat(x["at"].replace("Z","+00:00")) for x in it]
print(int((t[2]-t[1]).total_seconds()))' <<<"$IT_BODY")
it_assert_eq 60 "$gap" "consecutive next times are a minute apart"

# --- 2. two runners, a leader killed ----------------------------------------------------------
it_start_runner
r1=$IT_RUNNER_PID
r1log=$IT_RUNNER_LOG
it_start_runner
r2=$IT_RUNNER_PID
r2log=$IT_RUNNER_LOG
it_wait_for 10 grep -q '"scheduler: leader"' "$r1log" "$r2log" || it_fail "no leader within 10 s"
api POST "/api/crontabs/$cid/enable"
it_assert_status 200 "enable"
sleep 6
if grep -q '"scheduler: leader"' "$r1log"; then
	leader=$r1 other=$r2 otherlog=$r2log
else
	leader=$r2 other=$r1 otherlog=$r1log
fi
before=$(it_psql -c "SELECT count(*) FROM crontab_history WHERE crontab_id = $cid")
((before >= 3)) && it_ok "the crontab fired ($before times in 6 s)" || it_fail "only $before fires in 6 s"
t_kill=$(date +%s.%N)
kill -KILL "$leader"
if it_wait_for 10 grep -q '"scheduler: leader"' "$otherlog"; then
	t_take=$(date +%s.%N)
	it_ok "the other runner took over in $(python3 -c "print(round($t_take - $t_kill, 1))") s"
else
	it_fail "no takeover within 10 s"
fi
sleep 3
# A leader whose epoch is no longer current (as after a pause past its lock, when another
# runner has become leader) cannot fire: PostgreSQL refuses it, and a new epoch takes over.
read -r old_epoch bumped_at <<<"$(it_psql -F ' ' -c "UPDATE scheduler_leader SET epoch = epoch + 1
	RETURNING epoch - 1, extract(epoch FROM clock_timestamp())")"
it_wait_for 10 grep -q 'no longer the scheduler leader' "$otherlog" &&
	it_ok "the fenced leader noticed" || it_fail "no fencing message in the log"
it_wait_for 10 sql_is -ge 1 "SELECT count(*) FROM crontab_history WHERE crontab_id = $cid AND fence > $old_epoch + 1" &&
	it_ok "a new epoch fires again" || it_fail "nothing fired after fencing"
it_assert_eq 0 "$(it_psql -c "SELECT count(*) FROM crontab_history WHERE crontab_id = $cid AND fence = $old_epoch
	AND created > to_timestamp($bumped_at)")" "nothing fired under the old epoch after the bump"
sleep 2
api POST "/api/crontabs/$cid/disable"
it_assert_status 200 "disable"
sleep 1
read -r n first last distinct <<<"$(it_psql -F ' ' -c "SELECT count(*), extract(epoch FROM min(scheduled_at))::bigint,
	extract(epoch FROM max(scheduled_at))::bigint, count(DISTINCT scheduled_at)
	FROM crontab_history WHERE crontab_id = $cid AND NOT manual")"
it_assert_eq "$n" "$distinct" "each due minute has one history row"
it_assert_eq "$n" $(((last - first) / 60 + 1)) "no minute was missed across the takeover ($n fires)"
it_wait_for 10 sql_is = 0 "SELECT count(*) FROM crontab_history WHERE crontab_id = $cid AND status <> 'success'" &&
	it_ok "every fire ran to success" || it_fail "fires not successful: $(it_psql -c "SELECT status, count(*) FROM crontab_history WHERE crontab_id = $cid GROUP BY 1")"
runs=$(it_psql -c "SELECT count(*) FROM job_runs r JOIN crontab_history h ON h.job_id = r.job_id WHERE h.crontab_id = $cid AND r.status = 'done'")
it_assert_eq "$n" "$runs" "one job run per fire"
# Lateness in real seconds: created minus the real instant the scheduled time stands for.
lat=$(it_psql -c "SELECT round(percentile_cont(0.5) WITHIN GROUP (ORDER BY l)::numeric, 3) || ' ' ||
	round(percentile_cont(0.99) WITHIN GROUP (ORDER BY l)::numeric, 3) FROM (SELECT extract(epoch FROM created)
	- ($BASE + (extract(epoch FROM scheduled_at) - $BASE) / $SPEED) AS l FROM crontab_history
	WHERE crontab_id = $cid AND NOT manual) x")
echo "# fire lateness (real seconds) p50 p99: $lat (including the takeover)"

# --- 3. misfire policies after a 2-hour outage ---------------------------------------------------
declare -A mid
for p in run_once catch_up skip; do
	api POST /api/crontabs "{\"name\":\"misfire $p\",\"type\":\"repeat\",\"rule\":{\"cron\":[\"* * * * *\"]},\"job\":{\"type\":\"noop\"},\"misfire\":\"$p\",\"overlap\":\"allow\",\"enable\":false}"
	it_assert_status 201 "create misfire $p"
	mid[$p]=$(it_json id <<<"$IT_BODY")
done
t0=$(( ($(fake_now) - 7200) / 60 * 60 ))
it_psql -c "UPDATE crontab SET enable = true, next_run_at = to_timestamp($t0)
	WHERE id IN (${mid[run_once]}, ${mid[catch_up]}, ${mid[skip]})" >/dev/null
sleep 3
win="scheduled_at >= to_timestamp($t0) AND scheduled_at < to_timestamp($t0 + 6000)"
it_assert_eq 1 "$(it_psql -c "SELECT count(*) FROM crontab_history WHERE crontab_id = ${mid[run_once]} AND $win")" \
	"run_once fires once for the whole outage"
it_assert_eq "50 50" "$(it_psql -F ' ' -c "SELECT count(*), count(DISTINCT scheduled_at) FROM crontab_history WHERE crontab_id = ${mid[catch_up]} AND $win")" \
	"catch_up fires each missed minute, up to catch_up_max"
it_assert_match 'dropped' "$(it_psql -c "SELECT string_agg(content, ',') FROM crontab_history WHERE crontab_id = ${mid[catch_up]} AND $win")" \
	"catch_up says how many it dropped"
it_assert_eq "skipped 1" "$(it_psql -F ' ' -c "SELECT min(status), count(*) FROM crontab_history WHERE crontab_id = ${mid[skip]} AND $win")" \
	"skip records one skipped run and fires nothing"
for p in run_once catch_up skip; do
	nx=$(it_psql -c "SELECT extract(epoch FROM next_run_at)::bigint FROM crontab WHERE id = ${mid[$p]}")
	((nx > t0 + 7000)) && it_ok "$p: next_run_at is after the outage" || it_fail "$p: next_run_at $nx"
	api POST "/api/crontabs/${mid[$p]}/disable"
done

# --- 4. overlap forbid ------------------------------------------------------------------------
api POST /api/crontabs '{"name":"slow","type":"repeat","rule":{"cron":["* * * * *"]},"job":{"type":"noop","args":{"sleep_ms":2500}},"overlap":"forbid"}'
it_assert_status 201 "create a slow crontab (overlap forbid)"
sid=$(it_json id <<<"$IT_BODY")
sleep 6
api POST "/api/crontabs/$sid/disable"
read -r ran skipped <<<"$(it_psql -F ' ' -c "SELECT count(*) FILTER (WHERE status <> 'skipped'),
	count(*) FILTER (WHERE status = 'skipped' AND content LIKE 'overlap%') FROM crontab_history WHERE crontab_id = $sid")"
((ran >= 1 && skipped >= 2)) && it_ok "forbid: $ran ran, $skipped skipped while one was running" ||
	it_fail "forbid: $ran ran, $skipped skipped"
it_assert_eq 0 "$(it_psql -c "SELECT count(*) FROM crontab_history a JOIN crontab_history b ON a.crontab_id = b.crontab_id
	AND a.id < b.id AND b.status <> 'skipped' AND b.started < a.finished WHERE a.crontab_id = $sid AND a.status <> 'skipped'")" \
	"forbid: no two runs overlapped"

api POST /api/crontabs '{"name":"hangs","type":"repeat","rule":{"cron":["* * * * *"]},"job":{"type":"noop","args":{"sleep_ms":4000},"timeout":1},"overlap":"forbid"}'
it_assert_status 201 "create a hanging crontab (timeout 1 s, overlap forbid)"
hid=$(it_json id <<<"$IT_BODY")
it_wait_for 15 sql_is -ge 2 "SELECT count(*) FROM crontab_history WHERE crontab_id = $hid AND status = 'timed_out'" &&
	it_ok "runs past their timeout are timed_out, and the next ones still run" ||
	it_fail "timeouts: $(it_psql -c "SELECT string_agg(status, ',' ORDER BY id) FROM crontab_history WHERE crontab_id = $hid")"
api POST "/api/crontabs/$hid/disable"
it_assert_match 'timed out after 1 s' "$(it_psql -c "SELECT string_agg(DISTINCT content, ',') FROM crontab_history WHERE crontab_id = $hid AND status = 'timed_out'")" \
	"a timed-out run says why"

# --- 5. run now, the system batch.recover, action_log ------------------------------------------
api POST "/api/crontabs/$cid/run"
it_assert_status 202 "run now"
it_wait_for 10 sql_is = 1 "SELECT count(*) FROM crontab_history WHERE crontab_id = $cid AND manual AND status = 'success'" &&
	it_ok "a run now was published and succeeded" || it_fail "run now did not run"
# A published entry lost (as by a Redis flush): published long ago, never started.
lost=$(it_psql -c "INSERT INTO crontab_history (crontab_id, scheduled_at, job_id, published_at)
	VALUES ($cid, to_timestamp(1000000000), 'cron-$cid-lost', now() - interval '1 hour') RETURNING id")
it_wait_for 10 sql_is = success "SELECT status FROM crontab_history WHERE id = $lost" &&
	it_ok "a lost entry is published again and runs" || it_fail "the lost entry did not run"
api GET "/api/crontabs/$cid/history?page_size=2"
it_assert_status 200 "history"
it_assert_eq 2 "$(it_json items <<<"$IT_BODY" | python3 -c 'import json,sys; print(len(json.load(sys.stdin)))')" "history is paged"
it_wait_for 10 sql_is -ge 1 "SELECT count(*) FROM crontab_history WHERE crontab_id = $sys_recover AND status = 'success'" &&
	it_ok "the system crontab batch.recover fired and its job succeeded" || it_fail "batch.recover did not run"
it_assert_match 'crontab.create' "$(it_psql -c "SELECT string_agg(DISTINCT action, ',') FROM action_log WHERE target_type = 'crontab'")" \
	"changes are in action_log"
# batch.recover follows batch.recover_interval_seconds at once after a reload: a next run
# stored for much later comes back to the last run plus the interval.
before=$(it_psql -c "SELECT count(*) FROM crontab_history WHERE crontab_id = $sys_recover")
it_psql -c "UPDATE crontab SET next_run_at = now() + interval '10 days', last_run_at = now() - interval '2 hours'
	WHERE id = $sys_recover" >/dev/null
kill -HUP "$other"
it_wait_for 10 sql_is -gt "$before" "SELECT count(*) FROM crontab_history WHERE crontab_id = $sys_recover" &&
	it_ok "after a reload, batch.recover runs on the configured interval" ||
	it_fail "batch.recover still waits for its stored next_run_at"
ls_fence=$(it_psql -c "SELECT count(DISTINCT fence) FROM crontab_history WHERE crontab_id = $cid AND NOT manual")
((ls_fence >= 3)) && it_ok "fires carry the epochs of every leader ($ls_fence)" || it_fail "fences: $ls_fence"

kill -TERM "$other"
it_wait_exit "$other" 20 >/dev/null
it_done
