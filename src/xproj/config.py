"""Run configurations: a whole xproj job described in one TOML, YAML or JSON file.

A :class:`RunConfig` names the flow, each stage's backend (a name from the stage's registry) and
parameters, the projectors to compare, the datasets, the evaluation label map, the output folder
and the runner. It is validated when it is built: unknown fields, unknown backend names and bad
parameters raise :class:`ConfigError` naming the field path and what is allowed, e.g.::

    stages.projectors[1].backend: no projector named 'gredy'. Available: greedy, heuristic, ilp.

Backends are validated by constructing them (constructors do no heavy work: models load on first
use). Relative paths are relative to the config file's folder (the current folder for a config
built in Python) and may use environment variables as ``${VAR}`` or ``${VAR:-default}``.

The same object is what the Python API builds: :meth:`xproj.Pipeline.to_config` returns one,
:meth:`RunConfig.dump` writes it, and ``xproj run FILE`` runs it.

Examples
--------
>>> cfg = RunConfig.from_dict({
...     "flow": "translate-train",
...     "stages": {"projectors": [{"backend": "heuristic"}]},
...     "datasets": [{"name": "demo", "lang": "de", "source": "en.conll",
...                   "translations": "de.txt", "alignments": "en-de.pharaoh"}],
... })
>>> cfg.stages.projectors[0].display_name
'heuristic'
>>> print(cfg.dump(format="toml"))  # doctest: +NORMALIZE_WHITESPACE
flow = "translate-train"
src_lang = "en"
output = "xproj-output"
<BLANKLINE>
[[stages.projectors]]
backend = "heuristic"
<BLANKLINE>
[[datasets]]
name = "demo"
lang = "de"
source = "en.conll"
translations = "de.txt"
alignments = "en-de.pharaoh"
<BLANKLINE>
>>> try:
...     RunConfig.from_dict({"stages": {"projectors": [{"backend": "gredy"}]}, "datasets": []})
... except ConfigError as e:
...     print(e)
stages.projectors[0].backend: no projector named 'gredy'. Available: greedy, heuristic, ilp.
"""

from __future__ import annotations

import hashlib
import importlib
import importlib.util
import json
import math
import os
import re
import sys
from collections.abc import Mapping, Sequence
from enum import Enum
from pathlib import Path
from typing import Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    PrivateAttr,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)

from xproj.errors import MissingExtraError, ParameterError, RegistryError, XprojError
from xproj.io._files import not_a_file
from xproj.params import Component

__all__ = [
    "AlignmentFile",
    "ConfigError",
    "ConllFile",
    "DatasetConfig",
    "EvaluationConfig",
    "ProjectorSpec",
    "RunConfig",
    "RunnerConfig",
    "StageResources",
    "StageSpec",
    "StagesConfig",
    "TextFile",
    "component_spec",
    "load_config",
]

#: The stage slots of ``[stages]``, with the registry (attribute of :mod:`xproj`) of each.
STAGE_REGISTRIES = {
    "translator": "translators",
    "labeller": "labellers",
    "aligner": "aligners",
    "projector": "projectors",
}
#: Line layouts a :class:`TextFile` accepts besides the CoNLL formats.
TEXT_FORMATS = ("text", "raw")
_CONLL_FORMATS = ("auto", "tab", "space", "conll2003", "panx", "masakhaner")
_ENV = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}")


class ConfigError(XprojError, ValueError):
    """A run configuration that cannot be used; the message names the field path and the fix."""


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


class StageSpec(BaseModel):
    """One stage: a backend name from the stage's registry and its constructor parameters."""

    model_config = _FROZEN
    backend: str
    params: dict[str, Any] = Field(default_factory=dict)


class ProjectorSpec(StageSpec):
    """A projector to compare, with the name its results are shown under (default: backend)."""

    name: str | None = None

    @field_validator("name")
    @classmethod
    def _name(cls, v: str | None) -> str | None:
        if v is not None and not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9_.+-]*", v):
            raise ValueError(
                f"{v!r} is not a usable name: use letters, digits and _ . + - "
                "(it names output files)"
            )
        return v

    @property
    def display_name(self) -> str:
        """The name results are reported and files are written under."""
        return self.name or self.backend


class StagesConfig(BaseModel):
    """The stages of the pipeline. Stages whose input every dataset provides may be left out."""

    model_config = _FROZEN
    translator: StageSpec | None = None
    labeller: StageSpec | None = None
    aligner: StageSpec | None = None
    projectors: list[ProjectorSpec] = Field(min_length=1)

    @field_validator("projectors")
    @classmethod
    def _unique(cls, v: list[ProjectorSpec]) -> list[ProjectorSpec]:
        seen: set[str] = set()
        for k, p in enumerate(v):
            if p.display_name in seen:
                raise ValueError(
                    f"projectors[{k}] is named {p.display_name!r} like an earlier one; give each "
                    "projector a distinct name = ..."
                )
            seen.add(p.display_name)
        return v


