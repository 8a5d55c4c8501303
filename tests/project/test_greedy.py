"""GreedyProjector: registration, outputs, parameters, external candidates, conformance."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pytest

import xproj
from xproj import Alignment, LabelledSentence, ProjectedSpan, Sentence, Span
from xproj.errors import InputError, ParameterError
from xproj.project.base import AcceptsCandidates
from xproj.project.candidates import (
    AlignedMerges,
    AlignedRanges,
    CandidateBatch,
    ExternalCandidates,
    FloatArray,
    NgramCandidates,
)
from xproj.project.greedy import GreedyProjector
from xproj.project.scorers import AlignmentScorer, Scorer, WeightedFusion
from xproj.testing import check_projector


def words(n: int, prefix: str = "t") -> tuple[str, ...]:
    return tuple(f"{prefix}{i}" for i in range(n))


def one(
    projector: GreedyProjector,
    spans: list[Span],
    n_src: int,
    n_tgt: int,
    links: list[tuple[int, int]],
) -> xproj.Projection:
    src = LabelledSentence(words(n_src, "s"), tuple(spans))
    ali = Alignment(n_src, n_tgt, tuple(links))
    return projector.project([src], [Sentence(words(n_tgt))], [ali])[0]


@dataclass(kw_only=True)
class Fixed(Scorer):
    """Scores every sentence's pairs with the same given matrix (tests only)."""

    matrix: tuple[tuple[float, ...], ...]

    def _score(self, batch: CandidateBatch) -> FloatArray:
        return batch.join([np.array(self.matrix)] * len(batch))


def test_registered_under_greedy() -> None:
    assert type(xproj.projectors.get("greedy")) is GreedyProjector
    assert xproj.projectors.name_of(GreedyProjector) == "greedy"
    assert isinstance(GreedyProjector(), AcceptsCandidates)


def test_projects_label_source_score_and_method() -> None:
    p = one(
        GreedyProjector(),
        [Span(0, 2, "ORG"), Span(3, 4, "PER")],
        4,
        5,
        [(0, 1), (1, 2), (2, 3), (3, 0)],
    )
    assert p.projected == (
        ProjectedSpan(0, 1, "PER", 1, 1.0, "greedy"),
        ProjectedSpan(1, 3, "ORG", 0, 1.0, "greedy"),
    )
    assert p.tags == ("B-PER", "B-ORG", "I-ORG", "O", "O")
    assert (p.unprojected, p.n_source) == ((), 2)


def test_trailing_unaligned_words_and_final_punctuation_are_not_projected() -> None:
    src = LabelledSentence(("visit", "Rome", "."), (Span(1, 2, "LOC"),))
    tgt = Sentence(("visita", "Roma", "hoy", "."))
    p = GreedyProjector().project([src], [tgt], [Alignment(3, 4, ((0, 0), (1, 1), (2, 3)))])[0]
    assert p.tags == ("O", "B-LOC", "O", "O")


def test_empty_target_and_empty_source() -> None:
    p = one(GreedyProjector(), [Span(0, 1, "PER")], 2, 0, [])
    assert (p.target.words, p.projected, p.unprojected) == ((), (), (0,))
    p = one(GreedyProjector(), [], 0, 3, [])
    assert (p.tags, p.unprojected, p.n_source) == (("O", "O", "O"), (), 0)


def test_unaligned_entity_is_reported_unprojected() -> None:
    p = one(GreedyProjector(), [Span(0, 1, "PER"), Span(2, 3, "LOC")], 3, 3, [(2, 2)])
    assert p.unprojected == (0,)
    assert [q.source for q in p.projected] == [1]


def test_greedy_takes_the_best_pair_first_even_when_that_is_not_optimal() -> None:
    # The case, through the projector: external candidates and fixed scores.
    g = GreedyProjector(
        candidates=ExternalCandidates(), scorer=Fixed(matrix=((0.25, 0.2), (0.2, 0.05)))
    )
    src = LabelledSentence(("Ada", "Bob"), (Span(0, 1, "PER"), Span(1, 2, "PER")))
    out = g.project_with_candidates(
        [src], [Sentence(("x", "y"))], [Alignment(2, 2)], [[Span(0, 1, "X"), Span(1, 2, "X")]]
    )[0]
    assert [(q.start, q.source, q.score) for q in out.projected] == [(0, 0, 0.25), (1, 1, 0.05)]
    assert g.match(
        [src], [Sentence(("x", "y"))], [Alignment(2, 2)], [[Span(0, 1, "X"), Span(1, 2, "X")]]
    ).solution.total == pytest.approx(0.30)


