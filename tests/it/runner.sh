#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
# flowbatch-runner: jobs run and are acknowledged; failures are recorded and acknowledged;
# SIGTERM drains the job in hand; a job of a killed runner is reclaimed after the
# visibility timeout; high-priority jobs go before low ones.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/it/lib.sh"

it_migrate
group="$IT_PREFIX-workers"
# The runners here publish their periodic recovery scan once, at start, and not again
# while the pending counts below are checked.
export FLOWBATCH_BATCH_RECOVER_INTERVAL_SECONDS=3600

# pending: the number of delivered, unacknowledged entries over the three streams.
pending() {
	local s n total=0
	for s in high common low; do
		n=$(it_redis XPENDING "$IT_PREFIX:jobs:$s" "$group" 2>/dev/null | head -1)
		[[ $n =~ ^[0-9]+$ ]] || n=0
		total=$((total + n))
	done
	echo "$total"
}
# job_pending ID: true when the stream entry of job ID is delivered and not acknowledged
# (the runner also has jobs of its own, e.g. recovery scans: count only ours).
job_pending() {
	local s ids id
	for s in high common low; do
		ids=$(it_redis XPENDING "$IT_PREFIX:jobs:$s" "$group" - + 1000 2>/dev/null |
			grep -E '^[0-9]+-[0-9]+$')
		for id in $ids; do
			if grep -qF "$1" <<<"$(it_redis XRANGE "$IT_PREFIX:jobs:$s" "$id" "$id")"; then
				return 0
			fi
		done
	done
	return 1
}
job_acked() {
	! job_pending "$1"
}
status_of() {
	it_sql "SELECT status FROM job_runs WHERE job_id = :'id'" id="$1"
}
is_status() {
	[[ $(status_of "$1") == "$2" ]]
}
no_pending() {
	[[ $(pending) == 0 ]]
}
enqueue() {
	local id
	id=$(it_ctl enqueue "$@") || { echo "flowbatchctl enqueue $* failed" >&2; return 1; }
	id=$(printf '%s' "$id" | tail -1 | tr -d '[:space:]')
	[[ -n $id ]] || { echo "flowbatchctl enqueue printed no job id" >&2; return 1; }
	echo "$id"
}

# --- a job runs and is acknowledged ---
it_start_runner
id=$(enqueue noop '{}') || it_bail "enqueue failed"
if it_wait_for 20 is_status "$id" done; then
	it_ok "noop job $id done"
else
	it_fail "noop job $id not done after 20 s (status: $(status_of "$id"))"
fi
if it_wait_for 5 job_acked "$id"; then
	it_ok "job acknowledged (not in XPENDING)"
else
	it_fail "job $id still pending after it was done"
fi
it_assert_eq noop "$(it_sql "SELECT type FROM job_runs WHERE job_id = :'id'" id="$id")" "job_runs.type"
it_assert_eq t "$(it_sql "SELECT finished IS NOT NULL FROM job_runs WHERE job_id = :'id'" id="$id")" \
	"job_runs.finished set"

# --- a failing job is recorded as failed and acknowledged ---
id=$(enqueue noop '{"fail":true}') || it_bail "enqueue failed"
if it_wait_for 20 is_status "$id" failed; then
	it_ok "failing job $id recorded as failed"
else
	it_fail "failing job $id: status $(status_of "$id") after 20 s"
fi
err=$(it_sql "SELECT coalesce(error, '') FROM job_runs WHERE job_id = :'id'" id="$id")
[[ -n $err ]] && it_ok "failed job has an error text ($err)" || it_fail "failed job has no error text"
if it_wait_for 5 job_acked "$id"; then
	it_ok "failed job acknowledged"
else
	it_fail "failed job $id still pending"
fi

# --- SIGTERM drains the job in hand ---
id=$(enqueue noop '{"sleep_ms":3000}') || it_bail "enqueue failed"
if it_wait_for 20 is_status "$id" running; then
	it_ok "long job $id running"
else
	it_fail "long job $id never ran (status: $(status_of "$id"))"
fi
t0=$(date +%s)
it_stop_runner TERM 20
st=$?
it_assert_eq 0 "$st" "runner exits 0 on SIGTERM with a job in hand (took $(($(date +%s) - t0)) s)"
it_assert_eq done "$(status_of "$id")" "the job in hand finished before exit"
job_acked "$id" && it_ok "the job in hand was acknowledged" ||
	it_fail "the job in hand $id is still pending after the drain"

