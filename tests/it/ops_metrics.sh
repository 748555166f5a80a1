#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
# GET /metrics after a batch with successes, failures and ignored items: the text is
# parsed by strict parsers (python3-prometheus-client's, and promtool check metrics, which
# also lints it),
# follows the naming conventions, and its counters equal the batch's counts.  No login is
# needed, but only the allowlist gets in (127.0.0.1 here; 127.0.0.2 is refused).
# GET /api/dashboard: a user sees their own batches (settled today, active with progress),
# an administrator everyone's plus queues, runners and dead letters.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/it/lib.sh"
. "$top_srcdir/tests/it/batch_fixture.sh"

PY=/usr/bin/python3
$PY -c 'import prometheus_client.parser' 2>/dev/null ||
	it_bail "python3-prometheus-client is not installed (dev/services installs it)"

bf_own_db
bf_users
bf_app "指标"
it_start_web
it_start_nginx

# 40 tasks: 5 sessions suspended after submission (failed), 4 tasks done by hand (ignored).
bf_submit_approve 40
B=$BF_BATCH
bf_sessions_set suspended "${BF_IDS[@]:0:5}"
it_sql "UPDATE tasks SET state = 'done', finished = now() WHERE id = ANY (:'ids'::bigint[])" \
	ids="$(bf_arr_sql "${BF_IDS[@]:5:4}")" >/dev/null
it_start_runner
bf_wait_settled "$B" 60
it_curl GET "/api/batch/$B" -H "Authorization: Bearer $BF_ME_TOKEN"
read -r S F I < <($PY -c 'import json,sys; b=json.loads(sys.stdin.read()); print(b["success"], b["failed"], b["ignored"])' <<<"$IT_BODY")
it_assert_eq "31 5 4" "$S $F $I" "the batch: 31 success, 5 failed, 4 ignored"

# The runner publishes its report every second: wait until it has counted the batch.
counted() {
	curl -sS "$IT_BASE/metrics" | grep -q "^flowbatch_runner_items_processed_total{.*outcome=\"success\"} $S\$"
}
it_wait_for 5 counted || true

it_curl GET /metrics
it_assert_status 200 "GET /metrics without a login"
it_assert_eq "text/plain; version=0.0.4; charset=utf-8" "$(it_header Content-Type)" "Prometheus text format 0.0.4"
printf '%s\n' "$IT_BODY" >"$IT_DIR/metrics.txt"

out=$($PY - "$IT_DIR/metrics.txt" "$B" <<'EOF'
import re, sys
from prometheus_client.parser import text_string_to_metric_families
text = open(sys.argv[1]).read()
fams = list(text_string_to_metric_families(text))
names = [f.name for f in fams]
problems = []
if len(names) != len(set(names)):
    problems.append("a family appears twice")
# Every sample line belongs to the family whose TYPE line came last.
cur = None
for line in text.splitlines():
    m = re.match(r"# TYPE (\S+) (counter|gauge|histogram)$", line)
    if m:
        cur = m.group(1); continue
    if line.startswith("#") or not line:
        continue
    name = re.match(r"[a-zA-Z_:][a-zA-Z0-9_:]*", line).group(0)
    if cur is None or not (name == cur or re.fullmatch(re.escape(cur) + r"_(bucket|sum|count)", name)):
        problems.append("sample outside its family: " + line)
for f in fams:
    if not f.name.startswith("flowbatch_"):
        problems.append("no flowbatch_ prefix: " + f.name)
    if f.type == "counter" and not any(s.name == f.name + "_total" for s in f.samples) and f.samples:
        problems.append("counter without _total: " + f.name)
    if f.type == "histogram":
        if not f.name.endswith("_seconds"):
            problems.append("histogram not in seconds: " + f.name)
        series = {}
        for s in f.samples:
            key = tuple(sorted((k, v) for k, v in s.labels.items() if k != "le"))
            series.setdefault(key, {})[s.name[len(f.name):] + s.labels.get("le", "")] = s.value
        for key, v in series.items():
            les = sorted(((float(k[7:]), c) for k, c in v.items() if k.startswith("_bucket")))
            if [c for _, c in les] != sorted(c for _, c in les) or les[-1][0] != float("inf") \
                    or les[-1][1] != v["_count"]:
                problems.append("bad histogram %s %s" % (f.name, key))
def total(fam, **want):
    return sum(s.value for f in fams if f.name == fam for s in f.samples
               if all(s.labels.get(k) == w for k, w in want.items()) and not s.name.endswith(("_bucket", "_sum")))
print("problems:", "; ".join(problems) or "none")
print("items:", *[int(total("flowbatch_runner_items_processed", type="batch.execute", outcome=o)) for o in ("success", "failed", "ignored")])
print("submit:", int(total("flowbatch_http_requests", route="/api/batch", method="POST", status="201")))
print("jobs:", int(total("flowbatch_runner_jobs", type="batch.execute", outcome="done")) >= 1,
      int(total("flowbatch_runner_job_wait_seconds", type="batch.execute")) >= 1,
      int(total("flowbatch_runner_job_run_seconds", type="batch.execute")) >= 1)
print("queue:", *sorted(s.labels["stream"] for f in fams if f.name == "flowbatch_queue_length" for s in f.samples))
print("runners:", int(total("flowbatch_runners", state="live")),
      int(total("flowbatch_runner_workers", state="idle") + total("flowbatch_runner_workers", state="busy")),
      total("flowbatch_runner_resident_memory_bytes") > 1e6)
print("batches:", int(total("flowbatch_batches_active", status="running")), int(total("flowbatch_batches_active", status="init")))
print("scrape errors:", int(total("flowbatch_scrape_errors")))
print("alerts:", *sorted(s.labels["rule"] for f in fams if f.name == "flowbatch_alerts_firing" for s in f.samples))
EOF
) || it_bail "the parser refused /metrics: $out"
echo "$out" | sed 's/^/# /'
get() { sed -n "s/^$1: //p" <<<"$out"; }
it_assert_eq none "$(get problems)" "strict parse, one TYPE per family, samples under their family, conventions, histograms cumulative"
it_assert_eq "$S $F $I" "$(get items)" "items processed by outcome equal the batch's counts"
it_assert_eq 1 "$(get submit)" "one POST /api/batch answered 201"
it_assert_eq "True True True" "$(get jobs)" "jobs done, wait and run time histograms"
it_assert_eq "common high low" "$(get queue)" "queue length per stream"
it_assert_eq "1 5 True" "$(get runners)" "one live runner, its 5 workers, its RSS"
it_assert_eq "0 0" "$(get batches)" "no batch left running"
it_assert_eq 0 "$(get 'scrape errors')" "nothing left out of the scrape"
it_assert_eq "batch_failure_rate batch_stalled crontab_failing no_live_runner push_failures queue_oldest_entry runner_memory" \
	"$(get alerts)" "flowbatch_alerts_firing: a series per alert rule"

