#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
# The example Prometheus alerting rules (etc/prometheus/flowbatch-alerts.yml): promtool
# accepts them (`promtool check rules`), they behave as their cases say (`promtool test
# rules` over tests/prometheus/flowbatch-alerts.test.yml), and every flowbatch_ series they
# name is one that /metrics writes (the names are taken from the sources).  Needs no
# services; promtool comes with Debian's prometheus package (dev/services installs it).
set -u -o pipefail

top_srcdir=${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}
rules=$top_srcdir/etc/prometheus/flowbatch-alerts.yml
cases=$top_srcdir/tests/prometheus/flowbatch-alerts.test.yml
fails=0
n=0
ok() { n=$((n + 1)); echo "ok $n - $*"; }
bad() { n=$((n + 1)); fails=$((fails + 1)); echo "not ok $n - $*"; }

if ! command -v promtool >/dev/null; then
	if [[ ${FB_ALLOW_SKIP:-0} == 1 ]]; then
		echo "SKIP: promtool is not installed"
		exit 77
	fi
	echo "not ok - promtool is not installed (Debian package prometheus; dev/services installs it)"
	exit 1
fi
tmp=$(mktemp -d) || exit 1
trap 'rm -rf "$tmp"' EXIT

if out=$(promtool check rules "$rules" 2>&1); then
	ok "promtool check rules: $(grep -o '[0-9]* rules found' <<<"$out")"
else
	bad "promtool check rules refused $rules: $out"
fi

# The cases name the rule file by an absolute path (a VPATH build reads the source tree).
{ echo "rule_files:"; echo "  - $rules"; cat "$cases"; } >"$tmp/cases.yml"
if out=$(promtool test rules "$tmp/cases.yml" 2>&1); then
	ok "promtool test rules: the cases pass"
else
	bad "promtool test rules: $out"
fi

# A rule over a series nobody writes would never fire: every flowbatch_ name in the rules
# (without the _total/_bucket/... a counter or histogram sample adds) is a family that
# web/handlers/metrics.c or shared/runners.c declares.
declared=$(cat "$top_srcdir/web/handlers/metrics.c" "$top_srcdir/shared/runners.c" |
	grep -o '"flowbatch_[a-z_]*"' | tr -d '"' | sort -u)
missing=
for name in $(grep -o 'flowbatch_[a-z_]*' "$rules" | sort -u); do
	base=$name
	grep -qx "$base" <<<"$declared" || base=$(sed -E 's/_(total|bucket|sum|count)$//' <<<"$name")
	grep -qx "$base" <<<"$declared" || missing="$missing $name"
done
if [[ -z $missing ]]; then
	ok "every series the rules name is written by /metrics"
else
	bad "series no one writes:$missing"
fi

((fails == 0)) && echo "# prometheus_rules: all $n checks passed" && exit 0
echo "# prometheus_rules: $fails of $n checks failed"
exit 1
