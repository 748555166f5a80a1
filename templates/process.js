/* SPDX-License-Identifier: MIT */
/*
 * process.js: the console page for bulk process operations (#/process), for monitors and
 * admins: filter sessions, select some or all matching, pick an operation, confirm it
 * (naming the count and the operation; delete and archive-delete need the operation's
 * name typed), follow the progress, see the per-session results, retry and cancel, and
 * list and restore backups.  Uses the helpers of app.js ($, el, add, clear, api,
 * apiCreate, errText, query, flash, renderPager, fmtTime, tag).  Hidden from users who
 * monitor nothing.
 */
"use strict";

const PROC_OPS = {
	suspend: "挂起", resume: "恢复", stop: "终止", finish: "结束",
	delete: "删除", archive_delete: "归档删除",
};
const PROC_TYPED = { delete: true, archive_delete: true };
const PROC_STATE = {
	running: ["运行中", "run"], suspended: ["已挂起", "warn"], stopped: ["已终止", "bad"],
	finished: ["已结束", "ok"], deleted: ["已删除", "bad"], removed: ["已移除", "bad"],
};
const PROC_ITEM = {
	pending: ["待处理", "run"], success: ["成功", "ok"], failed: ["失败", "bad"],
	ignored: ["已忽略", "warn"], cancelled: ["已取消", "warn"],
};

const P = {
	filter: {}, page: 1, total: 0, items: [],
	selected: new Set(), allMatching: false,
	op: null, timer: 0, itemsPage: 1,
};

/* Show the menu entry to admins and to monitors of at least one app. */
async function processNav() {
	let show = S.me && S.me.is_admin;
	if (!show) {
		const r = await api("GET", "/api/process/sessions?page_size=1");
		show = r.status === 200 && r.body && r.body.total > 0;
	}
	$("nav-process").hidden = !show;
	$("nav-process").dataset.checked = "1";
	return show;
}

function processStop() {
	if (P.timer)
		clearTimeout(P.timer);
	P.timer = 0;
}

async function processRoute(parts) {
	for (const v of ["login", "approve", "progress", "batches"])
		$("view-" + v).hidden = true;
	$("view-process").hidden = false;
	$("nav-process").setAttribute("aria-current", "page");
	if (parts[1] === "op" && /^[1-9][0-9]{0,17}$/.test(parts[2] || ""))
		return processOpen(parts[2]);
	$("proc-op").hidden = true;
	await processLoad();
}

function processReadFilter() {
	const f = {};
	const v = (id) => $(id).value.trim();
	if (v("pf-app")) f.app_id = Number(v("pf-app"));
	if (v("pf-state")) f.state = v("pf-state");
	if (v("pf-keyword")) f.keyword = v("pf-keyword");
	if (v("pf-creator")) f.creator = v("pf-creator");
	if (v("pf-from")) f.created_from = v("pf-from");
	if (v("pf-to")) f.created_to = v("pf-to");
	return f;
}

async function processLoad() {
	const r = await api("GET", "/api/process/sessions?" +
		query(Object.assign({ page: P.page, page_size: PAGE_SIZE }, P.filter)));
	if (r.status !== 200) {
		flash("无法加载流程实例：" + errText(r), true);
		return;
	}
	P.items = r.body.items;
	P.total = r.body.total;
	const body = $("proc-body");
	clear(body);
	for (const s of P.items) {
		const box = el("input", { type: "checkbox", class: "row-check", checked: P.allMatching || P.selected.has(s.session_id),
			disabled: P.allMatching, "aria-label": "选择 " + s.title,
			onchange: (e) => { if (e.target.checked) P.selected.add(s.session_id); else P.selected.delete(s.session_id); processSel(); } });
		add(body, el("tr", { "data-session-id": s.session_id },
			el("td", {}, box), el("td", {}, String(s.session_id)), el("td", {}, s.title),
			el("td", {}, s.app_name + " v" + s.app_version), el("td", {}, s.current_node || "—"),
			el("td", {}, tag(PROC_STATE, s.state)), el("td", {}, s.creator_name + "（" + s.creator + "）"),
			el("td", {}, fmtTime(s.created)),
			el("td", {}, el("button", { type: "button", class: "small", onclick: () => processBackups(s.session_id) }, "备份"))));
	}
	$("proc-total").textContent = "共 " + P.total + " 个流程实例";
	renderPager($("proc-pager"), P.page, PAGE_SIZE, P.total, (p) => { P.page = p; processLoad(); });
	processSel();
}

