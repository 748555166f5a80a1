#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
# Operations on runners and queues through the API, against a running runner:
# - /api/runners lists the runner (live, its workers, RSS, version); a runner killed -9
#   stays listed as stale; admins only;
# - /api/queue/stats: length, pending, oldest entry's age, consumers per stream;
# - PUT /api/queue/consumers changes the worker counts of the running runner within
#   seconds (seen through /api/runners), for all runners and for one, without a restart;
#   bad requests get one 422 listing every problem; changes land in action_log;
# - a paused stream takes no work until it is resumed;
# - dead letters: a job that fails for good is listed with its attempts and error, and can
#   be retried (it runs again under the same job id) or dropped, one or all.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/it/lib.sh"
. "$top_srcdir/tests/it/batch_fixture.sh"

bf_own_db
bf_users
it_sql "UPDATE users SET is_admin = true WHERE login = :'l'" l="$BF_ME" >/dev/null
ADMIN=(-H "Authorization: Bearer $BF_ME_TOKEN")
USER=(-H "Authorization: Bearer $BF_OTHER_TOKEN")
it_start_web
it_start_nginx
it_start_runner FLOWBATCH_RUNNER_HIGH=1 FLOWBATCH_RUNNER_COMMON=1 FLOWBATCH_RUNNER_LOW=1
RPID=$IT_RUNNER_PID
RUNNER="$(hostname):$RPID"

# jq-like reads of the last body.
py() { /usr/bin/python3 -c "import json,sys; b=json.loads(sys.stdin.read()); $1" <<<"$IT_BODY"; }
# rf EXPR [RUNNER]: EXPR over this runner's item r of /api/runners, printed ("absent"
# when it is not listed).
rf() {
	it_curl GET /api/runners "${ADMIN[@]}"
	/usr/bin/python3 -c '
import json, sys
b = json.loads(sys.stdin.read())
m = [x for x in b["items"] if x["runner"] == sys.argv[2]]
if not m:
    print("absent")
else:
    r = m[0]
    print(eval(sys.argv[1]))
' "$1" "${2:-$RUNNER}" <<<"$IT_BODY"
}

# --- the registry ---------------------------------------------------------------------
it_curl GET /api/runners "${USER[@]}"
it_assert_status 403 "a user who is not an admin may not list runners"
it_curl GET /api/queue/stats "${USER[@]}"
it_assert_status 403 "nor read the queue stats"
it_curl PUT /api/queue/consumers "${USER[@]}" -H 'Content-Type: application/json' --data '{"high":1}'
it_assert_status 403 "nor change consumer counts"

listed() { [[ $(rf "r['state'], r['workers']['high'], r['workers']['common'], r['workers']['low']") == "('live', 1, 1, 1)" ]]; }
it_wait_for 10 listed && it_ok "the runner is listed, live, with 1/1/1 workers" ||
	it_fail "runner not listed live with 1/1/1 workers: $(rf "r")"
it_curl GET /api/runners "${ADMIN[@]}"
it_assert_status 200 "GET /api/runners"
it_assert_eq "$RPID $(hostname) 0.1.0" "$(rf "'%d %s %s' % (r['pid'], r['host'], r['version'])")" \
	"the report carries pid, host and version"
it_assert_eq True "$(rf "r['rss_bytes'] > 1000000 and r['started'].endswith('Z') and r['idle'] + r['busy'] == 3 and isinstance(r['load1'], float)")" \
	"the report carries RSS, start time, busy/idle and load"

# --- queue stats ----------------------------------------------------------------------
# The scheduler's first system jobs may still be on their way through: wait for quiet.
quiet() {
	it_curl GET /api/queue/stats "${ADMIN[@]}"
	[[ $(py "print(all(s['length'] == 0 and s['pending'] == 0 for s in b['streams']))") == True ]]
}
it_wait_for 10 quiet
it_assert_status 200 "GET /api/queue/stats"
it_assert_eq "high common low" "$(py "print(*[s['stream'] for s in b['streams']])")" "three streams"
it_assert_eq "True" "$(py "print(all(s['consumers'] >= 1 and s['length'] == 0 and s['pending'] == 0 and not s['paused'] for s in b['streams']))")" \
	"every stream: consumers, empty, nothing pending, not paused"

