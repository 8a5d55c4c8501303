"""Every registered projector (and every aligner that needs no model) passes xproj.testing's
conformance checks; hypothesis property tests over random sentences, entities and alignments."""

from __future__ import annotations

import itertools
from collections.abc import Callable
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import xproj
from xproj import Alignment, LabelledSentence, Sentence, Span
from xproj.align.base import Aligner
from xproj.align.precomputed import PrecomputedAligner
from xproj.testing import (
    LABELS,
    check_aligner,
    check_projections,
    check_projector,
    random_sentence_pairs,
)

PROJECTORS = xproj.projectors.names()
ALIGNERS = xproj.aligners.names()


# wrappers need the component they wrap
WRAPPED = {
    "normalised": {
        "projector": {"type": "heuristic"},
        "normaliser": {"type": "spans", "lang": "es"},
        "complete_names": True,
    }
}


@pytest.mark.parametrize("name", PROJECTORS)
def test_registered_projector_conforms(name: str) -> None:
    check_projector(xproj.projectors.build(name, WRAPPED.get(name)), n=200, seed=0)


# --- hypothesis: random sentences, entities and alignments -----------------------------------

WORD = st.sampled_from(("a", "Bb", "ccc", "Dd", ".", ",", "é", "東京", "x-y", "12"))


@st.composite
def problems(draw: st.DrawFn) -> tuple[LabelledSentence, Sentence, Alignment]:
    """One (source, target, alignment) triple: 0-9 words a side, entities laid out left to
    right with random gaps (adjacent ones included), any set of links, scores or not."""
    n_src = draw(st.integers(0, 9))
    n_tgt = draw(st.integers(0, 9))
    spans: list[Span] = []
    i = draw(st.integers(0, 3))
    while i < n_src and draw(st.booleans()):
        length = draw(st.integers(1, min(4, n_src - i)))
        spans.append(Span(i, i + length, draw(st.sampled_from(LABELS))))
        i += length + draw(st.integers(0, 2))
    links: list[tuple[int, int]] = []
    if n_src and n_tgt:
        links = sorted(
            draw(
                st.sets(
                    st.tuples(st.integers(0, n_src - 1), st.integers(0, n_tgt - 1)),
                    max_size=n_src * n_tgt,
                )
            )
        )
    scores = None
    if draw(st.booleans()):
        finite = st.floats(0, 1, allow_nan=False)
        scores = tuple(draw(st.lists(finite, min_size=len(links), max_size=len(links))))
    src = LabelledSentence(tuple(draw(WORD) for _ in range(n_src)), tuple(spans))
    tgt = Sentence(tuple(draw(WORD) for _ in range(n_tgt)))
    return src, tgt, Alignment(n_src, n_tgt, tuple(links), scores)


BATCHES = st.lists(problems(), min_size=1, max_size=6)


def _property_settings(f: Callable[..., Any]) -> Callable[..., Any]:
    return settings(
        max_examples=60,
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
    )(f)


@pytest.mark.parametrize("name", PROJECTORS)
@_property_settings
@given(batch=BATCHES)
def test_property_valid_iob2_in_bounds_no_overlap_one_output_per_input(
    name: str, batch: list[tuple[LabelledSentence, Sentence, Alignment]]
) -> None:
    projector = xproj.projectors.build(name, WRAPPED.get(name))
    sources = [b[0] for b in batch]
    targets = [b[1] for b in batch]
    alignments = [b[2] for b in batch]
    out = projector.project(sources, targets, alignments)
    check_projections(sources, targets, alignments, out, who=name)
    # and the same, one sentence at a time
    for k, triple in enumerate(batch):
        assert projector.project([triple[0]], [triple[1]], [triple[2]]) == [out[k]], (name, k)


@_property_settings
@given(
    batch=BATCHES,
    max_gap=st.integers(0, 3),
    only_i=st.booleans(),
    length_ratio=st.none() | st.floats(0, 1.5),
    top_k=st.none() | st.integers(1, 3),
)
def test_property_heuristic_any_options(
    batch: list[tuple[LabelledSentence, Sentence, Alignment]],
    max_gap: int,
    only_i: bool,
    length_ratio: float | None,
    top_k: int | None,
) -> None:
    p = xproj.projectors.get(
        "heuristic", max_gap=max_gap, only_i=only_i, length_ratio=length_ratio, top_k=top_k
    )
    sources, targets, alignments = (list(x) for x in zip(*batch))
    out = p.project(sources, targets, alignments)
    check_projections(sources, targets, alignments, out, who=repr(p))
    for k, proj in enumerate(out):
        # every projected span covers only target words linked to its entity, or gaps of at
        # most max_gap words between them
        ent = sources[k].spans
        for ps in proj.projected:
            linked = {
                j for i, j in alignments[k].links if ent[ps.source].start <= i < ent[ps.source].end
            }
            inside = sorted(j for j in linked if ps.start <= j < ps.end)
            assert inside[0] == ps.start and inside[-1] == ps.end - 1
            assert all(b - a - 1 <= max_gap for a, b in itertools.pairwise(inside))
            if top_k is not None:
                assert sum(q.source == ps.source for q in proj.projected) <= top_k


# --- aligners ------------------------------------------------------------------------------------


def _precomputed_for(sources: list[Sentence], targets: list[Sentence]) -> Aligner:
    links = [
        [(i, (i * 7 + 3) % len(t)) for i in range(0, len(s), 2)] if len(s) and len(t) else []
        for s, t in zip(sources, targets)
    ]
    return PrecomputedAligner(links=links)


# Aligners that need no model, each with how to build one for a given batch and whether it is
# batch invariant (a positional table is not: a sub-batch is rightly an error).
NO_MODEL_ALIGNERS: dict[str, tuple[Callable[[list[Sentence], list[Sentence]], Aligner], bool]] = {
    "precomputed": (_precomputed_for, False),
}


@pytest.mark.parametrize("name", ALIGNERS)
def test_registered_aligner_conforms(name: str) -> None:
    if name not in NO_MODEL_ALIGNERS:
        pytest.skip(
            f"aligner {name!r} needs a model; its own tests run check_aligner on a tiny one"
        )
    make, batching = NO_MODEL_ALIGNERS[name]
    sources, targets = random_sentence_pairs(30, seed=0)
    check_aligner(make(sources, targets), sources=sources, targets=targets, batching=batching)