function processCount() {
	return P.allMatching ? P.total : P.selected.size;
}

function processSel() {
	const n = processCount();
	$("proc-sel-info").textContent = n ? (P.allMatching ? "已选择全部符合条件的 " : "已选择 ") + n + " 个流程实例" : "未选择流程实例";
	$("proc-go").disabled = n === 0;
	$("proc-confirm").hidden = true;
}

/* The confirmation: names the count and the operation; delete and archive-delete are typed. */
function processAsk() {
	const op = $("proc-operation").value;
	const n = processCount();
	$("proc-confirm-text").textContent = "将对 " + n + " 个流程实例执行「" + PROC_OPS[op] + "」。" +
		(PROC_TYPED[op] ? "此操作会先备份再删除，请输入「" + PROC_OPS[op] + "」确认：" : "确认执行吗？");
	$("proc-typed").hidden = !PROC_TYPED[op];
	$("proc-typed").value = "";
	$("proc-confirm").hidden = false;
}

async function processSubmit() {
	const op = $("proc-operation").value;
	if (PROC_TYPED[op] && $("proc-typed").value.trim() !== PROC_OPS[op]) {
		flash("请输入「" + PROC_OPS[op] + "」以确认", true);
		return;
	}
	const body = { operation: op };
	if ($("proc-comment").value.trim())
		body.comment = $("proc-comment").value.trim();
	if (P.allMatching)
		body.filter = P.filter;
	else
		body.session_ids = Array.from(P.selected);
	$("proc-submit").disabled = true;
	const r = await apiCreate("/api/process/bulk", body);
	$("proc-submit").disabled = false;
	if (r.status !== 201) {
		const d = r.body && r.body.error && r.body.error.details;
		flash("提交失败：" + errText(r) + (d ? "（" + d.map((x) => x.message).join("；") + "）" : ""), true);
		return;
	}
	P.selected.clear();
	P.allMatching = false;
	location.hash = "#/process/op/" + r.body.op_id;
}

async function processOpen(id) {
	processStop();
	$("proc-op").hidden = false;
	P.op = id;
	P.itemsPage = 1;
	await processPoll();
}

async function processPoll() {
	const id = P.op;
	const r = await api("GET", "/api/process/bulk/" + id);
	if (P.op !== id)
		return;
	if (r.status !== 200) {
		flash("无法加载操作：" + errText(r), true);
		return;
	}
	const d = r.body;
	$("proc-op-title").textContent = "操作 #" + d.op_id + "：" + PROC_OPS[d.operation];
	clear($("proc-op-status"));
	add($("proc-op-status"), tag(BATCH_STATUS, d.status));
	const pct = Math.round(d.progress * 100);
	$("proc-pct").textContent = pct + "%";
	$("proc-bar-fill").style.width = pct + "%";
	$("proc-eta").textContent = d.pending > 0 && d.eta_seconds !== null ? "预计还需 " + fmtDuration(d.eta_seconds) : "";
	$("proc-counts").textContent = "共 " + d.total + "，成功 " + d.success + "，失败 " + d.failed +
		"，忽略 " + d.ignored + "，取消 " + d.cancelled + "，待处理 " + d.pending;
	$("proc-retry").disabled = d.failed === 0 || d.status === "cancelled";
	$("proc-cancel").disabled = d.pending === 0;
	await processItems();
	if (d.pending > 0 || d.status === "init" || d.status === "running")
		P.timer = setTimeout(processPoll, POLL_MS);
}

