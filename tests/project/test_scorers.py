"""Scorers: the alignment score against its formula, thresholds, fusion, and a custom scorer."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pytest

from xproj import Alignment, LabelledSentence, Sentence, Span
from xproj.errors import ParameterError
from xproj.project.candidates import CandidateBatch, FloatArray, NgramCandidates, ProblemBatch
from xproj.project.scorers import AlignmentScorer, Scorer, WeightedFusion
from xproj.testing import random_batch


def candidate_batch(seed: int, n: int = 80, *, require_link: bool = False) -> CandidateBatch:
    s, t, a = random_batch(n, seed, max_words=12)
    b = ProblemBatch.build(s, t, a)
    return CandidateBatch.build(b, NgramCandidates(require_link=require_link).extract(b))


def alignment_score(src: LabelledSentence, ali: Alignment, sp: Span, a: int, b: int) -> float:
    links = sum(1 for i, j in ali.links if sp.start <= i < sp.end and a <= j < b)
    return 2 * links / (len(sp) + (b - a))


@pytest.mark.parametrize("seed", [0, 1])
def test_alignment_score_matches_the_formula(seed: int) -> None:
    cb = candidate_batch(seed)
    mats = AlignmentScorer().score_matrices(cb)
    p = cb.problems
    for k, m in enumerate(mats):
        src, ali = p.sources[k], p.alignments[k]
        cands = cb.candidates.spans(k)
        expected = [[alignment_score(src, ali, sp, a, b) for a, b in cands] for sp in src.spans]
        np.testing.assert_allclose(m, np.array(expected).reshape(m.shape), rtol=0, atol=1e-15)


def test_alignment_score_examples() -> None:
    src = LabelledSentence(("the", "Red", "Cross"), (Span(1, 3, "ORG"),))
    tgt = Sentence(("la", "Cruz", "Roja"))
    b = ProblemBatch.build([src], [tgt], [Alignment(3, 3, ((0, 0), (1, 2), (2, 1)))])
    cb = CandidateBatch.build(b, NgramCandidates(max_words=3, require_link=False).extract(b))
    got = dict(zip(cb.candidates.spans(0), AlignmentScorer().score(cb).tolist()))
    assert got[(1, 3)] == 1.0  # both words, each linked once: Dice 1
    assert got[(1, 2)] == pytest.approx(2 / 3)
    assert got[(0, 3)] == pytest.approx(4 / 5)
    assert got[(0, 1)] == 0.0


def test_threshold_zeroes_scores_below_it() -> None:
    cb = candidate_batch(2)
    raw = AlignmentScorer().score(cb)
    cut = AlignmentScorer(threshold=0.5).score(cb)
    np.testing.assert_array_equal(cut, np.where(raw < 0.5, 0.0, raw))
    assert (raw > 0).sum() > (cut > 0).sum() > 0


def test_weighted_fusion_is_the_weighted_sum_of_thresholded_scores() -> None:
    cb = candidate_batch(3)
    a, b = AlignmentScorer(), AlignmentScorer(threshold=0.6)
    fused = WeightedFusion(scorers=(a, b), weights=(0.25, 0.75)).score(cb)
    np.testing.assert_allclose(fused, 0.25 * a.score(cb) + 0.75 * b.score(cb))
    mean = WeightedFusion(scorers=(a, b)).score(cb)
    np.testing.assert_allclose(mean, 0.5 * a.score(cb) + 0.5 * b.score(cb))
    cut = WeightedFusion(scorers=(a, b), threshold=0.7).score(cb)
    np.testing.assert_array_equal(cut, np.where(mean < 0.7, 0.0, mean))


def test_fusion_parameters_are_validated() -> None:
    with pytest.raises(ParameterError, match="1 scorers but 2 weights"):
        WeightedFusion(scorers=(AlignmentScorer(),), weights=(1.0, 2.0))
    with pytest.raises(ParameterError, match="non-negative finite weights"):
        WeightedFusion(scorers=(AlignmentScorer(),), weights=(-1.0,))
    with pytest.raises(ParameterError, match="non-empty tuple of Scorer"):
        WeightedFusion(scorers=())
    with pytest.raises(ParameterError, match=r"'threshold' parameter of AlignmentScorer"):
        AlignmentScorer(threshold=-0.1)
    f = WeightedFusion(scorers=(AlignmentScorer(), AlignmentScorer()), weights=(1.0, 1.0))
    with pytest.raises(ParameterError, match="2 scorers but 1 weights"):
        f.set_params(weights=(1.0,))


@dataclass(kw_only=True)
class LengthPrior(Scorer):
    """A per-sentence scorer written with matrices, as the scorers module describes."""

    def _score(self, batch: CandidateBatch) -> FloatArray:
        mats = []
        for k in range(len(batch)):
            src = batch.problems.sources[k]
            cands = batch.candidates.spans(k)
            mats.append(
                np.array(
                    [
                        [min(len(sp), b - a) / max(len(sp), b - a) for a, b in cands]
                        for sp in src.spans
                    ]
                ).reshape(batch.shape(k))
            )
        return batch.join(mats)


def test_a_custom_per_sentence_scorer_plugs_in() -> None:
    cb = candidate_batch(4, require_link=True)
    got = LengthPrior(threshold=0.5).score(cb)
    p = cb.problems
    ent_len = (p.ent_end - p.ent_start)[cb.pair_entity]
    cand_len = cb.pair_end - cb.pair_start
    ratio = np.minimum(ent_len, cand_len) / np.maximum(ent_len, cand_len)
    np.testing.assert_allclose(got, np.where(ratio < 0.5, 0.0, ratio))


def test_a_scorer_returning_the_wrong_shape_is_a_bug_report() -> None:
    @dataclass(kw_only=True)
    class Broken(Scorer):
        def _score(self, batch: CandidateBatch) -> FloatArray:
            return np.zeros(batch.n_pairs + 1)

    with pytest.raises(RuntimeError, match="Broken returned scores of shape"):
        Broken().score(candidate_batch(5, 10))


def test_scores_unlinked_declarations() -> None:
    assert not AlignmentScorer().scores_unlinked()
    assert LengthPrior().scores_unlinked()  # the safe default
    assert not WeightedFusion(scorers=(AlignmentScorer(), AlignmentScorer())).scores_unlinked()
    mixed = WeightedFusion(scorers=(AlignmentScorer(), LengthPrior()))
    assert mixed.scores_unlinked()
    # A zero weight cannot make a score positive.
    assert not WeightedFusion(
        scorers=(AlignmentScorer(), LengthPrior()), weights=(1.0, 0.0)
    ).scores_unlinked()
