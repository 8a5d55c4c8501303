"""The transformers labeller on tiny random models built locally (nothing is downloaded)."""

from __future__ import annotations

import functools
import itertools
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

import xproj
from xproj.errors import InputError, MissingExtraError, ParameterError
from xproj.label.normalise import SpanNormaliser
from xproj.label.transformers import (
    LabelProbabilities,
    TransformersLabeller,
    decode_tags,
    plan_windows,
    viterbi_tags,
)
from xproj.types import LabelledSentence, Sentence, Span

CONLL_TAGS = ["O", "B-PER", "I-PER", "B-ORG", "I-ORG", "B-LOC", "I-LOC", "B-MISC", "I-MISC"]


@pytest.fixture
def sentences(corpus: list[str]) -> list[Sentence]:
    return [Sentence(tuple(s.split()), "en") for s in corpus]


@functools.cache
def _load_direct(path: Path) -> tuple[Any, Any]:
    from transformers import AutoModelForTokenClassification, AutoTokenizer

    return (
        AutoTokenizer.from_pretrained(path),
        AutoModelForTokenClassification.from_pretrained(path).eval(),
    )


def reference_probs(path: Path, words: list[str], first: bool) -> np.ndarray:
    """Per-word probabilities computed directly with transformers, one sentence, no batching."""
    import torch

    tok, model = _load_direct(path)
    enc = tok(words, is_split_into_words=True, return_tensors="pt")
    with torch.inference_mode():
        p = torch.softmax(model(**enc).logits[0], -1).numpy()
    out = np.zeros((len(words), p.shape[1]), dtype=np.float32)
    for i in range(len(words)):
        pos = [t for t, w in enumerate(enc.word_ids(0)) if w == i]
        out[i] = p[pos[0]] if first else p[pos].mean(0)
    return out


@pytest.fixture(params=["tiny_bert", "tiny_xlmr"])
def model_path(request: pytest.FixtureRequest) -> Path:
    path: Path = request.getfixturevalue(request.param)
    return path


def test_shapes_probabilities_and_tags(sentences: list[Sentence], model_path: Path) -> None:
    lab = TransformersLabeller(model=str(model_path), device="cpu")
    batch = [*sentences, Sentence(())]
    out = lab.label_with_probs(batch)
    assert len(out) == len(batch)
    assert lab.labels == tuple(CONLL_TAGS)
    for s, r in zip(batch, out):
        assert r.sentence.words == s.words and r.sentence.lang == s.lang
        assert r.probs.shape == (len(s), len(CONLL_TAGS)) and r.probs.dtype == np.float32
        np.testing.assert_allclose(r.probs.sum(1), 1.0, atol=1e-5)
        expected = decode_tags([CONLL_TAGS[j] for j in r.probs.argmax(1)])
        assert [(x.start, x.end, x.label) for x in r.sentence.spans] == [
            (x.start, x.end, x.label) for x in expected
        ]
        for sp in r.sentence.spans:
            assert sp.score is not None and 0 < sp.score <= 1
    # label() gives the same sentences
    assert lab.label(batch) == [r.sentence for r in out]
    # the random model does produce entities, so the decode checks above are not vacuous
    assert sum(len(r.sentence.spans) for r in out) > 0


@pytest.mark.parametrize("aggregation", ["first", "average"])
def test_aggregation_matches_a_direct_computation(
    sentences: list[Sentence], model_path: Path, aggregation: str
) -> None:
    lab = TransformersLabeller(model=model_path, aggregation=aggregation, device="cpu")
    out = lab.label_with_probs(sentences)
    for s, r in zip(sentences, out):
        ref = reference_probs(model_path, list(s.words), first=aggregation == "first")
        np.testing.assert_allclose(r.probs, ref, atol=1e-5)


def test_first_and_average_differ_on_multi_subword_words(
    sentences: list[Sentence], tiny_bert: Path
) -> None:
    first = TransformersLabeller(model=tiny_bert, aggregation="first").label_with_probs(sentences)
    avg = TransformersLabeller(model=tiny_bert, aggregation="average").label_with_probs(sentences)
    assert not np.allclose(first[0].probs, avg[0].probs, atol=1e-3)


