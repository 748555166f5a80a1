/* SPDX-License-Identifier: MIT */
/*
 * crontab.js: the console page for scheduled jobs (#/crontab), for admins: the list with
 * filters and paging, enable/disable and run now per crontab, the misfires waiting for a
 * scheduler, an editor (#/crontab/new, #/crontab/<id>) that shows the next fire times of
 * the expression as it is typed (GET /api/crontabs/next?expr=&tz=, errors naming the field
 * and the position), and the paged history of a crontab.  Every string goes through t()
 * with the "cron." keys registered below in zh-CN and en.  Uses the helpers of app.js ($,
 * el, add, clear, api, apiCreate, errText, query, flash, renderPager, fmtTime, tag).
 */
"use strict";

fbI18n.add("zh-CN", {
	"cron.nav": "定时任务",
	"cron.title": "定时任务",
	"cron.new": "新建定时任务",
	"cron.keyword": "名称",
	"cron.enabled": "启用状态",
	"cron.any": "全部",
	"cron.on": "已启用",
	"cron.off": "已停用",
	"cron.last_state": "最近状态",
	"cron.search": "查询",
	"cron.total": "共 {n} 个定时任务",
	"cron.col.id": "编号",
	"cron.col.name": "名称",
	"cron.col.schedule": "计划",
	"cron.col.job": "任务",
	"cron.col.next": "下次运行",
	"cron.col.state": "最近状态",
	"cron.col.enable": "启用",
	"cron.col.actions": "操作",
	"cron.enable": "启用",
	"cron.disable": "停用",
	"cron.run": "立即运行",
	"cron.edit": "编辑",
	"cron.ran": "已提交运行（历史编号 {id}）",
	"cron.load_failed": "无法加载定时任务：{e}",
	"cron.action_failed": "操作失败：{e}",
	"cron.misfires": "错过的运行（调度器未运行期间）",
	"cron.misfires.none": "没有错过的运行",
	"cron.col.first_missed": "首次错过",
	"cron.col.missed": "错过次数",
	"cron.col.policy": "策略",
	"cron.col.will": "将如何处理",
	"cron.editor.new": "新建定时任务",
	"cron.editor.edit": "编辑定时任务 #{id}",
	"cron.f.name": "名称",
	"cron.f.type": "类型",
	"cron.f.repeat": "重复",
	"cron.f.once": "一次",
	"cron.f.expr": "Cron 表达式",
	"cron.f.tz": "时区",
	"cron.f.runtime": "运行时间（RFC 3339）",
	"cron.f.job_type": "任务类型",
	"cron.f.args": "参数（JSON）",
	"cron.f.timeout": "超时（秒）",
	"cron.f.retry_max": "最多尝试次数",
	"cron.f.retry_backoff": "重试间隔（秒）",
	"cron.f.misfire": "错过策略",
	"cron.f.overlap": "重叠策略",
	"cron.f.deps": "依赖的定时任务编号（逗号分隔）",
	"cron.f.enable": "启用",
	"cron.next": "接下来的运行时间",
	"cron.next.none": "没有运行时间",
	"cron.next.other_rule": "此定时任务的计划不是 Cron 表达式，不能在此修改",
	"cron.save": "保存",
	"cron.back": "返回列表",
	"cron.saved": "已保存定时任务 #{id}",
	"cron.save_failed": "保存失败：{e}",
	"cron.bad_args": "参数必须是 JSON 对象",
	"cron.history": "运行历史",
	"cron.col.scheduled": "计划时间",
	"cron.col.status": "状态",
	"cron.col.attempt": "尝试",
	"cron.col.started": "开始",
	"cron.col.finished": "结束",
	"cron.col.content": "输出 / 原因",
	"cron.s.waiting": "等待中", "cron.s.pending": "待运行", "cron.s.running": "运行中",
	"cron.s.success": "成功", "cron.s.failed": "失败", "cron.s.skipped": "已跳过",
	"cron.s.timed_out": "已超时", "cron.s.cancelled": "已取消",
	"cron.m.run_once": "补跑一次", "cron.m.catch_up": "逐次补跑", "cron.m.skip": "跳过",
	"cron.o.forbid": "禁止重叠", "cron.o.allow": "允许重叠", "cron.o.replace": "替换旧运行",
	"cron.every": "每 {n} 秒",
	"cron.at": "于 {t}",
});
fbI18n.add("en", {
	"cron.nav": "Scheduled jobs",
	"cron.title": "Scheduled jobs",
	"cron.new": "New scheduled job",
	"cron.keyword": "Name",
	"cron.enabled": "Enabled",
	"cron.any": "All",
	"cron.on": "Enabled",
	"cron.off": "Disabled",
	"cron.last_state": "Last state",
	"cron.search": "Search",
	"cron.total": "{n} scheduled jobs",
	"cron.col.id": "ID",
	"cron.col.name": "Name",
	"cron.col.schedule": "Schedule",
	"cron.col.job": "Job",
	"cron.col.next": "Next run",
	"cron.col.state": "Last state",
	"cron.col.enable": "Enabled",
	"cron.col.actions": "Actions",
	"cron.enable": "Enable",
	"cron.disable": "Disable",
	"cron.run": "Run now",
	"cron.edit": "Edit",
	"cron.ran": "Run submitted (history {id})",
	"cron.load_failed": "Cannot load scheduled jobs: {e}",
	"cron.action_failed": "Failed: {e}",
	"cron.misfires": "Missed runs (while no scheduler ran)",
	"cron.misfires.none": "No missed runs",
	"cron.col.first_missed": "First missed",
	"cron.col.missed": "Missed",
	"cron.col.policy": "Policy",
	"cron.col.will": "What will happen",
	"cron.editor.new": "New scheduled job",
	"cron.editor.edit": "Edit scheduled job #{id}",
	"cron.f.name": "Name",
	"cron.f.type": "Type",
	"cron.f.repeat": "Repeat",
	"cron.f.once": "Once",
	"cron.f.expr": "Cron expression",
	"cron.f.tz": "Time zone",
	"cron.f.runtime": "Run at (RFC 3339)",
	"cron.f.job_type": "Job type",
	"cron.f.args": "Arguments (JSON)",
	"cron.f.timeout": "Timeout (s)",
	"cron.f.retry_max": "Max attempts",
	"cron.f.retry_backoff": "Retry backoff (s)",
	"cron.f.misfire": "Misfire policy",
	"cron.f.overlap": "Overlap policy",
	"cron.f.deps": "Depends on (crontab IDs, comma-separated)",
	"cron.f.enable": "Enabled",
	"cron.next": "Next fire times",
	"cron.next.none": "No fire times",
	"cron.next.other_rule": "This job's schedule is not a cron expression and cannot be changed here",
	"cron.save": "Save",
	"cron.back": "Back to the list",
	"cron.saved": "Scheduled job #{id} saved",
	"cron.save_failed": "Not saved: {e}",
	"cron.bad_args": "Arguments must be a JSON object",
	"cron.history": "History",
	"cron.col.scheduled": "Scheduled",
	"cron.col.status": "Status",
	"cron.col.attempt": "Attempt",
	"cron.col.started": "Started",
	"cron.col.finished": "Finished",
	"cron.col.content": "Output / reason",
	"cron.s.waiting": "Waiting", "cron.s.pending": "Pending", "cron.s.running": "Running",
	"cron.s.success": "Success", "cron.s.failed": "Failed", "cron.s.skipped": "Skipped",
	"cron.s.timed_out": "Timed out", "cron.s.cancelled": "Cancelled",
	"cron.m.run_once": "Run once", "cron.m.catch_up": "Catch up", "cron.m.skip": "Skip",
	"cron.o.forbid": "Forbid", "cron.o.allow": "Allow", "cron.o.replace": "Replace",
	"cron.every": "every {n} s",
	"cron.at": "at {t}",
});

