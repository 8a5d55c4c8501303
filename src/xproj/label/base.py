"""The Labeller interface."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence
from dataclasses import dataclass

from xproj._batch import check_items
from xproj.params import Component
from xproj.reported import Reported
from xproj.types import LabelledSentence, Sentence

__all__ = ["Labeller"]


@dataclass(kw_only=True)
class Labeller(Component, ABC):
    """Finds entity spans in sentences, keeping the caller's words.

    Subclasses implement :meth:`_label` (returning the labelled sentences, or a
    :class:`~xproj.reported.Reported` with a report on the call); :meth:`label` guarantees
    one output per input with the same words.
    """

    def label(self, sentences: Sequence[Sentence]) -> list[LabelledSentence]:
        """Label a batch; one :class:`LabelledSentence` out per sentence in, same words."""
        return self._checked(sentences).items

    def label_reported(self, sentences: Sequence[Sentence]) -> Reported[LabelledSentence]:
        """:meth:`label`, with the backend's report on the call (empty if it has none)."""
        return self._checked(sentences)

    def _checked(self, sentences: Sequence[Sentence]) -> Reported[LabelledSentence]:
        # one call deep from both public methods, so warnings point at their caller
        check_items("sentences", sentences, (Sentence, LabelledSentence))
        out = Reported.of(self._label(sentences))
        if len(out) != len(sentences):
            raise RuntimeError(
                f"{type(self).__name__} returned {len(out)} labelled sentences for "
                f"{len(sentences)} sentences"
            )
        for k, (s, o) in enumerate(zip(sentences, out.items)):
            if s.words != o.words:
                raise RuntimeError(f"{type(self).__name__} changed the words of sentence {k}")
        return out

    @abstractmethod
    def _label(
        self, sentences: Sequence[Sentence]
    ) -> list[LabelledSentence] | Reported[LabelledSentence]:
        """Label a batch."""
