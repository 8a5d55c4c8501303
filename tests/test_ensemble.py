"""vote_spans: majority spans, overlap resolution, and errors naming the route and sentence."""

from __future__ import annotations

from typing import Any

import pytest

from xproj.ensemble import vote_spans
from xproj.errors import InputError, ParameterError
from xproj.types import LabelledSentence, ProjectedSpan, Projection, Span

WORDS = ("Mrs", "de", "Palacio", "visited", "the", "Council", "in", "Madrid")


def _lab(*spans: tuple[int, int, str]) -> LabelledSentence:
    return LabelledSentence(WORDS, tuple(Span(a, b, t) for a, b, t in spans), "es")


def _keys(s: LabelledSentence) -> list[tuple[int, int, str]]:
    return [(x.start, x.end, x.label) for x in s.spans]


def test_keeps_the_spans_enough_routes_agree_on() -> None:
    a = _lab((1, 3, "PER"), (5, 6, "ORG"), (7, 8, "LOC"))
    b = _lab((0, 3, "PER"), (5, 6, "ORG"), (7, 8, "LOC"))
    c = _lab((1, 3, "PER"), (4, 6, "ORG"), (7, 8, "PER"))
    (two,) = vote_spans([[a], [b], [c]])
    assert _keys(two) == [(1, 3, "PER"), (5, 6, "ORG"), (7, 8, "LOC")]
    assert [x.score for x in two.spans] == pytest.approx([2 / 3, 2 / 3, 2 / 3])
    assert two.words == WORDS and two.lang == "es"
    (three,) = vote_spans([[a], [b], [c]], min_votes=3)
    assert _keys(three) == []


def test_overlaps_go_to_more_votes_then_the_longer_span() -> None:
    a = _lab((1, 3, "PER"), (5, 6, "ORG"))
    b = _lab((0, 3, "PER"), (4, 6, "ORG"))
    c = _lab((1, 3, "PER"))
    (union,) = vote_spans([[a], [b], [c]], min_votes=1)
    # (1, 3) has 3 votes and beats the longer (0, 3); (4, 6) beats (5, 6) on length
    assert _keys(union) == [(1, 3, "PER"), (4, 6, "ORG")]


def test_a_projection_votes_with_its_target() -> None:
    target = _lab((7, 8, "LOC"))
    projection = Projection(
        target=target, projected=(ProjectedSpan(7, 8, "LOC", 0),), unprojected=(), n_source=1
    )
    (out,) = vote_spans([[projection], [_lab((7, 8, "LOC"))]], min_votes=2)
    assert _keys(out) == [(7, 8, "LOC")]
    (out,) = vote_spans([[projection], [_lab()], [_lab((7, 8, "LOC"))]], min_votes=3)
    assert _keys(out) == []


def test_every_sentence_comes_out() -> None:
    routes = [[_lab(), _lab((7, 8, "LOC"))], [_lab((0, 1, "PER")), _lab((7, 8, "LOC"))]]
    out = vote_spans(routes)
    assert len(out) == 2 and _keys(out[0]) == [] and _keys(out[1]) == [(7, 8, "LOC")]


def test_errors_name_the_route_and_sentence() -> None:
    with pytest.raises(ParameterError, match="at least one route"):
        vote_spans([])
    with pytest.raises(ParameterError, match=r"'min_votes' .* in \[1, 2\]"):
        vote_spans([[_lab()], [_lab()]], min_votes=3)
    with pytest.raises(InputError, match="route 1 has 2 sentences but route 0 has 1"):
        vote_spans([[_lab()], [_lab(), _lab()]])
    other = LabelledSentence(("Madrid",), ())
    with pytest.raises(InputError, match="route 1 has other words than route 0 in sentence 1"):
        vote_spans([[_lab(), _lab()], [_lab(), other]])
    bad: list[Any] = [("not", "labelled")]
    with pytest.raises(InputError, match="route 1 item 0 is a tuple"):
        vote_spans([[_lab()], bad])
