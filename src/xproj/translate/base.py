"""The Translator interface."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence
from dataclasses import dataclass

from xproj._batch import check_items
from xproj.params import Component
from xproj.reported import Reported
from xproj.types import LabelledSentence, Sentence

__all__ = ["Translator"]


@dataclass(kw_only=True)
class Translator(Component, ABC):
    """Translates sentences into ``tgt_lang``, returning them split into words.

    The source language of each sentence is its ``lang``. Subclasses implement
    :meth:`_translate` (returning the translations, or a :class:`~xproj.reported.Reported`
    with a report on the call); :meth:`translate` guarantees one output per input, in order.
    """

    def translate(self, sentences: Sequence[Sentence], tgt_lang: str) -> list[Sentence]:
        """Translate a batch into ``tgt_lang``; one :class:`Sentence` out per sentence in."""
        return self._checked(sentences, tgt_lang).items

    def translate_reported(
        self, sentences: Sequence[Sentence], tgt_lang: str
    ) -> Reported[Sentence]:
        """:meth:`translate`, with the backend's report on the call (empty if it has none)."""
        return self._checked(sentences, tgt_lang)

    def _checked(self, sentences: Sequence[Sentence], tgt_lang: str) -> Reported[Sentence]:
        # one call deep from both public methods, so warnings point at their caller
        check_items("sentences", sentences, (Sentence, LabelledSentence))
        out = Reported.of(self._translate(sentences, tgt_lang))
        if len(out) != len(sentences):
            raise RuntimeError(
                f"{type(self).__name__} returned {len(out)} translations for "
                f"{len(sentences)} sentences"
            )
        return out

    @abstractmethod
    def _translate(
        self, sentences: Sequence[Sentence], tgt_lang: str
    ) -> list[Sentence] | Reported[Sentence]:
        """Translate a batch."""
