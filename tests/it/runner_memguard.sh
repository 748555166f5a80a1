#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
# The memory guard (runner.rss_limit_mb), with a limit every runner passes (1 MiB):
#  - a job in hand when the guard trips is finished, not abandoned, and nothing new starts;
#  - the runner then executes itself again: same pid, a new start time in /api/runners,
#    and the log says why and when;
#  - the new image works: a job published after the re-exec runs.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/it/lib.sh"
. "$top_srcdir/tests/it/batch_fixture.sh"

bf_own_db
it_start_web
it_start_nginx
admin="it_memguard_$$"
it_sql "INSERT INTO users (login, name, is_admin) VALUES (:'a', '管理员', true)" a="$admin" >/dev/null ||
	it_bail "cannot insert the admin"
tok=$(it_token "$admin") || it_bail "token"
RUNNER_OF() { echo "$(hostname):$1"; }
started() { # the start time of runner PID in /api/runners ("absent" when not listed)
	it_curl GET /api/runners -H "Authorization: Bearer $tok"
	/usr/bin/python3 -c 'import json,sys
m=[x for x in json.load(sys.stdin)["items"] if x["runner"] == sys.argv[1] and x["state"] == "live"]
print(m[0]["started"] if m else "absent")' "$(RUNNER_OF "$1")" <<<"$IT_BODY"
}

it_start_runner FLOWBATCH_RUNNER_RSS_LIMIT_MB=1
pid=$IT_RUNNER_PID
log=$IT_RUNNER_LOG
listed() { [[ $(started "$pid") != absent ]]; }
it_wait_for 10 listed || it_fail "the runner is not listed"
s1=$(started "$pid")
# A job in hand when the guard trips (5 s after the start) is finished first.
job=$(it_ctl enqueue noop '{"sleep_ms":7000}') || it_bail "enqueue"
it_wait_for 15 grep -q '"memory guard: resident size past the limit' "$log" &&
	it_ok "the guard trips and says so" || it_fail "no memory guard line in the log"
it_wait_for 20 grep -q '"memory guard: drained; re-executing"' "$log" &&
	it_ok "the runner drained and re-executes itself" || it_fail "no re-exec"
it_assert_eq done "$(it_psql -c "SELECT status FROM job_runs WHERE job_id = '$job'")" \
	"the job in hand was finished before the re-exec"
svc_pid_alive "$pid" && it_ok "same pid after the re-exec" || it_fail "the runner is gone"
changed() { local s; s=$(started "$pid"); [[ $s != absent && $s != "$s1" ]]; }
it_wait_for 10 changed && it_ok "/api/runners shows the same pid with a new start time" ||
	it_fail "start time still $s1"
it_assert_eq 2 "$(grep -c '"runner starting"' "$log")" "the log shows the second start"
# The new image takes work (before its own guard trips again, 5 s after its start).
job2=$(it_ctl enqueue noop '{}') || it_bail "enqueue"
done2() { [[ $(it_psql -c "SELECT status FROM job_runs WHERE job_id = '$job2'") == done ]]; }
it_wait_for 10 done2 && it_ok "the re-executed runner runs jobs" || it_fail "job after the re-exec not done"
it_stop_runner TERM 20 >/dev/null
it_done
