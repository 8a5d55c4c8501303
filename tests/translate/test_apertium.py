"""The Apertium translator, run for real (Debian's apertium with its English pairs)."""

from __future__ import annotations

import stat
import time
from pathlib import Path

import pytest

import xproj
from xproj.errors import InputError, ParameterError
from xproj.translate.apertium import ApertiumError, ApertiumTranslator, parse_modes
from xproj.types import Sentence

needs_apertium = pytest.mark.usefixtures("apertium")


def S(text: str, lang: str | None = "es") -> Sentence:
    return Sentence(tuple(text.split()), lang)


def lower(s: Sentence) -> list[str]:
    return [w.lower() for w in s.words]


def test_parse_modes_prefers_plain_modes_and_normalises_codes() -> None:
    modes = ["spa-eng_US", "spa-eng", "eu-en", "eng-cat_valencia", "eng-cat", "spa-eng-tagger"]
    assert parse_modes(modes) == {
        ("spa", "eng"): "spa-eng",
        ("eus", "eng"): "eu-en",
        ("eng", "cat"): "eng-cat",
    }


def test_missing_command_names_the_apt_packages() -> None:
    tr = ApertiumTranslator(command="no-such-apertium-command")
    with pytest.raises(ApertiumError, match="apt-get install apertium apertium-eng-spa"):
        tr.translate([S("casa")], "en")


def test_parameters_are_validated() -> None:
    with pytest.raises(ParameterError, match="'timeout' parameter of ApertiumTranslator"):
        ApertiumTranslator(timeout=0)
    with pytest.raises(ParameterError, match="'splitter' parameter"):
        ApertiumTranslator(splitter="split")  # type: ignore[arg-type]


def _fake_apertium(tmp_path: Path) -> str:
    """A stand-in `apertium` that copies its input, but turns the word SPLIT into a blank line."""
    script = tmp_path / "apertium"
    script.write_text(
        "#!/bin/sh\n"
        'if [ "$1" = "-l" ]; then echo "  spa-eng"; exit 0; fi\n'
        "sed 's/SPLIT/\\n\\n/'\n",
        encoding="utf-8",
    )
    script.chmod(script.stat().st_mode | stat.S_IXUSR)
    return str(script)


def test_a_sentence_that_breaks_the_paragraph_count_is_named(tmp_path: Path) -> None:
    tr = ApertiumTranslator(command=_fake_apertium(tmp_path))
    assert tr.translate([S("uno"), S("dos")], "en") == [S("uno", "en"), S("dos", "en")]
    with pytest.raises(ApertiumError, match=r"sentence 2: Apertium \(spa-eng\) turned 'tres SPLIT"):
        tr.translate([S("uno"), S("dos"), S("tres SPLIT cuatro"), S("cinco")], "en")


@needs_apertium
def test_spanish_to_english() -> None:
    tr = ApertiumTranslator()
    batch = [
        S("La casa es grande ."),
        S("El perro come ."),
        S("Vivo en una ciudad pequeña ."),
        S("Me gusta el agua fría ."),
        S("El libro está sobre la mesa ."),
    ]
    result = tr.translate_reported(batch, "en")
    out = result.items
    assert len(out) == len(batch)
    assert all(o.lang == "en" for o in out)
    assert {"house", "big"} <= set(lower(out[0]))
    assert "dog" in lower(out[1])
    assert "city" in lower(out[2])
    assert "water" in lower(out[3])
    assert {"book", "table"} <= set(lower(out[4]))
    assert all(o.words[-1] == "." for o in out)  # final punctuation kept
    assert result.per_item["texts"][0] == "The house is big ."
    report = result.report
    assert report["n_calls"] == 1 and report["n_sentences"] == 5


@needs_apertium
def test_english_to_spanish_and_basque_to_english() -> None:
    tr = ApertiumTranslator()
    out = tr.translate([S("The house is big .", "en"), S("The dog eats .", "en")], "es")
    assert "casa" in lower(out[0]) and "perro" in lower(out[1])
    out = tr.translate([S("Etxea handia da .", "eu"), S("Kaixo mundua", "eus")], "en")
    assert "house" in lower(out[0])
    assert "world" in lower(out[1])


@needs_apertium
def test_mixed_languages_one_process_per_pair_in_order() -> None:
    tr = ApertiumTranslator()
    batch = [S("La casa ."), S("Etxea .", "eu"), S("El perro ."), S("The house .", "en")]
    result = tr.translate_reported(batch, "en")
    out = result.items
    assert "house" in lower(out[0]) and "house" in lower(out[1]) and "dog" in lower(out[2])
    assert out[3].words == ("The", "house", ".")
    report = result.report
    assert (report["n_calls"], report["n_identity"]) == (2, 1)


@needs_apertium
def test_unknown_word_marks_are_stripped_and_counted() -> None:
    batch = [S("El perro xyzzyq come ."), Sentence((), "es")]
    out = ApertiumTranslator().translate(batch, "en")
    assert "xyzzyq" in out[0].words and not any("*" in w for w in out[0].words)
    assert out[1].words == ()
    kept = ApertiumTranslator(strip_marks=False)
    result = kept.translate_reported(batch, "en")
    out = result.items
    assert "*xyzzyq" in out[0].text.replace("* ", "*")
    report = result.report
    assert report["n_unknown"] == 1 and report["n_empty"] == 1


@needs_apertium
def test_missing_pairs_and_languages_are_clear_errors() -> None:
    tr = ApertiumTranslator()
    with pytest.raises(ApertiumError, match="the installed eu-en pair only translates the other"):
        tr.translate([S("The house", "en")], "eu")
    with pytest.raises(ApertiumError, match=r"'de' \(deu\).*apt-cache search apertium"):
        tr.translate([S("The house", "en")], "de")
    with pytest.raises(InputError, match="sentence 1: the sentence has no language"):
        tr.translate([S("casa"), S("casa", None)], "en")
    assert ("spa", "eng") in tr.available_pairs()
    assert ApertiumTranslator(modes={"es-en": "spa-eng_US"}).mode_for("es", "en") == "spa-eng_US"


@needs_apertium
def test_registered() -> None:
    tr = xproj.translators.get("apertium", strip_marks=True)
    assert isinstance(tr, ApertiumTranslator)
    assert "house" in lower(tr.translate([S("casa")], "en")[0])


@needs_apertium
@pytest.mark.data
def test_europarl_spanish_batch_keeps_every_sentence(shared_data: Path) -> None:
    from xproj.io.conll import read_conll

    europarl_es = shared_data / "europarl_ner" / "es-europarl.test.conll02"
    sentences = [s.sentence for s in read_conll(europarl_es, lang="es")[:200]]
    tr = ApertiumTranslator()
    start = time.perf_counter()
    result = tr.translate_reported(sentences, "en")
    out = result.items
    elapsed = time.perf_counter() - start
    assert len(out) == 200
    assert sum(len(o) == 0 for o in out) == sum(len(s) == 0 for s in sentences)
    assert result.report["n_calls"] == 1
    # a generous bound (one process, milliseconds per sentence): catches one process per sentence
    assert elapsed < 60
