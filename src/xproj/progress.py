"""Progress display and structured logging for runs.

:class:`Progress` shows one line per stage on stderr. On a terminal the line is redrawn as chunks
finish, with the rate (sentences per second, cached chunks excluded) and the time left; when
stderr is not a terminal (a log file, CI) it prints one line per stage when the stage ends.
Every stage's timing is recorded in :attr:`Progress.timings` for the run summary.

:func:`setup_logging` configures the ``xproj`` logger as text or as JSON lines (one object per
record with the fields passed in ``extra=``).

Examples
--------
>>> import io
>>> out = io.StringIO()
>>> progress = Progress(stream=out, interactive=False, clock=iter(map(float, range(100))).__next__)
>>> with progress.stage("align demo", chunks=2, sentences=20) as bar:
...     bar.advance(10, cached=True)
...     bar.advance(10)
>>> print(out.getvalue(), end="")
align demo: 2 chunks (1 from cache), 20 sentences in 3.0 s, 3.3 sentences/s computed
>>> progress.timings[0].seconds
3.0
"""

from __future__ import annotations

import json
import logging
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any, TextIO

__all__ = ["JsonFormatter", "Progress", "StageProgress", "StageTiming", "setup_logging"]

log = logging.getLogger("xproj.progress")


@dataclass
class StageTiming:
    """How one stage went: chunks (and how many came from the cache), sentences, seconds."""

    title: str
    chunks: int = 0
    cached_chunks: int = 0
    sentences: int = 0
    computed_sentences: int = 0
    seconds: float = 0.0

    @property
    def rate(self) -> float:
        """Computed sentences per second (0 when nothing was computed)."""
        return self.computed_sentences / self.seconds if self.seconds > 0 else 0.0

    def to_dict(self) -> dict[str, Any]:
        return {
            "title": self.title,
            "chunks": self.chunks,
            "cached_chunks": self.cached_chunks,
            "sentences": self.sentences,
            "computed_sentences": self.computed_sentences,
            "seconds": round(self.seconds, 3),
            "sentences_per_second": round(self.rate, 1),
        }