class DatasetConfig(BaseModel):
    """One dataset: a language to project into (translate-train) or to label (translate-test).

    Attributes
    ----------
    name
        Names the dataset's output folder and its row in the report.
    lang
        The target language code.
    source
        translate-train: the labelled source-language file.
    input
        translate-test: the target-language sentences to label (a :class:`TextFile`).
    translations
        Existing translations instead of the translator: of ``source`` into ``lang``
        (translate-train) or of ``input`` into the source language (translate-test).
    labels
        translate-test: existing labelled translations instead of translator and labeller.
    alignments
        Existing source-to-target alignments (Pharaoh) instead of the aligner.
    gold
        Gold labels of the target sentences, for the report.
    limit
        Use only the first ``limit`` sentences.
    """

    model_config = _FROZEN
    name: str
    lang: str
    source: ConllFile | None = None
    input: TextFile | None = None
    translations: TextFile | None = None
    labels: ConllFile | None = None
    alignments: AlignmentFile | None = None
    gold: ConllFile | None = None
    limit: int | None = Field(default=None, ge=1)

    @field_validator("name")
    @classmethod
    def _name(cls, v: str) -> str:
        if not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9_.+-]*", v):
            raise ValueError(
                f"{v!r} is not a usable dataset name: use letters, digits and _ . + - "
                "(it names the output folder)"
            )
        return v

    @field_validator("lang")
    @classmethod
    def _lang(cls, v: str) -> str:
        if not re.fullmatch(r"[A-Za-z]{2,3}([_-][A-Za-z0-9]+)*", v):
            raise ValueError(f"{v!r} is not a language code such as 'de' or 'deu_Latn'")
        return v


class EvaluationConfig(BaseModel):
    """How predictions are scored against gold.

    Attributes
    ----------
    label_map
        Entity types renamed (or removed, mapped to ``"O"``) on both sides before scoring, e.g.
        ``{MISC = "O"}`` when the gold has no MISC type.
    """

    model_config = _FROZEN
    label_map: dict[str, str] = Field(default_factory=dict)


class StageResources(BaseModel):
    """How one stage is run.

    Attributes
    ----------
    workers
        Ray runner: actors (each holding the model once) in the stage's pool.
    num_gpus
        Ray runner: GPUs per actor (fractions share a GPU).
    num_cpus
        Ray runner: CPUs per actor.
    batch_size
        Sentences per call to the backend within a chunk (both runners); None: the whole chunk.
    """

    model_config = _FROZEN
    workers: int = Field(default=1, ge=1)
    num_gpus: float = Field(default=0, ge=0)
    num_cpus: float = Field(default=1, gt=0)
    batch_size: int | None = Field(default=None, ge=1)


class RunnerConfig(BaseModel):
    """Where and how the stages run.

    Attributes
    ----------
    kind
        ``local`` (in this process, the default) or ``ray``.
    chunk_size
        Sentences per unit of work: the granularity of the cache (and so of resuming) and of
        the work handed to a Ray actor.
    address
        Ray runner: the cluster to join (``ray.init(address=...)``); None: the ``RAY_ADDRESS``
        environment variable, else a local Ray instance.
    num_cpus
        Ray runner: CPUs of a local instance it starts; None: all.
    max_retries
        Ray runner: how often a dead actor is restarted and its task retried.
    stages
        Per-stage resources, keyed ``translator``, ``labeller``, ``aligner``, ``projector``.
    """

    model_config = _FROZEN
    kind: Literal["local", "ray"] = "local"
    chunk_size: int = Field(default=256, ge=1)
    address: str | None = None
    num_cpus: int | None = Field(default=None, ge=1)
    max_retries: int = Field(default=3, ge=0)
    stages: dict[Literal["translator", "labeller", "aligner", "projector"], StageResources] = Field(
        default_factory=dict
    )

    def resources(self, stage: str) -> StageResources:
        """The resources of ``stage`` (defaults where the config gives none)."""
        return self.stages.get(stage, StageResources())  # type: ignore[call-overload,no-any-return]


