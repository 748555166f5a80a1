/*
 * flowbatch batch console: plain JavaScript, no framework, no build step.
 *
 * Views (by location.hash): #/approve[/NODE] (nodes, tasks, approval panel, Excel),
 * #/batch/ID (progress and details), #/batches (my batches).  Every value from the API is
 * put into the page as text (textContent, setAttribute), never as HTML.
 */
"use strict";

const PAGE_SIZE = 50;
const TASK_IDS_MAX = 1000; /* the listing's and the template's task_ids limit */
const POLL_MS = 1000;

const BATCH_STATUS = {
	init: [t("app.bst.init"), "run"], running: [t("app.bst.running"), "run"],
	finished: [t("app.bst.finished"), "ok"], cancelled: [t("app.bst.cancelled"), "warn"],
};
const DETAIL_STATUS = {
	pending: [t("app.dst.pending"), "run"], success: [t("app.dst.success"), "ok"],
	failed: [t("app.dst.failed"), "bad"], ignored: [t("app.dst.ignored"), "warn"],
	cancelled: [t("app.dst.cancelled"), "warn"], superseded: [t("app.dst.superseded"), "warn"],
};
const ACTION = { approve: t("app.action.approve"), reject: t("app.action.reject") };
const SOURCE = { web: t("app.source.web"), excel: t("app.source.excel"), import: t("app.source.excel") };

const S = {
	me: null,
	nodes: [],
	nodeId: 0,
	form: null,          /* GET /api/batch/nodes/{id}/form */
	filter: { keyword: "", dept_id: 0, fields: {} },
	page: 1,
	total: 0,
	items: [],
	selected: new Map(), /* task_id -> title, across pages */
	allMatching: false,
	batch: null,         /* {id, timer, data, status, page, lastDone, chosen} */
	batches: { status: "", page: 1 },
	view: "",
};

/* ---- DOM helpers --------------------------------------------------------------------- */

function $(id) {
	return document.getElementById(id);
}

/* el("td", {class: "x", onclick: f}, "text", childNode, ...) */
function el(tag, attrs, ...children) {
	const e = document.createElement(tag);
	for (const k in attrs || {}) {
		const v = attrs[k];
		if (v === undefined || v === null || v === false)
			continue;
		if (typeof v === "function" && k.startsWith("on"))
			e.addEventListener(k.slice(2), v);
		else if (k === "checked" || k === "disabled" || k === "selected" || k === "value")
			e[k] = v;
		else
			e.setAttribute(k, v === true ? "" : String(v));
	}
	for (const c of children)
		add(e, c);
	return e;
}

function add(parent, c) {
	if (c === undefined || c === null || c === false)
		return;
	if (Array.isArray(c)) {
		for (const x of c)
			add(parent, x);
	} else if (c instanceof Node) {
		parent.appendChild(c);
	} else {
		parent.appendChild(document.createTextNode(String(c)));
	}
}

function clear(node) {
	while (node.firstChild)
		node.removeChild(node.firstChild);
	return node;
}

function tag(map, key) {
	const m = map[key] || [key || "—", ""];
	return el("span", { class: "tag " + m[1] }, m[0]);
}

function pad(n) {
	return n < 10 ? "0" + n : String(n);
}

function fmtTime(iso) {
	if (!iso)
		return "—";
	const d = new Date(iso);
	if (isNaN(d.getTime()))
		return String(iso);
	return d.getFullYear() + "-" + pad(d.getMonth() + 1) + "-" + pad(d.getDate()) + " " +
		pad(d.getHours()) + ":" + pad(d.getMinutes()) + ":" + pad(d.getSeconds());
}

function fmtDuration(sec) {
	sec = Math.max(0, Math.round(sec));
	if (sec < 60)
		return t("app.dur.s", { s: sec });
	const m = Math.floor(sec / 60), s = sec % 60;
	if (m < 60)
		return t("app.dur.ms", { m: m, s: s });
	return t("app.dur.hm", { h: Math.floor(m / 60), m: m % 60 });
}

function fmtValue(v) {
	if (v === undefined || v === null || v === "")
		return "—";
	if (Array.isArray(v))
		return t("app.rows", { n: v.length });
	if (typeof v === "object")
		return JSON.stringify(v);
	return String(v);
}

let flashTimer = 0;
function flash(msg, bad) {
	const f = $("flash");
	f.textContent = msg || "";
	f.className = bad ? "bad" : "";
	clearTimeout(flashTimer);
	if (msg)
		flashTimer = setTimeout(() => { f.textContent = ""; }, 10000);
}

/* ---- API ----------------------------------------------------------------------------- */

/* {status, body, res}; a 401 anywhere shows the sign-in view. */
async function api(method, url, body, headers) {
	const opt = { method: method, credentials: "same-origin",
		headers: Object.assign({ "Accept": "application/json", "Accept-Language": fbI18n.lang },
			headers || {}) };
	if (body instanceof FormData) {
		opt.body = body;
	} else if (body !== undefined) {
		opt.headers["Content-Type"] = "application/json";
		opt.body = JSON.stringify(body);
	}
	let res;
	try {
		res = await fetch(url, opt);
	} catch (e) {
		return { status: 0, body: { error: { code: "network", message: t("app.network", { msg: e.message }) } } };
	}
	let data = null;
	const ct = res.headers.get("Content-Type") || "";
	if (ct.indexOf("json") >= 0) {
		try {
			data = await res.json();
		} catch (e) {
			data = null;
		}
	}
	if (res.status === 401)
		showLogin();
	return { status: res.status, body: data, res: res };
}

