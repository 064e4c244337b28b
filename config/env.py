"""Strict, typed parsing of environment variables.

Every setting is read once, here, at start-up. A malformed value is an error, never a silent
default: `fanclub check` collects every problem and prints them together, and the settings module
refuses to load with the first one. `NAME_FILE` may point at a file holding the value of `NAME`
(Docker/Kubernetes secrets).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


class ConfigError(Exception):
    """Raised when one or more environment variables are invalid."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("\n".join(problems))
        self.problems = problems


@dataclass
class Env:
    """Reads variables from a mapping (os.environ by default) and records every problem."""

    source: Mapping[str, str] = field(default_factory=lambda: os.environ)
    problems: list[str] = field(default_factory=list)

    def _raw(self, name: str) -> str | None:
        file_name = self.source.get(f"{name}_FILE")
        if file_name:
            try:
                return Path(file_name).read_text().strip()
            except OSError as exc:
                self.problems.append(f"{name}_FILE: cannot read {file_name!r}: {exc.strerror}")
                return None
        return self.source.get(name)

    def is_set(self, name: str) -> bool:
        return bool(self._raw(name))

    def str(self, name: str, default: str = "") -> str:
        value = self._raw(name)
        return default if value is None or value == "" else value

    def bool(self, name: str, default: bool = False) -> bool:
        value = self._raw(name)
        if value is None:
            return default
        lowered = value.strip().lower()
        if lowered in _TRUE:
            return True
        if lowered in _FALSE:
            return False
        self.problems.append(f"{name}: expected a boolean (true/false/1/0/yes/no/on/off), got {value!r}")
        return default

    def int(self, name: str, default: int, *, minimum: int | None = None) -> int:
        value = self._raw(name)
        if value is None or value == "":
            return default
        try:
            number = int(value)
        except ValueError:
            self.problems.append(f"{name}: expected an integer, got {value!r}")
            return default
        if minimum is not None and number < minimum:
            self.problems.append(f"{name}: must be at least {minimum}, got {number}")
            return default
        return number

    def list(self, name: str, default: list[str] | None = None) -> list[str]:
        value = self._raw(name)
        if value is None or value.strip() == "":
            return list(default or [])
        return [item.strip() for item in value.split(",") if item.strip()]

    def choice(self, name: str, choices: tuple[str, ...], default: str) -> str:
        value = self.str(name, default)
        if value not in choices:
            self.problems.append(f"{name}: expected one of {', '.join(choices)}, got {value!r}")
            return default
        return value

    def url(self, name: str, schemes: tuple[str, ...]) -> str:
        value = self.str(name)
        if value and not any(value.startswith(f"{scheme}://") for scheme in schemes):
            self.problems.append(f"{name}: expected a URL starting with {' or '.join(schemes)}://")
            return ""
        return value
