"""Back-translation refinement: fusion modes, counts, fallbacks, input errors, real Apertium."""

from __future__ import annotations

import shutil
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar

import pytest

from xproj import InputError, LabelledSentence, ParameterError, Projection, Sentence
from xproj.align.base import Aligner
from xproj.backtranslate import (
    BackTranslationRefiner,
    BackTranslationReport,
    Fuse,
    fuse_projections,
)
from xproj.errors import XprojError
from xproj.pipeline import Pipeline
from xproj.project.heuristic import HeuristicProjector
from xproj.text import split_words
from xproj.translate.base import Translator
from xproj.types import Alignment, ProjectedSpan


@dataclass(kw_only=True)
class TableTranslator(Translator):
    """Translates by table lookup of the input text; records what it was asked."""

    name: ClassVar[str] = "table"
    table: dict[str, str]
    unsupported: tuple[str, ...] = ()
    calls: list[list[str]] = field(default_factory=list)

    def _translate(self, sentences: Sequence[Sentence], tgt_lang: str) -> list[Sentence]:
        if tgt_lang in self.unsupported:
            raise XprojError(f"no pair translates into {tgt_lang!r}")
        self.calls.append([s.text for s in sentences])
        return [Sentence(tuple(split_words(self.table[s.text])), tgt_lang) for s in sentences]


@dataclass(kw_only=True)
class SameWordAligner(Aligner):
    """Links words that are equal when case-folded (target-to-target alignment stand-in)."""

    name: ClassVar[str] = "same_word"
    calls: int = 0

    def _align(self, sources: Sequence[Sentence], targets: Sequence[Sentence]) -> list[Alignment]:
        self.calls += 1
        out = []
        for s, t in zip(sources, targets):
            links = [
                (i, j)
                for i, a in enumerate(s.words)
                for j, b in enumerate(t.words)
                if a.casefold() == b.casefold()
            ]
            out.append(Alignment(len(s), len(t), tuple(links)))
        return out


TARGET = Sentence(("Habló", "la", "Sra.", "de", "Palacio", "en", "Bruselas", "."), "es")
ENGLISH = LabelledSentence.from_tags(
    ["Mrs", "of", "Palace", "spoke", "in", "Brussels", "."],
    ["O", "O", "B-PER", "O", "O", "B-LOC", "O"],
    "en",
)
# the direct projection got "Palacio" only (its English span was "Palace") and missed Brussels
DIRECT = Projection.build(TARGET.words, [ProjectedSpan(4, 5, "PER", 0, 0.9, "heuristic")], 2, "es")
BACK = {
    "Mrs of [ Palace ] spoke in [ Brussels ] .": "La Sra. [ de Palacio ] habló en [ Bruselas ] .",
    # entities of several types are also translated alone, to match labels to marked spans
    "Palace": "Palacio",
    "Brussels": "Bruselas",
}


def _refine(
    r: BackTranslationRefiner, *args: Sequence[Any]
) -> tuple[list[Projection], BackTranslationReport]:
    result = r.refine_reported(*args)
    return result.items, BackTranslationReport.from_dict(result.report)


def _refiner(fuse: str = "union") -> BackTranslationRefiner:
    return BackTranslationRefiner(
        translator=TableTranslator(table=BACK), aligner=SameWordAligner(), fuse=fuse
    )


def test_union_prefers_back_translation_and_adds_what_it_found() -> None:
    r = _refiner("union")
    out = r.refine([TARGET], [ENGLISH], [DIRECT])
    assert out[0].tags == ("O", "O", "O", "B-PER", "I-PER", "O", "B-LOC", "O")
    assert [(p.source, p.method) for p in out[0].projected] == [
        (0, "backtranslation"),
        (1, "backtranslation"),
    ]
    result = r.refine_reported([TARGET], [ENGLISH], [DIRECT])
    assert result.items == out  # the same projections, with the report
    rep = BackTranslationReport.from_dict(result.report)
    assert (rep.n_entities, rep.n_marker, rep.n_fuzzy, rep.n_lost) == (2, 2, 0, 0)
    assert (rep.n_back_projected, rep.n_agree, rep.n_from_direct, rep.n_output) == (2, 0, 0, 2)
    back = result.per_item["back_translations"]
    assert back[0] is not None
    assert back[0].words == ("La", "Sra.", "de", "Palacio", "habló", "en", "Bruselas", ".")


