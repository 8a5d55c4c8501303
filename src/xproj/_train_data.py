"""What a ``train`` step learns from: a dataset's projected sentences, selected (private).

:func:`_training_set` leaves out the projected sentences that also occur in the dataset's
held-out gold (compared by :func:`match_key`) and those a :data:`FILTERS` entry or the step's
``min_score`` rejects, counting each reason for the step's report. :mod:`xproj.executor` runs
the step (and re-exports :data:`FILTERS` and :func:`match_key`).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from xproj.types import LabelledSentence, Projection

if TYPE_CHECKING:
    from xproj.executor import DatasetState, ExtraStep

__all__ = ["FILTERS", "match_key"]

#: The sentence filters of a ``train`` step, by name: the reasons a projected sentence is left
#: out, checked in this order (a sentence is counted under the first that applies). A sentence
#: with an unprojected entity would teach the model that entity's words as ``O``; one with more
#: or fewer target spans than source entities had an entity split or merged. Selecting
#: projected sentences by such quality checks and by projection scores (``min_score``) is the
#: usual clean-up of projected training data (Ni et al., 2017, "Weakly Supervised
#: Cross-Lingual Named Entity Recognition via Effective Annotation and Representation
#: Projection").
FILTERS: dict[str, tuple[str, ...]] = {
    "none": (),
    "complete": ("unprojected_entity",),
    "complete+count": ("unprojected_entity", "span_count"),
}


def match_key(words: Sequence[str]) -> str:
    """A sentence's text without whitespace, case-folded: two sentences that differ only in
    spacing, tokenisation or case get the same key (the held-out overlap check of ``train``).

    >>> match_key(["New", "York"]) == match_key(["new york"])
    True
    """
    return "".join("".join(w.split()) for w in words).casefold()


def _training_set(
    d: DatasetState, step: ExtraStep
) -> tuple[list[LabelledSentence], dict[str, Any]]:
    """The dataset's projected sentences a train step learns from, and what it counted.

    A sentence that also occurs in the dataset's held-out gold (:func:`match_key`) is left
    out: training on the sentences a model is scored on would inflate its score. Then the
    step's :data:`FILTERS` and ``min_score`` leave out incompletely projected sentences; the
    report counts each reason, so that ``projected_sentences`` = ``heldout_overlap_dropped``
    + the ``filter_dropped`` counts + ``dataset_sentences``.

    Raises
    ------
    ValueError
        The filter is unknown, or ``min_score`` is set and a projected span has no score (its
        projector does not score spans).
    """
    if step.filter not in FILTERS:
        raise ValueError(
            f"step {step.name!r}: no filter named {step.filter!r}; use one of {', '.join(FILTERS)}"
        )
    projections = d.methods[step.inputs[0]]
    counts: dict[str, Any] = {}
    filtering = step.filter != "none" or step.min_score is not None
    if filtering:
        counts["projected_sentences"] = len(projections)
    if d.heldout:
        keys = {match_key(s.words) for split in d.heldout.values() for s in split}
        kept = [p for p in projections if match_key(p.target.words) not in keys]
        counts["heldout_overlap_dropped"] = len(projections) - len(kept)
        projections = kept
    if filtering:
        reasons = list(FILTERS[step.filter])
        if step.min_score is not None:
            reasons.append("low_score")
        dropped = dict.fromkeys(reasons, 0)
        kept = []
        for k, p in enumerate(projections):
            reason = _filter_reason(p, reasons, step, d.name, k)
            if reason is None:
                kept.append(p)
            else:
                dropped[reason] += 1
        counts["filter_dropped"] = dropped
        projections = kept
    sentences = [p.target for p in projections]
    if step.pool or step.mix or filtering:
        counts["dataset_sentences"] = len(sentences)
    if step.mix:
        counts["mixed_sentences"] = len(step.mix)
    return sentences, counts


def _filter_reason(
    p: Projection, reasons: Sequence[str], step: ExtraStep, dataset: str, k: int
) -> str | None:
    """The first of ``reasons`` that leaves projection ``p`` out of training, or None."""
    for reason in reasons:
        if reason == "unprojected_entity" and p.unprojected:
            return reason
        if reason == "span_count" and len(p.target.spans) != p.n_source:
            return reason
        if reason == "low_score":
            assert step.min_score is not None
            for sp in p.projected:
                if sp.score is None:
                    raise ValueError(
                        f"step {step.name!r}, dataset {dataset}, sentence {k}: the projected "
                        f"span {sp.start}-{sp.end} has no score (its projector "
                        f"{step.inputs[0]!r} does not score spans); remove min_score or train "
                        "on a projector that scores its spans"
                    )
                if sp.score < step.min_score:
                    return reason
    return None
