# SPDX-License-Identifier: MIT
# tests/it/lib.sh: sourced by each integration test (tests/it/*.sh).
#
# A test runs against the real PostgreSQL and Redis that dev/test (or dev/up) started: their
# coordinates come from the env file named by $FB_TEST_ENV (dev/services writes it).  Without
# it the test fails loudly; it is skipped (exit 77) only when FB_ALLOW_SKIP=1, as under
# `make distcheck`, which has no services.
#
# Each test gets its own temp dir, Redis key prefix (it-<name>-<pid>), flowbatch.conf,
# FastCGI socket and nginx port, so tests run in parallel; they share one database per build
# ($FB_DBNAME, migrated under a lock).  Everything a test starts is stopped by the EXIT trap,
# which also prints the logs (web, runner, nginx) when the test failed or a sanitizer spoke.
#
# Functions: it_migrate, it_migrations_before, it_start_web, it_stop_web, it_start_nginx,
# it_start_runner, it_stop_runner, it_wait_exit, it_token, it_curl, it_psql, it_sql, it_redis,
# it_json, it_wait_for, it_ok, it_fail, it_assert_eq, it_assert_match, it_assert_status, it_done.

set -u
set -o pipefail

IT_NAME=$(basename "$0" .sh)

if [[ -z ${FB_TEST_ENV:-} ]]; then
	if [[ ${FB_ALLOW_SKIP:-0} == 1 ]]; then
		echo "SKIP: $IT_NAME: FB_TEST_ENV is not set (no PostgreSQL/Redis for integration tests)"
		exit 77
	fi
	echo "FAIL: $IT_NAME: FB_TEST_ENV is not set." >&2
	echo "  Integration tests need PostgreSQL and Redis: run dev/test, or start services with" >&2
	echo "  'dev/services start DIR' and set FB_TEST_ENV=DIR/env.  FB_ALLOW_SKIP=1 skips instead." >&2
	exit 1
fi
if [[ ! -r $FB_TEST_ENV ]]; then
	echo "FAIL: $IT_NAME: FB_TEST_ENV=$FB_TEST_ENV is not readable" >&2
	exit 1
fi
# shellcheck disable=SC1090
. "$FB_TEST_ENV"

if [[ -z ${top_srcdir:-} ]]; then
	top_srcdir=$(cd "$(dirname "$0")/../.." && pwd)
fi
if [[ -z ${top_builddir:-} ]]; then
	top_builddir=$top_srcdir
fi
top_srcdir=$(cd "$top_srcdir" && pwd)
top_builddir=$(cd "$top_builddir" && pwd)

FB_LOG_TAG=$IT_NAME
# shellcheck disable=SC1091
. "$top_srcdir/dev/services"

IT_WEB_BIN=$top_builddir/web/flowbatch-web
IT_RUNNER_BIN=$top_builddir/runner/flowbatch-runner
IT_CTL_BIN=$top_builddir/runner/flowbatchctl

# A short temp dir: unix socket paths are limited to 107 bytes.
IT_TMPROOT=${TMPDIR:-/tmp}
((${#IT_TMPROOT} > 40)) && IT_TMPROOT=/tmp
IT_DIR=$(mktemp -d "$IT_TMPROOT/fb-it-$IT_NAME.XXXXXX") || exit 1
chmod 0755 "$IT_DIR"
IT_PREFIX="it-$IT_NAME-$$"
IT_SOCK=$IT_DIR/web.sock
IT_CONF=$IT_DIR/flowbatch.conf
IT_SECRET=$(head -c 24 /dev/urandom | base64 | tr -d '/+=\n')
IT_FAILS=0
IT_COUNT=0
IT_WEB_PID=
IT_RUNNER_PID=
IT_RUNNER_N=0
IT_PIDS=()
IT_NGINX_PREFIX=
IT_BASE=
IT_STATUS=
IT_BODY=
IT_HEADERS=

cat >"$IT_CONF" <<EOF
# written by tests/it/lib.sh for $IT_NAME
[db]
conninfo = $FLOWBATCH_DB_CONNINFO
[redis]
host = 127.0.0.1
port = $FB_REDIS_PORT
prefix = $IT_PREFIX
[web]
listen = $IT_SOCK
threads = 4
tmpdir = $IT_DIR
# Tests change users rows (is_admin...) between requests: a lookup per request here;
# tests/it/api_auth.sh runs a web with the reuse on.
user_cache_ms = 0
[auth]
secret = $IT_SECRET
[runner]
block_ms = 200
[paths]
migrations = $top_srcdir/migrations
[log]
level = debug
EOF
export FLOWBATCH_CONFIG=$IT_CONF
export FLOWBATCH_REDIS_PREFIX=$IT_PREFIX
export FLOWBATCH_PATHS_MIGRATIONS=$top_srcdir/migrations
unset FLOWBATCH_WEB_LISTEN FLOWBATCH_AUTH_SECRET

# --- results ----------------------------------------------------------------------------

it_ok() {
	IT_COUNT=$((IT_COUNT + 1))
	echo "ok $IT_COUNT - $*"
}

it_fail() {
	IT_COUNT=$((IT_COUNT + 1))
	IT_FAILS=$((IT_FAILS + 1))
	echo "not ok $IT_COUNT - $*"
}

# it_browser_checks: the lines a browser script (tests/it/cdp.py) prints, read from stdin,
# as this test's checks: "ok|msg", "fail|msg", "var|NAME=VALUE" (CHROMIUM_PID is stopped
# at exit; any other NAME becomes a shell variable); anything else is shown as a comment.
it_browser_checks() {
	local kind msg name
	while IFS='|' read -r kind msg; do
		case $kind in
		ok) it_ok "$msg" ;;
		fail) it_fail "$msg" ;;
		var)
			name=${msg%%=*}
			if [[ $name == CHROMIUM_PID ]]; then
				IT_PIDS+=("${msg#*=}")
			elif [[ $name =~ ^[A-Z_][A-Z0-9_]*$ ]]; then
				printf -v "$name" '%s' "${msg#*=}"
			else
				echo "# var $msg"
			fi
			;;
		*) echo "# $kind $msg" ;;
		esac
	done
}

