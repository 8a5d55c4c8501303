"""Splitting raw text (e.g. a machine translation) into words.

xproj's stages exchange sentences as word lists. :func:`split_words` is the default way to turn a
line of text into words, close to CoNLL/Penn-Treebank tokenisation and usable for any script:

* letters, digits and combining marks (Unicode categories L, N, M) form words, so Devanagari,
  Tamil or Arabic words with vowel signs stay whole;
* a hyphen between two word characters joins them (``part-session``, ``COVID-19``,
  ``1996-08-22``); ``.``, ``,``, ``:`` and ``/`` between two digits do too (``2.5``,
  ``1,000``, ``10:30``);
* every other punctuation or symbol character is a word of its own, except that a run of the
  same character stays together (``...``, ``--``);
* Han ideographs, Hiragana and Katakana, which are written without spaces, become one word per
  character (the WikiANN/PAN-X convention); other scripts without spaces (Thai, Lao, Khmer,
  Myanmar) are not segmented: give a segmenter of your own for them;
* dotted abbreviations (``U.S.``, ``e.g.``) and a short list of titles and abbreviations
  (``Mr.``, ``Dr.``, ``etc.``, see :data:`DEFAULT_ABBREVIATIONS`) keep their final period;
* apostrophes: English clitics are split off as in the Penn Treebank (``Smith's`` -> ``Smith``
  ``'s``, ``don't`` -> ``do`` ``n't``); an elided word before a vowel or ``h`` is split after
  the apostrophe as in Romance languages (``dell'Unione`` -> ``dell'`` ``Unione``,
  ``l'homme`` -> ``l'`` ``homme``); any other word with an inner apostrophe stays whole
  (``O'Brien``).

Any function from a string to a list of words can take its place: see :data:`WordSplitter`.

Examples
--------
>>> split_words("Mr. Smith's car, 2.5 km.")
['Mr.', 'Smith', "'s", 'car', ',', '2.5', 'km', '.']
>>> split_words("L'Unione europea... dell'Europa")
["L'", 'Unione', 'europea', '...', "dell'", 'Europa']
>>> split_words("東京に行く")
['東', '京', 'に', '行', 'く']
"""

from __future__ import annotations

import functools
import re
import sys
import unicodedata
from collections.abc import Callable, Iterable

__all__ = ["DEFAULT_ABBREVIATIONS", "WordSplitter", "split_whitespace", "split_words"]

WordSplitter = Callable[[str], list[str]]
"""Any function that splits a line of text into non-empty words without whitespace."""

DEFAULT_ABBREVIATIONS: frozenset[str] = frozenset(
    {
        "Mr",
        "Mrs",
        "Ms",
        "Dr",
        "Prof",
        "St",
        "Jr",
        "Sr",
        "Sra",
        "Sres",
        "Mt",
        "vs",
        "etc",
        "Inc",
        "Ltd",
        "Corp",
        "Co",
        "approx",
    }
)
"""Words (without their period) that keep a following ``.``: titles and common abbreviations."""

_CJK_RANGES = (
    "\u2e80-\u2fdf"  # CJK radicals, Kangxi radicals
    "\u3005-\u3007"  # iteration mark, closing mark, ideographic zero
    "\u3021-\u3029"  # Hangzhou numerals
    "\u3040-\u30ff"  # Hiragana, Katakana
    "\u31f0-\u31ff"  # Katakana phonetic extensions
    "\u3400-\u4dbf"  # CJK extension A
    "\u4e00-\u9fff"  # CJK unified ideographs
    "\uf900-\ufaff"  # CJK compatibility ideographs
    "\uff66-\uff9f"  # half-width Katakana
    "\U00020000-\U0003134f"  # CJK extensions B-G and compatibility supplement
)
_APOSTROPHES = "'\u2019"
_CLITICS = frozenset({"s", "re", "ve", "ll", "d", "m"})
_ELISION_NEXT = frozenset("aeiouhyàáâäæèéêëìíîïòóôöœùúûüAEIOUHYÀÁÂÄÆÈÉÊËÌÍÎÏÒÓÔÖŒÙÚÛÜ")


@functools.cache
def _mark_class() -> str:
    """Character-class ranges of every combining mark (category M) in this Unicode version."""
    ranges: list[str] = []
    start = -1
    for cp in range(sys.maxunicode + 1):
        is_mark = unicodedata.category(chr(cp))[0] == "M"
        if is_mark and start < 0:
            start = cp
        elif not is_mark and start >= 0:
            ranges.append(_range(start, cp - 1))
            start = -1
    if start >= 0:
        ranges.append(_range(start, sys.maxunicode))
    return "".join(ranges)


