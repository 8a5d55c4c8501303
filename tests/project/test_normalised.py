"""Target-side span normalisation of projections."""

from __future__ import annotations

from xproj import Alignment, LabelledSentence, Sentence
from xproj.label.normalise import SpanNormaliser
from xproj.project.greedy import GreedyProjector
from xproj.project.heuristic import HeuristicProjector
from xproj.project.normalised import NormalisingProjector, normalise_projections
from xproj.testing import check_projector
from xproj.types import ProjectedSpan, Projection

ALL = ("PER", "ORG", "LOC", "MISC")


def test_spans_are_trimmed_or_dropped_and_keep_their_source_entity() -> None:
    words = ("Señor", "Presidente", ",", "la", "señora", "de", "Palacio", "y", "la", "Comisión")
    p = Projection.build(
        words,
        [
            ProjectedSpan(0, 1, "ORG", 0, 0.5, "heuristic"),  # a form of address alone: dropped
            ProjectedSpan(4, 7, "PER", 2, 0.9, "heuristic"),  # title leaves: "de Palacio"
            ProjectedSpan(8, 10, "ORG", 1, 1.0, "heuristic"),  # lower-case determiner leaves
        ],
        3,
        "es",
    )
    out, stats = normalise_projections([p], SpanNormaliser(lang="es", title_labels=ALL))
    q = out[0]
    assert [(s.start, s.end, s.label, s.source, s.score, s.method) for s in q.projected] == [
        (5, 7, "PER", 2, 0.9, "heuristic"),
        (9, 10, "ORG", 1, 1.0, "heuristic"),
    ]
    assert q.unprojected == (0,)
    assert q.n_source == 3 and q.target.words == words and q.target.lang == "es"
    assert (stats.spans, stats.changed, stats.dropped) == (3, 3, 1)
    assert (stats.titles, stats.determiners, stats.honorifics) == (1, 1, 1)


def test_the_default_title_labels_leave_other_types_alone() -> None:
    words = ("Señor", "Presidente")
    p = Projection.build(words, [ProjectedSpan(0, 1, "ORG", 0)], 1, "es")
    out, stats = normalise_projections([p], SpanNormaliser(lang="es"))
    assert out[0].tags == ("B-ORG", "O") and stats.changed == 0


def test_the_projector_wrapper_passes_the_conformance_checks() -> None:
    norm = SpanNormaliser(lang="en", title_labels=ALL)
    check_projector(NormalisingProjector(projector=HeuristicProjector(), normaliser=norm), n=100)
    check_projector(NormalisingProjector(projector=GreedyProjector(), normaliser=norm), n=100)


def test_the_projector_wrapper_projects_then_normalises() -> None:
    src = LabelledSentence.from_tags(
        ["Gentleman", "President", ",", "Mr", "Prodi"], ["B-ORG", "O", "O", "B-PER", "I-PER"], "en"
    )
    tgt = Sentence(("Señor", "Presidente", ",", "señor", "Prodi"), "es")
    ali = Alignment(5, 5, ((0, 0), (1, 1), (2, 2), (3, 3), (4, 4)))
    inner = HeuristicProjector()
    p = NormalisingProjector(
        projector=inner, normaliser=SpanNormaliser(lang="es", title_labels=ALL)
    )
    direct = inner.project([src], [tgt], [ali])
    expected, _ = normalise_projections(direct, p.normaliser)
    assert p.project([src], [tgt], [ali]) == expected
    assert expected[0].tags == ("O", "O", "O", "O", "B-PER")
    assert p.last_normalisation is not None and p.last_normalisation.dropped == 1
    assert p.get_params()["projector__max_gap"] == inner.max_gap
