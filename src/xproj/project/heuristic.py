"""The word-alignment heuristic projector (García-Ferrero et al. 2022; Shkalikov's refinement)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from xproj.params import InstanceOf, Interval, NoneOr, Predicate
from xproj.project.base import Projector
from xproj.types import Alignment, LabelledSentence, ProjectedSpan, Projection, Sentence

__all__ = ["HeuristicProjector"]


def _is_label(value: object) -> bool:
    return (
        isinstance(value, str)
        and bool(value)
        and value != "O"
        and not any(c.isspace() for c in value)
        and not (value[1:2] == "-" and value[:1] in "BIES")
    )


def _uncapitalised(word: str) -> bool:
    """Whether ``word`` has a lowercase letter and no uppercase one ("belgischen", "d'europa")."""
    return word != word.upper() and word == word.lower()


def _has_upper(words: Sequence[str], start: int, end: int) -> bool:
    return any(w != w.lower() for w in words[start:end])


def _best_links(
    links: Sequence[tuple[int, int]], scores: Sequence[float], n_tgt: int
) -> list[tuple[int, int]]:
    """The links that hold their target word's highest score (ties all kept)."""
    best = [float("-inf")] * n_tgt
    for (_, j), s in zip(links, scores):
        if s > best[j]:
            best[j] = s
    return [(i, j) for (i, j), s in zip(links, scores) if s >= best[j]]


