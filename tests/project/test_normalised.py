"""Target-side span normalisation of projections."""

from __future__ import annotations

from xproj import Alignment, LabelledSentence, Sentence, Span
from xproj.label.normalise import SpanNormaliser
from xproj.project.greedy import GreedyProjector
from xproj.project.heuristic import HeuristicProjector
from xproj.project.normalised import NormalisingProjector, complete_names, normalise_projections
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
    norm = SpanNormaliser(lang="es", honorific_labels=ALL)
    p = NormalisingProjector(projector=inner, normaliser=norm)
    direct = inner.project([src], [tgt], [ali])
    expected, _ = normalise_projections(direct, norm)
    result = p.project_reported([src], [tgt], [ali])
    assert result.items == expected
    assert expected[0].tags == ("O", "O", "O", "O", "B-PER")
    assert result.report["normalisation"]["dropped"] == 1
    assert p.get_params()["projector__max_gap"] == inner.max_gap


def test_complete_names_extends_a_span_to_its_capitalised_run() -> None:
    words = (
        "el",
        "Partido",
        "Verde",
        "Ecologista",
        "de",
        "México",
        "y",
        "la",
        "Sra.",
        "Ana",
        "Lima",
    )
    p = Projection.build(
        words, [ProjectedSpan(2, 3, "ORG", 0, 0.5, "x"), ProjectedSpan(10, 11, "PER", 1)], 2, "es"
    )
    out, n = complete_names([p])
    # "de" is a Spanish name particle, "Sra." a form of address (not part of the name)
    assert [(s.start, s.end, s.label, s.source, s.score) for s in out[0].projected] == [
        (1, 6, "ORG", 0, 0.5),
        (9, 11, "PER", 1, None),
    ]
    assert n == 2
    # without a preset for the language, runs are adjacent capitalised words only
    q = Projection.build(words, [ProjectedSpan(2, 3, "ORG", 0)], 1, "eu")
    assert complete_names([q])[0][0].projected[0].span == Span(1, 4, "ORG")
    # two spans in one run are left alone
    r = Projection.build(
        ("con", "Ana", "Lima", "Pérez"),
        [ProjectedSpan(1, 2, "PER", 0), ProjectedSpan(2, 3, "PER", 1)],
        2,
        "es",
    )
    assert complete_names([r]) == ([r], 0)


def test_normalising_projector_with_name_completion_only() -> None:
    src = LabelledSentence.from_tags(["in", "Buenos", "Aires"], ["O", "O", "B-LOC"], "en")
    tgt = Sentence(("en", "Buenos", "Aires"), "es")
    ali = Alignment(3, 3, ((0, 0), (2, 2)))
    p = NormalisingProjector(projector=HeuristicProjector(), complete_names=True)
    result = p.project_reported([src], [tgt], [ali])
    assert result.items[0].tags == ("O", "B-LOC", "I-LOC")
    assert result.report == {"completed": 1}  # no normaliser: no normalisation counts
