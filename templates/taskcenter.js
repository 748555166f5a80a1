/* SPDX-License-Identifier: MIT */
/*
 * taskcenter.js: the console page of the task center (#/taskcenter), for administrators:
 * delivery status per platform over the last 24 hours, the platforms (list, create, edit,
 * a generated or rotated secret shown once, a test ping with the platform's answer), the
 * retry settings (validated, every problem shown at its field), and the delivery log
 * (filters, paging, push one row again, push every matching row again).  Builds its own
 * DOM inside #view-taskcenter; every string goes through t() with keys "tc.*".  Uses the
 * helpers of app.js ($, el, add, clear, api, errText, query, flash, renderPager, fmtTime,
 * tag).
 */
"use strict";

fbI18n.add("zh-CN", {
	"tc.nav": "任务中心",
	"tc.title": "任务中心",
	"tc.status.title": "投递状态（最近 24 小时）",
	"tc.status.refresh": "刷新",
	"tc.col.id": "编号", "tc.col.name": "名称", "tc.col.url": "地址", "tc.col.enabled": "启用",
	"tc.col.notify": "批次完成通知", "tc.col.concurrency": "并发", "tc.col.timeouts": "超时（连接/总计，毫秒）",
	"tc.col.secret": "密钥", "tc.col.actions": "操作",
	"tc.col.delivered": "已送达", "tc.col.pending": "待发送", "tc.col.failing": "失败待重试",
	"tc.col.rejected": "被拒绝", "tc.col.abandoned": "已放弃",
	"tc.col.subject": "对象", "tc.col.platform": "平台", "tc.col.event": "事件", "tc.col.status": "状态",
	"tc.col.retries": "重试", "tc.col.http": "HTTP", "tc.col.result": "结果", "tc.col.created": "创建时间",
	"tc.yes": "是", "tc.no": "否", "tc.secret.set": "已设置", "tc.secret.none": "无",
	"tc.platforms.title": "平台",
	"tc.platforms.new": "新建平台",
	"tc.platforms.edit": "编辑",
	"tc.platforms.test": "测试推送",
	"tc.platforms.delete": "删除",
	"tc.platforms.confirm_delete": "删除平台“{name}”及其全部推送记录？",
	"tc.platforms.deleted": "平台已删除",
	"tc.platforms.saved": "平台已保存",
	"tc.platforms.empty": "还没有平台",
	"tc.form.create": "新建平台", "tc.form.edit": "编辑平台 {id}",
	"tc.form.name": "名称", "tc.form.url": "推送地址（http:// 或 https://）",
	"tc.form.secret": "密钥（留空则自动生成，16 至 200 字节）",
	"tc.form.rotate": "生成新密钥", "tc.form.enabled": "启用",
	"tc.form.notify": "发送批次完成通知（batch.finished）",
	"tc.form.connect": "连接超时（毫秒）", "tc.form.timeout": "总超时（毫秒）",
	"tc.form.concurrency": "最大并发",
	"tc.form.save": "保存", "tc.form.cancel": "取消",
	"tc.secret.once": "新密钥（只显示这一次，请立即保存）：",
	"tc.test.running": "正在向平台 {id} 发送测试推送…",
	"tc.test.result": "平台 {id} 测试结果：{outcome}，HTTP {status}，用时 {seconds} 秒",
	"tc.test.answer": "平台应答：{answer}",
	"tc.test.reason": "原因：{reason}",
	"tc.outcome.delivered": "送达", "tc.outcome.rejected": "被拒绝", "tc.outcome.retry": "失败（会重试）",
	"tc.config.title": "重试设置",
	"tc.config.max_retries": "最大重试次数（0 至 100）",
	"tc.config.interval": "重试间隔（分钟，1 至 10080）",
	"tc.config.save": "保存设置",
	"tc.config.saved": "设置已保存",
	"tc.logs.title": "推送记录",
	"tc.logs.task": "任务编号", "tc.logs.platform": "平台", "tc.logs.status": "状态",
	"tc.logs.since": "时间范围", "tc.logs.all": "全部", "tc.logs.search": "查询",
	"tc.logs.retry": "重新推送",
	"tc.logs.retry_all": "重新推送全部符合条件的失败记录",
	"tc.logs.confirm_all": "重新推送全部符合当前条件的失败、已放弃和被拒绝记录？",
	"tc.logs.queued": "已重新排队 {n} 条",
	"tc.logs.empty": "没有符合条件的记录",
	"tc.logs.batch": "批次 {id}", "tc.logs.op": "操作 {id}", "tc.logs.taskn": "任务 {id}",
	"tc.since.1h": "最近 1 小时", "tc.since.24h": "最近 24 小时", "tc.since.3d": "最近 3 天",
	"tc.st.queued": "排队中", "tc.st.sending": "发送中", "tc.st.delivered": "已送达",
	"tc.st.rejected": "被拒绝", "tc.st.failed": "失败待重试", "tc.st.abandoned": "已放弃",
	"tc.err.load": "无法加载：{err}",
	"tc.err.fix": "请修正标出的项目",
});
fbI18n.add("en", {
	"tc.nav": "Task center",
	"tc.title": "Task center",
	"tc.status.title": "Deliveries (last 24 hours)",
	"tc.status.refresh": "Refresh",
	"tc.col.id": "ID", "tc.col.name": "Name", "tc.col.url": "URL", "tc.col.enabled": "Enabled",
	"tc.col.notify": "Batch finished", "tc.col.concurrency": "Concurrency",
	"tc.col.timeouts": "Timeouts (connect/total, ms)", "tc.col.secret": "Secret", "tc.col.actions": "Actions",
	"tc.col.delivered": "Delivered", "tc.col.pending": "Pending", "tc.col.failing": "Failing",
	"tc.col.rejected": "Rejected", "tc.col.abandoned": "Abandoned",
	"tc.col.subject": "Subject", "tc.col.platform": "Platform", "tc.col.event": "Event", "tc.col.status": "Status",
	"tc.col.retries": "Retries", "tc.col.http": "HTTP", "tc.col.result": "Result", "tc.col.created": "Created",
	"tc.yes": "yes", "tc.no": "no", "tc.secret.set": "set", "tc.secret.none": "none",
	"tc.platforms.title": "Platforms",
	"tc.platforms.new": "New platform",
	"tc.platforms.edit": "Edit",
	"tc.platforms.test": "Send test",
	"tc.platforms.delete": "Delete",
	"tc.platforms.confirm_delete": "Delete platform \"{name}\" and all its delivery rows?",
	"tc.platforms.deleted": "Platform deleted",
	"tc.platforms.saved": "Platform saved",
	"tc.platforms.empty": "No platform yet",
	"tc.form.create": "New platform", "tc.form.edit": "Edit platform {id}",
	"tc.form.name": "Name", "tc.form.url": "URL (http:// or https://)",
	"tc.form.secret": "Secret (empty: one is generated; 16 to 200 bytes)",
	"tc.form.rotate": "Generate a new secret", "tc.form.enabled": "Enabled",
	"tc.form.notify": "Send batch.finished events",
	"tc.form.connect": "Connect timeout (ms)", "tc.form.timeout": "Total timeout (ms)",
	"tc.form.concurrency": "Max concurrency",
	"tc.form.save": "Save", "tc.form.cancel": "Cancel",
	"tc.secret.once": "New secret (shown this once only, store it now):",
	"tc.test.running": "Sending a test event to platform {id}…",
	"tc.test.result": "Platform {id} test: {outcome}, HTTP {status}, {seconds} s",
	"tc.test.answer": "Answer: {answer}",
	"tc.test.reason": "Reason: {reason}",
	"tc.outcome.delivered": "delivered", "tc.outcome.rejected": "rejected", "tc.outcome.retry": "failed (would be retried)",
	"tc.config.title": "Retry settings",
	"tc.config.max_retries": "Max retries (0 to 100)",
	"tc.config.interval": "Retry interval (minutes, 1 to 10080)",
	"tc.config.save": "Save settings",
	"tc.config.saved": "Settings saved",
	"tc.logs.title": "Delivery log",
	"tc.logs.task": "Task ID", "tc.logs.platform": "Platform", "tc.logs.status": "Status",
	"tc.logs.since": "Period", "tc.logs.all": "All", "tc.logs.search": "Search",
	"tc.logs.retry": "Push again",
	"tc.logs.retry_all": "Push every matching failed row again",
	"tc.logs.confirm_all": "Push every failed, abandoned and rejected row matching the filter again?",
	"tc.logs.queued": "{n} queued again",
	"tc.logs.empty": "No matching row",
	"tc.logs.batch": "batch {id}", "tc.logs.op": "operation {id}", "tc.logs.taskn": "task {id}",
	"tc.since.1h": "last hour", "tc.since.24h": "last 24 hours", "tc.since.3d": "last 3 days",
	"tc.st.queued": "queued", "tc.st.sending": "sending", "tc.st.delivered": "delivered",
	"tc.st.rejected": "rejected", "tc.st.failed": "failing", "tc.st.abandoned": "abandoned",
	"tc.err.load": "Cannot load: {err}",
	"tc.err.fix": "Please correct the marked fields",
});

