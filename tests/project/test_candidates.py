"""Candidate extractors against brute-force definitions, and the flat batch structures."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from xproj import Alignment, LabelledSentence, Sentence, Span
from xproj.errors import InputError, ParameterError
from xproj.project.candidates import (
    SENTENCE_FINAL_PUNCTUATION,
    AlignedMerges,
    AlignedRanges,
    CandidateBatch,
    CandidateSet,
    ExternalCandidates,
    NgramCandidates,
    ProblemBatch,
    UnionCandidates,
    is_sentence_final,
)
from xproj.testing import random_batch, synthetic_batch

Triple = tuple[LabelledSentence, Sentence, Alignment]

# --- brute-force definitions -------------------------------------------------------------------


def linked_to(src: LabelledSentence, ali: Alignment, span: Span) -> set[int]:
    return {j for i, j in ali.links if span.start <= i < span.end}


def any_linked(src: LabelledSentence, ali: Alignment) -> set[int]:
    return set().union(*(linked_to(src, ali, sp) for sp in src.spans)) if src.spans else set()


def clean(tgt: Sentence, a: int, b: int) -> bool:
    return not any(is_sentence_final(w) for w in tgt.words[a:b])


def ngrams_ref(t: Triple, max_words: int, require_link: bool) -> list[tuple[int, int]]:
    src, tgt, ali = t
    linked = any_linked(src, ali)
    n = len(tgt)
    return sorted(
        (a, b)
        for a in range(n)
        for b in range(a + 1, min(n, a + max_words) + 1)
        if clean(tgt, a, b) and (not require_link or linked & set(range(a, b)))
    )


def ranges_ref(t: Triple, max_words: int | None, require_link: bool) -> list[tuple[int, int]]:
    src, tgt, ali = t
    linked = any_linked(src, ali)
    out: set[tuple[int, int]] = set()
    for sp in src.spans:
        js = linked_to(src, ali, sp)
        if not js:
            continue
        for a in range(min(js), max(js) + 1):
            for b in range(a + 1, max(js) + 2):
                if max_words is not None and b - a > max_words:
                    continue
                if clean(tgt, a, b) and (not require_link or linked & set(range(a, b))):
                    out.add((a, b))
    return sorted(out)


def merges_ref(t: Triple, max_words: int | None) -> list[tuple[int, int]]:
    src, tgt, ali = t
    out: set[tuple[int, int]] = set()
    for sp in src.spans:
        js = sorted(linked_to(src, ali, sp))
        runs: list[list[int]] = []
        for j in js:
            if runs and runs[-1][1] == j:
                runs[-1][1] = j + 1
            else:
                runs.append([j, j + 1])
        for i in range(len(runs)):
            for k in range(i, len(runs)):
                a, b = runs[i][0], runs[k][1]
                if (max_words is None or b - a <= max_words) and clean(tgt, a, b):
                    out.add((a, b))
    return sorted(out)


def triples(seed: int, n: int = 150) -> list[Triple]:
    s, t, a = random_batch(n, seed, max_words=14)
    return list(zip(s, t, a))


def batch_of(ts: list[Triple], external: list[list[Span]] | None = None) -> ProblemBatch:
    return ProblemBatch.build([t[0] for t in ts], [t[1] for t in ts], [t[2] for t in ts], external)


# --- extractors --------------------------------------------------------------------------------


@pytest.mark.parametrize("max_words", [1, 3, 10])
@pytest.mark.parametrize("require_link", [True, False])
def test_ngrams_match_the_definition(max_words: int, require_link: bool) -> None:
    ts = triples(max_words)
    got = NgramCandidates(max_words=max_words, require_link=require_link).extract(batch_of(ts))
    for k, t in enumerate(ts):
        assert got.spans(k) == ngrams_ref(t, max_words, require_link), k


@pytest.mark.parametrize("max_words", [None, 2, 10])
@pytest.mark.parametrize("require_link", [True, False])
def test_aligned_ranges_match_the_definition(max_words: int | None, require_link: bool) -> None:
    ts = triples(11)
    got = AlignedRanges(max_words=max_words, require_link=require_link).extract(batch_of(ts))
    for k, t in enumerate(ts):
        assert got.spans(k) == ranges_ref(t, max_words, require_link), k


@pytest.mark.parametrize("max_words", [None, 1, 4])
def test_aligned_merges_match_the_definition(max_words: int | None) -> None:
    ts = triples(12)
    got = AlignedMerges(max_words=max_words).extract(batch_of(ts))
    for k, t in enumerate(ts):
        assert got.spans(k) == merges_ref(t, max_words), k


WORD = st.sampled_from(("a", "Bb", ".", "?!", "。", "U.S.", "x"))


@st.composite
def triple(draw: st.DrawFn) -> Triple:
    n_src, n_tgt = draw(st.integers(0, 7)), draw(st.integers(0, 9))
    spans: list[Span] = []
    i = draw(st.integers(0, 2))
    while i < n_src and draw(st.booleans()):
        length = draw(st.integers(1, min(3, n_src - i)))
        spans.append(Span(i, i + length, "PER"))
        i += length + draw(st.integers(0, 1))
    cells = [(a, b) for a in range(n_src) for b in range(n_tgt)]
    links = sorted(draw(st.sets(st.sampled_from(cells)))) if cells else []
    src = LabelledSentence(tuple(draw(WORD) for _ in range(n_src)), tuple(spans))
    tgt = Sentence(tuple(draw(WORD) for _ in range(n_tgt)))
    return src, tgt, Alignment(n_src, n_tgt, tuple(links))


@settings(max_examples=80, deadline=None)
@given(st.lists(triple(), min_size=1, max_size=5), st.integers(1, 4))
def test_extractors_property(ts: list[Triple], max_words: int) -> None:
    b = batch_of(ts)
    ng = NgramCandidates(max_words=max_words).extract(b)
    rg = AlignedRanges(max_words=max_words).extract(b)
    mg = AlignedMerges(max_words=max_words).extract(b)
    for k, t in enumerate(ts):
        assert ng.spans(k) == ngrams_ref(t, max_words, True)
        assert rg.spans(k) == ranges_ref(t, max_words, True)
        assert mg.spans(k) == merges_ref(t, max_words)


def test_ngrams_with_require_link_drop_only_zero_score_candidates() -> None:
    ts = triples(3)
    b = batch_of(ts)
    from xproj.project.scorers import AlignmentScorer

    every = CandidateBatch.build(b, NgramCandidates(require_link=False).extract(b))
    scores = AlignmentScorer().score(every)
    got = NgramCandidates().extract(b)
    kept = set(zip(got.sentence.tolist(), got.start.tolist(), got.end.tolist()))
    k = every.problems.ent_sentence[every.pair_entity]
    for kk, s, e, c in zip(k.tolist(), every.pair_start.tolist(), every.pair_end.tolist(), scores):
        if c > 0:
            assert (kk, s, e) in kept


def test_external_candidates_and_union() -> None:
    ts = triples(4, 6)
    ext = [[Span(0, 1, "X")] if len(t[1]) else [] for t in ts]
    b = batch_of(ts, ext)
    got = ExternalCandidates().extract(b)
    assert [got.spans(k) for k in range(len(ts))] == [[(0, 1)] if e else [] for e in ext]
    union = UnionCandidates(extractors=(AlignedMerges(), ExternalCandidates())).extract(b)
    for k, t in enumerate(ts):
        assert union.spans(k) == sorted(set(merges_ref(t, 10)) | set(got.spans(k)))


def test_external_candidates_errors_name_the_sentence() -> None:
    ts = triples(5, 3)
    with pytest.raises(InputError, match="project_with_candidates"):
        ExternalCandidates().extract(batch_of(ts))
    n = len(ts[2][1])
    bad: list[list[Span]] = [[], [], [Span(0, n + 1, "X")]]
    with pytest.raises(InputError, match=rf"^sentence 2: external candidate \[0, {n + 1}\) ends"):
        ExternalCandidates().extract(batch_of(ts, bad))


def test_sentence_final_punctuation() -> None:
    for w in [".", "!", "?", "...", "?!", "…", "。", "！", "？", "۔", "؟", "।"]:
        assert is_sentence_final(w), w
    for w in ["U.S.", "3.5", ",", ";", "»", "a.", ".»", "-"]:
        assert not is_sentence_final(w), w
    assert all(len(c) == 1 for c in SENTENCE_FINAL_PUNCTUATION)


def test_parameters_are_validated() -> None:
    with pytest.raises(ParameterError, match="'max_words' parameter of NgramCandidates"):
        NgramCandidates(max_words=0)
    with pytest.raises(ParameterError, match="non-empty tuple of CandidateExtractor"):
        UnionCandidates(extractors=())
    assert AlignedRanges(max_words=None).max_words is None


# --- flat structures ---------------------------------------------------------------------------


def test_problem_batch_flattens_entities_and_links() -> None:
    src = LabelledSentence(("a", "b", "c"), (Span(0, 1, "PER"), Span(1, 3, "ORG")))
    b = ProblemBatch.build(
        [src, LabelledSentence(("x",))],
        [Sentence(("A", "B", "C", "D")), Sentence(("y",))],
        [Alignment(3, 4, ((0, 3), (1, 0), (2, 0), (2, 1))), Alignment(1, 1, ((0, 0),))],
    )
    assert b.ent_offsets.tolist() == [0, 2, 2]
    assert b.ent_label == ["PER", "ORG"]
    assert list(zip(b.el_entity.tolist(), b.el_target.tolist())) == [(0, 3), (1, 0), (1, 0), (1, 1)]
    csum, base = b.link_prefix()
    # Entity 1 ("b c") has two links into target word 0 and one into word 1.
    assert csum[base[1] + 1] - csum[base[1] + 0] == 2
    assert csum[base[1] + 4] - csum[base[1] + 0] == 3


def test_candidate_batch_layout_split_and_join() -> None:
    ts = triples(6, 40)
    b = batch_of(ts)
    cb = CandidateBatch.build(b, NgramCandidates(max_words=3).extract(b))
    flat = np.arange(cb.n_pairs, dtype=np.float64)
    mats = cb.split(flat)
    np.testing.assert_array_equal(cb.join(mats), flat)
    for k in range(len(ts)):
        ne, nc = cb.shape(k)
        assert mats[k].shape == (ne, nc)
        lo = int(cb.pair_offsets[k])
        for e in range(ne):
            for c in range(nc):
                p = lo + e * nc + c
                assert cb.pair_entity[p] == b.ent_offsets[k] + e
                assert (cb.pair_start[p], cb.pair_end[p]) == cb.candidates.spans(k)[c]
    assert cb.problem(1).candidates == tuple(cb.candidates.spans(1))
    with pytest.raises(InputError, match=r"^sentence 0: score matrix of shape"):
        cb.join([np.zeros((9, 9)), *mats[1:]])


def test_pair_strings() -> None:
    src = LabelledSentence(("New", "York", "is"), (Span(0, 2, "LOC"),))
    b = ProblemBatch.build([src], [Sentence(("Nueva", "York"))], [Alignment(3, 2, ((0, 0),))])
    cb = CandidateBatch.build(
        b, CandidateSet.from_arrays(1, np.array([0]), np.array([0]), np.array([2]))
    )
    assert cb.pair_strings() == (["New York"], ["Nueva York"])


def test_extractors_on_europarl_shaped_sentences() -> None:
    s, t, a = synthetic_batch(40, seed=1)
    ts = list(zip(s, t, a))
    b = batch_of(ts)
    ng, mg = NgramCandidates().extract(b), AlignedMerges().extract(b)
    for k, tr in enumerate(ts):
        assert ng.spans(k) == ngrams_ref(tr, 10, True)
        assert mg.spans(k) == merges_ref(tr, 10)


@pytest.mark.parametrize("seed", [7, 8])
def test_linked_pairs_are_the_dense_pairs_with_a_link(seed: int) -> None:
    ts = triples(seed, 200)
    b = batch_of(ts)
    for cands in (NgramCandidates(require_link=False).extract(b), AlignedMerges().extract(b)):
        dense = CandidateBatch.build(b, cands)
        linked = CandidateBatch.build(b, cands, linked_only=True)
        csum, base = b.link_prefix()
        bases = base[dense.pair_entity]
        links = csum[bases + dense.pair_end] - csum[bases + dense.pair_start]
        want = np.flatnonzero(links > 0)
        np.testing.assert_array_equal(linked.pair_entity, dense.pair_entity[want])
        np.testing.assert_array_equal(linked.pair_candidate, dense.pair_candidate[want])
        for k in range(len(ts)):
            lo, hi = linked.pair_offsets[k], linked.pair_offsets[k + 1]
            assert set(linked.problems.ent_sentence[linked.pair_entity[lo:hi]]) <= {k}
        # split / join: the formed pairs' entries, zeros elsewhere.
        flat = np.arange(1, linked.n_pairs + 1, dtype=np.float64)
        mats = linked.split(flat)
        np.testing.assert_array_equal(linked.join(mats), flat)
        spread = np.zeros(dense.n_pairs)
        spread[want] = flat
        for m, d in zip(mats, dense.split(spread)):
            np.testing.assert_array_equal(m, d)