async function processItems() {
	const st = $("proc-items-status").value;
	const r = await api("GET", "/api/process/bulk/" + P.op + "/items?" +
		query({ status: st, page: P.itemsPage, page_size: PAGE_SIZE }));
	if (r.status !== 200)
		return;
	const body = $("proc-items-body");
	clear(body);
	for (const it of r.body.items)
		add(body, el("tr", { "data-session-id": it.session_id, "data-status": it.status },
			el("td", {}, String(it.session_id)), el("td", {}, it.title || "—"),
			el("td", {}, tag(PROC_ITEM, it.status)),
			el("td", {}, (it.old_state ? (PROC_STATE[it.old_state] || [it.old_state])[0] : "—") + " → " +
				(it.new_state ? (PROC_STATE[it.new_state] || [it.new_state])[0] : "—")),
			el("td", {}, it.reason || ""), el("td", {}, fmtTime(it.finished))));
	renderPager($("proc-items-pager"), P.itemsPage, PAGE_SIZE, r.body.total, (p) => { P.itemsPage = p; processItems(); });
}

async function processAct(what) {
	const r = await api("POST", "/api/process/bulk/" + P.op + "/" + what);
	if (r.status !== 202) {
		flash((what === "retry" ? "重试" : "取消") + "失败：" + errText(r), true);
		return;
	}
	flash(what === "retry" ? "已重新执行 " + r.body.retrying + " 个失败的流程实例" : "已取消 " + r.body.cancelled + " 个待处理的流程实例");
	processStop();
	await processPoll();
}

async function processBackups(sid) {
	const r = await api("GET", "/api/process/sessions/" + sid + "/backups");
	const box = $("proc-backups");
	clear(box);
	box.hidden = false;
	if (r.status !== 200) {
		add(box, el("p", { class: "muted" }, "无法加载备份：" + errText(r)));
		return;
	}
	add(box, el("h3", {}, "流程实例 " + sid + " 的备份"));
	if (!r.body.items.length)
		add(box, el("p", { class: "muted" }, "没有备份"));
	for (const b of r.body.items)
		add(box, el("p", { "data-backup-id": b.backup_id },
			"#" + b.backup_id + " " + (PROC_OPS[b.operation] || b.operation) + " · " + fmtTime(b.created) +
			" · 任务 " + b.tasks + " · 记录 " + b.history + (b.restored ? " · 已于 " + fmtTime(b.restored) + " 恢复" : " "),
			S.me && S.me.is_admin ? el("button", { type: "button", class: "small", onclick: () => processRestore(b.backup_id, sid) }, "恢复") : null));
}

async function processRestore(bid, sid) {
	const r = await api("POST", "/api/process/backups/" + bid + "/restore");
	if (r.status !== 200) {
		flash("恢复失败：" + errText(r), true);
		return;
	}
	flash("已恢复流程实例 " + r.body.session_id);
	await processBackups(sid);
	await processLoad();
}

function processWire() {
	$("proc-filter").addEventListener("submit", (e) => {
		e.preventDefault();
		P.filter = processReadFilter();
		P.page = 1;
		P.selected.clear();
		P.allMatching = false;
		processLoad();
	});
	$("proc-all").addEventListener("click", () => { P.allMatching = true; P.selected.clear(); processLoad(); });
	$("proc-none").addEventListener("click", () => { P.allMatching = false; P.selected.clear(); processLoad(); });
	$("proc-go").addEventListener("click", processAsk);
	$("proc-operation").addEventListener("change", () => { $("proc-confirm").hidden = true; });
	$("proc-submit").addEventListener("click", processSubmit);
	$("proc-abort").addEventListener("click", () => { $("proc-confirm").hidden = true; });
	$("proc-retry").addEventListener("click", () => processAct("retry"));
	$("proc-cancel").addEventListener("click", () => processAct("cancel"));
	$("proc-items-status").addEventListener("change", () => { P.itemsPage = 1; processItems(); });
	window.addEventListener("hashchange", () => { if (!location.hash.startsWith("#/process")) { processStop(); $("view-process").hidden = true; $("nav-process").removeAttribute("aria-current"); } });
}

processWire();
