"""Hand-written cases for HeuristicProjector, one or more per option, with exact outputs."""

from __future__ import annotations

import random

import pytest

import xproj
from xproj import Alignment, LabelledSentence, ParameterError, ProjectedSpan, Sentence, Span
from xproj.project.heuristic import HeuristicProjector
from xproj.testing import check_projector, random_batch


def words(n: int, prefix: str = "t") -> tuple[str, ...]:
    return tuple(f"{prefix}{i}" for i in range(n))


def project(
    projector: HeuristicProjector,
    spans: list[Span],
    n_src: int,
    n_tgt: int,
    links: list[tuple[int, int]],
) -> xproj.Projection:
    src = LabelledSentence(words(n_src, "s"), tuple(spans))
    tgt = Sentence(words(n_tgt))
    return projector.project([src], [tgt], [Alignment(n_src, n_tgt, tuple(links))])[0]


def spans_of(p: xproj.Projection) -> list[tuple[int, int, str, int]]:
    return [(q.start, q.end, q.label, q.source) for q in p.projected]


def test_registered_under_heuristic() -> None:
    assert type(xproj.projectors.get("heuristic")) is HeuristicProjector
    assert xproj.projectors.name_of(HeuristicProjector) == "heuristic"


def test_one_to_one_projection_carries_label_source_score_and_method() -> None:
    p = project(
        HeuristicProjector(),
        [Span(1, 3, "ORG"), Span(4, 5, "PER")],
        5,
        5,
        [(0, 0), (1, 1), (2, 2), (3, 3), (4, 4)],
    )
    assert p.projected == (
        ProjectedSpan(1, 3, "ORG", 0, 1.0, "heuristic"),
        ProjectedSpan(4, 5, "PER", 1, 1.0, "heuristic"),
    )
    assert p.tags == ("O", "B-ORG", "I-ORG", "O", "B-PER")
    assert p.unprojected == ()
    assert p.n_source == 2


# --- merge gap ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("max_gap", "links", "expected"),
    [
        # entity words -> target 0 and 2: one unaligned word between the runs
        (1, [(0, 0), (1, 2)], [(0, 3)]),
        (0, [(0, 0), (1, 2)], [(0, 1)]),  # not merged; tie -> leftmost run
        # gap of two words: merged only from max_gap=2
        (1, [(0, 0), (1, 3)], [(0, 1)]),
        (2, [(0, 0), (1, 3)], [(0, 4)]),
        # the longer run wins when runs stay apart
        (1, [(0, 0), (1, 3), (1, 4)], [(3, 5)]),
    ],
)
def test_merge_gap(
    max_gap: int, links: list[tuple[int, int]], expected: list[tuple[int, int]]
) -> None:
    p = project(HeuristicProjector(max_gap=max_gap), [Span(0, 2, "LOC")], 2, 6, links)
    assert [(q.start, q.end) for q in p.projected] == expected


def test_merged_run_scores_the_fraction_of_aligned_words() -> None:
    p = project(HeuristicProjector(max_gap=2), [Span(0, 3, "ORG")], 3, 6, [(0, 0), (1, 1), (2, 4)])
    assert spans_of(p) == [(0, 5, "ORG", 0)]
    assert p.projected[0].score == pytest.approx(3 / 5)


def test_merging_chains_across_several_gaps() -> None:
    p = project(HeuristicProjector(), [Span(0, 3, "MISC")], 3, 7, [(0, 0), (1, 2), (2, 4)])
    assert spans_of(p) == [(0, 5, "MISC", 0)]


# --- only_i split ------------------------------------------------------------------------------

ONLY_I_LINKS = [(0, 0), (1, 1), (0, 3)]  # "New York": New -> t0 and t3, York -> t1


def test_without_only_i_a_run_starting_at_the_first_word_is_merged() -> None:
    p = project(HeuristicProjector(only_i=False), [Span(0, 2, "LOC")], 2, 5, ONLY_I_LINKS)
    assert spans_of(p) == [(0, 4, "LOC", 0)]