@pytest.mark.parametrize(
    ("fuse", "tags"),
    [
        ("none", ("O", "O", "O", "B-PER", "I-PER", "O", "B-LOC", "O")),
        ("direct_first", ("O", "O", "O", "O", "B-PER", "O", "B-LOC", "O")),
        ("agreement", ("O",) * 8),
    ],
)
def test_other_fusions(fuse: str, tags: tuple[str, ...]) -> None:
    out = _refiner(fuse).refine([TARGET], [ENGLISH], [DIRECT])
    assert out[0].tags == tags
    assert out[0].n_source == 2


def test_fuse_projections_rules() -> None:
    b = [ProjectedSpan(0, 2, "PER", 0, method="backtranslation")]
    d = [ProjectedSpan(1, 2, "PER", 0), ProjectedSpan(2, 3, "LOC", 1), ProjectedSpan(5, 6, "X", 2)]
    union = fuse_projections(b, d, Fuse.UNION)
    assert [(s.start, s.end, s.source) for s in union] == [(0, 2, 0), (2, 3, 1), (5, 6, 2)]
    # a direct span overlapping a back-translation span of another entity is left out
    b2 = [ProjectedSpan(1, 3, "PER", 0, method="backtranslation")]
    assert [s.source for s in fuse_projections(b2, d, "union")] == [0, 2]
    agree = fuse_projections([ProjectedSpan(2, 3, "LOC", 1)], d, "agreement")
    assert [(s.start, s.end, s.source) for s in agree] == [(2, 3, 1)]
    assert fuse_projections(b, d, "none") == b


def test_lost_markers_fall_back_to_fuzzy_then_to_the_direct_projection() -> None:
    table = {
        "Mrs of [ Palace ] spoke in [ Brussels ] .": "La Sra. de Palacio habló en Zaragoza .",
        "Palace": "Palacio",
        "Brussels": "Bruselas",
    }
    r = BackTranslationRefiner(translator=TableTranslator(table=table), aligner=SameWordAligner())
    out, rep = _refine(r, [TARGET], [ENGLISH], [DIRECT])
    assert (rep.n_marker, rep.n_fuzzy, rep.n_lost) == (0, 1, 1)  # "Palacio" found, Brussels lost
    # Palace -> "Palacio" by fuzzy matching, projected; nothing for Brussels on either route
    assert out[0].tags == ("O", "O", "O", "O", "B-PER", "O", "O", "O")
    assert out[0].unprojected == (1,)


def test_every_sentence_comes_out_and_sentences_without_entities_are_not_translated() -> None:
    empty_en = LabelledSentence(("Nothing", "."), (), "en")
    empty_tgt = Sentence(("Nada", "."), "es")
    no_words = Sentence((), "es")
    empty_proj = Projection.build(empty_tgt.words, [], 0, "es")
    none_proj = Projection.build((), [], 0, "es")
    tr = TableTranslator(table=BACK)
    r = BackTranslationRefiner(translator=tr, aligner=SameWordAligner())
    out, rep = _refine(
        r,
        [empty_tgt, TARGET, no_words],
        [empty_en, ENGLISH, LabelledSentence((), (), "en")],
        [empty_proj, DIRECT, none_proj],
    )
    assert len(out) == 3
    assert out[0] is empty_proj and out[2] is none_proj
    assert tr.calls == [["Mrs of [ Palace ] spoke in [ Brussels ] ."], ["Palace", "Brussels"]]
    assert rep.n_sentences == 3


