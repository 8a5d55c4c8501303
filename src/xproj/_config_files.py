"""The data-file references of a run configuration: labelled CoNLL files, sentence files and
Pharaoh alignment files, each given as a path string or as a table with its format options;
and the paths inside components' parameters (a model folder), found by :func:`param_path`."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Discriminator,
    Field,
    Tag,
    field_validator,
    model_validator,
)

__all__ = [
    "FILE_FIELDS",
    "FROZEN",
    "AlignmentFile",
    "AlignmentFiles",
    "ConllFile",
    "ConllFiles",
    "HeldoutFile",
    "TextFile",
    "TextFiles",
    "TrainFile",
    "UnlabelledFile",
    "files_of",
    "is_path_key",
    "map_param_paths",
    "param_path",
    "param_paths",
    "rebase_params",
    "resolve_params",
]

#: The model configuration of every config table: unknown keys are errors, values immutable.
FROZEN = ConfigDict(extra="forbid", frozen=True)
#: A dataset's file fields, each one file or a list of files.
FILE_FIELDS = ("source", "input", "source_text", "translations", "labels", "alignments", "gold")


def _path_str(value: Any) -> Any:
    return str(value) if isinstance(value, os.PathLike) else value


class _File(BaseModel):
    """Base of the file references: a path, given alone as a string or as a table."""

    model_config = FROZEN
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


class UnlabelledFile(TextFile):
    """Sentences of a dataset's language without labels, for ``selftrain`` steps: a trained
    model labels them and a new model learns from its labels (self-training).

    Sentences that also occur in the dataset's held-out gold (ignoring case and whitespace)
    are left out first, then ``sample`` of the rest are drawn; the dataset's ``read
    unlabelled`` report counts both.

    Attributes
    ----------
    sample
        Draw this many sentences at random (without replacement, kept in file order; all when
        fewer are left); None: all of them.
    seed
        The seed of that draw.
    empty_tokens
        A CoNLL format's word lines without a token: ``error`` (the default) or ``skip``
        (left out with a warning naming their lines). A sentence's words are all that is read
        here, so a skipped line changes no label.
    """

    sample: int | None = Field(default=None, ge=1)
    seed: int = 0
    empty_tokens: Literal["error", "skip"] = "error"


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


# ---------------------------------------------------------------------- one file or several

#: The union branches' tags; :func:`xproj._config_io._loc_str` leaves them out of messages.
FILE_TAGS = ("<file>", "<files>")


def _one_or_many(value: Any) -> str:
    return FILE_TAGS[1] if isinstance(value, list) else FILE_TAGS[0]


#: A dataset's file field: one file, or a list of files read one after the other (the parts
#: of a corpus, e.g. its dev and test splits); file k of each field lines up with file k of
#: the others.
ConllFiles = Annotated[
    Annotated[ConllFile, Tag(FILE_TAGS[0])]
    | Annotated[list[ConllFile], Tag(FILE_TAGS[1]), Field(min_length=1)],
    Discriminator(_one_or_many),
]
TextFiles = Annotated[
    Annotated[TextFile, Tag(FILE_TAGS[0])]
    | Annotated[list[TextFile], Tag(FILE_TAGS[1]), Field(min_length=1)],
    Discriminator(_one_or_many),
]
AlignmentFiles = Annotated[
    Annotated[AlignmentFile, Tag(FILE_TAGS[0])]
    | Annotated[list[AlignmentFile], Tag(FILE_TAGS[1]), Field(min_length=1)],
    Discriminator(_one_or_many),
]


def files_of(value: Any) -> list[Any]:
    """A file field's files as a list: none, the one file, or the list given."""
    if value is None:
        return []
    return list(value) if isinstance(value, list) else [value]


# ---------------------------------------------------------------------- paths in parameters

#: Parameter names whose values may be paths (a model folder, a data file): these, and names
#: ending in ``_model``, ``_path``, ``_dir`` or ``_file``.
PATH_KEYS = ("model", "path")
_PATH_SUFFIXES = ("_model", "_path", "_dir", "_file")


def is_path_key(key: str) -> bool:
    """Whether a component parameter named ``key`` may hold a path.

    >>> [is_path_key(k) for k in ("model", "data_dir", "batch_size", "tgt_lang")]
    [True, True, False, False]
    """
    return key in PATH_KEYS or key.endswith(_PATH_SUFFIXES)


