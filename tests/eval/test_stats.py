from __future__ import annotations

import json

import pytest

from xproj.errors import InputError
from xproj.eval.stats import projection_stats
from xproj.types import LabelledSentence, ProjectedSpan, Projection, Span


def sources() -> list[LabelledSentence]:
    return [
        LabelledSentence(
            ("Angela", "Merkel", "in", "Paris"), (Span(0, 2, "PER"), Span(3, 4, "LOC"))
        ),
        LabelledSentence(("EU", "and", "UN"), (Span(0, 1, "ORG"), Span(2, 3, "ORG"))),
        LabelledSentence(("Hi", "Bob"), (Span(1, 2, "PER"),)),
    ]


def projections() -> list[Projection]:
    return [
        Projection.build(
            ("Angela", "Merkel", "en", "París"),
            [
                ProjectedSpan(0, 2, "PER", 0, 0.9, "greedy"),
                ProjectedSpan(3, 4, "LOC", 1, 0.5, "greedy"),
            ],
            2,
        ),
        Projection.build(
            ("UE", "y", "ONU", "ONU"),  # entity 1 projected twice; entity 0 dropped
            [
                ProjectedSpan(2, 3, "ORG", 1, 0.7, "greedy"),
                ProjectedSpan(3, 4, "ORG", 1, 0.2, "ner"),
            ],
            2,
        ),
        Projection.build((), [], 1),  # an empty translation: its entity is unprojected
    ]


def gold() -> list[LabelledSentence]:
    return [
        LabelledSentence(
            ("Angela", "Merkel", "en", "París"), (Span(0, 2, "PER"), Span(3, 4, "LOC"))
        ),
        LabelledSentence(("UE", "y", "ONU", "ONU"), (Span(0, 1, "ORG"), Span(2, 4, "ORG"))),
        LabelledSentence((), ()),
    ]


def test_counts_from_projections_alone() -> None:
    st = projection_stats(projections())
    assert (st.sentences, st.empty_targets) == (3, 1)
    assert (st.source_entities, st.projected_entities, st.unprojected_entities) == (5, 3, 2)
    assert st.target_spans == 4
    assert st.projected_ratio == pytest.approx(3 / 5)
    assert st.methods == {"greedy": 3, "ner": 1}
    assert st.gold_entities is None and st.projected_gold_ratio is None
    assert st.per_label["ORG"].target_spans == 2
    assert st.per_label["ORG"].source is None  # needs sources=


def test_per_label_counts_and_gold_ratio() -> None:
    st = projection_stats(projections(), sources=sources(), gold=gold())
    assert st.per_label["PER"].to_dict() == {
        "source": 2,
        "projected": 1,
        "unprojected": 1,
        "target_spans": 1,
        "gold": 1,
    }
    assert (st.per_label["ORG"].projected, st.per_label["ORG"].unprojected) == (1, 1)
    assert st.gold_entities == 4
    assert st.projected_gold_ratio == pytest.approx(4 / 4)
    d = json.loads(json.dumps(st.to_dict()))
    assert d["per_label"]["LOC"]["gold"] == 1 and d["unprojected_entities"] == 2


def test_mismatches_are_errors_naming_the_sentence() -> None:
    with pytest.raises(InputError, match=r"3 projections but 2 sources sentences"):
        projection_stats(projections(), sources=sources()[:2])
    bad_sources = sources()
    bad_sources[1] = LabelledSentence(("EU",), (Span(0, 1, "ORG"),))
    with pytest.raises(InputError, match=r"sentence 1: the source sentence has 1 entities"):
        projection_stats(projections(), sources=bad_sources)
    bad_gold = gold()
    bad_gold[0] = LabelledSentence(("x",), ())
    with pytest.raises(InputError, match=r"sentence 0: the gold sentence has 1 words"):
        projection_stats(projections(), gold=bad_gold)
    with pytest.raises(
        InputError, match=r"sentence 0: expected a Projection, got LabelledSentence"
    ):
        projection_stats(sources())  # type: ignore[arg-type]


def test_nothing_to_count() -> None:
    st = projection_stats([], gold=[])
    assert (st.sentences, st.source_entities, st.projected_ratio) == (0, 0, 0.0)
    assert st.gold_entities == 0 and st.projected_gold_ratio is None