# The same scrape through promtool's parser and linter (Debian's prometheus package).
if ! command -v promtool >/dev/null; then
	it_fail "promtool is not installed (Debian package prometheus; dev/services installs it)"
elif lint=$(promtool check metrics <"$IT_DIR/metrics.txt" 2>&1); then
	it_ok "promtool check metrics: parsed, no lint problem"
else
	it_fail "promtool check metrics: $lint"
fi


# The allowlist: another loopback address is refused, with the JSON envelope.
it_curl GET /metrics --interface 127.0.0.2
it_assert_status 403 "an address outside the allowlist is refused"
it_assert_eq forbidden "$(it_json error.code <<<"$IT_BODY")" "as JSON"

# Scrape time, measured through nginx.
ms=$(for _ in $(seq 1 20); do curl -sS -o /dev/null -w '%{time_total}\n' "$IT_BASE/metrics"; done |
	sort -n | awk '{a[NR]=$1} END {printf "%.1f %.1f", a[int(NR/2)+1]*1000, a[NR]*1000}')
echo "# /metrics scrape time over 20 scrapes (1 runner): median ${ms% *} ms, max ${ms#* } ms"
awk -v m="${ms% *}" 'BEGIN { exit !(m < 200) }' && it_ok "a scrape takes under 200 ms" ||
	it_fail "scrape median ${ms% *} ms"

# --- the dashboard --------------------------------------------------------------------
it_stop_runner TERM 20
it_assert_eq 0 "$?" "the runner exits 0"
bf_submit_approve 3 # no runner: it stays init, active
B2=$BF_BATCH
it_sql "UPDATE users SET is_admin = true WHERE id = :u" u="$BF_REVIEWER_ID" >/dev/null
ADMIN_TOKEN=$(it_token "$BF_REVIEWER") || it_bail "token"
dash() {
	it_curl GET /api/dashboard -H "Authorization: Bearer $1"
	$PY -c '
import json, sys
b = json.loads(sys.stdin.read()); t = b["batches"]["today"]
print(b["scope"], t["finished"], t["finished_with_failures"], t["cancelled"], t["items"]["success"],
      t["items"]["failed"], t["items"]["ignored"], t["success_rate"] is not None and round(t["success_rate"], 4),
      t["avg_item_seconds"] is not None and t["avg_item_seconds"] > 0,
      [(a["batch_id"], a["status"], a["total"], a["pending"], a["progress"]) for a in b["batches"]["active"]],
      "queues" in b, "runners" in b)' <<<"$IT_BODY"
}
it_assert_eq "mine 1 1 0 31 5 4 0.8611 True [($B2, 'init', 3, 3, 0.0)] False False" "$(dash "$BF_ME_TOKEN")" \
	"a user: their batch settled today (31/5/4, success rate 31/36), their active batch, nothing of the service"
it_assert_eq "mine 0 0 0 0 0 0 False False [] False False" "$(dash "$BF_OTHER_TOKEN")" "another user sees none of it"
it_assert_eq "all 1 1 0 31 5 4 0.8611 True [($B2, 'init', 3, 3, 0.0)] True True" "$(dash "$ADMIN_TOKEN")" \
	"an administrator sees everyone's batches and the service"
it_curl GET /api/dashboard -H "Authorization: Bearer $ADMIN_TOKEN"
it_assert_eq "3 0 0 0 1" "$($PY -c 'import json,sys; b=json.loads(sys.stdin.read()); print(len(b["queues"]), b["runners"]["live"], b["runners"]["stale"], b["dead_letters"], b["queues"][0]["length"])' <<<"$IT_BODY")" \
	"queues (the new batch waits on high), no runner, no dead letter"

it_done