def test_project_with_candidates_adds_to_the_extractor() -> None:
    src = LabelledSentence(("Ana", "Lima", "sings"), (Span(0, 2, "PER"),))
    tgt = Sentence(("canta", "Ana", "Lima"))
    ali = Alignment(3, 3, ((0, 1), (2, 0)))  # "Lima" unaligned
    plain = GreedyProjector().project([src], [tgt], [ali])[0]
    assert plain.tags == ("O", "B-PER", "O")
    # With the external span [1, 3) the full name scores 2*1/(2+2) = 0.5 < 2*1/(2+1).
    ext = GreedyProjector().project_with_candidates([src], [tgt], [ali], [[Span(1, 3, "PER")]])[0]
    assert ext.tags == ("O", "B-PER", "O")
    only = GreedyProjector(candidates=ExternalCandidates())
    got = only.project_with_candidates([src], [tgt], [ali], [[Span(1, 3, "PER")]])[0]
    assert got.projected == (ProjectedSpan(1, 3, "PER", 0, 0.5, "greedy"),)


def test_project_with_candidates_checks_its_input() -> None:
    src = [LabelledSentence(("a",), (Span(0, 1, "PER"),))] * 2
    tgt = [Sentence(("x",))] * 2
    ali = [Alignment(1, 1, ((0, 0),))] * 2
    with pytest.raises(InputError, match="sources has 2 items but candidates has 1"):
        GreedyProjector().project_with_candidates(src, tgt, ali, [[]])
    with pytest.raises(InputError, match=r"^sentence 1: external candidate \[0, 2\)"):
        GreedyProjector().project_with_candidates(src, tgt, ali, [[], [Span(0, 2, "X")]])
    with pytest.raises(InputError, match="project_with_candidates"):
        GreedyProjector(candidates=ExternalCandidates()).project(src, tgt, ali)


def test_n_proj_allows_several_spans_per_entity() -> None:
    # "Merkel" is linked to two separate target words (e.g. a repeated name).
    spans, links = [Span(0, 1, "PER")], [(0, 0), (0, 3)]
    assert len(one(GreedyProjector(), spans, 2, 4, links).projected) == 1
    two = one(GreedyProjector(candidates=AlignedMerges(), n_proj=2), spans, 2, 4, links)
    assert [(q.start, q.end) for q in two.projected] == [(0, 1), (3, 4)]


def test_min_score_drops_weak_pairs() -> None:
    spans, links = [Span(0, 3, "ORG")], [(0, 0)]  # 1 of 3 words aligned: best score 0.5
    assert len(one(GreedyProjector(), spans, 3, 2, links).projected) == 1
    assert one(GreedyProjector(min_score=0.6), spans, 3, 2, links).unprojected == (0,)


def test_parameters_are_validated_and_nested() -> None:
    with pytest.raises(
        ParameterError,
        match=r"The 'n_proj' parameter of GreedyProjector must be an int >= 1. Got 0 instead.",
    ):
        GreedyProjector(n_proj=0)
    with pytest.raises(ParameterError, match="'scorer' parameter of GreedyProjector"):
        GreedyProjector(scorer="alignment")  # type: ignore[arg-type]
    g = GreedyProjector()
    g.set_params(candidates__max_words=2, scorer__threshold=0.2)
    assert g.get_params()["candidates__max_words"] == 2
    assert g.scorer == AlignmentScorer(threshold=0.2)
    assert GreedyProjector() == GreedyProjector()
    assert GreedyProjector(n_proj=2) != GreedyProjector()


def test_the_report_and_match_expose_the_solution() -> None:
    g = GreedyProjector()
    src = LabelledSentence(("a", "b"), (Span(0, 1, "PER"),))
    args = ([src], [Sentence(("x", "y"))], [Alignment(2, 2, ((0, 1),))])
    m = g.match(*args)
    assert g.project_reported(*args).report["solver"]["sentences"] == 1
    assert m.solution.objective.tolist() == [1.0]
    assert m.instance.n_pairs == int((m.scores > 0).sum())


@pytest.mark.parametrize(
    "projector",
    [
        GreedyProjector(),
        GreedyProjector(candidates=AlignedRanges(max_words=None), n_proj=2),
        GreedyProjector(candidates=AlignedMerges(), min_score=0.3),
        GreedyProjector(
            candidates=NgramCandidates(max_words=4),
            scorer=WeightedFusion(scorers=(AlignmentScorer(), AlignmentScorer(threshold=0.5))),
            n_proj=3,
        ),
    ],
    ids=["default", "ranges-n2", "merges-min", "fusion-n3"],
)
def test_conformance(projector: GreedyProjector) -> None:
    check_projector(projector, n=200, seed=3)


@dataclass(kw_only=True)
class DenseAlignment(AlignmentScorer):
    """The alignment score, but claiming it may score unlinked pairs (so all are formed)."""

    def scores_unlinked(self) -> bool:
        return True


def test_forming_only_linked_pairs_changes_nothing() -> None:
    from xproj.project.ilp import ILPProjector
    from xproj.testing import random_batch

    s, t, a = random_batch(300, seed=9, max_words=14)
    assert not AlignmentScorer().scores_unlinked()
    for cls in (GreedyProjector, ILPProjector):
        fast = cls()
        slow = cls(scorer=DenseAlignment())
        m_fast, m_slow = fast.match(s, t, a), slow.match(s, t, a)
        assert not m_fast.batch.dense and m_slow.batch.dense
        assert m_fast.batch.n_pairs < m_slow.batch.n_pairs
        assert fast.project(s, t, a) == slow.project(s, t, a)
