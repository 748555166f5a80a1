#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
# Every configuration key of the program is documented in README.md (the configuration
# table, one row per `section.key`) and in etc/flowbatch.conf.sample, and every key the
# README table names exists in the program.  Needs no services.
set -u -o pipefail

top_srcdir=${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}
top_builddir=${top_builddir:-$top_srcdir}
ctl=$top_builddir/runner/flowbatchctl
readme=$top_srcdir/README.md
sample=$top_srcdir/etc/flowbatch.conf.sample
fails=0
n=0

ok() { n=$((n + 1)); echo "ok $n - $*"; }
bad() { n=$((n + 1)); fails=$((fails + 1)); echo "not ok $n - $*"; }

[[ -x $ctl ]] || { echo "not ok - $ctl is not built"; exit 1; }
[[ -r $readme ]] || { echo "not ok - $readme is missing"; exit 1; }
[[ -r $sample ]] || { echo "not ok - $sample is missing"; exit 1; }

prog_keys=$("$ctl" config-keys) || { echo "not ok - flowbatchctl config-keys failed"; exit 1; }
prog_keys=$(printf '%s\n' "$prog_keys" | sed 's/[[:space:]]*$//' | grep -v '^$' | sort -u)
if [[ -z $prog_keys ]] || grep -qvE '^[a-z_]+\.[a-z_]+$' <<<"$prog_keys"; then
	echo "not ok - flowbatchctl config-keys printed something else than section.key lines:"
	printf '%s\n' "$prog_keys" | head -20
	exit 1
fi
ok "flowbatchctl config-keys lists $(printf '%s\n' "$prog_keys" | wc -l) keys"
sections=$(printf '%s\n' "$prog_keys" | cut -d. -f1 | sort -u | paste -sd'|')

# README table rows whose first cell is `section.key` (backticks optional) with a section
# the program knows.
readme_keys=$(sed -nE "s/^[[:space:]]*\|[[:space:]]*\`?(($sections)\.[a-z_]+)\`?[[:space:]]*\|.*/\1/p" "$readme" | sort -u)
if [[ -z $readme_keys ]]; then
	bad "README.md has no configuration table (rows like | \`db.conninfo\` | ... |)"
fi

while IFS= read -r k; do
	if grep -qxF "$k" <<<"$readme_keys"; then
		:
	else
		bad "$k is not documented in the README.md configuration table"
	fi
	sec=${k%%.*}
	name=${k#*.}
	# In the sample, under [sec]: "name = default" or a commented "# name = ...".
	if awk -v s="[$sec]" -v k="$name" '
		/^\[/ { in_s = ($0 == s); next }
		in_s && $0 ~ "^[#;]?[ \t]*" k "[ \t]*=" { found = 1 }
		END { exit !found }' "$sample"; then
		:
	else
		bad "$k is missing from etc/flowbatch.conf.sample"
	fi
done <<<"$prog_keys"

while IFS= read -r k; do
	[[ -n $k ]] || continue
	if ! grep -qxF "$k" <<<"$prog_keys"; then
		bad "README.md documents $k, which the program does not know"
	fi
done <<<"$readme_keys"

# The sample must not name keys the program does not know (it is loaded as is).
cur=
while IFS= read -r line; do
	if [[ $line =~ ^\[([a-z_]+)\]$ ]]; then
		cur=${BASH_REMATCH[1]}
	elif [[ $line =~ ^([a-z_]+)[[:space:]]*= ]]; then
		if ! grep -qxF "$cur.${BASH_REMATCH[1]}" <<<"$prog_keys"; then
			bad "etc/flowbatch.conf.sample sets $cur.${BASH_REMATCH[1]}, which the program does not know"
		fi
	fi
done <"$sample"

if ((fails > 0)); then
	echo "# config_documented: $fails problems"
	exit 1
fi
ok "README.md and etc/flowbatch.conf.sample document exactly the program's keys"
exit 0