/* A new Idempotency-Key: 32 hex digits from the browser's random generator. */
function idempotencyKey() {
	const b = new Uint8Array(16);
	crypto.getRandomValues(b);
	return Array.from(b, (x) => x.toString(16).padStart(2, "0")).join("");
}

/*
 * A POST that creates a batch, for one user action: one Idempotency-Key for the action,
 * sent again on each try.  It is tried again (twice at most) when no answer came or a
 * gateway or the service answered that it could not take it now; a try whose batch was
 * created but whose answer was lost then gets that batch, not a second one.
 */
async function apiCreate(url, body) {
	const headers = { "Idempotency-Key": idempotencyKey() };
	let r;
	for (let attempt = 0; attempt < 3; attempt++) {
		if (attempt > 0)
			await new Promise((ok) => setTimeout(ok, 700 * attempt));
		r = await api("POST", url, body, headers);
		if (r.status !== 0 && r.status !== 502 && r.status !== 503 && r.status !== 504)
			break;
	}
	return r;
}

function errText(r) {
	if (r.body && r.body.error)
		return r.body.error.message || r.body.error.code;
	return "HTTP " + r.status;
}

function query(params) {
	const q = new URLSearchParams();
	for (const k in params) {
		const v = params[k];
		if (v !== undefined && v !== null && v !== "")
			q.append(k, String(v));
	}
	return q.toString();
}

/* Fetch a file and hand it to the browser as a download; errors go to the flash line. */
async function download(url, fallbackName) {
	let res;
	try {
		res = await fetch(url, { credentials: "same-origin",
			headers: { "Accept-Language": fbI18n.lang } });
	} catch (e) {
		flash(t("app.dl.network", { msg: e.message }), true);
		return false;
	}
	if (res.status === 401) {
		showLogin();
		return false;
	}
	if (!res.ok) {
		let msg = "HTTP " + res.status;
		try {
			const j = await res.json();
			if (j && j.error)
				msg = j.error.message;
		} catch (e) {
			/* not JSON: keep the status */
		}
		flash(t("app.dl.failed", { msg: msg }), true);
		return false;
	}
	const blob = await res.blob();
	let name = fallbackName;
	const cd = res.headers.get("Content-Disposition") || "";
	let m = /filename\*\s*=\s*UTF-8''([^;]+)/i.exec(cd);
	if (m) {
		try {
			name = decodeURIComponent(m[1]);
		} catch (e) {
			/* keep the fallback */
		}
	} else if ((m = /filename\s*=\s*"([^"]+)"/i.exec(cd))) {
		name = m[1];
	}
	const href = URL.createObjectURL(blob);
	const a = el("a", { href: href, download: name, hidden: true });
	document.body.appendChild(a);
	a.click();
	a.remove();
	setTimeout(() => URL.revokeObjectURL(href), 60000);
	flash(t("app.dl.started", { name: name }));
	return true;
}

/* ---- pager --------------------------------------------------------------------------- */

function renderPager(box, page, size, total, go) {
	clear(box);
	const pages = Math.max(1, Math.ceil(total / size));
	add(box, [
		el("button", { type: "button", class: "small", disabled: page <= 1, onclick: () => go(page - 1) }, t("app.pager.prev")),
		el("span", {}, t("app.pager.info", { page: page, pages: pages, total: total })),
		el("button", { type: "button", class: "small", disabled: page >= pages, onclick: () => go(page + 1) }, t("app.pager.next")),
	]);
}

/* ---- views and routing --------------------------------------------------------------- */

function showView(name) {
	for (const v of ["login", "approve", "progress", "batches"])
		$("view-" + v).hidden = v !== name;
	$("nav-approve").toggleAttribute("aria-current", false);
	$("nav-batches").toggleAttribute("aria-current", false);
	if (name === "approve")
		$("nav-approve").setAttribute("aria-current", "page");
	if (name === "batches" || name === "progress")
		$("nav-batches").setAttribute("aria-current", "page");
	if (name !== "progress")
		stopPolling();
	S.view = name;
}

function showLogin() {
	stopPolling();
	S.me = null;
	$("who").textContent = t("app.who.none");
	$("logout-form").hidden = true;
	showView("login");
}

