"""Marker translation: markers kept, lost, garbled, reordered; fuzzy recovery; counts."""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from xproj.errors import InputError, ParameterError
from xproj.translate.apertium import ApertiumTranslator
from xproj.translate.base import Translator
from xproj.translate.markers import (
    MarkerTranslator,
    Outcome,
    mark,
    parse_markers,
)
from xproj.types import LabelledSentence, Sentence, Span

WORDS = {
    "la": "the",
    "casa": "house",
    "de": "of",
    "vive": "lives",
    "en": "in",
    "y": "and",
    "visitó": "visited",
    "comisión": "commission",
    "europea": "european",
    "habló": "spoke",
    "con": "with",
}


@dataclass(kw_only=True)
class WordByWord(Translator):
    """A fake translator: word-by-word from a dictionary, then ``damage`` applied to the text."""

    damage: Callable[[str], str] = field(default=lambda t: t)
    calls: list[int] = field(default_factory=list)

    def _translate(self, sentences: Sequence[Sentence], tgt_lang: str) -> list[Sentence]:
        self.calls.append(len(sentences))
        out = []
        for s in sentences:
            text = " ".join(WORDS.get(w.lower(), w) for w in s.words)
            out.append(Sentence(tuple(self.damage(text).split()), tgt_lang))
        return out


def text(s: LabelledSentence) -> str:
    return " ".join(s.words)


def L(words: str, tags: str, lang: str = "es") -> LabelledSentence:
    return LabelledSentence.from_tags(words.split(), tags.split(), lang)


JUAN = L("Juan Pérez vive en Madrid .", "B-PER I-PER O O B-LOC O")
COMISION = L("La Comisión Europea visitó Bilbao", "B-ORG I-ORG I-ORG O B-LOC")


def test_mark_and_parse_round_trip() -> None:
    marked = mark(JUAN, ("[", "]"))
    assert marked.text == "[ Juan Pérez ] vive en [ Madrid ] ."
    words, spans, garbled = parse_markers(marked.words, ("[", "]"))
    assert words == list(JUAN.words) and spans == [(0, 2), (4, 5)] and garbled == 0
    assert parse_markers(["<<a>>", "b"], ("<<", ">>")) == (["a", "b"], [(0, 1)], 0)


def test_markers_kept() -> None:
    tr = WordByWord()
    result = MarkerTranslator(translator=tr).translate([JUAN, COMISION], "en")
    assert [text(t) for t in result.translations] == [
        "Juan Pérez lives in Madrid .",
        "the commission european visited Bilbao",
    ]
    assert result.translations[0].spans == (Span(0, 2, "PER"), Span(4, 5, "LOC"))
    assert result.translations[1].spans == (Span(0, 3, "ORG"), Span(4, 5, "LOC"))
    assert (result.n_entities, result.n_marker, result.n_fuzzy, result.n_lost) == (4, 4, 0, 0)
    assert result.survival_rate == 1.0
    # entities of two types: their own translations were asked for, to match labels
    assert tr.calls == [2, 4]
    proj = result.projections[0]
    assert [(p.source, p.label, p.method) for p in proj.projected] == [
        (0, "PER", "marker-marker"),
        (1, "LOC", "marker-marker"),
    ]


def test_one_type_one_to_one_needs_no_entity_translations() -> None:
    tr = WordByWord()
    src = L("Juan visitó a Pedro", "B-PER O O B-PER")
    result = MarkerTranslator(translator=tr).translate([src], "en")
    assert result.translations[0].spans == (Span(0, 1, "PER"), Span(3, 4, "PER"))
    assert tr.calls == [1]


def test_lost_markers_are_recovered_by_fuzzy_matching() -> None:
    tr = WordByWord(damage=lambda t: re.sub(r"[\[\]] ?", "", t))
    result = MarkerTranslator(translator=tr).translate([COMISION], "en")
    [one] = result.sentences
    assert text(one.translation) == "the commission european visited Bilbao"
    assert [o.outcome for o in one.outcomes] == [Outcome.FUZZY, Outcome.FUZZY]
    assert one.translation.spans == (Span(0, 3, "ORG"), Span(4, 5, "LOC"))
    assert all(o.score is not None and o.score >= 0.6 for o in one.outcomes)
    off = MarkerTranslator(translator=tr, fuzzy=False).translate([COMISION], "en")
    assert (off.n_lost, off.survival_rate) == (2, 0.0)


def test_an_entity_missing_from_the_translation_is_lost() -> None:
    tr = WordByWord(damage=lambda t: t.replace("[ Madrid ]", "there"))
    result = MarkerTranslator(translator=tr).translate([JUAN], "en")
    [one] = result.sentences
    assert [o.outcome for o in one.outcomes] == [Outcome.MARKER, Outcome.LOST]
    assert one.translation.spans == (Span(0, 2, "PER"),)
    assert (result.n_marker, result.n_lost, result.survival_rate) == (1, 1, 0.5)
    assert result.projections[0].unprojected == (1,)


