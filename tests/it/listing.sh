#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
# The batch console's listing through nginx: GET /api/batch/nodes (counts per node) and
# GET /api/batch/tasks with every filter (node, Chinese keyword on title and creator name,
# department subtree, task ids, searchable form fields with Chinese and numeric values),
# paging totals and a stable (created, id) order, scoping to the caller's own pending tasks,
# and 400 JSON envelopes naming each bad parameter.  The test creates its own organisation,
# app, nodes, sessions and tasks (names carry the PID, so parallel runs do not meet).
. "${top_srcdir:-$(dirname "$0")/../..}/tests/it/lib.sh"

it_migrate
it_start_web
it_start_nginx

sfx=$$
la="it_ls_a_$sfx"
lb="it_ls_b_$sfx"

# --- data ---------------------------------------------------------------------------------
# Departments: 列表总部 > 华南区 > 深圳组, and a separate 西北区.
# Creators: 王小明 (深圳组), 李四 (华南区), 赵六 (西北区), 钱七 (no department).
# App 列表测试 v1, nodes 初审 (visible reason, amount, category; searchable category,
# amount, city) and 复审 (visible category, reason; searchable category).
# User A: 6 pending tasks at 初审 (one locked by a batch, two with the same created time),
# 2 at 复审, 1 done and 1 cancelled at 初审 (never listed).  User B: 3 pending at 初审.
it_sql "
INSERT INTO departments (name) VALUES ('列表总部-' || :'s');
INSERT INTO departments (name, parent_id)
	SELECT '华南区-' || :'s', id FROM departments WHERE name = '列表总部-' || :'s';
INSERT INTO departments (name, parent_id)
	SELECT '深圳组-' || :'s', id FROM departments WHERE name = '华南区-' || :'s';
INSERT INTO departments (name) VALUES ('西北区-' || :'s');
INSERT INTO users (login, name, dept_id) VALUES
	(:'la', '审批人甲', NULL), (:'lb', '审批人乙', NULL),
	('it_ls_c1_' || :'s', '王小明', (SELECT id FROM departments WHERE name = '深圳组-' || :'s')),
	('it_ls_c2_' || :'s', '李四', (SELECT id FROM departments WHERE name = '华南区-' || :'s')),
	('it_ls_c3_' || :'s', '赵六', (SELECT id FROM departments WHERE name = '西北区-' || :'s')),
	('it_ls_c4_' || :'s', '钱七', NULL);
