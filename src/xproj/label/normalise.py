"""Span normalisation: trim labeller spans to the bare name, and map entity types.

Labellers disagree on where a name starts and ends. spaCy's English pipeline (trained on
OntoNotes) puts a leading "the" inside spans ("the European Parliament"), keeps a preceding
title in PER spans ("Mrs Thatcher") and a possessive "'s" at the end ("Europe 's"), and
sometimes a quote or a full stop. CoNLL-style annotations (CoNLL-2003, Europarl-NER, PAN-X,
MasakhaNER) label the bare name. When labels are projected onto another language each of these
extra words is a chance to project onto the wrong target words, so trimming them pays twice.

:class:`SpanNormaliser` applies a few general rules to every span, repeatedly, until none
applies:

``punctuation``
    Leading and trailing words made only of punctuation (``"``, ``''``, ``(``, ``.``) leave
    the span. Punctuation inside a span (``Washington , D.C.``) stays.
``numbers``
    A span with no letter in any word ("57", "1 0", "4-43") is not a name and is dropped.
    For the types in ``number_labels`` (PER, LOC, ORG by default), leading and trailing
    words with a digit and no letter (scores, counts, ranks: "Somerset 83", "2 - Rodney
    Eyles") leave the span. MISC is left alone because its names often end in numbers
    ("Directive 94/55", "Objective 1", "Euro 96").
``determiners``
    A leading determiner (English: the, a, an, this, that, these, those) leaves the span when
    it is written in lower case, or when it is capitalised only because it starts the sentence
    (it is the sentence's first word, or only punctuation precedes it). A capitalised
    determiner elsewhere is part of the name and stays ("at The Oval", "The Hague" mid-
    sentence), as CoNLL-2003 annotates it.
``possessives``
    A trailing possessive word (``'s``, ``'``, ``’s``, ``’``) leaves the span. Only whole
    words are removed: a word such as ``Europe's`` is never split.
``titles``
    For spans of the types in ``title_labels`` (PER by default), a leading title or honorific
    (Mr, Mrs, Dr, President, Prime Minister, ...) leaves the span when a name follows it: a
    word that starts with a capital letter, or a lower-case name particle (de, von, van ...)
    and then such a word. So "President Clinton" becomes "Clinton", "Mrs de Palacio" becomes
    "de Palacio", while "President of Ghana" is left alone. Titles are matched
    case-insensitively, with or without a final full stop, multi-word titles ("Prime
    Minister") first. The rule never removes a span's last word ("Mr King" keeps "King").
``honorifics``
    Personal forms of address (Mr, Mrs, Ms, Messrs, Dr, Sir, Madam ...) name a person
    whatever the labeller thought: a span of another type that starts with one followed by a
    name is trimmed the same way and relabelled PER ("Mr Hague" tagged LOC becomes "Hague",
    PER), and a ``title_labels`` span made only of honorifics ("Madam" in "Madam President")
    is dropped.

When the rules would remove every word of a span (a span that is only "the", or only a
quote), the span is dropped, and counted as dropped in :class:`NormalisationStats`. Word
lists come from a per-language preset (``lang="en"`` or ``"es"``) or are given explicitly.

Examples
--------
>>> from xproj.types import LabelledSentence
>>> s = LabelledSentence.from_tags(
...     ["The", "European", "Parliament", "thanked", "Mrs", "Thatcher", "'s", "aides"],
...     ["B-ORG", "I-ORG", "I-ORG", "O", "B-PER", "I-PER", "I-PER", "O"])
>>> SpanNormaliser().normalise([s])[0].tags
('O', 'B-ORG', 'I-ORG', 'O', 'O', 'B-PER', 'O', 'O')
>>> SpanNormaliser(titles=False).normalise([s])[0].tags
('O', 'B-ORG', 'I-ORG', 'O', 'B-PER', 'I-PER', 'O', 'O')
"""

