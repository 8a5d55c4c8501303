"""Progress display and structured logging for runs.

:class:`Progress` shows one line per stage on stderr. On a terminal (or in a Jupyter notebook)
each stage is a `tqdm <https://tqdm.github.io>`_ bar over the sentences still to compute, with
tqdm's rate and time left; chunks found in the cache are taken off the bar's total rather than
counted, so the rate and the time left are those of the actual work. While a bar is shown,
xproj's log records are printed above it (tqdm's logging redirection) instead of breaking it.
When stderr is not a terminal (a log file, CI) it prints one line per stage when the stage
ends. Every stage's timing is recorded in :attr:`Progress.timings` for the run summary.

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

import contextlib
import json
import logging
import sys
import time
from collections.abc import Callable, Iterator
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
        Show a live tqdm bar (True) or print one line per finished stage (False); None:
        whether ``stream`` is a terminal, or the default stream in a Jupyter kernel.
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
            interactive = bool(isatty and isatty()) or (stream is None and _in_notebook())
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
    _bar: Any = field(init=False, default=None)
    _exits: contextlib.ExitStack = field(init=False, default_factory=contextlib.ExitStack)

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
        p = self.progress
        if p.enabled and p.interactive:
            self._bar = self._exits.enter_context(_bar(p, self.title, self.total_sentences))
            self._postfix()
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
        if self._bar is not None:
            self._postfix()
            if cached:  # no work: off the total, so that rate and time left are the work's
                self._bar.total = max(self._bar.total - sentences, self._bar.n)
                self._bar.refresh()
            else:
                self._bar.update(sentences)

    def _postfix(self) -> None:
        t = self.timing
        cached = f", {t.cached_chunks} cached" if t.cached_chunks else ""
        self._bar.set_postfix_str(f"{t.chunks}/{self.total_chunks} chunks{cached}", refresh=False)

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._exits.close()  # closes the bar (it leaves no line) and the log redirection
        self._bar = None
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
        self.progress.write(line + "\n")
        log.info(
            "stage %s %s",
            self.title,
            status,
            extra={"event": f"stage_{status}", "stage": self.title, **t.to_dict()},
        )


@contextlib.contextmanager
def _bar(progress: Progress, title: str, sentences: int) -> Iterator[Any]:
    """A tqdm bar over ``sentences``, with xproj's log records redirected above it.

    tqdm is imported here, on first use, so that ``import xproj`` stays light. The bar goes to
    ``progress.stream`` when one was given; on the default stream, ``tqdm.auto`` picks the
    notebook widget inside Jupyter.
    """
    import tqdm
    import tqdm.auto
    from tqdm.contrib.logging import logging_redirect_tqdm

    # tqdm.auto picks the notebook widget inside Jupyter, where a given stream means nothing
    bar_class: Any = tqdm.auto.tqdm if progress.stream is sys.stderr else tqdm.tqdm
    bar = bar_class(
        total=sentences,
        desc=title,
        unit="sent",
        file=progress.stream,
        leave=False,
        dynamic_ncols=True,
        mininterval=0.1,
    )
    with logging_redirect_tqdm(loggers=[logging.getLogger("xproj")], tqdm_class=bar_class):
        try:
            yield bar
        finally:
            bar.close()


def _in_notebook() -> bool:
    """Whether this process is a Jupyter kernel (whose stderr is not a terminal)."""
    return "ipykernel" in sys.modules


def _rate_text(rate: float) -> str:
    return f"{rate:,.0f}" if rate >= 10 else f"{rate:.2g}"


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
