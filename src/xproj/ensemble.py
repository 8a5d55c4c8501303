"""Span voting: combine the entity spans of several labelling routes for the same sentences.

Cross-lingual NER has several routes to labels for a target sentence, with different errors:
translate-test with one English labeller, translate-test with another, a multilingual model
labelling the target directly (model transfer). :func:`vote_spans` keeps a span (same words,
same type) that at least ``min_votes`` routes give; where kept spans overlap, the one with more
votes wins, then the longer, then the leftmost.

Measured (``benchmarks/translate_test.py``, ``vote`` row; ``docs/translate_test.md``): the vote
of translate-test with spaCy's English labeller, translate-test with a CoNLL-trained English
labeller and model transfer with that labeller beat each of the three on Europarl-es and PAN-X
Basque, and both translate-test routes on PAN-X Spanish.

Examples
--------
>>> from xproj.types import LabelledSentence, Span
>>> words = ("Mrs", "de", "Palacio", "visited", "Madrid")
>>> a = LabelledSentence(words, (Span(1, 3, "PER"), Span(4, 5, "LOC")))
>>> b = LabelledSentence(words, (Span(0, 3, "PER"), Span(4, 5, "LOC")))
>>> c = LabelledSentence(words, (Span(1, 3, "PER"),))
>>> [(s.start, s.end, s.label, round(s.score, 2)) for s in vote_spans([[a], [b], [c]])[0].spans]
[(1, 3, 'PER', 0.67), (4, 5, 'LOC', 0.67)]
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

from xproj.errors import InputError, ParameterError
from xproj.types import LabelledSentence, Projection, Span

__all__ = ["vote_spans"]


def vote_spans(
    routes: Sequence[Sequence[LabelledSentence | Projection]], *, min_votes: int = 2
) -> list[LabelledSentence]:
    """The spans at least ``min_votes`` of the routes agree on, per sentence.

    Parameters
    ----------
    routes
        One sequence per route, each with one labelled sentence (or projection, whose target is
        used) per input sentence, in the same order and with the same words.
    min_votes
        How many routes must give a span (exact words and type) for it to be kept, in
        ``[1, len(routes)]``; 1 is the union (overlaps resolved as below).

    Returns
    -------
    list of LabelledSentence
        One per input sentence, with the words and language of the first route's sentence and
        non-overlapping spans: among overlapping candidates, more votes first, then the longer
        span, then the leftmost. Each kept span's ``score`` is its share of the votes.

    Raises
    ------
    ParameterError
        If there are no routes or ``min_votes`` is out of range.
    InputError
        Naming the route and sentence, if a route has another number of sentences, an item
        that is not a labelled sentence or projection, or other words than the first route.
    """
    if not routes:
        raise ParameterError("vote_spans needs at least one route of labelled sentences")
    if not isinstance(min_votes, int) or not 1 <= min_votes <= len(routes):
        raise ParameterError(
            f"The 'min_votes' parameter of vote_spans must be an int in [1, {len(routes)}] "
            f"(the number of routes). Got {min_votes!r} instead."
        )
    n = len(routes[0])
    for r, route in enumerate(routes):
        if len(route) != n:
            raise InputError(
                f"vote_spans: route {r} has {len(route)} sentences but route 0 has {n}; give "
                "every route the same sentences in the same order"
            )
    out: list[LabelledSentence] = []
    for k in range(n):
        sentences = [_labelled(route[k], r, k) for r, route in enumerate(routes)]
        first = sentences[0]
        for r, s in enumerate(sentences[1:], start=1):
            if s.words != first.words:
                raise InputError(
                    f"vote_spans: route {r} has other words than route 0 in sentence {k}; "
                    "the routes must label the same sentences",
                    sentence=k,
                )
        votes = Counter((s.start, s.end, s.label) for lab in sentences for s in lab.spans)
        ranked = sorted(
            (key for key, v in votes.items() if v >= min_votes),
            key=lambda key: (-votes[key], -(key[1] - key[0]), key[0]),
        )
        kept: list[tuple[int, int, str]] = []
        for key in ranked:
            if all(key[1] <= a or b <= key[0] for a, b, _ in kept):
                kept.append(key)
        spans = tuple(Span(a, b, t, votes[(a, b, t)] / len(routes)) for a, b, t in sorted(kept))
        out.append(LabelledSentence(first.words, spans, first.lang))
    return out


def _labelled(item: LabelledSentence | Projection, route: int, k: int) -> LabelledSentence:
    if isinstance(item, Projection):
        item = item.target
    if not isinstance(item, LabelledSentence):
        raise InputError(
            f"vote_spans: route {route} item {k} is a {type(item).__name__}, not a "
            "LabelledSentence or Projection",
            sentence=k,
        )
    # spans compared without their scores
    return LabelledSentence(
        item.words, tuple(Span(s.start, s.end, s.label) for s in item.spans), item.lang
    )
