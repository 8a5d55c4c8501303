"""Candidate target spans for the matching projectors, and the flat batch they come from.

A *matching problem* is one sentence pair: the source entities (the spans of a
:class:`~xproj.types.LabelledSentence`), the target words, their word alignment, and a set of
*candidate* target spans (half-open word ranges) that the entities may be projected onto.
Everything here is batch-first and flat: a :class:`ProblemBatch` holds the entities, links and
target positions of many sentences in concatenated numpy arrays, and an extractor returns the
candidates of the whole batch as one :class:`CandidateSet`, so that no step loops over
sentences in Python.

Extractors
----------
:class:`NgramCandidates` (``"ngrams"``)
    Every n-gram of at most ``max_words`` target words containing no sentence-final
    punctuation (see :data:`SENTENCE_FINAL_PUNCTUATION`).
:class:`AlignedRanges` (``"aligned_ranges"``)
    For each entity, every sub-range between the leftmost and rightmost target word linked to it.
:class:`AlignedMerges` (``"aligned_merges"``)
    For each entity, the maximal runs of target words linked to it and every merge of
    consecutive runs (run *i* through run *j*, gaps included).
:class:`ExternalCandidates` (``"external"``)
    Spans supplied per sentence, e.g. a target-side NER model's (labels are ignored; the
    projected label always comes from the source entity).
:class:`UnionCandidates`
    The union of several extractors' candidates.

Only candidates with a positive score can ever be projected onto. With ``require_link=True``
(the default) the first three extractors drop candidates that contain no target word linked
to any source entity: those score 0 under :class:`~xproj.project.scorers.AlignmentScorer`, so
dropping them changes no projection under alignment-based scoring. Set ``require_link=False``
when a model-based scorer may score such candidates above 0.

Examples
--------
>>> from xproj import Alignment, LabelledSentence, Sentence, Span
>>> src = LabelledSentence(("in", "New", "York", "."), (Span(1, 3, "LOC"),))
>>> tgt = Sentence(("en", "Nueva", "York", "."))
>>> ali = Alignment(4, 4, ((0, 0), (1, 1), (2, 2), (3, 3)))
>>> batch = ProblemBatch.build([src], [tgt], [ali])
>>> NgramCandidates(max_words=3).extract(batch).spans(0)
[(0, 2), (0, 3), (1, 2), (1, 3), (2, 3)]
>>> AlignedRanges().extract(batch).spans(0)
[(1, 2), (1, 3), (2, 3)]
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence
from dataclasses import dataclass, field
from itertools import chain
from operator import itemgetter
from typing import Any

import numpy as np
import numpy.typing as npt

from xproj.errors import InputError
from xproj.params import Component, InstanceOf, Interval, NoneOr, Predicate
from xproj.types import Alignment, LabelledSentence, Sentence, Span

__all__ = [
    "SENTENCE_FINAL_PUNCTUATION",
    "AlignedMerges",
    "AlignedRanges",
    "CandidateBatch",
    "CandidateExtractor",
    "CandidateSet",
    "ExternalCandidates",
    "MatchingProblem",
    "NgramCandidates",
    "ProblemBatch",
    "UnionCandidates",
    "is_sentence_final",
]

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]

SENTENCE_FINAL_PUNCTUATION: frozenset[str] = frozenset(
    ".!?"  # ASCII full stop, exclamation and question marks
    "\u2026"  # … horizontal ellipsis
    "\u203c\u2047\u2048\u2049"  # ‼ ⁇ ⁈ ⁉ double and mixed marks
    "\u3002\uff0e\uff61"  # 。 ． ｡ CJK / full-width / half-width full stops
    "\uff01\uff1f"  # ！ ？ full-width exclamation and question marks
    "\u06d4\u061f"  # ۔ Urdu full stop, ؟ Arabic question mark
    "\u0964\u0965"  # । ॥ Devanagari danda and double danda
    "\u1362\u1367\u1368"  # ። ፧ ፨ Ethiopic full stop, question mark, paragraph separator
    "\u0589\u055e"  # ։ ՞ Armenian full stop and question mark
    "\u037e"  # ; Greek question mark
    "\u104a\u104b"  # ၊ ။ Myanmar sentence punctuation
)
"""Characters that end a sentence. A target *word* is sentence-final punctuation when it is made
only of these characters (``"."``, ``"?!"``, ``"..."``, ``"。"``); words such as ``"U.S."`` or
``"3.5"`` are not. No candidate of :class:`NgramCandidates`, :class:`AlignedRanges` or
:class:`AlignedMerges` contains such a word."""

_FINAL_CHARS = "".join(sorted(SENTENCE_FINAL_PUNCTUATION))
_FINAL_SET = frozenset(_FINAL_CHARS)


def is_sentence_final(word: str) -> bool:
    """Whether ``word`` consists only of sentence-final punctuation.

    >>> [is_sentence_final(w) for w in (".", "?!", "...", "。", "U.S.", "3.5", "»")]
    [True, True, True, True, False, False, False]
    """
    return bool(word) and not word.strip(_FINAL_CHARS)


def _concat_ranges(starts: IntArray, counts: IntArray) -> tuple[IntArray, IntArray]:
    """``concatenate([arange(s, s + c) for s, c in zip(starts, counts)])`` and the row of each.

    >>> _concat_ranges(np.array([5, 0, 2]), np.array([2, 0, 3]))
    (array([5, 6, 2, 3, 4]), array([0, 0, 2, 2, 2]))
    """
    counts = np.maximum(counts, 0)
    row: IntArray = np.repeat(np.arange(len(counts), dtype=np.int64), counts)
    first = np.cumsum(counts) - counts
    within = np.arange(int(counts.sum()), dtype=np.int64) - first[row]
    return starts[row] + within, row


def _offsets(counts: IntArray) -> IntArray:
    out: IntArray = np.zeros(len(counts) + 1, dtype=np.int64)
    np.cumsum(counts, out=out[1:])
    return out


@dataclass(frozen=True, eq=False)
class ProblemBatch:
    """The sentences of a batch as flat arrays: entities, target positions and entity links.

    Build it with :meth:`build`. Global indices run over the whole batch: entity ``e`` of the
    batch is entity ``e - ent_offsets[k]`` of sentence ``k = ent_sentence[e]``; flat target
    position ``p`` is word ``p - tgt_offsets[k]`` of target ``k``.

    Attributes
    ----------
    sources, targets, alignments
        The inputs, unchanged.
    external
        Externally supplied candidate spans per sentence, or ``None``.
    tgt_len, tgt_offsets
        Target lengths ``(n,)`` and their running offsets ``(n + 1,)``.
    ent_offsets
        ``(n + 1,)``: the entities of sentence ``k`` are ``ent_offsets[k]:ent_offsets[k + 1]``.
    ent_sentence, ent_start, ent_end
        ``(E,)``: sentence and source word range of each entity.
    ent_label
        The label of each entity, a list of ``E`` strings.
    el_entity, el_target
        One row per link from a word of an entity to a target word (an entity word linked
        twice to the same target word gives two rows), sorted by entity, then target word.
    """

    sources: Sequence[LabelledSentence]
    targets: Sequence[Sentence]
    alignments: Sequence[Alignment]
    external: Sequence[Sequence[Span]] | None
    tgt_len: IntArray
    tgt_offsets: IntArray
    ent_offsets: IntArray
    ent_sentence: IntArray
    ent_start: IntArray
    ent_end: IntArray
    ent_label: list[str]
    el_entity: IntArray
    el_target: IntArray
    _cache: dict[str, Any] = field(default_factory=dict, repr=False)

    @classmethod
    def build(
        cls,
        sources: Sequence[LabelledSentence],
        targets: Sequence[Sentence],
        alignments: Sequence[Alignment],
        external: Sequence[Sequence[Span]] | None = None,
    ) -> ProblemBatch:
        """Flatten a checked batch (see :func:`~xproj.project.base.check_projection_inputs`)."""
        n = len(sources)
        src_len = np.fromiter((len(s.words) for s in sources), np.int64, n)
        tgt_len = np.fromiter((len(t.words) for t in targets), np.int64, n)
        ent_count = np.fromiter((len(s.spans) for s in sources), np.int64, n)
        link_count = np.fromiter((len(a.links) for a in alignments), np.int64, n)
        n_ent = int(ent_count.sum())
        spans = [sp for s in sources for sp in s.spans]
        ent_start = np.fromiter((sp.start for sp in spans), np.int64, n_ent)
        ent_end = np.fromiter((sp.end for sp in spans), np.int64, n_ent)
        ent_label = [sp.label for sp in spans]
        n_links = int(link_count.sum())
        flat = np.fromiter(
            chain.from_iterable(chain.from_iterable(a.links for a in alignments)),
            np.int64,
            2 * n_links,
        )
        ent_offsets = _offsets(ent_count)
        ent_sentence: IntArray = np.repeat(np.arange(n, dtype=np.int64), ent_count)
        src_offsets = _offsets(src_len)
        # Which entity (or -1) each flat source word belongs to.
        ent_of_src = np.full(int(src_offsets[-1]), -1, dtype=np.int64)
        pos, row = _concat_ranges(src_offsets[ent_sentence] + ent_start, ent_end - ent_start)
        ent_of_src[pos] = row
        link_sentence = np.repeat(np.arange(n, dtype=np.int64), link_count)
        ent_of_link = ent_of_src[src_offsets[link_sentence] + flat[0::2]]
        keep = ent_of_link >= 0
        el_entity = ent_of_link[keep]
        el_target = flat[1::2][keep]
        order = np.lexsort((el_target, el_entity))
        return cls(
            sources=sources,
            targets=targets,
            alignments=alignments,
            external=external,
            tgt_len=tgt_len,
            tgt_offsets=_offsets(tgt_len),
            ent_offsets=ent_offsets,
            ent_sentence=ent_sentence,
            ent_start=ent_start,
            ent_end=ent_end,
            ent_label=ent_label,
            el_entity=el_entity[order],
            el_target=el_target[order],
        )

    def __len__(self) -> int:
        return len(self.sources)

    @property
    def n_entities(self) -> int:
        return len(self.ent_start)

    @property
    def max_target_len(self) -> int:
        return int(self.tgt_len.max()) if len(self.tgt_len) else 0

    def position_sentence(self) -> IntArray:
        """``(T,)``: the sentence of each flat target position."""
        if "pos_sentence" not in self._cache:
            n = len(self.tgt_len)
            self._cache["pos_sentence"] = np.repeat(np.arange(n, dtype=np.int64), self.tgt_len)
        out: IntArray = self._cache["pos_sentence"]
        return out

    def final_mask(self) -> BoolArray:
        """``(T,)``: whether each flat target position is sentence-final punctuation."""
        if "final" not in self._cache:
            words = list(chain.from_iterable(t.words for t in self.targets))
            # Words starting with a final character (few), then the full rule on those.
            mask = np.fromiter(
                map(_FINAL_SET.__contains__, map(itemgetter(0), words)), np.bool_, len(words)
            )
            for i in np.flatnonzero(mask).tolist():
                mask[i] = is_sentence_final(words[i])
            self._cache["final"] = mask
        out: BoolArray = self._cache["final"]
        return out

    def linked_mask(self) -> BoolArray:
        """``(T,)``: whether each flat target position is linked to a word of some entity."""
        if "linked" not in self._cache:
            mask = np.zeros(int(self.tgt_offsets[-1]), dtype=np.bool_)
            mask[self.tgt_offsets[self.ent_sentence[self.el_entity]] + self.el_target] = True
            self._cache["linked"] = mask
        out: BoolArray = self._cache["linked"]
        return out

    def _next_true(self, mask: BoolArray) -> IntArray:
        """For each flat position, the first flat position at or after it, in the same
        sentence, where ``mask`` holds; the sentence's end offset where none does."""
        pos = np.arange(len(mask), dtype=np.int64)
        big = np.iinfo(np.int64).max
        nxt = np.where(mask, pos, big)[::-1]
        nxt = np.minimum.accumulate(nxt)[::-1]
        sentence_end = self.tgt_offsets[1:][self.position_sentence()]
        out: IntArray = np.minimum(nxt, sentence_end)
        return out

    def next_final(self) -> IntArray:
        """:meth:`_next_true` of :meth:`final_mask`: where a candidate starting here must end."""
        if "next_final" not in self._cache:
            self._cache["next_final"] = self._next_true(self.final_mask())
        out: IntArray = self._cache["next_final"]
        return out

    def next_linked(self) -> IntArray:
        """:meth:`_next_true` of :meth:`linked_mask`."""
        if "next_linked" not in self._cache:
            self._cache["next_linked"] = self._next_true(self.linked_mask())
        out: IntArray = self._cache["next_linked"]
        return out

    def link_prefix(self) -> tuple[IntArray, IntArray]:
        """Per-entity prefix sums of link counts over target words, for O(1) range counts.

        Returns ``(csum, base)``: the number of links between entity ``e`` and target words
        ``[a, b)`` is ``csum[base[e] + b] - csum[base[e] + a]`` (integers, so exact).
        """
        if "link_prefix" not in self._cache:
            row_len = self.tgt_len[self.ent_sentence] + 1
            base = _offsets(row_len)[:-1]
            counts = np.bincount(
                base[self.el_entity] + self.el_target + 1, minlength=int(row_len.sum())
            )
            self._cache["link_prefix"] = (np.cumsum(counts), base)
        out: tuple[IntArray, IntArray] = self._cache["link_prefix"]
        return out

    def entity_hulls(self) -> tuple[IntArray, IntArray, IntArray]:
        """``(entities, first, last)``: for each entity with links, its leftmost and rightmost
        linked target word (inclusive)."""
        if "hulls" not in self._cache:
            e = self.el_entity
            if len(e) == 0:
                empty = np.zeros(0, dtype=np.int64)
                self._cache["hulls"] = (empty, empty, empty)
            else:
                new = np.flatnonzero(np.r_[True, e[1:] != e[:-1]])
                last = np.r_[new[1:], len(e)] - 1
                self._cache["hulls"] = (e[new], self.el_target[new], self.el_target[last])
        out: tuple[IntArray, IntArray, IntArray] = self._cache["hulls"]
        return out