# it_bail MSG: a failure that makes the rest of the test meaningless.
it_bail() {
	it_fail "$*"
	exit 1
}

# it_assert_eq EXPECTED ACTUAL MSG
it_assert_eq() {
	if [[ $1 == "$2" ]]; then
		it_ok "$3"
	else
		it_fail "$3: expected [$1], got [$2]"
		return 1
	fi
}

# it_assert_match REGEX ACTUAL MSG
it_assert_match() {
	if [[ $2 =~ $1 ]]; then
		it_ok "$3"
	else
		it_fail "$3: [$2] does not match /$1/"
		return 1
	fi
}

# it_assert_status CODE MSG: checks IT_STATUS of the last it_curl.
it_assert_status() {
	if [[ $IT_STATUS == "$1" ]]; then
		it_ok "$2 (HTTP $1)"
	else
		it_fail "$2: expected HTTP $1, got $IT_STATUS; body: ${IT_BODY:0:500}"
		return 1
	fi
}

# it_done: exit with the verdict (the EXIT trap does the rest).
it_done() {
	if ((IT_FAILS > 0)); then
		echo "# $IT_NAME: $IT_FAILS of $IT_COUNT checks failed"
		exit 1
	fi
	echo "# $IT_NAME: all $IT_COUNT checks passed"
	exit 0
}

# --- helpers ----------------------------------------------------------------------------

# it_wait_for SECONDS CMD...: run CMD every 0.1 s until it succeeds; false on timeout.
it_wait_for() {
	local limit=$1 end
	shift
	end=$(($(date +%s%N) / 1000000 + limit * 1000))
	while (($(date +%s%N) / 1000000 < end)); do
		"$@" && return 0
		sleep 0.1
	done
	"$@"
}

# it_wait_exit PID SECONDS: wait for a child to exit; its status, or 124 on timeout.
it_wait_exit() {
	local pid=$1 limit=$2 end st
	end=$(($(date +%s%N) / 1000000 + limit * 1000))
	while (($(date +%s%N) / 1000000 < end)); do
		st=$(awk '{print $3}' "/proc/$pid/stat" 2>/dev/null || echo gone)
		if [[ $st == Z || $st == gone ]]; then
			wait "$pid" 2>/dev/null
			return $?
		fi
		sleep 0.05
	done
	return 124
}

# it_json PATH: read JSON on stdin, print the value at PATH (dot separated, e.g.
# error.code or items.0.id); strings raw, others as JSON; exit 1 when absent or not JSON.
it_json() {
	/usr/bin/python3 -c '
import json, sys
try:
    v = json.loads(sys.stdin.buffer.read().decode("utf-8"))
except Exception:
    sys.exit(1)
for p in [x for x in sys.argv[1].split(".") if x]:
    if isinstance(v, list) and p.isdigit() and int(p) < len(v):
        v = v[int(p)]
    elif isinstance(v, dict) and p in v:
        v = v[p]
    else:
        sys.exit(1)
sys.stdout.write(v if isinstance(v, str) else json.dumps(v, ensure_ascii=False))
' "$1"
}

# it_psql ARGS...: psql to the shared test database (unaligned, tuples only).
it_psql() {
	PGCONNECT_TIMEOUT=5 psql -X -q -A -t -v ON_ERROR_STOP=1 -h "$FB_PGHOST" -p "$FB_PGPORT" \
		-U "$FB_PGUSER" -d "${IT_DBNAME:-$FB_DBNAME}" "$@"
}

