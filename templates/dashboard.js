/* SPDX-License-Identifier: MIT */
/*
 * dashboard.js: the console's overview page (#/dashboard), from GET /api/dashboard.
 * Everyone sees their own work (cards of today's numbers, the running batches and bulk
 * operations with progress and ETA, items settled per minute over the last hour); an
 * administrator sees everyone's plus the service: the runners working on each piece of
 * work, queues and their recent backlog, runners live or stale, push delivery per
 * platform, crontab failures and alerts (when the answer carries "alerts").
 *
 * Charts are plain SVG drawn here (dashChart): axes, labels, a <title> per point for
 * tooltips, and a text alternative (role="img" with a summary, plus the data as a table).
 * The page refreshes every DASH_EVERY_MS while it is shown and the tab is visible; each
 * part is rebuilt off-screen and swapped in at once (replaceChildren), so nothing
 * flickers.  Every string goes through t() (keys "dash.*", zh-CN and en below).  Uses the
 * helpers of app.js ($, el, api, errText, fmtTime).
 */
"use strict";

fbI18n.add("zh-CN", {
	"dash.nav": "运行概览",
	"dash.title": "运行概览",
	"dash.scope.all": "全部用户",
	"dash.scope.mine": "仅我的",
	"dash.updated": "更新于 {time}",
	"dash.load_failed": "运行概览加载失败：{error}",
	"dash.card.active_batches": "进行中的批次",
	"dash.card.active_ops": "进行中的流程操作",
	"dash.card.finished": "今日完成",
	"dash.card.with_failures": "今日有失败的批次",
	"dash.card.cancelled": "今日取消",
	"dash.card.success_rate": "成功率",
	"dash.card.avg_item": "平均每项耗时",
	"dash.card.items": "今日处理项",
	"dash.card.items_detail": "成功 {s} · 失败 {f} · 忽略 {i}",
	"dash.card.ops_today": "今日完成的流程操作",
	"dash.card.ops_detail": "有失败 {f} · 取消 {c}",
	"dash.card.runners": "执行节点",
	"dash.card.runners_detail": "在线 {live} · 失联 {stale}",
	"dash.card.dead": "死信",
	"dash.card.queued": "排队作业",
	"dash.active.title": "进行中的工作",
	"dash.active.empty": "没有进行中的批次或流程操作。",
	"dash.col.kind": "类型",
	"dash.col.work": "内容",
	"dash.col.status": "状态",
	"dash.col.progress": "进度",
	"dash.col.eta": "预计剩余",
	"dash.col.runners": "执行节点",
	"dash.kind.batch": "批次",
	"dash.kind.op": "流程操作",
	"dash.status.init": "等待执行",
	"dash.status.running": "执行中",
	"dash.progress.text": "{done} / {total}",
	"dash.progress.label": "{name}：已完成 {pct}",
	"dash.eta.none": "—",
	"dash.eta.s": "{n} 秒",
	"dash.eta.m": "{m} 分 {s} 秒",
	"dash.eta.h": "{h} 小时 {m} 分",
	"dash.runners.none": "—",
	"dash.runners.jobs": "{runner}（{n} 个作业）",
	"dash.op.suspend": "挂起", "dash.op.resume": "恢复", "dash.op.stop": "终止",
	"dash.op.finish": "结束", "dash.op.delete": "删除", "dash.op.archive_delete": "归档删除",
	"dash.op.name": "{op} #{id}",
	"dash.batch.name": "{app} · {node} #{id}",
	"dash.tput.title": "最近一小时每分钟处理项数",
	"dash.tput.summary": "最近 {n} 分钟共处理 {total} 项，峰值每分钟 {peak} 项（{at}）。",
	"dash.tput.summary_none": "最近 {n} 分钟没有处理任何项。",
	"dash.tput.point": "{time}：{v} 项",
	"dash.tput.y": "项/分钟",
	"dash.backlog.title": "各队列积压（最近采样）",
	"dash.backlog.summary": "{n} 个采样，{from} 至 {to}；当前积压：{now}。",
	"dash.backlog.summary_none": "还没有积压采样（调度主节点每 5 秒采样一次）。",
	"dash.backlog.point": "{time} {stream}：{v} 个作业",
	"dash.backlog.y": "作业数",
	"dash.chart.data": "查看数据",
	"dash.chart.time": "时间",
	"dash.stream.high": "高优先级",
	"dash.stream.common": "普通",
	"dash.stream.low": "低优先级",
	"dash.queues.title": "队列",
	"dash.queues.stream": "队列",
	"dash.queues.length": "长度",
	"dash.queues.pending": "处理中",
	"dash.queues.oldest": "最早条目",
	"dash.queues.consumers": "消费者",
	"dash.queues.paused": "已暂停",
	"dash.queues.age": "{n} 秒前",
	"dash.runners.title": "执行节点",
	"dash.runners.empty": "没有执行节点报告。",
	"dash.runners.name": "节点",
	"dash.runners.state": "状态",
	"dash.runners.workers": "工作线程（高/普通/低）",
	"dash.runners.busy": "忙碌",
	"dash.runners.rss": "内存",
	"dash.runners.seen": "最近报告",
	"dash.runners.live": "在线",
	"dash.runners.stale": "失联",
	"dash.push.title": "待办推送（最近 24 小时）",
	"dash.push.empty": "没有配置推送平台。",
	"dash.push.platform": "平台",
	"dash.push.delivered": "已送达",
	"dash.push.pending": "待发送",
	"dash.push.failing": "重试中",
	"dash.push.abandoned": "已放弃",
	"dash.push.rejected": "被拒绝",
	"dash.push.last": "最近送达",
	"dash.push.disabled": "（已停用）",
	"dash.cron.title": "定时任务失败（最近 24 小时）：{n}",
	"dash.cron.empty": "最近 24 小时没有失败的定时任务。",
	"dash.cron.name": "定时任务",
	"dash.cron.status": "结果",
	"dash.cron.finished": "时间",
	"dash.cron.error": "原因",
	"dash.cron.failed": "失败",
	"dash.cron.timed_out": "超时",
	"dash.alerts.title": "告警",
	"dash.alerts.empty": "没有告警。",
	"dash.alerts.rule": "规则",
	"dash.alerts.subject": "对象",
	"dash.alerts.severity": "级别",
	"dash.alerts.message": "说明",
	"dash.alerts.first": "首次",
	"dash.alerts.last": "最近",
	"dash.alerts.state": "状态",
	"dash.alerts.open": "未解除",
	"dash.alerts.resolved": "已解除 {time}",
	"dash.alerts.critical": "严重",
	"dash.alerts.warning": "警告",
	"dash.alerts.info": "提示",
	"dash.mb": "{n} MB",
});
fbI18n.add("en", {
	"dash.nav": "Overview",
	"dash.title": "Overview",
	"dash.scope.all": "All users",
	"dash.scope.mine": "Mine only",
	"dash.updated": "Updated {time}",
	"dash.load_failed": "Could not load the overview: {error}",
	"dash.card.active_batches": "Batches in progress",
	"dash.card.active_ops": "Process operations in progress",
	"dash.card.finished": "Finished today",
	"dash.card.with_failures": "Finished with failures today",
	"dash.card.cancelled": "Cancelled today",
	"dash.card.success_rate": "Success rate",
	"dash.card.avg_item": "Average time per item",
	"dash.card.items": "Items today",
	"dash.card.items_detail": "{s} succeeded · {f} failed · {i} ignored",
	"dash.card.ops_today": "Process operations finished today",
	"dash.card.ops_detail": "{f} with failures · {c} cancelled",
	"dash.card.runners": "Runners",
	"dash.card.runners_detail": "{live} live · {stale} stale",
	"dash.card.dead": "Dead letters",
	"dash.card.queued": "Jobs queued",
	"dash.active.title": "Work in progress",
	"dash.active.empty": "No batch or process operation in progress.",
	"dash.col.kind": "Kind",
	"dash.col.work": "Work",
	"dash.col.status": "Status",
	"dash.col.progress": "Progress",
	"dash.col.eta": "Time left",
	"dash.col.runners": "Runners",
	"dash.kind.batch": "Batch",
	"dash.kind.op": "Process operation",
	"dash.status.init": "Waiting",
	"dash.status.running": "Running",
	"dash.progress.text": "{done} / {total}",
	"dash.progress.label": "{name}: {pct} done",
	"dash.eta.none": "—",
	"dash.eta.s": "{n} s",
	"dash.eta.m": "{m} min {s} s",
	"dash.eta.h": "{h} h {m} min",
	"dash.runners.none": "—",
	"dash.runners.jobs": "{runner} ({n} jobs)",
	"dash.op.suspend": "Suspend", "dash.op.resume": "Resume", "dash.op.stop": "Stop",
	"dash.op.finish": "Finish", "dash.op.delete": "Delete", "dash.op.archive_delete": "Archive and delete",
	"dash.op.name": "{op} #{id}",
	"dash.batch.name": "{app} · {node} #{id}",
	"dash.tput.title": "Items settled per minute, last hour",
	"dash.tput.summary": "{total} items in the last {n} minutes; peak {peak} per minute ({at}).",
	"dash.tput.summary_none": "No item settled in the last {n} minutes.",
	"dash.tput.point": "{time}: {v} items",
	"dash.tput.y": "items/min",
	"dash.backlog.title": "Backlog per stream (recent samples)",
	"dash.backlog.summary": "{n} samples from {from} to {to}; backlog now: {now}.",
	"dash.backlog.summary_none": "No backlog sample yet (the scheduler's leader samples every 5 s).",
	"dash.backlog.point": "{time} {stream}: {v} jobs",
	"dash.backlog.y": "jobs",
	"dash.chart.data": "Show the data",
	"dash.chart.time": "Time",
	"dash.stream.high": "high",
	"dash.stream.common": "common",
	"dash.stream.low": "low",
	"dash.queues.title": "Queues",
	"dash.queues.stream": "Stream",
	"dash.queues.length": "Length",
	"dash.queues.pending": "In hand",
	"dash.queues.oldest": "Oldest entry",
	"dash.queues.consumers": "Consumers",
	"dash.queues.paused": "paused",
	"dash.queues.age": "{n} s ago",
	"dash.runners.title": "Runners",
	"dash.runners.empty": "No runner has reported.",
	"dash.runners.name": "Runner",
	"dash.runners.state": "State",
	"dash.runners.workers": "Workers (high/common/low)",
	"dash.runners.busy": "Busy",
	"dash.runners.rss": "Memory",
	"dash.runners.seen": "Last report",
	"dash.runners.live": "live",
	"dash.runners.stale": "stale",
	"dash.push.title": "To-do pushes (last 24 hours)",
	"dash.push.empty": "No push platform is configured.",
	"dash.push.platform": "Platform",
	"dash.push.delivered": "Delivered",
	"dash.push.pending": "Pending",
	"dash.push.failing": "Retrying",
	"dash.push.abandoned": "Abandoned",
	"dash.push.rejected": "Rejected",
	"dash.push.last": "Last delivered",
	"dash.push.disabled": " (disabled)",
	"dash.cron.title": "Crontab failures (last 24 hours): {n}",
	"dash.cron.empty": "No crontab failed in the last 24 hours.",
	"dash.cron.name": "Crontab",
	"dash.cron.status": "Outcome",
	"dash.cron.finished": "Time",
	"dash.cron.error": "Reason",
	"dash.cron.failed": "failed",
	"dash.cron.timed_out": "timed out",
	"dash.alerts.title": "Alerts",
	"dash.alerts.empty": "No alerts.",
	"dash.alerts.rule": "Rule",
	"dash.alerts.subject": "Subject",
	"dash.alerts.severity": "Severity",
	"dash.alerts.message": "Message",
	"dash.alerts.first": "First seen",
	"dash.alerts.last": "Last seen",
	"dash.alerts.state": "State",
	"dash.alerts.open": "open",
	"dash.alerts.resolved": "resolved {time}",
	"dash.alerts.critical": "critical",
	"dash.alerts.warning": "warning",
	"dash.alerts.info": "info",
	"dash.mb": "{n} MB",
});