@dataclass(frozen=True, eq=False)
class CandidateSet:
    """Candidate target spans of a batch, sorted by sentence, start, end, without duplicates.

    Attributes
    ----------
    offsets
        ``(n + 1,)``: the candidates of sentence ``k`` are ``offsets[k]:offsets[k + 1]``.
    sentence, start, end
        ``(C,)``: each candidate's sentence and target word range ``[start, end)``.
    """

    offsets: IntArray
    sentence: IntArray
    start: IntArray
    end: IntArray

    @classmethod
    def from_arrays(
        cls,
        n: int,
        sentence: IntArray,
        start: IntArray,
        end: IntArray,
        *,
        sorted_unique: bool = False,
    ) -> CandidateSet:
        """Build from parallel arrays; sorts and removes duplicates unless ``sorted_unique``."""
        sentence = np.asarray(sentence, dtype=np.int64)
        start = np.asarray(start, dtype=np.int64)
        end = np.asarray(end, dtype=np.int64)
        if not sorted_unique and len(start):
            m = int(end.max()) + 1
            key = (sentence * m + start) * m + end
            key = np.unique(key)
            end = key % m
            start = (key // m) % m
            sentence = key // (m * m)
        offsets = np.searchsorted(sentence, np.arange(n + 1, dtype=np.int64)).astype(np.int64)
        return cls(offsets, sentence, start, end)

    def __len__(self) -> int:
        return len(self.start)

    def spans(self, k: int) -> list[tuple[int, int]]:
        """The candidates of sentence ``k`` as ``(start, end)`` pairs."""
        lo, hi = int(self.offsets[k]), int(self.offsets[k + 1])
        return list(zip(self.start[lo:hi].tolist(), self.end[lo:hi].tolist()))


@dataclass(kw_only=True)
class CandidateExtractor(Component, ABC):
    """Proposes candidate target spans for every sentence of a batch at once.

    Subclasses implement :meth:`extract`, returning one :class:`CandidateSet` for the whole
    :class:`ProblemBatch` (use :meth:`CandidateSet.from_arrays`). Candidates must lie inside
    their target sentence.
    """

    @abstractmethod
    def extract(self, problems: ProblemBatch) -> CandidateSet:
        """The candidates of every sentence in ``problems``."""


_MAX_WORDS = Interval(int, 1, None)


def _range_candidates(
    problems: ProblemBatch,
    first: IntArray,
    last_end: IntArray,
    max_words: int | None,
    require_link: bool,
    *,
    sorted_unique: bool = False,
) -> CandidateSet:
    """All ranges ``[a, b)`` with ``first[r] <= a``, ``b <= last_end[r]`` (flat positions, one
    row ``r`` per allowed start ``a = first[r]``), no sentence-final word, at most
    ``max_words`` words and, with ``require_link``, a word linked to some entity.

    Returns them as candidates (sentence-local spans); ``sorted_unique`` as for
    :meth:`CandidateSet.from_arrays`.
    """
    a = first
    stop = np.minimum(problems.next_final()[a], last_end)  # exclusive bound on the end
    lo = a + 1
    if require_link:
        lo = np.maximum(lo, problems.next_linked()[a] + 1)
    hi = stop if max_words is None else np.minimum(stop, a + max_words)
    ends, row = _concat_ranges(lo, hi - lo + 1)
    start = a[row]
    sentence = problems.position_sentence()[start]
    base = problems.tgt_offsets[sentence]
    return CandidateSet.from_arrays(
        len(problems), sentence, start - base, ends - base, sorted_unique=sorted_unique
    )


@dataclass(kw_only=True)
class NgramCandidates(CandidateExtractor):
    """Every n-gram of 1 to ``max_words`` target words without sentence-final punctuation.

    Parameters
    ----------
    max_words
        The longest candidate, in words.
    require_link
        Keep only n-grams containing a target word linked to some source entity (the others
        score 0 under alignment scoring); ``False`` keeps all of them, for model-based scorers.

    Examples
    --------
    >>> from xproj import Alignment, LabelledSentence, Sentence, Span
    >>> src = LabelledSentence(("Ana", "sings", "."), (Span(0, 1, "PER"),))
    >>> batch = ProblemBatch.build([src], [Sentence(("Ana", "canta", "."))],
    ...                            [Alignment(3, 3, ((0, 0), (1, 1), (2, 2)))])
    >>> NgramCandidates().extract(batch).spans(0)
    [(0, 1), (0, 2)]
    >>> NgramCandidates(require_link=False).extract(batch).spans(0)
    [(0, 1), (0, 2), (1, 2)]
    """

    max_words: int = 10
    require_link: bool = True
    _constraints = {"max_words": _MAX_WORDS, "require_link": InstanceOf((bool,))}

    def extract(self, problems: ProblemBatch) -> CandidateSet:
        n_pos = int(problems.tgt_offsets[-1])
        pos = np.arange(n_pos, dtype=np.int64)
        sentence_end = problems.tgt_offsets[1:][problems.position_sentence()]
        return _range_candidates(
            problems, pos, sentence_end, self.max_words, self.require_link, sorted_unique=True
        )


@dataclass(kw_only=True)
class AlignedRanges(CandidateExtractor):
    """For each entity, every sub-range between its leftmost and rightmost linked target word.

    Ranges containing sentence-final punctuation are left out, as are (with ``require_link``)
    ranges containing no word linked to any entity; ``max_words`` caps the length.

    Examples
    --------
    >>> from xproj import Alignment, LabelledSentence, Sentence, Span
    >>> src = LabelledSentence(("the", "Red", "Cross"), (Span(1, 3, "ORG"),))
    >>> batch = ProblemBatch.build([src], [Sentence(("la", "Cruz", "muy", "Roja"))],
    ...                            [Alignment(3, 4, ((0, 0), (1, 3), (2, 1)))])
    >>> AlignedRanges().extract(batch).spans(0)
    [(1, 2), (1, 3), (1, 4), (2, 4), (3, 4)]
    """

    max_words: int | None = 10
    require_link: bool = True
    _constraints = {"max_words": NoneOr(_MAX_WORDS), "require_link": InstanceOf((bool,))}

    def extract(self, problems: ProblemBatch) -> CandidateSet:
        ents, first, last = problems.entity_hulls()
        flat0 = problems.tgt_offsets[problems.ent_sentence[ents]]
        starts, row = _concat_ranges(flat0 + first, last - first + 1)
        return _range_candidates(
            problems, starts, (flat0 + last + 1)[row], self.max_words, self.require_link
        )


@dataclass(kw_only=True)
class AlignedMerges(CandidateExtractor):
    """For each entity, the runs of target words linked to it and every merge of neighbouring runs.

    A *run* is a maximal stretch of consecutive target words linked to the entity. The
    candidates of an entity with runs ``r_1 .. r_m`` are ``[start(r_i), end(r_j))`` for all
    ``i <= j`` (the words between runs included), at most ``max_words`` long and without
    sentence-final punctuation. These are the spans the heuristic projector chooses among.

    Examples
    --------
    >>> from xproj import Alignment, LabelledSentence, Sentence, Span
    >>> src = LabelledSentence(("the", "Red", "Cross"), (Span(1, 3, "ORG"),))
    >>> batch = ProblemBatch.build([src], [Sentence(("la", "Cruz", "muy", "Roja"))],
    ...                            [Alignment(3, 4, ((0, 0), (1, 3), (2, 1)))])
    >>> AlignedMerges().extract(batch).spans(0)
    [(1, 2), (1, 4), (3, 4)]
    """

    max_words: int | None = 10
    _constraints = {"max_words": NoneOr(_MAX_WORDS)}

    def extract(self, problems: ProblemBatch) -> CandidateSet:
        e, t = problems.el_entity, problems.el_target
        n = len(problems)
        if len(e) == 0:
            empty = np.zeros(0, dtype=np.int64)
            return CandidateSet.from_arrays(n, empty, empty, empty, sorted_unique=True)
        new_entity = np.r_[True, e[1:] != e[:-1]]
        # Runs: a new run starts at a new entity or where the target word skips ahead by > 1.
        distinct = np.r_[True, (e[1:] != e[:-1]) | (t[1:] != t[:-1])]
        e, t, new_entity = e[distinct], t[distinct], new_entity[distinct]
        new_run = new_entity | np.r_[True, t[1:] != t[:-1] + 1]
        run_first = np.flatnonzero(new_run)
        run_last = np.r_[run_first[1:], len(t)] - 1
        run_entity = e[run_first]
        run_start, run_end = t[run_first], t[run_last] + 1
        # Run j of the same entity, for each run i <= j.
        entity_last_run = np.r_[np.flatnonzero(np.diff(run_entity)), len(run_entity) - 1]
        group = np.cumsum(np.r_[True, np.diff(run_entity) != 0]) - 1
        last_of_run = entity_last_run[group]
        idx = np.arange(len(run_entity), dtype=np.int64)
        j, i = _concat_ranges(idx, last_of_run - idx + 1)
        sentence = problems.ent_sentence[run_entity[i]]
        start, end = run_start[i], run_end[j]
        flat0 = problems.tgt_offsets[sentence]
        keep = problems.next_final()[flat0 + start] >= flat0 + end
        if self.max_words is not None:
            keep &= end - start <= self.max_words
        return CandidateSet.from_arrays(n, sentence[keep], start[keep], end[keep])


@dataclass(kw_only=True)
class ExternalCandidates(CandidateExtractor):
    """The spans given to :meth:`~xproj.project.matching.MatchingProjector.project_with_candidates`,
    one list per sentence (for example a target-side NER model's spans). Their labels are ignored.

    Raises
    ------
    InputError
        If no spans were given (the projector was called through ``project``), or a span lies
        outside its target sentence.
    """

    def extract(self, problems: ProblemBatch) -> CandidateSet:
        given = problems.external
        if given is None:
            raise InputError(
                "ExternalCandidates needs candidate spans: call project_with_candidates(sources, "
                "targets, alignments, candidates) with one list of spans per sentence"
            )
        counts = np.fromiter((len(c) for c in given), np.int64, len(given))
        flat = [(sp.start, sp.end) for c in given for sp in c]
        arr = np.array(flat, dtype=np.int64).reshape(-1, 2)
        sentence = np.repeat(np.arange(len(given), dtype=np.int64), counts)
        bad = np.flatnonzero(arr[:, 1] > problems.tgt_len[sentence])
        if len(bad):
            k = int(sentence[bad[0]])
            s, e = arr[bad[0]].tolist()
            raise InputError(
                f"external candidate [{s}, {e}) ends past the target's {int(problems.tgt_len[k])} "
                "words; give spans as word ranges of the target sentence",
                sentence=k,
            )
        return CandidateSet.from_arrays(len(problems), sentence, arr[:, 0], arr[:, 1])


def _nonempty_extractors(value: Any) -> bool:
    return (
        isinstance(value, tuple)
        and len(value) > 0
        and all(isinstance(v, CandidateExtractor) for v in value)
    )


@dataclass(kw_only=True)
class UnionCandidates(CandidateExtractor):
    """The union of several extractors' candidates (duplicates removed).

    Examples
    --------
    >>> u = UnionCandidates(extractors=(AlignedMerges(), ExternalCandidates()))
    >>> [type(x).__name__ for x in u.extractors]
    ['AlignedMerges', 'ExternalCandidates']
    """

    extractors: tuple[CandidateExtractor, ...]
    _constraints = {
        "extractors": Predicate(
            _nonempty_extractors, "a non-empty tuple of CandidateExtractor instances"
        )
    }

    def extract(self, problems: ProblemBatch) -> CandidateSet:
        parts = [x.extract(problems) for x in self.extractors]
        return CandidateSet.from_arrays(
            len(problems),
            np.concatenate([p.sentence for p in parts]),
            np.concatenate([p.start for p in parts]),
            np.concatenate([p.end for p in parts]),
        )


@dataclass(frozen=True)
class MatchingProblem:
    """One sentence's matching problem, for inspection and per-sentence scorers.

    Attributes
    ----------
    source, target, alignment
        The sentence pair and its alignment.
    candidates
        The candidate target spans as ``(start, end)`` pairs.
    """

    source: LabelledSentence
    target: Sentence
    alignment: Alignment
    candidates: tuple[tuple[int, int], ...]


def _linked_pairs(problems: ProblemBatch, candidates: CandidateSet) -> tuple[IntArray, IntArray]:
    """``(entity, candidate)`` of every pair whose candidate contains a target word linked to
    the entity, sorted by entity, then candidate.

    Each such candidate ``[a, b)`` is found once, from the first linked word ``t >= a``: with
    ``t'`` the entity's previous linked word, ``t' < a <= t < b``. Candidates are sorted by
    (sentence, start, end), so for each (entity, ``t``, ``a``) the candidates with start ``a``
    and end ``> t`` are one contiguous index range.
    """
    e, t = problems.el_entity, problems.el_target
    empty = np.zeros(0, dtype=np.int64)
    if len(e) == 0 or len(candidates) == 0:
        return empty, empty
    distinct = np.r_[True, (e[1:] != e[:-1]) | (t[1:] != t[:-1])]
    e, t = e[distinct], t[distinct]
    t_prev = np.r_[-1, t[:-1]]
    t_prev[np.r_[True, e[1:] != e[:-1]]] = -1
    longest = int((candidates.end - candidates.start).max())
    a_lo = np.maximum(t_prev + 1, t - longest + 1)
    a, row = _concat_ranges(a_lo, t - a_lo + 1)
    m = int(candidates.end.max()) + 2
    key = (candidates.sentence * m + candidates.start) * m + candidates.end
    sent_m = problems.ent_sentence[e[row]] * m
    lo = np.searchsorted(key, (sent_m + a) * m + t[row] + 1)
    hi = np.searchsorted(key, (sent_m + a + 1) * m)
    cand, r2 = _concat_ranges(lo.astype(np.int64), (hi - lo).astype(np.int64))
    return e[row[r2]], cand


@dataclass(frozen=True, eq=False)
class CandidateBatch:
    """A :class:`ProblemBatch` with its candidates and their (entity, candidate) pairs.

    With ``linked_only=False`` (dense) the pairs of sentence ``k`` are every entity with every
    candidate, laid out as the row-major ``(n_entities_k, n_candidates_k)`` matrix, so a flat
    score array over the pairs is the concatenation of the raveled per-sentence score
    matrices. With ``linked_only=True`` only the pairs whose candidate contains a target word
    linked to the entity are formed (the others score 0 under alignment-based scoring), in
    the same order. Either way pairs are sorted by entity, then candidate start and end, and
    :meth:`split` / :meth:`join` convert between the flat array and per-sentence matrices
    (zeros where no pair was formed).

    Attributes
    ----------
    problems, candidates
        The batch and its candidates.
    dense
        Whether every (entity, candidate) pair is formed.
    pair_offsets
        ``(n + 1,)``: the pairs of sentence ``k`` are ``pair_offsets[k]:pair_offsets[k + 1]``.
    pair_entity, pair_candidate
        ``(P,)``: the global entity and candidate of each pair.
    pair_start, pair_end
        ``(P,)``: the candidate's target word range, repeated per pair for convenience.
    """

    problems: ProblemBatch
    candidates: CandidateSet
    dense: bool
    pair_offsets: IntArray
    pair_entity: IntArray
    pair_candidate: IntArray
    pair_start: IntArray
    pair_end: IntArray

    @classmethod
    def build(
        cls, problems: ProblemBatch, candidates: CandidateSet, *, linked_only: bool = False
    ) -> CandidateBatch:
        """Pair the entities of each sentence with its candidates (see the class docstring)."""
        n = len(problems)
        if len(candidates.offsets) != n + 1:  # an extractor bug, never the user's
            raise RuntimeError(
                f"the candidate set covers {len(candidates.offsets) - 1} sentences, the batch {n}"
            )
        if linked_only:
            entity, cand = _linked_pairs(problems, candidates)
            count = np.bincount(problems.ent_sentence[entity], minlength=n).astype(np.int64)
            pair_offsets = _offsets(count)
        else:
            ne = np.diff(problems.ent_offsets)
            nc = np.diff(candidates.offsets)
            pair_offsets = _offsets(ne * nc)
            # Only sentences with pairs: entity-major blocks, one candidate range per entity.
            ents_with = np.flatnonzero(nc[problems.ent_sentence] > 0)
            k = problems.ent_sentence[ents_with]
            cand, row = _concat_ranges(candidates.offsets[k], nc[k])
            entity = ents_with[row]
        return cls(
            problems=problems,
            candidates=candidates,
            dense=not linked_only,
            pair_offsets=pair_offsets,
            pair_entity=entity,
            pair_candidate=cand,
            pair_start=candidates.start[cand],
            pair_end=candidates.end[cand],
        )

    def __len__(self) -> int:
        return len(self.problems)

    @property
    def n_pairs(self) -> int:
        return len(self.pair_entity)

    def shape(self, k: int) -> tuple[int, int]:
        """``(n_entities, n_candidates)`` of sentence ``k``."""
        p, c = self.problems.ent_offsets, self.candidates.offsets
        return int(p[k + 1] - p[k]), int(c[k + 1] - c[k])

    def _local(self) -> tuple[IntArray, IntArray]:
        """Each pair's row (entity) and column (candidate) in its sentence's matrix."""
        sent = self.problems.ent_sentence[self.pair_entity]
        rows = self.pair_entity - self.problems.ent_offsets[sent]
        cols = self.pair_candidate - self.candidates.offsets[sent]
        return rows, cols

    def split(self, flat: FloatArray) -> list[FloatArray]:
        """Per-sentence ``(n_entities, n_candidates)`` matrices of a flat pair array (views
        when dense; zeros where no pair was formed otherwise)."""
        if len(flat) != self.n_pairs:
            raise InputError(f"{len(flat)} scores for the batch's {self.n_pairs} pairs")
        out: list[FloatArray] = []
        offs = self.pair_offsets.tolist()
        if self.dense:
            for k in range(len(self)):
                out.append(flat[offs[k] : offs[k + 1]].reshape(self.shape(k)))
            return out
        rows, cols = self._local()
        for k in range(len(self)):
            m = np.zeros(self.shape(k), dtype=np.float64)
            lo, hi = offs[k], offs[k + 1]
            m[rows[lo:hi], cols[lo:hi]] = flat[lo:hi]
            out.append(m)
        return out

    def join(self, matrices: Sequence[FloatArray]) -> FloatArray:
        """The flat pair array of per-sentence ``(n_entities, n_candidates)`` matrices (only
        the formed pairs' entries when not dense).

        Raises
        ------
        InputError
            If a matrix has the wrong shape, naming its sentence.
        """
        if len(matrices) != len(self):
            raise InputError(f"{len(matrices)} score matrices for {len(self)} sentences")
        for k, m in enumerate(matrices):
            if np.shape(m) != self.shape(k):
                raise InputError(
                    f"score matrix of shape {np.shape(m)}, expected (entities, candidates) = "
                    f"{self.shape(k)}",
                    sentence=k,
                )
        if not matrices:
            return np.zeros(0, dtype=np.float64)
        if self.dense:
            return np.concatenate([np.asarray(m, dtype=np.float64).ravel() for m in matrices])
        rows, cols = self._local()
        offs = self.pair_offsets.tolist()
        parts = [
            np.asarray(m, dtype=np.float64)[
                rows[offs[k] : offs[k + 1]], cols[offs[k] : offs[k + 1]]
            ]
            for k, m in enumerate(matrices)
        ]
        return np.concatenate(parts)

    def problem(self, k: int) -> MatchingProblem:
        """The matching problem of sentence ``k``."""
        p = self.problems
        return MatchingProblem(
            p.sources[k], p.targets[k], p.alignments[k], tuple(self.candidates.spans(k))
        )

    def pair_strings(self) -> tuple[list[str], list[str]]:
        """The entity text and the candidate text of every pair, for string-based scorers."""
        p = self.problems
        src_text = [
            " ".join(p.sources[k].words[s:e])
            for k, s, e in zip(p.ent_sentence.tolist(), p.ent_start.tolist(), p.ent_end.tolist())
        ]
        sent = self.candidates.sentence.tolist()
        cand_text = [
            " ".join(p.targets[k].words[s:e])
            for k, s, e in zip(sent, self.candidates.start.tolist(), self.candidates.end.tolist())
        ]
        return (
            [src_text[e] for e in self.pair_entity.tolist()],
            [cand_text[c] for c in self.pair_candidate.tolist()],
        )
