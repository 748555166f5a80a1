#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
# Migrations apply once: a second `flowbatchctl migrate` applies nothing and leaves the
# schema byte for byte as it was, and schema_migrations has one row per migration file.
# Runs on a fresh database of its own.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/it/lib.sh"

IT_DBNAME="it_migrate_$$"
it_test_cleanup() {
	FB_PGPORT=$FB_PGPORT svc_dropdb "$IT_DBNAME" >/dev/null 2>&1
}
svc_createdb "$IT_DBNAME" || it_bail "cannot create database $IT_DBNAME"
export FLOWBATCH_DB_CONNINFO="host=$FB_PGHOST port=$FB_PGPORT user=$FB_PGUSER dbname=$IT_DBNAME connect_timeout=5"

mapfile -t files < <(cd "$top_srcdir/migrations" && ls -1 -- *.sql | sort)
((${#files[@]} > 0)) || it_bail "no migrations in $top_srcdir/migrations"

dump() {
	PGCONNECT_TIMEOUT=5 pg_dump --schema-only --no-owner --no-privileges -h "$FB_PGHOST" \
		-p "$FB_PGPORT" -U "$FB_PGUSER" -d "$IT_DBNAME" |
		sed -E '/^\\(un)?restrict /d'
}

if it_ctl migrate >"$IT_DIR/migrate1.out" 2>&1; then
	it_ok "first migrate exits 0"
else
	cat "$IT_DIR/migrate1.out"
	it_bail "first migrate failed"
fi

rows=$(it_psql -c "SELECT count(*) FROM schema_migrations") || it_bail "no schema_migrations table"
it_assert_eq "${#files[@]}" "$rows" "schema_migrations has one row per file (${#files[@]})"

# Each row names one file: the version is the file name, its stem or its number.
versions=$(it_psql -c "SELECT version::text FROM schema_migrations ORDER BY 1")
for f in "${files[@]}"; do
	stem=${f%.sql}
	num=${stem%%_*}
	alts="$f|$stem|$num"
	[[ $num =~ ^[0-9]+$ ]] && alts="$alts|$((10#$num))"
	if grep -qxE "$alts" <<<"$versions"; then
		it_ok "migration $f is recorded"
	else
		it_fail "migration $f is not in schema_migrations (versions: $(echo $versions))"
	fi
done

dump >"$IT_DIR/schema1.sql" || it_bail "pg_dump failed"
before=$(it_psql -c "SELECT version::text || ' ' || applied_at::text FROM schema_migrations ORDER BY 1")

if it_ctl migrate >"$IT_DIR/migrate2.out" 2>&1; then
	it_ok "second migrate exits 0"
else
	cat "$IT_DIR/migrate2.out"
	it_fail "second migrate failed"
fi
dump >"$IT_DIR/schema2.sql" || it_bail "pg_dump failed"
after=$(it_psql -c "SELECT version::text || ' ' || applied_at::text FROM schema_migrations ORDER BY 1")

it_assert_eq "$before" "$after" "second migrate applies nothing (schema_migrations unchanged)"
if [[ $(cat "$IT_DIR/migrate2.out") =~ applied:\ *([0-9]+) ]]; then
	it_assert_eq 0 "${BASH_REMATCH[1]}" "second migrate reports 0 applied"
fi
if diff -u "$IT_DIR/schema1.sql" "$IT_DIR/schema2.sql" >"$IT_DIR/schema.diff"; then
	it_ok "schema identical after the second migrate"
else
	head -50 "$IT_DIR/schema.diff"
	it_fail "schema changed on the second migrate"
fi
if [[ $(wc -l <"$IT_DIR/schema1.sql") -gt 20 ]]; then
	it_ok "pg_dump saw a schema"
else
	it_fail "pg_dump output is suspiciously small"
fi

it_done
