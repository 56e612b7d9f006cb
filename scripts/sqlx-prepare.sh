#!/usr/bin/env bash
# Regenerates .sqlx/, the query metadata that lets `sqlx::query!` check SQL at compile time
# without a database. Run it after changing a query or a migration, and commit .sqlx/.
#
# It needs no running database and no sqlx-cli: it starts a throwaway PostgreSQL cluster,
# applies migrations/, and compiles the crates that hold queries with the macros online.
source "$(dirname "$0")/lib.sh"

work="$(mktemp -d)"
chmod 755 "$work"
owner=()
if [ "$(id -u)" -eq 0 ]; then owner=(runuser -u postgres --); chown postgres "$work"; fi
cleanup() {
  "${owner[@]}" "${PG_BIN}/pg_ctl" -D "$work/data" -m immediate stop >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT

step "Starting a throwaway PostgreSQL cluster"
"${owner[@]}" "${PG_BIN}/initdb" -D "$work/data" -U vitrine --auth=trust >/dev/null
"${owner[@]}" "${PG_BIN}/pg_ctl" -D "$work/data" -l "$work/log" -w \
  -o "-k $work -c listen_addresses=''" start >/dev/null
psql_prepare() { psql -h "$work" -U vitrine -v ON_ERROR_STOP=1 -q "$@"; }
psql_prepare -d postgres -c "CREATE DATABASE prepare"
for migration in "${ROOT}"/migrations/*.sql; do
  psql_prepare -d prepare -f "$migration"
done

step "Compiling the query macros against it"
rm -rf "${ROOT}/.sqlx"
mkdir -p "${ROOT}/.sqlx"
# Force the macros to run again even when nothing changed since the last build.
touch "${ROOT}"/app/src/lib.rs "${ROOT}"/server/src/lib.rs
SQLX_OFFLINE=false SQLX_OFFLINE_DIR="${ROOT}/.sqlx" \
  DATABASE_URL="postgres://vitrine@localhost/prepare?host=${work}" \
  cargo check -q -p server --all-targets
note "$(ls "${ROOT}/.sqlx" | wc -l) queries recorded in .sqlx/"