# --- consumer counts at run time ------------------------------------------------------
t0=$(bf_now_ms)
it_curl PUT /api/queue/consumers "${ADMIN[@]}" -H 'Content-Type: application/json' --data '{"common":3,"low":2}'
it_assert_status 200 "PUT /api/queue/consumers for all runners"
it_assert_eq "3 2" "$(py "print(b['all']['common'], b['all']['low'])")" "the answer shows the counts for all"
grown() { [[ $(rf "r['workers']['high'], r['workers']['common'], r['workers']['low']") == "(1, 3, 2)" ]]; }
if it_wait_for 5 grown; then
	echo "# consumer counts took effect $(bf_secs $(($(bf_now_ms) - t0))) s after the PUT"
	it_ok "the running runner has 1/3/2 workers within 5 s"
else
	it_fail "workers not 1/3/2 after 5 s: $(rf "r['workers']")"
fi
svc_pid_alive "$RPID" && it_ok "the runner was not restarted" || it_fail "the runner is gone"
it_curl PUT /api/queue/consumers "${ADMIN[@]}" -H 'Content-Type: application/json' \
	--data "{\"runner\":\"$RUNNER\",\"common\":1,\"high\":0}"
it_assert_status 200 "PUT /api/queue/consumers for one runner"
shrunk() { [[ $(rf "r['workers']['high'], r['workers']['common'], r['workers']['low'], r['consumers_override']") == "(0, 1, 2, {'high': 0, 'common': 1})" ]]; }
it_wait_for 5 shrunk && it_ok "the runner's own counts win: 0/1/2 within 5 s" ||
	it_fail "workers not 0/1/2: $(rf "r['workers'], r['consumers_override']")"
it_curl PUT /api/queue/consumers "${ADMIN[@]}" -H 'Content-Type: application/json' \
	--data "{\"runner\":\"$RUNNER\",\"high\":null,\"common\":null}"
it_assert_status 200 "null puts a runner's class back"
back() { [[ $(rf "r['workers']['high'], r['workers']['common'], r['workers']['low']") == "(1, 3, 2)" ]]; }
it_wait_for 5 back && it_ok "back to the counts for all: 1/3/2" || it_fail "not back: $(rf "r['workers']")"

it_curl PUT /api/queue/consumers "${ADMIN[@]}" -H 'Content-Type: application/json' \
	--data '{"high":-1,"common":"3","low":65,"bogus":1}'
it_assert_status 422 "bad counts are refused"
it_assert_eq "bogus common high low" "$(py "print(*sorted(d['field'] for d in b['error']['details']))")" \
	"the 422 lists every problem"
it_curl PUT /api/queue/consumers "${ADMIN[@]}" -H 'Content-Type: application/json' --data '{"runner":"nohost:1","high":1}'
it_assert_status 422 "an unknown runner is refused"
it_curl PUT /api/queue/consumers "${ADMIN[@]}" -H 'Content-Type: application/json' --data '{}'
it_assert_status 422 "an empty change is refused"
it_assert_eq "3 2" "$(it_redis HGET "$IT_PREFIX:consumers" common) $(it_redis HGET "$IT_PREFIX:consumers" low)" \
	"refused requests changed nothing"
it_assert_eq 3 "$(it_sql "SELECT count(*) FROM action_log WHERE action = 'queue.consumers.set' AND actor = :u" u="$BF_ME_ID")" \
	"three changes in action_log"
it_assert_eq "runner $RUNNER" "$(it_sql "SELECT target_type || ' ' || target_id FROM action_log WHERE action = 'queue.consumers.set' ORDER BY id LIMIT 1 OFFSET 1")" \
	"action_log names the runner"

