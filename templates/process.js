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

fbI18n.add("zh-CN", {
	"proc.op.suspend": "挂起",
	"proc.op.resume": "恢复",
	"proc.op.stop": "终止",
	"proc.op.finish": "结束",
	"proc.op.delete": "删除",
	"proc.op.archive_delete": "归档删除",
	"proc.state.running": "运行中",
	"proc.state.suspended": "已挂起",
	"proc.state.stopped": "已终止",
	"proc.state.finished": "已结束",
	"proc.state.deleted": "已删除",
	"proc.state.removed": "已移除",
	"proc.item.pending": "待处理",
	"proc.item.success": "成功",
	"proc.item.failed": "失败",
	"proc.item.ignored": "已忽略",
	"proc.item.cancelled": "已取消",
	"proc.load_failed": "无法加载流程实例：{msg}",
	"proc.select": "选择 {title}",
	"proc.backup": "备份",
	"proc.total": "共 {n} 个流程实例",
	"proc.sel.all": "已选择全部符合条件的 {n} 个流程实例",
	"proc.sel.n": "已选择 {n} 个流程实例",
	"proc.sel.none": "未选择流程实例",
	"proc.confirm": "将对 {n} 个流程实例执行「{op}」。",
	"proc.confirm.typed": "此操作会先备份再删除，请输入「{op}」确认：",
	"proc.confirm.ask": "确认执行吗？",
	"proc.type_it": "请输入「{op}」以确认",
	"proc.submit_failed": "提交失败：{msg}",
	"proc.details": "（{list}）",
	"proc.details.sep": "；",
	"proc.op.load_failed": "无法加载操作：{msg}",
	"proc.op.title": "操作 #{id}：{op}",
	"proc.eta": "预计还需 {d}",
	"proc.counts": "共 {total}，成功 {success}，失败 {failed}，忽略 {ignored}，取消 {cancelled}，待处理 {pending}",
	"proc.retry_failed": "重试失败：{msg}",
	"proc.cancel_failed": "取消失败：{msg}",
	"proc.retried": "已重新执行 {n} 个失败的流程实例",
	"proc.cancelled": "已取消 {n} 个待处理的流程实例",
	"proc.backups.failed": "无法加载备份：{msg}",
	"proc.backups.title": "流程实例 {id} 的备份",
	"proc.backups.none": "没有备份",
	"proc.backup.line": " · 任务 {tasks} · 记录 {history}",
	"proc.backup.restored": " · 已于 {t} 恢复",
	"proc.restore": "恢复",
	"proc.restore_failed": "恢复失败：{msg}",
	"proc.restored": "已恢复流程实例 {id}",
});
fbI18n.add("en", {
	"proc.op.suspend": "Suspend",
	"proc.op.resume": "Resume",
	"proc.op.stop": "Stop",
	"proc.op.finish": "Finish",
	"proc.op.delete": "Delete",
	"proc.op.archive_delete": "Archive and delete",
	"proc.state.running": "Running",
	"proc.state.suspended": "Suspended",
	"proc.state.stopped": "Stopped",
	"proc.state.finished": "Finished",
	"proc.state.deleted": "Deleted",
	"proc.state.removed": "Removed",
	"proc.item.pending": "Pending",
	"proc.item.success": "Succeeded",
	"proc.item.failed": "Failed",
	"proc.item.ignored": "Ignored",
	"proc.item.cancelled": "Cancelled",
	"proc.load_failed": "Cannot load the process instances: {msg}",
	"proc.select": "Select {title}",
	"proc.backup": "Backups",
	"proc.total": "{n} process instances",
	"proc.sel.all": "All {n} matching process instances selected",
	"proc.sel.n": "{n} process instances selected",
	"proc.sel.none": "No process instance selected",
	"proc.confirm": "{op} will run on {n} process instances.",
	"proc.confirm.typed": "This backs them up, then deletes them: type “{op}” to confirm:",
	"proc.confirm.ask": "Run it?",
	"proc.type_it": "Type “{op}” to confirm",
	"proc.submit_failed": "Submission failed: {msg}",
	"proc.details": " ({list})",
	"proc.details.sep": "; ",
	"proc.op.load_failed": "Cannot load the operation: {msg}",
	"proc.op.title": "Operation #{id}: {op}",
	"proc.eta": "About {d} left",
	"proc.counts": "{total} in all: {success} succeeded, {failed} failed, {ignored} ignored, {cancelled} cancelled, {pending} pending",
	"proc.retry_failed": "Retry failed: {msg}",
	"proc.cancel_failed": "Cancelling failed: {msg}",
	"proc.retried": "Running {n} failed process instances again",
	"proc.cancelled": "Cancelled {n} pending process instances",
	"proc.backups.failed": "Cannot load the backups: {msg}",
	"proc.backups.title": "Backups of process instance {id}",
	"proc.backups.none": "No backups",
	"proc.backup.line": " · {tasks} tasks · {history} history entries",
	"proc.backup.restored": " · restored {t}",
	"proc.restore": "Restore",
	"proc.restore_failed": "Restore failed: {msg}",
	"proc.restored": "Process instance {id} restored",
});

