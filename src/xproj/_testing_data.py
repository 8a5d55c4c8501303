"""The random problem generators of :mod:`xproj.testing` (re-exported there): sentences,
labelled sentences, alignments and whole batches from a seed, with the standard library's
:class:`random.Random` only, so they give the same data on every platform."""

from __future__ import annotations

import random
from collections.abc import Sequence

from xproj.types import (
    Alignment,
    LabelledSentence,
    Sentence,
    Span,
)

LABELS: tuple[str, ...] = ("PER", "LOC", "ORG", "MISC")
"""The entity types the generators draw from."""

_SYLLABLES = ("ka", "lo", "mi", "ne", "ru", "sa", "ti", "ve", "zo", "ba", "de", "fu", "gi", "ha")
_EXTRA_WORDS = (".", ",", "''", "(", ")", "-", "Zürich", "São", "Đức", "東京", "résumé", "3,5")
_VOCAB: tuple[str, ...] = tuple(
    [a + b for a in _SYLLABLES for b in _SYLLABLES]
    + [(a + b + c).capitalize() for a in _SYLLABLES[:6] for b in _SYLLABLES[6:] for c in "nrs"]
    + list(_EXTRA_WORDS)
)

# ---------------------------------------------------------------------------------------------
# Generators
# ---------------------------------------------------------------------------------------------


def random_sentence(rng: random.Random, n_words: int, lang: str | None = None) -> Sentence:
    """A sentence of ``n_words`` pseudo-words (some capitalised, some punctuation or non-ASCII).

    >>> s = random_sentence(random.Random(0), 3)
    >>> len(s), s == random_sentence(random.Random(0), 3)
    (3, True)
    """
    vocab = _VOCAB
    return Sentence(tuple(rng.choice(vocab) for _ in range(n_words)), lang)


def random_labelled_sentence(
    rng: random.Random,
    n_words: int,
    *,
    p_entity: float = 0.3,
    max_entity_words: int = 4,
    labels: Sequence[str] = LABELS,
) -> LabelledSentence:
    """A labelled sentence whose entities (1 to ``max_entity_words`` words) start at each word
    with probability ``p_entity``; entities may be adjacent.

    >>> s = random_labelled_sentence(random.Random(3), 8, p_entity=0.5)
    >>> all(0 <= sp.start < sp.end <= 8 for sp in s.spans)
    True
    """
    words = random_sentence(rng, n_words).words
    spans: list[Span] = []
    i = 0
    while i < n_words:
        if rng.random() < p_entity:
            length = rng.randint(1, min(max_entity_words, n_words - i))
            spans.append(Span(i, i + length, rng.choice(labels)))
            i += length
        else:
            i += 1
    return LabelledSentence(words, tuple(spans))


def random_alignment(
    rng: random.Random,
    src_len: int,
    tgt_len: int,
    *,
    p_scores: float = 0.3,
    p_possible: float = 0.1,
) -> Alignment:
    """Random links of one of several shapes: none, sparse, dense many-to-many, or
    near-diagonal with noise; sometimes with scores, sometimes with "possible" links.

    >>> a = random_alignment(random.Random(0), 4, 5)
    >>> (a.src_len, a.tgt_len)
    (4, 5)
    """
    links: set[tuple[int, int]] = set()
    if src_len and tgt_len:
        shape = rng.random()
        if shape < 0.1:
            pass  # no links at all
        elif shape < 0.5:  # near-diagonal, some words unaligned, some one-to-two
            for i in range(src_len):
                if rng.random() < 0.15:
                    continue
                j = round(i * (tgt_len - 1) / max(1, src_len - 1)) + rng.choice((-1, 0, 0, 1))
                j = min(tgt_len - 1, max(0, j))
                links.add((i, j))
                if rng.random() < 0.15 and j + 1 < tgt_len:
                    links.add((i, j + 1))
        else:  # independent links with a random density
            density = rng.choice((0.05, 0.15, 0.3, 0.6))
            for i in range(src_len):
                for j in range(tgt_len):
                    if rng.random() < density:
                        links.add((i, j))
    ordered = sorted(links)
    if rng.random() < 0.3:  # projectors must not rely on the order of links
        rng.shuffle(ordered)
    scores = None
    if rng.random() < p_scores:
        scores = tuple(round(rng.random(), 3) for _ in ordered)
    possible: tuple[tuple[int, int], ...] = ()
    if src_len and tgt_len and rng.random() < p_possible:
        possible = ((rng.randrange(src_len), rng.randrange(tgt_len)),)
    return Alignment(src_len, tgt_len, tuple(ordered), scores, possible)


def random_problem(
    rng: random.Random,
    *,
    max_words: int = 12,
    p_empty_target: float = 0.08,
    p_empty_source: float = 0.03,
    labels: Sequence[str] = LABELS,
) -> tuple[LabelledSentence, Sentence, Alignment]:
    """One random (labelled source, target, alignment) triple for conformance tests.

    Sentences have 0 to ``max_words`` words; the target is empty with probability
    ``p_empty_target`` (a translation that came out empty), the source with ``p_empty_source``.

    >>> src, tgt, ali = random_problem(random.Random(0))
    >>> (ali.src_len, ali.tgt_len) == (len(src), len(tgt))
    True
    """
    n_src = 0 if rng.random() < p_empty_source else rng.randint(1, max_words)
    n_tgt = 0 if rng.random() < p_empty_target else rng.randint(1, max_words)
    src = random_labelled_sentence(rng, n_src, p_entity=rng.choice((0.1, 0.3, 0.6)), labels=labels)
    tgt = random_sentence(rng, n_tgt, "xx")
    return src, tgt, random_alignment(rng, n_src, n_tgt)


