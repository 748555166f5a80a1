/* SPDX-License-Identifier: MIT */
/*
 * i18n.js: the console's languages, zh-CN and en.  Each page registers its strings with
 * fbI18n.add(lang, {key: text, ...}); t(key, params) gives the text in the reader's
 * language with every {name} replaced by params.name, falling back to zh-CN and then to
 * the key itself.  The language is the one chosen with the switch (kept in localStorage
 * under "flowbatch.lang"), else the browser's first zh or en language, else zh-CN.
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
		set(l) {
			if (!LANGS.includes(l))
				return;
			try { localStorage.setItem(KEY, l); } catch (e) { /* private mode: this page only */ }
			location.reload();
		},
	};
})();

function t(key, params) {
	return fbI18n.t(key, params);
}
