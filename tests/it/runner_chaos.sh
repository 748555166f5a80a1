#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
# Three runners share a 10,000-task batch while one of them is killed with kill -9 every
# 2 s, in turn, and started again, for as long as the batch runs.  The batch finishes (the
# jobs of each dead runner are claimed by the others as soon as its liveness key expires),
# every task advanced exactly once, the counts equal to the details, and the group keeps
# no consumer of a dead runner.  The visibility timeout stays at 300 s.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/it/lib.sh"
. "$top_srcdir/tests/it/batch_fixture.sh"

# Every kill counts one more delivery of each job the dead runner had in hand, and here one
# executor job may be handed on a dozen times: dead-lettering is not what this tests.
export FLOWBATCH_RUNNER_VISIBILITY_TIMEOUT=300 FLOWBATCH_BATCH_STALE_MINUTES=10 \
	FLOWBATCH_RUNNER_MAX_DELIVERIES=1000
N=10000
LIMIT=240


bf_own_db
# Items this cheap finish 10,000 in two seconds; 6 ms more each (a trigger in this test's
# own database) makes the batch last long enough for a dozen kills, like heavier forms do.
it_sql "CREATE FUNCTION it_slow_item() RETURNS trigger LANGUAGE plpgsql AS
	\$\$ BEGIN PERFORM pg_sleep(0.006); RETURN NEW; END \$\$;
	CREATE TRIGGER it_slow_item BEFORE UPDATE ON batch_task_detail FOR EACH ROW
	WHEN (OLD.status = 'pending' AND NEW.status <> 'pending') EXECUTE FUNCTION it_slow_item()" >/dev/null ||
	it_bail "cannot slow the items down"
bf_users
bf_app "轮番重启"
it_start_web
it_start_nginx

bf_submit_approve "$N"
B=$BF_BATCH

runners=()
for i in 0 1 2; do
	it_start_runner
	runners[i]=$IT_RUNNER_PID
done
IT_RUNNER_PID=
t0=$(bf_now_ms)
kills=0
t_last=$t0
while ! bf_settled "$B" && (($(bf_now_ms) - t0 < LIMIT * 1000)); do
	sleep 2
	bf_settled "$B" && break
	i=$((kills % 3))
	kill -KILL "${runners[i]}" 2>/dev/null
	it_wait_exit "${runners[i]}" 10 >/dev/null 2>&1
	t_last=$(bf_now_ms)
	echo "${runners[i]} $(date +%s%N)" >>"$IT_DIR/kills"
	kills=$((kills + 1))
	it_start_runner
	runners[i]=$IT_RUNNER_PID
	IT_RUNNER_PID=
	echo "# kill $kills at $(bf_secs $((t_last - t0))) s: $(bf_count "$B" success) done"
done
t_done=$(bf_now_ms)
if bf_settled "$B"; then
	it_ok "batch finished under $kills kills"
else
	it_fail "batch not finished after $LIMIT s of kills: $(bf_count "$B" pending) pending"
fi
echo "# chaos: $kills kill -9 in $(bf_secs $((t_done - t0))) s; batch finished $(bf_secs $((t_done - t_last))) s after the last kill"
bf_settled "$B" && ((t_done - t_last <= 20000)) && it_ok "batch finished within 20 s of the last kill" ||
	it_fail "batch finished $(bf_secs $((t_done - t_last))) s after the last kill"

# Per kill: how long until every job the dead runner had in hand was claimed by another
# (from the runners' logs: "claimed a job of a runner that is gone", with the old owner).
recovery=$(/usr/bin/python3 - "$IT_DIR" <<'PY'
import glob, json, sys, datetime
d = sys.argv[1]
kills = {}
for line in open(d + "/kills"):
    pid, ns = line.split()
    kills[pid] = int(ns) / 1e9
last = {}
for f in glob.glob(d + "/runner.*.log"):
    for line in open(f, errors="replace"):
        if "claimed a job of a runner that is gone" not in line:
            continue
        try:
            e = json.loads(line)
        except ValueError:
            continue
        pid = e["from"].split(":")[-2]
        t = datetime.datetime.strptime(e["ts"], "%Y-%m-%dT%H:%M:%S.%fZ").replace(
            tzinfo=datetime.timezone.utc).timestamp()
        if pid in kills:
            last[pid] = max(last.get(pid, 0), t - kills[pid])
v = sorted(last.values())
if v:
    print("%d %.1f %.1f %.1f" % (len(v), v[0], v[len(v) // 2], v[-1]))
else:
    print("0 0 0 0")
PY
)
read -r nrec rmin rmed rmax <<<"$recovery"
echo "# chaos recovery: the jobs of $nrec killed runners were all claimed by others $rmin / $rmed / $rmax s (min / median / max) after the kill"
((nrec > 0)) && it_ok "the jobs of $nrec killed runners were claimed by the others" ||
	it_fail "no job of a killed runner was claimed by another"
((nrec > 0)) && awk -v m="$rmax" 'BEGIN { exit !(m <= 20) }' && it_ok "each within 20 s of its kill (max $rmax s)" ||
	it_fail "a dead runner's jobs waited $rmax s"
((kills >= 3)) && it_ok "every runner was killed at least once ($kills kills)" ||
	it_fail "only $kills kills: the batch ran too briefly to test anything"

bf_check_approved_once "$B" "$N"

# Only the consumers of the three live runners stay in the group.
stray() {
	bf_consumers | grep -v -E ":(${runners[0]}|${runners[1]}|${runners[2]}):[0-9]+\$"
}
no_stray() { [[ -z $(stray) ]]; }
if it_wait_for 20 no_stray; then
	it_ok "no consumer of a dead runner is left in the group"
else
	it_fail "$(stray | sort -u | wc -l) consumers of dead runners remain: $(stray | sort -u | head -10 | tr '\n' ' ')..."
fi

for i in 0 1 2; do
	IT_RUNNER_PID=${runners[i]}
	it_stop_runner TERM 30
	it_assert_eq 0 "$?" "runner $i exits 0 on SIGTERM"
done

it_done
