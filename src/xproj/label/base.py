"""The Labeller interface."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence
from dataclasses import dataclass
from typing import ClassVar

from xproj._batch import check_items
from xproj.params import Component
from xproj.types import LabelledSentence, Sentence

__all__ = ["Labeller"]


@dataclass(kw_only=True)
class Labeller(Component, ABC):
    """Finds entity spans in sentences, keeping the caller's words.

    Subclasses implement :meth:`_label`; :meth:`label` guarantees one output per input with
    the same words.
    """

    name: ClassVar[str] = ""

    def label(self, sentences: Sequence[Sentence]) -> list[LabelledSentence]:
        """Label a batch; one :class:`LabelledSentence` out per sentence in, same words."""
        check_items("sentences", sentences, (Sentence, LabelledSentence))
        out = self._label(sentences)
        if len(out) != len(sentences):
            raise RuntimeError(
                f"{type(self).__name__} returned {len(out)} labelled sentences for "
                f"{len(sentences)} sentences"
            )
        for k, (s, o) in enumerate(zip(sentences, out)):
            if s.words != o.words:
                raise RuntimeError(f"{type(self).__name__} changed the words of sentence {k}")
        return out

    @abstractmethod
    def _label(self, sentences: Sequence[Sentence]) -> list[LabelledSentence]:
        """Label a batch."""