const tcT = (k, p) => fbI18n.t(k, p);
const TC_RETRYABLE = { failed: true, abandoned: true, rejected: true };

const TC = { built: false, platforms: [], editing: 0, logPage: 1, logFilter: {} };

/* Show the menu entry to administrators. */
function tcNav() {
	$("nav-taskcenter").hidden = !(S.me && S.me.is_admin);
}

function tcStatusTag(st) {
	const cls = { delivered: "ok", rejected: "bad", failed: "warn", abandoned: "bad", queued: "run", sending: "run" };
	return el("span", { class: "tag " + (cls[st] || "") }, tcT("tc.st." + st));
}

function tcField(label, input) {
	return el("label", {}, label, " ", input, el("span", { class: "field-error", "data-for": input.id }));
}

/* The page's DOM, once. */
function tcBuild() {
	if (TC.built)
		return;
	TC.built = true;
	const v = clear($("view-taskcenter"));
	const num = (id, min, max) => el("input", { type: "number", id: id, min: String(min), max: String(max), step: "1" });
	add(v, [
		el("div", { class: "card" }, [
			el("div", { class: "toolbar" }, [
				el("h2", { id: "tc-title" }, tcT("tc.status.title")),
				el("span", { class: "spacer" }),
				el("button", { type: "button", id: "tc-status-refresh", class: "small", onclick: tcLoadStatus }, tcT("tc.status.refresh")),
			]),
			el("div", { class: "table-wrap" }, el("table", { class: "grid", id: "tc-status" }, [
				el("thead", {}, el("tr", {}, ["tc.col.name", "tc.col.enabled", "tc.col.delivered", "tc.col.pending",
					"tc.col.failing", "tc.col.rejected", "tc.col.abandoned"].map((k) => el("th", { scope: "col" }, tcT(k))))),
				el("tbody", { id: "tc-status-body" }),
			])),
		]),
		el("div", { class: "card" }, [
			el("div", { class: "toolbar" }, [
				el("h2", {}, tcT("tc.platforms.title")),
				el("span", { class: "spacer" }),
				el("button", { type: "button", id: "tc-new", class: "primary small", onclick: () => tcEdit(null) }, tcT("tc.platforms.new")),
			]),
			el("div", { id: "tc-secret", class: "notice", role: "status", hidden: true }),
			el("div", { id: "tc-test", class: "notice", role: "status", hidden: true }),
			el("div", { class: "table-wrap" }, el("table", { class: "grid", id: "tc-platforms" }, [
				el("thead", {}, el("tr", {}, ["tc.col.id", "tc.col.name", "tc.col.url", "tc.col.enabled", "tc.col.notify",
					"tc.col.concurrency", "tc.col.timeouts", "tc.col.secret", "tc.col.actions"].map((k) => el("th", { scope: "col" }, tcT(k))))),
				el("tbody", { id: "tc-platforms-body" }),
			])),
			el("form", { id: "tc-form", class: "filters", novalidate: true, hidden: true, onsubmit: tcSave }, [
				el("h3", { id: "tc-form-title" }),
				el("div", { class: "filter-row" }, [
					tcField(tcT("tc.form.name"), el("input", { type: "text", id: "tc-f-name", maxlength: "200" })),
					tcField(tcT("tc.form.url"), el("input", { type: "url", id: "tc-f-url", maxlength: "2000", size: "40" })),
					tcField(tcT("tc.form.secret"), el("input", { type: "password", id: "tc-f-secret", maxlength: "200", autocomplete: "new-password" })),
					el("label", { id: "tc-f-rotate-wrap" }, el("input", { type: "checkbox", id: "tc-f-rotate" }), " ", tcT("tc.form.rotate")),
				]),
				el("div", { class: "filter-row" }, [
					el("label", {}, el("input", { type: "checkbox", id: "tc-f-enabled" }), " ", tcT("tc.form.enabled")),
					el("label", {}, el("input", { type: "checkbox", id: "tc-f-notify" }), " ", tcT("tc.form.notify")),
					tcField(tcT("tc.form.connect"), num("tc-f-connect", 100, 60000)),
					tcField(tcT("tc.form.timeout"), num("tc-f-timeout", 100, 120000)),
					tcField(tcT("tc.form.concurrency"), num("tc-f-concurrency", 1, 64)),
				]),
				el("div", { class: "btn-row" }, [
					el("button", { type: "submit", id: "tc-f-save", class: "primary" }, tcT("tc.form.save")),
					el("button", { type: "button", onclick: () => { $("tc-form").hidden = true; } }, tcT("tc.form.cancel")),
				]),
			]),
		]),
		el("form", { class: "card filters", id: "tc-config", novalidate: true, onsubmit: tcSaveConfig }, [
			el("h2", {}, tcT("tc.config.title")),
			el("div", { class: "filter-row" }, [
				tcField(tcT("tc.config.max_retries"), num("tc-c-max", 0, 100)),
				tcField(tcT("tc.config.interval"), num("tc-c-interval", 1, 10080)),
				el("button", { type: "submit", id: "tc-c-save", class: "primary" }, tcT("tc.config.save")),
			]),
		]),
		el("div", { class: "card" }, [
			el("form", { id: "tc-logs-filter", class: "filters", novalidate: true, onsubmit: (e) => { e.preventDefault(); TC.logPage = 1; tcLoadLogs(); } }, [
				el("h2", {}, tcT("tc.logs.title")),
				el("div", { class: "filter-row" }, [
					el("label", {}, tcT("tc.logs.task"), " ", el("input", { type: "number", id: "tc-l-task", min: "1", step: "1" })),
					el("label", {}, tcT("tc.logs.platform"), " ", el("select", { id: "tc-l-platform" })),
					el("label", {}, tcT("tc.logs.status"), " ", el("select", { id: "tc-l-status" },
						[el("option", { value: "" }, tcT("tc.logs.all"))].concat(["queued", "sending", "delivered", "rejected", "failed", "abandoned"]
							.map((s) => el("option", { value: s }, tcT("tc.st." + s)))))),
					el("label", {}, tcT("tc.logs.since"), " ", el("select", { id: "tc-l-since" }, [
						el("option", { value: "" }, tcT("tc.logs.all")),
						el("option", { value: "1h" }, tcT("tc.since.1h")),
						el("option", { value: "24h" }, tcT("tc.since.24h")),
						el("option", { value: "3d" }, tcT("tc.since.3d")),
					])),
					el("button", { type: "submit", class: "primary" }, tcT("tc.logs.search")),
					el("button", { type: "button", id: "tc-l-retry-all", onclick: tcRetryAll }, tcT("tc.logs.retry_all")),
				]),
			]),
			el("div", { class: "table-wrap" }, el("table", { class: "grid", id: "tc-logs" }, [
				el("thead", {}, el("tr", {}, ["tc.col.id", "tc.col.subject", "tc.col.platform", "tc.col.event", "tc.col.status",
					"tc.col.retries", "tc.col.http", "tc.col.result", "tc.col.created", "tc.col.actions"].map((k) => el("th", { scope: "col" }, tcT(k))))),
				el("tbody", { id: "tc-logs-body" }),
			])),
			el("div", { class: "pager", id: "tc-logs-pager" }),
		]),
	]);
}