const CT_STATES = ["waiting", "pending", "running", "success", "failed", "skipped", "timed_out",
	"cancelled"];
const CT_CLASS = { waiting: "warn", pending: "run", running: "run", success: "ok", failed: "bad",
	skipped: "warn", timed_out: "bad", cancelled: "warn" };
const CT_JOBS = ["noop", "http.call", "batch.recover", "crontab.purge", "task.timeout"];

const CT = { built: false, page: 1, filter: {}, histPage: 1, id: 0, cur: null, nextTimer: 0, nextSeq: 0 };

function ctState(s) {
	const m = {};
	for (const k of CT_STATES)
		m[k] = [t("cron.s." + k), CT_CLASS[k]];
	return tag(m, s);
}

function ctOptions(values, label) {
	return values.map((v) => el("option", { value: v }, label(v)));
}

function ctField(labelKey, input) {
	return el("label", {}, t(labelKey) + " ", input);
}

function ctTable(id, cols) {
	return el("div", { class: "table-wrap" }, el("table", { class: "grid" },
		el("thead", {}, el("tr", {}, cols.map((c) => el("th", { scope: "col" }, t(c))))),
		el("tbody", { id: id })));
}

/* The page's cards, built once. */
function ctBuild() {
	if (CT.built)
		return;
	CT.built = true;
	const v = $("view-crontab");
	const stateSel = el("select", { id: "ct-state" }, el("option", { value: "" }, t("cron.any")),
		ctOptions(CT_STATES, (s) => t("cron.s." + s)));
	add(v, el("form", { id: "ct-filter", class: "card filters", novalidate: true,
		onsubmit: (e) => { e.preventDefault(); CT.page = 1; CT.filter = ctReadFilter(); ctLoad(); } },
		el("div", { class: "toolbar" }, el("h2", { id: "ct-title" }, t("cron.title")), el("span", { class: "spacer" }),
			el("a", { href: "#/crontab/new", id: "ct-new", class: "button" }, t("cron.new"))),
		el("div", { class: "filter-row" },
			ctField("cron.keyword", el("input", { type: "search", id: "ct-keyword", maxlength: "200" })),
			ctField("cron.enabled", el("select", { id: "ct-enable" },
				el("option", { value: "" }, t("cron.any")), el("option", { value: "true" }, t("cron.on")),
				el("option", { value: "false" }, t("cron.off")))),
			ctField("cron.last_state", stateSel),
			el("button", { type: "submit", class: "primary" }, t("cron.search")))));
	add(v, el("div", { class: "card", id: "ct-list" },
		el("div", { class: "toolbar" }, el("span", { class: "muted", id: "ct-total" })),
		ctTable("ct-body", ["cron.col.id", "cron.col.name", "cron.col.schedule", "cron.col.job",
			"cron.col.next", "cron.col.state", "cron.col.enable", "cron.col.actions"]),
		el("div", { class: "pager", id: "ct-pager" })));
	add(v, el("div", { class: "card", id: "ct-misfires" },
		el("h3", {}, t("cron.misfires")),
		ctTable("ct-misfires-body", ["cron.col.id", "cron.col.name", "cron.col.first_missed",
			"cron.col.missed", "cron.col.policy", "cron.col.will"])));
	const jobSel = el("select", { id: "ct-job-type" }, ctOptions(CT_JOBS, (j) => j));
	const tz = el("input", { type: "text", id: "ct-tz", maxlength: "64", value: "Asia/Shanghai",
		oninput: ctNextSoon });
	add(v, el("form", { class: "card", id: "ct-editor", hidden: true, novalidate: true,
		onsubmit: (e) => { e.preventDefault(); ctSave(); } },
		el("div", { class: "toolbar" }, el("h2", { id: "ct-editor-title" }), el("span", { class: "spacer" }),
			el("a", { href: "#/crontab" }, t("cron.back"))),
		el("div", { class: "filter-row" },
			ctField("cron.f.name", el("input", { type: "text", id: "ct-name", maxlength: "200", required: true })),
			ctField("cron.f.type", el("select", { id: "ct-type", onchange: ctTypeChanged },
				el("option", { value: "repeat" }, t("cron.f.repeat")), el("option", { value: "once" }, t("cron.f.once")))),
			ctField("cron.f.expr", el("input", { type: "text", id: "ct-expr", maxlength: "256",
				spellcheck: "false", autocomplete: "off", oninput: ctNextSoon })),
			ctField("cron.f.tz", tz),
			ctField("cron.f.runtime", el("input", { type: "text", id: "ct-runtime", maxlength: "40",
				placeholder: "2030-01-01T08:00:00+08:00" }))),
		el("p", { class: "muted", id: "ct-rule-note", hidden: true }, t("cron.next.other_rule")),
		el("div", { id: "ct-next-box" }, el("h3", {}, t("cron.next")),
			el("p", { id: "ct-next-error", class: "bad", role: "alert" }),
			el("ol", { id: "ct-next", "aria-live": "polite" })),
		el("div", { class: "filter-row" },
			ctField("cron.f.job_type", jobSel),
			ctField("cron.f.args", el("textarea", { id: "ct-args", rows: "2", cols: "40", spellcheck: "false" }, "{}")),
			ctField("cron.f.timeout", el("input", { type: "number", id: "ct-timeout", min: "1", max: "604800" })),
			ctField("cron.f.retry_max", el("input", { type: "number", id: "ct-retry-max", min: "1", max: "100" })),
			ctField("cron.f.retry_backoff", el("input", { type: "number", id: "ct-retry-backoff", min: "0", max: "86400" }))),
		el("div", { class: "filter-row" },
			ctField("cron.f.misfire", el("select", { id: "ct-misfire" },
				ctOptions(["run_once", "catch_up", "skip"], (m) => t("cron.m." + m)))),
			ctField("cron.f.overlap", el("select", { id: "ct-overlap" },
				ctOptions(["forbid", "allow", "replace"], (o) => t("cron.o." + o)))),
			ctField("cron.f.deps", el("input", { type: "text", id: "ct-deps", maxlength: "400" })),
			ctField("cron.f.enable", el("input", { type: "checkbox", id: "ct-enable-box", checked: true })),
			el("button", { type: "submit", class: "primary", id: "ct-save" }, t("cron.save")))));
	add(v, el("div", { class: "card", id: "ct-history", hidden: true },
		el("h3", {}, t("cron.history")),
		ctTable("ct-hist-body", ["cron.col.scheduled", "cron.col.status", "cron.col.attempt",
			"cron.col.started", "cron.col.finished", "cron.col.content"]),
		el("div", { class: "pager", id: "ct-hist-pager" })));
	window.addEventListener("hashchange", () => {
		if (!location.hash.startsWith("#/crontab")) {
			$("view-crontab").hidden = true;
			$("nav-crontab").removeAttribute("aria-current");
		}
	});
}