class RunConfig(BaseModel):
    """A whole run: flow, stages, datasets, evaluation, output and runner.

    Build it with :meth:`from_file` / :func:`load_config`, :meth:`from_dict`, or
    :meth:`xproj.Pipeline.to_config`; write it with :meth:`dump`.

    Attributes
    ----------
    flow
        ``translate-train`` (project labelled source sentences onto their translations) or
        ``translate-test`` (label target sentences through their translation).
    src_lang
        The labelled (rich) language.
    stages
        The backends (:class:`StagesConfig`).
    datasets
        What to run on (:class:`DatasetConfig`).
    evaluation
        How to score against gold (:class:`EvaluationConfig`).
    output
        The output folder.
    cache
        Whether stage outputs are cached (in ``<output>/cache``) so a rerun resumes.
    plugins
        Modules (``my_pkg.backends``) or Python files (``backends.py``, relative to the
        config) imported before the backends are looked up; they may register backends with
        ``xproj.aligners.register(...)``. Ray workers import them too.
    runner
        :class:`RunnerConfig`.
    """

    model_config = _FROZEN
    flow: Literal["translate-train", "translate-test"] = "translate-train"
    src_lang: str = "en"
    stages: StagesConfig
    datasets: list[DatasetConfig]
    evaluation: EvaluationConfig = Field(default_factory=EvaluationConfig)
    output: str = "xproj-output"
    cache: bool = True
    plugins: list[str] = Field(default_factory=list)
    runner: RunnerConfig = Field(default_factory=RunnerConfig)

    _base_dir: Path = PrivateAttr(default_factory=Path.cwd)

    @field_validator("output", mode="before")
    @classmethod
    def _output(cls, v: Any) -> Any:
        return _path_str(v)

    @field_validator("datasets")
    @classmethod
    def _datasets(cls, v: list[DatasetConfig]) -> list[DatasetConfig]:
        seen: set[str] = set()
        for k, d in enumerate(v):
            if d.name in seen:
                raise ValueError(
                    f"datasets[{k}] is named {d.name!r} like an earlier one; names must differ "
                    "(they name the output folders)"
                )
            seen.add(d.name)
        return v

    @model_validator(mode="after")
    def _check(self, info: ValidationInfo) -> RunConfig:
        base = (info.context or {}).get("base_dir")
        self._base_dir = Path(base) if base is not None else Path.cwd()
        _import_plugins(self.plugins, self._base_dir)
        self._check_flow()
        self._check_backends()
        return self

    # ------------------------------------------------------------------ validation

    def _check_flow(self) -> None:
        st = self.stages
        for k, d in enumerate(self.datasets):
            at = f"datasets[{k}]"
            if self.flow == "translate-train":
                if d.source is None:
                    raise ValueError(f"{at}.source: translate-train needs the labelled source file")
                for bad in ("input", "labels"):
                    if getattr(d, bad) is not None:
                        raise ValueError(
                            f"{at}.{bad}: only used by flow = 'translate-test'; translate-train "
                            "reads source (+ translations, alignments, gold)"
                        )
                if d.translations is None and st.translator is None:
                    raise ValueError(
                        f"{at}: gives no translations and [stages.translator] is not set; add "
                        "one of them"
                    )
            else:
                if d.input is None:
                    raise ValueError(f"{at}.input: translate-test needs the sentences to label")
                if d.source is not None:
                    raise ValueError(
                        f"{at}.source: only used by flow = 'translate-train'; translate-test "
                        "reads input (+ translations, labels, alignments, gold)"
                    )
                if d.labels is None:
                    if d.translations is None and st.translator is None:
                        raise ValueError(
                            f"{at}: gives neither translations nor labels and "
                            "[stages.translator] is not set"
                        )
                    if st.labeller is None:
                        raise ValueError(
                            f"{at}: gives no labels and [stages.labeller] is not set; add one "
                            "of them"
                        )
            if d.alignments is None and st.aligner is None:
                raise ValueError(
                    f"{at}: gives no alignments and [stages.aligner] is not set; add one of them"
                )
        if self.flow == "translate-train" and st.labeller is not None:
            raise ValueError(
                "stages.labeller: translate-train does not label (the source file is "
                "labelled); remove it or use flow = 'translate-test'"
            )

    def _check_backends(self) -> None:
        st = self.stages
        for slot in ("translator", "labeller", "aligner"):
            spec = getattr(st, slot)
            if spec is not None:
                build_component(slot, spec, f"stages.{slot}")
        for k, p in enumerate(st.projectors):
            build_component("projector", p, f"stages.projectors[{k}]")

    # ------------------------------------------------------------------ construction

    @classmethod
    def from_dict(cls, data: Mapping[str, Any], *, base_dir: str | Path | None = None) -> RunConfig:
        """Validate ``data`` (parsed TOML/YAML/JSON); relative paths are under ``base_dir``.

        Raises
        ------
        ConfigError
            Naming each bad field's path and what it accepts.
        """
        base = Path(base_dir) if base_dir is not None else Path.cwd()
        try:
            return cls.model_validate(dict(data), context={"base_dir": base.resolve()})
        except ValidationError as e:
            raise ConfigError(_render_validation_error(e, cls)) from None

    @classmethod
    def from_file(cls, path: str | Path) -> RunConfig:
        """Read a ``.toml``, ``.yaml``/``.yml`` or ``.json`` config; see :func:`load_config`."""
        return load_config(path)

    @property
    def base_dir(self) -> Path:
        """The folder relative paths are resolved against."""
        return self._base_dir

    def resolve(self, path: str) -> Path:
        """``path`` with ``${VAR}`` expanded, made absolute against :attr:`base_dir`."""
        return (self._base_dir / expand_env(path)).resolve()

    @property
    def output_dir(self) -> Path:
        return self.resolve(self.output)

    def with_output(self, output: str | Path) -> RunConfig:
        """A copy writing to ``output`` (relative to the current folder)."""
        return self.model_copy(update={"output": str(Path(output).resolve())})

    def check_files(self) -> None:
        """Raise :class:`ConfigError` naming the first data file that does not exist."""
        for k, d in enumerate(self.datasets):
            for fname in ("source", "input", "translations", "labels", "alignments", "gold"):
                ref = getattr(d, fname)
                if ref is None:
                    continue
                where = f"datasets[{k}].{fname}"
                try:
                    p = self.resolve(ref.path)
                except ConfigError as e:
                    raise ConfigError(f"{where}: {e}") from None
                problem = not_a_file(p)
                if problem is not None:
                    hint = ""
                    if "${" in ref.path:
                        hint = " (set the environment variable it names, or edit the path)"
                    raise ConfigError(
                        f"{where}: {problem} (from {ref.path!r}, relative to "
                        f"{self._base_dir}){hint}"
                    )

    # ------------------------------------------------------------------ output

    def to_dict(self) -> dict[str, Any]:
        """The config as plain data, without fields left at their defaults."""
        return _prune(self)  # type: ignore[no-any-return]

    def dump(
        self,
        path: str | Path | None = None,
        *,
        format: Literal["toml", "yaml", "json"] | None = None,
    ) -> str:
        """The config as TOML (default), YAML or JSON text; with ``path``, also written there.

        Relative data paths are rewritten relative to the folder of ``path`` so the written file
        reads the same data; ``${VAR}`` paths are kept as they are.
        """
        if format is None:
            suffix = Path(path).suffix.lower() if path is not None else ".toml"
            format = {".yaml": "yaml", ".yml": "yaml", ".json": "json"}.get(suffix, "toml")  # type: ignore[assignment]
        data = self.to_dict()
        if path is not None:
            data = _rebase_paths(data, self._base_dir, Path(path).resolve().parent)
        if format == "toml":
            text = dumps_toml(data)
        elif format == "json":
            text = json.dumps(data, indent=2, ensure_ascii=False) + "\n"
        elif format == "yaml":
            yaml = _import_yaml()
            text = yaml.safe_dump(data, sort_keys=False, allow_unicode=True)
        else:
            raise ConfigError(f"format must be 'toml', 'yaml' or 'json', got {format!r}")
        if path is not None:
            Path(path).write_text(text, encoding="utf-8")
        return text

    def fingerprint(self) -> str:
        """A short hash of the config's content (for logs and summaries)."""
        blob = json.dumps(self.to_dict(), sort_keys=True, default=str).encode()
        return hashlib.sha256(blob).hexdigest()[:12]