const DASH_EVERY_MS = 5000;
const DASH_STREAMS = ["high", "common", "low"];
const DASH_SVG = "http://www.w3.org/2000/svg";

const D = { timer: 0, seq: 0, last: null };

/* ---- small helpers ------------------------------------------------------------------- */

function dashNum(n) {
	return n === null || n === undefined ? "—" : Number(n).toLocaleString(fbI18n.lang);
}

function dashPct(x) {
	return x === null || x === undefined ? "—" : (Math.floor(x * 1000) / 10) + "%";
}

function dashDuration(sec) {
	if (sec === null || sec === undefined)
		return t("dash.eta.none");
	sec = Math.max(0, Math.round(sec));
	if (sec < 60)
		return t("dash.eta.s", { n: sec });
	const m = Math.floor(sec / 60);
	if (m < 60)
		return t("dash.eta.m", { m, s: sec % 60 });
	return t("dash.eta.h", { h: Math.floor(m / 60), m: m % 60 });
}

function dashHM(d) {
	return pad(d.getHours()) + ":" + pad(d.getMinutes());
}

function dashHMS(d) {
	return dashHM(d) + ":" + pad(d.getSeconds());
}

function svgEl(name, attrs, ...children) {
	const e = document.createElementNS(DASH_SVG, name);
	for (const k in attrs || {})
		e.setAttribute(k, String(attrs[k]));
	for (const c of children)
		e.appendChild(typeof c === "string" ? document.createTextNode(c) : c);
	return e;
}