/* The menu entry: admins only (the /api/crontabs routes are theirs). */
function crontabNav() {
	$("nav-crontab").hidden = !(S.me && S.me.is_admin);
}

async function crontabRoute(parts) {
	for (const v of ["login", "approve", "progress", "batches", "process"])
		if ($("view-" + v))
			$("view-" + v).hidden = true;
	ctBuild();
	$("view-crontab").hidden = false;
	$("nav-crontab").setAttribute("aria-current", "page");
	const editing = parts[1] === "new" || /^[1-9][0-9]{0,17}$/.test(parts[1] || "");
	for (const id of ["ct-filter", "ct-list", "ct-misfires"])
		$(id).hidden = editing;
	$("ct-editor").hidden = !editing;
	$("ct-history").hidden = !(editing && parts[1] !== "new");
	if (!editing) {
		await Promise.all([ctLoad(), ctMisfires()]);
		return;
	}
	await ctOpen(parts[1] === "new" ? 0 : Number(parts[1]));
}

function ctReadFilter() {
	return { keyword: $("ct-keyword").value.trim(), enable: $("ct-enable").value,
		last_state: $("ct-state").value };
}

function ctSchedule(c) {
	const r = c.rule || {};
	if (c.type === "once")
		return t("cron.at", { t: fmtTime(r.runtime) });
	if (r.cron)
		return r.cron.join(" | ") + (r.tz ? " (" + r.tz + ")" : "");
	if (r.every)
		return t("cron.every", { n: r.every });
	return r.every_config || "—";
}

