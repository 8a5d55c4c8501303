"""Name protection: which runs are found, placeholders, restoring, fallbacks, labeller selection."""

from __future__ import annotations

import shutil
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import ClassVar

import pytest

from xproj import LabelledSentence, ParameterError, Sentence, Span
from xproj.label.base import Labeller
from xproj.text import split_words
from xproj.translate.base import Translator
from xproj.translate.protect import NameProtectingTranslator, find_name_runs, placeholder


def _w(text: str) -> list[str]:
    return text.split()


@pytest.mark.parametrize(
    ("text", "titles", "runs"),
    [
        # sentence-initial single capitalised words are not names; mid-sentence ones are
        ("Bruselas es la capital de Bélgica .", (), [(5, 6)]),
        # a sentence-initial run of several name words is a name
        ("Nueva York es grande", (), [(0, 2)]),
        # short capitalised function words at the start never join
        ("La Comisión Europea y la OTAN", (), [(1, 3)]),
        # particles join two name words; acronyms are left to the translator
        ("habló Loyola de Palacio con la UE", (), [(1, 4)]),
        # after a full stop, a colon or an opening quote the next word is sentence-initial
        ("Dijo : Hola . « Ayer llegó Ana", (), [(7, 8)]),
        # titles are not names; particles right after a title open the name
        ("la Sra. de Palacio y el Presidente Prodi", ("sra", "presidente"), [(3, 4), (7, 8)]),
        ("la Sra. de Palacio", (), [(1, 4)]),
        # a trailing particle does not join
        ("con Ana de", (), [(1, 2)]),
        # a capitalised first word before a name joins it: it cannot be told from "Nueva York"
        ("Vino Ana Lima", (), [(0, 3)]),
        # but not across particles, and at most two particles join
        ("Contamos con que la Comisión", (), [(4, 5)]),
        ("la Europa de los Ciudadanos y de la de las Regiones", (), [(1, 5), (10, 11)]),
        ("", (), []),
    ],
)
def test_find_name_runs(text: str, titles: tuple[str, ...], runs: list[tuple[int, int]]) -> None:
    assert find_name_runs(_w(text), titles=set(titles)) == runs


def test_particles_open_a_name_only_after_a_form_of_address() -> None:
    words = _w("la Sra. de Palacio y el Presidente de la Comisión")
    titles = {"sra", "presidente"}
    assert find_name_runs(words, titles=titles, honorifics={"sra"}) == [(2, 4), (9, 10)]
    assert find_name_runs(words, titles=titles) == [(3, 4), (9, 10)]


def test_find_name_runs_options() -> None:
    words = _w("con la UE y Ana van Dijk")
    assert find_name_runs(words) == [(4, 7)]
    assert find_name_runs(words, protect_acronyms=True) == [(2, 7)]  # "y" joins them
    assert find_name_runs(words, max_particle=0) == [(4, 5), (6, 7)]
    # a word like "9.ª" or "(Ana" does not start with a letter: not a name word
    assert find_name_runs(_w("la 9.ª División")) == [(2, 3)]


def test_placeholders_are_distinct_letter_words() -> None:
    names = [placeholder(i) for i in range(800)]
    assert len(set(names)) == 800
    assert all(n.isalpha() and n.startswith("Zxq") for n in names)
    assert names[:3] == ["Zxqa", "Zxqb", "Zxqc"] and names[26] == "Zxqaa"


@dataclass(kw_only=True)
class Table(Translator):
    """Translates by table lookup of the input text; records the inputs."""

    name: ClassVar[str] = "table"
    table: dict[str, str]
    calls: list[list[str]] = field(default_factory=list)

    def _translate(self, sentences: Sequence[Sentence], tgt_lang: str) -> list[Sentence]:
        self.calls.append([s.text for s in sentences])
        return [Sentence(tuple(split_words(self.table[s.text])), tgt_lang) for s in sentences]


ES = [
    Sentence(tuple(_w("El señor de Palacio habló en Bruselas .")), "es"),
    Sentence(tuple(_w("Hola .")), "es"),
    Sentence(tuple(_w("Hoy vino Ana Lima")), "es"),
]


def test_placeholders_are_sent_and_the_names_put_back() -> None:
    tr = Table(
        table={
            "El señor de Zxqa habló en Zxqb .": "The gentleman of Zxqa spoke in Zxqb .",
            "Hola .": "Hello .",
            "Hoy vino Zxqa": "Today came Zxqa",
        }
    )
    # titles off: "señor" is not known as a title, so only "Palacio" is protected
    out = NameProtectingTranslator(translator=tr, titles=False).translate(ES, "en")
    assert [o.text for o in out] == [
        "The gentleman of Palacio spoke in Bruselas .",
        "Hello .",
        "Today came Ana Lima",
    ]
    assert all(o.lang == "en" for o in out)