# --- pause / resume -------------------------------------------------------------------
it_curl POST /api/queue/low/pause "${ADMIN[@]}"
it_assert_status 200 "pause the low stream"
it_curl POST /api/queue/nosuch/pause "${ADMIN[@]}"
it_assert_status 404 "no such stream"
obeys() { [[ $(rf "r['paused']") == "['low']" ]]; }
it_wait_for 5 obeys && it_ok "the runner reports the pause" || it_fail "runner paused: $(rf "r['paused']")"
sleep 0.5 # a blocking read begun before the pause ends within block_ms (200)
JOB=$(it_ctl enqueue noop '{}' --priority low) || it_bail "enqueue failed"
sleep 3
# (The scheduler's system jobs, on the low stream too, may be waiting beside it.)
it_assert_eq "1 0" "$(it_redis XRANGE "$IT_PREFIX:jobs:low" - + | grep -c "\"id\":\"$JOB\"") $(it_redis XPENDING "$IT_PREFIX:jobs:low" "$IT_PREFIX-workers" | head -1)" \
	"3 s later the job is still waiting on the paused stream, taken by no one"
it_assert_eq "" "$(it_sql "SELECT status FROM job_runs WHERE job_id = :'j'" j="$JOB")" "it has not run"
it_curl GET /api/queue/stats "${ADMIN[@]}"
it_assert_eq "True 0 True True" "$(py "s=b['streams'][2]; print(s['length'] >= 1, s['pending'], s['paused'], s['oldest_age_seconds'] >= 2.5)")" \
	"stats: waiting entries, pending 0, paused, oldest entry 3 s old"
it_curl POST /api/queue/low/resume "${ADMIN[@]}"
it_assert_status 200 "resume the low stream"
ran() { [[ $(it_sql "SELECT status FROM job_runs WHERE job_id = :'j'" j="$JOB") == done ]]; }
it_wait_for 5 ran && it_ok "after resume the job runs" || it_fail "job not run after resume"
it_assert_eq 2 "$(it_sql "SELECT count(*) FROM action_log WHERE action IN ('queue.pause', 'queue.resume') AND target_id = 'low'")" \
	"pause and resume in action_log"

# --- dead letters ---------------------------------------------------------------------
# One at a time, so that the dead letters' order is the order of enqueueing.
dead_n() { [[ $(it_sql "SELECT count(*) FROM dead_letter") == "$1" ]]; }
J1=$(it_ctl enqueue noop '{"fail":true,"message":"boom one"}') || it_bail "enqueue"
it_wait_for 10 dead_n 1 || it_fail "1 dead letter expected: $(it_sql "SELECT string_agg(job_id || ' ' || error, '; ') FROM dead_letter")"
J2=$(it_ctl enqueue noop '{"fail":true,"message":"boom two"}') || it_bail "enqueue"
it_wait_for 10 dead_n 2 || it_fail "2 dead letters expected: $(it_sql "SELECT string_agg(job_id || ' ' || error, '; ') FROM dead_letter")"
J3=$(it_ctl enqueue no.such.type '{"x":1}' --priority high) || it_bail "enqueue"
it_wait_for 10 dead_n 3 || it_fail "3 dead letters expected: $(it_sql "SELECT string_agg(job_id || ' ' || error, '; ') FROM dead_letter")"
it_curl GET /api/queue/dead "${ADMIN[@]}"
it_assert_status 200 "GET /api/queue/dead"
it_assert_eq "3|no.such.type high unknown job type|noop common boom two 1|noop common boom one 1" \
	"$(py "print(b['total'], *['%s %s %s%s' % (i['type'], i['stream'], i['error'], '' if i['type'] != 'noop' else ' %d' % i['attempts']) for i in b['items']], sep='|')")" \
	"newest first: job, stream, last error, attempts"
it_assert_eq "$J1" "$(py "print(b['items'][2]['job_id'])")" "the job id is kept"
it_curl GET /api/queue/dead "${USER[@]}"
it_assert_status 403 "dead letters are for admins"