async function tcRoute() {
	for (const id of ["view-login", "view-approve", "view-progress", "view-batches", "view-process"])
		if ($(id))
			$(id).hidden = true;
	$("view-taskcenter").hidden = false;
	$("nav-taskcenter").setAttribute("aria-current", "page");
	tcBuild();
	await Promise.all([tcLoadStatus(), tcLoadPlatforms(), tcLoadConfig()]);
	await tcLoadLogs();
}

async function tcLoadStatus() {
	const r = await api("GET", "/api/task-center/status");
	const body = clear($("tc-status-body"));
	if (r.status !== 200) {
		flash(tcT("tc.err.load", { err: errText(r) }), true);
		return;
	}
	for (const p of r.body.items)
		add(body, el("tr", { "data-platform-id": String(p.id) }, [
			el("td", {}, p.name), el("td", {}, tcT(p.enabled ? "tc.yes" : "tc.no")),
			el("td", { "data-k": "delivered" }, String(p.delivered)), el("td", { "data-k": "pending" }, String(p.pending)),
			el("td", { "data-k": "failing" }, String(p.failing)), el("td", { "data-k": "rejected" }, String(p.rejected)),
			el("td", { "data-k": "abandoned" }, String(p.abandoned)),
		]));
}

async function tcLoadPlatforms() {
	const r = await api("GET", "/api/task-center/platforms");
	const body = clear($("tc-platforms-body"));
	if (r.status !== 200) {
		flash(tcT("tc.err.load", { err: errText(r) }), true);
		return;
	}
	TC.platforms = r.body.items;
	if (TC.platforms.length === 0)
		add(body, el("tr", {}, el("td", { colspan: "9", class: "muted" }, tcT("tc.platforms.empty"))));
	for (const p of TC.platforms)
		add(body, el("tr", { "data-platform-id": String(p.id) }, [
			el("td", {}, String(p.id)), el("td", {}, p.name), el("td", { class: "wrap" }, p.url),
			el("td", {}, tcT(p.enabled ? "tc.yes" : "tc.no")), el("td", {}, tcT(p.notify_batch_finished ? "tc.yes" : "tc.no")),
			el("td", {}, String(p.max_concurrency)), el("td", {}, p.connect_timeout_ms + " / " + p.timeout_ms),
			el("td", {}, tcT(p.has_secret ? "tc.secret.set" : "tc.secret.none")),
			el("td", { class: "btn-row" }, [
				el("button", { type: "button", class: "small tc-edit", onclick: () => tcEdit(p) }, tcT("tc.platforms.edit")),
				el("button", { type: "button", class: "small tc-test", onclick: () => tcTest(p) }, tcT("tc.platforms.test")),
				el("button", { type: "button", class: "small danger tc-delete", onclick: () => tcDelete(p) }, tcT("tc.platforms.delete")),
			]),
		]));
	const sel = $("tc-l-platform");
	const cur = sel.value;
	clear(sel);
	add(sel, el("option", { value: "" }, tcT("tc.logs.all")));
	for (const p of TC.platforms)
		add(sel, el("option", { value: String(p.id) }, p.name));
	sel.value = cur;
}

