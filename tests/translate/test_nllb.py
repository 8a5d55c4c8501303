"""The NLLB translator on tiny models built locally: loading by path, language tokens, batching
order, long inputs split and rejoined, errors."""

from __future__ import annotations

import subprocess
import sys
import warnings
from collections.abc import Iterator
from pathlib import Path

import pytest

import xproj
from xproj.errors import InputError, MissingExtraError, ParameterError
from xproj.reported import Reported
from xproj.text import split_words
from xproj.translate.nllb import NLLBReport, NLLBTranslator, plan_pieces
from xproj.types import Sentence


@pytest.fixture(scope="module", autouse=True)
def one_thread() -> Iterator[None]:
    """Tiny models run fastest on one thread (and do not fight other tests for the cores)."""
    try:
        import torch
    except ImportError:
        yield
        return
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


def S(text: str, lang: str | None = "es") -> Sentence:
    return Sentence(tuple(text.split()), lang)


SENTENCES = [
    S("La casa es grande ."),
    S("El señor"),
    S("Hola , ¿ qué tal ? Muy bien ; gracias ! El señor de Palacio vive en Madrid ."),
    S("Angela Merkel visited Paris", "en"),
    S("Madrid"),
    S("Muy bien gracias"),
]


def quiet_reported(tr: NLLBTranslator, sentences: list[Sentence], tgt: str) -> Reported[Sentence]:
    """Translate, ignoring the generation-limit warning (random models never stop by themselves)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        return tr.translate_reported(sentences, tgt)


def quiet(tr: NLLBTranslator, sentences: list[Sentence], tgt: str) -> list[Sentence]:
    """:func:`quiet_reported`'s translations."""
    return quiet_reported(tr, sentences, tgt).items


# -- planning pieces (pure) -----------------------------------------------------------------


def test_plan_pieces_cuts_at_sentence_punctuation_first() -> None:
    words = ["A", "b", ".", "C", "d", "e", "?", "F", "g"]
    assert plan_pieces(words, [1] * 9, budget=9) == [(0, 9)]
    # "A b ." + "C d e ?" = 7 fits in 7; "F g" goes to a new piece
    assert plan_pieces(words, [1] * 9, budget=7) == [(0, 7), (7, 9)]
    assert plan_pieces(words, [1] * 9, budget=4) == [(0, 3), (3, 7), (7, 9)]


def test_plan_pieces_cuts_between_words_when_a_sentence_is_too_long() -> None:
    words = ["a", "b", "c", "d", "e", "f", "g"]
    assert plan_pieces(words, [2, 1, 1, 2, 1, 1, 1], budget=3) == [(0, 2), (2, 4), (4, 7)]


def test_plan_pieces_keeps_every_word_once() -> None:
    words = ["x", ".", "y", "z", "!", "!", "w", "v", "u", "."]
    counts = [1, 1, 2, 3, 1, 1, 2, 1, 1, 1]
    for budget in range(3, 16):
        pieces = plan_pieces(words, counts, budget)
        assert [i for a, b in pieces for i in range(a, b)] == list(range(len(words)))
        assert all(sum(counts[a:b]) <= budget for a, b in pieces)


def test_plan_pieces_rejects_a_word_longer_than_the_budget() -> None:
    with pytest.raises(InputError, match=r"sentence 4: word 1 \('bbb'\) has 5 subword tokens"):
        plan_pieces(["a", "bbb"], [1, 5], budget=4, sentence=4)


# -- the tiny NLLB model --------------------------------------------------------------------


def test_translates_by_path_one_output_per_input(tiny_nllb: Path) -> None:
    tr = NLLBTranslator(model=tiny_nllb, num_beams=2, max_new_tokens=6, batch_size=4)
    batch = [*SENTENCES, Sentence((), "es")]
    result = quiet_reported(tr, batch, "fr")
    out = result.items
    assert len(out) == len(batch)
    assert all(o.lang == "fr" for o in out)
    assert out[-1].words == ()
    report = NLLBReport(**result.report)
    assert (report.n_sentences, report.n_empty, report.n_split, report.n_pieces) == (7, 1, 0, 6)
    # a random model may end a translation at once (an empty output, counted) or run on to
    # the generation limit (counted too)
    assert report.n_empty_output == sum(len(o) == 0 for o in out[:-1])
    assert sum(len(o) > 0 for o in out) >= 3
    assert report.n_length_limited >= sum(len(o) > 0 for o in out)
    # the decoded texts before word splitting are kept, one per sentence
    texts = result.per_item["texts"]
    assert len(texts) == len(batch)
    assert [tuple(split_words(t)) for t in texts] == [o.words for o in out]


