"""Protect names from translation: capitalised word runs are sent as placeholders and put back.

Rule-based and dictionary-based translators translate names word by word when the words are
also common nouns: Apertium turns Spanish "de Palacio" into "of Palace" and "Barón Crespo" into
"Baron Crespo". In translate-test the English labeller then misses or mislabels the name. The
:class:`NameProtectingTranslator` wraps any translator: it finds *name runs* in each sentence
(:func:`find_name_runs`), replaces each run by a placeholder word that no dictionary knows
(translators pass unknown words through unchanged), translates, and puts the original words
back in place of the placeholders::

    El señor de Palacio habló en Bruselas .
    El señor Zxqa habló en Zxqb .            (sent to the translator)
    The gentleman Zxqa spoke in Zxqb .       (translation)
    The gentleman de Palacio spoke in Bruselas .

A name run is a maximal run of *name words* (words starting with an upper-case letter), joined
across short lower-case particles ("de", "van", "y", at most ``max_particle`` letters) that
sit between two name words; particles right after a title open the run ("Sra. de Palacio"
protects "de Palacio"). Excluded by default:

- titles and forms of address of the sentence's language ("Sra.", "Presidente"), from the
  span normaliser's word lists (:data:`xproj.label.normalise.PRESETS`, English and Spanish):
  the translator translates them ("Mrs", "President"), which the English labeller and its
  normaliser know to keep out of names;
- words at the start of a sentence (the first word, or the first after sentence-final
  punctuation, a colon or an opening quote or bracket) when the run is that one word, and
  short ones (no longer than a particle, "La", "El", "The") whatever follows: they are
  capitalised because of their position, not because they are names (``"Señor"`` opening a
  sentence). A longer first word followed by a name word does start a run, as in "Nueva
  York", so "Vino Ana" (came Ana) is protected whole: shape alone cannot tell them apart;
- acronyms (every letter upper case, such as ``"UE"``, ``"OTAN"``): dictionaries usually hold
  their conventional translations (``"EU"``, ``"NATO"``), and unknown ones pass through anyway.

A sentence whose translation does not give back every placeholder exactly once (the translator
dropped, split or repeated one) is translated again without protection; such sentences are
counted in the report of :meth:`NameProtectingTranslator.translate_reported`, never dropped.

Examples
--------
>>> find_name_runs(["El", "señor", "de", "Palacio", "habló", "en", "Bruselas", "."],
...                titles={"señor"}, honorifics={"señor"})
[(2, 4), (6, 7)]
>>> find_name_runs(["Señor", "Presidente", ",", "la", "UE", "y", "Loyola", "de", "Palacio"])
[(0, 2), (6, 9)]
>>> from xproj.translate.parallel import ParallelTranslator
>>> inner = ParallelTranslator(sentences=["The gentleman Zxqa spoke in Zxqb ."])
>>> tr = NameProtectingTranslator(translator=inner)
>>> es = Sentence(("El", "señor", "de", "Palacio", "habló", "en", "Bruselas", "."), "es")
>>> out = tr.translate_reported([es], "en")
>>> out.items[0].words
('The', 'gentleman', 'de', 'Palacio', 'spoke', 'in', 'Bruselas', '.')
>>> out.report["runs"], out.report["fallback"]
(2, 0)
"""

from __future__ import annotations

import string
from collections.abc import Collection, Sequence
from dataclasses import dataclass

from xproj.label.base import Labeller
from xproj.params import InstanceOf, Interval, NoneOr, Predicate
from xproj.reported import Reported
from xproj.translate.base import Translator
from xproj.types import Sentence

__all__ = ["NameProtectingTranslator", "ProtectionReport", "find_name_runs", "placeholder"]

_OPENERS = frozenset("([{«“‘\"'¿¡")
_ENDERS = frozenset(".!?:;…")


def _first_letter(word: str) -> str:
    for c in word:
        if c.isalpha():
            return c
    return ""


def _is_name_word(word: str, allow_acronyms: bool) -> bool:
    c = _first_letter(word)
    if not c or not word[0].isalpha() or not c.isupper():
        return False
    letters = [ch for ch in word if ch.isalpha()]
    return allow_acronyms or len(letters) < 2 or not all(ch.isupper() for ch in letters)


def _is_particle(word: str, max_len: int) -> bool:
    return 0 < len(word) <= max_len and word.isalpha() and word.islower()


