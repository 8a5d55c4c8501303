from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from xproj.errors import InputError
from xproj.io.tags import Repair, TagScheme, UnknownLabels, map_labels, to_iob2, to_spans
from xproj.types import Span, spans_from_tags, tags_from_spans


def triples(spans: tuple[Span, ...]) -> list[tuple[int, int, str]]:
    return [(s.start, s.end, s.label) for s in spans]


# --- encoders written independently of the module under test -------------------------------


def encode_iob1(spans: list[tuple[int, int, str]], n: int) -> list[str]:
    tags = ["O"] * n
    prev_end, prev_label = -1, ""
    for start, end, label in spans:
        for i in range(start, end):
            tags[i] = f"I-{label}"
        if start == prev_end and label == prev_label:
            tags[start] = f"B-{label}"
        prev_end, prev_label = end, label
    return tags


def encode_bioes(spans: list[tuple[int, int, str]], n: int) -> list[str]:
    tags = ["O"] * n
    for start, end, label in spans:
        if end - start == 1:
            tags[start] = f"S-{label}"
            continue
        tags[start] = f"B-{label}"
        for i in range(start + 1, end - 1):
            tags[i] = f"I-{label}"
        tags[end - 1] = f"E-{label}"
    return tags


@st.composite
def span_lists(draw: st.DrawFn) -> tuple[list[tuple[int, int, str]], int]:
    n = draw(st.integers(0, 14))
    spans: list[tuple[int, int, str]] = []
    i = 0
    while i < n:
        if draw(st.booleans()):
            end = draw(st.integers(i + 1, n))
            spans.append((i, end, draw(st.sampled_from(["PER", "LOC", "ORG"]))))
            i = end
        else:
            i += 1
    return spans, n


@given(span_lists())
def test_every_scheme_reads_back_the_spans_it_encodes(
    data: tuple[list[tuple[int, int, str]], int],
) -> None:
    spans, n = data
    iob2 = list(tags_from_spans([Span(*s) for s in spans], n))
    assert triples(to_spans(iob2, TagScheme.IOB2)) == spans
    assert triples(to_spans(encode_iob1(spans, n), "iob1")) == spans
    assert triples(to_spans(encode_bioes(spans, n), "BIOES")) == spans
    assert list(to_iob2(encode_bioes(spans, n), "bioes")) == iob2
    assert list(to_iob2(encode_iob1(spans, n), "iob1")) == iob2


@pytest.mark.parametrize("scheme", ["iob1", "iob2", "bioes"])
@settings(deadline=None)  # the first example imports seqeval
@given(data=st.data())
def test_fix_matches_seqeval_lenient_reading(scheme: str, data: st.DataObject) -> None:
    """Repair.FIX reads any well-formed tag sequence the way seqeval/conlleval do."""
    from seqeval.metrics.sequence_labeling import get_entities

    prefixes = "BIES" if scheme == "bioes" else "BI"
    tag = st.one_of(
        st.just("O"),
        st.builds(lambda p, t: f"{p}-{t}", st.sampled_from(prefixes), st.sampled_from("XY")),
    )
    tags = data.draw(st.lists(tag, max_size=12))
    ours = triples(to_spans(tags, scheme, Repair.FIX))
    theirs = [(start, end + 1, label) for label, start, end in get_entities(tags)]
    assert ours == theirs
    spans_from_tags(to_iob2(tags, scheme, "fix"))  # the output is valid IOB2


def test_iob2_errors_name_the_tag_and_fix_starts_a_span() -> None:
    with pytest.raises(InputError, match=r"tag 2 'I-LOC' follows 'I-PER'.*type LOC.*repair='fix'"):
        to_spans(["B-PER", "I-PER", "I-LOC"])
    with pytest.raises(InputError, match=r"tag 0 'I-PER' starts the sentence"):
        to_spans(["I-PER"], "iob2", "error")
    assert triples(to_spans(["B-PER", "I-PER", "I-LOC"], repair="fix")) == [
        (0, 2, "PER"),
        (2, 3, "LOC"),
    ]
    assert to_iob2(["O", "I-PER", "I-PER", "O", "I-PER"], repair=Repair.FIX) == (
        "O",
        "B-PER",
        "I-PER",
        "O",
        "B-PER",
    )


