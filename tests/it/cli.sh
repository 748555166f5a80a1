#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
# The command lines and the manual pages.  --help and --version of the three programs, and
# --help of every flowbatchctl command, answer with exit 0 on stdout without any
# configuration (no FLOWBATCH_* variable, and a FLOWBATCH_CONFIG that does not exist when
# set); a usage error exits 2 with the usage on stderr.  Every page renders with groff
# without a warning, flowbatchctl(8) describes every command, and flowbatch.conf(5)
# describes exactly the keys of `flowbatchctl config-keys` and is the page the program
# writes now.  Needs no services.
set -u -o pipefail

top_srcdir=${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}
top_builddir=${top_builddir:-$top_srcdir}
ctl=$top_builddir/runner/flowbatchctl
web=$top_builddir/web/flowbatch-web
runner=$top_builddir/runner/flowbatch-runner
pages=(flowbatch-web.8 flowbatch-runner.8 flowbatchctl.8 flowbatch.conf.5)
fails=0
n=0
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

ok() { n=$((n + 1)); echo "ok $n - $*"; }
bad() { n=$((n + 1)); fails=$((fails + 1)); echo "not ok $n - $*"; }

for p in "$ctl" "$web" "$runner"; do
	[[ -x $p ]] || { echo "not ok - $p is not built"; exit 1; }
done
command -v groff >/dev/null || { echo "not ok - groff is missing (Debian package groff-base)"; exit 1; }

# The environment of every run: PATH (the sanitizers' symbolizer) and the sanitizer
# options of an ASan build, nothing else.
clean_env=(PATH="$PATH")
for v in ASAN_OPTIONS UBSAN_OPTIONS LSAN_OPTIONS; do
	[[ -n ${!v:-} ]] && clean_env+=("$v=${!v}")
done

# bare ARGS...: run with that environment and, a second time, with FLOWBATCH_CONFIG naming a file that does not exist; both must
# agree.  Sets rc, out, err of the first run.
bare() {
	env -i "${clean_env[@]}" "$@" >"$tmp/out" 2>"$tmp/err"
	rc=$?
	out=$(cat "$tmp/out")
	err=$(cat "$tmp/err")
	env -i "${clean_env[@]}" FLOWBATCH_CONFIG="$tmp/missing.conf" "$@" >"$tmp/out2" 2>"$tmp/err2"
	if [[ $? != "$rc" ]] || ! cmp -s "$tmp/out" "$tmp/out2"; then
		rc=99
		err="$err (differs with FLOWBATCH_CONFIG set: $(head -c 300 "$tmp/err2"))"
	fi
}

# expect_help NAME ARGS...: exit 0, something on stdout starting with "usage:", nothing on
# stderr.
expect_help() {
	local what=$1
	shift
	bare "$@"
	if [[ $rc == 0 && $out == usage:* && -z $err ]]; then
		ok "$what: exit 0 with the usage on stdout"
	else
		bad "$what: exit $rc, stdout [${out:0:120}], stderr [${err:0:300}]"
	fi
}

# expect_usage_error NAME ARGS...: exit 2, the usage on stderr, nothing on stdout.
expect_usage_error() {
	local what=$1
	shift
	bare "$@"
	if [[ $rc == 2 && -z $out && $err == *usage:* ]]; then
		ok "$what: exit 2 with the usage on stderr"
	else
		bad "$what: exit $rc (want 2), stdout [${out:0:120}], stderr [${err:0:300}]"
	fi
}

version=
for p in "$ctl" "$web" "$runner"; do
	name=$(basename "$p")
	expect_help "$name --help" "$p" --help
	expect_help "$name -h" "$p" -h
	bare "$p" --version
	if [[ $rc == 0 && $out =~ ^$name\ \(flowbatch\)\ ([0-9][0-9A-Za-z.~+-]*)$ && -z $err ]]; then
		ok "$name --version: $out"
		version=${BASH_REMATCH[1]}
	else
		bad "$name --version: exit $rc, stdout [${out:0:120}], stderr [${err:0:300}]"
	fi
	expect_usage_error "$name --no-such-option" "$p" --no-such-option
done
expect_usage_error "flowbatch-web with an argument" "$web" extra
expect_usage_error "flowbatch-runner with an argument" "$runner" extra

# The commands, from the list of `flowbatchctl --help`: "  NAME   summary" (a name may be
# several words).
bare "$ctl" --help
commands=$(sed -nE '/^commands:/,/^[^ ]/s/^  ([a-z][a-z-]*( [a-z][a-z-]*)*)  +.*/\1/p' <<<"$out")
if [[ $(wc -l <<<"$commands") -ge 5 ]] && grep -qx migrate <<<"$commands" &&
	grep -qx config-keys <<<"$commands"; then
	ok "flowbatchctl --help lists $(wc -l <<<"$commands") commands"
else
	bad "flowbatchctl --help lists no commands I can read: [$commands]"
fi
while IFS= read -r c; do
	[[ -n $c ]] || continue
	read -ra words <<<"$c"
	expect_help "flowbatchctl $c --help" "$ctl" "${words[@]}" --help
	[[ $out == "usage: flowbatchctl [-c CONFIG] $c"* ]] ||
		bad "flowbatchctl $c --help does not show the command's synopsis: [${out:0:120}]"
	expect_help "flowbatchctl help $c" "$ctl" help "${words[@]}"