def test_the_forced_first_token_is_the_target_language_code(tiny_nllb: Path) -> None:
    tr = NLLBTranslator(model=tiny_nllb, num_beams=1, max_new_tokens=4)
    tok = tr.load().tokenizer
    assert tr.model_code("fr") == "fra_Latn"
    tok.src_lang = tr.model_code("es")
    for lang, code in [("fr", "fra_Latn"), ("de", "deu_Latn"), ("sw", "swh_Latn")]:
        ids, _ = tr._forward(["La casa es grande ."], tr.lang_token_id(tr.model_code(lang)))
        assert int(ids[0, 1]) == tok.convert_tokens_to_ids(code)
    # the source side starts with the source language token (NLLB's non-legacy format)
    enc = tok(["La casa"], add_special_tokens=True)
    assert enc["input_ids"][0][0] == tok.convert_tokens_to_ids("spa_Latn")


def test_order_is_preserved_under_length_sorting(tiny_nllb: Path) -> None:
    one = NLLBTranslator(model=tiny_nllb, num_beams=2, max_new_tokens=6, batch_size=1)
    many = NLLBTranslator(model=tiny_nllb, num_beams=2, max_new_tokens=6, batch_size=3)
    singly = [quiet(one, [s], "fr")[0] for s in SENTENCES]
    batched = quiet(many, SENTENCES, "fr")
    assert batched == singly
    # the check means something only if different inputs translate differently
    assert len({s.words for s in singly}) >= 3


def test_long_sentences_are_split_and_rejoined(tiny_nllb: Path) -> None:
    first = S("Hola , ¿ qué tal ?")
    second = S("Muy bien ; gracias !")
    third = S("El señor de Palacio vive en Madrid .")
    long = Sentence(first.words + second.words + third.words, "es")
    probe = NLLBTranslator(model=tiny_nllb)
    tok = probe.load().tokenizer
    tok.src_lang = "spa_Latn"
    sizes = [
        len(tok(s.text, add_special_tokens=False)["input_ids"]) for s in (first, second, third)
    ]
    budget = max(sizes)
    assert sum(sizes) > budget
    tr = NLLBTranslator(
        model=tiny_nllb, num_beams=1, max_new_tokens=5, max_length=budget + probe.load().n_special
    )
    tok = tr.load().tokenizer
    result = quiet_reported(tr, [long], "fr")
    [out] = result.items
    assert result.report["n_split"] == 1 and result.report["n_pieces"] >= 2
    # the pieces are cut at sentence punctuation, so each part translated alone gives the same
    pieces = plan_pieces(
        long.words,
        [len(x) for x in tok(list(long.words), add_special_tokens=False)["input_ids"]],
        budget,
    )
    expected: list[str] = []
    for a, b in pieces:
        expected += quiet(tr, [Sentence(long.words[a:b], "es")], "fr")[0].words
    assert out.words == tuple(expected)
    assert all(b - a < len(long) for a, b in pieces)


def test_a_word_too_long_for_the_model_is_an_error(tiny_nllb: Path) -> None:
    tr = NLLBTranslator(model=tiny_nllb, num_beams=1, max_new_tokens=3, max_length=6)
    with pytest.raises(InputError, match=r"sentence 1: word 0 \('Supercalifragilistico'\)"):
        quiet(tr, [S("casa"), S("Supercalifragilistico casa")], "fr")


def test_sentences_in_several_languages_and_the_target_language(tiny_nllb: Path) -> None:
    tr = NLLBTranslator(model=tiny_nllb, num_beams=1, max_new_tokens=4)
    batch = [S("La casa"), S("The house", "en"), S("Das Haus", "de"), S("La maison", "fr")]
    result = quiet_reported(tr, batch, "fr")
    out = result.items
    assert out[3].words == ("La", "maison")  # already French: unchanged
    assert result.report["n_identity"] == 1
    # each source language is grouped and translated with its own source token: the same
    # text given as English or as Spanish is encoded differently
    tok = tr.load().tokenizer
    encoded = []
    for code in ("spa_Latn", "eng_Latn"):
        tok.src_lang = code
        encoded.append(tok(["La casa"])["input_ids"][0])
    assert encoded[0] != encoded[1]


