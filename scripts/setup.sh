#!/usr/bin/env bash
# Prepare a machine for geo_mediation: system packages, the virtual environment,
# the project-local PostGIS cluster (unless DATABASE_URL is set), migrations and
# compiled translations. Every step checks what already exists, so a second run
# only verifies and takes seconds.
set -euo pipefail

ROOT="$(cd "$(dirname "$0")/.." && pwd)"
VAR="$ROOT/var"
VENV="$ROOT/.venv"
PGDATA="$VAR/pg/data"
PGRUN="$VAR/pg/run"
PGLOG="$VAR/pg/server.log"
DB_NAME="geo_mediation"
DB_USER="geo_mediation"

say() { printf '==> %s\n' "$*"; }

as_root() {
    if [ "$(id -u)" -eq 0 ]; then
        "$@"
    elif command -v sudo >/dev/null 2>&1; then
        sudo "$@"
    else
        echo "error: '$*' needs root; run as root or install sudo" >&2
        exit 1
    fi
}

# --- system packages -------------------------------------------------------

postgres_major() {
    # The distribution's default PostgreSQL major version, e.g. 15 on Debian 12.
    apt-cache depends postgresql 2>/dev/null |
        sed -n 's/.*Depends: postgresql-\([0-9][0-9]*\)$/\1/p' | head -n 1
}

system_packages() {
    local missing=() major
    major="$(ls /usr/lib/postgresql 2>/dev/null | sort -n | tail -n 1)"
    if [ -z "$major" ] || [ ! -f "/usr/share/postgresql/$major/extension/postgis.control" ]; then
        if [ -z "$major" ]; then
            major="$(postgres_major)"
        fi
        if [ -z "$major" ]; then
            as_root apt-get update -qq
            major="$(postgres_major)"
        fi
        missing+=("postgresql-$major" "postgresql-$major-postgis-3")
    fi
    command -v ogr2ogr >/dev/null 2>&1 || missing+=(gdal-bin)
    ldconfig -p | grep -q 'libgdal\.so' || missing+=(libgdal-dev)
    ldconfig -p | grep -q 'libgeos_c\.so' || missing+=(libgeos-c1v5)
    command -v msgfmt >/dev/null 2>&1 || missing+=(gettext)
    ldconfig -p | grep -q 'libpango-1\.0\.so' || missing+=(libpango-1.0-0 libpangoft2-1.0-0)
    command -v chromium >/dev/null 2>&1 || missing+=(chromium)
    fc-list 2>/dev/null | grep -qi dejavu || missing+=(fonts-dejavu-core)
    python3.11 -c 'import venv, ensurepip' >/dev/null 2>&1 || missing+=(python3-venv)
    if [ "${#missing[@]}" -gt 0 ]; then
        say "installing system packages: ${missing[*]}"
        as_root apt-get update -qq
        as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
    fi
}

# --- virtual environment ---------------------------------------------------

python_venv() {
    local stamp="$VENV/.installed" want
    want="$(sha256sum "$ROOT/pyproject.toml" | cut -d' ' -f1)"
    if [ ! -x "$VENV/bin/python" ]; then
        say "creating $VENV"
        python3.11 -m venv "$VENV"
    fi
    if [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
        say "installing the project and its pinned dependencies into .venv"
        "$VENV/bin/pip" install -q --upgrade pip 2>&1 | grep -v "is ignored" || true
        "$VENV/bin/pip" install -q -e "$ROOT[test]" 2>&1 | grep -v -e "is ignored" -e "BuildBackendWarning" || true
        "$VENV/bin/python" -c "import django, geopandas, esda" || { echo "error: the Python dependencies did not install; see the pip output above" >&2; exit 1; }
        echo "$want" >"$stamp"
    fi
}

# --- local PostGIS cluster -------------------------------------------------

pg_bin() {
    local major
    major="$(ls /usr/lib/postgresql | sort -n | tail -n 1)"
    echo "/usr/lib/postgresql/$major/bin"
}

# Run a command as the cluster owner: the postgres system user when root,
# because PostgreSQL refuses to run as root.
as_cluster_owner() {
    if [ "$(id -u)" -eq 0 ]; then
        runuser -u postgres -- "$@"
    else
        "$@"
    fi
}

free_port() {
    python3 - <<'PY'
import socket
for port in range(55432, 55632):
    with socket.socket() as s:
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            continue
        print(port)
        break
PY
}

local_cluster() {
    local bin port
    bin="$(pg_bin)"
    mkdir -p "$VAR/pg"
    if [ ! -f "$PGDATA/PG_VERSION" ]; then
        say "creating a PostGIS cluster in $PGDATA"
        mkdir -p "$PGDATA" "$PGRUN"
        [ "$(id -u)" -eq 0 ] && chown -R postgres:postgres "$VAR/pg"
        as_cluster_owner "$bin/initdb" -D "$PGDATA" -U "$DB_USER" -A trust -E UTF8 \
            --locale=C.UTF-8 >/dev/null
    fi
    if [ -f "$VAR/pg/port" ]; then
        port="$(cat "$VAR/pg/port")"
    else
        port="$(free_port)"
        echo "$port" >"$VAR/pg/port"
    fi
    if ! as_cluster_owner "$bin/pg_ctl" -D "$PGDATA" status >/dev/null 2>&1; then
        say "starting PostgreSQL on 127.0.0.1:$port"
        if ! as_cluster_owner "$bin/pg_ctl" -D "$PGDATA" -l "$PGLOG" -w \
            -o "-p $port -k $PGRUN -c listen_addresses=127.0.0.1" start >/dev/null; then
            echo "error: PostgreSQL did not start; see $PGLOG" >&2
            tail -n 20 "$PGLOG" >&2 || true
            exit 1
        fi
    fi
    if ! "$bin/psql" -h 127.0.0.1 -p "$port" -U "$DB_USER" -d postgres -tAc \
        "SELECT 1 FROM pg_database WHERE datname = '$DB_NAME'" | grep -q 1; then
        "$bin/createdb" -h 127.0.0.1 -p "$port" -U "$DB_USER" "$DB_NAME"
    fi
    echo "postgres://$DB_USER@127.0.0.1:$port/$DB_NAME" >"$VAR/database_url"
}

# --- Django ----------------------------------------------------------------

django_setup() {
    cd "$ROOT"
    "$VENV/bin/python" manage.py migrate --noinput -v 0
    "$VENV/bin/python" manage.py createcachetable -v 0
    "$VENV/bin/python" manage.py compilemessages -v 0 --ignore '.venv' --ignore 'var'
}

main() {
    mkdir -p "$VAR"
    system_packages
    python_venv
    if [ -z "${DATABASE_URL:-}" ]; then
        local_cluster
    fi
    django_setup
}

main "$@"