INSERT INTO apps (name) VALUES ('列表测试-' || :'s');
INSERT INTO app_versions (app_id, version, form_schema)
	SELECT id, 1, '{\"fields\":[
	 {\"key\":\"reason\",\"label\":\"事由\",\"type\":\"text\",\"max_length\":200},
	 {\"key\":\"amount\",\"label\":\"金额\",\"type\":\"number\",\"min\":0,\"max\":1000000},
	 {\"key\":\"category\",\"label\":\"类别\",\"type\":\"select\",\"options\":[\"差旅\",\"办公\",\"招待\"]},
	 {\"key\":\"city\",\"label\":\"城市\",\"type\":\"text\"},
	 {\"key\":\"items\",\"label\":\"明细\",\"type\":\"table\",\"columns\":[{\"key\":\"name\",\"label\":\"名称\",\"type\":\"text\"}]}
	]}'::jsonb FROM apps WHERE name = '列表测试-' || :'s';
INSERT INTO nodes (app_version_id, name, seq, view)
	SELECT v.id, '初审', 1, '{\"visible\":[\"reason\",\"amount\",\"category\"],
	  \"searchable\":[\"category\",\"amount\",\"city\"],\"writable\":[],\"required\":[]}'::jsonb
	FROM app_versions v JOIN apps a ON a.id = v.app_id WHERE a.name = '列表测试-' || :'s';
INSERT INTO nodes (app_version_id, name, seq, view)
	SELECT v.id, '复审', 2, '{\"visible\":[\"category\",\"reason\"],\"searchable\":[\"category\"],
	  \"writable\":[],\"required\":[]}'::jsonb
	FROM app_versions v JOIN apps a ON a.id = v.app_id WHERE a.name = '列表测试-' || :'s';
CREATE TEMP TABLE spec (n int, title text, creator text, fd jsonb, seq int, assignee text,
	state text, lock_kind text, mins int);
INSERT INTO spec VALUES
 (1, '深圳出差报销', 'c1', '{\"reason\":\"出差\",\"amount\":100.5,\"category\":\"差旅\",\"city\":\"深圳\",\"items\":[{\"name\":\"机票\"}]}', 1, :'la', 'pending', NULL, 60),
 (2, '办公用品采购', 'c2', '{\"reason\":\"文具\",\"amount\":200,\"category\":\"办公\",\"city\":\"广州\"}', 1, :'la', 'pending', 'batch', 50),
 (3, '客户招待', 'c3', '{\"reason\":\"宴请\",\"amount\":300,\"category\":\"招待\",\"city\":\"西安\"}', 1, :'la', 'pending', NULL, 40),
 (4, '北京出差', 'c4', '{\"reason\":\"会议\",\"amount\":100.50,\"category\":\"差旅\",\"city\":\"北京\"}', 1, :'la', 'pending', NULL, 30),
 (5, '季度报表', 'c1', '{\"reason\":\"其他\",\"amount\":5,\"category\":\"办公\"}', 1, :'la', 'pending', NULL, 30),
 (6, 'PERCENT 100% 测试', 'c3', '{\"reason\":\"百分号\",\"amount\":7,\"category\":\"差旅\"}', 1, :'la', 'pending', NULL, 20),
 (7, '复审：深圳出差', 'c2', '{\"reason\":\"复审一\",\"amount\":1,\"category\":\"差旅\"}', 2, :'la', 'pending', NULL, 55),
 (8, '复审：办公', 'c3', '{\"reason\":\"复审二\",\"amount\":2,\"category\":\"办公\"}', 2, :'la', 'pending', NULL, 10),
 (9, '已办：出差', 'c1', '{\"category\":\"差旅\"}', 1, :'la', 'done', NULL, 70),
 (10, '已撤：出差', 'c1', '{\"category\":\"差旅\"}', 1, :'la', 'cancelled', NULL, 70),
 (11, '乙的出差', 'c1', '{\"category\":\"差旅\",\"amount\":100.5}', 1, :'lb', 'pending', NULL, 65),
 (12, '乙的办公', 'c2', '{\"category\":\"办公\"}', 1, :'lb', 'pending', NULL, 15),
 (13, '乙的招待', 'c3', '{\"category\":\"招待\"}', 1, :'lb', 'pending', NULL, 5);
INSERT INTO app_sessions (app_version_id, title, form_data, creator, current_node_id)
	SELECT v.id, sp.title || '-' || :'s', sp.fd, u.id, n.id
	FROM spec sp JOIN apps a ON a.name = '列表测试-' || :'s'
	JOIN app_versions v ON v.app_id = a.id JOIN nodes n ON n.app_version_id = v.id AND n.seq = sp.seq
	JOIN users u ON u.login = 'it_ls_' || sp.creator || '_' || :'s'
	ORDER BY sp.n;
INSERT INTO tasks (session_id, node_id, assignee, state, lock_kind, lock_owner, created)
	SELECT s.id, s.current_node_id, u.id, sp.state, sp.lock_kind,
	       CASE WHEN sp.lock_kind IS NOT NULL THEN 'batch:1' END,
	       date_trunc('minute', now()) - make_interval(mins => sp.mins)
	FROM spec sp JOIN app_sessions s ON s.title = sp.title || '-' || :'s'
	JOIN users u ON u.login = sp.assignee
	ORDER BY sp.n;
" s="$sfx" la="$la" lb="$lb" >/dev/null || it_bail "cannot create the test data"

q() { it_sql "$1" s="$sfx" la="$la" lb="$lb"; }
n1=$(q "SELECT n.id FROM nodes n JOIN app_versions v ON v.id = n.app_version_id JOIN apps a ON a.id = v.app_id WHERE a.name = '列表测试-' || :'s' AND n.seq = 1")
n2=$(q "SELECT n.id FROM nodes n JOIN app_versions v ON v.id = n.app_version_id JOIN apps a ON a.id = v.app_id WHERE a.name = '列表测试-' || :'s' AND n.seq = 2")
d_root=$(q "SELECT id FROM departments WHERE name = '列表总部-' || :'s'")
d_south=$(q "SELECT id FROM departments WHERE name = '华南区-' || :'s'")
d_sz=$(q "SELECT id FROM departments WHERE name = '深圳组-' || :'s'")
d_nw=$(q "SELECT id FROM departments WHERE name = '西北区-' || :'s'")
# tid N: the task of spec row N (by its session title).
tid() {
	q "SELECT t.id FROM tasks t JOIN app_sessions s ON s.id = t.session_id
	   WHERE s.title LIKE '%-' || :'s' ORDER BY s.id OFFSET $(($1 - 1)) LIMIT 1"
}
# Task 2's batch lock belongs to a real batch of A's whose failed item may still be retried
# (its retry is planned within the window), so that no stale-lock sweep of a runner working
# on the same database lets go of it while this test runs.
q "WITH b AS (INSERT INTO batch_task (app_version_id, node_id, status, total, failed, creator, finished)
	SELECT n.app_version_id, n.id, 'finished', 1, 1, u.id, now() FROM nodes n, users u
	WHERE n.id = $n1 AND u.login = :'la' RETURNING id),
	d AS (INSERT INTO batch_task_detail (batch_id, task_id, status, error, retry_count, next_retry_at, finished)
	SELECT b.id, $(tid 2), 'failed', 'listing fixture', 1, now() + interval '23 hours', now() FROM b)
	UPDATE tasks t SET lock_kind = 'batch', lock_owner = 'batch:' || b.id FROM b WHERE t.id = $(tid 2)" >/dev/null ||
	it_bail "cannot lock task 2 for a batch"
# expect WHERE: A's pending task ids matching an extra condition over t and s, in order.
expect() {
	q "SELECT coalesce(string_agg(t.id::text, ',' ORDER BY t.created, t.id), '')
	   FROM tasks t JOIN app_sessions s ON s.id = t.session_id
	   JOIN users a ON a.id = t.assignee AND a.login = :'la'
	   WHERE t.state = 'pending' AND ($1)"
}
[[ -n $n1 && -n $n2 && -n $d_root && -n $d_nw ]] || it_bail "test data ids missing"

ta=$(it_token "$la") || it_bail "no token for $la"
tb=$(it_token "$lb") || it_bail "no token for $lb"
ha=(-H "Authorization: Bearer $ta")
hb=(-H "Authorization: Bearer $tb")

# ids: the task ids of the last listing, comma separated.
ids() {
	/usr/bin/python3 -c '
import json, sys
print(",".join(str(i["task_id"]) for i in json.loads(sys.stdin.read())["items"]))' <<<"$IT_BODY"
}
# pyq EXPR: evaluate EXPR over the last body (as b); prints the result.
pyq() {
	/usr/bin/python3 -c '
import json, sys
b = json.loads(sys.stdin.read())
r = eval(sys.argv[1])
print(r if isinstance(r, str) else json.dumps(r, ensure_ascii=False, sort_keys=True))' "$1" <<<"$IT_BODY"
}
# urlenc TEXT
urlenc() {
	/usr/bin/python3 -c 'import sys, urllib.parse; print(urllib.parse.quote(sys.argv[1], safe=""))' "$1"
}

# --- nodes --------------------------------------------------------------------------------
it_curl GET /api/batch/nodes "${ha[@]}"
it_assert_status 200 "GET /api/batch/nodes"
it_assert_eq 2 "$(pyq 'len([i for i in b["items"] if i["app_name"].startswith("列表测试-")])')" \
	"A waits at two nodes of the test app"
it_assert_eq "6" "$(pyq "[i['count'] for i in b['items'] if i['node_id'] == $n1][0]")" "初审 count is 6"
it_assert_eq "2" "$(pyq "[i['count'] for i in b['items'] if i['node_id'] == $n2][0]")" "复审 count is 2"
it_assert_eq "初审|列表测试-$sfx|1" \
	"$(pyq "[i['node_name'] + '|' + i['app_name'] + '|' + str(i['app_version']) for i in b['items'] if i['node_id'] == $n1][0]")" \
	"node and app names in Chinese, app version"
it_assert_eq "$(q "SELECT v.id FROM nodes n JOIN app_versions v ON v.id = n.app_version_id WHERE n.id = $n1")" \
	"$(pyq "[i['app_version_id'] for i in b['items'] if i['node_id'] == $n1][0]")" "app_version_id"
it_assert_eq 2 "$(pyq 'b["total"]')" "total counts A's nodes"
it_curl GET /api/batch/nodes "${hb[@]}"
it_assert_eq "$n1:3" "$(pyq '",".join("%d:%d" % (i["node_id"], i["count"]) for i in b["items"])')" \
	"B sees only 初审 with 3"
it_curl GET /api/batch/nodes
it_assert_status 401 "nodes without a token"
it_curl GET "/api/batch/nodes?x=1" "${ha[@]}"
it_assert_status 400 "nodes with an unknown parameter"

# --- all of A's tasks, order, scope -----------------------------------------------------
all=$(expect "true")
it_curl GET /api/batch/tasks "${ha[@]}"
it_assert_status 200 "GET /api/batch/tasks"
it_assert_eq "$all" "$(ids)" "A's pending tasks across nodes in (created, id) order"
it_assert_eq 8 "$(pyq 'b["total"]')" "total 8"
it_assert_eq "1|50" "$(pyq 'str(b["page"]) + "|" + str(b["page_size"])')" "default page 1, size 50"
it_assert_eq "null" "$(pyq 'b.get("labels")')" "no labels without node_id"
t4=$(tid 4)
t5=$(tid 5)
if [[ ,$all, == *",$t4,$t5,"* ]]; then
	it_ok "equal created times are ordered by id"
else
	it_fail "tasks $t4 and $t5 (same created) not in id order: $all"
fi
it_curl GET /api/batch/tasks "${hb[@]}"
bids=$(ids)
it_assert_eq "$(q "SELECT string_agg(t.id::text, ',' ORDER BY t.created, t.id) FROM tasks t JOIN users u ON u.id = t.assignee WHERE u.login = :'lb' AND t.state = 'pending'")" \
	"$bids" "B sees exactly B's pending tasks"
for b_id in ${bids//,/ }; do
	if [[ ,$all, == *",$b_id,"* ]]; then
		it_fail "B's task $b_id is in A's list"
	fi
done

# --- node: items, fields, labels ----------------------------------------------------------
it_curl GET "/api/batch/tasks?node_id=$n1" "${ha[@]}"
it_assert_status 200 "node_id filter"
it_assert_eq "$(expect "t.node_id = $n1")" "$(ids)" "初审's tasks in order"
it_assert_eq 6 "$(pyq 'b["total"]')" "初审 total 6"
it_assert_eq '{"amount": "金额", "category": "类别", "reason": "事由"}' "$(pyq 'b["labels"]')" \
	"labels of the visible fields, in Chinese"
t1=$(tid 1)
it_assert_eq '{"amount": 100.5, "category": "差旅", "reason": "出差"}' \
	"$(pyq "[i['fields'] for i in b['items'] if i['task_id'] == $t1][0]")" \
	"fields: only the visible ones (no city, no items table)"
it_assert_eq "王小明|it_ls_c1_$sfx|深圳组-$sfx|$d_sz|深圳出差报销-$sfx|初审|running" \
	"$(pyq "[i['creator']['name'] + '|' + i['creator']['login'] + '|' + i['creator_dept']['name'] + '|' + str(i['creator_dept']['id']) + '|' + i['title'] + '|' + i['node_name'] + '|' + i['session_state'] for i in b['items'] if i['task_id'] == $t1][0]")" \
	"creator, creator department, title, node name"
t2=$(tid 2)
it_assert_eq "true|batch" "$(pyq "[str(i['locked']).lower() + '|' + i['lock_kind'] for i in b['items'] if i['task_id'] == $t2][0]")" \
	"a batch-locked task says so"
it_assert_eq "false|None" "$(pyq "[str(i['locked']).lower() + '|' + str(i['lock_kind']) for i in b['items'] if i['task_id'] == $t1][0]")" \
	"an unlocked task"
it_assert_match '^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z$' \
	"$(pyq "b['items'][0]['created']")" "created is ISO 8601 UTC"
t4c=$(tid 4)
it_assert_eq "null" "$(pyq "[i['creator_dept'] for i in b['items'] if i['task_id'] == $t4c][0]")" \
	"a creator without a department"
it_curl GET "/api/batch/tasks?node_id=$n2" "${ha[@]}"
it_assert_eq '{"category": "类别", "reason": "事由"}' "$(pyq 'b["labels"]')" "复审's labels"
it_assert_eq '["category", "reason"]' "$(pyq 'list(b["labels"])')" \
	"复审's labels in its view's order (not the schema's)"
it_assert_eq "$(expect "t.node_id = $n2")" "$(ids)" "复审's tasks"

# --- keyword ------------------------------------------------------------------------------
kw=$(urlenc "出差")
it_curl GET "/api/batch/tasks?keyword=$kw" "${ha[@]}"
it_assert_status 200 "keyword 出差"
it_assert_eq "$(expect "s.title LIKE '%出差%'")" "$(ids)" "keyword matches titles (Chinese)"
it_assert_eq 3 "$(pyq 'b["total"]')" "three titles with 出差"
it_curl GET "/api/batch/tasks?keyword=$(urlenc " 王小明 ")" "${ha[@]}"
it_assert_eq "$(expect "s.creator = (SELECT id FROM users WHERE login = 'it_ls_c1_$sfx')")" "$(ids)" \
	"keyword matches the creator's name (trimmed)"
it_assert_eq 2 "$(pyq 'b["total"]')" "two tasks created by 王小明"
it_curl GET "/api/batch/tasks?keyword=percent&node_id=$n1" "${ha[@]}"
it_assert_eq "$(tid 6)" "$(ids)" "keyword is case-insensitive"
it_curl GET "/api/batch/tasks?keyword=$(urlenc "100%")" "${ha[@]}"
it_assert_eq "$(tid 6)" "$(ids)" "% in a keyword is literal"
it_curl GET "/api/batch/tasks?keyword=$(urlenc "1_0")" "${ha[@]}"
it_assert_eq "0" "$(pyq 'b["total"]')" "_ in a keyword is literal"
it_curl GET "/api/batch/tasks?keyword=$(urlenc "乙的")" "${ha[@]}"
it_assert_eq "0" "$(pyq 'b["total"]')" "a keyword never reaches another user's tasks"

# --- department subtree -------------------------------------------------------------------
it_curl GET "/api/batch/tasks?dept_id=$d_south" "${ha[@]}"
it_assert_status 200 "dept_id"
it_assert_eq "$(expect "s.creator IN (SELECT id FROM users WHERE login IN ('it_ls_c1_$sfx', 'it_ls_c2_$sfx'))")" \
	"$(ids)" "华南区 includes 深圳组 (sub-departments)"
it_assert_eq 4 "$(pyq 'b["total"]')" "four tasks from 华南区 and 深圳组"
it_curl GET "/api/batch/tasks?dept_id=$d_root&node_id=$n1" "${ha[@]}"
it_assert_eq "$(expect "t.node_id = $n1 AND s.creator IN (SELECT id FROM users WHERE login IN ('it_ls_c1_$sfx', 'it_ls_c2_$sfx'))")" \
	"$(ids)" "the root department, two levels down, with node_id"
it_curl GET "/api/batch/tasks?dept_id=$d_sz" "${ha[@]}"
it_assert_eq "$(expect "s.creator = (SELECT id FROM users WHERE login = 'it_ls_c1_$sfx')")" "$(ids)" \
	"深圳组 alone"
it_curl GET "/api/batch/tasks?dept_id=$d_nw" "${ha[@]}"
it_assert_eq "$(expect "s.creator = (SELECT id FROM users WHERE login = 'it_ls_c3_$sfx')")" "$(ids)" \
	"西北区 alone"

# --- task ids -----------------------------------------------------------------------------
t3=$(tid 3)
t7=$(tid 7)
t9=$(tid 9)
t11=$(tid 11)
it_curl GET "/api/batch/tasks?task_ids=$t7,$t3,$t11,$t9" "${ha[@]}"
it_assert_status 200 "task_ids"
it_assert_eq "$(expect "t.id IN ($t3, $t7)")" "$(ids)" \
	"task_ids keeps only A's pending tasks (not B's, not done ones)"
it_curl GET "/api/batch/tasks?task_ids=$t3,$t7&node_id=$n2" "${ha[@]}"
it_assert_eq "$t7" "$(ids)" "task_ids with node_id"

# --- searchable fields --------------------------------------------------------------------
it_curl GET "/api/batch/tasks?node_id=$n1&f.category=$(urlenc 差旅)" "${ha[@]}"
it_assert_status 200 "f.category=差旅"
it_assert_eq "$(expect "t.node_id = $n1 AND s.form_data->>'category' = '差旅'")" "$(ids)" \
	"f.category matches the Chinese select value exactly"
it_assert_eq 3 "$(pyq 'b["total"]')" "three 差旅 tasks at 初审"
it_curl GET "/api/batch/tasks?node_id=$n1&f.category=$(urlenc 差)" "${ha[@]}"
it_assert_eq 0 "$(pyq 'b["total"]')" "field match is exact, not a substring"
it_curl GET "/api/batch/tasks?node_id=$n1&f.amount=100.50" "${ha[@]}"
it_assert_eq "$(expect "t.id IN ($(tid 1), $(tid 4))")" "$(ids)" \
	"f.amount compares numerically (100.5 = 100.50)"
it_curl GET "/api/batch/tasks?node_id=$n1&f.amount=100.5&f.city=$(urlenc 北京)" "${ha[@]}"
it_assert_eq "$(tid 4)" "$(ids)" "two field conditions together"
it_curl GET "/api/batch/tasks?node_id=$n1&f.reason=x" "${ha[@]}"
it_assert_status 400 "a visible but not searchable field"
it_assert_eq "bad_request|f.reason" "$(pyq 'b["error"]["code"] + "|" + b["error"]["details"][0]["field"]')" \
	"the 400 names f.reason"
it_assert_match 'f\.reason' "$(pyq 'b["error"]["message"]')" "the message names f.reason"
it_curl GET "/api/batch/tasks?node_id=$n1&f.nosuch=1" "${ha[@]}"
it_assert_status 400 "an unknown field"
it_assert_match 'f\.nosuch' "$IT_BODY" "the 400 names f.nosuch"
it_curl GET "/api/batch/tasks?node_id=$n2&f.amount=1" "${ha[@]}"
it_assert_status 400 "a field searchable at another node only"
it_curl GET "/api/batch/tasks?node_id=$n1&f.amount=abc" "${ha[@]}"
it_assert_status 400 "a number field with a non-number"
it_assert_match 'f\.amount' "$IT_BODY" "names f.amount"
it_curl GET "/api/batch/tasks?f.category=$(urlenc 差旅)" "${ha[@]}"
it_assert_status 400 "a field condition without node_id"
it_assert_match 'node_id' "$IT_BODY" "says node_id is needed"

# --- paging -------------------------------------------------------------------------------
node_all=$(expect "t.node_id = $n1")
paged=
for p in 1 2 3; do
	it_curl GET "/api/batch/tasks?node_id=$n1&page=$p&page_size=2" "${ha[@]}"
	it_assert_eq "6|$p|2|2" "$(pyq 'str(b["total"]) + "|" + str(b["page"]) + "|" + str(b["page_size"]) + "|" + str(len(b["items"]))')" \
		"page $p: total, page, page_size, two items"
	paged=${paged:+$paged,}$(ids)
done
it_assert_eq "$node_all" "$paged" "pages 1..3 concatenated are the whole list, in order"
it_curl GET "/api/batch/tasks?node_id=$n1&page=4&page_size=2" "${ha[@]}"
it_assert_eq "6|0" "$(pyq 'str(b["total"]) + "|" + str(len(b["items"]))')" "past the end: empty page, same total"
it_curl GET "/api/batch/tasks?page=2&page_size=5" "${ha[@]}"
it_assert_eq "$(echo "$all" | cut -d, -f6-)" "$(ids)" "page 2 of 5 across nodes"

# --- bad parameters -----------------------------------------------------------------------
bad() {
	local query=$1 name=$2
	it_curl GET "/api/batch/tasks?$query" "${ha[@]}"
	if [[ $IT_STATUS == 400 && $(pyq 'b["error"]["code"]') == bad_request &&
		$(pyq 'b["error"]["message"]') == *"$name"* ]] &&
		[[ $(it_header Content-Type) == application/json* ]]; then
		it_ok "400 JSON naming $name for ?${query:0:60}"
	else
		it_fail "?${query:0:60}: expected a 400 JSON naming $name, got $IT_STATUS ${IT_BODY:0:300}"
	fi
}
bad "page=0" page
bad "page=abc" page
bad "page_size=0" page_size
bad "page_size=501" page_size
bad "node_id=abc" node_id
bad "node_id=-1" node_id
bad "node_id=1e3" node_id
bad "dept_id=0" dept_id
bad "dept_id=99999999999999999999" dept_id
bad "task_ids=" task_ids
bad "task_ids=1,,2" task_ids
bad "task_ids=1,a" task_ids
bad "task_ids=0" task_ids
bad "task_ids=$(seq -s, 1 1001)" task_ids
bad "keyword=$(printf '%0.s字' $(seq 1 101) | /usr/bin/python3 -c 'import sys, urllib.parse; print(urllib.parse.quote(sys.stdin.read().strip()))')" keyword
bad "bogus=1" bogus
bad "node_id=$n1&node_id=$n2" node_id
bad "node_id=$n1&f.=1" "f."
bad "keyword=%ZZ" query
it_curl GET "/api/batch/tasks?task_ids=$(seq -s, 1 1000)" "${ha[@]}"
it_assert_status 200 "1000 task ids are allowed"
it_curl GET "/api/batch/tasks?keyword=$(printf '%0.s字' $(seq 1 100) | /usr/bin/python3 -c 'import sys, urllib.parse; print(urllib.parse.quote(sys.stdin.read().strip()))')" "${ha[@]}"
it_assert_status 200 "a keyword of 100 Chinese characters is allowed"
# A node where the caller has no pending task says nothing about itself: not whether it
# exists, not which of its fields are searchable.  B has tasks at 初审 only.
it_curl GET "/api/batch/tasks?node_id=999999999999" "${ha[@]}"
it_assert_eq "200|0" "$IT_STATUS|$(pyq 'b["total"]')" "an unknown node: an empty page"
unknown_body=$IT_BODY
it_curl GET "/api/batch/tasks?node_id=$n2" "${hb[@]}"
it_assert_eq "$unknown_body" "$IT_BODY" "a node without my tasks: the same empty page"
it_curl GET "/api/batch/tasks?node_id=$n2&f.nosuch=1&f.amount=abc" "${hb[@]}"
it_assert_eq "$unknown_body" "$IT_BODY" "field conditions at a node without my tasks: not checked, the same page"
it_curl GET "/api/batch/tasks?node_id=999999999999&f.category=x" "${hb[@]}"
it_assert_eq "$unknown_body" "$IT_BODY" "field conditions at an unknown node: the same page"
it_curl GET "/api/batch/template?node_id=$n2&f.nosuch=1" "${hb[@]}"
tmpl_none="$IT_STATUS $IT_BODY"
it_curl GET "/api/batch/template?node_id=999999999999" "${hb[@]}"
it_assert_eq "$tmpl_none" "$IT_STATUS $IT_BODY" "template: a node without my tasks and an unknown node answer alike"
it_assert_match '^404 ' "$tmpl_none" "template of a node without my tasks: 404"
it_curl GET "/api/batch/tasks?node_id=$n1&f.category=$(urlenc "x' OR 1=1 --")" "${ha[@]}"
it_assert_eq "200|0" "$IT_STATUS|$(pyq 'b["total"]')" "a quote in a value is data"
it_curl GET /api/batch/tasks
it_assert_status 401 "tasks without a token"
it_curl POST /api/batch/tasks "${ha[@]}"
it_assert_status 405 "POST is not allowed"

it_done
