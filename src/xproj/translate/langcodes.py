"""Language codes: ISO 639-1/639-2/639-3 normalisation and the NLLB-200 (FLORES-200) codes.

xproj sentences carry ISO 639 codes (``"es"``, ``"spa"``, ``"swa"``); NLLB models name their
languages by FLORES-200 codes, an ISO 639-3 code plus an ISO 15924 script (``"spa_Latn"``,
``"swh_Latn"``, ``"zho_Hans"``). :func:`nllb_code` maps the first to the second,
:func:`to_iso639_3` normalises any ISO code, and an unknown code is an error that lists close
matches.

Macrolanguages map to the variety NLLB-200 was trained on: Swahili (``sw``/``swa``) to
``swh_Latn``, Arabic (``ar``) to Modern Standard Arabic ``arb_Arab``, Persian (``fa``) to
``pes_Arab``, Malay (``ms``) to ``zsm_Latn``, Chinese (``zh``) to ``zho_Hans`` (``zh-Hant``,
``zh-TW`` and ``zh-HK`` to ``zho_Hant``), and so on (:data:`NLLB_DEFAULTS`). A script subtag
picks another script where NLLB has one (``ks-Deva`` -> ``kas_Deva``).

Every MasakhaNER 2.0 language is covered except Ghomálá' (``bbj``) and Nigerian Pidgin
(``pcm``), which are not among NLLB-200's languages; every XTREME/PAN-X language is covered.

Examples
--------
>>> nllb_code("sw"), nllb_code("yor"), nllb_code("zh"), nllb_code("zh-TW")
('swh_Latn', 'yor_Latn', 'zho_Hans', 'zho_Hant')
>>> to_iso639_3("de"), to_iso639_3("ger"), to_iso639_3("eus")
('deu', 'deu', 'eus')
>>> nllb_code("pcm")
Traceback (most recent call last):
...
xproj.errors.InputError: Nigerian Pidgin (pcm) is not one of the 202 NLLB-200 languages. Its lexifier English (eng_Latn) is the closest covered language; to translate it as English anyway, pass lang_codes={'pcm': 'eng_Latn'} to the translator
"""  # noqa: E501

from __future__ import annotations

import difflib
import re
from collections.abc import Mapping

from xproj.errors import InputError

__all__ = [
    "ISO639_1",
    "ISO639_2B",
    "NLLB_DEFAULTS",
    "NLLB_LANGUAGES",
    "NOT_IN_NLLB",
    "language_name",
    "nllb_code",
    "to_iso639_3",
]

