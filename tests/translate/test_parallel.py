"""The parallel translator: existing translations served in order."""

from __future__ import annotations

from pathlib import Path

import pytest

import xproj
from xproj.errors import InputError, ParameterError
from xproj.text import split_whitespace
from xproj.translate.parallel import ParallelTranslator
from xproj.types import Sentence


def S(text: str, lang: str | None = "en") -> Sentence:
    return Sentence(tuple(text.split()), lang)


def test_serves_a_file_in_order_split_into_words(tmp_path: Path) -> None:
    f = tmp_path / "de.txt"
    f.write_text("Das Haus ist groß.\r\nGuten Tag, Frau Merkel!\n", encoding="utf-8")
    tr = ParallelTranslator(path=f, lang="de")
    out = tr.translate([S("The house is big ."), S("Good day , Mrs Merkel !")], "de")
    assert out == [
        Sentence(("Das", "Haus", "ist", "groß", "."), "de"),
        Sentence(("Guten", "Tag", ",", "Frau", "Merkel", "!"), "de"),
    ]
    assert len(tr) == 2


def test_several_files_are_read_one_after_the_other(tmp_path: Path) -> None:
    (tmp_path / "a.txt").write_text("eins\nzwei\n", encoding="utf-8")
    (tmp_path / "b.txt").write_text("drei\n", encoding="utf-8")
    tr = ParallelTranslator(path=[tmp_path / "a.txt", str(tmp_path / "b.txt")])
    out = tr.translate([S("one"), S("two"), S("three")], "de")
    assert [o.words for o in out] == [("eins",), ("zwei",), ("drei",)]


def test_count_mismatch_names_the_file_and_both_counts(tmp_path: Path) -> None:
    f = tmp_path / "de.txt"
    f.write_text("eins\nzwei\ndrei\n", encoding="utf-8")
    tr = ParallelTranslator(path=f)
    with pytest.raises(InputError, match=rf"{f} holds 3 translations but 2 sentences were given"):
        tr.translate([S("one"), S("two")], "de")


def test_an_empty_line_for_a_non_empty_sentence_names_the_line(tmp_path: Path) -> None:
    f = tmp_path / "de.txt"
    f.write_text("eins\n\ndrei\n", encoding="utf-8")
    with pytest.raises(InputError, match=rf"{f}:2, sentence 1: the translation of sentence 1"):
        ParallelTranslator(path=f).translate([S("one"), S("two"), S("three")], "de")
    # an empty source sentence may have an empty translation
    out = ParallelTranslator(path=f).translate([S("one"), Sentence((), "en"), S("three")], "de")
    assert out[1].words == ()


def test_sentences_given_directly_and_the_target_language_check() -> None:
    tr = ParallelTranslator(
        sentences=["a b", Sentence(("c", "d"), "xx")], lang="de", splitter=split_whitespace
    )
    out = tr.translate([S("x"), S("y")], "deu")
    assert out == [Sentence(("a", "b"), "deu"), Sentence(("c", "d"), "deu")]
    with pytest.raises(InputError, match="holds 'de' translations, but 'fr' was asked for"):
        tr.translate([S("x"), S("y")], "fr")


def test_exactly_one_source_and_missing_files() -> None:
    with pytest.raises(ParameterError, match="exactly one of path= or sentences="):
        ParallelTranslator()
    with pytest.raises(ParameterError, match="exactly one of path= or sentences="):
        ParallelTranslator(path="a.txt", sentences=["a"])
    with pytest.raises(InputError, match="no such file: missing.txt"):
        ParallelTranslator(path="missing.txt").translate([S("x")], "de")


def test_a_bad_splitter_names_the_line(tmp_path: Path) -> None:
    f = tmp_path / "de.txt"
    f.write_text("ein Haus\n", encoding="utf-8")
    tr = ParallelTranslator(path=f, splitter=lambda t: [t])
    with pytest.raises(InputError, match=rf"{f}:1, sentence 0: the splitter returned an unusable"):
        tr.translate([S("a house")], "de")


def test_registered() -> None:
    tr = xproj.translators.get("parallel", sentences=["Hallo"])
    assert isinstance(tr, ParallelTranslator)


@pytest.mark.data
def test_mafand_hausa_test_set_is_served_whole(shared_data: Path) -> None:
    mafand = shared_data / "parallel" / "mafand_mt" / "en-hau"
    english = [
        Sentence(tuple(split_whitespace(line)), "en")
        for line in (mafand / "test.en").read_text(encoding="utf-8").splitlines()
    ]
    out = ParallelTranslator(path=mafand / "test.hau", lang="ha").translate(english, "hau")
    assert len(out) == len(english) == 1500
    assert all(len(o) > 0 for o in out)
    with pytest.raises(InputError, match="holds 1500 translations but 1499 sentences"):
        ParallelTranslator(path=mafand / "test.hau").translate(english[:-1], "hau")