def test_an_unsupported_language_raises_or_keeps_the_direct_projection() -> None:
    eu_target = Sentence(("Palacio", "Bruselasen", "."), "eu")
    eu_english = LabelledSentence.from_tags(["Palace", "in", "Brussels"], ["B-PER", "O", "B-LOC"])
    eu_english = LabelledSentence(eu_english.words, eu_english.spans, "en")
    eu_direct = Projection.build(eu_target.words, [ProjectedSpan(0, 1, "PER", 0)], 2, "eu")
    tr = TableTranslator(table=BACK, unsupported=("eu",))
    with pytest.raises(XprojError, match="no pair translates into 'eu'"):
        BackTranslationRefiner(translator=tr, aligner=SameWordAligner()).refine(
            [eu_target], [eu_english], [eu_direct]
        )
    r = BackTranslationRefiner(translator=tr, aligner=SameWordAligner(), on_error="direct")
    out, rep = _refine(r, [TARGET, eu_target], [ENGLISH, eu_english], [DIRECT, eu_direct])
    assert out[1] is eu_direct
    assert out[0].tags[3:5] == ("B-PER", "I-PER")  # Spanish still refined
    assert rep.n_fallback_sentences == 1
    assert "eu" in rep.errors and "no pair" in rep.errors["eu"]
    assert rep.to_dict()["fallback_sentences"] == 1


def test_input_errors_name_the_sentence() -> None:
    r = _refiner()
    with pytest.raises(InputError, match="targets has 1 items but labelled_translations has 2"):
        r.refine([TARGET], [ENGLISH, ENGLISH], [DIRECT])
    other = Projection.build(("x",), [], 2, "es")
    with pytest.raises(InputError, match="sentence 0: the direct projection is for other words"):
        r.refine([TARGET], [ENGLISH], [other])
    one = Projection.build(TARGET.words, [], 1, "es")
    with pytest.raises(InputError, match="sentence 0: the direct projection has 1 source"):
        r.refine([TARGET], [ENGLISH], [one])
    no_lang = Sentence(TARGET.words, None)
    with pytest.raises(InputError, match="sentence 0: the target sentence has no language"):
        r.refine([no_lang], [ENGLISH], [DIRECT])
    with pytest.raises(ParameterError, match="'fuse' parameter of BackTranslationRefiner"):
        _refiner("both")


def test_refine_result_takes_a_pipeline_translate_test_result() -> None:
    from xproj.align.precomputed import PrecomputedAligner

    pipe = Pipeline(
        projector=HeuristicProjector(),
        aligner=PrecomputedAligner(links=[[(2, 4), (5, 6)]]),
    )
    result = pipe.translate_test([TARGET], labels=[ENGLISH])
    assert result.projections[0].tags[4] == "B-PER"
    out = _refiner().refine_result(result)
    assert out[0].tags == ("O", "O", "O", "B-PER", "I-PER", "O", "B-LOC", "O")


@pytest.mark.skipif(
    shutil.which("apertium") is None, reason="the apertium command is not installed"
)
def test_with_real_apertium_eng_spa() -> None:
    from xproj.translate.apertium import ApertiumTranslator

    target = Sentence(("La", "Comisión", "se", "reunió", "en", "Bruselas", "."), "es")
    english = LabelledSentence.from_tags(
        ["The", "Commission", "met", "in", "Brussels", "."],
        ["O", "B-ORG", "O", "O", "B-LOC", "O"],
    )
    english = LabelledSentence(english.words, english.spans, "en")
    direct = Projection.build(target.words, [], 2, "es")  # the direct route found nothing
    r = BackTranslationRefiner(translator=ApertiumTranslator(), aligner=SameWordAligner())
    out, rep = _refine(r, [target], [english], [direct])
    assert rep.n_marker + rep.n_fuzzy == 2
    assert out[0].tags == ("O", "B-ORG", "O", "O", "O", "B-LOC", "O")