/* A card: a number, its label and an optional detail line. */
function dashCard(id, label, value, detail) {
	return el("div", { class: "dash-card", id: "dash-card-" + id },
		el("div", { class: "dash-card-value" }, value),
		el("div", { class: "dash-card-label" }, label),
		detail ? el("div", { class: "dash-card-detail muted" }, detail) : null);
}

function dashTable(cls, heads, rows, caption) {
	return el("div", { class: "dash-table-wrap" },
		el("table", { class: "grid " + cls },
			caption ? el("caption", { class: "sr-only" }, caption) : null,
			el("thead", null, el("tr", null, heads.map((h) => el("th", { scope: "col" }, h)))),
			el("tbody", null, rows)));
}

/* ---- charts -------------------------------------------------------------------------- */

/*
 * A line chart in SVG: series = [{name, cls, points: [{x: Date, y: number}]}], all of the
 * same x values.  area: fill under the first series.  Each point gets a <circle> with a
 * <title> (the tooltip); the chart carries role="img" with summary as its label, and the
 * data follows as a table inside <details> for screen readers and keyboards.
 */
function dashChart(o) {
	const W = 640, H = 230, L = 48, R = 12, T = 24, B = 28;
	const pw = W - L - R, ph = H - T - B;
	const all = o.series.flatMap((s) => s.points);
	const xs = all.map((p) => p.x.getTime());
	const x0 = xs.length ? Math.min(...xs) : 0, x1 = xs.length ? Math.max(...xs) : 1;
	let ymax = Math.max(1, ...all.map((p) => p.y));
	const step = Math.pow(10, Math.floor(Math.log10(ymax)));
	ymax = Math.ceil(ymax / step) * step;
	if ((ymax / step) % 2)
		ymax += step; /* the middle grid line on a whole number */
	const sx = (v) => L + (x1 > x0 ? (v - x0) / (x1 - x0) : 0.5) * pw;
	const sy = (v) => T + ph - (v / ymax) * ph;
	const f = (v) => Math.round(v * 10) / 10;
	const svg = svgEl("svg", {
		viewBox: "0 0 " + W + " " + H, class: "dash-chart " + o.cls, role: "img",
		"aria-labelledby": o.id + "-t " + o.id + "-d", preserveAspectRatio: "xMidYMid meet",
	});
	svg.appendChild(svgEl("title", { id: o.id + "-t" }, o.title));
	svg.appendChild(svgEl("desc", { id: o.id + "-d" }, o.summary));
	/* y axis: 0, half, max, with grid lines */
	const axes = svgEl("g", { class: "dash-axes", "aria-hidden": "true" });
	for (const v of [0, ymax / 2, ymax]) {
		axes.appendChild(svgEl("line", { x1: L, x2: W - R, y1: f(sy(v)), y2: f(sy(v)), class: "dash-grid" }));
		axes.appendChild(svgEl("text", { x: L - 6, y: f(sy(v)) + 4, "text-anchor": "end" }, dashNum(v)));
	}
	axes.appendChild(svgEl("text", { x: 4, y: 12, class: "dash-unit" }, o.yLabel));
	axes.appendChild(svgEl("line", { x1: L, x2: L, y1: T, y2: T + ph, class: "dash-axis" }));
	axes.appendChild(svgEl("line", { x1: L, x2: W - R, y1: T + ph, y2: T + ph, class: "dash-axis" }));
	if (xs.length) {
		const ticks = x1 > x0 ? 5 : 0;
		for (let i = 0; i <= ticks; i++) {
			const v = ticks ? x0 + (x1 - x0) * i / ticks : x0;
			axes.appendChild(svgEl("text", { x: f(sx(v)), y: H - 8, "text-anchor": !ticks ? "middle" : i === 0 ? "start" : i === ticks ? "end" : "middle" },
				dashHM(new Date(v))));
		}
	}
	svg.appendChild(axes);
	o.series.forEach((s, si) => {
		if (!s.points.length)
			return;
		const d = s.points.map((p, i) => (i ? "L" : "M") + f(sx(p.x.getTime())) + "," + f(sy(p.y))).join(" ");
		if (o.area && si === 0)
			svg.appendChild(svgEl("path", {
				class: "dash-area " + s.cls, "aria-hidden": "true",
				d: d + " L" + f(sx(s.points[s.points.length - 1].x.getTime())) + "," + (T + ph) +
					" L" + f(sx(s.points[0].x.getTime())) + "," + (T + ph) + " Z",
			}));
		svg.appendChild(svgEl("path", { class: "dash-line " + s.cls, d, "data-points": s.points.length, "data-series": s.key || s.name }));
		/* Invisible until hovered, except a lone point (no line to see). */
		const dots = svgEl("g", { class: "dash-dots " + s.cls + (s.points.length < 2 ? " solo" : "") });
		for (const p of s.points)
			dots.appendChild(svgEl("circle", { cx: f(sx(p.x.getTime())), cy: f(sy(p.y)), r: 3 },
				svgEl("title", null, o.pointText(s, p))));
		svg.appendChild(dots);
	});
	const legend = o.series.length > 1 ? el("ul", { class: "dash-legend" },
		o.series.map((s) => el("li", null, el("i", { class: s.cls, "aria-hidden": "true" }), s.name))) : null;
	const heads = [t("dash.chart.time")].concat(o.series.map((s) => s.name));
	const n = o.series.length ? o.series[0].points.length : 0;
	const rows = [];
	for (let i = 0; i < n; i++)
		rows.push(el("tr", null, el("td", null, o.timeText(o.series[0].points[i].x)),
			o.series.map((s) => el("td", { class: "num" }, dashNum(s.points[i] ? s.points[i].y : null)))));
	return el("figure", { class: "dash-figure", id: o.id },
		el("figcaption", null, el("h3", null, o.title), el("p", { class: "muted dash-summary" }, o.summary)),
		svg, legend,
		el("details", { class: "dash-data" }, el("summary", null, t("dash.chart.data")),
			dashTable("dash-data-table", heads, rows, o.title)));
}

