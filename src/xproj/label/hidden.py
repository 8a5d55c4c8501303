"""Label sentences with some words hidden from the labeller (by default, quote marks).

Statistical labellers are sensitive to tokens they rarely saw in training. Wikipedia-derived
data (WikiANN/PAN-X) writes bold and italic mark-up as runs of apostrophes (``' '' México ''
'``), and spaCy's English pipeline finds no entity in ``' '' Mexico '' '`` while it finds
``Mexico`` on its own. :class:`HidingLabeller` runs any labeller on each sentence without
the hidden words and maps the spans back onto the full sentence. A hidden word was a boundary
in the text (``' '' Hübingen '' ' Germany 's municipality``: once the quotes are gone, a
labeller may read "Hübingen Germany" as one name), so a span over visible words that were
not adjacent is cut at the hidden words into one span per stretch of adjacent words, each with
the span's label; hidden words never end up inside or at the edge of a span. The output has
the caller's words, one sentence out per sentence in; a sentence whose every word is hidden
comes out without spans.

Examples
--------
>>> from xproj.types import LabelledSentence, Sentence, Span
>>> from xproj.label.base import Labeller
>>> class Caps(Labeller):  # stand-in: a run of capitalised words is a LOC
...     def _label(self, sentences):
...         out = []
...         for s in sentences:
...             spans, i = [], 0
...             while i < len(s.words):
...                 j = i
...                 while j < len(s.words) and s.words[j][:1].isupper():
...                     j += 1
...                 spans += [Span(i, j, "LOC")] if j > i else []
...                 i = max(j, i + 1)
...             out.append(LabelledSentence(s.words, tuple(spans), s.lang))
...         return out
>>> lab = HidingLabeller(labeller=Caps())
>>> lab.label([Sentence(("'", "''", "Nueva", "York", "''", "'"))])[0].tags
('O', 'O', 'B-LOC', 'I-LOC', 'O', 'O')
>>> lab.label([Sentence(("''", "Hübingen", "''", "Germany"))])[0].tags
('O', 'B-LOC', 'O', 'B-LOC')
>>> is_quote_word("''"), is_quote_word("«"), is_quote_word("'s"), is_quote_word("(")
(True, True, False, False)
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from xproj.label.base import Labeller
from xproj.params import InstanceOf, Predicate
from xproj.reported import Reported
from xproj.types import LabelledSentence, Sentence, Span

__all__ = ["QUOTES", "HidingLabeller", "is_quote_word"]

QUOTES = frozenset("'\"`´‘’‚‛“”„‟«»‹›")
"""Quote characters: a word made only of these is hidden by default."""


def is_quote_word(word: str) -> bool:
    """Whether ``word`` is made only of quote characters (:data:`QUOTES`)."""
    return bool(word) and all(c in QUOTES for c in word)


@dataclass(kw_only=True)
class HidingLabeller(Labeller):
    """Run ``labeller`` on each sentence without the words ``hide`` picks; see the module.

    Parameters
    ----------
    labeller
        Any labeller.
    hide
        A function from a word to whether to hide it (default: :func:`is_quote_word`).
    """

    labeller: Labeller
    hide: Callable[[str], bool] = is_quote_word
    _constraints = {
        "labeller": InstanceOf((Labeller,)),
        "hide": Predicate(callable, "a function from a word to a bool"),
    }

    def _label(self, sentences: Sequence[Sentence]) -> Reported[LabelledSentence]:
        keep = [[i for i, w in enumerate(s.words) if not self.hide(w)] for s in sentences]
        views = [Sentence(tuple(s.words[i] for i in k), s.lang) for s, k in zip(sentences, keep)]
        inner = self.labeller.label_reported(views)
        labelled = inner.items
        out = []
        for s, k, lab in zip(sentences, keep, labelled):
            spans = []
            for sp in lab.spans:
                start = k[sp.start]
                for i in range(sp.start + 1, sp.end):
                    if k[i] != k[i - 1] + 1:  # hidden words between: cut here
                        spans.append(Span(start, k[i - 1] + 1, sp.label, sp.score))
                        start = k[i]
                spans.append(Span(start, k[sp.end - 1] + 1, sp.label, sp.score))
            out.append(LabelledSentence(s.words, tuple(spans), s.lang))
        return Reported(out, inner.report)  # the wrapped labeller's report