# Retry J1 with its failure switched off: it runs again under its own job id.
D1=$(it_sql "SELECT id FROM dead_letter WHERE job_id = :'j'" j="$J1")
it_sql "UPDATE dead_letter SET args = '{\"fail\":false}' WHERE id = :d" d="$D1" >/dev/null
it_curl POST "/api/queue/dead/$D1/retry" "${ADMIN[@]}"
it_assert_status 200 "retry one dead letter"
it_assert_eq 1 "$(py "print(b['retried'])")" "one retried"
ran1() { [[ $(it_sql "SELECT status FROM job_runs WHERE job_id = :'j'" j="$J1") == done ]]; }
it_wait_for 10 ran1 && it_ok "the retried job ran to the end" || it_fail "retried job: $(it_sql "SELECT status || ' ' || coalesce(error, '') FROM job_runs WHERE job_id = :'j'" j="$J1")"
it_assert_eq 0 "$(it_sql "SELECT count(*) FROM dead_letter WHERE job_id = :'j'" j="$J1")" "it left the dead letters"
it_curl POST "/api/queue/dead/$D1/retry" "${ADMIN[@]}"
it_assert_status 404 "retrying it again: no such dead letter"

D3=$(it_sql "SELECT id FROM dead_letter WHERE job_id = :'j'" j="$J3")
it_curl DELETE "/api/queue/dead/$D3" "${ADMIN[@]}"
it_assert_status 200 "drop one dead letter"
it_assert_eq "1 0" "$(py "print(b['dropped'])") $(it_sql "SELECT count(*) FROM dead_letter WHERE id = :d" d="$D3")" "it is gone"

# Retry all: J2 fails again and comes back; then drop all.
it_curl POST /api/queue/dead/retry "${ADMIN[@]}"
it_assert_status 200 "retry every dead letter"
it_assert_eq 1 "$(py "print(b['retried'])")" "one retried"
again() { [[ $(it_sql "SELECT attempts FROM dead_letter WHERE job_id = :'j'" j="$J2") == 2 ]]; }
it_wait_for 10 again && it_ok "J2 failed again: back as a dead letter with 2 attempts" ||
	it_fail "J2: $(it_sql "SELECT attempts || ' ' || error FROM dead_letter WHERE job_id = :'j'" j="$J2")"
# The runner's metrics count them (J1, J2 twice, J3 of an unknown type); the scrape's
# gauge counts the one waiting.
dead_counted() {
	curl -sS "$IT_BASE/metrics" >"$IT_DIR/metrics.txt"
	grep -q "^flowbatch_runner_dead_letters_total{runner=\"$RUNNER\",type=\"noop\"} 3\$" "$IT_DIR/metrics.txt" &&
		grep -q "^flowbatch_runner_dead_letters_total{runner=\"$RUNNER\",type=\"unknown\"} 1\$" "$IT_DIR/metrics.txt"
}
it_wait_for 5 dead_counted && it_ok "/metrics: the runner's dead letters by type" ||
	it_fail "dead letters in /metrics: $(grep dead_letters "$IT_DIR/metrics.txt" | tr '\n' ' ')"
it_assert_eq "flowbatch_dead_letters 1" "$(grep '^flowbatch_dead_letters ' "$IT_DIR/metrics.txt")" \
	"/metrics: one dead letter waiting"
it_curl DELETE /api/queue/dead "${ADMIN[@]}"
it_assert_status 200 "drop every dead letter"
it_assert_eq "1 0" "$(py "print(b['dropped'])") $(it_sql "SELECT count(*) FROM dead_letter")" "none left"
it_assert_eq 4 "$(it_sql "SELECT count(*) FROM action_log WHERE action LIKE 'queue.dead.%'")" \
	"retries and drops in action_log"

# --- a runner that is gone ------------------------------------------------------------
kill -KILL "$RPID"
it_wait_exit "$RPID" 10
IT_RUNNER_PID=
stale() { [[ $(rf "r['state']") == stale ]]; }
it_wait_for 10 stale && it_ok "a runner killed -9 is listed as stale" || it_fail "state: $(rf "r['state']")"
it_start_runner
gone_clean=$IT_RUNNER_PID
it_stop_runner TERM 20
it_assert_eq 0 "$?" "a second runner exits 0"
it_assert_eq absent "$(rf "'listed'" "$(hostname):$gone_clean")" "a runner that exits cleanly leaves the list"

it_done
