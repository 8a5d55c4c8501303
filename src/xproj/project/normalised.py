"""Target-side span normalisation of projections.

Projection puts a source entity onto the target words aligned to it, so the target span
follows the source labeller's idea of the entity, translated: an English "Gentleman" (Apertium's
rendering of the Spanish form of address "Señor") that the English labeller took for an
organisation becomes a projected ORG span on "Señor". The target language's own span
conventions are known to :class:`~xproj.label.normalise.SpanNormaliser` (per-language word
lists of titles, forms of address, determiners), so :class:`NormalisingProjector` applies a
normaliser of the *target* language to every projected span: spans made only of a form of
address are dropped, leading titles and determiners leave the span, and so on. Every sentence
still comes out; an entity whose only span is dropped is reported as unprojected.

Examples
--------
>>> from xproj import Alignment, LabelledSentence, Sentence
>>> from xproj.label.normalise import SpanNormaliser
>>> from xproj.project.heuristic import HeuristicProjector
>>> src = LabelledSentence.from_tags(["Gentleman", "President", ",", "Mr", "Prodi"],
...                                  ["B-ORG", "O", "O", "B-PER", "I-PER"], "en")
>>> tgt = Sentence(("Señor", "Presidente", ",", "señor", "Prodi"), "es")
>>> ali = Alignment(5, 5, ((0, 0), (1, 1), (2, 2), (3, 3), (4, 4)))
>>> HeuristicProjector().project([src], [tgt], [ali])[0].tags
('B-ORG', 'O', 'O', 'B-PER', 'I-PER')
>>> norm = SpanNormaliser(lang="es", title_labels=("PER", "ORG", "LOC", "MISC"))
>>> p = NormalisingProjector(projector=HeuristicProjector(), normaliser=norm)
>>> out = p.project([src], [tgt], [ali])[0]
>>> out.tags, out.unprojected
(('O', 'O', 'O', 'O', 'B-PER'), (0,))
>>> p.last_normalisation.dropped, p.last_normalisation.titles
(1, 1)
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import ClassVar

from xproj.label.normalise import NormalisationStats, SpanNormaliser
from xproj.params import InstanceOf
from xproj.project.base import Projector
from xproj.types import Alignment, LabelledSentence, ProjectedSpan, Projection, Sentence, Span

__all__ = ["NormalisingProjector", "normalise_projections"]


def normalise_projections(
    projections: Sequence[Projection], normaliser: SpanNormaliser
) -> tuple[list[Projection], NormalisationStats]:
    """Normalise the target spans of each projection, keeping which entity each came from.

    Spans the normaliser drops leave their entity unprojected (unless it has another span).
    """
    stats = NormalisationStats()
    out = []
    for p in projections:
        words = p.target.words
        spans = []
        for ps in p.projected:
            s = normaliser.normalise_span(words, Span(ps.start, ps.end, ps.label, ps.score), stats)
            if s is not None:
                spans.append(ProjectedSpan(s.start, s.end, s.label, ps.source, ps.score, ps.method))
        out.append(Projection.build(words, spans, p.n_source, p.target.lang))
    return out, stats


@dataclass(kw_only=True)
class NormalisingProjector(Projector):
    """Project with ``projector``, then normalise the target spans with ``normaliser``.

    Parameters
    ----------
    projector
        Any projector.
    normaliser
        A :class:`~xproj.label.normalise.SpanNormaliser` of the target language (e.g.
        ``SpanNormaliser(lang="es")``). To drop form-of-address-only spans of every type
        (what a labeller of another language mislabels), list every type in its
        ``title_labels``.

    Attributes
    ----------
    last_normalisation : NormalisationStats
        What the normaliser changed in the last :meth:`project` call.
    """

    name: ClassVar[str] = "normalised"
    projector: Projector
    normaliser: SpanNormaliser
    last_normalisation: NormalisationStats | None = field(
        default=None, init=False, repr=False, compare=False
    )
    _constraints = {
        "projector": InstanceOf((Projector,)),
        "normaliser": InstanceOf((SpanNormaliser,)),
    }

    def _project(
        self,
        sources: Sequence[LabelledSentence],
        targets: Sequence[Sentence],
        alignments: Sequence[Alignment],
    ) -> list[Projection]:
        out, self.last_normalisation = normalise_projections(
            self.projector.project(sources, targets, alignments), self.normaliser
        )
        return out