function dashThroughput(points) {
	const pts = (points || []).map((p) => ({ x: new Date(p.t), y: p.items }));
	const total = pts.reduce((a, p) => a + p.y, 0);
	let peak = null;
	for (const p of pts)
		if (!peak || p.y > peak.y)
			peak = p;
	const n = pts.length;
	return dashChart({
		id: "dash-tput", cls: "tput", area: true, title: t("dash.tput.title"), yLabel: t("dash.tput.y"),
		summary: total > 0 ? t("dash.tput.summary", { n, total: dashNum(total), peak: dashNum(peak.y), at: dashHM(peak.x) })
			: t("dash.tput.summary_none", { n }),
		series: [{ name: t("dash.tput.y"), key: "items", cls: "s0", points: pts }],
		pointText: (s, p) => t("dash.tput.point", { time: dashHM(p.x), v: dashNum(p.y) }),
		timeText: dashHM,
	});
}

function dashBacklog(samples) {
	samples = samples || [];
	const series = DASH_STREAMS.map((k, i) => ({
		name: t("dash.stream." + k), key: k, cls: "s" + i,
		points: samples.map((s) => ({ x: new Date(s.t), y: s[k] ? s[k].length : 0 })),
	}));
	let summary = t("dash.backlog.summary_none");
	if (samples.length) {
		const last = samples[samples.length - 1];
		summary = t("dash.backlog.summary", {
			n: samples.length, from: dashHMS(new Date(samples[0].t)), to: dashHMS(new Date(last.t)),
			now: DASH_STREAMS.map((k) => t("dash.stream." + k) + " " + dashNum(last[k] ? last[k].length : 0)).join(", "),
		});
	}
	return dashChart({
		id: "dash-backlog", cls: "backlog", area: false, title: t("dash.backlog.title"),
		yLabel: t("dash.backlog.y"), summary, series,
		pointText: (s, p) => t("dash.backlog.point", { time: dashHMS(p.x), stream: s.name, v: dashNum(p.y) }),
		timeText: dashHMS,
	});
}

