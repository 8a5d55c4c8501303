"""Errors raised by xproj.

Every error says what was wrong, where (file and line, or sentence index) and how to fix it.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Mapping
from contextvars import ContextVar
from pathlib import Path

__all__ = [
    "ConfigError",
    "InputError",
    "MissingExtraError",
    "OutputError",
    "ParameterError",
    "RegistryError",
    "XprojError",
    "option_hint",
    "option_hints",
]


class XprojError(Exception):
    """Base class of every error xproj raises on purpose."""


class InputError(XprojError, ValueError):
    """Bad input data: a malformed file line, an index out of range, mismatched batch lengths.

    Parameters
    ----------
    message
        What was wrong and how to fix it.
    path
        The file the bad input came from, if any.
    line
        The 1-based line number in ``path``, if known.
    sentence
        The 0-based index of the sentence in its batch or file, if known.

    Examples
    --------
    >>> str(InputError("expected 2 columns, got 3", path="x.conll", line=7))
    'x.conll:7: expected 2 columns, got 3'
    >>> str(InputError("alignment index 9 outside a 4-word sentence", sentence=2))
    'sentence 2: alignment index 9 outside a 4-word sentence'
    """

    def __init__(
        self,
        message: str,
        *,
        path: str | Path | None = None,
        line: int | None = None,
        sentence: int | None = None,
    ) -> None:
        self.message = message
        self.path = None if path is None else str(path)
        self.line = line
        self.sentence = sentence
        super().__init__(self._render())

    def _render(self) -> str:
        where = []
        if self.path is not None:
            where.append(self.path if self.line is None else f"{self.path}:{self.line}")
        elif self.line is not None:
            where.append(f"line {self.line}")
        if self.sentence is not None:
            where.append(f"sentence {self.sentence}")
        prefix = ", ".join(where)
        return f"{prefix}: {self.message}" if prefix else self.message

    def at(
        self,
        *,
        path: str | Path | None = None,
        line: int | None = None,
        sentence: int | None = None,
    ) -> InputError:
        """Return a copy of this error with the location filled in where it was missing."""
        return InputError(
            self.message,
            path=self.path if self.path is not None else path,
            line=self.line if self.line is not None else line,
            sentence=self.sentence if self.sentence is not None else sentence,
        )


class ParameterError(XprojError, ValueError):
    """A component was given a parameter value outside what it accepts."""


class ConfigError(XprojError, ValueError):
    """A run configuration or component spec that cannot be used; the message names the field
    path and the fix."""


class OutputError(XprojError, OSError):
    """An output file or folder that cannot be created or written.

    Raised before any work starts (see :func:`xproj.io._files.prepare_output`), so that a run
    does not compute everything and then fail to save it.
    """


class RegistryError(XprojError, KeyError):
    """An unknown backend name was asked of a registry."""

    def __str__(self) -> str:  # KeyError would quote the message
        return str(self.args[0]) if self.args else ""


class MissingExtraError(XprojError, ImportError):
    """An optional dependency is missing; the message names the ``pip install`` that fixes it."""

    def __init__(self, package: str, extra: str, *, what: str) -> None:
        self.package = package
        self.extra = extra
        super().__init__(
            f"{what} needs the Python package '{package}', which is not installed. "
            f'Install it with: pip install "xproj[{extra}]"'
        )


# How the running ``xproj`` command spells each reading option (see option_hints); None when
# xproj is used from Python.
_OPTION_SPELLINGS: ContextVar[Mapping[str, str] | None] = ContextVar(
    "xproj_option_spellings", default=None
)


def option_hint(name: str, value: str = "...") -> str:
    """How the caller sets the reading option ``name`` to ``value``, as an imperative phrase.

    Error messages suggest options (``repair='fix'``, ``one_based=True``, ``encoding=``). From
    Python those are keyword arguments; the ``xproj`` command line spells them as flags or
    config fields, or has none. The command declares its spellings with :func:`option_hints`.

    Parameters
    ----------
    name
        The keyword argument of the Python API, e.g. ``"repair"``.
    value
        The value as Python source, e.g. ``"'fix'"`` or ``"True"``.

    Examples
    --------
    >>> option_hint("repair", "'fix'")
    "pass repair='fix'"
    >>> with option_hints({"one_based=True": "pass --one-based"}):
    ...     print(option_hint("one_based", "True"))
    ...     print(option_hint("repair", "'fix'"))
    pass --one-based
    this command has no option for that (xproj's Python readers take repair='fix')
    """
    spellings = _OPTION_SPELLINGS.get()
    python = f"{name}={value}"
    if spellings is None:
        return f"pass {python}"
    spelled = spellings.get(python, spellings.get(name))
    if spelled is None:
        return f"this command has no option for that (xproj's Python readers take {python})"
    return spelled.replace("{value}", value.strip("'\""))


@contextlib.contextmanager
def option_hints(spellings: Mapping[str, str]) -> Iterator[None]:
    """Within the block, :func:`option_hint` speaks the command line's language.

    ``spellings`` maps an option's Python name (or ``name=value``, for a phrase that holds
    for that value only) to the phrase that sets it in this command, e.g.
    ``{"one_based=True": "pass --one-based"}``; ``{value}`` in a phrase is replaced by the
    suggested value. Options it does not name are reported as absent from the command.
    """
    token = _OPTION_SPELLINGS.set(spellings)
    try:
        yield
    finally:
        _OPTION_SPELLINGS.reset(token)
