"""The benchmark record every ``bench/bench_*.py`` module returns from ``run(quick)``."""

from __future__ import annotations

import resource
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from typing import Any


@dataclass(frozen=True)
class Measurement:
    """One target: ``value`` (seconds or MB) compared with ``baseline_value`` of the named
    ``baseline`` in the same run. ``passed`` says whether ``target`` (a sentence) is met."""

    name: str
    value: float
    unit: str
    target: str
    passed: bool
    baseline: str | None = None
    baseline_value: float | None = None
    ratio: float | None = None
    detail: str = ""

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def timed(fn: Callable[[], Any], repeat: int = 1) -> tuple[float, Any]:
    """Best wall-clock seconds of ``repeat`` calls of ``fn`` and the last result."""
    best = float("inf")
    result: Any = None
    for _ in range(repeat):
        start = time.perf_counter()
        result = fn()
        best = min(best, time.perf_counter() - start)
    return best, result


def peak_rss_mb_of_children() -> float:
    """Peak resident memory (MB) of finished child processes (Linux reports kB)."""
    return resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
