# SPDX-License-Identifier: MIT
# shellcheck shell=bash
# tests/it/taskcenter_fixture.sh: sourced by the task-center tests after lib.sh and
# batch_fixture.sh.  The webhook sink (taskcenter_sink.py) and reads of the outbox.
#
#   tc_sink_start CTL_JSON     start the sink answering as CTL_JSON says; sets SINK (its URL)
#   sink_ctl JSON              change the answers (read by the sink at every request)
#   sink_q PYTHON_EXPR         evaluate over r, the recorded requests (a tuple prints
#                              space-separated)
#   platform NAME SECRET ENABLED TIMEOUT_MS MAX_CONCURRENCY
#                              a platform whose URL is the sink's /NAME; prints its id
#   st PLATFORM                its rows by status: "delivered=3 failed=1"
#   n_status PLATFORM STATUS, settled PLATFORM N, all_delivered PLATFORM N
#   tc_retry_every SECS        the system crontab taskcenter.retry fires (enabled) every SECS seconds
#                              (in this test's own database), from now on

PY=/usr/bin/python3

SINK_CTL=$IT_DIR/sink.ctl
SINK_LOG=$IT_DIR/sink.jsonl

# sink_ctl JSON: the answer of each path (read by the sink at every request).
sink_ctl() {
	printf '%s' "$1" >"$SINK_CTL.tmp" && mv "$SINK_CTL.tmp" "$SINK_CTL"
}
# sink_q PYTHON_EXPR: evaluate over r (the list of recorded requests) and print it.
sink_q() {
	$PY -c '
import json, sys
r = [json.loads(l) for l in open(sys.argv[1], encoding="utf-8") if l.strip()]
v = eval(sys.argv[2])
print(" ".join(map(str, v)) if isinstance(v, tuple) else v)' "$SINK_LOG" "$1"
}

tc_sink_start() {
	sink_ctl "$1"
	: >"$SINK_LOG"
	$PY "$top_srcdir/tests/it/taskcenter_sink.py" "$SINK_CTL" "$SINK_LOG" "$IT_DIR/sink.port" \
		>"$IT_DIR/sink.log" 2>&1 &
	IT_PIDS+=("$!")
	it_wait_for 10 test -s "$IT_DIR/sink.port" || it_bail "the sink did not start"
	SINK=http://127.0.0.1:$(cat "$IT_DIR/sink.port")
}

platform() { # NAME SECRET ENABLED TIMEOUT_MS MAX_CONCURRENCY: prints the id
	it_sql "INSERT INTO task_center_platform (name, url, secret, enabled, timeout_ms, connect_timeout_ms,
		max_concurrency) VALUES (:'n', :'u', :'s', :'e', :'t', 500, :'c') RETURNING id" \
		n="$1 $BF_TAG" u="$SINK/$1" s="$2" e="$3" t="$4" c="$5"
}
st() { # PLATFORM: status=count ...
	it_sql "SELECT coalesce(string_agg(status || '=' || n, ' ' ORDER BY status), '') FROM
		(SELECT status, count(*) n FROM task_center_log WHERE platform_id = :p GROUP BY 1) x" p="$1"
}
n_status() { # PLATFORM STATUS
	it_sql "SELECT count(*) FROM task_center_log WHERE platform_id = :p AND status = :'s'" p="$1" s="$2"
}
settled() { # PLATFORM N: N rows, none queued or being sent
	[[ $(it_sql "SELECT count(*) = :n AND count(*) FILTER (WHERE status IN ('queued', 'sending')) = 0
		FROM task_center_log WHERE platform_id = :p" p="$1" n="$2") == t ]]
}
all_delivered() { # PLATFORM N
	[[ $(n_status "$1" delivered) == "$2" ]]
}
tc_retry_every() { # SECS
	it_sql "UPDATE crontab SET enable = true, rule = jsonb_build_object('every', :s::int), next_run_at = now()
		WHERE system_key = 'taskcenter.retry'" s="$1" >/dev/null
}