/* ---- parts of the page --------------------------------------------------------------- */

function dashCards(b) {
	const td = b.batches.today;
	const cards = [
		dashCard("active-batches", t("dash.card.active_batches"), dashNum(b.batches.active.length)),
		dashCard("active-ops", t("dash.card.active_ops"), dashNum(b.operations ? b.operations.active.length : 0)),
		dashCard("finished", t("dash.card.finished"), dashNum(td.finished)),
		dashCard("with-failures", t("dash.card.with_failures"), dashNum(td.finished_with_failures)),
		dashCard("cancelled", t("dash.card.cancelled"), dashNum(td.cancelled)),
		dashCard("success-rate", t("dash.card.success_rate"), dashPct(td.success_rate)),
		dashCard("avg-item", t("dash.card.avg_item"),
			td.avg_item_seconds === null ? "—" : (td.avg_item_seconds < 1 ? Math.round(td.avg_item_seconds * 1000) + " ms" : dashDuration(td.avg_item_seconds))),
		dashCard("items", t("dash.card.items"), dashNum(td.items.success + td.items.failed + td.items.ignored),
			t("dash.card.items_detail", { s: dashNum(td.items.success), f: dashNum(td.items.failed), i: dashNum(td.items.ignored) })),
	];
	const ot = b.operations && b.operations.today;
	if (ot)
		cards.push(dashCard("ops-today", t("dash.card.ops_today"), dashNum(ot.finished),
			t("dash.card.ops_detail", { f: dashNum(ot.finished_with_failures), c: dashNum(ot.cancelled) })));
	if (b.runners)
		cards.push(dashCard("runners", t("dash.card.runners"), dashNum(b.runners.live),
			t("dash.card.runners_detail", { live: b.runners.live, stale: b.runners.stale })));
	if (b.queues)
		cards.push(dashCard("queued", t("dash.card.queued"), dashNum(b.queues.reduce((a, q) => a + q.length, 0))));
	if (b.dead_letters !== undefined)
		cards.push(dashCard("dead", t("dash.card.dead"), dashNum(b.dead_letters)));
	return cards;
}