# ---------------------------------------------------------------------- helpers


def load_config(path: str | Path) -> RunConfig:
    """Read and validate a config file.

    Parameters
    ----------
    path
        A ``.toml`` (stdlib ``tomllib``; ``tomli`` on Python 3.10), ``.yaml``/``.yml``
        (needs ``pyyaml``) or ``.json`` file. Relative paths inside are relative to its folder.

    Raises
    ------
    ConfigError
        The file is missing or unreadable, or a field is invalid (the message names it).
    """
    p = Path(path)
    if not_a_file(p) is not None:
        raise ConfigError(f"config {not_a_file(p)}")
    text = p.read_text(encoding="utf-8")
    suffix = p.suffix.lower()
    try:
        if suffix == ".toml":
            data = _toml_module().loads(text)
        elif suffix in (".yaml", ".yml"):
            data = _import_yaml().safe_load(text)
        elif suffix == ".json":
            data = json.loads(text)
        else:
            raise ConfigError(f"{p}: unknown config type {suffix!r}; use .toml, .yaml or .json")
    except ConfigError:
        raise
    except Exception as e:  # each parser has its own error class; all carry line numbers
        raise ConfigError(f"{p}: not valid {suffix[1:].upper()}: {e}") from None
    if not isinstance(data, dict):
        raise ConfigError(f"{p}: the config must be a table/mapping at the top level")
    try:
        return RunConfig.from_dict(data, base_dir=p.resolve().parent)
    except ConfigError as e:
        raise ConfigError(f"{p}: {e}") from None