# it_sql SQL [NAME=VALUE...]: run SQL with psql variables (use :'NAME' in SQL).
it_sql() {
	local sql=$1 a args=()
	shift
	for a in "$@"; do
		args+=(-v "$a")
	done
	printf '%s\n' "$sql" | it_psql "${args[@]}"
}

# it_redis ARGS...: redis-cli on the test Redis.
it_redis() {
	redis-cli -h 127.0.0.1 -p "$FB_REDIS_PORT" "$@"
}

# it_ctl ARGS...: flowbatchctl with the test config.
it_ctl() {
	"$IT_CTL_BIN" -c "$IT_CONF" "$@"
}

# it_migrate: migrate the shared test database (serialized between parallel tests).
it_migrate() {
	flock "$FB_TEST_ENV.lock" "$IT_CTL_BIN" -c "$IT_CONF" migrate >>"$IT_DIR/migrate.log" 2>&1 ||
		{ cat "$IT_DIR/migrate.log"; it_bail "flowbatchctl migrate failed"; }
}

# it_migrations_before N: the migrations before number N only, in a directory of the
# test's own that FLOWBATCH_PATHS_MIGRATIONS then names (a database as an older version
# left it; export FLOWBATCH_PATHS_MIGRATIONS=$top_srcdir/migrations to go on).
it_migrations_before() {
	local dir=$IT_DIR/migrations.before-$1 f n
	mkdir -p "$dir"
	for f in "$top_srcdir"/migrations/*.sql; do
		n=$(basename "$f")
		((10#${n%%_*} < $1)) && cp "$f" "$dir/"
	done
	export FLOWBATCH_PATHS_MIGRATIONS=$dir
}

# it_token LOGIN [TTL]: print a login token.
it_token() {
	if [[ -n ${2:-} ]]; then
		"$IT_CTL_BIN" -c "$IT_CONF" token "$1" --ttl "$2"
	else
		"$IT_CTL_BIN" -c "$IT_CONF" token "$1"
	fi
}

# it_start_web: flowbatch-web on the test's own socket.
it_start_web() {
	[[ -x $IT_WEB_BIN ]] || it_bail "$IT_WEB_BIN is not built"
	rm -f "$IT_SOCK"
	"$IT_WEB_BIN" -c "$IT_CONF" >>"$IT_DIR/web.log" 2>&1 </dev/null &
	IT_WEB_PID=$!
	IT_PIDS+=("$IT_WEB_PID")
	if ! it_wait_for 20 test -S "$IT_SOCK"; then
		it_bail "flowbatch-web did not create $IT_SOCK"
	fi
	svc_pid_alive "$IT_WEB_PID" || it_bail "flowbatch-web exited at start"
}

# it_stop_web: SIGTERM; the web must exit 0 within 15 s.
it_stop_web() {
	local st
	[[ -n $IT_WEB_PID ]] || return 0
	kill -TERM "$IT_WEB_PID" 2>/dev/null
	it_wait_exit "$IT_WEB_PID" 15
	st=$?
	if ((st == 124)); then
		kill -KILL "$IT_WEB_PID" 2>/dev/null
		wait "$IT_WEB_PID" 2>/dev/null
		it_fail "flowbatch-web did not stop within 15 s of SIGTERM"
	elif ((st != 0)); then
		it_fail "flowbatch-web exited with status $st after SIGTERM"
	fi
	IT_WEB_PID=
}

# it_start_nginx: nginx in front of the web, on a free port; sets IT_BASE.
it_start_nginx() {
	IT_NGINX_PREFIX=$IT_DIR/nginx
	fb_nginx_start "$top_srcdir" "$IT_NGINX_PREFIX" "$IT_SOCK" "$top_srcdir/templates" ||
		it_bail "nginx did not start"
	IT_BASE=http://127.0.0.1:$FB_NGINX_PORT
}

# it_start_runner [NAME=VALUE...]: a flowbatch-runner with extra environment; sets
# IT_RUNNER_PID and its log IT_RUNNER_LOG.
it_start_runner() {
	[[ -x $IT_RUNNER_BIN ]] || it_bail "$IT_RUNNER_BIN is not built"
	IT_RUNNER_N=$((IT_RUNNER_N + 1))
	IT_RUNNER_LOG=$IT_DIR/runner.$IT_RUNNER_N.log
	env "$@" "$IT_RUNNER_BIN" -c "$IT_CONF" >>"$IT_RUNNER_LOG" 2>&1 </dev/null &
	IT_RUNNER_PID=$!
	IT_PIDS+=("$IT_RUNNER_PID")
	sleep 0.3
	svc_pid_alive "$IT_RUNNER_PID" || it_bail "flowbatch-runner exited at start"
}

# it_stop_runner [SIGNAL] [SECONDS]: signal the runner and wait; returns its exit status
# (124 when it did not exit in time: then it is killed).
it_stop_runner() {
	local sig=${1:-TERM} limit=${2:-30} st
	[[ -n $IT_RUNNER_PID ]] || return 0
	kill "-$sig" "$IT_RUNNER_PID" 2>/dev/null
	it_wait_exit "$IT_RUNNER_PID" "$limit"
	st=$?
	if ((st == 124)); then
		kill -KILL "$IT_RUNNER_PID" 2>/dev/null
		wait "$IT_RUNNER_PID" 2>/dev/null
	fi
	IT_RUNNER_PID=
	return "$st"
}

# it_curl METHOD PATH [CURL ARGS...]: a request through nginx.  Sets IT_STATUS, IT_BODY and
# IT_HEADERS (the response headers); prints nothing.  It sends Accept-Language: $IT_LANG,
# en unless set (the checks of the suite read English messages); IT_LANG= sends none.
it_curl() {
	local method=$1 path=$2 lang=${IT_LANG-en}
	local -a al=()
	shift 2
	[ -n "$lang" ] && al=(-H "Accept-Language: $lang")
	: >"$IT_DIR/curl.body"
	: >"$IT_DIR/curl.headers"
	IT_STATUS=$(curl -sS -g --max-time 60 -X "$method" -o "$IT_DIR/curl.body" \
		-D "$IT_DIR/curl.headers" -w '%{http_code}' "${al[@]}" "$@" "$IT_BASE$path" \
		2>"$IT_DIR/curl.err") ||
		IT_STATUS="curl-error:$(cat "$IT_DIR/curl.err")"
	IT_BODY=$(cat "$IT_DIR/curl.body")
	IT_HEADERS=$(tr -d '\r' <"$IT_DIR/curl.headers")
}

# it_header NAME: the value of a response header of the last it_curl (case-insensitive).
it_header() {
	printf '%s\n' "$IT_HEADERS" | awk -v n="$1" -F': ' 'tolower($1) == tolower(n) { sub(/^[^:]*: /, ""); print; exit }'
}

# --- cleanup ----------------------------------------------------------------------------

it_dump_logs() {
	local f
	for f in "$IT_DIR"/web.log "$IT_DIR"/runner.*.log "$IT_DIR"/migrate.log \
		"$IT_DIR"/nginx/logs/error.log; do
		[[ -s $f ]] || continue
		echo "#### $f (last 150 lines)"
		tail -n 150 "$f"
	done
}

it_cleanup() {
	local rc=$? pid dirty=0 keys
	trap - EXIT
	set +e
	if [[ -n $IT_RUNNER_PID ]]; then
		it_stop_runner TERM 20
		pid=$?
		if ((pid != 0)); then
			it_fail "flowbatch-runner exited with status $pid after SIGTERM (at cleanup)"
		fi
	fi
	if [[ -n $IT_WEB_PID ]]; then
		it_stop_web
	fi
	for pid in "${IT_PIDS[@]}"; do
		if svc_pid_alive "$pid"; then
			kill -KILL "$pid" 2>/dev/null
		fi
		wait "$pid" 2>/dev/null
	done
	if [[ -n $IT_NGINX_PREFIX ]]; then
		fb_nginx_stop "$IT_NGINX_PREFIX"
	fi
	# Sanitizer reports in any log fail the test, whatever it asserted.
	if grep -l -E 'ERROR: (Address|Leak|Thread|Memory)Sanitizer|runtime error:' \
		"$IT_DIR"/*.log >/dev/null 2>&1; then
		it_fail "sanitizer report in $(grep -l -E 'ERROR: (Address|Leak|Thread|Memory)Sanitizer|runtime error:' "$IT_DIR"/*.log | tr '\n' ' ')"
		dirty=1
	fi
	if ((IT_FAILS > 0)); then
		dirty=1
	fi
	if ((rc != 0 && rc != 77)); then
		dirty=1
	fi
	# Drop this test's Redis keys.
	keys=$(it_redis --scan --pattern "$IT_PREFIX:*" 2>/dev/null)
	if [[ -n $keys ]]; then
		printf '%s\n' "$keys" | xargs -r -d '\n' redis-cli -h 127.0.0.1 -p "$FB_REDIS_PORT" DEL >/dev/null 2>&1
	fi
	if [[ $(type -t it_test_cleanup) == function ]]; then
		it_test_cleanup
	fi
	if ((dirty)); then
		it_dump_logs
		((rc == 0)) && rc=1
	fi
	if [[ ${FB_KEEP:-0} == 1 || $dirty == 1 && ${FB_KEEP_FAILED:-0} == 1 ]]; then
		echo "# kept $IT_DIR"
	else
		rm -rf "$IT_DIR"
	fi
	exit "$rc"
}
trap it_cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