function tcClearErrors(root) {
	for (const e of root.querySelectorAll(".field-error"))
		e.textContent = "";
	for (const e of root.querySelectorAll("[aria-invalid]"))
		e.removeAttribute("aria-invalid");
}

/* Put a 422's details at their fields (ids prefix + field name mapped by fields). */
function tcShowErrors(root, r, fields) {
	const details = (r.body && r.body.error && r.body.error.details) || [];
	let shown = 0;
	for (const d of details) {
		const input = $(fields[d.field] || "");
		if (!input)
			continue;
		input.setAttribute("aria-invalid", "true");
		const span = root.querySelector(".field-error[data-for='" + input.id + "']");
		if (span)
			span.textContent = d.message;
		shown++;
	}
	flash(shown ? tcT("tc.err.fix") : errText(r), true);
}

function tcEdit(p) {
	const f = $("tc-form");
	tcClearErrors(f);
	TC.editing = p ? p.id : 0;
	$("tc-form-title").textContent = p ? tcT("tc.form.edit", { id: p.id }) : tcT("tc.form.create");
	$("tc-f-name").value = p ? p.name : "";
	$("tc-f-url").value = p ? p.url : "";
	$("tc-f-secret").value = "";
	$("tc-f-rotate").checked = false;
	$("tc-f-rotate-wrap").hidden = !p;
	$("tc-f-enabled").checked = p ? p.enabled : true;
	$("tc-f-notify").checked = p ? p.notify_batch_finished : false;
	$("tc-f-connect").value = p ? p.connect_timeout_ms : 2000;
	$("tc-f-timeout").value = p ? p.timeout_ms : 5000;
	$("tc-f-concurrency").value = p ? p.max_concurrency : 4;
	f.hidden = false;
	$("tc-f-name").focus();
}

