"""xproj.testing: the generators give what they promise, and each conformance check catches
a backend that breaks it (and names the check)."""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass, field
from statistics import mean

import pytest

from xproj import Alignment, LabelledSentence, ProjectedSpan, Projection, Sentence
from xproj.align.base import Aligner
from xproj.project.base import Projector
from xproj.project.heuristic import HeuristicProjector
from xproj.testing import (
    check_aligner,
    check_alignments,
    check_projections,
    check_projector,
    random_batch,
    random_problem,
    random_sentence_pairs,
    synthetic_batch,
)

# --- generators -----------------------------------------------------------------------------------


def test_synthetic_batch_is_europarl_shaped() -> None:
    sources, targets, alignments = synthetic_batch(2000, seed=0)
    assert len(sources) == len(targets) == len(alignments) == 2000
    assert 24 <= mean(len(s) for s in sources) <= 26
    assert all(18 <= len(s) <= 32 for s in sources)
    assert all(abs(len(t) - len(s)) <= 3 for s, t in zip(sources, targets))
    assert all(1 <= len(s.spans) <= 3 for s in sources)
    assert all(1 <= len(sp) <= 4 for s in sources for sp in s.spans)
    assert 1.7 <= mean(len(s.spans) for s in sources) <= 2.3
    assert 22 <= mean(len(a) for a in alignments) <= 28
    for s, t, a in zip(sources, targets, alignments):
        assert (a.src_len, a.tgt_len) == (len(s), len(t))
    # mostly monotone: most links lie within two words of the diagonal
    near = sum(
        abs(j - i * (a.tgt_len - 1) / max(1, a.src_len - 1)) <= 2
        for a in alignments
        for i, j in a.links
    )
    assert near / sum(len(a) for a in alignments) > 0.9
    # some reordering: a later source word linked before an earlier one
    assert any(
        any(j2 < j1 for (i1, j1), (i2, j2) in zip(a.links, a.links[1:]) if i2 > i1)
        for a in alignments
    )


def test_synthetic_batch_is_deterministic_per_seed() -> None:
    assert synthetic_batch(50, seed=3) == synthetic_batch(50, seed=3)
    assert synthetic_batch(50, seed=3) != synthetic_batch(50, seed=4)


def test_random_batch_starts_with_edge_cases_and_is_deterministic() -> None:
    sources, targets, alignments = random_batch(300, seed=5)
    assert len(targets[0]) == 0 and len(sources[0].spans) == 1
    assert len(sources[1]) == 0
    entity_words = {i for sp in sources[2].spans for i in range(sp.start, sp.end)}
    assert sources[2].spans and alignments[2].links
    assert not any(i in entity_words for i, _ in alignments[2].links)
    assert sources[3].spans == ()
    assert (sources, targets, alignments) == random_batch(300, seed=5)
    # the random part covers empty targets, link-less alignments, scores, adjacent entities
    assert sum(len(t) == 0 for t in targets[4:]) > 5
    assert sum(not a.links for a in alignments[4:]) > 5
    assert sum(a.scores is not None for a in alignments) > 30
    assert any(a.end == b.start for s in sources for a, b in zip(s.spans, s.spans[1:]))


def test_random_problem_is_consistent() -> None:
    rng = random.Random(11)
    for _ in range(500):
        src, tgt, ali = random_problem(rng, max_words=6)
        assert (ali.src_len, ali.tgt_len) == (len(src), len(tgt))
        assert len(src) <= 6 and len(tgt) <= 6


def test_random_sentence_pairs_include_empty_sides() -> None:
    sources, targets = random_sentence_pairs(10, seed=1)
    assert [(len(s), len(t)) for s, t in zip(sources, targets)][:3] == [(0, 3), (2, 0), (0, 0)]
    assert all(len(s) and len(t) for s, t in zip(sources[3:], targets[3:]))
    assert len(random_sentence_pairs(2)[0]) == 2


# --- check_projector catches broken projectors ----------------------------------------------------


@dataclass(kw_only=True)
class _Identity(Projector):
    """Projects each entity to the same word range when the target is long enough."""

    def _project(
        self,
        sources: Sequence[LabelledSentence],
        targets: Sequence[Sentence],
        alignments: Sequence[Alignment],
    ) -> list[Projection]:
        return [self._one(s, t) for s, t in zip(sources, targets)]

    def _one(self, s: LabelledSentence, t: Sentence) -> Projection:
        spans = [
            ProjectedSpan(sp.start, sp.end, self._label(sp.label, k, s), k)
            for k, sp in enumerate(s.spans)
            if sp.end <= len(t)
        ]
        return Projection.build(t.words, spans, len(s.spans))

    def _label(self, label: str, k: int, s: LabelledSentence) -> str:
        return label


