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

With ``complete_names=True`` it also completes names: a projected span that lies inside a run
of capitalised words of the target (:func:`xproj.translate.protect.find_name_runs` with the
titles and name particles of the target language's normaliser preset; without a preset, runs
of adjacent capitalised words) is extended to the whole run, unless another projected span
overlaps the run. Labellers of the other language often find only part of a long name
("Verde" alone in "Partido Verde Ecologista"); the target's capitalisation shows where the
name ends. It only helps languages that
capitalise names. Two spans in one run (two names written side by side) are left alone.

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
>>> norm = SpanNormaliser(lang="es", honorific_labels=("PER", "ORG", "LOC", "MISC"))
>>> p = NormalisingProjector(projector=HeuristicProjector(), normaliser=norm)
>>> result = p.project_reported([src], [tgt], [ali])
>>> out = result.items[0]
>>> out.tags, out.unprojected
(('O', 'O', 'O', 'O', 'B-PER'), (0,))
>>> result.report["normalisation"]["dropped"], result.report["normalisation"]["titles"]
(1, 1)
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from xproj.label.normalise import NormalisationStats, SpanNormaliser
from xproj.params import InstanceOf, NoneOr
from xproj.project.base import Projector
from xproj.reported import Reported
from xproj.types import Alignment, LabelledSentence, ProjectedSpan, Projection, Sentence, Span

__all__ = ["NormalisingProjector", "complete_names", "normalise_projections"]


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


def complete_names(projections: Sequence[Projection]) -> tuple[list[Projection], int]:
    """Extend projected spans to the capitalised name run they lie in (see the module).

    Returns the projections and how many spans were extended.

    >>> words = ("en", "Buenos", "Aires", "con", "Ana", "Lima", "Pérez")
    >>> p = Projection.build(words, [ProjectedSpan(2, 3, "LOC", 0), ProjectedSpan(4, 5, "PER", 1),
    ...                              ProjectedSpan(5, 6, "PER", 2)], 3, "es")
    >>> out, n = complete_names([p])
    >>> out[0].tags, n
    (('O', 'B-LOC', 'I-LOC', 'O', 'B-PER', 'B-PER', 'O'), 1)
    """
    from xproj.translate.protect import find_name_runs

    out = []
    n = 0
    for p in projections:
        words = p.target.words
        titles, honorifics, particles = _titles(p.target.lang)
        runs = find_name_runs(words, titles=titles, honorifics=honorifics, particles=particles)
        spans = []
        for s in p.projected:
            inside = [(a, b) for a, b in runs if a <= s.start and s.end <= b]
            if inside:
                a, b = inside[0]
                alone = not any(t is not s and t.start < b and a < t.end for t in p.projected)
                if alone and (a, b) != (s.start, s.end):
                    s = ProjectedSpan(a, b, s.label, s.source, s.score, s.method)
                    n += 1
            spans.append(s)
        out.append(Projection.build(words, spans, p.n_source, p.target.lang))
    return out, n


def _titles(lang: str | None) -> tuple[frozenset[str], frozenset[str], frozenset[str]]:
    """Single-word titles, forms of address and name particles of a language's preset."""
    from xproj.label.normalise import PRESETS

    preset = None if lang is None else PRESETS.get(lang.split("-")[0].lower())
    if preset is None:
        return frozenset(), frozenset(), frozenset()
    honorifics = frozenset(t for t in preset.honorifics if " " not in t)
    titles = frozenset(t for t in preset.titles if " " not in t) | honorifics
    particles = frozenset(w for t in preset.particles for w in t.split())
    return titles, honorifics, particles


@dataclass(kw_only=True)
class NormalisingProjector(Projector):
    """Project with ``projector``, then normalise the target spans with ``normaliser``.

    Parameters
    ----------
    projector
        Any projector.
    normaliser
        A :class:`~xproj.label.normalise.SpanNormaliser` of the target language (e.g.
        ``SpanNormaliser(lang="es")``), or ``None`` for none. To drop form-of-address-only
        spans of every type (what a labeller of another language mislabels), list every type
        in its ``honorific_labels``.
    complete_names
        Extend spans to the capitalised name run they lie in (after normalising).

    Reports
    -------
    :meth:`project_reported`'s report holds the wrapped projector's report, what the
    normaliser changed (``normalisation``, :class:`~xproj.label.normalise.NormalisationStats`)
    and how many spans name completion extended (``completed``).
    """

    projector: Projector
    normaliser: SpanNormaliser | None = None
    complete_names: bool = False
    _constraints = {
        "projector": InstanceOf((Projector,)),
        "normaliser": NoneOr(InstanceOf((SpanNormaliser,))),
        "complete_names": InstanceOf((bool,)),
    }

    def _project(
        self,
        sources: Sequence[LabelledSentence],
        targets: Sequence[Sentence],
        alignments: Sequence[Alignment],
    ) -> Reported[Projection]:
        inner = self.projector.project_reported(sources, targets, alignments)
        out, report = inner.items, dict(inner.report)
        if self.normaliser is not None:
            out, stats = normalise_projections(out, self.normaliser)
            report["normalisation"] = stats.to_dict()
        if self.complete_names:
            out, report["completed"] = complete_names(out)
        return Reported(out, report)