function dashRunnersCell(w) {
	if (!w.runners || !w.runners.length)
		return t("dash.runners.none");
	return el("ul", { class: "dash-runner-list" },
		w.runners.map((r) => el("li", null, t("dash.runners.jobs", { runner: r.runner, n: r.jobs }))));
}

function dashWorkRow(kind, w) {
	const done = w.total - w.pending;
	const id = kind === "batch" ? w.batch_id : w.op_id;
	const name = kind === "batch"
		? t("dash.batch.name", { app: w.app_name, node: w.node_name, id })
		: t("dash.op.name", { op: t("dash.op." + w.operation), id });
	const pct = dashPct(w.progress);
	const href = kind === "batch" ? "#/batch/" + id : "#/process/op/" + id;
	return el("tr", { "data-kind": kind, "data-id": id },
		el("td", null, t("dash.kind." + kind)),
		el("td", null, el("a", { href }, name)),
		el("td", null, tag({ init: [t("dash.status.init"), "warn"], running: [t("dash.status.running"), "run"] }, w.status)),
		el("td", { class: "dash-progress-cell" },
			el("progress", { max: w.total || 1, value: done, "aria-label": t("dash.progress.label", { name, pct }) }),
			el("span", { class: "dash-pct" }, pct), " ",
			el("span", { class: "dash-count muted" }, t("dash.progress.text", { done: dashNum(done), total: dashNum(w.total) }))),
		el("td", { class: "dash-eta" }, dashDuration(w.eta_seconds)),
		el("td", { class: "dash-runners" }, dashRunnersCell(w)));
}

function dashActive(b) {
	const rows = b.batches.active.map((w) => dashWorkRow("batch", w))
		.concat((b.operations ? b.operations.active : []).map((w) => dashWorkRow("op", w)));
	if (!rows.length)
		return [el("h3", null, t("dash.active.title")), el("p", { class: "muted", id: "dash-active-empty" }, t("dash.active.empty"))];
	return [el("h3", null, t("dash.active.title")),
		dashTable("dash-active", [t("dash.col.kind"), t("dash.col.work"), t("dash.col.status"), t("dash.col.progress"),
			t("dash.col.eta"), t("dash.col.runners")], rows, t("dash.active.title"))];
}

function dashQueues(qs) {
	return [el("h3", null, t("dash.queues.title")),
		dashTable("dash-queues", [t("dash.queues.stream"), t("dash.queues.length"), t("dash.queues.pending"),
			t("dash.queues.oldest"), t("dash.queues.consumers")],
		qs.map((q) => el("tr", { "data-stream": q.stream },
			el("td", null, t("dash.stream." + q.stream), q.paused ? el("span", { class: "tag warn" }, t("dash.queues.paused")) : null),
			el("td", { class: "num" }, dashNum(q.length)),
			el("td", { class: "num" }, dashNum(q.pending)),
			el("td", null, q.oldest_age_seconds ? t("dash.queues.age", { n: Math.round(q.oldest_age_seconds) }) : "—"),
			el("td", { class: "num" }, dashNum(q.consumers)))), t("dash.queues.title"))];
}

