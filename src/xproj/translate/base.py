"""The Translator interface."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence
from dataclasses import dataclass
from typing import ClassVar

from xproj._batch import check_items
from xproj.params import Component
from xproj.types import LabelledSentence, Sentence

__all__ = ["Translator"]


@dataclass(kw_only=True)
class Translator(Component, ABC):
    """Translates sentences into ``tgt_lang``, returning them split into words.

    The source language of each sentence is its ``lang``. Subclasses implement
    :meth:`_translate`; :meth:`translate` guarantees one output per input, in order.
    """

    name: ClassVar[str] = ""

    def translate(self, sentences: Sequence[Sentence], tgt_lang: str) -> list[Sentence]:
        """Translate a batch into ``tgt_lang``; one :class:`Sentence` out per sentence in."""
        check_items("sentences", sentences, (Sentence, LabelledSentence))
        out = self._translate(sentences, tgt_lang)
        if len(out) != len(sentences):
            raise RuntimeError(
                f"{type(self).__name__} returned {len(out)} translations for "
                f"{len(sentences)} sentences"
            )
        return out

    @abstractmethod
    def _translate(self, sentences: Sequence[Sentence], tgt_lang: str) -> list[Sentence]:
        """Translate a batch."""
