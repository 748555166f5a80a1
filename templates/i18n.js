/* SPDX-License-Identifier: MIT */
/*
 * i18n.js: the console's languages, zh-CN and en.  Each page registers its strings with
 * fbI18n.add(lang, {key: text, ...}); t(key, params) gives the text in the reader's
 * language with every {name} replaced by params.name, falling back to zh-CN and then to
 * the key itself.  The language is the one chosen with the switch (kept in localStorage
 * under "flowbatch.lang"), else the browser's first zh or en language, else zh-CN.
 * Static text in index.html carries its key: data-i18n="key" (the element's text),
 * data-i18n-title, data-i18n-placeholder, data-i18n-aria-label (those attributes);
 * apply(root) fills them in, once for the whole page when it has loaded.
 * Loaded before every other script of the console.
 */
"use strict";

const fbI18n = (() => {
	const LANGS = ["zh-CN", "en"];
	const KEY = "flowbatch.lang";
	const dicts = { "zh-CN": {}, en: {} };

	function pick() {
		let saved = null;
		try { saved = localStorage.getItem(KEY); } catch (e) { saved = null; }
		if (LANGS.includes(saved))
			return saved;
		for (const l of navigator.languages || [navigator.language || ""]) {
			const low = String(l).toLowerCase();
			if (low.startsWith("zh"))
				return "zh-CN";
			if (low.startsWith("en"))
				return "en";
		}
		return "zh-CN";
	}

	const lang = pick();

	function fill(text, params) {
		if (!params)
			return text;
		return text.replace(/\{(\w+)\}/g, (m, name) =>
			Object.prototype.hasOwnProperty.call(params, name) ? String(params[name]) : m);
	}

	return {
		langs: LANGS,
		get lang() { return lang; },
		add(l, dict) {
			if (!dicts[l])
				throw new Error("i18n: unknown language " + l);
			Object.assign(dicts[l], dict);
		},
		t(key, params) {
			const text = dicts[lang][key] ?? dicts["zh-CN"][key] ?? key;
			return fill(text, params);
		},
		apply(root) {
			for (const e of root.querySelectorAll("[data-i18n]"))
				e.textContent = this.t(e.dataset.i18n);
			for (const a of ["title", "placeholder", "aria-label"]) {
				const d = "data-i18n-" + a;
				for (const e of root.querySelectorAll("[" + d + "]"))
					e.setAttribute(a, this.t(e.getAttribute(d)));
			}
		},
		set(l) {
			if (!LANGS.includes(l))
				return;
			try { localStorage.setItem(KEY, l); } catch (e) { /* private mode: this page only */ }
			location.reload();
		},
	};
})();

document.addEventListener("DOMContentLoaded", () => {
	document.documentElement.lang = fbI18n.lang;
	fbI18n.apply(document);
});

function t(key, params) {
	return fbI18n.t(key, params);
}