def _toml_module() -> Any:
    if sys.version_info >= (3, 11):
        import tomllib

        return tomllib
    try:  # pragma: no cover - Python 3.10
        import tomli  # type: ignore[import-not-found, unused-ignore]
    except ImportError:  # pragma: no cover
        raise MissingExtraError(
            "tomli", "toml", what="Reading TOML configs on Python 3.10"
        ) from None
    return tomli  # pragma: no cover


def _import_yaml() -> Any:
    try:
        import yaml
    except ImportError:
        raise ConfigError(
            "YAML configs need the Python package 'pyyaml': pip install pyyaml "
            "(or write the config as TOML)"
        ) from None
    return yaml


def expand_env(text: str) -> str:
    """Expand ``${VAR}`` and ``${VAR:-default}``; an unset variable without default is an error.

    >>> os.environ["XPROJ_DOCTEST"] = "/data"
    >>> expand_env("${XPROJ_DOCTEST}/x.conll"), expand_env("${XPROJ_UNSET_X:-../d}/y")
    ('/data/x.conll', '../d/y')
    """

    def sub(m: re.Match[str]) -> str:
        value = os.environ.get(m.group(1))
        if value:
            return value
        if m.group(2) is not None:
            return m.group(2)
        raise ConfigError(
            f"the environment variable {m.group(1)} is not set; set it or write "
            f"${{{m.group(1)}:-default}} in the config"
        )

    return _ENV.sub(sub, text)


_PLUGINS_DONE: set[str] = set()


def _import_plugins(plugins: Sequence[str], base_dir: Path) -> None:
    """Import each plugin module name or ``.py`` file (once per process)."""
    for k, name in enumerate(plugins):
        if name.endswith(".py") or "/" in name or os.sep in name:
            path = (base_dir / expand_env(name)).resolve()
            key = str(path)
            if key in _PLUGINS_DONE:
                continue
            if not path.is_file():
                raise ValueError(f"plugins[{k}]: file not found: {path}")
            mod_name = "xproj_plugin_" + hashlib.sha256(key.encode()).hexdigest()[:12]
            spec = importlib.util.spec_from_file_location(mod_name, path)
            assert spec is not None and spec.loader is not None
            module = importlib.util.module_from_spec(spec)
            sys.modules[mod_name] = module
            try:
                spec.loader.exec_module(module)
            except Exception as e:
                del sys.modules[mod_name]
                raise ValueError(f"plugins[{k}]: importing {path} failed: {e!r}") from e
            _PLUGINS_DONE.add(key)
        else:
            try:
                importlib.import_module(name)
            except ImportError as e:
                raise ValueError(f"plugins[{k}]: cannot import module {name!r}: {e}") from e


def import_plugins(plugins: Sequence[str], base_dir: str | Path) -> None:
    """Import plugin modules/files as :class:`RunConfig` does (used by Ray workers)."""
    try:
        _import_plugins(plugins, Path(base_dir))
    except ValueError as e:
        raise ConfigError(str(e)) from None


def _registry(slot: str) -> Any:
    import xproj

    return getattr(xproj, STAGE_REGISTRIES[slot])


def build_component(slot: str, spec: StageSpec, where: str = "") -> Any:
    """Construct the backend ``spec`` names for stage ``slot`` (``"aligner"``, ...).

    A parameter whose declared type is a component (a projector's ``candidates`` or
    ``scorer``) is given as a table naming the subclass by its ``name`` under ``type``, e.g.
    ``candidates = { type = "aligned_ranges", max_words = 8 }``; lists are turned into tuples
    where a tuple is declared. Errors are :class:`ConfigError` naming ``where`` (the field
    path) and what is allowed.
    """
    reg = _registry(slot)
    at = f"{where}." if where else ""
    if spec.backend not in reg.names():
        raise ConfigError(
            f"{at}backend: no {reg.kind} named {spec.backend!r}. Available: "
            f"{', '.join(reg.names())}."
        )
    try:
        cls = reg.get_class(spec.backend)
    except RegistryError as e:
        raise ConfigError(f"{at}backend: {e}") from None
    return _construct(cls, spec.params, f"{at}params", f"{reg.kind} {spec.backend!r}")


def _construct(cls: type, params: Mapping[str, Any], where: str, what: str) -> Any:
    names = cls.param_names() if issubclass(cls, Component) else []
    unknown = sorted(set(params) - set(names))
    if unknown:
        raise ConfigError(
            f"{where}: {cls.__name__} ({what}) has no parameter "
            f"{', '.join(repr(u) for u in unknown)}; its parameters are: "
            f"{', '.join(names) or 'none'}"
        )
    hints = _hints(cls)
    values = {k: _coerce(hints.get(k), v, f"{where}.{k}") for k, v in params.items()}
    try:
        return cls(**values)
    except (ParameterError, MissingExtraError, TypeError, ValueError) as e:
        raise ConfigError(f"{where}: {e}") from None