const TC_PLATFORM_FIELDS = { name: "tc-f-name", url: "tc-f-url", secret: "tc-f-secret",
	connect_timeout_ms: "tc-f-connect", timeout_ms: "tc-f-timeout", max_concurrency: "tc-f-concurrency" };

/* A number input's value: a number when it is one, else the text (the server says why). */
function tcNum(id) {
	const s = $(id).value.trim();
	return /^-?[0-9]+$/.test(s) ? Number(s) : s;
}

async function tcSave(ev) {
	ev.preventDefault();
	const f = $("tc-form");
	tcClearErrors(f);
	const body = {
		name: $("tc-f-name").value.trim(), url: $("tc-f-url").value.trim(),
		enabled: $("tc-f-enabled").checked, notify_batch_finished: $("tc-f-notify").checked,
		connect_timeout_ms: tcNum("tc-f-connect"), timeout_ms: tcNum("tc-f-timeout"),
		max_concurrency: tcNum("tc-f-concurrency"),
	};
	if ($("tc-f-secret").value !== "")
		body.secret = $("tc-f-secret").value;
	if (TC.editing && $("tc-f-rotate").checked)
		body.rotate_secret = true;
	const r = TC.editing ? await api("PUT", "/api/task-center/platforms/" + TC.editing, body)
		: await api("POST", "/api/task-center/platforms", body);
	if (r.status !== 200 && r.status !== 201) {
		tcShowErrors(f, r, TC_PLATFORM_FIELDS);
		return;
	}
	$("tc-f-secret").value = "";
	f.hidden = true;
	const box = $("tc-secret");
	clear(box);
	box.hidden = !r.body.secret;
	if (r.body.secret)
		add(box, [el("span", {}, tcT("tc.secret.once") + " "), el("code", { id: "tc-secret-value" }, r.body.secret)]);
	flash(tcT("tc.platforms.saved"));
	await Promise.all([tcLoadPlatforms(), tcLoadStatus()]);
}

