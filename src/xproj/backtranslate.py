"""Back-translation refinement of translate-test projections (the paper's first enhancement).

Translate-test labels the English translation of each target sentence and projects the English
entities back onto the target words through a word alignment between two different languages.
Back-translation adds a second, target-to-target route::

    target sentence ----translate----> English ----label----> English entities
          ^                                                         |
          |  align (target-to-target)                               | translate back WITH markers
          +---------------- back-translation with marked entities <-+

1. the labelled English translation is translated back into the target language with each
   entity wrapped in markers (:class:`~xproj.translate.markers.MarkerTranslator`, entities
   whose markers are lost are searched for by fuzzy matching, then reported lost);
2. the back-translation is aligned with the original target sentence, by the same aligner
   (both sides are now in one language, so far more words are identical or close);
3. the marked spans are projected onto the original words by a projector;
4. the result is fused with the direct projection (:class:`Fuse`).

Every sentence comes out, one :class:`~xproj.types.Projection` per target sentence, whose
``source`` indices refer to the entities of the labelled English translation, as the direct
projection's do. Sentences of a language the translator cannot translate into (an Apertium pair
that is not installed) raise, or with ``on_error="direct"`` keep their direct projection and
are counted in the report of :meth:`BackTranslationRefiner.refine_reported`.

Examples
--------
>>> from xproj import LabelledSentence, Projection, ProjectedSpan, Sentence
>>> from xproj.align.precomputed import PrecomputedAligner
>>> from xproj.translate.parallel import ParallelTranslator
>>> target = Sentence(("Habló", "la", "Sra.", "de", "Palacio", "."), "es")
>>> english = LabelledSentence.from_tags(
...     ["Mrs", "of", "Palace", "spoke", "."], ["O", "O", "B-PER", "O", "O"], "en")
>>> direct = Projection.build(target.words, [ProjectedSpan(4, 5, "PER", 0)], 1, "es")
>>> refiner = BackTranslationRefiner(
...     translator=ParallelTranslator(sentences=["La Sra. [ de Palacio ] habló ."]),
...     aligner=PrecomputedAligner(links=[[(0, 1), (1, 2), (2, 3), (3, 4), (4, 0), (5, 5)]]),
...     fuse="union")
>>> result = refiner.refine_reported([target], [english], [direct])
>>> out = result.items
>>> out[0].tags
('O', 'O', 'O', 'B-PER', 'I-PER', 'O')
>>> out[0].projected[0].method
'backtranslation'
>>> result.report["marker"], result.report["back_projected"]
(1, 1)
"""

from __future__ import annotations

import enum
from abc import ABC, abstractmethod
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from xproj._batch import check_same_length
from xproj.align.base import Aligner
from xproj.errors import InputError, XprojError
from xproj.params import Component, InstanceOf, Interval, Options, Predicate
from xproj.project.base import Projector
from xproj.project.heuristic import HeuristicProjector
from xproj.reported import Reported
from xproj.translate.base import Translator
from xproj.translate.markers import DEFAULT_MARKERS, MarkerTranslator, Outcome
from xproj.types import LabelledSentence, ProjectedSpan, Projection, Sentence

if TYPE_CHECKING:
    from xproj.pipeline import PipelineResult

__all__ = [
    "BackTranslationRefiner",
    "BackTranslationReport",
    "Fuse",
    "OnError",
    "Refiner",
    "fuse_projections",
]

METHOD = "backtranslation"
"""The ``method`` of :class:`~xproj.types.ProjectedSpan` objects found by back-translation."""


class Fuse(str, enum.Enum):
    """How the back-translation projection is combined with the direct one.

    ``NONE``
        The back-translation projection alone (entities it loses stay unprojected).
    ``UNION``
        Back-translation spans first, then the direct spans of the entities back-translation
        did not project, where they overlap no span already taken.
    ``DIRECT_FIRST``
        Direct spans first, then the back-translation spans of the entities the direct
        projection did not project, where they overlap nothing.
    ``AGREEMENT``
        Only spans both routes give (same words, same entity): high precision, low recall.
    """

    NONE = "none"
    UNION = "union"
    DIRECT_FIRST = "direct_first"
    AGREEMENT = "agreement"


class OnError(str, enum.Enum):
    """What to do when the translator cannot translate into a sentence's language."""

    RAISE = "raise"  # re-raise the translator's error
    DIRECT = "direct"  # keep the direct projection for that language's sentences, counted


