from collections.abc import Sequence
from dataclasses import dataclass

import pytest

from xproj import InputError, LabelledSentence, ParameterError, Pipeline, Sentence, Span
from xproj.align.base import Aligner
from xproj.align.precomputed import PrecomputedAligner
from xproj.label.base import Labeller
from xproj.project.base import Projector
from xproj.translate.base import Translator
from xproj.types import Alignment, ProjectedSpan, Projection


@dataclass(kw_only=True)
class CopyProjector(Projector):
    """Projects each entity onto the same word positions (a test double)."""

    def _project(
        self,
        sources: Sequence[LabelledSentence],
        targets: Sequence[Sentence],
        alignments: Sequence[Alignment],
    ) -> list[Projection]:
        out = []
        for s, t in zip(sources, targets):
            spans = [
                ProjectedSpan(e.start, e.end, e.label, k, 1.0, "copy")
                for k, e in enumerate(s.spans)
                if e.end <= len(t.words)
            ]
            out.append(Projection.build(t.words, spans, len(s.spans), t.lang))
        return out


@dataclass(kw_only=True)
class UpperTranslator(Translator):
    def _translate(self, sentences: Sequence[Sentence], tgt_lang: str) -> list[Sentence]:
        return [Sentence(tuple(w.upper() for w in s.words), tgt_lang) for s in sentences]


@dataclass(kw_only=True)
class CapsLabeller(Labeller):
    """Labels every capitalised word as a one-word PER."""

    def _label(self, sentences: Sequence[Sentence]) -> list[LabelledSentence]:
        return [
            LabelledSentence(
                s.words,
                tuple(Span(i, i + 1, "PER") for i, w in enumerate(s.words) if w[0].isupper()),
                s.lang,
            )
            for s in sentences
        ]


@dataclass(kw_only=True)
class DiagonalAligner(Aligner):
    def _align(self, sources: Sequence[Sentence], targets: Sequence[Sentence]) -> list[Alignment]:
        return [
            Alignment(len(s), len(t), tuple((i, i) for i in range(min(len(s), len(t)))))
            for s, t in zip(sources, targets)
        ]


SRC = [
    LabelledSentence.from_tags(["Anna", "lives", "in", "Oslo"], ["B-PER", "O", "O", "B-LOC"], "en"),
    LabelledSentence.from_tags(["hello"], ["O"], "en"),
]


def test_translate_train_with_all_stages() -> None:
    pipe = Pipeline(
        translator=UpperTranslator(), aligner=DiagonalAligner(), projector=CopyProjector()
    )
    r = pipe.translate_train(SRC, "xx")
    assert [p.tags for p in r.projections] == [("B-PER", "O", "O", "B-LOC"), ("O",)]
    assert r.targets[0].words == ("ANNA", "LIVES", "IN", "OSLO")
    assert r.counts() == {
        "sentences": 2,
        "entities_in": 2,
        "entities_projected": 2,
        "entities_unprojected": 0,
        "empty_targets": 0,
    }


def test_translate_test_with_precomputed_translations_and_alignments() -> None:
    targets = [Sentence(("anna", "bor", "i", "oslo"), "no"), Sentence((), "no")]
    translations = [Sentence(("Anna", "lives", "in", "Oslo"), "en"), Sentence(("Hi",), "en")]
    pipe = Pipeline(labeller=CapsLabeller(), projector=CopyProjector())
    r = pipe.translate_test(
        targets,
        translations=translations,
        alignments=[Alignment(4, 4, ((0, 0), (3, 3))), Alignment(1, 0)],
    )
    assert r.projections[0].tags == ("B-PER", "O", "O", "B-PER")
    # an empty target is no error: its entity comes out unprojected, and the sentence is kept
    assert r.projections[1].target.words == () and r.projections[1].unprojected == (0,)
    assert r.counts()["empty_targets"] == 1


def test_missing_stage_says_what_to_pass() -> None:
    pipe = Pipeline(projector=CopyProjector())
    with pytest.raises(ParameterError, match="no translator.*translations="):
        pipe.translate_train(SRC, "de")
    with pytest.raises(ParameterError, match="no aligner.*alignments="):
        pipe.translate_train(SRC, "de", translations=[s.sentence for s in SRC])


def test_mismatched_lengths_and_alignments_name_the_problem() -> None:
    pipe = Pipeline(aligner=DiagonalAligner(), projector=CopyProjector())
    with pytest.raises(InputError, match="sources has 2 items but translations has 1"):
        pipe.translate_train(SRC, "de", translations=[SRC[0].sentence])
    bad = PrecomputedAligner(links=[[(0, 9)], []])
    with pytest.raises(InputError, match="sentence 0.*link 0-9 lies outside"):
        Pipeline(aligner=bad, projector=CopyProjector()).translate_train(
            SRC, "de", translations=[s.sentence for s in SRC]
        )


def test_nested_params_reach_stages() -> None:
    pipe = Pipeline(aligner=PrecomputedAligner(links=[[]]), projector=CopyProjector())
    assert pipe.get_params()["aligner__one_based"] is False
    pipe.set_params(aligner__one_based=True)
    assert pipe.aligner is not None and pipe.aligner.get_params()["one_based"] is True
    with pytest.raises(ParameterError, match="'projector' parameter of Pipeline"):
        Pipeline(projector="greedy")  # type: ignore[arg-type]