def param_path(value: str, base_dir: Path) -> tuple[str, Path | None]:
    """A parameter value with ``${VAR}`` expanded, and the path it names, if it names one.

    A parameter such as ``model`` holds either a path or a name (a Hugging Face hub model
    ``"xlm-roberta-base"`` or ``"Davlan/bert-base-multilingual-cased-ner-hrl"``, a spaCy
    package): the two cannot be told apart by their spelling, since hub names contain a
    ``/`` too. The value (after ``${VAR}`` expansion) is a path, relative to ``base_dir`` (the
    config file's folder) like every other path of a config, when it

    - is absolute;
    - starts with ``./`` or ``../`` (write ``"./models/ner"`` to make a folder next to the
      config a path even before it exists);
    - or names something that exists under ``base_dir``.

    Anything else is left as written: a name, or, as before configs had this rule, a path
    relative to the folder xproj runs in.

    Raises
    ------
    ConfigError
        A ``${VAR}`` without default names an unset variable.

    >>> import tempfile
    >>> base = Path(tempfile.mkdtemp())
    >>> (base / "ner").mkdir()
    >>> [param_path(v, base)[1] is not None for v in ("ner", "./new", "xlm-roberta-base", "a/b")]
    [True, True, False, False]
    """
    from xproj._config_io import expand_env

    text = expand_env(value) if "${" in value else value
    path = Path(text)
    if path.is_absolute():
        return text, path
    if text in (".", "..") or text.startswith(("./", "../", ".\\", "..\\")):
        return text, (base_dir / path).resolve()
    if text and (base_dir / path).exists():
        return text, (base_dir / path).resolve()
    return text, None


def param_paths(params: Any, where: str) -> Iterator[tuple[str, str]]:
    """Every ``(config key, value)`` of a path-like name (:func:`is_path_key`) in ``params``,
    nested component tables and lists included."""
    if isinstance(params, dict):
        for k, v in params.items():
            at = f"{where}.{k}"
            if isinstance(v, str) and is_path_key(str(k)):
                yield at, v
            elif isinstance(v, list) and is_path_key(str(k)):
                for j, x in enumerate(v):
                    if isinstance(x, str):
                        yield f"{at}[{j}]", x
            else:
                yield from param_paths(v, at)
    elif isinstance(params, list):
        for j, x in enumerate(params):
            yield from param_paths(x, f"{where}[{j}]")


def map_param_paths(params: Any, fn: Callable[[str], str]) -> Any:
    """``params`` with ``fn`` applied to every string under a path-like name
    (:func:`is_path_key`), nested component tables and lists included."""
    if isinstance(params, dict):
        out: dict[Any, Any] = {}
        for k, v in params.items():
            if isinstance(v, str) and is_path_key(str(k)):
                out[k] = fn(v)
            elif isinstance(v, list) and is_path_key(str(k)):
                out[k] = [fn(x) if isinstance(x, str) else x for x in v]
            else:
                out[k] = map_param_paths(v, fn)
        return out
    if isinstance(params, list):
        return [map_param_paths(x, fn) for x in params]
    return params


def resolve_params(params: Any, base_dir: Path) -> Any:
    """``params`` with every path-like value (:func:`param_path`) made absolute against
    ``base_dir`` and ``${VAR}`` expanded; names and other values unchanged."""

    def one(v: str) -> str:
        text, path = param_path(v, base_dir)
        return str(path) if path is not None else text

    return map_param_paths(params, one)


def rebase_params(params: Any, old: Path, new: Path) -> Any:
    """``params`` written for a config in folder ``new`` instead of ``old``: a relative path
    (:func:`param_path`) is rewritten to name the same file from ``new`` (starting with
    ``./`` or ``../``, so that it stays a path); ``${VAR}`` values, absolute paths and names
    are kept as they are."""

    def one(v: str) -> str:
        if "${" in v or Path(v).is_absolute():
            return v
        _, path = param_path(v, old)
        if path is None:
            return v
        rel = os.path.relpath(path, new)
        return rel if rel.startswith("..") else "./" + rel

    return map_param_paths(params, one)
