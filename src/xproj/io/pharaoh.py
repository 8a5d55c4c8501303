"""Read and write Pharaoh word-alignment files.

One line per sentence pair; each link is ``i-j`` (a sure link from source word ``i`` to target
word ``j``) or ``ipj`` (a "possible" link, used by gold standards). An empty line is a sentence
pair with no links. Indices are 0-based unless the file says otherwise: gold standards from the
WPT shared tasks (e.g. ``alignment_gold/*.gold``) are 1-based, aligner outputs such as
awesome-align's are 0-based. xproj's objects are always 0-based.

Examples
--------
>>> import io
>>> text = "1-1 2p2\\n\\n2-1\\n"
>>> read_pharaoh_links(io.StringIO(text), one_based=True)
[[(0, 0)], [], [(1, 0)]]
>>> a = read_pharaoh(io.StringIO(text), [2, 1, 2], [2, 1, 1], one_based=True)
>>> a[0].links, a[0].possible
(((0, 0),), ((1, 1),))
>>> out = io.StringIO()
>>> write_pharaoh(out, a)
>>> out.getvalue()
'0-0 1p1\\n\\n1-0\\n'
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import TextIO

from xproj.errors import InputError, option_hint
from xproj.io._files import read_lines, source_name
from xproj.types import Alignment

__all__ = ["read_pharaoh", "read_pharaoh_links", "write_pharaoh"]

_Links = list[tuple[int, int]]


def _parse(
    source: str | Path | TextIO, one_based: bool, encoding: str
) -> Iterator[tuple[int, str, _Links, _Links, list[str], list[str]]]:
    """Per line: number, name, sure links, possible links, and their tokens as written."""
    name = source_name(source)
    shift = 1 if one_based else 0
    for n, line in enumerate(read_lines(source, encoding), 1):
        sure: _Links = []
        possible: _Links = []
        sure_tok: list[str] = []
        possible_tok: list[str] = []
        seen: set[tuple[int, int]] = set()
        for tok in line.split():
            sep = "p" if "p" in tok else "-"
            a, found, b = tok.partition(sep)
            if not (found and a.isascii() and b.isascii() and a.isdigit() and b.isdigit()):
                raise InputError(
                    f"alignment token {tok!r} is not of the form i-j (sure link) or ipj "
                    "(possible link) with non-negative integers",
                    path=name,
                    line=n,
                )
            pair = (int(a) - shift, int(b) - shift)
            if min(pair) < 0:
                raise InputError(
                    f"link {tok!r} has index 0, but the file is read as 1-based; if its "
                    f"indices start at 0, {option_hint('one_based', 'False')}",
                    path=name,
                    line=n,
                )
            if pair in seen:
                continue  # a repeated link; "ipj" after "i-j" stays a sure link
            seen.add(pair)
            if sep == "p":
                possible.append(pair)
                possible_tok.append(tok)
            else:
                sure.append(pair)
                sure_tok.append(tok)
        if possible and sure:
            sure_set = set(sure)
            keep = [k for k, p in enumerate(possible) if p not in sure_set]
            possible = [possible[k] for k in keep]
            possible_tok = [possible_tok[k] for k in keep]
        yield n, name, sure, possible, sure_tok, possible_tok


def read_pharaoh_links(
    path: str | Path | TextIO, *, one_based: bool = False, encoding: str = "utf-8"
) -> list[list[tuple[int, int]]]:
    """Read the sure links of each line, as 0-based ``(source, target)`` pairs.

    Possible links (``ipj``) are skipped; use :func:`read_pharaoh` to keep them. Repeated links
    are read once.

    Parameters
    ----------
    path
        A Pharaoh file, or an open text stream.
    one_based
        Whether the file's indices start at 1 (they are shifted to 0-based).
    encoding
        The file's text encoding.

    Returns
    -------
    list of list of (int, int)
        One list of links per line, empty lines included.

    Raises
    ------
    InputError
        Naming the file and line for a malformed link, or for index 0 in a 1-based file.
    """
    return [sure for _, _, sure, _, _, _ in _parse(path, one_based, encoding)]


def read_pharaoh(
    path: str | Path | TextIO,
    src_lens: Sequence[int],
    tgt_lens: Sequence[int],
    *,
    one_based: bool = False,
    encoding: str = "utf-8",
) -> list[Alignment]:
    """Read a Pharaoh file into alignments checked against the sentence lengths.

    Parameters
    ----------
    path
        A Pharaoh file, or an open text stream.
    src_lens, tgt_lens
        The number of words of each source and target sentence, one per line of the file, e.g.
        ``[len(s) for s in sources]``.
    one_based
        Whether the file's indices start at 1.
    encoding
        The file's text encoding.

    Returns
    -------
    list of Alignment
        One per line: sure links in ``links``, possible-only links (``ipj`` not also given as
        ``i-j``) in ``possible``, both 0-based.

    Raises
    ------
    InputError
        If the line count differs from the number of sentence pairs (naming both), or naming
        the file, line and link when an index lies outside its sentence; the message suggests
        ``one_based`` when the index pattern points to the other base.

    Examples
    --------
    >>> import io
    >>> try:
    ...     read_pharaoh(io.StringIO("0-0 2-1\\n"), [2], [2])
    ... except InputError as e:
    ...     print(e)  # doctest: +ELLIPSIS
    <stream>:1, sentence 0: link '2-1' lies outside the sentence pair ...; ... pass one_based=True
    """
    name = source_name(path)
    if len(src_lens) != len(tgt_lens):
        raise InputError(
            f"{len(src_lens)} source lengths but {len(tgt_lens)} target lengths; give one of "
            "each per sentence pair"
        )
    rows = list(_parse(path, one_based, encoding))
    if len(rows) != len(src_lens):
        raise InputError(
            f"{name} has {len(rows)} lines but {len(src_lens)} sentence pairs were given; the "
            "file needs one line per pair, in order (an empty line for a pair without links)"
        )
    out: list[Alignment] = []
    for (n, _, sure, possible, sure_tok, possible_tok), m, k in zip(rows, src_lens, tgt_lens):
        for (i, j), tok in zip(sure + possible, sure_tok + possible_tok):
            if i >= m or j >= k:
                hint = ""
                if not one_based and (i == m or j == k):
                    hint = (
                        "; an index equal to the sentence length suggests a 1-based file: "
                        + option_hint("one_based", "True")
                    )
                elif one_based:
                    hint = " (the file is read as 1-based)"
                raise InputError(
                    f"link {tok!r} lies outside the sentence pair ({m} source words, {k} target "
                    f"words){hint}",
                    path=name,
                    line=n,
                    sentence=n - 1,
                )
        out.append(Alignment(m, k, tuple(sure), None, tuple(possible)))
    return out


def write_pharaoh(
    path: str | Path | TextIO,
    alignments: Iterable[Alignment],
    *,
    one_based: bool = False,
    possible: bool = True,
    encoding: str = "utf-8",
) -> None:
    """Write alignments, one line each: sure links ``i-j``, then possible ones ``ipj``.

    Parameters
    ----------
    path
        A file path (overwritten) or an open text stream.
    alignments
        The alignments, in sentence order.
    one_based
        Write 1-based indices instead of 0-based ones.
    possible
        Whether to write the ``possible`` links (scores are never written).
    encoding
        The text encoding of a file target.
    """
    shift = 1 if one_based else 0

    def lines() -> Iterator[str]:
        for a in alignments:
            toks = [f"{i + shift}-{j + shift}" for i, j in a.links]
            if possible:
                toks += [f"{i + shift}p{j + shift}" for i, j in a.possible]
            yield " ".join(toks) + "\n"

    if isinstance(path, (str, Path)):
        with open(path, "w", encoding=encoding) as f:
            f.writelines(lines())
    else:
        path.writelines(lines())