async function ctLoad() {
	const r = await api("GET", "/api/crontabs?" +
		query(Object.assign({ page: CT.page, page_size: PAGE_SIZE }, CT.filter)));
	if (r.status !== 200) {
		flash(t("cron.load_failed", { e: errText(r) }), true);
		return;
	}
	const body = clear($("ct-body"));
	for (const c of r.body.items) {
		add(body, el("tr", { "data-id": c.id },
			el("td", {}, String(c.id)), el("td", { class: "ct-name" }, c.name),
			el("td", {}, ctSchedule(c)), el("td", {}, c.job ? c.job.type : "—"),
			el("td", {}, fmtTime(c.next_run_at)), el("td", {}, c.last_state ? ctState(c.last_state) : "—"),
			el("td", { class: "ct-enabled" }, t(c.enable ? "cron.on" : "cron.off")),
			el("td", {},
				el("button", { type: "button", class: "small ct-toggle",
					onclick: () => ctAct(c.id, c.enable ? "disable" : "enable") }, t(c.enable ? "cron.disable" : "cron.enable")),
				" ", el("button", { type: "button", class: "small ct-run", onclick: () => ctAct(c.id, "run") }, t("cron.run")),
				" ", el("a", { href: "#/crontab/" + c.id, class: "ct-edit" }, t("cron.edit")))));
	}
	$("ct-total").textContent = t("cron.total", { n: r.body.total });
	renderPager($("ct-pager"), CT.page, PAGE_SIZE, r.body.total, (p) => { CT.page = p; ctLoad(); });
}