def _sentence_initial(words: Sequence[str], i: int) -> bool:
    j = i - 1
    while j >= 0 and all(c in _OPENERS for c in words[j]):
        j -= 1
    return j < 0 or all(c in _ENDERS for c in words[j])


def _title_key(word: str) -> str:
    return word.casefold().rstrip(".")


def find_name_runs(
    words: Sequence[str],
    *,
    max_particle: int = 3,
    protect_acronyms: bool = False,
    titles: Collection[str] = (),
    honorifics: Collection[str] = (),
    particles: Collection[str] | None = None,
) -> list[tuple[int, int]]:
    """The name runs of a sentence as half-open word ranges, in order.

    Parameters
    ----------
    words
        The sentence's words.
    max_particle
        The longest lower-case word that joins two name words into one run ("de", "del",
        "van"; at most two in a row), or that starts a run right after a title ("Sra. de
        Palacio"); 0 for none.
    protect_acronyms
        Count all-capital words ("UE", "NATO") as name words.
    titles
        Titles and forms of address, lower case without a final full stop ("sra",
        "presidente"): never name words, left to the translator.
    honorifics
        Forms of address ("sra", "señor"), lower case without a final full stop: particles
        right after one open a name ("Sra. de Palacio"); after other titles they do not
        ("Presidente de la Comisión").
    particles
        The particles, lower case, instead of every lower-case word of at most
        ``max_particle`` letters.

    Examples
    --------
    >>> find_name_runs(["La", "Comisión", "Europea", "y", "la", "OTAN", "."])
    [(1, 3)]
    >>> find_name_runs(["Bruselas", "es", "bonita"]), find_name_runs(["Nueva", "York", "!"])
    ([], [(0, 2)])
    >>> find_name_runs(["la", "Sra.", "de", "Palacio", "y", "el", "Presidente", "de", "Chile"],
    ...                titles={"sra", "presidente"}, honorifics={"sra"})
    [(2, 4), (8, 9)]
    """
    n = len(words)
    # 'N' name word, 'T' title, 'p' particle, '.' anything else
    kind = []
    for i, w in enumerate(words):
        if titles and _title_key(w) in titles:
            kind.append("T")
        elif _is_name_word(w, protect_acronyms) and not (
            _sentence_initial(words, i) and _is_particle(w.lower(), max_particle)
        ):
            kind.append("N")
        elif (
            _is_particle(w, max_particle)
            if particles is None
            else (w.islower() and w.casefold() in particles)
        ):
            kind.append("p")
        else:
            kind.append(".")
    runs: list[tuple[int, int]] = []
    i = 0
    while i < n:
        start = i
        if kind[i] == "p" and i > 0 and _title_key(words[i - 1]) in honorifics:
            k = i
            while k < n and kind[k] == "p":
                k += 1
            if k - i <= 2 and k < n and kind[k] == "N":
                i = k  # particles after a form of address open the name ("Sra. de Palacio")
        if kind[i] != "N":
            i = start + 1
            continue
        end = i + 1
        initial = _sentence_initial(words, i)
        while end < n:
            if kind[end] == "N":
                end += 1
                continue
            k = end
            while k < n and kind[k] == "p":
                k += 1
            # at most two particles ("de la", "van der"), and not right after a first word
            # that is capitalised by position ("Contamos con que la Comisión")
            if 0 < k - end <= 2 and k < n and kind[k] == "N" and not (initial and end == i + 1):
                end = k + 1
                continue
            break
        if initial and end == i + 1:
            i += 1  # a first word capitalised by position, on its own, is not a name
            continue
        runs.append((start, end))
        i = end
    return runs


def placeholder(index: int) -> str:
    """The placeholder word of the ``index``-th run of a sentence: ``Zxq`` and letters.

    Letters only (no digits, which some translators rewrite), capitalised like a name, and
    not a word of any language xproj knows of.

    >>> placeholder(0), placeholder(25), placeholder(26)
    ('Zxqa', 'Zxqz', 'Zxqaa')
    """
    letters = string.ascii_lowercase
    code = ""
    k = index
    while k >= 0:
        code = letters[k % 26] + code
        k = k // 26 - 1
    return "Zxq" + code