@dataclass(frozen=True)
class BackTranslationReport:
    """What happened in one :meth:`BackTranslationRefiner.refine_reported` call.

    Parameters
    ----------
    n_sentences
        Target sentences in (as many projections came out).
    n_entities
        English entities of the sentences that were back-translated.
    n_marker, n_fuzzy, n_lost
        Of those, entities found in the back-translation through their markers, by fuzzy
        matching, and not at all.
    n_back_projected
        Entities the back-translation route projected onto the original words.
    n_agree
        Entities both routes projected onto exactly the same words.
    n_from_direct
        Output entities taken from the direct projection (fusion, or fallback sentences).
    n_output
        Entities projected in the output.
    n_fallback_sentences
        Sentences (with entities) that kept their direct projection because the translator
        failed for their language (``on_error="direct"``); see ``errors``.
    n_empty_back
        Back-translations that came out empty (their entities count as lost).
    errors
        Target language -> the translator's error message, for fallback languages.
    """

    n_sentences: int = 0
    n_entities: int = 0
    n_marker: int = 0
    n_fuzzy: int = 0
    n_lost: int = 0
    n_back_projected: int = 0
    n_agree: int = 0
    n_from_direct: int = 0
    n_output: int = 0
    n_fallback_sentences: int = 0
    n_empty_back: int = 0
    errors: dict[str, str] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {
            "sentences": self.n_sentences,
            "entities": self.n_entities,
            "marker": self.n_marker,
            "fuzzy": self.n_fuzzy,
            "lost": self.n_lost,
            "back_projected": self.n_back_projected,
            "agree": self.n_agree,
            "from_direct": self.n_from_direct,
            "output": self.n_output,
            "fallback_sentences": self.n_fallback_sentences,
            "empty_back": self.n_empty_back,
            "errors": dict(self.errors),
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> BackTranslationReport:
        """The report :meth:`to_dict` wrote (e.g. the report of a ``refine`` step)."""
        kw = {f"n_{k}": v for k, v in data.items() if k not in ("errors", "fallback_sentences")}
        return cls(
            **kw,
            n_fallback_sentences=data.get("fallback_sentences", 0),
            errors=dict(data.get("errors", {})),
        )


def _overlaps(span: ProjectedSpan, taken: list[ProjectedSpan]) -> bool:
    return any(span.start < t.end and t.start < span.end for t in taken)


def fuse_projections(
    back: Sequence[ProjectedSpan],
    direct: Sequence[ProjectedSpan],
    fuse: Fuse | str,
) -> list[ProjectedSpan]:
    """Combine one sentence's back-translation and direct spans (see :class:`Fuse`).

    Both lists hold non-overlapping spans whose ``source`` indexes the same English entities.

    Examples
    --------
    >>> b = [ProjectedSpan(0, 2, "PER", 0, method="backtranslation")]
    >>> d = [ProjectedSpan(1, 2, "PER", 0), ProjectedSpan(4, 5, "LOC", 1)]
    >>> [(s.start, s.end, s.source) for s in fuse_projections(b, d, "union")]
    [(0, 2, 0), (4, 5, 1)]
    >>> [(s.start, s.end, s.source) for s in fuse_projections(b, d, "direct_first")]
    [(1, 2, 0), (4, 5, 1)]
    >>> fuse_projections(b, d, "agreement")
    []
    """
    how = Fuse(fuse)
    if how is Fuse.NONE:
        return list(back)
    if how is Fuse.AGREEMENT:
        keys = {(s.start, s.end, s.label, s.source) for s in back}
        return [s for s in direct if (s.start, s.end, s.label, s.source) in keys]
    first, second = (back, direct) if how is Fuse.UNION else (direct, back)
    out = list(first)
    done = {s.source for s in first}
    for s in second:
        if s.source not in done and not _overlaps(s, out):
            out.append(s)
    return out


@dataclass(kw_only=True)
class Refiner(Component, ABC):
    """Improves translate-test projections with a second route to the same entities.

    A refiner sees the target sentences, their labelled translations and the direct
    projections of those labels onto the targets, and returns one projection per target whose
    ``source`` indices refer to the same translated entities. The ``refiners`` registry holds
    them (``xproj.refiners``); a flow's ``refine`` step runs one. Subclasses implement
    :meth:`_refine` (returning the projections, or a :class:`~xproj.reported.Reported`).
    """

    def refine(
        self,
        targets: Sequence[Sentence],
        labelled_translations: Sequence[LabelledSentence],
        direct_projections: Sequence[Projection],
    ) -> list[Projection]:
        """One refined projection per target sentence (see :meth:`_refine`)."""
        return self.refine_reported(targets, labelled_translations, direct_projections).items

    def refine_reported(
        self,
        targets: Sequence[Sentence],
        labelled_translations: Sequence[LabelledSentence],
        direct_projections: Sequence[Projection],
    ) -> Reported[Projection]:
        """:meth:`refine`, with the refiner's report on the call."""
        check_same_length(
            targets=targets,
            labelled_translations=labelled_translations,
            direct_projections=direct_projections,
        )
        out = Reported.of(self._refine(targets, labelled_translations, direct_projections))
        if len(out) != len(targets):  # a backend bug, never the user's
            raise RuntimeError(
                f"{type(self).__name__} returned {len(out)} projections for {len(targets)} "
                "sentences"
            )
        return out

    @abstractmethod
    def _refine(
        self,
        targets: Sequence[Sentence],
        labelled_translations: Sequence[LabelledSentence],
        direct_projections: Sequence[Projection],
    ) -> list[Projection] | Reported[Projection]:
        """Refine a batch of equal length."""


@dataclass(kw_only=True)
class BackTranslationRefiner(Refiner):
    """Refine translate-test projections by back-translating the labelled English with markers.

    Parameters
    ----------
    translator
        Translates the English translations back into each target sentence's language (e.g.
        Apertium ``eng-spa``, or NLLB); wrapped in a
        :class:`~xproj.translate.markers.MarkerTranslator`.
    aligner
        Aligns each back-translation (source side) with its original sentence (target side);
        use the aligner of the direct projection.
    projector
        Projects the marked spans of the back-translation onto the original words (default:
        :class:`~xproj.project.heuristic.HeuristicProjector`).
    fuse
        :class:`Fuse`: ``"none"``, ``"union"`` (default), ``"direct_first"`` or
        ``"agreement"``.
    markers
        Marker pairs for the marker translation (see
        :data:`~xproj.translate.markers.DEFAULT_MARKERS`).
    fuzzy
        Look for entities whose markers were lost by fuzzy string matching.
    fuzzy_threshold
        The least string similarity for a fuzzy match.
    on_error
        :class:`OnError`: ``"raise"`` (default) the translator's error when it cannot
        translate into a language, or ``"direct"`` to keep the direct projection of that
        language's sentences (counted in the report).

    Reports
    -------
    :meth:`refine_reported` returns the counts of :class:`BackTranslationReport` (as a table)
    as its report, and in ``per_item["back_translations"]`` the back-translations with their
    marked entities, one per target sentence (``None`` for sentences that were not
    back-translated: no entities, or a fallback).
    """

    translator: Translator
    aligner: Aligner
    projector: Projector = field(default_factory=HeuristicProjector)
    fuse: Fuse | str = Fuse.UNION
    markers: Sequence[tuple[str, str]] = DEFAULT_MARKERS
    fuzzy: bool = True
    fuzzy_threshold: float = 0.6
    on_error: OnError | str = OnError.RAISE

    _constraints = {
        "translator": InstanceOf((Translator,)),
        "aligner": InstanceOf((Aligner,)),
        "projector": InstanceOf((Projector,)),
        "fuse": Options.of(Fuse),
        "markers": Predicate(
            lambda v: isinstance(v, Sequence) and len(v) > 0, "a non-empty list of marker pairs"
        ),
        "fuzzy": InstanceOf((bool,)),
        "fuzzy_threshold": Interval(float, 0, 1),
        "on_error": Options.of(OnError),
    }

    def refine_result(self, result: PipelineResult) -> list[Projection]:
        """:meth:`refine` a :meth:`Pipeline.translate_test <xproj.pipeline.Pipeline.translate_test>`
        result: its targets, labelled translations (``sources``) and projections."""
        return self.refine(result.targets, result.sources, result.projections)

    def _refine(
        self,
        targets: Sequence[Sentence],
        labelled_translations: Sequence[LabelledSentence],
        direct_projections: Sequence[Projection],
    ) -> Reported[Projection]:
        """One refined projection per target sentence, with a :class:`BackTranslationReport`
        (as a table) as its report and the back-translations in ``per_item``.

        Parameters
        ----------
        targets
            The original sentences, each with its ``lang`` set (the language to translate
            back into).
        labelled_translations
            Their labelled English translations (each with ``lang`` set, e.g. ``"en"``).
        direct_projections
            The translate-test projections of those entities onto ``targets``.

        Raises
        ------
        InputError
            If the batches differ in length, a target has no language, or a direct projection
            does not belong to its target sentence and translation (naming the sentence).
        """
        groups: dict[str, list[int]] = {}
        for k, (t, en, d) in enumerate(zip(targets, labelled_translations, direct_projections)):
            if d.target.words != t.words:
                raise InputError(
                    "the direct projection is for other words than the target sentence; pass "
                    "the projections made onto these targets, in the same order",
                    sentence=k,
                )
            if d.n_source != len(en.spans):
                raise InputError(
                    f"the direct projection has {d.n_source} source entities but the labelled "
                    f"translation has {len(en.spans)}; pass the translation it was projected from",
                    sentence=k,
                )
            if en.spans:
                if t.lang is None:
                    raise InputError(
                        "the target sentence has no language: set Sentence.lang so it can be "
                        "translated back into it",
                        sentence=k,
                    )
                if en.lang is None:
                    raise InputError(
                        "the labelled translation has no language: set its lang (e.g. 'en')",
                        sentence=k,
                    )
                groups.setdefault(t.lang, []).append(k)
        n = len(targets)
        backs: list[LabelledSentence | None] = [None] * n
        back_index: list[dict[int, int]] = [{} for _ in range(n)]  # back span -> entity
        counts = dict.fromkeys(("entities", "marker", "fuzzy", "lost", "fallback", "empty"), 0)
        errors: dict[str, str] = {}
        marker_translator = MarkerTranslator(
            translator=self.translator,
            markers=self.markers,
            fuzzy=self.fuzzy,
            threshold=self.fuzzy_threshold,
        )
        for lang, idx in groups.items():
            try:
                result = marker_translator.translate([labelled_translations[k] for k in idx], lang)
            except XprojError as e:
                if OnError(self.on_error) is OnError.RAISE:
                    raise
                errors[lang] = str(e)
                counts["fallback"] += len(idx)
                continue
            for k, mt in zip(idx, result.sentences):
                backs[k] = mt.translation
                counts["empty"] += not mt.translation.words
                for o in mt.outcomes:
                    counts["entities"] += 1
                    if o.outcome is Outcome.MARKER:
                        counts["marker"] += 1
                    elif o.outcome is Outcome.FUZZY:
                        counts["fuzzy"] += 1
                    else:
                        counts["lost"] += 1
                    if o.target is not None:
                        back_index[k][o.target] = o.source
        todo = [k for k in range(n) if backs[k] is not None]
        back_spans: dict[int, list[ProjectedSpan]] = {}
        if todo:
            sources = [b for b in (backs[k] for k in todo) if b is not None]
            tgts = [targets[k] for k in todo]
            alignments = self.aligner.align([s.sentence for s in sources], tgts)
            for k, p in zip(todo, self.projector.project(sources, tgts, alignments)):
                back_spans[k] = [
                    ProjectedSpan(s.start, s.end, s.label, back_index[k][s.source], s.score, METHOD)
                    for s in p.projected
                ]
        out: list[Projection] = []
        n_back = n_agree = n_direct = n_out = 0
        for k, (t, en, d) in enumerate(zip(targets, labelled_translations, direct_projections)):
            if k not in back_spans:
                out.append(d)
                n_direct += len(d.projected)
                n_out += len(d.projected)
                continue
            bt = back_spans[k]
            n_back += len({s.source for s in bt})
            keys = {(s.start, s.end, s.label, s.source) for s in bt}
            n_agree += len(
                {s.source for s in d.projected if (s.start, s.end, s.label, s.source) in keys}
            )
            spans = fuse_projections(bt, d.projected, self.fuse)
            n_direct += sum(1 for s in spans if s.method != METHOD)
            n_out += len(spans)
            out.append(Projection.build(t.words, spans, len(en.spans), t.lang))
        report = BackTranslationReport(
            n_sentences=n,
            n_entities=counts["entities"],
            n_marker=counts["marker"],
            n_fuzzy=counts["fuzzy"],
            n_lost=counts["lost"],
            n_back_projected=n_back,
            n_agree=n_agree,
            n_from_direct=n_direct,
            n_output=n_out,
            n_fallback_sentences=counts["fallback"],
            n_empty_back=counts["empty"],
            errors=errors,
        )
        return Reported(out, report.to_dict(), {"back_translations": backs})
