"""Shared plumbing of the benchmark scripts: timing and the RESULTS.md record."""

from __future__ import annotations

import datetime as dt
import os
import platform
import sys
import time
from collections.abc import Callable
from importlib.metadata import version
from pathlib import Path
from typing import Any

RESULTS = Path(__file__).resolve().parent / "RESULTS.md"


def best_of(fn: Callable[[], Any], repeat: int = 3) -> tuple[float, Any]:
    """Best wall time of ``repeat`` runs (seconds) and the last result."""
    times, out = [], None
    for _ in range(repeat):
        t0 = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t0)
    return min(times), out


def record(script: str, packages: tuple[str, ...], sections: list[list[str]]) -> str:
    """Print the figures and append them to RESULTS.md with date, command and versions."""
    versions = ", ".join(f"{p} {version(p)}" for p in packages)
    header = [
        f"## {script} — {dt.date.today().isoformat()}",
        "",
        f"Command: `.venv/bin/python bench/{script}`  ",
        f"Machine: {platform.machine()}, {os.cpu_count()} cores, Python {sys.version.split()[0]}  ",
        f"Versions: {versions}",
        "",
    ]
    body: list[str] = []
    for section in sections:
        body += [*section, ""]
    text = "\n".join(header + body)
    print(text)
    with RESULTS.open("a", encoding="utf-8") as out:
        out.write(text + "\n")
    return text