# --- kill -9: the entry is reclaimed after the visibility timeout ---
it_start_runner FLOWBATCH_RUNNER_VISIBILITY_TIMEOUT=2
id=$(enqueue noop '{"sleep_ms":5000}') || it_bail "enqueue failed"
if it_wait_for 20 is_status "$id" running; then
	it_ok "job $id running before kill -9"
else
	it_fail "job $id never ran (status: $(status_of "$id"))"
fi
it_stop_runner KILL 10
it_assert_eq running "$(status_of "$id")" "job still marked running after kill -9"
job_pending "$id" && it_ok "its entry is pending" || it_fail "entry of $id is not pending after kill -9"
it_start_runner FLOWBATCH_RUNNER_VISIBILITY_TIMEOUT=2
if it_wait_for 40 is_status "$id" done; then
	it_ok "reclaimed job $id done"
else
	it_fail "job $id not done 40 s after a second runner started (status: $(status_of "$id"))"
fi
# Once: the second runner's heartbeat keeps its own job in hand from being reclaimed
# although the job (5 s) outlasts the visibility timeout (2 s).
attempt=$(it_sql "SELECT attempt FROM job_runs WHERE job_id = :'id'" id="$id")
it_assert_eq 2 "$attempt" "reclaimed job ran exactly once more"
if it_wait_for 10 job_acked "$id"; then
	it_ok "reclaimed job acknowledged"
else
	it_fail "reclaimed job $id still pending"
fi

# --- a job longer than the visibility timeout runs once on a live runner ---
id=$(enqueue noop '{"sleep_ms":5000}') || it_bail "enqueue failed"
if it_wait_for 40 is_status "$id" done; then
	it_ok "long job $id done"
else
	it_fail "long job $id not done (status: $(status_of "$id"))"
fi
it_assert_eq 1 "$(it_sql "SELECT attempt FROM job_runs WHERE job_id = :'id'" id="$id")" \
	"a job of 5 s with a visibility timeout of 2 s is not run twice"
it_stop_runner TERM 20
it_assert_eq 0 "$?" "second runner exits 0 on SIGTERM"

# --- priority: high before low with one worker ---
low=() high=()
for i in 1 2 3 4 5; do
	id=$(enqueue noop '{"sleep_ms":50}' --priority low) || it_bail "enqueue failed"
	low+=("$id")
done
for i in 1 2 3 4 5; do
	id=$(enqueue noop '{"sleep_ms":50}' --priority high) || it_bail "enqueue failed"
	high+=("$id")
done
it_start_runner FLOWBATCH_RUNNER_HIGH=0 FLOWBATCH_RUNNER_COMMON=0 FLOWBATCH_RUNNER_LOW=1
all_done() {
	[[ $(it_sql "SELECT count(*) FROM job_runs WHERE status = 'done' AND job_id = ANY (string_to_array(:'ids', ','))" \
		ids="$(IFS=,; echo "${low[*]},${high[*]}")") == 10 ]]
}
if it_wait_for 30 all_done; then
	it_ok "10 prioritized jobs done"
else
	it_fail "prioritized jobs not all done after 30 s"
fi
order=$(it_sql "SELECT string_agg(CASE WHEN job_id = ANY (string_to_array(:'hi', ',')) THEN 'H' ELSE 'L' END, '' ORDER BY started, job_id)
	FROM job_runs WHERE job_id = ANY (string_to_array(:'all', ','))" \
	hi="$(IFS=,; echo "${high[*]}")" all="$(IFS=,; echo "${low[*]},${high[*]}")")
it_assert_eq HHHHHLLLLL "$order" "every high job started before any low one"
it_stop_runner TERM 20
it_assert_eq 0 "$?" "single-worker runner exits 0 on SIGTERM"
# With every runner stopped, nothing at all may stay pending: the runner's own jobs
# (recovery scans, ticks) must have been acknowledged too.
if it_wait_for 5 no_pending; then
	it_ok "nothing pending at the end"
else
	detail=$(for s in high common low; do
		for e in $(it_redis XPENDING "$IT_PREFIX:jobs:$s" "$group" - + 10 | grep -E '^[0-9]+-[0-9]+$'); do
			it_redis XRANGE "$IT_PREFIX:jobs:$s" "$e" "$e"
		done
	done | tr '\n' ' ')
	it_fail "XPENDING is $(pending) at the end: $detail"
fi

it_done