def _range(a: int, b: int) -> str:
    return re.escape(chr(a)) if a == b else f"{re.escape(chr(a))}-{re.escape(chr(b))}"


@functools.lru_cache(maxsize=8)
def _pattern(abbreviations: frozenset[str]) -> re.Pattern[str]:
    marks = _mark_class()
    word = f"[\\w{marks}]"  # letter, digit, underscore or combining mark
    letter = f"[^\\W\\d_{marks}]"
    joined = f"{word}+(?:(?:-|[{_APOSTROPHES}]|(?<=\\d)[.,:/](?=\\d)){word}+)*"
    alts = [f"(?:{letter}\\.){{2,}}"]  # U.S., e.g.
    if abbreviations:
        names = "|".join(re.escape(a) for a in sorted(abbreviations, key=len, reverse=True))
        alts.append(f"(?:{names})\\.(?!{word})")
    alts.append(joined)
    alts.append(r"(\S)\1*")  # punctuation or symbol: a run of the same character
    return re.compile("|".join(alts))


@functools.cache
def _cjk_patterns() -> tuple[re.Pattern[str], re.Pattern[str]]:
    """(finds a CJK character, splits a word into CJK characters and the runs between them)."""
    cjk = f"[{_CJK_RANGES}]"
    return re.compile(cjk), re.compile(f"{cjk}[{_mark_class()}]*|(?:(?!{cjk}).)+")


def _split_apostrophes(token: str) -> list[str]:
    """Split a word with inner apostrophes into clitics / elisions (see the module doc)."""
    if not any(a in token for a in _APOSTROPHES):
        return [token] if token else []
    lower = token.lower()
    for apo in _APOSTROPHES:
        if lower.endswith(f"n{apo}t") and len(token) > 3:
            return [*_split_apostrophes(token[:-3]), token[-3:]]
    cut = max(token.rfind(a) for a in _APOSTROPHES)
    if lower[cut + 1 :] in _CLITICS:
        return [*_split_apostrophes(token[:cut]), token[cut:]]
    first = min(i for i in (token.find(a) for a in _APOSTROPHES) if i >= 0)
    if first + 1 == len(token):  # a trailing apostrophe (only after a CJK split)
        return [w for w in (token[:first], token[first:]) if w]
    if token[first + 1] in _ELISION_NEXT:
        return [token[: first + 1], *_split_apostrophes(token[first + 1 :])]
    return [token]


def split_words(
    text: str,
    *,
    abbreviations: Iterable[str] = DEFAULT_ABBREVIATIONS,
    split_cjk: bool = True,
) -> list[str]:
    """Split a line of text into words and punctuation (rules in the module docstring).

    Parameters
    ----------
    text
        Any text; an empty or all-whitespace string gives ``[]``.
    abbreviations
        Words that keep a following period (default :data:`DEFAULT_ABBREVIATIONS`; give an
        empty tuple to split every period off). Configure with :func:`functools.partial`.
    split_cjk
        Whether Han, Hiragana and Katakana characters become one word each.

    Returns
    -------
    list of str
        Non-empty words without whitespace, in order.

    Examples
    --------
    >>> split_words("The U.S. economy grew 3,5% in 2023-24 (est.).")
    ['The', 'U.S.', 'economy', 'grew', '3,5', '%', 'in', '2023-24', '(', 'est', '.', ')', '.']
    >>> split_words("हिन्दी भाषा")
    ['हिन्दी', 'भाषा']
    >>> split_words("I can't, O'Brien!")
    ['I', 'ca', "n't", ',', "O'Brien", '!']
    """
    abbr = abbreviations if isinstance(abbreviations, frozenset) else frozenset(abbreviations)
    find_cjk, split_cjk_word = _cjk_patterns()
    words: list[str] = []
    for m in _pattern(abbr).finditer(text):
        tok = m.group(0)
        if split_cjk and find_cjk.search(tok):
            words.extend(_split_apostrophes_all(split_cjk_word.findall(tok)))
        elif len(tok) > 2 and ("'" in tok or "\u2019" in tok):
            words.extend(_split_apostrophes(tok))
        else:
            words.append(tok)
    return words


def _split_apostrophes_all(tokens: list[str]) -> list[str]:
    out: list[str] = []
    for tok in tokens:
        out.extend(_split_apostrophes(tok) if len(tok) > 2 else [tok])
    return out


def split_whitespace(text: str) -> list[str]:
    """Split on whitespace only, for text that is already tokenised.

    >>> split_whitespace("  already  tokenised text ")
    ['already', 'tokenised', 'text']
    """
    return text.split()