async function ctAct(id, what) {
	const r = await api("POST", "/api/crontabs/" + id + "/" + what);
	if (r.status !== 200 && r.status !== 202) {
		flash(t("cron.action_failed", { e: errText(r) }), true);
		return;
	}
	if (what === "run")
		flash(t("cron.ran", { id: r.body.history_id }));
	await ctLoad();
}

async function ctMisfires() {
	const r = await api("GET", "/api/crontabs/misfires");
	const body = clear($("ct-misfires-body"));
	if (r.status !== 200)
		return;
	if (!r.body.items.length)
		add(body, el("tr", {}, el("td", { colspan: "6", class: "muted" }, t("cron.misfires.none"))));
	for (const m of r.body.items)
		add(body, el("tr", { "data-id": m.id },
			el("td", {}, String(m.id)), el("td", {}, m.name), el("td", {}, fmtTime(m.first_missed)),
			el("td", {}, String(m.missed) + (m.missed_capped ? "+" : "")),
			el("td", {}, t("cron.m." + m.misfire)), el("td", {}, m.action)));
}

function ctTypeChanged() {
	const once = $("ct-type").value === "once";
	$("ct-expr").disabled = once;
	$("ct-tz").disabled = once;
	$("ct-runtime").disabled = !once;
	$("ct-next-box").hidden = once;
	if (!once)
		ctNextSoon();
}

/* Fill the editor with crontab c (null: a new one). */
function ctFill(c) {
	const job = (c && c.job) || { type: "noop", args: {} };
	const rule = (c && c.rule) || { cron: ["*/5 * * * *"], tz: "Asia/Shanghai" };
	$("ct-editor-title").textContent = c ? t("cron.editor.edit", { id: c.id }) : t("cron.editor.new");
	$("ct-name").value = c ? c.name : "";
	$("ct-type").value = c ? c.type : "repeat";
	$("ct-expr").value = rule.cron ? rule.cron[0] : "";
	$("ct-tz").value = rule.tz || "";
	$("ct-runtime").value = rule.runtime || "";
	$("ct-job-type").value = job.type;
	$("ct-args").value = JSON.stringify(job.args || {});
	$("ct-timeout").value = job.timeout || "";
	$("ct-retry-max").value = (job.retry && job.retry.max_attempts) || "";
	$("ct-retry-backoff").value = (job.retry && job.retry.backoff_seconds) || "";
	$("ct-misfire").value = c ? c.misfire : "run_once";
	$("ct-overlap").value = c ? c.overlap : "forbid";
	$("ct-deps").value = c && c.depends_on ? c.depends_on.join(",") : "";
	$("ct-enable-box").checked = c ? c.enable : true;
	const system = !!(c && c.is_system);
	for (const id of ["ct-name", "ct-type", "ct-job-type", "ct-args", "ct-timeout", "ct-retry-max", "ct-retry-backoff"])
		$(id).disabled = system;
	CT.otherRule = !!(c && c.type === "repeat" && !rule.cron);
	$("ct-rule-note").hidden = !CT.otherRule;
	ctTypeChanged();
	if (CT.otherRule) {
		$("ct-expr").disabled = true;
		$("ct-tz").disabled = true;
		$("ct-next-box").hidden = true;
	}
}

async function ctOpen(id) {
	CT.id = id;
	CT.cur = null;
	CT.histPage = 1;
	if (id) {
		const r = await api("GET", "/api/crontabs/" + id);
		if (r.status !== 200) {
			flash(t("cron.load_failed", { e: errText(r) }), true);
			return;
		}
		CT.cur = r.body;
		ctHistory();
	}
	ctFill(CT.cur);
}