def test_only_i_splits_where_the_next_run_starts_at_the_first_words_translation() -> None:
    p = project(HeuristicProjector(only_i=True), [Span(0, 2, "LOC")], 2, 5, ONLY_I_LINKS)
    assert spans_of(p) == [(0, 2, "LOC", 0)]
    p = project(
        HeuristicProjector(only_i=True, top_k=None), [Span(0, 2, "LOC")], 2, 5, ONLY_I_LINKS
    )
    assert spans_of(p) == [(0, 2, "LOC", 0), (3, 4, "LOC", 0)]
    assert p.tags == ("B-LOC", "I-LOC", "O", "B-LOC", "O")


def test_only_i_still_merges_a_run_that_starts_at_an_inner_words_translation() -> None:
    # New -> t0, York -> t2: the second run starts at York's translation, so it is merged
    p = project(HeuristicProjector(only_i=True), [Span(0, 2, "LOC")], 2, 4, [(0, 0), (1, 2)])
    assert spans_of(p) == [(0, 3, "LOC", 0)]


def test_only_i_keeps_two_translations_of_a_one_word_entity_apart() -> None:
    p = project(
        HeuristicProjector(only_i=True, top_k=None), [Span(0, 1, "PER")], 1, 3, [(0, 0), (0, 2)]
    )
    assert spans_of(p) == [(0, 1, "PER", 0), (2, 3, "PER", 0)]


# --- length ratio ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("ratio", "expected"),
    [
        (None, [(2, 3)]),
        (0.3, [(2, 3)]),  # 1/3 > 0.3
        (0.5, []),  # 1/3 <= 0.5: dropped, the entity is unprojected
    ],
)
def test_length_ratio(ratio: float | None, expected: list[tuple[int, int]]) -> None:
    p = project(HeuristicProjector(length_ratio=ratio), [Span(0, 3, "ORG")], 3, 4, [(1, 2)])
    assert [(q.start, q.end) for q in p.projected] == expected
    assert p.unprojected == (() if expected else (0,))


def test_length_ratio_is_strict() -> None:
    links = [(0, 1), (1, 1)]  # two source words onto one target word: ratio 0.5
    p = project(HeuristicProjector(length_ratio=0.5), [Span(0, 2, "PER")], 2, 2, links)
    assert p.projected == ()
    p = project(HeuristicProjector(length_ratio=0.49), [Span(0, 2, "PER")], 2, 2, links)
    assert spans_of(p) == [(1, 2, "PER", 0)]


def test_length_ratio_filters_before_top_k() -> None:
    # runs [0,1) and [3,5) of a 4-word entity: ratios 0.25 and 0.5
    links = [(0, 0), (1, 3), (2, 4)]
    p = project(HeuristicProjector(length_ratio=0.3, top_k=None), [Span(0, 4, "ORG")], 4, 6, links)
    assert spans_of(p) == [(3, 5, "ORG", 0)]


# --- top-k ---------------------------------------------------------------------------------------

TOP_K_LINKS = [(0, 0), (1, 3), (2, 4), (3, 7)]  # runs [0,1), [3,5), [7,8), gaps of 2


@pytest.mark.parametrize(
    ("top_k", "expected"),
    [
        (1, [(3, 5)]),
        (2, [(0, 1), (3, 5)]),  # tie between [0,1) and [7,8): leftmost
        (3, [(0, 1), (3, 5), (7, 8)]),
        (None, [(0, 1), (3, 5), (7, 8)]),
    ],
)
def test_top_k_keeps_the_longest_runs(top_k: int | None, expected: list[tuple[int, int]]) -> None:
    p = project(HeuristicProjector(top_k=top_k), [Span(0, 4, "MISC")], 4, 9, TOP_K_LINKS)
    assert [(q.start, q.end) for q in p.projected] == expected
    assert {q.source for q in p.projected} == {0}


# --- already-labelled words and shortest-first order ------------------------------------------


def test_a_run_touching_a_labelled_word_is_skipped() -> None:
    # PER "Ada" -> t1; ORG "Ada Corp Ltd" also -> t0..t2, overlapping t1: ORG stays unprojected
    spans = [Span(0, 1, "PER"), Span(2, 5, "ORG")]
    links = [(0, 1), (2, 0), (3, 1), (4, 2)]
    p = project(HeuristicProjector(), spans, 5, 3, links)
    assert spans_of(p) == [(1, 2, "PER", 0)]
    assert p.unprojected == (1,)


