"""ISO 639 -> NLLB-200 language codes."""

from __future__ import annotations

import pytest

from xproj.errors import InputError
from xproj.translate.langcodes import (
    ISO639_1,
    NLLB_DEFAULTS,
    NLLB_LANGUAGES,
    language_name,
    nllb_code,
    to_iso639_3,
)

MASAKHANER2 = "bam bbj ewe fon hau ibo kin lug luo mos nya pcm sna swa tsn twi wol xho yor zul"
PANX = (
    "af ar bg bn de el en es et eu fa fi fr he hi hu id it ja jv ka kk ko ml mr ms my nl pt ru "
    "sw ta te th tl tr ur vi yo zh"
)


def test_the_code_list_is_the_nllb_tokenizers() -> None:
    nllb = pytest.importorskip("transformers.models.nllb.tokenization_nllb")
    assert len(NLLB_LANGUAGES) == 202
    assert set(NLLB_LANGUAGES) == set(nllb.FAIRSEQ_LANGUAGE_CODES)


def test_every_default_is_an_nllb_code() -> None:
    assert set(NLLB_DEFAULTS.values()) <= set(NLLB_LANGUAGES)
    assert all(len(v) == 3 for v in ISO639_1.values())


@pytest.mark.parametrize("lang", PANX.split())
def test_every_panx_language_is_covered(lang: str) -> None:
    code = nllb_code(lang)
    assert code in NLLB_LANGUAGES
    assert nllb_code(to_iso639_3(lang)) == code  # the 639-3 code gives the same


def test_masakhaner_languages() -> None:
    covered = {lang: nllb_code(lang) for lang in MASAKHANER2.split() if lang not in ("bbj", "pcm")}
    assert covered["swa"] == "swh_Latn"
    assert covered["twi"] == "twi_Latn"
    assert all(code[:3] == lang for lang, code in covered.items() if lang != "swa")
    with pytest.raises(InputError, match=r"Ghomálá' \(bbj\) is not one of the 202 NLLB-200"):
        nllb_code("bbj")
    with pytest.raises(InputError, match=r"Nigerian Pidgin \(pcm\).*lang_codes=\{'pcm'"):
        nllb_code("pcm")


@pytest.mark.parametrize(
    ("code", "expected"),
    [
        ("sw", "swh_Latn"),
        ("ar", "arb_Arab"),
        ("fa", "pes_Arab"),
        ("ms", "zsm_Latn"),
        ("zh", "zho_Hans"),
        ("zh-Hant", "zho_Hant"),
        ("zh_TW", "zho_Hant"),
        ("zh-CN", "zho_Hans"),
        ("ks-Deva", "kas_Deva"),
        ("pt-BR", "por_Latn"),
        ("ger", "deu_Latn"),
        ("baq", "eus_Latn"),
        ("EN", "eng_Latn"),
        ("lv", "lvs_Latn"),
        ("et", "est_Latn"),
        ("yor_Latn", "yor_Latn"),
    ],
)
def test_mapping(code: str, expected: str) -> None:
    assert nllb_code(code) == expected


def test_unknown_codes_list_close_matches() -> None:
    with pytest.raises(InputError, match="'xx' is not an ISO 639-1 language code; close matches"):
        nllb_code("xx")
    with pytest.raises(InputError, match=r"close matches: spa \(spanish\)"):
        nllb_code("Spanish")
    with pytest.raises(InputError, match=r"'esp' \(esp\) is not one of.*close matches: .*spa"):
        nllb_code("esp")
    with pytest.raises(InputError, match="writes Serbian only as srp_Cyrl"):
        nllb_code("sr-Latn")
    with pytest.raises(InputError, match="is not a language code"):
        to_iso639_3("e")


def test_overrides_come_first() -> None:
    assert nllb_code("pcm", {"pcm": "eng_Latn"}) == "eng_Latn"
    assert nllb_code("sw", {"swa": "swh_Latn"}) == "swh_Latn"
    assert nllb_code("ar", {"ar": "ary_Arab"}) == "ary_Arab"


def test_language_names() -> None:
    assert language_name("yo") == "Yoruba"
    assert language_name("zho_Hant") == "Chinese (Traditional)"
    assert language_name("qqq") == "qqq"