function dashRunners(rs) {
	if (!rs.items.length)
		return [el("h3", null, t("dash.runners.title")), el("p", { class: "muted" }, t("dash.runners.empty"))];
	return [el("h3", null, t("dash.runners.title")),
		dashTable("dash-runners-table", [t("dash.runners.name"), t("dash.runners.state"), t("dash.runners.workers"),
			t("dash.runners.busy"), t("dash.runners.rss"), t("dash.runners.seen")],
		rs.items.map((r) => el("tr", { "data-runner": r.runner, "data-state": r.state },
			el("td", null, r.runner),
			el("td", null, tag({ live: [t("dash.runners.live"), "ok"], stale: [t("dash.runners.stale"), "bad"] }, r.state)),
			el("td", null, [r.workers.high, r.workers.common, r.workers.low].join(" / ")),
			el("td", { class: "num" }, dashNum(r.busy)),
			el("td", { class: "num" }, t("dash.mb", { n: Math.round(r.rss_bytes / 1048576) })),
			el("td", null, r.last_seen_ms ? dashHMS(new Date(r.last_seen_ms)) : "—"))), t("dash.runners.title"))];
}

function dashPush(ps) {
	if (!ps.length)
		return [el("h3", null, t("dash.push.title")), el("p", { class: "muted" }, t("dash.push.empty"))];
	return [el("h3", null, t("dash.push.title")),
		dashTable("dash-push", [t("dash.push.platform"), t("dash.push.delivered"), t("dash.push.pending"),
			t("dash.push.failing"), t("dash.push.abandoned"), t("dash.push.rejected"), t("dash.push.last")],
		ps.map((p) => el("tr", { "data-platform": p.platform_id },
			el("td", null, p.name, p.enabled ? "" : t("dash.push.disabled")),
			el("td", { class: "num" }, dashNum(p.delivered_24h)),
			el("td", { class: "num" }, dashNum(p.pending)),
			el("td", { class: "num" + (p.failing ? " bad" : "") }, dashNum(p.failing)),
			el("td", { class: "num" + (p.abandoned_24h ? " bad" : "") }, dashNum(p.abandoned_24h)),
			el("td", { class: "num" + (p.rejected_24h ? " bad" : "") }, dashNum(p.rejected_24h)),
			el("td", null, fmtTime(p.last_delivered)))), t("dash.push.title"))];
}

function dashCron(c) {
	const head = el("h3", null, t("dash.cron.title", { n: c.count }));
	if (!c.recent.length)
		return [head, el("p", { class: "muted" }, t("dash.cron.empty"))];
	return [head, dashTable("dash-cron", [t("dash.cron.name"), t("dash.cron.status"), t("dash.cron.finished"), t("dash.cron.error")],
		c.recent.map((h) => el("tr", { "data-history": h.history_id },
			el("td", null, h.name),
			el("td", null, tag({ failed: [t("dash.cron.failed"), "bad"], timed_out: [t("dash.cron.timed_out"), "bad"] }, h.status)),
			el("td", null, fmtTime(h.finished)),
			el("td", { class: "dash-wrap" }, h.error || "—"))), t("dash.cron.title", { n: c.count }))];
}

function dashAlerts(alerts) {
	if (!alerts.length)
		return [el("h3", null, t("dash.alerts.title")), el("p", { class: "muted", id: "dash-alerts-empty" }, t("dash.alerts.empty"))];
	const sev = {
		critical: [t("dash.alerts.critical"), "bad"], warning: [t("dash.alerts.warning"), "warn"],
		info: [t("dash.alerts.info"), "run"],
	};
	return [el("h3", null, t("dash.alerts.title")),
		dashTable("dash-alerts", [t("dash.alerts.severity"), t("dash.alerts.rule"), t("dash.alerts.subject"),
			t("dash.alerts.message"), t("dash.alerts.first"), t("dash.alerts.last"), t("dash.alerts.state")],
		alerts.map((a) => el("tr", { "data-alert": a.id, "data-resolved": a.resolved_at ? "1" : "0" },
			el("td", null, tag(sev, a.severity)),
			el("td", null, a.rule),
			el("td", null, a.subject),
			el("td", { class: "dash-wrap" }, a.message),
			el("td", null, fmtTime(a.first_seen)),
			el("td", null, fmtTime(a.last_seen)),
			el("td", null, a.resolved_at ? t("dash.alerts.resolved", { time: fmtTime(a.resolved_at) }) : tag({ open: [t("dash.alerts.open"), "bad"] }, "open")))),
		t("dash.alerts.title"))];
}

