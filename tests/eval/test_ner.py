from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from xproj.errors import InputError
from xproj.eval.ner import NerScores, evaluate_ner
from xproj.io.conll import read_conll
from xproj.types import LabelledSentence, ProjectedSpan, Projection, Span


def ls(tags: list[str]) -> LabelledSentence:
    return LabelledSentence.from_tags([f"w{i}" for i in range(len(tags))], tags)


def test_hand_computed_scores() -> None:
    gold = [ls(["B-PER", "I-PER", "O", "B-LOC", "O"]), ls(["B-ORG", "I-ORG", "B-LOC"])]
    pred = [ls(["B-PER", "I-PER", "O", "B-LOC", "B-LOC"]), ls(["B-ORG", "O", "B-LOC"])]
    s = evaluate_ner(gold, pred)
    # gold 4 entities; predicted 5; correct: PER, LOC(s0), LOC(s1) = 3 (ORG boundary is wrong)
    assert (s.support, s.predicted, s.correct, s.sentences) == (4, 5, 3, 2)
    assert s.precision == pytest.approx(3 / 5)
    assert s.recall == pytest.approx(3 / 4)
    assert s.f1 == pytest.approx(2 * 0.6 * 0.75 / 1.35)
    assert s.per_type["LOC"].precision == pytest.approx(2 / 3)
    assert s.per_type["LOC"].recall == 1.0
    assert s.per_type["ORG"].f1 == 0.0
    assert s.macro_f1 == pytest.approx((1.0 + 0.8 + 0.0) / 3)
    assert list(s.per_type) == ["LOC", "ORG", "PER"]


def test_projections_are_scored_by_their_target() -> None:
    proj = Projection.build(
        ("Angela", "Merkel", "besuchte", "Paris"),
        [ProjectedSpan(0, 2, "PER", source=0, method="greedy")],
        n_source=2,
    )
    gold = LabelledSentence(
        ("Angela", "Merkel", "besuchte", "Paris"), (Span(0, 2, "PER"), Span(3, 4, "LOC"))
    )
    s = evaluate_ner([gold], [proj])
    assert (s.precision, s.recall) == (1.0, 0.5)


def test_label_map_applies_to_both_sides() -> None:
    gold = [ls(["B-PER", "B-MISC", "B-DATE"])]
    pred = [ls(["B-PER", "O", "B-MISC"])]
    s = evaluate_ner(gold, pred, label_map={"MISC": "O", "DATE": "O"})
    assert (s.f1, s.support, s.predicted) == (1.0, 1, 1)
    assert s.label_map == {"MISC": "O", "DATE": "O"}
    assert evaluate_ner(gold, pred).f1 == pytest.approx(0.4)


def test_no_entities_anywhere_scores_zero() -> None:
    s = evaluate_ner([ls(["O", "O"]), ls([])], [ls(["O", "O"]), ls([])])
    assert (s.precision, s.recall, s.f1, s.macro_f1, s.sentences) == (0.0, 0.0, 0.0, 0.0, 2)


def test_mismatched_inputs_are_errors_naming_the_sentence() -> None:
    with pytest.raises(InputError, match=r"gold has 2 sentences but predicted has 1"):
        evaluate_ner([ls(["O"]), ls(["O"])], [ls(["O"])])
    with pytest.raises(InputError, match=r"sentence 1: gold has 2 words but the prediction has 3"):
        evaluate_ner([ls(["O"]), ls(["O", "O"])], [ls(["O"]), ls(["O", "O", "O"])])
    with pytest.raises(InputError, match=r"sentence 0: predicted item is a list"):
        evaluate_ner([ls(["O"])], [["O"]])  # type: ignore[list-item]