def test_the_longest_run_is_chosen_before_the_labelled_check() -> None:
    # ORG's longest run [0,3) overlaps PER's word t1; its free shorter run [5,6) is not used
    spans = [Span(0, 1, "PER"), Span(2, 5, "ORG")]
    links = [(0, 1), (2, 0), (3, 1), (4, 2), (4, 5)]
    p = project(HeuristicProjector(), spans, 5, 6, links)
    assert spans_of(p) == [(1, 2, "PER", 0)]
    p = project(HeuristicProjector(top_k=None), spans, 5, 6, links)
    assert spans_of(p) == [(1, 2, "PER", 0), (5, 6, "ORG", 1)]


def test_shortest_entity_first_regardless_of_source_order() -> None:
    # the long entity comes first in the source but the short one is projected first
    spans = [Span(0, 3, "ORG"), Span(3, 4, "PER")]
    links = [(0, 0), (1, 1), (2, 2), (3, 1)]
    p = project(HeuristicProjector(), spans, 4, 3, links)
    assert spans_of(p) == [(1, 2, "PER", 1)]
    assert p.unprojected == (0,)


def test_equal_lengths_keep_source_order() -> None:
    spans = [Span(0, 1, "PER"), Span(1, 2, "LOC")]
    links = [(0, 0), (1, 0)]  # both onto t0: the first in source order wins
    p = project(HeuristicProjector(), spans, 2, 2, links)
    assert spans_of(p) == [(0, 1, "PER", 0)]
    assert p.unprojected == (1,)


def test_adjacent_projections_of_different_entities_stay_separate_spans() -> None:
    spans = [Span(0, 1, "PER"), Span(1, 2, "PER")]
    p = project(HeuristicProjector(), spans, 2, 2, [(0, 0), (1, 1)])
    assert p.tags == ("B-PER", "B-PER")


# --- unaligned entities, empty sentences ------------------------------------------------------


def test_unaligned_entity_is_unprojected() -> None:
    p = project(HeuristicProjector(), [Span(0, 1, "PER"), Span(2, 3, "LOC")], 3, 3, [(2, 2)])
    assert spans_of(p) == [(2, 3, "LOC", 1)]
    assert p.unprojected == (0,)


def test_no_links_at_all() -> None:
    p = project(HeuristicProjector(), [Span(0, 2, "PER")], 2, 3, [])
    assert p.tags == ("O", "O", "O")
    assert p.unprojected == (0,)


def test_empty_target_gives_an_empty_projection_with_every_entity_unprojected() -> None:
    src = LabelledSentence(("Ada", "met", "Bob"), (Span(0, 1, "PER"), Span(2, 3, "PER")))
    p = HeuristicProjector().project([src], [Sentence((), "es")], [Alignment(3, 0)])[0]
    assert p.tags == ()
    assert p.target.lang == "es"
    assert p.unprojected == (0, 1)
    assert p.n_source == 2


def test_source_without_entities() -> None:
    p = project(HeuristicProjector(), [], 2, 2, [(0, 0), (1, 1)])
    assert p.tags == ("O", "O")
    assert p.n_source == 0


def test_link_order_and_scores_do_not_matter() -> None:
    spans = [Span(0, 2, "ORG"), Span(3, 4, "PER")]
    links = [(0, 1), (1, 2), (1, 3), (3, 0), (2, 4)]
    base = project(HeuristicProjector(top_k=None), spans, 4, 5, links)
    rng = random.Random(0)
    for _ in range(5):
        shuffled = links[:]
        rng.shuffle(shuffled)
        src = LabelledSentence(words(4, "s"), tuple(spans))
        ali = Alignment(4, 5, tuple(shuffled), tuple(rng.random() for _ in shuffled))
        got = HeuristicProjector(top_k=None).project([src], [Sentence(words(5))], [ali])[0]
        assert got == base


