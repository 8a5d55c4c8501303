"""xproj: cross-lingual named-entity recognition by annotation projection.

``import xproj`` is light: it loads the data types and the registries, never torch or
transformers. Backends are imported when first asked for.

>>> import xproj
>>> sorted(xproj.projectors.names())[:3]
['greedy', 'heuristic', 'ilp']
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from xproj.errors import (
    InputError,
    MissingExtraError,
    OutputError,
    ParameterError,
    RegistryError,
    XprojError,
)
from xproj.types import (
    Alignment,
    LabelledSentence,
    ProjectedSpan,
    Projection,
    Sentence,
    Span,
)

if TYPE_CHECKING:
    from xproj.align.base import Aligner
    from xproj.backtranslate import Refiner
    from xproj.label.base import Labeller
    from xproj.label.normalise import SpanNormaliser
    from xproj.pipeline import Pipeline
    from xproj.project.base import Projector
    from xproj.project.candidates import CandidateExtractor
    from xproj.project.scorers import Scorer
    from xproj.project.solvers import Solver
    from xproj.registry import Registry
    from xproj.translate.base import Translator

    aligners: Registry[Aligner]
    labellers: Registry[Labeller]
    projectors: Registry[Projector]
    translators: Registry[Translator]
    scorers: Registry[Scorer]
    candidates: Registry[CandidateExtractor]
    solvers: Registry[Solver]
    normalisers: Registry[SpanNormaliser]
    refiners: Registry[Refiner]

__version__ = "0.1.0"

__all__ = [
    "Alignment",
    "InputError",
    "LabelledSentence",
    "MissingExtraError",
    "OutputError",
    "ParameterError",
    "Pipeline",
    "ProjectedSpan",
    "Projection",
    "RegistryError",
    "Sentence",
    "Span",
    "XprojError",
    "aligners",
    "candidates",
    "labellers",
    "normalisers",
    "projectors",
    "refiners",
    "scorers",
    "solvers",
    "translators",
]


def __getattr__(name: str) -> Any:
    from xproj._registrations import KINDS

    if name in KINDS:
        from xproj.registry import registry

        reg = registry(name)
        globals()[name] = reg
        return reg
    if name == "Pipeline":
        from xproj.pipeline import Pipeline

        return Pipeline
    raise AttributeError(f"module 'xproj' has no attribute {name!r}")
