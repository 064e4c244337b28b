"""Printing tables and writing bench/results/latest.json."""

from __future__ import annotations

import json
import os
import platform
import subprocess
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import Any

RESULTS_DIR = Path(__file__).resolve().parent / "results"


def table(headers: list[str], rows: list[list[str]]) -> str:
    """A plain-text table; the first column is left-aligned, the others right-aligned (numbers)."""
    widths = [max(len(str(cell)) for cell in column) for column in zip(headers, *rows, strict=True)]

    def line(cells: list[str]) -> str:
        first, *rest = cells
        parts = [f"{first:<{widths[0]}}"] + [
            f"{cell:>{width}}" for cell, width in zip(rest, widths[1:], strict=True)
        ]
        return "  ".join(parts).rstrip()

    rule = "  ".join("-" * width for width in widths)
    return "\n".join([line(headers), rule, *(line(row) for row in rows)])


def rate(value: float) -> str:
    return f"{value:,.0f}"


def milliseconds(value: float) -> str:
    return f"{value:.2f}"


def ratio(value: float) -> str:
    return f"{value:.2f}"


def machine() -> dict[str, Any]:
    """Where and with what the numbers were measured."""
    versions = {name: _version(name) for name in ("django", "gunicorn", "uvicorn", "uvloop", "httptools")}
    wrk = subprocess.run(["wrk", "-v"], capture_output=True, text=True, check=False)
    return {
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "host": platform.node(),
        "cpu": _cpu_model(),
        "cpus": os.cpu_count(),
        "python": platform.python_version(),
        "wrk": (wrk.stdout or wrk.stderr).splitlines()[0] if (wrk.stdout or wrk.stderr) else "",
        "load_average_at_start": [round(value, 2) for value in os.getloadavg()],
        **versions,
    }


def _version(distribution: str) -> str:
    try:
        return metadata.version(distribution)
    except metadata.PackageNotFoundError:
        return "not installed"


def _cpu_model() -> str:
    try:
        for row in Path("/proc/cpuinfo").read_text().splitlines():
            if row.startswith("model name"):
                return row.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def write_results(results: dict[str, Any]) -> Path:
    RESULTS_DIR.mkdir(exist_ok=True)
    path = RESULTS_DIR / "latest.json"
    path.write_text(json.dumps(results, indent=2) + "\n")
    return path