def test_scores_are_json_serialisable_and_round_trip() -> None:
    s = evaluate_ner([ls(["B-PER", "O"])], [ls(["B-PER", "B-LOC"])], label_map={"X": None})
    d = json.loads(json.dumps(s.to_dict()))
    assert NerScores.from_dict(d) == s
    assert d["per_type"]["LOC"] == {
        "precision": 0.0,
        "recall": 0.0,
        "f1": 0.0,
        "support": 0,
        "predicted": 1,
        "correct": 0,
    }
    assert "PER" in s.table() and "micro" in s.table()


@st.composite
def labelled(draw: st.DrawFn, n: int) -> LabelledSentence:
    spans = []
    i = 0
    while i < n:
        if draw(st.booleans()):
            end = draw(st.integers(i + 1, min(n, i + 3)))
            spans.append(Span(i, end, draw(st.sampled_from(["PER", "LOC"]))))
            i = end
        else:
            i += 1
    return LabelledSentence(tuple(f"w{k}" for k in range(n)), tuple(spans))


@st.composite
def pairs(draw: st.DrawFn) -> tuple[list[LabelledSentence], list[LabelledSentence]]:
    lengths = draw(st.lists(st.integers(0, 8), min_size=1, max_size=5))
    return [draw(labelled(n)) for n in lengths], [draw(labelled(n)) for n in lengths]


@settings(deadline=None, max_examples=60)
@given(pairs())
def test_micro_scores_equal_exact_span_matching(
    data: tuple[list[LabelledSentence], list[LabelledSentence]],
) -> None:
    gold, pred = data
    s = evaluate_ner(gold, pred)
    g = {(k, x.start, x.end, x.label) for k, sent in enumerate(gold) for x in sent.spans}
    p = {(k, x.start, x.end, x.label) for k, sent in enumerate(pred) for x in sent.spans}
    hit = len(g & p)
    assert (s.support, s.predicted, s.correct) == (len(g), len(p), hit)
    assert s.precision == pytest.approx(hit / len(p) if p else 0.0)
    assert s.recall == pytest.approx(hit / len(g) if g else 0.0)
    for name, t in s.per_type.items():  # seqeval's per-type scores agree with the counts
        assert t.precision == pytest.approx(t.correct / t.predicted if t.predicted else 0.0)
        assert t.recall == pytest.approx(t.correct / t.support if t.support else 0.0)
        assert name in {"PER", "LOC"}


@pytest.mark.data
def test_europarl_gold_against_itself_and_with_misc_removed(shared_data: Path) -> None:
    es = read_conll(shared_data / "europarl_ner" / "es-europarl.test.conll02", format="tab")
    perfect = evaluate_ner(es, es)
    assert (perfect.f1, perfect.macro_f1, perfect.sentences) == (1.0, 1.0, 799)
    no_misc = [
        LabelledSentence(s.words, tuple(x for x in s.spans if x.label != "MISC")) for s in es
    ]
    s = evaluate_ner(es, no_misc)
    assert s.precision == 1.0
    assert s.recall == pytest.approx(1 - s.per_type["MISC"].support / s.support)
    assert evaluate_ner(es, no_misc, label_map={"MISC": "O"}).f1 == 1.0


def test_predictions_for_other_sentences_are_errors_naming_the_sentence() -> None:
    """Same sentence and word counts but other words: scored as 100 F1 before."""
    gold = [LabelledSentence.from_tags(["Anna", "in", "Rom"], ["B-PER", "O", "B-LOC"])]
    pred = [LabelledSentence.from_tags(["Bob", "in", "Rom"], ["B-PER", "O", "B-LOC"])]
    with pytest.raises(InputError, match=r"^sentence 0: the words differ: word 0 is 'Anna' in"):
        evaluate_ner(gold, pred)
    more = [*gold, LabelledSentence(("x",))]
    with pytest.raises(InputError, match=r"the first sentence whose words differ is sentence 0"):
        evaluate_ner(more, pred)
    with pytest.raises(InputError, match=r"gold has 2 sentences but predicted has 1") as info:
        evaluate_ner(more, gold)
    assert info.value.sentence is None  # the common part agrees: no sentence to name