class Progress:
    """Per-stage progress on a stream.

    Parameters
    ----------
    stream
        Where to write (default ``sys.stderr``).
    interactive
        Redraw a live line (True) or print one line per finished stage (False); None: whether
        ``stream`` is a terminal.
    enabled
        False prints nothing (timings are still recorded).
    clock
        A monotonic clock in seconds (for tests).
    """

    def __init__(
        self,
        stream: TextIO | None = None,
        *,
        interactive: bool | None = None,
        enabled: bool = True,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.stream = stream if stream is not None else sys.stderr
        if interactive is None:
            isatty = getattr(self.stream, "isatty", None)
            interactive = bool(isatty and isatty())
        self.interactive = interactive
        self.enabled = enabled
        self.clock = clock
        self.timings: list[StageTiming] = []

    def stage(self, title: str, *, chunks: int, sentences: int) -> StageProgress:
        """A context manager tracking one stage of ``chunks`` chunks holding ``sentences``."""
        return StageProgress(self, title, chunks, sentences)

    def write(self, text: str) -> None:
        if self.enabled:
            self.stream.write(text)
            self.stream.flush()


@dataclass
class StageProgress:
    """One stage's progress; call :meth:`advance` as each chunk finishes."""

    progress: Progress
    title: str
    total_chunks: int
    total_sentences: int
    timing: StageTiming = field(init=False)
    _start: float = field(init=False, default=0.0)
    _last_draw: float = field(init=False, default=-1.0)

    def __post_init__(self) -> None:
        self.timing = StageTiming(self.title)

    def __enter__(self) -> StageProgress:
        self._start = self.progress.clock()
        log.info(
            "stage %s started: %d chunks, %d sentences",
            self.title,
            self.total_chunks,
            self.total_sentences,
            extra={"event": "stage_start", "stage": self.title, "chunks": self.total_chunks},
        )
        self._draw(force=True)
        return self

    def advance(self, sentences: int, *, cached: bool = False) -> None:
        """Record one finished chunk of ``sentences`` sentences."""
        t = self.timing
        t.chunks += 1
        t.sentences += sentences
        if cached:
            t.cached_chunks += 1
        else:
            t.computed_sentences += sentences
        t.seconds = self.progress.clock() - self._start
        self._draw()

    def _draw(self, force: bool = False) -> None:
        p = self.progress
        if not (p.enabled and p.interactive):
            return
        now = p.clock()
        if not force and now - self._last_draw < 0.1 and self.timing.chunks < self.total_chunks:
            return
        self._last_draw = now
        t = self.timing
        width = 24
        filled = width * t.chunks // max(self.total_chunks, 1)
        bar = "#" * filled + "-" * (width - filled)
        rate = t.rate
        left = self.total_sentences - t.sentences
        eta = _clock_text(left / rate) if rate > 0 and left > 0 else "--:--"
        cached = f", {t.cached_chunks} cached" if t.cached_chunks else ""
        p.write(
            f"\r\x1b[2K{self.title} [{bar}] {t.chunks}/{self.total_chunks} chunks{cached}, "
            f"{_rate_text(rate)} sent/s, ETA {eta}"
        )

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        t = self.timing
        t.seconds = self.progress.clock() - self._start
        self.progress.timings.append(t)
        status = "failed" if exc_type is not None else "done"
        cached = f" ({t.cached_chunks} from cache)" if t.cached_chunks else ""
        line = (
            f"{self.title}: {t.chunks} chunks{cached}, {t.sentences} sentences in "
            f"{t.seconds:.1f} s, {_rate_text(t.rate)} sentences/s computed"
        )
        if exc_type is not None:
            line = f"{self.title}: failed after {t.chunks}/{self.total_chunks} chunks"
        p = self.progress
        if p.interactive:
            p.write(f"\r\x1b[2K{line}\n")
        else:
            p.write(line + "\n")
        log.info(
            "stage %s %s",
            self.title,
            status,
            extra={"event": f"stage_{status}", "stage": self.title, **t.to_dict()},
        )


def _rate_text(rate: float) -> str:
    return f"{rate:,.0f}" if rate >= 10 else f"{rate:.2g}"


def _clock_text(seconds: float) -> str:
    s = round(seconds)
    h, rem = divmod(s, 3600)
    m, s = divmod(rem, 60)
    return f"{h}:{m:02d}:{s:02d}" if h else f"{m:02d}:{s:02d}"


# ---------------------------------------------------------------------- logging

_STANDARD = set(vars(logging.LogRecord("", 0, "", 0, "", (), None))) | {"message", "asctime"}


class JsonFormatter(logging.Formatter):
    """One JSON object per record: time, level, logger, message and every ``extra=`` field.

    >>> rec = logging.LogRecord("xproj", logging.INFO, "", 0, "hi %s", ("you",), None)
    >>> rec.stage = "align"
    >>> d = json.loads(JsonFormatter().format(rec))
    >>> d["message"], d["stage"], d["level"]
    ('hi you', 'align', 'INFO')
    """

    def format(self, record: logging.LogRecord) -> str:
        out: dict[str, Any] = {
            "time": round(record.created, 3),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        for k, v in vars(record).items():
            if k not in _STANDARD and not k.startswith("_"):
                out[k] = v
        if record.exc_info:
            out["exception"] = self.formatException(record.exc_info)
        return json.dumps(out, default=str, ensure_ascii=False)


def setup_logging(
    level: int | str = logging.WARNING, *, fmt: str = "text", stream: TextIO | None = None
) -> logging.Handler:
    """Send the ``xproj`` logger's records at ``level`` and above to ``stream`` (stderr).

    Parameters
    ----------
    level
        A :mod:`logging` level or its name.
    fmt
        ``"text"`` (``LEVEL logger: message``) or ``"json"`` (:class:`JsonFormatter`).
    stream
        Default ``sys.stderr``.

    Returns
    -------
    logging.Handler
        The handler installed (replacing one an earlier call installed).
    """
    if fmt not in ("text", "json"):
        raise ValueError(f"fmt must be 'text' or 'json', got {fmt!r}")
    logger = logging.getLogger("xproj")
    for h in list(logger.handlers):
        if getattr(h, "_xproj", False):
            logger.removeHandler(h)
    handler = logging.StreamHandler(stream if stream is not None else sys.stderr)
    handler._xproj = True  # type: ignore[attr-defined]
    handler.setFormatter(
        JsonFormatter()
        if fmt == "json"
        else logging.Formatter("%(levelname)s %(name)s: %(message)s")
    )
    logger.addHandler(handler)
    logger.setLevel(level if isinstance(level, int) else level.upper())
    logger.propagate = False
    return handler