NLLB_LANGUAGES: dict[str, str] = {
    "ace_Arab": "Acehnese (Arabic script)",
    "ace_Latn": "Acehnese (Latin script)",
    "acm_Arab": "Mesopotamian Arabic",
    "acq_Arab": "Ta'izzi-Adeni Arabic",
    "aeb_Arab": "Tunisian Arabic",
    "afr_Latn": "Afrikaans",
    "ajp_Arab": "South Levantine Arabic",
    "aka_Latn": "Akan",
    "amh_Ethi": "Amharic",
    "apc_Arab": "North Levantine Arabic",
    "arb_Arab": "Modern Standard Arabic",
    "ars_Arab": "Najdi Arabic",
    "ary_Arab": "Moroccan Arabic",
    "arz_Arab": "Egyptian Arabic",
    "asm_Beng": "Assamese",
    "ast_Latn": "Asturian",
    "awa_Deva": "Awadhi",
    "ayr_Latn": "Central Aymara",
    "azb_Arab": "South Azerbaijani",
    "azj_Latn": "North Azerbaijani",
    "bak_Cyrl": "Bashkir",
    "bam_Latn": "Bambara",
    "ban_Latn": "Balinese",
    "bel_Cyrl": "Belarusian",
    "bem_Latn": "Bemba",
    "ben_Beng": "Bengali",
    "bho_Deva": "Bhojpuri",
    "bjn_Arab": "Banjar (Arabic script)",
    "bjn_Latn": "Banjar (Latin script)",
    "bod_Tibt": "Standard Tibetan",
    "bos_Latn": "Bosnian",
    "bug_Latn": "Buginese",
    "bul_Cyrl": "Bulgarian",
    "cat_Latn": "Catalan",
    "ceb_Latn": "Cebuano",
    "ces_Latn": "Czech",
    "cjk_Latn": "Chokwe",
    "ckb_Arab": "Central Kurdish",
    "crh_Latn": "Crimean Tatar",
    "cym_Latn": "Welsh",
    "dan_Latn": "Danish",
    "deu_Latn": "German",
    "dik_Latn": "Southwestern Dinka",
    "dyu_Latn": "Dyula",
    "dzo_Tibt": "Dzongkha",
    "ell_Grek": "Greek",
    "eng_Latn": "English",
    "epo_Latn": "Esperanto",
    "est_Latn": "Estonian",
    "eus_Latn": "Basque",
    "ewe_Latn": "Ewe",
    "fao_Latn": "Faroese",
    "pes_Arab": "Western Persian",
    "fij_Latn": "Fijian",
    "fin_Latn": "Finnish",
    "fon_Latn": "Fon",
    "fra_Latn": "French",
    "fur_Latn": "Friulian",
    "fuv_Latn": "Nigerian Fulfulde",
    "gla_Latn": "Scottish Gaelic",
    "gle_Latn": "Irish",
    "glg_Latn": "Galician",
    "grn_Latn": "Guarani",
    "guj_Gujr": "Gujarati",
    "hat_Latn": "Haitian Creole",
    "hau_Latn": "Hausa",
    "heb_Hebr": "Hebrew",
    "hin_Deva": "Hindi",
    "hne_Deva": "Chhattisgarhi",
    "hrv_Latn": "Croatian",
    "hun_Latn": "Hungarian",
    "hye_Armn": "Armenian",
    "ibo_Latn": "Igbo",
    "ilo_Latn": "Ilocano",
    "ind_Latn": "Indonesian",
    "isl_Latn": "Icelandic",
    "ita_Latn": "Italian",
    "jav_Latn": "Javanese",
    "jpn_Jpan": "Japanese",
    "kab_Latn": "Kabyle",
    "kac_Latn": "Jingpho",
    "kam_Latn": "Kamba",
    "kan_Knda": "Kannada",
    "kas_Arab": "Kashmiri (Arabic script)",
    "kas_Deva": "Kashmiri (Devanagari script)",
    "kat_Geor": "Georgian",
    "knc_Arab": "Central Kanuri (Arabic script)",
    "knc_Latn": "Central Kanuri (Latin script)",
    "kaz_Cyrl": "Kazakh",
    "kbp_Latn": "Kabiyè",
    "kea_Latn": "Kabuverdianu",
    "khm_Khmr": "Khmer",
    "kik_Latn": "Kikuyu",
    "kin_Latn": "Kinyarwanda",
    "kir_Cyrl": "Kyrgyz",
    "kmb_Latn": "Kimbundu",
    "kon_Latn": "Kikongo",
    "kor_Hang": "Korean",
    "kmr_Latn": "Northern Kurdish",
    "lao_Laoo": "Lao",
    "lvs_Latn": "Standard Latvian",
    "lij_Latn": "Ligurian",
    "lim_Latn": "Limburgish",
    "lin_Latn": "Lingala",
    "lit_Latn": "Lithuanian",
    "lmo_Latn": "Lombard",
    "ltg_Latn": "Latgalian",
    "ltz_Latn": "Luxembourgish",
    "lua_Latn": "Luba-Kasai",
    "lug_Latn": "Ganda",
    "luo_Latn": "Luo",
    "lus_Latn": "Mizo",
    "mag_Deva": "Magahi",
    "mai_Deva": "Maithili",
    "mal_Mlym": "Malayalam",
    "mar_Deva": "Marathi",
    "min_Latn": "Minangkabau",
    "mkd_Cyrl": "Macedonian",
    "plt_Latn": "Plateau Malagasy",
    "mlt_Latn": "Maltese",
    "mni_Beng": "Meitei (Bengali script)",
    "khk_Cyrl": "Halh Mongolian",
    "mos_Latn": "Mossi",
    "mri_Latn": "Maori",
    "zsm_Latn": "Standard Malay",
    "mya_Mymr": "Burmese",
    "nld_Latn": "Dutch",
    "nno_Latn": "Norwegian Nynorsk",
    "nob_Latn": "Norwegian Bokmål",
    "npi_Deva": "Nepali",
    "nso_Latn": "Northern Sotho",
    "nus_Latn": "Nuer",
    "nya_Latn": "Nyanja",
    "oci_Latn": "Occitan",
    "gaz_Latn": "West Central Oromo",
    "ory_Orya": "Odia",
    "pag_Latn": "Pangasinan",
    "pan_Guru": "Eastern Panjabi",
    "pap_Latn": "Papiamento",
    "pol_Latn": "Polish",
    "por_Latn": "Portuguese",
    "prs_Arab": "Dari",
    "pbt_Arab": "Southern Pashto",
    "quy_Latn": "Ayacucho Quechua",
    "ron_Latn": "Romanian",
    "run_Latn": "Rundi",
    "rus_Cyrl": "Russian",
    "sag_Latn": "Sango",
    "san_Deva": "Sanskrit",
    "sat_Beng": "Santali",
    "scn_Latn": "Sicilian",
    "shn_Mymr": "Shan",
    "sin_Sinh": "Sinhala",
    "slk_Latn": "Slovak",
    "slv_Latn": "Slovenian",
    "smo_Latn": "Samoan",
    "sna_Latn": "Shona",
    "snd_Arab": "Sindhi",
    "som_Latn": "Somali",
    "sot_Latn": "Southern Sotho",
    "spa_Latn": "Spanish",
    "als_Latn": "Tosk Albanian",
    "srd_Latn": "Sardinian",
    "srp_Cyrl": "Serbian",
    "ssw_Latn": "Swati",
    "sun_Latn": "Sundanese",
    "swe_Latn": "Swedish",
    "swh_Latn": "Swahili",
    "szl_Latn": "Silesian",
    "tam_Taml": "Tamil",
    "tat_Cyrl": "Tatar",
    "tel_Telu": "Telugu",
    "tgk_Cyrl": "Tajik",
    "tgl_Latn": "Tagalog",
    "tha_Thai": "Thai",
    "tir_Ethi": "Tigrinya",
    "taq_Latn": "Tamasheq (Latin script)",
    "taq_Tfng": "Tamasheq (Tifinagh script)",
    "tpi_Latn": "Tok Pisin",
    "tsn_Latn": "Tswana",
    "tso_Latn": "Tsonga",
    "tuk_Latn": "Turkmen",
    "tum_Latn": "Tumbuka",
    "tur_Latn": "Turkish",
    "twi_Latn": "Twi",
    "tzm_Tfng": "Central Atlas Tamazight",
    "uig_Arab": "Uyghur",
    "ukr_Cyrl": "Ukrainian",
    "umb_Latn": "Umbundu",
    "urd_Arab": "Urdu",
    "uzn_Latn": "Northern Uzbek",
    "vec_Latn": "Venetian",
    "vie_Latn": "Vietnamese",
    "war_Latn": "Waray",
    "wol_Latn": "Wolof",
    "xho_Latn": "Xhosa",
    "ydd_Hebr": "Eastern Yiddish",
    "yor_Latn": "Yoruba",
    "yue_Hant": "Yue Chinese",
    "zho_Hans": "Chinese (Simplified)",
    "zho_Hant": "Chinese (Traditional)",
    "zul_Latn": "Zulu",
}
"""The 202 NLLB-200 language codes (FLORES-200, as in the NLLB tokenizers) and their names."""

