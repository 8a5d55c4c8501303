"""Alignments given up front (read from a Pharaoh file, or computed elsewhere)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from xproj.align.base import Aligner
from xproj.errors import InputError, ParameterError
from xproj.params import InstanceOf, NoneOr
from xproj.types import Alignment, Sentence

__all__ = ["PrecomputedAligner"]


@dataclass(kw_only=True)
class PrecomputedAligner(Aligner):
    """Serves alignments that already exist, in order, checking them against the sentences.

    Parameters
    ----------
    path
        A Pharaoh file (one line per sentence pair, ``i-j`` links, ``ipj`` possible links).
    one_based
        Whether the file's indices start at 1.
    links
        Alternatively, the links themselves: one list of ``(i, j)`` pairs per sentence pair.

    Examples
    --------
    >>> a = PrecomputedAligner(links=[[(0, 1), (1, 0)]])
    >>> a.align([Sentence(("a", "b"))], [Sentence(("B", "A"))])[0].links
    ((0, 1), (1, 0))
    """

    path: str | Path | None = None
    one_based: bool = False
    links: Sequence[Sequence[tuple[int, int]]] | None = None
    _cache: list[list[tuple[int, int]]] | None = field(
        default=None, init=False, repr=False, compare=False
    )
    _constraints = {
        "path": NoneOr(InstanceOf((str, Path))),
        "one_based": InstanceOf((bool,)),
    }

    def __post_init__(self) -> None:
        super().__post_init__()
        if (self.path is None) == (self.links is None):
            raise ParameterError("give PrecomputedAligner exactly one of path= or links=")

    def _load(self) -> list[list[tuple[int, int]]]:
        if self._cache is None:
            if self.links is not None:
                self._cache = [[(int(i), int(j)) for i, j in pairs] for pairs in self.links]
            else:
                from xproj.io.pharaoh import read_pharaoh_links

                assert self.path is not None
                self._cache = read_pharaoh_links(self.path, one_based=self.one_based)
        return self._cache

    def _align(self, sources: Sequence[Sentence], targets: Sequence[Sentence]) -> list[Alignment]:
        table = self._load()
        where = str(self.path) if self.path is not None else "the links given"
        if len(table) != len(sources):
            raise InputError(
                f"{where} holds {len(table)} alignments but {len(sources)} sentence pairs were "
                "given; the file must have one line per pair, in order"
            )
        out = []
        for k, (s, t, pairs) in enumerate(zip(sources, targets, table)):
            try:
                out.append(Alignment(len(s), len(t), tuple(pairs)))
            except InputError as e:
                raise e.at(path=self.path, line=k + 1 if self.path else None, sentence=k) from None
        return out