def test_garbled_markers_are_counted_and_the_entity_recovered() -> None:
    # the closing marker of the first entity is lost: "[ Juan Pérez lives in [ Madrid ] ."
    tr = WordByWord(damage=lambda t: t.replace("Pérez ]", "Pérez", 1))
    result = MarkerTranslator(translator=tr).translate([JUAN], "en")
    [one] = result.sentences
    assert one.n_garbled == 1
    assert one.translation.spans == (Span(0, 2, "PER"), Span(4, 5, "LOC"))
    assert [o.outcome for o in one.outcomes] == [Outcome.FUZZY, Outcome.MARKER]
    assert result.summary()["garbled"] == 1


def test_reordered_entities_keep_their_labels() -> None:
    def swap(text: str) -> str:  # "[ A ] ... [ B ]" -> "[ B ] ... [ A ]"
        spans = re.findall(r"\[ [^\]]* \]", text)
        if len(spans) < 2:  # the entities' own translations
            return text
        return text.replace(spans[0], "@@").replace(spans[1], spans[0]).replace("@@", spans[1])

    tr = WordByWord(damage=swap)
    result = MarkerTranslator(translator=tr).translate([JUAN], "en")
    t = result.translations[0]
    assert text(t) == "Madrid lives in Juan Pérez ."
    assert t.spans == (Span(0, 1, "LOC"), Span(3, 5, "PER"))
    assert result.n_marker == 2


def test_spurious_markers_are_dropped_and_counted() -> None:
    tr = WordByWord(damage=lambda t: t.replace("lives", "[ lives ]"))
    result = MarkerTranslator(translator=tr).translate([JUAN], "en")
    assert result.translations[0].spans == (Span(0, 2, "PER"), Span(4, 5, "LOC"))
    assert (result.n_marker, result.n_spurious) == (2, 1)


def test_a_sentence_using_brackets_gets_the_next_marker_pair() -> None:
    src = L("[ Juan ] vive en Madrid", "O B-PER O O O B-LOC")
    seen: list[str] = []

    def record(t: str) -> str:
        seen.append(t)
        return t

    tr = WordByWord(damage=record)
    result = MarkerTranslator(translator=tr).translate([src], "en")
    assert seen[0] == "[ { Juan } ] lives in { Madrid }"
    assert text(result.translations[0]) == "[ Juan ] lives in Madrid"
    assert result.translations[0].spans == (Span(1, 2, "PER"), Span(5, 6, "LOC"))
    # no free pair: sent unmarked, found by fuzzy matching, reported
    none_free = MarkerTranslator(translator=WordByWord(), markers=[("[", "]")])
    result = none_free.translate([src], "en")
    assert result.n_unmarked == 1 and result.n_fuzzy == 2


def test_bad_input_and_parameters() -> None:
    mt = MarkerTranslator(translator=WordByWord())
    with pytest.raises(InputError, match="sentence 1: expected a LabelledSentence"):
        mt.translate([JUAN, Sentence(("a",), "es")], "en")  # type: ignore[list-item]
    with pytest.raises(ParameterError, match="'markers' parameter of MarkerTranslator"):
        MarkerTranslator(translator=WordByWord(), markers=[("[", "[[")])
    with pytest.raises(ParameterError, match="'threshold' parameter"):
        MarkerTranslator(translator=WordByWord(), threshold=1.5)
    assert mt.translate([], "en").survival_rate == 1.0


def test_with_apertium(apertium: None) -> None:
    src = [
        L("El señor Juan Pérez vive en Madrid .", "O O B-PER I-PER O O B-LOC O"),
        L("La Comisión Europea visitó Bilbao ayer .", "O B-ORG I-ORG O B-LOC O O"),
        L("No hay nada .", "O O O O"),
    ]
    result = MarkerTranslator(translator=ApertiumTranslator()).translate(src, "en")
    texts = [[t.span_text(s) + "/" + s.label for s in t.spans] for t in result.translations]
    assert texts[0] == ["Juan Pérez/PER", "Madrid/LOC"]
    assert texts[1] == ["European Commission/ORG", "Bilbao/LOC"]
    assert texts[2] == []
    assert not any(w in "[]" for t in result.translations for w in t.words)
    assert result.summary()["entities"] == 4 and result.survival_rate == 1.0


@pytest.mark.data
def test_europarl_marker_survival_with_apertium(shared_data: Path, apertium: None) -> None:
    from xproj.io.conll import read_conll

    europarl_es = shared_data / "europarl_ner" / "es-europarl.test.conll02"
    sentences = read_conll(europarl_es, lang="es")[:200]
    result = MarkerTranslator(translator=ApertiumTranslator()).translate(sentences, "en")
    assert len(result.sentences) == 200
    assert result.n_entities == sum(len(s.spans) for s in sentences)
    assert result.n_marker + result.n_fuzzy + result.n_lost == result.n_entities
    # a rule-based system keeps bracket markers as they are: nearly all should survive
    assert result.marker_rate >= 0.9