ISO639_1: dict[str, str] = {
    "aa": "aar", "ab": "abk", "ae": "ave", "af": "afr", "ak": "aka", "am": "amh", "an": "arg",
    "ar": "ara", "as": "asm", "av": "ava", "ay": "aym", "az": "aze", "ba": "bak", "be": "bel",
    "bg": "bul", "bi": "bis", "bm": "bam", "bn": "ben", "bo": "bod", "br": "bre", "bs": "bos",
    "ca": "cat", "ce": "che", "ch": "cha", "co": "cos", "cr": "cre", "cs": "ces", "cu": "chu",
    "cv": "chv", "cy": "cym", "da": "dan", "de": "deu", "dv": "div", "dz": "dzo", "ee": "ewe",
    "el": "ell", "en": "eng", "eo": "epo", "es": "spa", "et": "est", "eu": "eus", "fa": "fas",
    "ff": "ful", "fi": "fin", "fj": "fij", "fo": "fao", "fr": "fra", "fy": "fry", "ga": "gle",
    "gd": "gla", "gl": "glg", "gn": "grn", "gu": "guj", "gv": "glv", "ha": "hau", "he": "heb",
    "hi": "hin", "ho": "hmo", "hr": "hrv", "ht": "hat", "hu": "hun", "hy": "hye", "hz": "her",
    "ia": "ina", "id": "ind", "ie": "ile", "ig": "ibo", "ii": "iii", "ik": "ipk", "io": "ido",
    "is": "isl", "it": "ita", "iu": "iku", "ja": "jpn", "jv": "jav", "ka": "kat", "kg": "kon",
    "ki": "kik", "kj": "kua", "kk": "kaz", "kl": "kal", "km": "khm", "kn": "kan", "ko": "kor",
    "kr": "kau", "ks": "kas", "ku": "kur", "kv": "kom", "kw": "cor", "ky": "kir", "la": "lat",
    "lb": "ltz", "lg": "lug", "li": "lim", "ln": "lin", "lo": "lao", "lt": "lit", "lu": "lub",
    "lv": "lav", "mg": "mlg", "mh": "mah", "mi": "mri", "mk": "mkd", "ml": "mal", "mn": "mon",
    "mr": "mar", "ms": "msa", "mt": "mlt", "my": "mya", "na": "nau", "nb": "nob", "nd": "nde",
    "ne": "nep", "ng": "ndo", "nl": "nld", "nn": "nno", "no": "nor", "nr": "nbl", "nv": "nav",
    "ny": "nya", "oc": "oci", "oj": "oji", "om": "orm", "or": "ori", "os": "oss", "pa": "pan",
    "pi": "pli", "pl": "pol", "ps": "pus", "pt": "por", "qu": "que", "rm": "roh", "rn": "run",
    "ro": "ron", "ru": "rus", "rw": "kin", "sa": "san", "sc": "srd", "sd": "snd", "se": "sme",
    "sg": "sag", "si": "sin", "sk": "slk", "sl": "slv", "sm": "smo", "sn": "sna", "so": "som",
    "sq": "sqi", "sr": "srp", "ss": "ssw", "st": "sot", "su": "sun", "sv": "swe", "sw": "swa",
    "ta": "tam", "te": "tel", "tg": "tgk", "th": "tha", "ti": "tir", "tk": "tuk", "tl": "tgl",
    "tn": "tsn", "to": "ton", "tr": "tur", "ts": "tso", "tt": "tat", "tw": "twi", "ty": "tah",
    "ug": "uig", "uk": "ukr", "ur": "urd", "uz": "uzb", "ve": "ven", "vi": "vie", "vo": "vol",
    "wa": "wln", "wo": "wol", "xh": "xho", "yi": "yid", "yo": "yor", "za": "zha", "zh": "zho",
    "zu": "zul",
    # withdrawn two-letter codes still found in data
    "iw": "heb", "in": "ind", "ji": "yid", "jw": "jav", "mo": "ron", "sh": "hbs",
}  # fmt: skip
"""ISO 639-1 two-letter codes to ISO 639-3 (639-2/T) codes; macrolanguages keep their macro code."""