def _hints(cls: type) -> dict[str, Any]:
    import typing

    try:
        return typing.get_type_hints(cls)
    except Exception:  # unresolvable annotations: take the values as given
        return {}


def _union_members(hint: Any) -> tuple[Any, ...]:
    import types
    import typing

    if typing.get_origin(hint) in (typing.Union, types.UnionType):
        return typing.get_args(hint)
    return (hint,)


def _component_base(hint: Any) -> type | None:
    for h in _union_members(hint):
        if isinstance(h, type) and issubclass(h, Component):
            return h
    return None


def _sequence_item(hint: Any) -> tuple[Any, bool] | None:
    """The item type of a ``tuple[X, ...]`` / ``list[X]`` / ``Sequence[X]`` member of ``hint``."""
    import collections.abc
    import typing

    for h in _union_members(hint):
        origin = typing.get_origin(h)
        args = typing.get_args(h)
        if origin is tuple and len(args) == 2 and args[1] is Ellipsis:
            return args[0], True
        if origin in (list, collections.abc.Sequence) and len(args) == 1:
            return args[0], origin is not list
    return None


def _subclasses(base: type) -> dict[str, type]:
    import inspect

    out: dict[str, type] = {}
    todo: list[type] = [base]
    seen: set[type] = set()
    while todo:
        c = todo.pop()
        if c in seen:
            continue
        seen.add(c)
        todo.extend(c.__subclasses__())
        name = getattr(c, "name", "")
        if isinstance(name, str) and name and not inspect.isabstract(c):
            out.setdefault(name, c)
    return dict(sorted(out.items()))


def _coerce(hint: Any, value: Any, where: str) -> Any:
    if hint is None:
        return value
    base = _component_base(hint)
    if base is not None and isinstance(value, Mapping):
        choices = _subclasses(base)
        kind = value.get("type")
        if kind not in choices:
            problem = "needs a type" if kind is None else f"no {base.__name__} named {kind!r}"
            raise ConfigError(
                f"{where}.type: {problem}. Available: {', '.join(choices) or 'none'}."
            )
        rest = {k: v for k, v in value.items() if k != "type"}
        return _construct(choices[kind], rest, where, f"{base.__name__} {kind!r}")
    item = _sequence_item(hint)
    if item is not None and isinstance(value, list):
        item_hint, as_tuple = item
        out = [_coerce(item_hint, v, f"{where}[{i}]") for i, v in enumerate(value)]
        return tuple(out) if as_tuple else out
    return value


def component_spec(component: Component, *, name: str | None = None) -> dict[str, Any]:
    """The ``{backend, params}`` table that rebuilds ``component`` from its registry.

    Only parameters that differ from their defaults are listed; nested components are
    written as ``{type = NAME, ...}`` tables. Raises :class:`ConfigError` when the component's
    class is not registered or a parameter cannot be written in a config (an in-memory object).
    """
    cls = type(component)
    slot = next((s for s in STAGE_REGISTRIES if _is_stage(component, s)), None)
    if slot is None:
        raise ConfigError(f"{cls.__name__} is not a translator, labeller, aligner or projector")
    reg = _registry(slot)
    out: dict[str, Any] = {"backend": _registered_name(reg, cls)}
    if name is not None:
        out["name"] = name
    params = _changed_params(component)
    if params:
        out["params"] = params
    return out


def component_params(component: Component) -> dict[str, Any]:
    """Every constructor parameter as plain data, nested components as ``{type, ...}`` tables
    with all their parameters (for fingerprints: defaults included)."""
    cls = type(component)
    return {k: _plain(v, k, cls, full=True) for k, v in component.get_params(deep=False).items()}


def _changed_params(component: Component) -> dict[str, Any]:
    import dataclasses

    cls = type(component)
    params: dict[str, Any] = {}
    for f in dataclasses.fields(component):
        if not f.init:
            continue
        value = _plain(getattr(component, f.name), f.name, cls)
        if f.default is not dataclasses.MISSING:
            default: Any = f.default
        elif f.default_factory is not dataclasses.MISSING:
            default = f.default_factory()
        else:
            params[f.name] = value
            continue
        if value != _plain(default, f.name, cls):
            params[f.name] = value
    return params


def _is_stage(component: Component, slot: str) -> bool:
    from xproj.align.base import Aligner
    from xproj.label.base import Labeller
    from xproj.project.base import Projector
    from xproj.translate.base import Translator

    base = {
        "translator": Translator,
        "labeller": Labeller,
        "aligner": Aligner,
        "projector": Projector,
    }[slot]
    return isinstance(component, base)


