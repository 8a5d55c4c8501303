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
    from xproj.label.base import Labeller
    from xproj.pipeline import Pipeline
    from xproj.project.base import Projector
    from xproj.registry import Registry
    from xproj.translate.base import Translator

    aligners: Registry[Aligner]
    labellers: Registry[Labeller]
    projectors: Registry[Projector]
    translators: Registry[Translator]

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
    "labellers",
    "projectors",
    "translators",
]

_REGISTRIES = {
    "translators": ("translator", "xproj.translators", "xproj.translate.base.Translator"),
    "labellers": ("labeller", "xproj.labellers", "xproj.label.base.Labeller"),
    "aligners": ("aligner", "xproj.aligners", "xproj.align.base.Aligner"),
    "projectors": ("projector", "xproj.projectors", "xproj.project.base.Projector"),
}


def __getattr__(name: str) -> Any:
    if name in _REGISTRIES:
        from xproj import _registrations
        from xproj.registry import Registry

        kind, group, base = _REGISTRIES[name]
        reg: Registry[Any] = Registry(kind, group, base)
        for key, target in getattr(_registrations, name.upper()).items():
            reg.add_lazy(key, target)
        globals()[name] = reg
        return reg
    if name == "Pipeline":
        from xproj.pipeline import Pipeline

        return Pipeline
    raise AttributeError(f"module 'xproj' has no attribute {name!r}")