def test_iob1_b_only_between_same_type_spans() -> None:
    assert triples(to_spans(["I-PER", "B-PER", "I-LOC", "O"], "iob1")) == [
        (0, 1, "PER"),
        (1, 2, "PER"),
        (2, 3, "LOC"),
    ]
    with pytest.raises(InputError, match=r"tag 1 'B-LOC' follows 'O'.*adjacent LOC spans"):
        to_spans(["O", "B-LOC"], "iob1")
    with pytest.raises(InputError, match=r"tag 1 'B-LOC' follows 'I-PER'"):
        to_spans(["I-PER", "B-LOC"], "iob1")
    assert triples(to_spans(["O", "B-LOC", "I-LOC"], "iob1", "fix")) == [(1, 3, "LOC")]


def test_bioes_errors_and_repairs() -> None:
    with pytest.raises(InputError, match=r"tag 1 'O' follows 'B-PER'.*no E- tag"):
        to_spans(["B-PER", "O"], "bioes")
    with pytest.raises(InputError, match=r"tag 0 'E-PER' starts the sentence"):
        to_spans(["E-PER"], "bioes")
    with pytest.raises(InputError, match=r"tag 2 'S-LOC' follows 'I-PER'"):
        to_spans(["B-PER", "I-PER", "S-LOC"], "bioes")
    with pytest.raises(InputError, match=r"opened at tag 1 is still open at the end"):
        to_spans(["O", "B-PER", "I-PER"], "bioes")
    assert triples(to_spans(["O", "B-PER", "I-PER"], "bioes", "fix")) == [(1, 3, "PER")]
    assert triples(to_spans(["E-PER", "I-LOC", "E-LOC", "B-X"], "bioes", "fix")) == [
        (0, 1, "PER"),
        (1, 3, "LOC"),
        (3, 4, "X"),
    ]


@pytest.mark.parametrize("repair", ["error", "fix"])
def test_malformed_tags_are_errors_under_both_policies(repair: str) -> None:
    with pytest.raises(InputError, match=r"tag 1 'PER' is not a IOB2 tag.*'B-TYPE', 'I-TYPE'"):
        to_spans(["O", "PER"], repair=repair)
    with pytest.raises(InputError, match=r"tag 0 'B-' is not"):
        to_spans(["B-"], repair=repair)
    with pytest.raises(InputError, match=r"another scheme \(pass scheme='bioes'\)"):
        to_spans(["S-PER"], "iob2", repair)
    with pytest.raises(InputError, match=r"tag 0 'X-PER' is not a BIOES tag"):
        to_spans(["X-PER"], "bioes", repair)


def test_bad_tag_error_carries_the_index() -> None:
    with pytest.raises(InputError) as info:
        to_spans(["O", "O", "O", "I-ORG"])
    assert getattr(info.value, "index", None) == 3


def test_scheme_and_policy_names() -> None:
    assert TagScheme.parse("BIO") is TagScheme.IOB2
    assert TagScheme.parse("iobes") is TagScheme.BIOES
    assert TagScheme.parse(TagScheme.IOB1) is TagScheme.IOB1
    with pytest.raises(InputError, match=r"unknown tag scheme 'bilou'.*'iob1', 'iob2', 'bioes'"):
        to_spans(["O"], scheme="bilou")
    with pytest.raises(InputError, match=r"unknown repair policy 'ignore'.*'error', 'fix'"):
        to_spans(["O"], repair="ignore")


def test_map_labels_renames_drops_and_keeps() -> None:
    spans = (Span(0, 1, "PER", 0.9), Span(1, 2, "MISC"), Span(2, 4, "DATE"), Span(5, 6, "GPE"))
    out = map_labels(spans, {"MISC": "O", "DATE": None, "GPE": "LOC"})
    assert [(s.start, s.label, s.score) for s in out] == [(0, "PER", 0.9), (5, "LOC", None)]
    with pytest.raises(InputError, match=r"entity 0 has label 'PER'.*\['DATE', 'GPE', 'MISC'\]"):
        map_labels(spans, {"MISC": "O", "DATE": None, "GPE": "LOC"}, unknown="error")
    mapped = map_labels(
        spans, {"PER": "PER", "MISC": "O", "DATE": "O", "GPE": "LOC"}, unknown=UnknownLabels.ERROR
    )
    assert [s.label for s in mapped] == ["PER", "LOC"]
    with pytest.raises(InputError, match="unknown unknown-label policy 'drop'"):
        map_labels(spans, {}, unknown="drop")