ISO639_2B: dict[str, str] = {
    "alb": "sqi", "arm": "hye", "baq": "eus", "bur": "mya", "chi": "zho", "cze": "ces",
    "dut": "nld", "fre": "fra", "geo": "kat", "ger": "deu", "gre": "ell", "ice": "isl",
    "mac": "mkd", "mao": "mri", "may": "msa", "per": "fas", "rum": "ron", "slo": "slk",
    "tib": "bod", "wel": "cym",
}  # fmt: skip
"""ISO 639-2/B bibliographic codes to their 639-2/T (= 639-3) equivalents."""

NLLB_DEFAULTS: dict[str, str] = {
    # macrolanguages -> the individual language NLLB-200 covers
    "ara": "arb_Arab", "fas": "pes_Arab", "msa": "zsm_Latn", "zlm": "zsm_Latn",
    "swa": "swh_Latn", "zho": "zho_Hans", "cmn": "zho_Hans", "lav": "lvs_Latn",
    "mon": "khk_Cyrl", "nep": "npi_Deva", "mlg": "plt_Latn", "orm": "gaz_Latn",
    "pus": "pbt_Arab", "sqi": "als_Latn", "uzb": "uzn_Latn", "yid": "ydd_Hebr",
    "aze": "azj_Latn", "kur": "kmr_Latn", "que": "quy_Latn", "aym": "ayr_Latn",
    "kau": "knc_Latn", "nor": "nob_Latn", "ful": "fuv_Latn", "ori": "ory_Orya",
    "ekk": "est_Latn", "fil": "tgl_Latn",
    # languages NLLB-200 has in two scripts -> the more widely used one
    "ace": "ace_Latn", "bjn": "bjn_Latn", "kas": "kas_Arab", "knc": "knc_Latn",
    "taq": "taq_Latn",
}  # fmt: skip
"""ISO 639-3 codes whose NLLB code is not simply ``<code>_<its only script>``."""