# --- best_links_only ----------------------------------------------------------------------------


def scored(
    projector: HeuristicProjector,
    spans: list[Span],
    n_src: int,
    tgt_words: tuple[str, ...],
    links: list[tuple[int, int]],
    scores: list[float] | None,
    src_words: tuple[str, ...] | None = None,
) -> xproj.Projection:
    src = LabelledSentence(src_words or words(n_src, "s"), tuple(spans))
    ali = Alignment(n_src, len(tgt_words), tuple(links), None if scores is None else tuple(scores))
    return projector.project([src], [Sentence(tgt_words)], [ali])[0]


def test_best_links_only_drops_a_word_better_linked_outside_the_entity() -> None:
    # source "the Funds": the article t0 is linked to "the" (0.8) and to "Funds" (0.3)
    links = [(0, 0), (1, 0), (1, 1)]
    base = scored(HeuristicProjector(), [Span(1, 2, "MISC")], 2, words(2), links, [0.8, 0.3, 0.9])
    assert spans_of(base) == [(0, 2, "MISC", 0)]
    best = scored(
        HeuristicProjector(best_links_only=True),
        [Span(1, 2, "MISC")],
        2,
        words(2),
        links,
        [0.8, 0.3, 0.9],
    )
    assert spans_of(best) == [(1, 2, "MISC", 0)]


def test_best_links_only_gives_a_contested_word_to_the_entity_with_the_better_link() -> None:
    # two one-word entities both linked to t1; s1's link is stronger
    spans = [Span(0, 1, "ORG"), Span(1, 2, "LOC")]
    links = [(0, 0), (0, 1), (1, 1), (1, 2)]
    got = scored(
        HeuristicProjector(best_links_only=True, top_k=None, max_gap=0),
        spans,
        2,
        words(3),
        links,
        [0.9, 0.2, 0.7, 0.8],
    )
    assert spans_of(got) == [(0, 1, "ORG", 0), (1, 3, "LOC", 1)]


def test_best_links_only_keeps_tied_links_and_ignores_unscored_alignments() -> None:
    links = [(0, 0), (1, 0), (1, 1)]
    tied = scored(
        HeuristicProjector(best_links_only=True),
        [Span(1, 2, "MISC")],
        2,
        words(2),
        links,
        [0.5, 0.5, 0.9],
    )
    assert spans_of(tied) == [(0, 2, "MISC", 0)]
    unscored = scored(
        HeuristicProjector(best_links_only=True), [Span(1, 2, "MISC")], 2, words(2), links, None
    )
    assert spans_of(unscored) == [(0, 2, "MISC", 0)]


# --- lowercase_label -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("src_word", "tgt_word", "expected"),
    [
        ("Belgium", "belgischen", "MISC"),  # a name became an adjective
        ("Europe", "d'europa", "MISC"),
        ("Belgium", "Belgien", "LOC"),  # still a name
        ("Belgium", "1999", "LOC"),  # no letters with case
        ("Belgium", "比利时", "LOC"),  # a script without case
        ("belgium", "belgischen", "LOC"),  # the source was not capitalised either
    ],
)
def test_lowercase_label_relabels_one_uncapitalised_word(
    src_word: str, tgt_word: str, expected: str
) -> None:
    got = scored(
        HeuristicProjector(lowercase_label="MISC"),
        [Span(0, 1, "LOC")],
        1,
        (tgt_word,),
        [(0, 0)],
        None,
        src_words=(src_word,),
    )
    assert spans_of(got) == [(0, 1, expected, 0)]


def test_lowercase_label_leaves_longer_spans_and_is_off_by_default() -> None:
    src_words = ("Committee", "on", "Agriculture")
    tgt = ("commissione", "per", "agricoltura")
    spans = [Span(0, 3, "ORG")]
    links = [(0, 0), (1, 1), (2, 2)]
    longer = scored(
        HeuristicProjector(lowercase_label="MISC"), spans, 3, tgt, links, None, src_words
    )
    assert spans_of(longer) == [(0, 3, "ORG", 0)]
    off = scored(
        HeuristicProjector(), [Span(0, 1, "LOC")], 1, ("belgischen",), [(0, 0)], None, ("Belgium",)
    )
    assert spans_of(off) == [(0, 1, "LOC", 0)]