/* ---- the page ------------------------------------------------------------------------ */

/* Replace the children of box id with nodes (one swap: no empty frame in between). */
function dashSwap(id, nodes, show) {
	const box = $(id);
	box.hidden = show === false;
	box.replaceChildren(...[].concat(nodes).filter((n) => n));
}

function dashRender(b) {
	const admin = b.scope === "all";
	$("dash-scope").textContent = admin ? t("dash.scope.all") : t("dash.scope.mine");
	dashSwap("dash-cards", dashCards(b));
	dashSwap("dash-active-box", dashActive(b));
	dashSwap("dash-tput-box", dashThroughput(b.charts ? b.charts.throughput : []));
	dashSwap("dash-backlog-box", admin ? dashBacklog(b.charts.backlog) : [], admin);
	dashSwap("dash-queues-box", admin ? dashQueues(b.queues) : [], admin);
	dashSwap("dash-runners-box", admin ? dashRunners(b.runners) : [], admin);
	dashSwap("dash-push-box", admin && b.push ? dashPush(b.push) : [], admin && !!b.push);
	dashSwap("dash-cron-box", admin && b.cron_failures ? dashCron(b.cron_failures) : [], admin && !!b.cron_failures);
	dashSwap("dash-alerts-box", admin ? dashAlerts(b.alerts || []) : [], admin);
	$("dash-updated").textContent = t("dash.updated", { time: dashHMS(new Date()) });
}

async function dashLoad() {
	const seq = ++D.seq;
	const r = await api("GET", "/api/dashboard");
	if (seq !== D.seq || $("view-dashboard").hidden)
		return;
	if (r.status !== 200) {
		$("dash-error").textContent = t("dash.load_failed", { error: errText(r) });
		$("dash-error").hidden = false;
		return;
	}
	$("dash-error").hidden = true;
	D.last = r.body;
	dashRender(r.body);
}

function dashStop() {
	if (D.timer)
		clearTimeout(D.timer);
	D.timer = 0;
	D.seq++;
}

function dashSchedule() {
	D.timer = setTimeout(async () => {
		D.timer = 0;
		if (!document.hidden)
			await dashLoad();
		if (!$("view-dashboard").hidden && !D.timer)
			dashSchedule();
	}, DASH_EVERY_MS);
}

/* The page's shell, built once: stable boxes that each refresh fills in. */
function dashShell() {
	const v = $("view-dashboard");
	if (v.dataset.built)
		return;
	v.dataset.built = "1";
	v.replaceChildren(
		el("div", { class: "toolbar" },
			el("h2", { id: "dash-title" }, t("dash.title")),
			el("span", { class: "tag", id: "dash-scope" }),
			el("span", { class: "spacer" }),
			el("span", { class: "muted", id: "dash-updated", "aria-live": "off" })),
		el("p", { class: "errors", id: "dash-error", role: "alert", hidden: true }),
		el("div", { class: "dash-cards", id: "dash-cards" }),
		el("div", { class: "card", id: "dash-alerts-box", hidden: true }),
		el("div", { class: "card", id: "dash-active-box" }),
		el("div", { class: "dash-charts" },
			el("div", { class: "card", id: "dash-tput-box" }),
			el("div", { class: "card", id: "dash-backlog-box", hidden: true })),
		el("div", { class: "dash-cols" },
			el("div", { class: "card", id: "dash-queues-box", hidden: true }),
			el("div", { class: "card", id: "dash-runners-box", hidden: true })),
		el("div", { class: "dash-cols" },
			el("div", { class: "card", id: "dash-push-box", hidden: true }),
			el("div", { class: "card", id: "dash-cron-box", hidden: true })));
}

async function dashboardRoute() {
	for (const v of ["login", "approve", "progress", "batches", "process"])
		if ($("view-" + v))
			$("view-" + v).hidden = true;
	for (const n of document.querySelectorAll("header nav a"))
		n.removeAttribute("aria-current");
	$("view-dashboard").hidden = false;
	$("nav-dashboard").setAttribute("aria-current", "page");
	dashShell();
	dashStop();
	await dashLoad();
	if (!$("view-dashboard").hidden && !D.timer)
		dashSchedule();
}

window.addEventListener("hashchange", () => {
	if (!location.hash.startsWith("#/dashboard")) {
		dashStop();
		$("view-dashboard").hidden = true;
		$("nav-dashboard").removeAttribute("aria-current");
	}
});