done <<<"$commands"
expect_help "flowbatchctl help" "$ctl" help
expect_usage_error "flowbatchctl without a command" "$ctl"
expect_usage_error "flowbatchctl no-such-command" "$ctl" no-such-command
expect_usage_error "flowbatchctl -c without its argument" "$ctl" -c
expect_usage_error "flowbatchctl config-keys --no-such-option" "$ctl" config-keys --no-such-option
# With a valid configuration, a command's unknown option is still a usage error.
good_env=(FLOWBATCH_AUTH_SECRET=0123456789abcdef0123)
for args in "seed --no-such-option 1" "token" "migrate extra" "enqueue noop"; do
	read -ra a <<<"$args"
	env -i "${clean_env[@]}" "${good_env[@]}" "$ctl" "${a[@]}" >"$tmp/out" 2>"$tmp/err"
	rc=$?
	if [[ $rc == 2 && ! -s $tmp/out ]] && grep -q usage: "$tmp/err"; then
		ok "flowbatchctl $args: exit 2 with the usage on stderr"
	else
		bad "flowbatchctl $args: exit $rc, stderr [$(head -c 300 "$tmp/err")]"
	fi
done
# Without any configuration, a command that needs one says so (exit 1), not a usage error.
bare "$ctl" migrate
if [[ $rc == 1 && $err == *auth.secret* ]]; then
	ok "flowbatchctl migrate without a configuration: exit 1 naming auth.secret"
else
	bad "flowbatchctl migrate without a configuration: exit $rc, stderr [${err:0:300}]"
fi

# The pages: built, with the paths filled in, rendered without a warning.
for pg in "${pages[@]}"; do
	f=$top_builddir/man/$pg
	if [[ ! -r $f ]]; then
		bad "man/$pg is not built"
		continue
	fi
	if grep -qE '@[a-zA-Z_]+@' "$f"; then
		bad "man/$pg keeps a placeholder: $(grep -oE '@[a-zA-Z_]+@' "$f" | sort -u | paste -sd' ')"
	fi
	if ! grep -q "\"flowbatch $version\"" "$f"; then
		bad "man/$pg does not carry the version $version"
	fi
	warnings=$(LC_ALL=C.UTF-8 groff -man -Tutf8 -ww -z "$f" 2>&1)
	text=$(LC_ALL=C.UTF-8 groff -man -Tutf8 -P-cbou "$f" 2>/dev/null)
	if [[ -z $warnings && $text == *NAME* && $text == *DESCRIPTION* ]]; then
		ok "man/$pg renders without warnings"
	else
		bad "man/$pg: groff says [${warnings:0:500}]"
	fi
done

# flowbatchctl(8) describes every command: a tag line ".B NAME" (words as \- escaped).
ctlpage=$top_builddir/man/flowbatchctl.8
while IFS= read -r c; do
	[[ -n $c ]] || continue
	if grep -qE "^\.B ${c//-/\\\\-}( |$)" "$ctlpage"; then
		:
	else
		bad "flowbatchctl(8) does not describe the command \"$c\" (a .TP entry \".B $c\")"
	fi
done <<<"$commands"

# flowbatch.conf(5) describes exactly the program's keys, each under a ".TP" with its name.
keys=$(env -i "${clean_env[@]}" "$ctl" config-keys | sort -u)
confpage=$top_builddir/man/flowbatch.conf.5
page_keys=$(awk 'prev == ".TP" && $1 == ".B" { print $2 } { prev = $0 }' "$confpage" |
	sed 's/\\-/-/g' | grep -E '^[a-z_]+\.[a-z_]+$' | sort -u)
if [[ -n $keys && $keys == "$page_keys" ]]; then
	ok "flowbatch.conf(5) describes the $(wc -l <<<"$keys") keys of flowbatchctl config-keys"
else
	bad "flowbatch.conf(5) and config-keys differ: $(diff <(echo "$keys") <(echo "$page_keys") | grep '^[<>]' | paste -sd' ')"
fi
text=$(LC_ALL=C.UTF-8 MANWIDTH=200 groff -man -Tutf8 -P-cbou -rLL=200n "$confpage" 2>/dev/null)
while IFS= read -r k; do
	sec=${k%%.*}
	env=FLOWBATCH_${k//./_}
	env=${env^^}
	grep -qF "$env" <<<"$text" || bad "flowbatch.conf(5) does not name $env"
	grep -qF "[$sec]" <<<"$text" || bad "flowbatch.conf(5) has no [$sec] section"
done <<<"$keys"
# The page shipped in the source tree (and the tarball) is what the program writes now.
if env -i "${clean_env[@]}" "$ctl" config-keys --man-template | cmp -s - "$top_srcdir/man/flowbatch.conf.5.in"; then
	ok "man/flowbatch.conf.5.in is what flowbatchctl config-keys --man-template writes"
else
	bad "man/flowbatch.conf.5.in is stale: make regenerates it from shared/config.c"
fi
# --man is the same page with this build's paths.
if env -i "${clean_env[@]}" "$ctl" config-keys --man | cmp -s - "$confpage"; then
	ok "flowbatchctl config-keys --man writes the installed page"
else
	bad "flowbatchctl config-keys --man differs from man/flowbatch.conf.5: $(env -i "${clean_env[@]}" "$ctl" config-keys --man | diff - "$confpage" | head -5 | paste -sd' ')"
fi

if ((fails > 0)); then
	echo "# cli: $fails problems"
	exit 1
fi
exit 0