NOT_IN_NLLB: dict[str, str] = {
    "bbj": (
        "Ghomálá' (bbj) is not one of the 202 NLLB-200 languages, and no closely related "
        "Grassfields Bantu language is either; translate it with another system and serve the "
        "translations with the 'parallel' translator"
    ),
    "pcm": (
        "Nigerian Pidgin (pcm) is not one of the 202 NLLB-200 languages. Its lexifier English "
        "(eng_Latn) is the closest covered language; to translate it as English anyway, pass "
        "lang_codes={'pcm': 'eng_Latn'} to the translator"
    ),
    "hbs": (
        "Serbo-Croatian (sh/hbs) is split in NLLB-200: give bos (bos_Latn), hrv (hrv_Latn) or "
        "srp (srp_Cyrl)"
    ),
}
"""Languages users ask for (MasakhaNER 2.0's among them) that NLLB-200 does not cover, and why."""

_BY_ISO3: dict[str, list[str]] = {}
for _code in NLLB_LANGUAGES:
    _BY_ISO3.setdefault(_code[:3], []).append(_code)

_HANT_REGIONS = frozenset({"tw", "hk", "mo"})
_TAG = re.compile(r"^([A-Za-z]{2,3})(?:[-_]([A-Za-z]{4}))?(?:[-_]([A-Za-z]{2}|\d{3}))?$")


def _names() -> dict[str, str]:
    """Lower-case language names (without the script note) to an ISO 639-3 code."""
    out: dict[str, str] = {}
    for code, name in NLLB_LANGUAGES.items():
        out.setdefault(name.split(" (")[0].lower(), code[:3])
    return out


def _close(code: str, extra: list[str] | None = None) -> str:
    """A ``"; close matches: ..."`` clause for an unknown code, or ``""``."""
    pool = sorted({*ISO639_1, *ISO639_2B, *_BY_ISO3, *NLLB_LANGUAGES, *(extra or [])})
    lowered = code.lower()
    named = _names()
    name_hits = difflib.get_close_matches(lowered, list(named), n=3, cutoff=0.75)
    matches = [f"{named[n]} ({n})" for n in name_hits]
    matches += [c for c in pool if c.lower() == lowered]
    cutoff = 0.5 if len(code) <= 2 else 0.6
    matches += difflib.get_close_matches(code, pool, n=6, cutoff=cutoff)
    if not matches:
        return ""
    return "; close matches: " + ", ".join(dict.fromkeys(matches))


def language_name(code: str) -> str:
    """An English name for a language code, or the code itself when none is known.

    >>> language_name("yo"), language_name("swh_Latn"), language_name("xyz")
    ('Yoruba', 'Swahili', 'xyz')
    """
    if code in NLLB_LANGUAGES:
        return NLLB_LANGUAGES[code]
    try:
        iso3 = to_iso639_3(code)
    except InputError:
        return code
    nllb = NLLB_DEFAULTS.get(iso3) or next(iter(_BY_ISO3.get(iso3, [])), None)
    return NLLB_LANGUAGES[nllb].split(" (")[0] if nllb else code