async function tcTest(p) {
	const box = clear($("tc-test"));
	box.hidden = false;
	box.dataset.outcome = "";
	add(box, el("span", {}, tcT("tc.test.running", { id: p.id })));
	const r = await api("POST", "/api/task-center/platforms/" + p.id + "/test");
	clear(box);
	if (r.status !== 200) {
		add(box, el("span", { class: "bad" }, errText(r)));
		return;
	}
	const b = r.body;
	box.dataset.outcome = b.outcome;
	add(box, [
		el("p", { id: "tc-test-line" }, tcT("tc.test.result", { id: p.id, outcome: tcT("tc.outcome." + b.outcome),
			status: b.status === null ? "—" : b.status, seconds: b.seconds.toFixed(3) })),
		b.answer ? el("p", {}, tcT("tc.test.answer", { answer: b.answer })) : null,
		b.reason ? el("p", {}, tcT("tc.test.reason", { reason: b.reason })) : null,
	].filter((x) => x));
}

async function tcDelete(p) {
	if (!confirm(tcT("tc.platforms.confirm_delete", { name: p.name })))
		return;
	const r = await api("DELETE", "/api/task-center/platforms/" + p.id);
	if (r.status !== 200) {
		flash(errText(r), true);
		return;
	}
	flash(tcT("tc.platforms.deleted"));
	await Promise.all([tcLoadPlatforms(), tcLoadStatus(), tcLoadLogs()]);
}

async function tcLoadConfig() {
	const r = await api("GET", "/api/task-center/config");
	if (r.status !== 200) {
		flash(tcT("tc.err.load", { err: errText(r) }), true);
		return;
	}
	$("tc-c-max").value = r.body.max_retries;
	$("tc-c-interval").value = r.body.retry_interval_minutes;
}