function ctNextSoon() {
	clearTimeout(CT.nextTimer);
	CT.nextTimer = setTimeout(ctNext, 250);
}

/* The next fire times of the expression in the editor, as typed. */
async function ctNext() {
	const seq = ++CT.nextSeq;
	const expr = $("ct-expr").value.trim();
	const list = clear($("ct-next"));
	$("ct-next-error").textContent = "";
	if (!expr)
		return;
	const r = await api("GET", "/api/crontabs/next?" +
		query({ expr: expr, tz: $("ct-tz").value.trim(), count: 10 }));
	if (seq !== CT.nextSeq)
		return; /* a newer expression was typed meanwhile */
	if (r.status !== 200) {
		const d = r.body && r.body.error && r.body.error.details;
		$("ct-next-error").textContent = d ? d.map((x) => x.field + ": " + x.message).join("; ") : errText(r);
		return;
	}
	if (!r.body.items.length)
		add(list, el("li", { class: "muted" }, t("cron.next.none")));
	for (const it of r.body.items)
		add(list, el("li", { "data-at": it.at }, it.local));
}

function ctNum(id) {
	const v = $(id).value.trim();
	return v === "" ? undefined : Number(v);
}

async function ctSave() {
	let args;
	try {
		args = JSON.parse($("ct-args").value || "{}");
	} catch (e) {
		args = null;
	}
	if (!args || typeof args !== "object" || Array.isArray(args)) {
		flash(t("cron.bad_args"), true);
		return;
	}
	const system = !!(CT.cur && CT.cur.is_system);
	const body = { misfire: $("ct-misfire").value, overlap: $("ct-overlap").value,
		enable: $("ct-enable-box").checked };
	const deps = $("ct-deps").value.split(",").map((x) => x.trim()).filter((x) => x !== "");
	body.depends_on = deps.map(Number);
	if (!CT.otherRule) {
		if ($("ct-type").value === "once")
			body.rule = { runtime: $("ct-runtime").value.trim() };
		else
			body.rule = Object.assign({ cron: [$("ct-expr").value.trim()] },
				$("ct-tz").value.trim() ? { tz: $("ct-tz").value.trim() } : {});
	}
	if (!system) {
		body.name = $("ct-name").value.trim();
		body.type = $("ct-type").value;
		body.job = { type: $("ct-job-type").value, args: args };
		if (ctNum("ct-timeout") !== undefined)
			body.job.timeout = ctNum("ct-timeout");
		if (ctNum("ct-retry-max") !== undefined || ctNum("ct-retry-backoff") !== undefined)
			body.job.retry = Object.assign({},
				ctNum("ct-retry-max") !== undefined ? { max_attempts: ctNum("ct-retry-max") } : {},
				ctNum("ct-retry-backoff") !== undefined ? { backoff_seconds: ctNum("ct-retry-backoff") } : {});
	}
	$("ct-save").disabled = true;
	const r = CT.id ? await api("PUT", "/api/crontabs/" + CT.id, body) : await apiCreate("/api/crontabs", body);
	$("ct-save").disabled = false;
	if (r.status !== 200 && r.status !== 201) {
		const d = r.body && r.body.error && r.body.error.details;
		flash(t("cron.save_failed", { e: d ? d.map((x) => x.field + ": " + x.message).join("; ") : errText(r) }), true);
		return;
	}
	flash(t("cron.saved", { id: r.body.id }));
	location.hash = "#/crontab";
}

async function ctHistory() {
	const r = await api("GET", "/api/crontabs/" + CT.id + "/history?" + query({ page: CT.histPage, page_size: 20 }));
	if (r.status !== 200)
		return;
	const body = clear($("ct-hist-body"));
	for (const h of r.body.items)
		add(body, el("tr", { "data-status": h.status },
			el("td", {}, fmtTime(h.scheduled_at)), el("td", {}, ctState(h.status)),
			el("td", {}, String(h.attempt)), el("td", {}, fmtTime(h.started)),
			el("td", {}, fmtTime(h.finished)), el("td", {}, h.content || "")));
	renderPager($("ct-hist-pager"), CT.histPage, 20, r.body.total, (p) => { CT.histPage = p; ctHistory(); });
}
