/* SPDX-License-Identifier: MIT */
/*
 * notices.js: the console's "batches ended since your last visit" notice, for every
 * user: at load it asks GET /api/me/notices and, when something finished or was
 * cancelled, shows a banner (#notices) with a link to each batch (#/batch/ID) and bulk
 * operation (#/process/op/ID), worded by its status (data-status on the link);
 * "dismiss" acknowledges what it showed (POST /api/me/notices with the list's until).
 * Every string goes through t() with keys "notices.*".  Uses the helpers of app.js.
 */
"use strict";

fbI18n.add("zh-CN", {
	"notices.title": "自上次访问以来有 {n} 项已结束：",
	"notices.batch": "批次 #{id}（{label}）已完成：成功 {success}，失败 {failed}，忽略 {ignored}",
	"notices.operation": "流程操作 #{id}（{label}）已完成：成功 {success}，失败 {failed}，忽略 {ignored}",
	"notices.batch.cancelled": "批次 #{id}（{label}）已取消：成功 {success}，失败 {failed}，忽略 {ignored}，取消 {cancelled}",
	"notices.operation.cancelled": "流程操作 #{id}（{label}）已取消：成功 {success}，失败 {failed}，忽略 {ignored}，取消 {cancelled}",
	"notices.more": "另有 {n} 项",
	"notices.dismiss": "知道了",
});
fbI18n.add("en", {
	"notices.title": "{n} ended since your last visit:",
	"notices.batch": "Batch #{id} ({label}) finished: {success} succeeded, {failed} failed, {ignored} ignored",
	"notices.operation": "Process operation #{id} ({label}) finished: {success} succeeded, {failed} failed, {ignored} ignored",
	"notices.batch.cancelled": "Batch #{id} ({label}) was cancelled: {success} succeeded, {failed} failed, {ignored} ignored, {cancelled} cancelled",
	"notices.operation.cancelled": "Process operation #{id} ({label}) was cancelled: {success} succeeded, {failed} failed, {ignored} ignored, {cancelled} cancelled",
	"notices.more": "and {n} more",
	"notices.dismiss": "Dismiss",
});

async function noticesLoad() {
	const box = $("notices");
	const r = await api("GET", "/api/me/notices");
	if (r.status !== 200 || !r.body || r.body.total === 0) {
		box.hidden = true;
		return;
	}
	const b = r.body;
	clear(box);
	const list = el("ul", { id: "notices-list" });
	for (const i of b.items) {
		const href = i.kind === "batch" ? "#/batch/" + i.id : "#/process/op/" + i.id;
		const key = "notices." + i.kind + (i.status === "cancelled" ? ".cancelled" : "");
		add(list, el("li", {}, el("a", { href: href, "data-kind": i.kind, "data-id": String(i.id),
			"data-status": i.status }, fbI18n.t(key, i)), " ", el("span", { class: "muted" }, fmtTime(i.finished))));
	}
	if (b.total > b.items.length)
		add(list, el("li", { class: "muted" }, fbI18n.t("notices.more", { n: b.total - b.items.length })));
	add(box, [
		el("p", {}, el("strong", {}, fbI18n.t("notices.title", { n: b.total }))),
		list,
		el("button", { type: "button", id: "notices-dismiss", class: "small", onclick: async () => {
			const a = await api("POST", "/api/me/notices", { until: b.until });
			if (a.status === 200)
				box.hidden = true;
			else
				flash(errText(a), true);
		} }, fbI18n.t("notices.dismiss")),
	]);
	box.hidden = false;
}