Batch = tuple[list[LabelledSentence], list[Sentence], list[Alignment]]


def random_batch(n: int, seed: int = 0, *, max_words: int = 12) -> Batch:
    """``n`` random problems as ``(sources, targets, alignments)``.

    The first four are fixed edge cases, so any ``n >= 4`` covers them: an empty target with
    entities, an empty source, entities without any links, a sentence without entities.

    >>> sources, targets, alignments = random_batch(10, seed=0)
    >>> len(targets[0]), len(sources[0].spans)
    (0, 1)
    """
    rng = random.Random(seed)
    edge: list[tuple[LabelledSentence, Sentence, Alignment]] = [
        (
            LabelledSentence(("Ada", "Lovelace", "wrote"), (Span(0, 2, "PER"),)),
            Sentence((), "xx"),
            Alignment(3, 0),
        ),
        (LabelledSentence(()), Sentence(("hola",), "xx"), Alignment(0, 1)),
        (
            LabelledSentence(("in", "Paris"), (Span(1, 2, "LOC"),)),
            Sentence(("en", "París"), "xx"),
            Alignment(2, 2, ((0, 0),)),
        ),
        (
            LabelledSentence(("it", "rains")),
            Sentence(("llueve",), "xx"),
            Alignment(2, 1, ((1, 0),)),
        ),
    ]
    triples = edge[:n] + [random_problem(rng, max_words=max_words) for _ in range(n - len(edge))]
    return [t[0] for t in triples], [t[1] for t in triples], [t[2] for t in triples]


def random_sentence_pairs(
    n: int, seed: int = 0, *, max_words: int = 10
) -> tuple[list[Sentence], list[Sentence]]:
    """``n`` random sentence pairs for aligner checks; the first three have an empty side.

    >>> src, tgt = random_sentence_pairs(5)
    >>> [(len(s), len(t)) for s, t in zip(src, tgt)][:3]
    [(0, 3), (2, 0), (0, 0)]
    """
    rng = random.Random(seed)
    lengths = [(0, 3), (2, 0), (0, 0)][:n]
    lengths += [(rng.randint(1, max_words), rng.randint(1, max_words)) for _ in range(n - 3)]
    sources = [random_sentence(rng, a, "en") for a, _ in lengths]
    targets = [random_sentence(rng, b, "xx") for _, b in lengths]
    return sources, targets


def synthetic_batch(n: int, seed: int = 0, *, mean_words: int = 25) -> Batch:
    """``n`` Europarl-shaped problems for speed benchmarks, as ``(sources, targets, alignments)``.

    Sources have ``mean_words`` +- 7 words (uniform) and 1 to 3 entities of 1 to 4 words
    (mostly 1-2); targets are within 3 words of their source's length. Alignments are mostly
    monotone: about 10% of source words unaligned, 10% linked to two target words, local
    jitter of one word and about 5% of words swapped with a neighbour, about one link per
    source word in all.

    >>> sources, targets, alignments = synthetic_batch(200, seed=0)
    >>> 20 < sum(len(s) for s in sources) / 200 < 30
    True
    >>> 18 < sum(len(a) for a in alignments) / 200 < 32
    True
    """
    rng = random.Random(seed)
    vocab = _VOCAB
    sources: list[LabelledSentence] = []
    targets: list[Sentence] = []
    alignments: list[Alignment] = []
    for _ in range(n):
        m = max(5, rng.randint(mean_words - 7, mean_words + 7))
        t = max(1, m + rng.randint(-3, 3))
        # Entities: rejection-sample non-overlapping spans (always succeeds for m >= 5).
        k = rng.randint(1, 3)
        spans: list[Span] = []
        while len(spans) < k:
            length = rng.choices((1, 2, 3, 4), (45, 35, 12, 8))[0]
            start = rng.randrange(0, m - length + 1)
            cand = Span(start, start + length, rng.choice(LABELS))
            if not any(cand.overlaps(s) for s in spans):
                spans.append(cand)
        spans.sort(key=lambda s: s.start)
        # Mostly monotone links with jitter, unaligned words, 1-to-2 links and local swaps.
        target_of = [round(i * (t - 1) / max(1, m - 1)) for i in range(m)]
        for i in range(m - 1):
            if rng.random() < 0.05:
                target_of[i], target_of[i + 1] = target_of[i + 1], target_of[i]
        links: set[tuple[int, int]] = set()
        for i in range(m):
            r = rng.random()
            if r < 0.1:
                continue
            j = min(t - 1, max(0, target_of[i] + (rng.choice((-1, 1)) if r > 0.85 else 0)))
            links.add((i, j))
            if rng.random() < 0.1 and j + 1 < t:
                links.add((i, j + 1))
        sources.append(
            LabelledSentence(tuple(rng.choice(vocab) for _ in range(m)), tuple(spans), "en")
        )
        targets.append(Sentence(tuple(rng.choice(vocab) for _ in range(t)), "xx"))
        alignments.append(Alignment(m, t, tuple(sorted(links))))
    return sources, targets, alignments
