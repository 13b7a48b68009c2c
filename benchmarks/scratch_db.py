"""Scratch databases for the benchmark scripts, on the server DATABASE_URL names.

The role in DATABASE_URL must be allowed to create databases. Each script
creates its own database, fills it and drops it at the end.
"""

from urllib.parse import urlsplit, urlunsplit


def with_database(url, name):
    """`url` with its database name replaced by `name`."""
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path=f"/{name}"))


def admin_connection(url):
    """Open an autocommit psycopg connection to the server's `postgres` database."""
    import psycopg

    return psycopg.connect(with_database(url, "postgres"), autocommit=True)


def create_database(url, name):
    with admin_connection(url) as connection:
        connection.execute(f'CREATE DATABASE "{name}"')
    print(f"scratch database {name} created")


def drop_database(url, name):
    """Drop the scratch database, closing Django's connections to it first if any."""
    import sys

    if "django.db" in sys.modules:
        from django.db import connections

        connections.close_all()
    with admin_connection(url) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    print(f"scratch database {name} dropped")
