"""Span normalisation rules, one by one, and the label mapping helper."""

from __future__ import annotations

import pytest

from xproj.errors import InputError, ParameterError
from xproj.label.normalise import NormalisationStats, SpanNormaliser, map_labels
from xproj.types import LabelledSentence, Span


def norm(words: str, span: tuple[int, int, str], **params: object) -> tuple[int, int] | None:
    w = words.split()
    out = SpanNormaliser(**params).normalise_span(w, Span(*span))  # type: ignore[arg-type]
    return None if out is None else (out.start, out.end)


def test_number_words_leave_person_location_organisation_spans() -> None:
    assert norm("Somerset 83 and 174", (0, 2, "ORG")) == (0, 1)
    assert norm("2 - Rodney Eyles ( Australia", (0, 4, "PER")) == (2, 4)
    assert norm("D. Blenkiron 4-43", (0, 3, "PER")) == (0, 2)
    # MISC names often end in numbers
    assert norm("amend Directive 94 / 55", (1, 5, "MISC")) == (1, 5)
    assert norm("Objective 1 regions", (0, 2, "MISC")) == (0, 2)
    # words with letters are not numbers
    assert norm("the A320 fleet", (1, 2, "ORG")) == (1, 2)
    assert norm("Somerset 83", (0, 2, "ORG"), numbers=False) == (0, 2)
    assert norm("Somerset 83", (0, 2, "ORG"), number_labels=("PER",)) == (0, 2)


def test_span_without_any_letter_is_dropped() -> None:
    assert norm("Hyundai 57 5 49", (1, 3, "MISC")) is None
    assert norm("Hyundai 57 5 49", (1, 3, "MISC"), numbers=False) == (1, 3)


def test_lowercase_determiner_is_stripped() -> None:
    assert norm("he met the European Parliament", (2, 5, "ORG")) == (3, 5)
    assert norm("he met the European Parliament", (2, 5, "ORG"), determiners=False) == (2, 5)


def test_capitalised_determiner_stripped_only_at_sentence_start() -> None:
    # "The" starts the sentence: its capital says nothing about the name
    assert norm("The Commission agreed", (0, 2, "ORG")) == (1, 2)
    # only punctuation before it counts as sentence start too
    assert norm('" The Commission agreed', (1, 3, "ORG")) == (2, 3)
    # mid-sentence "The" is part of the name, as CoNLL-2003 annotates "at The Oval"
    assert norm("play at The Oval today", (2, 4, "LOC")) == (2, 4)


def test_trailing_possessive_is_stripped() -> None:
    assert norm("Germany 's imports", (0, 2, "LOC")) == (0, 1)
    assert norm("the Commission ’s view", (0, 3, "ORG")) == (1, 2)
    assert norm("Germany 's imports", (0, 2, "LOC"), possessives=False) == (0, 2)
    # whole words only: a word ending in 's is not split
    assert norm("Germany's imports", (0, 1, "LOC")) == (0, 1)


def test_leading_and_trailing_punctuation_is_stripped_inner_kept() -> None:
    assert norm('the " Washington , D.C. " office', (1, 6, "LOC")) == (2, 5)
    assert norm("`` Reuters '' said", (0, 3, "ORG")) == (1, 2)
    assert norm("( Reuters ) said", (0, 3, "ORG"), punctuation=False) == (0, 3)


def test_titles_stripped_from_person_spans_only() -> None:
    assert norm("Mrs Thatcher spoke", (0, 2, "PER")) == (1, 2)
    assert norm("Dr. Jekyll spoke", (0, 2, "PER")) == (1, 2)
    assert norm("so Prime Minister Tony Blair spoke", (1, 5, "PER")) == (3, 5)
    # several titles in a row
    assert norm("President Mr Mandela", (0, 3, "PER")) == (2, 3)
    # not a PER span: "General Motors" stays whole
    assert norm("General Motors rose", (0, 2, "ORG")) == (0, 2)
    assert norm("Mrs Thatcher spoke", (0, 2, "PER"), titles=False) == (0, 2)
    assert norm("Mrs Thatcher spoke", (0, 2, "PER"), titles=False, honorifics=False) == (0, 2)
    kw = {"title_labels": ("ORG",), "honorifics": False}
    assert norm("Mrs Thatcher spoke", (0, 2, "PER"), **kw) == (0, 2)


def test_title_needs_a_capitalised_word_after_it_and_never_empties_a_span() -> None:
    assert norm("President of Ghana", (0, 3, "PER")) == (0, 3)
    assert norm("Mr King", (0, 2, "PER")) == (1, 2)
    assert norm("President", (0, 1, "PER")) == (0, 1)


def test_title_before_a_name_particle_is_stripped() -> None:
    assert norm("Mrs de Palacio said", (0, 3, "PER")) == (1, 3)
    assert norm("Mr von Wogau", (0, 3, "PER")) == (1, 3)
    # a particle must lead to a capitalised word
    assert norm("President de facto", (0, 3, "PER")) == (0, 3)


def test_honorifics_mark_a_person_whatever_the_type() -> None:
    out = SpanNormaliser().normalise_span(
        ["leader", ",", "Mr", "Hague", ",", "was"], Span(2, 4, "LOC")
    )
    assert out == Span(3, 4, "PER")
    # role titles are not honorifics: "General Motors" stays an organisation
    assert SpanNormaliser().normalise_span(["General", "Motors"], Span(0, 2, "ORG")) == Span(
        0, 2, "ORG"
    )
    assert norm("Mr Hague", (0, 2, "LOC"), honorifics=False) == (0, 2)


