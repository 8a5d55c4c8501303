"""Word-alignment quality against gold with sure and possible links (Och & Ney 2003).

Convention (that of awesome-align's and SimAlign's evaluation scripts): with predicted links
``A``, gold sure links ``S`` and gold possible links ``P`` (``P`` includes ``S``), counted over
the whole corpus,

- precision ``= |A ∩ P| / |A|``
- recall ``= |A ∩ S| / |S|``
- F1 ``= 2 · precision · recall / (precision + recall)``
- AER ``= 1 - (|A ∩ S| + |A ∩ P|) / (|A| + |S|)``

A gold :class:`~xproj.types.Alignment` keeps its sure links in ``links`` and its possible-only
links in ``possible``; ``P`` is their union. Predicted ``possible`` links are ignored.

Examples
--------
>>> from xproj.types import Alignment
>>> gold = Alignment(3, 3, links=((0, 0), (1, 1)), possible=((2, 2),))
>>> pred = Alignment(3, 3, links=((0, 0), (2, 2), (2, 1)))
>>> s = alignment_scores([pred], [gold])
>>> round(s.precision, 3), round(s.recall, 3), round(s.aer, 3)
(0.667, 0.5, 0.4)
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass

from xproj._batch import check_same_length
from xproj.errors import InputError
from xproj.types import Alignment

__all__ = ["AlignmentCounts", "AlignmentScores", "alignment_counts", "alignment_scores"]


@dataclass(frozen=True, slots=True)
class AlignmentCounts:
    """Corpus totals behind the scores.

    Attributes
    ----------
    predicted
        ``|A|``, predicted links.
    sure
        ``|S|``, gold sure links.
    possible
        ``|P|``, gold sure plus possible-only links.
    hit_sure
        ``|A ∩ S|``.
    hit_possible
        ``|A ∩ P|``.
    """

    predicted: int = 0
    sure: int = 0
    possible: int = 0
    hit_sure: int = 0
    hit_possible: int = 0

    def __add__(self, other: AlignmentCounts) -> AlignmentCounts:
        return AlignmentCounts(
            self.predicted + other.predicted,
            self.sure + other.sure,
            self.possible + other.possible,
            self.hit_sure + other.hit_sure,
            self.hit_possible + other.hit_possible,
        )

    def scores(self) -> AlignmentScores:
        """Precision, recall, F1 and AER from these counts (0 where a denominator is 0)."""
        p = self.hit_possible / self.predicted if self.predicted else 0.0
        r = self.hit_sure / self.sure if self.sure else 0.0
        f1 = 2 * p * r / (p + r) if p + r else 0.0
        denom = self.predicted + self.sure
        aer = 1.0 - (self.hit_sure + self.hit_possible) / denom if denom else 0.0
        return AlignmentScores(precision=p, recall=r, f1=f1, aer=aer, counts=self)


@dataclass(frozen=True, slots=True)
class AlignmentScores:
    """Precision, recall, F1 and AER of a predicted alignment; see the module for definitions."""

    precision: float
    recall: float
    f1: float
    aer: float
    counts: AlignmentCounts

    def to_dict(self) -> dict[str, float]:
        """``{"precision", "recall", "f1", "aer"}`` as plain floats (JSON-ready)."""
        return {"precision": self.precision, "recall": self.recall, "f1": self.f1, "aer": self.aer}

    def counts_dict(self) -> dict[str, int]:
        """The corpus counts as a plain dictionary."""
        return asdict(self.counts)


def alignment_counts(predicted: Alignment, gold: Alignment, *, index: int = 0) -> AlignmentCounts:
    """Counts for one sentence pair; ``index`` names the pair in errors.

    Raises
    ------
    InputError
        If the two alignments are over sentences of different lengths.
    """
    if (predicted.src_len, predicted.tgt_len) != (gold.src_len, gold.tgt_len):
        raise InputError(
            f"the predicted alignment is over {predicted.src_len}x{predicted.tgt_len} words but "
            f"the gold one over {gold.src_len}x{gold.tgt_len}; align the same sentences, in "
            "the same (source, target) direction",
            sentence=index,
        )
    a = set(predicted.links)
    s = set(gold.links)
    p = s | set(gold.possible)
    return AlignmentCounts(len(a), len(s), len(p), len(a & s), len(a & p))


def alignment_scores(predicted: Sequence[Alignment], gold: Sequence[Alignment]) -> AlignmentScores:
    """Corpus-level precision, recall, F1 and AER (counts summed over all pairs).

    Parameters
    ----------
    predicted
        One alignment per sentence pair.
    gold
        The gold alignments, same order: sure links in ``links``, possible-only in ``possible``.

    Examples
    --------
    >>> from xproj.types import Alignment
    >>> gold = [Alignment(2, 2, links=((0, 0), (1, 1)))]
    >>> alignment_scores([Alignment(2, 2, links=((0, 0), (1, 1)))], gold).f1
    1.0
    """
    check_same_length(predicted=predicted, gold=gold)
    total = AlignmentCounts()
    for k, (a, g) in enumerate(zip(predicted, gold)):
        total = total + alignment_counts(a, g, index=k)
    return total.scores()