const PROC_OPS = {
	suspend: t("proc.op.suspend"), resume: t("proc.op.resume"), stop: t("proc.op.stop"),
	finish: t("proc.op.finish"), delete: t("proc.op.delete"), archive_delete: t("proc.op.archive_delete"),
};
const PROC_TYPED = { delete: true, archive_delete: true };
const PROC_STATE = {
	running: [t("proc.state.running"), "run"], suspended: [t("proc.state.suspended"), "warn"],
	stopped: [t("proc.state.stopped"), "bad"], finished: [t("proc.state.finished"), "ok"],
	deleted: [t("proc.state.deleted"), "bad"], removed: [t("proc.state.removed"), "bad"],
};
const PROC_ITEM = {
	pending: [t("proc.item.pending"), "run"], success: [t("proc.item.success"), "ok"],
	failed: [t("proc.item.failed"), "bad"], ignored: [t("proc.item.ignored"), "warn"],
	cancelled: [t("proc.item.cancelled"), "warn"],
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
		flash(t("proc.load_failed", { msg: errText(r) }), true);
		return;
	}
	P.items = r.body.items;
	P.total = r.body.total;
	const body = $("proc-body");
	clear(body);
	for (const s of P.items) {
		const box = el("input", { type: "checkbox", class: "row-check", checked: P.allMatching || P.selected.has(s.session_id),
			disabled: P.allMatching, "aria-label": t("proc.select", { title: s.title }),
			onchange: (e) => { if (e.target.checked) P.selected.add(s.session_id); else P.selected.delete(s.session_id); processSel(); } });
		add(body, el("tr", { "data-session-id": s.session_id },
			el("td", {}, box), el("td", {}, String(s.session_id)), el("td", {}, s.title),
			el("td", {}, s.app_name + " v" + s.app_version), el("td", {}, s.current_node || "—"),
			el("td", {}, tag(PROC_STATE, s.state)), el("td", {}, s.creator_name + "（" + s.creator + "）"),
			el("td", {}, fmtTime(s.created)),
			el("td", {}, el("button", { type: "button", class: "small", onclick: () => processBackups(s.session_id) }, t("proc.backup")))));
	}
	$("proc-total").textContent = t("proc.total", { n: P.total });
	renderPager($("proc-pager"), P.page, PAGE_SIZE, P.total, (p) => { P.page = p; processLoad(); });
	processSel();
}

function processCount() {
	return P.allMatching ? P.total : P.selected.size;
}

function processSel() {
	const n = processCount();
	$("proc-sel-info").textContent = n ? t(P.allMatching ? "proc.sel.all" : "proc.sel.n", { n: n })
		: t("proc.sel.none");
	$("proc-go").disabled = n === 0;
	$("proc-confirm").hidden = true;
}

/* The confirmation: names the count and the operation; delete and archive-delete are typed. */
function processAsk() {
	const op = $("proc-operation").value;
	const n = processCount();
	$("proc-confirm-text").textContent = t("proc.confirm", { n: n, op: PROC_OPS[op] }) +
		(PROC_TYPED[op] ? t("proc.confirm.typed", { op: PROC_OPS[op] }) : t("proc.confirm.ask"));
	$("proc-typed").hidden = !PROC_TYPED[op];
	$("proc-typed").value = "";
	$("proc-confirm").hidden = false;
}

async function processSubmit() {
	const op = $("proc-operation").value;
	if (PROC_TYPED[op] && $("proc-typed").value.trim() !== PROC_OPS[op]) {
		flash(t("proc.type_it", { op: PROC_OPS[op] }), true);
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
		flash(t("proc.submit_failed", { msg: errText(r) }) +
			(d ? t("proc.details", { list: d.map((x) => x.message).join(t("proc.details.sep")) }) : ""), true);
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
		flash(t("proc.op.load_failed", { msg: errText(r) }), true);
		return;
	}
	const d = r.body;
	$("proc-op-title").textContent = t("proc.op.title", { id: d.op_id, op: PROC_OPS[d.operation] });
	clear($("proc-op-status"));
	add($("proc-op-status"), tag(BATCH_STATUS, d.status));
	const pct = Math.round(d.progress * 100);
	$("proc-pct").textContent = pct + "%";
	$("proc-bar-fill").style.width = pct + "%";
	$("proc-eta").textContent = d.pending > 0 && d.eta_seconds !== null ? t("proc.eta", { d: fmtDuration(d.eta_seconds) }) : "";
	$("proc-counts").textContent = t("proc.counts", { total: d.total, success: d.success,
		failed: d.failed, ignored: d.ignored, cancelled: d.cancelled, pending: d.pending });
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
		flash(t(what === "retry" ? "proc.retry_failed" : "proc.cancel_failed", { msg: errText(r) }), true);
		return;
	}
	flash(what === "retry" ? t("proc.retried", { n: r.body.retrying }) : t("proc.cancelled", { n: r.body.cancelled }));
	processStop();
	await processPoll();
}

async function processBackups(sid) {
	const r = await api("GET", "/api/process/sessions/" + sid + "/backups");
	const box = $("proc-backups");
	clear(box);
	box.hidden = false;
	if (r.status !== 200) {
		add(box, el("p", { class: "muted" }, t("proc.backups.failed", { msg: errText(r) })));
		return;
	}
	add(box, el("h3", {}, t("proc.backups.title", { id: sid })));
	if (!r.body.items.length)
		add(box, el("p", { class: "muted" }, t("proc.backups.none")));
	for (const b of r.body.items)
		add(box, el("p", { "data-backup-id": b.backup_id },
			"#" + b.backup_id + " " + (PROC_OPS[b.operation] || b.operation) + " · " + fmtTime(b.created) +
			t("proc.backup.line", { tasks: b.tasks, history: b.history }) +
			(b.restored ? t("proc.backup.restored", { t: fmtTime(b.restored) }) : " "),
			S.me && S.me.is_admin ? el("button", { type: "button", class: "small", onclick: () => processRestore(b.backup_id, sid) }, t("proc.restore")) : null));
}

async function processRestore(bid, sid) {
	const r = await api("POST", "/api/process/backups/" + bid + "/restore");
	if (r.status !== 200) {
		flash(t("proc.restore_failed", { msg: errText(r) }), true);
		return;
	}
	flash(t("proc.restored", { id: r.body.session_id }));
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
