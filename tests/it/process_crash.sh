#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
# kill -9 of the runner in the middle of suspending 5,000 sessions: after a restart the
# operation completes, every session changed exactly once (a trigger counts the changes),
# one proc_log row per session, and the counts (op columns + counter rows) equal the rows.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/it/lib.sh"
. "$top_srcdir/tests/it/batch_fixture.sh"
. "$top_srcdir/tests/it/process_fixture.sh"

export FLOWBATCH_BATCH_RECOVER_INTERVAL_SECONDS=1 FLOWBATCH_BATCH_INIT_GRACE_SECONDS=2 \
	FLOWBATCH_BATCH_STALE_MINUTES=1 FLOWBATCH_RUNNER_VISIBILITY_TIMEOUT=3

pf_setup "流程崩溃"
it_sql "CREATE TABLE state_changes (session_id bigint, old_state text, new_state text);
CREATE FUNCTION count_change() RETURNS trigger LANGUAGE plpgsql AS \$\$
BEGIN INSERT INTO state_changes VALUES (NEW.id, OLD.state, NEW.state); RETURN NEW; END \$\$;
CREATE TRIGGER count_change AFTER UPDATE OF state ON app_sessions
FOR EACH ROW WHEN (OLD.state IS DISTINCT FROM NEW.state) EXECUTE FUNCTION count_change();" >/dev/null
it_start_web
it_start_nginx

mapfile -t S < <(pf_sessions running 5000)
it_assert_eq 5000 "${#S[@]}" "5000 sessions seeded"
pf_submit "$BF_ME_TOKEN" "{\"operation\":\"suspend\",\"session_ids\":$(bf_ids_json "${S[@]}")}"
it_assert_status 201 "suspend of 5000 submitted"
OP=$PF_OP
[[ -n $OP ]] || it_bail "no op id"
done_n() { it_sql "SELECT count(*) FROM proc_log WHERE bulk_op_id = :o AND status = 'success'" o="$OP"; }
pending_n() { it_sql "SELECT count(*) FROM proc_log WHERE bulk_op_id = :o AND status = 'pending'" o="$OP"; }
# Two sessions' tasks 2000 apart are held by another transaction: the chunks that hold
# them wait, so that at least 400 sessions are left when the runner is killed.
T=$(it_sql "SELECT string_agg(id::text, ',') FROM tasks WHERE session_id IN (:a, :b) AND state = 'pending'" a="${S[2500]}" b="${S[4500]}")
bf_blocker_start "$T" 120
it_start_runner
some_done() { (($(done_n) >= 1000)); }
if it_wait_for 60 some_done; then
	it_ok "operation under way ($(done_n) done)"
else
	it_bail "operation did not get going: $(done_n) done"
fi
sleep 0.5
it_stop_runner KILL 10
d1=$(done_n)
p1=$(pending_n)
echo "# killed the runner with $d1 done, $p1 pending"
((p1 >= 400 && d1 > 0)) && it_ok "killed mid-operation" || it_fail "not mid-operation: $d1 done, $p1 pending"
bf_blocker_stop
pf_check_invariant "$OP" "$BF_ME_TOKEN" "after kill -9"
it_start_runner
pf_wait_settled "$OP" 90

it_assert_eq "finished 5000 5000 0 0 0 0" "$(pf_counts "$OP" "$BF_ME_TOKEN")" "status total success failed ignored cancelled pending"
pf_check_invariant "$OP" "$BF_ME_TOKEN" "at the end"
it_assert_eq "5000 5000" "$(it_sql "SELECT count(*) || ' ' || count(DISTINCT session_id) FROM proc_log WHERE bulk_op_id = :o" o="$OP")" "one proc_log row per session"
it_assert_eq "5000 5000 0" "$(it_sql "SELECT count(*) || ' ' || count(DISTINCT session_id) || ' ' || count(*) FILTER (WHERE old_state <> 'running' OR new_state <> 'suspended') FROM state_changes")" \
	"every session changed exactly once, running → suspended"
it_assert_eq 5000 "$(it_sql "SELECT o.success + coalesce(sum(c.success), 0) FROM process_bulk_op o LEFT JOIN process_bulk_counter c ON c.op_id = o.id WHERE o.id = :o GROUP BY o.success" o="$OP")" \
	"op row + counter rows say 5000 successes"
it_assert_eq 5000 "$(it_sql "SELECT count(*) FROM app_sessions WHERE id = ANY (:'ids'::bigint[]) AND state = 'suspended'" ids="$(bf_arr_sql "${S[@]}")")" "all 5000 suspended"

it_done
