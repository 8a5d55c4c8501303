"""Shared helpers of the readers and writers: source names, line splitting that keeps line
numbers, and the check that an output location can be written before any work starts."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Literal, TextIO

from xproj.errors import InputError, OutputError, option_hint

__all__ = ["decode_error", "not_a_file", "prepare_output", "read_lines", "source_name"]


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
        f"the file is not valid {encoding} ({err.reason}); convert it to {encoding}, or name "
        f"its encoding: {option_hint('encoding', repr('latin-1'))}",
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


def not_a_file(path: str | Path) -> str | None:
    """Why ``path`` cannot be read as a file, or None when it can.

    >>> not_a_file("/")
    "'/' is a folder, not a file; give the path of a file inside it"
    >>> not_a_file("/no/such/file.conll")
    'file not found: /no/such/file.conll'
    """
    p = Path(path)
    if p.is_file():
        return None
    if p.is_dir():
        return f"{str(p)!r} is a folder, not a file; give the path of a file inside it"
    if p.exists():
        return f"{str(p)!r} is not a regular file"
    return f"file not found: {p}"


def prepare_output(
    path: str | Path, *, kind: Literal["dir", "file"], what: str = "the output"
) -> Path:
    """Create the folder ``path`` (or the folder of the file ``path``) and check it is writable.

    Called before any model loads or any stage runs, by ``xproj run`` (also with ``--check``)
    and by :func:`xproj.run.run`, and for the ``-o`` of ``xproj project`` and ``xproj align``:
    otherwise an impossible output location (a path under a file, a read-only or virtual file
    system such as ``/proc``) is noticed only when the results are written, after all the
    work. The check writes and removes one empty temporary file in the folder.

    Parameters
    ----------
    path
        The output folder (``kind="dir"``) or file (``kind="file"``).
    kind
        Whether ``path`` is a folder to create or a file to be written.
    what
        How the error names the location, e.g. ``"-o"`` or ``"the output folder"``.

    Returns
    -------
    Path
        ``path`` as a :class:`~pathlib.Path`.

    Raises
    ------
    OutputError
        Naming the path, the reason and what to do.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> d = pathlib.Path(tempfile.mkdtemp())
    >>> prepare_output(d / "runs" / "a", kind="dir").is_dir()
    True
    >>> _ = (d / "f").write_text("x")
    >>> prepare_output(d / "f" / "out.conll", kind="file")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    xproj.errors.OutputError: ...: cannot create the folder ...: ... is a file, not a folder; ...
    """
    out = Path(path)
    folder = out if kind == "dir" else out.parent
    if kind == "file" and out.is_dir():
        raise OutputError(f"{what} {str(out)!r} is a folder; give a file name to write")
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise OutputError(
            f"{what} {str(out)!r}: cannot create the folder {str(folder)!r}: "
            f"{_reason(e, folder)}; choose another location"
        ) from None
    try:
        if kind == "file" and out.exists():
            with open(out, "ab"):  # opening for append neither changes nor truncates it
                pass
        else:
            fd, probe = tempfile.mkstemp(dir=folder, prefix=".xproj-write-check-")
            os.close(fd)
            os.unlink(probe)
    except OSError as e:
        target = out if kind == "file" and out.exists() else folder
        raise OutputError(
            f"{what} {str(out)!r}: cannot write to {str(target)!r}: {_reason(e, target)}; "
            "choose another location or fix its permissions"
        ) from None
    return out


def _reason(e: OSError, path: Path) -> str:
    """Why an OS call on ``path`` failed, in words (the blocking file for a path under a file)."""
    if isinstance(e, (NotADirectoryError, FileExistsError)):
        for parent in [path, *path.parents]:
            if parent.exists() and not parent.is_dir():
                return f"{str(parent)!r} is a file, not a folder"
    if isinstance(e, FileNotFoundError):
        return f"{e.strerror or 'no such file or directory'} (the file system does not allow it)"
    return e.strerror or str(e)
