"""The checks every stage's batch entry point runs (``xproj._batch``)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import pytest

import xproj
from xproj import InputError, LabelledSentence, Pipeline, Sentence
from xproj._batch import check_items, check_same_length
from xproj.align.base import Aligner
from xproj.types import Alignment

SRC = [LabelledSentence.from_tags(["Anna", "in", "Oslo"], ["B-PER", "O", "B-LOC"], "en")]


@dataclass(kw_only=True)
class DiagonalAligner(Aligner):
    def _align(self, sources: Sequence[Sentence], targets: Sequence[Sentence]) -> list[Alignment]:
        return [
            Alignment(len(s), len(t), tuple((i, i) for i in range(min(len(s), len(t)))))
            for s, t in zip(sources, targets)
        ]


def test_strings_as_translations_are_named_errors() -> None:
    """Strings where sentences belong raised a raw AttributeError inside the aligner."""
    pipe = Pipeline(aligner=DiagonalAligner(), projector=xproj.projectors.get("heuristic"))
    with pytest.raises(
        InputError,
        match=r"^sentence 0: targets item is a str \('Anna in Oslo'\), not a Sentence or "
        r"LabelledSentence; build it from its words: Sentence\(\['Anna', 'in', 'Oslo'\]",
    ):
        pipe.translate_train(SRC, "de", translations=["Anna in Oslo"])  # type: ignore[list-item]
    with pytest.raises(InputError, match=r"^translations is the string 'Anna in Oslo', not a list"):
        pipe.translate_train(SRC, "de", translations="Anna in Oslo")  # type: ignore[arg-type]
    # a word list in place of a Sentence
    with pytest.raises(InputError, match=r"targets item is a list \(\['Anna'\]\), not a Sentence"):
        pipe.translate_train(SRC, "de", translations=[["Anna"]])  # type: ignore[list-item]
    good = pipe.translate_train(SRC, "de", translations=[Sentence(("Anna", "in", "Oslo"))])
    assert good.projections[0].tags == ("B-PER", "O", "B-LOC")


def test_projector_inputs_are_checked_by_type() -> None:
    projector = xproj.projectors.get("heuristic")
    target = Sentence(("Anna",))
    with pytest.raises(InputError, match=r"sentence 0: alignments item is a list"):
        projector.project(SRC, [target], [[(0, 0)]])  # type: ignore[list-item]
    with pytest.raises(InputError, match=r"sentence 0: sources item is a Sentence"):
        projector.project([target], [target], [Alignment(1, 1)])  # type: ignore[list-item]


def test_check_helpers() -> None:
    assert check_same_length(a=[1], b=[2]) == 1
    check_items("sentences", [Sentence(("x",))], Sentence)
    with pytest.raises(InputError, match=r"^sentences is the string 'x y'"):
        check_items("sentences", "x y", Sentence)