def test_unknown_and_uncovered_languages_are_errors(tiny_nllb: Path) -> None:
    tr = NLLBTranslator(model=tiny_nllb, num_beams=1, max_new_tokens=3)
    with pytest.raises(InputError, match="'xx' is not an ISO 639-1 language code; close matches"):
        tr.translate([S("casa")], "xx")
    with pytest.raises(InputError, match=r"sentence 1: Nigerian Pidgin \(pcm\) is not one of"):
        tr.translate([S("casa"), S("How you dey", "pcm")], "fr")
    with pytest.raises(InputError, match=r"Ghomálá' \(bbj\)"):
        tr.translate([S("casa")], "bbj")
    with pytest.raises(InputError, match="sentence 0: the sentence has no language"):
        tr.translate([S("casa", None)], "fr")
    pidgin = NLLBTranslator(
        model=tiny_nllb, num_beams=1, max_new_tokens=3, lang_codes={"pcm": "eng_Latn"}
    )
    assert len(quiet(pidgin, [S("How you dey", "pcm")], "fr")) == 1
    missing = NLLBTranslator(model=tiny_nllb, lang_codes={"fuf": "fuf_Latn"})
    with pytest.raises(InputError, match="has no language token 'fuf_Latn'"):
        missing.translate([S("casa")], "fuf")
    # override keys need not be ISO codes
    custom = NLLBTranslator(
        model=tiny_nllb, num_beams=1, max_new_tokens=3, lang_codes={"es-x-test": "spa_Latn"}
    )
    assert len(quiet(custom, [S("casa", "es-x-test")], "fr")) == 1


def test_missing_model_and_bad_parameters(tmp_path: Path, tiny_nllb: Path) -> None:
    with pytest.raises(ParameterError, match="could not load the translation model"):
        NLLBTranslator(model=tmp_path / "nothing-here").translate([S("casa")], "fr")
    with pytest.raises(ParameterError, match="more than the 64 tokens"):
        NLLBTranslator(model=tiny_nllb, max_length=100).translate([S("casa")], "fr")
    with pytest.raises(ParameterError, match="'device' parameter of NLLBTranslator"):
        NLLBTranslator(device="gpu")
    with pytest.raises(ParameterError, match="'dtype' parameter"):
        NLLBTranslator(dtype="float8")
    with pytest.raises(ParameterError, match="'num_beams' parameter"):
        NLLBTranslator(num_beams=0)


def test_model_is_loaded_lazily_and_dropped_by_set_params(tiny_nllb: Path) -> None:
    tr = NLLBTranslator(model=tiny_nllb, num_beams=1, max_new_tokens=3)
    assert tr._loaded is None
    quiet(tr, [S("casa")], "fr")
    assert tr._loaded is not None
    tr.set_params(num_beams=2)
    assert tr._loaded is None


def test_registered_and_configurable_splitter(tiny_nllb: Path) -> None:
    tr = xproj.translators.get(
        "nllb", model=str(tiny_nllb), num_beams=1, max_new_tokens=4, splitter=lambda t: [t[:1]]
    )
    assert isinstance(tr, NLLBTranslator)
    out = quiet(tr, [S("La casa")], "fr")
    assert len(out[0].words) == 1 and len(out[0].words[0]) == 1


def test_a_bad_splitter_is_named(tiny_nllb: Path) -> None:
    tr = NLLBTranslator(
        model=tiny_nllb, num_beams=1, max_new_tokens=4, splitter=lambda t: ["x", ""]
    )
    with pytest.raises(ParameterError, match="the word splitter returned word 1 ''"):
        quiet(tr, [S("La casa es grande .")], "fr")


# -- the tiny M2M-100 model -----------------------------------------------------------------


def test_m2m100_tokenizer_language_codes(tiny_m2m: Path) -> None:
    tr = NLLBTranslator(model=tiny_m2m, num_beams=1, max_new_tokens=4)
    assert tr.model_code("swa") == "sw" and tr.model_code("fra") == "fr"
    out = quiet(tr, [S("La casa es grande ."), S("Madrid")], "fr")
    assert len(out) == 2 and all(o.lang == "fr" and len(o) for o in out)
    tok = tr.load().tokenizer
    tok.src_lang = "es"
    ids, _ = tr._forward(["La casa"], tr.lang_token_id("fr"))
    assert int(ids[0, 1]) == tok.get_lang_id("fr")
    assert tr.model_code("yor") == "yo"  # matched through ISO 639-3
    with pytest.raises(InputError, match="'ewe' is not one of the languages of"):
        tr.model_code("ewe")  # M2M-100 has no Ewe


# -- no heavy imports -------------------------------------------------------------------------


def test_importing_the_module_does_not_import_torch() -> None:
    code = (
        "import sys, xproj, xproj.translate.nllb, xproj.translate.markers; "
        "xproj.translators.get_class('nllb'); "
        "assert 'torch' not in sys.modules and 'transformers' not in sys.modules"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


def test_missing_transformers_names_the_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "transformers", None)
    with pytest.raises(MissingExtraError, match=r'pip install "xproj\[transformers\]"'):
        NLLBTranslator().translate([S("casa")], "fr")
