"""The Aligner interface."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence
from dataclasses import dataclass

from xproj._batch import check_items, check_same_length
from xproj.params import Component
from xproj.types import Alignment, LabelledSentence, Sentence

__all__ = ["Aligner"]


@dataclass(kw_only=True)
class Aligner(Component, ABC):
    """Links the words of each source sentence to the words of its target sentence.

    Subclasses implement :meth:`_align`; :meth:`align` checks the batch and the result.
    Empty sentences on either side yield an alignment without links.
    """

    def align(self, sources: Sequence[Sentence], targets: Sequence[Sentence]) -> list[Alignment]:
        """Align a batch; one :class:`Alignment` per sentence pair, in input order."""
        check_same_length(sources=sources, targets=targets)
        check_items("sources", sources, (Sentence, LabelledSentence))
        check_items("targets", targets, (Sentence, LabelledSentence))
        out = self._align(sources, targets)
        if len(out) != len(sources):
            raise RuntimeError(
                f"{type(self).__name__} returned {len(out)} alignments for {len(sources)} pairs"
            )
        return out

    @abstractmethod
    def _align(self, sources: Sequence[Sentence], targets: Sequence[Sentence]) -> list[Alignment]:
        """Align a checked batch."""
