"""The Projector interface."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol, runtime_checkable

from xproj._batch import check_items, check_same_length
from xproj.errors import InputError
from xproj.params import Component
from xproj.reported import Reported
from xproj.types import Alignment, LabelledSentence, Projection, Sentence, Span

__all__ = ["AcceptsCandidates", "Projector", "check_projection_inputs"]


def check_projection_inputs(
    sources: Sequence[LabelledSentence],
    targets: Sequence[Sentence],
    alignments: Sequence[Alignment],
) -> None:
    """Raise :class:`InputError` naming the sentence where batch shapes disagree."""
    check_same_length(sources=sources, targets=targets, alignments=alignments)
    check_items("sources", sources, LabelledSentence)
    check_items("targets", targets, (Sentence, LabelledSentence))
    check_items("alignments", alignments, Alignment)
    for k, (s, t, a) in enumerate(zip(sources, targets, alignments)):
        if a.src_len != len(s.words) or a.tgt_len != len(t.words):
            raise InputError(
                f"the alignment is for {a.src_len} source and {a.tgt_len} target words, but the "
                f"sentences have {len(s.words)} and {len(t.words)}; align the same sentences "
                "you project",
                sentence=k,
            )


@dataclass(kw_only=True)
class Projector(Component, ABC):
    """Carries each source sentence's entities onto its target sentence.

    Projectors are pure functions of (source spans, alignment, target words): no I/O and no
    models. Subclasses implement :meth:`_project`; :meth:`project` checks the batch first.
    Every input sentence yields exactly one :class:`~xproj.types.Projection`, also when the
    target is empty (all its source entities are then reported as unprojected).
    """

    def project(
        self,
        sources: Sequence[LabelledSentence],
        targets: Sequence[Sentence],
        alignments: Sequence[Alignment],
    ) -> list[Projection]:
        """Project a batch; lists in, one :class:`Projection` per sentence out."""
        return self._checked(sources, targets, alignments).items

    def project_reported(
        self,
        sources: Sequence[LabelledSentence],
        targets: Sequence[Sentence],
        alignments: Sequence[Alignment],
    ) -> Reported[Projection]:
        """:meth:`project`, with the backend's report on the call (empty if it has none)."""
        return self._checked(sources, targets, alignments)

    def _checked(
        self,
        sources: Sequence[LabelledSentence],
        targets: Sequence[Sentence],
        alignments: Sequence[Alignment],
    ) -> Reported[Projection]:
        # one call deep from both public methods, so warnings point at their caller
        check_projection_inputs(sources, targets, alignments)
        out = Reported.of(self._project(sources, targets, alignments))
        if len(out) != len(sources):  # a backend bug, never the user's
            raise RuntimeError(
                f"{type(self).__name__} returned {len(out)} projections for {len(sources)} "
                "sentences"
            )
        return out

    @abstractmethod
    def _project(
        self,
        sources: Sequence[LabelledSentence],
        targets: Sequence[Sentence],
        alignments: Sequence[Alignment],
    ) -> list[Projection] | Reported[Projection]:
        """Project a checked batch (a :class:`~xproj.reported.Reported` to report on it)."""


@runtime_checkable
class AcceptsCandidates(Protocol):
    """A projector that can also take externally supplied target candidate spans
    (e.g. the spans of a target-language NER model), one list per sentence."""

    def project_with_candidates(
        self,
        sources: Sequence[LabelledSentence],
        targets: Sequence[Sentence],
        alignments: Sequence[Alignment],
        candidates: Sequence[Sequence[Span]],
    ) -> list[Projection]: ...
