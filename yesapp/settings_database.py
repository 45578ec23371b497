"""DATABASES from DATABASE_URL, tuned for the engine (part of yesapp/settings.py).

SQLite (the default) and PostgreSQL each get what concurrent web, worker and engine processes
need of them; the values that stay tunable come from the environment.
"""

from pathlib import Path

# libpq's TCP keepalives: a server behind a link that died (no FIN, no RST: a crashed machine,
# a dropped NAT entry) is noticed in about a minute, instead of a query hanging for the
# kernel's two hours while it holds a worker, a web thread or an engine actor.
POSTGRES_KEEPALIVES = {
    "keepalives": 1,
    "keepalives_idle": 30,
    "keepalives_interval": 10,
    "keepalives_count": 3,
}


def database_settings(env, data_dir: Path) -> dict:
    default = env.db("DATABASE_URL", default=f"sqlite:///{data_dir / 'yesapp.sqlite3'}")
    options = default.setdefault("OPTIONS", {})
    if default["ENGINE"] == "django.db.backends.sqlite3":
        # Web and workers write concurrently: WAL lets readers run beside a writer, IMMEDIATE
        # transactions take the write lock up front, and the timeout (SQLITE_BUSY_TIMEOUT,
        # seconds) waits instead of failing with "database is locked"; past it, the engine and
        # the workers wait and try again (yesapp/db_retry.py).
        options.update(
            init_command="PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
            transaction_mode="IMMEDIATE",
            timeout=env.float("SQLITE_BUSY_TIMEOUT", default=20.0),
        )
        # Tests that cross processes (a real Celery worker) need a file, not :memory:.
        default["TEST"] = {"NAME": str(data_dir / "test.sqlite3")}
    else:
        default.setdefault("CONN_MAX_AGE", 60)
        default["CONN_HEALTH_CHECKS"] = True
        # Values given in DATABASE_URL's query string win.
        default["OPTIONS"] = POSTGRES_KEEPALIVES | options
    return {"default": default}
