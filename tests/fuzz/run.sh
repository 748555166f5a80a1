#!/bin/sh
# SPDX-License-Identifier: MIT
# Build a libFuzzer harness with ASan+UBSan and run it for a while on a copy of its seed
# corpus:  tests/fuzz/run.sh xlsx|multipart|cron SECONDS [extra libFuzzer flags...]
# Exits non-zero when the fuzzer finds a crash, a leak or a timeout; the reproducer is left
# in the work directory (FUZZ_WORKDIR, default a fresh /tmp/flowbatch-fuzz-NAME.XXXXXX).
set -eu

usage() {
	echo "usage: $0 xlsx|multipart|cron SECONDS [libFuzzer flags...]" >&2
	exit 2
}

[ $# -ge 2 ] || usage
name=$1
secs=$2
shift 2
case $secs in '' | *[!0-9]*) usage ;; esac

top=$(cd "$(dirname "$0")/../.." && pwd)
case $name in
xlsx)
	srcs="shared/err.c shared/mem.c shared/msg.c shared/msg_catalogue.c shared/utf8.c shared/xlsx_read.c
		shared/xlsx_part.c shared/xlsx_sst.c shared/xlsx_styles.c shared/xlsx_sheet.c"
	pkgs="libzip libxml-2.0 json-c"
	;;
multipart)
	srcs="shared/err.c shared/mem.c shared/msg.c shared/msg_catalogue.c shared/utf8.c web/multipart.c"
	pkgs="json-c"
	;;
cron)
	srcs="shared/err.c shared/mem.c shared/msg.c shared/msg_catalogue.c shared/utf8.c shared/tz.c shared/cron.c"
	pkgs="json-c"
	;;
*) usage ;;
esac

CLANG=${CLANG:-clang}
command -v "$CLANG" >/dev/null || { echo "$0: $CLANG not found" >&2; exit 1; }
work=${FUZZ_WORKDIR:-$(mktemp -d "/tmp/flowbatch-fuzz-$name.XXXXXX")}
mkdir -p "$work/corpus"

set -- -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 -max_len=65536 \
	-print_final_stats=1 -artifact_prefix="$work/" "$@"

# shellcheck disable=SC2046,SC2086
(cd "$top" && "$CLANG" -std=gnu11 -g -O1 -D_GNU_SOURCE \
	-fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all \
	-Ishared -Iweb $(pkg-config --cflags $pkgs) \
	"tests/fuzz/fuzz_$name.c" $srcs -o "$work/fuzz_$name" $(pkg-config --libs $pkgs) -lm)

cp "$top/tests/fuzz/corpus/$name/"* "$work/corpus/"
echo "fuzz_$name: ${secs}s in $work" >&2
status=0
UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
	"$work/fuzz_$name" "$@" "$work/corpus" || status=$?
if [ "$status" -ne 0 ]; then
	echo "fuzz_$name: FAILED (exit $status); reproducer in $work" >&2
	exit 1
fi
echo "fuzz_$name: ok, corpus $(ls "$work/corpus" | wc -l) inputs" >&2