@dataclass(kw_only=True)
class HeuristicProjector(Projector):
    """Project each entity onto the contiguous runs of target words aligned to it.

    For every source entity, taken shortest first (ties in source order):

    1. the target words linked to any of the entity's words form maximal contiguous *runs*;
    2. neighbouring runs separated by at most ``max_gap`` unaligned target words are merged,
       the gap words included (``max_gap=0`` merges nothing); with ``only_i`` a run is never
       merged into the one before it when its first word is linked to the entity's *first*
       word, so two translations of a name's head (e.g. a repeated name) stay apart;
    3. with ``length_ratio`` set, runs with ``len(run) / len(entity) <= length_ratio`` are
       dropped (spurious fragments of wrong links);
    4. with ``top_k`` set, only the ``top_k`` longest runs are kept (ties: leftmost first);
    5. each kept run is labelled with the entity's type only if none of its words is labelled
       yet, so shorter entities, projected first, win conflicts.

    Two options go beyond the reference code (both off by default):

    - with ``best_links_only``, a target word counts in step 1 only for the source word(s) it
      is linked to with its *highest* score, so an article linked both to "the" (outside the
      entity) and, more weakly, to an entity word is left out, and two entities competing for
      one target word do not both claim it. Without link scores every link ties, which is the
      default behaviour;
    - with ``lowercase_label`` set, a one-word projection whose word has lowercase letters but
      no uppercase one, of a source entity with an uppercase letter, gets that label instead
      of the entity's (see Notes).

    Steps 4 and 5 follow the reference code's order: the longest run is chosen first, and if
    an earlier (shorter) entity already holds one of its words, the entity stays unprojected
    rather than falling back to a shorter run.

    Parameters
    ----------
    max_gap
        Merge runs whose gap is at most this many target words (``d`` in the papers).
    only_i
        Do not merge a run whose first word is aligned to the entity's first word.
    length_ratio
        Keep a run only if ``len(run) / len(entity) > length_ratio``; ``None`` keeps all runs.
    top_k
        Keep only the ``top_k`` longest runs per entity; ``None`` keeps every run, so one
        entity can yield several target spans.
    best_links_only
        Count a target word only for the entity of its highest-scoring link (all tied links
        count; alignments without scores are unaffected).
    lowercase_label
        If set (e.g. ``"MISC"``), the label given to one-word projections written without
        capitals of source entities written with them; None keeps the entity's label.

    Notes
    -----
    Defaults reproduce García-Ferrero et al.'s Easy-Label-Projection (merge gaps of one word,
    keep the largest group) with Shkalikov's shortest-first order and no-overwrite rule:
    ``max_gap=1, only_i=False, length_ratio=None, top_k=1``. Choices and how they relate to the
    reference code:

    - *Several runs per entity.* Easy-Label-Projection keeps the largest group
      (``max(groups, key=len)``); Shkalikov's first version labels every run that passes the
      length ratio; his ``HeuriticsProjection`` sorts runs by *ascending* length before taking
      the top ``k`` (default 1), which keeps the *shortest* run, most likely an oversight.
      Here ``top_k`` keeps the longest runs, and ``top_k=None`` keeps all of them.
    - *Length ratio.* Off by default: a threshold of 0.8 drops every correct projection
      shorter than its source (``"the European Parliament"`` -> ``"Europaparlament"``). On
      Europarl-NER (English gold onto de/es/it, embedded SimAlign alignments) it cost German
      9 points of F1 while gaining Spanish 1.8 and Italian 0.7; see ``docs/projectors.md``.
      Pass ``length_ratio=0.8`` (Shkalikov's value) with ``top_k=None`` for his first variant.
    - *only_i.* Off by default, as in Easy-Label-Projection; Shkalikov's code turns it on (it
      cost 2-4 points of F1 on the same benchmark).
    - Easy-Label-Projection also drops links to punctuation-only target words and resolves
      collisions by keeping the larger span; here collisions are resolved by the shortest-first
      order, and links are used as given (filter them in the aligner).

    - *best_links_only.* Alignments from an embedding aligner link many target words to
      several source words (SimAlign's itermax adds a link for every still-unaligned word).
      Keeping only each target word's best link removes the weaker ones where they would
      widen a span. On Europarl-NER (English gold onto de/es/it, embedded-encoder alignments,
      ``max_gap=2``) it gained 0.2/0.3/0.0 points of F1 with mutual-argmax alignments and
      1.4/1.5/0.6 with itermax ones; see ``docs/benchmarks.md``.
    - *lowercase_label.* In languages that capitalise names but not the adjectives and
      common nouns derived from them (German, Romance and Slavic languages), a name projected
      onto a single word without capitals has become such a word: "Belgium" -> "belgischen",
      "Community" -> "comunitario", "Europe" -> "europea". The CoNLL guidelines label these
      MISC, so ``lowercase_label="MISC"`` follows them; map MISC to O when scoring against data
      without MISC. Longer spans are left alone (Italian writes "commissione per
      l'agricoltura" without capitals), as are scripts without case. On Europarl-NER it
      gained 1.4/1.3/2.1 points (de/es/it) with ``max_gap=2, best_links_only=True`` on
      itermax alignments.

    The score of a projected span is the fraction of its words aligned to the entity (below 1
    when a merged gap is inside). Alignment scores and "possible" links are ignored.

    Examples
    --------
    >>> from xproj import Alignment, LabelledSentence, Sentence
    >>> src = LabelledSentence.from_tags(["the", "European", "Parliament", "met"],
    ...                                  ["O", "B-ORG", "I-ORG", "O"])
    >>> tgt = Sentence(("el", "Parlamento", "muy", "Europeo", "se", "reunió"))
    >>> ali = Alignment(4, 6, ((0, 0), (1, 3), (2, 1), (3, 5)))
    >>> p = HeuristicProjector().project([src], [tgt], [ali])[0]
    >>> p.tags
    ('O', 'B-ORG', 'I-ORG', 'I-ORG', 'O', 'O')
    >>> p.projected[0].score  # 2 of the 3 words are aligned; "muy" fills a 1-word gap
    0.6666666666666666
    >>> HeuristicProjector(max_gap=0).project([src], [tgt], [ali])[0].tags
    ('O', 'B-ORG', 'O', 'O', 'O', 'O')

    An article linked to "the" (score 0.8) and weakly to the entity's word (0.3), and a
    projection onto a word without capitals:

    >>> src = LabelledSentence.from_tags(["the", "Funds", "of", "Belgium"],
    ...                                  ["O", "B-MISC", "O", "B-LOC"])
    >>> tgt = Sentence(("die", "belgischen", "Fonds"))
    >>> ali = Alignment(4, 3, ((0, 0), (1, 0), (1, 2), (3, 1)), (0.8, 0.3, 0.9, 0.7))
    >>> HeuristicProjector(max_gap=0).project([src], [tgt], [ali])[0].tags
    ('B-MISC', 'B-LOC', 'O')
    >>> HeuristicProjector(max_gap=0, best_links_only=True,
    ...                    lowercase_label="MISC").project([src], [tgt], [ali])[0].tags
    ('O', 'B-MISC', 'B-MISC')
    >>> try:
    ...     HeuristicProjector(max_gap=-1)
    ... except ValueError as e:
    ...     print(e)
    The 'max_gap' parameter of HeuristicProjector must be an int >= 0. Got -1 instead.
    """

    max_gap: int = 1
    only_i: bool = False
    length_ratio: float | None = None
    top_k: int | None = 1
    best_links_only: bool = False
    lowercase_label: str | None = None

    _constraints = {
        "max_gap": Interval(int, 0, None),
        "only_i": InstanceOf((bool,)),
        "length_ratio": NoneOr(Interval(float, 0, None)),
        "top_k": NoneOr(Interval(int, 1, None)),
        "best_links_only": InstanceOf((bool,)),
        "lowercase_label": NoneOr(Predicate(_is_label, "a bare entity type such as 'MISC'")),
    }

    def _project(
        self,
        sources: Sequence[LabelledSentence],
        targets: Sequence[Sentence],
        alignments: Sequence[Alignment],
    ) -> list[Projection]:
        one = self._project_one
        return [one(s, t, a) for s, t, a in zip(sources, targets, alignments)]

    def _project_one(self, src: LabelledSentence, tgt: Sentence, ali: Alignment) -> Projection:
        spans = src.spans
        n_ent = len(spans)
        words = tgt.words
        n_tgt = len(words)
        if n_ent == 0 or n_tgt == 0 or not ali.links:
            return Projection.build(words, (), n_ent, tgt.lang)

        # Which entity owns each source word (-1: none), then one pass over the links.
        owner = [-1] * len(src.words)
        for k, sp in enumerate(spans):
            owner[sp.start : sp.end] = [k] * (sp.end - sp.start)
        aligned: list[set[int]] = [set() for _ in range(n_ent)]
        links: Sequence[tuple[int, int]] = ali.links
        if self.best_links_only and ali.scores is not None:
            links = _best_links(ali.links, ali.scores, n_tgt)
        for i, j in links:
            k = owner[i]
            if k >= 0:
                aligned[k].add(j)

        max_gap = self.max_gap
        ratio = self.length_ratio
        top_k = self.top_k
        first_of: list[set[int]] | None = None
        if self.only_i:
            first_of = [set() for _ in range(n_ent)]
            starts = {sp.start: k for k, sp in enumerate(spans)}
            for i, j in ali.links:
                k2 = starts.get(i)
                if k2 is not None:
                    first_of[k2].add(j)

        lower_label = self.lowercase_label
        taken = bytearray(n_tgt)
        out: list[ProjectedSpan] = []
        order = (
            sorted(range(n_ent), key=lambda k: spans[k].end - spans[k].start) if n_ent > 1 else (0,)
        )
        for k in order:
            hit = aligned[k]
            if not hit:
                continue
            sp = spans[k]
            # Runs as [start, end, number of aligned words].
            lo = min(hit)
            hi = max(hit) + 1
            if hi - lo == len(hit):  # the common case: one contiguous run
                runs = [[lo, hi, hi - lo]]
            else:
                pos = sorted(hit)
                runs = []
                start = prev = lo
                for j in pos[1:]:
                    if j != prev + 1:
                        runs.append([start, prev + 1, prev + 1 - start])
                        start = j
                    prev = j
                runs.append([start, prev + 1, prev + 1 - start])
            first = None if first_of is None else first_of[k]
            if max_gap and len(runs) > 1:
                merged = [runs[0]]
                for r in runs[1:]:
                    last = merged[-1]
                    if r[0] - last[1] > max_gap or (first is not None and r[0] in first):
                        merged.append(r)
                    else:
                        last[1] = r[1]
                        last[2] += r[2]
                runs = merged
            if ratio is not None:
                n_src = sp.end - sp.start
                runs = [r for r in runs if (r[1] - r[0]) / n_src > ratio]
            if top_k is not None and len(runs) > top_k:
                runs = sorted(runs, key=lambda r: r[0] - r[1])[:top_k]
            for a, b, n_al in runs:
                if any(taken[a:b]):
                    continue
                taken[a:b] = b"\x01" * (b - a)
                label = sp.label
                if (
                    lower_label is not None
                    and b - a == 1
                    and _uncapitalised(words[a])
                    and _has_upper(src.words, sp.start, sp.end)
                ):
                    label = lower_label
                out.append(ProjectedSpan(a, b, label, k, n_al / (b - a), "heuristic"))
        return Projection.build(words, out, n_ent, tgt.lang)
