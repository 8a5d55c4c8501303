"""Shared helpers of the readers: source names and line splitting that keeps line numbers."""

from __future__ import annotations

from pathlib import Path
from typing import TextIO

from xproj.errors import InputError

__all__ = ["decode_error", "read_lines", "source_name"]


def source_name(source: str | Path | TextIO) -> str:
    """The path of a file source, or the stream's ``name`` (``"<stream>"`` when it has none)."""
    if isinstance(source, (str, Path)):
        return str(source)
    return str(getattr(source, "name", "<stream>"))


def decode_error(source: str | Path | TextIO, encoding: str, err: UnicodeDecodeError) -> InputError:
    """An :class:`InputError` for a file that is not valid ``encoding``, naming the bad line.

    Text files are decoded in blocks, so the line is found by decoding the file's bytes line by
    line (only on this error path). Streams are named without a line.
    """
    line = None
    if isinstance(source, (str, Path)):
        with open(source, "rb") as f:
            for n, raw in enumerate(f, 1):
                try:
                    raw.decode(encoding)
                except UnicodeDecodeError:
                    line = n
                    break
    return InputError(
        f"the file is not valid {encoding} ({err.reason}); convert it to {encoding} or pass "
        "encoding= with the file's encoding",
        path=source_name(source),
        line=line,
    )


def read_lines(source: str | Path | TextIO, encoding: str = "utf-8") -> list[str]:
    """The lines of a text file or stream, without line endings.

    Lines end at ``\\n``, ``\\r\\n`` or ``\\r`` only (not at the other Unicode line separators
    that :meth:`str.splitlines` honours, which would shift line-aligned files). A final line
    ending does not start an extra line; a leading UTF-8 byte-order mark is dropped.

    >>> import io
    >>> read_lines(io.StringIO("a\\u2028b\\r\\n\\nc\\n"))
    ['a\\u2028b', '', 'c']
    """
    name = source_name(source)
    try:
        if isinstance(source, (str, Path)):
            with open(source, encoding=encoding, newline=None) as f:
                text = f.read()
        else:
            text = source.read()
    except FileNotFoundError:
        raise InputError(f"no such file: {name}") from None
    except UnicodeDecodeError as e:
        raise decode_error(source, encoding, e) from None
    text = text.removeprefix("\ufeff").replace("\r\n", "\n").replace("\r", "\n")
    if not text:
        return []
    lines = text.split("\n")
    if lines[-1] == "":
        lines.pop()
    return lines
