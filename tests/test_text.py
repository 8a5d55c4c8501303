from __future__ import annotations

import functools

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from xproj.text import split_whitespace, split_words
from xproj.types import Sentence


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("Mr. Smith's car, 2.5 km.", ["Mr.", "Smith", "'s", "car", ",", "2.5", "km", "."]),
        (
            "The U.S. grew 1,000.5% in 2023-24.",
            ["The", "U.S.", "grew", "1,000.5", "%", "in", "2023-24", "."],
        ),
        ("I don't know, O'Brien!", ["I", "do", "n't", "know", ",", "O'Brien", "!"]),
        ("dell'Unione e l'homme", ["dell'", "Unione", "e", "l'", "homme"]),
        ("It’s the States’ rights", ["It", "’s", "the", "States", "’", "rights"]),
        ("Wait... what?!", ["Wait", "...", "what", "?", "!"]),
        ("part-session 10:30 1/2", ["part-session", "10:30", "1/2"]),
        ('("quoted")', ["(", '"', "quoted", '"', ")"]),
        ("Москва — столица.", ["Москва", "—", "столица", "."]),
        ("हिन्दी भाषा।", ["हिन्दी", "भाषा", "।"]),
        ("東京都に行く", ["東", "京", "都", "に", "行", "く"]),
        ("  \t\n ", []),
    ],
)
def test_split_words_examples(text: str, words: list[str]) -> None:
    assert split_words(text) == words


def test_split_words_options() -> None:
    assert split_words("Mr. X", abbreviations=()) == ["Mr", ".", "X"]
    assert split_words("Nr. 5", abbreviations={"Nr"}) == ["Nr.", "5"]
    assert split_words("東京 Tokyo", split_cjk=False) == ["東京", "Tokyo"]
    german = functools.partial(split_words, abbreviations={"Nr", "Dr"})
    assert german("Dr. Nr. 5") == ["Dr.", "Nr.", "5"]
    assert split_whitespace(" a  b\tc ") == ["a", "b", "c"]


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=60))
def test_split_words_keeps_every_character_and_yields_valid_words(text: str) -> None:
    words = split_words(text)
    assert "".join(words) == "".join(text.split())
    Sentence(tuple(words))  # non-empty, no whitespace: valid xproj words