def test_batching_and_order_do_not_change_results(
    sentences: list[Sentence], model_path: Path
) -> None:
    one = TransformersLabeller(model=model_path, batch_size=1).label_with_probs(sentences)
    many = TransformersLabeller(model=model_path, batch_size=4).label_with_probs(
        list(reversed(sentences))
    )
    for a, b in zip(one, reversed(many)):
        assert a.sentence.words == b.sentence.words
        np.testing.assert_allclose(a.probs, b.probs, atol=1e-5)
        assert a.sentence.tags == b.sentence.tags


def test_long_sentences_are_windowed_not_truncated(tiny_xlmr: Path, corpus: list[str]) -> None:
    from transformers import AutoTokenizer

    words = " ".join(corpus * 3).split()  # far more than the model's 64 tokens
    lab = TransformersLabeller(model=tiny_xlmr, max_length=32, window_overlap=8)
    (res,) = lab.label_with_probs([Sentence(tuple(words))])
    assert res.probs.shape == (len(words), len(CONLL_TAGS))
    np.testing.assert_allclose(res.probs.sum(1), 1.0, atol=1e-5)
    # windows are the answer to a long sentence: the tokenizer's "longer than the specified
    # maximum ... will result in indexing errors" warning (which sets this flag) is not given
    warned = lab._load().tokenizer.deprecation_warnings
    assert "sequence-length-is-longer-than-the-specified-maximum" not in warned

    tok = AutoTokenizer.from_pretrained(tiny_xlmr)
    enc = tok(words, is_split_into_words=True, add_special_tokens=False)
    counts = np.bincount([w for w in enc.word_ids(0) if w is not None], minlength=len(words))
    windows = plan_windows(counts.tolist(), budget=30, overlap=8)
    assert len(windows) > 3
    # each word's distribution is the one from the window where it is farthest from an edge
    for i in (0, len(words) // 3, len(words) // 2, len(words) - 1):
        best = max(windows, key=lambda w: min(i - w[0], w[1] - 1 - i) if w[0] <= i < w[1] else -1)
        a, b = best
        ref = reference_probs(tiny_xlmr, words[a:b], first=True)
        np.testing.assert_allclose(res.probs[i], ref[i - a], atol=1e-5)


def test_sentence_that_fits_gives_the_same_result_with_any_window(
    sentences: list[Sentence], tiny_xlmr: Path
) -> None:
    small = TransformersLabeller(model=tiny_xlmr, max_length=48).label_with_probs(sentences[:2])
    full = TransformersLabeller(model=tiny_xlmr).label_with_probs(sentences[:2])
    for a, b in zip(small, full):
        np.testing.assert_allclose(a.probs, b.probs, atol=1e-5)


def test_plan_windows_covers_respects_budget_and_overlap() -> None:
    rng = np.random.default_rng(0)
    for _ in range(200):
        counts = rng.integers(1, 6, size=int(rng.integers(0, 60))).tolist()
        budget = int(rng.integers(5, 30))
        overlap = int(rng.integers(0, budget // 2 + 1))
        windows = plan_windows(counts, budget, overlap)
        if not counts:
            assert windows == []
            continue
        assert windows[0][0] == 0 and windows[-1][1] == len(counts)
        for a, b in windows:
            assert sum(counts[a:b]) <= budget and b > a
        for (a1, b1), (a2, b2) in itertools.pairwise(windows):
            assert a1 < a2 <= b1 < b2  # advances, leaves no gap
            assert sum(counts[a2:b1]) <= overlap or a2 == a1 + 1


def test_plan_windows_rejects_a_word_longer_than_a_window() -> None:
    with pytest.raises(InputError, match=r"sentence 3: word 1 has 9 subword tokens"):
        plan_windows([1, 9, 1], budget=8, overlap=2, sentence=3)


IOB2 = ("O", "B-PER", "I-PER", "B-LOC", "I-LOC")
BIOES = ("O", "B-PER", "I-PER", "E-PER", "S-PER")


def _valid(tags: list[str], scheme: Sequence[str] = IOB2) -> bool:
    """Whether a tag sequence is valid IOB2, or BIOES when the tag set ``scheme`` has E-/S-
    tags (written out independently of the decoder)."""
    bioes = any(t[0] in "ES" for t in scheme)
    prev = "O"
    for t in tags:
        if t[0] in "IE" and not (prev[0] in "BI" and prev[2:] == t[2:]):
            return False
        if bioes and prev[0] in "BI" and t[0] not in "IE":
            return False
        prev = t
    return not (bioes and prev[0] in "BI")


@pytest.mark.parametrize("tags", [IOB2, BIOES])
@settings(max_examples=60, deadline=None)
@given(data=st.data())
def test_viterbi_is_the_most_probable_valid_sequence(tags: tuple[str, ...], data: Any) -> None:
    """Against brute force over every tag sequence of up to 4 words."""
    n = data.draw(st.integers(1, 4))
    raw = data.draw(
        arrays(np.float64, (n, len(tags)), elements=st.floats(0.01, 1.0, allow_nan=False))
    )
    probs = raw / raw.sum(axis=1, keepdims=True)
    got = viterbi_tags(probs, tags)
    assert _valid([tags[j] for j in got], tags)
    best = max(
        (
            seq
            for seq in itertools.product(range(len(tags)), repeat=n)
            if _valid([tags[j] for j in seq], tags)
        ),
        key=lambda seq: sum(np.log(probs[i, j]) for i, j in enumerate(seq)),
    )
    score = sum(np.log(probs[i, j]) for i, j in enumerate(got))
    assert score == pytest.approx(sum(np.log(probs[i, j]) for i, j in enumerate(best)))
    arg = probs.argmax(axis=1).tolist()
    if _valid([tags[j] for j in arg], tags):  # a valid arg-max sequence is kept as it is
        assert got == arg


def test_viterbi_continues_a_span_where_argmax_would_switch_type() -> None:
    p = np.array([[0.1, 0.8, 0.0, 0.1, 0.0], [0.1, 0.0, 0.4, 0.0, 0.5], [0.9, 0, 0, 0, 0.1]])
    assert [IOB2[j] for j in viterbi_tags(p, IOB2)] == ["B-PER", "I-PER", "O"]
    assert [IOB2[j] for j in p.argmax(axis=1)] == ["B-PER", "I-LOC", "O"]
    assert viterbi_tags(np.zeros((0, 5)), IOB2) == []


def test_viterbi_labeller_decodes_the_same_distributions(
    sentences: list[Sentence], tiny_bert: Path
) -> None:
    plain = TransformersLabeller(model=tiny_bert).label_with_probs(sentences)
    vit = TransformersLabeller(model=tiny_bert, decoding="viterbi").label_with_probs(sentences)
    changed = 0
    for a, b in zip(plain, vit):
        np.testing.assert_array_equal(a.probs, b.probs)
        path = viterbi_tags(b.probs, b.labels)
        assert _valid([b.labels[j] for j in path], b.labels)
        assert b.sentence.spans == decode_tags(
            [b.labels[j] for j in path], b.probs[np.arange(len(path)), path].tolist()
        )
        changed += a.sentence.spans != b.sentence.spans
    # the random model's arg-max tags are often invalid, so the two decodings differ somewhere
    assert changed > 0
    with pytest.raises(ParameterError, match="decoding"):
        TransformersLabeller(model=tiny_bert, decoding="beam")


def test_decode_tags_repairs_invalid_iob2_and_reads_bioes() -> None:
    assert decode_tags(["O", "I-PER", "I-PER", "B-LOC"]) == (Span(1, 3, "PER"), Span(3, 4, "LOC"))
    assert decode_tags(["B-PER", "I-ORG"]) == (Span(0, 1, "PER"), Span(1, 2, "ORG"))
    assert decode_tags(["B-PER", "B-PER"]) == (Span(0, 1, "PER"), Span(1, 2, "PER"))
    assert decode_tags(["S-PER", "B-ORG", "I-ORG", "E-ORG", "E-ORG"]) == (
        Span(0, 1, "PER"),
        Span(1, 4, "ORG"),
        Span(4, 5, "ORG"),
    )
    assert decode_tags(["B-LOC", "I-LOC", "O"], [0.5, 1.0, 0.2]) == (Span(0, 2, "LOC", 0.75),)
    with pytest.raises(ParameterError, match="LABEL_0"):
        decode_tags(["LABEL_0"])


def test_label_map_sums_probabilities_of_merged_tags(
    sentences: list[Sentence], tiny_bert: Path
) -> None:
    plain = TransformersLabeller(model=tiny_bert).label_with_probs(sentences[:2])
    table = {"PER": "PER", "ORG": "ORG", "LOC": "LOC", "MISC": "O"}
    lab = TransformersLabeller(model=tiny_bert, label_map=table)
    mapped = lab.label_with_probs(sentences[:2])
    assert lab.labels == ("O", "B-PER", "I-PER", "B-ORG", "I-ORG", "B-LOC", "I-LOC")
    for p, m in zip(plain, mapped):
        np.testing.assert_allclose(m.prob("O"), p.prob("O") + p.prob("B-MISC") + p.prob("I-MISC"))
        np.testing.assert_allclose(m.prob("B-PER"), p.prob("B-PER"))
        assert all(s.label != "MISC" for s in m.sentence.spans)
    with pytest.raises(
        ParameterError, match=r"entity types \['LOC', 'MISC', 'ORG'\] are not covered by label_map"
    ):
        TransformersLabeller(model=tiny_bert, label_map={"PER": "PER"}).load()


def test_normalise_option_applies_the_normaliser(
    sentences: list[Sentence], tiny_bert: Path
) -> None:
    plain = TransformersLabeller(model=tiny_bert).label(sentences)
    lab = TransformersLabeller(model=tiny_bert, normalise=SpanNormaliser())
    result = lab.label_reported(sentences)
    assert result.items == SpanNormaliser().normalise(plain)
    assert result.report["normalisation"]["spans"] > 0


def test_registry_builds_it_by_name(sentences: list[Sentence], tiny_bert: Path) -> None:
    lab = xproj.labellers.get("transformers", model=str(tiny_bert), batch_size=2)
    assert isinstance(lab, TransformersLabeller)
    assert len(lab.label(sentences)) == len(sentences)


def test_importing_the_labeller_modules_imports_no_heavy_package() -> None:
    code = (
        "import sys, xproj, xproj.label.transformers, xproj.label.spacy, xproj.label.normalise;"
        "heavy = [m for m in ('torch', 'transformers', 'spacy') if m in sys.modules];"
        "assert not heavy, heavy"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


@pytest.mark.parametrize(
    ("params", "match"),
    [
        ({"aggregation": "max"}, "'aggregation' parameter of TransformersLabeller must be one of"),
        ({"batch_size": 0}, "'batch_size' parameter of TransformersLabeller must be an int >= 1"),
        ({"dtype": "int8"}, "'dtype' parameter"),
        ({"max_length": 2}, "'max_length' parameter"),
    ],
)
def test_bad_parameters_are_rejected_when_built(params: dict[str, Any], match: str) -> None:
    with pytest.raises(ParameterError, match=match):
        TransformersLabeller(**params)


def test_load_time_errors(tiny_bert: Path, tmp_path: Path) -> None:
    with pytest.raises(ParameterError, match="could not load the token-classification model"):
        TransformersLabeller(model=tmp_path / "nothing-here").load()
    with pytest.raises(ParameterError, match="more than the 128 tokens"):
        TransformersLabeller(model=tiny_bert, max_length=4096).load()
    with pytest.raises(ParameterError, match="'window_overlap' parameter"):
        TransformersLabeller(model=tiny_bert, max_length=20, window_overlap=10).load()
    with pytest.raises(ParameterError, match="'device' parameter"):
        TransformersLabeller(model=tiny_bert, device="no-such-device").load()


def test_missing_transformers_raises_missing_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "transformers", None)
    with pytest.raises(MissingExtraError, match=r'pip install "xproj\[transformers\]"'):
        TransformersLabeller(model="x").load()


def test_label_probabilities_round_trip_and_checks() -> None:
    s = LabelledSentence.from_tags(["Paris", "is"], ["B-LOC", "O"])
    p = LabelProbabilities(s, np.array([[0.1, 0.9], [0.8, 0.2]], np.float32), ("O", "B-LOC"))
    q = LabelProbabilities.from_dict(p.to_dict())
    assert q.sentence == s and q.labels == p.labels
    np.testing.assert_array_equal(q.probs, p.probs)
    with pytest.raises(InputError, match="no label 'B-PER'"):
        p.prob("B-PER")
    with pytest.raises(InputError, match="expected \\(2, 2\\)"):
        LabelProbabilities(s, np.zeros((1, 2), np.float32), ("O", "B-LOC"))