def to_iso639_3(code: str) -> str:
    """Normalise an ISO 639-1, 639-2/B or 639-3 code (or a BCP-47 tag) to ISO 639-3.

    Three-letter codes other than the 639-2/B ones are taken as 639-3 as they are (xproj does
    not carry the full list of 7,000 639-3 codes); two-letter codes must be ISO 639-1. Script
    and region subtags (``zh-Hant``, ``pt_BR``) are dropped.

    Raises
    ------
    InputError
        If ``code`` is not of that form, or is an unknown two-letter code; the message lists
        close matches.

    Examples
    --------
    >>> to_iso639_3("EN"), to_iso639_3("fre"), to_iso639_3("pt-BR"), to_iso639_3("bbj")
    ('eng', 'fra', 'por', 'bbj')
    """
    m = _TAG.match(code.strip()) if isinstance(code, str) else None
    if m is None:
        raise InputError(
            f"{code!r} is not a language code: give an ISO 639-1 (2 letters, e.g. 'es') or "
            f"ISO 639-3 (3 letters, e.g. 'spa') code{_close(str(code))}"
        )
    base = m.group(1).lower()
    if len(base) == 2:
        if base not in ISO639_1:
            raise InputError(f"{code!r} is not an ISO 639-1 language code{_close(base)}")
        return ISO639_1[base]
    return ISO639_2B.get(base, base)


def nllb_code(code: str, overrides: Mapping[str, str] | None = None) -> str:
    """The NLLB-200 (FLORES-200) code of an ISO language code.

    Parameters
    ----------
    code
        An ISO 639-1/639-2/639-3 code, optionally with a script or region subtag
        (``"zh-Hant"``, ``"pt-BR"``), or an NLLB code itself (``"swh_Latn"``).
    overrides
        Codes to map differently, e.g. ``{"pcm": "eng_Latn"}``; looked up first, by the code as
        given and by its ISO 639-3 form.

    Raises
    ------
    InputError
        If the language is not one of NLLB-200's (saying so for the known gaps, such as
        MasakhaNER's ``bbj`` and ``pcm``), or the code is unknown (listing close matches).

    Examples
    --------
    >>> nllb_code("ar"), nllb_code("fa"), nllb_code("ks-Deva"), nllb_code("spa_Latn")
    ('arb_Arab', 'pes_Arab', 'kas_Deva', 'spa_Latn')
    >>> nllb_code("pcm", {"pcm": "eng_Latn"})
    'eng_Latn'
    >>> nllb_code("xx")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    xproj.errors.InputError: 'xx' is not an ISO 639-1 language code; close matches: ...
    """
    if overrides and code in overrides:
        return overrides[code]
    if code in NLLB_LANGUAGES:
        return code
    iso3 = to_iso639_3(code)
    if overrides and iso3 in overrides:
        return overrides[iso3]
    if iso3 in NOT_IN_NLLB:
        raise InputError(NOT_IN_NLLB[iso3])
    m = _TAG.match(code.strip())
    assert m is not None  # to_iso639_3 accepted it
    script, region = m.group(2), (m.group(3) or "").lower()
    default = NLLB_DEFAULTS.get(iso3)
    options = _BY_ISO3.get(iso3) or ([] if default is None else [default])
    if not options:
        raise InputError(
            f"language {code!r} ({iso3}) is not one of the 202 NLLB-200 languages"
            f"{_close(iso3)}; if the model has a code for it, pass lang_codes={{{code!r}: ...}}"
        )
    if iso3 in ("zho", "cmn") and script is None and region in _HANT_REGIONS:
        script = "Hant"
    if script is not None:
        base = options[0][:3]
        wanted = f"{base}_{script.title()}"
        if wanted not in NLLB_LANGUAGES:
            have = ", ".join(_BY_ISO3[base])
            raise InputError(
                f"NLLB-200 has no {code!r}: it writes {language_name(base)} only as {have}"
            )
        return wanted
    return default if default is not None else options[0]