async function route() {
	if (!S.me)
		return;
	const h = location.hash.replace(/^#\/?/, "");
	const parts = h.split("/");
	if (parts[0] === "batch" && /^[1-9][0-9]{0,17}$/.test(parts[1] || "")) {
		showView("progress");
		openBatch(parts[1]);
	} else if (parts[0] === "process") {
		stopPolling();
		await processRoute(parts);
	} else if (parts[0] === "taskcenter" && S.me.is_admin) {
		stopPolling();
		await tcRoute();
	} else if (parts[0] === "dashboard") {
		stopPolling();
		await dashboardRoute();
	} else if (parts[0] === "crontab") {
		stopPolling();
		await crontabRoute(parts);
	} else if (parts[0] === "batches") {
		showView("batches");
		loadBatches();
	} else {
		showView("approve");
		await loadNodes();
		const id = /^[1-9][0-9]{0,17}$/.test(parts[1] || "") ? Number(parts[1]) : 0;
		if (id && id !== S.nodeId)
			await selectNode(id);
		else if (id)
			await loadTasks();
		else if (!id && S.nodeId)
			location.replace("#/approve/" + S.nodeId);
	}
}

async function loadMe() {
	const r = await api("GET", "/api/me");
	if (r.status === 200 && r.body) {
		const u = r.body;
		S.me = u;
		$("who").textContent = t("app.who", { name: u.name || u.login, login: u.login }) +
			(u.dept_name ? " · " + u.dept_name : "");
		$("logout-form").hidden = false;
		return true;
	}
	if (r.status !== 401) {
		$("who").textContent = "—";
		flash(t("app.me.failed", { msg: errText(r) }), true);
	}
	return false;
}

/* ---- nodes --------------------------------------------------------------------------- */

async function loadNodes() {
	const r = await api("GET", "/api/batch/nodes");
	const list = clear($("node-list"));
	if (r.status !== 200) {
		if (r.status !== 401)
			add(list, el("li", { class: "muted" }, t("app.load_failed", { msg: errText(r) })));
		return;
	}
	S.nodes = r.body.items || [];
	$("nodes-summary").textContent = S.nodes.length ?
		t("app.nodes.summary", { nodes: S.nodes.length, tasks: r.body.tasks }) : "";
	if (!S.nodes.length)
		add(list, el("li", { class: "muted" }, t("app.nodes.none")));
	for (const n of S.nodes) {
		add(list, el("li", {},
			el("button", {
				type: "button", "data-node-id": n.node_id,
				"aria-pressed": n.node_id === S.nodeId ? "true" : "false",
				onclick: () => { location.hash = "#/approve/" + n.node_id; },
			},
			el("span", { class: "nname" },
				el("span", {}, n.node_name),
				el("span", { class: "napp" }, t("app.node.version", { app: n.app_name, version: n.app_version }))),
			el("span", { class: "count", "aria-label": t("app.node.count", { n: n.count }) }, n.count))));
	}
}

function markNode() {
	for (const b of $("node-list").querySelectorAll("button[data-node-id]"))
		b.setAttribute("aria-pressed", Number(b.getAttribute("data-node-id")) === S.nodeId ? "true" : "false");
}

async function selectNode(id) {
	S.nodeId = id;
	S.form = null;
	S.filter = { keyword: "", dept_id: 0, fields: {} };
	S.page = 1;
	S.selected.clear();
	S.allMatching = false;
	markNode();
	$("tasks-empty").hidden = true;
	$("tasks-area").hidden = false;
	$("panel-col").hidden = false;
	$("import-result").hidden = true;
	$("node-title").textContent = t("app.loading");
	$("node-app").textContent = "";
	const r = await api("GET", "/api/batch/nodes/" + id + "/form");
	if (r.status !== 200) {
		if (r.status !== 401) {
			$("node-title").textContent = t("app.node.failed");
			flash(t("app.node.form_failed", { msg: errText(r) }), true);
		}
		return;
	}
	S.form = r.body;
	$("node-title").textContent = S.form.node_name;
	$("node-app").textContent = S.form.app_name;
	$("f-keyword").value = "";
	$("f-dept").value = "";
	buildFilters();
	buildPanel();
	await loadTasks();
}

/* ---- filters ------------------------------------------------------------------------- */

/* A select's options for any parent value, as optgroups (dependent) or options. */
function fillSelect(sel, f, emptyText, parentValue) {
	clear(sel);
	add(sel, el("option", { value: "" }, emptyText));
	if (f.options) {
		for (const o of f.options)
			add(sel, el("option", { value: o }, o));
	} else if (f.options_by_parent) {
		if (parentValue !== undefined && parentValue !== "") {
			for (const o of f.options_by_parent[parentValue] || [])
				add(sel, el("option", { value: o }, o));
		} else {
			for (const p in f.options_by_parent) {
				const g = el("optgroup", { label: p });
				for (const o of f.options_by_parent[p])
					add(g, el("option", { value: o }, o));
				add(sel, g);
			}
		}
	}
}

function buildFilters() {
	const row = $("filter-row");
	for (const d of row.querySelectorAll(".dyn"))
		d.remove();
	for (const f of S.form.fields) {
		if (!f.searchable || f.type === "table")
			continue;
		const id = "ff-" + f.key;
		let input;
		if (f.type === "select") {
			input = el("select", { id: id, "data-key": f.key });
			fillSelect(input, f, t("app.filter.all"));
		} else if (f.type === "number") {
			input = el("input", { type: "number", id: id, "data-key": f.key, step: "any" });
		} else if (f.type === "date") {
			input = el("input", { type: "date", id: id, "data-key": f.key });
		} else {
			input = el("input", { type: "text", id: id, "data-key": f.key, maxlength: 1000,
				placeholder: f.type === "user" ? t("app.filter.login") : t("app.filter.exact") });
		}
		add(row, el("label", { class: "dyn" }, f.label, input));
	}
}

function readFilters() {
	const kw = $("f-keyword").value.trim();
	const dept = $("f-dept").value.trim();
	const fields = {};
	for (const input of $("filter-row").querySelectorAll(".dyn [data-key]")) {
		const v = input.value.trim();
		if (v === "")
			continue;
		const f = S.form.fields.find((x) => x.key === input.getAttribute("data-key"));
		fields[f.key] = f.type === "number" && isFinite(Number(v)) ? Number(v) : v;
	}
	return { keyword: kw, dept_id: /^[1-9][0-9]*$/.test(dept) ? Number(dept) : 0, fields: fields };
}

function filterParams() {
	const p = { node_id: S.nodeId, keyword: S.filter.keyword, dept_id: S.filter.dept_id || "" };
	for (const k in S.filter.fields)
		p["f." + k] = S.filter.fields[k];
	return p;
}

/* ---- tasks --------------------------------------------------------------------------- */

async function loadTasks() {
	if (!S.nodeId)
		return;
	const p = filterParams();
	p.page = S.page;
	p.page_size = PAGE_SIZE;
	const body = clear($("tasks-body"));
	/* A later load (a new filter, another page) wins over an answer still on its way. */
	const seq = S.tasksSeq = (S.tasksSeq || 0) + 1;
	const r = await api("GET", "/api/batch/tasks?" + query(p));
	if (seq !== S.tasksSeq)
		return;
	clear(body);
	if (r.status !== 200) {
		if (r.status !== 401) {
			add(body, el("tr", {}, el("td", { class: "empty", colspan: 5 }, t("app.load_failed", { msg: errText(r) }))));
			flash(t("app.query_failed", { msg: errText(r) }), true);
		}
		return;
	}
	S.items = r.body.items || [];
	S.total = r.body.total || 0;
	if (S.items.length === 0 && S.page > 1 && S.total > 0) {
		S.page = Math.ceil(S.total / PAGE_SIZE);
		return loadTasks();
	}
	renderTasks(r.body.labels || {});
	renderPager($("tasks-pager"), S.page, PAGE_SIZE, S.total, (pg) => { S.page = pg; loadTasks(); });
	$("tasks-total").textContent = t("app.tasks.total", { n: S.total });
	updateSelection();
}

function renderTasks(labels) {
	const head = clear($("tasks-head"));
	const keys = Object.keys(labels);
	const pageBox = el("input", { type: "checkbox", id: "sel-page", "aria-label": t("app.sel.page"),
		onchange: (e) => selectPage(e.target.checked) });
	add(head, [
		el("th", { class: "check", scope: "col" }, pageBox),
		el("th", { scope: "col" }, t("app.col.title")),
		el("th", { scope: "col" }, t("app.col.creator")),
		el("th", { scope: "col" }, t("app.col.dept")),
		el("th", { scope: "col" }, t("app.col.created")),
		keys.map((k) => el("th", { scope: "col" }, labels[k])),
	]);
	const body = clear($("tasks-body"));
	if (!S.items.length) {
		add(body, el("tr", {}, el("td", { class: "empty", colspan: 5 + keys.length }, t("app.tasks.none"))));
		return;
	}
	for (const t of S.items) {
		const locked = !!t.locked;
		const box = el("input", {
			type: "checkbox", class: "row-check", "data-task-id": t.task_id,
			"aria-label": fbI18n.t("app.sel.task", { title: t.title }), disabled: locked || S.allMatching,
			checked: S.allMatching ? !locked : S.selected.has(t.task_id),
			onchange: (e) => toggleTask(t, e.target.checked),
		});
		const title = [t.title];
		if (locked)
			title.push(" ", el("span", { class: "tag warn", title: fbI18n.t("app.locked.tip") },
				fbI18n.t(t.lock_kind === "person" ? "app.locked.person" : "app.locked.batch")));
		const tr = el("tr", {
			"data-task-id": t.task_id, class: locked ? "locked" : "",
			onclick: (e) => {
				if (e.target.tagName === "INPUT" || locked || S.allMatching)
					return;
				box.checked = !box.checked;
				toggleTask(t, box.checked);
			},
		},
		el("td", { class: "check" }, box),
		el("td", { class: "wrap" }, title),
		el("td", { title: t.creator ? t.creator.login : null }, (t.creator && t.creator.name) || "—"),
		el("td", {}, t.creator_dept ? t.creator_dept.name : "—"),
		el("td", { title: fmtTime(t.created) }, fmtTime(t.created).slice(0, 16)),
		keys.map((k) => el("td", {}, fmtValue((t.fields || {})[k]))));
		add(body, tr);
	}
}

function toggleTask(t, on) {
	if (on)
		S.selected.set(t.task_id, t.title);
	else
		S.selected.delete(t.task_id);
	updateSelection();
}

function selectPage(on) {
	for (const t of S.items) {
		if (t.locked)
			continue;
		if (on)
			S.selected.set(t.task_id, t.title);
		else
			S.selected.delete(t.task_id);
	}
	for (const b of $("tasks-body").querySelectorAll("input.row-check:not(:disabled)"))
		b.checked = on;
	updateSelection();
}

function selectionCount() {
	return S.allMatching ? S.total : S.selected.size;
}

function updateSelection() {
	const info = $("sel-info");
	const n = selectionCount();
	if (S.allMatching) {
		info.textContent = t("app.sel.all_info", { n: S.total });
		info.className = "all";
	} else {
		info.textContent = n ? t("app.sel.n", { n: n }) : t("app.sel.none");
		info.className = "";
	}
	for (const tr of $("tasks-body").querySelectorAll("tr[data-task-id]")) {
		const box = tr.querySelector("input.row-check");
		tr.classList.toggle("selected", !!box && box.checked);
	}
	const pageBox = $("sel-page");
	if (pageBox) {
		const boxes = [...$("tasks-body").querySelectorAll("input.row-check:not(:disabled)")];
		pageBox.checked = S.allMatching || (boxes.length > 0 && boxes.every((b) => b.checked));
		pageBox.disabled = S.allMatching;
	}
	const allBtn = $("sel-all-matching");
	allBtn.hidden = S.allMatching || S.total === 0;
	allBtn.textContent = t("app.sel.all_btn", { n: S.total });
	$("sel-clear").hidden = n === 0;
	const action = currentAction();
	const sub = $("examine-submit");
	sub.disabled = n === 0;
	sub.textContent = n ? t("app.submit.n", { action: ACTION[action], n: n }) : t("app.submit.pick");
}

/* ---- the approval panel -------------------------------------------------------------- */

function currentAction() {
	const r = document.querySelector("input[name=action]:checked");
	return r ? r.value : "approve";
}

function buildPanel() {
	const f = S.form;
	const box = clear($("form-inputs"));
	clearPanelErrors();
	$("comment").value = "";
	$("assignee").value = "";
	document.querySelector("input[name=action][value=approve]").checked = true;
	const writable = f.fields.filter((x) => x.writable);
	if (!writable.length)
		add(box, el("p", { class: "hint" }, t("app.form.none")));
	for (const x of writable) {
		const id = "w-" + x.key;
		const hintId = id + "-hint";
		let input = null, hint = "";
		switch (x.type) {
		case "text":
			if (x.max_length > 200)
				input = el("textarea", { id: id, rows: 2, maxlength: x.max_length });
			else
				input = el("input", { type: "text", id: id, maxlength: x.max_length });
			hint = t("app.hint.maxlen", { n: x.max_length });
			break;
		case "number": {
			const step = x.decimals > 0 ? Math.pow(10, -x.decimals).toFixed(x.decimals) : "1";
			input = el("input", { type: "number", id: id, min: x.min, max: x.max, step: step,
				inputmode: x.decimals > 0 ? "decimal" : "numeric" });
			const parts = [];
			if (Math.abs(x.min) < 1e12)
				parts.push(t("app.hint.min", { n: x.min }));
			if (Math.abs(x.max) < 1e12)
				parts.push(t("app.hint.max", { n: x.max }));
			parts.push(x.decimals > 0 ? t("app.hint.decimals", { n: x.decimals }) : t("app.hint.integer"));
			hint = parts.join(t("app.hint.sep"));
			break;
		}
		case "date":
			input = el("input", { type: "date", id: id });
			break;
		case "select":
			input = el("select", { id: id });
			fillSelect(input, x, t("app.keep"));
			if (x.depends_on) {
				const parent = f.fields.find((p) => p.key === x.depends_on);
				const plabel = parent ? parent.label : x.depends_on;
				hint = parent && parent.writable ? t("app.hint.follows", { p: plabel }) :
					t("app.hint.grouped", { p: plabel });
			}
			break;
		case "user":
			input = el("input", { type: "text", id: id, maxlength: 128, autocomplete: "off",
				placeholder: t("app.user_ph") });
			break;
		default:
			hint = t("app.hint.table");
		}
		const wrap = el("div", { class: "field", "data-key": x.key });
		add(wrap, el("label", input ? { for: id } : {}, x.label,
			x.required ? el("span", { class: "req", title: t("app.required") }, "*") : null));
		if (input) {
			input.setAttribute("data-key", x.key);
			if (hint)
				input.setAttribute("aria-describedby", hintId);
			add(wrap, input);
		}
		if (hint)
			add(wrap, el("div", { class: "hint", id: hintId }, hint));
		add(wrap, el("div", { class: "field-error", hidden: true }));
		add(box, wrap);
	}
	/* Dependent selects follow their parent's value in the panel. */
	for (const x of writable) {
		if (x.type !== "select" || !x.depends_on)
			continue;
		const parentInput = $("w-" + x.depends_on);
		const child = $("w-" + x.key);
		if (!parentInput || !child)
			continue;
		parentInput.addEventListener("change", () => {
			const keep = child.value;
			fillSelect(child, x, t("app.keep"), parentInput.value);
			if ([...child.options].some((o) => o.value === keep))
				child.value = keep;
			child.dispatchEvent(new Event("change"));
		});
	}
	updateAction();
}

function updateAction() {
	const f = S.form;
	if (!f)
		return;
	const approve = currentAction() === "approve";
	const needAssignee = approve && f.next && f.next.choose;
	$("assignee-field").hidden = !needAssignee;
	if (f.next)
		$("assignee-hint").textContent = t("app.hint.assignee", { node: f.next.name });
	let h;
	if (approve)
		h = f.next ? t("app.hint.approve_next", { node: f.next.name }) : t("app.hint.approve_end");
	else
		h = f.prev ? t("app.hint.reject_prev", { node: f.prev.name }) : t("app.hint.reject_end");
	$("action-hint").textContent = h;
	updateSelection();
}

function clearPanelErrors() {
	const box = $("panel-errors");
	clear(box);
	box.hidden = true;
	for (const e of $("examine-form").querySelectorAll(".field-error")) {
		e.textContent = "";
		e.hidden = true;
	}
	for (const i of $("examine-form").querySelectorAll("[aria-invalid]"))
		i.removeAttribute("aria-invalid");
}

function detailText(d) {
	let where = "";
	if (d.row)
		where += t("app.detail.row", { row: d.row });
	if (d.column_label || d.column)
		where += (d.column_label || d.column) + " ";
	return where + (d.message || "");
}

function showPanelErrors(r) {
	clearPanelErrors();
	const e = (r.body && r.body.error) || {};
	const general = [];
	for (const d of e.details || []) {
		let key = d.field || "";
		if (key.startsWith("form."))
			key = key.slice(5);
		const wrap = key ? $("examine-form").querySelector('.field[data-key="' + CSS.escape(key) + '"]') : null;
		if (wrap) {
			const fe = wrap.querySelector(".field-error");
			fe.textContent = (fe.textContent ? fe.textContent + t("app.detail.sep") : "") + detailText(d);
			fe.hidden = false;
			const input = wrap.querySelector("input, select, textarea");
			if (input)
				input.setAttribute("aria-invalid", "true");
		} else {
			general.push(((d.label || d.field) ? t("app.detail.colon", { label: d.label || d.field }) : "") + detailText(d));
		}
	}
	const box = $("panel-errors");
	add(box, el("strong", {}, r.status === 422 ? t("app.submit.invalid") : t("app.submit.failed")),
		el("div", {}, errText(r)));
	if (general.length)
		add(box, el("ul", {}, general.map((g) => el("li", {}, g))));
	box.hidden = false;
	const first = $("examine-form").querySelector("[aria-invalid=true]");
	if (first)
		first.focus();
}

function collectForm() {
	const form = {};
	let any = false;
	for (const x of S.form.fields) {
		if (!x.writable)
			continue;
		const input = $("w-" + x.key);
		if (!input)
			continue;
		const raw = input.value;
		if (raw.trim() === "")
			continue;
		if (x.type === "number")
			form[x.key] = isFinite(Number(raw)) ? Number(raw) : raw;
		else if (x.type === "text")
			form[x.key] = raw;
		else
			form[x.key] = raw.trim();
		any = true;
	}
	return any ? form : null;
}

async function submitExamine(ev) {
	ev.preventDefault();
	if (!S.form || selectionCount() === 0)
		return;
	const action = currentAction();
	const body = { node_id: S.nodeId, examine: { action: action } };
	const comment = $("comment").value;
	if (comment.trim() !== "")
		body.examine.comment = comment;
	const form = collectForm();
	if (form)
		body.form = form;
	if (!$("assignee-field").hidden && $("assignee").value.trim() !== "")
		body.assignee = { user: $("assignee").value.trim() };
	if (S.allMatching) {
		body.filter = { node_id: S.nodeId };
		if (S.filter.keyword)
			body.filter.keyword = S.filter.keyword;
		if (S.filter.dept_id)
			body.filter.dept_id = S.filter.dept_id;
		if (Object.keys(S.filter.fields).length)
			body.filter.fields = S.filter.fields;
	} else {
		body.task_ids = [...S.selected.keys()];
	}
	const btn = $("examine-submit");
	btn.disabled = true;
	btn.textContent = t("app.submitting");
	const r = await apiCreate("/api/batch", body);
	if (r.status === 201 && r.body) {
		buildPanel();
		S.selected.clear();
		S.allMatching = false;
		flash(t("app.submitted", { id: r.body.batch_id, n: r.body.total }));
		location.hash = "#/batch/" + r.body.batch_id;
		return;
	}
	updateSelection();
	if (r.status !== 401)
		showPanelErrors(r);
}

/* ---- Excel ---------------------------------------------------------------------------- */

async function downloadTemplate(mode) {
	if (!S.nodeId)
		return;
	const p = { node_id: S.nodeId, mode: mode };
	if (!S.allMatching && S.selected.size > 0) {
		if (S.selected.size > TASK_IDS_MAX) {
			flash(t("app.tpl.too_many", { max: TASK_IDS_MAX }), true);
			return;
		}
		p.task_ids = [...S.selected.keys()].join(",");
	} else {
		Object.assign(p, filterParams());
	}
	await download("/api/batch/template?" + query(p),
		(S.form ? S.form.node_name : t("app.tpl.name")) + (mode === "multi" ? ".zip" : ".xlsx"));
}

async function submitImport(ev) {
	ev.preventDefault();
	const file = $("import-file").files[0];
	const out = clear($("import-result-body"));
	$("import-result").hidden = false;
	if (!file) {
		add(out, el("div", { class: "errors", role: "alert" }, t("app.import.pick")));
		return;
	}
	const dry = $("import-dry").checked;
	const fd = new FormData();
	fd.append("node_id", String(S.nodeId));
	if (dry)
		fd.append("dry_run", "1");
	fd.append("file", file, file.name);
	const btn = $("import-submit");
	btn.disabled = true;
	btn.textContent = dry ? t("app.import.checking") : t("app.import.uploading");
	add(out, el("p", { class: "muted" }, t("app.import.processing", { name: file.name })));
	const r = dry ? await api("POST", "/api/batch/import", fd) : await apiCreate("/api/batch/import", fd);
	btn.disabled = false;
	btn.textContent = t("app.upload");
	clear(out);
	if (r.status === 201 && r.body && r.body.batch_id) {
		flash(t("app.imported", { id: r.body.batch_id, n: r.body.total }));
		$("import-file").value = "";
		location.hash = "#/batch/" + r.body.batch_id;
		return;
	}
	if (r.status === 200 && r.body) {
		add(out, el("div", { class: "okbox", role: "status" },
			t("app.import.ok", { name: file.name, n: r.body.total || 0 })));
		return;
	}
	if (r.status === 401)
		return;
	const e = (r.body && r.body.error) || {};
	add(out, el("div", { class: "errors", role: "alert" },
		el("strong", {}, r.status === 422 ? t("app.import.invalid") : t("app.import.failed")),
		el("div", {}, errText(r))));
	const details = e.details || [];
	if (details.length) {
		const hasFile = details.some((d) => d.file);
		add(out, el("div", { class: "table-wrap" },
			el("table", { class: "grid", id: "import-errors" },
				el("caption", { class: "sr-only" }, t("app.import.caption")),
				el("thead", {}, el("tr", {},
					hasFile ? el("th", { scope: "col" }, t("app.col.file")) : null,
					el("th", { scope: "col" }, t("app.col.row")),
					el("th", { scope: "col" }, t("app.col.column")),
					el("th", { scope: "col" }, t("app.col.field")),
					el("th", { scope: "col" }, t("app.col.problem")))),
				el("tbody", {}, details.map((d) => el("tr", {},
					hasFile ? el("td", {}, d.file || "") : null,
					el("td", { class: "num" }, d.row === undefined ? "—" : d.row),
					el("td", {}, d.column || "—"),
					el("td", {}, d.label || d.field || "—"),
					el("td", { class: "wrap" }, d.message || "")))))));
	}
	$("import-result").scrollIntoView({ block: "nearest" });
}

/* ---- batch progress ------------------------------------------------------------------- */

function stopPolling() {
	if (S.batch && S.batch.timer) {
		clearTimeout(S.batch.timer);
		S.batch.timer = 0;
	}
}

function openBatch(id) {
	stopPolling();
	S.batch = { id: id, timer: 0, data: null, page: 1, lastDone: -1, chosen: false };
	$("batch-title").textContent = t("app.batch.title", { id: id });
	$("batch-status").textContent = "";
	$("batch-meta").textContent = t("app.loading");
	clear($("batch-counts"));
	clear($("details-body"));
	$("details-status").value = "";
	pollBatch(id);
}

async function pollBatch(id) {
	const b = S.batch;
	if (!b || b.id !== id || S.view !== "progress")
		return;
	const r = await api("GET", "/api/batch/" + id);
	if (S.batch !== b || S.view !== "progress")
		return;
	if (r.status !== 200) {
		if (r.status === 401)
			return;
		if (r.status === 404) {
			$("batch-meta").textContent = t("app.batch.none");
			return;
		}
		$("batch-meta").textContent = t("app.batch.load_failed", { msg: errText(r) });
		b.timer = setTimeout(() => pollBatch(id), 3 * POLL_MS);
		return;
	}
	const d = r.body;
	b.data = d;
	renderBatch(d);
	const running = d.status === "init" || d.status === "running" || d.pending > 0;
	const done = d.success + d.failed + d.ignored + d.cancelled + (d.superseded || 0);
	if (!running && !b.chosen) {
		b.chosen = true;
		$("details-status").value = d.failed > 0 ? "failed" : "";
		b.page = 1;
		b.lastDone = done;
		loadDetails();
	} else if (done !== b.lastDone) {
		b.lastDone = done;
		loadDetails();
	}
	if (running)
		b.timer = setTimeout(() => pollBatch(id), POLL_MS);
}

function renderBatch(d) {
	const st = BATCH_STATUS[d.status] || [d.status, ""];
	const s = $("batch-status");
	s.textContent = st[0];
	s.className = "tag " + st[1];
	const meta = [d.app_name + " / " + d.node_name, ACTION[d.action] || d.action,
		t("app.meta.source", { s: SOURCE[d.source] || d.source }), t("app.meta.submitted", { t: fmtTime(d.created) })];
	if (d.started)
		meta.push(t("app.meta.started", { t: fmtTime(d.started) }));
	if (d.finished)
		meta.push(t("app.meta.finished", { t: fmtTime(d.finished) }));
	if (d.comment)
		meta.push(t("app.meta.comment", { c: d.comment }));
	$("batch-meta").textContent = meta.join(" · ");
	const pct = Math.floor((d.progress || 0) * 1000) / 10;
	const share = (n) => (d.total > 0 ? (n * 100) / d.total : 0) + "%";
	$("bar-ok").style.width = share(d.success);
	$("bar-bad").style.width = share(d.failed);
	const other = d.ignored + d.cancelled + (d.superseded || 0);
	$("bar-other").style.width = share(other);
	$("batch-bar").setAttribute("aria-valuenow", String(pct));
	$("batch-bar").setAttribute("aria-valuetext",
		t("app.bar.text", { pct: pct, ok: d.success, bad: d.failed, other: other }));
	$("batch-pct").textContent = pct + "%";
	const running = d.status === "init" || d.status === "running";
	let eta = "";
	if (running && d.eta_seconds !== null && d.eta_seconds !== undefined && d.pending > 0)
		eta = t("app.eta.left", { d: fmtDuration(d.eta_seconds) });
	else if (running)
		eta = d.status === "init" ? t("app.eta.waiting") : t("app.eta.estimating");
	else if (d.started && d.finished)
		eta = t("app.eta.took", { d: fmtDuration((new Date(d.finished) - new Date(d.started)) / 1000) });
	$("batch-eta").textContent = eta;
	const counts = clear($("batch-counts"));
	for (const [label, v, cls] of [[t("app.count.total"), d.total, ""], [t("app.dst.success"), d.success, "ok"],
		[t("app.dst.failed"), d.failed, "bad"], [t("app.dst.ignored"), d.ignored, ""],
		[t("app.dst.cancelled"), d.cancelled, ""], [t("app.dst.superseded"), d.superseded || 0, ""],
		[t("app.dst.pending"), d.pending, ""]])
		add(counts, el("div", { class: cls, "data-count": label }, el("dt", {}, label), el("dd", {}, v)));
	$("batch-retry").disabled = running || d.failed === 0;
	$("batch-cancel").hidden = !running;
	$("batch-errors").disabled = d.failed === 0;
}

async function loadDetails() {
	const b = S.batch;
	if (!b)
		return;
	const status = $("details-status").value;
	const r = await api("GET", "/api/batch/" + b.id + "/details?" + query({ status: status, page: b.page, page_size: PAGE_SIZE }));
	if (S.batch !== b)
		return;
	const body = clear($("details-body"));
	if (r.status !== 200) {
		if (r.status !== 401)
			add(body, el("tr", {}, el("td", { class: "empty", colspan: 7 }, t("app.load_failed", { msg: errText(r) }))));
		return;
	}
	const items = r.body.items || [];
	if (!items.length)
		add(body, el("tr", {}, el("td", { class: "empty", colspan: 7 }, t("app.none"))));
	for (const it of items) {
		add(body, el("tr", { "data-task-id": it.task_id },
			el("td", { class: "num" }, it.task_id),
			el("td", { class: "wrap" }, it.title || "—"),
			el("td", {}, tag(DETAIL_STATUS, it.status)),
			el("td", { class: "wrap" }, it.reason || it.error || ""),
			el("td", { class: "num" }, it.retry_count || 0),
			el("td", { class: "num" }, it.row === undefined ? "—" : it.row),
			el("td", {}, fmtTime(it.finished))));
	}
	$("details-total").textContent = t("app.total", { n: r.body.total || 0 });
	renderPager($("details-pager"), b.page, PAGE_SIZE, r.body.total || 0, (pg) => { b.page = pg; loadDetails(); });
}

async function retryBatch() {
	const b = S.batch;
	if (!b)
		return;
	$("batch-retry").disabled = true;
	const r = await api("POST", "/api/batch/" + b.id + "/retry");
	if (r.status === 202) {
		flash(t("app.retried", { n: r.body.retrying }));
		b.chosen = false;
		stopPolling();
		pollBatch(b.id);
	} else if (r.status !== 401) {
		flash(t("app.retry_failed", { msg: errText(r) }), true);
		$("batch-retry").disabled = false;
	}
}

async function cancelBatch() {
	const b = S.batch;
	if (!b)
		return;
	$("batch-cancel").disabled = true;
	const r = await api("POST", "/api/batch/" + b.id + "/cancel");
	$("batch-cancel").disabled = false;
	if (r.status === 202) {
		flash(t("app.cancelled", { n: r.body.cancelled }));
		stopPolling();
		pollBatch(b.id);
	} else if (r.status !== 401) {
		flash(t("app.cancel_failed", { msg: errText(r) }), true);
	}
}

/* ---- my batches ----------------------------------------------------------------------- */

async function loadBatches() {
	const st = S.batches;
	st.status = $("batches-status").value;
	const body = clear($("batches-body"));
	const seq = st.seq = (st.seq || 0) + 1;
	const r = await api("GET", "/api/batches?" + query({ status: st.status, page: st.page, page_size: PAGE_SIZE }));
	if (seq !== st.seq)
		return;
	clear(body);
	if (r.status !== 200) {
		if (r.status !== 401)
			add(body, el("tr", {}, el("td", { class: "empty", colspan: 9 }, t("app.load_failed", { msg: errText(r) }))));
		return;
	}
	const items = r.body.items || [];
	if (!items.length)
		add(body, el("tr", {}, el("td", { class: "empty", colspan: 9 }, t("app.batches.none"))));
	for (const b of items) {
		const pct = Math.floor((b.progress || 0) * 1000) / 10;
		add(body, el("tr", {
			class: "clickable", "data-batch-id": b.batch_id,
			onclick: (e) => {
				if (e.target.tagName !== "A")
					location.hash = "#/batch/" + b.batch_id;
			},
		},
		el("td", {}, el("a", { href: "#/batch/" + b.batch_id }, "#" + b.batch_id)),
		el("td", {}, b.app_name + " / " + b.node_name),
		el("td", {}, ACTION[b.action] || b.action),
		el("td", {}, SOURCE[b.source] || b.source),
		el("td", {}, tag(BATCH_STATUS, b.status)),
		el("td", {}, el("span", { class: "mini-bar", "aria-hidden": "true" },
			el("div", { style: "width:" + pct + "%" })), pct + "%"),
		el("td", { class: "num" }, b.success),
		el("td", { class: "num" }, b.failed),
		el("td", {}, fmtTime(b.created))));
	}
	$("batches-total").textContent = t("app.batches.total", { n: r.body.total || 0 });
	renderPager($("batches-pager"), st.page, PAGE_SIZE, r.body.total || 0, (pg) => { st.page = pg; loadBatches(); });
}

/* ---- wiring --------------------------------------------------------------------------- */

function wire() {
	window.addEventListener("hashchange", route);
	$("login-retry").addEventListener("click", start);
	$("nodes-refresh").addEventListener("click", loadNodes);
	$("filter-form").addEventListener("submit", (e) => {
		e.preventDefault();
		S.filter = readFilters();
		S.page = 1;
		S.selected.clear();
		S.allMatching = false;
		loadTasks();
	});
	$("filter-reset").addEventListener("click", () => {
		$("f-keyword").value = "";
		$("f-dept").value = "";
		for (const i of $("filter-row").querySelectorAll(".dyn [data-key]"))
			i.value = "";
		S.filter = { keyword: "", dept_id: 0, fields: {} };
		S.page = 1;
		S.selected.clear();
		S.allMatching = false;
		loadTasks();
	});
	$("sel-all-matching").addEventListener("click", () => {
		S.allMatching = true;
		S.selected.clear();
		for (const b of $("tasks-body").querySelectorAll("input.row-check")) {
			b.checked = !b.closest("tr").classList.contains("locked");
			b.disabled = true;
		}
		updateSelection();
	});
	$("sel-clear").addEventListener("click", () => {
		S.allMatching = false;
		S.selected.clear();
		for (const tr of $("tasks-body").querySelectorAll("tr[data-task-id]")) {
			const b = tr.querySelector("input.row-check");
			b.checked = false;
			b.disabled = tr.classList.contains("locked");
		}
		updateSelection();
	});
	for (const r of document.querySelectorAll("input[name=action]"))
		r.addEventListener("change", updateAction);
	$("examine-form").addEventListener("submit", submitExamine);
	$("tpl-single").addEventListener("click", () => downloadTemplate("single"));
	$("tpl-multi").addEventListener("click", () => downloadTemplate("multi"));
	$("import-form").addEventListener("submit", submitImport);
	$("details-status").addEventListener("change", () => {
		if (S.batch) {
			S.batch.page = 1;
			loadDetails();
		}
	});
	$("batch-retry").addEventListener("click", retryBatch);
	$("batch-cancel").addEventListener("click", cancelBatch);
	$("batch-errors").addEventListener("click", () => {
		if (S.batch)
			download("/api/batch/" + S.batch.id + "/errors.xlsx", t("app.errors.file", { id: S.batch.id }));
	});
	$("batches-status").addEventListener("change", () => { S.batches.page = 1; loadBatches(); });
	$("batches-refresh").addEventListener("click", loadBatches);
}

async function start() {
	if (await loadMe()) {
		await processNav();
		tcNav();
		noticesLoad();
		crontabNav();
		await route();
	}
}

wire();
start();