@dataclass(kw_only=True)
class _WrongLabel(_Identity):
    def _label(self, label: str, k: int, s: LabelledSentence) -> str:
        return "XXX" if label == "PER" else label


@dataclass(kw_only=True)
class _BatchDependent(_Identity):
    def _project(
        self,
        sources: Sequence[LabelledSentence],
        targets: Sequence[Sentence],
        alignments: Sequence[Alignment],
    ) -> list[Projection]:
        if len(sources) > 1:
            return super()._project(sources, targets, alignments)
        return [Projection.build(t.words, (), len(s.spans)) for s, t in zip(sources, targets)]


@dataclass(kw_only=True)
class _Stateful(_Identity):
    calls: int = field(default=0, init=False, repr=False, compare=False)

    def _project(
        self,
        sources: Sequence[LabelledSentence],
        targets: Sequence[Sentence],
        alignments: Sequence[Alignment],
    ) -> list[Projection]:
        self.calls += 1
        out = super()._project(sources, targets, alignments)
        if self.calls == 2:
            out = [Projection.build(p.target.words, (), p.n_source) for p in out]
        return out


@dataclass(kw_only=True)
class _Mutating(_Identity):
    def _project(
        self,
        sources: Sequence[LabelledSentence],
        targets: Sequence[Sentence],
        alignments: Sequence[Alignment],
    ) -> list[Projection]:
        out = super()._project(sources, targets, alignments)
        if isinstance(alignments, list):
            alignments.sort(key=len)  # "tidies" the caller's list in place
        return out


@dataclass(kw_only=True)
class _CrashesOnEmptyTarget(_Identity):
    def _one(self, s: LabelledSentence, t: Sentence) -> Projection:
        _ = t.words[0]
        return super()._one(s, t)


@dataclass(kw_only=True)
class _SkipsChecks(_Identity):
    def project(
        self,
        sources: Sequence[LabelledSentence],
        targets: Sequence[Sentence],
        alignments: Sequence[Alignment],
    ) -> list[Projection]:
        n = min(len(sources), len(targets), len(alignments))
        return [
            self._one(s, Sentence(t.words[: a.tgt_len]))
            for s, t, a in zip(sources[:n], targets[:n], alignments[:n])
        ]


@dataclass(kw_only=True)
class _LowercasesTarget(_Identity):
    def _one(self, s: LabelledSentence, t: Sentence) -> Projection:
        return super()._one(s, Sentence(tuple(w.lower() for w in t.words)))


@dataclass(kw_only=True)
class _NanScore(_Identity):
    def _one(self, s: LabelledSentence, t: Sentence) -> Projection:
        p = super()._one(s, t)
        spans = [
            ProjectedSpan(q.start, q.end, q.label, q.source, float("nan")) for q in p.projected
        ]
        return Projection.build(t.words, spans, p.n_source)


def test_a_correct_projector_passes() -> None:
    check_projector(_Identity(), n=100, seed=0)
    check_projector(HeuristicProjector(), n=100, seed=1)


@pytest.mark.parametrize(
    ("projector", "check"),
    [
        (_WrongLabel(), "projected labels come from their source"),
        (_BatchDependent(), "batching invariance"),
        (_Stateful(), "deterministic"),
        (_Mutating(), "input not mutated"),
        (_CrashesOnEmptyTarget(), "projects valid input"),
        (_SkipsChecks(), "unequal batch lengths raise InputError"),
        (_LowercasesTarget(), "target words unchanged"),
        (_NanScore(), "finite scores"),
    ],
    ids=lambda x: x if isinstance(x, str) else type(x).__name__,
)
def test_check_projector_names_the_failed_check(projector: Projector, check: str) -> None:
    with pytest.raises(AssertionError, match=f"check '{check}'"):
        check_projector(projector, n=60, seed=2)