from __future__ import annotations

import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from xproj.errors import InputError, ParameterError
from xproj.io import tags as _tags
from xproj.params import Component, InstanceOf, NoneOr, Options, Predicate
from xproj.types import LabelledSentence, Span

__all__ = [
    "PRESETS",
    "NormalisationStats",
    "SpanNormaliser",
    "map_labels",
]


@dataclass(frozen=True)
class _Preset:
    determiners: tuple[str, ...]
    possessives: tuple[str, ...]
    titles: tuple[str, ...]
    honorifics: tuple[str, ...]
    particles: tuple[str, ...]


def _list(text: str) -> tuple[str, ...]:
    return tuple(w.strip() for w in text.split(",") if w.strip())


#: Word lists per language, lower case. Titles may be several words ("prime minister").
PRESETS: dict[str, _Preset] = {
    "en": _Preset(
        determiners=_list("the, a, an, this, that, these, those"),
        possessives=_list("'s, ', ’s, ’, `s"),
        titles=_list(
            "mr, mrs, ms, miss, mx, messrs, dr, prof, professor, sir, dame, lord, lady, madam, "
            "madame, mme, mlle, rev, reverend, father, president, vice president, "
            "vice-president, prime minister, minister, commissioner, chancellor, senator, sen, "
            "rep, congressman, congresswoman, governor, gov, mayor, judge, justice, general, "
            "gen, colonel, col, captain, capt, lt, sgt, king, queen, prince, princess, pope, "
            "cardinal, archbishop, bishop, rabbi, sheikh, ayatollah, chairman, chairwoman, "
            "secretary, ambassador, premier, coach"
        ),
        honorifics=_list("mr, mrs, ms, miss, mx, messrs, mme, mmes, mlle, dr, sir, dame, madam"),
        particles=_list(
            "de, del, della, der, den, di, da, das, dos, du, van, von, le, la, ter, ten, bin, "
            "ibn, al, el, y"
        ),
    ),
    "es": _Preset(
        determiners=_list("el, la, los, las, lo, un, una, unos, unas"),
        possessives=(),
        titles=_list(
            "sr, sra, srta, sres, señor, señora, señorita, señores, don, doña, dr, dra, "
            "presidente, presidenta, vicepresidente, vicepresidenta, primer ministro, "
            "primera ministra, ministro, ministra, comisario, comisaria, canciller, senador, "
            "senadora, diputado, diputada, alcalde, alcaldesa, juez, jueza, general, rey, "
            "reina, príncipe, princesa, papa, san, santa"
        ),
        honorifics=_list("sr, sra, srta, sres, señor, señora, señorita, señores, don, doña"),
        particles=_list("de, del, de la, van, von, der, y, da, di, dos, du, le, bin, al"),
    ),
}

_EXTRA_PUNCT = frozenset("`´")


def _is_punct(word: str) -> bool:
    return all(unicodedata.category(c).startswith("P") or c in _EXTRA_PUNCT for c in word)


_RULES = ("punctuation", "numbers", "determiners", "possessives", "titles", "honorifics")


def _is_number(word: str) -> bool:
    return any(c.isdigit() for c in word) and not any(c.isalpha() for c in word)


def _title_key(word: str) -> str:
    return word.casefold().rstrip(".")


