"""A batch of projection problems, flat: the sentences, entities and alignment links of a batch
as numpy arrays (:class:`ProblemBatch`), and the candidate target spans an extractor found for
each sentence (:class:`CandidateSet`). :mod:`xproj.project.candidates` builds on them (and
re-exports them); they are here so that each module stays readable on its own.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from itertools import chain
from operator import itemgetter
from typing import Any

import numpy as np
import numpy.typing as npt

from xproj.types import Alignment, LabelledSentence, Sentence, Span

__all__ = [
    "SENTENCE_FINAL_PUNCTUATION",
    "BoolArray",
    "CandidateSet",
    "FloatArray",
    "IntArray",
    "ProblemBatch",
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
