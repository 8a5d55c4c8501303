"""Helpers shared by the benchmarks: thread setup, machine and load facts, timing, tables, and
a step kept in xproj's stage cache (:func:`cached`).

Benchmarks import this module as ``from _common import ...`` (Python puts the script's own
folder first on ``sys.path``), so it is not part of the installed package.

Examples
--------
>>> print(format_table(["method", "de"], [["heuristic", 0.8991], ["greedy", 0.9]]))
method     de
---------  ------
heuristic  0.8991
greedy     0.9000
>>> with Stopwatch() as sw:
...     _ = sum(range(1000))
>>> sw.wall_s >= 0 and sw.cpu_s >= 0
True
"""

from __future__ import annotations

import contextlib
import datetime as _dt
import os
import platform
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any

from xproj.cache import StageCache

__all__ = [
    "Stopwatch",
    "blas_threads",
    "cached",
    "format_table",
    "load_average",
    "machine_info",
    "set_torch_threads",
]


def set_torch_threads(threads: int | None) -> int:
    """Set torch's intra-op threads (``None``: the number of CPU cores); return the count used.

    On a shared machine more threads than cores only adds contention, so the default is the
    core count, not torch's own default (which may count hyperthreads).
    """
    import torch

    n = threads if threads is not None else (os.cpu_count() or 1)
    torch.set_num_threads(n)
    return int(torch.get_num_threads())


@contextlib.contextmanager
def blas_threads(n: int) -> Iterator[None]:
    """Limit numpy's BLAS to ``n`` threads inside the block (needs ``threadpoolctl``).

    The aligners multiply small per-sentence matrices with numpy between torch calls; a
    multi-threaded BLAS competing with torch's threads for the same cores
    (oversubscription) only slows both. Without ``threadpoolctl`` the block runs unchanged.
    """
    try:
        from threadpoolctl import threadpool_limits  # type: ignore[import-untyped]
    except ImportError:
        yield
        return
    with threadpool_limits(limits=n, user_api="blas"):
        yield


def load_average() -> tuple[float, float, float]:
    """The 1, 5 and 15 minute load averages (as ``uptime`` shows them); zeros if unknown."""
    try:
        one, five, fifteen = os.getloadavg()
    except OSError:
        return (0.0, 0.0, 0.0)
    return (round(one, 2), round(five, 2), round(fifteen, 2))


def _cpu_model() -> str:
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def machine_info() -> dict[str, Any]:
    """Date, CPU model, core count, Python and (when importable) torch versions."""
    info: dict[str, Any] = {
        "date": _dt.datetime.now().astimezone().isoformat(timespec="seconds"),
        "cpu": _cpu_model(),
        "cores": os.cpu_count(),
        "python": platform.python_version(),
    }
    try:
        import torch

        info["torch"] = torch.__version__
        info["torch_threads"] = torch.get_num_threads()
    except ImportError:
        pass
    return info


@dataclass
class Stopwatch:
    """Wall-clock and process CPU seconds of a ``with`` block (CPU counts every thread).

    On a shared machine the wall time includes waiting for other processes; the CPU time
    does not, so both are worth reporting.
    """

    wall_s: float = 0.0
    cpu_s: float = 0.0
    _t0: tuple[float, float] = field(default=(0.0, 0.0), repr=False)

    def __enter__(self) -> Stopwatch:
        self._t0 = (time.perf_counter(), time.process_time())
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.wall_s += time.perf_counter() - self._t0[0]
        self.cpu_s += time.process_time() - self._t0[1]


def _cell(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.4f}"
    return str(value)


def format_table(header: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    """A plain-text table: left-aligned columns, floats with 4 decimals."""
    cells = [[str(h) for h in header], *[[_cell(v) for v in row] for row in rows]]
    widths = [max(len(r[c]) for r in cells) for c in range(len(header))]
    lines = ["  ".join(v.ljust(w) for v, w in zip(r, widths)).rstrip() for r in cells]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)


def cached(
    cache: StageCache,
    stage: str,
    fingerprint: str,
    inputs: Any,
    compute: Callable[[], dict[str, Any]],
) -> tuple[dict[str, Any], bool]:
    """``compute()``'s JSON-ready value, from ``cache`` when the same step ran before.

    The entry's key is :meth:`xproj.cache.StageCache.key` of ``stage``, ``fingerprint`` (the
    step's configuration, e.g. :func:`xproj.cache.stage_fingerprint` of an aligner's full
    parameters) and ``inputs`` (e.g. the words of every sentence pair), so a changed parameter or
    sentence computes anew. A disabled cache (``StageCache(None)``) always computes.

    Returns
    -------
    tuple
        The value and whether it came from the cache.

    Examples
    --------
    >>> import tempfile
    >>> cache = StageCache(tempfile.mkdtemp())
    >>> cached(cache, "align", "cfg", [["a"]], lambda: {"items": [1]})
    ({'items': [1]}, False)
    >>> cached(cache, "align", "cfg", [["a"]], lambda: {"items": [2]})
    ({'items': [1]}, True)
    """
    key = cache.key(stage, fingerprint, inputs)
    hit = cache.get(stage, key)
    if isinstance(hit, dict):
        return hit, True
    value = compute()
    cache.put(stage, key, value)
    return value, False
