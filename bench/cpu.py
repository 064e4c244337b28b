"""CPU accounting around each run: what the server spent per request, and what other processes took.

Requests per second on a shared 2-CPU machine move with whatever else runs (other test suites,
editors), so every measurement also records:

- the CPU time per request of the server's process tree and of PostgreSQL's: the cost of serving,
  which moves far less with background load than requests/s, so it is the steadier figure for
  comparing two stacks;
- the kernel's interrupt time (softirq: loopback TCP), charged to no process, per request;
- "other load": CPUs busy in processes other than the measured ones (server, PostgreSQL, wrk,
  this process), averaged over the run (0.5 = half a core busy elsewhere). High values explain
  disagreeing rounds.
"""

from __future__ import annotations

import contextlib
import resource
import time
from dataclasses import dataclass, field

import psutil


def _busy_seconds() -> tuple[float, float]:
    """Machine-wide CPU seconds spent in processes, and in interrupt handling (no process's)."""
    times = psutil.cpu_times()
    in_processes = times.user + times.nice + times.system + getattr(times, "steal", 0.0)
    interrupts = getattr(times, "irq", 0.0) + getattr(times, "softirq", 0.0)
    return float(in_processes), float(interrupts)


def tree_seconds(root_pid: int) -> float:
    """CPU time of a process and its live descendants, plus what their exited children used."""
    try:
        root = psutil.Process(root_pid)
        processes = [root, *root.children(recursive=True)]
    except psutil.NoSuchProcess:
        return 0.0
    total = 0.0
    for process in processes:
        with contextlib.suppress(psutil.NoSuchProcess, psutil.AccessDenied):
            times = process.cpu_times()
            total += times.user + times.system + times.children_user + times.children_system
    return total


def _own_seconds() -> float:
    """This process and its waited-for children (wrk)."""
    own = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


@dataclass
class CpuWindow:
    """``begin()``, run the load, ``end()``; then read ``seconds`` (per root) and ``background_cpus``."""

    roots: dict[str, int]
    seconds: dict[str, float] = field(default_factory=dict)
    interrupt_seconds: float = 0.0
    background_cpus: float = 0.0
    _started: dict[str, float] = field(default_factory=dict)

    def _sample(self) -> dict[str, float]:
        sample = {name: tree_seconds(pid) for name, pid in self.roots.items()}
        sample["_own"] = _own_seconds()
        sample["_busy"], sample["_interrupts"] = _busy_seconds()
        sample["_wall"] = time.monotonic()
        return sample

    def begin(self) -> None:
        self._started = self._sample()

    def end(self) -> None:
        ended = self._sample()
        delta = {name: ended[name] - self._started[name] for name in ended}
        self.seconds = {name: delta[name] for name in self.roots}
        # Loopback TCP is processed in softirq context, charged to no process: new connections per
        # request (gunicorn's sync workers) cost more of it than keep-alive (uvicorn).
        self.interrupt_seconds = delta["_interrupts"]
        measured = sum(self.seconds.values()) + delta["_own"]
        if delta["_wall"] > 0:
            self.background_cpus = max(0.0, (delta["_busy"] - measured) / delta["_wall"])
