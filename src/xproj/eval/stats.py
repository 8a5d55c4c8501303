"""Projection statistics: how many entities went in, how many were projected, how many dropped.

Every count comes from the :class:`~xproj.types.Projection` objects themselves (which record,
for each target span, the source entity it came from, and the source entities that were not
projected), so nothing a projector drops goes unreported. Give the source sentences to get
counts per source label, and the target gold to compare the number of projected spans with the
number of gold entities (the projected/gold ratio: below 1 the projection misses entities,
above 1 it over-generates).

Examples
--------
>>> from xproj.types import LabelledSentence, ProjectedSpan, Projection, Span
>>> src = LabelledSentence(("Angela", "Merkel", "in", "Paris"),
...                        (Span(0, 2, "PER"), Span(3, 4, "LOC")))
>>> proj = Projection.build(("Angela", "Merkel", "en", "París"),
...                         [ProjectedSpan(0, 2, "PER", source=0, method="greedy")], n_source=2)
>>> gold = LabelledSentence(("Angela", "Merkel", "en", "París"),
...                         (Span(0, 2, "PER"), Span(3, 4, "LOC")))
>>> st = projection_stats([proj], sources=[src], gold=[gold])
>>> st.source_entities, st.projected_entities, st.unprojected_entities, st.target_spans
(2, 1, 1, 1)
>>> st.projected_gold_ratio, st.per_label["LOC"].unprojected
(0.5, 1)
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from xproj.errors import InputError
from xproj.types import LabelledSentence, Projection

__all__ = ["LabelStats", "ProjectionStats", "projection_stats"]


@dataclass(frozen=True)
class LabelStats:
    """Counts for one entity label; ``None`` where the input to count it was not given.

    Attributes
    ----------
    source
        Source entities with this label (needs ``sources``).
    projected
        Source entities with this label projected at least once (needs ``sources``).
    unprojected
        Source entities with this label not projected (needs ``sources``).
    target_spans
        Projected target spans with this label.
    gold
        Gold target entities with this label (needs ``gold``).
    """

    source: int | None
    projected: int | None
    unprojected: int | None
    target_spans: int
    gold: int | None

    def to_dict(self) -> dict[str, Any]:
        return {
            "source": self.source,
            "projected": self.projected,
            "unprojected": self.unprojected,
            "target_spans": self.target_spans,
            "gold": self.gold,
        }


@dataclass(frozen=True)
class ProjectionStats:
    """The result of :func:`projection_stats`; ``to_dict()`` is JSON-ready.

    Attributes
    ----------
    sentences
        Projections counted (one per input sentence).
    empty_targets
        Target sentences with no words (e.g. empty translations).
    source_entities
        Source entities, all sentences together.
    projected_entities
        Source entities projected onto at least one target span.
    unprojected_entities
        Source entities projected nowhere (dropped), as the projections record them.
    target_spans
        Projected target spans (more than ``projected_entities`` when an entity may be
        projected more than once).
    projected_ratio
        ``projected_entities / source_entities`` (0 when there are no source entities).
    gold_entities
        Gold target entities, if ``gold`` was given.
    projected_gold_ratio
        ``target_spans / gold_entities``, if ``gold`` was given (None when it has no entities).
    methods
        Target spans per producing method (``ProjectedSpan.method``).
    per_label
        :class:`LabelStats` per label, sorted by label.
    """

    sentences: int
    empty_targets: int
    source_entities: int
    projected_entities: int
    unprojected_entities: int
    target_spans: int
    projected_ratio: float
    gold_entities: int | None = None
    projected_gold_ratio: float | None = None
    methods: dict[str, int] = field(default_factory=dict)
    per_label: dict[str, LabelStats] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {
            "sentences": self.sentences,
            "empty_targets": self.empty_targets,
            "source_entities": self.source_entities,
            "projected_entities": self.projected_entities,
            "unprojected_entities": self.unprojected_entities,
            "target_spans": self.target_spans,
            "projected_ratio": self.projected_ratio,
            "gold_entities": self.gold_entities,
            "projected_gold_ratio": self.projected_gold_ratio,
            "methods": dict(self.methods),
            "per_label": {k: v.to_dict() for k, v in self.per_label.items()},
        }


def _labelled(item: LabelledSentence | Projection) -> LabelledSentence:
    return item.target if isinstance(item, Projection) else item


def projection_stats(
    projections: Sequence[Projection],
    *,
    sources: Sequence[LabelledSentence] | None = None,
    gold: Sequence[LabelledSentence | Projection] | None = None,
) -> ProjectionStats:
    """Count what a projection run did.

    Parameters
    ----------
    projections
        One :class:`~xproj.types.Projection` per sentence.
    sources
        The labelled source sentences the projections came from, for per-label source counts.
        Each must have as many entities as its projection's ``n_source``.
    gold
        The gold target sentences, for the projected/gold ratio; each must have as many words
        as its projection's target.

    Returns
    -------
    ProjectionStats

    Raises
    ------
    InputError
        If ``sources`` or ``gold`` has a different number of sentences than ``projections``,
        or a sentence does not match its projection (naming the sentence index).
    """
    n = len(projections)
    for name, other in (("sources", sources), ("gold", gold)):
        if other is not None and len(other) != n:
            raise InputError(
                f"{n} projections but {len(other)} {name} sentences; give one per projection"
            )
    src_by_label: Counter[str] = Counter()
    proj_by_label: Counter[str] = Counter()
    unproj_by_label: Counter[str] = Counter()
    spans_by_label: Counter[str] = Counter()
    gold_by_label: Counter[str] = Counter()
    methods: Counter[str] = Counter()
    empty = n_source = n_projected = n_unprojected = n_spans = 0

    for k, p in enumerate(projections):
        if not isinstance(p, Projection):
            raise InputError(f"expected a Projection, got {type(p).__name__}", sentence=k)
        done = {ps.source for ps in p.projected}
        empty += len(p.target) == 0
        n_source += p.n_source
        n_projected += len(done)
        n_unprojected += len(p.unprojected)
        n_spans += len(p.projected)
        spans_by_label.update(ps.label for ps in p.projected)
        methods.update(ps.method for ps in p.projected)
        if sources is not None:
            src = sources[k]
            if len(src.spans) != p.n_source:
                raise InputError(
                    f"the source sentence has {len(src.spans)} entities but its projection "
                    f"records {p.n_source}; give the sources the projections were made from",
                    sentence=k,
                )
            for i, s in enumerate(src.spans):
                src_by_label[s.label] += 1
                (proj_by_label if i in done else unproj_by_label)[s.label] += 1
        if gold is not None:
            g = _labelled(gold[k])
            if len(g) != len(p.target):
                raise InputError(
                    f"the gold sentence has {len(g)} words but the projection's target has "
                    f"{len(p.target)}; gold must label the same target words",
                    sentence=k,
                )
            gold_by_label.update(s.label for s in g.spans)

    n_gold = sum(gold_by_label.values()) if gold is not None else None
    labels = sorted(src_by_label.keys() | spans_by_label.keys() | gold_by_label.keys())
    have_src = sources is not None
    per_label = {
        label: LabelStats(
            source=src_by_label[label] if have_src else None,
            projected=proj_by_label[label] if have_src else None,
            unprojected=unproj_by_label[label] if have_src else None,
            target_spans=spans_by_label[label],
            gold=gold_by_label[label] if gold is not None else None,
        )
        for label in labels
    }
    return ProjectionStats(
        sentences=n,
        empty_targets=empty,
        source_entities=n_source,
        projected_entities=n_projected,
        unprojected_entities=n_unprojected,
        target_spans=n_spans,
        projected_ratio=n_projected / n_source if n_source else 0.0,
        gold_entities=n_gold,
        projected_gold_ratio=(n_spans / n_gold) if n_gold else None,
        methods=dict(sorted(methods.items())),
        per_label=per_label,
    )