@dataclass
class NormalisationStats:
    """How many spans each rule changed, over one or more batches.

    ``spans`` counts the spans seen, ``changed`` those that came out different (trimmed,
    relabelled or dropped), ``dropped`` those removed as not names, ``relabelled`` those whose
    type changed (honorifics); the per-rule counts say how many words each rule removed.

    Examples
    --------
    >>> s = NormalisationStats(spans=3, changed=1, determiners=1)
    >>> s.to_dict()["determiners"]
    1
    """

    spans: int = 0
    changed: int = 0
    dropped: int = 0
    relabelled: int = 0
    punctuation: int = 0
    numbers: int = 0
    determiners: int = 0
    possessives: int = 0
    titles: int = 0
    honorifics: int = 0

    def add(self, other: NormalisationStats) -> None:
        """Add another batch's counts to these."""
        for name in self.to_dict():
            setattr(self, name, getattr(self, name) + getattr(other, name))

    def to_dict(self) -> dict[str, int]:
        return {
            "spans": self.spans,
            "changed": self.changed,
            "dropped": self.dropped,
            "relabelled": self.relabelled,
            "punctuation": self.punctuation,
            "numbers": self.numbers,
            "determiners": self.determiners,
            "possessives": self.possessives,
            "titles": self.titles,
            "honorifics": self.honorifics,
        }


@dataclass(frozen=True)
class _Tables:
    determiners: frozenset[str]
    possessives: frozenset[str]
    titles: list[tuple[str, ...]]  # longest first
    honorifics: list[tuple[str, ...]]
    honorific_words: frozenset[str]
    particles: frozenset[str]


def _phrases(items: Sequence[str], name: str) -> list[tuple[str, ...]]:
    out = sorted({tuple(_title_key(w) for w in t.split()) for t in items}, key=len, reverse=True)
    if any(not t for t in out):
        raise ParameterError(f"{name} of SpanNormaliser holds an empty entry: {items}")
    return out


def _words_tuple(value: Any) -> bool:
    return isinstance(value, tuple) and all(isinstance(w, str) and w for w in value)


