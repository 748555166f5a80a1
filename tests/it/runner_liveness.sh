#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
# kill -9 of a runner in the middle of a 2,000-task batch while a second runner is idle:
# the second one claims the dead runner's jobs as soon as its liveness key expires, and the
# batch finishes within 20 s of the kill, every task advanced exactly once, the counts equal
# to the details.  The visibility timeout stays at 300 s and the recovery scan would wait
# 10 minutes for a stale batch, so only the liveness path can finish the batch in time.
# The dead runner's consumers are removed from the group.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/it/lib.sh"
. "$top_srcdir/tests/it/batch_fixture.sh"

export FLOWBATCH_RUNNER_VISIBILITY_TIMEOUT=300 FLOWBATCH_BATCH_STALE_MINUTES=10


# consumers_of PID: how many consumers of runner PID the group has.
consumers_of() {
	local names
	names=$(bf_consumers)
	grep -c ":$1:[0-9]*\$" <<<"$names"
}
# pending_of PID: entries pending for the consumers of runner PID, over the three streams.
pending_of() {
	local s n total=0
	for s in high common low; do
		n=$(it_redis XPENDING "$IT_PREFIX:jobs:$s" "$IT_PREFIX-workers" - + 1000 |
			grep -c ":$1:[0-9]*\$")
		total=$((total + n))
	done
	echo "$total"
}

bf_own_db
bf_users
bf_app "存活检测"
it_start_web
it_start_nginx

bf_submit_approve 2000
ids=("${BF_IDS[@]}")
B=$BF_BATCH

# Two tasks 900 apart are held by another transaction, so that two chunks wait and at
# least 400 items are left when the runner dies.  Runner A alone takes every executor job
# of the batch (the first one and its three helpers).
bf_blocker_start "${ids[1000]},${ids[1900]}" 120
it_start_runner
A=$IT_RUNNER_PID
some_done() { (($(bf_count "$B" success) >= 600)); }
it_wait_for 60 some_done || it_bail "batch did not get going: $(bf_count "$B" success) done"
# undelivered: entries of the high and common streams (the batch's executor on high, its
# helpers on common) no consumer has taken yet.  (The low stream may keep the scheduler's
# jobs waiting while A's low worker is blocked.)
undelivered() {
	local len pend s n=0
	for s in high common; do
		len=$(it_redis XLEN "$IT_PREFIX:jobs:$s")
		pend=$(it_redis XPENDING "$IT_PREFIX:jobs:$s" "$IT_PREFIX-workers" | head -1)
		n=$((n + ${len:-0} - ${pend:-0}))
	done
	echo "$n"
}
# A holds the waiting executors and no executor job is left for B to take without claiming.
a_holds() { (($(pending_of "$A") >= 2 && $(undelivered) == 0)); }
it_wait_for 20 a_holds || it_bail "runner A holds $(pending_of "$A") entries, expected the two waiting executors"
it_ok "runner A holds $(pending_of "$A") executor jobs of the batch"

# Runner B starts idle, then A dies.
it_start_runner
B_PID=$IT_RUNNER_PID
b_alive() { [[ $(it_redis EXISTS "$IT_PREFIX:runner:$(hostname):$B_PID") == 1 ]]; }
it_wait_for 10 b_alive || it_bail "runner B published no liveness key"
kill -KILL "$A"
it_wait_exit "$A" 10
t_kill=$(bf_now_ms)
done1=$(bf_count "$B" success)
pend1=$(bf_count "$B" pending)
echo "# killed runner A (pid $A) with $done1 done, $pend1 pending"
((pend1 >= 400)) && it_ok "killed mid-batch" || it_fail "not mid-batch: $done1 done, $pend1 pending"
bf_blocker_stop

if it_wait_for 20 bf_settled "$B"; then
	t_done=$(bf_now_ms)
	it_ok "batch finished within 20 s of the kill"
else
	t_done=$(bf_now_ms)
	it_fail "batch not finished 20 s after the kill: $(bf_count "$B" pending) pending, A still holds $(pending_of "$A")"
fi
echo "# recovery after kill -9: batch finished $(bf_secs $((t_done - t_kill))) s after the kill (visibility timeout 300 s)"
grep -q 'claimed a job of a runner that is gone' "$IT_DIR"/runner.2.log &&
	it_ok "runner B claimed the dead runner's jobs" || it_fail "runner B never claimed a dead runner's job"

bf_check_approved_once "$B" 2000

# The dead runner's consumers leave the group once nothing of theirs is pending.
a_pruned() { (($(consumers_of "$A") == 0)); }
if it_wait_for 15 a_pruned; then
	it_ok "the dead runner's consumers were removed from the group"
else
	it_fail "$(consumers_of "$A") consumers of the dead runner remain: $(bf_consumers | tr '\n' ' ')"
fi
n=$(consumers_of "$B_PID")
((n > 0)) && it_ok "the live runner's $n consumers stay" || it_fail "the live runner's consumers are gone"
[[ $(it_redis EXISTS "$IT_PREFIX:runner:$(hostname):$B_PID") == 1 ]] &&
	it_ok "the live runner's liveness key exists" || it_fail "no liveness key for the live runner"

it_stop_runner TERM 30
it_assert_eq 0 "$?" "runner B exits 0 on SIGTERM"
[[ $(it_redis EXISTS "$IT_PREFIX:runner:$(hostname):$B_PID") == 0 ]] &&
	it_ok "a clean exit deletes the liveness key" || it_fail "liveness key left after a clean exit"

it_done
