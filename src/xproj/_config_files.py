"""The data-file references of a run configuration: labelled CoNLL files, sentence files and
Pharaoh alignment files, each given as a path string or as a table with its format options."""

from __future__ import annotations

import os
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

__all__ = ["AlignmentFile", "ConllFile", "HeldoutFile", "TextFile", "TrainFile"]

_FROZEN = ConfigDict(extra="forbid", frozen=True)


def _path_str(value: Any) -> Any:
    return str(value) if isinstance(value, os.PathLike) else value


class _File(BaseModel):
    """Base of the file references: a path, given alone as a string or as a table."""

    model_config = _FROZEN
    path: str

    @model_validator(mode="before")
    @classmethod
    def _from_string(cls, data: Any) -> Any:
        data = _path_str(data)
        return {"path": data} if isinstance(data, str) else data

    @field_validator("path", mode="before")
    @classmethod
    def _path(cls, v: Any) -> Any:
        v = _path_str(v)
        if isinstance(v, str) and not v.strip():
            raise ValueError("the path is empty")
        return v


class ConllFile(_File):
    """A labelled CoNLL-style file (see :func:`xproj.io.conll.read_conll`).

    Attributes
    ----------
    path
        The file; a bare string in the config means ``{path = "..."}``.
    format
        ``auto`` (sniffed), ``tab``, ``space``, ``conll2003``, ``panx`` or ``masakhaner``.
    scheme
        The file's tag scheme: ``iob2``, ``iob1`` or ``bioes``.
    repair
        ``error`` or ``fix`` for tag sequences that break the scheme.
    """

    format: Literal["auto", "tab", "space", "conll2003", "panx", "masakhaner"] = "auto"
    scheme: Literal["iob2", "iob1", "bioes"] = "iob2"
    repair: Literal["error", "fix"] = "error"


class HeldoutFile(ConllFile):
    """A labelled file of held-out sentences in a dataset's language (a dev or test split),
    scored by ``evaluate`` steps and kept out of ``train`` steps' training data.

    Attributes
    ----------
    limit
        Use only its first ``limit`` sentences (for quick runs); None: all.
    """

    limit: int | None = Field(default=None, ge=1)


class TrainFile(ConllFile):
    """Labelled sentences a ``train`` step adds to the projected ones (e.g. the source
    language's own gold data, so that the model does not forget it).

    Attributes
    ----------
    sample
        Draw this many sentences at random (without replacement; all when the file has fewer);
        None: every sentence.
    seed
        The seed of that draw.
    label_map
        Entity types renamed before training; a type mapped to ``"O"`` is removed (as
        ``{MISC = "O"}`` when the model learns PER, ORG and LOC only).
    """

    sample: int | None = Field(default=None, ge=1)
    seed: int = 0
    label_map: dict[str, str] = Field(default_factory=dict)


class TextFile(_File):
    """Sentences without labels: one per line, or the words of a CoNLL file.

    Attributes
    ----------
    path
        The file; a bare string in the config means ``{path = "..."}``.
    format
        ``text``: one sentence per line, words separated by spaces (already tokenised);
        ``raw``: one sentence per line, split into words with :func:`xproj.text.split_words`;
        or a CoNLL format (``auto``, ``tab``, ...): the words of a labelled file (its labels
        are ignored), as when a parallel corpus's target-language NER file supplies the
        translations.
    """

    format: Literal["text", "raw", "auto", "tab", "space", "conll2003", "panx", "masakhaner"] = (
        "text"
    )


class AlignmentFile(_File):
    """A Pharaoh alignment file: one line of ``i-j`` links per sentence pair.

    Attributes
    ----------
    path
        The file; a bare string in the config means ``{path = "..."}``.
    one_based
        Whether its word indices start at 1.
    """

    one_based: bool = False