def test_lowercase_label_only_relabels_one_word_uncapitalised_spans() -> None:
    # lowercase_label deliberately breaks xproj.testing's "projected labels come from their
    # source" check, so check_projector runs without it (above); here: on random batches it
    # changes nothing but the labels of exactly the spans it names, and passes the rest.
    sources, targets, alignments = random_batch(300, seed=3)
    plain = HeuristicProjector(max_gap=2, best_links_only=True)
    relabelled = HeuristicProjector(max_gap=2, best_links_only=True, lowercase_label="MISC")
    n_changed = 0
    for src, tgt, p0, p1 in zip(
        sources,
        targets,
        plain.project(sources, targets, alignments),
        relabelled.project(sources, targets, alignments),
    ):
        assert len(p0.projected) == len(p1.projected)
        assert p0.unprojected == p1.unprojected
        for a, b in zip(p0.projected, p1.projected):
            assert (a.start, a.end, a.source, a.score) == (b.start, b.end, b.source, b.score)
            word = tgt.words[a.start]
            entity = src.words[src.spans[a.source].start : src.spans[a.source].end]
            expect = (
                a.end - a.start == 1
                and word.lower() == word != word.upper()
                and any(w != w.lower() for w in entity)
            )
            assert b.label == ("MISC" if expect else a.label)
            n_changed += expect
    assert n_changed > 0  # the random words do exercise the rule


# --- parameters ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("params", "message"),
    [
        (
            {"max_gap": -1},
            "The 'max_gap' parameter of HeuristicProjector must be an int >= 0. Got -1 instead.",
        ),
        (
            {"max_gap": 1.0},
            "The 'max_gap' parameter of HeuristicProjector must be an int >= 0. Got 1.0 instead.",
        ),
        (
            {"top_k": 0},
            "The 'top_k' parameter of HeuristicProjector must be None or an int >= 1. "
            "Got 0 instead.",
        ),
        (
            {"length_ratio": -0.5},
            "The 'length_ratio' parameter of HeuristicProjector must be "
            "None or a float >= 0. Got -0.5 instead.",
        ),
        (
            {"best_links_only": "yes"},
            "The 'best_links_only' parameter of HeuristicProjector must be an instance of "
            "bool. Got 'yes' instead.",
        ),
        (
            {"lowercase_label": "B-MISC"},
            "The 'lowercase_label' parameter of HeuristicProjector must be None or a bare "
            "entity type such as 'MISC'. Got 'B-MISC' instead.",
        ),
        (
            {"lowercase_label": "O"},
            "The 'lowercase_label' parameter of HeuristicProjector must be None or a bare "
            "entity type such as 'MISC'. Got 'O' instead.",
        ),
        (
            {"only_i": 1},
            "The 'only_i' parameter of HeuristicProjector must be an instance of "
            "bool. Got 1 instead.",
        ),
    ],
)
def test_bad_parameters_are_named(params: dict[str, object], message: str) -> None:
    with pytest.raises(ParameterError) as e:
        HeuristicProjector(**params)  # type: ignore[arg-type]
    assert str(e.value) == message


def test_set_params_revalidates() -> None:
    p = HeuristicProjector()
    assert p.get_params() == {
        "max_gap": 1,
        "only_i": False,
        "length_ratio": None,
        "top_k": 1,
        "best_links_only": False,
        "lowercase_label": None,
    }
    with pytest.raises(ParameterError, match="top_k"):
        p.set_params(top_k=-2)


@pytest.mark.parametrize(
    "params",
    [
        {},
        {"max_gap": 0},
        {"max_gap": 3, "only_i": True},
        {"top_k": None, "length_ratio": 0.8},
        {"top_k": 2, "only_i": True, "length_ratio": 0.0},
        {"max_gap": 2, "best_links_only": True},
    ],
)
def test_conforms_with_every_option(params: dict[str, object]) -> None:
    check_projector(HeuristicProjector(**params), n=150, seed=7)  # type: ignore[arg-type]