def test_titles_of_the_sentence_language_come_from_the_normaliser_presets() -> None:
    tr = Table(table={"El señor Zxqa habló en Zxqb .": "The gentleman Zxqa spoke in Zxqb ."})
    p = NameProtectingTranslator(translator=tr)
    result = p.translate_reported(ES[:1], "en")
    out = result.items
    assert out[0].text == "The gentleman de Palacio spoke in Bruselas ."
    assert p.runs(ES[0]) == [(2, 4), (6, 7)]
    assert result.report == {
        "sentences": 1,
        "protected_sentences": 1,
        "runs": 2,
        "words": 3,
        "fallback": 0,
    }


@pytest.mark.parametrize(
    "bad",
    [
        "The gentleman Zxqa spoke .",  # a placeholder lost
        "The gentleman Zxqa Zxqa spoke in Zxqb .",  # repeated
        "The gentleman Zxqas spoke in Zxqb .",  # inflected
    ],
)
def test_a_lost_placeholder_means_translating_that_sentence_again_unprotected(bad: str) -> None:
    tr = Table(
        table={
            "El señor Zxqa habló en Zxqb .": bad,
            "El señor de Palacio habló en Bruselas .": (
                "The gentleman of Palace spoke in Brussels ."
            ),
            "Hola .": "Hello .",
        }
    )
    p = NameProtectingTranslator(translator=tr)
    result = p.translate_reported(ES[:2], "en")
    out = result.items
    assert [o.text for o in out] == ["The gentleman of Palace spoke in Brussels .", "Hello ."]
    assert tr.calls[1] == ["El señor de Palacio habló en Bruselas ."]
    assert (result.report["fallback"], result.report["runs"]) == (1, 0)


class PersonLabeller(Labeller):
    """Labels the words 'de Palacio' and 'Ana Lima' as PER and 'Bruselas' as LOC."""

    def _label(self, sentences: Sequence[Sentence]) -> list[LabelledSentence]:
        out = []
        for s in sentences:
            spans = []
            for i, w in enumerate(s.words):
                if w == "Palacio":
                    spans.append(Span(i - 1, i + 1, "PER"))
                elif w == "Ana":
                    spans.append(Span(i, i + 2, "PER"))
                elif w == "Bruselas":
                    spans.append(Span(i, i + 1, "LOC"))
            out.append(LabelledSentence(s.words, tuple(spans), s.lang))
        return out


def test_a_labeller_keeps_only_the_runs_it_calls_persons() -> None:
    tr = Table(
        table={
            "El señor Zxqa habló en Zxqb .": "The gentleman Zxqa spoke in Zxqb .",
            "El señor Zxqa habló en Bruselas .": "The gentleman Zxqa spoke in Brussels .",
            "Hola .": "Hello .",
            "Hoy vino Zxqa": "Today came Zxqa",
        }
    )
    p = NameProtectingTranslator(translator=tr, labeller=PersonLabeller())
    result = p.translate_reported(ES, "en")
    out, report = result.items, result.report
    assert [o.text for o in out] == [
        "The gentleman de Palacio spoke in Brussels .",
        "Hello .",
        "Today came Ana Lima",
    ]
    assert (report["runs"], report["words"]) == (2, 4)
    assert len(tr.calls) == 2  # everything protected, then only the persons
    with_loc = NameProtectingTranslator(
        translator=tr, labeller=PersonLabeller(), keep_labels=("PER", "LOC")
    )
    assert (
        with_loc.translate(ES[:1], "en")[0].text == "The gentleman de Palacio spoke in Bruselas ."
    )


def test_parameters_are_checked() -> None:
    with pytest.raises(ParameterError, match="'max_particle' parameter"):
        NameProtectingTranslator(translator=Table(table={}), max_particle=-1)
    with pytest.raises(ParameterError, match="'keep_labels' parameter"):
        NameProtectingTranslator(translator=Table(table={}), keep_labels=["PER"])  # type: ignore[arg-type]


@pytest.mark.skipif(
    shutil.which("apertium") is None, reason="the apertium command is not installed"
)
def test_with_real_apertium() -> None:
    from xproj.translate.apertium import ApertiumTranslator

    es = [
        Sentence(tuple(_w("El señor de Palacio habló con la señora Plooij-van Gorsel .")), "es"),
        Sentence((), "es"),
    ]
    plain = ApertiumTranslator().translate(es, "en")
    p = NameProtectingTranslator(translator=ApertiumTranslator())
    result = p.translate_reported(es, "en")
    out, report = result.items, result.report
    assert "Palace" in plain[0].words  # what protection is for
    assert out[0].words[:4] == ("The", "gentleman", "de", "Palacio")
    assert out[0].words[-3:] == ("Plooij-van", "Gorsel", ".")
    assert out[1].words == ()
    assert report["fallback"] == 0
