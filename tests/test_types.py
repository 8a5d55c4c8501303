import json

import numpy as np
import pytest

from xproj import Alignment, InputError, LabelledSentence, ProjectedSpan, Projection, Sentence, Span
from xproj.types import spans_from_tags, tags_from_spans


def test_span_rejects_empty_and_prefixed_labels() -> None:
    with pytest.raises(InputError, match="half-open"):
        Span(3, 3, "PER")
    with pytest.raises(InputError, match="IOB prefix"):
        Span(0, 1, "B-PER")
    assert len(Span(2, 5, "LOC")) == 3


def test_sentence_words_checked() -> None:
    # a list is accepted at run time and stored as a tuple, though the type says tuple
    assert Sentence(["a", "b"]).words == ("a", "b")  # type: ignore[arg-type]
    with pytest.raises(InputError, match="word 1"):
        Sentence(("a", "b c"))
    with pytest.raises(InputError, match="word 0"):
        Sentence(("",))


def test_tags_roundtrip_and_invalid_iob2() -> None:
    tags = ("B-PER", "I-PER", "O", "B-LOC", "B-LOC", "I-LOC")
    spans = spans_from_tags(tags)
    assert [(s.start, s.end, s.label) for s in spans] == [
        (0, 2, "PER"),
        (3, 4, "LOC"),
        (4, 6, "LOC"),
    ]
    assert tags_from_spans(spans, 6) == tags
    with pytest.raises(InputError, match="tag 2 'I-ORG'"):
        spans_from_tags(("B-PER", "I-PER", "I-ORG"))


def test_labelled_sentence_rejects_overlap_and_out_of_bounds() -> None:
    with pytest.raises(InputError, match="overlaps"):
        LabelledSentence(("a", "b", "c"), (Span(0, 2, "PER"), Span(1, 3, "LOC")))
    with pytest.raises(InputError, match="ends past"):
        LabelledSentence(("a",), (Span(0, 2, "PER"),))


def test_alignment_bounds_matrix_and_pharaoh() -> None:
    a = Alignment.from_pharaoh("0-0 1-2 2p1", 3, 3)
    assert a.links == ((0, 0), (1, 2)) and a.possible == ((2, 1),)
    m = a.matrix()
    assert m.shape == (3, 3) and m.sum() == 2 and m[1, 2] == 1
    assert a.inverted().links == ((0, 0), (2, 1))
    assert a.to_pharaoh() == "0-0 1-2"
    with pytest.raises(InputError, match="link 3-0 lies outside"):
        Alignment(3, 3, ((3, 0),))
    with pytest.raises(InputError, match="2 links but 1 scores"):
        Alignment(3, 3, ((0, 0), (1, 1)), (0.5,))
    scored = Alignment(2, 2, ((0, 1),), (0.25,))
    assert np.isclose(scored.matrix()[0, 1], 0.25)


def test_projection_accounts_for_every_source_entity() -> None:
    p = Projection.build(("x", "y", "z"), [ProjectedSpan(2, 3, "LOC", 1, 0.9, "greedy")], 3)
    assert p.unprojected == (0, 2)
    assert p.tags == ("O", "O", "B-LOC")
    with pytest.raises(InputError, match="every one of the 2"):
        Projection(LabelledSentence(("x",)), (), (0,), 2)


@pytest.mark.parametrize(
    "obj",
    [
        Span(0, 2, "PER", 0.5),
        Sentence(("a", "b"), "de"),
        LabelledSentence(("a", "b"), (Span(1, 2, "ORG"),), "en"),
        Alignment(2, 3, ((0, 1), (1, 2)), (0.1, 0.2), ((1, 1),)),
        Projection.build(("a", "b"), [ProjectedSpan(0, 1, "PER", 0, 1.0, "ilp")], 2, "de"),
    ],
)
def test_json_roundtrip(obj: object) -> None:
    d = json.loads(json.dumps(obj.to_dict()))  # type: ignore[attr-defined]
    assert type(obj).from_dict(d) == obj  # type: ignore[attr-defined]


def test_objects_are_immutable() -> None:
    s = Sentence(("a",))
    with pytest.raises(AttributeError):
        s.words = ("b",)  # type: ignore[misc]


@pytest.mark.parametrize(
    "build",
    [
        lambda: Sentence("Paris"),  # type: ignore[arg-type]
        lambda: LabelledSentence("Paris"),  # type: ignore[arg-type]
        lambda: LabelledSentence.from_tags("Paris", ["B-LOC"] * 5),
    ],
)
def test_a_string_is_not_taken_as_a_word_sequence(build: object) -> None:
    """``Sentence("Paris")`` became five one-letter words."""
    with pytest.raises(InputError, match=r"takes a sequence of words, got the string 'Paris'"):
        build()  # type: ignore[operator]


def test_word_and_tag_sequences_must_be_sequences() -> None:
    with pytest.raises(InputError, match=r"e\.g\. Sentence\(\['Angela', 'Merkel'\]\)"):
        Sentence("Angela Merkel")  # type: ignore[arg-type]
    with pytest.raises(InputError, match=r"Sentence takes a sequence of words, got int 5"):
        Sentence(5)  # type: ignore[arg-type]
    with pytest.raises(InputError, match=r"from_tags takes a sequence of tags, got the string"):
        LabelledSentence.from_tags(["Oslo"], "O")