def test_the_shape_check_requires_the_sentence_index() -> None:
    @dataclass(kw_only=True)
    class _Vague(_Identity):
        def project(
            self,
            sources: Sequence[LabelledSentence],
            targets: Sequence[Sentence],
            alignments: Sequence[Alignment],
        ) -> list[Projection]:
            from xproj.errors import InputError

            if len(sources) != len(targets) or len(sources) != len(alignments):
                raise InputError("lengths differ")
            if any(a.tgt_len != len(t) for a, t in zip(alignments, targets)):
                raise InputError("an alignment does not fit")
            return self._project(sources, targets, alignments)

    with pytest.raises(AssertionError, match=r"does not name sentence \d+"):
        check_projector(_Vague(), n=30, seed=0)


def test_check_projections_reports_the_sentence_and_input() -> None:
    src = [
        LabelledSentence.from_tags(["a"], ["O"]),
        LabelledSentence.from_tags(["Ada"], ["B-PER"]),
    ]
    tgt = [Sentence(("b",)), Sentence(("Ada",))]
    ali = [Alignment(1, 1), Alignment(1, 1, ((0, 0),))]
    bad = [
        Projection.build(("b",), (), 0),
        Projection.build(("Ada",), [ProjectedSpan(0, 1, "LOC", 0)], 1),
    ]
    with pytest.raises(AssertionError) as e:
        check_projections(src, tgt, ali, bad, who="mine")
    text = str(e.value)
    assert text.startswith(
        "mine: check 'projected labels come from their source' failed on sentence 1"
    )
    assert "'Ada'" in text
    with pytest.raises(AssertionError, match="returns a list"):
        check_projections(src, tgt, ali, tuple(bad))
    with pytest.raises(AssertionError, match="one output per input"):
        check_projections(src, tgt, ali, bad[:1])


# --- check_aligner catches broken aligners --------------------------------------------------------


@dataclass(kw_only=True)
class _Diagonal(Aligner):
    def _align(self, sources: Sequence[Sentence], targets: Sequence[Sentence]) -> list[Alignment]:
        return [self._one(s, t) for s, t in zip(sources, targets)]

    def _one(self, s: Sentence, t: Sentence) -> Alignment:
        n = min(len(s), len(t))
        return Alignment(
            len(s), len(t), tuple((i, i) for i in range(n)), tuple(0.5 for _ in range(n))
        )


@dataclass(kw_only=True)
class _DuplicateLinks(_Diagonal):
    def _one(self, s: Sentence, t: Sentence) -> Alignment:
        a = super()._one(s, t)
        return Alignment(a.src_len, a.tgt_len, a.links + a.links[:1])


@dataclass(kw_only=True)
class _WrongLength(_Diagonal):
    def _one(self, s: Sentence, t: Sentence) -> Alignment:
        return Alignment(len(s), len(t) + 1)


@dataclass(kw_only=True)
class _InfScores(_Diagonal):
    def _one(self, s: Sentence, t: Sentence) -> Alignment:
        a = super()._one(s, t)
        return Alignment(a.src_len, a.tgt_len, a.links, tuple(float("inf") for _ in a.links))


@dataclass(kw_only=True)
class _BatchSizeAware(_Diagonal):
    def _align(self, sources: Sequence[Sentence], targets: Sequence[Sentence]) -> list[Alignment]:
        out = super()._align(sources, targets)
        if len(sources) == 1:
            return [Alignment(a.src_len, a.tgt_len) for a in out]
        return out


def test_a_correct_aligner_passes() -> None:
    check_aligner(_Diagonal(), n=20, seed=0)


@pytest.mark.parametrize(
    ("aligner", "check"),
    [
        (_DuplicateLinks(), "unique links"),
        (_WrongLength(), "lengths match the sentences"),
        (_InfScores(), "finite scores"),
        (_BatchSizeAware(), "batching invariance"),
    ],
    ids=lambda x: x if isinstance(x, str) else type(x).__name__,
)
def test_check_aligner_names_the_failed_check(aligner: Aligner, check: str) -> None:
    with pytest.raises(AssertionError, match=f"check '{check}'"):
        check_aligner(aligner, n=20, seed=0)


def test_batching_can_be_waived_for_positional_tables() -> None:
    check_aligner(_BatchSizeAware(), n=20, seed=0, batching=False)


def test_check_alignments_rejects_non_lists() -> None:
    with pytest.raises(AssertionError, match="returns a list"):
        check_alignments([Sentence(("a",))], [Sentence(("b",))], (Alignment(1, 1),))