def _registered_name(reg: Any, cls: type) -> str:
    own = getattr(cls, "name", "")
    if own and own in reg.names():
        try:
            if reg.get_class(own) is cls:
                return str(own)
        except RegistryError:
            pass
    target = f"{cls.__module__}:{cls.__qualname__}"
    for n in reg.names():
        if reg._loaded.get(n) is cls or reg._lazy.get(n) == target:
            return str(n)
    raise ConfigError(
        f"{cls.__name__} is not registered as a {reg.kind}, so a config cannot name it; "
        f"register it with xproj.{STAGE_REGISTRIES[reg.kind]}.register('name', "
        f"{cls.__name__}) in a plugin module listed under plugins = [...]"
    )


def _plain(value: Any, pname: str, cls: type, *, full: bool = False) -> Any:
    """``value`` as TOML/JSON-ready data, or a ConfigError naming the parameter."""
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, os.PathLike):
        return str(value)
    if value is None or isinstance(value, (bool, int, str)):
        return value
    if isinstance(value, float):
        if not math.isfinite(value):
            raise ConfigError(f"{cls.__name__}.{pname} = {value} cannot be written in a config")
        return value
    if isinstance(value, Component):
        kind = getattr(type(value), "name", "")
        if full:
            label = kind or f"{type(value).__module__}:{type(value).__qualname__}"
            return {"type": label, **component_params(value)}
        if not kind or _subclasses(_abstract_base(type(value))).get(kind) is not type(value):
            raise ConfigError(
                f"{cls.__name__}.{pname} is a {type(value).__name__}, which has no unique "
                "'name' a config can refer to; give the class a name ClassVar"
            )
        return {"type": kind, **_changed_params(value)}
    if isinstance(value, (list, tuple)):
        return [_plain(v, pname, cls, full=full) for v in value]
    if isinstance(value, Mapping):
        return {str(k): _plain(v, pname, cls, full=full) for k, v in value.items()}
    raise ConfigError(
        f"{cls.__name__}.{pname} is a {type(value).__name__}, which a config cannot hold; "
        "give it as plain values (names, numbers, paths)"
    )


def _abstract_base(cls: type) -> type:
    """The most general Component subclass above ``cls`` that is not a stage-independent base."""
    best = cls
    for c in cls.__mro__:
        if isinstance(c, type) and issubclass(c, Component) and c is not Component:
            best = c
    return best


def _prune(model: BaseModel) -> Any:
    """A model as plain data without fields equal to their defaults (order kept)."""
    out: dict[str, Any] = {}
    for fname, finfo in type(model).model_fields.items():
        value = getattr(model, fname)
        is_default = value == finfo.get_default(call_default_factory=True)
        if not finfo.is_required() and is_default and fname not in ("flow", "src_lang", "output"):
            continue
        out[fname] = _plain_model(value)
    return out


def _plain_model(value: Any) -> Any:
    if isinstance(value, _File) and all(
        getattr(value, f) == i.get_default(call_default_factory=True)
        for f, i in type(value).model_fields.items()
        if f != "path"
    ):
        return value.path
    if isinstance(value, BaseModel):
        return _prune(value)
    if isinstance(value, list):
        return [_plain_model(v) for v in value]
    if isinstance(value, dict):
        return {k: _plain_model(v) for k, v in value.items()}
    return value


_PATH_FIELDS = ("source", "input", "translations", "labels", "alignments", "gold")


def _rebase_paths(data: dict[str, Any], old: Path, new: Path) -> dict[str, Any]:
    def rebase(p: str) -> str:
        if "${" in p or Path(p).is_absolute():
            return p
        return os.path.relpath((old / p).resolve(), new)

    out = dict(data)
    if "output" in out:
        out["output"] = rebase(out["output"])
    if "plugins" in out:
        out["plugins"] = [
            rebase(p) if (p.endswith(".py") or "/" in p) else p for p in out["plugins"]
        ]
    sets = []
    for d in out.get("datasets", []):
        d = dict(d)
        for f in _PATH_FIELDS:
            if f not in d:
                continue
            if isinstance(d[f], str):
                d[f] = rebase(d[f])
            else:
                d[f] = {**d[f], "path": rebase(d[f]["path"])}
        sets.append(d)
    if "datasets" in out:
        out["datasets"] = sets
    return out


def _render_validation_error(err: ValidationError, model: type[BaseModel]) -> str:
    lines = []
    for e in err.errors(include_url=False):
        loc = e["loc"]
        path = _loc_str(loc)
        msg = str(e["msg"])
        kind = e["type"]
        if kind == "value_error":
            msg = msg.removeprefix("Value error, ")
            lines.append(f"{path}: {msg}" if path else msg)
            continue
        if kind == "extra_forbidden":
            allowed = _fields_at(model, loc[:-1])
            lines.append(
                f"{path}: unknown field. Allowed here: {', '.join(allowed)}"
                if allowed
                else f"{path}: unknown field"
            )
            continue
        if loc and loc[-1] == "[key]":
            lines.append(f"{_loc_str(loc[:-2])}: unknown key {loc[-2]!r}; {msg}")
            continue
        if kind == "missing":
            lines.append(f"{path}: required field missing")
            continue
        got = e.get("input")
        lines.append(f"{path}: {msg}; got {got!r}")
    return "\n".join(dict.fromkeys(lines))


