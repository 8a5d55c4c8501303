"""Alignment precision / recall / F1 / AER on hand-made cases."""

from __future__ import annotations

import pytest

from xproj.errors import InputError
from xproj.eval.alignment import AlignmentCounts, alignment_counts, alignment_scores
from xproj.types import Alignment


def test_perfect_alignment_scores_one_and_zero_aer() -> None:
    gold = Alignment(3, 3, links=((0, 0), (1, 1), (2, 2)))
    s = alignment_scores([Alignment(3, 3, links=((2, 2), (0, 0), (1, 1)))], [gold])
    assert (s.precision, s.recall, s.f1, s.aer) == (1.0, 1.0, 1.0, 0.0)


def test_possible_links_count_for_precision_not_recall() -> None:
    # S = {0-0, 1-1}; P = S + {1-2, 2-2}
    gold = Alignment(3, 3, links=((0, 0), (1, 1)), possible=((1, 2), (2, 2)))
    pred = Alignment(3, 3, links=((0, 0), (1, 2), (2, 0)))
    s = alignment_scores([pred], [gold])
    assert s.counts == AlignmentCounts(predicted=3, sure=2, possible=4, hit_sure=1, hit_possible=2)
    assert s.precision == pytest.approx(2 / 3)
    assert s.recall == pytest.approx(1 / 2)
    assert s.f1 == pytest.approx(2 * (2 / 3) * (1 / 2) / (2 / 3 + 1 / 2))
    assert s.aer == pytest.approx(1 - (1 + 2) / (3 + 2))


def test_predicting_only_possible_links_has_full_precision_zero_recall() -> None:
    gold = Alignment(2, 2, links=((0, 0),), possible=((1, 1),))
    s = alignment_scores([Alignment(2, 2, links=((1, 1),))], [gold])
    assert s.precision == 1.0 and s.recall == 0.0 and s.f1 == 0.0
    assert s.aer == pytest.approx(1 - 1 / 2)


def test_counts_are_summed_over_the_corpus_not_averaged() -> None:
    gold = [Alignment(1, 1, links=((0, 0),)), Alignment(4, 4, links=((0, 0), (1, 1), (2, 2)))]
    pred = [Alignment(1, 1, links=((0, 0),)), Alignment(4, 4, links=((0, 0), (3, 3)))]
    s = alignment_scores(pred, gold)
    # micro: precision 2/3 (a per-sentence average would give (1 + 1/2) / 2 = 0.75)
    assert s.precision == pytest.approx(2 / 3)
    assert s.recall == pytest.approx(2 / 4)


def test_empty_prediction_and_empty_gold() -> None:
    s = alignment_scores([Alignment(2, 2)], [Alignment(2, 2)])
    assert (s.precision, s.recall, s.f1, s.aer) == (0.0, 0.0, 0.0, 0.0)
    s = alignment_scores([Alignment(2, 2)], [Alignment(2, 2, links=((0, 1),))])
    assert s.recall == 0.0 and s.aer == 1.0


def test_predicted_possible_links_are_ignored() -> None:
    gold = Alignment(2, 2, links=((0, 0),))
    pred = Alignment(2, 2, links=((0, 0),), possible=((1, 1),))
    assert alignment_counts(pred, gold).predicted == 1


def test_to_dict_is_json_ready() -> None:
    s = alignment_scores([Alignment(1, 1, links=((0, 0),))], [Alignment(1, 1, links=((0, 0),))])
    assert s.to_dict() == {"precision": 1.0, "recall": 1.0, "f1": 1.0, "aer": 0.0}
    assert s.counts_dict()["hit_sure"] == 1


def test_mismatched_lengths_name_the_sentence() -> None:
    gold = [Alignment(2, 2), Alignment(3, 2)]
    pred = [Alignment(2, 2), Alignment(2, 3)]
    with pytest.raises(InputError, match=r"^sentence 1: .*2x3 words but the gold one over 3x2"):
        alignment_scores(pred, gold)


def test_mismatched_batch_sizes() -> None:
    with pytest.raises(InputError, match="predicted has 1 items but gold has 0"):
        alignment_scores([Alignment(1, 1)], [])
