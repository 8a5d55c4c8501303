"""Writing CoNLL files (:func:`write_conll`): ``token<TAB>tag`` lines, a blank line after each
sentence. Public through :mod:`xproj.io.conll`, with the reader whose formats it writes."""

from __future__ import annotations

import enum
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO

from xproj.errors import InputError
from xproj.io.tags import _parse_enum
from xproj.types import LabelledSentence, Projection

__all__ = ["ConllWriteSummary", "EmptySentences", "write_conll"]


class EmptySentences(str, enum.Enum):
    """What :func:`write_conll` does with a sentence of no words, which CoNLL cannot hold."""

    ERROR = "error"
    SKIP = "skip"

    @classmethod
    def parse(cls, value: EmptySentences | str) -> EmptySentences:
        """The policy named by ``value``."""
        return _parse_enum(cls, value, "empty-sentence policy")


@dataclass(frozen=True)
class ConllWriteSummary:
    """What :func:`write_conll` wrote: the sentence count and the indices it skipped (empty)."""

    written: int
    skipped: tuple[int, ...]


def write_conll(
    target: str | Path | TextIO,
    sentences: Iterable[LabelledSentence | Projection],
    *,
    sep: str = "\t",
    empty: EmptySentences | str = EmptySentences.ERROR,
    encoding: str = "utf-8",
) -> ConllWriteSummary:
    """Write sentences as ``token<sep>IOB2-tag`` lines with a blank line after each sentence.

    Parameters
    ----------
    target
        A path (overwritten) or an open text stream.
    sentences
        Labelled sentences, or projections (their ``target`` is written).
    sep
        ``"\\t"`` (default) or ``" "``.
    empty
        A sentence of no words (e.g. an empty translation) cannot be written in CoNLL: by
        default it raises an error naming its index; ``"skip"`` leaves it out and lists its
        index in the returned summary, so the caller can report it.
    encoding
        The text encoding of a file target.

    Returns
    -------
    ConllWriteSummary
        How many sentences were written and which (0-based) indices were skipped.
    """
    if sep not in ("\t", " "):
        raise InputError(f"sep must be a tab or a single space, got {sep!r}")
    policy = EmptySentences.parse(empty)
    if isinstance(target, (str, Path)):
        with open(target, "w", encoding=encoding) as f:
            return _write(f, sentences, sep, policy)
    return _write(target, sentences, sep, policy)


def _write(
    f: TextIO,
    sentences: Iterable[LabelledSentence | Projection],
    sep: str,
    policy: EmptySentences,
) -> ConllWriteSummary:
    written = 0
    skipped: list[int] = []
    for k, item in enumerate(sentences):
        s = item.target if isinstance(item, Projection) else item
        if not isinstance(s, LabelledSentence):
            raise InputError(
                f"expected a LabelledSentence or Projection, got {type(item).__name__}",
                sentence=k,
            )
        if not s.words:
            if policy is EmptySentences.ERROR:
                raise InputError(
                    "the sentence has no words and CoNLL cannot represent an empty sentence; "
                    "pass empty='skip' to leave it out (its index is reported)",
                    sentence=k,
                )
            skipped.append(k)
            continue
        f.write("".join(f"{w}{sep}{t}\n" for w, t in zip(s.words, s.tags)))
        f.write("\n")
        written += 1
    return ConllWriteSummary(written, tuple(skipped))