def _loc_str(loc: tuple[int | str, ...]) -> str:
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        elif "[" in str(part) and "(" in str(part):
            continue  # pydantic's names for union/validator branches
        else:
            out += f".{part}" if out else str(part)
    return out


def _fields_at(model: type[BaseModel], loc: tuple[int | str, ...]) -> list[str]:
    """The field names of the model found by walking ``loc`` from ``model``."""
    import typing

    current: Any = model
    for part in loc:
        if isinstance(part, int) or not isinstance(current, type):
            continue
        if not issubclass(current, BaseModel) or part not in current.model_fields:
            continue
        ann = current.model_fields[part].annotation
        current = _model_in(ann, typing)
    if isinstance(current, type) and issubclass(current, BaseModel):
        return list(current.model_fields)
    return []


def _model_in(ann: Any, typing: Any) -> Any:
    if isinstance(ann, type) and issubclass(ann, BaseModel):
        return ann
    for arg in typing.get_args(ann):
        found = _model_in(arg, typing)
        if found is not None:
            return found
    return None


# ---------------------------------------------------------------------- TOML writer


def dumps_toml(data: Mapping[str, Any]) -> str:
    """Write nested plain data as TOML (scalars, arrays, tables, arrays of tables).

    ``None`` values cannot be written in TOML; a table holding one raises :class:`ConfigError`
    (write the config as YAML or JSON instead).

    >>> print(dumps_toml({"a": 1, "t": {"b": "x"}, "l": [{"c": True}]}), end="")
    a = 1
    <BLANKLINE>
    [t]
    b = "x"
    <BLANKLINE>
    [[l]]
    c = true
    """
    lines: list[str] = []
    _toml_table(lines, (), data)
    return "\n".join(lines).lstrip("\n") + "\n"


def _toml_key(k: str) -> str:
    return k if re.fullmatch(r"[A-Za-z0-9_-]+", k) else json.dumps(k, ensure_ascii=False)


def _is_table_array(v: Any) -> bool:
    return isinstance(v, list) and bool(v) and all(isinstance(x, Mapping) for x in v)


def _toml_table(lines: list[str], prefix: tuple[str, ...], table: Mapping[str, Any]) -> None:
    scalars = [
        (k, v) for k, v in table.items() if not isinstance(v, Mapping) and not _is_table_array(v)
    ]
    subs = [(k, v) for k, v in table.items() if isinstance(v, Mapping) or _is_table_array(v)]
    for k, v in scalars:
        lines.append(f"{_toml_key(k)} = {_toml_value(v, '.'.join((*prefix, k)))}")
    for k, v in subs:
        name = ".".join(_toml_key(p) for p in (*prefix, k))
        if isinstance(v, Mapping):
            # a table of only tables needs no header of its own
            if any(not isinstance(x, Mapping) and not _is_table_array(x) for x in v.values()):
                lines.extend(["", f"[{name}]"])
            _toml_table(lines, (*prefix, k), v)
        else:
            for item in v:
                lines.extend(["", f"[[{name}]]"])
                _toml_inline_rest(lines, (*prefix, k), item)


def _toml_inline_rest(lines: list[str], prefix: tuple[str, ...], table: Mapping[str, Any]) -> None:
    # inside an array-of-tables element, nested tables are written inline to keep it one block
    for k, v in table.items():
        lines.append(f"{_toml_key(k)} = {_toml_value(v, '.'.join((*prefix, k)))}")


def _toml_value(v: Any, where: str) -> str:
    if v is None:
        raise ConfigError(
            f"{where} is None, which TOML cannot hold; dump the config as YAML or JSON"
        )
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int):
        return str(v)
    if isinstance(v, float):
        if not math.isfinite(v):
            raise ConfigError(f"{where} = {v} cannot be written in a config")
        return repr(v)
    if isinstance(v, str):
        return json.dumps(v, ensure_ascii=False)
    if isinstance(v, Mapping):
        inner = ", ".join(
            f"{_toml_key(k)} = {_toml_value(x, f'{where}.{k}')}" for k, x in v.items()
        )
        return "{ " + inner + " }" if inner else "{}"
    if isinstance(v, (list, tuple)):
        return "[" + ", ".join(_toml_value(x, where) for x in v) + "]"
    raise ConfigError(f"{where}: cannot write a {type(v).__name__} in TOML")