@dataclass(kw_only=True)
class SpanNormaliser(Component):
    """Trim spans to the bare name with the rules described in :mod:`xproj.label.normalise`.

    Parameters
    ----------
    lang
        The word-list preset: ``"en"`` or ``"es"`` (see :data:`PRESETS`). Explicit word lists
        below override the preset's.
    punctuation, numbers, determiners, possessives, titles, honorifics
        Turn each rule on or off.
    number_labels
        Entity types whose leading and trailing number words are removed.
    title_labels
        Entity types whose leading titles are removed.
    honorific_labels
        Entity types whose spans made only of forms of address ("Madam", "Señor") are
        dropped; ``None`` (the default) uses ``title_labels``. Normalising *projected* spans,
        where a labeller of another language may have called a translated form of address an
        organisation, list every type here.
    determiner_words, possessive_words, title_words, honorific_words, particle_words
        Word lists replacing the preset's (matched case-insensitively; titles may contain
        spaces for multi-word titles and are matched without a final full stop). Honorifics
        count as titles too.

    Examples
    --------
    >>> from xproj.types import Span
    >>> n = SpanNormaliser()
    >>> words = ("he", "met", "Dr", "Jekyll", "and", "the", "Royal", "Society", ".")
    >>> n.normalise_spans(words, (Span(2, 4, "PER"), Span(5, 9, "ORG")))
    (Span(start=3, end=4, label='PER', score=None), Span(start=6, end=8, label='ORG', score=None))
    """

    lang: str = "en"
    punctuation: bool = True
    numbers: bool = True
    determiners: bool = True
    possessives: bool = True
    titles: bool = True
    honorifics: bool = True
    title_labels: tuple[str, ...] = ("PER",)
    honorific_labels: tuple[str, ...] | None = None
    number_labels: tuple[str, ...] = ("PER", "LOC", "ORG")
    determiner_words: tuple[str, ...] | None = None
    possessive_words: tuple[str, ...] | None = None
    title_words: tuple[str, ...] | None = None
    honorific_words: tuple[str, ...] | None = None
    particle_words: tuple[str, ...] | None = None
    _tables: _Tables | None = field(default=None, init=False, repr=False, compare=False)

    _constraints = {
        "lang": Options(tuple(PRESETS)),
        "punctuation": InstanceOf((bool,)),
        "numbers": InstanceOf((bool,)),
        "determiners": InstanceOf((bool,)),
        "possessives": InstanceOf((bool,)),
        "titles": InstanceOf((bool,)),
        "honorifics": InstanceOf((bool,)),
        "title_labels": Predicate(_words_tuple, "a tuple of entity types such as ('PER',)"),
        "honorific_labels": NoneOr(
            Predicate(_words_tuple, "a tuple of entity types such as ('PER',)")
        ),
        "number_labels": Predicate(_words_tuple, "a tuple of entity types such as ('PER',)"),
        "determiner_words": NoneOr(Predicate(_words_tuple, "a tuple of non-empty strings")),
        "possessive_words": NoneOr(Predicate(_words_tuple, "a tuple of non-empty strings")),
        "title_words": NoneOr(Predicate(_words_tuple, "a tuple of non-empty strings")),
        "honorific_words": NoneOr(Predicate(_words_tuple, "a tuple of non-empty strings")),
        "particle_words": NoneOr(Predicate(_words_tuple, "a tuple of non-empty strings")),
    }

    def _get_tables(self) -> _Tables:
        if self._tables is None:
            p = PRESETS[self.lang]

            def pick(given: tuple[str, ...] | None, default: tuple[str, ...]) -> tuple[str, ...]:
                return default if given is None else given

            honorifics = pick(self.honorific_words, p.honorifics)
            titles = pick(self.title_words, p.titles)
            self._tables = _Tables(
                determiners=frozenset(
                    w.casefold() for w in pick(self.determiner_words, p.determiners)
                ),
                possessives=frozenset(
                    w.casefold() for w in pick(self.possessive_words, p.possessives)
                ),
                titles=_phrases(tuple(titles) + tuple(honorifics), "title_words"),
                honorifics=_phrases(honorifics, "honorific_words"),
                honorific_words=frozenset(_title_key(w) for h in honorifics for w in h.split()),
                particles=frozenset(w.casefold() for w in pick(self.particle_words, p.particles)),
            )
        return self._tables

    def normalise_span(
        self, words: Sequence[str], span: Span, stats: NormalisationStats | None = None
    ) -> Span | None:
        """The trimmed (possibly relabelled) span, or ``None`` when it is not a name.

        Examples
        --------
        >>> SpanNormaliser().normalise_span(["the", "UN", "'s", "envoy"], Span(0, 3, "ORG"))
        Span(start=1, end=2, label='ORG', score=None)
        >>> SpanNormaliser().normalise_span(["the", "man"], Span(0, 1, "ORG")) is None
        True
        >>> SpanNormaliser().normalise_span(["Mr", "Hague"], Span(0, 2, "LOC"))
        Span(start=1, end=2, label='PER', score=None)
        """
        tb = self._get_tables()
        removed = NormalisationStats()
        start, end, label = span.start, span.end, span.label
        if self.numbers and not any(c.isalpha() for w in words[start:end] for c in w):
            removed.numbers += end - start
            start = end
        honorific_labels = (
            self.title_labels if self.honorific_labels is None else self.honorific_labels
        )
        if (
            self.honorifics
            and label in honorific_labels
            and all(_title_key(w) in tb.honorific_words for w in words[start:end])
        ):
            removed.honorifics += end - start
            start = end
        while start < end:
            w = words[start]
            if self.punctuation and _is_punct(w):
                start += 1
                removed.punctuation += 1
                continue
            if self.punctuation and _is_punct(words[end - 1]):
                end -= 1
                removed.punctuation += 1
                continue
            strip_numbers = self.numbers and label in self.number_labels
            if strip_numbers and _is_number(w):
                start += 1
                removed.numbers += 1
                continue
            if strip_numbers and _is_number(words[end - 1]):
                end -= 1
                removed.numbers += 1
                continue
            if self.possessives and words[end - 1].casefold() in tb.possessives:
                end -= 1
                removed.possessives += 1
                continue
            if (
                self.determiners
                and w.casefold() in tb.determiners
                and (w[:1].islower() or all(_is_punct(x) for x in words[:start]))
            ):
                start += 1
                removed.determiners += 1
                continue
            if self.titles and label in self.title_labels:
                n = self._title_length(words, start, end, tb.titles, tb.particles)
                if n:
                    start += n
                    removed.titles += n
                    continue
            if self.honorifics and label not in self.title_labels:
                n = self._title_length(words, start, end, tb.honorifics, tb.particles)
                if n:
                    start += n
                    removed.honorifics += n
                    label = "PER"
                    continue
            break
        if stats is not None:
            stats.spans += 1
            if (start, end, label) != (span.start, span.end, span.label):
                stats.changed += 1
                for name in _RULES:
                    setattr(stats, name, getattr(stats, name) + getattr(removed, name))
                stats.relabelled += label != span.label
                if start >= end:
                    stats.dropped += 1
        if start >= end:
            return None
        if (start, end, label) == (span.start, span.end, span.label):
            return span
        return Span(start, end, label, span.score)

    @staticmethod
    def _title_length(
        words: Sequence[str],
        start: int,
        end: int,
        titles: list[tuple[str, ...]],
        particles: frozenset[str],
    ) -> int:
        """Length of the title at ``start`` if a name follows it inside the span, else 0."""
        for title in titles:
            n = len(title)
            if start + n >= end or tuple(_title_key(w) for w in words[start : start + n]) != title:
                continue
            k = start + n
            while k < end - 1 and words[k].casefold() in particles:
                k += 1
            if words[k][:1].isupper():
                return n
        return 0

    def normalise_spans(
        self,
        words: Sequence[str],
        spans: Sequence[Span],
        stats: NormalisationStats | None = None,
    ) -> tuple[Span, ...]:
        """Normalise every span of one sentence, dropping the ones that become empty."""
        out = []
        for s in spans:
            t = self.normalise_span(words, s, stats)
            if t is not None:
                out.append(t)
        return tuple(out)

    def normalise_with_stats(
        self, sentences: Sequence[LabelledSentence]
    ) -> tuple[list[LabelledSentence], NormalisationStats]:
        """Normalise a batch; also return how many spans each rule changed."""
        stats = NormalisationStats()
        out = []
        for s in sentences:
            spans = self.normalise_spans(s.words, s.spans, stats)
            out.append(s if spans == s.spans else LabelledSentence(s.words, spans, s.lang))
        return out, stats

    def normalise(self, sentences: Sequence[LabelledSentence]) -> list[LabelledSentence]:
        """Normalise a batch: one sentence out per sentence in, same words, trimmed spans."""
        return self.normalise_with_stats(sentences)[0]


def map_labels(
    spans: Sequence[Span],
    table: Mapping[str, str],
    *,
    sentence: int | None = None,
    source: str = "the labeller",
) -> tuple[Span, ...]:
    """Rename entity types by ``table``; a type mapped to ``"O"`` drops its span.

    :func:`xproj.io.tags.map_labels` for a labeller's output: every type the labeller
    produces must be in ``table``, and the error names the labeller (``source``) and its
    ``label_map`` parameter.

    Raises
    ------
    InputError
        If a span's type is not in ``table`` (naming the sentence and how to fix it).

    Examples
    --------
    >>> map_labels([Span(0, 1, "GPE"), Span(1, 2, "DATE")], {"GPE": "LOC", "DATE": "O"})
    (Span(start=0, end=1, label='LOC', score=None),)
    """
    missing = next((s.label for s in spans if s.label not in table), None)
    if missing is not None:
        raise InputError(
            f"{source} produced the entity type {missing!r}, which the label map does not "
            f"cover (it maps {', '.join(sorted(table))}); add {missing!r} to label_map "
            "(map it to 'O' to drop such spans)",
            sentence=sentence,
        )
    return _tags.map_labels(spans, table)