async function tcSaveConfig(ev) {
	ev.preventDefault();
	const f = $("tc-config");
	tcClearErrors(f);
	const r = await api("PUT", "/api/task-center/config",
		{ max_retries: tcNum("tc-c-max"), retry_interval_minutes: tcNum("tc-c-interval") });
	if (r.status !== 200) {
		tcShowErrors(f, r, { max_retries: "tc-c-max", retry_interval_minutes: "tc-c-interval" });
		return;
	}
	$("tc-c-max").value = r.body.max_retries;
	$("tc-c-interval").value = r.body.retry_interval_minutes;
	flash(tcT("tc.config.saved"));
}

function tcReadLogFilter() {
	const f = {};
	if ($("tc-l-task").value.trim()) f.task_id = $("tc-l-task").value.trim();
	if ($("tc-l-platform").value) f.platform = $("tc-l-platform").value;
	if ($("tc-l-status").value) f.status = $("tc-l-status").value;
	if ($("tc-l-since").value) f.since = $("tc-l-since").value;
	return f;
}

function tcSubject(x) {
	if (x.batch_id)
		return tcT("tc.logs.batch", { id: x.batch_id });
	if (x.op_id)
		return tcT("tc.logs.op", { id: x.op_id });
	return tcT("tc.logs.taskn", { id: x.task_id });
}

async function tcLoadLogs() {
	TC.logFilter = tcReadLogFilter();
	const st = TC.logFilter.status;
	$("tc-l-retry-all").disabled = !!st && !TC_RETRYABLE[st];
	const r = await api("GET", "/api/task-center/logs?" + query(Object.assign({ page: TC.logPage, page_size: PAGE_SIZE }, TC.logFilter)));
	const body = clear($("tc-logs-body"));
	if (r.status !== 200) {
		flash(tcT("tc.err.load", { err: errText(r) }), true);
		return;
	}
	const names = {};
	for (const p of TC.platforms)
		names[p.id] = p.name;
	if (r.body.items.length === 0)
		add(body, el("tr", {}, el("td", { colspan: "10", class: "muted" }, tcT("tc.logs.empty"))));
	for (const x of r.body.items)
		add(body, el("tr", { "data-log-id": String(x.id), "data-status": x.status }, [
			el("td", {}, String(x.id)), el("td", {}, tcSubject(x)), el("td", {}, names[x.platform_id] || String(x.platform_id)),
			el("td", {}, x.event), el("td", {}, tcStatusTag(x.status)), el("td", {}, String(x.retry_count)),
			el("td", {}, x.http_status === null ? "—" : String(x.http_status)),
			el("td", { class: "wrap" }, x.result || "—"), el("td", {}, fmtTime(x.created)),
			el("td", {}, TC_RETRYABLE[x.status]
				? el("button", { type: "button", class: "small tc-retry", onclick: () => tcRetryOne(x.id) }, tcT("tc.logs.retry")) : ""),
		]));
	renderPager($("tc-logs-pager"), r.body.page, r.body.page_size, r.body.total, (p) => { TC.logPage = p; tcLoadLogs(); });
}

async function tcRetryOne(id) {
	const r = await api("POST", "/api/task-center/logs/" + id + "/retry");
	if (r.status !== 202) {
		flash(errText(r), true);
		return;
	}
	flash(tcT("tc.logs.queued", { n: 1 }));
	await Promise.all([tcLoadLogs(), tcLoadStatus()]);
}

async function tcRetryAll() {
	const f = tcReadLogFilter();
	if (f.status && !TC_RETRYABLE[f.status])
		return;
	if (!confirm(tcT("tc.logs.confirm_all")))
		return;
	const r = await api("POST", "/api/task-center/logs/retry?" + query(f));
	if (r.status !== 202) {
		flash(errText(r), true);
		return;
	}
	flash(tcT("tc.logs.queued", { n: r.body.queued }));
	await Promise.all([tcLoadLogs(), tcLoadStatus()]);
}

window.addEventListener("hashchange", () => {
	if (!location.hash.startsWith("#/taskcenter") && $("view-taskcenter")) {
		$("view-taskcenter").hidden = true;
		$("nav-taskcenter").removeAttribute("aria-current");
	}
});
