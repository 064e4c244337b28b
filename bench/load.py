"""The load generator: wrk, with a Lua `done` hook that reports the exact latency histogram.

wrk records every latency in microseconds; its printed percentiles are rounded for display, so the
script dumps the full distribution (value, count) as one JSON line. Rounds of the same server and
URL are merged by adding histograms, which keeps the merged percentiles exact.
"""

from __future__ import annotations

import json
import math
import re
import shutil
import subprocess
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

WRK = "wrk"
_MARKER = "BENCH_RESULT "

# `latency(i)` returns the i-th distinct recorded value and its count; `#latency` is their number.
_DONE_SCRIPT = """
done = function(summary, latency, requests)
  local buckets = {}
  for i = 1, #latency do
    local value, count = latency(i)
    buckets[#buckets + 1] = string.format("[%d,%d]", value, count)
  end
  local e = summary.errors
  io.write(string.format(
    '%s{"duration_us":%d,"requests":%d,"bytes":%d,' ..
    '"errors":{"connect":%d,"read":%d,"write":%d,"status":%d,"timeout":%d},"latency_us":[%s]}\\n',
    "MARKER", summary.duration, summary.requests, summary.bytes,
    e.connect, e.read, e.write, e.status, e.timeout, table.concat(buckets, ",")))
end
""".replace("MARKER", _MARKER)

_REQUESTS_PER_SECOND = re.compile(r"^Requests/sec:\s+([0-9.]+)", re.MULTILINE)


@dataclass
class Measurement:
    """One or more wrk runs against the same URL and server, merged."""

    requests: int
    duration_seconds: float
    bytes: int
    errors: dict[str, int]
    latency_us: dict[int, int] = field(repr=False)
    runs: list[float] = field(default_factory=list)  # requests/s of each run merged in
    # Filled in by the caller from a bench.cpu.CpuWindow around each run.
    server_cpu_seconds: float = 0.0
    database_cpu_seconds: float = 0.0
    interrupt_seconds: float = 0.0  # machine-wide softirq/irq time: loopback TCP, client and server
    background_cpus: list[float] = field(default_factory=list)  # per run

    @property
    def requests_per_second(self) -> float:
        return self.requests / self.duration_seconds if self.duration_seconds else 0.0

    @property
    def server_cpu_us_per_request(self) -> float:
        return self.server_cpu_seconds / self.requests * 1_000_000 if self.requests else 0.0

    @property
    def cpu_us_per_request(self) -> float:
        """What serving one request costs the machine: the server's processes, PostgreSQL and all
        interrupt time. Counted generously (part of the interrupt time is wrk's), so comparisons do
        not flatter a server that opens a connection per request."""
        seconds = self.server_cpu_seconds + self.database_cpu_seconds + self.interrupt_seconds
        return seconds / self.requests * 1_000_000 if self.requests else 0.0

    @property
    def error_count(self) -> int:
        return sum(self.errors.values())

    def percentile_ms(self, percent: float) -> float:
        """The same rank rule as wrk's ``stats_percentile``, over the merged histogram."""
        total = sum(self.latency_us.values())
        if not total:
            return 0.0
        rank = math.floor(percent / 100 * total) + 1  # C's round(x + 0.5), as wrk computes it
        seen = 0
        for value in sorted(self.latency_us):
            seen += self.latency_us[value]
            if seen >= rank:
                return value / 1000
        return max(self.latency_us) / 1000

    def merged_with(self, other: Measurement) -> Measurement:
        histogram = dict(self.latency_us)
        for value, count in other.latency_us.items():
            histogram[value] = histogram.get(value, 0) + count
        return Measurement(
            requests=self.requests + other.requests,
            duration_seconds=self.duration_seconds + other.duration_seconds,
            bytes=self.bytes + other.bytes,
            errors={name: self.errors[name] + other.errors.get(name, 0) for name in self.errors},
            latency_us=histogram,
            runs=[*self.runs, *other.runs],
            server_cpu_seconds=self.server_cpu_seconds + other.server_cpu_seconds,
            database_cpu_seconds=self.database_cpu_seconds + other.database_cpu_seconds,
            interrupt_seconds=self.interrupt_seconds + other.interrupt_seconds,
            background_cpus=[*self.background_cpus, *other.background_cpus],
        )

    def summary(self) -> dict[str, object]:
        """What goes into the JSON results (the histogram itself is left out)."""
        return {
            "requests_per_second": round(self.requests_per_second, 1),
            "p50_ms": self.percentile_ms(50),
            "p90_ms": self.percentile_ms(90),
            "p99_ms": self.percentile_ms(99),
            "max_ms": self.percentile_ms(100),
            "requests": self.requests,
            "duration_seconds": round(self.duration_seconds, 3),
            "bytes": self.bytes,
            "errors": self.errors,
            "runs_requests_per_second": [round(rps, 1) for rps in self.runs],
            "cpu_us_per_request": round(self.cpu_us_per_request),
            "server_cpu_us_per_request": round(self.server_cpu_us_per_request),
            "interrupt_us_per_request": round(self.interrupt_seconds / self.requests * 1e6)
            if self.requests
            else 0,
            "database_cpu_us_per_request": round(self.database_cpu_seconds / self.requests * 1e6)
            if self.requests
            else 0,
            "runs_background_cpus": [round(cpus, 2) for cpus in self.background_cpus],
        }


def check_available() -> None:
    if shutil.which(WRK) is None:
        raise SystemExit("bench: wrk is not installed (apt-get install wrk).")


def run(url: str, *, duration_seconds: int, connections: int, threads: int) -> Measurement:
    """Run `wrk -tT -cC -dDs --latency URL` and parse its result."""
    with tempfile.TemporaryDirectory(prefix="fanclub-wrk-") as directory:
        script = Path(directory) / "report.lua"
        script.write_text(_DONE_SCRIPT)
        command = [
            WRK,
            f"-t{threads}",
            f"-c{connections}",
            f"-d{duration_seconds}s",
            "--latency",
            "--timeout",
            "10s",
            "-s",
            str(script),
            url,
        ]
        completed = subprocess.run(command, capture_output=True, text=True, check=False)
    if completed.returncode != 0:
        raise RuntimeError(f"wrk failed ({completed.returncode}): {completed.stderr or completed.stdout}")
    return parse(completed.stdout)


def parse(output: str) -> Measurement:
    line = next((line for line in output.splitlines() if line.startswith(_MARKER)), None)
    if line is None:
        raise RuntimeError(f"wrk printed no result line:\n{output}")
    data = json.loads(line.removeprefix(_MARKER))
    measurement = Measurement(
        requests=int(data["requests"]),
        duration_seconds=int(data["duration_us"]) / 1_000_000,
        bytes=int(data["bytes"]),
        errors={name: int(count) for name, count in data["errors"].items()},
        latency_us={int(value): int(count) for value, count in data["latency_us"]},
    )
    measurement.runs = [measurement.requests_per_second]
    printed = _REQUESTS_PER_SECOND.search(output)
    if printed and abs(float(printed.group(1)) - measurement.requests_per_second) > 1:
        # Both come from the same counters; a mismatch means the parsing is wrong, not the server.
        raise RuntimeError(f"wrk printed {printed.group(1)} req/s but the script reported otherwise")
    return measurement