@dataclass(frozen=True)
class ProtectionReport:
    """What happened in one :meth:`NameProtectingTranslator.translate_reported` call.

    Parameters
    ----------
    n_sentences
        Sentences in the batch (as many came out).
    n_protected_sentences
        Sentences with at least one name run, sent with placeholders.
    n_runs
        Name runs replaced by placeholders.
    n_words
        Words inside those runs.
    n_fallback
        Protected sentences whose translation lost, split or repeated a placeholder, translated
        again without protection.
    """

    n_sentences: int = 0
    n_protected_sentences: int = 0
    n_runs: int = 0
    n_words: int = 0
    n_fallback: int = 0

    def to_dict(self) -> dict[str, int]:
        return {
            "sentences": self.n_sentences,
            "protected_sentences": self.n_protected_sentences,
            "runs": self.n_runs,
            "words": self.n_words,
            "fallback": self.n_fallback,
        }


def _restore(
    words: Sequence[str], plan: list[tuple[str, tuple[str, ...]]]
) -> tuple[list[str], list[tuple[int, int]]] | None:
    """Put each run's words back in place of its placeholder, and say where each run landed;
    None unless each placeholder comes back exactly once as a word of its own."""
    table = dict(plan)
    where: dict[str, tuple[int, int]] = {}
    out: list[str] = []
    for w in words:
        if w in table:
            if w in where:
                return None  # repeated
            where[w] = (len(out), len(out) + len(table[w]))
            out.extend(table[w])
        elif any(p in w for p in table):
            return None  # inflected or glued to another word ("Zxqas"): cannot be undone
        else:
            out.append(w)
    if len(where) != len(table):
        return None  # lost
    return out, [where[ph] for ph, _ in plan]


def _with_placeholders(
    words: tuple[str, ...], runs: Sequence[tuple[int, int]]
) -> tuple[tuple[str, ...], list[tuple[str, tuple[str, ...]]]]:
    out: list[str] = []
    plan: list[tuple[str, tuple[str, ...]]] = []
    prev = 0
    for r, (a, b) in enumerate(runs):
        out.extend(words[prev:a])
        ph = placeholder(r)
        while any(ph in w for w in words):  # never a placeholder already in the text
            ph += "q"
        out.append(ph)
        plan.append((ph, words[a:b]))
        prev = b
    out.extend(words[prev:])
    return tuple(out), plan