def test_person_span_made_only_of_honorifics_is_dropped() -> None:
    assert norm("Thank you , Madam President", (3, 4, "PER")) is None
    assert norm("Thank you , Madam President", (3, 4, "PER"), honorifics=False) == (3, 4)
    # a surname that is also a title is kept ("King" is not an honorific)
    assert norm("Mr King", (1, 2, "PER")) == (1, 2)


def test_honorific_labels_drop_form_of_address_spans_of_other_types() -> None:
    # a projected "Señor" that a labeller of another language called an organisation
    assert norm("Señor Presidente ,", (0, 1, "ORG"), lang="es") == (0, 1)
    assert norm("Señor Presidente ,", (0, 1, "ORG"), lang="es", honorific_labels=("ORG",)) is None
    # without touching the leading titles of those types
    kw = {"lang": "es", "honorific_labels": ("PER", "ORG", "LOC")}
    assert norm("en San Francisco", (1, 3, "LOC"), **kw) == (1, 3)
    assert norm("la señora de Palacio", (1, 4, "PER"), **kw) == (2, 4)


def test_rules_combine_until_none_applies() -> None:
    words = '" the Commissioner Mr Fischler \'s " plan'
    assert norm(words, (0, 7, "PER")) == (4, 5)


def test_span_made_only_of_removable_words_is_dropped_and_counted() -> None:
    s = LabelledSentence(("the", '"', "UN", "."), (Span(0, 1, "ORG"), Span(1, 2, "MISC")))
    out, stats = SpanNormaliser().normalise_with_stats([s])
    assert out[0].spans == ()
    assert out[0].words == s.words
    assert stats.dropped == 2 and stats.spans == 2 and stats.changed == 2


def test_stats_count_removed_words_per_rule() -> None:
    s = LabelledSentence.from_tags(
        ["The", "UN", "'s", "envoy", "Mr", "Annan", "met", "Paris"],
        ["B-ORG", "I-ORG", "I-ORG", "O", "B-PER", "I-PER", "O", "B-LOC"],
    )
    out, stats = SpanNormaliser().normalise_with_stats([s])
    assert out[0].tags == ("O", "B-ORG", "O", "O", "O", "B-PER", "O", "B-LOC")
    assert stats.to_dict() == {
        "spans": 3,
        "changed": 2,
        "dropped": 0,
        "relabelled": 0,
        "punctuation": 0,
        "numbers": 0,
        "determiners": 1,
        "possessives": 1,
        "titles": 1,
        "honorifics": 0,
    }
    total = NormalisationStats()
    total.add(stats)
    total.add(stats)
    assert total.spans == 6 and total.titles == 2


def test_unchanged_sentences_are_returned_as_is_and_count_kept() -> None:
    a = LabelledSentence.from_tags(["Paris"], ["B-LOC"])
    b = LabelledSentence(())
    out = SpanNormaliser().normalise([a, b])
    assert len(out) == 2 and out[0] is a and out[1] is b


def test_score_is_kept_on_trimmed_spans() -> None:
    out = SpanNormaliser().normalise_span(["the", "UN"], Span(0, 2, "ORG", 0.7))
    assert out == Span(1, 2, "ORG", 0.7)


def test_spanish_preset_and_custom_word_lists() -> None:
    assert norm("la Comisión Europea", (0, 3, "ORG"), lang="es") == (1, 3)
    assert norm("el señor Barroso", (0, 3, "PER"), lang="es") == (2, 3)
    # English lists do not apply to Spanish
    assert norm("la Comisión Europea", (0, 3, "ORG")) == (0, 3)
    assert norm("die Kommission tagte", (0, 2, "ORG"), determiner_words=("die",)) == (1, 2)
    assert norm("Herr Schulz sprach", (0, 2, "PER"), title_words=("herr",)) == (1, 2)
    kw = {"title_words": ("herr",), "honorific_words": ("frau",)}
    assert norm("Mr Schulz sprach", (0, 2, "PER"), **kw) == (0, 2)
    assert norm("Frau Merkel sprach", (0, 2, "PER"), **kw) == (1, 2)


@pytest.mark.parametrize(
    ("params", "name"),
    [
        ({"lang": "fr"}, "lang"),
        ({"titles": "yes"}, "titles"),
        ({"title_labels": ["PER"]}, "title_labels"),
        ({"determiner_words": ("the", "")}, "determiner_words"),
    ],
)
def test_bad_parameters_name_the_parameter(params: dict[str, object], name: str) -> None:
    with pytest.raises(ParameterError, match=f"'{name}' parameter of SpanNormaliser"):
        SpanNormaliser(**params)  # type: ignore[arg-type]


def test_map_labels_renames_drops_and_rejects_unknown_types() -> None:
    spans = (Span(0, 1, "PERSON"), Span(1, 2, "DATE"), Span(2, 3, "GPE", 0.5))
    out = map_labels(spans, {"PERSON": "PER", "DATE": "O", "GPE": "LOC"})
    assert out == (Span(0, 1, "PER"), Span(2, 3, "LOC", 0.5))
    with pytest.raises(InputError, match=r"sentence 4: .*'DATE'.*add 'DATE' to label_map"):
        map_labels(spans, {"PERSON": "PER", "GPE": "LOC"}, sentence=4)
