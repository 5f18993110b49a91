#!/bin/sh
# Runs once, when the PostgreSQL volume is first initialised: the role the API and the
# worker connect as. `cb` (POSTGRES_USER) owns the tables and only migrates; `migrate`
# grants cb_app its privileges after every migration (DATABASE_APP_ROLE).
set -e
psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname "$POSTGRES_DB" \
  -v app_password="$APP_DB_PASSWORD" <<'SQL'
CREATE ROLE cb_app LOGIN PASSWORD :'app_password';
SQL
