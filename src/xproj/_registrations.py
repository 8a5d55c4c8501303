"""Every registry and every built-in component, as ``"module:Class"`` strings imported on first use.

This is the one place built-ins are registered; nothing registers itself at import time. Each
registry is an attribute of :mod:`xproj` (``xproj.scorers``) created on first access, with an
entry-point group through which other packages add components::

    [project.entry-points."xproj.scorers"]
    length = "my_package.scoring:LengthPrior"

A component has exactly one name: its key here (or the name it was registered under). A config
names top-level stages by ``backend = NAME`` and nested components (a projector's scorer) by
``{type = NAME, ...}`` tables; both look the name up in the registry of the parameter's kind.
"""

from __future__ import annotations

from typing import NamedTuple


class Kind(NamedTuple):
    """One registry: what its components are called, their entry-point group and base class."""

    noun: str
    group: str
    base: str
    builtins: dict[str, str]


KINDS: dict[str, Kind] = {
    "translators": Kind(
        "translator",
        "xproj.translators",
        "xproj.translate.base.Translator",
        {
            "nllb": "xproj.translate.nllb:NLLBTranslator",
            "apertium": "xproj.translate.apertium:ApertiumTranslator",
            "parallel": "xproj.translate.parallel:ParallelTranslator",
            "protect_names": "xproj.translate.protect:NameProtectingTranslator",
        },
    ),
    "labellers": Kind(
        "labeller",
        "xproj.labellers",
        "xproj.label.base.Labeller",
        {
            "spacy": "xproj.label.spacy:SpacyLabeller",
            "transformers": "xproj.label.transformers:TransformersLabeller",
            "hiding": "xproj.label.hidden:HidingLabeller",
        },
    ),
    "aligners": Kind(
        "aligner",
        "xproj.aligners",
        "xproj.align.base.Aligner",
        {
            "precomputed": "xproj.align.precomputed:PrecomputedAligner",
            "simalign": "xproj.align.simalign:SimAlignAligner",
        },
    ),
    "projectors": Kind(
        "projector",
        "xproj.projectors",
        "xproj.project.base.Projector",
        {
            "heuristic": "xproj.project.heuristic:HeuristicProjector",
            "greedy": "xproj.project.greedy:GreedyProjector",
            "ilp": "xproj.project.ilp:ILPProjector",
            "normalised": "xproj.project.normalised:NormalisingProjector",
        },
    ),
    "scorers": Kind(
        "scorer",
        "xproj.scorers",
        "xproj.project.scorers.Scorer",
        {
            "alignment": "xproj.project.scorers:AlignmentScorer",
            "fusion": "xproj.project.scorers:WeightedFusion",
            "ner": "xproj.project.ner_scorer:NERScorer",
            "nmt": "xproj.project.nmt_scorer:NMTScorer",
        },
    ),
    "candidates": Kind(
        "candidate extractor",
        "xproj.candidates",
        "xproj.project.candidates.CandidateExtractor",
        {
            "ngrams": "xproj.project.candidates:NgramCandidates",
            "aligned_ranges": "xproj.project.candidates:AlignedRanges",
            "aligned_merges": "xproj.project.candidates:AlignedMerges",
            "external": "xproj.project.candidates:ExternalCandidates",
            "union": "xproj.project.candidates:UnionCandidates",
            "labeller": "xproj.project.ner_scorer:LabellerCandidates",
        },
    ),
    "solvers": Kind(
        "solver",
        "xproj.solvers",
        "xproj.project.solvers.Solver",
        {
            "greedy": "xproj.project.solvers:GreedySolver",
            "ilp": "xproj.project.solvers:ILPSolver",
        },
    ),
    "normalisers": Kind(
        "span normaliser",
        "xproj.normalisers",
        "xproj.label.normalise.SpanNormaliser",
        {"spans": "xproj.label.normalise:SpanNormaliser"},
    ),
    "refiners": Kind(
        "refiner",
        "xproj.refiners",
        "xproj.backtranslate.Refiner",
        {"backtranslation": "xproj.backtranslate:BackTranslationRefiner"},
    ),
}
