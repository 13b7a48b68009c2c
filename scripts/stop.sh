#!/usr/bin/env bash
# Stop the project-local PostgreSQL cluster if it runs.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
PGDATA="$ROOT/var/pg/data"
[ -f "$PGDATA/PG_VERSION" ] || exit 0
bin="/usr/lib/postgresql/$(ls /usr/lib/postgresql | sort -n | tail -n 1)/bin"
if [ "$(id -u)" -eq 0 ]; then
    runuser -u postgres -- "$bin/pg_ctl" -D "$PGDATA" -m fast stop || true
else
    "$bin/pg_ctl" -D "$PGDATA" -m fast stop || true
fi