@dataclass(kw_only=True)
class NameProtectingTranslator(Translator):
    """Translate with ``translator``, keeping name runs untranslated (see the module docstring).

    Parameters
    ----------
    translator
        The translator that does the work (e.g. ``ApertiumTranslator()``).
    max_particle
        The longest lower-case word that joins two name words into one run; 0 joins none.
    protect_acronyms
        Also protect all-capital words (default: leave them to the translator).
    titles
        Leave the titles and forms of address of each sentence's language to the translator
        (word lists of :data:`xproj.label.normalise.PRESETS`; languages without a preset have
        none).
    labeller
        Optional: a labeller of the *output* language that decides which runs stay protected.
        Every run is protected first; the translations are labelled, and only the runs that
        the labeller puts (at least partly) in a span of one of ``keep_labels`` stay
        protected; the sentences are translated again with just those. Personal names are
        not translated between languages while institutions and places mostly have
        conventional translations ("Parlamento Europeo" -> "European Parliament", "Rusia" ->
        "Russia") that a labeller of the output language knows better; with the default
        ``keep_labels=("PER",)`` only personal names are protected.
    keep_labels
        The entity types whose runs stay protected when a ``labeller`` is given.
    after_title
        Protect only the runs right after a title or form of address of the sentence's
        language ("Sra. de Palacio", "señor Barón Crespo"; needs ``titles`` and a preset for
        the language): those are personal names, which are not translated between languages,
        while other capitalised runs are mostly institutions, places and capitalised nouns
        with conventional translations ("Comisión Europea" -> "European Commission").
    min_words
        Runs shorter than this are not protected. Single capitalised words are mostly either
        names the translator does not know, which it passes through anyway ("Prodi"), or
        nouns with a translation ("Comisión", "Rusia", "Artículo"); left untranslated, the
        latter look like unknown names, which an English labeller tends to call persons.

    Reports
    -------
    :meth:`translate_reported` returns the counts of :class:`ProtectionReport` as its
    ``report`` (runs counted are those finally protected).
    """

    translator: Translator
    max_particle: int = 3
    protect_acronyms: bool = False
    titles: bool = True
    labeller: Labeller | None = None
    keep_labels: tuple[str, ...] = ("PER",)
    after_title: bool = False
    min_words: int = 1

    _constraints = {
        "translator": InstanceOf((Translator,)),
        "max_particle": Interval(int, 0, None),
        "protect_acronyms": InstanceOf((bool,)),
        "titles": InstanceOf((bool,)),
        "labeller": NoneOr(InstanceOf((Labeller,))),
        "min_words": Interval(int, 1, None),
        "after_title": InstanceOf((bool,)),
        "keep_labels": Predicate(
            lambda v: isinstance(v, tuple) and all(isinstance(x, str) and x for x in v),
            "a tuple of entity types",
        ),
    }

    def _titles(self, lang: str | None) -> tuple[frozenset[str], frozenset[str]]:
        """Single-word titles (forms of address included) and forms of address."""
        if not self.titles or lang is None:
            return frozenset(), frozenset()
        from xproj.label.normalise import PRESETS

        preset = PRESETS.get(lang) or PRESETS.get(lang.split("-")[0].lower())
        if preset is None:
            return frozenset(), frozenset()
        honorifics = frozenset(t for t in preset.honorifics if " " not in t)
        return frozenset(t for t in preset.titles if " " not in t) | honorifics, honorifics

    def runs(self, sentence: Sentence) -> list[tuple[int, int]]:
        """The name runs this translator would protect in ``sentence`` (before any labeller
        selection)."""
        titles, honorifics = self._titles(sentence.lang)
        runs = find_name_runs(
            sentence.words,
            max_particle=self.max_particle,
            protect_acronyms=self.protect_acronyms,
            titles=titles,
            honorifics=honorifics,
        )
        w = sentence.words
        return [
            (a, b)
            for a, b in runs
            if b - a >= self.min_words
            and (not self.after_title or (a > 0 and _title_key(w[a - 1]) in titles))
        ]

    def _protected(
        self,
        sentences: Sequence[Sentence],
        runs: list[list[tuple[int, int]]],
        tgt_lang: str,
    ) -> tuple[list[Sentence], list[list[tuple[int, int]] | None]]:
        """Translate with ``runs`` protected; per sentence, where each run landed in the
        output (None for sentences translated again unprotected after a lost placeholder)."""
        sent: list[Sentence] = []
        plans = []
        for s, r in zip(sentences, runs):
            words, plan = _with_placeholders(s.words, r)
            plans.append(plan)
            sent.append(Sentence(words, s.lang) if plan else s)
        out = list(self.translator.translate(sent, tgt_lang))
        where: list[list[tuple[int, int]] | None] = [[] for _ in sentences]
        retry: list[int] = []
        for k, (o, plan) in enumerate(zip(out, plans)):
            if not plan:
                continue
            restored = _restore(o.words, plan)
            if restored is None:
                retry.append(k)
                where[k] = None
            else:
                out[k] = Sentence(tuple(restored[0]), o.lang)
                where[k] = restored[1]
        if retry:
            again = self.translator.translate([sentences[k] for k in retry], tgt_lang)
            for k, o in zip(retry, again):
                out[k] = o
        return out, where

    def _translate(self, sentences: Sequence[Sentence], tgt_lang: str) -> Reported[Sentence]:
        runs = [self.runs(s) for s in sentences]
        out, where = self._protected(sentences, runs, tgt_lang)
        n_fallback = sum(w is None for w in where)
        if self.labeller is not None:
            keep = set(self.keep_labels)
            labelled = self.labeller.label(out)
            chosen: list[list[tuple[int, int]]] = []
            for r, w, lab in zip(runs, where, labelled):
                spans = [sp for sp in lab.spans if sp.label in keep]
                chosen.append(
                    []
                    if w is None
                    else [
                        run
                        for run, (a, b) in zip(r, w)
                        if any(sp.start < b and a < sp.end for sp in spans)
                    ]
                )
            runs = chosen
            out, where = self._protected(sentences, runs, tgt_lang)
            n_fallback = sum(w is None for w in where)
        report = ProtectionReport(
            n_sentences=len(sentences),
            n_protected_sentences=sum(1 for r, w in zip(runs, where) if r and w is not None),
            n_runs=sum(len(r) for r, w in zip(runs, where) if w is not None),
            n_words=sum(b - a for r, w in zip(runs, where) if w is not None for a, b in r),
            n_fallback=n_fallback,
        )
        return Reported(out, report.to_dict())
