"""Every built-in backend, by stage, as ``"module:Class"`` strings imported on first use.

This is the one place built-ins are registered; nothing registers itself at import time.
"""

from __future__ import annotations

TRANSLATORS: dict[str, str] = {
    "nllb": "xproj.translate.nllb:NLLBTranslator",
    "apertium": "xproj.translate.apertium:ApertiumTranslator",
    "parallel": "xproj.translate.parallel:ParallelTranslator",
}

LABELLERS: dict[str, str] = {
    "spacy": "xproj.label.spacy:SpacyLabeller",
    "transformers": "xproj.label.transformers:TransformersLabeller",
}

ALIGNERS: dict[str, str] = {
    "precomputed": "xproj.align.precomputed:PrecomputedAligner",
    "simalign": "xproj.align.simalign:SimAlignAligner",
}

PROJECTORS: dict[str, str] = {
    "heuristic": "xproj.project.heuristic:HeuristicProjector",
    "greedy": "xproj.project.greedy:GreedyProjector",
    "ilp": "xproj.project.ilp:ILPProjector",
}
