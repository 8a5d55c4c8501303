"""Candidate scores from a target-side NER model's per-word label probabilities.

For a source entity of type ``l`` and a candidate target span of words ``i .. j`` (``n``
words), the NER score is (García-Ferrero's thesis)::

    alpha ** (n - 1) * (p_i(B-l) + sum_{k=i+1..j} p_k(I-l)) / n

where ``p_k(T)`` is the probability the labeller gives word ``k`` of the *target* sentence for
tag ``T``. It is high when the labeller thinks the candidate is exactly one ``l`` entity: its
first word begins one and its other words continue it. ``alpha`` (1.15) rewards longer spans
slightly, since the mean over more words is harder to keep high. Scores below ``threshold``
(0.05) are set to 0. The class-free variant (``class_free=True``) takes the maximum over the
labeller's entity types instead of the entity's own type, for labellers whose types differ from
the source's. BIOES tags count as IOB2 ones: ``S-l`` adds to the begin probability, ``E-l`` to
the inside probability.

Probabilities come from a labeller with a ``label_with_probs`` method, such as
:class:`~xproj.label.transformers.TransformersLabeller`; the scorer runs it once per batch over
the target sentences it has not seen before (results are cached by the sentence's words). A
labeller that only gives spans, such as :class:`~xproj.label.spacy.SpacyLabeller` (spaCy's
entity recogniser is a transition-based parser with no per-word tag distribution), can be used
with ``hard_labels=True``: each word then gets a degenerate 0/1 distribution from the spans,
so a candidate scores ``alpha ** (n - 1)`` when it is exactly one of the labeller's ``l``
spans, and less (down to 0) the less it lines up with them.

:class:`LabellerCandidates` is the matching candidate extractor: each target sentence's
candidates are the labeller's spans (labels ignored; the projected label comes from the source
entity). When a projector uses both with the same labeller (the same object, or an equal one,
as two entries of a config build), :func:`share_labelling` links them, and each target sentence
is labelled once for both: the spans are those the scorer's labelling decoded.

Examples
--------
>>> import numpy as np
>>> from xproj import Alignment, LabelledSentence, Sentence, Span
>>> from xproj.label.transformers import LabelProbabilities
>>> from xproj.project.candidates import CandidateBatch, NgramCandidates, ProblemBatch
>>> class Fixed:  # any object with label_with_probs works
...     labels = ("O", "B-PER", "I-PER")
...     def label_with_probs(self, sentences):
...         p = np.array([[0.9, 0.1, 0.0], [0.1, 0.8, 0.1], [0.2, 0.1, 0.7]], "float32")
...         return [LabelProbabilities(LabelledSentence(s.words), p, self.labels)
...                 for s in sentences]
>>> src = LabelledSentence(("Ana", "Lima", "sings"), (Span(0, 2, "PER"),))
>>> p = ProblemBatch.build([src], [Sentence(("canta", "Ana", "Lima"))],
...                        [Alignment(3, 3, ((0, 1), (1, 2), (2, 0)))])
>>> batch = CandidateBatch.build(p, NgramCandidates(require_link=False).extract(p))
>>> batch.candidates.spans(0)
[(0, 1), (0, 2), (0, 3), (1, 2), (1, 3), (2, 3)]
>>> NERScorer(labeller=Fixed()).score_matrices(batch)[0].round(4)
array([[0.1   , 0.115 , 0.3967, 0.8   , 0.8625, 0.1   ]])

The best candidate, "Ana Lima" (words 1-2), scores 1.15 * (0.8 + 0.7) / 2 = 0.8625.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

import numpy as np

from xproj.errors import InputError, ParameterError
from xproj.label.base import Labeller
from xproj.params import Component, InstanceOf, Interval, Predicate
from xproj.project.candidates import (
    CandidateExtractor,
    CandidateSet,
    FloatArray,
    ProblemBatch,
)
from xproj.project.scorers import Scorer
from xproj.types import LabelledSentence, Sentence

if TYPE_CHECKING:
    from xproj.label.transformers import LabelProbabilities

__all__ = [
    "LabellerCandidates",
    "NERScorer",
    "ProvidesProbabilities",
    "hard_distributions",
    "ner_scores",
    "share_labelling",
]

_BEGIN = ("B", "S")
_INSIDE = ("I", "E")


@runtime_checkable
class ProvidesProbabilities(Protocol):
    """A labeller that also returns each word's tag distribution (see
    :meth:`~xproj.label.transformers.TransformersLabeller.label_with_probs`)."""

    def label_with_probs(self, sentences: Sequence[Sentence]) -> list[LabelProbabilities]: ...


def _split(tag: str) -> tuple[str, str]:
    prefix, sep, typ = tag.partition("-")
    return (prefix, typ) if sep and typ else ("O", "")


def _begin_inside(labels: Sequence[str], probs: np.ndarray) -> dict[str, tuple[Any, Any]]:
    """Per entity type, the begin and inside probability of every word."""
    out: dict[str, list[Any]] = {}
    n = probs.shape[0]
    for col, tag in enumerate(labels):
        prefix, typ = _split(tag)
        if prefix not in _BEGIN + _INSIDE:
            continue
        slot = out.setdefault(typ, [np.zeros(n), np.zeros(n)])
        slot[0 if prefix in _BEGIN else 1] = slot[0 if prefix in _BEGIN else 1] + probs[:, col]
    return {t: (b, i) for t, (b, i) in out.items()}


def hard_distributions(sentences: Sequence[LabelledSentence]) -> list[dict[str, tuple[Any, Any]]]:
    """Degenerate per-type begin/inside distributions from labelled spans (1 or 0 per word).

    >>> s = LabelledSentence.from_tags(["a", "Ana", "Lima"], ["O", "B-PER", "I-PER"])
    >>> b, i = hard_distributions([s])[0]["PER"]
    >>> b.tolist(), i.tolist()
    ([0.0, 1.0, 0.0], [0.0, 0.0, 1.0])
    """
    out = []
    for s in sentences:
        d: dict[str, tuple[Any, Any]] = {}
        for sp in s.spans:
            b, i = d.setdefault(sp.label, (np.zeros(len(s)), np.zeros(len(s))))
            b[sp.start] = 1.0
            i[sp.start + 1 : sp.end] = 1.0
        out.append(d)
    return out


def ner_scores(
    begin: FloatArray,
    inside: FloatArray,
    start: Any,
    end: Any,
    alpha: float,
) -> FloatArray:
    """The NER score of spans ``[start, end)`` of flat word positions (vectorised).

    ``begin`` and ``inside`` hold one probability per flat word position; spans must not cross
    sentence boundaries.

    >>> ner_scores(np.array([0.9, 0.1]), np.array([0.0, 0.8]), np.array([0, 0, 1]),
    ...            np.array([1, 2, 2]), 1.15).round(4).tolist()
    [0.9, 0.9775, 0.1]
    """
    cum = np.concatenate([[0.0], np.cumsum(inside, dtype=np.float64)])
    start = np.asarray(start, dtype=np.int64)
    end = np.asarray(end, dtype=np.int64)
    n = end - start
    total = begin[start] + cum[end] - cum[start + 1]
    out: FloatArray = alpha ** (n - 1.0) * total / n
    return out


@dataclass(kw_only=True)
class NERScorer(Scorer):
    """The NER-probability score of each (entity, candidate) pair (see the module docstring).

    Parameters
    ----------
    labeller
        A labeller of the target language. With a ``label_with_probs`` method (e.g.
        :class:`~xproj.label.transformers.TransformersLabeller`) its word distributions are
        used; otherwise set ``hard_labels=True`` to use 0/1 distributions from its spans.
    alpha
        The length reward (the thesis's 1.15).
    threshold
        Scores below this are set to 0 (the thesis's 0.05).
    class_free
        Score each candidate with the best entity type instead of the entity's own type.
    hard_labels
        Allow a labeller without probabilities, with degenerate 0/1 distributions from its
        spans. Without it such a labeller is an error.

    Raises
    ------
    InputError
        At scoring time, if an entity's type is not one the labeller knows (with
        ``class_free=False``; for probability labellers), naming the type and the sentence.

    Notes
    -----
    The labeller is run once per new target sentence; its results are cached by the sentence's
    words (:meth:`reset`, called by ``set_params``, clears the cache).
    """

    labeller: Labeller | ProvidesProbabilities
    alpha: float = 1.15
    threshold: float = 0.05
    class_free: bool = False
    hard_labels: bool = False
    _cache: dict[tuple[str, ...], dict[str, tuple[Any, Any]]] = field(
        default_factory=dict, init=False, repr=False, compare=False
    )
    _types: tuple[str, ...] | None = field(default=None, init=False, repr=False, compare=False)
    _spans: dict[tuple[str, ...], list[tuple[int, int]]] = field(
        default_factory=dict, init=False, repr=False, compare=False
    )

    _constraints = {
        "labeller": Predicate(
            lambda v: isinstance(v, (Labeller, ProvidesProbabilities)),
            "a Labeller or an object with a label_with_probs method",
        ),
        "alpha": Interval(float, 0, None, closed="neither"),
        "threshold": Interval(float, 0, None),
        "class_free": InstanceOf((bool,)),
        "hard_labels": InstanceOf((bool,)),
    }

    def validate_params(self) -> None:
        super().validate_params()
        if not isinstance(self.labeller, ProvidesProbabilities) and not self.hard_labels:
            raise ParameterError(
                f"NERScorer needs per-word label probabilities, which "
                f"{type(self.labeller).__name__} does not give (it has no label_with_probs); use "
                "a labeller that does (TransformersLabeller), or pass hard_labels=True to score "
                "with 0/1 distributions from its spans"
            )

    def distributions(self, sentences: Sequence[Sentence]) -> list[dict[str, tuple[Any, Any]]]:
        """Per sentence, per entity type, the begin and inside probability of every word."""
        todo: dict[tuple[str, ...], Sentence] = {}
        for s in sentences:
            if s.words not in self._cache and s.words not in todo:
                todo[s.words] = s
        if todo:
            batch = list(todo.values())
            if isinstance(self.labeller, ProvidesProbabilities):
                results = self.labeller.label_with_probs(batch)
                for s, r in zip(batch, results):
                    self._cache[s.words] = _begin_inside(r.labels, r.probs)
                    self._spans[s.words] = [(p.start, p.end) for p in r.sentence.spans]
                    if self._types is None:
                        self._types = tuple(sorted(self._cache[s.words]))
            else:
                labelled = self.labeller.label(batch)
                for s, d, ls in zip(batch, hard_distributions(labelled), labelled):
                    self._cache[s.words] = d
                    self._spans[s.words] = [(p.start, p.end) for p in ls.spans]
        return [self._cache[s.words] for s in sentences]

    def spans(self, sentences: Sequence[Sentence]) -> list[list[tuple[int, int]]]:
        """The labeller's spans of each sentence, as ``(start, end)`` word offsets, from the
        same labelling as :meth:`distributions` (run once per new sentence)."""
        self.distributions(sentences)
        return [self._spans[s.words] for s in sentences]

    def _score(self, batch: Any) -> FloatArray:
        p = batch.problems
        if batch.n_pairs == 0:
            return np.zeros(0, dtype=np.float64)
        dists = self.distributions(p.targets)
        types = set(p.ent_label) if not self.class_free else set()
        for d in dists:
            types.update(d)
        if self._types is not None and not self.class_free:
            known = set(self._types)
            for e, label in enumerate(p.ent_label):
                if label not in known:
                    raise InputError(
                        f"the entity type {label!r} is not one of the labeller's "
                        f"({', '.join(sorted(known))}); map the types with the labeller's "
                        "label_map, or use class_free=True",
                        sentence=int(p.ent_sentence[e]),
                    )
        flat_start = p.tgt_offsets[p.ent_sentence[batch.pair_entity]] + batch.pair_start
        flat_end = flat_start + (batch.pair_end - batch.pair_start)
        scores = {}
        total = int(p.tgt_offsets[-1])
        for typ in sorted(types):
            begin = np.zeros(total)
            inside = np.zeros(total)
            for k, d in enumerate(dists):
                if typ in d:
                    lo, hi = int(p.tgt_offsets[k]), int(p.tgt_offsets[k + 1])
                    begin[lo:hi] = d[typ][0]
                    inside[lo:hi] = d[typ][1]
            scores[typ] = ner_scores(begin, inside, flat_start, flat_end, self.alpha)
        if self.class_free:
            if not scores:
                return np.zeros(batch.n_pairs, dtype=np.float64)
            out: FloatArray = np.max(np.stack(list(scores.values())), axis=0)
            return out
        labels = np.asarray(p.ent_label, dtype=object)[batch.pair_entity]
        result = np.zeros(batch.n_pairs, dtype=np.float64)
        for typ, sc in scores.items():
            mask = labels == typ
            result[mask] = sc[mask]
        return result


@dataclass(kw_only=True)
class LabellerCandidates(CandidateExtractor):
    """Each target sentence's candidates are a target-side labeller's spans.

    Parameters
    ----------
    labeller
        Any :class:`~xproj.label.base.Labeller` of the target language; its labels are
        ignored (the projected label comes from the source entity). It runs once per new
        target sentence (cached by words).

    Examples
    --------
    >>> from xproj import Alignment, LabelledSentence, Sentence, Span
    >>> from xproj.label.base import Labeller
    >>> class Caps(Labeller):  # every capitalised word is an entity
    ...     def _label(self, sentences):
    ...         return [LabelledSentence(s.words, tuple(Span(i, i + 1, "X")
    ...                 for i, w in enumerate(s.words) if w[:1].isupper())) for s in sentences]
    >>> src = LabelledSentence(("Ana", "sings"), (Span(0, 1, "PER"),))
    >>> p = ProblemBatch.build([src], [Sentence(("canta", "Ana"))], [Alignment(2, 2, ())])
    >>> LabellerCandidates(labeller=Caps()).extract(p).spans(0)
    [(1, 2)]
    """

    labeller: Labeller
    _cache: dict[tuple[str, ...], list[tuple[int, int]]] = field(
        default_factory=dict, init=False, repr=False, compare=False
    )
    #: The NER scorer with the same labeller whose labelling this extractor reuses
    #: (set by :func:`share_labelling`).
    _partner: NERScorer | None = field(default=None, init=False, repr=False, compare=False)
    _constraints = {"labeller": InstanceOf((Labeller,))}

    def extract(self, problems: ProblemBatch) -> CandidateSet:
        if self._partner is not None:
            spans = self._partner.spans(problems.targets)
        else:
            spans = self._label(problems.targets)
        counts = np.fromiter((len(c) for c in spans), np.int64, len(spans))
        arr = np.array([x for c in spans for x in c], dtype=np.int64).reshape(-1, 2)
        sentence = np.repeat(np.arange(len(spans), dtype=np.int64), counts)
        return CandidateSet.from_arrays(len(problems), sentence, arr[:, 0], arr[:, 1])

    def _label(self, targets: Sequence[Sentence]) -> list[list[tuple[int, int]]]:
        todo: dict[tuple[str, ...], Sentence] = {}
        for t in targets:
            if t.words not in self._cache and t.words not in todo:
                todo[t.words] = t
        if todo:
            batch = list(todo.values())
            for s, labelled in zip(batch, self.labeller.label(batch)):
                self._cache[s.words] = [(sp.start, sp.end) for sp in labelled.spans]
        return [self._cache[t.words] for t in targets]


def _components(root: Component) -> list[Component]:
    """``root`` and every component among its parameters, nested, in tuples and lists too
    (a union's extractors, a fusion's scorers). Labellers are not entered: nothing to link
    lives inside them."""
    out: dict[int, Component] = {}
    stack = [root]
    while stack:
        c = stack.pop()
        if id(c) in out:
            continue
        out[id(c)] = c
        if isinstance(c, Labeller):
            continue
        for f in dataclasses.fields(c):
            if f.init:
                v = getattr(c, f.name)
                stack.extend(
                    x
                    for x in (v if isinstance(v, (tuple, list)) else [v])
                    if isinstance(x, Component)
                )
    return list(out.values())


def share_labelling(candidates: CandidateExtractor, scorer: Scorer) -> int:
    """Let each :class:`LabellerCandidates` in ``candidates`` reuse the labelling of an
    :class:`NERScorer` in ``scorer`` whose labeller is the same object or an equal one, so
    that a projector using both labels each target sentence once, not twice.

    Returns the number of extractors linked (already linked ones included). Idempotent;
    :meth:`~xproj.params.Component.reset` (after ``set_params``) undoes a link.

    >>> from xproj.label.base import Labeller
    >>> from xproj.project.candidates import NgramCandidates, UnionCandidates
    >>> from xproj.project.scorers import AlignmentScorer, WeightedFusion
    >>> class Caps(Labeller):
    ...     def _label(self, sentences):
    ...         return [LabelledSentence(s.words) for s in sentences]
    >>> lab = Caps()
    >>> cands = UnionCandidates(extractors=(NgramCandidates(), LabellerCandidates(labeller=lab)))
    >>> fused = WeightedFusion(scorers=(AlignmentScorer(), NERScorer(labeller=lab,
    ...                                                              hard_labels=True)))
    >>> share_labelling(cands, fused)
    1
    """
    scorers = [c for c in _components(scorer) if isinstance(c, NERScorer)]
    linked = 0
    for c in _components(candidates):
        if not isinstance(c, LabellerCandidates):
            continue
        if c._partner is None:
            c._partner = next(
                (s for s in scorers if s.labeller is c.labeller or s.labeller == c.labeller),
                None,
            )
        linked += c._partner is not None
    return linked
