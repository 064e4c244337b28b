"""The benchmark's own knobs, read strictly from BENCH_* environment variables."""

from __future__ import annotations

import os
from dataclasses import dataclass

from config.env import ConfigError, Env
from config.options import read_config

QUICK_DURATION_SECONDS = 3


@dataclass(frozen=True)
class BenchConfig:
    duration_seconds: int
    warmup_seconds: int
    connections: int
    threads: int
    workers: int
    quick: bool

    @classmethod
    def from_env(cls) -> BenchConfig:
        env = Env()
        quick = env.bool("BENCH_QUICK", default=False)
        duration = env.int("BENCH_DURATION", QUICK_DURATION_SECONDS if quick else 20, minimum=1)
        # Default to what `fanclub serve` runs out of the box, so the numbers describe production.
        default_workers = int(read_config(Env(source={}))["WEB_CONCURRENCY"])
        workers = env.int("BENCH_WORKERS", default_workers, minimum=1)
        connections = env.int("BENCH_CONNECTIONS", 32, minimum=1)
        threads = env.int("BENCH_THREADS", 2, minimum=1)
        if env.problems:
            raise ConfigError(env.problems)
        return cls(
            duration_seconds=duration,
            warmup_seconds=1 if quick else 2,
            connections=connections,
            threads=min(threads, connections),
            workers=workers,
            quick=quick,
        )

    def describe(self) -> str:
        cpus = os.cpu_count() or 0
        return (
            f"wrk -t{self.threads} -c{self.connections} -d{self.duration_seconds}s --latency "
            f"(warm-up {self.warmup_seconds}s per server and URL); {self.workers} worker processes "
            f"per server; {cpus} CPUs"
        )
