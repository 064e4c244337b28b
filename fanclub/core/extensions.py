"""PostgreSQL extensions the platform needs, and a clear message when the server lacks them."""

from __future__ import annotations

from typing import Any

REQUIRED_EXTENSIONS = ("vector", "pg_trgm")


def missing_extensions(cursor: Any) -> list[str]:
    cursor.execute(
        "SELECT name FROM pg_available_extensions WHERE name = ANY(%s)", [list(REQUIRED_EXTENSIONS)]
    )
    available = {row[0] for row in cursor.fetchall()}
    return [name for name in REQUIRED_EXTENSIONS if name not in available]


def missing_message(missing: list[str]) -> str:
    return (
        f"The PostgreSQL server at DATABASE_URL lacks the extension(s) {', '.join(missing)}. "
        "Install pgvector (package postgresql-<version>-pgvector) and contrib on that server, "
        "or unset DATABASE_URL to let Fanclub run its own PostgreSQL with everything included."
    )
