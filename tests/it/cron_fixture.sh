# SPDX-License-Identifier: MIT
# tests/it/cron_fixture.sh: what the scheduler tests share, sourced after lib.sh and
# batch_fixture.sh.  cron_clock exports the test clock (60 times real time from now: a
# crontab minute is a real second) and the scheduler settings of the tests; cron_setup
# (after the web is up) makes an admin ($tok) and a plain user ($utok).
cron_clock() {
	SPEED=60
	BASE=$(date +%s)
	export FLOWBATCH_SCHEDULER_CLOCK_BASE=$BASE FLOWBATCH_SCHEDULER_CLOCK_SPEED=$SPEED \
		FLOWBATCH_SCHEDULER_LOCK_TTL_MS=3000 FLOWBATCH_SCHEDULER_MISFIRE_GRACE_SECONDS=600 \
		FLOWBATCH_SCHEDULER_CATCH_UP_MAX=50 FLOWBATCH_BATCH_RECOVER_INTERVAL_SECONDS=3600
}

# The scheduler's clock, as the runners read it.
fake_now() {
	echo $((BASE + ($(date +%s) - BASE) * SPEED))
}

cron_setup() { # LOGIN-PREFIX
	admin="${1}_admin_$$"
	user="${1}_user_$$"
	it_sql "INSERT INTO users (login, name, is_admin) VALUES (:'a', '管理员', true), (:'u', '用户', false)" \
		a="$admin" u="$user" >/dev/null || it_bail "cannot insert users"
	tok=$(it_token "$admin") || it_bail "token"
	utok=$(it_token "$user") || it_bail "token"
}

# sql_is OP N SQL: the count SQL returns compares with N (for it_wait_for: run anew each time).
sql_is() {
	local v
	v=$(it_psql -c "$3") || return 1
	test "$v" "$1" "$2"
}
api() { # METHOD PATH [BODY], as the admin
	if [[ -n ${3:-} ]]; then
		it_curl "$1" "$2" -H "Authorization: Bearer $tok" -H 'Content-Type: application/json' \
			--data-binary "$3"
	else
		it_curl "$1" "$2" -H "Authorization: Bearer $tok"
	fi
}
